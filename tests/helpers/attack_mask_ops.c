/* Attacks on path masks (tests/mask_attack_test.ts): each mode tries to read the real contents
 * of masked file M, or to change it, and prints what it saw on one line.
 *   link M NEW      hard-link M to NEW, then read NEW
 *   rename M NEW    rename M to NEW, then read NEW
 *   truncate M      truncate(M, 0); prints the call's result
 *   chmod M         chmod(M, 0600); prints the call's result
 *   opath M         open M O_PATH, reopen /proc/self/fd/N, read
 *   openat2 M       openat2 M with RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS, read
 *   race LINK A M N swap symlink LINK between A and M (another process) while reading LINK N
 *                   times; prints how many reads saw M's real "hello" */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, int fd) {
  char buf[64] = {0};
  if (fd < 0) {
    printf("%s errno=%d\n", what, errno);
    return;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n < 0) {
    printf("%s read-errno=%d\n", what, errno);
  } else {
    buf[n] = 0;
    buf[strcspn(buf, "\n")] = 0;
    printf("%s read=[%s]\n", what, buf);
  }
  close(fd);
}

static void result(const char *what, int rc) {
  printf("%s rc=%d errno=%d\n", what, rc, rc < 0 ? errno : 0);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *mode = argv[1], *m = argv[2];
  if (!strcmp(mode, "link") && argc > 3) {
    result("link", link(m, argv[3]));
    show("new", open(argv[3], O_RDONLY));
  } else if (!strcmp(mode, "rename") && argc > 3) {
    result("rename", rename(m, argv[3]));
    show("new", open(argv[3], O_RDONLY));
  } else if (!strcmp(mode, "truncate")) {
    result("truncate", truncate(m, 0));
  } else if (!strcmp(mode, "chmod")) {
    result("chmod", chmod(m, 0600));
  } else if (!strcmp(mode, "opath")) {
    int pfd = open(m, O_PATH);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
    show("opath", open(proc, O_RDONLY));
  } else if (!strcmp(mode, "openat2")) {
    struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    show("openat2", (int)syscall(SYS_openat2, AT_FDCWD, m, &how, sizeof how));
  } else if (!strcmp(mode, "race") && argc > 5) {
    const char *link_path = argv[2], *a = argv[3];
    m = argv[4];
    long n = atol(argv[5]);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", link_path);
    pid_t child = fork();
    if (child == 0) {
      for (unsigned long i = 0;; i++) {
        unlink(tmp);
        if (symlink(i & 1 ? m : a, tmp) == 0) rename(tmp, link_path);
      }
    }
    long secret = 0, benign = 0, failed = 0, other = 0;
    for (long i = 0; i < n; i++) {
      int fd = open(link_path, O_RDONLY);
      if (fd < 0) {
        failed++;
        continue;
      }
      char buf[16] = {0};
      ssize_t got = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (got == 6 && !memcmp(buf, "hello\n", 6))
        secret++;
      else if (got >= 0 && !memcmp(buf, "benign", 6))
        benign++;
      else
        other++;
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    printf("secret=%ld benign=%ld masked=%ld failed=%ld\n", secret, benign, other, failed);
  } else {
    return 2;
  }
  return 0;
}
