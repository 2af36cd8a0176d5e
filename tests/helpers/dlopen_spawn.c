/* dlopen_spawn ROUNDS: one thread dlopens and dlcloses libm ROUNDS times (an executable mmap
 * each time, the other threads stopped around it) while a second posix_spawns /bin/true (a vfork
 * child sharing the process's memory until it execs) and a third sleeps in read(2) on a pipe
 * nobody writes (a thread asleep in the kernel: left asleep). Prints "loaded=N spawned=M" and
 * exits 0 when every dlopen and spawn succeeded; a stuck freeze shows as a timeout. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static volatile int stop;
static long spawned;
static int failed;
static int sleeper_pipe[2];

static void *spawner(void *arg) {
  (void)arg;
  while (!stop) {
    pid_t pid;
    char *argv[] = {"true", NULL};
    if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0) {
      failed = 1;
      return NULL;
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = 1;
    spawned++;
  }
  return NULL;
}

static void *sleeper(void *arg) {
  (void)arg;
  char c;
  (void)read(sleeper_pipe[0], &c, 1);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  long rounds = atol(argv[1]);
  if (pipe(sleeper_pipe) != 0) return 3;
  pthread_t a, b;
  pthread_create(&a, NULL, spawner, NULL);
  pthread_create(&b, NULL, sleeper, NULL);
  long loaded = 0;
  for (long i = 0; i < rounds; i++) {
    void *lib = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE * 0);
    if (lib == NULL) {
      fprintf(stderr, "dlopen: %s\n", dlerror());
      failed = 1;
      break;
    }
    loaded++;
    dlclose(lib);
  }
  stop = 1;
  pthread_join(a, NULL);
  (void)write(sleeper_pipe[1], "x", 1);
  pthread_join(b, NULL);
  printf("loaded=%ld spawned=%ld\n", loaded, spawned);
  return failed;
}
