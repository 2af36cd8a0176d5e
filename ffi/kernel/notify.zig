//! seccomp user notification: the kernel structures and ioctls syd answers calls with.
//!
//! Needs: Linux 5.0 (NEW_LISTENER, RECV, SEND, ID_VALID), 5.5 (FLAG_CONTINUE), 5.9 (ADDFD),
//! 6.6 (SET_FLAGS with SYNC_WAKE_UP; optional, detected at run time).
//! Assumes: `fd` is a seccomp notify listener owned by the caller for the whole call. The
//! structures are the kernel's ABI on x86_64 and are checked against its sizes at compile time.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("sys.zig");

pub const SeccompData = extern struct {
    nr: i32,
    arch: u32,
    instruction_pointer: u64,
    args: [6]u64,
};

pub const Notif = extern struct {
    id: u64,
    pid: u32,
    flags: u32,
    data: SeccompData,
};

pub const NotifResp = extern struct {
    id: u64,
    val: i64,
    @"error": i32,
    flags: u32,
};

pub const NotifAddfd = extern struct {
    id: u64,
    flags: u32,
    srcfd: u32,
    newfd: u32,
    newfd_flags: u32,
};

pub const NotifSizes = extern struct {
    seccomp_notif: u16,
    seccomp_notif_resp: u16,
    seccomp_data: u16,
};

comptime {
    assert(@sizeOf(SeccompData) == 64);
    assert(@sizeOf(Notif) == 80);
    assert(@sizeOf(NotifResp) == 24);
    assert(@sizeOf(NotifAddfd) == 24);
    assert(@sizeOf(NotifSizes) == 6);
}

pub const ioctl_recv: u32 = 0xc0502100;
pub const ioctl_send: u32 = 0xc0182101;
pub const ioctl_id_valid: u32 = 0x40082102;
pub const ioctl_addfd: u32 = 0x40182103;
pub const ioctl_set_flags: u32 = 0x40082104;
comptime {
    const IOCTL = linux.IOCTL;
    assert(ioctl_recv == IOCTL.IOWR('!', 0, Notif));
    assert(ioctl_send == IOCTL.IOWR('!', 1, NotifResp));
    assert(ioctl_id_valid == IOCTL.IOW('!', 2, u64));
    assert(ioctl_addfd == IOCTL.IOW('!', 3, NotifAddfd));
    assert(ioctl_set_flags == IOCTL.IOW('!', 4, u64));
}

pub const flag_continue: u32 = 1;
pub const addfd_flag_send: u32 = 2;
pub const flag_sync_wake_up: u64 = 1;
pub const ret_user_notif: u32 = 0x7fc00000;
pub const filter_flag_new_listener: u32 = 8;
/// Once syd has received a notification, only a fatal signal ends the caller's wait (5.19): a
/// handled signal (SIGCHLD, say) no longer makes the kernel restart a call syd may already have
/// performed, whose result (a FIFO paired with its reader) would then be lost. Pending signals
/// are the interrupter's to act on (workers/int.zig).
pub const filter_flag_wait_killable_recv: u32 = 32;

/// Receives one notification. `EINTR` is returned, not retried: a signal is how syd wakes a
/// receiver on purpose (shutdown, retirement).
pub fn recv(fd: i32, out: *Notif) sys.Errno!void {
    assert(fd >= 0);
    out.* = std.mem.zeroes(Notif); // The kernel refuses a buffer that is not zeroed.
    _ = try sys.check(linux.ioctl(fd, ioctl_recv, @intFromPtr(out)));
    assert(out.id != 0 or out.pid != 0);
}

/// Answers a notification. `error.NOENT`: the caller died or was interrupted meanwhile.
pub fn send(fd: i32, resp: *const NotifResp) sys.Errno!void {
    assert(fd >= 0);
    assert(resp.flags == 0 or resp.flags == flag_continue);
    _ = try sys.retry(linux.ioctl, .{ fd, ioctl_send, @intFromPtr(resp) });
}

/// Answers "let the kernel run the call as it is".
pub fn send_continue(fd: i32, id: u64) sys.Errno!void {
    const resp: NotifResp = .{ .id = id, .val = 0, .@"error" = 0, .flags = flag_continue };
    return send(fd, &resp);
}

/// Answers with an error: the caller's call returns -1 with `errno` set to `errno_value`.
pub fn send_error(fd: i32, id: u64, errno_value: i32) sys.Errno!void {
    assert(errno_value > 0);
    const resp: NotifResp = .{ .id = id, .val = 0, .@"error" = -errno_value, .flags = 0 };
    return send(fd, &resp);
}

/// Whether request `id` is still waiting for an answer (its caller alive and not interrupted).
pub fn id_valid(fd: i32, id: u64) bool {
    assert(fd >= 0);
    var value: u64 = id;
    const rc = sys.retry(linux.ioctl, .{ fd, ioctl_id_valid, @intFromPtr(&value) });
    return if (rc) |_| true else |_| false;
}

/// Asks the kernel to wake the answering thread on the caller's CPU (Linux 6.6+).
pub fn set_sync_wake_up(fd: i32) sys.Errno!void {
    assert(fd >= 0);
    _ = try sys.retry(linux.ioctl, .{ fd, ioctl_set_flags, flag_sync_wake_up });
}

/// Puts `srcfd` into the caller as the result of request `id` (ADDFD with SEND, Linux 5.14):
/// the kernel answers the call with the new fd's number. The caller keeps `srcfd` to close.
pub fn send_fd(fd: i32, id: u64, srcfd: i32, cloexec: bool) sys.Errno!void {
    assert(fd >= 0 and srcfd >= 0);
    const addfd: NotifAddfd = .{
        .id = id,
        .flags = addfd_flag_send,
        .srcfd = @intCast(srcfd),
        .newfd = 0,
        .newfd_flags = if (cloexec) @as(u32, 0o2000000) else 0,
    };
    _ = try sys.retry(linux.ioctl, .{ fd, ioctl_addfd, @intFromPtr(&addfd) });
}

/// Puts `srcfd` into the caller of request `id` without answering it (ADDFD, Linux 5.9): the
/// new fd's number in the caller. The caller keeps `srcfd` to close.
pub fn add_fd(fd: i32, id: u64, srcfd: i32, cloexec: bool) sys.Errno!i32 {
    assert(fd >= 0 and srcfd >= 0);
    const addfd: NotifAddfd = .{
        .id = id,
        .flags = 0,
        .srcfd = @intCast(srcfd),
        .newfd = 0,
        .newfd_flags = if (cloexec) @as(u32, 0o2000000) else 0,
    };
    const number = try sys.retry(linux.ioctl, .{ fd, ioctl_addfd, @intFromPtr(&addfd) });
    assert(number <= std.math.maxInt(i32));
    return @intCast(number);
}

/// Whether ADDFD is known to the kernel: asking for a request that does not exist answers
/// ENOENT where it is, EINVAL or ENOTTY where it is not.
pub fn addfd_supported(fd: i32) bool {
    assert(fd >= 0);
    const addfd: NotifAddfd = .{ .id = 1, .flags = 0, .srcfd = 0, .newfd = 0, .newfd_flags = 0 };
    const rc = sys.retry(linux.ioctl, .{ fd, ioctl_addfd, @intFromPtr(&addfd) });
    return if (rc) |_| true else |err| err == error.NOENT;
}
