/**
 * /dev/tty is the opener's own controlling terminal: syd, which performs the open, opens the
 * caller's terminal, never its own (tests run syd inside a pseudo-terminal, so that syd has one).
 */
import assert from "node:assert/strict";
import { PYTHON, run, SYD } from "./_syd.ts";

// Inside the sandbox: /dev/tty in syd's session, after setsid (none: ENXIO), and after making a
// new pty the controlling terminal (what is written to /dev/tty arrives at that pty's master).
const INNER = `
import os, pty, fcntl, termios
def t(name, f):
    try: print(name, f(), flush=True)
    except OSError as e: print(name, "errno", e.errno, flush=True)
t("same", lambda: os.isatty(os.open("/dev/tty", os.O_RDWR)))
pid = os.fork()
if pid == 0:
    os.setsid()
    t("setsid", lambda: os.open("/dev/tty", os.O_RDONLY) >= 0)
    m, s = pty.openpty()
    fcntl.ioctl(s, termios.TIOCSCTTY, 0)
    def reached():
        os.write(os.open("/dev/tty", os.O_RDWR), b"ping")
        return b"ping" in os.read(m, 100)
    t("newpty", reached)
    os._exit(0)
os.waitpid(pid, 0)
`;

// Runs COMMAND... in a new pseudo-terminal (its controlling terminal) and prints what it wrote.
const OUTER = `
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try: data = os.read(fd, 4096)
    except OSError: break
    if not data: break
    out += data
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\\r", ""))
`;

Deno.test("/dev/tty opens the caller's controlling terminal, not syd's: ENXIO after setsid, the new pty after TIOCSCTTY", async () => {
  const expected = "same True\nsetsid errno 6\nnewpty True\n";
  const native = await run(PYTHON, ["-c", OUTER, PYTHON, "-c", INNER]);
  assert.equal(native.stdout, expected, native.stderr);
  const policy = ["-poff", "-m", "sandbox/read,write:on", "-m", "allow/read,write+/***"];
  const sandboxed = await run(PYTHON, ["-c", OUTER, SYD, ...policy, "--", PYTHON, "-c", INNER]);
  assert.equal(sandboxed.stdout, expected, sandboxed.stderr);
});
