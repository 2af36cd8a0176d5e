//! Landlock scopes: the kernel itself keeps the sandbox from signalling or tracing any process
//! outside it (syd and its threads first of all), whatever pid it names and however it names
//! it (kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_send_signal, ptrace,
//! process_vm_*, pidfd_getfd, /proc/PID/{mem,environ,fd,...} of an outside process).
//!
//! The child enters a Landlock domain that handles no file or network access (syd judges those)
//! and scopes signals (ABI 6, Linux 6.12). Any Landlock domain also limits ptrace-like access
//! to processes inside it (ABI 1); on a kernel with Landlock but without signal scoping, the
//! child's domain handles block-device creation only (which the sandbox, without CAP_MKNOD,
//! cannot do anyway) to get that, and signals to syd are not kept out: syd says so at start.
//! The kernel decides at the call, on the target it finds then: no pid can be reused between a
//! check and the signal.
//!
//! Needs: landlock_create_ruleset, landlock_restrict_self (Linux 5.13), no_new_privs set first.
//! Assumes: `child_enter` runs in the forked child (raw system calls only), after no_new_privs.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;

const create_ruleset_version: u32 = 1;
const access_fs_make_block: u64 = 1 << 11;
const scope_signal: u64 = 1 << 1;
/// The ABI that brought signal scoping.
pub const abi_scoped_signals: u32 = 6;

/// `struct landlock_ruleset_attr` as of ABI 6.
const RulesetAttr = extern struct { handled_access_fs: u64, handled_access_net: u64, scoped: u64 };
comptime {
    assert(@sizeOf(RulesetAttr) == 24);
}

/// The running kernel's Landlock ABI version; 0 when Landlock is missing or disabled.
pub fn abi() u32 {
    const rc = linux.syscall3(.landlock_create_ruleset, 0, 0, create_ruleset_version);
    if (linux.E.init(rc) != .SUCCESS) return 0;
    const version: isize = @bitCast(rc);
    assert(version > 0);
    return @intCast(@min(version, std.math.maxInt(u32)));
}

/// What the sandbox's domain gives on a kernel with Landlock ABI `version`.
pub const Protection = enum { none, ptrace, ptrace_and_signals };

pub fn protection(version: u32) Protection {
    if (version >= abi_scoped_signals) return .ptrace_and_signals;
    if (version >= 1) return .ptrace;
    return .none;
}

/// In the forked child: enters a domain scoping signals (ABI 6+) or, before that, handling
/// block-device creation only. Returns the failing call's raw result, or 0.
pub fn child_enter(version: u32) usize {
    assert(version >= 1);
    const attr: RulesetAttr = if (version >= abi_scoped_signals)
        .{ .handled_access_fs = 0, .handled_access_net = 0, .scoped = scope_signal }
    else
        .{ .handled_access_fs = access_fs_make_block, .handled_access_net = 0, .scoped = 0 };
    // Before ABI 4 the attribute ends after handled_access_fs; before 6 after handled_access_net.
    const size: usize = if (version >= abi_scoped_signals) 24 else if (version >= 4) 16 else 8;
    var rc = linux.syscall3(.landlock_create_ruleset, @intFromPtr(&attr), size, 0);
    if (linux.E.init(rc) != .SUCCESS) return rc;
    const fd: i32 = @intCast(rc);
    rc = linux.syscall2(.landlock_restrict_self, @as(usize, @intCast(fd)), 0);
    _ = linux.close(fd);
    if (linux.E.init(rc) != .SUCCESS) return rc;
    return 0;
}

test "protection follows the ABI: signals from 6, ptrace from 1" {
    try std.testing.expectEqual(Protection.none, protection(0));
    try std.testing.expectEqual(Protection.ptrace, protection(1));
    try std.testing.expectEqual(Protection.ptrace, protection(5));
    try std.testing.expectEqual(Protection.ptrace_and_signals, protection(6));
    try std.testing.expectEqual(Protection.ptrace_and_signals, protection(7));
    _ = abi(); // answers on any kernel
}
