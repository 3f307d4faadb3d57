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

#include "mapping.h"
#include "search.h"

namespace safe_mmap {

// A byte range for an error message, or none (fileSize() reads no range).
struct ErrorRange {
  bool present;
  uint64_t offset;
  uint64_t length;
};

// The JS errors, built through the factory that src/binding.ts registers.
// Defined in addon.cc, which holds the error plumbing.
Napi::Value MakeAccessError(Napi::Env env, const std::string& path, ErrorRange range,
                            const AccessResult& result);
// An fs-style error ("EIO: i/o error, msync '/path'").
Napi::Value MakeSystemError(Napi::Env env, const std::string& path, const OsFailure& failure);

// Reads the abort flag that JS sets (Atomics.store) in a SharedArrayBuffer.
bool AbortRequested(const int32_t* flag);

// flushAsync: msync on the thread pool, with the mapping pinned.
class PoolFlush : public Napi::AsyncWorker {
 public:
  PoolFlush(Napi::Env env, FileMapping* mapping, const std::string& path, Napi::Object owner,
            uint64_t offset, uint64_t length);

  Napi::Promise Start();

 protected:
  void Execute() override;
  void OnOK() override;

 private:
  Napi::Promise::Deferred deferred_;
  FileMapping* mapping_;
  std::string path_;
  Napi::ObjectReference owner_;  // keeps mapping_ alive
  uint64_t offset_;
  uint64_t length_;
  OsFailure failure_{0, nullptr, nullptr};
};

// One access run on a libuv thread-pool thread, settling a Promise. The
// destination, needle and abort flag are raw pointers into memory kept alive
// by the references held here.
class PoolAccess : public Napi::AsyncWorker {
 public:
  enum class Resolution { kBuffer, kCount, kPosition };

  PoolAccess(Napi::Env env, FileMapping* mapping, const std::string& path, Napi::Object owner,
             uint64_t offset, uint64_t length, MappedWork work, Resolution resolution);

  Napi::Promise promise() const { return deferred_.Promise(); }

  // Objects whose memory the work uses, kept alive until settlement.
  void KeepAlive(Napi::Object object) { kept_.push_back(Napi::Persistent(object)); }
  // Where a copy goes, inside `holder` (kept alive; the result for kBuffer).
  void SetDestination(uint8_t* destination, Napi::Object holder) {
    copy_destination_ = destination;
    destination_holder_ = Napi::Persistent(holder);
  }
  void SetSearch(std::vector<uint8_t> needle, size_t from, bool forward, size_t alignment) {
    needle_ = std::move(needle);
    search_ = SearchJob{needle_.data(), needle_.size(), from, alignment, forward, kNotFound};
  }
  void SetAbortFlag(const int32_t* flag) { abort_flag_ = flag; }

  // Pins the mapping and queues the work, or settles at once when closed.
  Napi::Promise Start();

 protected:
  void Execute() override;
  void OnOK() override;

 private:
  Napi::Promise::Deferred deferred_;
  FileMapping* mapping_;
  std::string path_;
  Napi::ObjectReference owner_;  // the NativeMapping: keeps mapping_ alive
  std::vector<Napi::ObjectReference> kept_;
  Napi::ObjectReference destination_holder_;
  uint64_t offset_;
  uint64_t length_;
  MappedWork work_;
  Resolution resolution_;
  uint8_t* copy_destination_ = nullptr;
  std::vector<uint8_t> needle_;
  SearchJob search_{};
  const int32_t* abort_flag_ = nullptr;
  bool aborted_ = false;
  AccessResult result_{AccessStatus::kOk, -1, 0};
};

}  // namespace safe_mmap
