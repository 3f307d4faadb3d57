// FileMapping's region, its lifetime and the guarded accesses (mapping.h).
#include "mapping.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "guard.h"
#include "pages.h"

namespace safe_mmap {
namespace {

const char* DescribeNonRegular(FileKind kind) {
  switch (kind) {
    case FileKind::kDirectory: return "is a directory";
    case FileKind::kFifo: return "is a FIFO";
    case FileKind::kSocket: return "is a socket";
    case FileKind::kCharacterDevice: return "is a character device";
    case FileKind::kBlockDevice: return "is a block device";
    default: return "is not a regular file";
  }
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

OsFailure FileMapping::Map(FileHandle file, MapOptions options) {
  FileKind kind;
  FileState state;
  if (int error_number = ReadFileKind(file, &kind, &state)) return OsFailure::Of(error_number, kStatCall);
  // Only regular files have a size that means what mmap needs. Rejecting the
  // rest here also keeps FIFOs and devices from blocking or misbehaving.
  if (kind != FileKind::kRegular) {
    return {kind == FileKind::kDirectory ? EISDIR : ENODEV, "mmap", DescribeNonRegular(kind)};
  }
  // Our own descriptor: the caller's came from fs.openSync, which Node tracks
  // (in a worker it closes its leftovers at exit), so the caller must close
  // that one itself and we must never close it. The lease goes on this one:
  // a break names it (si_fd), and it lives as long as the mapping.
  if (int error_number = DuplicateFile(file, &file_)) {
    file_ = kNoFile;
    return OsFailure::Of(error_number, "dup");
  }
  options_ = options;
  changes_.Start(file_, options, state);
  uint8_t* base;
  OsFailure failure = MapFile(file_, state.size, options, &base);
  if (failure.error_number != 0) {
    Release();
    return failure;
  }
  region_.store(new Region{base, state.size}, std::memory_order_release);
  InstallFaultGuard();
  return OsFailure::None();
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

uint8_t* FileMapping::MapLazySnapshot(uint64_t offset, uint64_t length, LazyRangeId* id) {
  if (closed() || options_.mode != ValidationMode::kAlways || options_.writable || length < LazyMinimumBytes()) {
    return nullptr;
  }
  const Region* region = RegionHolding(offset, length);
  if (region == nullptr || !InstallWriteFaultHandler()) return nullptr;
  uint64_t token;
  if (!changes_.LeaseForLazy(offset + length, &token)) return nullptr;
  const PageSpan pages = PagesHolding(region->base + offset, size_t(length), page_size_);
  const uint64_t page_offset = uint64_t(pages.start - region->base);
  uint8_t* base = MapLazyRange(file_, page_offset, pages.bytes, changes_.lease_slot(), id);
  if (base == nullptr) return nullptr;
  // The lease held from before the mmap until after the registration: the
  // private mapping shows the file as it was, and any later break swaps it.
  if (!changes_.ConfirmForLazy(token)) {
    FreeLazyRange(*id);
    return nullptr;
  }
  return base + (offset - page_offset);
}

void FileMapping::Close() {
  closed_.store(true, std::memory_order_release);
  if (pins_ == 0) Release();
}

void FileMapping::Release() {
  UnmapRetired();
  if (Region* region = region_.exchange(nullptr)) {
    UnmapFile(region->base, region->size);
    delete region;
  }
  changes_.Stop();  // before close: a lease must never outlive its descriptor
  if (file_ != kNoFile) CloseFile(file_);
  file_ = kNoFile;
}

void FileMapping::UnmapRetired() {
  for (Region* region : retired_) {
    UnmapFile(region->base, region->size);
    delete region;
  }
  retired_.clear();
}

OsFailure FileMapping::Remap() {
  FileState state;
  if (int error_number = ReadFileState(file_, &state)) return OsFailure::Of(error_number, kStatCall);
  uint8_t* base;
  OsFailure failure = MapFile(file_, state.size, options_, &base);
  if (failure.error_number != 0) return failure;
  // A fresh mapping rather than mremap(MREMAP_MAYMOVE): a pool thread may be
  // copying from the old one, which must stay put until it is done.
  retired_.push_back(region_.exchange(new Region{base, state.size}, std::memory_order_acq_rel));
  if (pins_ == 0) UnmapRetired();
  changes_.Remapped(state);
  return OsFailure::None();
}

AccessResult FileMapping::CurrentFileSize() const {
  if (closed()) return AccessResult::Closed();
  FileState state;
  if (int error_number = ReadFileState(file_, &state)) return AccessResult::IOError(-1, error_number);
  return AccessResult::Size(state.size);
}

const FileMapping::Region* FileMapping::RegionHolding(uint64_t offset, uint64_t length) const {
  const Region* region = region_.load(std::memory_order_acquire);
  return region != nullptr && RangeFits(offset, length, region->size) ? region : nullptr;
}

bool FileMapping::CopyUnguardedForBenchmark(uint64_t offset, uint64_t length, void* destination) const {
  if (closed()) return false;
  const Region* region = RegionHolding(offset, length);
  if (region == nullptr) return false;
  if (length > 0) memcpy(destination, region->base + offset, size_t(length));
  return true;
}

bool FileMapping::RunWork(const Region& region, uint64_t offset, uint64_t length, MappedWork work,
                          void* context) const {
  if (length == 0) return true;  // nothing to touch (an empty file has no base)
  WorkCall call{work, region.base + offset, size_t(length), context};
  // Claim faults on the whole pages that hold the range, not just the range:
  // glibc's SIMD memchr/memcmp may read aligned blocks a little past either
  // end (never across a page), and a fault there is still this file's.
  const PageSpan claim = PagesHolding(call.mapped, call.length, page_size_);
  return !RunGuarded(claim.start, claim.bytes, InvokeWork, &call).faulted;
}

AccessResult FileMapping::Access(uint64_t offset, uint64_t length, MappedWork work, void* context) {
  return AccessChecked(offset, length, work, context, true);
}

AccessResult FileMapping::AccessForWrite(uint64_t offset, uint64_t length, MappedWork work,
                                         void* context) {
  if (!options_.writable) return AccessResult::ReadOnly();
  return AccessChecked(offset, length, work, context, true);
}

AccessResult FileMapping::AccessFromPool(uint64_t offset, uint64_t length, MappedWork work,
                                         void* context) {
  return AccessChecked(offset, length, work, context, false);
}

AccessResult FileMapping::AccessOnceForWrite(uint64_t offset, uint64_t length, MappedWork work,
                                             void* context) {
  if (closed()) return AccessResult::Closed();
  if (!options_.writable) return AccessResult::ReadOnly();
  const Region* region = region_.load(std::memory_order_acquire);
  if (!RangeFits(offset, length, region->size)) {
    if (options_.grow && Remap().error_number == 0) region = region_.load(std::memory_order_acquire);
    if (!RangeFits(offset, length, region->size)) return PastTheMapping(*region);
  }
  if (options_.mode == ValidationMode::kAlways) {
    // Before, not after: the work changes the file, so it cannot be redone.
    // A truncation after this check makes the work fault (a page past the
    // end) or land in the zeros of the last page, as a write(2) racing the
    // truncate(2) could; the guard turns the first into kTruncated.
    FileState now;
    if (int error_number = ReadFileState(file_, &now)) return AccessResult::IOError(-1, error_number);
    if (now.size < offset + length) return AccessResult::Truncated(now.size);
  }
  if (RunWork(*region, offset, length, work, context)) return AccessResult::Ok();
  return changes_.ClassifyFault(offset + length);
}

const uint8_t* FileMapping::AddressFor(uint64_t offset, uint64_t length) const {
  if (closed()) return nullptr;
  const Region* region = RegionHolding(offset, length);
  return region != nullptr && length > 0 ? region->base + offset : nullptr;
}

FileHandle FileMapping::DuplicateDescriptor() const {
  FileHandle copy;
  return DuplicateFile(file_, &copy) == 0 ? copy : kNoFile;
}

void FileMapping::NoteOwnerAccess() {
  if (!closed()) changes_.NoteOwnerAccess();
}

AccessResult FileMapping::PastTheMapping(const Region& region) const {
  FileState now;
  if (int error_number = ReadFileState(file_, &now)) return AccessResult::IOError(-1, error_number);
  return AccessResult::Truncated(std::min(now.size, region.size));
}

AccessResult FileMapping::AccessChecked(uint64_t offset, uint64_t length, MappedWork work,
                                        void* context, bool owner) {
  if (closed()) return AccessResult::Closed();
  const Region* region = region_.load(std::memory_order_acquire);
  if (!RangeFits(offset, length, region->size)) {
    // Past the mapping. The owner may grow it ({ grow: 'auto' }) when the
    // file now holds the range; otherwise the range is past the mapped end
    // of the file, which is what MappedFileTruncated means to a view.
    if (owner && options_.grow) {
      OsFailure failure = Remap();
      if (failure.error_number != 0) return AccessResult::IOError(-1, failure.error_number);
      region = region_.load(std::memory_order_acquire);
    }
    if (!RangeFits(offset, length, region->size)) return PastTheMapping(*region);
  }
  if (options_.mode != ValidationMode::kAlways) {
    if (RunWork(*region, offset, length, work, context)) return AccessResult::Ok();
    return changes_.ClassifyFault(offset + length);
  }
  // One try: the work over the mapping, under the guard.
  const auto try_guarded = [&]() -> TryEnd {
    return {RunWork(*region, offset, length, work, context) ? TryEnd::kCompleted : TryEnd::kFaulted, 0};
  };
  return changes_.Validated(offset + length, owner, try_guarded);
}

}  // namespace safe_mmap
