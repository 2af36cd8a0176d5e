import assert from "node:assert/strict";
import { parse, UsageError } from "./cli.ts";

Deno.test("parse() stops at the first operand and keeps the command's flags", () => {
  const cli = parse(["-poff", "ls", "-l", "-m", "x", "--", "-V"]);
  assert.deepEqual(cli.options, [{ flag: "-p", name: "profile", value: "off" }]);
  assert.deepEqual(cli.argv, ["ls", "-l", "-m", "x", "--", "-V"]);
});

Deno.test("parse() ends options at -- and drops only that first --", () => {
  const cli = parse(["-p", "off", "--", "--", "-x"]);
  assert.deepEqual(cli.options.map((o) => o.value), ["off"]);
  assert.deepEqual(cli.argv, ["--", "-x"]);
});

Deno.test("parse() accepts attached, separate and long option values in order", () => {
  const cli = parse([
    "-mallow/read+/***",
    "-m",
    "sandbox/read:on",
    "--profile=off",
    "-xpuser",
    "true",
  ]);
  assert.deepEqual(cli.options, [
    { flag: "-m", name: "magic", value: "allow/read+/***" },
    { flag: "-m", name: "magic", value: "sandbox/read:on" },
    { flag: "--profile", name: "profile", value: "off" },
    { flag: "-x", name: "trace" },
    { flag: "-p", name: "profile", value: "user" },
  ]);
  assert.deepEqual(cli.argv, ["true"]);
});

Deno.test("parse() takes the next argument as a value even when it looks like an operand", () => {
  const cli = parse(["-P", "file.syd-3", "-E", "pfc"]);
  assert.deepEqual(cli.options.map((o) => [o.name, o.value]), [["config", "file.syd-3"], [
    "export",
    "pfc",
  ]]);
  assert.deepEqual(cli.argv, []);
});

Deno.test("parse() treats a lone - as an operand", () => {
  assert.deepEqual(parse(["-", "x"]).argv, ["-", "x"]);
});

Deno.test("parse() rejects an unknown option with a UsageError", () => {
  assert.throws(() => parse(["--bogus", "true"]), UsageError);
  assert.throws(() => parse(["-Z", "true"]), /Unknown option '-Z'/);
});

Deno.test("parse() rejects an option that lacks its value", () => {
  assert.throws(() => parse(["-p"]), UsageError);
  assert.throws(() => parse(["--profile"]), UsageError);
});

Deno.test("parse() never throws anything but UsageError and never loses an operand (fuzz)", () => {
  const pieces = [
    "-p",
    "-poff",
    "-m",
    "-x",
    "-V",
    "--",
    "-",
    "--api",
    "--profile=",
    "--bogus",
    "-Q",
    "x",
    "",
    "-e",
    "=",
    "-mx",
    "--help",
    "-hx",
    "a b",
    "-P",
  ];
  let seed = 0x5eed;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let round = 0; round < 5000; round++) {
    const args = Array.from(
      { length: Math.floor(random() * 8) },
      () => pieces[Math.floor(random() * pieces.length)],
    );
    let cli;
    try {
      cli = parse(args);
    } catch (err) {
      assert.ok(err instanceof UsageError, `${JSON.stringify(args)}: ${err}`);
      continue;
    }
    // The operands are a suffix of the arguments, as given.
    const tail = args.slice(args.length - cli.argv.length);
    assert.deepEqual(cli.argv, tail, JSON.stringify(args));
    if (cli.argv.length > 0) {
      const before = args[args.length - cli.argv.length - 1];
      assert.ok(
        before === undefined || before === "--" || !cli.argv[0].startsWith("-") ||
          cli.argv[0] === "-" || before.startsWith("-"),
        JSON.stringify(args),
      );
    }
  }
});
