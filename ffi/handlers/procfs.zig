//! /proc content served filtered, as the original: an open of a process's status file
//! (/proc/PID/status, /proc/PID/task/TID/status) gets a sealed memfd holding the file syd
//! opened, with the fields that tell a sandbox apart normalised: TracerPid, NoNewPrivs, Seccomp
//! and Seccomp_filters read 0, Speculation_Store_Bypass and SpeculationIndirectBranch read as
//! an unconfined process's (unless trace/allow_unsafe_proc_pid_status, which /dev/syd may
//! change at run time). An open of a UNIX socket table (/proc/net/unix and its per-process
//! forms), once syd has bound a socket, gets the table with the names of the sockets syd bound
//! by a unique name (unix_names.zig) given back as their program gave them.
//!
//! Race-free: the content comes from the fd syd opened on the canonical path it judged, and
//! the caller gets a copy it cannot write (sealed); nothing is read again by the kernel.
//!
//! Needs: memfd_create with sealing (Linux 3.17).
//! Assumes: open.zig calls `serve` with the fd it opened for a read-only, non-O_PATH open; a
//! status file is at most `status_len_max` bytes (the rest is cut, as a short read would); a
//! line of a socket table is shorter than `table_chunk_len` (a longer one is passed on as read).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const handlers = @import("mod.zig");
const unix_names = @import("unix_names.zig");
const namespaces = @import("../layers/namespaces.zig");

const Request = handlers.Request;

const status_len_max: usize = 32768; // twice on an emulator's 256 KiB stack

/// The fd to hand over for an open of `canonical` that syd performed as `fd`: `fd` itself, or a
/// sealed memfd with the filtered content (then `fd` is closed).
pub fn serve(request: *const Request, canonical: []const u8, flags: u32, fd: i32) sys.Errno!i32 {
    assert(fd >= 0 and canonical.len > 0);
    const o_accmode: u32 = 0o3;
    if (flags & o_accmode != 0 or flags & handlers.o.path != 0) return fd;
    if (unix_names.any_bound() and is_net_unix(canonical)) {
        const mfd = try unix_table(fd, canonical);
        sys.close(fd);
        return mfd;
    }
    // In a user namespace the ids are written too: the kernel formats them for the reader, syd.
    const map = namespaces.id_map;
    const mask = !request.policy.allow_unsafe_proc_pid_status;
    if (!is_status(canonical) or (!mask and map == null)) return fd;
    var text_buf: [status_len_max]u8 = undefined;
    const text = text_buf[0..try sys.read_full(fd, &text_buf)];
    var out_buf: [status_len_max]u8 = undefined;
    const masked = mask_status(text, &out_buf, mask, if (map) |*m| m else null);
    const mfd = try sealed_memfd(masked, canonical);
    sys.close(fd);
    return mfd;
}

/// /proc/N/status or /proc/N/task/N/status.
fn is_status(canonical: []const u8) bool {
    var parts = std.mem.splitScalar(u8, canonical, '/');
    var words: [6][]const u8 = undefined;
    var n: usize = 0;
    while (parts.next()) |part| {
        if (n == words.len) return false;
        words[n] = part;
        n += 1;
    }
    if (n < 4 or words[0].len != 0 or !std.mem.eql(u8, words[1], "proc") or !number(words[2])) return false;
    if (n == 4) return std.mem.eql(u8, words[3], "status");
    return n == 6 and std.mem.eql(u8, words[3], "task") and number(words[4]) and std.mem.eql(u8, words[5], "status");
}

/// A UNIX socket table: /proc/net/unix, /proc/PID/net/unix, /proc/PID/task/TID/net/unix (as
/// the original: under /proc, ending in /net/unix, not under /proc/sys).
fn is_net_unix(canonical: []const u8) bool {
    return std.mem.startsWith(u8, canonical, "/proc/") and std.mem.endsWith(u8, canonical, "/net/unix") and
        !std.mem.startsWith(u8, canonical, "/proc/sys/");
}

const table_chunk_len: usize = 16384;

/// The socket table syd opened as `fd`, line by line into a sealed memfd, each line naming a
/// socket syd bound by a unique name rewritten with the name its program gave.
fn unix_table(fd: i32, canonical: []const u8) sys.Errno!i32 {
    assert(fd >= 0);
    const mfd = try open_memfd(canonical);
    errdefer sys.close(mfd);
    var in_buf: [table_chunk_len]u8 = undefined;
    var out_buf: [table_chunk_len + 2 * unix_names.sun_path_len_max]u8 = undefined;
    var held: usize = 0; // the start of a line not yet ended, kept at the front of in_buf
    // A socket table is finite, but the loop is bounded anyway: 1 GiB of table at most.
    var rounds: usize = 0;
    while (rounds < (1 << 30) / table_chunk_len) : (rounds += 1) {
        const n = try sys.read(fd, in_buf[held..]);
        const end = held + n;
        const last_newline = if (std.mem.lastIndexOfScalar(u8, in_buf[0..end], '\n')) |at| at + 1 else 0;
        // A line longer than the buffer, or the last one without a newline: passed on as read.
        const whole = if (n == 0 or (last_newline == 0 and end == in_buf.len)) end else last_newline;
        var out_len: usize = 0;
        var lines = std.mem.splitScalar(u8, in_buf[0..whole], '\n');
        while (lines.next()) |line| {
            if (lines.index == null and line.len == 0) break; // after the last newline
            assert(line.len <= table_chunk_len);
            // Room for the line, a longer name and its newline: what came before goes out first.
            if (out_buf.len - out_len < line.len + unix_names.sun_path_len_max + 1) {
                try sys.write_all(mfd, out_buf[0..out_len]);
                out_len = 0;
            }
            out_len += unix_line(line, out_buf[out_len..]);
            if (lines.index != null or whole == last_newline) {
                out_buf[out_len] = '\n';
                out_len += 1;
            }
        }
        try sys.write_all(mfd, out_buf[0..out_len]);
        if (n == 0) break;
        std.mem.copyForwards(u8, in_buf[0 .. end - whole], in_buf[whole..end]);
        held = end - whole;
    }
    return finish_memfd(mfd);
}

/// One line of a socket table into `out` (room for the line and a name): its path field
/// replaced with the name the program gave when it names a socket syd bound. Returns the length.
fn unix_line(line: []const u8, out: []u8) usize {
    assert(out.len >= line.len + unix_names.sun_path_len_max);
    // Seven fields (Num RefCount Protocol Flags Type St Inode), then one space and the path.
    var at: usize = 0;
    var inode: u64 = 0;
    var field: usize = 0;
    while (field < 7) : (field += 1) {
        while (at < line.len and line[at] == ' ') at += 1;
        const start = at;
        while (at < line.len and line[at] != ' ') at += 1;
        if (start == at) break;
        if (field == 6) inode = std.fmt.parseInt(u64, line[start..at], 10) catch 0;
    }
    if (field == 7 and inode != 0 and at + 1 < line.len and line[at] == ' ') {
        var given: [unix_names.sun_path_len_max]u8 = undefined;
        if (unix_names.given_name(inode, line[at + 1 ..], &given)) |len| {
            @memcpy(out[0 .. at + 1], line[0 .. at + 1]);
            @memcpy(out[at + 1 ..][0..len], given[0..len]);
            return at + 1 + len;
        }
    }
    @memcpy(out[0..line.len], line);
    return line.len;
}

fn number(word: []const u8) bool {
    if (word.len == 0 or word.len > 10) return false;
    for (word) |c| if (c < '0' or c > '9') return false;
    return true;
}

const Patch = struct { needle: []const u8, replacement: []const u8 };
/// As the original: the least-safe wording for SSB, always enabled for indirect branches.
const ssb_patches = [_]Patch{
    .{ .needle = "unknown", .replacement = "vulnerable" },
    .{ .needle = "unsupported", .replacement = "vulnerable" },
    .{ .needle = "thread ", .replacement = "" },
    .{ .needle = "force ", .replacement = "" },
    .{ .needle = "mitigated", .replacement = "vulnerable" },
};
const sib_patches = [_]Patch{
    .{ .needle = "unknown", .replacement = "always enabled" },
    .{ .needle = "unsupported", .replacement = "always enabled" },
    .{ .needle = "conditional", .replacement = "always" },
    .{ .needle = "force ", .replacement = "" },
    .{ .needle = "disabled", .replacement = "enabled" },
};
const zeroed = [_][]const u8{ "TracerPid:", "NoNewPrivs:", "Seccomp:", "Seccomp_filters:" };

/// `text` with the fields above normalised (`mask`), and its Uid, Gid and Groups as the
/// sandbox's user namespace shows them (`map`: found by the attack session), into `out` (cut
/// at its end).
fn mask_status(text: []const u8, out: []u8, mask: bool, map: ?*const namespaces.IdMap) []const u8 {
    var w: Writer = .{ .out = out };
    var lines = std.mem.splitScalar(u8, text, '\n');
    var first = true;
    while (lines.next()) |line| {
        if (!first) w.put("\n");
        first = false;
        const colon = std.mem.indexOfScalar(u8, line, ':') orelse {
            w.put(line);
            continue;
        };
        const key = line[0 .. colon + 1];
        var value_at = colon + 1;
        while (value_at < line.len and (line[value_at] == ' ' or line[value_at] == '\t')) value_at += 1;
        const head = line[0..value_at];
        const value = line[value_at..];
        const ids = std.mem.eql(u8, key, "Uid:") or std.mem.eql(u8, key, "Gid:") or std.mem.eql(u8, key, "Groups:");
        if (map != null and ids) {
            w.put(head);
            var items = std.mem.tokenizeAny(u8, value, " \t");
            var count: usize = 0;
            while (items.next()) |item| : (count += 1) {
                const id = std.fmt.parseInt(u32, item, 10) catch std.math.maxInt(u32);
                const shown = if (key[0] == 'U') map.?.uid(id) else map.?.gid(id);
                var num: [12]u8 = undefined;
                if (count > 0) w.put(if (key[0] == 'G' and key[1] == 'r') " " else "\t");
                w.put(std.fmt.bufPrint(&num, "{d}", .{shown}) catch unreachable);
            }
            if (key[1] == 'r' and count > 0) w.put(" "); // Groups ends with a space, as the kernel's
        } else if (!mask) {
            w.put(line);
        } else if (in(key, &zeroed)) {
            w.put(head);
            w.put("0");
        } else if (std.mem.eql(u8, key, "Speculation_Store_Bypass:")) {
            w.put(head);
            patched(&w, value, &ssb_patches);
        } else if (std.mem.eql(u8, key, "SpeculationIndirectBranch:")) {
            w.put(head);
            patched(&w, value, &sib_patches);
        } else w.put(line);
    }
    return out[0..w.len];
}

fn in(key: []const u8, keys: []const []const u8) bool {
    for (keys) |k| if (std.mem.eql(u8, k, key)) return true;
    return false;
}

/// `value` with each patch applied once, in order.
fn patched(w: *Writer, value: []const u8, patches: []const Patch) void {
    const cap: usize = 256;
    if (value.len > cap) return w.put(value);
    var bufs: [2][cap]u8 = undefined;
    var cur: usize = 0;
    var len = value.len;
    @memcpy(bufs[0][0..len], value);
    for (patches) |p| {
        const at = std.mem.indexOf(u8, bufs[cur][0..len], p.needle) orelse continue;
        const new_len = len - p.needle.len + p.replacement.len;
        if (new_len > cap) break;
        const next = 1 - cur;
        @memcpy(bufs[next][0..at], bufs[cur][0..at]);
        @memcpy(bufs[next][at..][0..p.replacement.len], p.replacement);
        @memcpy(bufs[next][at + p.replacement.len .. new_len], bufs[cur][at + p.needle.len .. len]);
        cur = next;
        len = new_len;
    }
    w.put(bufs[cur][0..len]);
}

const Writer = struct {
    out: []u8,
    len: usize = 0,

    fn put(self: *Writer, bytes: []const u8) void {
        const n = @min(bytes.len, self.out.len - self.len);
        @memcpy(self.out[self.len..][0..n], bytes[0..n]);
        self.len += n;
    }
};

/// The memfd name's prefix: random per run of syd, so that no memfd named by chance passes for one
/// syd served. The sandbox can learn it (its maps name a served memfd it mapped): what answers
/// for the file checks the inode too (`served_file`).
var tag_buf: [tag_len]u8 = undefined;
const tag_len: usize = 20; // "syd-" and 16 hex digits
var tag_once = std.once(make_tag);

fn make_tag() void {
    var random: [8]u8 = undefined;
    std.crypto.random.bytes(&random);
    const hex = std.fmt.bytesToHex(random, .lower);
    _ = std.fmt.bufPrint(&tag_buf, "syd-{s}", .{&hex}) catch unreachable;
}

fn tag() []const u8 {
    tag_once.call();
    return &tag_buf;
}

/// For the target of a memfd's /proc/.../fd/N link: the path of the file syd served in it
/// (`/memfd:<tag>/proc/N/status (deleted)` gives `/proc/N/status`), or null.
pub fn served_path(link: []const u8) ?[]const u8 {
    const memfd = "/memfd:";
    const deleted = " (deleted)";
    if (!std.mem.startsWith(u8, link, memfd) or !std.mem.endsWith(u8, link, deleted)) return null;
    const name = link[memfd.len .. link.len - deleted.len];
    if (!std.mem.startsWith(u8, name, tag())) return null;
    const path = name[tag_len..];
    return if (is_status(path) or is_net_unix(path)) path else null;
}

/// For the metadata of a memfd `file` (an fd of syd's) whose link is `link`: the path of the
/// file syd served in it, only when syd made that memfd. The tag alone does not tell: the sandbox
/// reads it in /proc/self/maps once it maps a served memfd, and may name its own memfds with it
/// (the metadata of any /proc/PID/status, stat sandboxing aside). The link's text needs no such
/// check: readlink answers the sandbox nothing its own maps do not show.
pub fn served_file(file: i32, link: []const u8) ?[]const u8 {
    assert(served.any.load(.acquire)); // callers ask `any_served` first
    assert(file >= 0);
    const path = served_path(link) orelse return null;
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(file, &st)) catch return null;
    if (st.mode & linux.S.IFMT != linux.S.IFREG or !served.has(st.dev, st.ino)) return null;
    return path;
}

/// Whether syd has served a filtered file in this run: the fd stats of a program that never
/// opened one skip the readlink `served_file` needs.
pub fn any_served() bool {
    return served.any.load(.acquire);
}

/// The memfds syd served (by device and inode, unique while open): the newest `len_max`. One
/// older than those is answered as the memfd it is (metadata of a memfd: fails safe).
const served = struct {
    const Entry = struct { dev: u64 = 0, ino: u64 = 0 };
    const len_max: usize = 4096;
    var mutex: std.Thread.Mutex = .{};
    var entries: [len_max]Entry = [_]Entry{.{}} ** len_max;
    var next: usize = 0;
    /// Whether syd ever served one: until then an fd's stat needs no look at its link.
    var any: std.atomic.Value(bool) = .init(false);

    fn add(dev: u64, ino: u64) void {
        assert(ino != 0);
        any.store(true, .release);
        mutex.lock();
        defer mutex.unlock();
        entries[next] = .{ .dev = dev, .ino = ino };
        next = (next + 1) % len_max;
        assert(next < len_max);
    }

    fn has(dev: u64, ino: u64) bool {
        if (ino == 0) return false;
        mutex.lock();
        defer mutex.unlock();
        for (entries) |entry| if (entry.ino == ino and entry.dev == dev) return true;
        return false;
    }
};

fn sealed_memfd(content: []const u8, canonical: []const u8) sys.Errno!i32 {
    const fd = try open_memfd(canonical);
    errdefer sys.close(fd);
    try sys.write_all(fd, content);
    return finish_memfd(fd);
}

/// A memfd named by the tag and `canonical`, for the content syd serves.
fn open_memfd(canonical: []const u8) sys.Errno!i32 {
    assert(canonical.len > 0);
    const mfd_cloexec: u32 = 1;
    const mfd_allow_sealing: u32 = 2;
    var name_buf: [tag_len + 64]u8 = undefined;
    const name = std.fmt.bufPrintZ(&name_buf, "{s}{s}", .{ tag(), canonical }) catch return error.NAMETOOLONG;
    const fd: i32 = @intCast(try sys.check(linux.memfd_create(name.ptr, mfd_cloexec | mfd_allow_sealing)));
    assert(fd >= 0);
    return fd;
}

/// Rewinds, seals and records the memfd `fd` (closed on error).
fn finish_memfd(fd: i32) sys.Errno!i32 {
    assert(fd >= 0);
    errdefer sys.close(fd);
    _ = try sys.check(linux.lseek(fd, 0, linux.SEEK.SET));
    const f_add_seals: i32 = 1033;
    const seals: usize = 0x1 | 0x2 | 0x4 | 0x8; // seal, shrink, grow, write
    _ = try sys.check(linux.fcntl(fd, f_add_seals, seals));
    var st: linux.Stat = undefined;
    _ = try sys.check(linux.fstat(fd, &st));
    served.add(st.dev, st.ino);
    return fd;
}

test "served_path knows only the memfds syd named" {
    var buf: [128]u8 = undefined;
    const ours = try std.fmt.bufPrint(&buf, "/memfd:{s}/proc/12/status (deleted)", .{tag()});
    try std.testing.expectEqualStrings("/proc/12/status", served_path(ours).?);
    try std.testing.expect(served_path("/memfd:syd-0000000000000000/proc/12/status (deleted)") == null);
    try std.testing.expect(served_path("/proc/12/status") == null);
}

test "is_status names a process's or a thread's status file only" {
    try std.testing.expect(is_status("/proc/12/status"));
    try std.testing.expect(is_status("/proc/12/task/13/status"));
    for ([_][]const u8{ "/proc/self/status", "/proc/12/stat", "/proc/12/task/status", "/proc/sys/status", "/tmp/12/status", "/proc/12/task/13/status/x" }) |path| {
        try std.testing.expect(!is_status(path));
    }
}

test "mask_status zeroes the seccomp and tracer fields and rewords speculation" {
    const text = "Name:\tsh\nTracerPid:\t4242\nSeccomp:\t2\nSeccomp_filters:\t1\nNoNewPrivs:\t1\n" ++
        "Speculation_Store_Bypass:\tthread force mitigated\nSpeculationIndirectBranch:\tconditional force disabled\nCpus_allowed:\t3\n";
    var out: [512]u8 = undefined;
    try std.testing.expectEqualStrings("Name:\tsh\nTracerPid:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\nNoNewPrivs:\t0\n" ++
        "Speculation_Store_Bypass:\tvulnerable\nSpeculationIndirectBranch:\talways enabled\nCpus_allowed:\t3\n", mask_status(text, &out, true, null));
    try std.testing.expectEqualStrings("Speculation_Store_Bypass:\tnot vulnerable", mask_status("Speculation_Store_Bypass:\tnot vulnerable", &out, true, null));
    try std.testing.expectEqualStrings("SpeculationIndirectBranch:\talways enabled", mask_status("SpeculationIndirectBranch:\tunknown", &out, true, null));
    // In a user namespace: syd's ids as the sandbox's, every other the overflow id.
    const map: namespaces.IdMap = .{ .outside_uid = 1000, .inside_uid = 0, .outside_gid = 100, .inside_gid = 0 };
    try std.testing.expectEqualStrings("Uid:\t0\t0\t0\t65534\nGid:\t0\t0\t0\t0\nGroups:\t0 65534 \nTracerPid:\t7", mask_status("Uid:\t1000\t1000\t1000\t5\nGid:\t100\t100\t100\t100\nGroups:\t100 27 \nTracerPid:\t7", &out, false, &map));
}

test "is_net_unix names the socket tables under /proc only" {
    for ([_][]const u8{ "/proc/net/unix", "/proc/12/net/unix", "/proc/12/task/13/net/unix" }) |path| try std.testing.expect(is_net_unix(path));
    for ([_][]const u8{ "/proc/sys/net/unix", "/tmp/net/unix", "/proc/12/net/unix2", "/proc/net/tcp" }) |path| try std.testing.expect(!is_net_unix(path));
}

test "unix_line passes on every line that names no socket syd bound, whatever its shape" {
    var prng = std.Random.DefaultPrng.init(0x5eed);
    const random = prng.random();
    var out: [256 + unix_names.sun_path_len_max]u8 = undefined;
    const shapes = [_][]const u8{
        "Num       RefCount Protocol Flags    Type St Inode Path",
        "0000000003c8b6ed: 00000003 00000000 00000000 0001 03 19929960",
        "000000000f30a948: 00000002 00000000 00010000 0001 01 19929976 ././sock",
        "",
        " ",
        "a b c d e f 18446744073709551616 x",
    };
    for (shapes) |line| try std.testing.expectEqualStrings(line, out[0..unix_line(line, &out)]);
    var line: [256]u8 = undefined;
    var round: usize = 0;
    while (round < 20_000) : (round += 1) {
        const len = random.uintAtMost(usize, line.len);
        for (line[0..len]) |*c| c.* = " 0123456789./x"[random.uintLessThan(usize, 14)];
        try std.testing.expectEqualStrings(line[0..len], out[0..unix_line(line[0..len], &out)]);
    }
}
