/* A sandboxed process tree that tries to outlive syd: a chain of processes that keeps forking
 * and exiting (the pid syd saw is always gone), writing a heartbeat line to DIR/heartbeat every
 * 20 ms for at most 10 s, while the first process exits after 300 ms.
 * With "kill-first", it first sends SIGKILL to every process it may signal (kill(-1)): syd's
 * sentinel, were it in reach. Usage: reach_survive DIR [kill-first]
 * Prints: "kill(-1)=..." with kill-first, then "first process exits". Under syd the heartbeat must
 * stop when syd ends. */
#include "reach.h"
#include <signal.h>
#include <time.h>

int main(int argc, char **argv) {
  require_sandbox("reach_survive");
  check_args(argc == 2 || (argc == 3 && strcmp(argv[2], "kill-first") == 0), "reach_survive DIR [kill-first]");
  if (argc == 3) report("kill(-1)", kill(-1, SIGKILL));
  char path[4096];
  snprintf(path, sizeof path, "%s/heartbeat", argv[1]);
  int log = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return 1;
  double start = now();
  if (fork() == 0) {
    signal(SIGHUP, SIG_IGN);
    /* Let go of the test's pipes: the run ends with syd, not with the last survivor. */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    double last = 0;
    for (;;) {
      pid_t child = fork();
      if (child > 0) _exit(0); /* the parent leaves: the pid syd saw is gone */
      if (child < 0) continue;
      double t = now();
      if (t - last > 0.02) {
        dprintf(log, "%.3f %d\n", t - start, getpid());
        last = t;
      }
      if (t - start > 10) _exit(0);
    }
  }
  usleep(300000);
  printf("first process exits\n");
  return 0;
}
