/* A memfd-name TOCTOU attacker: while the main thread calls memfd_create(name), another thread
 * keeps rewriting the name between "allowed" and "secret". A supervisor that judges the name it
 * read and lets the kernel read it again makes memfds called "secret" that the policy denies,
 * unless syd creates the memfd itself with the name it judged.
 * Usage: race_memfd ITERATIONS SECONDS
 * Prints: "tries=N made=M wins=W" (W: memfds made with the name "secret"; 0 under syd when
 * !memfd:secret is denied; M: memfds made, which must keep working). */
#include "reach.h"
#include <pthread.h>
#include <sys/mman.h>

static volatile char name[16] = "allowed";

/* Byte by byte through the volatile buffer: the compiler may not drop the first write. */
static void put(const char *text) {
  for (size_t i = 0; i <= strlen(text); i++) name[i] = text[i];
}

static void *swap(void *arg) {
  (void)arg;
  for (;;) {
    put("secret");
    put("allowed");
  }
  return NULL;
}

int main(int argc, char **argv) {
  require_sandbox("race_memfd");
  check_args(argc == 3, "race_memfd ITERATIONS SECONDS");
  long iterations = atol(argv[1]);
  double deadline = now() + atof(argv[2]);
  pthread_t t;
  pthread_create(&t, NULL, swap, NULL);
  long tries = 0, made = 0, wins = 0;
  for (; tries < iterations && now() < deadline; tries++) {
    int fd = memfd_create((const char *)name, MFD_CLOEXEC);
    if (fd < 0) continue;
    made++;
    char link[64], target[256];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t len = readlink(link, target, sizeof target - 1);
    if (len > 0) {
      target[len] = 0;
      if (strstr(target, "secret") != NULL) wins++;
    }
    close(fd);
  }
  printf("tries=%ld made=%ld wins=%ld\n", tries, made, wins);
  return 0;
}
