// The waiting lock()s (lock(..., { wait: true }), record_locks.h): the table
// of them by id, and how a waiter's result reaches JS. Portable, and shared by
// both platforms' record locks (record_locks.cc: OFD locks, a thread that a
// signal interrupts; win32/record_locks.cc: LockFileEx, a thread that polls
// and an event wakes). lock_waiters.cc defines MappingWrap::LockRangeWait and
// CancelLockWait; each platform defines how a lock is taken, how its thread
// waits and is interrupted, and how that thread starts (the hooks below).
//
// The life of one waiter: LockRangeWait (JS thread) has the platform make it,
// gives it a duplicate of the mapping's file, enters it in the table and
// makes its threadsafe function, then has the platform start its thread. The
// thread waits, and ends with FinishLockWait, which closes the duplicate,
// leaves the table and queues the result. cancelLockWait finds the waiter in
// the table, sets `cancelled` and has the platform interrupt the thread.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "platform.h"

namespace safe_mmap {

// One waiting lock(). Shared (std::shared_ptr) by its thread, the table,
// which is how cancelLockWait finds it, and the threadsafe function's
// finalizer; a platform derives its own with what its thread needs.
struct LockWaiter {
  virtual ~LockWaiter() = default;

  // Makes the thread see `cancelled` soon (record_locks.cc: the interrupt
  // signal and its timer; win32: the event). Any thread, any number of times,
  // also after the thread has gone; `cancelled` is already set.
  virtual void Interrupt() = 0;

  uint32_t id = 0;  // its key in the table; set before the thread starts
  // The thread's own duplicate of the mapping's file, closed by the thread
  // (FinishLockWait): it never touches the mapping's, which close(), the
  // finalizer or a worker's teardown may close, and the system then reuse
  // for another file, while it waits.
  FileHandle file = kNoFile;
  std::atomic<bool> cancelled{false};
  napi_threadsafe_function report = nullptr;
  // Guards report_gone, and whatever a platform's Interrupt must not find
  // gone (record_locks.cc: the thread and its timer).
  std::mutex mutex;
  // The threadsafe function was finalized (the environment's teardown
  // finalizes it even with the thread still holding it): never call it again.
  bool report_gone = false;
};

// ---- The platform's (record_locks.cc, win32/record_locks.cc). Both run on
// the JS thread, in LockRangeWait.

// A waiter for the range, not yet started: nullptr, with *error a JS errno
// (platform.h's JsErrno), when it cannot be made. length 0: to the end.
std::shared_ptr<LockWaiter> NewLockWaiter(uint64_t offset, uint64_t length, bool shared, int* error);

// Starts the waiter's thread, detached, which ends by calling FinishLockWait.
// 0, or a JS errno when there is no thread (the waiter is then forgotten).
int StartLockWaiter(const std::shared_ptr<LockWaiter>& waiter);

// ---- Portable (lock_waiters.cc).

// The thread's last step, after it has let go of anything a canceller might
// name: closes waiter.file, leaves the table, and queues `result` (a JS errno:
// 0 held, ECANCELED with the range not held) for the callback, unless the
// threadsafe function is gone.
void FinishLockWait(LockWaiter& waiter, int result);

}  // namespace safe_mmap
