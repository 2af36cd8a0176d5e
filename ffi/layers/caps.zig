//! Capabilities: the sandbox runs with none, and syd's own threads keep only what they use, so
//! that no call syd performs for the sandbox succeeds on a privilege the caller lacks.
//!
//! As the original syd (with none of its `trace/allow_unsafe_*` capability options), the
//! sandboxed child empties its bounding set (when it may: CAP_SETPCAP), its ambient, inheritable,
//! permitted and effective sets before it execs: a root program in the sandbox cannot override
//! file permissions, trace, change its uid, bind a privileged port, open raw sockets, chroot or
//! mount. syd's threads drop, each for itself (capabilities are per thread), every capability
//! but those listed for their kind: an emulator acting for a capability-less caller then has no
//! CAP_DAC_OVERRIDE or CAP_CHOWN to lend it. Emulators keep CAP_SYS_PTRACE alone, to read the
//! memory and /proc entries of a sandboxed process that made itself non-dumpable.
//!
//! Needs: capget/capset (v3), prctl PR_CAPBSET_DROP and PR_CAP_AMBIENT (Linux 4.3).
//! Assumes: `child_drop_all` runs in the forked child (raw system calls only); `thread_keep`
//! runs once on a thread syd created, before it confines itself (capset is not in any
//! confinement list). Deno's own threads keep theirs: they act for nobody in the sandbox.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");

pub const cap_kill: u6 = 5;
pub const cap_setgid: u6 = 6;
pub const cap_setuid: u6 = 7;
pub const cap_setpcap: u6 = 8;
pub const cap_sys_ptrace: u6 = 19;
pub const cap_sys_admin: u6 = 21;
pub const cap_sys_chroot: u6 = 18;
/// The highest capability number any kernel may know; PR_CAPBSET_DROP answers EINVAL past the
/// running kernel's last one.
const cap_last_max: u6 = 63;

const linux_capability_version_3: u32 = 0x20080522;
const pr_capbset_drop: i32 = 24;
const pr_cap_ambient: i32 = 47;
const pr_cap_ambient_raise: usize = 2;
const pr_cap_ambient_clear_all: usize = 4;

const Header = extern struct { version: u32, pid: i32 };
/// Two 32-bit halves of each set (v3): [0] capabilities 0..31, [1] 32..63.
const Data = extern struct { effective: u32, permitted: u32, inheritable: u32 };
comptime {
    assert(@sizeOf(Header) == 8 and @sizeOf(Data) == 12);
}

/// A capability set as one 64-bit mask (bit N: capability N).
pub const Set = u64;

pub fn bit(cap: u6) Set {
    return @as(Set, 1) << cap;
}

/// The calling thread's sets.
pub const Sets = struct { effective: Set, permitted: Set, inheritable: Set };

pub fn get() sys.Errno!Sets {
    var header: Header = .{ .version = linux_capability_version_3, .pid = 0 };
    var data: [2]Data = undefined;
    _ = try sys.check(linux.syscall2(.capget, @intFromPtr(&header), @intFromPtr(&data)));
    return .{
        .effective = join(data[0].effective, data[1].effective),
        .permitted = join(data[0].permitted, data[1].permitted),
        .inheritable = join(data[0].inheritable, data[1].inheritable),
    };
}

/// Whether the calling thread holds `cap` in its effective set (false when it cannot tell).
pub fn has_effective(cap: u6) bool {
    const sets = get() catch return false;
    return sets.effective & bit(cap) != 0;
}

fn join(low: u32, high: u32) Set {
    return @as(Set, high) << 32 | low;
}

fn set_raw(sets: Sets) usize {
    var header: Header = .{ .version = linux_capability_version_3, .pid = 0 };
    const data = [2]Data{
        .{ .effective = @truncate(sets.effective), .permitted = @truncate(sets.permitted), .inheritable = @truncate(sets.inheritable) },
        .{ .effective = @truncate(sets.effective >> 32), .permitted = @truncate(sets.permitted >> 32), .inheritable = @truncate(sets.inheritable >> 32) },
    };
    return linux.syscall2(.capset, @intFromPtr(&header), @intFromPtr(&data));
}

/// Keeps, on the calling thread, only the capabilities in `keep` that it has: effective and
/// permitted become `keep ∩ permitted`, inheritable and ambient empty. Cannot be undone.
pub fn thread_keep(keep: Set) sys.Errno!void {
    const now = try get();
    const kept = now.permitted & keep;
    // A thread started by one that kept the same has nothing to drop (and, confined by its
    // creator's filter, could not call capset).
    if (now.permitted == kept and now.effective & ~keep == 0 and now.inheritable == 0) return;
    _ = linux.prctl(pr_cap_ambient, pr_cap_ambient_clear_all, 0, 0, 0); // EINVAL before 4.3: none to clear
    _ = try sys.check(set_raw(.{ .effective = kept, .permitted = kept, .inheritable = 0 }));
    const after = try get();
    assert(after.permitted & ~keep == 0 and after.effective & ~keep == 0);
}

/// Lowers the calling thread's effective set to `keep` (what it holds of it), for a while; returns
/// the sets `effective_restore` puts back (permitted is untouched, so they can be).
pub fn effective_lower(keep: Set) sys.Errno!Sets {
    const now = try get();
    if (now.effective & ~keep == 0) return now;
    _ = try sys.check(set_raw(.{ .effective = now.effective & keep, .permitted = now.permitted, .inheritable = now.inheritable }));
    return now;
}

pub fn effective_restore(sets: Sets) void {
    assert(sets.effective & ~sets.permitted == 0);
    // Nothing was lowered (a thread that keeps only what it may hold, as the confined run
    // thread): no capset, which no confined thread's filter allows.
    const now = get() catch return;
    if (now.effective == sets.effective and now.permitted == sets.permitted and now.inheritable == sets.inheritable) return;
    _ = set_raw(sets);
}

const pr_get_securebits: i32 = 27;
const pr_set_securebits: i32 = 28;
const secbit_noroot: u32 = 1 << 0;
const secbit_noroot_locked: u32 = 1 << 1;
const secbit_no_setuid_fixup: u32 = 1 << 2;
const secbit_no_setuid_fixup_locked: u32 = 1 << 3;
const secbit_keep_caps: u32 = 1 << 4;
const secbit_keep_caps_locked: u32 = 1 << 5;
const secbit_no_cap_ambient_raise: u32 = 1 << 6;
const secbit_no_cap_ambient_raise_locked: u32 = 1 << 7;

/// The secure bits the sandbox runs with, as the original sets them (capabilities(7)): uid 0
/// gains no capability at exec (NOROOT), and KEEP_CAPS, NO_SETUID_FIXUP and
/// NO_CAP_AMBIENT_RAISE are locked (the first two off, the last on), so that nothing in the
/// sandbox changes them again. A base bit already locked the other way is left as it is.
pub fn securebits_locked(current: u32) u32 {
    var wanted: u32 = secbit_noroot | secbit_noroot_locked | secbit_no_setuid_fixup_locked |
        secbit_keep_caps_locked | secbit_no_cap_ambient_raise | secbit_no_cap_ambient_raise_locked;
    const pairs = [_][2]u32{
        .{ secbit_noroot, secbit_noroot_locked },
        .{ secbit_no_setuid_fixup, secbit_no_setuid_fixup_locked },
        .{ secbit_keep_caps, secbit_keep_caps_locked },
        .{ secbit_no_cap_ambient_raise, secbit_no_cap_ambient_raise_locked },
    };
    for (pairs) |pair| {
        if (current & pair[1] != 0 and current & pair[0] == 0) wanted &= ~pair[0];
    }
    const result = current | wanted;
    assert(result & secbit_noroot_locked != 0 and result & secbit_keep_caps_locked != 0);
    return result;
}

test "securebits_locked locks the original's bits and flips no base bit locked the other way" {
    try std.testing.expectEqual(@as(u32, 0xEB), securebits_locked(0));
    // KEEP_CAPS on (not locked) stays on: it is cleared at exec anyway.
    try std.testing.expectEqual(@as(u32, 0xFB), securebits_locked(secbit_keep_caps));
    // NOROOT locked off stays off.
    try std.testing.expectEqual(@as(u32, 0xEA), securebits_locked(secbit_noroot_locked));
}

pub const secbit_exec_restrict_file: u32 = 1 << 8 | 1 << 9; // and its lock
pub const secbit_exec_deny_interactive: u32 = 1 << 10 | 1 << 11; // and its lock

/// In the forked child (raw system calls only): adds `bits` (the exec secure bits above, which
/// need no capability) to the secure bits. A kernel before 6.14 refuses them (EINVAL): it has
/// no AT_EXECVE_CHECK for interpreters to honour them with, and nothing is set.
pub fn child_exec_securebits(bits: u32) void {
    assert(bits & ~(secbit_exec_restrict_file | secbit_exec_deny_interactive) == 0);
    if (bits == 0) return;
    const current = linux.prctl(pr_get_securebits, 0, 0, 0, 0);
    if (linux.E.init(current) != .SUCCESS) return;
    _ = linux.prctl(pr_set_securebits, @as(u32, @truncate(current)) | bits, 0, 0, 0);
}

/// In the forked child (raw system calls only): empties the bounding set of all but `keep`
/// (when the child holds CAP_SETPCAP; without it the set cannot grow its permitted set anyway)
/// and the ambient set, raises `keep` (what the child holds of it) into the ambient set, so
/// that it outlives exec (SafeSetID's CAP_SETUID and CAP_SETGID), sets the secure bits
/// (`securebits_locked`, while CAP_SETPCAP is still effective), then leaves the inheritable,
/// permitted and effective sets holding `keep` alone. Returns the failing call's raw result,
/// or 0.
pub fn child_drop_all(keep: Set) usize {
    var header: Header = .{ .version = linux_capability_version_3, .pid = 0 };
    var data: [2]Data = undefined;
    var rc = linux.syscall2(.capget, @intFromPtr(&header), @intFromPtr(&data));
    if (linux.E.init(rc) != .SUCCESS) return rc;
    const held = join(data[0].permitted, data[1].permitted);
    const kept = held & keep;
    const setpcap = data[0].effective & (@as(u32, 1) << cap_setpcap) != 0;
    if (setpcap) {
        var cap: u32 = 0;
        while (cap <= cap_last_max) : (cap += 1) {
            if (kept & (@as(Set, 1) << @intCast(cap)) != 0) continue;
            rc = linux.prctl(pr_capbset_drop, cap, 0, 0, 0);
            if (linux.E.init(rc) == .INVAL) break; // past the kernel's last capability
            if (linux.E.init(rc) != .SUCCESS) return rc;
        }
    }
    rc = linux.prctl(pr_cap_ambient, pr_cap_ambient_clear_all, 0, 0, 0);
    if (linux.E.init(rc) != .SUCCESS and linux.E.init(rc) != .INVAL) return rc;
    if (kept != 0) {
        // Ambient capabilities must be permitted and inheritable first.
        const effective = join(data[0].effective, data[1].effective);
        rc = set_raw(.{ .effective = effective, .permitted = held, .inheritable = kept });
        if (linux.E.init(rc) != .SUCCESS) return rc;
        var cap: u32 = 0;
        while (cap <= cap_last_max) : (cap += 1) {
            if (kept & (@as(Set, 1) << @intCast(cap)) == 0) continue;
            rc = linux.prctl(pr_cap_ambient, pr_cap_ambient_raise, cap, 0, 0);
            if (linux.E.init(rc) != .SUCCESS) return rc;
        }
    }
    if (setpcap) {
        rc = linux.prctl(pr_get_securebits, 0, 0, 0, 0);
        if (linux.E.init(rc) != .SUCCESS) return rc;
        rc = linux.prctl(pr_set_securebits, securebits_locked(@truncate(rc)), 0, 0, 0);
        if (linux.E.init(rc) != .SUCCESS) return rc;
    }
    rc = set_raw(.{ .effective = kept, .permitted = kept, .inheritable = kept });
    if (linux.E.init(rc) != .SUCCESS) return rc;
    return 0;
}

test "thread_keep leaves a thread only the capabilities it keeps" {
    const Probe = struct {
        fn run(out: *?Sets) void {
            thread_keep(bit(cap_sys_ptrace)) catch return;
            out.* = get() catch null;
        }
    };
    const before = try get();
    var seen: ?Sets = null;
    const thread = try std.Thread.spawn(.{}, Probe.run, .{&seen});
    thread.join();
    const after = seen orelse return error.TestUnexpectedResult;
    try std.testing.expectEqual(before.permitted & bit(cap_sys_ptrace), after.permitted);
    try std.testing.expectEqual(@as(Set, 0), after.inheritable);
    // The thread that spawned it keeps its own (capabilities are per thread).
    try std.testing.expectEqual(before, try get());
}
