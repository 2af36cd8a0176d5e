/**
 * End-to-end tests of SafeSetID (`setuid+SRC:DST`, `setgid+SRC:DST`), as the original syd 3.59
 * behaves (docs/original/limits_and_safesetid.md §3): without transits the sandbox cannot change
 * its ids (no CAP_SETUID or CAP_SETGID); with them it may change to their targets alone, with
 * its real, effective and saved ids kept equal; anything else is refused and its caller killed;
 * a change to a system user or group (root included) is killed by the filter. syd keeps acting
 * for a process that changed, with its new ids: the kernel then judges its file permissions.
 * The helper tests/helpers/setid.c prints `NAME=0` or `NAME=ERRNO` per call and the ids it ends
 * with. These tests need root (the transits are from uid and gid 0).
 */
import assert from "node:assert/strict";
import { helper, type Outcome, records, runSyd, tempDir, withoutRecords } from "./_syd.ts";

const SETID = helper("setid");
const ROOT_ONLY = Deno.uid() !== 0;
const TRANSITS = ["-m", "setuid+0:65534", "-m", "setgid+0:65534"];

async function setid(args: string[], mode: string[]): Promise<Outcome> {
  return await runSyd(["-poff", ...args, "--", SETID, ...mode]);
}

function lines(result: Outcome): string[] {
  return withoutRecords(result.stdout).trim().split("\n");
}

function safesetid(result: Outcome): Record<string, unknown>[] {
  return records(result.stderr).filter((r) => r.ctx === "safesetid");
}

Deno.test({
  name: "without transits a root sandbox cannot drop to nobody: the kernel refuses (EPERM)",
  ignore: ROOT_ONLY,
  fn: async () => {
    const result = await setid([], ["drop", "65534"]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result).slice(0, 3), ["setgroups=1", "setgid=1", "setuid=1"]);
    assert.match(lines(result)[3], /^ids=0\/0\/0 gids=0\/0\/0 /);
  },
});

Deno.test({
  name:
    "setuid+0:65534 and setgid+0:65534 let a program drop to nobody, with no groups and no capability left",
  ignore: ROOT_ONLY,
  fn: async () => {
    const result = await setid(TRANSITS, ["drop", "65534"]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result), [
      "setgroups=0",
      "setgid=0",
      "setuid=0",
      // setgroups under transits drops every group, as the original's.
      "ids=65534/65534/65534 gids=65534/65534/65534 groups=0 caps=0",
    ]);
  },
});

Deno.test({
  name: "a change no transit names is refused and its caller killed, with a record",
  ignore: ROOT_ONLY,
  fn: async () => {
    const result = await setid(TRANSITS, ["uid", "1000"]);
    assert.equal(result.code, 137, result.stderr);
    const [record] = safesetid(result);
    assert.equal(record.sys, "setuid");
    assert.equal(record.target_uid, 1000);
    assert.equal(record.source_uid, 0);
    assert.equal(record.tip, "define a transit `setuid+0:1000'");
  },
});

Deno.test({
  name: "a change leaving real, effective and saved ids unequal is refused and killed",
  ignore: ROOT_ONLY,
  fn: async () => {
    const half = await setid(TRANSITS, ["reuid", "-1", "65534"]);
    assert.equal(half.code, 137, half.stderr);
    assert.match(String(safesetid(half)[0]?.msg), /unequal/);
    const whole = await setid(TRANSITS, ["resuid", "65534", "65534", "65534"]);
    assert.equal(whole.code, 0, whole.stderr);
    assert.match(lines(whole)[1], /^ids=65534\/65534\/65534 /);
  },
});

Deno.test({
  name: "a change to root or another system user kills its caller, transits or not",
  ignore: ROOT_ONLY,
  fn: async () => {
    const back = await setid(TRANSITS, ["back", "65534"]);
    assert.equal(back.code, 137, back.stderr);
    assert.deepEqual(lines(back), ["setuid=0"]);
    const none = await setid([], ["uid", "5"]);
    assert.equal(none.code, 137, none.stderr);
    // A call that changes nothing runs (GNU make as root calls setresuid(-1, 0, -1)).
    const same = await setid([], ["resuid", "-1", "0", "-1"]);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(lines(same)[0], "setresuid=0");
    // trace/allow_unsafe_setid:1 refuses it instead (EPERM).
    const unsafe = await setid([...TRANSITS, "-m", "trace/allow_unsafe_setid:1"], ["uid", "5"]);
    assert.equal(unsafe.code, 0, unsafe.stderr);
    assert.equal(lines(unsafe)[0], "setuid=1");
  },
});

Deno.test({
  name: "every thread of a process changes with it (glibc's broadcast, each thread's call judged)",
  ignore: ROOT_ONLY,
  fn: async () => {
    const result = await setid(TRANSITS, ["thread", "65534"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(lines(result)[1], /^thread ids=65534\/65534\/65534 /);
  },
});

Deno.test({
  name: "syd acts for a process that dropped to nobody with nobody's rights",
  ignore: ROOT_ONLY,
  fn: async () => {
    const dir = tempDir();
    try {
      Deno.chmodSync(dir, 0o755);
      Deno.writeTextFileSync(`${dir}/public`, "public\n", { mode: 0o644 });
      Deno.writeTextFileSync(`${dir}/secret`, "secret\n", { mode: 0o600 });
      Deno.chmodSync(`${dir}/secret`, 0o600);
      const script = `cat ${dir}/public; cat ${dir}/secret; echo x > ${dir}/new; echo done`;
      const result = await setid(
        [
          ...TRANSITS,
          "-m",
          "sandbox/read,stat,write,create:on",
          "-m",
          "allow/read,stat,write,create+/***",
        ],
        ["exec", "65534", "sh", "-c", script],
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(withoutRecords(result.stdout), "public\ndone\n");
      assert.match(result.stderr, /secret: Permission denied/);
      assert.match(result.stderr, /cannot create .*new: Permission denied/);
      assert.throws(() => Deno.statSync(`${dir}/new`));
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "transits are checked when syd starts, as the original checks them",
  ignore: ROOT_ONLY,
  fn: async () => {
    for (
      const [rule, code] of [
        ["setuid+1000:65534", 61], // no transit from syd's uid: never usable
        ["setuid+0:5", 13], // a system user
        ["setuid+root:nobody", 22],
        ["setgid+0:14", 13],
      ] as const
    ) {
      const result = await setid(["-m", rule], ["uid", "65534"]);
      assert.equal(result.code, code, `${rule}: ${result.stderr}`);
    }
  },
});
