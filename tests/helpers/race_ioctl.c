/* An ioctl TOCTOU attacker: while the main thread asks FIONREAD of fd 100, another thread keeps
 * dup2-ing DIR/public and DIR/secret onto fd 100. DIR/secret holds SECRET_LEN bytes, DIR/public
 * a different number of bytes, so the answer says which file the call reached.
 * Usage: race_ioctl DIR ITERATIONS SECONDS
 * Prints: "tries=N wins=W refused=R" (W: answers from DIR/secret; 0 under syd when ioctl is
 * denied on it; R: calls refused). */
#include "reach.h"
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

static int public_fd, secret_fd;

static void *swap(void *arg) {
  (void)arg;
  for (;;) {
    dup2(secret_fd, 100);
    dup2(public_fd, 100);
  }
  return NULL;
}

int main(int argc, char **argv) {
  require_sandbox("race_ioctl");
  check_args(argc == 4, "race_ioctl DIR ITERATIONS SECONDS");
  char path[4096];
  snprintf(path, sizeof path, "%s/public", argv[1]);
  public_fd = open(path, O_RDONLY | O_CLOEXEC);
  snprintf(path, sizeof path, "%s/secret", argv[1]);
  secret_fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat secret;
  if (public_fd < 0 || secret_fd < 0 || fstat(secret_fd, &secret) != 0) return 1;
  dup2(public_fd, 100);
  long iterations = atol(argv[2]);
  double deadline = now() + atof(argv[3]);
  pthread_t t;
  pthread_create(&t, NULL, swap, NULL);
  long tries = 0, wins = 0, refused = 0;
  for (; tries < iterations && now() < deadline; tries++) {
    int n = -1;
    if (ioctl(100, FIONREAD, &n) != 0) refused++;
    else if (n == secret.st_size) wins++;
  }
  printf("tries=%ld wins=%ld refused=%ld\n", tries, wins, refused);
  return 0;
}
