// FileMapping's kernel hints (declared in mapping.h): Flush (msync), Advise
// (madvise) and Residency (mincore), or their Windows counterparts
// (platform.h). Plain system calls over the pages that hold a range, run
// outside the guard; they add no state.
#include <algorithm>
#include <cerrno>

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
  return FlushMapped(file_, span.start, span.bytes);
}

OsFailure FileMapping::Advise(Advice advice, uint64_t offset, uint64_t length) {
  const Region* region = RegionHolding(offset, length);
  PageSpan span;
  if (region == nullptr || !PagesOf(region->base, offset, length, page_size_, &span)) return OsFailure::None();
  return AdviseMapped(span.start, span.bytes, advice);
}

OsFailure FileMapping::Residency(uint64_t offset, uint64_t length, uint64_t* pages,
                                 uint64_t* resident) const {
  *pages = 0;
  *resident = 0;
  const Region* region = RegionHolding(offset, length);
  PageSpan span;
  if (region == nullptr || !PagesOf(region->base, offset, length, page_size_, &span)) return OsFailure::None();
  if (int error_number = CountResidentPages(span.start, span.bytes, false, pages, resident)) {
    return OsFailure::Of(error_number, kResidencyCall);
  }
  return OsFailure::None();
}

}  // namespace safe_mmap
