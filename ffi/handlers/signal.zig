//! rt_sigaction: not judged; watched so that the interrupter knows which signals a process
//! handles with SA_RESTART (a call blocked in syd for it is then left to restart, not ended
//! with EINTR). The call itself is continued: the kernel installs the handler.
//!
//! Needs: process_vm_readv; /proc/TID/status (the caller's thread group).
//! Assumes: nothing beyond mod.zig's Request. The caller may change its sigaction struct after
//! syd read it: the flags only steer when syd interrupts a blocked call, never a judgement.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const caller_mod = @import("../kernel/caller.zig");
const handlers = @import("mod.zig");

const Request = handlers.Request;
const Response = handlers.Response;

/// The kernel's `struct sigaction` on x86_64 (handler, flags, restorer, mask).
const KSigaction = extern struct { handler: u64, flags: u64, restorer: u64, mask: u64 };
comptime {
    assert(@sizeOf(KSigaction) == 32);
}

const sig_dfl: u64 = 0;
const sig_ign: u64 = 1;
const sa_restart: u64 = 0x10000000;

pub fn rt_sigaction(request: *const Request) Response {
    const sig = request.arg(0);
    const act_addr = request.arg(1);
    if (act_addr == 0 or sig < 1 or sig > 64) return .continue_call; // a query, or the kernel refuses it
    var act: KSigaction = undefined;
    handlers.read_memory(request.tid(), act_addr, std.mem.asBytes(&act)) catch return .continue_call;
    var status: caller_mod.Status = .{};
    caller_mod.read_status(request.tid(), &status) catch return .continue_call;
    assert(status.tgid > 0);
    const restart = act.handler != sig_dfl and act.handler != sig_ign and act.flags & sa_restart != 0;
    request.interrupter.restarts.set(status.tgid, status.ppid, @intCast(sig), restart);
    return .continue_call;
}
