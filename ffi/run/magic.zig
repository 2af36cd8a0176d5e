//! The policy in force and `/dev/syd`'s channel to TypeScript.
//!
//! The policy is a chain of generations: each `/dev/syd` command that changes it adds one, and
//! the current one is swapped in with one atomic store; emulators load it once per request, so
//! a request is judged by one generation from start to end. Old generations are kept until the
//! sandbox is freed (a request may still hold one), at most `generations_max`.
//!
//! A command travels as one JSON line on a pipe (`{"id":N,"pid":P,"cmd":"..."}`) that
//! TypeScript reads; TypeScript parses it with the same parser as `-m` and answers through
//! `reply` (FFI) with an errno and, when the policy changed, the new compiled document. The
//! emulator that forwarded the command waits for that answer (bounded by `answer_timeout_ms`).
//!
//! Needs: futexes; pipes.
//! Assumes: `reply` is called from any one thread at a time (Deno's main thread); `forward`
//! from emulator threads. The pipe is written only while a slot is held, and at most
//! `pending_max` lines (each at most `line_len_max` bytes) are in it: it never fills.

const std = @import("std");
const linux = std.os.linux;
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");
const policy = @import("../judge/policy.zig");

/// Commands in flight at once; more are answered EBUSY.
pub const pending_max: usize = 8;
/// The longest command text (the part after /dev/syd/).
pub const command_len_max: usize = 4000;
const line_len_max: usize = 2 * command_len_max + 128; // escapes at most double the text
/// How long an emulator waits for TypeScript's answer before failing the call (EIO).
pub const answer_timeout_ms: u64 = 10_000;
pub const generations_max: usize = 1024;
/// How many times (1 ms apart) a command waits for a free slot before EBUSY.
const acquire_tries_max: u32 = 2000;
/// The most bytes of policy documents kept at once (each generation holds a whole document and
/// its parsed form, a few times its size).
pub const generations_bytes_max: usize = 32 << 20;

comptime {
    assert(pending_max * line_len_max < 65536); // a pipe holds 64 KiB: a write never blocks
}

/// One loaded policy document.
pub const Generation = struct {
    arena: std.heap.ArenaAllocator,
    policy: policy.Policy,
    /// The document's text, which reading /dev/syd returns.
    json: []const u8,

    pub fn create(json: []const u8, diag: *policy.Diag) sys.Errno!*Generation {
        const self = std.heap.c_allocator.create(Generation) catch return error.NOMEM;
        errdefer std.heap.c_allocator.destroy(self);
        self.arena = std.heap.ArenaAllocator.init(std.heap.c_allocator);
        errdefer self.arena.deinit();
        const allocator = self.arena.allocator();
        self.policy = try policy.load(allocator, json, diag);
        self.json = allocator.dupe(u8, json) catch return error.NOMEM;
        assert(self.json.len == json.len);
        return self;
    }

    pub fn destroy(self: *Generation) void {
        self.arena.deinit();
        std.heap.c_allocator.destroy(self);
    }
};

const SlotState = enum(u32) { free, pending, done, abandoned };

const Pending = struct {
    state: std.atomic.Value(u32) = .init(@intFromEnum(SlotState.free)),
    id: u64 = 0,
    errno_value: i32 = 0,
};

pub const Channel = struct {
    current: std.atomic.Value(*Generation),
    /// Every generation, for freeing; guarded by `mutex`.
    generations: [generations_max]*Generation = undefined,
    generations_len: usize = 0,
    generations_bytes: usize = 0,
    mutex: std.Thread.Mutex = .{},
    pending: [pending_max]Pending = [_]Pending{.{}} ** pending_max,
    next_id: u64 = 1,
    pipe_rd: i32,
    pipe_wr: i32,

    pub fn init(self: *Channel, first: *Generation) sys.Errno!void {
        const fds = try sys.pipe(true);
        self.* = .{ .current = .init(first), .pipe_rd = fds[0], .pipe_wr = fds[1] };
        self.generations[0] = first;
        self.generations_len = 1;
        assert(self.pipe_rd >= 0 and self.pipe_wr >= 0);
    }

    pub fn deinit(self: *Channel) void {
        if (self.pipe_rd >= 0) sys.close(self.pipe_rd);
        if (self.pipe_wr >= 0) sys.close(self.pipe_wr);
        for (self.generations[0..self.generations_len]) |generation| generation.destroy();
        self.generations_len = 0;
    }

    /// The policy in force now.
    pub fn policy_now(self: *const Channel) *const policy.Policy {
        return &self.current.load(.acquire).policy;
    }

    /// Sends `text` (a command) for the thread `pid` and waits for the answer's errno.
    /// `exiting` ends the wait early (EINTR).
    pub fn forward(self: *Channel, pid: i32, first: bool, text: []const u8, exiting: *const std.atomic.Value(bool)) sys.Errno!i32 {
        if (text.len == 0 or text.len > command_len_max) return @intFromEnum(linux.E.INVAL);
        if (!std.unicode.utf8ValidateSlice(text)) return @intFromEnum(linux.E.INVAL);
        // Wait for a free slot (bounded): commands of one busy process are not refused for
        // being many, only for taking too long.
        var tries: u32 = 0;
        const index = while (tries < acquire_tries_max) : (tries += 1) {
            if (self.acquire()) |free| break free;
            if (exiting.load(.acquire)) return error.INTR;
            sys.sleep_ms(1);
        } else return error.BUSY;
        const slot = &self.pending[index];
        var line_buf: [line_len_max]u8 = undefined;
        const line = format_line(&line_buf, slot.id, pid, first, text) catch {
            slot.state.store(@intFromEnum(SlotState.free), .release);
            return error.NAMETOOLONG;
        };
        _ = sys.write(self.pipe_wr, line) catch |err| {
            slot.state.store(@intFromEnum(SlotState.free), .release);
            return err;
        };
        return self.await_answer(slot, exiting);
    }

    fn acquire(self: *Channel) ?usize {
        self.mutex.lock();
        defer self.mutex.unlock();
        for (&self.pending, 0..) |*slot, index| {
            if (slot.state.load(.acquire) != @intFromEnum(SlotState.free)) continue;
            slot.id = self.next_id;
            self.next_id += 1;
            slot.errno_value = 0;
            slot.state.store(@intFromEnum(SlotState.pending), .release);
            return index;
        }
        return null;
    }

    fn await_answer(self: *Channel, slot: *Pending, exiting: *const std.atomic.Value(bool)) sys.Errno!i32 {
        _ = self;
        const pending = @intFromEnum(SlotState.pending);
        const deadline_ms = sys.monotonic_ms() + answer_timeout_ms;
        while (slot.state.load(.acquire) == pending) {
            const now_ms = sys.monotonic_ms();
            if (now_ms >= deadline_ms or exiting.load(.acquire)) {
                // Give the slot up, unless the answer arrived meanwhile.
                if (slot.state.cmpxchgStrong(pending, @intFromEnum(SlotState.abandoned), .acq_rel, .acquire) == null) {
                    return if (exiting.load(.acquire)) error.INTR else error.IO;
                }
                break;
            }
            sys.futex_wait(&slot.state, pending, @intCast(@min(deadline_ms - now_ms, 100)));
        }
        assert(slot.state.load(.acquire) == @intFromEnum(SlotState.done));
        const errno_value = slot.errno_value;
        slot.state.store(@intFromEnum(SlotState.free), .release);
        return errno_value;
    }

    /// TypeScript's answer to command `id`: an errno, and the new policy document when the
    /// command changed it. ESRCH when nobody waits for that id any more (the answer is dropped
    /// and the policy is not changed); the document's own errors otherwise.
    pub fn reply(self: *Channel, id: u64, errno_value: i32, json: ?[]const u8, diag: *policy.Diag) sys.Errno!void {
        const slot = self.find(id) orelse return error.SRCH;
        var generation: ?*Generation = null;
        const answer = errno_value;
        if (json) |text| {
            if (errno_value != 0) return error.INVAL;
            if (self.generations_len == generations_max) {
                self.finish(slot, @intFromEnum(linux.E.NOSPC));
                return error.NOSPC;
            }
            if (Generation.create(text, diag)) |created| {
                generation = created;
            } else |err| {
                self.finish(slot, @intFromEnum(linux.E.INVAL));
                return err;
            }
            // A policy the sandbox filter cannot enforce never goes in: getdents64 is trapped
            // only when list sandboxing was on at the start (run/sandbox.zig filter_options, from
            // the first generation). lib/magic.ts refuses such a command first; this holds
            // whatever TypeScript sends.
            if (list_turned_on(self.generations[0], generation.?)) {
                generation.?.destroy();
                diag.set("list sandboxing can only be turned on before the sandbox starts", .{});
                self.finish(slot, @intFromEnum(linux.E.BUSY));
                return error.BUSY;
            }
            // Past the budget only a policy that locks the sandbox still goes in (the last
            // slot is kept for it): no amount of changes may keep the sandbox from locking.
            const full = self.generations_len + 1 == generations_max or
                self.generations_bytes + text.len > generations_bytes_max;
            if (full and generation.?.policy.lock != .on) {
                generation.?.destroy();
                // Refused, and said so to TypeScript too, which then keeps its old state.
                diag.set("too many policy changes through /dev/syd ({d} kept)", .{self.generations_len});
                self.finish(slot, @intFromEnum(linux.E.NOSPC));
                return error.NOSPC;
            }
        }
        slot.errno_value = answer;
        if (slot.state.cmpxchgStrong(@intFromEnum(SlotState.pending), @intFromEnum(SlotState.done), .acq_rel, .acquire) != null) {
            // The emulator gave up waiting: its caller was told the command failed.
            if (generation) |g| g.destroy();
            slot.state.store(@intFromEnum(SlotState.free), .release);
            return error.SRCH;
        }
        if (generation) |g| self.swap(g);
        sys.futex_wake(&slot.state, 1);
    }

    /// Whether `next` has list sandboxing on where the sandbox started (`first`) without it.
    fn list_turned_on(first: *const Generation, next: *const Generation) bool {
        const list = @intFromEnum(policy.Cat.list);
        return next.policy.on[list] and !first.policy.on[list];
    }

    fn finish(self: *Channel, slot: *Pending, errno_value: i32) void {
        _ = self;
        slot.errno_value = errno_value;
        if (slot.state.cmpxchgStrong(@intFromEnum(SlotState.pending), @intFromEnum(SlotState.done), .acq_rel, .acquire) == null) {
            sys.futex_wake(&slot.state, 1);
        } else {
            slot.state.store(@intFromEnum(SlotState.free), .release);
        }
    }

    fn find(self: *Channel, id: u64) ?*Pending {
        self.mutex.lock();
        defer self.mutex.unlock();
        for (&self.pending) |*slot| {
            const state = slot.state.load(.acquire);
            if (slot.id == id and (state == @intFromEnum(SlotState.pending) or state == @intFromEnum(SlotState.abandoned))) return slot;
        }
        return null;
    }

    fn swap(self: *Channel, generation: *Generation) void {
        self.mutex.lock();
        defer self.mutex.unlock();
        assert(self.generations_len < generations_max);
        self.generations[self.generations_len] = generation;
        self.generations_len += 1;
        self.generations_bytes += generation.json.len;
        self.current.store(generation, .release);
    }
};

/// `{"id":N,"pid":P,"first":B,"cmd":"TEXT"}\n`, TEXT escaped as a JSON string; `first`: the
/// caller is the sandbox's first process (TypeScript applies lock:exec with it, in order).
fn format_line(buf: []u8, id: u64, pid: i32, first: bool, text: []const u8) ![]const u8 {
    var stream = std.io.fixedBufferStream(buf);
    const writer = stream.writer();
    try writer.print("{{\"id\":{d},\"pid\":{d},\"first\":{},\"cmd\":", .{ id, pid, first });
    try std.json.encodeJsonString(text, .{}, writer);
    try writer.writeAll("}\n");
    return stream.getWritten();
}

test "format_line escapes the command as a JSON string" {
    var buf: [256]u8 = undefined;
    const line = try format_line(&buf, 7, 42, true, "allow/read+/a\"b\\c\n");
    try std.testing.expectEqualStrings("{\"id\":7,\"pid\":42,\"first\":true,\"cmd\":\"allow/read+/a\\\"b\\\\c\\n\"}\n", line);
}

/// A policy document with every category off, for the tests below.
const test_policy_json =
    \\{"version":1,"log_level":"warn","pool":{"core":1,"max":1,"keep_alive_ms":100},"lock":null,
    \\"categories":[],"rules":[],"net_rules":[],"mask":[],"exec_kill":[],"exit_wait_all":false,
    \\"deny_dotdot":false,"allow_unsupp_socket":false,"timeout_ms":0}
;

test "a command is answered through reply, and a new generation swapped in" {
    var diag: policy.Diag = .{};
    const first = try Generation.create(test_policy_json, &diag);
    var channel: Channel = undefined;
    try channel.init(first);
    defer channel.deinit();
    var exiting: std.atomic.Value(bool) = .init(false);
    const Answerer = struct {
        fn run(c: *Channel, json: []const u8) void {
            var buf: [512]u8 = undefined;
            const n = sys.read(c.pipe_rd, &buf) catch 0;
            // Wait for the line, then answer it with a changed policy.
            var tries: u32 = 0;
            var len = n;
            while (len == 0 and tries < 1000) : (tries += 1) {
                sys.sleep_ms(1);
                len = sys.read(c.pipe_rd, &buf) catch 0;
            }
            var d: policy.Diag = .{};
            c.reply(1, 0, std.mem.replaceOwned(u8, std.heap.page_allocator, json, "\"warn\"", "\"info\"") catch unreachable, &d) catch unreachable;
        }
    };
    const thread = try std.Thread.spawn(.{}, Answerer.run, .{ &channel, test_policy_json });
    const errno_value = try channel.forward(1234, true, "sandbox/read:on", &exiting);
    thread.join();
    try std.testing.expectEqual(@as(i32, 0), errno_value);
    try std.testing.expectEqual(@import("log.zig").Level.info, channel.policy_now().log_level);
    try std.testing.expectEqual(@as(usize, 2), channel.generations_len);
    try std.testing.expectError(error.SRCH, channel.reply(1, 0, null, &diag)); // answered already
    try std.testing.expectEqual(@as(i32, @intFromEnum(linux.E.INVAL)), try channel.forward(1, false, "\xff", &exiting));
}

test "a policy that turns list sandboxing on after the start is refused (EBUSY): getdents64 is not trapped" {
    const on_json = try std.mem.replaceOwned(u8, std.testing.allocator, test_policy_json, "\"categories\":[]", "\"categories\":[{\"name\":\"list\",\"on\":true,\"default\":\"deny\"}]");
    defer std.testing.allocator.free(on_json);
    try std.testing.expect(on_json.len > test_policy_json.len); // the category went in
    var diag: policy.Diag = .{};
    for ([_]bool{ false, true }) |started_on| {
        const first = try Generation.create(if (started_on) on_json else test_policy_json, &diag);
        var channel: Channel = undefined;
        try channel.init(first);
        defer channel.deinit();
        channel.pending[0] = .{ .id = 7, .state = .init(@intFromEnum(SlotState.pending)) };
        const result = channel.reply(7, 0, on_json, &diag);
        if (started_on) {
            try result;
            try std.testing.expectEqual(@as(usize, 2), channel.generations_len);
        } else {
            try std.testing.expectError(error.BUSY, result);
            try std.testing.expectEqual(@as(usize, 1), channel.generations_len);
            try std.testing.expectEqual(@as(i32, @intFromEnum(linux.E.BUSY)), channel.pending[0].errno_value);
            try std.testing.expect(!channel.policy_now().on[@intFromEnum(policy.Cat.list)]);
        }
    }
}
