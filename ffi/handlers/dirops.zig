//! Calls that change a directory's entries: mkdir, rmdir, unlink, symlink, rename and link,
//! judged for mkdir, rmdir, delete, symlink and rename on the canonical path of each name, then
//! performed by syd on the judged parent directory (opened with no symlink followed) and the
//! entry's name, so that a path swapped after the check cannot redirect them.
//!
//! Needs: what emulate.zig needs; renameat2 (Linux 3.15).
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

const Request = handlers.Request;
const Response = handlers.Response;
const Cat = policy_mod.Cat;
const SYS = linux.SYS;

/// The name of a new entry: its symlink not followed, allowed not to exist.
const new_entry: path_mod.Options = .{ .follow = .nofollow_last, .missing = .last_may_be_missing };
/// An existing entry, its symlink not followed.
const old_entry: path_mod.Options = .{ .follow = .nofollow_last };

/// Opens the judged parent of `canonical` in the caller's root.
fn parent_of(root: emulate.Root, canonical: []const u8, name_buf: *[256]u8) sys.Errno!emulate.Parent {
    if (canonical.len == 1) return error.BUSY; // "/" has no parent entry
    return root.parent(canonical, name_buf);
}

pub fn mkdir(request: *const Request) Response {
    if (!handlers.any_on(request.policy, &.{.mkdir})) return .continue_call;
    const at = handlers.nr_of(request) == .mkdirat;
    var buf: [path_mod.long_len_max]u8 = undefined;
    const canonical = handlers.resolve_entry(request, if (at) handlers.fd_arg(request, 0) else handlers.at.fdcwd, request.arg(if (at) 1 else 0), new_entry, handlers.not_entry_create, &buf) catch |err|
        return handlers.failure(err);
    const mode: u32 = @truncate(request.arg(if (at) 2 else 1));
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    // What exists answers EEXIST before it is judged, as the original (`mkdir -p` of a tree
    // whose top the rules do not allow is no denial): nothing is made, nothing is logged. What
    // walk sandboxing hides answers ENOENT as if it were not there.
    if (canonical.len == 1) return .{ .failure = @intFromEnum(linux.E.EXIST) };
    if (handlers.kind_at(request.tid(), canonical)) |_| {
        return .{ .failure = @intFromEnum(if (handlers.walk_hidden(request, canonical)) linux.E.NOENT else linux.E.EXIST) };
    } else |_| {}
    if (handlers.decide(request, &.{.mkdir}, canonical)) |response| return response;
    _ = emulate.act_for(request, canonical, true) catch |err| return handlers.failure(err);
    const root = emulate.Root.open(request.tid()) catch |err| return handlers.failure(err);
    defer root.close();
    var name_buf: [256]u8 = undefined;
    const parent = parent_of(root, canonical, &name_buf) catch |err| return handlers.failure(err);
    defer sys.close(parent.fd);
    _ = sys.retry(linux.mkdirat, .{ parent.fd, parent.name.ptr, mode }) catch |err| return handlers.failure(err);
    return .{ .value = 0 };
}

pub fn unlink(request: *const Request) Response {
    if (!handlers.any_on(request.policy, &.{ .delete, .rmdir }) and request.policy.masks.len == 0) return .continue_call;
    const nr = handlers.nr_of(request);
    const flags: u32 = switch (nr) {
        .rmdir => handlers.at.removedir,
        .unlink => 0,
        else => @truncate(request.arg(2)),
    };
    if (flags & ~handlers.at.removedir != 0) return .{ .failure = @intFromEnum(linux.E.INVAL) };
    const dirfd = if (nr == .unlinkat) handlers.fd_arg(request, 0) else handlers.at.fdcwd;
    var buf: [path_mod.long_len_max]u8 = undefined;
    const not_entry = if (flags & handlers.at.removedir != 0) handlers.not_entry_rmdir else handlers.not_entry_unlink;
    const cat: Cat = if (flags & handlers.at.removedir != 0) .rmdir else .delete;
    const canonical = handlers.resolve_entry(request, dirfd, request.arg(if (nr == .unlinkat) 1 else 0), old_entry, not_entry, &buf) catch |err| {
        // The root is judged before the kernel's answer (EBUSY, EISDIR), as the original judges
        // `rmdir /`: a rule denying it is logged.
        if (err == not_entry.root and request.valid()) if (handlers.decide(request, &.{cat}, "/")) |response| return response;
        return handlers.failure(err);
    };
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (handlers.decide(request, &.{cat}, canonical)) |response| return response;
    _ = emulate.act_for(request, canonical, false) catch |err| return handlers.failure(err);
    const root = emulate.Root.open(request.tid()) catch |err| return handlers.failure(err);
    defer root.close();
    var name_buf: [256]u8 = undefined;
    const parent = parent_of(root, canonical, &name_buf) catch |err|
        return handlers.failure(if (err == error.BUSY and cat == .delete) error.ISDIR else err);
    defer sys.close(parent.fd);
    _ = sys.retry(linux.unlinkat, .{ parent.fd, parent.name.ptr, flags }) catch |err| return handlers.failure(err);
    return .{ .value = 0 };
}

pub fn symlink(request: *const Request) Response {
    if (!handlers.any_on(request.policy, &.{.symlink})) return .continue_call;
    const at = handlers.nr_of(request) == .symlinkat;
    const caller: path_mod.Caller = .{ .pid = request.tid(), .tid = request.tid() };
    var target_buf: [path_mod.path_len_max]u8 = undefined;
    const target = path_mod.read_string(caller, request.arg(0), &target_buf) catch |err| return handlers.failure(err);
    if (target.len == 0) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    var buf: [path_mod.long_len_max]u8 = undefined;
    const canonical = handlers.resolve_entry(request, if (at) handlers.fd_arg(request, 1) else handlers.at.fdcwd, request.arg(if (at) 2 else 1), new_entry, handlers.not_entry_make, &buf) catch |err|
        return handlers.failure(err);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (handlers.decide(request, &.{.symlink}, canonical)) |response| return response;
    if (canonical.len == 1) return .{ .failure = @intFromEnum(linux.E.EXIST) };
    _ = emulate.act_for(request, canonical, false) catch |err| return handlers.failure(err);
    const root = emulate.Root.open(request.tid()) catch |err| return handlers.failure(err);
    defer root.close();
    var name_buf: [256]u8 = undefined;
    const parent = parent_of(root, canonical, &name_buf) catch |err| return handlers.failure(err);
    defer sys.close(parent.fd);
    var target_z: [path_mod.path_len_max + 1]u8 = undefined;
    @memcpy(target_z[0..target.len], target);
    target_z[target.len] = 0;
    _ = sys.retry(linux.symlinkat, .{ @as([*:0]const u8, @ptrCast(&target_z)), parent.fd, parent.name.ptr }) catch |err|
        return handlers.failure(err);
    return .{ .value = 0 };
}

/// The categories that judge access to an object under its name (not the making of names).
/// walk and list too: a hidden directory renamed (or its parent) must stay hidden (found by review).
const object_cats = [_]Cat{ .stat, .read, .write, .exec, .ioctl, .truncate, .readdir, .chdir, .delete, .rmdir, .chown, .chgrp, .chmod, .chattr, .utime, .walk, .list, .readlink };

/// Whether giving the object named `from` the name `to` would allow it something `from`
/// denies, in a category that is on (as the original refuses such links and exchanges): the
/// answer (EACCES, logged as a denial of `to` for that category), or null.
fn exposes(request: *const Request, from: []const u8, to: []const u8) ?Response {
    var from_buf: [path_mod.path_len_max + 32]u8 = undefined;
    var to_buf: [path_mod.path_len_max + 32]u8 = undefined;
    const from_name = handlers.view(request.tid(), from, &from_buf);
    const to_name = handlers.view(request.tid(), to, &to_buf);
    for (object_cats) |cat| {
        if (!request.policy.on[@intFromEnum(cat)]) continue;
        const before = handlers.judge(request.policy, &.{cat}, from_name);
        if (allows(before.action)) continue;
        const after = handlers.judge(request.policy, &.{cat}, to_name);
        if (!allows(after.action)) continue;
        // Refused as `from`'s own verdict refuses it, under the new name.
        if (handlers.enforce(request, before, to_name)) |errno_value| return .{ .failure = errno_value };
    }
    return null;
}

/// Entries below a renamed directory looked at, at most; deeper than `below_depth_max`, or more,
/// the rename is refused with EXDEV (`mv` then copies, and each read of the copy is judged).
const below_entries_max: u32 = 10_000;
const below_depth_max: usize = 32;

/// Whether renaming the directory at `parent` (named `from`) to `to` would give an entry below
/// it a name that allows what its old name denies (the answer, logged), or null. Not a
/// directory: null. The walk is a snapshot: an entry moved in while it runs (by a rename that
/// `exposes` judged) is not seen.
fn below_exposes(request: *const Request, parent: emulate.Parent, from: []const u8, to: []const u8) ?Response {
    var any_on = false;
    for (object_cats) |cat| any_on = any_on or request.policy.on[@intFromEnum(cat)];
    if (!any_on) return null;
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstatat(parent.fd, parent.name.ptr, &st, linux.AT.SYMLINK_NOFOLLOW)) catch return null; // the rename fails as it must
    if (!linux.S.ISDIR(st.mode)) return null;
    const top = sys.retry(linux.openat, .{ parent.fd, parent.name.ptr, linux.O{ .DIRECTORY = true, .NOFOLLOW = true, .CLOEXEC = true }, @as(linux.mode_t, 0) }) catch
        return too_large(request, from);
    var stack: [below_depth_max]struct { fd: i32, rel_len: usize } = undefined;
    var depth: usize = 1;
    stack[0] = .{ .fd = @intCast(top), .rel_len = 0 };
    defer for (stack[0..depth]) |frame| sys.close(frame.fd);
    var rel: [path_mod.path_len_max]u8 = undefined;
    var from_buf: [path_mod.path_len_max * 2]u8 = undefined;
    var to_buf: [path_mod.path_len_max * 2]u8 = undefined;
    var entries: u32 = 0;
    var dents: [8192]u8 align(8) = undefined;
    while (depth > 0) {
        const frame = stack[depth - 1];
        const n = sys.retry(linux.getdents64, .{ frame.fd, &dents, dents.len }) catch |err| return handlers.failure(err);
        if (n == 0) {
            depth -= 1;
            sys.close(frame.fd);
            continue;
        }
        var offset: usize = 0;
        // Where this directory's reading resumes after a child taken first (the d_off of the
        // child's entry): getdents continues from the fd's offset, past the rest of this batch.
        var resume_at: ?u64 = null;
        while (offset < n) {
            const entry: *align(1) const linux.dirent64 = @ptrCast(&dents[offset]);
            offset += entry.reclen;
            const name = std.mem.sliceTo(@as([*:0]const u8, @ptrCast(&entry.name)), 0);
            if (std.mem.eql(u8, name, ".") or std.mem.eql(u8, name, "..")) continue;
            entries += 1;
            if (entries > below_entries_max) return too_large(request, from);
            const rel_path = std.fmt.bufPrint(rel[frame.rel_len..], "/{s}", .{name}) catch return too_large(request, from);
            const rel_len = frame.rel_len + rel_path.len;
            const from_path = std.fmt.bufPrint(&from_buf, "{s}{s}", .{ from, rel[0..rel_len] }) catch return too_large(request, from);
            const to_path = std.fmt.bufPrint(&to_buf, "{s}{s}", .{ to, rel[0..rel_len] }) catch return too_large(request, from);
            if (exposes(request, from_path, to_path)) |response| return response;
            if (entry.type != linux.DT.DIR) continue;
            if (depth == below_depth_max) return too_large(request, from);
            // A subdirectory syd cannot read (mode 0311: the kernel still renames through it)
            // cannot be checked: refused (found by review). The name is NUL-terminated in place.
            const child = sys.retry(linux.openat, .{ frame.fd, @as([*:0]const u8, @ptrCast(&entry.name)), linux.O{ .DIRECTORY = true, .NOFOLLOW = true, .CLOEXEC = true }, @as(linux.mode_t, 0) }) catch
                return too_large(request, from);
            stack[depth] = .{ .fd = @intCast(child), .rel_len = rel_len };
            depth += 1;
            resume_at = entry.off;
            break; // the child first; this directory's next batch is read when it is done
        }
        if (resume_at) |off| _ = linux.lseek(frame.fd, @bitCast(off), linux.SEEK.SET);
    }
    return null;
}

fn too_large(request: *const Request, from: []const u8) Response {
    request.log.emit(.warn, .{ .ctx = "access", .cap = "rename", .act = "deny", .pid = request.tid(), .sys = "rename", .path = from, .msg = "a directory syd cannot walk whole (too large, too deep, or unreadable) to check what its entries' new names would allow: refused (EXDEV: mv copies instead)" });
    return .{ .failure = @intFromEnum(linux.E.XDEV) };
}

fn allows(action: policy_mod.Action) bool {
    return action == .allow or action == .warn;
}

/// The kernel's answer to a rename or link naming `.`, `..` or `/` as an entry, in its order:
/// EXDEV when the two parents are on different mounts, then EBUSY for the old name, then EEXIST
/// (RENAME_NOREPLACE, or a link) or EBUSY for the new one.
fn not_an_entry(request: *const Request, linking: bool, flags: u32, old: []const u8, old_kind: path_mod.LastKind, new: []const u8, new_kind: path_mod.LastKind) sys.Errno {
    assert(old_kind != .name or new_kind != .name);
    const old_mount = parent_mount(request, old, old_kind) catch |err| return err;
    const new_mount = parent_mount(request, new, new_kind) catch |err| return err;
    if (old_mount != new_mount) return error.XDEV;
    if (linking) return error.EXIST; // link's old name is followed, never `.` here
    if (old_kind != .name) return error.BUSY;
    const rename_noreplace: u32 = 1;
    return if (flags & rename_noreplace != 0) error.EXIST else error.BUSY;
}

/// The mount id of the directory holding an entry: `canonical` itself for `.`, `..` and `/`.
fn parent_mount(request: *const Request, canonical: []const u8, kind: path_mod.LastKind) sys.Errno!u64 {
    assert(canonical.len > 0 and canonical[0] == '/');
    const slash = std.mem.lastIndexOfScalar(u8, canonical, '/').?;
    const dir = if (kind != .name) canonical else if (slash == 0) "/" else canonical[0..slash];
    var buf: [path_mod.path_len_max + 32]u8 = undefined;
    const path = std.fmt.bufPrintZ(&buf, "/proc/{d}/root{s}", .{ request.tid(), dir }) catch return error.NAMETOOLONG;
    var stx: linux.Statx = undefined;
    const statx_mnt_id: u32 = 0x1000;
    _ = try sys.check(linux.statx(linux.AT.FDCWD, path.ptr, 0, statx_mnt_id, &stx));
    return stx.__pad2[0]; // stx_mnt_id, which std.os.linux.Statx leaves in its padding
}

/// rename, renameat, renameat2, link, linkat: both names judged for rename.
pub fn rename(request: *const Request) Response {
    if (!handlers.any_on(request.policy, &(.{.rename} ++ destination_cats)) and request.policy.masks.len == 0) return .continue_call;
    const nr = handlers.nr_of(request);
    const two_dirs = nr == .renameat or nr == .renameat2 or nr == .linkat;
    const old_dirfd = if (two_dirs) handlers.fd_arg(request, 0) else handlers.at.fdcwd;
    const new_dirfd = if (two_dirs) handlers.fd_arg(request, 2) else handlers.at.fdcwd;
    const old_addr = request.arg(if (two_dirs) 1 else 0);
    const new_addr = request.arg(if (two_dirs) 3 else 1);
    const flags: u32 = if (nr == .renameat2 or nr == .linkat) @truncate(request.arg(4)) else 0;
    const linking = nr == .link or nr == .linkat;
    if (linking and flags & ~(handlers.at.symlink_follow | handlers.at.empty_path) != 0) return .{ .failure = @intFromEnum(linux.E.INVAL) };
    if (linking and flags & handlers.at.empty_path != 0) if (link_fd(request, old_dirfd, old_addr, new_dirfd, new_addr, flags)) |response| return response;
    // renameat2's flags, checked first as the kernel does: NOREPLACE (1), EXCHANGE (2),
    // WHITEOUT (4); EXCHANGE with either other is EINVAL.
    if (!linking and (flags & ~@as(u32, 7) != 0 or (flags & 2 != 0 and flags & 5 != 0))) return .{ .failure = @intFromEnum(linux.E.INVAL) };
    const old_options: path_mod.Options = if (linking and flags & handlers.at.symlink_follow != 0) .{} else old_entry;
    var old_buf: [path_mod.long_len_max]u8 = undefined;
    const old_entry_path: handlers.Entry = (if (linking)
        if (handlers.resolve(request, old_dirfd, old_addr, old_options, &old_buf)) |canonical| handlers.Entry{ .canonical = canonical, .kind = .name, .slash = false } else |err| err
    else
        handlers.resolve_entry_kind(request, old_dirfd, old_addr, old_options, error.NOTDIR, &old_buf)) catch |err| return handlers.failure(err);
    var new_buf: [path_mod.long_len_max]u8 = undefined;
    const slash_link: sys.Errno = if (linking) error.EXIST else error.NOTDIR;
    const new_entry_path = handlers.resolve_entry_kind(request, new_dirfd, new_addr, new_entry, slash_link, &new_buf) catch |err| return handlers.failure(err);
    const old = old_entry_path.canonical;
    const new = new_entry_path.canonical;
    if (old_entry_path.kind != .name or new_entry_path.kind != .name) {
        return handlers.failure(not_an_entry(request, linking, flags, old, old_entry_path.kind, new, new_entry_path.kind));
    }
    // A trailing slash wants a directory: a link's new name cannot be one (EEXIST, or ENOENT
    // where nothing is there); a rename moves a directory or fails ENOTDIR, as the kernel's.
    if (linking and new_entry_path.slash) return .{ .failure = @intFromEnum(if (handlers.exists(request, new)) linux.E.EXIST else linux.E.NOENT) };
    if (!linking and (old_entry_path.slash or new_entry_path.slash)) {
        if (handlers.kind_at(request.tid(), old)) |kind| {
            if (kind != linux.S.IFDIR) return .{ .failure = @intFromEnum(linux.E.NOTDIR) };
        } else |_| {}
    }
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    // Rename off (walk or list on): no verdict, but the names are still checked below.
    if (handlers.decide(request, &.{.rename}, old)) |response| if (response != .continue_call) return response;
    if (handlers.decide(request, &.{.rename}, new)) |response| if (response != .continue_call) return response;
    // Names grant nothing new: the object at `old` gets the name `new` (and, exchanged, the
    // other way round); a category that denies the old name must not be allowed by the new one.
    if (exposes(request, old, new)) |response| return response;
    const rename_exchange: u32 = 2;
    if (!linking and flags & rename_exchange != 0) if (exposes(request, new, old)) |response| return response;
    _ = emulate.act_for(request, new, false) catch |err| return handlers.failure(err);
    const root = emulate.Root.open(request.tid()) catch |err| return handlers.failure(err);
    defer root.close();
    var old_name: [256]u8 = undefined;
    const old_parent = parent_of(root, old, &old_name) catch |err| return handlers.failure(err);
    defer sys.close(old_parent.fd);
    var new_name: [256]u8 = undefined;
    const new_parent = parent_of(root, new, &new_name) catch |err| return handlers.failure(if (err == error.BUSY and linking) error.EXIST else err);
    defer sys.close(new_parent.fd);
    // A directory renamed gives every entry below it a new name too (found by review).
    if (!linking) {
        if (below_exposes(request, old_parent, old, new)) |response| return response;
        if (flags & rename_exchange != 0) if (below_exposes(request, new_parent, new, old)) |response| return response;
    }
    // As the original judges them: the old name is removed (delete, or rmdir for a directory),
    // the new one created (create, or mkdir) and, where an entry is replaced, that entry removed
    // too; a link's new name is created. Judged as a new name, a rename is performed with
    // RENAME_NOREPLACE so that an entry appearing there meanwhile is not replaced unjudged:
    // then judged again as a replacement (twice at most).
    const rename_noreplace: u32 = 1;
    const judge_names = names_judged(request.policy);
    // Trusted hardlinks: a link's source is held (O_PATH, not followed), checked on that fd and
    // linked through it, so the object checked is the object linked.
    var source: i32 = -1;
    defer if (source >= 0) sys.close(source);
    if (linking and !request.policy.unsafe_fs.allow_unsafe_hardlinks) {
        source = @intCast(sys.retry(linux.openat, .{ old_parent.fd, old_parent.name.ptr, linux.O{ .PATH = true, .NOFOLLOW = true, .CLOEXEC = true }, @as(linux.mode_t, 0) }) catch |err|
            return handlers.failure(err));
        if (hardlink_refused(request, source, old)) |response| return response;
    }
    var tries: u32 = 0;
    while (tries < 2) : (tries += 1) {
        var checked_flags = flags;
        var directory = false;
        if (judge_names) {
            const judged = destination(request, old_parent, new_parent, old, new, linking, flags) orelse
                return .{ .failure = @intFromEnum(linux.E.NOENT) };
            if (judged.response) |response| return response;
            if (!judged.exists and !linking and flags & rename_exchange == 0) checked_flags |= rename_noreplace;
            directory = judged.directory;
        }
        // A directory judged as one is renamed as `name/`: the kernel then fails ENOTDIR if a
        // thread has swapped a file in meanwhile (found by review); a file judged as one is
        // judged for the directory categories too (destination), as no syntax requires a file.
        var old_slash: [258]u8 = undefined;
        var new_slash: [258]u8 = undefined;
        const old_name_z: [*:0]const u8 = if (directory) (std.fmt.bufPrintZ(&old_slash, "{s}/", .{old_parent.name}) catch unreachable).ptr else old_parent.name.ptr;
        const new_name_z: [*:0]const u8 = if (directory) (std.fmt.bufPrintZ(&new_slash, "{s}/", .{new_parent.name}) catch unreachable).ptr else new_parent.name.ptr;
        var source_buf: [48]u8 = undefined;
        const rc = if (linking and source >= 0)
            sys.retry(linux.linkat, .{ linux.AT.FDCWD, emulate.fd_link(source, &source_buf).ptr, new_parent.fd, new_parent.name.ptr, @as(i32, linux.AT.SYMLINK_FOLLOW) })
        else if (linking)
            sys.retry(linux.linkat, .{ old_parent.fd, old_parent.name.ptr, new_parent.fd, new_parent.name.ptr, @as(i32, 0) })
        else
            sys.retry(linux.renameat2, .{ old_parent.fd, old_name_z, new_parent.fd, new_name_z, checked_flags });
        _ = rc catch |err| {
            const appeared = err == error.EXIST and checked_flags & rename_noreplace != 0 and flags & rename_noreplace == 0;
            if (appeared) continue;
            return handlers.failure(err);
        };
        return .{ .value = 0 };
    }
    return .{ .failure = @intFromEnum(linux.E.EXIST) }; // entries keep appearing: as NOREPLACE
}

/// linkat(fd, "", newdirfd, newpath, AT_EMPTY_PATH): a new name for the object the caller's fd
/// holds (an O_TMPFILE file, say). Its new name is judged for rename and create; syd links its
/// own copy of the fd through /proc/thread-self/fd/N (which needs no CAP_DAC_READ_SEARCH).
/// A non-empty path with AT_EMPTY_PATH is an ordinary linkat: null, for `rename` to go on.
fn link_fd(request: *const Request, old_dirfd: i32, old_addr: u64, new_dirfd: i32, new_addr: u64, flags: u32) ?Response {
    const caller: path_mod.Caller = .{ .pid = request.tid(), .tid = request.tid() };
    var raw_buf: [path_mod.path_len_max]u8 = undefined;
    const raw = path_mod.read_string(caller, old_addr, &raw_buf) catch |err| return handlers.failure(err);
    // With a path, the kernel ignores AT_EMPTY_PATH.
    if (raw.len > 0) return null;
    assert(flags & handlers.at.empty_path != 0);
    var new_buf: [path_mod.long_len_max]u8 = undefined;
    const new = handlers.resolve_entry(request, new_dirfd, new_addr, new_entry, handlers.not_entry_make, &new_buf) catch |err| return handlers.failure(err);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    for ([_]Cat{ .rename, .create }) |cat| {
        if (handlers.decide(request, &.{cat}, new)) |response| if (response != .continue_call) return response;
    }
    const copy = emulate.caller_fd(request, old_dirfd, false) catch |err| return handlers.failure(err);
    defer sys.close(copy);
    if (hardlink_refused(request, copy, "")) |response| return response;
    // Names grant nothing new: the object's new name may not allow what its own denies (found
    // by review: an O_PATH fd of a write-denied file linked to an allowed name).
    // An object with no name left anywhere (O_TMPFILE, all links removed) has no name's denials
    // to keep; one whose name cannot be found but still has links is refused (fail closed).
    var object_buf: [path_mod.long_len_max]u8 = undefined;
    if (emulate.own_fd_path(request, copy, &object_buf)) |object| {
        if (exposes(request, object, new)) |response| return response;
    } else |err| {
        var st: linux.Stat = undefined;
        _ = sys.check(linux.fstat(copy, &st)) catch |stat_err| return handlers.failure(stat_err);
        if (st.nlink != 0) return handlers.failure(if (err == error.NOENT) error.ACCES else err);
    }
    _ = emulate.act_for(request, new, false) catch |err| return handlers.failure(err);
    const root = emulate.Root.open(request.tid()) catch |err| return handlers.failure(err);
    defer root.close();
    var new_name: [256]u8 = undefined;
    const new_parent = parent_of(root, new, &new_name) catch |err| return handlers.failure(if (err == error.BUSY) error.EXIST else err);
    defer sys.close(new_parent.fd);
    var link_buf: [48]u8 = undefined;
    const link = emulate.fd_link(copy, &link_buf);
    _ = sys.retry(linux.linkat, .{ linux.AT.FDCWD, link.ptr, new_parent.fd, new_parent.name.ptr, @as(i32, linux.AT.SYMLINK_FOLLOW) }) catch |err|
        return handlers.failure(err);
    return .{ .value = 0 };
}

/// Trusted hardlinks (harden.zig): EPERM, logged, for a source `fd` (syd's own) that may not
/// get a new name; null when it may. `old`: its path, for the record.
fn hardlink_refused(request: *const Request, fd: i32, old: []const u8) ?Response {
    const why = harden.hardlink_refusal(request.policy, fd, request.own.fsuid) catch |err| return handlers.failure(err);
    const msg = why orelse return null;
    request.log.emit(.warn, .{
        .ctx = "link",
        .op = "trusted_hardlinks",
        .sys = handlers.syscall_name(request.notif.data.nr),
        .path = old,
        .pid = request.tid(),
        .msg = msg,
        .tip = "fix your program or use `trace/allow_unsafe_hardlinks:1'",
    });
    return .{ .failure = @intFromEnum(linux.E.PERM) };
}

/// Whether any category a rename's names feed besides rename is on (walk does not count).
fn names_judged(p: *const policy_mod.Policy) bool {
    for (destination_cats) |cat| if (p.on[@intFromEnum(cat)]) return true;
    return false;
}

/// The categories a rename's new name feeds besides rename.
const destination_cats = [_]Cat{ .create, .delete, .mkdir, .rmdir, .mkcdev };

const Destination = struct { exists: bool, directory: bool, response: ?Response };

/// Judges the names of a rename or link (`old_parent`, `new_parent`: the entries themselves):
/// the new name for create or mkdir (by the type of what gets it), the old one for delete or
/// rmdir (a rename takes it away), a replaced entry for delete or rmdir (by its type), a
/// whiteout left at the old name for create and mkcdev; exchanged, both names both ways. A thread may swap
/// the object to move between this check and the call: a directory is then renamed as `name/`
/// (rename's caller does), which fails for anything else; a non-directory is judged for the
/// directory categories as well (found by review). Null when the object to move is gone (the
/// call fails ENOENT, as the kernel's).
fn destination(
    request: *const Request,
    old_parent: emulate.Parent,
    new_parent: emulate.Parent,
    old: []const u8,
    new: []const u8,
    linking: bool,
    flags: u32,
) ?Destination {
    assert(old_parent.fd >= 0 and new_parent.fd >= 0);
    const exchange = flags & 2 != 0;
    const whiteout = flags & 4 != 0;
    var old_st: linux.Stat = undefined;
    _ = sys.check(linux.fstatat(old_parent.fd, old_parent.name.ptr, &old_st, linux.AT.SYMLINK_NOFOLLOW)) catch return null;
    var new_st: linux.Stat = undefined;
    const exists = if (sys.check(linux.fstatat(new_parent.fd, new_parent.name.ptr, &new_st, linux.AT.SYMLINK_NOFOLLOW))) |_| true else |_| false;
    // Exchanged, either name may hold either type by the time the kernel acts: all are judged.
    const old_dir = !linking and !exchange and linux.S.ISDIR(old_st.mode);
    const Check = struct { cats: []const Cat, path: []const u8, wanted: bool };
    const any_file: []const Cat = &.{ .create, .mkdir };
    const any_gone: []const Cat = &.{ .delete, .rmdir };
    const checks = [_]Check{
        .{ .cats = if (old_dir) &.{.mkdir} else if (linking) &.{.create} else any_file, .path = new, .wanted = true },
        .{ .cats = if (old_dir) &.{.rmdir} else any_gone, .path = old, .wanted = !linking },
        .{ .cats = if (old_dir) &.{.rmdir} else any_gone, .path = new, .wanted = exists and !linking },
        .{ .cats = any_file, .path = old, .wanted = exists and exchange },
        // The original judges a whiteout for create; it is a character device too.
        .{ .cats = &.{ .create, .mkcdev }, .path = old, .wanted = whiteout },
    };
    for (checks) |check| {
        if (!check.wanted) continue;
        for (check.cats) |cat| {
            if (handlers.decide(request, &.{cat}, check.path)) |response| if (response != .continue_call) {
                return .{ .exists = exists, .directory = old_dir, .response = response };
            };
        }
    }
    return .{ .exists = exists, .directory = old_dir, .response = null };
}
