/*
 * File system calls under Lock sandboxing (Landlock), for tests/landlock_test.ts.
 * Usage: lock_fs LABEL=OP:PATH[:PATH2] ...
 * Runs each operation in order and prints one `LABEL=RESULT` line for it: RESULT is OK, or the
 * errno's name (EACCES, EXDEV, ...). Exits 0 once all are tried. Operations:
 *
 *   read:P      open(P, O_RDONLY)                    (Landlock: read)
 *   append:P    open(P, O_WRONLY | O_APPEND)          (write)
 *   otrunc:P    open(P, O_WRONLY | O_TRUNC)           (write and truncate)
 *   truncate:P  truncate(P, 0)                       (truncate)
 *   create:P    open(P, O_WRONLY | O_CREAT | O_EXCL)  (create)
 *   list:P      open(P, O_RDONLY | O_DIRECTORY)       (readdir)
 *   mkdir:P     mkdir(P, 0700)                       (mkdir)
 *   rmdir:P     rmdir(P)                             (rmdir)
 *   unlink:P    unlink(P)                            (delete)
 *   mkfifo:P    mkfifo(P, 0600)                      (mkfifo)
 *   symlink:T:P symlink(T, P)                        (symlink)
 *   rename:A:B  rename(A, B)                         (delete/create, and rename across directories)
 *   stat:P      stat(P)                              (not a Landlock right: /dev/syd commands)
 *   exec:P      fork, execve(P, {P}), wait: OK when P ran and exited 0, else execve's errno
 *               (EXIT<n> when it ran and exited n)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Prints `LABEL=OK` for rc >= 0, else `LABEL=ERRNO` (errno as the call left it). */
static void report(const char *label, long rc) {
  printf("%s=%s\n", label, rc >= 0 ? "OK" : strerrorname_np(errno));
}

/* Opens P with FLAGS and closes it again: the open's result. */
static long open_close(const char *path, int flags) {
  int fd = open(path, flags | O_CLOEXEC, 0600);
  if (fd >= 0) close(fd);
  return fd;
}

/* Runs P in a child: prints OK, EXIT<n> or execve's errno. */
static void run_exec(const char *label, const char *path) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    report(label, -1);
    return;
  }
  pid_t pid = fork();
  if (pid < 0) {
    report(label, -1);
    return;
  }
  if (pid == 0) {
    char *argv[] = {(char *)path, NULL};
    execve(path, argv, environ);
    int error = errno;
    ssize_t written = write(pipe_fds[1], &error, sizeof error);
    _exit(written == (ssize_t)sizeof error ? 127 : 126);
  }
  close(pipe_fds[1]);
  int error = 0;
  ssize_t got = read(pipe_fds[0], &error, sizeof error);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got == (ssize_t)sizeof error) {
    printf("%s=%s\n", label, strerrorname_np(error));
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    printf("%s=OK\n", label);
  } else {
    printf("%s=EXIT%d\n", label, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) {
    fprintf(stderr, "usage: lock_fs LABEL=OP:PATH[:PATH2] ...\n");
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    char *label = argv[i];
    char *eq = strchr(label, '=');
    char *op = eq ? eq + 1 : NULL;
    char *path = op ? strchr(op, ':') : NULL;
    if (!path) {
      fprintf(stderr, "lock_fs: bad argument %s\n", argv[i]);
      return 2;
    }
    *eq = 0;
    *path++ = 0;
    /* Only the two-path operations split PATH again: a /dev/syd command holds colons. */
    char *second = NULL;
    if (strcmp(op, "symlink") == 0 || strcmp(op, "rename") == 0) {
      second = strchr(path, ':');
      if (second) *second++ = 0;
    }
    errno = 0;
    if (strcmp(op, "read") == 0) {
      report(label, open_close(path, O_RDONLY));
    } else if (strcmp(op, "append") == 0) {
      report(label, open_close(path, O_WRONLY | O_APPEND));
    } else if (strcmp(op, "otrunc") == 0) {
      report(label, open_close(path, O_WRONLY | O_TRUNC));
    } else if (strcmp(op, "truncate") == 0) {
      report(label, truncate(path, 0));
    } else if (strcmp(op, "create") == 0) {
      report(label, open_close(path, O_WRONLY | O_CREAT | O_EXCL));
    } else if (strcmp(op, "list") == 0) {
      report(label, open_close(path, O_RDONLY | O_DIRECTORY));
    } else if (strcmp(op, "mkdir") == 0) {
      report(label, mkdir(path, 0700));
    } else if (strcmp(op, "rmdir") == 0) {
      report(label, rmdir(path));
    } else if (strcmp(op, "unlink") == 0) {
      report(label, unlink(path));
    } else if (strcmp(op, "mkfifo") == 0) {
      report(label, mkfifo(path, 0600));
    } else if (strcmp(op, "symlink") == 0 && second) {
      report(label, symlink(path, second));
    } else if (strcmp(op, "rename") == 0 && second) {
      report(label, rename(path, second));
    } else if (strcmp(op, "stat") == 0) {
      struct stat st;
      report(label, stat(path, &st));
    } else if (strcmp(op, "exec") == 0) {
      run_exec(label, path);
    } else {
      fprintf(stderr, "lock_fs: bad operation %s\n", op);
      return 2;
    }
  }
  return 0;
}
