/**
 * End-to-end tests of UNIX socket credentials where syd performs the call
 * (ffi/handlers/unix_creds.zig): SCM_CREDENTIALS a sender claims for itself, SO_PEERPIDFD of a
 * connection syd connected.
 */
import assert from "node:assert/strict";
import { helper, runSyd } from "./_syd.ts";

const NET = [
  "-poff",
  "-m",
  "sandbox/net:on",
  "-m",
  "allow/net/bind,net/connect+/***",
  "-m",
  "allow/net/bind+!unnamed",
];

async function python(script: string) {
  const result = await runSyd([...NET, "--", "python3", "-c", script]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

Deno.test("SCM_CREDENTIALS naming the sender's own process are delivered; another pid, a thread's id: EPERM", async () => {
  const out = await python(`
import os, socket, struct, threading
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
b.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
def send(name, pid):
    cred = struct.pack("iII", pid, os.getuid(), os.getgid())
    try:
        a.sendmsg([name.encode()], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, cred)])
        data, anc, _, _ = b.recvmsg(16, socket.CMSG_SPACE(12))
        print(name, data.decode(), len(anc))
    except OSError as e:
        print(name, os.strerror(e.errno))
send("own", os.getpid())
send("other", os.getpid() + 9999)
send("parent", os.getppid())
t = threading.Thread(target=lambda: send("thread", threading.get_native_id()))
t.start(); t.join()
t = threading.Thread(target=lambda: send("thread-group", os.getpid()))
t.start(); t.join()
`);
  assert.equal(
    out,
    "own own 1\nother Operation not permitted\nparent Operation not permitted\n" +
      "thread Operation not permitted\nthread-group thread-group 1\n",
  );
});

Deno.test("SO_PEERPIDFD of a connection syd connected is a pidfd of the sandboxed client, not of syd", async () => {
  const out = await python(`
import os, socket, tempfile
def pidfd_pid(fd):
    for line in open("/proc/self/fdinfo/%d" % fd):
        if line.startswith("Pid:"):
            return int(line.split()[1])
d = tempfile.mkdtemp(); path = d + "/s"
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); srv.bind(path); srv.listen(1)
pid = os.fork()
if pid == 0:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(path); c.recv(1); os._exit(0)
conn, _ = srv.accept()
fd = int.from_bytes(conn.getsockopt(socket.SOL_SOCKET, 77, 4), "little")
print("client" if pidfd_pid(fd) == pid else "%d is not %d" % (pidfd_pid(fd), pid))
conn.send(b"x"); os.waitpid(pid, 0)
x, y = socket.socketpair()
fd = int.from_bytes(x.getsockopt(socket.SOL_SOCKET, 77, 4), "little")
print("self" if pidfd_pid(fd) == os.getpid() else pidfd_pid(fd))
`);
  assert.equal(out, "client\nself\n");
});

Deno.test("a receiver with SO_PASSCRED and SO_PASSPIDFD sees the sandboxed sender of a send syd performed, and gets the fds passed", async () => {
  const out = await python(`
import array, os, socket, struct
def pidfd_pid(fd):
    for line in open("/proc/self/fdinfo/%d" % fd):
        if line.startswith("Pid:"):
            return int(line.split()[1])
def receive(sock, label, expected):
    data, anc, flags, _ = sock.recvmsg(16, 256, socket.MSG_CMSG_CLOEXEC)
    seen = []
    for level, kind, payload in anc:
        if kind == socket.SCM_CREDENTIALS:
            seen.append("cred " + ("sender" if struct.unpack("iII", payload)[0] == expected else "wrong"))
        elif kind == 4:  # SCM_PIDFD
            seen.append("pidfd " + ("sender" if pidfd_pid(struct.unpack("i", payload)[0]) == expected else "wrong"))
        elif kind == socket.SCM_RIGHTS:
            fd = array.array("i", payload)[0]
            seen.append("fd %s cloexec=%s" % (os.read(fd, 5).decode(), os.get_inheritable(fd) is False))
    print(label, data.decode(), " ".join(seen), flags)
a, b = socket.socketpair()
b.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
b.setsockopt(socket.SOL_SOCKET, 76, 1)  # SO_PASSPIDFD
r, w = os.pipe(); os.write(w, b"piped")
pid = os.fork()
if pid == 0:
    a.sendmsg([b"syd"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r]))])  # performed by syd
    a.send(b"own")  # continued: the kernel's own send
    a.recv(1); os._exit(0)
receive(b, "emulated", pid)
receive(b, "direct", pid)
b.send(b"x"); os.waitpid(pid, 0)
`);
  assert.equal(
    out,
    // msg_flags keeps MSG_CMSG_CLOEXEC, as the kernel's; control messages in the kernel's order
    "emulated syd cred sender fd piped cloexec=True pidfd sender 1073741824\n" +
      "direct own cred sender pidfd sender 1073741824\n",
  );
});

Deno.test("a send syd refuses leaves the last sender's credentials in place", async () => {
  const out = await python(`
import os, socket, struct, tempfile
d = tempfile.mkdtemp()
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(d + "/s")
r = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); r.bind(d + "/r")
r.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.sendto(b"x", d + "/r")
pid = os.fork()
if pid == 0:
    try:
        s.sendto(b"y" * (1 << 21), d + "/r")
    except OSError as e:
        os._exit(0 if e.errno == 90 else 1)  # EMSGSIZE
    os._exit(2)
print("child", os.waitpid(pid, 0)[1])
data, anc, _, _ = r.recvmsg(16, 64)
print(data, "parent" if struct.unpack("iII", anc[0][2])[0] == os.getpid() else "wrong")
`);
  assert.equal(out, "child 0\nb'x' parent\n");
});

Deno.test("fds a message carried into a receive syd performs are closed when the caller's iovec is bad: the peer sees EOF (found by review)", async () => {
  // SO_PASSCRED makes syd perform the receive; the unmapped iovec fails it with EFAULT, as the
  // kernel does. The write end of a pipe passed in the message must be closed then, not held.
  const result = await runSyd([...NET, "--", helper("attack_recv_fdleak")]);
  assert.equal(result.stdout, "recvmsg Bad address\neof\n", result.stderr);
  assert.equal(result.code, 0);
});
