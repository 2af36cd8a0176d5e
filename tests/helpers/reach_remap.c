/* Attack 4, remap paths: change what a path syd judges names in our view (chroot, a new mount
 * namespace with a bind mount, setns, pivot_root, the new mount API), then read the allowed
 * DIR/public and see which file it really is.
 * Usage: reach_remap DIR   (DIR holds "public" and "secret"; nothing exists at /secret)
 * Prints: chroot=, root_secret= (open "/secret"), dir_secret=, unshare_newuser=, unshare_newns=,
 * mount= (bind DIR/secret onto DIR/public), public=public|secret|ERRNO, umount2=, pivot_root=,
 * open_tree=, move_mount=, fsopen=, fsmount=, fspick=, mount_setattr=, setns=, clone_newns=,
 * clone3=, then "served". A mount can only succeed in a namespace of this process's own, and is
 * undone at once. */

#include "reach.h"

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
  check_args(argc == 2, "reach_remap DIR");
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
