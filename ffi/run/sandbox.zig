//! A sandbox: a loaded policy, its log pipe, and one supervised run of a command.
//!
//! Needs: everything spawn.zig and pool.zig need; SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6) is
//! used where the kernel has it and skipped where it does not.
//! Assumes: `run` is called at most once per sandbox, from a thread that stays inside `run` until
//! it returns (Deno's nonblocking FFI call). The work happens on the run thread `run` starts and
//! joins (`syd_run`): the first process's parent, so its parent-death signal is tied to it.

const std = @import("std");
const emulate_mod = @import("../handlers/emulate.zig");
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const path_mod = @import("../judge/path.zig");
const policy = @import("../judge/policy.zig");
const log_mod = @import("log.zig");
const spawn = @import("spawn.zig");
const notify = @import("../kernel/notify.zig");
const filter = @import("../filter/sandbox.zig");
const ioctl_filter = @import("../filter/ioctl.zig");
const scmp = @import("../filter/scmp.zig");
const pool_mod = @import("pool.zig");
const Pool = pool_mod.Pool;
const Timeouter = @import("../workers/out.zig").Timeouter;
const reap = @import("reap.zig");
const magic = @import("magic.zig");
const landlock = @import("../layers/landlock.zig");
const net_handlers = @import("../handlers/net.zig");
const caps = @import("../layers/caps.zig");
const trace = @import("../workers/trace.zig");
const confine = @import("../filter/confine.zig");
const namespaces = @import("../layers/namespaces.zig");

/// The run thread's stack: the tracer judges exec images and chdir paths on it, as an
/// emulator does on its 256 KiB (pool.thread_stack_size), with room to spare.
const run_stack_size: usize = 1024 * 1024;
const linux = std.os.linux;

/// fcntl(2)'s F_SETPIPE_SZ.
const f_setpipe_sz: i32 = 1031;
/// The log pipe's size: 1 MiB, the default pipe-max-size (about 3,000 access records).
const log_pipe_size_bytes: usize = 1 << 20;

extern fn strerror(errnum: c_int) [*:0]const u8;

/// The C library's text for an errno ("No such file or directory").
pub fn errno_text(errno_value: i32) []const u8 {
    return std.mem.span(strerror(errno_value));
}

pub const Outcome = struct {
    wait_status: u32 = 0,
    exit_code: i32 = 0,
    exec_errno: i32 = 0,
    notifications: u64 = 0,
    workers_peak: u32 = 0,
};

pub const Sandbox = struct {
    /// The policy in force, and /dev/syd's channel to TypeScript.
    channel: magic.Channel,
    log: log_mod.Log,
    log_rd: i32,
    ran: std.atomic.Value(bool) = .init(false),
    /// The running child's pidfd, for forwarding signals (-1 when none); guarded by `signal_mutex`.
    child_pidfd: i32 = -1,
    signal_mutex: std.Thread.Mutex = .{},
    /// Set when a signal to forward finds the first process gone: stop waiting for the others.
    stop_wait: std.atomic.Value(bool) = .init(false),
    /// Under a pid namespace's init (which ignores what syd forwards, as every init does): the
    /// process running the command, to forward signals to instead (pool.zig `command_pid`).
    command_pid: ?*const std.atomic.Value(i32) = null,

    /// Loads `json` into a new sandbox; `diag` says why when it fails.
    pub fn create(json: []const u8, diag: *policy.Diag) sys.Errno!*Sandbox {
        @import("../kernel/fault.zig").init();
        const self = std.heap.c_allocator.create(Sandbox) catch return error.NOMEM;
        errdefer std.heap.c_allocator.destroy(self);
        const first = try magic.Generation.create(json, diag);
        var first_owned = true;
        errdefer if (first_owned) first.destroy();
        const fds = sys.pipe(true) catch |err| {
            diag.set("cannot make the log pipe: {s}", .{errno_text(sys.errno_value(err))});
            return err;
        };
        // A trace run (`-x`, `syd learn`) logs every access: a larger pipe lets the reader
        // keep up with bursts, since a record that finds the pipe full is dropped. Best effort:
        // past /proc/sys/fs/pipe-max-size the default size stays.
        _ = linux.fcntl(fds[1], f_setpipe_sz, log_pipe_size_bytes);
        self.* = .{
            .channel = undefined,
            .log = .{ .fd = fds[1], .level_max = first.policy.log_level },
            .log_rd = fds[0],
        };
        self.channel.init(first) catch |err| {
            sys.close(fds[0]);
            sys.close(fds[1]);
            diag.set("cannot make the /dev/syd pipe: {s}", .{errno_text(sys.errno_value(err))});
            return err;
        };
        first_owned = false; // the channel frees it from here on
        assert(self.log.fd >= 0 and self.log_rd >= 0);
        return self;
    }

    /// Closes the log's write end (the reader then sees end of file) and frees everything.
    pub fn destroy(self: *Sandbox) void {
        if (self.log_rd >= 0) sys.close(self.log_rd);
        if (self.log.fd >= 0) sys.close(self.log.fd);
        self.channel.deinit();
        std.heap.c_allocator.destroy(self);
    }

    /// Closes syd's copy of the log's read end, once the reader has opened its own.
    pub fn log_rd_close(self: *Sandbox) void {
        if (self.log_rd >= 0) sys.close(self.log_rd);
        self.log_rd = -1;
    }

    fn publish_pidfd(self: *Sandbox, pidfd: i32, command_pid: ?*const std.atomic.Value(i32)) void {
        self.signal_mutex.lock();
        defer self.signal_mutex.unlock();
        self.child_pidfd = pidfd;
        self.command_pid = command_pid;
    }

    /// Sends `sig` (SIGHUP, SIGINT, SIGQUIT or SIGTERM) to the running child; ESRCH when none.
    pub fn signal(self: *Sandbox, sig: i32) sys.Errno!void {
        const forwardable = sig == linux.SIG.HUP or sig == linux.SIG.INT or sig == linux.SIG.QUIT or sig == linux.SIG.TERM;
        if (!forwardable) return error.INVAL;
        self.signal_mutex.lock();
        defer self.signal_mutex.unlock();
        if (self.child_pidfd < 0) return error.SRCH;
        if (self.command_pid) |command| {
            // The command, by a pidfd opened now: until the tracer has seen the command start
            // (0) or once it has ended (-1), the signal goes to the init, which ignores it.
            const pid = command.load(.acquire);
            if (pid > 0) if (sys.pidfd_open(pid)) |pidfd| {
                defer sys.close(pidfd);
                _ = sys.check(linux.syscall4(.pidfd_send_signal, @as(usize, @intCast(pidfd)), @as(usize, @intCast(sig)), 0, 0)) catch {};
                return;
            } else |_| {};
        }
        _ = sys.check(linux.syscall4(.pidfd_send_signal, @as(usize, @intCast(self.child_pidfd)), @as(usize, @intCast(sig)), 0, 0)) catch |err| {
            // The first process is gone and syd waits for the others (trace/exit_wait_all):
            // the signal ends the wait, and every sandboxed process left is killed.
            if (err == error.SRCH) self.stop_wait.store(true, .release);
            return err;
        };
    }

    /// Runs `argv` under the sandbox and waits for it; `file` is the program, found as execvp(3)
    /// does (null: `argv[0]`, which may otherwise be any name: `syd -a ALIAS`).
    pub fn run(
        self: *Sandbox,
        file: ?[*:0]const u8,
        argv: [*:null]const ?[*:0]const u8,
        envp: [*:null]const ?[*:0]const u8,
        diag: *policy.Diag,
    ) sys.Errno!Outcome {
        if (self.ran.swap(true, .acq_rel)) {
            diag.set("this sandbox has run already", .{});
            return error.BUSY;
        }
        // The run happens on a thread of syd's own (`syd_run`: it forks the first process,
        // traces and waits for the sandbox), never on the caller's (Deno's): a thread syd did
        // not create is never confined, and this one confines itself once the sandbox is
        // locked (filter/confine.zig), as syd's other threads do.
        const Job = struct {
            sandbox: *Sandbox,
            file: ?[*:0]const u8,
            argv: [*:null]const ?[*:0]const u8,
            envp: [*:null]const ?[*:0]const u8,
            diag: *policy.Diag,
            result: sys.Errno!Outcome = error.AGAIN,

            fn main(job: *@This()) void {
                _ = linux.prctl(@intFromEnum(linux.PR.SET_NAME), @intFromPtr(confine.thread_name(.run).ptr), 0, 0, 0);
                // No signal is handled on this thread (Deno's handlers run on Deno's threads).
                sys.sigmask_set(std.math.maxInt(u64)) catch unreachable; // a valid mask cannot fail
                job.result = job.sandbox.run_here(job.file, job.argv, job.envp, job.diag);
            }
        };
        var job: Job = .{ .sandbox = self, .file = file, .argv = argv, .envp = envp, .diag = diag };
        const thread = std.Thread.spawn(.{ .stack_size = run_stack_size }, Job.main, .{&job}) catch {
            diag.set("cannot start syd's run thread", .{});
            return error.AGAIN;
        };
        thread.join();
        return job.result;
    }

    /// `run`'s work, on the run thread.
    fn run_here(
        self: *Sandbox,
        file: ?[*:0]const u8,
        argv: [*:null]const ?[*:0]const u8,
        envp: [*:null]const ?[*:0]const u8,
        diag: *policy.Diag,
    ) sys.Errno!Outcome {
        const argv0 = argv[0] orelse {
            diag.set("no command to run", .{});
            return error.INVAL;
        };
        const name = file orelse argv0;
        var arena_state = std.heap.ArenaAllocator.init(std.heap.page_allocator);
        defer arena_state.deinit();
        const arena = arena_state.allocator();

        const rules = self.channel.policy_now();
        const options = filter_options(rules);
        const program = build_program(arena, options, diag) catch |err| return err;
        const ioctl_program = build_ioctl_program(arena, rules, diag) catch |err| return err;
        const candidates = spawn.exec_candidates(arena, std.mem.span(name), envp) catch return error.NOMEM;
        const landlock_abi = landlock.abi();
        switch (landlock.protection(landlock_abi)) {
            .ptrace_and_signals => {},
            .ptrace => self.log.emit(.warn, .{ .ctx = "run", .op = "landlock", .abi = landlock_abi, .msg = "this kernel's Landlock cannot scope signals (ABI 6, Linux 6.12): the sandbox can signal syd and processes outside it" }),
            .none => self.log.emit(.warn, .{ .ctx = "run", .op = "landlock", .abi = landlock_abi, .msg = "Landlock is missing: the sandbox can signal syd and processes outside it (ptrace stays refused by the filter)" }),
        }
        // The sandbox shares syd's terminal: a sandboxed process that takes the foreground (and
        // sets TOSTOP) must not stop syd with SIGTTOU at its next record, nor SIGTTIN. The
        // child resets both to their defaults.
        for ([_]u6{ linux.SIG.TTOU, linux.SIG.TTIN }) |sig| {
            var ignore: std.posix.Sigaction = .{ .handler = .{ .handler = std.posix.SIG.IGN }, .mask = std.posix.empty_sigset, .flags = 0 };
            std.posix.sigaction(sig, &ignore, null);
        }
        // PID sandboxing counts tasks at the tracer's stops: without a tracer it would count nothing.
        if (rules.limits.pid and rules.limits.pid_max > 0 and rules.allow_unsafe_ptrace) {
            diag.set("pid/max needs syd's tracer, which trace/allow_unsafe_ptrace:1 turns off: no process limit could be kept", .{});
            return error.INVAL;
        }
        // A root syd gives the sandbox its own /proc, hiding syd and every outside process. The
        // run thread makes it in a mount namespace of its own and then returns to syd's, which
        // setns allows with CAP_SYS_CHROOT too (found by review: a service without it ran nothing).
        // With a pid namespace the sandbox's first process mounts a procfs of that namespace
        // itself (layers/namespaces.zig).
        const ns = &rules.namespaces;
        const private_proc = caps.has_effective(caps.cap_sys_admin) and caps.has_effective(caps.cap_sys_chroot) and !ns.has(.pid);
        if (!private_proc and !ns.has(.pid)) self.log.emit(.info, .{ .ctx = "run", .op = "proc", .msg = "without CAP_SYS_ADMIN and CAP_SYS_CHROOT the sandbox shares syd's /proc: syd's world-readable entries (status, cmdline) answer the calls syd does not judge" });
        // Out of the sandbox's reach: /proc/<syd>/{mem,environ,fd,maps,...} and ptrace-like
        // access need CAP_SYS_PTRACE, which the sandbox never holds.
        _ = sys.check(linux.prctl(@intFromEnum(linux.PR.SET_DUMPABLE), 0, 0, 0, 0)) catch |err| {
            diag.set("cannot make syd non-dumpable: {s}", .{errno_text(sys.errno_value(err))});
            return err;
        };
        var plan: spawn.Plan = .{ .program = program, .ioctl_program = ioctl_program, .argv = argv, .envp = envp, .candidates = candidates, .landlock_abi = landlock_abi, .scope_abstract = rules.landlock.on, .sentinel = landlock.protection(landlock_abi) == .ptrace_and_signals, .pass_all = rules.pass_fds.all, .pass_ranges = rules.pass_fds.ranges, .exec_securebits = exec_securebits(rules), .strip_personas = !rules.allow_unsafe_personality, .speculation_mitigated = !rules.allow_unsafe_exec_speculative, .mdwe = !rules.allow_unsafe_exec_memory, .keep_caps = setid_caps(rules) };
        plan.name_after(std.mem.span(name));
        var ns_setup: namespaces.Setup = undefined;
        if (ns.any()) {
            ns_setup = namespaces.prepare(arena, ns, linux.geteuid(), linux.getegid(), clock_s(.BOOTTIME), clock_s(.MONOTONIC)) catch return error.NOMEM;
            plan.ns = &ns_setup;
            plan.init_wait_all = rules.exit_wait_all;
            plan.command_child = ns.has(.pid);
            // The init is the pid namespace's: when it ends the kernel kills everything left.
            if (ns.has(.pid)) plan.sentinel = false;
        }
        // Lock sandboxing with a mount namespace: an init of their own builds the namespaces
        // before the run thread enters the Lock domain (Landlock forbids mounting), and the first
        // process, forked inside the domain, joins them (layers/namespaces.zig `Join`): the
        // sandbox and syd's threads share one domain, whose rules name the paths the sandbox sees.
        const lock_join = ns.has(.mount) and rules.landlock.on and landlock_abi > 0;
        var ns_init: ?spawn.Init = null;
        defer if (ns_init) |*init| {
            spawn.init_release(init);
            spawn.reap(init.pid);
        };
        var join: namespaces.Join = undefined;
        if (lock_join) {
            var failure: spawn.Failure = .{};
            ns_init = spawn.start_init(&ns_setup, &failure) catch |err| return ns_failed(self, ns, failure, diag, err);
            try join_lock_domain(self, rules, landlock_abi, ns, ns_init.?.pid, arena, &join, diag);
            spawn.init_release(&ns_init.?);
            plan.ns = null;
            plan.join = &join;
        }
        defer if (lock_join) join.close();
        const pool = arena.create(Pool) catch return error.NOMEM;
        const tree = arena.alloc(reap.Proc, reap.processes_max) catch return error.NOMEM;
        reap.subreaper_set() catch |err| {
            diag.set("cannot make syd the reaper of the sandbox's orphans: {s}", .{errno_text(sys.errno_value(err))});
            return err;
        };

        // syd's mount namespace, working directory and /proc, to come back to once the first
        // process is forked in the sandbox's (spawn.private_proc, spawn.return_to).
        var home: [3]i32 = .{ -1, -1, -1 };
        defer for (home) |fd| if (fd >= 0) sys.close(fd);
        if (private_proc) {
            const wanted = [3]struct { path: [*:0]const u8, flags: linux.O }{
                .{ .path = "/proc/thread-self/ns/mnt", .flags = .{ .CLOEXEC = true } },
                .{ .path = ".", .flags = .{ .PATH = true, .DIRECTORY = true, .CLOEXEC = true } },
                .{ .path = "/proc", .flags = .{ .PATH = true, .DIRECTORY = true, .CLOEXEC = true } },
            };
            for (wanted, &home) |want, *fd| {
                fd.* = @intCast(sys.retry(linux.open, .{ want.path, want.flags, @as(linux.mode_t, 0) }) catch |err| {
                    diag.set("cannot open {s} (to come back to syd's mount namespace): {s}", .{ want.path, errno_text(sys.errno_value(err)) });
                    return err;
                });
            }
            const rc = spawn.private_proc();
            if (rc != 0) {
                diag.set("cannot give the sandbox its own /proc (hidepid=ptraceable) in a new mount namespace: {s}", .{errno_text(@intFromEnum(linux.E.init(rc)))});
                return sys.errno_error(linux.E.init(rc));
            }
        }
        if (!lock_join) try enter_lock_domain(self, rules, landlock_abi, home[2], linux.AT.FDCWD, diag);

        var failure: spawn.Failure = .{};
        var child = spawn.start(&plan, &failure) catch |err| return ns_failed(self, ns, failure, diag, err);
        if (ns_init) |init| {
            // The init is no sandboxed process to wait for, as the sentinel is not.
            child.sentinel_pid = init.pid;
            child.binds_skipped = init.binds_skipped;
        }
        if (ns.any()) log_namespaces(&self.log, ns, &child);
        defer spawn.close(&child);
        if (private_proc) {
            const rc = spawn.return_to(home[0], home[1]);
            if (rc != 0) {
                spawn.reap(child.pid);
                diag.set("cannot return to syd's mount namespace: {s}", .{errno_text(@intFromEnum(linux.E.init(rc)))});
                return sys.errno_error(linux.E.init(rc));
            }
        }
        self.publish_pidfd(child.pidfd, if (ns.has(.pid)) &pool.command_pid else null);
        defer self.publish_pidfd(-1, null); // before spawn.close: no signal may reach a reused fd
        errdefer spawn.reap(child.pid);

        // trace/sync_seccomp: off by default, as the original's (slower on the machines measured:
        // README, Benchmarks).
        const sync = rules.sync_seccomp and if (notify.set_sync_wake_up(child.notify_fd)) |_| true else |_| false;
        self.log.emit(.debug, .{ .ctx = "run", .op = "spawn", .pid = child.pid, .sync_wake_up = sync, .trapped = filter.trapped.len, .program_len = program.len });
        pool.init(child.notify_fd, &self.channel, &self.log) catch |err| {
            diag.set("cannot read syd's own credentials: {s}", .{errno_text(sys.errno_value(err))});
            return err;
        };
        pool.child_pid = child.pid;
        pool.command_pid.store(if (ns.has(.pid)) 0 else child.pid, .release);
        path_mod.own_pid_levels = if (pool.own.ns_levels > 0) pool.own.ns_levels else 1;
        path_mod.pid_namespace.store(ns.has(.pid), .release);
        defer path_mod.pid_namespace.store(false, .release);
        path_mod.symfollow_checked.store(ns.has(.mount), .release);
        defer path_mod.symfollow_checked.store(false, .release);
        namespaces.id_map = if (ns.has(.user)) namespaces.id_map_of(ns, linux.geteuid(), linux.getegid()) else null;
        defer namespaces.id_map = null;
        // One sandbox runs (odd): syd's threads keep its root (path.zig `sandbox_run`).
        assert(path_mod.sandbox_run.load(.acquire) % 2 == 0);
        _ = path_mod.sandbox_run.fetchAdd(1, .acq_rel);
        defer _ = path_mod.sandbox_run.fetchAdd(1, .acq_rel);
        pool.confinement.skip = skip_confinement();
        pool.confinement.prepare(arena, .{ .notify_fd = child.notify_fd, .tgid = pool.tgid, .interrupt_signal = pool_mod.interrupt_signal, .sockets = emulators_make_sockets(rules), .setid = setid_caps(rules) != 0 }) catch |err| {
            diag.set("cannot assemble the filters syd's threads confine themselves with: {s}", .{errno_text(sys.errno_value(err))});
            return err;
        };
        net_handlers.diag.open(); // before syd's threads confine themselves: they may not open it
        defer net_handlers.diag.close();
        pool_mod.emulator_setid_caps = if (setid_caps(rules) != 0) setid_caps(rules) | caps.bit(caps.cap_kill) else 0;
        emulate_mod.own_ids = pool.own;
        emulate_mod.acting_allowed = pool_mod.emulator_setid_caps != 0; // the tracer: this thread
        pool.start() catch |err| {
            diag.set("cannot start the monitor thread: {s}", .{errno_text(sys.errno_value(err))});
            return err;
        };
        defer pool.stop();
        var timeouter: Timeouter = .{ .timeout_ms = rules.timeout_ms, .pidfd = child.pidfd, .log = &self.log, .confinement = &pool.confinement };
        if (rules.timeout_ms > 0) timeouter.start() catch |err| {
            diag.set("cannot start the timeout thread: {s}", .{errno_text(sys.errno_value(err))});
            return err;
        };
        defer timeouter.stop();
        // The tracer (this thread, the child's parent) seizes the child while it waits for
        // the release: its first exec is checked like every later one.
        const traced = options.traced;
        const tracer = arena.create(trace.Tracer) catch return error.NOMEM;
        tracer.* = trace.Tracer.init(pool, child.pid, child.sentinel_pid, tree, rules.allow_unsafe_exec_ldso);
        tracer.ns_init = ns.has(.pid);
        if (traced) trace.seize(child.pid) catch |err| {
            diag.set("cannot trace the sandboxed process: {s} (Yama's kernel.yama.ptrace_scope is 3, or syd itself runs under a tracer; trace/allow_unsafe_ptrace:1 runs without exec and chdir being checked after the call)", .{errno_text(sys.errno_value(err))});
            return err;
        };
        if (!traced) self.log.emit(.warn, .{ .ctx = "run", .op = "trace", .msg = "trace/allow_unsafe_ptrace:1: exec, chdir and executable mmap are judged before the call only (a racing thread can swap the path or fd the kernel reads after the check), and the dynamic loader may run any program" });
        spawn.release(&child) catch |err| {
            diag.set("cannot release the sandboxed process: {s}", .{errno_text(sys.errno_value(err))});
            return err;
        };
        if (traced) tracer.until_first_exec() catch |err| {
            diag.set("lost track of the sandboxed process: {s}", .{errno_text(sys.errno_value(err))});
            return err;
        };
        const exec_errno = spawn.await_exec(&child) catch |err| {
            diag.set("lost track of the sandboxed process's exec: {s}", .{errno_text(sys.errno_value(err))});
            return err;
        };
        if (rules.lock != .off) { // unset: locked once the first process runs, as the original
            pool.lock();
            timeouter.wake();
            pool.confinement.check_run(); // this thread, now (a later lock: at its next stop)
        }
        const status = if (traced) try tracer.until_first_exit() else try sys.wait_exit(child.pid);
        self.log.emit(.debug, .{ .ctx = "run", .op = "exit", .pid = child.pid, .status = status });
        const root = sys.getpid();
        if (rules.exit_wait_all) {
            self.log.emit(.debug, .{ .ctx = "run", .op = "wait_all", .msg = "waiting for every sandboxed process (trace/exit_wait_all)" });
            const stops = [_]*const std.atomic.Value(bool){ &timeouter.timed_out, &self.stop_wait };
            if (traced) tracer.until_none_left(&stops) else reap.wait_all(root, tree, child.sentinel_pid, &stops);
        }
        timeouter.stop();
        spawn.fire_sentinel(&child); // every sandboxed process at once; kill_all finds stragglers
        const killed = reap.kill_all(root, tree);
        if (killed > 0) self.log.emit(.info, .{ .ctx = "run", .op = "kill_all", .msg = "killed the sandboxed processes left behind", .killed = killed });
        if (traced) tracer.drain();
        self.log.emit(.debug, .{ .ctx = "run", .op = "trace", .traced = traced, .execs = tracer.execs, .chdirs = tracer.chdirs });
        pool.stop();
        return .{
            .wait_status = status,
            .exit_code = if (timeouter.timed_out.load(.acquire))
                124 // as timeout(1)
            else if (pool.exit_status.load(.acquire) != 0)
                pool.exit_status.load(.acquire)
            else
                spawn.exit_code(status),
            .exec_errno = exec_errno orelse 0,
            .notifications = pool.handled_total.load(.monotonic),
            .workers_peak = pool.workers_peak.load(.monotonic),
        };
    }
};

/// The failure of a start, said: a bind's own record and text, or the stage.
fn ns_failed(self: *Sandbox, ns: *const namespaces.Rules, failure: spawn.Failure, diag: *policy.Diag, err: sys.Errno) sys.Errno {
    if (failure.stage == @as(spawn.Stage, @enumFromInt(@intFromEnum(namespaces.Step.bind))) and failure.index < ns.binds.len) {
        const bind = ns.binds[failure.index];
        self.log.emit(.@"error", .{ .ctx = "setup_mount_namespace", .op = if (bind.src[0] == '/') "bind_mount" else "spec_mount", .err = failure.errno_value, .msg = "bind mount failed", .mnt = bind.text });
        diag.set("starting the sandboxed process failed while mounting `{s}': {s}", .{ bind.text, errno_text(failure.errno_value) });
    } else {
        diag.set("starting the sandboxed process failed while {s}: {s}", .{ failure.stage.name(), errno_text(failure.errno_value) });
    }
    return err;
}

/// Lock sandboxing with a mount namespace: the namespaces the init `init_pid` built are opened
/// for the first process to join (`join`), and the run thread enters the Lock domain, its rules'
/// paths looked up beneath the new root (/proc/PID/root), syd's own /proc granted to syd's
/// threads as the sandbox's is to it.
fn join_lock_domain(self: *Sandbox, rules: *const policy.Policy, abi: u32, ns: *const namespaces.Rules, init_pid: i32, arena: std.mem.Allocator, join: *namespaces.Join, diag: *policy.Diag) sys.Errno!void {
    assert(rules.landlock.on and abi > 0 and init_pid > 0);
    var cwd: [:0]const u8 = "/";
    if (ns.root) |_| {
        if (ns.workdir) |workdir| cwd = arena.dupeZ(u8, workdir) catch return error.NOMEM;
    } else {
        var buf: [path_mod.path_len_max]u8 = undefined;
        const here = std.posix.getcwd(&buf) catch {
            diag.set("cannot read syd's working directory", .{});
            return error.NOENT;
        };
        cwd = arena.dupeZ(u8, here) catch return error.NOMEM;
    }
    join.* = namespaces.open_join(init_pid, ns, cwd) catch |err| {
        diag.set("cannot open the sandbox's namespaces: {s}", .{@errorName(err)});
        return error.ACCES;
    };
    errdefer join.close();
    var name_buf: [64]u8 = undefined;
    const root_name = std.fmt.bufPrintZ(&name_buf, "/proc/{d}/root", .{init_pid}) catch unreachable;
    const root_fd: i32 = @intCast(sys.retry(linux.open, .{ root_name.ptr, linux.O{ .PATH = true, .DIRECTORY = true, .CLOEXEC = true }, @as(linux.mode_t, 0) }) catch |err| {
        diag.set("Lock sandboxing: cannot open the sandbox's root: {s}", .{errno_text(sys.errno_value(err))});
        return err;
    });
    defer sys.close(root_fd);
    const host_proc: i32 = @intCast(sys.retry(linux.open, .{ "/proc", linux.O{ .PATH = true, .DIRECTORY = true, .CLOEXEC = true }, @as(linux.mode_t, 0) }) catch |err| {
        diag.set("Lock sandboxing: cannot open syd's /proc: {s}", .{errno_text(sys.errno_value(err))});
        return err;
    });
    defer sys.close(host_proc);
    try enter_lock_domain(self, rules, abi, host_proc, root_fd, diag);
}

/// Lock sandboxing: the run thread enters the domain of the policy's Landlock rules before it
/// forks the sandbox's first process and starts the pool, so that both, and every thread the
/// pool starts, are inside (layers/landlock.zig). Off: nothing. A kernel without Landlock, or
/// rules it cannot enforce whole, fail the run under the compatibility levels kill and deny
/// (EOPNOTSUPP; a path's own errno), and are logged and run with what it can under warn.
/// `root_fd`: where the rules' paths are looked up (AT_FDCWD: syd's root).
fn enter_lock_domain(self: *Sandbox, rules: *const policy.Policy, abi: u32, host_proc: i32, root_fd: i32, diag: *policy.Diag) sys.Errno!void {
    const lock = &rules.landlock;
    if (!lock.on) return;
    const cmp: []const u8 = switch (lock.compat) {
        .kill => "hard-requirement",
        .deny => "soft-requirement",
        .warn => "best-effort",
    };
    if (abi == 0) {
        if (lock.compat == .warn) {
            self.log.emit(.warn, .{ .ctx = "landlock", .op = "apply_landlock", .abi = abi, .cmp = cmp, .msg = "Landlock ABI 0 is unsupported: the sandbox runs without Lock sandboxing" });
            return;
        }
        diag.set("Lock sandboxing is on but this kernel has no Landlock (set sandbox/lock:off, or default/lock:warn)", .{});
        return error.OPNOTSUPP;
    }
    var failure: landlock.Failure = .{};
    var skipped: u32 = 0;
    var enforced: landlock.Enforced = .full;
    const ruleset = landlock.build(lock, abi, host_proc, root_fd, &failure, &skipped, &enforced) catch {
        self.log.emit(.@"error", .{ .ctx = "landlock", .op = "apply_landlock", .path = failure.path, .abi = abi, .cmp = cmp, .err = failure.errno_value, .msg = failure.what, .tip = "set sandbox/lock:off" });
        if (failure.path.len > 0) {
            diag.set("Lock sandboxing: {s}: `{s}': {s}", .{ failure.what, failure.path, errno_text(failure.errno_value) });
        } else {
            diag.set("Lock sandboxing: {s}: {s}", .{ failure.what, errno_text(failure.errno_value) });
        }
        return sys.errno_error(@enumFromInt(failure.errno_value));
    };
    defer _ = linux.close(ruleset);
    const entered = landlock.thread_enter(ruleset, abi, lock.flags);
    if (entered != .SUCCESS) {
        diag.set("Lock sandboxing: Landlock restrict self error: {s}", .{errno_text(@intFromEnum(entered))});
        return sys.errno_error(entered);
    }
    if (enforced == .full) {
        self.log.emit(.info, .{ .ctx = "landlock", .op = "apply_landlock", .abi = abi, .cmp = cmp, .msg = "Landlock is fully enforced" });
    } else {
        self.log.emit(.warn, .{ .ctx = "landlock", .op = "apply_landlock", .abi = abi, .cmp = cmp, .skipped = skipped, .msg = "Landlock is partially enforced: missing paths skipped, directory-only rights on files dropped" });
    }
}

/// A clock's whole seconds now (0 if it cannot be read).
fn clock_s(clock: linux.CLOCK) i64 {
    var now: linux.timespec = .{ .sec = 0, .nsec = 0 };
    if (linux.E.init(linux.clock_gettime(clock, &now)) != .SUCCESS) return 0;
    return now.sec;
}

/// The original's records of the namespaces made, and of each bind mounted or skipped.
fn log_namespaces(log: *log_mod.Log, ns: *const namespaces.Rules, child: *const spawn.Child) void {
    assert(ns.any());
    var names_buf: [128]u8 = undefined;
    log.emit(.info, .{ .ctx = "setup_namespaces", .op = "unshare", .ns = ns.names(&names_buf, ", "), .pid = child.pid, .msg = "unshared into new namespaces" });
    for (ns.binds, 0..) |bind, index| {
        const op = if (bind.src[0] == '/') "bind_mount" else "spec_mount";
        if (index < namespaces.binds_max and child.binds_skipped.isSet(index)) {
            log.emit(.warn, .{ .ctx = "setup_mount_namespace", .op = op, .err = @intFromEnum(linux.E.NOENT), .mnt = bind.text, .msg = "skip non-existent file due to bind-try" });
        } else {
            log.emit(.info, .{ .ctx = "setup_mount_namespace", .op = op, .mnt = bind.text, .msg = "mounted" });
        }
    }
}

/// Whether the emulators may make sockets for callers (confine.zig `socket_rules`):
/// trace/force_cloexec is on, or /dev/syd may still turn it on.
pub fn emulators_make_sockets(rules: *const policy.Policy) bool {
    return rules.force_cloexec or rules.lock == .off or rules.lock == .exec or rules.lock == .drop;
}

/// What the policy asks of the sandbox filter.
pub fn filter_options(rules: *const policy.Policy) filter.Options {
    const net_on = rules.on[@intFromEnum(policy.Cat.net_bind)] or
        rules.on[@intFromEnum(policy.Cat.net_connect)] or rules.on[@intFromEnum(policy.Cat.sendfd)] or
        (rules.on[@intFromEnum(policy.Cat.recvfd)] and !rules.allow_unsafe_recvmsg); // receives performed by syd
    // While /dev/syd may turn ioctl or network sandboxing on later, those calls are trapped
    // from the start (the filter cannot change once loaded); their handlers look at the
    // policy in force.
    const changeable = rules.lock == .off or rules.lock == .exec or rules.lock == .drop;
    return .{
        .trap_ioctl = rules.on[@intFromEnum(policy.Cat.ioctl)] or changeable,
        // socketpair, getsockname, getsockopt and setsockopt are judged or fixed up.
        // trace/force_cloexec: accepts (and memfd_create) are performed by syd.
        .trap_socket = net_on or changeable or rules.force_cloexec,
        .trap_create = rules.on[@intFromEnum(policy.Cat.create)] or changeable or rules.force_cloexec,
        .traced = !rules.allow_unsafe_ptrace,
        .allow_unsafe_futex = rules.allow_unsafe_futex,
        .allow_unsafe_cbpf = rules.allow_unsafe_cbpf,
        .allow_unsafe_shm = rules.allow_unsafe_shm,
        .allow_unsafe_perm_shm = rules.allow_unsafe_perm_shm,
        .allow_unsafe_copy = rules.allow_unsafe_copy,
        .allow_unsafe_personality = rules.allow_unsafe_personality,
        .allow_unsafe_sysinfo = rules.allow_unsafe_sysinfo,
        .allow_oob = rules.allow_unsafe_oob,
        .allow_unsafe_exec_memory = rules.allow_unsafe_exec_memory,
        .kill_mkbdev = !rules.unsafe_fs.allow_unsafe_mkbdev,
        .kill_mkcdev = !rules.unsafe_fs.allow_unsafe_mkcdev,
        .trap_memory = rules.limits.mem,
        // Static, as the original's (syd.2 `sandbox/list`): /dev/syd may not turn it on later
        // (EBUSY, lib/magic.ts `startOnly`).
        .trap_list = rules.on[@intFromEnum(policy.Cat.list)],
        .trap_mmap_exec = rules.on[@intFromEnum(policy.Cat.exec)] or rules.force.on or rules.trust.tpe,
        .trap_setuid = rules.setid.uid.len > 0,
        .trap_setgid = rules.setid.gid.len > 0,
    };
}

/// The capabilities the sandbox keeps: CAP_SETUID under SafeSetID's uid transits, CAP_SETGID
/// under its gid transits (handlers/setid.zig judges every use).
pub fn setid_caps(rules: *const policy.Policy) caps.Set {
    var keep: caps.Set = 0;
    if (rules.setid.uid.len > 0) keep |= caps.bit(caps.cap_setuid);
    if (rules.setid.gid.len > 0) keep |= caps.bit(caps.cap_setgid);
    return keep;
}

/// The exec secure bits the sandbox gets: both, as the original, unless relaxed.
fn exec_securebits(rules: *const policy.Policy) u32 {
    var bits: u32 = 0;
    if (!rules.allow_unsafe_exec_script) bits |= caps.secbit_exec_restrict_file;
    if (!rules.allow_unsafe_exec_interactive) bits |= caps.secbit_exec_deny_interactive;
    return bits;
}

/// SYD_SKIP_SCMP=1 (or any value but 0): syd's threads do not confine themselves.
pub fn skip_confinement() bool {
    const value = std.posix.getenv("SYD_SKIP_SCMP") orelse return false;
    return value.len > 0 and !std.mem.eql(u8, value, "0");
}

fn build_ioctl_program(arena: std.mem.Allocator, rules: *const policy.Policy, diag: *policy.Diag) sys.Errno![]const filter.SockFilter {
    const ctx = ioctl_filter.build(rules.ioctl_rules) catch |err| {
        diag.set("cannot assemble the ioctl denylist filter: {s}", .{errno_text(sys.errno_value(err))});
        return err;
    } orelse return &.{};
    defer scmp.release(ctx);
    const buf = arena.alloc(filter.SockFilter, filter.program_len_max + 1) catch return error.NOMEM;
    return filter.export_program(ctx, buf) catch |err| {
        diag.set("cannot export the ioctl denylist filter: {s}", .{errno_text(sys.errno_value(err))});
        return err;
    };
}

fn build_program(arena: std.mem.Allocator, options: filter.Options, diag: *policy.Diag) sys.Errno![]const filter.SockFilter {
    const ctx = filter.build(options) catch |err| {
        diag.set("cannot assemble the sandbox filter: {s}", .{errno_text(sys.errno_value(err))});
        return err;
    };
    defer scmp.release(ctx);
    const buf = arena.alloc(filter.SockFilter, filter.program_len_max + 1) catch return error.NOMEM;
    const program = filter.export_program(ctx, buf) catch |err| {
        diag.set("cannot export the sandbox filter: {s}", .{errno_text(sys.errno_value(err))});
        return err;
    };
    assert(program.len > 0);
    return program;
}
