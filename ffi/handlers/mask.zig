//! Path masking (the original's `mask` command, syd.2 `## mask`): an open of a masked path that
//! the sandbox allows opens the mask's target instead (/dev/null unless the mask names one; a
//! directory's own target when it names one), and the masked path is not checked further; the
//! stat calls and readlink answer with the target's information (the original's since 3.51).
//!
//! Needs: what emulate.zig needs (the caller's root, openat2).
//! Assumes: `name` is the path syd resolved and judged (handlers.view of the canonical path:
//! symlinks, `..`, dirfds and /proc/self/fd links already followed), never the caller's memory
//! read again, so a mask holds however the path is reached. The target is opened inside the
//! caller's root with no symlink or magic link followed (a symlink target: ELOOP, as the
//! original). Masked paths are protected against writes (the original's 3.51): an open for
//! writing, creating or truncating is performed on the target only when it is a character
//! device (/dev/null, /dev/zero: what a write does there is the device's); another target (a
//! regular file, a directory) answers EPERM, the original's errno for a write to a masked path,
//! so an fd on the target never lets the caller change it. (The original opens such a target
//! for writing as asked.) O_CREAT, O_EXCL and O_TRUNC are never passed on: nothing is created or
//! truncated where the target lies.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const glob = @import("../judge/glob.zig");
const policy_mod = @import("../judge/policy.zig");
const handlers = @import("mod.zig");
const emulate = @import("emulate.zig");

const Request = handlers.Request;
const Response = handlers.Response;
const MaskEntry = policy_mod.MaskEntry;

const o_accmode: u32 = 0o3;
const o_creat: u32 = 0o100;
const o_excl: u32 = 0o200;
const o_trunc: u32 = 0o1000;
const o_directory: u32 = 0o200000;
const o_tmpfile: u32 = 0o20000000 | o_directory;

/// The default target.
pub const target_default = "/dev/null";

/// The mask of `name` (a judged canonical path, as logged): the last mask added whose pattern
/// matches it, its trailing slash dropped (as the original); null when none does.
pub fn find(p: *const policy_mod.Policy, name: []const u8) ?*const MaskEntry {
    assert(p.masks.len <= policy_mod.masks_max);
    if (p.masks.len == 0 or name.len == 0) return null;
    const path = if (name.len > 1 and name[name.len - 1] == '/') name[0 .. name.len - 1] else name;
    var index = p.masks.len;
    while (index > 0) {
        index -= 1;
        if (glob.matches(p.masks[index].pattern, path)) return &p.masks[index];
    }
    return null;
}

/// Whether a mask may match a path below directory `name` (`name/...`): a pattern whose literal
/// part (up to its first `*`, `?`, `[` or `{`) and `name/` agree as far as both go. Errs
/// toward yes (a pattern `/**/x` may match below anything).
pub fn below(p: *const policy_mod.Policy, name: []const u8) bool {
    assert(p.masks.len <= policy_mod.masks_max);
    if (name.len == 0) return false;
    const dir = if (name.len > 1 and name[name.len - 1] == '/') name[0 .. name.len - 1] else name;
    for (p.masks) |entry| if (pattern_below(entry.pattern, dir)) return true;
    return false;
}

fn pattern_below(pattern: []const u8, dir: []const u8) bool {
    const literal_len = std.mem.indexOfAny(u8, pattern, "*?[{\\") orelse pattern.len;
    const literal = pattern[0..literal_len];
    // `dir/` against the literal part, byte by byte, as far as both go.
    const common = @min(literal.len, dir.len + 1);
    for (0..common) |i| {
        const c: u8 = if (i < dir.len) dir[i] else '/';
        if (c != literal[i]) return false;
    }
    // A literal part longer than `dir/` names a path below it; a shorter or equal one below it
    // only through the glob that follows (none: the pattern names `dir` or one of its parents).
    return literal.len > dir.len + 1 or literal_len < pattern.len;
}

test "below: a mask under a directory, or a glob that may reach under it" {
    const entries = [_]MaskEntry{.{ .pattern = "/tmp/x/d/f", .origin = "test" }};
    var p = policy_with(&entries);
    try std.testing.expect(below(&p, "/tmp/x/d"));
    try std.testing.expect(below(&p, "/tmp/x"));
    try std.testing.expect(below(&p, "/tmp/x/d/"));
    try std.testing.expect(!below(&p, "/tmp/x/dd"));
    try std.testing.expect(!below(&p, "/tmp/x/d/f")); // the masked file itself: `find`, not below
    try std.testing.expect(!below(&p, "/tmp/y"));
    const globs = [_]MaskEntry{.{ .pattern = "/proc/*/mem", .origin = "test" }};
    p = policy_with(&globs);
    try std.testing.expect(below(&p, "/proc/1"));
    try std.testing.expect(below(&p, "/proc"));
    try std.testing.expect(!below(&p, "/tmp"));
    const everywhere = [_]MaskEntry{.{ .pattern = "/**/secret", .origin = "test" }};
    p = policy_with(&everywhere);
    try std.testing.expect(below(&p, "/home/u"));
}

/// The path a masked object is replaced by: the directory target for a directory, when given.
pub fn target_of(entry: *const MaskEntry, is_directory: bool) []const u8 {
    if (is_directory) if (entry.dir_target) |dir_target| return dir_target;
    const target = entry.target orelse target_default;
    assert(target.len > 0 and target[0] == '/');
    return target;
}

/// Whether an open with `flags` writes, creates or truncates (O_PATH does none).
fn writes(flags: u32) bool {
    if (flags & handlers.o.path != 0) return false;
    const access = flags & o_accmode;
    return access == 1 or access == 2 or flags & (o_creat | o_trunc) != 0 or flags & o_tmpfile == o_tmpfile;
}

/// The flags the target is opened with: the caller's access mode and status flags, without
/// O_CREAT, O_EXCL and O_TRUNC; an O_PATH open becomes O_RDONLY|O_NONBLOCK (ADDFD refuses O_PATH
/// fds), keeping O_DIRECTORY and O_CLOEXEC, as open.zig does.
pub fn flags_for_target(flags: u32) u32 {
    if (flags & handlers.o.path != 0) return (flags & (o_directory | handlers.o.cloexec)) | handlers.o.nonblock;
    const kept: u32 = o_accmode | handlers.o.noctty | 0o2000 | handlers.o.nonblock | 0o4010000 | 0o10000 | 0o20000 |
        0o40000 | 0o100000 | o_directory | 0o1000000 | handlers.o.cloexec;
    return flags & kept & ~(o_creat | o_excl | o_trunc);
}

/// The open hook (open.zig): performs an allowed open of masked `name` on its target and hands
/// the fd over. `is_directory`: what `name` is (before the open).
pub fn open(request: *const Request, entry: *const MaskEntry, flags: u32, is_directory: bool) Response {
    const target = target_of(entry, is_directory);
    // O_TMPFILE would make a file in a directory target: a write.
    if (flags & o_tmpfile == o_tmpfile) return .{ .failure = @intFromEnum(linux.E.PERM) };
    const performed = flags_for_target(flags);
    assert(performed & (o_creat | o_excl | o_trunc) == 0);
    emulate.act_for(request, target, false) catch |err| return handlers.failure(err);
    const root = emulate.Root.open(request.tid()) catch |err| return handlers.failure(err);
    defer root.close();
    const fd = root.openat2_blocking(request, target, performed, 0) catch |err| return handlers.failure(err);
    if (writes(flags) and !character_device(fd)) {
        sys.close(fd);
        return .{ .failure = @intFromEnum(linux.E.PERM) };
    }
    return .{ .fd = .{ .fd = fd, .cloexec = flags & handlers.o.cloexec != 0 } };
}

/// The stat hook (stat.zig): an O_PATH fd of the target of masked `canonical` (whose view is
/// `name`), for the stat calls and readlink to answer on; null when `name` is not masked.
pub fn stat_target(request: *const Request, canonical: []const u8, name: []const u8) ?(sys.Errno!i32) {
    const entry = find(request.policy, name) orelse return null;
    const is_directory = entry.dir_target != null and
        (handlers.kind_at(request.tid(), canonical) catch 0) == linux.S.IFDIR;
    const target = target_of(entry, is_directory);
    const root = emulate.Root.open(request.tid()) catch |err| return err;
    defer root.close();
    return root.openat2(target, handlers.o.path, 0);
}

/// Whether `fd` holds a character device (fails closed: no).
fn character_device(fd: i32) bool {
    assert(fd >= 0);
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch return false;
    return st.mode & linux.S.IFMT == linux.S.IFCHR;
}

fn policy_with(masks: []const MaskEntry) policy_mod.Policy {
    return .{
        .log_level = .warn,
        .pool = .{ .core = 1, .max = 1, .keep_alive_ms = 100 },
        .on = .{false} ** policy_mod.category_count,
        .default = .{.deny} ** policy_mod.category_count,
        .rules = .{&.{}} ** policy_mod.category_count,
        .masks = masks,
    };
}

test "the last matching mask decides, a trailing slash dropped" {
    const masks = [_]MaskEntry{
        .{ .pattern = "/proc/acpi/***", .target = "/dev/null", .dir_target = "/var/empty", .origin = "-m#1" },
        .{ .pattern = "/proc/acpi/wakeup", .target = "/dev/zero", .origin = "-m#2" },
    };
    const p = policy_with(&masks);
    try std.testing.expectEqual(&p.masks[1], find(&p, "/proc/acpi/wakeup").?);
    try std.testing.expectEqual(&p.masks[0], find(&p, "/proc/acpi/").?);
    try std.testing.expectEqual(&p.masks[0], find(&p, "/proc/acpi").?);
    try std.testing.expect(find(&p, "/proc/acpiX") == null);
    try std.testing.expect(find(&p, "/etc/passwd") == null);
    try std.testing.expectEqualStrings("/var/empty", target_of(&p.masks[0], true));
    try std.testing.expectEqualStrings("/dev/null", target_of(&p.masks[0], false));
    try std.testing.expectEqualStrings("/dev/zero", target_of(&p.masks[1], true));
    const plain: MaskEntry = .{ .pattern = "/x", .origin = "-m#3" };
    try std.testing.expectEqualStrings("/dev/null", target_of(&plain, true));
}

test "the target is never created or truncated, and O_PATH becomes a read" {
    try std.testing.expectEqual(@as(u32, 0o2), flags_for_target(0o2 | o_creat | o_excl | o_trunc));
    try std.testing.expectEqual(handlers.o.nonblock | o_directory, flags_for_target(handlers.o.path | o_directory));
    try std.testing.expect(writes(0o1) and writes(o_trunc) and writes(o_creat) and !writes(handlers.o.path | 0o2));
}
