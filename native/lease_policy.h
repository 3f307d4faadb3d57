// When a mapping should hold its read lease: only while it pays, and never in
// the way of a program that retries. Pure bookkeeping on the owning JS
// thread, with the time passed in; FileMapping asks it before each attempt
// and tells it what happened. The lease itself is lease.h's.
//
// A lease costs other programs something: while it is held, a writer's open
// waits for our release (about 0.1 ms), and a non-blocking open for writing
// (coreutils truncate) fails at once with EAGAIN. So:
// - it is taken only once the file is hot (kHotAccesses owner accesses
//   within kHotWindowMs), and the watcher gives it back once the file has
//   been idle for about a second (lease.cc);
// - after a break that changed nothing (same size and ctime once the breaker
//   is gone: a failed non-blocking open, or a writer that did not write) it
//   is not taken again for a back-off long enough that the breaker's retry
//   gets through: kFirstBackoffMs, doubling with each such break up to
//   kMaxBackoffMs, back to the start once leases were held for
//   kBackoffResetHeldMs without such a break.
// Lazy snapshots (lazy_ranges.h) compose with this: making one takes the
// lease at once, hot or not (unless a back-off is running: then it is a
// copy), and while one lives the watcher does not give the lease back for
// idleness. A break still releases it, after the releaser turned the live
// snapshots into their owners' memory; the back-off then applies to the
// mapping's accesses and to later lazy snapshots, not to those made.
#pragma once

#include <cstdint>

namespace safe_mmap {

class LeasePolicy {
 public:
  // Measured (docs/benchmarks.md, "taking the lease"): a take and its
  // release cost what about 6 fstat-validated accesses save, so 32 accesses
  // in a window pay for a lease several times over, and a hot loop reaches
  // them in about 10 us. The window is counted on the coarse clock (4 ms
  // ticks), so it spans 8 to 12 ms.
  static constexpr uint32_t kHotAccesses = 32;
  static constexpr uint64_t kHotWindowMs = 10;
  // A writer that broke the lease is left this long to finish before a
  // re-take is tried (as before the policy existed).
  static constexpr uint64_t kWriterGraceMs = 10;
  // The first back-off is longer than the slowest retry that must get
  // through on its second attempt (5 s), with room for process start-up.
  static constexpr uint64_t kFirstBackoffMs = 8000;
  static constexpr uint64_t kMaxBackoffMs = 64000;
  static constexpr uint64_t kBackoffResetHeldMs = 60000;
  // Re-take attempts that fail (EAGAIN: a writer still has the file open).
  static constexpr uint64_t kFirstRetryMs = 10;
  static constexpr uint64_t kMaxRetryMs = 1000;

  enum class Step {
    kWait,        // go on in fstat mode
    kCheckBreak,  // once the breaker is gone, compare the file's state with the leased one
    kTake,        // try to take the lease now
  };

  // An owner access in fstat mode: what to do about the lease.
  Step Next(uint64_t now_ms);
  // A lazy snapshot wants the lease now, hot or not; a back-off or a retry
  // delay still says kWait (the snapshot is then a copy).
  Step NextForLazySnapshot(uint64_t now_ms) const;
  // The lease was found gone since the last look: broken by a writer
  // (broke), or given back for idleness or after a fault (not).
  void Lost(bool broke, uint64_t now_ms);
  // The outcome of kCheckBreak, once the breaker is gone: whether the file
  // is as it was when leased. Returns true when the lease is to be given up
  // and not taken again for the back-off.
  bool BreakChecked(bool unchanged, uint64_t now_ms);
  void Taken(uint64_t now_ms);
  void TakeFailed(uint64_t now_ms);

  uint64_t backoff_ms() const { return backoff_ms_; }

 private:
  uint64_t not_before_ms_ = 0;  // no attempt before this time
  bool break_unchecked_ = false;
  uint64_t window_start_ms_ = 0;
  uint32_t window_accesses_ = 0;
  uint64_t backoff_ms_ = 0;  // the last back-off after an unchanged break; 0 none yet
  uint64_t held_ms_ = 0;     // leases held since the last unchanged break
  uint64_t taken_at_ms_ = 0;
  uint64_t retry_ms_ = kFirstRetryMs;
};

// Test hook: with the back-off off, an unchanged break is treated as a change
// (re-take after kWriterGraceMs): test/faults/lease-operators shows that a
// retrying truncate(1) is then locked out.
void SetLeaseBackoffEnabledForTesting(bool enabled);

}  // namespace safe_mmap
