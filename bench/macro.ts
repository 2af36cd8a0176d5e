/**
 * The macro benchmarks of `deno task bench` (issue 14): everyday workloads timed natively, under
 * this syd (`-poff`, and every category on with allow-all rules) and, with SYD_ORIG set, under the
 * original syd 3.59 in the same two modes, side by side in one run: medians of rounds, each round
 * running every mode once, starting from a different mode each round so that machine noise hits
 * all alike. Each run's exit status is checked: a failing run is an error, printed with its
 * stderr, and its cell says so (never a silently fast number).
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SYD = `${ROOT}syd`;
/** The 32-thread open/read/fstat/close loop (bench/threads_loop.c), built by {@link buildMacro}. */
const THREADS_LOOP = `${ROOT}bench/bin/threads_loop`;

/** Every category on, everything allowed: paths (`/***`) and pathless fds (`!pipe`, `!memfd:…`). */
export const CATEGORIES_ON = [
  "-m",
  "sandbox/all:on",
  "-m",
  "allow/all+/***",
  "-m",
  "allow/create,sendfd,recvfd+!*",
];

/**
 * What the original needs to run these workloads: its quick boot (`-q`), no Landlock, and its
 * exec checks relaxed (zig cc links the thread loop as a non-PIE executable, which it refuses).
 */
export const ORIGINAL_OPTIONS = [
  "-q",
  "-m",
  "sandbox/lock:off",
  "-m",
  "trace/allow_unsafe_exec_memory:1",
  "-m",
  "trace/allow_unsafe_exec_nopie:1",
  "-m",
  "trace/allow_unsafe_exec_textrel:1",
];

/** A way to run a workload: natively, or under a syd with some options. */
interface Mode {
  name: string;
  /** The command prefix: [] natively, else a syd and its options (then `--`). */
  prefix: string[];
  /** The syd process whose peak memory is read (undefined natively). */
  syd?: "ours" | "original";
}

/** A workload: a command run in each mode, with untimed set-up before each run. */
interface Workload {
  /** Its name in BENCH_MACROS. */
  key: string;
  name: string;
  /** The command (after the mode's prefix and `--`). */
  command: string[];
  /** Options added to every syd mode for this workload (with the reason in the header). */
  sydOptions?: string[];
  /** Run as this unprivileged uid/gid (setpriv, outside syd), when the bench runs as root. */
  unprivileged?: boolean;
  /** Untimed, before each run: returns the command's working directory. */
  before?: () => Promise<string | undefined>;
  /** Untimed, after each run. */
  after?: (cwd: string | undefined) => Promise<void>;
}

/** uid and gid of the unprivileged user the make workload runs as (nobody, nogroup). */
const NOBODY_ID = 65534;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs a command to completion, checking its exit status; stdout is discarded. */
async function check(program: string, args: string[], cwd?: string): Promise<void> {
  const result = await new Deno.Command(program, { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!result.success) {
    const stderr = new TextDecoder().decode(result.stderr).trim().split("\n").slice(-8).join("\n");
    throw new Error(
      `${[program, ...args].join(" ")} exited ${result.code}${
        result.signal ? ` (${result.signal})` : ""
      }` +
        (stderr ? `:\n${stderr}` : ""),
    );
  }
}

/** Builds the 32-thread loop (zig cc -O2 -pthread). */
export async function buildMacro(): Promise<void> {
  await Deno.mkdir(`${ROOT}bench/bin`, { recursive: true });
  await check(`${ROOT}.toolchain/bin/zig`, [
    "cc",
    "-O2",
    "-Wall",
    "-Werror",
    "-pthread",
    "-o",
    THREADS_LOOP,
    `${ROOT}bench/threads_loop.c`,
  ]);
}

/** 2,000 small files in 100 directories, tarred: the tree's tar file. */
async function makeTree(work: string): Promise<string> {
  const tree = `${work}/tree`;
  for (let d = 0; d < 100; d++) {
    await Deno.mkdir(`${tree}/d${d}`, { recursive: true });
    for (let f = 0; f < 20; f++) {
      await Deno.writeTextFile(`${tree}/d${d}/f${f}.txt`, `file ${d}/${f}\n`.repeat(1 + f));
    }
  }
  const tar = `${work}/tree.tar`;
  await check("tar", ["cf", tar, "-C", tree, "."]);
  return tar;
}

/** A C project of 21 small files and a Makefile (gcc), owned by `owner` when given. */
async function makeProject(work: string, owner: number | undefined): Promise<string> {
  const project = `${work}/project`;
  await Deno.mkdir(project, { recursive: true });
  for (let i = 1; i <= 20; i++) {
    await Deno.writeTextFile(
      `${project}/f${i}.c`,
      `int f${i}(int n) {\n  int s = 0;\n  for (int i = 0; i < n; i++) s += i * ${i};\n  return s;\n}\n`,
    );
  }
  await Deno.writeTextFile(`${project}/main.c`, "int main(void) { return 0; }\n");
  await Deno.writeTextFile(
    `${project}/Makefile`,
    "OBJS = $(patsubst %.c,%.o,$(wildcard *.c))\nprog: $(OBJS)\n\tgcc -o $@ $^\n" +
      "%.o: %.c\n\tgcc -O2 -c -o $@ $<\nclean:\n\trm -f prog $(OBJS)\n",
  );
  if (owner !== undefined) {
    await Deno.chown(project, owner, owner);
    for await (const entry of Deno.readDir(project)) {
      await Deno.chown(`${project}/${entry.name}`, owner, owner);
    }
  }
  return project;
}

/** The peak memory (VmHWM, KiB) of a syd process: polled from /proc until it exits. */
async function peakMemoryKiB(
  argv: string[],
  expectedExe: string,
): Promise<{ kib: number; exe: string }> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderrText = new Response(child.stderr).text();
  let done = false;
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  let kib = 0;
  let exe = "";
  for (let polls = 0; !done && polls < 100_000; polls++) {
    try {
      // ./syd is a bash launcher that execs Deno in the same process: samples taken while it is
      // still bash are left out (VmHWM starts anew at the exec).
      const seen = await Deno.readLink(`/proc/${child.pid}/exe`);
      const text = await Deno.readTextFile(`/proc/${child.pid}/status`);
      const match = /^VmHWM:\s+(\d+) kB$/m.exec(text);
      if (match && seen.endsWith(`/${expectedExe}`)) {
        exe = seen;
        kib = Math.max(kib, Number(match[1]));
      }
    } catch {
      // the process is exiting (or a zombie): the last sample stands
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const result = await status;
  const stderr = await stderrText;
  if (!result.success) {
    throw new Error(`${argv.join(" ")} exited ${result.code}:\n${stderr.trim()}`);
  }
  if (kib === 0) throw new Error(`${argv.join(" ")}: no ${expectedExe} process seen`);
  return { kib, exe };
}

/** Seconds as a table cell, with the ratio to native. */
function cell(seconds: number | undefined, native: number | undefined, failure?: string): string {
  if (failure !== undefined) return `FAILED (${failure})`;
  if (seconds === undefined) return "";
  const ratio = native === undefined ? "" : ` (${(seconds / native).toFixed(2)}×)`;
  return `${seconds.toFixed(2)} s${ratio}`;
}

/** Prints a Markdown table, columns padded as deno fmt pads them. */
function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length), 3));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(line(header));
  console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
  for (const row of rows) console.log(line(row));
}

/**
 * Runs the macro benchmarks and prints their table; returns false if any run failed.
 *
 * `rounds`: rounds per workload; `original`: the original syd's path (or undefined);
 * `only`: the workloads to run (find, tar, make, threads; all when empty).
 */
export async function macroBench(
  rounds: number,
  original: string | undefined,
  only: string[],
): Promise<boolean> {
  await buildMacro();
  const work = await Deno.makeTempDir({ prefix: "syd-bench-" });
  // Readable by the sandbox's root, which holds no capability there, and by the make workload's
  // unprivileged user.
  await Deno.chmod(work, 0o755);
  const root = Deno.uid() === 0;
  try {
    const tar = await makeTree(work);
    const project = await makeProject(work, root ? NOBODY_ID : undefined);
    const file = `${work}/threads.txt`;
    await Deno.writeTextFile(file, "the file each thread opens, reads, stats and closes\n");
    const setpriv = root
      ? [
        "setpriv",
        `--reuid=${NOBODY_ID}`,
        `--regid=${NOBODY_ID}`,
        "--clear-groups",
        "--",
      ]
      : [];
    const every: Workload[] = [
      {
        key: "find",
        name: "`find /usr -name '*.h'`",
        // Directories syd's unprivileged callers cannot read (root's CAP_DAC_OVERRIDE is dropped
        // in the sandbox) are pruned, in every mode; names the filename hardening refuses
        // (EILSEQ: /usr/local/go has a `-not-hidden`) are let through for -poff's stat calls.
        command: [
          "find",
          "/usr",
          "(",
          "-type",
          "d",
          "!",
          "-readable",
          ")",
          "-prune",
          "-o",
          "-name",
          "*.h",
          "-print",
        ],
        sydOptions: ["-m", "trace/allow_unsafe_filename:1"],
      },
      {
        key: "tar",
        name: "`tar xf` of 2,000 files in 100 dirs",
        command: ["tar", "xf", tar],
        before: async () => await Deno.makeTempDir({ dir: work, prefix: "x-" }),
        after: async (cwd) => {
          if (cwd !== undefined) await Deno.remove(cwd, { recursive: true });
        },
      },
      {
        key: "make",
        name: "`make -j2` of 21 C files (gcc)",
        command: ["make", "-s", "-j2"],
        unprivileged: true,
        before: async () => {
          const clean = [...setpriv, "make", "-s", "clean"];
          await check(clean[0], clean.slice(1), project);
          return project;
        },
      },
      {
        key: "threads",
        name: "32 threads × 2,000 open/read/fstat/close",
        command: [THREADS_LOOP, file],
      },
    ];
    const workloads = every.filter((w) => only.length === 0 || only.includes(w.key));
    const modes: Mode[] = [
      { name: "native", prefix: [] },
      { name: "`-poff`", prefix: [SYD, "-poff"], syd: "ours" },
      { name: "categories on", prefix: [SYD, "-poff", ...CATEGORIES_ON], syd: "ours" },
    ];
    if (original !== undefined) {
      modes.push(
        {
          name: "original `-poff`",
          prefix: [original, ...ORIGINAL_OPTIONS, "-poff"],
          syd: "original",
        },
        {
          name: "original categories on",
          prefix: [original, ...ORIGINAL_OPTIONS, "-poff", ...CATEGORIES_ON],
          syd: "original",
        },
      );
    }
    const argv = (workload: Workload, mode: Mode): string[] => [
      ...(workload.unprivileged ? setpriv : []),
      ...mode.prefix,
      ...(mode.syd !== undefined ? [...(workload.sydOptions ?? []), "--"] : []),
      ...workload.command,
    ];
    console.log(
      `\nmacro workloads, median of ${rounds} rounds (each round runs every mode once, starting ` +
        `from a different mode), wall time with syd's start-up, ratio to native:`,
    );
    const fsType = new TextDecoder().decode(
      (await new Deno.Command("stat", { args: ["-f", "-c", "%T", work] }).output()).stdout,
    ).trim();
    console.log(
      `  inputs and outputs in $TMP = ${work} (${fsType}; TMPDIR=/dev/shm for tmpfs, off the disk)`,
    );
    for (const mode of modes) {
      const shown = mode.prefix.map((a) => a.includes("*") || a.includes("!") ? `'${a}'` : a);
      console.log(`  ${mode.name}: ${shown.length ? `${shown.join(" ")} -- COMMAND` : "COMMAND"}`);
    }
    for (const workload of workloads) {
      const shown = workload.command.map((a) =>
        /[*()!]/.test(a) ? `'${a}'` : a.startsWith(work) ? a.replace(work, "$TMP") : a
      );
      const extra = workload.sydOptions ? ` (syd modes add ${workload.sydOptions.join(" ")})` : "";
      const as = workload.unprivileged && root
        ? ` (every mode as ${setpriv.slice(0, -1).join(" ")}: as root, make's posix_spawn ` +
          "resets ids, setresuid(-1, 0, -1), which the original kills)"
        : "";
      console.log(`  ${workload.name}: ${shown.join(" ")}${extra}${as}`);
    }
    const times = workloads.map(() => modes.map(() => [] as number[]));
    const failures = workloads.map(() => modes.map(() => undefined as string | undefined));
    let failed = false;
    // make runs as nobody: a syd under a directory nobody cannot search (a clone in root's home,
    // or in a mode-0700 temporary directory) is said so once, not run three times to fail alike.
    for (let w = 0; w < workloads.length; w++) {
      if (!workloads[w].unprivileged || setpriv.length === 0) continue;
      for (let m = 1; m < modes.length; m++) {
        const program = modes[m].prefix[0];
        const probe = await new Deno.Command(setpriv[0], {
          args: [...setpriv.slice(1), "test", "-x", program],
        }).output();
        if (probe.success) continue;
        failed = true;
        failures[w][m] = `uid ${NOBODY_ID} cannot run it`;
        console.error(
          `macro bench: ${workloads[w].name}, ${modes[m].name}: FAILED: it runs as uid ` +
            `${NOBODY_ID}, which cannot execute ${program} (a directory above it is not ` +
            "searchable by others): put syd where that user can reach it, or leave the workload " +
            "out with BENCH_MACROS",
        );
      }
    }
    for (let w = 0; w < workloads.length; w++) {
      const workload = workloads[w];
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < modes.length; k++) {
          const m = (round + k) % modes.length;
          if (failures[w][m] !== undefined) continue;
          const cwd = await workload.before?.();
          const args = argv(workload, modes[m]);
          const start = performance.now();
          try {
            await check(args[0], args.slice(1), cwd);
            times[w][m].push((performance.now() - start) / 1000);
          } catch (error) {
            failed = true;
            const message = error instanceof Error ? error.message : String(error);
            failures[w][m] = /exited (\d+)/.exec(message)?.[0] ?? "error";
            console.error(`macro bench: ${workload.name}, ${modes[m].name}: FAILED: ${message}`);
          } finally {
            await workload.after?.(cwd);
          }
        }
      }
    }
    const header = ["workload", ...modes.map((m) => m.name)];
    const rows = workloads.map((workload, w) => {
      const native = times[w][0].length ? median(times[w][0]) : undefined;
      return [
        workload.name,
        ...modes.map((_, m) =>
          cell(
            times[w][m].length ? median(times[w][m]) : undefined,
            m === 0 ? undefined : native,
            failures[w][m],
          )
        ),
      ];
    });
    console.log();
    printTable(header, rows);
    // Peak memory of syd's own process (threads share it; the sandboxed programs are children
    // and not counted) on the find workload, one untimed run per mode.
    const find = workloads.find((w) => w.key === "find");
    if (find !== undefined) {
      const memoryRows: string[][] = [];
      for (const mode of modes) {
        if (mode.syd === undefined) continue;
        const expectedExe = mode.syd === "ours" ? "deno" : "syd";
        try {
          const { kib, exe } = await peakMemoryKiB(argv(find, mode), expectedExe);
          memoryRows.push([mode.name, `${(kib / 1024).toFixed(1)} MiB`, exe]);
        } catch (error) {
          failed = true;
          const message = error instanceof Error ? error.message : String(error);
          console.error(`macro bench: peak memory, ${mode.name}: FAILED: ${message}`);
          memoryRows.push([mode.name, "FAILED", ""]);
        }
      }
      console.log(
        `\nsyd's peak memory (VmHWM of its process, polled every 20 ms) on ${find.name}:\n`,
      );
      printTable(["mode", "VmHWM", "process"], memoryRows);
    }
    return !failed;
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}
