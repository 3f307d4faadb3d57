// Test-only Node-API module for test/faults/lazy-foreign-segv: real SIGSEGVs
// in native code that are none of safe-mmap's, which must still kill the
// process after safe-mmap installed its SIGSEGV handler (with the first lazy
// snapshot). Not part of the package (test/support/test-module.h says how it
// builds).
#if defined(_WIN32)
#include <windows.h>
#else
#include <sys/mman.h>
#endif

#include "../test-module.h"

// readNull() loads from address 0: SIGSEGV, SEGV_MAPERR.
static napi_value ReadNull(napi_env env, napi_callback_info info) {
  (void)info;
  volatile int* volatile nowhere = 0;
  return Number(env, *nowhere);
}

// writeReadOnly() stores into a fresh PROT_READ page: SIGSEGV, SEGV_ACCERR,
// the code safe-mmap's handler looks at (a write meeting a lazy snapshot's
// swap protection) in a page that is none of its ranges.
static napi_value WriteReadOnly(napi_env env, napi_callback_info info) {
  (void)info;
#if defined(_WIN32)
  volatile char* page = VirtualAlloc(NULL, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READONLY);
  if (page == NULL) return Number(env, -1);
#else
  volatile char* page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == (volatile char*)MAP_FAILED) return Number(env, -1);
#endif
  page[100] = 1;
  return Number(env, page[100]);
}

__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  Export(env, exports, "readNull", ReadNull);
  Export(env, exports, "writeReadOnly", WriteReadOnly);
  return exports;
}
