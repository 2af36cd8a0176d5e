/*
 * fd_cloexec DIR [PATH]: makes an fd with each call syd may perform (open, openat, creat,
 * memfd_create, accept, accept4, eventfd, epoll_create1, inotify_init1, timerfd_create, signalfd,
 * socket, socketpair), none asking for close-on-exec, and prints "CALL N" with N 1 when the fd
 * (for socketpair: both) is close-on-exec, 0 when not (trace/force_cloexec), or "CALL ERRNO"
 * when the call failed. PATH, when given, is stat-ed first (a /dev/syd command).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void report(const char *call, int fd) {
	if (fd < 0) {
		printf("%s %s\n", call, strerrorname_np(errno));
		return;
	}
	int flags = fcntl(fd, F_GETFD);
	printf("%s %d\n", call, flags >= 0 && (flags & FD_CLOEXEC) != 0);
	close(fd);
}

int main(int argc, char **argv) {
	if (argc != 2 && argc != 3) return 2;
	struct stat st;
	if (argc == 3 && stat(argv[2], &st) < 0) {
		perror(argv[2]);
		return 1;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/file", argv[1]);
	report("open", open(path, O_RDWR | O_CREAT, 0600));
	report("openat", openat(AT_FDCWD, path, O_RDONLY));
	report("creat", creat(path, 0600));
	report("memfd_create", memfd_create("fd_cloexec", 0));
	report("eventfd", eventfd(0, 0));
	report("epoll_create1", epoll_create1(0));
	report("inotify_init1", inotify_init1(0));
	report("timerfd_create", timerfd_create(CLOCK_MONOTONIC, 0));
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	report("signalfd", signalfd(-1, &mask, 0));
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s/sock", argv[1]);
	int server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (server < 0 || bind(server, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(server, 2) < 0) {
		perror("listen");
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		int client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (client < 0 || connect(client, (struct sockaddr *)&addr, sizeof addr) < 0) {
			perror("connect");
			return 1;
		}
		if (i == 0) report("accept", accept(server, NULL, NULL));
		else report("accept4", accept4(server, NULL, NULL, 0));
		close(client);
	}
	report("socket", socket(AF_INET, SOCK_STREAM, 0));
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0) {
		report("socketpair", -1);
	} else {
		int a = fcntl(pair[0], F_GETFD), b = fcntl(pair[1], F_GETFD);
		printf("socketpair %d\n", a >= 0 && b >= 0 && (a & FD_CLOEXEC) && (b & FD_CLOEXEC));
		if (write(pair[0], "x", 1) != 1 || read(pair[1], path, 1) != 1) printf("socketpair unusable\n");
		close(pair[0]);
		close(pair[1]);
	}
	return 0;
}
