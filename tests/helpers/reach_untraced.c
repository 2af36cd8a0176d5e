/* Tries to make a process and a thread that syd's tracer does not follow: clone with
 * CLONE_UNTRACED. A child that got through reports "untraced_child_tracer=N" (its TracerPid).
 * Usage: reach_untraced
 * Prints: "untraced_process=OK|ERRNO" and "untraced_thread=OK|ERRNO". */
#include "reach.h"
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

static char stack[65536] __attribute__((aligned(16)));

static int child(void *arg) {
  (void)arg;
  char buf[4096];
  read_status(buf, sizeof buf);
  char *at = strstr(buf, "TracerPid:");
  printf("untraced_child_tracer=%d\n", at ? atoi(at + 10) : -1);
  fflush(stdout);
  return 0;
}

int main(void) {
  require_sandbox("reach_untraced");
  long pid = clone(child, stack + sizeof stack, CLONE_UNTRACED | SIGCHLD, NULL);
  report("untraced_process", pid);
  if (pid > 0) waitpid(pid, NULL, 0);
  long tid = syscall(SYS_clone, CLONE_UNTRACED | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD, stack + sizeof stack - 1024, NULL, NULL, 0);
  if (tid == 0) {
    for (;;) pause(); /* the thread never returns into main's frame */
  }
  report("untraced_thread", tid);
  return 0;
}
