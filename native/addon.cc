// The addon's module: N-API bindings (this file, mapping_wrap.cc,
// js_errors.cc, copy_work.cc and testing.cc). The TypeScript layer validates every argument before calling
// in here; the bindings re-check only what memory safety depends on (ranges
// against the mapping and the target), and turns AccessResult into the JS
// error classes through a factory that src/binding.ts registers.
//
// No Buffer or ArrayBuffer created here aliases the file's mapping: every
// byte that leaves the addon is copied under the guard into JS-owned memory,
// because a fault in V8-compiled code could not be unwound. The one
// exception is a lazy snapshot (lazy_ranges.h): a private mapping made under
// a read lease, turned into a copy before any writer may start, and whose
// holes become zero pages instead of faults.
//
// This file holds the module: its per-environment state (addon_state.h), the
// slot functions and read(), and the constants JS shares with C++. The
// wrapper of one mapping is in mapping_wrap.{h,cc}, the error plumbing in
// js_errors.{h,cc}, change notifications in change_watch{,_bindings}.cc, the work run under the guard in copy_work.{h,cc}, the
// test-only hooks in testing.{h,cc}.
#include <napi.h>

#include <cstring>
#include <memory>
#include <string>

#include "addon_state.h"
#include "change_watch.h"
#include "change_watch_bindings.h"
#include "guard.h"
#include "js_errors.h"
#include "async_waits.h"
#include "futex_waits.h"
#include "lazy_bindings.h"
#include "lazy_ranges.h"
#include "mapping_wrap.h"
#include "placement.h"
#include "record_locks.h"
#include "testing.h"

namespace safe_mmap {

namespace {

// The numbers that JS and C++ share, exported so that src/ reads them
// instead of keeping copies in step: the validation modes and methods, the
// advice kinds, the mapping's option flags and the error kinds (js_errors.h).
Napi::Object MakeConstants(Napi::Env env) {
  const auto table = [&](std::initializer_list<std::pair<const char*, int32_t>> entries) {
    Napi::Object object = Napi::Object::New(env);
    for (const auto& [name, value] : entries) object.Set(name, Napi::Number::New(env, value));
    return object;
  };
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("validationMode", table({{"always", int32_t(ValidationMode::kAlways)},
                                         {"fault", int32_t(ValidationMode::kFault)}}));
  constants.Set("validationMethod", table({{"lease", int32_t(ValidationMethod::kLease)},
                                           {"fstat", int32_t(ValidationMethod::kFstat)},
                                           {"none", int32_t(ValidationMethod::kNone)}}));
  constants.Set("advice", table({{"normal", int32_t(Advice::kNormal)},
                                 {"sequential", int32_t(Advice::kSequential)},
                                 {"random", int32_t(Advice::kRandom)},
                                 {"willneed", int32_t(Advice::kWillNeed)},
                                 {"dontneed", int32_t(Advice::kDontNeed)},
                                 {"hugepage", int32_t(Advice::kHugePage)}}));
  constants.Set("atomics", table({{"load", int32_t(AtomicOperation::kLoad)},
                                  {"store", int32_t(AtomicOperation::kStore)},
                                  {"add", int32_t(AtomicOperation::kAdd)},
                                  {"sub", int32_t(AtomicOperation::kSub)},
                                  {"and", int32_t(AtomicOperation::kAnd)},
                                  {"or", int32_t(AtomicOperation::kOr)},
                                  {"xor", int32_t(AtomicOperation::kXor)},
                                  {"exchange", int32_t(AtomicOperation::kExchange)},
                                  {"compareExchange", int32_t(AtomicOperation::kCompareExchange)}}));
  constants.Set("waitEnd", table({{"ok", int32_t(WaitEnd::kOk)},
                                  {"notEqual", int32_t(WaitEnd::kNotEqual)},
                                  {"timedOut", int32_t(WaitEnd::kTimedOut)},
                                  {"cancelled", int32_t(WaitEnd::kCancelled)},
                                  {"truncated", int32_t(WaitEnd::kTruncated)},
                                  {"ioError", int32_t(WaitEnd::kIOError)}}));
  constants.Set("mapFlag", table({{"writable", kWritable}, {"populate", kPopulate}, {"grow", kGrow},
                                  {"stable", kStable}, {"noLease", kNoLease}}));
  constants.Set("lazy", table({{"mapped", int32_t(LazyState::kMapped)},
                               {"copied", int32_t(LazyState::kCopied)},
                               {"gone", int32_t(LazyState::kGone)},
                               {"undamaged", int32_t(LazyDamage::kNone)},
                               {"truncated", int32_t(LazyDamage::kTruncated)},
                               {"ioError", int32_t(LazyDamage::kIOError)},
                               {"minimumBytes", int32_t(kLazyMinimumBytes)}}));
  constants.Set("watch", table({{"leaseNever", int32_t(kLeaseNever)},
                               {"leaseWanted", int32_t(kLeaseWanted)},
                               {"leaseHeld", int32_t(kLeaseHeld)},
                               {"leaseHolding", int32_t(kLeaseHolding)},
                               {"seenByLease", int32_t(kSeenByLease)},
                               {"seenByInotify", int32_t(kSeenByInotify)},
                               {"seenByPoll", int32_t(kSeenByPoll)}}));
  constants.Set("errorKind", table({{"truncated", int32_t(ErrorKind::kTruncated)},
                                    {"io", int32_t(ErrorKind::kIO)},
                                    {"closed", int32_t(ErrorKind::kClosed)},
                                    {"outOfRange", int32_t(ErrorKind::kOutOfRange)},
                                    {"system", int32_t(ErrorKind::kSystem)},
                                    {"readOnly", int32_t(ErrorKind::kReadOnly)},
                                    {"changed", int32_t(ErrorKind::kChanged)}}));
  return constants;
}

}  // namespace

// Not in an anonymous namespace: MappingWrap (mapping_wrap.h) names it
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
    Napi::Float64Array atomic_arguments = Napi::Float64Array::New(env, 7);
    state->atomic_arguments = atomic_arguments.Data();
    state->atomic_arguments_reference = Napi::Persistent(atomic_arguments);
    Napi::BigUint64Array atomic_big_values = Napi::BigUint64Array::New(env, 3);
    state->atomic_big_values = atomic_big_values.Data();
    state->atomic_big_values_reference = Napi::Persistent(atomic_big_values);
    state->slots = std::make_shared<MappingSlots>();
    Napi::Function mapping_class = MappingWrap::Define(env);

    DefineAddon(exports,
                {InstanceValue("NativeMapping", mapping_class),
                 InstanceValue("ChangeWatch", DefineChangeWatch(env)),
                 InstanceValue("scratch", scratch),
                 InstanceValue("readArguments", read_arguments_array),
                 InstanceValue("atomicArguments", atomic_arguments),
                 InstanceValue("atomicBigValues", atomic_big_values),
                 InstanceValue("constants", MakeConstants(env)),
                 InstanceValue("testing", MakeTestingObject(env)),
                 InstanceMethod<&SafeMmapAddon::Read>("read"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::CopyTo>>("copyTo"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::Snapshot>>("snapshot"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::LazySnapshot>>("lazySnapshot"),
                 InstanceMethod<&SafeMmapAddon::LazyState>("lazySnapshotState"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::ReadAt>>("readAt"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::IndexOf>>("indexOf"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::CompareWith>>("compare"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::WriteFrom>>("writeFrom"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::FillWith>>("fill"),
                 InstanceMethod<&SafeMmapAddon::Atomic>("atomic"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::Wait>>("wait"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::Notify>>("notify"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::WaitAsync>>("waitAsync"),
                 InstanceMethod<&SafeMmapAddon::CancelWait>("cancelWait"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::LockRange>>("lockRange"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::UnlockRange>>("unlockRange"),
                 InstanceMethod<&SafeMmapAddon::OnSlot<&MappingWrap::LockRangeWait>>("lockRangeWait"),
                 InstanceMethod<&SafeMmapAddon::CancelLock>("cancelLockWait"),
                 InstanceMethod<&SafeMmapAddon::SetErrorFactory>("setErrorFactory"),
                 InstanceMethod<&SafeMmapAddon::SetLoopCounter>("setLoopCounterUsable")});
    ApplyTestSwitchesFromEnvironment();
  }

 private:
  // method(slot, ...arguments) -> the MappingWrap method on the arguments.
  template <Napi::Value (MappingWrap::*method)(const Arguments&)>
  Napi::Value OnSlot(const Napi::CallbackInfo& info) {
    MappingWrap* mapping = slots->At(info[0].As<Napi::Number>().Uint32Value());
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
    MappingWrap* mapping = slot >= 0 && slot < 4294967296.0 ? slots->At(uint32_t(slot)) : nullptr;
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

  // atomic(): view.atomics()' operations, as hot as read(). Arguments in
  // atomicArguments [slot, operation, width, offset, value, replacement],
  // the 64-bit values in atomicBigValues; the old value goes back to
  // atomicArguments[6] (width 4) or atomicBigValues[2] (width 8). JS
  // checked the index, the alignment and writability.
  Napi::Value Atomic(const Napi::CallbackInfo& info) {
    const double* arguments = atomic_arguments;
    const double slot = arguments[0], operation = arguments[1], width = arguments[2], offset = arguments[3];
    MappingWrap* mapping = slot >= 0 && slot < 4294967296.0 ? slots->At(uint32_t(slot)) : nullptr;
    const bool valid = operation >= 0 && operation <= double(AtomicOperation::kCompareExchange) &&
                       operation == double(int(operation)) && (width == 4 || width == 8) && offset >= 0 &&
                       offset <= 9007199254740992.0 && offset == double(uint64_t(offset)) &&
                       uint64_t(offset) % uint64_t(width) == 0;
    if (mapping == nullptr || !valid) {
      Napi::RangeError::New(info.Env(), "bad atomic arguments").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    AtomicCall call{AtomicOperation(int(operation)), int(width), 0, 0, 0};
    if (width == 4) {
      call.value = uint32_t(arguments[4]);
      call.replacement = uint32_t(arguments[5]);
    } else {
      call.value = atomic_big_values[0];
      call.replacement = atomic_big_values[1];
    }
    mapping->Atomic(info.Env(), &call, uint64_t(offset));
    if (width == 4) atomic_arguments[6] = double(uint32_t(call.result));
    else atomic_big_values[2] = call.result;
    return Napi::Value();
  }

  Napi::Value CancelWait(const Napi::CallbackInfo& info) { return CancelAsyncWait(info); }

  Napi::Value LazyState(const Napi::CallbackInfo& info) { return LazySnapshotState(info); }

  Napi::Value CancelLock(const Napi::CallbackInfo& info) { return CancelLockWait(info); }

  Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
    StateOf(info.Env())->make_error = Napi::Persistent(info[0].As<Napi::Function>());
    return info.Env().Undefined();
  }

  Napi::Value SetLoopCounter(const Napi::CallbackInfo& info) {
    SetLoopCounterUsable(info[0].ToBoolean().Value());
    return info.Env().Undefined();
  }
};

AddonState* StateOf(Napi::Env env) { return env.GetInstanceData<SafeMmapAddon>(); }

}  // namespace safe_mmap

using safe_mmap::SafeMmapAddon;
NODE_API_ADDON(SafeMmapAddon)
