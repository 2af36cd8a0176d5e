/* Issue 12, sendmsg address swap: on an unconnected UDP socket the main thread calls sendmsg
 * with msg_name NULL (EDESTADDRREQ) while another thread keeps swapping msg_name between NULL and
 * 127.0.0.1!DENIED (msg_namelen stays 16). A judge that sees no address and lets the kernel read
 * the message again would send to DENIED. Afterwards, 10 plain sendmsg calls to 127.0.0.1!ALLOWED.
 * Usage: race_sendmsg DIR ALLOWED DENIED ITERATIONS SECONDS   (DIR: the test's temp dir, unused)
 * Prints: "tries=N", "race=ERRNO,...", "race_ok=N" (sends that went through: each reached DENIED),
 * "allowed=...", "allowed_ok=N". The receiver outside counts what really arrived. */
#include "reach.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

static struct msghdr msg;
static struct sockaddr_in denied;
static atomic_int stop;

static void *swapper(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    __atomic_store_n(&msg.msg_name, (void *)&denied, __ATOMIC_RELAXED);
    __atomic_store_n(&msg.msg_name, NULL, __ATOMIC_RELAXED);
  }
  return NULL;
}

int main(int argc, char **argv) {
  require_sandbox("race_sendmsg");
  check_args(argc == 6, "race_sendmsg DIR ALLOWED DENIED ITERATIONS SECONDS");
  struct sockaddr_in allowed = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  denied = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(atoi(argv[3]))};
  allowed.sin_addr.s_addr = denied.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  long iterations = atol(argv[4]);
  double deadline = now() + atof(argv[5]);
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    report("socket", -1);
    return 1;
  }
  char payload[] = "race";
  struct iovec iov = {.iov_base = payload, .iov_len = 4};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_namelen = sizeof denied;
  pthread_t t;
  pthread_create(&t, NULL, swapper, NULL);
  struct tally race = {0};
  long tries = 0;
  for (; tries < iterations && (tries % 256 || now() < deadline); tries++) tally_add(&race, sendmsg(s, &msg, 0));
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  printf("tries=%ld\n", tries);
  tally_print("race", &race);
  struct tally ok = {0};
  char hello[] = "hello";
  struct iovec hiov = {.iov_base = hello, .iov_len = 5};
  struct msghdr plain = {.msg_name = &allowed, .msg_namelen = sizeof allowed, .msg_iov = &hiov, .msg_iovlen = 1};
  for (int i = 0; i < 10; i++) tally_add(&ok, sendmsg(s, &plain, 0));
  tally_print("allowed", &ok);
  close(s);
  return 0;
}
