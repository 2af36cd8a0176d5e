/* A chdir TOCTOU attacker, two ways: "path" flips the path buffer between DIR/public and
 * DIR/secret (directories) while the main thread calls chdir on it; "fd" keeps dup2-ing an fd
 * of DIR/secret and one of DIR/public onto the same number while the main thread calls fchdir
 * on it. After each successful call the thread looks where it is (stat "."): inside DIR/secret
 * is a win. A child does the tries (syd kills one that wins a race it catches: a new child
 * goes on with the tries left).
 * Usage: race_chdir DIR path|fd ITERATIONS SECONDS
 * Prints: "tries=N wins=W killed=K" (W must stay 0 under syd when DIR/secret is denied for
 * chdir; K: children syd killed). */
#include "reach.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char path[4096];
static int public_fd, secret_fd, target_fd = 100;

static void *flip_fd(void *arg) {
  (void)arg;
  for (;;) {
    dup2(secret_fd, target_fd);
    dup2(public_fd, target_fd);
  }
  return NULL;
}

struct shared {
  atomic_long tries, wins;
};

int main(int argc, char **argv) {
  require_sandbox("race_chdir");
  check_args(argc == 5 && (strcmp(argv[2], "path") == 0 || strcmp(argv[2], "fd") == 0),
             "race_chdir DIR path|fd ITERATIONS SECONDS");
  int by_fd = strcmp(argv[2], "fd") == 0;
  long iterations = atol(argv[3]);
  double deadline = now() + atof(argv[4]);
  char secret_path[4096];
  snprintf(path, sizeof path, "%s/public", argv[1]);
  snprintf(secret_path, sizeof secret_path, "%s/secret", argv[1]);
  flip_path = path;
  flip_at = strlen(path) - 6; /* "public" */
  struct stat secret;
  if (stat(secret_path, &secret) != 0) return 1;
  struct shared *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return 1;
  long killed = 0;
  while (atomic_load(&shared->tries) < iterations && now() < deadline) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      public_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      secret_fd = open(secret_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (public_fd < 0 || secret_fd < 0) _exit(1);
      dup2(public_fd, target_fd);
      pthread_t t;
      pthread_create(&t, NULL, by_fd ? flip_fd : flip_public_secret, NULL);
      while (atomic_load(&shared->tries) < iterations && now() < deadline) {
        int rc = by_fd ? fchdir(target_fd) : chdir(path);
        atomic_fetch_add(&shared->tries, 1);
        struct stat here;
        if (rc == 0 && stat(".", &here) == 0 && here.st_dev == secret.st_dev && here.st_ino == secret.st_ino)
          atomic_fetch_add(&shared->wins, 1);
      }
      _exit(0);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return 1;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) killed++;
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }
  printf("tries=%ld wins=%ld killed=%ld\n", atomic_load(&shared->tries), atomic_load(&shared->wins), killed);
  return 0;
}
