// A read-only shared mapping of one regular file, and the protocol that makes
// every access to it either succeed with bytes that were really in the file or
// report why not. The OS calls (fstat, mmap, munmap, close) live in mapping.cc;
// faults are caught through guard.h.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace safe_mmap {

enum class ValidationMode : int32_t {
  // Before and after each access: compare size and ctime (a seqlock). Zeros
  // from a truncated tail page and truncate-then-regrow races never pass.
  kAlways = 0,
  // No syscall per access; only the fault guard. A read that lands in the
  // zero-filled tail page of a truncated file returns those zeros.
  kFault = 1,
};

enum class AccessStatus { kOk, kTruncated, kIOError, kClosed, kOutOfMapping };

struct AccessResult {
  AccessStatus status;
  int64_t file_size;  // size on disk when known, else -1
  int error_number;   // errno of a failed fstat, else 0
};

struct OsFailure {
  int error_number;  // 0 on success
  const char* syscall;
  const char* detail;  // extra words for the message, or nullptr
};

// Work done on mapped bytes under the guard. It must follow guard.h's
// contract (plain C, no destructors, no N-API) and must be safe to repeat:
// a read is retried when the file changed while it ran.
using MappedWork = void (*)(const uint8_t* source, size_t length, void* context);

class FileMapping {
 public:
  FileMapping() = default;
  ~FileMapping();
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;

  // Maps the whole regular file open on fd (read-only, MAP_SHARED) and takes
  // ownership of fd on success. An empty file maps nothing.
  OsFailure Map(int fd, ValidationMode mode);

  uint64_t mapped_size() const { return mapped_size_; }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  // Runs work over [offset, offset + length) of the mapping, validated as the
  // mode says. The range must lie inside the mapping (else kOutOfMapping).
  // On the owning JS thread only.
  AccessResult Access(uint64_t offset, uint64_t length, MappedWork work,
                      void* context);

  // The same, from a thread-pool thread, for an operation that holds a pin.
  // It shares no state with the owner's accesses (it observes the file's
  // state itself), so it may run concurrently with them and with others.
  AccessResult AccessFromPool(uint64_t offset, uint64_t length, MappedWork work,
                              void* context);

  // Current size on disk. kClosed after Close().
  AccessResult CurrentFileSize();

  // Lifetime, all on the owning JS thread. An asynchronous operation pins the
  // mapping before it is queued and unpins it when it settles; Close() marks
  // the mapping closed at once (queued operations then report kClosed) but
  // unmaps only when no pin remains, so a pool thread never copies from
  // unmapped memory.
  bool Pin();  // false when already closed
  void Unpin();
  void Close();  // idempotent

 private:
  struct FileState {
    uint64_t size;
    int64_t change_time_ns;
    bool operator==(const FileState& other) const {
      return size == other.size && change_time_ns == other.change_time_ns;
    }
  };

  int ReadFileState(FileState* state) const;  // 0 or errno
  AccessResult AccessChecked(uint64_t offset, uint64_t length, MappedWork work,
                             void* context, FileState* known_state);
  AccessResult AccessValidated(uint64_t offset, uint64_t length,
                               MappedWork work, void* context,
                               FileState* known_state);
  void Release();  // munmap and close
  AccessResult ClassifyFaultBySize(uint64_t end) const;
  bool RunWork(uint64_t offset, uint64_t length, MappedWork work,
               void* context) const;  // false when a fault was claimed

  int fd_ = -1;
  uint8_t* base_ = nullptr;
  uint64_t mapped_size_ = 0;
  size_t page_size_ = 4096;
  ValidationMode mode_ = ValidationMode::kAlways;
  std::atomic<bool> closed_{false};
  int pins_ = 0;  // owning JS thread only
  // The file's state at the end of the owner's last validated access (or at
  // Map). It doubles as the "before" observation of the next access, so the
  // seqlock costs one fstat per access instead of two. Only the owning JS
  // thread reads or writes it; pool accesses observe their own.
  FileState last_state_ = {0, 0};
};

}  // namespace safe_mmap
