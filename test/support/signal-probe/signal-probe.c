// Test-only Node-API module for test/faults/signal-chaining: a SIGBUS handler that
// stands for whoever installed one before safe-mmap, and reports the signal
// mask it ran under. The kernel runs a handler with its sa_mask (here
// SIGUSR2) and, without SA_NODEFER, the signal itself blocked; a forwarding
// handler must do the same. Not part of the package (test/support/
// test-module.h says how it builds).
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>

#include "../test-module.h"

static volatile sig_atomic_t handler_runs = 0;
static volatile sig_atomic_t own_mask_blocked = 0;     // SIGUSR2, its sa_mask
static volatile sig_atomic_t signal_itself_blocked = 0;  // SIGBUS, no SA_NODEFER

static void PreviousHandler(int signal_number) {
  sigset_t current;
  sigprocmask(SIG_BLOCK, NULL, &current);
  own_mask_blocked = sigismember(&current, SIGUSR2);
  signal_itself_blocked = sigismember(&current, signal_number);
  handler_runs++;
}

// install() -> 0, or -1 when sigaction fails.
static napi_value Install(napi_env env, napi_callback_info info) {
  (void)info;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = PreviousHandler;
  sigemptyset(&action.sa_mask);
  sigaddset(&action.sa_mask, SIGUSR2);
  return Number(env, sigaction(SIGBUS, &action, NULL) == 0 ? 0 : -1);
}

// What the handler saw: how often it ran, and whether SIGUSR2 and SIGBUS were
// blocked while it ran (1) or not (0), the last time.
static napi_value Runs(napi_env env, napi_callback_info info) { (void)info; return Number(env, handler_runs); }
static napi_value OwnMaskBlocked(napi_env env, napi_callback_info info) { (void)info; return Number(env, own_mask_blocked); }
static napi_value SignalBlocked(napi_env env, napi_callback_info info) { (void)info; return Number(env, signal_itself_blocked); }

__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  Export(env, exports, "install", Install);
  Export(env, exports, "runs", Runs);
  Export(env, exports, "ownMaskBlocked", OwnMaskBlocked);
  Export(env, exports, "signalBlocked", SignalBlocked);
  return exports;
}
