/**
 * End-to-end tests: real programs under the real sandbox, through `./syd`, asserting what a
 * user sees (exit status, output, messages, log records).
 */
import assert from "node:assert/strict";
import { helper, records, run, runSyd, SYD, tempDir, waitForFile, withSecretDir } from "./_syd.ts";

Deno.test("a sandboxed program's exit status becomes syd's", async () => {
  const result = await runSyd(["-poff", "--", "sh", "-c", "exit 42"]);
  assert.equal(result.code, 42);
  assert.equal(result.stderr, "");
});

Deno.test("a program killed by signal N exits 128+N", async () => {
  assert.equal((await runSyd(["-poff", "--", "sh", "-c", "kill -TERM $$"])).code, 143);
  assert.equal((await runSyd(["-poff", "--", "sh", "-c", "kill -KILL $$"])).code, 137);
});

Deno.test("a missing command prints an exec error and exits with its errno", async () => {
  const missing = await runSyd(["-poff", "--", "/nonexistent"]);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, "syd: exec error: No such file or directory\n");
  const notOnPath = await runSyd(["-poff", "--", "no-such-command-anywhere"]);
  assert.equal(notOnPath.code, 2);
  const notExecutable = await runSyd(["-poff", "--", "/etc/passwd"]);
  assert.equal(notExecutable.code, 13);
  assert.equal(notExecutable.stderr, "syd: exec error: Permission denied\n");
});

Deno.test("stdin and stdout pass through untouched", async () => {
  const result = await runSyd(["-poff", "--", "cat"], { stdin: "hi\n" });
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "hi\n");
});

Deno.test("a command is found on PATH and gets its arguments as given", async () => {
  const result = await runSyd(["-poff", "printf", "%s|", "a b", "", "-m", "--", "-V"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "a b||-m|--|-V|");
});

Deno.test("options stop at the first operand", async () => {
  const result = await runSyd(["-poff", "echo", "-m", "x", "-V"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "-m x -V\n");
});

Deno.test("--api prints 3", async () => {
  const result = await runSyd(["--api"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "3\n");
});

Deno.test("-V names the versions and the kernel features found", async () => {
  const result = await runSyd(["-V"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^syd \d+\.\d+\.\d+ /);
  assert.match(result.stdout, /^libseccomp: 2\.\d+\.\d+$/m);
  assert.match(result.stdout, /^seccomp user notification: yes$/m);
  assert.match(result.stdout, /^seccomp notify ADDFD \(Linux 5\.9\): (yes|no)$/m);
  assert.match(result.stdout, /^seccomp notify sync wake-up \(Linux 6\.6\): (yes|no)$/m);
  assert.match(result.stdout, /^Landlock: (ABI \d+|no \(Lock sandboxing needs it\))$/m);
});

Deno.test("trace/sync_seccomp: the kernel's synchronous wake-up is off by default and on when asked, where the kernel has it (as the original's)", async () => {
  const version = await runSyd(["-V"]);
  const kernelHasIt = /^seccomp notify sync wake-up \(Linux 6\.6\): yes$/m.test(version.stdout);
  const spawnRecord = async (extra: string[]) => {
    const result = await runSyd(["-poff", ...extra, "--", "true"], { env: { SYD_LOG: "debug" } });
    assert.equal(result.code, 0, result.stderr);
    const spawn = records(result.stderr).find((r) => r.ctx === "run" && r.op === "spawn");
    assert.ok(spawn, result.stderr);
    return spawn.sync_wake_up;
  };
  assert.equal(await spawnRecord([]), false);
  assert.equal(await spawnRecord(["-m", "trace/sync_seccomp:1"]), kernelHasIt);
  assert.equal(
    await spawnRecord(["-m", "trace/sync_seccomp:1", "-m", "trace/sync_seccomp:0"]),
    false,
  );
  const bad = await runSyd(["-poff", "-m", "trace/sync_seccomp:maybe", "--", "true"]);
  assert.equal(bad.code, 22, bad.stderr);
});

Deno.test("./syd keeps Deno's cache in a private directory of the user's own when the default one cannot be written", async () => {
  // XDG_CACHE_HOME under /proc: no directory can be made there, even by root.
  const own = `/tmp/syd-deno-${Deno.uid()}`;
  const result = await runSyd(["-V"], {
    env: { XDG_CACHE_HOME: "/proc/self/no-cache-here" },
  });
  assert.equal(result.code, 0, result.stderr);
  const info = Deno.lstatSync(own);
  assert.ok(info.isDirectory && !info.isSymlink);
  assert.equal(info.uid, Deno.uid());
  assert.equal(info.mode! & 0o777, 0o700);
  assert.ok([...Deno.readDirSync(own)].length > 0, "Deno wrote nothing there");
});

Deno.test("-h prints the usage", async () => {
  const result = await runSyd(["-h"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /Usage:\n {2}syd \[options\] \[--\] command/);
});

Deno.test("options not implemented fail with 95 and say so", async () => {
  // -e, -a, -c, -l, --check and --sh: tests/cli_options_test.ts.
  const result = await runSyd(["--el", "--", "true"]);
  assert.equal(result.code, 95, result.stderr);
  assert.equal(result.stderr, "syd: --el: not supported (the original's Emacs Lisp interface)\n");
});

Deno.test("policy features that cannot be enforced yet are refused with 95, never ignored", async () => {
  // -x (the trace profile) runs: every access allowed with a warning, logged at warn.
  const trace = await runSyd(["-x", "--", "true"], { env: { SYD_LOG: "notice" } });
  assert.equal(trace.code, 0, trace.stderr);
  assert.ok(
    records(trace.stderr).some((r) => r.ctx === "access" && r.act === "warn"),
    trace.stderr,
  );
  // mask (issue 17) is applied now: tests/mask_test.ts.
  const mask = await runSyd(["-poff", "-m", "mask+/etc/passwd", "--", "true"]);
  assert.equal(mask.code, 0, mask.stderr);
  const crypt = await runSyd(["-poff", "-m", "sandbox/crypt:on", "--", "true"]);
  assert.equal(crypt.code, 95);
  assert.equal(crypt.stderr, '-m#1:1:9: error: category "crypt" is not supported by this syd\n');
});

Deno.test("a bad -m command makes syd refuse to start with a diagnostic and 22", async () => {
  const result = await runSyd(["-m", "sandbox/read:onn", "--", "true"]);
  assert.equal(result.code, 22);
  assert.equal(result.stderr, '-m#1:1:14: error: "onn" is not on or off (did you mean "on"?)\n');
});

Deno.test("-m, -P and -p apply in command-line order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/on.syd-3`, "# exec on, denying\nsandbox/exec:on\n");
    // off, then the file turns exec on: every exec is denied by default.
    const on = await runSyd(["-p", "off", "-P", `${dir}/on.syd-3`, "--", "true"]);
    assert.equal(on.code, 13);
    // The file first, then off: every category ends off, and the program runs.
    const off = await runSyd([
      "-P",
      `${dir}/on.syd-3`,
      "-poff",
      "-m",
      "allow/read+/usr/***",
      "--",
      "echo",
      "ran",
    ]);
    assert.equal(off.code, 0, off.stderr);
    assert.equal(off.stdout, "ran\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("syd lint reports a misspelt category with file:line:col and a suggestion", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/bad.syd-3`;
    await Deno.writeTextFile(file, "# a policy\n\nsandbox/raed:on\n");
    const result = await runSyd(["lint", file]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stdout,
      `${file}:3:9: error: unknown category "raed" (did you mean "read"?)\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("syd lint warns about a rule that a later broader rule always overrides", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/shadow.syd-3`;
    await Deno.writeTextFile(file, "allow/read+/home/***\ndeny/read+/***\n");
    const result = await runSyd(["lint", file]);
    assert.equal(result.code, 0);
    assert.ok(
      result.stdout.startsWith(
        `${file}:1:1: warning: rule allow/read+/home/*** never decides anything`,
      ),
      result.stdout,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("syd lint --dump prints a profile's commands and --profiles lists them all", async () => {
  const dump = await runSyd(["lint", "--dump", "-p", "user"]);
  assert.equal(dump.code, 0, dump.stderr);
  const lines = dump.stdout.trim().split("\n");
  assert.equal(lines[0], "sandbox/all:on");
  assert.ok(lines.includes("default/all:deny"));
  assert.ok(lines.some((line) => line.startsWith("allow/net/connect+loopback!")), dump.stdout);
  const profiles = await runSyd(["lint", "--profiles"]);
  assert.equal(profiles.code, 0);
  const names = profiles.stdout.trim().split("\n").map((line) => line.split(/\s+/)[0]);
  for (
    const name of ["off", "lib", "user", "paludis", "trace", "silent", "quiet", "noipv4", "noipv6"]
  ) {
    assert.ok(names.includes(name), `${name} is missing from ${names}`);
  }
});

Deno.test("-p off, -poff and --profile=off all run the program", async () => {
  for (const spelling of [["-p", "off"], ["-poff"], ["--profile=off"]]) {
    const result = await runSyd([...spelling, "--", "sh", "-c", "echo ran"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "ran\n");
  }
});

Deno.test("with no profile every category is on and denies: `syd -- true` exits 13", async () => {
  const result = await runSyd(["--", "true"]);
  assert.equal(result.code, 13);
  assert.match(result.stderr, /syd: exec error: Permission denied\n/);
  const denial = records(result.stderr).find((r) => r.ctx === "access");
  assert.equal(denial?.cap, "exec");
  assert.equal(denial?.rule, "default");
});

Deno.test("`syd -- lint` runs a program named lint", async () => {
  const result = await runSyd(["-poff", "--", "lint"]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, "syd: exec error: No such file or directory\n");
});

Deno.test("bad usage and bad settings exit 22 with a message", async () => {
  const unknown = await runSyd(["--bogus", "true"]);
  assert.equal(unknown.code, 22);
  assert.match(unknown.stderr, /^syd: Unknown option '--bogus'/);
  const missingValue = await runSyd(["-p"]);
  assert.equal(missingValue.code, 22);
  const level = await runSyd(["-poff", "true"], { env: { SYD_LOG: "loud" } });
  assert.equal(level.code, 22);
  assert.match(level.stderr, /SYD_LOG: unknown level "loud"/);
  const nproc = await runSyd(["-poff", "true"], { env: { SYD_NPROC: "0" } });
  assert.equal(nproc.code, 22);
  assert.match(nproc.stderr, /SYD_NPROC: "0" is not a whole number from 1 to 1024/);
  const max = await runSyd(["-poff", "true"], { env: { SYD_NPROC: "4", SYD_NPROC_MAX: "2" } });
  assert.equal(max.code, 22);
});

Deno.test("the child starts with default signal dispositions and an empty mask", async () => {
  const result = await runSyd(["-poff", "--", "grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
  // With SIGPIPE at its default, `yes` ends when `head` stops reading.
  const pipe = await runSyd(["-poff", "--", "sh", "-c", "yes | head -n 2"]);
  assert.equal(pipe.code, 0);
  assert.equal(pipe.stdout, "y\ny\n");
});

Deno.test("the child runs with no_new_privs and a seccomp filter", async () => {
  const result = await runSyd([
    "-poff",
    // syd performs the open (its hardenings hold under -poff) and would serve it masked.
    "-m",
    "trace/allow_unsafe_proc_pid_status:1",
    "--",
    "grep",
    "-E",
    "^(NoNewPrivs|Seccomp):",
    "/proc/self/status",
  ]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "NoNewPrivs:\t1\nSeccomp:\t2\n");
});

Deno.test("trapped calls are answered and counted", async () => {
  const result = await runSyd(["-poff", "--", helper("openat_loop"), "2000"], {
    env: { SYD_LOG: "debug" },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\d+\n$/);
  const summary = records(result.stderr).find((r) => r.op === "summary");
  assert.ok(summary, result.stderr);
  assert.ok(Number(summary.notifications) >= 2000, `only ${summary.notifications} notifications`);
});

Deno.test("a multi-threaded program's concurrent trapped calls all complete", async () => {
  const script = `
import os, threading
def work():
    for _ in range(500):
        os.close(os.open("/etc/hostname", os.O_RDONLY))
threads = [threading.Thread(target=work) for _ in range(6)]
[t.start() for t in threads]
[t.join() for t in threads]
print("ok")
`;
  const result = await runSyd(["-poff", "--", "python3", "-c", script]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "ok\n");
});

Deno.test("eight processes at once all finish; the pool grows when busy and helpers retire", async () => {
  const loop = helper("openat_loop");
  const script = `for i in 1 2 3 4 5 6 7 8; do "$0" 10000 & done; wait; sleep 1`;
  const result = await runSyd(["-poff", "--", "sh", "-c", script, loop], {
    // One core worker, so that a notification taken while it is busy grows the pool.
    env: { SYD_LOG: "debug", SYD_NPROC: "1", SYD_KEEP_ALIVE_MS: "200" },
  });
  assert.equal(result.code, 0, result.stderr);
  const rates = result.stdout.trim().split("\n");
  assert.equal(rates.length, 8);
  for (const rate of rates) assert.match(rate, /^\d+$/);
  const logs = records(result.stderr);
  const grown = logs.filter((r) => r.op === "spawn_helper");
  assert.ok(grown.length >= 1, "the pool never grew");
  for (const r of grown) assert.equal(r.busy, r.total, JSON.stringify(r)); // every worker was busy
  const retired = logs.filter((r) => r.op === "retire_helper" && r.reason === "idle");
  assert.ok(retired.length >= 1, "no helper retired after the keep-alive");
  const summary = logs.find((r) => r.op === "summary");
  assert.ok(Number(summary?.notifications) >= 80_000, JSON.stringify(summary));
});

Deno.test("syd's threads are named and visible in /proc (from outside the sandbox)", async () => {
  const dir = tempDir();
  const child = new Deno.Command(SYD, {
    args: ["-poff", "--", "sh", "-c", `touch ${dir}/marker; sleep 1`],
    env: { SYD_NPROC: "2" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  await waitForFile(`${dir}/marker`, 20_000);
  const names: string[] = [];
  for (const entry of Deno.readDirSync(`/proc/${child.pid}/task`)) {
    names.push(Deno.readTextFileSync(`/proc/${child.pid}/task/${entry.name}/comm`).trim());
  }
  const result = await child.output();
  Deno.removeSync(dir, { recursive: true });
  assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
  assert.equal(names.filter((n) => n === "syd_mon").length, 1);
  assert.ok(names.filter((n) => n === "syd_emu").length >= 2, names.join(","));
});

Deno.test("SYD_LOG_FD sends JSON lines to that fd, and a negative one silences the log", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/log`;
    const result = await run("sh", [
      "-c",
      `SYD_LOG=debug SYD_LOG_FD=3 "$0" -poff true 3>"$1"`,
      "./syd",
      file,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const lines = records(await Deno.readTextFile(file));
    assert.ok(lines.some((r) => r.op === "start_monitor" && r.level === "debug"));
    for (const r of lines) assert.match(String(r.time), /^\d{4}-\d\d-\d\dT/);
    const silent = await runSyd(["-poff", "/nonexistent"], {
      env: { SYD_LOG: "debug", SYD_LOG_FD: "-1" },
    });
    assert.equal(silent.code, 2);
    assert.equal(silent.stderr, "syd: exec error: No such file or directory\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a terminal passes through to the sandboxed program", async () => {
  const result = await run("script", ["-qec", "./syd -poff -- tty", "/dev/null"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\/dev\/pts\/\d+\r?\n/);
});

Deno.test("deno task compile refuses a DENORT_BIN that is missing or is the full deno", async () => {
  const missing = await run("tools/compile.sh", [], { env: { DENORT_BIN: "/nonexistent/denort" } });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /DENORT_BIN=\/nonexistent\/denort is not an executable file/);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(".toolchain/bin/deno", `${dir}/deno`);
    await Deno.chmod(`${dir}/deno`, 0o755);
    const full = await run("tools/compile.sh", [], { env: { DENORT_BIN: `${dir}/deno` } });
    assert.equal(full.code, 1);
    assert.match(full.stderr, /points at the full deno binary/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("libsyd.so links libseccomp statically and exports only syd_* symbols", async () => {
  const lib = "zig-out/lib/libsyd.so";
  const dynamic = await run("readelf", ["-d", lib]);
  assert.equal(dynamic.code, 0, dynamic.stderr);
  assert.doesNotMatch(dynamic.stdout, /seccomp/);
  const symbols = await run("nm", ["-D", "--defined-only", lib]);
  assert.equal(symbols.code, 0, symbols.stderr);
  const names = symbols.stdout.trim().split("\n").map((line) => line.split(" ").at(-1) ?? "");
  assert.ok(names.includes("syd_run"), symbols.stdout);
  assert.deepEqual(names.filter((name) => !name.startsWith("syd_")), []);
});

Deno.test("lock:on on the command line is final: a later -m lock:off cannot take a deny back", async () => {
  await withSecretDir("syd-lock-", async (dir) => {
    const policy = ["-poff", "-m", "sandbox/read:on", "-m", "allow/read+/***"];
    policy.push("-m", `deny/read+${dir}/secret`, "-m", "lock:on");
    const undo = ["-m", `deny/read-${dir}/secret`, "-m", "lock:off"];
    // -poff has Lock sandboxing off: the arguments as they are (their -m numbers matter).
    const result = await runSyd([...policy, ...undo, "--", "cat", `${dir}/secret`], {
      landlock: true,
    });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^-m#5:1:1: error: `deny\/read-.*` refused: sandbox locked/);
    assert.equal(result.stderr.split("\n").filter((line) => line !== "").length, 1);
    const denied = await runSyd([...policy, "-m", "lock:on", "--", "cat", `${dir}/secret`]);
    assert.equal(denied.code, 1);
    assert.doesNotMatch(denied.stdout, /secret/);
  });
});

Deno.test("-q and the original's no-op relaxations (as its test harness passes them) run the command", async () => {
  const relax = ["exec_memory", "exec_nopie", "exec_textrel", "prlimit"].flatMap((
    name,
  ) => ["-m", `trace/allow_unsafe_${name}:1`]);
  const result = await runSyd(["-q", ...relax, "-poff", "--", "sh", "-c", "echo ran"]);
  assert.equal(result.stderr, "");
  assert.equal(result.stdout, "ran\n");
  assert.equal(result.code, 0);
});

Deno.test("the program inherits stdio only, as the original (passfd: stdio); passfd+N and passfd+all pass more", async () => {
  const script = "test -e /proc/self/fd/7 && echo seven || echo closed";
  const open = (args: string[]) =>
    run("sh", ["-c", `exec 7</etc/hostname; exec "$@"`, "sh", SYD, ...args]);
  assert.equal((await open(["-poff", "--", "sh", "-c", script])).stdout, "closed\n");
  assert.equal(
    (await open(["-poff", "-m", "passfd+7", "--", "sh", "-c", script])).stdout,
    "seven\n",
  );
  assert.equal(
    (await open(["-poff", "-m", "passfd+all", "--", "sh", "-c", script])).stdout,
    "seven\n",
  );
  const quiet = await runSyd(["-poff", "-m", "passfd-stdout", "--", "sh", "-c", "echo hi"]);
  assert.equal(quiet.stdout, "");
});

Deno.test("setenv!, unsetenv! and clearenv! shape the program's environment in order; SYD_ variables are refused (EPERM)", async () => {
  const result = await runSyd([
    "-poff",
    "-m",
    "clearenv!",
    "-m",
    "setenv!HOME=/tmp/${SYD_TEST_WORD:-word}",
    "-m",
    "setenv!PATH=/usr/bin:/bin",
    "-m",
    "setenv!GONE=1",
    "-m",
    "unsetenv!GONE",
    "-m",
    "setenv!HOME=${HOME}/x",
    "--",
    "sh",
    "-c",
    'echo "$HOME $PATH ${GONE:-unset} ${LANG:-cleared}"',
  ], { env: { LANG: "C.UTF-8" } });
  assert.equal(result.stdout, "/tmp/word/x /usr/bin:/bin unset cleared\n");
  const refused = await runSyd(["-poff", "-m", "setenv!SYD_LOG_FD=1", "--", "true"]);
  assert.equal(refused.code, 1);
  const unset = await runSyd(["-poff", "-m", "unsetenv!SYD_LOG_FD=1", "--", "true"]);
  assert.equal(unset.code, 1);
  assert.match(refused.stderr, /SYD_LOG_FD: syd's own variables may not be changed/);
});

Deno.test("syd's own SYD_ variables do not reach the program (SYD_TEST_ ones do), as the original", async () => {
  const result = await runSyd(["-poff", "--", "sh", "-c", "env | grep '^SYD_' | sort"], {
    env: { SYD_KEY: "sekrit", SYD_LOG: "notice", SYD_TEST_WORD: "kept" },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "SYD_TEST_WORD=kept\n");
});

Deno.test("the original's one-letter profile names stack (-pfu is fs then user); SYD_LOG_FD is checked: EBADF, EBADFD", async () => {
  const stacked = await runSyd(["-pfu", "--", "true"]);
  assert.equal(stacked.code, 0, stacked.stderr);
  const core = await runSyd(["-pC", "--", "true"]);
  assert.equal(core.code, 95, core.stderr);
  const script = `
${SYD} -poff true 9>&- ; echo closed=$?
: > "$1/log"
${SYD} -poff true 9<"$1/log"; echo readonly=$?
SYD_LOG=info ${SYD} -poff true 9>"$1/log"; echo writable=$?
grep -c '"op":"start"' "$1/log"
`;
  const dir = await Deno.makeTempDir({ prefix: "syd-logfd-" });
  try {
    const result = await run("bash", ["-c", script, "bash", dir], { env: { SYD_LOG_FD: "9" } });
    assert.equal(result.stdout, "closed=9\nreadonly=77\nwritable=0\n1\n", result.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("identical records are rate limited as the original's log/rlimit_burst and log/rlimit_interval, with a count of what was held back", async () => {
  const dir = tempDir("syd-rlimit-");
  try {
    const script = "test -c /dev/syd/log/rlimit_burst:3; mkdir x; " +
      "for i in 1 2 3 4 5 6 7 8 9 10; do rmdir x 2>/dev/null; done; " +
      "test -c /dev/syd/log/rlimit_interval:1; rmdir x 2>/dev/null; echo done";
    const policy = ["-poff", "-m", "lock:off", "-m", "sandbox/rmdir:on", "-m", "allow/rmdir+/***"];
    const result = await runSyd(
      [...policy, "-m", `deny/rmdir+${dir}/x`, "--", "sh", "-c", script],
      {
        cwd: dir,
      },
    );
    assert.equal(result.stdout, "done\n");
    const logged = records(result.stderr);
    const denials = logged.filter((r) => r.cap === "rmdir");
    assert.equal(denials.length, 4, result.stderr); // 3, then 1 after the interval
    const summary = logged.find((r) => r.op === "rlimit");
    assert.equal(summary?.suppressed, 7, result.stderr);
    // Every record names this sandbox by one id (64 hex digits) and warnings carry syd's uid.
    const ids = new Set(logged.map((r) => r.id));
    assert.equal(ids.size, 1);
    assert.match(String([...ids][0]), /^[0-9a-f]{64}$/);
    assert.equal(denials[0].uid, Deno.uid());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
