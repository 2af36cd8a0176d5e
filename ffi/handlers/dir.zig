//! Directories: chdir and fchdir are judged for chdir; syd cannot change another process's
//! working directory, so the call is let run and checked when it returns: by the tracer
//! (`chdir_enter` at the SECCOMP_RET_TRACE stop, `chdir_exit` at the syscall-exit stop; the
//! directory that became the cwd must be the very one judged, or the process is killed), or,
//! under trace/allow_unsafe_ptrace, judged as a notification and continued (`chdir`: a racing
//! thread can swap the path after the check). chroot is judged and answered without changing the
//! caller's root (as the original); getdents64 is judged for
//! readdir on the directory's path and performed by syd on its own copy of the caller's fd
//! (sharing its offset), leaving out the entries whose paths are hidden from stat.
//!
//! Needs: pidfd_getfd (Linux 5.6), process_vm_writev.
//! Assumes: nothing beyond mod.zig's Request.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../sys.zig");
const path_mod = @import("../path.zig");
const policy_mod = @import("../policy.zig");
const handlers = @import("mod.zig");
const emulate = @import("emulate.zig");
const harden = @import("harden.zig");
const open_mod = @import("open.zig");
const sandbox_filter = @import("../filter/sandbox.zig");

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

/// ioctl: judged on the path of syd's own copy of the fd (pidfd_getfd), then performed by syd on
/// that copy, for the requests whose argument syd knows (`plain`); those bound to the calling
/// process (`bound`) are continued; any other request is refused (ENOTTY, with a record) while
/// ioctl sandboxing is on: syd cannot perform it on the object it judged, and continued, the
/// kernel would take the fd number again, which another thread may have pointed elsewhere.
pub fn ioctl(request: *const Request) Response {
    const code: u32 = @truncate(request.arg(1)); // the kernel reads the request as 32 bits
    for (sandbox_filter.ioctls_refused) |refused| if (code == refused) return .{ .failure = @intFromEnum(linux.E.PERM) };
    if (!handlers.any_on(request.policy, &.{.ioctl})) return .continue_call;
    if (code == fioclex or code == fionclex) return .continue_call; // the caller's fd table, no file
    const target: i32 = @bitCast(@as(u32, @truncate(request.arg(0))));
    const fd = emulate.caller_fd(request, target, false) catch |err| return handlers.failure(err);
    defer sys.close(fd);
    var buf: [path_mod.long_len_max]u8 = undefined;
    const judged = copy_path(request, fd, target, &buf) catch |err| return handlers.failure(err);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (handlers.decide(request, &.{.ioctl}, judged)) |response| return response;
    for (bound) |b| if (b == code) return .continue_call; // see the README's Limits
    const known = for (plain) |p| {
        if (p.code == code) break p;
    } else {
        request.log.emit(.warn, .{ .ctx = "access", .cap = "ioctl", .act = "deny", .pid = request.tid(), .sys = "ioctl", .path = judged, .request = code, .msg = "an ioctl request syd cannot perform on the fd it judged: refused" });
        return .{ .failure = @intFromEnum(linux.E.NOTTY) };
    };
    return perform_ioctl(request, fd, known) catch |err| handlers.failure(err);
}

/// The name syd's copy of the caller's fd `target` is judged by: its path, or, for an object
/// with none in the caller's view (a pipe, a socket, an unlinked file), /proc/self/fd/N.
fn copy_path(request: *const Request, copy: i32, target: i32, out: []u8) sys.Errno![]const u8 {
    var link_buf: [48]u8 = undefined;
    const link = emulate.fd_link(copy, &link_buf); // this thread's own fd table, not /proc/self's
    const len = sys.check(linux.readlink(link.ptr, out.ptr, out.len)) catch |err| {
        if (err == error.NAMETOOLONG) return emulate.own_fd_path(request, copy, out); // pieces.zig
        return err;
    };
    const deleted = std.mem.endsWith(u8, out[0..len], " (deleted)");
    if (len > 0 and out[0] == '/' and !deleted) return emulate.own_fd_path(request, copy, out);
    return std.fmt.bufPrint(out, "/proc/{d}/fd/{d}", .{ request.tid(), target }) catch error.NAMETOOLONG;
}

const fioclex: u32 = 0x5451;
const fionclex: u32 = 0x5450;

/// Requests that act on the calling process itself (its controlling terminal, its session,
/// the owner of SIGIO, a new fd in its table), or that the kernel subjects to the caller's job
/// control (terminal changes from a background process stop it with SIGTTOU; syd ignores
/// SIGTTOU and would change the terminal: found by review): syd cannot make them for it.
/// Continued after the judgement (see the README's Limits).
const bound = [_]u32{
    0x5402, // TCSETS
    0x5403, // TCSETSW
    0x5404, // TCSETSF
    0x5406, // TCSETA
    0x5407, // TCSETAW
    0x5408, // TCSETAF
    0x5409, // TCSBRK
    0x540A, // TCXONC
    0x540B, // TCFLSH
    0x5425, // TCSBRKP
    0x5427, // TIOCSBRK
    0x5428, // TIOCCBRK
    0x402C542B, // TCSETS2
    0x402C542C, // TCSETSW2
    0x402C542D, // TCSETSF2
    0x540E, // TIOCSCTTY
    0x540F, // TIOCGPGRP
    0x5410, // TIOCSPGRP
    0x5422, // TIOCNOTTY
    0x5429, // TIOCGSID
    0x5441, // TIOCGPTPEER
    0x5452, // FIOASYNC
    0x8901, // FIOSETOWN
    0x8902, // SIOCSPGRP
    0x8903, // FIOGETOWN
    0x8904, // SIOCGPGRP
};

/// How a known request's argument is passed: not at all, by value, or as `size` bytes syd
/// copies in from the caller, or out to it.
const Arg = enum { none, value, in, out };
const Plain = struct { code: u32, arg: Arg, size: u8 = 0 };

/// Requests syd performs itself on its copy of the fd: their argument is plain data (no fd
/// number, no pointer inside), so the result is the caller's own. Terminals, queue sizes,
/// block device geometry, inode flags (read), entropy count.
const plain = [_]Plain{
    .{ .code = 0x5401, .arg = .out, .size = 36 }, // TCGETS (struct termios)
    .{ .code = 0x5405, .arg = .out, .size = 18 }, // TCGETA (struct termio)
    .{ .code = 0x540C, .arg = .none }, // TIOCEXCL
    .{ .code = 0x540D, .arg = .none }, // TIOCNXCL
    .{ .code = 0x5411, .arg = .out, .size = 4 }, // TIOCOUTQ
    .{ .code = 0x5413, .arg = .out, .size = 8 }, // TIOCGWINSZ
    .{ .code = 0x5414, .arg = .in, .size = 8 }, // TIOCSWINSZ
    .{ .code = 0x5415, .arg = .out, .size = 4 }, // TIOCMGET
    .{ .code = 0x5416, .arg = .in, .size = 4 }, // TIOCMBIS
    .{ .code = 0x5417, .arg = .in, .size = 4 }, // TIOCMBIC
    .{ .code = 0x5418, .arg = .in, .size = 4 }, // TIOCMSET
    .{ .code = 0x541B, .arg = .out, .size = 4 }, // FIONREAD
    .{ .code = 0x5420, .arg = .in, .size = 4 }, // TIOCPKT
    .{ .code = 0x5421, .arg = .in, .size = 4 }, // FIONBIO
    .{ .code = 0x5424, .arg = .out, .size = 4 }, // TIOCGETD
    .{ .code = 0x5437, .arg = .none }, // TIOCVHANGUP
    .{ .code = 0x5460, .arg = .out, .size = 8 }, // FIOQSIZE
    .{ .code = 0x802C542A, .arg = .out, .size = 44 }, // TCGETS2 (struct termios2)
    .{ .code = 0x80045430, .arg = .out, .size = 4 }, // TIOCGPTN
    .{ .code = 0x40045431, .arg = .in, .size = 4 }, // TIOCSPTLCK
    .{ .code = 0x80045438, .arg = .out, .size = 4 }, // TIOCGPKT
    .{ .code = 0x80045439, .arg = .out, .size = 4 }, // TIOCGPTLCK
    .{ .code = 0x00000002, .arg = .out, .size = 4 }, // FIGETBSZ
    .{ .code = 0x80086601, .arg = .out, .size = 4 }, // FS_IOC_GETFLAGS (the kernel reads an int)
    .{ .code = 0x80087601, .arg = .out, .size = 4 }, // FS_IOC_GETVERSION
    .{ .code = 0x00001260, .arg = .out, .size = 8 }, // BLKGETSIZE
    .{ .code = 0x0000125E, .arg = .out, .size = 4 }, // BLKROGET
    .{ .code = 0x00001268, .arg = .out, .size = 4 }, // BLKSSZGET
    .{ .code = 0x00001278, .arg = .out, .size = 4 }, // BLKIOMIN
    .{ .code = 0x00001279, .arg = .out, .size = 4 }, // BLKIOOPT
    .{ .code = 0x0000127B, .arg = .out, .size = 4 }, // BLKPBSZGET
    .{ .code = 0x80081272, .arg = .out, .size = 8 }, // BLKGETSIZE64
    .{ .code = 0x80045200, .arg = .out, .size = 4 }, // RNDGETENTCNT
};

/// The requests of `plain`, which the emulators' confinement lets them make on any fd.
pub const plain_requests = requests: {
    var out: [plain.len]u32 = undefined;
    for (plain, 0..) |p, i| out[i] = p.code;
    const final = out;
    break :requests final;
};

comptime {
    @setEvalBranchQuota(20_000);
    for (plain, 0..) |p, i| {
        assert((p.arg == .in or p.arg == .out) == (p.size > 0));
        for (plain[i + 1 ..]) |q| assert(p.code != q.code);
        for (bound) |b| assert(p.code != b);
        for (sandbox_filter.ioctls_refused) |r| assert(p.code != r);
    }
}

/// Performs a known request on syd's copy; may block (TCSETSW drains output): interruptible.
fn perform_ioctl(request: *const Request, fd: i32, known: Plain) sys.Errno!Response {
    var data: [64]u8 align(8) = [_]u8{0} ** 64;
    assert(known.size <= data.len);
    const addr = request.arg(2);
    if (known.arg == .in) try handlers.read_memory(request.tid(), addr, data[0..known.size]);
    const arg: usize = switch (known.arg) {
        .none => 0,
        .value => @truncate(addr),
        .in, .out => @intFromPtr(&data),
    };
    const rc = try handlers.blocking_call(request, true, linux.syscall3, .{ .ioctl, @as(usize, @intCast(fd)), @as(usize, known.code), arg });
    if (known.arg == .out) try handlers.write_memory(request.tid(), addr, data[0..known.size]);
    return .{ .value = @intCast(@as(isize, @bitCast(rc))) };
}

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
    if (!handlers.any_on(request.policy, &.{cat})) return .continue_call;
    var buf: [path_mod.long_len_max]u8 = undefined;
    const canonical = (if (nr == .fchdir)
        handlers.resolve_fd(request, @bitCast(@as(u32, @truncate(request.arg(0)))), &buf)
    else
        handlers.resolve(request, handlers.at.fdcwd, request.arg(0), .{}, &buf)) catch |err| return handlers.failure(err);
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
    if (!handlers.any_on(request.policy, &.{.chdir})) return .unjudged;
    var buf: [path_mod.long_len_max]u8 = undefined;
    var fd: i32 = -1;
    defer if (fd >= 0) sys.close(fd);
    const canonical = if (nr == .fchdir) fd_path: {
        fd = emulate.caller_fd(request, @bitCast(@as(u32, @truncate(request.arg(0)))), false) catch |err|
            return .{ .refused = sys.errno_value(err) };
        break :fd_path emulate.own_fd_path(request, fd, &buf) catch |err| return .{ .refused = sys.errno_value(err) };
    } else handlers.resolve(request, handlers.at.fdcwd, request.arg(0), .{}, &buf) catch |err|
        return .{ .refused = sys.errno_value(err) };
    if (handlers.decide(request, &.{.chdir}, canonical)) |response| switch (response) {
        .failure => |errno_value| return .{ .refused = errno_value },
        else => return .unjudged,
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
    if (!handlers.any_on(request.policy, &.{.chdir})) return true;
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

/// Compacts `dents` in place to the entries list sandboxing lists; returns the length.
fn filter(request: *const Request, dir: []const u8, dents: []u8) usize {
    if (!request.policy.on[@intFromEnum(Cat.list)] and !harden.entries_filtered(request.policy, dir)) return dents.len;
    var read_at: usize = 0;
    var write_at: usize = 0;
    var path_buf: [path_mod.long_len_max + 256]u8 = undefined;
    while (read_at + @sizeOf(Dirent) <= dents.len) {
        const header = std.mem.bytesAsValue(Dirent, dents[read_at..][0..@sizeOf(Dirent)]);
        const reclen: usize = header.reclen;
        assert(reclen >= @sizeOf(Dirent) and read_at + reclen <= dents.len);
        const name = std.mem.sliceTo(dents[read_at + 19 .. read_at + reclen], 0);
        const visible = std.mem.eql(u8, name, ".") or std.mem.eql(u8, name, "..") or
            (!harden.entry_hidden(request.policy, dir, name, header.type) and !hidden(request, dir, name, &path_buf));
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
