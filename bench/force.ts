/**
 * Force sandboxing and exec-on-mmap costs for `deno task bench` (bench/bench.ts): 100 execs of
 * a 1 MB static program by a static driver (bench/exec_loop.c) with Force on (both listed:
 * sha256 and blake3, each exec hashed twice: before the call and at the exec stop) against the
 * same without Force; and 1,000 dlopen+dlclose of a small library (bench/dlopen_loop.c) with
 * mmap checks off (`-poff`: the mmap is not stopped), on (exec sandboxing, allow-all: each
 * executable mmap stopped for the tracer and checked at its exit), and with Force on the
 * library too. Medians of `rounds`; times in ms, per exec or load in µs.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SYD = `${ROOT}syd`;
const ZIG = `${ROOT}.toolchain/bin/zig`;
const EXECS = 100;
const LOADS = 1000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function run(program: string, args: string[]): Promise<string> {
  const result = await new Deno.Command(program, { args, stderr: "piped" }).output();
  if (!result.success) {
    throw new Error(
      `${program} ${args.join(" ")} exited ${result.code}: ${
        new TextDecoder().decode(result.stderr).slice(0, 2000)
      }`,
    );
  }
  return new TextDecoder().decode(result.stdout);
}

async function timed(program: string, args: string[]): Promise<number> {
  const start = performance.now();
  await run(program, args);
  return performance.now() - start;
}

/** Builds the programs in `dir`: `big` (1 MB), `exec_loop`, `dlopen_loop`, `libplugin.so`. */
async function build(dir: string): Promise<void> {
  const cc = (args: string[]) => run(ZIG, ["cc", "-O2", ...args]);
  await Deno.writeTextFile(`${dir}/big.c`, "int main(void) { return 0; }\n");
  await cc(["-target", "x86_64-linux-musl", "-static", "-o", `${dir}/big`, `${dir}/big.c`]);
  // Padded to 1 MB: bytes after an ELF's segments are never mapped, but they are hashed.
  const big = await Deno.readFile(`${dir}/big`);
  const padded = new Uint8Array(1 << 20);
  padded.set(big);
  for (let i = big.length; i < padded.length; i++) padded[i] = i & 0xff;
  await Deno.writeFile(`${dir}/big`, padded, { mode: 0o755 });
  await cc([
    "-target",
    "x86_64-linux-musl",
    "-static",
    "-o",
    `${dir}/exec_loop`,
    `${ROOT}bench/exec_loop.c`,
  ]);
  await cc(["-o", `${dir}/dlopen_loop`, `${ROOT}bench/dlopen_loop.c`]);
  await Deno.writeTextFile(`${dir}/plugin.c`, "int plugin(void) { return 7; }\n");
  await cc(["-shared", "-fPIC", "-o", `${dir}/libplugin.so`, `${dir}/plugin.c`]);
}

/** `syd sum -a ALG FILE`'s force+ line. */
async function sumLine(alg: string, file: string): Promise<string> {
  return (await run(SYD, ["sum", "-a", alg, file])).trim();
}

/** Runs the Force and mmap benches, `rounds` rounds each, and prints their medians. */
export async function forceBench(rounds: number): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-bench-force-" }));
  try {
    await build(dir);
    const loop = [`${dir}/exec_loop`, String(EXECS), `${dir}/big`];
    const off = ["-poff"];
    const force = async (alg: string) => [
      "-poff",
      "-m",
      "sandbox/force:on",
      "-m",
      await sumLine(alg, `${dir}/exec_loop`),
      "-m",
      await sumLine(alg, `${dir}/big`),
    ];
    const sha = await force("sha256");
    const blake = await force("blake3");
    const dl = [`${dir}/dlopen_loop`, String(LOADS), `${dir}/libplugin.so`];
    const mmapOn = ["-poff", "-m", "sandbox/exec:on", "-m", "allow/exec+/***"];
    const mmapForce = [
      ...mmapOn,
      "-m",
      "sandbox/force:on",
      "-m",
      "default/force:warn", // the driver, ld.so and libc are not listed: logged, run
      "-m",
      await sumLine("blake3", `${dir}/libplugin.so`),
    ];
    const times: Record<string, number[]> = {
      noForce: [],
      sha256: [],
      blake3: [],
      dlNative: [],
      dlOff: [],
      dlOn: [],
      dlForce: [],
    };
    for (let round = 0; round < rounds; round++) {
      times.noForce.push(await timed(SYD, [...off, "--", ...loop]));
      times.sha256.push(await timed(SYD, [...sha, "--", ...loop]));
      times.blake3.push(await timed(SYD, [...blake, "--", ...loop]));
      times.dlNative.push(await timed(dl[0], dl.slice(1)));
      times.dlOff.push(await timed(SYD, [...off, "--", ...dl]));
      times.dlOn.push(await timed(SYD, [...mmapOn, "--", ...dl]));
      times.dlForce.push(await timed(SYD, [...mmapForce, "--", ...dl]));
    }
    const m = (key: string) => median(times[key]);
    const per = (key: string, n: number, base: string) =>
      `${m(key).toFixed(1)} ms (${((m(key) - m(base)) / n * 1000).toFixed(0)} µs more per ${
        n === EXECS ? "exec" : "load"
      })`;
    console.log(`Force: ${EXECS} execs of a 1 MB static program, median of ${rounds} rounds:`);
    console.log(`  syd -poff, no Force:   ${m("noForce").toFixed(1)} ms`);
    console.log(`  Force, sha256:         ${per("sha256", EXECS, "noForce")}`);
    console.log(`  Force, blake3:         ${per("blake3", EXECS, "noForce")}`);
    console.log(`dlopen+dlclose of a small library, ${LOADS} times, median of ${rounds} rounds:`);
    console.log(`  native:                ${m("dlNative").toFixed(1)} ms`);
    console.log(`  syd -poff (mmap not stopped): ${m("dlOff").toFixed(1)} ms`);
    console.log(`  mmap checks on (exec sandboxing): ${per("dlOn", LOADS, "dlOff")}`);
    console.log(`  mmap checks and Force (blake3): ${per("dlForce", LOADS, "dlOff")}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
