/* attack_ns2: the second round of attacks on syd's container form (tests/
 * namespaces_round2_attack_test.ts). Each attack prints `NAME=stopped DETAIL` or `NAME=WON
 * DETAIL`; the program exits 1 when any attack won, else 0.
 *
 *   credrecv PATH N      (the host side, not an attack) a datagram socket bound at PATH with
 *                        SO_PASSCRED; prints `got pid=P uid=U gid=G` for each of N messages
 *                        (gives up 30 s before the first, 3 s before each further one)
 *   credsend PATH UID GID  sendto(PATH) with SCM_CREDENTIALS { own pid, UID, GID }: a uid or
 *                        gid the sender may not claim (unmapped in its user namespace, or not
 *                        its own without CAP_SETUID) is refused by the kernel (EINVAL, EPERM);
 *                        sent through syd, it would be checked against syd's credentials
 *   nosym                links on /rw (a bind: nosymfollow) met in the middle of a path, through
 *                        a dirfd, by chdir/fchdir and by exec: the kernel refuses all (ELOOP)
 *   nosymw               calls that change things, through /rw/w/tl -> /tmp (a link on the
 *                        nosymfollow bind): create, rename, link, symlink, mknod, bind,
 *                        chmod, chown, truncate, utimes, setxattr, unlink, rmdir (/tmp holds
 *                        victim and vdir first); all ELOOP, /tmp unchanged
 *   setid ID             setgroups(0), setgid(ID), setuid(ID) in a user namespace mapping one id
 *                        (0): an unmapped ID is refused by the kernel (EINVAL) whatever syd's
 *                        setuid+/setgid+ transits allow; then what the process is, and whether
 *                        it can still open /rw/root0600 (a file of the host's root, 0600)
 *   status               the Uid, Gid and Groups lines of /proc/self/status (and of
 *                        /proc/self/task/TID/status) against getresuid, getresgid and
 *                        getgroups: the kernel shows them as the reader's user namespace maps
 *                        them; a copy read by syd shows them as syd's (the host's) does
 *   aclprep PATH         (the host side, not an attack) gives PATH a POSIX ACL naming user 1000
 *                        and group 1234 (read)
 *   acl                  getxattr(system.posix_acl_access) of /rw/acl (aclprep'd): the kernel
 *                        shows an id the namespace does not map as -1; then setxattr of an ACL
 *                        naming user 4321 (unmapped) on /rw/acl2: the kernel refuses (EINVAL);
 *                        through syd both are read and written in the host's ids
 *   abslisten NAME       (the host side, not an attack) listens on the abstract UNIX name NAME;
 *                        prints `accepted` for a connection within 10 s, else `none`
 *   absconnect NAME      connects to the abstract name NAME: in a net namespace of its own,
 *                        the host's abstract names are out of reach (ECONNREFUSED)
 *   initproc             the hidden init (pid 1) by other spellings of /proc: /proc/., //proc,
 *                        /proc/self/.., an fd of /proc passed through a UNIX socket and read by
 *                        another process, fstatat of "1" at a /proc dirfd, and /proc/1/...
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <grp.h>
#include <unistd.h>

static int won_any = 0;

static void verdict(const char *name, int won, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void verdict(const char *name, int won, const char *fmt, ...) {
  va_list ap;
  printf("%s=%s ", name, won ? "WON" : "stopped");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
  if (won) won_any = 1;
}

static socklen_t unix_addr(struct sockaddr_un *sun, const char *path) {
  memset(sun, 0, sizeof(*sun));
  sun->sun_family = AF_UNIX;
  snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", path);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sun->sun_path) + 1);
}

static int credrecv(const char *path, int count) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sun;
  socklen_t len = unix_addr(&sun, path);
  int on = 1;
  struct timeval tv = {.tv_sec = 30};
  unlink(path);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sun, len) != 0) return 2;
  chmod(path, 0777);
  setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  printf("ready\n");
  fflush(stdout);
  for (int i = 0; i < count; i++) {
    char data[64];
    char control[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                         .msg_controllen = sizeof(control)};
    ssize_t got = recvmsg(fd, &msg, 0);
    if (got < 0) {
      printf("recv errno=%d\n", errno);
      break;
    }
    /* After the first: 3 s for each further message. */
    tv.tv_sec = 3;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c && c->cmsg_type == SCM_CREDENTIALS) {
      struct ucred u;
      memcpy(&u, CMSG_DATA(c), sizeof(u));
      printf("got %.*s pid=%d uid=%u gid=%u\n", (int)got, data, u.pid, u.uid, u.gid);
    } else {
      printf("got %.*s nocreds\n", (int)got, data);
    }
    fflush(stdout);
  }
  return 0;
}

static int credsend(const char *path, unsigned uid, unsigned gid) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sun;
  socklen_t len = unix_addr(&sun, path);
  struct ucred u = {.pid = getpid(), .uid = uid, .gid = gid};
  char control[CMSG_SPACE(sizeof(u))];
  char data[32];
  snprintf(data, sizeof(data), "claim%u", uid);
  memset(control, 0, sizeof(control));
  struct iovec iov = {.iov_base = data, .iov_len = strlen(data)};
  struct msghdr msg = {.msg_name = &sun, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = control, .msg_controllen = sizeof(control)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof(u));
  memcpy(CMSG_DATA(c), &u, sizeof(u));
  ssize_t sent = sendmsg(fd, &msg, 0);
  int err = sent < 0 ? errno : 0;
  /* Claimed one's own ids is no attack; claiming others and being sent is. */
  int own = uid == getuid() && gid == getgid();
  verdict("credsend", sent >= 0 && !own, "uid=%u gid=%u me=%u/%u pid=%d sent=%zd errno=%d", uid,
          gid, getuid(), getgid(), getpid(), sent, err);
  return won_any;
}

/* nosym: /rw/n holds mid -> /etc, idl -> /usr/bin/id, dot -> ., d/up -> ../mid. */
static void nosym(void) {
  char buf[256];
  int rc;
  mkdir("/rw/n", 0755);
  mkdir("/rw/n/d", 0755);
  symlink("/etc", "/rw/n/mid");
  symlink("/usr/bin/id", "/rw/n/idl");
  symlink(".", "/rw/n/dot");
  symlink("../mid", "/rw/n/d/up");
  const char *paths[] = {"/rw/n/mid/hostname", "/rw/n/d/up/hostname", "/rw/n/dot/mid/hostname",
                         "/rw/n/dot/dot/d/up/hostname", "/h/../rw/n/mid/hostname"};
  for (unsigned i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
    int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
    int err = errno;
    struct stat st;
    int s = stat(paths[i], &st);
    int serr = errno;
    verdict("nosym_path", fd >= 0 || s == 0, "%s open=%d errno=%d stat=%d errno=%d", paths[i],
            fd, fd < 0 ? err : 0, s, s < 0 ? serr : 0);
    if (fd >= 0) close(fd);
  }
  int dir = open("/rw/n", O_PATH | O_DIRECTORY | O_CLOEXEC);
  const char *rel[] = {"mid/hostname", "d/up/hostname", "dot/mid/hostname", "mid/."};
  for (unsigned i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
    int fd = openat(dir, rel[i], O_RDONLY | O_CLOEXEC);
    int err = errno;
    struct stat st;
    int s = fstatat(dir, rel[i], &st, 0);
    int serr = errno;
    int a = faccessat(dir, rel[i], R_OK, 0);
    int aerr = errno;
    verdict("nosym_dirfd", fd >= 0 || s == 0 || a == 0,
            "%s openat=%d errno=%d fstatat=%d errno=%d faccessat=%d errno=%d", rel[i], fd,
            fd < 0 ? err : 0, s, s < 0 ? serr : 0, a, a < 0 ? aerr : 0);
    if (fd >= 0) close(fd);
  }
  rc = chdir("/rw/n/mid");
  int cerr = errno;
  char *cwd = getcwd(buf, sizeof(buf));
  verdict("nosym_chdir", rc == 0, "chdir=%d errno=%d cwd=%s", rc, rc < 0 ? cerr : 0,
          cwd ? cwd : "?");
  chdir("/");
  int mid = open("/rw/n/mid", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int merr = errno;
  rc = mid >= 0 ? fchdir(mid) : -1;
  verdict("nosym_fchdir", mid >= 0 && rc == 0, "open=%d errno=%d fchdir=%d", mid,
          mid < 0 ? merr : 0, rc);
  if (mid >= 0) close(mid);
  chdir("/rw/n");
  rc = mkdir("mid/newdir", 0755);
  int mkerr = errno;
  verdict("nosym_mkdir", rc == 0, "mkdirat through mid=%d errno=%d", rc, rc < 0 ? mkerr : 0);
  const char *execs[] = {"/rw/n/idl", "/rw/n/dot/idl", "idl"};
  for (unsigned i = 0; i < sizeof(execs) / sizeof(execs[0]); i++) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) continue;
    pid_t pid = fork();
    if (pid == 0) {
      dup2(pipefd[1], 1);
      char *argv[] = {(char *)execs[i], NULL};
      execv(execs[i], argv);
      _exit(100 + errno);
    }
    close(pipefd[1]);
    ssize_t got = read(pipefd[0], buf, sizeof(buf) - 1);
    buf[got > 0 ? got : 0] = 0;
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    int ran = strstr(buf, "uid=") != NULL;
    verdict("nosym_exec", ran, "%s status=%d out=%.40s", execs[i],
            WIFEXITED(status) ? WEXITSTATUS(status) : -1, buf);
  }
  chdir("/");
}

static void nosym_call(const char *name, int rc, int err) {
  verdict("nosymw", rc >= 0, "%s rc=%d errno=%d", name, rc, rc < 0 ? err : 0);
}

#define TRY(name, call)                                                                        \
  do {                                                                                         \
    errno = 0;                                                                                 \
    int rc_ = (call);                                                                          \
    nosym_call(name, rc_, errno);                                                              \
  } while (0)

static void nosymw(void) {
  mkdir("/rw/w", 0755);
  symlink("/tmp", "/rw/w/tl");
  int v = open("/tmp/victim", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (v >= 0) close(v);
  mkdir("/tmp/vdir", 0755);
  int fd = open("/rw/w/tl/created", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  int err = errno;
  nosym_call("creat", fd, err);
  if (fd >= 0) close(fd);
  int plain = open("/rw/w/plain", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (plain >= 0) close(plain);
  TRY("rename_in", rename("/rw/w/plain", "/rw/w/tl/renamed"));
  TRY("rename_out", rename("/rw/w/tl/victim", "/rw/w/stolen"));
  TRY("link", link("/rw/w/plain", "/rw/w/tl/linked"));
  TRY("symlink", symlink("/etc", "/rw/w/tl/sl"));
  TRY("mknod", mknod("/rw/w/tl/fifo", S_IFIFO | 0644, 0));
  TRY("mkdir", mkdir("/rw/w/tl/md", 0755));
  TRY("chmod", chmod("/rw/w/tl/victim", 0777));
  TRY("chown", chown("/rw/w/tl/victim", 0, 0));
  TRY("truncate", truncate("/rw/w/tl/victim", 100));
  TRY("utimes", utimes("/rw/w/tl/victim", NULL));
  TRY("setxattr", setxattr("/rw/w/tl/victim", "user.x", "1", 1, 0));
  TRY("unlink", unlink("/rw/w/tl/victim"));
  TRY("rmdir", rmdir("/rw/w/tl/vdir"));
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sun;
  socklen_t len = unix_addr(&sun, "/rw/w/tl/sock");
  TRY("bind", bind(s, (struct sockaddr *)&sun, len));
  close(s);
  int dir = open("/rw/w", O_PATH | O_DIRECTORY | O_CLOEXEC);
  TRY("renameat2", (int)syscall(SYS_renameat2, dir, "plain", dir, "tl/r2", 0));
  TRY("openat_creat", openat(dir, "tl/created2", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  close(dir);
  /* What /tmp holds now. */
  char seen[256] = "";
  DIR *d = opendir("/tmp");
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s,", e->d_name);
  if (d) closedir(d);
  struct stat st;
  stat("/tmp/victim", &st);
  int changed = strcmp(seen, "victim,vdir,") != 0 && strcmp(seen, "vdir,victim,") != 0;
  verdict("nosymw_tmp", changed || (st.st_mode & 0777) != 0644 || st.st_size != 0,
          "tmp=%s mode=%o size=%lld", seen, st.st_mode & 0777, (long long)st.st_size);
}

struct acl_entry {
  unsigned short tag, perm;
  unsigned id;
};

static int acl_blob(char *out, const struct acl_entry *entries, int n) {
  unsigned version = 2;
  memcpy(out, &version, 4);
  memcpy(out + 4, entries, (size_t)n * sizeof(*entries));
  return 4 + n * (int)sizeof(*entries);
}

static int aclprep(const char *path) {
  const struct acl_entry entries[] = {{1, 6, ~0u},   {2, 4, 1000},    {4, 4, ~0u},
                                      {8, 4, 1234},  {0x10, 4, ~0u}, {0x20, 4, ~0u}};
  char blob[128];
  int len = acl_blob(blob, entries, 6);
  return setxattr(path, "system.posix_acl_access", blob, (size_t)len, 0) == 0 ? 0 : 2;
}

static void acl(void) {
  char blob[256];
  ssize_t len = getxattr("/rw/acl", "system.posix_acl_access", blob, sizeof(blob));
  int err = len < 0 ? errno : 0;
  char shown[256] = "";
  int foreign = 0;
  for (ssize_t at = 4; len > 0 && at + 8 <= len; at += 8) {
    struct acl_entry e;
    memcpy(&e, blob + at, sizeof(e));
    snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), "%u:%d,", e.tag, (int)e.id);
    if (e.id != ~0u && e.id != 0) foreign = 1;
  }
  verdict("acl_get", foreign, "len=%zd errno=%d entries=%s", len, err, shown);
  const struct acl_entry entries[] = {
      {1, 6, ~0u}, {2, 4, 4321}, {4, 4, ~0u}, {0x10, 4, ~0u}, {0x20, 4, ~0u}};
  int n = acl_blob(blob, entries, 5);
  int rc = setxattr("/rw/acl2", "system.posix_acl_access", blob, (size_t)n, 0);
  err = rc < 0 ? errno : 0;
  verdict("acl_set", rc == 0, "user 4321 rc=%d errno=%d", rc, err);
}

static socklen_t abstract_addr(struct sockaddr_un *sun, const char *name) {
  memset(sun, 0, sizeof(*sun));
  sun->sun_family = AF_UNIX;
  size_t len = strlen(name);
  if (len > sizeof(sun->sun_path) - 1) len = sizeof(sun->sun_path) - 1;
  memcpy(sun->sun_path + 1, name, len);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
}

static int abslisten(const char *name) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sun;
  socklen_t len = abstract_addr(&sun, name);
  struct timeval tv = {.tv_sec = 4}; /* the connect comes within 2 s of "ready" */
  if (fd < 0 || bind(fd, (struct sockaddr *)&sun, len) != 0 || listen(fd, 4) != 0) return 2;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  printf("ready\n");
  fflush(stdout);
  int c = accept(fd, NULL, NULL);
  printf("%s\n", c >= 0 ? "accepted" : "none");
  return 0;
}

static int absconnect(const char *name) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sun;
  socklen_t len = abstract_addr(&sun, name);
  int rc = connect(fd, (struct sockaddr *)&sun, len);
  verdict("absconnect", rc == 0, "rc=%d errno=%d", rc, rc < 0 ? errno : 0);
  return won_any;
}

static int lists_one(int fd) {
  DIR *d = fdopendir(fd);
  if (!d) return -1;
  int found = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, "1") == 0) found = 1;
  closedir(d);
  return found;
}

static void initproc(void) {
  const char *dirs[] = {"/proc", "/proc/.", "//proc", "/proc/", "/proc/self/..",
                        "/proc/thread-self/../..", "/./proc/../proc", "/proc/self/root/proc"};
  for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
    int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int err = errno;
    int found = fd >= 0 ? lists_one(fd) : -1;
    verdict("init_list", found == 1, "%s open=%d errno=%d listed_1=%d", dirs[i], fd >= 0,
            fd < 0 ? err : 0, found);
  }
  /* A dirfd of /proc, then listed after chdir into it as "." */
  if (chdir("/proc") == 0) {
    int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int found = fd >= 0 ? lists_one(fd) : -1;
    verdict("init_list", found == 1, "cwd . listed_1=%d", found);
    chdir("/");
  }
  /* An fd of /proc passed to another process through a socket pair. */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
    pid_t pid = fork();
    if (pid == 0) {
      char byte;
      char control[CMSG_SPACE(sizeof(int))];
      struct iovec iov = {.iov_base = &byte, .iov_len = 1};
      struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                           .msg_controllen = sizeof(control)};
      if (recvmsg(sv[1], &msg, 0) <= 0) _exit(3);
      struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
      if (!c) _exit(4);
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof(fd));
      _exit(lists_one(fd) == 1 ? 1 : 0);
    }
    int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char byte = 'x';
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof(control));
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                         .msg_controllen = sizeof(control)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(fd));
    ssize_t sent = sendmsg(sv[0], &msg, 0);
    int status = 0;
    waitpid(pid, &status, 0);
    verdict("init_list_passed", WIFEXITED(status) && WEXITSTATUS(status) == 1,
            "sent=%zd child status=%d", sent, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    close(fd);
  }
  /* Naming it: the same answer as a pid that does not exist (99999). */
  int pfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  const char *names[] = {"1", "1/status", "1/exe", "1/root", "1/cwd", "1/ns/pid"};
  for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    char other[32];
    snprintf(other, sizeof(other), "99999%s", names[i] + 1);
    struct stat st;
    int a = fstatat(pfd, names[i], &st, AT_SYMLINK_NOFOLLOW);
    int aerr = a < 0 ? errno : 0;
    int b = fstatat(pfd, other, &st, AT_SYMLINK_NOFOLLOW);
    int berr = b < 0 ? errno : 0;
    char link[128];
    ssize_t l = readlinkat(pfd, names[i], link, sizeof(link) - 1);
    int lerr = l < 0 ? errno : 0;
    int o = openat(pfd, names[i], O_RDONLY | O_CLOEXEC);
    int oerr = o < 0 ? errno : 0;
    int x = faccessat(pfd, names[i], F_OK, 0);
    int xerr = x < 0 ? errno : 0;
    ssize_t l2 = readlinkat(pfd, other, link, sizeof(link) - 1);
    int l2err = l2 < 0 ? errno : 0;
    int o2 = openat(pfd, other, O_RDONLY | O_CLOEXEC);
    int o2err = o2 < 0 ? errno : 0;
    int x2 = faccessat(pfd, other, F_OK, 0);
    int x2err = x2 < 0 ? errno : 0;
    if (o2 >= 0) close(o2);
    /* Won: reached, or told apart from a pid that does not exist. */
    int won = a == 0 || l >= 0 || o >= 0 || x == 0 || aerr != berr || lerr != l2err ||
              oerr != o2err || xerr != x2err;
    verdict("init_name", won,
            "%s fstatat=%d/%d readlinkat=%zd/%d open=%d/%d faccessat=%d/%d; 99999: "
            "fstatat=%d/%d readlinkat=%zd/%d open=%d/%d faccessat=%d/%d",
            names[i], a, aerr, l, lerr, o, oerr, x, xerr, b, berr, l2, l2err, o2, o2err, x2,
            x2err);
    if (o >= 0) close(o);
  }
  close(pfd);
}

static int setid(unsigned id) {
  int g = setgroups(0, NULL);
  int gerr = g < 0 ? errno : 0;
  int rg = setgid(id);
  int rgerr = rg < 0 ? errno : 0;
  int ru = setuid(id);
  int ruerr = ru < 0 ? errno : 0;
  uid_t r, e, sv;
  getresuid(&r, &e, &sv);
  int fd = open("/rw/root0600", O_RDONLY | O_CLOEXEC);
  int ferr = fd < 0 ? errno : 0;
  /* Won: became an id the namespace does not map, or stayed able to read root's file after a
   * setuid that succeeded. */
  int won = (ru == 0 && id != 0 && (fd >= 0 || e != id));
  verdict("setid", won, "setgroups=%d/%d setgid=%d/%d setuid=%d/%d res=%u/%u/%u open0600=%d/%d", g,
          gerr, rg, rgerr, ru, ruerr, r, e, sv, fd >= 0, ferr);
  return won_any;
}

/* The ids of the line `key` of the status text: up to 4 for Uid/Gid, up to 64 for Groups. */
static int status_ids(const char *text, const char *key, unsigned *ids, int max) {
  const char *line = strstr(text, key);
  if (!line) return -1;
  line += strlen(key);
  int n = 0;
  while (n < max) {
    while (*line == ' ' || *line == '\t') line++;
    if (*line < '0' || *line > '9') break;
    ids[n++] = (unsigned)strtoul(line, (char **)&line, 10);
  }
  return n;
}

static void status_one(const char *path) {
  char text[8192];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    verdict("status", 0, "%s open errno=%d", path, errno);
    return;
  }
  ssize_t got = read(fd, text, sizeof(text) - 1);
  close(fd);
  text[got > 0 ? got : 0] = 0;
  uid_t r, e, sv;
  gid_t gr, ge, gs;
  getresuid(&r, &e, &sv);
  getresgid(&gr, &ge, &gs);
  unsigned want_u[4] = {r, e, sv, r}, want_g[4] = {gr, ge, gs, gr};
  unsigned uids[4] = {0}, gids[4] = {0}, groups[64] = {0};
  gid_t own[64];
  int nu = status_ids(text, "\nUid:", uids, 4);
  int ng = status_ids(text, "\nGid:", gids, 4);
  int ngroups = status_ids(text, "\nGroups:", groups, 64);
  int nown = getgroups(64, own);
  /* The fs ids (the 4th) follow the effective ones here: no setfsuid was made. */
  want_u[3] = e;
  want_g[3] = ge;
  int differ = nu != 4 || ng != 4 || ngroups != nown;
  for (int i = 0; i < 4 && !differ; i++) differ = uids[i] != want_u[i] || gids[i] != want_g[i];
  for (int i = 0; i < ngroups && i < nown && !differ; i++) differ = groups[i] != own[i];
  char shown[256] = "", kernel[256] = "";
  for (int i = 0; i < ngroups && i < 16; i++)
    snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), "%u,", groups[i]);
  for (int i = 0; i < nown && i < 16; i++)
    snprintf(kernel + strlen(kernel), sizeof(kernel) - strlen(kernel), "%u,", own[i]);
  verdict("status", differ, "%s Uid=%u,%u,%u,%u Gid=%u,%u,%u,%u Groups=%s; own uid=%u,%u,%u "
          "gid=%u,%u,%u groups=%s", path, uids[0], uids[1], uids[2], uids[3], gids[0], gids[1],
          gids[2], gids[3], shown, r, e, sv, gr, ge, gs, kernel);
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "status") == 0) {
    char path[64];
    status_one("/proc/self/status");
    snprintf(path, sizeof(path), "/proc/self/task/%ld/status", (long)syscall(SYS_gettid));
    status_one(path);
    return won_any;
  }
  if (argc >= 3 && strcmp(argv[1], "setid") == 0)
    return setid((unsigned)strtoul(argv[2], NULL, 10));
  if (argc >= 4 && strcmp(argv[1], "credrecv") == 0) return credrecv(argv[2], atoi(argv[3]));
  if (argc >= 5 && strcmp(argv[1], "credsend") == 0)
    return credsend(argv[2], (unsigned)strtoul(argv[3], NULL, 10),
                    (unsigned)strtoul(argv[4], NULL, 10));
  if (argc >= 2 && strcmp(argv[1], "nosym") == 0) {
    nosym();
    return won_any;
  }
  if (argc >= 2 && strcmp(argv[1], "nosymw") == 0) {
    nosymw();
    return won_any;
  }
  if (argc >= 3 && strcmp(argv[1], "abslisten") == 0) return abslisten(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "absconnect") == 0) return absconnect(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "aclprep") == 0) return aclprep(argv[2]);
  if (argc >= 2 && strcmp(argv[1], "acl") == 0) {
    acl();
    return won_any;
  }
  if (argc >= 2 && strcmp(argv[1], "initproc") == 0) {
    initproc();
    return won_any;
  }
  fprintf(stderr, "usage: attack_ns2 credrecv|credsend|nosym|initproc ...\n");
  return 2;
}
