/* Attacks on W^X, Force and masks (tests/wx_attack_test.ts). Run only inside the sandbox, on
 * files in a temp dir (natively only to show a technique works). Modes:
 *   procmem [PATH]        pwrite `mov eax, 42; ret` over a function of this program's text
 *                         through /proc/self/mem (or PATH), then call it
 *   memfd_reopen          a memfd with code, reopened read-only through /proc/self/fd/N, mapped
 *                         PROT_READ|PROT_EXEC through the read-only fd, called
 *   map_files             the same, the read-only fd opened from /proc/self/map_files/A-B of a
 *                         shared read-only mapping of the memfd
 *   force_link FILE NEW   map FILE (raw code) PROT_READ|PROT_EXEC through a read-only fd (Force
 *                         hashes it), hard link it to NEW, write `mov eax, 7; ret` through NEW,
 *                         call the mapping
 *   force_rename FILE NEW the same, FILE renamed to NEW
 *   mask_renamedir DIR NEW  rename DIR (holding the masked DIR/f) to NEW, read NEW/f
 *   mask_opath FILE       O_PATH open of FILE, fstat, fgetxattr user.secret through it
 *   mask_exec FILE        execve FILE (a `#!` script: the kernel reads its first line)
 * Prints `ran N` (code ran), `read [TEXT]`, or `refused STEP errno`; exit 0 unless killed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static const unsigned char code42[] = {0xb8, 0x2a, 0, 0, 0, 0xc3}; /* mov eax, 42; ret */
static const unsigned char code7[] = {0xb8, 0x07, 0, 0, 0, 0xc3};  /* mov eax, 7; ret */

__attribute__((noinline)) int victim(void) { return 1; }

static int refused(const char *step) {
  printf("refused %s %d\n", step, errno);
  return 0;
}

static int call(void *code) {
  int (*fn)(void) = (int (*)(void))(uintptr_t)code;
  printf("ran %d\n", fn());
  return 0;
}

static int memfd_with_code(void) {
  int m = memfd_create("wx", 0);
  if (m < 0) return -1;
  char page[4096] = {0};
  memcpy(page, code42, sizeof code42);
  if (write(m, page, sizeof page) != sizeof page) return -1;
  return m;
}

static int map_call(int fd) {
  void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return refused("mmap");
  return call(p);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *mode = argv[1];
  if (strcmp(mode, "procmem") == 0) {
    int fd = open(argc > 2 ? argv[2] : "/proc/self/mem", O_RDWR);
    if (fd < 0) return refused("open");
    int (*volatile fn)(void) = victim;
    if (pwrite(fd, code42, sizeof code42, (off_t)(uintptr_t)fn) < 0) return refused("pwrite");
    printf("ran %d\n", fn());
    return 0;
  }
  if (strcmp(mode, "memfd_reopen") == 0 || strcmp(mode, "map_files") == 0) {
    int m = memfd_with_code();
    if (m < 0) return refused("memfd");
    char path[128];
    if (strcmp(mode, "map_files") == 0) {
      char *s = mmap(NULL, 4096, PROT_READ, MAP_SHARED, m, 0);
      if (s == MAP_FAILED) return refused("mmap_shared");
      snprintf(path, sizeof path, "/proc/self/map_files/%lx-%lx", (unsigned long)s, (unsigned long)s + 4096);
    } else {
      snprintf(path, sizeof path, "/proc/self/fd/%d", m);
    }
    int ro = open(path, O_RDONLY);
    if (ro < 0) return refused("reopen");
    return map_call(ro);
  }
  if ((strcmp(mode, "force_link") == 0 || strcmp(mode, "force_rename") == 0) && argc > 3) {
    int ro = open(argv[2], O_RDONLY);
    if (ro < 0) return refused("open");
    void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, ro, 0);
    if (p == MAP_FAILED) return refused("mmap");
    int r = strcmp(mode, "force_link") == 0 ? link(argv[2], argv[3]) : rename(argv[2], argv[3]);
    if (r < 0) return refused(mode + 6);
    int w = open(argv[3], O_RDWR);
    if (w < 0) return refused("open_write");
    if (pwrite(w, code7, sizeof code7, 0) != sizeof code7) return refused("pwrite");
    return call(p);
  }
  if (strcmp(mode, "mask_renamedir") == 0 && argc > 3) {
    if (rename(argv[2], argv[3]) < 0) return refused("rename");
    char path[4096];
    snprintf(path, sizeof path, "%s/f", argv[3]);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return refused("open");
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
    printf("read [%s]\n", buf);
    return 0;
  }
  if (strcmp(mode, "mask_opath") == 0 && argc > 2) {
    int fd = open(argv[2], O_PATH);
    if (fd < 0) return refused("open");
    struct stat st;
    if (fstat(fd, &st) < 0) return refused("fstat");
    char x[64] = {0};
    ssize_t n = fgetxattr(fd, "user.secret", x, sizeof x - 1);
    printf("size %ld xattr %s\n", (long)st.st_size, n < 0 ? "none" : x);
    return 0;
  }
  if (strcmp(mode, "mask_exec") == 0 && argc > 2) {
    fflush(stdout);
    execl(argv[2], argv[2], (char *)NULL);
    return refused("exec");
  }
  return 2;
}
