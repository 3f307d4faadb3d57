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
#include "placement.h"
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
  Napi::ObjectReference owner_;  // the MappingWrap: keeps mapping_ alive
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

// From this length on, a plain copy on the pool reads the file with pread
// (FileMapping::CopyByRead) instead of faulting the mapping in. Quick runs,
// one read in flight on an evicted file: 1 MiB copies through faults ran at
// 0.86x of fs.read, with pread 1.02-1.09x; 64 KiB ones 0.93-0.95x through
// faults, 1.68x with pread (the kernel's readahead then brings the next
// ranges in, and they take the fast path).
constexpr uint64_t kReadFrom = uint64_t(64) << 10;

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
