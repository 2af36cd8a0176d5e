/* Attack 6, reach a process outside the sandbox (same user): copy its fds, trace it, open its
 * memory and fds through /proc, signal it.
 * Usage: reach_outside DIR PID   (DIR holds "public"; PID is a `sleep` the test started)
 * Protocol: prints pidfd_open=, pidfd_getfd= (fds 0..2), ptrace_attach=, then "tried", and waits
 * for a line (the test checks TracerPid meanwhile); then lets go of PID if it was really attached and
 * prints proc_mem=, proc_fd0=, process_vm_readv=, kill= (SIGTERM), "served". */

#include "reach.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
  require_sandbox("reach_outside");
  check_args(argc == 3, "reach_outside DIR PID");
  const char *dir = argv[1];
  pid_t target = (pid_t)atoi(argv[2]);
  if (target <= 1) {
    fprintf(stderr, "reach_outside: bad PID %s\n", argv[2]);
    return 2;
  }
  long pidfd = syscall(SYS_pidfd_open, target, 0);
  report("pidfd_open", pidfd);
  struct tally getfd = {0};
  for (int n = 0; n < 3; n++) {
    long fd = syscall(SYS_pidfd_getfd, (int)pidfd, n, 0);
    tally_add(&getfd, fd);
    if (fd >= 0) close((int)fd);
  }
  tally_print("pidfd_getfd", &getfd);
  long attach = syscall(SYS_ptrace, PTRACE_ATTACH, target, 0, 0);
  report("ptrace_attach", attach);
  printf("tried\n");
  char line[64];
  read_line(line, sizeof line);
  if (attach == 0) {
    int status;
    alarm(10);
    if (waitpid(target, &status, __WALL) == target) syscall(SYS_ptrace, PTRACE_DETACH, target, 0, 0);
    alarm(0);
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", target);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  report("proc_mem", fd);
  if (fd >= 0) close(fd);
  snprintf(path, sizeof path, "/proc/%d/fd/0", target);
  fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  report("proc_fd0", fd);
  if (fd >= 0) close(fd);
  char buf[8];
  struct iovec local = {buf, sizeof buf}, remote = {(void *)8, sizeof buf};
  report("process_vm_readv", syscall(SYS_process_vm_readv, target, &local, 1, &remote, 1, 0));
  report("kill", kill(target, SIGTERM));
  served(dir);
  return 0;
}
