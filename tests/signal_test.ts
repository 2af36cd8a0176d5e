/**
 * End-to-end tests of time limits (-t) and of signals sent to syd, which go to the sandboxed
 * program instead of ending syd first.
 */
import assert from "node:assert/strict";
import { helper, records, ROOT, runSyd, SYD } from "./_syd.ts";

Deno.test("-t ends a sandbox that runs too long, with 124 as timeout(1), and logs it", async () => {
  const start = performance.now();
  const result = await runSyd(["-poff", "-t", "500ms", "--", "sleep", "30"]);
  const elapsedMs = performance.now() - start;
  assert.equal(result.code, 124);
  assert.ok(elapsedMs < 10_000, `took ${elapsedMs} ms`);
  assert.ok(records(result.stderr).some((r) => r.ctx === "timeout"), result.stderr);
  const quick = await runSyd(["-poff", "-t", "30", "--", "sh", "-c", "exit 7"]);
  assert.equal(quick.code, 7);
});

Deno.test("the timeout: command limits the sandbox as -t does; -t wins over it", async () => {
  const start = performance.now();
  const result = await runSyd(["-poff", "-m", "timeout:500ms", "--", "sleep", "30"]);
  assert.equal(result.code, 124, result.stderr);
  assert.ok(performance.now() - start < 10_000);
  const overridden = await runSyd([
    "-poff",
    "-m",
    "timeout:100ms",
    "-t",
    "30s",
    "--",
    "sh",
    "-c",
    "sleep 1; exit 5",
  ]);
  assert.equal(overridden.code, 5, overridden.stderr);
});

Deno.test("-t refuses a value that is not a duration", async () => {
  for (const bad of ["soon", "-1", "0", "10x"]) {
    const result = await runSyd(["-poff", "-t", bad, "--", "true"]);
    assert.equal(result.code, 22, bad);
    assert.match(result.stderr, /^syd: /);
  }
});

async function signalled(
  signal: Deno.Signal,
  script: string,
): Promise<{ code: number; stdout: string }> {
  const child = new Deno.Command(SYD, {
    args: ["-poff", "--", "sh", "-c", script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  const reader = child.stdout.getReader();
  const first = await reader.read(); // the program says it is ready
  child.kill(signal);
  let stdout = new TextDecoder().decode(first.value);
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    stdout += new TextDecoder().decode(chunk.value);
  }
  const status = await child.status;
  return { code: status.code, stdout };
}

Deno.test("SIGTERM sent to syd reaches the program, which may handle it", async () => {
  const result = await signalled(
    "SIGTERM",
    "trap 'echo got TERM; kill $!; exit 3' TERM; echo ready; sleep 30 & wait",
  );
  assert.equal(result.stdout, "ready\ngot TERM\n");
  assert.equal(result.code, 3);
});

Deno.test("SIGINT sent to syd kills a program that does not handle it: 130", async () => {
  const result = await signalled("SIGINT", "echo ready; exec sleep 30");
  assert.equal(result.code, 130);
});

Deno.test("an open syd performs is interrupted by the caller's signal: EINTR without SA_RESTART", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fifo = `${dir}/fifo`;
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    const rules = [
      "-m",
      "sandbox/all,fs,ioctl:off",
      "-m",
      "sandbox/read:on",
      "-m",
      "allow/read+/***",
    ];
    const start = performance.now();
    const result = await runSyd([...rules, "--", helper("fifo_alarm"), fifo, "norestart"]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^EINTR after 1\.\d s\n$/);
    assert.ok(
      performance.now() - start < 5_000,
      "syd did not end promptly: its emulator stayed blocked",
    );
    assert.doesNotMatch(result.stderr, /did not stop/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with SA_RESTART the interrupted open restarts and completes once a writer appears", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fifo = `${dir}/fifo`;
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    const writer = new Deno.Command("sh", { args: ["-c", `sleep 2; echo x > ${fifo}`] }).spawn();
    const rules = [
      "-m",
      "sandbox/all,fs,ioctl:off",
      "-m",
      "sandbox/read:on",
      "-m",
      "allow/read+/***",
    ];
    const result = await runSyd([...rules, "--", helper("fifo_alarm"), fifo, "restart"]);
    await writer.status;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^opened after [12]\.\d s\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a connect blocked on an unresponsive peer ends when the caller gets SIGINT", async () => {
  // A listener with a full backlog never completes another handshake.
  const peer = new Deno.Command("python3", {
    args: [
      "-c",
      `
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
port = s.getsockname()[1]
fill = []
for _ in range(4):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", port))
    fill.append(c)
print(port, flush=True)
time.sleep(60)
`,
    ],
    stdout: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  const reader = peer.stdout.getReader();
  const port = Number(new TextDecoder().decode((await reader.read()).value).trim());
  try {
    // A background job of a non-interactive sh starts with SIGINT ignored: take it back.
    // The client says when it is about to connect (a flag file): a loaded machine may take more
    // than a second to start Python, and a SIGINT before the handler is set is ignored.
    const flag = `${await Deno.makeTempDir({ prefix: "syd-sigint-" })}/connecting`;
    const client = `
import signal, socket
signal.signal(signal.SIGINT, signal.default_int_handler)
s = socket.socket()
open("${flag}", "w").close()
s.connect(("127.0.0.1", ${port}))
print("connected")
`;
    const script = `python3 -c '${client}' & pid=$!; ` +
      `while [ ! -e ${flag} ]; do sleep 0.1; done; sleep 0.5; kill -INT $pid; wait $pid; ` +
      `echo "status=$?"`;
    const rules = [
      "-m",
      "sandbox/all,fs,ioctl:off",
      "-m",
      "sandbox/net:on",
      "-m",
      `allow/net/connect+127.0.0.1!${port}`,
    ];
    const result = await runSyd([...rules, "--", "sh", "-c", script], {
      env: { SYD_LOG: "error" },
    });
    const sent = Deno.statSync(flag).mtime!.getTime();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /status=(130|1)\n/);
    assert.ok(Date.now() - sent < 10_000, "the blocked connect was not interrupted");
    Deno.removeSync(flag.replace(/\/connecting$/, ""), { recursive: true });
  } finally {
    try {
      peer.kill("SIGKILL");
    } catch {
      // it ended already
    }
    await peer.status;
  }
});
