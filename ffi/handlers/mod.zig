//! System call handlers: the decision for one trapped call, and what syd does about it.
//!
//! A handler reads the call's arguments from the caller, canonicalises its path in the caller's
//! view, checks the request is still valid, judges the path for each category the call feeds
//! (the most severe action wins), logs denials and warnings, and answers: an errno, a value,
//! an fd it opened itself (ADDFD), or, where the call cannot be emulated, CONTINUE.
//!
//! Needs: what path.zig, caller.zig and notify.zig need; SECCOMP_IOCTL_NOTIF_ADDFD with
//! SECCOMP_ADDFD_FLAG_SEND (Linux 5.14) for emulated opens.
//! Assumes: the policy was checked at load (only categories whose every call has a handler can
//! be on); handlers run on emulator threads that have their own fs struct (umask).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const notify = @import("../kernel/notify.zig");
const int_mod = @import("../workers/int.zig");
const fault = @import("../kernel/fault.zig");
const magic = @import("../run/magic.zig");
const policy_mod = @import("../judge/policy.zig");
const log_mod = @import("../run/log.zig");
const caller_mod = @import("../kernel/caller.zig");
const path_mod = @import("../judge/path.zig");
const pieces = @import("../kernel/pieces.zig");
const open = @import("open.zig");
const exec = @import("exec.zig");
const signal = @import("signal.zig");
const proc_hardening = @import("process.zig");
const mknod = @import("mknod.zig");
const truncate = @import("truncate.zig");
const dirops = @import("dirops.zig");
const metadata = @import("metadata.zig");
const dir = @import("dir.zig");
const stat = @import("stat.zig");
const net = @import("net.zig");
const unix_names = @import("unix_names.zig");
const watch = @import("watch.zig");
const anonfd = @import("anonfd.zig");
const sysinfo = @import("sysinfo.zig");
const memory = @import("memory.zig");
const mmap_exec = @import("../exec/mmap.zig");
const mask_mod = @import("mask.zig");
const setid = @import("setid.zig");
const harden = @import("harden.zig");
const emulate = @import("emulate.zig");

const Policy = policy_mod.Policy;
const Cat = policy_mod.Cat;
const Action = policy_mod.Action;
const SYS = linux.SYS;
/// AUDIT_ARCH_X86_64 (EM_X86_64 | 64-bit | little-endian): the only architecture the sandbox
/// filter lets through to syd. (Zig 0.14's linux.AUDIT.ARCH does not compile.)
pub const audit_arch_x86_64: u32 = 62 | 0x80000000 | 0x40000000;

/// What to answer.
pub const Response = union(enum) {
    /// Let the kernel run the call (only where it cannot be emulated, or nothing is judged).
    continue_call,
    /// The call succeeded with this value.
    value: i64,
    /// The call failed with this errno.
    failure: i32,
    /// Hand this fd (opened by syd) to the caller as the call's result; syd closes its copy.
    fd: struct { fd: i32, cloexec: bool },
};

/// One trapped call and what judging it needs.
pub const Request = struct {
    notif: *const notify.Notif,
    notify_fd: i32,
    policy: *const Policy,
    /// /dev/syd's channel to TypeScript (and the policy generations).
    channel: *magic.Channel,
    log: *log_mod.Log,
    /// syd's own credentials, to compare with the caller's.
    own: *const caller_mod.Status,
    /// Set by the `exit` action: the status syd ends with.
    exit_status: *std.atomic.Value(i32),
    /// The sandbox's first process, which the `exit` action kills with the caller.
    child_pid: i32,
    /// The process running the command (pool.zig `command_pid`): lock:exec's first process.
    command_pid: i32 = 0,
    /// This worker's entry in the registry of blocked calls, and the interrupter watching it.
    blocked: *int_mod.Entry,
    interrupter: *int_mod.Interrupter,
    /// Set when the sandbox ends: a blocked call interrupted then gives up.
    exiting: *const std.atomic.Value(bool),
    /// Judged by syd's tracer at a ptrace stop (workers/trace.zig), not received from the
    /// listener: there is no notification to validate, and the caller stays stopped until
    /// the tracer lets it go (a SIGKILL alone ends it, and then nobody reads the answer).
    traced: bool = false,

    pub fn tid(self: *const Request) i32 {
        return @intCast(self.notif.pid);
    }

    pub fn arg(self: *const Request, index: usize) u64 {
        return self.notif.data.args[index];
    }

    /// Whether the caller still waits for this answer (call after reading its memory).
    pub fn valid(self: *const Request) bool {
        if (self.traced) return true;
        return notify.id_valid(self.notify_fd, self.notif.id);
    }
};

/// The `*at` flags and special fd the handlers read (include/uapi/linux/fcntl.h).
pub const at = struct {
    pub const fdcwd: i32 = -100;
    pub const symlink_nofollow: u32 = 0x100;
    pub const removedir: u32 = 0x200;
    pub const eaccess: u32 = 0x200;
    pub const symlink_follow: u32 = 0x400;
    pub const empty_path: u32 = 0x1000;
    pub const statx_sync_mask: u32 = 0x6000;
};

/// Open flags the handlers add or test (x86_64 values).
pub const o = struct {
    pub const wronly: u32 = 0o1;
    pub const noctty: u32 = 0o400;
    pub const nonblock: u32 = 0o4000;
    pub const nofollow: u32 = 0o400000;
    pub const cloexec: u32 = 0o2000000;
    pub const path: u32 = 0o10000000;
};

/// Performs a call that may block for long (an open of a FIFO, a connect) on the caller's behalf,
/// registered with the interrupter, which signals this worker (the call returns EINTR) once the
/// caller is gone, no longer waits, or has a signal pending that must interrupt the call; or the
/// sandbox ends. The caller then gets EINTR, if it still listens. A stray signal (not meant for
/// this call) restarts a `restartable` call (a send interrupted before it sent anything, an open);
/// an interrupted connect goes on in the kernel and must not be restarted.
pub fn blocking_call(request: *const Request, restartable: bool, comptime f: anytype, args: anytype) sys.Errno!usize {
    const id = request.notif.id;
    request.blocked.register(request.interrupter, id, request.tid(), false);
    defer request.blocked.deregister();
    var attempt: u32 = 0;
    while (attempt < blocking_restarts_max) : (attempt += 1) {
        const rc: usize = @call(.auto, f, args);
        const result = sys.check(rc);
        if (result != error.INTR) return result;
        if (!restartable or request.blocked.interrupted(id) or request.exiting.load(.acquire)) return error.INTR;
    }
    return error.INTR;
}

/// How often a restartable blocking call is restarted after stray signals before giving up.
const blocking_restarts_max: u32 = 64;

/// The errno answer for a failed step.
pub fn failure(err: sys.Errno) Response {
    return .{ .failure = sys.errno_value(err) };
}

/// Argument `index` as an fd (the kernel reads fds as 32-bit ints).
pub fn fd_arg(request: *const Request, index: usize) i32 {
    return @bitCast(@as(u32, @truncate(request.arg(index))));
}

/// The call's number as the syscall enum.
pub fn nr_of(request: *const Request) SYS {
    return @enumFromInt(@as(usize, @intCast(request.notif.data.nr)));
}

/// Reads `out.len` bytes at `addr` in the caller's memory (at most 64 KiB).
pub fn read_memory(tid: i32, addr: u64, out: []u8) sys.Errno!void {
    assert(out.len > 0 and out.len <= 65536);
    if (addr == 0) return error.FAULT;
    const local = [_]std.posix.iovec{.{ .base = out.ptr, .len = out.len }};
    const remote = [_]std.posix.iovec_const{.{ .base = @ptrFromInt(addr), .len = out.len }};
    const n = try sys.check(linux.process_vm_readv(tid, &local, &remote, 0));
    if (n != out.len) return error.FAULT;
}

/// Writes `data` at `addr` in the caller's memory.
pub fn write_memory(tid: i32, addr: u64, data: []const u8) sys.Errno!void {
    assert(data.len > 0);
    if (addr == 0) return error.FAULT;
    const local = [_]std.posix.iovec_const{.{ .base = data.ptr, .len = data.len }};
    const remote = [_]std.posix.iovec_const{.{ .base = @ptrFromInt(addr), .len = data.len }};
    const n = try sys.check(linux.process_vm_writev(tid, &local, &remote, 0));
    if (n != data.len) return error.FAULT;
}

/// The name of a trapped system call, for logs.
pub fn syscall_name(nr: i32) []const u8 {
    if (nr < 0) return "?";
    const value: usize = @intCast(nr);
    if (value == @intFromEnum(SYS.fstatat64)) return "newfstatat"; // the kernel's name on x86_64
    inline for (@typeInfo(SYS).@"enum".fields) |field| {
        if (field.value == value) return field.name;
    }
    return "?";
}

/// Decides one call. Never fails: any error inside syd answers the call with an errno.
pub fn handle(request: *const Request) Response {
    // SafeSetID: a caller whose ids changed has its whole call resolved and performed with its
    // ids; the emulator is syd again after it.
    if (emulate.acting_allowed) emulate.act_as_caller(request) catch |err| return failure(err);
    const response = dispatch(request);
    emulate.act_as_syd();
    // trace/force_cloexec: every fd syd hands over is close-on-exec (the calls that make fds
    // are performed by syd while it is on: open.zig, anonfd.zig, unix_names.zig).
    return switch (response) {
        .fd => |handed| if (request.policy.force_cloexec) .{ .fd = .{ .fd = handed.fd, .cloexec = true } } else response,
        else => response,
    };
}

/// Calls a handler as a function of its own: inlined into `dispatch`, every handler's locals
/// would share one frame of ~100 KB, whose pages the stack probe touches at every call.
inline fn apart(comptime handler: fn (*const Request) Response, request: *const Request) Response {
    return @call(.never_inline, handler, .{request});
}

fn dispatch(request: *const Request) Response {
    const nr = request.notif.data.nr;
    if (request.notif.data.arch != audit_arch_x86_64) return .{ .failure = @intFromEnum(linux.E.NOSYS) };
    fault.maybe(nr, request.notif.data.args);
    return switch (@as(SYS, @enumFromInt(@as(usize, @intCast(@max(nr, 0)))))) {
        .open, .openat, .openat2, .creat => apart(open.handle, request),
        .execve, .execveat => apart(exec.handle, request),
        .mknod, .mknodat => apart(mknod.handle, request),
        .truncate, .ftruncate, .fallocate => apart(truncate.handle, request),
        .mkdir, .mkdirat => apart(dirops.mkdir, request),
        .rmdir, .unlink, .unlinkat => apart(dirops.unlink, request),
        .symlink, .symlinkat => apart(dirops.symlink, request),
        .rename, .renameat, .renameat2, .link, .linkat => apart(dirops.rename, request),
        .chmod, .fchmod, .fchmodat, .fchmodat2 => apart(metadata.chmod, request),
        .chdir, .fchdir => apart(dir.chdir, request),
        .chroot => apart(dir.chroot, request),
        .ioctl => apart(dir.ioctl, request),
        .bind, .connect, .sendto, .sendmsg, .sendmmsg => apart(net.handle, request),
        .socket => apart(net.socket, request),
        .socketpair => apart(net.socketpair, request),
        .getsockname => apart(net.sockname, request),
        .getsockopt => apart(net.peercred, request),
        .setsockopt => apart(net.setsockopt, request),
        .recvfrom, .recvmsg, .recvmmsg => apart(unix_names.recv, request),
        .getpeername => apart(unix_names.peername, request),
        .accept, .accept4 => apart(unix_names.accept, request),
        .getdents64, .getdents => apart(dir.getdents, request),
        .rt_sigaction => apart(signal.rt_sigaction, request),
        .ptrace => apart(proc_hardening.ptrace, request),
        .sysinfo => apart(sysinfo.handle, request),
        .mmap => apart(mmap_exec.handle, request),
        .brk, .mremap => apart(memory.handle, request),
        .setuid, .setreuid, .setresuid, .setgid, .setregid, .setresgid, .setgroups => apart(setid.handle, request),
        .msgget, .semget, .shmget, .shmat, .msgctl, .semctl, .shmctl, .msgrcv => apart(proc_hardening.ipc, request),
        .stat, .lstat, .fstatat64, .statx, .statfs, .access, .faccessat, .faccessat2, .readlink, .readlinkat => apart(stat.handle, request),
        .chown, .lchown, .fchown, .fchownat => apart(metadata.chown, request),
        .utime, .utimes, .futimesat, .utimensat => apart(metadata.utime, request),
        .setxattr, .lsetxattr, .fsetxattr, .removexattr, .lremovexattr, .fremovexattr => apart(metadata.xattr, request),
        .getxattr, .lgetxattr, .listxattr, .llistxattr => apart(metadata.xattr_read, request),
        .inotify_add_watch, .fanotify_mark => apart(watch.handle, request),
        .eventfd, .eventfd2, .signalfd, .signalfd4, .timerfd_create, .epoll_create, .epoll_create1, .inotify_init, .inotify_init1, .fanotify_init, .pipe, .pipe2, .memfd_create, .memfd_secret => apart(anonfd.handle, request),
        else => .continue_call, // no category these calls feed can be on yet (policy.zig)
    };
}

comptime {
    assert(@typeInfo(Cat).@"enum".fields.len <= 64); // Judgement.also_warn has a bit for each
}

/// The verdict of several categories: the most severe action, and which category gave it.
pub const Judgement = struct {
    action: Action,
    cat: Cat,
    origin: []const u8,
    /// Whether any category was judged at all (all off: nothing to check).
    judged: bool,
    /// For network calls, the address family judged ("inet", "inet6", "unix", "abstract").
    family: []const u8 = "",
    /// For fs sandboxing, the filesystem type (statfs f_type) judged; `cat` is then the open's.
    fs_type: ?u64 = null,
    /// When the action is warn: the other categories judged that warn too (bit `@intFromEnum`),
    /// each logged in a record of its own, so that a trace run (`syd learn`) sees every one.
    also_warn: u64 = 0,
};

/// Whether any of `cats` is on: a handler whose categories are all off continues at once.
/// With walk sandboxing on, every handler of path calls resolves its path (walk judges it).
pub fn any_on(p: *const Policy, cats: []const Cat) bool {
    assert(cats.len > 0);
    for (cats) |cat| if (p.on[@intFromEnum(cat)]) return true;
    const path_call = @intFromEnum(cats[0]) < @intFromEnum(Cat.net_bind);
    return path_call and (p.on[@intFromEnum(Cat.walk)] or resolution_forced(p));
}

/// Whether trace/force_no_symlinks, force_no_magiclinks or force_no_xdev is on: every path call
/// is then resolved by syd with the option, and performed by syd (never continued: the kernel
/// would resolve the path again, without it).
pub fn resolution_forced(p: *const Policy) bool {
    return p.force_no_symlinks or p.force_no_magiclinks or p.force_no_xdev;
}

/// Whether list sandboxing leaves `path` (its name as judged) out of its directory's listing.
pub fn unlisted(p: *const Policy, path: []const u8) bool {
    if (!p.on[@intFromEnum(Cat.list)]) return false;
    return @intFromEnum(p.judge(.list, path).action) >= @intFromEnum(Action.filter);
}

/// Judges `path` for every category in `cats` that is on.
pub fn judge(p: *const Policy, cats: []const Cat, path: []const u8) Judgement {
    assert(cats.len > 0);
    var result: Judgement = .{ .action = .allow, .cat = cats[0], .origin = "default", .judged = false };
    for (cats) |cat| {
        if (!p.on[@intFromEnum(cat)]) continue;
        const verdict = p.judge(cat, path);
        if (!result.judged or @intFromEnum(verdict.action) > @intFromEnum(result.action)) {
            result = .{ .action = verdict.action, .cat = cat, .origin = verdict.origin, .judged = true };
        }
    }
    if (result.action != .warn) return result;
    for (cats) |cat| {
        if (cat == result.cat or !p.on[@intFromEnum(cat)]) continue;
        if (p.judge(cat, path).action == .warn) result.also_warn |= @as(u64, 1) << @intCast(@intFromEnum(cat));
    }
    assert(result.also_warn & (@as(u64, 1) << @intCast(@intFromEnum(result.cat))) == 0);
    return result;
}

/// Judges `canonical` for `cats` and enforces the verdict: null when syd may perform the call;
/// otherwise the answer (continue when no category is on, the errno when denied).
pub fn decide(request: *const Request, cats: []const Cat, canonical: []const u8) ?Response {
    var buf: [path_mod.path_len_max + 32]u8 = undefined;
    const name = view(request.tid(), canonical, &buf);
    if (mask_write(request, cats, name)) |response| return response;
    const verdict = judge(request.policy, cats, name);
    // With masks, syd performs what it resolved (continued, the kernel would resolve the path
    // again, and a swapped link could lead it to a masked path: mask_write above).
    if (!verdict.judged) return if (resolution_forced(request.policy) or request.policy.masks.len > 0) null else .continue_call;
    if (enforce(request, verdict, name)) |errno_value| return .{ .failure = errno_value };
    return null;
}

/// Masked paths are protected against writes (the original's, since 3.51): a call that would
/// change a masked path (delete, rename, link, chmod, chown, utime, truncate, mknod, xattrs:
/// any category but the reading ones) answers EPERM with a record, whatever the rules say and
/// whether or not a category is on. Opens and stats act on the mask's target (mask.zig).
fn mask_write(request: *const Request, cats: []const Cat, name: []const u8) ?Response {
    assert(cats.len > 0);
    if (request.policy.masks.len == 0) return null;
    const writes = for (cats) |cat| {
        switch (cat) {
            .stat, .read, .exec, .chdir, .readdir, .walk, .list, .readlink, .ioctl => {},
            else => break true,
        }
    } else false;
    if (!writes) return null;
    // A directory renamed (or linked: never a directory) would move the masked paths below it to
    // unmasked names (found by the attack session): refused as a write to them.
    const renames = std.mem.indexOfScalar(Cat, cats, .rename) != null;
    if (mask_mod.find(request.policy, name) == null and !(renames and mask_mod.below(request.policy, name))) return null;
    request.log.emit(.warn, .{ .ctx = "mask", .cap = @tagName(cats[0]), .act = "deny", .sys = syscall_name(request.notif.data.nr), .path = name, .pid = request.tid(), .msg = "write to a masked path refused" });
    return .{ .failure = @intFromEnum(linux.E.PERM) };
}

/// The name a path is judged and logged by: the caller's own /proc/TID is /proc/self, so that
/// /proc/thread-self/comm is judged as /proc/self/task/TID/comm, as the original syd resolves
/// and judges it (its profiles allow `/proc/self/task/[0-9]*/...`).
pub fn view(tid: i32, canonical: []const u8, buf: []u8) []const u8 {
    assert(tid > 0 and canonical.len > 0);
    if (path_mod.pid_namespace.load(.acquire)) return view_in_namespace(tid, canonical, buf);
    var own_buf: [24]u8 = undefined;
    const process = std.fmt.bufPrint(&own_buf, "/proc/{d}", .{tid}) catch unreachable;
    if (rest_after(canonical, process)) |rest| {
        return std.fmt.bufPrint(buf, "/proc/self{s}", .{rest}) catch canonical;
    }
    // A thread but its group's leader: its /proc/self is /proc/<tgid>, so /proc/<tgid>/... is
    // /proc/self/... too. Only the caller's own tgid (its status says which): another thread's
    // /proc/<tid> lists the same task/ entries, but is not the caller's /proc/self.
    const number = proc_number(canonical) orelse return canonical;
    if (number == tid) return canonical;
    var status: caller_mod.Status = .{};
    caller_mod.read_status(tid, &status) catch return canonical;
    if (number != status.tgid) return canonical;
    var group_buf: [48]u8 = undefined;
    const group = std.fmt.bufPrint(&group_buf, "/proc/{d}", .{number}) catch unreachable;
    if (rest_after(canonical, group)) |rest| {
        return std.fmt.bufPrint(buf, "/proc/self{s}", .{rest}) catch canonical;
    }
    return canonical;
}

/// `view` in a sandbox with its own pid namespace: its /proc names the caller by the
/// namespace's numbers (its thread's and its group's, from /proc/TID/status).
fn view_in_namespace(tid: i32, canonical: []const u8, buf: []u8) []const u8 {
    const number = proc_number(canonical) orelse return canonical;
    var status: caller_mod.Status = .{};
    caller_mod.read_status(tid, &status) catch return canonical;
    if (number != status.ns_tid and number != status.ns_tgid) return canonical;
    var own_buf: [24]u8 = undefined;
    const process = std.fmt.bufPrint(&own_buf, "/proc/{d}", .{number}) catch unreachable;
    const rest = rest_after(canonical, process) orelse return canonical;
    return std.fmt.bufPrint(buf, "/proc/self{s}", .{rest}) catch canonical;
}

/// N of a path `/proc/N` or `/proc/N/...` (a pid as /proc names it), or null.
fn proc_number(canonical: []const u8) ?i32 {
    const prefix = "/proc/";
    if (!std.mem.startsWith(u8, canonical, prefix)) return null;
    const rest = canonical[prefix.len..];
    const end = std.mem.indexOfScalar(u8, rest, '/') orelse rest.len;
    if (end == 0 or rest[0] < '1' or rest[0] > '9') return null;
    return std.fmt.parseInt(i32, rest[0..end], 10) catch null;
}

/// What follows `prefix` in `path` when `prefix` is a whole leading part of it.
fn rest_after(path: []const u8, prefix: []const u8) ?[]const u8 {
    if (!std.mem.startsWith(u8, path, prefix)) return null;
    const rest = path[prefix.len..];
    if (rest.len > 0 and rest[0] != '/') return null;
    return rest;
}

/// `resolve`'s copy of the caller's path (dead once it returns), in this thread's storage: on
/// the stack, ReleaseSafe would fill it with 0xaa at every call.
threadlocal var resolve_raw: [path_mod.path_len_max]u8 = undefined;

/// Reads the path argument at `addr` and canonicalises it in the caller's view into `out`.
pub fn resolve(
    request: *const Request,
    dirfd: i32,
    addr: u64,
    options: path_mod.Options,
    out: []u8,
) sys.Errno![]const u8 {
    const caller: path_mod.Caller = .{ .pid = request.tid(), .tid = request.tid() };
    const raw = try path_mod.read_string(caller, addr, &resolve_raw);
    const canonical = try canonicalize(request, dirfd, raw, options, out);
    assert(canonical.len > 0 and canonical[0] == '/');
    return canonical;
}

/// The caller's canonical path for `raw` (path.zig), with walk sandboxing when it is on: every
/// path the walk passes through is judged for walk by the name rules use (`view`); the first
/// one not allowed is logged (and its action carried out) here, and unless the action is warn
/// the walk ends in ENOENT, as the original hides what lies beyond.
///
/// A path named (not an fd itself) whose last component is no safe name fails with EILSEQ
/// (harden.zig), and a symlink in a sticky, group- or world-writable directory is not followed
/// (ELOOP; path.zig), whatever the rules say, as the original.
pub fn canonicalize(
    request: *const Request,
    dirfd: i32,
    raw: []const u8,
    options: path_mod.Options,
    out: []u8,
) sys.Errno![]const u8 {
    var hardened = options;
    hardened.trusted_symlinks = !request.policy.unsafe_fs.allow_unsafe_symlinks;
    hardened.no_symlinks = hardened.no_symlinks or request.policy.force_no_symlinks;
    hardened.no_magiclinks = hardened.no_magiclinks or request.policy.force_no_magiclinks;
    var xdev: path_mod.Xdev = .{};
    if (hardened.no_xdev == null and request.policy.force_no_xdev) hardened.no_xdev = &xdev;
    const canonical = try canonicalize_walked(request, dirfd, raw, hardened, out);
    if (raw.len > 0 and harden.name_refused(request.policy, canonical)) {
        if (options.keep_fd) |kept| if (kept.* >= 0) {
            sys.close(kept.*);
            kept.* = -1;
        };
        return error.ILSEQ;
    }
    return canonical;
}

fn canonicalize_walked(
    request: *const Request,
    dirfd: i32,
    raw: []const u8,
    options: path_mod.Options,
    out: []u8,
) sys.Errno![]const u8 {
    const caller: path_mod.Caller = .{ .pid = request.tid(), .tid = request.tid() };
    if (!request.policy.on[@intFromEnum(Cat.walk)]) return path_mod.canonicalize(caller, dirfd, raw, options, out);
    const judge_walk = struct {
        fn of(context: *const anyopaque, path: []const u8) policy_mod.Verdict {
            const req: *const Request = @ptrCast(@alignCast(context));
            var buf: [path_mod.path_len_max + 32]u8 = undefined;
            return req.policy.judge(.walk, view(req.tid(), path, &buf));
        }
    }.of;
    var walk: path_mod.WalkCheck = .{ .judge_fn = judge_walk, .context = request, .denied = path_mod.walk_denied_buffer() };
    var walked = options;
    walked.walk = &walk;
    const result = path_mod.canonicalize(caller, dirfd, raw, walked, out);
    if (walk.denied_len > 0) {
        var buf: [path_mod.path_len_max + 32]u8 = undefined;
        const name = view(request.tid(), walk.denied[0..walk.denied_len], &buf);
        const judgement: Judgement = .{ .action = walk.verdict.action, .cat = .walk, .origin = walk.verdict.origin, .judged = true };
        _ = enforce(request, judgement, name);
    }
    return result;
}

/// The errors the kernel gives a call whose entry (the path's last component, which it creates,
/// removes or renames) is `.`, `..` or the root: those name no entry of a directory.
/// `slash_link`: a symlink named with a trailing slash (the kernel follows no link there).
/// `slash_missing`: the errno of a name with a trailing slash the call would create as a
/// non-directory (EEXIST where something is there already), as the kernel's.
pub const NotEntry = struct { dot: sys.Errno, dotdot: sys.Errno, root: sys.Errno, slash_link: sys.Errno = error.NOTDIR, slash_missing: ?sys.Errno = null };
/// mkdir, mknod, symlink, link's new name: the directory exists.
pub const not_entry_create: NotEntry = .{ .dot = error.EXIST, .dotdot = error.EXIST, .root = error.EXIST, .slash_link = error.EXIST };
/// mknod and symlink: as `not_entry_create`, and `name/` names no directory to make (ENOENT).
pub const not_entry_make: NotEntry = .{ .dot = error.EXIST, .dotdot = error.EXIST, .root = error.EXIST, .slash_link = error.EXIST, .slash_missing = error.NOENT };
pub const not_entry_unlink: NotEntry = .{ .dot = error.ISDIR, .dotdot = error.ISDIR, .root = error.ISDIR };
pub const not_entry_rmdir: NotEntry = .{ .dot = error.INVAL, .dotdot = error.NOTEMPTY, .root = error.BUSY };
pub const not_entry_rename: NotEntry = .{ .dot = error.BUSY, .dotdot = error.BUSY, .root = error.BUSY };

/// As `resolve`, for a path whose last component the call creates, removes or renames: once the
/// path resolves (a missing parent is still ENOENT), a last component `.` or `..`, or the root,
/// fails as the kernel fails it (`not_entry`), instead of acting on the directory it names.
pub fn resolve_entry(
    request: *const Request,
    dirfd: i32,
    addr: u64,
    options: path_mod.Options,
    not_entry: NotEntry,
    out: []u8,
) sys.Errno![]const u8 {
    const entry = try resolve_entry_kind(request, dirfd, addr, options, not_entry.slash_link, out);
    if (entry.slash) if (not_entry.slash_missing) |missing| return if (exists(request, entry.canonical)) error.EXIST else missing;
    return switch (entry.kind) {
        .name => entry.canonical,
        .dot => not_entry.dot,
        .dotdot => not_entry.dotdot,
        .root => not_entry.root,
    };
}

/// A resolved entry path and what its last component is (for rename, which checks mounts first).
/// `slash`: the path ends with a slash after a name (`dir/`), which makes the kernel want a
/// directory there.
pub const Entry = struct { canonical: []const u8, kind: path_mod.LastKind, slash: bool };

/// Whether something is at `canonical` in the caller's root (not followed), for an errno only.
pub fn exists(request: *const Request, canonical: []const u8) bool {
    return if (kind_at(request.tid(), canonical)) |_| true else |_| false;
}

/// The file type bits (S_IFMT) of what is at `canonical` in the root of thread `tid` (not
/// followed): for an errno or the categories a call feeds, never for what syd acts on (one
/// fstatat through /proc/TID/root, which another thread may change right after).
/// Whether walk sandboxing denies `canonical` itself (its last component): the original then
/// hides it (ENOENT), as a walk through it would.
pub fn walk_hidden(request: *const Request, canonical: []const u8) bool {
    if (!request.policy.on[@intFromEnum(Cat.walk)]) return false;
    var buf: [path_mod.path_len_max + 32]u8 = undefined;
    return @intFromEnum(request.policy.judge(.walk, view(request.tid(), canonical, &buf)).action) >= @intFromEnum(Action.filter);
}

pub fn kind_at(tid: i32, canonical: []const u8) sys.Errno!u32 {
    assert(tid > 0 and canonical.len > 0 and canonical[0] == '/');
    if (canonical.len >= path_mod.path_len_max) return kind_at_long(tid, canonical); // one call refuses it
    var buf: [path_mod.path_len_max]u8 = undefined;
    const relative = std.fmt.bufPrintZ(&buf, "{s}", .{if (canonical.len == 1) "." else canonical[1..]}) catch unreachable;
    const root = try path_mod.caller_root(.{ .pid = tid, .tid = tid });
    defer root.release();
    var st: linux.Stat = undefined;
    _ = try sys.check(linux.fstatat(root.fd, relative.ptr, &st, linux.AT.SYMLINK_NOFOLLOW));
    return st.mode & linux.S.IFMT;
}

/// As `kind_at`, for a name too long for one call (pieces.split).
fn kind_at_long(tid: i32, canonical: []const u8) sys.Errno!u32 {
    assert(canonical.len > 1 and canonical[0] == '/');
    const root = try emulate.Root.open(tid);
    defer root.close();
    var rest_buf: [path_mod.path_len_max]u8 = undefined;
    const under = try pieces.split(root.fd, canonical[1..], pieces.resolve_strict, &rest_buf);
    defer under.close();
    var st: linux.Stat = undefined;
    _ = try sys.check(linux.fstatat(under.dir_fd, under.rest.ptr, &st, linux.AT.SYMLINK_NOFOLLOW));
    return st.mode & linux.S.IFMT;
}

pub fn resolve_entry_kind(
    request: *const Request,
    dirfd: i32,
    addr: u64,
    options: path_mod.Options,
    slash_link: sys.Errno,
    out: []u8,
) sys.Errno!Entry {
    const caller: path_mod.Caller = .{ .pid = request.tid(), .tid = request.tid() };
    var raw_buf: [path_mod.path_len_max]u8 = undefined;
    const raw = try path_mod.read_string(caller, addr, &raw_buf);
    const kind = path_mod.last_kind(raw); // before canonicalize: `out` may not share `raw_buf`
    const slash = path_mod.names_dir(raw);
    var entry_options = options;
    entry_options.entry_slash_link = slash_link;
    const canonical = try canonicalize(request, dirfd, raw, entry_options, out);
    assert(canonical.len > 0 and canonical[0] == '/');
    return .{ .canonical = canonical, .kind = kind, .slash = slash };
}

/// The canonical path of the caller's fd `fd`, judged on syd's own copy would need the copy;
/// this reads the caller's /proc link (for calls that cannot be emulated anyway).
pub fn resolve_fd(request: *const Request, fd: i32, out: []u8) sys.Errno![]const u8 {
    return canonicalize(request, fd, "", .{ .empty_path = true }, out);
}

/// Acts on a judgement that is not allow: logs (deny and warn) and punishes the caller as the
/// action says. Returns the errno to answer with, or null when the call may proceed (warn).
pub fn enforce(request: *const Request, verdict: Judgement, path: []const u8) ?i32 {
    assert(verdict.judged);
    const eacces: i32 = @intFromEnum(linux.E.ACCES);
    switch (verdict.action) {
        .allow => return null,
        .warn => {
            log_access(request, verdict, path, .warn);
            var also = verdict.also_warn;
            while (also != 0) : (also &= also - 1) {
                const cat: Cat = @enumFromInt(@ctz(also));
                var each = verdict;
                each.cat = cat;
                each.also_warn = 0;
                each.origin = request.policy.judge(cat, path).origin;
                log_access(request, each, path, .warn);
            }
            return null;
        },
        .filter => return eacces,
        .deny => log_access(request, verdict, path, .warn),
        .panic, .stop, .abort, .kill, .exit => {
            log_access(request, verdict, path, .warn);
            punish(request, verdict.action);
        },
    }
    return eacces;
}

pub fn punish(request: *const Request, action: Action) void {
    const tgid = caller_tgid(request);
    switch (action) {
        .stop => sys.tgkill(tgid, request.tid(), linux.SIG.STOP) catch {},
        .abort => sys.tgkill(tgid, request.tid(), linux.SIG.ABRT) catch {},
        .kill => _ = linux.kill(tgid, linux.SIG.KILL),
        .exit => end_sandbox(request, tgid, @intFromEnum(linux.E.ACCES)),
        else => {}, // panic: denied and logged; syd itself keeps going
    }
}

/// The `exit` action: syd ends with `status` (an errno, as the original's exit_group(errno)),
/// the caller and the sandbox's first process killed (the rest follows as when it exits).
pub fn punish_exit(request: *const Request, status: i32) void {
    end_sandbox(request, caller_tgid(request), status);
}

/// The caller's process (its thread id when /proc no longer says).
fn caller_tgid(request: *const Request) i32 {
    var found: caller_mod.Status = .{};
    caller_mod.read_status(request.tid(), &found) catch {};
    return if (found.tgid > 0) found.tgid else request.tid();
}

fn end_sandbox(request: *const Request, tgid: i32, status: i32) void {
    assert(status > 0 and status < 256);
    assert(tgid > 0);
    request.exit_status.store(status, .release);
    _ = linux.kill(tgid, linux.SIG.KILL);
    if (request.child_pid > 0) _ = linux.kill(request.child_pid, linux.SIG.KILL);
}

/// The rule that would allow `name` for `cat`; a name with control bytes (an abstract socket's
/// NUL, a newline) written in hex, which the policy parser decodes, as the original's does.
fn tip_of(buf: []u8, cat: []const u8, name: []const u8) []const u8 {
    assert(buf.len > 0);
    const control = for (name) |byte| {
        if (byte < 0x20) break true;
    } else false;
    if (!control) return std.fmt.bufPrint(buf, "allow/{s}+{s}", .{ cat, name }) catch "";
    const head = std.fmt.bufPrint(buf, "allow/{s}+", .{cat}) catch return "";
    if (buf.len - head.len < 2 * name.len) return "";
    for (name, 0..) |byte, i| {
        _ = std.fmt.bufPrint(buf[head.len + 2 * i ..][0..2], "{x:0>2}", .{byte}) catch unreachable;
    }
    return buf[0 .. head.len + 2 * name.len];
}

test "tip_of writes a name with control bytes in hex" {
    var buf: [64]u8 = undefined;
    try std.testing.expectEqualStrings("allow/net/connect+@a", tip_of(&buf, "net/connect", "@a"));
    try std.testing.expectEqualStrings("allow/net/connect+40610062", tip_of(&buf, "net/connect", "@a\x00b"));
    try std.testing.expectEqualStrings("", tip_of(buf[0..20], "net/connect", "@aaaa\x00"));
}

/// One access record: what was asked, by whom, which rule decided, and how to allow it.
fn log_access(request: *const Request, verdict: Judgement, path: []const u8, level: log_mod.Level) void {
    if (!request.log.enabled(level)) return;
    var comm_buf: [32]u8 = undefined;
    var cwd_buf: [4096]u8 = undefined;
    var tip_buf: [4200]u8 = undefined;
    const tip = tip_of(&tip_buf, verdict.cat.name(), path);
    if (verdict.fs_type) |fs_type| {
        var type_buf: [24]u8 = undefined;
        const type_text = std.fmt.bufPrint(&type_buf, "0x{x}", .{fs_type}) catch unreachable;
        var fs_tip_buf: [48]u8 = undefined;
        request.log.emit(level, .{
            .ctx = "access",
            .cap = "fs",
            .act = @tagName(verdict.action),
            .sys = syscall_name(request.notif.data.nr),
            .path = path,
            .fs = type_text,
            .pid = request.tid(),
            .cmd = caller_mod.comm(request.tid(), &comm_buf),
            .cwd = caller_mod.cwd(request.tid(), &cwd_buf),
            .rule = verdict.origin,
            .tip = std.fmt.bufPrint(&fs_tip_buf, "allow/fs+{s}", .{type_text}) catch unreachable,
        });
        return;
    }
    if (verdict.family.len > 0) {
        request.log.emit(level, .{
            .ctx = "access",
            .cap = verdict.cat.name(),
            .act = @tagName(verdict.action),
            .sys = syscall_name(request.notif.data.nr),
            .addr = path,
            .family = verdict.family,
            .pid = request.tid(),
            .cmd = caller_mod.comm(request.tid(), &comm_buf),
            .cwd = caller_mod.cwd(request.tid(), &cwd_buf),
            .rule = verdict.origin,
            .tip = tip,
        });
        return;
    }
    request.log.emit(level, .{
        .ctx = "access",
        .cap = verdict.cat.name(),
        .act = @tagName(verdict.action),
        .sys = syscall_name(request.notif.data.nr),
        .path = path,
        .pid = request.tid(),
        .cmd = caller_mod.comm(request.tid(), &comm_buf),
        .cwd = caller_mod.cwd(request.tid(), &cwd_buf),
        .rule = verdict.origin,
        .tip = tip,
    });
}

/// Answers a call as the response says.
pub fn answer(notify_fd: i32, id: u64, response: Response) sys.Errno!void {
    switch (response) {
        .continue_call => return notify.send_continue(notify_fd, id),
        .value => |value| {
            const resp: notify.NotifResp = .{ .id = id, .val = value, .@"error" = 0, .flags = 0 };
            return notify.send(notify_fd, &resp);
        },
        .failure => |errno_value| return notify.send_error(notify_fd, id, errno_value),
        .fd => |handed| {
            if (!writable_file(handed.fd)) {
                defer sys.close(handed.fd);
                return notify.send_fd(notify_fd, id, handed.fd, handed.cloexec);
            }
            // A regular file open for writing: syd's copy is closed before the caller runs on,
            // else its close then exec of the file it wrote fails ETXTBSY (syd still held the
            // file open for writing; found by the attack session). The fd is added, then the
            // call answered with its number: two steps, so a caller interrupted in between
            // keeps an fd it will not know of (its call is restarted), never a wrong answer.
            const number = notify.add_fd(notify_fd, id, handed.fd, handed.cloexec) catch |err| {
                sys.close(handed.fd);
                return err;
            };
            sys.close(handed.fd);
            const resp: notify.NotifResp = .{ .id = id, .val = number, .@"error" = 0, .flags = 0 };
            return notify.send(notify_fd, &resp);
        },
    }
}

/// Whether `fd` is a regular file open for writing (fails open to no: the one-step hand-over).
fn writable_file(fd: i32) bool {
    const mode = sys.access_mode(fd) orelse return false;
    if (mode == 0) return false;
    var st: linux.Stat = undefined;
    if (linux.E.init(linux.fstat(fd, &st)) != .SUCCESS) return false;
    return linux.S.ISREG(st.mode);
}

test "proc_number reads /proc/N only" {
    try std.testing.expectEqual(@as(?i32, 42), proc_number("/proc/42/status"));
    try std.testing.expectEqual(@as(?i32, 42), proc_number("/proc/42"));
    for ([_][]const u8{ "/proc/self", "/proc/042", "/proc/+1", "/proc/", "/procs/1", "/proc/99999999999" }) |path| {
        try std.testing.expectEqual(@as(?i32, null), proc_number(path));
    }
}

test "view names the caller's own /proc entries as /proc/self" {
    var buf: [128]u8 = undefined;
    try std.testing.expectEqualStrings("/proc/self/fd/3", view(42, "/proc/42/fd/3", &buf));
    try std.testing.expectEqualStrings("/proc/self", view(42, "/proc/42", &buf));
    try std.testing.expectEqualStrings("/proc/self/task/42/comm", view(42, "/proc/42/task/42/comm", &buf));
    try std.testing.expectEqualStrings("/proc/421/fd/3", view(42, "/proc/421/fd/3", &buf));
    try std.testing.expectEqualStrings("/etc/passwd", view(42, "/etc/passwd", &buf));
}

test "judge takes the most severe action of the categories that are on" {
    var p: Policy = .{
        .log_level = .warn,
        .pool = .{ .core = 1, .max = 1, .keep_alive_ms = 100 },
        .on = .{false} ** policy_mod.category_count,
        .default = .{.allow} ** policy_mod.category_count,
        .rules = .{&.{}} ** policy_mod.category_count,
    };
    const none = judge(&p, &.{ .read, .write }, "/x");
    try std.testing.expect(!none.judged);
    p.on[@intFromEnum(Cat.read)] = true;
    p.on[@intFromEnum(Cat.write)] = true;
    p.default[@intFromEnum(Cat.write)] = .deny;
    const both = judge(&p, &.{ .read, .write }, "/x");
    try std.testing.expect(both.judged);
    try std.testing.expectEqual(Action.deny, both.action);
    try std.testing.expectEqual(Cat.write, both.cat);
    try std.testing.expectEqual(@as(u64, 0), both.also_warn);
    try std.testing.expectEqualStrings("openat", syscall_name(257));
}

test "judge names every other category that warns too, for trace runs" {
    var p: Policy = .{
        .log_level = .warn,
        .pool = .{ .core = 1, .max = 1, .keep_alive_ms = 100 },
        .on = .{true} ** policy_mod.category_count,
        .default = .{.warn} ** policy_mod.category_count,
        .rules = .{&.{}} ** policy_mod.category_count,
    };
    p.default[@intFromEnum(Cat.write)] = .allow;
    const opened = judge(&p, &.{ .read, .write, .stat }, "/x");
    try std.testing.expectEqual(Action.warn, opened.action);
    try std.testing.expectEqual(Cat.read, opened.cat);
    try std.testing.expectEqual(@as(u64, 1) << @intFromEnum(Cat.stat), opened.also_warn);
}
