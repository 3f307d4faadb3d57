#include "mapping.h"

#include <cerrno>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard.h"

namespace safe_mmap {
namespace {

// How many times a validated access is repeated when the file changes under
// it. A writer would have to modify the file during every one of them; then
// the access reports MappedFileTruncated (the change may have been one).
constexpr int kMaxAttempts = 16;

const char* DescribeNonRegular(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISFIFO(mode)) return "is a FIFO";
  if (S_ISSOCK(mode)) return "is a socket";
  if (S_ISCHR(mode)) return "is a character device";
  if (S_ISBLK(mode)) return "is a block device";
  return "is not a regular file";
}

int64_t ChangeTimeNs(const struct stat& st) {
#if defined(__APPLE__)
  return int64_t(st.st_ctimespec.tv_sec) * 1000000000 + st.st_ctimespec.tv_nsec;
#else
  return int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
#endif
}

struct WorkCall {
  MappedWork work;
  const uint8_t* source;
  size_t length;
  void* context;
};

void InvokeWork(void* call_pointer) {
  const WorkCall* call = static_cast<const WorkCall*>(call_pointer);
  call->work(call->source, call->length, call->context);
}

AccessResult Ok() { return {AccessStatus::kOk, -1, 0}; }
AccessResult Truncated(uint64_t size) {
  return {AccessStatus::kTruncated, int64_t(size), 0};
}
AccessResult IOError(int64_t size, int error_number) {
  return {AccessStatus::kIOError, size, error_number};
}

}  // namespace

// Only reached with no pins left: an operation in flight holds a reference to
// the JS object that owns this mapping, so it cannot be collected meanwhile.
FileMapping::~FileMapping() { Release(); }

OsFailure FileMapping::Map(int fd, ValidationMode mode) {
  struct stat st;
  if (fstat(fd, &st) != 0) return {errno, "fstat", nullptr};
  // Only regular files have a size that means what mmap needs. Rejecting the
  // rest here also keeps FIFOs and devices from blocking or misbehaving.
  if (!S_ISREG(st.st_mode)) {
    return {S_ISDIR(st.st_mode) ? EISDIR : ENODEV, "mmap",
            DescribeNonRegular(st.st_mode)};
  }
  const uint64_t size = uint64_t(st.st_size);
  if (size > 0) {
    if (size > SIZE_MAX) return {EFBIG, "mmap", nullptr};
    void* address = mmap(nullptr, size_t(size), PROT_READ, MAP_SHARED, fd, 0);
    if (address == MAP_FAILED) return {errno, "mmap", nullptr};
    base_ = static_cast<uint8_t*>(address);
  }
  fd_ = fd;
  page_size_ = size_t(sysconf(_SC_PAGESIZE));
  mapped_size_ = size;
  mode_ = mode;
  last_state_ = {size, ChangeTimeNs(st)};
  InstallFaultGuard();
  return {0, nullptr, nullptr};
}

bool FileMapping::Pin() {
  if (closed()) return false;
  ++pins_;
  return true;
}

void FileMapping::Unpin() {
  if (--pins_ == 0 && closed()) Release();
}

void FileMapping::Close() {
  closed_.store(true, std::memory_order_release);
  if (pins_ == 0) Release();
}

void FileMapping::Release() {
  if (base_ != nullptr) munmap(base_, size_t(mapped_size_));
  if (fd_ >= 0) close(fd_);
  base_ = nullptr;
  fd_ = -1;
}

int FileMapping::ReadFileState(FileState* state) const {
  struct stat st;
  if (fstat(fd_, &st) != 0) return errno;
  *state = {uint64_t(st.st_size), ChangeTimeNs(st)};
  return 0;
}

AccessResult FileMapping::CurrentFileSize() {
  if (closed()) return {AccessStatus::kClosed, -1, 0};
  FileState state;
  if (int error_number = ReadFileState(&state)) return IOError(-1, error_number);
  return {AccessStatus::kOk, int64_t(state.size), 0};
}

bool FileMapping::RunWork(uint64_t offset, uint64_t length, MappedWork work,
                          void* context) const {
  if (length == 0) return true;  // nothing to touch (an empty file has no base)
  WorkCall call{work, base_ + offset, size_t(length), context};
  // Claim faults on the whole pages that hold the range, not just the range:
  // glibc's SIMD memchr/memcmp may read aligned blocks a little past either
  // end (never across a page), and a fault there is still this file's.
  const uintptr_t page_mask = uintptr_t(page_size_) - 1;
  const uintptr_t claim_begin = reinterpret_cast<uintptr_t>(call.source) & ~page_mask;
  const uintptr_t claim_end =
      (reinterpret_cast<uintptr_t>(call.source) + call.length + page_mask) & ~page_mask;
  return !RunGuarded(reinterpret_cast<const void*>(claim_begin), claim_end - claim_begin,
                     InvokeWork, &call)
              .faulted;
}

AccessResult FileMapping::Access(uint64_t offset, uint64_t length,
                                 MappedWork work, void* context) {
  return AccessChecked(offset, length, work, context, &last_state_);
}

AccessResult FileMapping::AccessFromPool(uint64_t offset, uint64_t length,
                                         MappedWork work, void* context) {
  return AccessChecked(offset, length, work, context, nullptr);
}

AccessResult FileMapping::AccessChecked(uint64_t offset, uint64_t length,
                                        MappedWork work, void* context,
                                        FileState* known_state) {
  if (closed()) return {AccessStatus::kClosed, -1, 0};
  if (offset > mapped_size_ || length > mapped_size_ - offset) {
    return {AccessStatus::kOutOfMapping, -1, 0};
  }
  if (mode_ == ValidationMode::kAlways) {
    return AccessValidated(offset, length, work, context, known_state);
  }
  if (RunWork(offset, length, work, context)) return Ok();
  return ClassifyFaultBySize(offset + length);
}

// 'fault' mode knows no earlier state, so a fault is judged by size alone:
// past EOF now means truncated, inside the file means the page was unreadable.
AccessResult FileMapping::ClassifyFaultBySize(uint64_t end) const {
  FileState now;
  if (int error_number = ReadFileState(&now)) return IOError(-1, error_number);
  if (now.size < end) return Truncated(now.size);
  return IOError(int64_t(now.size), 0);
}

// The seqlock. `before` is a state observed before the work started and
// `after` one observed after it ended. Equal size and ctime prove that no
// write(2), truncate(2) or ftruncate(2) happened in between (ctime is
// fine-grained once queried on Linux >= 6.13, multigrain timestamps), so the
// work saw one moment of the file and a fault in it was not a truncation.
// Any difference means the work may have read the zero-filled tail of a file
// that was truncated and regrown (ABA), or faulted on a page that was
// truncated and has since come back: repeat it.
// known_state is the owner's cached state (updated here), or nullptr for a
// pool access, which starts with a fresh observation.
AccessResult FileMapping::AccessValidated(uint64_t offset, uint64_t length,
                                          MappedWork work, void* context,
                                          FileState* known_state) {
  const uint64_t end = offset + length;
  FileState state;
  if (known_state != nullptr && known_state->size >= end) {
    state = *known_state;  // remembered: no system call before the work
  } else {
    // Nothing remembered, or it says the file is too short: look now (it may
    // have grown back), and never touch the memory when it really is.
    if (int error_number = ReadFileState(&state)) return IOError(-1, error_number);
    if (known_state != nullptr) *known_state = state;
    if (state.size < end) return Truncated(state.size);
  }
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    const FileState before = state;
    const bool completed = RunWork(offset, length, work, context);
    if (int error_number = ReadFileState(&state)) return IOError(-1, error_number);
    if (known_state != nullptr) *known_state = state;
    if (state.size < end) return Truncated(state.size);
    if (state == before) {
      return completed ? Ok() : IOError(int64_t(state.size), 0);
    }
  }
  return Truncated(state.size);
}

}  // namespace safe_mmap
