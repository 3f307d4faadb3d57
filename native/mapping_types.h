// The values that pass between a mapping, its change detection and the
// bindings: how a file is mapped and validated, and what an access or a
// system call ended with. The enums that JS names are exported by the addon
// (addon.cc's constants), so src/ never keeps their numbers in step by hand.
#pragma once

#include <cstdint>

namespace safe_mmap {

enum class ValidationMode : int32_t {
  // Before and after each access: compare size and ctime (a seqlock), or
  // trust a read lease while one is held. Zeros from a truncated tail page
  // and truncate-then-regrow races never pass.
  kAlways = 0,
  // No syscall per access; only the fault guard. A read that lands in the
  // zero-filled tail page of a truncated file returns those zeros.
  kFault = 1,
};

// How 'always' mode learns of changes, for MappedFile#validationMethod.
enum class ValidationMethod : int32_t { kLease = 0, kFstat = 1, kNone = 2 };

// Kernel hints for advise().
enum class Advice : int32_t { kNormal, kSequential, kRandom, kWillNeed, kDontNeed, kHugePage };

// Flag bits of a mapping's options, as the bindings receive them.
enum MapFlag : int32_t { kWritable = 1, kPopulate = 2, kGrow = 4, kStable = 8, kNoLease = 16 };

struct MapOptions {
  ValidationMode mode;
  bool writable;  // PROT_READ|PROT_WRITE instead of PROT_READ
  bool populate;  // MAP_POPULATE: fault every page in at map time
  bool grow;      // an owner access past the mapping but inside the file remaps first
  bool stable;    // any change since Map fails every later access with kChanged
  bool lease;     // 'always' mode may take a read lease (lease.h) where it can
};

// kChanged: a { stable: true } file changed in any way since it was mapped.
enum class AccessStatus { kOk, kTruncated, kIOError, kClosed, kReadOnly, kChanged };

struct AccessResult {
  AccessStatus status;
  int64_t file_size;  // size on disk when known, else -1
  int error_number;   // errno of a failed system call, else 0

  static AccessResult Ok() { return {AccessStatus::kOk, -1, 0}; }
  // The file's size, for a call that asks for it.
  static AccessResult Size(uint64_t size) { return {AccessStatus::kOk, int64_t(size), 0}; }
  static AccessResult Truncated(uint64_t size) { return {AccessStatus::kTruncated, int64_t(size), 0}; }
  static AccessResult IOError(int64_t size, int error_number) {
    return {AccessStatus::kIOError, size, error_number};
  }
  static AccessResult Closed() { return {AccessStatus::kClosed, -1, 0}; }
  static AccessResult ReadOnly() { return {AccessStatus::kReadOnly, -1, 0}; }
  static AccessResult Changed(int64_t size) { return {AccessStatus::kChanged, size, 0}; }
};

// A failed system call outside an access (mmap, msync, madvise...).
struct OsFailure {
  int error_number;  // 0 on success
  const char* syscall;
  const char* detail;  // extra words for the message, or nullptr

  static OsFailure None() { return {0, nullptr, nullptr}; }
  static OsFailure Of(int error_number, const char* syscall) { return {error_number, syscall, nullptr}; }
};

}  // namespace safe_mmap
