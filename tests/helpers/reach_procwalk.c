/* Walks every class of /proc/<syd> path: mem, fd, fd/N, fdinfo, fdinfo/N, environ, maps, root,
 * cwd, exe, cmdline, status, stat, comm, under /proc/SYD/, /proc/SYD/task/TID/ and /proc/TID/ for
 * each of syd's thread ids, through open (O_RDONLY, O_PATH), stat, lstat, statx and readlink; then
 * the indirect routes: symlinks in DIR to /proc/SYD/status and to /proc/SYD, openat from a dirfd of
 * /proc, paths through /proc/self/.., and chdir to /proc (and to /proc/SYD) with relative paths.
 * Usage: reach_procwalk DIR   (DIR holds "public"; syd is the parent)
 * Protocol: prints "ppid=N" and "ready", then reads two lines, "TID..." (syd's thread ids) and
 * "FD..." (syd's fd numbers), which the test reads from outside; prints one line "PATH OP RESULT"
 * per attempt (RESULT: OK or the errno's name; PATH is a label starting with "via:" for an indirect
 * route), then "walked"; then waits for a line (the test reads syd's threads and fds again
 * meanwhile), and prints "served" once syd has answered a trapped open of DIR/public.
 * Nothing read is printed, and nothing is ever written to /proc. */

#include "reach.h"

#include <linux/stat.h>
#include <sys/stat.h>

static const char *OPS[] = {"open_rdonly", "open_path", "stat", "lstat", "statx", "readlink"};
#define NOPS (sizeof OPS / sizeof OPS[0])

/* One attempt of OPS[op] on PATH relative to DIRFD; prints "LABEL OP RESULT". */
static void attempt(const char *label, int dirfd, const char *path, size_t op) {
  long rc;
  struct stat st;
  unsigned long long stx[64]; /* struct statx is 256 bytes */
  char target[4096];
  switch (op) {
  case 0:
    /* O_NONBLOCK: an fd/N of a FIFO must not hang the walk if it were let through */
    rc = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    break;
  case 1:
    rc = openat(dirfd, path, O_PATH | O_CLOEXEC);
    break;
  case 2:
    rc = fstatat(dirfd, path, &st, 0);
    break;
  case 3:
    rc = fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW);
    break;
  case 4:
    rc = syscall(SYS_statx, dirfd, path, 0, STATX_BASIC_STATS, stx);
    break;
  default:
    rc = readlinkat(dirfd, path, target, sizeof target);
    break;
  }
  printf("%s %s %s\n", label, OPS[op], rc >= 0 ? "OK" : errno_name(errno));
  if (rc >= 0 && op <= 1) close((int)rc);
}

/* Every op on PATH (relative to DIRFD), printed under LABEL. */
static void every_op(const char *label, int dirfd, const char *path) {
  for (size_t op = 0; op < NOPS; op++) attempt(label, dirfd, path, op);
}

static const char *CLASSES[] = {"mem",  "fd",  "fdinfo",  "environ", "maps", "root", "cwd",
                                "exe",  "cmdline", "status", "stat", "comm"};

/* Every class under BASE (a directory of syd's, ending without '/'). */
static void walk(const char *base, const int *fds, int nfds) {
  char path[256];
  for (size_t c = 0; c < sizeof CLASSES / sizeof CLASSES[0]; c++) {
    snprintf(path, sizeof path, "%s/%s", base, CLASSES[c]);
    every_op(path, AT_FDCWD, path);
  }
  for (int i = 0; i < nfds; i++) {
    snprintf(path, sizeof path, "%s/fd/%d", base, fds[i]);
    every_op(path, AT_FDCWD, path);
    snprintf(path, sizeof path, "%s/fdinfo/%d", base, fds[i]);
    every_op(path, AT_FDCWD, path);
  }
}

/* Numbers on one line of stdin, at most MAX. */
static int read_numbers(int *out, int max) {
  char line[16384];
  read_line(line, sizeof line);
  char *cursor = line;
  int n = 0;
  while (n < max) {
    char *end;
    long value = strtol(cursor, &end, 10);
    if (end == cursor) break;
    out[n++] = (int)value;
    cursor = end;
  }
  return n;
}

int main(int argc, char **argv) {
  require_sandbox("reach_procwalk");
  check_args(argc == 2, "reach_procwalk DIR");
  const char *dir = argv[1];
  pid_t syd = getppid();
  printf("ppid=%d\nready\n", syd);
  static int tids[4096], fds[4096];
  int ntids = read_numbers(tids, 4096);
  int nfds = read_numbers(fds, 4096);

  char base[128], path[4096], label[4096];
  snprintf(base, sizeof base, "/proc/%d", syd);
  walk(base, fds, nfds);
  for (int i = 0; i < ntids; i++) {
    snprintf(base, sizeof base, "/proc/%d/task/%d", syd, tids[i]);
    walk(base, fds, nfds);
    if (tids[i] == syd) continue; /* /proc/SYD: walked first */
    snprintf(base, sizeof base, "/proc/%d", tids[i]);
    walk(base, fds, nfds);
  }

  /* a symlink of ours to /proc/SYD/status, and one to /proc/SYD */
  snprintf(path, sizeof path, "%s/link-status", dir);
  snprintf(base, sizeof base, "/proc/%d/status", syd);
  unlink(path);
  if (symlink(base, path) != 0) {
    fprintf(stderr, "reach_procwalk: symlink %s: %s\n", path, errno_name(errno));
    return 3;
  }
  /* (lstat and readlink would answer for the symlink itself, which is ours) */
  for (size_t op = 0; op < 5; op++)
    if (op != 3) attempt("via:DIR/link-status", AT_FDCWD, path, op);
  snprintf(path, sizeof path, "%s/link-syd", dir);
  snprintf(base, sizeof base, "/proc/%d", syd);
  unlink(path);
  if (symlink(base, path) != 0) {
    fprintf(stderr, "reach_procwalk: symlink %s: %s\n", path, errno_name(errno));
    return 3;
  }
  snprintf(path, sizeof path, "%s/link-syd/status", dir);
  every_op("via:DIR/link-syd/status", AT_FDCWD, path);
  snprintf(path, sizeof path, "%s/link-syd/environ", dir);
  every_op("via:DIR/link-syd/environ", AT_FDCWD, path);

  /* openat from a dirfd of /proc (O_RDONLY and O_PATH) */
  const char *entries[] = {"status", "environ", "mem", "exe", "fd/0"};
  for (int kind = 0; kind < 2; kind++) {
    int procfd = open("/proc", (kind ? O_PATH : O_RDONLY) | O_DIRECTORY | O_CLOEXEC);
    if (procfd < 0) {
      fprintf(stderr, "reach_procwalk: open /proc: %s\n", errno_name(errno));
      return 3;
    }
    for (size_t e = 0; e < sizeof entries / sizeof entries[0]; e++) {
      snprintf(path, sizeof path, "%d/%s", syd, entries[e]);
      snprintf(label, sizeof label, "via:openat(/proc%s,%s)", kind ? "+O_PATH" : "", path);
      every_op(label, procfd, path);
    }
    close(procfd);
  }

  /* spellings through other directories of /proc */
  const char *spellings[] = {"/proc/self/../%d/environ", "/proc/thread-self/../../../%d/environ",
                             "/proc//%d/./environ", "/proc/%d/task/../environ",
                             "/proc/self/task/../../%d/status"};
  for (size_t s = 0; s < sizeof spellings / sizeof spellings[0]; s++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(path, sizeof path, spellings[s], syd);
#pragma GCC diagnostic pop
    snprintf(label, sizeof label, "via:%s", path);
    every_op(label, AT_FDCWD, path);
  }

  /* chdir to /proc, then relative paths */
  if (chdir("/proc") != 0) {
    fprintf(stderr, "reach_procwalk: chdir /proc: %s\n", errno_name(errno));
    return 3;
  }
  for (size_t e = 0; e < sizeof entries / sizeof entries[0]; e++) {
    snprintf(path, sizeof path, "%d/%s", syd, entries[e]);
    snprintf(label, sizeof label, "via:chdir(/proc):%s", path);
    every_op(label, AT_FDCWD, path);
  }
  /* chdir into /proc/SYD itself; had it worked, relative paths from there */
  snprintf(base, sizeof base, "/proc/%d", syd);
  long cd = chdir(base);
  printf("via:chdir(/proc/SYD) chdir %s\n", cd == 0 ? "OK" : errno_name(errno));
  if (cd == 0) {
    for (size_t e = 0; e < sizeof entries / sizeof entries[0]; e++) {
      snprintf(label, sizeof label, "via:chdir(/proc/SYD):%s", entries[e]);
      every_op(label, AT_FDCWD, entries[e]);
    }
  }
  if (chdir(dir) != 0) {
    fprintf(stderr, "reach_procwalk: chdir %s: %s\n", dir, errno_name(errno));
    return 3;
  }
  printf("walked\n");
  read_line(path, sizeof path);
  served(dir);
  return 0;
}
