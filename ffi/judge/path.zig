//! Path arguments of a sandboxed caller: reading them out of its memory, and naming the object
//! they resolve to in the caller's view of the file system, so that the policy can judge it.
//!
//! `read_string` copies a NUL-terminated path out of the caller with process_vm_readv.
//! `canonicalize` turns a (dirfd, path) pair into the canonical absolute path the kernel would
//! resolve for that caller: `.`, `..`, repeated slashes and every symbolic link are resolved one
//! component at a time against the caller's root, cwd and fds as /proc shows them, and the kernel
//! never follows a link on syd's behalf at the component being judged.
//!
//! Needs: process_vm_readv (Linux 3.2) and /proc/TID/{root,cwd,fd/N}, both with ptrace-level
//! access to the caller (a parent supervising its own child has it); syd's own /proc must be a
//! procfs; fstatat, readlinkat and statfs.
//! Assumes: the result is only a name to judge. Nothing here opens the object for the caller: the
//! emulation re-opens exactly the judged name itself with openat2(RESOLVE_IN_ROOT |
//! RESOLVE_NO_SYMLINKS ...), so a rename or a symlink swapped in meanwhile fails closed. The
//! caller may die, exec or change directory meanwhile, and its pid be reused: any error may come
//! back then, and the handler must check SECCOMP_IOCTL_NOTIF_ID_VALID after reading memory and
//! before acting. Search permission is checked with syd's credentials, not the caller's. Nothing
//! allocates: three path-sized buffers (12 KiB) live on the calling thread's stack.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const policy_mod = @import("policy.zig");
const pieces = @import("../kernel/pieces.zig");
const caller_mod = @import("../kernel/caller.zig");

/// PATH_MAX, including the NUL: the longest path string a caller passes.
pub const path_len_max: usize = 4096;
/// The longest canonical result (8 × PATH_MAX): a short path from a deep cwd or dirfd names a
/// long one. Results up to path_len_max fit the common buffers; handlers that act on long
/// names give `canonicalize` a buffer of this size (pieces.zig acts on them).
pub const long_len_max: usize = pieces.long_len_max;
/// The kernel's MAXSYMLINKS: how many links one resolution may follow.
pub const symlinks_max: u32 = 40;

/// Reads from the caller never cross a multiple of this, hence never a page boundary.
const read_chunk_len: usize = std.heap.page_size_min;
/// statfs(2) `f_type` of procfs (PROC_SUPER_MAGIC) and the inode number of its root directory.
const proc_super_magic: i64 = 0x9fa0;
const proc_root_ino: u64 = 1;
/// Room for "/proc/<tid>/fd/<fd>" and its kin: two 10-digit numbers and the words around them.
const proc_name_len_max: usize = 64;
/// Room for the path still to resolve: a link body prepended to what follows the link. Twice
/// PATH_MAX, so a long link met early in a long path still fits (the kernel stacks bodies).
const pending_len_max: usize = 2 * path_len_max;
/// Every step consumes at least one byte of the path or of a followed link's body.
const walk_steps_max: usize = (symlinks_max + 1) * path_len_max;
/// What /proc appends to the target of a link to an unlinked file or directory.
const deleted_suffix = " (deleted)";

comptime {
    assert(std.math.isPowerOfTwo(read_chunk_len));
    assert(read_chunk_len <= path_len_max);
    assert(pending_len_max >= path_len_max);
    assert(path_len_max == 4096 and symlinks_max == 40); // linux/limits.h, linux/namei.h
    assert(proc_name_len_max >= "/proc/4294967295/task/4294967295/fd/4294967295".len + 1);
}

/// The thread that made the call: `pid` is its thread-group id (what `/proc/self` names),
/// `tid` the thread itself (whose memory, root, cwd and fd table are read).
pub const Caller = struct { pid: i32, tid: i32 };

/// Set by sandbox.zig while a sandbox with a pid namespace of its own runs
/// (layers/namespaces.zig): its /proc numbers processes as that namespace does, not as syd's.
pub var pid_namespace: std.atomic.Value(bool) = .init(false);

/// Set by sandbox.zig while a sandbox with a mount namespace of its own runs: its binds are
/// mounted nosymfollow unless they say symfollow, and a walk must not follow a link there that
/// the kernel would refuse to (ELOOP; found by the attack session).
pub var symfollow_checked: std.atomic.Value(bool) = .init(false);

/// How many pid namespaces syd's own process is in (set with `pid_namespace`): a sandboxed
/// process of a sandbox with a pid namespace is in one more.
pub var own_pid_levels: u32 = 1;

/// The number the sandbox's pid namespace gives the process `host_pid` (a thread-group id as
/// syd sees it): itself without a pid namespace; 0, as the kernel shows a process it cannot
/// name, for one outside the sandbox's namespace or gone.
pub fn view_pid(host_pid: i32) i32 {
    if (!pid_namespace.load(.acquire) or host_pid <= 0) return host_pid;
    var status: caller_mod.Status = .{};
    caller_mod.read_status(host_pid, &status) catch return 0;
    return view_tgid(&status);
}

/// `view_pid` of a process whose status is read already.
pub fn view_tgid(status: *const caller_mod.Status) i32 {
    if (!pid_namespace.load(.acquire)) return status.tgid;
    if (status.ns_levels != own_pid_levels + 1 or status.ns_tgid <= 0) return 0;
    return status.ns_tgid;
}

/// A caller's `pid` and `tid` as its own /proc names them.
pub const ViewIds = struct { pid: i32, tid: i32 };

/// The caller's ids in its /proc: syd's numbers, or those of the sandbox's pid namespace (the
/// innermost of /proc/TID/status's NStgid and NSpid). error.ACCES when they cannot be told:
/// a path must never name another process's /proc entries by a wrong number.
pub fn view_ids(caller: Caller) sys.Errno!ViewIds {
    assert(caller.pid > 0 and caller.tid > 0);
    if (!pid_namespace.load(.acquire) or caller.pid == sys.own_pid()) return .{ .pid = caller.pid, .tid = caller.tid };
    var status: caller_mod.Status = .{};
    try caller_mod.read_status(caller.tid, &status);
    if (status.ns_tid <= 0 or status.ns_tgid <= 0) return error.ACCES;
    const pid = if (caller.pid == caller.tid)
        status.ns_tid
    else if (caller.pid == status.tgid)
        status.ns_tgid
    else
        return error.ACCES;
    assert(pid > 0);
    return .{ .pid = pid, .tid = status.ns_tid };
}

/// Reads a NUL-terminated string at `addr` in the caller's memory with process_vm_readv, page
/// by page so a string that ends just before an unmapped page is read; error.FAULT for a bad
/// pointer (including 0), error.NAMETOOLONG when no NUL within path_len_max bytes. The result
/// (without its NUL) lives in `buf`.
/// What the last component of a path as written is: a name, `.`, `..`, or none (the path is
/// the root, `/` or `//`). The kernel refuses to create, remove or rename the last three.
pub const LastKind = enum { name, dot, dotdot, root };

pub fn last_kind(raw: []const u8) LastKind {
    var end = raw.len;
    while (end > 0 and raw[end - 1] == '/') end -= 1;
    if (end == 0) return if (raw.len > 0) .root else .name; // "" is refused elsewhere (ENOENT)
    const start = if (std.mem.lastIndexOfScalar(u8, raw[0..end], '/')) |slash| slash + 1 else 0;
    const last = raw[start..end];
    assert(last.len > 0);
    if (std.mem.eql(u8, last, ".")) return .dot;
    if (std.mem.eql(u8, last, "..")) return .dotdot;
    return .name;
}

/// Whether the path as written ends with a slash after a name (`dir/`, not `/` or `dir/./`):
/// the kernel then wants a directory there.
pub fn names_dir(raw: []const u8) bool {
    return raw.len > 1 and raw[raw.len - 1] == '/' and last_kind(raw) == .name;
}

test "names_dir is a name with a trailing slash" {
    try std.testing.expect(names_dir("dir/"));
    try std.testing.expect(names_dir("a/b//"));
    try std.testing.expect(!names_dir("/"));
    try std.testing.expect(!names_dir("dir/./"));
    try std.testing.expect(!names_dir("dir"));
}

test "last_kind names ., .., the root and names, with trailing slashes" {
    try std.testing.expectEqual(LastKind.dot, last_kind("dir/."));
    try std.testing.expectEqual(LastKind.dot, last_kind("./"));
    try std.testing.expectEqual(LastKind.dotdot, last_kind("a/b/../"));
    try std.testing.expectEqual(LastKind.dotdot, last_kind(".."));
    try std.testing.expectEqual(LastKind.root, last_kind("/"));
    try std.testing.expectEqual(LastKind.root, last_kind("///"));
    try std.testing.expectEqual(LastKind.dot, last_kind("/."));
    try std.testing.expectEqual(LastKind.name, last_kind("dir/"));
    try std.testing.expectEqual(LastKind.name, last_kind(".x"));
    try std.testing.expectEqual(LastKind.name, last_kind("..."));
    try std.testing.expectEqual(LastKind.name, last_kind(""));
}

pub fn read_string(caller: Caller, addr: u64, buf: *[path_len_max]u8) sys.Errno![]const u8 {
    assert(caller.pid > 0 and caller.tid > 0);
    if (addr == 0) return error.FAULT;
    var len: usize = 0;
    while (len < path_len_max) { // At most two rounds: path_len_max spans one boundary at most.
        const at = std.math.add(u64, addr, len) catch return error.FAULT;
        const chunk_len = @min(read_chunk_len - at % read_chunk_len, path_len_max - len);
        const got_len = try read_remote(caller.tid, at, buf[len..][0..chunk_len]);
        if (std.mem.indexOfScalar(u8, buf[len..][0..got_len], 0)) |nul| {
            assert(len + nul < path_len_max);
            return buf[0 .. len + nul];
        }
        if (got_len < chunk_len) return error.FAULT; // The page went away under us.
        len += got_len;
    }
    assert(len == path_len_max);
    return error.NAMETOOLONG;
}

/// Copies `dest.len` bytes (within one page) from `addr` in the memory of thread `tid`.
fn read_remote(tid: i32, addr: u64, dest: []u8) sys.Errno!usize {
    assert(addr != 0);
    assert(dest.len > 0 and dest.len <= read_chunk_len);
    const local = [1]std.posix.iovec{.{ .base = dest.ptr, .len = dest.len }};
    const remote = [1]std.posix.iovec_const{.{ .base = @ptrFromInt(addr), .len = dest.len }};
    const got_len = try sys.retry(linux.process_vm_readv, .{ tid, &local, &remote, @as(usize, 0) });
    assert(got_len <= dest.len);
    return got_len;
}

pub const Follow = enum { follow, nofollow_last }; // AT_SYMLINK_NOFOLLOW / O_NOFOLLOW
pub const Missing = enum { must_exist, last_may_be_missing }; // O_CREAT, mkdir, symlink's name...
pub const Options = struct {
    follow: Follow = .follow,
    missing: Missing = .must_exist,
    empty_path: bool = false, // AT_EMPTY_PATH
    /// The last component is an entry the call creates, removes or renames: a trailing slash
    /// does not follow a symlink there (the kernel acts on no link's target): this error instead.
    entry_slash_link: ?sys.Errno = null,
    /// A path written with a slash after its last name (`names_dir`) fails with this error
    /// before it is walked (O_CREAT: EISDIR, as the kernel's open_last_lookups).
    slash_name: ?sys.Errno = null,
    /// Walk sandboxing: every path the walk passes through (each component as it is added,
    /// links' bodies included) is judged for `walk`; null when it is off.
    walk: ?*WalkCheck = null,
    /// Trusted symlinks (the original's, unless trace/allow_unsafe_symlinks:1): a symlink in a
    /// sticky, group- or world-writable directory is not followed (ELOOP).
    trusted_symlinks: bool = false,
    /// trace/deny_dotdot: a `..` component (as written, or in a link's body) fails with EPERM.
    deny_dotdot: bool = false,
    /// trace/force_no_symlinks: no symlink is passed through, not even a last one the call would
    /// not follow (ELOOP); /proc/self and /proc/thread-self only when followed.
    no_symlinks: bool = false,
    /// trace/force_no_magiclinks: no /proc magic link (fd/N, cwd, root, exe, ...) is passed
    /// through, not even a last one (ELOOP).
    no_magiclinks: bool = false,
    /// trace/force_no_xdev: no component lies on another mount than where the walk starts (the
    /// dirfd, the cwd, or the root for an absolute path): EXDEV. The start's mount id is left
    /// here, for the caller to check what it opens against.
    no_xdev: ?*Xdev = null,
    /// Left here: the file type bits (S_IFMT) of what the result names, as the walk's last
    /// look at it found them, `mode_missing` when it was missing (last_may_be_missing), or
    /// untouched when the walk did not end on a look (a `.`, a `..`, the root, a kept /proc
    /// name): the caller then asks itself. Saves looking at the last component twice.
    last_mode: ?*u32 = null,
    /// Left here when the kernel resolved the path (`Walk.resolved_by_kernel`): an `O_PATH` fd
    /// of what the result names (not followed when `follow` is nofollow_last), which the caller
    /// closes; untouched (the caller sets -1) when the walk resolved it.
    keep_fd: ?*i32 = null,
};

/// `Options.last_mode` of a missing last component, and as the caller sets it before the walk.
pub const mode_missing: u32 = 0;
pub const mode_unknown: u32 = 0xffff_ffff;

/// trace/force_no_xdev's state for one resolution: the mount the walk started on.
pub const Xdev = struct { mnt_id: u64 = 0 };

/// The mount id of `name` under `dirfd` (not followed; "" with AT_EMPTY_PATH: `dirfd` itself).
pub fn mount_id_at(dirfd: i32, name: [*:0]const u8) sys.Errno!u64 {
    // struct statx is 256 bytes; std's lacks stx_mnt_id (offset 144, STATX_MNT_ID: Linux 5.8).
    const statx_mnt_id: u32 = 0x1000;
    const mnt_id_offset = 144;
    var stx: [256]u8 align(8) = undefined;
    const flags: u32 = linux.AT.SYMLINK_NOFOLLOW | linux.AT.EMPTY_PATH;
    _ = try sys.retry(linux.statx, .{ dirfd, name, flags, statx_mnt_id, @as(*linux.Statx, @ptrCast(&stx)) });
    if (std.mem.readInt(u32, stx[0..4], .little) & statx_mnt_id == 0) return error.NOSYS;
    return std.mem.readInt(u64, stx[mnt_id_offset..][0..8], .little);
}

/// Walk sandboxing's state for one resolution: the policy, and the first path the walk passed
/// through that walk does not allow, with its verdict (for the caller to log and punish). A
/// verdict other than allow and warn ends the walk with NOENT: the path does not exist for the
/// caller, whatever lies beyond it (hiding that passing through cannot undo).
pub const WalkCheck = struct {
    /// The verdict of walk for a path (the handlers judge it by the name rules use).
    judge_fn: *const fn (context: *const anyopaque, path: []const u8) policy_mod.Verdict,
    context: *const anyopaque,
    denied_len: usize = 0,
    /// In this thread's storage (`walk_denied`), not in the check: on the stack, ReleaseSafe
    /// would fill it with 0xaa at every call.
    denied: *[long_len_max]u8,
    verdict: policy_mod.Verdict = undefined,

    /// Judges `path` and each of its ancestors but the root, from the top.
    fn judge_prefixes(self: *WalkCheck, path: []const u8) sys.Errno!void {
        assert(path.len > 0 and path[0] == '/');
        var end: usize = 1;
        while (end < path.len) {
            const slash = std.mem.indexOfScalarPos(u8, path, end, '/') orelse path.len;
            try self.judge(path[0..slash]);
            end = slash + 1;
        }
    }

    fn judge(self: *WalkCheck, path: []const u8) sys.Errno!void {
        assert(path.len > 0 and path[0] == '/');
        const verdict = self.judge_fn(self.context, path);
        if (verdict.action == .allow) return;
        if (self.denied_len == 0 and path.len <= self.denied.len) {
            @memcpy(self.denied[0..path.len], path);
            self.denied_len = path.len;
            self.verdict = verdict;
        }
        if (verdict.action != .warn) return error.NOENT;
    }
};

/// The canonical absolute path of `path` for the caller: relative paths resolve against `dirfd`
/// (AT_FDCWD = -100: the caller's cwd, /proc/<tid>/cwd; otherwise the caller's fd,
/// /proc/<tid>/fd/<dirfd>), absolute ones against the caller's root (/proc/<tid>/root); `.`, `..`
/// (never above the root), repeated slashes and every symlink are resolved component by
/// component (the last one only if options.follow == .follow, or if a slash follows it);
/// `/proc/self` and `/proc/thread-self` mean the caller's pid and pid/task/tid. A /proc/PID/...
/// link whose target is no path (a pipe, a socket, an unlinked file) keeps its /proc name.
/// options.empty_path with "" gives the dirfd's own path (AT_EMPTY_PATH); "" without it is
/// error.NOENT. Errors as the kernel: NOENT (missing component, or missing last one unless
/// last_may_be_missing), NOTDIR, LOOP (more than symlinks_max links), NAMETOOLONG, BADF (bad
/// dirfd), ACCES (also: a dirfd or fd link outside the caller's root, which has no name there).
/// The result lives in `out` (NAMETOOLONG when it does not fit: path_len_max to long_len_max
/// bytes), which `path` may share.
pub fn canonicalize(
    caller: Caller,
    dirfd: i32,
    path: []const u8,
    options: Options,
    out: []u8,
) sys.Errno![]const u8 {
    assert(caller.pid > 0 and caller.tid > 0);
    assert(out.len >= path_len_max and out.len <= long_len_max);
    assert(std.mem.indexOfScalar(u8, path, 0) == null); // A C string ends at its NUL.
    if (path.len >= path_len_max) return error.NAMETOOLONG;
    if (path.len == 0 and !options.empty_path) return error.NOENT;
    if (options.slash_name) |err| if (names_dir(path)) return err;
    const absolute = path.len > 0 and path[0] == '/';
    // The walk's buffers live in this thread's storage, not on the stack: ReleaseSafe would fill
    // them with 0xaa at every call. A walk starts no other walk.
    assert(!walking);
    walking = true;
    defer walking = false;
    var walk: Walk = .{ .caller = caller, .options = options, .out = out, .guard = caller.pid != sys.own_pid(), .rest = &walk_buffers.rest, .link = &walk_buffers.link };
    walk.rest_start = pending_len_max - path.len;
    @memcpy(walk.rest[walk.rest_start..], path); // Before `out` is written: `path` may be in it.
    const root = try caller_root(caller);
    defer root.release();
    walk.root_fd = root.fd;
    if (absolute) walk.set_out("/") else try walk.start_at(dirfd, path.len == 0, starts_with_name(path));
    // A relative path starts where the caller is: walk judges the way there too, so that a
    // cwd or dirfd inside a hidden directory reaches nothing in it.
    if (options.walk) |check| if (!absolute) try check.judge_prefixes(walk.out[0..walk.out_len]);
    if (options.no_xdev) |xdev| xdev.mnt_id = try walk.mount_id();
    if (try walk.resolved_by_kernel()) |result| return result;
    const result = try walk.run();
    if (walk.guard and !walk.may_name(result)) return error.ACCES;
    assert(result.len > 0 and result.len < out.len and result[0] == '/');
    assert(result.len == 1 or result[result.len - 1] != '/');
    return result;
}

/// How a followed link is treated, by where it lies in the caller's view.
const LinkKind = enum {
    plain, // its body is a path: splice it
    proc_self, // /proc/self: the caller's pid, not syd's
    proc_thread_self, // /proc/thread-self: the caller's pid/task/tid
    magic, // /proc/PID/{fd/N,cwd,root,exe,ns/...}: names an object, as syd's root sees it
};

/// The first path walk sandboxing refused in this thread's last resolution (`WalkCheck`).
threadlocal var walk_denied: [long_len_max]u8 = undefined;

/// `WalkCheck.denied` for a check made by this thread (one at a time).
pub fn walk_denied_buffer() *[long_len_max]u8 {
    return &walk_denied;
}

/// The buffers of this thread's walk (`canonicalize`).
threadlocal var walk_buffers: struct { rest: [pending_len_max]u8, link: [path_len_max]u8 } = undefined;
threadlocal var walking: bool = false;

/// One resolution: the canonical prefix resolved so far (`out`, no trailing slash) and the
/// path still to resolve (`rest[rest_start..]`, right-aligned so a link body is prepended).
const Walk = struct {
    caller: Caller,
    options: Options,
    out: []u8,
    out_len: usize = 0,
    root_fd: i32 = -1,
    rest: *[pending_len_max]u8,
    rest_start: usize = pending_len_max,
    link: *[path_len_max]u8, // a link body, or the caller's root as syd sees it
    links: u32 = 0,
    procfs: ?bool = null, // whether the caller's /proc is a procfs root, once asked
    view_ids: ?ViewIds = null, // the caller's ids in its /proc, once asked
    guard: bool, // whether syd's own /proc entries are refused (not when syd resolves its own fds)

    fn set_out(self: *Walk, text: []const u8) void {
        assert(text.len > 0 and text.len < self.out.len and text[0] == '/');
        @memcpy(self.out[0..text.len], text);
        self.out_len = text.len;
    }

    /// The resolved prefix without its leading slash, NUL-terminated: a name under `root_fd`.
    fn out_relative(self: *Walk) [:0]const u8 {
        assert(self.out_len > 1 and self.out_len < self.out.len);
        self.out[self.out_len] = 0;
        return self.out[1..self.out_len :0];
    }

    /// Starts a relative walk (or an empty path) at the caller's cwd or at its fd `dirfd`.
    /// `named`: the path's first component is a name, which the walk looks at under the dirfd's
    /// directory (a dirfd that is no directory then fails there, ENOTDIR, as the kernel).
    fn start_at(self: *Walk, dirfd: i32, empty: bool, named: bool) sys.Errno!void {
        assert(self.out_len == 0);
        if (dirfd == linux.AT.FDCWD) return self.start_at_cwd();
        if (dirfd < 0) return error.BADF;
        var name_buf: [proc_name_len_max]u8 = undefined;
        const link_name = proc_name(&name_buf, "/proc/{d}/fd/{d}", .{ self.caller.tid, dirfd });
        const target = readlink_at(linux.AT.FDCWD, link_name, self.link) catch |err| {
            if (err == error.NAMETOOLONG) return self.start_at_long(link_name, empty);
            return if (err == error.NOENT) error.BADF else err;
        };
        const deleted = is_deleted(target);
        const is_path = target[0] == '/' and !deleted;
        if (is_path and try self.out_from_syd_view(target)) {
            if (!empty and !named) try check_directory(link_name);
            return;
        }
        // No name in the caller's root: a pipe, a socket, an unlinked file, or outside it.
        if (empty) {
            const ids = try self.view();
            self.set_out(proc_name(&name_buf, "/proc/{d}/fd/{d}", .{ ids.pid, dirfd }));
            return;
        }
        if (deleted) return error.NOENT;
        return if (is_path) error.ACCES else error.NOTDIR;
    }

    fn start_at_cwd(self: *Walk) sys.Errno!void {
        assert(self.out_len == 0);
        var name_buf: [proc_name_len_max]u8 = undefined;
        const link_name = proc_name(&name_buf, "/proc/{d}/cwd", .{self.caller.tid});
        const target = readlink_at(linux.AT.FDCWD, link_name, self.link) catch |err| {
            if (err == error.NAMETOOLONG) return self.start_at_long(link_name, false);
            return err;
        };
        if (is_deleted(target)) return error.NOENT;
        if (target[0] != '/') return error.ACCES;
        if (!try self.out_from_syd_view(target)) return error.ACCES;
        assert(self.out_len > 0 and self.out[0] == '/');
    }

    /// Starts at a cwd or dirfd whose /proc link `link_name` is too long to read: the directory
    /// it names is opened through the link and named by climbing (pieces.dir_name). A file
    /// with such a name cannot be named so: NAMETOOLONG for AT_EMPTY_PATH (never the /proc
    /// name, which rules for the file's own name would not match), NOTDIR under it.
    fn start_at_long(self: *Walk, link_name: [:0]const u8, empty: bool) sys.Errno!void {
        assert(self.out_len == 0 and link_name[0] == '/');
        const flags: linux.O = .{ .PATH = true, .CLOEXEC = true };
        const mode: linux.mode_t = 0;
        const fd: i32 = @intCast(sys.retry(linux.openat, .{ linux.AT.FDCWD, link_name.ptr, flags, mode }) catch |err| {
            return if (err == error.NOENT) error.BADF else err;
        });
        defer sys.close(fd);
        const name = pieces.dir_name(fd, self.out) catch |err| {
            return if (err == error.NOTDIR and empty) error.NAMETOOLONG else err;
        };
        if (!try self.out_from_long(name.len)) return error.ACCES;
    }

    /// As `out_from_syd_view`, for a name already in `out` (`len` bytes): false when it lies
    /// outside the caller's root.
    fn out_from_long(self: *Walk, len: usize) sys.Errno!bool {
        assert(len > 0 and len < self.out.len and self.out[0] == '/');
        const drop = try self.root_prefix_len(self.out[0..len]) orelse return false;
        std.mem.copyForwards(u8, self.out[0..], self.out[drop..len]);
        self.out_len = len - drop;
        if (self.out_len == 0) self.set_out("/");
        assert(self.out[0] == '/');
        return true;
    }

    /// Sets `out` to `target`, a path as syd's root sees it (a /proc link's target), as the
    /// caller's root sees it; false when it lies outside the caller's root.
    fn out_from_syd_view(self: *Walk, target: []const u8) sys.Errno!bool {
        assert(target.len > 0 and target[0] == '/');
        self.set_out(target); // Copied first: root_prefix_len() reuses the buffer `target` is in.
        const drop = try self.root_prefix_len(self.out[0..self.out_len]) orelse return false;
        std.mem.copyForwards(u8, self.out[0..], self.out[drop..self.out_len]);
        self.out_len -= drop;
        if (self.out_len == 0) self.set_out("/");
        assert(self.out[0] == '/');
        return true;
    }

    /// How many leading bytes of `path` (as syd sees it) name the caller's root: 0 when the
    /// caller shares syd's root; null when `path` lies outside the caller's root.
    fn root_prefix_len(self: *Walk, path: []const u8) sys.Errno!?usize {
        assert(path.len > 0 and path[0] == '/');
        assert(@intFromPtr(path.ptr) + path.len <= @intFromPtr(self.link) or
            @intFromPtr(path.ptr) >= @intFromPtr(self.link) + self.link.len);
        if (shared_root_name(self.caller)) |root| return strip_root(root, path);
        var name_buf: [proc_name_len_max]u8 = undefined;
        const link_name = proc_name(&name_buf, "/proc/{d}/root", .{self.caller.tid});
        const root = try readlink_at(linux.AT.FDCWD, link_name, self.link);
        if (remember_root_name(self.caller, root)) |kept| return strip_root(kept, path);
        return strip_root(root, path);
    }

    /// Resolves `rest` onto `out`, one component a step.
    fn run(self: *Walk) sys.Errno![]const u8 {
        assert(self.out_len > 0 and self.out[0] == '/');
        var step_count: usize = 0;
        while (step_count < walk_steps_max) : (step_count += 1) {
            if (try self.step()) break;
        } else {
            return error.LOOP; // Unreachable: each step consumes a byte of a bounded supply.
        }
        assert(self.rest_start == pending_len_max or
            std.mem.indexOfNone(u8, self.rest[self.rest_start..], "/") == null);
        return self.out[0..self.out_len];
    }

    /// Resolves the next component of `rest`; true when the walk is over.
    fn step(self: *Walk) sys.Errno!bool {
        assert(self.rest_start <= pending_len_max);
        assert(self.out_len > 0 and self.out[0] == '/');
        const rest = self.rest[self.rest_start..];
        const start = std.mem.indexOfNone(u8, rest, "/") orelse {
            self.rest_start = pending_len_max;
            return true;
        };
        const end = std.mem.indexOfScalarPos(u8, rest, start, '/') orelse rest.len;
        const name = rest[start..end];
        assert(name.len > 0);
        self.rest_start += end;
        const after = self.rest[self.rest_start..]; // Empty, or a slash and maybe more.
        const last = std.mem.indexOfNone(u8, after, "/") == null;
        if (std.mem.eql(u8, name, ".")) return false;
        if (std.mem.eql(u8, name, "..")) {
            if (self.options.deny_dotdot) return error.PERM;
            self.pop();
            // Back on the mount the walk started on, or not: the next component (or the end)
            // is looked at.
            if (self.options.no_xdev) |xdev| if (last and try self.mount_id() != xdev.mnt_id) return error.XDEV;
            return false;
        }
        try self.push(name);
        if (self.options.walk) |walk| try walk.judge(self.out[0..self.out_len]);
        if (self.options.no_xdev) |xdev| {
            const id = self.mount_id() catch |err| {
                if (err == error.NOENT and last and self.options.missing == .last_may_be_missing) return true;
                return err;
            };
            if (id != xdev.mnt_id) return error.XDEV;
        }
        return self.visit(last, after.len > 0);
    }

    /// The mount id of what `out` names in the caller's root (not followed).
    fn mount_id(self: *Walk) sys.Errno!u64 {
        assert(self.out_len > 0 and self.out[0] == '/');
        if (self.out_len == 1) return mount_id_at(self.root_fd, "");
        return mount_id_at(self.root_fd, self.out_relative().ptr);
    }

    /// trace/force_no_symlinks and force_no_magiclinks: ELOOP for the link `out` names when
    /// the options refuse it (`followed`: the walk would pass through it).
    fn link_refused(self: *Walk, followed: bool) sys.Errno!bool {
        if (!self.options.no_symlinks and !self.options.no_magiclinks) return false;
        return switch (try self.link_kind_of()) {
            .magic => true,
            .proc_self, .proc_thread_self => self.options.no_symlinks and followed,
            .plain => self.options.no_symlinks,
        };
    }

    /// Looks at the component just pushed, in the caller's root, without following it.
    fn visit(self: *Walk, last: bool, slash_after: bool) sys.Errno!bool {
        assert(self.out_len > 1);
        assert(last or slash_after);
        var st: linux.Stat = undefined;
        const flags: u32 = linux.AT.SYMLINK_NOFOLLOW;
        self.stat_at(self.out_relative(), &st, flags) catch |err| {
            const may_be_missing = self.options.missing == .last_may_be_missing;
            if (err == error.NOENT and last and may_be_missing) {
                if (self.options.last_mode) |mode| mode.* = mode_missing;
                return true;
            }
            return err;
        };
        if (last) if (self.options.last_mode) |mode| {
            mode.* = st.mode & linux.S.IFMT;
        };
        switch (st.mode & linux.S.IFMT) {
            linux.S.IFDIR => return last,
            linux.S.IFLNK => {
                if (last and slash_after) if (self.options.entry_slash_link) |err| return err;
                const final = last and !slash_after; // A trailing slash follows the link.
                const kept = final and self.options.follow == .nofollow_last;
                if (try self.link_refused(!kept)) return error.LOOP;
                if (kept) return true;
                if (self.options.last_mode) |mode| mode.* = mode_unknown; // the target's, if looked at
                return self.follow(final);
            },
            else => {
                if (slash_after) return error.NOTDIR;
                assert(last);
                return true;
            },
        }
    }

    /// Follows the link `out` names; `final`: nothing, not even a slash, comes after it.
    fn follow(self: *Walk, final: bool) sys.Errno!bool {
        assert(self.out_len > 1);
        self.links += 1;
        if (self.links > symlinks_max) return error.LOOP;
        var body_buf: [proc_name_len_max]u8 = undefined;
        switch (try self.link_kind()) {
            .plain => {
                if (self.options.trusted_symlinks and !try self.link_trusted()) return error.LOOP;
                if (symfollow_checked.load(.acquire) and try self.link_nosymfollow()) return error.LOOP;
                const body = try self.readlink_in_root(self.out_relative());
                try self.splice(body);
            },
            .proc_self => try self.splice(proc_name(&body_buf, "{d}", .{(try self.view()).pid})),
            .proc_thread_self => {
                const ids = try self.view();
                try self.splice(proc_name(&body_buf, "{d}/task/{d}", .{ ids.pid, ids.tid }));
            },
            .magic => return self.follow_magic(final),
        }
        assert(self.out_len > 0);
        return false;
    }

    /// A /proc/PID/... link names an object: follow it when its target is a path in the
    /// caller's root; otherwise keep the /proc name, through which the object can be reached.
    fn follow_magic(self: *Walk, final: bool) sys.Errno!bool {
        assert(std.mem.startsWith(u8, self.out[0..self.out_len], "/proc/"));
        assert(self.procfs == true);
        const target = readlink_at(self.root_fd, self.out_relative(), self.link) catch |err| {
            if (err == error.NAMETOOLONG) return self.follow_magic_long(final);
            return err;
        };
        const target_len = target.len;
        const deleted = is_deleted(target);
        if (target[0] == '/' and !deleted) {
            try self.prepend(target); // Copied first: root_prefix_len() reuses `self.link`.
            const body = self.rest[self.rest_start..][0..target_len];
            if (try self.root_prefix_len(body)) |drop| {
                self.rest_start += drop;
                self.out_len = 1;
                return false;
            }
            self.rest_start += target_len; // Outside the caller's root: it has no name there.
            if (final) return true;
            return error.ACCES;
        }
        if (final) return true;
        return if (deleted) error.NOENT else error.NOTDIR;
    }

    /// As `follow_magic`, for a link whose target is too long to read: the directory it names
    /// is opened through it and named by climbing (pieces.dir_name); a file with such a name
    /// has none syd can judge (NAMETOOLONG; NOTDIR under it).
    fn follow_magic_long(self: *Walk, final: bool) sys.Errno!bool {
        assert(self.out_len > 1);
        if (self.out_len >= proc_name_len_max) return error.NAMETOOLONG;
        var saved: [proc_name_len_max]u8 = undefined;
        const saved_len = self.out_len;
        @memcpy(saved[0..saved_len], self.out[0..saved_len]);
        const flags: linux.O = .{ .PATH = true, .CLOEXEC = true };
        const mode: linux.mode_t = 0;
        const fd: i32 = @intCast(try sys.retry(linux.openat, .{ self.root_fd, self.out_relative().ptr, flags, mode }));
        defer sys.close(fd);
        const name = pieces.dir_name(fd, self.out) catch |err| {
            return if (err == error.NOTDIR and final) error.NAMETOOLONG else err;
        };
        if (!try self.out_from_long(name.len)) {
            if (!final) return error.ACCES; // Outside the caller's root: it has no name there.
            self.set_out(saved[0..saved_len]);
            return true;
        }
        if (self.guard and !self.may_name(self.out[0..self.out_len])) return error.ACCES;
        if (self.options.walk) |check| try check.judge_prefixes(self.out[0..self.out_len]);
        return final;
    }

    /// fstatat of `name` under the caller's root; a long name in pieces (pieces.split).
    fn stat_at(self: *Walk, name: [:0]const u8, st: *linux.Stat, flags: u32) sys.Errno!void {
        assert(name.len > 0 and name[0] != '/');
        if (name.len < path_len_max) {
            _ = try sys.retry(linux.fstatat, .{ self.root_fd, name.ptr, st, flags });
            return;
        }
        var rest_buf: [path_len_max]u8 = undefined;
        const at = try pieces.split(self.root_fd, name, pieces.resolve_strict, &rest_buf);
        defer at.close();
        _ = try sys.retry(linux.fstatat, .{ at.dir_fd, at.rest.ptr, st, flags });
    }

    /// The body of the link `name` under the caller's root, in `link`; a long name in pieces.
    fn readlink_in_root(self: *Walk, name: [:0]const u8) sys.Errno![]const u8 {
        assert(name.len > 0 and name[0] != '/');
        if (name.len < path_len_max) return readlink_at(self.root_fd, name, self.link);
        var rest_buf: [path_len_max]u8 = undefined;
        const at = try pieces.split(self.root_fd, name, pieces.resolve_strict, &rest_buf);
        defer at.close();
        return readlink_at(at.dir_fd, at.rest, self.link);
    }

    /// Whether the link `out` names is one of procfs's, in the caller's /proc.
    fn link_kind(self: *Walk) sys.Errno!LinkKind {
        assert(self.out_len > 1 and self.links > 0);
        return self.link_kind_of();
    }

    fn link_kind_of(self: *Walk) sys.Errno!LinkKind {
        assert(self.out_len > 1);
        const link_path = self.out[0..self.out_len];
        const proc_dir = "/proc/";
        if (!std.mem.startsWith(u8, link_path, proc_dir)) return .plain;
        const inside = link_path[proc_dir.len..];
        const kind: LinkKind = if (std.mem.eql(u8, inside, "self"))
            .proc_self
        else if (std.mem.eql(u8, inside, "thread-self"))
            .proc_thread_self
        else if (std.mem.indexOfScalar(u8, inside, '/') != null)
            .magic
        else
            return .plain; // /proc/mounts, /proc/net: ordinary links into /proc/self.
        return if (try self.proc_mounted()) kind else .plain;
    }

    /// Whether the link `out` names lies on a mount the kernel follows no link on (nosymfollow).
    fn link_nosymfollow(self: *Walk) sys.Errno!bool {
        assert(self.out_len > 1 and self.root_fd >= 0);
        const flags: linux.O = .{ .PATH = true, .NOFOLLOW = true, .CLOEXEC = true };
        const fd: i32 = @intCast(try sys.retry(linux.openat, .{ self.root_fd, self.out_relative().ptr, flags, @as(linux.mode_t, 0) }));
        defer sys.close(fd);
        var fs: Statfs = undefined;
        _ = try sys.retry(linux.syscall2, .{ .fstatfs, @as(usize, @intCast(fd)), @intFromPtr(&fs) });
        return fs.other[statfs_flags_index] & st_nosymfollow != 0;
    }

    /// Whether the caller's /proc is the root of a procfs (asked once per walk).
    fn proc_mounted(self: *Walk) sys.Errno!bool {
        assert(self.root_fd >= 0);
        if (self.procfs) |known| return known;
        var st: linux.Stat = undefined;
        const flags: u32 = linux.AT.SYMLINK_NOFOLLOW;
        _ = try sys.retry(linux.fstatat, .{ self.root_fd, "proc", &st, flags });
        var fs: Statfs = undefined;
        var name_buf: [proc_name_len_max]u8 = undefined;
        const proc_path = proc_name(&name_buf, "/proc/{d}/root/proc", .{self.caller.tid});
        _ = try sys.retry(statfs, .{ proc_path.ptr, &fs });
        const known = st.mode & linux.S.IFMT == linux.S.IFDIR and st.ino == proc_root_ino and
            fs.type == proc_super_magic;
        self.procfs = known;
        return known;
    }

    /// Replaces the link `out` names by its body: an absolute body restarts at the root, a
    /// relative one at the link's directory.
    fn splice(self: *Walk, body: []const u8) sys.Errno!void {
        assert(self.out_len > 1);
        if (body.len == 0) return error.NOENT; // As the kernel treats an empty link body.
        try self.prepend(body);
        if (body[0] == '/') self.out_len = 1 else self.pop();
        assert(self.out_len > 0);
    }

    fn prepend(self: *Walk, text: []const u8) sys.Errno!void {
        assert(text.len > 0 and text.len < path_len_max);
        if (text.len > self.rest_start) return error.NAMETOOLONG;
        self.rest_start -= text.len;
        @memcpy(self.rest[self.rest_start..][0..text.len], text);
        assert(self.rest_start < pending_len_max);
    }

    fn push(self: *Walk, name: []const u8) sys.Errno!void {
        assert(name.len > 0 and std.mem.indexOfScalar(u8, name, '/') == null);
        assert(self.out_len > 0 and self.out[0] == '/');
        const slash_len: usize = if (self.out_len > 1) 1 else 0;
        if (self.out_len + slash_len + name.len >= self.out.len) return error.NAMETOOLONG;
        if (slash_len == 1) self.out[self.out_len] = '/';
        self.out_len += slash_len;
        @memcpy(self.out[self.out_len..][0..name.len], name);
        self.out_len += name.len;
        // Refused before anything below it is looked at: no answer tells which entries exist.
        if (self.guard and !self.may_name(self.out[0..self.out_len])) return error.ACCES;
    }

    /// Whether the caller may name `path`: anything but another process's /proc/<N>/... (as
    /// the original: EACCES). syd reads /proc with CAP_SYS_PTRACE and from outside the
    /// sandbox's Landlock domain: performing the call for the caller would lend it both (another
    /// process's mem, environ, fds), and syd's own entries are syd's alone.
    /// The caller's ids in its /proc (asked once per walk).
    fn view(self: *Walk) sys.Errno!ViewIds {
        if (self.view_ids) |known| return known;
        const ids = try view_ids(self.caller);
        self.view_ids = ids;
        return ids;
    }

    fn may_name(self: *Walk, path: []const u8) bool {
        return caller_may_name(self.caller, path);
    }

    /// The fast way: when the rest is plain names (no `.`, `..`, nothing under /proc), more of
    /// them than the calls this takes or the caller keeps the fd, and the
    /// kernel resolves it under the caller's root with no symlink and no magic link on the way
    /// (`openat2` with `O_PATH`, RESOLVE_IN_ROOT, RESOLVE_NO_SYMLINKS, RESOLVE_NO_MAGICLINKS), the
    /// canonical path is the rest as written, joined to the start: one call instead of a look
    /// per component. Anything else (a symlink: ELOOP; a missing or non-directory component; a
    /// name too long) falls back to the walk, which answers it as ever (null). The object the
    /// kernel found is left to the caller in `options.keep_fd` when asked, so that it is not
    /// looked up again; `options.last_mode` gets its type.
    fn resolved_by_kernel(self: *Walk) sys.Errno!?[]const u8 {
        assert(self.out_len > 0 and self.out[0] == '/');
        const o = self.options;
        if (o.no_xdev != null or o.no_symlinks or o.no_magiclinks or o.empty_path) return null;
        const rest = self.rest[self.rest_start..];
        if (rest.len == 0) return null;
        const start_len = self.out_len;
        var parts = std.mem.tokenizeScalar(u8, rest, '/');
        var count: usize = 0;
        while (parts.next()) |name| : (count += 1) {
            if (std.mem.eql(u8, name, ".") or std.mem.eql(u8, name, "..")) return null;
            if (count >= walk_steps_max) return null;
        }
        if (count == 0) return null; // slashes only: the start itself
        // One openat2 and its close (and an fstat for `last_mode`) against one look per name:
        // worth it for a longer rest, or when the caller acts on what the kernel found.
        const calls: usize = if (o.last_mode != null) 3 else 2;
        if (o.keep_fd == null and count <= calls) return null;
        // The name the kernel is asked for, in `link` (the walk has not used it yet): the start
        // and the rest as written (a trailing slash kept: the kernel then wants a directory).
        const relative_start = if (start_len == 1) "" else self.out[1..start_len];
        const sep: []const u8 = if (relative_start.len > 0) "/" else "";
        const trimmed = std.mem.trimLeft(u8, rest, "/");
        const probe = std.fmt.bufPrintZ(self.link, "{s}{s}{s}", .{ relative_start, sep, trimmed }) catch return null;
        if (probe.len == 0 or std.mem.eql(u8, probe, "proc") or std.mem.startsWith(u8, probe, "proc/")) return null;
        const nofollow: u64 = if (o.follow == .nofollow_last) 0o400000 else 0; // O_NOFOLLOW
        const how: pieces.OpenHow = .{ .flags = 0o10000000 | 0o2000000 | nofollow, .mode = 0, .resolve = pieces.resolve_strict }; // O_PATH | O_CLOEXEC
        const rc = linux.syscall4(.openat2, @as(usize, @bitCast(@as(isize, self.root_fd))), @intFromPtr(probe.ptr), @intFromPtr(&how), @sizeOf(pieces.OpenHow));
        const fd: i32 = @intCast(sys.check(rc) catch return null);
        var handed = false;
        defer if (!handed) sys.close(fd);
        // The canonical name: the start, then each name once (repeated slashes and a trailing
        // one dropped), the guard and walk sandboxing asked of every prefix as the walk would.
        parts.reset();
        while (parts.next()) |name| try self.push(name);
        const result = self.out[0..self.out_len];
        if (self.options.walk) |check| try check.judge_prefixes(result);
        if (o.last_mode) |mode| {
            var st: linux.Stat = undefined;
            _ = try sys.retry(linux.fstat, .{ fd, &st });
            mode.* = st.mode & linux.S.IFMT;
        }
        if (o.keep_fd) |kept| {
            kept.* = fd;
            handed = true;
        }
        self.rest_start = pending_len_max;
        assert(result.len > 1 and result[0] == '/' and result[result.len - 1] != '/');
        return result;
    }

    /// Whether the directory holding the link `out` names is neither sticky nor group- or
    /// world-writable (CONFIG_GRKERNSEC_LINK's rule, stricter than protected_symlinks).
    fn link_trusted(self: *Walk) sys.Errno!bool {
        assert(self.out_len > 1 and self.out[0] == '/');
        const slash = std.mem.lastIndexOfScalar(u8, self.out[0..self.out_len], '/').?;
        var st: linux.Stat = undefined;
        if (slash == 0) {
            _ = try sys.retry(linux.fstat, .{ self.root_fd, &st });
        } else {
            const saved = self.out[slash];
            self.out[slash] = 0;
            defer self.out[slash] = saved;
            try self.stat_at(self.out[1..slash :0], &st, linux.AT.SYMLINK_NOFOLLOW);
        }
        const untrusted: u32 = linux.S.ISVTX | linux.S.IWOTH | linux.S.IWGRP;
        return st.mode & untrusted == 0;
    }

    /// Drops the last component of `out`; the root stays the root.
    fn pop(self: *Walk) void {
        assert(self.out_len > 0 and self.out[0] == '/');
        const slash = std.mem.lastIndexOfScalar(u8, self.out[0..self.out_len], '/').?;
        self.out_len = @max(slash, 1);
        assert(self.out_len == 1 or self.out[self.out_len - 1] != '/');
    }
};

/// How many leading bytes of `path` name `root` (both as syd sees them): 0 for syd's own root;
/// null when `path` lies outside `root` or `root` has no usable name.
fn strip_root(root: []const u8, path: []const u8) ?usize {
    assert(path.len > 0 and path[0] == '/');
    if (std.mem.eql(u8, root, "/")) return 0;
    if (root.len == 0 or root[0] != '/' or is_deleted(root)) return null;
    if (!std.mem.startsWith(u8, path, root)) return null;
    if (path.len > root.len and path[root.len] != '/') return null; // "/jail" is not in "/jailx"
    assert(root.len <= path.len);
    return root.len;
}

/// Whether `caller` may name `path` (see Walk.may_name): not another process's /proc/<N>/...
pub fn caller_may_name(caller: Caller, path: []const u8) bool {
    const pid = proc_pid_of(path) orelse return true;
    const ids = view_ids(caller) catch return false;
    if (pid.value == ids.tid or pid.value == ids.pid) return true;
    var name_buf: [proc_name_len_max]u8 = undefined;
    // Another thread of the caller's group names it too: its /proc/<N>/task/<tid> exists. In the
    // caller's own /proc when the sandbox has a pid namespace, asked as a task of the caller's
    // group (never looking /proc/<N> up: a lookup by syd would leave the entry of a process the
    // caller may not see, the init, cached and told apart from a missing one: found by the
    // attack session).
    const task = if (pid_namespace.load(.acquire) and caller.pid != sys.own_pid())
        proc_name(&name_buf, "/proc/{d}/root/proc/{d}/task/{d}", .{ caller.tid, ids.pid, pid.value })
    else
        proc_name(&name_buf, "/proc/{d}/task/{d}", .{ pid.value, caller.tid });
    return exists(task);
}

/// The pid a /proc path starts with (`/proc/<N>`), and the thread after `/task/` if any.
const ProcPid = struct { value: i64, task: ?i64 };

fn proc_pid_of(path: []const u8) ?ProcPid {
    const prefix = "/proc/";
    if (!std.mem.startsWith(u8, path, prefix)) return null;
    const rest = path[prefix.len..];
    const end = std.mem.indexOfScalar(u8, rest, '/') orelse rest.len;
    const value = std.fmt.parseInt(i64, rest[0..end], 10) catch return null;
    if (rest[0] < '0' or rest[0] > '9') return null; // "+1" is no /proc entry
    const task_prefix = "/task/";
    var task: ?i64 = null;
    if (std.mem.startsWith(u8, rest[end..], task_prefix)) {
        const tail = rest[end + task_prefix.len ..];
        const task_end = std.mem.indexOfScalar(u8, tail, '/') orelse tail.len;
        if (task_end > 0 and tail[0] >= '0' and tail[0] <= '9') task = std.fmt.parseInt(i64, tail[0..task_end], 10) catch null;
    }
    return .{ .value = value, .task = task };
}

/// Whether `path` names one of syd's own /proc entries (/proc/<syd pid or tid>/..., also as
/// /proc/<pid>/task/<syd tid>/...): never the sandbox's to open, stat or read, whatever the
/// policy (as the original).
pub fn names_syd_proc(path: []const u8) bool {
    // The sandbox's own pid namespace has no number for syd's processes.
    if (pid_namespace.load(.acquire)) return false;
    const pid = proc_pid_of(path) orelse return false;
    if (is_syd_task(pid.value)) return true;
    if (pid.task) |task| return is_syd_task(task);
    return false;
}

/// Whether `id` is syd's process or one of its threads (/proc/<syd>/task/<id> exists).
pub fn is_syd_task(id: i64) bool {
    if (id <= 0 or id > std.math.maxInt(i32)) return false;
    const own = sys.own_pid();
    if (id == own) return true;
    var name_buf: [proc_name_len_max]u8 = undefined;
    return exists(proc_name(&name_buf, "/proc/{d}/task/{d}", .{ own, id }));
}

fn exists(path: [*:0]const u8) bool {
    var st: linux.Stat = undefined;
    _ = sys.retry(linux.fstatat, .{ linux.AT.FDCWD, path, &st, @as(u32, linux.AT.SYMLINK_NOFOLLOW) }) catch return false;
    return true;
}

fn is_deleted(target: []const u8) bool {
    return std.mem.endsWith(u8, target, deleted_suffix);
}

/// Formats a short /proc name; the format and numbers always fit `proc_name_len_max`.
fn proc_name(buf: *[proc_name_len_max]u8, comptime format: []const u8, args: anytype) [:0]const u8 {
    const name = std.fmt.bufPrintZ(buf, format, args) catch unreachable;
    assert(name.len > 0 and name.len < proc_name_len_max);
    return name;
}

/// Bumped by sandbox.zig when a sandbox starts and when it ends: while it is odd, one sandbox
/// runs, and every sandboxed process has one root for the sandbox's whole life. chroot is
/// judged and answered without changing anything (handlers/dir.zig); pivot_root, mount, setns
/// and new mount or user namespaces are refused (filter/table.zig). So each syd thread opens
/// the sandbox's root once, keeps it in its own fd table (pool.thread_setup) and uses it for
/// every caller, instead of opening /proc/TID/root for each call.
pub var sandbox_run: std.atomic.Value(u32) = .init(0);
threadlocal var shared_root_fd: i32 = -1;
threadlocal var shared_root_run: u32 = 0;
/// The sandbox's root as syd's root sees it (/proc/TID/root's body), kept as the fd is.
threadlocal var shared_root_text: [path_len_max]u8 = undefined;
threadlocal var shared_root_text_len: usize = 0;
threadlocal var shared_root_text_run: u32 = 0;

/// The sandbox's root as syd sees it, if this thread keeps it for `caller`'s sandbox run.
fn shared_root_name(caller: Caller) ?[]const u8 {
    const run = sandbox_run.load(.acquire);
    if (run % 2 == 0 or caller.pid == sys.own_pid()) return null;
    if (shared_root_text_run != run or shared_root_text_len == 0) return null;
    return shared_root_text[0..shared_root_text_len];
}

/// Keeps `root` (a sandboxed caller's /proc/TID/root body) for the run: the kept copy, or null
/// when `caller` is syd itself or no sandbox runs.
fn remember_root_name(caller: Caller, root: []const u8) ?[]const u8 {
    assert(root.len > 0 and root.len < path_len_max);
    const run = sandbox_run.load(.acquire);
    if (run % 2 == 0 or caller.pid == sys.own_pid()) return null;
    @memcpy(shared_root_text[0..root.len], root);
    shared_root_text_len = root.len;
    shared_root_text_run = run;
    return shared_root_text[0..root.len];
}

/// A caller's root, as an O_PATH fd; `owned`: the holder closes it (`release`).
pub const RootFd = struct {
    fd: i32,
    owned: bool,

    pub fn release(self: RootFd) void {
        assert(self.fd >= 0);
        if (self.owned) sys.close(self.fd);
    }
};

/// The root of `caller` (a sandboxed thread, or syd itself): the sandbox's, kept by this thread
/// while a sandbox runs (`sandbox_run`), otherwise /proc/TID/root opened for the call.
pub fn caller_root(caller: Caller) sys.Errno!RootFd {
    assert(caller.pid > 0 and caller.tid > 0);
    const run = sandbox_run.load(.acquire);
    if (run % 2 == 0 or caller.pid == sys.own_pid()) return .{ .fd = try open_root(caller.tid), .owned = true };
    if (shared_root_run == run and shared_root_fd >= 0) return .{ .fd = shared_root_fd, .owned = false };
    const fd = try open_root(caller.tid);
    if (shared_root_fd >= 0) sys.close(shared_root_fd);
    shared_root_fd = fd;
    shared_root_run = run;
    return .{ .fd = fd, .owned = false };
}

/// The caller's root directory, as an O_PATH fd to resolve its absolute paths under.
fn open_root(tid: i32) sys.Errno!i32 {
    assert(tid > 0);
    var name_buf: [proc_name_len_max]u8 = undefined;
    const name = proc_name(&name_buf, "/proc/{d}/root", .{tid});
    const flags: linux.O = .{ .PATH = true, .DIRECTORY = true, .CLOEXEC = true };
    const mode: linux.mode_t = 0;
    const fd: i32 = @intCast(try sys.retry(linux.openat, .{ linux.AT.FDCWD, name.ptr, flags, mode }));
    assert(fd >= 0);
    return fd;
}

/// A link's body; error.NAMETOOLONG when it does not fit `buf` with room to spare.
fn readlink_at(dirfd: i32, name: [:0]const u8, buf: *[path_len_max]u8) sys.Errno![]const u8 {
    assert(name.len > 0);
    const len = try sys.retry(linux.readlinkat, .{ dirfd, name.ptr, buf, buf.len });
    if (len >= buf.len) return error.NAMETOOLONG; // Perhaps cut short: never judge a prefix.
    if (len == 0) return error.NOENT;
    return buf[0..len];
}

/// Whether a relative `path` starts with a name, not `.` or `..`.
fn starts_with_name(path: []const u8) bool {
    const end = std.mem.indexOfScalar(u8, path, '/') orelse path.len;
    const first = path[0..end];
    return first.len > 0 and !std.mem.eql(u8, first, ".") and !std.mem.eql(u8, first, "..");
}

test "starts_with_name tells a first name from `.`, `..` and nothing" {
    try testing.expect(starts_with_name("a"));
    try testing.expect(starts_with_name("a/.."));
    try testing.expect(starts_with_name("...") and starts_with_name(".a/b"));
    try testing.expect(!starts_with_name("") and !starts_with_name(".") and !starts_with_name("./a"));
    try testing.expect(!starts_with_name("..") and !starts_with_name("../a") and !starts_with_name("/a"));
}

/// error.NOTDIR unless `name` (followed) is a directory.
fn check_directory(name: [:0]const u8) sys.Errno!void {
    assert(name.len > 0 and name[0] == '/');
    var st: linux.Stat = undefined;
    _ = try sys.retry(linux.fstatat, .{ linux.AT.FDCWD, name.ptr, &st, @as(u32, 0) });
    if (st.mode & linux.S.IFMT != linux.S.IFDIR) return error.NOTDIR;
}

/// The kernel's `struct statfs` on 64-bit Linux; the file system type and the mount flags are
/// read (f_flags: the word after bsize, blocks, bfree, bavail, files, ffree, fsid, namelen,
/// frsize).
const Statfs = extern struct {
    type: i64,
    other: [14]u64,
};
const statfs_flags_index: usize = 9;
/// ST_NOSYMFOLLOW in statfs's f_flags.
const st_nosymfollow: u64 = 0x2000;
comptime {
    assert(@sizeOf(Statfs) == 120);
}

fn statfs(name: [*:0]const u8, buf: *Statfs) usize {
    return linux.syscall2(.statfs, @intFromPtr(name), @intFromPtr(buf));
}

// Tests: this very process is the caller; files live in directories under /tmp.

const testing = std.testing;

fn test_caller() Caller {
    return .{ .pid = sys.getpid(), .tid = sys.gettid() };
}

fn canon(dirfd: i32, path: []const u8, options: Options, out: []u8) sys.Errno![]const u8 {
    return canonicalize(test_caller(), dirfd, path, options, out);
}

var test_dirs_made: u32 = 0;

/// A fresh directory under /tmp, removed with everything in it by `remove`.
const TestDir = struct {
    dir: std.fs.Dir,
    name_buf: [path_len_max]u8 = undefined,
    name_len: usize = 0,

    fn make() !TestDir {
        test_dirs_made += 1;
        var buf: [proc_name_len_max]u8 = undefined;
        const made = try std.fmt.bufPrint(&buf, "/tmp/syd-path-test-{d}-{d}", .{ sys.getpid(), test_dirs_made });
        std.fs.deleteTreeAbsolute(made) catch {};
        try std.fs.makeDirAbsolute(made);
        var self: TestDir = .{ .dir = try std.fs.openDirAbsolute(made, .{}) };
        self.name_len = (try self.dir.realpath(".", &self.name_buf)).len; // /tmp may be a link
        return self;
    }

    fn remove(self: *TestDir) void {
        self.dir.close();
        std.fs.deleteTreeAbsolute(self.name()) catch {};
    }

    fn name(self: *const TestDir) []const u8 {
        return self.name_buf[0..self.name_len];
    }

    /// The canonical name of `sub` inside the directory.
    fn join(self: *const TestDir, buf: []u8, sub: []const u8) []const u8 {
        return std.fmt.bufPrint(buf, "{s}/{s}", .{ self.name(), sub }) catch unreachable;
    }

    /// Makes a/, a/b/, a/c/ and the file f.
    fn populate(self: *TestDir) !void {
        try self.dir.makePath("a/b");
        try self.dir.makePath("a/c");
        try self.dir.writeFile(.{ .sub_path = "f", .data = "x" });
    }
};

test "read_string copies a string from the caller's stack" {
    var text: [32]u8 = undefined;
    @memcpy(text[0..12], "/etc/passwd\x00");
    var buf: [path_len_max]u8 = undefined;
    try testing.expectEqualStrings("/etc/passwd", try read_string(test_caller(), @intFromPtr(&text), &buf));
    text[0] = 0;
    try testing.expectEqualStrings("", try read_string(test_caller(), @intFromPtr(&text), &buf));
}

test "read_string reads a string that ends just before an unmapped page" {
    const page_len = std.heap.pageSize();
    const pages = try std.posix.mmap(null, 2 * page_len, std.posix.PROT.READ | std.posix.PROT.WRITE, .{ .TYPE = .PRIVATE, .ANONYMOUS = true }, -1, 0);
    defer std.posix.munmap(pages[0..page_len]);
    std.posix.munmap(@alignCast(pages[page_len..]));
    const text = "/tmp/edge\x00";
    @memcpy(pages[page_len - text.len .. page_len], text);
    var buf: [path_len_max]u8 = undefined;
    const at = @intFromPtr(pages.ptr) + page_len - text.len;
    try testing.expectEqualStrings("/tmp/edge", try read_string(test_caller(), at, &buf));
    pages[page_len - 1] = 'x'; // Now the string runs into the unmapped page.
    try testing.expectError(error.FAULT, read_string(test_caller(), at, &buf));
}

test "read_string refuses address 0 and an unmapped address" {
    var buf: [path_len_max]u8 = undefined;
    try testing.expectError(error.FAULT, read_string(test_caller(), 0, &buf));
    try testing.expectError(error.FAULT, read_string(test_caller(), 8, &buf));
    try testing.expectError(error.FAULT, read_string(test_caller(), std.math.maxInt(u64) - 2, &buf));
}

test "read_string refuses a string with no NUL within path_len_max bytes" {
    var long: [5000]u8 = @splat('a');
    var buf: [path_len_max]u8 = undefined;
    try testing.expectError(error.NAMETOOLONG, read_string(test_caller(), @intFromPtr(&long), &buf));
    long[path_len_max] = 0; // 4096 bytes before the NUL: one too many.
    try testing.expectError(error.NAMETOOLONG, read_string(test_caller(), @intFromPtr(&long), &buf));
    long[path_len_max - 1] = 0; // 4095 bytes: the longest path.
    const got = try read_string(test_caller(), @intFromPtr(&long), &buf);
    try testing.expectEqual(path_len_max - 1, got.len);
}

test "canonicalize keeps a canonical absolute path unchanged" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    try testing.expectEqualStrings("/", try canon(linux.AT.FDCWD, "/", .{}, &out));
    try testing.expectEqualStrings("/proc", try canon(linux.AT.FDCWD, "/proc", .{}, &out));
    const file = tmp.join(&want, "a/b");
    try testing.expectEqualStrings(file, try canon(linux.AT.FDCWD, file, .{}, &out));
}

test "canonicalize collapses repeated slashes, dot and dot-dot" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    var out: [path_len_max]u8 = undefined;
    var path: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    try testing.expectEqualStrings("/proc", try canon(linux.AT.FDCWD, "//proc/./sys/../", .{}, &out));
    const messy = try std.fmt.bufPrint(&path, "/{s}//a/./b/../c//.", .{tmp.name()});
    try testing.expectEqualStrings(tmp.join(&want, "a/c"), try canon(linux.AT.FDCWD, messy, .{}, &out));
}

test "canonicalize never climbs above the root" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    var out: [path_len_max]u8 = undefined;
    try testing.expectEqualStrings("/", try canon(linux.AT.FDCWD, "/..", .{}, &out));
    try testing.expectEqualStrings("/", try canon(linux.AT.FDCWD, "/../../proc/..", .{}, &out));
    try testing.expectEqualStrings("/proc", try canon(linux.AT.FDCWD, "/../proc", .{}, &out));
    var ups: [path_len_max]u8 = undefined;
    const many = "../" ** 64;
    @memcpy(ups[0..many.len], many);
    try testing.expectEqualStrings("/proc", try canon(tmp.dir.fd, "../../../../../../../../../../proc", .{}, &out));
    try testing.expectEqualStrings("/", try canon(tmp.dir.fd, ups[0..many.len], .{}, &out));
}

test "canonicalize resolves a relative path against the caller's cwd for AT_FDCWD" {
    var cwd_buf: [path_len_max]u8 = undefined;
    const cwd = try readlink_at(linux.AT.FDCWD, "/proc/self/cwd", &cwd_buf);
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    try testing.expectEqualStrings(cwd, try canon(linux.AT.FDCWD, ".", .{}, &out));
    try testing.expectEqualStrings(cwd, try canon(linux.AT.FDCWD, "./", .{}, &out));
    const parent = cwd[0..@max(std.mem.lastIndexOfScalar(u8, cwd, '/').?, 1)];
    try testing.expectEqualStrings(parent, try canon(linux.AT.FDCWD, "..", .{}, &out));
    const slash = if (cwd.len > 1) "/" else "";
    const new = try std.fmt.bufPrint(&want, "{s}{s}syd-no-such-entry", .{ cwd, slash });
    try testing.expectEqualStrings(new, try canon(linux.AT.FDCWD, "syd-no-such-entry", .{ .missing = .last_may_be_missing }, &out));
    try testing.expectError(error.NOENT, canon(linux.AT.FDCWD, "syd-no-such-entry", .{}, &out));
}

test "canonicalize resolves a relative path against a dirfd" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    try testing.expectEqualStrings(tmp.join(&want, "a/c"), try canon(tmp.dir.fd, "a/b/../c", .{}, &out));
    try testing.expectEqualStrings(tmp.name(), try canon(tmp.dir.fd, ".", .{}, &out));
    try testing.expectEqualStrings(tmp.join(&want, "f"), try canon(tmp.dir.fd, "./f", .{}, &out));
    // A dirfd is ignored for an absolute path, as by the kernel.
    try testing.expectEqualStrings("/proc", try canon(tmp.dir.fd, "/proc", .{}, &out));
}

test "canonicalize follows symlinks to absolute and relative targets, and chains of them" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    try tmp.dir.symLink(tmp.join(&want, "a"), "abs", .{});
    try tmp.dir.symLink("../c", "a/b/rel", .{});
    try tmp.dir.symLink("l2", "l1", .{});
    try tmp.dir.symLink("a/b/l3", "l2", .{});
    try tmp.dir.symLink("rel/../../f", "a/b/l3", .{});
    try testing.expectEqualStrings(tmp.join(&want, "a/c"), try canon(tmp.dir.fd, "abs/c", .{}, &out));
    try testing.expectEqualStrings(tmp.join(&want, "a/c"), try canon(tmp.dir.fd, "a/b/rel", .{}, &out));
    try testing.expectEqualStrings(tmp.join(&want, "a/b"), try canon(tmp.dir.fd, "abs/b/rel/../b", .{}, &out));
    // l1 -> l2 -> a/b/l3 -> rel/../../f, where a/b/rel -> ../c: `..` after a link is physical,
    // so rel/.. is a (not a/b), and the chain ends at f. Checked against the kernel's realpath.
    try testing.expectEqualStrings(tmp.join(&want, "f"), try canon(tmp.dir.fd, "l1", .{}, &out));
    try testing.expectEqualStrings(try tmp.dir.realpath("l1", &want), try canon(tmp.dir.fd, "l1", .{}, &out));
    try tmp.dir.deleteFile("a/b/l3");
    try tmp.dir.symLink("rel/../../new", "a/b/l3", .{});
    try testing.expectError(error.NOENT, canon(tmp.dir.fd, "l1", .{}, &out));
    try testing.expectEqualStrings(tmp.join(&want, "new"), try canon(tmp.dir.fd, "l1", .{ .missing = .last_may_be_missing }, &out));
    try tmp.dir.symLink("../../f", "a/c/up", .{});
    try tmp.dir.deleteFile("a/b/l3");
    try tmp.dir.symLink("rel/up", "a/b/l3", .{});
    try testing.expectEqualStrings(tmp.join(&want, "f"), try canon(tmp.dir.fd, "l1", .{}, &out));
}

test "canonicalize follows 40 links and refuses 41 or a loop with LOOP" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    var names: [2][16]u8 = undefined;
    var n: u32 = 1;
    while (n <= symlinks_max + 1) : (n += 1) { // l<n> -> l<n-1>, l1 -> f
        const target = if (n == 1) "f" else try std.fmt.bufPrint(&names[0], "l{d}", .{n - 1});
        try tmp.dir.symLink(target, try std.fmt.bufPrint(&names[1], "l{d}", .{n}), .{});
    }
    try testing.expectEqualStrings(tmp.join(&want, "f"), try canon(tmp.dir.fd, "l40", .{}, &out));
    try testing.expectError(error.LOOP, canon(tmp.dir.fd, "l41", .{}, &out));
    try tmp.dir.symLink("y", "x", .{});
    try tmp.dir.symLink("x", "y", .{});
    try testing.expectError(error.LOOP, canon(tmp.dir.fd, "x", .{}, &out));
    try testing.expectError(error.LOOP, canon(tmp.dir.fd, "x/z", .{ .missing = .last_may_be_missing }, &out));
    try tmp.dir.symLink(".", "self", .{}); // A link may be walked many times: each one counts.
    const deep = "self/" ** 41;
    try testing.expectError(error.LOOP, canon(tmp.dir.fd, deep, .{}, &out));
    try testing.expectEqualStrings(tmp.name(), try canon(tmp.dir.fd, deep[0 .. 40 * 5], .{}, &out));
}

test "canonicalize with nofollow_last keeps a final symlink but follows earlier ones" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    try tmp.dir.symLink("a", "la", .{});
    try tmp.dir.symLink("b", "a/lb", .{});
    const nofollow: Options = .{ .follow = .nofollow_last };
    try testing.expectEqualStrings(tmp.join(&want, "la"), try canon(tmp.dir.fd, "la", nofollow, &out));
    try testing.expectEqualStrings(tmp.join(&want, "a/lb"), try canon(tmp.dir.fd, "la/lb", nofollow, &out));
    try testing.expectEqualStrings(tmp.join(&want, "a/b"), try canon(tmp.dir.fd, "la/lb/", nofollow, &out));
    try tmp.dir.symLink("nowhere", "dangling", .{});
    try testing.expectEqualStrings(tmp.join(&want, "dangling"), try canon(tmp.dir.fd, "dangling", nofollow, &out));
    try testing.expectError(error.NOENT, canon(tmp.dir.fd, "dangling", .{}, &out));
    // O_CREAT through a dangling link creates its target.
    try testing.expectEqualStrings(tmp.join(&want, "nowhere"), try canon(tmp.dir.fd, "dangling", .{ .missing = .last_may_be_missing }, &out));
}

test "canonicalize with deny_dotdot, no_symlinks, no_magiclinks and no_xdev refuses what they name" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    try tmp.dir.symLink("a", "la", .{});
    try testing.expectEqualStrings(tmp.join(&want, "a"), try canon(tmp.dir.fd, "a/../a", .{}, &out));
    try testing.expectError(error.PERM, canon(tmp.dir.fd, "a/../a", .{ .deny_dotdot = true }, &out));
    // Every symlink, even a last one kept: ELOOP; /proc/self only when followed.
    try testing.expectError(error.LOOP, canon(tmp.dir.fd, "la", .{ .no_symlinks = true, .follow = .nofollow_last }, &out));
    try testing.expectError(error.LOOP, canon(tmp.dir.fd, "la/b", .{ .no_symlinks = true }, &out));
    try testing.expectEqualStrings("/proc/self", try canon(linux.AT.FDCWD, "/proc/self", .{ .no_symlinks = true, .follow = .nofollow_last }, &out));
    try testing.expectError(error.LOOP, canon(linux.AT.FDCWD, "/proc/self/status", .{ .no_symlinks = true }, &out));
    // Magic links only: a plain symlink and /proc/self are followed.
    try testing.expectEqualStrings(tmp.join(&want, "a/b"), try canon(tmp.dir.fd, "la/b", .{ .no_magiclinks = true }, &out));
    try testing.expect((try canon(linux.AT.FDCWD, "/proc/self/status", .{ .no_magiclinks = true }, &out)).len > 0);
    try testing.expectError(error.LOOP, canon(linux.AT.FDCWD, "/proc/self/cwd", .{ .no_magiclinks = true, .follow = .nofollow_last }, &out));
    // /proc is a mount of its own: reached from /, it is crossed into.
    var xdev: Xdev = .{};
    try testing.expectEqualStrings(tmp.join(&want, "a/b"), try canon(tmp.dir.fd, "a/b", .{ .no_xdev = &xdev }, &out));
    try testing.expectEqual(try mount_id_at(tmp.dir.fd, ""), xdev.mnt_id);
    try testing.expectError(error.XDEV, canon(linux.AT.FDCWD, "/proc/1", .{ .no_xdev = &xdev }, &out));
}

test "canonicalize allows a missing last component only with last_may_be_missing" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    const may: Options = .{ .missing = .last_may_be_missing };
    try testing.expectError(error.NOENT, canon(tmp.dir.fd, "a/new", .{}, &out));
    try testing.expectEqualStrings(tmp.join(&want, "a/new"), try canon(tmp.dir.fd, "a/new", may, &out));
    try testing.expectEqualStrings(tmp.join(&want, "a/new"), try canon(tmp.dir.fd, "a/new/", may, &out));
    try testing.expectError(error.NOENT, canon(tmp.dir.fd, "a/new/x", may, &out));
    try testing.expectError(error.NOENT, canon(tmp.dir.fd, "a/new/..", may, &out));
    try testing.expectError(error.NOENT, canon(tmp.dir.fd, "missing/b", .{}, &out));
}

test "canonicalize refuses a file used as a directory with NOTDIR" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    const may: Options = .{ .missing = .last_may_be_missing };
    try testing.expectError(error.NOTDIR, canon(tmp.dir.fd, "f/x", .{}, &out));
    try testing.expectError(error.NOTDIR, canon(tmp.dir.fd, "f/x", may, &out));
    try testing.expectError(error.NOTDIR, canon(tmp.dir.fd, "f/", .{}, &out));
    try testing.expectError(error.NOTDIR, canon(tmp.dir.fd, "f/..", .{}, &out));
    const file = try tmp.dir.openFile("f", .{});
    defer file.close();
    try testing.expectError(error.NOTDIR, canon(file.handle, "x", may, &out));
    try testing.expectError(error.NOTDIR, canon(file.handle, ".", .{}, &out));
    try testing.expectEqualStrings(tmp.join(&want, "f"), try canon(file.handle, "", .{ .empty_path = true }, &out));
}

test "canonicalize maps /proc/self and /proc/thread-self to the caller" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    const caller = test_caller();
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    var path: [path_len_max]u8 = undefined;
    try testing.expectEqualStrings(try std.fmt.bufPrint(&want, "/proc/{d}/status", .{caller.pid}), try canon(linux.AT.FDCWD, "/proc/self/status", .{}, &out));
    try testing.expectEqualStrings(try std.fmt.bufPrint(&want, "/proc/{d}/task/{d}/comm", .{ caller.pid, caller.tid }), try canon(linux.AT.FDCWD, "/proc/thread-self/comm", .{}, &out));
    try testing.expectEqualStrings("/proc/self", try canon(linux.AT.FDCWD, "/proc/self", .{ .follow = .nofollow_last }, &out));
    try testing.expectEqualStrings(try std.fmt.bufPrint(&want, "/proc/{d}", .{caller.pid}), try canon(linux.AT.FDCWD, "/proc/self", .{}, &out));
    // /proc/mounts is an ordinary link to self/mounts.
    try testing.expectEqualStrings(try std.fmt.bufPrint(&want, "/proc/{d}/mounts", .{caller.pid}), try canon(linux.AT.FDCWD, "/proc/mounts", .{}, &out));
    // An fd link to a directory is its path; to a pipe, it keeps its /proc name.
    const through_fd = try std.fmt.bufPrint(&path, "/proc/self/fd/{d}/a/c", .{tmp.dir.fd});
    try testing.expectEqualStrings(tmp.join(&want, "a/c"), try canon(linux.AT.FDCWD, through_fd, .{}, &out));
    const fds = try sys.pipe(false);
    defer sys.close(fds[0]);
    defer sys.close(fds[1]);
    const pipe_name = try std.fmt.bufPrint(&want, "/proc/{d}/fd/{d}", .{ caller.pid, fds[0] });
    const through_pipe = try std.fmt.bufPrint(&path, "/proc/self/fd/{d}", .{fds[0]});
    try testing.expectEqualStrings(pipe_name, try canon(linux.AT.FDCWD, through_pipe, .{}, &out));
    const under_pipe = try std.fmt.bufPrint(&path, "/proc/self/fd/{d}/x", .{fds[0]});
    try testing.expectError(error.NOTDIR, canon(linux.AT.FDCWD, under_pipe, .{}, &out));
    var cwd_buf: [path_len_max]u8 = undefined;
    const cwd = try readlink_at(linux.AT.FDCWD, "/proc/self/cwd", &cwd_buf);
    try testing.expectEqualStrings(cwd, try canon(linux.AT.FDCWD, "/proc/self/cwd", .{}, &out));
    try testing.expectEqualStrings("/", try canon(linux.AT.FDCWD, "/proc/thread-self/root", .{}, &out));
}

test "canonicalize with empty_path names the dirfd itself" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    const caller = test_caller();
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    const empty: Options = .{ .empty_path = true };
    try testing.expectEqualStrings(tmp.name(), try canon(tmp.dir.fd, "", empty, &out));
    try testing.expectError(error.NOENT, canon(tmp.dir.fd, "", .{}, &out));
    var cwd_buf: [path_len_max]u8 = undefined;
    const cwd = try readlink_at(linux.AT.FDCWD, "/proc/self/cwd", &cwd_buf);
    try testing.expectEqualStrings(cwd, try canon(linux.AT.FDCWD, "", empty, &out));
    const fds = try sys.pipe(false);
    defer sys.close(fds[0]);
    defer sys.close(fds[1]);
    const pipe_name = try std.fmt.bufPrint(&want, "/proc/{d}/fd/{d}", .{ caller.pid, fds[1] });
    try testing.expectEqualStrings(pipe_name, try canon(fds[1], "", empty, &out));
    try testing.expectError(error.NOTDIR, canon(fds[1], "x", .{}, &out));
}

test "canonicalize of a dirfd whose directory was removed" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    const caller = test_caller();
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    var gone = try tmp.dir.openDir("a/b", .{});
    defer gone.close();
    try tmp.dir.deleteDir("a/b");
    try testing.expectError(error.NOENT, canon(gone.fd, "x", .{ .missing = .last_may_be_missing }, &out));
    const fd_name = try std.fmt.bufPrint(&want, "/proc/{d}/fd/{d}", .{ caller.pid, gone.fd });
    try testing.expectEqualStrings(fd_name, try canon(gone.fd, "", .{ .empty_path = true }, &out));
}

test "canonicalize refuses a path or a result longer than path_len_max with NAMETOOLONG" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    var out: [path_len_max]u8 = undefined;
    const long = "/" ++ "a" ** (path_len_max - 1);
    try testing.expectError(error.NAMETOOLONG, canon(linux.AT.FDCWD, long, .{}, &out));
    try testing.expectError(error.NAMETOOLONG, canon(linux.AT.FDCWD, long ++ "bcd", .{}, &out));
    try testing.expectError(error.NAMETOOLONG, canon(linux.AT.FDCWD, long[0..300], .{ .missing = .last_may_be_missing }, &out));
    // Each component fits, the whole does not: 20 directories of 250 bytes.
    var dir = tmp.dir;
    var opened: [20]std.fs.Dir = undefined;
    var depth: usize = 0;
    defer for (opened[0..depth]) |*d| d.close();
    const component = "d" ** 250;
    while (depth < opened.len) : (depth += 1) {
        try dir.makeDir(component);
        opened[depth] = try dir.openDir(component, .{});
        dir = opened[depth];
    }
    try testing.expectError(error.NAMETOOLONG, canon(dir.fd, ".", .{}, &out));
    try testing.expectError(error.NAMETOOLONG, canon(tmp.dir.fd, ("d" ** 250 ++ "/") ** 20, .{}, &out));
}

test "canonicalize names a path under a dirfd deeper than PATH_MAX into a long buffer" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    var dir = tmp.dir;
    var opened: [30]std.fs.Dir = undefined;
    var depth: usize = 0;
    defer for (opened[0..depth]) |*d| d.close();
    const component = "e" ** 250;
    while (depth < opened.len) : (depth += 1) {
        try dir.makeDir(component);
        opened[depth] = try dir.openDir(component, .{});
        dir = opened[depth];
    }
    try dir.makeDir("sub");
    try dir.symLink("sub", "link", .{});
    var out: [long_len_max]u8 = undefined;
    var want: [long_len_max]u8 = undefined;
    var len: usize = 0;
    @memcpy(want[0..tmp.name().len], tmp.name());
    len += tmp.name().len;
    for (0..30) |_| {
        @memcpy(want[len..][0 .. component.len + 1], "/" ++ component);
        len += component.len + 1;
    }
    @memcpy(want[len..][0..4], "/sub");
    const may: Options = .{ .missing = .last_may_be_missing };
    // The dirfd's /proc link is too long to read: named by climbing; the link inside followed.
    try testing.expectEqualStrings(want[0 .. len + 4], try canon(dir.fd, "link", .{}, &out));
    try testing.expectEqualStrings(want[0..len], try canon(dir.fd, "sub/..", .{}, &out));
    @memcpy(want[len + 4 ..][0..4], "/new");
    try testing.expectEqualStrings(want[0 .. len + 8], try canon(dir.fd, "link/new", may, &out));
    try testing.expectError(error.NOENT, canon(dir.fd, "link/new/x", may, &out));
    try testing.expectEqualStrings(want[0..len], try canon(dir.fd, "", .{ .empty_path = true }, &out));
    // The same from the top, through an absolute path of more than PATH_MAX built by the walk.
    try testing.expectEqualStrings(want[0 .. len + 4], try canon(opened[14].fd, component ++ ("/" ++ component) ** 14 ++ "/link", .{}, &out));
    var short: [path_len_max]u8 = undefined;
    try testing.expectError(error.NAMETOOLONG, canon(dir.fd, "link", .{}, &short));
}

test "canonicalize follows a long link met early in a long path" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    try tmp.dir.symLink("./" ** 1500 ++ "a", "long", .{}); // 3001 bytes, plus 3002 after it
    try testing.expectEqualStrings(tmp.join(&want, "a/b"), try canon(tmp.dir.fd, "long/" ++ "./" ** 1500 ++ "b", .{}, &out));
}

/// A child for the chroot test: jails itself in `jail` (in a new user namespace when it may not
/// chroot otherwise), moves to /a, reports on `ready_fd` and waits until `done` closes.
fn jail_child(jail: [*:0]const u8, ready_fd: i32, done: [2]i32) noreturn {
    sys.close(done[1]);
    var rc = linux.chroot(jail);
    if (linux.E.init(rc) == .PERM) {
        _ = linux.unshare(linux.CLONE.NEWUSER);
        rc = linux.chroot(jail);
    }
    if (linux.E.init(rc) == .SUCCESS) rc = linux.chdir("/a");
    const status = [1]u8{if (linux.E.init(rc) == .SUCCESS) 0 else 1};
    _ = linux.write(ready_fd, &status, status.len);
    var byte: [1]u8 = undefined;
    _ = linux.read(done[0], &byte, byte.len); // Returns when the parent closes its end.
    linux.exit_group(0);
}

test "canonicalize names paths in a chrooted caller's own root" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.dir.makePath("jail/a/b");
    try tmp.dir.makePath("outside");
    try tmp.dir.symLink("/a", "jail/l", .{});
    var jail_buf: [path_len_max]u8 = undefined;
    const jail = try std.fmt.bufPrintZ(&jail_buf, "{s}/jail", .{tmp.name()});
    var inside = try tmp.dir.openDir("jail/a/b", .{});
    defer inside.close();
    var outside = try tmp.dir.openDir("outside", .{});
    defer outside.close();
    var text: [16]u8 = undefined;
    @memcpy(text[0..7], "/a/b/c\x00");
    const ready = try sys.pipe(false);
    defer sys.close(ready[0]);
    const done = try sys.pipe(false);
    const pid = try std.posix.fork();
    if (pid == 0) jail_child(jail.ptr, ready[1], done);
    sys.close(ready[1]);
    sys.close(done[0]);
    defer {
        sys.close(done[1]);
        _ = sys.wait_exit(pid) catch {};
    }
    var status: [1]u8 = undefined;
    if (try sys.read(ready[0], &status) != 1 or status[0] != 0) return error.SkipZigTest;
    @memcpy(text[0..7], "/x/y/z\x00"); // Ours changes; the child's copy does not.
    const child: Caller = .{ .pid = pid, .tid = pid };
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    try testing.expectEqualStrings("/a/b/c", try read_string(child, @intFromPtr(&text), &out));
    const empty: Options = .{ .empty_path = true };
    const at_cwd = linux.AT.FDCWD;
    try testing.expectEqualStrings("/a/b", try canonicalize(child, at_cwd, "/l/b", .{}, &out));
    try testing.expectEqualStrings("/a/b", try canonicalize(child, at_cwd, "b", .{}, &out));
    try testing.expectEqualStrings("/a", try canonicalize(child, at_cwd, "", empty, &out));
    try testing.expectEqualStrings("/", try canonicalize(child, at_cwd, "../../..", .{}, &out));
    try testing.expectEqualStrings("/a/b", try canonicalize(child, inside.fd, "", empty, &out));
    try testing.expectEqualStrings("/a", try canonicalize(child, inside.fd, "..", .{}, &out));
    try testing.expectError(error.NOENT, canonicalize(child, at_cwd, "/proc/self", .{}, &out));
    // A directory outside the caller's root has no name there.
    try testing.expectError(error.ACCES, canonicalize(child, outside.fd, "x", .{}, &out));
    const fd_name = try std.fmt.bufPrint(&want, "/proc/{d}/fd/{d}", .{ pid, outside.fd });
    try testing.expectEqualStrings(fd_name, try canonicalize(child, outside.fd, "", empty, &out));
}

test "canonicalize refuses a dirfd that is not open with BADF" {
    var out: [path_len_max]u8 = undefined;
    try testing.expectError(error.BADF, canon(1 << 30, "x", .{}, &out));
    try testing.expectError(error.BADF, canon(-5, "x", .{}, &out));
    try testing.expectError(error.BADF, canon(1 << 30, "", .{ .empty_path = true }, &out));
    try testing.expectEqualStrings("/proc", try canon(1 << 30, "/proc", .{}, &out));
}

test "canonicalize accepts a path that shares the result buffer" {
    var tmp = try TestDir.make();
    defer tmp.remove();
    try tmp.populate();
    var out: [path_len_max]u8 = undefined;
    var want: [path_len_max]u8 = undefined;
    @memcpy(out[0..9], "a/b/../c/");
    try testing.expectEqualStrings(tmp.join(&want, "a/c"), try canon(tmp.dir.fd, out[0..9], .{}, &out));
}

test "strip_root names paths inside the caller's root and refuses the rest" {
    try testing.expectEqual(@as(?usize, 0), strip_root("/", "/etc"));
    try testing.expectEqual(@as(?usize, 5), strip_root("/jail", "/jail/etc"));
    try testing.expectEqual(@as(?usize, 5), strip_root("/jail", "/jail"));
    try testing.expectEqual(@as(?usize, null), strip_root("/jail", "/jailx"));
    try testing.expectEqual(@as(?usize, null), strip_root("/jail", "/etc"));
    try testing.expectEqual(@as(?usize, null), strip_root("/jail (deleted)", "/jail (deleted)/x"));
    try testing.expectEqual(@as(?usize, null), strip_root("net:[1]", "/x"));
}
