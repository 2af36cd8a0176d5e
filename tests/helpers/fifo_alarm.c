/* Opens a FIFO for reading with alarm(1) pending, its SIGALRM handler installed with or without
 * SA_RESTART. Usage: fifo_alarm FIFO restart|norestart
 * Prints "EINTR after N.N s" when the open was interrupted, or "opened after N.N s". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void on_alarm(int sig) { (void)sig; }

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fifo_alarm FIFO restart|norestart\n");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = strcmp(argv[2], "restart") == 0 ? SA_RESTART : 0;
  sigaction(SIGALRM, &sa, NULL);
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  alarm(1);
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  int saved = errno;
  clock_gettime(CLOCK_MONOTONIC, &end);
  double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
  if (fd >= 0) {
    printf("opened after %.1f s\n", seconds);
    return 0;
  }
  printf("%s after %.1f s\n", saved == EINTR ? "EINTR" : strerror(saved), seconds);
  return 1;
}
