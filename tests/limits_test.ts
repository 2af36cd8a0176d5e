/**
 * End-to-end tests of Memory sandboxing (`mem/max`, `mem/vm_max`, `default/mem`) and PID
 * sandboxing (`pid/max`, `default/pid`), as the original syd 3.59 behaves
 * (docs/original/limits_and_safesetid.md): a call that would take a process to its memory limit
 * gets ENOMEM and a record; a new task past the process limit is killed with its creator before
 * it runs. The helper tests/helpers/limits.c prints one line per step (`chunk I ok`,
 * `chunk I errno N`, `forked I`, `thread I`).
 */
import assert from "node:assert/strict";
import { helper, type Outcome, records, runSyd, withoutRecords } from "./_syd.ts";

const LIMITS = helper("limits");

/** `./syd -poff ARGS -- limits MODE...` (lock sandboxing off, see _syd.ts). */
async function limited(args: string[], mode: string[]): Promise<Outcome> {
  return await runSyd(["-poff", ...args.flatMap((a) => ["-m", a]), "--", LIMITS, ...mode]);
}

/** The program's own lines (syd's records left out). */
function lines(result: Outcome): string[] {
  const out = withoutRecords(result.stdout).trim();
  return out === "" ? [] : out.split("\n");
}

/** The memory records of a run. */
function memRecords(result: Outcome): Record<string, unknown>[] {
  return records(result.stderr).filter((r) => r.ctx === "access" && r.cap === "mem");
}

/** The PID sandboxing records of a run (the original's two contexts). */
function pidRecords(result: Outcome): Record<string, unknown>[] {
  return records(result.stderr).filter((r) => r.ctx === "limit_pid" || r.ctx === "pid_limit");
}

const MIB = 1 << 20;

Deno.test("mem/max:64M refuses a 256 MiB allocation with ENOMEM and a record naming the limit", async () => {
  const result = await limited(["mem/max:64M"], ["mmap", "256"]);
  assert.equal(result.code, 1, result.stderr);
  assert.deepEqual(lines(result), ["chunk 0 errno 12"]);
  const [record] = memRecords(result);
  assert.equal(record.act, "deny");
  assert.equal(record.sys, "mmap");
  assert.equal(record.mem_max, 64 * MIB);
  assert.equal(record.mem_size, 256 * MIB);
  assert.equal(record.tip, "increase `mem/max'");
  // The same program without the limit: the allocation succeeds.
  const free = await limited([], ["mmap", "256"]);
  assert.equal(free.code, 0, free.stderr);
  assert.deepEqual(lines(free), ["chunk 0 ok"]);
});

Deno.test("mem/max counts what the process has dirtied: 8 MiB chunks stop before 64 MiB", async () => {
  const result = await limited(["mem/max:64M"], ["step", "8", "16"]);
  assert.equal(result.code, 1, result.stderr);
  const got = lines(result);
  const refused = got.findIndex((line) => line.endsWith("errno 12"));
  // As the original: private anonymous pages count twice (Pss and Private_Dirty), so four
  // touched 8 MiB chunks pass and the fifth is refused.
  assert.ok(refused >= 3 && refused <= 7, got.join("\n"));
  const [record] = memRecords(result);
  assert.ok((record.mem_cur as number) + (record.mem_size as number) >= 64 * MIB);
});

Deno.test("a refused brk is answered ENOMEM: glibc's sbrk then crashes the program, as under the original", async () => {
  const result = await limited(["mem/max:64M"], ["brk", "8", "16"]);
  assert.equal(result.code, 139, result.stderr);
  assert.ok(memRecords(result).some((r) => r.sys === "brk"), result.stderr);
});

Deno.test("mremap growing past mem/max is refused with ENOMEM", async () => {
  const result = await limited(["mem/max:64M"], ["mremap", "8", "16"]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(lines(result).at(-1)!, /^grow \d+ errno 12$/);
  const record = memRecords(result).find((r) => r.sys === "mremap");
  assert.equal(record?.mem_size, 8 * MIB);
});

Deno.test("mem/vm_max limits the address space, touched or not", async () => {
  const result = await limited(["mem/vm_max:64M"], ["reserve", "8", "16"]);
  assert.equal(result.code, 1, result.stderr);
  const refused = lines(result).findIndex((line) => line.endsWith("errno 12"));
  assert.ok(refused >= 1 && refused <= 7, result.stdout);
  const [record] = memRecords(result);
  assert.equal(record.mem_vm_max, 64 * MIB);
  assert.equal(record.tip, "increase `mem/vm_max'");
});

Deno.test("default/mem decides what a process reaching its limit gets", async () => {
  const step = ["step", "8", "16"];
  const kill = await limited(["mem/max:64M", "default/mem:kill"], step);
  assert.equal(kill.code, 137, kill.stderr);
  assert.equal(memRecords(kill)[0].act, "kill");
  const abort = await limited(["mem/max:64M", "default/mem:abort"], step);
  assert.equal(abort.code, 134, abort.stderr);
  // exit: syd itself ends, with ENOMEM as its status.
  const exit = await limited(["mem/max:64M", "default/mem:exit"], step);
  assert.equal(exit.code, 12, exit.stderr);
  // filter: refused without a record.
  const filter = await limited(["mem/max:64M", "default/mem:filter"], step);
  assert.equal(filter.code, 1, filter.stderr);
  assert.equal(memRecords(filter).length, 0, filter.stderr);
  // warn: every chunk granted, each one past the limit recorded.
  const warn = await limited(["mem/max:64M", "default/mem:warn"], step);
  assert.equal(warn.code, 0, warn.stderr);
  assert.equal(lines(warn).length, 16);
  assert.ok(memRecords(warn).every((r) => r.act === "warn") && memRecords(warn).length > 0);
});

Deno.test("the limits turn their layer on: sandbox/mem:off before or after mem/max does not lift it", async () => {
  const result = await limited(["sandbox/mem:off", "mem/max:64M", "sandbox/mem:off"], [
    "mmap",
    "256",
  ]);
  assert.equal(result.code, 1, result.stderr);
  assert.deepEqual(lines(result), ["chunk 0 errno 12"]);
});

Deno.test("sysinfo under mem/max reports the limit as the machine's memory", async () => {
  const result = await limited(["mem/max:64M"], ["sysinfo"]);
  assert.equal(result.code, 0, result.stderr);
  const [, total, free] = lines(result)[0].match(/^total (\d+) free (\d+)$/)!;
  assert.equal(Number(total), 64 * MIB);
  assert.ok(Number(free) > 0 && Number(free) < 64 * MIB);
});

Deno.test("with lock:off, /dev/syd lowers mem/max while the sandbox runs; the default lock keeps it", async () => {
  const script = `test -e /dev/syd/mem/max:64M; echo "set $?"; exec ${LIMITS} step 8 16`;
  const open = await runSyd([
    "-poff",
    "-m",
    "lock:off",
    "-m",
    "mem/max:1G",
    "--",
    "sh",
    "-c",
    script,
  ]);
  assert.equal(open.code, 1, open.stderr);
  assert.equal(lines(open)[0], "set 0");
  assert.ok(lines(open).some((line) => line.endsWith("errno 12")), open.stdout);
  // Without a lock given, a policy with a limit is locked when its first process runs: the
  // program cannot lift its own limit.
  const lift = `test -e /dev/syd/mem/max:0; echo "set $?"; exec ${LIMITS} mmap 256`;
  const locked = await runSyd(["-poff", "-m", "mem/max:64M", "--", "sh", "-c", lift]);
  assert.equal(locked.code, 1, locked.stderr);
  assert.deepEqual(lines(locked), ["set 1", "chunk 0 errno 12"]);
});

Deno.test("pid/max:16 stops a fork loop at 16 tasks: the fork past it kills the new child and its creator", async () => {
  const result = await limited(["pid/max:16"], ["fork", "64"]);
  assert.equal(result.code, 137, result.stderr);
  // The loop's process and 15 children: 16 tasks. The 16th fork is killed before it returns.
  assert.equal(lines(result).at(-1), "forked 14");
  const [record] = pidRecords(result);
  assert.equal(record.ctx, "limit_pid");
  assert.equal(record.pid_max, 16);
  assert.equal(record.sig, 9);
  assert.equal(record.tasks, 17);
  assert.equal(record.tip, "increase `pid/max'");
  // The same loop with no limit makes every child.
  const free = await limited([], ["fork", "64"]);
  assert.equal(free.code, 0, free.stderr);
  assert.equal(lines(free).at(-1), "forked 63");
});

Deno.test("pid/max counts threads: pid/max:10 lets a process have 10 threads in all", async () => {
  const result = await limited(["pid/max:10"], ["threads", "64"]);
  assert.equal(result.code, 137, result.stderr);
  assert.equal(lines(result).at(-1), "thread 8");
});

Deno.test("default/pid decides what a process crossing pid/max gets", async () => {
  const fork = ["fork", "24"];
  const warn = await limited(["pid/max:16", "default/pid:warn"], fork);
  assert.equal(warn.code, 0, warn.stderr);
  assert.equal(lines(warn).at(-1), "forked 23");
  assert.ok(pidRecords(warn).length > 0 && pidRecords(warn).every((r) => r.ctx === "pid_limit"));
  const filter = await limited(["pid/max:16", "default/pid:filter"], fork);
  assert.equal(filter.code, 137, filter.stderr);
  assert.equal(pidRecords(filter).length, 0, filter.stderr);
  const abort = await limited(["pid/max:16", "default/pid:abort"], fork);
  assert.equal(abort.code, 134, abort.stderr);
  // exit: syd itself ends, with EACCES as its status (the original's).
  const exit = await limited(["pid/max:16", "default/pid:exit"], fork);
  assert.equal(exit.code, 13, exit.stderr);
  // stop: the two processes are stopped, so the sandbox waits until its timeout.
  const stop = await runSyd([
    "-poff",
    "-m",
    "pid/max:16",
    "-m",
    "default/pid:stop",
    "-t",
    "3",
    "--",
    LIMITS,
    ...fork,
  ]);
  assert.notEqual(stop.code, 0);
  assert.equal(pidRecords(stop)[0]?.sig, 19, stop.stderr);
  assert.equal(lines(stop).at(-1), "forked 14");
});

Deno.test("pid/max:0 is no limit, even with sandbox/pid:on", async () => {
  const result = await limited(["sandbox/pid:on", "pid/max:0"], ["fork", "40"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(lines(result).at(-1), "forked 39");
});

Deno.test("with lock:off, /dev/syd lowers pid/max while the sandbox runs", async () => {
  const script = `test -e /dev/syd/pid/max:8; echo "set $?"; exec ${LIMITS} fork 64`;
  const result = await runSyd([
    "-poff",
    "-m",
    "lock:off",
    "-m",
    "pid/max:1000",
    "--",
    "sh",
    "-c",
    script,
  ]);
  assert.equal(result.code, 137, result.stderr);
  assert.equal(lines(result)[0], "set 0");
  // sh exec'ed the loop: it and 7 children are the 8 tasks.
  assert.equal(lines(result).at(-1), "forked 6");
});

Deno.test("pid/max without syd's tracer is refused at start, not silently unenforced", async () => {
  const result = await limited(["pid/max:16", "trace/allow_unsafe_ptrace:1"], ["fork", "4"]);
  assert.equal(result.code, 22);
  assert.match(result.stderr, /pid\/max needs syd's tracer/);
});

Deno.test("bad limits and actions are refused as the original refuses them", async () => {
  for (
    const [command, code] of [
      ["mem/max:abc", 22],
      ["mem/max:-1", 22],
      ["mem/vm_max:0x100", 22],
      ["default/mem:allow", 22],
      ["pid/max:1e3", 22],
      ["pid/max:64K", 22],
      ["default/pid:deny", 22],
      ["default/pid:panic", 22],
    ] as const
  ) {
    const result = await limited([command], ["sysinfo"]);
    assert.equal(result.code, code, `${command}: ${result.stderr}`);
  }
});

Deno.test("-E pfc shows what memory and PID sandboxing change", async () => {
  const result = await runSyd(["-poff", "-m", "mem/max:1G", "-m", "pid/max:10", "-E", "pfc"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /# syd_mem: Syd memory sandboxing: mmap, brk and mremap sent to syd/);
  assert.match(result.stdout, /# syd_pid: Syd PID sandboxing: .* action kill past pid\/max 10/);
  const off = await runSyd(["-poff", "-E", "pfc"]);
  assert.match(off.stdout, /# syd_mem: Syd memory sandboxing: off/);
  assert.match(off.stdout, /# syd_pid: Syd PID sandboxing: off/);
});
