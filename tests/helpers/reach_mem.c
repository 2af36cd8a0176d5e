/* Attack 2, reach syd's memory: ptrace syd's threads, process_vm_readv/writev, /proc/SYD/mem, and
 * a user namespace (in which syd's process would no longer be more privileged than us).
 * Usage: reach_mem DIR   (DIR holds "public"; syd is the parent)
 * Protocol: prints "ppid=N" and "ready", then reads one line "ADDR TID..." (a readable address in
 * syd and syd's thread ids, which the test reads from outside); attaches (PTRACE_ATTACH to syd,
 * PTRACE_SEIZE to every other thread), prints ptrace_attach=, ptrace_seize=, ptrace_peekdata= and
 * "tried", then waits for a line (the test checks TracerPid meanwhile), lets go of what it may have
 * attached, and prints process_vm_readv=, process_vm_writev=, proc_mem=, unshare_newuser=, "served".
 * process_vm_writev only ever aims at address 8 (never mapped): it cannot change syd. */

/* ---- shared by every reach_* helper (each is one file: tools/test.sh builds each .c alone) ---- */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Refuses to run anywhere but under seccomp filtering (syd's sandbox): exit 99. */
__attribute__((unused)) static void require_sandbox(const char *name) {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  buf[n > 0 ? n : 0] = 0;
  if (!strstr(buf, "\nSeccomp:\t2\n")) {
    fprintf(stderr, "%s: refusing to run outside syd's sandbox (no \"Seccomp:\\t2\" in /proc/self/status)\n", name);
    exit(99);
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
}

__attribute__((unused)) static const char *errno_name(int e) {
  switch (e) {
  case EPERM: return "EPERM";
  case ENOENT: return "ENOENT";
  case ESRCH: return "ESRCH";
  case EINTR: return "EINTR";
  case EIO: return "EIO";
  case ENXIO: return "ENXIO";
  case EBADF: return "EBADF";
  case ECHILD: return "ECHILD";
  case EAGAIN: return "EAGAIN";
  case ENOMEM: return "ENOMEM";
  case EACCES: return "EACCES";
  case EFAULT: return "EFAULT";
  case EBUSY: return "EBUSY";
  case EEXIST: return "EEXIST";
  case EXDEV: return "EXDEV";
  case ENODEV: return "ENODEV";
  case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR";
  case EINVAL: return "EINVAL";
  case EMFILE: return "EMFILE";
  case ENOSPC: return "ENOSPC";
  case EROFS: return "EROFS";
  case ENOSYS: return "ENOSYS";
  case ELOOP: return "ELOOP";
  case ENAMETOOLONG: return "ENAMETOOLONG";
  case ENOPROTOOPT: return "ENOPROTOOPT";
  case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
  case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case ENOTSOCK: return "ENOTSOCK";
  default: {
    static char other[16];
    snprintf(other, sizeof other, "E%d", e);
    return other;
  }
  }
}

/* Prints "name=OK" for rc >= 0, else "name=ERRNO-NAME" (errno as left by the call). */
__attribute__((unused)) static void report(const char *name, long rc) {
  printf("%s=%s\n", name, rc >= 0 ? "OK" : errno_name(errno));
}

/* The outcomes of many tries of one call: "name=E1,E2" (each errno once, first seen first; OK
 * among them when one succeeded) and "name_ok=N" (how many succeeded). */
struct tally {
  int seen[16];
  int count;
  long ok;
};
__attribute__((unused)) static void tally_add(struct tally *t, long rc) {
  int code = rc >= 0 ? 0 : errno;
  if (rc >= 0) t->ok++;
  for (int i = 0; i < t->count; i++)
    if (t->seen[i] == code) return;
  if (t->count < 16) t->seen[t->count++] = code;
}
__attribute__((unused)) static void tally_print(const char *name, const struct tally *t) {
  printf("%s=", name);
  if (t->count == 0) printf("none");
  for (int i = 0; i < t->count; i++) printf("%s%s", i ? "," : "", t->seen[i] ? errno_name(t->seen[i]) : "OK");
  printf("\n%s_ok=%ld\n", name, t->ok);
}

/* syd still answers: a trapped open of DIR/public, read; prints "served" or "unserved=ERRNO". */
__attribute__((unused)) static void served(const char *dir) {
  char path[4096], buf[64];
  snprintf(path, sizeof path, "%s/public", dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
  if (fd >= 0) close(fd);
  if (n > 0) printf("served\n");
  else printf("unserved=%s\n", errno_name(errno));
}

/* Waits for one line on stdin (the test's go-ahead, or numbers it sends); 0 at end of input. */
__attribute__((unused)) static int read_line(char *buf, size_t size) {
  size_t len = 0;
  while (len + 1 < size) {
    ssize_t n = read(0, buf + len, 1);
    if (n <= 0) break;
    if (buf[len] == '\n') break;
    len++;
  }
  buf[len] = 0;
  return (int)len;
}
/* ---- end of the shared part ---- */

#include <sched.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
  require_sandbox("reach_mem");
  if (argc != 2) {
    fprintf(stderr, "usage: reach_mem DIR\n");
    return 2;
  }
  const char *dir = argv[1];
  pid_t syd = getppid();
  printf("ppid=%d\nready\n", syd);
  char line[8192];
  read_line(line, sizeof line);
  char *cursor = line;
  unsigned long addr = strtoul(cursor, &cursor, 0);
  pid_t tids[1024];
  int ntids = 0;
  while (ntids < 1024) {
    char *end;
    long tid = strtol(cursor, &end, 10);
    if (end == cursor) break;
    tids[ntids++] = (pid_t)tid;
    cursor = end;
  }

  long attach = syscall(SYS_ptrace, PTRACE_ATTACH, syd, 0, 0);
  report("ptrace_attach", attach);
  struct tally seize = {0};
  for (int i = 0; i < ntids; i++)
    if (tids[i] != syd) tally_add(&seize, syscall(SYS_ptrace, PTRACE_SEIZE, tids[i], 0, 0));
  tally_print("ptrace_seize", &seize);
  long word = 0;
  report("ptrace_peekdata", syscall(SYS_ptrace, PTRACE_PEEKDATA, syd, addr, &word));
  printf("tried\n");
  read_line(line, sizeof line);
  if (attach == 0) { /* Really attached? Then syd's main thread stops: let it go without the SIGSTOP. */
    int status;
    alarm(10);
    if (waitpid(syd, &status, __WALL) == syd) syscall(SYS_ptrace, PTRACE_DETACH, syd, 0, 0);
    alarm(0);
  } /* (seized threads are let go when this process exits) */

  char buf[8] = {0};
  struct iovec local = {buf, sizeof buf};
  struct iovec remote = {(void *)addr, sizeof buf};
  report("process_vm_readv", syscall(SYS_process_vm_readv, syd, &local, 1, &remote, 1, 0));
  struct iovec nowhere = {(void *)8, 1};
  report("process_vm_writev", syscall(SYS_process_vm_writev, syd, &local, 1, &nowhere, 1, 0));
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", syd);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  report("proc_mem", fd);
  if (fd >= 0) close(fd); /* nothing is ever written */
  report("unshare_newuser", unshare(CLONE_NEWUSER));
  served(dir);
  return 0;
}
