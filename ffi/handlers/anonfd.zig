//! eventfd, eventfd2, signalfd, signalfd4, timerfd_create, epoll_create, epoll_create1,
//! inotify_init, inotify_init1, fanotify_init, pipe, pipe2, memfd_create, memfd_secret: calls
//! that make a file descriptor naming no path. Judged for create on the name the original gives
//! the object (`!eventfd`, `!signalfd`, `!timerfd`, `!eventpoll`, `!inotify`, `!fanotify`,
//! `!pipe`, `!notification_pipe`, `!memfd:NAME`, `!memfd-hugetlb:NAME`, `!secretmem`), denied
//! with the original's errno for each call.
//!
//! Every name but a memfd's follows from the call number and register arguments alone, which the
//! caller cannot change once trapped: those calls are continued when allowed. A memfd's name is
//! in the caller's memory, which another thread may rewrite after syd reads it: syd creates the
//! memfd itself, with the name it judged, and hands it over (ADDFD).
//!
//! Needs: memfd_create (Linux 3.17), ADDFD (5.9; SEND 5.14) for memfds.
//! Assumes: the caller is trapped for one of the calls above (handlers/mod.zig `handle`).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const path_mod = @import("../judge/path.zig");
const policy_mod = @import("../judge/policy.zig");
const handlers = @import("mod.zig");
const emulate = @import("emulate.zig");
const table = @import("../filter/table.zig");

const Request = handlers.Request;
const Response = handlers.Response;
const SYS = linux.SYS;
const E = linux.E;

/// O_NOTIFICATION_PIPE (linux/watch_queue.h) shares O_EXCL's bit.
const mfd_cloexec: u32 = 0x1;
const mfd_hugetlb: u32 = 0x4;
const mfd_noexec_seal: u32 = 0x8;
const mfd_exec: u32 = 0x10;
/// The longest memfd name the kernel takes (NAME_MAX less "memfd:").
pub const memfd_name_len_max: usize = 249;

/// The object a call makes: its name as judged, and the errno of a denial.
pub const Object = struct { name: []const u8, errno: E };

/// The object `nr` makes with register arguments `args`, or null for a call of another family
/// or a memfd (whose name is in memory).
pub fn object(nr: SYS, args: [6]u64) ?Object {
    return switch (nr) {
        .eventfd, .eventfd2 => .{ .name = "!eventfd", .errno = .NODEV },
        .signalfd, .signalfd4 => .{ .name = "!signalfd", .errno = .NODEV },
        .timerfd_create => .{ .name = "!timerfd", .errno = .NODEV },
        .epoll_create, .epoll_create1 => .{ .name = "!eventpoll", .errno = .NOMEM },
        .inotify_init, .inotify_init1 => .{ .name = "!inotify", .errno = .NOMEM },
        .fanotify_init => .{ .name = "!fanotify", .errno = .PERM },
        .pipe => .{ .name = "!pipe", .errno = .NOMEM },
        .pipe2 => if (args[1] & table.o_notification_pipe != 0)
            .{ .name = "!notification_pipe", .errno = .NOPKG }
        else
            .{ .name = "!pipe", .errno = .NOMEM },
        .memfd_secret => .{ .name = "!secretmem", .errno = .ACCES },
        else => null,
    };
}

/// The judged name of a memfd called `name` made with `flags`, into `buf`.
pub fn memfd_name(name: []const u8, flags: u32, buf: []u8) []const u8 {
    assert(name.len <= memfd_name_len_max);
    assert(buf.len >= memfd_name_len_max + "!memfd-hugetlb:".len);
    const prefix = if (flags & mfd_hugetlb != 0) "!memfd-hugetlb:" else "!memfd:";
    return std.fmt.bufPrint(buf, "{s}{s}", .{ prefix, name }) catch unreachable;
}

pub fn handle(request: *const Request) Response {
    const nr = handlers.nr_of(request);
    // As the filter answers while create sandboxing cannot be on (filter/table.zig pipe2_row).
    if (nr == .pipe2) if (table.refusal(table.pipe2_answer, request.notif.data.args)) |errno| return .{ .failure = @intFromEnum(errno) };
    // syd makes every memfd itself (filter/table.zig): sealed against execution unless
    // trace/allow_unsafe_memfd, which then has its making judged for exec; for create
    // sandboxing; and close-on-exec for trace/force_cloexec. Else the call goes on.
    if (nr == .memfd_create) {
        const p = request.policy;
        const judged = handlers.any_on(p, &.{.create}) or (p.allow_unsafe_memfd and handlers.any_on(p, &.{.exec}));
        if (p.force_cloexec or !p.allow_unsafe_memfd or judged) return memfd(request);
        return .continue_call;
    }
    const force = request.policy.force_cloexec and made_by_syd(nr, request.notif.data.args);
    if (!handlers.any_on(request.policy, &.{.create}) and !force) return .continue_call;
    const made = object(nr, request.notif.data.args) orelse return .continue_call;
    if (decide(request, made)) |response| return response;
    return if (force) make(request, nr) else .continue_call;
}

const efd_cloexec: u32 = 0o2000000; // EFD_CLOEXEC, TFD_CLOEXEC, IN_CLOEXEC, SFD_CLOEXEC, EPOLL_CLOEXEC

/// trace/force_cloexec: the calls of one fd from register arguments (and, for signalfd, a mask
/// read once) that syd makes itself, to hand the fd over close-on-exec. Not pipes (two fds), not
/// signalfd on an existing fd (no fd is made), not fanotify (CAP_SYS_ADMIN, which neither holds).
fn made_by_syd(nr: SYS, args: [6]u64) bool {
    return switch (nr) {
        .eventfd, .eventfd2, .epoll_create, .epoll_create1, .timerfd_create, .inotify_init, .inotify_init1 => true,
        .signalfd, .signalfd4 => @as(i32, @bitCast(@as(u32, @truncate(args[0])))) == -1,
        else => false,
    };
}

/// Makes the fd the caller asked for, in syd (close-on-exec there), and hands it over.
fn make(request: *const Request, nr: SYS) Response {
    assert(made_by_syd(nr, request.notif.data.args));
    const arg = request.notif.data.args;
    const flags: u32 = switch (nr) {
        .eventfd, .epoll_create, .inotify_init => 0,
        .eventfd2, .epoll_create1, .inotify_init1 => @truncate(arg[if (nr == .eventfd2) 1 else 0]),
        .timerfd_create => @truncate(arg[1]),
        .signalfd => 0,
        .signalfd4 => @truncate(arg[3]),
        else => unreachable,
    };
    if (!request.valid()) return .{ .failure = @intFromEnum(E.NOENT) };
    const result = switch (nr) {
        .eventfd, .eventfd2 => sys.check(linux.eventfd(@truncate(arg[0]), flags | efd_cloexec)),
        .epoll_create => if (@as(i32, @bitCast(@as(u32, @truncate(arg[0])))) <= 0) error.INVAL else sys.check(linux.epoll_create1(efd_cloexec)),
        .epoll_create1 => sys.check(linux.epoll_create1(flags | efd_cloexec)),
        .inotify_init, .inotify_init1 => sys.check(linux.inotify_init1(flags | efd_cloexec)),
        .timerfd_create => sys.check(linux.syscall2(.timerfd_create, arg[0], flags | efd_cloexec)),
        .signalfd, .signalfd4 => signalfd(request, flags),
        else => unreachable,
    };
    const fd = result catch |err| return handlers.failure(err);
    return .{ .fd = .{ .fd = @intCast(fd), .cloexec = true } };
}

/// signalfd(-1, mask, size, flags) for the caller: its mask read once (the kernel's sizes).
fn signalfd(request: *const Request, flags: u32) sys.Errno!usize {
    const arg = request.notif.data.args;
    if (arg[2] != @sizeOf(u64)) return error.INVAL;
    var mask: u64 = 0;
    try handlers.read_memory(request.tid(), arg[1], std.mem.asBytes(&mask));
    return sys.check(linux.syscall4(.signalfd4, @bitCast(@as(isize, -1)), @intFromPtr(&mask), @sizeOf(u64), flags | efd_cloexec));
}

/// Judges `made` for create: null when allowed, the answer otherwise.
fn decide(request: *const Request, made: Object) ?Response {
    return decide_for(request, .create, made);
}

/// `decide` for category `cat` (exec: the making of a memfd that may be executed).
fn decide_for(request: *const Request, cat: policy_mod.Cat, made: Object) ?Response {
    assert(made.name.len > 1 and made.name[0] == '!');
    const verdict = handlers.judge(request.policy, &.{cat}, made.name);
    if (!verdict.judged) return null;
    if (handlers.enforce(request, verdict, made.name) == null) return null;
    return .{ .failure = @intFromEnum(made.errno) };
}

fn memfd(request: *const Request) Response {
    const caller: path_mod.Caller = .{ .pid = request.tid(), .tid = request.tid() };
    const flags: u32 = @truncate(request.arg(1));
    var raw_buf: [path_mod.path_len_max]u8 = undefined;
    const raw = path_mod.read_string(caller, request.arg(0), &raw_buf) catch |err|
        return if (err == error.NAMETOOLONG) .{ .failure = @intFromEnum(E.INVAL) } else handlers.failure(err);
    if (raw.len > memfd_name_len_max) return .{ .failure = @intFromEnum(E.INVAL) };
    var name_buf: [memfd_name_len_max + 16]u8 = undefined;
    const name = memfd_name(raw, flags, &name_buf);
    if (decide(request, .{ .name = name, .errno = .ACCES })) |response| return response;
    // As the original: a memfd that may be made executable is judged for exec by its name.
    if (request.policy.allow_unsafe_memfd) if (decide_for(request, .exec, .{ .name = name, .errno = .ACCES })) |response| return response;
    if (!request.valid()) return .{ .failure = @intFromEnum(E.NOENT) };
    // syd's copy is close-on-exec whatever the caller asked; the caller's follows MFD_CLOEXEC.
    var name_z: [memfd_name_len_max + 1]u8 = undefined;
    @memcpy(name_z[0..raw.len], raw);
    name_z[raw.len] = 0;
    // hugetlbfs records MFD_NOEXEC_SEAL's seal but does not hold chmod to it (found by review):
    // a huge-page memfd could be made executable, so it is refused unless
    // trace/allow_unsafe_memfd (EINVAL, as a kernel without huge pages for memfds answers).
    if (!request.policy.allow_unsafe_memfd and flags & mfd_hugetlb != 0) return .{ .failure = @intFromEnum(E.INVAL) };
    // As the original: MFD_EXEC dropped and MFD_NOEXEC_SEAL added (EINVAL before Linux 6.3,
    // where trace/allow_unsafe_memfd:1 is needed), unless trace/allow_unsafe_memfd.
    const made = if (request.policy.allow_unsafe_memfd) flags else (flags & ~mfd_exec) | mfd_noexec_seal;
    const fd = sys.retry(linux.memfd_create, .{ @as([*:0]const u8, @ptrCast(&name_z)), made | mfd_cloexec }) catch |err|
        return handlers.failure(err);
    return .{ .fd = .{ .fd = @intCast(fd), .cloexec = flags & mfd_cloexec != 0 } };
}

test "object names follow the original's, with its errnos" {
    const none = [_]u64{0} ** 6;
    try std.testing.expectEqualStrings("!eventfd", object(.eventfd2, none).?.name);
    try std.testing.expectEqual(E.NODEV, object(.timerfd_create, none).?.errno);
    try std.testing.expectEqual(E.NOMEM, object(.epoll_create1, none).?.errno);
    try std.testing.expectEqual(E.PERM, object(.fanotify_init, none).?.errno);
    try std.testing.expectEqualStrings("!pipe", object(.pipe2, none).?.name);
    var notification = none;
    notification[1] = table.o_notification_pipe;
    try std.testing.expectEqualStrings("!notification_pipe", object(.pipe2, notification).?.name);
    try std.testing.expectEqual(E.NOPKG, object(.pipe2, notification).?.errno);
    try std.testing.expect(object(.memfd_create, none) == null);
    try std.testing.expect(object(.openat, none) == null);
}

test "memfd names carry the hugetlb flag" {
    var buf: [memfd_name_len_max + 16]u8 = undefined;
    try std.testing.expectEqualStrings("!memfd:x", memfd_name("x", 0, &buf));
    try std.testing.expectEqualStrings("!memfd-hugetlb:", memfd_name("", mfd_hugetlb | mfd_cloexec, &buf));
    const long = [_]u8{'a'} ** memfd_name_len_max;
    try std.testing.expectEqual(memfd_name_len_max + 7, memfd_name(&long, 0, &buf).len);
}

const s_ifmt: u32 = 0o170000;
const pipefs_magic: u64 = 0x50495045;
const nsfs_magic: u64 = 0x6e736673;
const pidfs_magic: u64 = 0x50494446;
const secretmem_magic: u64 = 0x5345434d;
const tmpfs_magic: u64 = 0x01021994;
const hugetlbfs_magic: u64 = 0x958458f6;
const anon_inode_fs_magic: u64 = 0x09041934;
/// IOC_WATCH_QUEUE_SET_SIZE (_IO('W', 0x60)): with 0 notes, EBUSY or EINVAL on a notification
/// pipe, ENODEV on any other (nothing is changed either way).
pub const ioc_watch_queue_set_size: u32 = 0x5760;

/// The name the original gives syd's own fd `fd` for sendfd: `!file`, `!dir`, `!pipe`,
/// `!memfd:NAME`, `!eventpoll` (an anonymous inode's own name), ..., `!unknown`; into `buf`.
pub fn fd_name(fd: i32, buf: []u8) sys.Errno![]const u8 {
    assert(fd >= 0);
    assert(buf.len >= memfd_name_len_max + 16);
    var st: linux.Statx = undefined;
    _ = try sys.check(linux.statx(fd, "", linux.AT.EMPTY_PATH, linux.STATX_TYPE, &st));
    const fs_type = try sys.fstatfs_type(fd);
    return switch (@as(u32, st.mode) & s_ifmt) {
        linux.S.IFBLK => "!bdev",
        linux.S.IFCHR => "!cdev",
        linux.S.IFSOCK => "!socket",
        linux.S.IFDIR => "!dir",
        linux.S.IFIFO => if (fs_type != pipefs_magic) "!fifo" else if (notification_pipe(fd)) "!notification_pipe" else "!pipe",
        linux.S.IFLNK => link_name(try own_link(fd, buf)),
        linux.S.IFREG => switch (fs_type) {
            nsfs_magic => "!nsfs",
            pidfs_magic => "!pidfd",
            secretmem_magic => "!secretmem",
            tmpfs_magic, hugetlbfs_magic => memfd_of(try own_link(fd, buf), fs_type == hugetlbfs_magic, buf),
            else => "!file",
        },
        else => switch (fs_type) {
            nsfs_magic => "!nsfs",
            pidfs_magic => "!pidfd",
            anon_inode_fs_magic => anon_name(try own_link(fd, buf), buf),
            else => "!unknown",
        },
    };
}

fn notification_pipe(fd: i32) bool {
    const rc = sys.check(linux.ioctl(fd, ioc_watch_queue_set_size, 0));
    return if (rc) |_| true else |err| err == error.BUSY or err == error.INVAL;
}

/// What syd's `/proc/thread-self/fd/N` link for `fd` says, into `buf`.
fn own_link(fd: i32, buf: []u8) sys.Errno![]const u8 {
    var link_buf: [48]u8 = undefined;
    const link = emulate.fd_link(fd, &link_buf);
    const len = try sys.check(linux.readlink(link, buf.ptr, buf.len));
    if (len == buf.len) return error.NAMETOOLONG;
    return buf[0..len];
}

/// An O_PATH fd of a symlink: a magic link of /proc (`!magiclink`, or `!magicdir` where it
/// names a directory: cwd, root, /proc/self) or any other (`!symlink`).
fn link_name(target: []const u8) []const u8 {
    const path = std.mem.trimRight(u8, if (std.mem.endsWith(u8, target, " (deleted)")) target[0 .. target.len - 10] else target, "/");
    if (!std.mem.startsWith(u8, path, "/proc/")) return "!symlink";
    const last = path[std.mem.lastIndexOfScalar(u8, path, '/').? + 1 ..];
    if (std.mem.eql(u8, path, "/proc/self") or std.mem.eql(u8, path, "/proc/thread-self")) return "!magicdir";
    if (std.mem.eql(u8, last, "cwd") or std.mem.eql(u8, last, "root")) return "!magicdir";
    if (std.mem.eql(u8, last, "exe") or std.mem.indexOf(u8, path, "/fd/") != null or
        std.mem.indexOf(u8, path, "/ns/") != null or std.mem.indexOf(u8, path, "/map_files/") != null) return "!magiclink";
    return "!symlink";
}

/// `/memfd:NAME (deleted)` is a memfd (`!memfd:NAME`, `!memfd-hugetlb:NAME`); any other file of
/// tmpfs or hugetlbfs is a `!file`. A name the original would not print is `!unknown`.
fn memfd_of(target: []const u8, huge: bool, buf: []u8) []const u8 {
    const suffix = " (deleted)";
    if (!std.mem.startsWith(u8, target, "/memfd:") or !std.mem.endsWith(u8, target, suffix)) return "!file";
    const name = target["/memfd:".len .. target.len - suffix.len];
    if (name.len > memfd_name_len_max or !printable(name)) return "!unknown";
    var copy: [memfd_name_len_max]u8 = undefined;
    @memcpy(copy[0..name.len], name);
    return memfd_name(copy[0..name.len], if (huge) mfd_hugetlb else 0, buf);
}

/// `anon_inode:[eventpoll]` is `!eventpoll`, `anon_inode:inotify` is `!inotify`.
fn anon_name(target: []const u8, buf: []u8) []const u8 {
    var name = target;
    if (std.mem.startsWith(u8, name, "anon_inode:")) name = name["anon_inode:".len..];
    if (std.mem.startsWith(u8, name, "[")) name = name[1..];
    if (std.mem.endsWith(u8, name, "]")) name = name[0 .. name.len - 1];
    var copy: [62]u8 = undefined; // `name` may lie in `buf`
    if (name.len == 0 or name.len > copy.len or name.len + 1 > buf.len or !printable(name)) return "!unknown";
    @memcpy(copy[0..name.len], name);
    buf[0] = '!';
    @memcpy(buf[1..][0..name.len], copy[0..name.len]);
    return buf[0 .. 1 + name.len];
}

/// The characters the original allows in a file descriptor's name.
fn printable(name: []const u8) bool {
    for (name) |c| {
        if (!std.ascii.isAlphanumeric(c) and std.mem.indexOfScalar(u8, "_-.: ", c) == null) return false;
    }
    return true;
}

test "fd names of syd's own objects" {
    var buf: [path_mod.path_len_max]u8 = undefined;
    const pipe = try sys.pipe(false);
    defer for (pipe) |fd| sys.close(fd);
    try std.testing.expectEqualStrings("!pipe", try fd_name(pipe[0], &buf));
    const mfd: i32 = @intCast(try sys.check(linux.memfd_create("syd-test-x", mfd_cloexec)));
    defer sys.close(mfd);
    try std.testing.expectEqualStrings("!memfd:syd-test-x", try fd_name(mfd, &buf));
    const efd: i32 = @intCast(try sys.check(linux.eventfd(0, linux.EFD.CLOEXEC)));
    defer sys.close(efd);
    try std.testing.expectEqualStrings("!eventfd", try fd_name(efd, &buf));
    const dir: i32 = @intCast(try sys.check(linux.open("/", .{ .DIRECTORY = true, .CLOEXEC = true }, 0)));
    defer sys.close(dir);
    try std.testing.expectEqualStrings("!dir", try fd_name(dir, &buf));
    const file: i32 = @intCast(try sys.check(linux.open("/proc/self/status", .{ .CLOEXEC = true }, 0)));
    defer sys.close(file);
    try std.testing.expectEqualStrings("!file", try fd_name(file, &buf));
}

test "magic links and anonymous inodes are named as the original names them" {
    var buf: [64]u8 = undefined;
    try std.testing.expectEqualStrings("!magicdir", link_name("/proc/self"));
    try std.testing.expectEqualStrings("!magicdir", link_name("/proc/12/cwd"));
    try std.testing.expectEqualStrings("!magiclink", link_name("/proc/12/fd/3"));
    try std.testing.expectEqualStrings("!symlink", link_name("/tmp/link"));
    try std.testing.expectEqualStrings("!eventpoll", anon_name("anon_inode:[eventpoll]", &buf));
    try std.testing.expectEqualStrings("!inotify", anon_name("anon_inode:inotify", &buf));
    try std.testing.expectEqualStrings("!unknown", anon_name("anon_inode:[a/b]", &buf));
    try std.testing.expectEqualStrings("!file", memfd_of("/tmp/x", false, &buf));
}
