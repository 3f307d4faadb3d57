// The per-environment state of the addon (main thread and each worker have
// their own) and its table of live MappingWraps. The state is the
// SafeMmapAddon instance (addon.cc); mapping_wrap.cc and js_errors.cc reach
// it through StateOf.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace safe_mmap {

class MappingSlots;

// Per-environment state (main thread and each worker have their own).
struct AddonState {
  Napi::FunctionReference make_error;
  // Shared with each MappingWrap, whose destructor may run after the
  // environment freed this state (at teardown).
  std::shared_ptr<MappingSlots> slots;
  // 8 bytes that small reads are copied into; the reference keeps them alive.
  Napi::Reference<Napi::Buffer<uint8_t>> scratch_reference;
  uint8_t* scratch = nullptr;
  // The arguments of read(): [slot, offset, length], stored by JS.
  Napi::Reference<Napi::Float64Array> read_arguments_reference;
  const double* read_arguments = nullptr;
  // The arguments of atomic(): [slot, operation, width, offset, value,
  // replacement, result], and its 64-bit values [value, replacement, result].
  Napi::Reference<Napi::Float64Array> atomic_arguments_reference;
  double* atomic_arguments = nullptr;
  Napi::Reference<Napi::BigUint64Array> atomic_big_values_reference;
  uint64_t* atomic_big_values = nullptr;
  // async_waits.cc's pending waits of this environment (opaque here).
  void* async_waits = nullptr;
};

constexpr size_t kScratchSize = 8;

// Defined in addon.cc after SafeMmapAddon, which is the environment's
// instance data.
AddonState* StateOf(Napi::Env env);

class MappingWrap;

// Small integers naming this environment's live MappingWraps. The methods
// that move bytes are addon functions taking the slot, copyTo(slot, target,
// ...), rather than methods of the wrapper: a method finds its C++ object
// through napi_unwrap, a private-symbol lookup of about 45 ns on Node 20,
// half of a 4-byte read in 'fault' mode, while a slot costs a bounds check.
// Only the wrapper's destructor frees a slot, after its JS object became
// unreachable, so a slot that JS still holds names its own mapping. Any
// other number fails the checks in At() and never reaches freed memory.
class MappingSlots {
 public:
  uint32_t Add(MappingWrap* mapping) {
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
  MappingWrap* At(uint32_t slot) const {
    return slot < mappings_.size() ? mappings_[slot] : nullptr;
  }

 private:
  std::vector<MappingWrap*> mappings_;
  std::vector<uint32_t> free_;
};

}  // namespace safe_mmap
