/* setid: changes its own ids as a program dropping privileges does, printing each call's
 * outcome and the ids it ends with, for the tests of SafeSetID (setuid+, setgid+).
 *
 *   setid drop ID        setgroups([ID]), setgid(ID), setuid(ID): as apt, su, daemons do
 *   setid uid ID         setuid(ID)
 *   setid gid ID         setgid(ID)
 *   setid resuid R E S   setresuid (-1: unchanged)
 *   setid reuid R E      setreuid (-1: unchanged)
 *   setid back ID        setuid(ID), then setuid(0)
 *   setid thread ID      setuid(ID) from the main thread; prints a second thread's ids
 *   setid exec ID CMD... drop as above (exiting 3 if a call fails), then execvp CMD
 *
 * Each call prints `NAME=0` or `NAME=ERRNO`; at the end `ids=R/E/S gids=R/E/S groups=N
 * caps=HEX` (the effective set). Exit 0 whatever the calls answered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char *name, long rc) {
  if (rc == 0) printf("%s=0\n", name);
  else printf("%s=%d\n", name, errno);
  fflush(stdout);
}

static void ids(const char *label) {
  uid_t r, e, s;
  gid_t gr, ge, gs;
  getresuid(&r, &e, &s);
  getresgid(&gr, &ge, &gs);
  int groups = getgroups(0, NULL);
  unsigned long long caps = 0;
  FILE *f = fopen("/proc/thread-self/status", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "CapEff:", 7) == 0) caps = strtoull(line + 7, NULL, 16);
  if (f) fclose(f);
  printf("%sids=%u/%u/%u gids=%u/%u/%u groups=%d caps=%llx\n", label, r, e, s, gr, ge, gs, groups, caps);
  fflush(stdout);
}

static void *other(void *arg) {
  (void)arg;
  ids("thread ");
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *mode = argv[1];
  long a = strtol(argv[2], NULL, 10);
  long b = argc > 3 ? strtol(argv[3], NULL, 10) : -1;
  long c = argc > 4 ? strtol(argv[4], NULL, 10) : -1;
  if (strcmp(mode, "exec") == 0) {
    gid_t list[1] = {(gid_t)a};
    if (argc < 4 || setgroups(1, list) != 0 || setgid((gid_t)a) != 0 || setuid((uid_t)a) != 0) return 3;
    execvp(argv[3], argv + 3);
    return 127;
  }
  if (strcmp(mode, "drop") == 0) {
    gid_t list[1] = {(gid_t)a};
    report("setgroups", setgroups(1, list));
    report("setgid", setgid((gid_t)a));
    report("setuid", setuid((uid_t)a));
  } else if (strcmp(mode, "uid") == 0) {
    report("setuid", setuid((uid_t)a));
  } else if (strcmp(mode, "gid") == 0) {
    report("setgid", setgid((gid_t)a));
  } else if (strcmp(mode, "resuid") == 0) {
    report("setresuid", setresuid((uid_t)a, (uid_t)b, (uid_t)c));
  } else if (strcmp(mode, "reuid") == 0) {
    report("setreuid", setreuid((uid_t)a, (uid_t)b));
  } else if (strcmp(mode, "back") == 0) {
    report("setuid", setuid((uid_t)a));
    report("setuid0", setuid(0));
  } else if (strcmp(mode, "thread") == 0) {
    report("setuid", setuid((uid_t)a));
    pthread_t t;
    pthread_create(&t, NULL, other, NULL);
    pthread_join(t, NULL);
  } else {
    return 2;
  }
  ids("");
  return 0;
}
