//! The emulator pool and its monitor thread (`syd_mon`).
//!
//! One atomic 64-bit word counts the workers: total in the upper half, busy in the lower. A
//! worker that takes a notification and leaves no idle worker behind wakes the monitor, which
//! adds a helper (up to `max`); helpers that handled nothing for `keep_alive_ms` are retired.
//! Core workers live as long as the sandbox.
//!
//! Needs: futexes; `tgkill` with the interrupt signal (`interrupt_signal`) to wake a worker
//! blocked in `SECCOMP_IOCTL_NOTIF_RECV` (the call returns EINTR).
//! Assumes: only the monitor thread spawns workers and allocates worker slots; a worker frees
//! its own slot as the last thing it does. `start` and `stop` are called by the run thread,
//! once each, in that order.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const Log = @import("log.zig").Log;
const policy = @import("../judge/policy.zig");
const emu = @import("../workers/emu.zig");
const caller = @import("../kernel/caller.zig");
const notify = @import("../kernel/notify.zig");
const int_mod = @import("../workers/int.zig");
const caps = @import("../layers/caps.zig");
const magic = @import("magic.zig");
const confine = @import("../filter/confine.zig");
const SockFilter = @import("../filter/sandbox.zig").SockFilter;

/// Wakes syd's own threads out of blocking calls. Blocked everywhere but in syd's threads.
pub const interrupt_signal: u6 = linux.SIG.ALRM;
/// How often the monitor looks for idle helpers, at most (also bounded by keep-alive / 4).
pub const retire_poll_ms_max: u32 = 1000;
/// After a failed spawn the monitor waits this long before trying again.
pub const spawn_retry_ms: u32 = 10;
/// How long `stop` keeps waking workers before it reports them stuck.
pub const stop_timeout_ms: u32 = 5000;
/// Room for the handlers that hold names up to path.long_len_max (32 KiB each, two for a
/// rename) besides their other buffers: only the pages touched are committed.
pub const thread_stack_size: usize = 512 * 1024;

comptime {
    assert(policy.workers_max <= std.math.maxInt(u32)); // fits a half of the counter
    assert(spawn_retry_ms < retire_poll_ms_max);
    assert(policy.keep_alive_ms_min / 4 >= 1);
}

/// Total and busy workers, as read from the packed counter.
pub const Split = struct { total: u32, busy: u32 };

/// The packed worker counter: total workers in the upper 32 bits, busy workers in the lower.
pub const Counter = struct {
    word: std.atomic.Value(u64) = .init(0),

    const total_one: u64 = 1 << 32;
    const busy_one: u64 = 1;

    pub fn split(value: u64) Split {
        return .{ .total = @intCast(value >> 32), .busy = @truncate(value) };
    }

    pub fn load(self: *const Counter) Split {
        return split(self.word.load(.acquire));
    }

    /// Counts a worker about to be spawned, unless `max` are counted already; null then.
    /// A failed spawn is rolled back with `release_worker`.
    pub fn reserve_worker(self: *Counter, max: u32) ?Split {
        assert(max >= 1 and max <= policy.workers_max);
        var value = self.word.load(.monotonic);
        while (true) {
            const now = split(value);
            assert(now.busy <= now.total);
            if (now.total >= max) return null;
            value = self.word.cmpxchgWeak(value, value + total_one, .acq_rel, .monotonic) orelse
                return split(value + total_one);
        }
    }

    /// Uncounts a worker that ended or never started; returns the new counts.
    pub fn release_worker(self: *Counter) Split {
        const old = split(self.word.fetchSub(total_one, .acq_rel));
        assert(old.total >= 1 and old.busy < old.total);
        return .{ .total = old.total - 1, .busy = old.busy };
    }

    /// A worker took a notification; returns the new counts.
    pub fn enter_busy(self: *Counter) Split {
        const old = split(self.word.fetchAdd(busy_one, .acq_rel));
        assert(old.busy < old.total);
        return .{ .total = old.total, .busy = old.busy + 1 };
    }

    /// A worker answered its notification.
    pub fn leave_busy(self: *Counter) void {
        const old = split(self.word.fetchSub(busy_one, .acq_rel));
        assert(old.busy >= 1 and old.busy <= old.total);
    }
};

pub const Decision = enum { core, helper, idle_available, full };

/// What the monitor does for these counts: add a core worker, add a helper, nothing (an idle
/// worker exists), or nothing because the pool is at its maximum with every worker busy.
pub fn spawn_decision(now: Split, core: u32, max: u32) Decision {
    assert(core >= 1 and core <= max);
    assert(now.busy <= now.total);
    if (now.total < core) return .core;
    if (now.busy < now.total) return .idle_available;
    if (now.total < max) return .helper;
    return .full;
}

pub const SlotState = enum(u32) { free, reserved, running };

/// One worker's public state. Written by its worker; read (and `retire` set) by the monitor.
pub const Slot = struct {
    state: std.atomic.Value(SlotState) = .init(.free),
    tid: std.atomic.Value(i32) = .init(0),
    core: bool = false,
    retire: std.atomic.Value(bool) = .init(false),
    handled: std.atomic.Value(u64) = .init(0),
    /// The call this worker performs that may block (the interrupter watches it).
    blocked: int_mod.Entry = .{},
    // The monitor's own bookkeeping for retirement.
    handled_seen: u64 = 0,
    idle_since_ms: u64 = 0,
};

/// The seccomp programs syd's threads confine themselves with, prepared before the sandbox
/// locks (libseccomp allocates and probes the kernel: never from a confined thread), and the
/// switch that tells each thread to load its own once it has.
pub const Confinement = struct {
    programs: [kinds_count][]const SockFilter = .{&.{}} ** kinds_count,
    /// Set once the sandbox is locked: each thread loads its program at its next turn.
    now: std.atomic.Value(bool) = .init(false),
    /// SYD_SKIP_SCMP=1: threads stay unconfined (debugging; logged as a warning).
    skip: bool = false,
    log: *Log,

    const kinds_count = @typeInfo(confine.Kind).@"enum".fields.len;

    /// Assembles and exports every kind's program into `arena`.
    pub fn prepare(self: *Confinement, arena: std.mem.Allocator, params: confine.Params) sys.Errno!void {
        inline for (@typeInfo(confine.Kind).@"enum".fields) |field| {
            const kind: confine.Kind = @enumFromInt(field.value);
            const ctx = try confine.build(kind, params);
            defer @import("../filter/scmp.zig").release(ctx);
            const buf = arena.alloc(SockFilter, @import("../filter/sandbox.zig").program_len_max + 1) catch return error.NOMEM;
            self.programs[field.value] = try confine.export_program(ctx, buf);
            assert(self.programs[field.value].len > 0);
        }
    }

    /// Loads `kind`'s program into the calling thread if the sandbox is locked and this thread
    /// has not yet. A program that cannot be loaded ends syd (exit 101): never run unconfined
    /// after the lock.
    pub fn check(self: *Confinement, kind: confine.Kind) void {
        if (confined or !self.now.load(.acquire) or self.skip) return;
        const program = self.programs[@intFromEnum(kind)];
        assert(program.len > 0);
        confine.load_program(program) catch |err| {
            self.log.emit(.@"error", .{ .ctx = "confine", .op = "load", .thread = confine.thread_name(kind), .err = @errorName(err), .msg = "cannot confine a syd thread: exiting" });
            std.process.exit(101);
        };
        confined = true;
    }

    /// The run thread's `check`: it keeps syd's capabilities until the sandbox is locked (it
    /// forked the first process), then keeps CAP_SYS_PTRACE alone, as an emulator, before it
    /// loads its program (capset is in no filter).
    pub fn check_run(self: *Confinement) void {
        if (confined or !self.now.load(.acquire) or self.skip) return;
        caps.thread_keep(caps.bit(caps.cap_sys_ptrace) | emulator_setid_caps) catch |err| {
            self.log.emit(.@"error", .{ .ctx = "confine", .op = "caps", .thread = confine.thread_name(.run), .err = @errorName(err), .msg = "cannot drop the run thread's capabilities: exiting" });
            std.process.exit(101);
        };
        self.check(.run);
        assert(confined);
    }
};

/// Whether this thread loaded its own confinement program.
threadlocal var confined: bool = false;

pub fn thread_confined() bool {
    return confined;
}

pub const Pool = struct {
    notify_fd: i32,
    tgid: i32,
    settings: policy.Pool,
    /// The policy in force (swapped by /dev/syd commands).
    channel: *magic.Channel,
    log: *Log,
    /// syd's own credentials, which a caller's must equal for syd to act for it.
    own: caller.Status = .{},
    /// Set by the `exit` action: the status syd ends with (0: not set).
    exit_status: std.atomic.Value(i32) = .init(0),
    /// The sandbox's first process (set before `start`).
    child_pid: i32 = 0,
    /// The process that runs the command (lock:exec's "first process"): the first process, or,
    /// under a pid namespace's init (layers/namespaces.zig), the init's child, once the tracer
    /// has seen it (0 before).
    command_pid: std.atomic.Value(i32) = .init(0),
    counter: Counter = .{},
    /// Bumped (and futex-woken) whenever the monitor should look at the pool again.
    monitor_seq: std.atomic.Value(u32) = .init(0),
    exiting: std.atomic.Value(bool) = .init(false),
    handled_total: std.atomic.Value(u64) = .init(0),
    workers_peak: std.atomic.Value(u32) = .init(0),
    monitor: ?std.Thread = null,
    int: int_mod.Interrupter = undefined,
    confinement: Confinement = undefined,
    slots: [policy.workers_max]Slot = [_]Slot{.{}} ** policy.workers_max,

    pub fn init(self: *Pool, notify_fd: i32, channel: *magic.Channel, log: *Log) sys.Errno!void {
        assert(notify_fd >= 0);
        const settings = channel.policy_now().pool;
        assert(settings.core >= 1 and settings.core <= settings.max);
        self.* = .{ .notify_fd = notify_fd, .tgid = sys.getpid(), .settings = settings, .channel = channel, .log = log };
        self.int = .{ .pool = self };
        self.confinement = .{ .log = log };
        try caller.own_status(&self.own);
    }

    /// Starts the interrupter and the monitor, which starts the core workers.
    pub fn start(self: *Pool) sys.Errno!void {
        assert(self.monitor == null);
        interrupt_handler_install();
        try self.int.start();
        errdefer self.int.stop();
        self.monitor = std.Thread.spawn(.{ .stack_size = thread_stack_size }, monitor_main, .{self}) catch
            return error.AGAIN;
    }

    /// Stops every worker and the monitor, and waits for them.
    pub fn stop(self: *Pool) void {
        const thread = self.monitor orelse return;
        self.exiting.store(true, .release);
        self.wake_monitor();
        thread.join();
        self.monitor = null;
        self.int.stop();
        assert(self.exiting.load(.acquire));
    }

    /// The sandbox is locked: every syd thread confines itself at its next turn, woken now.
    pub fn lock(self: *Pool) void {
        if (self.confinement.now.swap(true, .acq_rel)) return;
        if (self.confinement.skip) {
            self.log.emit(.warn, .{ .ctx = "confine", .msg = "SYD_SKIP_SCMP is set: syd's threads stay unconfined (debugging only)" });
            return;
        }
        self.log.emit(.debug, .{ .ctx = "confine", .op = "lock", .msg = "syd's threads confine themselves" });
        self.wake_monitor();
        self.int.wake();
        for (&self.slots) |*slot| {
            // A worker blocked in a call it performs (a connect is not restarted) confines itself
            // when that call ends, before it handles another.
            if (slot.blocked.id.load(.acquire) != 0) continue;
            const tid = slot.tid.load(.acquire);
            if (slot.state.load(.acquire) == .running and tid > 0) sys.tgkill(self.tgid, tid, interrupt_signal) catch {};
        }
    }

    pub fn wake_monitor(self: *Pool) void {
        _ = self.monitor_seq.fetchAdd(1, .release);
        sys.futex_wake(&self.monitor_seq, 1);
    }

    fn monitor_main(self: *Pool) void {
        thread_setup("syd_mon");
        self.log.emit(.debug, .{ .ctx = "pool", .op = "start_monitor", .tid = sys.gettid(), .core = self.settings.core, .max = self.settings.max, .keep_alive_ms = self.settings.keep_alive_ms });
        while (!self.exiting.load(.acquire)) {
            self.confinement.check(.mon);
            const seq = self.monitor_seq.load(.acquire);
            const retire_ms = self.grow() orelse self.retire_idle();
            if (self.exiting.load(.acquire)) break;
            sys.futex_wait(&self.monitor_seq, seq, retire_ms);
        }
        self.stop_workers();
        self.log.emit(.debug, .{ .ctx = "pool", .op = "stop_monitor", .handled = self.handled_total.load(.monotonic), .workers_peak = self.workers_peak.load(.monotonic) });
    }

    /// Adds workers while the decision asks for them. Returns a retry delay after a failure.
    fn grow(self: *Pool) ?u32 {
        var round: u32 = 0;
        while (round < policy.workers_max) : (round += 1) {
            const now = self.counter.load();
            const decision = spawn_decision(now, self.settings.core, self.settings.max);
            switch (decision) {
                .idle_available => return null,
                .full => {
                    self.exhausted(now);
                    return null;
                },
                .core, .helper => self.spawn(decision == .core, now) catch |err| {
                    self.log.emit(.warn, .{ .ctx = "pool", .op = "spawn_emulator", .err = @errorName(err), .total = now.total, .busy = now.busy });
                    return spawn_retry_ms;
                },
            }
        }
        return null;
    }

    /// Starts a worker; `seen` is what the decision to start it was based on.
    fn spawn(self: *Pool, core: bool, seen: Split) sys.Errno!void {
        const index = self.slot_free() orelse return error.AGAIN;
        const now = self.counter.reserve_worker(self.settings.max) orelse return error.RANGE;
        const slot = &self.slots[index];
        slot.* = .{ .core = core, .idle_since_ms = sys.monotonic_ms() };
        slot.state.store(.reserved, .release);
        const thread = std.Thread.spawn(.{ .stack_size = thread_stack_size }, emu.run, .{ self, index }) catch {
            slot.state.store(.free, .release);
            _ = self.counter.release_worker(); // roll the reservation back
            return error.AGAIN;
        };
        thread.detach();
        _ = self.workers_peak.fetchMax(now.total, .monotonic);
        self.log.emit(.debug, .{ .ctx = "pool", .op = if (core) "spawn_core" else "spawn_helper", .slot = index, .total = seen.total, .busy = seen.busy, .workers = now.total });
    }

    fn slot_free(self: *Pool) ?u32 {
        for (&self.slots, 0..) |*slot, index| {
            if (slot.state.load(.acquire) == .free) return @intCast(index);
        }
        return null;
    }

    /// Every worker is busy and the pool is at its maximum: if some of them are blocked in calls
    /// performed for sandboxed threads (a program starving syd by blocking every emulator), have
    /// the interrupter end those calls (EINTR) so that the pool serves again.
    fn exhausted(self: *Pool, now: Split) void {
        assert(now.total >= self.settings.max);
        var blocked: u32 = 0;
        for (&self.slots) |*slot| {
            if (slot.blocked.id.load(.acquire) != 0) blocked += 1;
        }
        if (blocked == 0) return;
        self.log.emit(.warn, .{ .ctx = "pool", .op = "interrupt_blocked", .msg = "every emulator is busy and the pool is at its maximum: interrupting blocked calls", .total = now.total, .blocked = blocked });
        self.int.interrupt_all();
    }

    /// Retires helpers that handled nothing for the keep-alive; returns when to look again.
    fn retire_idle(self: *Pool) ?u32 {
        const now_ms = sys.monotonic_ms();
        var helpers: u32 = 0;
        for (&self.slots) |*slot| {
            const state = slot.state.load(.acquire);
            if (state == .free or slot.core) continue;
            helpers += 1; // a helper still starting up counts: it must be looked at later
            if (state != .running) continue;
            const handled = slot.handled.load(.monotonic);
            if (handled != slot.handled_seen) {
                slot.handled_seen = handled;
                slot.idle_since_ms = now_ms;
            } else if (now_ms -| slot.idle_since_ms >= self.settings.keep_alive_ms and !slot.retire.load(.monotonic) and
                slot.blocked.id.load(.acquire) == 0)
            {
                slot.retire.store(true, .release);
                const tid = slot.tid.load(.acquire);
                if (tid > 0) sys.tgkill(self.tgid, tid, interrupt_signal) catch {};
            }
        }
        if (helpers == 0) return null; // nothing to retire: sleep until woken
        return @max(1, @min(retire_poll_ms_max, self.settings.keep_alive_ms / 4));
    }

    /// Wakes every worker until all have left their slots (bounded by `stop_timeout_ms`).
    fn stop_workers(self: *Pool) void {
        assert(self.exiting.load(.acquire));
        var waited_ms: u32 = 0;
        while (waited_ms < stop_timeout_ms) : (waited_ms += 1) {
            var running: u32 = 0;
            for (&self.slots) |*slot| {
                if (slot.state.load(.acquire) == .free) continue;
                running += 1;
                const tid = slot.tid.load(.acquire);
                if (tid > 0) sys.tgkill(self.tgid, tid, interrupt_signal) catch {};
            }
            if (running == 0) return;
            sys.sleep_ms(1);
        }
        self.log.emit(.@"error", .{ .ctx = "pool", .op = "stop_workers", .msg = "emulator threads did not stop", .total = self.counter.load().total });
    }
};

/// Names the thread, unshares its fs struct, fd table and SysV semaphore undo list (each syd
/// thread has its own: fds one thread opens are out of the others' reach), and blocks every
/// signal but the interrupt signal, which must reach it. An fd a thread opens after this must
/// be closed by that thread.
pub fn thread_setup(comptime name: [:0]const u8) void {
    comptime assert(name.len <= 15);
    _ = linux.prctl(@intFromEnum(linux.PR.SET_NAME), @intFromPtr(name.ptr), 0, 0, 0);
    // Capabilities are per thread: each keeps what its kind uses, so that no call performed
    // for the sandbox succeeds on a privilege the caller lacks (layers/caps.zig).
    caps.thread_keep(thread_caps(name)) catch |err| {
        std.debug.panic("{s}: cannot drop its capabilities: {s}", .{ name, @errorName(err) });
    };
    _ = sys.check(linux.unshare(confine.thread_unshare_flags)) catch |err| {
        std.debug.panic("{s}: cannot unshare its fs struct and fd table: {s}", .{ name, @errorName(err) });
    };
    const all: u64 = std.math.maxInt(u64);
    sys.sigmask_set(all & ~sys.sig_bit(interrupt_signal)) catch unreachable; // a valid mask cannot fail
}

/// The capabilities a syd thread keeps: emulators (and the monitor, which starts them) read
/// sandboxed processes' memory and /proc entries, even of one that made itself non-dumpable;
/// the interrupter and the timeouter signal syd's own threads and the sandbox, whose
/// credentials are syd's (it cannot change them without capabilities).
fn thread_caps(comptime name: []const u8) caps.Set {
    if (comptime std.mem.eql(u8, name, "syd_emu") or std.mem.eql(u8, name, "syd_mon")) return caps.bit(caps.cap_sys_ptrace) | emulator_setid_caps;
    return 0;
}

/// CAP_SETUID and CAP_SETGID, kept by the emulators (and the monitor that starts them) under
/// SafeSetID's transits, to act for a caller with its filesystem ids and groups
/// (handlers/emulate.zig), and CAP_KILL, kept by them and the run thread, to kill a caller that
/// changed its uid (kill(2) needs a matching uid otherwise: found by test); set by the sandbox
/// before the pool starts, never changed after.
pub var emulator_setid_caps: caps.Set = 0;

fn interrupt_handler(_: i32) callconv(.c) void {}

var interrupt_installed: std.atomic.Value(bool) = .init(false);

/// Installs a no-op handler for the interrupt signal, without SA_RESTART, so that a blocking
/// call returns EINTR. Process-wide and idempotent.
fn interrupt_handler_install() void {
    if (interrupt_installed.swap(true, .acq_rel)) return;
    var action: std.posix.Sigaction = .{
        .handler = .{ .handler = interrupt_handler },
        .mask = std.posix.empty_sigset,
        .flags = 0,
    };
    std.posix.sigaction(interrupt_signal, &action, null);
}

test "Counter.split reads total from the upper half and busy from the lower" {
    try std.testing.expectEqual(Split{ .total = 0, .busy = 0 }, Counter.split(0));
    try std.testing.expectEqual(Split{ .total = 1, .busy = 0 }, Counter.split(1 << 32));
    try std.testing.expectEqual(Split{ .total = 0, .busy = 1 }, Counter.split(1));
    try std.testing.expectEqual(Split{ .total = 3, .busy = 2 }, Counter.split((3 << 32) | 2));
    const max32 = std.math.maxInt(u32);
    try std.testing.expectEqual(Split{ .total = max32, .busy = max32 }, Counter.split(std.math.maxInt(u64)));
}

test "Counter counts busy workers without touching the total, and back" {
    var counter: Counter = .{};
    try std.testing.expectEqual(Split{ .total = 1, .busy = 0 }, counter.reserve_worker(4).?);
    try std.testing.expectEqual(Split{ .total = 2, .busy = 0 }, counter.reserve_worker(4).?);
    try std.testing.expectEqual(Split{ .total = 2, .busy = 1 }, counter.enter_busy());
    try std.testing.expectEqual(Split{ .total = 2, .busy = 2 }, counter.enter_busy());
    counter.leave_busy();
    counter.leave_busy();
    try std.testing.expectEqual(Split{ .total = 2, .busy = 0 }, counter.load());
}

test "Counter.reserve_worker stops at the maximum and rolls back" {
    var counter: Counter = .{};
    var reserved: u32 = 0;
    while (counter.reserve_worker(3)) |_| reserved += 1;
    try std.testing.expectEqual(@as(u32, 3), reserved);
    try std.testing.expectEqual(Split{ .total = 2, .busy = 0 }, counter.release_worker()); // rollback
    try std.testing.expect(counter.reserve_worker(3) != null);
    try std.testing.expect(counter.reserve_worker(3) == null);
    try std.testing.expectEqual(@as(u32, 3), counter.load().total);
}

test "Counter stays exact under concurrent reservations and busy counting" {
    var counter: Counter = .{};
    const threads_count = 4;
    const rounds = 20_000;
    const Work = struct {
        fn run(c: *Counter) void {
            _ = c.reserve_worker(policy.workers_max).?;
            var i: u32 = 0;
            while (i < rounds) : (i += 1) {
                _ = c.enter_busy();
                c.leave_busy();
            }
        }
    };
    var threads: [threads_count]std.Thread = undefined;
    for (&threads) |*t| t.* = try std.Thread.spawn(.{}, Work.run, .{&counter});
    for (threads) |t| t.join();
    try std.testing.expectEqual(Split{ .total = threads_count, .busy = 0 }, counter.load());
}

test "spawn_decision fills the core, then adds helpers only when every worker is busy" {
    try std.testing.expectEqual(Decision.core, spawn_decision(.{ .total = 0, .busy = 0 }, 2, 4));
    try std.testing.expectEqual(Decision.core, spawn_decision(.{ .total = 1, .busy = 1 }, 2, 4));
    try std.testing.expectEqual(Decision.idle_available, spawn_decision(.{ .total = 2, .busy = 1 }, 2, 4));
    try std.testing.expectEqual(Decision.helper, spawn_decision(.{ .total = 2, .busy = 2 }, 2, 4));
    try std.testing.expectEqual(Decision.helper, spawn_decision(.{ .total = 3, .busy = 3 }, 2, 4));
    try std.testing.expectEqual(Decision.full, spawn_decision(.{ .total = 4, .busy = 4 }, 2, 4));
    try std.testing.expectEqual(Decision.idle_available, spawn_decision(.{ .total = 4, .busy = 0 }, 2, 4));
    try std.testing.expectEqual(Decision.full, spawn_decision(.{ .total = 1, .busy = 1 }, 1, 1));
}
