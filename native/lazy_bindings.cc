// Lazy snapshots as JS sees them: an external ArrayBuffer over a lazy range
// (lazy_ranges.h), freed by its own finalizer, and the state query behind
// checkSnapshot. The only place where memory that aliases a file reaches JS,
// and only under a read lease (FileMapping::MapLazySnapshot).
#include "lazy_bindings.h"

#include <cstdint>

#include "lazy_ranges.h"
#include "mapping_wrap.h"

namespace safe_mmap {
namespace {

void* PackId(LazyRangeId id) {
  return reinterpret_cast<void*>((uintptr_t(uint32_t(id.index)) << 32) | uintptr_t(id.generation));
}

LazyRangeId UnpackId(void* packed) {
  const uintptr_t bits = reinterpret_cast<uintptr_t>(packed);
  return LazyRangeId{int32_t(bits >> 32), uint32_t(bits & 0xffffffffu)};
}

// Runs when the ArrayBuffer is collected (or its environment torn down): the
// range goes, whether it is still the file's or already the owner's copy.
// The file may have been closed and collected long before.
void FinalizeLazySnapshot(napi_env, void*, void* hint) { FreeLazyRange(UnpackId(hint)); }

}  // namespace

Napi::Value MappingWrap::LazySnapshot(const Arguments& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
  LazyRangeId id;
  uint8_t* data = mapping_.MapLazySnapshot(offset, length, &id);
  if (data == nullptr) return env.Undefined();
  napi_value array_buffer;
  // A runtime that refuses external buffers (Electron's V8 sandbox:
  // napi_no_external_buffers_allowed) gets the copy instead.
  if (napi_create_external_arraybuffer(env, data, size_t(length), FinalizeLazySnapshot, PackId(id),
                                       &array_buffer) != napi_ok) {
    FreeLazyRange(id);
    if (env.IsExceptionPending()) env.GetAndClearPendingException();
    return env.Undefined();
  }
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(uint32_t(0), Napi::Value(env, array_buffer));
  result.Set(uint32_t(1), Napi::Number::New(env, id.index));
  result.Set(uint32_t(2), Napi::Number::New(env, id.generation));
  return result;
}

Napi::Value LazySnapshotState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const LazyRangeId id{info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Uint32Value()};
  LazyDamage damage;
  uint64_t file_size = 0;
  const LazyState state = LazyRangeState(id, &damage, &file_size);
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(uint32_t(0), Napi::Number::New(env, int32_t(state)));
  result.Set(uint32_t(1), Napi::Number::New(env, int32_t(damage)));
  result.Set(uint32_t(2), Napi::Number::New(env, double(file_size)));
  return result;
}

}  // namespace safe_mmap
