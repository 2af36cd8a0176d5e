/* Ends by the signal named by its argument (a number; default SIGSEGV), with its default
 * action: a crash for SegvGuard (tests/segvguard_test.ts). */
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

int main(int argc, char **argv) {
  int sig = argc > 1 ? atoi(argv[1]) : SIGSEGV;
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none); /* no core file: only the signal matters */
  signal(sig, SIG_DFL);
  raise(sig);
  return 0;
}
