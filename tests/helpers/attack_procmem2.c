/* Attacks on W^X's refusal of /proc/PID/mem for writing (handlers/open.zig `proc_mem`) and on
 * executable writable memory (tests/wx_attack2_test.ts). Run only inside the sandbox (natively
 * only to show a technique works). Each mode tries to get a writable fd to this process's (or
 * a relative's) memory file and pwrite `mov eax, 42; ret` over a function of this program's
 * text, then call it. Modes:
 *   path PATH            open PATH O_RDWR (other spellings: thread-self, by number, `..`, symlinks)
 *   opath_reopen         O_PATH open of /proc/self/mem, then /proc/self/fd/N O_RDWR
 *   rdonly_reopen        O_RDONLY open of /proc/self/mem, then /proc/self/fd/N O_RDWR
 *   dirfd                openat(open("/proc/self"), "mem", O_RDWR)
 *   dirfd_fd             open("/proc/self/fd/D/mem") with D a dirfd of /proc/self
 *   openat2              openat2(dirfd of /proc/self, "mem", O_RDWR, RESOLVE_BENEATH|NO_MAGICLINKS)
 *   thread               another thread's /proc/self/task/TID/mem
 *   parent_child         the parent writes into its child's /proc/CHILD/mem; the child calls
 *   child_parent         a child writes into its parent's /proc/PPID/mem; the parent calls
 *   creat_trunc          open /proc/self/mem O_WRONLY|O_TRUNC / O_RDWR|O_CREAT
 *   personality          personality(READ_IMPLIES_EXEC), mmap PROT_READ|PROT_WRITE anonymous,
 *                        write code, call
 *   unshare_proc DIR     a new user, mount, pid namespace; procfs mounted on DIR; DIR/self/mem
 *   fexecve FILE ARG     FILE copied into a memfd, run by fexecve with ARG (a program with an
 *                        executable stack: tests/helpers/attack_wx_execstack.c `make`)
 *   twofd FILE [PAGE1]   FILE (code) opened O_RDWR and O_RDONLY; mapped PROT_READ|PROT_EXEC
 *                        MAP_PRIVATE through the read-only fd (its second page with PAGE1: an
 *                        ELF file with code there), called, `mov eax, 7` written through the
 *                        other fd, called again (prints `first 42`, `ran 7`)
 *   shmexec              shmget + shmat(SHM_EXEC), code written, called
 *   execveat DIR NAME ARG  execveat(dirfd of DIR, NAME), then with AT_EMPTY_PATH on an fd of it
 * Prints `ran N` (code ran) or `refused STEP errno`; exit 0 unless killed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const unsigned char code42[] = {0xb8, 0x2a, 0, 0, 0, 0xc3}; /* mov eax, 42; ret */

__attribute__((noinline)) int victim(void) { return 1; }

static int refused(const char *step) {
  printf("refused %s %d\n", step, errno);
  fflush(stdout);
  return 0;
}

/* Writes the code over `victim` through `fd` and calls it. */
static int strike(int fd, const char *step) {
  if (fd < 0) return refused(step);
  int (*volatile fn)(void) = victim;
  if (pwrite(fd, code42, sizeof code42, (off_t)(uintptr_t)fn) < 0) return refused("pwrite");
  printf("ran %d\n", fn());
  fflush(stdout);
  return 0;
}

static int reopen(int fd) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  return open(path, O_RDWR);
}

static volatile int thread_tid;
static volatile int thread_done;
static void *thread_main(void *arg) {
  (void)arg;
  thread_tid = (int)syscall(SYS_gettid);
  while (!thread_done) usleep(1000);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *mode = argv[1];
  if (strcmp(mode, "path") == 0 && argc > 2) return strike(open(argv[2], O_RDWR), "open");
  if (strcmp(mode, "opath_reopen") == 0 || strcmp(mode, "rdonly_reopen") == 0) {
    int fd = open("/proc/self/mem", mode[0] == 'o' ? O_PATH : O_RDONLY);
    if (fd < 0) return refused("open");
    return strike(reopen(fd), "reopen");
  }
  if (strcmp(mode, "dirfd") == 0 || strcmp(mode, "dirfd_fd") == 0 || strcmp(mode, "openat2") == 0) {
    int d = open("/proc/self", O_PATH | O_DIRECTORY);
    if (d < 0) return refused("dir");
    if (mode[0] == 'o') {
      struct open_how how = {.flags = O_RDWR, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
      return strike((int)syscall(SYS_openat2, d, "mem", &how, sizeof how), "openat2");
    }
    if (strcmp(mode, "dirfd") == 0) return strike(openat(d, "mem", O_RDWR), "openat");
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d/mem", d);
    return strike(open(path, O_RDWR), "open");
  }
  if (strcmp(mode, "thread") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    while (!thread_tid) usleep(1000);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/mem", thread_tid);
    int r = strike(open(path, O_RDWR), "open");
    thread_done = 1;
    pthread_join(t, NULL);
    return r;
  }
  if (strcmp(mode, "creat_trunc") == 0) {
    int fd = open("/proc/self/mem", O_WRONLY | O_TRUNC);
    if (fd < 0) fd = open("/proc/self/mem", O_RDWR | O_CREAT, 0600);
    return strike(fd, "open");
  }
  if (strcmp(mode, "parent_child") == 0) {
    int go[2], back[2];
    if (pipe(go) < 0 || pipe(back) < 0) return refused("pipe");
    pid_t c = fork();
    if (c == 0) {
      char b;
      if (read(go[0], &b, 1) != 1) _exit(3);
      int (*volatile fn)(void) = victim;
      printf("%s %d\n", b == 'w' ? "ran" : "child", fn());
      fflush(stdout);
      _exit(0);
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", c);
    int fd = open(path, O_RDWR);
    char b = 'n';
    int (*volatile fn)(void) = victim;
    if (fd < 0) refused("open");
    else if (pwrite(fd, code42, sizeof code42, (off_t)(uintptr_t)fn) < 0) refused("pwrite");
    else b = 'w';
    if (write(go[1], &b, 1) != 1) return 3;
    waitpid(c, NULL, 0);
    return 0;
  }
  if (strcmp(mode, "child_parent") == 0) {
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/mem", parent);
      int fd = open(path, O_RDWR);
      int (*volatile fn)(void) = victim;
      if (fd < 0) _exit(refused("open") + 10);
      if (pwrite(fd, code42, sizeof code42, (off_t)(uintptr_t)fn) < 0) _exit(refused("pwrite") + 10);
      _exit(0);
    }
    int st = 0;
    waitpid(c, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
      int (*volatile fn)(void) = victim;
      printf("ran %d\n", fn());
    }
    return 0;
  }
  if (strcmp(mode, "personality") == 0) {
    if (personality(READ_IMPLIES_EXEC) < 0) return refused("personality");
    if (!(personality(0xffffffff) & READ_IMPLIES_EXEC)) return refused("personality_unset");
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return refused("mmap");
    memcpy(p, code42, sizeof code42);
    int (*fn)(void) = (int (*)(void))(uintptr_t)p;
    printf("ran %d\n", fn());
    return 0;
  }
  if (strcmp(mode, "unshare_proc") == 0 && argc > 2) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) < 0) return refused("unshare");
    pid_t c = fork();
    if (c == 0) {
      if (mount("proc", argv[2], "proc", 0, NULL) < 0) _exit(refused("mount"));
      char path[4200];
      snprintf(path, sizeof path, "%s/self/mem", argv[2]);
      _exit(strike(open(path, O_RDWR), "open"));
    }
    if (c < 0) return refused("fork");
    waitpid(c, NULL, 0);
    return 0;
  }
  if (strcmp(mode, "twofd") == 0 && argc > 2) {
    off_t off = argc > 3 ? 4096 : 0;
    int w = open(argv[2], O_RDWR);
    int r = open(argv[2], O_RDONLY);
    if (w < 0 || r < 0) return refused("open");
    void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, r, off);
    if (p == MAP_FAILED) return refused("mmap");
    int (*fn)(void) = (int (*)(void))(uintptr_t)p;
    printf("first %d\n", fn());
    fflush(stdout);
    static const unsigned char code7[] = {0xb8, 0x07, 0, 0, 0, 0xc3};
    if (pwrite(w, code7, sizeof code7, off) < 0) return refused("pwrite");
    printf("ran %d\n", fn());
    return 0;
  }
  if (strcmp(mode, "shmexec") == 0) {
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    if (id < 0) return refused("shmget");
    void *p = shmat(id, NULL, SHM_EXEC);
    shmctl(id, IPC_RMID, NULL);
    if (p == (void *)-1) return refused("shmat");
    memcpy(p, code42, sizeof code42);
    int (*fn)(void) = (int (*)(void))(uintptr_t)p;
    printf("ran %d\n", fn());
    return 0;
  }
  if (strcmp(mode, "fexecve") == 0 && argc > 3) {
    int in = open(argv[2], O_RDONLY);
    int m = memfd_create("xs", MFD_CLOEXEC);
    if (in < 0 || m < 0) return refused("memfd");
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
      if (write(m, buf, (size_t)n) != n) return refused("write");
    char *args[] = {argv[2], argv[3], NULL};
    char *env[] = {NULL};
    fexecve(m, args, env);
    return refused("fexecve");
  }
  if (strcmp(mode, "execveat") == 0 && argc > 4) {
    int d = open(argv[2], O_PATH | O_DIRECTORY);
    char *args[] = {argv[3], argv[4], NULL};
    char *env[] = {NULL};
    if (argc > 5) {
      int f = openat(d, argv[3], O_PATH);
      syscall(SYS_execveat, f, "", args, env, AT_EMPTY_PATH);
      return refused("execveat_empty");
    }
    syscall(SYS_execveat, d, argv[3], args, env, 0);
    return refused("execveat");
  }
  return 2;
}
