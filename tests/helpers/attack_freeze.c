/*
 * attack_freeze MODE ARGS: attacks on the freeze around an executable mmap (ffi/exec/freeze.zig)
 * and on the tracer that runs it. Files hold raw x86_64 code (`mov eax, N; ret`). Modes:
 *
 *   deleted FILE          open FILE read-only, unlink it, mmap(PROT_READ|PROT_EXEC) the fd and
 *                         call it: `ran N`, or `refused mmap ERRNO`.
 *   populate GIB CODE [SLEEPERS]
 *                         a thread populates GIB GiB of anonymous read-only memory with the zero
 *                         page (madvise MADV_POPULATE_READ: one long call a PTRACE_INTERRUPT
 *                         does not cut short, only fatal signals stop a populate), while the
 *                         main thread maps CODE executable (SLEEPERS more threads asleep in
 *                         pause(2) beside): prints `mmap ERRNO|ok MS` (EAGAIN: the freeze gave up).
 *   popexec FILE GIB      mmap(PROT_READ|PROT_EXEC, MAP_POPULATE) of GIB GiB of FILE (/dev/zero:
 *                         the zero page, private): the tracer waits for its exit stop
 *                         (serve_next) for the whole populate; prints `popexec ok|ERRNO MS`.
 *   victim CODE SECONDS   maps CODE executable (and unmaps it) over and over for SECONDS; prints
 *                         `victim N max MS` (the slowest mmap, in milliseconds) and any errno.
 *   procmem GOOD BAD      maps GOOD executable (judged, allowed), then writes BAD's first bytes
 *                         over it through /proc/self/mem (the kernel's FOLL_FORCE writes
 *                         into a read-only private mapping) and calls it: `ran N` or
 *                         `refused STEP ERRNO`.
 *   nodump CODE           the process made non-dumpable (PR_SET_DUMPABLE 0, as ssh-agent and
 *                         gpg-agent do), a thread asleep in pause(2), the main thread maps
 *                         CODE executable: prints `mmap ERRNO|ok MS`.
 *   eintr CODE            a thread waits in epoll_wait(2) with no timeout on nothing; the main
 *                         thread maps CODE executable, then waits a moment: prints `epoll
 *                         EINTR` if the wait was cut short (the freeze's PTRACE_INTERRUPT is
 *                         seen by the program), else `epoll asleep`.
 *   vforkfill N SECONDS   N threads each vfork (clone CLONE_VM|CLONE_VFORK) a child that sleeps
 *                         SECONDS: N live vforks at once, in the tracer's table of them; prints
 *                         `filled N` once they all run, and ends after SECONDS.
 *   vforkdos N PROG       a forked child holds N live vforks (as vforkfill, for 3 s) while this
 *                         process posix_spawns PROG: prints `spawn status STATUS`.
 *   spawn PROG            posix_spawn(3) PROG (glibc: clone CLONE_VM|CLONE_VFORK) and wait for
 *                         it: prints `spawn status STATUS` (the raw wait status).
 *   vforkmap CODE         a vfork child (clone CLONE_VM|CLONE_VFORK, its own stack) maps CODE
 *                         executable and calls it, in its parent's memory; the parent prints
 *                         `vfork ran N` or `vfork refused mmap ERRNO` (the child's result).
 *   parentvfork           clone(CLONE_VM|CLONE_VFORK|CLONE_PARENT): a vfork child made a
 *                         sibling; prints `clone ok` or `clone refused ERRNO`.
 *   idle CODE HOGS        a thread at SCHED_IDLE spins while HOGS forked processes spin at the
 *                         normal priority; the main thread maps CODE executable: prints `mmap
 *                         ERRNO|ok MS`.
 *
 * Exit 0 whatever the outcome (the output says it), 2 for bad arguments, 3 for a setup failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int call(void *code) {
  int (*fn)(void) = (int (*)(void))code;
  printf("ran %d\n", fn());
  return 0;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

static size_t populate_len;
static volatile int populating;

static void *populator(void *arg) {
  (void)arg;
  char *p = mmap(NULL, populate_len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    populating = 2;
    return NULL;
  }
  madvise(p, populate_len, MADV_NOHUGEPAGE); /* a page table entry per 4 KiB: slow enough */
  populating = 1;
  madvise(p, populate_len, MADV_POPULATE_READ);
  populating = 2;
  munmap(p, populate_len);
  return NULL;
}

/* Maps CODE executable once; prints the outcome and its time. */
static int preopened = -1;

static void map_once(const char *label, const char *code) {
  int fd = preopened >= 0 ? preopened : open(code, O_RDONLY);
  if (fd < 0) {
    printf("refused open %d\n", errno);
    exit(0);
  }
  double t0 = now_ms();
  void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  double ms = now_ms() - t0;
  if (p == MAP_FAILED) {
    printf("%s %d %.0f\n", label, errno, ms);
  } else {
    printf("%s ok %.0f\n", label, ms);
    munmap(p, 4096);
  }
  close(fd);
}

static void *sleeper(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static volatile int epoll_errno = -1;

static void *epoller(void *arg) {
  (void)arg;
  int ep = epoll_create1(0);
  struct epoll_event ev;
  int n = epoll_wait(ep, &ev, 1, -1);
  epoll_errno = n < 0 ? errno : 0;
  return NULL;
}

static volatile int vforked;
static int vfork_seconds;

static int vfork_child(void *arg) {
  (void)arg;
  __atomic_add_fetch(&vforked, 1, __ATOMIC_SEQ_CST);
  struct timespec ts = {.tv_sec = vfork_seconds, .tv_nsec = 0};
  syscall(SYS_nanosleep, &ts, NULL);
  syscall(SYS_exit, 0);
  return 0;
}

/* vforkmap: the child's result, written in the shared memory before it exits. */
static const char *vfork_map_path;
static volatile int vfork_map_result = -1000;

static int vfork_mapper(void *arg) {
  (void)arg;
  int fd = open(vfork_map_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    vfork_map_result = -10000 - errno;
  } else {
    void *code = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    if (code == MAP_FAILED) {
      vfork_map_result = -errno;
    } else {
      vfork_map_result = ((int (*)(void))code)();
    }
  }
  syscall(SYS_exit, 0);
  return 0;
}

static void *vforker(void *arg) {
  (void)arg;
  size_t len = 64 * 1024;
  char *stack = malloc(len);
  if (stack == NULL) return NULL;
  int pid = clone(vfork_child, stack + len, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
  if (pid > 0) waitpid(pid, NULL, 0);
  return NULL;
}

static volatile int spin_stop;

static void *idle_spinner(void *arg) {
  (void)arg;
  struct sched_param sp = {0};
  if (sched_setscheduler(0, SCHED_IDLE, &sp) != 0) {
    printf("sched_setscheduler %d\n", errno);
  }
  while (!spin_stop) {
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "parentvfork") == 0) {
    size_t len = 64 * 1024;
    char *stack = malloc(len);
    if (stack == NULL) return 3;
    int pid = clone(vfork_child, stack + len, CLONE_VM | CLONE_VFORK | CLONE_PARENT | SIGCHLD, NULL);
    if (pid < 0) printf("clone refused %d\n", errno);
    else printf("clone ok\n");
    return 0;
  }
  if (argc < 3) return 2;
  const char *mode = argv[1];
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (strcmp(mode, "deleted") == 0) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) return 3;
    if (unlink(argv[2]) != 0) {
      printf("refused unlink %d\n", errno);
      return 0;
    }
    void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      printf("refused mmap %d\n", errno);
      return 0;
    }
    return call(p);
  }
  if (strcmp(mode, "procmem") == 0 && argc == 4) {
    int fd = open(argv[2], O_RDONLY), bad = open(argv[3], O_RDONLY);
    if (fd < 0 || bad < 0) return 3;
    unsigned char code[16];
    if (read(bad, code, sizeof code) != (ssize_t)sizeof code) return 3;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      printf("refused mmap %d\n", errno);
      return 0;
    }
    int mem = open("/proc/self/mem", O_RDWR);
    if (mem < 0) {
      printf("refused open %d\n", errno);
      return 0;
    }
    if (pwrite(mem, code, sizeof code, (off_t)(unsigned long)p) != (ssize_t)sizeof code) {
      printf("refused pwrite %d\n", errno);
      return 0;
    }
    return call(p);
  }
  if (strcmp(mode, "nodump") == 0) {
    preopened = open(argv[2], O_RDONLY); /* before: syd cannot open for a non-dumpable caller */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
      printf("refused prctl %d\n", errno);
      return 0;
    }
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    usleep(100 * 1000);
    map_once("mmap", argv[2]);
    return 0;
  }
  if (strcmp(mode, "eintr") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, epoller, NULL);
    usleep(100 * 1000);
    map_once("mmap", argv[2]);
    usleep(300 * 1000);
    if (epoll_errno == EINTR) {
      printf("epoll EINTR\n");
    } else {
      printf("epoll asleep %d\n", epoll_errno);
    }
    return 0;
  }
  if (strcmp(mode, "vforkfill") == 0 && argc == 4) {
    int n = atoi(argv[2]);
    vfork_seconds = atoi(argv[3]);
    if (n <= 0 || n > 1024) return 2;
    pthread_t *threads = calloc(n, sizeof *threads);
    for (int i = 0; i < n; i++) pthread_create(&threads[i], NULL, vforker, NULL);
    while (vforked < n) usleep(1000);
    printf("filled %d\n", n);
    for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
    return 0;
  }
  if (strcmp(mode, "vforkdos") == 0 && argc == 4) {
    int n = atoi(argv[2]);
    if (n <= 0 || n > 1024) return 2;
    int ready[2];
    if (pipe(ready) != 0) return 3;
    pid_t holder = fork();
    if (holder == 0) {
      vfork_seconds = 3;
      pthread_t *threads = calloc(n, sizeof *threads);
      for (int i = 0; i < n; i++) pthread_create(&threads[i], NULL, vforker, NULL);
      while (vforked < n) usleep(1000);
      if (write(ready[1], "x", 1) != 1) _exit(3);
      for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
      _exit(0);
    }
    char byte;
    if (read(ready[0], &byte, 1) != 1) return 3;
    pid_t pid;
    char *args[] = {argv[3], NULL};
    int rc = posix_spawn(&pid, argv[3], NULL, NULL, args, environ);
    if (rc != 0) {
      printf("refused posix_spawn %d\n", rc);
    } else {
      int status = 0;
      waitpid(pid, &status, 0);
      printf("spawn status %d\n", status);
    }
    waitpid(holder, NULL, 0);
    return 0;
  }
  if (strcmp(mode, "vforkmap") == 0) {
    vfork_map_path = argv[2];
    size_t len = 64 * 1024;
    char *stack = malloc(len);
    if (stack == NULL) return 3;
    int pid = clone(vfork_mapper, stack + len, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    if (pid < 0) return 3;
    waitpid(pid, NULL, 0);
    if (vfork_map_result >= 0) printf("vfork ran %d\n", vfork_map_result);
    else if (vfork_map_result > -10000) printf("vfork refused mmap %d\n", -vfork_map_result);
    else printf("vfork refused open %d\n", -10000 - vfork_map_result);
    return 0;
  }
  if (strcmp(mode, "spawn") == 0) {
    pid_t pid;
    char *args[] = {argv[2], NULL};
    int rc = posix_spawn(&pid, argv[2], NULL, NULL, args, environ);
    if (rc != 0) {
      printf("refused posix_spawn %d\n", rc);
      return 0;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("spawn status %d\n", status);
    return 0;
  }
  if (strcmp(mode, "populate") == 0 && (argc == 4 || argc == 5)) {
    populate_len = (size_t)atol(argv[2]) << 30;
    int sleepers = argc == 5 ? atoi(argv[4]) : 0;
    for (int i = 0; i < sleepers; i++) {
      pthread_t s;
      if (pthread_create(&s, NULL, sleeper, NULL) != 0) return 3;
    }
    pthread_t t;
    pthread_create(&t, NULL, populator, NULL);
    while (populating == 0) {
    }
    usleep(100 * 1000); /* well inside the populate */
    map_once("mmap", argv[3]);
    pthread_join(t, NULL);
    return 0;
  }
  if (strcmp(mode, "popexec") == 0 && argc == 4) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) return 3;
    size_t len = (size_t)atol(argv[3]) << 30;
    double t0 = now_ms();
    void *p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_POPULATE | MAP_NORESERVE, fd, 0);
    double ms = now_ms() - t0;
    if (p == MAP_FAILED) {
      printf("popexec %d %.0f\n", errno, ms);
    } else {
      printf("popexec ok %.0f\n", ms);
    }
    return 0;
  }
  if (strcmp(mode, "victim") == 0 && argc == 4) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) return 3;
    double end = now_ms() + atof(argv[3]) * 1e3, worst = 0;
    long n = 0, failed = 0;
    int last_errno = 0;
    while (now_ms() < end) {
      double t0 = now_ms();
      void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
      double ms = now_ms() - t0;
      if (ms > worst) worst = ms;
      if (p == MAP_FAILED) {
        failed++;
        last_errno = errno;
      } else {
        munmap(p, 4096);
      }
      n++;
      usleep(1000);
    }
    printf("victim %ld max %.0f failed %ld errno %d\n", n, worst, failed, last_errno);
    return 0;
  }
  if (strcmp(mode, "idle") == 0 && argc == 4) {
    int hogs = atoi(argv[3]);
    pid_t pids[256];
    if (hogs > 256) return 2;
    for (int i = 0; i < hogs; i++) {
      pids[i] = fork();
      if (pids[i] == 0) {
        for (;;) {
        }
      }
    }
    pthread_t t;
    pthread_create(&t, NULL, idle_spinner, NULL);
    usleep(200 * 1000);
    map_once("mmap", argv[2]);
    spin_stop = 1;
    for (int i = 0; i < hogs; i++) kill(pids[i], SIGKILL);
    for (int i = 0; i < hogs; i++) waitpid(pids[i], NULL, 0);
    pthread_join(t, NULL);
    return 0;
  }
  return 2;
}
