// Compiled by test/tooling/glibc-floor.test.ts with native/glibc_floor.h force-included,
// as binding.gyp does: it calls what a future native file plausibly will (a
// watcher thread, signals, semaphores, timers, dlopen, call_once, shared_ptr,
// thread_local), so the floor holds for code that is not written yet.
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <memory>
#include <mutex>

namespace {
void* Run(void* argument) { return argument; }
struct WithDestructor {
  ~WithDestructor() { value = 0; }
  int value = 1;
};
thread_local WithDestructor per_thread;
}  // namespace

extern "C" __attribute__((visibility("default"))) int probe(int fd) {
  pthread_t thread;
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, 1 << 16);
  pthread_create(&thread, &attributes, Run, nullptr);
  pthread_join(thread, nullptr);
  pthread_create(&thread, nullptr, Run, nullptr);
  pthread_detach(thread);
  pthread_kill(pthread_self(), 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  siginfo_t info;
  timespec zero = {0, 0};
  sigtimedwait(&set, &info, &zero);
  pthread_key_t key;
  pthread_key_create(&key, nullptr);
  pthread_setspecific(key, &key);
  pthread_getspecific(key);
  pthread_key_delete(key);
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, [] {});
  static std::once_flag flag;
  std::call_once(flag, [] {});
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  pthread_mutex_t plain;
  pthread_mutex_init(&plain, nullptr);
  pthread_mutex_trylock(&plain);
  pthread_mutex_unlock(&plain);
  sem_t semaphore;
  sem_init(&semaphore, 0, 1);
  sem_wait(&semaphore);
  sem_post(&semaphore);
  sem_destroy(&semaphore);
  timer_t timer;
  sigevent event = {};
  event.sigev_notify = SIGEV_NONE;
  if (timer_create(CLOCK_MONOTONIC, &event, &timer) == 0) timer_delete(timer);
  clock_gettime(CLOCK_MONOTONIC, &zero);
  fcntl(fd, F_GETFL);
  void* library = dlopen("libm.so.6", RTLD_NOW);
  if (library != nullptr) dlsym(library, "cos");
  auto shared = std::make_shared<int>(per_thread.value);
  std::shared_ptr<int> copy = shared;
  return *copy;
}

// The stat family: GLIBC_2.33 functions in glibc, system calls under the header.
extern "C" __attribute__((visibility("default"))) long probe_stat(int fd, const char* path) {
  struct stat st;
  long sizes = 0;
  if (fstat(fd, &st) == 0) sizes += st.st_size;
  if (stat(path, &st) == 0) sizes += st.st_size;
  if (lstat(path, &st) == 0) sizes += st.st_size;
  if (::fstatat(AT_FDCWD, path, &st, 0) == 0) sizes += st.st_size;
  struct stat64 st64;
  if (fstat64(fd, &st64) == 0) sizes += st64.st_size;
  return sizes;
}
