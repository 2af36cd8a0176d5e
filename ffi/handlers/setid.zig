//! SafeSetID, as the original's: under `setuid+SRC:DST` (`setgid+SRC:DST`) transits, the
//! sandbox keeps CAP_SETUID (CAP_SETGID), and its set*id calls are judged here. A call is let
//! run by the kernel when every id it names is one the caller has already, or the target of a
//! transit from the caller's real id; a call that would leave the real, effective and saved ids
//! different, or names any other id, is refused (EPERM) and its caller killed. A call naming a
//! system user or group (filter/table.zig `setid_row` traps it, transits or not) runs only if it
//! changes nothing; otherwise its caller is killed, as by the original's filter (EPERM with
//! trace/allow_unsafe_setid).
//!
//! Unlike the original, which changes syd's own ids along with the caller's and judges on
//! syd's, syd keeps its own: the ids judged are the calling thread's (credentials are per
//! thread, and glibc's setxid broadcast makes each thread call for itself, each judged). Letting
//! the call continue is safe: its ids are in its registers, which the kernel uses as judged, and
//! no other thread can change this thread's credentials meanwhile. Once a process has changed
//! from root to another user, the kernel clears its capabilities (the sandbox runs without
//! SECBIT_NO_SETUID_FIXUP): it cannot change again.
//!
//! setgroups under `setgid+` transits: syd's tracer makes every call drop all supplementary
//! groups (workers/trace.zig), as the original; without the tracer only setgroups(0, ...) runs.
//!
//! Needs: /proc/TID/status. Assumes: trapped while the policy has transits of the kind, and
//! whenever a call names a system id.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const handlers = @import("mod.zig");
const policy_mod = @import("../judge/policy.zig");
const caller = @import("../kernel/caller.zig");
const table = @import("../filter/table.zig");

const Request = handlers.Request;
const Response = handlers.Response;

/// The id the re/res forms take as "unchanged".
const unchanged: u32 = std.math.maxInt(u32);

pub const Kind = enum { uid, gid };
/// setuid (one id), setreuid (real, effective), setresuid (real, effective, saved).
pub const Form = enum { set, re, res };

pub const Verdict = union(enum) {
    /// The kernel runs the call in the caller.
    allow,
    /// Refused with `errno`; `kill`: and the caller killed (a record says `why`).
    refuse: struct { errno: linux.E, kill: bool, why: []const u8, target: u32 },
};

/// Judges a set*id call of `form` naming `args` (truncated to 32 bits, as the kernel reads
/// them; only the form's first ones count) for a thread whose real, effective and saved ids are
/// `current`, under `transits` (SRC, DST) and system ids up to `system_max`.
pub fn judge(form: Form, args: [3]u32, current: [3]u32, transits: []const [2]u32, system_max: u32) Verdict {
    const count: usize = switch (form) {
        .set => 1,
        .re => 2,
        .res => 3,
    };
    const given = args[0..count];
    if (form == .set and given[0] == unchanged) return .{ .refuse = .{ .errno = .INVAL, .kill = false, .why = "no id", .target = unchanged } };
    // What the ids would be: for setuid, every id (the caller holds the capability).
    var after = current;
    switch (form) {
        .set => after = .{ given[0], given[0], given[0] },
        .re => {
            if (given[0] != unchanged) after[0] = given[0];
            if (given[1] != unchanged) after[1] = given[1];
            if (given[0] != unchanged or (given[1] != unchanged and given[1] != current[0])) after[2] = after[1];
        },
        .res => for (given, 0..) |id, i| {
            if (id != unchanged) after[i] = id;
        },
    }
    // A call that changes nothing runs, a system id among its own included (GNU make as root
    // calls setresuid(-1, 0, -1)). Any other naming a system id is the original's kill.
    if (std.mem.eql(u32, &after, &current)) return .allow;
    for (given) |id| if (id != unchanged and id <= system_max) {
        return .{ .refuse = .{ .errno = .PERM, .kill = true, .why = "change to a system id blocked", .target = id } };
    };
    if (after[0] != after[1] or after[1] != after[2]) {
        return .{ .refuse = .{ .errno = .PERM, .kill = true, .why = "change to unequal real, effective and saved ids blocked", .target = if (after[0] != after[1]) after[1] else after[2] } };
    }
    for (given) |id| {
        if (id == unchanged) continue;
        if (std.mem.indexOfScalar(u32, &current, id) != null) continue;
        if (policy_mod.SetId.transit(transits, current[0], id)) continue;
        return .{ .refuse = .{ .errno = .PERM, .kill = true, .why = "change without a transit blocked", .target = id } };
    }
    assert(after[0] == after[1] and after[1] == after[2]);
    return .allow;
}

/// setuid, setreuid, setresuid, setgid, setregid, setresgid under SafeSetID's transits.
pub fn handle(request: *const Request) Response {
    const nr = handlers.nr_of(request);
    const kind: Kind, const form: Form = switch (nr) {
        .setuid => .{ .uid, .set },
        .setreuid => .{ .uid, .re },
        .setresuid => .{ .uid, .res },
        .setgid => .{ .gid, .set },
        .setregid => .{ .gid, .re },
        .setresgid => .{ .gid, .res },
        .setgroups => return setgroups(request),
        else => unreachable, // the filter traps these alone here
    };
    var status: caller.Status = .{};
    caller.read_status(request.tid(), &status) catch |err| return handlers.failure(err);
    const setid = request.policy.setid;
    const transits = if (kind == .uid) setid.uid else setid.gid;
    const current = if (kind == .uid) status.uids else status.gids;
    const system_max = if (kind == .uid) table.uid_system_max else table.gid_system_max;
    var args: [3]u32 = undefined;
    for (&args, 0..) |*id, i| id.* = @truncate(request.arg(i));
    const verdict = judge(form, args, current, transits, system_max);
    switch (verdict) {
        .allow => return .continue_call,
        .refuse => |refusal| {
            if (refusal.errno == .INVAL) return .{ .failure = @intFromEnum(refusal.errno) };
            const kill = refusal.kill and !(setid.allow_unsafe_setid and refusal.target <= system_max);
            record(request, kind, refusal.target, current[0], refusal.why, kill);
            if (kill) handlers.punish(request, .kill);
            return .{ .failure = @intFromEnum(refusal.errno) };
        },
    }
}

fn record(request: *const Request, kind: Kind, target: u32, source: u32, why: []const u8, kill: bool) void {
    var tip_buf: [64]u8 = undefined;
    const name = if (kind == .uid) "setuid" else "setgid";
    const tip = std.fmt.bufPrint(&tip_buf, "define a transit `{s}+{d}:{d}'", .{ name, source, target }) catch "";
    const sys_name = handlers.syscall_name(request.notif.data.nr);
    const target_signed: i64 = if (target == unchanged) -1 else target;
    switch (kind) {
        .uid => request.log.emit(.warn, .{ .ctx = "safesetid", .err = 1, .sys = sys_name, .target_uid = target_signed, .source_uid = source, .pid = request.tid(), .act = if (kill) "kill" else "deny", .msg = why, .tip = tip }),
        .gid => request.log.emit(.warn, .{ .ctx = "safesetid", .err = 1, .sys = sys_name, .target_gid = target_signed, .source_gid = source, .pid = request.tid(), .act = if (kill) "kill" else "deny", .msg = why, .tip = tip }),
    }
}

/// setgroups without syd's tracer (trace/allow_unsafe_ptrace): the list cannot be replaced,
/// so only the call that drops every group runs; any other is refused.
fn setgroups(request: *const Request) Response {
    if (request.arg(0) == 0) return .continue_call;
    request.log.emit(.warn, .{ .ctx = "safesetid", .err = 1, .sys = "setgroups", .pid = request.tid(), .msg = "supplementary groups other than none refused: without syd's tracer the list cannot be replaced" });
    return .{ .failure = @intFromEnum(linux.E.PERM) };
}

const T = [_][2]u32{.{ 0, 65534 }};

test "judge lets a change by a transit run, and only to ids that stay equal" {
    const root = [3]u32{ 0, 0, 0 };
    try std.testing.expectEqual(Verdict.allow, judge(.set, .{ 65534, 0, 0 }, root, &T, 11));
    try std.testing.expectEqual(Verdict.allow, judge(.res, .{ 65534, 65534, 65534 }, root, &T, 11));
    try std.testing.expectEqual(Verdict.allow, judge(.re, .{ 65534, 65534, 0 }, root, &T, 11));
    // No transit to 1000.
    try std.testing.expect(judge(.set, .{ 1000, 0, 0 }, root, &T, 11).refuse.kill);
    // The effective id alone: real and saved stay 0.
    const half = judge(.re, .{ unchanged, 65534, 0 }, root, &T, 11);
    try std.testing.expect(half.refuse.kill);
    try std.testing.expectEqualStrings("change to unequal real, effective and saved ids blocked", half.refuse.why);
    try std.testing.expect(judge(.res, .{ 65534, 65534, unchanged }, root, &T, 11).refuse.kill);
}

test "judge refuses system ids, and lets no-change and leave-unchanged calls run" {
    const nobody = [3]u32{ 65534, 65534, 65534 };
    try std.testing.expect(judge(.set, .{ 0, 0, 0 }, nobody, &T, 11).refuse.kill);
    // Root naming root: nothing changes.
    try std.testing.expectEqual(Verdict.allow, judge(.res, .{ unchanged, 0, unchanged }, .{ 0, 0, 0 }, &T, 11));
    try std.testing.expectEqual(Verdict.allow, judge(.set, .{ 0, 0, 0 }, .{ 0, 0, 0 }, &T, 11));
    try std.testing.expect(judge(.re, .{ unchanged, 0, 0 }, .{ 0, 1000, 0 }, &T, 11).refuse.kill);
    try std.testing.expect(judge(.res, .{ unchanged, unchanged, 11 }, nobody, &T, 11).refuse.kill);
    try std.testing.expectEqual(Verdict.allow, judge(.set, .{ 65534, 0, 0 }, nobody, &T, 11));
    try std.testing.expectEqual(Verdict.allow, judge(.res, .{ unchanged, unchanged, unchanged }, nobody, &T, 11));
    try std.testing.expectEqual(linux.E.INVAL, judge(.set, .{ unchanged, 0, 0 }, nobody, &T, 11).refuse.errno);
    // From nobody, the transit's target is no source: nothing else.
    try std.testing.expect(judge(.set, .{ 1000, 0, 0 }, nobody, &T, 11).refuse.kill);
}

test "judge never allows an id that is neither the caller's nor a transit's target" {
    var prng = std.Random.DefaultPrng.init(0x5e7);
    const random = prng.random();
    const pool = [_]u32{ 0, 5, 11, 12, 100, 1000, 65534, unchanged };
    for (0..20000) |_| {
        const form = random.enumValue(Form);
        var args: [3]u32 = undefined;
        for (&args) |*id| id.* = pool[random.uintLessThan(usize, pool.len)];
        var current: [3]u32 = undefined;
        for (&current) |*id| id.* = pool[random.uintLessThan(usize, pool.len - 1)];
        switch (judge(form, args, current, &T, 11)) {
            .allow => {
                // A system id only where nothing changes.
                const count: usize = switch (form) {
                    .set => 1,
                    .re => 2,
                    .res => 3,
                };
                for (args[0..count]) |id| {
                    if (id == unchanged) continue;
                    const own = std.mem.indexOfScalar(u32, &current, id) != null;
                    try std.testing.expect(own or (current[0] == 0 and id == 65534));
                }
            },
            .refuse => {},
        }
    }
}
