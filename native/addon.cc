// N-API bindings. The TypeScript layer validates every argument before calling
// in here; this file re-checks only what memory safety depends on (ranges
// against the mapping and the target), and turns AccessResult into the JS
// error classes through a factory that src/binding.ts registers.
//
// No Buffer or ArrayBuffer created here ever aliases a mapping: every byte
// that leaves the addon is copied under the guard into JS-owned memory,
// because a fault in V8-compiled code could not be recovered.
#include <napi.h>

#include <cstring>
#include <string>

#include "guard.h"
#include "mapping.h"

namespace safe_mmap {
namespace {

// Kinds understood by the error factory in src/binding.ts.
enum ErrorKind : int32_t {
  kErrorTruncated = 0,
  kErrorIO = 1,
  kErrorClosed = 2,
  kErrorOutOfRange = 3,
  kErrorSystem = 4,  // fs-style error from open/fstat/mmap
};

// Per-environment state (main thread and each worker have their own).
struct AddonState {
  Napi::FunctionReference make_error;
  Napi::FunctionReference mapping_constructor;
  Napi::Reference<Napi::Buffer<uint8_t>> scratch_reference;
  uint8_t* scratch = nullptr;  // 8 bytes that small reads are copied into
};

constexpr size_t kScratchSize = 8;

// Defined after SafeMmapAddon, which is the environment's instance data.
AddonState* StateOf(Napi::Env env);

void CopyOut(const uint8_t* source, size_t length, void* destination) {
  memcpy(destination, source, length);
}

// A byte range for an error message, or none (fileSize() reads no range).
struct ErrorRange {
  bool present;
  uint64_t offset;
  uint64_t length;
};

Napi::Value NumberOrUndefined(Napi::Env env, bool present, double value) {
  return present ? Napi::Value(Napi::Number::New(env, value)) : env.Undefined();
}

// Builds an error through the JS factory and throws it.
void ThrowMappedError(Napi::Env env, ErrorKind kind, const std::string& path,
                      ErrorRange range, const AccessResult& result) {
  Napi::Value error = StateOf(env)->make_error.Call(
      {Napi::Number::New(env, kind), Napi::String::New(env, path),
       NumberOrUndefined(env, range.present, double(range.offset)),
       NumberOrUndefined(env, range.present, double(range.length)),
       NumberOrUndefined(env, result.file_size >= 0, double(result.file_size)),
       Napi::Number::New(env, result.error_number)});
  if (env.IsExceptionPending()) return;
  Napi::Error(env, error).ThrowAsJavaScriptException();
}

class NativeMapping : public Napi::ObjectWrap<NativeMapping> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "NativeMapping",
        {InstanceMethod<&NativeMapping::Read>("read"),
         InstanceMethod<&NativeMapping::CopyTo>("copyTo"),
         InstanceMethod<&NativeMapping::Snapshot>("snapshot"),
         InstanceMethod<&NativeMapping::FileSize>("fileSize"),
         InstanceMethod<&NativeMapping::MappedSize>("mappedSize"),
         InstanceMethod<&NativeMapping::Close>("close")});
  }

  // new NativeMapping(fd, validationMode, displayPath). Takes ownership of fd
  // only on success; on failure the caller still owns (and closes) it.
  explicit NativeMapping(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<NativeMapping>(info) {
    Napi::Env env = info.Env();
    const int fd = info[0].As<Napi::Number>().Int32Value();
    const auto mode = static_cast<ValidationMode>(info[1].As<Napi::Number>().Int32Value());
    path_ = info[2].As<Napi::String>().Utf8Value();
    if (env.IsExceptionPending()) return;
    OsFailure failure = mapping_.Map(fd, mode);
    if (failure.error_number != 0) {
      Napi::Value error = StateOf(env)->make_error.Call(
          {Napi::Number::New(env, kErrorSystem), Napi::String::New(env, path_),
           env.Undefined(), env.Undefined(), env.Undefined(),
           Napi::Number::New(env, failure.error_number),
           Napi::String::New(env, failure.syscall),
           failure.detail ? Napi::Value(Napi::String::New(env, failure.detail))
                          : env.Undefined()});
      if (!env.IsExceptionPending()) Napi::Error(env, error).ThrowAsJavaScriptException();
    }
  }

  // The finalizer: a MappedFile collected without close() still unmaps and
  // closes its descriptor (FileMapping's destructor).

 private:
  // Runs a guarded copy of [offset, offset+length) into destination, throwing
  // the matching JS error on failure. Returns false when it threw.
  bool GuardedCopy(Napi::Env env, uint64_t offset, uint64_t length,
                   uint8_t* destination) {
    AccessResult result = mapping_.Access(offset, length, CopyOut, destination);
    if (result.status == AccessStatus::kOk) return true;
    ErrorKind kind = kErrorOutOfRange;
    switch (result.status) {
      case AccessStatus::kTruncated: kind = kErrorTruncated; break;
      case AccessStatus::kIOError: kind = kErrorIO; break;
      case AccessStatus::kClosed: kind = kErrorClosed; break;
      default: break;
    }
    ThrowMappedError(env, kind, path_, {true, offset, length}, result);
    return false;
  }

  static bool ReadRange(const Napi::CallbackInfo& info, size_t first,
                        uint64_t* offset, uint64_t* length) {
    const int64_t raw_offset = info[first].As<Napi::Number>().Int64Value();
    const int64_t raw_length = info[first + 1].As<Napi::Number>().Int64Value();
    if (info.Env().IsExceptionPending()) return false;
    if (raw_offset < 0 || raw_length < 0) {
      Napi::RangeError::New(info.Env(), "offset and length must be >= 0")
          .ThrowAsJavaScriptException();
      return false;
    }
    *offset = uint64_t(raw_offset);
    *length = uint64_t(raw_length);
    return true;
  }

  // read(offset, length <= 8): copies into the shared scratch buffer, from
  // which the JS side decodes numbers. Saves allocating per small read.
  Napi::Value Read(const Napi::CallbackInfo& info) {
    uint64_t offset, length;
    if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
    if (length > kScratchSize) length = kScratchSize;
    GuardedCopy(info.Env(), offset, length, StateOf(info.Env())->scratch);
    return Napi::Value();
  }

  // copyTo(target, targetStart, offset, length) -> bytes copied.
  Napi::Value CopyTo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array target = info[0].As<Napi::Uint8Array>();
    const int64_t target_start = info[1].As<Napi::Number>().Int64Value();
    uint64_t offset, length;
    if (!ReadRange(info, 2, &offset, &length)) return Napi::Value();
    // Never write outside the target, whatever the caller computed: the
    // target may have been detached or shrunk since it was checked.
    const uint64_t target_length = target.ByteLength();
    if (target_start < 0 || uint64_t(target_start) > target_length) {
      return Napi::Number::New(env, 0);
    }
    if (length > target_length - uint64_t(target_start)) {
      length = target_length - uint64_t(target_start);
    }
    if (!GuardedCopy(env, offset, length, target.Data() + target_start)) {
      return Napi::Value();
    }
    return Napi::Number::New(env, double(length));
  }

  // snapshot(offset, length) -> a new JS-owned Buffer.
  Napi::Value Snapshot(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t offset, length;
    if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
    Napi::Buffer<uint8_t> copy = Napi::Buffer<uint8_t>::New(env, size_t(length));
    if (env.IsExceptionPending()) return Napi::Value();
    if (!GuardedCopy(env, offset, length, copy.Data())) return Napi::Value();
    return copy;
  }

  Napi::Value FileSize(const Napi::CallbackInfo& info) {
    AccessResult result = mapping_.CurrentFileSize();
    if (result.status == AccessStatus::kOk) {
      return Napi::Number::New(info.Env(), double(result.file_size));
    }
    ThrowMappedError(info.Env(),
                     result.status == AccessStatus::kClosed ? kErrorClosed : kErrorIO,
                     path_, {false, 0, 0}, result);
    return Napi::Value();
  }

  Napi::Value MappedSize(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(mapping_.mapped_size()));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    mapping_.Close();
    return info.Env().Undefined();
  }

  FileMapping mapping_;
  std::string path_;
};

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
    Napi::Function mapping_class = NativeMapping::Define(env);
    state->mapping_constructor = Napi::Persistent(mapping_class);

    DefineAddon(exports,
                {InstanceValue("NativeMapping", mapping_class),
                 InstanceValue("scratch", scratch),
                 InstanceMethod<&SafeMmapAddon::SetErrorFactory>("setErrorFactory"),
                 InstanceMethod<&SafeMmapAddon::SetGuardEnabled>(
                     "setGuardEnabledForTesting")});
  }

 private:
  Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
    StateOf(info.Env())->make_error = Napi::Persistent(info[0].As<Napi::Function>());
    return info.Env().Undefined();
  }

  Napi::Value SetGuardEnabled(const Napi::CallbackInfo& info) {
    SetGuardEnabledForTesting(info[0].ToBoolean().Value());
    return info.Env().Undefined();
  }
};

AddonState* StateOf(Napi::Env env) { return env.GetInstanceData<SafeMmapAddon>(); }

}  // namespace
}  // namespace safe_mmap

using safe_mmap::SafeMmapAddon;
NODE_API_ADDON(SafeMmapAddon)
