/**
 * End-to-end tests of syd's self-confinement (each syd thread under its own seccomp filter once
 * the sandbox is locked), of the filter export (-E pfc|bpf), and of /dev/syd with the lock.
 */
import assert from "node:assert/strict";
import { records, ROOT, run, runSyd, SYD, tempDir, waitForFile } from "./_syd.ts";

/** Every thread of process `pid`: its name and its seccomp mode. */
function threads(pid: number): { comm: string; seccomp: number }[] {
  const found: { comm: string; seccomp: number }[] = [];
  for (const entry of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const comm = Deno.readTextFileSync(`/proc/${pid}/task/${entry.name}/comm`).trim();
      const status = Deno.readTextFileSync(`/proc/${pid}/task/${entry.name}/status`);
      found.push({ comm, seccomp: Number(/^Seccomp:\s+(\d)/m.exec(status)?.[1]) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return found;
}

Deno.test("while a locked sandbox runs every syd_* thread is confined (the run thread, which traces and waits, too), Deno's are not, and syd still logs", async () => {
  const dir = tempDir("syd-confine-");
  try {
    const child = new Deno.Command(SYD, {
      args: [
        "-poff",
        "-t",
        "20s",
        "-m",
        "sandbox/read:on",
        "-m",
        "allow/read+/***",
        "-m",
        `deny/read+${dir}/secret`,
        "--",
        "sh",
        "-c",
        `echo x > secret; touch marker; sleep 1.5; cat secret 2>/dev/null; echo "cat=$?"`,
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await waitForFile(`${dir}/marker`, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = threads(child.pid);
    const output = await child.output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    assert.equal(new TextDecoder().decode(output.stdout), "cat=1\n");
    const syd = seen.filter((t) => t.comm.startsWith("syd_"));
    for (const name of ["syd_emu", "syd_int", "syd_mon", "syd_out", "syd_run"]) {
      assert.ok(syd.some((t) => t.comm === name), `no ${name} thread: ${JSON.stringify(seen)}`);
    }
    for (const t of syd) assert.equal(t.seccomp, 2, `${t.comm} is not confined`);
    const others = seen.filter((t) => !t.comm.startsWith("syd_"));
    assert.ok(others.length > 0);
    for (const t of others) assert.equal(t.seccomp, 0, `${t.comm} (Deno's) is confined`);
    // The denial after the lock was logged (through Deno's unconfined threads).
    assert.ok(
      records(stderr).some((r) => r.ctx === "access" && r.path === `${dir}/secret`),
      stderr,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("an emulator calling outside its allow-list after the lock gets syd killed (SIGSYS)", async () => {
  const library = `${ROOT}zig-out/faults/lib/libsyd.so`;
  try {
    Deno.statSync(library);
  } catch {
    throw new Error(`${library} is missing: tools/test.sh builds it`);
  }
  const dir = tempDir("syd-confine-");
  try {
    const env = { SYD_LIBSYD: library, SYD_FAULT: "syscall" };
    // (the first process dies with syd: its parent-death signal, before the sleep ends)
    const script = "mkdir -m 713 d; sleep 2; echo survived";
    const killed = await runSyd(["-poff", "--", "sh", "-c", script], { cwd: dir, env });
    assert.equal(killed.signal, "SIGSYS", JSON.stringify(killed));
    assert.equal(killed.stdout, "");
    // Unconfined (SYD_SKIP_SCMP=1) the same call merely fails, and syd carries on.
    const skipped = await runSyd(["-poff", "--", "sh", "-c", script], {
      cwd: dir,
      env: { ...env, SYD_SKIP_SCMP: "1" },
    });
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.equal(skipped.stdout, "survived\n");
    assert.match(skipped.stderr, /SYD_SKIP_SCMP is set/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** The sections of `syd -E pfc` output, by filter name. */
function sections(text: string): Map<string, string> {
  const map = new Map<string, string>();
  const parts = text.split(/^# (syd_\w+): /m);
  for (let i = 1; i + 1 < parts.length; i += 2) map.set(parts[i], parts[i + 1]);
  return map;
}

/** The PFC block of one system call in a section (up to the next syscall block). */
function syscallBlock(section: string, name: string): string | undefined {
  const start = section.indexOf(`# filter for syscall "${name}" `);
  if (start < 0) return undefined;
  const next = section.indexOf("# filter for syscall", start + 1);
  return section.slice(start, next < 0 ? undefined : next);
}

Deno.test("syd -E pfc prints one section per filter; the emulator's ioctls need the notify fd; no execve anywhere", async () => {
  const result = await runSyd(["-E", "pfc"]);
  assert.equal(result.code, 0, result.stderr);
  const map = sections(result.stdout);
  assert.deepEqual([...map.keys()], [
    "syd_process",
    "syd_ioctl",
    "syd_emu",
    "syd_int",
    "syd_mon",
    "syd_out",
    "syd_run",
    "syd_parent",
    "syd_landlock",
    "syd_mem",
    "syd_pid",
    "syd_ns",
  ]);
  // No parent filter is loaded (syd's main process is Deno's): the section says so.
  assert.match(map.get("syd_parent")!, /none loaded/);
  assert.doesNotMatch(map.get("syd_parent")!, /action ALLOW/);
  // Lock sandboxing (on at first) is no filter: its Landlock rules end the export.
  assert.match(map.get("syd_landlock")!, /allow \/proc: read,readdir \(always\)/);
  assert.match(map.get("syd_landlock")!, /tcp bind: no port/);
  // Each header also carries the original's words, which tools written for it look for.
  for (
    const role of ["process", "ioctl", "emulator", "interrupter", "monitor", "timeouter", "waiter"]
  ) {
    assert.match(result.stdout, new RegExp(`^# syd_\\w+: Syd ${role} rules: `, "m"));
  }
  // The run thread may ptrace only to serve its tracees' stops: never attach or seize.
  const ptrace = syscallBlock(map.get("syd_run")!, "ptrace");
  assert.ok(ptrace, "the run thread's filter has no ptrace rule");
  const requests = [...ptrace.matchAll(/\$a0\.lo32 & 0xffffffff == (\d+)/g)].map((m) =>
    Number(m[1])
  );
  // GETEVENTMSG (0x4201): the task a fork made (PID sandboxing), the tid an exec replaced.
  // INTERRUPT (0x4207): the tasks sharing an executable mmap's caller's memory stopped.
  assert.deepEqual(requests.sort((a, b) => a - b), [
    7,
    12,
    13,
    24,
    0x4201,
    0x4207,
    0x4208,
    0x420e,
  ]);
  for (const other of ["syd_emu", "syd_int", "syd_mon", "syd_out"]) {
    assert.equal(syscallBlock(map.get(other)!, "ptrace"), undefined, `${other} may ptrace`);
  }
  const ioctl = syscallBlock(map.get("syd_emu")!, "ioctl");
  assert.ok(ioctl, "the emulator filter has no ioctl rule");
  const lines = ioctl.split("\n").map((line) => line.trim());
  const fdCheck = lines.findIndex((line) => /^if \(\$a0\.lo32 & 0xffffffff == 1023\)$/.test(line));
  assert.ok(fdCheck > 0, ioctl);
  const allows = lines.flatMap((line, i) => (line === "action ALLOW;" ? [i] : []));
  assert.ok(allows.length >= 5, ioctl); // RECV, SEND, ID_VALID, ADDFD, SET_FLAGS
  // The notify requests are allowed on the notify fd alone; the requests syd performs itself on
  // a caller's fd (plain data: TCGETS, FIONREAD, ...) on any fd; never TIOCSTI (0x5412).
  const notifyRequests = [0xc0502100, 0xc0182101, 0x40082102, 0x40182103, 0x40082104];
  for (const i of allows) {
    const test = /== (\d+)\)$/.exec(lines[i - 1]);
    assert.ok(test, `an ALLOW without a request test:\n${ioctl}`);
    const request = Number(test[1]);
    assert.notEqual(request, 0x5412, ioctl);
    if (notifyRequests.includes(request)) {
      assert.ok(i > fdCheck, `a notify request is allowed without the fd check:\n${ioctl}`);
    }
  }
  for (const [name, section] of map) {
    // ptrace: the run thread's, for its tracees' stops only (checked above).
    for (
      const call of name === "syd_run" ? ["execve", "execveat"] : ["execve", "execveat", "ptrace"]
    ) {
      const block = syscallBlock(section, call);
      assert.ok(!block?.includes("action ALLOW"), `${name} allows ${call}`);
    }
  }
  // The sandbox's own filter hands execve to syd (judged), it does not allow it.
  // (libseccomp 2.5 prints the notify action as its number, 0x7fc00000)
  assert.match(syscallBlock(map.get("syd_process")!, "execve") ?? "", /action (NOTIFY|0x7fc00000)/);
});

Deno.test("syd -E follows the policy: ioctl sandboxing traps ioctl, lock:off is said in the headers", async () => {
  const plain = await runSyd(["-poff", "-m", "lock:on", "-E", "pfc"]);
  const ioctl = await runSyd(["-poff", "-m", "sandbox/ioctl:on", "-E", "pfc"]);
  // Not trapped: only USERFAULTFD_IOC_NEW is answered there; the denylist (TIOCSTI, ...) is a
  // filter of its own, loaded beside it, whether ioctl is trapped or not.
  assert.doesNotMatch(
    syscallBlock(sections(plain.stdout).get("syd_process")!, "ioctl") ?? "",
    /action (NOTIFY|0x7fc00000)/,
  );
  for (const out of [plain.stdout, ioctl.stdout]) {
    assert.match(
      syscallBlock(sections(out).get("syd_ioctl")!, "ioctl") ?? "",
      /== 21522\)\n\s+action ERRNO\(25\)/, // TIOCSTI: ENOTTY
    );
  }
  const lifted = await runSyd(["-poff", "-m", "deny/ioctl-TIOCSTI", "-m", "lock:on", "-E", "pfc"]);
  assert.doesNotMatch(
    syscallBlock(sections(lifted.stdout).get("syd_ioctl")!, "ioctl") ?? "",
    /== 21522\)/,
  );
  assert.match(
    syscallBlock(sections(ioctl.stdout).get("syd_process")!, "ioctl") ?? "",
    /action (NOTIFY|0x7fc00000)/,
  );
  const off = await runSyd(["-poff", "-m", "lock:off", "-E", "pfc"]);
  assert.match(off.stdout, /^# syd_emu: .*lock:off/m);
  assert.match(plain.stdout, /^# syd_emu: .*lock:on/m);
  const alone = await runSyd(["-poff", "-E", "pfc"]);
  assert.match(alone.stdout, /^# syd_emu: .*lock:exec/m); // -p off alone: see lockByDefault
  const user = await runSyd(["-p", "user", "-E", "pfc"]);
  assert.match(user.stdout, /^# syd_emu: .*lock:on/m);
  const skipped = await runSyd(["-poff", "-E", "PFC"], { env: { SYD_SKIP_SCMP: "1" } });
  assert.match(skipped.stdout, /^# syd_emu: .*never loaded: SYD_SKIP_SCMP/m);
});

Deno.test("syd -E follows the policy: getdents64 is trapped only while list sandboxing is on at start, as the original's", async () => {
  /** The sandbox filter's actions for getdents64 under `-poff` and the commands. */
  async function getdents64(...commands: string[]): Promise<string[]> {
    const out = await runSyd(["-poff", ...commands.flatMap((c) => ["-m", c]), "-E", "pfc"]);
    assert.equal(out.code, 0, out.stderr);
    const block = syscallBlock(sections(out.stdout).get("syd_process")!, "getdents64") ?? "";
    return [...block.matchAll(/action (\S+);/g)].map((m) => m[1]);
  }
  const notify = ["0x7fc00000"]; // SECCOMP_RET_USER_NOTIF: libseccomp's pfc names no such action
  assert.deepEqual(await getdents64(), ["ALLOW"]);
  assert.deepEqual(await getdents64("sandbox/readdir,stat,walk:on"), ["ALLOW"]);
  assert.deepEqual(await getdents64("sandbox/list:on"), notify);
  assert.deepEqual(await getdents64("sandbox/all:on"), notify);
  assert.deepEqual(await getdents64("sandbox/all:on", "sandbox/list:off"), ["ALLOW"]);
});

Deno.test("syd -E bpf writes one raw program per filter, never overwrites, and refuses other formats", async () => {
  const dir = tempDir("syd-confine-");
  try {
    const result = await runSyd(["-E", "bpf"], { env: { SYD_TMPDIR: dir } });
    assert.equal(result.code, 0, result.stderr);
    const names = [
      "syd_process",
      "syd_ioctl",
      "syd_emu",
      "syd_int",
      "syd_mon",
      "syd_out",
      "syd_run",
    ];
    assert.deepEqual(result.stdout.trim().split("\n"), names.map((n) => `${dir}/${n}.bpf`));
    for (const name of names) {
      const info = Deno.statSync(`${dir}/${name}.bpf`);
      assert.ok(info.size > 0 && info.size % 8 === 0, `${name}.bpf is ${info.size} bytes`);
      assert.equal(info.mode! & 0o777, 0o400);
    }
    const again = await runSyd(["-E", "bpf"], { env: { SYD_TMPDIR: dir } });
    assert.equal(again.code, 17, again.stderr);
    assert.match(again.stderr, /exists already/);
    const dumped = await runSyd([], { env: { SYD_DUMP_SCMP: "pfc" } });
    assert.equal(dumped.code, 0);
    assert.match(dumped.stdout, /^# syd_emu: /m);
    const bad = await runSyd(["-E", "xml"]);
    assert.equal(bad.code, 22);
    assert.match(bad.stderr, /"xml" is not an export format/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

// The original locks the sandbox when its first process starts unless the policy says
// otherwise (syd.2, "lock"); lock:exec leaves /dev/syd open to that first process only. A policy
// that restricts nothing (-p off alone) gets lock:exec here (main.ts, lockByDefault).
const ACCEPTANCE =
  "test -c /dev/syd/sandbox/read:on && test -c /dev/syd/sandbox/read? && ! cat /etc/hostname";

Deno.test("/dev/syd runs commands for the first process under lock:exec, and not once locked", async () => {
  const open = await runSyd(["-p", "off", "-m", "lock:exec", "--", "sh", "-c", ACCEPTANCE]);
  assert.equal(open.code, 0, open.stderr);
  const plain = await runSyd(["-p", "off", "--", "sh", "-c", ACCEPTANCE]);
  assert.equal(plain.code, 0, plain.stderr);
  const restricting = ["-m", "sandbox/stat:on", "-m", "allow/stat+/***"]; // locked by default
  for (const lock of [["-m", "lock:on"], restricting]) {
    const script =
      "test -c /dev/syd/sandbox/read:on; echo test=$?; cat /etc/hostname >/dev/null && echo cat=ok";
    const locked = await runSyd(["-p", "off", ...lock, "--", "sh", "-c", script]);
    // The command failed and was not applied: reading still works.
    assert.equal(locked.stdout, "test=1\ncat=ok\n", `${lock}: ${locked.stderr}`);
  } // Under lock:exec, the first process's children are kept out.
  const child = await runSyd([
    "-p",
    "off",
    "-m",
    "lock:exec",
    "--",
    "sh",
    "-c",
    "sh -c 'test -c /dev/syd/sandbox/read?; echo child=$?'; test -c /dev/syd/sandbox/read:on; echo first=$?",
  ]);
  assert.equal(child.stdout, "child=1\nfirst=0\n", child.stderr);
});

Deno.test("/dev/syd answers EINVAL for a bad command, ENOENT for a false query, and changes what is enforced", async () => {
  const script = [
    "import os, errno",
    "def probe(cmd):",
    "    try:",
    "        os.stat('/dev/syd/' + cmd)",
    "        return 0",
    "    except OSError as e:",
    "        return e.errno",
    "print(probe('bogus:1'), probe('sandbox/write?'), probe('sandbox/read:on'), probe('sandbox/read?'))",
    "print(probe('deny/read+/etc/hostname'))",
    "try:",
    "    open('/etc/hostname').read()",
    "    print('read')",
    "except OSError as e:",
    "    print(errno.errorcode[e.errno])",
    "print(probe('allow/read+/etc/hostname'))",
    "open('/etc/hostname').read(); print('read')",
  ].join("\n");
  const result = await runSyd([
    "-p",
    "off",
    "-m",
    "lock:exec",
    "-m",
    "sandbox/read:off",
    "-m",
    "allow/read+/***",
    "--",
    "python3",
    "-c",
    script,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "22 2 0 0\n0\nEACCES\n0\nread\n");
});

Deno.test("reading /dev/syd gives the policy in force as JSON", async () => {
  const result = await runSyd([
    "-p",
    "off",
    "-m",
    "lock:off",
    "--",
    "sh",
    "-c",
    "test -c /dev/syd/allow/read+/srv/*** && cat /dev/syd | python3 -m json.tool",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const policy = JSON.parse(result.stdout);
  assert.equal(policy.lock, "off");
  assert.ok(
    policy.rules.some((r: { pattern: string; origin: string }) =>
      r.pattern === "/srv/***" && r.origin.startsWith("/dev/syd (pid ")
    ),
    result.stdout,
  );
  // The first process under lock:exec reads it too, with syd's threads confined.
  const first = await run(SYD, ["-p", "off", "-m", "lock:exec", "--", "cat", "/dev/syd"]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(JSON.parse(first.stdout).lock, "exec");
  const locked = await run(SYD, ["-p", "off", "-m", "lock:on", "--", "cat", "/dev/syd"]);
  assert.equal(locked.code, 1); // locked: an ordinary path, which does not exist
  assert.match(locked.stderr, /No such file or directory/);
});

Deno.test("the sandbox runs with the original's secure bits locked; trace/allow_unsafe_exec_script|interactive leave the exec bits out", async () => {
  const script = "import ctypes; print(hex(ctypes.CDLL(None).prctl(27, 0, 0, 0, 0)))";
  const bits = async (...options: string[]) => {
    const result = await runSyd(["-poff", ...options, "--", "python3", "-c", script]);
    assert.equal(result.code, 0, result.stderr);
    return Number(result.stdout.trim());
  };
  // NOROOT and its lock, the locks of NO_SETUID_FIXUP and KEEP_CAPS, NO_CAP_AMBIENT_RAISE and
  // its lock (set only with CAP_SETPCAP: root); EXEC_RESTRICT_FILE, EXEC_DENY_INTERACTIVE and
  // their locks (Linux 6.14; no capability needed).
  const root = Deno.uid() === 0 ? 0xEB : 0;
  const [major, minor] = Deno.osRelease().split(".").map(Number);
  const exec = major > 6 || (major === 6 && minor >= 14) ? 0xF00 : 0;
  assert.equal(await bits(), root | exec);
  assert.equal(await bits("-m", "trace/allow_unsafe_exec_script:1"), root | (exec & 0xC00));
  assert.equal(await bits("-m", "trace/allow_unsafe_exec_interactive:1"), root | (exec & 0x300));
  // Outside syd, this Python has none of them: the bits are syd's doing.
  const native = await run("python3", ["-c", script]);
  assert.equal(Number(native.stdout.trim()) & 0xFEB, 0);
});

Deno.test("personality: the original's allowlist passes, ADDR_NO_RANDOMIZE and the other unsafe personas kill (SIGSYS) unless trace/allow_unsafe_personality; an inherited one is dropped", async () => {
  const call = (persona: string) =>
    `import ctypes; libc = ctypes.CDLL(None); libc.personality.argtypes = [ctypes.c_ulong]; ` +
    `libc.personality(${persona}); print(hex(libc.personality(0xffffffff)))`;
  for (const safe of ["0x20000", "0x8", "0x100020000"]) {
    const result = await runSyd(["-poff", "--", "python3", "-c", call(safe)]);
    assert.equal(result.code, 0, `${safe}: ${result.stderr}`);
    assert.equal(result.stdout, `${`0x${(Number(safe) & 0xffffffff).toString(16)}`}\n`);
  }
  for (const unsafe of ["0x40000", "0x400000", "0x200000", "0x100000", "0x100040000"]) {
    const result = await runSyd(["-poff", "--", "python3", "-c", call(unsafe)]);
    assert.equal(result.signal ?? result.code, 128 + 31, `${unsafe}: ${JSON.stringify(result)}`);
  }
  const relaxed = await runSyd([
    "-poff",
    "-m",
    "trace/allow_unsafe_personality:1",
    "--",
    "python3",
    "-c",
    call("0x40000"),
  ]);
  assert.equal(relaxed.stdout, "0x40000\n", relaxed.stderr);
  // setarch -R starts syd without address randomisation: the sandbox runs with it again.
  const inherited = await run("setarch", [
    "-R",
    SYD,
    "-poff",
    "--",
    "cat",
    "/proc/self/personality",
  ]);
  assert.equal(inherited.stdout, "00000000\n", inherited.stderr);
});

Deno.test("sysinfo answers made-up numbers, fresh on every call, unless trace/allow_unsafe_sysinfo (the host's)", async () => {
  const script = `import ctypes
buf = ctypes.create_string_buffer(112)
libc = ctypes.CDLL(None)
for _ in range(2):
    assert libc.sysinfo(buf) == 0
    uptime = int.from_bytes(buf.raw[0:8], "little")
    totalram = int.from_bytes(buf.raw[32:40], "little")
    swap = int.from_bytes(buf.raw[64:72], "little")
    print(uptime, totalram, swap)
`;
  const made = await runSyd(["-poff", "--", "python3", "-c", script]);
  assert.equal(made.code, 0, made.stderr);
  const lines = made.stdout.trim().split("\n").map((line) => line.split(" ").map(Number));
  assert.notDeepEqual(lines[0], lines[1]); // fresh each call
  for (const [, totalram, swap] of lines) {
    assert.ok(totalram >= 128 << 20 && totalram <= 2 ** 32 && (totalram & (totalram - 1)) === 0);
    assert.equal(swap, 0);
  }
  const host = await runSyd([
    "-poff",
    "-m",
    "trace/allow_unsafe_sysinfo:1",
    "--",
    "python3",
    "-c",
    script,
  ]);
  const [first, second] = host.stdout.trim().split("\n").map((line) => line.split(" ").map(Number));
  assert.equal(first[1], second[1]); // the host's RAM, the same twice
  assert.ok(Math.abs(first[0] - second[0]) <= 1);
});

Deno.test("the confined run thread punishes a chdir and an exec it judges (abort, stop, kill) and syd lives on", async () => {
  for (const [action, signal] of [["abort", "SIGABRT"], ["kill", "SIGKILL"]] as const) {
    const chdir = await runSyd([
      "-poff",
      "-m",
      "sandbox/chdir,exec:on",
      "-m",
      "allow/chdir,exec+/***",
      "-m",
      `${action}/chdir+/tmp`,
      "-m",
      `${action}/exec+/usr/bin/true`,
      "--",
      "sh",
      "-c",
      "/usr/bin/true; echo exec=$?; cd /tmp; echo after",
    ]);
    const code = signal === "SIGABRT" ? 134 : 137;
    assert.equal(chdir.stdout, `exec=${code}\n`, chdir.stderr);
    assert.equal(chdir.code, code, chdir.stderr);
    assert.equal(
      records(chdir.stderr).filter((r) => r.act === action).length,
      2,
      chdir.stderr,
    );
  }
  // stop: the caller stops (SIGSTOP); the timeout ends the run, syd exits 124, never SIGSYS.
  const stop = await runSyd([
    "-poff",
    "-t",
    "2s",
    "-m",
    "sandbox/chdir:on",
    "-m",
    "allow/chdir+/***",
    "-m",
    "stop/chdir+/tmp",
    "--",
    "sh",
    "-c",
    "cd /tmp; echo after",
  ]);
  assert.equal(stop.code, 124, stop.stderr);
  assert.equal(stop.stdout, "");
});

Deno.test("syd -E pfc lists a long Lock path (cut at 400 bytes) with every right, and does not fail", async () => {
  const long = `/${"a".repeat(420)}`;
  const result = await runSyd([
    "-poff",
    "-m",
    "sandbox/lock:on",
    "-m",
    `allow/lock/all+${long}`,
    "-E",
    "pfc",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^# {3}allow \/a{399}: exec,write,read,readdir,.*,ioctl,connect$/m);
});
