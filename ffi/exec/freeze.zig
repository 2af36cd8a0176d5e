//! The freeze of an executable mmap: while the tracer judges an mmap of a file with PROT_EXEC
//! and lets it run to its exit stop (exec/mmap.zig, workers/trace.zig), no other task that
//! shares the caller's memory or fd table runs an instruction of its own. Without it, another
//! thread could make the fd name another file between the check and the kernel's look (dup2),
//! and move the fresh mapping away before the exit stop looked at its address (mremap), leaving
//! the judged file there instead (found by the attack session of issue 17).
//!
//! Who shares: the caller's thread group (/proc/TID/task), and the processes a live vfork ties
//! to it (the child runs in its parent's memory until it execs or exits; `Vforks`, kept by the
//! tracer from PTRACE_EVENT_VFORK to PTRACE_EVENT_VFORK_DONE). The sandbox filter refuses every
//! other way of sharing them with another process (clone with CLONE_VM but neither
//! CLONE_THREAD nor CLONE_VFORK, CLONE_VM with CLONE_PARENT, or CLONE_FILES without
//! CLONE_THREAD: filter/table.zig). A caller alone (`Settled.alone`) needs no freeze, and the
//! tracer lets its call run without the exit stop.
//!
//! How: each other task is interrupted (PTRACE_INTERRUPT: it stops before its next user
//! instruction; a call the kernel does not restart after a ptrace stop, such as epoll_wait,
//! returns EINTR, as after a signal) and looked at until each is stopped, gone, or parked: asleep in
//! the kernel in a call that neither maps memory nor changes fds, which it cannot leave but into
//! the stop. A task in such a call (mmap, mremap, close, dup2...) is waited for: syd's own
//! emulators may still let it run. The stopped tasks' reports stay queued in the kernel: the
//! tracer serves them after the caller's exit stop, which is when they go on.
//!
//! Not covered: a process that stacked its own seccomp listener (trace/allow_unsafe_cbpf) could
//! put an fd into a parked thread's table (SECCOMP_ADDFD_FLAG_SETFD).
//!
//! Needs: PTRACE_INTERRUPT (3.4, tasks seized), kcmp (3.5, KCMP_VM), /proc/TID/{stat,syscall,task}.
//! Assumes: runs on the tracer, with the caller stopped in its seccomp stop.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const caller = @import("../kernel/caller.zig");
const reap = @import("../run/reap.zig");

const ptrace_interrupt: usize = 0x4207;

/// Live vforks at once in the whole sandbox (the child not yet exec'ed or gone); past it the
/// newest child is killed. Large, so that filling it takes as many threads asleep in vfork at
/// once (PID sandboxing's `pid/max` bounds them); kept compact, so that the common case (a few,
/// or none) costs a short scan at each exit and exec.
pub const vforks_max: usize = 16 * 1024;

/// A vfork in progress: `child` runs in the memory of `parent`'s thread group.
pub const Vfork = struct { parent: i32 = 0, child: i32 = 0 };

/// The live vforks, as the tracer sees them (bounded, unordered, compact: `links[0..len]`).
pub const Vforks = struct {
    links: [vforks_max]Vfork = undefined,
    len: usize = 0,

    /// Records that `child` shares `parent`'s memory; false when the table is full.
    pub fn add(self: *Vforks, parent: i32, child: i32) bool {
        assert(parent > 0 and child > 0);
        assert(self.len <= vforks_max);
        if (self.len == vforks_max) return false;
        self.links[self.len] = .{ .parent = parent, .child = child };
        self.len += 1;
        return true;
    }

    /// Forgets every vfork of `tid`, as the parent (vfork done, or it died) or the child (it
    /// exec'ed or died).
    pub fn drop(self: *Vforks, tid: i32) void {
        assert(tid > 0);
        var i: usize = 0;
        while (i < self.len) {
            if (self.links[i].parent == tid or self.links[i].child == tid) {
                self.len -= 1;
                self.links[i] = self.links[self.len];
            } else i += 1;
        }
    }

    pub fn count(self: *const Vforks) usize {
        return self.len;
    }

    pub fn live(self: *const Vforks) []const Vfork {
        return self.links[0..self.len];
    }
};

/// The tasks sharing `tid`'s memory or fds (`tid` among them): its thread group, and the groups
/// vforks tie to it, transitively. Null when they do not all fit in `out` (fail closed).
pub fn sharers(tid: i32, vforks: *const Vforks, out: []i32) ?[]i32 {
    assert(tid > 0 and out.len > 1);
    var len = reap.tasks_of(tid, out).len;
    if (len == out.len) return null;
    if (len == 0) return out[0..0]; // gone
    // Each round adds at least one group or ends: at most one round per vfork, and one more.
    var round: usize = 0;
    while (round <= vforks.count()) : (round += 1) {
        var added = false;
        for (vforks.live()) |link| {
            const has_parent = std.mem.indexOfScalar(i32, out[0..len], link.parent) != null;
            const has_child = std.mem.indexOfScalar(i32, out[0..len], link.child) != null;
            if (has_parent == has_child) continue;
            // Whole groups are added: the other one shares no task with those in the set.
            const other = if (has_parent) link.child else link.parent;
            len += reap.tasks_of(other, out[len..]).len;
            if (len == out.len) return null;
            added = true;
        }
        if (!added) break;
    }
    return out[0..len];
}

/// Where a task is, for the freeze.
pub const State = enum {
    /// Stopped by ptrace (or dead, or gone): runs nothing until the tracer lets it.
    still,
    /// Asleep in a call that maps no memory and changes no fd: stops when it leaves it.
    parked,
    /// Running, or in a call that could map memory or change fds: waited for.
    moving,
};

/// How long the freeze waits for the tasks to stop before it gives up (the call is refused
/// EAGAIN), whatever their number; and the rounds it looks at them in: short sleeps first (a
/// task stops within microseconds of its interrupt), then a millisecond.
pub const settle_ms_max: u64 = 2_000;
pub const rounds_max: u32 = 100_000;
const rounds_quick: u32 = 50;

/// What `settle` found.
pub const Settled = enum {
    /// `tid` shares its memory and fds with no other task: while it is stopped in its call,
    /// nothing can change them (the sandbox filter refuses every other way of sharing them).
    alone,
    /// Every other sharer is stopped or parked.
    frozen,
    /// Some still ran after `settle_ms_max` (or they were too many to list).
    timed_out,
};

/// Interrupts every task of `tasks` but `tid` that may still run, until none does. Tasks made
/// meanwhile start stopped (traced from their creation, served by the tracer only later), and
/// the list is read again each round.
pub fn settle(tid: i32, vforks: *const Vforks, scratch: []i32) Settled {
    assert(tid > 0 and scratch.len > 1);
    const start_ms = now_ms();
    var round: u32 = 0;
    while (round < rounds_max and now_ms() -| start_ms < settle_ms_max) : (round += 1) {
        const tasks = sharers(tid, vforks, scratch) orelse return .timed_out;
        // An empty list (gone, or /proc unreadable) is never taken for alone: the call then
        // goes to its exit stop, as with sharers (fails closed; found by the attack session).
        // A vfork child whose creator's event the tracer has not served yet shares its
        // parent's memory without a link in `vforks`: asked of the kernel (the filter refuses
        // CLONE_VM with CLONE_PARENT, so a vfork child's creator is its parent).
        if (round == 0 and tasks.len == 1) {
            assert(tasks[0] == tid);
            if (!shares_parent_memory(tid)) return .alone;
        }
        var moving: usize = 0;
        for (tasks) |task| {
            if (task == tid) continue;
            switch (state_of(task)) {
                .still => {},
                .parked => interrupt(task), // idempotent: it stops on its way out
                .moving => {
                    interrupt(task);
                    moving += 1;
                },
            }
        }
        if (moving == 0) return .frozen;
        if (round < rounds_quick) sleep_us(20) else sys.sleep_ms(1);
    }
    return .timed_out;
}

/// Whether `tid` may share its memory with its parent process (a vfork child), asked of the
/// kernel (kcmp KCMP_VM); true where that cannot be told (fails towards the full freeze).
fn shares_parent_memory(tid: i32) bool {
    assert(tid > 0);
    var buf: [512]u8 = undefined;
    const stat = read_stat(tid, &buf) orelse return true;
    const ppid = stat_ppid(stat) orelse return true;
    if (ppid <= 0) return false; // no parent in this pid namespace: nobody to share with
    const kcmp_vm: usize = 1;
    const rc = linux.syscall5(.kcmp, @intCast(tid), @intCast(ppid), kcmp_vm, 0, 0);
    return rc != 1 and rc != 2; // 0: the same memory; an error: not known
}

/// The parent pid of a /proc/TID/stat line (the field after the state letter).
pub fn stat_ppid(text: []const u8) ?i32 {
    const close = std.mem.lastIndexOfScalar(u8, text, ')') orelse return null;
    if (close + 4 >= text.len) return null;
    var fields = std.mem.tokenizeScalar(u8, text[close + 1 ..], ' ');
    _ = fields.next() orelse return null; // the state
    const ppid_text = fields.next() orelse return null;
    return std.fmt.parseInt(i32, ppid_text, 10) catch null;
}

fn now_ms() u64 {
    var ts: linux.timespec = undefined;
    _ = linux.clock_gettime(.MONOTONIC, &ts);
    return @as(u64, @intCast(ts.sec)) * 1000 + @as(u64, @intCast(ts.nsec)) / std.time.ns_per_ms;
}

fn interrupt(tid: i32) void {
    // ESRCH: gone, or not stoppable by this tracer (never: every task is seized).
    _ = linux.syscall4(.ptrace, ptrace_interrupt, @intCast(tid), 0, 0);
}

fn sleep_us(us: u32) void {
    assert(us < 1_000_000);
    var ts: linux.timespec = .{ .sec = 0, .nsec = @intCast(@as(u64, us) * std.time.ns_per_us) };
    _ = linux.nanosleep(&ts, null);
}

/// Task `tid`'s state, from /proc/TID/stat and, asleep, /proc/TID/syscall.
pub fn state_of(tid: i32) State {
    assert(tid > 0);
    var path_buf: [40]u8 = undefined;
    var buf: [512]u8 = undefined;
    const stat = read_stat(tid, &buf) orelse return .still; // gone
    const letter = stat_letter(stat) orelse return .moving;
    switch (letter) {
        't', 'T', 'Z', 'X', 'x' => return .still,
        'S', 'D', 'I', 'W', 'P', 'K' => {},
        else => return .moving, // 'R', or unknown
    }
    const syscall_path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/syscall", .{tid}) catch unreachable;
    const text = caller.read_proc(syscall_path.ptr, &buf) catch return .moving;
    return if (asleep_harmless(text)) .parked else .moving;
}

/// Task `tid`'s /proc/TID/stat line, read into `buf`; null when it cannot be read (gone).
fn read_stat(tid: i32, buf: []u8) ?[]const u8 {
    assert(tid > 0);
    var path_buf: [40]u8 = undefined;
    const stat_path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/stat", .{tid}) catch unreachable;
    return caller.read_proc(stat_path.ptr, buf) catch null;
}

/// The state letter of a /proc/TID/stat line (after the command name, which may hold spaces
/// and parentheses).
pub fn stat_letter(text: []const u8) ?u8 {
    const close = std.mem.lastIndexOfScalar(u8, text, ')') orelse return null;
    if (close + 2 >= text.len or text[close + 1] != ' ') return null;
    return text[close + 2];
}

/// Whether a /proc/TID/syscall line names a task asleep in a call that maps no memory and
/// changes no fd ("NR ARGS... SP PC"), or outside any call ("-1 SP PC": a page fault). Not:
/// "running", or a call of `moving_calls`.
pub fn asleep_harmless(text: []const u8) bool {
    const end = std.mem.indexOfAny(u8, text, " \n") orelse text.len;
    const word = text[0..end];
    if (std.mem.eql(u8, word, "-1")) return true;
    const nr = std.fmt.parseInt(u32, word, 10) catch return false;
    return std.mem.indexOfScalar(u32, &moving_calls, nr) == null;
}

/// Calls that map, unmap, move or protect memory, or change which file an fd number names:
/// a task asleep in one is waited for until it stops.
const moving_calls = [_]u32{
    @intFromEnum(linux.SYS.mmap),
    @intFromEnum(linux.SYS.mprotect),
    @intFromEnum(linux.SYS.munmap),
    @intFromEnum(linux.SYS.brk),
    @intFromEnum(linux.SYS.mremap),
    @intFromEnum(linux.SYS.madvise),
    @intFromEnum(linux.SYS.shmat),
    @intFromEnum(linux.SYS.shmdt),
    @intFromEnum(linux.SYS.remap_file_pages),
    @intFromEnum(linux.SYS.pkey_mprotect),
    @intFromEnum(linux.SYS.close),
    @intFromEnum(linux.SYS.close_range),
    @intFromEnum(linux.SYS.dup),
    @intFromEnum(linux.SYS.dup2),
    @intFromEnum(linux.SYS.dup3),
    @intFromEnum(linux.SYS.fcntl),
    @intFromEnum(linux.SYS.unshare),
};

test "stat_letter reads the state after a command name with spaces and parentheses" {
    try std.testing.expectEqual(@as(?u8, 't'), stat_letter("12 (a) b) t 1 2 3"));
    try std.testing.expectEqual(@as(?u8, 'S'), stat_letter("1 (init) S 0 1 1"));
    try std.testing.expectEqual(@as(?u8, null), stat_letter("1 (init"));
    try std.testing.expectEqual(@as(?u8, null), stat_letter("1 (x)"));
    try std.testing.expectEqual(@as(?u8, null), stat_letter(""));
}

test "stat_ppid reads the parent after a command name with spaces and parentheses" {
    try std.testing.expectEqual(@as(?i32, 1), stat_ppid("12 (a) b) t 1 2 3"));
    try std.testing.expectEqual(@as(?i32, 0), stat_ppid("1 (init) S 0 1 1"));
    try std.testing.expectEqual(@as(?i32, null), stat_ppid("1 (x) S"));
    try std.testing.expectEqual(@as(?i32, null), stat_ppid("1 (x) S zz 1"));
    try std.testing.expectEqual(@as(?i32, null), stat_ppid(""));
}

test "shares_parent_memory: a vfork child does, a forked child and syd do not" {
    try std.testing.expect(!shares_parent_memory(linux.getpid()));
    // A forked child: its own memory.
    const pid: i32 = @intCast(linux.fork());
    if (pid == 0) {
        var ts: linux.timespec = .{ .sec = 5, .nsec = 0 };
        _ = linux.nanosleep(&ts, null);
        linux.exit(0);
    }
    defer {
        _ = linux.kill(pid, linux.SIG.KILL);
        var status: u32 = 0;
        _ = linux.waitpid(pid, &status, 0);
    }
    try std.testing.expect(!shares_parent_memory(pid));
}

test "asleep_harmless: parked in a read or a page fault, not in close, mremap or running" {
    try std.testing.expect(asleep_harmless("0 0x3 0x7ffd 0x10 0x0 0x0 0x0 0x7ffd0 0x7f12\n"));
    try std.testing.expect(asleep_harmless("-1 0x7ffd 0x7f12\n"));
    try std.testing.expect(asleep_harmless("58 0x0 0x0 0x0 0x0 0x0 0x0 0x7ffd 0x7f12\n")); // vfork
    try std.testing.expect(!asleep_harmless("3 0x64 0x0 0x0 0x0 0x0 0x0 0x7ffd 0x7f12\n"));
    try std.testing.expect(!asleep_harmless("25 0x2000 0x1000 0x1000 0x3 0x3000 0x0 0x7ffd 0x7f12\n"));
    try std.testing.expect(!asleep_harmless("running\n"));
    try std.testing.expect(!asleep_harmless(""));
    try std.testing.expect(!asleep_harmless("x"));
}

test "asleep_harmless never accepts what it cannot read (fuzz)" {
    var prng = std.Random.DefaultPrng.init(0xf2e3);
    const random = prng.random();
    var buf: [64]u8 = undefined;
    for (0..20_000) |_| {
        const len = random.uintLessThan(usize, buf.len);
        random.bytes(buf[0..len]);
        const text = buf[0..len];
        const end = std.mem.indexOfAny(u8, text, " \n") orelse text.len;
        const word = text[0..end];
        const parsed = std.fmt.parseInt(u32, word, 10) catch null;
        const harmless = asleep_harmless(text);
        if (harmless) try std.testing.expect(std.mem.eql(u8, word, "-1") or parsed != null);
        if (parsed) |nr| if (std.mem.indexOfScalar(u32, &moving_calls, nr) != null) try std.testing.expect(!harmless);
        _ = stat_letter(text);
    }
}

test "Vforks keeps, drops and bounds the live vforks" {
    const vforks = try std.testing.allocator.create(Vforks);
    defer std.testing.allocator.destroy(vforks);
    vforks.* = .{};
    try std.testing.expect(vforks.add(10, 11));
    try std.testing.expect(vforks.add(20, 21));
    try std.testing.expectEqual(@as(usize, 2), vforks.count());
    vforks.drop(11); // the child exec'ed
    try std.testing.expectEqual(@as(usize, 1), vforks.count());
    vforks.drop(20); // the parent's vfork is done
    try std.testing.expectEqual(@as(usize, 0), vforks.count());
    for (0..vforks_max) |i| try std.testing.expect(vforks.add(@intCast(i + 1), @intCast(i + 100_000)));
    try std.testing.expect(!vforks.add(500_000, 500_001));
    vforks.drop(7); // a parent in the middle: the table stays compact
    try std.testing.expectEqual(vforks_max - 1, vforks.count());
    for (vforks.live()) |link| try std.testing.expect(link.parent != 7 and link.child > 0);
}

test "sharers: a single-threaded process alone, its vfork child with it, a gone task as none" {
    const vforks = try std.testing.allocator.create(Vforks);
    defer std.testing.allocator.destroy(vforks);
    vforks.* = .{};
    var out: [64]i32 = undefined;
    const self_pid: i32 = @intCast(linux.getpid());
    const alone = sharers(self_pid, vforks, &out) orelse return error.TestUnexpectedResult;
    try std.testing.expect(std.mem.indexOfScalar(i32, alone, self_pid) != null);
    const threads = alone.len;
    // A vfork tie to process 1 (init, one thread here or more) adds its group.
    try std.testing.expect(vforks.add(1, self_pid));
    const tied = sharers(self_pid, vforks, &out) orelse return error.TestUnexpectedResult;
    try std.testing.expect(tied.len > threads);
    try std.testing.expect(std.mem.indexOfScalar(i32, tied, 1) != null);
    // A buffer too small fails closed.
    var small: [2]i32 = undefined;
    if (threads + 1 >= small.len) try std.testing.expectEqual(@as(?[]i32, null), sharers(self_pid, vforks, &small));
    try std.testing.expectEqual(@as(usize, 0), (sharers(0x3fff_fff0, vforks, &out) orelse return error.TestUnexpectedResult).len);
}
