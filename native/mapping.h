// FileMapping: a shared mapping of one regular file and its lifetime (map,
// remap, pins, close), and the entry points of every access to it. Each
// access runs its work under the fault guard (guard.h) and is judged by the
// mapping's ChangeDetector (change_detector.h), so that it either succeeds
// on bytes that really are in the file or reports why not.
// mapping.cc: the region, its lifetime and the guarded accesses;
// mapping_reads.cc: the fs-style and pread routes (AccessUpToEnd,
// CopyByRead, RangeResident); mapping_hints.cc: msync, madvise, mincore.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "change_detector.h"
#include "lazy_ranges.h"
#include "mapping_types.h"

namespace safe_mmap {

// view.snapshot() copies ranges of at least this many bytes with pread into
// a Buffer populated by one madvise (FileMapping::SnapshotInto), as
// readFileSync reads. Through the mapping, a first touch faults once per 16
// pages (fault-around) to fill its page table, which read(2) never does, and
// each page of a new Buffer faults in by itself. From 32 MiB (glibc's
// largest mmap threshold) a Buffer is always fresh memory, and both costs
// show; below it, pread and populating measured no better, populating a
// reused 4 MiB Buffer worse (docs/benchmarks.md, "Large snapshots").
constexpr uint64_t kSnapshotByReadFrom = uint64_t(32) << 20;

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

  // Maps the whole regular file open as file (shared) and keeps a duplicate
  // of the handle; file itself stays the caller's. An empty file maps nothing.
  OsFailure Map(FileHandle file, MapOptions options);

  uint64_t mapped_size() const {
    const Region* region = region_.load(std::memory_order_acquire);
    return region != nullptr ? region->size : 0;  // 0 once released
  }
  bool writable() const { return options_.writable; }
  // The mapping's descriptor, -1 once closed. Owner thread only: the
  // synchronous wait, the record locks and a change watch (to reopen it).
  FileHandle descriptor() const { return closed() ? kNoFile : file_; }
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  ValidationMethod validation_method() const { return changes_.method(); }

  // Runs work over [offset, offset + length) of the mapping, validated as the
  // mode says. A range past the mapping is kTruncated (after a remap first,
  // with { grow: 'auto' }). On the owning JS thread only.
  AccessResult Access(uint64_t offset, uint64_t length, MappedWork work, void* context);
  // The same for work that writes: kReadOnly, untouched, on a read-only mapping.
  AccessResult AccessForWrite(uint64_t offset, uint64_t length, MappedWork work, void* context);
  // The same, from a thread-pool thread, for an operation that holds a pin.
  // It shares no state with the owner's accesses (it observes the file's
  // state itself), so it may run concurrently with them and with others.
  AccessResult AccessFromPool(uint64_t offset, uint64_t length, MappedWork work, void* context);
  // Runs work exactly once over [offset, offset + length): for work that
  // must not be repeated, an atomic read-modify-write (shared_atomics.h).
  // The file is asked before the work, not after: 'always' checks that it
  // still holds the range (one fstat), and a fault in the work is classified
  // like any other. kReadOnly, untouched, on a read-only mapping. Owner only.
  AccessResult AccessOnceForWrite(uint64_t offset, uint64_t length, MappedWork work, void* context);
  // The address of offset's byte, for the kernel (a futex), when the
  // current region holds [offset, offset + length); else nullptr.
  const uint8_t* AddressFor(uint64_t offset, uint64_t length) const;
  // A fault (or a kernel EFAULT) at [0, end): kTruncated or kIOError, by fstat.
  AccessResult ClassifyFault(uint64_t end) const { return changes_.ClassifyFault(end); }
  // A duplicate of descriptor() for a thread that outlives the call
  // (close-on-exec; the caller closes it).
  FileHandle DuplicateDescriptor() const;
  // An asynchronous access is starting on the owning JS thread: it counts
  // toward taking the lease (lease_policy.h) as a synchronous one does,
  // since neither its fast path nor the pool may take a lease themselves.
  void NoteOwnerAccess();

  // A lazy snapshot of [offset, offset + length) (lazy_ranges.h): a private
  // mapping of those bytes, made and vouched for under the read lease. Returns
  // the address of offset's byte in it and sets *id, or nullptr when a copy
  // is to be made instead: not a read-only 'always' mapping on a lease
  // filesystem, below kLazyMinimumBytes, no lease to be had now, past the
  // process's limit, or a mapping the kernel refused. Owner thread only.
  uint8_t* MapLazySnapshot(uint64_t offset, uint64_t length, LazyRangeId* id);

  // Current size on disk. kClosed after Close().
  AccessResult CurrentFileSize() const;

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
  OsFailure Residency(uint64_t offset, uint64_t length, uint64_t* pages, uint64_t* resident) const;

  // Lifetime, all on the owning JS thread. An asynchronous operation pins the
  // mapping before it is queued and unpins it when it settles; Close() marks
  // the mapping closed at once (queued operations then report kClosed) but
  // unmaps only when no pin remains, so a pool thread never copies from
  // unmapped memory.
  bool Pin();  // false when already closed
  void Unpin();
  void Close();  // idempotent

  // ---- The fs-style and pread routes (mapping_reads.cc).

  // Whether every page holding [offset, offset + length) is in the page cache
  // and mapped inside the current region (mincore), so that touching the
  // range will not wait for I/O. It never blocks. False when closed, outside
  // the mapping, or mincore fails. A page can be evicted right after it
  // answers; then the access that follows blocks on that fault (it stays
  // guarded and correct). Any thread.
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
  AccessResult AccessUpToEnd(uint64_t position, uint64_t length, MappedWork work, void* context,
                             Reach reach, uint64_t* count, NoWait* no_wait = nullptr);

  // The copy of [offset, offset + length) into destination with pread(2) on
  // the mapping's descriptor instead of through the mapping, with the same
  // answers as AccessFromPool. For large copies of cold ranges on the pool:
  // one read(2) reads ahead as far as the kernel likes, where faults read
  // around each page, and no page table is filled. Any thread holding a pin.
  // With no_wait (non-null), each read is preadv2(RWF_NOWAIT), which since
  // Linux 5.9 implies IOCB_NOIO: it copies only what the page cache holds,
  // starts no I/O (not even readahead) and waits for none; *no_wait then
  // says whether it got everything. A { stable: true } mapping is read
  // through AccessFromPool instead (and answers kUnsupported to no_wait), so
  // that a change is still kChanged.
  AccessResult CopyByRead(uint64_t offset, uint64_t length, uint8_t* destination,
                          NoWait* no_wait = nullptr);

  // view.snapshot(): the owner's copy of [offset, offset + length) into the
  // memory of a Buffer just allocated for it. From kSnapshotByReadFrom bytes
  // on, an 'always' mapping (not { stable: true }) copies with pread on the
  // owner's validation (its cached state, the lease), as CopyByRead does on
  // the pool, after populating the destination's pages in one madvise; every
  // other snapshot, and a range past the mapping, is an Access. A hole of a
  // sparse file reads as its zeros then, as with readFileSync, even where
  // the mapping could not have allocated its page (a full tmpfs).
  AccessResult SnapshotInto(uint64_t offset, uint64_t length, uint8_t* destination);

 private:
  // One mmap of the file. Replaced by Remap(); retired regions are unmapped
  // once no pin remains (a pool thread may still be copying from them).
  struct Region {
    uint8_t* base;
    uint64_t size = 0;
  };

  AccessResult AccessChecked(uint64_t offset, uint64_t length, MappedWork work, void* context,
                             bool owner);
  // CopyByRead's reads, validated as an owner's or another thread's access.
  AccessResult ReadValidated(uint64_t offset, uint64_t length, uint8_t* destination,
                             NoWait* no_wait, bool owner);
  // kTruncated for a range past the mapping, with the file's size now.
  AccessResult PastTheMapping(const Region& region) const;
  bool RunWork(const Region& region, uint64_t offset, uint64_t length, MappedWork work,
               void* context) const;  // false on a claimed fault
  // The current region, when [offset, offset + length) lies inside it.
  const Region* RegionHolding(uint64_t offset, uint64_t length) const;
  void Release();  // release the lease, munmap and close
  void UnmapRetired();

  FileHandle file_ = kNoFile;
  std::atomic<Region*> region_{nullptr};
  std::vector<Region*> retired_;  // owner thread only
  size_t page_size_ = PageSize();
  MapOptions options_ = {ValidationMode::kAlways, false, false, false, false, true};
  ChangeDetector changes_;
  std::atomic<bool> closed_{false};
  int pins_ = 0;  // owning JS thread only
};

}  // namespace safe_mmap
