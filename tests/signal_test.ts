/**
 * End-to-end tests of time limits (-t) and of signals sent to syd, which go to the sandboxed
 * program instead of ending syd first.
 */
import assert from "node:assert/strict";
import { records, ROOT, runSyd, SYD } from "./_syd.ts";

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
