/* write_exec DIR ROUNDS: ROUNDS times, copies /bin/true to DIR/prog (open O_WRONLY|O_CREAT|
 * O_TRUNC, write, fchmod 0755, close), then forks a child that execs it at once. Prints
 * "ok N" when every exec ran, else "ETXTBSY at round R" (the file was still open for writing
 * somewhere when the writer had closed it) or another failure. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  static char image[4 << 20];
  int src = open("/bin/true", O_RDONLY);
  if (src < 0) return 3;
  ssize_t len = read(src, image, sizeof image);
  close(src);
  if (len <= 0) return 3;
  char path[4096];
  snprintf(path, sizeof path, "%s/prog", argv[1]);
  long rounds = atol(argv[2]);
  for (long r = 0; r < rounds; r++) {
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (fd < 0 || write(fd, image, (size_t)len) != len || close(fd) != 0) {
      printf("write failed at round %ld: %s\n", r, strerror(errno));
      return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
      execl(path, "prog", (char *)NULL);
      _exit(errno == ETXTBSY ? 100 : 101);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 100) printf("ETXTBSY at round %ld\n", r);
      else printf("exec failed at round %ld: status %d\n", r, status);
      return 1;
    }
  }
  printf("ok %ld\n", rounds);
  return 0;
}
