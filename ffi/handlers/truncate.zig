//! truncate, ftruncate, fallocate: judged for truncate, then performed by syd: truncate(2) on
//! the judged path (opened for writing inside the caller's root), the fd calls on syd's own
//! copy of the caller's fd (pidfd_getfd), whose path is judged after it is copied, so that a
//! caller swapping the fd number meanwhile cannot redirect the call.
//!
//! Needs: pidfd_open and pidfd_getfd (Linux 5.6), what emulate.zig needs.
//! Assumes: nothing beyond mod.zig's Request.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const path_mod = @import("../judge/path.zig");
const handlers = @import("mod.zig");
const emulate = @import("emulate.zig");

const Request = handlers.Request;
const Response = handlers.Response;

pub fn handle(request: *const Request) Response {
    if (!handlers.any_on(request.policy, &.{.truncate}) and request.policy.masks.len == 0) return .continue_call;
    const nr: linux.SYS = @enumFromInt(@as(usize, @intCast(request.notif.data.nr)));
    return switch (nr) {
        .truncate => by_path(request),
        .ftruncate, .fallocate => by_fd(request, nr),
        else => unreachable,
    };
}

fn by_path(request: *const Request) Response {
    var canonical_buf: [path_mod.long_len_max]u8 = undefined;
    const canonical = handlers.resolve(request, handlers.at.fdcwd, request.arg(0), .{}, &canonical_buf) catch |err|
        return handlers.failure(err);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (handlers.decide(request, &.{.truncate}, canonical)) |response| return response;
    _ = emulate.act_for(request, canonical, false) catch |err| return .{ .failure = sys.errno_value(err) };
    const root = emulate.Root.open(request.tid()) catch |err| return .{ .failure = sys.errno_value(err) };
    defer root.close();
    const fd = root.openat2(canonical, handlers.o.wronly | handlers.o.nonblock, 0) catch |err| return .{ .failure = sys.errno_value(err) };
    defer sys.close(fd);
    const length: i64 = @bitCast(request.arg(1));
    _ = sys.retry(linux.ftruncate, .{ fd, length }) catch |err| return .{ .failure = sys.errno_value(err) };
    return .{ .value = 0 };
}

fn by_fd(request: *const Request, nr: linux.SYS) Response {
    const fd = emulate.caller_fd(request, handlers.fd_arg(request, 0), false) catch |err| return handlers.failure(err);
    defer sys.close(fd);
    // The path of syd's own copy: what will be truncated, whatever the caller does meanwhile.
    var canonical_buf: [path_mod.long_len_max]u8 = undefined;
    const canonical = emulate.own_fd_path(request, fd, &canonical_buf) catch |err| return handlers.failure(err);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (handlers.decide(request, &.{.truncate}, canonical)) |response| return response;
    const rc = switch (nr) {
        .ftruncate => sys.retry(linux.ftruncate, .{ fd, @as(i64, @bitCast(request.arg(1))) }),
        .fallocate => sys.retry(linux.fallocate, .{ fd, @as(i32, @bitCast(@as(u32, @truncate(request.arg(1))))), @as(i64, @bitCast(request.arg(2))), @as(i64, @bitCast(request.arg(3))) }),
        else => unreachable,
    };
    _ = rc catch |err| return .{ .failure = sys.errno_value(err) };
    assert(fd >= 0);
    return .{ .value = 0 };
}
