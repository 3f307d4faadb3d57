// Page and range arithmetic shared by the mapping's accesses, its kernel
// hints and its residency checks: one range check, one rounding to whole
// pages, one mincore loop.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
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

// mincore over a page span, in slices of a bounded status buffer on the
// stack. Counts the span's pages and those in the page cache; with
// stop_at_missing, stops at the first page that is not (then *resident <
// *pages). Returns 0 or mincore's errno. Never blocks, faults nothing in.
inline int CountResidentPages(PageSpan span, size_t page_size, bool stop_at_missing, uint64_t* pages,
                              uint64_t* resident) {
  constexpr size_t kSlicePages = 1024;
  unsigned char status[kSlicePages];
  const size_t total_pages = (span.bytes + page_size - 1) / page_size;
  *pages = total_pages;
  *resident = 0;
  for (size_t done = 0; done < total_pages; done += kSlicePages) {
    const size_t count = std::min(kSlicePages, total_pages - done);
    const size_t slice_bytes = std::min(count * page_size, span.bytes - done * page_size);
    if (mincore(span.start + done * page_size, slice_bytes, status) != 0) return errno;
    for (size_t i = 0; i < count; ++i) {
      if ((status[i] & 1) == 0 && stop_at_missing) return 0;
      *resident += status[i] & 1;
    }
  }
  return 0;
}

// Fills the page table for the whole pages inside [address, address +
// length) of private memory about to be written, in one madvise rather than
// one fault per page. A hint: it changes no byte, and where it fails (a
// kernel before 5.14, a system without it) the writes fault the pages in.
inline void PopulateForWriting(uint8_t* address, size_t length, size_t page_size) {
#if defined(__linux__)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older headers lack it
#endif
  const uintptr_t page_mask = uintptr_t(page_size) - 1;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(address) + page_mask) & ~page_mask;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(address) + length) & ~page_mask;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#else
  (void)address, (void)length, (void)page_size;
#endif
}

}  // namespace safe_mmap
