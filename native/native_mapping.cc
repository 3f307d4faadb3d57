// NativeMapping's bindings (declared in native_mapping.h). The TypeScript
// layer validates every argument before calling in here; these re-check only
// what memory safety depends on (ranges against the mapping and the target).
#include "native_mapping.h"

#include "search.h"

namespace safe_mmap {

Napi::Function NativeMapping::Define(Napi::Env env) {
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

// new NativeMapping(fd, validationMode, displayPath, flags). The mapping
// keeps its own duplicate of fd; the caller closes fd either way.
NativeMapping::NativeMapping(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<NativeMapping>(info) {
  Napi::Env env = info.Env();
  AddonState* state = StateOf(env);
  scratch_ = state->scratch;
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const auto mode = static_cast<ValidationMode>(info[1].As<Napi::Number>().Int32Value());
  path_ = info[2].As<Napi::String>().Utf8Value();
  const int32_t flags = info[3].As<Napi::Number>().Int32Value();
  if (env.IsExceptionPending()) return;
  if (ThrowIfFailed(env, path_, mapping_.Map(fd, {mode, (flags & kWritable) != 0,
                                                   (flags & kPopulate) != 0, (flags & kGrow) != 0,
                                                   (flags & kStable) != 0, (flags & kNoLease) == 0}))) {
    return;
  }
  // Only a mapping that mapped gets a slot: a slot names a live region, and
  // the slot functions use it with no further check. (node-addon-api deletes
  // a wrapper whose constructor threw, but only when built without C++
  // exceptions; nothing here depends on that.)
  slots_ = state->slots;
  slot_ = slots_->Add(this);
  info.This().As<Napi::Object>().DefineProperty(
      Napi::PropertyDescriptor::Value("slot", Napi::Number::New(env, slot_), napi_enumerable));
}

// The finalizer: a MappedFile collected without close() still unmaps and
// closes its descriptor (FileMapping's destructor), and frees the slot.
NativeMapping::~NativeMapping() {
  if (slots_) slots_->Remove(slot_);
}

bool NativeMapping::ReadRange(const Arguments& info, size_t first,
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

// Where `length` bytes go at target_start of target, or nullptr after
// throwing when they would not fit. The JS side computed the range, but
// memory safety does not rest on it: the target may even have been
// detached since.
uint8_t* NativeMapping::DestinationIn(Napi::Env env, Napi::Uint8Array target, int64_t target_start,
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
bool NativeMapping::CopyArguments(const Arguments& info, uint64_t* offset, uint64_t* length,
                                  uint8_t** destination) {
  if (!ReadRange(info, 2, offset, length)) return false;
  *destination = DestinationIn(info.Env(), info[0].As<Napi::Uint8Array>(),
                               info[1].As<Napi::Number>().Int64Value(), *length);
  return *destination != nullptr;
}

// copyTo(target, targetStart, offset, length) -> bytes copied.
Napi::Value NativeMapping::CopyTo(const Arguments& info) {
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
Napi::Value NativeMapping::RawCopyForBenchmark(const Arguments& info) {
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
Napi::Value NativeMapping::Snapshot(const Arguments& info) {
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
Napi::Value NativeMapping::IndexOf(const Arguments& info) {
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
Napi::Value NativeMapping::CompareWith(const Arguments& info) {
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
const int32_t* NativeMapping::AbortFlagOf(Napi::Value value, Napi::Object* holder) {
  if (!value.IsTypedArray()) return nullptr;
  Napi::Int32Array flag = value.As<Napi::Int32Array>();
  *holder = flag;
  return flag.Data();
}

// Starts an asynchronous access (pool.h's StartAccess: at once on this
// thread when the pages are resident, else on the pool).
Napi::Value NativeMapping::StartAsync(Napi::Env env, AccessPlan plan, Napi::Object holder,
                                      Napi::Value abort_flag) {
  Napi::Object abort_holder;
  plan.abort_flag = AbortFlagOf(abort_flag, &abort_holder);
  mapping_.NoteOwnerAccess();
  return StartAccess(env, &mapping_, path_, Value(), plan, holder, abort_holder);
}

// snapshotAsync(offset, length, abortFlag) -> Promise<Buffer>
Napi::Value NativeMapping::SnapshotAsync(const Napi::CallbackInfo& info) {
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
Napi::Value NativeMapping::CopyToAsync(const Napi::CallbackInfo& info) {
  return StartCopyInto(info, AccessPlan::Resolution::kCount);
}

// readAtAsync(target, targetStart, position, length, abortFlag) ->
// Promise<bytes read>: fs-style, up to the file's end (ReadAt).
Napi::Value NativeMapping::ReadAtAsync(const Napi::CallbackInfo& info) {
  return StartCopyInto(info, AccessPlan::Resolution::kReadCount);
}

// The two above differ only in how the count resolves: copyToAsync's range
// must lie in the file, readAtAsync's stops at its end.
Napi::Value NativeMapping::StartCopyInto(const Napi::CallbackInfo& info,
                                         AccessPlan::Resolution resolution) {
  uint64_t offset, length;
  uint8_t* destination;
  if (!CopyArguments(info, &offset, &length, &destination)) return Napi::Value();
  AccessPlan plan{offset, length, CopyOut, resolution};
  plan.destination = destination;
  plan.plain_copy = true;
  return StartAsync(info.Env(), plan, info[0].As<Napi::Object>(), info[4]);
}

// indexOfAsync(offset, length, needle, from, forward, alignment, abortFlag)
Napi::Value NativeMapping::IndexOfAsync(const Napi::CallbackInfo& info) {
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
Napi::Value NativeMapping::ReadAt(const Arguments& info) {
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
Napi::Value NativeMapping::WriteFrom(const Arguments& info) {
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
Napi::Value NativeMapping::FillWith(const Arguments& info) {
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
bool NativeMapping::ThrowIfClosed(Napi::Env env, ErrorRange range) {
  if (!mapping_.closed()) return false;
  ThrowAccessError(env, path_, range, {AccessStatus::kClosed, -1, 0});
  return true;
}

// flush(offset, length): msync(MS_SYNC) of the pages holding the range.
Napi::Value NativeMapping::FlushRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
  if (ThrowIfClosed(env, {true, offset, length})) return Napi::Value();
  ThrowIfFailed(env, path_, mapping_.Flush(offset, length));
  return Napi::Value();
}

Napi::Value NativeMapping::FlushRangeAsync(const Napi::CallbackInfo& info) {
  uint64_t offset, length;
  if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
  return (new PoolFlush(info.Env(), &mapping_, path_, Value(), offset, length))->Start();
}

// refresh() -> the new mapped size (the file's current size).
Napi::Value NativeMapping::Refresh(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (ThrowIfClosed(env, {false, 0, 0})) return Napi::Value();
  if (ThrowIfFailed(env, path_, mapping_.Remap())) return Napi::Value();
  return Napi::Number::New(env, double(mapping_.mapped_size()));
}

// advise(advice, offset, length): advice is an Advice value (mapping.h),
// in step with ADVICE in src/file.ts.
Napi::Value NativeMapping::AdviseRange(const Napi::CallbackInfo& info) {
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
Napi::Value NativeMapping::ResidencyOf(const Napi::CallbackInfo& info) {
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

Napi::Value NativeMapping::FileSize(const Napi::CallbackInfo& info) {
  AccessResult result = mapping_.CurrentFileSize();
  if (result.status == AccessStatus::kOk) {
    return Napi::Number::New(info.Env(), double(result.file_size));
  }
  ThrowAccessError(info.Env(), path_, {false, 0, 0}, result);
  return Napi::Value();
}

// validationMethod() -> a ValidationMethod (mapping.h), in step with src/file.ts.
Napi::Value NativeMapping::ValidationMethodOf(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(mapping_.validation_method()));
}

Napi::Value NativeMapping::MappedSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(mapping_.mapped_size()));
}

Napi::Value NativeMapping::Close(const Napi::CallbackInfo& info) {
  mapping_.Close();
  return info.Env().Undefined();
}

}  // namespace safe_mmap
