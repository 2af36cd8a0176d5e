/* Attack 3, stop or kill syd. Usage: reach_signal DIR MODE   (DIR holds "public"; syd is the parent)
 * kill:   kill(syd, SIGKILL)                                   -> kill=
 * stop:   prints "ppid=N" and "ready", reads a line of syd's thread ids (the test reads them from
 *         outside); SIGSTOP with tgkill(syd, T) for T in syd..syd+400, tkill and rt_tgsigqueueinfo to
 *         each given thread, rt_sigqueueinfo to syd          -> tgkill=, tkill=, rt_sigqueueinfo=,
 *                                                                rt_tgsigqueueinfo= (with _ok= counts)
 * pidfd:  pidfd_send_signal(pidfd_open(syd), SIGKILL)         -> pidfd_open=, pidfd_send_signal=
 * group:  SIGCONT to syd's process group, then to every process (-1): harmless even when it
 *         arrives                                             -> pgid=, kill_group=, kill_all=
 * Every mode then waits 200 ms, makes a trapped call and prints "served". */

#include "reach.h"

#include <signal.h>
#include <sys/types.h>

int main(int argc, char **argv) {
  require_sandbox("reach_signal");
  check_args(argc == 3, "reach_signal DIR kill|stop|pidfd|group");
  const char *dir = argv[1], *mode = argv[2];
  pid_t syd = getppid();
  printf("ppid=%d\n", syd);
  if (strcmp(mode, "kill") == 0) {
    report("kill", kill(syd, SIGKILL));
  } else if (strcmp(mode, "stop") == 0) {
    printf("ready\n");
    char line[8192];
    read_line(line, sizeof line);
    pid_t tids[1024];
    int ntids = 0;
    for (char *cursor = line, *end; ntids < 1024; cursor = end) {
      long tid = strtol(cursor, &end, 10);
      if (end == cursor) break;
      tids[ntids++] = (pid_t)tid;
    }
    struct tally tg = {0}, t = {0}, tgq = {0};
    for (pid_t tid = syd; tid <= syd + 400; tid++) tally_add(&tg, syscall(SYS_tgkill, syd, tid, SIGSTOP));
    for (int i = 0; i < ntids; i++) tally_add(&t, syscall(SYS_tkill, tids[i], SIGSTOP));
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGSTOP;
    info.si_code = SI_QUEUE;
    info.si_pid = getpid();
    info.si_uid = getuid();
    report("rt_sigqueueinfo", syscall(SYS_rt_sigqueueinfo, syd, SIGSTOP, &info));
    for (int i = 0; i < ntids; i++) tally_add(&tgq, syscall(SYS_rt_tgsigqueueinfo, syd, tids[i], SIGSTOP, &info));
    tally_print("tgkill", &tg);
    tally_print("tkill", &t);
    tally_print("rt_tgsigqueueinfo", &tgq);
  } else if (strcmp(mode, "pidfd") == 0) {
    long pidfd = syscall(SYS_pidfd_open, syd, 0);
    report("pidfd_open", pidfd);
    report("pidfd_send_signal", syscall(SYS_pidfd_send_signal, (int)pidfd, SIGKILL, NULL, 0));
  } else if (strcmp(mode, "group") == 0) {
    pid_t pgid = getpgid(syd);
    report("pgid", pgid);
    if (pgid > 1) report("kill_group", kill(-pgid, SIGCONT));
    report("kill_all", kill(-1, SIGCONT));
  } else {
    fprintf(stderr, "reach_signal: unknown mode %s\n", mode);
    return 2;
  }
  usleep(200 * 1000); /* a signal that got through has taken effect by now */
  served(dir);
  return 0;
}
