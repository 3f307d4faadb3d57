// FileLease (lease.h): registering, taking, checking and releasing one
// mapping's read lease. The watcher thread that hears breaks is in
// lease_watcher.cc; the table both use in lease_slots.h. The races each step
// must survive are described where they are handled.
#include "lease.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <sched.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "lazy_ranges.h"
#include "lease_slots.h"

namespace safe_mmap {


namespace {

// Filesystems where every change to an inode goes through this kernel's VFS,
// so a truncate or a write open always meets our lease. Left out on purpose:
// FUSE (the daemon can change its backing file behind the inode), overlayfs
// (a lower layer can change), NFS/CIFS and other network filesystems (other
// machines write), and anything unknown.
constexpr long kLeaseFilesystems[] = {
    0xEF53,      // ext2, ext3, ext4
    0x58465342,  // xfs
    0x9123683E,  // btrfs
    0x01021994,  // tmpfs
    0xF2F52010,  // f2fs
    0x858458F6,  // ramfs: memory only, like tmpfs
};

// Test hook: the next Begin parks between its two slot loads until released,
// as a preempted pool thread would (test/faults/lease-stale-retake).
std::atomic<int> begin_stall{kBeginStallOff};


void StallBeginForTesting() {
  int armed = kBeginStallArmed;
  if (begin_stall.load(std::memory_order_relaxed) != kBeginStallArmed ||
      !begin_stall.compare_exchange_strong(armed, kBeginStalled, std::memory_order_acq_rel)) {
    return;
  }
  while (begin_stall.load(std::memory_order_acquire) == kBeginStalled) sched_yield();
}

// SAFE_MMAP_LEASE=0 in the environment: an operator's switch, read once per
// process, that keeps every mapping in fstat mode.
bool LeasesSwitchedOff() {
  static const bool switched_off = [] {
    const char* value = getenv("SAFE_MMAP_LEASE");
    return value != nullptr && value[0] == '0' && value[1] == '\0';
  }();
  return switched_off;
}

bool OnLeaseFilesystem(int fd) {
  struct statfs info;
  if (fstatfs(fd, &info) != 0) return false;
  for (long type : kLeaseFilesystems) {
    if (long(info.f_type) == type) return true;
  }
  return false;
}

LeaseSlot* ReserveSlot(int fd) {
  for (LeaseSlot& slot : lease_slots) {
    int expected = kFree;
    if (slot.state.compare_exchange_strong(expected, kClosing, std::memory_order_acq_rel)) {
      slot.fd.store(fd, std::memory_order_release);
      slot.state.store(kBroken, std::memory_order_release);
      return &slot;
    }
  }
  return nullptr;
}

// Waits out a watcher that is releasing this slot (a single fcntl).
int SettledState(const LeaseSlot& slot) {
  int state;
  while ((state = slot.state.load(std::memory_order_acquire)) == kBreaking) sched_yield();
  return state;
}

}  // namespace

// CLOCK_MONOTONIC_COARSE is read from the vDSO: no system call. It keeps
// running while the process is stopped, as the kernel's lease timer does.
uint64_t CoarseMilliseconds() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return uint64_t(now.tv_sec) * 1000 + uint64_t(now.tv_nsec) / 1000000;
}

bool LeaseAllowedOn(int fd) { return !LeasesSwitchedOff() && OnLeaseFilesystem(fd); }

bool FileLease::Register(int fd) {
  if (slot_ != nullptr) return true;
  if (!LeaseAllowedOn(fd) || !WatcherRunning()) return false;
  slot_ = ReserveSlot(fd);
  if (slot_ == nullptr) return false;
  fd_ = fd;
  breaks_at_start_ = slot_->breaks.load(std::memory_order_acquire);
  return true;
}

bool FileLease::Acquire() {
  if (slot_ == nullptr || trust_window_ms.load(std::memory_order_acquire) == 0) return false;
  int state = kBroken;
  if (!slot_->state.compare_exchange_strong(state, kAcquiring, std::memory_order_acq_rel)) return false;
  // Read before the lease exists: any break of it advances past this. Pool
  // threads read epoch_ only after seeing kLeased, which is stored after it.
  epoch_.store(slot_->epoch.load(std::memory_order_acquire), std::memory_order_release);
  // Breaks go to the watcher thread alone, as the real-time signal. Every
  // time: releasing a lease (F_UNLCK) clears the file's owner and signal
  // (fs/locks.c lease_modify), and a lease set up without them signals the
  // whole process with SIGIO, whose default action kills it.
  struct f_owner_ex owner = {F_OWNER_TID, WatcherTid()};
  if (fcntl(fd_, F_SETSIG, LeaseSignal()) != 0 || fcntl(fd_, F_SETOWN_EX, &owner) != 0 ||
      fcntl(fd_, F_SETLEASE, F_RDLCK) != 0) {
    state = kAcquiring;
    if (!slot_->state.compare_exchange_strong(state, kBroken, std::memory_order_acq_rel)) SettledState(*slot_);
    return false;
  }
  slot_->used.store(true, std::memory_order_relaxed);  // idle from now, not from the watcher's last round
  state = kAcquiring;
  if (slot_->state.compare_exchange_strong(state, kLeased, std::memory_order_acq_rel)) {
    acquired_once_ = true;
    return true;
  }
  // Broken between the fcntl and here. A stale break signal may even have
  // released before our fcntl took effect; unlock again so that no lease
  // outlives its slot's state (a writer would wait lease-break-time).
  SettledState(*slot_);
  fcntl(fd_, F_SETLEASE, F_UNLCK);
  return false;
}

bool FileLease::Begin(uint64_t* token) const {
  if (slot_ == nullptr) return false;
  if (!epoch_check_enabled.load(std::memory_order_relaxed)) return acquired_once_;  // test hook
  // The epoch first, then the state, then the epoch the lease was taken at.
  // Every break advances the slot's epoch while the slot is kBreaking, so a
  // kLeased read after that epoch comes from a lease taken at it or later;
  // and a failed re-take, which reads the new epoch and leaves the slot
  // kBroken, is seen as kBroken. Read the other way round, a state read
  // before a break could pair with the epoch a failed re-take stored, and
  // vouch for a file with no lease on it.
  *token = slot_->epoch.load(std::memory_order_acquire);
  StallBeginForTesting();
  if (slot_->state.load(std::memory_order_acquire) != kLeased) return false;
  // A load, and a store only when the watcher cleared it: the hot path
  // writes the slot's cache line about once per watcher round.
  if (!slot_->used.load(std::memory_order_relaxed)) slot_->used.store(true, std::memory_order_relaxed);
  return *token == epoch_.load(std::memory_order_acquire);
}

bool FileLease::Confirm(uint64_t token) const {
  // The work's loads from the mapping must be done before the loads below
  // (a seqlock reader's fence): a change the epoch does not show could not
  // have been seen by the work.
  std::atomic_thread_fence(std::memory_order_acquire);
  if (!epoch_check_enabled.load(std::memory_order_relaxed)) return true;
  // drained_at_ms before the epoch: every break queued before that time was
  // counted in the epoch before drained_at_ms was published.
  const uint64_t drained = drained_at_ms.load(std::memory_order_acquire);
  // seq_cst: a lazy range registered before this load is either seen by a
  // releaser that advanced the epoch after it, or this load sees the advance.
  if (slot_->epoch.load(std::memory_order_seq_cst) != token) return false;
  // Hole 2: the kernel revokes a lease by itself only lease-break-time after
  // the break began. If the watcher drained after now - window, any such
  // break would be in the epoch. Otherwise the watcher did not run lately
  // (this process was stopped, or starved): do not trust the epoch, however
  // short this access was (a fresh access right after SIGCONT is as exposed
  // as one stopped mid-copy).
  return CoarseMilliseconds() - drained < trust_window_ms.load(std::memory_order_acquire);
}

void FileLease::Distrust() {
  if (slot_ != nullptr) BreakSlot(*slot_, false);
}

void FileLease::Release() {
  if (slot_ == nullptr) return;
  int state = slot_->state.load(std::memory_order_acquire);
  for (;;) {
    if (state == kBreaking) {
      sched_yield();
      state = slot_->state.load(std::memory_order_acquire);
    } else if (slot_->state.compare_exchange_weak(state, kClosing, std::memory_order_acq_rel)) {
      break;
    }
  }
  slot_->epoch.fetch_add(1, std::memory_order_seq_cst);  // pool accesses in flight stop trusting it
  // The file is being closed: its lazy snapshots become their owners' own
  // memory before the lease goes (after the epoch moved, as in BreakSlot).
  SwapLazyRangesOf(slot_index());
  if (state == kLeased || state == kAcquiring) fcntl(fd_, F_SETLEASE, F_UNLCK);
  slot_->fd.store(-1, std::memory_order_release);
  slot_->state.store(kFree, std::memory_order_release);
  slot_ = nullptr;
}

int FileLease::slot_index() const { return slot_ == nullptr ? -1 : int(slot_ - lease_slots); }

bool FileLease::held() const {
  if (slot_ == nullptr) return false;
  if (!epoch_check_enabled.load(std::memory_order_relaxed)) return acquired_once_;  // test hook
  return slot_->state.load(std::memory_order_acquire) == kLeased;
}

uint64_t FileLease::SettledBreaks() const {
  if (slot_ != nullptr) SettledState(*slot_);
  return breaks();
}

uint64_t FileLease::breaks() const {
  return slot_ == nullptr ? 0 : slot_->breaks.load(std::memory_order_acquire) - breaks_at_start_;
}

void SetLeaseEpochCheckEnabledForTesting(bool enabled) {
  epoch_check_enabled.store(enabled, std::memory_order_relaxed);
}

int LeaseBeginStallForTesting(int action) {
  if (action == kBeginStallArmed) begin_stall.store(kBeginStallArmed, std::memory_order_release);
  if (action == kBeginStallOff) begin_stall.store(kBeginStallOff, std::memory_order_release);
  return begin_stall.load(std::memory_order_acquire);
}

}  // namespace safe_mmap
