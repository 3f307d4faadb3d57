// The testing object (testing.h): each hook forwards to the unit it switches.
#include "testing.h"

#include <cstdlib>
#include <cstring>

#include "addon_state.h"
#include "futex_waits.h"
#include "change_watch.h"
#include "guard.h"
#include "lazy_ranges.h"
#include "lease.h"
#include "lease_policy.h"
#include "mapping_wrap.h"
#include "placement.h"
#include "record_locks.h"

namespace safe_mmap {
namespace {

bool SwitchedOn(const char* name) {
  const char* value = getenv(name);
  return value != nullptr && strcmp(value, "1") == 0;
}

// A hook that takes one boolean.
template <void (*set)(bool)>
Napi::Value SetFlag(const Napi::CallbackInfo& info) {
  set(info[0].ToBoolean().Value());
  return info.Env().Undefined();
}

// setAsyncPath(0 auto | 1 calling thread | 2 pool): placement.h's AsyncPath.
Napi::Value SetAsyncPath(const Napi::CallbackInfo& info) {
  const int32_t path = info[0].As<Napi::Number>().Int32Value();
  if (path < 0 || path > 2) {
    Napi::RangeError::New(info.Env(), "bad async path").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  SetAsyncPathForTesting(AsyncPath(path));
  return info.Env().Undefined();
}

// asyncPathCounts() -> [on the calling thread, on the pool]
Napi::Value AsyncPaths(const Napi::CallbackInfo& info) {
  double calling_thread, pool;
  AsyncPathCounts(&calling_thread, &pool);
  Napi::Array counts = Napi::Array::New(info.Env(), 2);
  counts.Set(uint32_t(0), Napi::Number::New(info.Env(), calling_thread));
  counts.Set(uint32_t(1), Napi::Number::New(info.Env(), pool));
  return counts;
}

// leaseBeginStall(0 release | 1 arm | 2 ask) -> 0 off | 1 armed | 2 stalled
Napi::Value LeaseBeginStall(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), LeaseBeginStallForTesting(info[0].As<Napi::Number>().Int32Value()));
}

// lazyCounts() -> [ranges that are the file's now, swaps done]
Napi::Value LazyCounts(const Napi::CallbackInfo& info) {
  Napi::Array counts = Napi::Array::New(info.Env(), 2);
  counts.Set(uint32_t(0), Napi::Number::New(info.Env(), double(LazyRangesMapped())));
  counts.Set(uint32_t(1), Napi::Number::New(info.Env(), double(LazySwapsDone())));
  return counts;
}

// setLazyMinimumBytesForBenchmark(bytes): below it a lazy snapshot is a copy
// (kLazyMinimumBytes unless set); constants.lazy.minimumBytes does not change.
Napi::Value SetLazyMinimum(const Napi::CallbackInfo& info) {
  SetLazyMinimumBytesForBenchmark(uint64_t(info[0].As<Napi::Number>().Int64Value()));
  return info.Env().Undefined();
}

Napi::Value WatchesAlive(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(ChangeWatchesAlive()));
}

Napi::Value LeaseBreaks(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(LeaseBreaksHandled()));
}

// rawCopyForBenchmark(slot, target, targetStart, offset, length) -> bytes
// copied, with no guard and no check (MappingWrap::RawCopyForBenchmark).
Napi::Value RawCopy(const Napi::CallbackInfo& info) {
  MappingWrap* mapping = StateOf(info.Env())->slots->At(info[0].As<Napi::Number>().Uint32Value());
  if (mapping == nullptr) {
    Napi::TypeError::New(info.Env(), "not a live mapping slot").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  return mapping->RawCopyForBenchmark(Arguments(info, 1));
}

}  // namespace

Napi::Object MakeTestingObject(Napi::Env env) {
  Napi::Object testing = Napi::Object::New(env);
  const auto add = [&](const char* name, Napi::Function::Callback callback) {
    testing.Set(name, Napi::Function::New(env, callback, name));
  };
  add("setGuardEnabled", SetFlag<SetGuardEnabledForTesting>);
  add("setResumeThroughSigreturn", SetFlag<SetResumeThroughSigreturnForTesting>);
  add("setLeaseEpochCheckEnabled", SetFlag<SetLeaseEpochCheckEnabledForTesting>);
  add("setLeaseWatcherPaused", SetFlag<SetLeaseWatcherPausedForTesting>);
  add("setLeaseBackoffEnabled", SetFlag<SetLeaseBackoffEnabledForTesting>);
  add("leaseBeginStall", LeaseBeginStall);
  add("leaseBreaksHandled", LeaseBreaks);
  add("setLazySwapEnabled", SetFlag<SetLazySwapEnabledForTesting>);
  add("setLazyWriteProtectEnabled", SetFlag<SetLazyWriteProtectEnabledForTesting>);
  add("lazyCounts", LazyCounts);
  add("setLazyMinimumBytesForBenchmark", SetLazyMinimum);
  add("setAsyncPath", SetAsyncPath);
  add("asyncPathCounts", AsyncPaths);
  add("rawCopyForBenchmark", RawCopy);
  add("setWatchHoldEnabled", SetFlag<SetWatchHoldEnabledForTesting>);
  add("changeWatchesAlive", WatchesAlive);
  return testing;
}

void ApplyTestSwitchesFromEnvironment() {
  // A fault then crashes the process exactly as an unguarded mapping would.
  if (SwitchedOn("SAFE_MMAP_TEST_DISABLE_GUARD")) SetGuardEnabledForTesting(false);
  // Leave the handler by siglongjmp instead of sigreturn (test fault-recovery-state).
  if (SwitchedOn("SAFE_MMAP_TEST_RECOVER_IN_HANDLER")) SetResumeThroughSigreturnForTesting(false);
  // Trust a lease's epoch blindly (test lease-race).
  if (SwitchedOn("SAFE_MMAP_TEST_DISABLE_LEASE_EPOCH_CHECK")) SetLeaseEpochCheckEnabledForTesting(false);
  // Re-take the lease 10 ms after a break that changed nothing (test lease-operators).
  if (SwitchedOn("SAFE_MMAP_TEST_DISABLE_LEASE_BACKOFF")) SetLeaseBackoffEnabledForTesting(false);
  // A break releases the lease without copying lazy snapshots (test lazy-never-changed).
  if (SwitchedOn("SAFE_MMAP_TEST_DISABLE_LAZY_SWAP")) SetLazySwapEnabledForTesting(false);
  // The swap copies without write-protecting the range (test lazy-writes-kept).
  if (SwitchedOn("SAFE_MMAP_TEST_DISABLE_LAZY_WRITE_PROTECT")) SetLazyWriteProtectEnabledForTesting(false);
  // futex_waits.h: a wait sleeps its whole timeout, blind to truncations.
  if (SwitchedOn("SAFE_MMAP_TEST_DISABLE_WAIT_SIZE_CHECK")) SetWaitSizeCheckEnabledForTesting(false);
  // A cancelled lock wait is neither signalled nor re-signalled by its timer (test locks).
  if (SwitchedOn("SAFE_MMAP_TEST_DISABLE_LOCK_INTERRUPT")) SetLockInterruptEnabledForTesting(false);
  // A watch's broken lease is released at once, not held until JS delivered the event (test watch).
  if (SwitchedOn("SAFE_MMAP_TEST_DISABLE_WATCH_HOLD")) SetWatchHoldEnabledForTesting(false);
}

}  // namespace safe_mmap
