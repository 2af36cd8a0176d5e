//! `syd -E pfc|bpf` (and SYD_DUMP_SCMP): every seccomp filter syd would load for a policy, for
//! auditing. PFC (libseccomp's pseudo-filter code) goes to one fd, a `#` header line before each
//! filter; BPF goes to one file per filter in a directory (`syd_process.bpf` for the sandbox's
//! filter, `syd_ioctl.bpf` for its ioctl denylist, `syd_emu.bpf`, `syd_int.bpf`, `syd_mon.bpf`,
//! `syd_out.bpf`, `syd_run.bpf` for syd's threads),
//! created new with mode 0400: an existing file is never overwritten (EEXIST).
//!
//! The threads' filters compare arguments with the notify fd, which is only known when the
//! sandbox runs: the export shows `export_notify_fd` in its place, and says so.
//!
//! Needs: libseccomp (export); openat with O_EXCL.
//! Assumes: called from an unconfined thread (libseccomp allocates and probes the kernel).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const policy = @import("../judge/policy.zig");
const scmp = @import("scmp.zig");
const sandbox_filter = @import("sandbox.zig");
const ioctl_filter = @import("ioctl.zig");
const confine = @import("confine.zig");
const landlock = @import("../layers/landlock.zig");
const namespaces = @import("../layers/namespaces.zig");

pub const Format = enum(u32) { pfc = 0, bpf = 1 };

/// The notify fd the threads' filters are shown with (the real one is chosen at run time).
pub const export_notify_fd: i32 = 1023;
const kinds = @typeInfo(confine.Kind).@"enum".fields;

/// Writes every filter: PFC to `out_fd`, or BPF files into `dir` (a path).
pub fn dump(options: sandbox_filter.Options, ioctl_rules: []const policy.IoctlRule, lock: policy.Lock, sockets: bool, setid: bool, skip: bool, lock_rules: *const landlock.Rules, limits: policy.Limits, ns: *const namespaces.Rules, format: Format, out_fd: i32, dir: []const u8, diag: *policy.Diag) sys.Errno!void {
    assert(out_fd >= 0);
    {
        const ctx = try sandbox_filter.build(options);
        defer scmp.release(ctx);
        try emit(ctx, "syd_process", "process", "the sandboxed processes (loaded into the first one before it is executed)", format, out_fd, dir, diag);
    }
    if (try ioctl_filter.build(ioctl_rules)) |ctx| {
        defer scmp.release(ctx);
        try emit(ctx, "syd_ioctl", "ioctl", "the sandboxed processes' ioctl denylist (loaded beside syd_process)", format, out_fd, dir, diag);
    }
    const when: []const u8 = if (skip)
        "never loaded: SYD_SKIP_SCMP is set"
    else switch (lock) {
        .off => "loaded only if a /dev/syd command locks the sandbox (lock:off)",
        .exec => "loaded once the first process runs (lock:exec)",
        .drop => "loaded once the first process runs (lock:drop)",
        .on, .unset => "loaded once the first process runs (lock:on)",
    };
    const params: confine.Params = .{ .notify_fd = export_notify_fd, .tgid = sys.getpid(), .interrupt_signal = std.os.linux.SIG.ALRM, .sockets = sockets, .setid = setid };
    inline for (kinds) |field| {
        const kind: confine.Kind = @enumFromInt(field.value);
        const ctx = try confine.build(kind, params);
        defer scmp.release(ctx);
        var what_buf: [256]u8 = undefined;
        const what = std.fmt.bufPrint(&what_buf, "syd's {s}, {s}; notify fd shown as {d}", .{ describe(kind), when, export_notify_fd }) catch unreachable;
        try emit(ctx, confine.thread_name(kind), role(kind), what, format, out_fd, dir, diag);
    }
    if (format == .pfc) {
        try sys.write_all(out_fd, parent_note);
        try landlock_note(lock_rules, out_fd);
        try limits_note(limits, out_fd);
        try namespaces_note(ns, out_fd);
    }
}

/// Namespaces change no filter: the sandbox's own unshare, clone with CLONE_NEW*, setns, mount
/// and pivot_root stay refused by syd_process above whatever they are. The note says which
/// namespaces syd makes for it instead (layers/namespaces.zig).
fn namespaces_note(ns: *const namespaces.Rules, out_fd: i32) sys.Errno!void {
    if (!ns.any()) return sys.write_all(out_fd, "# syd_ns: Syd namespaces: none\n");
    var buf: [512]u8 = undefined;
    var names_buf: [96]u8 = undefined;
    try sys.write_all(out_fd, std.fmt.bufPrint(&buf, "# syd_ns: Syd namespaces: {s}, made by syd for the sandbox's first process (no filter: the sandbox's own unshare, clone with CLONE_NEW*, setns, mount and pivot_root stay refused above); root {s}; {d} binds\n", .{ ns.names(&names_buf, ","), ns.root orelse "(the host's)", ns.binds.len }) catch unreachable);
}

/// Memory and PID sandboxing: where each acts (the memory traps are in syd_process above).
fn limits_note(limits: policy.Limits, out_fd: i32) sys.Errno!void {
    var buf: [512]u8 = undefined;
    if (limits.mem) {
        try sys.write_all(out_fd, std.fmt.bufPrint(&buf, "# syd_mem: Syd memory sandboxing: mmap, brk and mremap sent to syd (syd_process above), refused with ENOMEM ({s}) where the caller would reach mem/max {d} or mem/vm_max {d} (bytes; 0: no check)\n", .{ @tagName(limits.mem_action), limits.mem_max, limits.mem_vm_max }) catch unreachable);
    } else {
        try sys.write_all(out_fd, "# syd_mem: Syd memory sandboxing: off (mmap, brk and mremap allowed)\n");
    }
    if (limits.pid) {
        try sys.write_all(out_fd, std.fmt.bufPrint(&buf, "# syd_pid: Syd PID sandboxing: no filter; syd's tracer counts the sandbox's tasks at every fork, vfork and clone stop (ptrace), action {s} past pid/max {d} (0: no limit)\n", .{ @tagName(limits.pid_action), limits.pid_max }) catch unreachable);
    } else {
        try sys.write_all(out_fd, "# syd_pid: Syd PID sandboxing: off\n");
    }
}

/// Lock sandboxing is no seccomp filter: the PFC export ends with the Landlock domain syd's run
/// thread enters (layers/landlock.zig), so that an audit sees every layer.
fn landlock_note(rules: *const landlock.Rules, out_fd: i32) sys.Errno!void {
    // A line: the path (cut at 400 bytes), the names of every right (113), the words around.
    var buf: [1024]u8 = undefined;
    const version = landlock.abi();
    if (!rules.on) {
        try sys.write_all(out_fd, "# syd_landlock: Syd Landlock rules: none (sandbox/lock:off)\n");
        return;
    }
    try sys.write_all(out_fd, std.fmt.bufPrint(&buf, "# syd_landlock: Syd Landlock rules: the domain syd's run thread enters before the sandbox's first process (the sandbox and syd's threads acting for it); compatibility {s}; this kernel's ABI {d}: rights 0x{x} handled\n", .{ @tagName(rules.compat), version, landlock.handled_fs(version) }) catch unreachable);
    try sys.write_all(out_fd, "#   allow /proc: read,readdir (always)\n#   allow /dev/null: read,write,truncate (always)\n");
    for (rules.paths) |rule| {
        var names_buf: [256]u8 = undefined;
        var len: usize = 0;
        for (right_names, 0..) |name, bit| {
            if (rule.access & (@as(u64, 1) << @intCast(bit)) == 0) continue;
            if (len > 0) {
                names_buf[len] = ',';
                len += 1;
            }
            @memcpy(names_buf[len..][0..name.len], name);
            len += name.len;
        }
        const line = std.fmt.bufPrint(&buf, "#   allow {s}: {s}\n", .{ rule.path[0..@min(rule.path.len, 400)], names_buf[0..len] }) catch unreachable;
        try sys.write_all(out_fd, line);
    }
    inline for (.{ "bind", "connect" }) |name| {
        if (@field(rules, name)) |ranges| {
            try sys.write_all(out_fd, "#   tcp " ++ name ++ ":");
            if (ranges.len == 0) try sys.write_all(out_fd, " no port");
            for (ranges) |range| {
                const part = if (range[0] == range[1])
                    std.fmt.bufPrint(&buf, " {d}", .{range[0]}) catch unreachable
                else
                    std.fmt.bufPrint(&buf, " {d}-{d}", .{ range[0], range[1] }) catch unreachable;
                try sys.write_all(out_fd, part);
            }
            try sys.write_all(out_fd, "\n");
        } else {
            try sys.write_all(out_fd, "#   tcp " ++ name ++ ": every port (not handled)\n");
        }
    }
}

/// The original's names of Landlock's filesystem rights, by bit.
const right_names = [_][]const u8{ "exec", "write", "read", "readdir", "rmdir", "delete", "mkcdev", "mkdir", "create", "bind", "mkfifo", "mkbdev", "symlink", "rename", "truncate", "ioctl", "connect" };
comptime {
    assert(right_names.len == 17);
}

/// Where the original shows its parent filter (loaded into its whole process with TSYNC, and
/// inherited by the sandbox), syd has none to show, and says why.
const parent_note =
    \\# syd_parent: Syd parent rules: none loaded. syd's main process is the Deno runtime, whose
    \\# threads syd did not create and never confines (a filter synchronised onto them would bind
    \\# code syd does not control); each thread syd creates loads its own filter above
    \\# (syd_emu, syd_int, syd_mon, syd_out, syd_run), and what the original's parent filter
    \\# gives the sandbox by inheritance is in syd_process and syd_ioctl.
    \\
;

fn describe(kind: confine.Kind) []const u8 {
    return switch (kind) {
        .emu => "emulator threads",
        .int => "interrupter thread",
        .mon => "monitor thread",
        .out => "timeouter thread",
        .run => "run thread (the tracer: it waits for the sandbox and checks each exec and chdir)",
    };
}

/// The word of the original's PFC headers (`# Syd monitor rules`) for a thread kind.
fn role(kind: confine.Kind) []const u8 {
    return switch (kind) {
        .emu => "emulator",
        .int => "interrupter",
        .mon => "monitor",
        .out => "timeouter",
        .run => "waiter",
    };
}

/// `role`: the section's word in the original's headers (`# Syd process rules`), which tools
/// written for the original look for.
fn emit(ctx: scmp.Ctx, name: []const u8, role_word: []const u8, what: []const u8, format: Format, out_fd: i32, dir: []const u8, diag: *policy.Diag) sys.Errno!void {
    assert(name.len > 0 and role_word.len > 0);
    switch (format) {
        .pfc => {
            var header_buf: [512]u8 = undefined;
            const header = std.fmt.bufPrint(&header_buf, "# {s}: Syd {s} rules: the filter of {s}\n", .{ name, role_word, what }) catch unreachable;
            try sys.write_all(out_fd, header);
            try scmp.export_pfc(ctx, out_fd);
        },
        .bpf => {
            var path_buf: [4096]u8 = undefined;
            const path = std.fmt.bufPrintZ(&path_buf, "{s}/{s}.bpf", .{ dir, name }) catch return error.NAMETOOLONG;
            const fd = sys.retry(linux.open, .{ path.ptr, linux.O{ .ACCMODE = .WRONLY, .CREAT = true, .EXCL = true, .CLOEXEC = true }, @as(linux.mode_t, 0o400) }) catch |err| {
                diag.set("cannot create {s}: {s}", .{ path, if (err == error.EXIST) "it exists already (never overwritten)" else @errorName(err) });
                return err;
            };
            defer sys.close(@intCast(fd));
            try scmp.export_bpf(ctx, @intCast(fd));
            var line_buf: [4200]u8 = undefined;
            const line = std.fmt.bufPrint(&line_buf, "{s}\n", .{path}) catch unreachable;
            try sys.write_all(out_fd, line);
        },
    }
}

test "dump writes a PFC section per filter, headed by the filter's name" {
    const fd: i32 = @intCast(try sys.check(linux.memfd_create("dump-test", linux.MFD.CLOEXEC)));
    defer sys.close(fd);
    var diag: policy.Diag = .{};
    const lock_rules: landlock.Rules = .{ .on = true, .paths = &.{.{ .path = "/usr", .access = 5 }}, .bind = &.{.{ 80, 90 }} };
    try dump(.{}, &.{}, .unset, false, false, false, &lock_rules, .{}, &.{}, .pfc, fd, "", &diag);
    _ = try sys.check(linux.lseek(fd, 0, linux.SEEK.SET));
    const text = try std.heap.page_allocator.alloc(u8, 1 << 20);
    defer std.heap.page_allocator.free(text);
    const len = try sys.read_full(fd, text);
    for ([_][]const u8{ "# syd_process:", "# syd_emu:", "# syd_int:", "# syd_mon:", "# syd_out:", "# syd_run: Syd waiter rules", "# syd_parent: Syd parent rules: none loaded", "# syd_landlock: Syd Landlock rules", "#   allow /usr: exec,read\n", "#   tcp bind: 80-90\n", "# syd_mem: Syd memory sandboxing: off", "# syd_pid: Syd PID sandboxing: off", "# syd_ns: Syd namespaces: none" }) |header| {
        try std.testing.expect(std.mem.indexOf(u8, text[0..len], header) != null);
    }
}
