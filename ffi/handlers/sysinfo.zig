//! sysinfo(2) answered with made-up numbers, as the original's sysinfo randomizer: uptime, load
//! averages, memory and process counts of the host are a side channel (what else runs there,
//! since when, how loaded), so each call gets fresh random values in plausible ranges instead.
//! trace/allow_unsafe_sysinfo lets the call through to the kernel (the filter's `choose`).
//!
//! Needs: getrandom (syd's confinement allows it to every thread).
//! Assumes: x86_64's `struct sysinfo` (112 bytes); the caller's buffer is written with
//! process_vm_writev like every answer, so a bad pointer is EFAULT as from the kernel.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const handlers = @import("mod.zig");
const memory = @import("memory.zig");

const Request = handlers.Request;
const Response = handlers.Response;

/// x86_64's `struct sysinfo`.
pub const Info = extern struct {
    uptime: i64,
    loads: [3]u64,
    totalram: u64,
    freeram: u64,
    sharedram: u64,
    bufferram: u64,
    totalswap: u64,
    freeswap: u64,
    procs: u16,
    pad: u16 = 0,
    pad2: u32 = 0,
    totalhigh: u64,
    freehigh: u64,
    mem_unit: u32,
    reserved: [4]u8 = .{0} ** 4,
};
comptime {
    assert(@sizeOf(Info) == 112);
}

const ram_min: u64 = 128 << 20;
const ram_max: u64 = 4 << 30;

/// The largest power of two at most `value` (0 for 0).
fn floor_pow2(value: u64) u64 {
    if (value == 0) return 0;
    return @as(u64, 1) << @intCast(63 - @clz(value));
}

/// A made-up `struct sysinfo` from `random`: RAM a power of two from 128 MiB to 4 GiB, free,
/// shared and buffer RAM powers of two below it, no swap, no high memory, unit 1, uptime under
/// a year, loads under 8 (fixed point, 16 bits), under 32,768 processes.
pub fn made_up(random: std.Random) Info {
    const total = floor_pow2(random.intRangeAtMost(u64, ram_min, ram_max));
    const info: Info = .{
        .uptime = random.intRangeAtMost(i64, 60, 366 * 24 * 3600),
        .loads = .{ random.uintLessThan(u64, 8 << 16), random.uintLessThan(u64, 8 << 16), random.uintLessThan(u64, 8 << 16) },
        .totalram = total,
        .freeram = floor_pow2(random.uintLessThan(u64, total)),
        .sharedram = floor_pow2(random.uintLessThan(u64, total)),
        .bufferram = floor_pow2(random.uintLessThan(u64, total)),
        .totalswap = 0,
        .freeswap = 0,
        .procs = random.intRangeAtMost(u16, 16, 32767),
        .totalhigh = 0,
        .freehigh = 0,
        .mem_unit = 1,
    };
    assert(info.totalram >= ram_min and info.totalram <= ram_max);
    assert(info.freeram < info.totalram);
    return info;
}

/// sysinfo, trapped unless trace/allow_unsafe_sysinfo: the made-up numbers, written to the
/// caller's buffer. Under memory sandboxing with `mem/max`, as the original: the total RAM is
/// the limit, the free RAM what the caller may still use of it.
pub fn handle(request: *const Request) Response {
    var info = made_up(std.crypto.random);
    const limits = request.policy.limits;
    if (limits.mem and limits.mem_max > 0) {
        const used = memory.used(request.tid()) catch |err| return handlers.failure(err);
        info.totalram = limits.mem_max;
        info.freeram = limits.mem_max -| used;
        info.sharedram = @min(info.sharedram, info.freeram);
        info.bufferram = @min(info.bufferram, info.freeram);
    }
    handlers.write_memory(request.tid(), request.arg(0), std.mem.asBytes(&info)) catch |err| return handlers.failure(err);
    return .{ .value = 0 };
}

test "made_up stays in the original's ranges, and two calls differ" {
    var prng = std.Random.DefaultPrng.init(0x5151);
    const random = prng.random();
    var first = made_up(random);
    for (0..1000) |_| {
        const info = made_up(random);
        try std.testing.expect(std.math.isPowerOfTwo(info.totalram));
        try std.testing.expect(info.totalram >= ram_min and info.totalram <= ram_max);
        try std.testing.expect(info.freeram < info.totalram and info.sharedram < info.totalram);
        try std.testing.expectEqual(@as(u64, 0), info.totalswap);
        try std.testing.expectEqual(@as(u32, 1), info.mem_unit);
    }
    const second = made_up(random);
    try std.testing.expect(!std.mem.eql(u8, std.mem.asBytes(&first), std.mem.asBytes(&second)));
    _ = &first;
}
