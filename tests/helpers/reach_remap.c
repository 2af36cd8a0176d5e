/* Attack 4, remap paths: change what a path syd judges names in our view (chroot, a new mount
 * namespace with a bind mount, setns, pivot_root, the new mount API), then read the allowed
 * DIR/public and see which file it really is.
 * Usage: reach_remap DIR   (DIR holds "public" and "secret"; nothing exists at /secret)
 * Prints: chroot=, root_secret= (open "/secret"), dir_secret=, unshare_newuser=, unshare_newns=,
 * mount= (bind DIR/secret onto DIR/public), public=public|secret|ERRNO, umount2=, pivot_root=,
 * open_tree=, move_mount=, fsopen=, fsmount=, fspick=, mount_setattr=, setns=, clone_newns=,
 * clone3=, then "served". A mount can only succeed in a namespace of this process's own, and is
 * undone at once. */

/* ---- shared by every reach_* helper (each is one file: tools/test.sh builds each .c alone) ---- */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Refuses to run anywhere but under seccomp filtering (syd's sandbox): exit 99. */
__attribute__((unused)) static void require_sandbox(const char *name) {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  buf[n > 0 ? n : 0] = 0;
  if (!strstr(buf, "\nSeccomp:\t2\n")) {
    fprintf(stderr, "%s: refusing to run outside syd's sandbox (no \"Seccomp:\\t2\" in /proc/self/status)\n", name);
    exit(99);
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
}

__attribute__((unused)) static const char *errno_name(int e) {
  switch (e) {
  case EPERM: return "EPERM";
  case ENOENT: return "ENOENT";
  case ESRCH: return "ESRCH";
  case EINTR: return "EINTR";
  case EIO: return "EIO";
  case ENXIO: return "ENXIO";
  case EBADF: return "EBADF";
  case ECHILD: return "ECHILD";
  case EAGAIN: return "EAGAIN";
  case ENOMEM: return "ENOMEM";
  case EACCES: return "EACCES";
  case EFAULT: return "EFAULT";
  case EBUSY: return "EBUSY";
  case EEXIST: return "EEXIST";
  case EXDEV: return "EXDEV";
  case ENODEV: return "ENODEV";
  case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR";
  case EINVAL: return "EINVAL";
  case EMFILE: return "EMFILE";
  case ENOSPC: return "ENOSPC";
  case EROFS: return "EROFS";
  case ENOSYS: return "ENOSYS";
  case ELOOP: return "ELOOP";
  case ENAMETOOLONG: return "ENAMETOOLONG";
  case ENOPROTOOPT: return "ENOPROTOOPT";
  case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
  case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case ENOTSOCK: return "ENOTSOCK";
  default: {
    static char other[16];
    snprintf(other, sizeof other, "E%d", e);
    return other;
  }
  }
}

/* Prints "name=OK" for rc >= 0, else "name=ERRNO-NAME" (errno as left by the call). */
__attribute__((unused)) static void report(const char *name, long rc) {
  printf("%s=%s\n", name, rc >= 0 ? "OK" : errno_name(errno));
}

/* The outcomes of many tries of one call: "name=E1,E2" (each errno once, first seen first; OK
 * among them when one succeeded) and "name_ok=N" (how many succeeded). */
struct tally {
  int seen[16];
  int count;
  long ok;
};
__attribute__((unused)) static void tally_add(struct tally *t, long rc) {
  int code = rc >= 0 ? 0 : errno;
  if (rc >= 0) t->ok++;
  for (int i = 0; i < t->count; i++)
    if (t->seen[i] == code) return;
  if (t->count < 16) t->seen[t->count++] = code;
}
__attribute__((unused)) static void tally_print(const char *name, const struct tally *t) {
  printf("%s=", name);
  if (t->count == 0) printf("none");
  for (int i = 0; i < t->count; i++) printf("%s%s", i ? "," : "", t->seen[i] ? errno_name(t->seen[i]) : "OK");
  printf("\n%s_ok=%ld\n", name, t->ok);
}

/* syd still answers: a trapped open of DIR/public, read; prints "served" or "unserved=ERRNO". */
__attribute__((unused)) static void served(const char *dir) {
  char path[4096], buf[64];
  snprintf(path, sizeof path, "%s/public", dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
  if (fd >= 0) close(fd);
  if (n > 0) printf("served\n");
  else printf("unserved=%s\n", errno_name(errno));
}

/* Waits for one line on stdin (the test's go-ahead, or numbers it sends); 0 at end of input. */
__attribute__((unused)) static int read_line(char *buf, size_t size) {
  size_t len = 0;
  while (len + 1 < size) {
    ssize_t n = read(0, buf + len, 1);
    if (n <= 0) break;
    if (buf[len] == '\n') break;
    len++;
  }
  buf[len] = 0;
  return (int)len;
}
/* ---- end of the shared part ---- */

#include <linux/mount.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/wait.h>


static void child_exits(long rc) { /* a clone that succeeded: the child leaves, the parent reaps */
  if (rc == 0) _exit(0);
  if (rc > 0) waitpid((pid_t)rc, NULL, __WALL);
}

static void read_public(const char *dir) {
  char path[4096], buf[16] = {0};
  snprintf(path, sizeof path, "%s/public", dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, 6);
  if (fd >= 0) close(fd);
  if (n < 0) printf("public=%s\n", errno_name(errno));
  else printf("public=%s\n", buf);
}

int main(int argc, char **argv) {
  require_sandbox("reach_remap");
  if (argc != 2) {
    fprintf(stderr, "usage: reach_remap DIR\n");
    return 2;
  }
  const char *dir = argv[1];
  char public_path[4096], secret_path[4096];
  snprintf(public_path, sizeof public_path, "%s/public", dir);
  snprintf(secret_path, sizeof secret_path, "%s/secret", dir);

  report("chroot", chroot(dir));
  int fd = open("/secret", O_RDONLY | O_CLOEXEC);
  report("root_secret", fd);
  if (fd >= 0) close(fd);
  fd = open(secret_path, O_RDONLY | O_CLOEXEC);
  report("dir_secret", fd);
  if (fd >= 0) close(fd);

  report("unshare_newuser", unshare(CLONE_NEWUSER));
  report("unshare_newns", unshare(CLONE_NEWNS));
  long mounted = mount(secret_path, public_path, NULL, MS_BIND, NULL);
  report("mount", mounted);
  read_public(dir);
  long unmounted = umount2(public_path, 0);
  report("umount2", unmounted);
  if (mounted == 0 && unmounted != 0) umount2(public_path, MNT_DETACH);

  report("pivot_root", syscall(SYS_pivot_root, dir, dir));
  long tree = syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  report("open_tree", tree);
  if (tree >= 0) close((int)tree);
  report("move_mount", syscall(SYS_move_mount, -1, "", -1, "", 0));
  long fs = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
  report("fsopen", fs);
  if (fs >= 0) close((int)fs);
  report("fsmount", syscall(SYS_fsmount, -1, 0, 0));
  long picked = syscall(SYS_fspick, AT_FDCWD, dir, FSPICK_CLOEXEC);
  report("fspick", picked);
  if (picked >= 0) close((int)picked);
  struct mount_attr attr;
  memset(&attr, 0, sizeof attr);
  report("mount_setattr", syscall(SYS_mount_setattr, AT_FDCWD, dir, 0, &attr, sizeof attr));

  int ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  report("setns", setns(ns, CLONE_NEWNS));
  if (ns >= 0) close(ns);
  long child = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
  child_exits(child);
  report("clone_newns", child);
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_NEWNS;
  args.exit_signal = SIGCHLD;
  child = syscall(SYS_clone3, &args, sizeof args);
  child_exits(child);
  report("clone3", child);
  served(dir);
  return 0;
}
