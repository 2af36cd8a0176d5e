/* A chdir race won by a child that shares the parent's fs struct (clone with CLONE_FS, without
 * CLONE_THREAD): the child's second thread flips the path between DIR/public and DIR/secret
 * while the child calls chdir on it, until syd kills the child for a race it caught or 2,000
 * calls are done; the parent then looks at its own cwd, which the child's chdir moved.
 * Usage: race_chdir_fs DIR ROUNDS
 * Prints: "rounds=N inside=M" (M: rounds after which the parent was inside DIR/secret; under
 * syd with DIR/secret denied, a won race kills the parent too, and nothing is printed). */
#include "reach.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

static char path[4096];
static char stack[256 * 1024] __attribute__((aligned(16)));

static int child(void *arg) {
  (void)arg;
  pthread_t t;
  pthread_create(&t, NULL, flip_public_secret, NULL);
  for (long i = 0; i < 2000; i++) syscall(SYS_chdir, path);
  syscall(SYS_exit_group, 0);
  return 0;
}

int main(int argc, char **argv) {
  require_sandbox("race_chdir_fs");
  check_args(argc == 3, "race_chdir_fs DIR ROUNDS");
  snprintf(path, sizeof path, "%s/public", argv[1]);
  flip_path = path;
  flip_at = strlen(path) - 6; /* "public" */
  char secret[4096], cwd[4096];
  snprintf(secret, sizeof secret, "%s/secret", argv[1]);
  long rounds = atol(argv[2]), inside = 0, round = 0;
  for (; round < rounds; round++) {
    long pid = clone(child, stack + sizeof stack, CLONE_FS | SIGCHLD, NULL);
    if (pid < 0) return 1;
    waitpid(pid, NULL, 0);
    if (getcwd(cwd, sizeof cwd) && strcmp(cwd, secret) == 0) inside++;
    if (chdir("/") != 0) return 1;
  }
  printf("rounds=%ld inside=%ld\n", round, inside);
  return 0;
}
