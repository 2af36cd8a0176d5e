/* attack_limits: hostile programs against PID sandboxing (pid/max), for
 * tests/limits_attack_test.ts. Run it only under syd with a pid/max and a timeout.
 *
 *   attack_limits bomb KINDS CAP SECONDS
 *       A fork bomb held at CAP live tasks: every task it starts registers its tid in a shared
 *       table and goes on creating tasks (of the KINDS, cycled: f fork, t thread, v vfork, p
 *       clone(CLONE_PARENT), 3 clone3, o double fork (an orphan syd reaps), s setsid, g a new
 *       process group, j joining one process group the first j made) while fewer than CAP are alive.
 *       A monitor measures the registered tasks alive (not zombies) all the time: the peak is
 *       the most tasks seen running user code at once (twice in a row, so that a task killed
 *       between two reads is not counted). After SECONDS the root kills them all and prints
 *       "peak P started S"; the root, the monitor and the seeder are among the tasks.
 *   attack_limits race RACERS SECONDS
 *       RACERS processes fork at the same instant, round after round (the root replaces the
 *       racers syd killed and ends each round's children); every child registers and waits.
 *       Prints "peak P started S" and "rounds R".
 *   attack_limits creatorkill SECONDS
 *       One process forks in a loop while a sibling sends SIGKILL to it: a creator killed
 *       between its fork and its ptrace stop (its children die with it). Prints "peak P started S"
 *       and "rounds R".
 *   attack_limits ignabort CAP SECONDS
 *       bomb f with SIGABRT and SIGTERM ignored (inherited by every task).
 *   attack_limits stopcont SECONDS FILLERS
 *       The root (the victim, which creates nothing after its first fork) is stopped and
 *       continued, over and over, by an attacker that forks one task past pid/max (3 +
 *       FILLERS) at the moment it continues it. Prints "root survived rounds R".
 *   attack_limits threadexec COUNT
 *       A non-leader thread execs `limits fork COUNT` (its sibling in tests/helpers/bin).
 *   attack_limits joinpgid PGID COUNT
 *       Joins process group PGID (outside the sandbox, same session), then forks COUNT children.
 *
 * Every line is flushed at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 65536
#define STATE_FD 100

struct shared {
  atomic_int started;
  atomic_int live;
  atomic_int stop;
  atomic_int peak;
  atomic_int seeder_pgid;
  atomic_int kind_next;
  int cap;
  char kinds[32];
  atomic_int tids[SLOTS];
};

static struct shared *sh;
static char self_path[4096];

static void say(const char *format, long a, long b, long c) {
  printf(format, a, b, c);
  fflush(stdout);
}

static pid_t tid_now(void) { return (pid_t)syscall(SYS_gettid); }

static void enroll(void) {
  int i = atomic_fetch_add(&sh->started, 1);
  if (i < SLOTS) atomic_store(&sh->tids[i], tid_now());
}

static void map_state(int create) {
  if (create) {
    int fd = (int)syscall(SYS_memfd_create, "attack_limits", 0);
    if (fd < 0 || ftruncate(fd, sizeof(struct shared)) != 0) exit(3);
    if (dup2(fd, STATE_FD) < 0) exit(3);
    close(fd);
  }
  void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE, MAP_SHARED, STATE_FD, 0);
  if (p == MAP_FAILED) exit(3);
  sh = p;
}

/* Whether task `tid` is alive and not a zombie, from a pidfd of the thread (PIDFD_THREAD), which
 * becomes readable when it exits (syd hides the other processes' /proc entries). `fd` caches
 * the pidfd, 0 unopened, -1 closed. */
static int alive(pid_t tid, int *fd) {
  if (*fd < 0) return 0;
  if (*fd == 0) {
    int opened = (int)syscall(SYS_pidfd_open, tid, O_EXCL /* PIDFD_THREAD */);
    if (opened < 0) {
      *fd = -1;
      return 0;
    }
    *fd = opened;
  }
  struct pollfd p = {.fd = *fd, .events = POLLIN};
  if (poll(&p, 1, 0) == 0) return 1;
  close(*fd);
  *fd = -1;
  return 0;
}

/* Whether process `pid` is alive, for the root (no cache). */
static int process_alive(pid_t pid) {
  int fd = 0;
  int result = alive(pid, &fd);
  if (fd > 0) close(fd);
  return result;
}

static void node(void);

static void *thread_node(void *arg) {
  (void)arg;
  node();
  return NULL;
}

static int child_stack_fn(void) {
  node();
  _exit(0);
}

/* Creates one task of `kind`; the new task runs node(). */
static void create(char kind) {
  switch (kind) {
  case 'f': {
    if (fork() == 0) node();
    break;
  }
  case 't': {
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 65536);
    if (pthread_create(&thread, &attr, thread_node, NULL) == 0) pthread_detach(thread);
    pthread_attr_destroy(&attr);
    break;
  }
  case 'v': {
    char *argv[] = {self_path, "node", NULL};
    pid_t pid = vfork();
    if (pid == 0) {
      execv(self_path, argv);
      _exit(127);
    }
    break;
  }
  case 'p': {
    long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) child_stack_fn();
    break;
  }
  case '3': {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) child_stack_fn();
    break;
  }
  case 'o': {
    pid_t pid = fork();
    if (pid == 0) {
      if (fork() == 0) node();
      _exit(0);
    }
    if (pid > 0) waitpid(pid, NULL, 0);
    break;
  }
  case 's': {
    if (fork() == 0) {
      setsid();
      node();
    }
    break;
  }
  case 'g': {
    if (fork() == 0) {
      setpgid(0, 0);
      node();
    }
    break;
  }
  case 'j': {
    if (fork() == 0) {
      int expected = 0;
      if (atomic_compare_exchange_strong(&sh->seeder_pgid, &expected, getpid())) setpgid(0, 0);
      else setpgid(0, atomic_load(&sh->seeder_pgid));
      node();
    }
    break;
  }
  }
}

static void nap_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

static void node(void) {
  enroll();
  while (!atomic_load(&sh->stop)) {
    if (atomic_load(&sh->live) < sh->cap) {
      int k = atomic_fetch_add(&sh->kind_next, 1);
      create(sh->kinds[k % (int)strlen(sh->kinds)]);
      /* reap what died (a double fork's middle, killed children) */
      while (waitpid(-1, NULL, WNOHANG | __WALL) > 0) {
      }
    }
    nap_us(500);
  }
  for (;;) pause();
}

/* The monitor: counts the registered tasks alive, over and over. */
static void monitor(int stopcont) {
  static int fds[SLOTS];
  enroll();
  while (!atomic_load(&sh->stop)) {
    int started = atomic_load(&sh->started);
    if (started > SLOTS) started = SLOTS;
    int first = 0;
    for (int i = 0; i < started; i++) {
      pid_t tid = atomic_load(&sh->tids[i]);
      if (tid == 0 || !alive(tid, &fds[i])) continue;
      first++;
      if (stopcont) kill(tid, SIGCONT);
    }
    atomic_store(&sh->live, first);
    if (first > atomic_load(&sh->peak)) {
      int again = 0;
      for (int i = 0; i < started; i++) {
        pid_t tid = atomic_load(&sh->tids[i]);
        if (tid != 0 && alive(tid, &fds[i])) again++;
      }
      int seen = first < again ? first : again;
      if (seen > atomic_load(&sh->peak)) atomic_store(&sh->peak, seen);
    }
    nap_us(200);
  }
  for (;;) pause();
}

static void finish(long seconds, pid_t keep_a, pid_t keep_b) {
  nap_us(seconds * 1000000);
  atomic_store(&sh->stop, 1);
  nap_us(20000);
  int started = atomic_load(&sh->started);
  if (started > SLOTS) started = SLOTS;
  pid_t me = getpid();
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < started; i++) {
      pid_t tid = atomic_load(&sh->tids[i]);
      if (tid > 0 && tid != me) kill(tid, SIGKILL);
    }
    if (keep_a > 0) kill(keep_a, SIGKILL);
    if (keep_b > 0) kill(keep_b, SIGKILL);
    nap_us(20000);
  }
  /* bounded: CLONE_PARENT children die the root's children, as long as bombers are left */
  for (int n = 0; n < 4096 && waitpid(-1, NULL, WNOHANG | __WALL) > 0; n++) {
  }
  say("peak %ld started %ld%.0ld\n", atomic_load(&sh->peak), atomic_load(&sh->started), 0);
}

static int bomb(const char *kinds, int cap, long seconds, int stopcont) {
  map_state(1);
  snprintf(sh->kinds, sizeof sh->kinds, "%s", kinds);
  sh->cap = cap;
  enroll();
  pid_t mon = fork();
  if (mon == 0) monitor(stopcont);
  pid_t seeder = fork();
  if (seeder == 0) node(); /* in syd's process group, as the root */
  finish(seconds, mon, seeder);
  return 0;
}

#define RACERS_MAX 32

/* The registered tasks alive, counted by the caller itself (no monitor's lag). */
static int live_now(void) {
  int count = 0;
  int started = atomic_load(&sh->started);
  if (started > SLOTS) started = SLOTS;
  for (int i = 0; i < started; i++) {
    pid_t tid = atomic_load(&sh->tids[i]);
    if (tid > 0 && process_alive(tid)) count++;
  }
  return count;
}

static void wait_live_at_most(int most) {
  for (int i = 0; i < 2000 && live_now() > most; i++) nap_us(200);
}

/* A racer: forks once per round, when the root opens it (a byte on its pipe). */
static void racer(int index, int gate) {
  enroll();
  for (;;) {
    char byte;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (read(gate, &byte, 1) != 1) _exit(0);
    pid_t pid = fork();
    if (pid == 0) {
      enroll();
      for (;;) pause();
    }
    atomic_store(&sh->tids[SLOTS - 1 - index], pid > 0 ? pid : 0);
    atomic_fetch_add(&sh->seeder_pgid, 1); /* done this round */
  }
}

static int race(int racers, long seconds) {
  if (racers < 1 || racers > RACERS_MAX) return 2;
  map_state(1);
  sh->cap = 1 << 30;
  enroll();
  int gates[RACERS_MAX][2];
  pid_t mon = fork();
  if (mon == 0) monitor(0);
  pid_t pids[RACERS_MAX] = {0};
  long rounds = 0;
  time_t end = time(NULL) + seconds;
  while (time(NULL) < end) {
    /* the last round's children gone, the racers syd killed replaced (never past the limit:
     * the root is a creator too) */
    wait_live_at_most(2 + racers);
    nap_us(1000); /* the tasks syd killed (never registered) gone too */
    int running = 0;
    for (int i = 0; i < racers; i++) {
      if (pids[i] > 0 && process_alive(pids[i])) {
        running++;
        continue;
      }
      if (pids[i] > 0) {
        waitpid(pids[i], NULL, 0);
        close(gates[i][0]);
        close(gates[i][1]);
      }
      if (pipe(gates[i]) != 0) return 3;
      pids[i] = fork();
      if (pids[i] == 0) racer(i, gates[i][0]);
      running++;
    }
    atomic_store(&sh->seeder_pgid, 0);
    for (int i = 0; i < racers; i++) /* open the round */
      if (write(gates[i][1], "r", 1) != 1) return 3;
    rounds++;
    /* every racer forked (and stored its child) or was killed by syd */
    for (int i = 0; i < 500; i++) {
      int dead = 0;
      for (int j = 0; j < racers; j++) dead += !process_alive(pids[j]);
      if (atomic_load(&sh->seeder_pgid) + dead >= running) break;
      nap_us(100);
    }
    nap_us(300); /* the monitor sees them */
    for (int i = 0; i < racers; i++) {
      pid_t child = atomic_exchange(&sh->tids[SLOTS - 1 - i], 0);
      if (child > 0) kill(child, SIGKILL);
    }
  }
  finish(0, mon, 0);
  for (int i = 0; i < racers; i++) if (pids[i] > 0) kill(pids[i], SIGKILL);
  say("rounds %ld%.0ld%.0ld\n", rounds, 0, 0);
  return 0;
}

static int creator_kill(long seconds) {
  map_state(1);
  sh->cap = 1 << 30;
  enroll();
  pid_t mon = fork();
  if (mon == 0) monitor(0);
  long rounds = 0;
  time_t end = time(NULL) + seconds;
  while (time(NULL) < end) {
    wait_live_at_most(2);
    nap_us(2000); /* its children not yet registered gone too: the root is a creator here */
    pid_t creator = fork();
    if (creator == 0) {
      enroll();
      pid_t me = getpid();
      for (;;) {
        if (fork() == 0) {
          prctl(PR_SET_PDEATHSIG, SIGKILL);
          if (getppid() != me) _exit(0);
          enroll();
          for (;;) pause();
        }
      }
    }
    /* kill it at some point while it forks */
    nap_us(50 + (rounds % 11) * 150);
    kill(creator, SIGKILL);
    waitpid(creator, NULL, 0);
    rounds++;
  }
  finish(0, mon, 0);
  say("rounds %ld%.0ld%.0ld\n", rounds, 0, 0);
  return 0;
}

/* The victim (the root) is stopped and continued by an attacker that, at the same moment,
 * forks one task past the limit (pid/max = 3 + FILLERS: root, spawner, attacker, fillers). */
static int stopcont_victim(long seconds, int fillers) {
  pid_t root = getpid();
  map_state(1);
  pid_t spawner = fork();
  if (spawner == 0) {
    long rounds = 0;
    for (;;) {
      pid_t attacker = fork();
      if (attacker == 0) {
        pid_t me = getpid();
        for (int i = 0; i < fillers; i++) {
          if (fork() == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != me) _exit(0);
            for (;;) pause();
          }
        }
        nap_us(1000);
        kill(root, SIGSTOP);
        nap_us(2000);
        kill(root, SIGCONT);
        if (fork() == 0) for (;;) pause(); /* past the limit: this attacker and it are killed */
        nap_us(5000);
        kill(0, 0);
        _exit(0);
      }
      waitpid(attacker, NULL, 0);
      atomic_store(&sh->kind_next, (int)++rounds);
      nap_us(5000); /* the fillers gone with their attacker */
    }
  }
  time_t end = time(NULL) + seconds;
  while (time(NULL) < end) nap_us(100000);
  kill(spawner, SIGKILL);
  say("root survived rounds %ld%.0ld%.0ld\n", atomic_load(&sh->kind_next), 0, 0);
  return 0;
}

static void *exec_thread(void *arg) {
  char **argv = arg;
  execv(argv[0], argv);
  say("exec errno %ld%.0ld%.0ld\n", errno, 0, 0);
  _exit(1);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
  if (n <= 0) return 3;
  self_path[n] = 0;
  const char *mode = argv[1];
  if (strcmp(mode, "node") == 0) {
    map_state(0);
    node();
  }
  if (strcmp(mode, "bomb") == 0 && argc == 5)
    return bomb(argv[2], atoi(argv[3]), atol(argv[4]), 0);
  if (strcmp(mode, "race") == 0 && argc == 4) return race(atoi(argv[2]), atol(argv[3]));
  if (strcmp(mode, "creatorkill") == 0 && argc == 3) return creator_kill(atol(argv[2]));
  if (strcmp(mode, "ignabort") == 0 && argc == 4) {
    signal(SIGABRT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    return bomb("f", atoi(argv[2]), atol(argv[3]), 0);
  }
  if (strcmp(mode, "stopcont") == 0 && argc == 4) return stopcont_victim(atol(argv[2]), atoi(argv[3]));
  if (strcmp(mode, "threadexec") == 0 && argc == 3) {
    static char limits_path[4200];
    snprintf(limits_path, sizeof limits_path, "%s", self_path);
    char *slash = strrchr(limits_path, '/');
    if (!slash) return 3;
    strcpy(slash + 1, "limits");
    static char *args[4];
    args[0] = limits_path;
    args[1] = "fork";
    args[2] = argv[2];
    args[3] = NULL;
    pthread_t thread;
    pthread_t spare;
    pthread_create(&spare, NULL, (void *(*)(void *))pause, NULL);
    pthread_create(&thread, NULL, exec_thread, args);
    for (;;) pause();
  }
  if (strcmp(mode, "joinpgid") == 0 && argc == 4) {
    pid_t pgid = (pid_t)atol(argv[2]);
    if (setpgid(0, pgid) != 0) say("setpgid errno %ld%.0ld%.0ld\n", errno, 0, 0);
    else say("joined %ld%.0ld%.0ld\n", (long)getpgrp(), 0, 0);
    long count = atol(argv[3]);
    for (long i = 0; i < count; i++) {
      pid_t pid = fork();
      if (pid == 0) {
        for (;;) pause();
      }
      if (pid < 0) return 1;
      say("forked %ld%.0ld%.0ld\n", i, 0, 0);
    }
    return 0;
  }
  return 2;
}
