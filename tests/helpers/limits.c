/* limits: asks for memory or tasks in steps, printing each step's outcome, for the tests of
 * memory sandboxing (mem/max, mem/vm_max) and PID sandboxing (pid/max).
 *
 *   limits mmap MIB             one anonymous mapping of MIB MiB, every page touched
 *   limits step MIB COUNT       COUNT mappings of MIB MiB, each touched: "chunk I ok|errno N"
 *   limits reserve MIB COUNT    COUNT mappings of MIB MiB, none touched
 *   limits brk MIB COUNT        the heap grown by MIB MiB COUNT times with sbrk, touched
 *   limits mremap MIB COUNT     one mapping grown by MIB MiB COUNT times with mremap
 *   limits sysinfo              prints sysinfo's totalram and freeram in bytes
 *   limits fork COUNT           COUNT children that wait for the parent: "forked I" each
 *   limits threads COUNT        COUNT threads that wait: "thread I" each
 *
 * Every line is flushed at once: a process killed mid-way has printed what it did. Exit 0 when
 * every step succeeded, 1 at the first refusal (memory), 0 after the forks (tasks).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *format, long a, long b) {
  printf(format, a, b);
  fflush(stdout);
}

static void *wait_forever(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *mode = argv[1];
  long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
  long count = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
  size_t chunk = (size_t)mib << 20;
  if (strcmp(mode, "mmap") == 0 || strcmp(mode, "step") == 0 || strcmp(mode, "reserve") == 0) {
    int touch = strcmp(mode, "reserve") != 0;
    if (strcmp(mode, "mmap") == 0) count = 1;
    for (long i = 0; i < count; i++) {
      void *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) {
        say("chunk %ld errno %ld\n", i, errno);
        return 1;
      }
      if (touch) memset(p, 0x5a, chunk);
      say("chunk %ld ok%.0ld\n", i, 0);
    }
    return 0;
  }
  if (strcmp(mode, "brk") == 0) {
    for (long i = 0; i < count; i++) {
      void *p = sbrk((intptr_t)chunk);
      if (p == (void *)-1) {
        say("chunk %ld errno %ld\n", i, errno);
        return 1;
      }
      memset(p, 0x5a, chunk);
      say("chunk %ld ok%.0ld\n", i, 0);
    }
    return 0;
  }
  if (strcmp(mode, "mremap") == 0) {
    size_t size = chunk;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 3;
    memset(p, 0x5a, size);
    for (long i = 0; i < count; i++) {
      void *q = mremap(p, size, size + chunk, MREMAP_MAYMOVE);
      if (q == MAP_FAILED) {
        say("grow %ld errno %ld\n", i, errno);
        return 1;
      }
      p = q;
      memset((char *)p + size, 0x5a, chunk);
      size += chunk;
      say("grow %ld ok%.0ld\n", i, 0);
    }
    return 0;
  }
  if (strcmp(mode, "sysinfo") == 0) {
    struct sysinfo info;
    if (sysinfo(&info) != 0) return 3;
    printf("total %llu free %llu\n", (unsigned long long)info.totalram * info.mem_unit,
           (unsigned long long)info.freeram * info.mem_unit);
    return 0;
  }
  if (strcmp(mode, "fork") == 0) {
    count = mib;
    static pid_t children[4096];
    if (count > 4096) return 2;
    for (long i = 0; i < count; i++) {
      pid_t pid = fork();
      if (pid < 0) {
        say("fork %ld errno %ld\n", i, errno);
        return 1;
      }
      if (pid == 0) {
        for (;;) pause();
      }
      children[i] = pid;
      say("forked %ld%.0ld\n", i, 0);
    }
    for (long i = 0; i < count; i++) kill(children[i], SIGKILL);
    for (long i = 0; i < count; i++) waitpid(children[i], NULL, 0);
    return 0;
  }
  if (strcmp(mode, "threads") == 0) {
    count = mib;
    for (long i = 0; i < count; i++) {
      pthread_t thread;
      int rc = pthread_create(&thread, NULL, wait_forever, NULL);
      if (rc != 0) {
        say("thread %ld errno %ld\n", i, rc);
        return 1;
      }
      say("thread %ld%.0ld\n", i, 0);
    }
    return 0;
  }
  return 2;
}
