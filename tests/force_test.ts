/**
 * End-to-end tests of the original's `trace/force_*` hardenings and `trace/deny_dotdot` (syd.2):
 * each off by default, set with `-m` or changed at run time through /dev/syd, and acting with
 * every category off (`-p off`), where syd then performs the calls it would continue.
 */
import assert from "node:assert/strict";
import { helper, PY_ATTEMPT, records, runSyd, tempDir } from "./_syd.ts";

/** Runs `fn` with a new directory (its real path), removed afterwards. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = Deno.realPathSync(tempDir("syd-force-"));
  try {
    await fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** `PY_ATTEMPT` with `d`, the first argument, and `toggle(cmd)`, a /dev/syd command. */
const PRELUDE = `${PY_ATTEMPT}
d = sys.argv[1]
def toggle(cmd):
    os.stat("/dev/syd/" + cmd)
`;

Deno.test("trace/force_ro_open refuses opens that write, create or truncate (EPERM); off by default", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "data\n");
    const script = `${PRELUDE}
def opens(tag):
    attempt(tag + " read", lambda: os.close(os.open(d + "/file", os.O_RDONLY)))
    attempt(tag + " write", lambda: os.close(os.open(d + "/file", os.O_WRONLY)))
    attempt(tag + " append", lambda: os.close(os.open(d + "/file", os.O_RDWR | os.O_APPEND)))
    attempt(tag + " create", lambda: os.close(os.open(d + "/new-" + tag, os.O_RDONLY | os.O_CREAT, 0o600)))
    attempt(tag + " trunc", lambda: os.close(os.open(d + "/file", os.O_RDONLY | os.O_TRUNC)))
opens("off")
toggle("trace/force_ro_open:1")
opens("on")
toggle("trace/force_ro_open:0")
opens("again")
`;
    const result = await runSyd([
      "-p",
      "off",
      "-m",
      "lock:exec",
      "--",
      "python3",
      "-c",
      script,
      dir,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const expected = (tag: string, errno: string) =>
      ["read OK", "write", "append", "create", "trunc"].map((what) =>
        what === "read OK" ? `${tag} read OK` : `${tag} ${what} ${errno}`
      );
    assert.deepEqual(result.stdout.trim().split("\n"), [
      ...expected("off", "OK"),
      ...expected("on", "EPERM"),
      ...expected("again", "OK"),
    ]);
    assert.equal(await Deno.readTextFile(`${dir}/file`), ""); // truncated by the opens allowed
    // Set on the command line, it holds from the start.
    const fixed = await runSyd([
      "-p",
      "off",
      "-m",
      "trace/force_ro_open:1",
      "--",
      "sh",
      "-c",
      `echo x > ${dir}/file`,
    ]);
    assert.notEqual(fixed.code, 0);
    assert.match(fixed.stderr, /Operation not permitted/);
  });
});

Deno.test("trace/force_wx_open refuses writing executable files and creating them (EPERM); off by default", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/prog`, "#!/bin/sh\n", { mode: 0o755 });
    await Deno.chmod(`${dir}/prog`, 0o755);
    await Deno.writeTextFile(`${dir}/data`, "data\n");
    const script = `${PRELUDE}
def opens(tag):
    attempt(tag + " read prog", lambda: os.close(os.open(d + "/prog", os.O_RDONLY)))
    attempt(tag + " write prog", lambda: os.close(os.open(d + "/prog", os.O_WRONLY | os.O_APPEND)))
    attempt(tag + " trunc prog", lambda: os.close(os.open(d + "/prog", os.O_WRONLY | os.O_TRUNC)))
    attempt(tag + " write data", lambda: os.close(os.open(d + "/data", os.O_WRONLY | os.O_APPEND)))
    attempt(tag + " create exec", lambda: os.close(os.open(d + "/x-" + tag, os.O_WRONLY | os.O_CREAT, 0o755)))
    attempt(tag + " create plain", lambda: os.close(os.open(d + "/p-" + tag, os.O_WRONLY | os.O_CREAT, 0o644)))
toggle("trace/force_wx_open:1")
opens("on")
toggle("trace/force_wx_open:0")
opens("off")
`;
    const result = await runSyd([
      "-p",
      "off",
      "-m",
      "lock:exec",
      "--",
      "python3",
      "-c",
      script,
      dir,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      [
        "on read prog OK",
        "on write prog EPERM",
        "on trunc prog EPERM",
        "on write data OK",
        "on create exec EPERM",
        "on create plain OK",
        "off read prog OK",
        "off write prog OK",
        "off trunc prog OK",
        "off write data OK",
        "off create exec OK",
        "off create plain OK",
        "",
      ].join("\n"),
    );
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["data", "p-off", "p-on", "prog", "x-off"]);
  });
});

Deno.test("trace/force_cloexec hands every fd syd performs close-on-exec: opens, memfd, eventfd, epoll, inotify, timerfd, signalfd, accept, socket, socketpair", async () => {
  await withDir(async (dir) => {
    const calls = [
      "open",
      "openat",
      "creat",
      "memfd_create",
      "eventfd",
      "epoll_create1",
      "inotify_init1",
      "timerfd_create",
      "signalfd",
      "accept",
      "accept4",
      "socket",
      "socketpair",
    ];
    const plain = await runSyd(["-p", "off", "--", helper("fd_cloexec"), dir]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, calls.map((call) => `${call} 0\n`).join(""));
    Deno.removeSync(`${dir}/sock`);
    // Fixed at start with the sandbox locked: the calls are trapped all the same.
    const forced = await runSyd([
      "-p",
      "off",
      "-m",
      "trace/force_cloexec:1",
      "-m",
      "lock:on",
      "--",
      helper("fd_cloexec"),
      dir,
    ]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.stdout, calls.map((call) => `${call} 1\n`).join(""));
    Deno.removeSync(`${dir}/sock`);
    // Turned on by the sandboxed process through /dev/syd (lock:exec): the emulators were
    // given the sockets they need before it was on.
    const toggled = await runSyd([
      "-p",
      "off",
      "-m",
      "lock:exec",
      "--",
      helper("fd_cloexec"),
      dir,
      "/dev/syd/trace/force_cloexec:1",
    ]);
    assert.equal(toggled.code, 0, toggled.stderr);
    assert.equal(toggled.stdout, calls.map((call) => `${call} 1\n`).join(""));
  });
});

Deno.test("trace/force_no_symlinks and force_no_magiclinks refuse links in path resolution (ELOOP)", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "hello\n");
    await Deno.symlink("file", `${dir}/sym`);
    await Deno.symlink(".", `${dir}/dirsym`);
    const script = `${PRELUDE}
def walks(tag):
    attempt(tag + " stat file", lambda: os.stat(d + "/file"))
    attempt(tag + " lstat sym", lambda: os.lstat(d + "/sym"))
    attempt(tag + " stat sym", lambda: os.stat(d + "/sym"))
    attempt(tag + " open via dirsym", lambda: os.close(os.open(d + "/dirsym/file", os.O_RDONLY)))
    attempt(tag + " readlink exe", lambda: os.readlink("/proc/self/exe"))
    attempt(tag + " lstat fd", lambda: os.lstat("/proc/self/fd/0"))
    attempt(tag + " lstat self", lambda: os.lstat("/proc/self"))
    attempt(tag + " stat self", lambda: os.stat("/proc/self"))
walks("off")
toggle("trace/force_no_symlinks:1")
walks("nosym")
toggle("trace/force_no_symlinks:0")
toggle("trace/force_no_magiclinks:1")
walks("nomagic")
toggle("trace/force_no_magiclinks:0")
walks("again")
`;
    const result = await runSyd([
      "-p",
      "off",
      "-m",
      "lock:exec",
      "--",
      "python3",
      "-c",
      script,
      dir,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split("\n");
    const of = (tag: string) =>
      lines.filter((l) => l.startsWith(`${tag} `)).map((l) => l.slice(tag.length + 1));
    const all = (errno: string) => [
      "stat file OK",
      `lstat sym ${errno}`,
      `stat sym ${errno}`,
      `open via dirsym ${errno}`,
      `readlink exe ${errno}`,
      `lstat fd ${errno}`,
      "lstat self OK",
      `stat self ${errno}`,
    ];
    assert.deepEqual(of("off"), all("OK"));
    assert.deepEqual(of("nosym"), all("ELOOP"));
    assert.deepEqual(of("nomagic"), [
      "stat file OK",
      "lstat sym OK",
      "stat sym OK",
      "open via dirsym OK",
      "readlink exe ELOOP",
      "lstat fd ELOOP",
      "lstat self OK",
      "stat self OK", // /proc/self is no magic link
    ]);
    assert.deepEqual(of("again"), all("OK"));
  });
});

Deno.test("trace/force_no_xdev refuses paths that cross a mount from where they start (EXDEV)", async () => {
  const script = `${PRELUDE}
def paths(tag):
    attempt(tag + " open /etc/hostname", lambda: os.close(os.open("/etc/hostname", os.O_RDONLY)))
    attempt(tag + " open /dev/null", lambda: os.close(os.open("/dev/null", os.O_RDONLY)))
    attempt(tag + " stat /proc/self/status", lambda: os.stat("/proc/self/status"))
    attempt(tag + " stat /proc", lambda: os.stat("/proc"))
    attempt(tag + " stat /proc/..", lambda: os.stat("/proc/.."))
os.chdir("/")
paths("off")
toggle("trace/force_no_xdev:1")
paths("on")
attempt("on chdir /proc", lambda: os.chdir("/proc"))
toggle("trace/force_no_xdev:0")
os.chdir("/proc")
toggle("trace/force_no_xdev:1")
attempt("on in /proc: self/status", lambda: os.stat("self/status"))
attempt("on in /proc: ../etc", lambda: os.stat("../etc"))
toggle("trace/force_no_xdev:0")
os.chdir("/")
paths("again")
`;
  const result = await runSyd(["-p", "off", "-m", "lock:exec", "--", "python3", "-c", script, "/"]);
  assert.equal(result.code, 0, result.stderr);
  const same = (tag: string, errno: string) => [
    `${tag} open /etc/hostname OK`,
    `${tag} open /dev/null ${errno}`,
    `${tag} stat /proc/self/status ${errno}`,
    `${tag} stat /proc ${errno}`,
    `${tag} stat /proc/.. ${errno}`, // through /proc: crossed, as the kernel's RESOLVE_NO_XDEV
  ];
  assert.deepEqual(result.stdout.trim().split("\n"), [
    ...same("off", "OK"),
    ...same("on", "EXDEV"),
    "on chdir /proc EXDEV",
    "on in /proc: self/status OK",
    "on in /proc: ../etc EXDEV",
    ...same("again", "OK"),
  ]);
});

Deno.test("trace/deny_dotdot refuses `..` in the paths of opens and chdir (EPERM), not of stat", async () => {
  await withDir(async (dir) => {
    Deno.mkdirSync(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/file`, "hello\n");
    const script = `${PRELUDE}
def paths(tag):
    os.chdir(d + "/sub")
    attempt(tag + " open ../file", lambda: os.close(os.open("../file", os.O_RDONLY)))
    attempt(tag + " open sub/../file", lambda: os.close(os.open(d + "/sub/../file", os.O_RDONLY)))
    attempt(tag + " open file", lambda: os.close(os.open(d + "/file", os.O_RDONLY)))
    attempt(tag + " stat ../file", lambda: os.stat("../file"))
    attempt(tag + " chdir ..", lambda: os.chdir(".."))
paths("off")
toggle("trace/deny_dotdot:1")
paths("on")
`;
    const result = await runSyd([
      "-p",
      "off",
      "-m",
      "lock:exec",
      "--",
      "python3",
      "-c",
      script,
      dir,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      [
        "off open ../file OK",
        "off open sub/../file OK",
        "off open file OK",
        "off stat ../file OK",
        "off chdir .. OK",
        "on open ../file EPERM",
        "on open sub/../file EPERM",
        "on open file OK",
        "on stat ../file OK",
        "on chdir .. EPERM",
        "",
      ].join("\n"),
    );
  });
});

Deno.test("the force options are accepted by syd lint and shown by the policy dump", async () => {
  const options = [
    "trace/deny_dotdot:1",
    "trace/force_cloexec:1",
    "trace/force_ro_open:1",
    "trace/force_wx_open:1",
    "trace/force_no_symlinks:1",
    "trace/force_no_magiclinks:1",
    "trace/force_no_xdev:1",
  ];
  const linted = await runSyd(["lint", ...options.flatMap((o) => ["-m", o])]);
  assert.equal(linted.code, 0, linted.stdout + linted.stderr);
  const dumped = await runSyd(["lint", "--dump", ...options.flatMap((o) => ["-m", o])]);
  assert.equal(dumped.code, 0, dumped.stderr);
  for (const option of options) assert.ok(dumped.stdout.includes(option), option);
  // The read of /dev/syd reports them too.
  const read = await runSyd([
    "-p",
    "off",
    "-m",
    "trace/force_cloexec:1",
    "-m",
    "lock:exec",
    "--",
    "sh",
    "-c",
    "exec cat /dev/syd",
  ]);
  assert.equal(read.code, 0, read.stderr);
  assert.equal(JSON.parse(read.stdout).force_cloexec, true);
  assert.equal(records(read.stderr).filter((r) => r.level === "error").length, 0);
});
