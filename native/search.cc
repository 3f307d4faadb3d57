// The byte searches (search.h): a first-and-last-byte candidate filter,
// vectorised on x86-64, confirmed by memcmp; forward and backward.
#include "search.h"
#include "platform.h"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace safe_mmap {
namespace {

// A candidate is a position whose first and last bytes match. On ordinary
// data they are rare; on adversarial data (long runs of the needle's bytes)
// each one costs a memcmp of up to the needle's length. Past this many per
// byte scanned, hand over to glibc's memmem, which is linear in the worst case.
#if defined(__x86_64__)
// Only the AVX2 search counts candidates (elsewhere it would be unused).
bool TooManyCandidates(size_t candidates, size_t scanned) {
  return candidates > 64 + scanned / 8;
}

const bool kHasAvx2 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
}();

// Wojciech Muła's "generic SIMD" substring search: compare 32 positions at
// once on the needle's first and last bytes, then memcmp the survivors.
// Every load stays inside [haystack, haystack + length).
__attribute__((target("avx2"))) int64_t FirstMatchAvx2(const uint8_t* haystack, size_t length,
                                                       const uint8_t* needle, size_t needle_length,
                                                       size_t from) {
  const __m256i first = _mm256_set1_epi8(static_cast<char>(needle[0]));
  const __m256i last = _mm256_set1_epi8(static_cast<char>(needle[needle_length - 1]));
  const size_t last_start = length - needle_length;
  size_t candidates = 0;
  size_t at = from;
  for (; at + 31 <= last_start; at += 32) {
    const __m256i block_first = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(haystack + at));
    const __m256i block_last =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(haystack + at + needle_length - 1));
    uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_and_si256(
        _mm256_cmpeq_epi8(first, block_first), _mm256_cmpeq_epi8(last, block_last))));
    while (mask != 0) {
      const size_t position = at + __builtin_ctz(mask);
      if (memcmp(haystack + position + 1, needle + 1, needle_length - 2) == 0) return int64_t(position);
      mask &= mask - 1;
      if (TooManyCandidates(++candidates, at - from)) {
        at = position + 1;
        goto rest;
      }
    }
  }
rest:
  const void* match = FindBytes(haystack + at, length - at, needle, needle_length);
  return match ? static_cast<const uint8_t*>(match) - haystack : kNotFound;
}

__attribute__((target("avx2"))) int64_t LastMatchAvx2(const uint8_t* haystack, const uint8_t* needle,
                                                      size_t needle_length, size_t from) {
  const __m256i first = _mm256_set1_epi8(static_cast<char>(needle[0]));
  const __m256i last = _mm256_set1_epi8(static_cast<char>(needle[needle_length - 1]));
  // Blocks of positions [top - 31, top], going down. The highest byte read is
  // from + needle_length - 1, which the caller guarantees is inside.
  size_t top = from;
  for (; top >= 31; top -= 32) {
    const uint8_t* block = haystack + top - 31;
    const __m256i block_first = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block));
    const __m256i block_last =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + needle_length - 1));
    uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_and_si256(
        _mm256_cmpeq_epi8(first, block_first), _mm256_cmpeq_epi8(last, block_last))));
    while (mask != 0) {
      const int bit = 31 - __builtin_clz(mask);
      const size_t position = top - 31 + bit;
      if (memcmp(haystack + position + 1, needle + 1, needle_length - 2) == 0) return int64_t(position);
      mask &= ~(1u << bit);
    }
    if (top < 32) return kNotFound;  // positions below block start do not exist
  }
  for (size_t position = top + 1; position-- > 0;) {
    if (haystack[position] == needle[0] &&
        memcmp(haystack + position + 1, needle + 1, needle_length - 1) == 0) {
      return int64_t(position);
    }
  }
  return kNotFound;
}
#endif

// First match at a position >= from, any alignment. from <= length - needle_length.
int64_t FirstMatch(const uint8_t* haystack, size_t length, const uint8_t* needle,
                   size_t needle_length, size_t from) {
  if (needle_length == 1) {
    const void* match = memchr(haystack + from, needle[0], length - from);
    return match ? static_cast<const uint8_t*>(match) - haystack : kNotFound;
  }
#if defined(__x86_64__)
  if (kHasAvx2) return FirstMatchAvx2(haystack, length, needle, needle_length, from);
#endif
  const void* match = FindBytes(haystack + from, length - from, needle, needle_length);
  return match ? static_cast<const uint8_t*>(match) - haystack : kNotFound;
}

// Last match at a position <= from, any alignment. from <= length - needle_length.
int64_t LastMatch(const uint8_t* haystack, const uint8_t* needle, size_t needle_length,
                  size_t from) {
  if (needle_length == 1) {
    const void* match = FindByteBackward(haystack, needle[0], from + 1);
    return match ? static_cast<const uint8_t*>(match) - haystack : kNotFound;
  }
#if defined(__x86_64__)
  if (kHasAvx2) return LastMatchAvx2(haystack, needle, needle_length, from);
#endif
  // memrchr finds candidates for the first byte; worst case O(n * m) on
  // adversarial data (documented in docs/api.md).
  for (size_t limit = from + 1; limit > 0;) {
    const void* candidate = FindByteBackward(haystack, needle[0], limit);
    if (candidate == nullptr) return kNotFound;
    const size_t position = static_cast<const uint8_t*>(candidate) - haystack;
    if (memcmp(haystack + position + 1, needle + 1, needle_length - 1) == 0) return int64_t(position);
    limit = position;
  }
  return kNotFound;
}

}  // namespace

int64_t SearchForward(const uint8_t* haystack, size_t haystack_length, const uint8_t* needle,
                      size_t needle_length, size_t from, size_t alignment) {
  if (needle_length > haystack_length) return kNotFound;
  const size_t last_start = haystack_length - needle_length;
  while (from <= last_start) {
    const int64_t match = FirstMatch(haystack, haystack_length, needle, needle_length, from);
    if (match < 0 || match % int64_t(alignment) == 0) return match;
    from = size_t(match) + 1;
  }
  return kNotFound;
}

int64_t SearchBackward(const uint8_t* haystack, size_t haystack_length, const uint8_t* needle,
                       size_t needle_length, size_t from, size_t alignment) {
  if (needle_length > haystack_length) return kNotFound;
  if (from > haystack_length - needle_length) from = haystack_length - needle_length;
  for (;;) {
    const int64_t match = LastMatch(haystack, needle, needle_length, from);
    if (match < 0 || match % int64_t(alignment) == 0) return match;
    if (match == 0) return kNotFound;
    from = size_t(match) - 1;
  }
}

void Search(uint8_t* source, size_t length, void* job_pointer) {
  SearchJob* job = static_cast<SearchJob*>(job_pointer);
  job->result = job->forward
                    ? SearchForward(source, length, job->needle, job->needle_length, job->from, job->alignment)
                    : SearchBackward(source, length, job->needle, job->needle_length, job->from, job->alignment);
}

}  // namespace safe_mmap
