//! Namespaces and the container form: the original's `unshare/*`, `bind`, `root:`, `root/map`,
//! `workdir:`, `uts/host`, `uts/domain` and `time` commands.
//!
//! The run thread clones the sandbox's first process straight into the new user, mount, pid,
//! uts, ipc, net and cgroup namespaces (a thread of a multithreaded process may not unshare a user
//! namespace, but it may create a process in one). That process builds the sandbox's world with
//! raw system calls from a plan made before the clone (`prepare`), in the original's order: its
//! uid and gid maps (setgroups denied), a new time namespace and its offsets, the loopback device
//! up, the domain and host names, then the mount namespace: every mount made private, the new root
//! bound onto itself with a tmpfs on its /dev, the binds in the order given, a procfs of the new
//! pid namespace on /proc (hidepid=ptraceable, subset=pid: only the sandbox's processes, no
//! kernel settings), /dev/null and the /dev/std* links, and pivot_root into the new root. With a
//! pid namespace it is the namespace's init (pid 1): once spawn.zig's child set-up is done
//! (capabilities, Landlock, the filter), it forks the command (pid 2), hides itself (not dumpable:
//! hidepid hides it from the sandbox) and reaps until the command ends (`init_run`); its exit
//! code is the command's (128 + N for a signal N). When it ends the kernel kills whatever is left
//! in the namespace.
//!
//! With Lock sandboxing (Landlock forbids mounting, and a Landlock domain may trace only
//! processes of its own or nested domains) the namespaces are built by an init of their own
//! instead (`init_wait`: it then only reaps), cloned before syd's run thread enters the Lock
//! domain; the sandbox's first process, forked inside that domain, joins them (`Join`,
//! `child_join`) and forks the command, so that syd's threads and the sandbox share one domain.
//!
//! syd's own threads stay in the host's namespaces: they reach the sandbox's files through
//! /proc/TID/root (path.zig), which is the sandbox's root in its mount namespace, and name its
//! processes as its pid namespace does where a path shows a pid (/proc/self, path.zig
//! `view_ids`).
//!
//! Needs: user namespaces (Linux 3.8; unprivileged ones unless syd is root), the new mount API
//! (open_tree, move_mount, fsopen, fsconfig, fsmount: 5.2; mount_setattr: 5.12), openat2 (5.6),
//! time namespaces (5.6, only with `unshare/time`).
//! Assumes: `prepare` runs on the run thread before the clone, with the arena alive until the
//! child execs; `child_setup` and `init_run` run in the cloned child, raw system calls only.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const pieces = @import("../kernel/pieces.zig");

pub const clone_newns: u32 = 0x00020000;
pub const clone_newcgroup: u32 = 0x02000000;
pub const clone_newuts: u32 = 0x04000000;
pub const clone_newipc: u32 = 0x08000000;
pub const clone_newuser: u32 = 0x10000000;
pub const clone_newpid: u32 = 0x20000000;
pub const clone_newnet: u32 = 0x40000000;
pub const clone_newtime: u32 = 0x00000080;

/// The most binds a policy may ask for (the child walks them in a bounded loop).
pub const binds_max: usize = 256;
/// The most `key[=value]` items of one filesystem-type bind's data.
pub const data_items_max: usize = 32;
/// The longest host or domain name (the kernel's __NEW_UTS_LEN).
pub const uts_name_len_max: usize = 64;

/// Names in the order of the original's records (user, mount, uts, ipc, pid, net, cgroup, time).
pub const Kind = enum { user, mount, uts, ipc, pid, net, cgroup, time };

/// One bind of the document (lib/policy/namespaces.ts).
pub const BindDoc = struct {
    src: []const u8,
    dst: []const u8,
    /// MOUNT_ATTR_* bits to set.
    attr: u64 = 0,
    /// `key[=value]` items, comma-separated, for a filesystem-type source.
    data: []const u8 = "",
    @"try": bool = false,
    /// The original's text for the mount in its records.
    text: []const u8 = "",
};

/// `namespaces` in the document (absent: none).
pub const Doc = struct {
    unshare: []const []const u8 = &.{},
    root: ?[]const u8 = null,
    root_map: bool = false,
    workdir: ?[]const u8 = null,
    host: ?[]const u8 = null,
    domain: ?[]const u8 = null,
    time_boot: ?i64 = null,
    time_mono: ?i64 = null,
    binds: []const BindDoc = &.{},
};

/// The checked namespaces of a policy.
pub const Rules = struct {
    on: std.EnumSet(Kind) = .initEmpty(),
    root: ?[]const u8 = null,
    root_map: bool = false,
    workdir: ?[]const u8 = null,
    host: ?[]const u8 = null,
    domain: ?[]const u8 = null,
    time_boot: ?i64 = null,
    time_mono: ?i64 = null,
    binds: []const BindDoc = &.{},

    pub fn any(self: *const Rules) bool {
        return self.on.count() > 0;
    }

    pub fn has(self: *const Rules, kind: Kind) bool {
        return self.on.contains(kind);
    }

    /// The names of the namespaces made, in the original's order, `sep` between them (into
    /// `buf`; what does not fit is left out).
    pub fn names(self: *const Rules, buf: []u8, sep: []const u8) []const u8 {
        var len: usize = 0;
        var it = self.on.iterator();
        while (it.next()) |kind| {
            const written = std.fmt.bufPrint(buf[len..], "{s}{s}", .{ if (len == 0) "" else sep, @tagName(kind) }) catch break;
            len += written.len;
        }
        assert(len <= buf.len);
        return buf[0..len];
    }
};

/// Checks the document's field; the text of the first problem in `why`.
pub fn load(doc: Doc, why: *[]const u8) error{INVAL}!Rules {
    var rules: Rules = .{};
    for (doc.unshare) |name| {
        const kind = std.meta.stringToEnum(Kind, name) orelse {
            why.* = "unshare: an unknown namespace";
            return error.INVAL;
        };
        rules.on.insert(kind);
    }
    if (rules.on.count() == 0) return rules;
    // The original's implications, both ways: a procfs of the new pid namespace needs a mount
    // namespace to be mounted in, and a new mount namespace's /proc must show its own processes.
    if (rules.has(.pid) != rules.has(.mount)) {
        why.* = "unshare: mount and pid go together";
        return error.INVAL;
    }
    if (doc.binds.len > binds_max) {
        why.* = "namespaces: too many binds";
        return error.INVAL;
    }
    for (doc.binds) |bind| {
        const bad = bind.src.len == 0 or bind.dst.len == 0 or bind.dst[0] != '/' or
            has_nul(bind.src) or has_nul(bind.dst) or has_nul(bind.data) or
            bind.src.len >= pieces.path_len_max or bind.dst.len >= pieces.path_len_max or
            bind.data.len >= pieces.path_len_max;
        if (bad) {
            why.* = "namespaces: a bind's source or target is not a path";
            return error.INVAL;
        }
        if (std.mem.count(u8, bind.data, ",") + 1 > data_items_max) {
            why.* = "namespaces: a bind has too many data items";
            return error.INVAL;
        }
    }
    for ([_]?[]const u8{ doc.root, doc.workdir }) |maybe| if (maybe) |path| {
        if (path.len == 0 or path[0] != '/' or has_nul(path) or path.len >= pieces.path_len_max) {
            why.* = "namespaces: root and workdir must be absolute paths";
            return error.INVAL;
        }
    };
    for ([_]?[]const u8{ doc.host, doc.domain }) |maybe| if (maybe) |name| {
        if (name.len == 0 or name.len > uts_name_len_max or has_nul(name)) {
            why.* = "namespaces: a host or domain name is empty or too long";
            return error.INVAL;
        }
    };
    rules.root = if (rules.has(.mount)) doc.root else null;
    if (rules.root != null) for (doc.binds) |bind| if (std.mem.eql(u8, std.mem.trim(u8, bind.dst, "/"), "")) {
        why.* = "namespaces: mount over rootfs is not permitted";
        return error.INVAL;
    };
    rules.workdir = if (rules.root != null) doc.workdir else null;
    rules.binds = if (rules.has(.mount)) doc.binds else &.{};
    rules.root_map = doc.root_map;
    rules.host = if (rules.has(.uts)) doc.host else null;
    rules.domain = if (rules.has(.uts)) doc.domain else null;
    rules.time_boot = doc.time_boot;
    rules.time_mono = doc.time_mono;
    return rules;
}

fn has_nul(text: []const u8) bool {
    return std.mem.indexOfScalar(u8, text, 0) != null;
}

/// A bind, ready for the child.
pub const Bind = struct {
    /// Absolute host path, or a filesystem type.
    src: [:0]const u8,
    fs_type: bool,
    /// Without its leading slash when there is a new root (resolved beneath it), else absolute.
    dst: [:0]const u8,
    attr: u64,
    /// fsconfig's items: key and value (null: a flag).
    keys: []const [*:0]const u8,
    values: []const ?[*:0]const u8,
    try_only: bool,
};

/// Everything the child does, made before the clone (the child may not allocate).
pub const Setup = struct {
    /// CLONE_NEW* for clone(2) (the time namespace apart: its offsets are written before any
    /// process enters it, so the child unshares it itself).
    clone_flags: u32,
    time: bool,
    time_offsets: [:0]const u8 = "",
    user: bool,
    uid_map: [:0]const u8 = "",
    gid_map: [:0]const u8 = "",
    net: bool,
    host: ?[:0]const u8 = null,
    domain: ?[:0]const u8 = null,
    mount: bool,
    pid: bool,
    root: ?[:0]const u8 = null,
    workdir: ?[:0]const u8 = null,
    binds: []const Bind = &.{},
    /// syd runs as root: /sys stays read-only in the sandbox's view (uid 0 without capabilities
    /// may still write what root owns there), as spawn.zig's private /proc does.
    sys_read_only: bool,
};

/// The child's set-up steps, for its failure report (spawn.zig `Stage` carries them).
pub const Step = enum(u32) {
    user_map = 20,
    time = 21,
    loopback = 22,
    uts = 23,
    propagation = 24,
    root = 25,
    dev = 26,
    bind = 27,
    proc = 28,
    dev_null = 29,
    pivot = 30,
    workdir = 31,
    init = 32,
    sys_read_only = 33,
    join = 34,

    pub fn name(step: Step) []const u8 {
        return switch (step) {
            .user_map => "writing its uid and gid maps",
            .time => "entering its time namespace",
            .loopback => "bringing up its loopback device",
            .uts => "setting its host and domain names",
            .propagation => "making its mounts private",
            .root => "binding its new root",
            .dev => "mounting a tmpfs on the new root's /dev",
            .bind => "mounting a bind",
            .proc => "mounting its procfs",
            .dev_null => "binding /dev/null into the new root",
            .pivot => "changing into its new root",
            .workdir => "changing to its workdir",
            .init => "starting the command as pid 2",
            .sys_read_only => "making /sys read-only",
            .join => "joining its namespaces",
        };
    }
};

/// Makes the child's plan. `uid`, `gid`: syd's; `now_boot_s`, `now_mono_s`: the clocks now,
/// for the default offsets (the sandbox's clocks start near 0, as the original's).
pub fn prepare(arena: std.mem.Allocator, rules: *const Rules, uid: u32, gid: u32, now_boot_s: i64, now_mono_s: i64) error{OutOfMemory}!Setup {
    assert(rules.any());
    var flags: u32 = 0;
    const pairs = [_]struct { Kind, u32 }{
        .{ .user, clone_newuser },     .{ .mount, clone_newns }, .{ .uts, clone_newuts },
        .{ .ipc, clone_newipc },       .{ .pid, clone_newpid },  .{ .net, clone_newnet },
        .{ .cgroup, clone_newcgroup },
    };
    for (pairs) |pair| if (rules.has(pair[0])) {
        flags |= pair[1];
    };
    var setup: Setup = .{
        .clone_flags = flags,
        .time = rules.has(.time),
        .user = rules.has(.user),
        .net = rules.has(.net),
        .mount = rules.has(.mount),
        .pid = rules.has(.pid),
        .sys_read_only = uid == 0,
    };
    if (setup.user) {
        const inside_uid: u32 = if (rules.root_map) 0 else uid;
        const inside_gid: u32 = if (rules.root_map) 0 else gid;
        setup.uid_map = try std.fmt.allocPrintZ(arena, "{d} {d} 1\n", .{ inside_uid, uid });
        setup.gid_map = try std.fmt.allocPrintZ(arena, "{d} {d} 1\n", .{ inside_gid, gid });
    }
    if (setup.time) {
        const mono = rules.time_mono orelse -now_mono_s;
        const boot = rules.time_boot orelse -now_boot_s;
        setup.time_offsets = try std.fmt.allocPrintZ(arena, "monotonic {d} 0\nboottime {d} 0\n", .{ mono, boot });
    }
    if (rules.host) |host| setup.host = try arena.dupeZ(u8, host);
    if (rules.domain) |domain| setup.domain = try arena.dupeZ(u8, domain);
    if (setup.mount) {
        if (rules.root) |root| setup.root = try arena.dupeZ(u8, root);
        if (rules.workdir) |workdir| setup.workdir = try arena.dupeZ(u8, workdir);
        const binds = try arena.alloc(Bind, rules.binds.len);
        for (rules.binds, binds) |doc, *bind| bind.* = try prepare_bind(arena, doc, setup.root != null);
        setup.binds = binds;
    }
    return setup;
}

fn prepare_bind(arena: std.mem.Allocator, doc: BindDoc, beneath_root: bool) error{OutOfMemory}!Bind {
    assert(doc.dst.len > 0 and doc.dst[0] == '/');
    const fs_type = doc.src[0] != '/';
    var keys: std.ArrayListUnmanaged([*:0]const u8) = .empty;
    var values: std.ArrayListUnmanaged(?[*:0]const u8) = .empty;
    if (fs_type) {
        var items = std.mem.splitScalar(u8, doc.data, ',');
        while (items.next()) |item| {
            if (item.len == 0) continue;
            const eq = std.mem.indexOfScalar(u8, item, '=');
            try keys.append(arena, try arena.dupeZ(u8, if (eq) |at| item[0..at] else item));
            try values.append(arena, if (eq) |at| try arena.dupeZ(u8, item[at + 1 ..]) else null);
        }
    }
    assert(keys.items.len == values.items.len and keys.items.len <= data_items_max);
    const relative = std.mem.trimLeft(u8, doc.dst, "/");
    return .{
        .src = try arena.dupeZ(u8, doc.src),
        .fs_type = fs_type,
        .dst = if (beneath_root) try arena.dupeZ(u8, if (relative.len == 0) "." else relative) else try arena.dupeZ(u8, doc.dst),
        .attr = doc.attr,
        .keys = keys.items,
        .values = values.items,
        .try_only = doc.@"try",
    };
}

/// The sandbox's uid and gid maps (one id each), for the ids syd hands it itself (the stat
/// family: handlers/stat.zig): the kernel shows an id without a mapping as the overflow id.
pub const IdMap = struct {
    outside_uid: u32,
    inside_uid: u32,
    outside_gid: u32,
    inside_gid: u32,
    overflow_uid: u32 = 65534,
    overflow_gid: u32 = 65534,

    pub fn uid(self: *const IdMap, id: u32) u32 {
        return if (id == self.outside_uid) self.inside_uid else self.overflow_uid;
    }

    pub fn gid(self: *const IdMap, id: u32) u32 {
        return if (id == self.outside_gid) self.inside_gid else self.overflow_gid;
    }
};

/// Whether an extended attribute's name is a POSIX ACL's, whose value names users and groups.
pub fn is_acl_name(name: []const u8) bool {
    return std.mem.eql(u8, name, "system.posix_acl_access") or std.mem.eql(u8, name, "system.posix_acl_default");
}

const acl_header_len: usize = 4;
const acl_entry_len: usize = 8;
const acl_user: u16 = 0x02;
const acl_group: u16 = 0x08;
const acl_undefined_id: u32 = std.math.maxInt(u32);

/// A POSIX ACL value syd read, its users and groups as the sandbox's user namespace shows them
/// (one without a mapping: -1, as the kernel writes it). A malformed value is left as it is.
pub fn acl_to_view(map: *const IdMap, value: []u8) void {
    if (value.len < acl_header_len or (value.len - acl_header_len) % acl_entry_len != 0) return;
    var at: usize = acl_header_len;
    while (at + acl_entry_len <= value.len) : (at += acl_entry_len) {
        const tag = std.mem.readInt(u16, value[at..][0..2], .little);
        const id = std.mem.readInt(u32, value[at + 4 ..][0..4], .little);
        const shown: u32 = switch (tag) {
            acl_user => if (id == map.outside_uid) map.inside_uid else acl_undefined_id,
            acl_group => if (id == map.outside_gid) map.inside_gid else acl_undefined_id,
            else => continue,
        };
        std.mem.writeInt(u32, value[at + 4 ..][0..4], shown, .little);
    }
}

/// A POSIX ACL value the sandbox gave, its users and groups as syd's namespace names them;
/// EINVAL for one the sandbox's user namespace does not map, as the kernel refuses it (found
/// by the attack session: the host's user of that number got the rights).
pub fn acl_from_view(map: *const IdMap, value: []u8) error{INVAL}!void {
    if (value.len < acl_header_len or (value.len - acl_header_len) % acl_entry_len != 0) return;
    var at: usize = acl_header_len;
    while (at + acl_entry_len <= value.len) : (at += acl_entry_len) {
        const tag = std.mem.readInt(u16, value[at..][0..2], .little);
        const id = std.mem.readInt(u32, value[at + 4 ..][0..4], .little);
        const host: u32 = switch (tag) {
            acl_user => if (id == map.inside_uid) map.outside_uid else return error.INVAL,
            acl_group => if (id == map.inside_gid) map.outside_gid else return error.INVAL,
            else => continue,
        };
        std.mem.writeInt(u32, value[at + 4 ..][0..4], host, .little);
    }
}

test "ACL values are translated both ways; an unmapped id is -1 read, refused written" {
    const map: IdMap = .{ .outside_uid = 1000, .inside_uid = 0, .outside_gid = 100, .inside_gid = 0 };
    // version 2; USER_OBJ; USER 1000; USER 4321; GROUP 100
    var value = [_]u8{ 2, 0, 0, 0, 1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff, 2, 0, 6, 0, 0xe8, 3, 0, 0, 2, 0, 4, 0, 0xe1, 0x10, 0, 0, 8, 0, 4, 0, 100, 0, 0, 0 };
    acl_to_view(&map, &value);
    try std.testing.expectEqual(@as(u32, 0), std.mem.readInt(u32, value[16..20], .little));
    try std.testing.expectEqual(acl_undefined_id, std.mem.readInt(u32, value[24..28], .little));
    try std.testing.expectEqual(@as(u32, 0), std.mem.readInt(u32, value[32..36], .little));
    var given = [_]u8{ 2, 0, 0, 0, 2, 0, 6, 0, 0, 0, 0, 0, 8, 0, 4, 0, 0, 0, 0, 0 };
    try acl_from_view(&map, &given);
    try std.testing.expectEqual(@as(u32, 1000), std.mem.readInt(u32, given[8..12], .little));
    try std.testing.expectEqual(@as(u32, 100), std.mem.readInt(u32, given[16..20], .little));
    var stranger = [_]u8{ 2, 0, 0, 0, 2, 0, 6, 0, 0xe1, 0x10, 0, 0 };
    try std.testing.expectError(error.INVAL, acl_from_view(&map, &stranger));
}

/// Set by sandbox.zig before syd's threads start, while a sandbox with a user namespace runs
/// (cleared once they stopped); read-only meanwhile.
pub var id_map: ?IdMap = null;

/// The map of a sandbox's user namespace: syd's ids, seen as themselves or as 0 (root/map), and
/// the kernel's overflow ids for every other.
pub fn id_map_of(rules: *const Rules, uid: u32, gid: u32) IdMap {
    assert(rules.has(.user));
    return .{
        .outside_uid = uid,
        .inside_uid = if (rules.root_map) 0 else uid,
        .outside_gid = gid,
        .inside_gid = if (rules.root_map) 0 else gid,
        .overflow_uid = overflow_id("/proc/sys/kernel/overflowuid"),
        .overflow_gid = overflow_id("/proc/sys/kernel/overflowgid"),
    };
}

fn overflow_id(path: [*:0]const u8) u32 {
    const rc = linux.open(path, .{ .CLOEXEC = true }, 0);
    if (failed(rc)) return 65534;
    const fd: i32 = @intCast(rc);
    defer _ = linux.close(fd);
    var buf: [16]u8 = undefined;
    const len = linux.read(fd, &buf, buf.len);
    if (failed(len)) return 65534;
    return std.fmt.parseInt(u32, std.mem.trim(u8, buf[0..len], " \n"), 10) catch 65534;
}

/// Lock sandboxing with a mount namespace (sandbox.zig): the namespaces are built by an init of
/// their own (`init_wait`), before syd's run thread enters the Lock domain (Landlock forbids
/// mounting); the sandbox's first process is then forked inside that domain and joins them
/// (setns), so that syd's threads and the whole sandbox share one domain. The namespaces' fds, in
/// the order they are joined (the user namespace first: the rest need its capabilities), -1 for
/// those not made; where the first process goes: the new root (and its workdir), or syd's cwd.
pub const Join = struct {
    fds: [join_names.len]i32 = .{-1} ** join_names.len,
    cwd: [:0]const u8,

    pub fn close(self: *Join) void {
        for (&self.fds) |*fd| if (fd.* >= 0) {
            _ = linux.close(fd.*);
            fd.* = -1;
        };
    }
};

/// /proc/PID/ns names, in the order joined, with the kind each is.
const join_names = [_]struct { name: []const u8, kind: Kind }{
    .{ .name = "user", .kind = .user },
    .{ .name = "mnt", .kind = .mount },
    .{ .name = "uts", .kind = .uts },
    .{ .name = "ipc", .kind = .ipc },
    .{ .name = "net", .kind = .net },
    .{ .name = "cgroup", .kind = .cgroup },
    .{ .name = "pid", .kind = .pid }, // the init is in it: its children are
    .{ .name = "time_for_children", .kind = .time }, // the init unshared it for its children
};

/// Opens the namespaces of the init `init_pid` that `rules` asks for. `cwd`: where the first
/// process starts (the new root's workdir or `/`; without a new root, syd's own cwd).
pub fn open_join(init_pid: i32, rules: *const Rules, cwd: [:0]const u8) error{ NOENT, ACCES, PERM, NOMEM, MFILE }!Join {
    assert(init_pid > 0 and rules.has(.mount));
    var join: Join = .{ .cwd = cwd };
    errdefer join.close();
    for (join_names, &join.fds) |entry, *fd| {
        if (!rules.has(entry.kind)) continue;
        var buf: [64]u8 = undefined;
        const path = std.fmt.bufPrintZ(&buf, "/proc/{d}/ns/{s}", .{ init_pid, entry.name }) catch unreachable;
        const rc = linux.open(path.ptr, .{ .CLOEXEC = true }, 0);
        switch (linux.E.init(rc)) {
            .SUCCESS => fd.* = @intCast(rc),
            .ACCES => return error.ACCES,
            .PERM => return error.PERM,
            .MFILE => return error.MFILE,
            .NOMEM => return error.NOMEM,
            else => return error.NOENT,
        }
    }
    return join;
}

// ---- the child: raw system calls only from here on ----

/// In the sandbox's first process (Lock sandboxing with a mount namespace): joins the
/// namespaces and goes to `join.cwd`. Returns the failing call's raw result, or 0.
pub fn child_join(join: *const Join) usize {
    for (join.fds) |fd| if (fd >= 0) {
        const rc = linux.syscall2(.setns, @as(usize, @intCast(fd)), 0);
        if (failed(rc)) return rc;
        _ = linux.close(fd);
    };
    // Joining the mount namespace put the root and cwd at its root (the new root, if any).
    return linux.chdir(join.cwd.ptr);
}

/// The init of namespaces made for a later join (`Join`), once they are built: no capability,
/// not dumpable, a filter that lets it wait and nothing else, and it reaps every orphan of the
/// namespace until syd kills it. Never returns.
pub fn init_wait(drop_caps: *const fn () usize) noreturn {
    close_all(); // copies of syd's fds
    const sigchld_bit: u64 = 1 << (linux.SIG.CHLD - 1);
    _ = linux.syscall4(.rt_sigprocmask, linux.SIG.BLOCK, @intFromPtr(&sigchld_bit), 0, 8);
    if (drop_caps() != 0) linux.exit_group(127);
    if (failed(linux.prctl(@intFromEnum(linux.PR.SET_NO_NEW_PRIVS), 1, 0, 0, 0))) linux.exit_group(127);
    _ = linux.prctl(@intFromEnum(linux.PR.SET_DUMPABLE), 0, 0, 0, 0);
    const prog: extern struct { len: u16, filter: [*]const Insn } = .{ .len = init_filter.len, .filter = &init_filter };
    if (failed(linux.seccomp(linux.SECCOMP.SET_MODE_FILTER, 0, &prog))) linux.exit_group(127);
    // Not a bounded loop: the init lives as long as the sandbox.
    while (true) {
        _ = linux.syscall4(.rt_sigtimedwait, @intFromPtr(&sigchld_bit), 0, 0, 8);
        var reaped: u32 = 0;
        while (reaped < 4096) : (reaped += 1) {
            var status: u32 = 0;
            const rc = linux.wait4(-1, &status, linux.W.NOHANG | 0x40000000, null); // __WALL
            if (failed(rc) or rc == 0) break;
        }
    }
}

/// Closes every fd of the calling process (close_range, Linux 5.9; one by one before it).
fn close_all() void {
    const rc = linux.syscall3(.close_range, 0, std.math.maxInt(u32), 0);
    if (!failed(rc)) return;
    var fd: i32 = 0;
    while (fd < 65536) : (fd += 1) _ = linux.close(fd);
}

const Insn = @import("../filter/sandbox.zig").SockFilter;
const bpf_ld_w_abs: u16 = 0x20;
const bpf_jeq_k: u16 = 0x15;
const bpf_ret_k: u16 = 0x06;
const audit_arch_x86_64: u32 = 0xc000003e;
const ret_allow: u32 = 0x7fff0000;
const ret_kill_process: u32 = 0x80000000;
/// The init's filter: x86_64 only; wait4, rt_sigtimedwait, restart_syscall, rt_sigreturn, exit
/// and exit_group allowed; anything else kills it.
const init_filter = [_]Insn{
    .{ .code = bpf_ld_w_abs, .jt = 0, .jf = 0, .k = 4 }, // arch
    .{ .code = bpf_jeq_k, .jt = 1, .jf = 0, .k = audit_arch_x86_64 },
    .{ .code = bpf_ret_k, .jt = 0, .jf = 0, .k = ret_kill_process },
    .{ .code = bpf_ld_w_abs, .jt = 0, .jf = 0, .k = 0 }, // nr
    .{ .code = bpf_jeq_k, .jt = 6, .jf = 0, .k = @intFromEnum(linux.SYS.wait4) },
    .{ .code = bpf_jeq_k, .jt = 5, .jf = 0, .k = @intFromEnum(linux.SYS.rt_sigtimedwait) },
    .{ .code = bpf_jeq_k, .jt = 4, .jf = 0, .k = @intFromEnum(linux.SYS.restart_syscall) },
    .{ .code = bpf_jeq_k, .jt = 3, .jf = 0, .k = @intFromEnum(linux.SYS.rt_sigreturn) },
    .{ .code = bpf_jeq_k, .jt = 2, .jf = 0, .k = @intFromEnum(linux.SYS.exit) },
    .{ .code = bpf_jeq_k, .jt = 1, .jf = 0, .k = @intFromEnum(linux.SYS.exit_group) },
    .{ .code = bpf_ret_k, .jt = 0, .jf = 0, .k = ret_kill_process },
    .{ .code = bpf_ret_k, .jt = 0, .jf = 0, .k = ret_allow },
};

/// Why the child's set-up stopped: the step, the raw result, and the bind's index.
pub const Failure = struct { step: Step, rc: usize, index: u32 = 0 };

/// A `bind-try` whose source is missing: reported, skipped.
pub const Skipped = struct { index: u32, errno_value: u32 };

const o_path: u32 = 0o10000000;
const o_directory: u32 = 0o200000;
const o_nofollow: u32 = 0o400000;
const o_cloexec: u32 = 0o2000000;
const o_wronly: u32 = 0o1;
const o_creat: u32 = 0o100;
const o_excl: u32 = 0o200;
const at_fdcwd: usize = @bitCast(@as(isize, -100));
const at_empty_path: usize = 0x1000;
const at_recursive: usize = 0x8000;
const open_tree_clone: usize = 1;
const move_mount_f_empty_path: usize = 0x4;
const move_mount_t_empty_path: usize = 0x40;
const fsopen_cloexec: usize = 1;
const fsmount_cloexec: usize = 1;
const fsconfig_set_flag: usize = 0;
const fsconfig_set_string: usize = 1;
const fsconfig_cmd_create: usize = 6;
const ms_rec: u32 = 0x4000;
const ms_private: u32 = 0x40000;
const mnt_detach: u32 = 2;
pub const mount_attr_rdonly: u64 = 0x1;
pub const mount_attr_nosuid: u64 = 0x2;
pub const mount_attr_nodev: u64 = 0x4;
pub const mount_attr_noexec: u64 = 0x8;
pub const mount_attr_noatime: u64 = 0x10;
pub const mount_attr_atime_mask: u64 = 0x70;
pub const mount_attr_nosymfollow: u64 = 0x200000;
const MountAttr = extern struct { attr_set: u64, attr_clr: u64, propagation: u64, userns_fd: u64 };

fn failed(rc: usize) bool {
    return linux.E.init(rc) != .SUCCESS;
}

fn fd_of(rc: usize) usize {
    assert(!failed(rc));
    return rc;
}

/// Builds the sandbox's world in the cloned child. `note` is told of every `bind-try` skipped.
/// Returns null when done, or where it failed.
pub fn child_setup(setup: *const Setup, note: *const fn (Skipped) void) ?Failure {
    if (setup.user) if (write_maps(setup)) |rc| return .{ .step = .user_map, .rc = rc };
    if (setup.time) {
        var rc = linux.unshare(clone_newtime);
        if (failed(rc)) return .{ .step = .time, .rc = rc };
        rc = write_file("/proc/self/timens_offsets", setup.time_offsets);
        if (failed(rc)) return .{ .step = .time, .rc = rc };
    }
    if (setup.net) if (loopback_up()) |rc| return .{ .step = .loopback, .rc = rc };
    if (setup.domain) |domain| {
        const rc = linux.syscall2(.setdomainname, @intFromPtr(domain.ptr), domain.len);
        if (failed(rc)) return .{ .step = .uts, .rc = rc };
    }
    if (setup.host) |host| {
        const rc = linux.syscall2(.sethostname, @intFromPtr(host.ptr), host.len);
        if (failed(rc)) return .{ .step = .uts, .rc = rc };
    }
    if (setup.mount) return mount_world(setup, note);
    return null;
}

/// setgroups denied (an unprivileged gid map needs it; the original denies it always), then the
/// gid and uid maps, each a single line mapping syd's own id: what the child, which holds every
/// capability of its new user namespace but none in syd's, may write for itself.
fn write_maps(setup: *const Setup) ?usize {
    var rc = write_file("/proc/self/setgroups", "deny");
    if (failed(rc)) return rc;
    rc = write_file("/proc/self/gid_map", setup.gid_map);
    if (failed(rc)) return rc;
    rc = write_file("/proc/self/uid_map", setup.uid_map);
    if (failed(rc)) return rc;
    return null;
}

fn write_file(path: [*:0]const u8, text: []const u8) usize {
    assert(text.len > 0);
    const rc = linux.open(path, .{ .ACCMODE = .WRONLY, .CLOEXEC = true }, 0);
    if (failed(rc)) return rc;
    const fd: i32 = @intCast(fd_of(rc));
    defer _ = linux.close(fd);
    const written = linux.write(fd, text.ptr, text.len);
    if (failed(written)) return written;
    if (written != text.len) return @bitCast(@as(isize, -@as(isize, @intFromEnum(linux.E.IO))));
    return 0;
}

/// `lo` up and running (SIOCSIFFLAGS), as the original does in a new network namespace.
fn loopback_up() ?usize {
    const siocgifflags: u32 = 0x8913;
    const siocsifflags: u32 = 0x8914;
    const iff_up: u16 = 0x1;
    const iff_running: u16 = 0x40;
    const IfReq = extern struct { name: [16]u8, flags: u16, pad: [22]u8 = [_]u8{0} ** 22 };
    const rc = linux.socket(linux.AF.INET, linux.SOCK.DGRAM | linux.SOCK.CLOEXEC, 0);
    if (failed(rc)) return rc;
    const fd: i32 = @intCast(fd_of(rc));
    defer _ = linux.close(fd);
    var req: IfReq = .{ .name = [_]u8{0} ** 16, .flags = 0 };
    @memcpy(req.name[0..2], "lo");
    var io = linux.ioctl(fd, siocgifflags, @intFromPtr(&req));
    if (failed(io)) return io;
    req.flags |= iff_up | iff_running;
    io = linux.ioctl(fd, siocsifflags, @intFromPtr(&req));
    if (failed(io)) return io;
    return null;
}

fn openat2(dir: usize, path: [*:0]const u8, flags: u32, resolve: u64) usize {
    const how: pieces.OpenHow = .{ .flags = flags, .mode = 0, .resolve = resolve };
    return linux.syscall4(.openat2, dir, @intFromPtr(path), @intFromPtr(&how), @sizeOf(pieces.OpenHow));
}

/// A mount point's O_PATH fd: beneath `root_fd` when there is a new root, else from syd's root;
/// no symlink followed anywhere (a link planted in a shared directory cannot redirect a mount).
fn open_target(root_fd: ?usize, path: [*:0]const u8, directory: bool) usize {
    const flags = o_path | o_nofollow | o_cloexec | (if (directory) o_directory else 0);
    const resolve = pieces.resolve_no_symlinks | pieces.resolve_no_magiclinks;
    if (root_fd) |root| return openat2(root, path, flags, resolve | pieces.resolve_in_root);
    return openat2(at_fdcwd, path, flags, resolve);
}

/// Attaches the detached mount `tree` on `target` (both fds).
fn attach(tree: usize, target: usize) usize {
    return linux.syscall5(.move_mount, tree, @intFromPtr(""), target, @intFromPtr(""), move_mount_f_empty_path | move_mount_t_empty_path);
}

/// Sets `attr` on the detached mount `tree` and every mount below it.
fn set_attr(tree: usize, attr: u64) usize {
    const mount_attr: MountAttr = .{
        .attr_set = attr,
        .attr_clr = if (attr & mount_attr_atime_mask != 0) mount_attr_atime_mask else 0,
        .propagation = 0,
        .userns_fd = 0,
    };
    return linux.syscall5(.mount_setattr, tree, @intFromPtr(""), at_empty_path | at_recursive, @intFromPtr(&mount_attr), @sizeOf(MountAttr));
}

/// A new filesystem of `fs_type` with its items, detached, attributes set: its fd.
fn new_fs(fs_type: [*:0]const u8, keys: []const [*:0]const u8, values: []const ?[*:0]const u8, attr: u64) usize {
    assert(keys.len == values.len);
    const rc = linux.syscall2(.fsopen, @intFromPtr(fs_type), fsopen_cloexec);
    if (failed(rc)) return rc;
    const fs_fd = fd_of(rc);
    defer _ = linux.close(@intCast(fs_fd));
    var config = linux.syscall5(.fsconfig, fs_fd, fsconfig_set_string, @intFromPtr("source"), @intFromPtr(fs_type), 0);
    if (failed(config)) return config;
    for (keys, values) |key, value| {
        config = if (value) |text|
            linux.syscall5(.fsconfig, fs_fd, fsconfig_set_string, @intFromPtr(key), @intFromPtr(text), 0)
        else
            linux.syscall5(.fsconfig, fs_fd, fsconfig_set_flag, @intFromPtr(key), 0, 0);
        if (failed(config)) return config;
    }
    config = linux.syscall5(.fsconfig, fs_fd, fsconfig_cmd_create, 0, 0, 0);
    if (failed(config)) return config;
    const mounted = linux.syscall3(.fsmount, fs_fd, fsmount_cloexec, 0);
    if (failed(mounted)) return mounted;
    const set = set_attr(fd_of(mounted), attr);
    if (failed(set)) {
        _ = linux.close(@intCast(mounted));
        return set;
    }
    return mounted;
}

/// A recursive copy of the tree at `path` (no symlink followed), detached, attributes set.
fn clone_tree(path: [*:0]const u8, attr: ?u64) usize {
    const rc = openat2(at_fdcwd, path, o_path | o_nofollow | o_cloexec, pieces.resolve_no_symlinks | pieces.resolve_no_magiclinks);
    if (failed(rc)) return rc;
    const source: i32 = @intCast(fd_of(rc));
    defer _ = linux.close(source);
    const tree = linux.syscall3(.open_tree, @intCast(source), @intFromPtr(""), open_tree_clone | at_recursive | at_empty_path | o_cloexec);
    if (failed(tree)) return tree;
    if (attr) |bits| {
        const set = set_attr(tree, bits);
        if (failed(set)) {
            _ = linux.close(@intCast(tree));
            return set;
        }
    }
    return tree;
}

fn mount_world(setup: *const Setup, note: *const fn (Skipped) void) ?Failure {
    assert(setup.mount and setup.pid);
    var rc = linux.mount("none", "/", null, ms_rec | ms_private, 0);
    if (failed(rc)) return .{ .step = .propagation, .rc = rc };
    // The new root: DIR bound onto itself (a mount point pivot_root accepts), a tmpfs on DIR/dev.
    var root_fd: ?usize = null;
    if (setup.root) |root| {
        const tree = clone_tree(root, null);
        if (failed(tree)) return .{ .step = .root, .rc = tree };
        const target = open_target(null, root, true);
        if (failed(target)) return .{ .step = .root, .rc = target };
        rc = attach(tree, target);
        _ = linux.close(@intCast(target));
        if (failed(rc)) return .{ .step = .root, .rc = rc };
        root_fd = tree; // the attached tree: the new root, kept open until the pivot
        const dev = new_fs("tmpfs", &.{"mode"}, &.{"700"}, mount_attr_nosuid | mount_attr_noexec | mount_attr_noatime | mount_attr_nosymfollow);
        if (failed(dev)) return .{ .step = .dev, .rc = dev };
        const dev_target = open_target(root_fd, "dev", true);
        if (failed(dev_target)) return .{ .step = .dev, .rc = dev_target };
        rc = attach(dev, dev_target);
        _ = linux.close(@intCast(dev));
        _ = linux.close(@intCast(dev_target));
        if (failed(rc)) return .{ .step = .dev, .rc = rc };
    }
    for (setup.binds, 0..) |bind, index| {
        if (bind_one(root_fd, &bind)) |bad| {
            if (bind.try_only and !bind.fs_type and linux.E.init(bad) == .NOENT) {
                note(.{ .index = @intCast(index), .errno_value = @intFromEnum(linux.E.NOENT) });
                continue;
            }
            return .{ .step = .bind, .rc = bad, .index = @intCast(index) };
        }
    }
    if (setup.sys_read_only) {
        const sys_dir = open_target(root_fd, if (root_fd != null) "sys" else "/sys", true);
        if (!failed(sys_dir)) {
            defer _ = linux.close(@intCast(sys_dir));
            rc = set_attr(sys_dir, mount_attr_rdonly);
            // EINVAL: not a mount point (nothing to protect there).
            if (failed(rc) and linux.E.init(rc) != .INVAL) return .{ .step = .sys_read_only, .rc = rc };
        } else if (linux.E.init(sys_dir) != .NOENT) return .{ .step = .sys_read_only, .rc = sys_dir };
    }
    // The new pid namespace's procfs: only the sandbox's processes, and of them only those the
    // reader may trace; no kernel settings, no other files (the original's subset=pid).
    const proc = new_fs("proc", &.{ "hidepid", "subset" }, &.{ "4", "pid" }, mount_attr_nosuid | mount_attr_nodev | mount_attr_noexec);
    if (failed(proc)) return .{ .step = .proc, .rc = proc };
    const proc_target = open_target(root_fd, if (root_fd != null) "proc" else "/proc", true);
    if (failed(proc_target)) return .{ .step = .proc, .rc = proc_target };
    rc = attach(proc, proc_target);
    _ = linux.close(@intCast(proc));
    _ = linux.close(@intCast(proc_target));
    if (failed(rc)) return .{ .step = .proc, .rc = rc };
    const root = root_fd orelse return null;
    if (dev_null(root)) |bad| return .{ .step = .dev_null, .rc = bad };
    rc = linux.fchdir(@intCast(root));
    if (failed(rc)) return .{ .step = .pivot, .rc = rc };
    rc = linux.syscall2(.pivot_root, @intFromPtr("."), @intFromPtr("."));
    if (failed(rc)) return .{ .step = .pivot, .rc = rc };
    // The old root is stacked on the new one: detach it (and whatever is stacked below it).
    var detached: u32 = 0;
    while (detached < 64) : (detached += 1) {
        rc = linux.umount2(".", mnt_detach);
        if (linux.E.init(rc) == .INVAL) break;
        if (failed(rc)) return .{ .step = .pivot, .rc = rc };
    }
    _ = linux.close(@intCast(root));
    rc = linux.chdir("/");
    if (failed(rc)) return .{ .step = .pivot, .rc = rc };
    if (setup.workdir) |workdir| {
        const dir = open_target(null, workdir, true);
        if (failed(dir)) return .{ .step = .workdir, .rc = dir };
        rc = linux.fchdir(@intCast(dir));
        _ = linux.close(@intCast(dir));
        if (failed(rc)) return .{ .step = .workdir, .rc = rc };
    }
    return null;
}

/// One bind: a copy of a host tree, or a new filesystem, attached at its target.
fn bind_one(root_fd: ?usize, bind: *const Bind) ?usize {
    const tree = if (bind.fs_type) new_fs(bind.src, bind.keys, bind.values, bind.attr) else clone_tree(bind.src, bind.attr);
    if (failed(tree)) return tree;
    defer _ = linux.close(@intCast(tree));
    const target = open_target(root_fd, bind.dst, false);
    if (failed(target)) return target;
    defer _ = linux.close(@intCast(target));
    const rc = attach(tree, target);
    if (failed(rc)) return rc;
    return null;
}

/// The new root's /dev/null: the host's null device (checked to be one) bound onto an empty
/// file, and the /dev/std* links, as the original.
fn dev_null(root_fd: usize) ?usize {
    var rc = openat2(root_fd, "dev", o_directory | o_nofollow | o_cloexec, pieces.resolve_strict);
    if (failed(rc)) return rc;
    const dev: i32 = @intCast(fd_of(rc));
    defer _ = linux.close(dev);
    const host = openat2(at_fdcwd, "/dev/null", o_path | o_nofollow | o_cloexec, pieces.resolve_no_symlinks | pieces.resolve_no_magiclinks);
    if (failed(host)) return host;
    defer _ = linux.close(@intCast(host));
    var st: linux.Stat = undefined;
    rc = linux.fstat(@intCast(host), &st);
    if (failed(rc)) return rc;
    const null_rdev: u64 = (1 << 8) | 3;
    if (st.mode & linux.S.IFMT != linux.S.IFCHR or st.rdev != null_rdev) return @bitCast(@as(isize, -@as(isize, @intFromEnum(linux.E.XDEV))));
    rc = linux.openat(dev, "null", .{ .ACCMODE = .WRONLY, .CREAT = true, .EXCL = true, .CLOEXEC = true, .NOFOLLOW = true }, 0o400);
    if (failed(rc)) return rc;
    _ = linux.close(@intCast(rc));
    const tree = linux.syscall3(.open_tree, host, @intFromPtr(""), open_tree_clone | at_empty_path | o_cloexec);
    if (failed(tree)) return tree;
    defer _ = linux.close(@intCast(tree));
    const target = openat2(@intCast(dev), "null", o_path | o_nofollow | o_cloexec, pieces.resolve_strict);
    if (failed(target)) return target;
    defer _ = linux.close(@intCast(target));
    rc = attach(tree, target);
    if (failed(rc)) return rc;
    const links = [_][2][*:0]const u8{
        .{ "/proc/thread-self/fd/0", "stdin" },
        .{ "/proc/thread-self/fd/1", "stdout" },
        .{ "/proc/thread-self/fd/2", "stderr" },
    };
    for (links) |link| _ = linux.symlinkat(link[0], dev, link[1]); // as the original: best effort
    return null;
}

/// In the pid namespace's init, once the child's set-up is done: forks the command (pid 2),
/// which returns from here (0) to exec; the init closes every fd it has (the status and ack
/// pipes among them: the command's exec must close the last copies), hides itself and reaps
/// every process of the namespace until the command has ended (and, with `wait_all`, every
/// other one too), then exits with the command's code. Returns only in the command.
pub fn init_run(wait_all: bool) usize {
    const rc = linux.fork();
    if (failed(rc)) return rc;
    if (rc == 0) {
        // The command: killed with its init; dumpable again (the init is not, below).
        _ = linux.prctl(@intFromEnum(linux.PR.SET_PDEATHSIG), linux.SIG.KILL, 0, 0, 0);
        _ = linux.prctl(@intFromEnum(linux.PR.SET_DUMPABLE), 1, 0, 0, 0);
        return 0;
    }
    const command: i32 = @intCast(rc);
    // Every fd it has is a copy of syd's (Deno's files, sockets, pipes): none is kept (found by
    // the attack session); the status and ack pipes among them, so that the command's exec
    // closes their last copies.
    close_all();
    // Not dumpable: /proc/1 is hidden from the sandbox (hidepid=ptraceable), as syd is under the
    // original, and its memory is nobody's to write.
    _ = linux.prctl(@intFromEnum(linux.PR.SET_DUMPABLE), 0, 0, 0, 0);
    var command_status: ?u32 = null;
    // Not a bounded loop: the init lives as long as the sandbox.
    while (true) {
        var status: u32 = 0;
        const waited = linux.wait4(-1, &status, 0x40000000, null); // __WALL
        if (linux.E.init(waited) == .INTR) continue;
        if (failed(waited)) break; // ECHILD: nobody left
        if (@as(i32, @intCast(waited)) == command) {
            command_status = status;
            if (!wait_all) break;
        }
    }
    const status = command_status orelse linux.exit_group(255);
    const code: u8 = if (linux.W.IFEXITED(status))
        linux.W.EXITSTATUS(status)
    else if (linux.W.IFSIGNALED(status))
        @truncate(128 + linux.W.TERMSIG(status))
    else
        255;
    linux.exit_group(code);
}

test "load applies nothing without unshare, and refuses mount without pid" {
    var why: []const u8 = "";
    const none = try load(.{}, &why);
    try std.testing.expect(!none.any());
    try std.testing.expectError(error.INVAL, load(.{ .unshare = &.{"mount"} }, &why));
    try std.testing.expectError(error.INVAL, load(.{ .unshare = &.{"bogus"} }, &why));
    const ok = try load(.{ .unshare = &.{ "user", "mount", "pid" }, .root = "/srv", .workdir = "/tmp", .binds = &.{.{ .src = "/usr", .dst = "/usr", .attr = 1 }} }, &why);
    try std.testing.expect(ok.has(.user) and ok.has(.mount) and ok.has(.pid) and !ok.has(.net));
    try std.testing.expectEqualStrings("/srv", ok.root.?);
    try std.testing.expectEqual(@as(usize, 1), ok.binds.len);
    // Without a mount namespace the root, workdir and binds go (the original ignores them).
    const user_only = try load(.{ .unshare = &.{"user"}, .root = "/srv", .binds = &.{.{ .src = "/usr", .dst = "/usr" }} }, &why);
    try std.testing.expect(user_only.root == null and user_only.binds.len == 0);
    try std.testing.expectError(error.INVAL, load(.{ .unshare = &.{"user"}, .binds = &.{.{ .src = "/usr", .dst = "usr" }} }, &why));
    try std.testing.expectError(error.INVAL, load(.{ .unshare = &.{ "user", "uts" }, .host = "" }, &why));
}

test "prepare writes the maps, the offsets and the binds' items" {
    var arena = std.heap.ArenaAllocator.init(std.testing.allocator);
    defer arena.deinit();
    var why: []const u8 = "";
    const rules = try load(.{ .unshare = &.{ "user", "mount", "pid", "time" }, .root = "/srv", .root_map = true, .binds = &.{
        .{ .src = "tmpfs", .dst = "/tmp", .data = "size=1M,noswap", .attr = 0x8 },
        .{ .src = "/usr", .dst = "/usr/", .attr = 1 },
    } }, &why);
    const setup = try prepare(arena.allocator(), &rules, 1000, 100, 500, 400);
    try std.testing.expectEqualStrings("0 1000 1\n", setup.uid_map);
    try std.testing.expectEqualStrings("0 100 1\n", setup.gid_map);
    try std.testing.expectEqualStrings("monotonic -400 0\nboottime -500 0\n", setup.time_offsets);
    try std.testing.expectEqual(clone_newuser | clone_newns | clone_newpid, setup.clone_flags);
    try std.testing.expectEqualStrings("tmp", setup.binds[0].dst);
    try std.testing.expectEqual(@as(usize, 2), setup.binds[0].keys.len);
    try std.testing.expectEqualStrings("1M", std.mem.span(setup.binds[0].values[0].?));
    try std.testing.expect(setup.binds[0].values[1] == null);
    try std.testing.expectEqualStrings("usr/", setup.binds[1].dst);
    try std.testing.expectError(error.INVAL, load(.{ .unshare = &.{ "user", "mount", "pid" }, .root = "/srv", .binds = &.{.{ .src = "/usr", .dst = "/" }} }, &why));
    try std.testing.expect(!setup.sys_read_only);
}
