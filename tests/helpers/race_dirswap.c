/* Issue 12, directory/file type swap: while the main thread opens a path O_RDONLY and reads
 * through the fd, another thread keeps rewriting the path STRING between DIR/subdir (a directory:
 * with readdir sandboxing off, nothing to judge for read) and DIR/secret. A judge that decides on
 * the directory and lets the kernel read the string again would open the secret.
 * Usage: race_dirswap DIR ITERATIONS SECONDS   (DIR holds the directory "subdir" and "secret")
 * Prints: "tries=N dirs=D files=F wins=W" (W: reads that returned the secret's contents; must
 * stay 0 under syd when DIR/secret is denied for read). */
#include "reach.h"
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>

static char path[4096];
static size_t offset;
static atomic_int stop;

/* Byte by byte through a volatile pointer, so that neither store is optimised away. */
static void put(const char *name) {
  volatile char *p = path + offset;
  for (int i = 0; i < 6; i++) p[i] = name[i];
}

static void *swapper(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    put("secret");
    put("subdir");
  }
  return NULL;
}

int main(int argc, char **argv) {
  require_sandbox("race_dirswap");
  check_args(argc == 4, "race_dirswap DIR ITERATIONS SECONDS");
  snprintf(path, sizeof path, "%s/subdir", argv[1]);
  offset = strlen(path) - 6; /* "subdir" and "secret" have the same length */
  long iterations = atol(argv[2]);
  double deadline = now() + atof(argv[3]);
  pthread_t t;
  pthread_create(&t, NULL, swapper, NULL);
  long tries = 0, dirs = 0, files = 0, wins = 0;
  for (; tries < iterations && (tries % 256 || now() < deadline); tries++) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      dirs++;
    } else {
      files++;
      char buf[16] = {0};
      ssize_t n = read(fd, buf, sizeof buf - 1);
      if (n > 0 && strncmp(buf, "secret", 6) == 0) wins++;
    }
    close(fd);
  }
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  printf("tries=%ld dirs=%ld files=%ld wins=%ld\n", tries, dirs, files, wins);
  return 0;
}
