//! The sandbox's process tree after its first process: syd is a child subreaper, so every
//! sandboxed process whose parent dies is reparented to syd and stays syd's descendant. When
//! the first process exits syd either kills every sandboxed process left (the default: none
//! outlives syd) or waits for them all (`trace/exit_wait_all:1`), then kills what is left.
//!
//! A sandboxed process is a descendant of syd's process under a seccomp filter (Seccomp: 2);
//! the check keeps other children of an embedding process out of reach.
//!
//! Needs: PR_SET_CHILD_SUBREAPER (Linux 3.4); /proc/PID/stat and /proc/PID/status.
//! Assumes: called from the run thread; the process tree is read racily (processes come and go
//! during a scan): killing is repeated until a scan finds nothing, bounded.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const caller = @import("../kernel/caller.zig");

/// Processes looked at per scan of /proc.
pub const processes_max: usize = 32768;
/// Kill rounds before giving up on a tree that keeps growing.
pub const kill_rounds_max: u32 = 200;
pub const wait_poll_ms: u32 = 20;

/// Makes syd's process the reaper of orphaned descendants.
pub fn subreaper_set() sys.Errno!void {
    _ = try sys.check(linux.prctl(@intFromEnum(linux.PR.SET_CHILD_SUBREAPER), 1, 0, 0, 0));
}

pub const Proc = struct { pid: i32, ppid: i32, zombie: bool, pgid: i32 = 0, mark: bool = false };

/// What `sandboxed` does with the zombies it finds that are syd's own children.
pub const Zombies = enum {
    reap,
    /// Leave them: the tracer reaps (and must see the first process's status).
    leave,
};

/// The live sandboxed processes under `root` (syd's pid): their count (bounded by `out`), after
/// reaping (`zombies`) every sandboxed zombie that is syd's own child.
pub fn sandboxed(root: i32, table: []Proc, out: []i32, exclude: i32, zombies: Zombies) usize {
    assert(root > 0 and out.len > 0);
    const count = scan(table);
    mark_descendants(root, table[0..count]);
    var len: usize = 0;
    for (table[0..count]) |p| {
        if (!p.mark or p.pid == exclude or !filtered(p.pid)) continue;
        if (p.zombie) {
            if (p.ppid == root and zombies == .reap) reap(p.pid);
            continue;
        }
        if (len == out.len) break;
        out[len] = p.pid;
        len += 1;
    }
    return len;
}

/// The sandbox's tasks: its live processes (those `sandboxed` finds) and their threads.
pub const Census = struct {
    /// Threads of every live sandboxed process.
    tasks: u64 = 0,
    /// Live sandboxed processes (at most `out.len` of them listed in `out`).
    processes: usize = 0,
};

/// Counts the tasks of the live sandboxed processes under `root` (syd's pid), `exclude` (the
/// sentinel) aside; lists the processes, with their process groups, in `out`. Zombies are
/// left to the tracer, which reaps them.
pub fn census(root: i32, table: []Proc, out: []Proc, exclude: i32) Census {
    assert(root > 0 and out.len > 0);
    const count = scan(table);
    mark_descendants(root, table[0..count]);
    var result: Census = .{};
    for (table[0..count]) |p| {
        if (!p.mark or p.pid == exclude or p.zombie) continue;
        const threads = threads_if_filtered(p.pid) orelse continue;
        result.tasks += threads;
        if (result.processes < out.len) out[result.processes] = p;
        result.processes += 1;
    }
    return result;
}

/// Kills every sandboxed process left, repeating until none is found (bounded). `table` is
/// scratch space for a scan (`processes_max` entries).
pub fn kill_all(root: i32, table: []Proc) u32 {
    var pids: [4096]i32 = undefined;
    var killed: u32 = 0;
    var round: u32 = 0;
    while (round < kill_rounds_max) : (round += 1) {
        const len = sandboxed(root, table, &pids, 0, .reap);
        if (len == 0) return killed;
        for (pids[0..len]) |pid| {
            if (linux.E.init(linux.kill(pid, linux.SIG.KILL)) == .SUCCESS) killed += 1;
        }
        sys.sleep_ms(1);
    }
    return killed;
}

/// Waits until no sandboxed process is left but `exclude` (the sentinel, which waits for syd),
/// or one of `stops` is set.
pub fn wait_all(root: i32, table: []Proc, exclude: i32, stops: []const *const std.atomic.Value(bool)) void {
    assert(stops.len > 0);
    var pids: [1]i32 = undefined;
    // Not a bounded loop: trace/exit_wait_all waits as long as a sandboxed process lives.
    while (true) {
        for (stops) |stop| if (stop.load(.acquire)) return;
        if (sandboxed(root, table, &pids, exclude, .reap) == 0) return;
        sys.sleep_ms(wait_poll_ms);
    }
}

fn reap(pid: i32) void {
    var info: linux.siginfo_t = undefined;
    _ = linux.waitid(.PID, pid, &info, linux.W.EXITED | linux.W.NOHANG | 0x40000000); // __WALL
}

/// Fills `table` with every process's pid, parent and whether it is a zombie.
fn scan(table: []Proc) usize {
    var pids = Numbers.open("/proc") orelse return 0;
    defer pids.close();
    var count: usize = 0;
    while (pids.next()) |pid| {
        if (count == table.len) return count;
        table[count] = stat_of(pid) orelse continue;
        count += 1;
    }
    return count;
}

/// The thread ids of process `pid` (none when it is gone), at most `out.len`.
pub fn tasks_of(pid: i32, out: []i32) []i32 {
    var path_buf: [32]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/task", .{pid}) catch unreachable;
    var tids = Numbers.open(path.ptr) orelse return out[0..0];
    defer tids.close();
    var count: usize = 0;
    while (count < out.len) : (count += 1) out[count] = tids.next() orelse break;
    return out[0..count];
}

/// The entries of a /proc directory that are numbers (pids in /proc, tids in /proc/PID/task),
/// read a batch at a time; other names are skipped. Bounded: `processes_max` batches.
const Numbers = struct {
    fd: i32,
    buf: [8192]u8 align(8) = undefined,
    len: usize = 0,
    offset: usize = 0,
    reads: usize = 0,

    fn open(path: [*:0]const u8) ?Numbers {
        const fd = sys.retry(linux.open, .{ path, linux.O{ .DIRECTORY = true, .CLOEXEC = true }, @as(linux.mode_t, 0) }) catch return null;
        return .{ .fd = @intCast(fd) };
    }

    fn close(self: *Numbers) void {
        sys.close(self.fd);
    }

    fn next(self: *Numbers) ?i32 {
        while (true) {
            if (self.offset == self.len) {
                if (self.reads == processes_max) return null;
                self.reads += 1;
                self.len = sys.retry(linux.getdents64, .{ self.fd, &self.buf, self.buf.len }) catch return null;
                self.offset = 0;
                if (self.len == 0) return null;
            }
            assert(self.offset < self.len);
            const entry: *align(1) const linux.dirent64 = @ptrCast(&self.buf[self.offset]);
            self.offset += entry.reclen;
            const name = std.mem.sliceTo(@as([*:0]const u8, @ptrCast(&entry.name)), 0);
            return std.fmt.parseInt(i32, name, 10) catch continue;
        }
    }
};

fn stat_of(pid: i32) ?Proc {
    var path_buf: [32]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/stat", .{pid}) catch unreachable;
    var buf: [512]u8 = undefined;
    const text = caller.read_proc(path.ptr, &buf) catch return null;
    return parse_stat(pid, text);
}

/// Parses `pid (comm) S ppid ...`; the command name may hold spaces and parentheses.
pub fn parse_stat(pid: i32, text: []const u8) ?Proc {
    const close = std.mem.lastIndexOfScalar(u8, text, ')') orelse return null;
    var fields = std.mem.tokenizeScalar(u8, text[close + 1 ..], ' ');
    const state = fields.next() orelse return null;
    const ppid = std.fmt.parseInt(i32, fields.next() orelse return null, 10) catch return null;
    const pgid = std.fmt.parseInt(i32, fields.next() orelse return null, 10) catch return null;
    if (state.len != 1) return null;
    return .{ .pid = pid, .ppid = ppid, .pgid = pgid, .zombie = state[0] == 'Z' or state[0] == 'X' };
}

/// Marks every process whose chain of parents reaches `root`. Sorts `table` by pid.
fn mark_descendants(root: i32, table: []Proc) void {
    std.mem.sort(Proc, table, {}, struct {
        fn less(_: void, a: Proc, b: Proc) bool {
            return a.pid < b.pid;
        }
    }.less);
    var changed = true;
    var depth: usize = 0;
    while (changed and depth < table.len) : (depth += 1) {
        changed = false;
        for (table) |*p| {
            if (p.mark) continue;
            if (p.ppid == root or parent_marked(table, p.ppid)) {
                p.mark = true;
                changed = true;
            }
        }
    }
}

fn parent_marked(table: []const Proc, ppid: i32) bool {
    const index = std.sort.binarySearch(Proc, table, ppid, struct {
        fn order(pid: i32, p: Proc) std.math.Order {
            return std.math.order(pid, p.pid);
        }
    }.order) orelse return false;
    return table[index].mark;
}

/// The text of /proc/PID/status (null when gone).
fn status_text(pid: i32, buf: *[4096]u8) ?[]const u8 {
    var path_buf: [32]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/status", .{pid}) catch unreachable;
    return caller.read_proc(path.ptr, buf) catch null;
}

/// Whether a status says its process runs under a seccomp filter (a zombie's, which says so no
/// more: counted).
fn status_filtered(text: []const u8) bool {
    const at = std.mem.indexOf(u8, text, "\nSeccomp:\t") orelse return true;
    return text.len > at + 10 and text[at + 10] == '2';
}

/// The thread count of `pid` when it runs under a seccomp filter; null otherwise or gone.
fn threads_if_filtered(pid: i32) ?u64 {
    var buf: [4096]u8 = undefined;
    return parse_threads_if_filtered(status_text(pid, &buf) orelse return null);
}

pub fn parse_threads_if_filtered(text: []const u8) ?u64 {
    if (std.mem.indexOf(u8, text, "\nSeccomp:\t") == null or !status_filtered(text)) return null;
    const at = std.mem.indexOf(u8, text, "\nThreads:\t") orelse return null;
    const rest = text[at + 10 ..];
    const end = std.mem.indexOfScalar(u8, rest, '\n') orelse rest.len;
    return std.fmt.parseInt(u64, rest[0..end], 10) catch null;
}

test "parse_threads_if_filtered counts threads of filtered processes only" {
    try std.testing.expectEqual(@as(?u64, 3), parse_threads_if_filtered("Name:\tx\nThreads:\t3\nSeccomp:\t2\n"));
    try std.testing.expectEqual(@as(?u64, null), parse_threads_if_filtered("Name:\tx\nThreads:\t3\nSeccomp:\t0\n"));
    try std.testing.expectEqual(@as(?u64, null), parse_threads_if_filtered("Name:\tx\nThreads:\tx\nSeccomp:\t2\n"));
    try std.testing.expectEqual(@as(?u64, null), parse_threads_if_filtered("Name:\tx\nSeccomp:\t2\n"));
}

/// Whether `pid` runs under a seccomp filter (`status_filtered`; gone: no).
fn filtered(pid: i32) bool {
    var buf: [4096]u8 = undefined;
    return status_filtered(status_text(pid, &buf) orelse return false);
}

test "parse_stat reads the state and parent past a command name with parentheses" {
    const p = parse_stat(12, "12 (a) b (c)) S 7 12 12 0 -1").?;
    try std.testing.expectEqual(@as(i32, 7), p.ppid);
    try std.testing.expectEqual(@as(i32, 12), p.pgid);
    try std.testing.expect(!p.zombie);
    try std.testing.expect(parse_stat(12, "12 (x) Z 1 2").?.zombie);
    try std.testing.expect(parse_stat(12, "12 (x) Z 1") == null);
    try std.testing.expect(parse_stat(12, "garbage") == null);
}

test "mark_descendants follows parents to the root, in any order" {
    var table = [_]Proc{
        .{ .pid = 30, .ppid = 20, .zombie = false },
        .{ .pid = 20, .ppid = 10, .zombie = false },
        .{ .pid = 40, .ppid = 1, .zombie = false },
        .{ .pid = 10, .ppid = 5, .zombie = false },
    };
    mark_descendants(5, &table);
    for (table) |p| try std.testing.expectEqual(p.pid != 40, p.mark);
}

test "tasks_of lists this thread among this process's" {
    var tids: [64]i32 = undefined;
    const found = tasks_of(sys.getpid(), &tids);
    try std.testing.expect(std.mem.indexOfScalar(i32, found, sys.gettid()) != null);
    try std.testing.expectEqual(@as(usize, 0), tasks_of(std.math.maxInt(i32), &tids).len);
}

test "scan finds this process and its parent" {
    const table = try std.testing.allocator.alloc(Proc, processes_max);
    defer std.testing.allocator.free(table);
    const count = scan(table);
    var found = false;
    for (table[0..count]) |p| if (p.pid == sys.getpid()) {
        found = p.ppid == linux.getppid();
    };
    try std.testing.expect(found);
}
