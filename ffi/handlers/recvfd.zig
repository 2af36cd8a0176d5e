//! recvfd sandboxing: the fds a program receives with SCM_RIGHTS, judged by their names
//! (`!file`, `!pipe`, `!memfd:NAME`, ... as anonfd.zig names them) before the program has them.
//! While recvfd is on, every recvmsg and recvmmsg is performed by syd on its copy of the caller's
//! socket (unix_names.zig `receive_one`), so the fds arrive in syd first; a control message with
//! any fd denied is dropped whole (its fds closed by syd, never put into the caller) and the
//! receive answers MSG_CTRUNC, the data delivered, as the original 3.59 does. The allowed fds are
//! then put into the caller by unix_creds.zig `fix_control` (ADDFD).
//!
//! Needs: what anonfd.zig `fd_name` needs (statx, fstatfs, /proc/thread-self/fd).
//! Assumes: `control` is what the kernel wrote for syd's own receive (syd's fd numbers, well
//! formed); the walk is bounded and checked all the same.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const path_mod = @import("../judge/path.zig");
const policy_mod = @import("../judge/policy.zig");
const handlers = @import("mod.zig");
const anonfd = @import("anonfd.zig");

const Request = handlers.Request;
const Cat = policy_mod.Cat;

const sol_socket: i32 = 1;
const scm_rights: i32 = 1;
const cmsg_header_len: usize = 16; // struct cmsghdr { u64 len; i32 level; i32 type; }
const control_len_max: usize = 4096;
const msg_ctrunc: i32 = 0x8;

/// Whether received fds are judged now (the policy in force: /dev/syd may change it), unless
/// trace/allow_unsafe_recvmsg:1 leaves receives to the kernel (the original's relaxation).
pub fn on(request: *const Request) bool {
    return request.policy.on[@intFromEnum(Cat.recvfd)] and !request.policy.allow_unsafe_recvmsg;
}

/// Judges the fds of each SCM_RIGHTS message in `control` (syd's receive, `control.len` bytes the
/// kernel wrote) and drops every message with an fd denied: its fds closed, the messages after
/// it moved up, MSG_CTRUNC set in `flags`. Returns the length of what is left, all of it the
/// caller's to have.
pub fn judge_rights(request: *const Request, control: []u8, flags: *i32) usize {
    assert(control.len <= control_len_max);
    const left = filter_rights(control, request, denied);
    assert(left.len <= control.len);
    if (left.dropped) flags.* |= msg_ctrunc;
    return left.len;
}

/// Whether any fd of `payload` (an SCM_RIGHTS payload of syd's fds) is denied for recvfd. An fd
/// whose name cannot be read is denied (fail closed). Records and punishes as a denied sendfd.
fn denied(request: *const Request, payload: []const u8) bool {
    var buf: [path_mod.path_len_max]u8 = undefined;
    var i: usize = 0;
    while (i + 4 <= payload.len) : (i += 4) {
        const fd = std.mem.readInt(i32, payload[i..][0..4], .little);
        if (fd < 0) return true;
        const name = anonfd.fd_name(fd, &buf) catch return true;
        const verdict = handlers.judge(request.policy, &.{.recvfd}, name);
        if (!verdict.judged) continue; // recvfd turned off meanwhile: as the kernel
        if (handlers.enforce(request, verdict, name) != null) return true;
    }
    return false;
}

const Left = struct { len: usize, dropped: bool };

/// Walks the control messages of `control`, moving the kept ones up over the dropped ones: an
/// SCM_RIGHTS message for which `deny(context, payload)` holds is dropped and its fds closed. A
/// malformed rest (never from the kernel) is dropped too, its fds left alone (unreadable).
fn filter_rights(control: []u8, context: anytype, comptime deny: fn (@TypeOf(context), []const u8) bool) Left {
    var at: usize = 0;
    var out: usize = 0;
    var dropped = false;
    var count: usize = 0;
    while (control.len - at >= cmsg_header_len and count < control_len_max / cmsg_header_len) : (count += 1) {
        const len: u64 = std.mem.readInt(u64, control[at..][0..8], .little);
        if (len < cmsg_header_len or len > control.len - at) {
            dropped = true; // not the kernel's: nothing of it reaches the caller
            break;
        }
        const whole: usize = @intCast(len);
        const level = std.mem.readInt(i32, control[at + 8 ..][0..4], .little);
        const kind = std.mem.readInt(i32, control[at + 12 ..][0..4], .little);
        // The kernel pads each message to 8 bytes, but the last one's padding may be cut.
        const step = @min(std.mem.alignForward(usize, whole, 8), control.len - at);
        if (level == sol_socket and kind == scm_rights and deny(context, control[at + cmsg_header_len .. at + whole])) {
            close_all(control[at + cmsg_header_len .. at + whole]);
            dropped = true;
        } else {
            if (out != at) std.mem.copyForwards(u8, control[out..][0..step], control[at..][0..step]);
            out += step;
        }
        at += step;
    }
    assert(out <= at and at <= control.len);
    return .{ .len = out, .dropped = dropped };
}

const scm_pidfd: i32 = 4;

/// After unix_creds.fix_control put the fds into the caller: cuts each SCM_RIGHTS message to the
/// fds it installed (-1 marks those it could not: a full fd table, an O_PATH fd ADDFD refuses)
/// and drops one with none, and an SCM_PIDFD message whose pidfd was not installed, moving the
/// rest up, as the kernel answers a receive that cannot install them (MSG_CTRUNC, set by
/// fix_control). Returns the length left. A program never sees an fd number of -1.
pub fn trim_uninstalled(control: []u8) usize {
    assert(control.len <= control_len_max);
    var at: usize = 0;
    var out: usize = 0;
    var count: usize = 0;
    while (control.len - at >= cmsg_header_len and count < control_len_max / cmsg_header_len) : (count += 1) {
        const len: u64 = std.mem.readInt(u64, control[at..][0..8], .little);
        if (len < cmsg_header_len or len > control.len - at) break; // not the kernel's: cut here
        const whole: usize = @intCast(len);
        const level = std.mem.readInt(i32, control[at + 8 ..][0..4], .little);
        const kind = std.mem.readInt(i32, control[at + 12 ..][0..4], .little);
        const step = @min(std.mem.alignForward(usize, whole, 8), control.len - at);
        var keep = whole;
        if (level == sol_socket and (kind == scm_rights or kind == scm_pidfd)) {
            const payload = control[at + cmsg_header_len .. at + whole];
            var installed: usize = 0;
            while (installed + 4 <= payload.len and std.mem.readInt(i32, payload[installed..][0..4], .little) >= 0) installed += 4;
            keep = if (installed == 0) 0 else cmsg_header_len + installed;
        }
        if (keep > 0) {
            const keep_step = if (keep == whole) step else @min(std.mem.alignForward(usize, keep, 8), control.len - out);
            if (out != at) std.mem.copyForwards(u8, control[out..][0..keep], control[at..][0..keep]);
            std.mem.writeInt(u64, control[out..][0..8], keep, .little);
            // Padding after a cut message: zero, as the kernel leaves it.
            if (keep_step > keep) @memset(control[out + keep .. out + keep_step], 0);
            out += keep_step;
        }
        at += step;
    }
    assert(out <= at and at <= control.len);
    // The last message's padding is not part of what the caller is told it got.
    return out;
}

test "trim_uninstalled cuts SCM_RIGHTS to the fds installed, drops empty ones and pidfds not installed" {
    var control: [256]u8 align(8) = [_]u8{0} ** 256;
    var payload: [12]u8 = undefined;
    std.mem.writeInt(i32, payload[0..4], 5, .little);
    std.mem.writeInt(i32, payload[4..8], -1, .little);
    std.mem.writeInt(i32, payload[8..12], -1, .little);
    var at = put_cmsg(&control, 0, scm_rights, &payload); // 5 installed, two not
    at = put_cmsg(&control, at, scm_rights, &[_]u8{0xff} ** 4); // none installed: -1
    at = put_cmsg(&control, at, scm_pidfd, &[_]u8{0xff} ** 4); // pidfd -1
    at = put_cmsg(&control, at, 2, &[_]u8{0xaa} ** 12); // SCM_CREDENTIALS, kept whole
    const left = trim_uninstalled(control[0..at]);
    try std.testing.expectEqual(@as(usize, 24 + 32), left);
    try std.testing.expectEqual(@as(u64, 20), std.mem.readInt(u64, control[0..8], .little));
    try std.testing.expectEqual(@as(i32, 5), std.mem.readInt(i32, control[16..20], .little));
    try std.testing.expectEqual(@as(i32, 2), std.mem.readInt(i32, control[24 + 12 ..][0..4], .little));
    try std.testing.expectEqual(@as(u64, 28), std.mem.readInt(u64, control[24..32], .little));
    // Garbage lengths never make it read or write out of bounds.
    var prng = std.Random.DefaultPrng.init(0x5eed);
    var round: usize = 0;
    while (round < 20_000) : (round += 1) {
        prng.random().bytes(&control);
        _ = trim_uninstalled(control[0..prng.random().uintAtMost(usize, control.len)]);
    }
}

fn close_all(payload: []const u8) void {
    var i: usize = 0;
    while (i + 4 <= payload.len) : (i += 4) {
        const fd = std.mem.readInt(i32, payload[i..][0..4], .little);
        if (fd >= 0) sys.close(fd);
    }
}

fn put_cmsg(buf: []u8, at: usize, kind: i32, payload: []const u8) usize {
    const len = cmsg_header_len + payload.len;
    std.mem.writeInt(u64, buf[at..][0..8], len, .little);
    std.mem.writeInt(i32, buf[at + 8 ..][0..4], sol_socket, .little);
    std.mem.writeInt(i32, buf[at + 12 ..][0..4], kind, .little);
    @memcpy(buf[at + cmsg_header_len ..][0..payload.len], payload);
    return at + std.mem.alignForward(usize, len, 8);
}

fn is_open(fd: i32) bool {
    return if (sys.check(linux.fcntl(fd, linux.F.GETFD, 0))) |_| true else |_| false;
}

test "filter_rights drops a denied SCM_RIGHTS message whole, closes its fds, keeps the rest in order" {
    const kept = try sys.pipe(false);
    defer for (kept) |fd| sys.close(fd);
    const gone = try sys.pipe(false);
    var control: [256]u8 align(8) = [_]u8{0} ** 256;
    var at = put_cmsg(&control, 0, 2, &[_]u8{0xaa} ** 12); // SCM_CREDENTIALS
    var payload: [8]u8 = undefined;
    std.mem.writeInt(i32, payload[0..4], gone[0], .little);
    std.mem.writeInt(i32, payload[4..8], gone[1], .little);
    at = put_cmsg(&control, at, scm_rights, &payload);
    std.mem.writeInt(i32, payload[0..4], kept[0], .little);
    std.mem.writeInt(i32, payload[4..8], kept[1], .little);
    at = put_cmsg(&control, at, scm_rights, &payload);
    const Deny = struct {
        fn deny(victim: i32, p: []const u8) bool {
            return std.mem.readInt(i32, p[0..4], .little) == victim;
        }
    };
    const left = filter_rights(control[0..at], gone[0], Deny.deny);
    try std.testing.expect(left.dropped);
    try std.testing.expectEqual(@as(usize, 32 + 24), left.len);
    try std.testing.expect(!is_open(gone[0]) and !is_open(gone[1]));
    try std.testing.expect(is_open(kept[0]) and is_open(kept[1]));
    try std.testing.expectEqual(@as(i32, scm_rights), std.mem.readInt(i32, control[32 + 12 ..][0..4], .little));
    try std.testing.expectEqual(kept[0], std.mem.readInt(i32, control[32 + 16 ..][0..4], .little));
    // Nothing denied: all kept, nothing moved; a malformed rest is cut.
    const none = filter_rights(control[0..left.len], gone[0], Deny.deny);
    try std.testing.expect(!none.dropped and none.len == left.len);
    std.mem.writeInt(u64, control[32..][0..8], 9999, .little);
    const bad = filter_rights(control[0..left.len], gone[0], Deny.deny);
    try std.testing.expect(bad.dropped and bad.len == 32);
}

test "filter_rights survives any cmsg_len and never reaches past the buffer" {
    var prng = std.Random.DefaultPrng.init(0x7ec4fd);
    const random = prng.random();
    var control: [128]u8 align(8) = undefined;
    const Never = struct {
        fn deny(_: void, _: []const u8) bool {
            return false; // never close: the bytes are random, not fds
        }
    };
    var round: usize = 0;
    while (round < 20_000) : (round += 1) {
        random.bytes(&control);
        var at: usize = 0;
        while (at + 16 <= control.len) : (at += 24) {
            const lens = [_]u64{ 0, 15, 16, 17, 20, 24, 127, 128, 129, std.math.maxInt(u64) };
            std.mem.writeInt(u64, control[at..][0..8], lens[random.uintLessThan(usize, lens.len)], .little);
        }
        const cut = random.uintAtMost(usize, control.len);
        const left = filter_rights(control[0..cut], {}, Never.deny);
        try std.testing.expect(left.len <= cut);
    }
}
