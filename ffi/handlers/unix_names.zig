//! The names peers see of the UNIX sockets syd binds. syd binds a socket by its last component
//! inside the judged directory (net.zig `Target`: race-free), so the kernel records that name,
//! not the path the caller gave. Each socket syd binds gets a name unique among them: its last
//! component behind a run of `.` components (`././/sock`, `./././sock`, ... : the same file,
//! resolved in the judged directory, no symlink), and this record maps that name back to the
//! caller's. Receivers translate it: recvfrom, recvmsg and recvmmsg with an address (performed
//! by syd on its copy of the caller's socket) and getpeername. Anything not in the record is
//! answered as the kernel names it.
//!
//! Needs: pidfd_getfd (Linux 5.6), process_vm_readv/writev, NETLINK_SOCK_DIAG (net.zig `diag`,
//! to drop the names of closed sockets when the record is full).
//! Assumes: calls are trapped here only while network sandboxing is on or may be turned on.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const handlers = @import("mod.zig");
const emulate = @import("emulate.zig");
const net = @import("net.zig");
const table = @import("../filter/table.zig");
const unix_creds = @import("unix_creds.zig");
const recvfd = @import("recvfd.zig");

const Request = handlers.Request;
const Response = handlers.Response;
const SYS = linux.SYS;

const af_unix: u16 = 1;
/// sun_path's size: a name the caller gave may fill it without a NUL.
pub const sun_path_len_max: usize = 108;
const sockaddr_len_max: usize = 128;
/// The most bytes one emulated receive carries (a longer datagram is cut, see README Limits).
const recv_len_max: usize = 64 * 1024;
const iov_count_max: usize = 1024;
const vlen_max: usize = 1024;
const control_len_max: usize = 4096;
const msg_waitforone: u32 = 0x10000;
const msg_dontwait: u32 = 0x40;
const msg_cmsg_cloexec: u32 = 0x40000000;

/// Which socket got which name: the name the kernel records (syd's), the caller's.
const record = struct {
    const Entry = struct {
        ino: u64 = 0,
        kernel_len: u8 = 0,
        given_len: u8 = 0,
        kernel: [sun_path_len_max]u8 = undefined,
        given: [sun_path_len_max]u8 = undefined,
    };
    const len_max: usize = 1024;
    /// The codes unique names are made of cycle through 1..code_max (20 bits: 41 bytes at most).
    const code_max: u32 = 1 << 20;
    var mutex: std.Thread.Mutex = .{};
    var entries: [len_max]Entry = [_]Entry{.{}} ** len_max;
    /// Whether any socket was ever recorded: receives continue at once until then.
    var used = std.atomic.Value(bool).init(false);
    var next: usize = 0;
    var code: u32 = 0;
    /// Inserts left before the next sweep for closed sockets (after one that freed little).
    var sweep_wait: usize = 0;

    fn take_code() u32 {
        mutex.lock();
        defer mutex.unlock();
        code = code % code_max + 1;
        assert(code >= 1 and code <= code_max);
        return code;
    }

    fn remember(ino: u64, kernel: []const u8, given: []const u8) void {
        assert(kernel.len <= sun_path_len_max and given.len <= sun_path_len_max);
        if (ino == 0) return;
        mutex.lock();
        defer mutex.unlock();
        var free: ?usize = null;
        for (&entries, 0..) |*entry, i| {
            // A reused inode, or a code that came round again: the older entry is stale.
            if (entry.ino == ino or (entry.ino != 0 and std.mem.eql(u8, entry.kernel[0..entry.kernel_len], kernel))) entry.ino = 0;
            if (entry.ino == 0 and free == null) free = i;
        }
        const slot = free orelse sweep() orelse evict: {
            next = (next + 1) % len_max;
            break :evict next;
        };
        const entry = &entries[slot];
        entry.* = .{ .ino = ino, .kernel_len = @intCast(kernel.len), .given_len = @intCast(given.len) };
        @memcpy(entry.kernel[0..kernel.len], kernel);
        @memcpy(entry.given[0..given.len], given);
        used.store(true, .release);
    }

    /// Frees the entries of closed sockets; the first free slot, or null. Bounded: one diag
    /// query per entry, and after a sweep that freed less than an eighth, none for as many inserts.
    fn sweep() ?usize {
        if (sweep_wait > 0) {
            sweep_wait -= 1;
            return null;
        }
        var freed: usize = 0;
        var first: ?usize = null;
        for (&entries, 0..) |*entry, i| {
            const alive = net.diag.alive(entry.ino) orelse return null; // no unix_diag: FIFO
            if (alive) continue;
            entry.ino = 0;
            freed += 1;
            if (first == null) first = i;
        }
        if (freed < len_max / 8) sweep_wait = len_max / 8;
        return first;
    }

    /// The inode of the socket syd bound by the unique name `kernel`.
    fn ino_of(kernel: []const u8) ?u64 {
        if (!used.load(.acquire) or kernel.len == 0 or kernel[0] != '.') return null;
        mutex.lock();
        defer mutex.unlock();
        for (&entries) |*entry| {
            if (entry.ino != 0 and std.mem.eql(u8, entry.kernel[0..entry.kernel_len], kernel)) return entry.ino;
        }
        return null;
    }

    /// Copies the caller's name of the socket the kernel names `kernel` into `out`; its length.
    fn recall(kernel: []const u8, out: *[sun_path_len_max]u8) ?usize {
        if (!used.load(.acquire)) return null;
        mutex.lock();
        defer mutex.unlock();
        for (&entries) |*entry| {
            if (entry.ino == 0 or entry.kernel_len != kernel.len) continue;
            if (!std.mem.eql(u8, entry.kernel[0..entry.kernel_len], kernel)) continue;
            @memcpy(out[0..entry.given_len], entry.given[0..entry.given_len]);
            return entry.given_len;
        }
        return null;
    }
};

/// Whether syd has bound any UNIX socket by a unique name in this run.
pub fn any_bound() bool {
    return record.used.load(.acquire);
}

/// The name its program gave the socket of inode `ino` that the kernel names `kernel`, when syd
/// bound it by that unique name: copied into `out`, its length.
pub fn given_name(ino: u64, kernel: []const u8, out: *[sun_path_len_max]u8) ?usize {
    if (ino == 0 or kernel.len == 0 or kernel[0] != '.' or !record.used.load(.acquire)) return null;
    record.mutex.lock();
    defer record.mutex.unlock();
    for (&record.entries) |*entry| {
        if (entry.ino != ino or !std.mem.eql(u8, entry.kernel[0..entry.kernel_len], kernel)) continue;
        @memcpy(out[0..entry.given_len], entry.given[0..entry.given_len]);
        return entry.given_len;
    }
    return null;
}

/// The unique name syd binds `base` by (in the judged directory, its cwd): `.`, then for each
/// bit of a fresh code (highest first) `/.` for a one and `/` for a zero, then `/base`. Every
/// component before `base` is `.` or empty: the same directory, no lookup of anything the
/// caller could swap. `base` alone when the result would not fit sun_path (not recorded then).
pub fn unique_name(base: []const u8, out: *[sun_path_len_max]u8) []const u8 {
    assert(base.len > 0);
    return encode(record.take_code(), base, out);
}

fn encode(code: u32, base: []const u8, out: *[sun_path_len_max]u8) []const u8 {
    assert(code > 0);
    const bits: usize = 32 - @clz(code);
    const ones: usize = @popCount(code);
    const prefix_len = 1 + bits + ones + 1; // ".", a "/" per bit, a "." per one, "/"
    if (prefix_len + base.len >= sun_path_len_max) { // the kernel needs room for a NUL
        @memcpy(out[0..base.len], base);
        return out[0..base.len];
    }
    out[0] = '.';
    var at: usize = 1;
    var bit: usize = bits;
    while (bit > 0) : (bit -= 1) {
        out[at] = '/';
        at += 1;
        if (code >> @intCast(bit - 1) & 1 == 1) {
            out[at] = '.';
            at += 1;
        }
    }
    out[at] = '/';
    at += 1;
    assert(at == prefix_len);
    @memcpy(out[at..][0..base.len], base);
    return out[0 .. at + base.len];
}

/// The sun_path a caller gave (up to its first NUL), kept before syd replaces it.
pub const Given = struct {
    bytes: [sun_path_len_max]u8 = undefined,
    len: usize = 0,

    pub fn of(sun_path: []const u8) Given {
        var given: Given = .{};
        const raw = std.mem.sliceTo(sun_path, 0);
        given.len = @min(raw.len, sun_path_len_max);
        @memcpy(given.bytes[0..given.len], raw[0..given.len]);
        assert(given.len <= sun_path_len_max);
        return given;
    }

    pub fn slice(self: *const Given) []const u8 {
        return self.bytes[0..self.len];
    }
};

/// Records that syd bound `fd` by `kernel` (from `unique_name`) for the path `given` (the
/// caller's sun_path, as it gave it). Names that are not unique are not recorded.
pub fn remember(fd: i32, kernel: []const u8, given: []const u8) void {
    assert(fd >= 0);
    if (kernel.len == 0 or kernel[0] != '.' or given.len == 0 or given.len > sun_path_len_max) return;
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch return;
    record.remember(st.ino, kernel, given);
}

test "unique names are distinct, resolve in the same directory, and fit sun_path" {
    var a: [sun_path_len_max]u8 = undefined;
    var b: [sun_path_len_max]u8 = undefined;
    try std.testing.expectEqualStrings("././sock", encode(1, "sock", &a));
    try std.testing.expectEqualStrings("././/sock", encode(2, "sock", &a));
    try std.testing.expectEqualStrings("./././sock", encode(3, "sock", &a));
    var code: u32 = 1;
    while (code < 4096) : (code += 1) {
        const x = encode(code, "s", &a);
        const y = encode(code + 1, "s", &b);
        try std.testing.expect(!std.mem.eql(u8, x, y));
        var parts = std.mem.splitScalar(u8, x, '/');
        var count: usize = 0;
        while (parts.next()) |part| : (count += 1) {
            if (parts.peek() == null) break;
            try std.testing.expect(part.len == 0 or std.mem.eql(u8, part, "."));
        }
        try std.testing.expectEqualStrings("s", x[x.len - 1 ..]);
    }
    const long = "x" ** 100;
    try std.testing.expectEqualStrings(long, encode(record.code_max, long, &a)); // does not fit
    try std.testing.expect(encode(record.code_max, "x" ** 60, &a).len < sun_path_len_max);
}

/// Rewrites the sockaddr `sa` (`len` bytes) in place when it names a socket syd bound by a
/// unique name: the caller's name instead, and its length as the kernel would give it.
fn translate(sa: *[sockaddr_len_max]u8, len: *u32) bool {
    if (len.* < 3 or len.* > sa.len) return false;
    if (std.mem.readInt(u16, sa[0..2], .little) != af_unix or sa[2] != '.') return false; // unique names start so
    const kernel = std.mem.sliceTo(sa[2..len.*], 0);
    var given: [sun_path_len_max]u8 = undefined;
    const given_len = record.recall(kernel, &given) orelse return false;
    @memset(sa[2..], 0);
    @memcpy(sa[2..][0..given_len], given[0..given_len]);
    len.* = @intCast(2 + given_len + 1);
    assert(len.* <= sa.len);
    return true;
}

fn is_unix(fd: i32) bool {
    var domain: i32 = 0;
    var len: linux.socklen_t = @sizeOf(i32);
    _ = sys.check(linux.getsockopt(fd, linux.SOL.SOCKET, linux.SO.DOMAIN, @ptrCast(&domain), &len)) catch return false;
    return domain == af_unix;
}

/// recvfrom, recvmsg and recvmmsg, trapped while network sandboxing may be on: MSG_OOB refused
/// as the filter refuses it elsewhere; a receive with an address on a UNIX socket, once syd
/// bound any, performed by syd so that the sender's name is the one its program gave.
pub fn recv(request: *const Request) Response {
    const nr = handlers.nr_of(request);
    const flags_index: usize = if (nr == .recvmsg) 2 else 3;
    if (request.arg(flags_index) & table.msg_oob != 0 and !request.policy.allow_unsafe_oob) return .{ .failure = @intFromEnum(linux.E.OPNOTSUPP) };
    const result = switch (nr) {
        .recvfrom => recvfrom(request),
        .recvmsg => recvmsg(request),
        .recvmmsg => recvmmsg(request),
        else => unreachable,
    };
    return result catch |err| handlers.failure(err);
}

/// syd's copy of the caller's socket when it is a UNIX one (the caller's fd stays its own).
fn unix_copy(request: *const Request) ?i32 {
    const fd = emulate.caller_fd(request, handlers.fd_arg(request, 0), false) catch return null;
    if (is_unix(fd)) return fd;
    sys.close(fd);
    return null;
}

/// Writes the address `sa` (`len` bytes) to the caller's `addr`, cut to the `given` bytes it
/// has room for, and the whole length to `len_addr`, as the kernel does.
fn write_address(request: *const Request, sa: *const [sockaddr_len_max]u8, len: u32, given: u32, addr: u64, len_addr: u64) sys.Errno!void {
    assert(len <= sa.len);
    const copied = @min(given, len);
    if (copied > 0) try handlers.write_memory(request.tid(), addr, sa[0..copied]);
    try handlers.write_memory(request.tid(), len_addr, std.mem.asBytes(&len));
}

noinline fn recvfrom(request: *const Request) sys.Errno!Response {
    if (!record.used.load(.acquire)) return .continue_call; // nothing to translate
    if (request.arg(4) == 0 or request.arg(5) == 0) return .continue_call; // nothing to name
    var given: i32 = 0;
    // Unreadable or negative: the kernel's answer, after it receives (as it would).
    handlers.read_memory(request.tid(), request.arg(5), std.mem.asBytes(&given)) catch return .continue_call;
    if (given < 0) return .continue_call;
    const fd = unix_copy(request) orelse return .continue_call;
    defer sys.close(fd);
    var data: [recv_len_max]u8 = undefined;
    const len: usize = @intCast(@min(request.arg(2), recv_len_max));
    var sa: [sockaddr_len_max]u8 align(4) = [_]u8{0} ** sockaddr_len_max;
    var sa_len: linux.socklen_t = sockaddr_len_max;
    const flags: u32 = @truncate(request.arg(3));
    const n = try handlers.blocking_call(request, true, linux.recvfrom, .{ fd, &data, len, flags, @as(*linux.sockaddr, @ptrCast(&sa)), &sa_len });
    if (!request.valid()) return error.NOENT; // the caller is gone: its tid may be another's
    const copied = @min(n, len);
    if (copied > 0) try handlers.write_memory(request.tid(), request.arg(1), data[0..copied]);
    sa_len = @min(sa_len, sockaddr_len_max);
    _ = translate(&sa, &sa_len);
    try write_address(request, &sa, sa_len, @intCast(given), request.arg(4), request.arg(5));
    return .{ .value = @intCast(n) };
}

const MsgHdr = net.MsgHdr;

/// Whether syd performs this message's receive for its name: it asks for the sender's name and
/// no control data (recvmsg also takes control data where credentials need fixing).
fn emulated(msg: *const MsgHdr) bool {
    return msg.name != 0 and msg.controllen == 0 and msg.iovlen <= iov_count_max and record.used.load(.acquire);
}

fn recvmsg(request: *const Request) sys.Errno!Response {
    if (recvfd.on(request)) return recvmsg_judged(request);
    var msg: MsgHdr = undefined;
    handlers.read_memory(request.tid(), request.arg(1), std.mem.asBytes(&msg)) catch return .continue_call; // the kernel's EFAULT, after EBADF
    if (msg.iovlen > iov_count_max) return .continue_call; // the kernel's EMSGSIZE
    if (msg.controllen == 0 and !emulated(&msg)) return .continue_call;
    const fd = unix_copy(request) orelse return .continue_call;
    defer sys.close(fd);
    // Control data: received by syd only where credentials or pidfds may name syd.
    if (msg.controllen != 0 and !unix_creds.passes_credentials(fd)) return .continue_call;
    const n = try receive_one(request, fd, request.arg(1), &msg, @truncate(request.arg(2)));
    return .{ .value = @intCast(n) };
}

fn recvmmsg(request: *const Request) sys.Errno!Response {
    if (recvfd.on(request)) return recvmmsg_judged(request);
    if (request.arg(4) != 0) return .continue_call; // a timeout: the kernel's to keep
    const vlen: usize = @min(@as(u32, @truncate(request.arg(2))), vlen_max);
    if (vlen == 0) return .continue_call;
    var msg: MsgHdr = undefined;
    handlers.read_memory(request.tid(), request.arg(1), std.mem.asBytes(&msg)) catch return .continue_call; // the kernel's EFAULT, after EBADF
    if (msg.iovlen > iov_count_max) return .continue_call; // the kernel's EMSGSIZE
    if (msg.controllen == 0 and !emulated(&msg)) return .continue_call;
    const fd = unix_copy(request) orelse return .continue_call;
    defer sys.close(fd);
    const credentials = unix_creds.passes_credentials(fd);
    if (msg.controllen != 0 and !credentials) return .continue_call;
    const flags: u32 = @truncate(request.arg(3));
    var received: usize = 0;
    while (received < vlen) : (received += 1) {
        const entry = std.math.add(u64, request.arg(1), received * 64) catch break; // struct mmsghdr
        if (received > 0) {
            handlers.read_memory(request.tid(), entry, std.mem.asBytes(&msg)) catch break;
            if (msg.iovlen > iov_count_max or (msg.controllen != 0 and !credentials)) break;
        }
        const this_flags = (flags & ~msg_waitforone) | if (received > 0 and flags & msg_waitforone != 0) msg_dontwait else 0;
        const n = receive_one(request, fd, entry, &msg, this_flags) catch |err| {
            if (received == 0) return err;
            break;
        };
        var len: u32 = @intCast(@min(n, std.math.maxInt(u32)));
        try handlers.write_memory(request.tid(), entry + 56, std.mem.asBytes(&len));
    }
    return .{ .value = @intCast(received) };
}

/// syd's copy of the caller's socket, whatever its kind: EBADF and ENOTSOCK as the kernel
/// answers them, before it reads the message.
fn socket_of(request: *const Request) sys.Errno!i32 {
    const fd = try emulate.caller_fd(request, handlers.fd_arg(request, 0), false);
    errdefer sys.close(fd);
    var kind: i32 = 0;
    var len: linux.socklen_t = @sizeOf(i32);
    _ = try sys.check(linux.getsockopt(fd, linux.SOL.SOCKET, linux.SO.TYPE, @ptrCast(&kind), &len));
    return fd;
}

/// recvmsg while recvfd is on: performed by syd on its copy of any socket, so that the fds of
/// SCM_RIGHTS are judged before the caller has them. Never continued: the kernel would read the
/// fd number and the message again, and another thread may have put a UNIX socket there (dup2)
/// or control room in the message meanwhile. The caller's errnos in the kernel's order.
fn recvmsg_judged(request: *const Request) sys.Errno!Response {
    const fd = try socket_of(request);
    defer sys.close(fd);
    var msg: MsgHdr = undefined;
    try handlers.read_memory(request.tid(), request.arg(1), std.mem.asBytes(&msg));
    if (msg.iovlen > iov_count_max) return error.MSGSIZE;
    const n = try receive_one(request, fd, request.arg(1), &msg, @truncate(request.arg(2)));
    return .{ .value = @intCast(n) };
}

/// recvmmsg while recvfd is on: as `recvmsg_judged`, message by message; a timeout is kept as
/// the kernel keeps it (looked at after each message, what is left of it written back).
fn recvmmsg_judged(request: *const Request) sys.Errno!Response {
    var deadline: ?u64 = null;
    if (request.arg(4) != 0) {
        var ts: [2]i64 = undefined; // struct timespec
        try handlers.read_memory(request.tid(), request.arg(4), std.mem.asBytes(&ts));
        if (ts[0] < 0 or ts[1] < 0 or ts[1] >= std.time.ns_per_s) return error.INVAL;
        const span = std.math.mul(u64, @intCast(ts[0]), std.time.ns_per_s) catch std.math.maxInt(u64);
        deadline = monotonic_ns() +| span +| @as(u64, @intCast(ts[1]));
    }
    const fd = try socket_of(request);
    defer sys.close(fd);
    const vlen: usize = @min(@as(u32, @truncate(request.arg(2))), vlen_max);
    const flags: u32 = @truncate(request.arg(3));
    var received: usize = 0;
    var left_ns: u64 = 0;
    while (received < vlen) : (received += 1) {
        const entry = std.math.add(u64, request.arg(1), received * 64) catch { // struct mmsghdr
            if (received == 0) return error.FAULT;
            break;
        };
        var msg: MsgHdr = undefined;
        handlers.read_memory(request.tid(), entry, std.mem.asBytes(&msg)) catch |err| {
            if (received == 0) return err;
            break;
        };
        if (msg.iovlen > iov_count_max) {
            if (received == 0) return error.MSGSIZE;
            break;
        }
        const this_flags = (flags & ~msg_waitforone) | if (received > 0 and flags & msg_waitforone != 0) msg_dontwait else 0;
        const n = receive_one(request, fd, entry, &msg, this_flags) catch |err| {
            if (received == 0) return err;
            break;
        };
        var len: u32 = @intCast(@min(n, std.math.maxInt(u32)));
        try handlers.write_memory(request.tid(), entry + 56, std.mem.asBytes(&len));
        if (deadline) |end| {
            const now = monotonic_ns();
            left_ns = end -| now;
            if (left_ns == 0) {
                received += 1;
                break;
            }
        }
    }
    if (deadline != null and received > 0) {
        const ts = [2]i64{ @intCast(left_ns / std.time.ns_per_s), @intCast(left_ns % std.time.ns_per_s) };
        try handlers.write_memory(request.tid(), request.arg(4), std.mem.asBytes(&ts));
    }
    return .{ .value = @intCast(received) };
}

fn monotonic_ns() u64 {
    var ts: linux.timespec = undefined;
    _ = linux.clock_gettime(.MONOTONIC, &ts);
    return @as(u64, @intCast(ts.sec)) * std.time.ns_per_s + @as(u64, @intCast(ts.nsec));
}

/// Receives one message on syd's copy `fd` into the caller's message `msg` (read from
/// `msg_addr`): its data scattered over the caller's iovecs, the sender's name translated,
/// msg_namelen and msg_flags written back. Returns the kernel's count.
noinline fn receive_one(request: *const Request, fd: i32, msg_addr: u64, msg: *const MsgHdr, flags: u32) sys.Errno!usize {
    assert(msg.iovlen <= iov_count_max);
    const iov_count: usize = @intCast(msg.iovlen);
    var room: usize = 0;
    for (0..iov_count) |i| room = @min(recv_len_max, room +| (try iov_at(request, msg, i))[1]);
    var data: [recv_len_max]u8 = undefined;
    var sa: [sockaddr_len_max]u8 align(4) = [_]u8{0} ** sockaddr_len_max;
    var control: [control_len_max]u8 align(8) = undefined;
    const control_room: usize = @intCast(@min(msg.controllen, control_len_max));
    var local_iov = [_]std.posix.iovec{.{ .base = &data, .len = room }};
    var local: linux.msghdr = .{
        .name = @ptrCast(&sa),
        .namelen = sockaddr_len_max,
        .iov = &local_iov,
        .iovlen = 1,
        .control = if (control_room > 0) &control else null,
        .controllen = @intCast(control_room),
        .flags = 0,
    };
    // syd's own copies of received fds are close-on-exec whatever the caller asked (the
    // caller's are made as it asked by fix_control).
    const n = try handlers.blocking_call(request, true, linux.recvmsg, .{ fd, &local, flags | msg_cmsg_cloexec });
    // The kernel echoes MSG_CMSG_CLOEXEC in msg_flags: only when the caller asked for it.
    if (flags & msg_cmsg_cloexec == 0) local.flags &= ~@as(i32, msg_cmsg_cloexec);
    // The fds the message carried are syd's until fix_control hands them over: closed when the
    // caller's buffers fail first (a bad iovec), or every one would stay open in syd.
    var held: []u8 = control[0..if (control_room > 0) @min(local.controllen, control_room) else 0];
    errdefer unix_creds.discard_control(held);
    // The wait may have been long: the caller's tid must still be the caller's before syd
    // writes to it (a pid reused meanwhile would be another process).
    if (!request.valid()) return error.NOENT;
    // Scattered over the caller's iovecs as the kernel would: in order, each to its length.
    var done: usize = 0;
    const filled = @min(n, room);
    for (0..iov_count) |i| {
        if (done == filled) break;
        const iov = try iov_at(request, msg, i); // read again: only where the caller's data goes
        const part: usize = @intCast(@min(iov[1], filled - done));
        if (part > 0) try handlers.write_memory(request.tid(), iov[0], data[done..][0..part]);
        done += part;
    }
    var sa_len: u32 = @min(local.namelen, sockaddr_len_max);
    if (control_room > 0) {
        var control_len: usize = @min(local.controllen, control_room);
        // recvfd: a message with an fd denied is dropped (its fds closed) before any is put
        // into the caller. `held` shrinks with it: nothing is closed twice.
        if (recvfd.on(request)) control_len = recvfd.judge_rights(request, control[0..control_len], &local.flags);
        held = control[0..control_len];
        const sender = if (unix_creds.names_syd(control[0..control_len])) sender_of(fd, &sa, sa_len) else null;
        unix_creds.fix_control(request, control[0..control_len], flags, sender, &local.flags);
        held = control[0..0]; // handed over or closed: the numbers are the caller's now
        // What could not be installed (a full fd table, an O_PATH fd) is cut, as the kernel does.
        control_len = recvfd.trim_uninstalled(control[0..control_len]);
        if (control_len > 0) try handlers.write_memory(request.tid(), msg.control, control[0..control_len]);
        const written: u64 = control_len;
        try handlers.write_memory(request.tid(), msg_addr + 40, std.mem.asBytes(&written)); // msg_controllen
    }
    _ = translate(&sa, &sa_len);
    if (msg.name != 0) {
        const given: u32 = if (@as(i32, @bitCast(msg.namelen)) < 0) 0 else msg.namelen;
        const copied = @min(given, sa_len);
        if (copied > 0) try handlers.write_memory(request.tid(), msg.name, sa[0..copied]);
        try handlers.write_memory(request.tid(), msg_addr + 8, std.mem.asBytes(&sa_len)); // msg_namelen
    }
    try handlers.write_memory(request.tid(), msg_addr + 48, std.mem.asBytes(&local.flags)); // msg_flags
    return n;
}

/// The caller's iovec `i` of `msg` (struct iovec { base, len }).
fn iov_at(request: *const Request, msg: *const MsgHdr, i: usize) sys.Errno![2]u64 {
    assert(i < msg.iovlen);
    var iov: [2]u64 = undefined;
    const at = std.math.add(u64, msg.iov, i * 16) catch return error.FAULT;
    try handlers.read_memory(request.tid(), at, std.mem.asBytes(&iov));
    return iov;
}

/// The inode of the socket a message received on syd's copy `fd` came from, when syd can tell:
/// a sender syd bound by a unique name (`sa`, as the kernel gave it), else the connected peer.
fn sender_of(fd: i32, sa: *const [sockaddr_len_max]u8, len: u32) ?u64 {
    assert(fd >= 0);
    if (len >= 3 and std.mem.readInt(u16, sa[0..2], .little) == af_unix and sa[2] != 0) {
        if (record.ino_of(std.mem.sliceTo(sa[2..len], 0))) |ino| return ino;
    }
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch return null;
    return net.diag.peer_of(st.ino);
}

/// getpeername, trapped while network sandboxing may be on: the peer of a UNIX socket syd
/// bound answers the path its program gave; anything else is continued (the fd is a register).
pub fn peername(request: *const Request) Response {
    if (!record.used.load(.acquire)) return .continue_call;
    const fd = unix_copy(request) orelse return .continue_call;
    defer sys.close(fd);
    var sa: [sockaddr_len_max]u8 align(4) = [_]u8{0} ** sockaddr_len_max;
    var sa_len: linux.socklen_t = sockaddr_len_max;
    _ = sys.check(linux.getpeername(fd, @ptrCast(&sa), &sa_len)) catch return .continue_call;
    return answer_name(request, &sa, sa_len);
}

/// getsockname of syd's copy `fd` of a caller's socket that net.zig's own record of paths no
/// longer holds: the name its program gave, when syd bound it by a unique name; else continued.
pub fn own_name(request: *const Request, fd: i32) Response {
    assert(fd >= 0);
    if (!record.used.load(.acquire)) return .continue_call;
    var sa: [sockaddr_len_max]u8 align(4) = [_]u8{0} ** sockaddr_len_max;
    var sa_len: linux.socklen_t = sockaddr_len_max;
    _ = sys.check(linux.getsockname(fd, @ptrCast(&sa), &sa_len)) catch return .continue_call;
    return answer_name(request, &sa, sa_len);
}

/// Answers getsockname or getpeername with `sa` translated; continued when it names nothing
/// syd bound (the kernel's answer is then the same).
fn answer_name(request: *const Request, sa: *[sockaddr_len_max]u8, len: u32) Response {
    var sa_len: u32 = @min(len, sockaddr_len_max);
    if (!translate(sa, &sa_len)) return .continue_call;
    var given: i32 = 0;
    handlers.read_memory(request.tid(), request.arg(2), std.mem.asBytes(&given)) catch |err| return handlers.failure(err);
    if (given < 0) return .{ .failure = @intFromEnum(linux.E.INVAL) };
    write_address(request, sa, sa_len, @intCast(given), request.arg(1), request.arg(2)) catch |err| return handlers.failure(err);
    return .{ .value = 0 };
}

const sock_nonblock: u32 = 0o4000;
const sock_cloexec: u32 = 0o2000000;

/// accept and accept4 with an address, trapped while network sandboxing may be on: on a UNIX
/// socket once syd bound any, performed by syd on its copy (blocking as the caller would), so that
/// a client syd bound is named by the path its program gave; the new socket is put into the
/// caller as the call's result (ADDFD). Otherwise continued: the fd and flags are registers.
pub fn accept(request: *const Request) Response {
    // trace/force_cloexec: syd performs every accept, to hand the fd over close-on-exec.
    const force = request.policy.force_cloexec;
    const named = request.arg(1) != 0 and request.arg(2) != 0;
    if (!force and (!record.used.load(.acquire) or !named)) return .continue_call;
    const flags: u32 = if (handlers.nr_of(request) == .accept4) @truncate(request.arg(3)) else 0;
    if (flags & ~(sock_nonblock | sock_cloexec) != 0) return if (force) .{ .failure = @intFromEnum(linux.E.INVAL) } else .continue_call;
    var given: i32 = 0;
    if (named) handlers.read_memory(request.tid(), request.arg(2), std.mem.asBytes(&given)) catch |err|
        return if (force) handlers.failure(err) else .continue_call;
    if (given < 0) return if (force) .{ .failure = @intFromEnum(linux.E.INVAL) } else .continue_call;
    if (force and request.arg(1) != 0 and request.arg(2) == 0) return .{ .failure = @intFromEnum(linux.E.FAULT) };
    const fd = if (force)
        emulate.caller_fd(request, handlers.fd_arg(request, 0), false) catch |err| return handlers.failure(err)
    else
        unix_copy(request) orelse return .continue_call;
    defer sys.close(fd);
    return accept_on(request, fd, flags, if (named) @intCast(given) else null) catch |err| handlers.failure(err);
}

/// `given`: the room for the peer's address (null: the caller asked for none).
fn accept_on(request: *const Request, fd: i32, flags: u32, given: ?u32) sys.Errno!Response {
    assert(fd >= 0);
    var sa: [sockaddr_len_max]u8 align(4) = [_]u8{0} ** sockaddr_len_max;
    var sa_len: linux.socklen_t = sockaddr_len_max;
    // syd's end is close-on-exec; the caller's gets the flags it asked for.
    const accepted: i32 = @intCast(try handlers.blocking_call(request, true, linux.accept4, .{ fd, @as(*linux.sockaddr, @ptrCast(&sa)), &sa_len, (flags & sock_nonblock) | sock_cloexec }));
    errdefer sys.close(accepted);
    if (!request.valid()) return error.NOENT; // the caller is gone: nobody to hand it to
    sa_len = @min(sa_len, sockaddr_len_max);
    _ = translate(&sa, &sa_len);
    if (given) |room| try write_address(request, &sa, sa_len, room, request.arg(1), request.arg(2));
    return .{ .fd = .{ .fd = accepted, .cloexec = flags & sock_cloexec != 0 } };
}

test "translate maps only a recorded unique name, to the caller's name and the kernel's length" {
    var kernel_buf: [sun_path_len_max]u8 = undefined;
    const kernel = encode(7, "sock", &kernel_buf);
    record.remember(4242, kernel, "dir/sock");
    var sa: [sockaddr_len_max]u8 = [_]u8{0} ** sockaddr_len_max;
    std.mem.writeInt(u16, sa[0..2], af_unix, .little);
    @memcpy(sa[2..][0..kernel.len], kernel);
    var len: u32 = @intCast(2 + kernel.len + 1);
    try std.testing.expect(translate(&sa, &len));
    try std.testing.expectEqual(@as(u32, 2 + 8 + 1), len);
    try std.testing.expectEqualStrings("dir/sock", std.mem.sliceTo(sa[2..], 0));
    try std.testing.expectEqual(@as(?u64, 4242), record.ino_of(kernel));
    // Not recorded, abstract, unnamed, cut short: left as the kernel gave them.
    const others = [_][]const u8{ "./other", "\x00abstract", "", "." };
    for (others) |name| {
        @memset(sa[2..], 0);
        @memcpy(sa[2..][0..name.len], name);
        len = @intCast(2 + name.len);
        const before = sa;
        try std.testing.expect(!translate(&sa, &len));
        try std.testing.expectEqualSlices(u8, &before, &sa);
    }
}
