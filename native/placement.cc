// Where an asynchronous access runs (placement.h): the calling thread's
// per-turn budget and the residency answers it remembers.
#include "placement.h"
#include "platform.h"

#include <uv.h>

#include <algorithm>
#include <atomic>
#include <ctime>

namespace safe_mmap {

namespace {

std::atomic<int32_t> async_path{int32_t(AsyncPath::kAuto)};
std::atomic<uint64_t> calling_thread_count{0};
std::atomic<uint64_t> pool_count{0};

// The fast path's time budget: it runs work on this thread only until it has
// spent kCallingThreadBudgetMs in the current turn of the event loop. A turn
// is told apart by libuv's loop counter (uv_metrics_info, libuv >= 1.45, so
// looked up at run time: Node 18's libuv lacks it). uv_now is no substitute:
// measured under jest, the loop's clock was 53 ms old in a setImmediate
// callback. Without the counter (Node 18, Bun, Deno), a burst starts after a
// pause of a budget's length and is bounded by the budget; the next access
// after it goes to the pool, which costs one trip per budget.
using MetricsInfo = int (*)(uv_loop_t*, uv_metrics_t*);
const MetricsInfo metrics_info_symbol =
    reinterpret_cast<MetricsInfo>(HostSymbol("uv_metrics_info"));
std::atomic<bool> loop_counter_usable{false};  // SetLoopCounterUsable, from JS

// Per thread, so per environment (each worker has its own thread and loop).
struct Burst {
  uint64_t turn = ~uint64_t(0);
  uint64_t start_ns = 0;
  uint64_t last_ns = 0;  // the last decision, for runtimes without the counter
};
thread_local Burst burst;

uint64_t MonotonicNs() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return uint64_t(now.tv_sec) * 1000000000 + uint64_t(now.tv_nsec);
}

bool WithinTurnBudget(Napi::Env env) {
  const uint64_t now = MonotonicNs();
  const MetricsInfo metrics_info =
      loop_counter_usable.load(std::memory_order_relaxed) ? metrics_info_symbol : nullptr;
  uv_loop_t* loop = nullptr;
  uv_metrics_t metrics;
  if (metrics_info != nullptr && napi_get_uv_event_loop(env, &loop) == napi_ok && loop != nullptr &&
      metrics_info(loop, &metrics) == 0 && metrics.loop_count != burst.turn) {
    burst.turn = metrics.loop_count;  // a new turn: a new budget
    burst.start_ns = now;
    return true;
  }
  const uint64_t budget_ns = kCallingThreadBudgetMs * 1000000;
  if (metrics_info == nullptr) {
    // No counter (Node 18, Bun, Deno): a pause of a budget's length since
    // the last access starts a new burst; a burst that used its budget goes
    // to the pool once, and that trip lets the loop turn.
    const bool idle_since_last = now - burst.last_ns >= budget_ns;
    burst.last_ns = now;
    if (idle_since_last) burst.start_ns = now;
    if (now - burst.start_ns < budget_ns) return true;
    burst.start_ns = now;
    return false;
  }
  return now - burst.start_ns < budget_ns;
}

// For searches (copies use RWF_NOWAIT reads instead): mincore costs about
// 0.7 us here whatever the range (a system call on a KVM guest), a third of
// a 4 KiB fast-path copy. So a check covers a whole
// window of kResidentWindow bytes around the range, and its answer is
// reused for kResidentValidNs by later accesses inside that window: a
// sequential reader pays one mincore per 2 MiB. A page evicted within that
// time makes the fast path wait for the disk on its fault, the same risk
// as an eviction between any check and the copy, over a longer span.
constexpr uint64_t kResidentWindow = uint64_t(2) << 20;
constexpr uint64_t kResidentValidNs = 20 * 1000000;

struct ResidentWindow {
  const FileMapping* mapping = nullptr;
  uint64_t mapped_size = 0;  // a remap starts afresh
  uint64_t begin = 0, end = 0;
  uint64_t until_ns = 0;
};
thread_local ResidentWindow resident_window;

bool Resident(const FileMapping& mapping, uint64_t offset, uint64_t length) {
  if (length == 0) return true;
  const uint64_t now = MonotonicNs();
  const uint64_t mapped = mapping.mapped_size();
  ResidentWindow& known = resident_window;
  if (known.mapping == &mapping && known.mapped_size == mapped && now < known.until_ns &&
      offset >= known.begin && offset + length <= known.end && !mapping.closed()) {
    return true;
  }
  const uint64_t begin = offset - offset % kResidentWindow;
  const uint64_t end = std::max(offset + length, std::min(begin + kResidentWindow, mapped));
  if (mapping.RangeResident(begin, end - begin)) {
    known = {&mapping, mapped, begin, end, now + kResidentValidNs};
    return true;
  }
  return mapping.RangeResident(offset, length);
}


}  // namespace

void ForgetResidency() { resident_window = ResidentWindow(); }

namespace {

// The part of the plan's range that the access can touch: a read stops at
// the end of the mapping (and of the file).
uint64_t ReadLength(const FileMapping& mapping, const AccessPlan& plan) {
  if (plan.resolution != AccessPlan::Resolution::kReadCount) return plan.length;
  const uint64_t mapped = mapping.mapped_size();
  return plan.offset >= mapped ? 0 : std::min(plan.length, mapped - plan.offset);
}


}  // namespace

bool RunsOnCallingThread(Napi::Env env, const FileMapping& mapping, const AccessPlan& plan) {
  const auto path = AsyncPath(async_path.load(std::memory_order_relaxed));
  if (path != AsyncPath::kAuto) return path == AsyncPath::kCallingThread;
  if (plan.length > kCallingThreadLimit) return false;
  // A promise settled at once lets `for (...) await copyAsync(...)` run on
  // without ever returning to the event loop (its continuations are
  // microtasks), which would starve timers and I/O for the whole loop. Once
  // kCallingThreadBudgetMs have passed since the first fast-path access of
  // this turn, the next access goes to the pool: its promise settles on a
  // later turn, so the loop turns.
  if (!WithinTurnBudget(env)) return false;
  // Plain copies need no residency check: StartAccess tries them with
  // RWF_NOWAIT reads, which stop by themselves where a page is missing.
  if (plan.plain_copy) return true;
  return ResidentForPlan(mapping, plan);
}


bool ResidentForPlan(const FileMapping& mapping, const AccessPlan& plan) {
  return Resident(mapping, plan.offset, ReadLength(mapping, plan));
}

AsyncPath CurrentAsyncPath() { return AsyncPath(async_path.load(std::memory_order_relaxed)); }

void CountAsyncAccess(bool on_calling_thread) {
  (on_calling_thread ? calling_thread_count : pool_count).fetch_add(1, std::memory_order_relaxed);
}

void SetLoopCounterUsable(bool usable) { loop_counter_usable.store(usable, std::memory_order_relaxed); }

void SetAsyncPathForTesting(AsyncPath path) {
  async_path.store(int32_t(path), std::memory_order_relaxed);
}

void AsyncPathCounts(double* calling_thread, double* pool) {
  *calling_thread = double(calling_thread_count.load(std::memory_order_relaxed));
  *pool = double(pool_count.load(std::memory_order_relaxed));
}

}  // namespace safe_mmap
