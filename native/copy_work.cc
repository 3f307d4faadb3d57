// The work kernels run under the guard (declared in copy_work.h, with their
// contract): the bytes that leave or enter a mapping through the bindings.
#include "copy_work.h"

#include <cstring>

namespace safe_mmap {

// In slices: above a threshold derived from the L3 size, glibc's memcpy
// switches to non-temporal stores, and into a freshly allocated destination
// (a large snapshot) that was 25% slower here (1 GiB: 660 ms against 520).
void CopyOut(uint8_t* mapped, size_t length, void* destination) {
  constexpr size_t kSlice = size_t(16) << 20;
  uint8_t* out = static_cast<uint8_t*>(destination);
  for (size_t done = 0; done < length; done += kSlice) {
    memcpy(out + done, mapped + done, length - done < kSlice ? length - done : kSlice);
  }
}

// The copy of a numeric read (1 to 8 bytes). Fixed-size memcpy compiles to
// single loads and stores; a call into memmove would cost more than the copy.
void CopyOutSmall(uint8_t* mapped, size_t length, void* destination) {
  uint8_t* out = static_cast<uint8_t*>(destination);
  switch (length) {
    case 1: *out = *mapped; return;
    case 2: memcpy(out, mapped, 2); return;
    case 4: memcpy(out, mapped, 4); return;
    case 8: memcpy(out, mapped, 8); return;
    default:
      for (size_t i = 0; i < length; ++i) out[i] = mapped[i];
  }
}

void CopyIn(uint8_t* mapped, size_t length, void* source) {
  memcpy(mapped, source, length);
}

void Fill(uint8_t* mapped, size_t length, void* job_pointer) {
  const FillJob* job = static_cast<const FillJob*>(job_pointer);
  if (job->pattern_length == 1) {
    memset(mapped, job->pattern[0], length);
    return;
  }
  for (size_t done = 0; done < length; done += job->pattern_length) {
    const size_t count = length - done < job->pattern_length ? length - done : job->pattern_length;
    memcpy(mapped + done, job->pattern, count);
  }
}

void Compare(uint8_t* source, size_t length, void* job_pointer) {
  CompareJob* job = static_cast<CompareJob*>(job_pointer);
  job->result = memcmp(source, job->other, length);
}

}  // namespace safe_mmap
