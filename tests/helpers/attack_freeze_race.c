/*
 * attack_freeze_race DIR ITERATIONS MODE: the fd-swap race on mmap(PROT_EXEC) with the exit
 * stop's check dodged (attack_exec_mremap_race.c), by tasks the freeze (ffi/exec/freeze.zig)
 * has to find while it runs. DIR/good and DIR/bad hold `mov eax, 1; ret` and `mov eax, 42;
 * ret`; exec sandboxing allows good, denies bad. The main thread maps fd SLOT at a fixed
 * address X with PROT_READ|PROT_EXEC, ITERATIONS times. MODE:
 *
 *   threads   the fd is flipped by fresh threads, each made for one dup2 (created while a
 *             freeze runs: they must start stopped), and a mover thread, as soon as X holds
 *             anything, moves it away (mremap to Y), covers X with good (PROT_READ) and calls
 *             Y if it is executable.
 *   vfork     a flipper thread dup2s good and bad onto SLOT; a spawner thread vforks (clone
 *             CLONE_VM|CLONE_VFORK) short-lived children that run the mover in the shared
 *             memory: each is new, so each races the tracer's record of its vfork.
 *
 * Prints "WON ..." (exit 0) when the denied file's code ran, or "LOST moved=N tries=N" (exit 1).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { SLOT = 100, LEN = 4096, MOVES_PER_CHILD = 200 };
static int good_fd, bad_fd;
static volatile int stop;
static char *const X = (char *)0x200000000000;
static char *const Y = (char *)0x300000000000;
static volatile long moved;

/* Whether Y holds an executable mapping (read from /proc/self/maps with raw calls only: the
 * vfork child must not touch the parent's stdio or heap). */
static int y_executable(void) {
  static char buf[1 << 16];
  int fd = (int)syscall(SYS_open, "/proc/self/maps", O_RDONLY);
  if (fd < 0) return 0;
  long n = 0, r;
  while (n < (long)sizeof buf - 1 && (r = syscall(SYS_read, fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
  syscall(SYS_close, fd);
  buf[n] = 0;
  char *line = buf;
  while (line && *line) {
    if (strtoul(line, NULL, 16) == (unsigned long)Y) return strncmp(strchr(line, ' ') + 1, "r-x", 3) == 0;
    line = strchr(line, '\n');
    if (line) line++;
  }
  return 0;
}

/* One move: X's mapping to Y, X covered with good; true when Y's code was the denied one. */
static int move_once(void) {
  void *y = (void *)syscall(SYS_mremap, X, LEN, LEN, MREMAP_MAYMOVE | MREMAP_FIXED, Y);
  if (y == MAP_FAILED) return 0;
  syscall(SYS_mmap, X, LEN, PROT_READ, MAP_PRIVATE | MAP_FIXED, good_fd, 0);
  moved++;
  int won = y_executable() && ((int (*)(void))Y)() == 42;
  syscall(SYS_munmap, Y, LEN);
  return won;
}

static void won(const char *how) {
  static const char prefix[] = "WON ";
  syscall(SYS_write, 1, prefix, sizeof prefix - 1);
  syscall(SYS_write, 1, how, strlen(how));
  syscall(SYS_write, 1, "\n", 1);
  syscall(SYS_exit_group, 0);
}

static void *mover(void *arg) {
  (void)arg;
  while (!stop)
    if (move_once()) won("by a mover thread");
  return NULL;
}

static void *flip_once(void *arg) {
  dup2(arg != NULL ? bad_fd : good_fd, SLOT);
  return NULL;
}

static void *thread_flipper(void *arg) {
  (void)arg;
  long i = 0;
  while (!stop) {
    pthread_t t;
    if (pthread_create(&t, NULL, flip_once, (void *)(i++ & 1)) == 0) pthread_detach(t);
  }
  return NULL;
}

static void *flipper(void *arg) {
  (void)arg;
  while (!stop) {
    dup2(good_fd, SLOT);
    dup2(bad_fd, SLOT);
  }
  return NULL;
}

/* Set by a vfork child whose move ran the denied code (its exit_group would end it alone). */
static volatile int child_won;

static int child_mover(void *arg) {
  (void)arg;
  for (int i = 0; i < MOVES_PER_CHILD && !stop; i++)
    if (move_once()) {
      child_won = 1;
      break;
    }
  syscall(SYS_exit, 0);
  return 0;
}

static void *spawner(void *arg) {
  (void)arg;
  static char stack[1 << 16] __attribute__((aligned(16)));
  while (!stop) {
    int pid = clone(child_mover, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    if (pid > 0) waitpid(pid, NULL, 0);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  char path[4096];
  snprintf(path, sizeof path, "%s/good", argv[1]);
  good_fd = open(path, O_RDONLY);
  snprintf(path, sizeof path, "%s/bad", argv[1]);
  bad_fd = open(path, O_RDONLY);
  if (good_fd < 0 || bad_fd < 0) return 3;
  dup2(good_fd, SLOT);
  pthread_t a, b;
  if (strcmp(argv[3], "threads") == 0) {
    pthread_create(&a, NULL, thread_flipper, NULL);
    pthread_create(&b, NULL, mover, NULL);
  } else if (strcmp(argv[3], "vfork") == 0) {
    pthread_create(&a, NULL, flipper, NULL);
    pthread_create(&b, NULL, spawner, NULL);
  } else {
    return 2;
  }
  long tries = atol(argv[2]);
  for (long i = 0; i < tries; i++) {
    mmap(X, LEN, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, SLOT, 0);
    if (child_won) won("by a vfork child");
  }
  stop = 1;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("LOST moved=%ld tries=%ld\n", moved, tries);
  return 1;
}
