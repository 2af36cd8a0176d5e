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
const sys = @import("../kernel/sys.zig");
const path_mod = @import("../judge/path.zig");
const pieces = @import("../kernel/pieces.zig");
const caller_mod = @import("../kernel/caller.zig");
const handlers = @import("mod.zig");

pub const OpenHow = pieces.OpenHow;

/// The caller's root directory, opened as an O_PATH fd.
pub const Root = struct {
    fd: i32,
    held: path_mod.RootFd,

    /// The root of sandboxed thread `tid` (path.zig `caller_root`: the sandbox's, kept by this
    /// thread while the sandbox runs).
    pub fn open(tid: i32) sys.Errno!Root {
        assert(tid > 0);
        const held = try path_mod.caller_root(.{ .pid = tid, .tid = tid });
        return .{ .fd = held.fd, .held = held };
    }

    pub fn close(self: Root) void {
        self.held.release();
    }

    /// The openat2 arguments for `canonical` inside the root: the path relative to it, and the
    /// open flags with O_CLOEXEC and O_NOCTTY added, resolving no symlink or magic link.
    fn prepare(canonical: []const u8, flags: u64, mode: u64, buf: *[path_mod.path_len_max + 1]u8) sys.Errno!Prepared {
        assert(canonical.len > 0);
        const relative = std.fmt.bufPrintZ(buf, "{s}", .{if (std.mem.eql(u8, canonical, "/")) "." else if (canonical[0] == '/') canonical[1..] else canonical}) catch
            return error.NAMETOOLONG;
        // O_PATH takes no other flags but O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC (else EINVAL).
        const extra: u64 = if (flags & handlers.o.path != 0) handlers.o.cloexec else handlers.o.cloexec | handlers.o.noctty;
        return .{ .relative = relative, .how = .{
            .flags = flags | extra,
            .mode = mode,
            .resolve = pieces.resolve_strict,
        } };
    }

    /// Opens `canonical` inside the root; `flags` are open flags (O_CLOEXEC, O_NOCTTY added).
    /// A name of PATH_MAX bytes or more is opened in pieces (`openat2_long`).
    pub fn openat2(self: Root, canonical: []const u8, flags: u64, mode: u64) sys.Errno!i32 {
        if (canonical.len > path_mod.path_len_max) return self.openat2_long(null, canonical, flags, mode);
        var buf: [path_mod.path_len_max + 1]u8 = undefined;
        const call = try prepare(canonical, flags, mode, &buf);
        const fd = try sys.retry(linux.syscall4, .{ .openat2, @as(usize, @bitCast(@as(isize, self.fd))), @intFromPtr(call.relative.ptr), @intFromPtr(&call.how), @sizeOf(OpenHow) });
        return checked(@intCast(fd), canonical);
    }

    /// As `openat2`, for opens that may block (a FIFO without a peer): interruptible by the monitor.
    pub fn openat2_blocking(self: Root, request: *const handlers.Request, canonical: []const u8, flags: u64, mode: u64) sys.Errno!i32 {
        if (canonical.len > path_mod.path_len_max) return self.openat2_long(request, canonical, flags, mode);
        var buf: [path_mod.path_len_max + 1]u8 = undefined;
        const call = try prepare(canonical, flags, mode, &buf);
        const fd = try handlers.blocking_call(request, true, linux.syscall4, .{ .openat2, @as(usize, @bitCast(@as(isize, self.fd))), @intFromPtr(call.relative.ptr), @intFromPtr(&call.how), @sizeOf(OpenHow) });
        return checked(@intCast(fd), canonical);
    }

    /// As `openat2` for a name too long for one call: its leading directories are opened in
    /// pieces under the root with the same resolve flags (pieces.split), then the last piece
    /// with `flags` under the last directory, so that a symlink or magic link swapped into any
    /// piece fails as it would in one openat2 of the whole name.
    fn openat2_long(self: Root, request: ?*const handlers.Request, canonical: []const u8, flags: u64, mode: u64) sys.Errno!i32 {
        assert(canonical.len > path_mod.path_len_max and canonical[0] == '/');
        var rest_buf: [path_mod.path_len_max]u8 = undefined;
        const at = try pieces.split(self.fd, canonical[1..], pieces.resolve_strict, &rest_buf);
        defer at.close();
        var buf: [path_mod.path_len_max + 1]u8 = undefined;
        const call = try prepare(at.rest, flags, mode, &buf);
        const args = .{ .openat2, @as(usize, @bitCast(@as(isize, at.dir_fd))), @intFromPtr(call.relative.ptr), @intFromPtr(&call.how), @sizeOf(OpenHow) };
        const fd = if (request) |r| try handlers.blocking_call(r, true, linux.syscall4, args) else try sys.retry(linux.syscall4, args);
        return checked(@intCast(fd), canonical);
    }

    /// syd opens as itself, and its own /proc entries are open to it: the canonical path was
    /// checked before the open (path.zig), and is checked again once the fd holds the object,
    /// so that a sandboxed pid reused by a syd thread in between is refused too.
    fn checked(fd: i32, canonical: []const u8) sys.Errno!i32 {
        assert(fd >= 0);
        if (path_mod.names_syd_proc(canonical)) {
            sys.close(fd);
            return error.ACCES;
        }
        return fd;
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

const Prepared = struct { relative: [:0]const u8, how: OpenHow };

/// `/proc/thread-self/fd/N` for one of syd's own fds: to act through it (an O_PATH fd of the
/// object judged) with a call that takes a path. thread-self: each syd thread has its own fd
/// table (pool.thread_setup).
pub fn fd_link(fd: i32, buf: *[48]u8) [:0]const u8 {
    assert(fd >= 0);
    return std.fmt.bufPrintZ(buf, "/proc/thread-self/fd/{d}", .{fd}) catch unreachable;
}

/// syd's own copy of the caller's fd `target` (pidfd_getfd). Fd calls act on it and judge its
/// path, so that the caller swapping the fd number meanwhile redirects nothing. `creating`: set
/// the caller's umask (a bound UNIX socket is a new file).
pub fn caller_fd(request: *const handlers.Request, target: i32, creating: bool) sys.Errno!i32 {
    if (target < 0) return error.BADF;
    try act_for(request, "", creating);
    // A pidfd of the calling thread itself (PIDFD_THREAD, Linux 6.9): the fd table it names is
    // the one the caller's fd number belongs to (a thread may have unshared its own), and the
    // thread group need not be looked up first. Older kernels: the thread group's.
    if (kept_pidfd(request.tid())) |pidfd| {
        if (sys.pidfd_getfd(pidfd, target)) |copy| return copy else |err| if (err != error.SRCH) return err;
        forget_pidfd(request.tid()); // kept for a thread that exited: its number is another's now
    }
    const pidfd = sys.pidfd_open_thread(request.tid()) catch |err| switch (err) {
        error.INVAL => {
            const status = try caller_for(request, "", creating);
            const group = try sys.pidfd_open(status.tgid);
            defer sys.close(group);
            return sys.pidfd_getfd(group, target);
        },
        else => return err,
    };
    keep_pidfd(request.tid(), pidfd);
    return sys.pidfd_getfd(pidfd, target);
}

/// pidfds of callers' threads this syd thread keeps (in its own fd table), so that an fd call
/// does not open and close one each time. A pidfd names one task for good: one kept for a
/// thread that has exited fails (ESRCH) rather than reach the task that reused its number, and
/// is then opened again. Replaced round-robin when full.
const kept_pidfds_max: usize = 64;
threadlocal var kept_tids: [kept_pidfds_max]i32 = [_]i32{0} ** kept_pidfds_max;
threadlocal var kept_pidfds: [kept_pidfds_max]i32 = [_]i32{-1} ** kept_pidfds_max;
threadlocal var kept_next: usize = 0;

fn kept_pidfd(tid: i32) ?i32 {
    assert(tid > 0);
    for (kept_tids, kept_pidfds) |kept, pidfd| if (kept == tid) return pidfd;
    return null;
}

fn forget_pidfd(tid: i32) void {
    assert(tid > 0);
    for (&kept_tids, &kept_pidfds) |*kept, *pidfd| if (kept.* == tid) {
        sys.close(pidfd.*);
        kept.* = 0;
        pidfd.* = -1;
    };
}

/// Keeps `pidfd` (of thread `tid`), closing the one it replaces; this thread owns it now.
fn keep_pidfd(tid: i32, pidfd: i32) void {
    assert(tid > 0 and pidfd >= 0);
    assert(kept_pidfd(tid) == null);
    const slot = kept_next % kept_pidfds_max;
    kept_next = slot + 1;
    if (kept_pidfds[slot] >= 0) sys.close(kept_pidfds[slot]);
    kept_tids[slot] = tid;
    kept_pidfds[slot] = pidfd;
}

/// syd's copy of what `/proc/PID[/task/TID]/fd/N` names, as the kernel follows that magic link
/// for the caller (path.zig keeps such a name when the link's target is no path: a pipe, a
/// socket, an anonymous inode). Copied with pidfd_getfd, so a dup2 onto N meanwhile redirects
/// nothing; only the caller's own fds (another process's: EACCES, as the original); an object
/// that has a path now was not the one judged by name (ELOOP, as any path changed after its
/// check).
pub fn caller_named_fd(request: *const handlers.Request, pid: i32, tid: ?i32, target: i32, creating: bool) sys.Errno!i32 {
    assert(pid > 0 and target >= 0);
    const status = try caller_for(request, "", creating);
    if (pid != status.tgid) return error.ACCES;
    const id = tid orelse pid;
    const thread = id != status.tgid;
    const pidfd_thread: u32 = 0o200; // PIDFD_THREAD (O_EXCL), Linux 6.9
    const pidfd: i32 = @intCast(try sys.check(linux.pidfd_open(id, if (thread) pidfd_thread else 0)));
    defer sys.close(pidfd);
    if (thread) {
        // The pidfd holds the task: it is still one of the caller's threads if /proc says so now.
        var task_buf: [64]u8 = undefined;
        const task = std.fmt.bufPrintZ(&task_buf, "/proc/{d}/task/{d}", .{ status.tgid, id }) catch unreachable;
        var st: linux.Stat = undefined;
        _ = sys.check(linux.fstatat(linux.AT.FDCWD, task.ptr, &st, 0)) catch return error.ACCES;
    }
    const copy = try sys.pidfd_getfd(pidfd, target);
    errdefer sys.close(copy);
    var link_buf: [48]u8 = undefined;
    var target_buf: [path_mod.path_len_max]u8 = undefined;
    const link = fd_link(copy, &link_buf);
    const target_len = try sys.check(linux.readlink(link.ptr, &target_buf, target_buf.len));
    if (target_len == 0 or target_buf[0] == '/') return error.LOOP;
    assert(copy >= 0);
    return copy;
}

/// The canonical path of one of syd's own fds (a copy made by `caller_fd`). Another
/// process's /proc entry (an fd the caller got to /proc/<N>/map_files, say) is refused as
/// path.zig refuses it by name: syd would act on it with CAP_SYS_PTRACE, from outside the
/// sandbox's Landlock domain.
pub fn own_fd_path(request: *const handlers.Request, fd: i32, out: []u8) sys.Errno![]const u8 {
    assert(fd >= 0);
    const self: path_mod.Caller = .{ .pid = sys.getpid(), .tid = sys.gettid() };
    const path = try path_mod.canonicalize(self, fd, "", .{ .empty_path = true }, out);
    const caller: path_mod.Caller = .{ .pid = request.tid(), .tid = request.tid() };
    if (!path_mod.caller_may_name(caller, path)) return error.ACCES;
    return path;
}

/// Whether this thread may take a caller's filesystem ids and groups (`act_as`): an emulator,
/// holding CAP_SETUID and CAP_SETGID under SafeSetID's transits (workers/emu.zig sets it).
pub threadlocal var acting_allowed: bool = false;
/// Whether this thread acts as another user now (`act_as`), until `act_as_syd`.
threadlocal var acting_as_other: bool = false;

/// This thread takes the caller's filesystem ids and supplementary groups, for the call it
/// performs for it (per thread: syd's other threads keep theirs). False when the kernel did not
/// give them all (this thread then is syd again).
fn act_as(status: *const caller_mod.Status) bool {
    assert(acting_allowed);
    acting_as_other = true;
    const groups = status.group_list();
    _ = sys.check(linux.syscall2(.setgroups, groups.len, @intFromPtr(groups.ptr))) catch {
        act_as_syd_now();
        return false;
    };
    _ = linux.syscall1(.setfsgid, status.fsgid);
    _ = linux.syscall1(.setfsuid, status.fsuid);
    // setfs[ug]id answer the previous id: asked again with an id no one has, they answer the
    // id now in force.
    const gid_now: u32 = @truncate(linux.syscall1(.setfsgid, std.math.maxInt(u32)));
    const uid_now: u32 = @truncate(linux.syscall1(.setfsuid, std.math.maxInt(u32)));
    if (gid_now != status.fsgid or uid_now != status.fsuid) {
        act_as_syd_now();
        return false;
    }
    return true;
}

/// Takes the ids of the caller of `request` for the whole call, path resolution included, when
/// they are not syd's (SafeSetID: found by the attack session, a process that dropped to nobody
/// had syd resolve symlinks and stat paths in directories it cannot search, as root). EACCES
/// when the kernel did not give them.
pub fn act_as_caller(request: *const handlers.Request) sys.Errno!void {
    assert(acting_allowed);
    var status: caller_mod.Status = .{};
    try caller_mod.read_status(request.tid(), &status);
    if (caller_mod.same_credentials(&status, &own_ids)) return;
    if (!act_as(&status)) return error.ACCES;
}

/// syd's own filesystem ids and groups back on this thread, after a call performed as another
/// user (handlers/mod.zig `handle` calls it after every call).
pub fn act_as_syd() void {
    if (!acting_as_other) return;
    act_as_syd_now();
}

/// The ids syd started with (set once, before the emulators start).
pub var own_ids: caller_mod.Status = .{};

fn act_as_syd_now() void {
    _ = linux.syscall1(.setfsuid, own_ids.fsuid);
    _ = linux.syscall1(.setfsgid, own_ids.fsgid);
    const groups = own_ids.group_list();
    // syd's groups cannot fail to come back (it had them, it holds CAP_SETGID): if they did,
    // this thread must not go on acting for anyone.
    _ = sys.check(linux.syscall2(.setgroups, groups.len, @intFromPtr(groups.ptr))) catch
        std.debug.panic("syd_emu: cannot take syd's groups back", .{});
    const uid_now: u32 = @truncate(linux.syscall1(.setfsuid, std.math.maxInt(u32)));
    if (uid_now != own_ids.fsuid) std.debug.panic("syd_emu: cannot take syd's filesystem uid back", .{});
    acting_as_other = false;
}

/// Checks that syd may act for the caller, as `caller_for`, and sets this thread's umask to the
/// caller's when `creating`; without reading the caller's status where its credentials cannot
/// differ from syd's: syd's own uids are one (real, effective, saved, filesystem) and so are its
/// gids, and the sandbox started with them, with no capability (layers/caps.zig
/// `child_drop_all`, which fails the start if it cannot), no_new_privs (an exec gains no id)
/// and no user namespace (filter/table.zig refuses CLONE_NEWUSER). A set*id call without
/// CAP_SETUID or CAP_SETGID may only choose among the real, effective and saved ids, and
/// setgroups needs CAP_SETGID: every sandboxed thread's filesystem ids and groups stay syd's.
pub fn act_for(request: *const handlers.Request, canonical: []const u8, creating: bool) sys.Errno!void {
    // Without SafeSetID's transits no sandboxed process can change its ids (no CAP_SETUID,
    // no_new_privs), so they are syd's; with them, every caller is looked at.
    const setid = request.policy.setid;
    const fixed_ids = setid.uid.len == 0 and setid.gid.len == 0;
    if (!creating and request.own.ids_uniform and fixed_ids) return;
    _ = try caller_for(request, canonical, creating);
}

/// The caller's status, when syd may act for it: its filesystem credentials must be syd's, or
/// under SafeSetID's transits this thread takes them (`act_as`; otherwise EACCES, logged). Sets
/// this thread's umask to the caller's when `creating`.
pub fn caller_for(request: *const handlers.Request, canonical: []const u8, creating: bool) sys.Errno!caller_mod.Status {
    var status: caller_mod.Status = .{};
    try caller_mod.read_status(request.tid(), &status);
    // Under transits handlers.handle has taken the caller's ids already (`act_as_caller`: the
    // calling thread's ids cannot change while its call waits); the tracer's later checks have not.
    if (!caller_mod.same_credentials(&status, request.own) and !(acting_allowed and (acting_as_other or act_as(&status)))) {
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
