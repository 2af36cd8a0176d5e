/**
 * End-to-end tests of namespaces and the container form (`unshare/*`, `root:`, `bind`, `uts/*`,
 * `time`, the `container` and `immutable` profiles), as the original syd 3.59 behaves
 * (docs/original/namespaces.md): the command runs as pid 2 of a new pid namespace whose /proc
 * shows only the sandbox, in a new root made of the binds asked for, with the host's names,
 * clocks and network kept out; rules judge the paths the sandboxed process sees.
 */
import assert from "node:assert/strict";
import {
  nobodyProblem,
  type Outcome,
  records,
  run,
  runSyd,
  tempDir,
  withoutRecords,
} from "./_syd.ts";

const ROOT_ONLY = Deno.uid() !== 0;
const CONTAINER = ["-m", "unshare/user,mount,pid:1"];

/** A root directory for `root:` with /dev, /proc, /tmp, /etc, /usr, /mnt and the usual links. */
function prepareRoot(): string {
  const dir = tempDir("syd-root-");
  for (const sub of ["dev", "proc", "tmp", "etc", "usr", "mnt"]) Deno.mkdirSync(`${dir}/${sub}`);
  for (const link of ["bin", "lib", "lib64", "sbin"]) {
    Deno.symlinkSync(`usr/${link}`, `${dir}/${link}`);
  }
  return dir;
}

/** The binds a shell needs inside a prepared root. */
const SYSTEM_BINDS = ["-m", "bind+/usr:/usr:ro,exec,symfollow", "-m", "bind+/etc:/etc:ro"];

async function inRoot(root: string, extra: string[], script: string): Promise<Outcome> {
  return await runSyd([
    "-poff",
    ...CONTAINER,
    "-m",
    `root:${root}`,
    ...SYSTEM_BINDS,
    ...extra,
    "--",
    "/bin/sh",
    "-c",
    script,
  ]);
}

function out(result: Outcome): string[] {
  return withoutRecords(result.stdout).trim().split("\n");
}

Deno.test("the command is pid 2 of a new pid namespace, and ps sees the sandbox alone", async () => {
  const root = prepareRoot();
  const result = await inRoot(root, [], 'echo "$$ $PPID"; ps -e -o pid= -o comm=; ls /proc');
  assert.equal(result.code, 0, result.stderr);
  const lines = out(result);
  assert.equal(lines[0], "2 1");
  // ps lists itself only: the init (pid 1) is hidden, and nothing of the host is there.
  const listed = lines.slice(1).filter((line) => /^\s*\d+\s/.test(line));
  assert.ok(
    listed.length >= 1 && listed.every((line) => Number(line.trim().split(/\s+/)[0]) < 50),
    lines.join("|"),
  );
  assert.ok(listed.some((line) => line.endsWith("ps")), lines.join("|"));
  assert.ok(lines.includes("self") && lines.includes("thread-self"));
  assert.ok(!lines.includes("1"), "the init is hidden from /proc");
  assert.ok(!lines.includes("sys") && !lines.includes("uptime"), "subset=pid: no kernel settings");
});

Deno.test("the new root has the binds, a private /dev with null, and nothing else of the host", async () => {
  const root = prepareRoot();
  Deno.writeTextFileSync(`${root}/tmp/inside`, "root's own\n");
  const result = await inRoot(
    root,
    [],
    "pwd; ls /; cat /tmp/inside; ls -a /dev; echo hi > /dev/null && echo null-ok; " +
      "grep -c . /proc/self/mounts; test -e /home || echo no-home; test -e /root || echo no-root",
  );
  assert.equal(result.code, 0, result.stderr);
  const lines = out(result);
  assert.equal(lines[0], "/");
  assert.ok(lines.includes("root's own"));
  assert.ok(
    lines.includes("null") && lines.includes("stdin") && lines.includes("stdout") &&
      lines.includes("stderr"),
  );
  assert.ok(
    lines.includes("null-ok") && lines.includes("no-home") && lines.includes("no-root"),
    lines.join("|"),
  );
});

Deno.test("a read-only bind makes its directory read-only inside, and a tmpfs bind is writable", async () => {
  const root = prepareRoot();
  const data = tempDir("syd-data-");
  Deno.writeTextFileSync(`${data}/file`, "data\n");
  const result = await inRoot(
    root,
    ["-m", `bind+${data}:/mnt:ro`, "-m", "bind+tmpfs:/tmp:size=1M"],
    "cat /mnt/file; echo x > /mnt/file; echo w=$?; touch /mnt/new; echo c=$?; echo y > /tmp/t && cat /tmp/t; " +
      "grep ' /mnt ' /proc/self/mounts; grep ' /tmp ' /proc/self/mounts",
  );
  assert.equal(result.code, 0, result.stderr);
  const lines = out(result);
  assert.ok(
    lines.includes("data") && lines.includes("w=2") && lines.includes("c=1") && lines.includes("y"),
    lines.join("|"),
  );
  assert.match(result.stderr, /Read-only file system/);
  const mnt = lines.find((line) => line.includes(" /mnt "))!;
  assert.match(mnt, / ro,nosuid,nodev,noexec,.*nosymfollow/);
  assert.match(
    lines.find((line) => line.startsWith("tmpfs /tmp "))!,
    /rw,nosuid,nodev,noexec,.*size=1024k/,
  );
  assert.equal(Deno.readTextFileSync(`${data}/file`), "data\n");
  assert.throws(() => Deno.statSync(`${data}/new`));
});

Deno.test("binds are noexec unless they say exec, as the original's defaults", async () => {
  const root = prepareRoot();
  const data = tempDir("syd-exec-");
  Deno.copyFileSync("/bin/true", `${data}/true`);
  const result = await inRoot(root, ["-m", `bind+${data}:/mnt`], "/mnt/true; echo rc=$?");
  assert.equal(result.code, 0, result.stderr);
  assert.ok(out(result).includes("rc=126"), result.stdout);
  const allowed = await inRoot(root, ["-m", `bind+${data}:/mnt:exec`], "/mnt/true; echo rc=$?");
  assert.ok(out(allowed).includes("rc=0"), allowed.stdout + allowed.stderr);
});

Deno.test("rules judge the paths the sandbox sees, not the host's", async () => {
  const root = prepareRoot();
  const host = await inRoot(
    root,
    [
      "-m",
      "sandbox/write,create:on",
      "-m",
      `allow/write,create+${root}/***`,
      "-m",
      "allow/write+/dev/null",
    ],
    "echo x > /tmp/f; echo rc=$?",
  );
  assert.ok(out(host).includes("rc=2"), host.stdout + host.stderr);
  const denied = records(host.stderr).find((r) => r.ctx === "access" && r.path === "/tmp/f");
  assert.ok(denied, host.stderr);
  assert.equal(denied.cwd, "/");
  const inside = await inRoot(root, [
    "-m",
    "sandbox/write,create:on",
    "-m",
    "allow/write,create+/tmp/***",
  ], "echo x > /tmp/f; echo rc=$?");
  assert.ok(out(inside).includes("rc=0"), inside.stdout + inside.stderr);
  assert.equal(Deno.readTextFileSync(`${root}/tmp/f`), "x\n");
});

Deno.test("/proc/self is the caller's own entry in the namespace's numbers, and rules name it so", async () => {
  const root = prepareRoot();
  const result = await inRoot(
    root,
    ["-m", "sandbox/read:on", "-m", "allow/read+/***", "-m", "deny/read+/proc/self/environ"],
    "grep NSpid /proc/self/status; head -c 0 /proc/self/environ; echo environ=$?; readlink /proc/self/cwd",
  );
  assert.equal(result.code, 0, result.stderr);
  const lines = out(result);
  // The sandbox's /proc shows its own pid namespace only: one number, a small one.
  assert.match(lines[0], /^NSpid:\s+\d\d?$/);
  assert.ok(lines.includes("environ=1"), lines.join("|"));
  assert.ok(lines.includes("/"));
  const denied = records(result.stderr).find((r) => r.ctx === "access" && r.cap === "read");
  assert.equal(denied?.path, "/proc/self/environ");
});

Deno.test("a missing bind source fails the start (ENOENT, exit 2); bind-try skips it with a warning", async () => {
  const root = prepareRoot();
  const missing = await inRoot(root, ["-m", "bind+/nonexistent-syd:/mnt"], "true");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nonexistent-syd->\/mnt.*No such file or directory/);
  const tried = await inRoot(
    root,
    ["-m", "bind-try+/nonexistent-syd:/mnt"],
    "echo ran",
  );
  assert.equal(tried.code, 0, tried.stderr);
  assert.ok(out(tried).includes("ran"));
  const skipped = records(tried.stderr).find((r) =>
    r.ctx === "setup_mount_namespace" && r.level === "warn"
  );
  assert.ok(skipped, tried.stderr);
  const bogus = await inRoot(root, ["-m", "bind+bogusfs:/mnt"], "true");
  assert.equal(bogus.code, 19, bogus.stderr);
});

Deno.test("a root without /proc or /dev, or missing, fails the start with ENOENT", async () => {
  for (const remove of ["proc", "dev"]) {
    const root = prepareRoot();
    Deno.removeSync(`${root}/${remove}`);
    const result = await inRoot(root, [], "true");
    assert.equal(result.code, 2, `${remove}: ${result.stderr}`);
  }
  const gone = await inRoot("/nonexistent-syd-root", [], "true");
  assert.equal(gone.code, 2, gone.stderr);
  assert.match(gone.stderr, /new root/);
});

Deno.test("workdir: is where the command starts in the new root", async () => {
  const root = prepareRoot();
  const result = await inRoot(root, ["-m", "workdir:/tmp"], "pwd");
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(out(result), ["/tmp"]);
});

Deno.test("unshare/uts sets the host name to localhost, or to uts/host and uts/domain", async () => {
  const plain = await runSyd([
    "-poff",
    "-m",
    "unshare/user,uts:1",
    "--",
    "sh",
    "-c",
    "hostname; domainname",
  ]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(out(plain)[0], "localhost");
  const named = await runSyd([
    "-poff",
    "-m",
    "unshare/user,uts:1",
    "-m",
    "uts/host:box",
    "-m",
    "uts/domain:example",
    "--",
    "sh",
    "-c",
    "hostname; domainname; cat /proc/sys/kernel/hostname",
  ]);
  assert.deepEqual(out(named), ["box", "example", "box"]);
  assert.notEqual(Deno.hostname(), "box");
});

Deno.test("unshare/net gives the sandbox a loopback of its own: the host's ports are out of reach", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    const script = `import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
c = socket.create_connection(s.getsockname()); print("loopback up")
try:
    socket.create_connection(("127.0.0.1", ${port}), timeout=2); print("host reached")
except OSError as e:
    print("host", e.errno)
`;
    const result = await runSyd([
      "-poff",
      "-m",
      "unshare/user,net:1",
      "--",
      "python3",
      "-c",
      script,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(out(result), ["loopback up", "host 111"]); // ECONNREFUSED: no such listener there
  } finally {
    listener.close();
  }
});

Deno.test("unshare/time starts the sandbox's boot clock near 0, time/boot moves it", async () => {
  const script = "cut -d' ' -f1 /proc/uptime";
  const clock = `import time; print(int(time.clock_gettime(time.CLOCK_BOOTTIME)))`;
  const fresh = await runSyd(["-poff", "-m", "unshare/user,time:1", "--", "python3", "-c", clock]);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.ok(Number(out(fresh)[0]) < 30, fresh.stdout);
  const moved = await runSyd([
    "-poff",
    "-m",
    "unshare/user,time:1",
    "-m",
    "time/boot:100000",
    "--",
    "sh",
    "-c",
    script,
  ]);
  assert.equal(moved.code, 0, moved.stderr);
  assert.ok(Number(out(moved)[0]) >= 100000, moved.stdout);
});

Deno.test("unshare/user maps syd's own uid, root/map maps it to 0, setgroups is denied", async () => {
  const result = await runSyd([
    "-poff",
    "-m",
    "unshare/user:1",
    "--",
    "sh",
    "-c",
    "id -u; cat /proc/self/uid_map /proc/self/setgroups",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const lines = out(result).map((line) => line.trim().split(/\s+/).join(" "));
  assert.deepEqual(lines, [`${Deno.uid()}`, `${Deno.uid()} ${Deno.uid()} 1`, "deny"]);
});

Deno.test({
  name: "as nobody, unshare/user with root/map:1 makes the sandbox uid 0 mapped to 65534",
  ignore: ROOT_ONLY,
  fn: async (t) => {
    const problem = await nobodyProblem();
    if (problem) return void await t.step({ name: problem, ignore: true, fn: () => {} });
    const result = await run("setpriv", [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "./syd",
      "-poff",
      "-m",
      "unshare/user,mount,pid:1",
      "-m",
      "root/map:1",
      "--",
      "sh",
      "-c",
      "id -u; cat /proc/self/uid_map; echo $$",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(out(result).map((line) => line.trim().split(/\s+/).join(" ")), [
      "0",
      "0 65534 1",
      "2",
    ]);
    // With Lock sandboxing too: an unprivileged syd joins the namespaces its init made.
    const locked = await run("setpriv", [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "./syd",
      "-poff",
      "-m",
      "unshare/user,mount,pid:1",
      "-m",
      "root/map:1",
      "-m",
      "sandbox/lock:on",
      "-m",
      "allow/lock/rpath,exec+/usr",
      "-m",
      "allow/lock/rpath+/etc",
      "--",
      "sh",
      "-c",
      "id -u; echo $$; cat /etc/hostname >/dev/null && echo etc-ok; ls /root; echo rc=$?",
    ]);
    assert.equal(locked.code, 0, locked.stderr);
    assert.deepEqual(out(locked), ["0", "2", "etc-ok", "rc=2"]);
  },
});

Deno.test("the command's exit code and signals pass through the namespace's init", async () => {
  const killed = await runSyd(["-poff", ...CONTAINER, "--", "sh", "-c", "kill -9 $$"]);
  assert.equal(killed.code, 137);
  const code = await runSyd(["-poff", ...CONTAINER, "--", "sh", "-c", "exit 7"]);
  assert.equal(code.code, 7);
  const missing = await runSyd(["-poff", ...CONTAINER, "--", "/nonexistent-syd-program"]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /No such file or directory/);
});

Deno.test("SIGTERM to syd reaches the command, not only the namespace's init", async () => {
  const child = new Deno.Command("./syd", {
    args: ["-poff", ...CONTAINER, "--", "sleep", "30"],
    stdout: "null",
    stderr: "piped",
  })
    .spawn();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  child.kill("SIGTERM");
  const status = await child.output();
  assert.equal(status.code, 143, new TextDecoder().decode(status.stderr));
});

Deno.test("when the command ends the namespace ends; trace/exit_wait_all waits for the rest", async () => {
  const script = "(sleep 1; echo late) & echo first";
  const quick = await runSyd(["-poff", ...CONTAINER, "--", "sh", "-c", script]);
  assert.deepEqual(out(quick), ["first"]);
  const waited = await runSyd([
    "-poff",
    ...CONTAINER,
    "-m",
    "trace/exit_wait_all:1",
    "--",
    "sh",
    "-c",
    script,
  ]);
  assert.deepEqual(out(waited), ["first", "late"]);
});

Deno.test("lock:exec lets the command (pid 2) use /dev/syd, not its children", async () => {
  const result = await runSyd([
    "-poff",
    ...CONTAINER,
    "-m",
    "lock:exec",
    "--",
    "sh",
    "-c",
    "test -c /dev/syd/sandbox/stat:off && echo first-ok; sh -c 'test -c /dev/syd/sandbox/stat:off && echo child-ok || echo child-refused'",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(out(result), ["first-ok", "child-refused"]);
});

Deno.test("the container and immutable profiles run a shell in new namespaces", async () => {
  const container = await runSyd([
    "-pcontainer",
    "-poff",
    "-m",
    "sandbox/lock:off",
    "--",
    "sh",
    "-c",
    "id -u; hostname; echo $$",
  ]);
  assert.equal(container.code, 0, container.stderr);
  assert.deepEqual(out(container), [`${Deno.uid()}`, "localhost", "2"]);
  const immutable = await runSyd([
    "-pimmutable",
    "-poff",
    "-m",
    "sandbox/lock:off",
    "--",
    "sh",
    "-c",
    "touch /etc/syd-x; echo etc=$?; touch /tmp/x && echo tmp-ok",
  ]);
  assert.equal(immutable.code, 0, immutable.stderr);
  assert.deepEqual(out(immutable), ["etc=1", "tmp-ok"]);
});

Deno.test("Lock sandboxing in a new root: rules name the sandbox's paths, and the kernel refuses the rest", async () => {
  const root = prepareRoot();
  Deno.writeTextFileSync(`${root}/tmp/open`, "allowed\n");
  Deno.writeTextFileSync(`${root}/secret`, "hidden\n");
  const lock = [
    "-m",
    "sandbox/lock:on",
    "-m",
    "allow/lock/rpath,exec+/usr",
    "-m",
    "allow/lock/rpath+/etc",
    "-m",
    "allow/lock/rpath+/tmp",
  ];
  // With every category off syd still performs the opens (it never continues a path it read):
  // its own threads are in the same domain, so what they open for the sandbox meets the wall.
  const result = await inRoot(root, lock, 'echo "$$"; cat /tmp/open; cat /secret; echo rc=$?');
  assert.equal(result.code, 0, result.stderr);
  // /tmp is the new root's own (the host's /tmp is not there), allowed by its name inside.
  assert.deepEqual(out(result), ["2", "allowed", "rc=1"]);
  assert.match(result.stderr, /secret: Permission denied/);
  const whole = await runSyd([
    "-puser",
    "-pcontainer",
    "--",
    "sh",
    "-c",
    "echo $$; cat /etc/shadow; echo rc=$?",
  ]);
  assert.equal(whole.code, 0, whole.stderr);
  assert.deepEqual(out(whole), ["2", "rc=1"]);
});

Deno.test("refused at start: force_cloexec with a network namespace", async () => {
  const cloexec = await runSyd([
    "-poff",
    "-m",
    "unshare/user,net:1",
    "-m",
    "trace/force_cloexec:1",
    "--",
    "true",
  ]);
  assert.equal(cloexec.code, 95, cloexec.stderr);
  assert.match(cloexec.stderr, /not supported/);
});

Deno.test("namespace commands are fixed at start: /dev/syd answers EBUSY", async () => {
  const result = await runSyd([
    "-poff",
    ...CONTAINER,
    "-m",
    "lock:off",
    "--",
    "sh",
    "-c",
    "test -c /dev/syd/unshare/net:1; echo $?; test -c /dev/syd/bind+/tmp:/mnt; echo $?; test -c /dev/syd/unshare/user?; echo $?",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(out(result), ["1", "1", "0"]);
  assert.ok(records(result.stderr).some((r) => r.errno === 16), result.stderr);
});

Deno.test("-E pfc says which namespaces syd makes, and that no filter changes for them", async () => {
  const withNs = await runSyd(["-poff", ...CONTAINER, "-m", "unshare/net:1", "-E", "pfc"]);
  assert.equal(withNs.code, 0, withNs.stderr);
  assert.match(
    withNs.stdout,
    /^# syd_ns: Syd namespaces: user,mount,pid,net, made by syd .*; root \(the host's\); 0 binds$/m,
  );
  const none = await runSyd(["-poff", "-E", "pfc"]);
  assert.match(none.stdout, /^# syd_ns: Syd namespaces: none$/m);
});
