//! Process hardening decided by register arguments alone (nothing the caller could change
//! after syd looked): PTRACE_TRACEME made to look untraced, and System V IPC under
//! trace/allow_unsafe_shm checked as the original checks it (filter/table.zig traps them).
//!
//! ptrace: syd traces the sandbox (or refuses every request), so a process calling
//! PTRACE_TRACEME to detect a tracer would see EPERM. As the original, the first call of each
//! thread succeeds (a no-op) and every later one fails EPERM, as for a thread nobody traces.
//! Threads are told apart by tid and start time (a tid reused by a new thread starts afresh).
//!
//! IPC: the calls that make or change System V objects kill the caller (SIGKILL, logged) for a
//! mode open to group or others (`mode & 0o177`), shmat's SHM_EXEC, the *ctl commands IPC_SET
//! and *_STAT_ANY (unless trace/allow_unsafe_perm_shm); msgrcv with MSG_COPY unless
//! trace/allow_unsafe_copy. The call is then answered EACCES (the caller is dying).
//!
//! Needs: /proc/TID/stat (start time), /proc/TID/status (thread group, for the kill).
//! Assumes: mod.zig's Request; the filter traps ptrace only for PTRACE_TRACEME and msgrcv
//! only with MSG_COPY.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const caller_mod = @import("../kernel/caller.zig");
const table = @import("../filter/table.zig");
const handlers = @import("mod.zig");

const Request = handlers.Request;
const Response = handlers.Response;
const SYS = linux.SYS;

/// Threads whose PTRACE_TRACEME syd answered; a full table forgets the threads that are gone.
const tracemes_max: usize = 4096;
const Traceme = struct { tid: i32, start_ticks: u64 };
var tracemes: [tracemes_max]Traceme = undefined;
var tracemes_len: usize = 0;
var tracemes_mutex: std.Thread.Mutex = .{};

/// PTRACE_TRACEME: 0 the first time a thread asks, EPERM after (as the kernel answers a
/// traced thread).
pub fn ptrace(request: *const Request) Response {
    assert(request.arg(0) == 0); // the filter traps PTRACE_TRACEME only
    const tid = request.tid();
    const start_ticks = start_time(tid) catch |err| return handlers.failure(err);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.SRCH) };
    tracemes_mutex.lock();
    defer tracemes_mutex.unlock();
    for (tracemes[0..tracemes_len]) |t| {
        if (t.tid == tid and t.start_ticks == start_ticks) return .{ .failure = @intFromEnum(linux.E.PERM) };
    }
    if (tracemes_len == tracemes_max) forget_gone();
    if (tracemes_len == tracemes_max) return .{ .failure = @intFromEnum(linux.E.PERM) }; // fail closed
    tracemes[tracemes_len] = .{ .tid = tid, .start_ticks = start_ticks };
    tracemes_len += 1;
    assert(tracemes_len <= tracemes_max);
    return .{ .value = 0 };
}

/// Drops the entries of threads that ended (or whose tid another thread now has).
fn forget_gone() void {
    var kept: usize = 0;
    for (tracemes[0..tracemes_len]) |t| {
        const now = start_time(t.tid) catch continue;
        if (now != t.start_ticks) continue;
        tracemes[kept] = t;
        kept += 1;
    }
    assert(kept <= tracemes_len);
    tracemes_len = kept;
}

/// Field 22 of /proc/TID/stat: when the thread started, in clock ticks after boot.
fn start_time(tid: i32) sys.Errno!u64 {
    assert(tid > 0);
    var path_buf: [32]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/stat", .{tid}) catch unreachable;
    var buf: [1024]u8 = undefined;
    const text = try caller_mod.read_proc(path.ptr, &buf);
    return parse_start_time(text) orelse error.INVAL;
}

fn parse_start_time(text: []const u8) ?u64 {
    const close = std.mem.lastIndexOfScalar(u8, text, ')') orelse return null;
    var fields = std.mem.tokenizeScalar(u8, text[close + 1 ..], ' ');
    var index: usize = 3; // the state is field 3
    while (fields.next()) |field| : (index += 1) {
        if (index == 22) return std.fmt.parseInt(u64, field, 10) catch null;
        if (index > 22) break;
    }
    return null;
}

test "the start time is field 22 of a stat line, whatever the command name holds" {
    const line = "42 (a) b) c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
    try std.testing.expectEqual(@as(?u64, 987654), parse_start_time(line));
    try std.testing.expectEqual(@as(?u64, null), parse_start_time("42 (x) S 1"));
}

const ipc_64: u32 = 0x100;
const ipc_set: u32 = 1;
const msg_stat_any: u32 = 13;
const sem_stat_any: u32 = 20;
const shm_stat_any: u32 = 15;
const shm_exec: u64 = 0o100000;
/// Permission bits of a new object beyond its owner's: the original's SHM_UNSAFE_MASK.
const mode_unsafe_mask: u64 = 0o177;

/// A trapped System V IPC call: continued when safe, the caller killed otherwise.
pub fn ipc(request: *const Request) Response {
    const nr = handlers.nr_of(request);
    const unsafe_what: ?[]const u8 = switch (nr) {
        .msgget, .semget, .shmget => if (request.arg(if (nr == .msgget) 1 else 2) & mode_unsafe_mask != 0) "a mode open to group or others" else null,
        .shmat => if (request.arg(2) & shm_exec != 0) "SHM_EXEC" else null,
        .msgctl, .semctl, .shmctl => unsafe_cmd(nr, request.arg(if (nr == .semctl) 2 else 1)),
        .msgrcv => if (request.arg(4) & table.msg_copy != 0) "MSG_COPY" else null,
        else => unreachable, // the filter traps no other call here
    };
    const what = unsafe_what orelse return .continue_call;
    const copy = nr == .msgrcv;
    request.log.emit(.warn, .{
        .ctx = "ipc",
        .op = "check_shm",
        .act = "kill",
        .sys = handlers.syscall_name(request.notif.data.nr),
        .pid = request.tid(),
        .msg = what,
        .tip = if (copy) "trace/allow_unsafe_copy:1" else "trace/allow_unsafe_perm_shm:1",
    });
    var status: caller_mod.Status = .{};
    caller_mod.read_status(request.tid(), &status) catch {};
    const tgid = if (status.tgid > 0) status.tgid else request.tid();
    _ = linux.kill(tgid, linux.SIG.KILL);
    return .{ .failure = @intFromEnum(linux.E.ACCES) };
}

/// The *ctl command (an int, IPC_64 ignored, as the kernel reads it) when it changes an
/// object's owner or mode, or reads objects regardless of their mode.
fn unsafe_cmd(nr: SYS, arg: u64) ?[]const u8 {
    const cmd = @as(u32, @truncate(arg)) & ~ipc_64;
    if (cmd == ipc_set) return "IPC_SET";
    const stat_any: u32 = switch (nr) {
        .msgctl => msg_stat_any,
        .semctl => sem_stat_any,
        .shmctl => shm_stat_any,
        else => unreachable,
    };
    return if (cmd == stat_any) "*_STAT_ANY" else null;
}

test "unsafe_cmd reads the command as the kernel does" {
    try std.testing.expect(unsafe_cmd(.msgctl, ipc_set | ipc_64) != null);
    try std.testing.expect(unsafe_cmd(.shmctl, @as(u64, 0x1_0000_0000) | shm_stat_any) != null);
    try std.testing.expect(unsafe_cmd(.semctl, 0) == null); // IPC_RMID
    try std.testing.expect(unsafe_cmd(.semctl, msg_stat_any) == null);
}
