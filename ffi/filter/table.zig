//! Every x86_64 system call, by number, with its one disposition in the sandbox's filter:
//! trapped (the handler family of handlers/mod.zig `handle` that decides it), allowed (why it
//! reaches no path, address or process outside the sandbox), or answered by the filter itself
//! with an errno (always, or when its register arguments say so). filter/sandbox.zig builds the
//! seccomp program from this table alone; numbers above it answer ENOSYS.
//!
//! Needs: nothing at run time (comptime data); `check` proves, at compile time, one row per
//! number from 0 to `nr_max`.
//! Assumes: x86_64 numbering (arch/x86/entry/syscalls/syscall_64.tbl up to Linux 6.17); the
//! names are Zig's `std.os.linux.SYS` names where it has them (`fstatat64` is the kernel's
//! newfstatat). Calls of other ABIs never reach the table: the filter kills them.

const std = @import("std");
const assert = std.debug.assert;
const E = std.os.linux.E;
const scmp = @import("scmp.zig");

/// The highest number the table knows: file_setattr (Linux 6.17).
pub const nr_max: usize = 469;

/// The function of handlers/ that decides a trapped call (handlers/mod.zig `handle`).
pub const Handler = enum {
    /// open.handle
    open,
    /// stat.handle
    stat,
    /// exec.handle
    exec,
    /// mknod.handle
    mknod,
    /// truncate.handle
    truncate,
    /// dirops.mkdir
    mkdir,
    /// dirops.unlink
    unlink,
    /// dirops.symlink
    symlink,
    /// dirops.rename
    rename,
    /// metadata.chmod
    chmod,
    /// metadata.chown
    chown,
    /// metadata.utime
    utime,
    /// metadata.xattr
    xattr,
    /// metadata.xattr_read
    xattr_read,
    /// dir.chdir
    chdir,
    /// dir.chroot
    chroot,
    /// dir.getdents
    getdents,
    /// dir.ioctl
    ioctl,
    /// net.handle
    net,
    /// net.socket
    socket,
    /// net.socketpair: UNIX pairs judged for net/bind as `!unnamed`
    socketpair,
    /// net.sockname: the path a UNIX socket syd bound was given, not the name syd bound it by
    sockname,
    /// net.peercred: SO_PEERCRED names the sandboxed process whose connect syd performed
    sockopt,
    /// net.setsockopt: the filter's refusals, and SO_PASSCRED/SO_PASSPIDFD judged as `!unnamed`
    setsockopt,
    /// unix_names.recv: MSG_OOB refused; a UNIX sender's name is the one its program gave
    recv,
    /// unix_names.peername: the peer of a UNIX socket syd bound answers the path it was given
    peername,
    /// unix_names.accept: a client syd bound is named by the path its program gave
    accept,
    /// watch.handle
    watch,
    /// anonfd.handle: a file descriptor naming no path, judged for create by its kind's name
    anonfd,
    /// signal.rt_sigaction: not judged; which signals restart calls (workers/int.zig)
    signal,
    /// process.ptrace: PTRACE_TRACEME succeeds once per thread, as if nobody traced it
    ptrace,
    /// process.ipc: System V IPC of unsafe modes, SHM_EXEC, IPC_SET and MSG_COPY kill the caller
    ipc,
    /// sysinfo.handle: made-up numbers instead of the host's
    sysinfo,
    /// memory.handle: memory sandboxing's limits, checked before the kernel maps
    memory,
    /// exec/mmap.zig: a file mapped executable, judged for exec and Force (then memory)
    mmap,
    /// setid.handle: SafeSetID's transits (`setuid+`, `setgid+`), judged on the caller's ids
    setid,
    /// setid.setgroups: under `setgid+` transits, every supplementary group dropped
    setgroups,
};

/// A filter option (a field of filter/sandbox.zig `Options`) under which a call is trapped.
pub const Option = enum {
    /// ioctl sandboxing may be on (terminals call ioctl constantly: trapped only then).
    trap_ioctl,
    /// network sandboxing may be on (socketpair, getsockname, getsockopt, setsockopt).
    trap_socket,
    /// create sandboxing may be on (pipes, eventfds, memfds... are judged by their kind's name).
    trap_create,
    /// trace/allow_unsafe_futex: priority-inheritance futex operations let through.
    allow_unsafe_futex,
    /// trace/allow_unsafe_cbpf: the sandbox may stack seccomp filters of its own.
    allow_unsafe_cbpf,
    /// trace/allow_unsafe_shm: System V IPC let through (checked by `perm_shm`, `copy`).
    allow_unsafe_shm,
    /// trace/allow_unsafe_perm_shm: System V IPC objects of any mode, SHM_EXEC, IPC_SET.
    allow_unsafe_perm_shm,
    /// trace/allow_unsafe_copy: msgrcv's MSG_COPY let through.
    allow_unsafe_copy,
    /// trace/allow_unsafe_personality: every personality(2) persona let through.
    allow_unsafe_personality,
    /// trace/allow_unsafe_sysinfo: sysinfo(2) answered by the kernel, not made up.
    allow_unsafe_sysinfo,
    /// trace/allow_unsafe_oob: the MSG_OOB and SO_OOBINLINE refusals (`Refusal.unless`) lifted.
    allow_oob,
    /// trace/allow_unsafe_exec_memory: W^X lifted (writable and executable, anonymous or shared
    /// executable mappings, and mprotect adding PROT_EXEC are let through; JITs need it).
    allow_unsafe_exec_memory,
    /// Memory sandboxing was on when the sandbox started (mmap, brk and mremap are judged).
    trap_memory,
    /// Exec, Force or TPE sandboxing was on when the sandbox started: mmap of a file with
    /// PROT_EXEC is judged (exec/mmap.zig).
    trap_mmap_exec,
    /// List sandboxing was on when the sandbox started: getdents64 is performed by syd, which
    /// leaves hidden entries out (the original's `sandbox/list` is static: on only at start).
    trap_list,
    /// SafeSetID has uid transits (`setuid+`): setuid, setreuid and setresuid are judged.
    trap_setuid,
    /// SafeSetID has gid transits (`setgid+`): setgid, setregid, setresgid, setgroups.
    trap_setgid,
};

/// An errno the filter answers with when every comparison of `args` holds (none: always).
pub const Refusal = struct {
    errno: E,
    args: []const scmp.ArgCmp = &.{},
    /// A relaxation: the refusal is not made while this filter option is set.
    unless: ?Option = null,
    /// Why, for `-E pfc` readers and reviewers.
    why: []const u8,
};

/// The filter's own answer. Unconditional: one refusal without comparisons. Conditional: the
/// refusals (one errno) apply where their comparisons hold, and the call is let through
/// elsewhere, for the reason `otherwise` gives.
pub const Answer = struct {
    refusals: []const Refusal,
    otherwise: ?[]const u8 = null,
};

/// What a conditionally trapped call gets while its option is off.
pub const Fallback = union(enum) {
    allow: []const u8,
    answer: Answer,
};

pub const Disposition = union(enum) {
    /// Sent to syd's notify listener, for this handler.
    trap: Handler,
    /// Stopped for syd's tracer (SECCOMP_RET_TRACE, workers/trace.zig), which judges it and
    /// checks it again when it returns; trapped for `handler` instead while the sandbox is not
    /// traced (trace/allow_unsafe_ptrace).
    trace: Handler,
    /// Trapped while `option` is set; otherwise as `otherwise` says.
    trap_if: struct { option: Option, handler: Handler, otherwise: Fallback },
    /// Let through: why it reaches no path, address or process outside the sandbox (or, for
    /// the rows marked `// review:`, which gap it leaves).
    allow: []const u8,
    /// Answered by the filter: the kernel never runs it where a refusal applies.
    answer: Answer,
    /// SECCOMP_RET_KILL_PROCESS (the process dies of SIGSYS), as the original kills it: why.
    kill: []const u8,
    /// Decided by its register arguments: each case's action where its comparisons hold (the
    /// cases are disjoint), `rest` elsewhere.
    by_args: ByArgs,
    /// As `set` says while `option` is set, as `unset` says otherwise (a relaxation's two
    /// sides).
    choose: struct { option: Option, set: *const Disposition, unset: *const Disposition },
};

/// What the filter does with a call of `Disposition.by_args`.
pub const Act = union(enum) {
    allow,
    /// Answered with this errno (0: a no-op that succeeds).
    errno: E,
    /// SECCOMP_RET_KILL_PROCESS: the process dies of SIGSYS, as the original kills.
    kill,
    /// Sent to syd's notify listener, for this handler.
    trap: Handler,
    /// Stopped for syd's tracer, as `Disposition.trace`.
    trace: Handler,
};

pub const Case = struct {
    act: Act,
    /// At least one comparison; the kernel's view (32-bit ints compared masked).
    args: []const scmp.ArgCmp,
    why: []const u8,
};

pub const ByArgs = struct {
    cases: []const Case,
    /// What every call no case matches gets; ENOSYS is the program's default (no rule).
    rest: Act,
    why_rest: []const u8,
};

pub const Row = struct {
    nr: u16,
    /// The call's name ("(none)" for a number no x86_64 call has).
    name: []const u8,
    disposition: Disposition,
};

/// What `check` finds wrong with a table, by system call number.
pub const Defect = union(enum) {
    /// No row for this number.
    missing: usize,
    /// A second row for this number, or one out of order.
    misplaced: usize,
    /// A row past the last number the table should cover.
    beyond: usize,
    /// A disposition the filter cannot express (see `disposition_valid`).
    malformed: usize,
};

/// Whether `table` has exactly one well-formed row for every number from 0 to `last`, in
/// order; the first defect otherwise.
pub fn check(table: []const Row, last: usize) ?Defect {
    for (table, 0..) |r, i| {
        if (r.nr > i) return .{ .missing = i };
        if (r.nr < i) return .{ .misplaced = r.nr };
        if (i > last) return .{ .beyond = r.nr };
        if (!disposition_valid(r.disposition)) return .{ .malformed = r.nr };
    }
    if (table.len <= last) return .{ .missing = table.len };
    return null;
}

/// A reason is given for every call let through; an answer is either one unconditional refusal,
/// or refusals with comparisons (at most six, each on an argument 0..5), one errno among them,
/// and a reason for the rest. A conditional ENOSYS cannot be told apart from the filter's
/// default (libseccomp refuses a rule with the default's action), so it is not allowed.
pub fn disposition_valid(disposition: Disposition) bool {
    return switch (disposition) {
        .trap, .trace => true,
        .trap_if => |t| switch (t.otherwise) {
            .allow => |why| why.len > 0,
            .answer => |a| answer_valid(a),
        },
        .allow => |why| why.len > 0,
        .answer => |a| answer_valid(a),
        .kill => |why| why.len > 0,
        .by_args => |b| by_args_valid(b),
        .choose => |c| disposition_valid(c.set.*) and disposition_valid(c.unset.*),
    };
}

/// Cases with one to six comparisons each, reasons for all; ENOSYS only as `rest` (a
/// conditional ENOSYS cannot be told apart from the default, see `disposition_valid`).
fn by_args_valid(b: ByArgs) bool {
    if (b.cases.len == 0 or b.why_rest.len == 0) return false;
    for (b.cases) |c| {
        if (c.why.len == 0 or c.args.len == 0 or c.args.len > scmp.arg_cmps_max) return false;
        if (c.act == .errno and c.act.errno == .NOSYS) return false;
        for (c.args) |cmp| if (cmp.arg >= scmp.arg_cmps_max) return false;
    }
    return true;
}

/// The action `b` takes for a call with arguments `args`, as the filter does.
pub fn by_args_act(b: ByArgs, args: [6]u64) Act {
    for (b.cases) |c| {
        const holds = for (c.args) |cmp| {
            if (!cmp_holds(cmp, args)) break false;
        } else true;
        if (holds) return c.act;
    }
    return b.rest;
}

/// The lowest argument any case of `b` compares.
pub fn by_args_lowest(b: ByArgs) c_uint {
    assert(b.cases.len > 0);
    var lowest: c_uint = scmp.arg_cmps_max;
    for (b.cases) |c| for (c.args) |cmp| {
        lowest = @min(lowest, cmp.arg);
    };
    assert(lowest < scmp.arg_cmps_max);
    return lowest;
}

fn answer_valid(a: Answer) bool {
    if (a.refusals.len == 0) return false;
    const first = a.refusals[0];
    if (first.args.len == 0) return a.refusals.len == 1 and a.otherwise == null and first.why.len > 0;
    if (first.errno == .NOSYS) return false;
    const otherwise = a.otherwise orelse return false;
    if (otherwise.len == 0) return false;
    for (a.refusals) |r| {
        if (r.errno != first.errno or r.why.len == 0) return false;
        if (r.args.len == 0 or r.args.len > scmp.arg_cmps_max) return false;
        for (r.args) |cmp| if (cmp.arg >= scmp.arg_cmps_max) return false;
    }
    return true;
}

/// The errno `answer` gives a call with arguments `args`, as the filter does: the first refusal
/// whose comparisons all hold, or null. For handlers of calls trapped only under an option,
/// which answer as the filter does while the call is not trapped.
pub fn refusal(answer: Answer, args: [6]u64) ?E {
    for (answer.refusals) |r| {
        const holds = for (r.args) |cmp| {
            if (!cmp_holds(cmp, args)) break false;
        } else true;
        if (holds) return r.errno;
    }
    return null;
}

/// As `refusal`, with the refusals that `relaxed` lifts (`Refusal.unless`) left out.
pub fn refusal_unless(answer: Answer, args: [6]u64, relaxed: ?Option) ?E {
    for (answer.refusals) |r| {
        if (r.unless != null and r.unless == relaxed) continue;
        const holds = for (r.args) |cmp| {
            if (!cmp_holds(cmp, args)) break false;
        } else true;
        if (holds) return r.errno;
    }
    return null;
}

/// libseccomp's comparison of one argument (64 bits; `masked_eq`: `(arg & a) == b`).
fn cmp_holds(cmp: scmp.ArgCmp, args: [6]u64) bool {
    assert(cmp.arg < args.len);
    const value = args[cmp.arg];
    return switch (cmp.op) {
        .ne => value != cmp.datum_a,
        .lt => value < cmp.datum_a,
        .le => value <= cmp.datum_a,
        .eq => value == cmp.datum_a,
        .ge => value >= cmp.datum_a,
        .gt => value > cmp.datum_a,
        .masked_eq => value & cmp.datum_a == cmp.datum_b,
    };
}

test "refusal answers as the filter's comparisons do" {
    const none = [_]u64{0} ** 6;
    try std.testing.expect(refusal(setsockopt_answer, none) == null);
    var hdrincl = none;
    hdrincl[2] = 3; // level 0 (IPPROTO_IP), IP_HDRINCL
    try std.testing.expectEqual(E.NOPROTOOPT, refusal(setsockopt_answer, hdrincl).?);
    hdrincl[1] = 0x1_0000_0000; // the kernel reads an int: the upper half is ignored
    try std.testing.expectEqual(E.NOPROTOOPT, refusal(setsockopt_answer, hdrincl).?);
    var oobinline = none;
    oobinline[1] = 1; // SOL_SOCKET, SO_OOBINLINE
    oobinline[2] = 10;
    try std.testing.expectEqual(E.NOPROTOOPT, refusal(setsockopt_answer, oobinline).?);
    try std.testing.expect(refusal_unless(setsockopt_answer, oobinline, .allow_oob) == null);
    try std.testing.expectEqual(E.NOPROTOOPT, refusal_unless(setsockopt_answer, hdrincl, .allow_oob).?);
    var notification = none;
    notification[1] = o_notification_pipe | 0o2000000; // with O_CLOEXEC
    try std.testing.expectEqual(E.NOPKG, refusal(pipe2_answer, notification).?);
}

/// The lowest argument any refusal of a conditional answer compares.
pub fn lowest_arg(a: Answer) c_uint {
    assert(a.refusals.len > 0 and a.otherwise != null);
    var lowest: c_uint = scmp.arg_cmps_max;
    for (a.refusals) |r| for (r.args) |cmp| {
        lowest = @min(lowest, cmp.arg);
    };
    assert(lowest < scmp.arg_cmps_max);
    return lowest;
}

fn row(nr: u16, name: []const u8, disposition: Disposition) Row {
    return .{ .nr = nr, .name = name, .disposition = disposition };
}

fn refuse(errno: E, why: []const u8) Disposition {
    return .{ .answer = .{ .refusals = &.{.{ .errno = errno, .why = why }} } };
}

/// Rows for the numbers `first..last` that no x86_64 call has (other architectures' calls,
/// the 32-bit time64 ones among them).
fn unused(comptime first: u16, comptime last: u16) [last - first + 1]Row {
    var out: [last - first + 1]Row = undefined;
    for (&out, first..) |*r, nr| r.* = row(@intCast(nr), "(none)", refuse(.NOSYS, "no x86_64 call has this number"));
    return out;
}

// Why a call let through reaches no path, address or process outside the sandbox.
const fd = "an fd the caller holds, judged when opened";
const new_fd = "a new fd of the caller's own, naming no path or address";
const memory = "memory of the caller only";
const own = "the caller's own process";
const children = "the caller's own children";
const process = "a new process or thread, inside the sandbox";
const pgid = "the caller or its own children, within its session";
const ids = "the caller's own credentials";
const ids_set = "the caller's own credentials: changing them needs a capability the sandbox does not hold";
const signals = "signals reach the sandbox's processes only: its Landlock domain scopes them (Linux 6.12)";
const clock = "reads a clock";
const clock_set = "reads a clock; setting it needs CAP_SYS_TIME, which the sandbox does not hold";
const info = "reads what any process may read of the system";
const peek = "reads what any process may read of another (ids, priority, affinity): changes nothing";
const caps = "needs a capability the sandbox does not hold";
const gone = "not in the kernel: it answers ENOSYS itself";
const aio = "asynchronous I/O on fds the caller holds";
const ptrace_checked = "another process only past the kernel's ptrace access check, which the sandbox's Landlock domain and syd's non-dumpability refuse";
const restrict = "restricts the caller only";
const seccomp = "restricts the caller only: the kernel refuses a second listener, so syd's stays the only one";
const syslog = "the kernel's log, as the host's dmesg_restrict allows; changing it needs CAP_SYSLOG";
const sync = "writes every file system's caches back: names nothing";
const pidfd = "a pidfd: what acts through one is judged or refused (pidfd_send_signal scoped, pidfd_getfd and setns refused)";
const mrelease = "only a process already dying of SIGKILL: frees its memory sooner";
// Gaps: calls let through today that reach what syd does not judge yet.
/// POSIX message queues and keyrings are global objects shared with processes outside (memory
/// squatting, keys of the user's other sessions): refused, as the original refuses them by
/// default (its trace/allow_unsafe_msgqueue and _keyring options are not implemented); the
/// kernel answers ENOSYS without CONFIG_POSIX_MQUEUE or CONFIG_KEYS, which programs handle.
/// System V IPC: `shm_row`.
const why_ipc = "POSIX message queues of the host's IPC namespace are shared with processes outside (the original refuses them)";
const why_keys = "the user's keyrings are shared with its processes outside (the original refuses them)";
const why_bpf = "BPF objects are pinned and got by bpffs paths syd does not judge, and the rest needs CAP_BPF (the original refuses it)";

// Why the filter answers a call itself.
const why_bypass = "performs path calls without a system call syd could judge";
const why_reach = "reaches into another process: syd or one outside the sandbox (the original answers ENOSYS)";
const why_view = "would change the sandbox's view of the file system, under which paths are judged";
/// Refused by the original too (its list of calls a sandbox never needs): handles and quotas of
/// any path, mounts by id (hidden ones included), libraries loaded by path.
const why_original_dead = "names a file or mount syd does not judge, refused as the original refuses it";
const why_unjudged = "names a file by a call syd does not judge yet: answered as an older kernel would";
const why_ns = "new namespaces would remap paths, users and addresses syd judges (the original: EPERM)";
const why_handle = "opens a file by handle, with no path to judge";
const why_uffd = "would let the caller stall syd's reads of its memory";
/// ptrace is a no-op for every request (as the original; PTRACE_TRACEME too, or syd would
/// become the tracer of its first process and stop it at exec).
const why_ptrace = "a no-op: tracing would reach syd, outside processes, or rewrite a call after syd judged it";

/// `(argument & flag) == flag`: the flag is set.
fn flag_set(index: c_uint, flag: u64) [1]scmp.ArgCmp {
    return .{.{ .arg = index, .op = .masked_eq, .datum_a = flag, .datum_b = flag }};
}

/// Both arguments equal, compared as the kernel reads them (32-bit ints: the upper half of the
/// register is ignored, so `0x1_0000_0000` is 0 here as it is to the kernel).
fn eq2(index_a: c_uint, a: u32, index_b: c_uint, b: u32) [2]scmp.ArgCmp {
    return .{ .{ .arg = index_a, .op = .masked_eq, .datum_a = 0xffff_ffff, .datum_b = a }, .{ .arg = index_b, .op = .masked_eq, .datum_a = 0xffff_ffff, .datum_b = b } };
}

/// Namespace flags of clone(2) and unshare(2) (CLONE_NEWTIME only unshare: in clone(2) that bit
/// belongs to the exit signal).
const clone_newns: u64 = 0x00020000;
const clone_newcgroup: u64 = 0x02000000;
const clone_newuts: u64 = 0x04000000;
const clone_newipc: u64 = 0x08000000;
const clone_newuser: u64 = 0x10000000;
const clone_newpid: u64 = 0x20000000;
const clone_newnet: u64 = 0x40000000;
const clone_newtime: u64 = 0x00000080;
const clone_namespaces = [_]u64{ clone_newns, clone_newcgroup, clone_newuts, clone_newipc, clone_newuser, clone_newpid, clone_newnet };

fn namespace_flags(comptime flags: []const u64) [flags.len]Refusal {
    var out: [flags.len]Refusal = undefined;
    for (flags, 0..) |flag, i| out[i] = .{ .errno = .PERM, .args = &flag_set(0, flag), .why = why_ns };
    return out;
}

/// CLONE_UNTRACED: the new task would not be traced, and its execs and chdirs would go
/// unchecked after the call (found by review). Only kernel threads need it.
const clone_untraced: u64 = 0x00800000;
const why_untraced = "the new process or thread would escape syd's tracer, which checks exec and chdir after the call";
/// Memory shared with another process but a vfork child (CLONE_VM without CLONE_THREAD or
/// CLONE_VFORK), or an fd table shared with another process (CLONE_FILES without CLONE_THREAD):
/// syd would not find that process when it stops every task sharing a caller's memory and fds
/// around an executable mmap (exec/freeze.zig); nor a vfork child made with CLONE_PARENT, whose
/// creator is not its parent. glibc, musl, Go and Rust use none of them (threads share both with
/// CLONE_THREAD; posix_spawn and vfork use CLONE_VM with CLONE_VFORK).
const clone_vm: u64 = 0x100;
const clone_files: u64 = 0x400;
const clone_parent: u64 = 0x8000;
const clone_vfork: u64 = 0x4000;
const clone_thread: u64 = 0x10000;
const why_sharing = "memory or fds shared with a process that is no thread of the caller's (CLONE_VM without CLONE_THREAD or CLONE_VFORK, CLONE_FILES without CLONE_THREAD): syd stops every task sharing them while it checks an executable mmap (exec/freeze.zig), and finds only threads and vfork children";
const why_parent = "a vfork child made a sibling (CLONE_VM with CLONE_PARENT): syd finds the process a vfork child shares memory with as its parent (exec/freeze.zig)";
const clone_refusals = namespace_flags(&clone_namespaces) ++ [_]Refusal{
    .{ .errno = .PERM, .args = &flag_set(0, clone_untraced), .why = why_untraced },
    .{ .errno = .PERM, .args = &.{.{ .arg = 0, .op = .masked_eq, .datum_a = clone_vm | clone_thread | clone_vfork, .datum_b = clone_vm }}, .why = why_sharing },
    .{ .errno = .PERM, .args = &.{.{ .arg = 0, .op = .masked_eq, .datum_a = clone_files | clone_thread, .datum_b = clone_files }}, .why = why_sharing },
    .{ .errno = .PERM, .args = &.{.{ .arg = 0, .op = .masked_eq, .datum_a = clone_vm | clone_parent | clone_thread, .datum_b = clone_vm | clone_parent }}, .why = why_parent },
};
const unshare_refusals = namespace_flags(&(clone_namespaces ++ .{clone_newtime}));

const clone_row: Disposition = .{ .answer = .{ .refusals = &clone_refusals, .otherwise = process } };
const unshare_row: Disposition = .{ .answer = .{ .refusals = &unshare_refusals, .otherwise = "unshares the caller's own files, fs or semaphore undo list" } };
/// Resource limits of another process (syd's CPU time: SIGKILL; its fd limit: EMFILE).
const prlimit_row: Disposition = .{ .answer = .{
    .refusals = &.{.{ .errno = .PERM, .args = &.{.{ .arg = 0, .op = .ne, .datum_a = 0, .datum_b = 0 }}, .why = "another process's limits: syd's, or one outside the sandbox" }},
    .otherwise = "the caller's own limits",
} };
/// The kernel would take the IP header from the caller's data: not the address syd judged.
/// Trapped while network sandboxing is on (SO_PASSCRED and SO_PASSPIDFD make an unbound UNIX
/// socket autobind at its next connect or send: judged as `!unnamed`, net.zig `setsockopt`,
/// which answers with `refusal`); otherwise the filter refuses them.
const setsockopt_row: Disposition = .{ .trap_if = .{
    .option = .trap_socket,
    .handler = .setsockopt,
    .otherwise = .{ .answer = setsockopt_answer },
} };
pub const setsockopt_answer: Answer = .{
    .refusals = &.{
        .{ .errno = .NOPROTOOPT, .args = &eq2(1, 0, 2, 3), .why = "IP_HDRINCL: the packet's own header would name another address" },
        .{ .errno = .NOPROTOOPT, .args = &eq2(1, 41, 2, 36), .why = "IPV6_HDRINCL: the packet's own header would name another address" },
        .{ .errno = .NOPROTOOPT, .args = &eq2(1, 1, 2, 10), .unless = .allow_oob, .why = "SO_OOBINLINE: out-of-band data inline (the original refuses it with MSG_OOB)" },
    },
    .otherwise = fd,
};
/// ptrace: PTRACE_TRACEME (0, compared as the kernel's long) is trapped so that it succeeds
/// once per thread and fails EPERM after, as it would for an untraced thread (process.zig);
/// every other request is a no-op, as the original's.
const ptrace_row: Disposition = .{ .by_args = .{
    .cases = &.{.{ .act = .{ .trap = .ptrace }, .args = &.{.{ .arg = 0, .op = .eq, .datum_a = 0, .datum_b = 0 }}, .why = "PTRACE_TRACEME: succeeds once per thread, as for a thread nobody traces (hides syd's tracer)" }},
    .rest = .{ .errno = .SUCCESS },
    .why_rest = why_ptrace,
} };

/// futex(2) operations, as the original's trace/allow_unsafe_futex: the priority-inheritance
/// ones (CONFIG_FUTEX_PI: LOCK_PI, UNLOCK_PI, TRYLOCK_PI, WAIT_REQUEUE_PI, CMP_REQUEUE_PI,
/// LOCK_PI2), a kernel path with a history of exploitable bugs, answer ENOSYS as a kernel
/// without them would; the rest (and unknown commands: ENOSYS too) by the command's bits.
const futex_cmd_mask: u64 = 0xffff_f87f; // the command: FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME and the futex2 size bits cleared
const futex_cmds_safe = [_]u64{ 0, 1, 2, 3, 4, 5, 9, 10 }; // WAIT, WAKE, FD, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET, WAKE_BITSET
const futex_cases = cases: {
    var out: [futex_cmds_safe.len]Case = undefined;
    for (futex_cmds_safe, 0..) |cmd, i| out[i] = .{
        .act = .allow,
        .args = &.{.{ .arg = 1, .op = .masked_eq, .datum_a = futex_cmd_mask, .datum_b = cmd }},
        .why = memory,
    };
    break :cases out;
};
const futex_row: Disposition = .{ .choose = .{
    .option = .allow_unsafe_futex,
    .set = &.{ .allow = memory },
    .unset = &.{ .by_args = .{ .cases = &futex_cases, .rest = .{ .errno = .NOSYS }, .why_rest = "a priority-inheritance futex operation (CONFIG_FUTEX_PI), refused as the original refuses it (trace/allow_unsafe_futex)" } },
} };

/// prctl(2), compared as the kernel's int: PR_SET_PTRACER is a no-op (ptracer detection, as
/// the original); PR_SET_SECCOMP answers EINVAL and PR_GET_SECCOMP 0 unless
/// trace/allow_unsafe_cbpf (a filter of the sandbox's own could return an action that takes
/// precedence over syd's notification, and mode 2 would tell a process it is confined).
fn prctl_op(op: u32) [1]scmp.ArgCmp {
    return .{.{ .arg = 0, .op = .masked_eq, .datum_a = 0xffff_ffff, .datum_b = op }};
}
const why_ptracer = "PR_SET_PTRACER: a no-op, so that a process cannot tell syd's tracer by it (as the original)";
const why_cbpf = "a seccomp filter of the sandbox's own could take precedence over syd's notification (the original: EINVAL, trace/allow_unsafe_cbpf)";
const prctl_row: Disposition = .{ .choose = .{
    .option = .allow_unsafe_cbpf,
    .set = &.{ .by_args = .{
        .cases = &.{.{ .act = .{ .errno = .SUCCESS }, .args = &prctl_op(0x59616d61), .why = why_ptracer }},
        .rest = .allow,
        .why_rest = own,
    } },
    .unset = &.{ .by_args = .{
        .cases = &.{
            .{ .act = .{ .errno = .SUCCESS }, .args = &prctl_op(0x59616d61), .why = why_ptracer },
            .{ .act = .{ .errno = .INVAL }, .args = &prctl_op(22), .why = why_cbpf },
            .{ .act = .{ .errno = .SUCCESS }, .args = &prctl_op(21), .why = "PR_GET_SECCOMP: answers 0, so that a process cannot tell it is confined (as the original)" },
        },
        .rest = .allow,
        .why_rest = own,
    } },
} };
/// seccomp(2): SECCOMP_GET_ACTION_AVAIL and SECCOMP_GET_NOTIF_SIZES only, unless
/// trace/allow_unsafe_cbpf; every other operation EINVAL.
const seccomp_row: Disposition = .{ .choose = .{
    .option = .allow_unsafe_cbpf,
    .set = &.{ .allow = seccomp },
    .unset = &.{ .by_args = .{
        .cases = &.{
            .{ .act = .allow, .args = &prctl_op(2), .why = "SECCOMP_GET_ACTION_AVAIL: reads what the kernel supports" },
            .{ .act = .allow, .args = &prctl_op(3), .why = "SECCOMP_GET_NOTIF_SIZES: reads what the kernel supports" },
        },
        .rest = .{ .errno = .INVAL },
        .why_rest = why_cbpf,
    } },
} };

/// personality(2), as the original (and docker, podman): the personas of its allowlist, compared
/// as the kernel's 32 bits (PER_LINUX, PER_LINUX32, UNAME26, both, and 0xffffffff, which reads
/// the persona); any other is killed (SIGSYS), since READ_IMPLIES_EXEC would undo W^X and
/// ADDR_NO_RANDOMIZE, ADDR_COMPAT_LAYOUT and MMAP_PAGE_ZERO weaken ASLR and NULL-page
/// protection. The original answers ENOSYS to the few legacy personas (PER_BSD, PER_SVR4...)
/// that carry none of those flags; here they are killed too. Not under
/// trace/allow_unsafe_personality. syd's child also drops those flags from its own persona
/// before it execs (spawn.zig), so a sandbox started under `setarch -R` runs randomised.
pub const personas_safe = [_]u64{ 0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff };
const personality_cases = cases: {
    var out: [personas_safe.len]Case = undefined;
    for (personas_safe, 0..) |persona, i| out[i] = .{
        .act = .allow,
        .args = &.{.{ .arg = 0, .op = .masked_eq, .datum_a = 0xffff_ffff, .datum_b = persona }},
        .why = "a persona of the original's allowlist (or 0xffffffff: reads the current one)",
    };
    break :cases out;
};
const personality_row: Disposition = .{ .choose = .{
    .option = .allow_unsafe_personality,
    .set = &.{ .allow = own },
    .unset = &.{ .by_args = .{ .cases = &personality_cases, .rest = .kill, .why_rest = "a persona off the allowlist: READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, ADDR_COMPAT_LAYOUT and MMAP_PAGE_ZERO weaken W^X and ASLR; killed as the original kills them (trace/allow_unsafe_personality)" } },
} };

/// System V IPC, as the original: killed (SIGSYS) unless trace/allow_unsafe_shm; then the
/// calls that make or change objects are trapped (process.zig kills the caller for modes open
/// to others, SHM_EXEC, IPC_SET and *_STAT_ANY) unless trace/allow_unsafe_perm_shm, and
/// msgrcv with MSG_COPY (a kernel path with a history of bugs) unless trace/allow_unsafe_copy.
const why_shm_kill = "System V IPC of the host's IPC namespace, shared with processes outside: killed as the original kills it (trace/allow_unsafe_shm)";
const why_shm = "System V IPC (trace/allow_unsafe_shm): objects shared with processes outside, by the caller's own choice";
fn shm_row(perm_checked: bool) Disposition {
    const checked: *const Disposition = if (perm_checked) &.{ .choose = .{
        .option = .allow_unsafe_perm_shm,
        .set = &.{ .allow = why_shm },
        .unset = &.{ .trap = .ipc },
    } } else &.{ .allow = why_shm };
    return .{ .choose = .{ .option = .allow_unsafe_shm, .set = checked, .unset = &.{ .kill = why_shm_kill } } };
}
pub const msg_copy: u64 = 0o40000;
const msgrcv_row: Disposition = .{ .choose = .{
    .option = .allow_unsafe_shm,
    .set = &.{ .choose = .{
        .option = .allow_unsafe_copy,
        .set = &.{ .allow = why_shm },
        .unset = &.{ .by_args = .{
            .cases = &.{.{ .act = .{ .trap = .ipc }, .args = &flag_set(4, msg_copy), .why = "MSG_COPY: a kernel path with a history of bugs, the caller killed as the original kills it (trace/allow_unsafe_copy)" }},
            .rest = .allow,
            .why_rest = why_shm,
        } },
    } },
    .unset = &.{ .kill = why_shm_kill },
} };

/// MSG_OOB, as the original (3.37.5; trace/allow_unsafe_oob:1 lifts it, `Refusal.unless`):
/// out-of-band data takes separate kernel paths with a history of memory-safety bugs. Sends are
/// refused by net.zig (they are trapped); receives here, by their flags argument.
pub const msg_oob: u64 = 0x1;
const why_oob = "MSG_OOB: out-of-band data, a kernel path with a history of memory-safety bugs (the original refuses it)";
/// Trapped while network sandboxing may be on (unix_names.zig): a sender syd bound is named as
/// its program named it, not by the name syd bound it by.
fn recv_row(flags_index: c_uint) Disposition {
    return .{ .trap_if = .{ .option = .trap_socket, .handler = .recv, .otherwise = .{ .answer = .{
        .refusals = &.{.{ .errno = .OPNOTSUPP, .args = &flag_set(flags_index, msg_oob), .unless = .allow_oob, .why = why_oob }},
        .otherwise = fd,
    } } } };
}

/// Priorities, scheduling and affinity of the caller alone (pid 0): of another process of the
/// same user (syd, its process group, every process of the user) they would reach syd and
/// processes outside. Compared as 64 bits: a value whose low half names another process is never
/// 0 (a zero low half with upper bits set is refused too, though the kernel reads it as 0).
const why_nice = "the priority, scheduling or CPUs of another process, its group or its user: syd's, or outside the sandbox";
const own_only = "the caller's own priority, scheduling or CPUs";
fn not_zero(index: c_uint) scmp.ArgCmp {
    return .{ .arg = index, .op = .ne, .datum_a = 0, .datum_b = 0 };
}
/// setpriority(which, who, prio) and ioprio_set(which, who, prio): PRIO_PROCESS (0) and
/// IOPRIO_WHO_PROCESS (1) of who 0 only.
const setpriority_row: Disposition = .{ .answer = .{
    .refusals = &.{
        .{ .errno = .PERM, .args = &.{not_zero(0)}, .why = why_nice },
        .{ .errno = .PERM, .args = &.{not_zero(1)}, .why = why_nice },
    },
    .otherwise = own_only,
} };
const ioprio_row: Disposition = .{ .answer = .{
    .refusals = &.{
        .{ .errno = .PERM, .args = &.{.{ .arg = 0, .op = .ne, .datum_a = 1, .datum_b = 0 }}, .why = why_nice },
        .{ .errno = .PERM, .args = &.{not_zero(1)}, .why = why_nice },
    },
    .otherwise = own_only,
} };
/// sched_setparam, sched_setscheduler, sched_setaffinity, sched_setattr: pid 0 only.
const sched_row: Disposition = .{ .answer = .{
    .refusals = &.{.{ .errno = .PERM, .args = &.{not_zero(0)}, .why = why_nice }},
    .otherwise = own_only,
} };

/// ioctl requests refused whatever the policy: USERFAULTFD_IOC_NEW makes a userfaultfd from
/// /dev/userfaultfd (see userfaultfd). The policy's denylist (TIOCSTI, TIOCLINUX, ...) is a
/// filter of its own (filter/ioctl.zig). The kernel reads the request as 32 bits: only those
/// are compared. Where ioctl is trapped, handlers/dir.zig refuses it itself.
pub const ioctls_refused = [_]u32{0xAA00};

const ioctl_refusals = refusals: {
    var out: [ioctls_refused.len]Refusal = undefined;
    for (ioctls_refused, 0..) |request, i| out[i] = .{
        .errno = .PERM,
        .args = &.{.{ .arg = 1, .op = .masked_eq, .datum_a = 0xffff_ffff, .datum_b = request }},
        .why = "USERFAULTFD_IOC_NEW: a userfaultfd, refused as the userfaultfd call",
    };
    break :refusals out;
};

/// getdents64 (and the old getdents, which syd does not emulate: ENOSYS while trapped): the
/// kernel lists the directory while list sandboxing was off at start.
const getdents_row: Disposition = .{ .trap_if = .{
    .option = .trap_list,
    .handler = .getdents,
    .otherwise = .{ .allow = "an fd the caller holds, judged when opened (readdir)" },
} };
const ioctl_row: Disposition = .{ .trap_if = .{
    .option = .trap_ioctl,
    .handler = .ioctl,
    .otherwise = .{ .answer = .{ .refusals = &ioctl_refusals, .otherwise = fd } },
} };
const anonfd_row: Disposition = .{ .trap_if = .{
    .option = .trap_create,
    .handler = .anonfd,
    .otherwise = .{ .allow = new_fd },
} };
/// O_NOTIFICATION_PIPE (O_EXCL's bit), refused as the original refuses it by default (ENOPKG,
/// as a kernel without CONFIG_WATCH_QUEUE; its trace/allow_unsafe_pipe is not offered): a
/// rarely used kernel path with a history of bugs. Trapped, anonfd.zig answers with `refusal`.
pub const o_notification_pipe: u64 = 0o200;
pub const pipe2_answer: Answer = .{
    .refusals = &.{.{ .errno = .NOPKG, .args = &flag_set(1, o_notification_pipe), .why = "O_NOTIFICATION_PIPE: watch-queue pipes, refused as the original refuses them" }},
    .otherwise = new_fd,
};
const pipe2_row: Disposition = .{ .trap_if = .{
    .option = .trap_create,
    .handler = .anonfd,
    .otherwise = .{ .answer = pipe2_answer },
} };
/// socket(2), always trapped: the families the original refuses whatever the sandbox's state
/// (netlink, kernel crypto, packet, raw, families syd cannot judge) answer several errnos, which
/// one filter answer cannot (net.zig `socket`).
const socket_row: Disposition = .{ .trap = .socket };

/// One row per number, 0 to `nr_max`, in order.
/// The highest uid and gid of system users and groups (the original's UID_MIN - 1 and
/// GID_MIN - 1): no sandboxed process may change to one.
pub const uid_system_max: u32 = 11;
pub const gid_system_max: u32 = 14;

/// Masked comparisons that hold where the low 32 bits of argument `arg` (the kernel's uid_t or
/// gid_t) are at most `max` (11 or 14): a power-of-two block at a time, so that no higher
/// 32-bit half of the register hides a small id, and -1 (no change) never matches.
fn system_id_cmps(comptime arg: c_uint, comptime max: u32) []const [1]scmp.ArgCmp {
    comptime {
        @setEvalBranchQuota(20000);
        var blocks: []const [1]scmp.ArgCmp = &.{};
        var start: u32 = 0;
        while (start <= max) {
            var size: u32 = 1;
            while (start % (size * 2) == 0 and start + size * 2 - 1 <= max) size *= 2;
            blocks = blocks ++ [_][1]scmp.ArgCmp{.{.{ .arg = arg, .op = .masked_eq, .datum_a = 0xffff_ffff & ~@as(u64, size - 1), .datum_b = start }}};
            start += size;
        }
        return blocks;
    }
}

/// setuid, setreuid, setresuid (`id_args` arguments) or the gid calls: an argument naming a
/// system user or group (at most `system_max`) is judged by handlers/setid.zig, which lets a
/// call that changes nothing run (GNU make as root calls setresuid(-1, 0, -1)) and kills the
/// caller of any other, as the original's filter does (EPERM with trace/allow_unsafe_setid);
/// the rest is judged too while SafeSetID has transits of the kind (`trap`), and otherwise left
/// to the kernel, where the sandbox holds no CAP_SETUID or CAP_SETGID.
fn setid_row(comptime id_args: c_uint, comptime system_max: u32, comptime trap: Option) Disposition {
    comptime {
        @setEvalBranchQuota(20000);
        const Variant = struct {
            fn of(rest: Act, why_rest: []const u8) Disposition {
                var cases: []const Case = &.{};
                for (0..id_args) |arg| {
                    for (system_id_cmps(arg, system_max)) |*cmp| {
                        cases = cases ++ [_]Case{.{ .act = .{ .trap = .setid }, .args = cmp, .why = "a system user or group (root included): a change to one kills, as the original's" }};
                    }
                }
                return .{ .by_args = .{ .cases = cases, .rest = rest, .why_rest = why_rest } };
            }
        };
        const judged = "judged on SafeSetID's transits (setuid+, setgid+)";
        const trapped = Variant.of(.{ .trap = .setid }, judged);
        const allowed = Variant.of(.allow, ids_set);
        return .{ .choose = .{ .option = trap, .set = &trapped, .unset = &allowed } };
    }
}

/// setgroups: under `setgid+` transits the caller keeps CAP_SETGID, so its list would be its own
/// to choose; as the original, syd's tracer makes every such call drop all supplementary groups.
const setgroups_row: Disposition = .{ .choose = .{
    .option = .trap_setgid,
    .set = &.{ .trace = .setgroups },
    .unset = &.{ .allow = ids_set },
} };

/// mmap, brk and mremap: judged against memory sandboxing's limits while it is on.
const memory_row: Disposition = .{ .trap_if = .{ .option = .trap_memory, .handler = .memory, .otherwise = .{ .allow = memory } } };

/// mmap of a file with PROT_EXEC (not MAP_ANONYMOUS): a library ld.so or dlopen maps, judged
/// for exec and Force and checked again at its exit (exec/mmap.zig); the rest as `memory_row`.
const mmap_exec_cmps = [_]scmp.ArgCmp{
    .{ .arg = 2, .op = .masked_eq, .datum_a = prot_exec, .datum_b = prot_exec },
    .{ .arg = 3, .op = .masked_eq, .datum_a = map_anonymous, .datum_b = 0 },
};
const mmap_exec_case = [_]Case{.{ .act = .{ .trace = .mmap }, .args = &mmap_exec_cmps, .why = "a file mapped executable runs its code: judged as an exec of it" }};
const mmap_w_x_row: Disposition = .{ .choose = .{
    .option = .trap_mmap_exec,
    .set = &.{ .choose = .{
        .option = .trap_memory,
        .set = &.{ .by_args = .{ .cases = &mmap_exec_case, .rest = .{ .trap = .memory }, .why_rest = "memory sandboxing's limits" } },
        .unset = &.{ .by_args = .{ .cases = &mmap_exec_case, .rest = .allow, .why_rest = memory } },
    } },
    .unset = &memory_row,
} };

const prot_write: u64 = 0x2;
const prot_exec: u64 = 0x4;
const map_shared: u64 = 0x1;
const map_anonymous: u64 = 0x20;
const why_w_x = "W^X (the original's, unless trace/allow_unsafe_exec_memory): memory both writable and executable, or executable and not backed by a private file mapping ld.so or dlopen judges, is code no exec check has seen; killed (SIGSYS) as the original kills it";
/// W^X, as the original's filter: the three kinds of mapping that would make code no exec
/// check sees are killed; a private file mapping with PROT_EXEC (not writable) is the one kind
/// left, judged as above. The cases are disjoint (PROT_WRITE and the flags compared with it).
const mmap_killed = [_]Case{
    .{ .act = .kill, .args = &.{.{ .arg = 2, .op = .masked_eq, .datum_a = prot_write | prot_exec, .datum_b = prot_write | prot_exec }}, .why = why_w_x },
    .{ .act = .kill, .args = &.{ .{ .arg = 2, .op = .masked_eq, .datum_a = prot_write | prot_exec, .datum_b = prot_exec }, .{ .arg = 3, .op = .masked_eq, .datum_a = map_anonymous, .datum_b = map_anonymous } }, .why = why_w_x },
    .{ .act = .kill, .args = &.{ .{ .arg = 2, .op = .masked_eq, .datum_a = prot_write | prot_exec, .datum_b = prot_exec }, .{ .arg = 3, .op = .masked_eq, .datum_a = map_anonymous | map_shared, .datum_b = map_shared } }, .why = why_w_x },
};
const mmap_private_exec_cmps = [_]scmp.ArgCmp{
    .{ .arg = 2, .op = .masked_eq, .datum_a = prot_write | prot_exec, .datum_b = prot_exec },
    .{ .arg = 3, .op = .masked_eq, .datum_a = map_anonymous | map_shared, .datum_b = 0 },
};
/// Under W^X the judged case is always stopped: besides exec, Force and TPE, the fd the file
/// is mapped through must not be open for writing (exec/mmap.zig), as the original checks.
const mmap_w_x_cases = mmap_killed ++ [_]Case{.{ .act = .{ .trace = .mmap }, .args = &mmap_private_exec_cmps, .why = "a file mapped executable runs its code: judged as an exec of it, and refused if its fd is open for writing" }};
const mmap_row: Disposition = .{ .choose = .{
    .option = .allow_unsafe_exec_memory,
    .set = &mmap_w_x_row,
    .unset = &.{ .choose = .{
        .option = .trap_memory,
        .set = &.{ .by_args = .{ .cases = &mmap_w_x_cases, .rest = .{ .trap = .memory }, .why_rest = "memory sandboxing's limits" } },
        .unset = &.{ .by_args = .{ .cases = &mmap_w_x_cases, .rest = .allow, .why_rest = memory } },
    } },
} };

/// mprotect and pkey_mprotect: adding PROT_EXEC to a mapping would run code no exec check saw
/// (a file mapped readable, anonymous memory written first): killed under W^X as the original.
const mprotect_killed = [_]Case{.{ .act = .kill, .args = &.{.{ .arg = 2, .op = .masked_eq, .datum_a = prot_exec, .datum_b = prot_exec }}, .why = why_w_x }};
const mprotect_row: Disposition = .{ .choose = .{
    .option = .allow_unsafe_exec_memory,
    .set = &.{ .allow = memory },
    .unset = &.{ .by_args = .{ .cases = &mprotect_killed, .rest = .allow, .why_rest = memory } },
} };

pub const rows = [_]Row{
    row(0, "read", .{ .allow = fd }),
    row(1, "write", .{ .allow = fd }),
    row(2, "open", .{ .trap = .open }),
    row(3, "close", .{ .allow = fd }),
    row(4, "stat", .{ .trap = .stat }),
    row(5, "fstat", .{ .allow = fd }),
    row(6, "lstat", .{ .trap = .stat }),
    row(7, "poll", .{ .allow = fd }),
    row(8, "lseek", .{ .allow = fd }),
    row(9, "mmap", mmap_row),
    row(10, "mprotect", mprotect_row),
    row(11, "munmap", .{ .allow = memory }),
    row(12, "brk", memory_row),
    row(13, "rt_sigaction", .{ .trap = .signal }),
    row(14, "rt_sigprocmask", .{ .allow = own }),
    row(15, "rt_sigreturn", .{ .allow = own }),
    row(16, "ioctl", ioctl_row),
    row(17, "pread64", .{ .allow = fd }),
    row(18, "pwrite64", .{ .allow = fd }),
    row(19, "readv", .{ .allow = fd }),
    row(20, "writev", .{ .allow = fd }),
    row(21, "access", .{ .trap = .stat }),
    row(22, "pipe", anonfd_row),
    row(23, "select", .{ .allow = fd }),
    row(24, "sched_yield", .{ .allow = own }),
    row(25, "mremap", memory_row),
    row(26, "msync", .{ .allow = memory }),
    row(27, "mincore", .{ .allow = memory }),
    row(28, "madvise", .{ .allow = memory }),
    row(29, "shmget", shm_row(true)),
    row(30, "shmat", shm_row(true)),
    row(31, "shmctl", shm_row(true)),
    row(32, "dup", .{ .allow = fd }),
    row(33, "dup2", .{ .allow = fd }),
    row(34, "pause", .{ .allow = own }),
    row(35, "nanosleep", .{ .allow = own }),
    row(36, "getitimer", .{ .allow = own }),
    row(37, "alarm", .{ .allow = own }),
    row(38, "setitimer", .{ .allow = own }),
    row(39, "getpid", .{ .allow = own }),
    row(40, "sendfile", .{ .allow = fd }),
    row(41, "socket", socket_row),
    row(42, "connect", .{ .trap = .net }),
    row(43, "accept", .{ .trap_if = .{ .option = .trap_socket, .handler = .accept, .otherwise = .{ .allow = fd } } }),
    row(44, "sendto", .{ .trap = .net }),
    row(45, "recvfrom", recv_row(3)),
    row(46, "sendmsg", .{ .trap = .net }),
    row(47, "recvmsg", recv_row(2)),
    row(48, "shutdown", .{ .allow = fd }),
    row(49, "bind", .{ .trap = .net }),
    row(50, "listen", .{ .allow = fd }),
    row(51, "getsockname", .{ .trap_if = .{ .option = .trap_socket, .handler = .sockname, .otherwise = .{ .allow = fd } } }),
    row(52, "getpeername", .{ .trap_if = .{ .option = .trap_socket, .handler = .peername, .otherwise = .{ .allow = fd } } }),
    row(53, "socketpair", .{ .trap_if = .{ .option = .trap_socket, .handler = .socketpair, .otherwise = .{ .allow = new_fd } } }),
    row(54, "setsockopt", setsockopt_row),
    row(55, "getsockopt", .{ .trap_if = .{ .option = .trap_socket, .handler = .sockopt, .otherwise = .{ .allow = fd } } }),
    row(56, "clone", clone_row),
    row(57, "fork", .{ .allow = process }),
    row(58, "vfork", .{ .allow = process }),
    row(59, "execve", .{ .trap = .exec }),
    row(60, "exit", .{ .allow = own }),
    row(61, "wait4", .{ .allow = children }),
    row(62, "kill", .{ .allow = signals }),
    row(63, "uname", .{ .allow = info }),
    row(64, "semget", shm_row(true)),
    row(65, "semop", shm_row(false)),
    row(66, "semctl", shm_row(true)),
    row(67, "shmdt", shm_row(false)),
    row(68, "msgget", shm_row(true)),
    row(69, "msgsnd", shm_row(false)),
    row(70, "msgrcv", msgrcv_row),
    row(71, "msgctl", shm_row(true)),
    row(72, "fcntl", .{ .allow = fd }),
    row(73, "flock", .{ .allow = fd }),
    row(74, "fsync", .{ .allow = fd }),
    row(75, "fdatasync", .{ .allow = fd }),
    row(76, "truncate", .{ .trap = .truncate }),
    row(77, "ftruncate", .{ .trap = .truncate }),
    row(78, "getdents", getdents_row),
    row(79, "getcwd", .{ .allow = own }),
    row(80, "chdir", .{ .trace = .chdir }),
    row(81, "fchdir", .{ .trace = .chdir }),
    row(82, "rename", .{ .trap = .rename }),
    row(83, "mkdir", .{ .trap = .mkdir }),
    row(84, "rmdir", .{ .trap = .unlink }),
    row(85, "creat", .{ .trap = .open }),
    row(86, "link", .{ .trap = .rename }),
    row(87, "unlink", .{ .trap = .unlink }),
    row(88, "symlink", .{ .trap = .symlink }),
    row(89, "readlink", .{ .trap = .stat }),
    row(90, "chmod", .{ .trap = .chmod }),
    row(91, "fchmod", .{ .trap = .chmod }),
    row(92, "chown", .{ .trap = .chown }),
    row(93, "fchown", .{ .trap = .chown }),
    row(94, "lchown", .{ .trap = .chown }),
    row(95, "umask", .{ .allow = own }),
    row(96, "gettimeofday", .{ .allow = clock }),
    row(97, "getrlimit", .{ .allow = own }),
    row(98, "getrusage", .{ .allow = own }),
    row(99, "sysinfo", .{
        .choose = .{
            .option = .allow_unsafe_sysinfo,
            .set = &.{ .allow = info },
            .unset = &.{ .trap = .sysinfo }, // the host's uptime, loads and memory: a side channel
        },
    }),
    row(100, "times", .{ .allow = own }),
    row(101, "ptrace", ptrace_row),
    row(102, "getuid", .{ .allow = ids }),
    row(103, "syslog", .{ .allow = syslog }),
    row(104, "getgid", .{ .allow = ids }),
    row(105, "setuid", setid_row(1, uid_system_max, .trap_setuid)),
    row(106, "setgid", setid_row(1, gid_system_max, .trap_setgid)),
    row(107, "geteuid", .{ .allow = ids }),
    row(108, "getegid", .{ .allow = ids }),
    row(109, "setpgid", .{ .allow = pgid }),
    row(110, "getppid", .{ .allow = own }),
    row(111, "getpgrp", .{ .allow = own }),
    row(112, "setsid", .{ .allow = own }),
    row(113, "setreuid", setid_row(2, uid_system_max, .trap_setuid)),
    row(114, "setregid", setid_row(2, gid_system_max, .trap_setgid)),
    row(115, "getgroups", .{ .allow = ids }),
    row(116, "setgroups", setgroups_row),
    row(117, "setresuid", setid_row(3, uid_system_max, .trap_setuid)),
    row(118, "getresuid", .{ .allow = ids }),
    row(119, "setresgid", setid_row(3, gid_system_max, .trap_setgid)),
    row(120, "getresgid", .{ .allow = ids }),
    row(121, "getpgid", .{ .allow = peek }),
    row(122, "setfsuid", .{ .answer = .{ .refusals = &.{.{ .errno = .NOSYS, .why = "deprecated, as the original's: filesystem ids follow the effective ids" }} } }),
    row(123, "setfsgid", .{ .answer = .{ .refusals = &.{.{ .errno = .NOSYS, .why = "deprecated, as the original's: filesystem ids follow the effective ids" }} } }),
    row(124, "getsid", .{ .allow = peek }),
    row(125, "capget", .{ .allow = peek }),
    row(126, "capset", .{ .allow = ids_set }),
    row(127, "rt_sigpending", .{ .allow = own }),
    row(128, "rt_sigtimedwait", .{ .allow = own }),
    row(129, "rt_sigqueueinfo", .{ .allow = signals }),
    row(130, "rt_sigsuspend", .{ .allow = own }),
    row(131, "sigaltstack", .{ .allow = own }),
    row(132, "utime", .{ .trap = .utime }),
    row(133, "mknod", .{ .trap = .mknod }),
    row(134, "uselib", refuse(.NOSYS, why_original_dead)),
    row(135, "personality", personality_row),
    row(136, "ustat", .{ .allow = info }),
    row(137, "statfs", .{ .trap = .stat }),
    row(138, "fstatfs", .{ .allow = fd }),
    row(139, "sysfs", .{ .allow = info }),
    row(140, "getpriority", .{ .allow = peek }),
    row(141, "setpriority", setpriority_row),
    row(142, "sched_setparam", sched_row),
    row(143, "sched_getparam", .{ .allow = peek }),
    row(144, "sched_setscheduler", sched_row),
    row(145, "sched_getscheduler", .{ .allow = peek }),
    row(146, "sched_get_priority_max", .{ .allow = info }),
    row(147, "sched_get_priority_min", .{ .allow = info }),
    row(148, "sched_rr_get_interval", .{ .allow = peek }),
    row(149, "mlock", .{ .allow = memory }),
    row(150, "munlock", .{ .allow = memory }),
    row(151, "mlockall", .{ .allow = memory }),
    row(152, "munlockall", .{ .allow = memory }),
    row(153, "vhangup", .{ .allow = caps }),
    row(154, "modify_ldt", .{ .allow = memory }),
    row(155, "pivot_root", refuse(.PERM, why_view)),
    row(156, "sysctl", .{ .allow = gone }),
    row(157, "prctl", prctl_row),
    row(158, "arch_prctl", .{ .allow = own }),
    row(159, "adjtimex", .{ .allow = clock_set }),
    row(160, "setrlimit", .{ .allow = own }),
    row(161, "chroot", .{ .trap = .chroot }),
    row(162, "sync", .{ .allow = sync }),
    row(163, "acct", .{ .allow = caps }),
    row(164, "settimeofday", .{ .allow = clock_set }),
    row(165, "mount", refuse(.NOSYS, why_view)),
    row(166, "umount2", refuse(.NOSYS, why_view)),
    row(167, "swapon", .{ .allow = caps }),
    row(168, "swapoff", .{ .allow = caps }),
    row(169, "reboot", .{ .allow = caps }),
    row(170, "sethostname", .{ .allow = caps }),
    row(171, "setdomainname", .{ .allow = caps }),
    row(172, "iopl", .{ .allow = caps }),
    row(173, "ioperm", .{ .allow = caps }),
    row(174, "create_module", .{ .allow = gone }),
    row(175, "init_module", .{ .allow = caps }),
    row(176, "delete_module", .{ .allow = caps }),
    row(177, "get_kernel_syms", .{ .allow = gone }),
    row(178, "query_module", .{ .allow = gone }),
    row(179, "quotactl", refuse(.NOSYS, why_original_dead)),
    row(180, "nfsservctl", .{ .allow = gone }),
    row(181, "getpmsg", .{ .allow = gone }),
    row(182, "putpmsg", .{ .allow = gone }),
    row(183, "afs_syscall", .{ .allow = gone }),
    row(184, "tuxcall", .{ .allow = gone }),
    row(185, "security", .{ .allow = gone }),
    row(186, "gettid", .{ .allow = own }),
    row(187, "readahead", .{ .allow = fd }),
    row(188, "setxattr", .{ .trap = .xattr }),
    row(189, "lsetxattr", .{ .trap = .xattr }),
    row(190, "fsetxattr", .{ .trap = .xattr }),
    row(191, "getxattr", .{ .trap = .xattr_read }),
    row(192, "lgetxattr", .{ .trap = .xattr_read }),
    row(193, "fgetxattr", .{ .allow = fd }),
    row(194, "listxattr", .{ .trap = .xattr_read }),
    row(195, "llistxattr", .{ .trap = .xattr_read }),
    row(196, "flistxattr", .{ .allow = fd }),
    row(197, "removexattr", .{ .trap = .xattr }),
    row(198, "lremovexattr", .{ .trap = .xattr }),
    row(199, "fremovexattr", .{ .trap = .xattr }),
    row(200, "tkill", .{ .allow = signals }),
    row(201, "time", .{ .allow = clock }),
    row(202, "futex", futex_row),
    row(203, "sched_setaffinity", sched_row),
    row(204, "sched_getaffinity", .{ .allow = peek }),
    row(205, "set_thread_area", .{ .allow = memory }),
    row(206, "io_setup", .{ .allow = aio }),
    row(207, "io_destroy", .{ .allow = aio }),
    row(208, "io_getevents", .{ .allow = aio }),
    row(209, "io_submit", .{ .allow = aio }),
    row(210, "io_cancel", .{ .allow = aio }),
    row(211, "get_thread_area", .{ .allow = memory }),
    row(212, "lookup_dcookie", .{ .allow = caps }),
    row(213, "epoll_create", anonfd_row),
    row(214, "epoll_ctl_old", .{ .allow = gone }),
    row(215, "epoll_wait_old", .{ .allow = gone }),
    row(216, "remap_file_pages", .{ .allow = memory }),
    row(217, "getdents64", getdents_row),
    row(218, "set_tid_address", .{ .allow = own }),
    row(219, "restart_syscall", .{ .allow = own }),
    row(220, "semtimedop", shm_row(false)),
    row(221, "fadvise64", .{ .allow = fd }),
    row(222, "timer_create", .{ .allow = own }),
    row(223, "timer_settime", .{ .allow = own }),
    row(224, "timer_gettime", .{ .allow = own }),
    row(225, "timer_getoverrun", .{ .allow = own }),
    row(226, "timer_delete", .{ .allow = own }),
    row(227, "clock_settime", .{ .allow = clock_set }),
    row(228, "clock_gettime", .{ .allow = clock }),
    row(229, "clock_getres", .{ .allow = clock }),
    row(230, "clock_nanosleep", .{ .allow = own }),
    row(231, "exit_group", .{ .allow = own }),
    row(232, "epoll_wait", .{ .allow = fd }),
    row(233, "epoll_ctl", .{ .allow = fd }),
    row(234, "tgkill", .{ .allow = signals }),
    row(235, "utimes", .{ .trap = .utime }),
    row(236, "vserver", .{ .allow = gone }),
    row(237, "mbind", .{ .allow = memory }),
    row(238, "set_mempolicy", .{ .allow = memory }),
    row(239, "get_mempolicy", .{ .allow = memory }),
    row(240, "mq_open", refuse(.NOSYS, why_ipc)),
    row(241, "mq_unlink", refuse(.NOSYS, why_ipc)),
    row(242, "mq_timedsend", refuse(.NOSYS, why_ipc)),
    row(243, "mq_timedreceive", refuse(.NOSYS, why_ipc)),
    row(244, "mq_notify", refuse(.NOSYS, why_ipc)),
    row(245, "mq_getsetattr", refuse(.NOSYS, why_ipc)),
    row(246, "kexec_load", .{ .allow = caps }),
    row(247, "waitid", .{ .allow = children }),
    row(248, "add_key", refuse(.NOSYS, why_keys)),
    row(249, "request_key", refuse(.NOSYS, why_keys)),
    row(250, "keyctl", refuse(.NOSYS, why_keys)),
    row(251, "ioprio_set", ioprio_row),
    row(252, "ioprio_get", .{ .allow = peek }),
    row(253, "inotify_init", anonfd_row),
    row(254, "inotify_add_watch", .{ .trap = .watch }),
    row(255, "inotify_rm_watch", .{ .allow = fd }),
    row(256, "migrate_pages", .{ .allow = ptrace_checked }),
    row(257, "openat", .{ .trap = .open }),
    row(258, "mkdirat", .{ .trap = .mkdir }),
    row(259, "mknodat", .{ .trap = .mknod }),
    row(260, "fchownat", .{ .trap = .chown }),
    row(261, "futimesat", .{ .trap = .utime }),
    row(262, "fstatat64", .{ .trap = .stat }),
    row(263, "unlinkat", .{ .trap = .unlink }),
    row(264, "renameat", .{ .trap = .rename }),
    row(265, "linkat", .{ .trap = .rename }),
    row(266, "symlinkat", .{ .trap = .symlink }),
    row(267, "readlinkat", .{ .trap = .stat }),
    row(268, "fchmodat", .{ .trap = .chmod }),
    row(269, "faccessat", .{ .trap = .stat }),
    row(270, "pselect6", .{ .allow = fd }),
    row(271, "ppoll", .{ .allow = fd }),
    row(272, "unshare", unshare_row),
    row(273, "set_robust_list", .{ .allow = memory }),
    row(274, "get_robust_list", .{ .allow = ptrace_checked }),
    row(275, "splice", .{ .allow = fd }),
    row(276, "tee", .{ .allow = fd }),
    row(277, "sync_file_range", .{ .allow = fd }),
    row(278, "vmsplice", .{ .allow = fd }),
    row(279, "move_pages", .{ .allow = ptrace_checked }),
    row(280, "utimensat", .{ .trap = .utime }),
    row(281, "epoll_pwait", .{ .allow = fd }),
    row(282, "signalfd", anonfd_row),
    row(283, "timerfd_create", anonfd_row),
    row(284, "eventfd", anonfd_row),
    row(285, "fallocate", .{ .trap = .truncate }),
    row(286, "timerfd_settime", .{ .allow = fd }),
    row(287, "timerfd_gettime", .{ .allow = fd }),
    row(288, "accept4", .{ .trap_if = .{ .option = .trap_socket, .handler = .accept, .otherwise = .{ .allow = fd } } }),
    row(289, "signalfd4", anonfd_row),
    row(290, "eventfd2", anonfd_row),
    row(291, "epoll_create1", anonfd_row),
    row(292, "dup3", .{ .allow = fd }),
    row(293, "pipe2", pipe2_row),
    row(294, "inotify_init1", anonfd_row),
    row(295, "preadv", .{ .allow = fd }),
    row(296, "pwritev", .{ .allow = fd }),
    row(297, "rt_tgsigqueueinfo", .{ .allow = signals }),
    row(298, "perf_event_open", .{ .allow = ptrace_checked }),
    row(299, "recvmmsg", recv_row(3)),
    row(300, "fanotify_init", anonfd_row),
    row(301, "fanotify_mark", .{ .trap = .watch }),
    row(302, "prlimit64", prlimit_row),
    row(303, "name_to_handle_at", refuse(.NOSYS, why_original_dead)),
    row(304, "open_by_handle_at", refuse(.NOSYS, why_handle)),
    row(305, "clock_adjtime", .{ .allow = clock_set }),
    row(306, "syncfs", .{ .allow = fd }),
    row(307, "sendmmsg", .{ .trap = .net }),
    row(308, "setns", refuse(.PERM, why_ns)),
    row(309, "getcpu", .{ .allow = own }),
    row(310, "process_vm_readv", refuse(.NOSYS, why_reach)),
    row(311, "process_vm_writev", refuse(.NOSYS, why_reach)),
    row(312, "kcmp", refuse(.NOSYS, why_reach)),
    row(313, "finit_module", .{ .allow = caps }),
    row(314, "sched_setattr", sched_row),
    row(315, "sched_getattr", .{ .allow = peek }),
    row(316, "renameat2", .{ .trap = .rename }),
    row(317, "seccomp", seccomp_row),
    row(318, "getrandom", .{ .allow = info }),
    // Always trapped, as the original: syd makes every memfd sealed against execution
    // (MFD_NOEXEC_SEAL, Linux 6.3) unless trace/allow_unsafe_memfd, and then judges its making
    // for exec too: a memfd has no path for the exec, Lock and other rules to judge later.
    row(319, "memfd_create", .{ .trap = .anonfd }),
    row(320, "kexec_file_load", .{ .allow = caps }),
    row(321, "bpf", refuse(.NOSYS, why_bpf)),
    row(322, "execveat", .{ .trap = .exec }),
    row(323, "userfaultfd", refuse(.PERM, why_uffd)),
    row(324, "membarrier", .{ .allow = memory }),
    row(325, "mlock2", .{ .allow = memory }),
    row(326, "copy_file_range", .{ .allow = fd }),
    row(327, "preadv2", .{ .allow = fd }),
    row(328, "pwritev2", .{ .allow = fd }),
    row(329, "pkey_mprotect", mprotect_row),
    row(330, "pkey_alloc", .{ .allow = memory }),
    row(331, "pkey_free", .{ .allow = memory }),
    row(332, "statx", .{ .trap = .stat }),
    row(333, "io_pgetevents", .{ .allow = aio }),
    row(334, "rseq", .{ .allow = memory }),
} ++ unused(335, 423) ++ [_]Row{
    row(424, "pidfd_send_signal", .{ .allow = signals }),
    row(425, "io_uring_setup", refuse(.NOSYS, why_bypass)),
    row(426, "io_uring_enter", refuse(.NOSYS, why_bypass)),
    row(427, "io_uring_register", refuse(.NOSYS, why_bypass)),
    row(428, "open_tree", refuse(.NOSYS, why_view)),
    row(429, "move_mount", refuse(.NOSYS, why_view)),
    row(430, "fsopen", refuse(.NOSYS, why_view)),
    row(431, "fsconfig", refuse(.NOSYS, why_view)),
    row(432, "fsmount", refuse(.NOSYS, why_view)),
    row(433, "fspick", refuse(.NOSYS, why_view)),
    row(434, "pidfd_open", .{ .allow = pidfd }),
    row(435, "clone3", refuse(.NOSYS, why_ns)),
    row(436, "close_range", .{ .allow = fd }),
    row(437, "openat2", .{ .trap = .open }),
    row(438, "pidfd_getfd", refuse(.NOSYS, why_reach)),
    row(439, "faccessat2", .{ .trap = .stat }),
    row(440, "process_madvise", refuse(.NOSYS, why_reach)),
    row(441, "epoll_pwait2", .{ .allow = fd }),
    row(442, "mount_setattr", refuse(.NOSYS, why_view)),
    row(443, "quotactl_fd", refuse(.NOSYS, why_original_dead)),
    row(444, "landlock_create_ruleset", .{ .allow = restrict }),
    row(445, "landlock_add_rule", .{ .allow = restrict }),
    row(446, "landlock_restrict_self", .{ .allow = restrict }),
    row(447, "memfd_secret", anonfd_row),
    row(448, "process_mrelease", .{ .allow = mrelease }),
    row(449, "futex_waitv", .{ .allow = memory }),
    row(450, "set_mempolicy_home_node", .{ .allow = memory }),
    row(451, "cachestat", .{ .allow = fd }),
    row(452, "fchmodat2", .{ .trap = .chmod }),
    row(453, "map_shadow_stack", .{ .allow = memory }),
    row(454, "futex_wake", .{ .allow = memory }),
    row(455, "futex_wait", .{ .allow = memory }),
    row(456, "futex_requeue", .{ .allow = memory }),
    row(457, "statmount", refuse(.NOSYS, why_original_dead)),
    row(458, "listmount", refuse(.NOSYS, why_original_dead)),
    row(459, "lsm_get_self_attr", .{ .allow = own }),
    row(460, "lsm_set_self_attr", .{ .allow = own }),
    row(461, "lsm_list_modules", .{ .allow = info }),
    row(462, "mseal", .{ .allow = memory }),
    row(463, "setxattrat", refuse(.NOSYS, why_unjudged)),
    row(464, "getxattrat", refuse(.NOSYS, why_unjudged)),
    row(465, "listxattrat", refuse(.NOSYS, why_unjudged)),
    row(466, "removexattrat", refuse(.NOSYS, why_unjudged)),
    row(467, "open_tree_attr", refuse(.NOSYS, why_view)),
    row(468, "file_getattr", refuse(.NOSYS, why_unjudged)),
    row(469, "file_setattr", refuse(.NOSYS, why_unjudged)),
};

comptime {
    @setEvalBranchQuota(100_000);
    if (check(&rows, nr_max)) |defect| @compileError(std.fmt.comptimePrint("filter/table.zig: {}", .{defect}));
    assert(nr_max < 1024); // scmp.rule_add's bound
}

const testing = std.testing;
const SYS = std.os.linux.SYS;

test "the table has one row for every number from 0 to nr_max" {
    try testing.expectEqual(@as(?Defect, null), check(&rows, nr_max));
    try testing.expectEqual(nr_max + 1, rows.len);
}

test "check finds a removed row, a doubled row, a row too many and a malformed one" {
    for ([_]usize{ 0, 57, 335, nr_max }) |gone_nr| {
        var fewer: [rows.len - 1]Row = undefined;
        @memcpy(fewer[0..gone_nr], rows[0..gone_nr]);
        @memcpy(fewer[gone_nr..], rows[gone_nr + 1 ..]);
        try testing.expectEqual(@as(?Defect, .{ .missing = gone_nr }), check(&fewer, nr_max));
    }
    var doubled: [rows.len + 1]Row = undefined;
    @memcpy(doubled[0..58], rows[0..58]);
    @memcpy(doubled[58..], rows[57..]);
    try testing.expectEqual(@as(?Defect, .{ .misplaced = 57 }), check(&doubled, nr_max));
    try testing.expectEqual(@as(?Defect, .{ .beyond = nr_max }), check(&rows, nr_max - 1));
    var bad = rows;
    bad[12].disposition = .{ .allow = "" };
    try testing.expectEqual(@as(?Defect, .{ .malformed = 12 }), check(&bad, nr_max));
    bad = rows;
    bad[56].disposition.answer.otherwise = null; // clone refused for some flags, and then?
    try testing.expectEqual(@as(?Defect, .{ .malformed = 56 }), check(&bad, nr_max));
}

test "the names are Zig's SYS names; numbers SYS lacks below 463 have no call" {
    for (rows) |r| {
        if (std.meta.intToEnum(SYS, r.nr)) |call| {
            try testing.expectEqualStrings(@tagName(call), r.name);
        } else |_| if (r.nr < 463) {
            try testing.expectEqualStrings("(none)", r.name);
            try testing.expectEqual(E.NOSYS, r.disposition.answer.refusals[0].errno);
        }
    }
    // Every call Zig knows has its row.
    for (std.enums.values(SYS)) |call| try testing.expect(@intFromEnum(call) <= nr_max);
}
