//! `/dev/syd`, the libsyd half: `stat("/dev/syd/CMD")` from a process the lock lets through
//! runs CMD (forwarded to TypeScript by magic.zig's channel) and answers like /dev/null on
//! success; `open("/dev/syd")` reads the policy in force as JSON. For a process the lock keeps
//! out, /dev/syd is an ordinary path (which does not exist).
//!
//! Paths are matched as the caller wrote them, not canonicalised, as in the original: a
//! command's text may hold anything but NUL, `..` and `//` included.
//!
//! Needs: memfd_create with sealing (Linux 3.17).
//! Assumes: nothing beyond mod.zig's Request.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const handlers = @import("mod.zig");

const Request = handlers.Request;
const Response = handlers.Response;

pub const prefix = "/dev/syd";

/// Whether /dev/syd is open to the caller: lock:off and lock:drop let everyone through
/// (lock:drop for commands that only tighten the policy, which TypeScript checks), lock:exec
/// the sandbox's first process only; lock:on (and no lock, which means on once the first
/// process runs) nobody.
pub fn unlocked_for(request: *const Request) bool {
    return switch (request.policy.lock) {
        .unset, .on => false,
        .off, .drop => true,
        .exec => request.tid() == request.command_pid,
    };
}

/// Whether the path at `addr` in the caller's memory names /dev/syd itself (`exact`) or a path
/// below it: 9 bytes are read, not the whole path, since every call of a process the lock lets
/// through asks. A string that cannot be read that far is shorter than any such path (each
/// byte of a C string up to its NUL is mapped), so a failed read means no.
pub fn names_dev_syd(request: *const Request, addr: u64, exact: bool) bool {
    var head: [prefix.len + 1]u8 = undefined;
    handlers.read_memory(request.tid(), addr, &head) catch return false;
    if (!std.mem.eql(u8, head[0..prefix.len], prefix)) return false;
    return head[prefix.len] == 0 or (!exact and head[prefix.len] == '/');
}

/// The command in `raw`: null when `raw` is not a /dev/syd path, empty for /dev/syd itself.
pub fn command_text(raw: []const u8) ?[]const u8 {
    if (!std.mem.startsWith(u8, raw, prefix)) return null;
    if (raw.len == prefix.len) return raw[prefix.len..]; // /dev/syd itself: nothing to run
    if (raw[prefix.len] != '/') return null;
    assert(raw.len > prefix.len);
    return raw[prefix.len + 1 ..];
}

/// Runs `text` (not empty) for the caller; returns the errno it answered (0: done).
pub fn run(request: *const Request, text: []const u8) i32 {
    assert(text.len > 0);
    const first = request.tid() == request.command_pid;
    const errno_value = request.channel.forward(request.tid(), first, text, request.exiting) catch |err| {
        request.log.emit(.warn, .{ .ctx = "magic", .msg = "the command could not be run", .err = @errorName(err), .cmd = text, .pid = request.tid() });
        return sys.errno_value(err);
    };
    return errno_value;
}

/// For an open of /dev/syd (`names_dev_syd`, exact): the policy in force as JSON, in a sealed
/// memfd handed to the caller.
pub fn open_state(request: *const Request, flags: u32) Response {
    // As the original, lock:drop keeps the policy from being read: /dev/syd is missing then.
    if (request.policy.lock == .drop) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    const o_accmode: u32 = 0o3;
    if (flags & o_accmode != 0 or flags & handlers.o.path != 0) return .{ .failure = @intFromEnum(linux.E.INVAL) };
    const fd = state_memfd(request.channel.current.load(.acquire).json) catch |err| return handlers.failure(err);
    assert(fd >= 0);
    return .{ .fd = .{ .fd = fd, .cloexec = flags & handlers.o.cloexec != 0 } };
}

fn state_memfd(json: []const u8) sys.Errno!i32 {
    const mfd_cloexec: u32 = 1;
    const mfd_allow_sealing: u32 = 2;
    const fd: i32 = @intCast(try sys.check(linux.memfd_create("syd-policy", mfd_cloexec | mfd_allow_sealing)));
    errdefer sys.close(fd);
    try sys.write_all(fd, json);
    _ = try sys.check(linux.lseek(fd, 0, linux.SEEK.SET));
    const f_add_seals: i32 = 1033;
    const seals: usize = 0x1 | 0x2 | 0x4 | 0x8; // seal, shrink, grow, write
    _ = try sys.check(linux.fcntl(fd, f_add_seals, seals));
    return fd;
}

test "state_memfd holds the text, read-only" {
    const fd = try state_memfd("{\"version\":1}");
    defer sys.close(fd);
    var buf: [32]u8 = undefined;
    const len = try sys.read(fd, &buf);
    try std.testing.expectEqualStrings("{\"version\":1}", buf[0..len]);
    try std.testing.expectError(error.PERM, sys.write(fd, "x"));
}
