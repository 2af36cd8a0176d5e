//! Landlock, the kernel's own wall, in two uses.
//!
//! Scopes: the kernel itself keeps the sandbox from signalling or tracing any process
//! outside it (syd and its threads first of all), whatever pid it names and however it names
//! it (kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_send_signal, ptrace,
//! process_vm_*, pidfd_getfd, /proc/PID/{mem,environ,fd,...} of an outside process).
//! The child enters a Landlock domain that scopes signals (ABI 6, Linux 6.12), and abstract UNIX
//! sockets too while Lock sandboxing is on. Any Landlock domain also limits ptrace-like access
//! to processes inside it (ABI 1); on a kernel with Landlock but without signal scoping, the
//! child's domain handles block-device creation only (which the sandbox, without CAP_MKNOD,
//! cannot do anyway) to get that, and signals to syd are not kept out: syd says so at start.
//! The kernel decides at the call, on the target it finds then: no pid can be reused between a
//! check and the signal.
//!
//! Lock sandboxing (the original's `sandbox/lock`, `allow/lock/...`): a domain that denies every
//! filesystem right the kernel's ABI knows, and TCP bind and connect (ABI 4), but beneath the
//! paths and on the ports the rules allow. syd's run thread enters it before it forks the
//! sandbox's first process and starts the pool, so the sandbox and every syd thread that acts
//! for it (emulators, tracer, monitor, interrupter) are inside: an open, create, bind or connect
//! syd performs for the sandbox meets the same wall as the sandbox's own calls (the original
//! puts its whole process inside; syd's process is Deno's, whose threads stay outside).
//!
//! Needs: landlock_create_ruleset, landlock_add_rule, landlock_restrict_self (Linux 5.13), and
//! no_new_privs or CAP_SYS_ADMIN before each restriction.
//! Assumes: `child_enter` runs in the forked child (raw system calls only), after no_new_privs;
//! `build` and `thread_enter` run on syd's run thread, before the fork.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const pieces = @import("../kernel/pieces.zig");

const create_ruleset_version: u32 = 1;
const access_fs_make_block: u64 = 1 << 11;
const scope_abstract_unix_socket: u64 = 1 << 0;
const scope_signal: u64 = 1 << 1;
/// The ABI that brought signal scoping.
pub const abi_scoped_signals: u32 = 6;

/// `struct landlock_ruleset_attr` as of ABI 6.
const RulesetAttr = extern struct { handled_access_fs: u64, handled_access_net: u64, scoped: u64 };
comptime {
    assert(@sizeOf(RulesetAttr) == 24);
}

/// The running kernel's Landlock ABI version; 0 when Landlock is missing or disabled.
pub fn abi() u32 {
    const rc = linux.syscall3(.landlock_create_ruleset, 0, 0, create_ruleset_version);
    if (linux.E.init(rc) != .SUCCESS) return 0;
    const version: isize = @bitCast(rc);
    assert(version > 0);
    return @intCast(@min(version, std.math.maxInt(u32)));
}

/// What the sandbox's domain gives on a kernel with Landlock ABI `version`.
pub const Protection = enum { none, ptrace, ptrace_and_signals };

pub fn protection(version: u32) Protection {
    if (version >= abi_scoped_signals) return .ptrace_and_signals;
    if (version >= 1) return .ptrace;
    return .none;
}

/// In the forked child: enters a domain scoping signals (ABI 6+), and abstract UNIX sockets too
/// when `abstract` (Lock sandboxing on), or, before ABI 6, handling block-device creation only.
/// From ABI 2 the domain also handles REFER and grants it beneath `/`: the kernel denies every
/// cross-directory link or rename in each layer that does not grant REFER, as soon as any layer
/// handles a filesystem right (the Lock domain does), so a scope layer must grant it to change
/// nothing. Returns the failing call's raw result, or 0.
pub fn child_enter(version: u32, abstract: bool) usize {
    assert(version >= 1);
    const scoped = scope_signal | (if (abstract) scope_abstract_unix_socket else 0);
    const refer: u64 = if (version >= 2) fs_refer else 0;
    const attr: RulesetAttr = if (version >= abi_scoped_signals)
        .{ .handled_access_fs = refer, .handled_access_net = 0, .scoped = scoped }
    else
        .{ .handled_access_fs = access_fs_make_block | refer, .handled_access_net = 0, .scoped = 0 };
    // Before ABI 4 the attribute ends after handled_access_fs; before 6 after handled_access_net.
    const size: usize = if (version >= abi_scoped_signals) 24 else if (version >= 4) 16 else 8;
    var rc = linux.syscall3(.landlock_create_ruleset, @intFromPtr(&attr), size, 0);
    if (linux.E.init(rc) != .SUCCESS) return rc;
    const fd: i32 = @intCast(rc);
    defer _ = linux.close(fd);
    if (refer != 0) {
        rc = linux.open("/", .{ .PATH = true, .DIRECTORY = true, .CLOEXEC = true }, 0);
        if (linux.E.init(rc) != .SUCCESS) return rc;
        const root: i32 = @intCast(rc);
        defer _ = linux.close(root);
        const beneath: PathBeneathAttr = .{ .allowed_access = refer, .parent_fd = root };
        rc = linux.syscall4(.landlock_add_rule, @as(usize, @intCast(fd)), rule_path_beneath, @intFromPtr(&beneath), 0);
        if (linux.E.init(rc) != .SUCCESS) return rc;
    }
    rc = linux.syscall2(.landlock_restrict_self, @as(usize, @intCast(fd)), 0);
    if (linux.E.init(rc) != .SUCCESS) return rc;
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Lock sandboxing

/// `LANDLOCK_ACCESS_FS_*`, the bits of the policy's `access` (lib/policy/landlock.ts).
pub const fs_execute: u64 = 1 << 0;
pub const fs_write_file: u64 = 1 << 1;
pub const fs_read_file: u64 = 1 << 2;
pub const fs_read_dir: u64 = 1 << 3;
pub const fs_refer: u64 = 1 << 13;
pub const fs_truncate: u64 = 1 << 14;
pub const fs_ioctl_dev: u64 = 1 << 15;
pub const fs_resolve_unix: u64 = 1 << 16;
/// Every right a rule may name.
pub const fs_all: u64 = (1 << 17) - 1;
/// The rights that apply to a file itself; the others only to a directory's content.
pub const fs_file: u64 = fs_execute | fs_write_file | fs_read_file | fs_truncate | fs_ioctl_dev | fs_resolve_unix;
const net_bind_tcp: u64 = 1 << 0;
const net_connect_tcp: u64 = 1 << 1;
const rule_path_beneath: usize = 1;
const rule_net_port: usize = 2;

/// The filesystem rights the kernel's Landlock ABI `version` knows (all handled: denied but
/// where a rule allows them).
pub fn handled_fs(version: u32) u64 {
    if (version == 0) return 0;
    var rights: u64 = (1 << 13) - 1; // ABI 1: execute ... make_sym
    if (version >= 2) rights |= 1 << 13; // refer
    if (version >= 3) rights |= fs_truncate;
    if (version >= 5) rights |= fs_ioctl_dev;
    if (version >= 9) rights |= fs_resolve_unix;
    assert(rights & ~fs_all == 0);
    return rights;
}

/// The compatibility level (`default/lock`): kill and deny refuse to run a sandbox the rules
/// cannot fully describe; warn runs it with what the kernel can enforce.
pub const Compat = enum { kill, deny, warn };

/// One path rule: the rights allowed beneath `path` (as written: relative to syd's cwd).
pub const Path = struct { path: [:0]const u8, access: u64 };

/// The most path rules a policy may hold (the original's MAXACLRULES per right).
pub const paths_max: usize = 4096;

/// Lock sandboxing as the policy gives it (ffi/judge/policy.zig loads and checks it).
pub const Rules = struct {
    on: bool = false,
    compat: Compat = .kill,
    /// landlock_restrict_self's log flags (ABI 7).
    flags: u32 = 0,
    paths: []const Path = &.{},
    /// Allowed port ranges; null: every port (the right is not handled).
    bind: ?[]const [2]u16 = null,
    connect: ?[]const [2]u16 = null,
};

/// How much of the rules the kernel enforces.
pub const Enforced = enum { full, partial };

/// Why `build` failed: the path (if one) and the errno, said by `diag`.
pub const Failure = struct {
    path: []const u8 = "",
    errno_value: i32 = 0,
    /// A message for syd's log and exit.
    what: []const u8 = "",
};

/// Builds the ruleset of `rules` for ABI `version` (> 0): opens each path (O_PATH, no magic
/// links, `..` refused), applies the compatibility level (a missing path: fatal but under warn,
/// skipped; rights that apply to directories only, on a file: fatal but under warn, stripped),
/// adds the static grants (`/proc`: read, readdir, and the same on `host_proc` when it is an fd;
/// `/dev/null`: read, write, truncate) and the port rules. Returns the ruleset fd (close-on-exec), or fails with `failure` said.
/// `skipped` counts the paths left out, `enforced` says whether anything was.
/// `root_fd`: where the rules' absolute paths are looked up (AT_FDCWD: syd's root; a sandbox
/// with a mount namespace of its own: its root, /proc/PID/root, so that the rules name what the
/// sandbox sees, as the original's, which applies them inside).
pub fn build(rules: *const Rules, version: u32, host_proc: i32, root_fd: i32, failure: *Failure, skipped: *u32, enforced: *Enforced) error{Failed}!i32 {
    assert(rules.on and version >= 1);
    assert(rules.paths.len <= paths_max);
    const fs = handled_fs(version);
    // TCP port rules need ABI 4 (Linux 6.7): refused under kill and deny, as a rule the kernel
    // cannot enforce (found by review: they were dropped with "fully enforced"); warn goes on.
    if (version < 4 and (rules.bind != null or rules.connect != null)) {
        if (rules.compat != .warn) {
            failure.* = .{ .errno_value = @intFromEnum(linux.E.OPNOTSUPP), .what = "TCP port rules (bind, connect) need Landlock ABI 4 (Linux 6.7); default/lock:warn runs without them" };
            return error.Failed;
        }
    }
    const net: u64 = if (version >= 4)
        (if (rules.bind != null) net_bind_tcp else 0) | (if (rules.connect != null) net_connect_tcp else 0)
    else
        0;
    // Abstract UNIX sockets are scoped (ABI 6) as in the original's domain: a connect or send
    // syd performs for the sandbox reaches only sockets made inside. Signals are not: syd's
    // threads signal each other (the interrupter) and the sandbox, all inside anyway.
    const scoped: u64 = if (version >= abi_scoped_signals) scope_abstract_unix_socket else 0;
    const attr: RulesetAttr = .{ .handled_access_fs = fs, .handled_access_net = net, .scoped = scoped };
    const size: usize = if (version >= abi_scoped_signals) 24 else if (version >= 4) 16 else 8;
    const rc = linux.syscall3(.landlock_create_ruleset, @intFromPtr(&attr), size, 0);
    if (linux.E.init(rc) != .SUCCESS) {
        failure.* = .{ .errno_value = @intFromEnum(linux.E.init(rc)), .what = "Landlock create ruleset error" };
        return error.Failed;
    }
    const ruleset: i32 = @intCast(rc);
    errdefer _ = linux.close(ruleset);
    enforced.* = if (version < 4 and (rules.bind != null or rules.connect != null)) .partial else .full;
    skipped.* = 0;
    const statics = [_]struct { path: [:0]const u8, access: u64 }{
        .{ .path = "/proc", .access = fs_read_file | fs_read_dir },
        .{ .path = "/dev/null", .access = fs_read_file | fs_write_file | fs_truncate },
    };
    for (statics) |grant| {
        const fd = open_path(root_fd, grant.path) catch |err| {
            failure.* = .{ .path = grant.path, .errno_value = sys.errno_value(err), .what = "open path for Landlock failed" };
            return error.Failed;
        };
        defer _ = linux.close(fd);
        try add_path(ruleset, fd, grant.access & fs, failure, grant.path);
    }
    // syd's threads read the /proc of syd's own mount namespace when the sandbox has one of its
    // own (spawn.private_proc): the same grant there.
    if (host_proc >= 0) try add_path(ruleset, host_proc, (fs_read_file | fs_read_dir) & fs, failure, "/proc");
    for (rules.paths) |rule| {
        assert(rule.access != 0 and rule.access & ~fs_all == 0);
        if (has_dotdot(rule.path)) {
            failure.* = .{ .path = rule.path, .errno_value = @intFromEnum(linux.E.ACCES), .what = "open path for Landlock failed due to dotdot (avoid `..' components in Landlock rules)" };
            return error.Failed;
        }
        const fd = open_path(root_fd, rule.path) catch |err| {
            if (err == error.NOENT and rules.compat == .warn) {
                skipped.* += 1;
                enforced.* = .partial;
                continue;
            }
            failure.* = .{ .path = rule.path, .errno_value = sys.errno_value(err), .what = if (err == error.NOENT)
                "open path for Landlock failed (use a parent directory, or default/lock:warn to skip missing paths)"
            else
                "open path for Landlock failed" };
            return error.Failed;
        };
        defer _ = linux.close(fd);
        var access = rule.access & fs;
        if (!is_directory(fd) and access & ~fs_file != 0) {
            if (rules.compat != .warn) {
                failure.* = .{ .path = rule.path, .errno_value = @intFromEnum(linux.E.OPNOTSUPP), .what = "incompatible directory-only access rights on a file (readdir, create, delete, mkdir, ...; use file rights: read, write, exec, ioctl, truncate)" };
                return error.Failed;
            }
            access &= fs_file;
            enforced.* = .partial;
        }
        if (access == 0) continue; // rights this kernel does not know
        try add_path(ruleset, fd, access, failure, rule.path);
    }
    inline for (.{ .{ rules.bind, net_bind_tcp }, .{ rules.connect, net_connect_tcp } }) |pair| {
        if (pair[0]) |ranges| if (net & pair[1] != 0) for (ranges) |range| {
            assert(range[0] <= range[1]);
            var port: u32 = range[0];
            while (port <= range[1]) : (port += 1) {
                const net_attr: NetPortAttr = .{ .allowed_access = pair[1], .port = port };
                const added = linux.syscall4(.landlock_add_rule, @as(usize, @intCast(ruleset)), rule_net_port, @intFromPtr(&net_attr), 0);
                if (linux.E.init(added) != .SUCCESS) {
                    failure.* = .{ .errno_value = @intFromEnum(linux.E.init(added)), .what = "Landlock add rules error (a port)" };
                    return error.Failed;
                }
            }
        };
    }
    return ruleset;
}

/// The calling thread (syd's run thread) enters the domain of `ruleset`: every thread and
/// process it creates from here on is inside. no_new_privs first (a thread of syd never
/// executes a program). Returns the failing call's errno.
pub fn thread_enter(ruleset: i32, version: u32, flags: u32) linux.E {
    assert(ruleset >= 0 and version >= 1);
    var rc = linux.prctl(@intFromEnum(linux.PR.SET_NO_NEW_PRIVS), 1, 0, 0, 0);
    if (linux.E.init(rc) != .SUCCESS) return linux.E.init(rc);
    rc = linux.syscall2(.landlock_restrict_self, @as(usize, @intCast(ruleset)), if (version >= 7) flags else 0);
    return linux.E.init(rc);
}

/// `struct landlock_path_beneath_attr` (packed: 12 bytes).
const PathBeneathAttr = extern struct { allowed_access: u64 align(4), parent_fd: i32 };
/// `struct landlock_net_port_attr`.
const NetPortAttr = extern struct { allowed_access: u64, port: u64 };
comptime {
    assert(@sizeOf(PathBeneathAttr) == 12);
    assert(@sizeOf(NetPortAttr) == 16);
}

fn add_path(ruleset: i32, fd: i32, access: u64, failure: *Failure, path: []const u8) error{Failed}!void {
    if (access == 0) return;
    const attr: PathBeneathAttr = .{ .allowed_access = access, .parent_fd = fd };
    const rc = linux.syscall4(.landlock_add_rule, @as(usize, @intCast(ruleset)), rule_path_beneath, @intFromPtr(&attr), 0);
    if (linux.E.init(rc) != .SUCCESS) {
        failure.* = .{ .path = path, .errno_value = @intFromEnum(linux.E.init(rc)), .what = "Landlock add rules error" };
        return error.Failed;
    }
}

/// openat2(AT_FDCWD, path, O_PATH | O_CLOEXEC, RESOLVE_NO_MAGICLINKS), as the original.
fn open_path(root_fd: i32, path: [:0]const u8) sys.Errno!i32 {
    const beneath: u64 = if (root_fd == linux.AT.FDCWD) 0 else pieces.resolve_in_root;
    const how: pieces.OpenHow = .{ .flags = 0o10000000 | 0o2000000, .mode = 0, .resolve = pieces.resolve_no_magiclinks | beneath };
    const fd = try sys.retry(linux.syscall4, .{ .openat2, @as(usize, @bitCast(@as(isize, root_fd))), @intFromPtr(path.ptr), @intFromPtr(&how), @sizeOf(pieces.OpenHow) });
    return @intCast(fd);
}

fn is_directory(fd: i32) bool {
    var st: linux.Stat = undefined;
    const rc = linux.fstat(fd, &st);
    return linux.E.init(rc) == .SUCCESS and st.mode & linux.S.IFMT == linux.S.IFDIR;
}

/// Whether a component of `path` is `..`.
fn has_dotdot(path: []const u8) bool {
    var it = std.mem.splitScalar(u8, path, '/');
    while (it.next()) |component| if (std.mem.eql(u8, component, "..")) return true;
    return false;
}

test "handled rights follow the ABI" {
    try std.testing.expectEqual(@as(u64, 0), handled_fs(0));
    try std.testing.expectEqual(@as(u64, 0x1fff), handled_fs(1));
    try std.testing.expectEqual(@as(u64, 0x3fff), handled_fs(2));
    try std.testing.expectEqual(@as(u64, 0x7fff), handled_fs(4));
    try std.testing.expectEqual(@as(u64, 0xffff), handled_fs(7));
    try std.testing.expectEqual(fs_all, handled_fs(9));
    try std.testing.expect(has_dotdot("/usr/../etc") and has_dotdot("..") and !has_dotdot("/a..b/c"));
}

test "protection follows the ABI: signals from 6, ptrace from 1" {
    try std.testing.expectEqual(Protection.none, protection(0));
    try std.testing.expectEqual(Protection.ptrace, protection(1));
    try std.testing.expectEqual(Protection.ptrace, protection(5));
    try std.testing.expectEqual(Protection.ptrace_and_signals, protection(6));
    try std.testing.expectEqual(Protection.ptrace_and_signals, protection(7));
    _ = abi(); // answers on any kernel
}
