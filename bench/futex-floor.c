// The floor of a round trip between two processes by futex wait/wake on two
// words of a shared file mapping, in C with no JS: what the machine itself
// allows (bench/shared.js runs it beside the JS rows when a C compiler is
// there). Usage: futex-floor <file> <round trips>; prints nothing.
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void wait_while(uint32_t* word, uint32_t value) { syscall(SYS_futex, word, FUTEX_WAIT, value, 0, 0, 0); }
static void wake(uint32_t* word) { syscall(SYS_futex, word, FUTEX_WAKE, 1, 0, 0, 0); }

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const uint32_t rounds = (uint32_t)strtoul(argv[2], 0, 10);
  const int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, 4096) != 0) return 1;
  uint32_t* words = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (words == MAP_FAILED) return 1;
  if (fork() == 0) {  // pong
    for (uint32_t i = 1; i <= rounds; i++) {
      while (__atomic_load_n(&words[0], __ATOMIC_SEQ_CST) != i) wait_while(&words[0], i - 1);
      __atomic_store_n(&words[1], i, __ATOMIC_SEQ_CST);
      wake(&words[1]);
    }
    return 0;
  }
  for (uint32_t i = 1; i <= rounds; i++) {  // ping
    __atomic_store_n(&words[0], i, __ATOMIC_SEQ_CST);
    wake(&words[0]);
    while (__atomic_load_n(&words[1], __ATOMIC_SEQ_CST) != i) wait_while(&words[1], i - 1);
  }
  wait(0);
  return 0;
}
