//! /proc content served filtered, as the original: an open of a process's status file
//! (/proc/PID/status, /proc/PID/task/TID/status) gets a sealed memfd holding the file syd
//! opened, with the fields that tell a sandbox apart normalised: TracerPid, NoNewPrivs, Seccomp
//! and Seccomp_filters read 0, Speculation_Store_Bypass and SpeculationIndirectBranch read as
//! an unconfined process's (unless trace/allow_unsafe_proc_pid_status, which /dev/syd may
//! change at run time).
//!
//! Race-free: the content comes from the fd syd opened on the canonical path it judged, and
//! the caller gets a copy it cannot write (sealed); nothing is read again by the kernel.
//!
//! Needs: memfd_create with sealing (Linux 3.17).
//! Assumes: open.zig calls `serve` with the fd it opened for a read-only, non-O_PATH open; a
//! status file is at most `status_len_max` bytes (the rest is cut, as a short read would).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../sys.zig");
const handlers = @import("mod.zig");

const Request = handlers.Request;

const status_len_max: usize = 32768; // twice on an emulator's 256 KiB stack

/// The fd to hand over for an open of `canonical` that syd performed as `fd`: `fd` itself, or a
/// sealed memfd with the filtered content (then `fd` is closed).
pub fn serve(request: *const Request, canonical: []const u8, flags: u32, fd: i32) sys.Errno!i32 {
    assert(fd >= 0 and canonical.len > 0);
    const o_accmode: u32 = 0o3;
    if (flags & o_accmode != 0 or flags & handlers.o.path != 0) return fd;
    if (request.policy.allow_unsafe_proc_pid_status or !is_status(canonical)) return fd;
    var text_buf: [status_len_max]u8 = undefined;
    const text = text_buf[0..try sys.read_full(fd, &text_buf)];
    var out_buf: [status_len_max]u8 = undefined;
    const masked = mask_status(text, &out_buf);
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

/// `text` with the fields above normalised, into `out` (cut at its end).
fn mask_status(text: []const u8, out: []u8) []const u8 {
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
        if (in(key, &zeroed)) {
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
    return if (is_status(path)) path else null;
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
    const mfd_cloexec: u32 = 1;
    const mfd_allow_sealing: u32 = 2;
    var name_buf: [tag_len + 64]u8 = undefined;
    const name = std.fmt.bufPrintZ(&name_buf, "{s}{s}", .{ tag(), canonical }) catch return error.NAMETOOLONG;
    const fd: i32 = @intCast(try sys.check(linux.memfd_create(name.ptr, mfd_cloexec | mfd_allow_sealing)));
    errdefer sys.close(fd);
    try sys.write_all(fd, content);
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
        "Speculation_Store_Bypass:\tvulnerable\nSpeculationIndirectBranch:\talways enabled\nCpus_allowed:\t3\n", mask_status(text, &out));
    try std.testing.expectEqualStrings("Speculation_Store_Bypass:\tnot vulnerable", mask_status("Speculation_Store_Bypass:\tnot vulnerable", &out));
    try std.testing.expectEqualStrings("SpeculationIndirectBranch:\talways enabled", mask_status("SpeculationIndirectBranch:\tunknown", &out));
}
