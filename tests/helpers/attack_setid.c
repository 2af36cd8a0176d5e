/* attack_setid: a hostile sandboxed program against SafeSetID (setuid+, setgid+), run as root
 * under transits 0:65534. Each mode prints `NAME=0` / `NAME=ERRNO` per call (or counts) and,
 * where it matters, the ids it ends with (`ids=R/E/S gids=R/E/S groups=N`).
 *
 *   keepcaps PATH        PR_SET_KEEPCAPS, drop to nobody, raise the kept caps, setfsuid(0),
 *                        open PATH, then setresuid(1000 x3) (no transit: must kill)
 *   high HI LO           raw setuid((HI << 32) | LO): the kernel reads the low 32 bits
 *   highres HI LO        raw setresuid of that id thrice
 *   int80 NR A B         the i386 ABI's call NR (int $0x80) with ebx=A, ecx=B (213: setuid32,
 *                        206: setgroups32, 23: setuid16)
 *   comm PATH            drop, rename itself "\nUid:\t0\t0\t0\t0", open PATH
 *   groups               setgroups with bad pointers, huge and negative counts, a real list
 *   groupsrace N         N setgroups([0, 4, 27]) while a thread rewrites the list: groups after each
 *   leak PATH N          fork: the child drops to nobody and opens PATH N times (successes
 *                        counted), the parent (root) opens it N times (failures counted)
 *   threads PATH N       one thread drops to nobody by a raw setresuid (its own credentials
 *                        only) and opens PATH N times; the main thread (root) meanwhile too
 *   threadkill           a second thread calls raw setuid(1000) (no transit), then prints
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *name, long rc) {
  if (rc >= 0) printf("%s=0\n", name);
  else printf("%s=%d\n", name, errno);
  fflush(stdout);
}

static void ids(void) {
  uid_t r, e, s;
  gid_t gr, ge, gs;
  getresuid(&r, &e, &s);
  getresgid(&gr, &ge, &gs);
  printf("ids=%u/%u/%u gids=%u/%u/%u groups=%d fsuid=%ld\n", r, e, s, gr, ge, gs,
         getgroups(0, NULL), syscall(SYS_setfsuid, -1));
  fflush(stdout);
}

static void drop(void) {
  if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
    printf("drop failed %d\n", errno);
    exit(3);
  }
}

static void try_open(const char *name, const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("%s=%d\n", name, errno);
  } else {
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("%s=0 read=%s\n", name, n > 0 ? buf : "");
    close(fd);
  }
  fflush(stdout);
}

static long int80(long nr, long a, long b) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b) : "memory");
  return ret;
}

static atomic_int stop_flag;
static gid_t race_list[3] = {0, 4, 27};

static void *flipper(void *arg) {
  (void)arg;
  while (!atomic_load(&stop_flag)) {
    race_list[0] = race_list[0] == 0 ? 1 : 0;
    race_list[1] ^= 6;
  }
  return NULL;
}

static const char *loop_path;
static long loop_count;
static atomic_long thread_opened;
static atomic_int thread_ready;

static void *nobody_thread(void *arg) {
  (void)arg;
  long rc = syscall(SYS_setresuid, 65534, 65534, 65534);
  if (rc != 0) {
    printf("thread setresuid=%d\n", errno);
    fflush(stdout);
  }
  atomic_store(&thread_ready, 1);
  long opened = 0;
  for (long i = 0; i < loop_count; i++) {
    int fd = open(loop_path, O_RDONLY);
    if (fd >= 0) {
      opened++;
      close(fd);
    }
  }
  atomic_store(&thread_opened, opened);
  return NULL;
}

static void *killed_thread(void *arg) {
  (void)arg;
  long rc = syscall(SYS_setuid, 1000);
  printf("thread survived rc=%ld errno=%d\n", rc, errno);
  fflush(stdout);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *mode = argv[1];
  if (strcmp(mode, "keepcaps") == 0 && argc == 3) {
    report("keepcaps", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    drop();
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    syscall(SYS_capget, &h, d);
    printf("permitted=%x\n", d[0].permitted);
    d[0].effective = d[0].permitted;
    report("capset", syscall(SYS_capset, &h, d));
    report("setfsuid0", syscall(SYS_setfsuid, 0) == 0 ? 0 : -1);
    ids();
    try_open("open", argv[2]);
    report("setresuid1000", setresuid(1000, 1000, 1000));
    ids();
  } else if ((strcmp(mode, "high") == 0 || strcmp(mode, "highres") == 0) && argc == 4) {
    uint64_t id = (strtoull(argv[2], NULL, 0) << 32) | strtoull(argv[3], NULL, 0);
    if (strcmp(mode, "high") == 0) report("setuid", syscall(SYS_setuid, id));
    else report("setresuid", syscall(SYS_setresuid, id, id, id));
    ids();
  } else if (strcmp(mode, "int80") == 0 && argc == 5) {
    static gid_t list[2] = {0, 1000};
    long b = strtol(argv[4], NULL, 0);
    long ret = int80(strtol(argv[2], NULL, 0), strtol(argv[3], NULL, 0), b == -2 ? (long)(uintptr_t)list : b);
    printf("int80=%ld\n", ret);
    ids();
  } else if (strcmp(mode, "comm") == 0 && argc == 3) {
    drop();
    report("setname", prctl(PR_SET_NAME, "\nUid:\t0\t0\t0\t0", 0, 0, 0));
    try_open("open", argv[2]);
  } else if (strcmp(mode, "groups") == 0) {
    static gid_t big[70000];
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) big[i] = (gid_t)(i % 1000);
    report("bad_pointer", syscall(SYS_setgroups, 1, (void *)1));
    report("huge", syscall(SYS_setgroups, 70000, big));
    report("max", syscall(SYS_setgroups, 65536, big));
    report("negative", syscall(SYS_setgroups, -1L, big));
    report("high_count", syscall(SYS_setgroups, (1UL << 32) | 3, big));
    report("list", syscall(SYS_setgroups, 3, big));
    ids();
  } else if (strcmp(mode, "groupsrace") == 0 && argc == 3) {
    long n = strtol(argv[2], NULL, 10);
    pthread_t t;
    pthread_create(&t, NULL, flipper, NULL);
    long kept = 0, failed = 0;
    for (long i = 0; i < n; i++) {
      if (syscall(SYS_setgroups, 3, race_list) != 0) failed++;
      if (syscall(SYS_getgroups, 0, NULL) != 0) kept++;
    }
    atomic_store(&stop_flag, 1);
    pthread_join(t, NULL);
    printf("calls=%ld failed=%ld kept=%ld\n", n, failed, kept);
    ids();
  } else if (strcmp(mode, "leak") == 0 && argc == 4) {
    long n = strtol(argv[3], NULL, 10);
    pid_t child = fork();
    if (child == 0) {
      drop();
      long opened = 0;
      for (long i = 0; i < n; i++) {
        int fd = open(argv[2], O_RDONLY);
        if (fd >= 0) {
          opened++;
          close(fd);
        }
      }
      printf("nobody_opened=%ld\n", opened);
      fflush(stdout);
      _exit(0);
    }
    long failed = 0;
    for (long i = 0; i < n; i++) {
      int fd = open(argv[2], O_RDONLY);
      if (fd < 0) failed++;
      else close(fd);
    }
    int status;
    waitpid(child, &status, 0);
    printf("root_failed=%ld child=%d\n", failed, status);
  } else if (strcmp(mode, "threads") == 0 && argc == 4) {
    loop_path = argv[2];
    loop_count = strtol(argv[3], NULL, 10);
    pthread_t t;
    pthread_create(&t, NULL, nobody_thread, NULL);
    while (!atomic_load(&thread_ready)) {
    }
    long failed = 0;
    for (long i = 0; i < loop_count; i++) {
      int fd = open(argv[2], O_RDONLY);
      if (fd < 0) failed++;
      else close(fd);
    }
    pthread_join(t, NULL);
    printf("nobody_opened=%ld root_failed=%ld\n", atomic_load(&thread_opened), failed);
  } else if (strcmp(mode, "threadkill") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, killed_thread, NULL);
    pthread_join(t, NULL);
    printf("process survived\n");
  } else {
    return 2;
  }
  return 0;
}
