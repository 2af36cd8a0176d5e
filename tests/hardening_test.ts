/**
 * End-to-end tests of the filter's process hardening, as the original's (its syd.7 and the
 * trace/allow_unsafe_* options that relax it): priority-inheritance futexes, PTRACE_TRACEME
 * and PR_SET_PTRACER made to look untraced, seccomp filters of the sandbox's own, and System V
 * IPC (killed by default; its unsafe modes and MSG_COPY under trace/allow_unsafe_shm). The
 * helper tests/helpers/hardening.c prints one `name=RESULT` line per attempt.
 */
import assert from "node:assert/strict";
import { helper, PY_ATTEMPT, records, runSyd } from "./_syd.ts";

const SIGSYS_EXIT = 128 + 31;
const SIGKILL_EXIT = 128 + 9;

/** Runs the helper in MODE under `-poff` and the options; its exit code and `name=RESULT` lines. */
async function hardening(mode: string, options: string[] = []) {
  const outcome = await runSyd([
    "-q",
    "-poff",
    ...options.flatMap((o) => ["-m", o]),
    "--",
    helper("hardening"),
    mode,
  ]);
  const results: Record<string, string> = {};
  for (const line of outcome.stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) results[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return { code: outcome.code, results, records: records(outcome.stderr), stderr: outcome.stderr };
}

Deno.test("priority-inheritance futex operations answer ENOSYS, unless trace/allow_unsafe_futex", async () => {
  const strict = await hardening("futex");
  assert.equal(strict.code, 0, strict.stderr);
  assert.deepEqual(strict.results, {
    wake: "0",
    lock_pi: "ENOSYS",
    unlock_pi: "ENOSYS",
    trylock_pi: "ENOSYS",
    wait_requeue_pi: "ENOSYS",
    cmp_requeue_pi: "ENOSYS",
    lock_pi2: "ENOSYS",
  });
  const relaxed = await hardening("futex", ["trace/allow_unsafe_futex:1"]);
  assert.equal(relaxed.code, 0, relaxed.stderr);
  assert.equal(relaxed.results.wake, "0");
  assert.equal(relaxed.results.lock_pi, "0"); // the kernel's own answers from here on
  assert.equal(relaxed.results.unlock_pi, "EPERM");
  assert.equal(relaxed.results.wait_requeue_pi, "EAGAIN");
});

Deno.test("PTRACE_TRACEME succeeds once per thread and fails EPERM after; other requests are no-ops", async () => {
  const outcome = await hardening("traceme");
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.deepEqual(outcome.results, {
    traceme_1: "0",
    traceme_2: "EPERM",
    thread_traceme_1: "0",
    thread_traceme_2: "EPERM",
    attach: "0",
  });
});

Deno.test("PR_SET_PTRACER is a no-op; PR_SET_SECCOMP is EINVAL and PR_GET_SECCOMP 0 unless trace/allow_unsafe_cbpf", async () => {
  const strict = await hardening("prctl");
  assert.equal(strict.code, 0, strict.stderr);
  assert.deepEqual(strict.results, { set_ptracer: "0", get_seccomp: "0", set_seccomp: "EINVAL" });
  const relaxed = await hardening("prctl", ["trace/allow_unsafe_cbpf:1"]);
  assert.equal(relaxed.code, 0, relaxed.stderr);
  // The kernel's answers: filter mode, and strict mode refused once in filter mode.
  assert.deepEqual(relaxed.results, { set_ptracer: "0", get_seccomp: "2", set_seccomp: "EINVAL" });
});

Deno.test("a seccomp filter of the sandbox's own is refused EINVAL, unless trace/allow_unsafe_cbpf", async () => {
  const strict = await hardening("seccomp");
  assert.equal(strict.code, 0, strict.stderr);
  assert.equal(strict.results.action_avail, "0");
  assert.equal(strict.results.set_filter, "EINVAL");
  assert.match(strict.results.getppid, /^\d+$/);
  const relaxed = await hardening("seccomp", ["trace/allow_unsafe_cbpf:1"]);
  assert.equal(relaxed.code, 0, relaxed.stderr);
  assert.equal(relaxed.results.set_filter, "0");
  assert.equal(relaxed.results.getppid, "EPERM"); // the stacked filter's answer
});

Deno.test("System V IPC kills the process (SIGSYS) unless trace/allow_unsafe_shm", async () => {
  const strict = await hardening("msgget");
  assert.equal(strict.code, SIGSYS_EXIT, strict.stderr);
  assert.deepEqual(strict.results, {});
  const relaxed = await hardening("msgget", ["trace/allow_unsafe_shm:1"]);
  assert.equal(relaxed.code, 0, relaxed.stderr);
  assert.match(relaxed.results.msgget, /^\d+$/);
  assert.equal(relaxed.results.rmid, "0");
});

Deno.test("an IPC object open to others is killed (logged) unless trace/allow_unsafe_perm_shm", async () => {
  const strict = await hardening("msgget_open", ["trace/allow_unsafe_shm:1"]);
  assert.equal(strict.code, SIGKILL_EXIT, strict.stderr);
  assert.deepEqual(strict.results, {});
  const record = strict.records.find((r) => r.ctx === "ipc");
  assert.ok(record, strict.stderr);
  assert.equal(record.sys, "msgget");
  assert.equal(record.act, "kill");
  assert.equal(record.tip, "trace/allow_unsafe_perm_shm:1");
  const relaxed = await hardening("msgget_open", [
    "trace/allow_unsafe_shm:1",
    "trace/allow_unsafe_perm_shm:1",
  ]);
  assert.equal(relaxed.code, 0, relaxed.stderr);
  assert.match(relaxed.results.msgget, /^\d+$/);
});

Deno.test("msgrcv with MSG_COPY is killed (logged) unless trace/allow_unsafe_copy", async () => {
  const strict = await hardening("msg_copy", ["trace/allow_unsafe_shm:1"]);
  assert.equal(strict.code, SIGKILL_EXIT, strict.stderr);
  assert.equal(strict.results.msgsnd, "0"); // an ordinary IPC call goes through
  assert.equal(strict.results.msg_copy, undefined);
  const record = strict.records.find((r) => r.ctx === "ipc");
  assert.ok(record, strict.stderr);
  assert.equal(record.sys, "msgrcv");
  assert.equal(record.tip, "trace/allow_unsafe_copy:1");
  const relaxed = await hardening("msg_copy", [
    "trace/allow_unsafe_shm:1",
    "trace/allow_unsafe_copy:1",
  ]);
  assert.equal(relaxed.code, 0, relaxed.stderr);
  assert.equal(relaxed.results.msg_copy, "8");
});

Deno.test("the filter's relaxations are fixed at startup: /dev/syd answers EBUSY", async () => {
  const outcome = await runSyd([
    "-q",
    "-poff",
    "-mlock:off",
    "--",
    "python3",
    "-c",
    PY_ATTEMPT + `attempt("futex", lambda: os.stat("/dev/syd/trace/allow_unsafe_futex:1"))
attempt("shm", lambda: os.stat("/dev/syd/trace/allow_unsafe_shm:1"))`,
  ]);
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.equal(outcome.stdout, "futex EBUSY\nshm EBUSY\n");
});

Deno.test("the sandbox runs with the speculation mitigations forced that the kernel lets a process set (store bypass, indirect branch), unless trace/allow_unsafe_exec_speculative:1", async () => {
  const parse = (text: string) =>
    Object.fromEntries(text.trim().split("\n").map((line) => line.split(" ") as [string, string]));
  const native = await new Deno.Command(helper("spec_ctrl"), { stdout: "piped" }).output();
  assert.ok(native.success);
  const outside = parse(new TextDecoder().decode(native.stdout));
  const inside = await runSyd(["-p", "off", "--", helper("spec_ctrl")]);
  assert.equal(inside.code, 0, inside.stderr);
  const forced = parse(inside.stdout);
  const relaxed = await runSyd([
    "-p",
    "off",
    "-m",
    "trace/allow_unsafe_exec_speculative:1",
    "--",
    helper("spec_ctrl"),
  ]);
  assert.equal(relaxed.code, 0, relaxed.stderr);
  assert.deepEqual(parse(relaxed.stdout), outside);
  const prctlSet = 1;
  const forceDisable = 8;
  for (const [feature, status] of Object.entries(outside)) {
    const bits = Number(status);
    if (Number.isNaN(bits) || (bits & prctlSet) === 0) {
      // Not the process's to choose here (no such CPU issue, or fixed by the kernel).
      assert.equal(forced[feature], status, feature);
    } else {
      assert.equal(
        Number(forced[feature]) & forceDisable,
        forceDisable,
        `${feature}: ${forced[feature]}`,
      );
    }
  }
});

Deno.test("list sandboxing is fixed at start, as the original's: /dev/syd answers EBUSY to turning it on", async () => {
  const script = PY_ATTEMPT + `attempt("list", lambda: os.stat("/dev/syd/sandbox/list:on"))
attempt("all", lambda: os.stat("/dev/syd/sandbox/all:on"))
attempt("read", lambda: os.stat("/dev/syd/sandbox/read:on"))
attempt("list?", lambda: os.stat("/dev/syd/sandbox/list?"))`;
  const off = await runSyd(["-q", "-poff", "-mlock:off", "--", "python3", "-c", script]);
  assert.equal(off.code, 0, off.stderr);
  assert.equal(off.stdout, "list EBUSY\nall EBUSY\nread OK\nlist? ENOENT\n");
  const refused = records(off.stderr).filter((r) => r.ctx === "magic" && r.errno === 16);
  assert.equal(refused.length, 2, off.stderr);
  assert.match(
    String(refused[0].msg),
    /list sandboxing can only be turned on before the sandbox starts/,
  );
  // Given at start, it may be turned off and back on (the original answers EBUSY to the latter).
  const on = await runSyd([
    "-q",
    "-poff",
    "-mlock:off",
    "-msandbox/list:on",
    "-mallow/list+/***",
    "--",
    "python3",
    "-c",
    PY_ATTEMPT + `attempt("list?", lambda: os.stat("/dev/syd/sandbox/list?"))
attempt("off", lambda: os.stat("/dev/syd/sandbox/list:off"))
attempt("again", lambda: os.stat("/dev/syd/sandbox/list:on"))`,
  ]);
  assert.equal(on.code, 0, on.stderr);
  assert.equal(on.stdout, "list? OK\noff OK\nagain EBUSY\n");
});
