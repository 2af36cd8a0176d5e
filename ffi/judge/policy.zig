//! The compiled policy: the versioned JSON document TypeScript hands to syd, parsed once.
//!
//! Needs: nothing from the kernel.
//! Assumes: the document comes from lib/policy (TypeScript) but is still checked field by
//! field: an unknown field, category or action, or a value out of range is refused with a
//! message, never ignored. A policy that turns on a category whose calls are not all judged
//! yet (`supported`) is refused (EOPNOTSUPP), so that no check is reported as done when it is
//! not.

const std = @import("std");
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const Level = @import("../run/log.zig").Level;
const glob = @import("glob.zig");
const landlock = @import("../layers/landlock.zig");
const namespaces = @import("../layers/namespaces.zig");
const force_mod = @import("../exec/force.zig");

pub const version: u32 = 1;

/// The most emulator threads a pool may have (`SYD_NPROC_MAX` is capped here).
pub const workers_max: u32 = 1024;
pub const keep_alive_ms_min: u32 = 10;
pub const keep_alive_ms_max: u32 = 3_600_000;

/// Every sandbox category syd knows, in the order the documentation lists them.
pub const categories = [_][]const u8{
    "stat",    "read",     "write",    "exec",    "ioctl",  "create",   "delete",      "rename",
    "symlink", "truncate", "chdir",    "readdir", "mkdir",  "rmdir",    "chown",       "chgrp",
    "chmod",   "chattr",   "chroot",   "utime",   "mkbdev", "mkcdev",   "mkfifo",      "mktemp",
    "walk",    "list",     "readlink", "sendfd",  "recvfd", "net/bind", "net/connect",
};

pub const actions = [_][]const u8{ "allow", "warn", "filter", "deny", "panic", "stop", "abort", "kill", "exit" };

/// A category, in the order of `categories` (`net/bind` is `net_bind`).
pub const Cat = enum(u8) {
    stat,
    read,
    write,
    exec,
    ioctl,
    create,
    delete,
    rename,
    symlink,
    truncate,
    chdir,
    readdir,
    mkdir,
    rmdir,
    chown,
    chgrp,
    chmod,
    chattr,
    chroot,
    utime,
    mkbdev,
    mkcdev,
    mkfifo,
    mktemp,
    walk,
    list,
    readlink,
    /// A file descriptor passed with SCM_RIGHTS, judged on its name (`!file`, `!pipe`, ...).
    sendfd,
    /// A file descriptor received: not judged by this syd (never on; TypeScript refuses it).
    recvfd,
    net_bind,
    net_connect,

    pub fn name(cat: Cat) []const u8 {
        return categories[@intFromEnum(cat)];
    }

    pub fn parse(text: []const u8) ?Cat {
        for (categories, 0..) |known, index| {
            if (std.mem.eql(u8, known, text)) return @enumFromInt(index);
        }
        return null;
    }
};

/// An action, in the order of `actions`, from the mildest.
pub const Action = enum(u8) {
    allow,
    warn,
    filter,
    deny,
    panic,
    stop,
    abort,
    kill,
    exit,

    pub fn parse(text: []const u8) ?Action {
        return std.meta.stringToEnum(Action, text);
    }
};

pub const category_count = categories.len;

comptime {
    assert(@typeInfo(Cat).@"enum".fields.len == category_count);
    assert(@typeInfo(Action).@"enum".fields.len == actions.len);
    for (@typeInfo(Action).@"enum".fields, actions) |field, text| assert(std.mem.eql(u8, field.name, text));
}

/// Whether every call that feeds `cat` has a handler, so that it may be turned on. Growing this
/// set is how a category lands: a category whose calls are not all judged is refused at load.
pub fn supported(cat: Cat) bool {
    return switch (cat) {
        .read, .write, .exec, .create, .truncate, .mkfifo, .mkcdev, .mkbdev => true,
        .delete, .rename, .symlink, .mkdir, .rmdir => true,
        .chmod, .chown, .chgrp, .utime, .chattr => true,
        .stat, .readdir, .chdir, .chroot, .mktemp, .ioctl => true,
        .walk, .list, .readlink, .sendfd, .recvfd => true,
        .net_bind, .net_connect => true,
    };
}

/// One path rule, as the policy gives it.
pub const PathRule = struct {
    action: Action,
    pattern: []const u8,
    origin: []const u8,
};

/// How a network rule names its peers.
pub const NetKind = enum { inet, unix, abstract };

/// An address range: `prefix` leading bits of `bytes` (4 used for IPv4, 16 for IPv6).
pub const Range = struct { family: u8, bytes: [16]u8, prefix: u8 };

/// One network rule, ready to match.
pub const NetRuleC = struct {
    action: Action,
    kind: NetKind,
    ranges: []const Range,
    port_min: u16,
    port_max: u16,
    /// The socket's IP protocol (SO_PROTOCOL) a dial(3) rule names (`tcp!...`); 0: any.
    protocol: u16,
    pattern: []const u8,
    origin: []const u8,
};

/// The peer of a network call, as judged: an IP address and port, a UNIX socket path, or an
/// abstract socket name (without its leading NUL).
pub const Peer = union(enum) {
    /// protocol: the socket's SO_PROTOCOL, read only when a rule names one (else 0).
    inet: struct { family: u8, bytes: [16]u8, port: u16, protocol: u16 = 0 },
    unix: []const u8,
    abstract: []const u8,
};

/// Whether the first `prefix` bits of `a` and `b` agree.
pub fn prefix_equal(a: *const [16]u8, b: *const [16]u8, prefix: u8) bool {
    assert(prefix <= 128);
    const whole: usize = prefix / 8;
    if (!std.mem.eql(u8, a[0..whole], b[0..whole])) return false;
    const rest: u3 = @intCast(prefix % 8);
    if (rest == 0) return true;
    const mask: u8 = @as(u8, 0xff) << @intCast(8 - @as(u4, rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

fn net_matches(rule: *const NetRuleC, peer: Peer) bool {
    switch (peer) {
        .inet => |inet| {
            if (rule.kind != .inet or inet.port < rule.port_min or inet.port > rule.port_max) return false;
            if (rule.protocol != 0 and rule.protocol != inet.protocol) return false;
            for (rule.ranges) |range| {
                if (range.family == inet.family and prefix_equal(&range.bytes, &inet.bytes, range.prefix)) return true;
            }
            return false;
        },
        .unix => |path| return rule.kind == .unix and glob.matches(rule.pattern, path),
        .abstract => |name| return rule.kind == .abstract and glob.matches(rule.pattern, name),
    }
}

/// What decided a call: the action and the origin of the rule (`file:line`, `-m#N`) or "default".
pub const Verdict = struct {
    action: Action,
    origin: []const u8,
};

pub const Category = struct {
    name: []const u8,
    on: bool,
    default: []const u8,
};

pub const Pool = struct {
    core: u32,
    max: u32,
    keep_alive_ms: u32,
};

pub const Rule = struct {
    category: []const u8,
    action: []const u8,
    pattern: []const u8,
    origin: []const u8,
};

pub const Cidr = struct {
    family: u8,
    address: []const u8,
    prefix: u8,
};

pub const NetRule = struct {
    category: []const u8,
    action: []const u8,
    kind: []const u8,
    cidrs: []const Cidr,
    port_min: u16,
    port_max: u16,
    /// Absent from documents of older TypeScript: any protocol.
    protocol: u16 = 0,
    pattern: []const u8,
    origin: []const u8,
};

pub const Entry = struct {
    pattern: []const u8,
    origin: []const u8,
};

/// A mask (handlers/mask.zig): an open of a path matching `pattern` opens `target` (absent:
/// /dev/null), or `dir_target` for a directory (absent: `target`); normalized absolute paths.
pub const MaskEntry = struct {
    pattern: []const u8,
    target: ?[]const u8 = null,
    dir_target: ?[]const u8 = null,
    origin: []const u8,
};

/// The most masks a policy may hold (the original's MAXACLRULES is far above what is useful).
pub const masks_max: usize = 4096;

pub const Document = struct {
    version: u32,
    log_level: []const u8,
    pool: Pool,
    lock: ?[]const u8,
    categories: []const Category,
    rules: []const Rule,
    net_rules: []const NetRule,
    mask: []const MaskEntry,
    exec_kill: []const Entry,
    exit_wait_all: bool,
    deny_dotdot: bool,
    allow_unsupp_socket: bool,
    allow_unsafe_ptrace: bool = false,
    sync_seccomp: bool = false,
    allow_unsafe_exec_ldso: bool = false,
    allow_unsafe_exec_stack: bool = false,
    allow_unsafe_exec_speculative: bool = false,
    allow_unsafe_exec_script: bool = false,
    allow_unsafe_exec_interactive: bool = false,
    allow_unsafe_futex: bool = false,
    allow_unsafe_cbpf: bool = false,
    allow_unsafe_shm: bool = false,
    allow_unsafe_perm_shm: bool = false,
    allow_unsafe_copy: bool = false,
    allow_unsafe_personality: bool = false,
    allow_unsafe_sysinfo: bool = false,
    allow_unsafe_memfd: bool = false,
    allow_unsafe_exec_memory: bool = false,
    allow_unsafe_any_addr: bool = false,
    allow_unsafe_kcapi: bool = false,
    allow_unsafe_oob: bool = false,
    allow_unsafe_recvmsg: bool = false,
    allow_safe_bind: bool = false,
    allow_unsafe_proc_pid_status: bool = false,
    /// The trace/force_* hardenings (absent: off).
    force_cloexec: bool = false,
    force_ro_open: bool = false,
    force_wx_open: bool = false,
    force_no_symlinks: bool = false,
    force_no_magiclinks: bool = false,
    force_no_xdev: bool = false,
    /// Wall-clock limit for the sandbox (-t); 0: none.
    timeout_ms: u64,
    /// Absent from documents of older TypeScript: fs sandboxing off.
    fs: FsDoc = .{},
    /// passfd: the fds the program inherits (absent: every one, as before passfd).
    pass_fds: PassFds = .{},
    /// The filesystem hardenings relaxed (absent: none).
    unsafe_fs: UnsafeFs = .{},
    /// ioctl request verdicts, sorted by request (absent: none).
    ioctl_rules: []const IoctlRule = &.{},
    /// Lock sandboxing (absent, from an older TypeScript: off).
    landlock: LandlockDoc = .{},
    /// Memory and PID sandboxing (absent: both off).
    limits: LimitsDoc = .{},
    /// TPE and SegvGuard (absent: the original's defaults, both on).
    trust: TrustDoc = .{},
    /// SafeSetID (absent: no transits).
    setid: SetIdDoc = .{},
    /// Force sandboxing (absent: off, no entries).
    force: ForceDoc = .{},
    /// Namespaces and the container form (absent: none).
    namespaces: namespaces.Doc = .{},
};

/// SafeSetID in the document (lib/policy/compile.ts `setid`): the transits [SRC, DST].
pub const SetIdDoc = struct {
    uid: []const [2]u32 = &.{},
    gid: []const [2]u32 = &.{},
    allow_unsafe_setid: bool = false,
};

/// The most transits of each kind (the original's rule limit is far above what is useful: one
/// target per source).
pub const transits_max: usize = 4096;

/// SafeSetID (handlers/setid.zig): the uid and gid changes a sandboxed process may make, fixed
/// when the sandbox starts. One target per source, no chains, targets above the system ids.
pub const SetId = struct {
    uid: []const [2]u32 = &.{},
    gid: []const [2]u32 = &.{},
    allow_unsafe_setid: bool = false,

    /// Whether a process whose real id is `source` may change to `target` by a transit.
    pub fn transit(transits: []const [2]u32, source: u32, target: u32) bool {
        for (transits) |pair| if (pair[0] == source and pair[1] == target) return true;
        return false;
    }
};

/// Force sandboxing in the document (lib/policy/compile.ts `force`): the Integrity Force map,
/// sorted by path, digests in hex.
pub const ForceDoc = struct {
    on: bool = false,
    default: []const u8 = "deny",
    rules: []const struct { path: []const u8, alg: []const u8, digest: []const u8, action: []const u8 } = &.{},
};

/// The most Integrity Force entries (the original's MAXACLRULES is far above what is useful).
pub const force_rules_max: usize = 65536;

/// Memory and PID sandboxing in the document (lib/policy/compile.ts `limits`): whether each is
/// on (after the original's rule that a limit turns its layer on), the limits, the actions.
pub const LimitsDoc = struct {
    mem: bool = false,
    mem_max: u64 = 0,
    mem_vm_max: u64 = 0,
    mem_action: []const u8 = "deny",
    pid: bool = false,
    pid_max: u64 = 0,
    pid_action: []const u8 = "kill",
};

/// Memory sandboxing (handlers/memory.zig) and PID sandboxing (workers/trace.zig), as the
/// original's: a limit of 0 checks nothing.
pub const Limits = struct {
    mem: bool = false,
    /// Bytes of the caller's proportional set plus its dirty pages (smaps_rollup).
    mem_max: u64 = 0,
    /// Bytes of the caller's address space (statm's size).
    mem_vm_max: u64 = 0,
    mem_action: Action = .deny,
    pid: bool = false,
    /// Tasks (processes and threads) the sandbox may have at once.
    pid_max: u64 = 0,
    pid_action: Action = .kill,
};

/// TPE and SegvGuard in the document (lib/policy/compile.ts `trust`); absent fields: the
/// original's defaults (TPE on for every group, deny; SegvGuard 5 crashes in 120 s suspend for
/// 600 s, deny).
pub const TrustDoc = struct {
    tpe: bool = true,
    tpe_action: []const u8 = "deny",
    /// tpe/gid: null applies TPE to every user.
    tpe_gid: ?u32 = null,
    tpe_negate: bool = false,
    tpe_root_owned: bool = false,
    tpe_user_owned: bool = false,
    tpe_root_mount: bool = false,
    segvguard_action: []const u8 = "deny",
    /// 0: SegvGuard off.
    segvguard_expiry_ms: u64 = 120 * std.time.ms_per_s,
    segvguard_suspension_ms: u64 = 600 * std.time.ms_per_s,
    segvguard_maxcrashes: u8 = 5,
};

/// Trusted Path Execution (exec/tpe.zig) and SegvGuard (exec/segvguard.zig), as the original's.
pub const Trust = struct {
    tpe: bool = true,
    tpe_action: Action = .deny,
    tpe_gid: ?u32 = null,
    tpe_negate: bool = false,
    tpe_root_owned: bool = false,
    tpe_user_owned: bool = false,
    tpe_root_mount: bool = false,
    segvguard_action: Action = .deny,
    segvguard_expiry_ms: u64 = 120 * std.time.ms_per_s,
    segvguard_suspension_ms: u64 = 600 * std.time.ms_per_s,
    segvguard_maxcrashes: u8 = 5,

    pub fn segvguard_on(self: *const Trust) bool {
        return self.segvguard_expiry_ms > 0 and self.segvguard_action != .allow;
    }
};

/// Lock sandboxing in the document (lib/policy/landlock.ts `CompiledLandlock`).
pub const LandlockDoc = struct {
    on: bool = false,
    compat: []const u8 = "kill",
    flags: u32 = 0,
    paths: []const struct { path: []const u8, access: u64 } = &.{},
    bind: ?[]const [2]u32 = null,
    connect: ?[]const [2]u32 = null,
};

/// One ioctl request's verdict (lib/policy/ioctl.ts): `request` with its varying bits (`mask`:
/// a size or number argument) cleared; a denied request answers `errno`.
pub const IoctlRule = struct { request: u32, mask: u32, deny: bool, errno: u16 = 0 };

/// The most ioctl verdicts a policy may hold.
pub const ioctl_rules_max: usize = 4096;

/// The original's `trace/allow_unsafe_*` relaxations of syd's filesystem hardenings (README
/// "Filesystem hardening"); each false (the hardening made) by default.
pub const UnsafeFs = struct {
    /// O_CREAT follows a symlink in the last component; it opens a file someone else may write.
    allow_unsafe_create: bool = false,
    /// mknod of a block device is judged for mkbdev instead of killing the process (SIGSYS),
    /// and block devices are no longer hidden (ENOENT).
    allow_unsafe_mkbdev: bool = false,
    /// mknod of a character device is judged for mkcdev instead of killing the process.
    allow_unsafe_mkcdev: bool = false,
    /// Paths whose last component is no safe name (control characters, invalid UTF-8, shell
    /// characters) are used as any other instead of failing with EILSEQ.
    allow_unsafe_filename: bool = false,
    /// Symlinks in sticky, group- or world-writable directories are followed (else ELOOP).
    allow_unsafe_symlinks: bool = false,
    /// chmod may take a directory's sticky and setgid bits away (else they are kept).
    allow_unsafe_sticky: bool = false,
    /// A deleted file or directory may be reopened, or entered, through an fd's magic link.
    allow_unsafe_deleted: bool = false,
    /// Hard links to special files, setuid files, setgid executables, files the caller may not
    /// read and write, and others' symlinks are made (else EPERM).
    allow_unsafe_hardlinks: bool = false,
    /// Regular files with the setuid or setgid bit may be opened (else EACCES).
    allow_unsafe_open_suid: bool = false,
    /// An O_PATH open is continued once judged, the kernel resolving the path again (else syd
    /// opens it O_RDONLY itself, as ADDFD cannot hand over an O_PATH fd).
    allow_unsafe_open_path: bool = false,
};

/// Sorted, disjoint inclusive fd ranges; `all`: every fd.
pub const PassFds = struct { all: bool = true, ranges: []const [2]u32 = &.{} };

/// fs sandboxing as the policy gives it: opens judged by the filesystem type of what they open.
pub const FsDoc = struct {
    on: bool = false,
    default: []const u8 = "deny",
    rules: []const FsRuleDoc = &.{},
};

pub const FsRuleDoc = struct { action: []const u8, all: bool, types: []const u64, origin: []const u8 };

/// One fs rule, ready to match: every type (`all`) or the listed statfs magic numbers.
pub const FsRule = struct { action: Action, all: bool, types: []const u64, origin: []const u8 };

/// Who may change the policy at run time through /dev/syd. `unset` becomes `on` when the
/// sandbox's first process is executed, as in the original.
pub const Lock = enum {
    unset,
    /// Nobody: /dev/syd is an ordinary (missing) path.
    on,
    /// Every sandboxed process.
    off,
    /// Only the sandbox's first process (the pid syd executed), while it lives.
    exec,
    /// Every sandboxed process, for commands that make the sandbox stricter only (TypeScript
    /// refuses the others); the policy cannot be read (`open("/dev/syd")` answers ENOENT).
    drop,

    pub fn parse(text: ?[]const u8) ?Lock {
        const name = text orelse return .unset;
        if (std.mem.eql(u8, name, "unset")) return null;
        return std.meta.stringToEnum(Lock, name);
    }
};

pub const Policy = struct {
    log_level: Level,
    /// Lock sandboxing (layers/landlock.zig): fixed when the sandbox starts.
    landlock: landlock.Rules = .{},
    /// Memory and PID sandboxing: which is on is fixed when the sandbox starts (the filter's
    /// memory traps, the tracer); /dev/syd may turn either off, and change the limits.
    limits: Limits = .{},
    /// TPE and SegvGuard; /dev/syd may change them.
    trust: Trust = .{},
    /// SafeSetID: fixed when the sandbox starts.
    setid: SetId = .{},
    /// Force sandboxing (exec/force.zig); whether mmap is stopped for it is fixed at start.
    force: force_mod.Force = .{},
    /// Namespaces and the container form (layers/namespaces.zig): fixed when the sandbox starts.
    namespaces: namespaces.Rules = .{},
    pool: Pool,
    lock: Lock = .unset,
    /// trace/exit_wait_all: syd waits for every sandboxed process, not only the first.
    exit_wait_all: bool = false,
    timeout_ms: u64 = 0,
    /// trace/allow_unsupp_socket: sockets of other families than UNIX, IPv4 and IPv6 allowed.
    allow_unsupp_socket: bool = false,
    /// trace/allow_unsafe_ptrace: syd does not trace the sandbox; exec and chdir are judged
    /// before the call only (a racing thread can swap what the kernel reads afterwards).
    allow_unsafe_ptrace: bool = false,
    /// trace/sync_seccomp: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP on the listener (Linux 6.6+): each
    /// emulator woken on its caller's CPU. Off by default, as the original's.
    sync_seccomp: bool = false,
    /// trace/allow_unsafe_exec_ldso: the dynamic loader may be executed directly.
    allow_unsafe_exec_ldso: bool = false,
    /// trace/allow_unsafe_exec_stack: a program may start with memory writable and executable
    /// (an executable stack) or with READ_IMPLIES_EXEC (handlers/exec.zig `verify`).
    allow_unsafe_exec_stack: bool = false,
    /// trace/allow_unsafe_exec_speculative: the sandbox's speculation mitigations (store
    /// bypass, indirect branch, L1D flush) are not forced on (spawn.zig).
    allow_unsafe_exec_speculative: bool = false,
    /// trace/allow_unsafe_exec_script: SECBIT_EXEC_RESTRICT_FILE is not set on the sandbox.
    allow_unsafe_exec_script: bool = false,
    /// trace/allow_unsafe_exec_interactive: SECBIT_EXEC_DENY_INTERACTIVE is not set.
    allow_unsafe_exec_interactive: bool = false,
    /// The original's relaxations of the sandbox filter (filter/table.zig `Option`): priority-
    /// inheritance futexes, seccomp filters of the sandbox's own, System V IPC, its unsafe
    /// modes and commands, msgrcv's MSG_COPY.
    allow_unsafe_futex: bool = false,
    allow_unsafe_cbpf: bool = false,
    allow_unsafe_shm: bool = false,
    allow_unsafe_perm_shm: bool = false,
    allow_unsafe_copy: bool = false,
    allow_unsafe_personality: bool = false,
    allow_unsafe_sysinfo: bool = false,
    allow_unsafe_memfd: bool = false,
    /// trace/allow_unsafe_exec_memory: W^X lifted (filter/table.zig `mmap_row`, MDWE, and
    /// exec/mmap.zig's refusal of an executable mapping through a writable fd).
    allow_unsafe_exec_memory: bool = false,
    /// trace/allow_unsafe_any_addr: connect and send to 0.0.0.0 and :: go through (reaching
    /// loopback, judged as it); otherwise refused with ENETUNREACH, as the original.
    allow_unsafe_any_addr: bool = false,
    /// trace/allow_unsafe_kcapi: kernel crypto sockets (AF_ALG) allowed.
    allow_unsafe_kcapi: bool = false,
    /// trace/allow_unsafe_oob: MSG_OOB in sends and receives, and SO_OOBINLINE, allowed.
    allow_unsafe_oob: bool = false,
    /// trace/allow_unsafe_recvmsg: recvmsg and recvmmsg are not performed by syd for recvfd,
    /// whose fds then reach the program unjudged.
    allow_unsafe_recvmsg: bool = false,
    /// trace/allow_safe_bind: the addresses bound in the sandbox are allowed for net/connect.
    allow_safe_bind: bool = false,
    /// trace/allow_unsafe_proc_pid_status: /proc/PID/status served unfiltered (handlers/procfs.zig).
    allow_unsafe_proc_pid_status: bool = false,
    /// trace/deny_dotdot: a `..` component in the path of an open or chdir is refused (EPERM).
    deny_dotdot: bool = false,
    /// trace/force_cloexec: every fd syd hands over (opens, sockets, accepts, memfds) is
    /// close-on-exec.
    force_cloexec: bool = false,
    /// trace/force_ro_open: opens for writing, creating or truncating are refused (EPERM).
    force_ro_open: bool = false,
    /// trace/force_wx_open: writable opens of executable regular files, and creations with an
    /// executable mode, are refused (EPERM).
    force_wx_open: bool = false,
    /// trace/force_no_symlinks, force_no_magiclinks, force_no_xdev: path resolution follows no
    /// symlink, no /proc magic link, crosses no mount (ELOOP, ELOOP, EXDEV).
    force_no_symlinks: bool = false,
    force_no_magiclinks: bool = false,
    force_no_xdev: bool = false,
    on: [category_count]bool,
    default: [category_count]Action,
    /// Each category's rules, in policy order: the last that matches decides.
    rules: [category_count][]const PathRule,
    /// The network categories' rules (net/bind, net/connect), in policy order.
    net_rules: [2][]const NetRuleC = .{ &.{}, &.{} },
    /// Some network rule names a protocol: judging an IP peer reads the socket's SO_PROTOCOL.
    net_protocols: bool = false,
    /// fs sandboxing: opens judged by the statfs type of the object opened.
    fs_on: bool = false,
    fs_default: Action = .deny,
    fs_rules: []const FsRule = &.{},
    pass_fds: PassFds = .{},
    unsafe_fs: UnsafeFs = .{},
    /// ioctl request verdicts, sorted by request.
    ioctl_rules: []const IoctlRule = &.{},
    /// The masks, in policy order: the last that matches decides (handlers/mask.zig).
    masks: []const MaskEntry = &.{},

    /// The verdict of an ioctl request (the kernel reads it as 32 bits), by number only, as the
    /// original: its exact entry, else an entry whose varying bits it fills, else none (then
    /// the ioctl default applies while ioctl sandboxing is on, and it is allowed otherwise).
    pub fn ioctl_rule(self: *const Policy, code: u32) ?IoctlRule {
        assert(self.ioctl_rules.len <= ioctl_rules_max);
        for (self.ioctl_rules) |rule| if (rule.mask == 0 and rule.request == code) return rule;
        for (self.ioctl_rules) |rule| if (rule.mask != 0 and code & ~rule.mask == rule.request) return rule;
        return null;
    }

    /// Judges a filesystem type (statfs f_type) for fs: the last matching rule, else the default.
    pub fn judge_fs(self: *const Policy, fs_type: u64) Verdict {
        assert(self.fs_on);
        var i = self.fs_rules.len;
        while (i > 0) {
            i -= 1;
            const rule = &self.fs_rules[i];
            if (rule.all or std.mem.indexOfScalar(u64, rule.types, fs_type) != null) {
                return .{ .action = rule.action, .origin = rule.origin };
            }
        }
        return .{ .action = self.fs_default, .origin = "default" };
    }

    /// Judges a network peer for `cat` (a net/ category): the last matching rule, else the default.
    pub fn judge_net(self: *const Policy, cat: Cat, peer: Peer) Verdict {
        const index = @intFromEnum(cat) - @intFromEnum(Cat.net_bind);
        assert(index < 3);
        const list = self.net_rules[index];
        var i = list.len;
        while (i > 0) {
            i -= 1;
            if (net_matches(&list[i], peer)) return .{ .action = list[i].action, .origin = list[i].origin };
        }
        return .{ .action = self.default[@intFromEnum(cat)], .origin = "default" };
    }

    /// Judges `path` for `cat`: the last matching rule's action, else the category's default.
    /// Allocation-free; bounded by the rules' count times glob's step bound (linear in the
    /// path's length: a name past PATH_MAX, up to 8 × PATH_MAX (path.long_len_max), costs up
    /// to 8 times a PATH_MAX one).
    pub fn judge(self: *const Policy, cat: Cat, path: []const u8) Verdict {
        assert(path.len > 0 and path.len <= 8 * glob.pattern_len_max);
        const list = self.rules[@intFromEnum(cat)];
        var index = list.len;
        while (index > 0) {
            index -= 1;
            if (glob.matches(list[index].pattern, path)) {
                return .{ .action = list[index].action, .origin = list[index].origin };
            }
        }
        return .{ .action = self.default[@intFromEnum(cat)], .origin = "default" };
    }
};

/// A message for the user, filled when loading fails.
pub const Diag = struct {
    buf: [256]u8 = undefined,
    len: usize = 0,

    pub fn set(self: *Diag, comptime fmt: []const u8, args: anytype) void {
        const written = std.fmt.bufPrint(&self.buf, fmt, args) catch self.buf[0..];
        self.len = written.len;
    }

    pub fn text(self: *const Diag) []const u8 {
        return self.buf[0..self.len];
    }
};

fn contains(list: []const []const u8, name: []const u8) bool {
    for (list) |item| if (std.mem.eql(u8, item, name)) return true;
    return false;
}

/// Parses and checks `json`. Allocates only from `arena`, once.
pub fn load(arena: std.mem.Allocator, json: []const u8, diag: *Diag) sys.Errno!Policy {
    // Copy every string: the input belongs to the caller and is gone after this call.
    const doc = std.json.parseFromSliceLeaky(Document, arena, json, .{ .allocate = .alloc_always }) catch |err| {
        diag.set("policy document is not valid: {s}", .{@errorName(err)});
        return if (err == error.OutOfMemory) error.NOMEM else error.INVAL;
    };
    if (doc.version != version) {
        diag.set("policy document version {d} is not {d}", .{ doc.version, version });
        return error.INVAL;
    }
    const level = Level.parse(doc.log_level) orelse {
        diag.set("unknown log level \"{s}\"", .{doc.log_level});
        return error.INVAL;
    };
    try check_pool(doc.pool, diag);
    try check_rules(doc, diag);
    try check_unsupported(doc, diag);
    for (doc.categories) |category| {
        if (!contains(&categories, category.name)) {
            diag.set("unknown sandbox category \"{s}\"", .{category.name});
            return error.INVAL;
        }
        if (!contains(&actions, category.default)) {
            diag.set("unknown action \"{s}\" for category {s}", .{ category.default, category.name });
            return error.INVAL;
        }
        if (category.on and !supported(Cat.parse(category.name).?)) {
            diag.set("sandboxing of {s} is not supported by this syd", .{category.name});
            return error.OPNOTSUPP;
        }
    }
    var policy: Policy = .{
        .log_level = level,
        .pool = doc.pool,
        .lock = Lock.parse(doc.lock).?, // checked above
        .exit_wait_all = doc.exit_wait_all,
        .timeout_ms = doc.timeout_ms,
        .allow_unsupp_socket = doc.allow_unsupp_socket,
        .allow_unsafe_ptrace = doc.allow_unsafe_ptrace,
        .sync_seccomp = doc.sync_seccomp,
        .allow_unsafe_exec_ldso = doc.allow_unsafe_exec_ldso,
        .allow_unsafe_exec_stack = doc.allow_unsafe_exec_stack,
        .allow_unsafe_exec_speculative = doc.allow_unsafe_exec_speculative,
        .allow_unsafe_exec_script = doc.allow_unsafe_exec_script,
        .allow_unsafe_exec_interactive = doc.allow_unsafe_exec_interactive,
        .allow_unsafe_futex = doc.allow_unsafe_futex,
        .allow_unsafe_cbpf = doc.allow_unsafe_cbpf,
        .allow_unsafe_shm = doc.allow_unsafe_shm,
        .allow_unsafe_perm_shm = doc.allow_unsafe_perm_shm,
        .allow_unsafe_copy = doc.allow_unsafe_copy,
        .allow_unsafe_personality = doc.allow_unsafe_personality,
        .allow_unsafe_sysinfo = doc.allow_unsafe_sysinfo,
        .allow_unsafe_memfd = doc.allow_unsafe_memfd,
        .allow_unsafe_exec_memory = doc.allow_unsafe_exec_memory,
        .allow_unsafe_any_addr = doc.allow_unsafe_any_addr,
        .allow_unsafe_kcapi = doc.allow_unsafe_kcapi,
        .allow_unsafe_oob = doc.allow_unsafe_oob,
        .allow_unsafe_recvmsg = doc.allow_unsafe_recvmsg,
        .allow_safe_bind = doc.allow_safe_bind,
        .unsafe_fs = doc.unsafe_fs,
        .allow_unsafe_proc_pid_status = doc.allow_unsafe_proc_pid_status,
        .deny_dotdot = doc.deny_dotdot,
        .force_cloexec = doc.force_cloexec,
        .force_ro_open = doc.force_ro_open,
        .force_wx_open = doc.force_wx_open,
        .force_no_symlinks = doc.force_no_symlinks,
        .force_no_magiclinks = doc.force_no_magiclinks,
        .force_no_xdev = doc.force_no_xdev,
        .on = .{false} ** category_count,
        .default = .{.deny} ** category_count,
        .rules = .{&.{}} ** category_count,
    };
    for (doc.categories) |category| {
        const cat = Cat.parse(category.name).?; // checked above
        policy.on[@intFromEnum(cat)] = category.on;
        policy.default[@intFromEnum(cat)] = Action.parse(category.default).?;
    }
    try build_rules(arena, doc.rules, &policy.rules);
    try build_net_rules(arena, doc.net_rules, &policy.net_rules, diag);
    for (doc.net_rules) |rule| policy.net_protocols = policy.net_protocols or rule.protocol != 0;
    policy.fs_on = doc.fs.on;
    policy.fs_default = Action.parse(doc.fs.default) orelse {
        diag.set("fs: \"{s}\" is not an action", .{doc.fs.default});
        return error.INVAL;
    };
    const fs_rules = arena.alloc(FsRule, doc.fs.rules.len) catch return error.NOMEM;
    for (doc.fs.rules, fs_rules) |rule, *out| {
        const action = Action.parse(rule.action) orelse {
            diag.set("fs rule from {s}: \"{s}\" is not an action", .{ rule.origin, rule.action });
            return error.INVAL;
        };
        out.* = .{ .action = action, .all = rule.all, .types = rule.types, .origin = rule.origin };
    }
    policy.fs_rules = fs_rules;
    for (doc.pass_fds.ranges, 0..) |range, i| {
        const sorted = i == 0 or range[0] > doc.pass_fds.ranges[i - 1][1];
        if (range[0] > range[1] or !sorted) {
            diag.set("pass_fds: the ranges must be sorted, disjoint and ascending", .{});
            return error.INVAL;
        }
    }
    policy.pass_fds = doc.pass_fds;
    if (doc.ioctl_rules.len > ioctl_rules_max) {
        diag.set("ioctl_rules: more than {d} requests", .{ioctl_rules_max});
        return error.INVAL;
    }
    for (doc.ioctl_rules) |rule| {
        if (rule.request & rule.mask != 0 or (rule.deny and rule.errno == 0)) {
            diag.set("ioctl_rules: request 0x{x} is not valid", .{rule.request});
            return error.INVAL;
        }
    }
    policy.ioctl_rules = doc.ioctl_rules;
    policy.masks = try load_masks(doc.mask, diag);
    policy.landlock = try load_landlock(arena, doc.landlock, diag);
    policy.limits = try load_limits(doc.limits, diag);
    policy.trust = try load_trust(doc.trust, diag);
    policy.setid = try load_setid(doc.setid, diag);
    policy.force = try load_force(arena, doc.force, diag);
    var why: []const u8 = "";
    policy.namespaces = namespaces.load(doc.namespaces, &why) catch |err| {
        diag.set("{s}", .{why});
        return err;
    };
    // syd makes the sockets of trace/force_cloexec in its own network namespace: never for a
    // sandbox with one of its own.
    if (policy.namespaces.has(.net) and policy.force_cloexec) {
        diag.set("trace/force_cloexec with unshare/net is not supported: syd would make the sockets in its own network namespace", .{});
        return error.OPNOTSUPP;
    }
    return policy;
}

/// Checks the masks: patterns and targets as lib/policy/parse.ts makes them (absolute targets,
/// no `.` or `..` component, no repeated or trailing slash).
fn load_masks(masks: []const MaskEntry, diag: *Diag) sys.Errno![]const MaskEntry {
    if (masks.len > masks_max) {
        diag.set("mask: more than {d} masks", .{masks_max});
        return error.INVAL;
    }
    for (masks) |entry| {
        if (entry.pattern.len == 0 or entry.pattern.len > glob.pattern_len_max) {
            diag.set("mask from {s}: malformed pattern", .{entry.origin});
            return error.INVAL;
        }
        for ([_]?[]const u8{ entry.target, entry.dir_target }) |target| {
            if (target) |text| if (!target_normal(text)) {
                diag.set("mask from {s}: target \"{s}\" is not a normalized absolute path", .{ entry.origin, text });
                return error.INVAL;
            };
        }
    }
    return masks;
}

/// Whether `text` is an absolute path with no empty, `.` or `..` component (`/` itself is).
pub fn target_normal(text: []const u8) bool {
    if (text.len == 0 or text[0] != '/' or text.len >= 4096) return false;
    if (text.len == 1) return true;
    var parts = std.mem.splitScalar(u8, text[1..], '/');
    while (parts.next()) |part| {
        if (part.len == 0 or std.mem.eql(u8, part, ".") or std.mem.eql(u8, part, "..")) return false;
    }
    return true;
}

/// Checks SafeSetID's transits as the original's parser does (lib/policy: the errors a user
/// sees): each target above the system ids and above its source, one target per source, no
/// chain (a target that is another transit's source).
fn load_setid(doc: SetIdDoc, diag: *Diag) sys.Errno!SetId {
    inline for (.{ .{ "uid", 11 }, .{ "gid", 14 } }) |kind| {
        const transits = @field(doc, kind[0]);
        if (transits.len > transits_max) {
            diag.set("setid: more than {d} " ++ kind[0] ++ " transits", .{transits_max});
            return error.INVAL;
        }
        for (transits, 0..) |pair, i| {
            if (pair[1] <= kind[1] or pair[0] >= pair[1]) {
                diag.set("setid: " ++ kind[0] ++ " transit {d}:{d} is not allowed", .{ pair[0], pair[1] });
                return error.INVAL;
            }
            for (transits[0..i]) |other| {
                if (other[0] == pair[0] or other[1] == pair[0] or other[0] == pair[1]) {
                    diag.set("setid: " ++ kind[0] ++ " transits {d}:{d} and {d}:{d} conflict", .{ other[0], other[1], pair[0], pair[1] });
                    return error.INVAL;
                }
            }
        }
    }
    return .{ .uid = doc.uid, .gid = doc.gid, .allow_unsafe_setid = doc.allow_unsafe_setid };
}

/// Checks and converts TPE's and SegvGuard's settings: the original's actions (no allow), a
/// suspension of at least a second, at least one crash.
fn load_trust(doc: TrustDoc, diag: *Diag) sys.Errno!Trust {
    const tpe_action = Action.parse(doc.tpe_action) orelse .allow;
    const segvguard_action = Action.parse(doc.segvguard_action) orelse .allow;
    if (tpe_action == .allow or segvguard_action == .allow) {
        diag.set("trust: \"{s}\" or \"{s}\" is not an action for TPE or SegvGuard", .{ doc.tpe_action, doc.segvguard_action });
        return error.INVAL;
    }
    if (doc.segvguard_suspension_ms < std.time.ms_per_s or doc.segvguard_maxcrashes == 0) {
        diag.set("trust: segvguard/suspension and segvguard/maxcrashes cannot be 0", .{});
        return error.INVAL;
    }
    return .{
        .tpe = doc.tpe,
        .tpe_action = tpe_action,
        .tpe_gid = doc.tpe_gid,
        .tpe_negate = doc.tpe_negate,
        .tpe_root_owned = doc.tpe_root_owned,
        .tpe_user_owned = doc.tpe_user_owned,
        .tpe_root_mount = doc.tpe_root_mount,
        .segvguard_action = segvguard_action,
        .segvguard_expiry_ms = doc.segvguard_expiry_ms,
        .segvguard_suspension_ms = doc.segvguard_suspension_ms,
        .segvguard_maxcrashes = doc.segvguard_maxcrashes,
    };
}

/// Checks and converts the Integrity Force map: known algorithms and actions, hex digests of
/// the algorithm's size, absolute paths sorted and distinct (exec/force.zig looks them up).
fn load_force(arena: std.mem.Allocator, doc: ForceDoc, diag: *Diag) sys.Errno!force_mod.Force {
    const default = Action.parse(doc.default) orelse .allow;
    if (default == .allow) {
        diag.set("force: \"{s}\" is not an action for default/force", .{doc.default});
        return error.INVAL;
    }
    if (doc.rules.len > force_rules_max) {
        diag.set("force: more than {d} entries", .{force_rules_max});
        return error.INVAL;
    }
    const rules = arena.alloc(force_mod.Rule, doc.rules.len) catch return error.NOMEM;
    for (doc.rules, rules, 0..) |rule, *out, i| {
        const alg = force_mod.Alg.parse(rule.alg) orelse {
            diag.set("force: \"{s}\" is not a supported algorithm", .{rule.alg});
            return error.INVAL;
        };
        const action = Action.parse(rule.action) orelse .allow;
        if (action == .allow) {
            diag.set("force: \"{s}\" is not an action for {s}", .{ rule.action, rule.path });
            return error.INVAL;
        }
        const digest = arena.alloc(u8, alg.digest_len()) catch return error.NOMEM;
        const decoded = force_mod.unhex(rule.digest, digest) orelse &.{};
        if (decoded.len != digest.len) {
            diag.set("force: {s}: not a {s} digest", .{ rule.path, rule.alg });
            return error.INVAL;
        }
        const sorted = i == 0 or std.mem.order(u8, doc.rules[i - 1].path, rule.path) == .lt;
        if (rule.path.len == 0 or rule.path[0] != '/' or !sorted) {
            diag.set("force: paths must be absolute, sorted and distinct ({s})", .{rule.path});
            return error.INVAL;
        }
        out.* = .{ .path = rule.path, .alg = alg, .digest = digest, .action = action };
    }
    return .{ .on = doc.on, .default = default, .rules = rules };
}

/// Checks and converts the limits: the original's actions for each (memory: no allow; PID: no
/// allow, deny or panic, since the fork has happened when it is judged).
fn load_limits(doc: LimitsDoc, diag: *Diag) sys.Errno!Limits {
    const mem_action = Action.parse(doc.mem_action) orelse .allow;
    if (mem_action == .allow) {
        diag.set("limits: \"{s}\" is not an action for memory sandboxing", .{doc.mem_action});
        return error.INVAL;
    }
    const pid_action = Action.parse(doc.pid_action) orelse .allow;
    if (pid_action == .allow or pid_action == .deny or pid_action == .panic) {
        diag.set("limits: \"{s}\" is not an action for PID sandboxing", .{doc.pid_action});
        return error.INVAL;
    }
    const limits: Limits = .{
        .mem = doc.mem,
        .mem_max = doc.mem_max,
        .mem_vm_max = doc.mem_vm_max,
        .mem_action = mem_action,
        .pid = doc.pid,
        .pid_max = doc.pid_max,
        .pid_action = pid_action,
    };
    assert(limits.mem_action != .allow and limits.pid_action != .allow);
    return limits;
}

/// Checks and converts Lock sandboxing: known compatibility level and rights, NUL-free paths of
/// fewer than PATH_MAX bytes (made NUL-terminated), sorted disjoint port ranges within 0-65535.
fn load_landlock(arena: std.mem.Allocator, doc: LandlockDoc, diag: *Diag) sys.Errno!landlock.Rules {
    const compat = std.meta.stringToEnum(landlock.Compat, doc.compat) orelse {
        diag.set("landlock: \"{s}\" is not a compatibility level (kill, deny, warn)", .{doc.compat});
        return error.INVAL;
    };
    if (doc.flags & ~@as(u32, 7) != 0) {
        diag.set("landlock: unknown log flags 0x{x}", .{doc.flags});
        return error.INVAL;
    }
    if (doc.paths.len > landlock.paths_max) {
        diag.set("landlock: more than {d} paths", .{landlock.paths_max});
        return error.INVAL;
    }
    const paths = arena.alloc(landlock.Path, doc.paths.len) catch return error.NOMEM;
    for (doc.paths, paths) |rule, *out| {
        if (rule.access == 0 or rule.access & ~landlock.fs_all != 0) {
            diag.set("landlock: path \"{s}\": rights 0x{x} are not valid", .{ rule.path, rule.access });
            return error.INVAL;
        }
        if (rule.path.len == 0 or rule.path.len >= std.posix.PATH_MAX or std.mem.indexOfScalar(u8, rule.path, 0) != null) {
            diag.set("landlock: a path must be non-empty, shorter than PATH_MAX, without NUL", .{});
            return error.INVAL;
        }
        out.* = .{ .path = arena.dupeZ(u8, rule.path) catch return error.NOMEM, .access = rule.access };
    }
    var rules: landlock.Rules = .{ .on = doc.on, .compat = compat, .flags = doc.flags, .paths = paths };
    inline for (.{ "bind", "connect" }) |name| {
        if (@field(doc, name)) |ranges| {
            const out = arena.alloc([2]u16, ranges.len) catch return error.NOMEM;
            for (ranges, out, 0..) |range, *o, i| {
                const sorted = i == 0 or range[0] > ranges[i - 1][1];
                if (range[0] > range[1] or range[1] > 65535 or !sorted) {
                    diag.set("landlock: " ++ name ++ " ports must be sorted, disjoint ranges within 0-65535", .{});
                    return error.INVAL;
                }
                o.* = .{ @intCast(range[0]), @intCast(range[1]) };
            }
            @field(rules, name) = out;
        }
    }
    return rules;
}

/// Builds the network rules per category, keeping their order; address texts become bytes.
fn build_net_rules(
    arena: std.mem.Allocator,
    rules: []const NetRule,
    out: *[2][]const NetRuleC,
    diag: *Diag,
) sys.Errno!void {
    var lists: [2]std.ArrayListUnmanaged(NetRuleC) = .{ .empty, .empty };
    for (rules) |rule| {
        const cat = Cat.parse(rule.category).?; // checked in check_rules
        const ranges = arena.alloc(Range, rule.cidrs.len) catch return error.NOMEM;
        for (rule.cidrs, ranges) |cidr, *range| {
            range.* = .{ .family = cidr.family, .bytes = .{0} ** 16, .prefix = cidr.prefix };
            if (cidr.family == 4) {
                const address = std.net.Address.parseIp4(cidr.address, 0) catch {
                    diag.set("rule from {s}: \"{s}\" is not an IPv4 address", .{ rule.origin, cidr.address });
                    return error.INVAL;
                };
                @memcpy(range.bytes[0..4], std.mem.asBytes(&address.in.sa.addr));
            } else {
                const address = std.net.Address.parseIp6(cidr.address, 0) catch {
                    diag.set("rule from {s}: \"{s}\" is not an IPv6 address", .{ rule.origin, cidr.address });
                    return error.INVAL;
                };
                range.bytes = address.in6.sa.addr;
            }
        }
        const kind = std.meta.stringToEnum(NetKind, rule.kind).?; // checked in check_rules
        const index = @intFromEnum(cat) - @intFromEnum(Cat.net_bind);
        lists[index].append(arena, .{
            .action = Action.parse(rule.action).?,
            .kind = kind,
            .ranges = ranges,
            .port_min = rule.port_min,
            .port_max = rule.port_max,
            .protocol = rule.protocol,
            .pattern = rule.pattern,
            .origin = rule.origin,
        }) catch return error.NOMEM;
    }
    for (out, &lists) |*slot, *list| slot.* = list.items;
}

/// Splits the rules by category, keeping their order, into slices of `arena`.
fn build_rules(
    arena: std.mem.Allocator,
    rules: []const Rule,
    out: *[category_count][]const PathRule,
) sys.Errno!void {
    var counts: [category_count]usize = .{0} ** category_count;
    for (rules) |rule| counts[@intFromEnum(Cat.parse(rule.category).?)] += 1;
    var lists: [category_count][]PathRule = undefined;
    for (&lists, counts) |*list, count| list.* = arena.alloc(PathRule, count) catch return error.NOMEM;
    var filled: [category_count]usize = .{0} ** category_count;
    for (rules) |rule| {
        const index = @intFromEnum(Cat.parse(rule.category).?);
        lists[index][filled[index]] = .{ .action = Action.parse(rule.action).?, .pattern = rule.pattern, .origin = rule.origin };
        filled[index] += 1;
    }
    for (out, lists, filled, counts) |*slot, list, n, count| {
        assert(n == count);
        slot.* = list;
    }
}

fn check_rules(doc: Document, diag: *Diag) sys.Errno!void {
    for (doc.rules) |rule| {
        if (!contains(&categories, rule.category) or std.mem.startsWith(u8, rule.category, "net/")) {
            diag.set("rule from {s}: \"{s}\" is not a path category", .{ rule.origin, rule.category });
            return error.INVAL;
        }
        if (!contains(&actions, rule.action)) {
            diag.set("rule from {s}: unknown action \"{s}\"", .{ rule.origin, rule.action });
            return error.INVAL;
        }
        if (rule.pattern.len == 0 or rule.pattern.len > 4096) {
            diag.set("rule from {s}: pattern length {d} is out of range 1..4096", .{ rule.origin, rule.pattern.len });
            return error.INVAL;
        }
    }
    for (doc.net_rules) |rule| {
        if (!std.mem.startsWith(u8, rule.category, "net/") or !contains(&categories, rule.category)) {
            diag.set("rule from {s}: \"{s}\" is not a network category", .{ rule.origin, rule.category });
            return error.INVAL;
        }
        if (!contains(&actions, rule.action)) {
            diag.set("rule from {s}: unknown action \"{s}\"", .{ rule.origin, rule.action });
            return error.INVAL;
        }
        if (!contains(&.{ "inet", "unix", "abstract" }, rule.kind) or rule.port_min > rule.port_max) {
            diag.set("rule from {s}: malformed network address", .{rule.origin});
            return error.INVAL;
        }
        for (rule.cidrs) |cidr| {
            const bits: u8 = if (cidr.family == 4) 32 else 128;
            if ((cidr.family != 4 and cidr.family != 6) or cidr.prefix > bits) {
                diag.set("rule from {s}: malformed address range {s}/{d}", .{ rule.origin, cidr.address, cidr.prefix });
                return error.INVAL;
            }
        }
    }
}

/// What the document may ask for that this libsyd cannot do yet: refused, never ignored.
fn check_unsupported(doc: Document, diag: *Diag) sys.Errno!void {
    if (Lock.parse(doc.lock) == null) {
        diag.set("unknown lock state \"{s}\"", .{doc.lock.?});
        return error.INVAL;
    }
    const features = [_]struct { used: bool, name: []const u8 }{
        .{ .used = doc.exec_kill.len > 0, .name = "exec/kill" },
    };
    for (features) |feature| if (feature.used) {
        diag.set("{s} is not supported yet", .{feature.name});
        return error.OPNOTSUPP;
    };
}

fn check_pool(pool: Pool, diag: *Diag) sys.Errno!void {
    if (pool.core < 1 or pool.core > workers_max) {
        diag.set("core emulator count {d} is out of range 1..{d}", .{ pool.core, workers_max });
        return error.INVAL;
    }
    if (pool.max < pool.core or pool.max > workers_max) {
        diag.set("maximum emulator count {d} is out of range {d}..{d}", .{ pool.max, pool.core, workers_max });
        return error.INVAL;
    }
    if (pool.keep_alive_ms < keep_alive_ms_min or pool.keep_alive_ms > keep_alive_ms_max) {
        diag.set("keep-alive {d} ms is out of range {d}..{d}", .{ pool.keep_alive_ms, keep_alive_ms_min, keep_alive_ms_max });
        return error.INVAL;
    }
    assert(pool.core <= pool.max);
}

/// A whole document for tests, with fields replaced as given (JSON text).
fn doc_text(comptime f: struct {
    version: []const u8 = "1",
    log_level: []const u8 = "\"warn\"",
    pool: []const u8 = "{\"core\":1,\"max\":1,\"keep_alive_ms\":100}",
    lock: []const u8 = "null",
    categories: []const u8 = "[]",
    rules: []const u8 = "[]",
    net_rules: []const u8 = "[]",
    mask: []const u8 = "[]",
    exit_wait_all: []const u8 = "false",
    extra: []const u8 = "",
}) []const u8 {
    return "{\"version\":" ++ f.version ++ ",\"log_level\":" ++ f.log_level ++ ",\"pool\":" ++ f.pool ++
        ",\"lock\":" ++ f.lock ++ ",\"categories\":" ++ f.categories ++ ",\"rules\":" ++ f.rules ++
        ",\"net_rules\":" ++ f.net_rules ++ ",\"mask\":" ++ f.mask ++ ",\"exec_kill\":[]" ++
        ",\"exit_wait_all\":" ++ f.exit_wait_all ++ ",\"deny_dotdot\":false,\"allow_unsupp_socket\":false,\"timeout_ms\":0" ++ f.extra ++ "}";
}

fn load_text(json: []const u8, diag: *Diag) sys.Errno!Policy {
    var arena = std.heap.ArenaAllocator.init(std.testing.allocator);
    defer arena.deinit();
    return load(arena.allocator(), json, diag);
}

test "load accepts a policy with every category off, rules and all" {
    var diag: Diag = .{};
    const policy = try load_text(doc_text(.{
        .log_level = "\"debug\"",
        .pool = "{\"core\":2,\"max\":8,\"keep_alive_ms\":100}",
        .lock = "\"on\"",
        .categories = "[{\"name\":\"read\",\"on\":false,\"default\":\"deny\"}]",
        .rules = "[{\"category\":\"read\",\"action\":\"allow\",\"pattern\":\"/usr/***\",\"origin\":\"-m#1\"}]",
        .net_rules = "[{\"category\":\"net/bind\",\"action\":\"allow\",\"kind\":\"inet\",\"cidrs\":[{\"family\":4,\"address\":\"127.0.0.0\",\"prefix\":8}],\"port_min\":0,\"port_max\":0,\"pattern\":\"\",\"origin\":\"-m#2\"}]",
    }), &diag);
    try std.testing.expectEqual(Level.debug, policy.log_level);
    try std.testing.expectEqual(@as(u32, 8), policy.pool.max);
}

test "load refuses what it cannot enforce or does not know" {
    const cases = [_]struct { json: []const u8, err: sys.Errno, msg: []const u8 }{
        .{ .json = "{", .err = error.INVAL, .msg = "policy document is not valid" },
        .{ .json = doc_text(.{ .version = "2" }), .err = error.INVAL, .msg = "version 2" },
        .{ .json = doc_text(.{ .log_level = "\"loud\"" }), .err = error.INVAL, .msg = "unknown log level" },
        .{ .json = doc_text(.{ .pool = "{\"core\":4,\"max\":2,\"keep_alive_ms\":100}" }), .err = error.INVAL, .msg = "maximum emulator count" },
        .{ .json = doc_text(.{ .pool = "{\"core\":1,\"max\":1,\"keep_alive_ms\":1}" }), .err = error.INVAL, .msg = "keep-alive" },
        .{ .json = doc_text(.{ .categories = "[{\"name\":\"raed\",\"on\":false,\"default\":\"deny\"}]" }), .err = error.INVAL, .msg = "unknown sandbox category \"raed\"" },
        .{ .json = doc_text(.{ .rules = "[{\"category\":\"net/bind\",\"action\":\"allow\",\"pattern\":\"/x\",\"origin\":\"f:1\"}]" }), .err = error.INVAL, .msg = "not a path category" },
        .{ .json = doc_text(.{ .rules = "[{\"category\":\"read\",\"action\":\"maybe\",\"pattern\":\"/x\",\"origin\":\"f:1\"}]" }), .err = error.INVAL, .msg = "unknown action" },
        .{ .json = doc_text(.{ .lock = "\"unset\"" }), .err = error.INVAL, .msg = "unknown lock state" },
        .{ .json = doc_text(.{ .mask = "[{\"pattern\":\"/x\",\"target\":\"dev/null\",\"origin\":\"f:1\"}]" }), .err = error.INVAL, .msg = "is not a normalized absolute path" },
        .{ .json = doc_text(.{ .mask = "[{\"pattern\":\"/x\",\"dir_target\":\"/a/../b\",\"origin\":\"f:1\"}]" }), .err = error.INVAL, .msg = "is not a normalized absolute path" },
        .{ .json = doc_text(.{ .extra = ",\"extra\":0" }), .err = error.INVAL, .msg = "UnknownField" },
        .{ .json = doc_text(.{ .extra = ",\"landlock\":{\"on\":true,\"compat\":\"maybe\"}" }), .err = error.INVAL, .msg = "not a compatibility level" },
        .{ .json = doc_text(.{ .extra = ",\"landlock\":{\"on\":true,\"paths\":[{\"path\":\"/x\",\"access\":131072}]}" }), .err = error.INVAL, .msg = "are not valid" },
        .{ .json = doc_text(.{ .extra = ",\"landlock\":{\"on\":true,\"paths\":[{\"path\":\"\",\"access\":4}]}" }), .err = error.INVAL, .msg = "non-empty" },
        .{ .json = doc_text(.{ .extra = ",\"landlock\":{\"on\":true,\"bind\":[[90,80]]}" }), .err = error.INVAL, .msg = "bind ports" },
        .{ .json = doc_text(.{ .extra = ",\"landlock\":{\"on\":true,\"connect\":[[80,90],[85,100]]}" }), .err = error.INVAL, .msg = "connect ports" },
        .{ .json = doc_text(.{ .extra = ",\"landlock\":{\"on\":true,\"bind\":[[0,65536]]}" }), .err = error.INVAL, .msg = "bind ports" },
        .{ .json = doc_text(.{ .extra = ",\"landlock\":{\"on\":true,\"flags\":8}" }), .err = error.INVAL, .msg = "log flags" },
        .{ .json = doc_text(.{ .extra = ",\"limits\":{\"mem\":true,\"mem_action\":\"allow\"}" }), .err = error.INVAL, .msg = "memory sandboxing" },
        .{ .json = doc_text(.{ .extra = ",\"limits\":{\"pid\":true,\"pid_action\":\"deny\"}" }), .err = error.INVAL, .msg = "PID sandboxing" },
        .{ .json = doc_text(.{ .extra = ",\"setid\":{\"uid\":[[0,11]]}" }), .err = error.INVAL, .msg = "is not allowed" },
        .{ .json = doc_text(.{ .extra = ",\"setid\":{\"gid\":[[100,50]]}" }), .err = error.INVAL, .msg = "is not allowed" },
        .{ .json = doc_text(.{ .extra = ",\"setid\":{\"uid\":[[0,100],[100,200]]}" }), .err = error.INVAL, .msg = "conflict" },
        .{ .json = doc_text(.{ .extra = ",\"setid\":{\"uid\":[[0,100],[0,200]]}" }), .err = error.INVAL, .msg = "conflict" },
    };
    for (cases) |case| {
        var diag: Diag = .{};
        try std.testing.expectError(case.err, load_text(case.json, &diag));
        try std.testing.expect(std.mem.indexOf(u8, diag.text(), case.msg) != null);
    }
}

test "judge lets the last matching rule decide, else the category's default" {
    var arena = std.heap.ArenaAllocator.init(std.testing.allocator);
    defer arena.deinit();
    var diag: Diag = .{};
    const policy = try load(arena.allocator(), doc_text(.{
        .categories = "[{\"name\":\"read\",\"on\":false,\"default\":\"deny\"},{\"name\":\"write\",\"on\":false,\"default\":\"warn\"}]",
        .rules = "[{\"category\":\"read\",\"action\":\"allow\",\"pattern\":\"/usr/***\",\"origin\":\"f:1\"}," ++
            "{\"category\":\"read\",\"action\":\"deny\",\"pattern\":\"/usr/secret/**\",\"origin\":\"f:2\"}," ++
            "{\"category\":\"write\",\"action\":\"filter\",\"pattern\":\"/tmp/*\",\"origin\":\"-m#1\"}]",
    }), &diag);
    const cases = [_]struct { cat: Cat, path: []const u8, action: Action, origin: []const u8 }{
        .{ .cat = .read, .path = "/usr", .action = .allow, .origin = "f:1" },
        .{ .cat = .read, .path = "/usr/lib/libc.so", .action = .allow, .origin = "f:1" },
        .{ .cat = .read, .path = "/usr/secret/key", .action = .deny, .origin = "f:2" },
        .{ .cat = .read, .path = "/etc/passwd", .action = .deny, .origin = "default" },
        .{ .cat = .write, .path = "/tmp/x", .action = .filter, .origin = "-m#1" },
        .{ .cat = .write, .path = "/tmp/x/y", .action = .warn, .origin = "default" },
        .{ .cat = .stat, .path = "/usr", .action = .deny, .origin = "default" },
    };
    for (cases) |case| {
        const verdict = policy.judge(case.cat, case.path);
        try std.testing.expectEqual(case.action, verdict.action);
        try std.testing.expectEqualStrings(case.origin, verdict.origin);
    }
    try std.testing.expectEqualStrings("net/bind", Cat.net_bind.name());
    try std.testing.expectEqual(Cat.sendfd, Cat.parse("sendfd").?);
    try std.testing.expect(Cat.parse("net/sendfd") == null); // replaced by sendfd and recvfd in 3.59
}

test "judge_net matches address ranges, ports, UNIX paths and abstract names; last match wins" {
    var arena = std.heap.ArenaAllocator.init(std.testing.allocator);
    defer arena.deinit();
    var diag: Diag = .{};
    const policy = try load(arena.allocator(), doc_text(.{
        .net_rules = "[{\"category\":\"net/connect\",\"action\":\"allow\",\"kind\":\"inet\",\"cidrs\":[{\"family\":4,\"address\":\"127.0.0.0\",\"prefix\":8},{\"family\":6,\"address\":\"::1\",\"prefix\":128}],\"port_min\":1000,\"port_max\":2000,\"pattern\":\"\",\"origin\":\"-m#1\"}," ++
            "{\"category\":\"net/connect\",\"action\":\"deny\",\"kind\":\"inet\",\"cidrs\":[{\"family\":4,\"address\":\"127.0.0.2\",\"prefix\":32}],\"port_min\":0,\"port_max\":65535,\"pattern\":\"\",\"origin\":\"-m#2\"}," ++
            "{\"category\":\"net/connect\",\"action\":\"allow\",\"kind\":\"unix\",\"cidrs\":[],\"port_min\":0,\"port_max\":0,\"pattern\":\"/run/**\",\"origin\":\"-m#3\"}," ++
            "{\"category\":\"net/connect\",\"action\":\"allow\",\"kind\":\"abstract\",\"cidrs\":[],\"port_min\":0,\"port_max\":0,\"pattern\":\"app*\",\"origin\":\"-m#4\"}]",
    }), &diag);
    const v4 = struct {
        fn peer(a: u8, b: u8, c: u8, d: u8, port: u16) Peer {
            var bytes: [16]u8 = .{0} ** 16;
            bytes[0..4].* = .{ a, b, c, d };
            return .{ .inet = .{ .family = 4, .bytes = bytes, .port = port } };
        }
    }.peer;
    try std.testing.expectEqual(Action.allow, policy.judge_net(.net_connect, v4(127, 0, 0, 1, 1500)).action);
    try std.testing.expectEqual(Action.deny, policy.judge_net(.net_connect, v4(127, 0, 0, 1, 80)).action);
    try std.testing.expectEqualStrings("-m#2", policy.judge_net(.net_connect, v4(127, 0, 0, 2, 1500)).origin);
    try std.testing.expectEqual(Action.deny, policy.judge_net(.net_connect, v4(10, 0, 0, 1, 1500)).action);
    var one: [16]u8 = .{0} ** 16;
    one[15] = 1;
    try std.testing.expectEqual(Action.allow, policy.judge_net(.net_connect, .{ .inet = .{ .family = 6, .bytes = one, .port = 1000 } }).action);
    try std.testing.expectEqual(Action.allow, policy.judge_net(.net_connect, .{ .unix = "/run/x.sock" }).action);
    try std.testing.expectEqual(Action.deny, policy.judge_net(.net_connect, .{ .unix = "/tmp/x.sock" }).action);
    try std.testing.expectEqual(Action.allow, policy.judge_net(.net_connect, .{ .abstract = "app1" }).action);
    try std.testing.expectEqual(Action.deny, policy.judge_net(.net_bind, v4(127, 0, 0, 1, 1500)).action);
    try std.testing.expect(prefix_equal(&one, &one, 128));
}

test "judge_net applies a rule naming a protocol only to sockets of that protocol" {
    var arena = std.heap.ArenaAllocator.init(std.testing.allocator);
    defer arena.deinit();
    var diag: Diag = .{};
    const policy = try load(arena.allocator(), doc_text(.{
        .net_rules = "[{\"category\":\"net/connect\",\"action\":\"allow\",\"kind\":\"inet\",\"cidrs\":[{\"family\":4,\"address\":\"127.0.0.0\",\"prefix\":8}],\"port_min\":0,\"port_max\":65535,\"pattern\":\"\",\"origin\":\"-m#1\"}," ++
            "{\"category\":\"net/connect\",\"action\":\"deny\",\"kind\":\"inet\",\"cidrs\":[{\"family\":4,\"address\":\"127.0.0.0\",\"prefix\":8}],\"port_min\":53,\"port_max\":53,\"protocol\":17,\"pattern\":\"\",\"origin\":\"-m#2\"}]",
    }), &diag);
    try std.testing.expect(policy.net_protocols);
    var bytes: [16]u8 = .{0} ** 16;
    bytes[0..4].* = .{ 127, 0, 0, 1 };
    const udp: Peer = .{ .inet = .{ .family = 4, .bytes = bytes, .port = 53, .protocol = 17 } };
    const tcp: Peer = .{ .inet = .{ .family = 4, .bytes = bytes, .port = 53, .protocol = 6 } };
    try std.testing.expectEqualStrings("-m#2", policy.judge_net(.net_connect, udp).origin);
    try std.testing.expectEqualStrings("-m#1", policy.judge_net(.net_connect, tcp).origin);
}
