import assert from "node:assert/strict";
import { ABI_VERSION, NativeError, openFromBytes, probe, Sandbox, strerror } from "./native.ts";

const LIBRARY = new URL("../zig-out/lib/libsyd.so", import.meta.url);

function policy(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: 1,
    log_level: "warn",
    pool: { core: 1, max: 4, keep_alive_ms: 1000 },
    lock: null,
    categories: [],
    rules: [],
    net_rules: [],
    mask: [],
    exec_kill: [],
    exit_wait_all: false,
    allow_unsupp_socket: false,
    deny_dotdot: false,
    timeout_ms: 0,
    ...overrides,
  });
}

Deno.test("probe() reports user notification and libseccomp's version", () => {
  const features = probe();
  assert.equal(features.abiVersion, ABI_VERSION);
  assert.ok(features.userNotif);
  assert.match(features.libseccomp, /^2\.\d+\.\d+$/);
});

Deno.test("openFromBytes() loads libsyd.so through a memfd, as a compiled binary does", () => {
  const lib = openFromBytes(Deno.readFileSync(LIBRARY));
  try {
    assert.equal(lib.symbols.syd_abi_version(), ABI_VERSION);
  } finally {
    lib.close();
  }
});

Deno.test("strerror() gives the C library's text", () => {
  assert.equal(strerror(2), "No such file or directory");
});

Deno.test("Sandbox.create() refuses a bad document with EINVAL and a message", () => {
  assert.throws(() => Sandbox.create("{"), (err: unknown) => {
    assert.ok(err instanceof NativeError);
    assert.equal(err.errno, 22);
    assert.match(err.message, /policy document is not valid/);
    return true;
  });
  assert.throws(() => Sandbox.create(policy({ version: 7 })), /version 7 is not 1/);
  assert.throws(
    () => Sandbox.create(policy({ lock: "sometimes" })),
    (err: unknown) => err instanceof NativeError && err.errno === 22,
  );
});

Deno.test("Sandbox.run() runs a program once and reports how it ended", async () => {
  const sandbox = Sandbox.create(policy());
  try {
    const result = await sandbox.run(["sh", "-c", "exit 7"], ["PATH=/usr/bin:/bin"]);
    assert.equal(result.exitCode, 7);
    assert.equal(result.execErrno, 0);
    assert.ok(result.notifications > 0n); // at least the execve was trapped
    await assert.rejects(sandbox.run(["true"], []), /has run already/);
  } finally {
    sandbox.free();
  }
});

Deno.test("Sandbox.run() refuses an empty argv and arguments with NUL bytes", async () => {
  const sandbox = Sandbox.create(policy());
  try {
    await assert.rejects(sandbox.run([], []), /no command to run/);
    await assert.rejects(sandbox.run(["a\0b"], []), /NUL byte/);
  } finally {
    sandbox.free();
  }
});
