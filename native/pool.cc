#include "pool.h"

namespace safe_mmap {

bool AbortRequested(const int32_t* flag) {
  return flag != nullptr && __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0;
}

PoolFlush::PoolFlush(Napi::Env env, FileMapping* mapping, const std::string& path,
                     Napi::Object owner, uint64_t offset, uint64_t length)
    : Napi::AsyncWorker(env, "safe-mmap"),
      deferred_(Napi::Promise::Deferred::New(env)),
      mapping_(mapping), path_(path), owner_(Napi::Persistent(owner)),
      offset_(offset), length_(length) {}

Napi::Promise PoolFlush::Start() {
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

void PoolFlush::Execute() { failure_ = mapping_->Flush(offset_, length_); }

void PoolFlush::OnOK() {
  mapping_->Unpin();
  if (failure_.error_number != 0) return deferred_.Reject(MakeSystemError(Env(), path_, failure_));
  deferred_.Resolve(Env().Undefined());
}

PoolAccess::PoolAccess(Napi::Env env, FileMapping* mapping, const std::string& path,
                       Napi::Object owner, uint64_t offset, uint64_t length, MappedWork work,
                       Resolution resolution)
    : Napi::AsyncWorker(env, "safe-mmap"),
      deferred_(Napi::Promise::Deferred::New(env)),
      mapping_(mapping),
      path_(path),
      owner_(Napi::Persistent(owner)),
      offset_(offset),
      length_(length),
      work_(work),
      resolution_(resolution) {}

Napi::Promise PoolAccess::Start() {
  if (!mapping_->Pin()) {
    deferred_.Reject(MakeAccessError(Env(), path_, {true, offset_, length_},
                                     {AccessStatus::kClosed, -1, 0}));
    Napi::Promise promise = deferred_.Promise();
    Destroy();
    return promise;
  }
  Napi::Promise promise = deferred_.Promise();
  Queue();
  return promise;
}

void PoolAccess::Execute() {
  if (AbortRequested(abort_flag_)) {
    aborted_ = true;
    return;
  }
  void* context = resolution_ == Resolution::kPosition ? static_cast<void*>(&search_)
                                                       : static_cast<void*>(copy_destination_);
  result_ = mapping_->AccessFromPool(offset_, length_, work_, context);
}

void PoolAccess::OnOK() {
  Napi::Env env = Env();
  mapping_->Unpin();
  // An aborted operation resolves with undefined; the JS side, which sees
  // the signal, turns that into an AbortError.
  if (aborted_) return deferred_.Resolve(env.Undefined());
  if (result_.status != AccessStatus::kOk) {
    return deferred_.Reject(MakeAccessError(env, path_, {true, offset_, length_}, result_));
  }
  switch (resolution_) {
    case Resolution::kBuffer: return deferred_.Resolve(destination_holder_.Value());
    case Resolution::kCount: return deferred_.Resolve(Napi::Number::New(env, double(length_)));
    case Resolution::kPosition: return deferred_.Resolve(Napi::Number::New(env, double(search_.result)));
  }
}

}  // namespace safe_mmap
