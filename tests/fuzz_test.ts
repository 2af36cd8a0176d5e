/**
 * Issue 12, hostile memory: a real sandboxed helper (tests/helpers/fuzz_calls.c) drives every
 * handler of syd with random arguments and random memory (pointers into unmapped or PROT_NONE
 * pages, strings and structs ending at or straddling a page boundary, lengths at the
 * boundaries, sockaddrs of random families and lengths, messages with many control headers and
 * boundary cmsg_len values, SCM_RIGHTS with garbage fds) for SECONDS, under a policy with every
 * category on that allows changes inside the helper's directory only. syd must survive (no
 * handler crash, not killed), answer every call (the helper finishes and a last trapped open is
 * served), give no answer the kernel could not give, and keep its memory bounded.
 *
 * Each run takes new random seeds, shown in the test names; `SYD_FUZZ_SEEDS=1,2` replays given
 * seeds (the calls a seed makes do not depend on timing), `SYD_FUZZ_SECONDS=N` changes the time.
 */
import assert from "node:assert/strict";
import { helper, records, SYD } from "./_syd.ts";

// 12 s a seed by default: with two seeds the whole suite stays well under CI's 20 minutes.
const SECONDS = Number(Deno.env.get("SYD_FUZZ_SECONDS") ?? "12");
const SEEDS = (Deno.env.get("SYD_FUZZ_SEEDS") ??
  `${crypto.getRandomValues(new Uint32Array(1))[0]},${
    crypto.getRandomValues(new Uint32Array(1))[0]
  }`)
  .split(",").map((seed) => seed.trim()).filter((seed) => /^\d+$/.test(seed));

/**
 * How much syd's resident memory may grow over its first sample once the helper runs: 32 MiB.
 * What syd holds for a call is on an emulator's stack (at most a 64 KiB send buffer, a 4 KiB
 * control buffer and a few path buffers) and gone when the call is answered; the helper makes
 * one call at a time, so the pool stays at its core threads, and with SYD_LOG=error the
 * TypeScript side sees almost no records. Measured on a 2-vCPU machine: under 1 MiB of growth
 * over 430,000 calls in 20 s. A leak of 80 bytes per call (or one pipe, fd or thread stack every
 * few thousand calls) crosses the bound in such a run; V8's and the allocator's slack stays far
 * below it.
 */
const RSS_GROWTH_MAX_KIB = 32 * 1024;
/** The fewest calls a run must make: 500 a second (about 20,000 a second are made here). */
const CALLS_PER_SECOND_MIN = 500;

function policy(dir: string): string[] {
  return [
    "-t",
    "120s",
    "-m",
    "sandbox/lock:off", // Landlock is another layer: this fuzzes syd's own judging
    "-m",
    "sandbox/all:on",
    "-m",
    "allow/fs+all",
    "-m",
    "allow/read,stat,exec,readdir,chdir,walk,list,readlink+/***",
    "-m",
    "default/ioctl:allow",
    "-m",
    `allow/write,create,delete,rename,symlink,truncate,mkdir,rmdir,chown,chgrp,chmod,chattr,utime,mkfifo,mktemp,chroot+${dir}/***`,
    "-m",
    "allow/net/bind,net/connect+loopback!0-65535",
    "-m",
    `allow/net/bind,net/connect+${dir}/***`,
    "-m",
    "allow/net/bind,net/connect+!unnamed",
    "-m",
    "allow/passfd+!all",
    "-m",
    "deny/recvfd+!dir", // a message carrying the helper's directory fd is dropped, its fds closed
    "-m",
    "allow/create+!**",
    "-m",
    "allow/net/bind,net/connect+@syd-fuzz-*",
    // Device nodes are judged by the handler (fuzzed), not killed by the filter (the default).
    "-m",
    "trace/allow_unsafe_mkbdev:1",
    "-m",
    "trace/allow_unsafe_mkcdev:1",
  ];
}

/** syd's resident set in KiB, once `pid` runs Deno (the launcher execs it), else null. */
function rssKiB(pid: number): number | null {
  try {
    if (!Deno.readLinkSync(`/proc/${pid}/exe`).endsWith("/deno")) return null;
    const match = /\nVmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return match ? Number(match[1]) : null;
  } catch {
    return null; // gone
  }
}

/** The last calls the helper logged in DIR/fuzz.log (a ring of 64 records), oldest first. */
function lastCalls(dir: string, count = 12): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(`${dir}/fuzz.log`);
  } catch {
    return "(no fuzz.log)";
  }
  const lines = text.split("\n").map((line) => line.trimEnd()).filter((line) =>
    /^n=\d+ /.test(line)
  );
  lines.sort((a, b) => Number(/^n=(\d+)/.exec(a)![1]) - Number(/^n=(\d+)/.exec(b)![1]));
  return lines.slice(-count).join("\n");
}

/** The helper's output without its progress and per-call statistics lines, last 30 lines. */
function outputTail(stdout: string): string {
  return stdout.split("\n").filter((line) => !/^(progress|stat) /.test(line)).slice(-30).join("\n");
}

/** Removes DIR, giving back search and write permission to what the helper chmod'ed away. */
async function removeAll(dir: string): Promise<void> {
  try {
    await Deno.remove(dir, { recursive: true });
    return;
  } catch {
    // a directory without permissions, for an unprivileged test run
  }
  const walk = async (path: string) => {
    await Deno.chmod(path, 0o700).catch(() => {});
    for await (const entry of Deno.readDir(path)) {
      if (entry.isDirectory) await walk(`${path}/${entry.name}`);
    }
  };
  await walk(dir).catch(() => {});
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

interface Run {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
  log: string;
  rss: number[];
  baseline: number | null;
}

async function fuzzRun(dir: string, logPath: string, seed: string): Promise<Run> {
  // syd writes its records to fd 3 (SYD_LOG_FD), a file: thousands of denials must not flood a
  // pipe. bash opens it and execs ./syd, which execs Deno: the child's pid is syd's throughout.
  const command = new Deno.Command("bash", {
    args: [
      "-c",
      'exec 3>"$1"; shift; exec "$@"',
      "fuzz-syd",
      logPath,
      SYD,
      ...policy(dir),
      "--",
      helper("fuzz_calls"),
      dir,
      seed,
      String(SECONDS),
    ],
    env: { SYD_LOG: "error", SYD_LOG_FD: "3" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout((SECONDS + 90) * 1000),
  });
  const child = command.spawn();
  const decoder = new TextDecoder();
  let stdout = "";
  let stderr = "";
  let running = false; // the helper printed its first progress line: syd is fully up
  const readOut = (async () => {
    for await (const chunk of child.stdout) {
      stdout += decoder.decode(chunk, { stream: true });
      if (!running && stdout.includes("progress calls=")) running = true;
    }
  })();
  const readErr = (async () => {
    for await (const chunk of child.stderr) stderr += decoder.decode(chunk, { stream: true });
  })();
  const rss: number[] = [];
  let baseline: number | null = null;
  let done = false;
  const status = child.status.finally(() => {
    done = true;
  });
  while (!done) {
    await Promise.race([status, new Promise((resolve) => setTimeout(resolve, 500))]);
    if (done || !running) continue;
    const kib = rssKiB(child.pid);
    if (kib === null) continue;
    if (baseline === null) baseline = kib;
    rss.push(kib);
  }
  const { code, signal } = await status;
  await Promise.all([readOut, readErr]);
  return { code, signal, stdout, stderr, log: await Deno.readTextFile(logPath), rss, baseline };
}

for (const seed of SEEDS) {
  Deno.test(`fuzz seed ${seed}: syd survives ${SECONDS}s of random calls and random memory, answers every call, memory bounded`, async () => {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-fuzz-" }));
    const logPath = await Deno.makeTempFile({ prefix: "syd-fuzz-log-" });
    try {
      await Deno.writeTextFile(`${dir}/public`, "public\n");
      const run = await fuzzRun(dir, logPath, seed);
      const logRecords = records(run.log);
      const panics = logRecords.filter((record) => record.op === "panic");
      const errors = logRecords.filter((record) =>
        record.level === "error" && record.op !== "panic"
      );
      const callsMatch = /^calls=(\d+)$/m.exec(run.stdout);
      const calls = callsMatch ? Number(callsMatch[1]) : 0;
      const rssMin = run.rss.length ? Math.min(...run.rss) : 0;
      const rssMax = run.rss.length ? Math.max(...run.rss) : 0;
      const summary =
        `seed ${seed} (replay: SYD_FUZZ_SEEDS=${seed} SYD_FUZZ_SECONDS=${SECONDS}): ` +
        `exit ${run.code} signal ${run.signal}, calls=${calls} (${
          Math.round(calls / SECONDS)
        }/s), ` +
        `RSS first ${run.baseline} KiB, min ${rssMin}, max ${rssMax} over ${run.rss.length} samples, ` +
        `${panics.length} handler panics, ${errors.length} other error records`;
      const detail = `${summary}\n--- syd's error records (first 10):\n` +
        logRecords.slice(0, 10).map((record) => JSON.stringify(record)).join("\n") +
        `\n--- the helper's last calls (DIR/fuzz.log):\n${lastCalls(dir)}` +
        `\n--- stdout (without progress and stat lines):\n${outputTail(run.stdout)}` +
        `\n--- stderr (last 2000 bytes):\n${run.stderr.slice(-2000)}`;
      console.log(summary);

      // syd survived: not killed (a handler crash past the limit aborts it), no handler crashed.
      assert.equal(run.signal, null, `syd was killed\n${detail}`);
      assert.deepEqual(panics, [], `syd's handlers crashed\n${detail}`);
      // Every call was answered: the helper ran to its end (no hang: its alarm would kill it)
      // and a last trapped open was served.
      assert.equal(run.code, 0, `syd did not exit with the helper's status 0\n${detail}`);
      assert.match(run.stdout, /\nserved\n$/, `the last trapped call was not served\n${detail}`);
      assert.ok(calls >= CALLS_PER_SECOND_MIN * SECONDS, `too few calls\n${detail}`);
      // No answer the kernel could not have given (the helper checks what it can).
      assert.match(run.stdout, /^anomalies=0$/m, `answers the kernel could not give\n${detail}`);
      // Memory stays bounded.
      assert.ok(
        run.baseline !== null && run.rss.length >= 4,
        `syd's RSS was not sampled\n${detail}`,
      );
      assert.ok(
        rssMax - run.baseline! <= RSS_GROWTH_MAX_KIB,
        `syd's RSS grew by ${rssMax - run.baseline!} KiB (bound ${RSS_GROWTH_MAX_KIB})\n${detail}`,
      );
    } finally {
      await removeAll(dir);
      await Deno.remove(logPath).catch(() => {});
    }
  });
}
