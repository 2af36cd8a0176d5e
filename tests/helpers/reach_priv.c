/* Attack 5, borrow privilege: read a file only another user may read (with our capabilities, or
 * syd's, who opens it for us), open raw and packet sockets, send forged IP headers.
 * Usage: reach_priv DIR   (DIR holds "public" and "other", the latter 0600 and not ours)
 * Prints: capeff=HEX, other=, raw_socket=, packet_socket=, ip_hdrincl= (on a UDP socket), "served". */

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

#include <netinet/in.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
  require_sandbox("reach_priv");
  if (argc != 2) {
    fprintf(stderr, "usage: reach_priv DIR\n");
    return 2;
  }
  const char *dir = argv[1];
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  buf[n > 0 ? n : 0] = 0;
  char *cap = strstr(buf, "\nCapEff:\t");
  printf("capeff=%.16s\n", cap ? cap + 9 : "missing");

  char path[4096];
  snprintf(path, sizeof path, "%s/other", dir);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  report("other", fd);
  if (fd >= 0) close(fd);

  fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  report("raw_socket", fd);
  if (fd >= 0) close(fd);
  fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  report("packet_socket", fd);
  if (fd >= 0) close(fd);
  fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int one = 1;
  report("ip_hdrincl", fd < 0 ? -1 : setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one));
  if (fd >= 0) close(fd);
  served(dir);
  return 0;
}
