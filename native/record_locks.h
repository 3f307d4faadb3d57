// Record locks (file.lock(), src/locks.ts): Linux open-file-description
// locks (F_OFD_SETLK, F_OFD_SETLKW) on the mapping's own descriptor, and the
// waiting threads behind lock(..., { wait: true }); on Windows, LockFileEx
// (win32/record_locks.cc). The MappingWrap methods lockRange and unlockRange
// are defined in record_locks.cc, lockRangeWait in lock_waiters.cc (the
// portable table of waiters), all reached through the addon's slot functions;
// cancelLockWait (lock_waiters.cc) is a plain addon function, since a waiter
// outlives nothing but its own id.
#pragma once

#include <napi.h>

namespace safe_mmap {

// The signal that interrupts a waiting thread's F_OFD_SETLKW: SIGRTMAX - 7,
// next to the lease signal (SIGRTMAX - 6, lease_slots.h), for the same
// reasons (glibc, musl and valgrind keep the others; Node, V8 and libuv use
// none). Its handler does nothing and is installed without SA_RESTART, once,
// and only when the signal's disposition is still SIG_DFL: a host that uses
// the number for itself keeps it, and the waiters then poll (record_locks.cc).
int LockInterruptSignal();

// cancelLockWait(id): the waiter stops at once (or, granted meanwhile,
// unlocks its range) and its callback reports ECANCELED. Unknown or finished
// ids are ignored.
Napi::Value CancelLockWait(const Napi::CallbackInfo& info);

// Test switch (SAFE_MMAP_TEST_DISABLE_LOCK_INTERRUPT): a cancel only sets the
// waiter's flag, sends no signal and arms no timer, so a waiter blocked in
// F_OFD_SETLKW stays blocked until the holder lets go (test api/locks).
void SetLockInterruptEnabledForTesting(bool enabled);

}  // namespace safe_mmap
