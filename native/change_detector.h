// Change detection: how an access learns whether the file changed under it,
// so that no byte reaches the caller that was not really in the file. One
// ChangeDetector per mapping; FileMapping (mapping.h) owns the region and
// asks this unit to judge every validated access.
//
// An access's work is retried until it ran over one state of the file:
// - under a read lease (lease.h) that no break touched, with no system call;
// - else by a seqlock on the file's size and ctime (one fstat after the work,
//   the state before it cached by the owner thread);
// - { stable: true }: against the state at Map, once and for all.
// The same loop serves the guarded work through the mapping and the pread
// routes (mapping_reads.cc), which differ only in how one try ends.
#pragma once

#include <atomic>
#include <cstdint>

#include "lease.h"
#include "lease_policy.h"
#include "mapping_types.h"
#include "platform.h"

namespace safe_mmap {

// How one try of an access's work ended.
struct TryEnd {
  enum How {
    kCompleted,  // all of it
    kFaulted,    // a guarded fault, or a failed read (error_number)
    kShort,      // a read that met the end of the file first
    kDeclined,   // an RWF_NOWAIT read that would have waited: no answer
  } how;
  int error_number;
};
using TryWork = TryEnd (*)(void* context);

class ChangeDetector {
 public:
  // At Map: the mapping's own descriptor, its options and the file's state
  // it was sized at. Registers for a lease where one may be held.
  void Start(FileHandle file, const MapOptions& options, const FileState& state);
  // Releases the lease; before the descriptor is closed. Idempotent.
  void Stop() { lease_.Release(); }
  // Owner thread: the state a remap was sized at.
  void Remapped(const FileState& state) { last_state_ = state; }
  ValidationMethod method() const;

  // Runs try_work until it ran over one state of the file that holds [0,
  // end), and says how it went: kOk, kTruncated with the size when the file
  // is shorter (or kept changing), kIOError for a fault or failed read inside
  // it, kChanged for a { stable: true } file. owner: the call is on the
  // owning JS thread, which keeps the seqlock's cached state and takes the
  // lease; any other thread observes the file itself.
  // try_work: a callable returning TryEnd. The lease's path is inline, so
  // that a hot access under a held lease makes no call beyond the lease's own
  // two checks; the rest is out of line.
  template <typename Try>
  AccessResult Validated(uint64_t end, bool owner, Try try_work) {
    if (!options_.stable && lease_.registered() && UnderLease(end, try_work) != LeaseVerdict::kNotVouched) {
      return AccessResult::Ok();  // vouched, or kDeclined: no answer
    }
    return ValidatedWithoutLease(end, owner, &CallTry<Try>, &try_work);
  }
  // 'fault' mode knows no earlier state: a fault past the end of the file
  // now is a truncation, one inside it an I/O error.
  AccessResult ClassifyFault(uint64_t end) const;
  // An asynchronous access starting on the owner thread: it counts toward
  // taking the lease as a synchronous one does.
  void NoteOwnerAccess();

  // Lazy snapshots (lazy_ranges.h), owner thread. Whether the lease vouches
  // for [0, end) now, taking it first if need be (hot or not); *token is
  // what ConfirmForLazy checks after the range is registered. false: copy.
  bool LeaseForLazy(uint64_t end, uint64_t* token);
  bool ConfirmForLazy(uint64_t token) const { return lease_.Confirm(token); }
  int lease_slot() const { return lease_.slot_index(); }

 private:
  // How many times a validated access is repeated when the file changes
  // under it. A writer would have to modify the file during every one of
  // them; then the access reports MappedFileTruncated (the change may have
  // been one).
  static constexpr int kMaxAttempts = 16;

  enum class LeaseVerdict { kVouched, kDeclined, kNotVouched };
  // Lease mode (lease.h): Begin, the work, Confirm. A try that does not
  // complete under the lease means the file changed without a break (hole
  // 1: another process's open(O_RDONLY|O_TRUNC)) or a page could not be read
  // (hole 4): the lease no longer vouches for anything, and the seqlock that
  // follows classifies the fault and decides about the bytes, repeating the
  // work. So does a Confirm that fails (a break, or a watcher that has not
  // run lately).
  template <typename Try>
  LeaseVerdict UnderLease(uint64_t end, Try& try_work) {
    // The leased size after Begin: TakeLeaseWhenHot zeroes it once the lease
    // is found gone and stores the new size after a new one is taken, so a
    // size read before Begin could be an earlier lease's, larger than the
    // file this lease vouches for.
    uint64_t token;
    if (!lease_.Begin(&token) || end > leased_size_.load(std::memory_order_acquire)) {
      return LeaseVerdict::kNotVouched;
    }
    const TryEnd tried = try_work();
    if (tried.how == TryEnd::kDeclined) return LeaseVerdict::kDeclined;
    if (tried.how != TryEnd::kCompleted) {
      lease_.Distrust();
      return LeaseVerdict::kNotVouched;
    }
    return lease_.Confirm(token) ? LeaseVerdict::kVouched : LeaseVerdict::kNotVouched;
  }
  template <typename Try>
  static TryEnd CallTry(void* try_work) {
    return (*static_cast<Try*>(try_work))();
  }
  // Everything but a vouching lease: { stable: true }, taking the lease, the
  // seqlock.
  AccessResult ValidatedWithoutLease(uint64_t end, bool owner, TryWork try_work, void* context);
  AccessResult Seqlocked(uint64_t end, FileState* known, TryWork try_work, void* context);
  AccessResult Stable(uint64_t end, bool owner, TryWork try_work, void* context);
  void TakeLeaseWhenHot() { TakeLease(false); }
  // for_lazy: take it now if no back-off forbids, hot or not.
  void TakeLease(bool for_lazy);

  FileHandle file_ = kNoFile;
  MapOptions options_ = {ValidationMode::kAlways, false, false, false, false, true};
  // Read-only 'always' mappings on a lease filesystem hold a read lease while
  // the file is hot. leased_size_ is the file's size when it was taken (0
  // while none is): only accesses below it may trust the lease, because a
  // remapped region can be longer than the file was then.
  FileLease lease_;
  std::atomic<uint64_t> leased_size_{0};
  // Owner thread only: when to take the lease, the state it was taken at (a
  // break that leaves it so changed nothing), and the break count then.
  LeasePolicy lease_policy_;
  FileState leased_state_;
  uint64_t breaks_at_take_ = 0;
  bool holding_lease_ = false;  // a lease was taken and not yet found gone
  // { stable: true }: the state at Map, and whether a change was seen.
  FileState initial_state_;
  std::atomic<bool> changed_{false};
  // The file's state at the end of the owner's last validated access (or at
  // Map). It doubles as the "before" of the next access, so the seqlock
  // costs one fstat per access instead of two. Owner thread only; pool
  // accesses observe their own.
  FileState last_state_;
};

}  // namespace safe_mmap
