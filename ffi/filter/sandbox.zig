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
}

/// Calls refused outright (ENOSYS): io_uring performs opens and other path calls without a
/// system call that syd could trap, and open_by_handle_at opens a file by handle, without a
/// path to judge (a sandboxed root process could read anything with it).
pub const refused = [_]SYS{ .io_uring_setup, .io_uring_enter, .io_uring_register, .open_by_handle_at };

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
    if (options.trap_ioctl) try scmp.rule_add(ctx, scmp.act_notify, @intFromEnum(SYS.ioctl));
    if (options.trap_socket) try scmp.rule_add(ctx, scmp.act_notify, @intFromEnum(SYS.socket));
    for (refused) |nr| try scmp.rule_add(ctx, scmp.act_errno(@intFromEnum(std.os.linux.E.NOSYS)), @intFromEnum(nr));
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
