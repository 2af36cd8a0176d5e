/**
 * The workload corpus of issue 13: everyday programs run under `-p user` and `-p paludis` as a
 * new user runs them, each bounded in time, on generated inputs only, with no network. Each
 * succeeds, and writes no denial record but those the original's profiles give for the same run
 * (each listed below with its reason).
 */
import assert from "node:assert/strict";
import { records, ROOT, run, SYD } from "./_syd.ts";

const PYTHON = "/usr/bin/python3";
const HOME = Deno.env.get("HOME") ?? "/root";
/** Deno itself: the toolchain's binary, wherever the project was cloned. */
const DENO = Deno.realPathSync(`${ROOT}.toolchain/bin/deno`);

type LogRecord = { [key: string]: unknown };

/** A denial the original gives for the same run too, and why. */
interface Expected {
  reason: string;
  matches: (record: LogRecord, home: string) => boolean;
}

interface Workload {
  name: string;
  /** A bash script run in the work directory (its first argument). */
  script: string;
  /** What its standard output must hold. */
  expect: RegExp;
  /** Commands added to the profile (what a user adds for this program), with the reason. */
  extra?: (work: string) => string[];
  expected?: Expected[];
}

const DOT_FILES: Expected = {
  reason:
    "the user profile denies the dot files at the top of $HOME (~/.gitconfig, ~/.npmrc), as the original's",
  matches: (r, home) => typeof r.path === "string" && r.path.startsWith(`${home}/.`),
};
const TRUSTED_HARDLINKS: Expected = {
  reason:
    "trusted hardlinks, as the original's: git links its read-only object files, then renames them instead",
  matches: (r) => r.ctx === "link" && r.op === "trusted_hardlinks",
};
const CGROUP_FS: Expected = {
  reason: "the fs profile denies cgroup filesystems (Deno's CPU quota probe), as the original's",
  matches: (r) => r.cap === "fs" && String(r.path).startsWith("/sys/fs/cgroup/"),
};
const NO_SYS_CPU: Expected = {
  reason:
    "Landlock (the landlock profile, as the original's) keeps /sys out: the CPU count is read from /proc/stat then, which the linux profile does not allow",
  matches: (r) => r.path === "/proc/stat" && r.cap === "read",
};
const PALUDIS_HOME: Expected = {
  reason:
    "paludis allows writes only where packages build (temporary and cache directories), as the original's",
  matches: (r, home) => r.cap === "write" && String(r.path).startsWith(`${home}/`),
};

const WORKLOADS: Workload[] = [
  {
    name: "git init, add and commit",
    script: `git init -q repo && cd repo && echo hi > a.txt && git add a.txt &&
git -c user.email=user@example.org -c user.name=user commit -qm init && git log --oneline | wc -l`,
    expect: /^1$/m,
    // Landlock under paludis (stacked with landlock) keeps $HOME out: git's own configuration
    // read there fails EACCES, which git takes for fatal (a missing file is skipped: warn).
    extra: () => ["-m", `allow/lock/read+${HOME}/.gitconfig`],
    expected: [DOT_FILES, TRUSTED_HARDLINKS],
  },
  {
    name: "python3 -m venv",
    script: `${PYTHON} -m venv --without-pip venv &&
venv/bin/python -c 'import sys; print("venv", sys.prefix != sys.base_prefix)'`,
    expect: /^venv True$/m,
  },
  {
    name: "make -j2 of a generated 21-file C project",
    script: `mkdir proj && cd proj
for i in $(seq 1 20); do printf 'int f%d(void) { return %d; }\\n' $i $i > f$i.c; done
printf 'int main(void) { return 0; }\\n' > main.c
printf 'OBJS = $(patsubst %%.c,%%.o,$(wildcard *.c))\\nprog: $(OBJS)\\n\\tcc -o $@ $^\\n%%.o: %%.c\\n\\tcc -c -o $@ $<\\n' > Makefile
make -s -j2 && ./prog && echo built`,
    expect: /^built$/m,
  },
  {
    name: "tar czf and tar xzf of a directory tree",
    script:
      `mkdir -p tree/a/b tree/c && for i in 1 2 3; do echo $i > tree/a/b/f$i; echo $i > tree/c/g$i; done
tar czf tree.tgz tree && mkdir out && tar xzf tree.tgz -C out && find out -type f | wc -l`,
    expect: /^6$/m,
  },
  {
    name: "find /usr -name '*.h'",
    script: `find /usr -name '*.h' | wc -l`,
    expect: /^[1-9][0-9]*$/m,
  },
  {
    name: "realpath, readlink -f and mkdir -p",
    script:
      `realpath /usr/bin/cc /var && readlink -f /bin/sh && mkdir -p a/b/c && mkdir -p a/b && echo made`,
    expect: /^made$/m,
  },
  {
    name: "a 32-thread Python script opening and stating files",
    script: `${PYTHON} - <<'PY'
import os, threading
os.makedirs("files")
for i in range(64):
    with open(f"files/{i}", "w") as f:
        f.write("x")
def work():
    for i in range(200):
        p = f"files/{i % 64}"
        os.stat(p)
        with open(p) as f:
            f.read()
threads = [threading.Thread(target=work) for _ in range(32)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("threads done")
PY`,
    expect: /^threads done$/m,
    expected: [NO_SYS_CPU],
  },
  {
    name: "Deno reading files",
    script: `for i in $(seq 1 50); do echo $i > f$i.txt; done
${DENO} eval --quiet 'let n = 0; for (const e of Deno.readDirSync(".")) if (e.isFile) n += Deno.readTextFileSync(e.name).length; console.log("deno read", n)'`,
    expect: /^deno read 141$/m,
    // Where Deno lives (a user's ~/.deno/bin is a dot directory), and its stack probe. A JIT
    // needs W^X lifted, as under the original (`-p nomem`; paludis lifts it already).
    extra: () => [
      "-p",
      "nomem",
      "-m",
      `allow/exec,read,stat,list,readlink+${DENO}`,
      "-m",
      `allow/lock/read,exec+${DENO}`,
      "-m",
      "allow/read,stat+/proc/self/maps",
    ],
    expected: [CGROUP_FS, DOT_FILES, NO_SYS_CPU, {
      reason: "the original's linux profile does not allow them either (or serves them masked)",
      matches: (r) => ["/proc/self/cgroup", "/proc/meminfo"].includes(String(r.path)),
    }],
  },
];

/** Where a profile's user works: their home for user (exec is allowed there), /tmp for paludis. */
/** The profiles a workload runs under: user alone (it includes landlock), paludis with landlock. */
function profileArgs(profile: string): string[] {
  return profile === "paludis" ? ["-p", "paludis", "-p", "landlock"] : ["-p", profile];
}

function workDir(profile: string): string {
  return Deno.makeTempDirSync({ dir: profile === "user" ? HOME : "/tmp", prefix: "syd-workload-" });
}

/** The access records of `stderr` that no expectation explains. */
function unexpected(stderr: string, expected: Expected[], home: string): LogRecord[] {
  return records(stderr).filter((r) =>
    (r.ctx === "access" || r.ctx === "link") && !expected.some((e) => e.matches(r, home))
  );
}

function envFor(work: string): Record<string, string> {
  return { PWD: work, OLDPWD: work, HOME, DENO_DIR: `${work}/deno-dir`, NO_COLOR: "1" };
}

for (const profile of ["user", "paludis"]) {
  for (const workload of WORKLOADS) {
    Deno.test(`-p ${profile}: ${workload.name} succeeds with no denial but the original's`, async () => {
      const work = workDir(profile);
      try {
        // As users run them, with Lock sandboxing (Landlock) on: user includes the landlock
        // profile; paludis is stacked with it, as the original's paludis users do.
        const result = await run(SYD, [
          ...profileArgs(profile),
          ...(workload.extra?.(work) ?? []),
          "--",
          "bash",
          "-c",
          `set -e; cd "$1"; ${workload.script}`,
          "workload",
          work,
        ], { cwd: work, env: envFor(work), landlock: true });
        assert.equal(result.code, 0, result.stderr.slice(-3000));
        assert.match(result.stdout, workload.expect);
        const expected = [...(workload.expected ?? [])];
        if (profile === "paludis") expected.push(PALUDIS_HOME);
        assert.deepEqual(unexpected(result.stderr, expected, HOME), []);
      } finally {
        Deno.removeSync(work, { recursive: true });
      }
    });
  }

  Deno.test(`-p ${profile}: an interactive bash on a terminal: ls, cd, ed, Ctrl-C of sleep, job control, exit`, async () => {
    const work = workDir(profile);
    const log = `${work}/records.log`;
    try {
      const result = await run(PYTHON, [
        "-c",
        PTY_SESSION,
        SYD,
        profileArgs(profile).join(" "),
        work,
        log,
      ], {
        cwd: work,
        env: envFor(work),
      });
      assert.equal(result.stdout.trim(), "ok 7", result.stdout + result.stderr);
      const expected = profile === "paludis" ? [PALUDIS_HOME] : [];
      assert.deepEqual(unexpected(Deno.readTextFileSync(log), expected, HOME), []);
      assert.equal(Deno.readTextFileSync(`${work}/sub/notes.txt`), "one\ntwo\n");
    } finally {
      Deno.removeSync(work, { recursive: true });
    }
  });
}

/**
 * Drives `syd -p PROFILE -- bash -i` on a pseudo-terminal as a person would, records to a file
 * (SYD_LOG_FD); prints "ok STATUS", or where it got stuck.
 */
const PTY_SESSION = `
import os, pty, select, sys, time
syd, profile_args, work, log_path = sys.argv[1:5]
log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.set_inheritable(log_fd, True)
pid, master = pty.fork()
if pid == 0:
    os.environ.update({"SYD_LOG_FD": str(log_fd), "TERM": "dumb"})
    os.execv(syd, [syd, *profile_args.split(" "), "--", "bash", "--norc", "--noprofile", "-i"])
os.close(log_fd)
seen = b""
def expect(token, timeout=30):
    global seen
    deadline = time.time() + timeout
    while time.time() < deadline:
        if token.encode() in seen:
            return True
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            seen += chunk
    return False
def step(text, token):
    global seen
    time.sleep(0.2)  # readline may drop what is typed while it redraws its prompt (after ^C)
    seen = b""
    os.write(master, text.encode())
    if token is not None and not expect(token):
        print("stuck after", repr(text), "waiting for", repr(token), "saw", repr(seen[-400:]))
        os.kill(pid, 9)
        sys.exit(1)
step("PS1='READY> '\\n", "READY> ")
step("mkdir -p sub && cd sub && printf 'one\\\\n' > notes.txt && ls\\n", "notes.txt")
step("ed -s notes.txt <<'EOF'\\na\\ntwo\\n.\\nw\\nq\\nEOF\\n", "READY> ")
step("wc -l < notes.txt\\n", "2")
step("sleep 30\\n", None)
time.sleep(0.5)
step("\\x03", "READY> ")
# The kernel flushes the terminal's input at ^C and readline redraws: keystrokes sent meanwhile
# may be lost. An empty line (which keeps $?) until a fresh prompt answers it.
for attempt in range(5):
    time.sleep(0.3)
    seen = b""
    os.write(master, b"\\n")
    if expect("READY> ", 2):
        break
step("echo status=$?\\n", "status=130")
step("sleep 30 &\\n", "READY> ")
step("jobs\\n", "Running")
step("kill %1; wait %1; echo killed=$?\\n", "killed=143")
step("exit 7\\n", None)
expect("never", 3)
_, status = os.waitpid(pid, 0)
print("ok", os.waitstatus_to_exitcode(status))
`;
