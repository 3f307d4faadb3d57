// Lazy snapshots (docs/how-it-works.md, "Lazy snapshots"): Buffers over a
// private mapping of the file's pages, made O(1) under a read lease and
// turned into the caller's own memory when the lease breaks, before the
// writer may start.
//
// Each lazy snapshot is a MAP_PRIVATE, PROT_READ|PROT_WRITE mapping of its
// pages of the file (never the file's shared views, which must show a
// writer's bytes), recorded in a process-wide lock-free table that the
// watcher thread and the signal handlers can read. Its life:
//
//   kMapped    made under the lease; its pages are the file's (JS writes are
//              private copy-on-write pages). It pins the lease: the watcher
//              does not give back an idle lease that has lazy ranges.
//   kSwapping  the lease is breaking (or its file closing). The swapper
//              write-protects the range, copies it into fresh anonymous
//              memory and mremap(MREMAP_FIXED)s that over the range: readers
//              see one set of bytes throughout, and a write that meets the
//              protection waits in the SIGSEGV handler until the swap is
//              done, then lands in the copy (so none is lost).
//   kOwned     anonymous memory, the caller's own, nothing to do with the file.
//
// The holes (a truncation that breaks no lease, a stopped holder past
// lease-break-time, I/O errors) take pages away while the range is still the
// file's. A SIGBUS there, outside any guard frame, is claimed here: the page
// is replaced by a zero page, the range marked damaged, and the instruction
// runs again. checkSnapshot then throws the error a guarded read would have.
//
// Only this file and guard.cc touch the ranges from a signal handler; they
// use no lock and no allocation there.
#pragma once

#include <cstddef>
#include <cstdint>

#include "platform.h"

namespace safe_mmap {

// What checkSnapshot reports about a range.
enum class LazyState : int32_t { kMapped = 0, kCopied = 1, kGone = 2 };
enum class LazyDamage : int32_t { kNone = 0, kTruncated = 1, kIOError = 2 };

struct LazyRangeId {
  int32_t index;
  uint32_t generation;
};

// Below this many bytes a lazy snapshot is an ordinary copy: the mapping,
// its registration, the external ArrayBuffer and its finalizer cost more
// than copying (docs/benchmarks.md, "lazy snapshots: where a copy wins").
constexpr uint64_t kLazyMinimumBytes = 1024 * 1024;
// kLazyMinimumBytes, unless the benchmark lowered it (testing's
// setLazyMinimumBytesForBenchmark) to time the lazy path below it and so
// show where a copy wins (bench/lazy.js).
uint64_t LazyMinimumBytes();

// The most live lazy bytes (kMapped) a process keeps: a break must copy them
// all, so it never allocates more than this. Past it, a lazy snapshot is a
// copy from the start. Default a quarter of physical memory, at most 4 GiB;
// SAFE_MMAP_LAZY_LIMIT_MB in the environment sets it (0: no lazy snapshots).
uint64_t LazyLimitBytes();

// Maps [page_offset, page_offset + length) of fd privately and registers it
// for lease_slot (an index lease_slots.h knows). page_offset is page-aligned.
// Returns the base, or nullptr with *id untouched: the limit, the table, or
// the mmap (ENOMEM, vm.max_map_count) said no; the caller copies instead.
uint8_t* MapLazyRange(FileHandle fd, uint64_t page_offset, uint64_t length, int lease_slot, LazyRangeId* id);

// Undoes MapLazyRange when the lease moved before the range was vouched for
// (a break the swapper may or may not have seen), or frees a range whose
// snapshot was collected: waits out a swap in progress, then unmaps.
void FreeLazyRange(LazyRangeId id);

// The state and damage of a live range; kGone for an id that names no range.
LazyState LazyRangeState(LazyRangeId id, LazyDamage* damage, uint64_t* file_size);

// Turns every kMapped range of lease_slot into the caller's own memory. Run
// by whoever releases the lease (the watcher on a break or Distrust, the
// owner on close), before the release: the writer is still waiting. Never
// waits for a JS thread.
void SwapLazyRangesOf(int lease_slot);
// The number of kMapped ranges of a lease slot: the watcher keeps such a
// lease (lease_watcher.cc's idle release).
bool LeaseSlotHasLazyRanges(int lease_slot);

// Signal side (guard.cc). A kernel SIGBUS at address, with no guard frame
// claiming it: when it lies in a live file-backed range, its page becomes a
// zero page, the range is marked damaged, and true is returned (the
// instruction is to be retried).
bool ClaimLazyBusFault(const void* address);
// A kernel SIGSEGV at address: when it lies in a range being swapped (a
// write that met the protection), waits until the swap is over and returns
// true (retry: the write then lands in the copy).
bool ClaimLazyWriteFault(const void* address);

// Test hooks. Swap off: a break releases the lease with the ranges still the
// file's (test/faults/lazy-never-changed shows its sums then change or the
// reader dies). Write protection off: the swap copies without protecting the
// range, so a JS write between the copy and the mremap is lost
// (test/faults/lazy-writes-kept).
void SetLazySwapEnabledForTesting(bool enabled);
void SetLazyWriteProtectEnabledForTesting(bool enabled);
void SetLazyMinimumBytesForBenchmark(uint64_t bytes);
// How many ranges are kMapped, and how many swaps have run, in this process.
uint64_t LazyRangesMapped();
uint64_t LazySwapsDone();

}  // namespace safe_mmap
