// ChangeDetector (change_detector.h): the seqlock, the lease's epoch check,
// { stable: true }, and when to take the lease.
#include "change_detector.h"

#include <cerrno>

namespace safe_mmap {

void ChangeDetector::Start(FileHandle file, const MapOptions& options, const FileState& state) {
  file_ = file;
  options_ = options;
  last_state_ = state;
  initial_state_ = state;
  // Read-only 'always' mappings only: a writable one holds the file open for
  // writing, which a lease forbids. The lease itself is taken once the file
  // is hot (TakeLeaseWhenHot), and its size read under it then.
  if (options.mode == ValidationMode::kAlways && !options.writable && options.lease) lease_.Register(file);
}

ValidationMethod ChangeDetector::method() const {
  if (options_.mode != ValidationMode::kAlways) return ValidationMethod::kNone;
  return lease_.held() ? ValidationMethod::kLease : ValidationMethod::kFstat;
}

AccessResult ChangeDetector::ValidatedWithoutLease(uint64_t end, bool owner, TryWork try_work, void* context) {
  if (options_.stable) return Stable(end, owner, try_work, context);
  if (owner && lease_.registered()) TakeLeaseWhenHot();  // for the accesses after this one
  return Seqlocked(end, owner ? &last_state_ : nullptr, try_work, context);
}

AccessResult ChangeDetector::ClassifyFault(uint64_t end) const {
  FileState now;
  if (int error_number = ReadFileState(file_, &now)) return AccessResult::IOError(-1, error_number);
  if (now.size < end) return AccessResult::Truncated(now.size);
  return AccessResult::IOError(int64_t(now.size), 0);
}

void ChangeDetector::NoteOwnerAccess() {
  if (lease_.registered()) TakeLeaseWhenHot();  // only read-only 'always' mappings register
}

// The seqlock. `before` is a state observed before the work started and
// `after` one observed after it ended. Equal states prove that the work saw
// one moment of the file, so a fault in it was not a truncation. Any
// difference means the work may have read the zero-filled tail of a file
// that was truncated and regrown (ABA), or faulted on a page that was
// truncated and has since come back: repeat it. known is the owner's cached
// state (updated here), or nullptr for another thread, which starts with a
// fresh observation.
AccessResult ChangeDetector::Seqlocked(uint64_t end, FileState* known, TryWork try_work, void* context) {
  FileState state;
  if (known != nullptr && known->size >= end) {
    state = *known;  // remembered: no system call before the work
  } else {
    // Nothing remembered, or it says the file is too short: look now (it may
    // have grown back), and never touch the memory when it really is.
    if (int error_number = ReadFileState(file_, &state)) return AccessResult::IOError(-1, error_number);
    if (known != nullptr) *known = state;
    if (state.size < end) return AccessResult::Truncated(state.size);
  }
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    const FileState before = state;
    const TryEnd tried = try_work(context);
    if (tried.how == TryEnd::kDeclined) return AccessResult::Ok();  // no answer: the caller goes another way
    if (int error_number = ReadFileState(file_, &state)) return AccessResult::IOError(-1, error_number);
    if (known != nullptr) *known = state;
    if (state.size < end) return AccessResult::Truncated(state.size);
    if (state == before) {
      switch (tried.how) {
        case TryEnd::kCompleted: return AccessResult::Ok();
        case TryEnd::kShort: return AccessResult::Truncated(state.size);
        default: return AccessResult::IOError(int64_t(state.size), tried.error_number);
      }
    }
  }
  return AccessResult::Truncated(state.size);
}

// { stable: true }: the reader wants one version of the file for the
// mapping's whole life (a zip's directory, then its entries). Any break of
// the lease, or any size or ctime change seen by fstat, since Map makes this
// access and every later one kChanged, even where the bytes are still
// readable. The fstat check is a seqlock whose "before" is the state at Map.
AccessResult ChangeDetector::Stable(uint64_t end, bool owner, TryWork try_work, void* context) {
  if (changed_.load(std::memory_order_acquire) || lease_.breaks() != 0) {
    changed_.store(true, std::memory_order_release);
    return AccessResult::Changed(-1);
  }
  const auto try_it = [&] { return try_work(context); };
  if (UnderLease(end, try_it) == LeaseVerdict::kVouched) return AccessResult::Ok();
  if (owner && lease_.registered()) TakeLeaseWhenHot();
  const TryEnd tried = try_work(context);
  FileState now;
  if (int error_number = ReadFileState(file_, &now)) return AccessResult::IOError(-1, error_number);
  if (!(now == initial_state_) || lease_.breaks() != 0) {
    changed_.store(true, std::memory_order_release);
    return AccessResult::Changed(int64_t(now.size));
  }
  return tried.how == TryEnd::kCompleted ? AccessResult::Ok() : AccessResult::IOError(int64_t(now.size), 0);
}

// Owner thread, fstat mode: takes the lease when the policy says the file is
// hot, and tells the policy about a lease found gone (lease_policy.h). Each
// attempt is a few fcntl calls (~1.5 us). The size is read under the new
// lease: it bounds what the lease may vouch for.
bool ChangeDetector::LeaseForLazy(uint64_t end, uint64_t* token) {
  if (options_.stable || !lease_.registered()) return false;
  TakeLease(true);
  return lease_.Begin(token) && end <= leased_size_.load(std::memory_order_acquire);
}

void ChangeDetector::TakeLease(bool for_lazy) {
  if (lease_.held()) return;
  const uint64_t now = CoarseMilliseconds();
  if (holding_lease_) {
    // The first look since it went: broken by a writer, or given back
    // (idleness, a fault under it).
    holding_lease_ = false;
    leased_size_.store(0, std::memory_order_release);
    lease_policy_.Lost(lease_.SettledBreaks() != breaks_at_take_, now);
  }
  const LeasePolicy::Step step = for_lazy ? lease_policy_.NextForLazySnapshot(now) : lease_policy_.Next(now);
  if (step == LeasePolicy::Step::kWait) return;
  // A lease can be taken only when nobody has the file open for writing, so
  // a successful take is also how a break is known to be over: a writer
  // that opened the file may write only a while later.
  if (!lease_.Acquire()) {
    lease_policy_.TakeFailed(now);
    return;
  }
  FileState state;
  const bool read = ReadFileState(file_, &state) == 0;
  // The break changed nothing (a failed non-blocking open, a writer that did
  // not write): give the lease back at once and stay out of the way.
  if (step == LeasePolicy::Step::kCheckBreak &&
      lease_policy_.BreakChecked(read && state == leased_state_, now)) {
    lease_.Distrust();
    return;
  }
  // { stable: true }: a change while no lease was held is a change too.
  if (!read || (options_.stable && !(state == initial_state_))) {
    lease_.Distrust();
    lease_policy_.TakeFailed(now);
    return;
  }
  last_state_ = state;
  leased_state_ = state;
  breaks_at_take_ = lease_.breaks();
  holding_lease_ = true;
  lease_policy_.Taken(now);
  leased_size_.store(state.size, std::memory_order_release);
}

}  // namespace safe_mmap
