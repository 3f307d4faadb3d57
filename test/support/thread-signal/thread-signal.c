// Test-only Node-API module for test/faults/lease-signals: sends a signal to one
// thread of this process, as another process could with tgkill(2) (si_code
// SI_TKILL), which neither kill(2) nor Node's process.kill can aim at a
// thread. Not part of the package (test/support/test-module.h says how it
// builds).
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../test-module.h"

// sendToThread(tid, signal) -> 0, or the errno of tgkill.
static napi_value SendToThread(napi_env env, napi_callback_info info) {
  size_t count = 2;
  napi_value arguments[2];
  double tid = 0, signal_number = 0;
  napi_get_cb_info(env, info, &count, arguments, NULL, NULL);
  napi_get_value_double(env, arguments[0], &tid);
  napi_get_value_double(env, arguments[1], &signal_number);
  const long result = syscall(SYS_tgkill, (long)getpid(), (long)tid, (long)signal_number);
  return Number(env, result == 0 ? 0 : errno);
}

__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  Export(env, exports, "sendToThread", SendToThread);
  return exports;
}
