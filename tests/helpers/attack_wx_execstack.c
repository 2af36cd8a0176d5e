/* Attack on W^X: an executable stack. The kernel maps a program's stack executable when its
 * PT_GNU_STACK header says PF_X (setup_arg_pages): no mmap or mprotect the filter sees, and
 * PR_SET_MDWE does not look at it. The stack is writable, so any bytes written there run.
 * Modes:
 *   make DIR      copy this program (/proc/self/exe) to DIR/xs with PT_GNU_STACK made RWX, then
 *                 execv DIR/xs run (all inside the sandbox: a hostile program needs no compiler)
 *   run           write `mov eax, 42; ret` into a stack buffer and call it
 *   makerwx DIR   copy it to DIR/xs with its executable PT_LOAD made writable too, execv
 *                 DIR/xs text (the kernel maps that segment itself; MDWE refuses it)
 *   text          write `mov eax, 42; ret` over a function of the program's text, call it
 *   plain DIR     copy it to DIR/xs unchanged (written, closed), execv DIR/xs hello at once:
 *                 a program written then run (a build) must not fail with ETXTBSY
 *   hello         prints `exec ok`
 * Prints `ran 42` (the new code ran), `stack rwx|rw` (its mapping), or `refused STEP errno`;
 * exit 0 unless killed. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int refused(const char *step) {
  printf("refused %s %d\n", step, errno);
  fflush(stdout);
  return 0;
}

__attribute__((noinline)) static int victim(void) { return 1; }

/* Copies /proc/self/exe to `dst`, its PT_GNU_STACK header (`what` 's') or its executable
 * PT_LOAD ('l') made readable, writable, executable; unchanged for 'p'. */
static int make(const char *dst, char what) {
  static unsigned char image[8 << 20];
  int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (in < 0) return -1;
  ssize_t len = 0;
  for (;;) {
    ssize_t n = read(in, image + len, sizeof image - (size_t)len);
    if (n < 0) return -1;
    if (n == 0) break;
    len += n;
  }
  close(in);
  Elf64_Ehdr *eh = (Elf64_Ehdr *)image;
  int patched = 0;
  for (int i = 0; i < eh->e_phnum; i++) {
    Elf64_Phdr *ph = (Elf64_Phdr *)(image + eh->e_phoff + (size_t)i * eh->e_phentsize);
    if ((what == 's' && ph->p_type == PT_GNU_STACK) || (what == 'l' && ph->p_type == PT_LOAD && (ph->p_flags & PF_X))) {
      ph->p_flags = PF_R | PF_W | PF_X;
      patched = 1;
    }
  }
  if (!patched && what != 'p') {
    errno = ENOEXEC;
    return -1;
  }
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (out < 0) return -1;
  if (write(out, image, (size_t)len) != len) return -1;
  return close(out);
}

static void show_stack(void) {
  FILE *maps = fopen("/proc/self/maps", "r");
  if (!maps) return;
  char line[512];
  while (fgets(line, sizeof line, maps)) {
    if (strstr(line, "[stack]")) {
      char *perms = strchr(line, ' ');
      if (perms) printf("stack %s\n", perms[3] == 'x' ? "rwx" : "rw");
    }
  }
  fclose(maps);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int is_make = strcmp(argv[1], "make") == 0, is_rwx = strcmp(argv[1], "makerwx") == 0;
  if ((is_make || is_rwx || strcmp(argv[1], "plain") == 0) && argc > 2) {
    char path[4096];
    snprintf(path, sizeof path, "%s/xs", argv[2]);
    if (make(path, is_make ? 's' : is_rwx ? 'l' : 'p') < 0) return refused("make");
    char *args[] = {path, is_make ? "run" : is_rwx ? "text" : "hello", NULL};
    fflush(stdout);
    // ETXTBSY: syd may still hold its copy of the writable fd it opened for us (see `plain`);
    // the attacks wait for it, `plain` shows it.
    for (int tries = 0; tries < 200; tries++) {
      execv(path, args);
      if (errno != ETXTBSY || (!is_make && !is_rwx)) break;
      usleep(10 * 1000);
    }
    return refused("execv");
  }
  if (strcmp(argv[1], "hello") == 0) {
    printf("exec ok\n");
    return 0;
  }
  if (strcmp(argv[1], "text") == 0) {
    const unsigned char code[] = {0xb8, 0x2a, 0, 0, 0, 0xc3};
    int (*volatile fn)(void) = victim;
    memcpy((void *)(uintptr_t)fn, code, sizeof code);
    printf("ran %d\n", fn());
    return 0;
  }
  if (strcmp(argv[1], "run") == 0) {
    show_stack();
    volatile unsigned char buf[64];
    const unsigned char code[] = {0xb8, 0x2a, 0, 0, 0, 0xc3}; /* mov eax, 42; ret */
    for (size_t i = 0; i < sizeof code; i++) buf[i] = code[i];
    int (*fn)(void) = (int (*)(void))(uintptr_t)buf;
    printf("ran %d\n", fn());
    return 0;
  }
  return 2;
}
