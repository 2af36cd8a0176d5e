/*
 * TCP bind and connect under Lock sandboxing (Landlock), for tests/landlock_test.ts.
 * Usage: lock_net LABEL=OP:PORT ...
 * Runs each operation on 127.0.0.1 in order and prints one `LABEL=RESULT` line for it: RESULT is
 * OK, or the errno's name (EACCES where Landlock refuses, ECONNREFUSED where a connect is let
 * through to a port nobody listens on). Exits 0 once all are tried. Operations:
 *
 *   bind:PORT     a new TCP socket (SO_REUSEADDR) bound to 127.0.0.1:PORT, then closed
 *   connect:PORT  a new TCP socket connected to 127.0.0.1:PORT, then closed
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Binds (CONNECT zero) or connects a new TCP socket to 127.0.0.1:PORT: the call's result. */
static int attempt(int connect_to, unsigned port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((unsigned short)port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = connect_to ? connect(fd, (struct sockaddr *)&address, sizeof address)
                      : bind(fd, (struct sockaddr *)&address, sizeof address);
  int error = errno;
  close(fd);
  errno = error;
  return rc;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) {
    fprintf(stderr, "usage: lock_net LABEL=OP:PORT ...\n");
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    char *label = argv[i];
    char *eq = strchr(label, '=');
    char *op = eq ? eq + 1 : NULL;
    char *colon = op ? strchr(op, ':') : NULL;
    if (!colon) {
      fprintf(stderr, "lock_net: bad argument %s\n", argv[i]);
      return 2;
    }
    *eq = 0;
    *colon = 0;
    char *end = NULL;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end != 0 || port > 65535) {
      fprintf(stderr, "lock_net: bad port %s\n", colon + 1);
      return 2;
    }
    int connect_to;
    if (strcmp(op, "bind") == 0) {
      connect_to = 0;
    } else if (strcmp(op, "connect") == 0) {
      connect_to = 1;
    } else {
      fprintf(stderr, "lock_net: bad operation %s\n", op);
      return 2;
    }
    errno = 0;
    int rc = attempt(connect_to, (unsigned)port);
    printf("%s=%s\n", label, rc == 0 ? "OK" : strerrorname_np(errno));
  }
  return 0;
}
