//! Names longer than PATH_MAX: acting on them a piece at a time, and naming a directory whose
//! /proc link is too long to read.
//!
//! The kernel refuses a path string of PATH_MAX bytes or more, but a caller whose cwd or dirfd
//! lies deep names, with a short relative path, objects whose absolute name is far longer (a
//! `mkdir -p` of a deep tree, gnulib's getcwd test). syd judges such a name whole, and acts on
//! it with `split`: the leading directories are opened a piece at a time (each piece shorter
//! than PATH_MAX, cut at a slash), each relative to the fd of the previous one with openat2 and
//! the caller's resolve flags (no symlink, no magic link, nothing above the start), so that a
//! symlink or a magic link swapped into any piece meanwhile fails closed exactly as it would in
//! one openat2 of the whole name; the last piece is left to the caller's own *at call.
//! `dir_name` names a directory whose /proc link reads ENAMETOOLONG (the kernel renders links in
//! one page): it climbs with `..`, finding each directory's entry in its parent by device and
//! inode, until an ancestor's link reads.
//!
//! Needs: openat2 (Linux 5.6), getdents64, /proc/thread-self/fd.
//! Assumes: names given to `split` are canonical and relative (no `.`, `..` or empty
//! component). A directory renamed while `split` walks pieces is reached under the name it had
//! when its piece was looked up, as a kernel path walk reaches it. `dir_name` reads each
//! ancestor it climbs (getdents64), so it needs read permission there, which the kernel's own
//! getcwd does not (EACCES otherwise); its result is a name to judge, as a /proc link's target
//! is, never an object acted on. Nothing allocates: one PATH_MAX piece buffer on the stack.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("sys.zig");

/// PATH_MAX, including the NUL: the longest path string the kernel takes.
pub const path_len_max: usize = 4096;
/// The longest name syd judges and acts on (ENAMETOOLONG beyond): 8 × PATH_MAX.
pub const long_len_max: usize = 8 * path_len_max;

pub const resolve_no_magiclinks: u64 = 0x02;
pub const resolve_no_symlinks: u64 = 0x04;
pub const resolve_beneath: u64 = 0x08;
pub const resolve_in_root: u64 = 0x10;
/// What `split` opens pieces with when acting for a caller: its root is `base_fd`.
pub const resolve_strict: u64 = resolve_in_root | resolve_no_symlinks | resolve_no_magiclinks;

/// openat2's `struct open_how`.
pub const OpenHow = extern struct { flags: u64, mode: u64, resolve: u64 };
/// Batches of directory entries read to find one name: a bound no directory reaches.
const batches_max: u32 = 1 << 20;
const dents_len: usize = 4096;

comptime {
    assert(@sizeOf(OpenHow) == 24);
    assert(long_len_max % path_len_max == 0 and long_len_max > path_len_max);
}

/// A name shorter than PATH_MAX under a directory fd: `dir_fd` is the base (`owned` false) or
/// a directory `split` opened (owned: close it).
pub const Split = struct {
    dir_fd: i32,
    owned: bool,
    rest: [:0]const u8,

    pub fn close(self: Split) void {
        if (self.owned) sys.close(self.dir_fd);
    }
};

/// `relative` (under `base_fd`) as a directory fd and a rest shorter than PATH_MAX: a short
/// name is copied as it is; the leading directories of a long one are opened in pieces of
/// fewer than PATH_MAX bytes, each with openat2(O_PATH | O_DIRECTORY, `resolve`) relative to
/// the previous piece's fd. The rest lives in `rest_buf`. NAMETOOLONG past long_len_max.
pub fn split(base_fd: i32, relative: []const u8, resolve: u64, rest_buf: *[path_len_max]u8) sys.Errno!Split {
    assert(relative.len > 0 and relative[0] != '/');
    assert(resolve & resolve_no_symlinks != 0); // Pieces never follow what a swap put there.
    if (relative.len > long_len_max) return error.NAMETOOLONG;
    var fd = base_fd;
    var owned = false;
    errdefer if (owned) sys.close(fd);
    var start: usize = 0;
    var piece_buf: [path_len_max]u8 = undefined;
    var pieces: usize = 0;
    while (relative.len - start >= path_len_max) : (pieces += 1) {
        assert(pieces < long_len_max / path_len_max * 32); // Each piece consumes > 2 bytes.
        const window = relative[start..][0 .. path_len_max - 1];
        const cut = std.mem.lastIndexOfScalar(u8, window, '/') orelse return error.NAMETOOLONG;
        if (cut == 0) return error.NOENT; // An empty component: no canonical name has one.
        @memcpy(piece_buf[0..cut], window[0..cut]);
        piece_buf[cut] = 0;
        const next = try open_dir_at(fd, piece_buf[0..cut :0], resolve);
        if (owned) sys.close(fd);
        fd = next;
        owned = true;
        start += cut + 1;
    }
    const rest = relative[start..];
    if (rest.len == 0) return error.NOENT;
    assert(rest.len < path_len_max);
    @memcpy(rest_buf[0..rest.len], rest);
    rest_buf[rest.len] = 0;
    return .{ .dir_fd = fd, .owned = owned, .rest = rest_buf[0..rest.len :0] };
}

fn open_dir_at(dir_fd: i32, name: [:0]const u8, resolve: u64) sys.Errno!i32 {
    assert(name.len > 0 and name.len < path_len_max);
    const how: OpenHow = .{ .flags = 0o10000000 | 0o200000 | 0o2000000, .mode = 0, .resolve = resolve }; // O_PATH|O_DIRECTORY|O_CLOEXEC
    const fd = try sys.retry(linux.syscall4, .{ .openat2, @as(usize, @bitCast(@as(isize, dir_fd))), @intFromPtr(name.ptr), @intFromPtr(&how), @sizeOf(OpenHow) });
    return @intCast(fd);
}

/// The path of the directory `fd` as syd's root sees it (as its /proc link would read), built
/// in `out`: for a directory whose link is too long to read. Climbs with `..` until an
/// ancestor's link reads (tried at 0, 1, 2, 4 ... levels up: each read walks the whole name in
/// the kernel), the root is reached, or the directory reached is one `recent` knows (checked
/// again first), naming each directory climbed by its entry in its parent.
/// NOENT for a removed directory, NOTDIR for anything else, NAMETOOLONG past `out.len`.
pub fn dir_name(fd: i32, out: []u8) sys.Errno![]const u8 {
    assert(fd >= 0);
    assert(out.len >= path_len_max and out.len <= long_len_max);
    var pos = out.len; // The name is built from its end.
    var cur = fd;
    var owned = false;
    defer if (owned) sys.close(cur);
    var link_buf: [path_len_max]u8 = undefined;
    var chain: Chain = .{};
    var levels: usize = 0;
    while (levels < out.len / 2) : (levels += 1) {
        if (levels & (levels -% 1) == 0) {
            if (fd_link(cur, &link_buf)) |target| {
                if (target[0] != '/' or std.mem.endsWith(u8, target, " (deleted)")) return error.NOENT;
                return finish(out, pos, target, &chain);
            } else |err| if (err != error.NAMETOOLONG) return err;
        }
        var st: linux.Stat = undefined;
        _ = try sys.retry(linux.fstat, .{ cur, &st });
        if (st.mode & linux.S.IFMT != linux.S.IFDIR) return error.NOTDIR;
        chain.add(st.dev, st.ino, out.len - pos);
        if (recent.find(st.dev, st.ino, out[0..pos])) |len| {
            pos -= len; // `find` put the name just before what is built.
            if (levels == 0) { // Known already: nothing new to keep.
                std.mem.copyForwards(u8, out[0..len], out[pos..]);
                return out[0..len];
            }
            return finish(out, pos, "", &chain);
        }
        const parent_flags: linux.O = .{ .DIRECTORY = true, .CLOEXEC = true };
        const parent: i32 = @intCast(try sys.retry(linux.openat, .{ cur, "..", parent_flags, @as(linux.mode_t, 0) }));
        if (owned) sys.close(cur);
        cur = parent;
        owned = true;
        var parent_st: linux.Stat = undefined;
        _ = try sys.retry(linux.fstat, .{ parent, &parent_st });
        if (parent_st.dev == st.dev and parent_st.ino == st.ino) return finish(out, pos, "/", &chain); // syd's root
        var name_buf: [256]u8 = undefined;
        const name = try entry_name(parent, st.dev, st.ino, &name_buf);
        if (name.len + 1 > pos) return error.NAMETOOLONG;
        pos -= name.len;
        @memcpy(out[pos..][0..name.len], name);
        pos -= 1;
        out[pos] = '/';
    }
    return error.NAMETOOLONG;
}

/// The name `prefix` (an absolute path; "/" adds nothing before a climbed part) followed by
/// what was built at `out[pos..]`, moved to the start of `out`; a long one is kept in `recent`
/// with the directories climbed (`chain`).
fn finish(out: []u8, pos_built: usize, prefix_given: []const u8, chain: *const Chain) sys.Errno![]const u8 {
    var pos = pos_built;
    const prefix = if (std.mem.eql(u8, prefix_given, "/") and pos < out.len) "" else prefix_given;
    if (prefix.len > pos) return error.NAMETOOLONG;
    pos -= prefix.len;
    @memcpy(out[pos..][0..prefix.len], prefix);
    const len = out.len - pos;
    std.mem.copyForwards(u8, out[0..len], out[pos..]);
    assert(len > 0 and out[0] == '/');
    if (len >= path_len_max and chain.len > 0) recent.keep(out[0..len], chain);
    return out[0..len];
}

/// The directories a climb passed, from the start up: each with the length of what its name
/// lacks of the start's name (`tail`: the components below it).
const Chain = struct {
    len: usize = 0,
    links: [chain_len_max]Link = undefined,

    const Link = struct { dev: u64, ino: u64, tail: usize };

    fn add(self: *Chain, dev: u64, ino: u64, tail: usize) void {
        if (self.len == chain_len_max) return; // Higher up: not kept.
        self.links[self.len] = .{ .dev = dev, .ino = ino, .tail = tail };
        self.len += 1;
    }
};

/// How many directories of a climb `recent` keeps: a program climbing back up (glibc's getcwd
/// past PATH_MAX opens `..` again and again) finds the next directory among them.
const chain_len_max: usize = 64;

/// Long directory names `dir_name` found lately, with the directories each climb passed,
/// shared by syd's threads: a program working deep down names the same few directories again
/// and again (its cwd, one level more each mkdir and chdir, or one less each `..`), and a climb
/// from one of them, or from below one, stops there. A name is used only once, opened again
/// from syd's root (no symlink, no magic link), it is still that directory: a rename since
/// costs a longer climb, never a wrong name.
const Recent = struct {
    mutex: std.Thread.Mutex = .{},
    next: usize = 0,
    entries: [recent_len]Entry = [_]Entry{.{}} ** recent_len,

    const Entry = struct { len: usize = 0, chain: Chain = .{}, name: [long_len_max]u8 = undefined };

    /// The name of (`dev`, `ino`), checked, copied to the end of `dest`: its length, or null.
    fn find(self: *Recent, dev: u64, ino: u64, dest: []u8) ?usize {
        const len = self.copy_out(dev, ino, dest) orelse return null;
        const name = dest[dest.len - len ..];
        if (still_names(name, dev, ino)) return len;
        self.forget(dev, ino);
        return null;
    }

    fn copy_out(self: *Recent, dev: u64, ino: u64, dest: []u8) ?usize {
        self.mutex.lock();
        defer self.mutex.unlock();
        for (&self.entries) |*entry| {
            for (entry.chain.links[0..entry.chain.len]) |link| {
                if (link.dev != dev or link.ino != ino or link.tail >= entry.len) continue;
                const len = entry.len - link.tail;
                if (len > dest.len) return null;
                @memcpy(dest[dest.len - len ..], entry.name[0..len]);
                return len;
            }
        }
        return null;
    }

    fn keep(self: *Recent, name: []const u8, chain: *const Chain) void {
        assert(name.len > 0 and name.len <= long_len_max and name[0] == '/');
        assert(chain.len > 0 and chain.links[0].tail == 0);
        self.mutex.lock();
        defer self.mutex.unlock();
        const entry = &self.entries[self.next];
        self.next = (self.next + 1) % recent_len;
        entry.len = name.len;
        entry.chain = chain.*;
        @memcpy(entry.name[0..name.len], name);
    }

    /// Drops every entry whose chain holds (`dev`, `ino`): its name no longer leads there.
    fn forget(self: *Recent, dev: u64, ino: u64) void {
        self.mutex.lock();
        defer self.mutex.unlock();
        for (&self.entries) |*entry| {
            for (entry.chain.links[0..entry.chain.len]) |link| {
                if (link.dev == dev and link.ino == ino) entry.len = 0;
            }
            if (entry.len == 0) entry.chain.len = 0;
        }
    }
};

const recent_len: usize = 8;
var recent: Recent = .{};

/// Whether `name` (absolute, as syd's root sees it) is the directory (`dev`, `ino`) now.
fn still_names(name: []const u8, dev: u64, ino: u64) bool {
    if (name.len < 2 or name[0] != '/') return false;
    const flags: linux.O = .{ .PATH = true, .DIRECTORY = true, .CLOEXEC = true };
    const root: i32 = @intCast(sys.retry(linux.open, .{ "/", flags, @as(linux.mode_t, 0) }) catch return false);
    defer sys.close(root);
    var rest_buf: [path_len_max]u8 = undefined;
    const under = split(root, name[1..], resolve_strict, &rest_buf) catch return false;
    defer under.close();
    var st: linux.Stat = undefined;
    _ = sys.retry(linux.fstatat, .{ under.dir_fd, under.rest.ptr, &st, @as(u32, linux.AT.SYMLINK_NOFOLLOW) }) catch return false;
    return st.dev == dev and st.ino == ino and st.mode & linux.S.IFMT == linux.S.IFDIR;
}

/// The target of syd's own fd's /proc link; NAMETOOLONG when the kernel cannot render it.
fn fd_link(fd: i32, buf: *[path_len_max]u8) sys.Errno![]const u8 {
    var name_buf: [48]u8 = undefined;
    const name = std.fmt.bufPrintZ(&name_buf, "/proc/thread-self/fd/{d}", .{fd}) catch unreachable;
    const len = try sys.retry(linux.readlink, .{ name.ptr, buf, buf.len });
    if (len >= buf.len) return error.NAMETOOLONG;
    if (len == 0) return error.NOENT;
    return buf[0..len];
}

/// The name of the entry of directory `parent` (open for reading) that is the object
/// (`dev`, `ino`): by the entries' inode numbers first, then, for a mount point (whose entry
/// shows the covered inode), by stat of each directory entry. NOENT when none is.
fn entry_name(parent: i32, dev: u64, ino: u64, out: *[256]u8) sys.Errno![]const u8 {
    var pass: u32 = 0;
    while (pass < 2) : (pass += 1) {
        _ = try sys.check(linux.lseek(parent, 0, linux.SEEK.SET));
        var dents: [dents_len]u8 align(8) = undefined;
        var batch: u32 = 0;
        while (batch < batches_max) : (batch += 1) {
            const len = try sys.retry(linux.getdents64, .{ parent, &dents, dents.len });
            if (len == 0) break;
            var off: usize = 0;
            while (off < len) {
                const entry_ino = std.mem.readInt(u64, dents[off..][0..8], .little);
                const reclen = std.mem.readInt(u16, dents[off + 16 ..][0..2], .little);
                const dtype = dents[off + 18];
                const name = std.mem.sliceTo(dents[off + 19 .. off + reclen], 0);
                assert(reclen > 19);
                off += reclen;
                if (std.mem.eql(u8, name, ".") or std.mem.eql(u8, name, "..")) continue;
                const candidate = if (pass == 0) entry_ino == ino else dtype == linux.DT.DIR or dtype == linux.DT.UNKNOWN;
                if (!candidate or name.len >= out.len) continue;
                @memcpy(out[0..name.len], name);
                out[name.len] = 0;
                var st: linux.Stat = undefined;
                const flags: u32 = linux.AT.SYMLINK_NOFOLLOW;
                _ = sys.retry(linux.fstatat, .{ parent, out[0..name.len :0].ptr, &st, flags }) catch continue;
                if (st.dev == dev and st.ino == ino) return out[0..name.len];
            }
        }
    }
    return error.NOENT;
}

const testing = std.testing;

/// A tree `depth` directories deep of `component` names under a new temp dir; returns the fd
/// of the deepest (the caller closes both).
fn deep_tree(tmp: *std.testing.TmpDir, component: []const u8, depth: usize) !std.fs.Dir {
    var dir = try tmp.dir.openDir(".", .{});
    var level: usize = 0;
    while (level < depth) : (level += 1) {
        try dir.makeDir(component);
        const next = try dir.openDir(component, .{});
        dir.close();
        dir = next;
    }
    return dir;
}

test "split opens a long name in pieces and leaves a short rest" {
    var tmp = std.testing.tmpDir(.{});
    defer tmp.cleanup();
    const component = "c" ** 200;
    var deepest = try deep_tree(&tmp, component, 60); // 60 * 201 bytes: three pieces and a rest
    defer deepest.close();
    const file = try deepest.createFile("leaf", .{});
    file.close();
    var name_buf: [long_len_max + 1]u8 = undefined;
    var len: usize = 0;
    for (0..60) |_| {
        @memcpy(name_buf[len..][0 .. component.len + 1], component ++ "/");
        len += component.len + 1;
    }
    @memcpy(name_buf[len..][0..4], "leaf");
    len += 4;
    var rest_buf: [path_len_max]u8 = undefined;
    const at = try split(tmp.dir.fd, name_buf[0..len], resolve_strict, &rest_buf);
    defer at.close();
    try testing.expect(at.owned and at.rest.len < path_len_max);
    var st: linux.Stat = undefined;
    _ = try sys.check(linux.fstatat(at.dir_fd, at.rest.ptr, &st, 0));
    try testing.expect(linux.S.ISREG(st.mode));
    // A short name is handed back as it is, under the base.
    const short = try split(tmp.dir.fd, "a/b", resolve_strict, &rest_buf);
    try testing.expect(!short.owned and short.dir_fd == tmp.dir.fd);
    try testing.expectEqualStrings("a/b", short.rest);
    try testing.expectError(error.NAMETOOLONG, split(tmp.dir.fd, name_buf[0 .. long_len_max + 1], resolve_strict, &rest_buf));
}

test "split fails closed on a symlink swapped into a piece" {
    var tmp = std.testing.tmpDir(.{});
    defer tmp.cleanup();
    const component = "s" ** 200;
    var deepest = try deep_tree(&tmp, component, 30);
    deepest.close();
    try tmp.dir.makePath("elsewhere/" ++ component);
    var name_buf: [long_len_max]u8 = undefined;
    var len: usize = 0;
    for (0..30) |_| {
        @memcpy(name_buf[len..][0 .. component.len + 1], component ++ "/");
        len += component.len + 1;
    }
    @memcpy(name_buf[len..][0..1], "x");
    len += 1;
    var rest_buf: [path_len_max]u8 = undefined;
    // The tenth directory becomes a symlink to a lookalike tree: the first piece meets it.
    var level9 = try tmp.dir.openDir(name_buf[0 .. 9 * 201 - 1], .{});
    defer level9.close();
    try level9.rename(component, "moved");
    const elsewhere = try tmp.dir.realpathAlloc(testing.allocator, "elsewhere/" ++ component);
    defer testing.allocator.free(elsewhere);
    try level9.symLink(elsewhere, component, .{});
    try testing.expectError(error.LOOP, split(tmp.dir.fd, name_buf[0..len], resolve_strict, &rest_buf));
}

test "dir_name names a directory deeper than PATH_MAX as its link would" {
    var tmp = std.testing.tmpDir(.{});
    defer tmp.cleanup();
    const component = "d" ** 250;
    var deepest = try deep_tree(&tmp, component, 40); // over 10 000 bytes
    defer deepest.close();
    var top_buf: [path_len_max]u8 = undefined;
    const top = try fd_link(tmp.dir.fd, &top_buf);
    var link_buf: [path_len_max]u8 = undefined;
    try testing.expectError(error.NAMETOOLONG, fd_link(deepest.fd, &link_buf));
    var out: [long_len_max]u8 = undefined;
    const name = try dir_name(deepest.fd, &out);
    try testing.expectEqual(top.len + 40 * (component.len + 1), name.len);
    try testing.expect(std.mem.startsWith(u8, name, top));
    try testing.expect(std.mem.endsWith(u8, name, "/" ++ component));
    // A short directory reads as its link does.
    try testing.expectEqualStrings(top, try dir_name(tmp.dir.fd, &out));
    var small: [path_len_max]u8 = undefined;
    try testing.expectError(error.NAMETOOLONG, dir_name(deepest.fd, &small));
}

test "dir_name uses a recent name only while it still names the directory" {
    var tmp = std.testing.tmpDir(.{});
    defer tmp.cleanup();
    const component = "r" ** 250;
    var deepest = try deep_tree(&tmp, component, 40);
    defer deepest.close();
    var out: [long_len_max]u8 = undefined;
    const first = try dir_name(deepest.fd, &out);
    var want: [long_len_max]u8 = undefined;
    @memcpy(want[0..first.len], first);
    const named = want[0..first.len];
    var st: linux.Stat = undefined;
    _ = try sys.check(linux.fstat(deepest.fd, &st));
    var dest: [long_len_max]u8 = undefined;
    try testing.expectEqual(@as(?usize, named.len), recent.find(st.dev, st.ino, &dest));
    // The climb passed the parent: it is known too, by the name without the last component.
    var parent = try deepest.openDir("..", .{});
    defer parent.close();
    var parent_st: linux.Stat = undefined;
    _ = try sys.check(linux.fstat(parent.fd, &parent_st));
    try testing.expectEqual(@as(?usize, named.len - component.len - 1), recent.find(parent_st.dev, parent_st.ino, &dest));
    // One level deeper: named from the recent entry, the same as by a whole climb.
    try deepest.makeDir("below");
    var below = try deepest.openDir("below", .{});
    defer below.close();
    try testing.expectEqualStrings(named, (try dir_name(below.fd, &out))[0..named.len]);
    // The top renamed: the entry no longer names the directory, and the climb finds the new name.
    try tmp.dir.rename(component, "moved");
    try testing.expectEqual(@as(?usize, null), recent.find(st.dev, st.ino, &dest));
    const renamed = try dir_name(deepest.fd, &out);
    try testing.expect(std.mem.indexOf(u8, renamed, "/moved/") != null);
    try testing.expectEqual(named.len - component.len + "moved".len, renamed.len);
}
