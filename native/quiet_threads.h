// The addon's own native threads on Linux (the lease watcher, the change-watch
// thread, waitAsync's and lock()'s waiters) start with every signal blocked:
// the mask set around pthread_create is what the thread inherits, so no
// process-directed signal (SIGCHLD, SIGINT, a lease break) ever lands on one
// of them, and a thread that wants one (the lock waiter's interrupt)
// unblocks it itself. Detached: nobody joins them.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <cstddef>

namespace safe_mmap {

// 0 or pthread_create's error. stack_bytes 0: the default stack. *thread, when
// given, is set before the thread can run far (under the caller's locks).
inline int StartQuietThread(void* (*run)(void*), void* argument, size_t stack_bytes,
                            pthread_t* thread = nullptr) {
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  if (stack_bytes != 0) pthread_attr_setstacksize(&attributes, stack_bytes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pthread_t started;
  const int error = pthread_create(thread != nullptr ? thread : &started, &attributes, run, argument);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  pthread_attr_destroy(&attributes);
  return error;
}

}  // namespace safe_mmap
