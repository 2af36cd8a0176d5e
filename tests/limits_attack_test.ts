/**
 * Attacks on PID sandboxing (`pid/max`) and Memory sandboxing (`mem/max`, `mem/vm_max`) from
 * hostile sandboxed programs (tests/helpers/attack_limits.c, attack_limits_mem.c).
 *
 * PID sandboxing promises that the sandbox never has more than `pid/max` tasks running user
 * code: the fork bombs below count, inside the sandbox, the tasks that ran an instruction of
 * their own and are alive (pidfds: syd hides the other processes' /proc entries), and the
 * most seen at once must not pass the limit. Every bomb runs under `-t 30` and `timeout`; the
 * same bomb without a limit shows that it does pass it.
 *
 * Memory sandboxing judges calls, not page faults (as the original's): the attacks it cannot
 * stop by design are kept as known limitations that assert what happens.
 */
import assert from "node:assert/strict";
import { helper, lockOff, type Outcome, records, run, runSyd, SYD } from "./_syd.ts";

const PIDS = helper("attack_limits");
const MEM = helper("attack_limits_mem");
helper("limits"); // threadexec runs it

/** `./syd -poff -t 30 ARGS`, under `timeout 60` as well: a bomb never outlives its test. */
async function sandboxed(args: string[]): Promise<Outcome> {
  return await run("timeout", [
    "-s",
    "KILL",
    "60",
    SYD,
    ...lockOff(["-poff", "-t", "30", ...args]),
  ]);
}

/** The numbers a bomb printed: `peak`, `started`, `rounds`. */
function counts(out: Outcome): { peak: number; started: number; rounds: number } {
  const number = (name: string) =>
    Number(out.stdout.match(new RegExp(`${name} (\\d+)`))?.[1] ?? NaN);
  return { peak: number("peak"), started: number("started"), rounds: number("rounds") };
}

function limitRecords(out: Outcome): Record<string, unknown>[] {
  return records(out.stderr).filter((r) => r.ctx === "limit_pid");
}

/** Runs a bomb under `pid/max:MAX`: the root reported (it was never a victim) within MAX. */
async function bombWithin(max: number, bomb: string[], extra: string[] = []) {
  const out = await sandboxed(["-m", `pid/max:${max}`, ...extra, "--", PIDS, ...bomb]);
  const found = counts(out);
  const detail = `${bomb.join(" ")}: ${JSON.stringify(found)} exit ${out.code}\n${out.stdout}`;
  assert.ok(!Number.isNaN(found.peak), `the bomb's root reported: ${detail}${out.stderr}`);
  assert.ok(found.peak <= max, `at most ${max} tasks ran at once: ${detail}`);
  return { out, found };
}

/** The same bomb with no limit passes `max`: the measurement can fail. */
async function bombPasses(max: number, bomb: string[]) {
  const out = await sandboxed(["--", PIDS, ...bomb]);
  const found = counts(out);
  assert.ok(found.peak > max, `without pid/max the bomb passes ${max}: ${JSON.stringify(found)}`);
}

// PID sandboxing: fork bombs, each held at 48 live tasks by itself, for 3 s under pid/max:16.
// Kinds: f fork, t threads, v vfork+exec, o double fork (orphans reaped by syd), s setsid,
// g a process group of its own, j joining another process group of the sandbox.
for (
  const [name, kinds] of [
    ["fork", "f"],
    ["threads", "t"],
    ["vfork and exec", "v"],
    ["double fork to orphans syd reaps", "o"],
    ["setsid", "s"],
    ["process groups of their own", "g"],
    ["joining another process group", "j"],
    ["threads and processes mixed", "ftvosgj"],
  ]
) {
  Deno.test(`pid attack: a fork bomb (${name}) never has more than pid/max tasks running`, async () => {
    const { out } = await bombWithin(16, ["bomb", kinds, "48", "3"]);
    assert.ok(limitRecords(out).length > 0, `the limit was reached and recorded:\n${out.stderr}`);
  });
}

Deno.test("pid attack: without pid/max the mixed bomb does pass 16 tasks", async () => {
  await bombPasses(16, ["bomb", "ftvosgj", "48", "2"]);
});

Deno.test("pid attack: clone3 is refused (ENOSYS, as the original's), so it creates nothing", async () => {
  const out = await sandboxed(["-m", "pid/max:16", "--", PIDS, "bomb", "3", "48", "1"]);
  assert.deepEqual(counts(out), { peak: 3, started: 3, rounds: NaN }, out.stdout + out.stderr);
});

// Found by the attack session, fixed: a CLONE_PARENT child is its creator's sibling. When the
// new task's first stop was seen before its creator's clone stop, syd took the new task's
// parent (the bomb's root) for its creator and killed it. Now the new task alone is killed at
// its first stop, and its creator at its own clone stop.
Deno.test({
  name: "pid attack: clone(CLONE_PARENT) past the limit kills the creator, not its parent",
  fn: async () => {
    await bombWithin(16, ["bomb", "p", "48", "3"]);
  },
});

// Many forks racing: 4 racer processes fork at the same instant, round after round, one fork
// too many each round under pid/max:9 (root, monitor, 4 racers, 3 children); the root replaces
// the racers syd kills. ~25 rounds a second fit (each round ends with a kill and a respawn):
// 25 s (within `-t 30`), about 300 to 600 rounds (fewer on a loaded machine), 0 wins.
Deno.test("pid attack: forks racing at the same instant never pass pid/max", async () => {
  const { out, found } = await bombWithin(9, ["race", "4", "25"]);
  assert.ok(found.rounds >= 150, `enough rounds: ${out.stdout}`);
  assert.ok(limitRecords(out).length > 0);
});

Deno.test("pid attack: the same race without pid/max passes 9 tasks", async () => {
  await bombPasses(9, ["race", "4", "2"]);
});

// A creator killed (by its sibling, at varying times) between its fork and its ptrace stop:
// the new task is judged at its own first stop.
Deno.test("pid attack: a creator killed between its fork and its stop lets nothing past", async () => {
  const { found } = await bombWithin(4, ["creatorkill", "10"]);
  assert.ok(found.rounds >= 500, `enough rounds: ${JSON.stringify(found)}`);
});

Deno.test("pid attack: the same creator-kill loop without pid/max passes 4 tasks", async () => {
  // 3 s: a loaded machine (the test files run three at a time) made 12 rounds in 1 s.
  await bombPasses(4, ["creatorkill", "3"]);
});

// Found by the attack session, fixed: default/pid:abort signalled SIGABRT, which the bomb
// ignores (SIG_IGN is inherited), so the new task went on. Now the new task is always killed
// (it never runs), its creator gets the action's signal.
Deno.test({
  name: "pid attack: default/pid:abort holds a bomb that ignores SIGABRT",
  fn: async () => {
    await bombWithin(16, ["ignabort", "48", "3"], ["-m", "default/pid:abort"]);
  },
});

// Found by the attack session, fixed (syd now knows every task it has seen): a process stopped
// (SIGSTOP) and continued (SIGCONT) reports a PTRACE_EVENT_STOP with SIGTRAP when its group
// stop ends; syd took it for a new task's first stop and judged it. When that lands while the sandbox is past the limit (the attacker forks
// one task too many as it sends SIGCONT), the victim, here the sandbox's first process that
// created nothing for seconds, is killed as if it were new (record "pid":<victim>,"ppid":0),
// and its parent too when that is sandboxed. With default/pid:stop the whole sandbox ends
// stopped until -t.
Deno.test({
  name: "pid attack: a process stopped and continued is not judged as a new task",
  fn: async () => {
    const out = await sandboxed(["-m", "pid/max:5", "--", PIDS, "stopcont", "5", "2"]);
    assert.match(out.stdout, /^root survived rounds \d+$/m, `exit ${out.code}\n${out.stderr}`);
  },
});

Deno.test("pid attack: the stop-and-continue attack without pid/max leaves its victim alive", async () => {
  const out = await sandboxed(["--", PIDS, "stopcont", "2", "2"]);
  assert.match(out.stdout, /^root survived rounds \d+$/m, out.stderr);
});

Deno.test("pid attack: exec by a non-leader thread leaves PID sandboxing in force", async () => {
  const out = await sandboxed(["-m", "pid/max:16", "--", PIDS, "threadexec", "64"]);
  const forked = out.stdout.split("\n").filter((line) => line.startsWith("forked ")).length;
  // the exec'd program and its children: 15 at most
  assert.ok(forked >= 10 && forked <= 15, `forked ${forked}:\n${out.stdout}${out.stderr}`);
  assert.equal(limitRecords(out).length, 1, out.stderr);
  assert.equal(out.code, 137, "the creator (the sandbox's process) was killed");
});

// A process outside the sandbox, in syd's session but in a process group of its own (as a
// shell's background job): the sandbox joins that group (setpgid works within a session), then
// passes the limit. syd signals that group only among the sandbox's processes.
Deno.test("pid attack: joining an outside process group gets no outside process killed", async () => {
  const script = `import os, subprocess, sys, time
victim = subprocess.Popen(["sleep", "60"], process_group=0)
out = subprocess.run(["timeout", "-s", "KILL", "60", ${JSON.stringify(SYD)}] + sys.argv[1:] +
    ["--", ${
    JSON.stringify(PIDS)
  }, "joinpgid", str(victim.pid), "32"], capture_output=True, text=True)
time.sleep(0.2)
print(out.stdout, end="")
print("exit", out.returncode)
print("victim", "alive" if victim.poll() is None else "dead %d" % victim.returncode)
victim.kill()
`;
  const out = await run("python3", [
    "-c",
    script,
    ...lockOff(["-poff", "-t", "30", "-m", "pid/max:8", "--"]).slice(0, -1),
  ]);
  assert.match(out.stdout, /^joined \d+$/m, out.stdout + out.stderr);
  assert.match(out.stdout, /^victim alive$/m, out.stdout + out.stderr);
  const forked = out.stdout.split("\n").filter((line) => line.startsWith("forked ")).length;
  assert.ok(forked < 8, `the limit held: ${out.stdout}`);
});

Deno.test("pid attack: /dev/syd cannot lift pid/max or the memory limits under the default lock", async () => {
  const out = await runSyd(["-poff", "-m", "pid/max:16", "-m", "mem/max:64M", "--", MEM, "devsyd"]);
  for (
    const command of [
      "mem/max:0",
      "mem/vm_max:0",
      "sandbox/mem:off",
      "pid/max:0",
      "sandbox/pid:off",
      "default/mem:warn",
    ]
  ) {
    assert.match(out.stdout, new RegExp(`^/dev/syd/${command} errno 2$`, "m"), out.stdout);
  }
  assert.match(out.stdout, /^mmap_512m errno 12$/m, "the limit still holds");
});

// Memory sandboxing.

Deno.test("mem attack: sizes that wrap or odd mremap flags get nothing past the limits", async () => {
  const out = await runSyd([
    "-poff",
    "-m",
    "mem/max:64M",
    "-m",
    "mem/vm_max:1G",
    "--",
    MEM,
    "overflow",
  ]);
  assert.equal(out.code, 0, out.stderr);
  for (
    const call of [
      "mmap_max",
      "mmap_wrap",
      "mmap_1t_noreserve",
      "mremap_dontunmap_grow",
      "mremap_dup_shared",
      "brk_top",
      "brk_1g",
    ]
  ) {
    assert.match(out.stdout, new RegExp(`^${call} errno 12$`, "m"), `${call}:\n${out.stdout}`);
  }
  // refused by the kernel's own checks (syd charges them nothing and lets the kernel answer)
  for (const call of ["mremap_wrap", "mremap_old_huge", "mremap_odd_flag"]) {
    assert.match(out.stdout, new RegExp(`^${call} errno 22$`, "m"), `${call}:\n${out.stdout}`);
  }
  const [pss, vm] = out.stdout.match(/^pss (\d+) vm (\d+)$/m)!.slice(1).map(Number);
  assert.ok(pss < 64 && vm < 1024, out.stdout);
});

Deno.test("mem attack: System V shared memory is not there to map past the limit (SIGSYS)", async () => {
  const out = await runSyd(["-poff", "-m", "mem/max:64M", "--", MEM, "shm", "128"]);
  assert.equal(out.code, 128 + 31, out.stdout + out.stderr);
  assert.doesNotMatch(out.stdout, /shm ok/);
});

Deno.test("mem attack: mmap through the x32 system call numbers is killed", async () => {
  const out = await runSyd(["-poff", "-m", "mem/max:64M", "--", MEM, "x32"]);
  assert.equal(out.code, 128 + 31, out.stdout + out.stderr);
});

Deno.test("mem attack: mem/vm_max counts reservations that are never touched", async () => {
  const out = await runSyd(["-poff", "-m", "mem/vm_max:256M", "--", MEM, "untouched", "16", "32"]);
  const granted = Number(out.stdout.match(/^granted (\d+)$/m)?.[1]);
  assert.ok(granted >= 12 && granted < 16, out.stdout);
});

// Known limitations, shared with the original (only calls are judged, never page faults).

Deno.test("mem known limitation: MAP_NORESERVE mappings touched after they were granted pass mem/max", async () => {
  const out = await runSyd(["-poff", "-m", "mem/max:64M", "--", MEM, "untouched", "16", "8"]);
  assert.match(out.stdout, /^granted 8$/m);
  const pss = Number(out.stdout.match(/^pss (\d+)/m)?.[1]);
  assert.ok(pss >= 128, `8 x 16 MiB touched past mem/max:64M: ${out.stdout}`);
});

Deno.test("mem known limitation: the stack grows past mem/max and mem/vm_max with no call", async () => {
  const out = await runSyd([
    "-poff",
    "-m",
    "mem/max:64M",
    "-m",
    "mem/vm_max:64M",
    "--",
    MEM,
    "stack",
    "100",
  ]);
  const [pss, vm] = out.stdout.match(/^pss (\d+) vm (\d+)$/m)!.slice(1).map(Number);
  assert.ok(pss >= 100 && vm >= 100, out.stdout + out.stderr);
});

Deno.test("mem known limitation: a memfd written (never mapped) holds memory past mem/max", async () => {
  const out = await runSyd(["-poff", "-m", "mem/max:64M", "--", MEM, "memfd", "128"]);
  assert.match(out.stdout, /^written 128$/m, out.stdout + out.stderr);
});

// Threads that map and touch at once are each judged before any of them has touched: the
// original lets some through the same way (7 of 16 observed; this syd, whose handlers run in
// parallel, more). Measured, not held to a number.
Deno.test("mem known limitation: threads allocating at once are judged on what was touched before", async () => {
  const out = await runSyd(["-poff", "-m", "mem/max:64M", "--", MEM, "threads", "16", "8"]);
  assert.equal(out.code, 0, out.stderr);
  const granted = Number(out.stdout.match(/^granted (\d+)$/m)?.[1]);
  assert.ok(granted >= 1 && granted <= 16, out.stdout);
  console.log(
    `threads: ${granted} of 16 x 8 MiB granted under mem/max:64M; ${out.stdout.match(/^pss.*$/m)}`,
  );
});

// The race on mem/vm_max: 8 threads map 64 MiB (untouched) at the same instant, 5000 rounds.
// Each call is judged on the VmSize before the others' maps land, so most rounds pass 256 MiB
// (the original's too: 1808 of 2000). What still holds: the overshoot is at most what the
// racing calls asked for at once.
Deno.test("mem known limitation: mmaps racing on mem/vm_max pass it by at most their own sizes", async () => {
  const out = await runSyd([
    "-poff",
    "-m",
    "mem/vm_max:256M",
    "--",
    MEM,
    "vmrace",
    "8",
    "64",
    "5000",
    "256",
  ]);
  const [wins, rounds, most] = out.stdout.match(/^wins (\d+) rounds (\d+) most (\d+)$/m)!.slice(1)
    .map(Number);
  assert.equal(rounds, 5000);
  assert.ok(most <= 256 + 8 * 64, out.stdout);
  console.log(
    `vmrace: ${wins} of ${rounds} rounds passed mem/vm_max:256M, VmSize at most ${most} MiB`,
  );
});
