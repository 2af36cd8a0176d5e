/**
 * Property tests over random and mutated input, from a small deterministic PRNG: the parsers
 * throw only their own errors, never hang, and what they accept formats back to itself.
 */
import assert from "node:assert/strict";
import { lintStartup, lintWarnings } from "../lint.ts";
import { ADDRESS_ALIASES, AddressError, formatAddress, parseAddress } from "./address.ts";
import { CommandError, formatCommand, parseCommand, parseSize, U64_MAX } from "./parse.ts";
import {
  formatBindOptions,
  NamespaceError,
  parseBindOptions,
  parseTimeOffset,
  parseUtsName,
} from "./namespaces.ts";
import { checkPattern, covers, isLiteral, literalPrefix, PatternError } from "./pattern.ts";
import { PROFILES } from "./profiles.ts";
import { load, type LoadOptions } from "./sources.ts";
import { ACTIONS, CATEGORIES, CATEGORY_ALIASES, LIMIT_KEYS, LIMIT_LAYERS } from "./vocab.ts";

/** mulberry32: a tiny deterministic PRNG, so that a failure can be replayed from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];
  const chance = (p: number): boolean => next() < p;
  return { next, int, pick, chance };
}
type Rng = ReturnType<typeof prng>;

/** The loose time bound for each batch (the work takes well under a second). */
const TIME_LIMIT_MS = 60_000;

// Generators of valid fragments.

const CATEGORY_WORDS = [...CATEGORIES, ...Object.keys(CATEGORY_ALIASES), ...LIMIT_LAYERS];
const BAD_CATEGORY_WORDS = ["raed", "lock", "force", "", "READ", "net/", "net/link", "all "];
const LIMIT_WORDS = [...LIMIT_KEYS, "mem/maxx", "pid/vm_max", "mem/", "pid"];
const SIZES = ["0", "4096", "64M", "64 MiB", "1.5G", "1e3", "1e-4 MiB", "_5_", "2KB", "1i"];
const BAD_SIZES = ["", "-1", "0x10", "abc", "99999999999999999999", "1e21", ".5", "16E", "+5"];

/** The value of a limit command: a size, a count, or something nearly one. */
function limitValue(rng: Rng): string {
  if (rng.chance(0.2)) return rng.pick(BAD_SIZES);
  if (rng.chance(0.3)) return String(rng.int(1 << 20));
  let text = rng.pick(SIZES);
  if (rng.chance(0.1)) text = text.toUpperCase();
  return text;
}
const SETID_WORDS = ["setuid", "setgid", "setuid", "setgid", "setiud", "setxid", "setuid/"];
const IDS = ["0", "1000", "65534", "65533", "12", "11", "15", "14", "0xfffe", "0o177776", "-0"];
const BAD_IDS = ["", "root", "nobody", "4294967296", "-1", "0x", "1e3", " 0", "0:1"];

/** A uid or gid as a setuid or setgid command writes it, or something nearly one. */
function setidValue(rng: Rng): string {
  if (rng.chance(0.15)) return rng.pick(BAD_IDS);
  if (rng.chance(0.3)) return String(rng.int(1 << 17));
  return rng.pick(IDS);
}

/** `setuid+SRC:DST` and the other forms, valid or nearly. */
function setidCommand(rng: Rng): string {
  const head = rng.pick(SETID_WORDS);
  switch (rng.int(5)) {
    case 0:
    case 1:
      return `${head}+${setidValue(rng)}:${setidValue(rng)}`;
    case 2:
      return `${head}-${setidValue(rng)}:${setidValue(rng)}`;
    case 3:
      return `${head}^${rng.chance(0.5) ? setidValue(rng) : ""}`;
    default:
      return `${head}${rng.pick([":", "?", "!", "+", "-", ""])}${setidValue(rng)}`;
  }
}

const NS_WORDS = ["user", "mount", "uts", "ipc", "pid", "net", "cgroup", "time", "all", "usr", ""];
const BIND_ITEMS = [
  "ro",
  "rw",
  "exec",
  "dev",
  "suid",
  "symfollow",
  "noexec",
  "noatime",
  "strictatime",
  "nodiratime",
  "relatime",
  "size=1M",
  "mode=0755",
  "rec",
  " ro",
  "",
  "nr_inodes=4k",
];
const BIND_PATHS = [
  "/usr",
  "/tmp",
  "tmpfs",
  "devpts",
  "/proc",
  "/proc/self",
  "proc",
  "rel",
  "/a\\:b",
];
const UTS_NAMES = ["localhost", "foo", "a/b", "none", "off", "", "-x", "x ", "a*b", "x".repeat(65)];
const TIMES = ["0", "-5", "+7", "1000", "none", "off", "abc", "", "9223372036854775808", "1.5"];

/** A namespace or container command, valid or nearly. */
function namespaceCommand(rng: Rng): string {
  const list = () => Array.from({ length: 1 + rng.int(3) }, () => rng.pick(NS_WORDS)).join(",");
  const path = () => rng.chance(0.6) ? rng.pick(BIND_PATHS) : pattern(rng).replaceAll("*", "");
  switch (rng.int(8)) {
    case 0:
      return `unshare/${list()}${rng.chance(0.2) ? "?" : `:${rng.pick(BOOLEANS)}`}`;
    case 1:
    case 2: {
      const head = rng.pick(["bind", "bind-try", "bnd", "bind-try"]);
      const opts = Array.from({ length: rng.int(4) }, () => rng.pick(BIND_ITEMS)).join(",");
      const op = rng.pick(["+", "+", "-", "^"]);
      if (op === "^") return `${head}^`;
      return `${head}${op}${path()}:${path()}${opts === "" ? "" : `:${opts}`}`;
    }
    case 3:
      return `${rng.pick(["root", "workdir", "root/map", "root/fake"])}:${
        rng.pick(["none", "tmpfs", "/srv/x", "rel", "/a/../b", "1", "off"])
      }`;
    case 4:
      return `uts/${rng.pick(["host", "domain", "version", "hots"])}:${rng.pick(UTS_NAMES)}`;
    case 5:
      return `${rng.pick(["time", "time/boot", "time/mono", "time/real"])}:${rng.pick(TIMES)}`;
    case 6:
      return `trace/allow_unsafe_namespace:${rng.pick(["none", "off", "user", "bogus", ""])}`;
    default:
      return `${rng.pick(["mkdir", "mkfile", "link-try", "symlink"])}+/x`;
  }
}

const BOOLEANS = ["on", "off", "1", "0", "true", "false", "ON", "Off", "t", "f", "yes", "maybe"];
const LOCK_STATES = ["on", "off", "exec", "exce", ""];
const COMPONENTS = ["usr", "bin", "etc", "tmp", "home", "u", ".ssh", "a b", "é", "日本", "x.so"];
const GLOBS = ["*", "**", "?", "[a-z]", "[!x]", "[^x]", "[[:alpha:]]", "\\*", "\\[", "[]a]"];

function categoryList(rng: Rng): string {
  const n = 1 + rng.int(3);
  return Array.from(
    { length: n },
    () => rng.chance(0.05) ? rng.pick(BAD_CATEGORY_WORDS) : rng.pick(CATEGORY_WORDS),
  ).join(",");
}

function pathCategoryList(rng: Rng): string {
  const n = 1 + rng.int(3);
  return Array.from({ length: n }, () => rng.pick(CATEGORIES.filter((c) => !c.startsWith("net"))))
    .join(",");
}

function pattern(rng: Rng): string {
  const parts: string[] = [];
  const n = rng.int(5);
  for (let i = 0; i < n; i++) {
    let part = rng.pick(COMPONENTS);
    if (rng.chance(0.4)) part = rng.chance(0.5) ? part + rng.pick(GLOBS) : rng.pick(GLOBS) + part;
    parts.push(part);
  }
  let text = (rng.chance(0.9) ? "/" : "") + parts.join("/");
  if (rng.chance(0.3)) text += text.endsWith("/") ? "***" : "/***";
  else if (rng.chance(0.1)) text += "/**";
  return text.length === 0 ? "/" : text;
}

function ipv4(rng: Rng): string {
  return Array.from({ length: 4 }, () => String(rng.chance(0.9) ? rng.int(256) : rng.int(1000)))
    .join(".");
}

function ipv6(rng: Rng): string {
  const groups = Array.from(
    { length: 8 },
    () => rng.chance(0.4) ? "0" : rng.int(0x10000).toString(16),
  );
  if (rng.chance(0.2)) return `::ffff:${ipv4(rng)}`;
  if (rng.chance(0.5)) {
    const start = rng.int(8);
    const end = start + rng.int(8 - start);
    return `${groups.slice(0, start).join(":")}::${groups.slice(end + 1).join(":")}`;
  }
  return groups.join(":");
}

function port(rng: Rng): string {
  const one = () => String(rng.chance(0.9) ? rng.int(65536) : rng.int(100000));
  return rng.chance(0.3) ? `${one()}-${one()}` : one();
}

function address(rng: Rng): string {
  switch (rng.int(6)) {
    case 0:
      return `${ipv4(rng)}${rng.chance(0.5) ? `/${rng.int(40)}` : ""}!${port(rng)}`;
    case 1:
      return `${ipv6(rng)}${rng.chance(0.5) ? `/${rng.int(140)}` : ""}!${port(rng)}`;
    case 2:
      return `${rng.pick(Object.keys(ADDRESS_ALIASES))}!${port(rng)}`;
    case 3:
      return pattern(rng);
    case 4:
      return `@${pattern(rng).slice(1) || "x"}`;
    default:
      return `${rng.pick([ipv4(rng), ipv6(rng), "loopback"])}@${port(rng)}`;
  }
}

/** A command that is valid or nearly so. */
function command(rng: Rng): string {
  const op = () => rng.pick(["+", "+", "+", "-", "^"]);
  switch (rng.int(17)) {
    case 0:
      return `sandbox/${categoryList(rng)}:${rng.pick(BOOLEANS)}`;
    case 1:
      return `sandbox/${categoryList(rng)}?`;
    case 2:
      return `default/${categoryList(rng)}:${rng.pick([...ACTIONS, "dney", ""])}`;
    case 3:
    case 4:
      return `${rng.pick(ACTIONS)}/${pathCategoryList(rng)}${op()}${pattern(rng)}`;
    case 5:
      return `${rng.pick(ACTIONS)}/${
        rng.pick(["net", "net/bind", "net/connect", "net/bind,net/connect"])
      }${op()}${address(rng)}`;
    case 6:
      return `${rng.pick(ACTIONS)}/${categoryList(rng)}${op()}${
        rng.chance(0.5) ? pattern(rng) : address(rng)
      }`;
    case 7:
      return `lock:${rng.pick(LOCK_STATES)}`;
    case 8:
      return `${rng.pick(["mask"])}${op()}${pattern(rng)}`;
    case 9:
      return `trace/${
        rng.pick([
          "exit_wait_all",
          "deny_dotdot",
          "allow_unsafe_exec",
          "allow_safe_setuid",
          "allow_safe_setgid",
          "allow_unsafe_setid",
        ])
      }:${rng.pick(BOOLEANS)}`;
    case 10:
      return rng.pick(["reset", "lock", "reset:1", "panic", "stat", "force+/x", "cmd!arg"]);
    case 11:
      return `include${rng.pick([" ", "  ", "\t", " \t "])}${
        rng.pick(["a.syd-3", "dir/b.syd-3", "/abs/c.syd-3", "x"])
      }`;
    case 12:
      return `include_profile ${rng.pick([...Object.keys(PROFILES), "usr", "paludsi", ""])}`;
    case 13:
      return `${rng.pick(LIMIT_WORDS)}${rng.pick([":", ":", ":", "?", "+"])}${limitValue(rng)}`;
    case 14:
      return setidCommand(rng);
    case 15:
      return namespaceCommand(rng);
    default:
      return Array.from({ length: 1 + rng.int(5) }, () => fragment(rng)).join("");
  }
}

const FRAGMENTS = [
  "sandbox",
  "default",
  "allow",
  "deny",
  "lock",
  "mask",
  "mem",
  "pid",
  "setuid",
  "setgid",
  "+0:65534",
  "unshare/",
  "bind",
  "bind-try",
  ":ro,exec",
  "root",
  "uts/host",
  "time/boot",
  "workdir",
  "^",
  "/max",
  "/vm_max",
  "64M",
  "trace/",
  "include",
  "include_profile",
  "reset",
  "/",
  "read",
  "net/bind",
  "all",
  "mkdev",
  ",",
  ":",
  "?",
  "+",
  "-",
  "^",
  "!",
  "@",
  "on",
  "off",
  "/usr/***",
  "[a-",
  "\\",
  "::1",
  "127.0.0.1",
  " ",
];

function fragment(rng: Rng): string {
  return rng.pick(FRAGMENTS);
}

// Mutation.

const NOISE = [
  ..."/:?+-^!@,*[]\\{}$#. \t0123456789abcxyzAZ_",
  "\u00e9",
  "\u2713",
  "\u2717",
  "\u00a0",
  "\u2028",
  "\ufeff",
  "\u{1f600}",
  "\ud800",
  "\r",
  "\n",
  "\0",
  "${",
  "}",
];

function mutate(rng: Rng, text: string): string {
  let out = text;
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(out.length + 1);
    switch (rng.int(6)) {
      case 0: // insert
        out = out.slice(0, at) + rng.pick(NOISE) + out.slice(at);
        break;
      case 1: // delete
        out = out.slice(0, at) + out.slice(at + 1 + rng.int(3));
        break;
      case 2: // replace
        out = out.slice(0, at) + rng.pick(NOISE) + out.slice(at + 1);
        break;
      case 3: // duplicate a slice
        out = out.slice(0, at) + out.slice(rng.int(out.length + 1), at) + out.slice(at);
        break;
      case 4: // truncate
        out = out.slice(0, at);
        break;
      default: // splice in a fragment
        out = out.slice(0, at) + fragment(rng) + out.slice(at);
    }
  }
  return out;
}

/** Random command lines: half as generated, half mutated. */
function commandLine(rng: Rng): string {
  const text = command(rng);
  return rng.chance(0.5) ? text : mutate(rng, text);
}

// parseCommand.

Deno.test("parseCommand() throws only CommandError on 20,000 random and mutated commands", () => {
  const rng = prng(0x5eed);
  const start = performance.now();
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const text = commandLine(rng);
    try {
      parseCommand(text);
      accepted++;
    } catch (err) {
      if (!(err instanceof CommandError)) {
        assert.fail(`input ${i} ${JSON.stringify(text)} threw ${err}`);
      }
      assert.ok(Number.isInteger(err.offset) && err.offset >= 0, JSON.stringify(text));
      assert.ok(err.message.length > 0);
    }
  }
  assert.ok(performance.now() - start < TIME_LIMIT_MS, "took too long");
  // The generator is useful only if both sides are well represented.
  assert.ok(accepted > 2_000 && accepted < 18_000, `accepted ${accepted} of 20000`);
});

Deno.test("parseCommand() accepts its own formatting of every accepted command, stably", () => {
  const rng = prng(0xc0ffee);
  const start = performance.now();
  for (let i = 0; i < 20_000; i++) {
    const text = commandLine(rng);
    let parsed;
    try {
      parsed = parseCommand(text);
    } catch (err) {
      if (err instanceof CommandError) continue;
      throw err;
    }
    const formatted = formatCommand(parsed);
    let again;
    try {
      again = parseCommand(formatted);
    } catch (err) {
      assert.fail(`${JSON.stringify(text)} formats as ${JSON.stringify(formatted)}: ${err}`);
    }
    assert.deepEqual(again, parsed, `${JSON.stringify(text)} -> ${JSON.stringify(formatted)}`);
    assert.equal(formatCommand(again), formatted, JSON.stringify(text));
  }
  assert.ok(performance.now() - start < TIME_LIMIT_MS, "took too long");
});

Deno.test("parseCommand() stays fast on long inputs", () => {
  const rng = prng(7);
  const start = performance.now();
  for (let i = 0; i < 200; i++) {
    const unit = commandLine(rng) || "x";
    const text = unit.repeat(1 + rng.int(200));
    try {
      parseCommand(text);
    } catch (err) {
      if (!(err instanceof CommandError)) assert.fail(`${JSON.stringify(unit)}*n threw ${err}`);
    }
  }
  assert.ok(performance.now() - start < TIME_LIMIT_MS, "took too long");
});

// parseAddress.

Deno.test("parseAddress() throws only AddressError and formats what it accepts stably", () => {
  const rng = prng(0xadd7);
  const start = performance.now();
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const text = rng.chance(0.5) ? address(rng) : mutate(rng, address(rng));
    let parsed;
    try {
      parsed = parseAddress(text);
    } catch (err) {
      if (!(err instanceof AddressError)) assert.fail(`${JSON.stringify(text)} threw ${err}`);
      assert.ok(Number.isInteger(err.offset) && err.offset >= 0, JSON.stringify(text));
      continue;
    }
    accepted++;
    const formatted = formatAddress(parsed);
    assert.deepEqual(parseAddress(formatted), parsed, `${JSON.stringify(text)} -> ${formatted}`);
    assert.equal(formatAddress(parseAddress(formatted)), formatted);
  }
  assert.ok(performance.now() - start < TIME_LIMIT_MS, "took too long");
  assert.ok(accepted > 1_000, `accepted ${accepted}`);
});

// checkPattern.

Deno.test("checkPattern() throws only PatternError, and covers() never throws", () => {
  const rng = prng(0x9a77);
  const start = performance.now();
  const accepted: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const text = rng.chance(0.5) ? pattern(rng) : mutate(rng, pattern(rng));
    try {
      checkPattern(text);
      accepted.push(text);
    } catch (err) {
      if (!(err instanceof PatternError)) assert.fail(`${JSON.stringify(text)} threw ${err}`);
      assert.ok(err.offset >= 0 && err.offset <= text.length, JSON.stringify(text));
    }
  }
  for (let i = 0; i < 20_000; i++) {
    const broad = rng.pick(accepted);
    const narrow = rng.pick(accepted);
    const result = covers(broad, narrow);
    assert.equal(typeof result, "boolean");
    if (result && !narrow.startsWith("/")) assert.equal(broad, narrow);
    assert.equal(covers(narrow, narrow), true);
    assert.ok(literalPrefix(narrow).length <= narrow.length);
    if (isLiteral(narrow)) assert.ok(!/(^|[^\\])[*?[]/.test(narrow), narrow);
  }
  assert.ok(performance.now() - start < TIME_LIMIT_MS, "took too long");
  assert.ok(accepted.length > 5_000, `accepted ${accepted.length}`);
});

// load.

const VARIABLES = ["HOME", "SYD_UID", "UNSET", "EMPTY", "DIR"];

/** A random file text: commands, comments, blanks, variables, includes. */
function fileText(rng: Rng, names: readonly string[]): string {
  const lines: string[] = [];
  const n = rng.int(25);
  for (let i = 0; i < n; i++) {
    const indent = rng.pick(["", "", "  ", "\t"]);
    switch (rng.int(8)) {
      case 0:
        lines.push(`${indent}# ${commandLine(rng)}`);
        break;
      case 1:
        lines.push(rng.pick(["", "   ", "\t", "\r"]));
        break;
      case 2:
        lines.push(`${indent}allow/read+\${${rng.pick(VARIABLES)}}/***`);
        break;
      case 3:
        lines.push(`${indent}include ${rng.pick(names)}`);
        break;
      case 4:
        lines.push(`${indent}include_profile ${rng.pick([...Object.keys(PROFILES), "usr"])}`);
        break;
      default:
        lines.push(indent + commandLine(rng));
    }
  }
  const text = lines.join(rng.chance(0.9) ? "\n" : "\r\n");
  return rng.chance(0.2) ? mutate(rng, text) : text;
}

Deno.test("load() returns diagnostics, never throws, on random files that include each other", () => {
  const rng = prng(0x10ad);
  const start = performance.now();
  const names = [
    "/a.syd-3",
    "/b.syd-3",
    "/dir/c.syd-3",
    "c.syd-3",
    "../a.syd-3",
    "/x.txt",
    "/no.syd-3",
  ];
  for (let i = 0; i < 400; i++) {
    const files: Record<string, string> = {};
    for (const path of ["/a.syd-3", "/b.syd-3", "/dir/c.syd-3", "/dir/../a.syd-3", "/x.txt"]) {
      files[path] = fileText(rng, names);
    }
    const options: LoadOptions = {
      env: { HOME: "/home/u", SYD_UID: "1000", EMPTY: "", DIR: "/srv" },
      realPath: (path) => {
        if (!Object.hasOwn(files, path)) throw new Deno.errors.NotFound(path);
        return path.replace("/dir/../", "/");
      },
      readTextFile: (path) => {
        if (!Object.hasOwn(files, path)) throw new Deno.errors.NotFound(path);
        return files[path];
      },
    };
    const specs = Array.from({ length: 1 + rng.int(4) }, () =>
      rng.pick([
        () => ({ kind: "file" as const, path: rng.pick(names) }),
        () => ({ kind: "command" as const, text: commandLine(rng) }),
        () => ({ kind: "profile" as const, name: rng.pick([...Object.keys(PROFILES), "usr"]) }),
      ])());
    let result;
    try {
      result = load(specs, options);
    } catch (err) {
      assert.fail(`load ${i} threw ${err}: ${JSON.stringify({ specs, files })}`);
    }
    const startup = [...lintStartup(result, { uid: 1000, gid: 0 }), ...lintStartup(result)];
    for (const d of [...result.diagnostics, ...lintWarnings(result), ...startup]) {
      assert.equal(typeof d.file, "string");
      assert.ok(Number.isInteger(d.line) && d.line >= 1, JSON.stringify(d));
      assert.ok(Number.isInteger(d.col) && d.col >= 1, JSON.stringify(d));
      assert.ok(d.severity === "error" || d.severity === "warning");
      assert.ok(d.message.length > 0);
    }
    for (const rule of result.state.rules) assert.ok(CATEGORIES.includes(rule.category));
  }
  assert.ok(performance.now() - start < TIME_LIMIT_MS, "took too long");
});

Deno.test("the fuzz generators are deterministic", () => {
  const a = prng(42);
  const b = prng(42);
  for (let i = 0; i < 100; i++) assert.equal(commandLine(a), commandLine(b));
});

Deno.test("parseSize() never throws, stays within u64, and agrees with plain arithmetic", () => {
  const rng = prng(0x512e);
  const units: [string, bigint][] = [
    ["", 0n],
    ["b", 0n],
    ["K", 10n],
    ["kib", 10n],
    ["M", 20n],
    ["MB", 20n],
    ["Gi", 30n],
    ["T", 40n],
  ];
  const start = performance.now();
  for (let i = 0; i < 5000; i++) {
    // Random text over the size alphabet.
    const text = Array.from(
      { length: rng.int(12) },
      () => rng.pick([..."0123456789.eE+-_ kKmMgGtTpPiIbBx"]),
    ).join("");
    const value = parseSize(text);
    assert.ok(value === undefined || (value >= 0n && value <= U64_MAX), JSON.stringify(text));
    // A whole number with a unit is that number shifted, unless above u64.
    const n = BigInt(rng.int(2 ** 30)) * (rng.chance(0.3) ? BigInt(rng.int(2 ** 30)) : 1n);
    const [unit, shift] = rng.pick(units);
    const expected = n << shift;
    const spaced = rng.chance(0.3) ? " " : "";
    assert.equal(
      parseSize(`${n}${spaced}${unit}`),
      expected <= U64_MAX ? expected : undefined,
      `${n}${spaced}${unit}`,
    );
  }
  assert.ok(performance.now() - start < TIME_LIMIT_MS, "took too long");
});

Deno.test("the namespace parsers (bind OPTS, UTS names, time offsets) throw only NamespaceError", () => {
  const rng = prng(0x6e5);
  const start = performance.now();
  const counts = { options: 0, names: 0, times: 0 };
  for (let i = 0; i < 10_000; i++) {
    const items = Array.from({ length: 1 + rng.int(4) }, () => rng.pick(BIND_ITEMS)).join(",");
    const options = rng.chance(0.5) ? items : mutate(rng, items);
    const name = rng.chance(0.5) ? rng.pick(UTS_NAMES) : mutate(rng, rng.pick(UTS_NAMES));
    const time = rng.chance(0.5) ? rng.pick(TIMES) : mutate(rng, rng.pick(TIMES));
    const only = (what: keyof typeof counts, text: string, parse: () => unknown) => {
      try {
        parse();
        counts[what]++;
      } catch (err) {
        if (!(err instanceof NamespaceError)) {
          assert.fail(`${what} ${JSON.stringify(text)}: ${err}`);
        }
        assert.ok(err.offset >= 0 && err.offset <= text.length + 20, JSON.stringify(text));
      }
    };
    only("options", options, () => {
      const { attr, data } = parseBindOptions(options, 0);
      // What is accepted formats back to the same attributes and data.
      const again = formatBindOptions(attr, data);
      assert.deepEqual(
        again === "" ? { attr, data } : parseBindOptions(again, 0),
        { attr, data },
        options,
      );
    });
    only("names", name, () => parseUtsName(name, 0));
    only("times", time, () => {
      const seconds = parseTimeOffset(time, 0);
      if (seconds !== null) assert.equal(parseTimeOffset(String(seconds), 0), seconds);
    });
  }
  assert.ok(performance.now() - start < TIME_LIMIT_MS, "took too long");
  for (const [what, n] of Object.entries(counts)) {
    assert.ok(n > 500 && n < 9_500, `${what}: accepted ${n} of 10000`);
  }
});
