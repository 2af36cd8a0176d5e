/**
 * End-to-end tests of Lock sandboxing (Landlock), as the original syd 3.59 behaves in its
 * non-trusted build: `sandbox/lock` on by default (the `off` and `trace` profiles turn it off),
 * `allow/lock/<rights>{+,-,^}ARG` (paths, or TCP ports for bind and connect), `default/lock`
 * (kill, deny or warn: how an apply-time problem is met), /proc and /dev/null always granted.
 * Landlock binds syd's own emulator threads too: an open syd performs for the sandbox (a
 * category judged by seccomp, such as `sandbox/read:on`) is refused by the kernel where the lock
 * rules forbid it. Every expectation here was first checked against the original
 * (/work/orig/build/bin/syd, Landlock ABI 7). The helpers tests/helpers/lock_fs.c and
 * lock_net.c print one `label=OK` or `label=ERRNO` line per call they make.
 */
import assert from "node:assert/strict";
import {
  helper,
  type Outcome,
  ROOT,
  type RunOptions,
  runSyd as runSydAsIs,
  values,
  withoutRecords,
} from "./_syd.ts";

/** `./syd ARGS` with Lock sandboxing as the arguments leave it (on at first). */
function runSyd(args: string[], options: RunOptions = {}): Promise<Outcome> {
  return runSydAsIs(args, { ...options, landlock: true });
}

/** Where tools/test.sh puts the helper programs: the sandbox must be let read and run them. */
const HELPERS = `${ROOT}tests/helpers/bin`;

/** Lock sandboxing alone: every seccomp category off (`-p off`), then `sandbox/lock:on`. */
const LOCK = ["-q", "-poff", "-m", "sandbox/lock:on"];

/** The directories programs and their libraries are run from, those that exist here. */
const SYSTEM_DIRS = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"].filter((dir) => {
  try {
    Deno.statSync(dir);
    return true;
  } catch {
    return false;
  }
});

/** `-m` options granting read and exec on the system's program directories and the helpers. */
const SYSTEM = [...SYSTEM_DIRS, HELPERS].flatMap((dir) => ["-m", `allow/lock/read,exec+${dir}`]);

/** Each command as a `-m` option. */
function commands(list: string[]): string[] {
  return list.flatMap((command) => ["-m", command]);
}

/** Runs PROGRAM ARGS under `-p off`, sandbox/lock on, the system rules and RULES. */
async function locked(
  rules: string[],
  program: string,
  args: string[] = [],
  cwd?: string,
): Promise<Outcome> {
  return await runSyd([...LOCK, ...SYSTEM, ...commands(rules), "--", program, ...args], { cwd });
}

/**
 * Runs lock_fs under the options (after `-p off` and the system rules) with OPS
 * (`label=op:path[:path2]`): its `label=RESULT` pairs. It must exit 0.
 */
async function fsCalls(options: string[], ops: string[]): Promise<Record<string, string>> {
  const outcome = await runSyd([...LOCK, ...SYSTEM, ...options, "--", helper("lock_fs"), ...ops]);
  assert.equal(outcome.code, 0, outcome.stderr);
  return Object.fromEntries(values(outcome.stdout));
}

/** Runs lock_net under the lock rules with OPS (`label=bind:PORT`, `label=connect:PORT`). */
async function netCalls(rules: string[], ops: string[]): Promise<Record<string, string>> {
  const outcome = await locked(rules, helper("lock_net"), ops);
  assert.equal(outcome.code, 0, outcome.stderr);
  return Object.fromEntries(values(outcome.stdout));
}

/** Runs `fn` with a new directory under /tmp (its real path), removed afterwards. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = Deno.realPathSync(Deno.makeTempDirSync({ dir: "/tmp", prefix: "syd-landlock-" }));
  try {
    await fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Fills DIR for the file system tests: `f` ("data\n"), an empty `sub/`, `a/f` and `b/`, `prog` (a copy of true). */
function populate(dir: string): void {
  Deno.writeTextFileSync(`${dir}/f`, "data\n");
  Deno.mkdirSync(`${dir}/sub`);
  Deno.mkdirSync(`${dir}/a`);
  Deno.mkdirSync(`${dir}/b`);
  Deno.writeTextFileSync(`${dir}/a/f`, "moved\n");
  Deno.copyFileSync("/usr/bin/true", `${dir}/prog`);
  Deno.chmodSync(`${dir}/prog`, 0o755);
}

/** One lock_fs call of every kind on a directory `populate` filled. */
function everyCall(dir: string): string[] {
  return [
    `read=read:${dir}/f`,
    `append=append:${dir}/f`,
    `otrunc=otrunc:${dir}/f`,
    `truncate=truncate:${dir}/f`,
    `create=create:${dir}/new`,
    `list=list:${dir}`,
    `mkdir=mkdir:${dir}/m`,
    `rmdir=rmdir:${dir}/sub`,
    `mkfifo=mkfifo:${dir}/fifo`,
    `symlink=symlink:target:${dir}/link`,
    `exec=exec:${dir}/prog`,
    `rename=rename:${dir}/a/f:${dir}/b/f`,
    `unlink=unlink:${dir}/f`,
  ];
}

/** The labels of `everyCall`. */
const EVERY = [
  "read",
  "append",
  "otrunc",
  "truncate",
  "create",
  "list",
  "mkdir",
  "rmdir",
  "mkfifo",
  "symlink",
  "exec",
  "rename",
  "unlink",
];

/** What `everyCall` shows when just the calls in OK succeed, RENAME being rename's answer otherwise. */
function expectOnly(ok: string[], rename = "EACCES"): Record<string, string> {
  return Object.fromEntries(
    EVERY.map((
      label,
    ) => [label, ok.includes(label) ? "OK" : label === "rename" ? rename : "EACCES"]),
  );
}

/** The host's /etc/hostname, which the tests read as "a file outside the rules". */
const HOSTNAME = Deno.readTextFileSync("/etc/hostname");

/**
 * Ports on 127.0.0.1 nobody listens on: COUNT consecutive ones from a random base above 20000
 * (each was bound and let go here, so the sandbox's binds and refused connects are its own).
 */
function freePorts(count: number): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (60_000 - 20_000 - count));
    const held: Deno.Listener[] = [];
    try {
      for (let port = base; port < base + count; port++) {
        held.push(Deno.listen({ hostname: "127.0.0.1", port }));
      }
      return base;
    } catch {
      // one is taken: try another base
    } finally {
      for (const listener of held) listener.close();
    }
  }
  throw new Error(`no ${count} free consecutive ports found`);
}

// Original: `-poff -m sandbox/lock:on` + read,exec on /usr and /lib: `cat /etc/hostname` gives
// `Permission denied` (rc 1); adding allow/lock/read+/etc prints it (rc 0); a rule on one file
// grants that file only; a relative path is resolved from syd's cwd; `/etc/` works.
Deno.test("lock rules decide what may be read: outside them EACCES, a directory rule covers its tree, a file rule the file only", async () => {
  await withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/public`, "public\n");
    Deno.writeTextFileSync(`${dir}/secret`, "secret\n");
    Deno.mkdirSync(`${dir}/deep/er`, { recursive: true });
    Deno.writeTextFileSync(`${dir}/deep/er/file`, "deep\n");
    const outside = await locked([], "cat", ["/etc/hostname"]);
    assert.equal(outside.code, 1, outside.stderr);
    assert.equal(outside.stdout, "");
    assert.match(withoutRecords(outside.stderr), /cat: \/etc\/hostname: Permission denied/);
    const granted = await locked(["allow/lock/read+/etc"], "cat", ["/etc/hostname"]);
    assert.equal(granted.code, 0, granted.stderr);
    assert.equal(granted.stdout, HOSTNAME);
    const slash = await locked(["allow/lock/read+/etc/"], "cat", ["/etc/hostname"]);
    assert.equal(slash.code, 0, slash.stderr);
    assert.equal(slash.stdout, HOSTNAME);
    const calls = [
      `public=read:${dir}/public`,
      `secret=read:${dir}/secret`,
      `deep=read:${dir}/deep/er/file`,
      `etc=read:/etc/hostname`,
    ];
    assert.deepEqual(await fsCalls(commands([`allow/lock/read+${dir}`]), calls), {
      public: "OK",
      secret: "OK",
      deep: "OK",
      etc: "EACCES",
    });
    assert.deepEqual(await fsCalls(commands([`allow/lock/read+${dir}/public`]), calls), {
      public: "OK",
      secret: "EACCES",
      deep: "EACCES",
      etc: "EACCES",
    });
    // A relative path is taken from syd's own working directory.
    const relative = await locked(["allow/lock/read+public"], "cat", [`${dir}/public`], dir);
    assert.equal(relative.code, 0, relative.stderr);
    assert.equal(relative.stdout, "public\n");
  });
});

// Original: with sandbox/read (and the other path categories) on and allow-all rules, the opens,
// creations, renames... that syd performs for the sandbox fail EACCES (EXDEV for the rename)
// wherever the lock rules forbid them; with sandbox/lock:off the same calls all succeed.
Deno.test("the second wall: calls syd performs for the sandbox (seccomp categories on, all allowed) are refused by Landlock too", async () => {
  const categories = "read,write,create,delete,rename,truncate,readdir,mkdir,rmdir,symlink,mkfifo";
  const seccomp = commands([`sandbox/${categories}:on`, `allow/${categories}+/***`]);
  // The brief's case: syd opens /etc/hostname for cat, in a domain that only has /usr and /lib.
  const read = await runSyd([
    ...LOCK,
    ...SYSTEM,
    ...commands(["sandbox/read:on", "allow/read+/***"]),
    "--",
    "cat",
    "/etc/hostname",
  ]);
  assert.equal(read.code, 1, read.stderr);
  assert.equal(read.stdout, "");
  assert.match(withoutRecords(read.stderr), /cat: \/etc\/hostname: Permission denied/);
  const granted = await runSyd([
    ...LOCK,
    ...SYSTEM,
    ...commands(["sandbox/read:on", "allow/read+/***", "allow/lock/read+/etc"]),
    "--",
    "cat",
    "/etc/hostname",
  ]);
  assert.equal(granted.code, 0, granted.stderr);
  assert.equal(granted.stdout, HOSTNAME);
  const calls = (dir: string) => [
    `read=read:${dir}/f`,
    `list=list:${dir}`,
    `append=append:${dir}/f`,
    `otrunc=otrunc:${dir}/f`,
    `create=create:${dir}/new`,
    `mkdir=mkdir:${dir}/m`,
    `symlink=symlink:target:${dir}/link`,
    `mkfifo=mkfifo:${dir}/fifo`,
    `rename=rename:${dir}/a/f:${dir}/b/f`,
    `unlink=unlink:${dir}/f`,
    `etc=read:/etc/hostname`,
  ];
  const labels = calls("").map((call) => call.slice(0, call.indexOf("=")));
  const only = (ok: string[], rename = "EACCES") =>
    Object.fromEntries(
      labels.map((l) => [l, ok.includes(l) ? "OK" : l === "rename" ? rename : "EACCES"]),
    );
  // Without Landlock the seccomp side lets every call through.
  await withDir(async (dir) => {
    populate(dir);
    const open = await runSyd([
      "-q",
      "-poff",
      "-m",
      "sandbox/lock:off",
      ...seccomp,
      "--",
      helper("lock_fs"),
      ...calls(dir),
    ]);
    assert.equal(open.code, 0, open.stderr);
    assert.deepEqual(Object.fromEntries(values(open.stdout)), only(labels));
  });
  await withDir(async (dir) => {
    populate(dir);
    assert.deepEqual(await fsCalls(seccomp, calls(dir)), only([]));
  });
  await withDir(async (dir) => {
    populate(dir);
    const rules = [...seccomp, ...commands([`allow/lock/rpath+${dir}`])];
    assert.deepEqual(await fsCalls(rules, calls(dir)), only(["read", "list"]));
  });
  await withDir(async (dir) => {
    populate(dir);
    const rules = [
      ...seccomp,
      ...commands([`allow/lock/all-x+${dir}`, `allow/lock/rename-${dir}`]),
    ];
    const all = labels.filter((l) => l !== "rename" && l !== "etc");
    assert.deepEqual(await fsCalls(rules, calls(dir)), only(all, "EXDEV"));
  });
});

// Original (each right alone on a fresh directory, lock_fs's calls): read -> read; write ->
// append; truncate -> truncate(2); create alone -> nothing (the new file's open also needs
// write); readdir -> list; mkdir, rmdir, delete (unlink), mkfifo, symlink -> their call; exec
// alone -> nothing (execve's open needs read too); read,exec -> read, exec; create,write ->
// append, create; write,truncate -> append, otrunc, truncate; rpath = read+readdir; wpath =
// write+truncate; cpath = create+delete+rename -> unlink and the cross-directory rename; all-x
// -> all but exec; all -> all.
Deno.test("each lock right grants its own calls on a directory's tree, and the aliases their sets", async () => {
  const cases: [string, string[], string?][] = [
    ["read", ["read"]],
    ["write", ["append"]],
    ["truncate", ["truncate"]],
    ["create", []],
    ["readdir", ["list"]],
    ["mkdir", ["mkdir"]],
    ["rmdir", ["rmdir"]],
    ["delete", ["unlink"]],
    ["mkfifo", ["mkfifo"]],
    ["symlink", ["symlink"]],
    ["exec", []],
    ["read,exec", ["read", "exec"]],
    ["create,write", ["append", "create"]],
    ["write,truncate", ["append", "otrunc", "truncate"]],
    ["create,delete", ["unlink"], "EXDEV"],
    ["rpath", ["read", "list"]],
    ["wpath", ["append", "otrunc", "truncate"]],
    ["cpath", ["unlink", "rename"]],
    ["all-x", EVERY.filter((label) => label !== "exec")],
    ["all", EVERY],
  ];
  for (const [rights, ok, rename] of cases) {
    await withDir(async (dir) => {
      populate(dir);
      const results = await fsCalls(commands([`allow/lock/${rights}+${dir}`]), everyCall(dir));
      assert.deepEqual(results, expectOnly(ok, rename), `allow/lock/${rights}`);
    });
  }
});

// Original: `allow/lock/write+DIR` then `echo hi > DIR/y` on an existing file is denied (O_TRUNC
// needs truncate) while `>>` appends; write,create,truncate lets a new file be written.
Deno.test("a shell's > needs write and truncate (create for a new file); >> needs write only", async () => {
  await withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/y`, "old\n");
    const truncating = await locked([`allow/lock/write+${dir}`], "sh", [
      "-c",
      `echo hi > ${dir}/y`,
    ]);
    assert.notEqual(truncating.code, 0);
    assert.match(withoutRecords(truncating.stderr), /Permission denied/);
    const appending = await locked([`allow/lock/write+${dir}`], "sh", [
      "-c",
      `echo hi >> ${dir}/y`,
    ]);
    assert.equal(appending.code, 0, appending.stderr);
    assert.equal(Deno.readTextFileSync(`${dir}/y`), "old\nhi\n");
    const creating = await locked([`allow/lock/write+${dir}`], "sh", ["-c", `echo hi > ${dir}/z`]);
    assert.notEqual(creating.code, 0);
    assert.throws(() => Deno.statSync(`${dir}/z`));
    const all = await locked([`allow/lock/write,create,truncate+${dir}`], "sh", [
      "-c",
      `echo new > ${dir}/z && echo hi > ${dir}/y`,
    ]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(Deno.readTextFileSync(`${dir}/z`), "new\n");
    assert.equal(Deno.readTextFileSync(`${dir}/y`), "hi\n");
  });
});

// Original: `allow/lock/read+/etc -- ls /etc` gives `cannot open directory '/etc': Permission
// denied`; with rpath it lists; readdir alone lists but does not let a file be read; readdir
// holds for the directories beneath too.
Deno.test("readdir and read are separate rights on a directory: ls needs readdir, cat needs read", async () => {
  await withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/f`, "data\n");
    Deno.mkdirSync(`${dir}/sub`);
    Deno.writeTextFileSync(`${dir}/sub/g`, "more\n");
    const readOnly = await locked([`allow/lock/read+${dir}`], "ls", [dir]);
    assert.equal(readOnly.code, 2, readOnly.stderr);
    assert.match(withoutRecords(readOnly.stderr), /cannot open directory .*Permission denied/);
    const listed = await locked([`allow/lock/readdir+${dir}`], "ls", [dir, `${dir}/sub`]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, `${dir}:\nf\nsub\n\n${dir}/sub:\ng\n`);
    const calls = [`file=read:${dir}/f`, `list=list:${dir}`, `sublist=list:${dir}/sub`];
    assert.deepEqual(await fsCalls(commands([`allow/lock/readdir+${dir}`]), calls), {
      file: "EACCES",
      list: "OK",
      sublist: "OK",
    });
    assert.deepEqual(await fsCalls(commands([`allow/lock/read+${dir}`]), calls), {
      file: "OK",
      list: "EACCES",
      sublist: "EACCES",
    });
    assert.deepEqual(await fsCalls(commands([`allow/lock/rpath+${dir}`]), calls), {
      file: "OK",
      list: "OK",
      sublist: "OK",
    });
  });
});

// Original: the command outside the exec rules gives `syd: exec error: Permission denied`, rc
// 13; a program run from the sandbox is refused EACCES unless its directory has read and exec.
Deno.test("exec is refused outside the exec rules: the command itself (13) and what it runs (EACCES)", async () => {
  await withDir(async (dir) => {
    Deno.copyFileSync("/usr/bin/true", `${dir}/prog`);
    Deno.chmodSync(`${dir}/prog`, 0o755);
    const first = await locked([`allow/lock/read+${dir}`], `${dir}/prog`);
    assert.equal(first.code, 13, first.stderr);
    assert.match(first.stderr, /exec error: Permission denied/);
    const allowed = await locked([`allow/lock/read,exec+${dir}`], `${dir}/prog`);
    assert.equal(allowed.code, 0, allowed.stderr);
    const run = [`prog=exec:${dir}/prog`, "true=exec:/usr/bin/true"];
    assert.deepEqual(await fsCalls(commands([`allow/lock/read+${dir}`]), run), {
      prog: "EACCES",
      true: "OK",
    });
    assert.deepEqual(await fsCalls(commands([`allow/lock/exec+${dir}`]), run), {
      prog: "EACCES",
      true: "OK",
    });
    assert.deepEqual(await fsCalls(commands([`allow/lock/read,exec+${dir}`]), run), {
      prog: "OK",
      true: "OK",
    });
  });
});

// Original: with create,delete on the tree, a rename inside a directory works, one to another
// directory fails `Invalid cross-device link` (EXDEV), one out of the tree EACCES; with cpath
// (which has rename) the move works.
Deno.test("a rename across directories is EXDEV without the rename right, EACCES out of the rules", async () => {
  await withDir(async (dir) => {
    populate(dir);
    const outside = await Deno.realPath(await Deno.makeTempDir({ dir: "/tmp" }));
    try {
      const calls = [
        `same=rename:${dir}/a/f:${dir}/a/g`,
        `out=rename:${dir}/a/g:${outside}/g`,
        `cross=rename:${dir}/a/g:${dir}/b/g`,
      ];
      assert.deepEqual(await fsCalls(commands([`allow/lock/create,delete+${dir}`]), calls), {
        same: "OK",
        out: "EACCES",
        cross: "EXDEV",
      });
      assert.equal(Deno.readTextFileSync(`${dir}/a/g`), "moved\n");
      assert.deepEqual(
        await fsCalls(commands([`allow/lock/cpath+${dir}`]), [
          `cross=rename:${dir}/a/g:${dir}/b/g`,
        ]),
        { cross: "OK" },
      );
      assert.equal(Deno.readTextFileSync(`${dir}/b/g`), "moved\n");
    } finally {
      Deno.removeSync(outside, { recursive: true });
    }
  });
});

// Original (lock_net, ports P..P+20): no rule -> every bind and connect EACCES; bind+P -> that
// port only; bind+P-(P+10) -> the range; then bind-(P+5) or bind^(P+5) takes that one out;
// bind+0-65535 -> every bind (bind no longer handled), connect still EACCES; bind+0 -> an
// ephemeral bind only; bnet = bind.
Deno.test("TCP bind: refused without a port rule; single ports, ranges, removal with - and ^, the full range", async () => {
  const base = freePorts(21);
  const p = (offset: number) => base + offset;
  const ops = [
    `b0=bind:${p(0)}`,
    `b5=bind:${p(5)}`,
    `b10=bind:${p(10)}`,
    `b20=bind:${p(20)}`,
    "eph=bind:0",
    `c0=connect:${p(0)}`,
  ];
  const denied = { b0: "EACCES", b5: "EACCES", b10: "EACCES", b20: "EACCES", eph: "EACCES" };
  assert.deepEqual(await netCalls([], ops), { ...denied, c0: "EACCES" });
  assert.deepEqual(await netCalls([`allow/lock/bind+${p(0)}`], ops), {
    ...denied,
    b0: "OK",
    c0: "EACCES",
  });
  assert.deepEqual(await netCalls([`allow/lock/bnet+${p(0)}`], ops), {
    ...denied,
    b0: "OK",
    c0: "EACCES",
  });
  const range = `allow/lock/bind+${p(0)}-${p(10)}`;
  assert.deepEqual(await netCalls([range], ops), {
    ...denied,
    b0: "OK",
    b5: "OK",
    b10: "OK",
    c0: "EACCES",
  });
  for (const op of ["-", "^"]) {
    assert.deepEqual(await netCalls([range, `allow/lock/bind${op}${p(5)}`], ops), {
      ...denied,
      b0: "OK",
      b10: "OK",
      c0: "EACCES",
    }, `bind${op}`);
  }
  assert.deepEqual(await netCalls([`allow/lock/bind+${p(20)},${p(5)}`], ops), {
    ...denied,
    b5: "OK",
    b20: "OK",
    c0: "EACCES",
  });
  assert.deepEqual(await netCalls(["allow/lock/bind+0"], ops), {
    ...denied,
    eph: "OK",
    c0: "EACCES",
  });
  assert.deepEqual(await netCalls(["allow/lock/bind+0-65535"], ops), {
    b0: "OK",
    b5: "OK",
    b10: "OK",
    b20: "OK",
    eph: "OK",
    c0: "EACCES",
  });
});

// Original: connect to 127.0.0.1:P with no rule -> EACCES; connect+P, cnet+P, inet+P -> let
// through (ECONNREFUSED where nobody listens); net+P-(P+10) then net-P takes P out of both;
// connect+0-65535 -> every connect (connect no longer handled), binds still EACCES.
Deno.test("TCP connect: refused without a port rule; connect, cnet, inet and net ports, ranges and removal", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const listening = (listener.addr as Deno.NetAddr).port;
    const base = freePorts(11);
    const ops = [
      `served=connect:${listening}`,
      `c0=connect:${base}`,
      `c5=connect:${base + 5}`,
      `b0=bind:${base}`,
      `b5=bind:${base + 5}`,
    ];
    const denied = { served: "EACCES", c0: "EACCES", c5: "EACCES", b0: "EACCES", b5: "EACCES" };
    assert.deepEqual(await netCalls([], ops), denied);
    for (const name of ["connect", "cnet"]) {
      assert.deepEqual(await netCalls([`allow/lock/${name}+${listening},${base}`], ops), {
        ...denied,
        served: "OK",
        c0: "ECONNREFUSED",
      }, name);
    }
    assert.deepEqual(await netCalls([`allow/lock/inet+${base},${base + 5}`], ops), {
      ...denied,
      c0: "ECONNREFUSED",
      c5: "ECONNREFUSED",
      b0: "OK",
      b5: "OK",
    });
    assert.deepEqual(
      await netCalls([`allow/lock/net+${base}-${base + 10}`, `allow/lock/net-${base}`], ops),
      { ...denied, c5: "ECONNREFUSED", b5: "OK" },
    );
    assert.deepEqual(await netCalls(["allow/lock/connect+0-65535"], ops), {
      ...denied,
      served: "OK",
      c0: "ECONNREFUSED",
      c5: "ECONNREFUSED",
    });
  } finally {
    listener.close();
  }
});

// Original: a missing path -> 2 under kill (the default) and deny; readdir (dir-only) on a file ->
// 95 under kill and deny, as all+/dev/null; `..` in a path -> 13; the command is not run.
Deno.test("apply-time errors: a missing path exits 2, dir-only rights on a file 95, a .. component 13", async () => {
  await withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/f`, "data\n");
    const cases: [string[], number][] = [
      [[`allow/lock/read+${dir}/missing`], 2],
      [["default/lock:kill", `allow/lock/read+${dir}/missing`], 2],
      [["default/lock:deny", `allow/lock/read+${dir}/missing`], 2],
      [[`allow/lock/readdir+${dir}/f`], 95],
      [["default/lock:deny", `allow/lock/readdir+${dir}/f`], 95],
      [["default/lock:deny", `allow/lock/read,readdir+${dir}/f`], 95],
      [["allow/lock/all+/dev/null"], 95],
      [[`allow/lock/read+${dir}/../${dir.split("/").pop()}`], 13],
      [["default/lock:deny", "allow/lock/read+/usr/../etc"], 13],
    ];
    for (const [rules, code] of cases) {
      const outcome = await locked(rules, "cat", [`${dir}/f`]);
      assert.equal(outcome.code, code, `${rules.join(" ")}: ${outcome.stderr}`);
      assert.equal(outcome.stdout, "", rules.join(" "));
    }
    // The log names the path it could not open.
    const missing = await locked([`allow/lock/read+${dir}/missing`], "cat", [`${dir}/f`]);
    assert.match(missing.stderr, new RegExp(`${dir}/missing`));
  });
});

// Original: `allow/lock/read+/proc/self/root/etc` (a magic link) -> ELOOP, exit 40.
Deno.test("apply-time errors: a path through a magic link exits 40 (ELOOP)", async () => {
  const outcome = await locked(["allow/lock/read+/proc/self/root/etc"], "cat", ["/etc/hostname"]);
  assert.equal(outcome.code, 40, outcome.stderr);
  assert.equal(outcome.stdout, "");
});

// Original: with default/lock:warn a missing path is skipped and the rest enforced (cat of a
// file outside: rc 1; with read on it: rc 0); read,readdir on a file keeps read (partially
// enforced) and the rest stays confined.
Deno.test("default/lock:warn skips a missing path and strips dir-only rights from a file rule, still confining", async () => {
  await withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/f`, "data\n");
    Deno.writeTextFileSync(`${dir}/g`, "other\n");
    const calls = [`f=read:${dir}/f`, `g=read:${dir}/g`, "etc=read:/etc/hostname"];
    const skipped = commands(["default/lock:warn", `allow/lock/read+${dir}/missing`]);
    assert.deepEqual(await fsCalls(skipped, calls), { f: "EACCES", g: "EACCES", etc: "EACCES" });
    const rest = commands([
      "default/lock:warn",
      `allow/lock/read+${dir}/missing`,
      `allow/lock/read+${dir}/f`,
    ]);
    assert.deepEqual(await fsCalls(rest, calls), { f: "OK", g: "EACCES", etc: "EACCES" });
    const stripped = commands(["default/lock:warn", `allow/lock/read,readdir+${dir}/f`]);
    assert.deepEqual(await fsCalls(stripped, calls), { f: "OK", g: "EACCES", etc: "EACCES" });
    // A file rule of file rights only is fine under the default kill.
    const fileRights = commands([`allow/lock/read,write,truncate,ioctl+${dir}/f`]);
    assert.deepEqual(await fsCalls(fileRights, calls), { f: "OK", g: "EACCES", etc: "EACCES" });
  });
});

// Original: each of these exits 22 (EINVAL) before running anything; `sandbox/lock:` (empty)
// exits 2; allow/lock after lock:on, or an addition after lock:drop, exits 1 (EPERM) while a
// removal after lock:drop is accepted.
Deno.test("bad lock commands: syntax errors exit 22, an empty sandbox/lock value 2, a locked sandbox 1", async () => {
  const invalid = [
    "allow/lock/READ+/tmp",
    "allow/lock/read, write+/tmp",
    "allow/lock/bogus+/tmp",
    "allow/lock/read+",
    "allow/lock/read:/tmp",
    "allow/lock/all-x",
    "allow/lock/bind+70000",
    "allow/lock/bind+65536",
    "allow/lock/bind+2000-1000",
    "allow/lock/bind+rel",
    "allow/lock/inet+/tmp",
    "allow/lock/cnet+/tmp",
    "@foo/allow/lock/read+/tmp",
    "default/lock:Warn",
    "default/lock:allow",
    "default/lock:filter",
    "log/lock/bogus:1",
    "log/lock/same_exec_off:maybe",
    "sandbox/lock:maybe",
  ];
  for (const command of invalid) {
    const outcome = await locked([command], "echo", ["ran"]);
    assert.equal(outcome.code, 22, `${command}: ${outcome.stderr}`);
    assert.equal(outcome.stdout, "", command);
  }
  const empty = await locked(["sandbox/lock:"], "echo", ["ran"]);
  assert.equal(empty.code, 2, empty.stderr);
  const afterLock = await locked(["lock:on", "allow/lock/read+/tmp"], "echo", ["ran"]);
  assert.equal(afterLock.code, 1, afterLock.stderr);
  const afterDrop = await locked(["lock:drop", "allow/lock/read+/tmp"], "echo", ["ran"]);
  assert.equal(afterDrop.code, 1, afterDrop.stderr);
  const removal = await locked(["lock:drop", "allow/lock/read-/tmp"], "echo", ["ran"]);
  assert.equal(removal.code, 0, removal.stderr);
  assert.equal(removal.stdout, "ran\n");
});

// Original: all accepted (rc 0 with `true`): a list in default/, every log/lock flag (also
// log_-prefixed), removing what is not there, every alias, bind/connect paths (MakeSock and
// ResolveUnix; connect's is ignored below ABI 9), `sandbox/lock,list:on` (the original's `sandbox/lock,pid:on`: PID sandboxing is not here yet), case-insensitive bools.
Deno.test("good lock commands are accepted", async () => {
  const good = [
    "default/lock,read:warn",
    "log/lock/same_exec_off,new_exec_on:1",
    "log/lock/log_subdomains_off:true",
    "allow/lock/read-/nonexistent",
    "allow/lock/read^/nonexistent",
    "allow/lock/all-x+/tmp",
    "allow/lock/rpath,wpath,cpath,dpath,spath,tpath+/tmp",
    "allow/lock/ioctl,mkbdev,mkcdev+/tmp",
    "allow/lock/read+//etc",
    "allow/lock/bind+/tmp",
    "allow/lock/connect+/tmp",
    "sandbox/lock,list:on",
    "sandbox/lock:ON",
  ];
  for (const command of good) {
    const outcome = await locked([command], "true");
    assert.equal(outcome.code, 0, `${command}: ${outcome.stderr}`);
  }
});

// Original (`-m lock:off`, stat(2) of /dev/syd/CMD): sandbox/lock? OK; allow/lock/read+/tmp,
// allow/lock/read-/usr, allow/lock/bind+PORT, sandbox/lock:on and :off, default/lock:warn,
// log/lock/same_exec_off:1 all EBUSY. With Lock off (-poff) sandbox/lock? is ENOENT.
Deno.test("at run time every lock command answers EBUSY through /dev/syd; sandbox/lock? tells it is on", async () => {
  const calls = [
    "query=stat:/dev/syd/sandbox/lock?",
    "add=stat:/dev/syd/allow/lock/read+/tmp",
    "remove=stat:/dev/syd/allow/lock/read-/usr",
    "port=stat:/dev/syd/allow/lock/bind+8080",
    "on=stat:/dev/syd/sandbox/lock:on",
    "off=stat:/dev/syd/sandbox/lock:off",
    "level=stat:/dev/syd/default/lock:warn",
    "log=stat:/dev/syd/log/lock/same_exec_off:1",
  ];
  assert.deepEqual(await fsCalls(commands(["lock:off"]), calls), {
    query: "OK",
    add: "EBUSY",
    remove: "EBUSY",
    port: "EBUSY",
    on: "EBUSY",
    off: "EBUSY",
    level: "EBUSY",
    log: "EBUSY",
  });
  const off = await runSyd(["-q", "-poff", "-m", "lock:off", "--", helper("lock_fs"), calls[0]]);
  assert.equal(off.code, 0, off.stderr);
  assert.equal(off.stdout, "query=ENOENT\n");
});

// Original: `-plinux -- cat /etc/hostname` -> `syd: exec error: Permission denied`, rc 13
// (Lock is on by default, with no rule); `-m sandbox/lock:off` lets it run; -poff and -ptrace
// run; the last sandbox/lock wins; allow/lock rules are ignored (even a missing path) with
// Lock off; `-puser -- true` runs (user includes the landlock profile).
Deno.test("Lock is on by default: -plinux exits 13 until sandbox/lock:off; off and trace turn it off; user runs", async () => {
  const linux = await runSyd(["-q", "-plinux", "--", "true"]);
  assert.equal(linux.code, 13, linux.stderr);
  assert.match(linux.stderr, /exec error: Permission denied/);
  const unlocked = await runSyd(["-q", "-plinux", "-m", "sandbox/lock:off", "--", "true"]);
  assert.equal(unlocked.code, 0, unlocked.stderr);
  const off = await runSyd(["-q", "-poff", "--", "cat", "/etc/hostname"]);
  assert.equal(off.code, 0, off.stderr);
  assert.equal(off.stdout, HOSTNAME);
  const trace = await runSyd(["-q", "-ptrace", "--", "true"]);
  assert.equal(trace.code, 0, trace.stderr);
  const last = await runSyd([
    "-q",
    "-m",
    "sandbox/lock:off",
    "-poff",
    "-m",
    "sandbox/lock:on",
    "--",
    "true",
  ]);
  assert.equal(last.code, 13, last.stderr);
  const ignored = await runSyd([
    "-q",
    "-poff",
    "-m",
    "allow/lock/read+/nonexistent",
    "-m",
    "allow/lock/read+/usr",
    "--",
    "cat",
    "/etc/hostname",
  ]);
  assert.equal(ignored.code, 0, ignored.stderr);
  assert.equal(ignored.stdout, HOSTNAME);
  const user = await runSyd(["-q", "-puser", "--", "true"]);
  assert.equal(user.code, 0, user.stderr);
});

// Original: `-poff -plandlock -- cat /etc/hostname` prints it; under landlock (plus read,exec
// on the helpers) /etc is listed, a file in /tmp created, truncated and removed, /dev/zero
// read; a file outside the profile's paths is EACCES, and so is running the helpers without the
// extra rule (13).
Deno.test("the landlock profile: the system read-only, temporary directories writable, nothing else", async () => {
  const cat = await runSyd(["-q", "-poff", "-plandlock", "--", "cat", "/etc/hostname"]);
  assert.equal(cat.code, 0, cat.stderr);
  assert.equal(cat.stdout, HOSTNAME);
  const profilePaths = [
    "/etc",
    "/bin",
    "/sbin",
    "/lib",
    "/opt",
    "/usr",
    "/proc",
    "/dev",
    "/tmp",
    "/var/tmp",
  ];
  const rootCovered = profilePaths.some((path) => ROOT.startsWith(`${path}/`));
  if (!rootCovered) {
    const helpers = await runSyd([
      "-q",
      "-poff",
      "-plandlock",
      "--",
      helper("lock_fs"),
      "x=read:/",
    ]);
    assert.equal(helpers.code, 13, helpers.stderr);
  }
  await withDir(async (dir) => {
    const calls = [
      "etc=list:/etc",
      "hostname=read:/etc/hostname",
      `create=create:${dir}/new`,
      `otrunc=otrunc:${dir}/new`,
      `mkdir=mkdir:${dir}/m`,
      `unlink=unlink:${dir}/new`,
      "zero=read:/dev/zero",
      "null=append:/dev/null",
    ];
    if (!rootCovered) calls.push(`project=read:${ROOT}main.ts`);
    const results = await fsCalls(
      ["-plandlock", ...commands([`allow/lock/read,exec+${HELPERS}`])],
      calls,
    );
    assert.deepEqual(results, {
      etc: "OK",
      hostname: "OK",
      create: "OK",
      otrunc: "OK",
      mkdir: "OK",
      unlink: "OK",
      zero: "OK",
      null: "OK",
      ...(rootCovered ? {} : { project: "EACCES" }),
    });
  });
});

// Original: with no rule for them, /proc/self/status is readable and /proc listable, /dev/null
// read, written and opened O_TRUNC; /proc/self/comm cannot be written, /dev/zero read, / listed;
// removing read, readdir, write or truncate from /proc or /dev/null changes nothing.
Deno.test("/proc (read, readdir) and /dev/null (read, write, truncate) are always granted and cannot be taken away", async () => {
  const calls = [
    "status=read:/proc/self/status",
    "proc=list:/proc",
    "comm=append:/proc/self/comm",
    "null_read=read:/dev/null",
    "null_write=append:/dev/null",
    "null_trunc=otrunc:/dev/null",
    "zero=read:/dev/zero",
    "root=list:/",
  ];
  const expected = {
    status: "OK",
    proc: "OK",
    comm: "EACCES",
    null_read: "OK",
    null_write: "OK",
    null_trunc: "OK",
    zero: "EACCES",
    root: "EACCES",
  };
  assert.deepEqual(await fsCalls([], calls), expected);
  const removals = commands([
    "allow/lock/read-/proc",
    "allow/lock/readdir^/proc",
    "allow/lock/read-/dev/null",
    "allow/lock/write-/dev/null",
    "allow/lock/truncate-/dev/null",
  ]);
  assert.deepEqual(await fsCalls(removals, calls), expected);
  // The shell's everyday uses of both.
  const shell = await locked([], "sh", ["-c", "cat /proc/self/status > /dev/null && echo ok"]);
  assert.equal(shell.code, 0, shell.stderr);
  assert.equal(shell.stdout, "ok\n");
});
