/* Issue 12, a hostile cmsg_len: sendmsg from a UNIX datagram socket connected to DIR/sock (which
 * it binds itself) with a control buffer whose
 * second control message has cmsg_len 2^64-1 (after a valid SCM_CREDENTIALS, or after a valid
 * SCM_RIGHTS), and one whose first has it; each layout 100 times. Then a plain send, and a trapped
 * open of DIR/public to show syd still answers.
 * Usage: race_cmsg_len DIR   (DIR/sock must not exist)
 * Prints: "after_creds=ERRNO,...", "after_creds_ok=N", "after_rights=...", "after_rights_ok=N",
 * "first=...", "first_ok=N", "plain=OK|ERRNO", and "served" (or "unserved=ERRNO"). */
#include "reach.h"
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

static union {
  char buf[256];
  struct cmsghdr align;
} control;

/* Writes a cmsghdr at OFFSET in the control buffer; returns the offset of the next one. */
static size_t put(size_t offset, uint64_t len, int type, const void *data, size_t size) {
  struct cmsghdr *c = (struct cmsghdr *)(control.buf + offset);
  c->cmsg_len = len;
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = type;
  if (size) memcpy(CMSG_DATA(c), data, size);
  return offset + CMSG_SPACE(size);
}

static void attack(const char *name, int s, size_t controllen) {
  char byte = 'x';
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = controllen};
  struct tally t = {0};
  for (int i = 0; i < 100; i++) tally_add(&t, sendmsg(s, &msg, MSG_DONTWAIT));
  tally_print(name, &t);
}

int main(int argc, char **argv) {
  require_sandbox("race_cmsg_len");
  check_args(argc == 2, "race_cmsg_len DIR");
  int sv[2];
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s/sock", argv[1]);
  sv[1] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sv[0] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sv[0] < 0 || sv[1] < 0 || bind(sv[1], (struct sockaddr *)&addr, sizeof addr) < 0 ||
      connect(sv[0], (struct sockaddr *)&addr, sizeof addr) < 0) {
    report("setup", -1);
    return 1;
  }
  int one = 1;
  setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  struct ucred cred = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
  int fd = 0;
  size_t next;

  memset(&control, 0, sizeof control);
  next = put(0, CMSG_LEN(sizeof cred), SCM_CREDENTIALS, &cred, sizeof cred);
  next = put(next, UINT64_MAX, SCM_RIGHTS, &fd, sizeof fd);
  attack("after_creds", sv[0], next);

  memset(&control, 0, sizeof control);
  next = put(0, CMSG_LEN(sizeof fd), SCM_RIGHTS, &fd, sizeof fd);
  next = put(next, UINT64_MAX, SCM_RIGHTS, &fd, sizeof fd);
  attack("after_rights", sv[0], next);

  memset(&control, 0, sizeof control);
  next = put(0, UINT64_MAX, SCM_RIGHTS, &fd, sizeof fd);
  next = put(next, CMSG_LEN(sizeof fd), SCM_RIGHTS, &fd, sizeof fd);
  attack("first", sv[0], next);

  report("plain", send(sv[0], "y", 1, MSG_DONTWAIT));
  served(argv[1]);
  return 0;
}
