// FileMapping's fs-style and pread routes (declared in mapping.h):
// RangeResident, AccessUpToEnd, CopyByRead and SnapshotInto. Their validation is the
// change detector's (change_detector.h), as for every access.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "mapping.h"
#include "pages.h"

namespace safe_mmap {
namespace {

void PlainCopy(uint8_t* mapped, size_t length, void* destination) {
  memcpy(destination, mapped, length);
}

}  // namespace

bool FileMapping::RangeResident(uint64_t offset, uint64_t length) const {
  if (closed()) return false;
  if (length == 0) return true;  // nothing will be touched
  const Region* region = RegionHolding(offset, length);
  if (region == nullptr || region->base == nullptr) return false;
  uint64_t pages, resident;
  const PageSpan span = PagesHolding(region->base + offset, size_t(length), page_size_);
  return CountResidentPages(span.start, span.bytes, true, &pages, &resident) == 0 && resident == pages;
}

AccessResult FileMapping::AccessUpToEnd(uint64_t position, uint64_t length, MappedWork work,
                                        void* context, Reach reach, uint64_t* count,
                                        NoWait* no_wait) {
  *count = 0;
  if (closed()) return AccessResult::Closed();
  // The end as far as it is known. 'always' checks the size after the work
  // anyway, and reports a shorter file as kTruncated with its size: start
  // from the mapping's end and let that correct it, which saves an fstat on
  // every read that the file still holds. 'fault' checks nothing after the
  // work, so it asks first.
  uint64_t end = mapped_size();
  const bool checks_after = options_.mode == ValidationMode::kAlways;
  FileState before;
  if (!checks_after) {
    if (int error_number = ReadFileState(file_, &before)) return AccessResult::IOError(-1, error_number);
    end = std::min(end, before.size);
  }
  for (int attempt = 0; attempt < 4; ++attempt) {
    const uint64_t n = position >= end ? 0 : std::min(length, end - position);
    if (n == 0) return AccessResult::Ok();
    const AccessResult result =
        reach == Reach::kOwner ? Access(position, n, work, context)
        : reach == Reach::kPool ? AccessFromPool(position, n, work, context)
        : CopyByRead(position, n, static_cast<uint8_t*>(context),
                     reach == Reach::kNoWaitRead ? no_wait : nullptr);
    if (no_wait != nullptr && *no_wait != NoWait::kDone) return result;
    if (result.status == AccessStatus::kIOError && !checks_after) {
      // 'fault' judges a fault by the size after it: a file truncated under
      // the copy and regrown before that look reads as an I/O error. When
      // the file changed since the read began, it was such a race: read
      // again against what the file is now.
      FileState now;
      if (int error_number = ReadFileState(file_, &now)) return AccessResult::IOError(-1, error_number);
      if (now == before) return result;
      before = now;
      end = std::min(mapped_size(), now.size);
      continue;
    }
    if (result.status != AccessStatus::kTruncated || result.file_size < 0) {
      if (result.status == AccessStatus::kOk) *count = n;
      return result;
    }
    // The file is shorter than the read: read again up to its new end.
    end = std::min(mapped_size(), uint64_t(result.file_size));
  }
  return AccessResult::Truncated(end);
}

namespace {

// Reads [offset, offset + length) of the file into destination with pread (or
// preadv2(RWF_NOWAIT) when no_wait is given), as far as the file goes.
struct ReadTry {
  FileHandle file;
  uint64_t offset, length;
  uint8_t* destination;
  FileMapping::NoWait* no_wait;
};

TryEnd TryRead(void* pointer) {
  const ReadTry& read = *static_cast<const ReadTry*>(pointer);
  uint64_t done = 0;
  while (done < read.length) {
    size_t got = 0;
    const int error_number = ReadAt(read.file, read.destination + done, size_t(read.length - done),
                                    read.offset + done, read.no_wait != nullptr, &got);
    if (error_number == 0 && got > 0) {
      done += uint64_t(got);
    } else if (read.no_wait != nullptr && (error_number == EAGAIN || error_number == EOPNOTSUPP)) {
      *read.no_wait =
          error_number == EAGAIN ? FileMapping::NoWait::kWouldBlock : FileMapping::NoWait::kUnsupported;
      return {TryEnd::kDeclined, 0};
    } else if (error_number != 0) {
      return {TryEnd::kFaulted, error_number};
    } else {
      return {TryEnd::kShort, 0};  // the end of the file came first
    }
  }
  return {TryEnd::kCompleted, 0};
}

}  // namespace

AccessResult FileMapping::CopyByRead(uint64_t offset, uint64_t length, uint8_t* destination,
                                     NoWait* no_wait) {
  if (no_wait != nullptr) *no_wait = NoWait::kDone;
  if (closed()) return AccessResult::Closed();
  // { stable: true } fails every access once anything changed since Map
  // (ChangeDetector::Stable), which a pread cannot see fault: such a file is
  // read through its own accesses only.
  if (options_.stable) {
    if (no_wait != nullptr) {
      *no_wait = NoWait::kUnsupported;
      return AccessResult::Ok();
    }
    return AccessFromPool(offset, length, PlainCopy, destination);
  }
  const Region* region = region_.load(std::memory_order_acquire);
  if (!RangeFits(offset, length, region->size)) return PastTheMapping(*region);
  return ReadValidated(offset, length, destination, no_wait, false);
}

AccessResult FileMapping::SnapshotInto(uint64_t offset, uint64_t length, uint8_t* destination) {
  const Region* region = closed() ? nullptr : region_.load(std::memory_order_acquire);
  if (length < kSnapshotByReadFrom || options_.mode != ValidationMode::kAlways || options_.stable ||
      region == nullptr || !RangeFits(offset, length, region->size)) {
    // Closed, or past the mapping: Access says so (or grows the mapping).
    return Access(offset, length, PlainCopy, destination);
  }
  // The Buffer is new: its pages fault in one by one as the copy first
  // writes them, in the kernel's copy as in readFileSync's. One madvise
  // fills them without a fault each; a kernel without it (before 5.14) says
  // EINVAL, and the copy faults them in as before.
  PopulateForWriting(destination, size_t(length));
  return ReadValidated(offset, length, destination, nullptr, true);
}

AccessResult FileMapping::ReadValidated(uint64_t offset, uint64_t length, uint8_t* destination,
                                        NoWait* no_wait, bool owner) {
  // The seqlock (or the lease) around reads instead of a copy: a file
  // truncated and regrown between two pread calls could hand out the zeros
  // of the regrown hole. A short or failed read under the lease means the
  // file changed without a break or could not be read, as a fault does.
  ReadTry read{file_, offset, length, destination, no_wait};
  return changes_.Validated(offset + length, owner, [&] { return TryRead(&read); });
}

}  // namespace safe_mmap
