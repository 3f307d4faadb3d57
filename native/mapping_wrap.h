// MappingWrap, the JS wrapper (Napi::ObjectWrap, the JS class NativeMapping)
// of one FileMapping: its constructor maps the file, its methods are the
// bindings of one mapping.
// Declared here so that addon.cc, which reaches the byte-moving methods
// through the slot functions (MappingSlots), can name them; defined in
// mapping_wrap.cc.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "addon_state.h"
#include "copy_work.h"
#include "js_errors.h"
#include "mapping.h"
#include "pool.h"
#include "shared_atomics.h"

namespace safe_mmap {

// The arguments of a call from `first` on. The slot functions pass their
// arguments after the slot to the MappingWrap method.
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

class MappingWrap : public Napi::ObjectWrap<MappingWrap> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit MappingWrap(const Napi::CallbackInfo& info);

  ~MappingWrap() override;

  // The methods that move bytes are reached through the addon's slot
  // functions: SafeMmapAddon::OnSlot, and SafeMmapAddon::Read for Read.
  friend class SafeMmapAddon;

  // Atomics on the mapping (shared_atomics.cc, async_waits.cc). Atomic
  // throws on failure; call->result holds the old value.
  void Atomic(Napi::Env env, AtomicCall* call, uint64_t offset);
  Napi::Value Wait(const Arguments& info);
  Napi::Value Notify(const Arguments& info);
  Napi::Value WaitAsync(const Arguments& info);

  // The benchmark's unguarded baseline (testing.h's rawCopyForBenchmark):
  // what safety costs. Not part of the API; it can crash the process.
  Napi::Value RawCopyForBenchmark(const Arguments& info);

  // The mapping's descriptor (kNoFile once closed), which a change watch reopens
  // for a descriptor of its own (change_watch_bindings.cc).
  FileHandle descriptor() const { return mapping_.descriptor(); }

 private:
  // true for a successful access; otherwise throws the matching JS error
  // for `range` and returns false.
  bool Succeeded(Napi::Env env, ErrorRange range, const AccessResult& result) {
    if (result.status == AccessStatus::kOk) return true;
    ThrowAccessError(env, path_, range, result);
    return false;
  }

  // Runs work over [offset, offset+length) under the guard and the mapping's
  // validation, throwing the matching JS error on failure. Returns false
  // when it threw.
  bool GuardedAccess(Napi::Env env, uint64_t offset, uint64_t length, MappedWork work,
                     void* context) {
    return Succeeded(env, {true, offset, length}, mapping_.Access(offset, length, work, context));
  }

  static bool ReadRange(const Arguments& info, size_t first,
                        uint64_t* offset, uint64_t* length);

  // A numeric read: copies length (<= 8) bytes at offset into the scratch
  // buffer, from which the JS side decodes the number. Called by
  // SafeMmapAddon::Read.
  void Read(Napi::Env env, uint64_t offset, uint64_t length) {
    GuardedAccess(env, offset, length, CopyOutSmall, scratch_);
  }

  static bool SpanIn(Napi::Env env, Napi::Uint8Array array, int64_t start, uint64_t length,
                     const char* message, uint8_t** span);
  static bool SearchArguments(const Arguments& info, uint64_t* offset, uint64_t* length,
                              Napi::Uint8Array* needle, SearchJob* job);

  static bool CopyArguments(const Arguments& info, uint64_t* offset, uint64_t* length,
                            uint8_t** destination);

  Napi::Value CopyTo(const Arguments& info);


  Napi::Value Snapshot(const Arguments& info);
  // lazySnapshot(offset, length) -> [ArrayBuffer, index, generation] over a
  // lazy range, or undefined: copy instead (lazy_bindings.cc).
  Napi::Value LazySnapshot(const Arguments& info);

  Napi::Value IndexOf(const Arguments& info);

  Napi::Value CompareWith(const Arguments& info);

  static const int32_t* AbortFlagOf(Napi::Value value, Napi::Object* holder);

  Napi::Value StartAsync(Napi::Env env, AccessPlan plan, Napi::Object holder, Napi::Value abort_flag);
  // copyToAsync and readAtAsync: (target, targetStart, offset, length, abortFlag).
  Napi::Value StartCopyInto(const Napi::CallbackInfo& info, AccessPlan::Resolution resolution);

  Napi::Value SnapshotAsync(const Napi::CallbackInfo& info);

  Napi::Value CopyToAsync(const Napi::CallbackInfo& info);

  Napi::Value ReadAtAsync(const Napi::CallbackInfo& info);

  Napi::Value IndexOfAsync(const Napi::CallbackInfo& info);

  Napi::Value ReadAt(const Arguments& info);

  // Record locks (record_locks.cc, or win32/): lockRange(offset, length, shared),
  // unlockRange(offset, length); lock_waiters.cc: lockRangeWait(offset,
  // length, shared, callback).
  Napi::Value LockRange(const Arguments& info);
  Napi::Value UnlockRange(const Arguments& info);
  Napi::Value LockRangeWait(const Arguments& info);

  Napi::Value WriteFrom(const Arguments& info);

  Napi::Value FillWith(const Arguments& info);

  bool ThrowIfClosed(Napi::Env env, ErrorRange range);

  Napi::Value FlushRange(const Napi::CallbackInfo& info);

  Napi::Value FlushRangeAsync(const Napi::CallbackInfo& info);

  Napi::Value Refresh(const Napi::CallbackInfo& info);

  Napi::Value AdviseRange(const Napi::CallbackInfo& info);

  Napi::Value ResidencyOf(const Napi::CallbackInfo& info);

  Napi::Value FileSize(const Napi::CallbackInfo& info);

  Napi::Value ValidationMethodOf(const Napi::CallbackInfo& info);

  Napi::Value MappedSize(const Napi::CallbackInfo& info);

  Napi::Value Close(const Napi::CallbackInfo& info);

  FileMapping mapping_;
  std::string path_;
  uint8_t* scratch_ = nullptr;  // the environment's scratch buffer (AddonState)
  std::shared_ptr<MappingSlots> slots_;
  uint32_t slot_ = 0;
};

}  // namespace safe_mmap
