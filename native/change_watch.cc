// The change-watch thread (change_watch.h): one per process, serving every
// environment and worker, started by the first watch. It loops on poll()
// over an eventfd (new and stopped watches, JS's acks), an inotify
// descriptor and a signalfd of the lease signal (breaks of the watches'
// leases, aimed at this thread alone). It never waits for a JS thread: a
// held lease is released when JS acks or when its grace deadline passes,
// whichever comes first.
#include "change_watch.h"

#include <cerrno>
#include <csignal>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "lease_slots.h"  // LeaseSignal() only: the watch's leases are its own
#include "process_once.h"
#include "quiet_threads.h"

namespace safe_mmap {
namespace {

constexpr uint32_t kInotifyMask = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF;

ProcessOnce thread_once;
std::atomic<pid_t> thread_tid{0};
std::atomic<bool> hold_enabled{true};
std::atomic<uint64_t> alive{0};
int event_fd = -1;
int inotify_fd = -1;
int signal_fd = -1;

// New watches, handed over by JS threads (held across no blocking call).
std::mutex incoming_mutex;
std::vector<ChangeWatch*> incoming;
// The thread's own list.
std::vector<ChangeWatch*> watches;

uint64_t NowMs() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return uint64_t(now.tv_sec) * 1000 + uint64_t(now.tv_nsec) / 1000000;
}

void Wake() {
  const uint64_t one = 1;
  ssize_t written = write(event_fd, &one, sizeof one);  // EFD_NONBLOCK: never waits
  (void)written;
}

void ReleaseLease(ChangeWatch& watch) {
  fcntl(watch.fd, F_SETLEASE, F_UNLCK);
  watch.lease_.store(kLeaseWanted, std::memory_order_release);
  watch.retake_at_ms = NowMs() + kRetakeEveryMs;
}

// A break: the writer is waiting in open() or truncate() until we release.
void OnBreak(ChangeWatch& watch) {
  if (watch.lease_.load(std::memory_order_acquire) != kLeaseHeld) return;
  // The signal names a descriptor number: is this one's lease being broken?
  // (F_GETLEASE reports the break's target, F_UNLCK, once a break started.)
  if (fcntl(watch.fd, F_GETLEASE) == F_RDLCK) return;
  watch.lease_.store(kLeaseHolding, std::memory_order_release);
  // Held only for a consumer that is waiting for it (a next() pending):
  // nobody reading means no writer waits. Test hook: let the writer go at
  // once, before JS is even told.
  if (!hold_enabled.load(std::memory_order_acquire) || !watch.consumer_waiting()) ReleaseLease(watch);
  watch.NoteChange(kSeenByLease);
  watch.hold_deadline_ms = NowMs() + kHoldGraceMs;
}

void DrainSignals() {
  struct signalfd_siginfo infos[16];
  ssize_t length;
  while ((length = read(signal_fd, infos, sizeof infos)) > 0) {
    for (size_t i = 0; i < size_t(length) / sizeof infos[0]; i++) {
      const signalfd_siginfo& info = infos[i];
      // Sent by a process (kill, sigqueue, tgkill): a mere wakeup.
      if (info.ssi_code <= 0) continue;
      for (ChangeWatch* watch : watches) {
        // SIGIO: the real-time queue overflowed; any lease may be broken.
        if (int(info.ssi_signo) == SIGIO || watch->fd == info.ssi_fd) OnBreak(*watch);
      }
    }
  }
}

void DrainInotify() {
  alignas(struct inotify_event) char buffer[4096];
  ssize_t length;
  while ((length = read(inotify_fd, buffer, sizeof buffer)) > 0) {
    for (char* at = buffer; at < buffer + length;) {
      const auto* event = reinterpret_cast<const struct inotify_event*>(at);
      at += sizeof(struct inotify_event) + event->len;
      for (ChangeWatch* watch : watches) {
        if (watch->wd != event->wd) continue;
        if (event->mask & kInotifyMask) watch->NoteChange(kSeenByInotify);
        // A writer closed: the lease may be had again.
        if ((event->mask & IN_CLOSE_WRITE) && watch->lease_.load(std::memory_order_relaxed) == kLeaseWanted) {
          watch->retake_at_ms = 0;
        }
      }
    }
  }
}

void Adopt() {
  std::vector<ChangeWatch*> adopted;
  {
    std::lock_guard<std::mutex> lock(incoming_mutex);
    adopted.swap(incoming);
  }
  for (ChangeWatch* watch : adopted) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", watch->fd);
    watch->wd = inotify_add_watch(inotify_fd, path, kInotifyMask);
    watches.push_back(watch);
    // A break that came before the watch was in the list found no watch by
    // its descriptor: look at the lease itself.
    OnBreak(*watch);
    watch->adopted.store(true, std::memory_order_release);
  }
}

void Remove(ChangeWatch* watch) {
  const int lease = watch->lease_.load(std::memory_order_acquire);
  if (lease == kLeaseHeld || lease == kLeaseHolding) fcntl(watch->fd, F_SETLEASE, F_UNLCK);
  watches.erase(std::find(watches.begin(), watches.end(), watch));
  // inotify shares one watch descriptor among the watches of one inode.
  const bool shared = std::any_of(watches.begin(), watches.end(),
                                  [&](const ChangeWatch* other) { return other->wd == watch->wd; });
  if (watch->wd >= 0 && !shared) inotify_rm_watch(inotify_fd, watch->wd);
  close(watch->fd);
  watch->Unref();
}

// Stops, holds that are over, leases to take again; returns the poll timeout.
int Tick() {
  const uint64_t now = NowMs();
  uint64_t next = now + 1000;
  for (size_t i = watches.size(); i-- > 0;) {
    ChangeWatch& watch = *watches[i];
    if (watch.stop.load(std::memory_order_acquire)) {
      Remove(&watch);
      continue;
    }
    const int lease = watch.lease_.load(std::memory_order_acquire);
    if (lease == kLeaseHolding) {
      if (HoldDone(watch, now)) {
        ReleaseLease(watch);
      } else {
        next = std::min(next, watch.hold_deadline_ms);
        continue;
      }
    }
    if (watch.lease_.load(std::memory_order_acquire) == kLeaseWanted) {
      if (now >= watch.retake_at_ms) {
        if (!TakeWatchLease(watch)) watch.retake_at_ms = now + kRetakeEveryMs;
      }
      if (watch.lease_.load(std::memory_order_acquire) == kLeaseWanted) next = std::min(next, watch.retake_at_ms);
    }
  }
  return int(std::max<int64_t>(0, int64_t(next) - int64_t(now)));
}

void* WatchChanges(void*) {
  prctl(PR_SET_NAME, "safe-mmap-watch", 0, 0, 0);
  thread_tid.store(pid_t(syscall(SYS_gettid)), std::memory_order_release);
  int timeout = 0;
  for (;;) {
    struct pollfd fds[3] = {{event_fd, POLLIN, 0}, {signal_fd, POLLIN, 0}, {inotify_fd, POLLIN, 0}};
    poll(fds, 3, timeout);
    if (fds[0].revents & POLLIN) {
      uint64_t count;
      ssize_t got = read(event_fd, &count, sizeof count);
      (void)got;
    }
    Adopt();  // before the signals: a break then finds its watch
    DrainSignals();
    DrainInotify();
    timeout = Tick();
  }
  return nullptr;
}

// Starts the thread once per process (as lease_watcher.cc's WatcherRunning).
// It blocks every signal (quiet_threads.h) and reads its own from the
// signalfd. It outlives every environment (-z nodelete).
bool ThreadRunning() {
  return thread_once.Run([] {
    sigset_t lease_signals;
    sigemptyset(&lease_signals);
    sigaddset(&lease_signals, LeaseSignal());
    sigaddset(&lease_signals, SIGIO);
    event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    signal_fd = signalfd(-1, &lease_signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (event_fd < 0 || inotify_fd < 0 || signal_fd < 0) return false;
    if (StartQuietThread(WatchChanges, nullptr, 0) != 0) return false;
    while (thread_tid.load(std::memory_order_acquire) == 0) sched_yield();
    return true;
  });
}

}  // namespace

bool HoldDone(const ChangeWatch& watch, uint64_t now_ms) {
  return watch.acked_.load(std::memory_order_acquire) >= watch.held_sequence || now_ms >= watch.hold_deadline_ms;
}

bool TakeWatchLease(ChangeWatch& watch) {
  // Every time: a released lease loses the file's owner and signal.
  struct f_owner_ex owner = {F_OWNER_TID, thread_tid.load(std::memory_order_acquire)};
  if (fcntl(watch.fd, F_SETSIG, LeaseSignal()) != 0 || fcntl(watch.fd, F_SETOWN_EX, &owner) != 0) {
    watch.lease_.store(kLeaseNever, std::memory_order_release);
    return false;
  }
  if (fcntl(watch.fd, F_SETLEASE, F_RDLCK) == 0) {
    watch.lease_.store(kLeaseHeld, std::memory_order_release);
    return true;
  }
  // EAGAIN: someone has it open for writing; try again later. Anything else
  // (EACCES: not the owner and no CAP_LEASE) is for good.
  watch.lease_.store(errno == EAGAIN ? kLeaseWanted : kLeaseNever, std::memory_order_release);
  return false;
}

ChangeWatch* ChangeWatch::Start(int fd, bool want_lease, napi_threadsafe_function tsfn) {
  if (!ThreadRunning()) {
    close(fd);
    return nullptr;
  }
  ChangeWatch* watch = new ChangeWatch(fd, tsfn);
  struct stat now;
  if (fstat(fd, &now) == 0) watch->Baseline(now);
  if (want_lease) {
    watch->lease_.store(kLeaseWanted, std::memory_order_release);
    TakeWatchLease(*watch);
    watch->retake_at_ms = NowMs() + kRetakeEveryMs;
  }
  alive.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(incoming_mutex);
    incoming.push_back(watch);
  }
  Wake();
  // Until inotify watches the file, a change would reach only the poll: wait
  // for the thread to adopt the watch (a JS thread may wait for the watch
  // thread, never the other way round). Bounded, for a thread held up by a
  // slow filesystem's lookup.
  const struct timespec a_moment = {0, 20 * 1000};
  for (int i = 0; i < 50000 && !watch->adopted.load(std::memory_order_acquire); i++) nanosleep(&a_moment, nullptr);
  return watch;
}

void ChangeWatch::Baseline(const struct stat& now) {
  seen_size_ = int64_t(now.st_size);
  seen_ctime_ns_ = int64_t(now.st_ctim.tv_sec) * 1000000000 + now.st_ctim.tv_nsec;
}

// The order matters: the sequence and the methods before dirty, so that a
// Take that clears this dirty sees them; a change after Take cleared it
// sets it again, and notifies again.
void ChangeWatch::NoteChange(int method) {
  const uint64_t sequence = sequence_.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (method == kSeenByLease) held_sequence = sequence;
  methods_.fetch_or(method, std::memory_order_acq_rel);
  if (dirty_.exchange(true, std::memory_order_acq_rel)) return;  // JS has yet to read the last one
  std::lock_guard<std::mutex> lock(tsfn_mutex_);
  if (tsfn_ != nullptr) napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
}

bool ChangeWatch::Take(int* methods, uint64_t* sequence, double* size) {
  if (!dirty_.exchange(false, std::memory_order_acq_rel)) return false;
  *methods = methods_.exchange(0, std::memory_order_acq_rel);
  *sequence = sequence_.load(std::memory_order_acquire);
  struct stat now;
  if (fstat(fd, &now) == 0) {
    Baseline(now);
    *size = double(now.st_size);
  } else {
    *size = -1;
  }
  return true;
}

void ChangeWatch::Ack(uint64_t sequence) {
  uint64_t acked = acked_.load(std::memory_order_acquire);
  while (acked < sequence && !acked_.compare_exchange_weak(acked, sequence, std::memory_order_acq_rel)) {
  }
  if (lease_.load(std::memory_order_acquire) == kLeaseHolding) Wake();
}

void ChangeWatch::Poll() {
  struct stat now;
  if (fstat(fd, &now) != 0) return;
  const int64_t size = seen_size_, ctime_ns = seen_ctime_ns_;
  Baseline(now);
  if (seen_size_ != size || seen_ctime_ns_ != ctime_ns) NoteChange(kSeenByPoll);
}

napi_threadsafe_function ChangeWatch::Stop() {
  napi_threadsafe_function function;
  {
    std::lock_guard<std::mutex> lock(tsfn_mutex_);
    function = tsfn_;
    tsfn_ = nullptr;
  }
  stop.store(true, std::memory_order_release);
  Wake();
  return function;
}

void ChangeWatch::ForgetThreadsafeFunction() {
  {
    std::lock_guard<std::mutex> lock(tsfn_mutex_);
    tsfn_ = nullptr;
  }
  Unref();
}

void ChangeWatch::Unref() {
  if (references_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    alive.fetch_sub(1, std::memory_order_relaxed);
    delete this;
  }
}

void SetWatchHoldEnabledForTesting(bool enabled) { hold_enabled.store(enabled, std::memory_order_release); }

uint64_t ChangeWatchesAlive() { return alive.load(std::memory_order_relaxed); }

}  // namespace safe_mmap
