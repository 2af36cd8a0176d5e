/**
 * `deno task bench`: syd's cost measured side by side in one run, medians of several rounds.
 *
 * 1. An openat()+close() loop (tests/helpers/openat_loop.c): calls per second natively, under
 *    `./syd -poff` (every openat trapped and performed by syd for the open hardenings), the same
 *    with those hardenings relaxed (trapped and continued: the notify floor), under read sandboxing with an
 *    allowing rule (every openat judged on its canonical path and performed by syd: emulated),
 *    the latter also with syd's threads unconfined (SYD_SKIP_SCMP=1): what self-confinement
 *    costs; with BENCH_BASELINE=path/to/libsyd.so also on that build (an earlier commit's), so
 *    that a change's cost is measured side by side in the same rounds.
 * 2. Start-up: `./syd -poff -- true` against `true` (and `dist/syd`'s, the one file, when made); 300 execs of /bin/true by one shell, natively,
 *    under `-poff` and under exec sandboxing, traced (exec checked after the call) and untraced
 *    (syd's start-up taken off).
 * 3. Policy parsing: the user profile plus 1,000 generated rules, loaded (parsed, expanded,
 *    applied) and compiled to the JSON document, in-process.
 * 4. Macro workloads (bench/macro.ts): `find /usr -name '*.h'`, `tar xf` of a generated tree of
 *    2,000 files, `make -j2` of a generated 21-file C project (gcc), and 32 threads each doing
 *    2,000 open/read/fstat/close (bench/threads_loop.c), each natively, under `./syd -poff` and
 *    under `./syd -poff` with every category on and allow-all rules; with SYD_ORIG=path/to/syd
 *    also under the original syd 3.59 in the same two modes (with the options it needs, printed
 *    in the header). A Markdown table of wall times with ratios to native, and syd's peak memory
 *    (VmHWM of its own process) on the find workload. A failing run is an error.
 *
 * 5. Force and exec-on-mmap (bench/force.ts): execs of a 1 MB program with Force on against
 *    off, and dlopen loops with mmap checks off, on, and with Force.
 *
 * Rounds alternate between the sides so that machine noise hits all alike.
 *
 * Environment: BENCH_ONLY=micro|macro|force (default all: 1-3 and 5 are micro, 4 macro); BENCH_ROUNDS
 * (micro rounds, default 7); BENCH_ITERATIONS (the openat loop's, default 200,000);
 * BENCH_MACRO_ROUNDS (default 3); BENCH_MACROS=find,tar,make,threads (a subset, default all);
 * BENCH_BASELINE (above); SYD_ORIG (above); TMPDIR (where the macro workloads' files go:
 * /dev/shm takes the disk's noise off). The exit status is 1 when a macro run failed.
 */
import { fileURLToPath } from "node:url";
import { compile, load, type SourceSpec } from "../lib/policy/mod.ts";
import { macroBench } from "./macro.ts";
import { forceBench } from "./force.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SYD = `${ROOT}syd`;
const LOOP = `${ROOT}bench/bin/openat_loop`;
const STAT_LOOP = `${ROOT}bench/bin/stat_loop`;
/** The one file (`deno task dist`), when made: its start-up is measured beside ./syd's. */
const DIST = (() => {
  try {
    return Deno.statSync(`${ROOT}dist/syd`).isFile ? `${ROOT}dist/syd` : undefined;
  } catch {
    return undefined;
  }
})();
/** BENCH_BASELINE=path/to/libsyd.so: also run the judged loop on that build, side by side. */
const BASELINE = Deno.env.get("BENCH_BASELINE");
const EXECS = 300;
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 7);
const ITERATIONS = Number(Deno.env.get("BENCH_ITERATIONS") ?? 200_000);
/** BENCH_ONLY=micro or macro: one half only (default both). */
const ONLY = Deno.env.get("BENCH_ONLY") ?? "";
const MACRO_ROUNDS = Number(Deno.env.get("BENCH_MACRO_ROUNDS") ?? 3);
/** BENCH_MACROS=find,tar,make,threads: the macro workloads to run (default all). */
const MACROS = (Deno.env.get("BENCH_MACROS") ?? "").split(",").filter((x) => x !== "");
/** SYD_ORIG=path/to/syd: the macro workloads under the original syd 3.59 too. */
const ORIGINAL = Deno.env.get("SYD_ORIG") || undefined;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function output(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const result = await new Deno.Command(program, { args, env, stderr: "inherit" }).output();
  if (!result.success) throw new Error(`${program} ${args.join(" ")} exited ${result.code}`);
  return new TextDecoder().decode(result.stdout);
}

async function build(): Promise<void> {
  await Deno.mkdir(`${ROOT}bench/bin`, { recursive: true });
  const source = `${ROOT}tests/helpers/openat_loop.c`;
  await output(`${ROOT}.toolchain/bin/zig`, ["cc", "-O2", "-o", LOOP, source]);
  const statSource = `${ROOT}bench/stat_loop.c`;
  await output(`${ROOT}.toolchain/bin/zig`, ["cc", "-O2", "-o", STAT_LOOP, statSource]);
  await output(SYD, ["-poff", "--", "true"]); // builds libsyd.so if needed, warms caches
}

/**
 * syd's resident memory at rest: VmRSS of syd's own process (the sandboxed `sleep`'s parent)
 * half a second into a one-second `sleep` under `-poff`, in MiB.
 */
async function restingRssMiB(): Promise<number> {
  const child = new Deno.Command(SYD, {
    args: ["-poff", "--", "sleep", "1"],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  await new Promise((resolve) => setTimeout(resolve, 500));
  let rss = NaN;
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).split("\0");
      if (cmdline[0] !== "sleep" || cmdline[1] !== "1") continue;
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const parent = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
      const status = Deno.readTextFileSync(`/proc/${parent}/status`);
      const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status);
      if (kib && /^Name:\s+(deno|syd)/m.test(status)) rss = Number(kib[1]) / 1024;
    } catch {
      // gone, or not ours
    }
  }
  const status = await child.status;
  if (!status.success || Number.isNaN(rss)) throw new Error("resting RSS: syd's process not found");
  return rss;
}

async function timed(program: string, args: string[]): Promise<number> {
  const start = performance.now();
  await output(program, args);
  return performance.now() - start;
}

/** Milliseconds to load and compile the user profile plus `rules` generated rules. */
function policyParseMs(rules: number): number {
  const specs: SourceSpec[] = [{ kind: "profile", name: "user" }];
  const actions = ["allow", "deny", "filter", "warn"];
  const categories = ["read", "write", "stat", "exec", "create,delete", "net/connect"];
  for (let i = 0; i < rules; i++) {
    const category = categories[i % categories.length];
    const target = category === "net/connect"
      ? `10.${i % 256}.0.0/16!${i % 65536}`
      : `/srv/app${i}/**/*.so`;
    specs.push({ kind: "command", text: `${actions[i % actions.length]}/${category}+${target}` });
  }
  const env = { HOME: "/home/bench", SYD_UID: "1000", SYD_GID: "1000" };
  const start = performance.now();
  const loaded = load(specs, { env });
  JSON.stringify(
    compile(loaded.state, { logLevel: "warn", pool: { core: 2, max: 64, keep_alive_ms: 15000 } }),
  );
  const elapsed = performance.now() - start;
  if (loaded.diagnostics.length > 0) {
    throw new Error(`bench policy has errors: ${loaded.diagnostics[0].message}`);
  }
  return elapsed;
}

async function micro(): Promise<void> {
  await build();
  const native: number[] = [];
  const sandboxed: number[] = [];
  const continued: number[] = [];
  // Every open hardening relaxed: -poff then continues each openat (README "Filesystem hardening").
  const relaxed = ["create", "symlinks", "filename", "open_suid", "mkbdev", "deleted"]
    .flatMap((option) => ["-m", `trace/allow_unsafe_${option}:1`]);
  const judged: number[] = [];
  const unconfined: number[] = [];
  const baseline: number[] = [];
  const judging = [
    "-m",
    "sandbox/all,fs,ioctl,lock:off",
    "-m",
    "sandbox/read:on",
    "-m",
    "allow/read+/***",
  ];
  const trueNative: number[] = [];
  const trueSyd: number[] = [];
  const trueDist: number[] = [];
  if (DIST !== undefined) await timed(DIST, ["-poff", "--", "true"]); // unpacks on its first start
  const execNative: number[] = [];
  const execSyd: number[] = [];
  const execJudged: number[] = [];
  const execUntraced: number[] = [];
  // 300 execs of /bin/true by one shell: the cost of an exec trapped and continued, and judged.
  const loop = ["sh", "-c", `i=0; while [ $i -lt ${EXECS} ]; do /bin/true; i=$((i+1)); done`];
  const execJudging = [
    "-m",
    "sandbox/all,fs,ioctl,lock:off",
    "-m",
    "sandbox/exec:on",
    "-m",
    "allow/exec+/***",
  ];
  // fstatat: native, trapped and continued (the stat hardenings relaxed), judged and answered.
  const statNative: number[] = [];
  const statContinued: number[] = [];
  const statJudged: number[] = [];
  const statRelaxed = ["-m", "trace/allow_unsafe_symlinks:1", "-m", "trace/allow_unsafe_mkbdev:1"];
  const statJudging = [
    "-m",
    "sandbox/all,fs,ioctl,lock:off",
    "-m",
    "sandbox/stat:on",
    "-m",
    "allow/stat+/***",
  ];
  const restRss: number[] = [];
  const parse: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    native.push(Number(await output(LOOP, [String(ITERATIONS)])));
    sandboxed.push(Number(await output(SYD, ["-poff", "--", LOOP, String(ITERATIONS)])));
    continued.push(
      Number(await output(SYD, ["-poff", ...relaxed, "--", LOOP, String(ITERATIONS)])),
    );
    // Confined and unconfined take turns going first: neither always follows the same run.
    const confinedRun = async () =>
      judged.push(Number(await output(SYD, [...judging, "--", LOOP, String(ITERATIONS)])));
    const unconfinedRun = async () =>
      unconfined.push(
        Number(
          await output(SYD, [...judging, "--", LOOP, String(ITERATIONS)], { SYD_SKIP_SCMP: "1" }),
        ),
      );
    if (round % 2 === 0) {
      await confinedRun();
      await unconfinedRun();
    } else {
      await unconfinedRun();
      await confinedRun();
    }
    if (BASELINE !== undefined) { // another build's libsyd.so, side by side in the same rounds
      baseline.push(
        Number(
          await output(SYD, [...judging, "--", LOOP, String(ITERATIONS)], { SYD_LIBSYD: BASELINE }),
        ),
      );
      judged.push(Number(await output(SYD, [...judging, "--", LOOP, String(ITERATIONS)])));
    }
    const statArgs = ["--", STAT_LOOP, String(ITERATIONS)];
    statNative.push(Number(await output(STAT_LOOP, [String(ITERATIONS)])));
    statContinued.push(Number(await output(SYD, ["-poff", ...statRelaxed, ...statArgs])));
    statJudged.push(Number(await output(SYD, [...statJudging, ...statArgs])));
    restRss.push(await restingRssMiB());
    trueNative.push(await timed("true", []));
    trueSyd.push(await timed(SYD, ["-poff", "--", "true"]));
    if (DIST !== undefined) trueDist.push(await timed(DIST, ["-poff", "--", "true"]));
    execNative.push(await timed(loop[0], loop.slice(1)));
    execSyd.push(await timed(SYD, ["-poff", "--", ...loop]) - median(trueSyd));
    execJudged.push(await timed(SYD, [...execJudging, "--", ...loop]) - median(trueSyd));
    execUntraced.push(
      await timed(SYD, [...execJudging, "-m", "trace/allow_unsafe_ptrace:1", "--", ...loop]) -
        median(trueSyd),
    );
    parse.push(policyParseMs(1000));
  }
  const n = median(native);
  const s = median(sandboxed);
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
  console.log(`openat+close loop, ${ITERATIONS} iterations, median of ${ROUNDS} rounds:`);
  console.log(`  native:          ${fmt(n)} calls/s (${(1e6 / n).toFixed(2)} µs per iteration)`);
  console.log(`  syd -poff:       ${fmt(s)} calls/s (${(1e6 / s).toFixed(2)} µs per iteration)`);
  const c = median(continued);
  console.log(
    `  continued (hardenings relaxed): ${fmt(c)} calls/s (${
      (1e6 / c).toFixed(2)
    } µs per iteration)`,
  );
  const j = median(judged);
  console.log(`  judged, emulated: ${fmt(j)} calls/s (${(1e6 / j).toFixed(2)} µs per iteration)`);
  const u = median(unconfined);
  console.log(`  judged, threads unconfined: ${fmt(u)} calls/s (${(1e6 / u).toFixed(2)} µs)`);
  console.log(`  self-confinement cost: ${((u / j - 1) * 100).toFixed(1)}% per judged call`);
  if (BASELINE !== undefined) {
    const b = median(baseline);
    console.log(`  judged, baseline ${BASELINE}: ${fmt(b)} calls/s (${(1e6 / b).toFixed(2)} µs)`);
    console.log(`  judged, this build vs baseline: ${((b / j - 1) * 100).toFixed(1)}% per call`);
  }
  console.log(
    `  cost ratio:      ${(n / c).toFixed(2)}x (continued / untrapped time per iteration)`,
  );
  console.log(
    `  judged ratio:    ${(n / j).toFixed(2)}x untrapped, ${(c / j).toFixed(2)}x continued`,
  );
  const sn = median(statNative);
  const sc = median(statContinued);
  const sj = median(statJudged);
  console.log(`fstatat loop, ${ITERATIONS} iterations, median of ${ROUNDS} rounds:`);
  console.log(`  native:          ${fmt(sn)} calls/s (${(1e6 / sn).toFixed(2)} µs per call)`);
  console.log(`  continued:       ${fmt(sc)} calls/s (${(1e6 / sc).toFixed(2)} µs per call)`);
  console.log(`  judged, emulated: ${fmt(sj)} calls/s (${(1e6 / sj).toFixed(2)} µs per call)`);
  console.log(
    `  judged ratio:    ${(sn / sj).toFixed(2)}x untrapped, ${(sc / sj).toFixed(2)}x continued`,
  );
  const perExec = (xs: number[]) => `${(median(xs) / EXECS * 1000).toFixed(0)} µs per exec`;
  console.log(`${EXECS} execs of /bin/true from one shell, median of ${ROUNDS} rounds:`);
  console.log(`  native:          ${median(execNative).toFixed(1)} ms (${perExec(execNative)})`);
  console.log(
    `  syd -poff:       ${median(execSyd).toFixed(1)} ms (${perExec(execSyd)}; start-up taken off)`,
  );
  console.log(`  exec sandboxing: ${median(execJudged).toFixed(1)} ms (${perExec(execJudged)})`);
  console.log(
    `  the same, untraced (trace/allow_unsafe_ptrace:1): ${median(execUntraced).toFixed(1)} ms (${
      perExec(execUntraced)
    })`,
  );
  console.log(`start-up, median of ${ROUNDS} rounds:`);
  console.log(`  true:            ${median(trueNative).toFixed(1)} ms`);
  console.log(`  syd -poff true:  ${median(trueSyd).toFixed(1)} ms`);
  if (DIST !== undefined) {
    const mib = (Deno.statSync(DIST).size / 2 ** 20).toFixed(1);
    console.log(
      `  dist/syd -poff true (the one file, ${mib} MiB): ${median(trueDist).toFixed(1)} ms`,
    );
  }
  console.log(
    `  syd's memory at rest (VmRSS of its process while \`sleep\` runs): ${
      median(restRss).toFixed(1)
    } MiB`,
  );
  console.log(`policy: user profile + 1,000 rules, load and compile, median of ${ROUNDS} rounds:`);
  console.log(`  ${median(parse).toFixed(1)} ms (first round, cold: ${parse[0].toFixed(1)} ms)`);
}

async function main(): Promise<void> {
  if (!["", "micro", "macro", "force"].includes(ONLY)) {
    throw new Error(`BENCH_ONLY must be micro, macro or force, not ${ONLY}`);
  }
  if (ONLY === "force") return await forceBench(ROUNDS);
  for (const [name, value] of [["BENCH_ROUNDS", ROUNDS], ["BENCH_MACRO_ROUNDS", MACRO_ROUNDS]]) {
    if (!Number.isSafeInteger(value) || Number(value) < 1) {
      throw new Error(`${name} must be a positive integer`);
    }
  }
  if (ONLY !== "macro") await micro();
  if (ONLY !== "macro") await forceBench(ROUNDS);
  if (ONLY !== "micro" && !(await macroBench(MACRO_ROUNDS, ORIGINAL, MACROS))) {
    console.error("macro bench: some runs failed (above)");
    Deno.exit(1);
  }
}

await main();
