// Passes fds of chosen kinds over a UNIX socket pair from a child process to its parent and
// prints what the parent received: the data, how many fds, MSG_CTRUNC, the kind of each fd
// received and whether it is usable (a file's contents read through it).
//
//   pass_fds [-m] [-d] KIND[,KIND...]     KIND: file dir pipe socket memfd eventfd
//     -m  receive with recvmmsg instead of recvmsg
//     -T  receive with recvmmsg with a 5 s timeout; prints what is left of it (`left=4`)
//     -d  a datagram socket pair instead of a stream one
//   pass_fds -b N                         N rounds of sending one file fd and receiving it in
//                                         one process; prints the median ns of one recvmsg
//
// Output: `data=hello fds=N ctrunc=0|1 kinds=file,pipe usable=1` (usable: every file read back
// "content"), or `recvmsg: ERRNO`; exit 0 unless the helper itself failed.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FDS_MAX 16

static int make(const char *kind) {
  if (strcmp(kind, "file") == 0) {
    char path[] = "/tmp/pass_fds.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    unlink(path);
    if (write(fd, "content", 7) != 7) return -1;
    lseek(fd, 0, SEEK_SET);
    return fd;
  }
  if (strcmp(kind, "dir") == 0) return open("/", O_RDONLY | O_DIRECTORY);
  if (strcmp(kind, "pipe") == 0) {
    int p[2];
    if (pipe(p) < 0) return -1;
    return p[0];
  }
  if (strcmp(kind, "socket") == 0) return socket(AF_UNIX, SOCK_STREAM, 0);
  if (strcmp(kind, "memfd") == 0) return memfd_create("passed", 0);
  if (strcmp(kind, "eventfd") == 0) return eventfd(0, 0);
  return -1;
}

static const char *kind_of(int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0) return "bad";
  if (S_ISDIR(st.st_mode)) return "dir";
  if (S_ISFIFO(st.st_mode)) return "pipe";
  if (S_ISSOCK(st.st_mode)) return "socket";
  if (S_ISREG(st.st_mode)) {
    char link[64], target[256];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n > 0 && strncmp(target, "/memfd:", 7) == 0) return "memfd";
    return "file";
  }
  return "other";
}

static int send_fds(int sock, const int *fds, int count) {
  char data[] = "hello";
  struct iovec iov = {.iov_base = data, .iov_len = 5};
  union {
    char buf[CMSG_SPACE(sizeof(int) * FDS_MAX)];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (count > 0) {
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * count);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * count);
  }
  return sendmsg(sock, &msg, 0) < 0 ? -1 : 0;
}

// Receives one message; fills `fds` (count returned) and `flags`; data into `data`.
static struct timespec timeout = {.tv_sec = 5};

static ssize_t receive(int sock, int mmsg, char *data, size_t len, int *fds, int *count, int *flags) {
  struct iovec iov = {.iov_base = data, .iov_len = len};
  union {
    char buf[CMSG_SPACE(sizeof(int) * FDS_MAX)];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct mmsghdr mm;
  memset(&mm, 0, sizeof mm);
  struct msghdr *msg = &mm.msg_hdr;
  msg->msg_iov = &iov;
  msg->msg_iovlen = 1;
  msg->msg_control = control.buf;
  msg->msg_controllen = sizeof control.buf;
  ssize_t n;
  if (mmsg) {
    int got = recvmmsg(sock, &mm, 1, 0, mmsg == 2 ? &timeout : NULL);
    n = got < 0 ? -1 : (ssize_t)mm.msg_len;
  } else {
    n = recvmsg(sock, msg, 0);
  }
  if (n < 0) return -1;
  *flags = msg->msg_flags;
  *count = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (int i = 0; i < k && *count < FDS_MAX; i++) memcpy(&fds[(*count)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
  }
  return n;
}

static int cmp_long(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

static long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int bench(int rounds) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return perror("socketpair"), 1;
  int file = make("file");
  long *times = calloc(rounds, sizeof(long));
  if (file < 0 || times == NULL) return 1;
  for (int i = 0; i < rounds; i++) {
    if (send_fds(sv[0], &file, 1) < 0) return perror("sendmsg"), 1;
    char data[16];
    int fds[FDS_MAX], count = 0, flags = 0;
    long start = now_ns();
    if (receive(sv[1], 0, data, sizeof data, fds, &count, &flags) < 0) return perror("recvmsg"), 1;
    times[i] = now_ns() - start;
    if (count != 1) return fprintf(stderr, "round %d: %d fds\n", i, count), 1;
    close(fds[0]);
  }
  qsort(times, rounds, sizeof(long), cmp_long);
  printf("median_ns=%ld\n", times[rounds / 2]);
  return 0;
}

int main(int argc, char **argv) {
  int mmsg = 0, type = SOCK_STREAM, opt;
  while ((opt = getopt(argc, argv, "mTdb:")) != -1) {
    if (opt == 'm') mmsg = 1;
    else if (opt == 'T') mmsg = 2;
    else if (opt == 'd') type = SOCK_DGRAM;
    else if (opt == 'b') return bench(atoi(optarg));
    else return 2;
  }
  int fds[FDS_MAX], count = 0;
  if (optind < argc) {
    char *list = argv[optind], *save = NULL;
    for (char *kind = strtok_r(list, ",", &save); kind && count < FDS_MAX; kind = strtok_r(NULL, ",", &save)) {
      int fd = make(kind);
      if (fd < 0) return fprintf(stderr, "cannot make %s: %s\n", kind, strerror(errno)), 2;
      fds[count++] = fd;
    }
  }
  int sv[2];
  if (socketpair(AF_UNIX, type, 0, sv) < 0) return perror("socketpair"), 2;
  pid_t child = fork();
  if (child < 0) return perror("fork"), 2;
  if (child == 0) {
    close(sv[1]);
    if (send_fds(sv[0], fds, count) < 0) {
      printf("sendmsg: %s\n", strerror(errno));
      fflush(stdout);
      _exit(1);
    }
    _exit(0);
  }
  close(sv[0]);
  for (int i = 0; i < count; i++) close(fds[i]);
  char data[64] = {0};
  int got[FDS_MAX], received = 0, flags = 0;
  ssize_t n = receive(sv[1], mmsg, data, sizeof data - 1, got, &received, &flags);
  int status = 0;
  waitpid(child, &status, 0);
  if (n < 0) {
    printf("recvmsg: %s\n", strerrorname_np(errno));
    return 0;
  }
  data[n] = 0;
  char kinds[256] = "";
  int usable = 1;
  for (int i = 0; i < received; i++) {
    const char *kind = kind_of(got[i]);
    if (i > 0) strcat(kinds, ",");
    strcat(kinds, kind);
    if (strcmp(kind, "file") == 0) {
      char buf[16] = {0};
      if (pread(got[i], buf, sizeof buf - 1, 0) != 7 || strcmp(buf, "content") != 0) usable = 0;
    }
    if (strcmp(kind, "bad") == 0) usable = 0;
  }
  printf("data=%s fds=%d ctrunc=%d kinds=%s usable=%d", data, received, (flags & MSG_CTRUNC) ? 1 : 0, kinds, usable);
  if (mmsg == 2) printf(" left=%ld", (long)timeout.tv_sec);
  printf("\n");
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 3;
}
