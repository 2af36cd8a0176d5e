/* More attacks on path masks (tests/wx_attack2_test.ts): each mode tries to read the real
 * contents of a masked file, run it, or read a masked symlink's real target, and prints what
 * it saw on one line (`read [TEXT]`, `link [TARGET]`, or `refused STEP errno`). Modes:
 *   exchange A B F       renameat2(A, B, RENAME_EXCHANGE) (B holds the masked F), read A/F
 *   exchange_rev A B F   renameat2(B, A, RENAME_EXCHANGE), read A/F
 *   noreplace B NEW F    renameat2(B, NEW, RENAME_NOREPLACE), read NEW/F
 *   dirfds P D NEW F     renameat(dirfd P, D, dirfd P, NEW), read P/NEW/F
 *   xfile OTHER M        renameat2(OTHER, M, RENAME_EXCHANGE) on files, read OTHER
 *   exec_link LINK       execve LINK (a symlink to a masked `#!` script)
 *   exec_fd M            execveat of an O_PATH fd of M with AT_EMPTY_PATH
 *   exec_procfd M        execve /proc/self/fd/N of an O_PATH fd of M
 *   readlinkat DIR NAME  readlinkat(dirfd DIR, NAME) of a masked symlink
 *   readlink_empty L     readlinkat(O_PATH|O_NOFOLLOW fd of L, "")
 *   readlink_procfd L    readlink(/proc/self/fd/N) of an O_PATH|O_NOFOLLOW fd of L (the link
 *                        itself: its name, not its target) then readlinkat on the name */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int refused(const char *step) {
  printf("refused %s %d\n", step, errno);
  fflush(stdout);
  return 0;
}

static int show_file(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return refused("open");
  char buf[64] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n < 0) return refused("read");
  buf[strcspn(buf, "\n")] = 0;
  printf("read [%s]\n", buf);
  return 0;
}

static int show_link(ssize_t n, const char *buf) {
  if (n < 0) return refused("readlink");
  printf("link [%.*s]\n", (int)n, buf);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *mode = argv[1];
  char path[4200], buf[4200];
  char *args[] = {argv[2], NULL};
  char *env[] = {NULL};
  if (strcmp(mode, "exchange") == 0 || strcmp(mode, "exchange_rev") == 0) {
    if (argc < 5) return 2;
    const char *a = argv[2], *b = argv[3];
    int r = mode[8] == '_' ? renameat2(AT_FDCWD, b, AT_FDCWD, a, RENAME_EXCHANGE)
                           : renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
    if (r < 0) return refused("rename");
    snprintf(path, sizeof path, "%s/%s", a, argv[4]);
    return show_file(path);
  }
  if (strcmp(mode, "noreplace") == 0 && argc > 4) {
    if (renameat2(AT_FDCWD, argv[2], AT_FDCWD, argv[3], RENAME_NOREPLACE) < 0) return refused("rename");
    snprintf(path, sizeof path, "%s/%s", argv[3], argv[4]);
    return show_file(path);
  }
  if (strcmp(mode, "dirfds") == 0 && argc > 5) {
    int p = open(argv[2], O_PATH | O_DIRECTORY);
    if (renameat(p, argv[3], p, argv[4]) < 0) return refused("rename");
    snprintf(path, sizeof path, "%s/%s/%s", argv[2], argv[4], argv[5]);
    return show_file(path);
  }
  if (strcmp(mode, "xfile") == 0 && argc > 3) {
    if (renameat2(AT_FDCWD, argv[2], AT_FDCWD, argv[3], RENAME_EXCHANGE) < 0) return refused("rename");
    return show_file(argv[2]);
  }
  if (strcmp(mode, "exec_link") == 0) {
    execve(argv[2], args, env);
    return refused("execve");
  }
  if (strcmp(mode, "exec_fd") == 0 || strcmp(mode, "exec_procfd") == 0) {
    int fd = open(argv[2], O_PATH);
    if (fd < 0) return refused("open");
    if (mode[5] == 'f') {
      syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
      return refused("execveat");
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    execve(path, args, env);
    return refused("execve");
  }
  if (strcmp(mode, "readlinkat") == 0 && argc > 3) {
    int d = open(argv[2], O_PATH | O_DIRECTORY);
    return show_link(readlinkat(d, argv[3], buf, sizeof buf), buf);
  }
  if (strcmp(mode, "readlink_empty") == 0 || strcmp(mode, "readlink_procfd") == 0) {
    int fd = open(argv[2], O_PATH | O_NOFOLLOW);
    if (fd < 0) return refused("open");
    if (mode[9] == 'e') return show_link(readlinkat(fd, "", buf, sizeof buf), buf);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return show_link(readlink(path, buf, sizeof buf), buf);
  }
  return 2;
}
