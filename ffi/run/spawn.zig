//! Spawning the sandboxed child: fork, child set-up, listener hand-over, exec, wait.
//!
//! The child, between `fork()` and `execve()`, makes raw system calls only (no allocation, no
//! locks, no libc): it resets signal dispositions and the mask, ties its life to the forking
//! thread (PDEATHSIG), sets no_new_privs, loads the prebuilt sandbox filter with a new listener,
//! tells the parent the listener's fd number, waits for the parent to have copied it
//! (`pidfd_getfd`) and to have started the emulators, then execs. Its first trapped call
//! (`execve`) therefore always finds a worker to answer it. Before the filter it drops every
//! capability (layers/caps.zig), makes itself dumpable again (syd is not, and fork copies
//! that) and enters a Landlock domain that keeps signals and ptrace inside the sandbox
//! (layers/landlock.zig).
//!
//! Needs: seccomp user notification (5.0), pidfd_open (5.3), pidfd_getfd (5.6).
//! Assumes: the caller keeps the forking thread alive until the child is waited for (the
//! child's parent-death signal is tied to that thread), and keeps `Plan` alive until `start`
//! returns. Every fd made here is close-on-exec.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const SockFilter = @import("../filter/sandbox.zig").SockFilter;
const notify = @import("../kernel/notify.zig");
const caps = @import("../layers/caps.zig");
const landlock = @import("../layers/landlock.zig");
const sentinel = @import("../layers/sentinel.zig");
const namespaces = @import("../layers/namespaces.zig");

pub const path_len_max: usize = 4096;
pub const candidates_max: usize = 256;
const default_path = "/bin:/usr/bin"; // glibc's execvp default

/// A message from the child on the status pipe.
pub const Msg = extern struct {
    kind: Kind,
    stage: Stage,
    value: i32,
    /// Which bind a namespaces stage failed at, or was skipped (`bind_skipped`).
    index: u32 = 0,

    pub const Kind = enum(u32) { listener = 1, setup_failed = 2, exec_failed = 3, sentinel = 4, bind_skipped = 5, ns_ready = 6, _ };
};
comptime {
    assert(@sizeOf(Msg) == 16); // well under PIPE_BUF: one atomic write
}

/// Where in its set-up the child failed.
pub const Stage = enum(u32) {
    none = 0,
    signals = 1,
    parent_death_signal = 2,
    parent_gone = 3,
    no_new_privs = 4,
    seccomp = 5,
    handover = 6,
    exec = 7,
    dumpable = 8,
    capabilities = 9,
    landlock = 10,
    // 11 was the child's own /proc mount, made by the run thread since (`private_proc`).
    sentinel = 12,
    _,

    pub fn name(stage: Stage) []const u8 {
        return switch (stage) {
            .none => "none",
            .signals => "resetting signals",
            .parent_death_signal => "setting the parent-death signal",
            .parent_gone => "checking that syd is alive",
            .no_new_privs => "setting no_new_privs",
            .seccomp => "loading the seccomp filter",
            .handover => "handing the listener over",
            .exec => "executing the command",
            .dumpable => "making itself dumpable for syd",
            .capabilities => "dropping its capabilities",
            .landlock => "entering its Landlock domain",
            .sentinel => "starting the sentinel (layers/sentinel.zig)",
            _ => if (std.meta.intToEnum(namespaces.Step, @intFromEnum(stage))) |step| step.name() else |_| "an unknown stage",
        };
    }
};

const SockFprog = extern struct { len: u16, filter: [*]const SockFilter };

pub const Plan = struct {
    program: []const SockFilter,
    /// The ioctl denylist program (filter/ioctl.zig), loaded before `program`; empty: none.
    ioctl_program: []const SockFilter = &.{},
    argv: [*:null]const ?[*:0]const u8,
    envp: [*:null]const ?[*:0]const u8,
    candidates: []const [*:0]const u8,
    /// The kernel's Landlock ABI (0: none): the child enters a domain scoping signals and
    /// ptrace to the sandbox (layers/landlock.zig).
    landlock_abi: u32,
    /// Lock sandboxing is on: the child's scope domain keeps abstract UNIX sockets of processes
    /// outside the sandbox out of reach too (ABI 6), as the original's Lock domain does.
    scope_abstract: bool = false,
    /// Secure bits for script interpreters (Linux 6.14, AT_EXECVE_CHECK), set with their locks
    /// as the original does unless its trace/allow_unsafe_exec_script|interactive say otherwise:
    /// caps.secbit_exec_restrict_file and caps.secbit_exec_deny_interactive. Ignored by older
    /// kernels, which lack them.
    exec_securebits: u32 = 0,
    /// Drop the unsafe persona flags (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, ADDR_COMPAT_LAYOUT,
    /// MMAP_PAGE_ZERO) the child inherited from syd's caller (`setarch -R syd ...`), as the
    /// original does unless trace/allow_unsafe_personality.
    strip_personas: bool = true,
    /// Capabilities the sandbox keeps across exec (ambient): SafeSetID's CAP_SETUID and
    /// CAP_SETGID under its transits; none otherwise.
    keep_caps: caps.Set = 0,
    /// Force the speculation mitigations the kernel lets a process set for itself (store
    /// bypass, indirect branch, L1D flush: PR_SPEC_FORCE_DISABLE, kept across exec and never
    /// undone), as the original does unless trace/allow_unsafe_exec_speculative. A feature the
    /// CPU or kernel does not let a process control is left as it is.
    speculation_mitigated: bool = true,
    /// Memory-deny-write-execute (PR_SET_MDWE with PR_MDWE_REFUSE_EXEC_GAIN, Linux 6.3, kept
    /// across fork and exec), as the original sets it unless trace/allow_unsafe_exec_memory:
    /// the kernel's own W^X beside the filter's (filter/table.zig `mmap_row`). An older kernel
    /// refuses it (EINVAL): the filter's kills still hold.
    mdwe: bool = true,
    /// Start the sentinel that kills the whole sandbox at once at the end (layers/sentinel.zig;
    /// only with Landlock signal scoping).
    sentinel: bool,
    /// The fds the program inherits (passfd): every other one the child had is closed at its
    /// exec (close-on-exec set just before it). Sorted, disjoint inclusive ranges; `pass_all`:
    /// close none.
    pass_all: bool = true,
    pass_ranges: []const [2]u32 = &.{},
    /// Namespaces (layers/namespaces.zig): the child is cloned into them and builds the
    /// sandbox's world before anything else; with a pid namespace it is the namespace's init and
    /// forks the command (null: none).
    ns: ?*const namespaces.Setup = null,
    /// trace/exit_wait_all: the pid namespace's init waits for every process in it.
    init_wait_all: bool = false,
    /// Namespaces an init of their own made (`start_init`) for the child to join, in syd's Lock
    /// domain (null: none).
    join: ?*const namespaces.Join = null,
    /// The child forks the command and waits for it (a pid namespace: the command is then a
    /// process of it, pid 2).
    command_child: bool = false,
    /// The child's name until it execs (the command's base name, NUL-terminated, at most 15
    /// bytes): records of its first exec name the command, not the syd thread that forked it.
    comm: [16]u8 = [_]u8{0} ** 16,

    /// Sets `comm` from `argv[0]`.
    pub fn name_after(self: *Plan, command: []const u8) void {
        const slash = std.mem.lastIndexOfScalar(u8, command, '/');
        const base = if (slash) |at| command[at + 1 ..] else command;
        const len = @min(base.len, self.comm.len - 1);
        @memcpy(self.comm[0..len], base[0..len]);
        self.comm[len] = 0;
    }
};

pub const Child = struct {
    pid: i32,
    pidfd: i32,
    status_rd: i32,
    ack_wr: i32,
    /// The listener, copied into this process.
    notify_fd: i32,
    /// The sentinel (0: none) and the pipe that fires it (-1: none or fired).
    sentinel_pid: i32 = 0,
    sentinel_wr: i32 = -1,
    /// The `bind-try` binds skipped, their source missing (layers/namespaces.zig).
    binds_skipped: std.StaticBitSet(namespaces.binds_max) = .initEmpty(),
};

/// Why `start` failed, for the user; `index`: the bind, at the bind stage.
pub const Failure = struct { stage: Stage = .none, errno_value: i32 = 0, index: u32 = 0 };

/// The paths execvp would try for `name`, in order, with the `PATH` of `envp`.
pub fn exec_candidates(
    arena: std.mem.Allocator,
    name: []const u8,
    envp: [*:null]const ?[*:0]const u8,
) error{OutOfMemory}![]const [*:0]const u8 {
    var list: std.ArrayListUnmanaged([*:0]const u8) = .empty;
    if (name.len == 0) return list.items;
    if (std.mem.indexOfScalar(u8, name, '/') != null) {
        try list.append(arena, try arena.dupeZ(u8, name));
        return list.items;
    }
    var dirs = std.mem.splitScalar(u8, env_value(envp, "PATH") orelse default_path, ':');
    while (dirs.next()) |dir| {
        if (list.items.len >= candidates_max) break;
        const path = if (dir.len == 0)
            try arena.dupeZ(u8, name) // an empty entry is the current directory
        else
            try std.fmt.allocPrintZ(arena, "{s}/{s}", .{ dir, name });
        if (path.len >= path_len_max) continue; // the kernel would say ENAMETOOLONG
        try list.append(arena, path);
    }
    assert(list.items.len <= candidates_max);
    return list.items;
}

fn env_value(envp: [*:null]const ?[*:0]const u8, key: []const u8) ?[]const u8 {
    var i: usize = 0;
    while (envp[i]) |entry| : (i += 1) {
        const text = std.mem.span(entry);
        if (text.len > key.len and text[key.len] == '=' and std.mem.eql(u8, text[0..key.len], key)) {
            return text[key.len + 1 ..];
        }
    }
    return null;
}

/// Forks the child and takes its listener. On failure the child is reaped and `failure` says
/// where it failed.
pub fn start(plan: *const Plan, failure: *Failure) sys.Errno!Child {
    assert(plan.program.len > 0 and plan.program.len <= std.math.maxInt(u16));
    const status = try sys.pipe(false);
    errdefer sys.close(status[0]);
    const ack = sys.pipe(false) catch |err| {
        sys.close(status[1]);
        return err;
    };
    errdefer sys.close(ack[1]);
    var sentinel_pipe: [2]i32 = .{ -1, -1 };
    if (plan.sentinel) sentinel_pipe = sys.pipe(false) catch |err| {
        sys.close(status[1]);
        sys.close(ack[0]);
        return err;
    };
    errdefer if (sentinel_pipe[1] >= 0) sys.close(sentinel_pipe[1]);
    const parent_tgid = sys.getpid();
    // In a new pid namespace the child cannot see its parent (getppid is 0): it watches syd
    // through a pidfd instead.
    var parent_pidfd: i32 = -1;
    if (plan.ns) |ns| if (ns.pid) {
        parent_pidfd = sys.pidfd_open(parent_tgid) catch |err| {
            sys.close(status[1]);
            sys.close(ack[0]);
            if (sentinel_pipe[0] >= 0) sys.close(sentinel_pipe[0]);
            return err;
        };
    };

    const rc = if (plan.ns) |ns|
        linux.syscall5(.clone, ns.clone_flags | linux.SIG.CHLD, 0, 0, 0, 0)
    else
        linux.fork();
    if (rc == 0) child_main(plan, status[1], ack[0], parent_tgid, parent_pidfd, sentinel_pipe[0]);
    if (parent_pidfd >= 0) sys.close(parent_pidfd);
    sys.close(status[1]);
    sys.close(ack[0]);
    if (sentinel_pipe[0] >= 0) sys.close(sentinel_pipe[0]);
    const pid: i32 = @intCast(sys.check(rc) catch |err| {
        failure.* = .{ .stage = .none, .errno_value = sys.errno_value(err) };
        return err;
    });
    errdefer reap(pid);

    var msg: Msg = undefined;
    var sentinel_pid: i32 = 0;
    errdefer if (sentinel_pid > 0) reap(sentinel_pid);
    var skipped: std.StaticBitSet(namespaces.binds_max) = .initEmpty();
    var msgs: u32 = 0;
    // The skipped binds, the sentinel's pid (when there is one), then the listener.
    while (msgs < namespaces.binds_max + 2) : (msgs += 1) {
        const len = try sys.read_full(status[0], std.mem.asBytes(&msg));
        if (len != @sizeOf(Msg)) {
            failure.* = .{ .stage = .handover, .errno_value = @intFromEnum(linux.E.PIPE) };
            return error.PIPE; // the child died before saying anything
        }
        if (msg.kind == .bind_skipped and msg.index < namespaces.binds_max) {
            skipped.set(msg.index);
            continue;
        }
        if (msg.kind != .sentinel or sentinel_pid != 0 or msg.value <= 0) break;
        sentinel_pid = msg.value;
    }
    if (msg.kind != .listener) {
        failure.* = .{ .stage = msg.stage, .errno_value = msg.value, .index = msg.index };
        return if (msg.value > 0) sys.errno_error(@enumFromInt(@as(u16, @intCast(msg.value)))) else error.PROTO;
    }
    const pidfd = try sys.pidfd_open(pid);
    errdefer sys.close(pidfd);
    const notify_fd = sys.pidfd_getfd(pidfd, msg.value) catch |err| {
        failure.* = .{ .stage = .handover, .errno_value = sys.errno_value(err) };
        return err;
    };
    assert(notify_fd >= 0);
    if (plan.sentinel and sentinel_pid == 0) return error.PROTO;
    return .{ .pid = pid, .pidfd = pidfd, .status_rd = status[0], .ack_wr = ack[1], .notify_fd = notify_fd, .sentinel_pid = sentinel_pid, .sentinel_wr = sentinel_pipe[1], .binds_skipped = skipped };
}

/// An init of namespaces made for a later join (layers/namespaces.zig `Join`).
pub const Init = struct {
    pid: i32,
    binds_skipped: std.StaticBitSet(namespaces.binds_max) = .initEmpty(),
    /// Lets the init hide itself (not dumpable), once syd opened its namespaces (`init_release`).
    ack_wr: i32 = -1,
};

/// Lets the init go on to hide itself and wait (its namespaces are opened). Idempotent.
pub fn init_release(init: *Init) void {
    if (init.ack_wr < 0) return;
    _ = sys.write(init.ack_wr, "x") catch 0;
    sys.close(init.ack_wr);
    init.ack_wr = -1;
}

/// Clones an init into the namespaces of `setup`, which builds them (its uid and gid maps, the
/// mounts, the new root) and then only waits (`namespaces.init_wait`). Returns once they are
/// built; on failure the init is reaped and `failure` says where it failed.
pub fn start_init(setup: *const namespaces.Setup, failure: *Failure) sys.Errno!Init {
    assert(setup.mount and setup.pid);
    const status = try sys.pipe(false);
    defer sys.close(status[0]);
    const ack = sys.pipe(false) catch |err| {
        sys.close(status[1]);
        return err;
    };
    errdefer sys.close(ack[1]);
    const parent_tgid = sys.getpid();
    const parent_pidfd = sys.pidfd_open(parent_tgid) catch |err| {
        sys.close(status[1]);
        sys.close(ack[0]);
        return err;
    };
    const rc = linux.syscall5(.clone, setup.clone_flags | linux.SIG.CHLD, 0, 0, 0, 0);
    if (rc == 0) init_main(setup, status[1], ack[0], parent_pidfd);
    sys.close(status[1]);
    sys.close(ack[0]);
    sys.close(parent_pidfd);
    const pid: i32 = @intCast(sys.check(rc) catch |err| {
        failure.* = .{ .stage = .none, .errno_value = sys.errno_value(err) };
        return err;
    });
    errdefer reap(pid);
    var init: Init = .{ .pid = pid, .ack_wr = ack[1] };
    var msg: Msg = undefined;
    var msgs: u32 = 0;
    while (msgs < namespaces.binds_max + 1) : (msgs += 1) {
        const len = try sys.read_full(status[0], std.mem.asBytes(&msg));
        if (len != @sizeOf(Msg)) {
            failure.* = .{ .stage = .handover, .errno_value = @intFromEnum(linux.E.PIPE) };
            return error.PIPE;
        }
        if (msg.kind == .bind_skipped and msg.index < namespaces.binds_max) {
            init.binds_skipped.set(msg.index);
            continue;
        }
        break;
    }
    if (msg.kind != .ns_ready) {
        failure.* = .{ .stage = msg.stage, .errno_value = msg.value, .index = msg.index };
        return if (msg.value > 0 and msg.value < 4096) sys.errno_error(@enumFromInt(@as(u16, @intCast(msg.value)))) else error.PROTO;
    }
    return init;
}

fn init_main(setup: *const namespaces.Setup, status_wr: i32, ack_rd: i32, parent_pidfd: i32) noreturn {
    sys.signals_reset_default();
    var rc = linux.syscall4(.rt_sigprocmask, linux.SIG.SETMASK, @intFromPtr(&@as(u64, 0)), 0, 8);
    if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, .signals, rc);
    rc = linux.prctl(@intFromEnum(linux.PR.SET_PDEATHSIG), linux.SIG.KILL, 0, 0, 0);
    if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, .parent_death_signal, rc);
    if (child_parent_gone(parent_pidfd)) linux.exit_group(127); // syd already died
    _ = linux.close(parent_pidfd);
    rc = linux.prctl(@intFromEnum(linux.PR.SET_DUMPABLE), 1, 0, 0, 0); // for its own maps
    if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, .dumpable, rc);
    child_status_wr = status_wr;
    if (namespaces.child_setup(setup, &note_skipped)) |failure| {
        child_send_at(status_wr, .setup_failed, @enumFromInt(@intFromEnum(failure.step)), @intFromEnum(linux.E.init(failure.rc)), failure.index);
        linux.exit_group(127);
    }
    child_send(status_wr, .ns_ready, .none, 0);
    _ = linux.close(status_wr);
    // Dumpable until syd has opened its namespaces (a syd that is not root may open a
    // non-dumpable process's only with CAP_SYS_PTRACE).
    var byte: u8 = 0;
    while (true) {
        rc = linux.read(ack_rd, @ptrCast(&byte), 1);
        if (linux.E.init(rc) != .INTR) break;
    }
    if (rc != 1) linux.exit_group(127); // syd gave up
    _ = linux.close(ack_rd);
    namespaces.init_wait(&drop_all_caps);
}

fn drop_all_caps() usize {
    return caps.child_drop_all(0);
}

/// Fires the sentinel: every sandboxed process is killed at once (layers/sentinel.zig). A
/// stopped sentinel is continued first; one that does not end within `sentinel_wait_ms` (or was
/// killed by the sandbox) leaves the work to reap.kill_all. Idempotent.
pub fn fire_sentinel(child: *Child) void {
    if (child.sentinel_wr < 0) return;
    assert(child.sentinel_pid > 0);
    // The sentinel is syd's child: its pid is not reused before syd reaps it.
    _ = linux.kill(child.sentinel_pid, linux.SIG.CONT);
    _ = sys.write(child.sentinel_wr, "x") catch 0;
    sys.close(child.sentinel_wr);
    child.sentinel_wr = -1;
    var waited_ms: u32 = 0;
    while (waited_ms < sentinel_wait_ms) : (waited_ms += 1) {
        var info: linux.siginfo_t = undefined;
        info.fields.common.first.piduid.pid = 0;
        const rc = linux.waitid(.PID, child.sentinel_pid, &info, linux.W.EXITED | linux.W.NOHANG);
        if (linux.E.init(rc) != .SUCCESS) break; // reaped already (ECHILD)
        if (info.fields.common.first.piduid.pid != 0) break;
        sys.sleep_ms(1);
    } else reap(child.sentinel_pid);
    child.sentinel_pid = 0;
}

const sentinel_wait_ms: u32 = 1000;

/// Lets the child exec. Call once the emulators are started.
pub fn release(child: *Child) sys.Errno!void {
    assert(child.ack_wr >= 0);
    const n = try sys.write(child.ack_wr, "x");
    assert(n == 1);
    sys.close(child.ack_wr);
    child.ack_wr = -1;
}

/// Waits for the child's exec: null when it succeeded, or its errno.
pub fn await_exec(child: *Child) sys.Errno!?i32 {
    assert(child.ack_wr == -1);
    var msg: Msg = undefined;
    const len = try sys.read_full(child.status_rd, std.mem.asBytes(&msg));
    sys.close(child.status_rd);
    child.status_rd = -1;
    if (len == 0) return null; // close-on-exec closed the pipe: the exec went through
    if (len != @sizeOf(Msg) or msg.kind != .exec_failed or msg.value <= 0) return error.PROTO;
    return msg.value;
}

/// Kills the child (if it has not ended yet) and reaps it. For failure paths.
pub fn reap(pid: i32) void {
    assert(pid > 0);
    _ = linux.kill(pid, linux.SIG.KILL);
    _ = sys.wait_exit(pid) catch {};
}

pub fn close(child: *Child) void {
    fire_sentinel(child);
    if (child.status_rd >= 0) sys.close(child.status_rd);
    if (child.ack_wr >= 0) sys.close(child.ack_wr);
    sys.close(child.pidfd);
    sys.close(child.notify_fd);
    child.* = .{ .pid = child.pid, .pidfd = -1, .status_rd = -1, .ack_wr = -1, .notify_fd = -1 };
}

/// The exit code a shell would show for a raw wait status: the code, or 128+N for signal N.
pub fn exit_code(status: u32) i32 {
    if (linux.W.IFEXITED(status)) return linux.W.EXITSTATUS(status);
    if (linux.W.IFSIGNALED(status)) return 128 + @as(i32, @intCast(linux.W.TERMSIG(status)));
    return 255;
}

// ---- the child: raw system calls only from here on ----

fn child_send(fd: i32, kind: Msg.Kind, stage: Stage, value: i32) void {
    child_send_at(fd, kind, stage, value, 0);
}

fn child_send_at(fd: i32, kind: Msg.Kind, stage: Stage, value: i32, index: u32) void {
    const msg: Msg = .{ .kind = kind, .stage = stage, .value = value, .index = index };
    _ = linux.write(fd, std.mem.asBytes(&msg), @sizeOf(Msg));
}

/// The status pipe, for `note_skipped` (the child is single-threaded: a copy of this variable is
/// its own).
var child_status_wr: i32 = -1;

fn note_skipped(skipped: namespaces.Skipped) void {
    child_send_at(child_status_wr, .bind_skipped, .none, @intCast(skipped.errno_value), skipped.index);
}

/// Whether the process `pidfd` names has ended (its pidfd is readable).
fn child_parent_gone(pidfd: i32) bool {
    var fds = [1]linux.pollfd{.{ .fd = pidfd, .events = linux.POLL.IN, .revents = 0 }};
    const rc = linux.poll(&fds, 1, 0);
    return linux.E.init(rc) != .SUCCESS or rc != 0;
}

const pr_set_mdwe: u32 = 65;
const pr_mdwe_refuse_exec_gain: usize = 1;
const pr_set_speculation_ctrl: u32 = 53;
const pr_spec_force_disable: u32 = 8;
/// PR_SPEC_STORE_BYPASS, PR_SPEC_INDIRECT_BRANCH, PR_SPEC_L1D_FLUSH.
const speculation_features = [_]u32{ 0, 1, 2 };

/// In the child (raw system calls): each feature force-disabled where the kernel lets a
/// process choose (ENXIO, EPERM or EINVAL otherwise: left as it is).
fn mitigate_speculation() void {
    for (speculation_features) |feature| {
        _ = linux.prctl(pr_set_speculation_ctrl, feature, pr_spec_force_disable, 0, 0);
    }
}

fn child_fail(fd: i32, stage: Stage, rc: usize) noreturn {
    child_send(fd, .setup_failed, stage, @intFromEnum(linux.E.init(rc)));
    linux.exit_group(127);
}

/// READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE | ADDR_COMPAT_LAYOUT | MMAP_PAGE_ZERO.
const personas_unsafe: usize = 0x0400000 | 0x0040000 | 0x0200000 | 0x0100000;

fn child_main(plan: *const Plan, status_wr: i32, ack_rd: i32, parent_tgid: i32, parent_pidfd: i32, sentinel_rd: i32) noreturn {
    sys.signals_reset_default();
    var rc = linux.syscall4(.rt_sigprocmask, linux.SIG.SETMASK, @intFromPtr(&@as(u64, 0)), 0, 8);
    if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, .signals, rc);
    rc = linux.prctl(@intFromEnum(linux.PR.SET_PDEATHSIG), linux.SIG.KILL, 0, 0, 0);
    if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, .parent_death_signal, rc);
    if (parent_pidfd >= 0) {
        if (child_parent_gone(parent_pidfd)) linux.exit_group(127); // syd already died
        _ = linux.close(parent_pidfd);
    } else if (linux.getppid() != parent_tgid) linux.exit_group(127); // syd already died
    _ = linux.prctl(@intFromEnum(linux.PR.SET_NAME), @intFromPtr(&plan.comm), 0, 0, 0); // a name only
    if (plan.join) |join| {
        rc = namespaces.child_join(join);
        if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, @enumFromInt(@intFromEnum(namespaces.Step.join)), rc);
    }
    if (plan.ns) |ns| {
        // Dumpable first: the kernel makes a non-dumpable process's /proc/self files root's,
        // and a syd that is not root could not write its own uid and gid maps.
        rc = linux.prctl(@intFromEnum(linux.PR.SET_DUMPABLE), 1, 0, 0, 0);
        if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, .dumpable, rc);
        child_status_wr = status_wr;
        if (namespaces.child_setup(ns, &note_skipped)) |failure| {
            child_send_at(status_wr, .setup_failed, @enumFromInt(@intFromEnum(failure.step)), @intFromEnum(linux.E.init(failure.rc)), failure.index);
            linux.exit_group(127);
        }
    }
    rc = caps.child_drop_all(plan.keep_caps);
    if (rc != 0) child_fail(status_wr, .capabilities, rc);
    caps.child_exec_securebits(plan.exec_securebits);
    if (plan.speculation_mitigated) mitigate_speculation();
    if (plan.mdwe) _ = linux.prctl(pr_set_mdwe, pr_mdwe_refuse_exec_gain, 0, 0, 0);
    if (plan.strip_personas) {
        const persona = linux.syscall1(.personality, 0xffff_ffff);
        if (linux.E.init(persona) != .SUCCESS) child_fail(status_wr, .capabilities, persona);
        if (persona & personas_unsafe != 0) {
            rc = linux.syscall1(.personality, persona & ~personas_unsafe);
            if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, .capabilities, rc);
        }
    }
    // syd is not dumpable and the fork copied that: syd copies the listener out of this
    // process (pidfd_getfd), which a non-dumpable target refuses without CAP_SYS_PTRACE.
    rc = linux.prctl(@intFromEnum(linux.PR.SET_DUMPABLE), 1, 0, 0, 0);
    if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, .dumpable, rc);
    rc = linux.prctl(@intFromEnum(linux.PR.SET_NO_NEW_PRIVS), 1, 0, 0, 0);
    if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, .no_new_privs, rc);
    if (plan.landlock_abi >= 1) {
        rc = landlock.child_enter(plan.landlock_abi, plan.scope_abstract);
        if (rc != 0) child_fail(status_wr, .landlock, rc);
    }
    if (sentinel_rd >= 0) {
        assert(plan.sentinel and plan.landlock_abi >= landlock.abi_scoped_signals);
        rc = sentinel.child_start(sentinel_rd);
        if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, .sentinel, rc);
        child_send(status_wr, .sentinel, .sentinel, @intCast(rc));
        // The sandbox goes one domain down: the sentinel (in the parent domain) can still kill
        // it, and nothing in it can signal or trace the sentinel.
        rc = landlock.child_enter(plan.landlock_abi, plan.scope_abstract);
        if (rc != 0) child_fail(status_wr, .landlock, rc);
    }

    if (plan.ioctl_program.len > 0) {
        const denylist: SockFprog = .{ .len = @intCast(plan.ioctl_program.len), .filter = plan.ioctl_program.ptr };
        rc = linux.seccomp(linux.SECCOMP.SET_MODE_FILTER, 0, &denylist);
        if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, .seccomp, rc);
    }
    const prog: SockFprog = .{ .len = @intCast(plan.program.len), .filter = plan.program.ptr };
    rc = linux.seccomp(linux.SECCOMP.SET_MODE_FILTER, notify.filter_flag_new_listener | notify.filter_flag_wait_killable_recv, &prog);
    if (linux.E.init(rc) == .INVAL) { // before 5.19
        rc = linux.seccomp(linux.SECCOMP.SET_MODE_FILTER, notify.filter_flag_new_listener, &prog);
    }
    if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, .seccomp, rc);
    const listener: i32 = @intCast(rc);
    // From here on a trapped call would wait for a worker: make none until the parent answers.
    child_send(status_wr, .listener, .handover, listener);
    var byte: u8 = 0;
    while (true) {
        rc = linux.read(ack_rd, @ptrCast(&byte), 1);
        if (linux.E.init(rc) != .INTR) break;
    }
    if (rc != 1) linux.exit_group(127); // the parent gave up on us
    _ = linux.close(listener);
    if (plan.command_child) {
        // The namespace's init (or, joining one, the process that joined it) forks the
        // command (pid 2) and stays behind; only the command returns here.
        rc = namespaces.init_run(plan.init_wait_all);
        if (linux.E.init(rc) != .SUCCESS) child_fail(status_wr, @enumFromInt(@intFromEnum(namespaces.Step.init)), rc);
        _ = linux.close(ack_rd);
    }
    if (!plan.pass_all) close_unpassed(plan.pass_ranges);
    child_exec(plan, status_wr);
}

/// In the child: every fd outside `ranges` (sorted, disjoint) becomes close-on-exec, so the
/// program inherits only the fds passfd names (CLOSE_RANGE_CLOEXEC, Linux 5.11; on an older
/// kernel the fds stay, as without passfd). Raw system calls only.
fn close_unpassed(ranges: []const [2]u32) void {
    const close_range_cloexec: usize = 4;
    var next: u32 = 0;
    for (ranges) |range| {
        if (range[0] > next) _ = linux.syscall3(.close_range, next, range[0] - 1, close_range_cloexec);
        if (range[1] == std.math.maxInt(u32)) return;
        next = @max(next, range[1] + 1);
    }
    _ = linux.syscall3(.close_range, next, std.math.maxInt(u32), close_range_cloexec);
}

/// For the calling thread (syd's run thread, before it forks the sandbox's first process, which
/// inherits it): a new mount namespace whose mounts follow syd's (slave propagation: mounts made
/// outside appear inside, none made inside leak out), with a procfs of its own over /proc, mounted
/// hidepid=ptraceable (whatever the caller's groups): /proc/PID of a process the caller cannot
/// ptrace (syd, not dumpable; anything outside the sandbox's Landlock domain) does not exist for
/// it. Made here, not in the child: the Lock sandboxing domain (layers/landlock.zig), which the
/// thread enters next, forbids mounting, and its `/proc` grant must name this procfs. The
/// thread's own fs struct first (CLONE_FS): a mount namespace is per thread only with it. Once
/// the child is forked the thread goes back to syd's namespace (`return_to`): syd's threads never
/// look up their own /proc/PID in the sandbox's procfs (a cached entry would exist for it: EPERM
/// where it must be ENOENT). Returns the failing call's raw result, or 0.
pub fn private_proc() usize {
    const ms_nosuid: u32 = 0x2;
    const ms_nodev: u32 = 0x4;
    const ms_noexec: u32 = 0x8;
    const ms_slave: u32 = 0x80000;
    var rc = linux.unshare(linux.CLONE.FS | linux.CLONE.NEWNS);
    if (linux.E.init(rc) != .SUCCESS) return rc;
    rc = linux.mount("none", "/", null, ms_rec | ms_slave, 0);
    if (linux.E.init(rc) != .SUCCESS) return rc;
    rc = linux.mount("proc", "/proc", "proc", ms_nosuid | ms_nodev | ms_noexec, @intFromPtr("hidepid=ptraceable"));
    if (linux.E.init(rc) != .SUCCESS) return rc;
    // Root without capabilities may still write what root owns: the kernel's settings
    // (core_pattern runs a program as full root outside every namespace), the magic SysRq key,
    // IRQ affinities and PCI config space, cgroups (freezing or moving syd). Read-only in the
    // sandbox's view.
    for ([_][*:0]const u8{ "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs" }) |path| {
        rc = linux.mount(path, path, null, ms_bind | ms_rec, 0);
        if (linux.E.init(rc) == .NOENT) continue; // a kernel without SysRq, PCI, ...
        if (linux.E.init(rc) != .SUCCESS) return rc;
        rc = linux.mount("none", path, null, ms_bind | ms_remount | ms_rdonly | ms_nosuid | ms_nodev | ms_noexec, 0);
        if (linux.E.init(rc) != .SUCCESS) return rc;
    }
    // /sys and every mount below it (cgroupfs); where /sys is no mount of its own, nothing to do.
    const attr = MountAttr{ .attr_set = mount_attr_rdonly, .attr_clr = 0, .propagation = 0, .userns_fd = 0 };
    rc = linux.syscall5(.mount_setattr, @bitCast(@as(isize, linux.AT.FDCWD)), @intFromPtr("/sys"), at_recursive, @intFromPtr(&attr), @sizeOf(MountAttr));
    if (linux.E.init(rc) != .SUCCESS and linux.E.init(rc) != .INVAL and linux.E.init(rc) != .NOENT) return rc;
    return 0;
}

/// The calling thread returns to the mount namespace `ns_fd` names (syd's own, opened before
/// `private_proc`) and to the working directory `cwd_fd` (setns moves it to the root). Returns
/// the failing call's raw result, or 0.
pub fn return_to(ns_fd: i32, cwd_fd: i32) usize {
    assert(ns_fd >= 0 and cwd_fd >= 0);
    const rc = linux.syscall2(.setns, @as(usize, @intCast(ns_fd)), linux.CLONE.NEWNS);
    if (linux.E.init(rc) != .SUCCESS) return rc;
    return linux.fchdir(cwd_fd);
}

const ms_rdonly: u32 = 0x1;
const ms_remount: u32 = 0x20;
const ms_bind: u32 = 0x1000;
const ms_rec: u32 = 0x4000;
const at_recursive: usize = 0x8000;
const mount_attr_rdonly: u64 = 0x1;
const MountAttr = extern struct { attr_set: u64, attr_clr: u64, propagation: u64, userns_fd: u64 };

/// Tries each candidate as execvp does; on failure reports the errno and exits.
fn child_exec(plan: *const Plan, status_wr: i32) noreturn {
    var saw_eacces = false;
    var last: linux.E = .NOENT;
    for (plan.candidates) |path| {
        const rc = linux.execve(path, plan.argv, plan.envp);
        last = linux.E.init(rc);
        switch (last) {
            .ACCES => saw_eacces = true,
            .NOENT, .NOTDIR, .NODEV, .TIMEDOUT, .STALE => {},
            else => break, // a real error with an existing file: report it
        }
    }
    if (saw_eacces and (last == .NOENT or last == .NOTDIR)) last = .ACCES;
    child_send(status_wr, .exec_failed, .exec, @intFromEnum(last));
    linux.exit_group(127);
}

test "exec_candidates searches PATH in order, and not for a name with a slash" {
    var arena = std.heap.ArenaAllocator.init(std.testing.allocator);
    defer arena.deinit();
    const envp = [_:null]?[*:0]const u8{ "HOME=/root", "PATH=/usr/local/bin::/bin" };
    const list = try exec_candidates(arena.allocator(), "sh", &envp);
    try std.testing.expectEqual(@as(usize, 3), list.len);
    try std.testing.expectEqualStrings("/usr/local/bin/sh", std.mem.span(list[0]));
    try std.testing.expectEqualStrings("sh", std.mem.span(list[1]));
    try std.testing.expectEqualStrings("/bin/sh", std.mem.span(list[2]));
    const direct = try exec_candidates(arena.allocator(), "./x/sh", &envp);
    try std.testing.expectEqual(@as(usize, 1), direct.len);
    try std.testing.expectEqual(@as(usize, 0), (try exec_candidates(arena.allocator(), "", &envp)).len);
    const no_path = [_:null]?[*:0]const u8{"PATHX=/nope"};
    const defaults = try exec_candidates(arena.allocator(), "ls", &no_path);
    try std.testing.expectEqualStrings("/bin/ls", std.mem.span(defaults[0]));
}

test "exit_code follows the shell: the code, or 128 plus the signal" {
    try std.testing.expectEqual(@as(i32, 42), exit_code(42 << 8));
    try std.testing.expectEqual(@as(i32, 0), exit_code(0));
    try std.testing.expectEqual(@as(i32, 143), exit_code(15));
    try std.testing.expectEqual(@as(i32, 137), exit_code(9 | 0x80)); // core-dump bit set
}
