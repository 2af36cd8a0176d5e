//! Event log: one JSON object per line into a non-blocking pipe that TypeScript reads.
//!
//! Needs: pipes with atomic writes up to PIPE_BUF (4096 bytes) so lines never interleave.
//! Assumes: any thread may call `emit` at any time; it never allocates. A line that does not
//! fit, or finds the pipe full, is dropped and counted (`dropped`), never waited for. A line
//! longer than PIPE_BUF (a path longer than PATH_MAX, up to long_line_len_max) is written
//! while no other line is (an exclusive lock; short lines share it), and waited for at most
//! `long_wait_ms` when the pipe is full midway. TypeScript adds the time when it reads a line.
//!
//! Access records (`"ctx":"access"`: denials, warnings) are handed over synchronously: each is
//! written with a sequence number (`"sync":N`) and its writer waits, at most `sync_wait_ns`,
//! until the reader acknowledges that number (`ack`) after writing the record out. The denied
//! call is answered only then, so on a terminal the record comes before what the program prints
//! next, as the original's (which writes records from its emulator threads). A reader that is
//! slower than that only delays the records, it never stops a call for longer.

const std = @import("std");
const assert = std.debug.assert;
const sys = @import("../kernel/sys.zig");

/// syslog's levels, as the original syd logs them.
pub const Level = enum(u8) {
    @"error" = 3,
    warn = 4,
    notice = 5,
    info = 6,
    debug = 7,

    pub fn parse(name: []const u8) ?Level {
        return std.meta.stringToEnum(Level, name);
    }
};

/// The longest line written in one atomic write(): PIPE_BUF.
pub const line_len_max: usize = 4096;
/// The longest line at all: a record naming a path of 8 × PATH_MAX (path.long_len_max).
pub const long_line_len_max: usize = 40 * 1024;
/// How long a long line waits, in all, for room in a full pipe once it is partly written.
const long_wait_ms: u32 = 1000;

/// The longest wait of an access record's writer for the reader's acknowledgement.
pub const sync_wait_ns: u64 = 250 * std.time.ns_per_ms;

pub const Log = struct {
    fd: i32,
    level_max: Level,
    dropped: std.atomic.Value(u64) = .init(0),
    written: std.atomic.Value(u64) = .init(0),
    /// Orders the synchronous records in the pipe as their sequence numbers.
    sync_mutex: std.Thread.Mutex = .{},
    /// The sequence number of the last synchronous record written (under `sync_mutex`).
    sync_seq: u32 = 0,
    /// The last sequence number the reader acknowledged (a futex word).
    sync_acked: std.atomic.Value(u32) = .init(0),
    /// Shared by short lines (atomic among themselves), held alone by a long one.
    lock: std.Thread.RwLock = .{},

    pub fn enabled(self: *const Log, level: Level) bool {
        return @intFromEnum(level) <= @intFromEnum(self.level_max);
    }

    /// Writes `{"level":...,<fields>}` as one line, or counts it as dropped. An access record
    /// waits for the reader (see the file's header).
    pub fn emit(self: *Log, level: Level, fields: anytype) void {
        if (!self.enabled(level)) return;
        if (@hasField(@TypeOf(fields), "ctx")) {
            if (std.mem.eql(u8, fields.ctx, "access")) return self.emit_sync(level, fields);
        }
        var buf: [line_len_max]u8 = undefined;
        const line = format(&buf, level, fields) orelse return self.emit_long(level, fields);
        assert(line.len <= line_len_max and line[line.len - 1] == '\n');
        if (self.fd < 0) return;
        self.lock.lockShared();
        const n = sys.write(self.fd, line) catch 0;
        self.lock.unlockShared();
        if (n == line.len) {
            _ = self.written.fetchAdd(1, .monotonic);
        } else {
            _ = self.dropped.fetchAdd(1, .monotonic);
        }
    }

    fn emit_sync(self: *Log, level: Level, fields: anytype) void {
        assert(self.enabled(level));
        if (self.fd < 0) return;
        var buf: [line_len_max]u8 = undefined;
        const seq = blk: {
            self.sync_mutex.lock();
            defer self.sync_mutex.unlock();
            const seq = self.sync_seq +% 1;
            const written = if (format_seq(&buf, level, seq, fields)) |line| written: {
                self.lock.lockShared();
                defer self.lock.unlockShared();
                const n = sys.write(self.fd, line) catch 0;
                break :written n == line.len;
            } else self.write_long_seq(level, seq, fields);
            if (!written) {
                _ = self.dropped.fetchAdd(1, .monotonic);
                return;
            }
            _ = self.written.fetchAdd(1, .monotonic);
            self.sync_seq = seq;
            break :blk seq;
        };
        self.wait_acked(seq);
    }

    /// Waits until the reader acknowledged `seq` (or a later one), at most `sync_wait_ns`.
    fn wait_acked(self: *Log, seq: u32) void {
        var timer = std.time.Timer.start() catch return;
        var round: u32 = 0;
        while (round < 1000) : (round += 1) {
            const acked = self.sync_acked.load(.acquire);
            // Serial numbers: `acked` is at or past `seq` when their distance is below 2^31.
            if (acked -% seq < (1 << 31)) return;
            const spent = timer.read();
            if (spent >= sync_wait_ns) return;
            std.Thread.Futex.timedWait(&self.sync_acked, acked, sync_wait_ns - spent) catch {};
        }
    }

    /// The reader wrote every synchronous record up to `seq`: wakes their writers.
    pub fn ack(self: *Log, seq: u32) void {
        self.sync_acked.store(seq, .release);
        std.Thread.Futex.wake(&self.sync_acked, std.math.maxInt(u32));
    }

    /// A record longer than PIPE_BUF: formatted in its own frame (the common one stays
    /// small) and written whole while no other line is.
    noinline fn emit_long(self: *Log, level: Level, fields: anytype) void {
        var buf: [long_line_len_max]u8 = undefined;
        const line = format(&buf, level, fields) orelse {
            _ = self.dropped.fetchAdd(1, .monotonic);
            return;
        };
        assert(line.len > line_len_max and line[line.len - 1] == '\n');
        if (self.fd < 0) return;
        self.lock.lock();
        defer self.lock.unlock();
        if (self.write_waiting(line)) {
            _ = self.written.fetchAdd(1, .monotonic);
        } else {
            _ = self.dropped.fetchAdd(1, .monotonic);
        }
    }

    /// An access record longer than PIPE_BUF, with its sequence number: written whole while no
    /// other line is (see emit_long); whether it was.
    noinline fn write_long_seq(self: *Log, level: Level, seq: u32, fields: anytype) bool {
        var buf: [long_line_len_max]u8 = undefined;
        const line = format_seq(&buf, level, seq, fields) orelse return false;
        assert(line.len > line_len_max and line[line.len - 1] == '\n');
        self.lock.lock();
        defer self.lock.unlock();
        return self.write_waiting(line);
    }

    /// Writes `line` whole, waiting for room (poll) at most long_wait_ms in all; false when
    /// nothing or only part of it was written (a part is ended with a newline).
    fn write_waiting(self: *Log, line: []const u8) bool {
        assert(line.len > 0);
        var done: usize = 0;
        var waited_ms: u32 = 0;
        var rounds: u32 = 0;
        while (done < line.len and rounds < long_wait_ms + long_line_len_max) : (rounds += 1) {
            const n = sys.write(self.fd, line[done..]) catch |err| {
                // A full pipe before any byte: dropped as a short line is; midway: waited for.
                if (err != error.AGAIN or done == 0 or waited_ms >= long_wait_ms) break;
                var pfd = [1]std.posix.pollfd{.{ .fd = self.fd, .events = std.posix.POLL.OUT, .revents = 0 }};
                _ = std.posix.poll(&pfd, 10) catch {};
                waited_ms += 10;
                continue;
            };
            done += n;
        }
        if (done == line.len) return true;
        if (done > 0) _ = sys.write(self.fd, "\n") catch 0; // never glue the next line onto a part
        return false;
    }
};

/// Formats one record with its sequence number first (`{"sync":N,"level":...}`).
fn format_seq(buf: []u8, level: Level, seq: u32, fields: anytype) ?[]const u8 {
    assert(buf.len >= 64);
    const head = std.fmt.bufPrint(buf, "{{\"sync\":{d},", .{seq}) catch return null;
    const line = format(buf[head.len - 1 ..], level, fields) orelse return null;
    assert(line[0] == '{');
    buf[head.len - 1] = ','; // the record's `{` overwrote the head's `,`
    return buf[0 .. head.len - 1 + line.len];
}

/// Formats one record into `buf`; null when it does not fit.
pub fn format(buf: []u8, level: Level, fields: anytype) ?[]const u8 {
    assert(buf.len >= 64);
    var stream = std.io.fixedBufferStream(buf);
    const w = stream.writer();
    w.print("{{\"level\":\"{s}\"", .{@tagName(level)}) catch return null;
    const start = stream.pos;
    std.json.stringify(fields, .{}, w) catch return null;
    const body = buf[start..stream.pos];
    assert(body.len >= 2);
    if (body.len == 2) { // `{}`, or `[]` for the empty tuple `.{}`
        buf[start] = '}';
        stream.pos = start + 1;
    } else {
        assert(body[0] == '{' and body[body.len - 1] == '}');
        buf[start] = ','; // `{"a":1}` becomes `,"a":1}` after the level.
    }
    w.writeByte('\n') catch return null;
    return buf[0..stream.pos];
}

test "format writes the level first and escapes strings" {
    var buf: [256]u8 = undefined;
    const line = format(&buf, .debug, .{ .ctx = "pool", .msg = "a\"b\n", .n = 3 }).?;
    try std.testing.expectEqualStrings(
        "{\"level\":\"debug\",\"ctx\":\"pool\",\"msg\":\"a\\\"b\\n\",\"n\":3}\n",
        line,
    );
    try std.testing.expectEqualStrings("{\"level\":\"warn\"}\n", format(&buf, .warn, .{}).?);
}

test "format refuses a record longer than the buffer" {
    var buf: [64]u8 = undefined;
    try std.testing.expect(format(&buf, .info, .{ .msg = "x" ** 100 }) == null);
}

test "format_seq writes the sequence number first" {
    var buf: [256]u8 = undefined;
    try std.testing.expectEqualStrings(
        "{\"sync\":7,\"level\":\"warn\",\"ctx\":\"access\"}\n",
        format_seq(&buf, .warn, 7, .{ .ctx = "access" }).?,
    );
}

test "an access record waits for the reader's acknowledgement, at most sync_wait_ns" {
    const fds = try sys.pipe(true);
    defer sys.close(fds[0]);
    defer sys.close(fds[1]);
    var log: Log = .{ .fd = fds[1], .level_max = .debug };
    log.ack(1); // acknowledged ahead: no wait
    var timer = try std.time.Timer.start();
    log.emit(.warn, .{ .ctx = "access", .n = 1 });
    try std.testing.expect(timer.read() < sync_wait_ns);
    timer.reset();
    log.emit(.warn, .{ .ctx = "access", .n = 2 }); // nobody acknowledges 2
    try std.testing.expect(timer.read() >= sync_wait_ns);
    try std.testing.expectEqual(@as(u64, 2), log.written.load(.monotonic));
}

test "emit writes a line longer than PIPE_BUF whole" {
    const fds = try sys.pipe(true);
    defer sys.close(fds[0]);
    defer sys.close(fds[1]);
    var log: Log = .{ .fd = fds[1], .level_max = .debug };
    const long = "p" ** (3 * line_len_max);
    log.emit(.warn, .{ .path = long });
    try std.testing.expectEqual(@as(u64, 1), log.written.load(.monotonic));
    var got: [4 * line_len_max]u8 = undefined;
    const n = try sys.read(fds[0], &got);
    try std.testing.expectEqualStrings("{\"level\":\"warn\",\"path\":\"" ++ long ++ "\"}\n", got[0..n]);
    log.emit(.warn, .{ .path = "q" ** long_line_len_max }); // past the longest line: dropped
    try std.testing.expectEqual(@as(u64, 1), log.dropped.load(.monotonic));
}

test "an access record longer than PIPE_BUF is written whole with its sequence number" {
    const fds = try sys.pipe(true);
    defer sys.close(fds[0]);
    defer sys.close(fds[1]);
    var log: Log = .{ .fd = fds[1], .level_max = .debug };
    log.ack(1);
    const long = "p" ** (3 * line_len_max);
    log.emit(.warn, .{ .ctx = "access", .path = long });
    try std.testing.expectEqual(@as(u64, 1), log.written.load(.monotonic));
    var got: [4 * line_len_max]u8 = undefined;
    const n = try sys.read(fds[0], &got);
    try std.testing.expectEqualStrings("{\"sync\":1,\"level\":\"warn\",\"ctx\":\"access\",\"path\":\"" ++ long ++ "\"}\n", got[0..n]);
}

test "emit drops and counts when the pipe is full" {
    const fds = try sys.pipe(true);
    defer sys.close(fds[0]);
    defer sys.close(fds[1]);
    var log: Log = .{ .fd = fds[1], .level_max = .debug };
    log.emit(.info, .{ .msg = "hello" });
    try std.testing.expectEqual(@as(u64, 1), log.written.load(.monotonic));
    var round: u32 = 0;
    while (round < 100_000 and log.dropped.load(.monotonic) == 0) : (round += 1) {
        log.emit(.debug, .{ .msg = "x" ** 200 });
    }
    try std.testing.expect(log.dropped.load(.monotonic) > 0);
    log.level_max = .warn;
    const before = log.written.load(.monotonic) + log.dropped.load(.monotonic);
    log.emit(.debug, .{ .msg = "filtered" });
    try std.testing.expectEqual(before, log.written.load(.monotonic) + log.dropped.load(.monotonic));
}
