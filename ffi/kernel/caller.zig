//! What syd needs to know about the thread that made a trapped call: its thread group, its
//! filesystem credentials and umask, its command name and working directory (for logs).
//!
//! Needs: /proc/TID/status (Tgid, Uid, Gid, Groups, Umask), /proc/TID/comm, /proc/TID/cwd.
//! Assumes: `tid` is the notification's pid field (a thread id in syd's pid namespace). The
//! thread may die at any moment: every read may fail, and callers fail closed. The values are
//! only trusted after the request is checked valid (SECCOMP_IOCTL_NOTIF_ID_VALID).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("sys.zig");

pub const groups_max: usize = 64;
const status_len_max: usize = 8192;

/// The parts of /proc/TID/status syd acts on.
pub const Status = struct {
    tgid: i32 = 0,
    /// The thread group's parent (0: none seen).
    ppid: i32 = 0,
    /// The thread group and the thread in the innermost pid namespace (the sandbox's own when
    /// it has one: layers/namespaces.zig); 0 when the status did not say (Linux before 4.1).
    ns_tgid: i32 = 0,
    ns_tid: i32 = 0,
    /// How many pid namespaces the thread group is in (NStgid's numbers; 0: not said).
    ns_levels: u32 = 0,
    fsuid: u32 = 0,
    fsgid: u32 = 0,
    /// The real, effective and saved uids, and gids.
    uids: [3]u32 = .{ 0, 0, 0 },
    gids: [3]u32 = .{ 0, 0, 0 },
    umask: u32 = 0o022,
    groups: [groups_max]u32 = undefined,
    groups_len: usize = 0,
    /// The real, effective, saved and filesystem uids are one, and so are the gids.
    ids_uniform: bool = false,

    pub fn group_list(self: *const Status) []const u32 {
        return self.groups[0..self.groups_len];
    }
};

/// The `Key:\tvalue` lines of a /proc status file (at most `status_lines_max` are looked at).
pub const Fields = struct {
    lines: std.mem.SplitIterator(u8, .scalar),
    count: usize = 0,

    pub const Field = struct { key: []const u8, value: []const u8 };
    const status_lines_max: usize = 256; // a status file has about 60

    pub fn init(text: []const u8) Fields {
        return .{ .lines = std.mem.splitScalar(u8, text, '\n') };
    }

    pub fn next(self: *Fields) ?Field {
        while (self.lines.next()) |line| {
            self.count += 1;
            if (self.count > status_lines_max) return null;
            const colon = std.mem.indexOfScalar(u8, line, ':') orelse continue;
            return .{ .key = line[0..colon], .value = std.mem.trim(u8, line[colon + 1 ..], " \t") };
        }
        return null;
    }
};

/// Reads a small /proc file into `buf`; returns its text.
pub fn read_proc(path: [*:0]const u8, buf: []u8) sys.Errno![]const u8 {
    assert(buf.len > 0);
    const fd: i32 = @intCast(try sys.retry(linux.open, .{ path, linux.O{ .CLOEXEC = true }, @as(linux.mode_t, 0) }));
    defer sys.close(fd);
    const len = try sys.read_full(fd, buf);
    assert(len <= buf.len);
    return buf[0..len];
}

/// Reads /proc/TID/status.
pub fn read_status(tid: i32, out: *Status) sys.Errno!void {
    assert(tid > 0);
    var path_buf: [64]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/status", .{tid}) catch unreachable;
    var buf: [status_len_max]u8 = undefined;
    const text = try read_proc(path.ptr, &buf);
    if (text.len == buf.len) return error.@"2BIG"; // never act on a cut status
    try parse_status(text, out);
    assert(out.tgid > 0);
}

/// Parses the text of /proc/TID/status.
pub fn parse_status(text: []const u8, out: *Status) sys.Errno!void {
    var seen: u8 = 0;
    var fields = Fields.init(text);
    while (fields.next()) |f| {
        const key = f.key;
        const value = f.value;
        if (std.mem.eql(u8, key, "Tgid")) {
            out.tgid = std.fmt.parseInt(i32, value, 10) catch return error.INVAL;
            seen |= 1;
        } else if (std.mem.eql(u8, key, "PPid")) {
            out.ppid = std.fmt.parseInt(i32, value, 10) catch return error.INVAL;
        } else if (std.mem.eql(u8, key, "NStgid")) {
            out.ns_tgid = try innermost(value);
            out.ns_levels = @intCast(std.mem.count(u8, std.mem.trim(u8, value, " \t"), "\t") + 1);
        } else if (std.mem.eql(u8, key, "NSpid")) {
            out.ns_tid = try innermost(value);
        } else if (std.mem.eql(u8, key, "Uid")) {
            out.fsuid = try field(value, 3);
            for (&out.uids, 0..) |*id, index| id.* = try field(value, index);
            if (try uniform(value)) seen |= 8;
            seen |= 2;
        } else if (std.mem.eql(u8, key, "Gid")) {
            out.fsgid = try field(value, 3);
            for (&out.gids, 0..) |*id, index| id.* = try field(value, index);
            if (try uniform(value)) seen |= 16;
            seen |= 4;
        } else if (std.mem.eql(u8, key, "Umask")) {
            out.umask = std.fmt.parseInt(u32, value, 8) catch return error.INVAL;
        } else if (std.mem.eql(u8, key, "Groups")) {
            out.groups_len = 0;
            var items = std.mem.tokenizeAny(u8, value, " \t");
            while (items.next()) |item| {
                if (out.groups_len == groups_max) return error.@"2BIG";
                out.groups[out.groups_len] = std.fmt.parseInt(u32, item, 10) catch return error.INVAL;
                out.groups_len += 1;
            }
        }
    }
    if (seen & 7 != 7) return error.INVAL;
    out.ids_uniform = seen & (8 | 16) == 8 | 16;
}

/// The last number of a status value ("4711\t2"): the id in the innermost pid namespace.
fn innermost(value: []const u8) sys.Errno!i32 {
    var items = std.mem.tokenizeAny(u8, value, " \t");
    var last: ?[]const u8 = null;
    var count: usize = 0;
    while (items.next()) |item| : (count += 1) {
        if (count == 32) return error.INVAL; // the kernel nests 32 pid namespaces at most
        last = item;
    }
    const text = last orelse return error.INVAL;
    const id = std.fmt.parseInt(i32, text, 10) catch return error.INVAL;
    if (id <= 0) return error.INVAL;
    return id;
}

/// Whether the four ids of a status value ("1000 1000 1000 1000") are one.
fn uniform(value: []const u8) sys.Errno!bool {
    const first = try field(value, 0);
    for (1..4) |index| if (try field(value, index) != first) return false;
    return true;
}

/// The `index`-th whitespace-separated number of a status value ("1000 1000 1000 1000").
fn field(value: []const u8, index: usize) sys.Errno!u32 {
    var items = std.mem.tokenizeAny(u8, value, " \t");
    var i: usize = 0;
    while (items.next()) |item| : (i += 1) {
        if (i == index) return std.fmt.parseInt(u32, item, 10) catch error.INVAL;
    }
    return error.INVAL;
}

/// syd's own filesystem credentials, for comparing with a caller's.
pub fn own_status(out: *Status) sys.Errno!void {
    try read_status(sys.getpid(), out);
}

/// Whether the caller's credentials are syd's: only then may syd act for it as itself.
pub fn same_credentials(a: *const Status, b: *const Status) bool {
    if (a.fsuid != b.fsuid or a.fsgid != b.fsgid) return false;
    return std.mem.eql(u32, a.group_list(), b.group_list());
}

/// The caller's command name (/proc/TID/comm, without the newline), for logs.
pub fn comm(tid: i32, buf: *[32]u8) []const u8 {
    var path_buf: [64]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/comm", .{tid}) catch unreachable;
    const text = read_proc(path.ptr, buf) catch return "?";
    return std.mem.trimRight(u8, text, "\n");
}

/// The caller's working directory (/proc/TID/cwd), for logs.
pub fn cwd(tid: i32, buf: *[4096]u8) []const u8 {
    var path_buf: [64]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/cwd", .{tid}) catch unreachable;
    const len = sys.check(linux.readlink(path.ptr, buf, buf.len)) catch return "?";
    return buf[0..len];
}

test "parse_status reads the thread group, fs credentials, groups and umask" {
    var status: Status = .{};
    try parse_status("Name:\tcat\nUmask:\t0027\nState:\tR (running)\nTgid:\t4242\n" ++
        "Uid:\t1000\t1001\t1002\t1003\nGid:\t100\t101\t102\t103\nGroups:\t4 24 27 \n", &status);
    try std.testing.expectEqual(@as(i32, 4242), status.tgid);
    try std.testing.expect(!status.ids_uniform);
    try std.testing.expectEqual(@as(u32, 1003), status.fsuid);
    try std.testing.expectEqual([3]u32{ 1000, 1001, 1002 }, status.uids);
    try std.testing.expectEqual([3]u32{ 100, 101, 102 }, status.gids);
    try std.testing.expectEqual(@as(u32, 103), status.fsgid);
    try std.testing.expectEqual(@as(u32, 0o027), status.umask);
    try std.testing.expectEqualSlices(u32, &.{ 4, 24, 27 }, status.group_list());
    try std.testing.expectError(error.INVAL, parse_status("Name:\tx\n", &status));
    try parse_status("Tgid:\t7\nUid:\t0\t0\t0\t0\nGid:\t5\t5\t5\t5\n", &status);
    try std.testing.expect(status.ids_uniform);
    try parse_status("Tgid:\t7\nUid:\t0\t0\t0\t0\nGid:\t5\t5\t6\t5\n", &status);
    try std.testing.expect(!status.ids_uniform);
    // The innermost pid namespace's ids: the last of each list.
    try parse_status("Tgid:\t900\nNStgid:\t900\t1\nNSpid:\t901\t2\nUid:\t0\t0\t0\t0\nGid:\t5\t5\t5\t5\n", &status);
    try std.testing.expectEqual(@as(i32, 1), status.ns_tgid);
    try std.testing.expectEqual(@as(i32, 2), status.ns_tid);
    try std.testing.expectEqual(@as(u32, 2), status.ns_levels);
    try std.testing.expectError(error.INVAL, parse_status("Tgid:\t9\nNSpid:\t\nUid:\t0\t0\t0\t0\nGid:\t5\t5\t5\t5\n", &status));
}

test "read_status of this process matches its own credentials" {
    var mine: Status = .{};
    try own_status(&mine);
    try std.testing.expectEqual(sys.getpid(), mine.tgid);
    try std.testing.expectEqual(linux.geteuid(), mine.fsuid);
    var other: Status = .{};
    try read_status(sys.gettid(), &other);
    try std.testing.expect(same_credentials(&mine, &other));
    other.fsuid +%= 1;
    try std.testing.expect(!same_credentials(&mine, &other));
}
