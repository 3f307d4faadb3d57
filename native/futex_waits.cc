// Futex waits and wakes on shared file mappings (futex_waits.h).
#include "futex_waits.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <ctime>

#include "change_detector.h"

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449  // the same number on x86-64 and arm64 (Linux 5.16)
#endif
#ifndef FUTEX_32
#define FUTEX_32 2
#endif

namespace safe_mmap {
namespace {

std::atomic<bool> size_check_enabled{true};

// futex_waitv's element (linux/futex.h since 5.16; spelled out for older headers).
struct WaitvEntry {
  uint64_t value;
  uint64_t address;
  uint32_t flags;
  uint32_t reserved;
};

// 1: futex_waitv works; 0: untried; -1: ENOSYS (a kernel before 5.16, or
// qemu-user, which does not emulate it): the cancel word is then polled
// between slices instead.
std::atomic<int> waitv_support{0};

struct timespec ToTimespec(int64_t ns) {
  return {time_t(ns / 1000000000), long(ns % 1000000000)};
}

// One sleep until absolute_ns: 0 woken (index in *woken), or -errno.
int SleepOnce(const uint32_t* word, uint32_t expected, const std::atomic<uint32_t>* cancel,
              int64_t absolute_ns, int* woken) {
  *woken = 0;
  if (cancel != nullptr && waitv_support.load(std::memory_order_relaxed) >= 0) {
    // Shared key on the word (no FUTEX_PRIVATE_FLAG); private on our cancel word.
    WaitvEntry entries[2] = {
        {expected, uint64_t(uintptr_t(word)), FUTEX_32, 0},
        {0, uint64_t(uintptr_t(cancel)), FUTEX_32 | FUTEX_PRIVATE_FLAG, 0},
    };
    const struct timespec until = ToTimespec(absolute_ns);
    const long result = syscall(SYS_futex_waitv, entries, 2, 0, &until, CLOCK_MONOTONIC);
    if (result >= 0) {
      *woken = int(result);
      return 0;
    }
    if (errno != ENOSYS) return -errno;
    waitv_support.store(-1, std::memory_order_relaxed);
  }
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time, so a slice
  // interrupted by a signal does not stretch the timeout.
  const struct timespec until = ToTimespec(absolute_ns);
  const long result = syscall(SYS_futex, word, FUTEX_WAIT_BITSET, expected, &until, nullptr,
                              FUTEX_BITSET_MATCH_ANY);
  return result == 0 ? 0 : -errno;
}

// The file's verdict on [0, end): nothing (still there), a truncation, or an
// error of the fstat. EFAULT on a page the file still holds: unreadable.
bool FileEnded(int fd, uint64_t end, bool after_fault, WaitResult* result) {
  FileState state;
  if (int error_number = ReadFileState(fd, &state)) {
    *result = {WaitEnd::kIOError, -1, error_number};
    return true;
  }
  if (state.size < end) {
    *result = {WaitEnd::kTruncated, int64_t(state.size), 0};
    return true;
  }
  if (after_fault) {
    *result = {WaitEnd::kIOError, int64_t(state.size), 0};
    return true;
  }
  return false;
}

}  // namespace

int64_t MonotonicNanoseconds() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
}

int64_t DeadlineAfter(double timeout_ms) {
  if (std::isnan(timeout_ms) || timeout_ms >= 1e15) return -1;  // over 30,000 years: none
  const double clamped = timeout_ms < 0 ? 0 : timeout_ms;
  return MonotonicNanoseconds() + int64_t(clamped * 1e6);
}

WaitResult WaitOnWord(const uint32_t* word, uint32_t expected, int64_t deadline_ns,
                      const std::atomic<uint32_t>* cancel, int fd, uint64_t end) {
  const bool check_size = size_check_enabled.load(std::memory_order_relaxed);
  for (;;) {
    if (cancel != nullptr && cancel->load(std::memory_order_acquire) != 0) return {WaitEnd::kCancelled, -1, 0};
    const int64_t now = MonotonicNanoseconds();
    if (deadline_ns >= 0 && now >= deadline_ns) return {WaitEnd::kTimedOut, -1, 0};
    int64_t until = now + kWaitSliceMs * 1000000;
    // Without futex_waitv the cancel word is only looked at between slices.
    if (!check_size && (cancel == nullptr || waitv_support.load(std::memory_order_relaxed) >= 0)) {
      until = deadline_ns >= 0 ? deadline_ns : now + int64_t(3600) * 1000000000;
    }
    if (deadline_ns >= 0 && deadline_ns < until) until = deadline_ns;
    int woken;
    const int outcome = SleepOnce(word, expected, cancel, until, &woken);
    if (outcome == 0) {
      if (woken == 0) return {WaitEnd::kOk, -1, 0};
      continue;  // the cancel word: the loop's first check ends it
    }
    switch (-outcome) {
      case EAGAIN:
        // The caller saw the expected value just before; a notifier that
        // changed it since may already have notified, finding nobody. Like
        // the notify it probably was: 'ok'. (A cancel also lands here when
        // it came before the sleep began: the loop's first check sees it.)
        // A truncation inside the word's page also changes it (to the zeros
        // past the end), so ask the file first.
        if (cancel != nullptr && cancel->load(std::memory_order_acquire) != 0) continue;
        {
          WaitResult ended;
          if (check_size && FileEnded(fd, end, false, &ended)) return ended;
        }
        return {WaitEnd::kOk, -1, 0};
      case ETIMEDOUT:
      case EINTR: {
        WaitResult ended;
        if (check_size && FileEnded(fd, end, false, &ended)) return ended;
        continue;
      }
      case EFAULT: {
        // The kernel could not read the word: its page is gone from the file
        // (or unmapped by close(), which cancelled us first).
        if (cancel != nullptr && cancel->load(std::memory_order_acquire) != 0) continue;
        WaitResult ended;
        FileEnded(fd, end, true, &ended);
        return ended;
      }
      default:
        return {WaitEnd::kIOError, -1, -outcome};
    }
  }
}

int64_t WakeWord(const uint32_t* word, uint32_t count) {
  const long woken = syscall(SYS_futex, word, FUTEX_WAKE, count > uint32_t(INT_MAX) ? INT_MAX : int(count),
                             nullptr, nullptr, 0);
  return woken >= 0 ? int64_t(woken) : -int64_t(errno);
}

void CancelWait(std::atomic<uint32_t>* cancel) {
  cancel->store(1, std::memory_order_release);
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(cancel), FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX,
          nullptr, nullptr, 0);
}

void SetWaitSizeCheckEnabledForTesting(bool enabled) {
  size_check_enabled.store(enabled, std::memory_order_relaxed);
}

}  // namespace safe_mmap
