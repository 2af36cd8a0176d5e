// Paths longer than PATH_MAX reached from a deep cwd or dirfd: `long_path DIR DEPTH` makes and
// enters DEPTH directories of 32-byte names under DIR (over PATH_MAX from about 128), then acts
// at the bottom with short relative paths and prints one line per step: `NAME OK` or
// `NAME ERRNO` (the errno's name), and `cwd_len N` (getcwd's length, through glibc, which
// climbs with ".." once the kernel's getcwd says ENAMETOOLONG). It ends by removing the tree.
// Steps that a test's rules deny: `mkdir_forbidden` (mkdir "forbidden"), `create_nocreate`
// (open O_CREAT "nocreate"), `read_via_link` (a file read through a symlink to DIR/outside).
// `long_path DIR DEPTH keep` leaves the tree in place (for a test of `rm -rf`).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errname(int e) {
  switch (e) {
  case EACCES: return "EACCES";
  case ENOENT: return "ENOENT";
  case ENAMETOOLONG: return "ENAMETOOLONG";
  case ELOOP: return "ELOOP";
  case EPERM: return "EPERM";
  case EEXIST: return "EEXIST";
  case ENOTDIR: return "ENOTDIR";
  case EXDEV: return "EXDEV";
  default: return "EOTHER";
  }
}

static void report(const char *name, int rc) {
  if (rc < 0) printf("%s %s\n", name, errname(errno));
  else printf("%s OK\n", name);
  fflush(stdout);
}

static const char component[] = "ddddddddddddddddddddddddddddddd"; // 31 bytes and a slash

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: long_path DIR DEPTH [keep]\n");
    return 2;
  }
  int depth = atoi(argv[2]);
  if (chdir(argv[1]) < 0 || depth <= 0 || depth > 2000) return 2;
  int top = open(".", O_PATH | O_DIRECTORY);
  int made = 0;
  for (; made < depth; made++) {
    if (mkdir(component, 0700) < 0 || chdir(component) < 0) break;
  }
  printf("depth %d\n", made);
  if (made < depth) {
    report("descend", -1);
    goto cleanup;
  }
  char *cwd = getcwd(NULL, 0);
  if (cwd) printf("cwd_len %zu\n", strlen(cwd));
  else report("getcwd", -1);
  free(cwd);

  int fd = open("f", O_CREAT | O_WRONLY | O_EXCL, 0600);
  report("create", fd);
  if (fd >= 0) {
    report("write", write(fd, "data", 4) == 4 ? 0 : -1);
    close(fd);
  }
  struct stat st;
  int rc = stat("f", &st);
  report("stat", rc);
  if (rc == 0) printf("size %lld\n", (long long)st.st_size);
  fd = open("f", O_RDONLY);
  report("open_read", fd);
  if (fd >= 0) {
    char buf[8] = {0};
    report("read", read(fd, buf, sizeof buf - 1) == 4 && memcmp(buf, "data", 4) == 0 ? 0 : -1);
    close(fd);
  }
  report("rename", rename("f", "g"));
  report("link", link("g", "h"));
  report("unlink_h", unlink("h"));
  report("symlink", symlink("g", "s"));
  report("readlink", readlink("s", (char[16]){0}, 15) == 1 ? 0 : -1);
  report("stat_via_symlink", stat("s", &st));
  report("unlink_s", unlink("s"));
  report("chmod", chmod("g", 0640));
  report("truncate", truncate("g", 2));
  report("mkdir", mkdir("d", 0700));
  report("rmdir", rmdir("d"));
  report("unlink", unlink("g"));

  // The bottom through a dirfd, from a short cwd.
  int bottom = open(".", O_RDONLY | O_DIRECTORY);
  report("open_bottom", bottom);
  if (fchdir(top) < 0) return 1;
  fd = openat(bottom, "viafd", O_CREAT | O_WRONLY | O_EXCL, 0600);
  report("create_viafd", fd);
  if (fd >= 0) close(fd);
  report("fstatat_viafd", fstatat(bottom, "viafd", &st, 0));
  report("unlink_viafd", unlinkat(bottom, "viafd", 0));
  report("fchdir_bottom", fchdir(bottom));
  close(bottom);

  // What the rules deny at the bottom.
  report("mkdir_forbidden", mkdir("forbidden", 0700));
  fd = open("nocreate", O_CREAT | O_WRONLY, 0600);
  report("create_nocreate", fd);
  if (fd >= 0) close(fd);
  char target[4096];
  snprintf(target, sizeof target, "%s/outside", argv[1]);
  report("symlink_out", symlink(target, "jump"));
  fd = open("jump/secret", O_RDONLY);
  report("read_via_link", fd);
  if (fd >= 0) close(fd);
  unlink("jump");
  rmdir("forbidden"); // made where nothing denies it (the native run)
  unlink("nocreate");

  if (argc == 4) return 0;
cleanup:;
  // Remove the tree from the bottom up.
  int removed = 0;
  for (; removed < made; removed++) {
    if (chdir("..") < 0 || rmdir(component) < 0) break;
  }
  report("cleanup", removed == made ? 0 : -1);
  return 0;
}
