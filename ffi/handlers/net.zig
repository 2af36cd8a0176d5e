//! Network calls: bind (net/bind), connect, sendto, sendmsg and sendmmsg with an address
//! (net/connect), and file descriptors passed with SCM_RIGHTS (sendfd, judged on the name of
//! each fd passed: `!file`, `!pipe`, ... as handlers/anonfd.zig names them). The address is read once from the caller, judged, and the call
//! is performed by syd on its own copy of the caller's socket (pidfd_getfd) with exactly the
//! address judged, so a thread rewriting it meanwhile changes nothing.
//!
//! Needs: pidfd_getfd (Linux 5.6), process_vm_readv.
//! Assumes: nothing beyond mod.zig's Request. A blocking connect blocks the emulator thread
//! until it completes (the interrupter that lets a signal end it arrives with issue 5).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const path_mod = @import("../judge/path.zig");
const namespaces = @import("../layers/namespaces.zig");
const policy_mod = @import("../judge/policy.zig");
const handlers = @import("mod.zig");
const emulate = @import("emulate.zig");
const caller_mod = @import("../kernel/caller.zig");
const anonfd = @import("anonfd.zig");
const table = @import("../filter/table.zig");
const unix_names = @import("unix_names.zig");
const unix_creds = @import("unix_creds.zig");
const notify = @import("../kernel/notify.zig");

const Request = handlers.Request;
const Response = handlers.Response;
const Cat = policy_mod.Cat;
const Peer = policy_mod.Peer;
const SYS = linux.SYS;

const af_unspec: u16 = 0;
const af_unix: u16 = 1;
const af_inet: u16 = 2;
const af_inet6: u16 = 10;
const sockaddr_len_max: usize = 128;
const sun_path_len_max: usize = 108;
/// The most bytes one emulated send carries; longer stream sends are partial, as allowed.
const send_len_max: usize = 64 * 1024;
const iov_count_max: usize = 1024;
const control_len_max: usize = 4096;
const fds_max: usize = 253; // SCM_MAX_FD
const sol_socket: i32 = 1;
const scm_rights: i32 = 1;
const scm_credentials: i32 = 2;

const family = [_]Cat{ .net_bind, .net_connect, .sendfd };

/// An address read from the caller, and how it is judged.
const Address = struct {
    bytes: [sockaddr_len_max]u8 = undefined,
    len: usize = 0,
    /// null: not judged (netlink, an unnamed UNIX socket).
    peer: ?Peer = null,
    /// The canonical path of a UNIX socket (what is judged, and what syd binds or connects to).
    path_buf: [path_mod.path_len_max]u8 = undefined,
    /// Text for logs: `127.0.0.1!80`, a path, or `@name`.
    text_buf: [path_mod.path_len_max + 64]u8 = undefined,
    text: []const u8 = "",
};

/// The errno the original answers a denied call of this kind with.
fn denial_errno(cat: Cat, nr: SYS) i32 {
    return @intFromEnum(switch (cat) {
        .net_bind => linux.E.ADDRNOTAVAIL,
        else => if (nr == .connect) linux.E.CONNREFUSED else linux.E.NOTCONN,
    });
}

/// Reads and parses the sockaddr at `addr` (`len` bytes). `binding`: a UNIX path names a new
/// socket (its last component may be missing, and is not followed).
fn read_address(request: *const Request, addr: u64, len: u64, binding: bool, out: *Address) sys.Errno!void {
    if (len < 2 or len > sockaddr_len_max) return error.INVAL;
    out.len = @intCast(len);
    try handlers.read_memory(request.tid(), addr, out.bytes[0..out.len]);
    if (!binding) try refuse_any_addr(request, out.bytes[0..out.len]);
    if (binding and !request.policy.allow_unsafe_any_addr) bind_loopback(out.bytes[0..out.len]);
    const family_value = std.mem.readInt(u16, out.bytes[0..2], .little);
    switch (family_value) {
        // The kernel reads AF_UNSPEC as AF_INET in an IPv4 socket's bind and send (connect
        // takes it as a disconnect: bind_or_connect): judged as the IPv4 address it carries.
        // Shorter, the kernel refuses it (EINVAL) and nothing is reached.
        af_unspec => if (out.len >= 16) {
            out.peer = inet4(out.bytes[4..8].*, std.mem.readInt(u16, out.bytes[2..4], .big), binding);
        },
        af_inet => {
            if (out.len < 16) return error.INVAL;
            out.peer = inet4(out.bytes[4..8].*, std.mem.readInt(u16, out.bytes[2..4], .big), binding);
        },
        af_inet6 => {
            if (out.len < 24) return error.INVAL;
            // As the original (its trace/allow_unsafe_ipv6_scope is not offered): a scope id
            // would pick the interface a link-local address is reached on; zeroed, with a record.
            if (out.len >= 28 and !std.mem.allEqual(u8, out.bytes[24..28], 0)) {
                request.log.emit(.warn, .{
                    .ctx = "net",
                    .op = "zero_scope_id",
                    .scope_id = std.mem.readInt(u32, out.bytes[24..28], .little),
                    .msg = "zeroed sin6_scope_id: the sandbox may not choose the interface of a link-local address",
                    .pid = request.tid(),
                });
                @memset(out.bytes[24..28], 0);
            }
            var bytes: [16]u8 = out.bytes[8..24].*;
            const port = std.mem.readInt(u16, out.bytes[2..4], .big);
            const mapped = std.mem.allEqual(u8, bytes[0..10], 0) and bytes[10] == 0xff and bytes[11] == 0xff;
            if (mapped) { // judged as the IPv4 address it carries
                out.peer = inet4(bytes[12..16].*, port, binding);
            } else {
                // `::` as a destination reaches `::1`: judged as that.
                if (!binding and std.mem.allEqual(u8, &bytes, 0)) bytes[15] = 1;
                out.peer = .{ .inet = .{ .family = 6, .bytes = bytes, .port = port } };
            }
        },
        af_unix => try read_unix(request, binding, out),
        // Other families (netlink, packet, ...) are not judged: allowed only with
        // trace/allow_unsupp_socket, refused otherwise (socket() refuses them first).
        else => if (request.policy.allow_unsupp_socket) {
            out.peer = null;
        } else return error.AFNOSUPPORT,
    }
    out.text = describe(out);
}

/// An IPv4 peer. Connecting or sending to 0.0.0.0 reaches 127.0.0.1: judged as that (found by
/// review); a bind to it is the any address.
fn inet4(address: [4]u8, port: u16, binding: bool) Peer {
    var bytes: [16]u8 = .{0} ** 16;
    bytes[0..4].* = address;
    if (!binding and std.mem.allEqual(u8, &address, 0)) bytes[0..4].* = .{ 127, 0, 0, 1 };
    return .{ .inet = .{ .family = 4, .bytes = bytes, .port = port } };
}

/// The name the original judges unnamed UNIX sockets by: socketpair, and bind's autobind.
pub const unnamed = "!unnamed";

fn read_unix(request: *const Request, binding: bool, out: *Address) sys.Errno!void {
    if (out.len == 2) { // unnamed: a bind autobinds (judged as !unnamed); elsewhere not judged
        if (binding) out.peer = .{ .unix = unnamed };
        return;
    }
    const sun = out.bytes[2..out.len];
    if (sun[0] == 0) {
        out.peer = .{ .abstract = sun[1..] };
        return;
    }
    const raw = std.mem.sliceTo(sun, 0);
    const options: path_mod.Options = if (binding) .{ .follow = .nofollow_last, .missing = .last_may_be_missing } else .{};
    // Longer than sun_path is fine: syd binds by the last component, connects by a fd link.
    const canonical = try handlers.canonicalize(request, handlers.at.fdcwd, raw, options, &out.path_buf);
    // No limit on the canonical length: a relative name in a deep cwd fits the caller's sockaddr,
    // and syd reaches it by a short name (Target), never by the canonical path.
    out.peer = .{ .unix = canonical };
}

/// The paths of the UNIX sockets syd bound by their bare name (`Target`), by socket inode, so
/// that getsockname answers the path the caller gave (canonical), not that name. Bounded: the
/// oldest entry goes first (its socket then answers the bare name).
const names = struct {
    const Entry = struct { ino: u64 = 0, len: u8 = 0, path: [sun_path_len_max]u8 = undefined };
    const len_max: usize = 256;
    var mutex: std.Thread.Mutex = .{};
    var entries: [len_max]Entry = [_]Entry{.{}} ** len_max;
    var next: usize = 0;

    fn remember(fd: i32, path: []const u8) void {
        if (path.len >= sun_path_len_max) return;
        var st: linux.Stat = undefined;
        _ = sys.check(linux.fstat(fd, &st)) catch return;
        mutex.lock();
        defer mutex.unlock();
        const entry = &entries[next % len_max];
        next += 1;
        entry.* = .{ .ino = st.ino, .len = @intCast(path.len) };
        @memcpy(entry.path[0..path.len], path);
    }

    /// Copies the path remembered for socket inode `ino` into `out`; its length, or null.
    fn recall(ino: u64, out: *[sun_path_len_max]u8) ?usize {
        mutex.lock();
        defer mutex.unlock();
        for (entries) |entry| if (entry.ino == ino and ino != 0) {
            @memcpy(out[0..entry.len], entry.path[0..entry.len]);
            return entry.len;
        };
        return null;
    }
};

/// The sandboxed process each UNIX socket syd connected for belongs to, by socket inode: the
/// kernel records the connecting process, syd, as the accepting side's peer (SO_PEERCRED), so
/// `peercred` answers with the process syd acted for. Bounded: the oldest entry goes first (its
/// peer then sees syd's pid, as before this map).
const connectors = struct {
    /// `view`: the process's number in the sandbox's pid namespace, taken at the connect (the
    /// kernel keeps a peer's pid from then on, even after it ended).
    const Entry = struct { ino: u64 = 0, tgid: i32 = 0, view: i32 = 0 };
    const len_max: usize = 1024;
    var mutex: std.Thread.Mutex = .{};
    var entries: [len_max]Entry = [_]Entry{.{}} ** len_max;
    var next: usize = 0;

    fn remember(fd: i32, tgid: i32, view: i32) void {
        assert(tgid > 0);
        var st: linux.Stat = undefined;
        _ = sys.check(linux.fstat(fd, &st)) catch return;
        mutex.lock();
        defer mutex.unlock();
        // A socket connected again (or a connect that failed before): its one entry replaced.
        for (&entries) |*entry| if (entry.ino == st.ino) {
            entry.* = .{ .ino = st.ino, .tgid = tgid, .view = view };
            return;
        };
        entries[next % len_max] = .{ .ino = st.ino, .tgid = tgid, .view = view };
        next += 1;
    }

    fn recall(ino: u64) ?i32 {
        const entry = recall_entry(ino) orelse return null;
        return entry.tgid;
    }

    fn recall_entry(ino: u64) ?Entry {
        mutex.lock();
        defer mutex.unlock();
        for (entries) |entry| if (entry.ino == ino and ino != 0) return entry;
        return null;
    }
};

/// A NETLINK_SOCK_DIAG socket, opened before syd's threads confine themselves (emulators may
/// write and read it, not open one): the peer of a UNIX socket is found by asking the kernel
/// (UNIX_DIAG_PEER). Without it (no unix_diag), peers see syd's pid, as before.
pub const diag = struct {
    var fd: i32 = -1;
    var mutex: std.Thread.Mutex = .{};
    var seq: u32 = 0;
    const af_netlink: u32 = 16;
    const netlink_sock_diag: u32 = 4;
    const sock_diag_by_family: u16 = 20;
    const nlmsg_error: u16 = 2;
    const nlm_f_request: u16 = 1;
    const udiag_show_peer: u32 = 4;
    const unix_diag_peer: u16 = 2;
    const Header = extern struct { len: u32, type: u16, flags: u16, seq: u32, pid: u32 };
    const Req = extern struct { family: u8, protocol: u8, pad: u16, states: u32, ino: u32, show: u32, cookie: [2]u32 };
    const Msg = extern struct { family: u8, type: u8, state: u8, pad: u8, ino: u32, cookie: [2]u32 };
    comptime {
        assert(@sizeOf(Header) == 16 and @sizeOf(Req) == 24 and @sizeOf(Msg) == 16);
    }

    pub fn open() void {
        const rc = linux.socket(af_netlink, linux.SOCK.RAW | linux.SOCK.CLOEXEC, netlink_sock_diag);
        fd = if (sys.check(rc)) |value| @intCast(value) else |_| -1;
    }

    pub fn close() void {
        if (fd >= 0) sys.close(fd);
        fd = -1;
    }

    /// Whether a UNIX socket with inode `ino` is open; null when the kernel does not say.
    pub fn alive(ino: u64) ?bool {
        if (fd < 0 or ino == 0 or ino > std.math.maxInt(u32)) return null;
        mutex.lock();
        defer mutex.unlock();
        seq +%= 1;
        const Request_ = extern struct { header: Header, req: Req };
        const request: Request_ = .{
            .header = .{ .len = @sizeOf(Request_), .type = sock_diag_by_family, .flags = nlm_f_request, .seq = seq, .pid = 0 },
            .req = .{ .family = @intCast(af_unix), .protocol = 0, .pad = 0, .states = 0xffff_ffff, .ino = @intCast(ino), .show = 0, .cookie = .{ 0xffff_ffff, 0xffff_ffff } },
        };
        _ = sys.check(linux.write(fd, std.mem.asBytes(&request), @sizeOf(Request_))) catch return null;
        var buf: [512]u8 align(4) = undefined;
        var reads: u32 = 0;
        while (reads < 4) : (reads += 1) { // answers to an earlier, abandoned request come first
            const n = sys.check(linux.read(fd, &buf, buf.len)) catch return null;
            if (n < @sizeOf(Header) + 4) return null;
            const header = std.mem.bytesToValue(Header, buf[0..@sizeOf(Header)]);
            if (header.seq != seq) continue;
            if (header.type == sock_diag_by_family) return true;
            if (header.type != nlmsg_error) return null;
            const err = std.mem.readInt(i32, buf[@sizeOf(Header)..][0..4], .little);
            return if (err == -@as(i32, @intFromEnum(linux.E.NOENT))) false else null;
        }
        return null;
    }

    /// The inode of the UNIX socket connected to the one with inode `ino`, or null.
    pub fn peer_of(ino: u64) ?u64 {
        if (fd < 0 or ino == 0 or ino > std.math.maxInt(u32)) return null;
        mutex.lock();
        defer mutex.unlock();
        seq +%= 1;
        const Request_ = extern struct { header: Header, req: Req };
        const request: Request_ = .{
            .header = .{ .len = @sizeOf(Request_), .type = sock_diag_by_family, .flags = nlm_f_request, .seq = seq, .pid = 0 },
            .req = .{ .family = @intCast(af_unix), .protocol = 0, .pad = 0, .states = 0xffff_ffff, .ino = @intCast(ino), .show = udiag_show_peer, .cookie = .{ 0xffff_ffff, 0xffff_ffff } },
        };
        _ = sys.check(linux.write(fd, std.mem.asBytes(&request), @sizeOf(Request_))) catch return null;
        var buf: [4096]u8 align(4) = undefined;
        var reads: u32 = 0;
        while (reads < 4) : (reads += 1) { // answers to an earlier, abandoned request come first
            const n = sys.check(linux.read(fd, &buf, buf.len)) catch return null;
            if (parse_peer(buf[0..n], seq)) |answer| return answer orelse null;
        }
        return null;
    }

    /// The peer inode in the answer `bytes` to request `want`: null when `bytes` answers
    /// another request; an inner null when the kernel had no peer (or refused).
    fn parse_peer(bytes: []const u8, want: u32) ??u64 {
        if (bytes.len < @sizeOf(Header)) return @as(?u64, null);
        const header = std.mem.bytesToValue(Header, bytes[0..@sizeOf(Header)]);
        if (header.seq != want) return null;
        if (header.type == nlmsg_error or header.type != sock_diag_by_family) return @as(?u64, null);
        const end = @min(bytes.len, header.len);
        var at: usize = @sizeOf(Header) + @sizeOf(Msg);
        while (at + 4 <= end) {
            const attr_len = std.mem.readInt(u16, bytes[at..][0..2], .little);
            const attr_type = std.mem.readInt(u16, bytes[at + 2 ..][0..2], .little);
            if (attr_len < 4 or at + attr_len > end) return @as(?u64, null);
            if (attr_type == unix_diag_peer and attr_len >= 8) return @as(?u64, std.mem.readInt(u32, bytes[at + 4 ..][0..4], .little));
            at += std.mem.alignForward(usize, attr_len, 4);
        }
        return @as(?u64, null);
    }
};

test "diag.parse_peer reads UNIX_DIAG_PEER, and never fails on random answers" {
    var answer: [40]u8 align(4) = [_]u8{0} ** 40;
    const header: diag.Header = .{ .len = 40, .type = 20, .flags = 0, .seq = 7, .pid = 0 };
    @memcpy(answer[0..16], std.mem.asBytes(&header));
    std.mem.writeInt(u16, answer[32..34], 8, .little);
    std.mem.writeInt(u16, answer[34..36], 2, .little);
    std.mem.writeInt(u32, answer[36..40], 4242, .little);
    try std.testing.expectEqual(@as(?u64, 4242), diag.parse_peer(&answer, 7).?);
    try std.testing.expect(diag.parse_peer(&answer, 8) == null); // another request's answer
    var prng = std.Random.DefaultPrng.init(0xd1a6);
    const random = prng.random();
    var buf: [64]u8 = undefined;
    for (0..20_000) |_| {
        const len = random.uintLessThan(usize, buf.len);
        random.bytes(buf[0..len]);
        if (random.boolean() and len >= 16) std.mem.writeInt(u32, buf[8..12], 3, .little);
        _ = diag.parse_peer(buf[0..len], 3);
    }
}

/// getsockopt(SOL_SOCKET, SO_PEERCRED) on a socket whose peer connected through syd: the
/// kernel names syd; the answer names the sandboxed process syd connected for (its uid and gid
/// are syd's: syd acts only for callers with its own credentials). Other options, and peers
/// that connected by themselves, are continued: the answer reaches nothing syd judges.
pub fn peercred(request: *const Request) Response {
    const level: u32 = @truncate(request.arg(1));
    const optname: u32 = @truncate(request.arg(2));
    if (level == sol_socket and optname == unix_creds.so_peerpidfd) return unix_creds.peerpidfd(request);
    if (level != sol_socket or optname != linux.SO.PEERCRED) return .continue_call;
    const fd = emulate.caller_fd(request, handlers.fd_arg(request, 0), false) catch return .continue_call;
    defer sys.close(fd);
    var cred: extern struct { pid: i32, uid: u32, gid: u32 } = undefined;
    var cred_len: linux.socklen_t = @sizeOf(@TypeOf(cred));
    _ = sys.check(linux.getsockopt(fd, sol_socket, linux.SO.PEERCRED, @ptrCast(&cred), &cred_len)) catch return .continue_call;
    if (cred.pid != sys.getpid()) return .continue_call;
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch return .continue_call;
    const peer = diag.peer_of(st.ino) orelse return .continue_call;
    cred.pid = (connectors.recall_entry(peer) orelse return .continue_call).view;
    if (namespaces.id_map) |map| {
        cred.uid = map.uid(cred.uid);
        cred.gid = map.gid(cred.gid);
    }
    var given: i32 = 0;
    handlers.read_memory(request.tid(), request.arg(4), std.mem.asBytes(&given)) catch |err| return handlers.failure(err);
    if (given < 0) return .{ .failure = @intFromEnum(linux.E.INVAL) };
    const copied: u32 = @min(@as(u32, @intCast(given)), @sizeOf(@TypeOf(cred)));
    if (copied > 0) handlers.write_memory(request.tid(), request.arg(3), std.mem.asBytes(&cred)[0..copied]) catch |err| return handlers.failure(err);
    handlers.write_memory(request.tid(), request.arg(4), std.mem.asBytes(&copied)) catch |err| return handlers.failure(err);
    return .{ .value = 0 };
}

/// The sandboxed process syd connected syd's copy `fd` of a caller's socket's peer for (its
/// tgid), or null: the peer connected by itself, or is no longer remembered.
pub fn connector_of(fd: i32) ?i32 {
    assert(fd >= 0);
    var cred: extern struct { pid: i32, uid: u32, gid: u32 } = undefined;
    var cred_len: linux.socklen_t = @sizeOf(@TypeOf(cred));
    _ = sys.check(linux.getsockopt(fd, sol_socket, linux.SO.PEERCRED, @ptrCast(&cred), &cred_len)) catch return null;
    if (cred.pid != sys.getpid()) return null;
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch return null;
    const peer = diag.peer_of(st.ino) orelse return null;
    return connectors.recall(peer);
}

/// getsockname: for a UNIX socket syd bound, the path the caller bound it to; otherwise
/// continued (names nothing: the fd is a register).
pub fn sockname(request: *const Request) Response {
    const fd = emulate.caller_fd(request, handlers.fd_arg(request, 0), false) catch return .continue_call;
    defer sys.close(fd);
    const own = unix_names.own_name(request, fd); // the path as the caller gave it
    if (own != .continue_call) return own;
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch return .continue_call;
    var path: [sun_path_len_max]u8 = undefined;
    const path_len = names.recall(st.ino, &path) orelse return .continue_call;
    var addr: [2 + sun_path_len_max + 1]u8 = [_]u8{0} ** (2 + sun_path_len_max + 1);
    std.mem.writeInt(u16, addr[0..2], af_unix, .little);
    @memcpy(addr[2..][0..path_len], path[0..path_len]);
    const full: u32 = @intCast(2 + path_len + 1);
    var given: u32 = 0;
    handlers.read_memory(request.tid(), request.arg(2), std.mem.asBytes(&given)) catch |err| return handlers.failure(err);
    if (@as(i32, @bitCast(given)) < 0) return .{ .failure = @intFromEnum(linux.E.INVAL) };
    const copied = @min(given, full);
    if (copied > 0) handlers.write_memory(request.tid(), request.arg(1), addr[0..copied]) catch |err| return handlers.failure(err);
    handlers.write_memory(request.tid(), request.arg(2), std.mem.asBytes(&full)) catch |err| return handlers.failure(err);
    return .{ .value = 0 };
}

/// The sun_path of a UNIX `address` as read from the caller (up to its first NUL), copied into
/// `out`; empty for other addresses.
fn given_path(address: *const Address, out: *[sun_path_len_max]u8) []const u8 {
    assert(address.len <= sockaddr_len_max);
    if (address.len <= 2 or std.mem.readInt(u16, address.bytes[0..2], .little) != af_unix) return "";
    const raw = std.mem.sliceTo(address.bytes[2..address.len], 0);
    const n = @min(raw.len, out.len - 1);
    @memcpy(out[0..n], raw[0..n]);
    return out[0..n];
}

/// What syd binds, connects or sends to for a UNIX path, named so that nothing resolves again
/// what was judged: the socket file opened race-free inside the caller's root (no symlink, no
/// magic link), named by its /proc/thread-self/fd/N link; for a bind, the new name in the judged
/// directory, opened the same way and made this emulator's cwd (its fs struct is its own).
/// Other addresses are used as read. `release` undoes it after the call.
const Target = struct {
    fd: i32 = -1,
    moved: bool = false,

    fn prepare(request: *const Request, address: *Address, binding: bool) sys.Errno!Target {
        const peer = address.peer orelse return .{};
        const canonical = switch (peer) {
            .unix => |path| if (path[0] == '/') path else return .{}, // !unnamed: autobind
            else => return .{},
        };
        const root = try emulate.Root.open(request.tid());
        defer root.close();
        var target: Target = .{};
        errdefer target.release();
        var name_buf: [256]u8 = undefined;
        var link_buf: [48]u8 = undefined;
        var unique_buf: [sun_path_len_max]u8 = undefined;
        const name: []const u8 = if (binding) bind_name: {
            if (canonical.len == 1) return error.ADDRINUSE; // "/" exists
            const parent = try root.parent(canonical, &name_buf);
            target.fd = parent.fd;
            _ = try sys.check(linux.fchdir(parent.fd));
            target.moved = true;
            if (parent.name.len >= sun_path_len_max) return error.NAMETOOLONG;
            break :bind_name unix_names.unique_name(parent.name, &unique_buf); // what peers see
        } else link: {
            target.fd = try root.openat2(canonical, handlers.o.path, 0);
            break :link emulate.fd_link(target.fd, &link_buf);
        };
        if (name.len >= sun_path_len_max) return error.NAMETOOLONG;
        @memset(address.bytes[2..], 0);
        @memcpy(address.bytes[2..][0..name.len], name);
        address.len = 2 + name.len + 1;
        return target;
    }

    fn release(self: *Target) void {
        if (self.moved) _ = linux.chdir("/");
        if (self.fd >= 0) sys.close(self.fd);
        self.* = .{};
    }
};

fn describe(address: *Address) []const u8 {
    const peer = address.peer orelse return "(unnamed)";
    return switch (peer) {
        .unix => |path| path,
        .abstract => |name| std.fmt.bufPrint(&address.text_buf, "@{s}", .{name}) catch "@",
        .inet => |inet| blk: {
            if (inet.family == 4) {
                break :blk std.fmt.bufPrint(&address.text_buf, "{d}.{d}.{d}.{d}!{d}", .{ inet.bytes[0], inet.bytes[1], inet.bytes[2], inet.bytes[3], inet.port }) catch "";
            }
            const ip6 = std.net.Ip6Address.init(inet.bytes, inet.port, 0, 0);
            var tmp: [64]u8 = undefined;
            const text = std.fmt.bufPrint(&tmp, "{}", .{ip6}) catch break :blk ""; // [addr]:port
            const close = std.mem.lastIndexOfScalar(u8, text, ']') orelse break :blk "";
            break :blk std.fmt.bufPrint(&address.text_buf, "{s}!{d}", .{ text[1..close], inet.port }) catch "";
        },
    };
}

/// Judges `address` for `cat` on syd's copy `fd` of the caller's socket (its protocol, when a
/// rule names one); null when allowed, else the answer.
fn judge(request: *const Request, cat: Cat, nr: SYS, fd: i32, address: *const Address) ?Response {
    assert(fd >= 0);
    var peer = address.peer orelse return null; // not judged
    if (!request.policy.on[@intFromEnum(cat)]) return null;
    if (cat == .net_connect and request.policy.allow_safe_bind and safe_bound.allows(fd, peer)) return null;
    switch (peer) {
        .inet => |*inet| if (request.policy.net_protocols) {
            // Unknown, a rule naming a protocol could not be applied: refused, never guessed.
            inet.protocol = socket_protocol(fd) catch |err| return handlers.failure(err);
        },
        else => {},
    }
    const verdict = request.policy.judge_net(cat, peer);
    const family_name: []const u8 = switch (peer) {
        .inet => |inet| if (inet.family == 4) "inet" else "inet6",
        .unix => "unix",
        .abstract => "abstract",
    };
    const judgement: handlers.Judgement = .{ .action = verdict.action, .cat = cat, .origin = verdict.origin, .judged = true, .family = family_name };
    if (handlers.enforce(request, judgement, address.text)) |_| return .{ .failure = denial_errno(cat, nr) };
    return null;
}

/// The socket's IP protocol (SO_PROTOCOL: 6 for TCP, 17 for UDP, ...), as dial(3) rules name it.
fn socket_protocol(fd: i32) sys.Errno!u16 {
    var protocol: i32 = 0;
    var len: linux.socklen_t = @sizeOf(i32);
    _ = try sys.check(linux.getsockopt(fd, linux.SOL.SOCKET, linux.SO.PROTOCOL, @ptrCast(&protocol), &len));
    if (protocol < 0 or protocol > std.math.maxInt(u16)) return error.PROTONOSUPPORT;
    return @intCast(protocol);
}

/// syd's own copy of the caller's socket `fd`, with the caller's umask for a bound socket file.
fn socket_copy(request: *const Request, fd: i32) sys.Errno!i32 {
    return emulate.caller_fd(request, fd, true);
}

/// socket(2), always trapped: as the original, whatever the sandbox's state, raw and packet
/// sockets are refused (EPERM: the sandbox holds no CAP_NET_RAW), netlink sockets
/// (EPROTONOSUPPORT: the original's allow/net/link is not offered), kernel crypto sockets
/// (AF_ALG, EAFNOSUPPORT unless trace/allow_unsafe_kcapi:1), and families other than UNIX,
/// IPv4 and IPv6, which syd cannot judge (EAFNOSUPPORT unless trace/allow_unsupp_socket:1).
/// Every argument is a register: continued when allowed.
pub fn socket(request: *const Request) Response {
    const domain: u32 = @truncate(request.arg(0));
    const kind: u32 = @as(u32, @truncate(request.arg(1))) & 0xf; // without SOCK_NONBLOCK, SOCK_CLOEXEC
    const verdict = socket_verdict(request.policy, domain, kind) orelse
        return if (cloexec_forced(request)) make_socket(request) else .continue_call;
    var comm_buf: [32]u8 = undefined;
    var cwd_buf: [4096]u8 = undefined;
    request.log.emit(.warn, .{
        .ctx = "access",
        .cap = "net",
        .act = "deny",
        .sys = "socket",
        .family = domain_name(domain),
        .addr = domain_name(domain),
        .msg = verdict.why,
        .pid = request.tid(),
        .cmd = caller_mod.comm(request.tid(), &comm_buf),
        .cwd = caller_mod.cwd(request.tid(), &cwd_buf),
        .tip = verdict.tip,
    });
    return .{ .failure = @intFromEnum(verdict.errno) };
}

const SocketVerdict = struct { errno: linux.E, why: []const u8, tip: []const u8 = "" };

/// Why a socket of `domain` and `kind` (SOCK_STREAM, ...) is refused, or null.
fn socket_verdict(policy: *const policy_mod.Policy, domain: u32, kind: u32) ?SocketVerdict {
    assert(kind <= 0xf);
    const inet = domain == af_inet or domain == af_inet6;
    if (domain == af_packet or (inet and (kind == sock_raw or kind == sock_packet))) {
        return .{ .errno = .PERM, .why = "raw and packet sockets would write headers naming other addresses: refused" };
    }
    if (domain == af_unix or inet) return null;
    if (domain == af_netlink_domain) {
        return .{ .errno = .PROTONOSUPPORT, .why = "netlink sockets reach the kernel's network configuration: refused (the original's allow/net/link is not offered)" };
    }
    if (domain == af_alg) {
        if (policy.allow_unsafe_kcapi) return null;
        return .{ .errno = .AFNOSUPPORT, .why = "kernel crypto sockets (AF_ALG): refused, a kernel path with a history of bugs", .tip = "trace/allow_unsafe_kcapi:1" };
    }
    if (policy.allow_unsupp_socket) return null;
    return .{ .errno = .AFNOSUPPORT, .why = "sockets of this family are not judged by syd: refused", .tip = "trace/allow_unsupp_socket:1" };
}

/// socketpair(2) of UNIX sockets, trapped while network sandboxing is on: judged for net/bind
/// as `!unnamed` (the original's name for unnamed UNIX sockets), EOPNOTSUPP when denied. Every
/// argument is a register: continued when allowed.
pub fn socketpair(request: *const Request) Response {
    if (@as(u32, @truncate(request.arg(0))) != af_unix) return .continue_call; // refused by the kernel
    if (request.policy.on[@intFromEnum(Cat.net_bind)]) if (judge_unnamed(request)) |response| return response;
    return if (cloexec_forced(request)) make_socketpair(request) catch |err| handlers.failure(err) else .continue_call;
}

/// trace/force_cloexec is on and the caller did not ask for SOCK_CLOEXEC: syd makes the socket
/// (or pair) itself and hands it over close-on-exec, as the kernel cannot be told to add the
/// flag to a continued call. The socket is made in syd's network namespace, which is the
/// sandbox's (syd offers no unshare/net yet: a sandbox with its own namespace would need this
/// made there).
fn cloexec_forced(request: *const Request) bool {
    return request.policy.force_cloexec and request.arg(1) & sock_cloexec == 0;
}

const sock_cloexec: u32 = 0o2000000;

/// socket(2) as the caller asked, close-on-exec, in syd (confine.zig `socket_rules`).
fn make_socket(request: *const Request) Response {
    assert(cloexec_forced(request));
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    const arg = request.notif.data.args;
    const fd = sys.check(linux.socket(@truncate(arg[0]), @as(u32, @truncate(arg[1])) | sock_cloexec, @truncate(arg[2]))) catch |err| return handlers.failure(err);
    return .{ .fd = .{ .fd = @intCast(fd), .cloexec = true } };
}

/// socketpair(2) of UNIX sockets as the caller asked, close-on-exec, in syd: both put into the
/// caller, their numbers written to its array. The array is read and written back first, so
/// that a bad pointer fails with EFAULT before any fd reaches the caller.
fn make_socketpair(request: *const Request) sys.Errno!Response {
    assert(cloexec_forced(request));
    const arg = request.notif.data.args;
    var pair: [2]i32 = .{ -1, -1 };
    try handlers.read_memory(request.tid(), arg[3], std.mem.asBytes(&pair));
    try handlers.write_memory(request.tid(), arg[3], std.mem.asBytes(&pair));
    var made: [2]i32 = undefined;
    _ = try sys.check(linux.socketpair(@bitCast(@as(u32, @truncate(arg[0]))), @bitCast(@as(u32, @truncate(arg[1])) | sock_cloexec), @bitCast(@as(u32, @truncate(arg[2]))), &made));
    defer for (made) |fd| sys.close(fd);
    if (!request.valid()) return error.NOENT;
    for (made, &pair) |fd, *number| number.* = try notify.add_fd(request.notify_fd, request.notif.id, fd, true);
    assert(pair[0] >= 0 and pair[1] >= 0);
    try handlers.write_memory(request.tid(), arg[3], std.mem.asBytes(&pair));
    return .{ .value = 0 };
}

/// Judges an unnamed UNIX socket for net/bind as `!unnamed` (net/bind on): null when allowed,
/// EOPNOTSUPP (the original's) when not.
fn judge_unnamed(request: *const Request) ?Response {
    assert(request.policy.on[@intFromEnum(Cat.net_bind)]);
    const verdict = request.policy.judge_net(.net_bind, .{ .unix = unnamed });
    const judgement: handlers.Judgement = .{ .action = verdict.action, .cat = .net_bind, .origin = verdict.origin, .judged = true, .family = "unix" };
    if (handlers.enforce(request, judgement, unnamed)) |_| return .{ .failure = @intFromEnum(linux.E.OPNOTSUPP) };
    return null;
}

const so_passcred: u32 = 16;
const so_passpidfd: u32 = 76;

/// setsockopt(2), trapped while network sandboxing is on: the options the filter refuses are
/// answered here as the filter answers them (filter/table.zig `refusal`); SO_PASSCRED and SO_PASSPIDFD turned on for an unbound UNIX
/// socket make it autobind at its next connect or send, so they are judged for net/bind as
/// `!unnamed` and set by syd on its copy with the value it read (EOPNOTSUPP when denied).
pub fn setsockopt(request: *const Request) Response {
    const relaxed: ?table.Option = if (request.policy.allow_unsafe_oob) .allow_oob else null;
    if (table.refusal_unless(table.setsockopt_answer, request.notif.data.args, relaxed)) |errno| return .{ .failure = @intFromEnum(errno) };
    const level: u32 = @truncate(request.arg(1));
    const name: u32 = @truncate(request.arg(2));
    if (level != sol_socket or (name != so_passcred and name != so_passpidfd)) return .continue_call;
    if (!request.policy.on[@intFromEnum(Cat.net_bind)]) return .continue_call;
    return set_passcred(request, name) catch |err| handlers.failure(err);
}

fn set_passcred(request: *const Request, name: u32) sys.Errno!Response {
    const len: i32 = @bitCast(@as(u32, @truncate(request.arg(4)))); // the kernel's int optlen
    if (len < @sizeOf(i32)) return error.INVAL;
    var value: i32 = 0;
    try handlers.read_memory(request.tid(), request.arg(3), std.mem.asBytes(&value));
    if (!request.valid()) return error.NOENT;
    const fd = try socket_copy(request, handlers.fd_arg(request, 0));
    defer sys.close(fd);
    if (value != 0 and try unbound_unix(fd)) if (judge_unnamed(request)) |response| return response;
    _ = try sys.check(linux.setsockopt(fd, sol_socket, name, std.mem.asBytes(&value), @sizeOf(i32)));
    return .{ .value = 0 };
}

/// Whether syd's copy `fd` is a UNIX socket with no name (its next connect or send with
/// SO_PASSCRED would autobind it).
fn unbound_unix(fd: i32) sys.Errno!bool {
    var bytes: [sockaddr_len_max]u8 align(4) = undefined;
    var len: linux.socklen_t = sockaddr_len_max;
    _ = try sys.check(linux.getsockname(fd, @ptrCast(&bytes), &len));
    if (len < 2 or std.mem.readInt(u16, bytes[0..2], .little) != af_unix) return false;
    return len == 2;
}

/// The name of an address family, as `socket(7)` lists them (`AF_` left off), for records.
fn domain_name(domain: u32) []const u8 {
    return switch (domain) {
        2 => "inet",
        3 => "ax25",
        4 => "ipx",
        5 => "appletalk",
        9 => "x25",
        10 => "inet6",
        15 => "key",
        16 => "netlink",
        17 => "packet",
        21 => "rds",
        24 => "pppox",
        29 => "can",
        30 => "tipc",
        31 => "bluetooth",
        38 => "alg",
        40 => "vsock",
        44 => "xdp",
        45 => "mctp",
        else => "other",
    };
}

const af_packet: u32 = 17;
const af_netlink_domain: u32 = 16;
const af_alg: u32 = 38;
const sock_raw: u32 = 3;
const sock_packet: u32 = 10;

pub fn handle(request: *const Request) Response {
    const nr = handlers.nr_of(request);
    // MSG_OOB, refused as the original refuses it (filter/table.zig `why_oob`); a register.
    const flags_index: usize = switch (nr) {
        .sendto, .sendmmsg => 3,
        .sendmsg => 2,
        else => 0,
    };
    if (flags_index != 0 and request.arg(flags_index) & table.msg_oob != 0 and !request.policy.allow_unsafe_oob) {
        return .{ .failure = @intFromEnum(linux.E.OPNOTSUPP) };
    }
    // With net/bind off, an IPv4 or IPv6 bind is still performed by syd: the any address
    // becomes loopback.
    if (nr == .bind and !request.policy.on[@intFromEnum(Cat.net_bind)] and !request.policy.allow_unsafe_any_addr) {
        return bind_unjudged(request) catch |err| handlers.failure(err);
    }
    // With net/connect off the sends are continued: the any address is refused first.
    if (nr != .bind and !request.policy.on[@intFromEnum(Cat.net_connect)]) {
        if (any_addr_gate(request, nr)) |response| return response;
    }
    if (!handlers.any_on(request.policy, &family)) return .continue_call;
    const result = switch (nr) {
        .bind, .connect => bind_or_connect(request, nr),
        .sendto => sendto(request),
        .sendmsg => sendmsg_one(request, request.arg(1), @truncate(request.arg(2))),
        .sendmmsg => sendmmsg(request),
        else => unreachable,
    };
    return result catch |err| {
        if (err == error.AFNOSUPPORT) {
            var comm_buf: [32]u8 = undefined;
            var cwd_buf: [4096]u8 = undefined;
            request.log.emit(.warn, .{
                .ctx = "access",
                .cap = if (nr == .bind) "net/bind" else "net/connect",
                .act = "deny",
                .sys = handlers.syscall_name(request.notif.data.nr),
                .addr = "an address of a family syd does not judge",
                .family = "unsupported",
                .msg = "sockets of this family are not judged by syd: refused while network sandboxing is on",
                .pid = request.tid(),
                .cmd = caller_mod.comm(request.tid(), &comm_buf),
                .cwd = caller_mod.cwd(request.tid(), &cwd_buf),
                .tip = "trace/allow_unsupp_socket:1",
            });
        }
        return handlers.failure(err);
    };
}

fn bind_or_connect(request: *const Request, nr: SYS) sys.Errno!Response {
    const cat: Cat = if (nr == .bind) .net_bind else .net_connect;
    if (!request.policy.on[@intFromEnum(cat)]) return .continue_call;
    var address: Address = .{};
    try read_address(request, request.arg(1), request.arg(2), nr == .bind, &address);
    // connect with AF_UNSPEC dissolves the association: nothing is reached, nothing judged.
    if (nr == .connect and std.mem.readInt(u16, address.bytes[0..2], .little) == af_unspec) address.peer = null;
    if (!request.valid()) return error.NOENT;
    // Not judged (another family under trace/allow_unsupp_socket, an unnamed UNIX socket), yet
    // performed on the bytes read: continued, the kernel would read the address again.
    const fd = try socket_copy(request, handlers.fd_arg(request, 0));
    defer sys.close(fd);
    if (address.peer != null) if (judge(request, cat, nr, fd, &address)) |response| return response;
    // getsockname answers the path as the caller gave it (relative ones too), as the kernel.
    var given_buf: [sun_path_len_max]u8 = undefined;
    const given = given_path(&address, &given_buf);
    const given_name = unix_names.Given.of(address.bytes[2..address.len]); // before Target rewrites it
    var target = try Target.prepare(request, &address, nr == .bind);
    defer target.release();
    const sa: *const linux.sockaddr = @ptrCast(@alignCast(&address.bytes));
    const len: linux.socklen_t = @intCast(address.len);
    if (nr == .bind) {
        _ = try sys.retry(linux.bind, .{ fd, sa, len });
        if (target.moved) names.remember(fd, given);
        if (target.moved) unix_names.remember(fd, std.mem.sliceTo(address.bytes[2..address.len], 0), given_name.slice());
        if (request.policy.allow_safe_bind) if (address.peer) |peer| safe_bound.remember(fd, peer);
    } else {
        // Remembered before the connect: the accepting side may ask its peer's credentials as
        // soon as the connection is made, before syd's connect returns (found by the attack
        // session, in a pid namespace).
        if (address.peer) |peer| if (peer != .inet) {
            var status: caller_mod.Status = .{};
            if (caller_mod.read_status(request.tid(), &status)) |_| {
                connectors.remember(fd, status.tgid, path_mod.view_tgid(&status));
            } else |_| {}
        };
        _ = try handlers.blocking_call(request, false, linux.connect, .{ fd, sa, len });
    }
    return .{ .value = 0 };
}

fn sendto(request: *const Request) sys.Errno!Response {
    if (request.arg(4) == 0) return .continue_call; // a connected socket: judged at connect
    if (!request.policy.on[@intFromEnum(Cat.net_connect)]) return .continue_call;
    var address: Address = .{};
    try read_address(request, request.arg(4), request.arg(5), false, &address);
    var data: [send_len_max]u8 = undefined;
    const len: usize = @intCast(@min(request.arg(2), send_len_max));
    if (len > 0) try handlers.read_memory(request.tid(), request.arg(1), data[0..len]);
    if (!request.valid()) return error.NOENT;
    const fd = try socket_copy(request, handlers.fd_arg(request, 0));
    defer sys.close(fd);
    if (address.peer != null) if (judge(request, .net_connect, .sendto, fd, &address)) |response| return response;
    if (request.arg(2) > send_len_max and try is_datagram(fd)) return error.MSGSIZE;
    var target = try Target.prepare(request, &address, false);
    defer target.release();
    const sa: *const linux.sockaddr = @ptrCast(@alignCast(&address.bytes));
    const flags: u32 = @truncate(request.arg(3));
    const sending = unix_creds.sending(fd, request.tid()); // whose message it is, for receivers
    const sent = handlers.blocking_call(request, true, linux.sendto, .{ fd, &data, len, flags, sa, @as(linux.socklen_t, @intCast(address.len)) }) catch |err| {
        unix_creds.unsent(sending);
        if (err == error.PIPE) raise_sigpipe(request, flags);
        return err;
    };
    return .{ .value = @intCast(sent) };
}

fn is_datagram(fd: i32) sys.Errno!bool {
    var kind: i32 = 0;
    var len: linux.socklen_t = @sizeOf(i32);
    _ = try sys.check(linux.getsockopt(fd, linux.SOL.SOCKET, linux.SO.TYPE, @ptrCast(&kind), &len));
    return kind != linux.SOCK.STREAM;
}

/// `struct msghdr` as x86_64 lays it out in the caller's memory (unix_names.zig reads it too).
pub const MsgHdr = extern struct {
    name: u64,
    namelen: u32,
    pad0: u32,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
    flags: i32,
    pad1: u32,
};
comptime {
    assert(@sizeOf(MsgHdr) == 56);
}

fn sendmmsg(request: *const Request) sys.Errno!Response {
    // The kernel reads vlen as an unsigned int: 2^32 is 0 (found by the fuzz test).
    const vlen: usize = @min(@as(u32, @truncate(request.arg(2))), iov_count_max);
    const flags: u32 = @truncate(request.arg(3));
    var sent: usize = 0;
    while (sent < vlen) : (sent += 1) {
        // struct mmsghdr: msghdr + msg_len (+ padding); a pointer near the top wraps: EFAULT.
        const entry = std.math.add(u64, request.arg(1), sent * 64) catch return if (sent == 0) error.FAULT else .{ .value = @intCast(sent) };
        const response = sendmsg_one(request, entry, flags) catch |err| {
            if (sent == 0) return err;
            break;
        };
        switch (response) {
            .value => |count| {
                var len: u32 = @intCast(count);
                try handlers.write_memory(request.tid(), entry + 56, std.mem.asBytes(&len));
            },
            .continue_call => unreachable, // sendmsg_one performs every send itself
            else => return if (sent == 0) response else .{ .value = @intCast(sent) },
        }
    }
    return .{ .value = @intCast(sent) };
}

/// Judges and performs one sendmsg; continues it when it has neither an address nor fds.
fn sendmsg_one(request: *const Request, msg_addr: u64, flags: u32) sys.Errno!Response {
    var msg: MsgHdr = undefined;
    try handlers.read_memory(request.tid(), msg_addr, std.mem.asBytes(&msg));
    var control: [control_len_max]u8 align(8) = undefined;
    const control_len: usize = @intCast(@min(msg.controllen, control_len_max));
    if (msg.controllen > control_len_max) return error.NOBUFS;
    if (control_len > 0) try handlers.read_memory(request.tid(), msg.control, control[0..control_len]);
    const passes_fds = has_rights(control[0..control_len]);
    try unix_creds.claim_own(request, control[0..control_len]);
    // Never continued, even with nothing to judge: the kernel would read the message again,
    // and another thread may have put an address or fds in it meanwhile.
    var address: Address = .{};
    if (msg.name != 0) try read_address(request, msg.name, msg.namelen, false, &address);
    var data: [send_len_max]u8 = undefined;
    var cut = false;
    const data_len = try gather(request, msg, &data, &cut);
    if (!request.valid()) return error.NOENT;
    const fd = try socket_copy(request, handlers.fd_arg(request, 0));
    defer sys.close(fd);
    if (msg.name != 0) {
        if (judge(request, .net_connect, .sendmsg, fd, &address)) |response| return response;
    }
    if (cut and try is_datagram(fd)) return error.MSGSIZE; // a datagram is never cut short
    var target: Target = if (msg.name != 0) try Target.prepare(request, &address, false) else .{};
    defer target.release();
    var fds_buf: [fds_max]i32 = undefined;
    const fds = try translate_rights(request, control[0..control_len], &fds_buf);
    defer for (fds) |copy| sys.close(copy);
    if (passes_fds) if (judge_fds(request, fds)) |response| return response;
    var iov = [_]std.posix.iovec_const{.{ .base = &data, .len = data_len }};
    const out: linux.msghdr_const = .{
        .name = if (msg.name != 0) @ptrCast(@alignCast(&address.bytes)) else null,
        .namelen = if (msg.name != 0) @intCast(address.len) else 0,
        .iov = &iov,
        .iovlen = 1,
        .control = if (control_len > 0) &control else null,
        .controllen = @intCast(control_len),
        .flags = 0,
    };
    const sending = unix_creds.sending(fd, request.tid()); // whose message it is, for receivers
    const sent = handlers.blocking_call(request, true, linux.sendmsg, .{ fd, &out, flags }) catch |err| {
        unix_creds.unsent(sending);
        if (err == error.PIPE) raise_sigpipe(request, flags);
        return err;
    };
    return .{ .value = @intCast(sent) };
}

/// Judges each fd passed (syd's copies: what is sent) for sendfd, by its name.
fn judge_fds(request: *const Request, fds: []const i32) ?Response {
    if (!request.policy.on[@intFromEnum(Cat.sendfd)]) return null;
    var buf: [path_mod.path_len_max]u8 = undefined;
    for (fds) |copy| {
        assert(copy >= 0);
        const name = anonfd.fd_name(copy, &buf) catch |err| return handlers.failure(err);
        const verdict = handlers.judge(request.policy, &.{.sendfd}, name);
        assert(verdict.judged);
        if (handlers.enforce(request, verdict, name)) |_| return .{ .failure = @intFromEnum(linux.E.ACCES) };
    }
    return null;
}

const msg_nosignal: u32 = 0x4000;

/// A send syd performs on its copy of a socket whose peer is gone gets EPIPE without a signal
/// (syd ignores SIGPIPE): the caller gets the SIGPIPE its own send would have raised.
fn raise_sigpipe(request: *const Request, flags: u32) void {
    if (flags & msg_nosignal != 0) return;
    var status: caller_mod.Status = .{};
    caller_mod.read_status(request.tid(), &status) catch return;
    sys.tgkill(status.tgid, request.tid(), linux.SIG.PIPE) catch {};
}

/// Copies the caller's iovecs into `out` (at most send_len_max bytes); returns the length, and
/// sets `cut` when the message is longer.
fn gather(request: *const Request, msg: MsgHdr, out: *[send_len_max]u8, cut: *bool) sys.Errno!usize {
    if (msg.iovlen > iov_count_max) return error.MSGSIZE;
    var total: usize = 0;
    var i: u64 = 0;
    while (i < msg.iovlen) : (i += 1) {
        if (total == out.len) {
            cut.* = true; // whether the rest holds any byte: the kernel would count them
            break;
        }
        var iov: [2]u64 = undefined; // struct iovec { base, len }
        const at = std.math.add(u64, msg.iov, i * 16) catch return error.FAULT;
        try handlers.read_memory(request.tid(), at, std.mem.asBytes(&iov));
        if (iov[1] > out.len - total) cut.* = true;
        const len: usize = @intCast(@min(iov[1], out.len - total));
        if (len > 0) try handlers.read_memory(request.tid(), iov[0], out[total..][0..len]);
        total += len;
    }
    assert(total <= out.len);
    return total;
}

/// Walks the control messages; calls `visit` on each SCM_RIGHTS payload.
pub fn each_control(control: []u8, wanted: i32, context: anytype, comptime visit: fn (@TypeOf(context), []u8) sys.Errno!void) sys.Errno!void {
    var at: usize = 0;
    var count: usize = 0;
    // cmsg_len comes from the caller: any u64. Compared with what is left, never added to.
    while (control.len - at >= 16 and count < control_len_max / 16) : (count += 1) {
        const len: u64 = std.mem.readInt(u64, control[at..][0..8], .little);
        if (len < 16 or len > control.len - at) return error.INVAL;
        const whole: usize = @intCast(len); // at most control.len
        const level = std.mem.readInt(i32, control[at + 8 ..][0..4], .little);
        const kind = std.mem.readInt(i32, control[at + 12 ..][0..4], .little);
        if (level == sol_socket and kind == wanted) try visit(context, control[at + 16 .. at + whole]);
        // The next header starts at the aligned end; past the buffer the walk is over.
        const step = std.mem.alignForward(usize, whole, 8);
        if (step >= control.len - at) break;
        at += step;
    }
    assert(at <= control.len);
}

test "each_control survives any cmsg_len: huge, short, unaligned, past the end" {
    var prng = std.Random.DefaultPrng.init(0x5eed);
    const random = prng.random();
    var control: [256]u8 align(8) = undefined;
    const lens = [_]u64{ 0, 15, 16, 17, 20, 24, 255, 256, 257, std.math.maxInt(u64), std.math.maxInt(u64) - 7, 1 << 63 };
    var round: usize = 0;
    while (round < 20_000) : (round += 1) {
        random.bytes(&control);
        var at: usize = 0;
        while (at + 16 <= control.len) : (at += 24) { // plant headers with boundary lengths
            const len = if (random.boolean()) lens[random.uintLessThan(usize, lens.len)] else random.int(u64);
            std.mem.writeInt(u64, control[at..][0..8], len, .little);
            if (random.boolean()) std.mem.writeInt(i32, control[at + 8 ..][0..4], sol_socket, .little);
            if (random.boolean()) std.mem.writeInt(i32, control[at + 12 ..][0..4], scm_rights, .little);
        }
        const cut = random.uintAtMost(usize, control.len);
        _ = has_rights(control[0..cut]); // never panics, never reads past `cut`
        _ = has_credentials(control[0..cut]);
    }
}

/// Whether the control data carries SCM_CREDENTIALS: syd would send them as itself, and the
/// kernel takes the pid syd claims for it (found by review): refused with EPERM, which is also
/// what the kernel answers a process that claims another's pid. (Malformed: the kernel refuses.)
fn has_credentials(control: []u8) bool {
    var found = false;
    each_control(control, scm_credentials, &found, struct {
        fn visit(flag: *bool, _: []u8) sys.Errno!void {
            flag.* = true;
        }
    }.visit) catch return false;
    return found;
}

fn has_rights(control: []u8) bool {
    var found = false;
    each_control(control, scm_rights, &found, struct {
        fn visit(flag: *bool, _: []u8) sys.Errno!void {
            flag.* = true;
        }
    }.visit) catch return true; // malformed: treat as passing fds (judged, and the kernel refuses)
    return found;
}

/// Replaces the caller's fd numbers in SCM_RIGHTS with syd's copies; returns the copies.
fn translate_rights(request: *const Request, control: []u8, buf: *[fds_max]i32) sys.Errno![]const i32 {
    const Context = struct { request: *const Request, buf: *[fds_max]i32, len: usize = 0, pidfd: i32 = -1 };
    var context: Context = .{ .request = request, .buf = buf };
    errdefer for (buf[0..context.len]) |copy| sys.close(copy);
    defer if (context.pidfd >= 0) sys.close(context.pidfd);
    try each_control(control, scm_rights, &context, struct {
        fn visit(c: *Context, payload: []u8) sys.Errno!void {
            if (c.pidfd < 0) {
                const status = try emulate.caller_for(c.request, "", false);
                c.pidfd = try sys.pidfd_open(status.tgid);
            }
            var i: usize = 0;
            while (i + 4 <= payload.len) : (i += 4) {
                if (c.len == fds_max) return error.INVAL;
                const theirs = std.mem.readInt(i32, payload[i..][0..4], .little);
                if (theirs < 0) return error.BADF; // as the kernel answers (found by the fuzz test)
                const ours = try sys.pidfd_getfd(c.pidfd, theirs);
                c.buf[c.len] = ours;
                c.len += 1;
                std.mem.writeInt(i32, payload[i..][0..4], ours, .little);
            }
        }
    }.visit);
    return buf[0..context.len];
}

test "denied network calls answer the original's errnos" {
    try std.testing.expectEqual(@as(i32, @intFromEnum(linux.E.ADDRNOTAVAIL)), denial_errno(.net_bind, .bind));
    try std.testing.expectEqual(@as(i32, @intFromEnum(linux.E.CONNREFUSED)), denial_errno(.net_connect, .connect));
    try std.testing.expectEqual(@as(i32, @intFromEnum(linux.E.NOTCONN)), denial_errno(.net_connect, .sendto));
}

/// Whether the sockaddr `bytes` is an IPv4 or IPv6 any address: 0.0.0.0, `::` or
/// `::ffff:0.0.0.0`; `unspec`: AF_UNSPEC counts as AF_INET (an IPv4 socket's send reads it so;
/// connect takes it as a disconnect).
fn is_any_addr(bytes: []const u8, unspec: bool) bool {
    if (bytes.len < 2) return false;
    const family_value = std.mem.readInt(u16, bytes[0..2], .little);
    const inet = family_value == af_inet or (unspec and family_value == af_unspec);
    if (inet and bytes.len >= 16) return std.mem.allEqual(u8, bytes[4..8], 0);
    if (family_value != af_inet6 or bytes.len < 24) return false;
    const ip = bytes[8..24];
    const mapped = std.mem.allEqual(u8, ip[0..10], 0) and ip[10] == 0xff and ip[11] == 0xff;
    return std.mem.allEqual(u8, ip[0..10], 0) and (mapped or std.mem.allEqual(u8, ip[10..12], 0)) and
        std.mem.allEqual(u8, ip[12..16], 0);
}

/// connect and the sends to an any address (0.0.0.0, `::`), which the kernel takes to mean
/// loopback: refused with ENETUNREACH, as the original (and FreeBSD's
/// net.inet.ip.connect_inaddr_wild) unless trace/allow_unsafe_any_addr:1.
fn refuse_any_addr(request: *const Request, bytes: []const u8) sys.Errno!void {
    assert(bytes.len >= 2);
    const nr = handlers.nr_of(request);
    if (request.policy.allow_unsafe_any_addr or !is_any_addr(bytes, nr != .connect)) return;
    const port = std.mem.readInt(u16, bytes[2..4], .big);
    var text_buf: [32]u8 = undefined;
    const any: []const u8 = if (std.mem.readInt(u16, bytes[0..2], .little) == af_inet6) "::" else "0.0.0.0";
    const text = std.fmt.bufPrint(&text_buf, "{s}!{d}", .{ any, port }) catch any;
    request.log.emit(.warn, .{
        .ctx = "net",
        .op = "deny_any_addr",
        .sys = handlers.syscall_name(request.notif.data.nr),
        .addr = text,
        .err = @as(i32, @intFromEnum(linux.E.NETUNREACH)),
        .msg = "connect or send to the any address refused: it reaches loopback",
        .pid = request.tid(),
        .tip = "trace/allow_unsafe_any_addr:1",
    });
    return error.NETUNREACH;
}

/// The any address check for calls continued unjudged (net/connect off): null when no
/// address the call names is an any address. A thread rewriting the address after this check
/// reaches loopback, which net/connect off lets it reach by its own name anyway.
fn any_addr_gate(request: *const Request, nr: SYS) ?Response {
    assert(nr != .bind);
    if (request.policy.allow_unsafe_any_addr) return null;
    const checked = switch (nr) {
        .connect => any_addr_at(request, request.arg(1), request.arg(2)),
        .sendto => any_addr_at(request, request.arg(4), request.arg(5)),
        .sendmsg => any_addr_in_msg(request, request.arg(1)),
        .sendmmsg => {
            const first = sendmmsg_any_addr(request) orelse return null;
            if (first == 0) return .{ .failure = @intFromEnum(linux.E.NETUNREACH) };
            // Those before it are sent, as the kernel would; the count sent is answered.
            return sendmmsg(request) catch |err| handlers.failure(err);
        },
        else => unreachable,
    };
    checked catch |err| return handlers.failure(err);
    return null;
}

/// Refuses an any address at `addr` (`len` bytes); an unreadable one is the kernel's to refuse.
fn any_addr_at(request: *const Request, addr: u64, len: u64) sys.Errno!void {
    if (addr == 0 or len < 2 or len > sockaddr_len_max) return;
    var bytes: [sockaddr_len_max]u8 = undefined;
    const n: usize = @intCast(len);
    handlers.read_memory(request.tid(), addr, bytes[0..n]) catch return;
    try refuse_any_addr(request, bytes[0..n]);
}

fn any_addr_in_msg(request: *const Request, msg_addr: u64) sys.Errno!void {
    var msg: MsgHdr = undefined;
    handlers.read_memory(request.tid(), msg_addr, std.mem.asBytes(&msg)) catch return;
    try any_addr_at(request, msg.name, msg.namelen);
}

/// sendmmsg: the index of the first message sent to an any address, or null.
fn sendmmsg_any_addr(request: *const Request) ?usize {
    const vlen: usize = @min(@as(u32, @truncate(request.arg(2))), iov_count_max);
    var i: usize = 0;
    while (i < vlen) : (i += 1) {
        const entry = std.math.add(u64, request.arg(1), i * 64) catch return null;
        any_addr_in_msg(request, entry) catch return i;
    }
    return null;
}

test "is_any_addr: 0.0.0.0, :: and ::ffff:0.0.0.0 only" {
    var sin = [_]u8{0} ** 16;
    sin[0] = af_inet;
    try std.testing.expect(is_any_addr(&sin, false));
    sin[4] = 127;
    try std.testing.expect(!is_any_addr(&sin, false));
    try std.testing.expect(!is_any_addr(sin[0..15], false)); // too short: the kernel refuses it
    var sin6 = [_]u8{0} ** 28;
    sin6[0] = af_inet6;
    try std.testing.expect(is_any_addr(&sin6, false));
    sin6[18] = 0xff;
    sin6[19] = 0xff;
    try std.testing.expect(is_any_addr(&sin6, false)); // ::ffff:0.0.0.0
    sin6[23] = 1;
    try std.testing.expect(!is_any_addr(&sin6, false)); // ::ffff:0.0.0.1
    sin6[18] = 0;
    sin6[19] = 0;
    try std.testing.expect(!is_any_addr(&sin6, false)); // ::1
    var unspec = [_]u8{0} ** 16;
    try std.testing.expect(!is_any_addr(&unspec, false)); // connect: a disconnect
    try std.testing.expect(is_any_addr(&unspec, true)); // a send: read as AF_INET
}

/// A bind to an any address (0.0.0.0, `::`, `::ffff:0.0.0.0`, and AF_UNSPEC's 0.0.0.0, which an
/// IPv4 socket binds as AF_INET) is made a bind to loopback in `bytes`, as the original, so that
/// nothing in the sandbox listens on every interface (trace/allow_unsafe_any_addr:1 keeps it).
fn bind_loopback(bytes: []u8) void {
    assert(bytes.len >= 2);
    if (!is_any_addr(bytes, true)) return;
    const family_value = std.mem.readInt(u16, bytes[0..2], .little);
    if (family_value == af_inet6) { // `::` becomes ::1, `::ffff:0.0.0.0` ::ffff:127.0.0.1
        if (bytes[18] == 0xff) bytes[20..24].* = .{ 127, 0, 0, 1 } else bytes[23] = 1;
        return;
    }
    std.mem.writeInt(u16, bytes[0..2], af_inet, .little);
    bytes[4..8].* = .{ 127, 0, 0, 1 };
}

/// bind with net/bind off: an IPv4 or IPv6 address is bound by syd on its copy of the socket,
/// with the bytes it read and checked (bind_loopback); other families are continued (a thread
/// swapping in an any address meanwhile binds it: in Limits).
fn bind_unjudged(request: *const Request) sys.Errno!Response {
    assert(!request.policy.allow_unsafe_any_addr);
    const len = request.arg(2);
    if (len < 2 or len > sockaddr_len_max) return .continue_call; // the kernel refuses it
    var bytes: [sockaddr_len_max]u8 align(8) = undefined;
    const n: usize = @intCast(len);
    try handlers.read_memory(request.tid(), request.arg(1), bytes[0..n]);
    const family_value = std.mem.readInt(u16, bytes[0..2], .little);
    if (family_value != af_inet and family_value != af_inet6 and family_value != af_unspec) return .continue_call;
    bind_loopback(bytes[0..n]);
    if (!request.valid()) return error.NOENT;
    const fd = try socket_copy(request, handlers.fd_arg(request, 0));
    defer sys.close(fd);
    const sa: *const linux.sockaddr = @ptrCast(&bytes);
    _ = try sys.retry(linux.bind, .{ fd, sa, @as(linux.socklen_t, @intCast(n)) });
    return .{ .value = 0 };
}

test "bind_loopback: the any addresses become loopback, others stay" {
    var sin = [_]u8{0} ** 16;
    sin[0] = af_inet;
    bind_loopback(&sin);
    try std.testing.expectEqualSlices(u8, &.{ 127, 0, 0, 1 }, sin[4..8]);
    var unspec = [_]u8{0} ** 16;
    bind_loopback(&unspec);
    try std.testing.expectEqual(af_inet, std.mem.readInt(u16, unspec[0..2], .little));
    try std.testing.expectEqualSlices(u8, &.{ 127, 0, 0, 1 }, unspec[4..8]);
    var sin6 = [_]u8{0} ** 28;
    sin6[0] = af_inet6;
    bind_loopback(&sin6);
    try std.testing.expectEqual(@as(u8, 1), sin6[23]);
    try std.testing.expect(std.mem.allEqual(u8, sin6[8..23], 0));
    var mapped = [_]u8{0} ** 28;
    mapped[0] = af_inet6;
    mapped[18] = 0xff;
    mapped[19] = 0xff;
    bind_loopback(&mapped);
    try std.testing.expectEqualSlices(u8, &.{ 127, 0, 0, 1 }, mapped[20..24]);
    var other = [_]u8{0} ** 16;
    other[0] = af_inet;
    other[4] = 10;
    bind_loopback(&other);
    try std.testing.expectEqualSlices(u8, &.{ 10, 0, 0, 0 }, other[4..8]);
}

/// trace/allow_safe_bind: the addresses the sandbox bound (the port the kernel chose for port 0,
/// the name of an autobound socket) are allowed for net/connect, for every process, as the
/// original, ahead of the policy's rules. Bounded: the oldest goes first (then judged by the
/// rules again). Paths longer than `name_len_max` are not kept (judged by the rules).
const safe_bound = struct {
    const name_len_max: usize = 256;
    const len_max: usize = 512;
    const Kind = enum(u8) { empty, inet, unix, abstract };
    const Entry = struct {
        kind: Kind = .empty,
        family: u8 = 0,
        bytes: [16]u8 = .{0} ** 16,
        port: u16 = 0,
        protocol: u16 = 0,
        len: u16 = 0,
        name: [name_len_max]u8 = undefined,
    };
    var mutex: std.Thread.Mutex = .{};
    var entries: [len_max]Entry = [_]Entry{.{}} ** len_max;
    var next: usize = 0;

    /// Records what syd's copy `fd` was just bound to, named by `peer` as judged.
    fn remember(fd: i32, peer: Peer) void {
        assert(fd >= 0);
        var entry: Entry = .{};
        var bound_name: [sockaddr_len_max]u8 align(4) = undefined;
        var bound_len: linux.socklen_t = sockaddr_len_max;
        const named = if (sys.check(linux.getsockname(fd, @ptrCast(&bound_name), &bound_len))) |_| true else |_| false;
        switch (peer) {
            .inet => |inet| {
                entry.kind = .inet;
                entry.family = inet.family;
                entry.bytes = inet.bytes;
                entry.port = inet.port;
                if (entry.port == 0) { // the kernel's choice
                    if (!named or bound_len < 4) return;
                    entry.port = std.mem.readInt(u16, bound_name[2..4], .big);
                }
                entry.protocol = socket_protocol(fd) catch 0;
            },
            .unix => |path| {
                var name = path;
                entry.kind = .unix;
                // Autobound: the abstract name the kernel gave it.
                if (std.mem.eql(u8, path, unnamed) and named and bound_len > 3 and bound_name[2] == 0) {
                    entry.kind = .abstract;
                    name = bound_name[3..bound_len];
                }
                if (name.len > name_len_max) return;
                entry.len = @intCast(name.len);
                @memcpy(entry.name[0..name.len], name);
            },
            .abstract => |name| {
                if (name.len > name_len_max) return;
                entry.kind = .abstract;
                entry.len = @intCast(name.len);
                @memcpy(entry.name[0..name.len], name);
            },
        }
        mutex.lock();
        defer mutex.unlock();
        for (&entries) |*old| if (same(old, &entry)) return;
        entries[next % len_max] = entry;
        next += 1;
    }

    fn same(a: *const Entry, b: *const Entry) bool {
        if (a.kind != b.kind or a.kind == .empty) return false;
        if (a.kind == .inet) return a.family == b.family and a.port == b.port and a.protocol == b.protocol and std.mem.eql(u8, &a.bytes, &b.bytes);
        return std.mem.eql(u8, a.name[0..a.len], b.name[0..b.len]);
    }

    /// Whether `peer`, connected to or sent to on syd's copy `fd`, was bound in the sandbox
    /// (an IPv4 or IPv6 one by a socket of the same protocol).
    fn allows(fd: i32, peer: Peer) bool {
        assert(fd >= 0);
        var want: Entry = .{};
        switch (peer) {
            .inet => |inet| {
                want.kind = .inet;
                want.family = inet.family;
                want.bytes = inet.bytes;
                want.port = inet.port;
            },
            .unix, .abstract => |name| {
                if (name.len > name_len_max) return false;
                want.kind = if (peer == .unix) .unix else .abstract;
                want.len = @intCast(name.len);
                @memcpy(want.name[0..name.len], name);
            },
        }
        if (want.kind == .inet) want.protocol = socket_protocol(fd) catch return false;
        mutex.lock();
        defer mutex.unlock();
        for (&entries) |*entry| {
            if (entry.kind == .inet and want.kind == .inet and entry.protocol == 0) {
                want.protocol = 0; // the bound socket's protocol was not known: any
            }
            if (same(entry, &want)) return true;
        }
        return false;
    }
};
