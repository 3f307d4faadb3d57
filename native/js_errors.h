// The JS errors of the addon: AccessResult and OsFailure become the error
// classes of src/errors.ts through the factory that src/binding.ts registers
// (setErrorFactory, kept in AddonState).
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

#include "mapping.h"

namespace safe_mmap {

// The kinds of error the factory in src/binding.ts builds (the addon exports
// them as constants.errorKind).
enum class ErrorKind : int32_t {
  kTruncated = 0,
  kIO = 1,
  kClosed = 2,
  kOutOfRange = 3,
  kSystem = 4,  // fs-style error from open/fstat/mmap/msync
  kReadOnly = 5,
  kChanged = 6,
};

// A byte range for an error message, or none (fileSize() reads no range).
struct ErrorRange {
  bool present;
  uint64_t offset;
  uint64_t length;
};

// The JS errors, built through the factory that src/binding.ts registers.
// Builds the JS error for a failed access; the pool work rejects with these.
Napi::Value MakeAccessError(Napi::Env env, const std::string& path, ErrorRange range,
                            const AccessResult& result);
// An fs-style error ("EIO: i/o error, msync '/path'").
Napi::Value MakeSystemError(Napi::Env env, const std::string& path, const OsFailure& failure);

// Throws MakeAccessError's error (unless building it threw).
void ThrowAccessError(Napi::Env env, const std::string& path, ErrorRange range,
                      const AccessResult& result);
// Throws MakeSystemError's error when failure holds one; returns whether it did.
bool ThrowIfFailed(Napi::Env env, const std::string& path, const OsFailure& failure);

}  // namespace safe_mmap
