/**
 * Learning mode (issue 15): `syd learn -p user -o p.syd-3 -- W` writes the policy that lets W run
 * under `-p user -P p.syd-3` with no denial, clean under `syd lint`, and general enough for a
 * second run whose file names differ in the same directories; sensitive accesses are written
 * commented out, with a warning, and stay denied.
 */
import assert from "node:assert/strict";
import { records, run, SYD } from "./_syd.ts";

const PYTHON = "/usr/bin/python3";
const HOME = Deno.env.get("HOME") ?? "/root";

interface Workload {
  name: string;
  /** A bash script run in the work directory; `$N` is a name that differs between runs. */
  script: string;
  expect: RegExp;
  /** The most rules the learnt policy may hold. */
  rulesMax: number;
}

const WORKLOADS: Workload[] = [
  {
    name: "git init, add and commit",
    script: `git init -q repo && cd repo && echo hi > $N.txt && git add $N.txt &&
git -c user.email=user@example.org -c user.name=user commit -qm "$N" && git log --oneline | wc -l`,
    expect: /^1$/m,
    rulesMax: 40,
  },
  {
    name: "make -j2 of a generated 20-file C project",
    script: `mkdir proj && cd proj
for i in $(seq 1 20); do printf 'int f%d(void) { return %d; }\\n' $i $i > $N$i.c; done
printf 'int main(void) { return 0; }\\n' > main.c
printf 'OBJS = $(patsubst %%.c,%%.o,$(wildcard *.c))\\nprog: $(OBJS)\\n\\tcc -o $@ $^\\n%%.o: %%.c\\n\\tcc -c -o $@ $<\\n' > Makefile
make -s -j2 && ./prog && echo built`,
    expect: /^built$/m,
    rulesMax: 40,
  },
  {
    name: "python3 -m venv and stdlib imports",
    script: `${PYTHON} -m venv --without-pip venv-$N &&
venv-$N/bin/python -c 'import json, csv, sqlite3, decimal, email.parser, tempfile
with tempfile.NamedTemporaryFile() as f: f.write(b"x")
print("venv", json.dumps(sqlite3.connect(":memory:").execute("select 1").fetchone()))'`,
    expect: /^venv \[1\]$/m,
    rulesMax: 40,
  },
  {
    name: "tar czf and tar xzf",
    script:
      `mkdir -p tree/a/b tree/c && for i in 1 2 3; do echo $i > tree/a/b/$N$i; echo $i > tree/c/g$N$i; done
tar czf $N.tgz tree && mkdir out && tar xzf $N.tgz -C out && find out -type f | wc -l`,
    expect: /^6$/m,
    rulesMax: 40,
  },
];

function envFor(work: string): Record<string, string> {
  return { PWD: work, OLDPWD: work, HOME, NO_COLOR: "1" };
}

/** Runs `syd ARGS -- bash -c SCRIPT` in `work`, with $N set to `name`. */
async function inWork(args: string[], work: string, script: string, name: string) {
  return await run(SYD, [
    ...args,
    "--",
    "bash",
    "-c",
    `set -e; cd "$1"; N=$2; ${script}`,
    "w",
    work,
    name,
  ], {
    cwd: work,
    env: envFor(work),
  });
}

function denials(stderr: string): Record<string, unknown>[] {
  return records(stderr).filter((r) => r.ctx === "access" && r.act !== "warn");
}

function emptyDir(dir: string): void {
  for (const entry of Deno.readDirSync(dir)) {
    Deno.removeSync(`${dir}/${entry.name}`, { recursive: true });
  }
}

async function lintClean(policy: string): Promise<void> {
  const lint = await run(SYD, ["lint", policy]);
  assert.equal(lint.code, 0, lint.stdout + lint.stderr);
  assert.equal(lint.stdout + lint.stderr, "", "lint prints nothing for a clean policy");
}

function ruleLines(text: string): string[] {
  return text.split("\n").filter((line) => line.startsWith("allow/"));
}

const CASES: { base: string[]; workload: Workload }[] = [
  ...WORKLOADS.map((workload) => ({ base: ["-p", "user"], workload })),
  // With no base, every access the C project makes is learnt: still at most 40 rules.
  { base: [], workload: WORKLOADS[1] },
];

for (const { base, workload } of CASES) {
  const baseName = base.length > 0 ? base.join(" ") : "with no base";
  Deno.test(`syd learn ${baseName}: ${workload.name}: the learnt policy runs it again with no denial, and a run with other names`, async () => {
    const work = Deno.makeTempDirSync({ dir: HOME, prefix: "syd-learn-" });
    const out = Deno.makeTempDirSync({ prefix: "syd-learn-policy-" });
    const policy = `${out}/p.syd-3`;
    try {
      const learnt = await inWork(
        ["learn", ...base, "-o", policy],
        work,
        workload.script,
        "one",
      );
      assert.equal(learnt.code, 0, learnt.stderr.slice(-3000));
      assert.match(learnt.stdout, workload.expect);
      assert.doesNotMatch(learnt.stderr, /dropped|denied even in trace mode/);
      const text = Deno.readTextFileSync(policy);
      assert.ok(ruleLines(text).length <= workload.rulesMax, text);
      const counts = text.split("\n").filter((line) => /^# [0-9]+ access(es)?$/.test(line));
      assert.equal(counts.length, ruleLines(text).length, "each rule counts its accesses");
      if (Deno.env.get("SYD_TEST_SHOW_POLICY")) console.log(text);
      await lintClean(policy);
      for (const name of ["one", "two"]) {
        emptyDir(work);
        const again = await inWork([...base, "-P", policy], work, workload.script, name);
        assert.equal(again.code, 0, `${name}: ${again.stderr.slice(-3000)}\n${text}`);
        assert.match(again.stdout, workload.expect);
        assert.deepEqual(denials(again.stderr), [], `${name}:\n${text}`);
      }
    } finally {
      Deno.removeSync(work, { recursive: true });
      Deno.removeSync(out, { recursive: true });
    }
  });
}

Deno.test("syd learn: a read of /etc/shadow becomes a commented-out rule with a warning, and stays denied", async () => {
  const out = Deno.makeTempDirSync({ prefix: "syd-learn-policy-" });
  const policy = `${out}/p.syd-3`;
  try {
    const learnt = await run(
      SYD,
      ["learn", "-p", "user", "-o", policy, "--", "cat", "/etc/shadow"],
      {
        env: { HOME, PWD: out },
        cwd: out,
      },
    );
    assert.equal(learnt.code, 0, learnt.stderr);
    assert.match(
      learnt.stderr,
      /warning: sensitive access not allowed \(password hashes\): read \/etc\/shadow/,
    );
    const text = Deno.readTextFileSync(policy);
    assert.match(text, /^# WARNING: password hashes: 1 access\n#allow\/read\+\/etc\/shadow$/m);
    assert.doesNotMatch(text, /^allow\/.*shadow/m);
    await lintClean(policy);
    const again = await run(SYD, ["-p", "user", "-P", policy, "--", "cat", "/etc/shadow"], {
      env: { HOME, PWD: out },
      cwd: out,
    });
    assert.notEqual(again.code, 0);
    const denied = denials(again.stderr);
    assert.ok(denied.some((r) => r.cap === "read" && r.path === "/etc/shadow"), again.stderr);
  } finally {
    Deno.removeSync(out, { recursive: true });
  }
});

Deno.test("syd learn --from: the records of a syd -x run (SYD_LOG_FD), merged from two logs", async () => {
  const work = Deno.makeTempDirSync({ dir: HOME, prefix: "syd-learn-" });
  const out = Deno.makeTempDirSync({ prefix: "syd-learn-policy-" });
  const policy = `${out}/p.syd-3`;
  const script = WORKLOADS[3].script;
  try {
    for (const name of ["one", "two"]) {
      const log = `${out}/${name}.log`;
      emptyDir(work);
      const traced = await run("bash", [
        "-c",
        `exec 3>"$1"; shift; SYD_LOG_FD=3 SYD_LOG=notice exec "$@"`,
        "x",
        log,
        SYD,
        "-x",
        "--",
        "bash",
        "-c",
        `set -e; cd "$1"; N=$2; ${script}`,
        "w",
        work,
        name,
      ], { cwd: work, env: envFor(work) });
      assert.equal(traced.code, 0, traced.stderr);
    }
    const learnt = await run(SYD, [
      "learn",
      "--from",
      `${out}/one.log`,
      "--from",
      `${out}/two.log`,
      "-p",
      "user",
      "-o",
      policy,
    ], {
      cwd: work,
      env: envFor(work),
    });
    assert.equal(learnt.code, 0, learnt.stderr);
    await lintClean(policy);
    emptyDir(work);
    const again = await inWork(["-p", "user", "-P", policy], work, script, "three");
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(denials(again.stderr), [], Deno.readTextFileSync(policy));
  } finally {
    Deno.removeSync(work, { recursive: true });
    Deno.removeSync(out, { recursive: true });
  }
});

Deno.test("syd learn --from: a log that is not records fails with the file and line, and writes nothing", async () => {
  const out = Deno.makeTempDirSync({ prefix: "syd-learn-policy-" });
  try {
    Deno.writeTextFileSync(
      `${out}/bad.log`,
      '{"ctx":"access","cap":"read","act":"warn","path":"/etc/hostname"}\n{"ctx":"access","cap":"read"\n{"ctx":"access","cap":"read","act":"warn","path":"relative"}\n',
    );
    const learnt = await run(SYD, ["learn", "--from", `${out}/bad.log`, "-o", `${out}/p.syd-3`]);
    assert.equal(learnt.code, 22);
    assert.match(learnt.stderr, /bad\.log:2: not JSON/);
    assert.match(learnt.stderr, /bad\.log:3: a path that is not absolute: "relative"/);
    assert.throws(() => Deno.statSync(`${out}/p.syd-3`));
    const usage = await run(SYD, ["learn", "-p", "user"]);
    assert.equal(usage.code, 22);
    assert.match(usage.stderr, /no command given/);
  } finally {
    Deno.removeSync(out, { recursive: true });
  }
});

Deno.test("syd learn with no base: every category an open is judged for is learnt (stat with read), and the policy alone runs it", async () => {
  const out = Deno.makeTempDirSync({ prefix: "syd-learn-policy-" });
  const policy = `${out}/p.syd-3`;
  try {
    const argv = ["/usr/bin/cat", "/etc/hostname"];
    const learnt = await run(SYD, ["learn", "-o", policy, "--", ...argv], {
      cwd: out,
      env: { PWD: out, HOME },
    });
    assert.equal(learnt.code, 0, learnt.stderr);
    const text = Deno.readTextFileSync(policy);
    assert.match(text, /^allow\/stat,read\+\/etc\/hostname$/m);
    assert.match(text, /^allow\/exec\+\/usr\/bin\/cat$/m);
    await lintClean(policy);
    const again = await run(SYD, ["-P", policy, "--", ...argv], {
      cwd: out,
      env: { PWD: out, HOME },
    });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, Deno.readTextFileSync("/etc/hostname"));
    assert.deepEqual(denials(again.stderr), []);
  } finally {
    Deno.removeSync(out, { recursive: true });
  }
});

Deno.test("syd learn: network rules by address and port (loopback, ephemeral ports), abstract sockets by name", async () => {
  const work = Deno.makeTempDirSync({ dir: HOME, prefix: "syd-learn-" });
  const out = Deno.makeTempDirSync({ prefix: "syd-learn-policy-" });
  const policy = `${out}/p.syd-3`;
  const abstract = `syd-learn-${crypto.randomUUID().slice(0, 8)}`;
  const script = `import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
c = socket.socket(); c.connect(("127.0.0.1", s.getsockname()[1]))
a = socket.socket(socket.AF_UNIX); a.bind("\\0${abstract}"); a.listen()
b = socket.socket(socket.AF_UNIX); b.connect("\\0${abstract}")
print("net ok")`;
  try {
    const env = envFor(work);
    const learnt = await run(SYD, [
      "learn",
      "-p",
      "user",
      "-m",
      "deny/net/connect+loopback!0-65535",
      "-o",
      policy,
      "--",
      PYTHON,
      "-c",
      script,
    ], { cwd: work, env });
    assert.equal(learnt.code, 0, learnt.stderr);
    const text = Deno.readTextFileSync(policy);
    assert.match(text, /^allow\/net\/bind\+loopback!0$/m, text);
    assert.match(text, /^allow\/net\/connect\+loopback!32768-65535$/m, text);
    assert.match(text, new RegExp(`^allow/net/bind,net/connect\\+@${abstract}$`, "m"), text);
    await lintClean(policy);
    const again = await run(SYD, [
      "-p",
      "user",
      "-m",
      "deny/net/connect+loopback!0-65535",
      "-P",
      policy,
      "--",
      PYTHON,
      "-c",
      script,
    ], { cwd: work, env });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(denials(again.stderr), []);
  } finally {
    Deno.removeSync(work, { recursive: true });
    Deno.removeSync(out, { recursive: true });
  }
});
