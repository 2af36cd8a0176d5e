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
const sys = @import("../sys.zig");
const notify = @import("../notify.zig");
const handlers = @import("mod.zig");
const emulate = @import("emulate.zig");
const net = @import("net.zig");
const caller_mod = @import("../caller.zig");

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
                c.tgid = status.tgid;
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
