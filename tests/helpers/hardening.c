/*
 * The filter's process hardening as a sandboxed program sees it (tests/hardening_test.ts).
 * Usage: hardening MODE. Prints one `name=RESULT` line per attempt, RESULT being OK (or the
 * call's value) or the errno's name; a mode whose call kills the process prints nothing after.
 *
 *   futex      FUTEX_WAKE, and each priority-inheritance operation
 *   traceme    PTRACE_TRACEME twice in this thread, then twice in a new thread; PTRACE_ATTACH
 *   prctl      PR_SET_PTRACER, PR_GET_SECCOMP, PR_SET_SECCOMP (strict mode)
 *   seccomp    SECCOMP_GET_ACTION_AVAIL, then installs a filter that answers getppid EPERM
 *   msgget     msgget(IPC_PRIVATE, 0600), IPC_RMID
 *   msgget_open msgget(IPC_PRIVATE, 0666)
 *   msg_copy   msgget 0600, msgsnd, msgrcv MSG_COPY|IPC_NOWAIT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif
#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

static void show(const char *name, long rc) {
    if (rc < 0)
        printf("%s=%s\n", name, strerrorname_np(errno));
    else
        printf("%s=%ld\n", name, rc);
    fflush(stdout);
}

static void *traceme_thread(void *arg) {
    (void)arg;
    show("thread_traceme_1", ptrace(PTRACE_TRACEME, 0, 0, 0));
    show("thread_traceme_2", ptrace(PTRACE_TRACEME, 0, 0, 0));
    return NULL;
}

struct message {
    long mtype;
    char mtext[8];
};

static int queue(int mode) {
    int id = msgget(IPC_PRIVATE, IPC_CREAT | mode);
    show("msgget", id);
    return id;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    const char *mode = argv[1];
    if (!strcmp(mode, "futex")) {
        int word = 0, other = 0;
        show("wake", syscall(SYS_futex, &word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, 0, 0, 0));
        const int ops[] = {FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_WAIT_REQUEUE_PI,
                           FUTEX_CMP_REQUEUE_PI, FUTEX_LOCK_PI2};
        const char *names[] = {"lock_pi", "unlock_pi", "trylock_pi", "wait_requeue_pi", "cmp_requeue_pi",
                               "lock_pi2"};
        for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
            word = ops[i] == FUTEX_WAIT_REQUEUE_PI; /* not the value it expects: no wait */
            show(names[i], syscall(SYS_futex, &word, ops[i] | FUTEX_PRIVATE_FLAG, 0, 0, &other, 0));
        }
        return 0;
    }
    if (!strcmp(mode, "traceme")) {
        show("traceme_1", ptrace(PTRACE_TRACEME, 0, 0, 0));
        show("traceme_2", ptrace(PTRACE_TRACEME, 0, 0, 0));
        pthread_t thread;
        if (pthread_create(&thread, NULL, traceme_thread, NULL) != 0)
            return 3;
        pthread_join(thread, NULL);
        show("attach", ptrace(PTRACE_ATTACH, getppid(), 0, 0));
        return 0;
    }
    if (!strcmp(mode, "prctl")) {
        show("set_ptracer", prctl(PR_SET_PTRACER, 0, 0, 0, 0));
        show("get_seccomp", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
        show("set_seccomp", prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0));
        return 0;
    }
    if (!strcmp(mode, "seccomp")) {
        unsigned int action = SECCOMP_RET_ERRNO;
        show("action_avail", syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action));
        struct sock_filter code[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
        show("set_filter", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
        show("getppid", syscall(SYS_getppid));
        return 0;
    }
    if (!strcmp(mode, "msgget")) {
        int id = queue(0600);
        if (id >= 0)
            show("rmid", msgctl(id, IPC_RMID, NULL));
        return 0;
    }
    if (!strcmp(mode, "msgget_open")) {
        int id = queue(0666);
        if (id >= 0)
            msgctl(id, IPC_RMID, NULL);
        return 0;
    }
    if (!strcmp(mode, "msg_copy")) {
        int id = queue(0600);
        if (id < 0)
            return 0;
        struct message sent = {.mtype = 1, .mtext = "syd-msg"};
        show("msgsnd", msgsnd(id, &sent, sizeof(sent.mtext), 0));
        struct message got = {0};
        long n = msgrcv(id, &got, sizeof(got.mtext), 0, MSG_COPY | IPC_NOWAIT);
        int saved = errno;
        msgctl(id, IPC_RMID, NULL);
        errno = saved;
        show("msg_copy", n);
        return 0;
    }
    return 2;
}
