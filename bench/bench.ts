/**
 * `deno task bench`: syd's cost measured side by side in one run, medians of several rounds.
 *
 * 1. An openat()+close() loop (tests/helpers/openat_loop.c): calls per second natively and
 *    under `./syd -poff` (every openat trapped and answered), and the ratio.
 * 2. Start-up: `./syd -poff -- true` against `true`.
 *
 * Rounds alternate between the two sides so that machine noise hits both alike.
 */
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SYD = `${ROOT}syd`;
const LOOP = `${ROOT}bench/bin/openat_loop`;
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 7);
const ITERATIONS = Number(Deno.env.get("BENCH_ITERATIONS") ?? 200_000);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function output(program: string, args: string[]): Promise<string> {
  const result = await new Deno.Command(program, { args, stderr: "inherit" }).output();
  if (!result.success) throw new Error(`${program} ${args.join(" ")} exited ${result.code}`);
  return new TextDecoder().decode(result.stdout);
}

async function build(): Promise<void> {
  await Deno.mkdir(`${ROOT}bench/bin`, { recursive: true });
  const source = `${ROOT}tests/helpers/openat_loop.c`;
  await output(`${ROOT}.toolchain/bin/zig`, ["cc", "-O2", "-o", LOOP, source]);
  await output(SYD, ["-poff", "--", "true"]); // builds libsyd.so if needed, warms caches
}

async function timed(program: string, args: string[]): Promise<number> {
  const start = performance.now();
  await output(program, args);
  return performance.now() - start;
}

async function main(): Promise<void> {
  await build();
  const native: number[] = [];
  const sandboxed: number[] = [];
  const trueNative: number[] = [];
  const trueSyd: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    native.push(Number(await output(LOOP, [String(ITERATIONS)])));
    sandboxed.push(Number(await output(SYD, ["-poff", "--", LOOP, String(ITERATIONS)])));
    trueNative.push(await timed("true", []));
    trueSyd.push(await timed(SYD, ["-poff", "--", "true"]));
  }
  const n = median(native);
  const s = median(sandboxed);
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
  console.log(`openat+close loop, ${ITERATIONS} iterations, median of ${ROUNDS} rounds:`);
  console.log(`  native:          ${fmt(n)} calls/s (${(1e6 / n).toFixed(2)} µs per iteration)`);
  console.log(`  syd -poff:       ${fmt(s)} calls/s (${(1e6 / s).toFixed(2)} µs per iteration)`);
  console.log(`  cost ratio:      ${(n / s).toFixed(2)}x (trapped / untrapped time per iteration)`);
  console.log(`start-up, median of ${ROUNDS} rounds:`);
  console.log(`  true:            ${median(trueNative).toFixed(1)} ms`);
  console.log(`  syd -poff true:  ${median(trueSyd).toFixed(1)} ms`);
}

await main();
