/**
 * Attacks on Lock sandboxing (Landlock) from a hostile sandboxed program
 * (tests/helpers/attack_lock_fs.c): reading, writing or making a file outside the lock rules by
 * any path trick, through syd's emulators (seccomp categories on: syd performs the open, and
 * its threads are in the same Landlock domain), by racing syd's judgement with a symlink swap,
 * through mounts, namespaces, io_uring, file handles, core dumps or /dev/syd, by reaching syd's
 * process (ptrace, signals, /proc), and over TCP and abstract UNIX sockets. Each attack that
 * can show anything is run with `sandbox/lock:off` too, so that the test can fail.
 */
import assert from "node:assert/strict";
import { helper, PYTHON, runSyd, SYD, values, waitForFile } from "./_syd.ts";

const ATTACK = helper("attack_lock_fs");
const HELPERS = ATTACK.slice(0, ATTACK.lastIndexOf("/"));
/** What an attack shows when it got past the rules. */
const BREACHES = ["READ", "WROTE", "MADE", "RAN", "YES"];

/**
 * A base directory (its real path) with `in/public` (the directory the lock rules allow, with
 * every right) and `out/secret`, `out/sub/victim` (outside every rule); removed afterwards.
 */
async function withDirs(fn: (inDir: string, outDir: string) => Promise<void>): Promise<void> {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-lock-attack-" }));
  try {
    await Deno.mkdir(`${base}/in`);
    await Deno.mkdir(`${base}/out/sub`, { recursive: true });
    await Deno.writeTextFile(`${base}/in/public`, "public\n");
    await Deno.writeTextFile(`${base}/out/secret`, "secret\n");
    await Deno.writeTextFile(`${base}/out/sub/victim`, "victim\n");
    await fn(`${base}/in`, `${base}/out`);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

/** The lock rules: the system's programs and libraries, the helpers, and IN with every right. */
function lockRules(inDir: string): string[] {
  return [
    "-poff",
    "-m",
    "sandbox/lock:on",
    "-m",
    "allow/lock/rpath,exec+/usr",
    "-m",
    "allow/lock/rpath,exec+/lib",
    "-m",
    "allow/lock/rpath,exec+/lib64",
    "-m",
    `allow/lock/read,exec+${HELPERS}`,
    "-m",
    `allow/lock/all+${inDir}`,
  ];
}

/** Seccomp categories on with allow-all rules: syd's emulators perform the calls. */
const SECCOMP_ALL = [
  "-m",
  "sandbox/all:on",
  "-m",
  "allow/all+/***",
  "-m",
  "allow/create+!memfd:**",
];

/** Runs the helper's `mode` under syd with `args` (Lock sandboxing kept as they set it). */
async function attack(
  args: string[],
  mode: string,
  inDir: string,
  outDir: string,
  extra: string[] = [],
): Promise<Map<string, string>> {
  const outcome = await runSyd([...args, "--", ATTACK, mode, inDir, outDir, ...extra], {
    landlock: true,
  });
  assert.equal(outcome.code, 0, `${outcome.stdout}\n${outcome.stderr}`);
  return values(outcome.stdout);
}

/** Asserts that no attempt but those in `except` breached, and that OUT is as it was. */
async function assertHeld(
  got: Map<string, string>,
  outDir: string,
  except: string[] = [],
): Promise<void> {
  for (const [name, result] of got) {
    if (except.includes(name)) continue;
    assert.ok(!BREACHES.includes(result), `${name}=${result}`);
  }
  assert.equal(await Deno.readTextFile(`${outDir}/secret`), "secret\n");
  const names = [...Deno.readDirSync(outDir)].map((entry) => entry.name).sort();
  assert.deepEqual(names, ["secret", "sub"]);
  assert.deepEqual([...Deno.readDirSync(`${outDir}/sub`)].map((entry) => entry.name), ["victim"]);
}

/** The attempts of `fs` mode: each must be tried, or the helper stopped early. */
const FS_ATTEMPTS = [
  "plain_read",
  "plain_write",
  "plain_create",
  "plain_truncate",
  "mkdir_out",
  "symlink_out",
  "mkfifo_out",
  "unlink_out",
  "symlink_read",
  "symlink_write",
  "symlink_dir_read",
  "symlink_dir_create",
  "link_in",
  "rename_in",
  "rename_out",
  "exchange",
  "rename_dir_in",
  "chdir_read",
  "dotdot_read",
  "proc_self_root",
  "proc_parent_root",
  "proc_1_root",
  "proc_self_cwd",
  "mount_userns",
  "mount_direct",
  "open_tree",
  "fsopen",
  "chroot",
  "umount_proc",
  "open_by_handle",
  "io_uring",
];

Deno.test("lock attack: no path trick reads, writes or makes a file outside the rules", async () => {
  await withDirs(async (inDir, outDir) => {
    const got = await attack(lockRules(inDir), "fs", inDir, outDir);
    for (const name of FS_ATTEMPTS) assert.ok(got.has(name), name);
    assert.equal(got.get("public_read"), "OTHER"); // the allowed file reads
    assert.equal(got.get("plain_read"), "EACCES");
    assert.equal(got.get("link_in"), "EXDEV"); // Landlock: no REFER from OUT
    assert.equal(got.get("exchange"), "EACCES");
    await assertHeld(got, outDir);
  });
});

Deno.test("lock attack: the same tricks reach OUT with sandbox/lock:off (the test can fail)", async () => {
  await withDirs(async (inDir, outDir) => {
    const got = await attack(["-poff", "-m", "sandbox/lock:off"], "fs", inDir, outDir);
    assert.equal(got.get("plain_read"), "READ");
    assert.equal(got.get("plain_create"), "MADE");
    assert.equal(got.get("symlink_read"), "READ");
    assert.equal(got.get("link_in"), "MADE");
    assert.equal(got.get("rename_in"), "MADE");
    assert.equal(got.get("exchange"), "MADE");
    for (const name of ["opath_reopen_read", "dotdot_read", "chdir_read", "proc_self_root"]) {
      assert.equal(got.get(name), "READ", name);
    }
    assert.equal(got.get("plain_truncate"), "WROTE");
  });
});

Deno.test("lock attack: syd's emulators, performing the calls, meet the same wall", async () => {
  await withDirs(async (inDir, outDir) => {
    const got = await attack([...lockRules(inDir), ...SECCOMP_ALL], "fs", inDir, outDir);
    for (const name of FS_ATTEMPTS) assert.ok(got.has(name), name);
    assert.equal(got.get("public_read"), "OTHER");
    assert.equal(got.get("plain_read"), "EACCES");
    await assertHeld(got, outDir);
  });
});

Deno.test("lock attack: a symlink swapped under syd's judgement never opens OUT's file", async () => {
  await withDirs(async (inDir, outDir) => {
    for (const args of [[...lockRules(inDir), ...SECCOMP_ALL], lockRules(inDir)]) {
      const got = await attack(args, "race", inDir, outDir);
      assert.equal(got.get("race_secret"), "0", JSON.stringify([...got]));
      assert.ok(Number(got.get("race_reads")) > 0); // IN/public still reads
      await assertHeld(got, outDir);
    }
    const control = await attack(
      ["-poff", "-m", "sandbox/lock:off", ...SECCOMP_ALL],
      "race",
      inDir,
      outDir,
    );
    assert.ok(Number(control.get("race_secret")) > 0, JSON.stringify([...control]));
  });
});

Deno.test("lock attack: no core dump is written outside the rules", async () => {
  await withDirs(async (inDir, outDir) => {
    const pattern = (await Deno.readTextFile("/proc/sys/kernel/core_pattern")).trim();
    const got = await attack(lockRules(inDir), "core", inDir, outDir);
    assert.equal(got.get("core_chdir"), "OK");
    assert.equal(got.get("core_dumped"), "NO");
    await assertHeld(got, outDir);
    if (pattern !== "core") return; // the control needs the kernel to write into the cwd
    const control = await attack(["-poff", "-m", "sandbox/lock:off"], "core", inDir, outDir);
    assert.equal(control.get("core_dumped"), "YES");
  });
});

Deno.test("lock attack: metadata calls (no Landlock right) open nothing outside", async () => {
  await withDirs(async (inDir, outDir) => {
    for (const args of [lockRules(inDir), [...lockRules(inDir), ...SECCOMP_ALL]]) {
      const got = await attack(args, "meta", inDir, outDir);
      // chmod, chown, utimensat and setxattr succeed as under the original: Landlock (ABI 7)
      // has no right for them. Whatever mode they give, the secret stays closed.
      assert.equal(got.get("meta_chmod"), "OK");
      assert.equal(got.get("meta_read"), "EACCES");
      assert.equal(got.get("meta_write"), "EACCES");
      await assertHeld(got, outDir);
    }
  });
});

Deno.test("lock attack: /dev/syd cannot loosen the lock rules once running", async () => {
  await withDirs(async (inDir, outDir) => {
    const got = await attack(lockRules(inDir), "magic", inDir, outDir);
    for (const name of ["magic_lock_off", "magic_allow_all", "magic_warn"]) {
      assert.equal(got.get(name), "EBUSY", name);
    }
    assert.equal(got.get("magic_secret"), "EACCES");
    await assertHeld(got, outDir);
  });
});

Deno.test("lock attack: syd's process is out of reach (ptrace, signals, /proc)", async () => {
  await withDirs(async (inDir, outDir) => {
    for (const args of [lockRules(inDir), [...lockRules(inDir), ...SECCOMP_ALL]]) {
      const got = await attack(args, "syd", inDir, outDir);
      // ptrace is answered 0 without tracing (a no-op): syd ran on, the helper exited 0.
      assert.equal(got.get("kill0"), "EPERM");
      assert.equal(got.get("kill_winch"), "EPERM");
      assert.equal(got.get("syd_threads_signalled"), "0");
      for (const name of ["process_vm_readv", "pidfd_getfd", "proc_syd_mem", "proc_syd_environ"]) {
        assert.notEqual(got.get(name), "OK", name);
        assert.notEqual(got.get(name), "READ", name);
      }
      assert.notEqual(got.get("proc_syd_cwd"), "OK");
    }
  });
});

Deno.test({
  name: "lock attack: the private /proc shows the sandbox's pids only (root)",
  ignore: Deno.uid() !== 0,
}, async () => {
  await withDirs(async (inDir, outDir) => {
    const got = await attack(lockRules(inDir), "proc", inDir, outDir);
    assert.equal(got.get("pids"), got.get("self"));
    assert.equal(got.get("parent_listed"), "0");
    assert.equal(got.get("other_pids_reachable"), "0");
    assert.notEqual(got.get("parent_status"), "OTHER");
    assert.notEqual(got.get("pid1_status"), "OTHER");
    // A shell's `ls /proc` lists its own processes only.
    const outcome = await runSyd([
      ...lockRules(inDir),
      "--",
      "/bin/sh",
      "-c",
      "echo shell=$$; ls /proc | grep '^[0-9]' | tr '\\n' ' '",
    ], { landlock: true });
    assert.equal(outcome.code, 0, outcome.stderr);
    const shell = values(outcome.stdout).get("shell");
    const pids = outcome.stdout.split("\n")[1].trim().split(" ");
    assert.ok(pids.includes(shell!), outcome.stdout);
    for (const pid of pids) assert.ok(Number(pid) >= Number(shell), outcome.stdout);
  });
});

Deno.test("lock attack: no fd is inherited, and /proc/self, /dev/null work (no false denial)", async () => {
  await withDirs(async (inDir, outDir) => {
    for (const args of [lockRules(inDir), [...lockRules(inDir), ...SECCOMP_ALL]]) {
      const got = await attack(args, "fds", inDir, outDir);
      assert.equal(got.get("fds"), "");
      assert.equal(got.get("proc_status"), "OK");
      assert.equal(got.get("dev_null"), "OK");
      assert.equal(got.get("proc_mountinfo"), "OK");
    }
  });
});

/** A TCP listener on 127.0.0.1 outside the sandbox, closed after `fn`. */
async function withListener(fn: (port: number) => Promise<void>): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    try {
      for await (const conn of listener) conn.close();
    } catch {
      // closed
    }
  })();
  try {
    await fn((listener.addr as Deno.NetAddr).port);
  } finally {
    listener.close();
    await accepting;
  }
}

Deno.test("lock attack: TCP connect and bind outside the allowed port fail", async () => {
  await withDirs(async (inDir, outDir) => {
    await withListener(async (port) => {
      const allowed = String(port === 65000 ? 64999 : 65000);
      const ports = ["-m", `allow/lock/bind+${allowed}`, "-m", `allow/lock/connect+${allowed}`];
      const net = [
        "-m",
        "sandbox/net:on",
        "-m",
        "allow/net/bind+any!0-65535",
        "-m",
        "allow/net/connect+any!0-65535",
      ];
      for (
        const args of [[...lockRules(inDir), ...ports], [...lockRules(inDir), ...ports, ...net]]
      ) {
        const got = await attack(args, "tcp", inDir, outDir, [String(port)]);
        for (const name of ["tcp_connect", "tcp6_connect", "tcp_bind", "tcp_bind0"]) {
          assert.equal(got.get(name), "EACCES", `${name} ${JSON.stringify([...got])}`);
        }
        // tcp_listen_unbound: listen(2) on an unbound socket takes an ephemeral port; Landlock
        // (ABI 7) has no right for it (the original's too).
      }
      const control = await attack(["-poff", "-m", "sandbox/lock:off"], "tcp", inDir, outDir, [
        String(port),
      ]);
      assert.equal(control.get("tcp_connect"), "OK");
    });
  });
});

/**
 * An abstract UNIX socket `name` listening outside the sandbox (Python's, as Deno cannot name
 * abstract sockets), closed after `fn`.
 */
async function withAbstract(
  dir: string,
  name: string,
  fn: () => Promise<void>,
): Promise<void> {
  const ready = `${dir}/ready`;
  const script = `import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind("\\0" + sys.argv[1])
s.listen(8)
open(sys.argv[2], "w").close()
time.sleep(60)
`;
  const child = new Deno.Command(PYTHON, {
    args: ["-c", script, name, ready],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitForFile(ready, 10_000);
    await fn();
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}

Deno.test("lock attack: an abstract UNIX socket outside is out of reach (scope)", async () => {
  await withDirs(async (inDir, outDir) => {
    const name = `syd-lock-attack-${Deno.pid}`;
    await withAbstract(inDir, name, async () => {
      const got = await attack(lockRules(inDir), "abstract", inDir, outDir, [name]);
      assert.equal(got.get("abstract_connect"), "EPERM");
      const control = await attack(["-poff", "-m", "sandbox/lock:off"], "abstract", inDir, outDir, [
        name,
      ]);
      assert.equal(control.get("abstract_connect"), "OK");
    });
  });
});

Deno.test("lock attack: no UNIX socket file is bound outside the rules, by syd either", async () => {
  await withDirs(async (inDir, outDir) => {
    const net = [
      "-m",
      "sandbox/net:on",
      "-m",
      "allow/net/bind+/***",
      "-m",
      "allow/net/connect+/***",
    ];
    for (const args of [lockRules(inDir), [...lockRules(inDir), ...net]]) {
      const got = await attack(args, "unix", inDir, outDir, ["/nonexistent"]);
      assert.equal(got.get("unix_bind_out"), "EACCES");
      await assertHeld(got, outDir);
    }
    const control = await attack(["-poff", "-m", "sandbox/lock:off"], "unix", inDir, outDir, [
      "/nonexistent",
    ]);
    assert.equal(control.get("unix_bind_out"), "MADE");
  });
});

// Found by the attack session: with net sandboxing on syd's emulator connects for the sandbox,
// and the run thread's Lock domain did not scope abstract UNIX sockets (fixed: it does, ABI 6).
// And:
// - memfd: code written to a memfd ran (fexecve) though the lock rules allow exec beneath the
//   listed paths only (fixed: syd makes every memfd MFD_NOEXEC_SEAL unless
//   trace/allow_unsafe_memfd, as the original).
// - UNIX socket paths: connect needs Landlock ABI 9; run where the kernel has it.

/** The kernel's Landlock ABI, as `syd -V` prints it (0: none). */
const LANDLOCK_ABI = Number(
  /^Landlock: ABI (\d+)$/m.exec(
    new TextDecoder().decode(new Deno.Command(SYD, { args: ["-V"] }).outputSync().stdout),
  )?.[1] ?? 0,
);

Deno.test({
  name: "lock attack: with net sandboxing on, syd's connect reaches no outside abstract socket",
  ignore: LANDLOCK_ABI < 6,
}, async () => {
  await withDirs(async (inDir, outDir) => {
    const name = `syd-lock-attack-net-${Deno.pid}`;
    await withAbstract(inDir, name, async () => {
      const net = ["-m", "sandbox/net:on", "-m", "allow/net/connect+@**"];
      const got = await attack([...lockRules(inDir), ...net], "abstract", inDir, outDir, [name]);
      assert.notEqual(got.get("abstract_connect"), "OK");
    });
  });
});

Deno.test("lock attack: a memfd runs no code (syd seals every memfd against execution, as the original), unless trace/allow_unsafe_memfd:1", async () => {
  await withDirs(async (inDir, outDir) => {
    const got = await attack(lockRules(inDir), "fs", inDir, outDir);
    assert.equal(got.get("memfd"), "OK");
    assert.equal(got.get("memfd_exec"), "EACCES");
    // The control: let memfds be made executable, and the same code runs.
    const relaxed = [...lockRules(inDir), "-m", "trace/allow_unsafe_memfd:1"];
    const ran = await attack(relaxed, "fs", inDir, outDir);
    assert.equal(ran.get("memfd_exec"), "RAN");
  });
});

Deno.test({
  name: "lock attack: a UNIX socket path outside the rules cannot be connected to (ABI 9)",
  ignore: LANDLOCK_ABI < 9,
}, async () => {
  await withDirs(async (inDir, outDir) => {
    const listener = Deno.listen({ transport: "unix", path: `${outDir}/sock` });
    try {
      const got = await attack(lockRules(inDir), "unix", inDir, outDir, [`${outDir}/sock`]);
      assert.notEqual(got.get("unix_connect"), "OK");
    } finally {
      listener.close();
    }
  });
});
