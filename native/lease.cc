// Read leases and the watcher thread. See lease.h for the protocol; the
// races it must survive are described where they are handled.
#include "lease.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

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

// The lease signal. Real-time, so breaks queue with si_fd instead of
// merging; aimed at the watcher thread only (F_OWNER_TID), which blocks it.
// glibc and musl keep 32-34 below SIGRTMIN for themselves and valgrind takes
// SIGRTMAX; Node, V8 and libuv use no real-time signal. A foreign signal of
// the same number sent to the process could still reach our sigtimedwait:
// it carries si_code <= 0 and is dropped there as a mere wakeup.
int LeaseSignal() { return SIGRTMAX - 6; }

enum SlotState : int {
  kFree,       // unused
  kClosing,    // reserved or being released by its owner; the watcher keeps off
  kBroken,     // registered, no lease (fstat mode)
  kAcquiring,  // the owner is taking the lease
  kLeased,     // held and unbroken
  kBreaking,   // the watcher (or Distrust) is releasing it
};

}  // namespace

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

namespace {

constexpr int kMaxLeases = 1024;  // beyond that, new mappings use fstat mode
LeaseSlot slots[kMaxLeases];

std::atomic<int> watcher_state{0};  // 0 none, 1 starting, 2 running, 3 failed
std::atomic<pid_t> watcher_tid{0};
int break_time_fd = -1;  // /proc/sys/fs/lease-break-time, opened by the starter
// The coarse-clock time (ms) at which the watcher last began draining its
// signal queue: every break queued before it has been handled.
std::atomic<uint64_t> drained_at_ms{0};
// How long after drained_at_ms an access may still trust the epoch: half of
// lease-break-time, the shortest time in which the kernel can revoke a lease
// by itself. 0 disables lease mode (lease-break-time 0 revokes at once).
std::atomic<uint64_t> trust_window_ms{0};
std::atomic<uint64_t> breaks_handled{0};
std::atomic<bool> epoch_check_enabled{true};
std::atomic<bool> watcher_paused{false};  // test hook: a watcher that does not run
// Test hook: the next Begin parks between its two slot loads until released,
// as a preempted pool thread would (test/lease-stale-retake).
std::atomic<int> begin_stall{kBeginStallOff};

// Re-read on every watcher round: a lowered lease-break-time must shrink the
// trust window within one round.
void ReadBreakTime() {
  char text[32];
  const ssize_t length = pread(break_time_fd, text, sizeof(text) - 1, 0);
  long seconds = 0;
  if (length > 0) {
    text[length] = '\0';
    seconds = strtol(text, nullptr, 10);
  }
  trust_window_ms.store(seconds > 0 ? uint64_t(seconds) * 500 : 0, std::memory_order_release);
}

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
bool BreakSlot(LeaseSlot& slot, bool count_break, BreakWhen when = BreakWhen::kAny) {
  int state = slot.state.load(std::memory_order_acquire);
  while (state == kAcquiring || state == kLeased || state == kBroken) {
    if (slot.state.compare_exchange_weak(state, kBreaking, std::memory_order_acq_rel)) {
      // kBreaking keeps the owner from closing the descriptor meanwhile.
      // Only an intact lease is spared: a slot being acquired is broken as
      // before (its lease may not be visible yet), and a kBroken one holds
      // nothing a break could hurt.
      if (when == BreakWhen::kIfPending && state == kLeased &&
          fcntl(slot.fd.load(std::memory_order_relaxed), F_GETLEASE) == F_RDLCK) {
        slot.state.store(kLeased, std::memory_order_release);
        return false;
      }
      slot.epoch.fetch_add(1, std::memory_order_release);
      // A break of a slot that held no lease (a SIGIO overflow, a late
      // duplicate signal) changed nothing: { stable: true } must not see it.
      if (count_break && state != kBroken) slot.breaks.fetch_add(1, std::memory_order_release);
      // Counted before the release, so a writer that got through finds it.
      if (count_break) breaks_handled.fetch_add(1, std::memory_order_release);
      fcntl(slot.fd.load(std::memory_order_relaxed), F_SETLEASE, F_UNLCK);
      slot.state.store(kBroken, std::memory_order_release);
      return true;
    }
  }
  return false;
}

void HandleSignal(const siginfo_t& info) {
  // Sent by a process (kill, sigqueue, tgkill: SI_USER, SI_QUEUE, SI_TKILL),
  // not by the kernel: a mere wakeup, whichever of our two signals it is.
  if (info.si_code <= 0) return;
  if (info.si_signo == SIGIO) {
    // The real-time queue overflowed and the kernel fell back to SIGIO
    // (SI_KERNEL), which names no descriptor: any lease may have been broken.
    for (LeaseSlot& slot : slots) BreakSlot(slot, true);
    return;
  }
  for (LeaseSlot& slot : slots) {
    if (slot.fd.load(std::memory_order_acquire) == info.si_fd) BreakSlot(slot, true, BreakWhen::kIfPending);
  }
}

void StallBeginForTesting() {
  int armed = kBeginStallArmed;
  if (begin_stall.load(std::memory_order_relaxed) != kBeginStallArmed ||
      !begin_stall.compare_exchange_strong(armed, kBeginStalled, std::memory_order_acq_rel)) {
    return;
  }
  while (begin_stall.load(std::memory_order_acquire) == kBeginStalled) sched_yield();
}

// Gives back every lease that no access used for kLeaseIdleMs: a file read
// now and then should not make writers wait, nor fail a non-blocking open.
// Not a break (nothing changed): the owner takes it again once the file is
// hot (lease_policy.h).
void ReleaseIdleLeases(uint64_t now_ms) {
  for (LeaseSlot& slot : slots) {
    if (slot.state.load(std::memory_order_acquire) != kLeased) continue;
    if (slot.used.exchange(false, std::memory_order_relaxed)) {
      slot.last_used_ms.store(now_ms, std::memory_order_relaxed);
    } else if (now_ms - slot.last_used_ms.load(std::memory_order_relaxed) >= kLeaseIdleMs) {
      BreakSlot(slot, false);
    }
  }
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

void WaitWhilePausedForTesting() {
  while (watcher_paused.load(std::memory_order_acquire)) {
    const struct timespec a_moment = {0, 1000 * 1000};
    nanosleep(&a_moment, nullptr);
  }
}

// The watcher: one per process, serving every environment and worker. Each
// round notes the time, drains every pending break, then publishes that time;
// it wakes at least every 250 ms so that drained_at_ms stays fresh, and
// readers stop trusting the epoch when it is not (the process was stopped).
void* WatchLeases(void*) {
  // Named, so that an operator (and test/lease-signals) can find it in
  // /proc/PID/task/*/comm. prctl rather than pthread_setname_np, whose
  // glibc version is above the floor (glibc_floor.h).
  prctl(PR_SET_NAME, "safe-mmap-lease", 0, 0, 0);
  watcher_tid.store(pid_t(syscall(SYS_gettid)), std::memory_order_release);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, LeaseSignal());
  sigaddset(&signals, SIGIO);
  const struct timespec no_wait = {0, 0};
  const struct timespec round = {0, 250 * 1000 * 1000};
  siginfo_t info;
  for (;;) {
    WaitWhilePausedForTesting();
    const uint64_t started = CoarseMilliseconds();
    while (sigtimedwait(&signals, &info, &no_wait) > 0) HandleSignal(info);
    ReadBreakTime();
    drained_at_ms.store(started, std::memory_order_release);
    ReleaseIdleLeases(started);
    if (sigtimedwait(&signals, &info, &round) > 0) {
      WaitWhilePausedForTesting();
      HandleSignal(info);
    }
  }
  return nullptr;
}

// At exit, give every lease back at once: a writer must not wait for a
// process that is going away (the kernel would drop the lease only when the
// last reference to the file goes, after the mappings are torn down).
void ReleaseAllAtExit() {
  for (LeaseSlot& slot : slots) BreakSlot(slot, false);
}

// Starts the watcher once per process. The thread blocks every signal (it
// inherits the mask set here): it takes its own with sigtimedwait, and no
// process-directed signal should land on it. It outlives every environment,
// which is why the library is linked -z nodelete (binding.gyp): Node unloads
// an addon that only a worker loaded when that worker exits.
bool WatcherRunning() {
  int state = watcher_state.load(std::memory_order_acquire);
  if (state == 2) return true;
  if (state == 3) return false;
  int expected = 0;
  if (watcher_state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    break_time_fd = open("/proc/sys/fs/lease-break-time", O_RDONLY | O_CLOEXEC);
    bool started = false;
    if (break_time_fd >= 0) {
      ReadBreakTime();
      drained_at_ms.store(CoarseMilliseconds(), std::memory_order_release);
      sigset_t all, previous;
      sigfillset(&all);
      pthread_sigmask(SIG_SETMASK, &all, &previous);
      pthread_t thread;
      started = pthread_create(&thread, nullptr, WatchLeases, nullptr) == 0;
      pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      if (started) {
        pthread_detach(thread);
        while (watcher_tid.load(std::memory_order_acquire) == 0) sched_yield();
        atexit(ReleaseAllAtExit);
      }
    }
    watcher_state.store(started ? 2 : 3, std::memory_order_release);
    return started;
  }
  while ((state = watcher_state.load(std::memory_order_acquire)) == 1) sched_yield();
  return state == 2;
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
  for (LeaseSlot& slot : slots) {
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

bool FileLease::Register(int fd) {
  if (slot_ != nullptr) return true;
  if (LeasesSwitchedOff() || !OnLeaseFilesystem(fd) || !WatcherRunning()) return false;
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
  struct f_owner_ex owner = {F_OWNER_TID, watcher_tid.load(std::memory_order_acquire)};
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
  if (slot_->epoch.load(std::memory_order_acquire) != token) return false;
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
  if (state == kLeased || state == kAcquiring) fcntl(fd_, F_SETLEASE, F_UNLCK);
  slot_->epoch.fetch_add(1, std::memory_order_release);  // pool accesses in flight stop trusting it
  slot_->fd.store(-1, std::memory_order_release);
  slot_->state.store(kFree, std::memory_order_release);
  slot_ = nullptr;
}

bool FileLease::held() const {
  if (slot_ == nullptr) return false;
  if (!epoch_check_enabled.load(std::memory_order_relaxed)) return acquired_once_;  // test hook
  return slot_->state.load(std::memory_order_acquire) == kLeased;
}

uint64_t FileLease::breaks() const {
  return slot_ == nullptr ? 0 : slot_->breaks.load(std::memory_order_acquire) - breaks_at_start_;
}

void SetLeaseEpochCheckEnabledForTesting(bool enabled) {
  epoch_check_enabled.store(enabled, std::memory_order_relaxed);
}

void SetLeaseWatcherPausedForTesting(bool paused) {
  watcher_paused.store(paused, std::memory_order_release);
}

int LeaseBeginStallForTesting(int action) {
  if (action == kBeginStallArmed) begin_stall.store(kBeginStallArmed, std::memory_order_release);
  if (action == kBeginStallOff) begin_stall.store(kBeginStallOff, std::memory_order_release);
  return begin_stall.load(std::memory_order_acquire);
}

uint64_t LeaseBreaksHandled() { return breaks_handled.load(std::memory_order_acquire); }

}  // namespace safe_mmap
