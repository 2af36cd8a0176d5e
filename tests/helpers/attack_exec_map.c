/* Attack on exec-on-mmap and Force sandboxing: get code from a file into executable memory
 * without a judged mmap, or change it after the judgement. FILE holds raw x86_64 code
 * (`mov eax, N; ret`). Modes:
 *   mmap FILE          mmap(PROT_READ|PROT_EXEC) and call it (the judged path: the control)
 *   mprotect FILE      mmap(PROT_READ), then mprotect(PROT_READ|PROT_EXEC), call it
 *   pkey FILE          the same with pkey_mprotect(-1)
 *   rewrite FILE N     mmap(PROT_EXEC) the file (judged, hashed), then pwrite `mov eax, N; ret`
 *                      over it through a writable fd, call it (MAP_PRIVATE sees the page cache)
 *   rewrite2 FILE N    the same, the mapping made through a second, read-only fd
 *   mremap FILE        mmap(PROT_READ) then mremap it (no exec), then mprotect: as mprotect
 *   memfd FILE         copy FILE into a memfd and mmap it PROT_EXEC
 *   wx FILE            copy FILE into anonymous memory mapped writable and executable, call it
 *   anon FILE          copy FILE into anonymous memory, then mprotect(PROT_READ|PROT_EXEC)
 *   shared FILE        mmap(PROT_READ|PROT_EXEC, MAP_SHARED) the file, call it
 *   shm FILE           copy FILE into SysV shm, shmat(SHM_EXEC), call it
 *   persona FILE       personality(READ_IMPLIES_EXEC), then mmap(PROT_READ) and call it
 *   uring              io_uring_setup: refused?
 *   execveat PROG      execveat(2) of an O_PATH fd of PROG with AT_EMPTY_PATH
 *   procfd PROG        execve(2) of /proc/self/fd/N, N an O_RDONLY fd of PROG
 * Prints `ran N` (the code's result) or `refused STEP errno`; exit 0 either way. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SHM_EXEC
#define SHM_EXEC 0100000
#endif

static int refused(const char *step) {
  printf("refused %s %d\n", step, errno);
  return 0;
}

static int call(void *code) {
  int (*fn)(void) = (int (*)(void))code;
  printf("ran %d\n", fn());
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *mode = argv[1];
  if (strcmp(mode, "uring") == 0) {
    char params[120];
    memset(params, 0, sizeof params);
    long r = syscall(425, 4, params);
    if (r < 0) return refused("io_uring_setup");
    printf("ran io_uring %ld\n", r);
    return 0;
  }
  if (argc < 3) return 2;
  const char *file = argv[2];
  if (strcmp(mode, "execveat") == 0 || strcmp(mode, "procfd") == 0) {
    int is_at = strcmp(mode, "execveat") == 0;
    int pfd = open(file, is_at ? O_PATH : O_RDONLY);
    if (pfd < 0) return refused("open");
    char *args[] = {(char *)file, NULL};
    char *env[] = {NULL};
    if (is_at) {
      syscall(SYS_execveat, pfd, "", args, env, AT_EMPTY_PATH);
    } else {
      char proc[64];
      snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
      execve(proc, args, env);
    }
    return refused(mode);
  }
  size_t len = 4096;
  if (strcmp(mode, "rewrite") == 0 || strcmp(mode, "rewrite2") == 0) {
    int fd = open(file, O_RDWR);
    if (fd < 0) return refused("open");
    int map_fd = strcmp(mode, "rewrite2") == 0 ? open(file, O_RDONLY) : fd;
    if (map_fd < 0) return refused("open");
    void *p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, map_fd, 0);
    if (p == MAP_FAILED) return refused("mmap");
    unsigned char code[6] = {0xb8, 0, 0, 0, 0, 0xc3};
    int n = argc > 3 ? atoi(argv[3]) : 7;
    memcpy(code + 1, &n, 4);
    if (pwrite(fd, code, sizeof code, 0) != sizeof code) return refused("pwrite");
    return call(p);
  }
  int fd = open(file, O_RDONLY);
  if (fd < 0) return refused("open");
  if (strcmp(mode, "persona") == 0) {
    if (personality(0x0400000) < 0) return refused("personality");
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return refused("mmap");
    return call(p);
  }
  if (strcmp(mode, "mmap") == 0) {
    void *p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return refused("mmap");
    return call(p);
  }
  if (strcmp(mode, "shared") == 0) {
    void *p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return refused("mmap");
    return call(p);
  }
  if (strcmp(mode, "wx") == 0 || strcmp(mode, "anon") == 0) {
    int wx = strcmp(mode, "wx") == 0;
    int prot = wx ? PROT_READ | PROT_WRITE | PROT_EXEC : PROT_READ | PROT_WRITE;
    void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return refused("mmap");
    if (read(fd, p, len) <= 0) return refused("read");
    if (!wx && mprotect(p, len, PROT_READ | PROT_EXEC) != 0) return refused("mprotect");
    return call(p);
  }
  if (strcmp(mode, "mprotect") == 0 || strcmp(mode, "pkey") == 0 || strcmp(mode, "mremap") == 0) {
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return refused("mmap");
    if (strcmp(mode, "mremap") == 0) {
      void *q = mremap(p, len, 2 * len, MREMAP_MAYMOVE);
      if (q == MAP_FAILED) return refused("mremap");
      p = q;
    }
    long r = strcmp(mode, "pkey") == 0
                 ? syscall(SYS_pkey_mprotect, p, len, PROT_READ | PROT_EXEC, -1)
                 : mprotect(p, len, PROT_READ | PROT_EXEC);
    if (r != 0) return refused("mprotect");
    return call(p);
  }
  char buf[4096];
  memset(buf, 0, sizeof buf);
  if (read(fd, buf, sizeof buf) <= 0) return refused("read");
  if (strcmp(mode, "memfd") == 0) {
    int m = memfd_create("attack", 0);
    if (m < 0) return refused("memfd_create");
    if (write(m, buf, sizeof buf) != sizeof buf) return refused("write");
    void *p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, m, 0);
    if (p == MAP_FAILED) return refused("mmap");
    return call(p);
  }
  if (strcmp(mode, "shm") == 0) {
    int id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
    if (id < 0) return refused("shmget");
    void *w = shmat(id, NULL, 0);
    if (w == (void *)-1) return refused("shmat");
    memcpy(w, buf, sizeof buf);
    void *p = shmat(id, NULL, SHM_EXEC | SHM_RDONLY);
    shmctl(id, IPC_RMID, NULL);
    if (p == (void *)-1) return refused("shmat_exec");
    return call(p);
  }
  return 2;
}
