/**
 * End-to-end tests of the names peers see of UNIX sockets syd binds (ffi/handlers/unix_names.zig):
 * syd binds by the last component inside the judged directory, yet receivers (recvfrom, recvmsg,
 * recvmmsg), getpeername and getsockname see the path the program gave.
 */
import assert from "node:assert/strict";
import { runSyd } from "./_syd.ts";

const NET = [
  "-poff",
  "-m",
  "sandbox/net:on",
  "-m",
  "allow/net/bind,net/connect+/***",
  "-m",
  "allow/net/bind,net/connect+@***",
  "-m",
  "allow/net/bind+!unnamed",
];

/**
 * Python run under syd in a fresh directory nested deep enough that the sockets' absolute paths
 * do not fit sun_path (the relative names do, as for the kernel). Defines `bound(path, kind)`
 * and `recvmmsg(sock, count)` (libc's, through ctypes: Python has none).
 */
const PRELUDE = `
import ctypes, os, socket, sys, tempfile
top = tempfile.mkdtemp()
import atexit, shutil
atexit.register(shutil.rmtree, top, True)
deep = os.path.join(top, *(["d" * 30] * 4))
os.makedirs(deep)
os.chdir(deep)
for d in ("dir_a", "dir_b", "dir_c"):
    os.mkdir(d)
def bound(path, kind=socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_UNIX, kind)
    s.bind(path)
    return s
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
class msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32), ("iov", ctypes.POINTER(iovec)),
                ("iovlen", ctypes.c_size_t), ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]
class mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint32)]
libc = ctypes.CDLL(None, use_errno=True)
def recvmmsg(sock, count):
    bufs = [ctypes.create_string_buffer(64) for _ in range(count)]
    names = [ctypes.create_string_buffer(110) for _ in range(count)]
    iovs = [iovec(ctypes.cast(b, ctypes.c_void_p), 64) for b in bufs]
    msgs = (mmsghdr * count)()
    for i in range(count):
        msgs[i].hdr.name = ctypes.cast(names[i], ctypes.c_void_p)
        msgs[i].hdr.namelen = 110
        msgs[i].hdr.iov = ctypes.pointer(iovs[i])
        msgs[i].hdr.iovlen = 1
    got = libc.recvmmsg(sock.fileno(), msgs, count, 0, None)
    if got < 0:
        raise OSError(ctypes.get_errno(), "recvmmsg")
    return [(bufs[i].raw[:msgs[i].len], names[i].raw[2:msgs[i].hdr.namelen].rstrip(b"\\0").decode()) for i in range(got)]
`;

async function python(body: string, args: string[] = NET) {
  const result = await runSyd([...args, "--", "python3", "-c", PRELUDE + body]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

Deno.test("a datagram's sender is named by the path its program bound, though two share the last component", async () => {
  const out = await python(`
a = bound("dir_a/socket"); b = bound("dir_b/socket")
a.sendto(b"a to b", "dir_b/socket"); b.sendto(b"b to a", "dir_a/socket")
print(b.recvfrom(64)); print(a.recvfrom(64))
a.sendto(b"again", "dir_b/socket")
data, _, flags, name = b.recvmsg(64)
print("recvmsg", data, name, flags)
a.sendto(b"one", "dir_b/socket"); a.sendto(b"two", "dir_b/socket")
print("recvmmsg", recvmmsg(b, 2))
print("own", a.getsockname(), b.getsockname())
`);
  assert.equal(
    out,
    "(b'a to b', 'dir_a/socket')\n(b'b to a', 'dir_b/socket')\n" +
      "recvmsg b'again' dir_a/socket 0\n" +
      "recvmmsg [(b'one', 'dir_a/socket'), (b'two', 'dir_a/socket')]\n" +
      "own dir_a/socket dir_b/socket\n",
  );
});

Deno.test("the peer of a connected UNIX socket syd bound answers getpeername with its program's path", async () => {
  const out = await python(`
srv = bound("dir_a/sock", socket.SOCK_STREAM); srv.listen(1)
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect("dir_a/sock")
print(c.getpeername())
d = bound("dir_b/dgram"); e = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); e.connect("dir_b/dgram")
print(e.getpeername())
x, y = socket.socketpair()
print(repr(x.getpeername()))
`);
  assert.equal(out, "dir_a/sock\ndir_b/dgram\n''\n");
});

Deno.test("senders syd did not bind keep the kernel's names: abstract, unnamed", async () => {
  const out = await python(`
srv = bound("dir_a/srv")
ab = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); ab.bind("\\0syd-names-%d" % os.getpid())
ab.sendto(b"x", "dir_a/srv")
data, name = srv.recvfrom(64)
print(data, name == b"\\0syd-names-%d" % os.getpid())
srv.sendto(b"back", name)
print(ab.recvfrom(64))
un = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
un.sendto(b"y", "dir_a/srv")
print(srv.recvfrom(64)[1] is None or srv.recvfrom(64))
`);
  assert.equal(out, "b'x' True\n(b'back', 'dir_a/srv')\nTrue\n");
});

Deno.test("a sender bound before thousands of closed sockets is still named by its program's path", async () => {
  const out = await python(`
a = bound("dir_a/socket")
for i in range(1500):
    r = bound("dir_b/socket"); a.sendto(b"x", "dir_b/socket"); r.recv(1); r.close(); os.unlink("dir_b/socket")
r = bound("dir_c/socket")
a.sendto(b"last", "dir_c/socket")
print(r.recvfrom(64))
`);
  assert.equal(out, "(b'last', 'dir_a/socket')\n");
});

Deno.test("without network sandboxing the program binds itself: names are the kernel's, as given", async () => {
  const out = await python(
    `
a = bound("dir_a/socket"); b = bound("dir_b/socket")
a.sendto(b"x", "dir_b/socket")
print(b.recvfrom(64), os.path.exists("dir_a/socket"))
`,
    ["-poff"],
  );
  assert.equal(out, "(b'x', 'dir_a/socket') True\n");
});

Deno.test("accept names a client syd bound by the path its program gave; the accepted socket works", async () => {
  const out = await python(`
srv = bound("dir_a/srv", socket.SOCK_STREAM); srv.listen(1)
c = bound("dir_b/client", socket.SOCK_STREAM); c.connect("dir_a/srv")
conn, name = srv.accept()
c.send(b"hi")
print(name, conn.recv(2), conn.getpeername(), os.get_inheritable(conn.fileno()))
srv.setblocking(False)
try:
    srv.accept()
except BlockingIOError:
    print("EAGAIN")
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); u.connect("dir_a/srv")
srv.setblocking(True)
print(repr(srv.accept()[1]))
`);
  assert.equal(out, "dir_b/client b'hi' dir_b/client False\nEAGAIN\n''\n");
});

Deno.test("/proc/net/unix names the sockets syd bound by the paths their programs gave, absolute and relative, in every form of the table", async () => {
  const out = await python(`
a = bound(os.path.join(top, "absolute"), socket.SOCK_STREAM); a.listen(1)
b = bound("dir_b/relative")
import glob
for table in ("/proc/net/unix", "/proc/self/net/unix", "/proc/%d/net/unix" % os.getpid(), "/proc/thread-self/net/unix"):
    paths = [line.split(" ", 7)[7] for line in open(table).read().splitlines()[1:] if line.count(" ") >= 7]
    # Only this test's names: the table is the host's, and other tests run beside this one.
    print(os.path.join(top, "absolute") in paths, "dir_b/relative" in paths, [p for p in paths if p.startswith("./") and ("relative" in p or "absolute" in p)])
f = open("/proc/net/unix"); print(os.fstat(f.fileno()).st_size == 0)
many = [bound("dir_c/s%d" % i) for i in range(400)]  # a table past syd's 16 KiB chunks
text = open("/proc/net/unix").read()
print(all(("dir_c/s%d\\n" % i) in text for i in range(400)), text.endswith("\\n"), any("./" in l and "dir_c/s" in l for l in text.splitlines()))
`);
  assert.equal(out, "True True []\n".repeat(4) + "True\nTrue True False\n");
});

Deno.test("/proc/net/unix under read sandboxing: served the same, and a denied table stays denied", async () => {
  const allowed = await python(
    `
a = bound("dir_a/sock")
print("dir_a/sock" in open("/proc/net/unix").read())
`,
    [...NET, "-m", "sandbox/read:on", "-m", "allow/read+/***"],
  );
  assert.equal(allowed, "True\n");
  const result = await runSyd([
    ...NET,
    "-m",
    "sandbox/read:on",
    "-m",
    "allow/read+/***",
    "-m",
    "deny/read+/proc/*/net/unix",
    "--",
    "python3",
    "-c",
    PRELUDE + `
a = bound("dir_a/sock")
try:
    open("/proc/net/unix")
except PermissionError:
    print("EACCES")
`,
  ]);
  assert.equal(result.stdout, "EACCES\n", result.stderr);
});
