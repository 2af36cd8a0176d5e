/**
 * End-to-end tests of the pathless fds of the original's 3.59: their creation judged for create
 * by name (`!pipe`, `!eventfd`, `!memfd:NAME`, ...) with the original's errnos, UNIX socket pairs
 * judged for net/bind as `!unnamed`, and fds passed with SCM_RIGHTS judged for sendfd by name.
 */
import assert from "node:assert/strict";
import { PY_ATTEMPT, PYTHON, records, runSyd } from "./_syd.ts";

const CREATE = ["-poff", "-m", "sandbox/create:on", "-m", "allow/create+/***"];

/** Python that makes each kind of pathless fd and prints `kind OK` or `kind ERRNO`. */
const MAKE = `
${PY_ATTEMPT}import select, socket
attempt("pipe", os.pipe)
attempt("eventfd", lambda: os.eventfd(0))
attempt("epoll", select.epoll)
attempt("memfd", lambda: os.memfd_create("cache"))
attempt("socketpair", socket.socketpair)
`;

Deno.test("creating a pipe, eventfd, epoll or memfd is denied under create sandboxing with the original's errnos and records", async () => {
  const result = await runSyd([...CREATE, "--", PYTHON, "-c", MAKE], {
    env: { SYD_LOG: "warn" },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    "pipe ENOMEM\neventfd ENODEV\nepoll ENOMEM\nmemfd EACCES\nsocketpair OK\n",
  );
  const denials = records(result.stderr).filter((r) => r.cap === "create");
  const seen = denials.map((r) => `${r.sys} ${r.path} ${r.tip}`);
  for (
    const expected of [
      "pipe2 !pipe allow/create+!pipe",
      "eventfd2 !eventfd allow/create+!eventfd",
      "epoll_create1 !eventpoll allow/create+!eventpoll",
      "memfd_create !memfd:cache allow/create+!memfd:cache",
    ]
  ) assert.ok(seen.includes(expected), `${expected} not in:\n${seen.join("\n")}`);
});

Deno.test("create rules by name allow each kind, and a memfd by its name's pattern", async () => {
  const allow = [
    "-m",
    "allow/create+!pipe",
    "-m",
    "allow/create+!eventfd",
    "-m",
    "allow/create+!eventpoll",
    "-m",
    "allow/create+!memfd:c?che",
  ];
  const result = await runSyd([...CREATE, ...allow, "--", PYTHON, "-c", MAKE]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "pipe OK\neventfd OK\nepoll OK\nmemfd OK\nsocketpair OK\n");
});

Deno.test("a memfd syd makes for the caller keeps its name, flags and close-on-exec choice", async () => {
  const script = `
import os
a = os.memfd_create("kept", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
b = os.memfd_create("open", 0)
print(os.readlink(f"/proc/self/fd/{a}"), os.get_inheritable(a), os.get_inheritable(b))
os.write(a, b"data")
import fcntl
fcntl.fcntl(a, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE)
try:
    os.write(a, b"more")
except OSError as e:
    print("sealed", e.errno)
try:
    os.memfd_create("x" * 250)
except OSError as e:
    print("long", e.errno)
`;
  const result = await runSyd([
    ...CREATE,
    "-m",
    "allow/create+!memfd:**",
    "--",
    PYTHON,
    "-c",
    script,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "/memfd:kept (deleted) False True\nsealed 1\nlong 22\n");
});

Deno.test("every memfd is sealed against execution (F_SEAL_EXEC) unless trace/allow_unsafe_memfd:1, which judges its making for exec", async () => {
  const script = `
import errno, fcntl, os
F_GET_SEALS, F_SEAL_EXEC = 1034, 0x20
try:
    fd = os.memfd_create("blob", os.MFD_CLOEXEC | 0x10)  # MFD_EXEC
    print("exec-sealed", bool(fcntl.fcntl(fd, F_GET_SEALS) & F_SEAL_EXEC), oct(os.fstat(fd).st_mode & 0o111))
except OSError as e:
    print("denied", errno.errorcode[e.errno])
`;
  const sealed = await runSyd(["-poff", "--", PYTHON, "-c", script]);
  assert.equal(sealed.stdout, "exec-sealed True 0o0\n", sealed.stderr);
  const relaxed = await runSyd([
    "-poff",
    "-m",
    "trace/allow_unsafe_memfd:1",
    "--",
    PYTHON,
    "-c",
    script,
  ]);
  assert.equal(relaxed.stdout, "exec-sealed False 0o111\n", relaxed.stderr);
  const judged = await runSyd([
    "-poff",
    "-m",
    "trace/allow_unsafe_memfd:1",
    "-m",
    "sandbox/exec:on",
    "-m",
    "allow/exec+/***",
    "-m",
    "deny/exec+!memfd:blob",
    "--",
    PYTHON,
    "-c",
    script,
  ]);
  assert.equal(judged.stdout, "denied EACCES\n", judged.stderr);
  assert.ok(
    records(judged.stderr).some((r) => r.cap === "exec" && r.path === "!memfd:blob"),
    judged.stderr,
  );
});

Deno.test("socketpair is judged for net/bind as !unnamed: EOPNOTSUPP (ENOTSUP) and a record when denied", async () => {
  const script = `
import errno, socket
try:
    a, b = socket.socketpair()
    a.send(b"hi")
    print(b.recv(2).decode())
except OSError as e:
    print(errno.errorcode[e.errno])
`;
  const bind = ["-poff", "-m", "sandbox/net/bind:on"];
  const denied = await runSyd([...bind, "--", PYTHON, "-c", script], {
    env: { SYD_LOG: "warn" },
  });
  assert.equal(denied.code, 0, denied.stderr);
  assert.equal(denied.stdout, "ENOTSUP\n");
  const record = records(denied.stderr).find((r) => r.cap === "net/bind");
  assert.equal(record?.addr, "!unnamed");
  assert.equal(record?.tip, "allow/net/bind+!unnamed");
  const allowed = await runSyd([
    ...bind,
    "-m",
    "allow/net/bind+!unnamed",
    "--",
    PYTHON,
    "-c",
    script,
  ]);
  assert.equal(allowed.stdout, "hi\n", allowed.stderr);
});

Deno.test("an fd passed over a socket pair is judged for sendfd by its name; allow/passfd+!all passes any", async () => {
  const script = `
import errno, os, socket
a, b = socket.socketpair()
def send(name, fd):
    try:
        socket.send_fds(a, [b"x"], [fd])
        msg, fds, _, _ = socket.recv_fds(b, 1, 1)
        print(name, "OK", len(fds))
    except OSError as e:
        print(name, errno.errorcode[e.errno])
send("file", os.open("/etc/hostname", os.O_RDONLY))
send("dir", os.open("/", os.O_RDONLY))
send("memfd", os.memfd_create("shared"))
`;
  const base = ["-poff", "-m", "sandbox/sendfd:on"];
  const named = await runSyd([
    ...base,
    "-m",
    "allow/sendfd+!file",
    "-m",
    "allow/sendfd+!memfd:sh*",
    "--",
    PYTHON,
    "-c",
    script,
  ], { env: { SYD_LOG: "warn" } });
  assert.equal(named.code, 0, named.stderr);
  assert.equal(named.stdout, "file OK 1\ndir EACCES\nmemfd OK 1\n");
  const denial = records(named.stderr).find((r) => r.cap === "sendfd");
  assert.deepEqual([denial?.path, denial?.tip], ["!dir", "allow/sendfd+!dir"]);
  const all = await runSyd([
    ...base,
    "-m",
    "allow/passfd+!all",
    "-m",
    "deny/passfd+!dir",
    "--",
    PYTHON,
    "-c",
    script,
  ]);
  assert.equal(all.stdout, "file OK 1\ndir EACCES\nmemfd OK 1\n", all.stderr);
});

Deno.test("net/sendfd points to sendfd and recvfd (22)", async () => {
  const old = await runSyd(["-poff", "-m", "allow/net/sendfd+/tmp/**", "--", "true"]);
  assert.equal(old.code, 22, old.stderr);
  assert.match(old.stderr, /"net\/sendfd" was replaced .* by sendfd and recvfd/);
});

Deno.test("the linux profile allows pipes and socket pairs: a shell pipeline works", async () => {
  const result = await runSyd(["-p", "linux", "--", "sh", "-c", "echo piped | cat"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "piped\n");
});

Deno.test("SO_PASSCRED on an unbound UNIX socket, which autobinds it at its next send, is judged as !unnamed (found by review)", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-passcred-" }));
  try {
    const script = `
import errno, os, socket, sys
path = sys.argv[1] + "/srv"
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
srv.bind(path)
c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    c.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    print("passcred OK")
except OSError as e:
    print("passcred", errno.errorcode[e.errno])
c.sendto(b"x", path)
print("named" if c.getsockname() else "unnamed")
`;
    const bind = ["-poff", "-m", "sandbox/net/bind:on", "-m", `allow/net/bind+${dir}/srv`];
    const denied = await runSyd([...bind, "--", PYTHON, "-c", script, dir]);
    assert.equal(denied.stdout, "passcred ENOTSUP\nunnamed\n", denied.stderr);
    const allowed = await runSyd([
      ...bind,
      "-m",
      "allow/net/bind+!unnamed",
      "--",
      PYTHON,
      "-c",
      script,
      dir,
    ]);
    assert.equal(allowed.stdout, "passcred OK\nnamed\n", allowed.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
