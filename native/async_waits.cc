// waitAsync's threads and their way back to JS (async_waits.h).
#include "async_waits.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <map>

#include "futex_waits.h"
#include "mapping_wrap.h"
#include "quiet_threads.h"
#include "shared_atomics.h"

namespace safe_mmap {
namespace {

struct AsyncWait {
  // Set by the JS thread before the thread starts; read-only afterwards.
  uint32_t id;
  const uint32_t* word;
  uint32_t expected;
  int64_t deadline_ns;
  int fd;  // the thread's own duplicate, closed by the thread
  uint64_t end;
  std::string path;  // for the error
  napi_threadsafe_function results;
  napi_ref callback = nullptr;  // JS thread only
  // The private futex word a cancel sets (CancelWait).
  std::atomic<uint32_t> cancel{0};
  WaitResult result{WaitEnd::kCancelled, -1, 0};
};

// Per environment (each worker has its own), on its JS thread only.
struct Waits {
  napi_threadsafe_function results = nullptr;
  std::map<uint32_t, AsyncWait*> pending;  // std::map: unordered_map's bucket array needs GLIBCXX_3.4.29 (glibc_floor.h)
  uint32_t next_id = 1;
  bool torn_down = false;
};

// On the JS thread: the wait ended. Calls back with (end, error)
// unless it was cancelled meanwhile (JS already settled it). env is null
// when the environment is being torn down: only free.
void DeliverResult(napi_env env, napi_value, void* context, void* data) {
  AsyncWait* wait = static_cast<AsyncWait*>(data);
  Waits* waits = static_cast<Waits*>(context);
  if (env != nullptr && !waits->torn_down) {
    const bool still_wanted = waits->pending.erase(wait->id) == 1;
    if (waits->pending.empty()) napi_unref_threadsafe_function(env, waits->results);
    napi_value callback;
    if (still_wanted && napi_get_reference_value(env, wait->callback, &callback) == napi_ok) {
      napi_value arguments[2], global, ignored;
      napi_create_int32(env, int32_t(wait->result.end), &arguments[0]);
      const WaitResult& ended = wait->result;
      if (ended.end == WaitEnd::kTruncated || ended.end == WaitEnd::kIOError) {
        const AccessResult failure = ended.end == WaitEnd::kTruncated
                                         ? AccessResult::Truncated(uint64_t(ended.file_size))
                                         : AccessResult::IOError(ended.file_size, ended.error_number);
        arguments[1] = MakeAccessError(Napi::Env(env), wait->path, {true, wait->end - 4, 4}, failure);
      } else {
        napi_get_undefined(env, &arguments[1]);
      }
      napi_get_global(env, &global);
      napi_call_function(env, global, callback, 2, arguments, &ignored);
    }
    napi_delete_reference(env, wait->callback);
  }
  delete wait;
}

void* RunAsyncWait(void* data) {
  AsyncWait* wait = static_cast<AsyncWait*>(data);
  wait->result = WaitOnWord(wait->word, wait->expected, wait->deadline_ns, &wait->cancel, wait->fd, wait->end);
  close(wait->fd);
  const napi_threadsafe_function results = wait->results;
  // Non-blocking into an unbounded queue: never waits for the JS thread.
  // napi_closing (the environment is going away): the queue will not take
  // it, so the wait is freed here.
  if (napi_call_threadsafe_function(results, wait, napi_tsfn_nonblocking) != napi_ok) delete wait;
  napi_release_threadsafe_function(results, napi_tsfn_release);
  return nullptr;
}

void TearDown(void* data) {
  Waits* waits = static_cast<Waits*>(data);
  waits->torn_down = true;
  for (auto& entry : waits->pending) CancelWait(&entry.second->cancel);
  waits->pending.clear();
  if (waits->results != nullptr) napi_release_threadsafe_function(waits->results, napi_tsfn_abort);
  // Queued results still reach DeliverResult (with a null env) and are
  // freed there; waits is leaked deliberately: a late DeliverResult may
  // still read torn_down. One small struct per environment.
}

// The environment's Waits, made at its first waitAsync and kept in its
// AddonState; its cleanup hook cancels what is pending.
Waits* WaitsOf(napi_env env) {
  AddonState* state = StateOf(env);
  if (state->async_waits != nullptr) return static_cast<Waits*>(state->async_waits);
  Waits* waits = new Waits();
  napi_value name;
  napi_create_string_utf8(env, "safe-mmap waitAsync", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, waits, DeliverResult,
                                      &waits->results) != napi_ok) {
    delete waits;
    return nullptr;
  }
  napi_unref_threadsafe_function(env, waits->results);
  napi_add_env_cleanup_hook(env, TearDown, waits);
  state->async_waits = waits;
  return waits;
}

}  // namespace

// waitAsync(slot, offset, expected, timeoutMs, callback) -> an id (> 0) of a
// pending wait whose callback(end, error) comes later, or -end when it
// ended at once (kNotEqual, kTimedOut). Throws like a read.
Napi::Value MappingWrap::WaitAsync(const Arguments& info) {
  Napi::Env env = info.Env();
  const uint64_t offset = uint64_t(info[0].As<Napi::Number>().Int64Value());
  const uint32_t expected = info[1].As<Napi::Number>().Uint32Value();
  const double timeout_ms = info[2].As<Napi::Number>().DoubleValue();
  AtomicCall load{AtomicOperation::kLoad, 4, 0, 0, 0};
  if (!GuardedAccess(env, offset, 4, RunAtomic, &load)) return Napi::Value();
  if (uint32_t(load.result) != expected) return Napi::Number::New(env, -int(WaitEnd::kNotEqual));
  if (timeout_ms <= 0) return Napi::Number::New(env, -int(WaitEnd::kTimedOut));
  Waits* waits = WaitsOf(env);
  const int fd = mapping_.DuplicateDescriptor();
  if (waits == nullptr || fd < 0) {
    if (fd >= 0) close(fd);
    Napi::Error::New(env, "safe-mmap: cannot start a waitAsync").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  AsyncWait* wait = new AsyncWait();
  wait->id = waits->next_id++;
  if (waits->next_id == 0x7fffffff) waits->next_id = 1;
  wait->word = reinterpret_cast<const uint32_t*>(mapping_.AddressFor(offset, 4));
  wait->expected = expected;
  wait->deadline_ns = DeadlineAfter(timeout_ms);
  wait->fd = fd;
  wait->end = offset + 4;
  wait->path = path_;
  wait->results = waits->results;
  napi_create_reference(env, info[3], 1, &wait->callback);
  napi_acquire_threadsafe_function(waits->results);
  // The thread blocks every signal (quiet_threads.h): no process-directed
  // signal should land on a sleeping waiter.
  if (StartQuietThread(RunAsyncWait, wait, 64 * 1024) != 0) {
    napi_release_threadsafe_function(waits->results, napi_tsfn_release);
    napi_delete_reference(env, wait->callback);
    close(fd);
    delete wait;
    Napi::Error::New(env, "safe-mmap: cannot start a waitAsync thread").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  if (waits->pending.empty()) napi_ref_threadsafe_function(env, waits->results);
  waits->pending.emplace(wait->id, wait);
  return Napi::Number::New(env, double(wait->id));
}

Napi::Value CancelAsyncWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Waits* waits = static_cast<Waits*>(StateOf(env)->async_waits);
  if (waits == nullptr || waits->torn_down) return env.Undefined();
  const auto found = waits->pending.find(info[0].As<Napi::Number>().Uint32Value());
  if (found == waits->pending.end()) return env.Undefined();
  // The thread still owns the wait and delivers it; DeliverResult, finding
  // no entry, only frees it.
  CancelWait(&found->second->cancel);
  waits->pending.erase(found);
  if (waits->pending.empty()) napi_unref_threadsafe_function(env, waits->results);
  return env.Undefined();
}

}  // namespace safe_mmap
