/*
 * attack_alone MODE GOOD BAD ITERS: attacks on the exec mmap of a caller alone (no exit stop,
 * ffi/exec/freeze.zig `Settled.alone`). GOOD and BAD hold raw x86_64 code returning 1 and 42.
 * Each mode maps an fd PROT_EXEC ITERS times and calls the code; prints
 * `MODE good G bad B refused R other O` (bad > 0: a denied file ran).
 *
 *   flip      a thread sharing the fd table (pthread) dup2s GOOD/BAD over fd N in a loop while
 *             the main thread maps fd N (the classic race: not alone, frozen, exit stop).
 *   nofiles   a raw clone thread (CLONE_THREAD|CLONE_VM|CLONE_SIGHAND, no CLONE_FILES: its own
 *             fd table) flips its own fd N while the main thread maps fd N, and the reverse:
 *             the main thread flips while the thread maps.
 *   vforkzl   the leader thread exits (a zombie leader: kcmp against it says "not shared"),
 *             a second thread flips fd N between GOOD and BAD, a third vforks children that
 *             map fd N and call it (exit status: the code's result).
 *   signal    a single thread: an interval timer's SIGALRM handler dup2s BAD or GOOD (in turn)
 *             over fd N while the thread maps fd N (a handler runs only before or after the call).
 *   churn     the main thread starts a short-lived detached thread (sharing the fd table) that
 *             flips fd N between BAD and GOOD a few times and exits, then maps fd N at once:
 *             the caller alone or not depending on where the flipper is (created, running,
 *             exited, reaped) at the check.
 *   mprotect  BAD mapped PROT_READ, then mprotect PROT_READ|PROT_EXEC, called.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int good_fd, bad_fd;
static const int slot = 100;
static volatile int stop_flag;
static long counts[4]; /* good, bad, refused, other */

static void tally(int r) {
  if (r == 1) counts[0]++;
  else if (r == 42) counts[1]++;
  else if (r < 0) counts[2]++;
  else counts[3]++;
}

/* Maps `fd` executable and calls it: the code's result, or -errno. */
static int map_call(int fd) {
  void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return -errno;
  int r = ((int (*)(void))p)();
  munmap(p, 4096);
  return r;
}

static void *flipper(void *arg) {
  (void)arg;
  while (!stop_flag) {
    dup2(bad_fd, slot);
    dup2(good_fd, slot);
  }
  return NULL;
}

static void report(const char *mode) {
  printf("%s good %ld bad %ld refused %ld other %ld\n", mode, counts[0], counts[1], counts[2], counts[3]);
  fflush(stdout);
}

static int mode_flip(long iters) {
  pthread_t t;
  dup2(good_fd, slot);
  pthread_create(&t, NULL, flipper, NULL);
  for (long i = 0; i < iters; i++) tally(map_call(slot));
  stop_flag = 1;
  pthread_join(t, NULL);
  report("flip");
  return 0;
}

/* nofiles: raw clone thread with its own fd table. */
static volatile int thread_role; /* 0: the thread flips, 1: the thread maps */
static volatile long thread_iters;
static volatile int thread_done;

static int raw_thread(void *arg) {
  (void)arg;
  if (thread_role == 0) {
    while (!stop_flag) {
      syscall(SYS_dup2, bad_fd, slot);
      syscall(SYS_dup2, good_fd, slot);
    }
  } else {
    for (long i = 0; i < thread_iters; i++) {
      long p = syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, slot, 0);
      if (p < 0 && p > -4096) { __atomic_add_fetch(&counts[2], 1, __ATOMIC_SEQ_CST); continue; }
      int r = ((int (*)(void))p)();
      __atomic_add_fetch(&counts[r == 1 ? 0 : r == 42 ? 1 : 3], 1, __ATOMIC_SEQ_CST);
      syscall(SYS_munmap, p, 4096);
    }
  }
  __atomic_store_n(&thread_done, 1, __ATOMIC_SEQ_CST);
  syscall(SYS_exit, 0);
  return 0;
}

static int start_raw_thread(void) {
  size_t size = 1 << 20;
  char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -1;
  int flags = CLONE_THREAD | CLONE_VM | CLONE_SIGHAND | CLONE_FS;
  int rc = clone(raw_thread, stack + size, flags, NULL);
  if (rc < 0) { printf("clone refused %d\n", errno); return -1; }
  return rc;
}

static int mode_nofiles(long iters) {
  /* Round 1: the thread flips its own table; main maps its own slot (always GOOD). */
  dup2(good_fd, slot);
  thread_role = 0;
  stop_flag = 0;
  thread_done = 0;
  if (start_raw_thread() < 0) return 3;
  for (long i = 0; i < iters; i++) tally(map_call(slot));
  stop_flag = 1;
  while (!__atomic_load_n(&thread_done, __ATOMIC_SEQ_CST)) sched_yield();
  usleep(10000);
  report("nofiles-main-maps");
  /* Round 2: main flips its table; the thread maps its own slot. */
  memset(counts, 0, sizeof counts);
  dup2(good_fd, slot);
  thread_role = 1;
  thread_iters = iters;
  thread_done = 0;
  if (start_raw_thread() < 0) return 3;
  while (!__atomic_load_n(&thread_done, __ATOMIC_SEQ_CST)) {
    dup2(bad_fd, slot);
    dup2(good_fd, slot);
  }
  usleep(10000);
  report("nofiles-thread-maps");
  return 0;
}

/* vforkzl */
static long vz_iters;
static void *vfork_mapper(void *arg) {
  (void)arg;
  for (long i = 0; i < vz_iters; i++) {
    pid_t pid = vfork();
    if (pid == 0) {
      long p = syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, slot, 0);
      if (p < 0 && p > -4096) _exit(200 + (int)(-p) % 50);
      _exit(((int (*)(void))p)());
    }
    if (pid < 0) { counts[3]++; continue; }
    int status;
    waitpid(pid, &status, 0);
    int r = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
    tally(r >= 200 && r < 255 ? -1 : r);
  }
  stop_flag = 1;
  report("vforkzl");
  exit(0);
}

static void *vz_main(void *arg) {
  (void)arg;
  pthread_t m;
  pthread_create(&m, NULL, vfork_mapper, NULL);
  flipper(NULL);
  return NULL;
}

static int mode_vforkzl(long iters) {
  vz_iters = iters;
  dup2(good_fd, slot);
  pthread_t t;
  pthread_create(&t, NULL, vz_main, NULL);
  syscall(SYS_exit, 0); /* the leader alone exits: a zombie leader */
  return 0;
}

static void on_alarm(int sig) {
  (void)sig;
  int saved = errno;
  static int flipped;
  flipped = !flipped;
  dup2(flipped ? bad_fd : good_fd, slot);
  errno = saved;
}

static int mode_signal(long iters) {
  dup2(good_fd, slot);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 50}, {0, 50}};
  setitimer(ITIMER_REAL, &it, NULL);
  for (long i = 0; i < iters; i++) tally(map_call(slot));
  report("signal");
  return 0;
}

static void *short_flipper(void *arg) {
  long n = (long)arg;
  for (long i = 0; i < n; i++) {
    dup2(bad_fd, slot);
    dup2(good_fd, slot);
  }
  if (n & 1) dup2(bad_fd, slot);
  return NULL;
}

static int mode_churn(long iters) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  for (long i = 0; i < iters; i++) {
    dup2(good_fd, slot);
    pthread_t t;
    if (pthread_create(&t, &attr, short_flipper, (void *)(i % 64)) != 0) {
      counts[3]++;
      continue;
    }
    tally(map_call(slot));
  }
  report("churn");
  return 0;
}

static int mode_mprotect(void) {
  void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, bad_fd, 0);
  if (p == MAP_FAILED) { printf("mprotect: mmap read refused %d\n", errno); return 0; }
  if (mprotect(p, 4096, PROT_READ | PROT_EXEC) != 0) { printf("mprotect refused %d\n", errno); return 0; }
  printf("mprotect ran %d\n", ((int (*)(void))p)());
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 5) return 2;
  good_fd = open(argv[2], O_RDONLY | O_CLOEXEC);
  bad_fd = open(argv[3], O_RDONLY | O_CLOEXEC);
  if (good_fd < 0 || bad_fd < 0) return 3;
  long iters = atol(argv[4]);
  setvbuf(stdout, NULL, _IONBF, 0);
  if (!strcmp(argv[1], "flip")) return mode_flip(iters);
  if (!strcmp(argv[1], "nofiles")) return mode_nofiles(iters);
  if (!strcmp(argv[1], "vforkzl")) return mode_vforkzl(iters);
  if (!strcmp(argv[1], "signal")) return mode_signal(iters);
  if (!strcmp(argv[1], "churn")) return mode_churn(iters);
  if (!strcmp(argv[1], "mprotect")) return mode_mprotect();
  return 2;
}
