//! The start of the one-file `dist/syd` (tools/dist.sh): a static program followed by a payload
//! (Deno's runtime, syd's bundled program `syd.js`, `libsyd.so`, each gzip-compressed), a text
//! manifest naming each file's place, size and SHA-256, and a fixed trailer pointing at it.
//!
//! At start it finds a directory private to the user (mode 0700, the user's, in a parent no other
//! user can rename it out of), unpacks the payload there once (into a new directory renamed into
//! place, every file checked against its SHA-256 as it is written), and on later starts checks the
//! unpacked files against the stamp written then (inode, size, ctime: any write, chmod or
//! truncation changes the ctime) before it runs Deno on the bundle. A copy that fails the check is
//! removed and unpacked again, never run.
//!
//! Needs from the kernel: /proc/self/exe, openat with O_NOFOLLOW, renameat, execve.
//! Assumes: nothing of the caller; the file may be damaged (every offset is checked).

const std = @import("std");
const posix = std.posix;
const linux = std.os.linux;
const assert = std.debug.assert;
const Sha256 = std.crypto.hash.sha2.Sha256;

pub const trailer_magic = "syd-dist-v1\x00\x00\x00\x00\x00";
pub const trailer_len = trailer_magic.len + 16;
const manifest_len_max = 16 * 1024;
const files_max = 8;
const name_len_max = 32;
const info_len_max = 512;
/// The files the payload must hold.
const required = [_][]const u8{ "deno", "syd.js", "libsyd.so" };
const exit_failure = 1;

pub const Entry = struct {
    name: []const u8,
    offset: u64,
    stored_len: u64,
    size: u64,
    sha256: [Sha256.digest_length]u8,
    gzip: bool,
    mode: posix.mode_t,
};

pub const Manifest = struct {
    id: [64]u8,
    info: []const u8,
    entries: [files_max]Entry,
    count: usize,

    pub fn find(manifest: *const Manifest, name: []const u8) ?*const Entry {
        assert(manifest.count <= files_max);
        for (manifest.entries[0..manifest.count]) |*entry| {
            if (std.mem.eql(u8, entry.name, name)) return entry;
        }
        return null;
    }
};

pub const ParseError = error{BadManifest};

fn valid_name(name: []const u8) bool {
    if (name.len == 0 or name.len > name_len_max) return false;
    if (std.mem.eql(u8, name, ".") or std.mem.eql(u8, name, "..")) return false;
    for (name) |c| {
        if (!std.ascii.isAlphanumeric(c) and c != '.' and c != '_' and c != '-') return false;
    }
    return true;
}

/// Parses the manifest (`payload_end`: where the payload ends, the manifest's own offset).
/// The text is the file's own, untrusted: every number is checked against the payload.
pub fn parse(text: []const u8, payload_end: u64) ParseError!Manifest {
    var manifest: Manifest = .{ .id = undefined, .info = "", .entries = undefined, .count = 0 };
    var have_id = false;
    var lines = std.mem.splitScalar(u8, text, '\n');
    const header = lines.next() orelse return error.BadManifest;
    if (!std.mem.eql(u8, header, "syd-dist 1")) return error.BadManifest;
    var line_count: usize = 0;
    while (lines.next()) |line| {
        line_count += 1;
        if (line_count > files_max + 8) return error.BadManifest;
        if (line.len == 0) continue;
        if (std.mem.startsWith(u8, line, "id ")) {
            const id = line[3..];
            if (id.len != manifest.id.len) return error.BadManifest;
            for (id) |c| if (!std.ascii.isHex(c) or std.ascii.isUpper(c)) return error.BadManifest;
            @memcpy(&manifest.id, id);
            have_id = true;
        } else if (std.mem.startsWith(u8, line, "info ")) {
            manifest.info = line[5..];
            if (manifest.info.len > info_len_max) return error.BadManifest;
            for (manifest.info) |c| if (c < 0x20 or c == 0x7f) return error.BadManifest;
        } else if (std.mem.startsWith(u8, line, "file ")) {
            if (manifest.count == files_max) return error.BadManifest;
            manifest.entries[manifest.count] = try parse_entry(line[5..], payload_end);
            const name = manifest.entries[manifest.count].name;
            for (manifest.entries[0..manifest.count]) |other| {
                if (std.mem.eql(u8, other.name, name)) return error.BadManifest;
            }
            manifest.count += 1;
        } else return error.BadManifest;
    }
    if (!have_id) return error.BadManifest;
    for (required) |name| {
        if (manifest.find(name) == null) return error.BadManifest;
    }
    assert(manifest.count >= required.len);
    return manifest;
}

fn parse_entry(fields_text: []const u8, payload_end: u64) ParseError!Entry {
    var fields = std.mem.tokenizeScalar(u8, fields_text, ' ');
    var entry: Entry = undefined;
    entry.name = fields.next() orelse return error.BadManifest;
    if (!valid_name(entry.name)) return error.BadManifest;
    entry.offset = number(fields.next(), 10) orelse return error.BadManifest;
    entry.stored_len = number(fields.next(), 10) orelse return error.BadManifest;
    entry.size = number(fields.next(), 10) orelse return error.BadManifest;
    const digest = fields.next() orelse return error.BadManifest;
    if (digest.len != 2 * entry.sha256.len) return error.BadManifest;
    _ = std.fmt.hexToBytes(&entry.sha256, digest) catch return error.BadManifest;
    const encoding = fields.next() orelse return error.BadManifest;
    if (std.mem.eql(u8, encoding, "gzip")) {
        entry.gzip = true;
    } else if (std.mem.eql(u8, encoding, "raw")) {
        entry.gzip = false;
    } else return error.BadManifest;
    const mode = number(fields.next(), 8) orelse return error.BadManifest;
    if (mode != 0o500 and mode != 0o400) return error.BadManifest;
    entry.mode = @intCast(mode);
    if (fields.next() != null) return error.BadManifest;
    if (entry.offset > payload_end or entry.stored_len > payload_end - entry.offset) return error.BadManifest;
    if (!entry.gzip and entry.stored_len != entry.size) return error.BadManifest;
    return entry;
}

fn number(text: ?[]const u8, base: u8) ?u64 {
    const digits = text orelse return null;
    if (digits.len == 0 or digits.len > 20) return null;
    return std.fmt.parseUnsigned(u64, digits, base) catch null;
}

/// What a stamp records of one unpacked file.
const Seen = struct { ino: u64, size: u64, ctime_sec: i64, ctime_nsec: i64, mode: u32, uid: u32 };

fn seen_of(st: *const linux.Stat) Seen {
    return .{
        .ino = st.ino,
        .size = @intCast(st.size),
        .ctime_sec = st.ctim.sec,
        .ctime_nsec = st.ctim.nsec,
        .mode = st.mode,
        .uid = st.uid,
    };
}

fn fail(comptime format: []const u8, args: anytype) noreturn {
    var buf: [1024]u8 = undefined;
    const text = std.fmt.bufPrint(&buf, "syd: " ++ format ++ "\n", args) catch "syd: failed\n";
    _ = linux.write(2, text.ptr, text.len);
    linux.exit_group(exit_failure);
}

fn fstat(fd: posix.fd_t) !linux.Stat {
    var st: linux.Stat = undefined;
    const rc = linux.fstat(fd, &st);
    if (posix.errno(rc) != .SUCCESS) return error.StatFailed;
    return st;
}

/// A directory no other user can write, rename or replace: ours (or root's), and writable by
/// others only where the sticky bit keeps them from our entries. Checked from `fd` up to `/`.
fn trusted_chain(fd: posix.fd_t, uid: u32) bool {
    var current = posix.dup(fd) catch return false;
    defer posix.close(current);
    var depth: usize = 0;
    while (depth < 256) : (depth += 1) {
        const st = fstat(current) catch return false;
        if (st.uid != uid and st.uid != 0) return false;
        if (st.mode & 0o022 != 0 and st.mode & posix.S.ISVTX == 0) return false;
        const parent = posix.openatZ(current, "..", .{ .DIRECTORY = true, .CLOEXEC = true }, 0) catch return false;
        const pst = fstat(parent) catch {
            posix.close(parent);
            return false;
        };
        if (pst.ino == st.ino and pst.dev == st.dev) {
            posix.close(parent);
            return true;
        }
        posix.close(current);
        current = parent;
    }
    return false;
}

/// Opens (making it when missing) `name` under `parent` as a directory of the user's, mode 0700.
fn private_dir(parent: posix.fd_t, name: [*:0]const u8, uid: u32) ?posix.fd_t {
    posix.mkdiratZ(parent, name, 0o700) catch |err| switch (err) {
        error.PathAlreadyExists => {},
        else => return null,
    };
    const fd = posix.openatZ(parent, name, .{ .DIRECTORY = true, .NOFOLLOW = true, .CLOEXEC = true }, 0) catch return null;
    const st = fstat(fd) catch {
        posix.close(fd);
        return null;
    };
    if (st.uid != uid or st.mode & 0o077 != 0) {
        posix.close(fd);
        return null;
    }
    return fd;
}

/// The user's directory for unpacked copies: `$XDG_CACHE_HOME/syd`, else `$HOME/.cache/syd`, the
/// first whose parent is trusted; else `/tmp/syd-UID`.
fn cache_dir(uid: u32) posix.fd_t {
    var home_buf: [4096]u8 = undefined;
    const xdg: ?[]const u8 = posix.getenv("XDG_CACHE_HOME");
    const home: ?[]const u8 = if (posix.getenv("HOME")) |dir|
        std.fmt.bufPrint(&home_buf, "{s}/.cache", .{dir}) catch null
    else
        null;
    for ([_]?[]const u8{ xdg, home }) |candidate| {
        const dir = candidate orelse continue;
        if (dir.len == 0 or dir[0] != '/') continue;
        if (user_cache(dir, uid)) |fd| return fd;
    }
    const tmp = posix.openZ("/tmp", .{ .DIRECTORY = true, .CLOEXEC = true }, 0) catch
        fail("cannot open /tmp for the unpacked copy", .{});
    defer posix.close(tmp);
    if (!trusted_chain(tmp, uid)) fail("/tmp is writable by others without the sticky bit: no private place to unpack to", .{});
    var name_buf: [32]u8 = undefined;
    const name = std.fmt.bufPrintZ(&name_buf, "syd-{d}", .{uid}) catch unreachable;
    return private_dir(tmp, name, uid) orelse
        fail("/tmp/{s} is not a directory of this user's with mode 0700: no private place to unpack to", .{name});
}

/// `dir/syd` opened, made when missing, if `dir` and its parents are trusted.
fn user_cache(dir: []const u8, uid: u32) ?posix.fd_t {
    var z_buf: [4096]u8 = undefined;
    const z = std.fmt.bufPrintZ(&z_buf, "{s}", .{dir}) catch return null;
    posix.mkdirZ(z, 0o700) catch |err| switch (err) {
        error.PathAlreadyExists => {},
        else => return null,
    };
    const fd = posix.openZ(z, .{ .DIRECTORY = true, .CLOEXEC = true }, 0) catch return null;
    defer posix.close(fd);
    if (!trusted_chain(fd, uid)) return null;
    return private_dir(fd, "syd", uid);
}

/// Reads `len` bytes of the dist file from `offset` on (a std.io reader over pread).
const Slice = struct {
    fd: posix.fd_t,
    offset: u64,
    left: u64,

    const Reader = std.io.GenericReader(*Slice, posix.PReadError, read);

    fn read(slice: *Slice, buf: []u8) posix.PReadError!usize {
        const want: usize = @intCast(@min(buf.len, slice.left));
        if (want == 0) return 0;
        const n = try posix.pread(slice.fd, buf[0..want], slice.offset);
        slice.offset += n;
        slice.left -= n;
        return n;
    }

    fn reader(slice: *Slice) Reader {
        return .{ .context = slice };
    }
};

/// Writes to an fd, hashing and counting what is written, refusing more than `size_max`.
const Sink = struct {
    fd: posix.fd_t,
    hash: Sha256,
    written: u64,
    size_max: u64,
    /// A failure to write the copy (a full disk), told apart from a damaged payload.
    io_error: ?anyerror = null,

    const Writer = std.io.GenericWriter(*Sink, anyerror, write);

    fn write(sink: *Sink, bytes: []const u8) anyerror!usize {
        if (bytes.len > sink.size_max - sink.written) return error.Damaged;
        posix_write_all(sink.fd, bytes) catch |err| {
            sink.io_error = err;
            return err;
        };
        sink.hash.update(bytes);
        sink.written += bytes.len;
        return bytes.len;
    }

    fn writer(sink: *Sink) Writer {
        return .{ .context = sink };
    }
};

fn posix_write_all(fd: posix.fd_t, bytes: []const u8) !void {
    var done: usize = 0;
    while (done < bytes.len) done += try posix.write(fd, bytes[done..]);
}

fn unpack_file(exe: posix.fd_t, dir: posix.fd_t, entry: *const Entry) !void {
    var name_buf: [name_len_max + 1]u8 = undefined;
    const name = try std.fmt.bufPrintZ(&name_buf, "{s}", .{entry.name});
    const fd = try posix.openatZ(dir, name, .{ .ACCMODE = .WRONLY, .CREAT = true, .EXCL = true, .NOFOLLOW = true, .CLOEXEC = true }, 0o600);
    defer posix.close(fd);
    var slice: Slice = .{ .fd = exe, .offset = entry.offset, .left = entry.stored_len };
    var sink: Sink = .{ .fd = fd, .hash = Sha256.init(.{}), .written = 0, .size_max = entry.size };
    if (entry.gzip) {
        // Buffered both ways: the decompressor reads and writes a few bytes at a time.
        var input = std.io.bufferedReaderSize(256 * 1024, slice.reader());
        var output = std.io.bufferedWriter(sink.writer());
        std.compress.gzip.decompress(input.reader(), output.writer()) catch {
            if (sink.io_error) |io_error| return io_error;
            return error.Damaged; // any fault of the compressed data
        };
        try output.flush();
    } else {
        var buf: [64 * 1024]u8 = undefined;
        while (true) {
            const n = try slice.read(&buf);
            if (n == 0) break;
            _ = try sink.write(buf[0..n]);
        }
    }
    if (sink.written != entry.size) return error.Damaged;
    var digest: [Sha256.digest_length]u8 = undefined;
    sink.hash.final(&digest);
    if (!std.mem.eql(u8, &digest, &entry.sha256)) return error.Damaged;
    try posix.fchmod(fd, entry.mode);
}

const stamp_name = "stamp";

/// Writes the stamp: the id, then what each unpacked file looks like now.
fn write_stamp(dir: posix.fd_t, manifest: *const Manifest) !void {
    var text_buf: [4096]u8 = undefined;
    var stream = std.io.fixedBufferStream(&text_buf);
    const out = stream.writer();
    try out.print("id {s}\n", .{manifest.id});
    for (manifest.entries[0..manifest.count]) |*entry| {
        const seen = try seen_in(dir, entry.name);
        try out.print("{s} {d} {d} {d} {d}\n", .{ entry.name, seen.ino, seen.size, seen.ctime_sec, seen.ctime_nsec });
    }
    const fd = try posix.openatZ(dir, stamp_name, .{ .ACCMODE = .WRONLY, .CREAT = true, .EXCL = true, .NOFOLLOW = true, .CLOEXEC = true }, 0o400);
    defer posix.close(fd);
    try posix_write_all(fd, stream.getWritten());
}

fn seen_in(dir: posix.fd_t, name: []const u8) !Seen {
    var name_buf: [name_len_max + 1]u8 = undefined;
    const z = try std.fmt.bufPrintZ(&name_buf, "{s}", .{name});
    const fd = try posix.openatZ(dir, z, .{ .PATH = true, .NOFOLLOW = true, .CLOEXEC = true }, 0);
    defer posix.close(fd);
    const st = try fstat(fd);
    if (!posix.S.ISREG(st.mode) or st.nlink != 1) return error.Damaged;
    return seen_of(&st);
}

/// Whether the unpacked copy in `dir` is the one its stamp describes, untouched since.
fn intact(dir: posix.fd_t, manifest: *const Manifest, uid: u32) bool {
    const fd = posix.openatZ(dir, stamp_name, .{ .NOFOLLOW = true, .CLOEXEC = true }, 0) catch return false;
    defer posix.close(fd);
    var buf: [4096]u8 = undefined;
    const n = posix.read(fd, &buf) catch return false;
    if (n == buf.len) return false;
    var lines = std.mem.splitScalar(u8, buf[0..n], '\n');
    const id_line = lines.next() orelse return false;
    if (id_line.len != 3 + manifest.id.len or !std.mem.eql(u8, id_line[3..], &manifest.id)) return false;
    var matched: usize = 0;
    while (lines.next()) |line| {
        if (line.len == 0) continue;
        var fields = std.mem.tokenizeScalar(u8, line, ' ');
        const name = fields.next() orelse return false;
        const entry = manifest.find(name) orelse return false;
        const ino = number(fields.next(), 10) orelse return false;
        const size = number(fields.next(), 10) orelse return false;
        const sec = number(fields.next(), 10) orelse return false;
        const nsec = number(fields.next(), 10) orelse return false;
        const seen = seen_in(dir, name) catch return false;
        if (seen.ino != ino or seen.size != size or seen.size != entry.size) return false;
        if (seen.ctime_sec != sec or seen.ctime_nsec != nsec) return false;
        if (seen.uid != uid or seen.mode & 0o7777 != entry.mode) return false;
        matched += 1;
    }
    return matched == manifest.count;
}

/// Removes a directory this launcher made (its files, a Deno cache below it), as far as it can.
fn remove_tree(parent: posix.fd_t, name: []const u8, depth: usize) void {
    if (depth > 16) return;
    var dir = std.fs.Dir{ .fd = posix.openat(parent, name, .{ .DIRECTORY = true, .NOFOLLOW = true, .CLOEXEC = true }, 0) catch return };
    var it = dir.iterate();
    var count: usize = 0;
    while (it.next() catch null) |child| : (count += 1) {
        if (count > 100_000) break;
        if (child.kind == .directory) remove_tree(dir.fd, child.name, depth + 1);
        posix.unlinkat(dir.fd, child.name, 0) catch {};
    }
    dir.close();
    posix.unlinkat(parent, name, posix.AT.REMOVEDIR) catch {};
}

fn unpack(exe: posix.fd_t, top: posix.fd_t, manifest: *const Manifest) !void {
    var random: [8]u8 = undefined;
    posix.getrandom(&random) catch std.mem.writeInt(u64, &random, @intCast(linux.getpid()), .little);
    var tmp_buf: [128]u8 = undefined;
    const tmp = try std.fmt.bufPrintZ(&tmp_buf, "{s}.new-{x}", .{ manifest.id[0..16], std.mem.readInt(u64, &random, .little) });
    try posix.mkdiratZ(top, tmp, 0o700);
    errdefer remove_tree(top, tmp, 0);
    const dir = try posix.openatZ(top, tmp, .{ .DIRECTORY = true, .NOFOLLOW = true, .CLOEXEC = true }, 0);
    defer posix.close(dir);
    for (manifest.entries[0..manifest.count]) |*entry| try unpack_file(exe, dir, entry);
    try write_stamp(dir, manifest);
    var id_buf: [65]u8 = undefined;
    const id = try std.fmt.bufPrintZ(&id_buf, "{s}", .{manifest.id});
    posix.renameatZ(top, tmp, top, id) catch |err| switch (err) {
        // Another start of the same file won: its copy is used (checked like any other).
        error.PathAlreadyExists => remove_tree(top, tmp, 0),
        else => return err,
    };
}

/// Finds the unpacked copy (unpacking or replacing it as needed); returns it opened.
fn ready_copy(exe: posix.fd_t, top: posix.fd_t, manifest: *const Manifest, uid: u32) posix.fd_t {
    var id_buf: [65]u8 = undefined;
    const id = std.fmt.bufPrintZ(&id_buf, "{s}", .{manifest.id}) catch unreachable;
    var attempt: usize = 0;
    while (attempt < 4) : (attempt += 1) {
        if (posix.openatZ(top, id, .{ .DIRECTORY = true, .NOFOLLOW = true, .CLOEXEC = true }, 0)) |dir| {
            const st = fstat(dir) catch fail("cannot look at the unpacked copy", .{});
            if (st.uid == uid and st.mode & 0o077 == 0 and intact(dir, manifest, uid)) return dir;
            posix.close(dir);
            // Damaged or half-made: moved aside and removed, never run.
            var bad_buf: [128]u8 = undefined;
            const bad = std.fmt.bufPrintZ(&bad_buf, "{s}.bad-{d}", .{ manifest.id[0..16], linux.getpid() }) catch unreachable;
            posix.renameatZ(top, id, top, bad) catch {};
            remove_tree(top, bad, 0);
            if (attempt == 0) {
                const text = "syd: the unpacked copy was damaged: unpacking it again\n";
                _ = linux.write(2, text.ptr, text.len);
            }
        } else |err| switch (err) {
            error.FileNotFound => {},
            else => fail("cannot open the unpacked copy: {s}", .{@errorName(err)}),
        }
        unpack(exe, top, manifest) catch |err| switch (err) {
            error.Damaged => fail("this file is damaged (its payload does not match its SHA-256): get it again", .{}),
            else => fail("cannot unpack into the cache directory: {s}", .{@errorName(err)}),
        };
    }
    fail("the unpacked copy keeps changing under this start: giving up", .{});
}

/// The check ./syd makes of SYD_LOG_FD while the fd table is still the caller's.
fn check_log_fd() void {
    const text = posix.getenv("SYD_LOG_FD") orelse return;
    if (text.len == 0 or text.len > 9) return;
    for (text) |c| if (!std.ascii.isDigit(c)) return;
    const fd = std.fmt.parseUnsigned(i32, text, 10) catch return;
    const rc = linux.fcntl(fd, posix.F.GETFL, 0);
    if (posix.errno(rc) != .SUCCESS) {
        const msg = std.fmt.allocPrint(std.heap.page_allocator, "syd: SYD_LOG_FD: fd {d} is not open\n", .{fd}) catch "syd: SYD_LOG_FD: not open\n";
        _ = linux.write(2, msg.ptr, msg.len);
        linux.exit_group(9);
    }
    if (rc & 3 == 0) {
        const msg = std.fmt.allocPrint(std.heap.page_allocator, "syd: SYD_LOG_FD: fd {d} is not open for writing\n", .{fd}) catch "syd: SYD_LOG_FD: not writable\n";
        _ = linux.write(2, msg.ptr, msg.len);
        linux.exit_group(77);
    }
}

pub fn main() noreturn {
    check_log_fd();
    const uid = linux.getuid();
    const exe = posix.openZ("/proc/self/exe", .{ .CLOEXEC = true }, 0) catch
        fail("cannot open /proc/self/exe (is /proc mounted?)", .{});
    const st = fstat(exe) catch fail("cannot stat /proc/self/exe", .{});
    const file_len: u64 = @intCast(st.size);
    if (file_len < trailer_len) fail("this file has no payload: it is the launcher alone", .{});
    var trailer: [trailer_len]u8 = undefined;
    const got = posix.pread(exe, &trailer, file_len - trailer_len) catch 0;
    if (got != trailer_len or !std.mem.eql(u8, trailer[0..trailer_magic.len], trailer_magic))
        fail("this file has no payload: it is the launcher alone or damaged", .{});
    const manifest_offset = std.mem.readInt(u64, trailer[trailer_magic.len..][0..8], .little);
    const manifest_len = std.mem.readInt(u64, trailer[trailer_magic.len + 8 ..][0..8], .little);
    if (manifest_len > manifest_len_max or manifest_offset > file_len - trailer_len or
        manifest_len != file_len - trailer_len - manifest_offset)
        fail("this file is damaged (its manifest is out of place): get it again", .{});
    var manifest_buf: [manifest_len_max]u8 = undefined;
    const manifest_text = manifest_buf[0..@intCast(manifest_len)];
    if ((posix.pread(exe, manifest_text, manifest_offset) catch 0) != manifest_text.len)
        fail("cannot read this file's manifest", .{});
    const manifest = parse(manifest_text, manifest_offset) catch fail("this file is damaged (bad manifest): get it again", .{});

    const cache = cache_dir(uid);
    const copy = ready_copy(exe, cache, &manifest, uid);
    // Deno is given the copy's path as the kernel names the directory checked: no symlink in
    // it, and every directory on it trusted (trusted_chain), so no other user can make the path
    // lead elsewhere between the check and Deno's use of it.
    var link_buf: [64]u8 = undefined;
    const link = std.fmt.bufPrintZ(&link_buf, "/proc/self/fd/{d}", .{copy}) catch unreachable;
    var real_buf: [4096]u8 = undefined;
    const real = posix.readlinkZ(link, &real_buf) catch fail("cannot name the unpacked copy", .{});
    if (real.len == 0 or real[0] != '/' or std.mem.endsWith(u8, real, " (deleted)"))
        fail("the unpacked copy went away", .{});
    posix.close(copy);
    posix.close(cache);
    posix.close(exe);
    exec_deno(real, &manifest);
}

fn exec_deno(dir: []const u8, manifest: *const Manifest) noreturn {
    assert(dir.len > 0 and dir[0] == '/');
    var arena_state = std.heap.ArenaAllocator.init(std.heap.page_allocator);
    const arena = arena_state.allocator();
    const deno = std.fmt.allocPrintZ(arena, "{s}/deno", .{dir}) catch fail("out of memory", .{});
    const fixed = [_][]const u8{
        "run",
        "--allow-all",
        "--quiet",
        "--no-config",
        "--no-lock",
        // As ./syd: a young generation of at most 1 MiB, V8 tuned for size.
        "--v8-flags=--max-semi-space-size=1,--optimize-for-size",
    };
    const args = std.os.argv;
    const argv = arena.allocSentinel(?[*:0]const u8, 1 + fixed.len + 1 + args.len - 1, null) catch fail("out of memory", .{});
    argv[0] = deno.ptr;
    for (fixed, 0..) |arg, i| argv[1 + i] = (arena.dupeZ(u8, arg) catch fail("out of memory", .{})).ptr;
    argv[1 + fixed.len] = (std.fmt.allocPrintZ(arena, "{s}/syd.js", .{dir}) catch fail("out of memory", .{})).ptr;
    for (args[1..], 0..) |arg, i| argv[2 + fixed.len + i] = arg;

    const ours = [_][]const u8{ "SYD_LIBSYD=", "DENO_DIR=", "DENO_NO_UPDATE_CHECK=", "SYD_DIST=", "SYD_DIST_DIR=" };
    var env = std.ArrayList(?[*:0]const u8).init(arena);
    for (std.os.environ) |entry| {
        const text = std.mem.span(entry);
        var skip = false;
        for (ours) |prefix| {
            if (std.mem.startsWith(u8, text, prefix)) skip = true;
        }
        if (!skip) env.append(entry) catch fail("out of memory", .{});
    }
    const added = [_][:0]const u8{
        std.fmt.allocPrintZ(arena, "SYD_LIBSYD={s}/libsyd.so", .{dir}) catch fail("out of memory", .{}),
        std.fmt.allocPrintZ(arena, "DENO_DIR={s}/deno-cache", .{dir}) catch fail("out of memory", .{}),
        "DENO_NO_UPDATE_CHECK=1",
        std.fmt.allocPrintZ(arena, "SYD_DIST={s}", .{manifest.info}) catch fail("out of memory", .{}),
        // Where every copy of the user's lives: denied to the sandbox (main.ts protectOwnFiles).
        std.fmt.allocPrintZ(arena, "SYD_DIST_DIR={s}", .{std.fs.path.dirname(dir) orelse dir}) catch fail("out of memory", .{}),
    };
    for (added) |entry| env.append(entry.ptr) catch fail("out of memory", .{});
    env.append(null) catch fail("out of memory", .{});
    const envp: [*:null]const ?[*:0]const u8 = @ptrCast(env.items.ptr);
    const err = posix.execveZ(deno, argv.ptr, envp);
    fail("cannot run the unpacked Deno ({s}): {s}", .{ deno, @errorName(err) });
}

test "parse: a well-formed manifest" {
    const text =
        "syd-dist 1\n" ++
        "id " ++ "ab" ** 32 ++ "\n" ++
        "info made by tools/dist.sh from commit 0123\n" ++
        "file deno 0 10 20 " ++ "00" ** 32 ++ " gzip 500\n" ++
        "file syd.js 10 5 5 " ++ "11" ** 32 ++ " raw 400\n" ++
        "file libsyd.so 15 5 5 " ++ "22" ** 32 ++ " raw 400\n";
    const manifest = try parse(text, 20);
    try std.testing.expectEqual(@as(usize, 3), manifest.count);
    try std.testing.expectEqualStrings("made by tools/dist.sh from commit 0123", manifest.info);
    try std.testing.expect(manifest.find("deno").?.gzip);
    try std.testing.expectEqual(@as(posix.mode_t, 0o500), manifest.find("deno").?.mode);
}

test "parse: damaged manifests are refused, never trusted" {
    const good_file = "file deno 0 10 20 " ++ "00" ** 32 ++ " gzip 500\nfile syd.js 10 5 5 " ++ "11" ** 32 ++ " raw 400\nfile libsyd.so 15 5 5 " ++ "22" ** 32 ++ " raw 400\n";
    const id = "id " ++ "ab" ** 32 ++ "\n";
    const bad = [_][]const u8{
        "",
        "syd-dist 2\n" ++ id ++ good_file,
        "syd-dist 1\n" ++ good_file, // no id
        "syd-dist 1\n" ++ id ++ "file deno 0 10 20 " ++ "00" ** 32 ++ " gzip 500\n", // files missing
        "syd-dist 1\n" ++ id ++ good_file ++ "file ../x 0 1 1 " ++ "00" ** 32 ++ " raw 400\n",
        "syd-dist 1\n" ++ id ++ good_file ++ "file x 15 6 6 " ++ "00" ** 32 ++ " raw 400\n", // past the payload
        "syd-dist 1\n" ++ id ++ good_file ++ "file x 18446744073709551615 2 2 " ++ "00" ** 32 ++ " raw 400\n",
        "syd-dist 1\n" ++ id ++ good_file ++ "file x 0 1 1 " ++ "00" ** 32 ++ " raw 4755\n", // set-user-ID
        "syd-dist 1\n" ++ id ++ good_file ++ "file deno 0 1 1 " ++ "00" ** 32 ++ " raw 400\n", // twice
        "syd-dist 1\n" ++ id ++ good_file ++ "unknown line\n",
        "syd-dist 1\n" ++ "id " ++ "AB" ** 32 ++ "\n" ++ good_file,
        "syd-dist 1\n" ++ id ++ "info bad\x1b[0m\n" ++ good_file,
    };
    for (bad) |text| try std.testing.expectError(error.BadManifest, parse(text, 20));
}

test "parse: random bytes and damaged copies of a good manifest never crash the parser" {
    const good = "syd-dist 1\nid " ++ "ab" ** 32 ++ "\ninfo x\n" ++
        "file deno 0 10 20 " ++ "00" ** 32 ++ " gzip 500\nfile syd.js 10 5 5 " ++ "11" ** 32 ++
        " raw 400\nfile libsyd.so 15 5 5 " ++ "22" ** 32 ++ " raw 400\n";
    var prng = std.Random.DefaultPrng.init(0x5d_0001);
    const random = prng.random();
    var buf: [512]u8 = undefined;
    var round: usize = 0;
    while (round < 20_000) : (round += 1) {
        var len: usize = undefined;
        if (round % 2 == 0) {
            len = random.uintLessThan(usize, buf.len);
            random.bytes(buf[0..len]);
        } else {
            len = good.len;
            @memcpy(buf[0..len], good);
            var flips: usize = 0;
            while (flips < 3) : (flips += 1) buf[random.uintLessThan(usize, len)] = random.int(u8);
            len = random.uintAtMost(usize, len);
        }
        const payload_end = if (round % 3 == 0) random.int(u64) else random.uintAtMost(u64, 64);
        const manifest = parse(buf[0..len], payload_end) catch continue;
        for (manifest.entries[0..manifest.count]) |entry| {
            try std.testing.expect(entry.offset + entry.stored_len <= payload_end);
            try std.testing.expect(entry.mode == 0o500 or entry.mode == 0o400);
        }
    }
}
