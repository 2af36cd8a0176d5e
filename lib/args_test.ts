import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import {
  ArgsError,
  type OptionSpec,
  parseLeadingOptions,
  parseOptions,
  type Token,
} from "./args.ts";

const OPTIONS = {
  magic: { type: "string", short: "m", multiple: true },
  profile: { type: "string", short: "p", multiple: true },
  quick: { type: "boolean", short: "q" },
  trace: { type: "boolean", short: "x" },
  api: { type: "boolean" },
  format: { type: "string" },
} as const satisfies Record<string, OptionSpec>;

Deno.test("parseOptions() reads long, short, grouped and inline forms in order", () => {
  const tokens = parseOptions(
    ["--api", "-qpoff", "-p", "user", "--magic=a=b", "--format", "json", "-qx", "-m-x"],
    OPTIONS,
    false,
  );
  assert.deepEqual(tokens, [
    { kind: "option", name: "api", rawName: "--api" },
    { kind: "option", name: "quick", rawName: "-q" },
    { kind: "option", name: "profile", rawName: "-p", value: "off" },
    { kind: "option", name: "profile", rawName: "-p", value: "user" },
    { kind: "option", name: "magic", rawName: "--magic", value: "a=b" },
    { kind: "option", name: "format", rawName: "--format", value: "json" },
    { kind: "option", name: "quick", rawName: "-q" },
    { kind: "option", name: "trace", rawName: "-x" },
    { kind: "option", name: "magic", rawName: "-m", value: "-x" },
  ]);
});

Deno.test("parseOptions() keeps operands and everything after -- when they are allowed", () => {
  assert.deepEqual(parseOptions(["a", "-", "-q", "--", "-p", "b"], OPTIONS, true), [
    { kind: "positional", value: "a" },
    { kind: "positional", value: "-" },
    { kind: "option", name: "quick", rawName: "-q" },
    { kind: "option-terminator" },
    { kind: "positional", value: "-p" },
    { kind: "positional", value: "b" },
  ]);
  assert.throws(() => parseOptions(["a"], OPTIONS, false), /Unexpected argument 'a'/);
});

Deno.test("parseLeadingOptions() stops at the first operand, or drops -- and stops there", () => {
  assert.deepEqual(parseLeadingOptions(["-qpoff", "sh", "-c", "x"], OPTIONS), {
    tokens: [
      { kind: "option", name: "quick", rawName: "-q" },
      { kind: "option", name: "profile", rawName: "-p", value: "off" },
    ],
    rest: ["sh", "-c", "x"],
  });
  assert.deepEqual(parseLeadingOptions(["-m", "a", "--", "-p", "b"], OPTIONS), {
    tokens: [{ kind: "option", name: "magic", rawName: "-m", value: "a" }],
    rest: ["-p", "b"],
  });
  assert.deepEqual(parseLeadingOptions(["-", "-q"], OPTIONS), { tokens: [], rest: ["-", "-q"] });
  assert.deepEqual(parseLeadingOptions(["-q"], OPTIONS), {
    tokens: [{ kind: "option", name: "quick", rawName: "-q" }],
    rest: [],
  });
  assert.throws(() => parseLeadingOptions(["-Z", "true"], OPTIONS), /Unknown option '-Z'/);
  assert.throws(() => parseLeadingOptions(["-m", "--", "x"], OPTIONS), /ambiguous/);
});

Deno.test("parseOptions() refuses what it cannot read, naming the option as written", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /^Unknown option '--bogus'$/],
    [["-qZ"], /^Unknown option '-Z'$/],
    [["-p"], /^Option '-p, --profile <value>' argument missing$/],
    [["--format"], /^Option '--format <value>' argument missing$/],
    [["-m", "-q"], /^Option '-m, --magic' argument is ambiguous/],
    [["--api=1"], /^Option '--api' does not take an argument$/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseOptions(args, OPTIONS, false), (err: Error) => {
      assert.ok(err instanceof ArgsError);
      assert.match(err.message, message);
      return true;
    });
  }
});

/** node:util's parseArgs on the same input: its tokens in ours' shape, or "error". */
function nodeTokens(args: string[], allowPositionals: boolean): Token[] | "error" {
  try {
    const { tokens } = parseArgs({
      args,
      options: OPTIONS,
      strict: true,
      allowPositionals,
      tokens: true,
    });
    return tokens.map((t): Token => {
      if (t.kind === "positional") return { kind: "positional", value: t.value };
      if (t.kind === "option-terminator") return { kind: "option-terminator" };
      const out: Token = { kind: "option", name: t.name, rawName: t.rawName };
      if (t.value !== undefined) out.value = t.value;
      return out;
    });
  } catch {
    return "error";
  }
}

Deno.test("parseOptions() accepts and refuses exactly what node:util's parseArgs does (fuzz)", () => {
  const pieces = [
    "-q",
    "-x",
    "-p",
    "-m",
    "-qp",
    "-pq",
    "-qxpoff",
    "--api",
    "--api=",
    "--magic",
    "--magic=",
    "--magic=-q",
    "--format",
    "--profile=user",
    "--bogus",
    "-Z",
    "-",
    "--",
    "off",
    "a=b",
    "-=",
    "--=",
    "",
  ];
  let seed = 20261202;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let round = 0; round < 20_000; round++) {
    const args = Array.from(
      { length: Math.floor(random() * 6) },
      () => pieces[Math.floor(random() * pieces.length)],
    );
    const allow = random() < 0.5;
    const expected = nodeTokens(args, allow);
    let got: Token[] | "error";
    try {
      got = parseOptions(args, OPTIONS, allow);
    } catch (err) {
      assert.ok(err instanceof ArgsError, `${JSON.stringify(args)}: ${err}`);
      got = "error";
    }
    assert.deepEqual(got, expected, JSON.stringify({ args, allow }));
  }
});
