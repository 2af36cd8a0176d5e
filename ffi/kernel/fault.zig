//! Test-only fault switch: compiled in only by `zig build -Dfaults=true` (the tests build that
//! library apart, into zig-out/faults); in every other build `enabled` is false and each entry
//! point here is empty. With it, `SYD_FAULT` (read when a sandbox is created) names a fault an
//! emulator commits when a sandboxed process calls mkdir with mode 0713 (`mkdir -m 713 d`):
//! `panic` (a crashing handler) or `syscall` (a call outside the emulator's seccomp allow-list).
//!
//! Needs: nothing.
//! Assumes: `init` runs before any emulator thread starts (sandbox creation).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const build_options = @import("build_options");

pub const enabled: bool = build_options.faults;
/// The mkdir mode that triggers the fault.
pub const trigger_mode: u64 = 0o713;

pub const Kind = enum(u8) { none, panic, syscall };

var kind: std.atomic.Value(Kind) = .init(.none);

/// Reads SYD_FAULT (only in a faults build).
pub fn init() void {
    if (!enabled) return;
    const text = std.posix.getenv("SYD_FAULT") orelse return;
    kind.store(std.meta.stringToEnum(Kind, text) orelse .none, .release);
}

/// Commits the configured fault if this call is the trigger: mkdir/mkdirat with mode 0713.
pub fn maybe(nr: i32, args: [6]u64) void {
    if (!enabled) return;
    const mode = if (nr == @intFromEnum(linux.SYS.mkdir)) args[1] else if (nr == @intFromEnum(linux.SYS.mkdirat)) args[2] else return;
    if (mode != trigger_mode) return;
    switch (kind.load(.acquire)) {
        .none => {},
        .panic => @panic("test fault: a handler crashed (SYD_FAULT=panic)"),
        // vhangup is in no allow-list of syd's threads: once confined, the kernel kills syd.
        .syscall => _ = linux.syscall0(.vhangup),
    }
    assert(enabled);
}
