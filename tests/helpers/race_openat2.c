/* Issue 12, openat2 flag flip: while the main thread calls openat2(AT_FDCWD, DIR/secret, &how, 24)
 * and tries to read (or write) through the fd, another thread keeps flipping how.flags between
 * O_PATH and O_RDONLY (mode "read") or O_PATH and O_WRONLY (mode "write"). A judge that reads
 * open_how once and lets the kernel read it again would judge an O_PATH open and perform a
 * readable or writable one.
 * Mode "opath" instead checks plain O_PATH opens: of DIR/secret, and of DIR/public (fstat and
 * fcntl(F_GETFL) through the fd it gives).
 * Usage: race_openat2 DIR read|write ITERATIONS SECONDS
 *        race_openat2 DIR opath
 * Prints: "tries=N opened=M wins=W" (W: reads that returned the secret's contents, or writes
 * that went through; must stay 0 under syd when DIR/secret is denied), or for "opath" the lines
 * "opath_secret=ERRNO", "opath_public=OK", "fstat=OK size=N", "getfl=0xHEX accmode=... nonblock=...". */
#include "reach.h"
#include <linux/openat2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>

static struct open_how how;
static unsigned long long flip_a, flip_b;
static atomic_int stop;

static void *flipper(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    __atomic_store_n(&how.flags, flip_a, __ATOMIC_RELAXED);
    __atomic_store_n(&how.flags, flip_b, __ATOMIC_RELAXED);
  }
  return NULL;
}

static int opath(const char *dir) {
  char secret[4096], public[4096];
  snprintf(secret, sizeof secret, "%s/secret", dir);
  snprintf(public, sizeof public, "%s/public", dir);
  int fd = open(secret, O_PATH | O_CLOEXEC);
  report("opath_secret", fd);
  if (fd >= 0) close(fd);
  fd = open(public, O_PATH | O_CLOEXEC);
  report("opath_public", fd);
  if (fd < 0) return 0;
  struct stat st;
  if (fstat(fd, &st) == 0) printf("fstat=OK size=%lld\n", (long long)st.st_size);
  else report("fstat", -1);
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) {
    report("getfl", -1);
  } else {
    const char *acc = (fl & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : (fl & O_ACCMODE) == O_WRONLY ? "O_WRONLY" : "O_RDWR";
    printf("getfl=0x%x accmode=%s nonblock=%d path=%d\n", fl, acc, !!(fl & O_NONBLOCK), !!(fl & O_PATH));
  }
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  require_sandbox("race_openat2");
  check_args(argc == 3 || argc == 5, "race_openat2 DIR read|write ITERATIONS SECONDS | race_openat2 DIR opath");
  const char *dir = argv[1];
  const char *mode = argv[2];
  if (argc == 3) {
    check_args(strcmp(mode, "opath") == 0, "race_openat2 DIR opath");
    return opath(dir);
  }
  int writing = strcmp(mode, "write") == 0;
  check_args(writing || strcmp(mode, "read") == 0, "race_openat2 DIR read|write ITERATIONS SECONDS");
  long iterations = atol(argv[3]);
  double seconds = atof(argv[4]);
  char secret[4096];
  snprintf(secret, sizeof secret, "%s/secret", dir);
  flip_a = O_PATH | O_CLOEXEC;
  flip_b = (writing ? O_WRONLY : O_RDONLY) | O_CLOEXEC;
  how.flags = flip_a;
  pthread_t t;
  pthread_create(&t, NULL, flipper, NULL);
  long tries = 0, opened = 0, wins = 0;
  double deadline = now() + seconds;
  for (; tries < iterations && (tries % 256 || now() < deadline); tries++) {
    int fd = syscall(SYS_openat2, AT_FDCWD, secret, &how, 24);
    if (fd < 0) continue;
    opened++;
    if (writing) {
      if (pwrite(fd, "pwned\n", 6, 16) > 0) wins++;
    } else {
      char buf[16] = {0};
      ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
      if (n > 0 && strncmp(buf, "secret", 6) == 0) wins++;
    }
    close(fd);
  }
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  printf("tries=%ld opened=%ld wins=%ld\n", tries, opened, wins);
  return 0;
}
