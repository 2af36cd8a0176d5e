//! The sandbox filter: the seccomp program loaded into the sandboxed child, built from the one
//! table of every system call (filter/table.zig): trapped calls go to syd's notify listener,
//! allowed calls to the kernel, refused ones get the table's errno, and every number without a
//! row (above the table) answers ENOSYS, the program's default.
//!
//! Needs: seccomp user notification (Linux 5.0); libseccomp to assemble the program.
//! Assumes: x86_64. Calls of any other architecture (the 32-bit x86 ABI, x32) kill the process:
//! syd judges only native calls and never lets another ABI through unjudged. The program is
//! built in the parent before `fork()` (libseccomp allocates) and loaded raw in the child.

const std = @import("std");
const assert = std.debug.assert;
const SYS = std.os.linux.SYS;
const E = std.os.linux.E;
const sys = @import("../kernel/sys.zig");
const scmp = @import("scmp.zig");
const table = @import("table.zig");

/// The calls syd always traps (or, traced, stops for its tracer), in number order (the categories that judge them are in the
/// README; `table.rows` names each one's handler).
pub const trapped = trapped: {
    @setEvalBranchQuota(10_000);
    var out: [count(.trap) + count(.trace)]SYS = undefined;
    var n: usize = 0;
    for (table.rows) |row| if (row.disposition == .trap or row.disposition == .trace) {
        out[n] = @enumFromInt(row.nr);
        n += 1;
    };
    const final = out;
    break :trapped final;
};

/// A call the filter answers itself, with an errno (0: a no-op that succeeds), when every
/// comparison in `args` holds (none: always). The kernel never runs it and syd never sees it.
pub const Answer = struct {
    nr: usize,
    errno: E,
    args: []const scmp.ArgCmp = &.{},
    /// Why, for `-E pfc` readers and reviewers.
    why: []const u8,
};

/// Every refusal of the table's answered calls, flattened (ioctl's, which apply only while
/// ioctl is not trapped, are in `table.rows`). The unconditional ENOSYS ones are the program's
/// default and add no rule.
pub const answered = answered: {
    @setEvalBranchQuota(20_000);
    var out: [refusals_count()]Answer = undefined;
    var n: usize = 0;
    for (table.rows) |row| if (row.disposition == .answer) for (row.disposition.answer.refusals) |r| {
        out[n] = .{ .nr = row.nr, .errno = r.errno, .args = r.args, .why = r.why };
        n += 1;
    };
    const final = out;
    break :answered final;
};

pub const ioctls_refused = table.ioctls_refused;

fn count(comptime tag: std.meta.Tag(table.Disposition)) usize {
    var n: usize = 0;
    for (table.rows) |row| n += @intFromBool(row.disposition == tag);
    return n;
}

fn refusals_count() usize {
    var n: usize = 0;
    for (table.rows) |row| if (row.disposition == .answer) {
        n += row.disposition.answer.refusals.len;
    };
    return n;
}

comptime {
    @setEvalBranchQuota(100_000);
    assert(trapped.len < 128);
    for (trapped, 0..) |a, i| for (trapped[i + 1 ..]) |b| assert(a != b);
    // A call is either trapped or answered by the filter, never both.
    for (answered) |a| for (trapped) |t| assert(a.nr != @intFromEnum(t));
    // Every table option is a filter option.
    for (std.enums.values(table.Option)) |option| assert(@hasField(Options, @tagName(option)));
}

/// One classic BPF instruction (`struct sock_filter`).
pub const SockFilter = extern struct { code: u16, jt: u8, jf: u8, k: u32 };
comptime {
    assert(@sizeOf(SockFilter) == 8);
}

/// Programs are at most BPF_MAXINSNS instructions.
pub const program_len_max: usize = 4096;

/// What the policy asks the filter for beyond the calls always trapped (`table.Option`).
pub const Options = struct {
    /// Trap ioctl(2) too: only when ioctl sandboxing is on, since terminals call it constantly.
    trap_ioctl: bool = false,
    /// Trap socket(2) too: while network sandboxing is on, to refuse unjudged families.
    trap_socket: bool = false,
    /// Trap the calls that make pathless fds (pipe, eventfd, memfd...): while create
    /// sandboxing is on, to judge them by their kind's name.
    trap_create: bool = false,
    /// syd traces the sandbox: the table's `trace` rows stop for the tracer, not the listener.
    traced: bool = false,
    /// The original's relaxations of the filter's hardening (table.Option), all off by default.
    allow_unsafe_futex: bool = false,
    allow_unsafe_cbpf: bool = false,
    allow_unsafe_shm: bool = false,
    allow_unsafe_perm_shm: bool = false,
    allow_unsafe_copy: bool = false,
    allow_unsafe_personality: bool = false,
    allow_unsafe_sysinfo: bool = false,
    /// trace/allow_unsafe_oob: MSG_OOB in receives and SO_OOBINLINE are not refused.
    allow_oob: bool = false,
    /// trace/allow_unsafe_exec_memory: W^X lifted (table.zig `mmap_row`, `mprotect_row`).
    allow_unsafe_exec_memory: bool = false,
    /// mknod and mknodat of a block device kill the process (SIGSYS), as the original's, unless
    /// trace/allow_unsafe_mkbdev:1; of a character device, unless trace/allow_unsafe_mkcdev:1.
    kill_mkbdev: bool = false,
    kill_mkcdev: bool = false,
    /// Memory sandboxing is on: mmap, brk and mremap are trapped (handlers/memory.zig).
    trap_memory: bool = false,
    /// Exec, Force or TPE sandboxing is on: mmap of a file with PROT_EXEC stops (exec/mmap.zig).
    trap_mmap_exec: bool = false,
    /// List sandboxing on at start: getdents64 performed by syd (handlers/dir.zig).
    trap_list: bool = false,
    /// SafeSetID's transits (handlers/setid.zig): uid calls judged, gid calls and setgroups.
    trap_setuid: bool = false,
    trap_setgid: bool = false,
};

/// The program's answer to every number without a row, and to the table's ENOSYS refusals.
const act_default = scmp.act_errno(@intFromEnum(E.NOSYS));

/// Assembles the sandbox filter into a libseccomp context the caller releases: a rule per row
/// of the table (allowed calls are rules too, since the default refuses).
pub fn build(options: Options) sys.Errno!scmp.Ctx {
    const ctx = try scmp.init(act_default);
    errdefer scmp.release(ctx);
    try scmp.attr_set(ctx, .act_badarch, scmp.act_kill_process);
    try scmp.attr_set(ctx, .ctl_nnp, 0); // syd sets no_new_privs itself, in the child.
    try scmp.attr_set(ctx, .ctl_optimize, 2); // A binary tree: O(log n) per call.
    for (table.rows) |row| try add_disposition(ctx, options, row.nr, resolve(row.disposition, options));
    return ctx;
}

/// A disposition with its `choose`s decided by `options` (bounded: the table nests few).
fn resolve(disposition: table.Disposition, options: Options) table.Disposition {
    var d = disposition;
    var depth: usize = 0;
    while (d == .choose) : (depth += 1) {
        assert(depth < 8);
        d = if (option_set(options, d.choose.option)) d.choose.set.* else d.choose.unset.*;
    }
    return d;
}

fn add_disposition(ctx: scmp.Ctx, options: Options, nr: usize, disposition: table.Disposition) sys.Errno!void {
    assert(disposition != .choose);
    switch (disposition) {
        .trap => try add_trap(ctx, options, nr),
        .trace => try scmp.rule_add(ctx, if (options.traced) scmp.act_trace else scmp.act_notify, nr),
        .trap_if => |t| if (option_set(options, t.option)) {
            try scmp.rule_add(ctx, scmp.act_notify, nr);
        } else switch (t.otherwise) {
            .allow => try scmp.rule_add(ctx, scmp.act_allow, nr),
            .answer => |a| try add_answer(ctx, nr, a, options),
        },
        .allow => try scmp.rule_add(ctx, scmp.act_allow, nr),
        .answer => |a| try add_answer(ctx, nr, a, options),
        .kill => try scmp.rule_add(ctx, scmp.act_kill_process, nr),
        .by_args => |b| try add_by_args(ctx, options, nr, b),
        .choose => unreachable, // resolved
    }
}

fn act_of(act: table.Act, options: Options) u32 {
    return switch (act) {
        .allow => scmp.act_allow,
        .errno => |e| scmp.act_errno(@intFromEnum(e)),
        .kill => scmp.act_kill_process,
        .trap => scmp.act_notify,
        .trace => if (options.traced) scmp.act_trace else scmp.act_notify,
    };
}

/// Each case's rule, and for the rest a rule that always holds (`argument >= 0` on the lowest
/// argument the cases compare), tried after the cases as `add_answer` explains; an ENOSYS rest
/// is the program's default and adds no rule.
fn add_by_args(ctx: scmp.Ctx, options: Options, nr: usize, b: table.ByArgs) sys.Errno!void {
    assert(table.disposition_valid(.{ .by_args = b }));
    for (b.cases) |c| try scmp.rule_add_cmps(ctx, act_of(c.act, options), nr, c.args);
    const rest = act_of(b.rest, options);
    if (rest == act_default) return;
    const always = [_]scmp.ArgCmp{.{ .arg = table.by_args_lowest(b), .op = .ge, .datum_a = 0, .datum_b = 0 }};
    try scmp.rule_add_cmps(ctx, rest, nr, &always);
}

/// The argument holding a node's mode, for the calls that make device nodes.
fn mode_arg(nr: usize) ?c_uint {
    if (nr == @intFromEnum(SYS.mknod)) return 1;
    if (nr == @intFromEnum(SYS.mknodat)) return 2;
    return null;
}

const s_ifmt: u64 = 0o170000;
const device_kinds = [_]struct { kind: u64, option: []const u8 }{
    .{ .kind = 0o060000, .option = "kill_mkbdev" }, // S_IFBLK
    .{ .kind = 0o020000, .option = "kill_mkcdev" }, // S_IFCHR
};

/// A trapped call's rules: notify, but for mknod and mknodat a device node of a kind the
/// options refuse kills the process first (the kernel reads the mode as a 16-bit umode_t: only
/// its S_IFMT bits are compared; libseccomp tries the equality before the `>=` that always
/// holds, as `add_answer`).
fn add_trap(ctx: scmp.Ctx, options: Options, nr: usize) sys.Errno!void {
    const arg = mode_arg(nr) orelse return scmp.rule_add(ctx, scmp.act_notify, nr);
    if (!options.kill_mkbdev and !options.kill_mkcdev) return scmp.rule_add(ctx, scmp.act_notify, nr);
    inline for (device_kinds) |device| if (@field(options, device.option)) {
        const cmp = [_]scmp.ArgCmp{.{ .arg = arg, .op = .masked_eq, .datum_a = s_ifmt, .datum_b = device.kind }};
        try scmp.rule_add_cmps(ctx, scmp.act_kill_process, nr, &cmp);
    };
    const rest = [_]scmp.ArgCmp{.{ .arg = arg, .op = .ge, .datum_a = 0, .datum_b = 0 }};
    try scmp.rule_add_cmps(ctx, scmp.act_notify, nr, &rest);
}

/// Whether the options make the filter kill this call (a device node `add_trap` refuses).
fn node_killed(options: Options, nr: usize, args: [6]u64) bool {
    const arg = mode_arg(nr) orelse return false;
    inline for (device_kinds) |device| {
        if (@field(options, device.option) and args[arg] & s_ifmt == device.kind) return true;
    }
    return false;
}

fn option_set(options: Options, option: table.Option) bool {
    return switch (option) {
        inline else => |o| @field(options, @tagName(o)),
    };
}

/// The refusals of an answer, and for a conditional one an allow rule that always holds
/// (`argument >= 0` on the lowest argument the refusals compare): libseccomp orders a call's
/// comparisons by argument, then operator (equalities before `>=`) and tries them in turn, so
/// the refusals are tried first and the allow rule takes the rest. The test below runs the
/// exported program to prove it.
fn add_answer(ctx: scmp.Ctx, nr: usize, answer: table.Answer, options: Options) sys.Errno!void {
    assert(table.disposition_valid(.{ .answer = answer }));
    for (answer.refusals) |r| {
        assert(r.unless == null or answer.otherwise != null); // lifted: the call is allowed
        if (r.unless) |option| if (option_set(options, option)) continue;
        const action = scmp.act_errno(@intFromEnum(r.errno));
        if (r.args.len > 0) {
            try scmp.rule_add_cmps(ctx, action, nr, r.args);
        } else if (action != act_default) {
            try scmp.rule_add(ctx, action, nr);
        } // else: the default answers it (libseccomp refuses a rule with the default's action).
    }
    if (answer.otherwise == null) return;
    const rest = [_]scmp.ArgCmp{.{ .arg = table.lowest_arg(answer), .op = .ge, .datum_a = 0, .datum_b = 0 }};
    try scmp.rule_add_cmps(ctx, scmp.act_allow, nr, &rest);
}

/// Exports `ctx` as raw BPF into `out` (through a memfd); returns the instructions.
pub fn export_program(ctx: scmp.Ctx, out: []SockFilter) sys.Errno![]SockFilter {
    assert(out.len >= 1);
    const linux = std.os.linux;
    const fd: i32 = @intCast(try sys.check(linux.memfd_create("syd-bpf", linux.MFD.CLOEXEC)));
    defer sys.close(fd);
    try scmp.export_bpf(ctx, fd);
    _ = try sys.check(linux.lseek(fd, 0, linux.SEEK.SET));
    const bytes = std.mem.sliceAsBytes(out);
    const len = try sys.read_full(fd, bytes);
    if (len == bytes.len) return error.@"2BIG"; // Did not fit: never load a cut program.
    if (len == 0 or len % @sizeOf(SockFilter) != 0) return error.INVAL;
    const program = out[0 .. len / @sizeOf(SockFilter)];
    assert(program.len <= program_len_max);
    return program;
}

test {
    _ = table;
}

test "the sandbox filter assembles and exports a whole program" {
    const ctx = try build(.{});
    defer scmp.release(ctx);
    var buf: [program_len_max + 1]SockFilter = undefined;
    const program = try export_program(ctx, &buf);
    try std.testing.expect(program.len > trapped.len); // a jump per trapped call at least
    // The last instruction returns; the first loads the architecture.
    try std.testing.expectEqual(@as(u16, 0x06), program[program.len - 1].code & 0x07);
    try std.testing.expectEqual(@as(u32, 4), program[0].k); // offsetof(seccomp_data, arch)
}

/// `struct seccomp_data` as a classic BPF program reads it (little-endian words).
const Data = struct {
    nr: u32,
    arch: u32 = audit_arch_x86_64,
    args: [6]u64 = .{0} ** 6,

    fn word(self: *const Data, offset: u32) error{BadLoad}!u32 {
        if (offset == 0) return self.nr;
        if (offset == 4) return self.arch;
        if (offset == 8 or offset == 12) return 0; // the instruction pointer
        if (offset < 16 or offset >= 64 or offset % 4 != 0) return error.BadLoad;
        const arg = self.args[(offset - 16) / 8];
        return if (offset % 8 == 0) @truncate(arg) else @truncate(arg >> 32);
    }
};

const audit_arch_x86_64: u32 = 62 | 0x80000000 | 0x40000000;
const audit_arch_i386: u32 = 3 | 0x40000000;

/// Runs a classic BPF program the way the kernel runs a seccomp filter; returns its action.
/// Knows the instructions libseccomp emits; any other fails the test.
fn run_program(program: []const SockFilter, data: Data) !u32 {
    var a: u32 = 0;
    var x: u32 = 0;
    var scratch: [16]u32 = .{0} ** 16;
    var pc: usize = 0;
    while (pc < program.len) { // every jump goes forward: at most program.len steps
        const insn = program[pc];
        pc += 1;
        switch (insn.code) {
            0x20 => a = try data.word(insn.k), // ld [k]
            0x00 => a = insn.k, // ld #k
            0x01 => x = insn.k, // ldx #k
            0x60 => a = scratch[insn.k], // ld M[k]
            0x61 => x = scratch[insn.k], // ldx M[k]
            0x02 => scratch[insn.k] = a, // st M[k]
            0x03 => scratch[insn.k] = x, // stx M[k]
            0x54 => a &= insn.k, // and #k
            0x07 => x = a, // tax
            0x87 => a = x, // txa
            0x05 => pc += insn.k, // ja
            0x15 => pc += if (a == insn.k) insn.jt else insn.jf, // jeq #k
            0x25 => pc += if (a > insn.k) insn.jt else insn.jf, // jgt #k
            0x35 => pc += if (a >= insn.k) insn.jt else insn.jf, // jge #k
            0x45 => pc += if (a & insn.k != 0) insn.jt else insn.jf, // jset #k
            0x06 => return insn.k, // ret #k
            0x16 => return a, // ret a
            else => return error.UnknownInstruction,
        }
    }
    return error.RanOffTheEnd;
}

/// What the table says the filter answers for one call.
fn expected_action(row: table.Row, options: Options, args: [6]u64) u32 {
    if (node_killed(options, row.nr, args)) return scmp.act_kill_process;
    return switch (resolve(row.disposition, options)) {
        .trap => scmp.act_notify,
        .trace => if (options.traced) scmp.act_trace else scmp.act_notify,
        .trap_if => |t| if (option_set(options, t.option)) scmp.act_notify else switch (t.otherwise) {
            .allow => scmp.act_allow,
            .answer => |a| expected_answer(a, args, options),
        },
        .allow => scmp.act_allow,
        .answer => |a| expected_answer(a, args, options),
        .kill => scmp.act_kill_process,
        .by_args => |b| act_of(table.by_args_act(b, args), options),
        .choose => unreachable,
    };
}

fn expected_answer(answer: table.Answer, args: [6]u64, options: Options) u32 {
    for (answer.refusals) |r| {
        if (r.unless) |option| if (option_set(options, option)) continue;
        if (holds(r.args, args)) return scmp.act_errno(@intFromEnum(r.errno));
    }
    return scmp.act_allow;
}

fn holds(cmps: []const scmp.ArgCmp, args: [6]u64) bool {
    for (cmps) |c| {
        const v = args[c.arg];
        const ok = switch (c.op) {
            .ne => v != c.datum_a,
            .lt => v < c.datum_a,
            .le => v <= c.datum_a,
            .eq => v == c.datum_a,
            .ge => v >= c.datum_a,
            .gt => v > c.datum_a,
            .masked_eq => v & c.datum_a == c.datum_b,
        };
        if (!ok) return false;
    }
    return true;
}

/// Arguments that meet every comparison of `cmps`, with `noise` in what they leave free.
fn meeting(cmps: []const scmp.ArgCmp, noise: [6]u64) [6]u64 {
    var args = noise;
    for (cmps) |c| args[c.arg] = switch (c.op) {
        .eq, .le, .ge => c.datum_a,
        .ne, .gt => c.datum_a +% 1,
        .lt => c.datum_a -% 1,
        .masked_eq => c.datum_b | (noise[c.arg] & ~c.datum_a),
    };
    return args;
}

fn expect_row(program: []const SockFilter, row: table.Row, options: Options, args: [6]u64) !void {
    const got = try run_program(program, .{ .nr = row.nr, .args = args });
    const want = expected_action(row, options, args);
    if (got != want) {
        std.debug.print("{s} ({d}) {any}: program 0x{x}, table 0x{x}\n", .{ row.name, row.nr, args, got, want });
        return error.TestUnexpectedResult;
    }
}

test "the program does what the table says, for every number and every option" {
    var prng = std.Random.DefaultPrng.init(0x5bd);
    const random = prng.random();
    for ([_]Options{
        .{},
        .{ .trap_ioctl = true },
        .{ .trap_socket = true },
        .{ .trap_create = true },
        .{ .trap_ioctl = true, .trap_socket = true, .trap_create = true, .traced = true },
        .{ .allow_unsafe_futex = true, .allow_unsafe_cbpf = true, .allow_unsafe_shm = true },
        .{ .allow_unsafe_shm = true, .allow_unsafe_perm_shm = true, .allow_unsafe_copy = true },
        .{ .allow_oob = true, .allow_unsafe_personality = true, .allow_unsafe_sysinfo = true },
        .{ .kill_mkbdev = true },
        .{ .kill_mkbdev = true, .kill_mkcdev = true, .traced = true },
        .{ .trap_memory = true },
        .{ .trap_mmap_exec = true, .traced = true },
        .{ .trap_mmap_exec = true, .trap_memory = true, .traced = true },
        .{ .trap_mmap_exec = true, .trap_memory = true },
        .{ .allow_unsafe_exec_memory = true },
        .{ .allow_unsafe_exec_memory = true, .trap_mmap_exec = true, .traced = true },
        .{ .allow_unsafe_exec_memory = true, .trap_mmap_exec = true, .trap_memory = true },
        .{ .trap_setuid = true, .traced = true },
        .{ .trap_setgid = true },
        .{ .trap_setuid = true, .trap_setgid = true, .traced = true },
    }) |options| {
        const ctx = try build(options);
        defer scmp.release(ctx);
        var buf: [program_len_max + 1]SockFilter = undefined;
        const program = try export_program(ctx, &buf);
        for (table.rows) |row| {
            var samples: [8][6]u64 = undefined;
            samples[0] = .{0} ** 6;
            samples[1] = .{std.math.maxInt(u64)} ** 6;
            for (samples[2..]) |*s| for (s, 0..) |*arg, i| {
                arg.* = if (i % 2 == 0) random.int(u64) else random.uintLessThan(u64, 64);
            };
            // Device nodes (any permission and high bits): block, character, and a FIFO.
            for ([_]u64{ 0o060644, 0xffff_0000_0002_1000 | 0o020600, 0o010644 }, 5..) |mode, i| {
                samples[i][1] = mode;
                samples[i][2] = mode;
            }
            for (samples) |args| try expect_row(program, row, options, args);
            // Arguments that meet each refusal, and the same with one argument off by a bit.
            const resolved = resolve(row.disposition, options);
            const answer: ?table.Answer = switch (resolved) {
                .answer => |a| a,
                .trap_if => |t| if (t.otherwise == .answer) t.otherwise.answer else null,
                else => null,
            };
            var conditions: [16][]const scmp.ArgCmp = undefined;
            var conditions_len: usize = 0;
            if (answer) |a| for (a.refusals) |r| {
                conditions[conditions_len] = r.args;
                conditions_len += 1;
            };
            if (resolved == .by_args) for (resolved.by_args.cases) |c| {
                conditions[conditions_len] = c.args;
                conditions_len += 1;
            };
            for (conditions[0..conditions_len]) |cmps| for (samples) |noise| {
                const met = meeting(cmps, noise);
                try expect_row(program, row, options, met);
                for (cmps) |c| for ([_]u64{ 1, 1 << 31, 1 << 32, 1 << 63 }) |bit| {
                    var off = met;
                    off[c.arg] ^= bit;
                    try expect_row(program, row, options, off);
                };
            };
        }
        // Numbers above the table answer ENOSYS; other ABIs (x32, i386) kill.
        const enosys = scmp.act_errno(@intFromEnum(E.NOSYS));
        var nr: u32 = table.nr_max + 1;
        while (nr < 2048) : (nr += 1) try std.testing.expectEqual(enosys, try run_program(program, .{ .nr = nr }));
        try std.testing.expectEqual(enosys, try run_program(program, .{ .nr = 0x3fff_ffff }));
        try std.testing.expectEqual(scmp.act_kill_process, try run_program(program, .{ .nr = 0x4000_0000 }));
        try std.testing.expectEqual(scmp.act_kill_process, try run_program(program, .{ .nr = 0x4000_0000 | 257 }));
        try std.testing.expectEqual(scmp.act_kill_process, try run_program(program, .{ .nr = 5, .arch = audit_arch_i386 }));
    }
}
