// SIGBUS guard. Design notes (compare Firefox mozglue MmapFaultHandler and V8's
// trap handler, which this follows in spirit):
//
// * One handler per process, installed with SA_SIGINFO|SA_ONSTACK|SA_NODEFER.
//   The guarded work starts from a sigsetjmp(env, 0) buffer, which does not
//   save the signal mask: savemask 0 keeps the guard at ~2 ns instead of a
//   sigprocmask syscall. SA_NODEFER matters wherever the handler is left by
//   siglongjmp (the fallback below): the kernel would otherwise block SIGBUS
//   on entry, nothing would unblock it, and the thread's next fault would
//   kill the process. (Leaving through sigreturn restores the mask anyway.)
// * A fault is claimed only when all three hold: this thread has an active
//   frame, si_addr lies in that frame's range, and si_code says the kernel sent
//   it (si_code > 0; kill/sigqueue/tgkill give SI_USER, SI_QUEUE, SI_TKILL <= 0).
// * Everything else goes to the action that was installed before ours, run
//   under the signal mask the kernel would have given it (its sa_mask, and
//   SIGBUS unless SA_NODEFER; see CallUnderPreviousMask). When that was
//   SIG_DFL (or SIG_IGN for a synchronous fault, which the kernel would have
//   forced to default anyway) we restore it and let the signal happen again,
//   so foreign crashes stay crashes with the same exit status.
// * SIGBUS outside any frame is claimed only for a live lazy snapshot
//   (lazy_ranges.h): its page becomes a zero page and the snapshot is marked
//   damaged; the faulting code (JS, V8, a native copy) then reads zeros.
// * SIGSEGV belongs to Node's WebAssembly trap handler on Linux. A handler is
//   installed for it only once a lazy snapshot exists, and it claims only an
//   access fault (SEGV_ACCERR) inside a lazy range, which met the write
//   protection of a swap; everything else is forwarded exactly as SIGBUS is.
//   On macOS Node also owns SIGBUS; we chain to it through the saved action.
//
// Leaving the handler: through sigreturn, never by siglongjmp from inside it.
// Signal delivery changes per-thread state that only sigreturn puts back
// (arch/x86/kernel/signal.c, fpu/signal.c; arch/arm64/kernel/signal.c):
//   - x86 PKRU is reset to init_pkru_value (access to protection key 0 only).
//     V8 guards memory with other keys (Deno always; Node 22+ with
//     --memory-protection-keys), so after a siglongjmp out of the handler the
//     next touch of such memory died with SEGV_PKUERR.
//   - arm64 POR_EL0 (permission overlays, Linux 6.12+) is reset likewise.
//   - The FPU/SSE state is reset to its init values: MXCSR (rounding mode,
//     flush-to-zero) and the x87 control word, which the ABI says a call
//     preserves, would silently change under the caller.
//   - An SS_AUTODISARM alternate signal stack is disarmed for the handler's
//     duration and re-armed only by sigreturn.
//   - The x86 user shadow stack (CET) gets a signal token that sigreturn pops.
// Rather than restoring each of these by hand (and missing whatever a future
// kernel adds), the handler edits the saved context so that sigreturn resumes
// the thread at ResumeAfterFault() instead of the faulting instruction, on
// the interrupted stack. The kernel then restores everything it saved, and
// ResumeAfterFault, running as ordinary code, siglongjmps to the frame: a
// plain longjmp up the same stack, as any C program does. The cost is one
// extra system call on the fault path only; the guarded path is unchanged.
// Architectures without such context editing here fall back to siglongjmp
// from the handler (only the signal mask is then known to be right).
#include "guard.h"

#include "lazy_ranges.h"
#include "process_once.h"

#include <csetjmp>
#include <csignal>
#include <cerrno>
#include <atomic>
#include <cstdint>
#include <ucontext.h>

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#define SAFE_MMAP_RESUME_THROUGH_SIGRETURN 1
#else
#define SAFE_MMAP_RESUME_THROUGH_SIGRETURN 0
#endif

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

// The actions installed before ours, each called for what we do not claim.
struct sigaction previous_bus_action;
struct sigaction previous_segv_action;
// Installation happens once per process, from whichever environment loads
// first, and the handler stays for good (the library is never unloaded: -z
// nodelete in binding.gyp).
ProcessOnce install_once;
ProcessOnce segv_install_once;  // the same, for SIGSEGV
volatile sig_atomic_t guard_enabled = 1;
volatile sig_atomic_t resume_through_sigreturn = SAFE_MMAP_RESUME_THROUGH_SIGRETURN;

bool SentByKernel(const siginfo_t* info) { return info->si_code > 0; }

// Calls the previous handler under the signal mask the kernel would have
// given it: its own sa_mask, plus SIGBUS unless it asked for SA_NODEFER. Ours
// is installed with an empty mask and SA_NODEFER, so without this another
// signal could interrupt a handler that counts on being alone. libuv's does
// (process.on('SIGBUS')): it takes a lock with a blocking read, and a SIGCHLD
// arriving meanwhile, whose handler takes the same lock, deadlocked the
// thread (seen under qemu, where the window is wide; test/faults/signal-chaining).
// On return the mask is put back, as sigreturn would; a handler that
// siglongjmps away keeps it blocked, as it would under the kernel.
template <typename Call>
void CallUnderPreviousMask(int signal_number, const struct sigaction& previous_action, Call call) {
  sigset_t mask = previous_action.sa_mask;
  if (!(previous_action.sa_flags & SA_NODEFER)) sigaddset(&mask, signal_number);
  sigset_t interrupted;
  pthread_sigmask(SIG_BLOCK, &mask, &interrupted);
  call();
  pthread_sigmask(SIG_SETMASK, &interrupted, nullptr);
}

// Hands a fault we do not own to whoever had the signal before us.
void ForwardToPreviousAction(int signal_number, siginfo_t* info, void* ucontext,
                             const struct sigaction& previous_action) {
  if (previous_action.sa_flags & SA_SIGINFO) {
    if (previous_action.sa_sigaction != nullptr) {
      CallUnderPreviousMask(signal_number, previous_action,
                            [&] { previous_action.sa_sigaction(signal_number, info, ucontext); });
      return;
    }
  } else if (previous_action.sa_handler == SIG_IGN && !SentByKernel(info)) {
    return;  // a kill(SIGBUS) was ignored before us; keep ignoring it
  } else if (previous_action.sa_handler != SIG_DFL &&
             previous_action.sa_handler != SIG_IGN) {
    CallUnderPreviousMask(signal_number, previous_action, [&] { previous_action.sa_handler(signal_number); });
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

#if SAFE_MMAP_RESUME_THROUGH_SIGRETURN
// Where sigreturn resumes a thread whose fault was claimed. It is entered by
// a jump, not a call, with the stack pointer the handler chose: it must never
// return, and it reads only the thread's frame, which the handler filled.
[[noreturn]] __attribute__((noinline)) void ResumeAfterFault() {
  GuardFrame* frame = current_frame;
  siglongjmp(frame->jump_buffer, 1);
}

// Makes sigreturn resume at ResumeAfterFault, on the interrupted stack below
// its red zone (128 bytes on x86-64; none on arm64, kept for symmetry) and
// aligned as at a function's entry: 16 bytes minus the return address slot
// on x86-64, 16 bytes on arm64 (where sp must always be aligned). The
// abandoned frames above are dead; their memory is simply reused.
void RedirectToResume(void* ucontext_pointer) {
  ucontext_t* context = static_cast<ucontext_t*>(ucontext_pointer);
  const uintptr_t resume = reinterpret_cast<uintptr_t>(&ResumeAfterFault);
#if defined(__x86_64__)
  const uintptr_t stack = uintptr_t(context->uc_mcontext.gregs[REG_RSP]);
  context->uc_mcontext.gregs[REG_RSP] = greg_t(((stack - 256) & ~uintptr_t(15)) - 8);
  context->uc_mcontext.gregs[REG_RIP] = greg_t(resume);
  // The ABI says the direction flag is clear at a call; a backward
  // `std; rep movsb` copy could have been interrupted with it set.
  context->uc_mcontext.gregs[REG_EFL] &= ~greg_t(0x400);
#elif defined(__aarch64__)
  const uintptr_t stack = uintptr_t(context->uc_mcontext.sp);
  context->uc_mcontext.sp = (stack - 256) & ~uintptr_t(15);
  context->uc_mcontext.pc = resume;
#endif
}
#endif

void HandleSigbus(int signal_number, siginfo_t* info, void* ucontext) {
  GuardFrame* frame = current_frame;
  if (frame != nullptr && guard_enabled && SentByKernel(info)) {
    const uintptr_t address = reinterpret_cast<uintptr_t>(info->si_addr);
    if (address >= frame->begin && address < frame->end) {
      frame->fault_address = info->si_addr;
#if SAFE_MMAP_RESUME_THROUGH_SIGRETURN
      if (resume_through_sigreturn) {
        RedirectToResume(ucontext);
        return;  // sigreturn restores the thread's state, then resumes
      }
#endif
      siglongjmp(frame->jump_buffer, 1);
    }
  }
  // A hole under a lazy snapshot, outside any frame (JS code, V8, another
  // thread's native copy into it): a zero page, and the instruction again.
  if (guard_enabled && SentByKernel(info) && ClaimLazyBusFault(info->si_addr)) return;
  ForwardToPreviousAction(signal_number, info, ucontext, previous_bus_action);
}

void HandleSigsegv(int signal_number, siginfo_t* info, void* ucontext) {
  if (info->si_code == SEGV_ACCERR && ClaimLazyWriteFault(info->si_addr)) return;
  ForwardToPreviousAction(signal_number, info, ucontext, previous_segv_action);
}

int InstallHandler() {
  struct sigaction action = {};
  action.sa_sigaction = HandleSigbus;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  return sigaction(SIGBUS, &action, &previous_bus_action) == 0 ? 0 : errno;
}

}  // namespace

int InstallFaultGuard() { return install_once.RunForErrno(InstallHandler); }

bool InstallWriteFaultHandler() {
  return segv_install_once.Run([] {
    struct sigaction action = {};
    action.sa_sigaction = HandleSigsegv;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    return sigaction(SIGSEGV, &action, &previous_segv_action) == 0;
  });
}

void SetGuardEnabledForTesting(bool enabled) { guard_enabled = enabled ? 1 : 0; }

void SetResumeThroughSigreturnForTesting(bool enabled) {
  resume_through_sigreturn = enabled && SAFE_MMAP_RESUME_THROUGH_SIGRETURN ? 1 : 0;
}

GuardOutcome RunGuarded(const void* begin, size_t length, GuardedWork work,
                        void* context) {
  GuardFrame frame;
  frame.begin = reinterpret_cast<uintptr_t>(begin);
  frame.end = frame.begin + length;
  frame.fault_address = nullptr;
  frame.outer = current_frame;

  if (sigsetjmp(frame.jump_buffer, 0) != 0) {
    // Back from ResumeAfterFault (or the handler). Locals written after
    // sigsetjmp are indeterminate here, so only the frame (written before,
    // read through memory) is used.
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
