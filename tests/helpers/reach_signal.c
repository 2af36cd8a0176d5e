/* Attack 3, stop or kill syd. Usage: reach_signal DIR MODE   (DIR holds "public"; syd is the parent)
 * kill:   kill(syd, SIGKILL)                                   -> kill=
 * stop:   prints "ppid=N" and "ready", reads a line of syd's thread ids (the test reads them from
 *         outside); SIGSTOP with tgkill(syd, T) for T in syd..syd+400, tkill and rt_tgsigqueueinfo to
 *         each given thread, rt_sigqueueinfo to syd          -> tgkill=, tkill=, rt_sigqueueinfo=,
 *                                                                rt_tgsigqueueinfo= (with _ok= counts)
 * pidfd:  pidfd_send_signal(pidfd_open(syd), SIGKILL)         -> pidfd_open=, pidfd_send_signal=
 * group:  SIGCONT to syd's process group, then to every process (-1): harmless even when it
 *         arrives                                             -> pgid=, kill_group=, kill_all=
 * Every mode then waits 200 ms, makes a trapped call and prints "served". */

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

#include <signal.h>
#include <sys/types.h>

int main(int argc, char **argv) {
  require_sandbox("reach_signal");
  if (argc != 3) {
    fprintf(stderr, "usage: reach_signal DIR kill|stop|pidfd|group\n");
    return 2;
  }
  const char *dir = argv[1], *mode = argv[2];
  pid_t syd = getppid();
  printf("ppid=%d\n", syd);
  if (strcmp(mode, "kill") == 0) {
    report("kill", kill(syd, SIGKILL));
  } else if (strcmp(mode, "stop") == 0) {
    printf("ready\n");
    char line[8192];
    read_line(line, sizeof line);
    pid_t tids[1024];
    int ntids = 0;
    for (char *cursor = line, *end; ntids < 1024; cursor = end) {
      long tid = strtol(cursor, &end, 10);
      if (end == cursor) break;
      tids[ntids++] = (pid_t)tid;
    }
    struct tally tg = {0}, t = {0}, tgq = {0};
    for (pid_t tid = syd; tid <= syd + 400; tid++) tally_add(&tg, syscall(SYS_tgkill, syd, tid, SIGSTOP));
    for (int i = 0; i < ntids; i++) tally_add(&t, syscall(SYS_tkill, tids[i], SIGSTOP));
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGSTOP;
    info.si_code = SI_QUEUE;
    info.si_pid = getpid();
    info.si_uid = getuid();
    report("rt_sigqueueinfo", syscall(SYS_rt_sigqueueinfo, syd, SIGSTOP, &info));
    for (int i = 0; i < ntids; i++) tally_add(&tgq, syscall(SYS_rt_tgsigqueueinfo, syd, tids[i], SIGSTOP, &info));
    tally_print("tgkill", &tg);
    tally_print("tkill", &t);
    tally_print("rt_tgsigqueueinfo", &tgq);
  } else if (strcmp(mode, "pidfd") == 0) {
    long pidfd = syscall(SYS_pidfd_open, syd, 0);
    report("pidfd_open", pidfd);
    report("pidfd_send_signal", syscall(SYS_pidfd_send_signal, (int)pidfd, SIGKILL, NULL, 0));
  } else if (strcmp(mode, "group") == 0) {
    pid_t pgid = getpgid(syd);
    report("pgid", pgid);
    if (pgid > 1) report("kill_group", kill(-pgid, SIGCONT));
    report("kill_all", kill(-1, SIGCONT));
  } else {
    fprintf(stderr, "reach_signal: unknown mode %s\n", mode);
    return 2;
  }
  usleep(200 * 1000); /* a signal that got through has taken effect by now */
  served(dir);
  return 0;
}
