/**
 * Second round of attacks on the container form (`unshare/user,mount,pid`, `root:DIR`, binds),
 * after the fixes of the first (stat owners, nosymfollow in syd's walk, the hidden init in /proc
 * listings, SCM_CREDENTIALS and SO_PEERCRED pids): links on a nosymfollow bind met in the middle
 * of a path, through a dirfd, by chdir, fchdir, exec and every call that changes something; the init by other spellings of
 * /proc (/proc/., //proc, /proc/self/.., a cwd, an fd passed to another process) and by name;
 * SCM_CREDENTIALS claiming ids the namespace does not map, sent through syd to a host receiver;
 * setuid+/setgid+ transits to ids the namespace does not map; namespace commands at run time
 * (every one EBUSY); processes left behind after syd ends (a setsid daemon ignoring signals;
 * `trace/exit_wait_all`); and `unshare/user:1` alone or with net or pid (no mount namespace),
 * root of the namespace against an unmapped user's files. Helper: tests/helpers/attack_ns2.c
 * (modes in its header; `NAME=stopped|WON DETAIL` per attack).
 *
 * Four weaknesses are kept as ignored tests (marked FINDING below): NS2-1, with `-p off` a /proc
 * dirfd tells the init (pid 1) from a pid that does not exist (readlinkat EINVAL against ENOENT,
 * faccessat EPERM against ENOENT); NS2-2, /proc/self/status served by syd names the sandbox's
 * uid, gid and groups as the host does (1000 where the sandbox is 0 under root/map); NS2-3,
 * POSIX ACLs read and written through syd carry the host's ids (an unmapped user named); NS2-4,
 * the init keeps every fd of syd's Deno process (defence in depth: none reached). These tests need root (a root map, files of another user).
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import {
  containerArgs,
  helper,
  lockOff,
  nobodyProblem,
  type Outcome,
  run,
  runSyd,
  SYD,
  tempDir,
  withoutRecords,
} from "./_syd.ts";

const ATTACK = helper("attack_ns2");
const ROOT_ONLY = Deno.uid() !== 0;
/** syd performs every call: each category on, everything allowed. */
const EMULATED = [
  "-m",
  "sandbox/all:on",
  "-m",
  "allow/all+/***",
  "-m",
  "allow/create+!pipe",
  "-m",
  "allow/net/bind,net/connect+/***",
];
const MODES: [string, string[]][] = [["kernel", []], ["emulated", EMULATED]];

/** The host side: H/root (the new root) and H/rw (bound at /rw). */
function host(): string {
  const dir = tempDir("syd-ns2-");
  Deno.chmodSync(dir, 0o755);
  for (const sub of ["dev", "proc", "tmp", "usr", "etc", "rw", "h"]) {
    Deno.mkdirSync(`${dir}/root/${sub}`, { recursive: true });
  }
  for (const name of ["bin", "lib", "lib64"]) {
    Deno.symlinkSync(`usr/${name}`, `${dir}/root/${name}`);
  }
  Deno.mkdirSync(`${dir}/rw`);
  return dir;
}

async function withHost(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = host();
  try {
    await fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The container: the new root, /usr and /etc read-only, a tmpfs /tmp, /rw, /h (the helpers). */
function container(dir: string): string[] {
  return containerArgs(`${dir}/root`, [`${dir}/rw:/rw`, `${dirname(ATTACK)}:/h:ro,exec`]);
}

async function attack(dir: string, mode: string[], args: string[]): Promise<Outcome> {
  return await runSyd(["-poff", ...mode, ...container(dir), "--", "/h/attack_ns2", ...args]);
}

/** `NAME=VERDICT DETAIL` lines, in order (a name may repeat). */
function verdicts(result: Outcome): [string, string, string][] {
  const found: [string, string, string][] = [];
  for (const line of withoutRecords(result.stdout).split("\n")) {
    const match = /^([a-z0-9_]+)=(stopped|WON) ?(.*)$/.exec(line);
    if (match) found.push([match[1], match[2], match[3]]);
  }
  return found;
}

function assertAllStopped(result: Outcome, count: number): [string, string, string][] {
  const found = verdicts(result);
  assert.deepEqual(found.filter(([, verdict]) => verdict !== "stopped"), [], result.stdout);
  assert.equal(found.length, count, result.stdout);
  assert.equal(result.code, 0, result.stderr);
  return found;
}

/** Processes whose command line holds `mark` (ps on the host). */
async function leftovers(mark: string): Promise<string[]> {
  const ps = await run("ps", ["-eo", "pid,args"]);
  return ps.stdout.split("\n").filter((line) => line.includes(mark) && !line.includes("ps -eo"));
}

for (const [label, mode] of MODES) {
  Deno.test({
    name: `${label}: no link on a nosymfollow bind is followed, wherever it is met`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(async (dir) => {
        const found = assertAllStopped(await attack(dir, mode, ["nosym"]), 15);
        for (const [name, , detail] of found) {
          if (name === "nosym_exec") {
            assert.match(detail, / status=140 out=$/, detail); // 100 + ELOOP
          } else if (name === "nosym_fchdir") {
            assert.equal(detail, "open=-1 errno=40 fchdir=-1");
          } else {
            assert.doesNotMatch(detail, /errno=(?!40)\d+/, `${name} ${detail}`);
          }
        }
        // Nothing made through the link: /etc is the host's (read-only anyway).
        assert.deepEqual(Deno.readDirSync(`${dir}/root/etc`).toArray(), []);
      });
    },
  });

  Deno.test({
    name: `${label}: nothing changes through a link on a nosymfollow bind`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(async (dir) => {
        const found = assertAllStopped(await attack(dir, mode, ["nosymw"]), 18);
        for (const [name, , detail] of found) {
          if (name === "nosymw") assert.match(detail, / rc=-1 errno=40$/, detail);
        }
        assert.equal(found.at(-1)![2], "tmp=vdir,victim, mode=644 size=0");
      });
    },
  });

  Deno.test({
    name: `${label}: the init is in no listing of /proc, by any spelling or fd`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(async (dir) => {
        const result = await attack(dir, mode, ["initproc"]);
        const found = verdicts(result);
        const listed = found.filter(([name]) => name.startsWith("init_list"));
        assert.deepEqual(listed.filter(([, verdict]) => verdict !== "stopped"), [], result.stdout);
        assert.ok(listed.length >= 9, result.stdout);
        for (const [, , detail] of listed.filter(([name]) => name === "init_list")) {
          assert.match(detail, /listed_1=0$/, detail);
        }
      });
    },
  });
}

Deno.test({
  name: "emulated: the init named through a /proc dirfd answers as a pid that does not exist",
  ignore: ROOT_ONLY,
  fn: async () => {
    await withHost(async (dir) => {
      const result = await attack(dir, EMULATED, ["initproc"]);
      const named = verdicts(result).filter(([name]) => name === "init_name");
      assert.equal(named.length, 6, result.stdout);
      assert.deepEqual(named.filter(([, verdict]) => verdict !== "stopped"), [], result.stdout);
    });
  },
});

// FOUND, FIXED NS2-1: with `-p off`, once syd performed a stat of /proc/1 for the sandbox (the hardened
// stat calls are performed whatever the rules), readlinkat(/proc dirfd, "1") fails EINVAL (a
// directory found) and faccessat(dirfd, "1", F_OK) EPERM, where a pid that does not exist gives
// ENOENT to both: the hidden init is told apart. Before that stat both answer ENOENT, as
// hidepid=ptraceable hides it at lookup; syd's own look at it (path.zig `caller_may_name`,
// exists("/proc/TID/root/proc/1/task/TID") with syd's credentials) leaves the /proc/1 dentry
// cached, and a cached entry is not hidden again (proc_pid_permission: EPERM for a hidepid other
// than invisible). Also with `unshare/user,pid:1` (no mount namespace); the original 3.59 answers
// EINVAL/EPERM from the start.
Deno.test({
  name: "kernel: the init named through a /proc dirfd answers as a pid that does not exist",
  ignore: ROOT_ONLY,
  fn: async () => {
    await withHost(async (dir) => {
      const result = await attack(dir, [], ["initproc"]);
      const named = verdicts(result).filter(([name]) => name === "init_name");
      assert.equal(named.length, 6, result.stdout);
      assert.deepEqual(named.filter(([, verdict]) => verdict !== "stopped"), [], result.stdout);
      assert.equal(result.code, 0);
    });
  },
});

for (const [label, mode] of MODES) {
  Deno.test({
    name: `${label}: SCM_CREDENTIALS through syd claim no id the namespace does not map`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(async (dir) => {
        // The host's receiver (under a plain syd: no namespace, nothing performed).
        const receiver = new Deno.Command(`${Deno.cwd()}/syd`, {
          args: ["-poff", "--", ATTACK, "credrecv", `${dir}/rw/dsock`, "3"],
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(60_000),
        }).spawn();
        for (let i = 0; i < 200; i++) {
          try {
            Deno.statSync(`${dir}/rw/dsock`);
            break;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        const sends: [string, string, string][] = [];
        for (const ids of [["1000", "1000"], ["0", "1000"], ["0", "0"]]) {
          sends.push(...verdicts(await attack(dir, mode, ["credsend", "/rw/dsock", ...ids])));
        }
        const received = await receiver.output();
        const got = new TextDecoder().decode(received.stdout).split("\n")
          .filter((line) => line.startsWith("got "));
        assert.equal(sends.length, 3);
        assert.deepEqual(sends.filter(([, verdict]) => verdict !== "stopped"), [], `${sends}`);
        // Only the own claim arrived, as root (0) of a namespace mapping 0 to 0.
        assert.equal(got.length, 1, got.join("\n"));
        assert.match(got[0], /^got claim0 pid=\d+ uid=0 gid=0$/);
        // The kernel: EINVAL (unmapped); syd: EPERM.
        for (const [, , detail] of sends.slice(0, 2)) assert.match(detail, /errno=(22|1)$/);
      });
    },
  });
}

// FOUND, FIXED NS2-2: /proc/PID/status (and /proc/PID/task/TID/status), which syd opens itself and
// serves masked (handlers/procfs.zig `serve`, in every mode, `-p off` too), shows the Uid, Gid
// and Groups lines as syd's user namespace (the host's) maps them, not the sandbox's: the
// kernel formats them for the opener's namespace (the file's f_cred). Run by a user 1000 with
// `root/map:1`, the sandbox is uid 0 (getresuid, `id`) but its status says `Uid: 1000 ...`; run
// with a supplementary group the namespace does not map (1234), getgroups says 65534 and status
// says 1234. The original 3.59 shows 0 and 65534. Fix: rewrite those lines through
// namespaces.id_map (unmapped: the overflow ids) when serving.
for (const [label, mode] of MODES) {
  Deno.test({
    name: `${label}: /proc/self/status names ids as the sandbox's user namespace does`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(async (dir) => {
        // A supplementary group the namespace does not map.
        const groups = await run("setpriv", [
          "--groups",
          "0,1234",
          "--regid",
          "0",
          SYD,
          ...lockOff(["-poff", ...mode, ...container(dir), "--", "/h/attack_ns2", "status"]),
        ]);
        assert.deepEqual(
          verdicts(groups).filter(([, verdict]) => verdict !== "stopped"),
          [],
          groups.stdout,
        );
        assert.equal(verdicts(groups).length, 2, groups.stdout);
        // An unprivileged syd with root/map: uid 0 inside, 65534 outside (where the tree is
        // reachable by that user: not in a mode-0700 clone).
        if (await nobodyProblem() !== undefined) return;
        const mapped = await run("setpriv", [
          "--reuid",
          "65534",
          "--regid",
          "65534",
          "--clear-groups",
          "env",
          "HOME=/tmp",
          SYD,
          ...lockOff([
            "-poff",
            ...mode,
            "-m",
            "unshare/user,pid:1",
            "-m",
            "root/map:1",
            "--",
            ATTACK,
            "status",
          ]),
        ]);
        assert.deepEqual(
          verdicts(mapped).filter(([, verdict]) => verdict !== "stopped"),
          [],
          mapped.stdout,
        );
        assert.equal(verdicts(mapped).length, 2, mapped.stdout);
      });
    },
  });
}

// FOUND, FIXED NS2-3 (the emulated run; the kernel run passes): getxattr and setxattr of
// system.posix_acl_access, which syd performs (handlers/metadata.zig `xattr`, `xattr_read`) when
// stat or chattr sandboxing is on, carry the ACL's ids as syd's user namespace (the host's) maps
// them: the sandbox reads `user:1000` and `group:1234` where the kernel shows -1 (unmapped), and
// writes an ACL naming user 4321, unmapped in its namespace (the kernel: EINVAL), which the host
// then applies to its user 4321. `unshare/user:1` alone too. The original 3.59 answers ENODATA
// to the read. Fix: translate the ACL entries through namespaces.id_map both ways (refuse an
// unmapped id on write), or leave system.posix_acl_* to the kernel.
for (const [label, mode] of MODES) {
  Deno.test({
    name: `${label}: POSIX ACLs name ids as the sandbox's user namespace does`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(async (dir) => {
        Deno.writeTextFileSync(`${dir}/rw/acl`, "a\n");
        Deno.writeTextFileSync(`${dir}/rw/acl2`, "b\n");
        const prep = await runSyd(["-poff", "--", ATTACK, "aclprep", `${dir}/rw/acl`]);
        assert.equal(prep.code, 0, prep.stderr);
        const result = await attack(dir, mode, ["acl"]);
        const found = assertAllStopped(result, 2);
        assert.equal(found[0][2], "len=52 errno=0 entries=1:-1,2:-1,4:-1,8:-1,16:-1,32:-1,");
        assert.equal(found[1][2], "user 4321 rc=-1 errno=22");
      });
    },
  });
}

for (const [label, mode] of MODES) {
  Deno.test({
    name: `${label}: a setuid+ transit names no id the namespace does not map`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(async (dir) => {
        Deno.writeTextFileSync(`${dir}/rw/root0600`, "s\n");
        Deno.chmodSync(`${dir}/rw/root0600`, 0o600);
        for (const id of ["65534", "1000"]) {
          const result = await runSyd([
            "-poff",
            ...mode,
            ...container(dir),
            "-m",
            `setuid+0:${id}`,
            "-m",
            `setgid+0:${id}`,
            "--",
            "/h/attack_ns2",
            "setid",
            id,
          ]);
          const found = verdicts(result);
          assert.deepEqual(found.map(([name, verdict]) => `${name}=${verdict}`), ["setid=stopped"]);
          // EINVAL for an id with no mapping; the process stays root of the namespace.
          assert.match(found[0][2], /setgid=-1\/22 setuid=-1\/22 res=0\/0\/0 /, found[0][2]);
          assert.equal(result.code, 0, result.stderr);
        }
      });
    },
  });
}

Deno.test({
  name: "lock:off: every namespace command at run time is EBUSY",
  ignore: ROOT_ONLY,
  fn: async () => {
    await withHost(async (dir) => {
      const commands = [
        "unshare/net:1",
        "unshare/user:0",
        "unshare/mount:0",
        "unshare/pid:0",
        "unshare/all:1",
        "unshare/time:1",
        "unshare/net,uts:0",
        "unshare/user,mount,pid:1",
        "root:/",
        "root/map:0",
        "bind+/:/rw",
        "bind-/usr:/usr",
        "bind-try+/:/rw",
        "bind^",
        "uts/host:x",
        "uts/domain:y",
        "time:0",
        "workdir:/",
        "trace/exit_wait_all:1",
        "timeout:1",
      ];
      const script = `for c in ${commands.map((c) => `'${c}'`).join(" ")}; do ` +
        `if stat /dev/syd/$c >/dev/null 2>/tmp/e; then echo "$c=0"; ` +
        `else echo "$c=$(grep -c 'resource busy' /tmp/e)"; fi; done`;
      const result = await runSyd([
        "-poff",
        "-m",
        "lock:off",
        ...container(dir),
        "--",
        "/bin/sh",
        "-c",
        script,
      ]);
      const lines = withoutRecords(result.stdout).trim().split("\n");
      assert.deepEqual(lines, commands.map((c) => `${c}=1`), result.stdout);
    });
  },
});

for (const [label, mode] of MODES) {
  for (const spawn of ["user", "user,net", "user,pid"]) {
    Deno.test({
      name: `${label}: unshare/${spawn}:1, root of the namespace against an unmapped user's files`,
      ignore: ROOT_ONLY,
      fn: async () => {
        await withHost(async (dir) => {
          const d = `${dir}/rw`;
          Deno.writeTextFileSync(`${d}/u1000`, "private\n");
          Deno.chmodSync(`${d}/u1000`, 0o600);
          Deno.writeTextFileSync(`${d}/p1000`, "pub\n");
          Deno.chmodSync(`${d}/p1000`, 0o644);
          Deno.mkdirSync(`${d}/d1000`);
          Deno.chmodSync(`${d}/d1000`, 0o755);
          Deno.writeTextFileSync(`${d}/d1000/victim`, "v\n");
          for (const name of ["u1000", "p1000", "d1000", "d1000/victim"]) {
            Deno.chownSync(`${d}/${name}`, 1000, 1000);
          }
          const result = await runSyd([
            "-poff",
            "-m",
            `unshare/${spawn}:1`,
            ...mode,
            "--",
            "/bin/sh",
            "-c",
            `cd ${d}; cat u1000; echo x >> p1000; touch d1000/new; rm -f d1000/victim; ` +
            `chmod 666 p1000; chown 0 p1000; test -w p1000 && echo W_OK; ` +
            `test -r u1000 && echo R_OK; stat -c '%u:%g' p1000 u1000 d1000`,
          ]);
          const out = withoutRecords(result.stdout).trim().split("\n");
          assert.deepEqual(out, ["65534:65534", "65534:65534", "65534:65534"], result.stdout);
          assert.equal(Deno.readTextFileSync(`${d}/p1000`), "pub\n");
          assert.equal(Deno.readTextFileSync(`${d}/d1000/victim`), "v\n");
          assert.equal(Deno.statSync(`${d}/p1000`).mode! & 0o777, 0o644);
          assert.equal(Deno.statSync(`${d}/p1000`).uid, 1000);
          assert.deepEqual(Deno.readDirSync(`${d}/d1000`).toArray().map((e) => e.name), ["victim"]);
        });
      },
    });
  }
}

// FOUND, FIXED NS2-4 (defence in depth; nothing in the sandbox reached them): the sandbox's init (pid
// 1 of its pid namespace, in its user and mount namespaces: ffi/run/spawn.zig) is a fork of syd's
// Deno process and keeps every fd it had: Deno's sqlite caches under ~/.cache/deno opened
// read-write, its socket pairs, pipes, eventfd and epoll fds. Only its being undumpable (its mm
// belongs to the host's user namespace) and hidden keeps them from the sandbox (pidfd_getfd,
// /proc/1/fd). Fix: close_range(3, ~0) in the child before it becomes the init.
Deno.test({
  name: "the container's init keeps no fd of syd's beyond stdio",
  ignore: ROOT_ONLY,
  fn: async () => {
    await withHost(async (dir) => {
      const mark = `${Math.floor(Math.random() * 9e6) + 1e6}`;
      const child = new Deno.Command(`${Deno.cwd()}/syd`, {
        args: lockOff(["-poff", ...container(dir), "--", "/bin/sh", "-c", `sleep ${mark}`]),
        stdout: "null",
        stderr: "null",
        signal: AbortSignal.timeout(60_000),
      }).spawn();
      let init = 0;
      for (let i = 0; i < 200 && init === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const sleeper = (await leftovers(`sleep ${mark}`)).find((line) =>
          line.trim().split(/\s+/)[1] === "sleep"
        );
        if (sleeper === undefined) continue;
        // Up the parents to the one numbered 1 in the namespace (sh may fork the sleep).
        let pid = Number(sleeper.trim().split(/\s+/)[0]);
        for (let up = 0; up < 4 && init === 0; up++) {
          const status = Deno.readTextFileSync(`/proc/${pid}/status`);
          if (/\nNStgid:\s+\d+\s+1\n/.test(status)) init = pid;
          pid = Number(/\nPPid:\s+(\d+)/.exec(status)![1]);
        }
      }
      let fds: string[] = [];
      try {
        assert.notEqual(init, 0, "the init was not found");
        fds = Deno.readDirSync(`/proc/${init}/fd`).toArray().map((entry) =>
          `${entry.name}->${Deno.readLinkSync(`/proc/${init}/fd/${entry.name}`)}`
        );
      } finally {
        child.kill("SIGKILL");
        await child.status;
      }
      const beyond = fds.filter((fd) => !/^[012]->/.test(fd));
      assert.deepEqual(beyond, [], fds.join("\n"));
    });
  },
});

for (const [label] of MODES) {
  for (const spawn of ["unshare/user,net:1", "unshare/net:1"]) {
    Deno.test({
      name: `${label}: ${spawn} reaches no abstract UNIX name of the host's`,
      ignore: ROOT_ONLY,
      fn: async () => {
        const name = `syd-ns2-${Math.floor(Math.random() * 9e6)}`;
        // The host's listener (under a plain syd: no namespace).
        const listener = new Deno.Command(`${Deno.cwd()}/syd`, {
          args: lockOff(["-poff", "--", ATTACK, "abslisten", name]),
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(60_000),
        }).spawn();
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const rules = label === "emulated"
          ? ["-m", "sandbox/net:on", "-m", "allow/net/connect+@**", "-m", "allow/net/bind+/***"]
          : [];
        const result = await runSyd([
          "-poff",
          "-m",
          spawn,
          ...rules,
          "--",
          ATTACK,
          "absconnect",
          name,
        ]);
        const heard = new TextDecoder().decode((await listener.output()).stdout);
        assert.deepEqual(verdicts(result).map(([n, v, d]) => `${n}=${v} ${d}`), [
          "absconnect=stopped rc=-1 errno=111",
        ]);
        assert.match(heard, /^ready\nnone\n$/);
      },
    });
  }
}

const SPAWNS: [string, (dir: string) => string[]][] = [
  ["container", (dir) => container(dir)],
  ["unshare/user:1", () => ["-m", "unshare/user:1"]],
  ["unshare/user,net:1", () => ["-m", "unshare/user,net:1"]],
  ["unshare/user,pid:1", () => ["-m", "unshare/user,pid:1"]],
];

for (const [label, spawn] of SPAWNS) {
  Deno.test({
    name: `${label}: a daemon ignoring every signal it can does not outlive syd`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(async (dir) => {
        const mark = `${Math.floor(Math.random() * 9e6) + 1e6}`;
        const started = Date.now();
        const result = await runSyd([
          "-poff",
          ...spawn(dir),
          "--",
          "/bin/sh",
          "-c",
          `setsid sh -c 'trap "" HUP TERM INT QUIT; exec sleep ${mark}' & ` +
          `(trap "" HUP TERM; sleep ${mark}.5) & sleep 0.2; echo bye`,
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /bye/);
        assert.ok(Date.now() - started < 30_000);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(await leftovers(`sleep ${mark}`), []);
      });
    },
  });
}

for (const [label, spawn] of SPAWNS) {
  Deno.test({
    name: `${label}: syd made to exit early (mem's exit action) leaves no process behind`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(async (dir) => {
        const mark = `${Math.floor(Math.random() * 9e6) + 1e6}`;
        const result = await runSyd([
          "-poff",
          "-m",
          "sandbox/mem:on",
          "-m",
          "mem/max:64M",
          "-m",
          "default/mem:exit",
          ...spawn(dir),
          "--",
          "/bin/sh",
          "-c",
          `(trap '' HUP TERM; exec sleep ${mark}) & sleep 0.3; ` +
          `/usr/bin/python3 -c 'b=bytearray(200*1024*1024)'; sleep 1; echo still-here`,
        ]);
        assert.equal(result.code, 12, result.stderr); // ENOMEM: syd's exit
        assert.doesNotMatch(result.stdout, /still-here/);
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.deepEqual(await leftovers(`sleep ${mark}`), []);
      });
    },
  });
}

for (const [label, spawn] of SPAWNS) {
  Deno.test({
    name: `${label}: timeout: ends a container whose daemon ignores signals, nothing left`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(async (dir) => {
        const mark = `${Math.floor(Math.random() * 9e6) + 1e6}`;
        const started = Date.now();
        const result = await runSyd([
          "-poff",
          "-m",
          "timeout:2",
          ...spawn(dir),
          "--",
          "/bin/sh",
          "-c",
          `setsid sh -c 'trap "" HUP TERM INT; exec sleep ${mark}' & sleep 1000`,
        ]);
        assert.equal(result.code, 124, result.stderr);
        assert.ok(Date.now() - started < 20_000);
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.deepEqual(await leftovers(`sleep ${mark}`), []);
      });
    },
  });
}

Deno.test({
  name: "unshare/user,pid:1 with trace/exit_wait_all:1 waits for the command's children",
  ignore: ROOT_ONLY,
  fn: async () => {
    const result = await runSyd([
      "-poff",
      "-m",
      "unshare/user,pid:1",
      "-m",
      "trace/exit_wait_all:1",
      "--",
      "/bin/sh",
      "-c",
      "(sleep 1; echo child-done) & echo bye",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(withoutRecords(result.stdout).trim().split("\n"), ["bye", "child-done"]);
  },
});
