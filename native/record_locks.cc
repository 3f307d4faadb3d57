// Record locks: open-file-description locks on the mapping's descriptor, and
// one small thread per lock() that has to wait (record_locks.h). The table of
// waiters and their reports to JS are portable (lock_waiters.h); this file
// takes and releases the locks and runs the waiting threads.
//
// Why OFD locks: a classic POSIX lock (F_SETLK) belongs to the process and is
// dropped when the process closes *any* descriptor of the file, an fs.readFile
// of it included. An OFD lock belongs to the open file description, which the
// mapping's own descriptor (FileMapping keeps a dup) and its dups share: it
// goes only with the last of them, or with an explicit F_UNLCK. Two lock()s of
// the same MappedFile never conflict (one owner) and merge as fcntl's do.
//
// Why a thread per wait: F_OFD_SETLKW blocks in the kernel, for as long as
// another process holds the range. On libuv's pool it would hold one of four
// threads for that long (four waits would stall every fs call); polling with
// F_OFD_SETLK would be late and unfair. The thread has a 64 KiB stack, blocks
// every signal but the interrupt signal, and reaches JS through its own
// threadsafe function (the only N-API it calls), referenced while it waits.
//
// Cancelling (abort, close(), or the environment's teardown) is a flag and
// the interrupt signal. A signal alone can be lost: it may land between the
// thread's check of the flag and its entry into fcntl, and then the fcntl
// blocks with the flag set. So a cancel also arms a per-thread timer
// (SIGEV_THREAD_ID) that re-sends the signal every kRetryNs until the thread
// is gone: a lost signal costs one period. A lock granted just as the cancel
// came is unlocked by the thread itself before it reports ECANCELED.
//
// Descriptors: the thread locks through a dup of the mapping's descriptor,
// made on the owner thread when the wait starts and closed by the thread
// itself (lock_waiters.cc). A dup shares the open file description, so the lock is the
// MappedFile's, yet the thread never touches a descriptor that someone else
// may close (close(), the finalizer, a worker's teardown) and then reuse for
// another file. While it lives the description stays open, so close() does
// not rely on the last close: src/locks.ts cancels every wait first, then
// unlocks the whole file (F_UNLCK 0..EOF) before the mapping is closed. A
// grant that slips in after that unlock is one the thread sees as cancelled.
#include "record_locks.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>

#include "lock_waiters.h"
#include "mapping_wrap.h"

namespace safe_mmap {
namespace {

constexpr size_t kWaiterStack = 64 * 1024;
constexpr long kRetryNs = 10 * 1000 * 1000;  // the re-sent interrupt after a cancel
constexpr long kPollMaxNs = 50 * 1000 * 1000;  // the polling fallback's longest sleep

std::atomic<bool> interrupt_enabled{true};

void IgnoreInterrupt(int) {}

// Installs the no-op handler once per process (the addon is never unloaded:
// -z nodelete). Without SA_RESTART, so that the signal makes a blocked
// F_OFD_SETLKW return EINTR. false: the signal is someone else's, or ignored
// (an ignored signal interrupts nothing); the waiters then poll.
bool InterruptHandlerInstalled() {
  static std::once_flag once;
  static bool installed = false;
  std::call_once(once, [] {
    struct sigaction current;
    if (sigaction(LockInterruptSignal(), nullptr, &current) != 0) return;
    if ((current.sa_flags & SA_SIGINFO) != 0 || current.sa_handler != SIG_DFL) return;
    struct sigaction action = {};
    action.sa_handler = IgnoreInterrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    installed = sigaction(LockInterruptSignal(), &action, nullptr) == 0;
  });
  return installed;
}

struct flock RangeRequest(short type, uint64_t offset, uint64_t length) {
  struct flock request = {};
  request.l_type = type;
  request.l_whence = SEEK_SET;
  request.l_start = off_t(offset);
  request.l_len = off_t(length);  // 0: to the end of the file and beyond
  request.l_pid = 0;              // OFD locks require 0
  return request;
}

// One waiting lock(): what its thread needs on Linux.
struct Waiter : LockWaiter {
  struct flock request = {};
  // Under the LockWaiter's mutex: a canceller signals the thread and arms its
  // timer only while `finished` is false, and the thread sets it (and
  // deletes the timer) under the same lock before it goes, so neither a
  // pthread_kill nor a timer_settime ever names a thread or timer that is gone.
  pthread_t thread{};
  bool started = false;   // pthread_create succeeded
  bool finished = false;  // the thread takes no more signals
  bool has_timer = false;
  timer_t timer{};

  void Interrupt() override {
    if (!interrupt_enabled.load()) return;
    std::lock_guard<std::mutex> hold(mutex);
    if (!started || finished) return;
    if (has_timer) {
      struct itimerspec every = {};
      every.it_interval.tv_nsec = kRetryNs;
      every.it_value.tv_nsec = kRetryNs;
      timer_settime(timer, 0, &every, nullptr);
    }
    pthread_kill(thread, LockInterruptSignal());
  }
};

void* WaitForLock(void* argument) {
  std::unique_ptr<std::shared_ptr<LockWaiter>> start(static_cast<std::shared_ptr<LockWaiter>*>(argument));
  Waiter& waiter = static_cast<Waiter&>(**start);
  const int signal_number = LockInterruptSignal();
  const bool interruptible = InterruptHandlerInstalled();
  if (interruptible) {
    struct sigevent event = {};
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = signal_number;
    event._sigev_un._tid = pid_t(syscall(SYS_gettid));  // gettid() is above the glibc floor
    std::lock_guard<std::mutex> hold(waiter.mutex);
    waiter.has_timer = timer_create(CLOCK_MONOTONIC, &event, &waiter.timer) == 0;
  }
  // Created with every signal blocked; from here on the interrupt gets in
  // (one sent before now was pending and arrives at once: the flag is set).
  sigset_t interrupt;
  sigemptyset(&interrupt);
  sigaddset(&interrupt, signal_number);
  if (interruptible) pthread_sigmask(SIG_UNBLOCK, &interrupt, nullptr);

  int result = 0;
  long poll_ns = 1000 * 1000;
  for (;;) {
    if (waiter.cancelled.load()) {
      result = ECANCELED;
      break;
    }
    if (interruptible && waiter.has_timer) {
      if (fcntl(waiter.file, F_OFD_SETLKW, &waiter.request) == 0) break;
      if (errno != EINTR) { result = errno; break; }
      continue;
    }
    // The fallback with no usable signal: try, sleep, try again.
    if (fcntl(waiter.file, F_OFD_SETLK, &waiter.request) == 0) break;
    if (errno != EAGAIN && errno != EACCES) { result = errno; break; }
    struct timespec pause = {0, poll_ns};
    nanosleep(&pause, nullptr);
    if (poll_ns < kPollMaxNs) poll_ns *= 2;
  }
  if (result == 0 && waiter.cancelled.load()) {
    struct flock unlock = waiter.request;
    unlock.l_type = F_UNLCK;
    fcntl(waiter.file, F_OFD_SETLK, &unlock);
    result = ECANCELED;
  }
  {
    std::lock_guard<std::mutex> hold(waiter.mutex);
    waiter.finished = true;
    if (waiter.has_timer) timer_delete(waiter.timer);
    waiter.has_timer = false;
  }
  pthread_sigmask(SIG_BLOCK, &interrupt, nullptr);
  FinishLockWait(waiter, result);
  return nullptr;
}

}  // namespace

int LockInterruptSignal() { return SIGRTMAX - 7; }

void SetLockInterruptEnabledForTesting(bool enabled) { interrupt_enabled.store(enabled); }

// lockRange(offset, length, shared) -> 0 (held), an errno (EAGAIN: another
// description holds a conflicting lock; EBADF: a write lock on a read-only
// descriptor), or -1 when closed. Never blocks.
Napi::Value MappingWrap::LockRange(const Arguments& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
  const bool shared = info[2].ToBoolean().Value();
  const int fd = mapping_.descriptor();
  if (mapping_.closed() || fd < 0) return Napi::Number::New(env, -1);
  struct flock request = RangeRequest(shared ? F_RDLCK : F_WRLCK, offset, length);
  const int result = fcntl(fd, F_OFD_SETLK, &request) == 0 ? 0 : errno;
  return Napi::Number::New(env, result == EACCES ? EAGAIN : result);
}

// unlockRange(offset, length) -> 0 or an errno. On a closed mapping, 0: its
// locks went with it.
Napi::Value MappingWrap::UnlockRange(const Arguments& info) {
  Napi::Env env = info.Env();
  uint64_t offset, length;
  if (!ReadRange(info, 0, &offset, &length)) return Napi::Value();
  const int fd = mapping_.descriptor();
  if (fd < 0) return Napi::Number::New(env, 0);
  struct flock request = RangeRequest(F_UNLCK, offset, length);
  return Napi::Number::New(env, fcntl(fd, F_OFD_SETLK, &request) == 0 ? 0 : errno);
}

std::shared_ptr<LockWaiter> NewLockWaiter(uint64_t offset, uint64_t length, bool shared, int*) {
  InterruptHandlerInstalled();  // on the JS thread, before any waiter can need it
  auto waiter = std::make_shared<Waiter>();
  waiter->request = RangeRequest(shared ? F_RDLCK : F_WRLCK, offset, length);
  return waiter;
}

int StartLockWaiter(const std::shared_ptr<LockWaiter>& started) {
  Waiter& waiter = static_cast<Waiter&>(*started);
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, kWaiterStack);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  sigset_t all, previous;
  sigfillset(&all);
  auto* start = new std::shared_ptr<LockWaiter>(started);  // WaitForLock's
  int error;
  {
    // Under the waiter's lock, so that a cancel sees `started` and `thread` together.
    std::lock_guard<std::mutex> hold(waiter.mutex);
    pthread_sigmask(SIG_SETMASK, &all, &previous);  // the thread starts with every signal blocked
    error = pthread_create(&waiter.thread, &attributes, WaitForLock, start);
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    waiter.started = error == 0;
  }
  pthread_attr_destroy(&attributes);
  if (error != 0) delete start;
  return error;
}

}  // namespace safe_mmap
