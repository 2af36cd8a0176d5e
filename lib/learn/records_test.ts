/** Unit tests of reading records (untrusted input) and of syd learn's arguments. */
import assert from "node:assert/strict";
import { learn } from "./mod.ts";
import { accessOf, LINE_LEN_MAX, readRecords } from "./records.ts";
import { load } from "../policy/mod.ts";

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
