//! "exec covers what runs": mmap with PROT_EXEC of a file (not MAP_ANONYMOUS), the way ld.so
//! maps shared libraries and dlopen(3) loads them, judged as an exec of the file the fd names,
//! as the original's (syd.7 "Exec Sandboxing", "Force Sandboxing"): exec sandboxing on its path
//! (denied: EACCES and an `access` record), Force sandboxing on its contents (a `verify_lib`
//! record), then memory sandboxing's limits as for any mmap.
//!
//! The filter stops only such calls, and only while exec or Force sandboxing was on when the
//! sandbox started (filter/table.zig `mmap`): plain mmaps stay with the kernel. syd cannot map
//! for the caller, so an allowed call is let run. Between the check and the kernel's look at the
//! fd, another thread of the caller may make the fd number name another file (dup2). The
//! tracer closes that race as the original does: the call runs to its exit stop, where the
//! mapping at the address it returned must be of the file judged (device and inode, from
//! /proc/PID/maps), or the process is killed (`map_mismatch` record). Untraced
//! (trace/allow_unsafe_ptrace:1) the race stays open (README, Limits).
//!
//! W^X, as the original's (unless trace/allow_unsafe_exec_memory:1): the filter kills mmap of
//! memory writable and executable, executable anonymous or shared memory, and every mprotect
//! asking for PROT_EXEC (filter/table.zig `mmap_row`, `mprotect_row`), and MDWE is set on the
//! sandbox (run/spawn.zig); here an executable mapping through an fd open for writing is
//! refused (EACCES, a `check_lib` record). So the one way code gets mapped is this judged call.
//!
//! Needs: pidfd_getfd (5.6), /proc/PID/maps.
//! Assumes: `enter` runs on the tracer (or, untraced, on an emulator) with the caller stopped in
//! its call.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const handlers = @import("../handlers/mod.zig");
const emulate = @import("../handlers/emulate.zig");
const memory = @import("../handlers/memory.zig");
const dir = @import("../handlers/dir.zig");
const path_mod = @import("../judge/path.zig");
const policy_mod = @import("../judge/policy.zig");
const force_mod = @import("force.zig");
const tpe = @import("tpe.zig");
const identity = @import("identity.zig");

const Request = handlers.Request;
const Response = handlers.Response;
const Action = policy_mod.Action;

pub const prot_exec: u64 = 0x4;
pub const map_anonymous: u64 = 0x20;

/// The file an allowed call maps (device, inode), checked again at its exit stop.
pub const Judged = dir.Judged;
pub const Enter = dir.Enter;

/// Whether an mmap with these arguments maps a file executable (the calls the filter stops).
pub fn maps_file_exec(prot: u64, flags: u64) bool {
    return prot & prot_exec != 0 and flags & map_anonymous == 0;
}

/// Untraced (trace/allow_unsafe_ptrace:1): judged, then continued (the race stays open).
pub fn handle(request: *const Request) Response {
    return switch (enter(request, false)) {
        .refused => |errno_value| .{ .failure = errno_value },
        .unjudged, .allowed => .continue_call,
    };
}

/// mmap at its seccomp stop: judged on syd's own copy of the caller's fd (the file the kernel
/// would map now), by exec and Force sandboxing, then by memory sandboxing. An allowed call
/// carries the file as maps will name it when `checked_at_exit` (the tracer's exit stop looks),
/// else as fstat names it (nothing compares it).
pub fn enter(request: *const Request, checked_at_exit: bool) Enter {
    const prot = request.arg(2);
    const flags = request.arg(3);
    const policy = request.policy;
    const exec_on = policy.on[@intFromEnum(policy_mod.Cat.exec)];
    const w_x = !policy.allow_unsafe_exec_memory;
    if (!maps_file_exec(prot, flags) or (!exec_on and !policy.force.on and !policy.trust.tpe and !w_x)) return memory_only(request);
    const fd = emulate.caller_fd(request, @bitCast(@as(u32, @truncate(request.arg(4)))), false) catch |err|
        return .{ .refused = sys.errno_value(err) };
    defer sys.close(fd);
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch |err| return .{ .refused = sys.errno_value(err) };
    var path_buf: [path_mod.long_len_max]u8 = undefined;
    const canonical = emulate.own_fd_path(request, fd, &path_buf) catch |err| return .{ .refused = sys.errno_value(err) };
    var view_buf: [path_mod.long_len_max + 32]u8 = undefined;
    const name = handlers.view(request.tid(), canonical, &view_buf);
    // W^X (the original's): code mapped through an fd open for writing could be rewritten
    // through that fd after every check below, so such a mapping is refused.
    if (w_x and !read_only(fd)) {
        request.log.emit(.warn, .{ .ctx = "mmap", .op = "check_lib", .sys = handlers.syscall_name(request.notif.data.nr), .path = name, .pid = request.tid(), .msg = "executable mapping of writable file blocked", .tip = "fix your program or use `trace/allow_unsafe_exec_memory:1'" });
        return .{ .refused = @intFromEnum(linux.E.ACCES) };
    }
    if (exec_on) {
        const verdict = handlers.judge(policy, &.{.exec}, name);
        if (verdict.judged) if (handlers.enforce(request, verdict, name)) |errno_value| return .{ .refused = errno_value };
    }
    // TPE's third stage (the original's): a library mapped executable must be trusted too.
    if (tpe.at_mmap(request, fd, name)) |response| return switch (response) {
        .failure => |errno_value| .{ .refused = errno_value },
        else => .{ .refused = @intFromEnum(linux.E.ACCES) },
    };
    if (policy.force.on) {
        // Only a regular file has contents to hash (a device may never end): the others are
        // refused, as the original's `check_lib` refuses them by default.
        if (!linux.S.ISREG(st.mode)) {
            request.log.emit(.warn, .{ .ctx = "check_lib", .sys = handlers.syscall_name(request.notif.data.nr), .path = name, .pid = request.tid(), .msg = "executable mapping of non-regular file blocked" });
            return .{ .refused = @intFromEnum(linux.E.ACCES) };
        }
        if (force_refusal(request, fd, name)) |errno_value| return .{ .refused = errno_value };
    }
    return switch (memory_only(request)) {
        .refused => |errno_value| .{ .refused = errno_value },
        // As maps will show the file (an overlayfs over several file systems names it otherwise).
        .unjudged, .allowed => .{ .allowed = if (checked_at_exit) identity.of(fd, &st) else .{ .dev = st.dev, .ino = st.ino } },
    };
}

/// Whether `fd` is open read-only (the caller's open file description: syd's copy shares it);
/// false where its flags cannot be read (fails closed).
fn read_only(fd: i32) bool {
    return sys.access_mode(fd) == 0;
}

fn memory_only(request: *const Request) Enter {
    if (!request.policy.limits.mem) return .unjudged;
    return switch (memory.handle(request)) {
        .failure => |errno_value| .{ .refused = errno_value },
        else => .unjudged,
    };
}

/// Force sandboxing of a library at mmap: null lets the call on, else its errno (EACCES). The
/// records are the original's `verify_lib`.
fn force_refusal(request: *const Request, fd: i32, name: []const u8) ?i32 {
    const verdict = force_mod.check(&request.policy.force, fd, name);
    const eacces: i32 = @intFromEnum(linux.E.ACCES);
    var tip_buf: [path_mod.long_len_max + 48]u8 = undefined;
    const tip = std.fmt.bufPrint(&tip_buf, "configure `force+{s}:<checksum>'", .{name}) catch "configure `force+PATH:<checksum>'";
    const sys_name = handlers.syscall_name(request.notif.data.nr);
    switch (verdict.kind) {
        .matched => return null,
        .failed => {
            request.log.emit(.@"error", .{ .ctx = "verify_lib", .msg = "system error during library checksum calculation", .err = @errorName(verdict.err.?), .sys = sys_name, .path = name, .tip = tip, .pid = request.tid() });
            return eacces;
        },
        .no_rule => if (verdict.action != .allow and verdict.action != .filter) {
            request.log.emit(.warn, .{ .ctx = "verify_lib", .act = @tagName(verdict.action), .sys = sys_name, .path = name, .tip = tip, .pid = request.tid() });
        },
        .mismatch => if (verdict.action != .filter) {
            var a: [force_mod.digest_len_max * 2]u8 = undefined;
            var b: [force_mod.digest_len_max * 2]u8 = undefined;
            var msg_buf: [320]u8 = undefined;
            const msg = std.fmt.bufPrint(&msg_buf, "library checksum mismatch: {s} is not {s}", .{ verdict.found_hex(&a), verdict.expected_hex(&b) }) catch unreachable;
            request.log.emit(.@"error", .{ .ctx = "verify_lib", .act = @tagName(verdict.action), .msg = msg, .sys = sys_name, .path = name, .tip = tip, .pid = request.tid() });
        },
    }
    return act(request, verdict.action);
}

/// The original's actions at a system call: warn lets it on, deny and filter refuse it
/// (EACCES), stop, abort and kill signal the caller and refuse, exit ends the sandbox.
pub fn act(request: *const Request, action: Action) ?i32 {
    const eacces: i32 = @intFromEnum(linux.E.ACCES);
    switch (action) {
        .allow, .warn => return null,
        .filter, .deny, .panic => return eacces,
        .stop, .abort, .kill, .exit => handlers.punish(request, action),
    }
    return eacces;
}

/// The mapping at `addr` in /proc/TID/maps (device, inode; inode 0 for an anonymous one), or
/// null when no mapping holds that address.
pub fn mapped_at(tid: i32, addr: u64) sys.Errno!?Judged {
    assert(tid > 0);
    var path_buf: [48]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/maps", .{tid}) catch unreachable;
    const fd: i32 = @intCast(try sys.retry(linux.open, .{ path.ptr, linux.O{ .CLOEXEC = true }, @as(linux.mode_t, 0) }));
    defer sys.close(fd);
    // Read in pieces: a process may map thousands of files (each line is at most a page).
    var buf: [64 * 1024]u8 = undefined;
    var kept: usize = 0;
    // Not bounded by a count: the file's length bounds it.
    while (true) {
        const n = try sys.retry(linux.read, .{ fd, buf[kept..].ptr, buf.len - kept });
        const end = kept + n;
        var start: usize = 0;
        while (std.mem.indexOfScalarPos(u8, buf[0..end], start, '\n')) |newline| {
            if (try line_holds(buf[start..newline], addr)) |found| return found;
            start = newline + 1;
        }
        if (n == 0) {
            if (start < end) return try line_holds(buf[start..end], addr);
            return null;
        }
        std.mem.copyForwards(u8, buf[0 .. end - start], buf[start..end]);
        kept = end - start;
        if (kept == buf.len) return error.@"2BIG";
    }
}

/// Whether a maps line (`start-end perms offset major:minor inode path`) holds `addr`: its file.
pub fn line_holds(line: []const u8, addr: u64) sys.Errno!?Judged {
    var fields = std.mem.tokenizeScalar(u8, line, ' ');
    const range = fields.next() orelse return null;
    const dash = std.mem.indexOfScalar(u8, range, '-') orelse return error.INVAL;
    const start = std.fmt.parseInt(u64, range[0..dash], 16) catch return error.INVAL;
    const end = std.fmt.parseInt(u64, range[dash + 1 ..], 16) catch return error.INVAL;
    if (addr < start or addr >= end) return null;
    _ = fields.next() orelse return error.INVAL; // perms
    _ = fields.next() orelse return error.INVAL; // offset
    const dev_text = fields.next() orelse return error.INVAL;
    const ino_text = fields.next() orelse return error.INVAL;
    const colon = std.mem.indexOfScalar(u8, dev_text, ':') orelse return error.INVAL;
    const major = std.fmt.parseInt(u32, dev_text[0..colon], 16) catch return error.INVAL;
    const minor = std.fmt.parseInt(u32, dev_text[colon + 1 ..], 16) catch return error.INVAL;
    const ino = std.fmt.parseInt(u64, ino_text, 10) catch return error.INVAL;
    return .{ .dev = sys.makedev(major, minor), .ino = ino };
}

test "line_holds finds the mapping holding an address" {
    const line = "7f00b000-7f030000 r-xp 00001000 08:01 77 /usr/lib/x86_64-linux-gnu/libc.so.6";
    const found = (try line_holds(line, 0x7f00b000)).?;
    try std.testing.expectEqual(@as(u64, 77), found.ino);
    try std.testing.expectEqual(sys.makedev(8, 1), found.dev);
    try std.testing.expect((try line_holds(line, 0x7f02ffff)) != null);
    try std.testing.expect((try line_holds(line, 0x7f030000)) == null);
    try std.testing.expect((try line_holds(line, 0x7f00afff)) == null);
    try std.testing.expectError(error.INVAL, line_holds("zz-1 r", 0));
}

test "mapped_at finds this process's own mapping of a file" {
    var tmp = std.testing.tmpDir(.{});
    defer tmp.cleanup();
    try tmp.dir.writeFile(.{ .sub_path = "f", .data = "x" ** 4096 });
    const file = try tmp.dir.openFile("f", .{});
    defer file.close();
    const mapped = try std.posix.mmap(null, 4096, std.posix.PROT.READ, .{ .TYPE = .PRIVATE }, file.handle, 0);
    defer std.posix.munmap(mapped);
    const st = try std.posix.fstat(file.handle);
    const found = (try mapped_at(linux.gettid(), @intFromPtr(mapped.ptr))).?;
    try std.testing.expectEqual(@as(u64, st.ino), found.ino);
    try std.testing.expectEqual(@as(u64, st.dev), found.dev);
    try std.testing.expect(maps_file_exec(prot_exec | 1, 2));
    try std.testing.expect(!maps_file_exec(prot_exec, map_anonymous | 2));
    try std.testing.expect(!maps_file_exec(1, 2));
}
