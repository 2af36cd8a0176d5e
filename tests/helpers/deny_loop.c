/* Opens N paths under DIR (DIR/0, DIR/1, ..., DIR/M-1, DIR/0, ...), ignoring failures: under a
 * policy denying DIR, one access record each. Prints how many opens failed with EACCES.
 * Usage: deny_loop N [DIR [M]] */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long count = argc > 1 ? atol(argv[1]) : 1000;
  const char *dir = argc > 2 ? argv[2] : "/etc/denied";
  long modulo = argc > 3 ? atol(argv[3]) : count;
  long denied = 0;
  char path[4096];
  for (long i = 0; i < count; i++) {
    snprintf(path, sizeof path, "%s/%ld", dir, modulo > 0 ? i % modulo : i);
    int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) close(fd);
    else if (errno == EACCES) denied++;
  }
  printf("%ld\n", denied);
  return 0;
}
