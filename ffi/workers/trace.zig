//! The tracer: the run thread (the one that forked the sandbox's first process and waits for
//! it) seizes that process before it execs, and every process and thread it makes after
//! (PTRACE_O_TRACEFORK/VFORK/CLONE), and serves their stops:
//!
//! - PTRACE_EVENT_EXEC: the new image is judged before it runs an instruction
//!   (handlers/exec.zig `verify`); a denied one is killed.
//! - PTRACE_EVENT_SECCOMP: the filter stops chdir and fchdir here (SECCOMP_RET_TRACE); they
//!   are judged (handlers/dir.zig `chdir_enter`), refused by skipping the call, or let run to
//!   the syscall-exit stop, where the cwd must be the directory judged, or the process dies.
//! - signal-delivery stops pass the signal on; group stops are listened to (PTRACE_LISTEN), so
//!   job control works as without a tracer; fork, clone and the new tasks' first stops go on.
//!
//! PTRACE_O_EXITKILL: if this thread dies, every tracee dies. The tracer also reaps: a wait
//! for a tracee's stops is a wait for its exit, so the first process's status arrives here.
//!
//! Needs: PTRACE_SEIZE, PTRACE_LISTEN (3.4), PTRACE_O_EXITKILL (3.8), PTRACE_EVENT_SECCOMP
//! ordered as a syscall-entry stop (4.8), PTRACE_GET_SYSCALL_INFO (5.3). Yama's ptrace_scope
//! 3, or syd itself traced, make the seize fail: syd then refuses to start (the error says so)
//! unless trace/allow_unsafe_ptrace:1.
//! Assumes: one tracer per sandbox, on the thread that forked the first process (it stays in
//! `Sandbox.run` until the end); tracees are waited with __WNOTHREAD, so other threads' children
//! are never reaped here. Nothing here blocks on a tracee but wait4.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const notify = @import("../kernel/notify.zig");
const pool_mod = @import("../run/pool.zig");
const int_mod = @import("int.zig");
const handlers = @import("../handlers/mod.zig");
const exec = @import("../handlers/exec.zig");
const dir = @import("../handlers/dir.zig");
const mmap_exec = @import("../exec/mmap.zig");
const reap = @import("../run/reap.zig");
const caps = @import("../layers/caps.zig");
const caller_mod = @import("../kernel/caller.zig");
const emulate = @import("../handlers/emulate.zig");
const segvguard = @import("../exec/segvguard.zig");
const freeze = @import("../exec/freeze.zig");
const Pool = pool_mod.Pool;

const ptrace_cont: usize = 7;
const ptrace_getregs: usize = 12;
const ptrace_setregs: usize = 13;
const ptrace_syscall: usize = 24;
const ptrace_geteventmsg: usize = 0x4201;
const ptrace_seize: usize = 0x4206;
const ptrace_listen: usize = 0x4208;
const ptrace_get_syscall_info: usize = 0x420e;

const o_tracesysgood: usize = 0x1;
const o_tracefork: usize = 0x2;
const o_tracevfork: usize = 0x4;
const o_traceclone: usize = 0x8;
const o_traceexec: usize = 0x10;
const o_traceseccomp: usize = 0x80;
const o_exitkill: usize = 0x100000;
pub const options: usize = o_tracesysgood | o_tracefork | o_tracevfork | o_traceclone |
    o_traceexec | o_traceseccomp | o_exitkill;

const event_fork: u32 = 1;
const event_vfork: u32 = 2;
const event_clone: u32 = 3;
const event_exec: u32 = 4;
const event_vfork_done: u32 = 5;
const event_seccomp: u32 = 7;
const event_stop: u32 = 128;

const wall: u32 = 0x40000000;
const wnothread: u32 = 0x20000000;

/// chdir calls between their seccomp stop and their exit stop, at once (one per thread).
pub const pending_max: usize = 4096;
/// Wait reports collected before any is served.
const batch_max: usize = 256;

const Report = struct { pid: i32, status: u32 };
/// Interrupted waits for an executable mmap's exit stop before it is left to the main loop.
const serve_next_rounds_max: u32 = 1000;
/// Rounds of the final drain of exited tracees.
const drain_rounds_max: u32 = 1000;
/// While waiting for every sandboxed process (trace/exit_wait_all): how often the process tree
/// and the stop flags are looked at between tracee events.
const wait_all_scan_ms: u32 = 20;

/// Seizes `pid` (stopped or blocked: it must not exec before this returns).
pub fn seize(pid: i32) sys.Errno!void {
    assert(pid > 0);
    _ = try sys.check(linux.syscall4(.ptrace, ptrace_seize, @intCast(pid), 0, options));
}

/// `struct ptrace_syscall_info` (the union's largest member: seccomp).
const SyscallInfo = extern struct {
    op: u8,
    pad: [3]u8,
    arch: u32,
    instruction_pointer: u64,
    stack_pointer: u64,
    nr_or_rval: u64,
    args_or_error: [6]u64,
    ret_data: u32,
    pad2: u32,
};
const op_exit: u8 = 2;
const op_seccomp: u8 = 3;
comptime {
    assert(@sizeOf(SyscallInfo) == 88);
}

/// x86_64 `struct user_regs_struct`, as words; the two the tracer changes.
const regs_words: usize = 27;
const reg_rax: usize = 10;
const reg_rsi: usize = 13;
const reg_rdi: usize = 14;
const reg_orig_rax: usize = 15;

/// A chdir, or an mmap of a file with PROT_EXEC (`mmap`), let run to its exit stop.
const Pending = struct { tid: i32 = 0, judged: dir.Judged = .{ .dev = 0, .ino = 0 }, mmap: bool = false };

pub const Tracer = struct {
    pool: *Pool,
    first_pid: i32,
    ldso_allowed: bool,
    /// Scratch space for a scan of the process tree (reap.processes_max entries).
    tree: []reap.Proc,
    /// The sentinel (layers/sentinel.zig): no sandboxed process, never killed here (0: none).
    sentinel_pid: i32 = 0,
    /// The cwd the first process started in: inherited from syd, never judged.
    initial_cwd: ?dir.Judged = null,
    /// The first process's wait status, once it ended.
    first_status: ?u32 = null,
    /// Whether the first process has exec'ed (its first exec stop was served).
    first_exec: bool = false,
    /// The first process is a pid namespace's init (layers/namespaces.zig): it never execs, its
    /// one child runs the command (pool.command_pid, adopted at its creation), and the first
    /// exec of the sandbox is that child's.
    ns_init: bool = false,
    pending: [pending_max]Pending = [_]Pending{.{}} ** pending_max,
    pending_len: usize = 0,
    /// A registry entry for the Request (traced calls never block, so it stays unused).
    blocked: int_mod.Entry = .{},
    execs: u64 = 0,
    chdirs: u64 = 0,
    /// New tasks past `pid/max` (PID sandboxing).
    pid_limits: u64 = 0,
    /// PID sandboxing: at least as many tasks as the sandbox has (the first process at first).
    tasks_bound: u64 = 1,
    /// syd's process group (read before the run thread confines itself), which PID
    /// sandboxing never signals: the sandbox's first process is in it, and syd's caller may be.
    syd_pgid: i32 = 0,
    /// Scratch space for PID sandboxing's count: the sandboxed processes.
    members: [members_max]reap.Proc = undefined,
    /// Every task seen (a stop, or its creator's stop) and not yet dead: a SIGTRAP group-stop
    /// report of an unknown task is a new task's first stop.
    known: TidSet = .{},
    /// The last new tasks killed at their first stop, past the limit: their creators are given
    /// the action at their own stops.
    killed_new: [killed_new_max]i32 = [_]i32{0} ** killed_new_max,
    killed_new_next: usize = 0,
    /// The vforks whose child still runs in its parent's memory (exec/freeze.zig).
    vforks: freeze.Vforks = .{},
    /// Scratch space for the tasks sharing an executable mmap's caller's memory.
    sharing: [tasks_max]i32 = undefined,

    /// A tracer for the sandbox whose first process is `child` (not seized yet: `seize`).
    pub fn init(pool: *Pool, child_pid: i32, sentinel_pid: i32, tree: []reap.Proc, ldso_allowed: bool) Tracer {
        assert(child_pid > 0 and tree.len > 0);
        return .{
            .pool = pool,
            .first_pid = child_pid,
            .ldso_allowed = ldso_allowed,
            .tree = tree,
            .sentinel_pid = sentinel_pid,
            .initial_cwd = dir.cwd_of(child_pid),
            .syd_pgid = @intCast(@as(isize, @bitCast(linux.syscall1(.getpgid, 0)))),
        };
    }

    /// Serves stops until the first process has exec'ed or ended.
    pub fn until_first_exec(self: *Tracer) sys.Errno!void {
        while (!self.first_exec and self.first_status == null) _ = try self.step(false);
    }

    /// Serves stops until the first process ends; returns its wait status.
    pub fn until_first_exit(self: *Tracer) sys.Errno!u32 {
        while (self.first_status == null) _ = try self.step(false);
        return self.first_status.?;
    }

    /// Serves stops until no sandboxed process is left but the sentinel, or a stop flag is set.
    pub fn until_none_left(self: *Tracer, stops: []const *const std.atomic.Value(bool)) void {
        assert(stops.len > 0);
        var pids: [1]i32 = undefined;
        // Not a bounded loop: trace/exit_wait_all waits as long as a sandboxed process lives.
        while (true) {
            for (stops) |stop| if (stop.load(.acquire)) return;
            if (reap.sandboxed(sys.getpid(), self.tree, &pids, self.sentinel_pid, .leave) == 0) return;
            var waited_ms: u32 = 0;
            while (waited_ms < wait_all_scan_ms) {
                const served = self.step(true) catch return; // ECHILD: nobody left to trace
                if (!served) {
                    sys.sleep_ms(1);
                    waited_ms += 1;
                }
            }
        }
    }

    /// Reaps what exited after the sandbox was killed, and serves what still stops, briefly.
    pub fn drain(self: *Tracer) void {
        var round: u32 = 0;
        while (round < drain_rounds_max) : (round += 1) {
            const served = self.step(true) catch return;
            if (!served) return;
        }
    }

    /// Waits for stops and exits and serves them; false when `nohang` and none was ready.
    /// Every report ready is collected before any is served: wait4 always returns the first
    /// ready tracee in the kernel's list, and a tracee restarted that stops again at once (a
    /// chdir loop) would otherwise be served forever before the others (found by review).
    fn step(self: *Tracer, nohang: bool) sys.Errno!bool {
        self.pool.confinement.check_run(); // a lock through /dev/syd: confined from this stop on
        var batch: [batch_max]Report = undefined;
        var count: usize = 0;
        while (count < batch_max) {
            var status: u32 = 0;
            const hang = !nohang and count == 0;
            const flags: u32 = wall | wnothread | (if (hang) 0 else @as(u32, linux.W.NOHANG));
            const rc = sys.check(linux.wait4(-1, &status, flags, null)) catch |err| switch (err) {
                error.INTR => if (count == 0) return true else break,
                error.CHILD => if (count == 0) return err else break,
                else => return err,
            };
            if (rc == 0) break;
            batch[count] = .{ .pid = @intCast(rc), .status = status };
            count += 1;
        }
        for (batch[0..count]) |report| self.serve(report.pid, report.status);
        return count > 0;
    }

    fn serve(self: *Tracer, pid: i32, status: u32) void {
        if (linux.W.IFEXITED(status) or linux.W.IFSIGNALED(status)) {
            self.known.remove(pid);
            self.vforks.drop(pid);
            if (self.forget(pid)) |judged| self.audit(judged); // died between its chdir and the check
            if (pid == self.first_pid) self.first_status = status;
            // The command has ended: no process is lock:exec's first any more, nor gets signals.
            if (self.ns_init and pid == self.pool.command_pid.load(.acquire)) self.pool.command_pid.store(-1, .release);
            return;
        }
        if (!linux.W.IFSTOPPED(status)) return;
        const sig = linux.W.STOPSIG(status);
        const event = status >> 16;
        if (event != event_stop) self.known.insert(pid);
        if (sig == (linux.SIG.TRAP | 0x80)) {
            const pending = self.take_pending(pid) orelse return restart(ptrace_cont, pid, 0); // nobody asked for it
            if (pending.mmap) self.mmap_exit(pid, pending.judged) else self.chdir_exit(pid, pending.judged);
        } else if (event == event_exec) {
            self.exec_stop(pid);
        } else if (event == event_seccomp) {
            self.seccomp_stop(pid);
        } else if (event == event_stop) {
            // A group stop (a stopping signal): stay stopped, as without a tracer, but let
            // SIGCONT and SIGKILL through. Else a new task's first stop, or an interrupt.
            const group_stop = sig == linux.SIG.STOP or sig == linux.SIG.TSTP or sig == linux.SIG.TTIN or sig == linux.SIG.TTOU;
            if (group_stop) {
                self.known.insert(pid);
                return restart(ptrace_listen, pid, 0);
            }
            // A task seen before is no new task: this is the end of its group stop, or a
            // SIGCONT's notification (found by the attack session: a continued process was
            // judged as new).
            if (self.known.contains(pid)) return restart(ptrace_cont, pid, 0);
            self.known.insert(pid);
            if (self.ns_init and self.pool.command_pid.load(.acquire) == 0) self.adopt_if_command(pid);
            // PID sandboxing at a new task's first stop, before it runs an instruction of its own.
            // Past the limit it alone is killed here: its creator (not its parent, with
            // CLONE_PARENT) is given the action at its own stop.
            if (self.over_pid_limit(pid, null, false)) return; // killed
            restart(ptrace_cont, pid, 0);
        } else if (event == event_fork or event == event_vfork or event == event_clone) {
            if (self.ns_init and pid == self.first_pid and self.pool.command_pid.load(.acquire) == 0) {
                if (event_tid(pid)) |command| self.pool.command_pid.store(command, .release);
            }
            if (self.creation_over_limit(pid)) return; // killed, or signalled by syd
            // A vfork child runs in its parent's memory until it execs or exits: it is stopped
            // with the parent's threads around an executable mmap (exec/freeze.zig).
            if (event == event_vfork) if (event_tid(pid)) |child| if (!self.vforks.add(pid, child)) {
                kill(child);
                self.pool.log.emit(.@"error", .{ .ctx = "mmap", .op = "vfork", .pid = pid, .msg = "too many vforks at once to stop their children around an executable mmap: the child killed" });
            };
            restart(ptrace_cont, pid, 0);
        } else if (event == event_vfork_done) {
            self.vforks.drop(pid);
            restart(ptrace_cont, pid, 0);
        } else if (event != 0) {
            restart(ptrace_cont, pid, 0);
        } else {
            // A signal-delivery stop: deliver it; never to a pid namespace's init, which the
            // kernel would have spared whatever the signal but a SIGKILL, and which a SIGSTOP
            // would freeze (and syd with it) because a traced task cannot ignore it (found by
            // the attack session). The init uses no signal.
            segvguard.at_signal(self.pool.channel.policy_now(), self.pool.log, pid, sig, pid == self.first_pid); // exec/segvguard.zig
            restart(ptrace_cont, pid, if (self.ns_init and pid == self.first_pid) 0 else sig);
        }
    }

    /// Waits for `tid`'s next report and serves it (interrupted: waited again).
    fn serve_next(self: *Tracer, tid: i32) void {
        var round: u32 = 0;
        while (round < serve_next_rounds_max) : (round += 1) {
            var status: u32 = 0;
            const rc = sys.check(linux.wait4(tid, &status, wall | wnothread, null)) catch |err| switch (err) {
                error.INTR => continue,
                else => return, // not a tracee any more: its pending entry goes with its death
            };
            if (rc == tid) return self.serve(tid, status);
        }
    }

    fn request_for(self: *Tracer, notif: *notify.Notif) handlers.Request {
        return .{
            .notif = notif,
            .notify_fd = self.pool.notify_fd,
            .policy = self.pool.channel.policy_now(),
            .channel = self.pool.channel,
            .log = self.pool.log,
            .own = &self.pool.own,
            .exit_status = &self.pool.exit_status,
            .child_pid = self.pool.child_pid,
            .command_pid = self.pool.command_pid.load(.acquire),
            .blocked = &self.blocked,
            .interrupter = &self.pool.int,
            .exiting = &self.pool.exiting,
            .traced = true,
        };
    }

    fn exec_stop(self: *Tracer, pid: i32) void {
        // A thread other than the leader exec'ed: its own tid is gone with no death reported.
        if (event_tid(pid)) |former| if (former != pid) {
            self.known.remove(former);
            self.vforks.drop(former);
        };
        self.vforks.drop(pid); // a vfork child with memory of its own now
        var notif = notif_for(pid, .execve, .{0} ** 6);
        const request = self.request_for(&notif);
        self.execs += 1;
        if (pid == self.first_pid or self.ns_init) self.first_exec = true;
        // A thread other than the leader exec'ed while the leader was between its chdir and
        // the check: the leader is gone, its chdir may have moved the cwd the image now has.
        if (self.forget(pid)) |judged| if (!self.acceptable(pid, judged)) return kill(pid);
        if (exec.verify(&request, self.ldso_allowed)) restart(ptrace_cont, pid, 0);
        // else: killed; its exit arrives as a wait status
    }

    fn seccomp_stop(self: *Tracer, tid: i32) void {
        const info = syscall_info(tid) orelse return; // gone (killed, or its pid taken over by an exec)
        // A report older than the tracee's state (its pid now names a thread that exec'ed, in
        // its exec stop, reported apart): nothing to serve here.
        if (info.op != op_seccomp) return;
        const nr = info.nr_or_rval;
        // SafeSetID (handlers/setid.zig): under setgid+ transits every setgroups drops all
        // supplementary groups, as the original's: the list in the caller's memory is never read.
        if (info.arch == audit_arch_x86_64 and nr == @intFromEnum(linux.SYS.setgroups) and
            self.pool.channel.policy_now().setid.gid.len > 0)
            return drop_groups(tid);
        if (info.arch == audit_arch_x86_64 and nr == @intFromEnum(linux.SYS.mmap)) return self.mmap_enter(tid, info.args_or_error);
        // syd's filter traces chdir and fchdir (and setgroups and mmap) alone. Another stop comes from a filter the
        // sandbox stacked itself, for a call syd's own filter allows: let it run.
        if (info.arch != audit_arch_x86_64 or
            (nr != @intFromEnum(linux.SYS.chdir) and nr != @intFromEnum(linux.SYS.fchdir)))
            return restart(ptrace_cont, tid, 0);
        var notif = notif_for(tid, @enumFromInt(nr), info.args_or_error);
        const request = self.request_for(&notif);
        self.chdirs += 1;
        const verdict = judging: {
            const saved = lower() catch return kill(tid); // never judge with more than the caller has
            defer caps.effective_restore(saved);
            // SafeSetID: with the caller's ids, if they changed (found by the attack session: a
            // chdir nobody may not make was judged as syd, then killed at its exit stop).
            if (emulate.acting_allowed) emulate.act_as_caller(&request) catch |err| break :judging dir.Enter{ .refused = sys.errno_value(err) };
            defer emulate.act_as_syd();
            break :judging dir.chdir_enter(&request);
        };
        switch (verdict) {
            .unjudged => restart(ptrace_cont, tid, 0),
            .refused => |errno_value| skip(tid, errno_value),
            .allowed => |judged| {
                _ = self.forget(tid);
                if (self.pending_len == pending_max) return skip(tid, @intFromEnum(linux.E.AGAIN));
                self.pending[self.pending_len] = .{ .tid = tid, .judged = judged };
                self.pending_len += 1;
                restart(ptrace_syscall, tid, 0); // to the exit stop
            },
        }
    }

    /// mmap of a file with PROT_EXEC at its seccomp stop (exec/mmap.zig): refused by skipping
    /// the call, or let run to its exit stop to check what it mapped.
    /// Every other task sharing the caller's memory and fds is stopped first and stays stopped
    /// until the exit stop was served (exec/freeze.zig): nothing changes the fd between the check
    /// and the call, nor moves the mapping before the exit stop looks at it.
    /// A caller alone (no other task shares its memory or fds: most programs while ld.so maps
    /// their libraries) is let run without the exit stop: nothing can change its fd between the
    /// check and the kernel's look, nor move the mapping, and the exit stop's round trip is
    /// about a third of the cost of such an mmap (README, Benchmarks).
    fn mmap_enter(self: *Tracer, tid: i32, args: [6]u64) void {
        var notif = notif_for(tid, .mmap, args);
        const request = self.request_for(&notif);
        const settled = freeze.settle(tid, &self.vforks, &self.sharing);
        if (settled == .timed_out) {
            self.pool.log.emit(.warn, .{ .ctx = "mmap", .op = "freeze", .pid = tid, .msg = "the tasks sharing this process's memory did not all stop in time: executable mmap refused", .tip = "retry the call" });
            return skip(tid, @intFromEnum(linux.E.AGAIN));
        }
        const verdict = judging: {
            const saved = lower() catch return kill(tid); // never judge with more than the caller has
            defer caps.effective_restore(saved);
            break :judging mmap_exec.enter(&request, settled != .alone);
        };
        switch (verdict) {
            .unjudged => restart(ptrace_cont, tid, 0),
            .refused => |errno_value| skip(tid, errno_value),
            .allowed => |judged| {
                _ = self.take_pending(tid);
                if (settled == .alone) return restart(ptrace_cont, tid, 0);
                if (self.pending_len == pending_max) return skip(tid, @intFromEnum(linux.E.AGAIN));
                self.pending[self.pending_len] = .{ .tid = tid, .judged = judged, .mmap = true };
                self.pending_len += 1;
                restart(ptrace_syscall, tid, 0); // to the exit stop
                // Served now, while the others are still stopped: its next report is the exit
                // stop (or its death); theirs wait in the kernel for the next round.
                self.serve_next(tid);
            },
        }
    }

    /// mmap's exit stop: the file mapped at the address returned must be the one judged; else
    /// the fd named another file when the kernel looked (another thread's dup2 between the
    /// check and the call): the process is killed, as the original's `map_mismatch`.
    fn mmap_exit(self: *Tracer, tid: i32, judged: dir.Judged) void {
        // Gone, or a stale report: nothing runs there any more.
        const info = syscall_info(tid) orelse return;
        if (info.op != op_exit) return;
        const failed = info.args_or_error[0] & 0xff != 0;
        if (failed) return restart(ptrace_cont, tid, 0);
        const addr = info.nr_or_rval;
        const found = mmap_exec.mapped_at(tid, addr) catch null;
        if (found) |mapped| if (mapped.eql(judged)) return restart(ptrace_cont, tid, 0);
        kill(tid);
        self.pool.log.emit(.@"error", .{ .ctx = "mmap", .op = "map_mismatch", .sys = "mmap", .pid = tid, .vma = addr, .msg = "the file mapped is not the one judged (its fd changed after the check): assume TOCTTOU, killed" });
    }

    fn chdir_exit(self: *Tracer, tid: i32, judged: dir.Judged) void {
        // Gone or going (its cwd no longer readable), or a stale report (its pid taken over by
        // an exec, in its own stop): whether the call ran is unknown, and its fs struct may
        // live on in another thread or process. Never kill by this pid: it may be another task.
        const info = syscall_info(tid) orelse return self.audit(judged);
        if (info.op != op_exit) return self.audit(judged);
        const failed = info.args_or_error[0] & 0xff != 0;
        if (failed) return restart(ptrace_cont, tid, 0);
        const entered = dir.cwd_of(tid) orelse return self.audit(judged);
        // Not the directory judged: another thread sharing the cwd moved it meanwhile (allowed
        // where it went), or the path changed after the check. Judged where it is now.
        if (self.acceptable(tid, judged)) return restart(ptrace_cont, tid, 0);
        // The caller dies, and so does every sandboxed process with a thread now in that
        // directory: one sharing the caller's fs struct (CLONE_FS without CLONE_THREAD) moved too.
        kill(tid);
        const others = self.kill_in(entered);
        self.pool.log.emit(.warn, .{ .ctx = "access", .cap = "chdir", .act = "kill", .pid = tid, .sys = "chdir", .killed_sharing = others, .msg = "the directory the call entered is not the one judged (its path changed after the check): killed" });
    }

    /// Whether thread `tid`'s cwd may be where it is after a chdir judged on `judged`: that
    /// directory, the cwd the sandbox started in (inherited, never judged), or a directory it may
    /// chdir into (judged on its path now; a denial is logged). Gone: nothing to check.
    fn acceptable(self: *Tracer, tid: i32, judged: dir.Judged) bool {
        const cwd = dir.cwd_of(tid) orelse return true;
        if (cwd.eql(judged)) return true;
        if (self.initial_cwd) |initial| if (cwd.eql(initial)) return true;
        var notif = notif_for(tid, .chdir, .{0} ** 6);
        const request = self.request_for(&notif);
        const saved = lower() catch return false;
        defer caps.effective_restore(saved);
        return dir.cwd_judged(&request);
    }

    /// After a chdir judged on `judged` whose outcome went unchecked (its thread died first):
    /// every sandboxed process with a thread whose cwd is not acceptable is killed.
    fn audit(self: *Tracer, judged: dir.Judged) void {
        _ = self.kill_where(judged, struct {
            fn wrong(tracer: *Tracer, j: dir.Judged, tid: i32) bool {
                return !tracer.acceptable(tid, j);
            }
        }.wrong);
    }

    /// Kills every sandboxed process with a thread whose cwd is `cwd`; returns how many.
    fn kill_in(self: *Tracer, cwd: dir.Judged) u32 {
        return self.kill_where(cwd, struct {
            fn wrong(_: *Tracer, c: dir.Judged, tid: i32) bool {
                const other = dir.cwd_of(tid) orelse return false;
                return other.eql(c);
            }
        }.wrong);
    }

    /// Kills every sandboxed process (the sentinel aside) with a thread for which `wrong`
    /// holds; returns how many. Never reaps: the tracer does.
    fn kill_where(self: *Tracer, cwd: dir.Judged, comptime wrong: fn (*Tracer, dir.Judged, i32) bool) u32 {
        var pids: [4096]i32 = undefined;
        const count = reap.sandboxed(sys.getpid(), self.tree, &pids, self.sentinel_pid, .leave);
        var killed: u32 = 0;
        for (pids[0..count]) |pid| {
            var tids: [tasks_max]i32 = undefined;
            for (reap.tasks_of(pid, &tids)) |tid| if (wrong(self, cwd, tid)) {
                kill(pid);
                killed += 1;
                break;
            };
        }
        return killed;
    }

    /// At a new task's first stop, before the init's fork stop was served: the task is the
    /// command when the init made it (its parent), and becomes lock:exec's first process before
    /// it runs an instruction.
    fn adopt_if_command(self: *Tracer, tid: i32) void {
        assert(self.ns_init and tid > 0);
        var status: caller_mod.Status = .{};
        caller_mod.read_status(tid, &status) catch return;
        if (status.ppid == self.first_pid and status.tgid == tid) self.pool.command_pid.store(tid, .release);
    }

    /// PID sandboxing at a creator's fork, vfork or clone stop (before the call returns to it):
    /// whether the sandbox now has more tasks than `pid/max`, and the action was taken (the new
    /// task killed, its creator given the action: killed by default). The new task is judged
    /// here, not again at its first stop; one already killed at its first stop (which came
    /// first) has its creator given the action now, without counting again.
    fn creation_over_limit(self: *Tracer, creator_tid: i32) bool {
        const new_tid = event_tid(creator_tid) orelse return false; // gone
        if (take(&self.killed_new, new_tid)) return self.over_pid_limit(new_tid, creator_tid, true);
        // Judged here: not again at its first stop, whichever comes first.
        if (self.known.contains(new_tid)) return false;
        self.known.insert(new_tid);
        return self.over_pid_limit(new_tid, creator_tid, false);
    }

    /// Whether the sandbox has more tasks than `pid/max` now that `tid` exists (`known_over`:
    /// it was found so at `tid`'s first stop), and the action was taken: `tid` killed (it is
    /// past the limit and has not run: it never runs, whatever the action), and `creator_tid`'s
    /// process, with its process group when that is not syd's, given the action's signal.
    /// Counted: every thread of every live sandboxed process, the sentinel aside; `tid` among
    /// them.
    fn over_pid_limit(self: *Tracer, tid: i32, creator_tid: ?i32, known_over: bool) bool {
        const policy = self.pool.channel.policy_now();
        const limits = policy.limits;
        if (!limits.pid) return false;
        // An upper bound of the tasks: the last count, plus every task judged since (deaths
        // only lower the truth). Counted again (a scan of /proc) only when the bound passes the
        // limit: a sandbox far below it forks at no cost.
        if (!known_over) self.tasks_bound +|= 1;
        if (limits.pid_max == 0) return false;
        if (!known_over and self.tasks_bound <= limits.pid_max) return false;
        const found: reap.Census = if (known_over) .{ .tasks = limits.pid_max + 1 } else reap.census(sys.getpid(), self.tree, &self.members, self.sentinel_pid);
        if (!known_over) self.tasks_bound = found.tasks;
        if (found.tasks <= limits.pid_max) return false;
        assert(limits.pid_action != .allow and limits.pid_action != .deny);
        self.pid_limits += 1;
        const listed = self.members[0..@min(found.processes, members_max)];
        // The process of the creator (a thread: its process).
        const creator: i32 = if (creator_tid) |c| creator: {
            var status: caller_mod.Status = .{};
            caller_mod.read_status(c, &status) catch break :creator c;
            break :creator if (status.tgid > 0) status.tgid else c;
        } else 0;
        const pgid = if (creator > 0) for (listed) |p| {
            if (p.pid == creator) break p.pgid;
        } else 0 else 0;
        const group = pgid > 0 and pgid != self.syd_pgid;
        const log = self.pool.log;
        const action = limits.pid_action;
        switch (action) {
            .warn => {
                if (!known_over) log.emit(.warn, .{ .ctx = "pid_limit", .pid_max = limits.pid_max, .tasks = found.tasks, .pid = tid, .ppid = creator, .msg = "process limit reached", .tip = "increase `pid/max'" });
                return false;
            },
            .exit => {
                log.emit(.@"error", .{ .ctx = "limit_pid", .pid_max = limits.pid_max, .tasks = found.tasks, .pid = tid, .ppid = creator, .msg = "process limit reached, exiting", .tip = "increase `pid/max'" });
                self.pool.exit_status.store(@intFromEnum(linux.E.ACCES), .release);
                kill(tid);
                if (creator > 0) kill(creator);
                kill(self.first_pid);
                return true;
            },
            else => {},
        }
        const sig: i32 = switch (action) {
            .stop => linux.SIG.STOP,
            .abort => linux.SIG.ABRT,
            else => linux.SIG.KILL, // kill, filter
        };
        if (action != .filter and !known_over) {
            log.emit(.@"error", .{ .ctx = "limit_pid", .pid_max = limits.pid_max, .tasks = found.tasks, .sig = sig, .pid = tid, .ppid = creator, .pgid = if (group) pgid else 0, .msg = if (creator == 0) "process limit reached: the new task killed (its creator at its own stop)" else if (group) "process limit reached: the new task killed, the process group of its creator signalled" else "process limit reached: the new task killed, its creator signalled", .tip = "increase `pid/max'" });
        }
        // The new task never runs: SIGKILL whatever the action (a stop could be continued, an
        // abort ignored by an inherited disposition: found by the attack session). A thread's
        // SIGKILL ends its whole process, the creator's.
        kill(tid);
        if (creator_tid == null) {
            remember(&self.killed_new, &self.killed_new_next, tid);
            return true;
        }
        // Process-wide signals sent with tgkill to each leader: the run thread's confinement
        // lets it use kill(2) with SIGKILL alone.
        signal(creator, sig);
        // The creator's process group, within the sandbox: the rest of a fork bomb.
        if (group) for (listed) |p| if (p.pgid == pgid) signal(p.pid, sig);
        if (sig == linux.SIG.KILL) return true;
        // A stop or an abort: the creator takes it as it goes on.
        restart(ptrace_cont, creator_tid.?, 0);
        return true;
    }

    /// Drops `tid`'s pending chdir; the directory it was judged on, if it had one (a pending
    /// mmap is dropped too: its process is gone or exec'ed, and the mapping with it).
    fn forget(self: *Tracer, tid: i32) ?dir.Judged {
        const pending = self.take_pending(tid) orelse return null;
        return if (pending.mmap) null else pending.judged;
    }

    /// Drops `tid`'s pending call; what it was.
    fn take_pending(self: *Tracer, tid: i32) ?Pending {
        var found: ?Pending = null;
        var i: usize = 0;
        while (i < self.pending_len) {
            if (self.pending[i].tid == tid) {
                found = self.pending[i];
                self.pending_len -= 1;
                self.pending[i] = self.pending[self.pending_len];
            } else i += 1;
        }
        assert(self.pending_len <= pending_max);
        return found;
    }
};

/// New tasks killed at their first stop remembered until their creator's stop: past this many
/// at once the oldest creators are not given the action (their new tasks are killed all the same).
const killed_new_max: usize = 256;

/// A set of live thread ids (open addressing, linear probing, bounded). Full: `contains` says
/// no for what it could not keep, so an old task may be judged as new (fail closed: it is
/// killed only while the sandbox is past its limit).
pub const TidSet = struct {
    const capacity: usize = 1 << 16;
    const empty: i32 = 0;
    const gone: i32 = -1;
    slots: [capacity]i32 = [_]i32{empty} ** capacity,
    len: usize = 0,

    fn home(tid: i32) usize {
        const hash = @as(u32, @bitCast(tid)) *% 0x9e3779b1;
        return hash % capacity;
    }

    pub fn contains(self: *const TidSet, tid: i32) bool {
        assert(tid > 0);
        var index = home(tid);
        for (0..capacity) |_| {
            const slot = self.slots[index];
            if (slot == tid) return true;
            if (slot == empty) return false;
            index = (index + 1) % capacity;
        }
        return false;
    }

    pub fn insert(self: *TidSet, tid: i32) void {
        assert(tid > 0);
        if (self.contains(tid) or self.len >= capacity / 2) return; // kept sparse: short probes
        var index = home(tid);
        for (0..capacity) |_| {
            if (self.slots[index] == empty or self.slots[index] == gone) {
                self.slots[index] = tid;
                self.len += 1;
                return;
            }
            index = (index + 1) % capacity;
        }
    }

    pub fn remove(self: *TidSet, tid: i32) void {
        assert(tid > 0);
        var index = home(tid);
        for (0..capacity) |_| {
            const slot = self.slots[index];
            if (slot == empty) return;
            if (slot == tid) {
                self.slots[index] = gone;
                self.len -= 1;
                return;
            }
            index = (index + 1) % capacity;
        }
    }
};

test "TidSet keeps, finds and forgets thread ids" {
    const set = try std.testing.allocator.create(TidSet);
    defer std.testing.allocator.destroy(set);
    set.* = .{};
    var ids: [4000]i32 = undefined;
    for (&ids, 0..) |*id, i| id.* = @intCast(i * 65537 % 4_000_000 + 1); // distinct, colliding homes
    for (ids) |id| set.insert(id);
    for (ids) |id| try std.testing.expect(set.contains(id));
    for (ids[0..2000]) |id| set.remove(id);
    for (ids[2000..]) |id| try std.testing.expect(set.contains(id));
    for (ids[0..2000]) |id| try std.testing.expect(!set.contains(id));
}

/// Adds `tid` to a ring of tids (the oldest forgotten when full).
fn remember(ring: *[killed_new_max]i32, next: *usize, tid: i32) void {
    assert(tid > 0);
    ring[next.* % killed_new_max] = tid;
    next.* +%= 1;
}

/// Whether `tid` is in the ring; taken out (once: the tid may name another task later).
fn take(ring: *[killed_new_max]i32, tid: i32) bool {
    assert(tid > 0);
    for (ring) |*entry| if (entry.* == tid) {
        entry.* = 0;
        return true;
    };
    return false;
}

/// Sandboxed processes PID sandboxing's count lists (to find a creator and its group).
const members_max: usize = 4096;

/// Threads of one process looked at, at most.
const tasks_max: usize = 4096;

const audit_arch_x86_64 = handlers.audit_arch_x86_64;

/// The tracer runs on the run thread, which keeps syd's capabilities (it forks the child, which
/// needs them for its mount namespace). While it resolves and judges a caller's path it holds
/// CAP_SYS_PTRACE alone, as an emulator does: a root syd's CAP_DAC_READ_SEARCH would tell a
/// capability-less caller which names exist in directories it cannot search (found by review
/// of issue 11's oracle).
fn lower() sys.Errno!caps.Sets {
    // Under SafeSetID's transits also CAP_SETUID, CAP_SETGID and CAP_KILL, which the confined
    // run thread keeps (pool.zig): lowering them would need capset, which its filter kills
    // (found by the attack session: a judged chdir killed syd), and acting as the caller needs
    // the first two.
    return caps.effective_lower(caps.bit(caps.cap_sys_ptrace) | pool_mod.emulator_setid_caps);
}

/// The notification a traced call is judged as: thread `tid`, call `nr`, its arguments.
fn notif_for(tid: i32, nr: linux.SYS, args: [6]u64) notify.Notif {
    assert(tid > 0);
    var notif = std.mem.zeroes(notify.Notif);
    notif.pid = @intCast(tid);
    notif.data.nr = @intCast(@intFromEnum(nr));
    notif.data.arch = audit_arch_x86_64;
    notif.data.args = args;
    return notif;
}

/// What thread `tid` is stopped in (PTRACE_GET_SYSCALL_INFO); null when it is gone.
fn syscall_info(tid: i32) ?SyscallInfo {
    var info = std.mem.zeroes(SyscallInfo);
    _ = sys.check(linux.syscall4(.ptrace, ptrace_get_syscall_info, @intCast(tid), @sizeOf(SyscallInfo), @intFromPtr(&info))) catch return null;
    return info;
}

/// The thread id a ptrace event stop of `tid` names (PTRACE_GETEVENTMSG: the task a fork,
/// vfork or clone made; the former tid of a thread that exec'ed); null when `tid` is gone.
fn event_tid(tid: i32) ?i32 {
    var msg: u64 = 0;
    _ = sys.check(linux.syscall4(.ptrace, ptrace_geteventmsg, @intCast(tid), 0, @intFromPtr(&msg))) catch return null;
    const named: i32 = @intCast(msg & 0x7fffffff);
    return if (named > 0) named else null;
}

/// Changes the registers of `tid`, stopped at its seccomp stop, with `edit`, then lets it go on.
/// ESRCH: not in this stop any more (killed): nothing changed, and never kill by this pid.
fn edit_regs(tid: i32, edit: anytype) void {
    var regs: [regs_words]u64 = undefined;
    _ = sys.check(linux.syscall4(.ptrace, ptrace_getregs, @intCast(tid), 0, @intFromPtr(&regs))) catch return;
    edit.apply(&regs);
    _ = sys.check(linux.syscall4(.ptrace, ptrace_setregs, @intCast(tid), 0, @intFromPtr(&regs))) catch return;
    restart(ptrace_cont, tid, 0);
}

/// setgroups at its seccomp stop, made setgroups(0, NULL): every supplementary group dropped.
fn drop_groups(tid: i32) void {
    edit_regs(tid, struct {
        fn apply(_: @This(), regs: *[regs_words]u64) void {
            regs[reg_rdi] = 0;
            regs[reg_rsi] = 0;
        }
    }{});
}

/// Skips the call at its seccomp stop: no call (-1), `errno_value` as its result.
fn skip(tid: i32, errno_value: i32) void {
    assert(errno_value > 0);
    edit_regs(tid, struct {
        errno_value: i32,
        fn apply(self: @This(), regs: *[regs_words]u64) void {
            regs[reg_orig_rax] = std.math.maxInt(u64);
            regs[reg_rax] = @bitCast(-@as(i64, self.errno_value));
        }
    }{ .errno_value = errno_value });
}

fn restart(request: usize, tid: i32, sig: u32) void {
    // ESRCH: killed meanwhile (its exit status follows).
    _ = linux.syscall4(.ptrace, request, @intCast(tid), 0, sig);
}

/// Sends `sig` to process `pid` (through its leader thread).
fn signal(pid: i32, sig: i32) void {
    assert(pid > 0);
    if (sig == linux.SIG.KILL) return kill(pid);
    _ = linux.tgkill(pid, pid, sig);
}

fn kill(tid: i32) void {
    _ = linux.kill(tid, linux.SIG.KILL);
}
