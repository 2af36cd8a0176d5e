//! libseccomp, linked statically: the few functions syd assembles, exports and loads filters
//! with.
//!
//! Needs: libseccomp 2.5 (`libseccomp.a` from Debian's libseccomp-dev); its symbols stay
//! hidden behind the version script `ffi/libsyd.map`.
//! Assumes: single use per context from one thread; libseccomp allocates, so nothing here is
//! called between `fork()` and `execve()`.

const std = @import("std");
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");

pub const Ctx = *opaque {};

pub const act_kill_process: u32 = 0x80000000;
pub const act_allow: u32 = 0x7fff0000;
pub const act_notify: u32 = 0x7fc00000;
/// SECCOMP_RET_TRACE: a PTRACE_EVENT_SECCOMP stop for the tracer (ENOSYS when untraced).
pub const act_trace: u32 = 0x7ff00000;
pub fn act_errno(errno_value: u16) u32 {
    return 0x00050000 | @as(u32, errno_value);
}

pub const Attr = enum(c_int) {
    act_default = 1,
    act_badarch = 2,
    ctl_nnp = 3,
    ctl_tsync = 4,
    ctl_optimize = 8,
    /// Return the kernel's errno from `seccomp_load` instead of ECANCELED.
    api_sysrawrc = 9,
};

/// `enum scmp_compare`: how an argument is compared with a rule's data.
pub const Cmp = enum(c_int) { ne = 1, lt = 2, le = 3, eq = 4, ge = 5, gt = 6, masked_eq = 7 };

/// `struct scmp_arg_cmp`: argument `arg` (0..5) compared by `op` with `datum_a`; for
/// `masked_eq` the test is `(argument & datum_a) == datum_b`.
pub const ArgCmp = extern struct { arg: c_uint, op: Cmp, datum_a: u64, datum_b: u64 };
comptime {
    assert(@sizeOf(ArgCmp) == 24);
    assert(@offsetOf(ArgCmp, "datum_a") == 8 and @offsetOf(ArgCmp, "datum_b") == 16);
}

/// The comparisons one rule may carry at most (a call has six arguments).
pub const arg_cmps_max: usize = 6;

pub const Version = extern struct { major: c_uint, minor: c_uint, micro: c_uint };

extern fn seccomp_init(def_action: u32) ?Ctx;
extern fn seccomp_release(ctx: Ctx) void;
extern fn seccomp_attr_set(ctx: Ctx, attr: Attr, value: u32) c_int;
extern fn seccomp_rule_add(ctx: Ctx, action: u32, syscall: c_int, arg_cnt: c_uint, ...) c_int;
extern fn seccomp_rule_add_array(ctx: Ctx, action: u32, syscall: c_int, arg_cnt: c_uint, arg_array: [*]const ArgCmp) c_int;
extern fn seccomp_load(ctx: Ctx) c_int;
extern fn seccomp_export_bpf(ctx: Ctx, fd: c_int) c_int;
extern fn seccomp_export_pfc(ctx: Ctx, fd: c_int) c_int;
extern fn seccomp_version() *const Version;

/// libseccomp answers -errno; turn it into syd's errno error.
fn result(rc: c_int) sys.Errno!void {
    if (rc == 0) return;
    assert(rc < 0);
    return sys.errno_error(@enumFromInt(@as(u16, @intCast(-rc))));
}

pub fn init(default_action: u32) sys.Errno!Ctx {
    return seccomp_init(default_action) orelse error.NOMEM;
}

pub fn release(ctx: Ctx) void {
    seccomp_release(ctx);
}

pub fn attr_set(ctx: Ctx, attr: Attr, value: u32) sys.Errno!void {
    return result(seccomp_attr_set(ctx, attr, value));
}

/// Adds an unconditional rule for the native architecture's syscall number `nr`.
pub fn rule_add(ctx: Ctx, action: u32, nr: usize) sys.Errno!void {
    assert(nr < 1024);
    return result(seccomp_rule_add(ctx, action, @intCast(nr), @as(c_uint, 0)));
}

/// Adds a rule for the native syscall `nr` that applies when every comparison in `cmps` holds.
pub fn rule_add_cmps(ctx: Ctx, action: u32, nr: usize, cmps: []const ArgCmp) sys.Errno!void {
    assert(nr < 1024);
    assert(cmps.len >= 1 and cmps.len <= arg_cmps_max);
    for (cmps) |cmp| assert(cmp.arg < arg_cmps_max);
    return result(seccomp_rule_add_array(ctx, action, @intCast(nr), @intCast(cmps.len), cmps.ptr));
}

/// Loads the filter into the calling thread (and, with `ctl_tsync`, its whole process).
/// libseccomp allocates and frees while generating the program.
pub fn load(ctx: Ctx) sys.Errno!void {
    return result(seccomp_load(ctx));
}

pub fn export_bpf(ctx: Ctx, fd: i32) sys.Errno!void {
    assert(fd >= 0);
    return result(seccomp_export_bpf(ctx, fd));
}

pub fn export_pfc(ctx: Ctx, fd: i32) sys.Errno!void {
    assert(fd >= 0);
    return result(seccomp_export_pfc(ctx, fd));
}

pub fn version() Version {
    return seccomp_version().*;
}
