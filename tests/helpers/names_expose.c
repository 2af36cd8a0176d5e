/* Tries to give a read-denied file an allowed name: link(DIR/secret, DIR/alias), rename(DIR/secret,
 * DIR/moved), renameat2(DIR/public, DIR/secret, RENAME_EXCHANGE), then reads each new name.
 * Usage: names_expose DIR
 * Prints one "name=ERRNO" line per call ("name=OK" on success) and "read_NAME=CONTENTS" for
 * each new name that could be read. */
#include "reach.h"

static void try_read(const char *dir, const char *name) {
  char path[4096], buf[64] = {0};
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
  printf("read_%s=%s\n", name, buf);
}

int main(int argc, char **argv) {
  require_sandbox("names_expose");
  check_args(argc == 2, "names_expose DIR");
  const char *dir = argv[1];
  char secret[4096], public[4096], alias[4096], moved[4096];
  snprintf(secret, sizeof secret, "%s/secret", dir);
  snprintf(public, sizeof public, "%s/public", dir);
  snprintf(alias, sizeof alias, "%s/alias", dir);
  snprintf(moved, sizeof moved, "%s/moved", dir);
  report("link", link(secret, alias));
  try_read(dir, "alias");
  report("rename", rename(secret, moved));
  try_read(dir, "moved");
  report("exchange", (int)syscall(SYS_renameat2, AT_FDCWD, public, AT_FDCWD, secret, 2));
  try_read(dir, "public");
  return 0;
}
