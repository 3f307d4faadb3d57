// Probe behind native/lease_policy.h's threshold (docs/benchmarks.md,
// "Taking the lease"): what taking a read lease and giving it back costs,
// as safe-mmap does it (F_SETSIG, F_SETOWN_EX, F_SETLEASE, the fstat that
// sizes the lease, F_UNLCK), against one fstat, the price of one access in
// fstat mode. Five interleaved rounds; run it on a file you own on a local
// filesystem:  cc -O2 -o /tmp/lease-cost lease-cost.c && /tmp/lease-cost FILE
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double NowNs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 2) return fprintf(stderr, "usage: lease-cost FILE\n"), 2;
  const int fd = open(argv[1], O_RDONLY);
  if (fd < 0) return perror("open"), 1;
  // The lease signal is blocked, as on safe-mmap's watcher thread.
  sigset_t lease_signals;
  sigemptyset(&lease_signals);
  sigaddset(&lease_signals, SIGRTMAX - 6);
  sigaddset(&lease_signals, SIGIO);
  sigprocmask(SIG_BLOCK, &lease_signals, NULL);
  struct f_owner_ex owner = {F_OWNER_TID, (pid_t)syscall(SYS_gettid)};
  struct stat st;
  const int n = 200000;
  for (int round = 0; round < 5; round++) {
    const double t0 = NowNs();
    for (int i = 0; i < n; i++) syscall(SYS_fstat, fd, &st);
    const double t1 = NowNs();
    for (int i = 0; i < n; i++) {
      fcntl(fd, F_SETSIG, SIGRTMAX - 6);
      fcntl(fd, F_SETOWN_EX, &owner);
      if (fcntl(fd, F_SETLEASE, F_RDLCK) != 0) return perror("F_SETLEASE"), 1;
      syscall(SYS_fstat, fd, &st);
      fcntl(fd, F_SETLEASE, F_UNLCK);
    }
    const double t2 = NowNs();
    printf("fstat %.0f ns; take + size + release %.0f ns: %.1f fstats\n", (t1 - t0) / n, (t2 - t1) / n,
           (t2 - t1) / (t1 - t0));
  }
  return 0;
}
