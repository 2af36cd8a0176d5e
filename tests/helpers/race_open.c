/* A TOCTOU attacker: while the main thread opens and reads a path 10,000 times, one thread keeps
 * rewriting the path buffer between an allowed and a denied file, and another keeps replacing
 * DIR/swap with a symlink to the denied file and a regular file in turn.
 * Usage: race_open DIR ITERATIONS   (DIR holds "public" and "secret", each 6 bytes + newline)
 * Prints: "opens=N secret=M" (M must stay 0 under syd when DIR/secret is denied). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[4096];
static char public_path[4096], secret_path[4096], swap_path[4096], link_tmp[4096], file_tmp[4096];
static atomic_int stop;

static void *swap_buffer(void *arg) {
  (void)arg;
  size_t offset = strlen(public_path) - 6; /* "public" and "secret" have the same length */
  while (!atomic_load(&stop)) {
    memcpy((char *)path + offset, "secret", 6);
    memcpy((char *)path + offset, "public", 6);
  }
  return NULL;
}

static void *swap_link(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    unlink(link_tmp);
    if (symlink(secret_path, link_tmp) == 0) rename(link_tmp, swap_path);
    int fd = open(file_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      if (write(fd, "public\n", 7) != 7) break;
      close(fd);
      rename(file_tmp, swap_path);
    }
  }
  return NULL;
}

static int read_is_secret(const char *p) {
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[16] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 && strncmp(buf, "secret", 6) == 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: race_open DIR ITERATIONS\n");
    return 2;
  }
  const char *dir = argv[1];
  long iterations = atol(argv[2]);
  snprintf(public_path, sizeof public_path, "%s/public", dir);
  snprintf(secret_path, sizeof secret_path, "%s/secret", dir);
  snprintf(swap_path, sizeof swap_path, "%s/swap", dir);
  snprintf(link_tmp, sizeof link_tmp, "%s/.swap-link", dir);
  snprintf(file_tmp, sizeof file_tmp, "%s/.swap-file", dir);
  strcpy(path, public_path);
  pthread_t a, b;
  pthread_create(&a, NULL, swap_buffer, NULL);
  pthread_create(&b, NULL, swap_link, NULL);
  long opens = 0, secret = 0;
  for (long i = 0; i < iterations; i++) {
    int r1 = read_is_secret(path);
    int r2 = read_is_secret(swap_path);
    opens += (r1 >= 0) + (r2 >= 0);
    secret += (r1 == 1) + (r2 == 1);
  }
  atomic_store(&stop, 1);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("opens=%ld secret=%ld\n", opens, secret);
  return 0;
}
