/* Attack 2, reach syd's memory: ptrace syd's threads, process_vm_readv/writev, /proc/SYD/mem, and
 * a user namespace (in which syd's process would no longer be more privileged than us).
 * Usage: reach_mem DIR   (DIR holds "public"; syd is the parent)
 * Protocol: prints "ppid=N" and "ready", then reads one line "ADDR TID..." (a readable address in
 * syd and syd's thread ids, which the test reads from outside); attaches (PTRACE_ATTACH to syd,
 * PTRACE_SEIZE to every other thread), prints ptrace_attach=, ptrace_seize=, ptrace_peekdata= and
 * "tried", then waits for a line (the test checks TracerPid meanwhile), lets go of what it may have
 * attached, and prints process_vm_readv=, process_vm_writev=, proc_mem=, unshare_newuser=, "served".
 * process_vm_writev only ever aims at address 8 (never mapped): it cannot change syd. */

#include "reach.h"

#include <sched.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
  require_sandbox("reach_mem");
  check_args(argc == 2, "reach_mem DIR");
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
