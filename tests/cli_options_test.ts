/**
 * End-to-end tests of the rest of the command line, as the original syd 3.59 has it: `-e` (set,
 * remove, pass through), `-a ALIAS` (argv[0]), `-c CMD` and running without a command (a login
 * shell), `-l`/`-f` (the user profile after the other options), `--check`, `--sh` (esyd), `--el`
 * (refused), and `kill/exec` rules ending a program with SIGKILL (137).
 */
import assert from "node:assert/strict";
import { records, runSyd } from "./_syd.ts";

const OFF = ["-p", "off"];

Deno.test("-e VAR=VAL sets, -e VAR removes, -e VAR= passes through, in order", async () => {
  const result = await runSyd(
    [
      ...OFF,
      "-e",
      "SET_ME=a=b",
      "-e",
      "DROP_ME",
      "-e",
      "KEEP_ME=",
      "-e",
      "TWICE=1",
      "-e",
      "TWICE=2",
    ]
      .concat(["--", "env"]),
    { env: { DROP_ME: "x", KEEP_ME: "kept" } },
  );
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split("\n");
  assert.ok(lines.includes("SET_ME=a=b"), result.stdout);
  assert.ok(lines.includes("KEEP_ME=kept"), result.stdout);
  assert.ok(lines.includes("TWICE=2"), result.stdout);
  assert.ok(!lines.some((line) => line.startsWith("DROP_ME=")), result.stdout);
});

Deno.test("-e changes syd's own environment: ${VAR} in the policy sees it", async () => {
  const rule = ["-m", "allow/read+${CLI_TEST_DIR}/***"];
  const withIt = await runSyd([...OFF, "-e", "CLI_TEST_DIR=/tmp", ...rule, "--", "true"]);
  assert.equal(withIt.code, 0, withIt.stderr);
  const without = await runSyd([...OFF, ...rule, "--", "true"]);
  assert.equal(without.code, 22);
  assert.match(without.stderr, /environment variable "CLI_TEST_DIR" is not set/);
});

Deno.test("-e refuses a blank name (22), syd's own variables (1) and a name over 4096 bytes (36)", async () => {
  const cases: [string, number, RegExp][] = [
    ["=1", 22, /^syd: -e "=1": no variable name/],
    ["", 22, /^syd: -e "": no variable name/],
    ["SYD_LOG=debug", 1, /SYD_LOG is syd's own \(SYD\.\.\.\): it cannot be set or passed/],
    ["sydney=", 1, /sydney is syd's own/],
    ["N".repeat(4097), 36, /^syd: -e: the variable name is longer than 4096 bytes/],
  ];
  for (const [value, code, message] of cases) {
    const result = await runSyd([...OFF, "-e", value, "--", "true"]);
    assert.equal(result.code, code, `${value.slice(0, 20)}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
  // Removing one of syd's variables is allowed (the command never gets them anyway).
  const unset = await runSyd([...OFF, "-e", "SYD_LOG", "--", "true"]);
  assert.equal(unset.code, 0, unset.stderr);
  const missing = await runSyd([...OFF, "-e"]);
  assert.equal(missing.code, 22);
  assert.match(missing.stderr, /^syd: Option '-e, --env <value>' argument missing/);
});

Deno.test("-a ALIAS is the command's argv[0]; the program is still found through PATH", async () => {
  const result = await runSyd([...OFF, "-a", "my-alias", "--", "cat", "/proc/self/cmdline"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "my-alias\0/proc/self/cmdline\0");
  const empty = await runSyd([...OFF, "-a", "", "--", "cat", "/proc/self/cmdline"]);
  assert.equal(empty.code, 0, empty.stderr);
  assert.equal(empty.stdout, "\0/proc/self/cmdline\0");
  // The alias names no program: a missing command is still missing (ENOENT), by its own name.
  const missing = await runSyd([...OFF, "-a", "cat", "--", "no-such-program-here"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /syd: exec error: No such file or directory/);
  const noValue = await runSyd([...OFF, "-a"]);
  assert.equal(noValue.code, 22);
  assert.match(noValue.stderr, /argument missing/);
});

Deno.test("-c CMD runs CMD with $SYD_SHELL, the operands as $0, $1, ...; only the first -c counts", async () => {
  const result = await runSyd(
    [...OFF, "-c", 'echo "$0 $1"; exit 4', "-c", "exit 9", "zero", "one"],
    { env: { SYD_SHELL: "/bin/sh" } },
  );
  assert.equal(result.code, 4, result.stderr);
  assert.equal(result.stdout, "zero one\n");
  const missing = await runSyd([...OFF, "-c", "true"], { env: { SYD_SHELL: "/no/such/shell" } });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /syd: exec error: No such file or directory/);
  const noValue = await runSyd([...OFF, "-c"]);
  assert.equal(noValue.code, 22);
  assert.match(noValue.stderr, /argument missing/);
});

Deno.test("-c without SYD_SHELL runs the original's restricted bash, under the user profile", async () => {
  const script = "shopt -q restricted_shell && echo restricted; cd /tmp 2>/dev/null || echo no-cd";
  const result = await runSyd(["-c", script], { env: { SYD_SHELL: "" } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "restricted\nno-cd\n");
  // The user profile is loaded after the other options, unless they lock the sandbox: then
  // nothing allows the shell (EACCES, 13).
  const locked = await runSyd(["-m", "lock:on", "-c", "true"]);
  assert.equal(locked.code, 13, locked.stderr);
});

Deno.test("-l and -f load the user profile after the other options (its rules then win)", async () => {
  const deny = ["-m", "deny/exec+/usr/bin/true"];
  for (const flag of ["-l", "--login", "-f"]) {
    const result = await runSyd([flag, ...deny, "--", "/usr/bin/true"], { landlock: true });
    assert.equal(result.code, 0, `${flag}: ${result.stderr}`);
  }
  // -p user puts the profile where it is written: the deny after it wins.
  const ordered = await runSyd(["-p", "user", ...deny, "--", "/usr/bin/true"], { landlock: true });
  assert.equal(ordered.code, 13, ordered.stderr);
  // Without -l nothing allows the command (the default policy denies everything).
  const plain = await runSyd(["--", "/usr/bin/true"], { landlock: true });
  assert.equal(plain.code, 13, plain.stderr);
});

Deno.test("without a command syd runs a login shell: argv[0] '-', $SYD_SHELL, stdin", async () => {
  const shell = { SYD_SHELL: "/bin/sh" };
  const result = await runSyd([...OFF], { env: shell, stdin: 'echo "$0"; exit 5\n' });
  assert.equal(result.code, 5, result.stderr);
  assert.equal(result.stdout, "-\n");
  const alias = await runSyd([...OFF, "-a", "mysh"], { env: shell, stdin: 'echo "$0"\n' });
  assert.equal(alias.code, 0, alias.stderr);
  assert.equal(alias.stdout, "mysh\n");
  // The default shell: the original's restricted bash.
  const bash = await runSyd([...OFF], {
    env: { SYD_SHELL: "" },
    stdin: "shopt -q restricted_shell && echo restricted; exit 3\n",
  });
  assert.equal(bash.code, 3, bash.stderr);
  assert.equal(bash.stdout, "restricted\n");
  const missing = await runSyd([...OFF], { env: { SYD_SHELL: "/no/such/shell" }, stdin: "" });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /syd: exec error: No such file or directory/);
});

Deno.test("the default login shell, and SYD_CHDIR, start in an empty directory that is gone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "syd-cwd-" });
  try {
    await Deno.writeTextFile(`${dir}/visible`, "x\n");
    const script = "ls -a || echo no-listing; touch made || echo no-make; exit 3\n";
    // With SYD_SHELL the login shell stays where syd was started.
    const kept = await runSyd([...OFF], { env: { SYD_SHELL: "/bin/sh" }, stdin: script, cwd: dir });
    assert.equal(kept.code, 3, kept.stderr);
    assert.equal(kept.stdout, ".\n..\nvisible\n");
    await Deno.remove(`${dir}/made`);
    const bash = await runSyd([...OFF], { env: { SYD_SHELL: "" }, stdin: script, cwd: dir });
    assert.equal(bash.code, 3, bash.stderr);
    assert.equal(bash.stdout, "no-listing\nno-make\n");
    const chdir = await runSyd([...OFF, "--", "sh", "-c", script], {
      env: { SYD_CHDIR: "1" },
      cwd: dir,
    });
    assert.equal(chdir.code, 3, chdir.stderr);
    assert.equal(chdir.stdout, "no-listing\nno-make\n");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["visible"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("syd with no argument at all runs the login shell under the user profile", async () => {
  const result = await runSyd([], { env: { SYD_SHELL: "/bin/sh" }, stdin: "echo in; exit 9\n" });
  assert.equal(result.code, 9, result.stderr);
  assert.equal(result.stdout, "in\n");
});

Deno.test("--check and -C print the version and what the system supports, exit 0", async () => {
  for (const flag of ["--check", "-C"]) {
    const result = await runSyd([flag]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^syd \S+ \(libsyd ABI \d+, Deno /);
    assert.match(result.stdout, /^seccomp user notification: (yes|no)$/m);
    assert.match(result.stdout, /^Landlock: /m);
    assert.match(result.stdout, /^kernel taint: /m);
    assert.match(result.stdout, /^ASLR: /m);
    assert.match(result.stdout, /^user namespaces: /m);
    assert.match(result.stdout, /^open file limits: \d+ soft, \d+ hard/m);
    assert.match(result.stdout, /^CPUs: \d+$/m);
  }
  const bad = await runSyd(["--check=1"]);
  assert.equal(bad.code, 22);
});

Deno.test("--sh prints esyd, which configures syd through /dev/syd from inside", async () => {
  const sh = await runSyd(["--sh"]);
  assert.equal(sh.code, 0, sh.stderr);
  const script = `
set -u
esyd check; echo "check=$?"
printf 'api='; esyd api; echo
esyd enabled_read; echo "enabled_read=$?"
esyd enable_read; echo "enable_read=$?"
esyd enabled_read; echo "enabled_read=$?"
esyd allow_read '/***'; echo "allow_read=$?"
esyd deny_read "$1"; echo "deny_read=$?"
cat "$1" >/dev/null 2>&1; echo "cat=$?"
esyd nodeny_read --all "$1"; echo "nodeny_read=$?"
cat "$1" >/dev/null 2>&1; echo "cat=$?"
esyd deny_read relative 2>&1; echo "relative=$?"
esyd force_add a b c d 2>&1; echo "force=$?"
esyd enabled_nothing 2>&1; echo "nothing=$?"
esyd lock; echo "lock=$?"
esyd check; echo "check=$?"
`;
  const dir = await Deno.makeTempDir({ prefix: "syd-esyd-" });
  try {
    const file = `${dir}/file`;
    await Deno.writeTextFile(file, "data\n");
    const result = await runSyd(
      [...OFF, "-m", "lock:exec", "--", "sh", "-c", `${sh.stdout}\n${script}`, "sh", file],
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      [
        "check=0",
        "api=3",
        "enabled_read=1",
        "enable_read=0",
        "enabled_read=0",
        "allow_read=0",
        "deny_read=0",
        "cat=1",
        "nodeny_read=0",
        "cat=0",
        "esyd: 'relative' is not an absolute path",
        "relative=1",
        "esyd: force_add is not supported by this syd",
        "force=1",
        "esyd: enabled_nothing: no category 'nothing'",
        "nothing=1",
        "lock=0",
        "check=1",
        "",
      ].join("\n"),
    );
    const denial = records(result.stderr).find((r) => r.cap === "read" && r.path === file);
    assert.ok(denial, result.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--el is refused (95) and says why", async () => {
  const result = await runSyd(["--el"]);
  assert.equal(result.code, 95);
  assert.equal(result.stderr, "syd: --el: not supported (the original's Emacs Lisp interface)\n");
});

Deno.test("-h lists every option", async () => {
  const result = await runSyd(["-h"]);
  assert.equal(result.code, 0);
  for (const flag of ["-e, --env VAR=VAL", "-a, --alias", "-c, --command", "-l, --login, -f"]) {
    assert.ok(result.stdout.includes(flag), flag);
  }
  for (const flag of ["-C, --check", "--sh", "--el", "SYD_SHELL"]) {
    assert.ok(result.stdout.includes(flag), flag);
  }
});

Deno.test("kill/exec+PATTERN kills a program that executes a match: the shell sees 137", async () => {
  const exec = ["-m", "sandbox/exec:on", "-m", "allow/exec+/***"];
  const script = "yes >/dev/null; echo $?";
  const killed = await runSyd(
    [...OFF, ...exec, "-m", "kill/exec+/usr/bin/yes", "--", "sh", "-c", script],
  );
  assert.equal(killed.code, 0, killed.stderr);
  assert.equal(killed.stdout, "137\n");
  const record = records(killed.stderr).find((r) => r.cap === "exec" && r.act === "kill");
  assert.equal(record?.path, "/usr/bin/yes", killed.stderr);
  // syd 1's exec/kill+ is no command of syd 3: refused, nothing runs.
  const old = await runSyd([...OFF, ...exec, "-m", "exec/kill+/usr/bin/yes", "--", "true"]);
  assert.equal(old.code, 22);
  assert.match(old.stderr, /exec\/kill is not a command of syd 3 \(kill\/exec\+PATTERN/);
});
