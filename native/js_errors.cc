// The JS-error plumbing (declared in js_errors.h): the kinds understood by
// the factory in src/binding.ts, and the calls into it.
#include "js_errors.h"

#include "addon_state.h"
#include "platform.h"

namespace safe_mmap {
namespace {

Napi::Value NumberOrUndefined(Napi::Env env, bool present, double value) {
  return present ? Napi::Value(Napi::Number::New(env, value)) : env.Undefined();
}

ErrorKind KindOf(AccessStatus status) {
  switch (status) {
    case AccessStatus::kTruncated: return ErrorKind::kTruncated;
    case AccessStatus::kIOError: return ErrorKind::kIO;
    case AccessStatus::kClosed: return ErrorKind::kClosed;
    case AccessStatus::kReadOnly: return ErrorKind::kReadOnly;
    case AccessStatus::kChanged: return ErrorKind::kChanged;
    default: return ErrorKind::kOutOfRange;
  }
}

}  // namespace

// Builds the JS error for a failed access through the factory.
Napi::Value MakeAccessError(Napi::Env env, const std::string& path, ErrorRange range,
                            const AccessResult& result) {
  return StateOf(env)->make_error.Call(
      {Napi::Number::New(env, double(KindOf(result.status))), Napi::String::New(env, path),
       NumberOrUndefined(env, range.present, double(range.offset)),
       NumberOrUndefined(env, range.present, double(range.length)),
       NumberOrUndefined(env, result.file_size >= 0, double(result.file_size)),
       Napi::Number::New(env, JsErrno(result.error_number))});
}

void ThrowAccessError(Napi::Env env, const std::string& path, ErrorRange range,
                      const AccessResult& result) {
  Napi::Value error = MakeAccessError(env, path, range, result);
  if (env.IsExceptionPending()) return;
  Napi::Error(env, error).ThrowAsJavaScriptException();
}

// Builds an fs-style error ("EIO: i/o error, msync '/path'") through the factory.
Napi::Value MakeSystemError(Napi::Env env, const std::string& path, const OsFailure& failure) {
  return StateOf(env)->make_error.Call(
      {Napi::Number::New(env, double(ErrorKind::kSystem)), Napi::String::New(env, path), env.Undefined(),
       env.Undefined(), env.Undefined(), Napi::Number::New(env, JsErrno(failure.error_number)),
       Napi::String::New(env, failure.syscall),
       failure.detail ? Napi::Value(Napi::String::New(env, failure.detail)) : env.Undefined()});
}

bool ThrowIfFailed(Napi::Env env, const std::string& path, const OsFailure& failure) {
  if (failure.error_number == 0) return false;
  Napi::Value error = MakeSystemError(env, path, failure);
  if (!env.IsExceptionPending()) Napi::Error(env, error).ThrowAsJavaScriptException();
  return true;
}

}  // namespace safe_mmap
