import assert from "node:assert/strict";
import {
  type Diagnostic,
  expandEnv,
  formatDiagnostic,
  INCLUDE_DEPTH_MAX,
  load,
  type LoadOptions,
  profileLetters,
  type SourceSpec,
} from "./sources.ts";
import { initialState } from "./state.ts";
import { CATEGORIES } from "./vocab.ts";

/** The result of expandEnv() without its offset map, to compare with plain values. */
function textOnly(result: ReturnType<typeof expandEnv>) {
  return "text" in result ? { text: result.text } : result;
}

/** Loader options over an in-memory file system; `links` maps a path to its real path. */
function fakeFs(
  files: Record<string, string>,
  env: Record<string, string | undefined> = {},
  links: Record<string, string> = {},
): LoadOptions & { reads: string[] } {
  const reads: string[] = [];
  return {
    env,
    reads,
    realPath: (path) => {
      const real = Object.hasOwn(links, path) ? links[path] : path;
      if (!Object.hasOwn(files, real)) throw new Deno.errors.NotFound(path);
      return real;
    },
    readTextFile: (path) => {
      reads.push(path);
      if (!Object.hasOwn(files, path)) throw new Deno.errors.NotFound(path);
      return files[path];
    },
  };
}

const m = (text: string): SourceSpec => ({ kind: "command", text });
const file = (path: string): SourceSpec => ({ kind: "file", path });
const profile = (name: string): SourceSpec => ({ kind: "profile", name });

/** The diagnostics as `file:line:col: severity: message (hint)` lines. */
const lines = (diagnostics: Diagnostic[]) => diagnostics.map(formatDiagnostic);

// Files.

Deno.test("load() skips comments and blank lines and keeps line numbers", () => {
  const fs = fakeFs({
    "/p.syd-3": "# a comment\n\n   \n\t# an indented comment\nsandbox/read:off\n  lock:on  \n",
  });
  const result = load([file("/p.syd-3")], fs);
  assert.deepEqual(result.diagnostics, []);
  assert.equal(result.state.on.read, false);
  assert.equal(result.state.lock, "on");
  assert.deepEqual(result.applied.map((a) => [a.origin.line, a.col]), [[5, 1], [6, 3]]);
  assert.deepEqual(result.applied.map((a) => a.origin.file), ["/p.syd-3", "/p.syd-3"]);
});

Deno.test("load() reads CRLF lines", () => {
  const result = load(
    [file("/p.syd-3")],
    fakeFs({ "/p.syd-3": "sandbox/read:off\r\nlock:exec\r\n" }),
  );
  assert.deepEqual(result.diagnostics, []);
  assert.equal(result.state.lock, "exec");
});

Deno.test("load() expands ${VAR} from the environment", () => {
  const fs = fakeFs({ "/p.syd-3": "allow/read+${DIR}/***\n" }, { DIR: "/srv/data" });
  const result = load([file("/p.syd-3")], fs);
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.state.rules.map((r) => r.pattern), ["/srv/data/***"]);
});

Deno.test("load() names an unset ${VAR} and points at its column", () => {
  const fs = fakeFs({ "/p.syd-3": "sandbox/read:on\n  allow/read+${NOPE}/x\n" });
  const result = load([file("/p.syd-3")], fs);
  assert.equal(result.diagnostics.length, 1);
  const [d] = result.diagnostics;
  assert.equal(d.severity, "error");
  assert.match(d.message, /environment variable "NOPE" is not set/);
  assert.deepEqual([d.file, d.line, d.col], ["/p.syd-3", 2, 14]);
  assert.deepEqual(result.state.rules, []);
});

Deno.test("expandEnv() leaves text without variables alone", () => {
  assert.deepEqual(textOnly(expandEnv("allow/read+/usr/***", {})), { text: "allow/read+/usr/***" });
});

Deno.test("expandEnv() refuses an unclosed ${ at its offset", () => {
  const result = expandEnv("allow/read+${HOME", { HOME: "/h" });
  assert.ok("offset" in result);
  assert.equal(result.offset, 11);
  assert.match(result.message, /unclosed \$\{/);
});

// -m commands.

Deno.test("load() names -m commands -m#N, counting only -m", () => {
  const result = load([m("sandbox/read:off"), profile("quiet"), m("allow/write+/tmp/***")], {
    env: {},
  });
  assert.deepEqual(result.diagnostics, []);
  const origins = result.applied.map((a) => a.origin.file);
  assert.deepEqual(origins, ["-m#1", "profile:quiet", "-m#2"]);
  assert.deepEqual(result.state.rules[0].origin, { file: "-m#2", line: 1, col: 1 });
});

Deno.test("load() gives a -m error -m#N, line 1 and the column of the problem", () => {
  const result = load([m("lock:exec"), m("sandbox/raed:on")], { env: {} });
  assert.deepEqual(lines(result.diagnostics), [
    '-m#2:1:9: error: unknown category "raed" (did you mean "read"?)',
  ]);
});

Deno.test("load() flags unsupported commands in diagnostics", () => {
  const result = load([m("sandbox/crypt:on"), m("sandbox/raed:on")], { env: {} });
  assert.equal(result.diagnostics[0].unsupported, true);
  assert.notEqual(result.diagnostics[1].unsupported, true);
});

// Diagnostics.

Deno.test("load() places diagnostics at file:line:col", () => {
  const fs = fakeFs({ "/etc/p.syd-3": "sandbox/read:on\n\n  sandbox/raed:on\n" });
  const result = load([file("/etc/p.syd-3")], fs);
  assert.deepEqual(lines(result.diagnostics), [
    '/etc/p.syd-3:3:11: error: unknown category "raed" (did you mean "read"?)',
  ]);
});

Deno.test("load() goes on after an error and reports every one", () => {
  const fs = fakeFs({
    "/p.syd-3": [
      "sandbox/raed:on",
      "allow/read+/ok/1",
      "default/read:dney",
      "allow/read+/ok/2",
      "allow/read+/bad[",
      "frobnicate",
      "allow/read+/ok/3",
    ].join("\n"),
  });
  const result = load([file("/p.syd-3"), m("lock:exec"), m("lokc:on")], fs);
  assert.deepEqual(result.diagnostics.map((d) => [d.file, d.line, d.col]), [
    ["/p.syd-3", 1, 9],
    ["/p.syd-3", 3, 14],
    ["/p.syd-3", 5, 16],
    ["/p.syd-3", 6, 1],
    ["-m#2", 1, 1],
  ]);
  assert.ok(result.diagnostics.every((d) => d.severity === "error"));
  assert.deepEqual(result.state.rules.map((r) => r.pattern), ["/ok/1", "/ok/2", "/ok/3"]);
  assert.equal(result.state.lock, "exec");
});

Deno.test("load() reports a file it cannot read at the file, line 1", () => {
  const result = load([file("/missing.syd-3")], fakeFs({}));
  assert.deepEqual(lines(result.diagnostics), [
    "/missing.syd-3:1:1: error: cannot read /missing.syd-3: no such file",
  ]);
});

// Includes.

Deno.test("load() resolves include relative to the including file", () => {
  const fs = fakeFs({
    "/etc/syd/main.syd-3": "include sub/extra.syd-3\n",
    "/etc/syd/sub/extra.syd-3": "include ../../other.syd-3\nallow/read+/extra\n",
    "/etc/syd/sub/../../other.syd-3": "allow/read+/other\n",
  });
  const result = load([file("/etc/syd/main.syd-3")], fs);
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.state.rules.map((r) => [r.pattern, r.origin.file]), [
    ["/other", "/etc/syd/sub/../../other.syd-3"],
    ["/extra", "/etc/syd/sub/extra.syd-3"],
  ]);
});

Deno.test("load() resolves an absolute include as it is", () => {
  const fs = fakeFs({
    "/a/main.syd-3": "include /b/x.syd-3\n",
    "/b/x.syd-3": "lock:off\n",
  });
  const result = load([file("/a/main.syd-3")], fs);
  assert.deepEqual(result.diagnostics, []);
  assert.equal(result.state.lock, "off");
});

Deno.test("load() resolves an include from -m against the working directory", () => {
  const fs = fakeFs({ "conf/x.syd-3": "lock:exec\n" });
  const result = load([m("include conf/x.syd-3")], fs);
  assert.deepEqual(result.diagnostics, []);
  assert.equal(result.state.lock, "exec");
  assert.deepEqual(fs.reads, ["conf/x.syd-3"]);
});

Deno.test("load() reports a missing include at the include line", () => {
  const fs = fakeFs({ "/a/main.syd-3": "lock:exec\n    include nope.syd-3\n" });
  const result = load([file("/a/main.syd-3")], fs);
  assert.deepEqual(lines(result.diagnostics), [
    "/a/main.syd-3:2:5: error: cannot read /a/nope.syd-3: no such file",
  ]);
});

Deno.test("load() detects an include cycle and says which files form it", () => {
  const fs = fakeFs({
    "/a.syd-3": "include /b.syd-3\nallow/read+/a\n",
    "/b.syd-3": "allow/read+/b\ninclude /a.syd-3\n",
  });
  const result = load([file("/a.syd-3")], fs);
  assert.deepEqual(lines(result.diagnostics), [
    "/b.syd-3:2:1: error: include cycle: /a.syd-3 -> /b.syd-3 -> /a.syd-3",
  ]);
  assert.deepEqual(result.state.rules.map((r) => r.pattern), ["/b", "/a"]);
});

Deno.test("load() detects a file including itself", () => {
  const result = load([file("/a.syd-3")], fakeFs({ "/a.syd-3": "include a.syd-3\n" }));
  assert.equal(result.diagnostics.length, 1);
  assert.match(result.diagnostics[0].message, /include cycle: \/a.syd-3 -> \/a.syd-3/);
});

Deno.test("load() detects an include cycle through a symbolic link by the real path", () => {
  const fs = fakeFs(
    { "/real/a.syd-3": "include /link/b.syd-3\n" },
    {},
    { "/link/b.syd-3": "/real/a.syd-3" },
  );
  const result = load([file("/real/a.syd-3")], fs);
  assert.equal(result.diagnostics.length, 1);
  assert.match(result.diagnostics[0].message, /include cycle: \/real\/a.syd-3 -> \/real\/a.syd-3/);
});

Deno.test("load() reads the same file twice when it is not a cycle", () => {
  const fs = fakeFs({
    "/main.syd-3": "include /x.syd-3\ninclude /x.syd-3\n",
    "/x.syd-3": "allow/read+/x\n",
  });
  const result = load([file("/main.syd-3")], fs);
  assert.deepEqual(result.diagnostics, []);
  assert.equal(result.state.rules.length, 2);
});

/** A chain /d0 -> /d1 -> ... -> /d{n}, the last one holding a rule. */
function chain(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`/d${i}.syd-3`] = `include /d${i + 1}.syd-3\n`;
  files[`/d${n}.syd-3`] = "allow/read+/deep\n";
  return files;
}

Deno.test("load() accepts includes nested INCLUDE_DEPTH_MAX deep", () => {
  const result = load([file("/d0.syd-3")], fakeFs(chain(INCLUDE_DEPTH_MAX)));
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.state.rules.map((r) => r.pattern), ["/deep"]);
});

Deno.test("load() refuses includes nested deeper than INCLUDE_DEPTH_MAX", () => {
  const result = load([file("/d0.syd-3")], fakeFs(chain(INCLUDE_DEPTH_MAX + 3)));
  assert.deepEqual(lines(result.diagnostics), [
    `/d${INCLUDE_DEPTH_MAX}.syd-3:1:1: error: includes nest deeper than ${INCLUDE_DEPTH_MAX}`,
  ]);
  assert.deepEqual(result.state.rules, []);
});

// Profiles.

Deno.test("load() applies include_profile from a file", () => {
  const fs = fakeFs({ "/p.syd-3": "include_profile off\nsandbox/exec:on\n" });
  const result = load([file("/p.syd-3")], fs);
  assert.deepEqual(result.diagnostics, []);
  assert.equal(result.state.on.exec, true);
  assert.equal(result.state.on.read, false);
  assert.equal(result.applied[0].origin.file, "profile:off");
});

Deno.test("load() applies -p profiles, and profiles including profiles", () => {
  const result = load([profile("silent")], { env: {} });
  assert.deepEqual(result.diagnostics, []);
  // As the original's quiet: `all` leaves ioctl's default alone.
  for (const category of CATEGORIES) {
    assert.equal(result.state.defaults[category], category === "ioctl" ? "deny" : "filter");
  }
});

Deno.test("load() refuses an unknown -p profile with a suggestion", () => {
  const result = load([profile("usr")], { env: {} });
  assert.equal(result.diagnostics.length, 1);
  const [d] = result.diagnostics;
  assert.deepEqual([d.file, d.line, d.col, d.severity], ["-p usr", 1, 1, "error"]);
  assert.equal(d.message, 'unknown profile "usr"');
  assert.match(d.hint ?? "", /did you mean "user"\?/);
  assert.match(d.hint ?? "", /syd lint --profiles lists them/);
});

Deno.test("load() refuses an unknown include_profile at the include line", () => {
  const fs = fakeFs({ "/p.syd-3": "lock:exec\n  include_profile paludsi\n" });
  const result = load([file("/p.syd-3")], fs);
  assert.equal(result.diagnostics.length, 1);
  const [d] = result.diagnostics;
  assert.deepEqual([d.file, d.line, d.col], ["/p.syd-3", 2, 3]);
  assert.equal(d.message, 'unknown profile "paludsi"');
  assert.match(d.hint ?? "", /did you mean "paludis"\?/);
});

Deno.test("load() gives no suggestion for a profile name nowhere near", () => {
  const [d] = load([profile("zzzzzzzzzz")], { env: {} }).diagnostics;
  assert.equal(d.hint, "syd lint --profiles lists them");
});

// Order.

Deno.test("load() applies sources in command-line order: -p off then -m sandbox/read:on", () => {
  const result = load([profile("off"), m("sandbox/read:on")], { env: {} });
  assert.deepEqual(result.diagnostics, []);
  assert.equal(result.state.on.read, true);
  assert.equal(result.state.on.write, false);
});

Deno.test("load() lets a later profile override an earlier command", () => {
  const result = load([m("sandbox/read:on"), profile("off")], { env: {} });
  assert.equal(result.state.on.read, false);
});

Deno.test("load() lets a later -m override an earlier file", () => {
  const fs = fakeFs({ "/p.syd-3": "default/all:kill\nlock:exec\n" });
  const result = load([file("/p.syd-3"), m("default/read:allow"), m("lock:off")], fs);
  assert.equal(result.state.defaults.read, "allow");
  assert.equal(result.state.defaults.write, "kill");
  assert.equal(result.state.lock, "off");
});

Deno.test("load() of nothing is the initial state", () => {
  const result = load([], { env: {} });
  assert.deepEqual(result, { state: initialState(), diagnostics: [], applied: [] });
});

Deno.test("load() records removals in applied", () => {
  const result = load(
    [m("allow/read+/x"), m("allow/read+/x"), m("allow/read^/x"), m("allow/read-/x")],
    { env: {} },
  );
  assert.deepEqual(result.applied.map((a) => a.removed), [0, 0, 2, 0]);
});

// Real files.

Deno.test("load() reads real files, includes relative to them, and names them in origins", async () => {
  const dir = await Deno.makeTempDir({ prefix: "syd_sources_test_" });
  try {
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(
      `${dir}/main.syd-3`,
      "# main\nsandbox/read:on\ninclude sub/inc.syd-3\nallow/read+${WHERE}/***\n",
      { mode: 0o600 },
    );
    await Deno.writeTextFile(`${dir}/sub/inc.syd-3`, "\ndeny/read+/etc/shadow\n", { mode: 0o600 });
    await Deno.chmod(`${dir}/main.syd-3`, 0o600);
    await Deno.chmod(`${dir}/sub/inc.syd-3`, 0o600);
    const result = load([file(`${dir}/main.syd-3`)], { env: { WHERE: "/srv" } });
    assert.deepEqual(result.diagnostics, []);
    assert.deepEqual(result.state.rules.map((r) => [r.pattern, r.origin.file, r.origin.line]), [
      ["/etc/shadow", `${dir}/sub/inc.syd-3`, 2],
      ["/srv/***", `${dir}/main.syd-3`, 4],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("load() detects an include cycle between real files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "syd_sources_test_" });
  try {
    await Deno.writeTextFile(`${dir}/a.syd-3`, "include b.syd-3\n", { mode: 0o600 });
    await Deno.writeTextFile(`${dir}/b.syd-3`, "include ./a.syd-3\n", { mode: 0o600 });
    await Deno.chmod(`${dir}/a.syd-3`, 0o600);
    await Deno.chmod(`${dir}/b.syd-3`, 0o600);
    const real = await Deno.realPath(dir);
    const result = load([file(`${dir}/a.syd-3`)], { env: {} });
    assert.equal(result.diagnostics.length, 1);
    const [d] = result.diagnostics;
    assert.deepEqual([d.file, d.line, d.col], [`${dir}/b.syd-3`, 1, 1]);
    assert.equal(
      d.message,
      `include cycle: ${real}/a.syd-3 -> ${real}/b.syd-3 -> ${real}/a.syd-3`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("load() reports a missing real file as no such file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "syd_sources_test_" });
  try {
    const result = load([file(`${dir}/absent.syd-3`)], { env: {} });
    assert.deepEqual(lines(result.diagnostics), [
      `${dir}/absent.syd-3:1:1: error: cannot read ${dir}/absent.syd-3: no such file`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Bugs.

Deno.test({
  name: "load() refuses Object.prototype names as profiles with a diagnostic",
  // Regression (was a bug): PROFILES is a plain object: load([{ kind: "profile", name: "constructor" }]) (or
  // `include_profile toString` in a file, or `syd lint -p constructor`) throws TypeError
  // "Cannot read properties of undefined (reading 'split')" instead of a diagnostic.

  fn() {
    for (const name of ["constructor", "toString", "hasOwnProperty"]) {
      const result = load([profile(name)], { env: {} });
      assert.equal(result.diagnostics.length, 1, name);
      assert.equal(result.diagnostics[0].message, `unknown profile "${name}"`);
    }
  },
});

Deno.test({
  name: "load() treats Object.prototype names as unset variables",
  // Regression (was a bug): expandEnv() reads env[name] on a plain object: `${constructor}` in a file expands to
  // "function Object() { [native code] }" instead of the error "not set".

  fn() {
    const fs = fakeFs({ "/p.syd-3": "allow/read+/${constructor}/x\n" });
    const result = load([file("/p.syd-3")], fs);
    assert.equal(result.diagnostics.length, 1);
    assert.match(result.diagnostics[0].message, /"constructor" is not set/);
  },
});

Deno.test({
  name: "load() places an error after a ${VAR} at its column in the file as written",
  // Regression (was a bug): the column of a command error is computed on the expanded text: with X=sandbox the
  // line `${X}/raed:on` reports column 9 (the offset in "sandbox/raed:on"), but "raed" is at
  // column 6 of the line as written.

  fn() {
    const fs = fakeFs({ "/p.syd-3": "${X}/raed:on\n" }, { X: "sandbox" });
    const [d] = load([file("/p.syd-3")], fs).diagnostics;
    assert.equal(d.message, 'unknown category "raed"');
    assert.equal(d.col, 6);
  },
});

Deno.test("load() reads nothing after lock:on: the next command is refused with EPERM and the rest skipped", () => {
  const fs = fakeFs({ "/a.syd-3": "lock:on\nlock:on\nsandbox/read:off\nsandbox/write:off\n" });
  const { state, diagnostics } = load(
    [
      { kind: "command", text: "sandbox/read:on" },
      { kind: "file", path: "/a.syd-3" },
      { kind: "command", text: "lock:off" },
      { kind: "profile", name: "off" },
    ],
    fs,
  );
  assert.equal(state.lock, "on");
  assert.equal(state.on.read, true);
  assert.deepEqual(diagnostics.map((d) => [d.file, d.line, d.errno]), [["/a.syd-3", 3, 1]]);
  assert.match(diagnostics[0].message, /sandbox locked/);
  assert.match(diagnostics[0].hint ?? "", /lock:on at \/a\.syd-3:1/);
});

Deno.test("load() refuses a profile or a file named after -m lock:on", () => {
  for (
    const spec of [{ kind: "profile", name: "off" }, { kind: "file", path: "/b.syd-3" }] as const
  ) {
    const fs = fakeFs({ "/b.syd-3": "sandbox/read:off\n" });
    const { diagnostics } = load([{ kind: "command", text: "lock:on" }, spec], fs);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].errno, 1);
    assert.deepEqual(fs.reads, []);
  }
});

Deno.test("load() refuses a profile of the original it does not have as not supported (95), not unknown", () => {
  const { diagnostics } = load([{ kind: "profile", name: "chrome" }], { env: {} });
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0].unsupported, true);
  assert.match(diagnostics[0].message, /profile "chrome" of the original syd is not supported/);
});

Deno.test("load() expands ${VAR} in -m commands too, and points an unset one at its column", () => {
  const { state, diagnostics } = load(
    [{ kind: "command", text: "allow/read+${TOP}/***" }, {
      kind: "command",
      text: "deny/read+${NOPE}",
    }],
    { env: { TOP: "/srv" } },
  );
  assert.deepEqual(state.rules.map((r) => r.pattern), ["/srv/***"]);
  assert.deepEqual(diagnostics.map((d) => [d.file, d.col]), [["-m#2", 11]]);
});

Deno.test("profileLetters() reads the original's one-letter names in order, and nothing else", () => {
  assert.deepEqual(profileLetters("fu"), ["fs", "user"]);
  assert.deepEqual(profileLetters("L@"), ["linux", "local"]);
  assert.equal(profileLetters("user"), undefined); // a full name
  assert.equal(profileLetters("fz"), undefined);
  assert.equal(profileLetters(""), undefined);
});

Deno.test("load() takes the limit commands, expands ${VAR} in them, and starts the limits at the end", () => {
  const { state, diagnostics } = load(
    [m("mem/max:${MAX}"), m("sandbox/mem:off"), m("pid/max:${N:-16}")],
    { env: { MAX: "64 MiB" } },
  );
  assert.deepEqual(diagnostics, []);
  assert.equal(state.limits.memMax, 64n << 20n);
  assert.equal(state.limits.pidMax, 16n);
  // The original's implied on: after every command.
  assert.equal(state.limits.mem, true);
  assert.equal(state.limits.pid, true);
});

Deno.test("load() refuses bad limit commands with EINVAL (errno unset), not as unsupported", () => {
  const { diagnostics } = load(
    [
      m("mem/max:abc"),
      m("mem/vm_max:-1"),
      m("pid/max:64K"),
      m("mem/foo:1"),
      m("default/mem:allow"),
      m("default/pid:panic"),
    ],
    { env: {} },
  );
  assert.deepEqual(
    diagnostics.map((d) => [d.file, d.col, d.errno, d.unsupported]),
    [
      ["-m#1", 9, undefined, undefined],
      ["-m#2", 12, undefined, undefined],
      ["-m#3", 9, undefined, undefined],
      ["-m#4", 5, undefined, undefined],
      ["-m#5", 13, undefined, undefined],
      ["-m#6", 13, undefined, undefined],
    ],
  );
});

Deno.test("load() under lock:drop lets limits only fall (EPERM)", () => {
  const { state, diagnostics } = load(
    [m("mem/max:1G"), m("lock:drop"), m("mem/max:2G"), m("mem/max:512M"), m("default/pid:warn")],
    { env: {} },
  );
  assert.deepEqual(diagnostics.map((d) => [d.file, d.errno]), [["-m#3", 1], ["-m#5", 1]]);
  assert.equal(state.limits.memMax, 512n << 20n);
});
