// The glibc floor: binding.gyp force-includes this header (-include) before
// anything else in every native source on Linux, so a new file gets it without
// thought. It makes the addon built here (glibc 2.36, Debian bookworm, native
// and aarch64 cross) load on glibc 2.28 (RHEL 8, Debian 10/11, Ubuntu 20.04),
// the oldest glibc that Node 18+ runs on. test/tooling/glibc-floor.test.ts reads every
// built addon's dynamic symbol table and fails on any version above the floor;
// it also checks that each pin below names one implementation under two names.
//
// Three tools, one per kind of symbol:
//  1. Pins. glibc 2.34 moved libpthread, libdl and librt into libc and gave
//     those functions a new default version (GLIBC_2.34; pthread_sigmask got
//     GLIBC_2.32), keeping the old version as an alias of the same code. A
//     `.symver` directive binds our references to the old version, which every
//     glibc since the architecture's first has (the first, or for x86-64's
//     timers the POSIX ABI of 2.3.3). Only symbols whose new version
//     is above 2.28 and whose old one is the same function are pinned (one
//     exception, pthread_kill, said where it is pinned): never
//     pthread_cond_* (their default is 2.3.2, the base version is the old
//     LinuxThreads ABI).
//  2. A rename for __libc_single_threaded (GLIBC_2.32, a variable: no older
//     version to pin). libstdc++'s headers read it for shared_ptr/locale
//     reference counts when glibc declares it; here they read our own copy,
//     always 0 ("maybe multi-threaded"), so counts are always atomic: correct
//     everywhere, as before glibc 2.32.
//  3. System calls for stat, fstat, lstat and fstatat (and their 64 forms):
//     GLIBC_2.33, before which they were inline wrappers of __fxstat, so
//     there is nothing to pin. Function-like macros send every call of them
//     to inline functions that make the system call (newfstatat, or fstat),
//     which fill the same struct stat on x86-64 and aarch64; `struct stat`
//     itself is untouched (a function-like macro needs a parenthesis).
//     Nothing is done for gettid, close_range, arc4random, __memcmpeq,
//     pidfd_*, ... (2.30 and later): call them with syscall(2). The symbol
//     test fails when one of them creeps in.
// fcntl64 (GLIBC_2.28, what fcntl is with a 64-bit off_t) is at the floor.
// libstdc++ has a floor too (GLIBCXX 3.4.25): GCC 12's allocator calls
// std::__throw_bad_array_new_length (GLIBCXX_3.4.29) for an array whose
// length is known only at run time, as std::unordered_map's buckets are, so
// the addon keeps its tables in std::map.
#ifndef SAFE_MMAP_GLIBC_FLOOR_H_
#define SAFE_MMAP_GLIBC_FLOOR_H_

#if defined(__linux__)
#include <features.h>  // defines __GLIBC__; includes nothing with a symbol
#endif

#if defined(__linux__) && defined(__GLIBC__)

// The version each architecture's glibc started at: the old names live there.
// x86-64's first timer_* (GLIBC_2.2.5) are an older ABI kept for old
// binaries; the POSIX ones it has had since are GLIBC_2.3.3.
#if defined(__x86_64__)
#define SAFE_MMAP_GLIBC_BASE "GLIBC_2.2.5"
#define SAFE_MMAP_GLIBC_TIMERS "GLIBC_2.3.3"
#elif defined(__aarch64__)
#define SAFE_MMAP_GLIBC_BASE "GLIBC_2.17"
#define SAFE_MMAP_GLIBC_TIMERS "GLIBC_2.17"
#endif

#if defined(SAFE_MMAP_GLIBC_BASE)
// A pin only changes how a reference binds; a file that never calls the
// function gets no symbol from it.
#define SAFE_MMAP_PIN_TO(symbol, version) __asm__(".symver " #symbol "," #symbol "@" version)
#define SAFE_MMAP_PIN(symbol) SAFE_MMAP_PIN_TO(symbol, SAFE_MMAP_GLIBC_BASE)

// Threads (pthread_create/join/detach/kill/sigmask: a watcher thread; once and
// keys: std::call_once and thread_local destructors).
SAFE_MMAP_PIN(pthread_create);
SAFE_MMAP_PIN(pthread_join);
SAFE_MMAP_PIN(pthread_detach);
// The one pin that is not an alias: glibc 2.34 kept the old pthread_kill as
// a compat function with the pre-2.34 behaviour for a thread that has exited
// (ESRCH); which is what every system at the floor does anyway.
SAFE_MMAP_PIN(pthread_kill);
SAFE_MMAP_PIN(pthread_sigmask);
SAFE_MMAP_PIN(pthread_cancel);
SAFE_MMAP_PIN(pthread_testcancel);
SAFE_MMAP_PIN(pthread_getattr_np);
SAFE_MMAP_PIN(pthread_getcpuclockid);
SAFE_MMAP_PIN(pthread_attr_getguardsize);
SAFE_MMAP_PIN(pthread_attr_setguardsize);
SAFE_MMAP_PIN(pthread_attr_getstack);
SAFE_MMAP_PIN(pthread_attr_setstack);
SAFE_MMAP_PIN(pthread_attr_getstacksize);
SAFE_MMAP_PIN(pthread_attr_setstacksize);
SAFE_MMAP_PIN(pthread_once);
SAFE_MMAP_PIN(pthread_key_create);
SAFE_MMAP_PIN(__pthread_key_create);  // libstdc++'s gthreads refer to it weakly
SAFE_MMAP_PIN(pthread_key_delete);
SAFE_MMAP_PIN(pthread_getspecific);
SAFE_MMAP_PIN(pthread_setspecific);
// Locks (pthread_mutex_lock/unlock and pthread_cond_* are not pinned: their
// default version is already old).
SAFE_MMAP_PIN(pthread_mutex_trylock);
SAFE_MMAP_PIN(pthread_mutex_timedlock);
SAFE_MMAP_PIN(pthread_mutexattr_init);
SAFE_MMAP_PIN(pthread_mutexattr_destroy);
SAFE_MMAP_PIN(pthread_mutexattr_settype);
SAFE_MMAP_PIN(pthread_mutexattr_gettype);
SAFE_MMAP_PIN(pthread_mutexattr_setpshared);
SAFE_MMAP_PIN(pthread_mutexattr_getpshared);
SAFE_MMAP_PIN(pthread_rwlock_init);
SAFE_MMAP_PIN(pthread_rwlock_destroy);
SAFE_MMAP_PIN(pthread_rwlock_rdlock);
SAFE_MMAP_PIN(pthread_rwlock_wrlock);
SAFE_MMAP_PIN(pthread_rwlock_tryrdlock);
SAFE_MMAP_PIN(pthread_rwlock_trywrlock);
SAFE_MMAP_PIN(pthread_rwlock_timedrdlock);
SAFE_MMAP_PIN(pthread_rwlock_timedwrlock);
SAFE_MMAP_PIN(pthread_rwlock_unlock);
SAFE_MMAP_PIN(pthread_spin_init);
SAFE_MMAP_PIN(pthread_spin_destroy);
SAFE_MMAP_PIN(pthread_spin_lock);
SAFE_MMAP_PIN(pthread_spin_trylock);
SAFE_MMAP_PIN(pthread_spin_unlock);
SAFE_MMAP_PIN(pthread_barrier_init);
SAFE_MMAP_PIN(pthread_barrier_destroy);
SAFE_MMAP_PIN(pthread_barrier_wait);
// Semaphores.
SAFE_MMAP_PIN(sem_init);
SAFE_MMAP_PIN(sem_destroy);
SAFE_MMAP_PIN(sem_wait);
SAFE_MMAP_PIN(sem_trywait);
SAFE_MMAP_PIN(sem_timedwait);
SAFE_MMAP_PIN(sem_post);
SAFE_MMAP_PIN(sem_getvalue);
SAFE_MMAP_PIN(sem_open);
SAFE_MMAP_PIN(sem_close);
SAFE_MMAP_PIN(sem_unlink);
// Timers and shared memory (librt before 2.34).
SAFE_MMAP_PIN_TO(timer_create, SAFE_MMAP_GLIBC_TIMERS);
SAFE_MMAP_PIN_TO(timer_delete, SAFE_MMAP_GLIBC_TIMERS);
SAFE_MMAP_PIN_TO(timer_settime, SAFE_MMAP_GLIBC_TIMERS);
SAFE_MMAP_PIN_TO(timer_gettime, SAFE_MMAP_GLIBC_TIMERS);
SAFE_MMAP_PIN_TO(timer_getoverrun, SAFE_MMAP_GLIBC_TIMERS);
SAFE_MMAP_PIN(shm_open);
SAFE_MMAP_PIN(shm_unlink);
// The dynamic loader (libdl before 2.34).
SAFE_MMAP_PIN(dlopen);
SAFE_MMAP_PIN(dlclose);
SAFE_MMAP_PIN(dlsym);
SAFE_MMAP_PIN(dlvsym);
SAFE_MMAP_PIN(dlerror);
SAFE_MMAP_PIN(dladdr);

#undef SAFE_MMAP_PIN
#undef SAFE_MMAP_PIN_TO
#endif  // SAFE_MMAP_GLIBC_BASE

// Before glibc 2.34 the pinned functions lived in libpthread.so.0, libdl.so.2
// and librt.so.1; binding.gyp links those (empty stubs on newer glibc), so the
// old names resolve whatever process loads the addon.

// The rename (2. above). It must come before <sys/single_threaded.h>, which
// this header, included first, does. One weak, hidden definition per file;
// the linker keeps one.
#define __libc_single_threaded safe_mmap_libc_single_threaded
#ifdef __cplusplus
extern "C" {
#endif
__attribute__((weak, visibility("hidden"))) char safe_mmap_libc_single_threaded = 0;
#ifdef __cplusplus
}
#endif

// The stat family (3. above). Their declarations come first, so that the
// macros below do not rename them.
#if defined(SAFE_MMAP_GLIBC_BASE)
#include <fcntl.h>        // AT_FDCWD, AT_SYMLINK_NOFOLLOW
#include <sys/stat.h>
#include <sys/syscall.h>  // SYS_newfstatat, SYS_fstat
#include <unistd.h>       // syscall

static inline int safe_mmap_fstatat(int directory, const char* path, struct stat* st, int flags) {
  return (int)syscall(SYS_newfstatat, directory, path, st, flags);
}
static inline int safe_mmap_fstat(int fd, struct stat* st) { return (int)syscall(SYS_fstat, fd, st); }
static inline int safe_mmap_stat(const char* path, struct stat* st) {
  return safe_mmap_fstatat(AT_FDCWD, path, st, 0);
}
static inline int safe_mmap_lstat(const char* path, struct stat* st) {
  return safe_mmap_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}
#define fstatat(directory, path, st, flags) safe_mmap_fstatat(directory, path, st, flags)
#define fstat(fd, st) safe_mmap_fstat(fd, st)
#define stat(path, st) safe_mmap_stat(path, st)
#define lstat(path, st) safe_mmap_lstat(path, st)
// struct stat64 is struct stat on both architectures.
#define fstatat64(directory, path, st, flags) safe_mmap_fstatat(directory, path, (struct stat*)(st), flags)
#define fstat64(fd, st) safe_mmap_fstat(fd, (struct stat*)(st))
#define stat64(path, st) safe_mmap_stat(path, (struct stat*)(st))
#define lstat64(path, st) safe_mmap_lstat(path, (struct stat*)(st))
#endif  // SAFE_MMAP_GLIBC_BASE

#endif  // __linux__ && __GLIBC__
#endif  // SAFE_MMAP_GLIBC_FLOOR_H_
