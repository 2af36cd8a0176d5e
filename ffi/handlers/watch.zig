//! inotify_add_watch and fanotify_mark: judged for stat (a hidden file cannot be watched: ENOENT),
//! as the original judged them before its separate `notify` category (3.50, not implemented
//! here), and performed by syd on its own copy of the caller's inotify or fanotify fd with the
//! object it judged (an O_PATH fd opened race-free, named /proc/thread-self/fd/N): the kernel
//! never reads the caller's path again.
//!
//! Needs: what emulate.zig needs; fanotify_mark on a path (unprivileged since Linux 5.13).
//! Assumes: nothing beyond mod.zig's Request.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const path_mod = @import("../judge/path.zig");
const handlers = @import("mod.zig");
const emulate = @import("emulate.zig");
const stat = @import("stat.zig");

const Request = handlers.Request;
const Response = handlers.Response;

const in_dont_follow: u32 = 0x02000000;
const fan_mark_dont_follow: u32 = 0x04;
const fan_mark_flush: u32 = 0x80;

pub fn handle(request: *const Request) Response {
    if (!handlers.any_on(request.policy, &.{.stat})) return .continue_call;
    const fanotify = handlers.nr_of(request) == .fanotify_mark;
    const flags: u32 = @truncate(request.arg(1));
    if (fanotify and flags & fan_mark_flush != 0) return .continue_call; // names no object
    const nofollow = if (fanotify) flags & fan_mark_dont_follow != 0 else @as(u32, @truncate(request.arg(2))) & in_dont_follow != 0;
    const dirfd = if (fanotify) handlers.fd_arg(request, 3) else handlers.at.fdcwd;
    const path_addr = if (fanotify) request.arg(4) else request.arg(1);
    var buf: [path_mod.long_len_max]u8 = undefined;
    var object: i32 = -1;
    defer if (object >= 0) sys.close(object);
    // fanotify_mark with no path marks dirfd itself: syd's copy of it.
    const canonical = if (fanotify and path_addr == 0) own: {
        object = emulate.caller_fd(request, dirfd, false) catch |err| return handlers.failure(err);
        break :own emulate.own_fd_path(request, object, &buf) catch |err| return handlers.failure(err);
    } else handlers.resolve(request, dirfd, path_addr, .{ .follow = if (nofollow) .nofollow_last else .follow }, &buf) catch |err|
        return handlers.failure(err);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (handlers.decide(request, &.{.stat}, canonical)) |response| return response;
    const group = emulate.caller_fd(request, handlers.fd_arg(request, 0), false) catch |err| return handlers.failure(err);
    defer sys.close(group);
    if (object < 0) {
        const root = emulate.Root.open(request.tid()) catch |err| return handlers.failure(err);
        defer root.close();
        object = root.openat2(canonical, handlers.o.path | (if (nofollow) handlers.o.nofollow else 0), 0) catch |err|
            return handlers.failure(err);
    }
    var name_buf: [48]u8 = undefined;
    const name = emulate.fd_link(object, &name_buf);
    assert(group >= 0 and object >= 0);
    const rc = if (fanotify)
        sys.retry(linux.syscall5, .{ .fanotify_mark, @as(usize, @intCast(group)), flags & ~fan_mark_dont_follow, request.arg(2), @as(usize, @bitCast(@as(isize, linux.AT.FDCWD))), @intFromPtr(name.ptr) })
    else
        sys.retry(linux.syscall3, .{ .inotify_add_watch, @as(usize, @intCast(group)), @intFromPtr(name.ptr), request.arg(2) & ~@as(u64, in_dont_follow) });
    const value = rc catch |err| return handlers.failure(err);
    return .{ .value = @intCast(value) };
}
