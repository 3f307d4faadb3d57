// The table of lazy ranges, their swap into the caller's own memory, and the
// claims of the signal handlers (lazy_ranges.h).
#include "lazy_ranges.h"

#include <csignal>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "guard.h"

namespace safe_mmap {
namespace {

enum RangeState : int {
  kFree,
  kReserved,  // being filled by MapLazyRange
  kLive,      // kMapped: the file's pages
  kSwapping,  // being turned into anonymous memory
  kOwned,     // anonymous memory
  kFreeing,   // its snapshot was collected; being unmapped
};

// Written while kReserved, read by the handlers only in kLive/kSwapping: the
// fields are atomics (relaxed) so that a handler racing with a reuse reads
// some value, never a torn one; the state's acquire/release orders them.
struct LazyRange {
  std::atomic<int> state{kFree};
  std::atomic<uint32_t> generation{0};
  std::atomic<uintptr_t> begin{0};
  std::atomic<size_t> length{0};
  std::atomic<int> lease_slot{-1};
  std::atomic<int> fd{-1};  // the mapping's descriptor, open while kLive/kSwapping
  std::atomic<uint64_t> file_offset{0};
  std::atomic<int> damage{int(LazyDamage::kNone)};
  std::atomic<uint64_t> damage_size{0};  // the file's size when damage was found
  std::atomic<bool> pinning{false};      // counted in live_bytes and its slot's pins
};

// At most this many live lazy snapshots; past it, copies. Far below
// vm.max_map_count (65530 by default), so that the rest of the process keeps
// its mappings.
constexpr int kMaxRanges = 16384;
constexpr int kMaxLeaseSlots = 1024;  // lease_slots.h's kMaxLeases

LazyRange ranges[kMaxRanges];
std::atomic<int> pins[kMaxLeaseSlots];  // kLive ranges per lease slot
std::atomic<uint64_t> live_bytes{0};
std::atomic<uint64_t> swaps_done{0};
std::atomic<int> next_free_hint{0};
std::atomic<int> ranges_in_use{0};  // not kFree: the handlers skip their scan at 0
volatile sig_atomic_t swap_enabled = 1;
volatile sig_atomic_t write_protect_enabled = 1;
std::atomic<uint64_t> minimum_bytes{kLazyMinimumBytes};

uint64_t ParseLimit() {
  const char* value = getenv("SAFE_MMAP_LAZY_LIMIT_MB");
  if (value != nullptr && value[0] != '\0') {
    char* end = nullptr;
    const unsigned long long megabytes = strtoull(value, &end, 10);
    if (end != nullptr && *end == '\0') return uint64_t(megabytes) << 20;
  }
  const long pages = sysconf(_SC_PHYS_PAGES);
  const uint64_t quarter = pages > 0 ? uint64_t(pages) * PageSize() / 4 : uint64_t(1) << 30;
  const uint64_t cap = uint64_t(4) << 30;
  return quarter < cap ? quarter : cap;
}

// A range stops pinning its lease (and counting toward the limit) once it is
// no longer the file's: swapped, or freed.
void Unpin(LazyRange& range) {
  if (!range.pinning.exchange(false, std::memory_order_acq_rel)) return;
  live_bytes.fetch_sub(range.length.load(std::memory_order_relaxed), std::memory_order_acq_rel);
  pins[range.lease_slot.load(std::memory_order_relaxed)].fetch_sub(1, std::memory_order_acq_rel);
}

// Async-signal-safe: one fstat. The page at `address` could not be read: past
// the end of the file now is a truncation, inside it an I/O error. The first
// damage found is kept.
void MarkDamaged(LazyRange& range, uintptr_t address) {
  struct stat st;
  const uint64_t offset = range.file_offset.load(std::memory_order_relaxed) +
                          (address - range.begin.load(std::memory_order_relaxed));
  LazyDamage damage = LazyDamage::kIOError;
  uint64_t size = 0;
  if (fstat(range.fd.load(std::memory_order_relaxed), &st) == 0) {
    size = uint64_t(st.st_size);
    if (size <= offset) damage = LazyDamage::kTruncated;
  }
  int none = int(LazyDamage::kNone);
  if (range.damage.compare_exchange_strong(none, int(damage), std::memory_order_acq_rel)) {
    range.damage_size.store(size, std::memory_order_release);
  }
}

// The range holding address in one of the given states, or nullptr.
LazyRange* RangeHolding(uintptr_t address, bool owned_too) {
  if (ranges_in_use.load(std::memory_order_acquire) == 0) return nullptr;
  for (LazyRange& range : ranges) {
    const int state = range.state.load(std::memory_order_acquire);
    if (state != kLive && state != kSwapping && !(owned_too && state == kOwned)) continue;
    const uintptr_t begin = range.begin.load(std::memory_order_relaxed);
    if (address >= begin && address < begin + range.length.load(std::memory_order_relaxed)) return &range;
  }
  return nullptr;
}

struct CopyJob {
  uint8_t* to;
  const uint8_t* from;
  size_t length;
};

void CopyPages(void* context) {
  CopyJob* job = static_cast<CopyJob*>(context);
  memcpy(job->to, job->from, job->length);
}

// Copies the range into copy under the guard. A page that faults (a hole)
// stays zero in the copy and marks the range damaged. The whole range is
// copied at once first (the usual case: no hole); after a fault nothing is
// known to be copied, since memcpy may read the source's end before its
// start (glibc's loads its last vectors before its loop: a cut file faulted
// at the range's last bytes first, and every page before the cut was left
// zero), so the copy is made again page by page.
//
// SIGBUS is unblocked for the copy: the watcher thread, which runs most
// swaps, blocks every signal (lease_watcher.cc), and a fault while SIGBUS is
// blocked is fatal whatever the handler (the kernel forces the default
// action). Such a fault is hole 2: the lease revoked while this process was
// stopped, then the file cut before the watcher ran
// (test/faults/lazy-holes killed the process there).
void CopyGuarded(LazyRange& range, uint8_t* base, size_t length, uint8_t* copy) {
  const size_t page = PageSize();
  sigset_t bus, interrupted;
  sigemptyset(&bus);
  sigaddset(&bus, SIGBUS);
  pthread_sigmask(SIG_UNBLOCK, &bus, &interrupted);
  CopyJob whole{copy, base, length};
  if (RunGuarded(base, length, CopyPages, &whole).faulted) {
    for (size_t at = 0; at < length; at += page) {
      const size_t bytes = length - at < page ? length - at : page;
      CopyJob one{copy + at, base + at, bytes};
      if (RunGuarded(base + at, bytes, CopyPages, &one).faulted) {
        memset(copy + at, 0, bytes);
        MarkDamaged(range, reinterpret_cast<uintptr_t>(base + at));
      }
    }
  }
  pthread_sigmask(SIG_SETMASK, &interrupted, nullptr);
}

// kSwapping, on the releasing thread: write-protect, copy, mremap the copy
// over the range. Readers never miss a byte: until mremap the file's pages
// (still leased, so unchanged) are there, after it the copy; mremap swaps
// the page tables under the mm's lock, so no access sees neither. A write
// meets the protection and waits in ClaimLazyWriteFault until kOwned, then
// lands in the copy. Without the protection, a write to a page already
// copied would go to the old pages and be lost with them.
void SwapOne(LazyRange& range) {
  uint8_t* base = reinterpret_cast<uint8_t*>(range.begin.load(std::memory_order_relaxed));
  const size_t length = range.length.load(std::memory_order_relaxed);
  if (write_protect_enabled) mprotect(base, length, PROT_READ);
  void* copy = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (copy != MAP_FAILED) {
    CopyGuarded(range, base, length, static_cast<uint8_t*>(copy));
    if (mremap(copy, length, length, MREMAP_MAYMOVE | MREMAP_FIXED, base) != MAP_FAILED) {
      Unpin(range);
      swaps_done.fetch_add(1, std::memory_order_relaxed);
      range.state.store(kOwned, std::memory_order_release);
      return;
    }
    munmap(copy, length);
  }
  // No memory for the copy (the limit keeps this rare): the range stays the
  // file's, unprotected, and says it cannot vouch for its bytes any more.
  // A later fault in it still becomes a zero page.
  if (write_protect_enabled) mprotect(base, length, PROT_READ | PROT_WRITE);
  int none = int(LazyDamage::kNone);
  range.damage.compare_exchange_strong(none, int(LazyDamage::kIOError), std::memory_order_acq_rel);
  Unpin(range);
  range.state.store(kLive, std::memory_order_release);
}

}  // namespace

uint64_t LazyLimitBytes() {
  static const uint64_t limit = ParseLimit();
  return limit;
}

uint8_t* MapLazyRange(int fd, uint64_t page_offset, uint64_t length, int lease_slot, LazyRangeId* id) {
  if (lease_slot < 0 || lease_slot >= kMaxLeaseSlots || length == 0) return nullptr;
  if (live_bytes.fetch_add(length, std::memory_order_acq_rel) + length > LazyLimitBytes()) {
    live_bytes.fetch_sub(length, std::memory_order_acq_rel);
    return nullptr;
  }
  void* base = mmap(nullptr, size_t(length), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, off_t(page_offset));
  if (base == MAP_FAILED) {
    live_bytes.fetch_sub(length, std::memory_order_acq_rel);
    return nullptr;
  }
  const int start = next_free_hint.load(std::memory_order_relaxed);
  for (int step = 0; step < kMaxRanges; ++step) {
    const int index = (start + step) % kMaxRanges;
    LazyRange& range = ranges[index];
    int expected = kFree;
    if (!range.state.compare_exchange_strong(expected, kReserved, std::memory_order_acq_rel)) continue;
    ranges_in_use.fetch_add(1, std::memory_order_acq_rel);
    next_free_hint.store((index + 1) % kMaxRanges, std::memory_order_relaxed);
    range.begin.store(reinterpret_cast<uintptr_t>(base), std::memory_order_relaxed);
    range.length.store(size_t(length), std::memory_order_relaxed);
    range.lease_slot.store(lease_slot, std::memory_order_relaxed);
    range.fd.store(fd, std::memory_order_relaxed);
    range.file_offset.store(page_offset, std::memory_order_relaxed);
    range.damage.store(int(LazyDamage::kNone), std::memory_order_relaxed);
    range.pinning.store(true, std::memory_order_relaxed);
    pins[lease_slot].fetch_add(1, std::memory_order_seq_cst);
    // seq_cst, paired with the caller's seq_cst load of the lease epoch and
    // the releaser's epoch advance before its scan: either the caller sees
    // the break, or the releaser sees this range and swaps it.
    range.state.store(kLive, std::memory_order_seq_cst);
    *id = LazyRangeId{index, range.generation.load(std::memory_order_relaxed)};
    return static_cast<uint8_t*>(base);
  }
  munmap(base, size_t(length));
  live_bytes.fetch_sub(length, std::memory_order_acq_rel);
  return nullptr;
}

void FreeLazyRange(LazyRangeId id) {
  if (id.index < 0 || id.index >= kMaxRanges) return;
  LazyRange& range = ranges[id.index];
  if (range.generation.load(std::memory_order_acquire) != id.generation) return;
  int state = range.state.load(std::memory_order_acquire);
  for (;;) {
    if (state == kSwapping) {
      sched_yield();  // a JS thread waits for the releaser, never the other way round
      state = range.state.load(std::memory_order_acquire);
    } else if (state != kLive && state != kOwned) {
      return;
    } else if (range.state.compare_exchange_weak(state, kFreeing, std::memory_order_acq_rel)) {
      break;
    }
  }
  munmap(reinterpret_cast<void*>(range.begin.load(std::memory_order_relaxed)),
         range.length.load(std::memory_order_relaxed));
  Unpin(range);
  range.generation.fetch_add(1, std::memory_order_acq_rel);
  range.state.store(kFree, std::memory_order_release);
  ranges_in_use.fetch_sub(1, std::memory_order_acq_rel);
}

LazyState LazyRangeState(LazyRangeId id, LazyDamage* damage, uint64_t* file_size) {
  *damage = LazyDamage::kNone;
  if (id.index < 0 || id.index >= kMaxRanges) return LazyState::kGone;
  LazyRange& range = ranges[id.index];
  const int state = range.state.load(std::memory_order_acquire);
  if (range.generation.load(std::memory_order_acquire) != id.generation) return LazyState::kGone;
  *damage = LazyDamage(range.damage.load(std::memory_order_acquire));
  *file_size = range.damage_size.load(std::memory_order_acquire);
  if (state == kLive || state == kSwapping) return LazyState::kMapped;
  return state == kOwned ? LazyState::kCopied : LazyState::kGone;
}

void SwapLazyRangesOf(int lease_slot) {
  if (!swap_enabled || lease_slot < 0 || lease_slot >= kMaxLeaseSlots) return;
  if (pins[lease_slot].load(std::memory_order_seq_cst) == 0) return;
  for (LazyRange& range : ranges) {
    int state = range.state.load(std::memory_order_seq_cst);
    if (state != kLive || range.lease_slot.load(std::memory_order_relaxed) != lease_slot ||
        !range.pinning.load(std::memory_order_relaxed)) {
      continue;
    }
    if (range.state.compare_exchange_strong(state, kSwapping, std::memory_order_acq_rel)) SwapOne(range);
  }
}

bool LeaseSlotHasLazyRanges(int lease_slot) {
  return lease_slot >= 0 && lease_slot < kMaxLeaseSlots && pins[lease_slot].load(std::memory_order_acquire) > 0;
}

bool ClaimLazyBusFault(const void* address) {
  const uintptr_t at = reinterpret_cast<uintptr_t>(address);
  LazyRange* range = RangeHolding(at, false);
  if (range == nullptr) return false;
  const uintptr_t page = at & ~uintptr_t(PageSize() - 1);
  // Mid-swap the range is write-protected; the zero page must be too, or a
  // write could land in it and be lost with it at the mremap.
  const int protection = range->state.load(std::memory_order_acquire) == kSwapping && write_protect_enabled
                             ? PROT_READ
                             : PROT_READ | PROT_WRITE;
  if (mmap(reinterpret_cast<void*>(page), PageSize(), protection, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
           0) == MAP_FAILED) {
    return false;  // no zero page (vm.max_map_count): the fault stays fatal
  }
  MarkDamaged(*range, page);
  return true;
}

bool ClaimLazyWriteFault(const void* address) {
  // Any access fault in a live range: the ranges are read-write but while
  // swapping, so a fault here met the swap's protection, possibly a swap
  // that has finished (or failed and unprotected) since. Retrying is then
  // right; a write to a range still being swapped waits for it first.
  LazyRange* range = RangeHolding(reinterpret_cast<uintptr_t>(address), true);
  if (range == nullptr) return false;
  while (range->state.load(std::memory_order_acquire) == kSwapping) sched_yield();
  return true;
}

void SetLazySwapEnabledForTesting(bool enabled) { swap_enabled = enabled ? 1 : 0; }
void SetLazyWriteProtectEnabledForTesting(bool enabled) { write_protect_enabled = enabled ? 1 : 0; }
void SetLazyMinimumBytesForBenchmark(uint64_t bytes) { minimum_bytes.store(bytes, std::memory_order_relaxed); }
uint64_t LazyMinimumBytes() { return minimum_bytes.load(std::memory_order_relaxed); }

uint64_t LazyRangesMapped() {
  uint64_t count = 0;
  for (const LazyRange& range : ranges) count += range.state.load(std::memory_order_relaxed) == kLive;
  return count;
}

uint64_t LazySwapsDone() { return swaps_done.load(std::memory_order_relaxed); }

}  // namespace safe_mmap
