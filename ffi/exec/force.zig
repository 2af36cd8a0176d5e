//! Force sandboxing, as the original's (syd.7 "Force Sandboxing"): an Integrity Force map from
//! absolute paths to a checksum (`force+/path:ALGORITHM:HASHHEX:ACTION`). A file run or mapped
//! executable is hashed; a digest other than its entry's gets the entry's action, a file with no
//! entry gets `default/force` (deny at first). Hashed here: the very file the process runs or
//! maps (an fd of it), never its path again.
//!
//! The algorithms are the original's (`syd-sum -a list`) that Zig's std has: blake2b-160/256/
//! 384/512, blake2s-128/256, blake3, crc32 (ISO-HDLC), crc32c (iSCSI), crc64 (ECMA-182),
//! keccak256/512, md5, sha1, sha224/256/384/512, sha3-224/256/384/512; the CRCs are printed
//! big-endian, as the original prints them. The rest of its list (gost94, md4, rmd*, sm3,
//! streebog*, tiger*, wp*) is refused by name (lib/policy/parse.ts), never hand-rolled.
//!
//! Needs: pread(2) of a file the caller maps or runs.
//! Assumes: a file may change while it is hashed (another writer): the digest is of what was
//! read; the kernel maps what is there when it maps.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const policy_mod = @import("../judge/policy.zig");
const handlers = @import("../handlers/mod.zig");
const Action = policy_mod.Action;
const crypto = std.crypto.hash;
const crc = std.hash.crc;

/// The algorithms, in the original's order (sorted by name).
pub const Alg = enum {
    blake2b_160,
    blake2b_256,
    blake2b_384,
    blake2b_512,
    blake2s_128,
    blake2s_256,
    blake3,
    crc32,
    crc32c,
    crc64,
    keccak256,
    keccak512,
    md5,
    sha1,
    sha224,
    sha256,
    sha3_224,
    sha3_256,
    sha3_384,
    sha3_512,
    sha384,
    sha512,

    /// The original's name (`sha3-256`, `blake2b-512`, ...).
    pub fn name(self: Alg) []const u8 {
        return switch (self) {
            inline else => |a| comptime dashed(@tagName(a)),
        };
    }

    pub fn parse(text: []const u8) ?Alg {
        inline for (comptime std.enums.values(Alg)) |a| {
            if (std.mem.eql(u8, text, comptime dashed(@tagName(a)))) return a;
        }
        return null;
    }

    /// The digest's size in bytes.
    pub fn digest_len(self: Alg) usize {
        return switch (self) {
            inline else => |a| Hasher(a).len,
        };
    }
};

fn dashed(comptime tag: []const u8) []const u8 {
    comptime {
        // sha3_256 -> sha3-256, blake2b_512 -> blake2b-512: every '_' is a '-'.
        var out: [tag.len]u8 = undefined;
        for (tag, 0..) |c, i| out[i] = if (c == '_') '-' else c;
        const final = out;
        return &final;
    }
}

/// The longest digest (sha512, blake2b-512, keccak512, sha3-512).
pub const digest_len_max: usize = 64;

/// A std hash or CRC behind one interface: init, update, final into bytes.
fn Hasher(comptime alg: Alg) type {
    return switch (alg) {
        .crc32 => CrcHasher(crc.Crc32IsoHdlc, u32),
        .crc32c => CrcHasher(crc.Crc32Iscsi, u32),
        .crc64 => CrcHasher(crc.Crc64Ecma182, u64),
        else => CryptoHasher(switch (alg) {
            .blake2b_160 => crypto.blake2.Blake2b160,
            .blake2b_256 => crypto.blake2.Blake2b256,
            .blake2b_384 => crypto.blake2.Blake2b384,
            .blake2b_512 => crypto.blake2.Blake2b512,
            .blake2s_128 => crypto.blake2.Blake2s128,
            .blake2s_256 => crypto.blake2.Blake2s256,
            .blake3 => crypto.Blake3,
            .keccak256 => crypto.sha3.Keccak256,
            .keccak512 => crypto.sha3.Keccak512,
            .md5 => crypto.Md5,
            .sha1 => crypto.Sha1,
            .sha224 => crypto.sha2.Sha224,
            .sha256 => crypto.sha2.Sha256,
            .sha384 => crypto.sha2.Sha384,
            .sha512 => crypto.sha2.Sha512,
            .sha3_224 => crypto.sha3.Sha3_224,
            .sha3_256 => crypto.sha3.Sha3_256,
            .sha3_384 => crypto.sha3.Sha3_384,
            .sha3_512 => crypto.sha3.Sha3_512,
            .crc32, .crc32c, .crc64 => unreachable,
        }),
    };
}

fn CryptoHasher(comptime H: type) type {
    return struct {
        const len = H.digest_length;
        state: H,
        fn init() @This() {
            return .{ .state = H.init(.{}) };
        }
        fn update(self: *@This(), bytes: []const u8) void {
            self.state.update(bytes);
        }
        fn final(self: *@This(), out: *[len]u8) void {
            self.state.final(out);
        }
    };
}

fn CrcHasher(comptime C: type, comptime T: type) type {
    return struct {
        const len = @sizeOf(T);
        state: C,
        fn init() @This() {
            return .{ .state = C.init() };
        }
        fn update(self: *@This(), bytes: []const u8) void {
            self.state.update(bytes);
        }
        fn final(self: *@This(), out: *[len]u8) void {
            std.mem.writeInt(T, out, self.state.final(), .big);
        }
    };
}

/// Bytes read at a time.
const chunk_len: usize = 32 * 1024;

/// Hashes `bytes` into `out`; the digest.
pub fn hash_bytes(alg: Alg, bytes: []const u8, out: *[digest_len_max]u8) []const u8 {
    switch (alg) {
        inline else => |a| {
            const H = Hasher(a);
            var h = H.init();
            h.update(bytes);
            h.final(out[0..H.len]);
            return out[0..H.len];
        },
    }
}

/// Hashes the whole file `fd` from its start (pread: its offset, maybe shared with a sandboxed
/// process, is left alone) into `out`; the digest.
pub fn hash_fd(alg: Alg, fd: i32, out: *[digest_len_max]u8) sys.Errno![]const u8 {
    return hash_file(alg, fd, false, out);
}

/// As `hash_fd`; `sequential`: read from where the fd stands instead (a pipe: `syd sum -`).
pub fn hash_file(alg: Alg, fd: i32, sequential: bool, out: *[digest_len_max]u8) sys.Errno![]const u8 {
    assert(fd >= 0);
    // One buffer for every algorithm: declared in each `inline else` branch, each would have
    // its own in the frame (22 of them: past an emulator's stack).
    var buf: [chunk_len]u8 = undefined;
    switch (alg) {
        inline else => |a| return hash_with(Hasher(a), fd, sequential, &buf, out),
    }
}

fn hash_with(comptime H: type, fd: i32, sequential: bool, buf: *[chunk_len]u8, out: *[digest_len_max]u8) sys.Errno![]const u8 {
    var h = H.init();
    var offset: u64 = 0;
    // Not bounded by a count: a file's size bounds it (read until end of file).
    while (true) {
        const n = if (sequential)
            try sys.retry(linux.read, .{ fd, buf, buf.len })
        else
            try sys.retry(linux.pread, .{ fd, buf, buf.len, @as(i64, @intCast(offset)) });
        if (n == 0) break;
        h.update(buf[0..n]);
        offset += n;
    }
    h.final(out[0..H.len]);
    return out[0..H.len];
}

/// One entry of the Integrity Force map.
pub const Rule = struct {
    path: []const u8,
    alg: Alg,
    digest: []const u8,
    action: Action,
};

/// Force sandboxing as the policy holds it: on or off, `default/force`, the map (sorted by
/// path, distinct: lib/policy/compile.ts sorts it, `load` checks it).
pub const Force = struct {
    on: bool = false,
    default: Action = .deny,
    rules: []const Rule = &.{},

    /// The entry for exactly `path`, if any (binary search).
    pub fn lookup(self: *const Force, path: []const u8) ?*const Rule {
        var lo: usize = 0;
        var hi: usize = self.rules.len;
        while (lo < hi) {
            const mid = lo + (hi - lo) / 2;
            switch (std.mem.order(u8, self.rules[mid].path, path)) {
                .eq => return &self.rules[mid],
                .lt => lo = mid + 1,
                .gt => hi = mid,
            }
        }
        return null;
    }
};

/// What a check found.
pub const Verdict = struct {
    /// allow: the digest matched; else the action to take.
    action: Action,
    kind: Kind,
    alg: ?Alg = null,
    expected: [digest_len_max]u8 = undefined,
    found: [digest_len_max]u8 = undefined,
    len: usize = 0,
    err: ?sys.Errno = null,

    pub const Kind = enum { matched, no_rule, mismatch, failed };

    pub fn expected_hex(self: *const Verdict, buf: *[digest_len_max * 2]u8) []const u8 {
        return hex(self.expected[0..self.len], buf);
    }

    pub fn found_hex(self: *const Verdict, buf: *[digest_len_max * 2]u8) []const u8 {
        return hex(self.found[0..self.len], buf);
    }
};

/// Checks the file `fd`, named `path` as syd names it, against the map: its entry's digest
/// (hashed now), else `default/force`.
pub fn check(force: *const Force, fd: i32, path: []const u8) Verdict {
    assert(force.on);
    const rule = force.lookup(path) orelse return .{ .action = force.default, .kind = .no_rule };
    var verdict: Verdict = .{ .action = .allow, .kind = .matched, .alg = rule.alg, .len = rule.digest.len };
    assert(rule.digest.len == rule.alg.digest_len());
    @memcpy(verdict.expected[0..rule.digest.len], rule.digest);
    const found = hash_fd(rule.alg, fd, &verdict.found) catch |err| {
        verdict.action = .deny;
        verdict.kind = .failed;
        verdict.err = err;
        return verdict;
    };
    assert(found.len == rule.digest.len);
    if (!std.crypto.timing_safe.eql([digest_len_max]u8, padded(rule.digest), padded(found))) {
        verdict.action = rule.action;
        verdict.kind = .mismatch;
    }
    return verdict;
}

fn padded(bytes: []const u8) [digest_len_max]u8 {
    var out = [_]u8{0} ** digest_len_max;
    @memcpy(out[0..bytes.len], bytes);
    return out;
}

/// Where a program is checked: before its exec (a notification: a denial fails the call with
/// EACCES) or at the exec stop (the image is in place: a denial kills it, as the original's).
pub const Stage = enum { entry, exec_stop };

/// Checks a program (or its loader) `fd`, named `name`; logs as the original's `verify_elf`.
/// Returns the errno to fail the exec with at `.entry`, or whether the process was signalled at
/// `.exec_stop` (null: it goes on).
pub fn verify_elf(request: *const handlers.Request, stage: Stage, fd: i32, name: []const u8) ?i32 {
    const force = &request.policy.force;
    assert(force.on);
    const verdict = check(force, fd, name);
    var action = verdict.action;
    if (stage == .exec_stop and action == .deny) action = .kill; // the exec is done: nothing to fail
    var tip_buf: [4200]u8 = undefined;
    const tip = std.fmt.bufPrint(&tip_buf, "configure `force+{s}:<algorithm>:<checksum>'", .{name}) catch "configure `force+PATH:<algorithm>:<checksum>'";
    const sys_name: []const u8 = if (stage == .entry) handlers.syscall_name(request.notif.data.nr) else "exec";
    // The original's records: `verify_elf` before the exec, `exec`/`verify_elf` at its stop.
    const entry = stage == .entry;
    switch (verdict.kind) {
        .matched => return null,
        .failed => {
            action = if (entry) .deny else .kill;
            const msg = "system error during ELF checksum calculation";
            const err = @errorName(verdict.err.?);
            if (entry) {
                request.log.emit(.@"error", .{ .ctx = "verify_elf", .act = @tagName(action), .sys = sys_name, .path = name, .msg = msg, .err = err, .tip = tip, .pid = request.tid() });
            } else {
                request.log.emit(.@"error", .{ .ctx = "exec", .op = "verify_elf", .act = @tagName(action), .path = name, .msg = msg, .err = err, .tip = tip, .pid = request.tid() });
            }
        },
        .no_rule => if (action != .allow and action != .filter) {
            if (entry) {
                request.log.emit(.warn, .{ .ctx = "verify_elf", .act = @tagName(action), .sys = sys_name, .path = name, .tip = tip, .pid = request.tid() });
            } else {
                request.log.emit(.warn, .{ .ctx = "exec", .op = "verify_elf", .act = @tagName(action), .path = name, .tip = tip, .pid = request.tid() });
            }
        },
        .mismatch => if (action != .filter) {
            var a: [digest_len_max * 2]u8 = undefined;
            var b: [digest_len_max * 2]u8 = undefined;
            var msg_buf: [320]u8 = undefined;
            const msg = std.fmt.bufPrint(&msg_buf, "ELF checksum mismatch: {s} is not {s}", .{ verdict.found_hex(&a), verdict.expected_hex(&b) }) catch unreachable;
            if (entry) {
                request.log.emit(.@"error", .{ .ctx = "verify_elf", .act = @tagName(action), .sys = sys_name, .path = name, .msg = msg, .tip = tip, .pid = request.tid() });
            } else {
                request.log.emit(.warn, .{ .ctx = "exec", .op = "verify_elf", .act = @tagName(action), .path = name, .msg = msg, .tip = tip, .pid = request.tid() });
            }
        },
    }
    const eacces: i32 = @intFromEnum(linux.E.ACCES);
    switch (action) {
        .allow, .warn => return null,
        .filter, .deny, .panic => {
            if (stage == .exec_stop) _ = linux.kill(request.tid(), linux.SIG.KILL);
            return eacces;
        },
        .stop, .abort, .kill, .exit => handlers.punish(request, action),
    }
    return eacces;
}

/// Lowercase hex of `bytes` into `buf`.
pub fn hex(bytes: []const u8, buf: []u8) []const u8 {
    assert(buf.len >= bytes.len * 2);
    const digits = "0123456789abcdef";
    for (bytes, 0..) |b, i| {
        buf[i * 2] = digits[b >> 4];
        buf[i * 2 + 1] = digits[b & 0xf];
    }
    return buf[0 .. bytes.len * 2];
}

/// `HASHHEX` decoded into `out` (its length must be the algorithm's); null if it is no such hex.
pub fn unhex(text: []const u8, out: []u8) ?[]const u8 {
    if (text.len % 2 != 0 or text.len / 2 > out.len) return null;
    const bytes = std.fmt.hexToBytes(out[0 .. text.len / 2], text) catch return null;
    return bytes;
}

test "digests match the original's syd-sum of \"hello world\\n\"" {
    const data = "hello world\n";
    const cases = [_]struct { alg: Alg, hex: []const u8 }{
        .{ .alg = .crc32, .hex = "af083b2d" },
        .{ .alg = .crc32c, .hex = "f0ff7292" },
        .{ .alg = .crc64, .hex = "a544935817a67651" },
        .{ .alg = .md5, .hex = "6f5902ac237024bdd0c176cb93063dc4" },
        .{ .alg = .sha256, .hex = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447" },
        .{ .alg = .blake3, .hex = "dc5a4edb8240b018124052c330270696f96771a63b45250a5c17d3000e823355" },
        .{ .alg = .keccak256, .hex = "70e3788906c57c18999ba6b0389a768ff3333e3d6136fdf85743e66a03bc29f9" },
        .{ .alg = .sha3_256, .hex = "a8009a7a528d87778c356da3a55d964719e818666a04e4f960c9e2439e35f138" },
        .{ .alg = .blake2b_256, .hex = "c71b05fd1d1c7bf7e928ff18e58db5193e9316416cc26ba9cc9094da80d7011e" },
        .{ .alg = .blake2s_128, .hex = "675b2a3f002bc26806de45aa13685ca9" },
        .{ .alg = .blake2b_160, .hex = "dd955ca64860475c43d27c5bdc81ee498b5d542b" },
    };
    for (cases) |c| {
        var out: [digest_len_max]u8 = undefined;
        var buf: [digest_len_max * 2]u8 = undefined;
        try std.testing.expectEqualStrings(c.hex, hex(hash_bytes(c.alg, data, &out), &buf));
    }
}

test "names round-trip, and the original's others are unknown" {
    for (std.enums.values(Alg)) |a| try std.testing.expectEqual(a, Alg.parse(a.name()).?);
    try std.testing.expectEqualStrings("sha3-512", Alg.sha3_512.name());
    try std.testing.expectEqual(@as(?Alg, null), Alg.parse("md4"));
    try std.testing.expectEqual(@as(?Alg, null), Alg.parse("sha3_512"));
    try std.testing.expectEqual(@as(usize, 20), Alg.blake2b_160.digest_len());
    try std.testing.expectEqual(@as(usize, 8), Alg.crc64.digest_len());
}

test "hash_fd reads the whole file, and lookup finds exact paths" {
    var tmp = std.testing.tmpDir(.{});
    defer tmp.cleanup();
    const data = "x" ** (chunk_len + 17);
    try tmp.dir.writeFile(.{ .sub_path = "f", .data = data });
    const file = try tmp.dir.openFile("f", .{});
    defer file.close();
    var a: [digest_len_max]u8 = undefined;
    var b: [digest_len_max]u8 = undefined;
    try std.testing.expectEqualSlices(u8, hash_bytes(.sha256, data, &b), try hash_fd(.sha256, file.handle, &a));
    const rules = [_]Rule{
        .{ .path = "/a", .alg = .crc32, .digest = "\x00\x00\x00\x01", .action = .kill },
        .{ .path = "/b", .alg = .crc32, .digest = "\x00\x00\x00\x02", .action = .deny },
    };
    const force: Force = .{ .on = true, .rules = &rules };
    try std.testing.expectEqual(Action.kill, force.lookup("/a").?.action);
    try std.testing.expect(force.lookup("/c") == null);
    const v = check(&force, file.handle, "/b");
    try std.testing.expectEqual(Verdict.Kind.mismatch, v.kind);
    try std.testing.expectEqual(Action.deny, v.action);
    try std.testing.expectEqual(Verdict.Kind.no_rule, check(&force, file.handle, "/z").kind);
}
