/**
 * End-to-end tests of Trusted Path Execution (ffi/exec/tpe.zig), as the original's: a program
 * in a group- or world-writable directory, or itself writable so, is refused (EACCES, a
 * `trusted_path_execution` record) at the call; a script's interpreter at the exec stop (killed,
 * an `exec`/`check_tpe` record); tpe/gid and tpe/negate choose whom it applies to; tpe/root_owned,
 * tpe/user_owned and tpe/root_mount add their checks. On by default, as the original's.
 */
import assert from "node:assert/strict";
import { records, ROOT, run, runSyd, tempDir } from "./_syd.ts";

const ROOT_USER = Deno.uid() === 0;
/** Every category off but TPE (the `off` profile turns TPE off too, as the original's). */
const TPE_ONLY = ["-p", "off", "-m", "sandbox/tpe:on"];

/** A copy of /bin/true at `dir`/true (mode 0755), `dir` made with `dirMode`. */
function program(dir: string, dirMode = 0o755): string {
  Deno.mkdirSync(dir, { recursive: true });
  Deno.chmodSync(dir, dirMode);
  const path = `${dir}/true`;
  Deno.copyFileSync("/bin/true", path);
  Deno.chmodSync(path, 0o755);
  return path;
}

/** Runs `path` from a shell under syd with `args`; its exit status is printed as rc=N. */
async function runFromShell(args: string[], path: string) {
  const result = await runSyd([...args, "--", "sh", "-c", `'${path}'; echo rc=$?`]);
  assert.equal(result.code, 0, result.stderr);
  return result;
}

/** The TPE records of the call. */
function tpeRecords(stderr: string) {
  return records(stderr).filter((r) => r.ctx === "trusted_path_execution");
}

Deno.test("TPE refuses a program in a world-writable directory, EACCES with a record; allowed once fixed", async () => {
  const top = tempDir();
  try {
    const path = program(`${top}/d`, 0o777);
    const refused = await runFromShell(TPE_ONLY, path);
    assert.match(refused.stdout, /rc=126/, refused.stderr);
    assert.match(refused.stderr, /Permission denied/);
    const [record] = tpeRecords(refused.stderr);
    assert.equal(record.path, path);
    assert.equal(record.sys, "execve");
    assert.equal(
      record.msg,
      "exec from untrusted path blocked: user in untrusted group and file in world-writable directory",
    );
    assert.match(String(record.tip), /sandbox\/tpe:off/);

    Deno.chmodSync(`${top}/d`, 0o775);
    const group = await runFromShell(TPE_ONLY, path);
    assert.match(group.stdout, /rc=126/);
    assert.match(String(tpeRecords(group.stderr)[0].msg), /file in group-writable directory$/);

    Deno.chmodSync(`${top}/d`, 0o755);
    const fixed = await runFromShell(TPE_ONLY, path);
    assert.match(fixed.stdout, /rc=0/, fixed.stderr);
    assert.equal(tpeRecords(fixed.stderr).length, 0);

    Deno.chmodSync(path, 0o775);
    const writable = await runFromShell(TPE_ONLY, path);
    assert.match(writable.stdout, /rc=126/);
    assert.match(String(tpeRecords(writable.stderr)[0].msg), /and file group-writable$/);
  } finally {
    Deno.removeSync(top, { recursive: true });
  }
});

Deno.test("TPE is on by default, off with sandbox/tpe:off and with -p off", async () => {
  const top = tempDir();
  try {
    const path = program(`${top}/d`, 0o777);
    const defaults = await runFromShell(
      ["-m", "sandbox/all,fs,ioctl,lock,mem,pid:off"],
      path,
    );
    assert.match(defaults.stdout, /rc=126/, defaults.stderr);
    assert.equal(tpeRecords(defaults.stderr).length, 1);
    for (const args of [["-p", "off"], [...TPE_ONLY, "-m", "sandbox/tpe:off"]]) {
      const off = await runFromShell(args, path);
      assert.match(off.stdout, /rc=0/, off.stderr);
      assert.equal(tpeRecords(off.stderr).length, 0);
    }
  } finally {
    Deno.removeSync(top, { recursive: true });
  }
});

Deno.test("tpe/gid applies TPE to one group of syd's user; tpe/negate spares it", async () => {
  const top = tempDir();
  try {
    const path = program(`${top}/d`, 0o777);
    const gid = Deno.gid()!;
    const other = gid === 54321 ? 54322 : 54321;
    const cases: [string[], number, string?][] = [
      [[`tpe/gid:${gid}`], 126, "user in untrusted group"],
      [[`tpe/gid:${other}`], 0],
      [[`tpe/gid:${other}`, "tpe/gid:none"], 126, "user in untrusted group"],
      [[`tpe/gid:${gid}`, "tpe/negate:1"], 0],
      [[`tpe/gid:${other}`, "tpe/negate:1"], 126, "user not in trusted group"],
    ];
    for (const [commands, rc, who] of cases) {
      const args = [...TPE_ONLY, ...commands.flatMap((c) => ["-m", c])];
      const result = await runFromShell(args, path);
      assert.match(result.stdout, new RegExp(`rc=${rc}\\b`), `${commands}: ${result.stderr}`);
      const found = tpeRecords(result.stderr);
      assert.equal(found.length, who === undefined ? 0 : 1, `${commands}`);
      if (who !== undefined) assert.match(String(found[0].msg), new RegExp(`blocked: ${who} and`));
    }
  } finally {
    Deno.removeSync(top, { recursive: true });
  }
});

Deno.test("default/tpe: kill kills the caller, warn lets it run with a record, filter denies silently", async () => {
  const top = tempDir();
  try {
    const path = program(`${top}/d`, 0o777);
    const killed = await runFromShell([...TPE_ONLY, "-m", "default/tpe:kill"], path);
    assert.match(killed.stdout, /rc=137/, killed.stderr); // the shell's child, the caller
    assert.equal(tpeRecords(killed.stderr)[0].act, "kill");
    const warned = await runFromShell([...TPE_ONLY, "-m", "default/tpe:warn"], path);
    assert.match(warned.stdout, /rc=0/, warned.stderr);
    assert.equal(tpeRecords(warned.stderr)[0].act, "warn");
    const filtered = await runFromShell([...TPE_ONLY, "-m", "default/tpe:filter"], path);
    assert.match(filtered.stdout, /rc=126/);
    assert.equal(tpeRecords(filtered.stderr).length, 0);
  } finally {
    Deno.removeSync(top, { recursive: true });
  }
});

Deno.test("TPE judges a script's interpreter at the exec stop: killed, with a check_tpe record", async () => {
  const top = tempDir();
  try {
    const shell = `${top}/w/sh`;
    Deno.mkdirSync(`${top}/w`);
    Deno.chmodSync(`${top}/w`, 0o777);
    Deno.copyFileSync("/bin/sh", shell);
    Deno.chmodSync(shell, 0o755);
    Deno.mkdirSync(`${top}/s`, { mode: 0o755 });
    Deno.writeTextFileSync(`${top}/s/script`, `#!${shell}\necho ran\n`, { mode: 0o755 });
    const result = await runFromShell(TPE_ONLY, `${top}/s/script`);
    assert.match(result.stdout, /rc=137/, result.stderr);
    assert.doesNotMatch(result.stdout, /ran/);
    const found = records(result.stderr).filter((r) => r.ctx === "exec" && r.op === "check_tpe");
    assert.equal(found.length, 1, result.stderr);
    assert.equal(found[0].path, shell);
    assert.equal(found[0].err, 13);
  } finally {
    Deno.removeSync(top, { recursive: true });
  }
});

Deno.test("tpe/root_owned refuses a program not root's; tpe/user_owned one neither syd's user's nor root's", async () => {
  const top = tempDir();
  try {
    const path = program(`${top}/d`);
    if (ROOT_USER) Deno.chownSync(path, 65534, 65534);
    const rootOwned = [...TPE_ONLY, "-m", "tpe/root_owned:1"];
    const refused = await runFromShell(rootOwned, path);
    assert.match(refused.stdout, /rc=126/, refused.stderr);
    assert.match(String(tpeRecords(refused.stderr)[0].msg), /and file non-root-owned$/);
    const system = await runFromShell(rootOwned, "/bin/true");
    assert.match(system.stdout, /rc=0/, system.stderr);

    const userOwned = [...TPE_ONLY, "-m", "tpe/user_owned:1"];
    const own = await runFromShell(userOwned, ROOT_USER ? "/bin/true" : path);
    assert.match(own.stdout, /rc=0/, own.stderr);
    if (ROOT_USER) { // a file of another user needs root to make
      const other = await runFromShell(userOwned, path);
      assert.match(other.stdout, /rc=126/, other.stderr);
      assert.match(String(tpeRecords(other.stderr)[0].msg), /and file non-user-owned$/);
      Deno.chownSync(path, 0, 0);
      Deno.chownSync(`${top}/d`, 65534, 65534);
      const dir = await runFromShell(userOwned, path);
      assert.match(dir.stdout, /rc=126/, dir.stderr);
      assert.match(String(tpeRecords(dir.stderr)[0].msg), /file in non-user-owned directory$/);
    }
  } finally {
    Deno.removeSync(top, { recursive: true });
  }
});

Deno.test("tpe/root_mount refuses a program on another mount than the root's", async () => {
  // /dev/shm: a tmpfs where programs may run on most systems (else the test has nothing to show).
  let top: string;
  try {
    top = Deno.makeTempDirSync({ dir: "/dev/shm", prefix: "syd-tpe-" });
  } catch {
    return;
  }
  try {
    const path = program(`${top}/d`);
    const plain = await runFromShell(TPE_ONLY, path);
    if (!/rc=0/.test(plain.stdout)) return; // mounted noexec here
    const refused = await runFromShell([...TPE_ONLY, "-m", "tpe/root_mount:1"], path);
    assert.match(refused.stdout, /rc=126/, refused.stderr);
    assert.match(String(tpeRecords(refused.stderr)[0].msg), /and file non-root-mounted$/);
    const root = await runFromShell([...TPE_ONLY, "-m", "tpe/root_mount:1"], "/bin/true");
    assert.match(root.stdout, /rc=0/, root.stderr);
  } finally {
    Deno.removeSync(top, { recursive: true });
  }
});

Deno.test("TPE's commands are refused with a clear error when malformed", async () => {
  for (
    const [command, message] of [
      ["default/tpe:allow", /default\/tpe cannot be allow/],
      ["tpe/gid:x", /is not a group id/],
      ["tpe/bogus:1", /unknown command "tpe\/bogus"/],
    ]
  ) {
    const result = await runSyd(["-p", "off", "-m", command as string, "--", "true"]);
    assert.notEqual(result.code, 0);
    assert.notEqual(result.code, 95, result.stderr);
    assert.match(result.stderr, message as RegExp);
  }
});

Deno.test("TPE's third stage: a library in a group-writable directory is refused at its mmap (ctypes), trusted once fixed", async () => {
  const top = tempDir();
  try {
    const dir = `${top}/lib`;
    Deno.mkdirSync(dir);
    Deno.writeTextFileSync(`${top}/lib.c`, "int answer(void) { return 42; }\n");
    const cc = await run(`${ROOT}.toolchain/bin/zig`, [
      "cc",
      "-shared",
      "-fPIC",
      "-o",
      `${dir}/libanswer.so`,
      `${top}/lib.c`,
    ]);
    assert.equal(cc.code, 0, cc.stderr);
    Deno.chmodSync(`${dir}/libanswer.so`, 0o755);
    const script = `import ctypes\ntry:\n    print(ctypes.CDLL(${
      JSON.stringify(`${dir}/libanswer.so`)
    }).answer())\nexcept OSError as e:\n    print("OSError", e)\n`;
    Deno.chmodSync(dir, 0o775);
    const refused = await runSyd([...TPE_ONLY, "--", "python3", "-c", script]);
    assert.equal(refused.code, 0, refused.stderr);
    assert.match(refused.stdout, /^OSError/);
    const record = records(refused.stderr).find((r) => r.ctx === "mmap" && r.op === "check_tpe");
    assert.ok(record, refused.stderr);
    assert.equal(record.path, `${dir}/libanswer.so`);
    Deno.chmodSync(dir, 0o755);
    const allowed = await runSyd([...TPE_ONLY, "--", "python3", "-c", script]);
    assert.equal(allowed.stdout, "42\n", allowed.stderr);
  } finally {
    Deno.removeSync(top, { recursive: true });
  }
});
