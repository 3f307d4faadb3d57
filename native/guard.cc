// SIGBUS guard. Design notes (compare Firefox mozglue MmapFaultHandler and V8's
// trap handler, which this follows in spirit):
//
// * One handler per process, installed with SA_SIGINFO|SA_ONSTACK|SA_NODEFER.
//   SA_NODEFER matters: we leave the handler with siglongjmp from a
//   sigsetjmp(env, 0) buffer, which does not restore the signal mask. Without
//   SA_NODEFER the kernel would block SIGBUS on entry and it would stay
//   blocked, so the next fault on this thread would kill the process.
//   savemask 0 keeps the guard at ~2 ns instead of a sigprocmask syscall.
// * A fault is claimed only when all three hold: this thread has an active
//   frame, si_addr lies in that frame's range, and si_code says the kernel sent
//   it (si_code > 0; kill/sigqueue/tgkill give SI_USER, SI_QUEUE, SI_TKILL <= 0).
// * Everything else goes to the action that was installed before ours. When
//   that was SIG_DFL (or SIG_IGN for a synchronous fault, which the kernel
//   would have forced to default anyway) we restore it and let the signal
//   happen again, so foreign crashes stay crashes with the same exit status.
// * SIGSEGV is never touched: on Linux Node's WebAssembly trap handler owns it.
//   On macOS Node also owns SIGBUS; we chain to it through the saved action.
#include "guard.h"

#include <csetjmp>
#include <csignal>
#include <cerrno>
#include <atomic>
#include <cstdint>
#include <mutex>

namespace safe_mmap {
namespace {

struct GuardFrame {
  sigjmp_buf jump_buffer;
  uintptr_t begin;
  uintptr_t end;  // exclusive
  const void* volatile fault_address;  // written by the handler
  GuardFrame* outer;
};

// initial-exec: the addon is dlopen()ed, and the default TLS model would read
// this through __tls_get_addr, which may allocate on a thread's first access
// and so is not async-signal-safe. initial-exec is a plain %fs-relative load.
// volatile: the store must be emitted before the guarded memcpy; without it
// gcc -O2 may sink or drop the store and the handler would see no frame.
__attribute__((tls_model("initial-exec"))) thread_local GuardFrame* volatile
    current_frame = nullptr;

struct sigaction previous_action;
std::once_flag install_once;
int install_error = 0;
volatile sig_atomic_t guard_enabled = 1;

bool SentByKernel(const siginfo_t* info) { return info->si_code > 0; }

// Hands a fault we do not own to whoever had SIGBUS before us.
void ForwardToPreviousAction(int signal_number, siginfo_t* info, void* ucontext) {
  if (previous_action.sa_flags & SA_SIGINFO) {
    if (previous_action.sa_sigaction != nullptr) {
      previous_action.sa_sigaction(signal_number, info, ucontext);
      return;
    }
  } else if (previous_action.sa_handler == SIG_IGN && !SentByKernel(info)) {
    return;  // a kill(SIGBUS) was ignored before us; keep ignoring it
  } else if (previous_action.sa_handler != SIG_DFL &&
             previous_action.sa_handler != SIG_IGN) {
    previous_action.sa_handler(signal_number);
    return;
  }
  // Default action: uninstall ourselves and let the signal take its course.
  // A hardware fault re-executes the faulting instruction on return and dies
  // with the original si_addr; a sent signal has to be raised again.
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  sigaction(signal_number, &default_action, nullptr);
  if (!SentByKernel(info)) raise(signal_number);
}

void HandleSigbus(int signal_number, siginfo_t* info, void* ucontext) {
  GuardFrame* frame = current_frame;
  if (frame != nullptr && guard_enabled && SentByKernel(info)) {
    const uintptr_t address = reinterpret_cast<uintptr_t>(info->si_addr);
    if (address >= frame->begin && address < frame->end) {
      frame->fault_address = info->si_addr;
      siglongjmp(frame->jump_buffer, 1);
    }
  }
  ForwardToPreviousAction(signal_number, info, ucontext);
}

void InstallHandler() {
  struct sigaction action = {};
  action.sa_sigaction = HandleSigbus;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGBUS, &action, &previous_action) != 0) install_error = errno;
}

}  // namespace

int InstallFaultGuard() {
  std::call_once(install_once, InstallHandler);
  return install_error;
}

void SetGuardEnabledForTesting(bool enabled) { guard_enabled = enabled ? 1 : 0; }

GuardOutcome RunGuarded(const void* begin, size_t length, GuardedWork work,
                        void* context) {
  GuardFrame frame;
  frame.begin = reinterpret_cast<uintptr_t>(begin);
  frame.end = frame.begin + length;
  frame.fault_address = nullptr;
  frame.outer = current_frame;

  if (sigsetjmp(frame.jump_buffer, 0) != 0) {
    // Back from the handler. Locals written after sigsetjmp are indeterminate
    // here, so only the frame (written before, read through memory) is used.
    current_frame = frame.outer;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    return GuardOutcome{true, frame.fault_address};
  }

  current_frame = &frame;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  work(context);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  current_frame = frame.outer;
  return GuardOutcome{false, nullptr};
}

}  // namespace safe_mmap
