// FileMapping's kernel hints (declared in mapping.h): Flush (msync), Advise
// (madvise) and Residency (mincore). Plain system calls over the pages that
// hold a range, run outside the guard; they add no state.
#include <algorithm>
#include <cerrno>
#include <sys/mman.h>

#include "mapping.h"
#include "pages.h"

namespace safe_mmap {

namespace {
// The pages holding [offset, offset + length) of the mapping, when it holds
// the range and it is not empty.
bool PagesOf(const uint8_t* base, uint64_t offset, uint64_t length, size_t page_size, PageSpan* span) {
  if (length == 0 || base == nullptr) return false;
  *span = PagesHolding(base + offset, size_t(length), page_size);
  return true;
}
}  // namespace

OsFailure FileMapping::Flush(uint64_t offset, uint64_t length) {
  const Region* region = RegionHolding(offset, length);
  PageSpan span;
  if (region == nullptr || !PagesOf(region->base, offset, length, page_size_, &span)) return OsFailure::None();
  if (msync(span.start, span.bytes, MS_SYNC) != 0) return OsFailure::Of(errno, "msync");
  return OsFailure::None();
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
  const Region* region = RegionHolding(offset, length);
  PageSpan span;
  if (region == nullptr || !PagesOf(region->base, offset, length, page_size_, &span)) return OsFailure::None();
  if (madvise(span.start, span.bytes, kernel_advice) != 0) return OsFailure::Of(errno, "madvise");
  return OsFailure::None();
}

OsFailure FileMapping::Residency(uint64_t offset, uint64_t length, uint64_t* pages,
                                 uint64_t* resident) const {
  *pages = 0;
  *resident = 0;
  const Region* region = RegionHolding(offset, length);
  PageSpan span;
  if (region == nullptr || !PagesOf(region->base, offset, length, page_size_, &span)) return OsFailure::None();
  if (int error_number = CountResidentPages(span, page_size_, false, pages, resident)) {
    return OsFailure::Of(error_number, "mincore");
  }
  return OsFailure::None();
}

}  // namespace safe_mmap
