// LeasePolicy (lease_policy.h): when to take a read lease, and when not to.
#include "lease_policy.h"

#include <algorithm>
#include <atomic>

namespace safe_mmap {
namespace {
std::atomic<bool> backoff_enabled{true};
}  // namespace

LeasePolicy::Step LeasePolicy::Next(uint64_t now_ms) {
  if (now_ms < not_before_ms_) return Step::kWait;
  if (break_unchecked_) return Step::kCheckBreak;
  if (now_ms - window_start_ms_ >= kHotWindowMs) {
    window_start_ms_ = now_ms;
    window_accesses_ = 0;
  }
  return ++window_accesses_ >= kHotAccesses ? Step::kTake : Step::kWait;
}

LeasePolicy::Step LeasePolicy::NextForLazySnapshot(uint64_t now_ms) const {
  if (now_ms < not_before_ms_) return Step::kWait;
  return break_unchecked_ ? Step::kCheckBreak : Step::kTake;
}

void LeasePolicy::Lost(bool broke, uint64_t now_ms) {
  held_ms_ += now_ms - taken_at_ms_;
  window_accesses_ = 0;
  if (!broke) return;
  // Let the writer finish, then look at what it did.
  break_unchecked_ = true;
  not_before_ms_ = std::max(not_before_ms_, now_ms + kWriterGraceMs);
}

bool LeasePolicy::BreakChecked(bool unchanged, uint64_t now_ms) {
  break_unchecked_ = false;
  if (!unchanged || !backoff_enabled.load(std::memory_order_relaxed)) return false;
  // Nothing was written: the breaker failed (a non-blocking open) or gave up.
  // It will retry; stay out of its way for longer than it waits.
  if (backoff_ms_ == 0 || held_ms_ >= kBackoffResetHeldMs) {
    backoff_ms_ = kFirstBackoffMs;
  } else {
    backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
  }
  held_ms_ = 0;
  not_before_ms_ = now_ms + backoff_ms_;
  return true;
}

void LeasePolicy::Taken(uint64_t now_ms) {
  taken_at_ms_ = now_ms;
  window_accesses_ = 0;
  retry_ms_ = kFirstRetryMs;
}

void LeasePolicy::TakeFailed(uint64_t now_ms) {
  window_accesses_ = 0;
  not_before_ms_ = now_ms + retry_ms_;
  retry_ms_ = std::min(retry_ms_ * 2, kMaxRetryMs);
}

void SetLeaseBackoffEnabledForTesting(bool enabled) {
  backoff_enabled.store(enabled, std::memory_order_relaxed);
}

}  // namespace safe_mmap
