// Atomic operations on a shared file mapping (shared_atomics.h), and the
// bindings of the synchronous ones: MappingWrap::Atomic (through the addon's
// atomic(), whose arguments come in a Float64Array as read()'s do), Wait and
// Notify.
#include "shared_atomics.h"

#include <unistd.h>

#include "futex_waits.h"
#include "mapping_wrap.h"

namespace safe_mmap {
namespace {

// The bitwise read-modify-writes as compare-exchange loops. GCC 12 at -O2
// compiled this file's 64-bit __atomic_fetch_and/or/xor into a loop that
// stored the old value back unchanged (xor stored 0): test/api/atomics
// caught it against Atomics on a SharedArrayBuffer. The loop is what the
// compiler emits for them anyway (x86 has no fetch-and-and instruction).
template <typename Word, typename Combine>
Word FetchAndCombine(Word* word, Word value, Combine combine) {
  Word old = __atomic_load_n(word, __ATOMIC_SEQ_CST);
  while (!__atomic_compare_exchange_n(word, &old, combine(old, value), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
  }
  return old;
}

template <typename Word>
Word Apply(Word* word, AtomicOperation operation, Word value, Word replacement) {
  switch (operation) {
    case AtomicOperation::kLoad: return __atomic_load_n(word, __ATOMIC_SEQ_CST);
    case AtomicOperation::kStore: __atomic_store_n(word, value, __ATOMIC_SEQ_CST); return value;
    case AtomicOperation::kAdd: return __atomic_fetch_add(word, value, __ATOMIC_SEQ_CST);
    case AtomicOperation::kSub: return __atomic_fetch_sub(word, value, __ATOMIC_SEQ_CST);
    case AtomicOperation::kAnd: return FetchAndCombine(word, value, [](Word a, Word b) -> Word { return a & b; });
    case AtomicOperation::kOr: return FetchAndCombine(word, value, [](Word a, Word b) -> Word { return a | b; });
    case AtomicOperation::kXor: return FetchAndCombine(word, value, [](Word a, Word b) -> Word { return a ^ b; });
    case AtomicOperation::kExchange: return __atomic_exchange_n(word, value, __ATOMIC_SEQ_CST);
    case AtomicOperation::kCompareExchange: {
      Word expected = value;  // on failure it receives the current value
      __atomic_compare_exchange_n(word, &expected, replacement, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
      return expected;  // the old value either way, as Atomics.compareExchange
    }
  }
  return 0;
}

}  // namespace

void RunAtomic(uint8_t* mapped, size_t, void* context) {
  AtomicCall& call = *static_cast<AtomicCall*>(context);
  // The caller checked the alignment (src/atomics.ts): a misaligned atomic
  // would be split across cache lines, or fault on arm64.
  if (call.width == 4) {
    call.result = Apply(reinterpret_cast<uint32_t*>(mapped), call.operation, uint32_t(call.value),
                        uint32_t(call.replacement));
  } else {
    call.result = Apply(reinterpret_cast<uint64_t*>(mapped), call.operation, call.value, call.replacement);
  }
}

void MappingWrap::Atomic(Napi::Env env, AtomicCall* call, uint64_t offset) {
  const uint64_t width = uint64_t(call->width);
  // A load changes nothing and may be repeated: validated as any read (the
  // lease on a read-only mapping). Everything else runs once.
  const AccessResult result = call->operation == AtomicOperation::kLoad
                                  ? mapping_.Access(offset, width, RunAtomic, call)
                                  : mapping_.AccessOnceForWrite(offset, width, RunAtomic, call);
  Succeeded(env, {true, offset, width}, result);
}

// wait(slot, offset, expected, timeoutMs) -> a WaitEnd: kOk, kNotEqual or
// kTimedOut; throws MappedFileTruncated / MappedFileIOError.
Napi::Value MappingWrap::Wait(const Arguments& info) {
  Napi::Env env = info.Env();
  const uint64_t offset = uint64_t(info[0].As<Napi::Number>().Int64Value());
  const uint32_t expected = info[1].As<Napi::Number>().Uint32Value();
  const int64_t deadline = DeadlineAfter(info[2].As<Napi::Number>().DoubleValue());
  AtomicCall load{AtomicOperation::kLoad, 4, 0, 0, 0};
  if (!GuardedAccess(env, offset, 4, RunAtomic, &load)) return Napi::Value();
  if (uint32_t(load.result) != expected) return Napi::Number::New(env, int(WaitEnd::kNotEqual));
  const uint32_t* word = reinterpret_cast<const uint32_t*>(mapping_.AddressFor(offset, 4));
  if (word == nullptr) return Napi::Number::New(env, int(WaitEnd::kTimedOut));  // unreachable: just read
  // Blocks this thread, as Atomics.wait does; nothing else runs meanwhile,
  // so the descriptor and the mapping stay.
  const WaitResult waited = WaitOnWord(word, expected, deadline, nullptr, mapping_.descriptor(), offset + 4);
  if (waited.end == WaitEnd::kTruncated) {
    Succeeded(env, {true, offset, 4}, AccessResult::Truncated(uint64_t(waited.file_size)));
    return Napi::Value();
  }
  if (waited.end == WaitEnd::kIOError) {
    Succeeded(env, {true, offset, 4}, AccessResult::IOError(waited.file_size, waited.error_number));
    return Napi::Value();
  }
  return Napi::Number::New(env, int(waited.end));
}

// notify(slot, offset, count) -> how many waiters woke, in every process.
Napi::Value MappingWrap::Notify(const Arguments& info) {
  Napi::Env env = info.Env();
  const uint64_t offset = uint64_t(info[0].As<Napi::Number>().Int64Value());
  const double count = info[1].As<Napi::Number>().DoubleValue();
  if (mapping_.closed()) {
    Succeeded(env, {true, offset, 4}, AccessResult::Closed());
    return Napi::Value();
  }
  const uint32_t* word = reinterpret_cast<const uint32_t*>(mapping_.AddressFor(offset, 4));
  if (word == nullptr) {
    Succeeded(env, {true, offset, 4}, mapping_.ClassifyFault(offset + 4));
    return Napi::Value();
  }
  const int64_t woken = WakeWord(word, count >= 4294967295.0 ? UINT32_MAX : uint32_t(count));
  if (woken < 0) {
    // EFAULT: the kernel could not reach the page; the file says why.
    Succeeded(env, {true, offset, 4}, mapping_.ClassifyFault(offset + 4));
    return Napi::Value();
  }
  return Napi::Number::New(env, double(woken));
}

}  // namespace safe_mmap
