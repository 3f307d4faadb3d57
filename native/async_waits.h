// waitAsync: a wait on a shared word (futex_waits.h) that does not block
// the JS thread and holds no libuv pool thread. Each pending wait has a
// thread of its own (64 KiB of stack, every signal blocked) that sleeps in
// the kernel and hands its end to JS through the environment's
// threadsafe function; it never waits for the JS thread. A thousand pending
// waits are a thousand sleeping threads, not four busy pool threads.
//
// The thread touches neither the mapping nor its descriptor: it has its own
// duplicate of the descriptor (for fstat) and gives the word's address only
// to the kernel, which answers EFAULT if it is gone. So close() may unmap
// at once: it cancels the waits (a private futex word each thread also
// sleeps on, futex_waitv) and JS settles them with MappedFileClosed.
#pragma once

#include <napi.h>

namespace safe_mmap {

// cancelWait(id): ends a pending waitAsync; its callback is not called.
Napi::Value CancelAsyncWait(const Napi::CallbackInfo& info);

}  // namespace safe_mmap
