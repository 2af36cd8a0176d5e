/* reach.h: the code shared by every reach_* attack helper (tests/helpers/reach_*.c). Every
 * reach_*.c includes it with #include "reach.h" as its first line of code (it defines _GNU_SOURCE,
 * so it must come before any other #include). tools/test.sh builds each reach_*.c on its own; this
 * header is not compiled by itself. Everything here is static and marked unused, since not every
 * helper calls every function:
 *   read_status(buf, size) reads /proc/self/status
 *   require_sandbox(name)  refuses to run outside syd's sandbox (exit 99), line-buffers stdout
 *   check_args(ok, usage)  unless ok, prints "usage: USAGE" to stderr and exits 2
 *   errno_name(e)          "EPERM", "ENOENT", ... or "E<n>"
 *   report(name, rc)       prints "name=OK" or "name=ERRNO-NAME"
 *   struct tally, tally_add, tally_print   the outcomes of many tries of one call
 *   served(dir)            prints "served" once syd answers a trapped open of DIR/public
 *   read_line(buf, size)   waits for one line on stdin
 *   now()                  seconds on the monotonic clock
 *   flip_public_secret     a thread body rewriting the 6 bytes at flip_at of flip_path between
 *                          "secret" and "public" for ever (set both before starting it) */
#ifndef REACH_H
#define REACH_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Seconds on the monotonic clock. */
__attribute__((unused)) static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads /proc/self/status into BUF (at most SIZE - 1 bytes, NUL-terminated; empty on error). */
__attribute__((unused)) static void read_status(char *buf, size_t size) {
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
  if (fd >= 0) close(fd);
  buf[n > 0 ? n : 0] = 0;
}

/* Refuses to run anywhere but in syd's sandbox: exit 99. Its filter answers clone3 ENOSYS,
 * where the kernel (5.3 and later: syd needs 5.14) answers a clone3 of size 0 EINVAL. (Not
 * /proc/self/status: syd serves it with Seccomp and NoNewPrivs masked, as the original.) */
__attribute__((unused)) static void require_sandbox(const char *name) {
  errno = 0;
  if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS) {
    fprintf(stderr, "%s: refusing to run outside syd's sandbox (clone3 is not answered ENOSYS)\n", name);
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

/* Unless the arguments are right (OK is nonzero): "usage: USAGE" on stderr, exit 2. */
__attribute__((unused)) static void check_args(int ok, const char *usage) {
  if (!ok) {
    fprintf(stderr, "usage: %s\n", usage);
    exit(2);
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

/* The path a race helper's flipping thread rewrites, and where its "public"/"secret" name is. */
static char *flip_path;
static size_t flip_at;

__attribute__((unused)) static void *flip_public_secret(void *arg) {
  (void)arg;
  for (;;) {
    memcpy(flip_path + flip_at, "secret", 6);
    __asm__ volatile("" ::: "memory"); /* both stores happen */
    memcpy(flip_path + flip_at, "public", 6);
    __asm__ volatile("" ::: "memory");
  }
  return NULL;
}

#endif /* REACH_H */
