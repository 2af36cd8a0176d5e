//! Path globs: whether a canonical absolute path matches one pattern of the original syd's path
//! rules (rsync "wildmatch" style; byte-wise and case-sensitive).
//!
//! `*` matches a run of bytes without `/`; `**` any run, and `/**/` also a single `/`; a
//! trailing `/***` the directory itself and everything below it (`X/***` is `X` or `X/**`);
//! `?` one byte but `/`; classes (`[a-z]`, `[!x]`, `[^x]`, `[]x]`, `[a-]`, `[[:alpha:]]`) one
//! byte of the class but never `/`; `\` makes the next byte literal; everything else is literal.
//!
//! Needs: nothing but the two slices: no allocation, no recursion, about 1.6 KiB of stack.
//! Assumes: lib/policy/pattern.ts checked the pattern. One that is malformed anyway (unclosed
//! class, trailing `\`, unknown `[:name:]`, empty, longer than `pattern_len_max`) matches
//! nothing. Runs of stars that pattern.ts rejects (`****`, `***` not ending the pattern after a
//! `/`) mean `**`, as in rsync. The path is not checked to be absolute and may be any length.
//!
//! The pattern runs as an NFA kept as a bit set over pattern offsets: one state where each
//! token starts, one more inside each `**` (it has taken a byte), and "matched" at
//! `pattern.len`. Each path byte moves every live state once, then adds the states reachable
//! without a byte: past a star; past `**/` from a `**` that comes after a `/` and has taken
//! nothing (`/**/` matches `/`); to "matched" from the `/` of a trailing `/***`. No state is
//! visited twice for one byte, so the work is at most `steps_max(pattern.len, path.len)`,
//! O(pattern.len * path.len), whatever the input: about 100 million steps for 4096 bytes of
//! each, of which the worst inputs found take two thirds (0.2 s, ReleaseSafe). (A backtracking
//! matcher with one resume point for `*` and one for `**` revisits states after each `**`
//! restart: `**a*aaa...ab` against a long path takes O(pattern.len * path.len^2).) Before the
//! NFA, the pattern's literal prefix and suffix are compared with the path's, which refuses
//! most patterns in a few bytes; a live `**` that ends the pattern accepts the rest at once.

const std = @import("std");
const assert = std.debug.assert;

/// The longest pattern in bytes (PATH_MAX, as `PATTERN_LEN_MAX` in lib/policy/pattern.ts).
pub const pattern_len_max: usize = 4096;

/// Words of a state set: one bit per pattern offset, 0 through `pattern_len_max`.
const state_words_max: usize = pattern_len_max / 64 + 1;

comptime {
    assert(state_words_max * 64 >= pattern_len_max + 1);
    assert(3 * @sizeOf(States) <= 2 * 1024); // the three sets a match keeps on the stack
    assert(steps_max(pattern_len_max, 4096) < 102_000_000); // PATH_MAX both: under a second
}

/// Whether `path` matches `pattern`. Never allocates; malformed patterns match nothing.
pub fn matches(pattern: []const u8, path: []const u8) bool {
    const outcome = match_counted(pattern, path);
    assert(outcome.steps <= steps_max(pattern.len, path.len));
    assert(!outcome.matched or (pattern.len >= 1 and pattern.len <= pattern_len_max));
    return outcome.matched;
}

/// The most steps a match may take: `per_byte` for the start and for each path byte. A step
/// is a word of a state set, a state visited or a pattern byte read. Per path byte: clearing,
/// moving and closing a set, one per word each (3 * `words`); moving the live states, one per
/// state and one per byte of its token (`states` + `pattern_len`); closing them, one per state,
/// the stars of a run (twice for a `**`: at its start and inside it), the bytes of a `/` and 3
/// for a trailing `***` (`states` + 2 * `pattern_len` + 3, under 4 * `states`). The start
/// (parsing the pattern, its literal prefix and suffix, clearing and closing the first set)
/// fits in the same; a byte of the literal prefix costs one step instead.
pub fn steps_max(pattern_len: usize, path_len: usize) u64 {
    const words: u64 = pattern_len / 64 + 1;
    const states: u64 = @as(u64, pattern_len) + 1;
    const per_byte: u64 = 3 * words + (states + pattern_len) + 4 * states;
    assert(per_byte <= 3 * words + 6 * states);
    return (@as(u64, path_len) +| 1) *| per_byte;
}

const Outcome = struct {
    matched: bool,
    /// Steps counted, as `steps_max` bounds them; a refusal by the literal prefix counts none.
    steps: u64,
};

/// `matches`, and the steps it took (for the tests).
fn match_counted(pattern: []const u8, path: []const u8) Outcome {
    if (pattern.len == 0 or pattern.len > pattern_len_max) return .{ .matched = false, .steps = 0 };
    const budget = steps_max(pattern.len, path.len);
    const prefix_len = literal_prefix_len(pattern, path) orelse
        return .{ .matched = false, .steps = 0 };
    const suffix_len = literal_suffix_len(pattern, prefix_len);
    if (!std.mem.endsWith(u8, path, pattern[pattern.len - suffix_len ..])) {
        return .{ .matched = false, .steps = prefix_len + suffix_len };
    }
    var nfa: Nfa = undefined;
    if (!nfa.init(pattern)) return .{ .matched = false, .steps = nfa.steps };
    nfa.steps += prefix_len + suffix_len;

    var sets: [2]States = undefined;
    var current = &sets[0];
    var next = &sets[1];
    nfa.clear(current);
    current.add(prefix_len);
    nfa.close(current);
    assert(nfa.steps <= budget);
    for (path[prefix_len..]) |byte| {
        if (nfa.rest_matches) break;
        const alive = nfa.advance(current, next, byte);
        assert(nfa.steps <= budget);
        if (!alive) return .{ .matched = false, .steps = nfa.steps };
        nfa.close(next);
        assert(nfa.steps <= budget);
        std.mem.swap(*States, &current, &next);
    }
    return .{ .matched = nfa.rest_matches or current.has(pattern.len), .steps = nfa.steps };
}

/// The length of the pattern's leading plain bytes, which the path must begin with; null when
/// it does not. A plain byte is one that is not special and not the `/` of a trailing `/***`:
/// its token only takes itself, so matching it needs no NFA. Most patterns fail here.
fn literal_prefix_len(pattern: []const u8, path: []const u8) ?usize {
    assert(pattern.len <= pattern_len_max);
    var len: usize = 0;
    while (len < pattern.len) : (len += 1) {
        switch (pattern[len]) {
            '*', '?', '[', '\\' => break,
            '/' => if (std.mem.eql(u8, pattern[len..], "/***")) break,
            else => {},
        }
        if (len == path.len or path[len] != pattern[len]) return null;
    }
    assert(len <= pattern.len and len <= path.len);
    return len;
}

/// The length of the pattern's trailing plain bytes after `prefix_len`, which the path must end
/// with. Stops, to be safe, at any byte that may belong to a class or be escaped. (A `/` right
/// after `**` may be skipped by `/**/` matching `/`, but the `/` before it then took that byte.)
fn literal_suffix_len(pattern: []const u8, prefix_len: usize) usize {
    assert(prefix_len <= pattern.len);
    var len: usize = 0;
    while (prefix_len + len < pattern.len) : (len += 1) {
        const at = pattern.len - 1 - len;
        switch (pattern[at]) {
            '*', '?', '[', ']', '\\' => break,
            else => if (at > 0 and pattern[at - 1] == '\\') break,
        }
    }
    assert(prefix_len + len <= pattern.len);
    return len;
}

/// A set of NFA states: bit `offset` is set when the pattern may go on at `offset`.
const States = struct {
    words: [state_words_max]u64,

    fn add(self: *States, offset: usize) void {
        assert(offset <= pattern_len_max);
        self.words[offset / 64] |= @as(u64, 1) << @intCast(offset % 64);
        assert(self.has(offset));
    }

    fn has(self: *const States, offset: usize) bool {
        assert(offset <= pattern_len_max);
        return self.words[offset / 64] & (@as(u64, 1) << @intCast(offset % 64)) != 0;
    }
};

/// One match in progress: the pattern, where its tokens start, and the steps taken so far.
const Nfa = struct {
    pattern: []const u8,
    /// Words of each state set in use: offsets 0 through `pattern.len`.
    words_len: usize,
    /// Offsets where a token starts. Any other live offset below `pattern.len` is the second
    /// byte of a `**` run, the state of a `**` that has taken a byte.
    starts: States,
    steps: u64,
    /// Set when a live state is a `**` that ends the pattern: any rest of the path matches.
    rest_matches: bool,

    /// Parses every token of `pattern`; false when one is malformed.
    fn init(nfa: *Nfa, pattern: []const u8) bool {
        assert(pattern.len >= 1 and pattern.len <= pattern_len_max);
        nfa.* = .{
            .pattern = pattern,
            .words_len = pattern.len / 64 + 1,
            .starts = undefined,
            .steps = 0,
            .rest_matches = false,
        };
        assert(nfa.words_len <= state_words_max);
        nfa.clear(&nfa.starts);
        var offset: usize = 0;
        while (offset < pattern.len) { // each token spans at least one byte
            const token = token_at(pattern, offset, 0) orelse return false;
            nfa.starts.add(offset);
            nfa.steps += 1 + token.len;
            offset += token.len;
        }
        assert(offset == pattern.len);
        return true;
    }

    fn clear(nfa: *Nfa, states: *States) void {
        assert(nfa.words_len >= 1 and nfa.words_len <= state_words_max);
        for (states.words[0..nfa.words_len]) |*word| word.* = 0;
        nfa.steps += nfa.words_len;
        assert(states.words[nfa.words_len - 1] == 0);
    }

    /// Moves every state of `from` over `byte` into `to`; false when none survives.
    fn advance(nfa: *Nfa, from: *const States, to: *States, byte: u8) bool {
        const pattern = nfa.pattern;
        assert(from != to);
        nfa.clear(to);
        var steps = nfa.steps;
        var alive = false;
        for (from.words[0..nfa.words_len], 0..) |word, word_index| {
            steps += 1;
            var pending = word;
            while (pending != 0) : (pending &= pending - 1) {
                const offset = word_index * 64 + @ctz(pending);
                steps += 1;
                if (offset == pattern.len) continue; // matched: nothing left to take a byte
                assert(offset < pattern.len);
                if (!nfa.starts.has(offset)) { // inside a `**`, which takes any byte
                    assert(pattern[offset - 1] == '*' and pattern[offset] == '*');
                    to.add(offset);
                    alive = true;
                    continue;
                }
                const target = switch (pattern[offset]) {
                    '*', '?', '[', '\\' => special: {
                        const token = token_at(pattern, offset, byte).?; // `init` parsed it
                        steps += token.len;
                        if (!token.takes) continue;
                        break :special switch (token.kind) {
                            .literal, .one, .class => offset + token.len,
                            .star => offset, // takes any number of bytes
                            .star_star => offset + 1, // has taken a byte: `/**/` now needs 2 `/`
                        };
                    },
                    else => |literal| plain: { // the common case, without a call
                        steps += 1;
                        if (literal != byte) continue;
                        break :plain offset + 1;
                    },
                };
                to.add(target);
                alive = true;
            }
        }
        nfa.steps = steps;
        assert(alive or !to.has(pattern.len));
        return alive;
    }

    /// Adds to `states` every state reachable without taking a byte: past a star (it may
    /// match nothing); past `**/` from a `**` that comes after a `/` and has taken nothing
    /// (`/**/` matches `/`); and to "matched" from the `/` of a trailing `/***` (`X/***`
    /// matches `X`). These moves only go forward, so one pass in offset order, which sees
    /// the bits it adds, reaches them all.
    fn close(nfa: *Nfa, states: *States) void {
        const pattern = nfa.pattern;
        assert(nfa.words_len == pattern.len / 64 + 1);
        var steps = nfa.steps;
        var word_index: usize = 0;
        while (word_index < nfa.words_len) : (word_index += 1) {
            steps += 1;
            var done: u64 = 0;
            while (states.words[word_index] & ~done != 0) { // at most 64 rounds: one bit each
                const bit = @ctz(states.words[word_index] & ~done);
                done |= @as(u64, 1) << @intCast(bit);
                const offset = word_index * 64 + bit;
                steps += 1;
                if (offset == pattern.len) continue;
                assert(offset < pattern.len);
                if (!nfa.starts.has(offset)) { // inside a `**`: it may stop here
                    const rest = star_run_len(pattern, offset);
                    steps += rest;
                    states.add(offset + rest);
                    if (offset + rest == pattern.len) nfa.rest_matches = true;
                } else if (pattern[offset] == '*') {
                    const run = star_run_len(pattern, offset);
                    steps += run;
                    states.add(offset + run);
                    if (run >= 2) {
                        if (offset + run == pattern.len) nfa.rest_matches = true;
                        if (collapse_target(pattern, offset, run)) |target| states.add(target);
                    }
                } else if (pattern.len - offset <= 5) { // maybe the `/` or `\/` of a trailing `/***`
                    const slash = slash_len(pattern, offset);
                    if (slash > 0) {
                        steps += slash + 3;
                        if (std.mem.eql(u8, pattern[offset + slash ..], "***")) states.add(pattern.len);
                    }
                }
            }
            assert(done == states.words[word_index]);
        }
        nfa.steps = steps;
    }
};

const Kind = enum { literal, one, class, star, star_star };

const Token = struct {
    kind: Kind,
    /// Bytes of the pattern the token spans.
    len: usize,
    /// Whether the token takes the byte it was asked about.
    takes: bool,
};

/// The token starting at `offset`, and whether it takes `byte`; null when malformed.
fn token_at(pattern: []const u8, offset: usize, byte: u8) ?Token {
    assert(offset < pattern.len);
    const token: Token = switch (pattern[offset]) {
        '\\' => if (offset + 1 < pattern.len)
            .{ .kind = .literal, .len = 2, .takes = pattern[offset + 1] == byte }
        else
            return null, // a trailing `\` escapes nothing
        '?' => .{ .kind = .one, .len = 1, .takes = byte != '/' },
        '[' => class: {
            const class = class_scan(pattern, offset, byte) orelse return null;
            break :class .{ .kind = .class, .len = class.len, .takes = class.takes };
        },
        '*' => star: {
            const run = star_run_len(pattern, offset);
            if (run == 1) break :star .{ .kind = .star, .len = 1, .takes = byte != '/' };
            break :star .{ .kind = .star_star, .len = run, .takes = true };
        },
        else => |literal| .{ .kind = .literal, .len = 1, .takes = literal == byte },
    };
    assert(token.len >= 1 and offset + token.len <= pattern.len);
    return token;
}

fn star_run_len(pattern: []const u8, offset: usize) usize {
    assert(pattern[offset] == '*');
    var end = offset + 1;
    while (end < pattern.len and pattern[end] == '*') end += 1;
    assert(end <= pattern.len);
    return end - offset;
}

/// Bytes of the `/` token at `offset` (`/` or `\/`), or 0 when there is none.
fn slash_len(pattern: []const u8, offset: usize) usize {
    assert(offset <= pattern.len);
    if (offset < pattern.len and pattern[offset] == '/') return 1;
    if (offset + 1 < pattern.len and pattern[offset] == '\\' and pattern[offset + 1] == '/') return 2;
    return 0;
}

/// For the `**` run of `run` stars at token start `offset`: the offset past the `/` after it
/// when a `/` also comes before it (`/**/`), else null. The byte before a token start ends the
/// previous token, and only a `/` or `\/` token ends in `/`.
fn collapse_target(pattern: []const u8, offset: usize, run: usize) ?usize {
    assert(run >= 2 and offset + run <= pattern.len);
    if (offset == 0 or pattern[offset - 1] != '/') return null;
    const slash = slash_len(pattern, offset + run);
    assert(slash <= 2);
    return if (slash == 0) null else offset + run + slash;
}

const ClassScan = struct { len: usize, takes: bool };

/// The class starting at `start` (a `[`): its length and whether it takes `byte`; null when
/// it is malformed (no closing `]`, a trailing `\`, an unknown or unclosed `[:name:]`).
fn class_scan(pattern: []const u8, start: usize, byte: u8) ?ClassScan {
    assert(pattern[start] == '[');
    var offset = start + 1;
    var negated = false;
    if (offset < pattern.len and (pattern[offset] == '!' or pattern[offset] == '^')) {
        negated = true;
        offset += 1;
    }
    var found = false;
    var first = true;
    var previous: ?u8 = null; // the last single byte, which a `-` may make a range's low end
    while (offset < pattern.len) { // each round moves `offset` forward
        const c = pattern[offset];
        if (c == ']' and !first) {
            const class: ClassScan = .{ .len = offset + 1 - start, .takes = byte != '/' and found != negated };
            assert(class.len >= 3); // `[`, one member (a first `]` is one), `]`
            return class;
        }
        first = false;
        if (c == '[' and offset + 1 < pattern.len and pattern[offset + 1] == ':') {
            const name_start = offset + 2;
            const name_end = std.mem.indexOfPos(u8, pattern, name_start, ":]") orelse return null;
            const name = std.meta.stringToEnum(NamedClass, pattern[name_start..name_end]) orelse
                return null;
            found = found or name.has(byte);
            previous = null;
            offset = name_end + 2;
        } else if (c == '\\') {
            if (offset + 1 >= pattern.len) return null;
            found = found or pattern[offset + 1] == byte;
            previous = pattern[offset + 1];
            offset += 2;
        } else if (c == '-' and previous != null and offset + 1 < pattern.len and
            pattern[offset + 1] != ']')
        {
            var high_at = offset + 1;
            if (pattern[high_at] == '\\') high_at += 1;
            if (high_at >= pattern.len) return null;
            // A backwards range adds nothing (its low end was added as a byte, as in rsync).
            found = found or (previous.? <= byte and byte <= pattern[high_at]);
            previous = null;
            offset = high_at + 1;
        } else {
            found = found or c == byte;
            previous = c;
            offset += 1;
        }
    }
    return null; // no closing `]`
}

/// POSIX character classes in the C locale: bytes above 127 belong to none.
const NamedClass = enum {
    alnum,
    alpha,
    blank,
    cntrl,
    digit,
    graph,
    lower,
    print,
    punct,
    space,
    upper,
    xdigit,

    fn has(class: NamedClass, byte: u8) bool {
        const ascii = std.ascii;
        const graph = byte > ' ' and byte < 0x7f;
        const member = switch (class) {
            .alnum => ascii.isAlphanumeric(byte),
            .alpha => ascii.isAlphabetic(byte),
            .blank => byte == ' ' or byte == '\t',
            .cntrl => ascii.isControl(byte),
            .digit => ascii.isDigit(byte),
            .graph => graph,
            .lower => ascii.isLower(byte),
            .print => graph or byte == ' ',
            .punct => graph and !ascii.isAlphanumeric(byte),
            .space => ascii.isWhitespace(byte),
            .upper => ascii.isUpper(byte),
            .xdigit => ascii.isHex(byte),
        };
        assert(!member or byte < 0x80);
        return member;
    }
};

const testing = std.testing;

fn expect_match(pattern: []const u8, path: []const u8) !void {
    if (!matches(pattern, path)) {
        std.debug.print("expected {s} to match {s}\n", .{ pattern, path });
        return error.TestUnexpectedResult;
    }
}

fn expect_no_match(pattern: []const u8, path: []const u8) !void {
    if (matches(pattern, path)) {
        std.debug.print("expected {s} not to match {s}\n", .{ pattern, path });
        return error.TestUnexpectedResult;
    }
}

test "/*** matches the directory itself, with or without a slash, and all below it" {
    try expect_match("/usr/***", "/usr");
    try expect_match("/usr/***", "/usr/");
    try expect_match("/usr/***", "/usr/lib");
    try expect_match("/usr/***", "/usr/lib/x");
    try expect_no_match("/usr/***", "/usrx");
    try expect_no_match("/usr/***", "/usrx/lib");
    try expect_no_match("/usr/***", "/us");
    try expect_no_match("/usr/***", "/");
    try expect_match("/usr/\\/***", "/usr/"); // an escaped `/` is a `/`
    try expect_match("/home/*/***", "/home/u");
    try expect_match("/home/*/***", "/home/u/.cache/x");
    try expect_no_match("/home/*/***", "/home");
}

test "/*** alone matches every absolute path, / included" {
    try expect_match("/***", "/");
    try expect_match("/***", "/etc");
    try expect_match("/***", "/etc/ssl/certs/ca.pem");
    try expect_match("/***", "//");
    try expect_no_match("/***", "etc");
}

test "** crosses slashes and may match nothing" {
    try expect_match("/**", "/");
    try expect_match("/**", "/a/b/c");
    try expect_match("/usr/**", "/usr/");
    try expect_match("/usr/**", "/usr/lib/x.so");
    try expect_no_match("/usr/**", "/usr"); // only `/***` matches the directory itself
    try expect_match("/usr/**bin", "/usr/local/sbin");
    try expect_match("/usr/**bin", "/usr/bin");
    try expect_match("/usr**", "/usrx/y");
    try expect_match("**/lib", "/lib");
    try expect_match("/a**b", "/a/x/b");
}

test "/**/ also matches a single /" {
    try expect_match("/usr/**/bin", "/usr/bin");
    try expect_match("/usr/**/bin", "/usr/local/bin");
    try expect_match("/usr/**/bin", "/usr/a/b/bin");
    try expect_no_match("/usr/**/bin", "/usrbin");
    try expect_no_match("/usr/**/bin", "/usr/xbin");
    try expect_match("/a/**/b/**/c", "/a/b/c");
    try expect_match("/a/**/b/**/c", "/a/x/b/y/z/c");
    try expect_match("/**/*.so", "/lib.so");
    try expect_match("/a\\/**\\/b", "/a/b"); // escaped slashes around `**` collapse too
    try expect_no_match("/a**/b", "/ab"); // no `/` before the `**`: no collapse
    try expect_no_match("/**/a", "/xa"); // a `**` that took a byte needs its `/` after it
    try expect_match("/**/**/a", "/a"); // `**/**` is `**`: both collapse
    try expect_match("/**/**/a", "/x/y/a");
    try expect_no_match("/**/***", ""); // `/**` or `/**/**`: both need a `/`
    try expect_match("/**/***", "/");
}

test "* matches within one component only" {
    try expect_match("/etc/*", "/etc/passwd");
    try expect_match("/etc/*", "/etc/");
    try expect_no_match("/etc/*", "/etc");
    try expect_no_match("/etc/*", "/etc/ssl/certs");
    try expect_match("/*/bin", "/usr/bin");
    try expect_no_match("/*/bin", "/usr/local/bin");
    try expect_no_match("*", "/");
    try expect_match("/*a*b*", "/xaybz");
    try expect_no_match("/*a*b*", "/xa/b");
}

test "? matches one byte but /" {
    try expect_match("/tmp/?", "/tmp/a");
    try expect_no_match("/tmp/?", "/tmp/");
    try expect_no_match("/tmp/?", "/tmp/ab");
    try expect_no_match("/tmp?a", "/tmp/a");
    try expect_match("/???", "/abc");
    try expect_match("/?", "/\xff");
}

test "classes: sets, ranges, negation, a first ], a last -, named classes" {
    try expect_match("/[abc]", "/b");
    try expect_no_match("/[abc]", "/d");
    try expect_match("/tty[0-9]", "/tty5");
    try expect_no_match("/tty[0-9]", "/ttyS");
    try expect_match("/[!a]", "/b");
    try expect_no_match("/[!a]", "/a");
    try expect_match("/[^a]", "/b");
    try expect_no_match("/[^a]", "/a");
    try expect_match("/[]a]", "/]");
    try expect_match("/[]a]", "/a");
    try expect_no_match("/[]a]", "/b");
    try expect_match("/[!]a]", "/b");
    try expect_no_match("/[!]a]", "/]");
    try expect_match("/[a-]", "/-");
    try expect_match("/[a-]", "/a");
    try expect_no_match("/[a-]", "/b");
    try expect_match("/[-a]", "/-");
    try expect_match("/[a\\]]", "/]");
    try expect_match("/[\\]-a]", "/_"); // `]` to `a` takes `^`, `_` and the backquote
    try expect_no_match("/[z-a]", "/m"); // backwards: nothing between
    try expect_match("/x[[:digit:]]", "/x7");
    try expect_no_match("/x[[:digit:]]", "/xa");
    try expect_match("/[[:upper:][:digit:]]", "/Q");
    try expect_match("/[![:alpha:]]", "/1");
    try expect_no_match("/[![:alpha:]]", "/z");
    try expect_match("/[[:alpha:]-]", "/-");
}

test "named classes follow the C locale" {
    const cases = [_]struct { name: []const u8, yes: []const u8, no: []const u8 }{
        .{ .name = "alnum", .yes = "aZ09", .no = "-_ \x80" },
        .{ .name = "alpha", .yes = "aZ", .no = "0_\xc3" },
        .{ .name = "blank", .yes = " \t", .no = "\n\x0ba" },
        .{ .name = "cntrl", .yes = "\x01\x1f\x7f\t", .no = " a\x80" },
        .{ .name = "digit", .yes = "09", .no = "a\xd9" },
        .{ .name = "graph", .yes = "!~a", .no = " \x7f\x80" },
        .{ .name = "lower", .yes = "az", .no = "AZ0" },
        .{ .name = "print", .yes = " ~a", .no = "\x7f\t\xa0" },
        .{ .name = "punct", .yes = "!-.~", .no = "a0 " },
        .{ .name = "space", .yes = " \t\n\x0b\x0c\r", .no = "a\x85" },
        .{ .name = "upper", .yes = "AZ", .no = "az" },
        .{ .name = "xdigit", .yes = "09afAF", .no = "gG" },
    };
    for (cases) |case| {
        var pattern_buf: [32]u8 = undefined;
        const pattern = try std.fmt.bufPrint(&pattern_buf, "/[[:{s}:]]", .{case.name});
        for (case.yes) |byte| try expect_match(pattern, &.{ '/', byte });
        for (case.no) |byte| try expect_no_match(pattern, &.{ '/', byte });
    }
}

test "a class never matches /" {
    try expect_no_match("/a[/]b", "/a/b");
    try expect_no_match("/a[!x]b", "/a/b");
    try expect_no_match("/a[^x]b", "/a/b");
    try expect_no_match("/a[.-0]b", "/a/b"); // `/` lies between `.` and `0`
    try expect_no_match("/a[[:punct:]]b", "/a/b");
    try expect_match("/a[[:punct:]]b", "/a.b");
}

test "\\ makes the next byte literal" {
    try expect_match("/a\\*", "/a*");
    try expect_no_match("/a\\*", "/ab");
    try expect_match("/\\[x]", "/[x]");
    try expect_no_match("/\\[x]", "/x");
    try expect_match("/\\?", "/?");
    try expect_no_match("/\\?", "/a");
    try expect_match("/\\a", "/a");
    try expect_match("/a\\\\", "/a\\");
    try expect_match("/\\***", "/*x/y"); // a literal `*` then `**`
    try expect_no_match("/\\***", "/x");
}

test "malformed patterns match nothing" {
    const malformed = [_][]const u8{
        "",
        "/a[bc",
        "/a[",
        "/a[]",
        "/a[!]",
        "/a\\",
        "/[[:nope:]]",
        "/[[:alpha]",
        "/[a\\",
        "/[a-\\",
        "/***[",
        "/**\\",
        "/***/[x",
    };
    const paths = [_][]const u8{ "", "/", "/a", "/a[bc", "/a[", "/a\\", "/abc/def", "/[x" };
    for (malformed) |pattern| {
        for (paths) |path| try expect_no_match(pattern, path);
    }
    const too_long = "/" ++ "a" ** pattern_len_max;
    try expect_no_match(too_long, too_long);
    try expect_match(too_long[0..pattern_len_max], too_long[0..pattern_len_max]);
}

test "long hostile inputs finish within the step budget" {
    const Case = struct {
        head: []const u8 = "",
        unit: []const u8,
        repeat: usize,
        foot: []const u8 = "",
        fill: u8, // the path: `fill` repeated, then `last`
        path_len: usize,
        last: u8,
        expected: bool,
    };
    const cases = [_]Case{
        // 2000 `*a` against 3999 `a` and a `b`: the literal suffix check refuses it at once,
        .{ .unit = "*a", .repeat = 2000, .fill = 'a', .path_len = 4000, .last = 'b', .expected = false },
        // and the NFA runs with every `*` live when it cannot.
        .{ .unit = "*a", .repeat = 2000, .fill = 'a', .path_len = 1999, .last = 'a', .expected = false },
        .{ .unit = "*a", .repeat = 2000, .fill = 'a', .path_len = 2100, .last = 'a', .expected = true },
        .{ .head = "**a*", .unit = "a", .repeat = 1000, .foot = "b*a", .fill = 'a', .path_len = 4096, .last = 'a', .expected = false },
        .{ .unit = "**/a", .repeat = 1000, .fill = '/', .path_len = 4096, .last = 'a', .expected = false },
        .{ .unit = "/**", .repeat = 1300, .foot = "/x", .fill = '/', .path_len = 1024, .last = 'x', .expected = true },
        // PATH_MAX of each, every state live: the most work a test makes (under 0.3 s optimized).
        .{ .unit = "*?", .repeat = 2048, .fill = 'x', .path_len = 4096, .last = '/', .expected = false },
        .{ .unit = "[[:alpha:]a-z]*", .repeat = 256, .fill = 'q', .path_len = 2048, .last = '/', .expected = false },
    };
    for (cases) |case| {
        var pattern_buf: [pattern_len_max]u8 = undefined;
        var pattern_len: usize = 0;
        const parts = [_]struct { []const u8, usize }{ .{ case.head, 1 }, .{ case.unit, case.repeat }, .{ case.foot, 1 } };
        for (parts) |part| {
            const text, const times = part;
            for (0..times) |_| {
                @memcpy(pattern_buf[pattern_len..][0..text.len], text);
                pattern_len += text.len;
            }
        }
        const pattern = pattern_buf[0..pattern_len];
        var path_buf: [4096]u8 = undefined;
        const path = path_buf[0..case.path_len];
        @memset(path, case.fill);
        path[path.len - 1] = case.last;
        const outcome = match_counted(pattern, path);
        if (outcome.matched != case.expected) {
            std.debug.print("{s}... ({} bytes): expected {}\n", .{ pattern[0..16], pattern.len, case.expected });
            return error.TestUnexpectedResult;
        }
        try testing.expect(outcome.steps <= steps_max(pattern.len, path.len));
    }
}

test "a path longer than PATH_MAX is matched in full" {
    var path_buf: [3 * 4096]u8 = undefined;
    @memset(&path_buf, 'x');
    path_buf[0] = '/';
    path_buf[4096] = '/';
    try expect_match("/**", &path_buf);
    try expect_match("/*/***", &path_buf);
    try expect_no_match("/*", &path_buf);
    path_buf[path_buf.len - 1] = 'y';
    try expect_match("/**y", &path_buf);
    try expect_no_match("/**z", &path_buf);
}

test "a table of patterns and paths" {
    const Case = struct { []const u8, []const u8, bool };
    const cases = [_]Case{
        .{ "/etc/passwd", "/etc/passwd", true },
        .{ "/etc/passwd", "/etc/passwd2", false },
        .{ "/etc/passwd", "/etc/passw", false },
        .{ "/etc/passwd", "/ETC/passwd", false },
        .{ "/", "/", true },
        .{ "/", "/a", false },
        .{ "/etc/*.conf", "/etc/a.conf", true },
        .{ "/etc/*.conf", "/etc/.conf", true },
        .{ "/etc/*.conf", "/etc/a.conf.bak", false },
        .{ "/etc/*.conf", "/etc/x/a.conf", false },
        .{ "/etc/*.conf", "/etc/a.conf.conf", true },
        .{ "/home/*/.ssh/*", "/home/u/.ssh/id_rsa", true },
        .{ "/home/*/.ssh/*", "/home/u/v/.ssh/id_rsa", false },
        .{ "/home/**/.ssh/*", "/home/u/v/.ssh/id_rsa", true },
        .{ "/home/**/.ssh/*", "/home/.ssh/id_rsa", true },
        .{ "/home/**/.ssh/*", "/home/u/.ssh/keys/id_rsa", false },
        .{ "/home/**/.ssh/**", "/home/u/.ssh/keys/id_rsa", true },
        .{ "/proc/[0-9]*/status", "/proc/4242/status", true },
        .{ "/proc/[0-9]*/status", "/proc/self/status", false },
        .{ "/proc/[0-9]*/status", "/proc/1/task/1/status", false },
        .{ "/proc/[0-9]*/**", "/proc/1/task/1/status", true },
        .{ "/dev/tty*", "/dev/tty", true },
        .{ "/dev/tty*", "/dev/ttyS0", true },
        .{ "/dev/tty*", "/dev/tty/x", false },
        .{ "/dev/tty[!0-9]*", "/dev/ttyS0", true },
        .{ "/dev/tty[!0-9]*", "/dev/tty0", false },
        .{ "/dev/tty[!0-9]*", "/dev/tty", false },
        .{ "/usr/***", "/usr", true },
        .{ "/usr/***", "/usr/share/doc", true },
        .{ "/usr/***", "/usr.bak", false },
        .{ "/usr/lib*/***", "/usr/lib64", true },
        .{ "/usr/lib*/***", "/usr/lib64/ld.so", true },
        .{ "/usr/lib*/***", "/usr/libexec/x/y", true },
        .{ "/usr/lib*/***", "/usr/li", false },
        .{ "/usr/**/***", "/usr", false }, // `/usr/**` or `/usr/**/**`: both need `/usr/`
        .{ "/usr/**/***", "/usr/", true },
        .{ "/usr/**/***", "/usr/a", true },
        .{ "/**/*.so", "/usr/lib/a.so", true },
        .{ "/**/*.so", "/usr/lib/a.so/x", false },
        .{ "/**/*.so", "/a.so", true },
        .{ "/**/*.so", "/.so", true },
        .{ "/**/*.so", "/so", false },
        .{ "/*/*/*", "/a/b/c", true },
        .{ "/*/*/*", "/a/b", false },
        .{ "/*/*/*", "/a//c", true },
        .{ "/*/*/*", "/a/b/c/d", false },
        .{ "/a*b*c", "/abc", true },
        .{ "/a*b*c", "/axxbyyc", true },
        .{ "/a*b*c", "/axxbyy", false },
        .{ "/a*b*c", "/acb", false },
        .{ "/a*b*c", "/abcbc", true },
        .{ "/a*b*c", "/ab/c", false },
        .{ "/a**c", "/ab/c", true },
        .{ "/a*?", "/a", false },
        .{ "/a*?", "/ab", true },
        .{ "/a?*", "/a/", false },
        .{ "/[ab][cd]", "/bd", true },
        .{ "/[ab][cd]", "/ba", false },
        .{ "/run/user/[[:digit:]]*/bus", "/run/user/1000/bus", true },
        .{ "/run/user/[[:digit:]]*/bus", "/run/user/x/bus", false },
        .{ "/tmp/\\*", "/tmp/*", true },
        .{ "/tmp/\\*", "/tmp/x", false },
        .{ "/a/b\\/**", "/a/b/c", true },
        .{ "/a[", "/a[", false },
        .{ "/a\\", "/a\\", false },
        .{ "/**", "", false },
        .{ "/***", "/", true },
    };
    for (cases) |case| {
        const pattern, const path, const expected = case;
        if (matches(pattern, path) != expected) {
            std.debug.print("{s} vs {s}: expected {}\n", .{ pattern, path, expected });
            return error.TestUnexpectedResult;
        }
    }
}

/// A second matcher, for the cross-check below: a direct recursive reading of the rules over a
/// pattern given as items (so it shares no parsing with the matcher). Exponential; for a few
/// items and short paths only (the recursion is as deep as the items are many).
const Reference = struct {
    const Class = enum {
        ab, // [ab]
        not_a, // [!a]
        not_b, // [^b]
        a_to_b, // [a-b]
        alpha, // [[:alpha:]]
        bracket_a, // []a]
        a_dash, // [a-]

        fn has(class: Class, byte: u8) bool {
            if (byte == '/') return false;
            return switch (class) {
                .ab, .a_to_b => byte == 'a' or byte == 'b',
                .not_a => byte != 'a',
                .not_b => byte != 'b',
                .alpha => std.ascii.isAlphabetic(byte),
                .bracket_a => byte == ']' or byte == 'a',
                .a_dash => byte == 'a' or byte == '-',
            };
        }
    };

    const Item = union(enum) { byte: u8, one, class: Class, star, star_star, dir_tail };

    const Piece = struct { text: []const u8, item: Item };

    const pieces = [_]Piece{
        .{ .text = "a", .item = .{ .byte = 'a' } },
        .{ .text = "b", .item = .{ .byte = 'b' } },
        .{ .text = "/", .item = .{ .byte = '/' } },
        .{ .text = "/", .item = .{ .byte = '/' } },
        .{ .text = "\\/", .item = .{ .byte = '/' } },
        .{ .text = "\\*", .item = .{ .byte = '*' } },
        .{ .text = "?", .item = .one },
        .{ .text = "*", .item = .star },
        .{ .text = "*", .item = .star },
        .{ .text = "**", .item = .star_star },
        .{ .text = "**", .item = .star_star },
        .{ .text = "[ab]", .item = .{ .class = .ab } },
        .{ .text = "[!a]", .item = .{ .class = .not_a } },
        .{ .text = "[^b]", .item = .{ .class = .not_b } },
        .{ .text = "[a-b]", .item = .{ .class = .a_to_b } },
        .{ .text = "[[:alpha:]]", .item = .{ .class = .alpha } },
        .{ .text = "[]a]", .item = .{ .class = .bracket_a } },
        .{ .text = "[a-]", .item = .{ .class = .a_dash } },
    };

    fn is_slash(item: Item) bool {
        return item == .byte and item.byte == '/';
    }

    fn is_star(item: Item) bool {
        return item == .star or item == .star_star;
    }

    fn matches(items: []const Item, path: []const u8) bool {
        if (items.len > 0 and items[items.len - 1] == .dir_tail) { // `X/***` is `X` or `X/**`
            var expanded: [16]Item = undefined;
            const head = items[0 .. items.len - 1];
            @memcpy(expanded[0..head.len], head);
            expanded[head.len] = .{ .byte = '/' };
            expanded[head.len + 1] = .star_star;
            return match_from(head, 0, path) or match_from(expanded[0 .. head.len + 2], 0, path);
        }
        return match_from(items, 0, path);
    }

    fn match_from(items: []const Item, index: usize, path: []const u8) bool {
        if (index == items.len) return path.len == 0;
        const rest = index + 1;
        switch (items[index]) {
            .byte => |byte| return path.len > 0 and path[0] == byte and match_from(items, rest, path[1..]),
            .one => return path.len > 0 and path[0] != '/' and match_from(items, rest, path[1..]),
            .class => |class| return path.len > 0 and class.has(path[0]) and match_from(items, rest, path[1..]),
            .star => {
                var taken: usize = 0;
                while (true) : (taken += 1) {
                    if (match_from(items, rest, path[taken..])) return true;
                    if (taken == path.len or path[taken] == '/') return false;
                }
            },
            .star_star => {
                const collapse = index > 0 and is_slash(items[index - 1]) and
                    rest < items.len and is_slash(items[rest]);
                if (collapse and match_from(items, rest + 1, path)) return true;
                for (0..path.len + 1) |taken| {
                    if (match_from(items, rest, path[taken..])) return true;
                }
                return false;
            },
            .dir_tail => unreachable,
        }
    }
};

test "the matcher agrees with a recursive reading of the rules on random cases" {
    var prng = std.Random.DefaultPrng.init(0x51d_610b);
    const random = prng.random();
    const path_bytes = "ab/*-]";
    var agreed_matches: u32 = 0;
    for (0..40_000) |_| {
        var items: [8]Reference.Item = undefined;
        var items_len: usize = 0;
        var pattern_buf: [64]u8 = undefined;
        var pattern_len: usize = 0;
        const pieces_count = random.intRangeAtMost(usize, 1, 6);
        for (0..pieces_count) |_| {
            const piece = Reference.pieces[random.uintLessThan(usize, Reference.pieces.len)];
            // Adjacent stars would merge into one run: skip the second.
            if (items_len > 0 and Reference.is_star(items[items_len - 1]) and Reference.is_star(piece.item)) continue;
            items[items_len] = piece.item;
            items_len += 1;
            @memcpy(pattern_buf[pattern_len..][0..piece.text.len], piece.text);
            pattern_len += piece.text.len;
        }
        if (random.uintLessThan(u8, 4) == 0) {
            items[items_len] = .dir_tail;
            items_len += 1;
            @memcpy(pattern_buf[pattern_len..][0..4], "/***");
            pattern_len += 4;
        }
        var path_buf: [9]u8 = undefined;
        const path = path_buf[0..random.uintAtMost(usize, path_buf.len)];
        for (path) |*byte| byte.* = path_bytes[random.uintLessThan(usize, if (random.boolean()) 3 else path_bytes.len)];
        if (path.len > 0 and random.boolean()) path[0] = '/';

        const pattern = pattern_buf[0..pattern_len];
        const expected = Reference.matches(items[0..items_len], path);
        const outcome = match_counted(pattern, path);
        if (outcome.matched != expected) {
            std.debug.print("{s} vs {s}: reference says {}\n", .{ pattern, path, expected });
            return error.TestUnexpectedResult;
        }
        try testing.expect(outcome.steps <= steps_max(pattern.len, path.len));
        if (expected) agreed_matches += 1;
    }
    try testing.expect(agreed_matches > 2_000); // the cases are not all trivially false
}
