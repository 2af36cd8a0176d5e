//! The FFI surface of libsyd.so: every exported function and every structure that crosses the
//! boundary to TypeScript (lib/native.ts holds the matching symbol table).
//!
//! Needs: Linux x86_64; see the files each export calls for kernel features.
//! Assumes of callers: handles come from `syd_sandbox_new` and are freed once with
//! `syd_sandbox_free`; buffers stay alive until the call (or, for `syd_run`, which Deno calls
//! nonblocking, its promise) settles. Every error crosses as a negative errno, with a message
//! readable once with `syd_last_error`. A handle that is not live is refused (EBADF), never
//! dereferenced.

const std = @import("std");
const assert = std.debug.assert;
const sys = @import("kernel/sys.zig");
const policy = @import("judge/policy.zig");
const dump = @import("filter/dump.zig");
const probe = @import("kernel/probe.zig");
const landlock = @import("layers/landlock.zig");
const scmp = @import("filter/scmp.zig");
const force = @import("exec/force.zig");
const sandbox_mod = @import("run/sandbox.zig");
const Sandbox = sandbox_mod.Sandbox;

/// Bumped whenever an export or a structure below changes; lib/native.ts checks it.
pub const abi_version: u32 = 4;

pub const Features = extern struct {
    abi_version: u32,
    user_notif: u8,
    notif_sizes_ok: u8,
    addfd: u8,
    sync_wake_up: u8,
    libseccomp_major: u32,
    libseccomp_minor: u32,
    libseccomp_micro: u32,
    /// The kernel's Landlock ABI version (0: none).
    landlock_abi: u32,
};

pub const RunResult = extern struct {
    wait_status: u32,
    exit_code: i32,
    exec_errno: i32,
    workers_peak: u32,
    notifications: u64,
    log_dropped: u64,
};

comptime {
    assert(@sizeOf(Features) == 24);
    assert(@sizeOf(RunResult) == 32);
    assert(@offsetOf(RunResult, "notifications") == 16);
}

// ---- errors: one message, read once ----

var last_error_mutex: std.Thread.Mutex = .{};
var last_error_buf: [256]u8 = undefined;
var last_error_len: usize = 0;

fn fail(err: sys.Errno, message: []const u8) i32 {
    last_error_mutex.lock();
    defer last_error_mutex.unlock();
    const len = @min(message.len, last_error_buf.len);
    @memcpy(last_error_buf[0..len], message[0..len]);
    last_error_len = len;
    const value = sys.errno_value(err);
    assert(value > 0);
    return -value;
}

/// size_t syd_last_error(char *buf, size_t len): copies the last error message (not
/// terminated) and forgets it; returns its length.
export fn syd_last_error(buf: [*]u8, len: usize) usize {
    last_error_mutex.lock();
    defer last_error_mutex.unlock();
    const n = @min(len, last_error_len);
    @memcpy(buf[0..n], last_error_buf[0..n]);
    last_error_len = 0;
    return n;
}

/// size_t syd_strerror(int32_t errnum, char *buf, size_t len): the C library's text for errnum.
export fn syd_strerror(errnum: i32, buf: [*]u8, len: usize) usize {
    const text = sandbox_mod.errno_text(errnum);
    const n = @min(len, text.len);
    @memcpy(buf[0..n], text[0..n]);
    return n;
}

// ---- live handles ----

const handles_max = 16;
var handles_mutex: std.Thread.Mutex = .{};
var handles: [handles_max]?*Sandbox = .{null} ** handles_max;

fn handle_add(sandbox: *Sandbox) bool {
    handles_mutex.lock();
    defer handles_mutex.unlock();
    for (&handles) |*slot| if (slot.* == null) {
        slot.* = sandbox;
        return true;
    };
    return false;
}

fn handle_get(handle: u64) ?*Sandbox {
    handles_mutex.lock();
    defer handles_mutex.unlock();
    for (handles) |slot| if (slot) |sandbox| if (@intFromPtr(sandbox) == handle) return sandbox;
    return null;
}

fn handle_remove(handle: u64) ?*Sandbox {
    handles_mutex.lock();
    defer handles_mutex.unlock();
    for (&handles) |*slot| if (slot.*) |sandbox| if (@intFromPtr(sandbox) == handle) {
        slot.* = null;
        return sandbox;
    };
    return null;
}

// ---- exports ----

/// uint32_t syd_abi_version(void)
export fn syd_abi_version() u32 {
    return abi_version;
}

/// int32_t syd_probe(struct Features *out): what the kernel and libseccomp offer.
export fn syd_probe(out: *Features) i32 {
    const found = probe.run();
    const version = scmp.version();
    out.* = .{
        .abi_version = abi_version,
        .user_notif = @intFromBool(found.user_notif),
        .notif_sizes_ok = @intFromBool(found.notif_sizes_ok),
        .addfd = @intFromBool(found.addfd),
        .sync_wake_up = @intFromBool(found.sync_wake_up),
        .libseccomp_major = version.major,
        .libseccomp_minor = version.minor,
        .libseccomp_micro = version.micro,
        .landlock_abi = landlock.abi(),
    };
    return 0;
}

/// int32_t syd_hash_file(const uint8_t *alg, size_t alg_len, const char *path, uint8_t *out,
/// size_t out_len): the digest of the file at `path` (NUL-terminated; a regular file or a FIFO,
/// as the original's syd-sum) by Force sandboxing's algorithm `alg` (`syd sum`); its length, or
/// -EINVAL (an unknown algorithm, `out` too short), -EBADFD (another kind of file), or the
/// open's or read's -errno.
export fn syd_hash_file(alg_ptr: [*]const u8, alg_len: usize, path: [*:0]const u8, out: [*]u8, out_len: usize) i32 {
    const linux = std.os.linux;
    const alg = force.Alg.parse(alg_ptr[0..alg_len]) orelse return -@as(i32, @intFromEnum(linux.E.INVAL));
    if (out_len < alg.digest_len()) return -@as(i32, @intFromEnum(linux.E.INVAL));
    const fd: i32 = @intCast(sys.retry(linux.open, .{ path, linux.O{ .CLOEXEC = true }, @as(linux.mode_t, 0) }) catch |err|
        return -sys.errno_value(err));
    defer sys.close(fd);
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch |err| return -sys.errno_value(err);
    const fifo = linux.S.ISFIFO(st.mode);
    if (!linux.S.ISREG(st.mode) and !fifo) return -@as(i32, @intFromEnum(linux.E.BADFD));
    var digest: [force.digest_len_max]u8 = undefined;
    const found = force.hash_file(alg, fd, fifo, &digest) catch |err| return -sys.errno_value(err);
    @memcpy(out[0..found.len], found);
    return @intCast(found.len);
}

/// int32_t syd_sandbox_new(const uint8_t *policy_json, size_t len, uint64_t *out_handle)
export fn syd_sandbox_new(json: [*]const u8, len: usize, out_handle: *u64) i32 {
    if (len > 64 << 20) return fail(error.@"2BIG", "policy document is larger than 64 MiB");
    var diag: policy.Diag = .{};
    const sandbox = Sandbox.create(json[0..len], &diag) catch |err| return fail(err, diag.text());
    if (!handle_add(sandbox)) {
        sandbox.destroy();
        return fail(error.MFILE, "too many sandboxes at once");
    }
    out_handle.* = @intFromPtr(sandbox);
    return 0;
}

/// int32_t syd_sandbox_log_fd(uint64_t handle): the log pipe's read end (close-on-exec).
export fn syd_sandbox_log_fd(handle: u64) i32 {
    const sandbox = handle_get(handle) orelse return fail(error.BADF, "no such sandbox");
    if (sandbox.log_rd < 0) return fail(error.BADF, "the log pipe was handed over already");
    return sandbox.log_rd;
}

/// int32_t syd_sandbox_log_fd_close(uint64_t handle): closes syd's copy of the read end, once
/// the reader opened its own (through /proc/self/fd/N).
export fn syd_sandbox_log_fd_close(handle: u64) i32 {
    const sandbox = handle_get(handle) orelse return fail(error.BADF, "no such sandbox");
    sandbox.log_rd_close();
    return 0;
}

/// int32_t syd_sandbox_log_ack(uint64_t handle, uint32_t seq): the reader wrote out every
/// access record up to `"sync":seq`; their writers (emulators waiting to answer) resume.
export fn syd_sandbox_log_ack(handle: u64, seq: u32) i32 {
    const sandbox = handle_get(handle) orelse return fail(error.BADF, "no such sandbox");
    sandbox.log.ack(seq);
    return 0;
}

/// int32_t syd_sandbox_export(uint64_t handle, uint32_t format, int32_t out_fd, const char *dir,
/// size_t dir_len): every seccomp filter of the sandbox's policy, as pfc text to out_fd
/// (format 0) or as raw BPF files created new in dir (format 1; their paths go to out_fd).
export fn syd_sandbox_export(handle: u64, format: u32, out_fd: i32, dir: ?[*]const u8, dir_len: usize) i32 {
    const sandbox = handle_get(handle) orelse return fail(error.BADF, "no such sandbox");
    if (format > 1) return fail(error.INVAL, "unknown export format");
    if (out_fd < 0) return fail(error.BADF, "no fd to write to");
    if (dir_len > 4000) return fail(error.NAMETOOLONG, "the directory name is too long");
    const dir_text: []const u8 = if (dir) |ptr| ptr[0..dir_len] else "";
    if (format == 1 and dir_text.len == 0) return fail(error.INVAL, "no directory for the BPF files");
    const rules = sandbox.channel.policy_now();
    var diag: policy.Diag = .{};
    dump.dump(sandbox_mod.filter_options(rules), rules.ioctl_rules, rules.lock, sandbox_mod.emulators_make_sockets(rules), sandbox_mod.setid_caps(rules) != 0, sandbox_mod.skip_confinement(), &rules.landlock, rules.limits, &rules.namespaces, @enumFromInt(format), out_fd, dir_text, &diag) catch |err|
        return fail(err, if (diag.len > 0) diag.text() else "cannot export the filters");
    return 0;
}

/// int32_t syd_sandbox_cmd_fd(uint64_t handle): the read end of /dev/syd's command pipe
/// (close-on-exec): one JSON line per command, `{"id":N,"pid":P,"cmd":"..."}`.
export fn syd_sandbox_cmd_fd(handle: u64) i32 {
    const sandbox = handle_get(handle) orelse return fail(error.BADF, "no such sandbox");
    if (sandbox.channel.pipe_rd < 0) return fail(error.BADF, "the command pipe was handed over already");
    return sandbox.channel.pipe_rd;
}

/// int32_t syd_sandbox_cmd_fd_close(uint64_t handle): closes syd's copy of the read end, once
/// the reader opened its own (through /proc/self/fd/N).
export fn syd_sandbox_cmd_fd_close(handle: u64) i32 {
    const sandbox = handle_get(handle) orelse return fail(error.BADF, "no such sandbox");
    if (sandbox.channel.pipe_rd >= 0) sys.close(sandbox.channel.pipe_rd);
    sandbox.channel.pipe_rd = -1;
    return 0;
}

/// int32_t syd_sandbox_cmd_reply(uint64_t handle, uint64_t id, int32_t errnum,
/// const uint8_t *policy_json, size_t len): answers command `id` with an errno (0: done), and
/// with the new compiled policy when the command changed it (len 0: unchanged).
export fn syd_sandbox_cmd_reply(handle: u64, id: u64, errnum: i32, json: ?[*]const u8, len: usize) i32 {
    const sandbox = handle_get(handle) orelse return fail(error.BADF, "no such sandbox");
    if (errnum < 0 or errnum > 4095) return fail(error.INVAL, "the errno is out of range");
    if (len > 64 << 20) return fail(error.@"2BIG", "policy document is larger than 64 MiB");
    const text: ?[]const u8 = if (len == 0) null else if (json) |ptr| ptr[0..len] else return fail(error.FAULT, "no policy document");
    var diag: policy.Diag = .{};
    sandbox.channel.reply(id, errnum, text, &diag) catch |err| return fail(err, if (diag.len > 0) diag.text() else "nobody waits for that command any more");
    return 0;
}

/// int32_t syd_run(uint64_t handle, const char *const *argv, const char *const *envp,
/// struct RunResult *out, const char *file): runs argv under the sandbox until it ends
/// (nonblocking in Deno); file is the program, found as execvp(3) does (NULL: argv[0]).
export fn syd_run(
    handle: u64,
    argv: [*:null]const ?[*:0]const u8,
    envp: [*:null]const ?[*:0]const u8,
    out: *RunResult,
    file: ?[*:0]const u8,
) i32 {
    const sandbox = handle_get(handle) orelse return fail(error.BADF, "no such sandbox");
    var diag: policy.Diag = .{};
    const outcome = sandbox.run(file, argv, envp, &diag) catch |err| return fail(err, diag.text());
    out.* = .{
        .wait_status = outcome.wait_status,
        .exit_code = outcome.exit_code,
        .exec_errno = outcome.exec_errno,
        .workers_peak = outcome.workers_peak,
        .notifications = outcome.notifications,
        .log_dropped = sandbox.log.dropped.load(.monotonic),
    };
    return 0;
}

/// int32_t syd_sandbox_signal(uint64_t handle, int32_t sig): forwards SIGHUP, SIGINT, SIGQUIT
/// or SIGTERM to the sandbox's first process while it runs.
export fn syd_sandbox_signal(handle: u64, sig: i32) i32 {
    const sandbox = handle_get(handle) orelse return fail(error.BADF, "no such sandbox");
    sandbox.signal(sig) catch |err| return fail(err, "cannot forward the signal");
    return 0;
}

/// void syd_sandbox_free(uint64_t handle): ends the log (the reader sees end of file).
export fn syd_sandbox_free(handle: u64) void {
    const sandbox = handle_remove(handle) orelse return;
    sandbox.destroy();
}

/// Panics: an emulator thread handling a call recovers (workers/emu.zig: the call is answered
/// EACCES and the thread ends); anywhere else syd aborts, as Zig's default handler does.
pub const panic = std.debug.FullPanic(on_panic);

fn on_panic(msg: []const u8, first_trace_addr: ?usize) noreturn {
    @import("workers/emu.zig").on_panic(msg);
    // A confined thread may not make the calls Zig's default handler makes (rt_sigaction...):
    // it says why itself and ends syd with SIGABRT, which every allow-list permits.
    if (@import("run/pool.zig").thread_confined()) confined_abort(msg);
    std.debug.defaultPanic(msg, first_trace_addr);
}

fn confined_abort(msg: []const u8) noreturn {
    const linux = std.os.linux;
    var buf: [512]u8 = undefined;
    const line = std.fmt.bufPrint(&buf, "syd: panic in a confined thread: {s}\n", .{msg}) catch "syd: panic\n";
    _ = linux.write(2, line.ptr, line.len);
    var set = std.mem.zeroes(linux.sigset_t);
    linux.sigaddset(&set, linux.SIG.ABRT);
    _ = linux.sigprocmask(linux.SIG.UNBLOCK, &set, null);
    _ = linux.tgkill(linux.getpid(), linux.gettid(), linux.SIG.ABRT);
    @trap(); // SIGABRT was caught or ignored: SIGILL ends the process
}

test {
    _ = @import("kernel/sys.zig");
    _ = @import("kernel/notify.zig");
    _ = @import("run/log.zig");
    _ = @import("judge/policy.zig");
    _ = @import("run/pool.zig");
    _ = @import("run/spawn.zig");
    _ = @import("kernel/probe.zig");
    _ = @import("filter/sandbox.zig");
    _ = @import("filter/confine.zig");
    _ = @import("filter/dump.zig");
    _ = @import("workers/emu.zig");
    _ = @import("workers/out.zig");
    _ = @import("workers/int.zig");
    _ = @import("run/reap.zig");
    _ = @import("run/magic.zig");
    _ = @import("kernel/fault.zig");
    _ = @import("handlers/signal.zig");
    _ = @import("handlers/process.zig");
    _ = @import("handlers/procfs.zig");
    _ = @import("handlers/magic.zig");
    _ = @import("judge/glob.zig");
    _ = @import("judge/path.zig");
    _ = @import("kernel/caller.zig");
    _ = @import("handlers/mod.zig");
    _ = @import("handlers/open.zig");
    _ = @import("handlers/tty.zig");
    _ = @import("handlers/sysinfo.zig");
    _ = @import("handlers/memory.zig");
    _ = @import("handlers/setid.zig");
    _ = @import("layers/namespaces.zig");
    _ = @import("handlers/exec.zig");
    _ = @import("exec/force.zig");
    _ = @import("exec/mmap.zig");
    _ = @import("exec/freeze.zig");
    _ = @import("exec/identity.zig");
    _ = @import("handlers/emulate.zig");
    _ = @import("handlers/recvfd.zig");
    _ = @import("handlers/mknod.zig");
    _ = @import("handlers/truncate.zig");
    _ = @import("handlers/dirops.zig");
    _ = @import("handlers/metadata.zig");
    _ = @import("handlers/dir.zig");
    _ = @import("handlers/stat.zig");
    _ = @import("handlers/harden.zig");
    _ = @import("handlers/net.zig");
    _ = @import("handlers/unix_names.zig");
}

test "a handle that is not live is refused" {
    var result: RunResult = undefined;
    const argv = [_:null]?[*:0]const u8{"true"};
    try std.testing.expectEqual(@as(i32, -9), syd_run(0xdead0000, &argv, &argv, &result, null));
    var buf: [64]u8 = undefined;
    try std.testing.expectEqualStrings("no such sandbox", buf[0..syd_last_error(&buf, buf.len)]);
    try std.testing.expectEqual(@as(usize, 0), syd_last_error(&buf, buf.len));
}
