//! Interrupter thread (`syd_int`) and the registry of blocked calls it watches.
//!
//! When syd performs a call that may block for long on a sandboxed thread's behalf (an open of
//! a FIFO without a peer, a connect), the emulator registers the request in its slot's `Entry`.
//! The interrupter polls the registered entries and sends the emulator the interrupt signal
//! (its call then returns EINTR) when the request is no longer valid (the caller died, or a
//! signal already took it out of its wait), when the caller is gone, or when the caller has a
//! pending signal, not blocked, whose handler does not ask for SA_RESTART: that call must end
//! with EINTR, as it would natively. Signalling is level-triggered: an entry still registered
//! for the same request at the next poll is signalled again, so a signal that arrived just
//! before the emulator entered its call is not lost. The emulator tells a signal meant for its
//! call from a stray one by `Entry.interrupt_id`.
//!
//! The SA_RESTART flags come from the sandbox's `rt_sigaction` calls (handlers/signal.zig),
//! kept per thread group in `Restarts`, bounded; a process without an entry inherits its
//! parent's (fork copies dispositions).
//!
//! Needs: /proc/TID/status (SigPnd, ShdPnd, SigBlk, Tgid, PPid); SECCOMP_IOCTL_NOTIF_ID_VALID;
//! tgkill; futexes.
//! Assumes: `Entry` fields are written only by the emulator owning the slot, `interrupt_id`
//! only by the interrupter; the status fds are the interrupter thread's own. `start` and
//! `stop` are called by the pool's run thread, once each, in that order.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const notify = @import("../kernel/notify.zig");
const policy = @import("../judge/policy.zig");
const pool_mod = @import("../run/pool.zig");
const caller = @import("../kernel/caller.zig");
const Pool = pool_mod.Pool;

/// Shortest poll interval while calls are registered; doubled while nothing changes.
pub const poll_ms_min: u32 = 10;
pub const poll_ms_max: u32 = 100;
/// A call first seen registered more recently than this is not looked at yet: most opens end
/// sooner.
pub const grace_ms: u64 = 5;
/// Rounds of `poll_ms_min` with no call registered, nor any registration between them, before
/// the thread sleeps until the next registration wakes it. While calls come and go (an open
/// loop), registering one costs no wake-up: the thread looks every `poll_ms_min` instead.
pub const quiet_rounds_max: u32 = 10;
/// Thread groups whose SA_RESTART signals are tracked at once.
pub const restarts_max: usize = 1024;
const status_len_max: usize = 4096;

comptime {
    assert(poll_ms_min < poll_ms_max);
    assert(grace_ms < poll_ms_min);
}

/// One emulator's blocked call (id 0: none). Lives in the emulator's pool slot.
pub const Entry = struct {
    id: std.atomic.Value(u64) = .init(0),
    caller_tid: std.atomic.Value(i32) = .init(0),
    /// Interrupt on any pending signal, SA_RESTART or not (calls that never restart).
    ignore_restart: std.atomic.Value(bool) = .init(false),
    /// The request the interrupter last signalled this emulator for.
    interrupt_id: std.atomic.Value(u64) = .init(0),

    /// Registers `id` (the caller is thread `tid`) before the call that may block.
    pub fn register(self: *Entry, int: *Interrupter, id: u64, tid: i32, ignore_restart: bool) void {
        assert(id != 0 or tid != 0);
        assert(self.id.load(.monotonic) == 0);
        self.caller_tid.store(tid, .monotonic);
        self.ignore_restart.store(ignore_restart, .monotonic);
        self.id.store(id, .seq_cst);
        int.registered();
    }

    pub fn deregister(self: *Entry) void {
        assert(self.id.load(.monotonic) != 0 or self.caller_tid.load(.monotonic) == 0);
        self.id.store(0, .release);
    }

    /// Whether the interrupter signalled this emulator for request `id`.
    pub fn interrupted(self: *const Entry, id: u64) bool {
        return self.interrupt_id.load(.acquire) == id;
    }
};

/// Which signals each thread group handles with SA_RESTART.
pub const Restarts = struct {
    mutex: std.Thread.Mutex = .{},
    tgids: [restarts_max]i32 = [_]i32{0} ** restarts_max,
    masks: [restarts_max]u64 = [_]u64{0} ** restarts_max,

    /// Records whether `sig`'s handler in thread group `tgid` restarts calls. A group seen for
    /// the first time starts from its parent's flags (`ppid`; fork copies the dispositions).
    pub fn set(self: *Restarts, tgid: i32, ppid: i32, sig: u7, restart: bool) void {
        assert(tgid > 0 and sig >= 1);
        self.mutex.lock();
        defer self.mutex.unlock();
        const index = self.find(tgid) orelse seeded: {
            const inherited: u64 = if (ppid > 0) if (self.find(ppid)) |p| self.masks[p] else 0 else 0;
            const claimed = self.claim(tgid);
            self.masks[claimed] = inherited;
            break :seeded claimed;
        };
        if (restart) self.masks[index] |= sys.sig_bit(sig) else self.masks[index] &= ~sys.sig_bit(sig);
        assert(self.tgids[index] == tgid);
    }

    /// The SA_RESTART signals of `tgid`, if it installed any handler since syd watches it.
    pub fn mask(self: *Restarts, tgid: i32) ?u64 {
        if (tgid <= 0) return null;
        self.mutex.lock();
        defer self.mutex.unlock();
        const index = self.find(tgid) orelse return null;
        return self.masks[index];
    }

    fn find(self: *const Restarts, tgid: i32) ?usize {
        for (self.tgids, 0..) |t, index| if (t == tgid) return index;
        return null;
    }

    /// A slot for `tgid`: a free one, else one whose thread group is gone, else the slot its
    /// number hashes to (the group that held it loses its flags: its calls then end with EINTR
    /// on any signal, which is safe, only less faithful).
    fn claim(self: *Restarts, tgid: i32) usize {
        assert(tgid > 0);
        const index = self.find(0) orelse for (self.tgids, 0..) |t, i| {
            if (!alive(t)) break i;
        } else @as(usize, @intCast(tgid)) % restarts_max;
        self.tgids[index] = tgid;
        self.masks[index] = 0;
        return index;
    }

    fn alive(tgid: i32) bool {
        return linux.E.init(linux.kill(tgid, 0)) != .SRCH;
    }
};

const Verdict = enum { keep, interrupt, exhausted };

pub const Interrupter = struct {
    pool: *Pool,
    /// Bumped (and futex-woken) to wake the thread.
    seq: std.atomic.Value(u32) = .init(0),
    /// 1 while the thread sleeps with nothing registered, until a registration wakes it.
    sleeping: std.atomic.Value(u32) = .init(0),
    /// Bumped by every registration: the thread stays awake while calls come and go.
    registrations: std.atomic.Value(u32) = .init(0),
    /// Set by the monitor when the pool is exhausted: interrupt every blocked call.
    force: std.atomic.Value(bool) = .init(false),
    exiting: std.atomic.Value(bool) = .init(false),
    restarts: Restarts = .{},
    thread: ?std.Thread = null,
    // The interrupter's own: a status fd per slot, and the request it was opened for.
    status_fd: [policy.workers_max]i32 = [_]i32{-1} ** policy.workers_max,
    status_id: [policy.workers_max]u64 = [_]u64{0} ** policy.workers_max,
    logged_id: [policy.workers_max]u64 = [_]u64{0} ** policy.workers_max,
    /// The request each slot held when the thread first saw it, and when (for `grace_ms`).
    seen_id: [policy.workers_max]u64 = [_]u64{0} ** policy.workers_max,
    seen_ms: [policy.workers_max]u64 = [_]u64{0} ** policy.workers_max,

    pub fn start(self: *Interrupter) sys.Errno!void {
        assert(self.thread == null);
        self.thread = std.Thread.spawn(.{ .stack_size = pool_mod.thread_stack_size }, main, .{self}) catch
            return error.AGAIN;
    }

    pub fn stop(self: *Interrupter) void {
        const thread = self.thread orelse return;
        self.exiting.store(true, .release);
        self.wake();
        thread.join();
        self.thread = null;
    }

    /// An emulator registered a call: wake the thread if it sleeps until woken (otherwise it
    /// looks within `poll_ms_min`).
    fn registered(self: *Interrupter) void {
        _ = self.registrations.fetchAdd(1, .monotonic);
        if (self.sleeping.load(.seq_cst) == 1) self.wake();
    }

    pub fn wake(self: *Interrupter) void {
        self.sleeping.store(0, .seq_cst);
        _ = self.seq.fetchAdd(1, .release);
        sys.futex_wake(&self.seq, 1);
    }

    /// Asks for every blocked call to be interrupted (the pool cannot grow any more).
    pub fn interrupt_all(self: *Interrupter) void {
        self.force.store(true, .release);
        self.wake();
    }

    fn main(self: *Interrupter) void {
        pool_mod.thread_setup("syd_int");
        var poll_ms: u32 = poll_ms_min;
        var quiet_rounds: u32 = 0;
        var registrations_seen: u32 = 0;
        // Not a bounded loop: the thread runs until the sandbox ends.
        while (!self.exiting.load(.acquire)) {
            self.pool.confinement.check(.int);
            const seq = self.seq.load(.acquire);
            // `stop` sets `exiting` before it bumps `seq`: looked at after loading `seq`, a stop
            // cannot slip in between and leave the futex wait below asleep for good.
            if (self.exiting.load(.acquire)) break;
            const round = self.scan();
            if (round.registered == 0) {
                const registrations = self.registrations.load(.monotonic);
                quiet_rounds = if (registrations != registrations_seen) 0 else quiet_rounds + 1;
                registrations_seen = registrations;
                if (quiet_rounds < quiet_rounds_max) {
                    sys.futex_wait(&self.seq, seq, poll_ms_min);
                    poll_ms = poll_ms_min;
                    continue;
                }
                quiet_rounds = 0;
                self.sleeping.store(1, .seq_cst);
                if (self.any_registered()) {
                    self.sleeping.store(0, .seq_cst);
                } else {
                    sys.futex_wait(&self.seq, seq, null);
                    self.sleeping.store(0, .seq_cst);
                }
                poll_ms = poll_ms_min;
                continue;
            }
            poll_ms = if (round.changed) poll_ms_min else @min(poll_ms * 2, poll_ms_max);
            sys.futex_wait(&self.seq, seq, poll_ms);
        }
        // The status fds live in this thread's own fd table (pool.thread_setup): closed here.
        for (&self.status_fd) |*fd| close_status(fd);
    }

    fn any_registered(self: *const Interrupter) bool {
        for (&self.pool.slots) |*slot| if (slot.blocked.id.load(.seq_cst) != 0) return true;
        return false;
    }

    const Round = struct { registered: u32 = 0, changed: bool = false };

    /// Looks at every registered call once.
    fn scan(self: *Interrupter) Round {
        var round: Round = .{};
        const force = self.force.swap(false, .acq_rel);
        var exhausted = false;
        const now_ms = sys.monotonic_ms();
        for (&self.pool.slots, 0..) |*slot, index| {
            const id = slot.blocked.id.load(.acquire);
            if (id != self.status_id[index]) {
                close_status(&self.status_fd[index]);
                self.status_id[index] = 0;
                round.changed = true;
            }
            if (id == 0) continue;
            round.registered += 1;
            if (id != self.seen_id[index]) {
                self.seen_id[index] = id;
                self.seen_ms[index] = now_ms;
            }
            if (!force and !exhausted and now_ms -| self.seen_ms[index] < grace_ms) continue;
            const verdict: Verdict = if (force or exhausted) .interrupt else self.check(index, slot, id);
            switch (verdict) {
                .keep => {},
                .interrupt => {
                    self.interrupt(index, slot, id, if (force) "pool exhausted" else if (exhausted) "fd or memory exhausted" else "caller stopped waiting");
                    round.changed = true;
                },
                .exhausted => {
                    exhausted = true; // from here on, interrupt everything rather than leave it stuck
                    self.interrupt(index, slot, id, "fd or memory exhausted");
                    round.changed = true;
                },
            }
        }
        return round;
    }

    /// Whether the call registered in `slot` for request `id` must be interrupted now.
    fn check(self: *Interrupter, index: usize, slot: *const pool_mod.Slot, id: u64) Verdict {
        const notify_fd = self.pool.notify_fd;
        if (!notify.id_valid(notify_fd, id)) return .interrupt;
        if (self.status_fd[index] < 0) {
            const tid = slot.blocked.caller_tid.load(.monotonic);
            self.status_fd[index] = status_open(tid) catch |err| return switch (err) {
                error.MFILE, error.NFILE, error.NOMEM => .exhausted,
                else => .interrupt, // the caller is gone
            };
            self.status_id[index] = id;
        }
        var buf: [status_len_max]u8 = undefined;
        const len = sys.retry(linux.pread, .{ self.status_fd[index], &buf, buf.len, 0 }) catch return .interrupt;
        const signals = parse_signals(buf[0..len]) catch return .interrupt;
        var pending = (signals.sigpnd | signals.shdpnd) & ~signals.sigblk;
        if (pending == 0) return .keep;
        if (!slot.blocked.ignore_restart.load(.monotonic)) {
            const restart = self.restarts.mask(signals.tgid) orelse self.restarts.mask(signals.ppid) orelse 0;
            pending &= ~restart;
            if (pending == 0) return .keep; // the kernel restarts the call after the handler
        }
        return .interrupt;
    }

    fn interrupt(self: *Interrupter, index: usize, slot: *pool_mod.Slot, id: u64, why: []const u8) void {
        assert(id != 0);
        slot.blocked.interrupt_id.store(id, .release);
        const tid = slot.tid.load(.acquire);
        // The call may have ended meanwhile: a signal then would hit the emulator's next call.
        if (slot.blocked.id.load(.acquire) != id) return;
        if (tid > 0) sys.tgkill(self.pool.tgid, tid, pool_mod.interrupt_signal) catch {};
        if (self.logged_id[index] == id) return; // signalled again: logged once
        self.logged_id[index] = id;
        self.pool.log.emit(.info, .{ .ctx = "int", .op = "interrupt_emulator", .msg = why, .slot = index, .emulator = tid, .pid = slot.blocked.caller_tid.load(.monotonic) });
    }
};

fn status_open(tid: i32) sys.Errno!i32 {
    if (tid <= 0) return error.SRCH;
    var path_buf: [64]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/status", .{tid}) catch unreachable;
    const fd = try sys.retry(linux.open, .{ path.ptr, linux.O{ .CLOEXEC = true }, @as(linux.mode_t, 0) });
    return @intCast(fd);
}

fn close_status(fd: *i32) void {
    if (fd.* >= 0) sys.close(fd.*);
    fd.* = -1;
}

/// The signal state of a thread, from /proc/TID/status.
pub const Signals = struct { tgid: i32 = 0, ppid: i32 = 0, sigpnd: u64 = 0, shdpnd: u64 = 0, sigblk: u64 = 0 };

pub fn parse_signals(text: []const u8) sys.Errno!Signals {
    var out: Signals = .{};
    var seen: u8 = 0;
    var fields = caller.Fields.init(text);
    while (fields.next()) |f| {
        const key = f.key;
        const value = f.value;
        if (std.mem.eql(u8, key, "Tgid")) {
            out.tgid = std.fmt.parseInt(i32, value, 10) catch return error.INVAL;
            seen |= 1;
        } else if (std.mem.eql(u8, key, "PPid")) {
            out.ppid = std.fmt.parseInt(i32, value, 10) catch return error.INVAL;
        } else if (std.mem.eql(u8, key, "SigPnd")) {
            out.sigpnd = std.fmt.parseInt(u64, value, 16) catch return error.INVAL;
            seen |= 2;
        } else if (std.mem.eql(u8, key, "ShdPnd")) {
            out.shdpnd = std.fmt.parseInt(u64, value, 16) catch return error.INVAL;
            seen |= 4;
        } else if (std.mem.eql(u8, key, "SigBlk")) {
            out.sigblk = std.fmt.parseInt(u64, value, 16) catch return error.INVAL;
            seen |= 8;
        }
    }
    if (seen != 0xf) return error.INVAL;
    assert(out.tgid != 0 or seen == 0xf);
    return out;
}

test "parse_signals reads the pending and blocked masks" {
    const text = "Name:\tcat\nTgid:\t42\nPPid:\t7\nSigQ:\t0/63\nSigPnd:\t0000000000002000\n" ++
        "ShdPnd:\t0000000000000002\nSigBlk:\t0000000000000002\nSigIgn:\t0000000000000000\n";
    const s = try parse_signals(text);
    try std.testing.expectEqual(@as(i32, 42), s.tgid);
    try std.testing.expectEqual(@as(i32, 7), s.ppid);
    try std.testing.expectEqual(@as(u64, 0x2000), s.sigpnd);
    try std.testing.expectEqual(@as(u64, 2), s.shdpnd & s.sigblk);
    try std.testing.expectError(error.INVAL, parse_signals("Tgid:\t1\nSigPnd:\tzz\n"));
    try std.testing.expectError(error.INVAL, parse_signals("Tgid:\t1\n"));
}

test "parse_signals reads this thread's own status" {
    var buf: [status_len_max]u8 = undefined;
    const fd = try status_open(sys.gettid());
    defer sys.close(fd);
    const len = try sys.read(fd, &buf);
    const s = try parse_signals(buf[0..len]);
    try std.testing.expectEqual(sys.getpid(), s.tgid);
}

test "Restarts keeps SA_RESTART bits per thread group and evicts dead groups when full" {
    var restarts: Restarts = .{};
    restarts.set(100, 1, 2, true);
    restarts.set(100, 1, 14, true);
    restarts.set(100, 1, 2, false);
    try std.testing.expectEqual(sys.sig_bit(14), restarts.mask(100).?);
    try std.testing.expect(restarts.mask(101) == null);
    restarts.set(101, 100, 64, true); // a child starts from its parent's flags
    try std.testing.expectEqual(sys.sig_bit(14) | sys.sig_bit(64), restarts.mask(101).?);
    // Fill every slot with this (live) process and then dead ones; a new group still fits.
    for (0..restarts_max) |i| restarts.tgids[i] = if (i % 2 == 0) sys.getpid() else 0x3fff_fff0;
    restarts.set(555, 0, 1, true);
    try std.testing.expectEqual(sys.sig_bit(1), restarts.mask(555).?);
}
