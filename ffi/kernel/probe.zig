//! Kernel feature probe: what seccomp user notification offers on this machine.
//!
//! Needs: fork; probes SECCOMP_GET_ACTION_AVAIL, SECCOMP_GET_NOTIF_SIZES, and on a listener of
//! a throwaway child: SECCOMP_IOCTL_NOTIF_ADDFD (5.9) and SECCOMP_IOCTL_NOTIF_SET_FLAGS (6.6).
//! Assumes: nothing; the filter is loaded only in the forked child, which makes raw system
//! calls only and exits at once (a filter must never land on one of Deno's threads).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("sys.zig");
const notify = @import("notify.zig");
const SockFilter = @import("../filter/sandbox.zig").SockFilter;

pub const Found = struct {
    user_notif: bool = false,
    notif_sizes_ok: bool = false,
    addfd: bool = false,
    sync_wake_up: bool = false,
};

const Report = extern struct { listener: u32, addfd: u32, sync_wake_up: u32, reserved: u32 = 0 };

pub fn run() Found {
    var found: Found = .{};
    var action: u32 = notify.ret_user_notif;
    found.user_notif = linux.E.init(linux.seccomp(linux.SECCOMP.GET_ACTION_AVAIL, 0, &action)) == .SUCCESS;
    var sizes: notify.NotifSizes = undefined;
    if (linux.E.init(linux.seccomp(linux.SECCOMP.GET_NOTIF_SIZES, 0, &sizes)) == .SUCCESS) {
        found.notif_sizes_ok = sizes.seccomp_notif >= @sizeOf(notify.Notif) and
            sizes.seccomp_notif_resp >= @sizeOf(notify.NotifResp) and
            sizes.seccomp_data == @sizeOf(notify.SeccompData);
    }
    if (!found.user_notif) return found;
    const report = probe_listener() catch return found;
    found.addfd = report.addfd == 1;
    found.sync_wake_up = report.sync_wake_up == 1;
    assert(!found.sync_wake_up or report.listener == 1);
    return found;
}

fn probe_listener() sys.Errno!Report {
    const fds = try sys.pipe(false);
    const rc = linux.fork();
    if (rc == 0) child(fds[1]);
    sys.close(fds[1]);
    defer sys.close(fds[0]);
    const pid: i32 = @intCast(try sys.check(rc));
    var report: Report = undefined;
    const len = sys.read_full(fds[0], std.mem.asBytes(&report)) catch 0;
    _ = sys.wait_exit(pid) catch {};
    if (len != @sizeOf(Report)) return error.PROTO;
    return report;
}

fn child(report_wr: i32) noreturn {
    var report: Report = .{ .listener = 0, .addfd = 0, .sync_wake_up = 0 };
    // Trap only uname(2), which this child never calls; allow everything else.
    const program = [_]SockFilter{
        .{ .code = 0x20, .jt = 0, .jf = 0, .k = 0 }, // ld [nr]
        .{ .code = 0x15, .jt = 0, .jf = 1, .k = @intFromEnum(linux.SYS.uname) }, // jeq uname
        .{ .code = 0x06, .jt = 0, .jf = 0, .k = notify.ret_user_notif },
        .{ .code = 0x06, .jt = 0, .jf = 0, .k = 0x7fff0000 }, // allow
    };
    const prog = extern struct { len: u16, filter: [*]const SockFilter }{ .len = program.len, .filter = &program };
    if (linux.E.init(linux.prctl(@intFromEnum(linux.PR.SET_NO_NEW_PRIVS), 1, 0, 0, 0)) == .SUCCESS) {
        const rc = linux.seccomp(linux.SECCOMP.SET_MODE_FILTER, notify.filter_flag_new_listener, &prog);
        if (linux.E.init(rc) == .SUCCESS) {
            const fd: i32 = @intCast(rc);
            report.listener = 1;
            report.addfd = @intFromBool(notify.addfd_supported(fd));
            report.sync_wake_up = @intFromBool(if (notify.set_sync_wake_up(fd)) |_| true else |_| false);
        }
    }
    _ = linux.write(report_wr, std.mem.asBytes(&report), @sizeOf(Report));
    linux.exit_group(0);
}

test "the probe finds user notification on this kernel" {
    const found = run();
    try std.testing.expect(found.user_notif);
    try std.testing.expect(found.notif_sizes_ok);
}
