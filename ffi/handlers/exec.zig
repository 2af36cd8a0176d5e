//! execve, execveat: judged twice. Before the call (a notification) on the canonical path of
//! the program, so a plainly denied exec fails with EACCES; the allowed call is continued (the
//! kernel cannot be asked to exec on a process's behalf, and it reads the path again). After
//! the call, at the tracer's PTRACE_EVENT_EXEC stop (workers/trace.zig), before the new image
//! runs a single instruction: `verify` judges the files the process now maps to run, whatever
//! path reached them: the program (/proc/PID/exe, the `#!` interpreter for a script) and its
//! loader (the ELF's PT_INTERP, found among the executable mappings). A denied one, or the
//! dynamic loader run as the command (`ld.so /path/prog`, unless trace/allow_unsafe_exec_ldso),
//! kills the process with a record.
//!
//! Needs: what path.zig needs; /proc/PID/exe and /proc/PID/maps of a stopped tracee.
//! Assumes: `verify` runs on the tracer with the tracee in its exec stop (nothing of it runs).

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const caller_mod = @import("../kernel/caller.zig");
const path_mod = @import("../judge/path.zig");
const handlers = @import("mod.zig");
const elf = @import("elf.zig");
const pieces = @import("../kernel/pieces.zig");
const tpe = @import("../exec/tpe.zig");
const segvguard = @import("../exec/segvguard.zig");
const force = @import("../exec/force.zig");
const emulate = @import("emulate.zig");
const mask = @import("mask.zig");
const identity = @import("../exec/identity.zig");

const Request = handlers.Request;
const Response = handlers.Response;

pub fn handle(request: *const Request) Response {
    const exec_on = handlers.any_on(request.policy, &.{.exec});
    // Trusted symlinks hold whatever the rules say, as the original's (`-p off` too); checked
    // before the call only, as the rules are (README, Limits: the kernel reads the path again).
    const trust_on = request.policy.trust.tpe or request.policy.trust.segvguard_on();
    const masks_on = request.policy.masks.len > 0;
    if (!exec_on and !trust_on and !request.policy.force.on and !masks_on and request.policy.unsafe_fs.allow_unsafe_symlinks) return .continue_call;
    const is_execveat = request.notif.data.nr == @intFromEnum(linux.SYS.execveat);
    const dirfd: i32 = if (is_execveat) @bitCast(@as(u32, @truncate(request.arg(0)))) else handlers.at.fdcwd;
    const path_addr = if (is_execveat) request.arg(1) else request.arg(0);
    const flags: u64 = if (is_execveat) request.arg(4) else 0;
    var canonical_buf: [path_mod.path_len_max]u8 = undefined;
    const canonical = handlers.resolve(request, dirfd, path_addr, .{
        .follow = if (flags & handlers.at.symlink_nofollow != 0) .nofollow_last else .follow,
        .empty_path = flags & handlers.at.empty_path != 0,
    }, &canonical_buf) catch |err| return handlers.failure(err);
    assert(canonical.len > 0);
    if (!request.valid()) return .{ .failure = @intFromEnum(linux.E.NOENT) };
    if (masks_on) if (masked(request, canonical)) return .{ .failure = @intFromEnum(linux.E.ACCES) };
    if (segvguard.at_entry(request, canonical)) |response| return response; // exec/segvguard.zig
    if (exec_on) if (handlers.decide(request, &.{.exec}, canonical)) |response| return response;
    if (tpe.at_entry(request, canonical)) |response| return response; // exec/tpe.zig
    if (request.policy.force.on) if (force_entry(request, canonical)) |errno_value| return .{ .failure = errno_value };
    return .continue_call; // see the file comment: checked again once the exec is done
}

/// Whether `canonical` is masked (mask.zig), with a record: its exec would run the real file
/// (a masked program's code, a masked script's first line read by the kernel; found by the
/// attack session), so it is refused (the original runs it).
fn masked(request: *const Request, canonical: []const u8) bool {
    var buf: [path_mod.path_len_max + 32]u8 = undefined;
    const name = handlers.view(request.tid(), canonical, &buf);
    _ = mask.find(request.policy, name) orelse return false;
    request.log.emit(.warn, .{ .ctx = "mask", .cap = "exec", .act = "deny", .sys = handlers.syscall_name(request.notif.data.nr), .path = name, .pid = request.tid(), .msg = "exec of a masked path refused" });
    return true;
}

/// Force sandboxing before the exec (exec/force.zig): the file the path names now, opened
/// inside the caller's root; EACCES (or the action's errno) for a denial, null to go on.
fn force_entry(request: *const Request, canonical: []const u8) ?i32 {
    const root = emulate.Root.open(request.tid()) catch |err| return sys.errno_value(err);
    defer root.close();
    // O_NONBLOCK: a FIFO named by the path never blocks the emulator (the kernel refuses its exec).
    const fd = root.openat2(canonical, 0o4000, 0) catch |err| return sys.errno_value(err);
    defer sys.close(fd);
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(fd, &st)) catch |err| return sys.errno_value(err);
    if (!linux.S.ISREG(st.mode)) return null; // not hashed: the kernel refuses it (EACCES)
    var buf: [path_mod.path_len_max + 32]u8 = undefined;
    const name = handlers.view(request.tid(), canonical, &buf);
    return force.verify_elf(request, .entry, fd, name);
}

/// Force sandboxing at the exec stop: the program (through /proc/PID/exe) and its loaders
/// (opened beneath the caller's root, the very file mapped); false: the process was signalled.
fn force_stop(request: *const Request, exe_fd: i32, exe_path: []const u8, root_fd: i32, loaders: []const Mapped) bool {
    var buf: [path_mod.path_len_max + 32]u8 = undefined;
    if (force.verify_elf(request, .exec_stop, exe_fd, handlers.view(request.tid(), exe_path, &buf)) != null) return false;
    for (loaders) |loader| {
        var path_buf: [path_mod.path_len_max + 1]u8 = undefined;
        const path_z = std.fmt.bufPrintZ(&path_buf, "{s}", .{loader.path}) catch
            return refuse(request, loader.path, "the loader's path is too long", error.NAMETOOLONG);
        const how: pieces.OpenHow = .{ .flags = 0o400000 | 0o2000000, .mode = 0, .resolve = pieces.resolve_strict }; // O_NOFOLLOW|O_CLOEXEC
        const fd: i32 = @intCast(sys.retry(linux.syscall4, .{ .openat2, @as(usize, @bitCast(@as(isize, root_fd))), @intFromPtr(path_z.ptr), @intFromPtr(&how), @sizeOf(pieces.OpenHow) }) catch |err|
            return refuse(request, loader.path, "cannot open the loader to hash it", err));
        defer sys.close(fd);
        var st: linux.Stat = undefined;
        _ = sys.check(linux.fstat(fd, &st)) catch |err| return refuse(request, loader.path, "cannot stat the loader", err);
        const mapped = identity.of(fd, &st);
        if (mapped.dev != loader.dev or mapped.ino != loader.ino) return refuse(request, loader.path, "the loader's file is not the one mapped", error.STALE);
        if (force.verify_elf(request, .exec_stop, fd, handlers.view(request.tid(), loader.path, &buf)) != null) return false;
    }
    return true;
}

/// Files a process maps to run, besides its program: its loader (one, normally).
const loaders_max: usize = 4;
/// /proc/PID/maps right after an exec: a few lines. Longer is cut (and then judged as read).
const maps_len_max: usize = 16 * 1024;

const Mapped = struct { dev: u64, ino: u64, path: []const u8 };

/// Judges the image a process runs after an exec; false: it was killed (with a record).
pub fn verify(request: *const Request, ldso_allowed: bool) bool {
    const pid = request.tid();
    assert(pid > 0);
    var link_buf: [64]u8 = undefined;
    const exe_link = std.fmt.bufPrintZ(&link_buf, "/proc/{d}/exe", .{pid}) catch unreachable;
    var exe_buf: [path_mod.path_len_max]u8 = undefined;
    const exe_len = sys.check(linux.readlink(exe_link.ptr, &exe_buf, exe_buf.len)) catch |err|
        return refuse(request, "", "cannot read the program's path", err);
    if (exe_len == exe_buf.len) return refuse(request, "", "the program's path is too long", error.NAMETOOLONG);
    const exe_path = undeleted(exe_buf[0..exe_len]);
    // The program itself, opened through the link: the very file exec mapped.
    const readable = sys.retry(linux.open, .{ exe_link.ptr, linux.O{ .CLOEXEC = true }, @as(linux.mode_t, 0) });
    const exe_fd: i32 = @intCast(readable catch sys.retry(linux.open, .{ exe_link.ptr, linux.O{ .PATH = true, .CLOEXEC = true }, @as(linux.mode_t, 0) }) catch |err|
        return refuse(request, exe_path, "cannot open the program", err));
    defer sys.close(exe_fd);
    var st: linux.Stat = undefined;
    _ = sys.check(linux.fstat(exe_fd, &st)) catch |err| return refuse(request, exe_path, "cannot stat the program", err);

    var maps_buf: [maps_len_max]u8 = undefined;
    var loaders: [loaders_max]Mapped = undefined;
    const maps = read_maps(pid, &maps_buf) catch |err|
        return refuse(request, exe_path, "cannot read the process's mappings", err);
    // The program as maps names it (an overlayfs over several file systems names it otherwise).
    const exe_id = identity.of(exe_fd, &st);
    const loader_count = parse_maps(maps, exe_id.dev, exe_id.ino, &loaders) catch |err|
        return refuse(request, exe_path, "cannot read the process's mappings", err);
    // W^X at the exec (the original's check_elf, unless trace/allow_unsafe_exec_stack): an ELF
    // asking for an executable stack (PT_GNU_STACK with PF_X; a 32-bit one without the header)
    // starts with memory writable and executable, or with READ_IMPLIES_EXEC, under which a
    // later mmap(PROT_READ) is executable too: no filter sees either (found by the attack session).
    if (!request.policy.allow_unsafe_exec_stack) if (unsafe_memory(pid, maps)) |why| {
        request.log.emit(.warn, .{ .ctx = "exec", .op = "check_elf", .act = "kill", .pid = pid, .path = exe_path, .msg = why, .tip = "fix your program or configure `trace/allow_unsafe_exec_stack:1'" });
        return killed(request);
    };
    // maps names a file as syd's root sees it, or (in a mount namespace of the sandbox's own,
    // which syd's root cannot reach) as the sandbox's root does: looked up beneath the caller's
    // root, never following a link.
    const root = path_mod.caller_root(.{ .pid = pid, .tid = pid }) catch |err|
        return refuse(request, exe_path, "cannot open the process's root", err);
    defer root.release();
    for (loaders[0..loader_count]) |loader| {
        var lst: linux.Stat = undefined;
        var path_buf: [path_mod.path_len_max + 1]u8 = undefined;
        const path_z = std.fmt.bufPrintZ(&path_buf, "{s}", .{loader.path}) catch
            return refuse(request, loader.path, "the loader's path is too long", error.NAMETOOLONG);
        stat_beneath(root.fd, path_z, &lst) catch |err|
            return refuse(request, loader.path, "cannot stat the loader", err);
        // The name in maps no longer names the mapped file (renamed or replaced since). On an
        // overlayfs the two name it by different devices: asked again as maps names it.
        if ((lst.dev != loader.dev or lst.ino != loader.ino) and !mapped_as(root.fd, path_z, loader))
            return refuse(request, loader.path, "the loader's file is not the one mapped", error.STALE);
    }

    // A masked program or loader (a swap after the check at the call's entry): killed.
    if (request.policy.masks.len > 0) {
        if (masked(request, exe_path)) return killed(request);
        for (loaders[0..loader_count]) |loader| if (masked(request, loader.path)) return killed(request);
    }
    if (!segvguard.at_exec_stop(request, exe_path, loaders[0..loader_count])) return false; // exec/segvguard.zig
    if (handlers.any_on(request.policy, &.{.exec})) {
        if (!judged(request, exe_path)) return killed(request);
        for (loaders[0..loader_count]) |loader| if (!judged(request, loader.path)) return killed(request);
    }
    if (!tpe.at_exec_stop(request, exe_fd, exe_path, loaders[0..loader_count])) return false; // exec/tpe.zig
    if (request.policy.force.on) {
        _ = readable catch return refuse(request, exe_path, "cannot read the program to hash it", error.ACCES);
        if (!force_stop(request, exe_fd, exe_path, root.fd, loaders[0..loader_count])) return false;
    }
    if (!ldso_allowed) {
        _ = readable catch return refuse(request, exe_path, "cannot read the program to check it is not the dynamic loader run directly (trace/allow_unsafe_exec_ldso:1 skips the check)", error.ACCES);
        const kind = elf.classify(elf.File{ .fd = exe_fd });
        if (kind != .program) {
            request.log.emit(.warn, .{
                .ctx = "exec",
                .op = "check_elf",
                .act = "kill",
                .pid = pid,
                .path = exe_path,
                .exe = @tagName(kind),
                .msg = if (kind == .shared_object) "ld.so(8) exec-indirection prevented: a shared object was executed as the program" else "the executed image is no ELF program syd can check",
                .tip = "trace/allow_unsafe_exec_ldso:1",
            });
            return killed(request);
        }
    }
    return true;
}

/// Judges a file the process runs; the original's deny is a kill here (the exec is done: there
/// is no call left to fail), and the record says so.
fn judged(request: *const Request, path: []const u8) bool {
    var buf: [path_mod.path_len_max + 32]u8 = undefined;
    const name = handlers.view(request.tid(), path, &buf);
    var verdict = handlers.judge(request.policy, &.{.exec}, name);
    if (!verdict.judged) return true;
    if (verdict.action == .deny) verdict.action = .kill;
    return handlers.enforce(request, verdict, name) == null;
}

/// Whether `path` (beneath `root_fd`) is, as maps names a mapping of it, the file `loader` maps.
fn mapped_as(root_fd: i32, path: [:0]const u8, loader: Mapped) bool {
    const how: pieces.OpenHow = .{ .flags = 0o400000 | 0o2000000 | 0o4000, .mode = 0, .resolve = pieces.resolve_strict }; // O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK
    const fd: i32 = @intCast(sys.retry(linux.syscall4, .{ .openat2, @as(usize, @bitCast(@as(isize, root_fd))), @intFromPtr(path.ptr), @intFromPtr(&how), @sizeOf(pieces.OpenHow) }) catch return false);
    defer sys.close(fd);
    if (!identity.on_overlay(fd)) return false;
    const mapped = identity.of_fd(fd) catch return false;
    return mapped.dev == loader.dev and mapped.ino == loader.ino;
}

/// The file-backed executable mappings other than the program (dev, ino): its loaders.
/// fstat of `path` (absolute, as maps shows it) resolved beneath `root_fd`, no link followed.
fn stat_beneath(root_fd: i32, path: [:0]const u8, st: *linux.Stat) sys.Errno!void {
    assert(path.len > 0 and path[0] == '/');
    const how: pieces.OpenHow = .{ .flags = 0o10000000 | 0o400000 | 0o2000000, .mode = 0, .resolve = pieces.resolve_strict }; // O_PATH|O_NOFOLLOW|O_CLOEXEC
    const fd: i32 = @intCast(try sys.retry(linux.syscall4, .{ .openat2, @as(usize, @bitCast(@as(isize, root_fd))), @intFromPtr(path.ptr), @intFromPtr(&how), @sizeOf(pieces.OpenHow) }));
    defer sys.close(fd);
    _ = try sys.check(linux.fstat(fd, st));
}

/// The text of /proc/PID/maps, whole (E2BIG: longer than `buf`; never judged on a part).
fn read_maps(pid: i32, buf: []u8) sys.Errno![]const u8 {
    var path_buf: [64]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/maps", .{pid}) catch unreachable;
    const fd: i32 = @intCast(try sys.retry(linux.open, .{ path.ptr, linux.O{ .CLOEXEC = true }, @as(linux.mode_t, 0) }));
    defer sys.close(fd);
    const len = try sys.read_full(fd, buf);
    if (len == buf.len) return error.@"2BIG";
    return buf[0..len];
}

const read_implies_exec: u32 = 0x0400000;

/// Why a freshly exec'ed process's memory breaks W^X (null: it does not): a mapping both
/// writable and executable in `maps` (its stack, when the ELF asks for an executable one), or
/// the READ_IMPLIES_EXEC persona. The persona comes from the ELF alone (the filter kills the
/// personality calls that set it, and syd's child drops it before its exec), and on x86_64 the
/// kernel sets it only with an executable stack (a 32-bit ELF without PT_GNU_STACK): the maps
/// check is the guarantee. /proc/PID/personality is read besides where syd may (its mode is
/// 0400: a process of another user is not readable without CAP_DAC_OVERRIDE).
fn unsafe_memory(pid: i32, maps: []const u8) ?[]const u8 {
    assert(pid > 0);
    if (writable_exec(maps)) return "ELF has executable stack: memory writable and executable at exec";
    var path_buf: [64]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "/proc/{d}/personality", .{pid}) catch unreachable;
    var buf: [32]u8 = undefined;
    const text = caller_mod.read_proc(path.ptr, &buf) catch return null;
    const persona = std.fmt.parseInt(u32, std.mem.trim(u8, text, " \n"), 16) catch return null;
    if (persona & read_implies_exec != 0) return "ELF has executable stack: READ_IMPLIES_EXEC persona at exec";
    return null;
}

/// Whether a /proc/PID/maps text has a mapping both writable and executable (`?wx?` perms).
pub fn writable_exec(maps: []const u8) bool {
    var lines = std.mem.splitScalar(u8, maps, '\n');
    while (lines.next()) |line| {
        var fields = std.mem.tokenizeScalar(u8, line, ' ');
        _ = fields.next() orelse continue;
        const perms = fields.next() orelse continue;
        if (perms.len >= 3 and perms[1] == 'w' and perms[2] == 'x') return true;
    }
    return false;
}

test "writable_exec finds an rwx stack and nothing in a plain process" {
    const plain =
        \\5581a000-5581c000 r--p 00000000 08:01 1234 /usr/bin/true
        \\5581c000-55820000 r-xp 00002000 08:01 1234 /usr/bin/true
        \\7ffc0000-7ffe0000 rw-p 00000000 00:00 0 [stack]
        \\7ffd0000-7ffd2000 r-xp 00000000 00:00 0 [vdso]
    ;
    try std.testing.expect(!writable_exec(plain));
    try std.testing.expect(writable_exec(plain ++ "\n7ffa0000-7ffb0000 rwxp 00000000 00:00 0 [stack]\n"));
    try std.testing.expect(writable_exec("1000-2000 -wxp 0 00:00 0\n"));
    try std.testing.expect(!writable_exec(""));
    try std.testing.expect(!writable_exec("garbage\n1000-2000\n"));
}

/// Parses `/proc/PID/maps` lines (`start-end perms offset major:minor inode path`) for
/// executable mappings of files other than (`exe_dev`, `exe_ino`), distinct, at most `out.len`
/// (more: E2BIG). Anonymous and special mappings ([vdso], ...) have no path starting with '/'.
pub fn parse_maps(text: []const u8, exe_dev: u64, exe_ino: u64, out: []Mapped) sys.Errno!usize {
    var count: usize = 0;
    var lines = std.mem.splitScalar(u8, text, '\n');
    while (lines.next()) |line| {
        if (line.len == 0) continue;
        var fields = std.mem.tokenizeScalar(u8, line, ' ');
        _ = fields.next() orelse return error.INVAL; // range
        const perms = fields.next() orelse return error.INVAL;
        _ = fields.next() orelse return error.INVAL; // offset
        const dev_text = fields.next() orelse return error.INVAL;
        const ino_text = fields.next() orelse return error.INVAL;
        if (perms.len < 3 or perms[2] != 'x') continue;
        const rest = fields.rest();
        if (rest.len == 0 or rest[0] != '/') continue;
        const colon = std.mem.indexOfScalar(u8, dev_text, ':') orelse return error.INVAL;
        const major = std.fmt.parseInt(u32, dev_text[0..colon], 16) catch return error.INVAL;
        const minor = std.fmt.parseInt(u32, dev_text[colon + 1 ..], 16) catch return error.INVAL;
        const ino = std.fmt.parseInt(u64, ino_text, 10) catch return error.INVAL;
        const dev = sys.makedev(major, minor);
        if (dev == exe_dev and ino == exe_ino) continue;
        const seen = for (out[0..count]) |m| {
            if (m.dev == dev and m.ino == ino) break true;
        } else false;
        if (seen) continue;
        if (count == out.len) return error.@"2BIG";
        out[count] = .{ .dev = dev, .ino = ino, .path = undeleted(rest) };
        count += 1;
    }
    return count;
}

/// A mapped file's name without the kernel's " (deleted)" mark.
fn undeleted(path: []const u8) []const u8 {
    const mark = " (deleted)";
    return if (std.mem.endsWith(u8, path, mark)) path[0 .. path.len - mark.len] else path;
}

/// Kills the process for a check that could not be made, with a record: never run unchecked.
fn refuse(request: *const Request, path: []const u8, msg: []const u8, err: sys.Errno) bool {
    request.log.emit(.@"error", .{ .ctx = "exec", .op = "verify", .act = "kill", .pid = request.tid(), .path = path, .msg = msg, .err = @errorName(err) });
    return killed(request);
}

fn killed(request: *const Request) bool {
    _ = linux.kill(request.tid(), linux.SIG.KILL);
    return false;
}

test "parse_maps finds the loader and skips the program, anonymous and special mappings" {
    const text =
        \\5581a000-5581c000 r--p 00000000 08:01 1234 /usr/bin/true
        \\5581c000-55820000 r-xp 00002000 08:01 1234 /usr/bin/true
        \\7f00a000-7f00b000 r--p 00000000 08:01 77 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
        \\7f00b000-7f030000 r-xp 00001000 08:01 77 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
        \\7f030000-7f031000 r-xp 00026000 08:01 77 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
        \\7ffd0000-7ffd2000 r-xp 00000000 00:00 0 [vdso]
        \\7ffd3000-7ffd4000 rw-p 00000000 00:00 0 
        \\7ffd5000-7ffd6000 r-xp 00000000 00:05 99 /memfd:x (deleted)
        \\
    ;
    var out: [4]Mapped = undefined;
    const n = try parse_maps(text, sys.makedev(8, 1), 1234, &out);
    try std.testing.expectEqual(@as(usize, 2), n);
    try std.testing.expectEqualStrings("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", out[0].path);
    try std.testing.expectEqual(@as(u64, 77), out[0].ino);
    try std.testing.expectEqualStrings("/memfd:x", out[1].path);
    var one: [1]Mapped = undefined;
    try std.testing.expectError(error.@"2BIG", parse_maps(text, sys.makedev(8, 1), 1234, &one));
    try std.testing.expectError(error.INVAL, parse_maps("garbage\n", 0, 0, &out));
}

test "parse_maps survives any bytes" {
    var prng = std.Random.DefaultPrng.init(0x3a95);
    const random = prng.random();
    const alphabet = "0123456789abcdef:-/ rwxp\n[]";
    var buf: [512]u8 = undefined;
    var out: [4]Mapped = undefined;
    for (0..20_000) |_| {
        const len = random.uintAtMost(usize, buf.len);
        for (buf[0..len]) |*c| c.* = alphabet[random.uintLessThan(usize, alphabet.len)];
        const n = parse_maps(buf[0..len], 0, 0, &out) catch continue;
        try std.testing.expect(n <= out.len);
    }
}

test "makedev matches the kernel's st_dev encoding of this process's root" {
    var st: linux.Stat = undefined;
    _ = try sys.check(linux.fstatat(linux.AT.FDCWD, "/", &st, 0));
    const major: u32 = @intCast(((st.dev >> 8) & 0xfff) | ((st.dev >> 32) & ~@as(u64, 0xfff)));
    const minor: u32 = @intCast((st.dev & 0xff) | ((st.dev >> 12) & ~@as(u64, 0xff)));
    try std.testing.expectEqual(st.dev, sys.makedev(major, minor));
}

test {
    _ = tpe; // exec/tpe.zig's tests
    _ = segvguard;
}
