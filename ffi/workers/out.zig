//! Timeouter thread (`syd_out`): ends the sandbox when its wall-clock limit (-t) passes, by
//! killing the sandbox's first process; syd then exits 124, as timeout(1) does.
//!
//! Needs: futexes, pidfd_send_signal (Linux 5.1).
//! Assumes: `start` and `stop` are called by the run thread, once each, in that order; the pidfd
//! stays open until `stop` returns.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const Log = @import("../run/log.zig").Log;
const pool = @import("../run/pool.zig");

/// The longest single sleep, so that a stop is noticed even if a wake-up were lost.
const poll_ms_max: u64 = 1000;

pub const Timeouter = struct {
    timeout_ms: u64,
    pidfd: i32,
    log: *Log,
    confinement: *pool.Confinement,
    /// Becomes 1 when the run is over (futex word).
    done: std.atomic.Value(u32) = .init(0),
    timed_out: std.atomic.Value(bool) = .init(false),
    thread: ?std.Thread = null,

    pub fn start(self: *Timeouter) sys.Errno!void {
        assert(self.timeout_ms > 0 and self.pidfd >= 0);
        assert(self.thread == null);
        self.thread = std.Thread.spawn(.{ .stack_size = pool.thread_stack_size }, main, .{self}) catch return error.AGAIN;
    }

    /// Wakes the thread (to confine itself).
    pub fn wake(self: *Timeouter) void {
        sys.futex_wake(&self.done, 1);
    }

    pub fn stop(self: *Timeouter) void {
        const thread = self.thread orelse return;
        self.done.store(1, .release);
        sys.futex_wake(&self.done, 1);
        thread.join();
        self.thread = null;
    }

    fn main(self: *Timeouter) void {
        pool.thread_setup("syd_out");
        const deadline_ms = sys.monotonic_ms() + self.timeout_ms;
        // Not a bounded loop: it sleeps until the deadline or the end of the run.
        while (self.done.load(.acquire) == 0) {
            self.confinement.check(.out);
            const now_ms = sys.monotonic_ms();
            if (now_ms >= deadline_ms) {
                self.timed_out.store(true, .release);
                self.log.emit(.warn, .{ .ctx = "timeout", .msg = "the sandbox ran out of time: killing it", .timeout_ms = self.timeout_ms });
                _ = linux.syscall4(.pidfd_send_signal, @as(usize, @intCast(self.pidfd)), linux.SIG.KILL, 0, 0);
                return;
            }
            sys.futex_wait(&self.done, 0, @intCast(@min(deadline_ms - now_ms, poll_ms_max)));
        }
    }
};
