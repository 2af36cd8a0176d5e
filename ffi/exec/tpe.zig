//! Trusted Path Execution (TPE), as the original's (3.21 on; the parent directory too since
//! 3.37.2): a program, its loader or a library is trusted when it and its parent directory are
//! neither group- nor world-writable, and, as asked, root-owned (tpe/root_owned), owned by syd's
//! user or root (tpe/user_owned), on the root's mount (tpe/root_mount). tpe/gid names the one
//! group TPE applies to (syd's effective group or one of its supplementary groups), tpe/negate
//! the one group it spares. Checked at three stages, as the original's:
//!
//! - `at_entry`: execve and execveat before the call (scripts among them): EACCES, or the action.
//! - `at_exec_stop`: the tracer's PTRACE_EVENT_EXEC stop, on the program and its loader: the
//!   process is killed (stop and abort signal it), there being no call left to fail.
//! - `at_mmap` (the mmap hook calls it): a file mapped executable, such as a dlopen'ed library.
//!
//! Needs: statx with STATX_MNT_ID (5.8) for tpe/root_mount; openat2 (5.6).
//! Assumes: paths are the caller's view, absolute; the parent is opened beneath the caller's
//! root, no link followed, as a directory: a component swapped for a link fails closed.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const path_mod = @import("../judge/path.zig");
const pieces = @import("../kernel/pieces.zig");
const caller_mod = @import("../kernel/caller.zig");
const policy_mod = @import("../judge/policy.zig");
const handlers = @import("../handlers/mod.zig");

const Trust = policy_mod.Trust;
const Request = handlers.Request;
const Response = handlers.Response;

const statx_mode: u32 = 0x2;
const statx_uid: u32 = 0x8;
const statx_mnt_id: u32 = 0x1000;
const at_empty_path: u32 = 0x1000;
const at_symlink_nofollow: u32 = 0x100;
const s_iwgrp: u32 = 0o020;
const s_iwoth: u32 = 0o002;

/// A reason, "<who> and <what>", as the original's message (at most this long).
pub const reason_len_max: usize = 128;

/// Why a file is untrusted: the original's message after "blocked: ".
pub const Reason = struct {
    buf: [reason_len_max]u8 = undefined,
    len: usize = 0,

    pub fn text(self: *const Reason) []const u8 {
        return self.buf[0..self.len];
    }

    fn set(self: *Reason, who: []const u8, what: []const u8) void {
        const out = std.fmt.bufPrint(&self.buf, "{s} and {s}", .{ who, what }) catch self.buf[0..0];
        self.len = out.len;
    }
};

/// Whether TPE applies to syd's user (the original reads syd's own groups): the original's
/// message saying why, or null when the user is exempt.
pub fn applies(trust: *const Trust, own: *const caller_mod.Status) ?[]const u8 {
    const gid = trust.tpe_gid orelse return "user in untrusted group";
    const member = own.gids[1] == gid or for (own.group_list()) |g| {
        if (g == gid) break true;
    } else false;
    if (trust.tpe_negate) return if (member) null else "user not in trusted group";
    return if (member) "user in untrusted group" else null;
}

/// Judges the file `file_fd` (any fd: O_PATH will do) named `path` (absolute, the caller's
/// view) and `path`'s parent directory, opened beneath `root_fd`: true when trusted, else
/// `reason` says why. `who`: what `applies` said.
pub fn judge_fd(trust: *const Trust, own: *const caller_mod.Status, root_fd: i32, file_fd: i32, path: []const u8, who: []const u8, reason: *Reason) bool {
    assert(file_fd >= 0 and root_fd >= 0);
    const root_mnt: ?u64 = if (trust.tpe_root_mount) mnt: {
        const st = stat_of(root_fd, statx_mnt_id) catch |err| {
            reason.set(who, failed("stat failed", err));
            return false;
        };
        break :mnt st.__pad2[0];
    } else null;
    if (!trusted(trust, own, file_fd, root_mnt, who, false, reason)) return false;
    if (path.len == 0 or path[0] != '/') {
        reason.set(who, "open failed: ENOENT");
        return false;
    }
    const parent_fd = open_parent(root_fd, path) catch |err| {
        reason.set(who, failed("open failed", err));
        return false;
    };
    defer if (parent_fd != root_fd) sys.close(parent_fd);
    return trusted(trust, own, parent_fd, root_mnt, who, true, reason);
}

/// The checks on one file or directory (`dir`: the parent), in the original's order.
fn trusted(trust: *const Trust, own: *const caller_mod.Status, fd: i32, root_mnt: ?u64, who: []const u8, dir: bool, reason: *Reason) bool {
    var mask: u32 = statx_mode;
    if (trust.tpe_root_owned or trust.tpe_user_owned) mask |= statx_uid;
    if (root_mnt != null) mask |= statx_mnt_id;
    const st = stat_of(fd, mask) catch |err| {
        reason.set(who, failed("stat failed", err));
        return false;
    };
    const root_owned = st.uid == 0;
    if (trust.tpe_root_owned and !root_owned) {
        reason.set(who, if (dir) "file in non-root-owned directory" else "file non-root-owned");
        return false;
    }
    if (trust.tpe_user_owned and !root_owned and st.uid != own.uids[1]) {
        reason.set(who, if (dir) "file in non-user-owned directory" else "file non-user-owned");
        return false;
    }
    if (root_mnt) |mnt| if (st.__pad2[0] != mnt) {
        reason.set(who, if (dir) "file in non-root-mounted directory" else "file non-root-mounted");
        return false;
    };
    if (st.mode & s_iwoth != 0) {
        reason.set(who, if (dir) "file in world-writable directory" else "file world-writable");
        return false;
    }
    if (st.mode & s_iwgrp != 0) {
        reason.set(who, if (dir) "file in group-writable directory" else "file group-writable");
        return false;
    }
    return true;
}

fn stat_of(fd: i32, mask: u32) sys.Errno!linux.Statx {
    var st: linux.Statx = undefined;
    _ = try sys.check(linux.statx(fd, "", at_empty_path | at_symlink_nofollow, mask, &st));
    if (st.mask & mask != mask) return error.NOSYS; // the kernel cannot say (STATX_MNT_ID: 5.8)
    return st;
}

/// The parent directory of absolute `path`, beneath `root_fd`, no link followed (root_fd
/// itself for a file in /).
fn open_parent(root_fd: i32, path: []const u8) sys.Errno!i32 {
    assert(path.len > 0 and path[0] == '/');
    const slash = std.mem.lastIndexOfScalar(u8, path, '/').?;
    if (slash == 0) return root_fd;
    var buf: [path_mod.path_len_max + 1]u8 = undefined;
    const parent = std.fmt.bufPrintZ(&buf, "{s}", .{path[0..slash]}) catch return error.NAMETOOLONG;
    // O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
    const how: pieces.OpenHow = .{ .flags = 0o10000000 | 0o200000 | 0o400000 | 0o2000000, .mode = 0, .resolve = pieces.resolve_strict };
    const fd = try sys.retry(linux.syscall4, .{ .openat2, @as(usize, @bitCast(@as(isize, root_fd))), @intFromPtr(parent.ptr), @intFromPtr(&how), @sizeOf(pieces.OpenHow) });
    return @intCast(fd);
}

/// `absolute` opened beneath `root_fd`, O_PATH, the last component's link not followed.
fn open_file(root_fd: i32, absolute: []const u8) sys.Errno!i32 {
    assert(absolute.len > 0 and absolute[0] == '/');
    var buf: [path_mod.path_len_max + 1]u8 = undefined;
    const name = std.fmt.bufPrintZ(&buf, "{s}", .{absolute}) catch return error.NAMETOOLONG;
    const how: pieces.OpenHow = .{ .flags = 0o10000000 | 0o400000 | 0o2000000, .mode = 0, .resolve = pieces.resolve_strict };
    const fd = try sys.retry(linux.syscall4, .{ .openat2, @as(usize, @bitCast(@as(isize, root_fd))), @intFromPtr(name.ptr), @intFromPtr(&how), @sizeOf(pieces.OpenHow) });
    return @intCast(fd);
}

fn failed(comptime what: []const u8, err: sys.Errno) []const u8 {
    return switch (err) {
        inline else => |e| what ++ ": E" ++ @errorName(e),
    };
}

const tip_binary = "move the binary to a safe location or use `sandbox/tpe:off'";
const tip_library = "move the library to a safe location or use `sandbox/tpe:off'";

/// execve, execveat before the call, on `canonical` (the caller's view): null when allowed
/// (or TPE is off, or spares syd's user); else the answer, EACCES, with the original's record
/// and action.
pub fn at_entry(request: *const Request, canonical: []const u8) ?Response {
    const trust = &request.policy.trust;
    if (!trust.tpe) return null;
    const who = applies(trust, request.own) orelse return null;
    var reason: Reason = .{};
    // A program that cannot be opened (gone, say): the call fails as the kernel would fail it.
    const trusted_path = judge_path(request, canonical, who, &reason) catch |err| return .{ .failure = sys.errno_value(err) };
    if (trusted_path) return null;
    const is_execveat = request.notif.data.nr == @intFromEnum(linux.SYS.execveat);
    if (trust.tpe_action != .filter) {
        var msg_buf: [reason_len_max + 64]u8 = undefined;
        const msg = std.fmt.bufPrint(&msg_buf, "exec from untrusted path blocked: {s}", .{reason.text()}) catch reason.text();
        request.log.emit(.@"error", .{ .ctx = "trusted_path_execution", .act = @tagName(trust.tpe_action), .sys = if (is_execveat) "execveat" else "execve", .path = canonical, .msg = msg, .tip = tip_binary, .pid = request.tid() });
    }
    return act(request, trust.tpe_action);
}

fn judge_path(request: *const Request, canonical: []const u8, who: []const u8, reason: *Reason) sys.Errno!bool {
    if (canonical.len == 0 or canonical[0] != '/') {
        reason.set(who, "open failed: ENOENT");
        return false;
    }
    const root = try path_mod.caller_root(.{ .pid = request.tid(), .tid = request.tid() });
    defer root.release();
    const fd = try open_file(root.fd, canonical);
    defer sys.close(fd);
    return judge_fd(&request.policy.trust, request.own, root.fd, fd, canonical, who, reason);
}

/// The answer to a call TPE or SegvGuard refused with `action`, the action taken (as the
/// original's: warn lets it go; deny and filter fail it; the others signal the caller too).
pub fn act(request: *const Request, action: policy_mod.Action) ?Response {
    const eacces: i32 = @intFromEnum(linux.E.ACCES);
    switch (action) {
        .allow, .warn => return null,
        .filter, .deny, .panic => return .{ .failure = eacces },
        .exit => {
            handlers.punish_exit(request, eacces);
            return .{ .failure = eacces };
        },
        .stop, .abort, .kill => {
            handlers.punish(request, action);
            return .{ .failure = eacces };
        },
    }
}

/// The tracer's exec stop: the program (`exe_fd`, `exe_path`) and each loader (`.path`) judged;
/// false when the process was given the action (killed, stopped or aborted).
pub fn at_exec_stop(request: *const Request, exe_fd: i32, exe_path: []const u8, loaders: anytype) bool {
    const trust = &request.policy.trust;
    if (!trust.tpe) return true;
    const who = applies(trust, request.own) orelse return true;
    const pid = request.tid();
    const root = path_mod.caller_root(.{ .pid = pid, .tid = pid }) catch |err| {
        request.log.emit(.@"error", .{ .ctx = "exec", .op = "check_tpe", .sys = "exec", .act = "kill", .pid = pid, .err = @errorName(err), .path = exe_path, .msg = "check ELF for TPE failed: cannot open the process's root", .tip = tip_binary });
        return stop_with(request, .kill);
    };
    defer root.release();
    var denied: ?policy_mod.Action = null;
    var reason: Reason = .{};
    if (!judge_fd(trust, request.own, root.fd, exe_fd, exe_path, who, &reason)) {
        denied = exec_stop_denied(request, exe_path, &reason);
    }
    for (loaders) |loader| {
        reason = .{};
        const fd = open_file(root.fd, loader.path) catch |err| {
            reason.set(who, failed("open failed", err));
            denied = exec_stop_denied(request, loader.path, &reason) orelse denied;
            continue;
        };
        defer sys.close(fd);
        if (!judge_fd(trust, request.own, root.fd, fd, loader.path, who, &reason)) {
            denied = exec_stop_denied(request, loader.path, &reason) orelse denied;
        }
    }
    const action = denied orelse return true;
    return stop_with(request, action);
}

fn exec_stop_denied(request: *const Request, path: []const u8, reason: *const Reason) ?policy_mod.Action {
    const action = request.policy.trust.tpe_action;
    if (action != .filter) {
        var msg_buf: [path_mod.path_len_max + reason_len_max + 64]u8 = undefined;
        const msg = std.fmt.bufPrint(&msg_buf, "exec from untrusted path `{s}' blocked: {s}", .{ path, reason.text() }) catch reason.text();
        request.log.emit(.@"error", .{ .ctx = "exec", .op = "check_tpe", .sys = "exec", .act = @tagName(action), .pid = request.tid(), .err = @as(i32, @intFromEnum(linux.E.ACCES)), .path = path, .msg = msg, .tip = tip_binary });
    }
    return deny_action(action);
}

/// The original's `deny_action` at a ptrace stop: warn lets it run; stop and abort signal it;
/// exit ends syd; every other action kills it.
pub fn deny_action(action: policy_mod.Action) ?policy_mod.Action {
    return switch (action) {
        .allow, .warn => null,
        .stop, .abort, .exit => action,
        else => .kill,
    };
}

/// Gives the process stopped at its exec stop `action` (from `deny_action`); false: it no longer
/// runs as it was (the tracer must not restart a killed one; a stopped or aborted one is
/// restarted to take its signal).
pub fn stop_with(request: *const Request, action: policy_mod.Action) bool {
    const pid = request.tid();
    switch (action) {
        .stop => _ = linux.kill(pid, linux.SIG.STOP),
        .abort => _ = linux.kill(pid, linux.SIG.ABRT),
        .exit => {
            handlers.punish_exit(request, @intFromEnum(linux.E.ACCES));
            _ = linux.kill(pid, linux.SIG.KILL);
            return false;
        },
        else => {
            _ = linux.kill(pid, linux.SIG.KILL);
            return false;
        },
    }
    // Stop and abort: the signal is pending; the tracer lets the process go on to take it.
    return true;
}

/// The mmap stage (for the mmap hook, the lead's): judges the file `fd` (syd's copy of the
/// caller's, or any fd of the same file) named `path` (absolute, the caller's view) that the
/// caller maps executable. Null when allowed (TPE off, syd's user spared, or trusted); else the
/// answer to the call (EACCES, the action taken) after the original's record (ctx "mmap", op
/// "check_tpe").
pub fn at_mmap(request: *const Request, fd: i32, path: []const u8) ?Response {
    const trust = &request.policy.trust;
    if (!trust.tpe) return null;
    const who = applies(trust, request.own) orelse return null;
    var reason: Reason = .{};
    const root = path_mod.caller_root(.{ .pid = request.tid(), .tid = request.tid() }) catch |err| fail: {
        reason.set(who, failed("open failed", err));
        break :fail null;
    };
    defer if (root) |r| r.release();
    if (root) |r| if (judge_fd(trust, request.own, r.fd, fd, path, who, &reason)) return null;
    if (trust.tpe_action != .filter) {
        var msg_buf: [path_mod.path_len_max + reason_len_max + 64]u8 = undefined;
        const msg = std.fmt.bufPrint(&msg_buf, "library load from untrusted path `{s}' blocked: {s}", .{ path, reason.text() }) catch reason.text();
        request.log.emit(.@"error", .{ .ctx = "mmap", .op = "check_tpe", .act = @tagName(trust.tpe_action), .sys = "mmap", .pid = request.tid(), .path = path, .msg = msg, .tip = tip_library });
    }
    return act(request, trust.tpe_action);
}

test "applies: every user without tpe/gid; the group's members, or the others when negated" {
    var own: caller_mod.Status = .{};
    own.gids = .{ 100, 100, 100 };
    own.groups[0] = 27;
    own.groups_len = 1;
    var trust: Trust = .{};
    try std.testing.expectEqualStrings("user in untrusted group", applies(&trust, &own).?);
    trust.tpe_gid = 27;
    try std.testing.expect(applies(&trust, &own) != null);
    trust.tpe_gid = 5;
    try std.testing.expect(applies(&trust, &own) == null);
    trust.tpe_negate = true;
    try std.testing.expectEqualStrings("user not in trusted group", applies(&trust, &own).?);
    trust.tpe_gid = 100;
    try std.testing.expect(applies(&trust, &own) == null);
}

test "judge_fd refuses a group-writable file and a file in a world-writable directory" {
    var tmp = std.testing.tmpDir(.{});
    defer tmp.cleanup();
    var own: caller_mod.Status = .{};
    const trust: Trust = .{};
    try tmp.dir.makeDir("d");
    var file = try tmp.dir.createFile("d/f", .{ .mode = 0o755 });
    file.close();
    var dir_path_buf: [std.fs.max_path_bytes]u8 = undefined;
    const dir_path = try tmp.dir.realpath("d", &dir_path_buf);
    var path_buf: [std.fs.max_path_bytes]u8 = undefined;
    const path = try std.fmt.bufPrint(&path_buf, "{s}/f", .{dir_path});
    const root_fd = try std.posix.open("/", .{ .PATH = true, .DIRECTORY = true, .CLOEXEC = true }, 0);
    defer std.posix.close(root_fd);
    var reason: Reason = .{};
    try std.posix.fchmodat(tmp.dir.fd, "d", 0o755, 0);
    try std.posix.fchmodat(tmp.dir.fd, "d/f", 0o755, 0);
    {
        const fd = try open_file(root_fd, path);
        defer sys.close(fd);
        try std.testing.expect(judge_fd(&trust, &own, root_fd, fd, path, "who", &reason));
        try std.posix.fchmodat(tmp.dir.fd, "d/f", 0o775, 0);
        try std.testing.expect(!judge_fd(&trust, &own, root_fd, fd, path, "who", &reason));
        try std.testing.expectEqualStrings("who and file group-writable", reason.text());
        try std.posix.fchmodat(tmp.dir.fd, "d/f", 0o755, 0);
        try std.posix.fchmodat(tmp.dir.fd, "d", 0o777, 0);
        try std.testing.expect(!judge_fd(&trust, &own, root_fd, fd, path, "who", &reason));
        try std.testing.expectEqualStrings("who and file in world-writable directory", reason.text());
    }
}
