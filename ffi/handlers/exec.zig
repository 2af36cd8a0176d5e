//! execve, execveat: judged on the canonical path of the program for exec. An allowed exec is
//! continued, not emulated (the kernel cannot be asked to exec on a process's behalf): the
//! kernel re-reads the path, so a racing thread of the caller could swap it after the check.
//! The README lists this under Limits.
//!
//! Needs: what path.zig needs.
//! Assumes: nothing beyond mod.zig's Request.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../sys.zig");
const path_mod = @import("../path.zig");
const handlers = @import("mod.zig");

const Request = handlers.Request;
const Response = handlers.Response;

pub fn handle(request: *const Request) Response {
    if (!handlers.any_on(request.policy, &.{.exec})) return .continue_call;
    const is_execveat = request.notif.data.nr == @intFromEnum(linux.SYS.execveat);
    const dirfd: i32 = if (is_execveat) @bitCast(@as(u32, @truncate(request.arg(0)))) else handlers.at.fdcwd;
    const path_addr = if (is_execveat) request.arg(1) else request.arg(0);
    const flags: u64 = if (is_execveat) request.arg(4) else 0;
    var canonical_buf: [path_mod.path_len_max]u8 = undefined;
    const canonical = handlers.resolve(request, dirfd, path_addr, .{
        .follow = if (flags & handlers.at.symlink_nofollow != 0) .nofollow_last else .follow,
        .empty_path = flags & handlers.at.empty_path != 0,
    }, &canonical_buf) catch |err| return handlers.failure(err);
    assert(canonical.len > 0);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (handlers.decide(request, &.{.exec}, canonical)) |response| return response;
    return .continue_call; // see the file comment: exec cannot be emulated
}
