// The waiting lock()s, for both platforms (lock_waiters.h): the table of
// waiters by id, their threadsafe functions, lockRangeWait's setup and
// cancelLockWait.
#include "lock_waiters.h"

#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "mapping_wrap.h"
#include "record_locks.h"

namespace safe_mmap {
namespace {

std::mutex table_mutex;
std::map<uint32_t, std::shared_ptr<LockWaiter>> waiters;  // by id; std::map: unordered_map's bucket array needs GLIBCXX_3.4.29 (glibc_floor.h)
uint32_t next_id = 1;

std::shared_ptr<LockWaiter> FindWaiter(uint32_t id) {
  std::lock_guard<std::mutex> hold(table_mutex);
  auto found = waiters.find(id);
  return found == waiters.end() ? nullptr : found->second;
}

void Cancel(LockWaiter& waiter) {
  waiter.cancelled.store(true);
  waiter.Interrupt();
}

// Runs on the JS thread: the waiter's result reaches its callback.
void CallReport(napi_env env, napi_value callback, void*, void* data) {
  const int result = int(reinterpret_cast<intptr_t>(data));
  if (env == nullptr || callback == nullptr) return;  // the environment is going
  napi_value argument, ignored, receiver;
  napi_get_undefined(env, &receiver);
  napi_create_int32(env, result, &argument);
  napi_call_function(env, receiver, callback, 1, &argument, &ignored);
}

// Runs on the JS thread when the threadsafe function goes: after the report,
// or at the environment's teardown with the thread still waiting, which then
// has to stop (its duplicate would keep the MappedFile's locks otherwise) and
// must not call the function, which Node frees after this.
void FinalizeReport(napi_env, void* data, void*) {
  std::unique_ptr<std::shared_ptr<LockWaiter>> holder(static_cast<std::shared_ptr<LockWaiter>*>(data));
  LockWaiter& waiter = **holder;
  {
    std::lock_guard<std::mutex> hold(waiter.mutex);
    waiter.report_gone = true;
  }
  Cancel(waiter);
}

}  // namespace

void FinishLockWait(LockWaiter& waiter, int result) {
  CloseFile(waiter.file);
  waiter.file = kNoFile;
  {
    std::lock_guard<std::mutex> hold(table_mutex);
    waiters.erase(waiter.id);
  }
  // Under the lock, against FinalizeReport. The queue is unbounded, so the
  // call only queues: it never waits for the JS thread.
  std::lock_guard<std::mutex> hold(waiter.mutex);
  if (!waiter.report_gone) {
    napi_call_threadsafe_function(waiter.report, reinterpret_cast<void*>(intptr_t(result)), napi_tsfn_blocking);
    napi_release_threadsafe_function(waiter.report, napi_tsfn_release);
  }
}

// lockRangeWait(offset, length, shared, callback) -> the waiter's id (> 0),
// -1 when closed, or -errno when no thread could be started. callback(result)
// comes once, on this thread: 0 held, ECANCELED after cancelLockWait (the
// range is then not held), or the platform's error (fcntl's errno,
// LockFileEx's error).
Napi::Value MappingWrap::LockRangeWait(const Arguments& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
  const bool shared = info[2].ToBoolean().Value();
  Napi::Function callback = info[3].As<Napi::Function>();
  if (env.IsExceptionPending()) return Napi::Value();
  if (mapping_.closed() || mapping_.descriptor() == kNoFile) return Napi::Number::New(env, -1);

  int error = 0;
  std::shared_ptr<LockWaiter> waiter = NewLockWaiter(offset, length, shared, &error);
  if (waiter == nullptr) return Napi::Number::New(env, -error);
  // DuplicateFile, not mapping_.DuplicateDescriptor(): a failure's errno.
  error = DuplicateFile(mapping_.descriptor(), &waiter->file);
  if (error != 0) return Napi::Number::New(env, -error);
  uint32_t id;
  {
    std::lock_guard<std::mutex> hold(table_mutex);
    id = next_id++;
    if (next_id == 0 || next_id > 0x7fffffffu) next_id = 1;
    waiters[id] = waiter;
  }
  waiter->id = id;  // the thread, which reads it, starts after this
  const auto forget = [&](int failure) {
    std::lock_guard<std::mutex> hold(table_mutex);
    waiters.erase(id);
    CloseFile(waiter->file);
    return Napi::Number::New(env, -failure);
  };
  napi_value name;
  napi_create_string_utf8(env, "safe-mmap.lock", NAPI_AUTO_LENGTH, &name);
  auto* holder = new std::shared_ptr<LockWaiter>(waiter);  // FinalizeReport's
  if (napi_create_threadsafe_function(env, callback, nullptr, name, 0, 1, holder, FinalizeReport, nullptr,
                                      CallReport, &waiter->report) != napi_ok) {
    delete holder;
    return forget(JsErrno(ENOMEM));
  }
  error = StartLockWaiter(waiter);
  if (error != 0) {
    napi_release_threadsafe_function(waiter->report, napi_tsfn_abort);
    return forget(error);
  }
  return Napi::Number::New(env, double(id));
}

Napi::Value CancelLockWait(const Napi::CallbackInfo& info) {
  const uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  if (std::shared_ptr<LockWaiter> waiter = FindWaiter(id)) Cancel(*waiter);
  return info.Env().Undefined();
}

}  // namespace safe_mmap
