// FileMapping's reads for the async fast path and fs-style reads (declared
// at the end of mapping.h): RangeResident, AccessUpToEnd and CopyByRead.
// In a file of their own so that mapping.cc stays one screenful of protocol;
// they use the accesses in mapping.cc and add no state.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mapping.h"

namespace safe_mmap {
namespace {

// preadv2(RWF_NOWAIT) where the system has it (Linux; the semantics that
// matter here, no readahead either, since 5.9); elsewhere EOPNOTSUPP, so
// that callers take their other way.
ssize_t ReadNoWait(int fd, uint8_t* destination, uint64_t length, uint64_t offset) {
#if defined(__linux__) && defined(RWF_NOWAIT)
  iovec into{destination, size_t(length)};
  return preadv2(fd, &into, 1, off_t(offset), RWF_NOWAIT);
#else
  (void)fd, (void)destination, (void)length, (void)offset;
  errno = EOPNOTSUPP;
  return -1;
#endif
}

void PlainCopy(uint8_t* mapped, size_t length, void* destination) {
  memcpy(destination, mapped, length);
}

}  // namespace

bool FileMapping::RangeResident(uint64_t offset, uint64_t length) const {
  if (closed()) return false;
  if (length == 0) return true;  // nothing will be touched
  uint8_t* start;
  size_t bytes;
  if (!PageRange(offset, length, &start, &bytes)) return false;
  // One status byte per page, on the stack: callers ask about ranges of at
  // most a few MiB (the fast path's limit), which are asked in slices.
  constexpr size_t kSlicePages = 1024;
  unsigned char status[kSlicePages];
  const size_t total_pages = (bytes + page_size_ - 1) / page_size_;
  for (size_t done = 0; done < total_pages; done += kSlicePages) {
    const size_t count = std::min(kSlicePages, total_pages - done);
    const size_t slice_bytes = std::min(count * page_size_, bytes - done * page_size_);
    if (mincore(start + done * page_size_, slice_bytes, status) != 0) return false;
    for (size_t i = 0; i < count; ++i) {
      if ((status[i] & 1) == 0) return false;
    }
  }
  return true;
}

AccessResult FileMapping::AccessUpToEnd(uint64_t position, uint64_t length, MappedWork work,
                                        void* context, Reach reach, uint64_t* count,
                                        NoWait* no_wait) {
  *count = 0;
  if (closed()) return {AccessStatus::kClosed, -1, 0};
  // The end as far as it is known. 'always' checks the size after the work
  // anyway, and reports a shorter file as kTruncated with its size: start
  // from the mapping's end and let that correct it, which saves an fstat on
  // every read that the file still holds. 'fault' checks nothing after the
  // work, so it asks first.
  uint64_t end = mapped_size();
  const bool checks_after = options_.mode == ValidationMode::kAlways;
  FileState before;
  if (!checks_after) {
    if (int error_number = ReadFileState(&before)) return AccessResult::IOError(-1, error_number);
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
      if (int error_number = ReadFileState(&now)) return AccessResult::IOError(-1, error_number);
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

// Reads [offset, offset + length) into destination with pread (or
// preadv2(RWF_NOWAIT) when no_wait is given), as far as the file goes.
// Returns the bytes read; *read_error is a failed read's errno, else 0.
// *would_block is set (and the reading stops) when RWF_NOWAIT declined.
uint64_t FileMapping::ReadInto(uint64_t offset, uint64_t length, uint8_t* destination,
                               NoWait* no_wait, int* read_error) const {
  uint64_t done = 0;
  *read_error = 0;
  while (done < length) {
    const ssize_t got = no_wait != nullptr
                            ? ReadNoWait(fd_, destination + done, length - done, offset + done)
                            : pread(fd_, destination + done, size_t(length - done), off_t(offset + done));
    if (got > 0) {
      done += uint64_t(got);
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else if (got < 0 && no_wait != nullptr && (errno == EAGAIN || errno == EOPNOTSUPP)) {
      *no_wait = errno == EAGAIN ? NoWait::kWouldBlock : NoWait::kUnsupported;
      break;
    } else {
      if (got < 0) *read_error = errno;
      break;  // 0: the end of the file came first
    }
  }
  return done;
}

AccessResult FileMapping::CopyByRead(uint64_t offset, uint64_t length, uint8_t* destination,
                                     NoWait* no_wait) {
  if (no_wait != nullptr) *no_wait = NoWait::kDone;
  if (closed()) return {AccessStatus::kClosed, -1, 0};
  // { stable: true } fails every access once anything changed since Map
  // (AccessStable), which the seqlock below does not know: such a file is
  // read through its own accesses only.
  if (options_.stable) {
    if (no_wait != nullptr) {
      *no_wait = NoWait::kUnsupported;
      return AccessResult::Ok();
    }
    return AccessFromPool(offset, length, PlainCopy, destination);
  }
  const Region* region = region_.load(std::memory_order_acquire);
  const uint64_t end = offset + length;
  int read_error;
  // Lease mode, as AccessUnderLease around a copy: no fstat when the lease
  // vouches for the reads. A short or failed read under the lease means the
  // file changed without a break (O_RDONLY|O_TRUNC) or could not be read:
  // the lease is given up and the seqlock below decides.
  uint64_t token;
  if (offset <= region->size && length <= region->size - offset && lease_.Begin(&token) &&
      end <= leased_size_.load(std::memory_order_acquire)) {  // after Begin: AccessUnderLease says why
    const uint64_t done = ReadInto(offset, length, destination, no_wait, &read_error);
    if (no_wait != nullptr && *no_wait != NoWait::kDone) return AccessResult::Ok();  // not an answer
    if (done == length && read_error == 0) {
      if (lease_.Confirm(token)) return AccessResult::Ok();
    } else {
      lease_.Distrust();
    }
  }
  FileState state;
  if (int error_number = ReadFileState(&state)) return AccessResult::IOError(-1, error_number);
  if (offset > region->size || length > region->size - offset) {
    return AccessResult::Truncated(std::min(state.size, region->size));
  }
  if (state.size < end) return AccessResult::Truncated(state.size);
  // The seqlock of AccessValidated, around reads instead of a copy: a file
  // truncated and regrown between two pread calls could hand out the zeros
  // of the regrown hole.
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    const FileState before = state;
    const uint64_t done = ReadInto(offset, length, destination, no_wait, &read_error);
    if (no_wait != nullptr && *no_wait != NoWait::kDone) return AccessResult::Ok();  // not an answer: the caller goes another way
    if (int error_number = ReadFileState(&state)) return AccessResult::IOError(-1, error_number);
    if (state.size < end) return AccessResult::Truncated(state.size);
    if (state == before) {
      if (read_error != 0) return AccessResult::IOError(int64_t(state.size), read_error);
      return done == length ? AccessResult::Ok() : AccessResult::Truncated(state.size);
    }
  }
  return AccessResult::Truncated(state.size);
}

}  // namespace safe_mmap
