/**
 * End-to-end tests of network sandboxing: python3 clients under ./syd talk to peers run by the
 * test itself, outside the sandbox, on loopback addresses and UNIX sockets only.
 */
import assert from "node:assert/strict";
import { records, ROOT, runSyd } from "./_syd.ts";

const NET = ["-m", "sandbox/all,fs,ioctl:off", "-m", "sandbox/net:on"];

/** A TCP listener on 127.0.0.1 answering "pong" to every connection; stops when done. */
async function withTcpServer(
  fn: (port: number) => Promise<void>,
  hostname = "127.0.0.1",
): Promise<void> {
  const listener = Deno.listen({ hostname, port: 0 });
  const serving = (async () => {
    for await (const conn of listener) {
      await conn.write(new TextEncoder().encode("pong")).catch(() => {});
      conn.close();
    }
  })();
  try {
    await fn((listener.addr as Deno.NetAddr).port);
  } finally {
    listener.close();
    await serving.catch(() => {});
  }
}

/** A helper peer in python3, outside the sandbox, that prints "ready" once listening. */
async function withPeer(
  script: string,
  args: string[],
  fn: (first: string, rest: () => Promise<string>) => Promise<void>,
) {
  const child = new Deno.Command("python3", {
    args: ["-c", script, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) { // the first line, however the pipe splits it
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value);
  }
  const first = text;
  assert.match(first, /^ready/);
  const rest = async () => {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      text += decoder.decode(chunk.value);
    }
    return text;
  };
  try {
    await fn(first, rest);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // it ended already
    }
    await child.status;
  }
}

const CLIENT = `
import errno, socket, sys
def attempt(name, fn):
    try:
        print(name, fn())
    except OSError as e:
        print(name, errno.errorcode[e.errno])
`;

Deno.test("connect is judged by address and port: allowed talks, denied gets ECONNREFUSED and a record", async () => {
  await withTcpServer(async (port) => {
    const script = CLIENT + `
def talk(port):
    s = socket.create_connection(("127.0.0.1", port))
    return s.recv(10).decode()
attempt("allowed", lambda: talk(${port}))
attempt("denied", lambda: talk(${port + 1 > 65535 ? port - 1 : port + 1}))
`;
    const result = await runSyd([
      ...NET,
      "-m",
      `allow/net/connect+127.0.0.1!${port}`,
      "--",
      "python3",
      "-c",
      script,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "allowed pong\ndenied ECONNREFUSED\n");
    const denials = records(result.stderr).filter((r) => r.ctx === "access");
    assert.equal(denials.length, 1, result.stderr);
    assert.equal(denials[0].cap, "net/connect");
    assert.equal(denials[0].sys, "connect");
    assert.match(String(denials[0].addr), /^127\.0\.0\.1!\d+$/);
    assert.equal(denials[0].family, "inet");
    assert.equal(denials[0].rule, "default");
  });
});

Deno.test("bind: loopback!0 allows an ephemeral port, a fixed port is denied with EADDRNOTAVAIL", async () => {
  const script = CLIENT + `
def bind(host, port, family=socket.AF_INET):
    s = socket.socket(family)
    s.bind((host, port))
    return "port" if s.getsockname()[1] > 0 else "none"
attempt("ephemeral", lambda: bind("127.0.0.1", 0))
attempt("fixed", lambda: bind("127.0.0.1", 8080))
attempt("v6-ephemeral", lambda: bind("::1", 0, socket.AF_INET6))
`;
  const result = await runSyd([
    ...NET,
    "-m",
    "allow/net/bind+loopback!0",
    "--",
    "python3",
    "-c",
    script,
  ], {
    env: { SYD_LOG: "error" },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "ephemeral port\nfixed EADDRNOTAVAIL\nv6-ephemeral port\n");
});

Deno.test("IPv6 follows the ::1 rules and a v4-mapped address is judged as the IPv4 it carries", async () => {
  await withTcpServer(async (port) => {
    const script = CLIENT + `
def talk(host):
    s = socket.socket(socket.AF_INET6)
    s.connect((host, ${port}))
    return s.recv(10).decode()
attempt("mapped", lambda: talk("::ffff:127.0.0.1"))
attempt("v6", lambda: talk("::1"))
`;
    const allowV4 = ["-m", `allow/net/connect+127.0.0.1!${port}`];
    const result = await runSyd([...NET, ...allowV4, "--", "python3", "-c", script], {
      env: { SYD_LOG: "error" },
    });
    assert.equal(result.code, 0, result.stderr);
    // The mapped address reaches the IPv4 listener; ::1 is not allowed (and nothing listens there).
    assert.equal(result.stdout, "mapped pong\nv6 ECONNREFUSED\n");
  });
});

const UNIX_SERVER = `
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    try:
        data, fds, _, _ = socket.recv_fds(c, 100, 4)
        print("fds", len(fds), flush=True)
    except OSError:
        pass
    try:
        c.sendall(b"pong")
    except OSError:
        pass
    c.close()
`;

Deno.test("UNIX sockets are judged by path: an allowed one works, another path is denied", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.writeTextFile(`${dir}/other`, ""); // exists, but no rule allows it
    await withPeer(UNIX_SERVER, [`${dir}/sock`], async () => {
      const script = CLIENT + `
def talk(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(b"x")
    return s.recv(10).decode()
attempt("allowed", lambda: talk(sys.argv[1] + "/sock"))
attempt("denied", lambda: talk(sys.argv[1] + "/other"))
`;
      const rules = ["-m", `allow/net/connect+${dir}/sock`];
      const result = await runSyd([...NET, ...rules, "--", "python3", "-c", script, dir], {
        env: { SYD_LOG: "error" },
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "allowed pong\ndenied ECONNREFUSED\n");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an fd passed over a UNIX socket is judged for sendfd by its name: !file allowed, a pipe denied", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await withPeer(UNIX_SERVER, [`${dir}/fdsock`], async () => {
      const script = CLIENT + `
import os
def send_fd(path, fd):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    socket.send_fds(s, [b"x"], [fd])
    return s.recv(10).decode()
path = sys.argv[1] + "/fdsock"
attempt("file", lambda: send_fd(path, os.open("/etc/hostname", os.O_RDONLY)))
attempt("pipe", lambda: send_fd(path, os.pipe()[0]))
`;
      const rules = [
        "-m",
        "sandbox/sendfd,create:on",
        "-m",
        `allow/net/connect+${dir}/fdsock`,
        "-m",
        "allow/create+!pipe",
        "-m",
        "allow/sendfd+!file",
      ];
      const result = await runSyd([...NET, ...rules, "--", "python3", "-c", script, dir], {
        env: { SYD_LOG: "warn" },
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "file pong\npipe EACCES\n");
      const denials = records(result.stderr).filter((r) => r.cap === "sendfd");
      assert.deepEqual(denials.map((r) => [r.path, r.tip]), [["!pipe", "allow/sendfd+!pipe"]]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sendto on UDP is judged by address: denied is refused, allowed is delivered", async () => {
  const receiver = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("ready", s.getsockname()[1], flush=True)
data, _ = s.recvfrom(100)
print("got", data.decode(), flush=True)
`;
  await withPeer(receiver, [], async (first, rest) => {
    const port = Number(/ready (\d+)/.exec(first)?.[1]);
    assert.ok(port > 0, first);
    const other = port === 65535 ? port - 1 : port + 1;
    const script = CLIENT + `
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
attempt("denied", lambda: s.sendto(b"nope", ("127.0.0.1", ${other})))
attempt("allowed", lambda: s.sendto(b"hello", ("127.0.0.1", ${port})))
`;
    const rules = ["-m", `allow/net/connect+127.0.0.1!${port}`];
    const result = await runSyd([...NET, ...rules, "--", "python3", "-c", script], {
      env: { SYD_LOG: "error" },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "denied ENOTCONN\nallowed 5\n");
    assert.match(await rest(), /got hello\n/);
  });
});

Deno.test("abstract UNIX sockets are judged by their @name rules", async () => {
  const name = `syd-test-${crypto.randomUUID()}`;
  const server = `
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind("\\0" + sys.argv[1])
s.listen(8)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.sendall(b"pong")
    c.close()
`;
  await withPeer(server, [name], async () => {
    const script = CLIENT + `
def talk():
    s = socket.socket(socket.AF_UNIX)
    s.connect("\\0" + sys.argv[1])
    return s.recv(10).decode()
attempt("abstract", talk)
`;
    const allowed = await runSyd([
      ...NET,
      "-m",
      "allow/net/connect+@syd-test-*",
      "--",
      "python3",
      "-c",
      script,
      name,
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout, "abstract pong\n");
    const denied = await runSyd([...NET, "--", "python3", "-c", script, name]);
    assert.equal(denied.stdout, "abstract ECONNREFUSED\n");
    const denial = records(denied.stderr).find((r) => r.ctx === "access");
    assert.equal(denial?.addr, `@${name}`);
    assert.equal(denial?.family, "abstract");
  });
});

Deno.test("the noipv4 profile refuses IPv4 connects and lets IPv6 ones through", async () => {
  await withTcpServer(async (port) => {
    const script = CLIENT + `
def talk(family, host):
    s = socket.socket(family)
    s.connect((host, ${port}))
    return s.recv(10).decode()
attempt("v6", lambda: talk(socket.AF_INET6, "::1"))
attempt("v4", lambda: talk(socket.AF_INET, "127.0.0.1"))
`;
    const result = await runSyd([
      "-m",
      "sandbox/all,fs,ioctl:off",
      "-p",
      "noipv4",
      "--",
      "python3",
      "-c",
      script,
    ], {
      env: { SYD_LOG: "error" },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "v6 pong\nv4 ECONNREFUSED\n");
  }, "::1");
});

Deno.test("socket families are refused as the original refuses them, sandboxed or not: netlink, packet, AF_ALG, families syd cannot judge", async () => {
  const script = CLIENT + `
def make(family, kind):
    s = socket.socket(family, kind, 0); s.close(); return "made"
attempt("netlink", lambda: make(socket.AF_NETLINK, socket.SOCK_RAW))
attempt("packet", lambda: make(socket.AF_PACKET, socket.SOCK_DGRAM))
attempt("raw", lambda: make(socket.AF_INET, socket.SOCK_RAW))
attempt("vsock", lambda: make(40, socket.SOCK_STREAM))
attempt("alg", lambda: make(38, socket.SOCK_SEQPACKET))
attempt("unix", lambda: make(socket.AF_UNIX, socket.SOCK_STREAM))
attempt("lookup", lambda: len(socket.getaddrinfo("localhost", 80, flags=socket.AI_ADDRCONFIG)) > 0)
`;
  for (const policy of [["-poff"], NET]) {
    const refused = await runSyd([...policy, "--", "python3", "-c", script]);
    assert.equal(refused.code, 0, refused.stderr);
    // Packet and raw sockets: EPERM, as the original (the sandbox holds no CAP_NET_RAW).
    assert.equal(
      refused.stdout,
      "netlink EPROTONOSUPPORT\npacket EPERM\nraw EPERM\nvsock EAFNOSUPPORT\nalg EAFNOSUPPORT\nunix made\nlookup True\n",
    );
    const denials = records(refused.stderr).filter((r) => r.ctx === "access" && r.sys === "socket");
    const tips = Object.fromEntries(denials.map((r) => [r.family, r.tip]));
    assert.equal(tips.vsock, "trace/allow_unsupp_socket:1", JSON.stringify(denials));
    assert.equal(tips.alg, "trace/allow_unsafe_kcapi:1");
    assert.ok("netlink" in tips); // getaddrinfo tries netlink too
  }
  const relaxed = await runSyd([
    "-poff",
    "-m",
    "trace/allow_unsupp_socket:1",
    "-m",
    "trace/allow_unsafe_kcapi:1",
    "--",
    "python3",
    "-c",
    script,
  ]);
  assert.equal(relaxed.code, 0, relaxed.stderr);
  // netlink stays refused (allow/net/link is not offered); AF_ALG reaches the kernel, which
  // may lack it (EAFNOSUPPORT from the kernel then: no record of syd's).
  assert.match(
    relaxed.stdout,
    /^netlink EPROTONOSUPPORT\npacket EPERM\nraw EPERM\nvsock made\nalg (made|EAFNOSUPPORT)\n/,
  );
  const families = records(relaxed.stderr).filter((r) => r.sys === "socket").map((r) => r.family);
  assert.ok(!families.includes("alg") && !families.includes("vsock"), JSON.stringify(families));
});

Deno.test("a UNIX socket syd binds answers getsockname with the path it was given, from any cwd", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-net-" }));
  try {
    await Deno.mkdir(`${dir}/s`);
    await Deno.mkdir(`${dir}/elsewhere`);
    const script = `
import os, socket, sys
os.chdir(sys.argv[1] + "/elsewhere")
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1] + "/s/sock")
print(s.getsockname())
print(os.path.exists(sys.argv[1] + "/s/sock"), os.path.exists("sock"))
`;
    const result = await runSyd([
      "-poff",
      "-m",
      "sandbox/net/bind:on",
      "-m",
      `allow/net/bind+${dir}/***`,
      "--",
      "python3",
      "-c",
      script,
      dir,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${dir}/s/sock\nTrue False\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dial(3) rules match the socket's protocol: tcp!ADDR!PORTS allows TCP only, udp4!loopback!* denies UDP", async () => {
  const script = [
    "import socket",
    'srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)',
    "port = srv.getsockname()[1]",
    "def attempt(kind):",
    "    s = socket.socket(socket.AF_INET, kind)",
    "    try:",
    '        s.connect(("127.0.0.1", port)); return "ok"',
    "    except OSError as e:",
    "        return e.strerror",
    'print("tcp", attempt(socket.SOCK_STREAM), "udp", attempt(socket.SOCK_DGRAM))',
  ].join("\n");
  const base = ["-poff", "-m", "sandbox/net/connect:on"];
  const tcpOnly = await runSyd([
    ...base,
    "-m",
    "allow/net/connect+tcp!127.0.0.1!1-1000,1001-65535",
    "--",
    "python3",
    "-c",
    script,
  ]);
  assert.equal(tcpOnly.stdout, "tcp ok udp Connection refused\n");
  assert.equal(records(tcpOnly.stderr).length, 1);
  const udpDenied = await runSyd([
    ...base,
    "-m",
    "allow/net/connect+127.0.0.1!1-65535",
    "-m",
    "deny/net/connect+udp4!loopback!*",
    "--",
    "python3",
    "-c",
    script,
  ]);
  assert.equal(udpDenied.stdout, "tcp ok udp Connection refused\n");
  assert.equal(records(udpDenied.stderr)[0].rule, "-m#3");
});

/** Runs `python3 -c script` with connects and sends judged (net/connect on) under `rules`. */
function pythonUnderConnect(script: string, ...rules: string[]) {
  const policy = ["-poff", "-m", "sandbox/net/connect:on", ...rules.flatMap((r) => ["-m", r])];
  return runSyd([...policy, "--", "python3", "-c", script], { env: { SYD_LOG: "error" } });
}

Deno.test("SO_PEERCRED of a UNIX connection syd connected names the sandboxed client, not syd", async () => {
  const script = [
    "import os, socket, struct, tempfile",
    'd = tempfile.mkdtemp(); path = d + "/s"',
    "srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); srv.bind(path); srv.listen(1)",
    "pid = os.fork()",
    "if pid == 0:",
    "    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(path); c.recv(1); os._exit(0)",
    "conn, _ = srv.accept()",
    'cpid, uid, gid = struct.unpack("iII", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))',
    'print("client" if cpid == pid else f"{cpid} is not {pid}", uid == os.getuid(), gid == os.getgid())',
    'conn.send(b"x"); os.waitpid(pid, 0)',
  ].join("\n");
  const result = await pythonUnderConnect(script, "allow/net/connect+/***");
  assert.equal(result.stderr, "");
  assert.equal(result.stdout, "client True True\n");
});

Deno.test("under trace/allow_unsafe_any_addr, sends to 0.0.0.0 or :: are judged as the loopback address they reach (found by review)", async () => {
  const script = [
    "import socket",
    "r = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)",
    "r.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); r.bind(('::', 0)); r.settimeout(0.5)",
    "port = r.getsockname()[1]",
    "for dest, family in (('0.0.0.0', socket.AF_INET), ('::', socket.AF_INET6), ('::ffff:0.0.0.0', socket.AF_INET6)):",
    "    s = socket.socket(family, socket.SOCK_DGRAM)",
    "    try: s.sendto(b'x', (dest, port)); print(dest, 'sent')",
    "    except OSError as e: print(dest, 'refused')",
    "try: r.recv(1); print('received')",
    "except socket.timeout: print('nothing')",
  ].join("\n");
  const result = await runSyd([
    "-poff",
    "-m",
    "trace/allow_unsafe_any_addr:1",
    "-m",
    "sandbox/net/connect:on",
    "-m",
    "allow/net/connect+any!0-65535",
    "-m",
    "deny/net/connect+loopback!0-65535",
    "--",
    "python3",
    "-c",
    script,
  ], { env: { SYD_LOG: "error" } });
  assert.equal(result.stdout, "0.0.0.0 refused\n:: refused\n::ffff:0.0.0.0 refused\nnothing\n");
});

Deno.test("SCM_CREDENTIALS naming another process (the parent) in a send syd performs answers EPERM, as the kernel (found by review)", async () => {
  const script = [
    "import os, socket, struct, tempfile",
    "d = tempfile.mkdtemp(); path = d + '/s'",
    "r = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); r.bind(path)",
    "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
    "cred = struct.pack('iII', os.getppid(), os.getuid(), os.getgid())",
    "try: s.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, cred)], 0, path); print('sent')",
    "except OSError as e: print(os.strerror(e.errno))",
  ].join("\n");
  const result = await pythonUnderConnect(script, "allow/net/connect+/***");
  assert.equal(result.stdout, "Operation not permitted\n");
});

Deno.test("an AF_UNSPEC destination is judged as the IPv4 address it carries, and connect with AF_UNSPEC disconnects", async () => {
  const script = CLIENT + `
import struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
unspec = struct.pack("!HH4s8x", 0, 9999, socket.inet_aton("127.0.0.1"))
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def sendto_unspec():
    rc = libc.sendto(s.fileno(), b"x", 1, 0, unspec, len(unspec))
    if rc < 0:
        raise OSError(ctypes.get_errno(), "sendto")
    return rc
def disconnect():
    rc = libc.connect(s.fileno(), struct.pack("=H14x", 0), 16)
    if rc < 0:
        raise OSError(ctypes.get_errno(), "connect")
    return rc
attempt("sendto", sendto_unspec)
attempt("disconnect", disconnect)
`;
  const result = await runSyd([...NET, "--", "python3", "-c", script], {
    env: { SYD_LOG: "warn" },
  });
  assert.equal(result.code, 0, result.stderr);
  // Struct packing of family 0 in host order: the first two bytes are the family.
  assert.equal(result.stdout, "sendto ENOTCONN\ndisconnect 0\n");
  const denial = records(result.stderr).find((r) => r.ctx === "access");
  assert.equal(denial?.addr, "127.0.0.1!9999");
});

Deno.test("an IPv6 scope id is zeroed with a record, as the original: a link-local peer without one is EINVAL", async () => {
  const script = CLIENT + `
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
attempt("connect", lambda: s.connect(("fe80::1", 4242, 0, 1)))
`;
  const rules = ["-m", "allow/net/connect+fe80::1!4242"];
  const result = await runSyd([...NET, ...rules, "--", "python3", "-c", script], {
    env: { SYD_LOG: "warn" },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "connect EINVAL\n");
  const record = records(result.stderr).find((r) => r.op === "zero_scope_id");
  assert.equal(record?.scope_id, 1);
});

Deno.test("MSG_OOB is refused in sends and receives, and SO_OOBINLINE in setsockopt, as the original", async () => {
  const script = CLIENT + `
a, b = socket.socketpair()
attempt("send", lambda: a.send(b"x", socket.MSG_OOB))
attempt("sendmsg", lambda: a.sendmsg([b"x"], [], socket.MSG_OOB))
attempt("recv", lambda: b.recv(1, socket.MSG_OOB))
attempt("recvmsg", lambda: b.recvmsg(1, 0, socket.MSG_OOB))
attempt("oobinline", lambda: a.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1))
attempt("plain", lambda: a.send(b"y"))
attempt("read", lambda: b.recv(1))
`;
  const result = await runSyd(["-poff", "--", "python3", "-c", script]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    "send ENOTSUP\nsendmsg ENOTSUP\nrecv ENOTSUP\nrecvmsg ENOTSUP\n" +
      "oobinline ENOPROTOOPT\nplain 1\nread b'y'\n",
  );
});

Deno.test("trace/allow_unsafe_oob:1 lets MSG_OOB and SO_OOBINLINE through, as the kernel answers them", async () => {
  const script = CLIENT + `
a, b = socket.socketpair()
attempt("send", lambda: a.send(b"x", socket.MSG_OOB))
attempt("recv", lambda: b.recv(1, socket.MSG_OOB))
attempt("sendmsg", lambda: a.sendmsg([b"z"], [], socket.MSG_OOB))
attempt("recvmsg", lambda: b.recvmsg(1, 0, socket.MSG_OOB)[0])
attempt("oobinline", lambda: a.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1))
`;
  // Filter answers (-poff) and syd's (setsockopt and sends trapped while net is on).
  for (const policy of [["-poff"], [...NET, "-m", "allow/net/bind+!unnamed"]]) {
    const result = await runSyd([
      ...policy,
      "-m",
      "trace/allow_unsafe_oob:1",
      "--",
      "python3",
      "-c",
      script,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      "send 1\nrecv b'x'\nsendmsg 1\nrecvmsg b'z'\noobinline None\n",
      policy.join(" "),
    );
  }
});

/** Sends to and connects to the any addresses; a receiver on loopback tells what arrived. */
const ANY_ADDR = `
import ctypes, errno, os, select, socket, struct, sys
r4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r4.bind(('127.0.0.1', 0))
port = r4.getsockname()[1]
r6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
r6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1); r6.bind(('::1', port))
def attempt(name, fn):
    try: fn(); print(name, 'ok')
    except OSError as e: print(name, errno.errorcode[e.errno])
    arrived = False
    while True:  # drained
        ready, _, _ = select.select([r4, r6], [], [], 0.3)
        if not ready: break
        for r in ready: r.recv(1); arrived = True
    if arrived: print(name, 'arrived')
def conn(dest, family):
    s = socket.socket(family, socket.SOCK_DGRAM); s.connect((dest, port)); s.send(b'x')
def sendto(dest, family):
    socket.socket(family, socket.SOCK_DGRAM).sendto(b'x', (dest, port))
def sendmsg(dest, family):
    socket.socket(family, socket.SOCK_DGRAM).sendmsg([b'x'], [], 0, (dest, port))
def sendmmsg():  # two messages: to 127.0.0.1, then to 0.0.0.0: the first is sent
    libc = ctypes.CDLL(None, use_errno=True)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    names = [struct.pack('!HH4s8x', 0, port, socket.inet_aton(a)) for a in ('127.0.0.1', '0.0.0.0')]
    names = [bytes([n[1], n[0]]) + n[2:] for n in names]  # the family in host order
    bufs = [ctypes.create_string_buffer(n) for n in names]
    data = ctypes.create_string_buffer(b'x')
    iov = (ctypes.c_uint64 * 2)(ctypes.addressof(data), 1)
    vec = (ctypes.c_uint64 * 16)()
    for i, b in enumerate(bufs):
        vec[i * 8:i * 8 + 8] = [ctypes.addressof(b), 16, ctypes.addressof(iov), 1, 0, 0, 0, 0]
    n = libc.sendmmsg(s.fileno(), vec, 2, 0)
    if n < 0: raise OSError(ctypes.get_errno(), 'sendmmsg')
    print('sendmmsg sent', n)
for dest, family in (('0.0.0.0', socket.AF_INET), ('::', socket.AF_INET6), ('::ffff:0.0.0.0', socket.AF_INET6)):
    attempt('connect ' + dest, lambda: conn(dest, family))
    attempt('sendto ' + dest, lambda: sendto(dest, family))
    attempt('sendmsg ' + dest, lambda: sendmsg(dest, family))
attempt('sendmmsg', sendmmsg)
`;

const ANY_REFUSED = ["0.0.0.0", "::", "::ffff:0.0.0.0"].flatMap((dest) => [
  `connect ${dest} ENETUNREACH`,
  `sendto ${dest} ENETUNREACH`,
  `sendmsg ${dest} ENETUNREACH`,
]).join("\n") + "\nsendmmsg sent 1\nsendmmsg ok\nsendmmsg arrived\n";

Deno.test("connect and sends to 0.0.0.0, :: and ::ffff:0.0.0.0 answer ENETUNREACH with a record, sandboxed or not", async () => {
  for (
    const policy of [
      ["-poff"],
      ["-poff", "-m", "sandbox/net/connect:on", "-m", "allow/net/connect+loopback!0-65535"],
    ]
  ) {
    const result = await runSyd([...policy, "--", "python3", "-c", ANY_ADDR], {
      env: { SYD_LOG: "warn" },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, ANY_REFUSED, policy.join(" "));
    const denials = records(result.stderr).filter((r) => r.op === "deny_any_addr");
    assert.ok(denials.length >= 9, result.stderr);
    assert.ok(denials.some((r) => r.addr === "0.0.0.0!" + String(r.addr).split("!")[1]));
    assert.ok(denials.every((r) => r.tip === "trace/allow_unsafe_any_addr:1" && r.err === 101));
  }
});

Deno.test("trace/allow_unsafe_any_addr:1 lets them through to loopback, set at start or through /dev/syd", async () => {
  const reached = ["0.0.0.0", "::", "::ffff:0.0.0.0"].flatMap((dest) => [
    `connect ${dest} ok`,
    `connect ${dest} arrived`,
    `sendto ${dest} ok`,
    `sendto ${dest} arrived`,
    `sendmsg ${dest} ok`,
    `sendmsg ${dest} arrived`,
  ]).join("\n") + "\nsendmmsg sent 2\nsendmmsg ok\nsendmmsg arrived\n";
  const atStart = await runSyd([
    "-poff",
    "-m",
    "trace/allow_unsafe_any_addr:1",
    "--",
    "python3",
    "-c",
    ANY_ADDR,
  ]);
  assert.equal(atStart.code, 0, atStart.stderr);
  assert.equal(atStart.stdout, reached);
  const toggled = `import os\nos.stat('/dev/syd/trace/allow_unsafe_any_addr:1')\n${ANY_ADDR}
os.stat('/dev/syd/trace/allow_unsafe_any_addr:0')
attempt('again', lambda: conn('0.0.0.0', socket.AF_INET))
`;
  const result = await runSyd(["-poff", "-m", "lock:exec", "--", "python3", "-c", toggled]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, reached + "again ENETUNREACH\n");
});

Deno.test("a UNIX socket named relatively in a cwd deeper than sun_path is bound, judged by its whole path and reached", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  const deep = `${dir}/${"d".repeat(60)}/${"e".repeat(60)}`; // over 108 bytes with a name
  try {
    await Deno.mkdir(deep, { recursive: true });
    const script = CLIENT + `
import os
os.chdir(sys.argv[1])
def serve(name):
    srv = socket.socket(socket.AF_UNIX); srv.bind(name); srv.listen(1)
    c = socket.socket(socket.AF_UNIX); c.connect(name); c.sendall(b"x")
    conn, _ = srv.accept()
    return conn.recv(1).decode() + " " + str(srv.getsockname() == name)
attempt("allowed", lambda: serve("ok.sock"))
attempt("denied", lambda: serve("no.sock"))
`;
    const rules = ["-m", `allow/net/bind,net/connect+${deep}/ok.sock`];
    const result = await runSyd([...NET, ...rules, "--", "python3", "-c", script, deep], {
      env: { SYD_LOG: "warn" },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "allowed x True\ndenied EADDRNOTAVAIL\n");
    const denial = records(result.stderr).find((r) => r.ctx === "access");
    assert.equal(denial?.addr, `${deep}/no.sock`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a send syd performs to a stream whose peer is gone raises SIGPIPE in the caller, unless MSG_NOSIGNAL", async () => {
  const script = `
import ctypes, errno, signal, socket
seen = []
signal.signal(signal.SIGPIPE, lambda sig, frame: seen.append(sig))
a, b = socket.socketpair(); b.close()
libc = ctypes.CDLL(None, use_errno=True)
data = ctypes.create_string_buffer(b'x')
iov = (ctypes.c_uint64 * 2)(ctypes.addressof(data), 1)
vec = (ctypes.c_uint64 * 8)(0, 0, ctypes.addressof(iov), 1, 0, 0, 0, 0)
def call(rc):  # python's own sendmsg always passes MSG_NOSIGNAL
    if rc < 0: raise OSError(ctypes.get_errno(), 'send')
sendmsg = lambda flags: call(libc.sendmsg(a.fileno(), vec, flags))
sendmmsg = lambda flags: call(libc.sendmmsg(a.fileno(), vec, 1, flags))
for name, send in (('sendmsg', sendmsg), ('sendmmsg', sendmmsg)):
    for flags in (0, socket.MSG_NOSIGNAL):
        seen.clear()
        try: send(flags); result = 'sent'
        except OSError as e: result = errno.errorcode[e.errno]
        print(name, flags, result, 'SIGPIPE' if seen else 'no signal')
`;
  const result = await runSyd([
    ...NET,
    "-m",
    "allow/net/bind+!unnamed",
    "--",
    "python3",
    "-c",
    script,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    "sendmsg 0 EPIPE SIGPIPE\nsendmsg 16384 EPIPE no signal\nsendmmsg 0 EPIPE SIGPIPE\nsendmmsg 16384 EPIPE no signal\n",
  );
});

Deno.test("a rule written in hex names an abstract socket with a NUL in its name: denied with a hex tip, its neighbour allowed", async () => {
  const script = CLIENT + `
def talk(name):
    srv = socket.socket(socket.AF_UNIX); srv.bind(name); srv.listen(1)
    c = socket.socket(socket.AF_UNIX); c.connect(name); return "connected"
attempt("nul", lambda: talk(b"\\0syd_test\\0null"))
attempt("plain", lambda: talk(b"\\0syd_test_null"))
`;
  const hex = "407379645f74657374006e756c6c"; // @syd_test\0null
  const rules = ["-m", "allow/net/bind,net/connect+@*", "-m", `deny/net/connect+${hex}`];
  const result = await runSyd([...NET, ...rules, "--", "python3", "-c", script], {
    env: { SYD_LOG: "warn" },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "nul ECONNREFUSED\nplain connected\n");
  const denial = records(result.stderr).find((r) => r.ctx === "access");
  assert.equal(denial?.addr, "@syd_test\0null");
  assert.equal(denial?.tip, `allow/net/connect+${hex}`);
});

Deno.test("a bind to 0.0.0.0 or :: binds loopback, sandboxed or not, unless trace/allow_unsafe_any_addr:1", async () => {
  const script = `
import socket
for family, any in ((socket.AF_INET, '0.0.0.0'), (socket.AF_INET6, '::'), (socket.AF_INET6, '::ffff:0.0.0.0')):
    s = socket.socket(family, socket.SOCK_STREAM); s.bind((any, 0)); print(s.getsockname()[0])
`;
  const loopback = "127.0.0.1\n::1\n::ffff:127.0.0.1\n";
  for (const policy of [["-poff"], [...NET, "-m", "allow/net/bind+loopback!0"]]) {
    const result = await runSyd([...policy, "--", "python3", "-c", script]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, loopback, policy.join(" "));
  }
  const relaxed = await runSyd([
    "-poff",
    "-m",
    "trace/allow_unsafe_any_addr:1",
    "--",
    "python3",
    "-c",
    script,
  ]);
  assert.equal(relaxed.code, 0, relaxed.stderr);
  assert.equal(relaxed.stdout, "0.0.0.0\n::\n::ffff:0.0.0.0\n");
});

Deno.test("trace/allow_safe_bind:1 allows connecting to what the sandbox bound (the port the kernel chose too); without it the rules decide", async () => {
  const script = CLIENT + `
import os, tempfile
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
port = srv.getsockname()[1]
attempt("inet", lambda: socket.create_connection(("127.0.0.1", port)) and "connected")
path = tempfile.mkdtemp() + "/s"
u = socket.socket(socket.AF_UNIX); u.bind(path); u.listen(1)
attempt("unix", lambda: socket.socket(socket.AF_UNIX).connect(path) or "connected")
attempt("other", lambda: socket.create_connection(("127.0.0.1", port ^ 1)) and "connected")
print(port)
`;
  const rules = ["-m", "allow/net/bind+loopback!0", "-m", "allow/net/bind+/tmp/**"];
  const denied = await runSyd([...NET, ...rules, "--", "python3", "-c", script], {
    env: { SYD_LOG: "error" },
  });
  assert.equal(denied.code, 0, denied.stderr);
  assert.match(denied.stdout, /^inet ECONNREFUSED\nunix ECONNREFUSED\nother ECONNREFUSED\n\d+\n$/);
  const allowed = await runSyd([
    ...NET,
    ...rules,
    "-m",
    "trace/allow_safe_bind:1",
    "--",
    "python3",
    "-c",
    script,
  ], {
    env: { SYD_LOG: "warn" },
  });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stdout, /^inet connected\nunix connected\nother ECONNREFUSED\n\d+\n$/);
  // Only what was bound: another port stays denied, by syd.
  const port = Number(allowed.stdout.trim().split("\n").at(-1));
  const denials = records(allowed.stderr).filter((r) => r.ctx === "access").map((r) => r.addr);
  assert.deepEqual(denials, [`127.0.0.1!${port ^ 1}`]);
});
