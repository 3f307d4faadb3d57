// The bindings of change notifications (change_watch.h): the JS class
// ChangeWatch, defined in change_watch_bindings.cc.
#pragma once

#include <napi.h>

namespace safe_mmap {

// new ChangeWatch(slot, path, wantLease, onChange): take(), ack(sequence),
// poll(), lease(), ref(keepAlive), stop().
Napi::Function DefineChangeWatch(Napi::Env env);

}  // namespace safe_mmap
