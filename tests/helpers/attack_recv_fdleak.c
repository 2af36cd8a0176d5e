/*
 * attack_recv_fdleak: a receive syd performs (SO_PASSCRED and room for control data) into a
 * data buffer the caller cannot be written: the fds the message carried were received by syd
 * and stayed open in syd when the data write failed. Sends the write end of a pipe, closes its
 * own copy, receives with an unmapped iovec (EFAULT), then waits for EOF on the read end.
 * Prints "eof" (no copy of the write end left anywhere) or "held"; exit 0 on eof.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
	int p[2], sv[2];
	if (pipe(p) || socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
		perror("setup");
		return 2;
	}
	int on = 1;
	if (setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on)) {
		perror("SO_PASSCRED");
		return 2;
	}
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} out;
	memset(&out, 0, sizeof out);
	char byte = 'x';
	struct iovec iov = {&byte, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = out.buf, .msg_controllen = sizeof out.buf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	if (sendmsg(sv[0], &m, 0) != 1) {
		perror("sendmsg");
		return 2;
	}
	close(p[1]);
	union {
		char buf[256];
		struct cmsghdr align;
	} in;
	struct iovec bad = {(void *)0x10, 16};
	struct msghdr r = {.msg_iov = &bad, .msg_iovlen = 1, .msg_control = in.buf, .msg_controllen = sizeof in.buf};
	ssize_t n = recvmsg(sv[1], &r, 0);
	printf("recvmsg %s\n", n < 0 ? strerror(errno) : "ok");
	struct pollfd pfd = {.fd = p[0], .events = POLLIN};
	int ready = poll(&pfd, 1, 3000);
	int eof = ready == 1 && (pfd.revents & POLLHUP);
	printf("%s\n", eof ? "eof" : "held");
	return eof ? 0 : 1;
}
