// The lease table that lease.cc (FileLease, on the owners' threads) and
// lease_watcher.cc (the watcher thread) share. Private to those two files:
// nothing else knows about slots, the lease signal or the watcher.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>

namespace safe_mmap {

// The lease signal. Real-time, so breaks queue with si_fd instead of
// merging; aimed at the watcher thread only (F_OWNER_TID), which blocks it.
// glibc and musl keep 32-34 below SIGRTMIN for themselves and valgrind takes
// SIGRTMAX; Node, V8 and libuv use no real-time signal. A foreign signal of
// the same number sent to the process could still reach our sigtimedwait:
// it carries si_code <= 0 and is dropped there as a mere wakeup.
int LeaseSignal();

enum SlotState : int {
  kFree,       // unused
  kClosing,    // reserved or being released by its owner; the watcher keeps off
  kBroken,     // registered, no lease (fstat mode)
  kAcquiring,  // the owner is taking the lease
  kLeased,     // held and unbroken
  kBreaking,   // the watcher (or Distrust) is releasing it
};

// One registered descriptor. The watcher finds slots by si_fd and changes
// them only by compare-and-swap from kAcquiring/kLeased/kBroken to
// kBreaking; an owner releasing its slot first swaps it to kClosing. So the
// watcher's F_UNLCK always names a descriptor that is still this slot's: the
// owner cannot close it while the slot is kBreaking.
struct LeaseSlot {
  std::atomic<int> fd{-1};
  std::atomic<int> state{kFree};
  std::atomic<uint64_t> epoch{0};   // advanced before every release
  std::atomic<uint64_t> breaks{0};  // breaks the watcher handled
  // Idleness: Begin sets used; the watcher clears it each round and notes
  // when it last found it set, and gives back a lease unused for
  // kLeaseIdleMs. The owner takes it again when the file is hot.
  std::atomic<bool> used{false};
  std::atomic<uint64_t> last_used_ms{0};
};

constexpr int kMaxLeases = 1024;  // beyond that, new mappings use fstat mode
extern LeaseSlot lease_slots[kMaxLeases];

// The coarse-clock time (ms) at which the watcher last began draining its
// signal queue: every break queued before it has been handled.
extern std::atomic<uint64_t> drained_at_ms;
// How long after drained_at_ms an access may still trust the epoch: half of
// lease-break-time, the shortest time in which the kernel can revoke a lease
// by itself. 0 disables lease mode (lease-break-time 0 revokes at once).
extern std::atomic<uint64_t> trust_window_ms;
extern std::atomic<uint64_t> breaks_handled;  // in this process, for tests
extern std::atomic<bool> epoch_check_enabled;  // test hook: lease.h

// How a break names its slot. kAny: every lease (Distrust, exit, a SIGIO
// overflow). kIfPending: a queued break signal, which names only a descriptor
// number; the number may since have been closed and reused by a mapping whose
// lease is intact, so the kernel is asked whether this descriptor's lease is
// being broken (F_GETLEASE reports the break's target, F_UNLCK, from the
// moment a break starts; fs/locks.c target_leasetype).
enum class BreakWhen { kAny, kIfPending };

// Releases a slot's lease after advancing its epoch, if the slot is still
// registered. Called by the watcher and by Distrust; never blocks (F_UNLCK
// does not wait), never opens a file, never waits for a JS thread.
bool BreakSlot(LeaseSlot& slot, bool count_break, BreakWhen when = BreakWhen::kAny);

// Starts the process's watcher thread once; false when it cannot run.
bool WatcherRunning();
// The watcher thread's id, the owner of every lease signal (F_SETOWN_EX).
pid_t WatcherTid();

}  // namespace safe_mmap
