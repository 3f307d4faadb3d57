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
#include <memory>
#include <string>
#include <vector>

#include "guard.h"
#include "lease.h"
#include "mapping.h"
#include "pool.h"
#include "search.h"

namespace safe_mmap {
namespace {

// Kinds understood by the error factory in src/binding.ts.
enum ErrorKind : int32_t {
  kErrorTruncated = 0,
  kErrorIO = 1,
  kErrorClosed = 2,
  kErrorOutOfRange = 3,
  kErrorSystem = 4,  // fs-style error from open/fstat/mmap/msync
  kErrorReadOnly = 5,
  kErrorChanged = 6,
};

class MappingSlots;

// Per-environment state (main thread and each worker have their own).
struct AddonState {
  Napi::FunctionReference make_error;
  // Shared with each NativeMapping, whose destructor may run after the
  // environment freed this state (at teardown).
  std::shared_ptr<MappingSlots> slots;
  // 8 bytes that small reads are copied into; the reference keeps them alive.
  Napi::Reference<Napi::Buffer<uint8_t>> scratch_reference;
  uint8_t* scratch = nullptr;
  // The arguments of read(): [slot, offset, length], stored by JS.
  Napi::Reference<Napi::Float64Array> read_arguments_reference;
  const double* read_arguments = nullptr;
};

constexpr size_t kScratchSize = 8;

// Defined after SafeMmapAddon, which is the environment's instance data.
AddonState* StateOf(Napi::Env env);

// In slices: above a threshold derived from the L3 size, glibc's memcpy
// switches to non-temporal stores, and into a freshly allocated destination
// (a large snapshot) that was 25% slower here (1 GiB: 660 ms against 520).
void CopyOut(uint8_t* mapped, size_t length, void* destination) {
  constexpr size_t kSlice = size_t(16) << 20;
  uint8_t* out = static_cast<uint8_t*>(destination);
  for (size_t done = 0; done < length; done += kSlice) {
    memcpy(out + done, mapped + done, length - done < kSlice ? length - done : kSlice);
  }
}

// The copy of a numeric read (1 to 8 bytes). Fixed-size memcpy compiles to
// single loads and stores; a call into memmove would cost more than the copy.
void CopyOutSmall(uint8_t* mapped, size_t length, void* destination) {
  uint8_t* out = static_cast<uint8_t*>(destination);
  switch (length) {
    case 1: *out = *mapped; return;
    case 2: memcpy(out, mapped, 2); return;
    case 4: memcpy(out, mapped, 4); return;
    case 8: memcpy(out, mapped, 8); return;
    default:
      for (size_t i = 0; i < length; ++i) out[i] = mapped[i];
  }
}

void CopyIn(uint8_t* mapped, size_t length, void* source) {
  memcpy(mapped, source, length);
}

struct FillJob {
  const uint8_t* pattern;
  size_t pattern_length;  // >= 1; the pattern starts at the first byte
};

void Fill(uint8_t* mapped, size_t length, void* job_pointer) {
  const FillJob* job = static_cast<const FillJob*>(job_pointer);
  if (job->pattern_length == 1) {
    memset(mapped, job->pattern[0], length);
    return;
  }
  for (size_t done = 0; done < length; done += job->pattern_length) {
    const size_t count = length - done < job->pattern_length ? length - done : job->pattern_length;
    memcpy(mapped + done, job->pattern, count);
  }
}

struct CompareJob {
  const uint8_t* other;
  int result;
};

void Compare(uint8_t* source, size_t length, void* job_pointer) {
  CompareJob* job = static_cast<CompareJob*>(job_pointer);
  job->result = memcmp(source, job->other, length);
}

Napi::Value NumberOrUndefined(Napi::Env env, bool present, double value) {
  return present ? Napi::Value(Napi::Number::New(env, value)) : env.Undefined();
}

ErrorKind KindOf(AccessStatus status) {
  switch (status) {
    case AccessStatus::kTruncated: return kErrorTruncated;
    case AccessStatus::kIOError: return kErrorIO;
    case AccessStatus::kClosed: return kErrorClosed;
    case AccessStatus::kReadOnly: return kErrorReadOnly;
    case AccessStatus::kChanged: return kErrorChanged;
    default: return kErrorOutOfRange;
  }
}

}  // namespace

// Declared in pool.h: the pool work rejects with these.
// Builds the JS error for a failed access through the factory.
Napi::Value MakeAccessError(Napi::Env env, const std::string& path, ErrorRange range,
                            const AccessResult& result) {
  return StateOf(env)->make_error.Call(
      {Napi::Number::New(env, KindOf(result.status)), Napi::String::New(env, path),
       NumberOrUndefined(env, range.present, double(range.offset)),
       NumberOrUndefined(env, range.present, double(range.length)),
       NumberOrUndefined(env, result.file_size >= 0, double(result.file_size)),
       Napi::Number::New(env, result.error_number)});
}

namespace {

void ThrowAccessError(Napi::Env env, const std::string& path, ErrorRange range,
                      const AccessResult& result) {
  Napi::Value error = MakeAccessError(env, path, range, result);
  if (env.IsExceptionPending()) return;
  Napi::Error(env, error).ThrowAsJavaScriptException();
}

}  // namespace

// Builds an fs-style error ("EIO: i/o error, msync '/path'") through the factory.
Napi::Value MakeSystemError(Napi::Env env, const std::string& path, const OsFailure& failure) {
  return StateOf(env)->make_error.Call(
      {Napi::Number::New(env, kErrorSystem), Napi::String::New(env, path), env.Undefined(),
       env.Undefined(), env.Undefined(), Napi::Number::New(env, failure.error_number),
       Napi::String::New(env, failure.syscall),
       failure.detail ? Napi::Value(Napi::String::New(env, failure.detail)) : env.Undefined()});
}

namespace {

bool ThrowIfFailed(Napi::Env env, const std::string& path, const OsFailure& failure) {
  if (failure.error_number == 0) return false;
  Napi::Value error = MakeSystemError(env, path, failure);
  if (!env.IsExceptionPending()) Napi::Error(env, error).ThrowAsJavaScriptException();
  return true;
}

// The arguments of a call from `first` on. The slot functions pass their
// arguments after the slot to the NativeMapping method.
class Arguments {
 public:
  Arguments(const Napi::CallbackInfo& info, size_t first) : info_(info), first_(first) {}
  Arguments(const Napi::CallbackInfo& info) : Arguments(info, 0) {}  // NOLINT: all of them
  Napi::Value operator[](size_t index) const { return info_[first_ + index]; }
  Napi::Env Env() const { return info_.Env(); }

 private:
  const Napi::CallbackInfo& info_;
  size_t first_;
};

class NativeMapping;

// Small integers naming this environment's live NativeMappings. The methods
// that move bytes are addon functions taking the slot, copyTo(slot, target,
// ...), rather than methods of the wrapper: a method finds its C++ object
// through napi_unwrap, a private-symbol lookup of about 45 ns on Node 20,
// half of a 4-byte read in 'fault' mode, while a slot costs a bounds check.
// Only the wrapper's destructor frees a slot, after its JS object became
// unreachable, so a slot that JS still holds names its own mapping. Any
// other number fails the checks in At() and never reaches freed memory.
class MappingSlots {
 public:
  uint32_t Add(NativeMapping* mapping) {
    if (free_.empty()) {
      mappings_.push_back(mapping);
      return uint32_t(mappings_.size() - 1);
    }
    const uint32_t slot = free_.back();
    free_.pop_back();
    mappings_[slot] = mapping;
    return slot;
  }
  void Remove(uint32_t slot) {
    mappings_[slot] = nullptr;
    free_.push_back(slot);
  }
  NativeMapping* At(uint32_t slot) const {
    return slot < mappings_.size() ? mappings_[slot] : nullptr;
  }

 private:
  std::vector<NativeMapping*> mappings_;
  std::vector<uint32_t> free_;
};

class NativeMapping : public Napi::ObjectWrap<NativeMapping> {
 public:
  static Napi::Function Define(Napi::Env env) {
    // The methods that move bytes are not here: see MappingSlots.
    return DefineClass(
        env, "NativeMapping",
        {InstanceMethod<&NativeMapping::SnapshotAsync>("snapshotAsync"),
         InstanceMethod<&NativeMapping::CopyToAsync>("copyToAsync"),
         InstanceMethod<&NativeMapping::IndexOfAsync>("indexOfAsync"),
         InstanceMethod<&NativeMapping::ReadAtAsync>("readAtAsync"),
         InstanceMethod<&NativeMapping::FileSize>("fileSize"),
         InstanceMethod<&NativeMapping::MappedSize>("mappedSize"),
         InstanceMethod<&NativeMapping::ValidationMethodOf>("validationMethod"),
         InstanceMethod<&NativeMapping::FlushRange>("flush"),
         InstanceMethod<&NativeMapping::FlushRangeAsync>("flushAsync"),
         InstanceMethod<&NativeMapping::Refresh>("refresh"),
         InstanceMethod<&NativeMapping::AdviseRange>("advise"),
         InstanceMethod<&NativeMapping::ResidencyOf>("residency"),
         InstanceMethod<&NativeMapping::Close>("close")});
  }

  // Flag bits of the constructor's fourth argument, in step with src/file.ts.
  static constexpr int32_t kWritable = 1, kPopulate = 2, kGrow = 4, kStable = 8, kNoLease = 16;

  // new NativeMapping(fd, validationMode, displayPath, flags). The mapping
  // keeps its own duplicate of fd; the caller closes fd either way.
  explicit NativeMapping(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<NativeMapping>(info) {
    Napi::Env env = info.Env();
    AddonState* state = StateOf(env);
    scratch_ = state->scratch;
    slots_ = state->slots;
    slot_ = slots_->Add(this);  // first: the destructor runs even if this throws
    info.This().As<Napi::Object>().DefineProperty(
        Napi::PropertyDescriptor::Value("slot", Napi::Number::New(env, slot_), napi_enumerable));
    const int fd = info[0].As<Napi::Number>().Int32Value();
    const auto mode = static_cast<ValidationMode>(info[1].As<Napi::Number>().Int32Value());
    path_ = info[2].As<Napi::String>().Utf8Value();
    const int32_t flags = info[3].As<Napi::Number>().Int32Value();
    if (env.IsExceptionPending()) return;
    ThrowIfFailed(env, path_, mapping_.Map(fd, {mode, (flags & kWritable) != 0,
                                                (flags & kPopulate) != 0, (flags & kGrow) != 0,
                                                (flags & kStable) != 0, (flags & kNoLease) == 0}));
  }

  // The finalizer: a MappedFile collected without close() still unmaps and
  // closes its descriptor (FileMapping's destructor), and frees the slot.
  ~NativeMapping() override {
    if (slots_) slots_->Remove(slot_);
  }

  // The methods that move bytes are reached through the addon's slot
  // functions: SafeMmapAddon::OnSlot, and SafeMmapAddon::Read for Read.
  friend class SafeMmapAddon;

 private:
  // Runs work over [offset, offset+length) under the guard and the mapping's
  // validation, throwing the matching JS error on failure. Returns false
  // when it threw.
  bool GuardedAccess(Napi::Env env, uint64_t offset, uint64_t length, MappedWork work,
                     void* context) {
    AccessResult result = mapping_.Access(offset, length, work, context);
    if (result.status == AccessStatus::kOk) return true;
    ThrowAccessError(env, path_, {true, offset, length}, result);
    return false;
  }

  static bool ReadRange(const Arguments& info, size_t first,
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

  // A numeric read: copies length (<= 8) bytes at offset into the scratch
  // buffer, from which the JS side decodes the number. Called by
  // SafeMmapAddon::Read.
  void Read(Napi::Env env, uint64_t offset, uint64_t length) {
    GuardedAccess(env, offset, length, CopyOutSmall, scratch_);
  }

  // Where `length` bytes go at target_start of target, or nullptr after
  // throwing when they would not fit. The JS side computed the range, but
  // memory safety does not rest on it: the target may even have been
  // detached since.
  static uint8_t* DestinationIn(Napi::Env env, Napi::Uint8Array target, int64_t target_start,
                                uint64_t length) {
    const uint64_t target_length = target.ByteLength();
    if (env.IsExceptionPending()) return nullptr;
    if (target_start < 0 || uint64_t(target_start) > target_length ||
        length > target_length - uint64_t(target_start)) {
      Napi::RangeError::New(env, "copy range outside the target").ThrowAsJavaScriptException();
      return nullptr;
    }
    return target.Data() + target_start;
  }

  // The arguments (target, targetStart, offset, length) of a copy into a
  // Uint8Array. Returns false after throwing.
  static bool CopyArguments(const Arguments& info, uint64_t* offset, uint64_t* length,
                            uint8_t** destination) {
    if (!ReadRange(info, 2, offset, length)) return false;
    *destination = DestinationIn(info.Env(), info[0].As<Napi::Uint8Array>(),
                                 info[1].As<Napi::Number>().Int64Value(), *length);
    return *destination != nullptr;
  }

  // copyTo(target, targetStart, offset, length) -> bytes copied.
  Napi::Value CopyTo(const Arguments& info) {
    Napi::Env env = info.Env();
    uint64_t offset, length;
    uint8_t* destination;
    if (!CopyArguments(info, &offset, &length, &destination)) return Napi::Value();
    if (!GuardedAccess(env, offset, length, CopyOut, destination)) return Napi::Value();
    return Napi::Number::New(env, double(length));
  }

  // rawCopyForBenchmark(target, targetStart, offset, length) -> bytes copied.
  // The unguarded baseline of `npm run bench` (CopyUnguardedForBenchmark):
  // what safety costs. Not part of the API; it can crash the process.
  Napi::Value RawCopyForBenchmark(const Arguments& info) {
    Napi::Env env = info.Env();
    uint64_t offset, length;
    uint8_t* destination;
    if (!CopyArguments(info, &offset, &length, &destination)) return Napi::Value();
    if (!mapping_.CopyUnguardedForBenchmark(offset, length, destination)) {
      Napi::RangeError::New(env, "closed, or outside the mapping").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    return Napi::Number::New(env, double(length));
  }

  // snapshot(offset, length) -> a new JS-owned Buffer.
  Napi::Value Snapshot(const Arguments& info) {
    Napi::Env env = info.Env();
    uint64_t offset, length;
    if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
    Napi::Buffer<uint8_t> copy = Napi::Buffer<uint8_t>::New(env, size_t(length));
    if (env.IsExceptionPending()) return Napi::Value();
    if (!GuardedAccess(env, offset, length, CopyOut, copy.Data())) return Napi::Value();
    return copy;
  }

  // indexOf(offset, length, needle, from, forward, alignment) -> position of
  // the match relative to offset, or -1. The JS side has applied Buffer's
  // rules; SearchForward/SearchBackward bound `from` themselves.
  Napi::Value IndexOf(const Arguments& info) {
    Napi::Env env = info.Env();
    uint64_t offset, length;
    if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
    Napi::Uint8Array needle = info[2].As<Napi::Uint8Array>();
    SearchJob job{needle.Data(), needle.ByteLength(),
                  size_t(info[3].As<Napi::Number>().Int64Value()),
                  info[5].As<Napi::Number>().Uint32Value() == 2 ? size_t(2) : size_t(1),
                  info[4].ToBoolean().Value(), kNotFound};
    if (env.IsExceptionPending()) return Napi::Value();
    if (job.needle_length == 0) return Napi::Number::New(env, -1);
    if (!GuardedAccess(env, offset, length, Search, &job)) return Napi::Value();
    return Napi::Number::New(env, double(job.result));
  }

  // compare(offset, length, other, otherStart) -> sign of memcmp over length
  // bytes. The JS side ensures other holds length bytes from otherStart.
  Napi::Value CompareWith(const Arguments& info) {
    Napi::Env env = info.Env();
    uint64_t offset, length;
    if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
    Napi::Uint8Array other = info[2].As<Napi::Uint8Array>();
    const int64_t other_start = info[3].As<Napi::Number>().Int64Value();
    if (env.IsExceptionPending()) return Napi::Value();
    if (other_start < 0 || uint64_t(other_start) > other.ByteLength() ||
        length > other.ByteLength() - uint64_t(other_start)) {
      Napi::RangeError::New(env, "compare range outside the target").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    CompareJob job{other.Data() + other_start, 0};
    if (!GuardedAccess(env, offset, length, Compare, &job)) return Napi::Value();
    return Napi::Number::New(env, job.result < 0 ? -1 : job.result > 0 ? 1 : 0);
  }

  // The abort flag argument: an Int32Array over a SharedArrayBuffer, or null.
  // Returns the flag's memory and sets *holder to the array (kept alive).
  static const int32_t* AbortFlagOf(Napi::Value value, Napi::Object* holder) {
    if (!value.IsTypedArray()) return nullptr;
    Napi::Int32Array flag = value.As<Napi::Int32Array>();
    *holder = flag;
    return flag.Data();
  }

  // Starts an asynchronous access (pool.h's StartAccess: at once on this
  // thread when the pages are resident, else on the pool).
  Napi::Value StartAsync(Napi::Env env, AccessPlan plan, Napi::Object holder, Napi::Value abort_flag) {
    Napi::Object abort_holder;
    plan.abort_flag = AbortFlagOf(abort_flag, &abort_holder);
    return StartAccess(env, &mapping_, path_, Value(), plan, holder, abort_holder);
  }

  // snapshotAsync(offset, length, abortFlag) -> Promise<Buffer>
  Napi::Value SnapshotAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t offset, length;
    if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
    Napi::Buffer<uint8_t> copy = Napi::Buffer<uint8_t>::New(env, size_t(length));
    if (env.IsExceptionPending()) return Napi::Value();
    AccessPlan plan{offset, length, CopyOut, AccessPlan::Resolution::kBuffer};
    plan.destination = copy.Data();
    plan.plain_copy = true;
    return StartAsync(env, plan, copy, info[2]);
  }

  // copyToAsync(target, targetStart, offset, length, abortFlag) -> Promise<number>
  Napi::Value CopyToAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t offset, length;
    uint8_t* destination;
    if (!CopyArguments(info, &offset, &length, &destination)) return Napi::Value();
    AccessPlan plan{offset, length, CopyOut, AccessPlan::Resolution::kCount};
    plan.destination = destination;
    plan.plain_copy = true;
    return StartAsync(env, plan, info[0].As<Napi::Object>(), info[4]);
  }

  // readAtAsync(target, targetStart, position, length, abortFlag) ->
  // Promise<bytes read>: fs-style, up to the file's end (ReadAt).
  Napi::Value ReadAtAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t position, length;
    uint8_t* destination;
    if (!CopyArguments(info, &position, &length, &destination)) return Napi::Value();
    AccessPlan plan{position, length, CopyOut, AccessPlan::Resolution::kReadCount};
    plan.destination = destination;
    plan.plain_copy = true;
    return StartAsync(env, plan, info[0].As<Napi::Object>(), info[4]);
  }

  // indexOfAsync(offset, length, needle, from, forward, alignment, abortFlag)
  Napi::Value IndexOfAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t offset, length;
    if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
    Napi::Uint8Array needle = info[2].As<Napi::Uint8Array>();
    const size_t from = size_t(info[3].As<Napi::Number>().Int64Value());
    const bool forward = info[4].ToBoolean().Value();
    const size_t alignment = info[5].As<Napi::Number>().Uint32Value() == 2 ? 2 : 1;
    if (env.IsExceptionPending()) return Napi::Value();
    if (needle.ByteLength() == 0) {  // the JS side never asks; the search needs >= 1 byte
      Napi::RangeError::New(env, "empty needle").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    AccessPlan plan{offset, length, Search, AccessPlan::Resolution::kPosition};
    // On the pool path PoolAccess copies the needle: the caller may change
    // its Uint8Array meanwhile.
    plan.search = SearchJob{needle.Data(), needle.ByteLength(), from, alignment, forward, kNotFound};
    return StartAsync(env, plan, Napi::Object(), info[6]);
  }

  // readAt(target, targetStart, position, length) -> bytes read: pread's
  // contract, short at the end of the file and 0 past it
  // (FileMapping::AccessUpToEnd).
  Napi::Value ReadAt(const Arguments& info) {
    Napi::Env env = info.Env();
    uint64_t position, length, count;
    uint8_t* destination;
    if (!CopyArguments(info, &position, &length, &destination)) return Napi::Value();
    AccessResult result = mapping_.AccessUpToEnd(position, length, CopyOut, destination,
                                                 FileMapping::Reach::kOwner, &count);
    if (result.status != AccessStatus::kOk) {
      ThrowAccessError(env, path_, {true, position, length}, result);
      return Napi::Value();
    }
    return Napi::Number::New(env, double(count));
  }

  // writeFrom(source, sourceStart, offset, length): copies source bytes into
  // the mapping under the guard. Bytes written before a fault stay written.
  Napi::Value WriteFrom(const Arguments& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array source = info[0].As<Napi::Uint8Array>();
    const int64_t source_start = info[1].As<Napi::Number>().Int64Value();
    uint64_t offset, length;
    if (!ReadRange(info, 2, &offset, &length)) return Napi::Value();
    if (source_start < 0 || uint64_t(source_start) > source.ByteLength() ||
        length > source.ByteLength() - uint64_t(source_start)) {
      Napi::RangeError::New(env, "write range outside the source").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    AccessResult result = mapping_.AccessForWrite(offset, length, CopyIn, source.Data() + source_start);
    if (result.status != AccessStatus::kOk) {
      ThrowAccessError(env, path_, {true, offset, length}, result);
      return Napi::Value();
    }
    return Napi::Number::New(env, double(length));
  }

  // fill(offset, length, pattern): repeats pattern (non-empty) over the range.
  Napi::Value FillWith(const Arguments& info) {
    Napi::Env env = info.Env();
    uint64_t offset, length;
    if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
    Napi::Uint8Array pattern = info[2].As<Napi::Uint8Array>();
    if (env.IsExceptionPending()) return Napi::Value();
    if (pattern.ByteLength() == 0) {
      Napi::RangeError::New(env, "empty fill pattern").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    FillJob job{pattern.Data(), pattern.ByteLength()};
    AccessResult result = mapping_.AccessForWrite(offset, length, Fill, &job);
    if (result.status != AccessStatus::kOk) ThrowAccessError(env, path_, {true, offset, length}, result);
    return Napi::Value();
  }

  // For the calls that make a system call rather than an access (which
  // checks by itself): MappedFileClosed after close().
  bool ThrowIfClosed(Napi::Env env, ErrorRange range) {
    if (!mapping_.closed()) return false;
    ThrowAccessError(env, path_, range, {AccessStatus::kClosed, -1, 0});
    return true;
  }

  // flush(offset, length): msync(MS_SYNC) of the pages holding the range.
  Napi::Value FlushRange(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t offset, length;
    if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
    if (ThrowIfClosed(env, {true, offset, length})) return Napi::Value();
    ThrowIfFailed(env, path_, mapping_.Flush(offset, length));
    return Napi::Value();
  }

  Napi::Value FlushRangeAsync(const Napi::CallbackInfo& info) {
    uint64_t offset, length;
    if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
    return (new PoolFlush(info.Env(), &mapping_, path_, Value(), offset, length))->Start();
  }

  // refresh() -> the new mapped size (the file's current size).
  Napi::Value Refresh(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (ThrowIfClosed(env, {false, 0, 0})) return Napi::Value();
    if (ThrowIfFailed(env, path_, mapping_.Remap())) return Napi::Value();
    return Napi::Number::New(env, double(mapping_.mapped_size()));
  }

  // advise(advice, offset, length): advice is an Advice value (mapping.h),
  // in step with ADVICE in src/file.ts.
  Napi::Value AdviseRange(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const auto advice = static_cast<Advice>(info[0].As<Napi::Number>().Int32Value());
    uint64_t offset, length;
    if (!ReadRange(info, 1, &offset, &length)) return Napi::Value();
    if (ThrowIfClosed(env, {true, offset, length})) return Napi::Value();
    ForgetResidency();  // 'dontneed' drops pages the fast path may remember
    ThrowIfFailed(env, path_, mapping_.Advise(advice, offset, length));
    return Napi::Value();
  }

  // residency(offset, length) -> [pages, resident]
  Napi::Value ResidencyOf(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t offset, length;
    if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
    if (ThrowIfClosed(env, {true, offset, length})) return Napi::Value();
    uint64_t pages, resident;
    if (ThrowIfFailed(env, path_, mapping_.Residency(offset, length, &pages, &resident))) {
      return Napi::Value();
    }
    Napi::Array answer = Napi::Array::New(env, 2);
    answer.Set(uint32_t(0), Napi::Number::New(env, double(pages)));
    answer.Set(uint32_t(1), Napi::Number::New(env, double(resident)));
    return answer;
  }

  Napi::Value FileSize(const Napi::CallbackInfo& info) {
    AccessResult result = mapping_.CurrentFileSize();
    if (result.status == AccessStatus::kOk) {
      return Napi::Number::New(info.Env(), double(result.file_size));
    }
    ThrowAccessError(info.Env(), path_, {false, 0, 0}, result);
    return Napi::Value();
  }

  // validationMethod() -> a ValidationMethod (mapping.h), in step with src/file.ts.
  Napi::Value ValidationMethodOf(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(mapping_.validation_method()));
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
  uint8_t* scratch_ = nullptr;  // the environment's scratch buffer (AddonState)
  std::shared_ptr<MappingSlots> slots_;
  uint32_t slot_ = 0;
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
                 InstanceMethod<&SafeMmapAddon::SetResumeThroughSigreturn>(
                     "setResumeThroughSigreturnForTesting"),
                 InstanceMethod<&SafeMmapAddon::SetLeaseEpochCheckEnabled>(
                     "setLeaseEpochCheckEnabledForTesting"),
                 InstanceMethod<&SafeMmapAddon::SetLeaseWatcherPaused>("setLeaseWatcherPausedForTesting"),
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

  Napi::Value SetLeaseWatcherPaused(const Napi::CallbackInfo& info) {
    SetLeaseWatcherPausedForTesting(info[0].ToBoolean().Value());
    return info.Env().Undefined();
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

}  // namespace
}  // namespace safe_mmap

using safe_mmap::SafeMmapAddon;
NODE_API_ADDON(SafeMmapAddon)
