// The JS class ChangeWatch (src/watch.ts's native half) over one
// ChangeWatch (change_watch.h): its own descriptor of a mapping's file, its
// threadsafe function, and the environment cleanup that stops it when a
// worker's environment goes away with the watch still running.
#include "change_watch_bindings.h"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include "addon_state.h"
#include "change_watch.h"
#include "js_errors.h"
#include "lease.h"
#include "mapping_wrap.h"

namespace safe_mmap {
namespace {

// What the threadsafe function's finalizer reaches: the watch, once started.
struct FinalizeBox {
  ChangeWatch* watch = nullptr;
};

void FinalizeThreadsafeFunction(napi_env, void* data, void*) {
  auto* box = static_cast<FinalizeBox*>(data);
  if (box->watch != nullptr) box->watch->ForgetThreadsafeFunction();
  delete box;
}

// Calls JS's onChange() with nothing: JS reads the latest state with take().
void CallOnChange(napi_env env, napi_value on_change, void*, void*) {
  if (env == nullptr || on_change == nullptr) return;  // torn down
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, on_change, 0, nullptr, nullptr);
}

// A descriptor of our own, so that the watch's lease is not the mapping's
// (a lease belongs to an open file description): the mapping's file
// reopened through /proc, else by path.
int OpenOwnDescriptor(int mapping_fd, const std::string& path) {
  char proc_path[64];
  snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", mapping_fd);
  const int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
  int fd = open(proc_path, flags);
  if (fd < 0) fd = open(path.c_str(), flags);
  return fd;
}

class ChangeWatchWrap : public Napi::ObjectWrap<ChangeWatchWrap> {
 public:
  // new ChangeWatch(slot, path, wantLease, onChange)
  explicit ChangeWatchWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ChangeWatchWrap>(info) {
    Napi::Env env = info.Env();
    env_ = env;
    MappingWrap* mapping = StateOf(env)->slots->At(info[0].As<Napi::Number>().Uint32Value());
    const std::string path = info[1].As<Napi::String>().Utf8Value();
    const int mapping_fd = mapping == nullptr ? -1 : mapping->descriptor();
    if (mapping_fd < 0) {
      Napi::TypeError::New(env, "not a live mapping slot").ThrowAsJavaScriptException();
      return;
    }
    const int fd = OpenOwnDescriptor(mapping_fd, path);
    if (fd < 0) {
      ThrowIfFailed(env, path, OsFailure::Of(errno, "open"));
      return;
    }
    const bool want_lease = info[2].ToBoolean().Value() && LeaseAllowedOn(fd);
    auto* box = new FinalizeBox;
    napi_threadsafe_function tsfn;
    if (napi_create_threadsafe_function(env, info[3], nullptr, Napi::String::New(env, "safe-mmap:watch"), 0, 1,
                                        box, FinalizeThreadsafeFunction, nullptr, CallOnChange,
                                        &tsfn) != napi_ok) {
      delete box;
      close(fd);
      return;  // an exception is pending
    }
    // Not holding the event loop open by itself: src/watch.ts refs it while
    // a next() is pending (as fs.promises.watch's loop does).
    napi_unref_threadsafe_function(env, tsfn);
    watch_ = ChangeWatch::Start(fd, want_lease, tsfn);
    if (watch_ == nullptr) {
      napi_release_threadsafe_function(tsfn, napi_tsfn_release);
      Napi::Error::New(env, "safe-mmap: cannot start the change-watch thread").ThrowAsJavaScriptException();
      return;
    }
    box->watch = watch_;
    // Registered after the threadsafe function, so it runs before Node's own
    // teardown of it (cleanup hooks run last-in, first-out).
    napi_add_env_cleanup_hook(env, CleanupHook, this);
  }

  ~ChangeWatchWrap() override { StopWatch(true); }

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ChangeWatch",
                       {InstanceMethod<&ChangeWatchWrap::Take>("take"),
                        InstanceMethod<&ChangeWatchWrap::Ack>("ack"),
                        InstanceMethod<&ChangeWatchWrap::Poll>("poll"),
                        InstanceMethod<&ChangeWatchWrap::Lease>("lease"),
                        InstanceMethod<&ChangeWatchWrap::Ref>("ref"),
                        InstanceMethod<&ChangeWatchWrap::Stop>("stop")});
  }

 private:
  static void CleanupHook(void* data) {
    auto* wrap = static_cast<ChangeWatchWrap*>(data);
    wrap->StopWatch(false);
  }

  // Idempotent. remove_hook: not when running as the hook itself.
  void StopWatch(bool remove_hook) {
    if (watch_ == nullptr) return;
    napi_threadsafe_function tsfn = watch_->Stop();
    watch_ = nullptr;
    if (tsfn != nullptr) napi_release_threadsafe_function(tsfn, napi_tsfn_release);
    if (remove_hook) napi_remove_env_cleanup_hook(env_, CleanupHook, this);
  }

  bool Live(Napi::Env env) {
    if (watch_ != nullptr) return true;
    Napi::Error::New(env, "safe-mmap: the watch was stopped").ThrowAsJavaScriptException();
    return false;
  }

  // take() -> undefined (nothing new) | [methods, sequence, size]
  Napi::Value Take(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return Napi::Value();
    int methods;
    uint64_t sequence;
    double size;
    if (!watch_->Take(&methods, &sequence, &size)) return env.Undefined();
    Napi::Array result = Napi::Array::New(env, 3);
    result.Set(uint32_t(0), Napi::Number::New(env, methods));
    result.Set(uint32_t(1), Napi::Number::New(env, double(sequence)));
    result.Set(uint32_t(2), Napi::Number::New(env, size));
    return result;
  }

  Napi::Value Ack(const Napi::CallbackInfo& info) {
    if (Live(info.Env())) watch_->Ack(uint64_t(info[0].As<Napi::Number>().Int64Value()));
    return info.Env().Undefined();
  }

  Napi::Value Poll(const Napi::CallbackInfo& info) {
    if (Live(info.Env())) watch_->Poll();
    return info.Env().Undefined();
  }

  // lease() -> WatchLease (change_watch.h)
  Napi::Value Lease(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), watch_ == nullptr ? int(kLeaseNever) : watch_->lease_state());
  }

  // ref(true) keeps the event loop alive while a next() is pending, and
  // lets a break be held for that consumer (ChangeWatch::SetConsumerWaiting).
  Napi::Value Ref(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (watch_ != nullptr && watch_->tsfn() != nullptr) {
      const bool waiting = info[0].ToBoolean().Value();
      watch_->SetConsumerWaiting(waiting);
      if (waiting) napi_ref_threadsafe_function(env, watch_->tsfn());
      else napi_unref_threadsafe_function(env, watch_->tsfn());
    }
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopWatch(true);
    return info.Env().Undefined();
  }

  napi_env env_ = nullptr;
  ChangeWatch* watch_ = nullptr;
};

}  // namespace

Napi::Function DefineChangeWatch(Napi::Env env) { return ChangeWatchWrap::Define(env); }

}  // namespace safe_mmap
