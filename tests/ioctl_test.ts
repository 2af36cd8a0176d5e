/**
 * ioctl sandboxing as the original syd 3.59's: requests are judged by number, never by the fd's
 * path; the startup denylist (TIOCSTI, TIOCLINUX, ...) holds whether ioctl sandboxing is on or
 * off; `allow/ioctl` and `deny/ioctl` take names, numbers and globs; the tty profile allows the
 * terminal requests.
 */
import assert from "node:assert/strict";
import { PYTHON, records, run, runSyd, SYD } from "./_syd.ts";

/** The system's own interpreter (a version manager's lives in a dot directory of $HOME). */
const SYSTEM_PYTHON = await Deno.stat("/usr/bin/python3").then(
  () => "/usr/bin/python3",
  () => PYTHON,
);

/**
 * Python that makes a pseudo-terminal its controlling terminal (in a new session: TIOCSTI needs
 * that without CAP_SYS_ADMIN) and tries requests on it: `name OK` or `name ERRNO`.
 */
const PTY_REQUESTS = `
import errno, fcntl, os, pty, struct, sys, termios
m, s = pty.openpty()
def attempt(name, fn):
    try:
        fn()
        print(name, "OK", flush=True)
    except OSError as e:
        print(name, errno.errorcode[e.errno], flush=True)
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(s, termios.TIOCSCTTY, 0)
    attempt("tiocsti", lambda: fcntl.ioctl(s, termios.TIOCSTI, b"x"))
    attempt("tiocgwinsz", lambda: fcntl.ioctl(s, termios.TIOCGWINSZ, b"\\0" * 8))
    attempt("fionread", lambda: fcntl.ioctl(s, termios.FIONREAD, b"\\0" * 4))
    os._exit(0)
os.waitpid(pid, 0)
`;

/** ioctl sandboxing on, with the tty profile's requests (pty.openpty needs some) but TIOCGWINSZ. */
const IOCTL_ON = [
  "-poff",
  "-m",
  "sandbox/ioctl:on",
  "-m",
  "include_profile tty",
  "-m",
  "allow/ioctl-TIOCGWINSZ",
];

function ioctlRecords(stderr: string): Record<string, unknown>[] {
  return records(stderr).filter((r) => r.cap === "ioctl");
}

Deno.test("under -p user, importing json writes no ioctl record (isatty of a regular file is not judged)", async () => {
  const result = await run(SYD, ["-p", "user", "--", SYSTEM_PYTHON, "-c", "import json"], {
    cwd: "/tmp",
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(ioctlRecords(result.stderr), []);
});

Deno.test("under -p user, isatty of a regular file is false with no record, and a pseudo-terminal's size is read", async () => {
  const script = `
import os, sys, fcntl, termios, pty
f = open("/etc/passwd")
print("isatty", os.isatty(f.fileno()))
m, s = pty.openpty()
fcntl.ioctl(s, termios.TIOCGWINSZ, b"\\0" * 8)
print("winsz ok")
`;
  const result = await run(SYD, ["-p", "user", "--", SYSTEM_PYTHON, "-c", script], { cwd: "/tmp" });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "isatty False\nwinsz ok\n");
  assert.deepEqual(ioctlRecords(result.stderr), []);
});

Deno.test("TIOCSTI is refused with ENOTTY with ioctl sandboxing off, and deny/ioctl-TIOCSTI lifts it", async () => {
  const denied = await runSyd(["-poff", "--", "python3", "-c", PTY_REQUESTS]);
  assert.equal(denied.code, 0, denied.stderr);
  assert.equal(denied.stdout, "tiocsti ENOTTY\ntiocgwinsz OK\nfionread OK\n");
  const lifted = await runSyd([
    "-poff",
    "-m",
    "deny/ioctl-TIOCSTI",
    "--",
    "python3",
    "-c",
    PTY_REQUESTS,
  ]);
  assert.equal(lifted.code, 0, lifted.stderr);
  assert.equal(lifted.stdout, "tiocsti OK\ntiocgwinsz OK\nfionread OK\n");
});

Deno.test("TIOCSTI with the request's upper 32 bits set is refused too (the kernel reads 32 bits)", async () => {
  const script = `
import ctypes, os, pty
libc = ctypes.CDLL(None, use_errno=True)
m, s = pty.openpty()
rc = libc.syscall(16, s, ctypes.c_ulong(0xffffffff00005412), ctypes.c_char_p(b"x"))
print(rc, os.strerror(ctypes.get_errno()) if rc < 0 else "")
`;
  const result = await runSyd(["-poff", "--", "python3", "-c", script]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "-1 Inappropriate ioctl for device\n");
});

Deno.test("with ioctl sandboxing on, a request neither list names is denied (ENOTTY, a record naming it); allowed by name or by number", async () => {
  const on = IOCTL_ON;
  const denied = await runSyd([...on, "--", "python3", "-c", PTY_REQUESTS]);
  assert.equal(denied.code, 0, denied.stderr);
  assert.equal(denied.stdout, "tiocsti ENOTTY\ntiocgwinsz ENOTTY\nfionread OK\n");
  const found = ioctlRecords(denied.stderr);
  assert.equal(found.length, 1, denied.stderr);
  assert.equal(found[0].ctl, "TIOCGWINSZ");
  assert.equal(found[0].err, 25);
  assert.equal(found[0].act, "deny");
  assert.equal(found[0].tip, "allow/ioctl+TIOCGWINSZ");
  for (
    const rule of [
      "allow/ioctl+TIOCGWINSZ",
      "allow/ioctl+tiocgwinsz",
      "allow/ioctl+0x5413",
      "allow/ioctl+21523",
      "allow/ioctl+TIOCG*",
    ]
  ) {
    const allowed = await runSyd([...on, "-m", rule, "--", "python3", "-c", PTY_REQUESTS]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout, "tiocsti ENOTTY\ntiocgwinsz OK\nfionread OK\n", rule);
    assert.deepEqual(ioctlRecords(allowed.stderr), [], rule);
  }
});

Deno.test("deny/ioctl by name or number denies an allowed request (ENOTTY) whether ioctl sandboxing is on or off; the last rule for a request wins", async () => {
  for (const rule of ["deny/ioctl+FIONREAD", "deny/ioctl+0x541b"]) {
    for (const state of ["on", "off"]) {
      const result = await runSyd([
        ...IOCTL_ON,
        "-m",
        `sandbox/ioctl:${state}`,
        "-m",
        "allow/ioctl+TIOCGWINSZ",
        "-m",
        rule,
        "--",
        "python3",
        "-c",
        PTY_REQUESTS,
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        result.stdout,
        "tiocsti ENOTTY\ntiocgwinsz OK\nfionread ENOTTY\n",
        `${rule} ${state}`,
      );
    }
  }
  const last = await runSyd([
    ...IOCTL_ON,
    "-m",
    "deny/ioctl+TIOCGWINSZ",
    "-m",
    "allow/ioctl+TIOCGWINSZ",
    "--",
    "python3",
    "-c",
    PTY_REQUESTS,
  ]);
  assert.equal(last.stdout, "tiocsti ENOTTY\ntiocgwinsz OK\nfionread OK\n", last.stderr);
});

Deno.test("deny/ioctl of a request whose size varies (PIDFD_GET_INFO) denies it at every size", async () => {
  const script = `
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.syscall(434, os.getpid(), 0)
buf = ctypes.create_string_buffer(256)
for size in (0x40, 0x80):
    request = 0xc000ff0b | (size << 16)
    rc = libc.syscall(16, fd, ctypes.c_ulong(request), buf)
    print(hex(size), "OK" if rc >= 0 else os.strerror(ctypes.get_errno()))
`;
  const allowed = await runSyd(["-poff", "-m", "sandbox/ioctl:on", "--", "python3", "-c", script]);
  assert.equal(allowed.stdout, "0x40 OK\n0x80 OK\n", allowed.stderr);
  const denied = await runSyd([
    "-poff",
    "-m",
    "deny/ioctl+PIDFD_GET_INFO",
    "--",
    "python3",
    "-c",
    script,
  ]);
  assert.equal(
    denied.stdout,
    "0x40 Inappropriate ioctl for device\n0x80 Inappropriate ioctl for device\n",
    denied.stderr,
  );
});

Deno.test("a denied request of the original's errno table answers that errno (FICLONE: EOPNOTSUPP)", async () => {
  const script = `
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
a = os.open("/tmp", os.O_RDONLY)
rc = libc.syscall(16, a, ctypes.c_ulong(0x40049409), ctypes.c_ulong(a))
print("OK" if rc >= 0 else os.strerror(ctypes.get_errno()))
`;
  const result = await runSyd(["-poff", "--", "python3", "-c", script]);
  assert.equal(result.stdout, "Operation not supported\n", result.stderr);
});

Deno.test("ioctl rules that name paths, unknown names and mixed categories are refused at load; NAME! ignores an unknown name", async () => {
  for (
    const rule of [
      "allow/ioctl+/dev/tty",
      "allow/ioctl+NO_SUCH_IOCTL",
      "allow/read,ioctl+/dev/null",
      "warn/ioctl+FIONREAD",
      "allow/ioctl+0x1ffffffff",
    ]
  ) {
    const result = await runSyd(["-poff", "-m", rule, "--", "true"]);
    assert.notEqual(result.code, 0, rule);
    assert.match(result.stderr, /ioctl/, rule);
    const lint = await run(SYD, ["lint", "-m", rule]);
    assert.equal(lint.code, 1, `lint ${rule}: ${lint.stdout}`);
  }
  for (
    const rule of [
      "allow/ioctl+NO_SUCH_IOCTL!",
      "allow/ioctl+FIO*,FIBMAP",
      "deny/ioctl^TIOC[GS]WINSZ",
      "allow/ioctl+0o21523",
    ]
  ) {
    const result = await runSyd(["-poff", "-m", rule, "--", "true"]);
    assert.equal(result.code, 0, `${rule}: ${result.stderr}`);
    const lint = await run(SYD, ["lint", "-m", rule]);
    assert.equal(lint.code, 0, `lint ${rule}: ${lint.stdout}`);
  }
});

Deno.test("the tty profile's terminal requests are allowed under -p user and a line of one's own may deny one", async () => {
  const user = await run(SYD, ["-p", "user", "--", SYSTEM_PYTHON, "-c", PTY_REQUESTS], {
    cwd: "/tmp",
  });
  assert.equal(user.stdout, "tiocsti ENOTTY\ntiocgwinsz OK\nfionread OK\n", user.stderr);
  const own = await run(
    SYD,
    ["-p", "user", "-m", "deny/ioctl+TIOCGWINSZ", "--", SYSTEM_PYTHON, "-c", PTY_REQUESTS],
    { cwd: "/tmp" },
  );
  assert.equal(own.stdout, "tiocsti ENOTTY\ntiocgwinsz ENOTTY\nfionread OK\n", own.stderr);
});

Deno.test("through /dev/syd a request can be denied at run time, but not taken off the startup denylist (EBUSY)", async () => {
  const script = `
import errno, fcntl, os, pty, termios
m, s = pty.openpty()
def attempt(name, fn):
    try:
        fn()
        print(name, "OK", flush=True)
    except OSError as e:
        print(name, errno.errorcode[e.errno], flush=True)
attempt("before", lambda: fcntl.ioctl(s, termios.FIONREAD, b"\\0" * 4))
attempt("deny", lambda: os.stat("/dev/syd/deny/ioctl+FIONREAD"))
attempt("after", lambda: fcntl.ioctl(s, termios.FIONREAD, b"\\0" * 4))
attempt("remove", lambda: os.stat("/dev/syd/deny/ioctl-TIOCSTI"))
attempt("tiocsti", lambda: fcntl.ioctl(s, termios.TIOCSTI, b"x"))
`;
  const result = await runSyd([...IOCTL_ON, "-m", "lock:exec", "--", "python3", "-c", script]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "before OK\ndeny OK\nafter ENOTTY\nremove EBUSY\ntiocsti ENOTTY\n");
});
