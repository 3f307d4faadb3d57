// Where an asynchronous access runs: at once on the calling (JS) thread,
// when its pages are resident and the current turn of the event loop has
// budget left, or on libuv's thread pool (pool.h). The decision alone: the
// per-turn budget, the residency answers it remembers, and its test hook.
#pragma once

#include <napi.h>

#include <cstdint>

#include "mapping.h"
#include "search.h"

namespace safe_mmap {

// Where an asynchronous access runs (a test hook; kAuto in normal use).
enum class AsyncPath : int32_t {
  kAuto = 0,           // the calling thread when resident and small, else the pool
  kCallingThread = 1,  // always the calling thread, no budget (tests: a fault on the fast path)
  kPool = 2,           // always the pool (tests: the slow path on a hot file)
};
void SetAsyncPathForTesting(AsyncPath path);
// Whether the fast path may ask libuv for its loop counter (uv_metrics_info).
// Off until the JS side says the runtime is Node: Bun 1.4 exports the symbol
// as a stub that aborts the process ("unsupported uv function"), and Deno has
// no libuv. Without it, the budget falls back to wall time (placement.cc).
void SetLoopCounterUsable(bool usable);
// How many asynchronous accesses ran on the calling thread and on the pool
// since the process started (all environments), so tests can see the path.
void AsyncPathCounts(double* calling_thread, double* pool);

// Above this, an access goes to the pool even when resident: the copy holds
// the event loop for its whole length, and the pool trip it saves (about
// 20 us) is small beside it. Measured on a cold file: 2 MiB async snapshots
// on the calling thread raised the event loop's p99 delay to 8-22 ms (5-8
// on the pool alone), 256 KiB and 64 KiB ones kept it at 3-4 ms. 1 MiB
// keeps the stream's trips (1 MiB) on the fast path.
constexpr uint64_t kCallingThreadLimit = uint64_t(1) << 20;
// And no access runs on the calling thread once this long has passed since
// the first one of the current turn of the event loop (placement.cc's
// WithinTurnBudget), so that a chain of awaited accesses lets timers and I/O
// run at least this often. 1 ms holds the event loop less than 3 ms on a
// loaded machine and sends about 0.3% of a hot 4 KiB loop's copies to the
// pool.
constexpr uint64_t kCallingThreadBudgetMs = 1;

// Drops this thread's remembered residency answer (Resident in placement.cc),
// after advise() may have dropped pages.
void ForgetResidency();

// One asynchronous access, as the bindings describe it.
struct AccessPlan {
  enum class Resolution {
    kBuffer,     // resolves with the destination's holder (snapshotAsync)
    kCount,      // resolves with length (copyToAsync)
    kPosition,   // resolves with the search's answer (indexOfAsync)
    kReadCount,  // fs-style: up to the file's end, resolves with the count (readAsync)
  };
  uint64_t offset;
  uint64_t length;
  MappedWork work;
  Resolution resolution;
  uint8_t* destination = nullptr;  // the copy's destination (not kPosition)
  bool plain_copy = false;  // work copies the bytes unchanged to destination (kReadFrom applies)
  SearchJob search{};  // kPosition; its needle is copied before going to the pool
  const int32_t* abort_flag = nullptr;
};

// Whether `plan` runs at once on the calling thread (RWF_NOWAIT reads still
// decide for a plain copy: StartAccess in pool.cc).
bool RunsOnCallingThread(Napi::Env env, const FileMapping& mapping, const AccessPlan& plan);
// Whether the pages the plan touches are in the page cache (mincore, its
// answer remembered for 20 ms over a 2 MiB window).
bool ResidentForPlan(const FileMapping& mapping, const AccessPlan& plan);
AsyncPath CurrentAsyncPath();
// Counts an access's path, for AsyncPathCounts.
void CountAsyncAccess(bool on_calling_thread);

}  // namespace safe_mmap
