//! Memory sandboxing, as the original's: mmap, brk and mremap are judged before the kernel
//! maps, against two limits of the calling process: `mem/vm_max` (its address space, statm's
//! size) and `mem/max` (its proportional set size plus its dirty pages, smaps_rollup). A call
//! that would reach a limit gets `default/mem`'s action (deny: ENOMEM with a record); one that
//! would not is let run by the kernel.
//!
//! What it is not: a cgroup. Each process is measured alone (a sandbox of many processes may
//! use many times the limit), and only when it asks for memory: pages touched later in a
//! mapping already granted are not charged then (the original measures the same way). Letting
//! the call continue is safe: what it maps is in its registers, which the kernel uses as they
//! were judged; what another thread maps at the same time is measured at its own call.
//!
//! Needs: /proc/TID/statm, /proc/TID/smaps_rollup (Linux 4.14), /proc/TID/stat.
//! Assumes: trapped only while memory sandboxing was on when the sandbox started (the filter's
//! `trap_memory`); the policy in force may have turned it off since (then every call runs).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const handlers = @import("mod.zig");
const policy_mod = @import("../judge/policy.zig");
const caller = @import("../kernel/caller.zig");
const sys = @import("../kernel/sys.zig");

const Request = handlers.Request;
const Response = handlers.Response;
const Action = policy_mod.Action;

const page_size: u64 = 4096;
const mremap_maymove: u64 = 1;
const mremap_fixed: u64 = 2;
const mremap_dontunmap: u64 = 4;

/// mmap, brk or mremap: continued unless the bytes it asks for would take the caller to a limit.
pub fn handle(request: *const Request) Response {
    const limits = request.policy.limits;
    if (!limits.mem or (limits.mem_max == 0 and limits.mem_vm_max == 0)) return .continue_call;
    const size = charge(request) catch |err| return handlers.failure(err);
    if (size == 0) return .continue_call;
    const tid = request.tid();
    if (limits.mem_vm_max > 0) {
        const current = vm_size(tid) catch |err| return handlers.failure(err);
        if (current +| size >= limits.mem_vm_max) {
            const over: Over = .{ .max = limits.mem_vm_max, .current = current, .size = size };
            if (act(request, limits.mem_action, over, .vm)) |response| return response;
        }
    }
    if (limits.mem_max > 0) {
        const current = used(tid) catch |err| return handlers.failure(err);
        if (current +| size >= limits.mem_max) {
            const over: Over = .{ .max = limits.mem_max, .current = current, .size = size };
            if (act(request, limits.mem_action, over, .pss)) |response| return response;
        }
    }
    return .continue_call;
}

/// The bytes a call asks for, as the original charges them: mmap its length; brk the whole
/// heap it asks for (from the start of the heap, not from the current break); mremap what it
/// grows by, or its new size when the old mapping stays (MREMAP_DONTUNMAP). 0: nothing to judge
/// (a call the kernel refuses on its own, or one that shrinks).
fn charge(request: *const Request) sys.Errno!u64 {
    return switch (handlers.nr_of(request)) {
        .mmap => request.arg(1),
        .brk => brk: {
            const addr = request.arg(0);
            if (addr == 0) break :brk 0;
            const start = try heap_start(request.tid());
            break :brk if (addr > start) addr - start else 0;
        },
        .mremap => mremap_charge(request.arg(1), request.arg(2), request.arg(3)),
        else => unreachable, // the filter traps these three alone here
    };
}

/// What mremap(old_size, new_size, flags) grows the caller by: page-rounded sizes; 0 for
/// flags the kernel refuses (it answers them itself) and for shrinking.
pub fn mremap_charge(old_size: u64, new_size: u64, flags: u64) u64 {
    if (flags & ~(mremap_maymove | mremap_fixed | mremap_dontunmap) != 0) return 0;
    const new_pages = round_up(new_size) orelse return 0;
    if (flags & mremap_dontunmap != 0) return new_pages;
    const old_pages = round_up(old_size) orelse return 0;
    return new_pages -| old_pages;
}

fn round_up(size: u64) ?u64 {
    if (size > std.math.maxInt(u64) - (page_size - 1)) return null;
    return (size + page_size - 1) & ~(page_size - 1);
}

/// Which limit a call would reach.
const Limit = enum { vm, pss };

const Over = struct { max: u64, current: u64, size: u64 };

/// Acts on a call that would reach a limit: null lets it go on (warn), else the answer.
fn act(request: *const Request, action: Action, over: Over, limit: Limit) ?Response {
    assert(action != .allow);
    assert(over.current +| over.size >= over.max);
    const enomem: i32 = @intFromEnum(linux.E.NOMEM);
    if (action != .filter) record(request, action, over, limit);
    switch (action) {
        .allow, .warn => return null,
        .filter, .deny, .panic => {},
        .stop, .abort, .kill => handlers.punish(request, action),
        .exit => handlers.punish_exit(request, @intCast(enomem)),
    }
    return .{ .failure = enomem };
}

fn record(request: *const Request, action: Action, over: Over, limit: Limit) void {
    const name = handlers.syscall_name(request.notif.data.nr);
    switch (limit) {
        .vm => request.log.emit(.warn, .{ .ctx = "access", .cap = "mem", .act = @tagName(action), .sys = name, .mem_vm_max = over.max, .mem_vm_cur = over.current, .mem_size = over.size, .pid = request.tid(), .tip = "increase `mem/vm_max'" }),
        .pss => request.log.emit(.warn, .{ .ctx = "access", .cap = "mem", .act = @tagName(action), .sys = name, .mem_max = over.max, .mem_cur = over.current, .mem_size = over.size, .pid = request.tid(), .tip = "increase `mem/max'" }),
    }
}

/// The caller's address space in bytes (the first field of /proc/TID/statm, in pages).
fn vm_size(tid: i32) sys.Errno!u64 {
    var path_buf: [48]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/statm", .{tid}) catch unreachable;
    var buf: [256]u8 = undefined;
    const text = try caller.read_proc(path.ptr, &buf);
    return parse_statm(text) orelse error.INVAL;
}

pub fn parse_statm(text: []const u8) ?u64 {
    var fields = std.mem.tokenizeAny(u8, text, " \n");
    const pages = std.fmt.parseInt(u64, fields.next() orelse return null, 10) catch return null;
    return std.math.mul(u64, pages, page_size) catch null;
}

/// The caller's memory as the original measures it: Pss + Private_Dirty + Shared_Dirty of
/// /proc/TID/smaps_rollup, in bytes (private anonymous pages count in Pss and in Private_Dirty).
pub fn used(tid: i32) sys.Errno!u64 {
    var path_buf: [48]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/smaps_rollup", .{tid}) catch unreachable;
    var buf: [2048]u8 = undefined;
    const text = try caller.read_proc(path.ptr, &buf);
    if (text.len == buf.len) return error.@"2BIG";
    return parse_rollup(text) orelse error.INVAL;
}

pub fn parse_rollup(text: []const u8) ?u64 {
    var total: u64 = 0;
    var seen: u32 = 0;
    var lines = std.mem.splitScalar(u8, text, '\n');
    var count: u32 = 0;
    while (lines.next()) |line| : (count += 1) {
        if (count == 64) break; // smaps_rollup has about 25 lines
        const colon = std.mem.indexOfScalar(u8, line, ':') orelse continue;
        const name = line[0..colon];
        const wanted = std.mem.eql(u8, name, "Pss") or std.mem.eql(u8, name, "Private_Dirty") or
            std.mem.eql(u8, name, "Shared_Dirty");
        if (!wanted) continue;
        var fields = std.mem.tokenizeScalar(u8, line[colon + 1 ..], ' ');
        const kib = std.fmt.parseInt(u64, fields.next() orelse return null, 10) catch return null;
        const unit = fields.next() orelse return null;
        if (!std.mem.eql(u8, unit, "kB")) return null;
        total +|= kib *| 1024;
        seen += 1;
    }
    return if (seen == 3) total else null;
}

/// Where the caller's heap starts (start_brk, the 47th field of /proc/TID/stat).
fn heap_start(tid: i32) sys.Errno!u64 {
    var path_buf: [48]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/stat", .{tid}) catch unreachable;
    var buf: [1024]u8 = undefined;
    const text = try caller.read_proc(path.ptr, &buf);
    return parse_start_brk(text) orelse error.INVAL;
}

/// The 47th field of a stat line: the fields after the command name (in parentheses, which
/// may hold anything but ends at the last ')') start with the 3rd.
pub fn parse_start_brk(text: []const u8) ?u64 {
    const close = std.mem.lastIndexOfScalar(u8, text, ')') orelse return null;
    var fields = std.mem.tokenizeAny(u8, text[close + 1 ..], " \n");
    var index: u32 = 3;
    while (fields.next()) |field| : (index += 1) {
        if (index == 47) return std.fmt.parseInt(u64, field, 10) catch null;
        if (index > 47) break;
    }
    return null;
}

test "mremap_charge charges growth, the whole new size when the old stays, nothing else" {
    try std.testing.expectEqual(@as(u64, 8 << 20), mremap_charge(32 << 20, 40 << 20, mremap_maymove));
    try std.testing.expectEqual(@as(u64, 0), mremap_charge(40 << 20, 32 << 20, mremap_maymove));
    try std.testing.expectEqual(@as(u64, 4096), mremap_charge(1, 4097, 0));
    try std.testing.expectEqual(@as(u64, 8192), mremap_charge(4096, 4097, mremap_maymove | mremap_dontunmap));
    try std.testing.expectEqual(@as(u64, 0), mremap_charge(4096, 8192, 8));
    try std.testing.expectEqual(@as(u64, 0), mremap_charge(0, std.math.maxInt(u64), mremap_maymove));
}

test "parse_rollup adds Pss and the dirty pages, in bytes, and refuses what it cannot read" {
    const text =
        \\55d0c8a00000-7ffc5b1fe000 ---p 00000000 00:00 0                          [rollup]
        \\Rss:                1024 kB
        \\Pss:                 512 kB
        \\Pss_Anon:            256 kB
        \\Shared_Clean:          0 kB
        \\Shared_Dirty:          4 kB
        \\Private_Clean:         0 kB
        \\Private_Dirty:       256 kB
        \\
    ;
    try std.testing.expectEqual(@as(?u64, (512 + 4 + 256) * 1024), parse_rollup(text));
    try std.testing.expectEqual(@as(?u64, null), parse_rollup("Pss: 1 kB\nShared_Dirty: 2 kB\n"));
    try std.testing.expectEqual(@as(?u64, null), parse_rollup("Pss: x kB\nShared_Dirty: 2 kB\nPrivate_Dirty: 1 kB\n"));
    try std.testing.expectEqual(@as(?u64, null), parse_rollup("Pss: 1 MB\nShared_Dirty: 2 kB\nPrivate_Dirty: 1 kB\n"));
}

test "parse_start_brk reads the 47th field past a command name with spaces and parentheses" {
    var line: [512]u8 = undefined;
    var len: usize = 0;
    const head = "42 (a) b (c)) S";
    @memcpy(line[0..head.len], head);
    len = head.len;
    var field: u32 = 4;
    while (field <= 52) : (field += 1) {
        const piece = std.fmt.bufPrint(line[len..], " {d}", .{field * 1000}) catch unreachable;
        len += piece.len;
    }
    try std.testing.expectEqual(@as(?u64, 47000), parse_start_brk(line[0..len]));
    try std.testing.expectEqual(@as(?u64, null), parse_start_brk("42 (x) S 1 2 3"));
    try std.testing.expectEqual(@as(?u64, null), parse_start_brk("no parenthesis"));
}

test "parse_statm reads the size in pages" {
    try std.testing.expectEqual(@as(?u64, 3 * 4096), parse_statm("3 2 1 1 0 1 0\n"));
    try std.testing.expectEqual(@as(?u64, null), parse_statm(""));
    try std.testing.expectEqual(@as(?u64, null), parse_statm("99999999999999999999 1\n"));
}

test "the parsers never fail on arbitrary text" {
    var prng = std.Random.DefaultPrng.init(0x3e3);
    const random = prng.random();
    var buf: [600]u8 = undefined;
    const alphabet = "0123456789 ()\nkB:PssShared_DirtyPrivate_Dirty-x";
    for (0..20000) |_| {
        const len = random.uintLessThan(usize, buf.len);
        for (buf[0..len]) |*byte| byte.* = alphabet[random.uintLessThan(usize, alphabet.len)];
        _ = parse_rollup(buf[0..len]);
        _ = parse_start_brk(buf[0..len]);
        _ = parse_statm(buf[0..len]);
    }
}
