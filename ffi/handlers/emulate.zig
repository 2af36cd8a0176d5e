//! Performing judged calls in syd on exactly the object judged: paths are re-resolved inside the
//! caller's root with openat2 following no symlink and no magic link, so a path changed after
//! the check makes the call fail (ELOOP, ENOENT) instead of reaching another object.
//!
//! Needs: openat2 (Linux 5.6), /proc/TID/root, /proc/TID/status.
//! Assumes: `canonical` is absolute and canonical in the caller's view (path.zig); callers run
//! on emulator threads with their own fs struct (so setting the umask touches no other thread).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../sys.zig");
const path_mod = @import("../path.zig");
const caller_mod = @import("../caller.zig");
const handlers = @import("mod.zig");

const resolve_no_magiclinks: u64 = 0x02;
const resolve_no_symlinks: u64 = 0x04;
const resolve_in_root: u64 = 0x10;

pub const OpenHow = extern struct { flags: u64, mode: u64, resolve: u64 };
comptime {
    assert(@sizeOf(OpenHow) == 24);
}

/// The caller's root directory, opened as an O_PATH fd.
pub const Root = struct {
    fd: i32,

    pub fn open(tid: i32) sys.Errno!Root {
        assert(tid > 0);
        var buf: [64]u8 = undefined;
        const path = std.fmt.bufPrintZ(&buf, "/proc/{d}/root", .{tid}) catch unreachable;
        const flags: linux.O = .{ .PATH = true, .DIRECTORY = true, .CLOEXEC = true };
        const fd: i32 = @intCast(try sys.retry(linux.open, .{ path.ptr, flags, @as(linux.mode_t, 0) }));
        return .{ .fd = fd };
    }

    pub fn close(self: Root) void {
        sys.close(self.fd);
    }

    /// Opens `canonical` inside the root; `flags` are open flags (O_CLOEXEC, O_NOCTTY added).
    pub fn openat2(self: Root, canonical: []const u8, flags: u64, mode: u64) sys.Errno!i32 {
        assert(canonical.len > 0 and canonical[0] == '/');
        var buf: [path_mod.path_len_max + 1]u8 = undefined;
        const relative = std.fmt.bufPrintZ(&buf, "{s}", .{if (canonical.len == 1) "." else canonical[1..]}) catch
            return error.NAMETOOLONG;
        // O_PATH takes no other flags but O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC (else EINVAL).
        const extra: u64 = if (flags & handlers.o.path != 0) handlers.o.cloexec else handlers.o.cloexec | handlers.o.noctty;
        const how: OpenHow = .{
            .flags = flags | extra,
            .mode = mode,
            .resolve = resolve_in_root | resolve_no_symlinks | resolve_no_magiclinks,
        };
        const fd = try sys.retry(linux.syscall4, .{ .openat2, @as(usize, @bitCast(@as(isize, self.fd))), @intFromPtr(relative.ptr), @intFromPtr(&how), @sizeOf(OpenHow) });
        return @intCast(fd);
    }

    /// As `openat2`, for opens that may block (a FIFO without a peer): interruptible by the monitor.
    pub fn openat2_blocking(self: Root, request: *const handlers.Request, canonical: []const u8, flags: u64, mode: u64) sys.Errno!i32 {
        assert(canonical.len > 0 and canonical[0] == '/');
        var buf: [path_mod.path_len_max + 1]u8 = undefined;
        const relative = std.fmt.bufPrintZ(&buf, "{s}", .{if (canonical.len == 1) "." else canonical[1..]}) catch
            return error.NAMETOOLONG;
        const how: OpenHow = .{
            .flags = flags | handlers.o.cloexec | handlers.o.noctty,
            .mode = mode,
            .resolve = resolve_in_root | resolve_no_symlinks | resolve_no_magiclinks,
        };
        const fd = try handlers.blocking_call(request, linux.syscall4, .{ .openat2, @as(usize, @bitCast(@as(isize, self.fd))), @intFromPtr(relative.ptr), @intFromPtr(&how), @sizeOf(OpenHow) });
        return @intCast(fd);
    }

    /// Opens the directory holding `canonical` (O_PATH) and returns it with the last component.
    pub fn parent(self: Root, canonical: []const u8, name_buf: *[256]u8) sys.Errno!Parent {
        assert(canonical.len > 1 and canonical[0] == '/');
        const slash = std.mem.lastIndexOfScalar(u8, canonical, '/').?;
        const name = canonical[slash + 1 ..];
        if (name.len == 0 or name.len >= name_buf.len) return error.NAMETOOLONG;
        @memcpy(name_buf[0..name.len], name);
        name_buf[name.len] = 0;
        const dir = if (slash == 0) "/" else canonical[0..slash];
        const fd = try self.openat2(dir, handlers.o.path | 0o200000, 0); // O_DIRECTORY
        return .{ .fd = fd, .name = name_buf[0..name.len :0] };
    }
};

pub const Parent = struct { fd: i32, name: [:0]const u8 };

/// The caller's status, when syd may act for it: its filesystem credentials must be syd's
/// (otherwise EACCES, logged). Sets this thread's umask to the caller's when `creating`.
pub fn caller_for(request: *const handlers.Request, canonical: []const u8, creating: bool) sys.Errno!caller_mod.Status {
    var status: caller_mod.Status = .{};
    try caller_mod.read_status(request.tid(), &status);
    if (!caller_mod.same_credentials(&status, request.own)) {
        request.log.emit(.warn, .{
            .ctx = "access",
            .msg = "the caller's credentials differ from syd's: acting for another user is not supported yet",
            .sys = handlers.syscall_name(request.notif.data.nr),
            .path = canonical,
            .pid = request.tid(),
        });
        return error.ACCES;
    }
    if (creating) _ = linux.syscall1(.umask, status.umask & 0o777);
    assert(status.tgid > 0);
    return status;
}
