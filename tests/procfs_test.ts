/**
 * End-to-end tests of how syd names /proc for the sandbox: a thread's /proc/self is its thread
 * group's /proc/<tgid>, which rules written with /proc/self match, as they do for the group's
 * leader (as the original: its proc_self_thread cases).
 */
import assert from "node:assert/strict";
import { runSyd } from "./_syd.ts";

/** Lists /proc/self from the main thread and from a second one; prints whether `stat` is listed. */
const LIST_SELF = `import os, threading
def show(who):
    print(who, "stat" in os.listdir("/proc/self"))
show("main")
t = threading.Thread(target=show, args=("thread",))
t.start()
t.join()
`;

async function listSelf(rules: string[]) {
  const outcome = await runSyd([
    "-q",
    "-poff",
    "-m",
    "sandbox/read,list:on",
    "-m",
    "allow/read+/***",
    ...rules.flatMap((rule) => ["-m", rule]),
    "--",
    "python3",
    "-c",
    LIST_SELF,
  ]);
  assert.equal(outcome.code, 0, outcome.stderr);
  return outcome.stdout;
}

Deno.test("list rules of /proc/self match a thread's listing of /proc/self, as the leader's", async () => {
  // /proc/<tgid>/stat matches deny/list+/proc/**; only as /proc/self/stat is it allowed.
  const allowed = await listSelf([
    "allow/list+/***",
    "deny/list+/proc/**",
    "allow/list+/proc/self/***",
  ]);
  assert.equal(allowed, "main True\nthread True\n");
  const hidden = await listSelf(["allow/list+/***", "deny/list+/proc/self/stat"]);
  assert.equal(hidden, "main False\nthread False\n");
});

/** Prints the status fields that tell a sandbox apart, one `Key: value` line each. */
const STATUS_FIELDS =
  `grep -E '^(TracerPid|NoNewPrivs|Seccomp|Seccomp_filters|Speculation_Store_Bypass|SpeculationIndirectBranch):' /proc/self/status | tr -s '\\t ' ' '`;

Deno.test("/proc/PID/status hides syd's tracer and filter unless trace/allow_unsafe_proc_pid_status, which /dev/syd changes", async () => {
  const outcome = await runSyd([
    "-q",
    "-pfs",
    "-m",
    "sandbox/lock:off",
    "-m",
    "allow/all+/***",
    "-m",
    "allow/create+!pipe",
    "-m",
    "lock:exec",
    "--",
    "sh",
    "-c",
    `${STATUS_FIELDS}; test -c /dev/syd/trace/allow_unsafe_proc_pid_status:1 && echo relaxed; ` +
    `grep -E '^(TracerPid|Seccomp):' /proc/self/status | tr -s '\\t ' ' '`,
  ]);
  assert.equal(outcome.code, 0, outcome.stderr);
  const lines = outcome.stdout.split("\n");
  assert.deepEqual(lines.slice(0, 5), [
    "TracerPid: 0",
    "NoNewPrivs: 0",
    "Seccomp: 0",
    "Seccomp_filters: 0",
    "Speculation_Store_Bypass: vulnerable",
  ]);
  assert.match(lines[5], /^SpeculationIndirectBranch: always enabled$/);
  assert.equal(lines[6], "relaxed");
  assert.match(lines[7], /^TracerPid: [1-9]\d*$/); // syd's tracer, as the kernel shows it
  assert.equal(lines[8], "Seccomp: 2");
});

Deno.test("a filtered /proc/PID/status still copies and names itself: cp works, readlink of its fd gives its path", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "syd-procfs-" });
  try {
    const outcome = await runSyd([
      "-q",
      "-pfs",
      "-m",
      "sandbox/lock:off",
      "-m",
      "allow/all+/***",
      "-m",
      "allow/create+!pipe",
      "--",
      "bash",
      "-c",
      `cp /proc/self/status ${dir}/copy && grep '^Seccomp:' ${dir}/copy; ` +
      `exec 42</proc/self/status; l=$(readlink /proc/self/fd/42); test "$l" = /proc/$$/status && echo named`,
    ]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.stdout.replace(/\t/g, " "), "Seccomp: 0\nnamed\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/**
 * Learns the served memfds' name tag from /proc/self/maps (a mapped served /proc/self/status),
 * names a memfd of its own with it for a child's status file, and prints whether fstat of that
 * memfd answers the memfd's own metadata ("own") or the status file's ("status"), after what a
 * stat of the status file itself answers.
 */
const FORGE_TAG = `import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
fd = os.open("/proc/self/status", os.O_RDONLY)
assert libc.mmap(None, 4096, 1, 2, fd, 0) not in (None, 2**64 - 1)
tag = [l.split("/memfd:")[1].split("/")[0] for l in open("/proc/self/maps") if "/memfd:syd-" in l][0]
child = subprocess.Popen(["sleep", "30"])
target = "/proc/%d/status" % child.pid
try:
    os.stat(target)
    print("stat allowed")
except OSError as e:
    print("stat", os.strerror(e.errno))
forged = os.memfd_create(tag + target, 0)
ino = [int(l.split()[1]) for l in open("/proc/self/fdinfo/%d" % forged) if l.startswith("ino:")][0]
print("own" if os.fstat(forged).st_ino == ino else "status")
child.kill()
`;

Deno.test("a memfd the sandbox names with the served memfds' tag answers fstat with its own metadata, not a denied status file's (found by review)", async () => {
  const outcome = await runSyd([
    "-q",
    "-poff",
    "-m",
    "sandbox/read,stat:on",
    "-m",
    "allow/read,stat+/***",
    "-m",
    "deny/stat+/proc/[0-9]*/status",
    "--",
    "python3",
    "-c",
    FORGE_TAG,
  ]);
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.equal(outcome.stdout, "stat Permission denied\nown\n");
});
