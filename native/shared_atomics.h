// Atomic operations on words of a shared file mapping, as JS Atomics does
// them on a SharedArrayBuffer: sequentially consistent, and correct between
// processes (and workers, and mappings) of the same file, because the CPU's
// atomic instructions act on the physical page that every mapping of it
// shares. Each runs under the fault guard, exactly once
// (FileMapping::AccessOnceForWrite; loads are ordinary validated accesses),
// so a truncation is MappedFileTruncated and never a SIGBUS.
// The waits and wakes are futex_waits.h's and async_waits.h's.
#pragma once

#include <cstddef>
#include <cstdint>

namespace safe_mmap {

// The operation codes that src/atomics.ts sends (constants.atomics).
enum class AtomicOperation : int {
  kLoad, kStore, kAdd, kSub, kAnd, kOr, kXor, kExchange, kCompareExchange,
};

// One operation on a 4- or 8-byte word. Values travel as their unsigned bit
// patterns; JS gives them their sign.
struct AtomicCall {
  AtomicOperation operation;
  int width;             // 4 or 8
  uint64_t value;        // the operand (compareExchange: the expected value)
  uint64_t replacement;  // compareExchange's new value
  uint64_t result;       // the old value (load: the value)
};

// The guarded work (mapping.h's MappedWork) that performs an AtomicCall.
void RunAtomic(uint8_t* mapped, size_t length, void* call);

}  // namespace safe_mmap
