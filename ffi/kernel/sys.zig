//! Raw Linux system calls for syd, as errno-returning wrappers.
//!
//! Needs: Linux x86_64 (raw `syscall` instructions through `std.os.linux`).
//! Assumes: callers handle every errno they can meet. `EINTR` is retried in exactly one
//! place, `retry()`; a wrapper that must see `EINTR` (a notify receive that a signal may
//! interrupt on purpose) calls `check()` instead. Nothing here allocates or takes a lock, so
//! the wrappers are safe in a child between `fork()` and `execve()`.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;

/// Every errno as a Zig error (`error.NOENT`, `error.INTR`, ...), named as in `linux.E`.
pub const Errno = blk: {
    const fields = @typeInfo(linux.E).@"enum".fields;
    var errors: [fields.len - 1]std.builtin.Type.Error = undefined;
    var count: usize = 0;
    for (fields) |field| {
        if (std.mem.eql(u8, field.name, "SUCCESS")) continue;
        errors[count] = .{ .name = field.name };
        count += 1;
    }
    assert(count == errors.len);
    break :blk @Type(.{ .error_set = &errors });
};

/// The Zig error for a non-zero errno. Values the kernel never returns map to `error.INVAL`.
pub fn errno_error(e: linux.E) Errno {
    assert(e != .SUCCESS);
    inline for (@typeInfo(linux.E).@"enum".fields) |field| {
        if (comptime std.mem.eql(u8, field.name, "SUCCESS")) continue;
        if (@intFromEnum(e) == field.value) return @field(Errno, field.name);
    }
    return error.INVAL;
}

/// The errno number of a Zig errno error: what a seccomp answer or an exit status carries.
pub fn errno_value(err: Errno) i32 {
    switch (err) {
        inline else => |e| return @intFromEnum(@field(linux.E, @errorName(e))),
    }
}

/// The result of a raw system call, as a value or an errno.
pub fn check(rc: usize) Errno!usize {
    return switch (linux.E.init(rc)) {
        .SUCCESS => rc,
        else => |e| errno_error(e),
    };
}

/// Runs a raw system call until it is not interrupted: the one place `EINTR` is retried.
pub fn retry(comptime f: anytype, args: anytype) Errno!usize {
    const attempts_max: u32 = 1 << 20; // A signal storm, not progress: give up loudly.
    var attempt: u32 = 0;
    while (attempt < attempts_max) : (attempt += 1) {
        const rc: usize = @call(.auto, f, args);
        switch (linux.E.init(rc)) {
            .SUCCESS => return rc,
            .INTR => continue,
            else => |e| return errno_error(e),
        }
    }
    return error.INTR;
}

pub fn close(fd: i32) void {
    assert(fd >= 0);
    // Linux closes the fd even when close() reports EINTR: never retry it.
    _ = linux.close(fd);
}

pub fn read(fd: i32, buf: []u8) Errno!usize {
    assert(fd >= 0);
    return retry(linux.read, .{ fd, buf.ptr, buf.len });
}

pub fn write(fd: i32, buf: []const u8) Errno!usize {
    assert(fd >= 0);
    return retry(linux.write, .{ fd, buf.ptr, buf.len });
}

/// Writes all of `bytes` (a write may take part of them), in at most 1,024 writes (EIO past).
pub fn write_all(fd: i32, bytes: []const u8) Errno!void {
    var written: usize = 0;
    var rounds: usize = 0;
    while (written < bytes.len and rounds < 1024) : (rounds += 1) written += try write(fd, bytes[written..]);
    if (written < bytes.len) return error.IO;
}

/// Reads exactly `buf.len` bytes, or fewer at end of file; returns how many.
pub fn read_full(fd: i32, buf: []u8) Errno!usize {
    var done: usize = 0;
    while (done < buf.len) {
        const n = try read(fd, buf[done..]);
        if (n == 0) break;
        done += n;
    }
    assert(done <= buf.len);
    return done;
}

/// A close-on-exec pipe; `nonblock` makes both ends non-blocking.
pub fn pipe(nonblock: bool) Errno![2]i32 {
    var fds: [2]i32 = .{ -1, -1 };
    const flags: linux.O = .{ .CLOEXEC = true, .NONBLOCK = nonblock };
    _ = try check(linux.pipe2(&fds, flags));
    assert(fds[0] >= 0 and fds[1] >= 0);
    return fds;
}

pub fn pidfd_open(pid: linux.pid_t) Errno!i32 {
    assert(pid > 0);
    return @intCast(try check(linux.pidfd_open(pid, 0)));
}

/// A pidfd of thread `tid` (PIDFD_THREAD, Linux 6.9; EINVAL before).
pub fn pidfd_open_thread(tid: linux.pid_t) Errno!i32 {
    assert(tid > 0);
    const pidfd_thread: u32 = 0o200; // O_EXCL
    return @intCast(try check(linux.pidfd_open(tid, pidfd_thread)));
}

/// Copies fd `target_fd` of the process behind `pidfd` into this process (close-on-exec).
pub fn pidfd_getfd(pidfd: i32, target_fd: i32) Errno!i32 {
    assert(pidfd >= 0 and target_fd >= 0);
    return @intCast(try check(linux.pidfd_getfd(pidfd, target_fd, 0)));
}

/// The kernel's `struct statfs` on x86_64 (120 bytes); only the type is read.
const Statfs = extern struct { type: i64, rest: [14]u64 };
comptime {
    assert(@sizeOf(Statfs) == 120);
}

/// The filesystem type (statfs `f_type`) of what `fd` refers to.
pub fn fstatfs_type(fd: i32) Errno!u64 {
    assert(fd >= 0);
    var fs: Statfs = undefined;
    _ = try check(linux.syscall2(.fstatfs, @intCast(fd), @intFromPtr(&fs)));
    return @bitCast(fs.type);
}

/// The access mode of the open file description `fd` names (O_RDONLY 0, O_WRONLY 1, O_RDWR 2),
/// or null when its flags cannot be read.
pub fn access_mode(fd: i32) ?u2 {
    assert(fd >= 0);
    const rc = linux.fcntl(fd, linux.F.GETFL, 0);
    if (linux.E.init(rc) != .SUCCESS) return null;
    return @truncate(rc & 0o3);
}

/// A device number from its major and minor, as `st_dev`, `st_rdev` and the kernel's
/// new_encode_dev give it (glibc's makedev).
pub fn makedev(major: u32, minor: u32) u64 {
    const ma: u64 = major;
    const mi: u64 = minor;
    return (mi & 0xff) | ((ma & 0xfff) << 8) | ((mi & ~@as(u64, 0xff)) << 12) | ((ma & ~@as(u64, 0xfff)) << 32);
}

pub fn gettid() i32 {
    return linux.gettid();
}

pub fn getpid() i32 {
    return linux.getpid();
}

var own_pid_cache: std.atomic.Value(i32) = .init(0);

/// syd's own pid, asked of the kernel once: for the handlers' hot paths. Never from a forked
/// child (raw system calls only there: it would get syd's pid).
pub fn own_pid() i32 {
    const cached = own_pid_cache.load(.monotonic);
    if (cached > 0) return cached;
    const pid = linux.getpid();
    assert(pid > 0);
    own_pid_cache.store(pid, .monotonic);
    return pid;
}

pub fn tgkill(tgid: i32, tid: i32, sig: i32) Errno!void {
    assert(tgid > 0 and tid > 0);
    _ = try check(linux.tgkill(tgid, tid, sig));
}

/// Waits for `pid` to end and returns its raw wait status.
pub fn wait_exit(pid: i32) Errno!u32 {
    assert(pid > 0);
    var status: u32 = 0;
    _ = try retry(linux.wait4, .{ pid, &status, @as(u32, 0), null });
    return status;
}

pub fn monotonic_ms() u64 {
    var ts: linux.timespec = .{ .sec = 0, .nsec = 0 };
    const rc = linux.clock_gettime(.MONOTONIC, &ts);
    assert(linux.E.init(rc) == .SUCCESS); // CLOCK_MONOTONIC cannot fail.
    return @as(u64, @intCast(ts.sec)) * 1000 + @as(u64, @intCast(ts.nsec)) / std.time.ns_per_ms;
}

pub fn sleep_ms(ms: u32) void {
    var ts: linux.timespec = .{ .sec = @intCast(ms / 1000), .nsec = @intCast((ms % 1000) * std.time.ns_per_ms) };
    // An interrupted sleep is just a shorter sleep; callers loop on their own condition.
    _ = linux.nanosleep(&ts, null);
}

/// Sleeps until `word` differs from `expected`, a wake-up, or `timeout_ms` passes.
pub fn futex_wait(word: *const std.atomic.Value(u32), expected: u32, timeout_ms: ?u32) void {
    var ts: linux.timespec = undefined;
    var ts_ptr: ?*const linux.timespec = null;
    if (timeout_ms) |ms| {
        ts = .{ .sec = @intCast(ms / 1000), .nsec = @intCast((ms % 1000) * std.time.ns_per_ms) };
        ts_ptr = &ts;
    }
    const op: u32 = linux.FUTEX.PRIVATE_FLAG | linux.FUTEX.WAIT;
    // EAGAIN (value changed), ETIMEDOUT and EINTR all mean: look at the state again.
    _ = linux.futex_wait(@ptrCast(&word.raw), op, @bitCast(expected), ts_ptr);
}

pub fn futex_wake(word: *const std.atomic.Value(u32), waiters_max: u31) void {
    const op: u32 = linux.FUTEX.PRIVATE_FLAG | linux.FUTEX.WAKE;
    _ = linux.futex_wake(@ptrCast(&word.raw), op, waiters_max);
}

/// The kernel's signal mask for one signal (bit N-1 for signal N).
pub fn sig_bit(sig: u7) u64 {
    assert(sig >= 1 and sig <= 64);
    return @as(u64, 1) << @intCast(sig - 1);
}

/// Sets this thread's signal mask (kernel sigset: 8 bytes on x86_64).
pub fn sigmask_set(mask: u64) Errno!void {
    _ = try check(linux.syscall4(.rt_sigprocmask, linux.SIG.SETMASK, @intFromPtr(&mask), 0, @sizeOf(u64)));
}

/// Kernel `struct sigaction` for x86_64, used raw in a forked child.
const KernelSigaction = extern struct {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
};

/// Resets every catchable signal to its default action. Raw: safe after `fork()`.
pub fn signals_reset_default() void {
    const sa: KernelSigaction = .{ .handler = 0, .flags = 0, .restorer = 0, .mask = 0 };
    var sig: usize = 1;
    while (sig <= 64) : (sig += 1) {
        if (sig == linux.SIG.KILL or sig == linux.SIG.STOP) continue;
        // glibc's internal real-time signals refuse; that is harmless.
        _ = linux.syscall4(.rt_sigaction, sig, @intFromPtr(&sa), 0, @sizeOf(u64));
    }
}

test "makedev agrees with what fstat says of /dev/null (1:3) and splits wide numbers as glibc" {
    var st: linux.Stat = undefined;
    _ = try check(linux.stat("/dev/null", &st));
    try std.testing.expectEqual(@as(u64, st.rdev), makedev(1, 3));
    try std.testing.expectEqual(@as(u64, 0x1567_89a2_34bc), makedev(0x1234, 0x5678_9abc));
    try std.testing.expectEqual(@as(u64, 0x801), makedev(8, 1));
}

test "access_mode reads an fd's mode, null for a closed one" {
    const fd: i32 = @intCast(try retry(linux.open, .{ "/dev/null", linux.O{ .ACCMODE = .RDWR, .CLOEXEC = true }, @as(linux.mode_t, 0) }));
    defer close(fd);
    try std.testing.expectEqual(@as(?u2, 2), access_mode(fd));
    const ro: i32 = @intCast(try retry(linux.open, .{ "/dev/null", linux.O{ .CLOEXEC = true }, @as(linux.mode_t, 0) }));
    defer close(ro);
    try std.testing.expectEqual(@as(?u2, 0), access_mode(ro));
    try std.testing.expectEqual(@as(?u2, null), access_mode(1 << 20));
}

test "errno_error and errno_value round-trip every errno" {
    inline for (@typeInfo(linux.E).@"enum".fields) |field| {
        if (comptime std.mem.eql(u8, field.name, "SUCCESS")) continue;
        const err = errno_error(@enumFromInt(field.value));
        try std.testing.expectEqual(@as(i32, field.value), errno_value(err));
    }
    try std.testing.expectEqual(@as(i32, 2), errno_value(error.NOENT));
    try std.testing.expectError(error.NOENT, check(@bitCast(@as(isize, -2))));
}

test "retry passes a result through and reports an errno" {
    const fds = try pipe(true);
    defer close(fds[0]);
    defer close(fds[1]);
    try std.testing.expectEqual(@as(usize, 3), try write(fds[1], "abc"));
    var buf: [8]u8 = undefined;
    try std.testing.expectEqual(@as(usize, 3), try read(fds[0], &buf));
    try std.testing.expectError(error.AGAIN, read(fds[0], &buf));
}
