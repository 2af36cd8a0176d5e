//! The sentinel (`syd_sentinel`): a tiny process inside the sandbox's Landlock domain that ends
//! every sandboxed process at once when syd tells it to, or when syd dies.
//!
//! Killing a tree from outside means finding each process, and a chain of processes that keeps
//! forking and exiting is never where the last scan saw it. kill(-1, SIGKILL) from inside the
//! domain reaches every process the domain may signal, which Landlock's signal scope limits to
//! the sandbox, in one pass of the kernel over its task list under the lock that fork takes too:
//! nothing is born meanwhile. The sentinel is forked by the child with CLONE_PARENT (so it is
//! syd's child, not the command's) after the child entered its domain, and before its seccomp
//! filter: it runs nothing but this file, under a filter of its own (read, kill, exit), not
//! dumpable, without capabilities. The child then enters a second domain nested in the first:
//! the sentinel can signal into it, and nothing in it can signal, trace or open the memory of
//! the sentinel (a sandbox that killed its sentinel kept fork-and-exit chains alive after syd:
//! found by review). It waits on a pipe: a byte from syd, or end of file when syd dies, fires it.
//!
//! Needs: Landlock signal scoping (ABI 6, Linux 6.12): without it kill(-1) would reach syd and
//! every process of the user, and syd does not start a sentinel. close_range (5.9).
//! Assumes: `child_start` runs in the forked child (raw system calls only) after it entered
//! its Landlock domain and dropped its capabilities, with no_new_privs set.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const SockFilter = @import("../filter/sandbox.zig").SockFilter;

const clone_parent: usize = 0x00008000;
const audit_arch_x86_64: u32 = 62 | 0x80000000 | 0x40000000;
const seccomp_ret_allow: u32 = 0x7fff0000;
const seccomp_ret_kill_process: u32 = 0x80000000;

const bpf_ld_w_abs: u16 = 0x20;
const bpf_jeq_k: u16 = 0x15;
const bpf_ret_k: u16 = 0x06;

fn stmt(code: u16, k: u32) SockFilter {
    return .{ .code = code, .jt = 0, .jf = 0, .k = k };
}

fn jeq(k: u32, jt: u8, jf: u8) SockFilter {
    return .{ .code = bpf_jeq_k, .jt = jt, .jf = jf, .k = k };
}

/// The sentinel's own filter: read (its pipe), kill (the one call it makes), exit and
/// exit_group, rt_sigreturn; anything else kills it (and then syd kills the tree from outside).
const program = [_]SockFilter{
    stmt(bpf_ld_w_abs, 4), // seccomp_data.arch
    jeq(audit_arch_x86_64, 1, 0),
    stmt(bpf_ret_k, seccomp_ret_kill_process),
    stmt(bpf_ld_w_abs, 0), // seccomp_data.nr
    jeq(@intFromEnum(linux.SYS.read), 5, 0),
    jeq(@intFromEnum(linux.SYS.kill), 4, 0),
    jeq(@intFromEnum(linux.SYS.exit_group), 3, 0),
    jeq(@intFromEnum(linux.SYS.exit), 2, 0),
    jeq(@intFromEnum(linux.SYS.rt_sigreturn), 1, 0),
    stmt(bpf_ret_k, seccomp_ret_kill_process),
    stmt(bpf_ret_k, seccomp_ret_allow),
};

comptime {
    // Every jump lands inside the program.
    for (program, 0..) |insn, i| if (insn.code == bpf_jeq_k) {
        assert(i + 1 + insn.jt < program.len and i + 1 + insn.jf < program.len);
    };
}

const SockFprog = extern struct { len: u16, filter: [*]const SockFilter };

/// In the child: forks the sentinel as syd's child. Returns the raw result of clone (the
/// sentinel's pid, or an error).
pub fn child_start(pipe_rd: i32) usize {
    assert(pipe_rd >= 0);
    const rc = linux.syscall5(.clone, clone_parent | linux.SIG.CHLD, 0, 0, 0, 0);
    if (rc == 0) run(pipe_rd);
    return rc;
}

fn run(pipe_rd: i32) noreturn {
    // Only the pipe stays open: a copy of the child's status pipe would keep syd waiting for
    // the exec to close it.
    const fd: usize = @intCast(pipe_rd);
    if (fd > 0) _ = linux.syscall3(.close_range, 0, fd - 1, 0);
    _ = linux.syscall3(.close_range, fd + 1, std.math.maxInt(u32), 0);
    _ = linux.prctl(@intFromEnum(linux.PR.SET_NAME), @intFromPtr("syd_sentinel"), 0, 0, 0);
    _ = linux.prctl(@intFromEnum(linux.PR.SET_DUMPABLE), 0, 0, 0, 0);
    const all: u64 = std.math.maxInt(u64);
    _ = linux.syscall4(.rt_sigprocmask, linux.SIG.SETMASK, @intFromPtr(&all), 0, 8);
    const prog: SockFprog = .{ .len = program.len, .filter = &program };
    const rc = linux.seccomp(linux.SECCOMP.SET_MODE_FILTER, 0, &prog);
    if (linux.E.init(rc) != .SUCCESS) linux.exit_group(1);
    var byte: u8 = 0;
    var reads: u32 = 0;
    // A read ends with syd's byte, or with end of file when syd is gone; EINTR is retried.
    while (reads < 1 << 20) : (reads += 1) {
        const n = linux.read(pipe_rd, @ptrCast(&byte), 1);
        if (linux.E.init(n) != .INTR) break;
    }
    _ = linux.kill(-1, linux.SIG.KILL);
    linux.exit_group(0);
}
