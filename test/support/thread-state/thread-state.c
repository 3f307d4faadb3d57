// Test-only Node-API module for test/faults/fault-recovery-state: sets and reads the
// per-thread state that signal delivery resets (x86 PKRU, MXCSR, an
// SS_AUTODISARM alternate signal stack), so the test can check that a caught
// fault gave it back. Not part of the package (test/support/test-module.h
// says how it builds).
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)  // linux/signal.h; glibc 2.36 does not define it
#endif
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "../test-module.h"

__attribute__((unused)) static double FirstArgument(napi_env env, napi_callback_info info) {
  size_t count = 1;
  napi_value argument;
  double value = 0;
  napi_get_cb_info(env, info, &count, &argument, NULL, NULL);
  if (count >= 1) napi_get_value_double(env, argument, &value);
  return value;
}

// ---- x86 protection keys --------------------------------------------------
static volatile uint8_t* tagged_page;

// 1 when the CPU has PKU and the OS enabled it (CPUID.7.0:ECX bits 3 and 4).
static napi_value PkuAvailable(napi_env env, napi_callback_info info) {
  (void)info;
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) return Number(env, ((c >> 3) & 1) && ((c >> 4) & 1));
#endif
  return Number(env, 0);
}

// Allocates a protection key whose rights in this thread's PKRU allow access,
// tags a fresh page with it and writes 0x5a there. Returns the key, or -errno.
static napi_value TagPage(napi_env env, napi_callback_info info) {
  (void)info;
  void* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return Number(env, -errno);
  const int key = pkey_alloc(0, 0);
  if (key < 0) return Number(env, -errno);
  if (pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, key) != 0) return Number(env, -errno);
  tagged_page = page;
  tagged_page[0] = 0x5a;
  return Number(env, key);
}

// Reads the tagged page: SIGSEGV (SEGV_PKUERR) when PKRU denies its key.
static napi_value ReadTaggedPage(napi_env env, napi_callback_info info) {
  (void)info;
  return Number(env, tagged_page[0]);
}

static napi_value Pkru(napi_env env, napi_callback_info info) {
  (void)info;
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && ((c >> 4) & 1)) {
    unsigned eax, edx, ecx = 0;
    __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(ecx));  // rdpkru
    return Number(env, eax);
  }
#endif
  return Number(env, -1);
}

// ---- MXCSR (x86-64 SSE control and status) --------------------------------
static napi_value GetMxcsr(napi_env env, napi_callback_info info) {
  (void)info;
#if defined(__x86_64__)
  unsigned value;
  __asm__ volatile("stmxcsr %0" : "=m"(value));
  return Number(env, value);
#else
  return Number(env, -1);
#endif
}

static napi_value SetMxcsr(napi_env env, napi_callback_info info) {
#if defined(__x86_64__)
  unsigned value = (unsigned)FirstArgument(env, info);
  __asm__ volatile("ldmxcsr %0" : : "m"(value));
#else
  (void)info;
#endif
  return Number(env, 0);
}

// ---- the alternate signal stack -------------------------------------------
// Arms an alternate signal stack with SS_AUTODISARM: the kernel disarms it
// while a handler runs on it, and only sigreturn arms it again.
static napi_value ArmAutodisarmAltStack(napi_env env, napi_callback_info info) {
  (void)info;
  stack_t stack;
  stack.ss_size = 1 << 16;
  stack.ss_sp = malloc(stack.ss_size);
  stack.ss_flags = SS_AUTODISARM;
  if (sigaltstack(&stack, NULL) != 0) return Number(env, -errno);
  return Number(env, 0);
}

// ss_flags of the current alternate stack: SS_AUTODISARM (armed, not in use)
// or SS_DISABLE once it was left disarmed.
static napi_value AltStackFlags(napi_env env, napi_callback_info info) {
  (void)info;
  stack_t stack;
  if (sigaltstack(NULL, &stack) != 0) return Number(env, -errno);
  return Number(env, stack.ss_flags);
}

__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  Export(env, exports, "pkuAvailable", PkuAvailable);
  Export(env, exports, "tagPage", TagPage);
  Export(env, exports, "readTaggedPage", ReadTaggedPage);
  Export(env, exports, "pkru", Pkru);
  Export(env, exports, "getMxcsr", GetMxcsr);
  Export(env, exports, "setMxcsr", SetMxcsr);
  Export(env, exports, "armAutodisarmAltStack", ArmAutodisarmAltStack);
  Export(env, exports, "altStackFlags", AltStackFlags);
  return exports;
}
