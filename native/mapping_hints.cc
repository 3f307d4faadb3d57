// FileMapping's kernel hints and their page arithmetic (declared in
// mapping.h): PageRange, Flush (msync), Advise (madvise) and Residency
// (mincore). In a file of their own so that mapping.cc keeps the access
// protocol; they are plain system calls over the mapped pages, run outside
// the guard, and add no state.
#include <algorithm>
#include <cerrno>
#include <sys/mman.h>
#include <vector>

#include "mapping.h"

namespace safe_mmap {

bool FileMapping::PageRange(uint64_t offset, uint64_t length, uint8_t** start,
                            size_t* bytes) const {
  const Region* region = region_.load(std::memory_order_acquire);
  if (region == nullptr || region->base == nullptr || offset > region->size ||
      length > region->size - offset) {
    return false;
  }
  const uintptr_t page_mask = uintptr_t(page_size_) - 1;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(region->base + offset) & ~page_mask;
  const uintptr_t end = reinterpret_cast<uintptr_t>(region->base + offset + length);
  *start = reinterpret_cast<uint8_t*>(begin);
  *bytes = size_t(end - begin);
  return true;
}

OsFailure FileMapping::Flush(uint64_t offset, uint64_t length) {
  uint8_t* start;
  size_t bytes;
  if (length == 0 || !PageRange(offset, length, &start, &bytes)) return {0, nullptr, nullptr};
  if (msync(start, bytes, MS_SYNC) != 0) return {errno, "msync", nullptr};
  return {0, nullptr, nullptr};
}

OsFailure FileMapping::Advise(Advice advice, uint64_t offset, uint64_t length) {
  int kernel_advice = MADV_NORMAL;
  switch (advice) {
    case Advice::kNormal: kernel_advice = MADV_NORMAL; break;
    case Advice::kSequential: kernel_advice = MADV_SEQUENTIAL; break;
    case Advice::kRandom: kernel_advice = MADV_RANDOM; break;
    case Advice::kWillNeed: kernel_advice = MADV_WILLNEED; break;
    case Advice::kDontNeed: kernel_advice = MADV_DONTNEED; break;
    case Advice::kHugePage:
#ifdef MADV_HUGEPAGE
      kernel_advice = MADV_HUGEPAGE;
      break;
#else
      return {EINVAL, "madvise", "hugepage advice is not supported here"};
#endif
  }
  uint8_t* start;
  size_t bytes;
  if (length == 0 || !PageRange(offset, length, &start, &bytes)) return {0, nullptr, nullptr};
  if (madvise(start, bytes, kernel_advice) != 0) return {errno, "madvise", nullptr};
  return {0, nullptr, nullptr};
}

OsFailure FileMapping::Residency(uint64_t offset, uint64_t length, uint64_t* pages,
                                 uint64_t* resident) {
  *pages = 0;
  *resident = 0;
  uint8_t* start;
  size_t bytes;
  if (length == 0 || !PageRange(offset, length, &start, &bytes)) return {0, nullptr, nullptr};
  // mincore fills one byte per page; ask in slices to bound the vector.
  constexpr size_t kSlicePages = 4096;
  std::vector<unsigned char> status(kSlicePages);
  const size_t total_pages = (bytes + page_size_ - 1) / page_size_;
  for (size_t done = 0; done < total_pages; done += kSlicePages) {
    const size_t count = std::min(kSlicePages, total_pages - done);
    const size_t slice_bytes = std::min(count * page_size_, bytes - done * page_size_);
    if (mincore(start + done * page_size_, slice_bytes, status.data()) != 0) {
      return {errno, "mincore", nullptr};
    }
    for (size_t i = 0; i < count; ++i) *resident += status[i] & 1;
  }
  *pages = total_pages;
  return {0, nullptr, nullptr};
}

}  // namespace safe_mmap
