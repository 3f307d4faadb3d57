// Record locks on Windows: LockFileEx / UnlockFileEx on the mapping's handle,
// and one small thread per lock() that has to wait (record_locks.h; the
// contract is the Linux file's: return values, one callback on the JS thread,
// ECANCELED with the range not held after a cancel). The table of waiters and
// their reports to JS are portable (lock_waiters.h); this file takes and
// releases the locks and runs the waiting threads.
//
// How Windows locks differ from Linux's OFD locks (docs/platforms.md):
//   - Owner: the file object and the process. The mapping's handle and its
//     duplicates (the waiter's, below) share the file object, so every lock()
//     of one MappedFile has one owner; another MappedFile of the same file,
//     in this process or another, is another owner, as on Linux. Closing some
//     other handle of the file (fs.readFileSync) leaves the locks alone.
//   - Mandatory for I/O, not for views: ReadFile and WriteFile on a locked
//     range through another file object (fs.readFileSync, fs.writeFile,
//     another process's handle) fail with ERROR_LOCK_VIOLATION (EBUSY): an
//     exclusive lock stops reads and writes, a shared one writes (through any
//     handle, Windows documents). Views are never checked: MappedFiles read
//     and write through theirs, here and in other processes, so between them
//     locks stay cooperative. Wine enforces none of it (its ReadFile and
//     WriteFile ignore locks).
//   - No merging or splitting: each lock() is one lock, unlock() releases
//     exactly it. An exclusive lock conflicts with every overlapping lock,
//     the file's own included: a second, overlapping exclusive lock() of one
//     MappedFile waits for the first (or fails with EAGAIN with
//     { wait: false }) where Linux would merge or convert. Shared locks
//     stack, and a shared lock may overlap its own file's exclusive one. An
//     UnlockFileEx of anything but one lock's exact range (a sub-range, the
//     whole file) unlocks nothing and fails (ERROR_NOT_LOCKED; Wine says
//     ERROR_LOCK_VIOLATION): src/locks.ts therefore unlocks each held lock by
//     its own range on close(), and closing the file object's last handle
//     drops whatever is left.
//   - To the end: Windows has no "l_len 0". Infinity locks offset up to byte
//     2^64 - 2 (a count of UINT64_MAX - offset, so that offset + count never
//     wraps), and unlockRange(offset, 0) names that same range.
//
// Why the waiting thread polls: a blocking LockFileEx cannot be cancelled
// reliably. Our handle is synchronous (libuv opens without
// FILE_FLAG_OVERLAPPED), so an OVERLAPPED does not make the call return;
// CancelSynchronousIo misses a thread that has not entered the call yet (the
// Linux signal's lost wake-up, with no timer to repeat it); and Wine waits in
// a non-alertable NtWaitForSingleObject that nothing interrupts (its async
// lock wait is a FIXME "might deadlock"). So the thread retries
// LOCKFILE_FAIL_IMMEDIATELY, pausing 1 ms, doubling to 10 ms, on an event
// that a cancel sets: a cancel wakes it at once, a release reaches it at most
// one pause late. The cost: no queue, so waiters are not served in order and a
// holder that relocks at once can keep one waiting for a while.
//
// Races, as on Linux: a lock granted just as the cancel came is unlocked by
// the thread before it reports ECANCELED; one granted after the thread's
// last look at the flag is reported as 0, and src/locks.ts unlocks it (or,
// after close(), the last handle's close does). The thread locks through a
// duplicate handle of its own, closed by itself (lock_waiters.cc), never
// through the mapping's, which close() or the finalizer may close (and
// Windows reuse) meanwhile.
#include "../record_locks.h"

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>

#include "../lock_waiters.h"
#include "../mapping_wrap.h"
#include "../platform.h"

namespace safe_mmap {
namespace {

extern "C" __declspec(dllimport) int uv_translate_sys_error(int sys_errno);  // node.exe's libuv

constexpr DWORD kWaiterStack = 64 * 1024;
constexpr DWORD kFirstPauseMs = 1;
constexpr DWORD kLongestPauseMs = 10;

std::atomic<bool> wake_on_cancel{true};

struct LockRequest {
  uint64_t offset = 0;
  uint64_t count = 0;
  bool shared = false;
};

LockRequest RequestOf(uint64_t offset, uint64_t length, bool shared) {
  return {offset, length == 0 ? UINT64_MAX - offset : length, shared};
}

OVERLAPPED At(uint64_t offset) {
  OVERLAPPED at{};
  at.Offset = DWORD(offset);
  at.OffsetHigh = DWORD(offset >> 32);
  return at;
}

// 0 or the Win32 error. Never waits: a synchronous handle's LockFileEx would.
DWORD LockNow(HANDLE file, const LockRequest& request) {
  OVERLAPPED at = At(request.offset);
  const DWORD flags = LOCKFILE_FAIL_IMMEDIATELY | (request.shared ? 0 : LOCKFILE_EXCLUSIVE_LOCK);
  if (LockFileEx(file, flags, 0, DWORD(request.count), DWORD(request.count >> 32), &at)) return 0;
  return GetLastError();
}

DWORD UnlockNow(HANDLE file, const LockRequest& request) {
  OVERLAPPED at = At(request.offset);
  if (UnlockFileEx(file, 0, DWORD(request.count), DWORD(request.count >> 32), &at)) return 0;
  return GetLastError();
}

// Another owner holds a conflicting lock. ERROR_IO_PENDING would be an
// overlapped handle's answer; ours is synchronous (libuv opens files so).
bool Conflict(DWORD error) { return error == ERROR_LOCK_VIOLATION || error == ERROR_IO_PENDING; }

// As JS compares them (src/locks.ts): libuv's numbers, a conflict being EAGAIN.
int JsErrorOf(DWORD error) {
  if (error == 0) return 0;
  return Conflict(error) ? JsErrno(EAGAIN) : -uv_translate_sys_error(int(error));
}

// One waiting lock(): what its thread needs on Windows.
struct Waiter : LockWaiter {
  HANDLE wake = nullptr;  // manual-reset: a cancel stays set
  LockRequest request;
  // The event lives as long as the last holder, so a cancel that found the
  // waiter may set it even after the thread is gone.
  ~Waiter() override {
    if (wake != nullptr) CloseHandle(wake);
  }
  void Interrupt() override {
    if (wake_on_cancel.load()) SetEvent(wake);
  }
};

DWORD WINAPI WaitForLock(void* argument) {
  std::unique_ptr<std::shared_ptr<LockWaiter>> start(static_cast<std::shared_ptr<LockWaiter>*>(argument));
  Waiter& waiter = static_cast<Waiter&>(**start);
  int result = 0;
  DWORD pause_ms = kFirstPauseMs;
  for (;;) {
    if (waiter.cancelled.load()) {
      result = JsErrno(ECANCELED);
      break;
    }
    const DWORD error = LockNow(waiter.file, waiter.request);
    if (error == 0) break;
    if (!Conflict(error)) {
      result = JsErrorOf(error);
      break;
    }
    WaitForSingleObject(waiter.wake, pause_ms);
    pause_ms = std::min(pause_ms * 2, kLongestPauseMs);
  }
  // Through our own handle, before it closes: the lock is the file object's.
  if (result == 0 && waiter.cancelled.load()) {
    UnlockNow(waiter.file, waiter.request);
    result = JsErrno(ECANCELED);
  }
  FinishLockWait(waiter, result);
  return 0;
}

}  // namespace

// Windows has no signal to interrupt a wait with: the waiters poll.
int LockInterruptSignal() { return 0; }

// Off: a cancel sets the waiter's flag without waking it, so the thread sees
// it at its next retry (at most kLongestPauseMs later).
void SetLockInterruptEnabledForTesting(bool enabled) { wake_on_cancel.store(enabled); }

// lockRange(offset, length, shared) -> 0 (held), an errno (EAGAIN: another
// owner, or this file's own exclusive lock, holds an overlapping lock), or -1
// when closed. Never blocks.
Napi::Value MappingWrap::LockRange(const Arguments& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
  const bool shared = info[2].ToBoolean().Value();
  const FileHandle file = mapping_.descriptor();
  if (mapping_.closed() || file == kNoFile) return Napi::Number::New(env, -1);
  return Napi::Number::New(env, JsErrorOf(LockNow(file, RequestOf(offset, length, shared))));
}

// unlockRange(offset, length) -> 0 or an errno (the range must be one lock's
// exactly). On a closed mapping, 0: its locks went with its handle.
Napi::Value MappingWrap::UnlockRange(const Arguments& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
  const FileHandle file = mapping_.descriptor();
  if (file == kNoFile) return Napi::Number::New(env, 0);
  const DWORD error = UnlockNow(file, RequestOf(offset, length, false));
  return Napi::Number::New(env, error == 0 ? 0 : -uv_translate_sys_error(int(error)));
}

std::shared_ptr<LockWaiter> NewLockWaiter(uint64_t offset, uint64_t length, bool shared, int* error) {
  auto waiter = std::make_shared<Waiter>();
  waiter->request = RequestOf(offset, length, shared);
  waiter->wake = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (waiter->wake == nullptr) {
    *error = JsErrorOf(GetLastError());
    return nullptr;
  }
  return waiter;
}

int StartLockWaiter(const std::shared_ptr<LockWaiter>& started) {
  auto* start = new std::shared_ptr<LockWaiter>(started);  // WaitForLock's
  HANDLE thread = CreateThread(nullptr, kWaiterStack, WaitForLock, start, STACK_SIZE_PARAM_IS_A_RESERVATION, nullptr);
  if (thread == nullptr) {
    const int error = JsErrorOf(GetLastError());
    delete start;
    return error;
  }
  CloseHandle(thread);  // detached: the thread reports through the threadsafe function
  return 0;
}

}  // namespace safe_mmap
