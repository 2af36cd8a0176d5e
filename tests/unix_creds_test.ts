/**
 * End-to-end tests of UNIX socket credentials where syd performs the call
 * (ffi/handlers/unix_creds.zig): SCM_CREDENTIALS a sender claims for itself, SO_PEERPIDFD of a
 * connection syd connected.
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
