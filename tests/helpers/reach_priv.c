/* Attack 5, borrow privilege: read a file only another user may read (with our capabilities, or
 * syd's, who opens it for us), open raw and packet sockets, send forged IP headers.
 * Usage: reach_priv DIR   (DIR holds "public" and "other", the latter 0600 and not ours)
 * Prints: capeff=HEX, other=, raw_socket=, packet_socket=, ip_hdrincl= (on a UDP socket), "served". */

#include "reach.h"

#include <netinet/in.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
  require_sandbox("reach_priv");
  check_args(argc == 2, "reach_priv DIR");
  const char *dir = argv[1];
  char buf[4096];
  read_status(buf, sizeof buf);
  char *cap = strstr(buf, "\nCapEff:\t");
  printf("capeff=%.16s\n", cap ? cap + 9 : "missing");

  char path[4096];
  snprintf(path, sizeof path, "%s/other", dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  report("other", fd);
  if (fd >= 0) close(fd);

  fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  report("raw_socket", fd);
  if (fd >= 0) close(fd);
  fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  report("packet_socket", fd);
  if (fd >= 0) close(fd);
  fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int one = 1;
  report("ip_hdrincl", fd < 0 ? -1 : setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one));
  if (fd >= 0) close(fd);
  served(dir);
  return 0;
}
