//! Emulator threads (`syd_emu`): each receives notifications itself and answers them.
//!
//! Receiving and answering in the same thread keeps the notify round trip to one wake-up each
//! way; with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP the kernel runs that wake-up on the waker's CPU.
//! Until the policy issues land, every call is answered CONTINUE.
//!
//! Needs: seccomp user notification (Linux 5.0; FLAG_CONTINUE 5.5).
//! Assumes: started by the pool's monitor with a reserved slot and a counted total; the worker
//! uncounts itself and frees its slot as its very last act. A signal (the pool's interrupt
//! signal) makes a blocked receive return EINTR, after which the worker looks at `exiting` and
//! its slot's `retire` flag.

const std = @import("std");
const emulate = @import("../handlers/emulate.zig");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const notify = @import("../kernel/notify.zig");
const pool_mod = @import("../run/pool.zig");
const Pool = pool_mod.Pool;
const handlers = @import("../handlers/mod.zig");

/// While no sandboxed task is left (the listener hung up), look for `exiting` this often.
const hangup_poll_ms: u32 = 50;

pub fn run(pool: *Pool, index: u32) void {
    const slot = &pool.slots[index];
    assert(slot.state.load(.acquire) == .reserved);
    pool_mod.thread_setup("syd_emu"); // its own fs struct too: handlers set the caller's umask
    emulate.acting_allowed = pool_mod.emulator_setid_caps != 0; // SafeSetID: act as the caller
    slot.tid.store(sys.gettid(), .release);
    slot.state.store(.running, .release);

    var handled: u64 = 0;
    const reason = serve(pool, slot, &handled);

    if (!slot.core) {
        pool.log.emit(.debug, .{ .ctx = "pool", .op = "retire_helper", .slot = index, .reason = reason, .handled = handled, .total = pool.counter.load().total - 1 });
    }
    _ = pool.handled_total.fetchAdd(handled, .monotonic);
    _ = pool.counter.release_worker();
    slot.tid.store(0, .release);
    slot.state.store(.free, .release); // the slot may be reused from here on: touch it no more
    pool.wake_monitor();
}

/// Receives and answers until the pool exits or the monitor retires this worker; says why.
fn serve(pool: *Pool, slot: *pool_mod.Slot, handled: *u64) []const u8 {
    var request: notify.Notif = undefined;
    // Not a bounded loop: a worker serves until the sandbox ends or it is retired.
    while (true) {
        if (pool.exiting.load(.acquire)) return "exit";
        if (slot.retire.load(.acquire)) return "idle";
        pool.confinement.check(.emu);
        notify.recv(pool.notify_fd, &request) catch |err| switch (err) {
            error.INTR => continue, // woken on purpose: look at the flags again
            error.NOENT => {
                if (listener_hung_up(pool.notify_fd)) wait_for_exit(pool, slot);
                continue; // or the caller died between the wake-up and the receive
            },
            else => {
                pool.log.emit(.@"error", .{ .ctx = "emu", .op = "recv", .err = @errorName(err) });
                return "error";
            },
        };
        // Never handle a call unconfined once the sandbox is locked (a /dev/syd command may
        // have locked it while this worker waited).
        if (!pool.confinement.now.load(.monotonic) and pool.channel.policy_now().lock != .off) pool.lock();
        pool.confinement.check(.emu);
        const now = pool.counter.enter_busy();
        var flight: InFlight = .{ .pool = pool, .slot = slot, .id = request.id, .pid = request.pid, .nr = request.data.nr };
        in_flight = &flight;
        defer in_flight = null;
        if (now.busy >= now.total) pool.wake_monitor(); // the last idle worker went busy
        const context: handlers.Request = .{
            .notif = &request,
            .notify_fd = pool.notify_fd,
            .policy = pool.channel.policy_now(),
            .channel = pool.channel,
            .log = pool.log,
            .own = &pool.own,
            .exit_status = &pool.exit_status,
            .child_pid = pool.child_pid,
            .command_pid = pool.command_pid.load(.acquire),
            .blocked = &slot.blocked,
            .interrupter = &pool.int,
            .exiting = &pool.exiting,
        };
        const response = handlers.handle(&context);
        // Idle again before answering: the answer wakes the caller, whose next call must not
        // find this worker still counted busy (that would grow the pool for nothing).
        pool.counter.leave_busy();
        flight.busy = false;
        answer(pool, &request, response);
        handled.* += 1;
        slot.handled.store(handled.*, .monotonic);
    }
}

/// The call an emulator thread is handling, for the panic handler.
const InFlight = struct {
    pool: *Pool,
    slot: *pool_mod.Slot,
    id: u64,
    pid: u32,
    nr: i32,
    /// Counted busy (between `enter_busy` and `leave_busy`).
    busy: bool = true,
};

threadlocal var in_flight: ?*InFlight = null;

/// Handler crashes syd recovers from, per process; the next one aborts syd.
const panics_max: u32 = 64;
var panics: std.atomic.Value(u32) = .init(0);

/// Called by the library's panic handler (abi.zig) on the panicking thread. On an emulator
/// thread handling a call, it answers that call EACCES (no sandboxed thread is left waiting),
/// puts the counter and the slot right, wakes the monitor (which replaces a core worker) and
/// ends this thread alone; its stack stays mapped (a leak of one stack per crash). Elsewhere,
/// or on a second panic while recovering, it returns and the default handler aborts syd.
pub fn on_panic(msg: []const u8) void {
    const flight = in_flight orelse return;
    in_flight = null;
    // Each recovery leaks a thread stack: past a bound, crashing is the safer answer.
    if (panics.fetchAdd(1, .monotonic) >= panics_max) return;
    const pool = flight.pool;
    assert(flight.slot.state.load(.acquire) == .running);
    notify.send_error(pool.notify_fd, flight.id, @intFromEnum(linux.E.ACCES)) catch {};
    pool.log.emit(.@"error", .{ .ctx = "emu", .op = "panic", .msg = msg, .pid = flight.pid, .sys = handlers.syscall_name(flight.nr), .errno = @as(i32, @intFromEnum(linux.E.ACCES)) });
    flight.slot.blocked.id.store(0, .release);
    if (flight.busy) pool.counter.leave_busy();
    _ = pool.counter.release_worker();
    flight.slot.tid.store(0, .release);
    flight.slot.state.store(.free, .release);
    pool.wake_monitor();
    _ = linux.syscall1(.exit, 0); // this thread only
    unreachable;
}

fn answer(pool: *Pool, request: *const notify.Notif, response: handlers.Response) void {
    assert(request.id != 0 or request.pid != 0);
    handlers.answer(pool.notify_fd, request.id, response) catch |err| switch (err) {
        error.NOENT => {}, // the caller died or was interrupted: nobody to answer
        else => {
            pool.log.emit(.@"error", .{ .ctx = "emu", .op = "send", .err = @errorName(err), .pid = request.pid, .nr = request.data.nr });
            // Never leave a call waiting: if the answer could not be given, refuse the call.
            notify.send_error(pool.notify_fd, request.id, sys.errno_value(err)) catch {};
        },
    };
}

/// Whether every task under the filter has exited (the listener reports POLLHUP).
fn listener_hung_up(fd: i32) bool {
    var fds = [_]linux.pollfd{.{ .fd = fd, .events = linux.POLL.IN, .revents = 0 }};
    const n = sys.retry(linux.poll, .{ &fds, 1, 0 }) catch return false;
    return n == 1 and (fds[0].revents & linux.POLL.HUP) != 0;
}

fn wait_for_exit(pool: *Pool, slot: *const pool_mod.Slot) void {
    while (!pool.exiting.load(.acquire) and !slot.retire.load(.acquire)) sys.sleep_ms(hangup_poll_ms);
}
