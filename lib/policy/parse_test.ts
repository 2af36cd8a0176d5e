import assert from "node:assert/strict";
import {
  type Command,
  CommandError,
  formatCommand,
  isSetidSyntax,
  parseCommand,
  parseDurationNs,
  parseSize,
} from "./parse.ts";
import {
  ACTIONS,
  CATEGORIES,
  CATEGORY_ALIASES,
  FS_HARDENING_OPTIONS,
  NET_CATEGORIES,
  NOOP_TRACE_OPTIONS,
  PATH_CATEGORIES,
} from "./vocab.ts";

/** `all`: every category but ioctl (as the original's, whose ioctl judges requests, not paths). */
const ALL = CATEGORY_ALIASES.all;

/** The CommandError that parsing `text` throws (fails the test if it parses). */
function refusal(text: string): CommandError {
  try {
    const command = parseCommand(text);
    assert.fail(`${JSON.stringify(text)} parsed as ${JSON.stringify(command)}`);
  } catch (err) {
    if (err instanceof CommandError) return err;
    throw err;
  }
}

/** Parses, checks the value, and checks that formatting gives `canonical` (default: the text). */
function roundTrip(text: string, expected: Command, canonical = text): void {
  const command = parseCommand(text);
  assert.deepEqual(command, expected);
  assert.equal(formatCommand(command), canonical);
  assert.deepEqual(parseCommand(canonical), expected);
}

// Operators.

Deno.test("parseCommand() reads ':' as set on a sandbox category", () => {
  roundTrip("sandbox/read:on", { kind: "sandbox", categories: ["read"], on: true });
  roundTrip("sandbox/read:off", { kind: "sandbox", categories: ["read"], on: false });
});

Deno.test("parseCommand() reads '?' as a query that takes no value", () => {
  roundTrip("sandbox/read?", { kind: "sandbox_query", categories: ["read"] });
  const err = refusal("sandbox/read?on");
  assert.equal(err.message, "a query takes no value");
  assert.equal(err.offset, 13);
});

Deno.test("parseCommand() reads '+' as add a rule", () => {
  roundTrip("allow/read+/usr/***", {
    kind: "rule",
    action: "allow",
    categories: ["read"],
    op: "+",
    pattern: "/usr/***",
  });
});

Deno.test("parseCommand() reads '-' as remove the most recent equal rule", () => {
  roundTrip("deny/write-/tmp/x", {
    kind: "rule",
    action: "deny",
    categories: ["write"],
    op: "-",
    pattern: "/tmp/x",
  });
});

Deno.test("parseCommand() reads '^' as remove every equal rule", () => {
  roundTrip("filter/stat^/proc/**", {
    kind: "rule",
    action: "filter",
    categories: ["stat"],
    op: "^",
    pattern: "/proc/**",
  });
});

Deno.test("parseCommand() reads bare 'reset' and refuses a value for it", () => {
  roundTrip("reset", { kind: "reset" });
  const err = refusal("reset:1");
  assert.match(err.message, /"reset" takes no value/);
  assert.equal(err.offset, 5);
});

Deno.test("parseCommand() refuses the '!' operator at the '!'", () => {
  const err = refusal("cmd!arg");
  assert.match(err.message, /"cmd!\.\.\." is not a command syd knows/);
  assert.equal(err.offset, 3);
  assert.equal(err.unsupported, false);
  assert.equal(refusal("sandbox/read!on").offset, 12);
});

Deno.test("parseCommand() takes the first operator as the split, keeping later ones in the value", () => {
  roundTrip("allow/read+/a+b:c?d-e^f", {
    kind: "rule",
    action: "allow",
    categories: ["read"],
    op: "+",
    pattern: "/a+b:c?d-e^f",
  });
  roundTrip("mask++x", { kind: "mask", op: "+", pattern: "+x" });
});

// Categories.

Deno.test("parseCommand() knows every category of vocab.ts in sandbox and default commands", () => {
  for (const category of CATEGORIES) {
    roundTrip(`sandbox/${category}:on`, { kind: "sandbox", categories: [category], on: true });
    roundTrip(`default/${category}:warn`, {
      kind: "default",
      categories: [category],
      action: "warn",
    });
  }
});

Deno.test("parseCommand() makes a path rule for every path category but ioctl, which names requests", () => {
  for (const category of PATH_CATEGORIES.filter((c) => c !== "ioctl")) {
    roundTrip(`deny/${category}+/x`, {
      kind: "rule",
      action: "deny",
      categories: [category],
      op: "+",
      pattern: "/x",
    });
  }
});

Deno.test("parseCommand() makes a network rule for every network category", () => {
  for (const category of NET_CATEGORIES) {
    roundTrip(`allow/${category}+loopback!80`, {
      kind: "net_rule",
      action: "allow",
      categories: [category],
      op: "+",
      address: {
        kind: "inet",
        alias: "loopback",
        cidrs: [
          { family: 4, address: "127.0.0.0", prefix: 8 },
          { family: 6, address: "::1", prefix: 128 },
        ],
        ports: [{ min: 80, max: 80 }],
      },
    });
  }
});

Deno.test("parseCommand() expands 'all' to every category and formats it back as 'all'", () => {
  roundTrip("sandbox/all:off", { kind: "sandbox", categories: [...ALL], on: false });
  roundTrip("default/all:kill", { kind: "default", categories: [...ALL], action: "kill" });
});

Deno.test("parseCommand() expands 'net' to the network categories and formats it back as 'net'", () => {
  roundTrip("sandbox/net:on", { kind: "sandbox", categories: [...NET_CATEGORIES], on: true });
  roundTrip(
    "sandbox/net/bind,net/connect:on",
    { kind: "sandbox", categories: [...NET_CATEGORIES], on: true },
    "sandbox/net:on",
  );
  assert.deepEqual(parseCommand("deny/net+@x"), {
    kind: "net_rule",
    action: "deny",
    categories: [...NET_CATEGORIES],
    op: "+",
    address: { kind: "abstract", pattern: "x" },
  });
});

Deno.test("parseCommand() expands 'mkdev' to mkbdev and mkcdev", () => {
  roundTrip(
    "sandbox/mkdev:on",
    { kind: "sandbox", categories: ["mkbdev", "mkcdev"], on: true },
    "sandbox/mkbdev,mkcdev:on",
  );
  roundTrip(
    "allow/mkdev+/dev/x",
    { kind: "rule", action: "allow", categories: ["mkbdev", "mkcdev"], op: "+", pattern: "/dev/x" },
    "allow/mkbdev,mkcdev+/dev/x",
  );
});

Deno.test("parseCommand() reads comma lists in order, dropping repeats", () => {
  roundTrip("sandbox/write,read,stat:on", {
    kind: "sandbox",
    categories: ["write", "read", "stat"],
    on: true,
  });
  roundTrip(
    "default/read,read,mkdev,mkbdev:filter",
    { kind: "default", categories: ["read", "mkbdev", "mkcdev"], action: "filter" },
    "default/read,mkbdev,mkcdev:filter",
  );
  roundTrip(
    "sandbox/all,read:on",
    { kind: "sandbox", categories: [...ALL], on: true },
    "sandbox/all:on",
  );
});

// Actions.

Deno.test("parseCommand() knows every action as default/<cat>:<action>", () => {
  for (const action of ACTIONS) {
    roundTrip(`default/read:${action}`, { kind: "default", categories: ["read"], action });
  }
});

Deno.test("parseCommand() knows every action as <action>/<cat>+PATTERN", () => {
  for (const action of ACTIONS) {
    roundTrip(`${action}/write+/tmp/***`, {
      kind: "rule",
      action,
      categories: ["write"],
      op: "+",
      pattern: "/tmp/***",
    });
  }
});

// Other commands.

Deno.test("parseCommand() reads lock:on, lock:off and lock:exec", () => {
  for (const state of ["on", "off", "exec"] as const) {
    roundTrip(`lock:${state}`, { kind: "lock", state });
  }
});

Deno.test("parseCommand() refuses an unknown lock state with a hint", () => {
  const err = refusal("lock:exce");
  assert.match(err.message, /"exce" is not a lock state/);
  assert.equal(err.offset, 5);
  assert.equal(err.hint, 'did you mean "exec"?');
});

Deno.test("parseCommand() reads mask with +, - and ^", () => {
  roundTrip("mask+/etc/shadow", { kind: "mask", op: "+", pattern: "/etc/shadow" });
  roundTrip("mask-/etc/shadow", { kind: "mask", op: "-", pattern: "/etc/shadow" });
  roundTrip("mask^", { kind: "mask", op: "^", pattern: "" });
});

Deno.test("parseCommand() reads mask targets and the original's escapes", () => {
  roundTrip("mask+/dev/[fn]ull:/dev/zero", {
    kind: "mask",
    op: "+",
    pattern: "/dev/[fn]ull",
    target: "/dev/zero",
  });
  roundTrip("mask+/proc/acpi/***:/dev/null:/var/empty", {
    kind: "mask",
    op: "+",
    pattern: "/proc/acpi/***",
    target: "/dev/null",
    dirTarget: "/var/empty",
  });
  roundTrip("mask+/a\\:b\\\\c:/x\\:y", {
    kind: "mask",
    op: "+",
    pattern: "/a:b\\c",
    target: "/x:y",
  });
  roundTrip("mask-/a\\:b", { kind: "mask", op: "-", pattern: "/a:b" });
  // Normalized as the original's: `.`, repeated and trailing slashes dropped.
  assert.deepEqual(parseCommand("mask+/x://dev/./null/"), {
    kind: "mask",
    op: "+",
    pattern: "/x",
    target: "/dev/null",
  });
});

Deno.test("parseCommand() refuses bad mask targets, lone backslashes and mask^ with a pattern (EINVAL)", () => {
  assert.match(refusal("mask+/x:dev/null").message, /not an absolute path/);
  assert.equal(refusal("mask+/x:dev/null").offset, 8);
  assert.match(refusal("mask+/x:").message, /an empty mask target/);
  assert.match(refusal("mask+/x:/a/../b").message, /has a "\.\." component/);
  assert.match(refusal("mask+/x:/dev/null:rel").message, /not an absolute path/);
  assert.match(refusal("mask+/x:/a:/b:/c").message, /at most PATTERN:TARGET:DIRTARGET/);
  assert.match(refusal("mask+/x\\y").message, /lone backslash/);
  assert.match(refusal("mask^/x").message, /mask\^ takes no pattern/);
  for (const text of ["mask+/x:rel", "mask+/x\\y", "mask^/x"]) {
    assert.equal(refusal(text).errno, undefined);
  }
});

Deno.test("parseCommand() refuses syd 1's exec/kill as the original does (EINVAL, not unsupported)", () => {
  const err = refusal("exec/kill+/usr/bin/nc*");
  assert.equal(err.unsupported, false);
  assert.match(err.hint ?? "", /kill\/exec\+PATTERN/);
});

Deno.test("parseCommand() refuses mask with ':'", () => {
  const err = refusal("mask:/x");
  assert.match(err.message, /"mask" takes mask\+\.\.\. or mask-\.\.\. or mask\^\.\.\., not ":"/);
  assert.equal(err.offset, 4);
});

Deno.test("parseCommand() reads trace/exit_wait_all:1", () => {
  roundTrip("trace/exit_wait_all:1", { kind: "trace", option: "exit_wait_all", value: true });
});

Deno.test("parseCommand() reads trace/deny_dotdot:0", () => {
  roundTrip("trace/deny_dotdot:0", { kind: "trace", option: "deny_dotdot", value: false });
});

Deno.test("parseCommand() accepts on/off/true/false/1/0 and formats trace booleans as 1/0", () => {
  for (
    const [text, value] of [["on", true], ["true", true], ["1", true], ["off", false], [
      "false",
      false,
    ], ["0", false]] as const
  ) {
    roundTrip(
      `trace/exit_wait_all:${text}`,
      { kind: "trace", option: "exit_wait_all", value },
      `trace/exit_wait_all:${value ? 1 : 0}`,
    );
    roundTrip(
      `sandbox/read:${text}`,
      { kind: "sandbox", categories: ["read"], on: value },
      `sandbox/read:${value ? "on" : "off"}`,
    );
  }
});

Deno.test("parseCommand() reads include PATH verbatim after one blank, as the original (names may begin with blanks)", () => {
  roundTrip("include /etc/syd/extra.syd-3", { kind: "include", path: "/etc/syd/extra.syd-3" });
  roundTrip("include \t rel/a b.syd-3 ", { kind: "include", path: "\t rel/a b.syd-3 " });
  roundTrip(
    "include_profile  user ",
    { kind: "include_profile", name: "user" },
    "include_profile user",
  );
});

Deno.test("parseCommand() reads include_profile NAME", () => {
  roundTrip("include_profile user", { kind: "include_profile", name: "user" });
});

Deno.test("parseCommand() refuses include without an argument, pointing after the blanks", () => {
  const err = refusal("include   ");
  assert.equal(err.message, "include needs an argument");
  assert.equal(err.offset, 10);
  assert.equal(refusal("include_profile \t").offset, 17);
});

// Errors.

Deno.test("parseCommand() refuses an empty command at offset 0", () => {
  const err = refusal("");
  assert.equal(err.message, "empty command");
  assert.equal(err.offset, 0);
});

Deno.test("parseCommand() refuses NUL and newline at their offset", () => {
  assert.equal(refusal("sandbox/read:on\nlock:on").offset, 15);
  assert.equal(refusal("allow/read+/a\0b").offset, 13);
});

Deno.test("parseCommand() refuses an unknown command with a suggestion", () => {
  const err = refusal("sandboc/read:on");
  assert.equal(err.message, 'unknown command "sandboc/..."');
  assert.equal(err.offset, 0);
  assert.equal(err.hint, 'did you mean "sandbox"?');
  assert.equal(err.unsupported, false);
  assert.equal(refusal("alow/read+/x").hint, 'did you mean "allow"?');
  const lock = refusal("lokc:on");
  assert.equal(lock.message, 'unknown command "lokc"');
  assert.equal(lock.hint, 'did you mean "lock"?');
});

Deno.test("parseCommand() gives no suggestion when nothing is near", () => {
  const err = refusal("frobnicate:1");
  assert.equal(err.message, 'unknown command "frobnicate"');
  assert.equal(err.hint, undefined);
});

Deno.test("parseCommand() refuses an unknown category 'raed' suggesting 'read' at its offset", () => {
  const err = refusal("sandbox/raed:on");
  assert.equal(err.message, 'unknown category "raed"');
  assert.equal(err.hint, 'did you mean "read"?');
  assert.equal(err.offset, 8);
  assert.equal(refusal("allow/raed+/x").offset, 6);
  assert.equal(refusal("default/raed:deny").offset, 8);
});

Deno.test("parseCommand() points at the misspelt category inside a comma list", () => {
  const err = refusal("sandbox/read,raed:on");
  assert.equal(err.message, 'unknown category "raed"');
  assert.equal(err.offset, 13);
  assert.equal(refusal("deny/stat,write,wirte+/x").offset, 16);
});

Deno.test("parseCommand() refuses an empty category in a list at its offset", () => {
  const err = refusal("sandbox/read,:on");
  assert.equal(err.message, "empty category in the list");
  assert.equal(err.offset, 13);
  assert.equal(refusal("sandbox/:on").message, "missing category");
});

Deno.test("parseCommand() refuses an unknown action with a suggestion", () => {
  const err = refusal("default/read:dney");
  assert.equal(err.message, 'unknown action "dney"');
  assert.equal(err.offset, 13);
  assert.equal(err.hint, 'did you mean "deny"?');
});

Deno.test("parseCommand() refuses a missing action listing the actions", () => {
  const err = refusal("default/read:");
  assert.equal(err.message, "missing action");
  assert.equal(err.offset, 13);
  assert.match(err.hint ?? "", /allow, warn, filter, deny, panic, stop, abort, kill, exit/);
});

Deno.test("parseCommand() refuses a bad on/off value with a hint", () => {
  const err = refusal("sandbox/read:offf");
  assert.equal(err.message, '"offf" is not on or off');
  assert.equal(err.offset, 13);
  assert.equal(err.hint, 'did you mean "off"?');
  assert.equal(refusal("trace/deny_dotdot:maybe").offset, 18);
});

Deno.test("parseCommand() refuses a rule without a pattern or address at the value", () => {
  const path = refusal("allow/read+");
  assert.equal(path.message, "missing pattern");
  assert.equal(path.offset, 11);
  const net = refusal("allow/net/bind+");
  assert.equal(net.message, "missing address");
  assert.equal(net.offset, 15);
});

Deno.test("parseCommand() refuses a rule with ':' at the operator", () => {
  const err = refusal("allow/read:/x");
  assert.match(err.message, /"allow\/read" takes allow\/read\+\.\.\. or .*, not ":"/);
  assert.equal(err.offset, 10);
});

Deno.test("parseCommand() refuses a rule mixing path and network categories on an address", () => {
  const err = refusal("allow/read,net/bind+loopback!80");
  assert.match(err.message, /path and network categories at once needs an absolute path/);
  assert.equal(err.offset, 20);
  assert.equal(refusal("allow/all+@abstract").offset, 10);
});

Deno.test("parseCommand() reads a rule mixing path and network categories on an absolute path", () => {
  roundTrip("allow/read,net/bind+/run/x.sock", {
    kind: "rule",
    action: "allow",
    categories: ["read", "net/bind"],
    op: "+",
    pattern: "/run/x.sock",
  });
  roundTrip("deny/all+/***", {
    kind: "rule",
    action: "deny",
    categories: [...ALL],
    op: "+",
    pattern: "/***",
  });
});

Deno.test("parseCommand() points a pattern error into the pattern", () => {
  const err = refusal("allow/read+/a/[b");
  assert.equal(err.offset, 14);
  assert.equal(refusal("mask+/x\\").offset, 7);
  assert.equal(refusal("kill/exec+/[a").offset, 11);
});

Deno.test("parseCommand() points an address error into the address", () => {
  const missingPort = refusal("allow/net/bind+127.0.0.1");
  assert.match(missingPort.message, /needs a port/);
  assert.equal(missingPort.offset, 24);
  const badPort = refusal("allow/net/connect+1.2.3.4!99999");
  assert.match(badPort.message, /"99999" is not a port/);
  assert.equal(badPort.offset, 26);
});

Deno.test("parseCommand() flags sandbox/crypt:on as unsupported, at the category", () => {
  const err = refusal("sandbox/crypt:on");
  assert.equal(err.unsupported, true);
  assert.match(err.message, /category "crypt" is not supported/);
  assert.equal(err.offset, 8);
  assert.equal(refusal("sandbox/read,crypt:on").unsupported, true);
});

Deno.test("parseCommand() reads force+PATH:ALG:HEX[:ACTION], force-PATH, force^; refuses the rest", () => {
  const hex = "ab".repeat(32);
  roundTrip(`force+/usr/bin/x:sha256:${hex}`, {
    kind: "force",
    op: "+",
    path: "/usr/bin/x",
    alg: "sha256",
    digest: hex,
  });
  roundTrip(`force+/a\\:b:crc32:0000000f:kill`, {
    kind: "force",
    op: "+",
    path: "/a:b",
    alg: "crc32",
    digest: "0000000f",
    action: "kill",
  });
  roundTrip("force-/usr/bin/x", { kind: "force", op: "-", path: "/usr/bin/x" });
  roundTrip("force^", { kind: "force", op: "^" });
  assert.match(refusal("force+/x").message, /PATH:ALGORITHM:HASHHEX/);
  assert.match(refusal("force+x:sha256:" + hex).message, /not an absolute path/);
  assert.match(refusal("force+/x:sha256:abcd").message, /not a sha256 digest/);
  assert.match(refusal(`force+/x:sha256:${hex}:allow`).message, /not a force action/);
  assert.match(refusal("force+/x:nope:abcd").message, /unknown algorithm/);
  const md4 = refusal("force+/x:md4:" + "1".repeat(32));
  assert.equal(md4.unsupported, true);
  assert.equal(md4.offset, 9);
  roundTrip("default/force:kill", { kind: "default", categories: [], action: "kill", force: true });
  assert.match(refusal("default/force:allow").message, /default\/force cannot be allow/);
});

Deno.test("parseCommand() flags trace/allow_unsafe_exec:1 as unsupported", () => {
  const err = refusal("trace/allow_unsafe_exec:1");
  assert.equal(err.unsupported, true);
  assert.match(err.message, /"trace\/allow_unsafe_exec"/);
});

Deno.test("parseCommand() flags other commands of the original as unsupported", () => {
  for (
    const text of ["crypt/key:x", "proxy/port:9050", "trace/allow_safe_syslog:1"]
  ) {
    assert.equal(refusal(text).unsupported, true, text);
  }
});

Deno.test("parseCommand() does not flag an unknown trace option as unsupported", () => {
  const err = refusal("trace/foo:1");
  assert.equal(err.unsupported, false);
  assert.equal(err.message, 'unknown command "trace/foo"');
});

Deno.test("parseCommand() throws nothing but CommandError for bad input", () => {
  for (const text of ["", "/", ":", "?", "+", "-", "^", "!", "sandbox/", "allow/", "default/:"]) {
    assert.throws(() => parseCommand(text), CommandError, JSON.stringify(text));
  }
});

// Bugs.

Deno.test({
  name: "parseCommand() does not suggest the very word that was written",
  // Regression (was a bug): "sandbox:on" (and "include", "exec+/x", "default:deny") answers
  // `unknown command "sandbox"` with the hint `did you mean "sandbox"?`.

  fn() {
    for (
      const [text, word] of [["sandbox:on", "sandbox"], ["include", "include"], [
        "exec+/x",
        "exec",
      ]]
    ) {
      const err = refusal(text);
      assert.notEqual(err.hint, `did you mean "${word}"?`, text);
    }
  },
});

Deno.test({
  name: "parseCommand() says a command without an operator needs a value, within the text",
  // Regression (was a bug): expectOp() checks `allowed.includes(op)`, which is true for op "" (every string
  // includes ""), so its "needs a value" message never fires: "allow/read" answers "missing
  // pattern" at offset 11, and "sandbox/read" `"" is not on or off` at 13, past the text's end.

  fn() {
    for (const text of ["allow/read", "sandbox/read", "default/read", "mask"]) {
      const err = refusal(text);
      assert.match(err.message, /needs a value/, text);
      assert.ok(err.offset <= text.length, `${text}: offset ${err.offset}`);
    }
  },
});

Deno.test({
  name: "parseCommand() refuses Object.prototype names as categories with a CommandError",
  // Regression (was a bug): CATEGORY_ALIASES is a plain object, so "constructor" or "toString" finds
  // Object.prototype's function: parseCommand("sandbox/constructor:on") throws
  // TypeError "alias is not iterable" instead of a CommandError.

  fn() {
    for (const name of ["constructor", "toString", "hasOwnProperty"]) {
      assert.throws(() => parseCommand(`sandbox/${name}:on`), CommandError, name);
    }
  },
});

Deno.test({
  name: "parseCommand() refuses Object.prototype names as on/off values",
  // Regression (was a bug): BOOLEAN is a plain object, so parseCommand("sandbox/read:constructor") is accepted
  // with `on` set to the Object function (and formats back as "sandbox/read:on").

  fn() {
    for (const value of ["constructor", "toString", "valueOf"]) {
      assert.throws(() => parseCommand(`sandbox/read:${value}`), CommandError, value);
      assert.throws(() => parseCommand(`trace/deny_dotdot:${value}`), CommandError, value);
    }
  },
});

Deno.test("parseCommand() reads timeout: as a duration, none or off, seconds without a unit", () => {
  assert.deepEqual(parseCommand("timeout:90"), { kind: "timeout", ms: 90_000 });
  assert.deepEqual(parseCommand("timeout:1.5s"), { kind: "timeout", ms: 1_500 });
  assert.deepEqual(parseCommand("timeout:250ms"), { kind: "timeout", ms: 250 });
  assert.deepEqual(parseCommand("timeout:2h"), { kind: "timeout", ms: 7_200_000 });
  assert.deepEqual(parseCommand("timeout:none"), { kind: "timeout", ms: 0 });
  assert.deepEqual(parseCommand("timeout:off"), { kind: "timeout", ms: 0 });
  assert.equal(formatCommand(parseCommand("timeout:1.5s")), "timeout:1500ms");
  for (
    const bad of ["timeout:0", "timeout:-1", "timeout:soon", "timeout:1y", "timeout:", "timeout+1"]
  ) {
    assert.throws(() => parseCommand(bad), CommandError, bad);
  }
});

Deno.test("parseCommand() accepts the original's relaxations of checks syd does not make, and refuses the rest", () => {
  for (const option of Object.keys(NOOP_TRACE_OPTIONS)) {
    roundTrip(`trace/${option}:1`, { kind: "trace_noop", option, value: true });
  }
  assert.equal(refusal("trace/allow_unsafe_magiclinks:1").unsupported, true);
});

Deno.test("parseCommand() takes the relaxations of the filesystem hardenings syd makes", () => {
  for (const option of Object.keys(FS_HARDENING_OPTIONS)) {
    roundTrip(`trace/${option}:1`, { kind: "trace_fs", option, value: true });
    roundTrip(`trace/${option}:0`, { kind: "trace_fs", option, value: false });
  }
});

Deno.test("parseCommand() takes sandbox/X:off of a category syd does not have as true, and refuses X:on", () => {
  roundTrip("sandbox/crypt:off", { kind: "sandbox", categories: [], on: false, absent: ["crypt"] });
  assert.deepEqual(parseCommand("sandbox/read,proxy,crypt:off"), {
    kind: "sandbox",
    categories: ["read"],
    on: false,
    absent: ["proxy", "crypt"],
  });
  assert.equal(refusal("sandbox/crypt:on").unsupported, true);
  assert.equal(refusal("sandbox/read,crypt:on").unsupported, true);
});

Deno.test("parseCommand() reads sandbox/lock (Landlock) beside the categories, in any list", () => {
  roundTrip("sandbox/lock:off", { kind: "sandbox", categories: [], on: false, landlock: true });
  assert.deepEqual(parseCommand("sandbox/read,lock,crypt:off"), {
    kind: "sandbox",
    categories: ["read"],
    on: false,
    absent: ["crypt"],
    landlock: true,
  });
});

Deno.test("parseCommand() reads fs sandboxing: sandbox/fs, default/fs and ACTION/fs+TYPES, outside `all`", () => {
  roundTrip("deny/fs+bpf_fs,debugfs", {
    kind: "fs_rule",
    action: "deny",
    op: "+",
    text: "bpf_fs,debugfs",
    types: [0xcafe4a11, 0x64626720],
  });
  assert.deepEqual(parseCommand("sandbox/all,fs:off"), {
    kind: "sandbox",
    categories: [...ALL],
    on: false,
    fs: true,
  });
  assert.deepEqual(parseCommand("default/fs:warn"), {
    kind: "default",
    categories: [],
    action: "warn",
    fs: true,
  });
  assert.equal(refusal("allow/fs+nofs").offset, 9);
});

Deno.test("parseCommand() reads the original's !unnamed address (socketpair, autobind)", () => {
  for (const text of ["allow/net/bind+!unnamed", "allow/net/connect+unix!!unnamed"]) {
    const command = parseCommand(text);
    assert.equal(command.kind, "net_rule");
    if (command.kind === "net_rule") {
      assert.deepEqual(command.address, { kind: "unix", pattern: "!unnamed" });
    }
  }
});

Deno.test("parseCommand() applies an fd name to the categories that are not network ones", () => {
  const command = parseCommand("allow/all+!memfd:**");
  assert.equal(command.kind, "rule");
  if (command.kind === "rule") {
    assert.ok(command.categories.includes("create") && command.categories.includes("sendfd"));
    assert.ok(!command.categories.some((c) => c.startsWith("net/")));
  }
  assert.match(refusal("allow/net/sendfd+/tmp/**").message, /replaced .* by sendfd and recvfd/);
  roundTrip(
    "sandbox/passfd:on",
    { kind: "sandbox", categories: ["sendfd", "recvfd"], on: true },
    "sandbox/sendfd,recvfd:on",
  );
});

Deno.test("parseCommand() reads passfd lists and refuses descending ranges", () => {
  roundTrip("passfd+stdio,4-6,9", {
    kind: "passfd",
    op: "+",
    text: "stdio,4-6,9",
    all: false,
    ranges: [[0, 2], [4, 6], [9, 9]],
  });
  assert.equal(refusal("passfd+6-4").offset, 7);
  assert.equal(refusal("passfd+x").offset, 7);
});

Deno.test("parseCommand() reads setenv!, unsetenv! and clearenv!, and refuses SYD_ names with EPERM", () => {
  roundTrip("setenv!HOME=${HOME}/x", { kind: "setenv", name: "HOME", value: "${HOME}/x" });
  roundTrip("unsetenv!TZ", { kind: "unsetenv", name: "TZ" });
  roundTrip("clearenv!", { kind: "clearenv" });
  assert.equal(refusal("setenv!SYD_X=1").errno, 1);
  assert.equal(refusal("setenv!NOVALUE").offset, 7);
});

Deno.test("parseCommand() refuses the original's domain commands (@NAME/..., move/, domain) as not supported", () => {
  for (const text of ["@jail/allow/read+/x", "move/@d/bind+/x", "domain:x"]) {
    assert.equal(refusal(text).unsupported, true, text);
  }
});

Deno.test("log/rlimit_burst and log/rlimit_interval parse as the original's (nanoseconds or durations)", () => {
  assert.deepEqual(parseCommand("log/rlimit_burst:3"), { kind: "log_rlimit", burst: 3 });
  assert.deepEqual(parseCommand("log/rlimit_interval:5000000000"), {
    kind: "log_rlimit",
    intervalNs: 5e9,
  });
  assert.deepEqual(parseCommand("log/rlimit_interval:0"), { kind: "log_rlimit", intervalNs: 0 });
  assert.equal(parseDurationNs("1m 30s"), 9e10);
  assert.equal(parseDurationNs("250ms"), 2.5e8);
  for (
    const bad of ["log/rlimit_burst:-1", "log/rlimit_burst:x", "log/rlimit_interval:5 parsecs"]
  ) {
    assert.throws(() => parseCommand(bad), CommandError, bad);
  }
  assert.equal(formatCommand(parseCommand("log/rlimit_burst:7")), "log/rlimit_burst:7");
});

Deno.test("parseCommand() decodes a value written wholly in hex, as the original: NUL only in an abstract name", () => {
  roundTrip("deny/net/connect+407379645f74657374006e756c6c", {
    kind: "net_rule",
    action: "deny",
    categories: ["net/connect"],
    op: "+",
    address: { kind: "abstract", pattern: "syd_test\0null" },
  });
  roundTrip("allow/read+2F746D702F2A2A2A", {
    kind: "rule",
    action: "allow",
    categories: ["read"],
    op: "+",
    pattern: "/tmp/***",
  }, "allow/read+/tmp/***");
  // Odd length: not hex, read as written.
  assert.deepEqual((parseCommand("allow/read+2f7") as { pattern: string }).pattern, "2f7");
  assert.match(refusal("allow/read+2f00").message, /NUL/);
  assert.match(refusal("allow/net/connect+2f746d7000").message, /NUL/);
  assert.match(refusal("allow/net/connect+40ff").message, /UTF-8/);
});

Deno.test("parseCommand() reads allow/ioctl and deny/ioctl request lists: names, numbers, globs, NAME!", () => {
  roundTrip("allow/ioctl+FIONBIO,0x5413", {
    kind: "ioctl_rule",
    deny: false,
    op: "+",
    text: "FIONBIO,0x5413",
    requests: [{ request: 0x5421, mask: 0 }, { request: 0x5413, mask: 0 }],
  });
  const glob = parseCommand("deny/ioctl-tc[gs]ets");
  assert.deepEqual(glob, {
    kind: "ioctl_rule",
    deny: true,
    op: "-",
    text: "tc[gs]ets",
    requests: [{ request: 0x5401, mask: 0 }, { request: 0x5402, mask: 0 }],
  });
  // A size-varying request matches for every size; a resized number is the same request.
  const sized = parseCommand("deny/ioctl+PIDFD_GET_INFO,0xc080ff0b");
  assert.ok(sized.kind === "ioctl_rule");
  assert.deepEqual(sized.requests, [{ request: 0xc000ff0b, mask: 0x3fff0000 }]);
  assert.deepEqual(parseCommand("allow/ioctl+NO_SUCH!").kind, "ioctl_rule");
  for (
    const bad of [
      "allow/ioctl+NO_SUCH",
      "allow/ioctl+/dev/tty",
      "allow/read,ioctl+/x",
      "allow/ioctl:1",
      "allow/ioctl+",
    ]
  ) {
    assert.throws(() => parseCommand(bad), CommandError, bad);
  }
});

// Memory and PID sandboxing.

Deno.test("parseCommand() reads sandbox/mem and sandbox/pid beside the categories", () => {
  roundTrip("sandbox/mem:on", { kind: "sandbox", categories: [], on: true, mem: true });
  roundTrip("sandbox/pid:off", { kind: "sandbox", categories: [], on: false, pid: true });
  roundTrip("sandbox/mem,pid:off", {
    kind: "sandbox",
    categories: [],
    on: false,
    mem: true,
    pid: true,
  });
  roundTrip(
    "sandbox/pid,read,mem,lock:on",
    { kind: "sandbox", categories: ["read"], on: true, landlock: true, mem: true, pid: true },
    "sandbox/read,lock,mem,pid:on",
  );
  roundTrip("sandbox/mem?", { kind: "sandbox_query", categories: [], mem: true });
  roundTrip("sandbox/read,pid?", { kind: "sandbox_query", categories: ["read"], pid: true });
  // Not in all (as the original's).
  assert.deepEqual(parseCommand("sandbox/all:on"), {
    kind: "sandbox",
    categories: [...ALL],
    on: true,
  });
  assert.deepEqual(parseCommand("default/all:kill"), {
    kind: "default",
    categories: [...ALL],
    action: "kill",
  });
  // Not categories of rules.
  const rule = refusal("allow/mem+/tmp");
  assert.equal(rule.unsupported, false);
  assert.match(rule.message, /"mem" has no rules: memory sandboxing takes mem\/max/);
  assert.equal(rule.offset, 6);
  assert.match(refusal("deny/read,pid+/tmp").message, /"pid" has no rules/);
  // A typo is suggested the layer.
  assert.equal(refusal("sandbox/mme:on").hint, 'did you mean "mem"?');
});

Deno.test("parseCommand() reads default/mem and default/pid, refusing the actions the original refuses", () => {
  for (
    const action of ["warn", "filter", "deny", "panic", "stop", "abort", "kill", "exit"] as const
  ) {
    roundTrip(`default/mem:${action}`, { kind: "default", categories: [], action, mem: true });
  }
  for (const action of ["warn", "filter", "stop", "abort", "kill", "exit"] as const) {
    roundTrip(`default/pid:${action}`, { kind: "default", categories: [], action, pid: true });
  }
  roundTrip("default/all,fs,mem,pid:filter", {
    kind: "default",
    categories: [...ALL],
    action: "filter",
    fs: true,
    mem: true,
    pid: true,
  });
  const allow = refusal("default/mem:allow");
  assert.equal(allow.message, "default/mem cannot be allow");
  assert.equal(allow.offset, 12);
  assert.equal(allow.errno, undefined); // EINVAL
  for (const action of ["allow", "deny", "panic"]) {
    assert.equal(refusal(`default/pid:${action}`).message, `default/pid cannot be ${action}`);
    assert.match(refusal(`default/read,mem,pid:${action}`).message, /cannot be/);
  }
  assert.match(refusal("default/mem:bogus").message, /unknown action "bogus"/);
});

Deno.test("parseCommand() reads mem/max, mem/vm_max and pid/max", () => {
  roundTrip(
    "mem/max:64M",
    { kind: "limit", key: "mem/max", value: 64n << 20n },
    "mem/max:67108864",
  );
  roundTrip("mem/vm_max:0", { kind: "limit", key: "mem/vm_max", value: 0n });
  roundTrip("pid/max:128", { kind: "limit", key: "pid/max", value: 128n });
  roundTrip("pid/max:18446744073709551615", {
    kind: "limit",
    key: "pid/max",
    value: 18446744073709551615n,
  });
  // As Rust's u64 parse: a + and leading zeros.
  assert.deepEqual(parseCommand("pid/max:+5"), { kind: "limit", key: "pid/max", value: 5n });
  assert.deepEqual(parseCommand("pid/max:007"), { kind: "limit", key: "pid/max", value: 7n });
  for (const bad of ["64K", "1e3", "-1", "0x10", " 5", "5 ", "", "18446744073709551616", "1_0"]) {
    const err = refusal(`pid/max:${bad}`);
    assert.equal(err.offset, 8, bad);
    assert.equal(err.errno, undefined, bad); // EINVAL
    assert.equal(err.unsupported, false, bad);
  }
  for (const bad of ["abc", "-1", "", "0x100", "99999999999999999999", "1.5.5", "K", ".5"]) {
    const err = refusal(`mem/max:${bad}`);
    assert.equal(err.offset, 8, bad);
    assert.match(err.message, /is not a size/, bad);
  }
  assert.equal(refusal("mem/vm_max:x").offset, 11);
  // Anything else under mem/ and pid/: EINVAL, with a suggestion.
  const typo = refusal("mem/maxx:1");
  assert.equal(typo.message, 'unknown command "mem/maxx"');
  assert.equal(typo.hint, 'did you mean "mem/max"?');
  assert.equal(typo.offset, 4);
  assert.equal(refusal("mem/vmmax:1").hint, 'did you mean "mem/vm_max"?');
  assert.equal(refusal("pid/mx:1").hint, 'did you mean "pid/max"?');
  assert.equal(refusal("mem/foo:1").hint, "mem/max:... or mem/vm_max:...");
  assert.equal(refusal("mem/foo:1").unsupported, false);
  assert.match(refusal("mem/max?").message, /takes mem\/max:/);
  assert.match(refusal("pid/max+1").message, /takes pid\/max:/);
  assert.match(refusal("mem/max").message, /needs a value/);
  assert.equal(refusal("mme/max:1").hint, 'did you mean "mem"?');
});

Deno.test("parseSize() reads sizes as the original's parse-size with binary units", () => {
  const cases: [string, bigint][] = [
    ["0", 0n],
    ["4096", 4096n],
    ["1K", 1024n],
    ["1k", 1024n],
    ["1KB", 1024n],
    ["1kb", 1024n],
    ["1KiB", 1024n],
    ["1kib", 1024n],
    ["1Ki", 1024n],
    ["64M", 64n << 20n],
    ["64 M", 64n << 20n],
    ["64MB", 64n << 20n],
    ["64MiB", 64n << 20n],
    ["64Mi", 64n << 20n],
    ["64mi", 64n << 20n],
    ["2G", 2n << 30n],
    ["1T", 1n << 40n],
    ["1P", 1n << 50n],
    ["1E", 1n << 60n],
    ["1e", 1n << 60n], // a trailing e is the unit (exa)
    ["15E", 15n << 60n],
    ["1.5M", 1572864n],
    ["1.5 KiB", 1536n],
    ["1e3", 1000n],
    ["1E+6", 1000000n],
    ["1e2 KIB", 102400n],
    ["1e-4 MiB", 105n],
    ["5.k", 5120n],
    ["_5_", 5n],
    ["1 234 567", 1234567n],
    ["1b", 1n],
    ["1B", 1n],
    ["1i", 1n],
    ["0.0025KB", 3n],
    ["18446744073709551615", 18446744073709551615n],
    ["18_446_744_073_709_551_615", 18446744073709551615n],
    ["0.01e21", 10000000000000000000n],
    ["20_000_000_000_000_000_000e-18", 20n],
    ["98_765_432_109_876_543_210e-16", 9877n],
    ["1e-39", 0n],
  ];
  for (const [text, value] of cases) assert.equal(parseSize(text), value, text);
  for (
    const text of [
      "",
      " ",
      ".",
      "abc",
      "-1",
      "0x100",
      "99999999999999999999",
      "18446744073709551616",
      "1e21",
      "16E",
      ".5",
      "1.5.5",
      "K",
      "1\t",
      "1KK",
      "1 GiBs",
      "1e3.5",
      "1e99999999999",
      "\u0661",
    ]
  ) {
    assert.equal(parseSize(text), undefined, JSON.stringify(text));
  }
});

// SafeSetID.

Deno.test("parseCommand() reads setuid and setgid transits in every form", () => {
  roundTrip("setuid+0:65534", { kind: "setid", id: "uid", op: "+", src: 0, dst: 65534 });
  roundTrip("setgid-0:65534", { kind: "setid", id: "gid", op: "-", src: 0, dst: 65534 });
  roundTrip("setuid^1000", { kind: "setid", id: "uid", op: "^", src: 1000 });
  roundTrip("setgid^", { kind: "setid", id: "gid", op: "^" });
  // Hex and octal (either case of the prefix), a sign, leading zeros: written back in decimal.
  roundTrip(
    "setuid+0x0:0XfFfE",
    { kind: "setid", id: "uid", op: "+", src: 0, dst: 65534 },
    "setuid+0:65534",
  );
  roundTrip(
    "setgid+0o0:0O177776",
    { kind: "setid", id: "gid", op: "+", src: 0, dst: 65534 },
    "setgid+0:65534",
  );
  roundTrip(
    "setuid+-0:+0065534",
    { kind: "setid", id: "uid", op: "+", src: 0, dst: 65534 },
    "setuid+0:65534",
  );
  roundTrip("setuid+0:4294967295", { kind: "setid", id: "uid", op: "+", src: 0, dst: 4294967295 });
  // The lowest targets allowed: 12 for uids, 15 for gids.
  roundTrip("setuid+0:12", { kind: "setid", id: "uid", op: "+", src: 0, dst: 12 });
  roundTrip("setgid+0:15", { kind: "setid", id: "gid", op: "+", src: 0, dst: 15 });
  // A removal is not checked (as the original's): nothing to remove is no error.
  roundTrip("setuid-5:5", { kind: "setid", id: "uid", op: "-", src: 5, dst: 5 });
  roundTrip("setuid-65534:0", { kind: "setid", id: "uid", op: "-", src: 65534, dst: 0 });
});

Deno.test("parseCommand() refuses setuid and setgid forms the original refuses, with its errno", () => {
  const cases: [string, number | undefined, number][] = [
    // [text, errno (undefined: EINVAL), offset]
    ["setuid+0", undefined, 7],
    ["setuid-0", undefined, 7],
    ["setuid^0:1", undefined, 7],
    ["setuid+0:1:2", undefined, 7],
    ["setuid+:65534", undefined, 7],
    ["setuid+0:", undefined, 7],
    ["setuid", undefined, 6],
    ["setuid:0", undefined, 6],
    ["setuid?", undefined, 6],
    ["setgid!", undefined, 6],
    ["setuid+root:nobody", undefined, 7],
    ["setuid+0:nobody", undefined, 9],
    ["setuid+ 0:65534", undefined, 7],
    ["setuid+0:0x", undefined, 9],
    ["setuid+0:1e3", undefined, 9],
    ["setuid^abc", undefined, 7],
    ["setuid-abc:1", undefined, 7],
    ["setuid+0:0", undefined, 9],
    ["setgid+1000:1000", undefined, 12],
    ["setuid+0:4294967296", 75, 9],
    ["setuid+0:-5", 75, 9],
    ["setuid+0x100000000:0", 75, 7],
    ["setuid+0:5", 13, 9],
    ["setuid+0:11", 13, 9],
    ["setgid+0:14", 13, 9],
    ["setuid+65534:1000", 13, 13],
  ];
  for (const [text, errno, offset] of cases) {
    const err = refusal(text);
    assert.equal(err.errno, errno, text);
    assert.equal(err.offset, offset, text);
    assert.equal(err.unsupported, false, text);
  }
  // The first error in reading order wins (as the btoi crate's): a bad digit after an overflow.
  assert.equal(refusal("setuid+0:99999999999x").errno, 75);
  assert.equal(refusal("setuid+0:1x9999999999").errno, undefined);
  assert.match(refusal("setuid+root:nobody").message, /names are not taken/);
  assert.equal(refusal("setuid+root:65534").hint, "id -u root prints its number");
  assert.match(refusal("setuid+0:11").message, /uids up to 11 are privileged/);
  assert.match(refusal("setgid+0:14").message, /gids up to 14 are privileged/);
  // SRC == DST is EINVAL before the privileged-target check.
  assert.equal(refusal("setuid+5:5").errno, undefined);
  assert.equal(refusal("setuidx+0:1").hint, 'did you mean "setuid"?');
  assert.equal(refusal("setiud+0:1").hint, 'did you mean "setuid"?');
});

Deno.test("parseCommand() reads SafeSetID's trace options", () => {
  for (const option of ["allow_safe_setuid", "allow_safe_setgid", "allow_unsafe_setid"]) {
    roundTrip(`trace/${option}:1`, { kind: "trace", option, value: true } as Command);
    roundTrip(`trace/${option}:0`, { kind: "trace", option, value: false } as Command);
    assert.match(refusal(`trace/${option}:maybe`).message, /is not on or off/);
  }
});

Deno.test("isSetidSyntax() is the original's grammar, values unread", () => {
  for (const text of ["setuid+0:1", "setgid-a:b", "setuid^", "setuid^x", "setgid+root:nobody"]) {
    assert.equal(isSetidSyntax(text), true, text);
  }
  for (const text of ["setuid+0", "setuid^0:1", "setuid", "setuid:0", "setxid^", "setuid+0:1:2"]) {
    assert.equal(isSetidSyntax(text), false, text);
  }
  // A field of 4096 bytes or more is not (the original's PATH_MAX): EINVAL, not EOVERFLOW.
  assert.equal(isSetidSyntax(`setuid+0:${"1".repeat(4095)}`), true);
  assert.equal(isSetidSyntax(`setuid+0:${"1".repeat(4096)}`), false);
  assert.equal(isSetidSyntax(`setuid^${"\u00e9".repeat(2048)}`), false);
  assert.equal(refusal(`setuid+0:${"1".repeat(4095)}`).errno, 75);
  assert.equal(refusal(`setuid+0:${"1".repeat(4096)}`).errno, undefined);
});

// Namespaces and the container form (lib/policy/namespaces.ts).

Deno.test("parseCommand() reads the namespace commands and formats them back", () => {
  roundTrip("unshare/user,net:1", {
    kind: "namespace",
    ns: "unshare",
    names: ["user", "net"],
    value: true,
  });
  roundTrip("unshare/NET,user:on", {
    kind: "namespace",
    ns: "unshare",
    names: ["user", "net"],
    value: true,
  }, "unshare/user,net:1");
  roundTrip("unshare/all?", {
    kind: "namespace",
    ns: "unshare_query",
    names: ["user", "mount", "uts", "ipc", "pid", "net", "cgroup", "time"],
  }, "unshare/user,mount,uts,ipc,pid,net,cgroup,time?");
  roundTrip("bind+/usr:/usr:ro", {
    kind: "namespace",
    ns: "bind",
    op: "+",
    try: false,
    src: "/usr",
    dst: "/usr",
    attr: 0x20000f,
    data: "",
  });
  roundTrip("bind-try-/a:/b", {
    kind: "namespace",
    ns: "bind",
    op: "-",
    try: true,
    src: "/a",
    dst: "/b",
  });
  roundTrip("bind^", { kind: "namespace", ns: "bind", op: "^", try: false });
  roundTrip("root:/srv", { kind: "namespace", ns: "root", path: "/srv" });
  roundTrip("root:off", { kind: "namespace", ns: "root", path: null }, "root:none");
  roundTrip("root/map:true", { kind: "namespace", ns: "root_map", value: true }, "root/map:1");
  roundTrip("workdir:/tmp", { kind: "namespace", ns: "workdir", path: "/tmp" });
  roundTrip("uts/host:foo", { kind: "namespace", ns: "uts", field: "host", name: "foo" });
  roundTrip(
    "uts/domain:off",
    { kind: "namespace", ns: "uts", field: "domain", name: null },
    "uts/domain:none",
  );
  roundTrip("time/boot:-3", { kind: "namespace", ns: "time", clock: "boot", seconds: -3n });
  roundTrip("time:+3", { kind: "namespace", ns: "time", clock: "both", seconds: 3n }, "time:3");
  roundTrip("trace/allow_unsafe_namespace:none", { kind: "namespace", ns: "deny_all" });
});

Deno.test("parseCommand() refuses bad namespace commands with the original's errno and a place", () => {
  const cases: [string, number | undefined, number, boolean][] = [
    // text, errno (undefined: EINVAL), offset, unsupported
    ["unshare/user,fo:1", undefined, 13, false],
    ["bind+/usr:usr", undefined, 10, false],
    ["bind+/usr:/usr:ro,noatime,strictatime", undefined, 15, false],
    ["bind+proc:/mnt", 1, 5, false],
    ["bind+/usr:/proc/1", 1, 10, false],
    ["uts/host:", 84, 9, false],
    [`uts/domain:${"y".repeat(65)}`, 36, 11, false],
    ["time:1h", undefined, 5, false],
    ["root:tmpfs", undefined, 5, true],
    ["root/fake:1", undefined, 0, true],
    ["uts/version:6.0", undefined, 0, true],
    ["mkdir+/x", undefined, 0, true],
    ["trace/allow_unsafe_namespace:user,net", undefined, 29, true],
  ];
  for (const [text, errno, offset, unsupported] of cases) {
    const err = refusal(text);
    assert.equal(err.errno, errno, text);
    assert.equal(err.offset, offset, text);
    assert.equal(err.unsupported, unsupported, text);
  }
  assert.match(refusal("unshar/user:1").hint ?? "", /did you mean "unshare"/);
  assert.match(refusal("name/host:x").message, /unknown command "name\/\.\.\."/);
});
