// MappingWrap's bindings (declared in mapping_wrap.h). The TypeScript
// layer validates every argument before calling in here; these re-check only
// what memory safety depends on (ranges against the mapping and the target).
#include "mapping_wrap.h"

#include "pages.h"
#include "search.h"

namespace safe_mmap {

Napi::Function MappingWrap::Define(Napi::Env env) {
  // The methods that move bytes are not here: see MappingSlots.
  return DefineClass(
      env, "NativeMapping",
      {InstanceMethod<&MappingWrap::SnapshotAsync>("snapshotAsync"),
       InstanceMethod<&MappingWrap::CopyToAsync>("copyToAsync"),
       InstanceMethod<&MappingWrap::IndexOfAsync>("indexOfAsync"),
       InstanceMethod<&MappingWrap::ReadAtAsync>("readAtAsync"),
       InstanceMethod<&MappingWrap::FileSize>("fileSize"),
       InstanceMethod<&MappingWrap::MappedSize>("mappedSize"),
       InstanceMethod<&MappingWrap::ValidationMethodOf>("validationMethod"),
       InstanceMethod<&MappingWrap::FlushRange>("flush"),
       InstanceMethod<&MappingWrap::FlushRangeAsync>("flushAsync"),
       InstanceMethod<&MappingWrap::Refresh>("refresh"),
       InstanceMethod<&MappingWrap::AdviseRange>("advise"),
       InstanceMethod<&MappingWrap::ResidencyOf>("residency"),
       InstanceMethod<&MappingWrap::Close>("close")});
}

// new MappingWrap(fd, validationMode, displayPath, flags). The mapping
// keeps its own duplicate of fd; the caller closes fd either way.
MappingWrap::MappingWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<MappingWrap>(info) {
  Napi::Env env = info.Env();
  AddonState* state = StateOf(env);
  scratch_ = state->scratch;
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const auto mode = static_cast<ValidationMode>(info[1].As<Napi::Number>().Int32Value());
  path_ = info[2].As<Napi::String>().Utf8Value();
  const int32_t flags = info[3].As<Napi::Number>().Int32Value();
  if (env.IsExceptionPending()) return;
  if (ThrowIfFailed(env, path_, mapping_.Map(FileOfDescriptor(fd), {mode, (flags & kWritable) != 0,
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
MappingWrap::~MappingWrap() {
  if (slots_) slots_->Remove(slot_);
}

bool MappingWrap::ReadRange(const Arguments& info, size_t first,
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

// Sets *span to the `length` bytes at `start` of a caller's Uint8Array, or
// throws a RangeError with `message` and returns false when they do not fit.
// The JS side computed the range, but memory safety does not rest on it: the
// array may even have been detached since. (An empty array's data may be
// null: only the return value says whether the range fits.) The one check of
// every caller-supplied range.
bool MappingWrap::SpanIn(Napi::Env env, Napi::Uint8Array array, int64_t start, uint64_t length,
                         const char* message, uint8_t** span) {
  const uint64_t array_length = array.ByteLength();
  if (env.IsExceptionPending()) return false;
  if (start < 0 || !RangeFits(uint64_t(start), length, array_length)) {
    Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
    return false;
  }
  *span = array.Data() + start;
  return true;
}

// The arguments (target, targetStart, offset, length) of a copy into a
// Uint8Array. Returns false after throwing.
bool MappingWrap::CopyArguments(const Arguments& info, uint64_t* offset, uint64_t* length,
                                  uint8_t** destination) {
  if (!ReadRange(info, 2, offset, length)) return false;
  return SpanIn(info.Env(), info[0].As<Napi::Uint8Array>(), info[1].As<Napi::Number>().Int64Value(), *length,
                "copy range outside the target", destination);
}

// copyTo(target, targetStart, offset, length) -> bytes copied.
Napi::Value MappingWrap::CopyTo(const Arguments& info) {
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
Napi::Value MappingWrap::RawCopyForBenchmark(const Arguments& info) {
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
Napi::Value MappingWrap::Snapshot(const Arguments& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
  Napi::Buffer<uint8_t> copy = Napi::Buffer<uint8_t>::New(env, size_t(length));
  if (env.IsExceptionPending()) return Napi::Value();
  if (!Succeeded(env, {true, offset, length}, mapping_.SnapshotInto(offset, length, copy.Data()))) {
    return Napi::Value();
  }
  return copy;
}

// The arguments (offset, length, needle, from, forward, alignment) of
// indexOf and indexOfAsync. The JS side has applied Buffer's rules and never
// sends an empty needle; both forms answer -1 to one (test view-search).
// SearchForward/SearchBackward bound `from` themselves. Returns false after
// throwing.
bool MappingWrap::SearchArguments(const Arguments& info, uint64_t* offset, uint64_t* length,
                                  Napi::Uint8Array* needle, SearchJob* job) {
  Napi::Env env = info.Env();
  if (!ReadRange(info, 0, offset, length)) return false;
  *needle = info[2].As<Napi::Uint8Array>();
  *job = SearchJob{needle->Data(), needle->ByteLength(), size_t(info[3].As<Napi::Number>().Int64Value()),
                   info[5].As<Napi::Number>().Uint32Value() == 2 ? size_t(2) : size_t(1),
                   info[4].ToBoolean().Value(), kNotFound};
  return !env.IsExceptionPending();
}

// indexOf(offset, length, needle, from, forward, alignment) -> position of
// the match relative to offset, or -1.
Napi::Value MappingWrap::IndexOf(const Arguments& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  Napi::Uint8Array needle;
  SearchJob job;
  if (!SearchArguments(info, &offset, &length, &needle, &job)) return Napi::Value();
  if (job.needle_length == 0) return Napi::Number::New(env, -1);
  if (!GuardedAccess(env, offset, length, Search, &job)) return Napi::Value();
  return Napi::Number::New(env, double(job.result));
}

// compare(offset, length, other, otherStart) -> sign of memcmp over length
// bytes. The JS side ensures other holds length bytes from otherStart.
Napi::Value MappingWrap::CompareWith(const Arguments& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
  uint8_t* other;
  if (!SpanIn(env, info[2].As<Napi::Uint8Array>(), info[3].As<Napi::Number>().Int64Value(), length,
              "compare range outside the target", &other)) {
    return Napi::Value();
  }
  CompareJob job{other, 0};
  if (!GuardedAccess(env, offset, length, Compare, &job)) return Napi::Value();
  return Napi::Number::New(env, job.result < 0 ? -1 : job.result > 0 ? 1 : 0);
}

// The abort flag argument: an Int32Array over a SharedArrayBuffer, or null.
// Returns the flag's memory and sets *holder to the array (kept alive).
const int32_t* MappingWrap::AbortFlagOf(Napi::Value value, Napi::Object* holder) {
  if (!value.IsTypedArray()) return nullptr;
  Napi::Int32Array flag = value.As<Napi::Int32Array>();
  *holder = flag;
  return flag.Data();
}

// Starts an asynchronous access (pool.h's StartAccess: at once on this
// thread when the pages are resident, else on the pool).
Napi::Value MappingWrap::StartAsync(Napi::Env env, AccessPlan plan, Napi::Object holder,
                                      Napi::Value abort_flag) {
  Napi::Object abort_holder;
  plan.abort_flag = AbortFlagOf(abort_flag, &abort_holder);
  mapping_.NoteOwnerAccess();
  return StartAccess(env, &mapping_, path_, Value(), plan, holder, abort_holder);
}

// snapshotAsync(offset, length, abortFlag) -> Promise<Buffer>
Napi::Value MappingWrap::SnapshotAsync(const Napi::CallbackInfo& info) {
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
Napi::Value MappingWrap::CopyToAsync(const Napi::CallbackInfo& info) {
  return StartCopyInto(info, AccessPlan::Resolution::kCount);
}

// readAtAsync(target, targetStart, position, length, abortFlag) ->
// Promise<bytes read>: fs-style, up to the file's end (ReadAt).
Napi::Value MappingWrap::ReadAtAsync(const Napi::CallbackInfo& info) {
  return StartCopyInto(info, AccessPlan::Resolution::kReadCount);
}

// The two above differ only in how the count resolves: copyToAsync's range
// must lie in the file, readAtAsync's stops at its end.
Napi::Value MappingWrap::StartCopyInto(const Napi::CallbackInfo& info,
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
Napi::Value MappingWrap::IndexOfAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  Napi::Uint8Array needle;
  SearchJob job;
  if (!SearchArguments(info, &offset, &length, &needle, &job)) return Napi::Value();
  if (job.needle_length == 0) {
    Napi::Promise::Deferred settled = Napi::Promise::Deferred::New(env);
    settled.Resolve(Napi::Number::New(env, -1));
    return settled.Promise();
  }
  AccessPlan plan{offset, length, Search, AccessPlan::Resolution::kPosition};
  // On the pool path PoolAccess copies the needle: the caller may change
  // its Uint8Array meanwhile.
  plan.search = job;
  return StartAsync(env, plan, Napi::Object(), info[6]);
}

// readAt(target, targetStart, position, length) -> bytes read: pread's
// contract, short at the end of the file and 0 past it
// (FileMapping::AccessUpToEnd).
Napi::Value MappingWrap::ReadAt(const Arguments& info) {
  Napi::Env env = info.Env();
  uint64_t position, length, count;
  uint8_t* destination;
  if (!CopyArguments(info, &position, &length, &destination)) return Napi::Value();
  const AccessResult result = mapping_.AccessUpToEnd(position, length, CopyOut, destination,
                                                     FileMapping::Reach::kOwner, &count);
  if (!Succeeded(env, {true, position, length}, result)) return Napi::Value();
  return Napi::Number::New(env, double(count));
}

// writeFrom(source, sourceStart, offset, length): copies source bytes into
// the mapping under the guard. Bytes written before a fault stay written.
Napi::Value MappingWrap::WriteFrom(const Arguments& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  if (!ReadRange(info, 2, &offset, &length)) return Napi::Value();
  uint8_t* source;
  if (!SpanIn(env, info[0].As<Napi::Uint8Array>(), info[1].As<Napi::Number>().Int64Value(), length,
              "write range outside the source", &source)) {
    return Napi::Value();
  }
  if (!Succeeded(env, {true, offset, length}, mapping_.AccessForWrite(offset, length, CopyIn, source))) {
    return Napi::Value();
  }
  return Napi::Number::New(env, double(length));
}

// fill(offset, length, pattern): repeats pattern (non-empty) over the range.
Napi::Value MappingWrap::FillWith(const Arguments& info) {
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
  Succeeded(env, {true, offset, length}, mapping_.AccessForWrite(offset, length, Fill, &job));
  return Napi::Value();
}

// For the calls that make a system call rather than an access (which
// checks by itself): MappedFileClosed after close().
bool MappingWrap::ThrowIfClosed(Napi::Env env, ErrorRange range) {
  if (!mapping_.closed()) return false;
  ThrowAccessError(env, path_, range, AccessResult::Closed());
  return true;
}

// flush(offset, length): msync(MS_SYNC) of the pages holding the range.
Napi::Value MappingWrap::FlushRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
  if (ThrowIfClosed(env, {true, offset, length})) return Napi::Value();
  ThrowIfFailed(env, path_, mapping_.Flush(offset, length));
  return Napi::Value();
}

Napi::Value MappingWrap::FlushRangeAsync(const Napi::CallbackInfo& info) {
  uint64_t offset, length;
  if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
  return (new PoolFlush(info.Env(), &mapping_, path_, Value(), offset, length))->Start();
}

// refresh() -> the new mapped size (the file's current size).
Napi::Value MappingWrap::Refresh(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (ThrowIfClosed(env, {false, 0, 0})) return Napi::Value();
  if (ThrowIfFailed(env, path_, mapping_.Remap())) return Napi::Value();
  return Napi::Number::New(env, double(mapping_.mapped_size()));
}

// advise(advice, offset, length): advice is an Advice value (mapping.h),
// in step with ADVICE in src/file.ts.
Napi::Value MappingWrap::AdviseRange(const Napi::CallbackInfo& info) {
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
Napi::Value MappingWrap::ResidencyOf(const Napi::CallbackInfo& info) {
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

Napi::Value MappingWrap::FileSize(const Napi::CallbackInfo& info) {
  const AccessResult result = mapping_.CurrentFileSize();
  if (!Succeeded(info.Env(), {false, 0, 0}, result)) return Napi::Value();
  return Napi::Number::New(info.Env(), double(result.file_size));
}

// validationMethod() -> a ValidationMethod (mapping.h), in step with src/file.ts.
Napi::Value MappingWrap::ValidationMethodOf(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(mapping_.validation_method()));
}

Napi::Value MappingWrap::MappedSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(mapping_.mapped_size()));
}

Napi::Value MappingWrap::Close(const Napi::CallbackInfo& info) {
  mapping_.Close();
  return info.Env().Undefined();
}

}  // namespace safe_mmap
