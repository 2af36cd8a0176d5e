//! mknod, mknodat: judged for create (regular files and sockets), mkfifo, mkcdev or mkbdev by
//! the node's type, then performed by syd in the judged parent directory with the caller's umask.
//!
//! Needs: what emulate.zig needs.
//! Assumes: nothing beyond mod.zig's Request.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const path_mod = @import("../judge/path.zig");
const policy_mod = @import("../judge/policy.zig");
const handlers = @import("mod.zig");
const emulate = @import("emulate.zig");

const Request = handlers.Request;
const Response = handlers.Response;
const Cat = policy_mod.Cat;

const s_ifmt: u32 = 0o170000;

/// Every category mknod can feed.
pub const family = [_]Cat{ .create, .mkfifo, .mkcdev, .mkbdev };

/// The category a node of `mode` feeds.
pub fn category(mode: u32) Cat {
    return switch (mode & s_ifmt) {
        linux.S.IFIFO => .mkfifo,
        linux.S.IFCHR => .mkcdev,
        linux.S.IFBLK => .mkbdev,
        else => .create, // 0 (a regular file), S_IFREG, S_IFSOCK
    };
}

pub fn handle(request: *const Request) Response {
    if (!handlers.any_on(request.policy, &family)) return .continue_call;
    const at = request.notif.data.nr == @intFromEnum(linux.SYS.mknodat);
    const dirfd: i32 = if (at) @bitCast(@as(u32, @truncate(request.arg(0)))) else handlers.at.fdcwd;
    const path_addr = request.arg(if (at) 1 else 0);
    const mode: u32 = @truncate(request.arg(if (at) 2 else 1));
    const dev: u32 = @truncate(request.arg(if (at) 3 else 2));
    var canonical_buf: [path_mod.long_len_max]u8 = undefined;
    const canonical = handlers.resolve_entry(request, dirfd, path_addr, .{ .follow = .nofollow_last, .missing = .last_may_be_missing }, handlers.not_entry_make, &canonical_buf) catch |err|
        return handlers.failure(err);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (handlers.decide(request, &.{category(mode)}, canonical)) |response| return response;
    if (canonical.len == 1) return .{ .failure = @intFromEnum(linux.E.EXIST) }; // "/" exists
    _ = emulate.act_for(request, canonical, true) catch |err| return .{ .failure = sys.errno_value(err) };
    const root = emulate.Root.open(request.tid()) catch |err| return .{ .failure = sys.errno_value(err) };
    defer root.close();
    var name_buf: [256]u8 = undefined;
    const parent = root.parent(canonical, &name_buf) catch |err| return .{ .failure = sys.errno_value(err) };
    defer sys.close(parent.fd);
    _ = sys.retry(linux.mknodat, .{ parent.fd, parent.name.ptr, mode, dev }) catch |err|
        return .{ .failure = sys.errno_value(err) };
    return .{ .value = 0 };
}

test "category follows the node's type" {
    try std.testing.expectEqual(Cat.create, category(0o644));
    try std.testing.expectEqual(Cat.create, category(linux.S.IFREG | 0o644));
    try std.testing.expectEqual(Cat.mkfifo, category(linux.S.IFIFO | 0o600));
    try std.testing.expectEqual(Cat.mkcdev, category(linux.S.IFCHR));
    try std.testing.expectEqual(Cat.mkbdev, category(linux.S.IFBLK));
}
