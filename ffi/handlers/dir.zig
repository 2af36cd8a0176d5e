//! Directories: chdir and fchdir are judged for chdir; syd cannot change another process's
//! working directory, so the call is let run and checked when it returns: by the tracer
//! (`chdir_enter` at the SECCOMP_RET_TRACE stop, `chdir_exit` at the syscall-exit stop; the
//! directory that became the cwd must be the very one judged, or the process is killed), or,
//! under trace/allow_unsafe_ptrace, judged as a notification and continued (`chdir`: a racing
//! thread can swap the path after the check). chroot is judged and answered without changing the
//! caller's root (as the original); getdents64, trapped only while list sandboxing was on when
//! the sandbox started (filter/table.zig `getdents_row`: the original's static `sandbox/list`),
//! is judged for readdir on the directory's path and performed by syd on its own copy of the
//! caller's fd (sharing its offset), leaving out the entries list sandboxing hides.
//!
//! Needs: pidfd_getfd (Linux 5.6), process_vm_writev.
//! Assumes: nothing beyond mod.zig's Request.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const path_mod = @import("../judge/path.zig");
const policy_mod = @import("../judge/policy.zig");
const handlers = @import("mod.zig");
const emulate = @import("emulate.zig");
const harden = @import("harden.zig");
const open_mod = @import("open.zig");
const sandbox_filter = @import("../filter/sandbox.zig");
const ioctl_names = @import("../judge/ioctl_names.zig");
const caller_mod = @import("../kernel/caller.zig");

const Request = handlers.Request;
const Response = handlers.Response;
const Cat = policy_mod.Cat;
const SYS = linux.SYS;

/// The most directory entries read for the caller at once.
const dents_len_max: usize = 32 * 1024;
/// Batches read to find one visible entry (each holds one entry at least): a bound no
/// directory reaches.
const batches_max: u32 = 1 << 24;
/// How often a long walk over hidden entries checks that the caller still waits.
const batches_per_check: u32 = 64;

/// ioctl: judged by the request number alone, as the original's ioctl sandboxing: its verdict
/// (allow/ioctl, deny/ioctl), else the ioctl default while ioctl sandboxing is on, else allowed.
/// The request is in a register the kernel does not read again, so an allowed call is continued
/// race-free (no fd is looked at). The startup denylist is also a filter of its own
/// (filter/ioctl.zig), answering before any notification; this handler applies what changed
/// since (/dev/syd). USERFAULTFD_IOC_NEW is refused whatever the policy (see userfaultfd).
pub fn ioctl(request: *const Request) Response {
    const code: u32 = @truncate(request.arg(1)); // the kernel reads the request as 32 bits
    if (code == userfaultfd_ioc_new) return .{ .failure = @intFromEnum(linux.E.PERM) };
    const rule = request.policy.ioctl_rule(code);
    const on = request.policy.on[@intFromEnum(Cat.ioctl)];
    const action: policy_mod.Action = if (rule) |r|
        (if (r.deny) .deny else .allow)
    else if (on) request.policy.default[@intFromEnum(Cat.ioctl)] else .allow;
    const errno_value: i32 = if (rule) |r| (if (r.deny) r.errno else enotty) else enotty;
    assert(errno_value > 0);
    switch (action) {
        .allow => return .continue_call,
        .warn => {
            log_ioctl(request, code, action, errno_value, if (rule != null) "allow/ioctl" else "default", .notice);
            return .continue_call;
        },
        .filter => return .{ .failure = errno_value },
        else => {
            log_ioctl(request, code, action, errno_value, if (rule != null) "deny/ioctl" else "default", .warn);
            if (action != .deny) handlers.punish(request, action);
            return .{ .failure = errno_value };
        },
    }
}

const enotty: i32 = @intFromEnum(linux.E.NOTTY);

/// The names of request `code` (ffi/judge/ioctl_names.zig), comma-separated, as many as fit `out`.
fn names_of(code: u32, out: []u8) []const u8 {
    assert(out.len > 0);
    var len: usize = 0;
    for (ioctl_names.entries) |entry| {
        if (code & ~entry.mask != entry.request) continue;
        const sep: usize = @intFromBool(len > 0);
        if (len + sep + entry.name.len > out.len) break;
        if (sep == 1) out[len] = ',';
        @memcpy(out[len + sep ..][0..entry.name.len], entry.name);
        len += sep + entry.name.len;
    }
    assert(len <= out.len);
    return out[0..len];
}
/// USERFAULTFD_IOC_NEW: a userfaultfd from /dev/userfaultfd.
pub const userfaultfd_ioc_new: u32 = 0xAA00;

/// One ioctl record, as the original's: the request's names (`ctl`), its errno and how to allow it.
fn log_ioctl(request: *const Request, code: u32, action: policy_mod.Action, errno_value: i32, origin: []const u8, level: @import("../run/log.zig").Level) void {
    if (!request.log.enabled(level)) return;
    var ctl_buf: [160]u8 = undefined;
    const ctl = names_of(code, &ctl_buf);
    var tip_buf: [96]u8 = undefined;
    const first = std.mem.sliceTo(ctl, ',');
    const tip = if (first.len > 0)
        std.fmt.bufPrint(&tip_buf, "allow/ioctl+{s}", .{first}) catch ""
    else
        std.fmt.bufPrint(&tip_buf, "allow/ioctl+0x{x}", .{code}) catch "";
    var req_buf: [16]u8 = undefined;
    var comm_buf: [32]u8 = undefined;
    var cwd_buf: [4096]u8 = undefined;
    request.log.emit(level, .{
        .ctx = "access",
        .cap = "ioctl",
        .act = @tagName(action),
        .sys = "ioctl",
        .ctl = if (ctl.len > 0) ctl else std.fmt.bufPrint(&req_buf, "0x{x}", .{code}) catch "",
        .err = errno_value,
        .pid = request.tid(),
        .cmd = caller_mod.comm(request.tid(), &comm_buf),
        .cwd = caller_mod.cwd(request.tid(), &cwd_buf),
        .rule = origin,
        .tip = tip,
    });
}

/// The ioctl requests syd makes itself on a caller's fd: none (requests are judged by number and
/// continued), so the emulators' confinement allows none beyond their own (filter/confine.zig).
pub const plain_requests = [_]u32{};

/// chroot: judged for chroot, then answered 0 without changing anything, as the original syd:
/// the sandbox's view of the file system, under which every path is judged, never moves (a
/// denied file never gets an allowed name). A path that is missing or no directory fails as
/// the kernel would fail it.
pub fn chroot(request: *const Request) Response {
    var buf: [path_mod.path_len_max]u8 = undefined;
    const canonical = handlers.resolve(request, handlers.at.fdcwd, request.arg(0), .{}, &buf) catch |err|
        return handlers.failure(err);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (handlers.decide(request, &.{.chroot}, canonical)) |response| {
        if (response != .continue_call) return response; // denied
    }
    var full_buf: [path_mod.path_len_max + 32]u8 = undefined;
    const full = std.fmt.bufPrintZ(&full_buf, "/proc/{d}/root{s}", .{ request.tid(), canonical }) catch
        return .{ .failure = @intFromEnum(linux.E.NAMETOOLONG) };
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstatat(linux.AT.FDCWD, full.ptr, &st, 0)) catch |err| return handlers.failure(err);
    if (!linux.S.ISDIR(st.mode)) return .{ .failure = @intFromEnum(linux.E.NOTDIR) };
    return .{ .value = 0 };
}

pub fn chdir(request: *const Request) Response {
    const nr: SYS = @enumFromInt(@as(usize, @intCast(request.notif.data.nr)));
    assert(nr != .chroot);
    const cat: Cat = .chdir;
    // trace/deny_dotdot: chdir's path is resolved with it (fchdir names no path).
    const dotdot = request.policy.deny_dotdot and nr == .chdir;
    if (!handlers.any_on(request.policy, &.{cat}) and !dotdot) return .continue_call;
    var buf: [path_mod.long_len_max]u8 = undefined;
    const canonical = (if (nr == .fchdir)
        handlers.resolve_fd(request, @bitCast(@as(u32, @truncate(request.arg(0)))), &buf)
    else
        handlers.resolve(request, handlers.at.fdcwd, request.arg(0), .{ .deny_dotdot = dotdot }, &buf)) catch |err| return handlers.failure(err);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (handlers.decide(request, &.{cat}, canonical)) |response| return response;
    return .continue_call; // cannot be emulated: see the file comment and the README's Limits
}

/// The directory a traced chdir was judged on, to compare the cwd with when it returns.
pub const Judged = struct {
    dev: u64,
    ino: u64,

    pub fn eql(self: Judged, other: Judged) bool {
        return self.dev == other.dev and self.ino == other.ino;
    }
};

pub const Enter = union(enum) {
    /// Nothing to judge (chdir sandboxing is off): let the call run unwatched.
    unjudged,
    /// Refused with this errno: the call is skipped.
    refused: i32,
    /// Allowed: check at the exit that the cwd is this directory.
    allowed: Judged,
};

/// chdir and fchdir at the tracer's seccomp stop: judged on what syd resolved itself (the
/// path read once, opened race-free inside the caller's root; for fchdir syd's copy of the fd).
pub fn chdir_enter(request: *const Request) Enter {
    assert(request.traced);
    const nr: SYS = @enumFromInt(@as(usize, @intCast(request.notif.data.nr)));
    assert(nr == .chdir or nr == .fchdir);
    // trace/deny_dotdot: chdir's path is resolved with it, and the cwd checked at the exit.
    const dotdot = request.policy.deny_dotdot and nr == .chdir;
    if (!handlers.any_on(request.policy, &.{.chdir}) and !dotdot) return .unjudged;
    var buf: [path_mod.long_len_max]u8 = undefined;
    var fd: i32 = -1;
    defer if (fd >= 0) sys.close(fd);
    const canonical = if (nr == .fchdir) fd_path: {
        fd = emulate.caller_fd(request, @bitCast(@as(u32, @truncate(request.arg(0)))), false) catch |err|
            return .{ .refused = sys.errno_value(err) };
        break :fd_path emulate.own_fd_path(request, fd, &buf) catch |err| return .{ .refused = sys.errno_value(err) };
    } else handlers.resolve(request, handlers.at.fdcwd, request.arg(0), .{ .deny_dotdot = dotdot }, &buf) catch |err|
        return .{ .refused = sys.errno_value(err) };
    if (handlers.decide(request, &.{.chdir}, canonical)) |response| switch (response) {
        .failure => |errno_value| return .{ .refused = errno_value },
        else => if (!dotdot) return .unjudged,
    };
    if (fd < 0) if (open_mod.ProcFd.parse(canonical)) |named| {
        // A magic link path.zig kept: a directory with no name left (deleted).
        fd = deleted_dir(request, named) catch |err| return .{ .refused = sys.errno_value(err) };
    };
    if (fd < 0) {
        const root = emulate.Root.open(request.tid()) catch |err| return .{ .refused = sys.errno_value(err) };
        defer root.close();
        fd = root.openat2(canonical, handlers.o.path | 0o200000, 0) catch |err| return .{ .refused = sys.errno_value(err) }; // O_DIRECTORY
    }
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch |err| return .{ .refused = sys.errno_value(err) };
    if (!linux.S.ISDIR(st.mode)) return .{ .refused = @intFromEnum(linux.E.NOTDIR) };
    return .{ .allowed = .{ .dev = st.dev, .ino = st.ino } };
}

/// syd's copy of the caller's own fd `named`, a deleted directory, to enter through its magic
/// link: only with trace/allow_unsafe_deleted:1 (else ENOENT, logged, as the original).
fn deleted_dir(request: *const Request, named: open_mod.ProcFd) sys.Errno!i32 {
    assert(named.pid > 0 and named.fd >= 0);
    const status = try emulate.caller_for(request, "", false);
    if (named.pid != status.tgid or (named.tid != null and named.tid.? != status.tgid)) return error.ACCES;
    const fd = try emulate.caller_fd(request, named.fd, false);
    errdefer sys.close(fd);
    var st: linux.Stat = undefined;
    _ = try sys.check(linux.fstat(fd, &st));
    if (st.nlink > 0 or !linux.S.ISDIR(st.mode)) return error.LOOP;
    if (!request.policy.unsafe_fs.allow_unsafe_deleted) {
        request.log.emit(.warn, .{
            .ctx = "deleted_file",
            .sys = handlers.syscall_name(request.notif.data.nr),
            .pid = request.tid(),
            .msg = "access to deleted directory blocked",
            .tip = "fix the program or use `trace/allow_unsafe_deleted:1'",
        });
        return error.NOENT;
    }
    return fd;
}

/// Whether the traced caller's cwd is a directory it may chdir into: judged on its path now
/// (after a chdir whose outcome differs from what was judged). Logs a denial.
pub fn cwd_judged(request: *const Request) bool {
    assert(request.traced);
    // Under trace/deny_dotdot alone, an outcome other than the directory resolved means the
    // path changed after syd read it: refused.
    if (!handlers.any_on(request.policy, &.{.chdir})) return !request.policy.deny_dotdot;
    const caller: path_mod.Caller = .{ .pid = request.tid(), .tid = request.tid() };
    var buf: [path_mod.long_len_max]u8 = undefined;
    const canonical = path_mod.canonicalize(caller, handlers.at.fdcwd, "", .{ .empty_path = true }, &buf) catch |err|
        return err == error.SRCH or err == error.NOENT; // gone: nothing left to judge
    const response = handlers.decide(request, &.{.chdir}, canonical) orelse return true;
    return response == .continue_call;
}

/// The directory that is thread `tid`'s cwd (what /proc/TID/cwd leads to); null when gone.
pub fn cwd_of(tid: i32) ?Judged {
    assert(tid > 0);
    var path_buf: [48]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/cwd", .{tid}) catch unreachable;
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstatat(linux.AT.FDCWD, path.ptr, &st, 0)) catch return null;
    return .{ .dev = st.dev, .ino = st.ino };
}

/// The kernel's struct linux_dirent64 header; the name follows, NUL-terminated.
const Dirent = extern struct { ino: u64, off: i64, reclen: u16, type: u8 };

pub fn getdents(request: *const Request) Response {
    if (!handlers.any_on(request.policy, &.{ .readdir, .list })) return .continue_call;
    const nr: SYS = @enumFromInt(@as(usize, @intCast(request.notif.data.nr)));
    if (nr == .getdents) return .{ .failure = @intFromEnum(linux.E.NOSYS) }; // the old layout: use getdents64
    const target: i32 = @bitCast(@as(u32, @truncate(request.arg(0))));
    const count: usize = @min(request.arg(2), dents_len_max);
    const fd = emulate.caller_fd(request, target, false) catch |err| return handlers.failure(err);
    defer sys.close(fd);
    var dir_buf: [path_mod.long_len_max]u8 = undefined;
    const dir = emulate.own_fd_path(request, fd, &dir_buf) catch |err| return handlers.failure(err);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (handlers.decide(request, &.{.readdir}, dir)) |response| {
        if (response != .continue_call or !request.policy.on[@intFromEnum(Cat.list)]) return response;
    }
    var out: [dents_len_max]u8 = undefined;
    const len = read_visible(request, fd, dir, out[0..count]) catch |err| return handlers.failure(err);
    if (len > 0) handlers.write_memory(request.tid(), request.arg(1), out[0..len]) catch |err| return handlers.failure(err);
    return .{ .value = @intCast(len) };
}

/// Reads entries into `out`, keeping those list sandboxing lists; reads on while a batch was all hidden.
fn read_visible(request: *const Request, fd: i32, dir: []const u8, out: []u8) sys.Errno!usize {
    var batch: u32 = 0;
    // Each batch consumes at least one entry: the walk ends with the directory. Answering 0
    // before its end would make the caller take the visible entries after a run of hidden ones
    // for the end of the listing.
    while (batch < batches_max) : (batch += 1) {
        const n = try sys.retry(linux.getdents64, .{ fd, out.ptr, out.len });
        if (n == 0) return 0;
        const kept = filter(request, dir, out[0..n]);
        if (kept > 0) return kept;
        if (batch % batches_per_check == batches_per_check - 1 and !request.valid()) return error.NOENT;
    }
    return error.INTR; // more hidden entries than any directory holds: the caller may retry
}

/// Whether `dir` is the /proc of a sandbox with its own pid namespace, whose init (pid 1,
/// layers/namespaces.zig) the sandbox cannot see (hidepid=ptraceable, not dumpable): syd reads
/// the listing with its own credentials, which see it (found by the attack session).
fn init_hidden(dir: []const u8) bool {
    return path_mod.pid_namespace.load(.acquire) and std.mem.eql(u8, dir, "/proc");
}

/// Compacts `dents` in place to the entries list sandboxing lists; returns the length.
fn filter(request: *const Request, dir: []const u8, dents: []u8) usize {
    const init_listed = init_hidden(dir);
    if (!request.policy.on[@intFromEnum(Cat.list)] and !harden.entries_filtered(request.policy, dir) and !init_listed) return dents.len;
    var read_at: usize = 0;
    var write_at: usize = 0;
    var path_buf: [path_mod.long_len_max + 256]u8 = undefined;
    while (read_at + @sizeOf(Dirent) <= dents.len) {
        const header = std.mem.bytesAsValue(Dirent, dents[read_at..][0..@sizeOf(Dirent)]);
        const reclen: usize = header.reclen;
        assert(reclen >= @sizeOf(Dirent) and read_at + reclen <= dents.len);
        const name = std.mem.sliceTo(dents[read_at + 19 .. read_at + reclen], 0);
        const visible = std.mem.eql(u8, name, ".") or std.mem.eql(u8, name, "..") or
            (!(init_listed and std.mem.eql(u8, name, "1")) and !harden.entry_hidden(request.policy, dir, name, header.type) and !hidden(request, dir, name, &path_buf));
        if (visible) {
            std.mem.copyForwards(u8, dents[write_at..][0..reclen], dents[read_at..][0..reclen]);
            write_at += reclen;
        }
        read_at += reclen;
    }
    return write_at;
}

fn hidden(request: *const Request, dir: []const u8, name: []const u8, buf: []u8) bool {
    const sep = if (dir.len == 1) "" else "/";
    const path = std.fmt.bufPrint(buf, "{s}{s}{s}", .{ dir, sep, name }) catch return true;
    var view_buf: [path_mod.path_len_max + 256]u8 = undefined;
    return handlers.unlisted(request.policy, handlers.view(request.tid(), path, &view_buf));
}
