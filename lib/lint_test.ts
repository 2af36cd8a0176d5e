import assert from "node:assert/strict";
import { lint, lintWarnings } from "./lint.ts";
import { load } from "./policy/sources.ts";

const ENV = { HOME: "/home/u", SYD_UID: "1000", SYD_GID: "1000" };

/** Runs lint on -m commands. */
function lintCommands(...commands: string[]) {
  return lint(commands.flatMap((c) => ["-m", c]), ENV);
}

/** Writes a .syd-3 file (mode 0600) in a new temporary directory; runs `use`, then cleans up. */
async function withFile(
  text: string,
  use: (path: string) => void | Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "syd_lint_test_" });
  try {
    const path = `${dir}/policy.syd-3`;
    await Deno.writeTextFile(path, text, { mode: 0o600 });
    await Deno.chmod(path, 0o600);
    await use(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// Errors.

Deno.test("lint() reports a misspelt category as FILE:LINE:COL with a suggestion, status 1", async () => {
  await withFile("# policy\nsandbox/read:on\n  sandbox/raed:on\n", (path) => {
    const out = lint([path], ENV);
    assert.equal(
      out.stdout,
      `${path}:3:11: error: unknown category "raed" (did you mean "read"?)\n`,
    );
    assert.equal(out.stderr, "");
    assert.equal(out.status, 1);
  });
});

Deno.test("lint() reports a misspelt category in -m as -m#N:1:COL", () => {
  const out = lintCommands("lock:exec", "sandbox/raed:on");
  assert.equal(out.stdout, '-m#2:1:9: error: unknown category "raed" (did you mean "read"?)\n');
  assert.equal(out.status, 1);
});

Deno.test("lint() reports every error, not only the first", () => {
  const out = lintCommands("sandbox/raed:on", "default/read:dney", "lokc:on");
  assert.equal(out.stdout.trimEnd().split("\n").length, 3);
  assert.equal(out.status, 1);
});

Deno.test("lint() reports an unknown profile with a suggestion, status 1", () => {
  const out = lint(["-p", "usr"], ENV);
  assert.match(out.stdout, /^-p usr:1:1: error: unknown profile "usr" \(did you mean "user"\?/);
  assert.equal(out.status, 1);
});

// Warnings.

Deno.test("lint() warns that a rule followed by a broader one never decides anything", () => {
  const out = lintCommands("allow/read+/home/***", "deny/read+/***");
  assert.equal(
    out.stdout,
    "-m#1:1:1: warning: rule allow/read+/home/*** never decides anything: the later rule " +
      "deny/read+/*** at -m#2 matches everything it matches, and the last matching rule wins " +
      "(remove it, or move it after the broader rule)\n",
  );
  assert.equal(out.status, 0);
});

Deno.test("lint() does not warn about a narrow rule after a broad one", () => {
  const out = lintCommands("deny/read+/***", "allow/read+/home/***");
  assert.equal(out.stdout, "");
  assert.equal(out.status, 0);
});

Deno.test("lint() names the file and line of the broader rule", async () => {
  await withFile("allow/read+/usr/bin\n\ndeny/read+/usr/***\n", (path) => {
    const out = lint([path], ENV);
    assert.match(
      out.stdout,
      new RegExp(
        `^${path}:1:1: warning: rule allow/read\\+/usr/bin never decides anything: ` +
          `the later rule deny/read\\+/usr/\\*\\*\\* at ${path}:3 matches`,
      ),
    );
  });
});

Deno.test("lint() warns about a relative pattern", () => {
  const out = lintCommands("allow/read+tmp/x");
  assert.equal(
    out.stdout,
    '-m#1:1:1: warning: relative pattern "tmp/x" never matches: syd matches canonical ' +
      "absolute paths (start it with /)\n",
  );
  assert.equal(out.status, 0);
});

Deno.test("lint() warns about a relative mask pattern", () => {
  const out = lintCommands("mask+etc/shadow");
  assert.match(out.stdout, /^-m#1:1:1: warning: relative pattern "etc\/shadow" never matches/m);
});

Deno.test("lint() warns about a duplicate rule at the second one", () => {
  const out = lintCommands("allow/read+/x", "allow/read+/x");
  assert.equal(out.stdout, "-m#2:1:1: warning: duplicate rule allow/read+/x (already at -m#1)\n");
  assert.equal(out.status, 0);
});

Deno.test("lint() warns about a duplicate network rule by its canonical address", () => {
  const out = lintCommands("allow/net/bind+::0001!80", "allow/net/bind+::1!80");
  assert.equal(
    out.stdout,
    "-m#2:1:1: warning: duplicate rule allow/net/bind+::1!80 (already at -m#1)\n",
  );
});

Deno.test("lint() warns about a rule for a category that is off", () => {
  const out = lintCommands("sandbox/read:off", "allow/read+/x");
  assert.equal(
    out.stdout,
    "-m#2:1:1: warning: rule allow/read+/x has no effect: sandboxing of read is off " +
      "(sandbox/read:on turns it on)\n",
  );
  assert.equal(out.status, 0);
});

Deno.test("lint() judges categories off by the final state, not at the rule", () => {
  assert.equal(lintCommands("allow/read+/x", "sandbox/read:off").stdout.includes("is off"), true);
  assert.equal(lintCommands("sandbox/read:off", "allow/read+/x", "sandbox/read:on").stdout, "");
});

Deno.test("lint() takes recvfd rules as any category's: judged while it is on (the default)", () => {
  assert.equal(lintCommands("deny/recvfd+!pipe").stdout, "");
  assert.match(
    lintCommands("sandbox/passfd:off", "deny/recvfd+!pipe").stdout,
    /rule deny\/recvfd\+!pipe has no effect: sandboxing of recvfd is off/,
  );
});

Deno.test("lint() warns about a network rule for a category that is off", () => {
  const out = lintCommands("sandbox/net/bind:off", "allow/net/bind+loopback!0");
  assert.match(
    out.stdout,
    /rule allow\/net\/bind\+loopback!0 has no effect: sandboxing of net\/bind is off/,
  );
});

Deno.test("lint() warns that allow/write+/*** allows writing anywhere", () => {
  const out = lintCommands("allow/write+/***");
  assert.equal(
    out.stdout,
    "-m#1:1:1: warning: rule allow/write+/*** allows writing anywhere (narrow it to the " +
      "directories the program needs)\n",
  );
  assert.equal(out.status, 0);
});

Deno.test("lint() warns that allow/exec+/*** allows executing anywhere", () => {
  const out = lintCommands("allow/exec+/***");
  assert.match(
    out.stdout,
    /^-m#1:1:1: warning: rule allow\/exec\+\/\*\*\* allows executing anywhere/,
  );
  assert.match(lintCommands("allow/exec+/**").stdout, /allows executing anywhere/);
});

Deno.test("lint() does not warn about allow/read+/*** or deny/write+/***", () => {
  assert.equal(lintCommands("allow/read+/***", "deny/write+/***").stdout, "");
});

Deno.test("lint() warns that a '-' removing nothing removes nothing", () => {
  const out = lintCommands("allow/read-/x");
  assert.equal(out.stdout, '-m#1:1:1: warning: "-" removes nothing: no earlier equal entry\n');
  assert.equal(out.status, 0);
});

Deno.test("lint() warns that a '^' removing nothing removes nothing, at its file column", async () => {
  await withFile("allow/read+/x\n  mask^\n", (path) => {
    const out = lint([path], ENV);
    assert.equal(out.stdout, `${path}:2:3: warning: "^" removes nothing: no earlier equal entry\n`);
  });
});

Deno.test("lint() does not warn about a '-' that removes something", () => {
  assert.equal(lintCommands("allow/read+/x", "allow/read-/x").stdout, "");
});

Deno.test("lint() gives status 0 with warnings alone", () => {
  const out = lintCommands("allow/read+rel", "allow/read+rel", "allow/write+/***", "mask-/x");
  assert.ok(out.stdout.trimEnd().split("\n").length >= 4);
  assert.ok(!out.stdout.includes("error"));
  assert.equal(out.status, 0);
});

Deno.test("lint() gives status 1 with an error among warnings", () => {
  const out = lintCommands("allow/write+/***", "sandbox/raed:on");
  assert.match(out.stdout, /warning/);
  assert.match(out.stdout, /error/);
  assert.equal(out.status, 1);
});

Deno.test("lint() of a clean policy prints nothing, status 0", () => {
  assert.deepEqual(lintCommands("sandbox/read:on", "allow/read+/usr/***"), {
    stdout: "",
    stderr: "",
    status: 0,
  });
});

Deno.test("lintWarnings() finds nothing in the initial state", () => {
  assert.deepEqual(lintWarnings(load([], { env: {} })), []);
});

// Output formats.

Deno.test("lint() --format json prints diagnostics, errors and warnings", () => {
  const out = lint(
    ["--format", "json", "-m", "sandbox/raed:on", "-m", "allow/read+/x", "-m", "allow/read+/x"],
    ENV,
  );
  assert.equal(out.status, 1);
  assert.ok(out.stdout.endsWith("\n"));
  const body = JSON.parse(out.stdout);
  assert.deepEqual(Object.keys(body).sort(), ["diagnostics", "errors", "warnings"]);
  assert.equal(body.errors, 1);
  assert.equal(body.warnings, 1);
  assert.deepEqual(body.diagnostics[0], {
    file: "-m#1",
    line: 1,
    col: 9,
    severity: "error",
    message: 'unknown category "raed"',
    hint: 'did you mean "read"?',
  });
  assert.deepEqual(body.diagnostics[1], {
    file: "-m#3",
    line: 1,
    col: 1,
    severity: "warning",
    message: "duplicate rule allow/read+/x (already at -m#2)",
  });
});

Deno.test("lint() --format json of a clean policy has no diagnostics, status 0", () => {
  const out = lint(["--format=json", "-m", "lock:on"], ENV);
  assert.deepEqual(JSON.parse(out.stdout), { diagnostics: [], errors: 0, warnings: 0 });
  assert.equal(out.status, 0);
});

Deno.test("lint() --format json --dump adds the dump", () => {
  const out = lint(["--format", "json", "--dump", "-m", "lock:on"], ENV);
  const body = JSON.parse(out.stdout);
  assert.deepEqual(body.dump, [
    "sandbox/all:on",
    "sandbox/walk,list:off",
    "default/all:deny",
    "lock:on",
  ]);
});

Deno.test("lint() refuses a bad --format with status 22", () => {
  const out = lint(["--format", "yaml", "-m", "lock:on"], ENV);
  assert.equal(out.status, 22);
  assert.equal(out.stdout, "");
  assert.equal(out.stderr, 'syd: lint: --format takes text or json, not "yaml"\n');
});

Deno.test("lint() refuses an unknown option with status 22", () => {
  const out = lint(["--frobnicate"], ENV);
  assert.equal(out.status, 22);
  assert.match(out.stderr, /^syd: lint: /);
});

Deno.test("lint() --help prints usage, status 0", () => {
  const out = lint(["--help"], ENV);
  assert.equal(out.status, 0);
  assert.match(out.stdout, /^Usage: syd lint/);
});

// --dump and --profiles.

Deno.test("lint() --dump -p user prints commands starting with sandbox/all:on", () => {
  const out = lint(["--dump", "-p", "user"], ENV);
  assert.equal(out.status, 0);
  const lines = out.stdout.trimEnd().split("\n");
  assert.equal(lines[0], "sandbox/all:on");
  assert.ok(lines.length > 10);
  assert.ok(lines.some((line) => line.includes("/home/u/")), "HOME is expanded");
  assert.ok(lines.some((line) => line.includes("/run/user/1000/")), "SYD_UID is expanded");
  assert.ok(!out.stdout.includes("${"));
});

Deno.test("lint() --dump output loads back as -m commands without errors", () => {
  const dumped = lint(["--dump", "-p", "paludis", "-m", "allow/read+/extra"], ENV);
  const lines = dumped.stdout.trimEnd().split("\n");
  const again = lint(["--dump", ...lines.flatMap((line) => ["-m", line])], ENV);
  assert.equal(again.status, 0);
  assert.equal(again.stdout, dumped.stdout);
});

Deno.test("lint() --dump prints no policy when there is an error", () => {
  const out = lint(["--dump", "-m", "sandbox/raed:on"], ENV);
  assert.equal(out.status, 1);
  assert.equal(out.stdout, "");
  assert.match(out.stdout + out.stderr, /unknown category "raed"/);
});

Deno.test("lint() --profiles lists the built-in profiles, status 0", () => {
  const out = lint(["--profiles"], ENV);
  assert.equal(out.status, 0);
  const names = out.stdout.trimEnd().split("\n").map((line) => line.split(/\s+/)[0]);
  for (
    const name of ["off", "lib", "user", "paludis", "trace", "silent", "quiet", "noipv4", "noipv6"]
  ) {
    assert.ok(names.includes(name), name);
  }
  for (const line of out.stdout.trimEnd().split("\n")) {
    assert.match(line, /^\S+\s{2,}\S/, "each profile has a description");
  }
});

Deno.test("lint() applies sources in command-line order", () => {
  assert.equal(lint(["-p", "off", "-m", "allow/read+/x"], ENV).stdout.includes("is off"), true);
  assert.equal(lint(["-m", "allow/read+/x", "-m", "sandbox/read:on"], ENV).stdout, "");
  const dumped = lint(["--dump", "-p", "off", "-m", "sandbox/read:on"], ENV).stdout;
  assert.match(dumped, /^sandbox\/read:on$/m);
});

Deno.test("lint with nothing to check is a usage error (22), never a silent success", () => {
  for (const args of [[], ["--format", "json"]]) {
    const out = lint(args, ENV);
    assert.equal(out.status, 22);
    assert.equal(out.stdout, "");
    assert.match(out.stderr, /nothing to check/);
  }
});

// Memory and PID sandboxing.

Deno.test("lint() places errors of the limit commands, with suggestions", () => {
  const out = lintCommands("mem/maxx:64M", "mem/max:64X", "pid/max:1e3", "default/pid:deny");
  assert.equal(
    out.stdout,
    [
      '-m#1:1:5: error: unknown command "mem/maxx" (did you mean "mem/max"?)',
      '-m#2:1:9: error: "64X" is not a size (bytes, or a number with K, M, G, T (binary: 64M is ' +
      "64 MiB); 0: no limit)",
      '-m#3:1:9: error: "1e3" is not a count of tasks (a decimal number) (pid/max takes a plain ' +
      "number, e.g. pid/max:128; 0: no limit)",
      "-m#4:1:13: error: default/pid cannot be deny (one of warn, filter, stop, abort, kill, exit)",
      "",
    ].join("\n"),
  );
  assert.equal(out.status, 1);
  assert.match(lintCommands("sandbox/pdi:on").stdout, /did you mean "pid"\?/);
  assert.match(lintCommands("allow/mem+/tmp").stdout, /-m#1:1:7: error: "mem" has no rules/);
});

Deno.test("lint() warns that sandbox/mem:off does not hold against a limit (implied on)", () => {
  const out = lintCommands("mem/max:64M", "sandbox/mem:off");
  assert.equal(
    out.stdout,
    "-m#2:1:1: warning: sandbox/mem:off does not turn memory sandboxing off: mem/max is set, " +
      "which turns it on when the sandbox starts (mem/max:0 removes the limit)\n",
  );
  assert.equal(out.status, 0);
  assert.match(
    lintCommands("sandbox/read,pid:off", "pid/max:5").stdout,
    /sandbox\/read,pid:off does not turn PID sandboxing off: pid\/max is set/,
  );
  assert.match(lintCommands("mem/vm_max:1G", "sandbox/mem:off").stdout, /mem\/vm_max is set/);
  // A profile's off, then a limit: what was meant.
  assert.equal(lint(["-p", "off", "-m", "mem/max:1G", "-m", "pid/max:9"], ENV).stdout, "");
  assert.equal(lintCommands("sandbox/mem:off", "mem/max:0").stdout, "");
});

Deno.test("lint() warns that PID sandboxing on without pid/max counts nothing", () => {
  assert.match(
    lintCommands("sandbox/pid:on").stdout,
    /^-m#1:1:1: warning: PID sandboxing is on with no pid\/max: it counts nothing/,
  );
  assert.equal(lintCommands("sandbox/pid:on", "pid/max:64").stdout, "");
  assert.equal(lintCommands("sandbox/mem:on").stdout, "");
});

Deno.test("lint() --dump prints the limits, and they load back", () => {
  const out = lint(
    ["--dump", "-m", "mem/max:64M", "-m", "sandbox/mem:off", "-m", "default/pid:warn"],
    ENV,
  );
  const lines = out.stdout.trimEnd().split("\n");
  assert.deepEqual(lines.filter((l) => /mem|pid/.test(l)), [
    "sandbox/mem:on",
    "mem/max:67108864",
    "default/pid:warn",
  ]);
  const again = lint(["--dump", ...lines.flatMap((l) => ["-m", l])], ENV);
  assert.equal(again.stdout, out.stdout);
});

// SafeSetID.

Deno.test("lint() places errors of setuid and setgid at the value, with the original's errno in mind", () => {
  const out = lintCommands(
    "setuid+root:65534",
    "setuid+1000:11",
    "setgid+0",
    "setuid+1000:65534",
    "setuid+1000:65533",
    "setiud+0:1",
  );
  assert.equal(
    out.stdout,
    [
      '-m#1:1:8: error: "root" is not a uid: a number (decimal, 0x hex or 0o octal); names are ' +
      "not taken (id -u root prints its number)",
      "-m#2:1:13: error: setuid+1000:11: uids up to 11 are privileged, never a transit's target " +
      "(a target above it, e.g. 65534 (nobody))",
      '-m#3:1:8: error: "setgid" takes setgid+SRC:DST, setgid-SRC:DST, setgid^SRC or setgid^ ' +
      "(a transit names its source and its target: SRC:DST)",
      "-m#5:1:8: error: `setuid+1000:65533` refused: uid 1000 has a transit already " +
      "(setuid+1000:65534): one target per source (setuid-1000:65534 removes it)",
      '-m#6:1:1: error: unknown command "setiud" (did you mean "setuid"?)',
      "",
    ].join("\n"),
  );
  assert.equal(out.status, 1);
});

Deno.test("lint() reports what syd would refuse at start (ENODATA) for syd's own ids", () => {
  // ENV: SYD_UID and SYD_GID 1000.
  assert.equal(lintCommands("setuid+1000:65534", "setgid+1000:65534").stdout, "");
  const other = lintCommands("setgid+1000:65534", "trace/allow_safe_setuid:1", "setuid+0:65534");
  assert.equal(
    other.stdout,
    "-m#3:1:1: error: syd would refuse to start: setuid+0:65534: no transit from syd's uid " +
      "1000, the sandbox could never use it (setuid+${SYD_UID}:TARGET)\n",
  );
  assert.equal(other.status, 1);
  const bare = lintCommands("trace/allow_safe_setuid:1", "trace/allow_safe_setgid:1");
  assert.equal(
    bare.stdout,
    [
      "-m#1:1:1: error: syd would refuse to start: trace/allow_safe_setuid:1 without any " +
      "setuid+SRC:DST transit: SafeSetID would have nothing to allow",
      "-m#2:1:1: error: syd would refuse to start: trace/allow_safe_setgid:1 without any " +
      "setgid+SRC:DST transit: SafeSetID would have nothing to allow",
      "",
    ].join("\n"),
  );
  // Without syd's ids, only the transits missing altogether are found.
  const noIds = lint(["-m", "setuid+0:65534", "-m", "trace/allow_safe_setgid:1"], {});
  assert.match(noIds.stdout, /^-m#2:1:1: error: .*trace\/allow_safe_setgid:1 without any/);
  assert.equal(noIds.stdout.split("\n").length, 2);
  assert.equal(lintCommands("setuid+${SYD_UID}:65534").stdout, "");
  // The state lint dumps is the one as read, not as started.
  assert.deepEqual(
    lint(["--dump", "-m", "setuid+1000:65534"], ENV).stdout.split("\n").filter((l) =>
      /set[ug]id/.test(l)
    ),
    ["setuid+1000:65534"],
  );
});

Deno.test("lint() warns that trace/allow_safe_setuid:0 does not hold against transits", () => {
  const out = lintCommands("trace/allow_safe_setuid:0", "setuid+1000:65534");
  assert.equal(
    out.stdout,
    "-m#1:1:1: warning: trace/allow_safe_setuid:0 does not turn SafeSetID off: the setuid " +
      "transits turn it on when the sandbox starts (setuid^ removes every transit)\n",
  );
  assert.equal(out.status, 0);
  assert.equal(lintCommands("trace/allow_safe_setgid:0", "setuid+1000:65534").stdout, "");
  assert.match(
    lintCommands("setuid+1000:65534", "setuid-1000:65533").stdout,
    /-m#2:1:1: warning: "-" removes nothing/,
  );
});

Deno.test("lint() --dump prints the transits, and they load back", () => {
  const out = lint(
    [
      "--dump",
      "-m",
      "setuid+0x3e8:0xfffe",
      "-m",
      "setgid+1000:65534",
      "-m",
      "trace/allow_unsafe_setid:1",
    ],
    ENV,
  );
  const lines = out.stdout.trimEnd().split("\n");
  assert.deepEqual(lines.filter((l) => /set[ug]?id/.test(l)), [
    "setuid+1000:65534",
    "setgid+1000:65534",
    "trace/allow_unsafe_setid:1",
  ]);
  const again = lint(["--dump", ...lines.flatMap((l) => ["-m", l])], ENV);
  assert.equal(again.stdout, out.stdout);
});

Deno.test("lint() knows the namespace commands: positions, suggestions, start refusals, --dump", () => {
  const typo = lintCommands("unshare/user,muont:1");
  assert.match(
    typo.stdout,
    /^-m#1:1:14: error: unknown namespace "muont" \(did you mean "mount"\?\)/,
  );
  assert.equal(typo.status, 1);
  const refused = lintCommands("sandbox/lock:off", "uts/host:foo");
  assert.match(
    refused.stdout,
    /^-m#2:1:1: error: syd would refuse to start: uts\/host:foo without a UTS namespace/,
  );
  const ignored = lintCommands("bind+/usr:/usr");
  assert.equal(
    ignored.stdout,
    "-m#1:1:1: warning: a bind is ignored without a mount namespace (unshare/user,mount:1 " +
      "makes a mount namespace)\n",
  );
  assert.equal(ignored.status, 0);
  const out = lint([
    "--dump",
    "-m",
    "sandbox/lock:off",
    "-m",
    "unshare/user,pid:1",
    "-m",
    "bind+/usr:/usr:ro,exec",
  ], ENV);
  assert.equal(out.status, 0);
  assert.deepEqual(out.stdout.split("\n").filter((l) => /^(unshare|bind)/.test(l)), [
    "unshare/user,mount,pid:1",
    "bind+/usr:/usr:ro,exec",
  ]);
  assert.equal(lint(["-p", "immutable", "-m", "sandbox/lock:off"], ENV).status, 0);
});
