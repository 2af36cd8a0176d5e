/**
 * End-to-end tests of exec and chdir checked after the call (issue 12, items 3 and 4): syd traces
 * the sandbox, judges the image a process runs once its exec is done (the program, a script's
 * interpreter, the ELF's loader), refuses the dynamic loader run as a command, and checks that a
 * chdir ended in the directory it judged. Races are helpers (tests/helpers/race_exec.c,
 * race_chdir.c) that also run under `-poff`, where nothing is judged, to show the race is real.
 */
import assert from "node:assert/strict";
import { helper, records, runSyd, withoutRecords } from "./_syd.ts";

const ITERATIONS = "20000";
/** The most seconds one race may take (an exec try costs a fork and an exec). */
const SECONDS = "20";

/** The `name=N` numbers of a helper's last line. */
function numbers(stdout: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const pair of stdout.trim().split(/\s+/)) {
    const match = /^(\w+)=(\d+)$/.exec(pair);
    if (match) found[match[1]] = Number(match[2]);
  }
  return found;
}

/** Runs `fn` with a new directory (its real path) removed afterwards; `short`: /tmp/syXXXXXXXX. */
async function withDir(fn: (dir: string) => Promise<void>, short = false): Promise<void> {
  let dir: string;
  if (short) {
    dir = `/tmp/sy${crypto.randomUUID().slice(0, 8)}`;
    await Deno.mkdir(dir, { mode: 0o700 });
  } else {
    dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-exec-" }));
  }
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Exec sandboxing on, everything allowed but `denied`. */
function execPolicy(...denied: string[]): string[] {
  const args = ["-poff", "-m", "sandbox/exec:on", "-m", "allow/exec+/***"];
  for (const path of denied) args.push("-m", `deny/exec+${path}`);
  return args;
}

/** The records that killed a process after its exec, for `path`. */
function execKills(stderr: string, path: string): Record<string, unknown>[] {
  return records(stderr).filter((r) => r.cap === "exec" && r.act === "kill" && r.path === path);
}

// 3. exec -----------------------------------------------------------------------------------------

Deno.test("an exec whose path is swapped to a denied program after the check never runs it", async () => {
  await withDir(async (dir) => {
    const program = helper("race_exec");
    await Deno.copyFile(program, `${dir}/public`);
    await Deno.copyFile(program, `${dir}/secret`);
    const open = await runSyd(["-poff", "--", program, dir, "2000", SECONDS]);
    assert.equal(open.code, 0, open.stderr);
    assert.ok(numbers(open.stdout).wins > 0, `the race never won unjudged: ${open.stdout}`);

    const result = await runSyd([
      ...execPolicy(`${dir}/secret`),
      // One record per kill, counted below: identical records are not rate limited here.
      "-m",
      "log/rlimit_interval:0",
      "--",
      program,
      dir,
      ITERATIONS,
      SECONDS,
    ], {
      env: { SYD_LOG: "warn" },
    });
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const got = numbers(result.stdout);
    assert.ok(got.tries >= 1000, result.stdout);
    assert.equal(got.wins, 0, `the denied program ran: ${result.stdout}`);
    // Every try that got the denied program past the first check was killed, with a record.
    assert.equal(execKills(result.stderr, `${dir}/secret`).length, got.killed, result.stdout);
  });
});

Deno.test("a script whose #! interpreter is denied is killed before the interpreter runs", async () => {
  await withDir(async (dir) => {
    await Deno.copyFile("/bin/sh", `${dir}/sh`);
    await Deno.writeTextFile(`${dir}/script`, `#!${dir}/sh\necho ran\n`, { mode: 0o755 });
    const allowed = await runSyd([...execPolicy(), "--", `${dir}/script`]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout, "ran\n");

    const denied = await runSyd([...execPolicy(`${dir}/sh`), "--", `${dir}/script`]);
    assert.equal(denied.code, 137, denied.stderr);
    assert.equal(denied.stdout, "");
    assert.equal(execKills(denied.stderr, `${dir}/sh`).length, 1, denied.stderr);
  });
});

/** The dynamic loader /bin/true names (PT_INTERP). */
const LOADER = "/lib64/ld-linux-x86-64.so.2";

Deno.test("a program whose ELF loader (PT_INTERP) is denied is killed before it runs", async () => {
  // A short directory: the loader's new path must fit where the old one was.
  await withDir(async (dir) => {
    const loader = `${dir}/ld.so`;
    assert.ok(loader.length <= LOADER.length, loader);
    await Deno.copyFile(LOADER, loader);
    const image = await Deno.readFile("/bin/true");
    const old = new TextEncoder().encode(LOADER + "\0");
    const at = indexOf(image, old);
    assert.ok(at > 0, "no PT_INTERP string in /bin/true");
    image.fill(0, at, at + old.length);
    image.set(new TextEncoder().encode(loader), at);
    await Deno.writeFile(`${dir}/prog`, image, { mode: 0o755 });

    const allowed = await runSyd([...execPolicy(), "--", `${dir}/prog`]);
    assert.equal(allowed.code, 0, allowed.stderr);
    const denied = await runSyd([...execPolicy(loader), "--", `${dir}/prog`]);
    assert.equal(denied.code, 137, denied.stderr);
    assert.equal(execKills(denied.stderr, loader).length, 1, denied.stderr);
  }, true);
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

Deno.test("the dynamic loader run as a command is killed, even on an allowed program, unless trace/allow_unsafe_exec_ldso", async () => {
  await withDir(async (dir) => {
    await Deno.copyFile("/bin/echo", `${dir}/secret`);
    for (const target of ["/bin/echo", `${dir}/secret`]) {
      const result = await runSyd([...execPolicy(`${dir}/secret`), "--", LOADER, target, "hi"]);
      assert.equal(result.code, 137, result.stderr);
      assert.equal(result.stdout, "");
      const kill = records(result.stderr).find((r) => r.op === "check_elf");
      assert.ok(kill, result.stderr);
      assert.equal(kill.act, "kill");
      assert.equal(kill.tip, "trace/allow_unsafe_exec_ldso:1");
    }
    const allowed = await runSyd([
      ...execPolicy(),
      "-m",
      "trace/allow_unsafe_exec_ldso:1",
      "--",
      LOADER,
      "/bin/echo",
      "hi",
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout, "hi\n");
  });
});

Deno.test("trace/allow_unsafe_ptrace:1 runs untraced with a warning, and still refuses a denied exec before the call", async () => {
  await withDir(async (dir) => {
    await Deno.copyFile("/bin/true", `${dir}/secret`);
    const args = [...execPolicy(`${dir}/secret`), "-m", "trace/allow_unsafe_ptrace:1", "--"];
    const ok = await runSyd([...args, "/bin/true"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(records(ok.stderr).some((r) => r.op === "trace" && r.level === "warn"), ok.stderr);
    const denied = await runSyd([...args, "sh", "-c", `${dir}/secret; echo $?`]);
    assert.equal(withoutRecords(denied.stdout), "126\n", denied.stderr);
  });
});

Deno.test("clone with CLONE_UNTRACED is refused: no process or thread leaves the tracer", async () => {
  const result = await runSyd(["-poff", "--", helper("reach_untraced")]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "untraced_process=EPERM\nuntraced_thread=EPERM\n");
});

// 4. chdir ----------------------------------------------------------------------------------------

/** chdir sandboxing on, everything allowed but DIR/secret. */
function chdirPolicy(dir: string): string[] {
  return [
    "-poff",
    "-m",
    "sandbox/chdir:on",
    "-m",
    "allow/chdir+/***",
    "-m",
    `deny/chdir+${dir}/secret`,
  ];
}

for (const mode of ["path", "fd"] as const) {
  const how = mode === "path"
    ? "chdir with its path flipping to a denied directory"
    : "fchdir with its fd dup2-swapped to a denied directory";
  Deno.test(`${how} never leaves the process inside it`, async () => {
    await withDir(async (dir) => {
      await Deno.mkdir(`${dir}/public`);
      await Deno.mkdir(`${dir}/secret`);
      const args = [helper("race_chdir"), dir, mode, ITERATIONS, SECONDS];
      const open = await runSyd(["-poff", "--", ...args]);
      assert.equal(open.code, 0, open.stderr);
      assert.ok(numbers(open.stdout).wins > 0, `the race never won unjudged: ${open.stdout}`);

      const result = await runSyd([...chdirPolicy(dir), "--", ...args], {
        env: { SYD_LOG: "error" },
      });
      assert.equal(result.code, 0, result.stderr.slice(-2000));
      const got = numbers(result.stdout);
      assert.ok(got.tries >= 1000, result.stdout);
      assert.equal(got.wins, 0, `the process got inside the denied directory: ${result.stdout}`);
    });
  });
}

Deno.test("a process sharing the cwd of a thread that won a chdir race (CLONE_FS) dies with it", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/public`);
    await Deno.mkdir(`${dir}/secret`);
    const args = [helper("race_chdir_fs"), dir, "50"];
    const open = await runSyd(["-poff", "--", ...args]);
    assert.equal(open.code, 0, open.stderr);
    assert.match(open.stdout, /inside=[1-9]/, "the race never won unjudged");
    const result = await runSyd([...chdirPolicy(dir), "--", ...args], {
      env: { SYD_LOG: "error" },
    });
    // Either no race was won in 50 rounds (the parent reports), or syd killed the parent too.
    assert.ok(
      result.code === 137 || /^rounds=50 inside=0$/m.test(result.stdout),
      `${result.code} ${result.stdout}`,
    );
    assert.doesNotMatch(result.stdout, /inside=[1-9]/);
  });
});

Deno.test("threads that chdir to allowed directories at once are not mistaken for a race", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/public`);
    await Deno.mkdir(`${dir}/secret`);
    const result = await runSyd([
      "-poff",
      "-m",
      "sandbox/chdir:on",
      "-m",
      "allow/chdir+/***",
      "--",
      helper("race_chdir"),
      dir,
      "path",
      "20000",
      SECONDS,
    ]);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    assert.match(result.stdout, /killed=0/);
  });
});

Deno.test("a denied chdir fails with EACCES and a record, and the cwd stays", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/public`);
    await Deno.mkdir(`${dir}/secret`);
    const script =
      `cd ${dir}/public && cd ${dir}/secret; echo "rc=$? $(pwd)"; cd /nonexistent; echo "rc=$?"`;
    const result = await runSyd([...chdirPolicy(dir), "--", "sh", "-c", script]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(withoutRecords(result.stdout), `rc=2 ${dir}/public\nrc=2\n`);
    assert.match(result.stderr, /can't cd to .*secret/);
    const denial = records(result.stderr).find((r) => r.cap === "chdir");
    assert.ok(denial, result.stderr);
    assert.equal(denial.act, "deny");
    assert.equal(denial.path, `${dir}/secret`);
  });
});

Deno.test("a shell's job control works under the tracer: a stopped job is continued and finishes", async () => {
  const script = "sleep 0.2 & pid=$!; kill -STOP $pid; kill -CONT $pid; wait $pid; echo waited=$?";
  const result = await runSyd(["-poff", "--", "sh", "-c", script]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "waited=0\n");
});
