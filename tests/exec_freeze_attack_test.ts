/**
 * Attacks on the freeze around an executable mmap (ffi/exec/freeze.zig) and on the tracer that
 * runs it (ffi/workers/trace.zig `mmap_enter`, `serve_next`). Helpers:
 * tests/helpers/attack_freeze.c (one-shot modes) and attack_freeze_race.c (the fd-swap race of
 * attack_exec_mremap_race.c with the tasks the freeze must find made while it runs). Each
 * attack is first shown to work without syd (or without the freeze). Tests of problems not
 * fixed yet are `ignore: true`, with what they show; they assert the behaviour wanted.
 */
import assert from "node:assert/strict";
import { helper, run, runSyd, SYD, tempDir } from "./_syd.ts";

const ATTACK = helper("attack_freeze");
const RACE = helper("attack_freeze_race");
const ALONE = helper("attack_alone");

/** `mov eax, N; ret`, padded to a page, at `path`. */
function codeFile(path: string, n: number): string {
  const page = new Uint8Array(4096);
  page.set([0xb8, n, 0, 0, 0, 0xc3]);
  Deno.writeFileSync(path, page);
  return path;
}

/** A fresh temp directory (its real path) with `good` (returns 1) and `bad` (returns 42). */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = Deno.realPathSync(tempDir("syd-freeze-attack-"));
  try {
    codeFile(`${dir}/good`, 1);
    codeFile(`${dir}/bad`, 42);
    await fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const EXEC_DENY = (file: string) => [
  "-p",
  "off",
  "-m",
  "sandbox/exec:on",
  "-m",
  "allow/exec+/***",
  "-m",
  `deny/exec+${file}`,
];

/** The slowest executable mmap the victim saw, in milliseconds. */
function victimWorst(stdout: string): number {
  const match = stdout.match(/^victim (\d+) max (\d+) failed (\d+) errno (\d+)$/m);
  assert.ok(match, stdout);
  return Number(match[2]);
}

Deno.test("exec on mmap: a denied file opened, then unlinked, mapped PROT_EXEC through its fd is refused; regression", async () => {
  await withDir(async (dir) => {
    const native = await run(ATTACK, ["deleted", codeFile(`${dir}/native`, 42)]);
    assert.equal(native.stdout.trim(), "ran 42");
    const out = await runSyd([...EXEC_DENY(`${dir}/bad`), "--", ATTACK, "deleted", `${dir}/bad`]);
    assert.equal(out.stdout.trim(), "refused mmap 13", out.stderr);
    // TPE: the file no longer in its world-writable directory.
    Deno.mkdirSync(`${dir}/ww`);
    Deno.chmodSync(`${dir}/ww`, 0o777);
    const untrusted = codeFile(`${dir}/ww/x`, 42);
    const tpe = await runSyd([
      "-p",
      "off",
      "-m",
      "sandbox/tpe:on",
      "--",
      ATTACK,
      "deleted",
      untrusted,
    ]);
    assert.equal(tpe.stdout.trim(), "refused mmap 13", tpe.stderr);
  });
});

Deno.test("a vfork child maps code in its parent's memory: judged as any mapping (the caller alone only when it shares no memory); CLONE_VM with CLONE_PARENT is refused (EPERM)", async () => {
  await withDir(async (dir) => {
    const native = await run(ATTACK, ["vforkmap", `${dir}/bad`]);
    assert.equal(native.stdout.trim(), "vfork ran 42");
    const nativeSibling = await run(ATTACK, ["parentvfork"]);
    assert.equal(nativeSibling.stdout.trim(), "clone ok");
    const allowed = await runSyd([
      ...EXEC_DENY(`${dir}/bad`),
      "--",
      ATTACK,
      "vforkmap",
      `${dir}/good`,
    ]);
    assert.equal(allowed.stdout.trim(), "vfork ran 1", allowed.stderr);
    const denied = await runSyd([
      ...EXEC_DENY(`${dir}/bad`),
      "--",
      ATTACK,
      "vforkmap",
      `${dir}/bad`,
    ]);
    assert.equal(denied.stdout.trim(), "vfork refused mmap 13", denied.stderr);
    const sibling = await runSyd(["-p", "off", "--", ATTACK, "parentvfork"]);
    assert.equal(sibling.stdout.trim(), "clone refused 1", sibling.stderr);
  });
});

/** `MODE good G bad B refused R other O` of attack_alone, as numbers. */
function aloneCounts(stdout: string): { good: number; bad: number; refused: number } {
  const match = stdout.match(/good (\d+) bad (\d+) refused (\d+) other (\d+)/);
  assert.ok(match, stdout);
  return { good: Number(match[1]), bad: Number(match[2]), refused: Number(match[3]) };
}

Deno.test("a caller alone (no exit stop) never maps the denied file: its fd switched by its own signal handler, or by short-lived threads made and gone around each check (20,000 mmaps each; found by the attack session)", async () => {
  await withDir(async (dir) => {
    for (const mode of ["signal", "churn"]) {
      const native = aloneCounts(
        (await run(ALONE, [mode, `${dir}/good`, `${dir}/bad`, "20000"])).stdout,
      );
      assert.ok(native.bad > 0 && native.good > 0, `${mode} natively: ${JSON.stringify(native)}`);
      const out = await runSyd(
        [...EXEC_DENY(`${dir}/bad`), "--", ALONE, mode, `${dir}/good`, `${dir}/bad`, "20000"],
        { env: { SYD_LOG: "error" } },
      );
      assert.equal(out.code, 0, out.stderr.slice(-2000));
      const sandboxed = aloneCounts(out.stdout);
      assert.equal(sandboxed.bad, 0, `${mode}: ${out.stdout}`);
      assert.ok(sandboxed.good > 0 && sandboxed.refused > 0, `${mode}: ${out.stdout}`);
    }
  });
});

Deno.test("the fd-swap race with the flips made by fresh threads, or the moves by fresh vfork children, is never won (20,000 mmaps each)", async () => {
  // Threads made while a freeze runs start stopped (traced from their creation); a vfork
  // child is stopped with its parent's group once the tracer served the vfork's event stop.
  // The child may run before that (its first stop served first), but it shares memory only,
  // not the fd table, so it cannot make the fd name another file.
  await withDir(async (dir) => {
    for (const mode of ["threads", "vfork"]) {
      const native = await run(RACE, [dir, "20000", mode]);
      assert.match(native.stdout, /^WON /, `${mode}: ${native.stdout}`);
      const out = await runSyd([...EXEC_DENY(`${dir}/bad`), "--", RACE, dir, "20000", mode]);
      assert.doesNotMatch(out.stdout, /^WON /, `${mode}: the denied file's code ran`);
      assert.match(out.stdout, /^LOST moved=\d+ tries=20000$/m, `${mode}: ${out.stdout}`);
    }
  });
});

Deno.test({
  name:
    "liveness: an executable mmap with MAP_POPULATE (16 GiB of /dev/zero) stalls every other sandboxed process's executable mmap for as long as it runs",
  // Works (found by this attack session): after the check the tracer waits for the caller's
  // exit stop with a blocking wait4 (`serve_next`), serving nothing else meanwhile; a
  // populate is cut short by fatal signals only. 16 GiB of the zero page (private /dev/zero,
  // which exec sandboxing allows under allow/exec+/***; any big allowed file will do) take
  // ~3.5 s here (victim's worst mmap: ~3,450 ms); more, or a loop, stalls the sandbox as long
  // as wanted.
  // Fix: do not block on one tracee: record the frozen set, return to the main loop and
  // hold back (do not restart) the frozen tasks' reports until the caller's exit stop.
  ignore: true,
  fn: async () => {
    await withDir(async (dir) => {
      const script =
        `${ATTACK} victim ${dir}/good 8 & sleep 1; ${ATTACK} popexec /dev/zero 16; wait`;
      const out = await runSyd(["-p", "off", "--", "sh", "-c", script]);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /^popexec ok \d+$/m, out.stdout);
      assert.ok(victimWorst(out.stdout) < 1000, out.stdout);
    });
  },
});

Deno.test({
  name:
    "liveness: a thread in a long populate (madvise MADV_POPULATE_READ, a moving call) makes its sibling's executable mmap fail EAGAIN after ~5 s, and stalls every other sandboxed process meanwhile",
  // Works (found by this attack session): settle() waits for the populating thread (running in
  // madvise, which a PTRACE_INTERRUPT does not cut short) for its 5,000 rounds, on
  // the tracer: no other sandboxed process gets an exec, chdir or executable mmap served
  // (victim's worst mmap: ~5,600 ms), then refuses the call EAGAIN (a database mapping its
  // files with MAP_POPULATE while another thread dlopens: the dlopen fails). The rounds are
  // counted, not timed: with 1,000 more threads (asleep) to read in /proc each round, one
  // executable mmap held the tracer 28 s (`populate 64 CODE 1000`). Now bounded by time: the
  // freeze gives up after 2 s whatever the number of threads (EAGAIN, an `"op":"freeze"`
  // record), so the stall is 2 s at most (README Limits). Still open: the wait is on the tracer.
  // Fix: wait for the freeze off the main loop (as above), and let the caller wait longer
  // rather than fail (or fail closed only for the caller).
  ignore: true,
  fn: async () => {
    await withDir(async (dir) => {
      const script =
        `${ATTACK} victim ${dir}/good 10 & sleep 1; ${ATTACK} populate 32 ${dir}/good; wait`;
      const out = await runSyd(["-p", "off", "--", "sh", "-c", script]);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /^mmap ok \d+$/m, out.stdout);
      assert.ok(victimWorst(out.stdout) < 1000, out.stdout);
    });
  },
});

Deno.test({
  name:
    "transparency: a sibling thread asleep in epoll_wait(2) sees EINTR at each executable mmap (the freeze's PTRACE_INTERRUPT)",
  // Works (found by this attack session): every executable mmap (every dlopen, under W^X by
  // default) interrupts every sleeping thread of the caller; calls the kernel does not restart
  // after a ptrace stop (epoll_wait, semop, sigtimedwait: signal(7), "Interruption of system
  // calls ... by stop signals") fail EINTR. Without the freeze (allow_unsafe_exec_memory,
  // nothing to judge) the wait goes on. Fix idea: leave a task asleep in a harmless call
  // uninterrupted and, at the exit stop, check from /proc/TID/schedstat (time on CPU) that it
  // did not run meanwhile (else kill, as for a mismatch), so a sleeper is never woken.
  ignore: true,
  fn: async () => {
    await withDir(async (dir) => {
      const native = await run(ATTACK, ["eintr", `${dir}/good`]);
      assert.match(native.stdout, /^epoll asleep/m, native.stdout);
      const out = await runSyd(["-p", "off", "--", ATTACK, "eintr", `${dir}/good`]);
      assert.match(out.stdout, /^mmap ok/m, out.stderr);
      assert.match(out.stdout, /^epoll asleep/m, out.stdout);
    });
  },
});

Deno.test({
  name:
    "W^X: code written into an allowed file's executable mapping through /proc/self/mem never runs: the open for writing is refused",
  // Found by this attack session (as in the original 3.59 under -p off; its profiles paludis
  // and user deny writing /proc/pid/mem): the kernel writes into a read-only private mapping for
  // /proc/PID/mem (FOLL_FORCE). Now, while W^X is on, /proc/PID/mem is never opened for writing
  // (EACCES, an `"op":"proc_mem"` record).
  fn: async () => {
    await withDir(async (dir) => {
      const native = await run(ATTACK, ["procmem", `${dir}/good`, `${dir}/bad`]);
      assert.equal(native.stdout.trim(), "ran 42");
      const out = await runSyd([
        ...EXEC_DENY(`${dir}/bad`),
        "--",
        ATTACK,
        "procmem",
        `${dir}/good`,
        `${dir}/bad`,
      ]);
      assert.doesNotMatch(out.stdout, /^ran 42/m, "the denied file's code ran");
    });
  },
});

Deno.test({
  name:
    "liveness: a process holding 256 live vforks does not fill the tracer's table: another sandboxed process's posix_spawn child runs",
  // Found by this attack session: the table of live vforks (freeze.Vforks) had 256 slots for the
  // whole sandbox, and past it the new child was SIGKILLed: 256 threads each vforking a
  // sleeping child filled it, and a victim's posix_spawn child died (status 9). The table now
  // holds 16,384 (README Limits: past it the newest child is still killed; `pid/max` bounds
  // the threads that can be asleep in vfork at once).
  fn: async () => {
    const native = await run(ATTACK, ["vforkdos", "256", "/bin/true"]);
    assert.equal(native.stdout.trim(), "spawn status 0");
    const out = await runSyd(["-p", "off", "--", ATTACK, "vforkdos", "256", "/bin/true"]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^spawn status 0$/m, out.stdout);
  },
});

Deno.test({
  name:
    "an overlayfs whose layers are on different filesystems: its programs run and its files map executable (not killed as map_mismatch or by the exec stop), as under the original",
  // Found by this attack session (root only, in a private mount namespace): fstat of an overlay
  // file gives the overlay's st_dev, while /proc/PID/maps shows the real file's device (the
  // mapping's file is the real one), so the exit stop's dev/ino check never matched: the
  // process was killed (`map_mismatch`), and the exec stop's loader check said "the loader's
  // file is not the one mapped" (STALE). Now the identity is taken as maps will show it
  // (exec/identity.zig: syd maps its copy and asks PROCMAP_QUERY, Linux 6.11).
  fn: async () => {
    if (Deno.uid() !== 0) return;
    await withDir(async (dir) => {
      for (const sub of ["l", "l2", "u", "w", "m"]) Deno.mkdirSync(`${dir}/${sub}`);
      Deno.copyFileSync(`${dir}/good`, `${dir}/l/good`);
      Deno.copyFileSync("/bin/true", `${dir}/l/true`);
      const script = [
        `mount -t tmpfs t ${dir}/l2 || exit 99`,
        `mount -t overlay o -o lowerdir=${dir}/l:${dir}/l2,upperdir=${dir}/u,workdir=${dir}/w ${dir}/m || exit 99`,
        `${ATTACK} victim ${dir}/m/good 0.2 || exit 98`,
        `${SYD} -p off -m sandbox/lock:off -- ${ATTACK} victim ${dir}/m/good 0.2; echo mmap $?`,
        `${SYD} -p off -m sandbox/lock:off -- ${dir}/m/true; echo exec $?`,
      ].join("\n");
      const out = await run("unshare", ["-m", "sh", "-c", script]);
      if (out.code === 99) return; // no overlayfs here
      assert.match(out.stdout, /^mmap 0$/m, out.stdout + out.stderr);
      assert.match(out.stdout, /^exec 0$/m, out.stdout + out.stderr);
    });
  },
});
