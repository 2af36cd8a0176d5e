/* attack_ns_proc: a hostile program inside syd's container (`-m unshare/user,mount,pid:1`): it
 * goes for the processes, pids, identity and network the namespaces are to keep from it. Each
 * probe prints "name=OK" or "name=ERRNO" (or name=VALUE); the program exits 1 when a probe it
 * counts as a win succeeded ("won=NAME" lines say which), 0 otherwise. Modes:
 *   init             touch the namespace's init (pid 1): pidfd, memory, ptrace, /proc/1,
 *                    scheduling and limits; "alive=1" at the end when this process survived
 *   init-signals N   signal N to the init by kill, tgkill, tkill, sigqueue, pidfd
 *   init-sigio N     signal N to the init as SIGIO of a pipe it owns (F_SETOWN 1, F_SETSIG N)
 *   procpaths        /proc/1/... and another process's /proc entries under many spellings
 *   self             /proc/self, /proc/thread-self, /proc/<own ns pid>, a thread's entries,
 *                    AT_EMPTY_PATH: all must work, and name this process (pids compared)
 *   sibling          a child and its parent name each other's /proc/<pid>/{environ,mem,status}
 *   nest             new user, pid, net, mount, uts, ipc namespaces by unshare, clone, clone3
 *   caps             capabilities: capget, sethostname, settimeofday, clock_settime, mount
 *   scm              SCM_CREDENTIALS: own ns pid, pid 1, a made-up pid; what the receiver sees;
 *                    SO_PEERCRED of a socketpair and of a child's connection to a pathname socket
 *   net HOSTIP PORT ABSTRACT   reach a host TCP listener and a host abstract UNIX socket;
 *                    loopback TCP and an abstract socket of the sandbox's own must work
 *   abstract-listen NAME SECONDS   (run outside syd) listen on abstract NAME, answer "host"
 *   devsyd PATH      stat PATH (/dev/syd/...) here, then in a child; prints both
 *   devsyd-late PATH SECONDS OUT  fork a child that stats PATH after SECONDS (after the
 *                    command exited) and writes "late=OK" or "late=ERRNO" to OUT
 *   ipc KEY          shmget and msgget of the host's System V key KEY, shmat of segment id 0
 *   pgrp N           send signal N to its own process group (kill(0, N)), ignoring it itself
 *   sig N            kill itself with signal N
 *   linger SECONDS CODE  exit 0 at once, leaving a child that exits CODE after SECONDS
 *   waitterm         print "ready", wait for SIGTERM; print "term" and exit 7 when it comes */
#include "reach.h"

#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

static int won;

/* report() and, when the call succeeded, a win. */
static void attempt(const char *name, long rc) {
  report(name, rc);
  if (rc >= 0) {
    printf("won=%s\n", name);
    won = 1;
  }
}

/* report() of a call that must succeed. */
static void must(const char *name, long rc) { report(name, rc); }

static long open_read(const char *path, int flags) {
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[64];
  long n = read(fd, buf, sizeof buf);
  int e = errno;
  close(fd);
  errno = e;
  return n;
}

/* ------------------------------------------------------------------ init */

/* Signals to the init; SIG is the one to send (SIGSTOP: syd's tracer passed it on). */
static void mode_init_signals(int sig) {
  attempt("kill0", kill(1, 0));
  attempt("kill", kill(1, sig));
  attempt("tgkill", syscall(SYS_tgkill, 1, 1, sig));
  attempt("tkill", syscall(SYS_tkill, 1, sig));
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = sig;
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  attempt("sigqueue", syscall(SYS_rt_sigqueueinfo, 1, sig, &info));
  attempt("tgsigqueue", syscall(SYS_rt_tgsigqueueinfo, 1, 1, sig, &info));
  long pidfd = syscall(SYS_pidfd_open, 1, 0);
  if (pidfd >= 0) {
    attempt("pidfd_send_signal", syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0));
    close(pidfd);
  }
  usleep(200000);
  printf("alive=1\n");
}

/* Signal SIG to the init the kernel's way: SIGIO of a pipe owned by pid 1 (F_SETOWN), its
 * signal set by F_SETSIG. No kill(2) of any kind names the init. */
static void mode_init_sigio(int sig) {
  int pipefd[2];
  if (pipe(pipefd) != 0) exit(3);
  report("setown", fcntl(pipefd[0], F_SETOWN, 1));
  report("setsig", fcntl(pipefd[0], F_SETSIG, sig));
  report("async", fcntl(pipefd[0], F_SETFL, O_ASYNC | O_NONBLOCK));
  report("write", write(pipefd[1], "x", 1));
  usleep(200000);
  printf("alive=1\n");
}

static void mode_init(void) {
  long pidfd = syscall(SYS_pidfd_open, 1, 0);
  report("pidfd_open", pidfd);
  if (pidfd >= 0) {
    attempt("pidfd_getfd", syscall(SYS_pidfd_getfd, pidfd, 0, 0));
    /* process_madvise(MADV_COLD) of the init's memory: needs ptrace rights on it. */
    struct iovec range = {(void *)0x400000, 4096};
    long mad = syscall(SYS_process_madvise, pidfd, &range, 1, 20 /* MADV_COLD */, 0);
    if (mad < 0 && errno == EFAULT) mad = 0;
    attempt("process_madvise", mad);
    close(pidfd);
  }
  /* A /proc/<pid> directory is a pidfd too for pidfd_send_signal. */
  long procfd = open("/proc/1", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  attempt("open_proc1_dir", procfd);
  if (procfd >= 0) {
    attempt("procfd_send_signal", syscall(SYS_pidfd_send_signal, procfd, SIGUSR1, NULL, 0));
    close(procfd);
  }
  char buf[64];
  struct iovec local = {buf, sizeof buf};
  struct iovec remote = {(void *)0x400000, sizeof buf};
  long vm = syscall(SYS_process_vm_readv, 1, &local, 1, &remote, 1, 0);
  /* EFAULT means the kernel let us at its memory, the address was just wrong. */
  if (vm < 0 && errno == EFAULT) vm = 0;
  attempt("process_vm_readv", vm);
  long vmw = syscall(SYS_process_vm_writev, 1, &local, 1, &remote, 1, 0);
  if (vmw < 0 && errno == EFAULT) vmw = 0;
  attempt("process_vm_writev", vmw);
  /* syd answers every ptrace request but PTRACE_TRACEME with a no-op 0 (the original's): the
   * proof of an attach is a stopped init to wait for and read. */
  report("ptrace_attach", ptrace(PTRACE_ATTACH, 1, 0, 0));
  /* A tracer may wait for its tracee: ECHILD says the init is no tracee of ours. */
  int traced = 0;
  attempt("ptrace_wait", waitpid(1, &traced, __WALL | WNOHANG));
  attempt("mem", open_read("/proc/1/mem", O_RDONLY));
  attempt("environ", open_read("/proc/1/environ", O_RDONLY));
  attempt("status", open_read("/proc/1/status", O_RDONLY));
  attempt("fd0", readlink("/proc/1/fd/0", buf, sizeof buf));
  attempt("exe", readlink("/proc/1/exe", buf, sizeof buf));
  attempt("root", readlink("/proc/1/root", buf, sizeof buf));
  /* Things a same-uid process may do to another without ptrace rights. */
  attempt("setpriority", setpriority(PRIO_PROCESS, 1, 19));
  struct rlimit lim = {0, 0};
  attempt("prlimit_set_nofile", prlimit(1, RLIMIT_NOFILE, &lim, NULL));
  struct rlimit cpu = {1, 1};
  attempt("prlimit_set_cpu", prlimit(1, RLIMIT_CPU, &cpu, NULL));
  struct rlimit old;
  attempt("prlimit_get", prlimit(1, RLIMIT_NOFILE, NULL, &old));
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  attempt("sched_setaffinity", sched_setaffinity(1, sizeof set, &set));
  struct sched_param param = {0};
  attempt("sched_setscheduler", sched_setscheduler(1, SCHED_IDLE, &param));
  attempt("ioprio_set", syscall(SYS_ioprio_set, 1, 1, (3 << 13) | 7));
  attempt("kcmp", syscall(SYS_kcmp, getpid(), 1, 0 /* KCMP_FILE */, 0, 0));
  /* Still here: the init lived through all of it (its death kills the namespace). */
  usleep(200000);
  printf("alive=1\n");
}

/* ------------------------------------------------------------- procpaths */

static void mode_procpaths(void) {
  static const char *paths[] = {
      "/proc/1/environ",
      "/proc/1/mem",
      "/proc/1/status",
      "/proc/1/cmdline",
      "/proc/1/maps",
      "/proc/./1/environ",
      "//proc//1//environ",
      "/proc/1/../1/environ",
      "/proc/self/../1/environ",
      "/proc/thread-self/../../1/environ",
      "/proc/1/task/1/environ",
      "/proc/01/environ",
      "/proc/1/root/etc/hostname",
      "/proc/1/cwd/.",
  };
  char name[64];
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    snprintf(name, sizeof name, "open:%s", paths[i]);
    attempt(name, open_read(paths[i], O_RDONLY));
  }
  /* By a directory fd of /proc, and a symlink of the sandbox's own to it. */
  int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  must("open_proc", proc);
  long fd = openat(proc, "1/environ", O_RDONLY | O_CLOEXEC);
  attempt("openat_proc_1_environ", fd);
  if (fd >= 0) close(fd);
  unlink("/tmp/to1");
  must("symlink", symlink("/proc/1/environ", "/tmp/to1"));
  attempt("open_symlink", open_read("/tmp/to1", O_RDONLY));
  struct stat st;
  attempt("stat_proc1", stat("/proc/1", &st));
  attempt("stat_proc1_fd", stat("/proc/1/fd/0", &st));
  char buf[128];
  attempt("readlink_proc1_cwd", readlink("/proc/1/cwd", buf, sizeof buf));
  /* The parent (the shell or the init) and a child. */
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/environ", (int)child);
  attempt("child_environ", open_read(path, O_RDONLY));
  snprintf(path, sizeof path, "/proc/%d/mem", (int)child);
  attempt("child_mem", open_read(path, O_RDWR));
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  close(proc);
}

/* ------------------------------------------------------------------ self */

static int pid_in(const char *path, const char *key) {
  char buf[4096];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  long n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -EIO;
  buf[n] = 0;
  char *at = strstr(buf, key);
  if (!at) return -ENOENT;
  return atoi(at + strlen(key));
}

static void *self_thread(void *arg) {
  (void)arg;
  int tid = (int)syscall(SYS_gettid);
  char path[96];
  printf("thread_self_pid=%s\n", pid_in("/proc/thread-self/status", "\nPid:\t") == tid ? "match" : "MISMATCH");
  snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
  printf("self_task_tid=%s\n", pid_in(path, "\nPid:\t") == tid ? "match" : "MISMATCH");
  snprintf(path, sizeof path, "/proc/%d/status", tid);
  printf("proc_tid=%s\n", pid_in(path, "\nPid:\t") == tid ? "match" : "MISMATCH");
  snprintf(path, sizeof path, "/proc/%d/task/%d/status", getpid(), tid);
  printf("proc_pid_task_tid=%s\n", pid_in(path, "\nPid:\t") == tid ? "match" : "MISMATCH");
  char link[64] = {0};
  long n = readlink("/proc/thread-self", link, sizeof link - 1);
  char want[64];
  snprintf(want, sizeof want, "%d/task/%d", getpid(), tid);
  printf("thread_self_link=%s\n", n > 0 && strcmp(link, want) == 0 ? "match" : link);
  printf("thread_self_comm=%s\n", open_read("/proc/thread-self/comm", O_RDONLY) > 0 ? "OK" : errno_name(errno));
  return NULL;
}

static void mode_self(void) {
  int pid = getpid();
  printf("pid=%d\n", pid);
  char link[64] = {0};
  long n = readlink("/proc/self", link, sizeof link - 1);
  printf("self_link=%s\n", n > 0 && atoi(link) == pid ? "match" : link);
  printf("self_status=%s\n", pid_in("/proc/self/status", "\nPid:\t") == pid ? "match" : "MISMATCH");
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  printf("proc_pid_status=%s\n", pid_in(path, "\nPid:\t") == pid ? "match" : "MISMATCH");
  must("self_environ", open_read("/proc/self/environ", O_RDONLY));
  must("self_mem", open("/proc/self/mem", O_RDONLY | O_CLOEXEC)); /* W^X: never for writing */
  snprintf(path, sizeof path, "/proc/%d/mem", pid);
  must("pid_mem", open(path, O_RDONLY | O_CLOEXEC));
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  struct stat st;
  must("empty_path", fstatat(fd, "", &st, AT_EMPTY_PATH));
  close(fd);
  char buf[64];
  must("readlink_self_exe", readlink("/proc/self/exe", buf, sizeof buf));
  must("readlink_self_fd0", readlink("/proc/self/fd/0", buf, sizeof buf));
  pthread_t thread;
  pthread_create(&thread, NULL, self_thread, NULL);
  pthread_join(thread, NULL);
  /* A forked child's /proc/self is its own, not its parent's. */
  pid_t child = fork();
  if (child == 0) {
    int me = getpid();
    printf("child_self_status=%s\n", pid_in("/proc/self/status", "\nPid:\t") == me ? "match" : "MISMATCH");
    fflush(stdout);
    _exit(0);
  }
  waitpid(child, NULL, 0);
}

/* --------------------------------------------------------------- sibling */

static void mode_sibling(void) {
  int up[2];
  if (pipe(up) != 0) exit(3);
  pid_t parent = getpid();
  pid_t child = fork();
  if (child == 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)parent);
    attempt("child_reads_parent_environ", open_read(path, O_RDONLY));
    snprintf(path, sizeof path, "/proc/%d/mem", (int)parent);
    attempt("child_opens_parent_mem", open_read(path, O_RDONLY));
    snprintf(path, sizeof path, "/proc/%d/status", (int)parent);
    attempt("child_reads_parent_status", open_read(path, O_RDONLY));
    snprintf(path, sizeof path, "/proc/%d/fd/0", (int)parent);
    char buf[64];
    attempt("child_readlink_parent_fd", readlink(path, buf, sizeof buf));
    fflush(stdout);
    _exit(won);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) won = 1;
  close(up[0]);
  close(up[1]);
}

/* ------------------------------------------------------------------ nest */

static long clone_flags(unsigned long flags) {
  pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid(pid, NULL, 0);
  return pid;
}

static long clone3_flags(unsigned long flags) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  return pid;
}

static void mode_nest(void) {
  static const struct {
    const char *name;
    unsigned long flag;
  } kinds[] = {
      {"user", CLONE_NEWUSER}, {"pid", CLONE_NEWPID}, {"net", CLONE_NEWNET},   {"mount", CLONE_NEWNS},
      {"uts", CLONE_NEWUTS},   {"ipc", CLONE_NEWIPC}, {"cgroup", CLONE_NEWCGROUP}, {"time", 0x80},
  };
  char name[64];
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    pid_t child = fork();
    if (child == 0) {
      snprintf(name, sizeof name, "unshare_%s", kinds[i].name);
      attempt(name, unshare((int)kinds[i].flag));
      fflush(stdout);
      _exit(won);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) won = 1;
    /* clone(2) has no room for CLONE_NEWTIME (0x80 is in its exit-signal byte). */
    if (kinds[i].flag != 0x80) {
      snprintf(name, sizeof name, "clone_%s", kinds[i].name);
      attempt(name, clone_flags(kinds[i].flag));
    }
    snprintf(name, sizeof name, "clone3_%s", kinds[i].name);
    attempt(name, clone3_flags(kinds[i].flag));
  }
  /* setns into the init's namespaces through /proc/1/ns (and the caller's own). */
  int fd = open("/proc/1/ns/user", O_RDONLY | O_CLOEXEC);
  attempt("open_init_ns_user", fd);
  fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
  must("open_self_ns_user", fd);
  if (fd >= 0) {
    attempt("setns_self_user", setns(fd, CLONE_NEWUSER));
    close(fd);
  }
}

/* ------------------------------------------------------------------ caps */

static void mode_caps(void) {
  struct {
    unsigned version;
    int pid;
  } header = {0x20080522, 0};
  struct {
    unsigned effective, permitted, inheritable;
  } data[2];
  memset(data, 0, sizeof data);
  must("capget", syscall(SYS_capget, &header, data));
  printf("cap_eff=%08x%08x cap_prm=%08x%08x\n", data[1].effective, data[0].effective, data[1].permitted,
         data[0].permitted);
  if (data[0].effective || data[1].effective || data[0].permitted || data[1].permitted) {
    printf("won=caps\n");
    won = 1;
  }
  printf("uid=%d euid=%d gid=%d\n", (int)getuid(), (int)geteuid(), (int)getgid());
  attempt("sethostname", sethostname("pwned", 5));
  attempt("setdomainname", setdomainname("pwned", 5));
  struct timeval tv;
  gettimeofday(&tv, NULL);
  attempt("settimeofday", settimeofday(&tv, NULL));
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  attempt("clock_settime", clock_settime(CLOCK_REALTIME, &ts));
  attempt("mount_tmpfs", mount("none", "/tmp", "tmpfs", 0, NULL));
  attempt("umount_proc", umount2("/proc", MNT_DETACH));
  /* syd answers chroot as a no-op (the original's): the root stays. */
  must("chroot", chroot("/tmp"));
  struct stat root_st;
  must("root_still_proc", stat("/proc/self", &root_st));
  attempt("setgroups", setgroups(0, NULL));
  attempt("setuid_12345", setuid(12345));
  struct rlimit up = {RLIM_INFINITY, RLIM_INFINITY};
  attempt("raise_nofile_hard", setrlimit(RLIMIT_NOFILE, &up));
  int sock = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  attempt("raw_socket", sock);
  int sock2 = socket(AF_PACKET, SOCK_RAW, 0);
  attempt("packet_socket", sock2);
}

/* ------------------------------------------------------------------- scm */

static void mode_scm(void) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) != 0) exit(3);
  int on = 1;
  must("passcred", setsockopt(pair[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
  int tries[] = {getpid(), 1, getpid() + 1000, 0};
  const char *names[] = {"own", "init", "made_up", "zero"};
  for (int i = 0; i < 4; i++) {
    char data = 'x';
    struct iovec iov = {&data, 1};
    union {
      char buf[CMSG_SPACE(sizeof(struct ucred))];
      struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_CREDENTIALS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    struct ucred cred = {tries[i], getuid(), getgid()};
    memcpy(CMSG_DATA(cmsg), &cred, sizeof cred);
    char name[32];
    snprintf(name, sizeof name, "send_%s", names[i]);
    long rc = sendmsg(pair[0], &msg, 0);
    if (i == 0)
      must(name, rc);
    else
      attempt(name, rc);
    if (rc < 0) continue;
    char got = 0;
    struct iovec riov = {&got, 1};
    union {
      char buf[CMSG_SPACE(sizeof(struct ucred))];
      struct cmsghdr align;
    } rcontrol;
    struct msghdr rmsg = {0};
    rmsg.msg_iov = &riov;
    rmsg.msg_iovlen = 1;
    rmsg.msg_control = rcontrol.buf;
    rmsg.msg_controllen = sizeof rcontrol.buf;
    if (recvmsg(pair[1], &rmsg, 0) < 0) continue;
    struct cmsghdr *r = CMSG_FIRSTHDR(&rmsg);
    if (r && r->cmsg_type == SCM_CREDENTIALS) {
      struct ucred seen;
      memcpy(&seen, CMSG_DATA(r), sizeof seen);
      printf("recv_%s_pid=%s\n", names[i], seen.pid == getpid() ? "self" : "OTHER");
      if (seen.pid != getpid()) printf("recv_%s_value=%d self=%d\n", names[i], seen.pid, getpid());
    }
  }
  /* Without SCM_CREDENTIALS the kernel stamps the sender: that must be our ns pid. */
  char data = 'y';
  must("send_plain", send(pair[0], &data, 1, 0));
  char got;
  struct iovec riov = {&got, 1};
  union {
    char buf[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } rcontrol;
  struct msghdr rmsg = {0};
  rmsg.msg_iov = &riov;
  rmsg.msg_iovlen = 1;
  rmsg.msg_control = rcontrol.buf;
  rmsg.msg_controllen = sizeof rcontrol.buf;
  if (recvmsg(pair[1], &rmsg, 0) == 1) {
    struct cmsghdr *r = CMSG_FIRSTHDR(&rmsg);
    struct ucred seen = {0, 0, 0};
    if (r) memcpy(&seen, CMSG_DATA(r), sizeof seen);
    printf("recv_plain_pid=%s\n", seen.pid == getpid() ? "self" : "OTHER");
    if (seen.pid != getpid()) printf("recv_plain_value=%d self=%d\n", seen.pid, getpid());
  }
  /* SO_PEERCRED of a connected stream pair: our own ns pid. */
  int spair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, spair);
  struct ucred peer;
  socklen_t len = sizeof peer;
  getsockopt(spair[0], SOL_SOCKET, SO_PEERCRED, &peer, &len);
  printf("peercred_pid=%s\n", peer.pid == getpid() ? "self" : "OTHER");
  /* A pathname socket a child connects to (syd connects for it when it judges connects): the
   * accepting side's SO_PEERCRED must name the child by its pid here. */
  struct sockaddr_un addr = {0};
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "/tmp/peer-%d.sock", getpid());
  unlink(addr.sun_path);
  int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  must("peer_bind", bind(srv, (struct sockaddr *)&addr, sizeof addr));
  listen(srv, 1);
  pid_t child = fork();
  if (child == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(c, (struct sockaddr *)&addr, sizeof addr) != 0) _exit(3);
    /* Stay connected until the server has asked (a peer that closed first is no longer known
     * to syd's peer lookup: its credentials then name no process, 0 here). */
    char byte;
    _exit(read(c, &byte, 1) == 1 ? 0 : 4);
  }
  int conn = accept(srv, NULL, NULL);
  len = sizeof peer;
  peer.pid = 0;
  if (conn >= 0) getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &peer, &len);
  if (conn >= 0) (void)!write(conn, "x", 1);
  printf("accepted_peercred_pid=%s\n", peer.pid == child ? "child" : "OTHER");
  if (peer.pid != child) printf("accepted_peercred_value=%d child=%d\n", peer.pid, (int)child);
  waitpid(child, NULL, 0);
  unlink(addr.sun_path);
}

/* ------------------------------------------------------------------- net */

static long tcp_connect(const char *ip, int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  inet_pton(AF_INET, ip, &addr.sin_addr);
  long rc = connect(s, (struct sockaddr *)&addr, sizeof addr);
  int e = errno;
  close(s);
  errno = e;
  return rc;
}

static socklen_t abstract_addr(struct sockaddr_un *addr, const char *name) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  size_t len = strlen(name);
  memcpy(addr->sun_path + 1, name, len);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
}

static void mode_net(const char *host_ip, int port, const char *abstract) {
  attempt("tcp_host_ip", tcp_connect(host_ip, port));
  attempt("tcp_loopback_host_port", tcp_connect("127.0.0.1", port));
  /* The host's abstract socket, by connect and by sendto on a datagram socket. */
  struct sockaddr_un addr;
  socklen_t len = abstract_addr(&addr, abstract);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  long rc = connect(s, (struct sockaddr *)&addr, len);
  attempt("abstract_connect", rc);
  if (rc == 0) {
    char buf[16] = {0};
    read(s, buf, sizeof buf - 1);
    printf("abstract_said=%s\n", buf);
  }
  close(s);
  int d = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  char dgram_name[128];
  snprintf(dgram_name, sizeof dgram_name, "%s-dgram", abstract);
  len = abstract_addr(&addr, dgram_name);
  attempt("abstract_sendto", sendto(d, "x", 1, 0, (struct sockaddr *)&addr, len));
  close(d);
  /* The sandbox's own: loopback TCP and an abstract name of its own. */
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in in = {0};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  must("lo_bind", bind(l, (struct sockaddr *)&in, sizeof in));
  socklen_t inlen = sizeof in;
  getsockname(l, (struct sockaddr *)&in, &inlen);
  listen(l, 1);
  must("lo_connect", tcp_connect("127.0.0.1", ntohs(in.sin_port)));
  close(l);
  char own[128];
  snprintf(own, sizeof own, "%s-own", abstract);
  int ol = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  len = abstract_addr(&addr, own);
  must("own_abstract_bind", bind(ol, (struct sockaddr *)&addr, len));
  listen(ol, 1);
  int oc = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  must("own_abstract_connect", connect(oc, (struct sockaddr *)&addr, len));
  /* Bind the host listener's name here: free in our namespace, taken in the host's. */
  int hb = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  len = abstract_addr(&addr, abstract);
  must("bind_host_name_here", bind(hb, (struct sockaddr *)&addr, len));
  /* Stay bound a while: the host looks for the -own name in its namespace meanwhile. */
  printf("bound\n");
  fflush(stdout);
  usleep(500000);
}

static void mode_abstract_listen(const char *name, int seconds) {
  struct sockaddr_un addr;
  socklen_t len = abstract_addr(&addr, name);
  int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (bind(l, (struct sockaddr *)&addr, len) != 0 || listen(l, 4) != 0) exit(3);
  char dgram_name[128];
  snprintf(dgram_name, sizeof dgram_name, "%s-dgram", name);
  len = abstract_addr(&addr, dgram_name);
  int d = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (bind(d, (struct sockaddr *)&addr, len) != 0) exit(3);
  printf("listening\n");
  fflush(stdout);
  double end = now() + seconds;
  int accepted = 0, received = 0;
  while (now() < end) {
    struct pollfd fds[2] = {{l, POLLIN, 0}, {d, POLLIN, 0}};
    if (poll(fds, 2, 100) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      int c = accept(l, NULL, NULL);
      if (c >= 0) {
        write(c, "host", 4);
        close(c);
        accepted++;
      }
    }
    if (fds[1].revents & POLLIN) {
      char buf[16];
      if (recv(d, buf, sizeof buf, 0) > 0) received++;
    }
  }
  printf("accepted=%d received=%d\n", accepted, received);
}

/* ---------------------------------------------------------------- devsyd */

static void *devsyd_thread(void *arg) {
  struct stat st;
  report("thread", stat((const char *)arg, &st));
  return NULL;
}

static void mode_devsyd(const char *path) {
  struct stat st;
  report("command", stat(path, &st));
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    attempt("child", stat(path, &st));
    fflush(stdout);
    _exit(won);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) won = 1;
  /* A thread of the command (its own tid): the original's answer is for the lead to judge. */
  pthread_t thread;
  pthread_create(&thread, NULL, devsyd_thread, (void *)path);
  pthread_join(thread, NULL);
  /* A vfork child shares the command's memory but is a process of its own. */
  pid_t v = vfork();
  if (v == 0) {
    long rc = stat(path, &st);
    _exit(rc == 0 ? 1 : 0);
  }
  waitpid(v, &status, 0);
  printf("vfork_child=%s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "refused" : "OK");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    printf("won=vfork_child\n");
    won = 1;
  }
}

static void mode_devsyd_late(const char *path, int seconds, const char *out) {
  pid_t child = fork();
  if (child == 0) {
    setsid();
    sleep((unsigned)seconds);
    struct stat st;
    long rc = stat(path, &st);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    dprintf(fd, "late=%s\n", rc == 0 ? "OK" : errno_name(errno));
    close(fd);
    _exit(0);
  }
  printf("forked\n");
}

/* ------------------------------------------------------------ exit codes */

static void on_term(int sig) {
  (void)sig;
  write(1, "term\n", 5);
  _exit(7);
}

int main(int argc, char **argv) {
  check_args(argc >= 2, "attack_ns_proc MODE [ARGS]");
  const char *mode = argv[1];
  if (strcmp(mode, "abstract-listen") == 0) {
    check_args(argc == 4, "attack_ns_proc abstract-listen NAME SECONDS");
    setvbuf(stdout, NULL, _IOLBF, 0);
    mode_abstract_listen(argv[2], atoi(argv[3]));
    return 0;
  }
  require_sandbox("attack_ns_proc");
  if (strcmp(mode, "init") == 0) {
    mode_init();
  } else if (strcmp(mode, "init-sigio") == 0) {
    check_args(argc == 3, "attack_ns_proc init-sigio N");
    mode_init_sigio(atoi(argv[2]));
  } else if (strcmp(mode, "init-signals") == 0) {
    check_args(argc == 3, "attack_ns_proc init-signals N");
    mode_init_signals(atoi(argv[2]));
  } else if (strcmp(mode, "procpaths") == 0) {
    mode_procpaths();
  } else if (strcmp(mode, "self") == 0) {
    mode_self();
  } else if (strcmp(mode, "sibling") == 0) {
    mode_sibling();
  } else if (strcmp(mode, "nest") == 0) {
    mode_nest();
  } else if (strcmp(mode, "caps") == 0) {
    mode_caps();
  } else if (strcmp(mode, "scm") == 0) {
    mode_scm();
  } else if (strcmp(mode, "net") == 0) {
    check_args(argc == 5, "attack_ns_proc net HOSTIP PORT ABSTRACT");
    mode_net(argv[2], atoi(argv[3]), argv[4]);
  } else if (strcmp(mode, "devsyd") == 0) {
    check_args(argc == 3, "attack_ns_proc devsyd PATH");
    mode_devsyd(argv[2]);
  } else if (strcmp(mode, "devsyd-late") == 0) {
    check_args(argc == 5, "attack_ns_proc devsyd-late PATH SECONDS OUT");
    mode_devsyd_late(argv[2], atoi(argv[3]), argv[4]);
  } else if (strcmp(mode, "ipc") == 0) {
    /* The host's System V segment and queue of key KEY (ipcmk's): another ipc namespace's. */
    check_args(argc == 3, "attack_ns_proc ipc KEY");
    key_t key = (key_t)strtol(argv[2], NULL, 0);
    attempt("shmget", shmget(key, 0, 0));
    attempt("msgget", msgget(key, 0));
    attempt("shmat_id0", (long)(intptr_t)shmat(0, NULL, SHM_RDONLY) == -1 ? -1 : 0);
  } else if (strcmp(mode, "pgrp") == 0) {
    /* The command's process group may be syd's own (outside the namespace: getpgid says 0). */
    check_args(argc == 3, "attack_ns_proc pgrp N");
    printf("pgid=%ld sid=%ld\n", (long)getpgid(0), (long)getsid(0));
    signal(atoi(argv[2]), SIG_IGN);
    attempt("kill_pgrp", kill(0, atoi(argv[2])));
    usleep(300000);
    printf("alive=1\n");
  } else if (strcmp(mode, "sig") == 0) {
    check_args(argc == 3, "attack_ns_proc sig N");
    fflush(stdout);
    signal(atoi(argv[2]), SIG_DFL);
    raise(atoi(argv[2]));
    return 0;
  } else if (strcmp(mode, "linger") == 0) {
    check_args(argc == 4, "attack_ns_proc linger SECONDS CODE");
    if (fork() == 0) {
      sleep((unsigned)atoi(argv[2]));
      _exit(atoi(argv[3]));
    }
    return 0;
  } else if (strcmp(mode, "waitterm") == 0) {
    signal(SIGTERM, on_term);
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < 600; i++) pause();
    return 0;
  } else {
    check_args(0, "attack_ns_proc MODE [ARGS]");
  }
  fflush(stdout);
  return won;
}
