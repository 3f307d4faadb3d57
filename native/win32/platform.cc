// platform.h for Windows: HANDLEs, NtQueryInformationFile, ReadFile, section
// views and their hints.
//
// Errors: a Win32 error becomes the errno that libuv gives it
// (uv_translate_sys_error, exported by node.exe), so that fs and we name it
// alike (ERROR_USER_MAPPED_FILE, ERROR_LOCK_VIOLATION...). libuv's Windows
// errnos are large (ENOENT is 4058); the C runtime's constants that the
// portable code uses (EISDIR...) are small, and JsErrno turns them into
// libuv's.
#include "../platform.h"

#include <windows.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace safe_mmap {
namespace {

extern "C" {
// libuv's, from node.exe (the import library lists them: scripts/prebuild.sh).
__declspec(dllimport) HANDLE uv_get_osfhandle(int fd);
__declspec(dllimport) int uv_translate_sys_error(int sys_errno);
}

// ntdll's, declared here: mingw's winternl.h lacks the information classes.
struct BasicInformation {  // FILE_BASIC_INFORMATION
  LARGE_INTEGER creation_time, last_access_time, last_write_time, change_time;
  ULONG file_attributes;
};
struct StandardInformation {  // FILE_STANDARD_INFORMATION
  LARGE_INTEGER allocation_size, end_of_file;
  ULONG number_of_links;
  BOOLEAN delete_pending, directory;
};
struct IoStatusBlock {
  union {
    LONG status;
    void* pointer;
  };
  ULONG_PTR information;
};
constexpr int kFileBasicInformation = 4;
constexpr int kFileStandardInformation = 5;
extern "C" __declspec(dllimport) LONG WINAPI NtQueryInformationFile(HANDLE, IoStatusBlock*, void*, ULONG, int);
extern "C" __declspec(dllimport) ULONG WINAPI RtlNtStatusToDosError(LONG status);

int ErrnoOf(DWORD error) { return error == 0 ? 0 : -uv_translate_sys_error(int(error)); }
int LastErrno() { return ErrnoOf(GetLastError()); }

int Query(HANDLE file, void* information, ULONG size, int information_class) {
  IoStatusBlock status{};
  const LONG result = NtQueryInformationFile(file, &status, information, size, information_class);
  return result < 0 ? ErrnoOf(RtlNtStatusToDosError(result)) : 0;
}

// The size and the change time, asked of the handle: EndOfFile, then
// ChangeTime, which moves on every write, truncation and extension (100 ns
// units). Two calls, read in that order, serve the seqlock as one fstat does:
// a change between them leaves a ChangeTime that differs from the state
// before the access. Not FileNetworkOpenInformation (both in one call):
// Wine answers it from the file's *name*, so after a rename it said ENOENT,
// and after another file took the name it gave that file's size. Nor
// FileAllInformation (by handle, one call): under Wine it cost 18.5 us
// against 2.3 + 2.2 us for these two (20,000 calls each, Wine 8 here).
int QueryState(HANDLE file, FileState* state, bool* directory) {
  StandardInformation standard;
  BasicInformation basic;
  if (int error_number = Query(file, &standard, sizeof standard, kFileStandardInformation)) return error_number;
  if (int error_number = Query(file, &basic, sizeof basic, kFileBasicInformation)) return error_number;
  *state = {uint64_t(standard.end_of_file.QuadPart), int64_t(basic.change_time.QuadPart) * 100};
  if (directory != nullptr) *directory = standard.directory != 0;
  return 0;
}

// Windows 8's, looked up: absent from older systems and some Wine builds.
using PrefetchFunction = BOOL(WINAPI*)(HANDLE, ULONG_PTR, WIN32_MEMORY_RANGE_ENTRY*, ULONG);
PrefetchFunction Prefetch() {
  static const PrefetchFunction function = reinterpret_cast<PrefetchFunction>(
      reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "PrefetchVirtualMemory")));
  return function;
}

void PrefetchRange(uint8_t* start, size_t bytes) {
  if (PrefetchFunction prefetch = Prefetch()) {
    WIN32_MEMORY_RANGE_ENTRY range{start, bytes};
    prefetch(GetCurrentProcess(), 1, &range, 0);
  }
}

// The working-set query (kernel32's K32QueryWorkingSetEx, psapi's on old systems).
struct WorkingSetExInformation {  // PSAPI_WORKING_SET_EX_INFORMATION
  void* virtual_address;
  ULONG_PTR attributes;  // bit 0: Valid
};
using QueryWorkingSetFunction = BOOL(WINAPI*)(HANDLE, void*, DWORD);
QueryWorkingSetFunction QueryWorkingSet() {
  static const QueryWorkingSetFunction function = reinterpret_cast<QueryWorkingSetFunction>(
      reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "K32QueryWorkingSetEx")));
  return function;
}

}  // namespace

const FileHandle kNoFile = INVALID_HANDLE_VALUE;
const char* const kStatCall = "NtQueryInformationFile";
const char* const kResidencyCall = "QueryWorkingSetEx";

FileHandle FileOfDescriptor(int fd) { return uv_get_osfhandle(fd); }

// Not inheritable: a child process must not keep the file open (and so
// unable to be deleted) after we close it.
int DuplicateFile(FileHandle file, FileHandle* copy) {
  HANDLE process = GetCurrentProcess();
  if (!DuplicateHandle(process, file, process, copy, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
    *copy = INVALID_HANDLE_VALUE;
    return LastErrno();
  }
  return 0;
}

void CloseFile(FileHandle file) { CloseHandle(file); }

int ReadFileState(FileHandle file, FileState* state) {
  return QueryState(file, state, nullptr);
}

int ReadFileKind(FileHandle file, FileKind* kind, FileState* state) {
  switch (GetFileType(file)) {
    case FILE_TYPE_DISK: break;
    case FILE_TYPE_PIPE: *kind = FileKind::kFifo; return 0;
    case FILE_TYPE_CHAR: *kind = FileKind::kCharacterDevice; return 0;
    default: *kind = FileKind::kOther; return 0;
  }
  bool directory = false;
  if (int error_number = QueryState(file, state, &directory)) return error_number;
  *kind = directory ? FileKind::kDirectory : FileKind::kRegular;
  return 0;
}

// A positioned ReadFile (an OVERLAPPED offset on a synchronous handle), as
// libuv's fs.read with a position. It moves the handle's file pointer, which
// our duplicate shares with the descriptor fs.openSync gave: file.ts closes
// that descriptor as soon as the file is mapped, so nobody reads through it.
int ReadAt(FileHandle file, uint8_t* destination, size_t length, uint64_t offset, bool no_wait,
           size_t* got) {
  *got = 0;
  if (no_wait) return EOPNOTSUPP;  // no read that declines to wait for I/O
  OVERLAPPED position{};
  position.Offset = DWORD(offset);
  position.OffsetHigh = DWORD(offset >> 32);
  DWORD count = 0;
  const DWORD asked = DWORD(std::min<size_t>(length, 1u << 30));
  if (!ReadFile(file, destination, asked, &count, &position)) {
    const DWORD error = GetLastError();
    if (error == ERROR_HANDLE_EOF) return 0;
    return ErrnoOf(error);
  }
  *got = count;
  return 0;
}

size_t PageSize() {
  static const size_t page_size = [] {
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    return size_t(info.dwPageSize);
  }();
  return page_size;
}

// A section of the file's current size (maximum size 0: never the size we
// last saw, which could extend a file that shrank meanwhile), and a view of
// size bytes of it. The section handle is closed at once: the view keeps it.
OsFailure MapFile(FileHandle file, uint64_t size, const MapOptions& options, uint8_t** base) {
  *base = nullptr;
  if (size == 0) return OsFailure::None();
  if (size > SIZE_MAX) return OsFailure::Of(EFBIG, "MapViewOfFile");
  HANDLE section = CreateFileMappingW(file, nullptr, options.writable ? PAGE_READWRITE : PAGE_READONLY, 0, 0, nullptr);
  if (section == nullptr) return OsFailure::Of(LastErrno(), "CreateFileMapping");
  void* view = MapViewOfFile(section, options.writable ? FILE_MAP_WRITE : FILE_MAP_READ, 0, 0, size_t(size));
  const int error_number = view == nullptr ? LastErrno() : 0;
  CloseHandle(section);
  if (view == nullptr) return OsFailure::Of(error_number, "MapViewOfFile");
  *base = static_cast<uint8_t*>(view);
  if (options.populate) PrefetchRange(*base, size_t(size));
  return OsFailure::None();
}

void UnmapFile(uint8_t* base, uint64_t) {
  if (base != nullptr) UnmapViewOfFile(base);
}

// msync(MS_SYNC)'s two halves: FlushViewOfFile writes the dirty pages to the
// file system, FlushFileBuffers to the disk. A read-only handle cannot be
// flushed (ERROR_ACCESS_DENIED) and has nothing of ours to flush.
OsFailure FlushMapped(FileHandle file, uint8_t* start, size_t bytes) {
  if (!FlushViewOfFile(start, bytes)) return OsFailure::Of(LastErrno(), "FlushViewOfFile");
  if (!FlushFileBuffers(file) && GetLastError() != ERROR_ACCESS_DENIED) {
    return OsFailure::Of(LastErrno(), "FlushFileBuffers");
  }
  return OsFailure::None();
}

// Windows has a prefetch ('willneed') and nothing else a view can be told:
// the access-pattern hints are per handle at open (FILE_FLAG_SEQUENTIAL_SCAN),
// and a file view's pages cannot be dropped ('dontneed' is a hint, so doing
// nothing is a correct answer). Huge pages are refused, as where madvise
// lacks them.
OsFailure AdviseMapped(uint8_t* start, size_t bytes, Advice advice) {
  switch (advice) {
    case Advice::kWillNeed: PrefetchRange(start, bytes); return OsFailure::None();
    case Advice::kHugePage: return {EINVAL, "madvise", "hugepage advice is not supported on Windows"};
    default: return OsFailure::None();
  }
}

// Residency in this process's working set (QueryWorkingSetEx's Valid bit):
// not the system file cache that mincore reports, so a page that the cache
// holds but this process has not touched since counts as not resident. For
// RangeResident that errs on the safe side (the access goes to the pool).
int CountResidentPages(uint8_t* start, size_t bytes, bool stop_at_missing, uint64_t* pages,
                       uint64_t* resident) {
  constexpr size_t kSlicePages = 512;
  const size_t page_size = PageSize();
  const size_t total_pages = (bytes + page_size - 1) / page_size;
  *pages = total_pages;
  *resident = 0;
  QueryWorkingSetFunction query = QueryWorkingSet();
  if (query == nullptr) return ENOSYS;
  WorkingSetExInformation status[kSlicePages];
  for (size_t done = 0; done < total_pages; done += kSlicePages) {
    const size_t count = std::min(kSlicePages, total_pages - done);
    for (size_t i = 0; i < count; ++i) status[i] = {start + (done + i) * page_size, 0};
    if (!query(GetCurrentProcess(), status, DWORD(count * sizeof status[0]))) return LastErrno();
    for (size_t i = 0; i < count; ++i) {
      const bool valid = (status[i].attributes & 1) != 0;
      if (!valid && stop_at_missing) return 0;
      *resident += valid ? 1 : 0;
    }
  }
  return 0;
}

void PopulateForWriting(uint8_t*, size_t) {}

// memchr for the first byte, memcmp for the rest: what the AVX2 search in
// search.cc leaves over, and the whole search on a CPU without AVX2.
const void* FindBytes(const void* haystack, size_t length, const void* needle, size_t needle_length) {
  if (needle_length == 0) return haystack;
  const uint8_t* bytes = static_cast<const uint8_t*>(haystack);
  const uint8_t* wanted = static_cast<const uint8_t*>(needle);
  size_t at = 0;
  while (length - at >= needle_length) {
    const void* candidate = memchr(bytes + at, wanted[0], length - at - needle_length + 1);
    if (candidate == nullptr) return nullptr;
    at = size_t(static_cast<const uint8_t*>(candidate) - bytes);
    if (memcmp(bytes + at + 1, wanted + 1, needle_length - 1) == 0) return bytes + at;
    ++at;
  }
  return nullptr;
}

const void* FindByteBackward(const void* haystack, int byte, size_t length) {
  const uint8_t* bytes = static_cast<const uint8_t*>(haystack);
  for (size_t at = length; at-- > 0;) {
    if (bytes[at] == uint8_t(byte)) return bytes + at;
  }
  return nullptr;
}

void* HostSymbol(const char* name) {
  return reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(nullptr), name));
}

// The C runtime's errno constants that the portable code uses, as libuv's
// Windows numbers (uv/errno.h); libuv's own (from ErrnoOf) pass unchanged.
int JsErrno(int error_number) {
  switch (error_number) {
    case EACCES: return 4092;
    case EAGAIN: return 4088;
    case EBADF: return 4083;
    case EBUSY: return 4082;
    case ECANCELED: return 4081;
    case EINTR: return 4072;
    case EINVAL: return 4071;
    case EIO: return 4070;
    case EISDIR: return 4068;
    case ENODEV: return 4059;
    case ENOENT: return 4058;
    case ENOMEM: return 4057;
    case ENOSYS: return 4054;
    case EOPNOTSUPP: return 4049;
    case EPERM: return 4048;
    case EFBIG: return 4036;
    default: return error_number;
  }
}

}  // namespace safe_mmap
