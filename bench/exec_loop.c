/* exec_loop N PROGRAM: runs PROGRAM (no arguments) N times, one after the other (fork, execv,
 * wait); exits 1 if a run fails. Built static for bench/force.ts. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  long n = atol(argv[1]);
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      char *args[] = {argv[2], NULL};
      execv(argv[2], args);
      _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }
  return 0;
}
