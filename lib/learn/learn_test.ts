import assert from "node:assert/strict";
import { collapse, type CollapseOptions, componentGlob } from "./collapse.ts";
import { matches } from "./glob.ts";
import { baseAllows, learn } from "./mod.ts";
import { netPatterns } from "./net.ts";
import { accessOf, LINE_LEN_MAX, readRecords } from "./records.ts";
import { mayHoldSensitive, sensitiveReason } from "./sensitive.ts";
import { formatPolicy } from "./write.ts";
import { load } from "../policy/mod.ts";
import { checkPattern } from "../policy/pattern.ts";

const OPTIONS: CollapseOptions = {
  exact: false,
  depth: 3,
  broad: 3,
  pwd: "/home/u/proj",
  home: "/home/u",
  forbidden: (dir) => mayHoldSensitive(dir, { home: "/home/u" }),
};

function paths(...list: string[]): Map<string, number> {
  return new Map(list.map((p) => [p, 1]));
}

Deno.test("collapse: a directory used broadly becomes DIR/***, below the anchors", () => {
  const out = collapse(paths("/home/u/proj/a.o", "/home/u/proj/b.o", "/home/u/proj/c.o"), OPTIONS);
  assert.deepEqual(out, [{ pattern: "${PWD}/***", count: 3 }]);
  const two = collapse(paths("/etc/a", "/etc/b", "/etc/c"), OPTIONS);
  assert.deepEqual(
    two.map((c) => c.pattern),
    ["/etc/a", "/etc/b", "/etc/c"],
    "not at depth 1 of /",
  );
});

Deno.test("collapse: --depth cuts deeper paths, --exact keeps them", () => {
  const deep = paths("/usr/lib/python3.11/encodings/utf_8.py");
  assert.deepEqual(collapse(deep, OPTIONS).map((c) => c.pattern), ["/usr/lib/python3.11/***"]);
  assert.deepEqual(collapse(deep, { ...OPTIONS, depth: 2 }).map((c) => c.pattern), [
    "/usr/lib/***",
  ]);
  assert.deepEqual(collapse(deep, { ...OPTIONS, exact: true }).map((c) => c.pattern), [
    "/usr/lib/python3.11/encodings/utf_8.py",
  ]);
});

Deno.test("collapse: generated names become *; the glob covers another run's names", () => {
  assert.equal(componentGlob("ccA1b2C3.s", "/tmp"), "cc*.s");
  assert.equal(componentGlob("tmpk3j_x9zq", "/tmp"), "tmp*");
  assert.equal(componentGlob("1234", "/proc"), "[0-9]*");
  assert.equal(componentGlob("bash_jobs.0", "/tmp"), "bash_jobs.0");
  assert.equal(componentGlob("python3.11", "/usr/lib"), "python3.11");
  const out = collapse(paths("/tmp/ccA1b2C3.s"), OPTIONS);
  assert.ok(matches(out[0].pattern, "/tmp/ccZZ99xy.s"));
});

Deno.test("collapse: no glob covers a sensitive place", () => {
  const out = collapse(
    paths("/home/u/.config/a", "/home/u/b", "/home/u/c", "/home/u/d"),
    { ...OPTIONS, pwd: undefined },
  );
  assert.ok(!out.some((c) => c.pattern === "${HOME}/***"), JSON.stringify(out));
  for (const c of out) {
    assert.ok(!matches(c.pattern.replace("${HOME}", "/home/u"), "/home/u/.ssh/id_rsa"));
  }
});

Deno.test("collapse: odd names are written so the policy language reads them literally", () => {
  const out = collapse(paths("/srv/a*b/x", "/srv/$HOME/y", "/srv/sp /z", "/srv/nl\nx/w"), {
    ...OPTIONS,
    exact: true,
  });
  assert.deepEqual(out.map((c) => c.pattern), [
    "/srv/?HOME/y",
    "/srv/a\\*b/x",
    "/srv/nl?x/w",
    "/srv/sp?/z",
  ]);
  for (const c of out) checkPattern(c.pattern);
  assert.ok(matches("/srv/a\\*b/x", "/srv/a*b/x"));
});

Deno.test("sensitive: shadow, keys, other homes, process memory, raw disks", () => {
  const info = { home: "/home/u" };
  for (
    const path of [
      "/etc/shadow",
      "/home/u/.ssh/id_ed25519",
      "/home/v/notes",
      "/proc/12/mem",
      "/dev/sda1",
      "/dev/mem",
      "/srv/x/server.key",
    ]
  ) {
    assert.ok(sensitiveReason(path, info), path);
  }
  for (const path of ["/etc/passwd", "/home/u/proj/a.c", "/proc/self/stat", "/dev/null"]) {
    assert.equal(sensitiveReason(path, info), undefined, path);
  }
  assert.ok(mayHoldSensitive("/home/u", info));
  assert.ok(mayHoldSensitive("/proc/12", info));
  assert.ok(!mayHoldSensitive("/usr/lib", info));
});

Deno.test("net: loopback and any aliases, ephemeral ports, UNIX paths, abstract names", () => {
  const out = netPatterns(
    new Map([
      ["inet 127.0.0.1!0", 1],
      ["inet 127.0.0.1!45000", 2],
      ["inet6 ::1!8080", 1],
      ["inet 0.0.0.0!53", 1],
      ["inet 10.1.2.3!443", 1],
      ["unix /tmp/ccAb12Cd/sock", 1],
      ["abstract @name", 1],
    ]),
  );
  assert.deepEqual(Object.fromEntries(out), {
    "loopback!0,8080,32768-65535": 4,
    "any!53": 1,
    "10.1.2.3!443": 1,
    "/tmp/cc*/sock": 1,
    "@name": 1,
  });
  const anchored = netPatterns(new Map([["unix /home/u/proj/run/s.sock", 1]]), {
    pwd: "/home/u/proj",
    home: "/home/u",
  });
  assert.deepEqual([...anchored.keys()], ["${PWD}/run/s.sock"]);
});

Deno.test("records: bad lines give file:line messages, never exceptions", () => {
  const text = [
    '{"ctx":"access","cap":"read","act":"warn","path":"/etc/hostname"}',
    "not a record: skipped",
    '{"ctx":"access"',
    "[1,2]",
    '{"ctx":"access","cap":"nonsense","act":"warn","path":"/x"}',
    '{"ctx":"access","cap":"read","act":"warn","path":"x/y"}',
    '{"ctx":"access","cap":"net/connect","act":"warn","addr":"1.2.3.4!80"}',
    `{"ctx":"access","cap":"read","act":"warn","path":"/${"a".repeat(LINE_LEN_MAX)}"}`,
    '{"ctx":"run","op":"start"}',
  ].join("\n");
  const result = readRecords(text, "f.log");
  assert.equal(result.accesses.length, 1);
  assert.equal(result.skipped, 2);
  assert.deepEqual(result.errors.map((e) => e.split(":").slice(0, 2).join(":")), [
    "f.log:3",
    "f.log:5",
    "f.log:6",
    "f.log:7",
    "f.log:8",
  ]);
});

Deno.test("records: random input never throws, and every access read is well formed (fuzz)", () => {
  const pieces = [
    '{"ctx":"access"',
    '"cap":"read"',
    '"act":"warn"',
    '"path":"/a"',
    '"addr":"x"',
    "}",
    ",",
    "\n",
    "{",
    '"',
    "\\u0000",
    "null",
    "[",
    "]",
    "\u00ff",
    '"fs":"0xef53"',
    '"cap":"fs"',
    '"family":"unix"',
    '"cap":"net/bind"',
  ];
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let round = 0; round < 3000; round++) {
    let text = "";
    const n = next() % 12;
    for (let i = 0; i < n; i++) text += pieces[next() % pieces.length];
    const result = readRecords(text, "fuzz");
    for (const a of result.accesses) {
      assert.equal(typeof a.target, "string");
      assert.ok(a.target.length > 0);
    }
    for (const value of [null, 1, "x", [], {}, { ctx: "access", cap: 1 }]) {
      const access = accessOf(value);
      assert.ok(access === null || typeof access === "string" || typeof access.target === "string");
    }
  }
});

Deno.test("learn: what the base allows is left out; sensitive accesses are commented out", () => {
  const base = load([{ kind: "command", text: "allow/read+/usr/***" }], { env: {} }).state;
  const accesses = [
    { cap: "read", target: "/usr/lib/libc.so.6", act: "warn" },
    { cap: "read", target: "/etc/hostname", act: "warn" },
    { cap: "read", target: "/etc/shadow", act: "warn" },
    { cap: "read", target: "/proc/1/mem", act: "deny" },
  ];
  assert.ok(baseAllows(base, accesses[0]));
  assert.ok(!baseAllows(base, accesses[1]));
  const learnt = learn(accesses, { base, exact: false, depth: 3, header: ["t"] });
  assert.equal(learnt.covered, 1);
  assert.deepEqual(learnt.policy.rules, [{
    categories: ["read"],
    pattern: "/etc/hostname",
    count: 1,
  }]);
  assert.equal(learnt.denied.length, 1);
  const text = formatPolicy(learnt.policy);
  assert.match(text, /^# 1 access\nallow\/read\+\/etc\/hostname$/m);
  assert.match(text, /^#allow\/read\+\/etc\/shadow$/m);
  const relearnt = load([{ kind: "command", text: "allow/read+/etc/hostname" }], { env: {} });
  assert.equal(relearnt.diagnostics.length, 0);
});

Deno.test("glob: the matcher agrees with libsyd's on its documented cases", () => {
  const cases: [string, string, boolean][] = [
    ["/usr/***", "/usr", true],
    ["/usr/***", "/usr/lib/x", true],
    ["/usr/***", "/usrx", false],
    ["/tmp/*", "/tmp/a/b", false],
    ["/tmp/**", "/tmp/a/b", true],
    ["/a/**/b", "/a/b", true],
    ["/a/**/b", "/a/x/y/b", true],
    ["/a/**/b", "/a/xb", false],
    ["/proc/[0-9]*/mem", "/proc/12/mem", true],
    ["/proc/[0-9]*/mem", "/proc/self/mem", false],
    ["/a[!/]b", "/a/b", false],
    ["/a/?", "/a/b", true],
    ["/x/\\*", "/x/a", false],
    ["/x[", "/x[", false],
  ];
  for (const [pattern, path, expected] of cases) {
    assert.equal(matches(pattern, path), expected, `${pattern} ${path}`);
  }
});

Deno.test("collapse: every path used matches a pattern written, and every pattern is valid (property)", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const names = [
    "usr",
    "lib",
    "a",
    "b*",
    "c?",
    "[x]",
    "d\\e",
    "$HOME",
    "tmp",
    "ccAb12Cd.o",
    "1234",
    "sp ",
    "nl\n",
    "é",
    ".git",
    "0123456789abcdef0123",
  ];
  const tops = ["/usr", "/tmp", "/proc", "/home/u/proj", "/home/u", "/etc", "/dev/pts", ""];
  for (let round = 0; round < 300; round++) {
    const used = new Map<string, number>();
    const n = 1 + next() % 12;
    for (let i = 0; i < n; i++) {
      let path = tops[next() % tops.length];
      const depth = 1 + next() % 5;
      for (let d = 0; d < depth; d++) path += `/${names[next() % names.length]}`;
      used.set(path, 1 + next() % 3);
    }
    for (const exact of [false, true]) {
      const out = collapse(used, { ...OPTIONS, exact, depth: 1 + next() % 4 });
      const total = out.reduce((sum, c) => sum + c.count, 0);
      assert.equal(
        total,
        [...used.values()].reduce((a, b) => a + b, 0),
        "every access counted once",
      );
      for (const c of out) checkPattern(c.pattern);
      for (const path of used.keys()) {
        const hit = out.some((c) =>
          matches(c.pattern.replace("${PWD}", "/home/u/proj").replace("${HOME}", "/home/u"), path)
        );
        // A name that cannot be written literally (a newline, $, trailing blanks) becomes ?.
        assert.ok(hit, `${JSON.stringify(path)} in ${JSON.stringify(out)}`);
      }
    }
  }
});

Deno.test("records: an ioctl judged by request (ctl, as the original logs it) is learnt by name", () => {
  const result = readRecords(
    '{"ctx":"access","cap":"ioctl","act":"warn","sys":"ioctl","ctl":["TCGETS"],"tip":"allow/ioctl+TCGETS"}\n',
    "f",
  );
  assert.deepEqual(result.errors, []);
  assert.equal(result.accesses[0].request, "TCGETS");
  const base = load([], { env: {} }).state;
  const learnt = learn(result.accesses, { base, exact: false, depth: 3, header: [] });
  assert.deepEqual(learnt.policy.rules, [{ categories: ["ioctl"], pattern: "TCGETS", count: 1 }]);
});

Deno.test("collapse: a generated part before the first dot is starred, the rest kept", () => {
  assert.equal(componentGlob("ccWzXnCl.cdtor.c", "/tmp"), "cc*.cdtor.c");
  assert.equal(componentGlob("sh-thd.Ab3dE", "/tmp"), "sh-thd.Ab3dE");
  assert.equal(componentGlob("cczecbia.s", "/tmp"), "cc*.s");
  assert.equal(componentGlob("ccache", "/tmp"), "ccache");
});

Deno.test("parseLearnArgs: options before the command, values joined or apart; bad usage says why", async () => {
  const { parseLearnArgs } = await import("./cli.ts");
  const args = parseLearnArgs([
    "-puser",
    "-m",
    "sandbox/net:off",
    "--depth=2",
    "-o",
    "p.syd-3",
    "--",
    "make",
    "-j2",
  ]);
  assert.deepEqual(args.sources, [
    { kind: "profile", name: "user" },
    { kind: "command", text: "sandbox/net:off" },
  ]);
  assert.equal(args.depth, 2);
  assert.equal(args.output, "p.syd-3");
  assert.deepEqual(args.argv, ["make", "-j2"]);
  assert.deepEqual(parseLearnArgs(["--exact", "ls", "-l"]).argv, ["ls", "-l"]);
  assert.deepEqual(parseLearnArgs(["--from", "a.log", "--from", "b.log"]).from, ["a.log", "b.log"]);
  for (
    const [bad, message] of [
      [[], /no command/],
      [["--depth", "0", "ls"], /--depth/],
      [["--depth", "x", "ls"], /--depth/],
      [["-o"], /-o needs a value/],
      [["--bogus", "ls"], /unknown option --bogus/],
      [["--from", "a.log", "ls"], /not both/],
    ] as const
  ) {
    assert.throws(
      () => parseLearnArgs(bad),
      (err: unknown) => typeof err === "string" && message.test(err),
    );
  }
});
