// The fault guard (guard.h) on Windows: a vectored exception handler.
//
// What it claims. Windows reports a page that cannot be read (an I/O error
// under a view: a network share that dropped, a removed disk, a cloud file
// whose content is not there) as EXCEPTION_IN_PAGE_ERROR. Wine reports a
// SIGBUS under a view (a Linux process truncated the file) as
// EXCEPTION_ACCESS_VIOLATION. Both are claimed, and only when all of this
// holds: this thread has a frame (RunGuarded), the faulting data address
// (ExceptionInformation[1]) lies in that frame's range, and the record
// carries that address (a hardware fault's two parameters). Everything else
// continues the search, so V8's WebAssembly trap handler, Node's crash
// handling and any debugger see their exceptions as before.
//
// How it recovers. As the Linux guard resumes through sigreturn: the handler
// edits the CONTEXT so that the thread continues at ResumeAfterFault, on its
// own stack below the faulting frame, and returns
// EXCEPTION_CONTINUE_EXECUTION; NtContinue then restores every register the
// system saved (the FPU and SSE control words among them), and
// ResumeAfterFault, as ordinary code, jumps to the frame.
//
// Why not __try/__except: mingw's g++ has no SEH language extension. And why
// __builtin_setjmp rather than setjmp: the C runtime's longjmp on x64 unwinds
// through RtlUnwindEx, which would have to walk from ResumeAfterFault's
// synthetic frame, whose return address is nobody's. __builtin_longjmp
// restores the frame, stack pointer and callee-saved registers that
// __builtin_setjmp's function saved, and jumps: a plain jump up the stack.
//
// The frame pointer lives in a Win32 TLS slot, not a thread_local: mingw's
// thread_local is emulated (__emutls_get_address), which allocates on a
// thread's first access, and the handler runs for every access violation in
// the process, a heap-corrupting one inside malloc included. TlsGetValue
// reads the TEB and allocates nothing; it does reset the thread's last
// error, which the handler puts back for the faults it does not claim.
#include "../guard.h"
#include "../process_once.h"

#include <windows.h>

#include <atomic>
#include <cstdint>

namespace safe_mmap {
namespace {

struct GuardFrame {
  void* jump_buffer[5];  // __builtin_setjmp's
  uintptr_t begin;
  uintptr_t end;  // exclusive
  const void* volatile fault_address;
  GuardFrame* outer;
};

DWORD frame_slot = TLS_OUT_OF_INDEXES;
ProcessOnce install_once;
volatile LONG guard_enabled = 1;

GuardFrame* CurrentFrame() {
  return frame_slot == TLS_OUT_OF_INDEXES ? nullptr : static_cast<GuardFrame*>(TlsGetValue(frame_slot));
}

// Where the thread continues after a claimed fault. Entered by the edited
// context, not by a call: it must never return, and reads only the frame.
[[noreturn]] __attribute__((noinline)) void ResumeAfterFault() {
  GuardFrame* frame = CurrentFrame();
  __builtin_longjmp(frame->jump_buffer, 1);
}

bool IsOurs(const EXCEPTION_RECORD& record, GuardFrame* frame) {
  if (record.ExceptionCode != EXCEPTION_IN_PAGE_ERROR && record.ExceptionCode != EXCEPTION_ACCESS_VIOLATION) {
    return false;
  }
  if (record.NumberParameters < 2) return false;
  const uintptr_t address = uintptr_t(record.ExceptionInformation[1]);
  return address >= frame->begin && address < frame->end;
}

LONG CALLBACK HandleException(EXCEPTION_POINTERS* exception) {
  const DWORD last_error = GetLastError();
  GuardFrame* frame = guard_enabled ? CurrentFrame() : nullptr;
  if (frame == nullptr || !IsOurs(*exception->ExceptionRecord, frame)) {
    SetLastError(last_error);
    return EXCEPTION_CONTINUE_SEARCH;
  }
  frame->fault_address = reinterpret_cast<const void*>(exception->ExceptionRecord->ExceptionInformation[1]);
  CONTEXT* context = exception->ContextRecord;
  // Below the faulting frame, aligned as at a function's entry (16 bytes
  // minus the return address slot); the direction flag clear, as the ABI
  // says it is at a call (a backward `std; rep movsb` may have faulted).
  context->Rsp = ((context->Rsp - 256) & ~DWORD64(15)) - 8;
  context->Rip = DWORD64(reinterpret_cast<uintptr_t>(&ResumeAfterFault));
  context->EFlags &= ~DWORD(0x400);
  SetLastError(last_error);
  return EXCEPTION_CONTINUE_EXECUTION;
}

int InstallHandler() {
  frame_slot = TlsAlloc();
  if (frame_slot == TLS_OUT_OF_INDEXES) return ENOMEM;
  // First in line: an exception we do not claim goes on to V8's handler
  // (first in line before us) and the rest unchanged.
  return AddVectoredExceptionHandler(1, HandleException) == nullptr ? ENOMEM : 0;
}

}  // namespace

int InstallFaultGuard() { return install_once.RunForErrno(InstallHandler); }

// Lazy snapshots are Linux-only (win32/unsupported.cc): no write-fault handler.
bool InstallWriteFaultHandler() { return false; }

void SetGuardEnabledForTesting(bool enabled) { guard_enabled = enabled ? 1 : 0; }

// Recovery always goes through the edited context here; there is no handler
// exit by jump to switch to.
void SetResumeThroughSigreturnForTesting(bool) {}

GuardOutcome RunGuarded(const void* begin, size_t length, GuardedWork work, void* context) {
  GuardFrame frame;
  frame.begin = reinterpret_cast<uintptr_t>(begin);
  frame.end = frame.begin + length;
  frame.fault_address = nullptr;
  frame.outer = CurrentFrame();
  // The handler was installed at load (InstallFaultGuard), so the slot exists.
  if (__builtin_setjmp(frame.jump_buffer) != 0) {
    TlsSetValue(frame_slot, frame.outer);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    return GuardOutcome{true, frame.fault_address};
  }
  TlsSetValue(frame_slot, &frame);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  work(context);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  TlsSetValue(frame_slot, frame.outer);
  return GuardOutcome{false, nullptr};
}

}  // namespace safe_mmap
