/**
 * Test helpers: run `./syd` as a user would, and find the helper programs the test command
 * builds (tools/test.sh compiles tests/helpers/*.c into tests/helpers/bin/).
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The project's root directory. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The development launcher. */
export const SYD = `${ROOT}syd`;

/** The longest a command under test may run before it is killed (SIGTERM). */
export const RUN_TIMEOUT_MS = 120_000;

/** What a finished command showed. */
export interface Outcome {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** Options for `runSyd`. */
export interface RunOptions {
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
  /**
   * Keep Lock sandboxing (Landlock) as the arguments leave it: on at first, as the original's.
   * By default a test of another layer runs with it off (see {@linkcode lockOff}).
   */
  landlock?: boolean;
}

/** syd's options that take a value (the next argument when not attached). */
const VALUED = ["-m", "-p", "-P", "-t", "-E", "-e", "-a", "-c", "-o", "--from", "--depth"];

/** The index of the `--` that ends syd's (or `syd learn`'s) options, or -1 when none does. */
function optionsEnd(args: readonly string[]): number {
  let i = args[0] === "learn" ? 1 : 0;
  while (i < args.length) {
    const arg = args[i];
    if (arg === "--") return i;
    if (!arg.startsWith("-")) return -1; // the command: its own `--` is its own
    i += VALUED.includes(arg) ? 2 : 1;
  }
  return -1;
}

/** Whether `args` say anything about Lock sandboxing themselves. */
function namesLandlock(args: readonly string[]): boolean {
  return args.some((arg) =>
    /sandbox\/[a-z,]*\block\b|default\/[a-z,]*\block\b|\/lock\/|landlock/.test(arg)
  );
}

/**
 * `args` with `-m sandbox/lock:off` before the command (before `--`): Lock sandboxing is on
 * unless turned off, as the original's, and a test of another layer (which runs helpers from the
 * source tree, outside the landlock profile's paths) turns it off. Left as they are when they
 * name Lock sandboxing themselves or have no `--`.
 */
export function lockOff(args: readonly string[]): string[] {
  let end = optionsEnd(args);
  if (end < 0 || namesLandlock(args.slice(0, end))) return [...args];
  // Before a command that locks the sandbox (nothing after `lock:on` is read).
  const locks = (command: string | undefined) =>
    command !== undefined && /^lock(?::(?:on|1|drop|d))?$/.test(command);
  const lock = args.findIndex((arg, i) =>
    i < end &&
    ((arg === "-m" && locks(args[i + 1])) || (arg.startsWith("-m") && locks(arg.slice(2))))
  );
  if (lock >= 0) end = lock;
  return [...args.slice(0, end), "-m", "sandbox/lock:off", ...args.slice(end)];
}

/**
 * The Python interpreter itself. A version manager's `python3` (pyenv's shim) is a shell script
 * that makes pipes and runs helpers before Python starts: under create sandboxing (pipes are
 * judged as `!pipe`) or a narrow exec policy it would fail before the test's own code runs.
 */
export const PYTHON = await (async () => {
  try {
    const found = await new Deno.Command("python3", {
      args: ["-c", "import sys; print(sys.executable)"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const path = new TextDecoder().decode(found.stdout).trim();
    return found.success && path.startsWith("/") ? path : "python3";
  } catch {
    return "python3";
  }
})();

/**
 * Python that defines `attempt(name, fn)`: runs `fn` and prints `name OK`, or `name ERRNO` with
 * the errno's name (`EACCES`); `errno`, `os` and `sys` are imported (not `socket`, whose import
 * makes an epoll: a pathless fd create sandboxing judges).
 */
export const PY_ATTEMPT = `import errno, os, sys
def attempt(name, fn):
    try:
        fn()
        print(name, "OK")
    except OSError as e:
        print(name, errno.errorcode[e.errno])
`;

/** Runs `./syd ARGS` and collects its exit status and output; a command `python3` is `PYTHON`. */
export async function runSyd(args: string[], options: RunOptions = {}): Promise<Outcome> {
  const command = args.indexOf("--") + 1;
  if (command > 0 && args[command] === "python3") {
    args = [...args.slice(0, command), PYTHON, ...args.slice(command + 1)];
  }
  return await run(SYD, args, options);
}

/** Runs any program and collects its exit status and output (`./syd`: see {@linkcode lockOff}). */
export async function run(
  program: string,
  args: string[],
  options: RunOptions = {},
): Promise<Outcome> {
  if (program === SYD && !options.landlock) args = lockOff(args);
  const command = new Deno.Command(program, {
    args,
    env: options.env,
    cwd: options.cwd ?? ROOT,
    stdin: options.stdin === undefined ? "null" : "piped",
    // A hung sandbox fails its test instead of hanging the whole run.
    signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    signal: output.signal,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The path of a helper program built from tests/helpers/NAME.c. */
export function helper(name: string): string {
  const path = `${ROOT}tests/helpers/bin/${name}`;
  try {
    Deno.statSync(path);
  } catch {
    throw new Error(`${path} is missing: run the tests with tools/test.sh, which builds it`);
  }
  return path;
}

/**
 * The JSON records among the lines of `text` (other lines are skipped). syd writes each record
 * whole, in one write, but another program writing a message in pieces to the same stderr may
 * put text before it on its line: a record is looked for from the line's first `{"`.
 */
export function records(text: string): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    const start = line.indexOf('{"');
    if (start < 0) continue;
    try {
      found.push(JSON.parse(line.slice(start)));
    } catch {
      // not a record: a program's own output that happens to hold `{"`
    }
  }
  return found;
}

/** A new temporary directory for one test. */
export function tempDir(prefix = "syd-test-"): string {
  return Deno.makeTempDirSync({ prefix });
}

/** Waits until `path` exists; throws after `timeoutMs`. */
export async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      Deno.statSync(path);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  throw new Error(`${path} did not appear within ${timeoutMs} ms`);
}

/**
 * `text` without syd's records: what the programs themselves wrote. A record may land inside a
 * program's message written in pieces (`cat: ` ... `x: Permission denied`); it is cut out whole.
 */
export function withoutRecords(text: string): string {
  return text.replace(/\{"[^\n]*\}\n/g, "");
}

/**
 * Runs `fn` with a new directory (its real path, prefixed `prefix`) holding `public` and `secret`
 * ("public\n" and "secret\n", the same length), removed afterwards.
 */
export async function withSecretDir(
  prefix: string,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  try {
    await Deno.writeTextFile(`${dir}/public`, "public\n");
    await Deno.writeTextFile(`${dir}/secret`, "secret\n");
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The `name=value` pairs of a helper's output, space- or line-separated (a later pair of the same name wins). */
export function values(stdout: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    for (const pair of line.split(" ")) {
      const at = pair.indexOf("=");
      if (at > 0) found.set(pair.slice(0, at), pair.slice(at + 1));
    }
  }
  return found;
}

/**
 * Why syd cannot be run as nobody (uid 65534) here, or undefined when it can: only root can
 * become nobody, and the project tree (main.ts, ./syd, the toolchain's deno) must be reachable by
 * that user (not in a mode-0700 clone). Build libsyd.so first: nobody cannot.
 */
export async function nobodyProblem(): Promise<string | undefined> {
  if (Deno.uid() !== 0) return "the tests do not run as root, and only root can become nobody";
  const probe = await run("setpriv", [
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "test",
    "-r",
    `${ROOT}main.ts`,
    "-a",
    "-x",
    SYD,
    "-a",
    "-x",
    `${ROOT}.toolchain/bin/deno`,
  ]);
  if (probe.code !== 0) {
    return `${ROOT} is not reachable by uid 65534 (a parent directory is not searchable, or the tree is not readable)`;
  }
  return undefined;
}

/**
 * The arguments of a container as the namespace tests make it: new namespaces (`kinds`, user,
 * mount and pid by default), the new root `root`, /usr (programs run, links followed) and /etc
 * bound read-only, a tmpfs on /tmp, then each of `binds` (`SRC:DST[:OPTS]`).
 */
export function containerArgs(
  root: string,
  binds: readonly string[] = [],
  kinds = "user,mount,pid",
): string[] {
  const all = ["/usr:/usr:ro,exec,symfollow", "/etc:/etc:ro", "tmpfs:/tmp", ...binds];
  return [
    "-m",
    `unshare/${kinds}:1`,
    "-m",
    `root:${root}`,
    ...all.flatMap((bind) => ["-m", `bind+${bind}`]),
  ];
}
