/* Issue 12, sendmmsg with a denied entry after an allowed one: a UDP socket connected to
 * 127.0.0.1!ALLOWED sends 4 datagrams in one sendmmsg; the first has no address (it goes to the
 * connected peer), the three others name 127.0.0.1!DENIED. Then it sends the rest again (the
 * entries from the first not sent), and one datagram to DENIED with sendto.
 * Usage: race_sendmmsg DIR ALLOWED DENIED   (DIR: the test's temp dir; nothing is written there)
 * Prints: "first=N" or "first=ERRNO" (the first call), "lens=L0,L1,L2,L3" (msg_len of each entry),
 * "second=N" or "second=ERRNO" (the call for the entries the first did not send; "second=none"
 * when it sent them all), "sendto=N|ERRNO". */
#include "reach.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* errno_name, with the network errors reach.h does not name. */
static const char *net_errno_name(int e) {
  switch (e) {
  case ENOTCONN: return "ENOTCONN";
  case EDESTADDRREQ: return "EDESTADDRREQ";
  case ECONNREFUSED: return "ECONNREFUSED";
  case EMSGSIZE: return "EMSGSIZE";
  default: return errno_name(e);
  }
}

static void print_result(const char *name, int rc) {
  if (rc >= 0) printf("%s=%d\n", name, rc);
  else printf("%s=%s\n", name, net_errno_name(errno));
}

int main(int argc, char **argv) {
  require_sandbox("race_sendmmsg");
  check_args(argc == 4, "race_sendmmsg DIR ALLOWED DENIED");
  struct sockaddr_in allowed = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  struct sockaddr_in denied = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[3]))};
  allowed.sin_addr.s_addr = denied.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0 || connect(s, (struct sockaddr *)&allowed, sizeof allowed) < 0) {
    report("connect", -1);
    return 1;
  }
  static char payload[4][8] = {"first", "denied1", "denied2", "denied3"};
  struct iovec iov[4];
  struct mmsghdr vec[4];
  memset(vec, 0, sizeof vec);
  for (int i = 0; i < 4; i++) {
    iov[i].iov_base = payload[i];
    iov[i].iov_len = strlen(payload[i]);
    vec[i].msg_hdr.msg_iov = &iov[i];
    vec[i].msg_hdr.msg_iovlen = 1;
    if (i > 0) {
      vec[i].msg_hdr.msg_name = &denied;
      vec[i].msg_hdr.msg_namelen = sizeof denied;
    }
  }
  int first = sendmmsg(s, vec, 4, 0);
  print_result("first", first);
  printf("lens=%u,%u,%u,%u\n", vec[0].msg_len, vec[1].msg_len, vec[2].msg_len, vec[3].msg_len);
  if (first >= 0 && first < 4) print_result("second", sendmmsg(s, vec + first, 4 - first, 0));
  else printf("second=none\n");
  print_result("sendto", sendto(s, "direct", 6, 0, (struct sockaddr *)&denied, sizeof denied));
  close(s);
  return 0;
}
