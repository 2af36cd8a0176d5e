/* A rename type-swap attacker: while the main thread renames DIR/src (a directory when syd looks)
 * to fresh names DIR/newN, another thread keeps exchanging DIR/src with a regular file DIR/alt.
 * A supervisor that judges the new name by the type it saw (mkdir for a directory) and then
 * lets the kernel rename whatever is there puts a regular file on a name denied for create.
 * Usage: race_rename_type DIR ITERATIONS SECONDS
 * Prints: "tries=N moved=M wins=W" (W: regular files that got a newN name; 0 under syd when
 * DIR/new* is denied for create; M: renames that succeeded, which must keep working). */
#include "reach.h"
#include <pthread.h>
#include <sys/stat.h>

static char src[4096], alt[4096];
static volatile int stop;

static void *swap(void *arg) {
  (void)arg;
  while (!stop) {
    if (syscall(SYS_renameat2, AT_FDCWD, src, AT_FDCWD, alt, 2 /* RENAME_EXCHANGE */) != 0 && errno == ENOENT) {
      mkdir(src, 0755);
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  require_sandbox("race_rename_type");
  check_args(argc == 4, "race_rename_type DIR ITERATIONS SECONDS");
  snprintf(src, sizeof src, "%s/src", argv[1]);
  snprintf(alt, sizeof alt, "%s/alt", argv[1]);
  int fd = open(alt, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0 || mkdir(src, 0755) != 0) return 1;
  close(fd);
  long iterations = atol(argv[2]);
  double deadline = now() + atof(argv[3]);
  pthread_t t;
  pthread_create(&t, NULL, swap, NULL);
  long tries = 0, moved = 0, wins = 0;
  char name[4200];
  for (; tries < iterations && now() < deadline; tries++) {
    snprintf(name, sizeof name, "%s/new%ld", argv[1], tries);
    if (rename(src, name) != 0) continue;
    moved++;
    struct stat st;
    if (lstat(name, &st) == 0 && S_ISREG(st.st_mode)) wins++;
    if (rename(name, src) != 0 && errno != ENOENT) mkdir(src, 0755);
  }
  stop = 1;
  pthread_join(t, NULL);
  printf("tries=%ld moved=%ld wins=%ld\n", tries, moved, wins);
  return 0;
}
