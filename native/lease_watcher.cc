// The lease watcher thread (lease_slots.h): one per process, serving every
// environment and worker. It hears each break, advances the lease's epoch,
// releases the lease, and gives back leases nobody used for about a second.
// It never blocks on anything but its signals, never opens a file and never
// waits for a JS thread.
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "process_once.h"
#include "quiet_threads.h"
#include "lease.h"
#include "lazy_ranges.h"
#include "lease_slots.h"

namespace safe_mmap {

int LeaseSignal() { return SIGRTMAX - 6; }


LeaseSlot lease_slots[kMaxLeases];
// The coarse-clock time (ms) at which the watcher last began draining its
// signal queue: every break queued before it has been handled.
std::atomic<uint64_t> drained_at_ms{0};
// How long after drained_at_ms an access may still trust the epoch: half of
// lease-break-time, the shortest time in which the kernel can revoke a lease
// by itself. 0 disables lease mode (lease-break-time 0 revokes at once).
std::atomic<uint64_t> trust_window_ms{0};
std::atomic<uint64_t> breaks_handled{0};
std::atomic<bool> epoch_check_enabled{true};

namespace {

ProcessOnce watcher_once;
std::atomic<pid_t> watcher_tid{0};
int break_time_fd = -1;  // /proc/sys/fs/lease-break-time, opened by the starter
std::atomic<bool> watcher_paused{false};  // test hook: a watcher that does not run
// At exit leases are given back at once, without copying lazy snapshots: no
// JS runs on them any more, and a writer should not wait for gigabytes.
std::atomic<bool> exiting{false};

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

}  // namespace

// Releases a slot's lease after advancing its epoch, if the slot is still
// registered. Called by the watcher and by Distrust; never blocks (F_UNLCK
// does not wait), never opens a file, never waits for a JS thread.
bool BreakSlot(LeaseSlot& slot, bool count_break, BreakWhen when) {
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
      slot.epoch.fetch_add(1, std::memory_order_seq_cst);  // seq_cst: lazy_ranges.cc's MapLazyRange
      // A break of a slot that held no lease (a SIGIO overflow, a late
      // duplicate signal) changed nothing: { stable: true } must not see it.
      if (count_break && state != kBroken) slot.breaks.fetch_add(1, std::memory_order_release);
      // Counted before the release, so a writer that got through finds it.
      if (count_break) breaks_handled.fetch_add(1, std::memory_order_release);
      // The writer is still waiting: turn this file's lazy snapshots into
      // their owners' memory first (after the epoch advanced, so that a
      // snapshot being made either sees the break or is swapped here).
      if (!exiting.load(std::memory_order_acquire)) SwapLazyRangesOf(int(&slot - lease_slots));
      fcntl(slot.fd.load(std::memory_order_relaxed), F_SETLEASE, F_UNLCK);
      slot.state.store(kBroken, std::memory_order_release);
      return true;
    }
  }
  return false;
}

namespace {

void HandleSignal(const siginfo_t& info) {
  // Sent by a process (kill, sigqueue, tgkill: SI_USER, SI_QUEUE, SI_TKILL),
  // not by the kernel: a mere wakeup, whichever of our two signals it is.
  if (info.si_code <= 0) return;
  if (info.si_signo == SIGIO) {
    // The real-time queue overflowed and the kernel fell back to SIGIO
    // (SI_KERNEL), which names no descriptor: any lease may have been broken.
    for (LeaseSlot& slot : lease_slots) BreakSlot(slot, true);
    return;
  }
  for (LeaseSlot& slot : lease_slots) {
    if (slot.fd.load(std::memory_order_acquire) == info.si_fd) BreakSlot(slot, true, BreakWhen::kIfPending);
  }
}

// Gives back every lease that no access used for kLeaseIdleMs: a file read
// now and then should not make writers wait, nor fail a non-blocking open.
// Not a break (nothing changed): the owner takes it again once the file is
// hot (lease_policy.h).
void ReleaseIdleLeases(uint64_t now_ms) {
  for (LeaseSlot& slot : lease_slots) {
    if (slot.state.load(std::memory_order_acquire) != kLeased) continue;
    // A lazy snapshot keeps its file's lease for its life (lazy_ranges.h).
    if (LeaseSlotHasLazyRanges(int(&slot - lease_slots))) continue;
    if (slot.used.exchange(false, std::memory_order_relaxed)) {
      slot.last_used_ms.store(now_ms, std::memory_order_relaxed);
    } else if (now_ms - slot.last_used_ms.load(std::memory_order_relaxed) >= kLeaseIdleMs) {
      BreakSlot(slot, false);
    }
  }
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
  // Named, so that an operator (and test/faults/lease-signals) can find it in
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
  exiting.store(true, std::memory_order_release);
  for (LeaseSlot& slot : lease_slots) BreakSlot(slot, false);
}

}  // namespace

pid_t WatcherTid() { return watcher_tid.load(std::memory_order_acquire); }

// Starts the watcher once per process. The thread blocks every signal
// (quiet_threads.h): it takes its own with sigtimedwait. It outlives every environment,
// which is why the library is linked -z nodelete (binding.gyp): Node unloads
// an addon that only a worker loaded when that worker exits.
bool WatcherRunning() {
  return watcher_once.Run([] {
    break_time_fd = open("/proc/sys/fs/lease-break-time", O_RDONLY | O_CLOEXEC);
    if (break_time_fd < 0) return false;
    ReadBreakTime();
    drained_at_ms.store(CoarseMilliseconds(), std::memory_order_release);
    if (StartQuietThread(WatchLeases, nullptr, 0) != 0) return false;
    while (watcher_tid.load(std::memory_order_acquire) == 0) sched_yield();
    atexit(ReleaseAllAtExit);
    return true;
  });
}

void SetLeaseWatcherPausedForTesting(bool paused) {
  watcher_paused.store(paused, std::memory_order_release);
}

uint64_t LeaseBreaksHandled() { return breaks_handled.load(std::memory_order_acquire); }

}  // namespace safe_mmap
