// platform.h for Linux (and macOS): descriptors, fstat, pread, mmap and the
// page hints.
#include "platform.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

namespace safe_mmap {
namespace {

// fstat by the system call, on every Linux. Called once per access in fstat
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

FileState FileStateOf(const struct stat& st) {
#if defined(__APPLE__)
  const int64_t change_time_ns = int64_t(st.st_ctimespec.tv_sec) * 1000000000 + st.st_ctimespec.tv_nsec;
#else
  const int64_t change_time_ns = int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
#endif
  return {uint64_t(st.st_size), change_time_ns};
}

FileKind KindOf(mode_t mode) {
  if (S_ISREG(mode)) return FileKind::kRegular;
  if (S_ISDIR(mode)) return FileKind::kDirectory;
  if (S_ISFIFO(mode)) return FileKind::kFifo;
  if (S_ISSOCK(mode)) return FileKind::kSocket;
  if (S_ISCHR(mode)) return FileKind::kCharacterDevice;
  if (S_ISBLK(mode)) return FileKind::kBlockDevice;
  return FileKind::kOther;
}

// preadv2(RWF_NOWAIT) where the system has it (Linux; the semantics that
// matter here, no readahead either, since 5.9); elsewhere EOPNOTSUPP, so
// that callers take their other way.
ssize_t ReadNoWait(int fd, uint8_t* destination, size_t length, uint64_t offset) {
#if defined(__linux__) && defined(RWF_NOWAIT)
  iovec into{destination, length};
  return preadv2(fd, &into, 1, off_t(offset), RWF_NOWAIT);
#else
  (void)fd, (void)destination, (void)length, (void)offset;
  errno = EOPNOTSUPP;
  return -1;
#endif
}

}  // namespace

const FileHandle kNoFile = -1;
const char* const kStatCall = "fstat";
const char* const kResidencyCall = "mincore";

FileHandle FileOfDescriptor(int fd) { return fd; }

int DuplicateFile(FileHandle file, FileHandle* copy) {
  *copy = fcntl(file, F_DUPFD_CLOEXEC, 0);
  return *copy < 0 ? errno : 0;
}

void CloseFile(FileHandle file) { close(file); }

int ReadFileState(FileHandle file, FileState* state) {
  struct stat st;
  if (StatDescriptor(file, &st) != 0) return errno;
  *state = FileStateOf(st);
  return 0;
}

int ReadFileKind(FileHandle file, FileKind* kind, FileState* state) {
  struct stat st;
  if (StatDescriptor(file, &st) != 0) return errno;
  *kind = KindOf(st.st_mode);
  *state = FileStateOf(st);
  return 0;
}

int ReadAt(FileHandle file, uint8_t* destination, size_t length, uint64_t offset, bool no_wait,
           size_t* got) {
  for (;;) {
    const ssize_t count = no_wait ? ReadNoWait(file, destination, length, offset)
                                  : pread(file, destination, length, off_t(offset));
    if (count >= 0) {
      *got = size_t(count);
      return 0;
    }
    if (errno != EINTR) return errno;
  }
}

// Async-signal-safe (lazy_ranges.cc calls it in its handlers): a relaxed
// atomic, not a function-local static with its initialisation guard.
size_t PageSize() {
  static std::atomic<size_t> page_size{0};
  size_t size = page_size.load(std::memory_order_relaxed);
  if (size == 0) {
    size = size_t(sysconf(_SC_PAGESIZE));
    page_size.store(size, std::memory_order_relaxed);
  }
  return size;
}

OsFailure MapFile(FileHandle file, uint64_t size, const MapOptions& options, uint8_t** base) {
  *base = nullptr;
  if (size == 0) return OsFailure::None();
  if (size > SIZE_MAX) return OsFailure::Of(EFBIG, "mmap");
  const int protection = PROT_READ | (options.writable ? PROT_WRITE : 0);
  int flags = MAP_SHARED;
#if defined(MAP_POPULATE)
  if (options.populate) flags |= MAP_POPULATE;
#endif
  void* address = mmap(nullptr, size_t(size), protection, flags, file, 0);
  if (address == MAP_FAILED) return OsFailure::Of(errno, "mmap");
  *base = static_cast<uint8_t*>(address);
  return OsFailure::None();
}

void UnmapFile(uint8_t* base, uint64_t size) {
  if (base != nullptr) munmap(base, size_t(size));
}

OsFailure FlushMapped(FileHandle, uint8_t* start, size_t bytes) {
  if (msync(start, bytes, MS_SYNC) != 0) return OsFailure::Of(errno, "msync");
  return OsFailure::None();
}

OsFailure AdviseMapped(uint8_t* start, size_t bytes, Advice advice) {
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
  if (madvise(start, bytes, kernel_advice) != 0) return OsFailure::Of(errno, "madvise");
  return OsFailure::None();
}

// mincore in slices of a bounded status buffer on the stack. Never blocks,
// faults nothing in.
int CountResidentPages(uint8_t* start, size_t bytes, bool stop_at_missing, uint64_t* pages,
                       uint64_t* resident) {
  constexpr size_t kSlicePages = 1024;
  const size_t page_size = PageSize();
#if defined(__APPLE__)
  char status[kSlicePages];
#else
  unsigned char status[kSlicePages];
#endif
  const size_t total_pages = (bytes + page_size - 1) / page_size;
  *pages = total_pages;
  *resident = 0;
  for (size_t done = 0; done < total_pages; done += kSlicePages) {
    const size_t count = std::min(kSlicePages, total_pages - done);
    const size_t slice_bytes = std::min(count * page_size, bytes - done * page_size);
    if (mincore(start + done * page_size, slice_bytes, status) != 0) return errno;
    for (size_t i = 0; i < count; ++i) {
      if ((status[i] & 1) == 0 && stop_at_missing) return 0;
      *resident += status[i] & 1;
    }
  }
  return 0;
}

// The page table for the whole pages inside [address, address + length) of
// private memory about to be written, in one madvise rather than one fault
// per page. A hint: it changes no byte, and where it fails (a kernel before
// 5.14) the writes fault the pages in.
void PopulateForWriting(uint8_t* address, size_t length) {
#if defined(__linux__)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older headers lack it
#endif
  const uintptr_t page_mask = uintptr_t(PageSize()) - 1;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(address) + page_mask) & ~page_mask;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(address) + length) & ~page_mask;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#else
  (void)address, (void)length;
#endif
}

const void* FindBytes(const void* haystack, size_t length, const void* needle, size_t needle_length) {
  return memmem(haystack, length, needle, needle_length);
}

const void* FindByteBackward(const void* haystack, int byte, size_t length) {
  return memrchr(haystack, byte, length);
}

void* HostSymbol(const char* name) { return dlsym(RTLD_DEFAULT, name); }

int JsErrno(int error_number) { return error_number; }

}  // namespace safe_mmap
