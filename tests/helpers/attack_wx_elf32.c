/* Attack on W^X: a 32-bit ELF. A 32-bit x86 program without a PT_GNU_STACK header gets, from the
 * kernel at exec, an executable stack and the READ_IMPLIES_EXEC persona (every PROT_READ mapping
 * is executable), with no personality(2), mmap or mprotect the filter sees. Its calls of the
 * 32-bit ABI would be killed, but it needs none: a far jump to the 64-bit code segment (0x33)
 * and its system calls are the x86_64 ABI's, judged as any other. Modes:
 *   stack DIR       write DIR/e32 (a hand-made ELF32: one R+X PT_LOAD, no PT_GNU_STACK) and exec
 *                   it: it writes `mov eax, 42; ret` on its stack and calls it
 *   map DIR FILE    the same program maps FILE (raw code) with mmap(PROT_READ) only, which the
 *                   persona makes executable, and calls it: exec sandboxing and Force never see
 *                   an executable mapping
 * Prints `ran 42` when the code ran, or `refused STEP errno`. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The 64-bit part (position independent): argc < 2: code on the stack, called; else open
 * argv[1], mmap(PROT_READ, MAP_PRIVATE) below 4 GiB (the
 * compat task's limit) and call it; `ran 42` and exit 0 if it returned 42. */
static const unsigned char long64[] = {
    0x8b, 0x0c, 0x24, 0x83, 0xf9, 0x02, 0x7c, 0x3f, 0x8b, 0x7c, 0x24, 0x08,
    0x31, 0xf6, 0xb8, 0x02, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x85, 0xc0, 0x78,
    0x6b, 0x41, 0x89, 0xc0, 0xbf, 0x00, 0x00, 0x00, 0x20, 0xbe, 0x00, 0x10,
    0x00, 0x00, 0xba, 0x01, 0x00, 0x00, 0x00, 0x41, 0xba, 0x02, 0x00, 0x00,
    0x00, 0x45, 0x31, 0xc9, 0xb8, 0x09, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x48,
    0x3d, 0x00, 0xf0, 0xff, 0xff, 0x77, 0x41, 0xff, 0xd0, 0xeb, 0x17, 0x48,
    0x83, 0xec, 0x40, 0xc7, 0x04, 0x24, 0xb8, 0x2a, 0x00, 0x00, 0x66, 0xc7,
    0x44, 0x24, 0x04, 0x00, 0xc3, 0x48, 0x89, 0xe0, 0xff, 0xd0, 0x83, 0xf8,
    0x2a, 0x75, 0x21, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xbf, 0x01, 0x00, 0x00,
    0x00, 0x48, 0x8d, 0x35, 0x1c, 0x00, 0x00, 0x00, 0xba, 0x07, 0x00, 0x00,
    0x00, 0x0f, 0x05, 0xb8, 0x3c, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05,
    0xb8, 0x3c, 0x00, 0x00, 0x00, 0xbf, 0x01, 0x00, 0x00, 0x00, 0x0f, 0x05,
    0x72, 0x61, 0x6e, 0x20, 0x34, 0x32, 0x0a,
};

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const uint32_t base = 0x08048000;
  unsigned char image[512];
  memset(image, 0, sizeof image);
  Elf32_Ehdr *eh = (Elf32_Ehdr *)image;
  Elf32_Phdr *ph = (Elf32_Phdr *)(image + sizeof *eh);
  const uint32_t start = sizeof *eh + sizeof *ph;
  memcpy(eh->e_ident, ELFMAG, SELFMAG);
  eh->e_ident[EI_CLASS] = ELFCLASS32;
  eh->e_ident[EI_DATA] = ELFDATA2LSB;
  eh->e_ident[EI_VERSION] = EV_CURRENT;
  eh->e_type = ET_EXEC;
  eh->e_machine = EM_386;
  eh->e_version = EV_CURRENT;
  eh->e_entry = base + start;
  eh->e_phoff = sizeof *eh;
  eh->e_ehsize = sizeof *eh;
  eh->e_phentsize = sizeof *ph;
  eh->e_phnum = 1;
  /* ljmp $0x33, $long64: into the 64-bit code segment. */
  unsigned char *code = image + start;
  const uint32_t target = base + start + 7;
  code[0] = 0xea;
  memcpy(code + 1, &target, 4);
  code[5] = 0x33;
  code[6] = 0x00;
  memcpy(code + 7, long64, sizeof long64);
  const uint32_t size = start + 7 + sizeof long64;
  ph->p_type = PT_LOAD;
  ph->p_offset = 0;
  ph->p_vaddr = base;
  ph->p_paddr = base;
  ph->p_filesz = size;
  ph->p_memsz = size;
  ph->p_flags = PF_R | PF_X;
  ph->p_align = 0x1000;
  char path[4096];
  snprintf(path, sizeof path, "%s/e32", argv[2]);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (fd < 0 || write(fd, image, size) != (ssize_t)size || close(fd) < 0) {
    printf("refused write %d\n", errno);
    return 0;
  }
  char *map_args[] = {path, argc > 3 ? argv[3] : "", NULL};
  char *stack_args[] = {path, NULL};
  char **args = strcmp(argv[1], "map") == 0 ? map_args : stack_args;
  fflush(stdout);
  /* ETXTBSY: syd may still hold its copy of the fd it opened for us (attack_wx_execstack plain). */
  for (int tries = 0; tries < 200; tries++) {
    execv(path, args);
    if (errno != ETXTBSY) break;
    usleep(10 * 1000);
  }
  printf("refused execv %d\n", errno);
  return 0;
}
