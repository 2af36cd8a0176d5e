//! The original's filesystem hardenings that hold whatever the policy's rules say (syd.7,
//! README "Filesystem hardening"), each relaxed by its `trace/allow_unsafe_*` option: hidden
//! block devices, safe file names, ...
//!
//! Needs: fstat.
//! Assumes: judged on objects syd itself holds (its own fds), or on canonical names.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const policy_mod = @import("../judge/policy.zig");

/// Block devices do not exist for the sandbox (ENOENT), as the original's, unless
/// trace/allow_unsafe_mkbdev:1: judged on what syd opened (a block device swapped in after the
/// path's check is refused too); an fd that cannot be looked at is refused.
pub fn block_hidden(p: *const policy_mod.Policy, fd: i32) bool {
    assert(fd >= 0);
    if (p.unsafe_fs.allow_unsafe_mkbdev) return false;
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch return true;
    return block_hidden_mode(p, st.mode);
}

/// `block_hidden` for an object whose mode syd has looked at already.
pub fn block_hidden_mode(p: *const policy_mod.Policy, mode: u32) bool {
    return !p.unsafe_fs.allow_unsafe_mkbdev and mode & linux.S.IFMT == linux.S.IFBLK;
}

/// The mode a chmod of the object `fd` holds sets: a directory keeps its sticky and setgid bits
/// (the original's immutable sticky bit), unless trace/allow_unsafe_sticky:1. Judged on syd's
/// own fd of the object changed.
pub fn directory_bits_kept(p: *const policy_mod.Policy, fd: i32, mode: u32) sys.Errno!u32 {
    assert(fd >= 0);
    if (p.unsafe_fs.allow_unsafe_sticky) return mode;
    var st: linux.Stat = undefined;
    _ = try sys.check(linux.fstat(fd, &st));
    if (st.mode & linux.S.IFMT != linux.S.IFDIR) return mode;
    return mode | (st.mode & (linux.S.ISVTX | linux.S.ISGID));
}

/// Why a hard link to the object `fd` (syd's O_PATH fd of the link's source) is refused, as the
/// original's trusted hardlinks (CONFIG_GRKERNSEC_LINK, stricter than protected_hardlinks), or
/// null: a symlink must be owned by `fsuid` (syd's, which is the caller's), anything else a regular file with no
/// setuid bit, not setgid and group-executable, that the caller may read and write.
pub fn hardlink_refusal(p: *const policy_mod.Policy, fd: i32, fsuid: u32) sys.Errno!?[]const u8 {
    assert(fd >= 0);
    if (p.unsafe_fs.allow_unsafe_hardlinks) return null;
    var st: linux.Stat = undefined;
    _ = try sys.check(linux.fstat(fd, &st));
    const kind = st.mode & linux.S.IFMT;
    if (kind == linux.S.IFLNK) return if (st.uid == fsuid) null else "source is a symlink not owned by caller";
    if (kind != linux.S.IFREG) return "source is a special file";
    if (st.mode & linux.S.ISUID != 0) return "source is a setuid file";
    if (st.mode & (linux.S.ISGID | linux.S.IXGRP) == linux.S.ISGID | linux.S.IXGRP) return "source is a setgid executable file";
    const r_ok: usize = 4;
    const w_ok: usize = 2;
    const at_eaccess: usize = 0x200;
    const at_empty_path: usize = 0x1000;
    _ = sys.check(linux.syscall4(.faccessat2, @as(usize, @bitCast(@as(isize, fd))), @intFromPtr(""), r_ok | w_ok, at_eaccess | at_empty_path)) catch
        return "caller lacks read and write access to source";
    return null;
}

/// What an open of the object `fd` (syd's own) meets, from one fstat: a block device
/// (`block_hidden`), or a regular file with the setuid or setgid bit, refused as the original's
/// unless trace/allow_unsafe_open_suid:1. An fd that cannot be looked at is refused.
pub const OpenVerdict = enum { handed, hidden, suid };

pub fn open_verdict(p: *const policy_mod.Policy, fd: i32) OpenVerdict {
    assert(fd >= 0);
    const blocks = !p.unsafe_fs.allow_unsafe_mkbdev;
    const suid = !p.unsafe_fs.allow_unsafe_open_suid;
    if (!blocks and !suid) return .handed;
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch return if (blocks) .hidden else .suid;
    const kind = st.mode & linux.S.IFMT;
    if (blocks and kind == linux.S.IFBLK) return .hidden;
    if (suid and kind == linux.S.IFREG and st.mode & (linux.S.ISUID | linux.S.ISGID) != 0) return .suid;
    return .handed;
}

/// Whether listings of `dir` may leave entries out (`entry_hidden`).
pub fn entries_filtered(p: *const policy_mod.Policy, dir: []const u8) bool {
    return !p.unsafe_fs.allow_unsafe_mkbdev or (!p.unsafe_fs.allow_unsafe_filename and !under_proc(dir));
}

/// Whether a directory listing of `dir` leaves out its entry `name` of type `d_type` (the
/// kernel's DT_*): block devices and unsafe names do not exist for the sandbox.
pub fn entry_hidden(p: *const policy_mod.Policy, dir: []const u8, name: []const u8, d_type: u8) bool {
    const dt_blk: u8 = 6;
    if (d_type == dt_blk and !p.unsafe_fs.allow_unsafe_mkbdev) return true;
    return !p.unsafe_fs.allow_unsafe_filename and !under_proc(dir) and !safe_name(name);
}

/// /proc or a path below it.
fn under_proc(path: []const u8) bool {
    return std.mem.startsWith(u8, path, "/proc") and (path.len == 5 or path[5] == '/');
}

/// Whether the last component of `canonical` is a name the sandbox may not use (EILSEQ), as
/// the original's safe names (after David A. Wheeler's Safename), unless
/// trace/allow_unsafe_filename:1. /proc is left alone (its names are the kernel's).
pub fn name_refused(p: *const policy_mod.Policy, canonical: []const u8) bool {
    assert(canonical.len > 0 and canonical[0] == '/');
    if (p.unsafe_fs.allow_unsafe_filename) return false;
    if (canonical.len == 1) return false; // the root has no name
    if (under_proc(canonical)) return false;
    const slash = std.mem.lastIndexOfScalar(u8, canonical, '/').?;
    return !safe_name(canonical[slash + 1 ..]);
}

/// A safe file name: valid UTF-8, not empty, no control character (0x00-0x1f, 0x7f), no 0xff,
/// none of the shell's special characters (`*?[]"<>|()&'!\;$` and the backquote), not starting
/// with `-` or `~`, and no whitespace (Unicode's too) at either end.
pub fn safe_name(name: []const u8) bool {
    if (name.len == 0 or name.len > 255) return name.len > 255; // the kernel answers a long name
    if (!std.unicode.utf8ValidateSlice(name)) return false;
    for (name, 0..) |byte, i| {
        if (!permitted_byte(byte)) return false;
        if (i == 0 and (byte == '-' or byte == '~')) return false;
    }
    const first_len = std.unicode.utf8ByteSequenceLength(name[0]) catch return false;
    const first = std.unicode.utf8Decode(name[0..first_len]) catch return false;
    var last_start = name.len - 1;
    var back: u32 = 0;
    while (back < 4 and last_start > 0 and name[last_start] & 0xc0 == 0x80) : (back += 1) last_start -= 1;
    const last = std.unicode.utf8Decode(name[last_start..]) catch return false;
    return !whitespace(first) and !whitespace(last);
}

fn permitted_byte(byte: u8) bool {
    if (std.mem.indexOfScalar(u8, "*?[]\"<>|()&'!\\;$`", byte) != null) return false;
    return (byte >= 0x20 and byte <= 0x7e) or (byte >= 0x80 and byte <= 0xfe);
}

/// Unicode's White_Space property (what Rust's char::is_whitespace answers).
fn whitespace(c: u21) bool {
    return switch (c) {
        0x09...0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000...0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000 => true,
        else => false,
    };
}

test "safe_name refuses control characters, invalid UTF-8, shell characters and bad ends" {
    for ([_][]const u8{ "file", "a b", "x:y", "{}", "naïve", "日本", "a-b", "a~", ".hidden", "..." }) |good|
        try std.testing.expect(safe_name(good));
    for ([_][]const u8{ "", "a\x07", "\x01", "a\x7f", "\xff", "\xc3", "bad\xe9", "-x", "~x", " x", "x ", "x\t", "a*", "a?", "a$b", "a`b", "a'b", "a!", "a;b", "a\\b", "(x)", "x\u{a0}", "\u{3000}x", "x\u{2028}" }) |bad|
        try std.testing.expect(!safe_name(bad));
}

test "name_refused looks at the last component only, and never under /proc" {
    var p: policy_mod.Policy = .{
        .log_level = .warn,
        .pool = .{ .core = 1, .max = 1, .keep_alive_ms = 100 },
        .on = .{false} ** policy_mod.category_count,
        .default = .{.allow} ** policy_mod.category_count,
        .rules = .{&.{}} ** policy_mod.category_count,
    };
    try std.testing.expect(name_refused(&p, "/tmp/a\x07"));
    try std.testing.expect(!name_refused(&p, "/tmp/a\x07/b"));
    try std.testing.expect(!name_refused(&p, "/"));
    try std.testing.expect(!name_refused(&p, "/proc/1/fd/pipe:[3]"));
    try std.testing.expect(name_refused(&p, "/procx/a$"));
    p.unsafe_fs.allow_unsafe_filename = true;
    try std.testing.expect(!name_refused(&p, "/tmp/a\x07"));
}
