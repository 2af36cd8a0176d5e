/**
 * Attacks on the hot-path shortcuts of 4452d59, 544bec2 and 72f2a70 (tests/helpers/attack_perf.c):
 * syd acting for a caller without reading its credentials when its own ids are uniform, the
 * sandbox's root kept per syd thread, the pidfds of callers' threads kept per syd thread, the
 * interrupter that polls instead of being woken per call, and a dirfd looked at as a directory
 * only when no name under it is. Each attack prints `name=RESULT` lines; the tests assert that
 * none of them reaches a denied file, gets other ids or another root, or makes syd act on another
 * thread's fd, and that blocked calls still end.
 */
import assert from "node:assert/strict";
import { helper, lockOff, nobodyProblem, run, SYD, values } from "./_syd.ts";

const NOBODY = 65534;

/**
 * A directory with public, secret, other, rootonly (0600), sub/x, secretdir/x, a FIFO, t0..t7
 * (sizes 1..8) and, when the test runs as root, `suid`: a copy of the helper, setuid to `owner`.
 */
async function withDir(owner: number, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-perf-attack-" }));
  try {
    await Deno.chmod(dir, 0o777);
    for (const name of ["public", "secret", "other", "rootonly"]) {
      await Deno.writeTextFile(`${dir}/${name}`, `${name}\n`);
      await Deno.chmod(`${dir}/${name}`, name === "rootonly" ? 0o600 : 0o644);
    }
    for (const name of ["sub", "secretdir"]) {
      await Deno.mkdir(`${dir}/${name}`);
      await Deno.writeTextFile(`${dir}/${name}/x`, "x\n");
    }
    for (let index = 0; index < 8; index++) {
      await Deno.writeFile(`${dir}/t${index}`, new Uint8Array(index + 1));
    }
    const fifo = await run("mkfifo", [`${dir}/fifo`]);
    assert.equal(fifo.code, 0, fifo.stderr);
    if (Deno.uid() === 0) {
      await Deno.copyFile(helper("attack_perf"), `${dir}/suid`);
      await Deno.chown(`${dir}/suid`, owner, 0);
      await Deno.chmod(`${dir}/suid`, 0o4755);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs the helper's `mode` under syd with DIR/secret and DIR/secretdir denied. */
async function attack(
  mode: string,
  dir: string,
  asNobody = false,
): Promise<Map<string, string>> {
  const args = [
    "-poff",
    "-m",
    "sandbox/all:on",
    "-m",
    "allow/all+/***",
    "-m",
    `deny/read,stat+${dir}/secret`,
    "-m",
    `deny/read,stat+${dir}/secretdir/***`,
    "--",
    helper("attack_perf"),
    mode,
    dir,
  ];
  const outcome = asNobody
    ? await run("setpriv", [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      "--clear-groups",
      SYD,
      ...lockOff(args),
    ])
    : await run(SYD, args);
  assert.equal(outcome.code, 0, `${outcome.stdout}\n${outcome.stderr}`);
  return values(outcome.stdout);
}

Deno.test("perf attack: no set*id, exec or namespace gives the sandbox ids other than syd's", async () => {
  await withDir(NOBODY, async (dir) => {
    const got = await attack("ids", dir);
    if (Deno.uid() === 0) {
      for (const name of ["setresuid", "setresgid", "setgroups", "unshare_user"]) {
        assert.equal(got.get(name), "EPERM", name);
      }
      // A setuid-nobody program runs with syd's ids (no_new_privs), so syd may act for it.
      assert.equal(got.get("probe_euid"), "0");
      assert.equal(got.get("probe_fsuid"), "0");
    }
    assert.notEqual(got.get("clone3_user"), "OK");
    assert.equal(got.get("nnp"), "1");
    assert.equal(got.get("secret"), "EACCES");
    assert.notEqual(got.get("probe_secret"), "READ:secret");
  });
});

// nobody cannot build libsyd.so: have it built (when ffi/ changed) first.
await run(SYD, ["-V"]);
const NOBODY_PROBLEM = await nobodyProblem();

Deno.test({
  name: "perf attack: as nobody, a setuid-root program gains nothing syd would act on",
  ignore: NOBODY_PROBLEM !== undefined,
}, async () => {
  await withDir(0, async (dir) => {
    const got = await attack("ids", dir, true);
    assert.equal(got.get("probe_euid"), String(NOBODY));
    assert.equal(got.get("probe_rootonly"), "EACCES");
    assert.equal(got.get("rootonly"), "EACCES");
    // DIR is open to all: what the setuid program creates there is nobody's, not root's.
    if (got.get("probe_create") === "OK") {
      assert.equal(got.get("probe_create_owner"), String(NOBODY));
    }
    assert.equal(got.get("secret"), "EACCES");
  });
});

Deno.test("perf attack: no other root or mount namespace for the kept root to miss", async () => {
  await withDir(NOBODY, async (dir) => {
    const got = await attack("root", dir);
    assert.equal(got.get("chroot"), "OK"); // answered without changing anything
    assert.notEqual(got.get("after_chroot_abs"), "READ:secret");
    assert.notEqual(got.get("after_chroot_rel"), "READ:secret");
    for (const name of ["unshare_ns", "unshare_user", "unshare_user_ns", "clone_user_ns"]) {
      assert.equal(got.get(name), "EPERM", name);
    }
    for (const name of ["open_tree", "fsopen", "pivot_root", "setns", "mount_bind"]) {
      assert.notEqual(got.get(name), "OK", name);
    }
    assert.equal(got.get("public_after_bind"), "READ:public");
    assert.equal(got.get("secret_end"), "EACCES");
  });
});

Deno.test("perf attack: a dirfd that is no directory fails ENOTDIR under a name too", async () => {
  await withDir(NOBODY, async (dir) => {
    const got = await attack("dirfd", dir);
    for (const name of ["file_dirfd", "file_dirfd_dotdot", "file_dirfd_dot", "fifo_dirfd"]) {
      assert.equal(got.get(name), "ENOTDIR", name);
      assert.equal(got.get(`${name}_stat`), "ENOTDIR", `${name}_stat`);
    }
    // No fd of a symlink itself (O_PATH|O_NOFOLLOW) is handed out, nor one of a denied directory.
    for (const name of ["symlink_dirfd", "symlink_secret_dirfd", "secretdir_dirfd"]) {
      assert.match(got.get(name) ?? "", /^NODIRFD:/, name);
    }
    for (const [name, value] of got) assert.ok(!value.includes("OPENED:x"), `${name}=${value}`);
  });
});

Deno.test("perf attack: calls that make or change a name under a file dirfd fail ENOTDIR", async () => {
  await withDir(NOBODY, async (dir) => {
    const got = await attack("dirops", dir);
    const ops = [...got.keys()].filter((name) => name.startsWith("op_"));
    assert.ok(ops.length >= 15, [...got.keys()].join(" "));
    for (const name of ops) assert.equal(got.get(name), "ENOTDIR", name);
    assert.equal(got.get("made"), "no");
    assert.equal(got.get("sub_x"), "no");
  });
});

Deno.test("perf attack: after a non-leader thread's exec, fd calls use the new image's table", async () => {
  await withDir(NOBODY, async (dir) => {
    const got = await attack("exec", dir);
    assert.equal(got.get("exec2_tid"), got.get("leader_tid"));
    assert.equal(got.get("exec2_wrong"), "0");
  });
});

Deno.test("perf attack: fd calls of a thread with its own fd table act on that table", async () => {
  await withDir(NOBODY, async (dir) => {
    const got = await attack("files", dir);
    assert.equal(got.get("unshare_files"), "OK");
    assert.equal(got.get("other_mode"), "600");
    assert.equal(got.get("other_size"), "1");
    assert.equal(got.get("public_mode"), "644");
    assert.equal(got.get("public_size"), "7");
  });
});

Deno.test("perf attack: kept pidfds of exited threads never reach a reused tid's fds", async () => {
  await withDir(NOBODY, async (dir) => {
    const got = await attack("reuse", dir);
    assert.ok(Number(got.get("reuse_calls")) > 1000, `reuse_calls=${got.get("reuse_calls")}`);
    assert.equal(got.get("reuse_kernel_wrong"), "0");
    assert.equal(got.get("reuse_wrong"), "0");
  });
});

Deno.test("perf attack: a blocked open is interrupted after the interrupter fell asleep", async () => {
  await withDir(NOBODY, async (dir) => {
    const got = await attack("fifo", dir);
    for (let index = 0; index < 5; index++) assert.equal(got.get(`fifo_sleep${index}`), "EINTR");
    for (let index = 0; index < 3; index++) assert.equal(got.get(`fifo_busy${index}`), "EINTR");
  });
});

Deno.test("perf attack: 200 blocked opens neither starve other calls nor outlive SIGTERM", async () => {
  await withDir(NOBODY, async (dir) => {
    const got = await attack("exhaust", dir);
    assert.equal(got.get("public_open"), "OK");
    assert.equal(got.get("ended"), "200");
  });
});
