//! Self-confinement of syd's own threads: the seccomp allow-list each kind of syd thread
//! (`syd_emu`, `syd_int`, `syd_mon`, `syd_out`, and `syd_run`: the run thread, which traces and
//! waits for the sandbox) loads on itself once the sandbox is locked, so that a thread taken
//! over through a bug can make only the calls its own job needs. Any other call kills the whole
//! process (SECCOMP_RET_KILL_PROCESS), as does any architecture but x86_64.
//!
//! A filter binds the thread that loads it and every thread that thread spawns afterwards, and
//! stacked filters all apply. The monitor spawns the emulators, so its filter carries the
//! emulators' rules as well as its own, plus what a new emulator does before confining itself
//! (naming itself, unsharing its fs struct, loading its filter): the monitor is therefore
//! confined far less tightly than the others, and the emulator's own filter, stacked on the
//! inherited one, is what binds an emulator.
//!
//! Needs: seccomp filters (Linux 3.17), SECCOMP_RET_KILL_PROCESS (4.14); libseccomp to
//! assemble the programs (in an unconfined thread: libseccomp probes the kernel with seccomp(2)
//! calls on its first use in a process, and no filter here lets those through).
//! Assumes: x86_64; the threads are glibc pthreads started by std.Thread; every signal but the
//! interrupt signal is blocked in them and that one has a no-op handler (pool.zig). NO_NEW_PRIVS
//! is set on the loading thread (libseccomp's ctl_nnp, or `load_program`): it is a per-thread
//! flag, inherited by the threads it spawns, and touches neither Deno's threads nor the
//! sandboxed child, which is forked from the run thread. The allow-lists below were read off
//! the code of pool.zig, workers/*.zig, handlers/*.zig, path.zig, caller.zig, notify.zig,
//! log.zig and sys.zig: a call added there must be added here, or the process dies on it.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const SYS = linux.SYS;
const sys = @import("../kernel/sys.zig");
const scmp = @import("scmp.zig");
const sandbox_filter = @import("sandbox.zig");
const notify = @import("../kernel/notify.zig");
const identity = @import("../exec/identity.zig");
const dir_handlers = @import("../handlers/dir.zig");
const anonfd_handlers = @import("../handlers/anonfd.zig");

pub const Kind = enum { emu, int, mon, out, run };

/// What each syd thread unshares when it starts (pool.thread_setup): its fs struct (cwd, root,
/// umask: an emulator sets the caller's umask), its fd table, and its SysV semaphore undo list.
pub const thread_unshare_flags: u32 = linux.CLONE.FS | linux.CLONE.FILES | linux.CLONE.SYSVSEM;

/// The flags `load_program` loads with: SECCOMP_FILTER_FLAG_SPEC_ALLOW (Linux 4.17; see there).
pub const load_flags: u32 = 1 << 2;

/// What the rules compare arguments with: known only when the sandbox runs. `sockets`: the
/// emulators may make sockets for callers (`socket_rules`): trace/force_cloexec is on, or the
/// policy may still turn it on through /dev/syd.
pub const Params = struct { notify_fd: i32, tgid: i32, interrupt_signal: u6, sockets: bool = false, setid: bool = false };

pub fn thread_name(kind: Kind) [:0]const u8 {
    return switch (kind) {
        .emu => "syd_emu",
        .int => "syd_int",
        .mon => "syd_mon",
        .out => "syd_out",
        .run => "syd_run",
    };
}

const Kinds = std.EnumSet(Kind);
const every = Kinds.initFull();
const emu = Kinds.initOne(.emu);
const mon = Kinds.initOne(.mon);
const int = Kinds.initOne(.int);
const out = Kinds.initOne(.out);
const run = Kinds.initOne(.run);
const emu_run = Kinds.initMany(&.{ .emu, .run });
const int_mon = Kinds.initMany(&.{ .int, .mon });
const emu_int_mon = Kinds.initMany(&.{ .emu, .int, .mon });

/// A value a rule compares an argument with.
const Datum = union(enum) { value: u32, notify_fd, tgid, interrupt_signal };

/// `(argument & mask) == datum`, on the argument's low 32 bits only: fds, pids, signals and ioctl
/// requests are 32-bit ints to the kernel, and the flag bits compared live in the low half, so a
/// caller that sign-extends an int is not killed for an upper half the kernel ignores.
const Arg = struct { index: u3, mask: u32 = std.math.maxInt(u32), datum: Datum };

const Action = union(enum) { allow, errno: linux.E };

const Rule = struct {
    nr: SYS,
    kinds: Kinds,
    args: []const Arg = &.{},
    action: Action = .allow,
};

fn eq(index: u3, datum: Datum) Arg {
    return .{ .index = index, .datum = datum };
}

fn value(v: u32) Datum {
    return .{ .value = v };
}

const sig_kill: u32 = linux.SIG.KILL;
const o_rdonly_cloexec: u32 = @bitCast(linux.O{ .CLOEXEC = true });
const prot_exec: u32 = linux.PROT.EXEC;
/// The clone flags that make new namespaces; with the exit-signal byte (a thread has none;
/// CLONE_NEWTIME shares its bit) and CLONE_THREAD | CLONE_VM, which a thread must have.
const clone_checked: u32 = linux.CLONE.NEWNS | linux.CLONE.NEWCGROUP | linux.CLONE.NEWUTS |
    linux.CLONE.NEWIPC | linux.CLONE.NEWUSER | linux.CLONE.NEWPID | linux.CLONE.NEWNET | 0xff |
    linux.CLONE.THREAD | linux.CLONE.VM;
const clone_thread: u32 = linux.CLONE.THREAD | linux.CLONE.VM;

/// Every thread: a glibc pthread's life and death, the clock, the log.
const common = [_]Rule{
    // Mutexes, futex words (pool counters, wake-ups), and the kernel's wake at thread exit.
    .{ .nr = .futex, .kinds = every },
    // The end of a thread (pthread exit, emu's panic recovery); never exit_group.
    .{ .nr = .exit, .kinds = every },
    // pthread start and exit block and restore signals; thread_setup sets the mask.
    .{ .nr = .rt_sigprocmask, .kinds = every },
    // The return from the interrupt signal's no-op handler.
    .{ .nr = .rt_sigreturn, .kinds = every },
    // A sleep or a timed futex wait resumed after SIGSTOP/SIGCONT of the process.
    .{ .nr = .restart_syscall, .kinds = every },
    // glibc malloc (args of std.Thread, tcaches, arenas) and the stack released at thread exit.
    // Executable memory is refused (EACCES), not killed: callers handle a failed mapping.
    .{ .nr = .mmap, .kinds = every, .args = &.{.{ .index = 2, .mask = prot_exec, .datum = value(0) }} },
    .{ .nr = .mmap, .kinds = every, .args = &.{.{ .index = 2, .mask = prot_exec, .datum = value(prot_exec) }}, .action = .{ .errno = .ACCES } },
    .{ .nr = .mprotect, .kinds = every, .args = &.{.{ .index = 2, .mask = prot_exec, .datum = value(0) }} },
    .{ .nr = .mprotect, .kinds = every, .args = &.{.{ .index = 2, .mask = prot_exec, .datum = value(prot_exec) }}, .action = .{ .errno = .ACCES } },
    .{ .nr = .munmap, .kinds = every },
    .{ .nr = .madvise, .kinds = every },
    .{ .nr = .brk, .kinds = every },
    // glibc's lazy one-time probes (arena count, malloc), whichever thread comes first.
    .{ .nr = .sched_getaffinity, .kinds = every },
    .{ .nr = .getrandom, .kinds = every },
    .{ .nr = .sched_yield, .kinds = every },
    // sys.monotonic_ms (vDSO, with the system call as its fallback), sleeps.
    .{ .nr = .clock_gettime, .kinds = every },
    .{ .nr = .clock_nanosleep, .kinds = every },
    .{ .nr = .nanosleep, .kinds = every },
    .{ .nr = .getpid, .kinds = every },
    .{ .nr = .gettid, .kinds = every },
    // The log pipe (log.zig), and a panic's message on stderr.
    .{ .nr = .write, .kinds = every },
    // A panic ends in abort(): SIGABRT raised at a thread of syd's own, so a crash reads as one.
    .{ .nr = .tgkill, .kinds = every, .args = &.{ eq(0, .tgid), eq(2, value(linux.SIG.ABRT)) } },
};

/// The notify listener: one rule per ioctl request, each on the listener only.
const listener = [_]Rule{
    // The interrupter and the monitor only ask whether a request still waits.
    .{ .nr = .ioctl, .kinds = emu_int_mon, .args = &.{ eq(0, .notify_fd), eq(1, value(notify.ioctl_id_valid)) } },
    .{ .nr = .ioctl, .kinds = emu, .args = &.{ eq(0, .notify_fd), eq(1, value(notify.ioctl_recv)) } },
    .{ .nr = .ioctl, .kinds = emu, .args = &.{ eq(0, .notify_fd), eq(1, value(notify.ioctl_send)) } },
    .{ .nr = .ioctl, .kinds = emu, .args = &.{ eq(0, .notify_fd), eq(1, value(notify.ioctl_addfd)) } },
    .{ .nr = .ioctl, .kinds = emu, .args = &.{ eq(0, .notify_fd), eq(1, value(notify.ioctl_set_flags)) } },
};

/// Waking syd's own emulators out of blocking calls (the interrupt signal, at syd only).
const interrupting = [_]Rule{
    .{ .nr = .tgkill, .kinds = int_mon, .args = &.{ eq(0, .tgid), eq(2, .interrupt_signal) } },
};

/// The interrupter reads callers' /proc/TID/status, read-only: open as workers/int.zig does,
/// openat as glibc does (a lazy probe of its own).
const interrupter = [_]Rule{
    .{ .nr = .open, .kinds = int, .args = &.{eq(1, value(o_rdonly_cloexec))} },
    .{ .nr = .openat, .kinds = int, .args = &.{eq(2, value(o_rdonly_cloexec))} },
    .{ .nr = .pread64, .kinds = int },
    .{ .nr = .read, .kinds = int },
    .{ .nr = .lseek, .kinds = int },
    .{ .nr = .close, .kinds = int },
};

/// The timeouter kills the sandbox's first process through its pidfd, with SIGKILL only.
const timeouter = [_]Rule{
    .{ .nr = .pidfd_send_signal, .kinds = out, .args = &.{eq(1, value(sig_kill))} },
    // glibc may open /proc/sys/vm/overcommit_memory once, lazily, when a heap shrinks: fail it
    // (it then assumes the default) rather than kill syd over it.
    .{ .nr = .openat, .kinds = out, .action = .{ .errno = .ACCES } },
};

/// The monitor spawns emulators (std.Thread over pthread_create), and each new emulator runs
/// its prelude under the monitor's filter before loading its own.
const spawning = [_]Rule{
    // Threads only: no new namespace, no exit signal, always CLONE_THREAD | CLONE_VM.
    .{ .nr = .clone, .kinds = mon, .args = &.{.{ .index = 0, .mask = clone_checked, .datum = value(clone_thread) }} },
    // clone3 passes its flags in memory, out of the filter's sight: glibc then falls back to clone.
    .{ .nr = .clone3, .kinds = mon, .action = .{ .errno = .NOSYS } },
    // A new pthread registers its robust futex list and its rseq area.
    .{ .nr = .set_robust_list, .kinds = mon },
    .{ .nr = .rseq, .kinds = mon },
    // The emulator's prelude: thread_setup names it; it unshares its fs struct (umask); it sets
    // NO_NEW_PRIVS and loads its own filter on itself (no flags: no TSYNC, no listener).
    .{ .nr = .prctl, .kinds = mon, .args = &.{eq(0, value(@intFromEnum(linux.PR.SET_NAME)))} },
    .{ .nr = .prctl, .kinds = mon, .args = &.{eq(0, value(@intFromEnum(linux.PR.SET_NO_NEW_PRIVS)))} },
    .{ .nr = .unshare, .kinds = mon, .args = &.{eq(0, value(thread_unshare_flags))} },
    // thread_setup reads its capabilities: a helper inherits the monitor's, already reduced to
    // what emulators keep, so it drops nothing (capset stays out of every list).
    .{ .nr = .capget, .kinds = mon },
    .{ .nr = .seccomp, .kinds = mon, .args = &.{ eq(0, value(linux.SECCOMP.SET_MODE_FILTER)), eq(1, value(load_flags)) } },
};

/// The emulators: receiving and answering, reading and writing callers' memory, and performing
/// the judged calls on the judged objects (handlers/*.zig).
const emulating = [_]Rule{
    // path.zig, handlers/mod.zig: the caller's arguments and results.
    .{ .nr = .process_vm_readv, .kinds = emu },
    .{ .nr = .process_vm_writev, .kinds = emu },
    // emulate.zig: syd's own copies of callers' fds.
    .{ .nr = .pidfd_open, .kinds = emu },
    .{ .nr = .pidfd_getfd, .kinds = emu },
    // /proc/TID/{status,comm,root} (caller.zig, emulate.zig), path walks, emulated opens, and
    // the fds syd opens or copies for one call.
    .{ .nr = .open, .kinds = emu },
    .{ .nr = .openat, .kinds = emu },
    .{ .nr = .openat2, .kinds = emu },
    .{ .nr = .read, .kinds = emu },
    // Force sandboxing hashes the file an exec or an mmap names (exec/force.zig).
    .{ .nr = .pread64, .kinds = emu },
    .{ .nr = .close, .kinds = emu },
    // path.zig canonicalisation; stat.zig; open.zig's directory test.
    .{ .nr = .fstatat64, .kinds = emu }, // newfstatat
    // net.zig: the inode of syd's copy of a socket (the paths of the UNIX sockets syd bound).
    .{ .nr = .fstat, .kinds = emu },
    .{ .nr = .statx, .kinds = emu },
    .{ .nr = .statfs, .kinds = emu },
    .{ .nr = .fstatfs, .kinds = emu },
    .{ .nr = .faccessat2, .kinds = emu },
    .{ .nr = .readlink, .kinds = emu },
    .{ .nr = .readlinkat, .kinds = emu },
    .{ .nr = .getdents64, .kinds = emu },
    // dirops.zig, mknod.zig.
    .{ .nr = .mkdirat, .kinds = emu },
    .{ .nr = .unlinkat, .kinds = emu },
    .{ .nr = .symlinkat, .kinds = emu },
    .{ .nr = .linkat, .kinds = emu },
    .{ .nr = .renameat2, .kinds = emu },
    .{ .nr = .mknodat, .kinds = emu },
    // metadata.zig.
    .{ .nr = .fchmod, .kinds = emu },
    .{ .nr = .fchmodat, .kinds = emu },
    .{ .nr = .fchownat, .kinds = emu },
    .{ .nr = .utimensat, .kinds = emu },
    .{ .nr = .setxattr, .kinds = emu },
    .{ .nr = .fsetxattr, .kinds = emu },
    .{ .nr = .removexattr, .kinds = emu },
    .{ .nr = .fremovexattr, .kinds = emu },
    // metadata.xattr_read: through /proc/thread-self/fd/N of an O_PATH fd.
    .{ .nr = .getxattr, .kinds = emu },
    .{ .nr = .listxattr, .kinds = emu },
    // truncate.zig.
    .{ .nr = .ftruncate, .kinds = emu },
    .{ .nr = .fallocate, .kinds = emu },
    // emulate.zig: the caller's umask for the files syd creates (own fs struct).
    .{ .nr = .umask, .kinds = emu },
    // net.zig: a UNIX socket is bound by its name in the judged directory, made the cwd (own fs
    // struct), and the cwd is set back to / after.
    .{ .nr = .fchdir, .kinds = emu },
    // watch.zig: watches and marks on syd's copy of the caller's inotify or fanotify fd.
    .{ .nr = .inotify_add_watch, .kinds = emu },
    .{ .nr = .fanotify_mark, .kinds = emu },
    .{ .nr = .chdir, .kinds = emu },
    // net.zig, on syd's copies of callers' sockets.
    .{ .nr = .bind, .kinds = emu },
    .{ .nr = .connect, .kinds = emu },
    .{ .nr = .sendto, .kinds = emu },
    .{ .nr = .sendmsg, .kinds = emu },
    .{ .nr = .getsockopt, .kinds = emu },
    .{ .nr = .getpeername, .kinds = emu },
    // unix_names.zig: receives syd performs on its copies of callers' UNIX sockets (no control
    // buffer: fds sent along are closed by the kernel, as for the caller's own receive).
    .{ .nr = .recvfrom, .kinds = emu },
    .{ .nr = .recvmsg, .kinds = emu },
    // unix_names.zig: accepts syd performs on its copies of callers' listening UNIX sockets.
    .{ .nr = .accept4, .kinds = emu },
    // net.zig setsockopt: whether a caller's UNIX socket is unbound, and SO_PASSCRED or
    // SO_PASSPIDFD set on syd's copy with the value judged.
    .{ .nr = .getsockname, .kinds = emu },
    .{ .nr = .setsockopt, .kinds = emu, .args = &.{ eq(1, value(1)), eq(2, value(16)) } },
    .{ .nr = .setsockopt, .kinds = emu, .args = &.{ eq(1, value(1)), eq(2, value(76)) } },
    // emu.zig: whether the listener hung up.
    .{ .nr = .poll, .kinds = emu },
    // handlers/magic.zig: the sealed memfd reading /dev/syd returns; handlers/anonfd.zig: the
    // caller's memfd, made with the name syd judged (any flags, always close-on-exec in syd).
    .{ .nr = .memfd_create, .kinds = emu, .args = &.{.{ .index = 1, .mask = mfd_cloexec, .datum = value(mfd_cloexec) }} },
    // handlers/anonfd.zig under trace/force_cloexec: the caller's eventfd, epoll, inotify,
    // timerfd and signalfd, made close-on-exec in syd.
    .{ .nr = .eventfd2, .kinds = emu, .args = &.{.{ .index = 1, .mask = efd_cloexec, .datum = value(efd_cloexec) }} },
    .{ .nr = .epoll_create1, .kinds = emu, .args = &.{.{ .index = 0, .mask = efd_cloexec, .datum = value(efd_cloexec) }} },
    .{ .nr = .inotify_init1, .kinds = emu, .args = &.{.{ .index = 0, .mask = efd_cloexec, .datum = value(efd_cloexec) }} },
    .{ .nr = .timerfd_create, .kinds = emu, .args = &.{.{ .index = 1, .mask = efd_cloexec, .datum = value(efd_cloexec) }} },
    .{ .nr = .signalfd4, .kinds = emu, .args = &.{ eq(0, value(0xffff_ffff)), .{ .index = 3, .mask = efd_cloexec, .datum = value(efd_cloexec) } } },
    .{ .nr = .lseek, .kinds = emu },
    .{ .nr = .fcntl, .kinds = emu, .args = &.{eq(1, value(f_add_seals))} },
    // exec/mmap.zig (the tracer, or an emulator untraced): whether the fd a file is mapped
    // executable through is open for writing (W^X). Reads flags only.
    .{ .nr = .fcntl, .kinds = emu_run, .args = &.{eq(1, value(f_getfl))} },
    // exec/identity.zig: how syd's own maps names a file it mapped (an overlayfs's file).
    .{ .nr = .ioctl, .kinds = emu_run, .args = &.{eq(1, value(identity.procmap_query))} },
    // handlers/mod.zig punishments (kill, exit: SIGKILL; stop, abort: to the caller's thread);
    // workers/int.zig's liveness probe of a thread group (signal 0).
    .{ .nr = .kill, .kinds = emu, .args = &.{eq(1, value(sig_kill))} },
    .{ .nr = .kill, .kinds = emu, .args = &.{eq(1, value(0))} },
    .{ .nr = .tgkill, .kinds = emu, .args = &.{eq(2, value(linux.SIG.STOP))} },
    .{ .nr = .tgkill, .kinds = emu, .args = &.{eq(2, value(linux.SIG.ABRT))} },
    // net.zig: the SIGPIPE a caller's own send would have raised, after syd's gets EPIPE.
    .{ .nr = .tgkill, .kinds = emu, .args = &.{eq(2, value(linux.SIG.PIPE))} },
    // handlers/anonfd.zig: whether a pipe passed with SCM_RIGHTS is a notification pipe (0
    // notes: refused by the kernel, nothing changed).
    .{ .nr = .ioctl, .kinds = emu, .args = &.{ eq(1, value(anonfd_handlers.ioc_watch_queue_set_size)), eq(2, value(0)) } },
};

/// handlers/net.zig under trace/force_cloexec: the caller's socket or socket pair, made in syd
/// close-on-exec and handed over (the kernel cannot be asked to add the flag to a continued
/// call). Only in the filters of a policy that has or may get trace/force_cloexec (`Params`):
/// otherwise no kind makes sockets (`never`).
const socket_rules = [_]Rule{
    .{ .nr = .socket, .kinds = emu, .args = &.{.{ .index = 1, .mask = sock_cloexec, .datum = value(sock_cloexec) }} },
    .{ .nr = .socketpair, .kinds = emu, .args = &.{.{ .index = 1, .mask = sock_cloexec, .datum = value(sock_cloexec) }} },
};

/// handlers/emulate.zig under SafeSetID's transits: an emulator (or the tracer, judging a
/// chdir) acting for a caller whose ids changed takes its filesystem ids and groups for the
/// call, then syd's back (per thread: the other threads keep theirs). Only in the filters of a policy with transits (`Params.setid`).
const setid_rules = [_]Rule{
    .{ .nr = .setfsuid, .kinds = emu_run },
    .{ .nr = .setfsgid, .kinds = emu_run },
    .{ .nr = .setgroups, .kinds = emu_run },
};

const mfd_cloexec: u32 = 1;
const efd_cloexec: u32 = 0o2000000;
const sock_cloexec: u32 = 0o2000000;
const f_add_seals: u32 = 1033;
const f_getfl: u32 = 3;

/// The ioctl requests handlers/dir.zig performs on its own copy of a caller's fd, on any fd (none
/// since ioctl is judged by request number and continued).
const emulated_ioctls = ioctls: {
    var list: [dir_handlers.plain_requests.len]Rule = undefined;
    for (dir_handlers.plain_requests, 0..) |code, i| list[i] = .{ .nr = .ioctl, .kinds = emu, .args = &.{eq(1, value(code))} };
    const final = list;
    break :ioctls final;
};

const ptrace_cont: u32 = 7;
const ptrace_getregs: u32 = 12;
const ptrace_setregs: u32 = 13;
const ptrace_syscall: u32 = 24;
const ptrace_listen: u32 = 0x4208;
const ptrace_interrupt: u32 = 0x4207;
const ptrace_get_syscall_info: u32 = 0x420e;
const ptrace_geteventmsg: u32 = 0x4201;

/// The run thread once the first process runs (workers/trace.zig, sandbox.zig, reap.zig): it
/// serves its tracees' stops (never attaches: new tasks are traced by the options set at the
/// seize), checks each exec's image and each chdir as an emulator judges a path, kills what is
/// left at the end, and joins syd's other threads. Its capabilities are CAP_SYS_PTRACE alone by
/// then (as an emulator's), so capset is never called under this filter.
const running = [_]Rule{
    .{ .nr = .wait4, .kinds = run },
    .{ .nr = .ptrace, .kinds = run, .args = &.{eq(0, value(ptrace_cont))} },
    .{ .nr = .ptrace, .kinds = run, .args = &.{eq(0, value(ptrace_getregs))} },
    .{ .nr = .ptrace, .kinds = run, .args = &.{eq(0, value(ptrace_setregs))} },
    .{ .nr = .ptrace, .kinds = run, .args = &.{eq(0, value(ptrace_syscall))} },
    .{ .nr = .ptrace, .kinds = run, .args = &.{eq(0, value(ptrace_listen))} },
    // exec/freeze.zig: every task sharing an executable mmap's caller's memory stopped, and
    // whether a caller shares its parent's (KCMP_VM: an unlisted vfork child).
    .{ .nr = .ptrace, .kinds = run, .args = &.{eq(0, value(ptrace_interrupt))} },
    .{ .nr = .kcmp, .kinds = run, .args = &.{eq(2, value(1))} },
    .{ .nr = .ptrace, .kinds = run, .args = &.{eq(0, value(ptrace_get_syscall_info))} },
    // PID sandboxing: the task a fork, vfork or clone stop made (workers/trace.zig).
    .{ .nr = .ptrace, .kinds = run, .args = &.{eq(0, value(ptrace_geteventmsg))} },
    // A denied exec or chdir kills its caller; reap.zig kills what is left (SIGKILL only).
    .{ .nr = .kill, .kinds = run, .args = &.{eq(1, value(sig_kill))} },
    .{ .nr = .kill, .kinds = run, .args = &.{eq(1, value(0))} },
    // spawn.fire_sentinel wakes the sentinel (SIGCONT), which kills every sandboxed process;
    // spawn.zig and reap.zig reap it and what the tracer does not wait for (waitid, WNOHANG).
    .{ .nr = .kill, .kinds = run, .args = &.{eq(1, value(linux.SIG.CONT))} },
    .{ .nr = .waitid, .kinds = run },
    .{ .nr = .tgkill, .kinds = run, .args = &.{ eq(0, .tgid), eq(2, .interrupt_signal) } },
    // handlers/mod.zig punishments of a judged exec or chdir (stop, abort: to the caller's thread).
    .{ .nr = .tgkill, .kinds = run, .args = &.{eq(2, value(linux.SIG.STOP))} },
    .{ .nr = .tgkill, .kinds = run, .args = &.{eq(2, value(linux.SIG.ABRT))} },
    // Judging: the caller's path and /proc (caller.zig, path.zig, emulate.zig), the image an
    // exec loaded (handlers/exec.zig, elf.zig), the process tree (reap.zig).
    .{ .nr = .process_vm_readv, .kinds = run },
    .{ .nr = .pidfd_open, .kinds = run },
    .{ .nr = .pidfd_getfd, .kinds = run },
    .{ .nr = .pidfd_send_signal, .kinds = run, .args = &.{eq(1, value(sig_kill))} },
    .{ .nr = .open, .kinds = run },
    .{ .nr = .openat, .kinds = run },
    .{ .nr = .openat2, .kinds = run },
    .{ .nr = .read, .kinds = run },
    .{ .nr = .pread64, .kinds = run },
    .{ .nr = .lseek, .kinds = run },
    .{ .nr = .close, .kinds = run },
    .{ .nr = .fstatat64, .kinds = run }, // newfstatat
    .{ .nr = .fstat, .kinds = run },
    .{ .nr = .statx, .kinds = run },
    .{ .nr = .statfs, .kinds = run },
    .{ .nr = .fstatfs, .kinds = run },
    .{ .nr = .faccessat2, .kinds = run },
    .{ .nr = .readlink, .kinds = run },
    .{ .nr = .readlinkat, .kinds = run },
    .{ .nr = .getdents64, .kinds = run },
    // log.zig: a record longer than PIPE_BUF waits for room in the log pipe.
    .{ .nr = .poll, .kinds = run },
    // caps.effective_lower reads the sets (and finds nothing to lower).
    .{ .nr = .capget, .kinds = run },
    // The notify listener: whether a request is still pending.
    .{ .nr = .ioctl, .kinds = run, .args = &.{ eq(0, .notify_fd), eq(1, value(notify.ioctl_id_valid)) } },
};

const rules = common ++ listener ++ interrupting ++ interrupter ++ timeouter ++ spawning ++ emulating ++ emulated_ioctls ++ running;

/// Calls no kind may be allowed, whatever else changes (checked at compile time).
const never = [_]SYS{
    .execve,            .execveat,          .ptrace,          .fork,            .vfork,
    .mount,             .umount2,           .pivot_root,      .chroot,          .setns,
    .move_mount,        .open_tree,         .fsopen,          .fsmount,         .fsconfig,
    .mount_setattr,     .bpf,               .kexec_load,      .kexec_file_load, .init_module,
    .finit_module,      .delete_module,     .reboot,          .swapon,          .swapoff,
    .iopl,              .ioperm,            .personality,     .keyctl,          .add_key,
    .request_key,       .userfaultfd,       .perf_event_open, .io_uring_setup,  .io_uring_enter,
    .open_by_handle_at, .name_to_handle_at, .setuid,          .setgid,          .setreuid,
    .setregid,          .setresuid,         .setresgid,       .setgroups,       .capset,
    .exit_group,        .vhangup,           .rt_sigaction,    .sigaltstack,     .socket,
    .socketpair,        .process_madvise,
};

comptime {
    @setEvalBranchQuota(100_000);
    for (rules) |rule| {
        assert(rule.args.len <= scmp.arg_cmps_max);
        // ptrace: the run thread's alone, and only the requests that serve a stop (no attach).
        if (rule.action == .allow) for (never) |nr| assert(rule.nr != nr or (nr == .ptrace and rule.kinds.eql(run) and rule.args.len == 1 and rule.args[0].index == 0));
        // Reading other processes' memory is the emulators' and the tracer's; writing it, the
        // emulators' alone.
        if (rule.nr == .process_vm_readv) assert(rule.kinds.eql(emu) or rule.kinds.eql(run));
        if (rule.nr == .process_vm_writev) assert(rule.kinds.eql(emu));
        // Namespaces, thread creation and filter loading only under an argument condition.
        if (rule.nr == .unshare or rule.nr == .clone or rule.nr == .seccomp or rule.nr == .prctl) {
            assert(rule.args.len >= 1 and rule.kinds.eql(mon));
        }
        if (rule.nr == .ioctl) assert((rule.args.len == 2 and rule.args[0].datum == .notify_fd) or
            (rule.args.len == 2 and rule.args[0].index == 1 and rule.args[0].datum.value == anonfd_handlers.ioc_watch_queue_set_size) or
            (rule.args.len == 1 and rule.args[0].index == 1 and rule.args[0].datum.value == identity.procmap_query) or
            (rule.args.len == 1 and rule.args[0].index == 1 and rule.kinds.eql(emu) and
                std.mem.indexOfScalar(u32, &dir_handlers.plain_requests, rule.args[0].datum.value) != null));
    }
}

comptime {
    // Sockets only close-on-exec, only for the emulators.
    for (socket_rules) |rule| assert(rule.kinds.eql(emu) and rule.args.len == 1 and rule.args[0].index == 1 and
        rule.args[0].mask == sock_cloexec and rule.args[0].datum.value == sock_cloexec);
}

/// Whether `rule` goes into `kind`'s filter: the monitor's carries the emulators' rules, which
/// the emulators it spawns inherit.
fn applies(rule: Rule, kind: Kind) bool {
    return rule.kinds.contains(kind) or (kind == .mon and rule.kinds.contains(.emu));
}

/// Assembles `kind`'s filter into a libseccomp context the caller releases.
pub fn build(kind: Kind, params: Params) sys.Errno!scmp.Ctx {
    assert(params.notify_fd >= 0 and params.tgid > 0);
    assert(params.interrupt_signal >= 1 and params.interrupt_signal <= 64);
    const ctx = try scmp.init(scmp.act_kill_process);
    errdefer scmp.release(ctx);
    try scmp.attr_set(ctx, .act_badarch, scmp.act_kill_process);
    try scmp.attr_set(ctx, .ctl_nnp, 1); // seccomp(2) without CAP_SYS_ADMIN needs it; per thread.
    try scmp.attr_set(ctx, .ctl_tsync, 0); // The calling thread only, never its siblings.
    try scmp.attr_set(ctx, .ctl_optimize, 2); // A binary tree: O(log n) per call.
    try scmp.attr_set(ctx, .api_sysrawrc, 1); // The kernel's errno from a failed load.
    var added: u32 = 0;
    for (rules) |rule| {
        if (!applies(rule, kind)) continue;
        try add(ctx, rule, params);
        added += 1;
    }
    assert(added > common.len);
    if (params.sockets) for (socket_rules) |rule| {
        if (applies(rule, kind)) try add(ctx, rule, params);
    };
    if (params.setid) for (setid_rules) |rule| {
        if (applies(rule, kind)) try add(ctx, rule, params);
    };
    return ctx;
}

fn add(ctx: scmp.Ctx, rule: Rule, params: Params) sys.Errno!void {
    const action = switch (rule.action) {
        .allow => scmp.act_allow,
        .errno => |e| scmp.act_errno(@intFromEnum(e)),
    };
    if (rule.args.len == 0) return scmp.rule_add(ctx, action, @intFromEnum(rule.nr));
    var cmps: [scmp.arg_cmps_max]scmp.ArgCmp = undefined;
    for (rule.args, cmps[0..rule.args.len]) |arg, *cmp| cmp.* = arg_cmp(arg, params);
    return scmp.rule_add_cmps(ctx, action, @intFromEnum(rule.nr), cmps[0..rule.args.len]);
}

fn arg_cmp(arg: Arg, params: Params) scmp.ArgCmp {
    const datum: u32 = switch (arg.datum) {
        .value => |v| v,
        .notify_fd => @bitCast(params.notify_fd),
        .tgid => @bitCast(params.tgid),
        .interrupt_signal => params.interrupt_signal,
    };
    assert(datum & ~arg.mask == 0); // a bit outside the mask could never compare equal
    return .{ .arg = arg.index, .op = .masked_eq, .datum_a = arg.mask, .datum_b = datum };
}

/// Loads `ctx` into the calling thread only (no TSYNC), with NO_NEW_PRIVS set on it first.
/// libseccomp generates the program here, allocating (which the monitor's filter allows an
/// emulator); `load_program` loads a program exported beforehand without allocating.
pub fn load(ctx: scmp.Ctx) sys.Errno!void {
    try scmp.load(ctx);
}

/// Loads a program exported with `export_program` into the calling thread only: two system
/// calls, no allocation (for threads that run under the monitor's filter already).
pub fn load_program(program: []const sandbox_filter.SockFilter) sys.Errno!void {
    assert(program.len >= 1 and program.len <= sandbox_filter.program_len_max);
    const Fprog = extern struct { len: u16, filter: [*]const sandbox_filter.SockFilter };
    const fprog: Fprog = .{ .len = @intCast(program.len), .filter = program.ptr };
    _ = try sys.check(linux.prctl(@intFromEnum(linux.PR.SET_NO_NEW_PRIVS), 1, 0, 0, 0));
    // SPEC_ALLOW: without it the kernel turns on the Speculative Store Bypass mitigation for
    // the thread, which cost a judged call about 7% here (bench/bench.ts: 8.9% confined vs
    // 1.4% with it). That mitigation keeps code in one address space from reading its own
    // memory speculatively; syd's threads run no untrusted code, and the sandboxed processes
    // (whose own filter keeps the mitigation) live in other address spaces.
    _ = try sys.check(linux.seccomp(linux.SECCOMP.SET_MODE_FILTER, load_flags, &fprog));
}

/// Exports `ctx` as raw BPF into `out`: sandbox.zig's exporter (through a memfd).
pub const export_program = sandbox_filter.export_program;

// Tests. Filters loaded here bind only the test's own short-lived threads.

const testing = std.testing;

fn test_params(notify_fd: i32) Params {
    return .{ .notify_fd = notify_fd, .tgid = sys.getpid(), .interrupt_signal = linux.SIG.ALRM };
}

/// `ctx` exported (BPF or PFC text) into `buf`, through a memfd.
fn export_bytes(ctx: scmp.Ctx, comptime pfc: bool, buf: []u8) ![]u8 {
    const fd: i32 = @intCast(try sys.check(linux.memfd_create("syd-confine-test", linux.MFD.CLOEXEC)));
    defer sys.close(fd);
    if (pfc) try scmp.export_pfc(ctx, fd) else try scmp.export_bpf(ctx, fd);
    _ = try sys.check(linux.lseek(fd, 0, linux.SEEK.SET));
    const len = try sys.read_full(fd, buf);
    try testing.expect(len > 0 and len < buf.len);
    return buf[0..len];
}

/// The block of PFC text that filters syscall `name` (empty if none).
fn pfc_block(text: []const u8, comptime name: []const u8) []const u8 {
    const head = "# filter for syscall \"" ++ name ++ "\"";
    const start = std.mem.indexOf(u8, text, head) orelse return "";
    const rest = text[start + head.len ..];
    const end = std.mem.indexOf(u8, rest, "# filter for syscall") orelse
        std.mem.indexOf(u8, rest, "# default action") orelse rest.len;
    return rest[0..end];
}

test "every kind assembles and exports whole BPF instructions and PFC text" {
    var buf: [64 * 1024]u8 = undefined;
    for (std.enums.values(Kind)) |kind| {
        const ctx = try build(kind, test_params(7));
        defer scmp.release(ctx);
        const bpf = try export_bytes(ctx, false, &buf);
        try testing.expectEqual(@as(usize, 0), bpf.len % @sizeOf(sandbox_filter.SockFilter));
        const text = try export_bytes(ctx, true, &buf);
        try testing.expect(std.mem.indexOf(u8, text, "action KILL_PROCESS;") != null);
        try testing.expect(std.mem.indexOf(u8, text, "\"futex\"") != null);
        try testing.expect(std.mem.startsWith(u8, thread_name(kind), "syd_"));
    }
}

test "no kind allows execve, and the monitor answers clone3 ENOSYS" {
    var buf: [64 * 1024]u8 = undefined;
    for (std.enums.values(Kind)) |kind| {
        const ctx = try build(kind, test_params(7));
        defer scmp.release(ctx);
        const text = try export_bytes(ctx, true, &buf);
        try testing.expect(std.mem.indexOf(u8, text, "\"execve\"") == null);
        try testing.expect(std.mem.indexOf(u8, text, "\"execveat\"") == null);
        try testing.expect(std.mem.indexOf(u8, text, "\"vhangup\"") == null);
        const clone3 = pfc_block(text, "clone3");
        if (kind == .mon) {
            try testing.expect(std.mem.indexOf(u8, clone3, "action ERRNO(38);") != null);
        } else {
            try testing.expectEqual(@as(usize, 0), clone3.len);
        }
    }
}

test "sockets are made only by the emulators (and the monitor they inherit from), close-on-exec, and only when the policy may force close-on-exec" {
    var buf: [64 * 1024]u8 = undefined;
    for ([_]bool{ false, true }) |sockets| for (std.enums.values(Kind)) |kind| {
        var params = test_params(7);
        params.sockets = sockets;
        const ctx = try build(kind, params);
        defer scmp.release(ctx);
        const text = try export_bytes(ctx, true, &buf);
        for ([_][]const u8{ pfc_block(text, "socket"), pfc_block(text, "socketpair") }) |block| {
            if (sockets and (kind == .emu or kind == .mon)) {
                // Allowed only with SOCK_CLOEXEC (0o2000000 = 524288) set in the type argument.
                try testing.expect(std.mem.indexOf(u8, block, "$a1.lo32 & 0x00080000 == 524288") != null);
                try testing.expect(std.mem.indexOf(u8, block, "action ALLOW;") != null);
            } else {
                try testing.expectEqual(@as(usize, 0), block.len);
            }
        }
    };
}

test "the emulator's ioctl is allowed only on the notify fd, or for the requests syd performs itself (and the notification pipe probe, and PROCMAP_QUERY on its own maps)" {
    var buf: [64 * 1024]u8 = undefined;
    const ctx = try build(.emu, test_params(4242));
    defer scmp.release(ctx);
    const text = try export_bytes(ctx, true, &buf);
    const ioctl = pfc_block(text, "ioctl");
    try testing.expect(ioctl.len > 0);
    // Every allowing path goes through a test of argument 0 against fd 4242, or of argument 1
    // against one of handlers/dir.zig's plain requests or anonfd.zig's notification pipe probe.
    var lines = std.mem.splitScalar(u8, ioctl, '\n');
    var fd_allows: u32 = 0;
    var request_allows: u32 = 0;
    const Enclosing = struct { indent: usize, fd: bool, plain: bool };
    var stack: [16]Enclosing = undefined;
    var depth: usize = 0;
    while (lines.next()) |line| {
        const indent = line.len - std.mem.trimLeft(u8, line, " ").len;
        while (depth > 0 and stack[depth - 1].indent >= indent) depth -= 1;
        if (std.mem.indexOf(u8, line, "if (") != null) {
            const fd = std.mem.indexOf(u8, line, "$a0.lo32") != null and std.mem.endsWith(u8, line, "== 4242)");
            const plain = if (std.mem.indexOf(u8, line, "$a1.lo32")) |at| is_plain: {
                const eq_at = std.mem.indexOfPos(u8, line, at, "== ") orelse break :is_plain false;
                const digits = std.mem.sliceTo(line[eq_at + 3 ..], ')');
                const code = std.fmt.parseInt(u32, digits, 0) catch break :is_plain false;
                break :is_plain std.mem.indexOfScalar(u32, &dir_handlers.plain_requests, code) != null or
                    code == anonfd_handlers.ioc_watch_queue_set_size or code == identity.procmap_query;
            } else false;
            try testing.expect(depth < stack.len);
            stack[depth] = .{ .indent = indent, .fd = fd, .plain = plain };
            depth += 1;
        }
        if (std.mem.indexOf(u8, line, "action ALLOW") != null) {
            const under_fd = for (stack[0..depth]) |e| {
                if (e.fd) break true;
            } else false;
            const under_plain = for (stack[0..depth]) |e| {
                if (e.plain) break true;
            } else false;
            try testing.expect(under_fd or under_plain);
            if (under_fd) fd_allows += 1 else request_allows += 1;
        }
    }
    try testing.expect(fd_allows >= 1 and request_allows >= 1);
}

/// The outcome of a test thread that confined itself: any error, for the joining thread to see.
const Outcome = struct { result: anyerror!void = {} };

fn exported(kind: Kind, params: Params, buf: []sandbox_filter.SockFilter) ![]sandbox_filter.SockFilter {
    const ctx = try build(kind, params);
    defer scmp.release(ctx);
    return export_program(ctx, buf);
}

fn out_calls(log_fd: i32) !void {
    const ctx = try build(.out, test_params(log_fd));
    try load(ctx);
    scmp.release(ctx); // frees under the filter: glibc's free may munmap or madvise
    var word: std.atomic.Value(u32) = .init(0);
    sys.futex_wake(&word, 1);
    sys.futex_wait(&word, 1, 1); // the value differs: returns at once
    try testing.expectEqual(@as(usize, 1), try sys.write(log_fd, "x"));
    std.Thread.sleep(std.time.ns_per_ms); // glibc: clock_nanosleep
    sys.sleep_ms(1); // nanosleep
    try testing.expect(sys.monotonic_ms() > 0);
}

fn run_out(outcome: *Outcome, log_fd: i32) void {
    outcome.result = out_calls(log_fd);
}

test "a thread confined as the timeouter makes its calls and exits" {
    const fds = try sys.pipe(true);
    defer sys.close(fds[0]);
    defer sys.close(fds[1]);
    var outcome: Outcome = .{};
    const thread = try std.Thread.spawn(.{}, run_out, .{ &outcome, fds[1] });
    thread.join();
    try outcome.result;
    var buf: [4]u8 = undefined;
    try testing.expectEqual(@as(usize, 1), try sys.read(fds[0], &buf));
}

/// What an emulator does, from its start under the monitor's filter to a few calls under its
/// own: the prelude of workers/emu.zig, then calls of path.zig, caller.zig and notify.zig.
fn emu_calls(program: []const sandbox_filter.SockFilter, listener_fd: i32) !void {
    _ = try sys.check(linux.prctl(@intFromEnum(linux.PR.SET_NAME), @intFromPtr("syd_emu"), 0, 0, 0));
    try sys.sigmask_set(std.math.maxInt(u64) & ~sys.sig_bit(linux.SIG.ALRM));
    _ = try sys.check(linux.unshare(thread_unshare_flags));
    try load_program(program);
    var path_buf: [64]u8 = undefined;
    const path = try std.fmt.bufPrintZ(&path_buf, "/proc/{d}/status", .{sys.gettid()});
    var status_buf: [4096]u8 = undefined;
    const status = try @import("../kernel/caller.zig").read_proc(path.ptr, &status_buf);
    try testing.expect(std.mem.indexOf(u8, status, "syd_emu") != null);
    var copy: [8]u8 = undefined;
    const local = [_]std.posix.iovec{.{ .base = &copy, .len = copy.len }};
    const remote = [_]std.posix.iovec_const{.{ .base = status.ptr, .len = copy.len }};
    _ = try sys.check(linux.process_vm_readv(sys.gettid(), &local, &remote, 0));
    try testing.expectEqualSlices(u8, status[0..8], &copy);
    const pidfd = try sys.pidfd_open(sys.getpid());
    sys.close(pidfd);
    // Not a listener: the kernel refuses the request (ENOTTY), the filter lets it through.
    try testing.expect(!notify.id_valid(listener_fd, 1));
}

fn run_emu(outcome: *Outcome, program: []const sandbox_filter.SockFilter, listener_fd: i32) void {
    outcome.result = emu_calls(program, listener_fd);
}

fn mon_calls(emu_program: []const sandbox_filter.SockFilter, listener_fd: i32) !void {
    const ctx = try build(.mon, test_params(listener_fd));
    try load(ctx);
    scmp.release(ctx);
    var outcome: Outcome = .{};
    // glibc tries clone3 (ENOSYS here), then clone with a thread's flags.
    const thread = try std.Thread.spawn(.{ .stack_size = 256 * 1024 }, run_emu, .{ &outcome, emu_program, listener_fd });
    thread.join();
    try outcome.result;
    try testing.expect(!notify.id_valid(listener_fd, 1));
}

fn run_mon(outcome: *Outcome, emu_program: []const sandbox_filter.SockFilter, listener_fd: i32) void {
    outcome.result = mon_calls(emu_program, listener_fd);
}

test "a thread confined as the monitor spawns an emulator that confines itself in turn" {
    const fds = try sys.pipe(true);
    defer sys.close(fds[0]);
    defer sys.close(fds[1]);
    var buf: [sandbox_filter.program_len_max + 1]sandbox_filter.SockFilter = undefined;
    const program = try exported(.emu, test_params(fds[0]), &buf);
    var outcome: Outcome = .{};
    const thread = try std.Thread.spawn(.{}, run_mon, .{ &outcome, program, fds[0] });
    thread.join();
    try outcome.result;
}

fn int_calls(listener_fd: i32) !void {
    const ctx = try build(.int, test_params(listener_fd));
    try load(ctx);
    scmp.release(ctx);
    var path_buf: [64]u8 = undefined;
    const path = try std.fmt.bufPrintZ(&path_buf, "/proc/{d}/status", .{sys.gettid()});
    const fd: i32 = @intCast(try sys.retry(linux.open, .{ path.ptr, linux.O{ .CLOEXEC = true }, @as(linux.mode_t, 0) }));
    defer sys.close(fd);
    var buf: [4096]u8 = undefined;
    const len = try sys.retry(linux.pread, .{ fd, &buf, buf.len, 0 });
    try testing.expect(std.mem.indexOf(u8, buf[0..len], "SigBlk:") != null);
    try testing.expect(!notify.id_valid(listener_fd, 1));
    // The interrupt signal at this very thread, blocked: it stays pending and dies with it.
    try sys.sigmask_set(sys.sig_bit(linux.SIG.ALRM));
    try sys.tgkill(sys.getpid(), sys.gettid(), linux.SIG.ALRM);
}

fn run_int(outcome: *Outcome, listener_fd: i32) void {
    outcome.result = int_calls(listener_fd);
}

test "a thread confined as the interrupter reads a status file and signals a thread of syd" {
    const fds = try sys.pipe(true);
    defer sys.close(fds[0]);
    defer sys.close(fds[1]);
    var outcome: Outcome = .{};
    const thread = try std.Thread.spawn(.{}, run_int, .{ &outcome, fds[0] });
    thread.join();
    try outcome.result;
}

/// Forks a child that loads `program` and runs `f` (raw system calls only), which returns its
/// exit status; returns the child's wait status. A call the filter refuses kills the child.
fn in_child(program: []const sandbox_filter.SockFilter, comptime f: fn () u8) !u32 {
    const pid = try std.posix.fork();
    if (pid == 0) {
        load_program(program) catch linux.exit(100);
        linux.exit(f()); // SYS_exit: the child has one thread
    }
    return sys.wait_exit(pid);
}

fn killed_by_filter(status: u32) bool {
    return linux.W.IFSIGNALED(status) and linux.W.TERMSIG(status) == linux.SIG.SYS;
}

const refused_calls = struct {
    fn execve() u8 {
        _ = linux.execve("/bin/true", &.{null}, &.{null});
        return 1;
    }
    fn unshare_user() u8 {
        _ = linux.unshare(linux.CLONE.NEWUSER);
        return 1;
    }
    fn ioctl_other_fd() u8 {
        var request: notify.Notif = std.mem.zeroes(notify.Notif);
        _ = linux.ioctl(0, notify.ioctl_recv, @intFromPtr(&request));
        return 1;
    }
    fn tgkill_kill() u8 {
        _ = linux.tgkill(linux.getpid(), linux.gettid(), linux.SIG.KILL);
        return 1;
    }
    /// clone3 answers ENOSYS, executable memory EACCES: failures, not deaths.
    fn soft_failures() u8 {
        const clone3 = linux.syscall2(.clone3, 0, 0);
        if (linux.E.init(clone3) != .NOSYS) return 2;
        const map = linux.mmap(null, 4096, linux.PROT.READ | linux.PROT.EXEC, .{ .TYPE = .PRIVATE, .ANONYMOUS = true }, -1, 0);
        if (linux.E.init(map) != .ACCES) return 3;
        return 0;
    }
};

test "calls outside a kind's allow-list kill the process, or fail where they must" {
    var buf: [sandbox_filter.program_len_max + 1]sandbox_filter.SockFilter = undefined;
    const params = test_params(1000);
    try testing.expect(killed_by_filter(try in_child(try exported(.out, params, &buf), refused_calls.execve)));
    try testing.expect(killed_by_filter(try in_child(try exported(.emu, params, &buf), refused_calls.execve)));
    try testing.expect(killed_by_filter(try in_child(try exported(.emu, params, &buf), refused_calls.ioctl_other_fd)));
    try testing.expect(killed_by_filter(try in_child(try exported(.int, params, &buf), refused_calls.tgkill_kill)));
    const mon_program = try exported(.mon, params, &buf);
    try testing.expect(killed_by_filter(try in_child(mon_program, refused_calls.unshare_user)));
    const status = try in_child(mon_program, refused_calls.soft_failures);
    try testing.expect(linux.W.IFEXITED(status));
    try testing.expectEqual(@as(u32, 0), linux.W.EXITSTATUS(status));
}
