//! Credentials of UNIX sockets where syd performs the call: the kernel records syd as the
//! process that connected or sent. `SCM_CREDENTIALS` a caller sends naming itself are sent by syd
//! naming syd (what the kernel attaches anyway to a send syd performs for a receiver with
//! SO_PASSCRED: no pid a caller could not already make a receiver see); any other pid is refused
//! with EPERM, as the kernel refuses a process without CAP_SYS_ADMIN. `SO_PEERPIDFD` of a
//! connection syd connected is a pidfd of the sandboxed process syd connected for (net.zig
//! `connector_of`), as SO_PEERCRED names it.
//!
//! Needs: pidfd_open (Linux 5.3), SECCOMP_IOCTL_NOTIF_ADDFD (Linux 5.9), NETLINK_SOCK_DIAG.
//! Assumes: a caller's uid and gid are syd's (emulate.zig `caller_for`): the kernel checks
//! the ones claimed against syd's own, as it would against the caller's.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const notify = @import("../kernel/notify.zig");
const handlers = @import("mod.zig");
const emulate = @import("emulate.zig");
const net = @import("net.zig");
const path_mod = @import("../judge/path.zig");
const namespaces = @import("../layers/namespaces.zig");
const caller_mod = @import("../kernel/caller.zig");

const Request = handlers.Request;
const Response = handlers.Response;

const scm_credentials: i32 = 2;
pub const so_peerpidfd: u32 = 77;
const ucred_len: usize = 12; // struct ucred { pid, uid, gid }

/// Rewrites each SCM_CREDENTIALS in `control` (a copy syd sends) that names the caller's thread
/// group to name syd; EPERM for any other pid. A malformed control is left for the kernel,
/// which refuses it (EINVAL).
pub fn claim_own(request: *const Request, control: []u8) sys.Errno!void {
    const Context = struct { request: *const Request, tgid: i32 = 0 };
    var context: Context = .{ .request = request };
    net.each_control(control, scm_credentials, &context, struct {
        fn visit(c: *Context, payload: []u8) sys.Errno!void {
            if (payload.len != ucred_len) return error.INVAL;
            if (c.tgid == 0) {
                var status: caller_mod.Status = .{};
                try caller_mod.read_status(c.request.tid(), &status);
                // In the sandbox's own pid namespace the caller names itself by its number there.
                c.tgid = if (path_mod.pid_namespace.load(.acquire) and status.ns_tgid > 0) status.ns_tgid else status.tgid;
            }
            assert(c.tgid > 0);
            // The kernel accepts the sender's own thread group only (a thread's id is refused).
            if (std.mem.readInt(i32, payload[0..4], .little) != c.tgid) return error.PERM;
            std.mem.writeInt(i32, payload[0..4], sys.getpid(), .little);
        }
    }.visit) catch |err| {
        // EINVAL (a malformed control, a payload that is not a ucred): the kernel refuses the
        // whole message the same way when syd sends it.
        if (err != error.INVAL) return err;
    };
}

/// getsockopt(SOL_SOCKET, SO_PEERPIDFD) on a socket whose peer syd connected: a pidfd of the
/// sandboxed process syd connected for, put into the caller (ADDFD, close-on-exec as the
/// kernel's); otherwise continued (the kernel's answer names the real peer).
pub fn peerpidfd(request: *const Request) Response {
    if (request.traced) return .continue_call; // no notification to add an fd through
    const fd = emulate.caller_fd(request, handlers.fd_arg(request, 0), false) catch return .continue_call;
    defer sys.close(fd);
    const tgid = net.connector_of(fd) orelse return .continue_call;
    var given: i32 = 0;
    handlers.read_memory(request.tid(), request.arg(4), std.mem.asBytes(&given)) catch |err| return handlers.failure(err);
    if (given < @sizeOf(i32)) return .continue_call; // the kernel's own answer (EINVAL)
    const pidfd = sys.pidfd_open(tgid) catch return .continue_call; // gone: the kernel's answer
    defer sys.close(pidfd);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    const number = notify.add_fd(request.notify_fd, request.notif.id, pidfd, true) catch |err| return handlers.failure(err);
    assert(number >= 0);
    const len: u32 = @sizeOf(i32);
    handlers.write_memory(request.tid(), request.arg(3), std.mem.asBytes(&number)) catch |err| return handlers.failure(err);
    handlers.write_memory(request.tid(), request.arg(4), std.mem.asBytes(&len)) catch |err| return handlers.failure(err);
    return .{ .value = 0 };
}

/// The sandboxed thread syd last sent for on each socket, by socket inode: a receiver's
/// SO_PASSCRED credentials and SCM_PIDFD naming syd are made to name that thread's process
/// (`fix_control`). Bounded: the oldest entry goes first (its messages then name syd).
const senders = struct {
    const Entry = struct { ino: u64 = 0, tid: i32 = 0 };
    const len_max: usize = 1024;
    var mutex: std.Thread.Mutex = .{};
    var entries: [len_max]Entry = [_]Entry{.{}} ** len_max;
    var next: usize = 0;

    /// Sets the sender of `ino`; returns the entry it replaced, to put back if the send fails.
    fn set(ino: u64, tid: i32) Entry {
        assert(tid > 0);
        mutex.lock();
        defer mutex.unlock();
        for (&entries) |*entry| if (entry.ino == ino) {
            const old = entry.*;
            entry.tid = tid;
            return old;
        };
        entries[next % len_max] = .{ .ino = ino, .tid = tid };
        next += 1;
        return .{ .ino = ino, .tid = 0 };
    }

    fn restore(old: Entry) void {
        mutex.lock();
        defer mutex.unlock();
        for (&entries) |*entry| if (entry.ino == old.ino and old.ino != 0) {
            entry.tid = old.tid; // 0: no sender known
            return;
        };
    }

    fn get(ino: u64) ?i32 {
        mutex.lock();
        defer mutex.unlock();
        for (entries) |entry| if (entry.ino == ino and ino != 0 and entry.tid > 0) return entry.tid;
        return null;
    }
};

/// What `sending` replaced, for `unsent`.
pub const Sending = senders.Entry;

/// Records, before syd sends on its copy `fd` for thread `tid`, that the message is that
/// thread's; `unsent` with the result puts the previous sender back when the send fails.
pub fn sending(fd: i32, tid: i32) Sending {
    assert(fd >= 0);
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch return .{};
    return senders.set(st.ino, tid);
}

pub fn unsent(old: Sending) void {
    if (old.ino != 0) senders.restore(old);
}

/// Whether a receive on syd's copy `fd` gets credentials or pidfds a send syd performed may
/// make name syd: SO_PASSCRED or SO_PASSPIDFD is on (whether syd sent anything yet or not: a
/// blocking receive may wait for a send syd performs later).
pub fn passes_credentials(fd: i32) bool {
    assert(fd >= 0);
    for ([_]u32{ 16, 76 }) |option| { // SO_PASSCRED, SO_PASSPIDFD
        var value: i32 = 0;
        var len: linux.socklen_t = @sizeOf(i32);
        _ = sys.check(linux.getsockopt(fd, linux.SOL.SOCKET, option, @ptrCast(&value), &len)) catch continue;
        if (value != 0) return true;
    }
    return false;
}

const scm_rights: i32 = 1;
const scm_pidfd: i32 = 4;
const msg_cmsg_cloexec: u32 = 0x40000000;

/// Fixes the control data syd received for the caller (`control`, what the kernel wrote):
/// the fds of SCM_RIGHTS and SCM_PIDFD are put into the caller (ADDFD) and renumbered, syd's
/// copies closed; credentials and a pidfd naming syd are made to name the process syd sent for
/// on socket `sender_ino` (when known). Fds that cannot be put into the caller are closed and
/// answered as the kernel answers a full fd table: the message cut, MSG_CTRUNC.
pub fn fix_control(request: *const Request, control: []u8, flags: u32, sender_ino: ?u64, out_flags: *i32) void {
    const Context = struct {
        request: *const Request,
        cloexec: bool,
        sender: i32 = 0,
        failed: bool = false,
    };
    var context: Context = .{ .request = request, .cloexec = flags & msg_cmsg_cloexec != 0 };
    if (sender_ino) |ino| if (senders.get(ino)) |tid| {
        var status: caller_mod.Status = .{};
        if (caller_mod.read_status(tid, &status)) |_| {
            context.sender = status.tgid;
        } else |_| {}
    };
    net.each_control(control, scm_credentials, &context, struct {
        fn visit(c: *Context, payload: []u8) sys.Errno!void {
            if (payload.len < ucred_len) return;
            var pid = std.mem.readInt(i32, payload[0..4], .little);
            if (c.sender != 0 and pid == sys.getpid()) pid = c.sender;
            // The kernel wrote them for syd: as the sandbox's namespaces show them to the
            // caller (found by the attack session: host pids reached the sandbox).
            std.mem.writeInt(i32, payload[0..4], path_mod.view_pid(pid), .little);
            if (namespaces.id_map) |map| {
                std.mem.writeInt(u32, payload[4..8], map.uid(std.mem.readInt(u32, payload[4..8], .little)), .little);
                std.mem.writeInt(u32, payload[8..12], map.gid(std.mem.readInt(u32, payload[8..12], .little)), .little);
            }
        }
    }.visit) catch {};
    net.each_control(control, scm_pidfd, &context, struct {
        fn visit(c: *Context, payload: []u8) sys.Errno!void {
            if (payload.len < 4) return;
            var pidfd = std.mem.readInt(i32, payload[0..4], .little);
            if (pidfd < 0) return;
            if (c.sender != 0 and pidfd_pid(pidfd) == sys.getpid()) {
                if (sys.pidfd_open(c.sender)) |replacement| {
                    sys.close(pidfd);
                    pidfd = replacement;
                } else |_| {}
            }
            defer sys.close(pidfd);
            const number = if (c.failed) -1 else notify.add_fd(c.request.notify_fd, c.request.notif.id, pidfd, c.cloexec) catch blk: {
                c.failed = true;
                break :blk -1;
            };
            std.mem.writeInt(i32, payload[0..4], number, .little);
        }
    }.visit) catch {};
    net.each_control(control, scm_rights, &context, struct {
        fn visit(c: *Context, payload: []u8) sys.Errno!void {
            var i: usize = 0;
            while (i + 4 <= payload.len) : (i += 4) {
                const ours = std.mem.readInt(i32, payload[i..][0..4], .little);
                if (ours < 0) continue;
                defer sys.close(ours);
                const number = if (c.failed) -1 else notify.add_fd(c.request.notify_fd, c.request.notif.id, ours, c.cloexec) catch blk: {
                    c.failed = true;
                    break :blk -1;
                };
                std.mem.writeInt(i32, payload[i..][0..4], number, .little);
            }
        }
    }.visit) catch {};
    if (context.failed) out_flags.* |= 0x8; // MSG_CTRUNC
}

/// Whether `control` (syd's receive) holds credentials or a pidfd that may name syd: only then
/// does `fix_control` need the sender (a sock_diag query).
pub fn names_syd(control: []u8) bool {
    var found = false;
    for ([_]i32{ scm_credentials, scm_pidfd }) |kind| net.each_control(control, kind, &found, struct {
        fn visit(flag: *bool, _: []u8) sys.Errno!void {
            flag.* = true;
        }
    }.visit) catch {};
    return found;
}

/// Closes the fds of SCM_RIGHTS and SCM_PIDFD in `control` (what the kernel wrote for a receive
/// syd performed), for a receive that fails before `fix_control` hands them to the caller.
pub fn discard_control(control: []u8) void {
    if (control.len == 0) return;
    const Closer = struct {
        fn visit(_: *const void, payload: []u8) sys.Errno!void {
            var i: usize = 0;
            while (i + 4 <= payload.len) : (i += 4) {
                const ours = std.mem.readInt(i32, payload[i..][0..4], .little);
                if (ours >= 0) sys.close(ours);
            }
        }
    };
    const none: void = {};
    for ([_]i32{ scm_rights, scm_pidfd }) |kind| net.each_control(control, kind, &none, Closer.visit) catch {};
}

/// The pid a pidfd of syd's refers to (its fdinfo `Pid:` line), or 0.
fn pidfd_pid(pidfd: i32) i32 {
    assert(pidfd >= 0);
    var path_buf: [64]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/thread-self/fdinfo/{d}", .{pidfd}) catch return 0;
    const fd = sys.check(linux.open(path.ptr, .{ .CLOEXEC = true }, 0)) catch return 0;
    defer sys.close(@intCast(fd));
    var buf: [512]u8 = undefined;
    const n = sys.check(linux.read(@intCast(fd), &buf, buf.len)) catch return 0;
    var lines = std.mem.splitScalar(u8, buf[0..n], '\n');
    var count: usize = 0;
    while (lines.next()) |line| : (count += 1) {
        if (count > 16) break;
        if (!std.mem.startsWith(u8, line, "Pid:")) continue;
        return std.fmt.parseInt(i32, std.mem.trim(u8, line[4..], " \t"), 10) catch 0;
    }
    return 0;
}
