// Change notifications (file.watch(), src/watch.ts): one process-wide
// thread, "safe-mmap-watch", hears every watch's read-lease breaks (a
// signalfd of the lease signal, aimed at it with F_SETOWN_EX), inotify
// events and commands from JS threads (an eventfd), all in one poll().
//
// A break marks the watch dirty, tells JS through its threadsafe function
// (only on the clean-to-dirty transition: JS reads the latest state), and
// holds the lease until JS has delivered the event (Ack) or kHoldGraceMs
// passed; the writer's open() returns only then. The lease is taken again
// once the writers are gone (IN_CLOSE_WRITE, or a retry every
// kRetakeEveryMs). Without a lease, inotify and the JS side's fstat poll
// (Poll) report changes after the fact.
//
// Each watch has its own O_RDONLY descriptor and lease, independent of the
// mapping's FileLease (lease.h): this file knows nothing of lease slots.
// The watch thread never waits for a JS thread: the only lock it shares with
// them (the list of new watches, each watch's threadsafe function) is held
// by JS threads across no blocking call. The bindings (the JS class
// ChangeWatch, its threadsafe function and environment cleanup) are in
// change_watch_bindings.cc.
#pragma once

#include <node_api.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <sys/stat.h>

namespace safe_mmap {

// Which mechanism saw a change first, as bits (a coalesced event may carry several).
enum ChangeMethodBits : int { kSeenByLease = 1, kSeenByInotify = 2, kSeenByPoll = 4 };

// How long a broken lease is held for JS to deliver the event.
constexpr uint64_t kHoldGraceMs = 100;
// How often a lease that a writer broke is tried again while writers remain.
constexpr uint64_t kRetakeEveryMs = 100;

enum WatchLease : int {
  kLeaseNever,    // not in lease mode (or refused for good: EACCES, EINVAL)
  kLeaseWanted,   // lease mode, none held now (a writer has the file open)
  kLeaseHeld,     // held and unbroken
  kLeaseHolding,  // broken, held until JS delivered the event or the grace passed
};

class ChangeWatch {
 public:
  // Takes ownership of fd (an O_RDONLY descriptor of its own). With
  // want_lease, tries the read lease at once, on this (JS) thread, so that
  // method() answers at once. tsfn is called (non-blocking, no data) on each
  // clean-to-dirty transition. nullptr when the watch thread cannot run
  // (fd is closed then).
  static ChangeWatch* Start(int fd, bool want_lease, napi_threadsafe_function tsfn);

  // ---- The owning JS thread, until Stop.
  // Clears the dirty flag, then reads the state: the change methods since the
  // last Take, the sequence number to Ack, the file's size now. false when
  // nothing changed since the last Take.
  bool Take(int* methods, uint64_t* sequence, double* size);
  // The event of Take's sequence was delivered: a lease held for it may go.
  void Ack(uint64_t sequence);
  // Whether a consumer is waiting for the next event (a next() pending). Only
  // then is a broken lease held for delivery: a watcher that nobody is
  // reading must not make every writer wait out the grace.
  void SetConsumerWaiting(bool waiting) { consumer_waiting_.store(waiting, std::memory_order_release); }
  bool consumer_waiting() const { return consumer_waiting_.load(std::memory_order_acquire); }
  // One fstat, compared with the size and ctime last seen (Take updates
  // them): a change marks the watch dirty as the poll's.
  void Poll();
  int lease_state() const { return lease_.load(std::memory_order_acquire); }
  napi_threadsafe_function tsfn() const { return tsfn_; }
  // Detaches the threadsafe function (returned, for the caller to release)
  // and hands the watch to the thread, which releases its lease, closes its
  // descriptor and frees it. The caller must not touch it afterwards.
  napi_threadsafe_function Stop();
  // The threadsafe function's finalizer: it is gone (env teardown or after
  // Stop's release). Drops that reference.
  void ForgetThreadsafeFunction();

  // ---- The watch thread (change_watch.cc).
  void NoteChange(int method);
  void Unref();

  const int fd;
  int wd = -1;                   // inotify watch descriptor
  uint64_t held_sequence = 0;    // the break being held for
  uint64_t hold_deadline_ms = 0;
  uint64_t retake_at_ms = 0;
  std::atomic<bool> stop{false};
  std::atomic<bool> adopted{false};  // in the thread's list, inotify watching
  std::atomic<int> lease_{kLeaseNever};

 private:
  ChangeWatch(int descriptor, napi_threadsafe_function function) : fd(descriptor), tsfn_(function) {}
  void Baseline(const struct stat& now);

  std::atomic<bool> dirty_{false};
  std::atomic<bool> consumer_waiting_{false};
  std::atomic<int> methods_{0};
  std::atomic<uint64_t> sequence_{0};
  std::atomic<uint64_t> acked_{0};
  std::atomic<int> references_{2};  // the watch thread's, the threadsafe function's
  std::mutex tsfn_mutex_;           // held across napi_call_threadsafe_function only
  napi_threadsafe_function tsfn_;
  // The poll's last view of the file (owning JS thread).
  int64_t seen_size_ = -1;
  int64_t seen_ctime_ns_ = -1;

  friend bool HoldDone(const ChangeWatch& watch, uint64_t now_ms);
};

// Tries the read lease on the watch's descriptor, signals aimed at the watch
// thread. Any thread.
bool TakeWatchLease(ChangeWatch& watch);

// Test hook (SAFE_MMAP_TEST_DISABLE_WATCH_HOLD=1): a break releases the lease
// at once instead of holding it until JS delivered the event.
void SetWatchHoldEnabledForTesting(bool enabled);
// Threads and descriptors of the watch machinery, for the leak test: [watches alive].
uint64_t ChangeWatchesAlive();

}  // namespace safe_mmap
