/* Attack 1, take the listener: copy syd's fds (among them the seccomp notify fd) with
 * pidfd_getfd, or open them through /proc/SYD/fd; then check the policy still holds.
 * Usage: reach_getfd DIR   (DIR holds "public" and "secret"; syd is the parent)
 * Prints: ppid=, pidfd_open=, pidfd_getfd= (over fds 0..1023), secret=, proc_fd= (over /proc/SYD/fd/0..63),
 * then "served". */

#include "reach.h"

int main(int argc, char **argv) {
  require_sandbox("reach_getfd");
  check_args(argc == 2, "reach_getfd DIR");
  const char *dir = argv[1];
  pid_t syd = getppid();
  printf("ppid=%d\n", syd);
  long pidfd = syscall(SYS_pidfd_open, syd, 0);
  report("pidfd_open", pidfd);
  struct tally getfd = {0};
  for (int n = 0; n < 1024; n++) {
    long fd = syscall(SYS_pidfd_getfd, (int)pidfd, n, 0);
    tally_add(&getfd, fd);
    if (fd >= 0) close((int)fd);
  }
  tally_print("pidfd_getfd", &getfd);
  if (pidfd >= 0) close((int)pidfd);

  char path[4096];
  snprintf(path, sizeof path, "%s/secret", dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  report("secret", fd);
  if (fd >= 0) close(fd);

  struct tally proc_fd = {0};
  for (int n = 0; n < 64; n++) {
    snprintf(path, sizeof path, "/proc/%d/fd/%d", syd, n);
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    tally_add(&proc_fd, fd);
    if (fd >= 0) close(fd);
  }
  tally_print("proc_fd", &proc_fd);
  served(dir);
  return 0;
}
