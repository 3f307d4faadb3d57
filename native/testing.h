// The test-only hooks, in one place: the addon exports them as its `testing`
// object, which the library itself never reads. Each switch-off exists to
// prove that the tests of one safety mechanism can fail (CONTRIBUTING.md,
// "Testing the tests").
#pragma once

#include <napi.h>

namespace safe_mmap {

// The testing object: setGuardEnabled, setResumeThroughSigreturn,
// setLeaseEpochCheckEnabled, setLeaseWatcherPaused, setLeaseBackoffEnabled,
// leaseBeginStall, leaseBreaksHandled, setLazySwapEnabled,
// setLazyWriteProtectEnabled, lazyCounts, setLazyMinimumBytesForBenchmark,
// setAsyncPath, asyncPathCounts, setWatchHoldEnabled, changeWatchesAlive, and
// rawCopyForBenchmark (the benchmark's unguarded baseline).
Napi::Object MakeTestingObject(Napi::Env env);

// The switch-offs that a test sets for a whole child process, read from its
// environment when the addon loads: SAFE_MMAP_TEST_DISABLE_GUARD,
// SAFE_MMAP_TEST_RECOVER_IN_HANDLER, SAFE_MMAP_TEST_DISABLE_LEASE_EPOCH_CHECK
// SAFE_MMAP_TEST_DISABLE_LEASE_BACKOFF, SAFE_MMAP_TEST_DISABLE_LAZY_SWAP,
// SAFE_MMAP_TEST_DISABLE_LAZY_WRITE_PROTECT and
// SAFE_MMAP_TEST_DISABLE_LOCK_INTERRUPT, SAFE_MMAP_TEST_DISABLE_WAIT_SIZE_CHECK and
// SAFE_MMAP_TEST_DISABLE_WATCH_HOLD, each when it is "1".
void ApplyTestSwitchesFromEnvironment();

}  // namespace safe_mmap
