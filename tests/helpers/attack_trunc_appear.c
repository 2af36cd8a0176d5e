/* A truncate attacker: while the main thread opens DIR/f with O_WRONLY|O_CREAT|O_TRUNC (no
 * O_EXCL), another thread keeps writing a file of the caller's own (mode 0600, 4 bytes) at
 * DIR/tmp, renaming it onto DIR/f, and removing DIR/f. An open that finds the name missing is
 * judged as a creation; the file that appears meanwhile must not be truncated unless truncate
 * is allowed (found by review).
 * Usage: attack_trunc_appear DIR ITERATIONS SECONDS
 * Prints: "tries=N opened=O wins=W" (W: files of the writer found emptied after it put them in
 * place). */
#include "reach.h"
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>

static char final_name[4096], tmp_name[4096];
static volatile int stop;
static long wins;

/* Writes a file of its own, puts it at DIR/f, lets the opener run, then looks through its own
 * fd whether the file was emptied meanwhile: a truncate of a file the opener did not create. */
static void *writer(void *arg) {
  (void)arg;
  while (!stop) {
    int fd = open(tmp_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) continue;
    if (write(fd, "data", 4) == 4 && rename(tmp_name, final_name) == 0) {
      for (int i = 0; i < 50; i++) sched_yield();
      struct stat st;
      if (fstat(fd, &st) == 0 && st.st_size == 0) wins++;
    }
    close(fd);
    unlink(final_name);
  }
  return NULL;
}

int main(int argc, char **argv) {
  require_sandbox("attack_trunc_appear");
  check_args(argc == 4, "attack_trunc_appear DIR ITERATIONS SECONDS");
  snprintf(final_name, sizeof final_name, "%s/f", argv[1]);
  snprintf(tmp_name, sizeof tmp_name, "%s/tmp", argv[1]);
  long iterations = atol(argv[2]);
  double deadline = now() + atof(argv[3]);
  pthread_t t;
  pthread_create(&t, NULL, writer, NULL);
  long tries = 0, opened = 0;
  for (; tries < iterations && now() < deadline; tries++) {
    int fd = open(final_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) continue;
    opened++;
    close(fd);
  }
  stop = 1;
  pthread_join(t, NULL);
  printf("tries=%ld opened=%ld wins=%ld\n", tries, opened, wins);
  return 0;
}
