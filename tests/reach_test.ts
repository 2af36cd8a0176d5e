/**
 * End-to-end tests of issue 11, "the sandbox cannot reach syd": attack programs
 * (tests/helpers/reach_*.c) try, from inside the sandbox, to take syd's notify fd, trace syd or
 * read and write its memory, stop or kill it, remap the paths it judges, borrow its privileges,
 * reach processes outside the sandbox, or use syd as an oracle. Each prints one `name=ERRNO` line
 * per attempt (`name=OK` when the call succeeded) and `served` once syd has answered a trapped call
 * after the attack. The attacks that concern syd itself also run with syd as nobody (uid 65534),
 * when the project tree is reachable by that user.
 *
 * A stopped syd cannot end its own run (-t needs its threads): every run here has a deadline, past
 * which the test continues and then kills syd itself.
 */
import assert from "node:assert/strict";
import { helper, lockOff, nobodyProblem, run, SYD, waitForFile } from "./_syd.ts";

const NOBODY = 65534;
/** Who the test runs as ("root" in CI). */
const ME = Deno.uid() === 0 ? "root" : `uid ${Deno.uid()}`;
const SETPRIV = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"];
/** How long a helper may take to reach a step (syd starts in well under a second). */
const STEP_MS = 20_000;

type User = "me" | "nobody";

// nobody cannot build libsyd.so: have it built (when ffi/ changed) before any case runs.
await run(SYD, ["-V"]);
const NOBODY_PROBLEM = await nobodyProblem();
if (NOBODY_PROBLEM !== undefined) {
  console.warn(`reach_test.ts: the cases as nobody are skipped: ${NOBODY_PROBLEM}`);
}
/** The users a case about syd itself runs as. */
const USERS: User[] = ["me", "nobody"];
function who(user: User): string {
  return user === "me" ? ME : "nobody";
}

/** The read policy of these tests: reading DIR/secret is denied (EACCES), everything else allowed. */
function readPolicy(dir: string): string[] {
  return [
    "-poff",
    "-m",
    "sandbox/read,stat:on",
    "-m",
    "allow/read,stat+/***",
    "-m",
    `deny/read+${dir}/secret`,
  ];
}

/**
 * Runs `fn` with a new directory holding `public` and `secret`; for nobody, the directory, its
 * files and `home` (nobody's HOME and DENO_DIR) belong to nobody.
 */
async function withDir(user: User, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-reach-" }));
  try {
    await Deno.writeTextFile(`${dir}/public`, "public\n");
    await Deno.writeTextFile(`${dir}/secret`, "secret\n");
    if (user === "nobody") {
      await Deno.mkdir(`${dir}/home`);
      for (const path of [dir, `${dir}/public`, `${dir}/secret`, `${dir}/home`]) {
        await Deno.chown(path, NOBODY, NOBODY);
      }
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What a finished sandbox showed, with the helper's `name=value` lines. */
interface Finished {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
  values: Map<string, string>;
  /** What the test saw when it had to continue and kill syd itself (empty when it did not). */
  rescued: string;
}

/** The `State:` line of a process, or "gone". */
function state(pid: number): string {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return /^State:\s+(.*)$/m.exec(status)?.[1] ?? "unknown";
  } catch {
    return "gone";
  }
}

/** A `./syd -t 30s ARGS` run as `user` in `dir`, its output collected as it comes. */
class Sandbox {
  readonly pid: number;
  stdout = "";
  stderr = "";
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #exit: Promise<Deno.CommandStatus>;
  #exited = false;
  #pumps: Promise<void>[];

  constructor(user: User, dir: string, args: string[]) {
    const sydArgs = lockOff(["-t", "30s", ...args]);
    const [program, programArgs] = user === "me" ? [SYD, sydArgs] : ["setpriv", [
      ...SETPRIV,
      "env",
      `HOME=${dir}/home`,
      `DENO_DIR=${dir}/home/deno`,
      SYD,
      ...sydArgs,
    ]];
    this.#child = new Deno.Command(program, {
      args: programArgs,
      cwd: dir,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid; // setpriv, env and ./syd each exec the next: this is syd
    this.#writer = this.#child.stdin.getWriter();
    this.#pumps = [
      this.#pump(this.#child.stdout, (text) => (this.stdout += text)),
      this.#pump(this.#child.stderr, (text) => (this.stderr += text)),
    ];
    this.#exit = this.#child.status.then((status) => {
      this.#exited = true;
      return status;
    });
  }

  async #pump(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
  }

  /** Waits until the helper has printed the line `line`; rescues syd and throws if it does not. */
  async waitFor(line: string): Promise<void> {
    const deadline = performance.now() + STEP_MS;
    while (!this.stdout.split("\n").includes(line)) {
      if (this.#exited || performance.now() > deadline) {
        const why = this.#exited ? "the sandbox ended" : await this.rescue();
        throw new Error(`no "${line}" line: ${why}\n${this.show()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Sends one line to the helper's stdin. */
  async send(line: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(`${line}\n`));
  }

  /** Closes stdin and waits for syd to end; past the deadline, rescues syd and says so. */
  async finish(): Promise<Finished> {
    await this.#writer.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((
      resolve,
    ) => (timer = setTimeout(() => resolve("late"), STEP_MS)));
    const first = await Promise.race([this.#exit, late]);
    clearTimeout(timer);
    let rescued = "";
    if (first === "late") rescued = await this.rescue();
    const status = await this.#exit;
    await Promise.all(this.#pumps);
    const values = new Map<string, string>();
    for (const line of this.stdout.split("\n")) {
      const match = /^(\w+)=(.*)$/.exec(line);
      if (match) values.set(match[1], match[2]);
    }
    return {
      code: status.code,
      signal: status.signal,
      stdout: this.stdout,
      stderr: this.stderr,
      values,
      rescued,
    };
  }

  /** syd did not go on (stopped, traced or hung): continues it, then kills it. Says what it saw. */
  async rescue(): Promise<string> {
    const seen = state(this.pid);
    for (const signal of ["SIGCONT", "SIGKILL"] as const) {
      try {
        Deno.kill(this.pid, signal);
      } catch {
        // already gone
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return `syd (pid ${this.pid}) did not go on within ${STEP_MS} ms (State: ${seen}): continued and killed by the test`;
  }

  show(): string {
    return `stdout:\n${this.stdout}\nstderr:\n${this.stderr}`;
  }
}

/** Runs a helper that needs no exchange with the test to its end. */
async function attack(
  user: User,
  dir: string,
  args: string[],
): Promise<Finished & { pid: number }> {
  const sandbox = new Sandbox(user, dir, args);
  return { ...(await sandbox.finish()), pid: sandbox.pid };
}

/**
 * A process outside the sandbox, as `user` and in syd's process group (the test runner's), that
 * appends a line to DIR/witness for each SIGCONT it gets.
 */
async function startWitness(user: User, dir: string): Promise<Deno.ChildProcess> {
  // (sh runs the trap once the short sleep in progress ends)
  const script = 'trap \'echo CONT >> "$0"\' CONT; : > "$1"; while :; do sleep 0.05; done';
  const args = ["-c", script, `${dir}/witness`, `${dir}/witness-ready`];
  const [program, programArgs] = user === "me"
    ? ["/bin/sh", args]
    : ["setpriv", [...SETPRIV, "/bin/sh", ...args]];
  const child = new Deno.Command(program, {
    args: programArgs,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitForFile(`${dir}/witness-ready`, STEP_MS);
  return child;
}

/** Syd's thread ids, read from outside. */
function threadIds(pid: number): number[] {
  return [...Deno.readDirSync(`/proc/${pid}/task`)].map((entry) => Number(entry.name));
}

/** The tracer of each thread of `pid` that has one (none: an empty list). */
function tracers(pid: number): string[] {
  const found: string[] = [];
  for (const tid of threadIds(pid)) {
    try {
      const status = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/status`);
      const tracer = /^TracerPid:\s+(\d+)/m.exec(status)?.[1];
      if (tracer !== "0") found.push(`thread ${tid} is traced by ${tracer}`);
    } catch {
      // the thread ended meanwhile
    }
  }
  return found;
}

/** A readable address in `pid` (the start of its first readable mapping). */
function readableAddress(pid: number): string {
  const maps = Deno.readTextFileSync(`/proc/${pid}/maps`);
  const line = maps.split("\n").find((l) => /^[0-9a-f]+-[0-9a-f]+ r/.test(l));
  return `0x${line?.split("-")[0] ?? "0"}`;
}

/**
 * Asserts every expectation at once (so that a failure lists all that differ): the helper's
 * values (a string is matched whole, a RegExp as given), its exit status 0 as syd's, the
 * `served` line, that syd was the helper's parent, and any `extra` problems found by the test.
 */
function verdict(
  outcome: Finished & { pid: number },
  expected: Record<string, string | RegExp>,
  extra: string[] = [],
  context = "",
): void {
  const problems = [...extra];
  if (outcome.rescued) problems.push(outcome.rescued);
  if (outcome.code !== 0 || outcome.signal !== null) {
    problems.push(`syd exited ${outcome.code} (signal ${outcome.signal}), not 0`);
  }
  if (!outcome.stdout.split("\n").includes("served")) problems.push('no "served" line');
  const ppid = outcome.values.get("ppid");
  if (ppid !== undefined && ppid !== String(outcome.pid)) {
    problems.push(`the helper's parent is ${ppid}, not syd (${outcome.pid})`);
  }
  for (const [name, want] of Object.entries(expected)) {
    const got = outcome.values.get(name);
    const ok = got !== undefined && (typeof want === "string" ? got === want : want.test(got));
    if (!ok) problems.push(`${name}: expected ${want}, got ${got ?? "(no line)"}`);
  }
  assert.deepEqual(
    problems,
    [],
    `${context}${problems.join("\n")}\nstdout:\n${outcome.stdout}\nstderr:\n${outcome.stderr}`,
  );
}

/** One or more failures, each EPERM or ESRCH. */
const REFUSED = /^(EPERM|ESRCH)(,(EPERM|ESRCH))*$/;

for (const user of USERS) {
  const ignore = user === "nobody" && NOBODY_PROBLEM !== undefined;

  Deno.test({
    name:
      `a sandboxed program cannot copy syd's fds (its notify fd) with pidfd_getfd nor open them through /proc (syd as ${
        who(user)
      })`,
    ignore,
    fn: () =>
      withDir(user, async (dir) => {
        const outcome = await attack(user, dir, [
          ...readPolicy(dir),
          "--",
          helper("reach_getfd"),
          dir,
        ]);
        verdict(outcome, {
          pidfd_getfd: "ENOSYS",
          pidfd_getfd_ok: "0",
          secret: "EACCES",
          proc_fd: "EACCES",
          proc_fd_ok: "0",
        });
      }),
  });

  Deno.test({
    name:
      `a sandboxed program cannot trace syd nor read or write its memory; ptrace answers 0 and does nothing (syd as ${
        who(user)
      })`,
    ignore,
    fn: () =>
      withDir(user, async (dir) => {
        const sandbox = new Sandbox(user, dir, [
          ...readPolicy(dir),
          "--",
          helper("reach_mem"),
          dir,
        ]);
        try {
          await sandbox.waitFor("ready");
          await sandbox.send(`${readableAddress(sandbox.pid)} ${threadIds(sandbox.pid).join(" ")}`);
          await sandbox.waitFor("tried");
          const traced = tracers(sandbox.pid);
          await sandbox.send("go");
          const outcome = { ...(await sandbox.finish()), pid: sandbox.pid };
          verdict(outcome, {
            ptrace_attach: "OK",
            ptrace_seize: "OK",
            ptrace_peekdata: "OK",
            process_vm_readv: "ENOSYS",
            process_vm_writev: "ENOSYS",
            proc_mem: "EACCES",
            unshare_newuser: "EPERM",
          }, traced);
        } finally {
          await sandbox.finish().catch(() => {});
        }
      }),
  });

  Deno.test({
    name: `kill(syd, SIGKILL) from inside fails with EPERM and syd keeps serving (syd as ${
      who(user)
    })`,
    ignore,
    fn: () =>
      withDir(user, async (dir) => {
        const outcome = await attack(user, dir, [
          ...readPolicy(dir),
          "--",
          helper("reach_signal"),
          dir,
          "kill",
        ]);
        verdict(outcome, { kill: "EPERM" });
      }),
  });

  Deno.test({
    name:
      `SIGSTOP sent to every syd thread (tgkill, tkill, rt_sigqueueinfo, rt_tgsigqueueinfo) fails and syd keeps serving (syd as ${
        who(user)
      })`,
    ignore,
    fn: () =>
      withDir(user, async (dir) => {
        const sandbox = new Sandbox(user, dir, [
          ...readPolicy(dir),
          "--",
          helper("reach_signal"),
          dir,
          "stop",
        ]);
        try {
          await sandbox.waitFor("ready");
          await sandbox.send(threadIds(sandbox.pid).join(" "));
          const outcome = { ...(await sandbox.finish()), pid: sandbox.pid };
          verdict(outcome, {
            tgkill: REFUSED,
            tgkill_ok: "0",
            tkill: REFUSED,
            tkill_ok: "0",
            rt_sigqueueinfo: REFUSED,
            rt_tgsigqueueinfo: REFUSED,
            rt_tgsigqueueinfo_ok: "0",
          });
        } finally {
          await sandbox.finish().catch(() => {});
        }
      }),
  });

  Deno.test({
    name:
      `pidfd_send_signal(SIGKILL) on a pidfd of syd fails with EPERM and syd keeps serving (syd as ${
        who(user)
      })`,
    ignore,
    fn: () =>
      withDir(user, async (dir) => {
        const outcome = await attack(user, dir, [
          ...readPolicy(dir),
          "--",
          helper("reach_signal"),
          dir,
          "pidfd",
        ]);
        verdict(outcome, { pidfd_send_signal: "EPERM" });
      }),
  });

  Deno.test({
    name:
      `SIGCONT to syd's process group and to every process (-1) reaches no process outside the sandbox, and syd keeps serving (syd as ${
        who(user)
      })`,
    ignore,
    fn: () =>
      withDir(user, async (dir) => {
        const witness = await startWitness(user, dir);
        try {
          const outcome = await attack(user, dir, [
            ...readPolicy(dir),
            "--",
            helper("reach_signal"),
            dir,
            "group",
          ]);
          await new Promise((resolve) => setTimeout(resolve, 300));
          const extra = [];
          try {
            const got = Deno.readTextFileSync(`${dir}/witness`).trim().split("\n").length;
            extra.push(
              `a process outside the sandbox (same user, same group as syd) got SIGCONT ${got} times`,
            );
          } catch {
            // no SIGCONT reached the witness
          }
          verdict(outcome, { kill_group: /./, kill_all: /./ }, extra);
        } finally {
          witness.kill("SIGKILL");
          await witness.status;
        }
      }),
  });
}

Deno.test("the acceptance line: `kill -9 $PPID` under syd fails and the shell prints alive", async () => {
  const result = await run(SYD, ["-poff", "--", "sh", "-c", "kill -9 $PPID; echo alive"]);
  assert.equal(result.stdout, "alive\n", JSON.stringify(result));
  assert.equal(result.code, 0, result.stderr);
});

Deno.test("chroot answers 0 and changes nothing; namespaces, mounts, pivot_root and setns are refused, so paths keep their meaning", async () => {
  try {
    Deno.lstatSync("/secret");
    throw new Error("/secret exists on this machine: the test needs it absent");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await withDir("me", async (dir) => {
    const outcome = await attack("me", dir, [...readPolicy(dir), "--", helper("reach_remap"), dir]);
    verdict(outcome, {
      chroot: "OK",
      root_secret: "ENOENT",
      dir_secret: "EACCES",
      unshare_newuser: "EPERM",
      unshare_newns: "EPERM",
      mount: "ENOSYS",
      public: "public",
      umount2: "ENOSYS",
      pivot_root: "EPERM",
      open_tree: "ENOSYS",
      move_mount: "ENOSYS",
      fsopen: "ENOSYS",
      fsmount: "ENOSYS",
      fspick: "ENOSYS",
      mount_setattr: "ENOSYS",
      setns: "EPERM",
      clone_newns: "EPERM",
      clone3: "ENOSYS",
    });
  });
});

Deno.test({
  name:
    "root in the sandbox has no capabilities and cannot borrow syd's: another user's 0600 file, raw and packet sockets, IP_HDRINCL",
  ignore: Deno.uid() !== 0,
  fn: () =>
    withDir("me", async (dir) => {
      await Deno.writeTextFile(`${dir}/other`, "other\n", { mode: 0o600 });
      await Deno.chmod(`${dir}/other`, 0o600);
      await Deno.chown(`${dir}/other`, NOBODY, NOBODY);
      for (const policy of [["-poff"], readPolicy(dir)]) {
        const outcome = await attack("me", dir, [...policy, "--", helper("reach_priv"), dir]);
        verdict(
          outcome,
          {
            capeff: "0000000000000000",
            other: "EACCES",
            raw_socket: "EPERM",
            packet_socket: "EPERM",
            ip_hdrincl: "ENOPROTOOPT",
          },
          [],
          `with ${policy.join(" ")}:\n`,
        );
      }
    }),
});
Deno.test({
  name:
    "the tracer is no oracle for a root sandbox: chdir below a directory it cannot search answers EACCES for present and missing names alike",
  ignore: Deno.uid() !== 0,
  fn: () =>
    withDir("me", async (dir) => {
      await Deno.mkdir(`${dir}/priv/present`, { recursive: true });
      await Deno.chown(`${dir}/priv`, NOBODY, NOBODY);
      await Deno.chmod(`${dir}/priv`, 0o700);
      const script = `
import os, sys
for name in ("present", "missing"):
    try:
        os.chdir(sys.argv[1] + "/priv/" + name)
        print(name + "=OK")
    except OSError as e:
        print(name + "=" + str(e.errno))
`;
      for (
        const policy of [["-poff"], ["-poff", "-m", "sandbox/chdir:on", "-m", "allow/chdir+/***"]]
      ) {
        const result = await run(SYD, [...policy, "--", "python3", "-c", script, dir]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, "present=13\nmissing=13\n", `with ${policy.join(" ")}`);
      }
    }),
});
if (Deno.uid() !== 0) {
  console.warn("reach_test.ts: the cases that need root are skipped (not root)");
}

Deno.test("a process outside the sandbox is out of reach: no pidfd_getfd, ptrace does nothing, no /proc/PID/mem or fd, no kill", async () => {
  const sleep = new Deno.Command("sleep", {
    args: ["60"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  })
    .spawn();
  try {
    await withDir("me", async (dir) => {
      const sandbox = new Sandbox("me", dir, [
        ...readPolicy(dir),
        "--",
        helper("reach_outside"),
        dir,
        String(sleep.pid),
      ]);
      try {
        await sandbox.waitFor("tried");
        const tracer = /^TracerPid:\s+(\d+)/m.exec(
          Deno.readTextFileSync(`/proc/${sleep.pid}/status`),
        )?.[1];
        await sandbox.send("go");
        const outcome = { ...(await sandbox.finish()), pid: sandbox.pid };
        const after = state(sleep.pid);
        const extra = [];
        if (tracer !== "0") extra.push(`the sleep outside is traced by ${tracer}`);
        if (!/^[RSD]/.test(after)) {
          extra.push(`the sleep outside is no longer alive (State: ${after})`);
        }
        verdict(outcome, {
          pidfd_getfd: "ENOSYS",
          pidfd_getfd_ok: "0",
          ptrace_attach: "OK",
          proc_mem: "EACCES",
          proc_fd0: /^E/,
          kill: "EPERM",
        }, extra);
      } finally {
        await sandbox.finish().catch(() => {});
      }
    });
  } finally {
    try {
      sleep.kill("SIGKILL");
    } catch {
      // the attack killed it: the test has said so already
    }
    await sleep.status;
  }
});

Deno.test({
  name: "root in the sandbox cannot change its uid: setuid(65534) fails with EPERM",
  ignore: Deno.uid() !== 0,
  fn: () =>
    withDir("me", async (dir) => {
      const outcome = await attack("me", dir, [
        ...readPolicy(dir),
        "--",
        helper("reach_oracle"),
        dir,
        "setuid",
      ]);
      verdict(outcome, { setuid: "EPERM" });
    }),
});

Deno.test({
  name:
    "syd as nobody is no stat oracle: a missing and a present file in a root-only directory both answer EACCES, as natively",
  ignore: NOBODY_PROBLEM !== undefined,
  fn: () =>
    withDir("nobody", async (dir) => {
      await Deno.mkdir(`${dir}/root`, { mode: 0o700 });
      await Deno.chmod(`${dir}/root`, 0o700);
      await Deno.writeTextFile(`${dir}/root/present`, "present\n");
      // natively, for nobody: both EACCES
      for (const name of ["missing", "present"]) {
        const native = await run("setpriv", [...SETPRIV, "stat", `${dir}/root/${name}`]);
        assert.match(
          native.stderr,
          /Permission denied/,
          `native stat of ${name}: ${native.stderr}`,
        );
      }
      const outcome = await attack("nobody", dir, [
        "-poff",
        "-m",
        "sandbox/stat:on",
        "-m",
        "allow/stat+/***",
        "--",
        helper("reach_oracle"),
        dir,
        "stat",
        `${dir}/root/missing`,
        `${dir}/root/present`,
      ]);
      verdict(outcome, { stat_missing: "EACCES", stat_present: "EACCES" });
    }),
});

/** One attempt of reach_procwalk: `PATH OP RESULT` (RESULT: OK or an errno's name). */
interface Attempt {
  path: string;
  op: string;
  result: string;
}

/** The ops reach_procwalk tries on each path. */
const WALK_OPS = ["open_rdonly", "open_path", "stat", "lstat", "statx", "readlink"];
/** The entries reach_procwalk tries under each of syd's directories (besides fd/N, fdinfo/N). */
const WALK_CLASSES = [
  "mem",
  "fd",
  "fdinfo",
  "environ",
  "maps",
  "root",
  "cwd",
  "exe",
  "cmdline",
  "status",
  "stat",
  "comm",
];

/**
 * The fd numbers of each of syd's threads, read from outside (empty for a thread that ended).
 * syd's workers unshare their fd tables, so task/TID/fd/ differs from thread to thread.
 */
function fdTables(pid: number, tids: number[]): Map<number, Set<number>> {
  const tables = new Map<number, Set<number>>();
  for (const tid of tids) {
    try {
      const names = [...Deno.readDirSync(`/proc/${pid}/task/${tid}/fd`)].map((e) => Number(e.name));
      tables.set(tid, new Set(names));
    } catch {
      tables.set(tid, new Set()); // the thread ended meanwhile
    }
  }
  return tables;
}

/** What reach_procwalk did under one policy, with syd's threads and fds as the test saw them. */
interface Walk {
  outcome: Finished & { pid: number };
  attempts: Attempt[];
  /** syd's thread ids when the walk began, and once it had ended. */
  tids: number[];
  tidsAfter: number[];
  /** The fds walked under every base: those of any of syd's threads when the walk began. */
  fds: number[];
  /** The fd table of each thread when the walk began, and once it had ended. */
  tables: Map<number, Set<number>>;
  tablesAfter: Map<number, Set<number>>;
  /** The problems no walk may have: syd's exit, `served`, the parent, attempts not made. */
  problems: string[];
}

/**
 * Runs reach_procwalk under `policy`: once it is ready, sends it syd's thread ids and the fd
 * numbers of all their tables (read from outside while syd is idle), and reads them again once the
 * walk has ended.
 */
async function procWalk(dir: string, policy: string[]): Promise<Walk> {
  const sandbox = new Sandbox("me", dir, [...policy, "--", helper("reach_procwalk"), dir]);
  try {
    await sandbox.waitFor("ready");
    const tids = threadIds(sandbox.pid).sort((a, b) => a - b);
    const tables = fdTables(sandbox.pid, tids);
    const fds = [...new Set([...tables.values()].flatMap((table) => [...table]))].sort((a, b) =>
      a - b
    );
    await sandbox.send(tids.join(" "));
    await sandbox.send(fds.join(" "));
    await sandbox.waitFor("walked");
    const tidsAfter = threadIds(sandbox.pid);
    const tablesAfter = fdTables(sandbox.pid, tids);
    await sandbox.send("go");
    const outcome = { ...(await sandbox.finish()), pid: sandbox.pid };
    const attempts: Attempt[] = [];
    for (const line of outcome.stdout.split("\n")) {
      const match = /^(\S+) (\w+) (OK|E[A-Z0-9]+)$/.exec(line);
      if (match) attempts.push({ path: match[1], op: match[2], result: match[3] });
    }
    const problems: string[] = [];
    if (outcome.rescued) problems.push(outcome.rescued);
    if (outcome.code !== 0 || outcome.signal !== null) {
      problems.push(`syd exited ${outcome.code} (signal ${outcome.signal}), not 0`);
    }
    if (outcome.values.get("ppid") !== String(sandbox.pid)) {
      problems.push(
        `the helper's parent is ${outcome.values.get("ppid")}, not syd (${sandbox.pid})`,
      );
    }
    const last = outcome.stdout.trimEnd().split("\n").at(-1);
    if (last !== "served") problems.push(`the output ends with "${last}", not "served"`);
    // every class, under every base, through every op
    const bases = [`/proc/${sandbox.pid}`];
    for (const tid of tids) {
      bases.push(`/proc/${sandbox.pid}/task/${tid}`);
      if (tid !== sandbox.pid) bases.push(`/proc/${tid}`);
    }
    const entries = [
      ...WALK_CLASSES,
      ...fds.map((fd) => `fd/${fd}`),
      ...fds.map((fd) => `fdinfo/${fd}`),
    ];
    const tried = new Set(attempts.map((a) => `${a.path} ${a.op}`));
    const missing: string[] = [];
    for (const base of bases) {
      for (const entry of entries) {
        for (const op of WALK_OPS) {
          if (!tried.has(`${base}/${entry} ${op}`)) missing.push(`${base}/${entry} ${op}`);
        }
      }
    }
    if (missing.length > 0) {
      problems.push(`${missing.length} attempts not made:\n  ${missing.join("\n  ")}`);
    }
    return { outcome, attempts, tids, tidsAfter, fds, tables, tablesAfter, problems };
  } finally {
    await sandbox.finish().catch(() => {});
  }
}

/** The thread (of /proc/TID/ or task/TID/) and fd (of fd/N, fdinfo/N) a walked path names. */
function walkedPath(path: string): { tid: number; entry: string; fd?: number } | undefined {
  const match = /^\/proc\/(\d+)(?:\/task\/(\d+))?\/(.+)$/.exec(path);
  if (!match) return undefined;
  const fd = /^(?:fd|fdinfo)\/(\d+)$/.exec(match[3])?.[1];
  return {
    tid: Number(match[2] ?? match[1]),
    entry: match[3].replace(/^(fd|fdinfo)\/\d+$/, "$1/N"),
    fd: fd === undefined ? undefined : Number(fd),
  };
}

/** What a failed walk shows besides its problems (not the whole output: it is long). */
function walkContext(walk: Walk): string {
  const list = (table: Set<number> | undefined) => [...(table ?? [])].sort((a, b) => a - b);
  const tables = walk.tids.map((tid) =>
    `  thread ${tid}: fds ${list(walk.tables.get(tid)).join(" ")}; at the end ${
      walk.tidsAfter.includes(tid) ? list(walk.tablesAfter.get(tid)).join(" ") : "(ended)"
    }`
  );
  return `syd ${walk.outcome.pid}; ${walk.attempts.length} attempts\n${
    tables.join("\n")
  }\nstderr:\n${walk.outcome.stderr}`;
}

Deno.test("with read, stat, readlink and chdir sandboxing on, every /proc/<syd> path (mem, fd, fd/N, fdinfo, fdinfo/N, environ, maps, root, cwd, exe, cmdline, status, stat, comm; under /proc/SYD, task/TID and /proc/TID of each syd thread) answers EACCES to open, O_PATH, stat, lstat, statx and readlink, directly and through symlinks, openat, .. and chdir", async () => {
  await withDir("me", async (dir) => {
    const walk = await procWalk(dir, [
      "-poff",
      "-m",
      "sandbox/read,stat,readlink,chdir:on",
      "-m",
      "allow/read,stat,readlink,chdir+/***",
    ]);
    const problems = [...walk.problems];
    const offending = walk.attempts.filter((attempt) => {
      if (attempt.result === "EACCES") return false;
      // a thread that ended during the walk is no longer syd's: its /proc/TID is simply gone
      const tid = walkedPath(attempt.path)?.tid;
      return !(attempt.result === "ENOENT" && tid !== undefined && !walk.tidsAfter.includes(tid));
    });
    if (offending.length > 0) {
      problems.push(
        `${offending.length} of ${walk.attempts.length} attempts not refused with EACCES:\n  ${
          offending.map((a) => `${a.path} ${a.op} ${a.result}`).join("\n  ")
        }`,
      );
    }
    for (const via of ["via:DIR/link-status", "via:openat(/proc,", "via:chdir(/proc):"]) {
      if (!walk.attempts.some((a) => a.path.startsWith(via))) {
        problems.push(`no attempt through ${via}`);
      }
    }
    assert.deepEqual(problems, [], `${problems.join("\n")}\n${walkContext(walk)}`);
  });
});

/** The entries the kernel itself refuses (they need ptrace access to syd), and through which ops. */
const KERNEL_REFUSED: Record<string, string[]> = {
  mem: ["open_rdonly"],
  environ: ["open_rdonly"],
  maps: ["open_rdonly"],
  "fd/N": ["open_rdonly", "readlink"],
  "fdinfo/N": ["open_rdonly"],
  root: ["open_rdonly", "readlink"],
  cwd: ["open_rdonly", "readlink"],
  exe: ["open_rdonly", "readlink"],
};

Deno.test("with -poff (syd judges no path) the kernel still refuses syd's /proc entries: all of them hidden (ENOENT) under a root syd, mem, environ, maps, fd/N, fdinfo/N, root, cwd and exe (EACCES) otherwise", async () => {
  // With no category on, syd continues every path call without reading its path and the kernel
  // decides (README, "Limits"): the world-readable entries (status, stat, comm, cmdline), the
  // names in fd/, and stat() of the entries themselves answer as for any process. Only what needs
  // ptrace access to syd is refused (the Landlock domain, syd not dumpable, no CAP_SYS_PTRACE in
  // the sandbox), and only that is asserted here, for every base and every thread.
  await withDir("me", async (dir) => {
    const walk = await procWalk(dir, ["-poff"]);
    const problems = [...walk.problems];
    const offending: string[] = [];
    let checked = 0;
    // A root syd gives the sandbox its own /proc, mounted hidepid=ptraceable: syd's entries do
    // not exist for it at all, whatever the call.
    const hidden = Deno.uid() === 0;
    for (const attempt of walk.attempts) {
      const walked = walkedPath(attempt.path);
      if (hidden && walked) {
        checked++;
        // open and stat are still performed by syd (its filesystem hardenings hold under
        // -poff): refused by it (EACCES) before the kernel's mount is asked.
        if (attempt.result !== "ENOENT" && attempt.result !== "EACCES") {
          offending.push(`${attempt.path} ${attempt.op} ${attempt.result}`);
        }
        continue;
      }
      if (!walked || !KERNEL_REFUSED[walked.entry]?.includes(attempt.op)) continue;
      checked++;
      if (attempt.result === "EACCES") continue;
      // the kernel answers ENOENT for a thread that ended during the walk, and for an fd that is
      // not in that thread's table (each worker has its own) at the start or at the end
      const ended = !walk.tidsAfter.includes(walked.tid) ||
        (walked.fd !== undefined &&
          !(walk.tables.get(walked.tid)?.has(walked.fd) &&
            walk.tablesAfter.get(walked.tid)?.has(walked.fd)));
      if (attempt.result === "ENOENT" && ended) continue;
      offending.push(`${attempt.path} ${attempt.op} ${attempt.result}`);
    }
    if (checked === 0) problems.push("no attempt on an entry the kernel must refuse");
    if (offending.length > 0) {
      problems.push(
        `${offending.length} of ${checked} attempts not refused with EACCES:\n  ${
          offending.join("\n  ")
        }`,
      );
    }
    assert.deepEqual(problems, [], `${problems.join("\n")}\n${walkContext(walk)}`);
  });
});

/** A python3 attack run under syd: its `name=ERRNO` lines (`OK` on success). */
const PY_ATTACK = `
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def say(name, rc):
    print(f"{name}={'OK' if rc >= 0 else errno.errorcode[ctypes.get_errno()]}", flush=True)
`;

Deno.test("terminal injection (ENOTTY, as the original's denylist), userfaultfd and other processes' resource limits are refused, whether ioctl is trapped or not", async () => {
  const script = PY_ATTACK + `
ioctl = libc.ioctl
ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_char_p]
say("tiocsti", ioctl(0, 0x5412, b"x"))
say("tiocsti_high_bits", ioctl(0, 0xffffffff00005412, b"x"))
say("tioclinux", ioctl(0, 0x541C, b"x"))
say("uffd_new", ioctl(0, 0xAA00, b"x"))
say("userfaultfd", libc.syscall(323, 0))
limit = (ctypes.c_ulonglong * 2)(0, 0)
say("prlimit_syd", libc.syscall(302, os.getppid(), 0, limit, None))
say("prlimit_self", libc.syscall(302, 0, 7, None, limit))
`;
  const trapped = ["-poff", "-m", "sandbox/ioctl:on", "-m", "default/ioctl:allow", "-m", "lock:on"];
  for (const policy of [["-poff", "-m", "lock:on"], trapped]) {
    const result = await run(SYD, [...policy, "--", "python3", "-c", script], { stdin: "" });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      "tiocsti=ENOTTY\ntiocsti_high_bits=ENOTTY\ntioclinux=ENOTTY\nuffd_new=EPERM\n" +
        "userfaultfd=EPERM\nprlimit_syd=EPERM\nprlimit_self=OK\n",
      `${policy.join(" ")}: ${result.stderr}`,
    );
  }
});

Deno.test({
  name:
    "syd never lists another process's /proc entries for the caller through an fd it got earlier (syd as nobody, which shares its /proc with the sandbox)",
  ignore: NOBODY_PROBLEM !== undefined,
  fn: async () => {
    // Under list sandboxing syd performs getdents64 on its own copy of the caller's fd, from
    // outside the sandbox's Landlock domain: the caller opens the map_files of a process of its
    // user outside the sandbox (the kernel lets it open the directory; it lists no entry there
    // without ptrace access, which the domain refuses) and lists it through syd. (A root syd's
    // sandbox has its own /proc, where no outside process exists.)
    const script = PY_ATTACK + `
fd = os.open(f"/proc/{sys.argv[1]}/map_files", os.O_RDONLY | os.O_DIRECTORY)
buf = ctypes.create_string_buffer(4096)
say("getdents64_syd", libc.syscall(217, fd, buf, 4096))
say("again", libc.syscall(217, fd, buf, 4096))
`;
    await withDir("nobody", async (dir) => {
      const outside = new Deno.Command("setpriv", { args: [...SETPRIV, "sleep", "30"] }).spawn();
      try {
        // Until sleep runs (setpriv has dropped to nobody and exec'd, which makes it dumpable).
        for (let i = 0; i < 200 && state(outside.pid) !== "gone"; i++) {
          if (Deno.readTextFileSync(`/proc/${outside.pid}/comm`).trim() === "sleep") break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const result = await attack("nobody", dir, [
          "-poff",
          "-m",
          "sandbox/list:on",
          "-m",
          "allow/list+/***",
          // With every open hardening relaxed, syd performs no open: the kernel's is the first.
          ...["create", "symlinks", "filename", "open_suid", "mkbdev", "deleted"].flatMap((o) => [
            "-m",
            `trace/allow_unsafe_${o}:1`,
          ]),
          "--",
          "python3",
          "-c",
          script,
          String(outside.pid),
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(
          result.stdout,
          "getdents64_syd=EACCES\nagain=EACCES\n",
          result.stderr,
        );
      } finally {
        outside.kill("SIGKILL");
        await outside.status;
      }
    });
  },
});

Deno.test("no sandboxed process outlives syd, not even a chain that keeps forking and exiting after killing what it can", async () => {
  for (const mode of [[], ["kill-first"]]) {
    await withDir("me", async (dir) => {
      const args = ["-t", "30s", "-poff", "--", helper("reach_survive"), dir, ...mode];
      const result = await run(SYD, args);
      assert.equal(result.code, 0, result.stderr);
      // kill(-1) reaches nothing: the sentinel is in a parent Landlock domain (the kernel
      // answers 0 when every target refused).
      const said = mode.length > 0 ? "kill(-1)=OK\n" : "";
      assert.equal(result.stdout, `${said}first process exits\n`);
      const heartbeat = () => Deno.readTextFileSync(`${dir}/heartbeat`).split("\n").length;
      const atExit = heartbeat();
      assert.ok(atExit > 3, `the chain never ran: ${atExit} heartbeats`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(heartbeat(), atExit, `${mode}: a sandboxed process went on after syd exited`);
    });
  }
});

Deno.test("the newer xattr and file-attribute calls syd does not judge yet answer ENOSYS", async () => {
  await withDir("me", async (dir) => {
    const script = PY_ATTACK + `
path = (sys.argv[1] + "/public").encode()
args = ctypes.create_string_buffer(32)
for name, nr in (("setxattrat", 463), ("getxattrat", 464), ("listxattrat", 465),
                 ("removexattrat", 466), ("file_getattr", 468), ("file_setattr", 469)):
    say(name, libc.syscall(nr, -100, path, 0, b"user.x", args, 32))
`;
    const result = await run(SYD, [
      "-poff",
      "-m",
      "sandbox/chattr:on",
      "-m",
      "allow/chattr+/***",
      "-m",
      `deny/chattr+${dir}/**`,
      "--",
      "python3",
      "-c",
      script,
      dir,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      "setxattrat=ENOSYS\ngetxattrat=ENOSYS\nlistxattrat=ENOSYS\nremovexattrat=ENOSYS\n" +
        "file_getattr=ENOSYS\nfile_setattr=ENOSYS\n",
    );
  });
});

Deno.test("a sandboxed program that takes the terminal's foreground with TOSTOP set does not stop syd", async () => {
  // In a pseudo-terminal: the program makes its own process group the foreground and sets
  // TOSTOP, then is denied a read, so syd writes a record to the terminal from the background.
  const script = `
import os, termios, signal, sys
signal.signal(signal.SIGTTOU, signal.SIG_IGN)
os.setpgid(0, 0)
tty = os.open("/dev/tty", os.O_RDWR)
os.tcsetpgrp(tty, os.getpgrp())
attrs = termios.tcgetattr(tty)
attrs[3] |= termios.TOSTOP
termios.tcsetattr(tty, termios.TCSANOW, attrs)
for _ in range(2):
    try:
        open("/etc/hostname").read()
    except OSError as e:
        print("denied", e.errno, flush=True)
`;
  const driver = `
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out, deadline, reading = b"", time.time() + 30, True
while time.time() < deadline:
    if reading and select.select([fd], [], [], 0.2)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the terminal's last reader is gone
            chunk = b""
        out += chunk
        reading = len(chunk) > 0
    elif not reading:
        time.sleep(0.05)
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        print("exit", os.waitstatus_to_exitcode(status))
        break
else:
    os.kill(pid, 9)
    print("hung")
sys.stdout.write(out.decode(errors="replace"))
`;
  // Under a job-control shell, as a user runs it: syd is the foreground job, in a process group
  // of its own whose parent (the shell) is in the session, so the group is not orphaned and a
  // write from the background would stop it.
  const result = await run("python3", [
    "-c",
    driver,
    "bash",
    "--norc",
    "-c",
    'set -m; "$@"; echo "syd exited $?"',
    "bash",
    SYD,
    "-poff",
    // TIOCSPGRP (tcsetpgrp) is on the original's default ioctl denylist: lifted for this test.
    "-m",
    "deny/ioctl-TIOCSPGRP",
    "-m",
    "sandbox/read:on",
    "-m",
    "allow/read+/***",
    "-m",
    "deny/read+/etc/hostname",
    "--",
    "python3",
    "-c",
    script,
  ]);
  assert.match(result.stdout, /^exit 0\n/, result.stdout + result.stderr);
  assert.match(result.stdout, /syd exited 0/, result.stdout);
  assert.equal(result.stdout.match(/denied 13/g)?.length, 2, result.stdout);
  // syd's records reached the terminal too (neither stopped nor failed with EIO): the second,
  // a repeat of the first, as its count.
  assert.equal(
    result.stdout.match(/syd: denied read of \/etc\/hostname/g)?.length,
    1,
    result.stdout,
  );
  assert.match(result.stdout, /syd: the record above repeated 1 more time/, result.stdout);
});
