/* A UNIX socket path TOCTOU attacker. DIR/open is a directory (allowed), DIR/link a symlink to
 * DIR/secret (a directory whose sockets are denied); a thread keeps exchanging the two names
 * (renameat2 RENAME_EXCHANGE) while the main thread connects to (or sends to, or binds)
 * DIR/open/s. A listener bound at both DIR/open/s... is not possible: the test's listeners sit
 * at DIR/secret/s (and, for connect and sendto, at DIR/open/s); bind counts sockets created in
 * DIR/secret.
 * Usage: race_unix DIR connect|sendto|bind ITERATIONS SECONDS
 * Prints: "tries=N wins=W" (W: connections accepted by, datagrams delivered to, or sockets
 * created in DIR/secret; 0 under syd when DIR/secret is denied). */
#include "reach.h"
#include <linux/fs.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static char open_dir[4096], link_path[4096];

static void *exchange(void *arg) {
  (void)arg;
  for (;;) syscall(SYS_renameat2, AT_FDCWD, open_dir, AT_FDCWD, link_path, RENAME_EXCHANGE);
  return NULL;
}

static void address(struct sockaddr_un *a, const char *path) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  snprintf(a->sun_path, sizeof a->sun_path, "%s", path);
}

int main(int argc, char **argv) {
  require_sandbox("race_unix");
  check_args(argc == 5, "race_unix DIR connect|sendto|bind ITERATIONS SECONDS");
  const char *dir = argv[1], *call = argv[2];
  int type = strcmp(call, "sendto") == 0 ? SOCK_DGRAM : SOCK_STREAM;
  char secret_dir[4096], path[4096], target[4096];
  snprintf(open_dir, sizeof open_dir, "%s/open", dir);
  snprintf(link_path, sizeof link_path, "%s/link", dir);
  snprintf(secret_dir, sizeof secret_dir, "%s/secret", dir);
  snprintf(target, sizeof target, "%s/s", open_dir);
  /* Listeners in both directories (the open one answers the tries that go where they should). */
  int listeners[2];
  const char *dirs[2] = {open_dir, secret_dir};
  for (int i = 0; strcmp(call, "bind") != 0 && i < 2; i++) {
    struct sockaddr_un a;
    snprintf(path, sizeof path, "%s/s", dirs[i]);
    address(&a, path);
    listeners[i] = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (bind(listeners[i], (struct sockaddr *)&a, sizeof a) != 0) return 1;
    if (type == SOCK_STREAM && listen(listeners[i], 4096) != 0) return 1;
  }
  long iterations = atol(argv[3]);
  double deadline = now() + atof(argv[4]);
  pthread_t t;
  pthread_create(&t, NULL, exchange, NULL);
  long tries = 0, wins = 0;
  struct sockaddr_un a;
  address(&a, target);
  snprintf(path, sizeof path, "%s/s", secret_dir);
  for (; tries < iterations && now() < deadline; tries++) {
    int s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (strcmp(call, "connect") == 0) {
      connect(s, (struct sockaddr *)&a, sizeof a);
      int c = accept4(listeners[1], NULL, NULL, SOCK_CLOEXEC);
      if (c >= 0) wins++, close(c);
      c = accept4(listeners[0], NULL, NULL, SOCK_CLOEXEC);
      if (c >= 0) close(c);
    } else if (strcmp(call, "sendto") == 0) {
      char byte = 'x', in;
      sendto(s, &byte, 1, 0, (struct sockaddr *)&a, sizeof a);
      while (recv(listeners[1], &in, 1, 0) == 1) wins++;
      while (recv(listeners[0], &in, 1, 0) == 1) {}
    } else {
      bind(s, (struct sockaddr *)&a, sizeof a);
      struct stat st;
      if (lstat(path, &st) == 0) wins++, unlink(path);
      unlink(target);
      char other[4096];
      snprintf(other, sizeof other, "%s/s", link_path);
      unlink(other);
    }
    close(s);
  }
  printf("tries=%ld wins=%ld\n", tries, wins);
  return 0;
}
