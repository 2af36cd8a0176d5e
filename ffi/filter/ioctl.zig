//! The ioctl denylist filter: the requests the policy denies at startup (deny/ioctl, the
//! original's default list among them), answered with their errno by a seccomp program of their
//! own, loaded in the child beside the sandbox filter, as the original does: the kernel answers
//! them before any notification whether ioctl sandboxing is on or off, and an errno outranks the
//! sandbox filter's notification. Only a non-negative fd is compared (AT_FDCWD and other
//! negative numbers reach the kernel, which answers EBADF), and both the fd and the request on
//! their low 32 bits, which are all the kernel reads.
//!
//! Needs: libseccomp to assemble the program.
//! Assumes: x86_64; the sandbox filter kills calls of any other ABI.

const std = @import("std");
const assert = std.debug.assert;
const SYS = std.os.linux.SYS;
const sys = @import("../kernel/sys.zig");
const scmp = @import("scmp.zig");
const policy = @import("../judge/policy.zig");

/// Assembles the denylist program into a context the caller releases, or null when the policy
/// denies no request.
pub fn build(rules: []const policy.IoctlRule) sys.Errno!?scmp.Ctx {
    assert(rules.len <= policy.ioctl_rules_max);
    var denied: usize = 0;
    for (rules) |rule| denied += @intFromBool(rule.deny);
    if (denied == 0) return null;
    const ctx = try scmp.init(scmp.act_allow);
    errdefer scmp.release(ctx);
    try scmp.attr_set(ctx, .act_badarch, scmp.act_allow); // the sandbox filter kills them
    try scmp.attr_set(ctx, .ctl_nnp, 0); // syd sets no_new_privs itself, in the child.
    for (rules) |rule| if (rule.deny) {
        assert(rule.errno > 0 and rule.request & rule.mask == 0);
        const cmps = [_]scmp.ArgCmp{
            .{ .arg = 0, .op = .masked_eq, .datum_a = 0x8000_0000, .datum_b = 0 },
            .{ .arg = 1, .op = .masked_eq, .datum_a = ~rule.mask & 0xffff_ffff, .datum_b = rule.request },
        };
        try scmp.rule_add_cmps(ctx, scmp.act_errno(rule.errno), @intFromEnum(SYS.ioctl), &cmps);
    };
    return ctx;
}

test "the denylist program answers a denied request with its errno, for any upper bits" {
    const rules = [_]policy.IoctlRule{
        .{ .request = 0x5412, .mask = 0, .deny = true, .errno = 25 },
        .{ .request = 0x5421, .mask = 0, .deny = false },
        .{ .request = 0xc000ff0b, .mask = 0x3fff0000, .deny = true, .errno = 25 },
    };
    const ctx = (try build(&rules)).?;
    defer scmp.release(ctx);
    try std.testing.expect((try build(rules[1..2])) == null);
}
