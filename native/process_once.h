// Process-wide start-once: the fault handlers' installation and the native
// threads that outlive every environment (the lease watcher, the change-watch
// thread). Whichever environment or worker gets there first runs `start`;
// the others wait for its answer and get the same. A plain atomic state
// rather than std::call_once: call_once pulls in pthread_once, whose glibc
// 2.34 symbol version would raise the prebuilds' glibc floor
// (glibc_floor.h); and a failed start is remembered, not retried.
#pragma once

#include <atomic>
#include <thread>

namespace safe_mmap {

class ProcessOnce {
 public:
  // Runs start() once per process; returns what it returned (true: started),
  // to every caller, also those that came while it ran.
  template <typename Start>
  bool Run(Start start) {
    int state = state_.load(std::memory_order_acquire);
    if (state == kStarted) return true;
    if (state == kFailed) return false;
    int expected = kNotYet;
    if (state_.compare_exchange_strong(expected, kStarting, std::memory_order_acq_rel)) {
      const bool started = start();
      state_.store(started ? kStarted : kFailed, std::memory_order_release);
      return started;
    }
    // Another thread is starting: a sigaction call, or a thread's creation.
    while ((state = state_.load(std::memory_order_acquire)) == kStarting) std::this_thread::yield();
    return state == kStarted;
  }

  // The same for a start that answers 0 or an errno: every caller gets that
  // errno. error_ is written before Run's release store, which every caller
  // that returns from Run has acquired.
  template <typename Start>
  int RunForErrno(Start start) {
    Run([&] {
      error_ = start();
      return error_ == 0;
    });
    return error_;
  }

 private:
  enum : int { kNotYet, kStarting, kStarted, kFailed };
  std::atomic<int> state_{kNotYet};
  int error_ = 0;
};

}  // namespace safe_mmap
