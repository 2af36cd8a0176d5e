/**
 * Logs a person can follow: records in order with the program's output, repeats collapsed and a
 * summary at exit on a terminal, warn records at the default level, records that always name
 * the program, and syd's memory bounded however many records a run writes.
 */
import assert from "node:assert/strict";
import { helper, lockOff, PYTHON, records, ROOT, run, runSyd, SYD, tempDir } from "./_syd.ts";

// Runs COMMAND... in a new pseudo-terminal and prints what it wrote there (stdout and stderr
// together, as a person sees them), then exits with its status.
const ON_TERMINAL = `
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try: data = os.read(fd, 65536)
    except OSError: break
    if not data: break
    out += data
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\\r", ""))
sys.exit(os.waitstatus_to_exitcode(status))
`;

/** Runs `./syd ARGS` on a terminal; what the terminal showed, and the exit status. */
async function onTerminal(args: string[]): Promise<{ code: number; screen: string }> {
  const env = { ...Deno.env.toObject() };
  delete env.SYD_LOG_FD;
  delete env.SYD_LOG;
  const result = await run(PYTHON, ["-c", ON_TERMINAL, SYD, ...lockOff(args)], { env });
  return { code: result.code, screen: result.stdout };
}

/** Reads only, everywhere but /etc/shadow (and what the test adds). */
const READ_ONLY = [
  "-m",
  "sandbox/all,fs,lock:off",
  "-m",
  "sandbox/read:on",
  "-m",
  "allow/read+/***",
  "-m",
  "deny/read+/etc/shadow",
];

Deno.test("on a terminal a denial's record comes before what the program prints next", async () => {
  const { code, screen } = await onTerminal([
    ...READ_ONLY,
    "--",
    "sh",
    "-c",
    "cat /etc/shadow; echo after",
  ]);
  assert.equal(code, 0, screen);
  const record = screen.indexOf("syd: denied read of /etc/shadow by cat[");
  const refused = screen.indexOf("cat: /etc/shadow: Permission denied");
  const after = screen.indexOf("after\n");
  assert.ok(record >= 0 && refused > record && after > refused, screen);
});

Deno.test("into a pipe too, a denial's record comes before what the program writes next", async () => {
  // syd's stderr and the program's output share one pipe: the order is the order of the calls.
  const command = `"${SYD}" "$@" -- sh -c 'cat /etc/shadow; echo after' 2>&1`;
  for (let round = 0; round < 3; round++) {
    const result = await run("sh", ["-c", command, "sh", ...READ_ONLY]);
    const lines = result.stdout.split("\n");
    const record = lines.findIndex((line) => line.includes('"path":"/etc/shadow"'));
    const after = lines.indexOf("after");
    assert.ok(record >= 0 && after > record, result.stdout);
  }
});

Deno.test("on a terminal repeats of one record are written once, with a count", async () => {
  // Ten processes are each denied the same file: one line, then how often it came again.
  const { code, screen } = await onTerminal([
    ...READ_ONLY,
    "--",
    "sh",
    "-c",
    "for i in 1 2 3 4 5 6 7 8 9 10; do cat /etc/shadow 2>/dev/null; done; echo end",
  ]);
  assert.equal(code, 0, screen);
  assert.equal(screen.match(/denied read of \/etc\/shadow/g)?.length, 1, screen);
  assert.match(screen, /^syd: the record above repeated 9 more times$/m);
  // Copies the rate limit holds back (past 10 in 5 s) are repeats too: all are counted.
  const many = await onTerminal([
    ...READ_ONLY,
    "--",
    "sh",
    "-c",
    "i=0; while [ $i -lt 30 ]; do cat /etc/shadow 2>/dev/null; i=$((i+1)); done",
  ]);
  assert.equal(many.screen.match(/denied read of \/etc\/shadow/g)?.length, 1, many.screen);
  assert.match(many.screen, /^syd: the record above repeated 29 more times$/m);
  // A different record in between ends the run of repeats.
  const mixed = await onTerminal([
    ...READ_ONLY,
    "-m",
    "deny/read+/etc/gshadow",
    "--",
    "sh",
    "-c",
    "cat /etc/shadow /etc/shadow /etc/gshadow /etc/shadow 2>/dev/null; true",
  ]);
  assert.equal(mixed.screen.match(/denied read of \/etc\/shadow/g)?.length, 2, mixed.screen);
  assert.match(mixed.screen, /^syd: the record above repeated 1 more time$/m);
});

Deno.test("on a terminal one summary line counts the denials of the run at exit", async () => {
  const dir = tempDir("syd-summary-");
  try {
    const { code, screen } = await onTerminal([
      ...READ_ONLY,
      "-m",
      "sandbox/write:on",
      "-m",
      `allow/write+/dev/***`,
      "--",
      "sh",
      "-c",
      `cat /etc/shadow; cat /etc/shadow; echo x > ${dir}/file; echo done`,
    ]);
    assert.equal(code, 0, screen);
    const lines = screen.trimEnd().split("\n");
    assert.equal(lines.at(-1), "syd: 3 denials: read 2, write 1", screen);
    assert.ok(lines.indexOf("done") < lines.length - 1, screen);
    // Nothing denied: no summary; not a terminal: no summary either (JSON lines only).
    const none = await onTerminal(["-poff", "--", "echo", "fine"]);
    assert.doesNotMatch(none.screen, /denial/, none.screen);
    const piped = await runSyd([...READ_ONLY, "--", "cat", "/etc/shadow"]);
    assert.doesNotMatch(piped.stderr, /^syd: \d+ denial/m, piped.stderr);
    assert.equal(records(piped.stderr).filter((r) => r.ctx === "access").length, 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("the warn action's records and -x's are shown at the default level, as the original's", async () => {
  const env = { ...Deno.env.toObject() };
  delete env.SYD_LOG;
  const warn = await runSyd([
    "-m",
    "sandbox/all,fs:off",
    "-m",
    "sandbox/read:on",
    "-m",
    "default/read:warn",
    "--",
    "cat",
    "/etc/hostname",
  ], { env });
  assert.equal(warn.code, 0, warn.stderr);
  const warned = records(warn.stderr).filter((r) => r.ctx === "access");
  assert.ok(warned.some((r) => r.act === "warn" && r.path === "/etc/hostname"), warn.stderr);
  assert.ok(warned.every((r) => r.level === "warn"), warn.stderr);
  const trace = await runSyd(["-x", "--", "cat", "/etc/hostname"], { env });
  assert.equal(trace.code, 0, trace.stderr);
  const traced = records(trace.stderr).filter((r) => r.ctx === "access" && r.act === "warn");
  assert.ok(traced.some((r) => r.cap === "read" && r.path === "/etc/hostname"), trace.stderr);
  assert.ok(traced.some((r) => r.cap === "exec"), trace.stderr);
  // Allowed with a warning: no denial to sum up on a terminal.
  const screen = (await onTerminal(["-x", "--", "true"])).screen;
  assert.match(screen, /^syd: allowed \(warn\) exec of \/usr\/bin\/true by true\[/m);
  assert.doesNotMatch(screen, /denials?:/, screen);
});

Deno.test("records of refused socket families name the program, its directory and the family", async () => {
  const socket = "import socket\ntry: socket.socket(socket.AF_APPLETALK, socket.SOCK_DGRAM)\n" +
    "except OSError as e: print(e.errno)";
  const policy = ["-poff", "-m", "sandbox/net:on"];
  const json = await runSyd([...policy, "--", "python3", "-c", socket]);
  assert.equal(json.stdout, "97\n", json.stderr); // EAFNOSUPPORT
  const record = records(json.stderr).find((r) => r.ctx === "access" && r.sys === "socket");
  assert.equal(record?.family, "appletalk", json.stderr);
  assert.match(String(record?.cmd), /^python3/, json.stderr);
  assert.equal(record?.cwd, ROOT.replace(/\/$/, ""), json.stderr);
  // A connect with an address of a family syd does not judge, on an IPv4 socket.
  const connect = "import ctypes, socket\nlibc = ctypes.CDLL(None, use_errno=True)\n" +
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
    "addr = (ctypes.c_ubyte * 16)(5, 0)\n" +
    "print(libc.connect(s.fileno(), addr, 16), ctypes.get_errno())";
  const screen = (await onTerminal([...policy, "--", PYTHON, "-c", connect])).screen;
  assert.doesNotMatch(screen, /undefined/, screen);
  assert.match(screen, /^syd: denied net\/connect of .+ by python3[^[]*\[\d+\] \(/m, screen);
  const terminal = (await onTerminal([...policy, "--", PYTHON, "-c", socket])).screen;
  assert.match(terminal, /^syd: denied net of appletalk by python3[^[]*\[\d+\] \(/m, terminal);
  assert.doesNotMatch(terminal, /undefined/, terminal);
});

/** syd's peak resident memory (VmHWM, in kB), read from outside. */
function peakKb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/^VmHWM:\s+(\d+) kB$/m)?.[1]);
}

Deno.test("syd's memory stays bounded however many records a run writes (100,000 denials)", async () => {
  // The program writes 2,000 records (syd warms up), waits; then 100,000 more (1,000 files,
  // rate limit off so that every one is written) and waits again. syd's peak resident memory
  // must grow by less than 20 MB between the two points.
  const dir = tempDir("syd-memory-");
  try {
    for (let i = 0; i < 1000; i++) Deno.writeTextFileSync(`${dir}/${i}`, "");
    const loop = helper("deny_loop");
    const script = `${loop} 2000 ${dir} 1000; echo warm; read _; ` +
      `${loop} 100000 ${dir} 1000; echo done; read _`;
    // Records go to a file (fd 3), counted at the end; syd is the shell's exec'd process.
    const logPath = `${dir}.log`;
    const sydArgs = [
      ...READ_ONLY,
      "-m",
      `deny/read+${dir}/***`,
      "-m",
      "log/rlimit_interval:0",
      "--",
      "sh",
      "-c",
      script,
    ];
    const proc = new Deno.Command("sh", {
      args: ["-c", 'exec 3>"$1"; shift; exec "$@"', "sh", logPath, SYD, ...lockOff(sydArgs)],
      env: { SYD_LOG_FD: "3" },
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const writer = proc.stdin.getWriter();
    const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    const waitFor = async (word: string) => {
      while (!seen.includes(word)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`syd ended before "${word}": ${seen}`);
        seen += value;
      }
    };
    await waitFor("warm");
    const before = peakKb(proc.pid);
    await writer.write(new TextEncoder().encode("\n"));
    await waitFor("done");
    const after = peakKb(proc.pid);
    await writer.write(new TextEncoder().encode("\n"));
    await writer.close();
    await reader.cancel();
    const status = await proc.status;
    assert.equal(status.code, 0);
    const logged = Deno.readTextFileSync(logPath).split("\n")
      .filter((line) => line.includes('"ctx":"access"')).length;
    Deno.removeSync(logPath);
    assert.equal(logged, 102_000, "every record written, none dropped");
    console.log(`syd's VmHWM: ${before} kB after 2,000 records, ${after} kB after 102,000`);
    assert.ok(after - before < 20_000, `VmHWM grew from ${before} kB to ${after} kB`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("-h lists every option syd takes, in its short and long forms", async () => {
  const { OPTIONS } = await import("../lib/cli.ts");
  const result = await runSyd(["-h"]);
  assert.equal(result.code, 0);
  for (const [name, spec] of Object.entries(OPTIONS)) {
    assert.ok(result.stdout.includes(`--${name}`), `--${name} missing from -h`);
    if ("short" in spec) assert.ok(result.stdout.includes(`-${spec.short}`), `-${spec.short}`);
  }
  assert.doesNotMatch(result.stdout, /only -p ?off/i);
  assert.match(result.stdout, /lint .*--builtin/);
});

Deno.test("syd lint checks the user's own lines; the built-in profiles' only with --builtin", async () => {
  const plain = await runSyd(["lint", "-p", "paludis"]);
  assert.equal(plain.code, 0);
  assert.equal(plain.stdout, "", plain.stdout);
  assert.match(plain.stderr, /^syd: lint: \d+ warnings about built-in profiles left out/m);
  const own = await runSyd(["lint", "-p", "user", "-m", "allow/read+relative"]);
  assert.equal(own.code, 0);
  assert.equal(own.stdout.trim().split("\n").length, 1, own.stdout);
  assert.match(own.stdout, /^-m#1:1:1: warning: relative pattern "relative"/);
  const builtin = await runSyd(["lint", "--builtin", "-p", "paludis"]);
  assert.equal(builtin.code, 0);
  assert.match(builtin.stdout, /^profile:\w+:\d+:\d+: warning: /m);
  const none = await runSyd(["lint"]);
  assert.equal(none.code, 22);
  assert.match(none.stderr, /nothing to check/);
});
