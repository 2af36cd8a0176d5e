//! libseccomp, linked statically: the few functions syd assembles and exports filters with.
//!
//! Needs: libseccomp 2.5 (`libseccomp.a` from Debian's libseccomp-dev); its symbols stay
//! hidden behind the version script `ffi/libsyd.map`.
//! Assumes: single use per context from one thread; libseccomp allocates, so nothing here is
//! called between `fork()` and `execve()`.

const std = @import("std");
const assert = std.debug.assert;
const sys = @import("../sys.zig");

pub const Ctx = *opaque {};

pub const act_kill_process: u32 = 0x80000000;
pub const act_allow: u32 = 0x7fff0000;
pub const act_notify: u32 = 0x7fc00000;
pub fn act_errno(errno_value: u16) u32 {
    return 0x00050000 | @as(u32, errno_value);
}

pub const Attr = enum(c_int) {
    act_default = 1,
    act_badarch = 2,
    ctl_nnp = 3,
    ctl_tsync = 4,
    ctl_optimize = 8,
};

pub const Version = extern struct { major: c_uint, minor: c_uint, micro: c_uint };

extern fn seccomp_init(def_action: u32) ?Ctx;
extern fn seccomp_release(ctx: Ctx) void;
extern fn seccomp_attr_set(ctx: Ctx, attr: Attr, value: u32) c_int;
extern fn seccomp_rule_add(ctx: Ctx, action: u32, syscall: c_int, arg_cnt: c_uint, ...) c_int;
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
