//! open, openat, openat2, creat: judged on the canonical path for read, write, create and
//! truncate, and, when allowed, performed by syd (openat2 inside the caller's root, with no
//! symlink or magic link followed) and handed to the caller with ADDFD.
//!
//! Needs: openat2 (Linux 5.6), SECCOMP_IOCTL_NOTIF_ADDFD with SEND (5.14), /proc/TID/root.
//! Assumes: called from an emulator thread with its own fs struct (it sets the caller's umask).
//! The path judged is the path opened: a component swapped for a symlink after the check makes
//! openat2 fail (ELOOP) instead of opening something else.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const path_mod = @import("../judge/path.zig");
const policy_mod = @import("../judge/policy.zig");
const handlers = @import("mod.zig");
const emulate_mod = @import("emulate.zig");
const magic = @import("magic.zig");
const tty = @import("tty.zig");
const harden = @import("harden.zig");
const procfs = @import("procfs.zig");
const mask = @import("mask.zig");

const Request = handlers.Request;
const Response = handlers.Response;
const Cat = policy_mod.Cat;

const o_accmode: u32 = 0o3;
const o_creat: u32 = 0o100;
const o_excl: u32 = 0o200;
const o_trunc: u32 = 0o1000;
const o_directory: u32 = 0o200000;
const o_tmpfile: u32 = 0o20000000 | o_directory;
/// The flags openat2 accepts (it refuses unknown bits that open() ignores).
const o_valid: u32 = 0o3 | o_creat | o_excl | handlers.o.noctty | o_trunc | 0o2000 | 0o4000 | 0o4010000 |
    0o10000 | 0o20000 | 0o40000 | 0o100000 | o_directory | handlers.o.nofollow | 0o1000000 | handlers.o.cloexec |
    handlers.o.path | o_tmpfile;

const OpenHow = emulate_mod.OpenHow;

/// The arguments of any of the four calls, in openat's terms.
const Args = struct { dirfd: i32, path_addr: u64, flags: u32, mode: u32 };

/// Every category an open can feed: when none is on, nothing is read or judged.
const family = [_]Cat{ .read, .write, .create, .truncate, .readdir, .mktemp, .stat };

/// `handle`'s buffers (one call at a time per thread), in this thread's storage: on the stack,
/// ReleaseSafe would fill them with 0xaa at every call.
threadlocal var scratch: struct { raw: [path_mod.path_len_max]u8, canonical: [path_mod.long_len_max]u8, view: [path_mod.path_len_max + 32]u8 } = undefined;

pub fn handle(request: *const Request) Response {
    const unlocked = magic.unlocked_for(request);
    const fs_on = request.policy.fs_on;
    // The trace/force_* options and trace/deny_dotdot act on every open: syd performs each
    // while one is on (continued, the kernel would open without them).
    const judged = fs_on or handlers.any_on(request.policy, &family) or forced(request.policy);
    // The hardenings an open makes hold whatever the rules say (README "Filesystem hardening"):
    // with one of them on, syd performs every open, judged or not (`-p off` too, as the original).
    // Masks (mask.zig) too: a masked path is opened by syd, on its target.
    const performed_read = judged or hardened(request.policy) or request.policy.masks.len > 0;
    const args_read = decode(request) catch |err| return if (performed_read or unlocked) .{ .failure = sys.errno_value(err) } else .continue_call;
    // W^X: an open for writing is performed, so that /proc/PID/mem is never opened for writing
    // (below): the kernel writes through it into read-only, executable pages (FOLL_FORCE).
    const w_x = !request.policy.allow_unsafe_exec_memory;
    const performed = performed_read or (w_x and writes(args_read.flags));
    // O_CREAT|O_DIRECTORY (not O_TMPFILE) is refused by the kernel since Linux 6.4.
    if (args_read.flags & o_creat != 0 and args_read.flags & o_tmpfile == o_directory) return .{ .failure = @intFromEnum(linux.E.INVAL) };
    // Performed: the caller's path is read once, here, for /dev/syd and for the walk (a read
    // that fails answers where the walk would have, after force_ro_open).
    const caller: path_mod.Caller = .{ .pid = request.tid(), .tid = request.tid() };
    const raw_read: ?(sys.Errno![]const u8) = if (performed) path_mod.read_string(caller, args_read.path_addr, &scratch.raw) else null;
    if (unlocked) {
        const names_dev_syd = if (raw_read) |read| std.mem.eql(u8, read catch "", magic.prefix) else magic.names_dev_syd(request, args_read.path_addr, true);
        if (names_dev_syd) return magic.open_state(request, args_read.flags);
    }
    // Nothing judged: still performed by syd for a path naming an fd's magic link, so that a
    // deleted file cannot be reopened through it (trace/allow_unsafe_deleted).
    if (!performed and !names_fd_link(request, args_read.path_addr)) return .continue_call;
    // trace/force_ro_open: no open for writing, creating or truncating (EPERM, as the original,
    // before the path is read).
    if (request.policy.force_ro_open and writes(args_read.flags)) return .{ .failure = @intFromEnum(linux.E.PERM) };
    var cats_buf: [5]Cat = undefined;
    const canonical_buf = &scratch.canonical;
    var xdev: path_mod.Xdev = .{};
    var last_mode: u32 = path_mod.mode_unknown;
    // Trusted file creation: O_CREAT (without O_EXCL) follows no symlink in the last component,
    // as if O_NOFOLLOW were given, unless trace/allow_unsafe_create:1 (the original's).
    var args = args_read;
    if (trusted_create(request.policy, args.flags)) args.flags |= handlers.o.nofollow;
    const raw = (raw_read orelse path_mod.read_string(caller, args.path_addr, &scratch.raw)) catch |err|
        return if (performed) .{ .failure = sys.errno_value(err) } else .continue_call;
    const canonical = handlers.canonicalize(request, args.dirfd, raw, .{
        .follow = if (args.flags & handlers.o.nofollow != 0 or args.flags & (o_creat | o_excl) == (o_creat | o_excl))
            .nofollow_last
        else
            .follow,
        .missing = if (args.flags & o_creat != 0) .last_may_be_missing else .must_exist,
        // O_CREAT of `name/` is EISDIR, whatever is there (the kernel's open_last_lookups).
        .slash_name = if (args.flags & o_creat != 0 and args.flags & o_tmpfile != o_tmpfile) error.ISDIR else null,
        .deny_dotdot = request.policy.deny_dotdot,
        .no_xdev = if (request.policy.force_no_xdev) &xdev else null,
        .last_mode = &last_mode,
    }, canonical_buf) catch |err| {
        // Unjudged and with no hardening on, what syd cannot resolve is the kernel's to answer
        // (syd's own /proc entries are hidden from a root syd's sandbox: ENOENT, not syd's
        // EACCES). Performed, never continued: the kernel would read the path again, which
        // the caller may have changed meanwhile to one a hardening refuses.
        return if (performed) .{ .failure = sys.errno_value(err) } else .continue_call;
    };
    const existing = existing_of(request.tid(), canonical, last_mode);
    // trace/force_wx_open: no writable open of an executable regular file, no creation of one
    // (EPERM, as the original). The file's mode is checked again on what syd opens (handed).
    if (request.policy.force_wx_open and wx_refused(request.tid(), args, canonical, existing)) return .{ .failure = @intFromEnum(linux.E.PERM) };
    // Hidden block devices fail before they are judged (nothing is logged), as the original.
    if (existing == .block_device and !request.policy.unsafe_fs.allow_unsafe_mkbdev) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    const opened = categories(args.flags, existing, cats_buf[0..4]);
    // As the original, an open is judged for stat too: a path stat denies cannot be opened.
    cats_buf[opened.len] = .stat;
    const cats = cats_buf[0 .. opened.len + 1];
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) }; // the caller is gone
    const name = handlers.view(request.tid(), canonical, &scratch.view);
    if (w_x and args.flags & o_accmode != 0 and args.flags & handlers.o.path == 0 and proc_mem(name)) {
        request.log.emit(.warn, .{ .ctx = "exec", .op = "proc_mem", .act = "deny", .sys = handlers.syscall_name(request.notif.data.nr), .path = name, .pid = request.tid(), .msg = "an open of a process's memory for writing refused: it writes into executable pages (W^X)", .tip = "configure `trace/allow_unsafe_exec_memory:1'" });
        return .{ .failure = @intFromEnum(linux.E.ACCES) };
    }
    const verdict = handlers.judge(request.policy, cats, name);
    // Nothing this call feeds may be on (a directory's readdir is off, its read on): performed
    // all the same, never continued, since the kernel would read the path again, and another
    // thread may have swapped it for a file that read judges.
    if (verdict.judged) if (handlers.enforce(request, verdict, name)) |errno_value| return .{ .failure = errno_value };
    // Path masking: an allowed open of a masked path opens its target, not checked further.
    if (mask.find(request.policy, name)) |entry| return mask.open(request, entry, args.flags, existing == .directory);
    // trace/allow_unsafe_open_path:1: an O_PATH open is continued once judged (ADDFD cannot hand
    // over an O_PATH fd), as the original: the kernel resolves the path again (README, Limits).
    if (args.flags & handlers.o.path != 0 and request.policy.unsafe_fs.allow_unsafe_open_path) return .continue_call;
    return emulate(request, args, canonical, name, if (request.policy.force_no_xdev) xdev.mnt_id else null);
}

/// Whether `name` (a judged view) is a process's or thread's memory file: /proc/P/mem or
/// /proc/P/task/T/mem.
pub fn proc_mem(name: []const u8) bool {
    const rest = if (std.mem.startsWith(u8, name, "/proc/")) name["/proc/".len..] else return false;
    var parts = std.mem.splitScalar(u8, rest, '/');
    _ = parts.next() orelse return false; // the process
    const second = parts.next() orelse return false;
    if (std.mem.eql(u8, second, "mem")) return parts.next() == null;
    if (!std.mem.eql(u8, second, "task")) return false;
    _ = parts.next() orelse return false; // the thread
    const last = parts.next() orelse return false;
    return std.mem.eql(u8, last, "mem") and parts.next() == null;
}

test "proc_mem names a process's and a thread's memory file only" {
    try std.testing.expect(proc_mem("/proc/self/mem"));
    try std.testing.expect(proc_mem("/proc/42/mem"));
    try std.testing.expect(proc_mem("/proc/self/task/43/mem"));
    try std.testing.expect(!proc_mem("/proc/self/maps"));
    try std.testing.expect(!proc_mem("/proc/self/mem/x"));
    try std.testing.expect(!proc_mem("/proc/mem"));
    try std.testing.expect(!proc_mem("/tmp/proc/self/mem"));
    try std.testing.expect(!proc_mem("/proc/self/task/43/mem/"));
}

/// Whether an option makes syd perform every open (see `handle`).
fn forced(p: *const policy_mod.Policy) bool {
    return p.force_cloexec or p.force_ro_open or p.force_wx_open or p.deny_dotdot or handlers.resolution_forced(p);
}

/// Whether an open with `flags` writes, creates or truncates (the original's "can write").
fn writes(flags: u32) bool {
    if (flags & handlers.o.path != 0) return false;
    const access = flags & o_accmode;
    return access == 1 or access == 2 or flags & (o_creat | o_trunc) != 0 or flags & o_tmpfile == o_tmpfile;
}

/// trace/force_wx_open, before the open: a writable open of an existing executable regular
/// file, or an open that may create a file with an executable mode.
fn wx_refused(tid: i32, args: Args, canonical: []const u8, existing: Existing) bool {
    assert(canonical.len > 0 and canonical[0] == '/');
    if (!writes(args.flags)) return false;
    const access = args.flags & o_accmode;
    const writable = access == 1 or access == 2;
    const creating = args.flags & o_tmpfile == o_tmpfile or (args.flags & o_creat != 0 and existing == .missing);
    if (creating) return writable and args.mode & 0o111 != 0;
    // An existing file, looked at before the open so that O_TRUNC truncates nothing it refuses;
    // a file swapped in meanwhile is caught on the fd syd opened (`handed`).
    var full_buf: [path_mod.path_len_max + 32]u8 = undefined;
    const full = std.fmt.bufPrintZ(&full_buf, "/proc/{d}/root{s}", .{ tid, canonical }) catch return true;
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstatat(linux.AT.FDCWD, full.ptr, &st, linux.AT.SYMLINK_NOFOLLOW)) catch return false; // the open answers
    return st.mode & linux.S.IFMT == linux.S.IFREG and st.mode & 0o111 != 0;
}

/// trace/force_wx_open, on the fd syd opened: whether it is an executable regular file opened
/// for writing or truncating.
fn wx_fd_refused(fd: i32, flags: u32) bool {
    assert(fd >= 0);
    if (!writes(flags)) return false;
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch return true; // fail closed
    return st.mode & linux.S.IFMT == linux.S.IFREG and st.mode & 0o111 != 0;
}

fn decode(request: *const Request) sys.Errno!Args {
    const nr: linux.SYS = @enumFromInt(@as(usize, @intCast(request.notif.data.nr)));
    const flags32 = struct {
        fn of(value: u64) u32 {
            return @truncate(value);
        }
    }.of;
    return switch (nr) {
        .open => .{ .dirfd = handlers.at.fdcwd, .path_addr = request.arg(0), .flags = flags32(request.arg(1)), .mode = flags32(request.arg(2)) },
        .creat => .{ .dirfd = handlers.at.fdcwd, .path_addr = request.arg(0), .flags = o_creat | 0o1 | o_trunc, .mode = flags32(request.arg(1)) },
        .openat => .{ .dirfd = @bitCast(flags32(request.arg(0))), .path_addr = request.arg(1), .flags = flags32(request.arg(2)), .mode = flags32(request.arg(3)) },
        .openat2 => decode_openat2(request),
        else => unreachable,
    };
}

fn decode_openat2(request: *const Request) sys.Errno!Args {
    const size = request.arg(3);
    if (size < @sizeOf(OpenHow)) return error.INVAL;
    if (size > @sizeOf(OpenHow)) return error.@"2BIG"; // newer fields syd does not know
    var how: OpenHow = undefined;
    try handlers.read_memory(request.tid(), request.arg(2), std.mem.asBytes(&how));
    // Resolve restrictions are relative to the caller's dirfd: not emulated yet.
    if (how.resolve != 0) return error.NOSYS;
    if (how.flags > std.math.maxInt(u32) or how.mode > 0o7777) return error.INVAL;
    return .{ .dirfd = @bitCast(@as(u32, @truncate(request.arg(0)))), .path_addr = request.arg(1), .flags = @intCast(how.flags), .mode = @intCast(how.mode) };
}

/// What the path an open names is, before the open.
pub const Existing = enum { missing, directory, block_device, other };

/// The categories an open with `flags` feeds, as the original: at most one of mktemp, create
/// and truncate (O_TMPFILE before O_CREAT before O_TRUNC); O_CREAT of a file that exists
/// creates nothing; O_TRUNC truncates whatever the access mode (the kernel truncates an
/// O_RDONLY|O_TRUNC open too).
pub fn categories(flags: u32, existing: Existing, buf: *[4]Cat) []const Cat {
    var len: usize = 0;
    if (flags & handlers.o.path != 0) {
        // ADDFD cannot hand over an O_PATH fd: syd opens it O_RDONLY instead (as the original),
        // so it is judged as a read open (or a directory's).
        buf[0] = if (existing == .directory) .readdir else .read;
        return buf[0..1];
    }
    const access = flags & o_accmode;
    const tmpfile = flags & o_tmpfile == o_tmpfile;
    if (tmpfile) {
        buf[len] = .mktemp;
        len += 1;
    } else if (flags & o_creat != 0 and existing == .missing) {
        buf[len] = .create;
        len += 1;
    } else if (flags & o_trunc != 0) {
        buf[len] = .truncate;
        len += 1;
    }
    if (access == 0 or access == 2 or access == 3) {
        buf[len] = if (existing == .directory and !tmpfile) .readdir else .read;
        len += 1;
    }
    if (access == 1 or access == 2 or access == 3) {
        buf[len] = .write;
        len += 1;
    }
    assert(len >= 1 and len <= buf.len);
    return buf[0..len];
}

/// What `canonical` names: as the walk last found it (`last_mode`), or looked at again.
fn existing_of(tid: i32, canonical: []const u8, last_mode: u32) Existing {
    if (last_mode == path_mod.mode_missing) return .missing;
    const kind = if (last_mode != path_mod.mode_unknown) last_mode else handlers.kind_at(tid, canonical) catch |err| return if (err == error.NOENT) .missing else .other;
    return switch (kind) {
        linux.S.IFDIR => .directory,
        linux.S.IFBLK => .block_device,
        else => .other,
    };
}

/// Opens `canonical` in the caller's root as the caller asked, and hands the fd over. `name`:
/// the path as judged and logged (`handlers.view` of `canonical`).
fn emulate(request: *const Request, args: Args, canonical: []const u8, name: []const u8, mnt_id: ?u64) Response {
    const response = emulate_open(request, args, canonical, name);
    // trace/force_no_xdev: what syd opened must lie on the mount the walk started on (a
    // directory swapped for one leading elsewhere after the walk is caught here).
    if (mnt_id) |start| switch (response) {
        .fd => |handed_fd| {
            const id = path_mod.mount_id_at(handed_fd.fd, "") catch |err| {
                sys.close(handed_fd.fd);
                return handlers.failure(err);
            };
            if (id != start) {
                sys.close(handed_fd.fd);
                return .{ .failure = @intFromEnum(linux.E.XDEV) };
            }
        },
        else => {},
    };
    return response;
}

fn emulate_open(request: *const Request, args: Args, canonical: []const u8, name: []const u8) Response {
    assert(canonical.len > 0 and canonical[0] == '/');
    const creating = args.flags & o_creat != 0 or args.flags & o_tmpfile == o_tmpfile;
    if (args.flags & handlers.o.nofollow == 0) if (ProcFd.parse(canonical)) |named| return reopen(request, args, named, creating, name);
    emulate_mod.act_for(request, canonical, creating) catch |err| return .{ .failure = sys.errno_value(err) };
    const root = emulate_mod.Root.open(request.tid()) catch |err| return .{ .failure = sys.errno_value(err) };
    defer root.close();
    const mode: u64 = if (creating) args.mode & 0o7777 else 0;
    if (trusted_create(request.policy, args.flags) and args.flags & o_tmpfile != o_tmpfile) {
        // The caller's fsuid is syd's (act_for).
        return create_trusted(request, root, args, canonical, name, mode, request.own.fsuid);
    }
    const fd = root.openat2_blocking(request, canonical, flags_performed(args.flags), mode) catch |err| {
        // syd without a terminal of its own: /dev/tty answers ENXIO to syd, not to the caller.
        if (err == error.NXIO and names_dev_tty(root, canonical)) return caller_tty(request, args, name);
        return .{ .failure = sys.errno_value(err) };
    };
    if (std.mem.startsWith(u8, canonical, "/dev/") and tty.is_dev_tty(fd)) {
        sys.close(fd); // syd's own terminal: the caller's is what /dev/tty names for it
        return caller_tty(request, args, name);
    }
    return handed(request, fd, args.flags, name, canonical);
}

/// Whether the caller's path names an fd's magic link as written (`/proc/self/fd/`,
/// `/proc/PID/fd/`, `/proc/thread-self/fd/`, `/proc/PID/task/TID/fd/`, `/dev/fd/`, `/dev/std*`):
/// one read of its first bytes. A link elsewhere leading there is not seen (README, Limits).
fn names_fd_link(request: *const Request, addr: u64) bool {
    const caller: path_mod.Caller = .{ .pid = request.tid(), .tid = request.tid() };
    var buf: [path_mod.path_len_max]u8 = undefined;
    const raw = path_mod.read_string(caller, addr, &buf) catch return false;
    return fd_link_text(raw);
}

fn fd_link_text(raw: []const u8) bool {
    if (std.mem.startsWith(u8, raw, "/dev/fd/") or std.mem.startsWith(u8, raw, "/dev/std")) return true;
    if (!std.mem.startsWith(u8, raw, "/proc/")) return false;
    var parts = std.mem.tokenizeScalar(u8, raw["/proc/".len..], '/');
    var depth: u32 = 0;
    while (parts.next()) |part| : (depth += 1) {
        if (depth >= 4) return false;
        if (std.mem.eql(u8, part, "fd")) return (depth == 1 or depth == 3) and parts.next() != null;
    }
    return false;
}

test "fd_link_text takes the names of fd magic links as written" {
    for ([_][]const u8{ "/proc/self/fd/3", "/proc/12/fd/0", "/proc/thread-self/fd/1", "/proc/1/task/2/fd/4", "/dev/fd/63", "/dev/stdin" }) |yes|
        try std.testing.expect(fd_link_text(yes));
    for ([_][]const u8{ "/proc/self/fdinfo/3", "/proc/fd/1", "/etc/passwd", "/dev/null", "proc/self/fd/1", "/proc/self/task/fd/1", "/proc/1/task/2/3/fd/1", "/proc/self/fd", "/proc/self/fd/" }) |no|
        try std.testing.expect(!fd_link_text(no));
}

/// Whether one of the hardenings an open makes is on (trusted creation and symlinks, safe names,
/// SUID/SGID files, hidden block devices, deleted files): then syd performs every open.
fn hardened(p: *const policy_mod.Policy) bool {
    const u = p.unsafe_fs;
    return !(u.allow_unsafe_create and u.allow_unsafe_symlinks and u.allow_unsafe_filename and
        u.allow_unsafe_open_suid and u.allow_unsafe_mkbdev and u.allow_unsafe_deleted);
}

/// Whether an open with `flags` is held to trusted file creation: O_CREAT without O_EXCL (which
/// already refuses whatever exists), unless trace/allow_unsafe_create:1.
fn trusted_create(p: *const policy_mod.Policy, flags: u32) bool {
    return flags & o_creat != 0 and flags & o_excl == 0 and !p.unsafe_fs.allow_unsafe_create;
}

/// How often an O_CREAT open retries when the file comes and goes between its two steps.
const create_attempts_max: u32 = 8;

/// Trusted file creation, as the original (and the kernel's protected_regular, stricter): an
/// O_CREAT open creates the file if it is missing; one that exists (a regular file or a FIFO)
/// is opened only if the caller owns it and it is neither group- nor world-writable (EACCES,
/// logged). Race-free: the file is created with O_EXCL, or held by an O_PATH fd, checked on
/// that fd and reopened through it, so the object checked is the object opened (and O_TRUNC
/// truncates nothing before the check). `fsuid`: the caller's.
fn create_trusted(request: *const Request, root: emulate_mod.Root, args: Args, canonical: []const u8, name: []const u8, mode: u64, fsuid: u32) Response {
    assert(args.flags & o_creat != 0 and args.flags & o_excl == 0);
    assert(args.flags & handlers.o.nofollow != 0);
    var attempt: u32 = 0;
    while (attempt < create_attempts_max) : (attempt += 1) {
        if (root.openat2_blocking(request, canonical, flags_performed(args.flags) | o_excl, mode)) |fd| {
            return handed(request, fd, args.flags, name, canonical);
        } else |err| if (err != error.EXIST) return handlers.failure(err);
        const held = root.openat2(canonical, handlers.o.path | handlers.o.nofollow, 0) catch |err| {
            if (err == error.NOENT) continue; // removed since: create it again
            return handlers.failure(err);
        };
        defer sys.close(held);
        var st: linux.Stat = undefined;
        _ = sys.check(linux.fstat(held, &st)) catch |err| return handlers.failure(err);
        const kind = st.mode & linux.S.IFMT;
        if (kind == linux.S.IFLNK) return .{ .failure = @intFromEnum(linux.E.LOOP) };
        if (kind == linux.S.IFDIR) return .{ .failure = @intFromEnum(linux.E.ISDIR) };
        if (kind == linux.S.IFREG or kind == linux.S.IFIFO) {
            const why: ?[]const u8 = if (st.mode & 0o002 != 0)
                "file is world writable"
            else if (st.mode & 0o020 != 0)
                "file is group writable"
            else if (st.uid != fsuid)
                "file is not owned by caller"
            else
                null;
            if (why) |msg| {
                request.log.emit(.warn, .{
                    .ctx = "trusted_file_create",
                    .sys = handlers.syscall_name(request.notif.data.nr),
                    .path = name,
                    .mode = st.mode,
                    .pid = request.tid(),
                    .msg = msg,
                    .tip = "fix path permissions or use `trace/allow_unsafe_create:1'",
                });
                return .{ .failure = @intFromEnum(linux.E.ACCES) };
            }
        }
        // Judged as a file to create when the walk found the name missing, this is a file that
        // exists now: truncating it is judged before it happens (found by review).
        if (args.flags & o_trunc != 0) {
            const verdict = handlers.judge(request.policy, &.{.truncate}, name);
            if (verdict.judged) if (handlers.enforce(request, verdict, name)) |errno_value| return .{ .failure = errno_value };
        }
        var link_buf: [48]u8 = undefined;
        const link = emulate_mod.fd_link(held, &link_buf);
        const flags = (flags_performed(args.flags) & ~(o_creat | handlers.o.nofollow)) | handlers.o.cloexec | handlers.o.noctty;
        const fd = handlers.blocking_call(request, true, linux.openat, .{ linux.AT.FDCWD, link.ptr, @as(linux.O, @bitCast(flags)), @as(linux.mode_t, 0) }) catch |err|
            return handlers.failure(err);
        return handed(request, @intCast(fd), args.flags, name, canonical);
    }
    return .{ .failure = @intFromEnum(linux.E.NOENT) };
}

/// Hands `fd` (opened by syd) to the caller once fs sandboxing allows it and it is no hidden
/// block device; `canonical`: the path opened, for procfs.serve ("" for a reopened fd link or a
/// terminal).
fn handed(request: *const Request, fd: i32, flags: u32, name: []const u8, canonical: []const u8) Response {
    assert(fd >= 0);
    if (request.policy.force_wx_open and wx_fd_refused(fd, flags)) {
        sys.close(fd);
        return .{ .failure = @intFromEnum(linux.E.PERM) };
    }
    const verdict = harden.open_verdict(request.policy, fd);
    if (verdict == .hidden) {
        sys.close(fd);
        return .{ .failure = @intFromEnum(linux.E.NOENT) };
    }
    if (verdict == .suid) {
        sys.close(fd);
        request.log.emit(.warn, .{
            .ctx = "trusted_file_open",
            .sys = handlers.syscall_name(request.notif.data.nr),
            .path = name,
            .pid = request.tid(),
            .msg = "open for SUID/SGID path blocked",
            .tip = "fix path permissions or use `trace/allow_unsafe_open_suid:1'",
        });
        return .{ .failure = @intFromEnum(linux.E.ACCES) };
    }
    if (fs_refused(request, fd, name)) |response| {
        sys.close(fd);
        return response;
    }
    // /proc/PID/status served masked (procfs.zig), as the original.
    const served = if (canonical.len > 0) procfs.serve(request, canonical, flags, fd) catch |err| {
        sys.close(fd);
        return .{ .failure = sys.errno_value(err) };
    } else fd;
    return .{ .fd = .{ .fd = served, .cloexec = flags & handlers.o.cloexec != 0 } };
}

/// Whether `canonical` is /dev/tty's device node (an O_PATH open reaches no driver).
fn names_dev_tty(root: emulate_mod.Root, canonical: []const u8) bool {
    if (!std.mem.startsWith(u8, canonical, "/dev/")) return false;
    const fd = root.openat2(canonical, handlers.o.path, 0) catch return false;
    defer sys.close(fd);
    return tty.is_dev_tty(fd);
}

/// /dev/tty for the caller: its own controlling terminal (tty.zig).
fn caller_tty(request: *const Request, args: Args, name: []const u8) Response {
    const flags = flags_performed(args.flags) | handlers.o.cloexec | handlers.o.noctty;
    const fd = tty.open_caller_tty(request.tid(), flags) catch |err| return .{ .failure = sys.errno_value(err) };
    return handed(request, fd, args.flags, name, "");
}

/// fs sandboxing: judges the filesystem type of what syd opened (its own fd: nothing can swap
/// it), after the open, as the original judges opens; null when allowed. A created file stays.
/// `name`: the path as judged, for the record.
fn fs_refused(request: *const Request, fd: i32, name: []const u8) ?Response {
    assert(fd >= 0);
    if (!request.policy.fs_on) return null;
    const fs_type = sys.fstatfs_type(fd) catch |err| return handlers.failure(err);
    const verdict = request.policy.judge_fs(fs_type);
    const judgement: handlers.Judgement = .{ .action = verdict.action, .cat = .read, .origin = verdict.origin, .judged = true, .fs_type = fs_type };
    if (handlers.enforce(request, judgement, name)) |errno_value| return .{ .failure = errno_value };
    return null;
}

/// `/proc/PID/fd/N` or `/proc/PID/task/TID/fd/N`: a name path.zig keeps for a magic link whose
/// target is no path (a pipe behind `/dev/fd/63` or `/dev/stdin`, a socket, an anonymous inode).
pub const ProcFd = struct {
    pid: i32,
    tid: ?i32,
    fd: i32,

    pub fn parse(canonical: []const u8) ?ProcFd {
        var parts = std.mem.splitScalar(u8, canonical, '/');
        if (parts.next().?.len != 0) return null;
        if (!std.mem.eql(u8, parts.next() orelse return null, "proc")) return null;
        const pid = number(parts.next() orelse return null) orelse return null;
        var word = parts.next() orelse return null;
        var tid: ?i32 = null;
        if (std.mem.eql(u8, word, "task")) {
            tid = number(parts.next() orelse return null) orelse return null;
            word = parts.next() orelse return null;
        }
        if (!std.mem.eql(u8, word, "fd")) return null;
        const fd = number(parts.next() orelse return null) orelse return null;
        if (parts.next() != null) return null;
        if (pid == 0) return null;
        if (tid) |t| if (t == 0) return null;
        return .{ .pid = pid, .tid = tid, .fd = fd };
    }

    /// A decimal number as /proc writes it (no sign, no leading zero, fits an i32).
    fn number(text: []const u8) ?i32 {
        if (text.len == 0 or text.len > 10 or (text[0] == '0' and text.len > 1)) return null;
        for (text) |c| if (c < '0' or c > '9') return null;
        return std.fmt.parseInt(i32, text, 10) catch null;
    }
};

const pidfd_thread: u32 = 0o200; // PIDFD_THREAD (O_EXCL), Linux 6.9

/// Opens what the caller's own fd `named.fd` holds, as the kernel follows /proc/self/fd/N: syd
/// copies the fd (pidfd_getfd), so the object opened is the object named even if the caller
/// dup2()s another file onto N meanwhile, and reopens its copy through its own /proc link.
/// Only objects with no path are reopened so: a file with a path was followed to that path and
/// judged there (path.zig), and one that appears on N after the walk fails with ELOOP, as the
/// open of any path changed after its check. As the original, only the caller's own fds: a
/// magic link of another process answers EACCES.
fn reopen(request: *const Request, args: Args, named: ProcFd, creating: bool, name: []const u8) Response {
    assert(named.pid > 0 and named.fd >= 0);
    const status = emulate_mod.caller_for(request, "", creating) catch |err| return handlers.failure(err);
    if (named.pid != status.tgid) return .{ .failure = @intFromEnum(linux.E.ACCES) };
    const id = named.tid orelse named.pid;
    const thread = id != status.tgid;
    const pidfd = sys.check(linux.pidfd_open(id, if (thread) pidfd_thread else 0)) catch |err| return handlers.failure(err);
    defer sys.close(@intCast(pidfd));
    if (thread) {
        // The pidfd holds the task: it is still one of the caller's threads if /proc says so now.
        var task_buf: [64]u8 = undefined;
        const task = std.fmt.bufPrintZ(&task_buf, "/proc/{d}/task/{d}", .{ status.tgid, id }) catch unreachable;
        var st: linux.Stat = undefined;
        _ = sys.check(linux.fstatat(linux.AT.FDCWD, task.ptr, &st, 0)) catch return .{ .failure = @intFromEnum(linux.E.ACCES) };
    }
    const copy = sys.pidfd_getfd(@intCast(pidfd), named.fd) catch |err| return handlers.failure(err);
    defer sys.close(copy);
    var link_buf: [48]u8 = undefined;
    const link = emulate_mod.fd_link(copy, &link_buf);
    var target_buf: [path_mod.path_len_max]u8 = undefined;
    const target_len = sys.check(linux.readlink(link.ptr, &target_buf, target_buf.len)) catch |err| return handlers.failure(err);
    if (target_len == 0) return .{ .failure = @intFromEnum(linux.E.LOOP) };
    if (target_buf[0] == '/') {
        // A path: followed by path.zig and judged there, unless it has no name left.
        var st: linux.Stat = undefined;
        _ = sys.check(linux.fstat(copy, &st)) catch |err| return handlers.failure(err);
        if (st.nlink > 0 or !std.mem.endsWith(u8, target_buf[0..target_len], " (deleted)")) return .{ .failure = @intFromEnum(linux.E.LOOP) };
        if (!request.policy.unsafe_fs.allow_unsafe_deleted) {
            request.log.emit(.warn, .{
                .ctx = "deleted_file",
                .sys = handlers.syscall_name(request.notif.data.nr),
                .path = target_buf[0..target_len],
                .pid = request.tid(),
                .msg = "access to deleted file blocked",
                .tip = "fix the program or use `trace/allow_unsafe_deleted:1'",
            });
            return .{ .failure = @intFromEnum(linux.E.NOENT) };
        }
    }
    const flags = flags_performed(args.flags) | handlers.o.cloexec | handlers.o.noctty;
    const fd: i32 = @intCast(handlers.blocking_call(request, true, linux.openat, .{ linux.AT.FDCWD, link.ptr, @as(linux.O, @bitCast(flags)), @as(linux.mode_t, 0) }) catch |err| return handlers.failure(err));
    return handed(request, fd, args.flags, name, "");
}

test "ProcFd.parse takes /proc/PID/fd/N and /proc/PID/task/TID/fd/N only" {
    try std.testing.expectEqual(ProcFd{ .pid = 12, .tid = null, .fd = 63 }, ProcFd.parse("/proc/12/fd/63").?);
    try std.testing.expectEqual(ProcFd{ .pid = 12, .tid = 13, .fd = 0 }, ProcFd.parse("/proc/12/task/13/fd/0").?);
    for ([_][]const u8{ "/proc/12/fd", "/proc/12/fd/", "/proc/12/fd/63/x", "/proc/self/fd/1", "/proc/012/fd/1", "/proc/0/fd/1", "/proc/1/fdinfo/1", "proc/1/fd/1", "/proc/1/task/fd/1", "/proc/1/fd/-1", "/proc/1/fd/99999999999", "/proc/1/task/0/fd/1", "/" }) |bad|
        try std.testing.expect(ProcFd.parse(bad) == null);
}

test "ProcFd.parse never fails on random bytes and what it takes prints back the same" {
    var prng = std.Random.DefaultPrng.init(0x5eed_0fd);
    const random = prng.random();
    const alphabet = "/proc/task/fd/0123456789x";
    var buf: [40]u8 = undefined;
    var taken: u32 = 0;
    for (0..20_000) |_| {
        const len = random.uintLessThan(usize, buf.len);
        for (buf[0..len]) |*c| c.* = alphabet[random.uintLessThan(usize, alphabet.len)];
        const named = ProcFd.parse(buf[0..len]) orelse continue;
        taken += 1;
        var again: [64]u8 = undefined;
        const text = if (named.tid) |t|
            try std.fmt.bufPrint(&again, "/proc/{d}/task/{d}/fd/{d}", .{ named.pid, t, named.fd })
        else
            try std.fmt.bufPrint(&again, "/proc/{d}/fd/{d}", .{ named.pid, named.fd });
        try std.testing.expectEqualStrings(buf[0..len], text);
    }
    _ = &taken;
}

/// The flags syd opens with: the caller's, but an O_PATH open becomes O_RDONLY|O_NONBLOCK
/// (ADDFD refuses O_PATH fds, and continuing would let the kernel read the path, and openat2's
/// flags, again), keeping O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC, as the original does.
fn flags_performed(flags: u32) u32 {
    if (flags & handlers.o.path == 0) return flags & o_valid;
    return (flags & (o_directory | handlers.o.nofollow | handlers.o.cloexec)) | handlers.o.nonblock;
}

test "an O_PATH open is performed as a non-blocking read-only open with its path flags" {
    try std.testing.expectEqual(handlers.o.nonblock | handlers.o.cloexec, flags_performed(handlers.o.path | handlers.o.cloexec));
    try std.testing.expectEqual(o_directory | handlers.o.nofollow | handlers.o.nonblock, flags_performed(handlers.o.path | o_directory | handlers.o.nofollow | 0o2));
    try std.testing.expectEqual(@as(u32, 0o2 | o_creat), flags_performed(0o2 | o_creat));
}

test "categories follow the access mode, O_CREAT, O_TRUNC, O_TMPFILE and directories, as the original" {
    var buf: [4]Cat = undefined;
    try std.testing.expectEqualSlices(Cat, &.{.read}, categories(0, .other, &buf));
    try std.testing.expectEqualSlices(Cat, &.{.readdir}, categories(o_directory, .directory, &buf));
    try std.testing.expectEqualSlices(Cat, &.{.write}, categories(1, .other, &buf));
    try std.testing.expectEqualSlices(Cat, &.{ .read, .write }, categories(2, .other, &buf));
    // One of mktemp, create, truncate: O_CREAT of a missing file creates (and truncates nothing).
    try std.testing.expectEqualSlices(Cat, &.{ .create, .write }, categories(1 | o_creat | o_trunc, .missing, &buf));
    // O_CREAT of a file that exists creates nothing: `echo > /dev/null` needs write only.
    try std.testing.expectEqualSlices(Cat, &.{.write}, categories(1 | o_creat, .other, &buf));
    try std.testing.expectEqualSlices(Cat, &.{ .truncate, .write }, categories(1 | o_creat | o_trunc, .other, &buf));
    try std.testing.expectEqualSlices(Cat, &.{ .mktemp, .read, .write }, categories(2 | o_tmpfile, .directory, &buf));
    // The kernel truncates an O_RDONLY|O_TRUNC open: judged for truncate too.
    try std.testing.expectEqualSlices(Cat, &.{ .truncate, .read }, categories(o_trunc, .other, &buf));
    try std.testing.expectEqualSlices(Cat, &.{.read}, categories(handlers.o.path | handlers.o.nofollow, .other, &buf));
    try std.testing.expectEqualSlices(Cat, &.{.readdir}, categories(handlers.o.path, .directory, &buf));
}

test {
    _ = mask;
}
