/* Calls fstatat() on one existing path N times and prints the calls per second.
 * Usage: stat_loop ITERATIONS [PATH] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

int main(int argc, char **argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 100000;
  const char *path = argc > 2 ? argv[2] : "/etc/passwd";
  struct stat st;
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long i = 0; i < iterations; i++) {
    if (fstatat(AT_FDCWD, path, &st, 0) != 0) { perror("fstatat"); return 1; }
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
  printf("%.0f\n", iterations / seconds);
  return 0;
}
