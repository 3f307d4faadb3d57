// Page and range arithmetic shared by the mapping's accesses, its kernel
// hints and its residency checks: one range check, one rounding to whole
// pages (the residency loop itself is platform.h's).
#pragma once

#include <cstddef>
#include <cstdint>

namespace safe_mmap {

// Whether [offset, offset + length) lies inside [0, size), without overflow.
inline bool RangeFits(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

// The whole pages holding [address, address + length).
struct PageSpan {
  uint8_t* start;
  size_t bytes;
};

inline PageSpan PagesHolding(const uint8_t* address, size_t length, size_t page_size) {
  const uintptr_t page_mask = uintptr_t(page_size) - 1;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(address) & ~page_mask;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(address) + length + page_mask) & ~page_mask;
  return {reinterpret_cast<uint8_t*>(begin), size_t(end - begin)};
}

}  // namespace safe_mmap
