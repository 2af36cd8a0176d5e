//! Calls that change a file's metadata: chmod, chown and chgrp, utime, and extended attributes
//! (chattr). Path calls are judged on the canonical path, then performed by syd on an O_PATH fd
//! it opened on exactly that path (no symlink followed on the way); fd calls on syd's own copy
//! of the caller's fd (pidfd_getfd), judged on that copy's path.
//!
//! Needs: what emulate.zig needs; pidfd_getfd (Linux 5.6); /proc/self/fd for acting on O_PATH fds.
//! Assumes: emulator threads share syd's fd table (they unshare only CLONE_FS).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const path_mod = @import("../judge/path.zig");
const policy_mod = @import("../judge/policy.zig");
const handlers = @import("mod.zig");
const emulate = @import("emulate.zig");
const mask = @import("mask.zig");
const stat = @import("stat.zig");
const harden = @import("harden.zig");
const namespaces = @import("../layers/namespaces.zig");

const Request = handlers.Request;
const Response = handlers.Response;
const Cat = policy_mod.Cat;
const SYS = linux.SYS;

const xattr_name_max: usize = 255;
const xattr_size_max: usize = 65536;

/// Every category these calls feed.
pub const family = [_]Cat{ .chmod, .chown, .chgrp, .utime, .chattr };

/// syd's fd on the object a call names, and whether it was opened from a path (O_PATH).
const Target = struct {
    fd: i32,
    by_path: bool,

    /// `/proc/thread-self/fd/N`, to act through an O_PATH fd with calls that take a path.
    fn proc_path(self: Target, buf: *[48]u8) [:0]const u8 {
        return emulate.fd_link(self.fd, buf);
    }
};

const Found = union(enum) { answer: Response, target: Target };

/// Judges the path at `addr` (relative to `dirfd`) for `cats` and opens it (O_PATH) for syd.
fn by_path(request: *const Request, dirfd: i32, addr: u64, flags: u32, cats: []const Cat) Found {
    var buf: [path_mod.long_len_max]u8 = undefined;
    const follow = flags & handlers.at.symlink_nofollow == 0;
    const canonical = handlers.resolve(request, dirfd, addr, .{
        .follow = if (follow) .follow else .nofollow_last,
        .empty_path = flags & handlers.at.empty_path != 0,
    }, &buf) catch |err| return .{ .answer = handlers.failure(err) };
    if (!request.valid()) return .{ .answer = .{ .failure = @intFromEnum(linux.E.NOENT) } };
    if (handlers.decide(request, cats, canonical)) |response| return .{ .answer = response };
    _ = emulate.act_for(request, canonical, false) catch |err| return .{ .answer = handlers.failure(err) };
    const root = emulate.Root.open(request.tid()) catch |err| return .{ .answer = handlers.failure(err) };
    defer root.close();
    const fd = root.openat2(canonical, handlers.o.path | (if (follow) 0 else handlers.o.nofollow), 0) catch |err| return .{ .answer = handlers.failure(err) };
    return .{ .target = .{ .fd = fd, .by_path = true } };
}

/// Copies the caller's fd `target`, judges the copy's path for `cats`.
fn by_fd(request: *const Request, target: i32, cats: []const Cat) Found {
    const fd = emulate.caller_fd(request, target, false) catch |err| return .{ .answer = handlers.failure(err) };
    var buf: [path_mod.long_len_max]u8 = undefined;
    const canonical = emulate.own_fd_path(request, fd, &buf) catch |err| {
        sys.close(fd);
        return .{ .answer = handlers.failure(err) };
    };
    const answer: ?Response = if (!request.valid())
        .{ .failure = @intFromEnum(linux.E.NOENT) }
    else
        handlers.decide(request, cats, canonical);
    if (answer) |response| {
        sys.close(fd);
        return .{ .answer = response };
    }
    return .{ .target = .{ .fd = fd, .by_path = false } };
}

fn done(rc: sys.Errno!usize) Response {
    _ = rc catch |err| return handlers.failure(err);
    return .{ .value = 0 };
}

pub fn chmod(request: *const Request) Response {
    if (!handlers.any_on(request.policy, &.{.chmod}) and request.policy.masks.len == 0) return .continue_call;
    const nr: SYS = @enumFromInt(@as(usize, @intCast(request.notif.data.nr)));
    const asked: u32 = @truncate(request.arg(if (nr == .chmod) 1 else if (nr == .fchmod) 1 else 2));
    const found = switch (nr) {
        .chmod => by_path(request, handlers.at.fdcwd, request.arg(0), 0, &.{.chmod}),
        .fchmodat => by_path(request, handlers.fd_arg(request, 0), request.arg(1), 0, &.{.chmod}),
        .fchmodat2 => by_path(request, handlers.fd_arg(request, 0), request.arg(1), @truncate(request.arg(3)), &.{.chmod}),
        .fchmod => by_fd(request, handlers.fd_arg(request, 0), &.{.chmod}),
        else => unreachable,
    };
    const target = switch (found) {
        .answer => |response| return response,
        .target => |target| target,
    };
    defer sys.close(target.fd);
    const mode = harden.directory_bits_kept(request.policy, target.fd, asked) catch |err| return handlers.failure(err);
    if (mode != asked) request.log.emit(.warn, .{
        .ctx = "immutable_sticky",
        .sys = handlers.syscall_name(request.notif.data.nr),
        .mode = asked,
        .kept = mode,
        .pid = request.tid(),
        .msg = "a directory keeps its sticky and setgid bits",
        .tip = "use `trace/allow_unsafe_sticky:1'",
    });
    if (!target.by_path) return done(sys.retry(linux.fchmod, .{ target.fd, mode }));
    var buf: [48]u8 = undefined;
    return done(sys.retry(linux.fchmodat, .{ handlers.at.fdcwd, target.proc_path(&buf).ptr, mode, @as(u32, 0) }));
}

pub fn chown(request: *const Request) Response {
    if (!handlers.any_on(request.policy, &.{ .chown, .chgrp }) and request.policy.masks.len == 0) return .continue_call;
    const nr: SYS = @enumFromInt(@as(usize, @intCast(request.notif.data.nr)));
    const first: usize = if (nr == .fchownat) 2 else 1;
    const uid: u32 = @truncate(request.arg(first));
    const gid: u32 = @truncate(request.arg(first + 1));
    var cats_buf: [2]Cat = undefined;
    var cats_len: usize = 0;
    if (uid != std.math.maxInt(u32)) {
        cats_buf[cats_len] = .chown;
        cats_len += 1;
    }
    if (gid != std.math.maxInt(u32)) {
        cats_buf[cats_len] = .chgrp;
        cats_len += 1;
    }
    if (cats_len == 0) return .continue_call; // changes nothing: nothing to judge
    const cats = cats_buf[0..cats_len];
    const found = switch (nr) {
        .chown => by_path(request, handlers.at.fdcwd, request.arg(0), 0, cats),
        .lchown => by_path(request, handlers.at.fdcwd, request.arg(0), handlers.at.symlink_nofollow, cats),
        .fchownat => by_path(request, handlers.fd_arg(request, 0), request.arg(1), @truncate(request.arg(4)), cats),
        .fchown => by_fd(request, handlers.fd_arg(request, 0), cats),
        else => unreachable,
    };
    const target = switch (found) {
        .answer => |response| return response,
        .target => |target| target,
    };
    defer sys.close(target.fd);
    const rc = sys.retry(linux.syscall5, .{ .fchownat, @as(usize, @intCast(target.fd)), @intFromPtr(""), uid, gid, handlers.at.empty_path });
    return done(rc);
}

pub fn utime(request: *const Request) Response {
    if (!handlers.any_on(request.policy, &.{.utime}) and request.policy.masks.len == 0) return .continue_call;
    const nr: SYS = @enumFromInt(@as(usize, @intCast(request.notif.data.nr)));
    var times: [2]linux.timespec = undefined;
    const times_addr = request.arg(if (nr == .futimesat or nr == .utimensat) 2 else 1);
    const have_times = read_times(request, nr, times_addr, &times) catch |err| return handlers.failure(err);
    const flags: u32 = if (nr == .utimensat) @truncate(request.arg(3)) else 0;
    if (flags & ~(handlers.at.symlink_nofollow | handlers.at.empty_path) != 0) return .{ .failure = @intFromEnum(linux.E.INVAL) };
    const found = switch (nr) {
        .utime, .utimes => by_path(request, handlers.at.fdcwd, request.arg(0), 0, &.{.utime}),
        .futimesat => by_path(request, handlers.fd_arg(request, 0), request.arg(1), 0, &.{.utime}),
        .utimensat => if (request.arg(1) == 0) // futimens: the fd itself
            by_fd(request, handlers.fd_arg(request, 0), &.{.utime})
        else
            by_path(request, handlers.fd_arg(request, 0), request.arg(1), flags, &.{.utime}),
        else => unreachable,
    };
    const target = switch (found) {
        .answer => |response| return response,
        .target => |target| target,
    };
    defer sys.close(target.fd);
    const times_ptr: ?*const [2]linux.timespec = if (have_times) &times else null;
    if (!target.by_path) return done(sys.retry(linux.utimensat, .{ target.fd, null, times_ptr, @as(u32, 0) }));
    var buf: [48]u8 = undefined;
    return done(sys.retry(linux.utimensat, .{ handlers.at.fdcwd, target.proc_path(&buf).ptr, times_ptr, @as(u32, 0) }));
}

/// Reads the caller's times in the call's format into timespecs; false for "now" (NULL).
fn read_times(request: *const Request, nr: SYS, addr: u64, out: *[2]linux.timespec) sys.Errno!bool {
    if (addr == 0) return false;
    switch (nr) {
        .utime => {
            var buf: [2]i64 = undefined; // struct utimbuf { actime, modtime }
            try handlers.read_memory(request.tid(), addr, std.mem.asBytes(&buf));
            out.* = .{ .{ .sec = buf[0], .nsec = 0 }, .{ .sec = buf[1], .nsec = 0 } };
        },
        .utimes, .futimesat => {
            var buf: [4]i64 = undefined; // struct timeval[2]
            try handlers.read_memory(request.tid(), addr, std.mem.asBytes(&buf));
            for (0..2) |i| {
                if (buf[2 * i + 1] < 0 or buf[2 * i + 1] >= 1_000_000) return error.INVAL;
                out[i] = .{ .sec = buf[2 * i], .nsec = buf[2 * i + 1] * 1000 };
            }
        },
        else => try handlers.read_memory(request.tid(), addr, std.mem.asBytes(out)),
    }
    return true;
}

pub fn xattr(request: *const Request) Response {
    if (!handlers.any_on(request.policy, &.{.chattr}) and request.policy.masks.len == 0) return .continue_call;
    const nr: SYS = @enumFromInt(@as(usize, @intCast(request.notif.data.nr)));
    const caller: path_mod.Caller = .{ .pid = request.tid(), .tid = request.tid() };
    var name_buf: [path_mod.path_len_max]u8 = undefined;
    read_name(caller, request.arg(1), &name_buf) catch |err| return handlers.failure(err);
    const setting = nr == .setxattr or nr == .lsetxattr or nr == .fsetxattr;
    var value_buf: [xattr_size_max]u8 = undefined;
    var value: []const u8 = &.{};
    if (setting) {
        const size = request.arg(3);
        if (size > xattr_size_max) return .{ .failure = @intFromEnum(linux.E.@"2BIG") };
        if (size > 0) {
            handlers.read_memory(request.tid(), request.arg(2), value_buf[0..size]) catch |err| return handlers.failure(err);
            value = value_buf[0..size];
            if (namespaces.id_map) |*map| if (namespaces.is_acl_name(std.mem.sliceTo(&name_buf, 0))) {
                namespaces.acl_from_view(map, value_buf[0..size]) catch return .{ .failure = @intFromEnum(linux.E.INVAL) };
            };
        }
    }
    const found = switch (nr) {
        .setxattr, .removexattr => by_path(request, handlers.at.fdcwd, request.arg(0), 0, &.{.chattr}),
        .lsetxattr, .lremovexattr => by_path(request, handlers.at.fdcwd, request.arg(0), handlers.at.symlink_nofollow, &.{.chattr}),
        .fsetxattr, .fremovexattr => by_fd(request, handlers.fd_arg(request, 0), &.{.chattr}),
        else => unreachable,
    };
    const target = switch (found) {
        .answer => |response| return response,
        .target => |target| target,
    };
    defer sys.close(target.fd);
    const name_z: [*:0]const u8 = @ptrCast(&name_buf);
    const flags: usize = if (setting) @as(u32, @truncate(request.arg(4))) else 0;
    if (!target.by_path) {
        return done(if (setting)
            sys.retry(linux.fsetxattr, .{ target.fd, name_z, value.ptr, value.len, flags })
        else
            sys.retry(linux.syscall2, .{ .fremovexattr, @as(usize, @intCast(target.fd)), @intFromPtr(name_z) }));
    }
    var buf: [48]u8 = undefined;
    const proc_path = target.proc_path(&buf);
    return done(if (setting)
        sys.retry(linux.setxattr, .{ proc_path.ptr, name_z, value.ptr, value.len, flags })
    else
        sys.retry(linux.removexattr, .{ proc_path.ptr, name_z }));
}

/// Reads an attribute name from the caller into `buf`, NUL-terminated: ERANGE when empty or
/// longer than the kernel allows.
fn read_name(caller: path_mod.Caller, addr: u64, buf: *[path_mod.path_len_max]u8) sys.Errno!void {
    const name = try path_mod.read_string(caller, addr, buf);
    if (name.len == 0 or name.len > xattr_name_max) return error.RANGE;
    buf[name.len] = 0;
}

/// getxattr, lgetxattr, listxattr, llistxattr: judged for stat and
/// read (as the original judges them), performed by syd through an O_PATH fd of the judged path,
/// the value or list written into the caller's memory. fgetxattr and flistxattr act on an fd
/// the caller holds, judged when it was opened.
pub fn xattr_read(request: *const Request) Response {
    // Masks (mask.zig): a masked path answers with its target's xattrs, as the original.
    if (!handlers.any_on(request.policy, &.{ .stat, .read }) and request.policy.masks.len == 0) return .continue_call;
    const nr: SYS = @enumFromInt(@as(usize, @intCast(request.notif.data.nr)));
    const listing = nr == .listxattr or nr == .llistxattr;
    const follow = nr == .getxattr or nr == .listxattr;
    const caller: path_mod.Caller = .{ .pid = request.tid(), .tid = request.tid() };
    var name_buf: [path_mod.path_len_max]u8 = undefined;
    if (!listing) read_name(caller, request.arg(1), &name_buf) catch |err| return handlers.failure(err);
    const out_addr = request.arg(if (listing) 1 else 2);
    // The kernel reads size as a size_t and caps what it returns at 64 KiB.
    const size: usize = @intCast(@min(request.arg(if (listing) 2 else 3), xattr_size_max));
    var buf: [path_mod.path_len_max]u8 = undefined;
    const canonical = handlers.resolve(request, handlers.at.fdcwd, request.arg(0), .{
        .follow = if (follow) .follow else .nofollow_last,
    }, &buf) catch |err| return handlers.failure(err);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (handlers.decide(request, &.{.stat}, canonical)) |response| switch (response) {
        .failure => return response,
        else => {}, // stat is off: read decides
    };
    if (handlers.decide(request, &.{.read}, canonical)) |response| switch (response) {
        .failure => return response,
        else => {}, // read is off: performed all the same, never continued once the path was read
    };
    _ = emulate.act_for(request, canonical, false) catch |err| return handlers.failure(err);
    const root = emulate.Root.open(request.tid()) catch |err| return handlers.failure(err);
    defer root.close();
    var view_buf: [path_mod.long_len_max + 32]u8 = undefined;
    const masked = if (request.policy.masks.len > 0) mask.stat_target(request, canonical, handlers.view(request.tid(), canonical, &view_buf)) else null;
    const fd = if (masked) |target_fd|
        target_fd catch |err| return handlers.failure(err)
    else
        root.openat2(canonical, handlers.o.path | (if (follow) 0 else handlers.o.nofollow), 0) catch |err| return handlers.failure(err);
    defer sys.close(fd);
    const target: Target = .{ .fd = fd, .by_path = true };
    var proc_buf: [48]u8 = undefined;
    const proc_path = target.proc_path(&proc_buf);
    var value: [xattr_size_max]u8 = undefined;
    const out: []u8 = value[0..size];
    const len = (if (listing)
        sys.retry(linux.listxattr, .{ proc_path.ptr, out.ptr, out.len })
    else
        sys.retry(linux.getxattr, .{ proc_path.ptr, @as([*:0]const u8, @ptrCast(&name_buf)), out.ptr, out.len })) catch |err| return handlers.failure(err);
    assert(len <= xattr_size_max);
    if (namespaces.id_map) |*map| if (!listing and size > 0 and namespaces.is_acl_name(std.mem.sliceTo(&name_buf, 0))) {
        namespaces.acl_to_view(map, out[0..len]);
    };
    if (size > 0 and len > 0) handlers.write_memory(request.tid(), out_addr, out[0..len]) catch |err| return handlers.failure(err);
    return .{ .value = @intCast(len) };
}
