// The work kernels that the bindings run under the guard (MappedWork,
// mapping.h): copies out of and into the mapping, fill and compare. Plain C
// work only (guard.h's contract): they run inside a guard frame over mapped
// memory, own nothing that needs a destructor and make no N-API call.
#pragma once

#include <cstddef>
#include <cstdint>

namespace safe_mmap {

// Copies length bytes of the mapping to destination, in 16 MiB slices.
void CopyOut(uint8_t* mapped, size_t length, void* destination);
// The copy of a numeric read (1 to 8 bytes) into destination.
void CopyOutSmall(uint8_t* mapped, size_t length, void* destination);
// Copies length bytes of source into the mapping.
void CopyIn(uint8_t* mapped, size_t length, void* source);

struct FillJob {
  const uint8_t* pattern;
  size_t pattern_length;  // >= 1; the pattern starts at the first byte
};

// Repeats job_pointer's FillJob pattern over the mapped range.
void Fill(uint8_t* mapped, size_t length, void* job_pointer);

struct CompareJob {
  const uint8_t* other;
  int result;
};

// memcmp of the mapped range against job_pointer's CompareJob other.
void Compare(uint8_t* source, size_t length, void* job_pointer);

}  // namespace safe_mmap
