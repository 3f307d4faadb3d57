// A shared mapping of one regular file, and the protocol that makes every
// access to it either succeed on bytes that really are in the file or report
// why not. The OS calls (fstat, mmap, mremap, msync, madvise, mincore, munmap,
// close) live in mapping.cc, the kernel hints (msync, madvise, mincore) in
// mapping_hints.cc; faults are caught through guard.h.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "lease.h"
#include "lease_policy.h"

namespace safe_mmap {

enum class ValidationMode : int32_t {
  // Before and after each access: compare size and ctime (a seqlock). Zeros
  // from a truncated tail page and truncate-then-regrow races never pass.
  kAlways = 0,
  // No syscall per access; only the fault guard. A read that lands in the
  // zero-filled tail page of a truncated file returns those zeros.
  kFault = 1,
};

// kChanged: a { stable: true } file changed in any way since it was mapped.
enum class AccessStatus { kOk, kTruncated, kIOError, kClosed, kReadOnly, kChanged };

// How 'always' mode learns of changes, for MappedFile#validationMethod.
enum class ValidationMethod : int32_t { kLease = 0, kFstat = 1, kNone = 2 };

// Kernel hints for advise(), in the order of ADVICE in src/file.ts.
enum class Advice : int32_t { kNormal, kSequential, kRandom, kWillNeed, kDontNeed, kHugePage };

struct MapOptions {
  ValidationMode mode;
  bool writable;  // PROT_READ|PROT_WRITE instead of PROT_READ
  bool populate;  // MAP_POPULATE: fault every page in at map time
  bool grow;      // an owner access past the mapping but inside the file remaps first
  bool stable;    // any change since Map fails every later access with kChanged
  bool lease;     // 'always' mode may take a read lease (lease.h) where it can
};

struct AccessResult {
  AccessStatus status;
  int64_t file_size;  // size on disk when known, else -1
  int error_number;   // errno of a failed fstat, else 0

  static AccessResult Ok() { return {AccessStatus::kOk, -1, 0}; }
  static AccessResult Truncated(uint64_t size) { return {AccessStatus::kTruncated, int64_t(size), 0}; }
  static AccessResult IOError(int64_t size, int error_number) {
    return {AccessStatus::kIOError, size, error_number};
  }
};

struct OsFailure {
  int error_number;  // 0 on success
  const char* syscall;
  const char* detail;  // extra words for the message, or nullptr
};

// Work done on mapped bytes under the guard. It must follow guard.h's
// contract (plain C, no destructors, no N-API) and must be safe to repeat:
// an access is retried when the file changed while it ran. It may write only
// through a writable mapping (AccessForWrite).
using MappedWork = void (*)(uint8_t* mapped, size_t length, void* context);

class FileMapping {
 public:
  FileMapping() = default;
  ~FileMapping();
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;

  // Maps the whole regular file open on fd (MAP_SHARED) and keeps a
  // duplicate of fd; fd itself stays the caller's. An empty file maps nothing.
  OsFailure Map(int fd, MapOptions options);

  uint64_t mapped_size() const {
    const Region* region = region_.load(std::memory_order_acquire);
    return region != nullptr ? region->size : 0;  // 0 once released
  }
  bool writable() const { return options_.writable; }
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  ValidationMethod validation_method() const;

  // Runs work over [offset, offset + length) of the mapping, validated as the
  // mode says. A range past the mapping is kTruncated (after a remap first,
  // with { grow: 'auto' }).
  // On the owning JS thread only.
  AccessResult Access(uint64_t offset, uint64_t length, MappedWork work,
                      void* context);
  // The same for work that writes: kReadOnly, untouched, on a read-only mapping.
  AccessResult AccessForWrite(uint64_t offset, uint64_t length, MappedWork work,
                              void* context);

  // The same, from a thread-pool thread, for an operation that holds a pin.
  // It shares no state with the owner's accesses (it observes the file's
  // state itself), so it may run concurrently with them and with others.
  AccessResult AccessFromPool(uint64_t offset, uint64_t length, MappedWork work,
                              void* context);

  // An asynchronous access is starting on the owning JS thread: it counts
  // toward taking the lease (lease_policy.h) as a synchronous one does, since
  // neither its fast path nor the pool may take a lease themselves.
  void NoteOwnerAccess();

  // Current size on disk. kClosed after Close().
  AccessResult CurrentFileSize();

  // For the benchmark's guard-overhead case only: a plain memcpy from the
  // mapping, as an unguarded mmap package does, with no guard and no file
  // check. A fault in it kills the process with SIGBUS. Returns false, doing
  // nothing, when closed or outside the mapping.
  bool CopyUnguardedForBenchmark(uint64_t offset, uint64_t length, void* destination) const;

  // Maps the file's current size (it grew or shrank). Views hold offsets, so
  // they keep working. The old region stays mapped until no pool operation
  // can still be using it. Owner thread only.
  OsFailure Remap();

  // msync(MS_SYNC) of the pages holding [offset, offset + length). Safe from
  // the pool while pinned.
  OsFailure Flush(uint64_t offset, uint64_t length);
  // madvise on the pages holding the range.
  OsFailure Advise(Advice advice, uint64_t offset, uint64_t length);
  // mincore: how many of the pages holding the range are in the page cache.
  OsFailure Residency(uint64_t offset, uint64_t length, uint64_t* pages,
                      uint64_t* resident);

  // Lifetime, all on the owning JS thread. An asynchronous operation pins the
  // mapping before it is queued and unpins it when it settles; Close() marks
  // the mapping closed at once (queued operations then report kClosed) but
  // unmaps only when no pin remains, so a pool thread never copies from
  // unmapped memory.
  bool Pin();  // false when already closed
  void Unpin();
  void Close();  // idempotent

 private:
  // How many times a validated access is repeated when the file changes
  // under it. A writer would have to modify the file during every one of
  // them; then the access reports MappedFileTruncated (the change may have
  // been one).
  static constexpr int kMaxAttempts = 16;

  struct FileState {
    uint64_t size = 0;
    int64_t change_time_ns = 0;
    bool operator==(const FileState& other) const {
      return size == other.size && change_time_ns == other.change_time_ns;
    }
  };

  // One mmap of the file. Replaced by Remap(); retired regions are unmapped
  // once no pin remains (a pool thread may still be copying from them).
  struct Region {
    uint8_t* base;
    uint64_t size = 0;
  };

  int ReadFileState(FileState* state) const;  // 0 or errno
  AccessResult AccessChecked(uint64_t offset, uint64_t length, MappedWork work,
                             void* context, FileState* known_state);
  AccessResult AccessValidated(const Region& region, uint64_t offset, uint64_t length,
                               MappedWork work, void* context,
                               FileState* known_state);
  // Lease mode: runs the work with no system call when the lease vouches for
  // it (see lease.h). false: the caller validates with fstat instead.
  bool AccessUnderLease(const Region& region, uint64_t offset, uint64_t length,
                        MappedWork work, void* context);
  // Owner thread, fstat mode: takes the lease when the file is hot and the
  // policy allows (lease_policy.h).
  void TakeLeaseWhenHot();
  // { stable: true }: kChanged once anything about the file changed.
  AccessResult AccessStable(const Region& region, uint64_t offset, uint64_t length,
                            MappedWork work, void* context, bool is_owner);
  void Release();  // release the lease, munmap and close
  void UnmapRetired();
  AccessResult ClassifyFaultBySize(uint64_t end) const;
  bool RunWork(const Region& region, uint64_t offset, uint64_t length,
               MappedWork work, void* context) const;  // false on a claimed fault
  // The pages holding [offset, offset + length) of the current region, or false.
  bool PageRange(uint64_t offset, uint64_t length, uint8_t** start, size_t* bytes) const;

  int fd_ = -1;
  std::atomic<Region*> region_{nullptr};
  std::vector<Region*> retired_;  // owner thread only
  size_t page_size_ = 4096;
  MapOptions options_ = {ValidationMode::kAlways, false, false, false, false, true};
  // Read-only 'always' mappings on a lease filesystem hold a read lease
  // whenever they can. leased_size_ is the file's size when it was taken
  // (0 while none is): only accesses below it may trust the lease, because a
  // remapped region can be longer than the file was then.
  FileLease lease_;
  std::atomic<uint64_t> leased_size_{0};
  // Owner thread only: when to take the lease, the state it was taken at (a
  // break that leaves it so changed nothing), and the break count then.
  LeasePolicy lease_policy_;
  FileState leased_state_ = {0, 0};
  uint64_t breaks_at_take_ = 0;
  bool holding_lease_ = false;  // a lease was taken and not yet found gone
  // { stable: true }: the state at Map, and whether a change was seen.
  FileState initial_state_ = {0, 0};
  std::atomic<bool> changed_{false};
  std::atomic<bool> closed_{false};
  int pins_ = 0;  // owning JS thread only
  // The file's state at the end of the owner's last validated access (or at
  // Map). It doubles as the "before" observation of the next access, so the
  // seqlock costs one fstat per access instead of two. Only the owning JS
  // thread reads or writes it; pool accesses observe their own.
  FileState last_state_ = {0, 0};

 public:
  // ---- For the async fast path and fs-style reads, in mapping_reads.cc.
  // They use the accesses above and the region, and add no state.

  // Whether every page holding [offset, offset + length) is in the page cache
  // and mapped inside the current region (mincore), so that touching the
  // range will not wait for I/O. It never blocks: mincore reads page-cache
  // state and faults nothing in. False when closed, outside the mapping, or
  // mincore fails. A page can be evicted right after it answers; then the
  // access that follows blocks on that fault (it stays guarded and correct).
  // Any thread.
  bool RangeResident(uint64_t offset, uint64_t length) const;

  // How an access reaches the bytes: the owner thread's Access, a pool
  // thread's AccessFromPool, or (a pool thread, plain copies only) CopyByRead.
  // kNoWaitRead: CopyByRead with RWF_NOWAIT, from any thread (the fast path).
  enum class Reach { kOwner, kPool, kPoolByRead, kNoWaitRead };
  // What a kNoWaitRead copy did: done (see the result), or stopped because a
  // page is not in the page cache, or the file system cannot say (EOPNOTSUPP).
  enum class NoWait { kDone, kWouldBlock, kUnsupported };

  // pread(2)'s contract over the mapping: runs work over [position, position
  // + n), n = min(length, end - position) where end is the file's current
  // size within the mapping, and stores n in *count (0 at or past the end,
  // with no work run). When the file shrinks under the access, the read is
  // repeated against the new size, so a truncation gives a short count as
  // pread does; kTruncated only when the file keeps changing. With
  // kPoolByRead, context is the destination and work is ignored.
  AccessResult AccessUpToEnd(uint64_t position, uint64_t length, MappedWork work,
                             void* context, Reach reach, uint64_t* count,
                             NoWait* no_wait = nullptr);

  // The copy of [offset, offset + length) into destination with pread(2) on
  // the mapping's descriptor instead of through the mapping, with the same
  // answers as AccessFromPool: kTruncated past the mapping or the file's
  // end, the seqlock around it, kIOError for a failed read. For large copies
  // of cold ranges on the pool: one read(2) reads ahead as far as the kernel
  // likes, where faults read around each page, and no page table is filled.
  // Any thread holding a pin. With no_wait (non-null), each read is
  // preadv2(RWF_NOWAIT), which since Linux 5.9 implies IOCB_NOIO: it copies
  // only what the page cache holds, starts no I/O (not even readahead) and
  // waits for none; *no_wait then says whether it got everything. A
  // { stable: true } mapping is read through AccessFromPool instead (and
  // answers kUnsupported to no_wait), so that a change is still kChanged.
  AccessResult CopyByRead(uint64_t offset, uint64_t length, uint8_t* destination,
                          NoWait* no_wait = nullptr);

 private:
  uint64_t ReadInto(uint64_t offset, uint64_t length, uint8_t* destination, NoWait* no_wait,
                    int* read_error) const;
};

}  // namespace safe_mmap
