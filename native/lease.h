// Read leases: the change signal that replaces the per-access fstat.
//
// While this process holds a read lease on a file (fcntl F_SETLEASE F_RDLCK),
// every truncate(2) and every open of the file for writing, by any process
// including this one, first breaks the lease and then waits until we release
// it. A process-wide watcher thread hears each break, advances the lease's
// epoch and only then releases it, so no change can begin before the epoch
// moved. An access that finds the same epoch before and after its work, with
// the watcher known to be running, read one state of the file: a few loads
// instead of a system call.
//
// The lease never replaces the guard: the file can still shrink or fault
// under a held lease (../shared/background/leases.md, holes 1-4); every
// access keeps the guard, and change_detector.cc classifies its faults by
// fstat.
//
// This header, lease.cc, lease_watcher.cc and lease_slots.h are the only
// code that knows about leases, their signal and their thread (as guard.*
// alone knows about SIGBUS). When to take a lease is lease_policy.h's.
#pragma once

#include <atomic>
#include <cstdint>

#include "platform.h"

namespace safe_mmap {

struct LeaseSlot;  // lease.cc: a lock-free table entry the watcher can reach

// The lease of one FileMapping's own descriptor. Register, Acquire and
// Release run on the owning JS thread; Begin, Confirm and Distrust on any
// thread. When to call Acquire is lease_policy.h's decision.
class FileLease {
 public:
  FileLease() = default;
  ~FileLease() { Release(); }
  FileLease(const FileLease&) = delete;
  FileLease& operator=(const FileLease&) = delete;

  // Whether fd (opened O_RDONLY) may hold a lease: leases are not switched
  // off (SAFE_MMAP_LEASE=0), its filesystem is on the allowlist (every
  // change to the inode goes through this kernel), the watcher runs and the
  // table has room. Takes no lease yet. false means fstat mode for good.
  bool Register(FileHandle fd);
  // Takes the read lease now. false means fstat mode for now: EAGAIN
  // (someone has the file open for writing), EACCES (not the owner, no
  // CAP_LEASE), EINVAL, or a break that came in between.
  bool Acquire();
  // Before an access: true when the lease is held and unbroken; *token is
  // what Confirm compares against. Marks the lease used (the watcher gives
  // back a lease nobody used for about a second).
  bool Begin(uint64_t* token) const;
  // After the access's work: true when no break happened since Begin and
  // the watcher drained its signals recently enough that a lease the kernel
  // revoked by timeout (hole 2) would have been seen.
  bool Confirm(uint64_t token) const;
  // The file changed or faulted under the lease with no break (hole 1:
  // O_RDONLY|O_TRUNC; hole 4: I/O errors): stop trusting it.
  void Distrust();
  // Releases the lease and the registration; call before the descriptor is
  // closed, or every writer would wait the whole lease-break-time. Idempotent.
  void Release();
  bool held() const;
  bool registered() const { return slot_ != nullptr; }
  // The slot's index, which lazy ranges (lazy_ranges.h) are registered
  // under; -1 when not registered.
  int slot_index() const;
  // Breaks the watcher handled for this lease since Register. Releases for
  // idleness and Distrust are not breaks.
  uint64_t breaks() const;
  // breaks(), after waiting out a release in progress (one fcntl on the
  // watcher thread): a break is counted while its slot is kBreaking, so a
  // lease found gone a moment earlier may not show its break yet.
  uint64_t SettledBreaks() const;

 private:
  LeaseSlot* slot_ = nullptr;
  int fd_ = -1;
  // The slot's epoch when the lease was last taken (or tried). Written by the
  // owner, read by pool threads in Begin.
  std::atomic<uint64_t> epoch_{0};
  uint64_t breaks_at_start_ = 0;
  bool acquired_once_ = false;
};

// Whether a read lease may be tried on fd at all: leases are not switched
// off (SAFE_MMAP_LEASE=0) and its filesystem is on the allowlist (lease.cc).
// FileLease::Register's first checks; the change watch (change_watch.h)
// asks it too for its own lease.
bool LeaseAllowedOn(int fd);

// The coarse monotonic clock in milliseconds (vDSO, no system call; 4 ms
// ticks at HZ=250). It runs on while the process is stopped.
uint64_t CoarseMilliseconds();
// How long a lease nobody used is kept before the watcher gives it back.
constexpr uint64_t kLeaseIdleMs = 1000;

// Test hooks. With the epoch check off, a lease once taken is trusted for
// good, breaks or not (Begin, Confirm and held ignore state and epoch):
// test/faults/lease-race shows its oracle then sees wrong bytes. The count is every break the watcher handled in this process.
void SetLeaseEpochCheckEnabledForTesting(bool enabled);
// Stops the watcher between rounds, as a stopped or frozen process would:
// test/faults/lease-race shows that a lease the kernel then revokes is not trusted.
void SetLeaseWatcherPausedForTesting(bool paused);
// Stalls the next Begin, on whatever thread, between its loads of the slot
// (a preempted pool thread, on demand). action kBeginStallArmed arms it,
// kBeginStallOff releases a stalled Begin (or disarms), anything else only
// asks; returns the state after the action.
enum BeginStall : int { kBeginStallOff = 0, kBeginStallArmed = 1, kBeginStalled = 2 };
int LeaseBeginStallForTesting(int action);
uint64_t LeaseBreaksHandled();

}  // namespace safe_mmap
