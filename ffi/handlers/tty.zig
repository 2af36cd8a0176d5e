//! `/dev/tty` opened for the caller: the kernel gives the opener's own controlling terminal,
//! so syd, which performs the open, must not open `/dev/tty` as itself (that would be syd's
//! terminal, or none). It reads the caller's controlling terminal from /proc/TID/stat and opens
//! that device in the caller's root instead; a caller without one gets ENXIO, as the kernel
//! answers it. Without this, a sandboxed process that left syd's session (setsid) could open
//! the terminal syd was started from, and one that made a new pty its terminal got syd's.
//!
//! Needs: /proc/TID/stat, devpts at /dev/pts in the caller's root for pseudo-terminals.
//! Assumes: the caller's filesystem credentials are syd's (emulate.caller_for checked them),
//! and the path was judged as `/dev/tty` (what the program asked for).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const emulate = @import("emulate.zig");

/// /dev/tty: character device 5:0.
pub const tty_rdev: u64 = sys.makedev(5, 0);

/// Whether `fd` (opened by syd) is /dev/tty itself, which names the opener's terminal.
pub fn is_dev_tty(fd: i32) bool {
    assert(fd >= 0);
    var st: linux.Stat = undefined;
    _ = sys.retry(linux.fstat, .{ fd, &st }) catch return false;
    return st.mode & linux.S.IFMT == linux.S.IFCHR and st.rdev == tty_rdev;
}

/// The caller's controlling terminal (`tty_nr` of /proc/TID/stat, the kernel's encoding), or
/// ENXIO when it has none.
pub fn caller_tty_nr(tid: i32) sys.Errno!u32 {
    assert(tid > 0);
    var path_buf: [48]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/stat", .{tid}) catch unreachable;
    const fd: i32 = @intCast(try sys.retry(linux.open, .{ path.ptr, linux.O{ .CLOEXEC = true }, @as(linux.mode_t, 0) }));
    defer sys.close(fd);
    var buf: [1024]u8 = undefined;
    const n = try sys.retry(linux.read, .{ fd, &buf, buf.len });
    const tty_nr = parse_tty_nr(buf[0..n]) orelse return error.NXIO;
    if (tty_nr == 0) return error.NXIO;
    return tty_nr;
}

/// Field 7 of a /proc/PID/stat line; the command (field 2) may hold spaces and parentheses, so
/// fields are counted after its last `)`.
pub fn parse_tty_nr(line: []const u8) ?u32 {
    const close = std.mem.lastIndexOfScalar(u8, line, ')') orelse return null;
    var fields = std.mem.tokenizeScalar(u8, line[close + 1 ..], ' ');
    var index: u32 = 3;
    while (fields.next()) |field| : (index += 1) {
        if (index == 7) return std.fmt.parseInt(u32, field, 10) catch null;
        if (index > 7) break;
    }
    return null;
}

/// The device number of a `tty_nr`.
fn rdev_of(tty_nr: u32) u64 {
    const major = (tty_nr >> 8) & 0xfff;
    const minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    return sys.makedev(major, minor);
}

/// Opens the caller's controlling terminal in its root with `flags` (as performed for the
/// caller), checked to be that device; ENXIO when it has none or it cannot be found there.
pub fn open_caller_tty(tid: i32, flags: u64) sys.Errno!i32 {
    const tty_nr = try caller_tty_nr(tid);
    const major = (tty_nr >> 8) & 0xfff;
    const minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    var name_buf: [32]u8 = undefined;
    const name = if (major >= 136 and major <= 143)
        std.fmt.bufPrint(&name_buf, "/dev/pts/{d}", .{(major - 136) * 256 + minor}) catch unreachable
    else if (major == 4 and minor < 64)
        std.fmt.bufPrint(&name_buf, "/dev/tty{d}", .{minor}) catch unreachable
    else if (major == 4)
        std.fmt.bufPrint(&name_buf, "/dev/ttyS{d}", .{minor - 64}) catch unreachable
    else if (major == 5 and minor == 1)
        "/dev/console"
    else
        return error.NXIO; // another driver's terminal (a USB serial line): not looked for
    const root = try emulate.Root.open(tid);
    defer root.close();
    const fd = root.openat2(name, flags, 0) catch |err| return if (err == error.NOENT) error.NXIO else err;
    var st: linux.Stat = undefined;
    _ = sys.retry(linux.fstat, .{ fd, &st }) catch |err| {
        sys.close(fd);
        return err;
    };
    if (st.mode & linux.S.IFMT != linux.S.IFCHR or st.rdev != rdev_of(tty_nr)) {
        sys.close(fd);
        return error.NXIO; // another devpts instance, or not that terminal
    }
    return fd;
}

test "parse_tty_nr reads field 7 after the command, whatever the command holds" {
    try std.testing.expectEqual(@as(?u32, 34817), parse_tty_nr("123 (bash) S 1 123 123 34817 123 4194560 0"));
    try std.testing.expectEqual(@as(?u32, 0), parse_tty_nr("9 (a) b) (c) R 1 9 9 0 -1 0"));
    try std.testing.expectEqual(@as(?u32, null), parse_tty_nr("9 (a) R 1"));
    try std.testing.expectEqual(@as(?u32, null), parse_tty_nr("garbage"));
}

test "rdev_of decodes the kernel's tty_nr into a device number" {
    // /dev/pts/1: 136:1, tty_nr 34817.
    try std.testing.expectEqual(sys.makedev(136, 1), rdev_of(34817));
    try std.testing.expectEqual(sys.makedev(4, 1), rdev_of(4 << 8 | 1));
}
