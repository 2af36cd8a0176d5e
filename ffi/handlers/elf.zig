//! ELF images as exec leaves them: whether the file a process now runs is a program (ET_EXEC,
//! or ET_DYN with a PT_INTERP or with DF_1_PIE, a static PIE) or a shared object executed
//! directly, which is what running the dynamic loader as a command (`ld.so /path/prog`) looks
//! like: the loader then maps the named program itself, and exec never sees it.
//!
//! Needs: pread on a file syd opened itself (the image, through /proc/PID/exe).
//! Assumes: nothing of the file: it is untrusted input (any bytes, any length, changing under
//! the reader). Reads are bounded: program headers as the kernel bounds them (64 KiB), the
//! dynamic section to `dynamic_len_max`.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");

pub const Kind = enum {
    /// A program: exec runs it as the command named.
    program,
    /// A shared object (the dynamic loader run directly, or a library with no entry meant).
    shared_object,
    /// Not an ELF image exec runs (or cut short, or inconsistent).
    malformed,
};

const et_exec: u16 = 2;
const et_dyn: u16 = 3;
const pt_dynamic: u32 = 2;
const pt_interp: u32 = 3;
const dt_null: u64 = 0;
const dt_flags_1: u64 = 0x6ffffffb;
const df_1_pie: u64 = 0x08000000;
/// The kernel refuses program header tables larger than this (fs/binfmt_elf.c).
const phdrs_len_max: usize = 65536;
/// Dynamic entries read at most before DT_FLAGS_1 is given up for missing.
const dynamic_len_max: usize = 1 << 20;
const chunk_len: usize = 4096;

/// Reads of the image, at an offset; `source` is anything with `pread(offset, buf) !usize`.
pub fn classify(source: anytype) Kind {
    var header: [64]u8 = undefined;
    const got = source.pread(0, &header) catch return .malformed;
    if (got < 52 or !std.mem.eql(u8, header[0..4], "\x7fELF")) return .malformed;
    const wide = switch (header[4]) {
        1 => false,
        2 => true,
        else => return .malformed,
    };
    const endian: std.builtin.Endian = switch (header[5]) {
        1 => .little,
        2 => .big,
        else => return .malformed,
    };
    if (wide and got < 64) return .malformed;
    const e_type = read_int(u16, header[16..18], endian);
    if (e_type == et_exec) return .program;
    if (e_type != et_dyn) return .malformed;
    const phoff: u64 = if (wide) read_int(u64, header[32..40], endian) else read_int(u32, header[28..32], endian);
    const phentsize: usize = read_int(u16, if (wide) header[54..56] else header[42..44], endian);
    const phnum: usize = read_int(u16, if (wide) header[56..58] else header[44..46], endian);
    const entry_min: usize = if (wide) 56 else 32;
    if (phnum == 0 or phentsize < entry_min or phentsize * phnum > phdrs_len_max) return .malformed;
    var dynamic: ?Segment = null;
    var chunk: [chunk_len]u8 = undefined;
    var index: usize = 0;
    while (index < phnum) {
        const per_chunk = chunk_len / phentsize;
        assert(per_chunk >= 1);
        const count = @min(per_chunk, phnum - index);
        const want = count * phentsize;
        const at = std.math.add(u64, phoff, index * phentsize) catch return .malformed;
        const n = source.pread(at, chunk[0..want]) catch return .malformed;
        if (n != want) return .malformed;
        for (0..count) |i| {
            const ph = chunk[i * phentsize ..][0..entry_min];
            const p_type = read_int(u32, ph[0..4], endian);
            if (p_type == pt_interp) return .program;
            if (p_type == pt_dynamic and dynamic == null) dynamic = if (wide)
                .{ .offset = read_int(u64, ph[8..16], endian), .len = read_int(u64, ph[32..40], endian) }
            else
                .{ .offset = read_int(u32, ph[4..8], endian), .len = read_int(u32, ph[16..20], endian) };
        }
        index += count;
    }
    const segment = dynamic orelse return .shared_object; // no dynamic section: no DF_1_PIE either
    return if (has_pie_flag(source, segment, wide, endian)) .program else .shared_object;
}

const Segment = struct { offset: u64, len: u64 };

fn has_pie_flag(source: anytype, segment: Segment, wide: bool, endian: std.builtin.Endian) bool {
    const entry_len: usize = if (wide) 16 else 8;
    const total: usize = @intCast(@min(segment.len, dynamic_len_max));
    var chunk: [chunk_len]u8 = undefined;
    var done: usize = 0;
    while (done + entry_len <= total) {
        const want = @min(chunk_len, (total - done) / entry_len * entry_len);
        assert(want >= entry_len and want % entry_len == 0);
        const at = std.math.add(u64, segment.offset, done) catch return false;
        const n = source.pread(at, chunk[0..want]) catch return false;
        if (n < entry_len) return false;
        var i: usize = 0;
        while (i + entry_len <= n) : (i += entry_len) {
            const tag: u64 = if (wide) read_int(u64, chunk[i..][0..8], endian) else read_int(u32, chunk[i..][0..4], endian);
            const value: u64 = if (wide) read_int(u64, chunk[i + 8 ..][0..8], endian) else read_int(u32, chunk[i + 4 ..][0..4], endian);
            if (tag == dt_null) return false;
            if (tag == dt_flags_1) return value & df_1_pie != 0;
        }
        done += n / entry_len * entry_len;
    }
    return false;
}

fn read_int(comptime T: type, bytes: *const [@sizeOf(T)]u8, endian: std.builtin.Endian) T {
    return std.mem.readInt(T, bytes, endian);
}

/// An fd as a `classify` source.
pub const File = struct {
    fd: i32,

    pub fn pread(self: File, offset: u64, buf: []u8) sys.Errno!usize {
        assert(self.fd >= 0);
        return sys.retry(linux.pread, .{ self.fd, buf.ptr, buf.len, @as(i64, @bitCast(offset)) });
    }
};

/// Bytes in memory as a `classify` source (tests).
pub const Bytes = struct {
    bytes: []const u8,

    pub fn pread(self: Bytes, offset: u64, buf: []u8) sys.Errno!usize {
        if (offset >= self.bytes.len) return 0;
        const start: usize = @intCast(offset);
        const n = @min(buf.len, self.bytes.len - start);
        @memcpy(buf[0..n], self.bytes[start..][0..n]);
        return n;
    }
};

fn classify_path(path: [*:0]const u8) !Kind {
    const fd: i32 = @intCast(try sys.retry(linux.open, .{ path, linux.O{ .CLOEXEC = true }, @as(linux.mode_t, 0) }));
    defer sys.close(fd);
    return classify(File{ .fd = fd });
}

test "a dynamic program and a PIE are programs; the dynamic loader run as a command is not" {
    try std.testing.expectEqual(Kind.program, try classify_path("/bin/true"));
    try std.testing.expectEqual(Kind.program, try classify_path("/bin/sh"));
    const loader = "/lib64/ld-linux-x86-64.so.2";
    if (classify_path(loader)) |kind| {
        try std.testing.expectEqual(Kind.shared_object, kind);
    } else |_| {} // a system without the usual loader path
    try std.testing.expectEqual(Kind.malformed, classify(Bytes{ .bytes = "#!/bin/sh\n" }));
}

/// A 64-bit little-endian ET_DYN image with the given program headers (type, offset, size)
/// and dynamic entries placed at offset 512.
fn image(buf: []u8, phdrs: []const [3]u64, dynamic: []const [2]u64) []const u8 {
    @memset(buf, 0);
    @memcpy(buf[0..4], "\x7fELF");
    buf[4] = 2;
    buf[5] = 1;
    std.mem.writeInt(u16, buf[16..18], et_dyn, .little);
    std.mem.writeInt(u64, buf[32..40], 64, .little);
    std.mem.writeInt(u16, buf[54..56], 56, .little);
    std.mem.writeInt(u16, buf[56..58], @intCast(phdrs.len), .little);
    for (phdrs, 0..) |ph, i| {
        const at = 64 + i * 56;
        std.mem.writeInt(u32, buf[at..][0..4], @intCast(ph[0]), .little);
        std.mem.writeInt(u64, buf[at + 8 ..][0..8], ph[1], .little);
        std.mem.writeInt(u64, buf[at + 32 ..][0..8], ph[2], .little);
    }
    for (dynamic, 0..) |d, i| {
        std.mem.writeInt(u64, buf[512 + i * 16 ..][0..8], d[0], .little);
        std.mem.writeInt(u64, buf[520 + i * 16 ..][0..8], d[1], .little);
    }
    return buf;
}

test "ET_DYN is a program only with PT_INTERP or DF_1_PIE before DT_NULL" {
    var buf: [1024]u8 = undefined;
    try std.testing.expectEqual(Kind.program, classify(Bytes{ .bytes = image(&buf, &.{.{ pt_interp, 0, 0 }}, &.{}) }));
    try std.testing.expectEqual(Kind.shared_object, classify(Bytes{ .bytes = image(&buf, &.{.{ 1, 0, 0 }}, &.{}) }));
    const pie = image(&buf, &.{.{ pt_dynamic, 512, 48 }}, &.{ .{ 1, 5 }, .{ dt_flags_1, df_1_pie | 1 }, .{ dt_null, 0 } });
    try std.testing.expectEqual(Kind.program, classify(Bytes{ .bytes = pie }));
    const after_null = image(&buf, &.{.{ pt_dynamic, 512, 48 }}, &.{ .{ dt_null, 0 }, .{ dt_flags_1, df_1_pie } });
    try std.testing.expectEqual(Kind.shared_object, classify(Bytes{ .bytes = after_null }));
    // A dynamic segment pointing past the end, or with a huge size, ends the search.
    const past = image(&buf, &.{.{ pt_dynamic, 1 << 40, std.math.maxInt(u64) }}, &.{});
    try std.testing.expectEqual(Kind.shared_object, classify(Bytes{ .bytes = past }));
}

test "classify survives any bytes: random images and every prefix of a real one" {
    var prng = std.Random.DefaultPrng.init(0x5eed_e1f);
    const random = prng.random();
    var buf: [2048]u8 = undefined;
    var round: u32 = 0;
    while (round < 20_000) : (round += 1) {
        const len = random.uintAtMost(usize, buf.len);
        random.bytes(buf[0..len]);
        if (len >= 6 and random.boolean()) { // a valid prelude, random rest: reach the deep paths
            @memcpy(buf[0..4], "\x7fELF");
            buf[4] = random.intRangeAtMost(u8, 1, 2);
            buf[5] = random.intRangeAtMost(u8, 1, 2);
            if (len >= 18) std.mem.writeInt(u16, buf[16..18], et_dyn, .little);
        }
        _ = classify(Bytes{ .bytes = buf[0..len] });
    }
    var pie_buf: [1024]u8 = undefined;
    const pie = image(&pie_buf, &.{.{ pt_dynamic, 512, 48 }}, &.{ .{ dt_flags_1, df_1_pie }, .{ dt_null, 0 } });
    for (0..pie.len) |len| {
        const kind = classify(Bytes{ .bytes = pie[0..len] });
        try std.testing.expect(kind != .program or len > 512);
    }
}
