// The operating system's files and shared mappings, as the portable code
// (mapping*.cc, change_detector.cc) uses them: the one seam between that code
// and the platform. platform_posix.cc implements it for Linux (and macOS);
// win32/os_file.cc for Windows. Errors are errno values as Node's
// getSystemErrorMap() knows them on that platform (JsErrno).
#pragma once

#include <cstddef>
#include <cstdint>

#include "mapping_types.h"

namespace safe_mmap {

#if defined(_WIN32)
using FileHandle = void*;  // a Win32 HANDLE
#else
using FileHandle = int;    // a descriptor
#endif
extern const FileHandle kNoFile;

// What the file's metadata says: equal states before and after some work
// prove that no write, truncation or extension happened in between. Linux:
// fstat's size and ctime (fine-grained once queried on Linux >= 6.13,
// multigrain timestamps). Windows: EndOfFile and ChangeTime, asked of the
// handle (two NtQueryInformationFile calls: win32/platform.cc says why).
struct FileState {
  uint64_t size = 0;
  int64_t change_time_ns = 0;
  bool operator==(const FileState& other) const {
    return size == other.size && change_time_ns == other.change_time_ns;
  }
};

enum class FileKind { kRegular, kDirectory, kFifo, kSocket, kCharacterDevice, kBlockDevice, kOther };

// The file behind a descriptor that fs.openSync returned (on Windows, the
// C runtime's descriptor of node.exe, translated by libuv's uv_get_osfhandle).
FileHandle FileOfDescriptor(int fd);
// A handle of the mapping's own to the same open file (close-on-exec, not
// inheritable). 0 or an errno.
int DuplicateFile(FileHandle file, FileHandle* copy);
void CloseFile(FileHandle file);
// 0, or the errno of the call (fstat / NtQueryInformationFile).
int ReadFileState(FileHandle file, FileState* state);
int ReadFileKind(FileHandle file, FileKind* kind, FileState* state);
// The system call that ReadFileState makes, for messages.
extern const char* const kStatCall;

// Reads up to length bytes at offset into destination; *got is the count (0
// at the end of the file). no_wait: only what the page cache holds, starting
// no I/O (Linux preadv2 RWF_NOWAIT); EAGAIN when that is not all, and
// EOPNOTSUPP where the system cannot say. 0 or an errno; EINTR is retried.
int ReadAt(FileHandle file, uint8_t* destination, size_t length, uint64_t offset, bool no_wait,
           size_t* got);

// The granularity of the page tables: mappings, hints and the guard's claims
// are whole pages.
size_t PageSize();

// Maps size bytes of the file from offset 0, shared with every other mapping
// of it (MAP_SHARED / a section view); *base nullptr for size 0.
OsFailure MapFile(FileHandle file, uint64_t size, const MapOptions& options, uint8_t** base);
void UnmapFile(uint8_t* base, uint64_t size);

// Hints and flushes over whole pages of a mapping (pages.h's PagesHolding).
OsFailure FlushMapped(FileHandle file, uint8_t* start, size_t bytes);  // msync(MS_SYNC) / FlushViewOfFile + FlushFileBuffers
OsFailure AdviseMapped(uint8_t* start, size_t bytes, Advice advice);   // madvise / PrefetchVirtualMemory
// How many of the pages in [start, start + bytes) are resident. stop_at_missing:
// stop at the first that is not (for a yes/no answer). 0 or an errno.
int CountResidentPages(uint8_t* start, size_t bytes, bool stop_at_missing, uint64_t* pages,
                       uint64_t* resident);
// The system call that CountResidentPages makes, for messages.
extern const char* const kResidencyCall;
// Fills the pages of a new destination buffer before a large copy, where the
// system can (Linux >= 5.14 MADV_POPULATE_WRITE); otherwise nothing.
void PopulateForWriting(uint8_t* address, size_t length);

// glibc's memmem and memrchr, which the Windows C runtime lacks (search.cc).
const void* FindBytes(const void* haystack, size_t length, const void* needle, size_t needle_length);
const void* FindByteBackward(const void* haystack, int byte, size_t length);

// A function that the host executable exports (node.exe, or the node binary
// with -rdynamic), looked up at run time; nullptr when it has none.
void* HostSymbol(const char* name);

// An errno as src/errors.ts hands it to getSystemErrorMap(): on Windows the
// C runtime's constants (EISDIR...) become libuv's numbers.
int JsErrno(int error_number);

}  // namespace safe_mmap
