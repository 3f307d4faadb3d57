// Asynchronous operations on libuv's thread pool, each settling a Promise.
// They are created and settled on the JS thread; only Execute() runs on a
// pool thread, and it touches no JS value. The mapping is pinned from
// creation to settlement, so close() meanwhile only marks it closed (queued
// work then reports MappedFileClosed) and the unmap waits.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "js_errors.h"  // the pool work rejects with MakeAccessError, MakeSystemError
#include "mapping.h"
#include "search.h"

namespace safe_mmap {

// Reads the abort flag that JS sets (Atomics.store) in a SharedArrayBuffer.
bool AbortRequested(const int32_t* flag);

// What every pool job shares: the promise, and the mapping pinned from
// Start() to settlement. Start() pins the mapping and queues the job, or
// rejects with MappedFileClosed at once when it is closed already; the
// subclass's OnOK() unpins it before settling.
class PinnedPoolWork : public Napi::AsyncWorker {
 public:
  Napi::Promise Start();

 protected:
  PinnedPoolWork(Napi::Env env, FileMapping* mapping, const std::string& path, Napi::Object owner,
                 uint64_t offset, uint64_t length);

  Napi::Promise::Deferred deferred_;
  FileMapping* mapping_;
  std::string path_;
  Napi::ObjectReference owner_;  // the NativeMapping: keeps mapping_ alive
  uint64_t offset_;  // the range
  uint64_t length_;
};

// flushAsync: msync on the thread pool.
class PoolFlush : public PinnedPoolWork {
 public:
  PoolFlush(Napi::Env env, FileMapping* mapping, const std::string& path, Napi::Object owner,
            uint64_t offset, uint64_t length);

 protected:
  void Execute() override;
  void OnOK() override;

 private:
  OsFailure failure_{0, nullptr, nullptr};
};

// Where an asynchronous access runs (a test hook; kAuto in normal use).
enum class AsyncPath : int32_t {
  kAuto = 0,           // the calling thread when resident and small, else the pool
  kCallingThread = 1,  // always the calling thread, no budget (tests: a fault on the fast path)
  kPool = 2,           // always the pool (tests: the slow path on a hot file)
};
void SetAsyncPathForTesting(AsyncPath path);
// Whether the fast path may ask libuv for its loop counter (uv_metrics_info).
// Off until the JS side says the runtime is Node: Bun 1.4 exports the symbol
// as a stub that aborts the process ("unsupported uv function"), and Deno has
// no libuv. Without it, the budget falls back to wall time (pool.cc).
void SetLoopCounterUsable(bool usable);
// How many asynchronous accesses ran on the calling thread and on the pool
// since the process started (all environments), so tests can see the path.
void AsyncPathCounts(double* calling_thread, double* pool);

// Above this, an access goes to the pool even when resident: the copy holds
// the event loop for its whole length, and the pool trip it saves (about
// 20 us) is small beside it. 4 MiB at first; on a cold file read in 2 MiB
// async snapshots that raised the event loop's p99 delay (8 to 22 ms against
// 5 to 8 pool only), where 256 KiB or 64 KiB snapshots stayed at 3 to 4 ms.
// 1 MiB keeps the stream's trips (1 MiB) on the fast path.
constexpr uint64_t kCallingThreadLimit = uint64_t(1) << 20;
// And no access runs on the calling thread once this long has passed since
// the first one of the current turn of the event loop (pool.cc's
// WithinTurnBudget), so that a chain of awaited accesses lets timers and I/O
// run at least this often.
// 3 ms at first; 1 ms holds the event loop less on a loaded machine and
// sends about 0.3% of a hot 4 KiB loop's copies to the pool.
constexpr uint64_t kCallingThreadBudgetMs = 1;

// From this length on, a plain copy on the pool reads the file with pread
// (FileMapping::CopyByRead) instead of faulting the mapping in. Quick runs,
// one read in flight on an evicted file: 1 MiB copies through faults ran at
// 0.86x of fs.read, with pread 1.02-1.09x; 64 KiB ones 0.93-0.95x through
// faults, 1.68x with pread (the kernel's readahead then brings the next
// ranges in, and they take the fast path).
constexpr uint64_t kReadFrom = uint64_t(64) << 10;

// Drops this thread's remembered residency answer (see Resident in pool.cc),
// after advise() may have dropped pages.
void ForgetResidency();

// One asynchronous access, as the bindings describe it.
struct AccessPlan {
  enum class Resolution {
    kBuffer,     // resolves with the destination's holder (snapshotAsync)
    kCount,      // resolves with length (copyToAsync)
    kPosition,   // resolves with the search's answer (indexOfAsync)
    kReadCount,  // fs-style: up to the file's end, resolves with the count (readAsync)
  };
  uint64_t offset;
  uint64_t length;
  MappedWork work;
  Resolution resolution;
  uint8_t* destination = nullptr;  // the copy's destination (not kPosition)
  bool plain_copy = false;  // work copies the bytes unchanged to destination (kReadFrom applies)
  SearchJob search{};  // kPosition; its needle is copied before going to the pool
  const int32_t* abort_flag = nullptr;
};

// Starts an access and returns its promise. Within kCallingThreadLimit and
// the turn's budget, the work runs at once on the calling thread (the
// mapping's owner thread) and the promise is already settled:
//   - a plain copy with RWF_NOWAIT reads (FileMapping::CopyByRead), which
//     stop where a page is not in the page cache; the copy then goes to the
//     pool;
//   - other work (a search, or a copy where the file system has no
//     RWF_NOWAIT) when its pages are resident (mincore), through
//     FileMapping::Access: the owner's access, because the owner's cached
//     file state (the seqlock's "before") may be used only there, and it
//     saves a system call over AccessFromPool.
// Otherwise the access goes to the pool (PoolAccess). Either way it settles
// after the work, with the same values and errors. `holder` owns the
// destination (the result for kBuffer); `abort_holder`, when not empty,
// owns the abort flag.
Napi::Promise StartAccess(Napi::Env env, FileMapping* mapping, const std::string& path,
                          Napi::Object owner, AccessPlan plan, Napi::Object holder,
                          Napi::Object abort_holder);

// One access run on a libuv thread-pool thread, settling a Promise. The
// destination, needle and abort flag are raw pointers into memory kept alive
// by the references held here.
class PoolAccess : public PinnedPoolWork {
 public:
  PoolAccess(Napi::Env env, FileMapping* mapping, const std::string& path, Napi::Object owner,
             const AccessPlan& plan, Napi::Object holder, Napi::Object abort_holder);

 protected:
  void Execute() override;
  void OnOK() override;

 private:
  Napi::ObjectReference holder_;  // the destination's owner
  Napi::ObjectReference abort_holder_;
  AccessPlan plan_;
  std::vector<uint8_t> needle_;  // the caller may change its Uint8Array meanwhile
  bool aborted_ = false;
  uint64_t count_ = 0;
  AccessResult result_{AccessStatus::kOk, -1, 0};
};

}  // namespace safe_mmap
