//! The compiled policy: the versioned JSON document TypeScript hands to syd, parsed once.
//!
//! Needs: nothing from the kernel.
//! Assumes: the document comes from lib/policy (TypeScript) but is still checked field by
//! field: an unknown field, category or action, or a value out of range is refused with a
//! message, never ignored. Judging calls against categories and rules arrives with the path
//! sandboxing issue; until then a policy that turns any category on is refused
//! (EOPNOTSUPP), so that no check is ever reported as done when it is not.

const std = @import("std");
const assert = std.debug.assert;
const sys = @import("sys.zig");
const Level = @import("log.zig").Level;

pub const version: u32 = 1;

/// The most emulator threads a pool may have (`SYD_NPROC_MAX` is capped here).
pub const workers_max: u32 = 1024;
pub const keep_alive_ms_min: u32 = 10;
pub const keep_alive_ms_max: u32 = 3_600_000;

/// Every sandbox category syd knows, in the order the documentation lists them.
pub const categories = [_][]const u8{
    "stat",     "read",        "write",      "exec",    "ioctl",  "create", "delete", "rename",
    "symlink",  "truncate",    "chdir",      "readdir", "mkdir",  "rmdir",  "chown",  "chgrp",
    "chmod",    "chattr",      "chroot",     "utime",   "mkbdev", "mkcdev", "mkfifo", "mktemp",
    "net/bind", "net/connect", "net/sendfd",
};

pub const actions = [_][]const u8{ "allow", "warn", "filter", "deny", "panic", "stop", "abort", "kill", "exit" };

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

pub const Document = struct {
    version: u32,
    log_level: []const u8,
    pool: Pool,
    categories: []const Category,
};

pub const Policy = struct {
    log_level: Level,
    pool: Pool,
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
    const doc = std.json.parseFromSliceLeaky(Document, arena, json, .{}) catch |err| {
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
    for (doc.categories) |category| {
        if (!contains(&categories, category.name)) {
            diag.set("unknown sandbox category \"{s}\"", .{category.name});
            return error.INVAL;
        }
        if (!contains(&actions, category.default)) {
            diag.set("unknown action \"{s}\" for category {s}", .{ category.default, category.name });
            return error.INVAL;
        }
        if (category.on) {
            diag.set("sandboxing of {s} is not supported yet (run with -p off)", .{category.name});
            return error.OPNOTSUPP;
        }
    }
    return .{ .log_level = level, .pool = doc.pool };
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

fn load_text(json: []const u8, diag: *Diag) sys.Errno!Policy {
    var arena = std.heap.ArenaAllocator.init(std.testing.allocator);
    defer arena.deinit();
    return load(arena.allocator(), json, diag);
}

test "load accepts a policy with every category off" {
    var diag: Diag = .{};
    const policy = try load_text(
        \\{"version":1,"log_level":"debug","pool":{"core":2,"max":8,"keep_alive_ms":100},
        \\ "categories":[{"name":"read","on":false,"default":"deny"}]}
    , &diag);
    try std.testing.expectEqual(Level.debug, policy.log_level);
    try std.testing.expectEqual(@as(u32, 8), policy.pool.max);
}

test "load refuses what it cannot enforce or does not know" {
    const cases = [_]struct { json: []const u8, err: sys.Errno, msg: []const u8 }{
        .{ .json = "{", .err = error.INVAL, .msg = "policy document is not valid" },
        .{ .json = "{\"version\":2,\"log_level\":\"warn\",\"pool\":{\"core\":1,\"max\":1,\"keep_alive_ms\":100},\"categories\":[]}", .err = error.INVAL, .msg = "version 2" },
        .{ .json = "{\"version\":1,\"log_level\":\"loud\",\"pool\":{\"core\":1,\"max\":1,\"keep_alive_ms\":100},\"categories\":[]}", .err = error.INVAL, .msg = "unknown log level" },
        .{ .json = "{\"version\":1,\"log_level\":\"warn\",\"pool\":{\"core\":4,\"max\":2,\"keep_alive_ms\":100},\"categories\":[]}", .err = error.INVAL, .msg = "maximum emulator count" },
        .{ .json = "{\"version\":1,\"log_level\":\"warn\",\"pool\":{\"core\":1,\"max\":1,\"keep_alive_ms\":1},\"categories\":[]}", .err = error.INVAL, .msg = "keep-alive" },
        .{ .json = "{\"version\":1,\"log_level\":\"warn\",\"pool\":{\"core\":1,\"max\":1,\"keep_alive_ms\":100},\"categories\":[{\"name\":\"raed\",\"on\":false,\"default\":\"deny\"}]}", .err = error.INVAL, .msg = "unknown sandbox category \"raed\"" },
        .{ .json = "{\"version\":1,\"log_level\":\"warn\",\"pool\":{\"core\":1,\"max\":1,\"keep_alive_ms\":100},\"categories\":[{\"name\":\"read\",\"on\":true,\"default\":\"deny\"}]}", .err = error.OPNOTSUPP, .msg = "not supported yet" },
        .{ .json = "{\"version\":1,\"extra\":0,\"log_level\":\"warn\",\"pool\":{\"core\":1,\"max\":1,\"keep_alive_ms\":100},\"categories\":[]}", .err = error.INVAL, .msg = "UnknownField" },
    };
    for (cases) |case| {
        var diag: Diag = .{};
        try std.testing.expectError(case.err, load_text(case.json, &diag));
        try std.testing.expect(std.mem.indexOf(u8, diag.text(), case.msg) != null);
    }
}
