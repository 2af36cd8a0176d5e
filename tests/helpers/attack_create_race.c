/* A trusted-creation attacker: while the main thread opens DIR/t with O_WRONLY|O_CREAT|O_TRUNC
 * (no O_EXCL), another thread keeps exchanging DIR/t with DIR/theirs (another user's file),
 * DIR/lnk (a symlink to DIR/target), DIR/fifo (another user's FIFO), DIR/dir and DIR/own (a
 * world-writable file of the caller's). Trusted file creation must open none of them: the file
 * opened is always one the caller owns and nobody else may write, and nothing is truncated
 * that it refused.
 * Usage: attack_create_race DIR ITERATIONS SECONDS
 * Prints: "tries=N opened=M wins=W" (W: opens of a refused object, plus refused files found
 * truncated at the end; 0 under syd). */
#include "reach.h"
#include <pthread.h>
#include <sys/stat.h>

static char names[6][4096];
static volatile int stop;

static void *swap(void *arg) {
  (void)arg;
  for (unsigned i = 0; !stop; i++) {
    syscall(SYS_renameat2, AT_FDCWD, names[0], AT_FDCWD, names[1 + i % 5], 2 /* RENAME_EXCHANGE */);
  }
  return NULL;
}

int main(int argc, char **argv) {
  require_sandbox("attack_create_race");
  check_args(argc == 4, "attack_create_race DIR ITERATIONS SECONDS");
  const char *leaf[6] = {"t", "theirs", "lnk", "fifo", "dir", "own"};
  for (int i = 0; i < 6; i++) snprintf(names[i], sizeof names[i], "%s/%s", argv[1], leaf[i]);
  char target[4200];
  snprintf(target, sizeof target, "%s/target", argv[1]);
  struct stat target_st;
  if (stat(target, &target_st) != 0) return 1;
  long iterations = atol(argv[2]);
  double deadline = now() + atof(argv[3]);
  pthread_t t;
  pthread_create(&t, NULL, swap, NULL);
  long tries = 0, opened = 0, wins = 0;
  for (; tries < iterations && now() < deadline; tries++) {
    int fd = open(names[0], O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC, 0600);
    if (fd < 0) continue;
    opened++;
    struct stat st;
    if (fstat(fd, &st) == 0 &&
        (st.st_uid != getuid() || !S_ISREG(st.st_mode) || (st.st_mode & 022) != 0 || st.st_ino == target_st.st_ino)) {
      wins++;
    }
    close(fd);
  }
  stop = 1;
  pthread_join(t, NULL);
  // Refused files keep their contents: another user's file and the symlink's target.
  for (int i = 0; i < 6; i++) {
    struct stat st;
    if (lstat(names[i], &st) == 0 && S_ISREG(st.st_mode) && st.st_uid != getuid() && st.st_size == 0) wins++;
  }
  if (stat(target, &target_st) == 0 && target_st.st_size == 0) wins++;
  printf("tries=%ld opened=%ld wins=%ld\n", tries, opened, wins);
  return 0;
}
