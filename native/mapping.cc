#include "mapping.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include "guard.h"

namespace safe_mmap {
namespace {

// fstat by the system call, on every Linux. Called once per access in 'always'
// mode, so its cost is the mode's cost: glibc >= 2.33 implements fstat as
// fstatat(fd, "", AT_EMPTY_PATH), and the kernel then reads and checks the
// empty path from user memory, about 17 ns of a 165 ns call here; the old
// fstat system call takes the descriptor alone. And glibc's fstat symbol is
// GLIBC_2.33, above the floor (glibc_floor.h), with no older version to pin.
// On x86-64 and aarch64 glibc's struct stat is the kernel's layout.
int StatDescriptor(int fd, struct stat* st) {
#if defined(__linux__)
  return int(syscall(SYS_fstat, fd, st));
#else
  return fstat(fd, st);
#endif
}

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
  uint8_t* mapped;
  size_t length;
  void* context;
};

void InvokeWork(void* call_pointer) {
  const WorkCall* call = static_cast<const WorkCall*>(call_pointer);
  call->work(call->mapped, call->length, call->context);
}

}  // namespace

// Only reached with no pins left: an operation in flight holds a reference to
// the JS object that owns this mapping, so it cannot be collected meanwhile.
FileMapping::~FileMapping() { Release(); }

namespace {
// mmap of size bytes of fd as the options say; nullptr base for size 0.
OsFailure MapRegion(int fd, uint64_t size, const MapOptions& options, uint8_t** base) {
  *base = nullptr;
  if (size == 0) return {0, nullptr, nullptr};
  if (size > SIZE_MAX) return {EFBIG, "mmap", nullptr};
  const int protection = PROT_READ | (options.writable ? PROT_WRITE : 0);
  const int flags = MAP_SHARED | (options.populate ? MAP_POPULATE : 0);
  void* address = mmap(nullptr, size_t(size), protection, flags, fd, 0);
  if (address == MAP_FAILED) return {errno, "mmap", nullptr};
  *base = static_cast<uint8_t*>(address);
  return {0, nullptr, nullptr};
}
}  // namespace

OsFailure FileMapping::Map(int fd, MapOptions options) {
  struct stat st;
  if (StatDescriptor(fd, &st) != 0) return {errno, "fstat", nullptr};
  // Only regular files have a size that means what mmap needs. Rejecting the
  // rest here also keeps FIFOs and devices from blocking or misbehaving.
  if (!S_ISREG(st.st_mode)) {
    return {S_ISDIR(st.st_mode) ? EISDIR : ENODEV, "mmap",
            DescribeNonRegular(st.st_mode)};
  }
  // Our own descriptor: the caller's came from fs.openSync, which Node tracks
  // (in a worker it closes its leftovers at exit), so the caller must close
  // that one itself and we must never close it. The lease goes on this one:
  // a break names it (si_fd), and it lives as long as the mapping.
  const int own_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own_fd < 0) return {errno, "fcntl", nullptr};
  fd_ = own_fd;
  options_ = options;
  // Read-only 'always' mappings only: a writable one holds the file open for
  // writing, which a lease forbids. The lease itself is taken once the file
  // is hot (TakeLeaseWhenHot), and its size read under it then.
  if (options.mode == ValidationMode::kAlways && !options.writable && options.lease) lease_.Register(fd_);
  const uint64_t size = uint64_t(st.st_size);
  uint8_t* base;
  OsFailure failure = MapRegion(fd_, size, options, &base);
  if (failure.error_number != 0) {
    Release();
    return failure;
  }
  page_size_ = size_t(sysconf(_SC_PAGESIZE));
  region_.store(new Region{base, size}, std::memory_order_release);
  last_state_ = {size, ChangeTimeNs(st)};
  initial_state_ = last_state_;
  InstallFaultGuard();
  return {0, nullptr, nullptr};
}

ValidationMethod FileMapping::validation_method() const {
  if (options_.mode != ValidationMode::kAlways) return ValidationMethod::kNone;
  return lease_.held() ? ValidationMethod::kLease : ValidationMethod::kFstat;
}

bool FileMapping::Pin() {
  if (closed()) return false;
  ++pins_;
  return true;
}

void FileMapping::Unpin() {
  if (--pins_ > 0) return;
  if (closed()) Release();
  else UnmapRetired();
}

void FileMapping::Close() {
  closed_.store(true, std::memory_order_release);
  if (pins_ == 0) Release();
}

void FileMapping::Release() {
  UnmapRetired();
  if (Region* region = region_.exchange(nullptr)) {
    if (region->base != nullptr) munmap(region->base, size_t(region->size));
    delete region;
  }
  lease_.Release();  // before close: a lease must never outlive its descriptor
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void FileMapping::UnmapRetired() {
  for (Region* region : retired_) {
    if (region->base != nullptr) munmap(region->base, size_t(region->size));
    delete region;
  }
  retired_.clear();
}

OsFailure FileMapping::Remap() {
  FileState state;
  if (int error_number = ReadFileState(&state)) return {error_number, "fstat", nullptr};
  uint8_t* base;
  OsFailure failure = MapRegion(fd_, state.size, options_, &base);
  if (failure.error_number != 0) return failure;
  // A fresh mapping rather than mremap(MREMAP_MAYMOVE): a pool thread may be
  // copying from the old one, which must stay put until it is done.
  retired_.push_back(region_.exchange(new Region{base, state.size}, std::memory_order_acq_rel));
  if (pins_ == 0) UnmapRetired();
  last_state_ = state;
  return {0, nullptr, nullptr};
}

int FileMapping::ReadFileState(FileState* state) const {
  struct stat st;
  if (StatDescriptor(fd_, &st) != 0) return errno;
  *state = {uint64_t(st.st_size), ChangeTimeNs(st)};
  return 0;
}

AccessResult FileMapping::CurrentFileSize() {
  if (closed()) return {AccessStatus::kClosed, -1, 0};
  FileState state;
  if (int error_number = ReadFileState(&state)) return AccessResult::IOError(-1, error_number);
  return {AccessStatus::kOk, int64_t(state.size), 0};
}

bool FileMapping::CopyUnguardedForBenchmark(uint64_t offset, uint64_t length,
                                            void* destination) const {
  if (closed()) return false;
  const Region* region = region_.load(std::memory_order_acquire);
  if (offset > region->size || length > region->size - offset) return false;
  if (length > 0) memcpy(destination, region->base + offset, size_t(length));
  return true;
}

bool FileMapping::RunWork(const Region& region, uint64_t offset, uint64_t length,
                          MappedWork work, void* context) const {
  if (length == 0) return true;  // nothing to touch (an empty file has no base)
  WorkCall call{work, region.base + offset, size_t(length), context};
  // Claim faults on the whole pages that hold the range, not just the range:
  // glibc's SIMD memchr/memcmp may read aligned blocks a little past either
  // end (never across a page), and a fault there is still this file's.
  const uintptr_t page_mask = uintptr_t(page_size_) - 1;
  const uintptr_t claim_begin = reinterpret_cast<uintptr_t>(call.mapped) & ~page_mask;
  const uintptr_t claim_end =
      (reinterpret_cast<uintptr_t>(call.mapped) + call.length + page_mask) & ~page_mask;
  return !RunGuarded(reinterpret_cast<const void*>(claim_begin), claim_end - claim_begin,
                     InvokeWork, &call)
              .faulted;
}

AccessResult FileMapping::Access(uint64_t offset, uint64_t length,
                                 MappedWork work, void* context) {
  return AccessChecked(offset, length, work, context, &last_state_);
}

AccessResult FileMapping::AccessForWrite(uint64_t offset, uint64_t length,
                                         MappedWork work, void* context) {
  if (!options_.writable) return {AccessStatus::kReadOnly, -1, 0};
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
  const Region* region = region_.load(std::memory_order_acquire);
  if (offset > region->size || length > region->size - offset) {
    // Past the mapping. The owner may grow it ({ grow: 'auto' }) when the
    // file now holds the range; otherwise the range is past the mapped end
    // of the file, which is what MappedFileTruncated means to a view.
    const bool is_owner = known_state != nullptr;
    if (is_owner && options_.grow) {
      OsFailure failure = Remap();
      if (failure.error_number != 0) return AccessResult::IOError(-1, failure.error_number);
      region = region_.load(std::memory_order_acquire);
    }
    if (offset > region->size || length > region->size - offset) {
      FileState now;
      if (int error_number = ReadFileState(&now)) return AccessResult::IOError(-1, error_number);
      return AccessResult::Truncated(std::min(now.size, region->size));
    }
  }
  if (options_.mode == ValidationMode::kAlways) {
    if (options_.stable) return AccessStable(*region, offset, length, work, context, known_state != nullptr);
    if (lease_.registered()) {
      if (AccessUnderLease(*region, offset, length, work, context)) return AccessResult::Ok();
      const bool is_owner = known_state != nullptr;
      if (is_owner) TakeLeaseWhenHot();  // for the accesses after this one
    }
    return AccessValidated(*region, offset, length, work, context, known_state);
  }
  if (RunWork(*region, offset, length, work, context)) return AccessResult::Ok();
  return ClassifyFaultBySize(offset + length);
}

// Lease mode (lease.h): Begin, the guarded work, Confirm. A fault under the
// lease means the file changed without a break (hole 1: another process's
// open(O_RDONLY|O_TRUNC)) or a page could not be read (hole 4): the lease no
// longer vouches for anything, and the fstat path that follows classifies
// the fault and decides about the bytes, repeating the work. So does a
// Confirm that fails (a break, or a watcher that has not run lately).
bool FileMapping::AccessUnderLease(const Region& region, uint64_t offset, uint64_t length,
                                   MappedWork work, void* context) {
  // The leased size after Begin: RetakeLease zeroes it before a new lease is
  // taken and stores the new size after, so a size read before Begin could be
  // an earlier lease's, larger than the file this lease vouches for.
  uint64_t token;
  if (!lease_.Begin(&token) || offset + length > leased_size_.load(std::memory_order_acquire)) {
    return false;
  }
  if (!RunWork(region, offset, length, work, context)) {
    lease_.Distrust();
    return false;
  }
  return lease_.Confirm(token);
}

void FileMapping::NoteOwnerAccess() {
  if (!closed() && options_.mode == ValidationMode::kAlways && lease_.registered()) TakeLeaseWhenHot();
}

// Owner thread, fstat mode: takes the lease when the policy says the file is
// hot, and tells the policy about a lease found gone (lease_policy.h). Each
// attempt is a few fcntl calls (~1.5 us). The size is read under the new
// lease: it bounds what the lease may vouch for.
void FileMapping::TakeLeaseWhenHot() {
  if (lease_.held()) return;
  const uint64_t now = CoarseMilliseconds();
  if (holding_lease_) {
    // The first look since it went: broken by a writer, or given back
    // (idleness, a fault under it).
    holding_lease_ = false;
    leased_size_.store(0, std::memory_order_release);
    lease_policy_.Lost(lease_.breaks() != breaks_at_take_, now);
  }
  switch (lease_policy_.Next(now)) {
    case LeasePolicy::Step::kWait:
      return;
    case LeasePolicy::Step::kCheckBreak: {
      FileState state;
      lease_policy_.BreakChecked(ReadFileState(&state) == 0 && state == leased_state_, now);
      return;
    }
    case LeasePolicy::Step::kTake:
      break;
  }
  if (!lease_.Acquire()) {
    lease_policy_.TakeFailed(now);
    return;
  }
  FileState state;
  // { stable: true }: a change while no lease was held is a change too.
  if (ReadFileState(&state) != 0 || (options_.stable && !(state == initial_state_))) {
    lease_.Distrust();
    lease_policy_.TakeFailed(now);
    return;
  }
  last_state_ = state;
  leased_state_ = state;
  breaks_at_take_ = lease_.breaks();
  holding_lease_ = true;
  lease_policy_.Taken(now);
  leased_size_.store(state.size, std::memory_order_release);
}

// { stable: true }: the reader wants one version of the file for the
// mapping's whole life (a zip's directory, then its entries). Any break of
// the lease, or any size or ctime change seen by fstat, since Map makes this
// access and every later one kChanged, even where the bytes are still
// readable. The fstat check is a seqlock whose "before" is the state at Map.
AccessResult FileMapping::AccessStable(const Region& region, uint64_t offset, uint64_t length,
                                       MappedWork work, void* context, bool is_owner) {
  const AccessResult changed = {AccessStatus::kChanged, -1, 0};
  if (changed_.load(std::memory_order_acquire) || lease_.breaks() != 0) {
    changed_.store(true, std::memory_order_release);
    return changed;
  }
  if (AccessUnderLease(region, offset, length, work, context)) return AccessResult::Ok();
  if (is_owner && lease_.registered()) TakeLeaseWhenHot();
  const bool completed = RunWork(region, offset, length, work, context);
  FileState now;
  if (int error_number = ReadFileState(&now)) return AccessResult::IOError(-1, error_number);
  if (!(now == initial_state_) || lease_.breaks() != 0) {
    changed_.store(true, std::memory_order_release);
    return {AccessStatus::kChanged, int64_t(now.size), 0};
  }
  return completed ? AccessResult::Ok() : AccessResult::IOError(int64_t(now.size), 0);
}

// 'fault' mode knows no earlier state, so a fault is judged by size alone:
// past EOF now means truncated, inside the file means the page was unreadable.
AccessResult FileMapping::ClassifyFaultBySize(uint64_t end) const {
  FileState now;
  if (int error_number = ReadFileState(&now)) return AccessResult::IOError(-1, error_number);
  if (now.size < end) return AccessResult::Truncated(now.size);
  return AccessResult::IOError(int64_t(now.size), 0);
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
AccessResult FileMapping::AccessValidated(const Region& region, uint64_t offset,
                                          uint64_t length, MappedWork work, void* context,
                                          FileState* known_state) {
  const uint64_t end = offset + length;
  FileState state;
  if (known_state != nullptr && known_state->size >= end) {
    state = *known_state;  // remembered: no system call before the work
  } else {
    // Nothing remembered, or it says the file is too short: look now (it may
    // have grown back), and never touch the memory when it really is.
    if (int error_number = ReadFileState(&state)) return AccessResult::IOError(-1, error_number);
    if (known_state != nullptr) *known_state = state;
    if (state.size < end) return AccessResult::Truncated(state.size);
  }
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    const FileState before = state;
    const bool completed = RunWork(region, offset, length, work, context);
    if (int error_number = ReadFileState(&state)) return AccessResult::IOError(-1, error_number);
    if (known_state != nullptr) *known_state = state;
    if (state.size < end) return AccessResult::Truncated(state.size);
    if (state == before) {
      return completed ? AccessResult::Ok() : AccessResult::IOError(int64_t(state.size), 0);
    }
  }
  return AccessResult::Truncated(state.size);
}

}  // namespace safe_mmap
