/**
 * Attacks on issue 17's trusted-execution layers (ffi/exec/mmap.zig, force.zig, tpe.zig): code
 * from a file exec sandboxing denies, Force does not list or TPE does not trust, made
 * executable without the judged mmap(PROT_EXEC), or changed after it was judged. The helper
 * (tests/helpers/attack_exec_map.c) maps a file of raw x86_64 code (`mov eax, 42; ret`) and
 * calls it: `ran N` is a bypass, `refused STEP ERRNO` a refusal. Each attack is first shown to
 * work without syd. A second helper (tests/helpers/attack_exec_swap.c) flips a symlink between a
 * trusted and an untrusted program while running it (20,000 runs; with nothing judging it, both
 * run); a third (attack_exec_mremap_race.c) races the fd of an mmap and dodges its exit check.
 * Tests of bypasses not fixed yet are `ignore: true`, with what the original syd 3.59 does.
 */
import assert from "node:assert/strict";
import { helper, records, ROOT, run, runSyd, tempDir } from "./_syd.ts";

const ATTACK = helper("attack_exec_map");

/** `mov eax, 42; ret`, padded to a page. */
function codeFile(dir: string, name = "code"): string {
  const page = new Uint8Array(4096);
  page.set([0xb8, 0x2a, 0, 0, 0, 0xc3]);
  const path = `${dir}/${name}`;
  Deno.writeFileSync(path, page);
  return path;
}

/** A fresh temp directory (its real path) removed at the end of the test. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = Deno.realPathSync(tempDir("syd-exec-attack-"));
  try {
    await fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The helper without syd: the attack works on this machine (the code runs). */
async function worksNatively(args: string[], ran = "ran 42"): Promise<void> {
  const out = await run(ATTACK, args);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.trim(), ran, "the attack does not work even without syd");
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

Deno.test("exec on mmap: a denied file mapped PROT_EXEC is refused (EACCES); regression control", async () => {
  await withDir(async (dir) => {
    const code = codeFile(dir);
    await worksNatively(["mmap", code]);
    const out = await runSyd([...EXEC_DENY(code), "--", ATTACK, "mmap", code]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.trim(), "refused mmap 13");
  });
});

Deno.test({
  name:
    "exec on mmap bypass: mmap(PROT_READ) then mprotect/pkey_mprotect(PROT_EXEC), or after mremap, runs a denied file's code",
  // BYPASS, not fixed (README Limits documents mprotect as not covered): the filter stops only
  // mmap with PROT_EXEC; mprotect(2), pkey_mprotect(2) (and mprotect after mremap(2)) adding
  // PROT_EXEC to a file mapping are never judged. The original syd 3.59 kills every such call
  // (SIGSYS, exit 159) unless trace/allow_unsafe_exec_memory:1.
  ignore: true,
  fn: async () => {
    await withDir(async (dir) => {
      const code = codeFile(dir);
      for (const mode of ["mprotect", "pkey", "mremap"]) {
        await worksNatively([mode, code]);
        const out = await runSyd([...EXEC_DENY(code), "--", ATTACK, mode, code]);
        assert.doesNotMatch(out.stdout, /^ran/m, `${mode}: the denied file's code ran`);
      }
    });
  },
});

Deno.test({
  name: "TPE bypass: mprotect(PROT_EXEC) of a file in a world-writable directory runs its code",
  // BYPASS, not fixed: TPE's library stage judges mmap(PROT_EXEC) only (the control below is
  // refused), mprotect adding PROT_EXEC is not judged. The original kills the mprotect.
  ignore: true,
  fn: async () => {
    await withDir(async (dir) => {
      Deno.mkdirSync(`${dir}/ww`);
      Deno.chmodSync(`${dir}/ww`, 0o777);
      const code = codeFile(`${dir}/ww`);
      await worksNatively(["mprotect", code]);
      const out = await runSyd([
        "-p",
        "off",
        "-m",
        "sandbox/tpe:on",
        "--",
        ATTACK,
        "mprotect",
        code,
      ]);
      assert.doesNotMatch(out.stdout, /^ran/m);
    });
  },
});

Deno.test("TPE: a file in a world-writable directory mapped PROT_EXEC is refused; regression control", async () => {
  await withDir(async (dir) => {
    Deno.mkdirSync(`${dir}/ww`);
    Deno.chmodSync(`${dir}/ww`, 0o777);
    const code = codeFile(`${dir}/ww`);
    await worksNatively(["mmap", code]);
    const out = await runSyd(["-p", "off", "-m", "sandbox/tpe:on", "--", ATTACK, "mmap", code]);
    assert.equal(out.stdout.trim(), "refused mmap 13", out.stderr);
  });
});

/** The force+ line `syd sum` prints for a file. */
async function forceLine(file: string): Promise<string> {
  const out = await runSyd(["sum", "-a", "sha256", file]);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.trim();
}

const FORCE = (
  line: string,
) => ["-p", "off", "-m", "sandbox/force:on", "-m", "default/force:warn", "-m", line];

Deno.test("Force at mmap: a file whose hash differs from its force+ line is refused; regression control", async () => {
  await withDir(async (dir) => {
    const code = codeFile(dir);
    const line = await forceLine(code);
    const bad = line.slice(0, -1) + (line.endsWith("0") ? "1" : "0");
    const out = await runSyd([...FORCE(bad), "--", ATTACK, "rewrite", code, "7"]);
    assert.equal(out.stdout.trim(), "refused mmap 13", out.stderr);
  });
});

Deno.test({
  name:
    "Force bypass: a file hashed at its mmap(PROT_EXEC) and rewritten after (pwrite) runs the new code",
  // BYPASS, not fixed: Force hashes the file at the mmap stop; a MAP_PRIVATE mapping shows the
  // page cache, so a pwrite(2) after the mmap (through the same O_RDWR fd, or another fd while
  // the mapping is made through a read-only one) changes the code that runs: `ran 7`, not 42.
  // The original syd 3.59 refuses both mmaps ("executable mapping of writable file blocked",
  // check_lib, EACCES).
  ignore: true,
  fn: async () => {
    await withDir(async (dir) => {
      for (const mode of ["rewrite", "rewrite2"]) {
        const code = codeFile(dir, mode);
        await worksNatively([mode, codeFile(dir, `${mode}.native`), "7"], "ran 7");
        const line = await forceLine(code);
        const out = await runSyd([...FORCE(line), "--", ATTACK, mode, code, "7"]);
        assert.doesNotMatch(out.stdout, /^ran 7/m, `${mode}: code changed after the hash ran`);
      }
    });
  },
});

Deno.test("exec on mmap: a memfd copy of a denied file mapped PROT_EXEC is refused; regression", async () => {
  await withDir(async (dir) => {
    const code = codeFile(dir);
    await worksNatively(["memfd", code]);
    const out = await runSyd([...EXEC_DENY(code), "--", ATTACK, "memfd", code]);
    assert.equal(out.stdout.trim(), "refused mmap 13", out.stderr);
  });
});

Deno.test("SysV shm attached SHM_EXEC is killed, io_uring is refused (ENOSYS); regressions", async () => {
  await withDir(async (dir) => {
    const code = codeFile(dir);
    await worksNatively(["shm", code]);
    const shm = await runSyd([...EXEC_DENY(code), "--", ATTACK, "shm", code]);
    assert.equal(shm.code, 159, shm.stderr);
    assert.doesNotMatch(shm.stdout, /^ran/m);
    const uring = await runSyd([...EXEC_DENY(code), "--", ATTACK, "uring"]);
    assert.equal(uring.stdout.trim(), "refused io_uring_setup 38", uring.stderr);
  });
});

const ZIG = `${ROOT}.toolchain/bin/zig`;
const LDSO = Deno.realPathSync("/lib64/ld-linux-x86-64.so.2");

/** A dynamic program printing `prog ran` at `path`, built with `more` linker arguments. */
async function buildProg(dir: string, path: string, ...more: string[]): Promise<void> {
  const source = `${dir}/prog.c`;
  Deno.writeTextFileSync(
    source,
    '#include <stdio.h>\nint main(void) { puts("prog ran"); return 0; }\n',
  );
  const out = await run(ZIG, ["cc", "-o", path, source, ...more]);
  assert.equal(out.code, 0, out.stderr);
  Deno.chmodSync(path, 0o755);
}

/** A world-writable directory `ww` under `dir`. */
function worldWritable(dir: string): string {
  Deno.mkdirSync(`${dir}/ww`);
  Deno.chmodSync(`${dir}/ww`, 0o777);
  return `${dir}/ww`;
}

Deno.test("execveat(AT_EMPTY_PATH) of an O_PATH fd and execve of /proc/self/fd/N are judged as the file; regressions", async () => {
  await withDir(async (dir) => {
    const ww = worldWritable(dir);
    const prog = `${dir}/prog`;
    await buildProg(dir, prog);
    Deno.copyFileSync(prog, `${ww}/prog`);
    Deno.chmodSync(`${ww}/prog`, 0o755);
    for (const mode of ["execveat", "procfd"]) {
      assert.equal((await run(ATTACK, [mode, prog])).stdout.trim(), "prog ran");
      const denied = await runSyd([...EXEC_DENY(prog), "--", ATTACK, mode, prog]);
      assert.equal(denied.stdout.trim(), `refused ${mode} 13`, denied.stderr);
      const untrusted = await runSyd([
        "-p",
        "off",
        "-m",
        "sandbox/tpe:on",
        "--",
        ATTACK,
        mode,
        `${ww}/prog`,
      ]);
      assert.equal(untrusted.stdout.trim(), `refused ${mode} 13`, untrusted.stderr);
    }
  });
});

Deno.test("ld.so run as the program is killed; allowed (allow_unsafe_exec_ldso), the program it maps is judged; regressions", async () => {
  await withDir(async (dir) => {
    const ww = worldWritable(dir);
    const prog = `${dir}/prog`;
    await buildProg(dir, prog);
    Deno.copyFileSync(prog, `${ww}/prog`);
    Deno.chmodSync(`${ww}/prog`, 0o755);
    assert.equal((await run(LDSO, [prog])).stdout.trim(), "prog ran");
    const killed = await runSyd([...EXEC_DENY(prog), "--", LDSO, prog]);
    assert.doesNotMatch(killed.stdout, /prog ran/);
    const ldso = ["-m", "trace/allow_unsafe_exec_ldso:1"];
    const denied = await runSyd([...EXEC_DENY(prog), ...ldso, "--", LDSO, prog]);
    assert.doesNotMatch(denied.stdout, /prog ran/);
    assert.match(denied.stderr, /failed to map segment/);
    const untrusted = await runSyd([
      "-p",
      "off",
      "-m",
      "sandbox/tpe:on",
      ...ldso,
      "--",
      LDSO,
      `${ww}/prog`,
    ]);
    assert.doesNotMatch(untrusted.stdout, /prog ran/);
    assert.ok(
      records(untrusted.stderr).some((r) => r.op === "check_tpe" && r.path === `${ww}/prog`),
    );
  });
});

Deno.test("TPE: a PT_INTERP loader and an LD_PRELOAD library in a world-writable directory are refused; regressions", async () => {
  await withDir(async (dir) => {
    const ww = worldWritable(dir);
    Deno.copyFileSync(LDSO, `${ww}/ld.so`);
    Deno.chmodSync(`${ww}/ld.so`, 0o755);
    const interp = `${dir}/interp`;
    // A constant loader path (zig relinks for 45 s at each new one): the one in ./ww, run from
    // `dir`.
    await buildProg(dir, interp, "-Wl,--dynamic-linker=/proc/self/cwd/ww/ld.so");
    assert.equal((await run(interp, [], { cwd: dir })).stdout.trim(), "prog ran");
    const out = await runSyd(["-p", "off", "-m", "sandbox/tpe:on", "--", interp], { cwd: dir });
    assert.doesNotMatch(out.stdout, /prog ran/);
    assert.ok(
      records(out.stderr).some((r) => r.op === "check_tpe" && r.path === `${ww}/ld.so`),
      out.stderr,
    );
    // A preloaded library: ld.so skips what it cannot map (the program runs without it).
    const prog = `${dir}/prog`;
    await buildProg(dir, prog);
    Deno.writeTextFileSync(`${dir}/lib.c`, "int f(void) { return 1; }\n");
    const lib = await run(ZIG, ["cc", "-shared", "-fPIC", "-o", `${ww}/libx.so`, `${dir}/lib.c`]);
    assert.equal(lib.code, 0, lib.stderr);
    Deno.chmodSync(`${ww}/libx.so`, 0o755);
    const preload = await runSyd([
      "-p",
      "off",
      "-m",
      "sandbox/tpe:on",
      "--",
      "env",
      `LD_PRELOAD=${ww}/libx.so`,
      prog,
    ]);
    assert.ok(
      records(preload.stderr).some((r) => r.op === "check_tpe" && r.path === `${ww}/libx.so`),
      preload.stderr,
    );
  });
});

const SWAP = helper("attack_exec_swap");

/** The swap helper's counts. */
function swapCounts(stdout: string): { trusted: number; untrusted: number; failed: number } {
  const match = stdout.match(/^trusted (\d+) untrusted (\d+) failed (\d+)$/m);
  assert.ok(match, stdout);
  return { trusted: Number(match[1]), untrusted: Number(match[2]), failed: Number(match[3]) };
}

Deno.test("a symlink flipped between a trusted and an untrusted program while it is run: never the untrusted one (20,000 runs each, TPE and exec)", async () => {
  await withDir(async (dir) => {
    const ww = worldWritable(dir);
    Deno.mkdirSync(`${dir}/t`);
    for (const to of [`${dir}/t/p`, `${ww}/p`]) {
      Deno.copyFileSync(SWAP, to);
      Deno.chmodSync(to, 0o755);
    }
    const args = (
      runs: number,
    ) => ["--", SWAP, `${dir}/link`, `${dir}/t/p`, `${ww}/p`, String(runs)];
    // Nothing judges it: both programs run, the race is real.
    const open = swapCounts(
      (await runSyd(["-p", "off", "-m", "sandbox/tpe:off", ...args(2000)])).stdout,
    );
    assert.ok(open.untrusted > 0 && open.trusted > 0, JSON.stringify(open));
    const tpe = swapCounts(
      (await runSyd(["-p", "off", "-m", "sandbox/tpe:on", ...args(20_000)])).stdout,
    );
    assert.equal(tpe.untrusted, 0, JSON.stringify(tpe));
    assert.ok(tpe.trusted > 0, JSON.stringify(tpe));
    const exec = swapCounts(
      (await runSyd([
        "-p",
        "off",
        "-m",
        "sandbox/tpe:off",
        ...EXEC_DENY(`${ww}/p`).slice(2),
        ...args(20_000),
      ])).stdout,
    );
    assert.equal(exec.untrusted, 0, JSON.stringify(exec));
    assert.ok(exec.trusted > 0, JSON.stringify(exec));
  });
});

Deno.test("personality(READ_IMPLIES_EXEC) then mmap(PROT_READ) of a denied file: killed at the personality call; regression", async () => {
  await withDir(async (dir) => {
    const code = codeFile(dir);
    await worksNatively(["persona", code]);
    const out = await runSyd([...EXEC_DENY(code), "--", ATTACK, "persona", code]);
    assert.equal(out.code, 159, out.stderr);
    assert.doesNotMatch(out.stdout, /^ran/m);
    // trace/allow_unsafe_personality:1 lets the persona on, and with it the mapping made
    // executable without PROT_EXEC in its arguments (so in the original too): unsafe by name.
  });
});

Deno.test({
  name:
    "exec on mmap bypass (tracer on): the fd-swap race won, the denied mapping moved away (mremap) and the address covered with the judged file before the exit stop",
  // BYPASS, not fixed: the exit stop (workers/trace.zig mmap_exit) checks only which file is
  // mapped at the address the call returned. Another thread moves the fresh mapping elsewhere
  // (mremap MREMAP_FIXED, not stopped) and maps the judged file at that address (PROT_READ,
  // not stopped) before the tracer looks: the check passes and the denied file's code runs
  // (`WON` within seconds, tracer on, the default). The original syd 3.59 refuses this helper's
  // raw-code files before any race (check_lib: "cannot verify ELF: Invalid ELF magic number");
  // whether it falls to the same race with ELF files was not tried.
  ignore: true,
  fn: async () => {
    await withDir(async (dir) => {
      const page = new Uint8Array(4096);
      page.set([0xb8, 1, 0, 0, 0, 0xc3]);
      Deno.writeFileSync(`${dir}/good`, page);
      page.set([0xb8, 42, 0, 0, 0, 0xc3]);
      Deno.writeFileSync(`${dir}/bad`, page);
      const race = helper("attack_exec_mremap_race");
      // Nothing judges it: the race is real.
      const native = await run(race, [dir, "5"]);
      assert.match(native.stdout, /^WON /);
      const out = await runSyd([...EXEC_DENY(`${dir}/bad`), "--", race, dir, "10"]);
      assert.doesNotMatch(out.stdout, /^WON /, "the denied file's code ran");
    });
  },
});
