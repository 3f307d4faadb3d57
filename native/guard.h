// Fault guard: turns a SIGBUS raised while copying out of a file mapping into
// an ordinary return value. This header and guard.cc are the only code in the
// addon that knows about signals.
//
// Contract for the guarded callback (siglongjmp abandons it mid-flight):
//   - plain C work only: memcpy, memchr, loops over raw memory;
//   - no object with a destructor, no allocation, no lock, no N-API call;
//   - it may touch mapped memory only inside the claimed range
//     [begin, begin + length), which callers round out to whole pages.
#pragma once

#include <cstddef>

namespace safe_mmap {

// Installs the process-wide SIGBUS handler. Idempotent and thread-safe; call it
// before the first guarded access. Returns 0, or the errno of sigaction.
int InstallFaultGuard();

// Installs the SIGSEGV handler that lazy snapshots need (lazy_ranges.h):
// once, chained to the previous action. false when sigaction failed; lazy
// snapshots are then copies.
bool InstallWriteFaultHandler();

// What a guarded access ended with.
struct GuardOutcome {
  bool faulted;            // true when a SIGBUS inside the range was claimed
  const void* fault_address;  // si_addr of that fault, when faulted
};

using GuardedWork = void (*)(void* context);

// Runs work(context) with a guard frame that claims SIGBUS faults whose address
// lies in [begin, begin + length). Frames nest: an inner frame hides the outer
// one until it returns. Safe on any thread: the frame is thread-local.
GuardOutcome RunGuarded(const void* begin, size_t length, GuardedWork work,
                        void* context);

// Test hook: when disabled, RunGuarded still runs the work but claims nothing,
// so a fault crashes the process exactly as an unguarded mapping would. Used
// once per fault test to prove the test can fail.
void SetGuardEnabledForTesting(bool enabled);

// Test hook: when disabled, a claimed fault leaves the handler by siglongjmp,
// as the guard did before it resumed through sigreturn. The state that signal
// delivery resets (PKRU, MXCSR, an SS_AUTODISARM alternate stack...) then
// stays reset; test/faults/fault-recovery-state proves its tests catch that.
void SetResumeThroughSigreturnForTesting(bool enabled);

}  // namespace safe_mmap
