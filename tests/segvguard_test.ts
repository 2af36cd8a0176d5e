/**
 * End-to-end tests of SegvGuard (ffi/exec/segvguard.zig), as the original's: a program whose
 * processes crash segvguard/maxcrashes times within segvguard/expiry is suspended for
 * segvguard/suspension (its exec fails with EACCES and a `segvguard` record), then runs again;
 * segvguard/expiry:0 and trace/allow_unsafe_ptrace:1 turn it off. The crashes come from
 * tests/helpers/crash.c, run from a shell (the sandbox's first process is not counted unless
 * trace/exit_wait_all, as the original's).
 */
import assert from "node:assert/strict";
import { helper, records, runSyd } from "./_syd.ts";

/** A shell loop that runs `crash SIG` `times` times, printing each exit status as rc=N. */
function crashes(times: number, sig = 11): string {
  return `i=0; while [ $i -lt ${times} ]; do '${
    helper("crash")
  }' ${sig}; echo rc=$?; i=$((i+1)); done`;
}

/** The exit statuses a shell printed, in order. */
function statuses(stdout: string): number[] {
  return [...stdout.matchAll(/rc=(\d+)/g)].map((m) => Number(m[1]));
}

function segvguardRecords(stderr: string) {
  return records(stderr).filter((r) => r.ctx === "segvguard");
}

Deno.test("five SIGSEGV crashes suspend the program: its exec fails EACCES with a record, and runs after the suspension", async () => {
  const script = `${crashes(6)}; sleep 2.5; ${crashes(1)}`;
  const result = await runSyd([
    "-p",
    "off",
    "-m",
    "segvguard/suspension:2s",
    "--",
    "sh",
    "-c",
    script,
  ]);
  assert.equal(result.code, 0, result.stderr);
  // 128 + SIGSEGV five times, then 126 (the shell's "Permission denied"), then a crash again.
  assert.deepEqual(statuses(result.stdout), [139, 139, 139, 139, 139, 126, 139], result.stderr);
  const found = segvguardRecords(result.stderr);
  const suspended = found.find((r) => String(r.msg).startsWith("suspending"));
  assert.ok(suspended, result.stderr);
  assert.equal(suspended.msg, "suspending after SIGSEGV due to 5 crashes");
  assert.equal(suspended.path, helper("crash"));
  assert.equal(suspended.sig, 11);
  const denied = found.find((r) => r.act === "deny");
  assert.ok(denied, result.stderr);
  assert.equal(denied.path, helper("crash"));
  assert.equal(denied.sys, "execve");
  assert.equal(denied.msg, "max crashes 5 exceeded, execution of `crash' denied");
});

Deno.test("segvguard/maxcrashes, the counted signals (SIGABRT; not SIGTERM, SIGKILL), and default/segvguard:filter", async () => {
  const abort = await runSyd([
    "-p",
    "off",
    "-m",
    "segvguard/maxcrashes:2",
    "--",
    "sh",
    "-c",
    crashes(3, 6),
  ]);
  assert.deepEqual(statuses(abort.stdout), [134, 134, 126], abort.stderr);
  // SIGTERM is not a crash; unlike the original, neither is SIGKILL (it has no delivery stop,
  // where syd reads the program: see ffi/exec/segvguard.zig).
  for (const sig of [15, 9]) {
    const args = ["-p", "off", "-m", "segvguard/maxcrashes:1", "--", "sh", "-c", crashes(2, sig)];
    const result = await runSyd(args);
    assert.deepEqual(statuses(result.stdout), [128 + sig, 128 + sig], result.stderr);
    assert.equal(segvguardRecords(result.stderr).length, 0);
  }
  const filter = await runSyd([
    "-p",
    "off",
    "-m",
    "segvguard/maxcrashes:1",
    "-m",
    "default/segvguard:filter",
    "--",
    "sh",
    "-c",
    crashes(2),
  ]);
  assert.deepEqual(statuses(filter.stdout), [139, 126], filter.stderr);
  assert.equal(segvguardRecords(filter.stderr).filter((r) => r.act !== undefined).length, 0);
});

Deno.test("segvguard/expiry:0 and trace/allow_unsafe_ptrace:1 turn SegvGuard off", async () => {
  for (const off of ["segvguard/expiry:0", "trace/allow_unsafe_ptrace:1"]) {
    const result = await runSyd(["-p", "off", "-m", off, "--", "sh", "-c", crashes(6)]);
    assert.deepEqual(
      statuses(result.stdout),
      [139, 139, 139, 139, 139, 139],
      `${off}: ${result.stderr}`,
    );
    assert.equal(segvguardRecords(result.stderr).length, 0, off);
  }
});

Deno.test("SegvGuard's commands: malformed ones refused", async () => {
  for (
    const [command, message] of [
      ["segvguard/suspension:0", /not a duration/],
      ["segvguard/maxcrashes:0", /not a count of crashes/],
      ["segvguard/expiry:soon", /not a duration/],
      ["default/segvguard:allow", /default\/segvguard cannot be allow/],
      ["sandbox/segvguard:on", /unknown category "segvguard"/],
    ]
  ) {
    const result = await runSyd(["-p", "off", "-m", command as string, "--", "true"]);
    assert.notEqual(result.code, 0, command as string);
    assert.notEqual(result.code, 95, result.stderr);
    assert.match(result.stderr, message as RegExp);
  }
});
