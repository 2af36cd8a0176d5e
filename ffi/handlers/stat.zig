//! The stat family: stat, lstat, newfstatat, statx, statfs, access, faccessat(2), readlink(at),
//! judged for stat (readlink(at) for readlink); a denial answers EACCES, as the original 3.59's
//! (hiding is walk's and list's: mod.zig, dir.zig). Allowed calls are performed by syd on an
//! O_PATH fd of the judged path and the result is written into the caller's memory.
//!
//! Needs: what emulate.zig needs; faccessat2 with AT_EMPTY_PATH (Linux 5.8); process_vm_writev.
//! Assumes: nothing beyond mod.zig's Request. Calls on an fd itself (fstat as newfstatat(fd, "",
//! AT_EMPTY_PATH)) name no path and are not judged (the fd was judged when it was opened), but
//! performed on syd's copy of the fd all the same: the kernel must never read the path again.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const path_mod = @import("../judge/path.zig");
const policy_mod = @import("../judge/policy.zig");
const handlers = @import("mod.zig");
const emulate = @import("emulate.zig");
const magic = @import("magic.zig");
const open = @import("open.zig");
const harden = @import("harden.zig");
const procfs = @import("procfs.zig");
const namespaces = @import("../layers/namespaces.zig");
const mask = @import("mask.zig");

const Request = handlers.Request;
const Response = handlers.Response;
const Cat = @import("../judge/policy.zig").Cat;
const SYS = linux.SYS;

const stat_size: usize = 144;
const statx_size: usize = 256;
const statfs_size: usize = 120;

comptime {
    assert(@sizeOf(linux.Stat) == stat_size);
    assert(@sizeOf(linux.Statx) == statx_size);
}

/// Where a call's path is, and how it resolves.
const Call = struct { dirfd: i32, path_addr: u64, flags: u32 };

fn call_of(request: *const Request, nr: SYS) Call {
    return switch (nr) {
        .stat, .statfs, .access, .readlink => .{ .dirfd = handlers.at.fdcwd, .path_addr = request.arg(0), .flags = 0 },
        .lstat => .{ .dirfd = handlers.at.fdcwd, .path_addr = request.arg(0), .flags = handlers.at.symlink_nofollow },
        .fstatat64 => .{ .dirfd = handlers.fd_arg(request, 0), .path_addr = request.arg(1), .flags = @truncate(request.arg(3)) },
        .statx => .{ .dirfd = handlers.fd_arg(request, 0), .path_addr = request.arg(1), .flags = @truncate(request.arg(2)) },
        .faccessat => .{ .dirfd = handlers.fd_arg(request, 0), .path_addr = request.arg(1), .flags = 0 },
        .faccessat2 => .{ .dirfd = handlers.fd_arg(request, 0), .path_addr = request.arg(1), .flags = @truncate(request.arg(3)) },
        // readlink never follows the last component.
        .readlinkat => .{ .dirfd = handlers.fd_arg(request, 0), .path_addr = request.arg(1), .flags = handlers.at.symlink_nofollow },
        else => unreachable,
    };
}

/// `handle`'s buffers (one call at a time per thread), in this thread's storage: on the stack,
/// ReleaseSafe would fill them with 0xaa at every call.
threadlocal var scratch: struct { raw: [path_mod.path_len_max]u8, canonical: [path_mod.long_len_max]u8 } = undefined;

pub fn handle(request: *const Request) Response {
    const nr: SYS = @enumFromInt(@as(usize, @intCast(request.notif.data.nr)));
    // readlink has its own category since the original's 3.53 (split from stat).
    const cat: Cat = if (nr == .readlink or nr == .readlinkat) .readlink else .stat;
    const stat_on = handlers.any_on(request.policy, &.{cat});
    // Commands run through the stat calls only (as the original); for access, readlink or
    // statfs, /dev/syd/... is an ordinary path.
    const stat_call = nr == .stat or nr == .lstat or nr == .fstatat64 or nr == .statx;
    var call = call_of(request, nr);
    if (nr == .readlink) call.flags = handlers.at.symlink_nofollow;
    const unlocked = stat_call and magic.unlocked_for(request);
    // Trusted symlinks and hidden block devices hold for the stat calls whatever the rules say
    // (as the original's, `-p off` too): performed by syd while one of them is on.
    // Masks (mask.zig) too: a masked path answers with its target's information, readlink too
    // (a masked symlink's own destination stays hidden; the original reads it while readlink
    // sandboxing is off: found by the attack session).
    const masked_call = (stat_call or cat == .readlink) and request.policy.masks.len > 0;
    const performed = stat_on or (stat_call and hardened(request.policy)) or masked_call;
    // Performed, the path is read once, for /dev/syd too; otherwise its first bytes tell.
    const magic_path = unlocked and (performed or magic.names_dev_syd(request, call.path_addr, false));
    if (!performed and !magic_path) return .continue_call;
    const caller: path_mod.Caller = .{ .pid = request.tid(), .tid = request.tid() };
    const raw = path_mod.read_string(caller, call.path_addr, &scratch.raw) catch |err| return handlers.failure(err);
    if (magic_path) if (magic.command_text(raw)) |text| return magic_stat(request, nr, call, text);
    if (!performed) return .continue_call; // the caller changed its path since: an ordinary one
    // The fd itself (or the cwd): named by no path, not judged (the fd was when it was opened),
    // and performed on syd's own copy: continued, the kernel would read the path again, which
    // another thread may have made a name meanwhile.
    // readlinkat(fd, "") reads the symlink fd itself (an O_PATH|O_NOFOLLOW fd), as AT_EMPTY_PATH.
    if (raw.len == 0 and (call.flags & handlers.at.empty_path != 0 or nr == .readlinkat)) return on_fd(request, nr, call);
    const buf = &scratch.canonical;
    const nofollow = call.flags & handlers.at.symlink_nofollow != 0;
    // What the kernel found, when it resolved the path (path.zig `resolved_by_kernel`): the
    // object the call then acts on, not looked up again.
    var kept: i32 = -1;
    const canonical = handlers.canonicalize(request, call.dirfd, raw, .{
        .follow = if (nofollow) .nofollow_last else .follow,
        .keep_fd = &kept,
    }, buf) catch |err| return handlers.failure(err);
    defer if (kept >= 0) sys.close(kept);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (stat_on) if (handlers.decide(request, &.{cat}, canonical)) |response| if (!masked_call or response != .continue_call) return response;
    emulate.act_for(request, canonical, false) catch |err| return handlers.failure(err);
    if (masked_call) if (masked_fd(request, canonical)) |target| {
        const fd = target catch |err| return handlers.failure(err);
        defer sys.close(fd);
        if (nr == .stat or nr == .lstat or nr == .fstatat64) return stat_hardened(request, nr, fd) catch |err| handlers.failure(err);
        return perform(request, nr, call, fd) catch |err| handlers.failure(err);
    };
    // /proc/self and /proc/thread-self name the caller: read in syd, they would name syd.
    if (nr == .readlink or nr == .readlinkat) if (self_link(canonical, 1, request.tid())) |_| {
        const status = emulate.caller_for(request, canonical, false) catch |err| return handlers.failure(err);
        const link = self_link(canonical, status.tgid, request.tid()).?;
        var text_buf: [48]u8 = undefined;
        return answer_link(request, nr, link.text(&text_buf)) catch |err| handlers.failure(err);
    };
    // A magic link kept by name (`/dev/fd/63` of a pipe): the object the caller's fd holds.
    if (!nofollow) if (open.ProcFd.parse(canonical)) |named| {
        const copy = emulate.caller_named_fd(request, named.pid, named.tid, named.fd, false) catch |err| return handlers.failure(err);
        defer sys.close(copy);
        return perform(request, nr, call, copy) catch |err| handlers.failure(err);
    };
    const fd = if (kept >= 0) kept else opened: {
        const root = emulate.Root.open(request.tid()) catch |err| return handlers.failure(err);
        defer root.close();
        const opened = root.openat2(canonical, handlers.o.path | (if (nofollow) handlers.o.nofollow else 0), 0) catch |err| return handlers.failure(err);
        kept = opened; // closed by the defer above
        break :opened opened;
    };
    // stat(2) and its kin: one look at the object answers both the hidden block device
    // hardening and the call.
    if (nr == .stat or nr == .lstat or nr == .fstatat64) return stat_hardened(request, nr, fd) catch |err| handlers.failure(err);
    if (harden.block_hidden(request.policy, fd)) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    return perform(request, nr, call, fd) catch |err| handlers.failure(err);
}

/// The target of masked `canonical` (mask.zig), opened O_PATH; null when it is not masked.
fn masked_fd(request: *const Request, canonical: []const u8) ?(sys.Errno!i32) {
    var buf: [path_mod.path_len_max + 32]u8 = undefined;
    return mask.stat_target(request, canonical, handlers.view(request.tid(), canonical, &buf));
}

/// stat, lstat or fstatat of the object `fd` holds, which the caller reached by a path: a
/// block device is hidden (ENOENT) unless trace/allow_unsafe_mkbdev:1 (harden.block_hidden_mode).
/// The owner of a stat result as the sandbox's user namespace shows it (layers/namespaces.zig).
fn view_ids(st: *linux.Stat) void {
    const map = namespaces.id_map orelse return;
    st.uid = map.uid(st.uid);
    st.gid = map.gid(st.gid);
}

fn stat_hardened(request: *const Request, nr: SYS, fd: i32) sys.Errno!Response {
    assert(nr == .stat or nr == .lstat or nr == .fstatat64);
    var st: linux.Stat = undefined;
    _ = try sys.retry(linux.fstatat, .{ fd, "", &st, handlers.at.empty_path });
    if (harden.block_hidden_mode(request.policy, st.mode)) return error.NOENT;
    view_ids(&st);
    try handlers.write_memory(request.tid(), request.arg(if (nr == .fstatat64) 2 else 1), std.mem.asBytes(&st));
    return .{ .value = 0 };
}

/// Whether a hardening the stat calls make is on: trusted symlinks or hidden block devices.
fn hardened(p: *const policy_mod.Policy) bool {
    return !p.unsafe_fs.allow_unsafe_symlinks or !p.unsafe_fs.allow_unsafe_mkbdev;
}

/// readlink's answer: `target` cut to the caller's buffer size (EINVAL for a size of 0 or past
/// an int), written into its buffer, and the length written.
fn answer_link(request: *const Request, nr: SYS, target: []const u8) sys.Errno!Response {
    const size = request.arg(if (nr == .readlink) 2 else 3);
    if (size == 0 or size > std.math.maxInt(i32)) return error.INVAL;
    const len: usize = @intCast(@min(size, target.len));
    if (len > 0) try handlers.write_memory(request.tid(), request.arg(if (nr == .readlink) 1 else 2), target[0..len]);
    return .{ .value = @intCast(len) };
}

const SelfLink = struct {
    tgid: i32,
    tid: ?i32,

    fn text(self: SelfLink, buf: []u8) []const u8 {
        return if (self.tid) |tid|
            std.fmt.bufPrint(buf, "{d}/task/{d}", .{ self.tgid, tid }) catch unreachable
        else
            std.fmt.bufPrint(buf, "{d}", .{self.tgid}) catch unreachable;
    }
};

/// The caller's own /proc links, as the kernel answers them for it.
fn self_link(canonical: []const u8, tgid: i32, tid: i32) ?SelfLink {
    assert(tgid > 0 and tid > 0);
    if (std.mem.eql(u8, canonical, "/proc/self")) return .{ .tgid = tgid, .tid = null };
    if (std.mem.eql(u8, canonical, "/proc/thread-self")) return .{ .tgid = tgid, .tid = tid };
    return null;
}

fn on_fd(request: *const Request, nr: SYS, call: Call) Response {
    const fd = if (call.dirfd == handlers.at.fdcwd) cwd: {
        _ = emulate.act_for(request, "", false) catch |err| return handlers.failure(err);
        var path_buf: [48]u8 = undefined;
        const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/cwd", .{request.tid()}) catch unreachable;
        const rc = sys.retry(linux.open, .{ path.ptr, linux.O{ .PATH = true, .CLOEXEC = true }, @as(linux.mode_t, 0) }) catch |err|
            return handlers.failure(err);
        break :cwd @as(i32, @intCast(rc));
    } else emulate.caller_fd(request, call.dirfd, false) catch |err| return handlers.failure(err);
    defer sys.close(fd);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    // A /proc file syd served filtered (procfs.zig): the metadata is the file's, as its path's.
    var link_buf: [48]u8 = undefined;
    var target: [96]u8 = undefined;
    const link = emulate.fd_link(fd, &link_buf);
    // The fd of the /proc/self or /proc/thread-self link itself names the caller: read on syd's
    // copy it would name syd.
    if (nr == .readlinkat) if (sys.retry(linux.readlinkat, .{ linux.AT.FDCWD, link.ptr, &target, target.len })) |len| {
        var st: linux.Stat = undefined;
        const is_link = if (sys.retry(linux.fstatat, .{ fd, "", &st, handlers.at.empty_path })) |_| linux.S.ISLNK(st.mode) else |_| false;
        if (is_link) if (self_link(target[0..len], 1, request.tid())) |_| {
            const status = emulate.caller_for(request, "", false) catch |err| return handlers.failure(err);
            const link_of = self_link(target[0..len], status.tgid, request.tid()).?;
            var text_buf: [48]u8 = undefined;
            return answer_link(request, nr, link_of.text(&text_buf)) catch |err| handlers.failure(err);
        };
    } else |_| {};
    if (!procfs.any_served()) return perform(request, nr, call, fd) catch |err| handlers.failure(err);
    if (sys.retry(linux.readlinkat, .{ linux.AT.FDCWD, link.ptr, &target, target.len })) |len| {
        if (procfs.served_file(fd, target[0..len])) |path| {
            const root = emulate.Root.open(request.tid()) catch |err| return handlers.failure(err);
            defer root.close();
            const file = root.openat2(path, handlers.o.path, 0) catch |err| return handlers.failure(err);
            defer sys.close(file);
            return perform(request, nr, call, file) catch |err| handlers.failure(err);
        }
    } else |_| {}
    return perform(request, nr, call, fd) catch |err| handlers.failure(err);
}

/// A /dev/syd command: /dev/null's metadata is written first (a bad buffer fails the call
/// before the command runs, so a change is never applied behind a failed call), then the
/// command runs and its errno is the answer.
fn magic_stat(request: *const Request, nr: SYS, call: Call, text: []const u8) Response {
    const fd = sys.retry(linux.open, .{ "/dev/null", linux.O{ .PATH = true, .CLOEXEC = true }, @as(linux.mode_t, 0) }) catch |err|
        return handlers.failure(err);
    defer sys.close(@intCast(fd));
    const written = perform(request, nr, call, @intCast(fd)) catch |err| return handlers.failure(err);
    if (text.len == 0) return written;
    const errno_value = magic.run(request, text);
    return if (errno_value == 0) written else .{ .failure = errno_value };
}

fn perform(request: *const Request, nr: SYS, call: Call, fd: i32) sys.Errno!Response {
    switch (nr) {
        .stat, .lstat, .fstatat64 => {
            var st: linux.Stat = undefined;
            _ = try sys.retry(linux.fstatat, .{ fd, "", &st, handlers.at.empty_path });
            view_ids(&st);
            try handlers.write_memory(request.tid(), request.arg(if (nr == .fstatat64) 2 else 1), std.mem.asBytes(&st));
        },
        .statx => {
            var stx: linux.Statx = undefined;
            const flags = handlers.at.empty_path | (call.flags & handlers.at.statx_sync_mask);
            _ = try sys.retry(linux.statx, .{ fd, "", flags, @as(u32, @truncate(request.arg(3))), &stx });
            if (namespaces.id_map) |map| {
                stx.uid = map.uid(stx.uid);
                stx.gid = map.gid(stx.gid);
            }
            try handlers.write_memory(request.tid(), request.arg(4), std.mem.asBytes(&stx));
        },
        .statfs => {
            var buf: [statfs_size]u8 = undefined;
            _ = try sys.retry(linux.syscall2, .{ .fstatfs, @as(usize, @intCast(fd)), @intFromPtr(&buf) });
            try handlers.write_memory(request.tid(), request.arg(1), &buf);
        },
        .access, .faccessat, .faccessat2 => {
            const mode: u32 = @truncate(request.arg(if (nr == .access) 1 else 2));
            const flags = handlers.at.empty_path | (call.flags & handlers.at.eaccess);
            _ = try sys.retry(linux.syscall4, .{ .faccessat2, @as(usize, @intCast(fd)), @intFromPtr(""), mode, flags });
        },
        .readlink, .readlinkat => {
            var target: [path_mod.path_len_max]u8 = undefined;
            const len = sys.retry(linux.readlinkat, .{ fd, "", &target, target.len }) catch |err| {
                // readlinkat(fd, "") of anything but a symlink answers ENOENT; readlink(2) of
                // that path answers EINVAL (glibc's realpath relies on it: issue 13).
                if (err != error.NOENT) return err;
                var st: linux.Stat = undefined;
                _ = try sys.retry(linux.fstatat, .{ fd, "", &st, handlers.at.empty_path });
                return if (linux.S.ISLNK(st.mode)) err else error.INVAL;
            };
            // A /proc file syd served filtered (procfs.zig): its fd's link names the file.
            return answer_link(request, nr, procfs.served_path(target[0..len]) orelse target[0..len]);
        },
        else => unreachable,
    }
    return .{ .value = 0 };
}
