//! Event log: one JSON object per line into a non-blocking pipe that TypeScript reads.
//!
//! Needs: pipes with atomic writes up to PIPE_BUF (4096 bytes) so lines never interleave.
//! Assumes: any thread may call `emit` at any time; it never blocks and never allocates. A line
//! that does not fit, or finds the pipe full, is dropped and counted (`dropped`), never waited
//! for. TypeScript adds the time when it reads a line.

const std = @import("std");
const assert = std.debug.assert;
const sys = @import("sys.zig");

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

/// The longest line: PIPE_BUF, so that one write() is atomic.
pub const line_len_max: usize = 4096;

pub const Log = struct {
    fd: i32,
    level_max: Level,
    dropped: std.atomic.Value(u64) = .init(0),
    written: std.atomic.Value(u64) = .init(0),

    pub fn enabled(self: *const Log, level: Level) bool {
        return @intFromEnum(level) <= @intFromEnum(self.level_max);
    }

    /// Writes `{"level":...,<fields>}` as one line, or counts it as dropped.
    pub fn emit(self: *Log, level: Level, fields: anytype) void {
        if (!self.enabled(level)) return;
        var buf: [line_len_max]u8 = undefined;
        const line = format(&buf, level, fields) orelse {
            _ = self.dropped.fetchAdd(1, .monotonic);
            return;
        };
        assert(line.len <= line_len_max and line[line.len - 1] == '\n');
        if (self.fd < 0) return;
        const n = sys.write(self.fd, line) catch 0;
        if (n == line.len) {
            _ = self.written.fetchAdd(1, .monotonic);
        } else {
            _ = self.dropped.fetchAdd(1, .monotonic);
        }
    }
};

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
