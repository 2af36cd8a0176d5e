/* attack_perf: attacks on the hot-path shortcuts of 544bec2/72f2a70/4452d59 (act_for without a
 * status read, the sandbox root kept per syd thread, pidfds kept per syd thread, the
 * interrupter's polling, a dirfd looked at as a directory only without a first name).
 * Usage: attack_perf MODE DIR, MODE one of
 *   ids     tries to make its filesystem ids or groups differ from syd's, then reads DIR/secret
 *   root    tries to get another root or mount namespace, then reads /secret and DIR/secret
 *   dirfd   openat/fstatat under a symlink, a file and a /proc magic-link dirfd (kernel: ENOTDIR)
 *   files   a thread with its own fd table: fchmod/ftruncate through syd act on that table
 *   reuse   many short threads (tid reuse) each doing an fd call, checks the right fd was used
 *   fifo    opens DIR/fifo with alarm after the interrupter fell asleep (restart and not)
 * Prints name=RESULT lines. Refuses to run outside the sandbox. */
#include "reach.h"
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <linux/sched.h>

static char path_buf[4096];
static const char *at(const char *dir, const char *name) {
  snprintf(path_buf, sizeof path_buf, "%s/%s", dir, name);
  return path_buf;
}

static void read_secret(const char *name, const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    report(name, -1);
    return;
  }
  char buf[16] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  printf("%s=READ:%.*s\n", name, n > 0 ? (int)strcspn(buf, "\n") : 0, buf);
}

/* The filesystem uid (the 4th of Uid: in /proc/self/status): setfsuid answers ENOSYS in the
 * sandbox, as under the original. -1 when it cannot be read. */
static int fsuid_now(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (f == NULL) return -1;
  char line[256];
  int fsuid = -1;
  while (fgets(line, sizeof line, f)) {
    unsigned r, e, s, fs;
    if (sscanf(line, "Uid: %u %u %u %u", &r, &e, &s, &fs) == 4) fsuid = (int)fs;
  }
  fclose(f);
  return fsuid;
}

static void ids_line(const char *name) {
  char status[8192];
  read_status(status, sizeof status);
  const char *keys[] = {"Uid:", "Gid:", "Groups:", "CapEff:", "CapPrm:", "NoNewPrivs:"};
  printf("%s:", name);
  for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    char *line = strstr(status, keys[i]);
    if (!line) continue;
    int len = (int)strcspn(line, "\n");
    printf(" [%.*s]", len, line);
  }
  printf("\n");
}

static int mode_ids(const char *dir) {
  ids_line("before");
  int r = setfsuid(65534);
  printf("setfsuid_prev=%d now=%d\n", r, setfsuid(-1));
  r = setfsgid(65534);
  printf("setfsgid_prev=%d now=%d\n", r, setfsgid(-1));
  report("setresuid", setresuid(-1, 65534, -1));
  report("setresgid", setresgid(-1, 65534, -1));
  gid_t groups[1] = {65534};
  report("setgroups", setgroups(1, groups));
  report("unshare_user", unshare(CLONE_NEWUSER));
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_NEWUSER;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  report("clone3_user", pid < 0 ? -1 : 0);
  report("prctl_keepcaps", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
  report("prctl_nnp_off", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0) < 0 ? -1 : (int)prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0 ? 0 : -1);
  ids_line("after");
  /* A setuid-65534 copy of ourselves (made outside by the test as DIR/suid) run with "probe". */
  if (access(at(dir, "suid"), X_OK) == 0) {
    pid_t child = fork();
    if (child == 0) {
      execl(at(dir, "suid"), "attack_perf", "probe", dir, (char *)NULL);
      printf("exec_suid=%s\n", errno_name(errno));
      _exit(1);
    }
    int st;
    waitpid(child, &st, 0);
  }
  read_secret("secret", at(dir, "secret"));
  read_secret("rootonly", at(dir, "rootonly"));
  printf("nnp=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  return 0;
}

/* Run from the setuid copy: whatever ids it has, read the secret and create a file. */
static int mode_probe(const char *dir) {
  ids_line("probe");
  read_secret("probe_secret", at(dir, "secret"));
  read_secret("probe_rootonly", at(dir, "rootonly"));
  printf("probe_euid=%d probe_fsuid=%d\n", (int)geteuid(), fsuid_now());
  int fd = open(at(dir, "made_by_probe"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  report("probe_create", fd < 0 ? -1 : 0);
  if (fd >= 0) {
    struct stat st;
    fstat(fd, &st);
    printf("probe_create_owner=%u\n", st.st_uid);
    close(fd);
  }
  return 0;
}

static int mode_root(const char *dir) {
  report("chroot", chroot(dir));
  read_secret("after_chroot_abs", "/secret");
  read_secret("after_chroot_dir", at(dir, "secret"));
  report("chdir_root", chdir("/"));
  read_secret("after_chroot_rel", "secret");
  report("unshare_ns", unshare(CLONE_NEWNS));
  report("unshare_user", unshare(CLONE_NEWUSER));
  report("unshare_user_ns", unshare(CLONE_NEWUSER | CLONE_NEWNS));
  long pid = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) {
    /* In the child: a user namespace of its own would let it chroot and mount for real. */
    report("child_chroot", chroot(dir));
    read_secret("child_abs", "/secret");
    _exit(0);
  }
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  report("clone_user_ns", pid < 0 ? -1 : 0);
  report("open_tree", (int)syscall(SYS_open_tree, AT_FDCWD, dir, 1 /* OPEN_TREE_CLONE */));
  report("fsopen", (int)syscall(SYS_fsopen, "tmpfs", 0));
  report("pivot_root", (int)syscall(SYS_pivot_root, dir, dir));
  int nsfd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
  report("setns", nsfd < 0 ? -1 : setns(nsfd, 0));
  report("mount_bind", mount(at(dir, "secret"), at(dir, "public"), NULL, MS_BIND, NULL));
  read_secret("public_after_bind", at(dir, "public"));
  read_secret("secret_end", at(dir, "secret"));
  return 0;
}

static void try_openat(const char *name, int dirfd, const char *rel) {
  if (dirfd < 0) {
    printf("%s=NODIRFD:%s\n", name, errno_name(errno));
    return;
  }
  int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[16] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("%s=OPENED:%.*s\n", name, n > 0 ? (int)strcspn(buf, "\n") : 0, buf);
    close(fd);
  } else {
    report(name, -1);
  }
  struct stat st;
  char stat_name[64];
  snprintf(stat_name, sizeof stat_name, "%s_stat", name);
  report(stat_name, fstatat(dirfd, rel, &st, 0));
}

static int mode_dirfd(const char *dir) {
  /* DIR/sub/x exists (written by the test); DIR/lnk -> sub; DIR/secretdir/x is denied. */
  int lnk = open(at(dir, "lnk"), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  try_openat("symlink_dirfd", lnk, "x");
  try_openat("symlink_dirfd_dots", lnk, "x/..");
  int slnk = open(at(dir, "slnk"), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  try_openat("symlink_secret_dirfd", slnk, "x");
  int file = open(at(dir, "public"), O_RDONLY | O_CLOEXEC);
  try_openat("file_dirfd", file, "x");
  try_openat("file_dirfd_dotdot", file, "x/../..");
  try_openat("file_dirfd_dot", file, ".");
  try_openat("file_dirfd_dotdot_only", file, "..");
  int sub = open(at(dir, "sub"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int magic_fd = dup(sub);
  char magic[64];
  snprintf(magic, sizeof magic, "/proc/self/fd/%d", magic_fd);
  int mlink = open(magic, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  try_openat("magic_dirfd", mlink, "x");
  int ssub = open(at(dir, "secretdir"), O_PATH | O_DIRECTORY | O_CLOEXEC);
  try_openat("secretdir_dirfd", ssub, "x");
  int mlnk2 = open(at(dir, "plnk"), O_PATH | O_NOFOLLOW | O_CLOEXEC); /* -> /proc/self/fd/N */
  try_openat("proc_symlink_dirfd", mlnk2, "x");
  int deleted = open(at(dir, "gone"), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  unlink(at(dir, "gone"));
  try_openat("deleted_file_dirfd", deleted, "x");
  int fifo_dirfd = open(at(dir, "fifo"), O_PATH | O_CLOEXEC);
  try_openat("fifo_dirfd", fifo_dirfd, "x");
  return 0;
}

/* files: a thread unshares its fd table; fd 50 is DIR/public in the process' table and DIR/other
 * in the thread's. The thread's fchmod(50, 0600) and ftruncate(50, 1) must reach DIR/other. */
static const char *files_dir;
static void *files_thread(void *arg) {
  (void)arg;
  report("unshare_files", unshare(CLONE_FILES));
  int other = open(at(files_dir, "other"), O_RDWR | O_CLOEXEC);
  dup2(other, 50);
  report("thread_fchmod", fchmod(50, 0600));
  report("thread_ftruncate", ftruncate(50, 1));
  struct stat st;
  report("thread_fstatat", fstatat(50, "", &st, AT_EMPTY_PATH));
  printf("thread_fstat_size=%lld\n", (long long)st.st_size);
  return NULL;
}

static int mode_files(const char *dir) {
  files_dir = dir;
  int pub = open(at(dir, "public"), O_RDWR | O_CLOEXEC);
  dup2(pub, 50);
  pthread_t t;
  pthread_create(&t, NULL, files_thread, NULL);
  pthread_join(t, NULL);
  struct stat a, b;
  stat(at(dir, "public"), &a);
  stat(at(dir, "other"), &b);
  printf("public_mode=%o public_size=%lld other_mode=%o other_size=%lld\n", a.st_mode & 07777,
         (long long)a.st_size, b.st_mode & 07777, (long long)b.st_size);
  return 0;
}

/* reuse: rounds of threads, each with its own fd table and its own file at fd 60 (DIR/tN, size N)
 * doing fstatat(60, "", AT_EMPTY_PATH) through syd: the size seen must be its own. Tids are
 * reused across rounds (the kernel hands out numbers in order, wraps are rare), and a syd thread's
 * kept pidfds of exited threads must fail and be opened again. */
static const char *reuse_dir;
static int reuse_wrong, reuse_calls, reuse_kernel_wrong, reuse_repeated;
static unsigned char reuse_seen[(1 << 22) / 8]; /* tids up to pid_max's ceiling */
static pthread_mutex_t reuse_lock = PTHREAD_MUTEX_INITIALIZER;
static void *reuse_thread(void *arg) {
  long n = (long)arg;
  if (unshare(CLONE_FILES) != 0) return NULL;
  char name[4096];
  snprintf(name, sizeof name, "%s/t%ld", reuse_dir, n % 8); /* not at(): its buffer is shared */
  int fd = open(name, O_RDONLY | O_CLOEXEC);
  dup2(fd, 60);
  close(fd);
  struct stat st;
  int r = fstatat(60, "", &st, AT_EMPTY_PATH);
  char rbuf[16];
  ssize_t got = pread(60, rbuf, sizeof rbuf, 0);
  if (got != n % 8 + 1) {
    pthread_mutex_lock(&reuse_lock);
    reuse_kernel_wrong++;
    pthread_mutex_unlock(&reuse_lock);
  }
  pthread_mutex_lock(&reuse_lock);
  long tid = (long)gettid();
  if (tid < (1L << 22)) {
    if (reuse_seen[tid / 8] & (1 << (tid % 8))) reuse_repeated++;
    reuse_seen[tid / 8] |= (unsigned char)(1 << (tid % 8));
  }
  reuse_calls++;
  if (r != 0 || st.st_size != n % 8 + 1) {
    reuse_wrong++;
    if (reuse_wrong <= 5)
      printf("reuse_bad n=%ld fd=%d r=%s size=%lld tid=%ld\n", n, fd, r == 0 ? "OK" : errno_name(errno),
             (long long)(r == 0 ? st.st_size : -1), (long)gettid());
  }
  pthread_mutex_unlock(&reuse_lock);
  return NULL;
}

static int mode_reuse(const char *dir) {
  reuse_dir = dir;
  double end = now() + 8;
  long n = 0;
  for (int round = 0; round < 2000 && now() < end; round++) {
    pthread_t ts[16];
    for (int i = 0; i < 16; i++) pthread_create(&ts[i], NULL, reuse_thread, (void *)(n++));
    for (int i = 0; i < 16; i++) pthread_join(ts[i], NULL);
    /* Burn tids in forked children so numbers wrap faster than threads alone would. */
  }
  printf("reuse_calls=%d reuse_wrong=%d reuse_kernel_wrong=%d reuse_repeated_tids=%d\n", reuse_calls, reuse_wrong,
         reuse_kernel_wrong, reuse_repeated);
  return 0;
}

static void on_alarm(int sig) { (void)sig; }
static void fifo_try(const char *name, const char *fifo, int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it;
  memset(&it, 0, sizeof it);
  it.it_value.tv_usec = 300000;
  double start = now();
  setitimer(ITIMER_REAL, &it, NULL);
  int fd = open(fifo, O_RDONLY | O_CLOEXEC);
  int saved = errno;
  printf("%s=%s after=%.1f\n", name, fd >= 0 ? "OPENED" : errno_name(saved), now() - start);
  if (fd >= 0) close(fd);
}

static int mode_fifo(const char *dir) {
  const char *fifo = strdup(at(dir, "fifo"));
  /* Let the interrupter fall asleep (100 ms with nothing registered), then block. */
  for (int i = 0; i < 5; i++) {
    usleep(150000 + i * 37000);
    char name[32];
    snprintf(name, sizeof name, "fifo_sleep%d", i);
    fifo_try(name, fifo, 0);
  }
  /* While other threads keep registering calls (the poll path), block. */
  for (int i = 0; i < 3; i++) {
    char name[32];
    snprintf(name, sizeof name, "fifo_busy%d", i);
    pid_t child = fork();
    if (child == 0) {
      for (;;) {
        int fd = open(at(dir, "public"), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) close(fd);
      }
    }
    fifo_try(name, fifo, 0);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
  }
  return 0;
}

/* dirops: the calls that create, remove or change a name under a dirfd that is a file (kernel:
 * ENOTDIR): nothing may be made or changed next to the file or anywhere else. */
static int mode_dirops(const char *dir) {
  int file = open(at(dir, "public"), O_RDONLY | O_CLOEXEC);
  int sub = open(at(dir, "sub"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  report("op_mkdirat", mkdirat(file, "x", 0755));
  report("op_mknodat", mknodat(file, "x", S_IFREG | 0644, 0));
  report("op_symlinkat", symlinkat("/", file, "x"));
  report("op_linkat", linkat(sub, "x", file, "x", 0));
  report("op_renameat", renameat(sub, "x", file, "x"));
  report("op_renameat_from", renameat(file, "x", sub, "y"));
  report("op_unlinkat", unlinkat(file, "x", 0));
  report("op_rmdirat", unlinkat(file, "x", AT_REMOVEDIR));
  report("op_fchmodat", fchmodat(file, "x", 0600, 0));
  report("op_fchownat", fchownat(file, "x", 0, 0, 0));
  report("op_utimensat", utimensat(file, "x", NULL, 0));
  report("op_faccessat", faccessat(file, "x", R_OK, 0));
  report("op_openat_creat", openat(file, "x", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  report("op_openat_creat_dotdot", openat(file, "x/../made", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  char buf[64];
  report("op_readlinkat", readlinkat(file, "x", buf, sizeof buf));
  struct stat st;
  printf("made_x=%s made=%s sub_x=%s\n", fstatat(sub, "x", &st, 0) == 0 ? "yes" : "no",
         stat(at(dir, "made"), &st) == 0 ? "yes" : "no", stat(at(dir, "x"), &st) == 0 ? "yes" : "no");
  return 0;
}

/* exec: the leader and three threads make fd calls on fd 70 (DIR/t0, size 1) so that syd's
 * threads keep their pidfds; then a non-leader thread execs "exec2", which takes the leader's
 * tid: its fd calls on fd 70 (now DIR/t3, size 4) must see its own table. */
static const char *exec_dir;
static char *exec_self;
static void *exec_spin(void *arg) {
  (void)arg;
  struct stat st;
  for (int i = 0; i < 200; i++) fstatat(70, "", &st, AT_EMPTY_PATH);
  return NULL;
}
static void *exec_thread(void *arg) {
  (void)arg;
  usleep(20000);
  execl(exec_self, "attack_perf", "exec2", exec_dir, (char *)NULL);
  printf("exec=%s\n", errno_name(errno));
  _exit(1);
}
static int mode_exec(const char *dir) {
  exec_dir = dir;
  exec_self = realpath("/proc/self/exe", NULL);
  int fd = open(at(dir, "t0"), O_RDONLY);
  dup2(fd, 70);
  printf("leader_tid=%ld\n", (long)gettid());
  pthread_t ts[4];
  for (int i = 0; i < 3; i++) pthread_create(&ts[i], NULL, exec_spin, NULL);
  pthread_create(&ts[3], NULL, exec_thread, NULL);
  exec_spin(NULL);
  for (;;) pause();
}
static int mode_exec2(const char *dir) {
  printf("exec2_tid=%ld\n", (long)gettid());
  int fd = open(at(dir, "t3"), O_RDONLY | O_CLOEXEC);
  dup2(fd, 70);
  int wrong = 0;
  for (int i = 0; i < 200; i++) {
    struct stat st;
    if (fstatat(70, "", &st, AT_EMPTY_PATH) != 0 || st.st_size != 4) wrong++;
  }
  printf("exec2_wrong=%d\n", wrong);
  return 0;
}

/* exhaust: N children block opening DIR/fifo (no writer); an open of DIR/public must still be
 * served, and SIGTERM (default action) must end every blocked child. */
static int mode_exhaust(const char *dir) {
  enum { children_max = 200 };
  pid_t kids[children_max];
  char fifo[4096], pub[4096];
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  snprintf(pub, sizeof pub, "%s/public", dir);
  for (int i = 0; i < children_max; i++) {
    kids[i] = fork();
    if (kids[i] == 0) {
      int fd = open(fifo, O_RDONLY | O_CLOEXEC);
      _exit(fd >= 0 ? 0 : 1);
    }
  }
  usleep(500000);
  double start = now();
  int fd = open(pub, O_RDONLY | O_CLOEXEC);
  printf("public_open=%s after=%.2f\n", fd >= 0 ? "OK" : errno_name(errno), now() - start);
  if (fd >= 0) close(fd);
  usleep(300000); /* the interrupter falls asleep with calls blocked? */
  start = now();
  for (int i = 0; i < children_max; i++) kill(kids[i], SIGTERM);
  int ended = 0;
  while (now() - start < 10) {
    pid_t w = waitpid(-1, NULL, WNOHANG);
    if (w > 0) ended++;
    else if (w < 0) break;
    else usleep(10000);
  }
  printf("ended=%d of %d after=%.2f\n", ended, children_max, now() - start);
  for (int i = 0; i < children_max; i++) kill(kids[i], SIGKILL);
  while (waitpid(-1, NULL, 0) > 0) {
  }
  return 0;
}

int main(int argc, char **argv) {
  check_args(argc == 3, "attack_perf ids|probe|root|dirfd|files|reuse|fifo DIR");
  require_sandbox("attack_perf");
  const char *mode = argv[1], *dir = argv[2];
  if (strcmp(mode, "ids") == 0) return mode_ids(dir);
  if (strcmp(mode, "probe") == 0) return mode_probe(dir);
  if (strcmp(mode, "root") == 0) return mode_root(dir);
  if (strcmp(mode, "dirfd") == 0) return mode_dirfd(dir);
  if (strcmp(mode, "files") == 0) return mode_files(dir);
  if (strcmp(mode, "reuse") == 0) return mode_reuse(dir);
  if (strcmp(mode, "fifo") == 0) return mode_fifo(dir);
  if (strcmp(mode, "exhaust") == 0) return mode_exhaust(dir);
  if (strcmp(mode, "dirops") == 0) return mode_dirops(dir);
  if (strcmp(mode, "exec") == 0) return mode_exec(dir);
  if (strcmp(mode, "exec2") == 0) return mode_exec2(dir);
  check_args(0, "attack_perf ids|probe|root|dirfd|files|reuse|fifo DIR");
  return 2;
}
