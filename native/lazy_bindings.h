// The bindings of lazy snapshots (lazy_ranges.h): MappingWrap::LazySnapshot
// and the state query behind checkSnapshot, in lazy_bindings.cc.
#pragma once

#include <napi.h>

namespace safe_mmap {

// lazySnapshotState(index, generation) -> [state, damage, fileSize]
// (LazyState, LazyDamage; the file's size when damage was found).
Napi::Value LazySnapshotState(const Napi::CallbackInfo& info);

}  // namespace safe_mmap
