/* attack_limits_mem: hostile programs against memory sandboxing (mem/max, mem/vm_max), for
 * tests/limits_attack_test.ts. Every line is flushed at once; "pss N vm N" is the process's
 * Pss + Private_Dirty + Shared_Dirty (what mem/max measures) and its VmSize, in MiB.
 *
 *   attack_limits_mem overflow      calls whose size arithmetic may wrap: "NAME ok|errno N"
 *   attack_limits_mem untouched MIB COUNT
 *                                   COUNT MAP_NORESERVE mappings of MIB, touched only after all
 *                                   were granted: "granted N", then "pss .."
 *   attack_limits_mem stack MIB     the stack grown by MIB with no system call: "pss .."
 *   attack_limits_mem shm MIB       shmget + shmat of MIB, touched: "shm ok|errno N", "pss .."
 *   attack_limits_mem memfd MIB     MIB written to a memfd, never mapped: "written N"
 *   attack_limits_mem threads COUNT MIB
 *                                   COUNT threads each map and touch MIB at once: "granted N"
 *   attack_limits_mem vmrace THREADS MIB ROUNDS LIMIT_MIB
 *                                   each round THREADS threads map MIB untouched at the same
 *                                   instant; a round wins when VmSize then passes LIMIT_MIB:
 *                                   "wins W rounds R"
 *   attack_limits_mem devsyd        stat of /dev/syd commands that lift the limits: "CMD errno N"
 *   attack_limits_mem x32           mmap through the x32 system call numbers: "x32 ok|errno N"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char *name, long rc) {
  if (rc < 0) printf("%s errno %d\n", name, errno);
  else printf("%s ok\n", name);
  fflush(stdout);
}

static long read_field(const char *path, const char *name) {
  char buf[8192];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *at = strstr(buf, name);
  if (!at) return -1;
  return strtol(at + strlen(name), NULL, 10);
}

static void report(void) {
  long pss = read_field("/proc/self/smaps_rollup", "\nPss:");
  long dirty = read_field("/proc/self/smaps_rollup", "\nPrivate_Dirty:");
  long shared = read_field("/proc/self/smaps_rollup", "\nShared_Dirty:");
  long vm = read_field("/proc/self/status", "\nVmSize:");
  printf("pss %ld vm %ld\n", (pss + dirty + shared) >> 10, vm >> 10);
  fflush(stdout);
}

static size_t mib_of(const char *text) { return (size_t)strtoul(text, NULL, 10) << 20; }

static int overflow(void) {
  void *p = mmap(NULL, SIZE_MAX & ~4095UL, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  say("mmap_max", p == MAP_FAILED ? -1 : 0);
  p = mmap(NULL, SIZE_MAX, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  say("mmap_wrap", p == MAP_FAILED ? -1 : 0);
  p = mmap(NULL, (size_t)1 << 40, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  say("mmap_1t_noreserve", p == MAP_FAILED ? -1 : 0);
  void *base = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return 3;
  p = mremap(base, 4096, SIZE_MAX - 4094, MREMAP_MAYMOVE);
  say("mremap_wrap", p == MAP_FAILED ? -1 : 0);
  p = mremap(base, SIZE_MAX - 4094, (size_t)1 << 30, MREMAP_MAYMOVE);
  say("mremap_old_huge", p == MAP_FAILED ? -1 : 0);
  p = mremap(base, 4096, (size_t)1 << 30, MREMAP_MAYMOVE | 8 /* unknown flag */);
  say("mremap_odd_flag", p == MAP_FAILED ? -1 : 0);
  p = mremap(base, 4096, (size_t)1 << 30, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
  say("mremap_dontunmap_grow", p == MAP_FAILED ? -1 : 0);
  void *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return 3;
  p = mremap(shared, 0, (size_t)1 << 30, MREMAP_MAYMOVE);
  say("mremap_dup_shared", p == MAP_FAILED ? -1 : 0);
  /* brk answers with the break: moved or not, whatever the call returned */
  long before = syscall(SYS_brk, 0);
  syscall(SYS_brk, (long)-4096);
  long after = syscall(SYS_brk, 0);
  say("brk_top", after == before ? (errno = ENOMEM, -1) : 0);
  syscall(SYS_brk, before + (1L << 30));
  after = syscall(SYS_brk, 0);
  say("brk_1g", after == before ? (errno = ENOMEM, -1) : 0);
  report();
  return 0;
}

static int untouched(size_t size, long count) {
  char *maps[256];
  long granted = 0;
  for (long i = 0; i < count && i < 256; i++) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) break;
    maps[granted++] = p;
  }
  printf("granted %ld\n", granted);
  fflush(stdout);
  for (long i = 0; i < granted; i++) memset(maps[i], 0x5a, size);
  report();
  return 0;
}

static void grow_stack(size_t left) {
  volatile char block[1 << 16];
  memset((char *)block, 0x5a, sizeof block);
  if (left > sizeof block) grow_stack(left - sizeof block);
  __asm__ volatile("" : : "r"(block) : "memory");
}

static int stack(size_t size) {
  struct rlimit limit = {RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_STACK, &limit);
  grow_stack(size);
  report();
  return 0;
}

static int shm(size_t size) {
  int id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
  if (id < 0) {
    say("shm", -1);
    return 0;
  }
  void *p = shmat(id, NULL, 0);
  shmctl(id, IPC_RMID, NULL);
  if (p == (void *)-1) {
    say("shm", -1);
    return 0;
  }
  memset(p, 0x5a, size);
  say("shm", 0);
  report();
  return 0;
}

static int memfd(size_t size) {
  int fd = (int)syscall(SYS_memfd_create, "fill", 0);
  if (fd < 0) return 3;
  static char chunk[1 << 20];
  memset(chunk, 0x5a, sizeof chunk);
  size_t written = 0;
  while (written < size) {
    ssize_t n = write(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    written += (size_t)n;
  }
  printf("written %zu\n", written >> 20);
  fflush(stdout);
  report();
  return 0;
}

static pthread_barrier_t barrier;
static size_t chunk_size;
static atomic_long granted_count;
static atomic_int stop_rounds;
static void *round_maps[64];

static void *alloc_thread(void *arg) {
  (void)arg;
  pthread_barrier_wait(&barrier);
  void *p = mmap(NULL, chunk_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED) {
    memset(p, 0x5a, chunk_size);
    atomic_fetch_add(&granted_count, 1);
  }
  pthread_barrier_wait(&barrier);
  return NULL;
}

static int threads(long count, size_t size) {
  if (count < 1 || count > 64) return 2;
  chunk_size = size;
  pthread_barrier_init(&barrier, NULL, (unsigned)count + 1);
  pthread_t ids[64];
  for (long i = 0; i < count; i++) pthread_create(&ids[i], NULL, alloc_thread, NULL);
  pthread_barrier_wait(&barrier);
  pthread_barrier_wait(&barrier);
  printf("granted %ld\n", atomic_load(&granted_count));
  fflush(stdout);
  report();
  return 0;
}

static void *race_thread(void *arg) {
  long index = (long)arg;
  for (;;) {
    pthread_barrier_wait(&barrier);
    if (atomic_load(&stop_rounds)) return NULL;
    void *p = mmap(NULL, chunk_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    round_maps[index] = p == MAP_FAILED ? NULL : p;
    pthread_barrier_wait(&barrier);
    pthread_barrier_wait(&barrier); /* measured */
    if (round_maps[index]) munmap(round_maps[index], chunk_size);
  }
}

static int vmrace(long count, size_t size, long rounds, long limit_mib) {
  if (count < 1 || count > 64) return 2;
  chunk_size = size;
  pthread_barrier_init(&barrier, NULL, (unsigned)count + 1);
  pthread_t ids[64];
  for (long i = 0; i < count; i++) pthread_create(&ids[i], NULL, race_thread, (void *)i);
  long wins = 0, most = 0;
  for (long r = 0; r < rounds; r++) {
    pthread_barrier_wait(&barrier);
    pthread_barrier_wait(&barrier);
    long vm = read_field("/proc/self/status", "\nVmSize:") >> 10;
    if (vm > most) most = vm;
    if (vm >= limit_mib) wins++;
    pthread_barrier_wait(&barrier);
  }
  atomic_store(&stop_rounds, 1);
  pthread_barrier_wait(&barrier);
  printf("wins %ld rounds %ld most %ld\n", wins, rounds, most);
  fflush(stdout);
  return 0;
}

static int devsyd(void) {
  const char *commands[] = {"/dev/syd/mem/max:0", "/dev/syd/mem/vm_max:0",
                            "/dev/syd/sandbox/mem:off", "/dev/syd/pid/max:0",
                            "/dev/syd/sandbox/pid:off", "/dev/syd/default/mem:warn"};
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
    struct stat st;
    say(commands[i], stat(commands[i], &st));
  }
  void *p = mmap(NULL, (size_t)512 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  say("mmap_512m", p == MAP_FAILED ? -1 : 0);
  return 0;
}

static int x32(void) {
  long r = syscall(0x40000000L | 9, 0, (long)1 << 30, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  say("x32", r == -1 ? -1 : 0);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  static char out[4096]; /* no malloc for stdout: a refused brk would crash glibc */
  setvbuf(stdout, out, _IOLBF, sizeof out);
  const char *mode = argv[1];
  if (strcmp(mode, "overflow") == 0) return overflow();
  if (strcmp(mode, "untouched") == 0 && argc == 4) return untouched(mib_of(argv[2]), atol(argv[3]));
  if (strcmp(mode, "stack") == 0 && argc == 3) return stack(mib_of(argv[2]));
  if (strcmp(mode, "shm") == 0 && argc == 3) return shm(mib_of(argv[2]));
  if (strcmp(mode, "memfd") == 0 && argc == 3) return memfd(mib_of(argv[2]));
  if (strcmp(mode, "threads") == 0 && argc == 4) return threads(atol(argv[2]), mib_of(argv[3]));
  if (strcmp(mode, "vmrace") == 0 && argc == 6)
    return vmrace(atol(argv[2]), mib_of(argv[3]), atol(argv[4]), atol(argv[5]));
  if (strcmp(mode, "devsyd") == 0) return devsyd();
  if (strcmp(mode, "x32") == 0) return x32();
  return 2;
}
