/* A stat TOCTOU attacker: the path of newfstatat, statx or faccessat2 with AT_EMPTY_PATH flips
 * between "" (the fd itself: DIR) and "secret" (a file stat hides) while the main thread calls.
 * Usage: race_statfd DIR newfstatat|statx|faccessat2 ITERATIONS SECONDS
 * Prints: "tries=N wins=W" (W: calls that reached DIR/secret; 0 under syd when it is hidden). */
#include "reach.h"
#include <pthread.h>
#include <sys/stat.h>
#include <linux/stat.h>

static char path[8] = "secret";

static void *flip(void *arg) {
  (void)arg;
  for (;;) {
    path[0] = 0;
    __asm__ volatile("" ::: "memory");
    path[0] = 's';
    __asm__ volatile("" ::: "memory");
  }
  return NULL;
}

int main(int argc, char **argv) {
  require_sandbox("race_statfd");
  check_args(argc == 5, "race_statfd DIR newfstatat|statx|faccessat2 ITERATIONS SECONDS");
  int dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat own;
  if (dir < 0 || fstat(dir, &own) != 0) return 1;
  const char *call = argv[2];
  long iterations = atol(argv[3]);
  double deadline = now() + atof(argv[4]);
  pthread_t t;
  pthread_create(&t, NULL, flip, NULL);
  long tries = 0, wins = 0;
  for (; tries < iterations && now() < deadline; tries++) {
    if (strcmp(call, "newfstatat") == 0) {
      struct stat st;
      if (syscall(SYS_newfstatat, dir, path, &st, AT_EMPTY_PATH) == 0 && st.st_ino != own.st_ino) wins++;
    } else if (strcmp(call, "statx") == 0) {
      struct statx sx;
      if (syscall(SYS_statx, dir, path, AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) == 0 && sx.stx_ino != own.st_ino) wins++;
    } else {
      /* DIR is searchable (X_OK holds for it); the secret file is not executable: EACCES. */
      if (syscall(SYS_faccessat2, dir, path, X_OK, AT_EMPTY_PATH) != 0 && errno == EACCES) wins++;
    }
  }
  printf("tries=%ld wins=%ld\n", tries, wins);
  return 0;
}
