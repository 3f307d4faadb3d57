// The asynchronous accesses (pool.h): started on the JS thread, run at once
// there or on libuv's thread pool as placement.h decides, settled on the JS
// thread.
#include "pool.h"

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

Napi::Promise StartAccess(Napi::Env env, FileMapping* mapping, const std::string& path,
                          Napi::Object owner, AccessPlan plan, Napi::Object holder,
                          Napi::Object abort_holder) {
  if (!RunsOnCallingThread(env, *mapping, plan)) {
    CountAsyncAccess(false);
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
    const bool forced = CurrentAsyncPath() == AsyncPath::kCallingThread;
    FileMapping::NoWait no_wait = FileMapping::NoWait::kUnsupported;
    if (plan.plain_copy && !forced) {
      // Copy what the page cache holds with RWF_NOWAIT reads: they never wait
      // for the disk, and they start no readahead, whose I/O submission in a
      // fault blocked the event loop on a cold scan (p99 18 to 34 ms under
      // load, with mincore and a copy through the mapping; docs/benchmarks.md).
      result = RunNoWait(mapping, plan, &count, &no_wait);
      if (no_wait == FileMapping::NoWait::kWouldBlock) {
        CountAsyncAccess(false);
        return (new PoolAccess(env, mapping, path, owner, plan, holder, abort_holder))->Start();
      }
    }
    // The file system cannot read without waiting (EOPNOTSUPP): copy through
    // the mapping when it is resident, as for searches.
    if (no_wait == FileMapping::NoWait::kUnsupported) {
      if (!forced && !ResidentForPlan(*mapping, plan)) {
        CountAsyncAccess(false);
        return (new PoolAccess(env, mapping, path, owner, plan, holder, abort_holder))->Start();
      }
      result = RunPlan(mapping, plan, false, &count);
    }
  }
  CountAsyncAccess(true);
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