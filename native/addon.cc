// N-API bindings (this file, native_mapping.cc, js_errors.cc and
// copy_work.cc). The TypeScript layer validates every argument before calling
// in here; the bindings re-check only what memory safety depends on (ranges
// against the mapping and the target), and turns AccessResult into the JS
// error classes through a factory that src/binding.ts registers.
//
// No Buffer or ArrayBuffer created here ever aliases a mapping: every byte
// that leaves the addon is copied under the guard into JS-owned memory,
// because a fault in V8-compiled code could not be recovered.
//
// This file holds the module: its per-environment state (addon_state.h), the
// slot functions and read(), and the test hooks. The wrapper of one mapping
// is in native_mapping.{h,cc}, the error plumbing in js_errors.{h,cc}, the
// work run under the guard in copy_work.{h,cc}.
#include <napi.h>

#include <cstring>
#include <memory>
#include <string>

#include "addon_state.h"
#include "guard.h"
#include "lease.h"
#include "lease_policy.h"
#include "native_mapping.h"
#include "pool.h"

namespace safe_mmap {

// Not in an anonymous namespace: NativeMapping (native_mapping.h) names it
// as a friend.
class SafeMmapAddon : public Napi::Addon<SafeMmapAddon>, public AddonState {
 public:
  SafeMmapAddon(Napi::Env env, Napi::Object exports) {
    // Install the handler at load, not lazily inside a first read, so that
    // the chaining target (the previous action) is fixed early and visibly.
    const int install_error = InstallFaultGuard();
    if (install_error != 0) {
      Napi::Error::New(env, std::string("safe-mmap: cannot install the SIGBUS handler: ") +
                                strerror(install_error))
          .ThrowAsJavaScriptException();
      return;
    }
    AddonState* state = this;  // Napi::Addon owns it and frees it with env
    Napi::Buffer<uint8_t> scratch = Napi::Buffer<uint8_t>::New(env, kScratchSize);
    state->scratch = scratch.Data();
    state->scratch_reference = Napi::Persistent(scratch);
    Napi::Float64Array read_arguments_array = Napi::Float64Array::New(env, 3);
    state->read_arguments = read_arguments_array.Data();
    state->read_arguments_reference = Napi::Persistent(read_arguments_array);
    state->slots = std::make_shared<MappingSlots>();
    Napi::Function mapping_class = NativeMapping::Define(env);

    DefineAddon(exports,
                {InstanceValue("NativeMapping", mapping_class),
                 InstanceValue("scratch", scratch),
                 InstanceValue("readArguments", read_arguments_array),
                 InstanceMethod<&SafeMmapAddon::Read>("read"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&NativeMapping::CopyTo>>("copyTo"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&NativeMapping::Snapshot>>("snapshot"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&NativeMapping::ReadAt>>("readAt"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&NativeMapping::IndexOf>>("indexOf"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&NativeMapping::CompareWith>>("compare"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&NativeMapping::WriteFrom>>("writeFrom"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&NativeMapping::FillWith>>("fill"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&NativeMapping::RawCopyForBenchmark>>(
                     "rawCopyForBenchmark"),
                 InstanceMethod<&SafeMmapAddon::SetErrorFactory>("setErrorFactory"),
                 InstanceMethod<&SafeMmapAddon::SetGuardEnabled>(
                     "setGuardEnabledForTesting"),
                 InstanceMethod<&SafeMmapAddon::SetAsyncPath>("setAsyncPathForTesting"),
                 InstanceMethod<&SafeMmapAddon::AsyncPaths>("asyncPathCounts"),
                 InstanceMethod<&SafeMmapAddon::SetLoopCounter>("setLoopCounterUsable"),
                 InstanceMethod<&SafeMmapAddon::SetResumeThroughSigreturn>(
                     "setResumeThroughSigreturnForTesting"),
                 InstanceMethod<&SafeMmapAddon::SetLeaseEpochCheckEnabled>(
                     "setLeaseEpochCheckEnabledForTesting"),
                 InstanceMethod<&SafeMmapAddon::SetLeaseWatcherPaused>("setLeaseWatcherPausedForTesting"),
                 InstanceMethod<&SafeMmapAddon::LeaseBeginStall>("leaseBeginStallForTesting"),
                 InstanceMethod<&SafeMmapAddon::SetLeaseBackoffEnabled>("setLeaseBackoffEnabledForTesting"),
                 InstanceMethod<&SafeMmapAddon::LeaseBreaks>("leaseBreaksHandled")});
  }

 private:
  // method(slot, ...arguments) -> the NativeMapping method on the arguments.
  template <Napi::Value (NativeMapping::*method)(const Arguments&)>
  Napi::Value OnSlot(const Napi::CallbackInfo& info) {
    NativeMapping* mapping = slots->At(info[0].As<Napi::Number>().Uint32Value());
    if (mapping == nullptr) {
      Napi::TypeError::New(info.Env(), "not a live mapping slot").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    return (mapping->*method)(Arguments(info, 1));
  }

  // read(): the numeric reads (readUInt32LE...), the hottest call. Its
  // arguments, [slot, offset, length <= 8], come through readArguments, a
  // Float64Array that JS fills: converting three napi values cost about as
  // much as the copy and the guard together. They are checked here like
  // any argument.
  Napi::Value Read(const Napi::CallbackInfo& info) {
    const double slot = read_arguments[0], offset = read_arguments[1], length = read_arguments[2];
    NativeMapping* mapping = slot >= 0 && slot < 4294967296.0 ? slots->At(uint32_t(slot)) : nullptr;
    // 2^53: every integer below is a double; the mapping bounds the rest.
    const bool valid = offset >= 0 && offset <= 9007199254740992.0 && offset == double(uint64_t(offset)) &&
                       length >= 0 && length <= double(kScratchSize) && length == double(uint64_t(length));
    if (mapping == nullptr || !valid) {
      Napi::RangeError::New(info.Env(), "bad read arguments").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    mapping->Read(info.Env(), uint64_t(offset), uint64_t(length));
    return Napi::Value();
  }

  Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
    StateOf(info.Env())->make_error = Napi::Persistent(info[0].As<Napi::Function>());
    return info.Env().Undefined();
  }

  // setAsyncPathForTesting(0 auto | 1 calling thread | 2 pool): pool.h's AsyncPath.
  Napi::Value SetLoopCounter(const Napi::CallbackInfo& info) {
    SetLoopCounterUsable(info[0].ToBoolean().Value());
    return info.Env().Undefined();
  }

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

  Napi::Value SetGuardEnabled(const Napi::CallbackInfo& info) {
    SetGuardEnabledForTesting(info[0].ToBoolean().Value());
    return info.Env().Undefined();
  }

  Napi::Value SetLeaseEpochCheckEnabled(const Napi::CallbackInfo& info) {
    SetLeaseEpochCheckEnabledForTesting(info[0].ToBoolean().Value());
    return info.Env().Undefined();
  }

  Napi::Value SetLeaseBackoffEnabled(const Napi::CallbackInfo& info) {
    SetLeaseBackoffEnabledForTesting(info[0].ToBoolean().Value());
    return info.Env().Undefined();
  }

  Napi::Value SetLeaseWatcherPaused(const Napi::CallbackInfo& info) {
    SetLeaseWatcherPausedForTesting(info[0].ToBoolean().Value());
    return info.Env().Undefined();
  }

  // leaseBeginStallForTesting(0 release | 1 arm | 2 ask) -> 0 off | 1 armed | 2 stalled
  Napi::Value LeaseBeginStall(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), LeaseBeginStallForTesting(info[0].As<Napi::Number>().Int32Value()));
  }

  Napi::Value LeaseBreaks(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(LeaseBreaksHandled()));
  }

  Napi::Value SetResumeThroughSigreturn(const Napi::CallbackInfo& info) {
    SetResumeThroughSigreturnForTesting(info[0].ToBoolean().Value());
    return info.Env().Undefined();
  }
};

AddonState* StateOf(Napi::Env env) { return env.GetInstanceData<SafeMmapAddon>(); }

}  // namespace safe_mmap

using safe_mmap::SafeMmapAddon;
NODE_API_ADDON(SafeMmapAddon)
