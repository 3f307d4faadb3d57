// The Linux-only features, as a Windows build answers for them. Each has its
// reason in docs/platforms.md, and src/ decides before it gets here:
//   - read leases (lease.h): Windows has no lease a reader can hold while
//     writers open the file; oplocks break on the opener's side, not ours.
//     A FileLease never registers, so 'always' validates by
//     NtQueryInformationFile (validationMethod 'fstat');
//   - lazy snapshots (lazy_ranges.h): they rely on the lease's break to swap
//     in a private copy. MapLazyRange maps nothing, so { lazy: true } copies;
//   - futex waits (futex_waits.h, async_waits.cc): Windows has no wait keyed
//     by a file's page across processes (WaitOnAddress is per process).
//     src/atomics.ts throws ERR_FEATURE_UNAVAILABLE_ON_PLATFORM first;
//   - the change-watch thread (change_watch.h): signalfd, inotify and
//     eventfd. src/watch.ts polls the file instead.
#include <napi.h>

#include "../async_waits.h"
#include "../change_watch.h"
#include "../change_watch_bindings.h"
#include "../futex_waits.h"
#include "../lazy_ranges.h"
#include "../lease.h"
#include "../mapping_wrap.h"

#include <cerrno>
#include <chrono>

namespace safe_mmap {

// ---- Leases: never registered, never held.
bool FileLease::Register(FileHandle) { return false; }
bool FileLease::Acquire() { return false; }
bool FileLease::Begin(uint64_t*) const { return false; }
bool FileLease::Confirm(uint64_t) const { return false; }
void FileLease::Distrust() {}
void FileLease::Release() {}
bool FileLease::held() const { return false; }
int FileLease::slot_index() const { return -1; }
uint64_t FileLease::breaks() const { return 0; }
uint64_t FileLease::SettledBreaks() const { return 0; }
bool LeaseAllowedOn(int) { return false; }
uint64_t CoarseMilliseconds() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}
void SetLeaseEpochCheckEnabledForTesting(bool) {}
void SetLeaseWatcherPausedForTesting(bool) {}
int LeaseBeginStallForTesting(int) { return kBeginStallOff; }
uint64_t LeaseBreaksHandled() { return 0; }

// ---- Lazy snapshots: every one is a copy.
uint64_t LazyMinimumBytes() { return kLazyMinimumBytes; }
uint64_t LazyLimitBytes() { return 0; }
uint8_t* MapLazyRange(FileHandle, uint64_t, uint64_t, int, LazyRangeId*) { return nullptr; }
void FreeLazyRange(LazyRangeId) {}
LazyState LazyRangeState(LazyRangeId, LazyDamage* damage, uint64_t* file_size) {
  *damage = LazyDamage::kNone;
  *file_size = 0;
  return LazyState::kGone;
}
void SwapLazyRangesOf(int) {}
bool LeaseSlotHasLazyRanges(int) { return false; }
bool ClaimLazyBusFault(const void*) { return false; }
bool ClaimLazyWriteFault(const void*) { return false; }
void SetLazySwapEnabledForTesting(bool) {}
void SetLazyWriteProtectEnabledForTesting(bool) {}
void SetLazyMinimumBytesForBenchmark(uint64_t) {}
uint64_t LazyRangesMapped() { return 0; }
uint64_t LazySwapsDone() { return 0; }

// ---- Futex waits: unreachable from src/ (atomics.ts throws before).
WaitResult WaitOnWord(const uint32_t*, uint32_t, int64_t, const std::atomic<uint32_t>*, FileHandle, uint64_t) {
  return {WaitEnd::kIOError, -1, ENOSYS};
}
int64_t WakeWord(const uint32_t*, uint32_t) { return 0; }
void CancelWait(std::atomic<uint32_t>*) {}
int64_t MonotonicNanoseconds() {
  return int64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::steady_clock::now().time_since_epoch())
                     .count());
}
int64_t DeadlineAfter(double) { return -1; }
void SetWaitSizeCheckEnabledForTesting(bool) {}

namespace {
Napi::Value Unavailable(Napi::Env env, const char* what) {
  Napi::Error error = Napi::Error::New(env, std::string(what) + " is not available on Windows");
  error.Set("code", Napi::String::New(env, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM"));
  error.ThrowAsJavaScriptException();
  return Napi::Value();
}
Napi::Value ChangeWatchUnavailable(const Napi::CallbackInfo& info) {
  return Unavailable(info.Env(), "the change-watch thread");
}
}  // namespace

Napi::Value MappingWrap::WaitAsync(const Arguments& info) { return Unavailable(info.Env(), "waitAsync"); }
Napi::Value CancelAsyncWait(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

// ---- The change-watch thread: src/watch.ts polls on Windows instead.
Napi::Function DefineChangeWatch(Napi::Env env) {
  return Napi::Function::New(env, ChangeWatchUnavailable, "ChangeWatch");
}
void SetWatchHoldEnabledForTesting(bool) {}
uint64_t ChangeWatchesAlive() { return 0; }

}  // namespace safe_mmap
