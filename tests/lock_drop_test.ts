/**
 * End-to-end tests of `lock:drop` (syd.2 `lock`): once the lock is `drop`, commands through
 * `/dev/syd` (from any process) and later `-m` commands may only make the sandbox stricter;
 * every other command is refused with EPERM, and the policy cannot be read.
 */
import assert from "node:assert/strict";
import { PY_ATTEMPT, records, runSyd, tempDir } from "./_syd.ts";

/**
 * A shell prelude: `yes CMD` asserts that /dev/syd/CMD is accepted, `no CMD` that it is
 * refused; each failure prints its command and the script ends with status 1.
 */
const PRELUDE = `
FAILED=0
yes() { test -c "/dev/syd/$1" || { echo "refused: $1"; FAILED=1; }; }
no() { test -c "/dev/syd/$1" && { echo "accepted: $1"; FAILED=1; }; return 0; }
`;

/** Every action, from the mildest, as the original orders them. */
const ACTIONS = ["allow", "warn", "abort", "filter", "deny", "panic", "stop", "kill", "exit"];

/**
 * The commands the original's test_syd_lock_drop tries, each with what lock:drop must answer,
 * written again for the categories, options and rule kinds this syd has.
 */
function dropScript(): string {
  const lines = [PRELUDE, "yes lock:drop", "no lock:off", "no lock:exec", "no lock:ipc"];
  const categories = [
    "fs",
    "walk",
    "read",
    "write",
    "exec",
    "create",
    "delete",
    "rename",
    "symlink",
    "truncate",
    "readdir",
    "mkdir",
    "rmdir",
    "chown",
    "chgrp",
    "chmod",
    "chattr",
    "chroot",
    "utime",
    "mkbdev",
    "mkcdev",
    "mkfifo",
    "mktemp",
    "net/bind",
    "net/connect",
    "sendfd",
  ];
  for (const category of categories) {
    lines.push(`yes sandbox/${category}:on`, `no sandbox/${category}:off`);
  }
  for (
    const option of [
      "deny_dotdot",
      "force_cloexec",
      "force_ro_open",
      "force_wx_open",
      "force_no_magiclinks",
      "force_no_symlinks",
      "force_no_xdev",
    ]
  ) {
    lines.push(`yes trace/${option}:1`, `no trace/${option}:0`);
  }
  // The relaxations a running sandbox may change: off is accepted, on refused.
  for (
    const option of [
      "create",
      "deleted",
      "filename",
      "hardlinks",
      "proc_pid_status",
      "sticky",
      "symlinks",
      "any_addr",
      "open_suid",
    ]
  ) {
    lines.push(`yes trace/allow_unsafe_${option}:0`, `no trace/allow_unsafe_${option}:1`);
  }
  // Those fixed at start stay refused either way.
  for (const option of ["cbpf", "ptrace", "personality", "mkbdev", "shm", "kcapi"]) {
    lines.push(`no trace/allow_unsafe_${option}:0`, `no trace/allow_unsafe_${option}:1`);
  }
  // ioctl rules name requests, as the original's test does (FIONREAD): allow and deny only.
  lines.push(
    "no allow/ioctl+FIONREAD",
    "yes allow/ioctl-FIONREAD",
    "yes allow/ioctl^FIONREAD",
    "yes deny/ioctl+FIONREAD",
    "no allow/ioctl+FIONREAD",
  );
  for (const category of categories.filter((c) => c !== "fs")) {
    const object = category.startsWith("net/")
      ? "'any!22'"
      : category === "sendfd"
      ? "'!eventpoll'"
      : "'/tmp/***'";
    const rule = (action: string, op: string) => `${action}/${category}${op}${object}`;
    // allow: removing is tightening, adding is not.
    lines.push(
      `no ${rule("allow", "+")}`,
      `yes ${rule("allow", "-")}`,
      `yes ${rule("allow", "^")}`,
    );
    for (const action of ["warn", "abort", "filter"]) {
      lines.push(`no ${rule(action, "+")}`, `no ${rule(action, "-")}`, `no ${rule(action, "^")}`);
    }
    // deny and stricter: adding is tightening, removing is not; once a stricter rule meets an
    // object, a milder one is refused for it.
    for (const [index, action] of ACTIONS.entries()) {
      if (index < ACTIONS.indexOf("deny")) continue;
      lines.push(`yes ${rule(action, "+")}`, `no ${rule(action, "-")}`, `no ${rule(action, "^")}`);
      for (const milder of ACTIONS.slice(0, index)) lines.push(`no ${rule(milder, "+")}`);
    }
  }
  // A deny rule that meets no stricter one is still accepted.
  lines.push("yes 'deny/read+/var/***'");
  for (const category of [...categories, "ioctl"]) {
    for (const [index, action] of ACTIONS.entries()) {
      if (index < ACTIONS.indexOf("deny")) {
        lines.push(`no default/${category}:${action}`);
        continue;
      }
      lines.push(`yes default/${category}:${action}`);
      for (const milder of ACTIONS.slice(0, index)) lines.push(`no default/${category}:${milder}`);
    }
  }
  lines.push(
    "no 'sandbox/read?'",
    "no reset",
    "no dump",
    "no stat",
    "no panic",
    "no 'include_profile user'",
    "no log/rlimit_burst:1",
    "no trace/exit_wait_all:1",
    "no 'setenv!X=1'",
    // The lock may still rise (and then /dev/syd is an ordinary path, judged as any other).
    "yes lock:on",
    'exit "$FAILED"',
  );
  return lines.join("\n");
}

Deno.test("lock:drop lets /dev/syd only tighten the sandbox, as the original's test_syd_lock_drop", async () => {
  const dir = tempDir("syd-drop-");
  try {
    const result = await runSyd(["-p", "off", "-m", "lock:exec", "--", "sh", "-c", dropScript()], {
      cwd: dir,
    });
    assert.equal(result.stdout, "");
    assert.equal(result.stdout, "");
    assert.equal(result.code, 0, result.stderr);
    const refusals = records(result.stderr).filter((r) =>
      String(r.msg).startsWith("refused by lock:drop")
    );
    assert.ok(refusals.length > 100, `${refusals.length} refusals logged`);
    assert.ok(refusals.every((r) => r.errno === 1 && r.ctx === "magic" && r.level === "warn"));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("lock:drop refuses with EPERM, lets every process tighten, and hides the policy", async () => {
  const script = `${PY_ATTEMPT}
def magic(cmd):
    return lambda: os.stat("/dev/syd/" + cmd)
attempt("drop", magic("lock:drop"))
attempt("read off", magic("sandbox/read:off"))
attempt("lock exec", magic("lock:exec"))
attempt("unknown", magic("sandbox/nosuch:on"))
attempt("unsupported", magic("trace/allow_unsafe_machine_id:0"))
attempt("cat", lambda: os.open("/dev/syd", os.O_RDONLY))
pid = os.fork()
if pid == 0:
    # Not the first process: lock:exec would keep it out, lock:drop lets it tighten.
    attempt("child on", magic("sandbox/write:on"))
    attempt("child off", magic("sandbox/write:off"))
    os._exit(0)
os.waitpid(pid, 0)
attempt("write", lambda: os.open("/dev/null", os.O_WRONLY))
`;
  const result = await runSyd(["-p", "off", "-m", "lock:exec", "--", "python3", "-c", script]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    [
      "drop OK",
      "read off EPERM",
      "lock exec EPERM",
      "unknown EINVAL",
      "unsupported ENOTSUP", // Python's name for EOPNOTSUPP (95)
      "cat ENOENT",
      "child on OK",
      "child off EPERM",
      // write sandboxing is on now, by the child's command, and nothing allows /dev/null
      "write EACCES",
      "",
    ].join("\n"),
  );
});

Deno.test("lock:drop on the command line: later commands may only tighten (EPERM, exit 1)", async () => {
  const loosened = await runSyd(["-p", "off", "-m", "lock:drop", "-m", "sandbox/read:off", "true"]);
  assert.equal(loosened.code, 1);
  assert.match(loosened.stderr, /sandbox\/read:off` refused by lock:drop/);
  const lowered = await runSyd(["-p", "off", "-m", "lock:drop", "-m", "lock:off", "true"]);
  assert.equal(lowered.code, 1);
  const milder = await runSyd([
    "-p",
    "off",
    "-m",
    "deny/read+/etc/***",
    "-m",
    "lock:drop",
    "-m",
    "allow/read+/etc/hostname",
    "true",
  ]);
  assert.equal(milder.code, 1);
  // Tightening is accepted: the program runs with read sandboxing on and /etc denied.
  const tightened = await runSyd([
    "-p",
    "off",
    "-m",
    "lock:drop",
    "-m",
    "sandbox/read:on",
    "-m",
    "allow/read+/***",
    "-m",
    "allow/read-/***",
    "-m",
    "default/read:kill",
    "--",
    "cat",
    "/etc/hostname",
  ]);
  assert.notEqual(tightened.code, 0);
  assert.equal(tightened.signal ?? null, null);
  const checked = await runSyd(["lint", "-m", "lock:drop", "-m", "sandbox/write:off"]);
  assert.equal(checked.code, 1);
  assert.match(checked.stdout + checked.stderr, /refused by lock:drop/);
});
