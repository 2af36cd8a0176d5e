//! The sandbox filter: the seccomp program loaded into the sandboxed child, which hands every
//! path and network call of the families syd judges to syd's notify listener.
//!
//! Needs: seccomp user notification (Linux 5.0); libseccomp to assemble the program.
//! Assumes: x86_64. Calls of any other architecture (the 32-bit x86 ABI, x32) kill the process:
//! syd judges only native calls and never lets another ABI through unjudged. The program is
//! built in the parent before `fork()` (libseccomp allocates) and loaded raw in the child.

const std = @import("std");
const assert = std.debug.assert;
const SYS = std.os.linux.SYS;
const sys = @import("../sys.zig");
const scmp = @import("scmp.zig");

/// The calls syd traps, by family (the categories that judge them are in the README).
pub const trapped = [_]SYS{
    // stat
    .stat,         .lstat,        .fstatat64, .statx,      .statfs,    .access,
    .faccessat,    .faccessat2,   .readlink,  .readlinkat,
    // open: read, write, create, truncate, readdir, mktemp
    .open,      .openat,
    .openat2,      .creat,
    // exec
           .execve,    .execveat,
    // delete, rename, link, symlink, mkdir, rmdir
      .unlink,    .unlinkat,
    .rename,       .renameat,     .renameat2, .link,       .linkat,    .symlink,
    .symlinkat,    .mkdir,        .mkdirat,   .rmdir,
    // truncate
         .truncate,  .ftruncate,
    .fallocate,
    // chdir, readdir, chroot
       .chdir,        .fchdir,    .getdents64, .getdents,  .chroot,
    // chown, chgrp, chmod
    .chown,        .fchown,       .lchown,    .fchownat,   .chmod,     .fchmod,
    .fchmodat,     .fchmodat2,
    // chattr
       .setxattr,  .lsetxattr,  .fsetxattr, .removexattr,
    .lremovexattr, .fremovexattr,
    // utime
    .utime,     .utimes,     .utimensat, .futimesat,
    // mkdev, mkfifo
    .mknod,        .mknodat,
    // net/bind, net/connect, net/sendfd
         .bind,      .connect,    .sendto,    .sendmsg,
    .sendmmsg,
    // not judged: which signals restart calls (workers/int.zig)
        .rt_sigaction,
};

comptime {
    @setEvalBranchQuota(20_000);
    assert(trapped.len < 128);
    for (trapped, 0..) |a, i| for (trapped[i + 1 ..]) |b| assert(a != b);
    // A call is either trapped or answered by the filter, never both.
    for (answered) |a| for (trapped) |t| assert(a.nr != @intFromEnum(t));
}

/// A call the filter answers itself, with an errno (0: a no-op that succeeds), when every
/// comparison in `args` holds (none: always). The kernel never runs it and syd never sees it.
pub const Answer = struct {
    nr: usize,
    errno: E,
    args: []const scmp.ArgCmp = &.{},
    /// Why, for `-E pfc` readers and reviewers.
    why: []const u8,
};

const E = std.os.linux.E;

fn nr_of(comptime call: SYS) usize {
    return @intFromEnum(call);
}

/// `(argument & flag) == flag`: the flag is set.
fn flag_set(index: c_uint, flag: u64) [1]scmp.ArgCmp {
    return .{.{ .arg = index, .op = .masked_eq, .datum_a = flag, .datum_b = flag }};
}

fn eq2(index_a: c_uint, a: u64, index_b: c_uint, b: u64) [2]scmp.ArgCmp {
    return .{ .{ .arg = index_a, .op = .eq, .datum_a = a, .datum_b = 0 }, .{ .arg = index_b, .op = .eq, .datum_a = b, .datum_b = 0 } };
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

/// System call numbers newer than Zig 0.14's table.
const nr_open_tree_attr: usize = 467;

const why_bypass = "performs path calls without a system call syd could judge";
const why_reach = "reaches into another process: syd or one outside the sandbox (the original answers ENOSYS)";
const why_view = "would change the sandbox's view of the file system, under which paths are judged";
const why_unjudged = "names a file by a call syd does not judge yet: answered as an older kernel would";
const why_ns = "new namespaces would remap paths, users and addresses syd judges (the original: EPERM)";

/// Calls answered by the filter, as the original syd answers them by default. ptrace is a
/// no-op for every request (as the original; PTRACE_TRACEME too, or syd would become the
/// tracer of its first process and stop it at exec).
pub const answered = [_]Answer{
    .{ .nr = nr_of(.io_uring_setup), .errno = .NOSYS, .why = why_bypass },
    .{ .nr = nr_of(.io_uring_enter), .errno = .NOSYS, .why = why_bypass },
    .{ .nr = nr_of(.io_uring_register), .errno = .NOSYS, .why = why_bypass },
    .{ .nr = nr_of(.open_by_handle_at), .errno = .NOSYS, .why = "opens a file by handle, with no path to judge" },
    .{ .nr = nr_of(.ptrace), .errno = .SUCCESS, .why = "a no-op: tracing would reach syd, outside processes, or rewrite a call after syd judged it" },
    .{ .nr = nr_of(.process_vm_readv), .errno = .NOSYS, .why = why_reach },
    .{ .nr = nr_of(.process_vm_writev), .errno = .NOSYS, .why = why_reach },
    .{ .nr = nr_of(.process_madvise), .errno = .NOSYS, .why = why_reach },
    .{ .nr = nr_of(.pidfd_getfd), .errno = .NOSYS, .why = why_reach },
    .{ .nr = nr_of(.kcmp), .errno = .NOSYS, .why = why_reach },
    .{ .nr = nr_of(.mount), .errno = .NOSYS, .why = why_view },
    .{ .nr = nr_of(.umount2), .errno = .NOSYS, .why = why_view },
    .{ .nr = nr_of(.open_tree), .errno = .NOSYS, .why = why_view },
    .{ .nr = nr_open_tree_attr, .errno = .NOSYS, .why = why_view },
    .{ .nr = nr_of(.move_mount), .errno = .NOSYS, .why = why_view },
    .{ .nr = nr_of(.fsopen), .errno = .NOSYS, .why = why_view },
    .{ .nr = nr_of(.fsconfig), .errno = .NOSYS, .why = why_view },
    .{ .nr = nr_of(.fsmount), .errno = .NOSYS, .why = why_view },
    .{ .nr = nr_of(.fspick), .errno = .NOSYS, .why = why_view },
    .{ .nr = nr_of(.mount_setattr), .errno = .NOSYS, .why = why_view },
    .{ .nr = nr_of(.pivot_root), .errno = .PERM, .why = why_view },
    .{ .nr = nr_of(.setns), .errno = .PERM, .why = why_ns },
    // clone3 passes its flags in memory, out of the filter's sight: glibc falls back to clone.
    .{ .nr = nr_of(.clone3), .errno = .NOSYS, .why = why_ns },
    // Newer calls naming a file that syd does not judge yet: refused, so that glibc and
    // programs fall back to the calls syd judges (setxattr, getxattr, ioctl FS_IOC_*).
    .{ .nr = 463, .errno = .NOSYS, .why = why_unjudged }, // setxattrat
    .{ .nr = 464, .errno = .NOSYS, .why = why_unjudged }, // getxattrat
    .{ .nr = 465, .errno = .NOSYS, .why = why_unjudged }, // listxattrat
    .{ .nr = 466, .errno = .NOSYS, .why = why_unjudged }, // removexattrat
    .{ .nr = 468, .errno = .NOSYS, .why = why_unjudged }, // file_getattr
    .{ .nr = 469, .errno = .NOSYS, .why = why_unjudged }, // file_setattr
    // userfaultfd can stall syd's own reads of the caller's memory (a fault never served).
    .{ .nr = nr_of(.userfaultfd), .errno = .PERM, .why = "would let the caller stall syd's reads of its memory" },
    // Resource limits of another process (syd's CPU time: SIGKILL; its fd limit: EMFILE).
    .{ .nr = nr_of(.prlimit64), .errno = .PERM, .args = &.{.{ .arg = 0, .op = .ne, .datum_a = 0, .datum_b = 0 }}, .why = "another process's limits: syd's, or one outside the sandbox" },
} ++ namespace_flags(.clone, &clone_namespaces) ++ namespace_flags(.unshare, &(clone_namespaces ++ .{clone_newtime})) ++ [_]Answer{
    // The kernel would take the IP header from the caller's data: not the address syd judged.
    .{ .nr = nr_of(.setsockopt), .errno = .NOPROTOOPT, .args = &eq2(1, 0, 2, 3), .why = "IP_HDRINCL: the packet's own header would name another address" },
    .{ .nr = nr_of(.setsockopt), .errno = .NOPROTOOPT, .args = &eq2(1, 41, 2, 36), .why = "IPV6_HDRINCL: the packet's own header would name another address" },
};

/// ioctl requests refused whatever the fd, as the original's default denylist: TIOCSTI and
/// TIOCLINUX push input into a terminal (the shell syd was started from runs it outside the
/// sandbox once syd ends), TIOCCONS redirects the console, TIOCSETD changes the line
/// discipline; USERFAULTFD_IOC_NEW makes a userfaultfd from /dev/userfaultfd (see above). The
/// kernel reads the request as 32 bits: only those are compared.
pub const ioctls_refused = [_]u32{ 0x5412, 0x541C, 0x541D, 0x5423, 0xAA00 };

/// The filter's answer to the refused ioctls when ioctl(2) is not trapped (handlers/dir.zig
/// refuses them itself where it is).
const ioctl_refusals = ioctl_answers(); // comptime: the rules' argument slices are constants

fn ioctl_answers() [ioctls_refused.len]Answer {
    var out: [ioctls_refused.len]Answer = undefined;
    for (ioctls_refused, 0..) |request, i| out[i] = .{
        .nr = nr_of(.ioctl),
        .errno = .PERM,
        .args = &.{.{ .arg = 1, .op = .masked_eq, .datum_a = 0xffff_ffff, .datum_b = request }},
        .why = "a terminal, console or userfaultfd request the original refuses",
    };
    return out;
}

fn namespace_flags(comptime call: SYS, comptime flags: []const u64) [flags.len]Answer {
    var out: [flags.len]Answer = undefined;
    for (flags, 0..) |flag, i| out[i] = .{ .nr = nr_of(call), .errno = .PERM, .args = &flag_set(0, flag), .why = why_ns };
    return out;
}

/// One classic BPF instruction (`struct sock_filter`).
pub const SockFilter = extern struct { code: u16, jt: u8, jf: u8, k: u32 };
comptime {
    assert(@sizeOf(SockFilter) == 8);
}

/// Programs are at most BPF_MAXINSNS instructions.
pub const program_len_max: usize = 4096;

/// What the policy asks the filter for beyond the calls always trapped.
pub const Options = struct {
    /// Trap ioctl(2) too: only when ioctl sandboxing is on, since terminals call it constantly.
    trap_ioctl: bool = false,
    /// Trap socket(2) too: while network sandboxing is on, to refuse unjudged families.
    trap_socket: bool = false,
};

/// Assembles the sandbox filter into a libseccomp context the caller releases.
pub fn build(options: Options) sys.Errno!scmp.Ctx {
    const ctx = try scmp.init(scmp.act_allow);
    errdefer scmp.release(ctx);
    try scmp.attr_set(ctx, .act_badarch, scmp.act_kill_process);
    try scmp.attr_set(ctx, .ctl_nnp, 0); // syd sets no_new_privs itself, in the child.
    try scmp.attr_set(ctx, .ctl_optimize, 2); // A binary tree: O(log n) per call.
    for (trapped) |nr| try scmp.rule_add(ctx, scmp.act_notify, @intFromEnum(nr));
    if (options.trap_ioctl) {
        try scmp.rule_add(ctx, scmp.act_notify, @intFromEnum(SYS.ioctl));
    } else for (ioctl_refusals) |a| {
        try scmp.rule_add_cmps(ctx, scmp.act_errno(@intFromEnum(a.errno)), a.nr, a.args);
    }
    if (options.trap_socket) try scmp.rule_add(ctx, scmp.act_notify, @intFromEnum(SYS.socket));
    for (answered) |a| {
        const action = scmp.act_errno(@intFromEnum(a.errno));
        if (a.args.len == 0) try scmp.rule_add(ctx, action, a.nr) else try scmp.rule_add_cmps(ctx, action, a.nr, a.args);
    }
    return ctx;
}

/// Exports `ctx` as raw BPF into `out` (through a memfd); returns the instructions.
pub fn export_program(ctx: scmp.Ctx, out: []SockFilter) sys.Errno![]SockFilter {
    assert(out.len >= 1);
    const linux = std.os.linux;
    const fd: i32 = @intCast(try sys.check(linux.memfd_create("syd-bpf", linux.MFD.CLOEXEC)));
    defer sys.close(fd);
    try scmp.export_bpf(ctx, fd);
    _ = try sys.check(linux.lseek(fd, 0, linux.SEEK.SET));
    const bytes = std.mem.sliceAsBytes(out);
    const len = try sys.read_full(fd, bytes);
    if (len == bytes.len) return error.@"2BIG"; // Did not fit: never load a cut program.
    if (len == 0 or len % @sizeOf(SockFilter) != 0) return error.INVAL;
    const program = out[0 .. len / @sizeOf(SockFilter)];
    assert(program.len <= program_len_max);
    return program;
}

test "the sandbox filter assembles and exports a whole program" {
    const ctx = try build(.{});
    defer scmp.release(ctx);
    var buf: [program_len_max + 1]SockFilter = undefined;
    const program = try export_program(ctx, &buf);
    try std.testing.expect(program.len > trapped.len); // a jump per trapped call at least
    // The last instruction returns; the first loads the architecture.
    try std.testing.expectEqual(@as(u16, 0x06), program[program.len - 1].code & 0x07);
    try std.testing.expectEqual(@as(u32, 4), program[0].k); // offsetof(seccomp_data, arch)
}
