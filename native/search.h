// Byte search over raw memory, fast enough to scan a mapped file at memory
// speed. Plain C work only (guard.h's contract): these run inside a guard
// frame over mapped memory, so they never read outside [haystack,
// haystack + haystack_length) and own nothing that needs a destructor.
#pragma once

#include <cstddef>
#include <cstdint>

namespace safe_mmap {

constexpr int64_t kNotFound = -1;

// First match of needle starting at a position in [from, haystack_length -
// needle_length] whose distance from `from`... see alignment: with alignment
// 2, only even positions count (Buffer's UTF-16 search). needle_length >= 1.
int64_t SearchForward(const uint8_t* haystack, size_t haystack_length,
                      const uint8_t* needle, size_t needle_length, size_t from,
                      size_t alignment);

// Last match starting at a position <= from (and <= haystack_length -
// needle_length), with the same alignment rule. needle_length >= 1.
int64_t SearchBackward(const uint8_t* haystack, size_t haystack_length,
                       const uint8_t* needle, size_t needle_length, size_t from,
                       size_t alignment);

// A search run as MappedWork (mapping.h) over mapped bytes: the sync
// indexOf and the pool's both use it.
struct SearchJob {
  const uint8_t* needle;
  size_t needle_length;
  size_t from;
  size_t alignment;
  bool forward;
  int64_t result;
};

void Search(uint8_t* source, size_t length, void* job_pointer);

}  // namespace safe_mmap
