//! SegvGuard, as the original's (after HardenedBSD's): a sandboxed process killed by a signal
//! that may dump core (and SIGKILL, so that kill rules count) counts a crash for its program;
//! segvguard/maxcrashes crashes within segvguard/expiry suspend the program for
//! segvguard/suspension: its exec is refused (EACCES at the call, killed at the exec stop), with
//! a record. segvguard/expiry:0 turns it off. The tracer learns of the crash at the fatal
//! signal's delivery stop (`at_signal`), where /proc/PID/exe still names the program. Unlike
//! the original (which reads it at PTRACE_EVENT_EXIT), a SIGKILL is not counted: it has no
//! delivery stop, and exit stops would hold every process syd kills at the sandbox's end.
//!
//! A program is its path (the original keys its maps by path): /proc/PID/exe at the crash,
//! the canonical path at the call, the program's and loader's paths at the exec stop.
//!
//! Needs: the tracer (trace/allow_unsafe_ptrace:1 turns SegvGuard off).
//! Assumes: one sandbox per syd process (the table is the process's); any thread may call.
//! The table is bounded (`entries_max`): when full, a program neither suspended nor counting
//! within its window is forgotten first, then the one whose window or suspension ends first.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const policy_mod = @import("../judge/policy.zig");
const handlers = @import("../handlers/mod.zig");
const log_mod = @import("../run/log.zig");
const tpe = @import("tpe.zig");

const Trust = policy_mod.Trust;
const Request = handlers.Request;
const Response = handlers.Response;

/// Programs remembered at once.
pub const entries_max: usize = 1024;

const Key = [std.crypto.hash.sha2.Sha256.digest_length]u8;

const Entry = struct {
    key: Key = undefined,
    used: bool = false,
    crashes: u8 = 0,
    /// The crash window's end (monotonic ms): crashes counted until then.
    window_end_ms: u64 = 0,
    /// The suspension's end (monotonic ms); 0: not suspended.
    suspended_until_ms: u64 = 0,

    fn live(self: *const Entry, now_ms: u64) bool {
        return self.used and (self.window_end_ms > now_ms or self.suspended_until_ms > now_ms);
    }

    /// When the entry may be forgotten: the later of its window's and suspension's ends.
    fn end_ms(self: *const Entry) u64 {
        return @max(self.window_end_ms, self.suspended_until_ms);
    }
};

pub const Table = struct {
    entries: [entries_max]Entry = [_]Entry{.{}} ** entries_max,
    mutex: std.Thread.Mutex = .{},

    /// Whether `path` is suspended at `now_ms`.
    pub fn suspended(self: *Table, path: []const u8, now_ms: u64) bool {
        const key = key_of(path);
        self.mutex.lock();
        defer self.mutex.unlock();
        const entry = self.find(&key) orelse return false;
        return entry.suspended_until_ms > now_ms;
    }

    pub const Crash = struct { crashes: u8, was_suspended: bool, newly_suspended: bool };

    /// Counts a crash of `path` at `now_ms`.
    pub fn crash(self: *Table, path: []const u8, now_ms: u64, expiry_ms: u64, suspension_ms: u64, maxcrashes: u8) Crash {
        assert(expiry_ms > 0 and maxcrashes > 0);
        const key = key_of(path);
        self.mutex.lock();
        defer self.mutex.unlock();
        const entry = self.find(&key) orelse self.slot(now_ms) orelse
            return .{ .crashes = 0, .was_suspended = false, .newly_suspended = false };
        if (!entry.used or !std.mem.eql(u8, &entry.key, &key)) entry.* = .{ .key = key, .used = true };
        if (entry.window_end_ms > now_ms) {
            entry.crashes +|= 1;
        } else {
            entry.crashes = 1;
            entry.window_end_ms = now_ms +| expiry_ms;
        }
        if (entry.crashes < maxcrashes) return .{ .crashes = entry.crashes, .was_suspended = false, .newly_suspended = false };
        const newly = entry.suspended_until_ms <= now_ms;
        if (newly) entry.suspended_until_ms = now_ms +| suspension_ms;
        return .{ .crashes = entry.crashes, .was_suspended = true, .newly_suspended = newly };
    }

    fn find(self: *Table, key: *const Key) ?*Entry {
        for (&self.entries) |*entry| {
            if (entry.used and std.mem.eql(u8, &entry.key, key)) return entry;
        }
        return null;
    }

    /// A slot for a new program: a free or dead one, else the unsuspended one whose crash window
    /// ends first; never a suspended one (a table filled with other programs' crashes must not
    /// end a suspension early: found by the attack session). Null when every entry is a live
    /// suspension: the new program's crash is then not counted until one ends.
    fn slot(self: *Table, now_ms: u64) ?*Entry {
        var best: ?*Entry = null;
        for (&self.entries) |*entry| {
            if (!entry.live(now_ms)) return entry;
            if (entry.suspended_until_ms > now_ms) continue;
            if (best == null or entry.window_end_ms < best.?.window_end_ms) best = entry;
        }
        return best;
    }
};

fn key_of(path: []const u8) Key {
    var key: Key = undefined;
    std.crypto.hash.sha2.Sha256.hash(path, &key, .{});
    return key;
}

/// The process's table.
var table: Table = .{};

/// The signals that count a crash, as the original's is_coredump (SIGIOT is SIGABRT).
pub fn counts(sig: u32) bool {
    const s = linux.SIG;
    return switch (sig) {
        s.ABRT, s.BUS, s.FPE, s.ILL, s.KILL, s.QUIT, s.SEGV, s.SYS, s.TRAP, s.XCPU, s.XFSZ => true,
        else => false,
    };
}

/// execve, execveat before the call: null when `canonical` is not suspended; else EACCES (or the
/// action), with the original's record.
pub fn at_entry(request: *const Request, canonical: []const u8) ?Response {
    const trust = &request.policy.trust;
    if (!trust.segvguard_on()) return null;
    if (!table.suspended(canonical, sys.monotonic_ms())) return null;
    const action = trust.segvguard_action;
    if (action != .filter) {
        const base = if (std.mem.lastIndexOfScalar(u8, canonical, '/')) |slash| canonical[slash + 1 ..] else canonical;
        var msg_buf: [512]u8 = undefined;
        const msg = std.fmt.bufPrint(&msg_buf, "max crashes {d} exceeded, execution of `{s}' denied", .{ trust.segvguard_maxcrashes, base }) catch "max crashes exceeded, execution denied";
        const is_execveat = request.notif.data.nr == @intFromEnum(linux.SYS.execveat);
        request.log.emit(.@"error", .{ .ctx = "segvguard", .act = @tagName(action), .sys = if (is_execveat) "execveat" else "execve", .path = canonical, .msg = msg, .tip = "increase `segvguard/maxcrashes'", .pid = request.tid() });
    }
    return tpe.act(request, action);
}

/// The tracer's exec stop: the program and its loaders (`.path`); false when the process was
/// given the action.
pub fn at_exec_stop(request: *const Request, exe_path: []const u8, loaders: anytype) bool {
    const trust = &request.policy.trust;
    if (!trust.segvguard_on()) return true;
    const now_ms = sys.monotonic_ms();
    if (table.suspended(exe_path, now_ms)) return exec_stop_denied(request, exe_path);
    for (loaders) |loader| if (table.suspended(loader.path, now_ms)) return exec_stop_denied(request, loader.path);
    return true;
}

fn exec_stop_denied(request: *const Request, path: []const u8) bool {
    const trust = &request.policy.trust;
    const action = trust.segvguard_action;
    if (action != .filter) {
        var msg_buf: [128]u8 = undefined;
        const msg = std.fmt.bufPrint(&msg_buf, "Max crashes {d} exceeded, kill process {d}", .{ trust.segvguard_maxcrashes, request.tid() }) catch "Max crashes exceeded";
        request.log.emit(.@"error", .{ .ctx = "exec", .op = "segvguard", .act = @tagName(action), .pid = request.tid(), .path = path, .msg = msg, .tip = "increase `segvguard/maxcrashes'" });
    }
    const given = tpe.deny_action(action) orelse return true;
    return tpe.stop_with(request, given);
}

/// A tracee's signal-delivery stop for `sig`: when the signal counts and its action is the
/// default (it ends the process, with a core), a crash is counted for the program, still
/// readable at /proc/TID/exe, with the original's record. `first`: the sandbox's first process,
/// whose crash ends the sandbox and is not counted unless trace/exit_wait_all, as the original's.
pub fn at_signal(policy: *const policy_mod.Policy, log: *log_mod.Log, tid: i32, sig: u32, first: bool) void {
    assert(tid > 0);
    const trust = &policy.trust;
    if (!trust.segvguard_on() or !counts(sig) or sig == linux.SIG.KILL) return;
    if (first and !policy.exit_wait_all) return;
    if (!fatal(tid, sig)) return;
    var link_buf: [64]u8 = undefined;
    const link = std.fmt.bufPrintZ(&link_buf, "/proc/{d}/exe", .{tid}) catch unreachable;
    var exe_buf: [4096]u8 = undefined;
    const len = sys.check(linux.readlink(link.ptr, &exe_buf, exe_buf.len)) catch return;
    if (len == 0 or len == exe_buf.len) return;
    const mark = " (deleted)";
    var exe = exe_buf[0..len];
    if (std.mem.endsWith(u8, exe, mark)) exe = exe[0 .. exe.len - mark.len];
    const result = table.crash(exe, sys.monotonic_ms(), trust.segvguard_expiry_ms, trust.segvguard_suspension_ms, trust.segvguard_maxcrashes);
    const noun = if (result.crashes > 1) "crashes" else "crash";
    var msg_buf: [128]u8 = undefined;
    const name = signal_name(sig);
    if (result.newly_suspended) {
        const msg = std.fmt.bufPrint(&msg_buf, "suspending after {s} due to {d} {s}", .{ name, result.crashes, noun }) catch "suspending";
        log.emit(.@"error", .{ .ctx = "segvguard", .msg = msg, .tip = "increase `segvguard/maxcrashes'", .pid = tid, .path = exe, .sig = sig });
    } else {
        const msg = std.fmt.bufPrint(&msg_buf, "{d} {s} recorded after {s}{s}", .{ result.crashes, noun, name, if (result.was_suspended) " (suspended)" else "" }) catch "crash recorded";
        log.emit(.info, .{ .ctx = "segvguard", .msg = msg, .pid = tid, .path = exe, .sig = sig });
    }
}

/// Whether `sig`, about to be delivered to thread `tid`, ends its process: neither caught nor
/// ignored (/proc/TID/status SigCgt, SigIgn). A fault the process cannot take is reset to the
/// default by the kernel before it is queued, so it is seen as fatal here.
fn fatal(tid: i32, sig: u32) bool {
    assert(sig > 0 and sig <= 64);
    var path_buf: [64]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/status", .{tid}) catch unreachable;
    const fd: i32 = @intCast(sys.retry(linux.open, .{ path.ptr, linux.O{ .CLOEXEC = true }, @as(linux.mode_t, 0) }) catch return false);
    defer sys.close(fd);
    var buf: [4096]u8 = undefined;
    const len = sys.read_full(fd, &buf) catch return false;
    const bit = @as(u64, 1) << @intCast(sig - 1);
    const caught = mask_of(buf[0..len], "SigCgt:") orelse return false;
    const ignored = mask_of(buf[0..len], "SigIgn:") orelse return false;
    return (caught | ignored) & bit == 0;
}

/// The hex mask on the status line starting with `key`.
fn mask_of(text: []const u8, key: []const u8) ?u64 {
    var lines = std.mem.splitScalar(u8, text, '\n');
    while (lines.next()) |line| {
        if (!std.mem.startsWith(u8, line, key)) continue;
        const value = std.mem.trim(u8, line[key.len..], " \t");
        return std.fmt.parseInt(u64, value, 16) catch null;
    }
    return null;
}

fn signal_name(sig: u32) []const u8 {
    const s = linux.SIG;
    return switch (sig) {
        s.ABRT => "SIGABRT",
        s.BUS => "SIGBUS",
        s.FPE => "SIGFPE",
        s.ILL => "SIGILL",
        s.KILL => "SIGKILL",
        s.QUIT => "SIGQUIT",
        s.SEGV => "SIGSEGV",
        s.SYS => "SIGSYS",
        s.TRAP => "SIGTRAP",
        s.XCPU => "SIGXCPU",
        s.XFSZ => "SIGXFSZ",
        else => "a signal",
    };
}

test "five crashes within the window suspend; the suspension and the window end" {
    const t = try std.testing.allocator.create(Table);
    defer std.testing.allocator.destroy(t);
    t.* = .{};
    for (1..5) |i| {
        const r = t.crash("/bin/x", 1000 + i, 120_000, 600_000, 5);
        try std.testing.expectEqual(@as(u8, @intCast(i)), r.crashes);
        try std.testing.expect(!r.was_suspended);
    }
    try std.testing.expect(!t.suspended("/bin/x", 1010));
    const fifth = t.crash("/bin/x", 1010, 120_000, 600_000, 5);
    try std.testing.expect(fifth.newly_suspended);
    try std.testing.expect(t.suspended("/bin/x", 1011));
    try std.testing.expect(!t.suspended("/bin/y", 1011));
    const sixth = t.crash("/bin/x", 1012, 120_000, 600_000, 5);
    try std.testing.expect(sixth.was_suspended and !sixth.newly_suspended);
    try std.testing.expect(!t.suspended("/bin/x", 1010 + 600_000));
    // A crash after the window starts a new count.
    try std.testing.expectEqual(@as(u8, 1), t.crash("/bin/z", 0, 10, 600_000, 5).crashes);
    try std.testing.expectEqual(@as(u8, 1), t.crash("/bin/z", 20, 10, 600_000, 5).crashes);
}

test "the table stays bounded: a full table forgets the window that ends first, never a suspension" {
    const t = try std.testing.allocator.create(Table);
    defer std.testing.allocator.destroy(t);
    t.* = .{};
    var name_buf: [32]u8 = undefined;
    // maxcrashes 2: one crash each opens a window, no suspension; the oldest windows go first.
    for (0..entries_max + 10) |i| {
        const name = try std.fmt.bufPrint(&name_buf, "/bin/w{d}", .{i});
        _ = t.crash(name, 100 + i, 1_000_000, 600_000, 2);
    }
    var used: usize = 0;
    for (t.entries) |e| used += @intFromBool(e.used);
    try std.testing.expectEqual(entries_max, used);
    try std.testing.expect(t.find(&key_of("/bin/w0")) == null);
    try std.testing.expect(t.find(&key_of("/bin/w1033")) != null);
    // A suspension is never forgotten for others' crashes: the table full of suspensions
    // counts no new program until one ends.
    t.* = .{};
    for (0..entries_max + 10) |i| {
        const name = try std.fmt.bufPrint(&name_buf, "/bin/p{d}", .{i});
        _ = t.crash(name, 100 + i, 1000, 600_000, 1);
    }
    try std.testing.expect(t.suspended("/bin/p0", 200_000));
    try std.testing.expect(t.suspended("/bin/p1023", 200_000));
    try std.testing.expect(!t.suspended("/bin/p1033", 200_000));
    // Once they end, new programs are counted again.
    try std.testing.expect(t.crash("/bin/late", 700_000, 1000, 600_000, 1).newly_suspended);
}

test "mask_of reads a status line's hex mask" {
    const text = "Name:\tx\nSigIgn:\t0000000000001000\nSigCgt:\t0000000180000400\n";
    try std.testing.expectEqual(@as(?u64, 0x1000), mask_of(text, "SigIgn:"));
    try std.testing.expectEqual(@as(?u64, 0x180000400), mask_of(text, "SigCgt:"));
    try std.testing.expectEqual(@as(?u64, null), mask_of(text, "SigBlk:"));
}

test "counts: the original's signals" {
    try std.testing.expect(counts(linux.SIG.SEGV) and counts(linux.SIG.KILL) and counts(linux.SIG.ABRT));
    try std.testing.expect(!counts(linux.SIG.TERM) and !counts(linux.SIG.INT) and !counts(linux.SIG.HUP));
}
