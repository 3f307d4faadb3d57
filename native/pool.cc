#include "pool.h"

#include <dlfcn.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <ctime>

namespace safe_mmap {

bool AbortRequested(const int32_t* flag) {
  return flag != nullptr && __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0;
}

PinnedPoolWork::PinnedPoolWork(Napi::Env env, FileMapping* mapping, const std::string& path,
                               Napi::Object owner, uint64_t offset, uint64_t length)
    : Napi::AsyncWorker(env, "safe-mmap"),
      deferred_(Napi::Promise::Deferred::New(env)),
      mapping_(mapping), path_(path), owner_(Napi::Persistent(owner)),
      offset_(offset), length_(length) {}

Napi::Promise PinnedPoolWork::Start() {
  Napi::Promise promise = deferred_.Promise();
  if (!mapping_->Pin()) {
    deferred_.Reject(MakeAccessError(Env(), path_, {true, offset_, length_},
                                     {AccessStatus::kClosed, -1, 0}));
    Destroy();
    return promise;
  }
  Queue();
  return promise;
}

PoolFlush::PoolFlush(Napi::Env env, FileMapping* mapping, const std::string& path,
                     Napi::Object owner, uint64_t offset, uint64_t length)
    : PinnedPoolWork(env, mapping, path, owner, offset, length) {}

void PoolFlush::Execute() { failure_ = mapping_->Flush(offset_, length_); }

void PoolFlush::OnOK() {
  mapping_->Unpin();
  if (failure_.error_number != 0) return deferred_.Reject(MakeSystemError(Env(), path_, failure_));
  deferred_.Resolve(Env().Undefined());
}

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
    reinterpret_cast<MetricsInfo>(dlsym(RTLD_DEFAULT, "uv_metrics_info"));
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
  return Resident(mapping, plan.offset, ReadLength(mapping, plan));
}

void* ContextOf(AccessPlan& plan) {
  return plan.resolution == AccessPlan::Resolution::kPosition ? static_cast<void*>(&plan.search)
                                                              : static_cast<void*>(plan.destination);
}

// Runs the plan's access on this thread: the owner's (Access) or the pool's
// (AccessFromPool, or pread for a large plain copy).
AccessResult RunPlan(FileMapping* mapping, AccessPlan& plan, bool from_pool, uint64_t* count) {
  using Reach = FileMapping::Reach;
  const Reach reach = !from_pool ? Reach::kOwner
                      : plan.plain_copy && plan.length >= kReadFrom ? Reach::kPoolByRead
                                                                    : Reach::kPool;
  *count = plan.length;
  if (plan.resolution == AccessPlan::Resolution::kReadCount) {
    return mapping->AccessUpToEnd(plan.offset, plan.length, plan.work, ContextOf(plan), reach, count);
  }
  switch (reach) {
    case Reach::kOwner: return mapping->Access(plan.offset, plan.length, plan.work, ContextOf(plan));
    case Reach::kPoolByRead: return mapping->CopyByRead(plan.offset, plan.length, plan.destination);
    default: return mapping->AccessFromPool(plan.offset, plan.length, plan.work, ContextOf(plan));
  }
}

// A plain copy with RWF_NOWAIT reads, on the calling thread.
AccessResult RunNoWait(FileMapping* mapping, AccessPlan& plan, uint64_t* count,
                       FileMapping::NoWait* no_wait) {
  *count = plan.length;
  if (plan.resolution == AccessPlan::Resolution::kReadCount) {
    return mapping->AccessUpToEnd(plan.offset, plan.length, plan.work, plan.destination,
                                  FileMapping::Reach::kNoWaitRead, count, no_wait);
  }
  return mapping->CopyByRead(plan.offset, plan.length, plan.destination, no_wait);
}

// Settles `deferred` with the outcome of a plan, on the JS thread. An
// aborted operation resolves with undefined; the JS side, which sees the
// signal, turns that into an AbortError.
void Settle(Napi::Env env, Napi::Promise::Deferred& deferred, const std::string& path,
            const AccessPlan& plan, bool aborted, const AccessResult& result, uint64_t count,
            Napi::Value holder) {
  if (aborted) return deferred.Resolve(env.Undefined());
  if (result.status != AccessStatus::kOk) {
    return deferred.Reject(MakeAccessError(env, path, {true, plan.offset, plan.length}, result));
  }
  switch (plan.resolution) {
    case AccessPlan::Resolution::kBuffer: return deferred.Resolve(holder);
    case AccessPlan::Resolution::kCount:
    case AccessPlan::Resolution::kReadCount:
      return deferred.Resolve(Napi::Number::New(env, double(count)));
    case AccessPlan::Resolution::kPosition:
      return deferred.Resolve(Napi::Number::New(env, double(plan.search.result)));
  }
}

}  // namespace

void SetLoopCounterUsable(bool usable) { loop_counter_usable.store(usable, std::memory_order_relaxed); }

void SetAsyncPathForTesting(AsyncPath path) {
  async_path.store(int32_t(path), std::memory_order_relaxed);
}

void AsyncPathCounts(double* calling_thread, double* pool) {
  *calling_thread = double(calling_thread_count.load(std::memory_order_relaxed));
  *pool = double(pool_count.load(std::memory_order_relaxed));
}

Napi::Promise StartAccess(Napi::Env env, FileMapping* mapping, const std::string& path,
                          Napi::Object owner, AccessPlan plan, Napi::Object holder,
                          Napi::Object abort_holder) {
  if (!RunsOnCallingThread(env, *mapping, plan)) {
    pool_count.fetch_add(1, std::memory_order_relaxed);
    return (new PoolAccess(env, mapping, path, owner, plan, holder, abort_holder))->Start();
  }
  // The fast path. Nothing can close or remap the mapping meanwhile (both
  // happen on this thread), so it needs no pin; Access reports kClosed after
  // close(). A page evicted since RangeResident answered makes this thread
  // wait for the disk on that fault: rare, and the access stays guarded.
  const bool aborted = AbortRequested(plan.abort_flag);
  uint64_t count = 0;
  AccessResult result = AccessResult::Ok();
  if (!aborted) {
    const bool forced = AsyncPath(async_path.load(std::memory_order_relaxed)) == AsyncPath::kCallingThread;
    FileMapping::NoWait no_wait = FileMapping::NoWait::kUnsupported;
    if (plan.plain_copy && !forced) {
      // Copy what the page cache holds with RWF_NOWAIT reads: they never wait
      // for the disk, and they start no readahead, whose I/O submission in a
      // fault blocked the event loop on a cold scan (p99 18 to 34 ms under
      // load, with mincore and a copy through the mapping; see the README).
      result = RunNoWait(mapping, plan, &count, &no_wait);
      if (no_wait == FileMapping::NoWait::kWouldBlock) {
        pool_count.fetch_add(1, std::memory_order_relaxed);
        return (new PoolAccess(env, mapping, path, owner, plan, holder, abort_holder))->Start();
      }
    }
    // The file system cannot read without waiting (EOPNOTSUPP): copy through
    // the mapping when it is resident, as for searches.
    if (no_wait == FileMapping::NoWait::kUnsupported) {
      if (!forced && !Resident(*mapping, plan.offset, ReadLength(*mapping, plan))) {
        pool_count.fetch_add(1, std::memory_order_relaxed);
        return (new PoolAccess(env, mapping, path, owner, plan, holder, abort_holder))->Start();
      }
      result = RunPlan(mapping, plan, false, &count);
    }
  }
  calling_thread_count.fetch_add(1, std::memory_order_relaxed);
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  Settle(env, deferred, path, plan, aborted, result, count, holder);
  return deferred.Promise();
}

PoolAccess::PoolAccess(Napi::Env env, FileMapping* mapping, const std::string& path,
                       Napi::Object owner, const AccessPlan& plan, Napi::Object holder,
                       Napi::Object abort_holder)
    : PinnedPoolWork(env, mapping, path, owner, plan.offset, plan.length), plan_(plan) {
  if (!holder.IsEmpty()) holder_ = Napi::Persistent(holder);
  if (!abort_holder.IsEmpty()) abort_holder_ = Napi::Persistent(abort_holder);
  if (plan_.resolution == AccessPlan::Resolution::kPosition) {
    needle_.assign(plan_.search.needle, plan_.search.needle + plan_.search.needle_length);
    plan_.search.needle = needle_.data();
  }
}

void PoolAccess::Execute() {
  if (AbortRequested(plan_.abort_flag)) {
    aborted_ = true;
    return;
  }
  result_ = RunPlan(mapping_, plan_, true, &count_);
}

void PoolAccess::OnOK() {
  Napi::Env env = Env();
  mapping_->Unpin();
  Settle(env, deferred_, path_, plan_, aborted_, result_, count_,
         holder_.IsEmpty() ? env.Undefined() : holder_.Value());
}

}  // namespace safe_mmap
