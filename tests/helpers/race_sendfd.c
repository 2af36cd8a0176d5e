/* Issue 12, control swap: over a UNIX stream socket connected to DIR/sock (the test's peer,
 * outside), the main thread sends one byte per sendmsg while another thread keeps switching
 * msg_controllen between 0 (no control) and one SCM_RIGHTS message carrying an fd of DIR/public
 * (msg_control always points at it). A judge that sees no control and lets the kernel read the
 * message again would pass the fd with sendfd denied.
 * Usage: race_sendfd DIR ITERATIONS SECONDS
 * Prints: "tries=N", "race=ERRNO,...", "race_ok=N". The peer counts the fds it received. */
#include "reach.h"
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

static struct msghdr msg;
static atomic_int stop;

static void *swapper(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    __atomic_store_n(&msg.msg_controllen, CMSG_SPACE(sizeof(int)), __ATOMIC_RELAXED);
    __atomic_store_n(&msg.msg_controllen, 0, __ATOMIC_RELAXED);
  }
  return NULL;
}

int main(int argc, char **argv) {
  require_sandbox("race_sendfd");
  check_args(argc == 4, "race_sendfd DIR ITERATIONS SECONDS");
  long iterations = atol(argv[2]);
  double deadline = now() + atof(argv[3]);
  char public[4096];
  snprintf(public, sizeof public, "%s/public", argv[1]);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s/sock", argv[1]);
  int passed = open(public, O_RDONLY | O_CLOEXEC);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (passed < 0 || s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
    report("setup", -1);
    return 1;
  }
  static union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  msg.msg_control = control.buf;
  struct cmsghdr *c = (struct cmsghdr *)control.buf;
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &passed, sizeof passed);
  char byte = 'x';
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  pthread_t t;
  pthread_create(&t, NULL, swapper, NULL);
  struct tally race = {0};
  long tries = 0;
  for (; tries < iterations && (tries % 256 || now() < deadline); tries++) tally_add(&race, sendmsg(s, &msg, MSG_NOSIGNAL));
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  printf("tries=%ld\n", tries);
  tally_print("race", &race);
  close(s);
  return 0;
}
