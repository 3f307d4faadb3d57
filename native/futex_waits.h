// Waiting on a 32-bit word of a shared file mapping, and waking its waiters,
// across processes: Linux's futex on the word's address. The key of a
// futex in a MAP_SHARED file mapping is the file's page (inode and offset),
// not the address, so a waiter in one process is woken by a notify in any
// process (or worker, or second mapping) that maps the same file. The
// non-private operations are used for that reason.
//
// A wait never touches the word from user space: the kernel reads it (and a
// page past the end of the file gives EFAULT there, not a SIGBUS). The
// caller checks the word once, guarded, before it waits. What no futex
// reports is a truncation under a sleeping waiter, so a wait sleeps in
// slices and looks at the file's size (fstat on its own descriptor) between
// them: a truncation wakes it within one slice.
#pragma once

#include <atomic>
#include <cstdint>

#include "platform.h"

namespace safe_mmap {

enum class WaitEnd : int {
  kOk,          // woken by a notify (or the word changed before it slept)
  kNotEqual,    // the word did not hold the expected value
  kTimedOut,
  kCancelled,   // an abort, close(), or the environment's teardown
  kTruncated,   // the word's page is past the end of the file (size set)
  kIOError,     // the file cannot be read (error set)
};

struct WaitResult {
  WaitEnd end;
  int64_t file_size;  // kTruncated: the size then
  int error_number;   // kIOError: errno of the fstat, or 0 for an unreadable page
};

// How long one sleep lasts before the waiter looks at the file's size: the
// bound on how late a waiter learns of a truncation.
constexpr int64_t kWaitSliceMs = 250;

// Sleeps while *word == expected, until woken, the deadline (CLOCK_MONOTONIC
// nanoseconds; -1 for none) passes, *cancel becomes non-zero (when given) or
// the file on descriptor fd no longer holds [0, end). Blocking; no N-API,
// no lock. The word must be 4-byte aligned; it need not be mapped any more
// (the kernel reports EFAULT, which ends the wait like a truncation would
// be classified: by the file's size).
WaitResult WaitOnWord(const uint32_t* word, uint32_t expected, int64_t deadline_ns,
                      const std::atomic<uint32_t>* cancel, FileHandle fd, uint64_t end);

// Wakes up to count waiters on word, in every process; returns how many, or
// -errno (EFAULT: the page is not in the file any more).
int64_t WakeWord(const uint32_t* word, uint32_t count);

// Ends a WaitOnWord that is waiting on cancel: sets it and wakes it.
void CancelWait(std::atomic<uint32_t>* cancel);

// CLOCK_MONOTONIC in nanoseconds; the deadline for a timeout of ms from now
// (-1 for an infinite or NaN timeout).
int64_t MonotonicNanoseconds();
int64_t DeadlineAfter(double timeout_ms);

// Test hook (SAFE_MMAP_TEST_DISABLE_WAIT_SIZE_CHECK): waits sleep their
// whole timeout without looking at the file, as a bare futex would.
void SetWaitSizeCheckEnabledForTesting(bool enabled);

}  // namespace safe_mmap
