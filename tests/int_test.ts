/**
 * End-to-end tests of calls syd performs that block (FIFO opens): the interrupter ends them when
 * their caller is interrupted or killed, the pool grows past blocked emulators and shrinks
 * again, a crashing handler answers its call, and how syd ends (exit_wait_all, leftovers).
 */
import assert from "node:assert/strict";
import { records, ROOT, runSyd, SYD, tempDir, waitForFile } from "./_syd.ts";

const OPENAT2 = 437; // x86_64
/** Opens judged (so performed by syd, and FIFO opens block in syd), every path allowed. */
const EMULATED = ["-poff", "-m", "sandbox/read,write:on", "-m", "allow/read,write+/***"];

function mkfifo(path: string): void {
  const status = new Deno.Command("mkfifo", { args: [path] }).outputSync();
  assert.equal(status.code, 0, `mkfifo ${path}`);
}

/** syd's emulator threads, with the system call each is in now. */
function emulators(pid: number): { tid: string; syscall: number }[] {
  const found: { tid: string; syscall: number }[] = [];
  for (const entry of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const comm = Deno.readTextFileSync(`/proc/${pid}/task/${entry.name}/comm`).trim();
      if (comm !== "syd_emu") continue;
      const syscall = Number(
        Deno.readTextFileSync(`/proc/${pid}/task/${entry.name}/syscall`).split(" ")[0],
      );
      found.push({ tid: entry.name, syscall });
    } catch {
      // the thread ended meanwhile
    }
  }
  return found;
}

/**
 * Runs `script` under syd (-poff) in `dir`; once the script creates `marker`, waits `settleMs`
 * and counts the emulators blocked in openat2 while syd still runs.
 */
async function blockedAfter(
  dir: string,
  script: string,
  settleMs: number,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; blocked: number; emulators: number }> {
  const child = new Deno.Command(SYD, {
    args: [...EMULATED, "--", "sh", "-c", script],
    cwd: dir,
    env,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  await waitForFile(`${dir}/marker`, 20_000);
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const seen = emulators(child.pid);
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    blocked: seen.filter((e) => e.syscall === OPENAT2).length,
    emulators: seen.length,
  };
}

for (const [signal, status] of [["INT", 124], ["KILL", 137]] as const) {
  Deno.test(`timeout -s ${signal} 1 cat FIFO ends with ${status} and leaves no emulator blocked`, async () => {
    const dir = tempDir("syd-int-");
    try {
      mkfifo(`${dir}/fifo`);
      const start = performance.now();
      const result = await blockedAfter(
        dir,
        `timeout -s ${signal} 1 cat fifo; echo "status=$?"; touch marker; sleep 2`,
        500,
      );
      const elapsedMs = performance.now() - start;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `status=${status}\n`);
      assert.ok(result.emulators >= 1, "no emulator thread found");
      assert.equal(result.blocked, 0, "an emulator is still blocked in openat2");
      assert.ok(elapsedMs < 10_000, `took ${elapsedMs} ms`);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("timeout -s INT 1 cat FIFO under syd exits 124 within two seconds, and syd exits", async () => {
  const dir = tempDir("syd-int-");
  try {
    mkfifo(`${dir}/fifo`);
    const start = performance.now();
    const result = await runSyd([
      ...EMULATED,
      "--",
      "timeout",
      "-s",
      "INT",
      "1",
      "cat",
      `${dir}/fifo`,
    ]);
    const elapsedMs = performance.now() - start;
    assert.equal(result.code, 124, result.stderr);
    assert.ok(elapsedMs < 2_000 + 1_000, `took ${elapsedMs} ms`); // + syd's own start-up
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a caller killed while syd opens a FIFO for it frees that emulator within a second", async () => {
  const dir = tempDir("syd-int-");
  try {
    mkfifo(`${dir}/fifo`);
    const result = await blockedAfter(
      dir,
      'cat fifo & pid=$!; sleep 0.5; kill -9 $pid; wait $pid; echo "status=$?"; touch marker; sleep 2',
      1_000,
      { SYD_LOG: "info" },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "status=137\n");
    assert.equal(result.blocked, 0, "an emulator is still blocked in openat2");
    assert.ok(
      records(result.stderr).some((r) => r.ctx === "int" && r.op === "interrupt_emulator"),
      result.stderr,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("with every core emulator blocked on a FIFO, other calls still complete and the pool shrinks after", async () => {
  const dir = tempDir("syd-int-");
  const cpus = navigator.hardwareConcurrency || 1;
  const count = 4 * cpus;
  try {
    for (let i = 0; i < count; i++) mkfifo(`${dir}/fifo${i}`);
    const script = [
      `i=0; while [ $i -lt ${count} ]; do cat fifo$i > out$i & i=$((i+1)); done`,
      "sleep 1", // every reader is blocked in an open syd performs
      // another sandboxed process: 200 stat calls, each judged by an emulator
      `sh -c 'n=0; while [ $n -lt 200 ]; do [ -e /etc/passwd ] || exit 1; n=$((n+1)); done; echo stats=$n'`,
      `i=0; while [ $i -lt ${count} ]; do echo line$i > fifo$i; i=$((i+1)); done`,
      "wait",
      `i=0; while [ $i -lt ${count} ]; do cat out$i; i=$((i+1)); done`,
      "sleep 1.5", // past the keep-alive: idle helpers retire
    ].join("\n");
    const result = await runSyd([...EMULATED, "-t", "60s", "--", "sh", "-c", script], {
      cwd: dir,
      env: { SYD_LOG: "debug", SYD_NPROC: String(cpus), SYD_KEEP_ALIVE_MS: "300" },
    });
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const expected = ["stats=200", ...Array.from({ length: count }, (_, i) => `line${i}`)];
    assert.deepEqual(result.stdout.trim().split("\n"), expected);
    const log = records(result.stderr);
    const added = log.filter((r) => r.ctx === "pool" && r.op === "spawn_helper").length;
    const retired = log.filter((r) => r.ctx === "pool" && r.op === "retire_helper").length;
    assert.ok(added >= count - cpus, `only ${added} helpers added for ${count} blocked calls`);
    assert.ok(retired >= 1, "no helper retired");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a pool at its maximum with every emulator blocked interrupts the blocked calls (EINTR)", async () => {
  const dir = tempDir("syd-int-");
  try {
    mkfifo(`${dir}/fifo0`);
    mkfifo(`${dir}/fifo1`);
    // Two emulators at most, both blocked: the next call finds the pool exhausted.
    // cat's messages go to files: on stderr they could split a log record's line.
    const script =
      "cat fifo0 2>err0 & cat fifo1 2>err1 & sleep 1; [ -e /etc/passwd ] && echo stat-ok; wait";
    const result = await runSyd([...EMULATED, "-t", "30s", "--", "sh", "-c", script], {
      cwd: dir,
      env: { SYD_LOG: "info", SYD_NPROC: "1", SYD_NPROC_MAX: "2" },
    });
    assert.match(result.stdout, /stat-ok/);
    const messages = Deno.readTextFileSync(`${dir}/err0`) + Deno.readTextFileSync(`${dir}/err1`);
    assert.match(messages, /cat: fifo[01]: Interrupted system call/);
    assert.ok(records(result.stderr).some((r) => r.op === "interrupt_blocked"), result.stderr);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("trace/exit_wait_all:1 waits for every sandboxed process; without it none outlives syd", async () => {
  const dir = tempDir("syd-int-");
  try {
    const script = "(sleep 1; touch F) & exit 0";
    const early = await runSyd(["-poff", "--", "sh", "-c", script], { cwd: dir });
    assert.equal(early.code, 0, early.stderr);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.throws(() => Deno.statSync(`${dir}/F`), Deno.errors.NotFound);

    const waited = await runSyd([
      "-poff",
      "-m",
      "trace/exit_wait_all:1",
      "--",
      "sh",
      "-c",
      "(sleep 1; touch F; exit 42) & exit 3",
    ], {
      cwd: dir,
    });
    assert.equal(waited.code, 3, waited.stderr); // the first process's status
    Deno.statSync(`${dir}/F`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("-t ends a sandbox under trace/exit_wait_all, its leftover processes included", async () => {
  const start = performance.now();
  const result = await runSyd([
    "-poff",
    "-t",
    "1s",
    "-m",
    "trace/exit_wait_all:1",
    "--",
    "sh",
    "-c",
    "sleep 30 & exit 0",
  ]);
  assert.equal(result.code, 124, result.stderr);
  assert.ok(performance.now() - start < 10_000);
});

Deno.test("a handler that crashes answers its call EACCES, and the pool keeps serving", async () => {
  const library = `${ROOT}zig-out/faults/lib/libsyd.so`;
  try {
    Deno.statSync(library);
  } catch {
    throw new Error(
      `${library} is missing: tools/test.sh builds it (zig build -Dfaults=true -p zig-out/faults)`,
    );
  }
  const dir = tempDir("syd-int-");
  try {
    // mkdir's own messages go to a file: on stderr they could split a log record's line.
    const script =
      "mkdir -m 713 crash 2>err; echo crash=$?; mkdir ok && echo ok=$?; mkdir -m 713 crash2 2>>err; echo crash2=$?; mkdir ok2 && echo ok2=$?";
    const result = await runSyd(["-poff", "--", "sh", "-c", script], {
      cwd: dir,
      env: { SYD_LIBSYD: library, SYD_FAULT: "panic", SYD_NPROC: "1", SYD_NPROC_MAX: "1" },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "crash=1\nok=0\ncrash2=1\nok2=0\n");
    assert.match(
      Deno.readTextFileSync(`${dir}/err`),
      /mkdir: cannot create directory .crash.: Permission denied/,
    );
    const panics = records(result.stderr).filter((r) => r.op === "panic");
    assert.equal(panics.length, 2, result.stderr);
    assert.equal(panics[0].sys, "mkdir");
    assert.throws(() => Deno.statSync(`${dir}/crash`), Deno.errors.NotFound);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("rt_sigaction is watched for every signal number, SIGRTMAX included, and still performed", async () => {
  const script = [
    "import signal",
    "for sig in (signal.SIGINT, signal.SIGRTMIN, signal.SIGRTMAX):",
    "    signal.signal(sig, lambda *a: None)",
    "    signal.siginterrupt(sig, False)",
    "print(signal.getsignal(signal.SIGRTMAX) is not signal.SIG_DFL)",
  ].join("\n");
  const result = await runSyd(["-poff", "--", "python3", "-c", script]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "True\n");
  assert.ok(!records(result.stderr).some((r) => r.op === "panic"), result.stderr);
});

Deno.test("past 64 handler crashes syd ends with SIGABRT and says why (never SIGSYS, never silently)", async () => {
  const library = `${ROOT}zig-out/faults/lib/libsyd.so`;
  const dir = tempDir("syd-int-");
  try {
    const script =
      "i=0; while [ $i -lt 70 ]; do mkdir -m 713 d$i 2>/dev/null; i=$((i+1)); done; sleep 2";
    const result = await runSyd(["-poff", "--", "sh", "-c", script], {
      cwd: dir,
      env: { SYD_LIBSYD: library, SYD_FAULT: "panic" },
    });
    assert.equal(
      result.signal,
      "SIGABRT",
      JSON.stringify({ ...result, stderr: result.stderr.slice(-500) }),
    );
    assert.match(result.stderr, /syd: panic in a confined thread: test fault/);
    assert.equal(records(result.stderr).filter((r) => r.op === "panic").length, 64);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
