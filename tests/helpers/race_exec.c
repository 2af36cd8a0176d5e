/* An exec TOCTOU attacker: each try forks a child whose second thread keeps rewriting the path
 * buffer between DIR/public and DIR/secret while the child execs it; DIR/public and DIR/secret
 * are copies of this program, which, run from a file named "secret", exits 42 (the denied
 * program ran) and from any other name exits 0.
 * Usage: race_exec DIR ITERATIONS SECONDS
 * Prints: "tries=N wins=W killed=K refused=R" (W must stay 0 under syd when DIR/secret is
 * denied for exec; K counts children syd killed after an exec, R execs refused before). */
#include "reach.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

static char path[4096];

int main(int argc, char **argv) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  self[n > 0 ? n : 0] = 0;
  if (n > 7 && strcmp(self + n - 7, "/secret") == 0) return 42;
  if (n > 7 && strcmp(self + n - 7, "/public") == 0) return 0;
  require_sandbox("race_exec");
  check_args(argc == 4, "race_exec DIR ITERATIONS SECONDS");
  long iterations = atol(argv[2]);
  double deadline = now() + atof(argv[3]);
  snprintf(path, sizeof path, "%s/public", argv[1]);
  flip_path = path;
  flip_at = strlen(path) - 6; /* "public" */
  long tries = 0, wins = 0, killed = 0, refused = 0;
  while (tries < iterations && now() < deadline) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      pthread_t t;
      pthread_create(&t, NULL, flip_public_secret, NULL);
      char *args[] = {path, NULL};
      for (int i = 0; i < 8; i++) execve(path, args, environ); /* ENOENT mid-flip: try again */
      _exit(errno == EACCES ? 13 : 1);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return 1;
    tries++;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 42) wins++;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 13) refused++;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) killed++;
  }
  printf("tries=%ld wins=%ld killed=%ld refused=%ld\n", tries, wins, killed, refused);
  return 0;
}
