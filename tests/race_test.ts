/**
 * End-to-end race and attack tests of issue 12: opens that change their flags or their path
 * under syd's feet, sends that swap in an address or fds after the check, a hostile cmsg_len, and
 * listings with long runs of hidden entries. Each attack is a helper (tests/helpers/race_*.c) that
 * refuses to run outside a sandbox and prints what it got; every race also runs under `-poff`,
 * where nothing is judged, to show that it is a real attempt that wins there.
 */
import assert from "node:assert/strict";
import { helper, records, ROOT, runSyd, values, withSecretDir } from "./_syd.ts";

/** Tries per race, and the most seconds a race may take. */
const ITERATIONS = "20000";
const SECONDS = "20";

/** Runs `fn` with a new directory holding `public` and `secret` (see `withSecretDir`). */
function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  return withSecretDir("syd-race-", fn);
}

/** The number `name=N` of a helper's output; fails the test when it is missing. */
function count(output: Map<string, string>, name: string, stdout: string): number {
  const value = output.get(name);
  assert.ok(value !== undefined && /^\d+$/.test(value), `no ${name}=N in:\n${stdout}`);
  return Number(value);
}

/** The read and write policy of the open races: DIR/secret is denied, everything else allowed. */
function readWritePolicy(dir: string): string[] {
  return [
    "-poff",
    "-m",
    "sandbox/read,write:on",
    "-m",
    "allow/read,write+/***",
    "-m",
    `deny/read,write+${dir}/secret`,
  ];
}

/**
 * A python3 peer outside the sandbox. Its first line ("ready ...") is passed to `fn`, with
 * `finish`, which closes the peer's stdin (it then reports and exits) and returns everything it
 * printed after the first line.
 */
async function withPeer(
  script: string,
  args: string[],
  fn: (first: string, finish: () => Promise<string>) => Promise<void>,
): Promise<void> {
  const child = new Deno.Command("python3", {
    args: ["-c", script, ...args],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(120_000),
  }).spawn();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  const newline = text.indexOf("\n");
  const first = text.slice(0, newline + 1);
  assert.match(first, /^ready/);
  let rest = text.slice(newline + 1);
  const finish = async () => {
    await child.stdin.close();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += decoder.decode(chunk.value, { stream: true });
    }
    return rest;
  };
  try {
    await fn(first, finish);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // it ended already
    }
    await child.status;
    await child.stdin.close().catch(() => {});
  }
}

/**
 * Two UDP receivers on 127.0.0.1 ("ready ALLOWED DENIED"); at the end of stdin they print
 * "allowed=N denied=M" and the denied payloads, "denied_payloads=a,b".
 */
const UDP_RECEIVERS = `
import os, select, socket, sys
socks = []
for _ in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("127.0.0.1", 0))
    s.setblocking(False)
    socks.append(s)
allowed, denied = socks
print("ready", allowed.getsockname()[1], denied.getsockname()[1], flush=True)
counts = {allowed: 0, denied: 0}
payloads = []
def drain(s):
    while True:
        try:
            data = s.recv(65536)
        except BlockingIOError:
            return
        counts[s] += 1
        if s is denied and len(payloads) < 10:
            payloads.append(data.decode(errors="replace"))
done = False
while not done:
    ready, _, _ = select.select([allowed, denied, sys.stdin], [], [])
    for s in ready:
        if s is sys.stdin:
            done = os.read(0, 100) == b""
        else:
            drain(s)
drain(allowed)
drain(denied)
print(f"allowed={counts[allowed]} denied={counts[denied]}", flush=True)
print("denied_payloads=" + ",".join(payloads), flush=True)
`;

/** The UDP ports of UDP_RECEIVERS' first line. */
function ports(first: string): [number, number] {
  const match = /^ready (\d+) (\d+)/.exec(first);
  assert.ok(match, first);
  return [Number(match[1]), Number(match[2])];
}

/**
 * A UNIX stream listener at argv[1] ("ready"); it serves one connection until its end, closing
 * every fd it receives, then prints "bytes=N fds=M".
 */
const FD_COUNTER = `
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
nbytes = nfds = 0
space = socket.CMSG_SPACE(64 * 4)
while True:
    data, anc, _, _ = c.recvmsg(4096, space)
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - len(payload) % 4])
            for fd in fds:
                nfds += 1
                os.close(fd)
    if not data:
        break
    nbytes += len(data)
print(f"bytes={nbytes} fds={nfds}", flush=True)
`;

// 1. openat2 flag flip ----------------------------------------------------------------------------

for (const mode of ["read", "write"] as const) {
  const other = mode === "read" ? "O_RDONLY" : "O_WRONLY";
  Deno.test(`openat2 with open_how.flags flipping between O_PATH and ${other} never ${mode}s a denied file`, async () => {
    await withDir(async (dir) => {
      const args = [helper("race_openat2"), dir, mode, ITERATIONS, SECONDS];
      // Nothing judges: the secret is simply allowed, and the helper does reach it.
      const open = await runSyd(["-poff", "--", ...args]);
      assert.equal(open.code, 0, open.stderr);
      const openValues = values(open.stdout);
      assert.ok(
        count(openValues, "wins", open.stdout) > 0,
        `the attack never won unjudged:\n${open.stdout}`,
      );
      await Deno.writeTextFile(`${dir}/secret`, "secret\n");

      const result = await runSyd([...readWritePolicy(dir), "--", ...args], {
        env: { SYD_LOG: "error" },
      });
      assert.equal(result.code, 0, result.stderr);
      const output = values(result.stdout);
      assert.ok(count(output, "tries", result.stdout) >= 1000, result.stdout);
      assert.equal(
        count(output, "wins", result.stdout),
        0,
        `syd let the denied file be ${mode === "read" ? "read" : "written"}:\n${result.stdout}`,
      );
      assert.equal(count(output, "opened", result.stdout), 0, result.stdout);
      assert.equal(await Deno.readTextFile(`${dir}/secret`), "secret\n");
    });
  });
}

Deno.test("O_PATH opens are judged for read, and an allowed one gives a usable O_RDONLY|O_NONBLOCK fd", async () => {
  await withDir(async (dir) => {
    const result = await runSyd([
      ...readWritePolicy(dir),
      "--",
      helper("race_openat2"),
      dir,
      "opath",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const output = values(result.stdout);
    assert.equal(output.get("opath_secret"), "EACCES", result.stdout);
    assert.equal(output.get("opath_public"), "OK", result.stdout);
    assert.equal(output.get("fstat"), "OK", result.stdout);
    assert.equal(output.get("size"), "7", result.stdout);
    assert.equal(output.get("accmode"), "O_RDONLY", result.stdout);
    assert.equal(output.get("nonblock"), "1", result.stdout);
    assert.equal(output.get("path"), "0", result.stdout);
    const denials = records(result.stderr).filter((r) => r.ctx === "access");
    assert.equal(denials.length, 1, result.stderr);
    assert.equal(denials[0].cap, "read");
    assert.equal(denials[0].path, `${dir}/secret`);
  });
});

// 2. directory/file type swap ---------------------------------------------------------------------

Deno.test("a path string swapped from a directory to a denied file after the check never reads the file", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/subdir`);
    const args = [helper("race_dirswap"), dir, ITERATIONS, SECONDS];
    const open = await runSyd(["-poff", "--", ...args]);
    assert.equal(open.code, 0, open.stderr);
    assert.ok(
      count(values(open.stdout), "wins", open.stdout) > 0,
      `the attack never won unjudged:\n${open.stdout}`,
    );

    const result = await runSyd([
      "-poff",
      "-m",
      "sandbox/read:on",
      "-m",
      "allow/read+/***",
      "-m",
      `deny/read+${dir}/secret`,
      "--",
      ...args,
    ], { env: { SYD_LOG: "error" } });
    assert.equal(result.code, 0, result.stderr);
    const output = values(result.stdout);
    assert.ok(count(output, "tries", result.stdout) >= 1000, result.stdout);
    assert.equal(
      count(output, "wins", result.stdout),
      0,
      `syd let the denied file be read:\n${result.stdout}`,
    );
    assert.equal(count(output, "files", result.stdout), 0, result.stdout);
    assert.ok(
      count(output, "dirs", result.stdout) > 0,
      `the directory never opened:\n${result.stdout}`,
    );
  });
});

// 3. sends ----------------------------------------------------------------------------------------

Deno.test("sendmmsg stops at a denied entry: the denied datagrams never arrive and the count is what was sent", async () => {
  await withDir(async (dir) => {
    // Unjudged, all four datagrams go out.
    await withPeer(UDP_RECEIVERS, [], async (first, finish) => {
      const [allowed, denied] = ports(first);
      const open = await runSyd([
        "-poff",
        "--",
        helper("race_sendmmsg"),
        dir,
        String(allowed),
        String(denied),
      ]);
      assert.equal(open.code, 0, open.stderr);
      assert.match(open.stdout, /^first=4\n/, open.stdout);
      assert.match(await finish(), /^allowed=1 denied=4\n/);
    });
    await withPeer(UDP_RECEIVERS, [], async (first, finish) => {
      const [allowed, denied] = ports(first);
      const result = await runSyd([
        "-poff",
        "-m",
        "sandbox/net:on",
        "-m",
        `allow/net/connect+127.0.0.1!${allowed}`,
        "--",
        helper("race_sendmmsg"),
        dir,
        String(allowed),
        String(denied),
      ]);
      assert.equal(result.code, 0, result.stderr);
      const output = values(result.stdout);
      assert.equal(output.get("first"), "1", result.stdout);
      assert.equal(output.get("lens"), "5,0,0,0", result.stdout);
      assert.equal(output.get("second"), "ENOTCONN", result.stdout);
      assert.equal(output.get("sendto"), "ENOTCONN", result.stdout);
      const received = await finish();
      assert.equal(received, "allowed=1 denied=0\ndenied_payloads=\n");
    });
  });
});

Deno.test("sendmsg with msg_name NULL while a thread swaps in a denied address never reaches the denied port", async () => {
  await withDir(async (dir) => {
    await withPeer(UDP_RECEIVERS, [], async (first, finish) => {
      const [allowed, denied] = ports(first);
      const args = [
        helper("race_sendmsg"),
        dir,
        String(allowed),
        String(denied),
        ITERATIONS,
        SECONDS,
      ];
      const open = await runSyd(["-poff", "--", ...args]);
      assert.equal(open.code, 0, open.stderr);
      assert.ok(
        count(values(open.stdout), "race_ok", open.stdout) > 0,
        `the attack never won unjudged:\n${open.stdout}`,
      );
      const received = values(await finish());
      assert.ok(Number(received.get("denied")) > 0, "nothing reached the denied port unjudged");
    });
    await withPeer(UDP_RECEIVERS, [], async (first, finish) => {
      const [allowed, denied] = ports(first);
      const result = await runSyd([
        "-poff",
        "-m",
        "sandbox/net:on",
        "-m",
        `allow/net/connect+127.0.0.1!${allowed}`,
        "--",
        helper("race_sendmsg"),
        dir,
        String(allowed),
        String(denied),
        ITERATIONS,
        SECONDS,
      ], { env: { SYD_LOG: "error" } });
      assert.equal(result.code, 0, result.stderr);
      const output = values(result.stdout);
      assert.ok(count(output, "tries", result.stdout) >= 1000, result.stdout);
      assert.equal(count(output, "race_ok", result.stdout), 0, result.stdout);
      assert.equal(count(output, "allowed_ok", result.stdout), 10, result.stdout);
      const text = await finish();
      const received = values(text);
      assert.equal(received.get("denied"), "0", `datagrams reached the denied port:\n${text}`);
      assert.equal(received.get("allowed"), "10", text);
    });
  });
});

Deno.test("sendmsg with msg_control swapping in SCM_RIGHTS after the check never passes an fd when sendfd is denied", async () => {
  await withDir(async (dir) => {
    const args = [helper("race_sendfd"), dir, ITERATIONS, SECONDS];
    await withPeer(FD_COUNTER, [`${dir}/sock`], async (_first, finish) => {
      const open = await runSyd(["-poff", "--", ...args]);
      assert.equal(open.code, 0, open.stderr);
      const text = await finish();
      assert.ok(
        Number(values(text).get("fds")) > 0,
        `no fd passed unjudged:\n${open.stdout}${text}`,
      );
    });
    await Deno.remove(`${dir}/sock`);
    await withPeer(FD_COUNTER, [`${dir}/sock`], async (_first, finish) => {
      const result = await runSyd([
        "-poff",
        "-m",
        "sandbox/net,sendfd:on",
        "-m",
        `allow/net/connect+${dir}/sock`,
        "--",
        ...args,
      ], { env: { SYD_LOG: "error" } });
      assert.equal(result.code, 0, result.stderr);
      const output = values(result.stdout);
      assert.ok(count(output, "tries", result.stdout) >= 1000, result.stdout);
      // Sends without fds go through; those with fds are refused.
      assert.ok(count(output, "race_ok", result.stdout) > 0, result.stdout);
      assert.match(output.get("race") ?? "", /EACCES/, result.stdout);
      const text = await finish();
      const received = values(text);
      assert.equal(received.get("fds"), "0", `the peer received fds:\n${text}`);
      assert.equal(received.get("bytes"), output.get("race_ok"), text);
    });
  });
});

// 4. a hostile cmsg_len ---------------------------------------------------------------------------

Deno.test("sendmsg with a cmsg_len of 2^64-1 fails every time, and syd survives without a panic", async () => {
  for (const sendfd of [false, true]) {
    await withDir(async (dir) => {
      const result = await runSyd([
        "-poff",
        "-m",
        "sandbox/net,sendfd,read:on",
        "-m",
        "allow/read+/***",
        "-m",
        `allow/net/bind+${dir}/sock`,
        "-m",
        `allow/net/connect+${dir}/sock`,
        ...(sendfd ? ["-m", "allow/sendfd+!all"] : []),
        "--",
        helper("race_cmsg_len"),
        dir,
      ]);
      const context = `sendfd ${sendfd ? "allowed" : "denied"}:\n${result.stdout}`;
      assert.equal(result.code, 0, `${context}\n${result.stderr}`);
      const output = values(result.stdout);
      for (const layout of ["after_creds", "after_rights", "first"]) {
        assert.equal(output.get(`${layout}_ok`), "0", context);
        assert.match(output.get(layout) ?? "", /^(EINVAL|EACCES)(,(EINVAL|EACCES))*$/, context);
      }
      assert.equal(output.get("plain"), "OK", context);
      assert.match(result.stdout, /^served$/m, context);
      const panics = records(result.stderr).filter((r) => r.op === "panic");
      assert.deepEqual(panics, [], context);
    });
  }
});

// 5. listings -------------------------------------------------------------------------------------

Deno.test("a listing with 5,000 hidden entries before the visible ones shows exactly the visible ones", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-race-" }));
  try {
    for (let i = 0; i < 5000; i++) Deno.writeFileSync(`${dir}/hidden${i}`, new Uint8Array());
    for (const name of ["zz1", "zz2", "zz3"]) {
      Deno.writeFileSync(`${dir}/${name}`, new Uint8Array());
    }
    const open = await runSyd(["-poff", "--", "ls", dir]);
    assert.equal(open.code, 0, open.stderr);
    assert.equal(open.stdout.split("\n").filter((l) => l).length, 5003);
    const result = await runSyd([
      "-poff",
      "-m",
      "sandbox/list:on",
      "-m",
      "allow/list+/***",
      "-m",
      `deny/list+${dir}/hidden*`,
      "--",
      "ls",
      dir,
    ], { env: { SYD_LOG: "error" } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "zz1\nzz2\nzz3\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// 6. fd calls and UNIX socket names ---------------------------------------------------------------

/**
 * Runs `args` (a race helper printing "tries=N wins=W") under `-poff`, where it must win, and
 * under `policy`, where it must never win; returns the judged run's numbers. `prepare`, when
 * given, sets the stage before each run (a race may leave it changed).
 */
async function raceBoth(
  args: string[],
  policy: string[],
  prepare?: () => Promise<void>,
): Promise<Map<string, string>> {
  await prepare?.();
  const open = await runSyd(["-poff", "--", ...args]);
  assert.equal(open.code, 0, open.stderr);
  assert.ok(
    count(values(open.stdout), "wins", open.stdout) > 0,
    `never won unjudged:\n${open.stdout}`,
  );
  await prepare?.();
  const result = await runSyd([...policy, "--", ...args], { env: { SYD_LOG: "error" } });
  assert.equal(result.code, 0, result.stderr.slice(-2000));
  const output = values(result.stdout);
  assert.ok(count(output, "tries", result.stdout) >= 1000, result.stdout);
  assert.equal(count(output, "wins", result.stdout), 0, result.stdout);
  return output;
}

for (const call of ["newfstatat", "statx", "faccessat2"]) {
  Deno.test(`${call} with AT_EMPTY_PATH and a path flipping from "" to a hidden name never reaches it`, async () => {
    await withDir(async (dir) => {
      // Hidden by walk (ENOENT): a stat denial answers EACCES, which faccessat2's win is.
      await raceBoth([helper("race_statfd"), dir, call, ITERATIONS, SECONDS], [
        "-poff",
        "-m",
        "sandbox/stat,walk:on",
        "-m",
        "allow/stat,walk+/***",
        "-m",
        `deny/walk+${dir}/secret`,
      ]);
    });
  });
}

Deno.test("an open of /proc/self/fd/N for reading while N is dup2-swapped between a pipe and a write-only fd of a file denied for reading never reopens the file", async () => {
  await withDir(async (dir) => {
    const output = await raceBoth([helper("race_procfd"), dir, ITERATIONS, SECONDS], [
      "-poff",
      "-m",
      "sandbox/read,write:on",
      "-m",
      "allow/read,write+/***",
      "-m",
      `deny/read+${dir}/secret`,
    ]);
    // The opens that named the pipe reopened it, as natively.
    assert.ok(count(output, "pipes", "") > 0);
  });
});

Deno.test("memfd_create with its name rewritten by another thread after the check never makes a memfd of the denied name", async () => {
  const output = await raceBoth([helper("race_memfd"), ITERATIONS, SECONDS], [
    "-poff",
    "-m",
    "sandbox/create:on",
    "-m",
    "allow/create+!memfd:allowed",
  ]);
  // The calls that read "allowed" made a memfd called so, as natively.
  assert.ok(count(output, "made", "") > 0);
});

Deno.test("rename of a directory exchanged with a file after the check never puts the file on a name denied for create (found by review)", async () => {
  await withDir(async (dir) => {
    const output = await raceBoth([helper("race_rename_type"), dir, ITERATIONS, SECONDS], [
      "-poff",
      "-m",
      "sandbox/create:on",
      "-m",
      "allow/create+/***",
      "-m",
      `deny/create+${dir}/new*`,
    ], async () => {
      for await (const entry of Deno.readDir(dir)) {
        if (!["public", "secret"].includes(entry.name)) {
          await Deno.remove(`${dir}/${entry.name}`, { recursive: true });
        }
      }
    });
    // The renames that found the directory moved it, as natively.
    assert.ok(count(output, "moved", "") > 0);
  });
});

for (const call of ["connect", "sendto", "bind"] as const) {
  const cat = call === "bind" ? "bind" : "connect";
  Deno.test(`UNIX ${call} to a path whose directory is exchanged with a symlink to a denied one never reaches it`, async () => {
    await withDir(async (dir) => {
      // DIR/open and DIR/secret directories, DIR/link to DIR/secret; afresh for each run (the
      // unjudged one leaves them exchanged).
      const prepare = async () => {
        for (const name of ["open", "secret", "link"]) {
          await Deno.remove(`${dir}/${name}`, { recursive: true }).catch((err) => {
            if (!(err instanceof Deno.errors.NotFound)) throw err;
          });
        }
        await Deno.mkdir(`${dir}/open`);
        await Deno.mkdir(`${dir}/secret`);
        await Deno.symlink("secret", `${dir}/link`);
      };
      await raceBoth([helper("race_unix"), dir, call, ITERATIONS, SECONDS], [
        "-poff",
        "-m",
        "sandbox/net:on",
        "-m",
        `allow/net/bind+${dir}/***`,
        "-m",
        `allow/net/connect+${dir}/***`,
        "-m",
        `deny/net/${cat}+${dir}/secret/***`,
      ], prepare);
    });
  });
}

Deno.test("O_CREAT|O_TRUNC while the name is exchanged with another user's file, a symlink, a FIFO, a directory or a world-writable file never opens nor truncates one, with -poff too (found by review)", async () => {
  await withDir(async (dir) => {
    const prepare = async () => {
      for await (const entry of Deno.readDir(dir)) {
        await Deno.remove(`${dir}/${entry.name}`, { recursive: true });
      }
      await Deno.writeTextFile(`${dir}/theirs`, "theirs\n");
      await Deno.chown(`${dir}/theirs`, 65534, 65534);
      await Deno.writeTextFile(`${dir}/target`, "target\n");
      await Deno.symlink("target", `${dir}/lnk`);
      const fifo = await new Deno.Command("mkfifo", { args: ["-m", "0622", `${dir}/fifo`] })
        .output();
      assert.ok(fifo.success);
      await Deno.chown(`${dir}/fifo`, 65534, 65534);
      await Deno.mkdir(`${dir}/dir`);
      await Deno.writeTextFile(`${dir}/own`, "own\n");
      await Deno.chmod(`${dir}/own`, 0o666);
    };
    const args = [helper("attack_create_race"), dir, ITERATIONS, SECONDS];
    // Relaxed, the kernel follows the symlink and opens the world-writable file: a real attempt.
    await prepare();
    const relaxed = await runSyd(["-poff", "-m", "trace/allow_unsafe_create:1", "--", ...args]);
    assert.equal(relaxed.code, 0, relaxed.stderr);
    assert.ok(count(values(relaxed.stdout), "wins", relaxed.stdout) > 0, relaxed.stdout);
    for (const policy of [["-poff"], ["-m", "sandbox/fs:off", "-m", "allow/all+/***"]]) {
      await prepare();
      const result = await runSyd([...policy, "--", ...args], { env: { SYD_LOG: "error" } });
      assert.equal(result.code, 0, result.stderr.slice(-2000));
      const output = values(result.stdout);
      assert.ok(count(output, "tries", result.stdout) >= 1000, result.stdout);
      assert.equal(
        count(output, "wins", result.stdout),
        0,
        `${policy.join(" ")}: ${result.stdout}`,
      );
      assert.ok(count(output, "opened", result.stdout) > 0, result.stdout); // its own new files
    }
  });
});

Deno.test("O_CREAT|O_TRUNC judged as a creation never truncates a file of the caller's that appears before syd opens it, unless truncate allows it (found by review)", async () => {
  await withDir(async (dir) => {
    const args = [helper("attack_trunc_appear"), dir, ITERATIONS, SECONDS];
    const policy = [
      "-poff",
      "-m",
      "sandbox/create,write,truncate:on",
      "-m",
      "allow/create,write,truncate+/***",
    ];
    // Truncate allowed: the writer's files are emptied by the opens (the race is real).
    const allowed = await runSyd([...policy, "--", ...args], { env: { SYD_LOG: "error" } });
    assert.equal(allowed.code, 0, allowed.stderr.slice(-2000));
    assert.ok(count(values(allowed.stdout), "wins", allowed.stdout) > 0, allowed.stdout);
    const denied = await runSyd([...policy, "-m", `deny/truncate+${dir}/f`, "--", ...args], {
      env: { SYD_LOG: "error" },
    });
    assert.equal(denied.code, 0, denied.stderr.slice(-2000));
    const output = values(denied.stdout);
    assert.ok(count(output, "tries", denied.stdout) >= 1000, denied.stdout);
    assert.equal(count(output, "wins", denied.stdout), 0, denied.stdout);
  });
});
