import assert from "node:assert/strict";
import { parse, UsageError } from "./cli.ts";
import { esydScript } from "./esyd.ts";
import {
  applyEnvOptions,
  DEFAULT_SHELL,
  EnvOptionError,
  parseEnvOption,
  planLaunch,
} from "./launch.ts";

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

Deno.test("parse() takes -e, -a, -c, -l, -f, -C and --sh, in order", () => {
  const cli = parse(["-eA=1", "-e", "B", "-a", "name", "-lf", "-c", "echo $0", "x", "-e"]);
  assert.deepEqual(cli.options, [
    { flag: "-e", name: "env", value: "A=1" },
    { flag: "-e", name: "env", value: "B" },
    { flag: "-a", name: "alias", value: "name" },
    { flag: "-l", name: "login" },
    { flag: "-f", name: "f" },
    { flag: "-c", name: "command", value: "echo $0" },
  ]);
  assert.deepEqual(cli.argv, ["x", "-e"]);
  assert.deepEqual(parse(["-C"]).options, [{ flag: "-C", name: "check" }]);
  assert.deepEqual(parse(["--sh"]).options, [{ flag: "--sh", name: "sh" }]);
  assert.throws(() => parse(["-a"]), UsageError);
  assert.throws(() => parse(["-c"]), UsageError);
});

Deno.test("parseEnvOption() sets, removes and passes through, as the original's -e", () => {
  assert.deepEqual(parseEnvOption("A=b=c"), { op: "set", name: "A", value: "b=c" });
  assert.deepEqual(parseEnvOption("TZ"), { op: "unset", name: "TZ" });
  assert.deepEqual(parseEnvOption("LD_PRELOAD="), { op: "pass", name: "LD_PRELOAD" });
  // syd's own variables may be removed (the command never gets them anyway), not set or passed.
  assert.deepEqual(parseEnvOption("SYD_LOG"), { op: "unset", name: "SYD_LOG" });
  const errno = (text: string) => {
    try {
      parseEnvOption(text);
    } catch (err) {
      assert.ok(err instanceof EnvOptionError);
      return err.errno;
    }
    return 0;
  };
  assert.equal(errno(""), 22);
  assert.equal(errno("=x"), 22);
  assert.equal(errno("  =x"), 22);
  assert.equal(errno("SYD_X=1"), 1);
  assert.equal(errno("Sydney="), 1);
  assert.equal(errno("x".repeat(4097)), 36);
  assert.equal(errno("x".repeat(4096)), 0);
});

Deno.test("applyEnvOptions() applies -e in order and never removes syd's own variables", () => {
  const env = { A: "1", B: "2", SYD_LOG: "info" };
  const ops = ["A", "C=3", "A=4", "SYD_LOG", "B="].map(parseEnvOption);
  assert.deepEqual(applyEnvOptions(env, ops), { A: "4", B: "2", C: "3", SYD_LOG: "info" });
  assert.deepEqual(env, { A: "1", B: "2", SYD_LOG: "info" }, "the input is left as it was");
});

Deno.test("planLaunch() builds the command, the login shell and the user profile's place", () => {
  const opts = (args: string[]) => parse(args);
  // A command: nothing changes.
  let cli = opts(["-poff", "ls", "-l"]);
  let launch = planLaunch(cli.options, cli.argv, false, undefined);
  assert.deepEqual(launch.argv, ["ls", "-l"]);
  assert.equal(launch.alias, undefined);
  assert.equal(launch.userProfile, "none");
  assert.equal(launch.loginShell, false);
  // -c: the shell, -c, the command line, then the operands as $0, $1, ...; only the first -c.
  cli = opts(["-c", "echo $0", "-c", "ignored", "a", "b"]);
  launch = planLaunch(cli.options, cli.argv, false, undefined);
  assert.deepEqual(launch.argv, [...DEFAULT_SHELL, "-c", "echo $0", "a", "b"]);
  assert.equal(launch.userProfile, "last");
  // SYD_SHELL is one word, not split.
  launch = planLaunch(cli.options, cli.argv, false, "/bin/sh -e");
  assert.deepEqual(launch.argv, ["/bin/sh -e", "-c", "echo $0", "a", "b"]);
  // No command: the login shell, argv[0] "-" unless -a says otherwise.
  cli = opts(["-poff"]);
  launch = planLaunch(cli.options, cli.argv, false, "");
  assert.deepEqual(launch.argv, [...DEFAULT_SHELL]);
  assert.equal(launch.alias, "-");
  assert.equal(launch.loginShell, true);
  assert.equal(launch.userProfile, "none");
  cli = opts(["-l", "-a", "sh"]);
  launch = planLaunch(cli.options, cli.argv, false, "/bin/sh");
  assert.deepEqual(launch.argv, ["/bin/sh"]);
  assert.equal(launch.alias, "sh");
  assert.equal(launch.userProfile, "last");
  // The default shell as a login shell, or SYD_CHDIR: an empty directory.
  assert.equal(planLaunch(cli.options, cli.argv, false, undefined).voidCwd, true);
  assert.equal(launch.voidCwd, false, "SYD_SHELL names the shell");
  assert.equal(planLaunch(opts(["true"]).options, ["true"], false, undefined, true).voidCwd, true);
  assert.equal(planLaunch(opts(["-E", "pfc"]).options, [], false, undefined).voidCwd, false);
  // No argument at all: the user profile comes first.
  assert.equal(planLaunch([], [], true, undefined).userProfile, "first");
  // -a with a command; -e in order.
  cli = opts(["-a", "", "-eX=1", "-eY", "true"]);
  launch = planLaunch(cli.options, cli.argv, false, undefined);
  assert.deepEqual(launch.argv, ["true"]);
  assert.equal(launch.alias, "");
  assert.deepEqual(launch.env, [{ op: "set", name: "X", value: "1" }, { op: "unset", name: "Y" }]);
  assert.throws(
    () => planLaunch(opts(["-eSYD_LOG=debug", "true"]).options, ["true"], false, undefined),
    EnvOptionError,
  );
});

Deno.test("esydScript() defines esyd for this syd's categories and is valid sh", async () => {
  const script = esydScript();
  assert.match(script, /^esyd\(\) \{$/m);
  for (const category of ["read", "chroot", "mktemp", "sendfd", "walk"]) {
    assert.match(script, new RegExp(`\\|${category}\\|`), category);
  }
  const checked = await new Deno.Command("sh", { args: ["-n", "-c", script] }).output();
  assert.equal(checked.code, 0, new TextDecoder().decode(checked.stderr));
  // Outside syd: check fails, help works, an unknown subcommand fails with a message.
  const run = async (body: string) => {
    const out = await new Deno.Command("sh", {
      args: ["-c", `${script}\n${body}`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  };
  assert.equal((await run("esyd check")).code, 1);
  const help = await run("esyd help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^ {2}allow_CAT/m);
  const bogus = await run("esyd bogus");
  assert.equal(bogus.code, 1);
  assert.equal(bogus.stderr, "esyd: no subcommand 'bogus' (esyd help lists them)\n");
});
