// The 32-thread macro workload of bench/bench.ts: THREADS threads each open, read, fstat and close
// the file named by argv[1] ITERATIONS times; exits 0 only when every call succeeded.
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

enum { THREADS = 32, ITERATIONS = 2000 };

static const char *path;

static void *worker(void *arg) {
  (void)arg;
  char buffer[256];
  for (int i = 0; i < ITERATIONS; i++) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return (void *)1;
    struct stat st;
    if (read(fd, buffer, sizeof buffer) < 0 || fstat(fd, &st) != 0) {
      close(fd);
      return (void *)1;
    }
    if (close(fd) != 0) return (void *)1;
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  path = argv[1];
  pthread_t threads[THREADS];
  for (int t = 0; t < THREADS; t++) {
    if (pthread_create(&threads[t], NULL, worker, NULL) != 0) {
      perror("pthread_create");
      return 1;
    }
  }
  int failed = 0;
  for (int t = 0; t < THREADS; t++) {
    void *result;
    if (pthread_join(threads[t], &result) != 0 || result != NULL) failed = 1;
  }
  if (failed) {
    fprintf(stderr, "%s: a call failed\n", argv[0]);
    return 1;
  }
  return 0;
}
