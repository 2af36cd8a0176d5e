/**
 * syd's entry point: `syd [options] [--] command [args...]`, `syd [options] -c CMD`, `syd` (a
 * login shell), `syd lint`, `syd learn`, `syd --api`, `syd --check`, `syd --sh`.
 *
 * The exit status is the sandboxed command's own (128+N if it died of signal N); when the
 * command cannot be executed, its errno; syd's own failures use errno values (22: bad usage or
 * configuration, 95: not supported yet).
 *
 * @module
 */
import { HELP, type OptionUse, parse, parseDuration, UsageError } from "./lib/cli.ts";
import {
  configureLogging,
  emit,
  finishLog,
  LogSetupError,
  logSetupFromEnv,
  pumpLog,
  setRateLimit,
} from "./lib/log.ts";
import { NativeError, probe, Sandbox, strerror } from "./lib/native.ts";
import {
  applyEnvOptions,
  enterVoidDirectory,
  EnvOptionError,
  type Launch,
  planLaunch,
} from "./lib/launch.ts";
import { MagicServer, serveMagic } from "./lib/magic.ts";
import {
  CATEGORIES,
  compile,
  type CompiledPolicy,
  type Diagnostic,
  type EnvOp,
  expandEnv,
  formatDiagnostic,
  load,
  namespaceStartProblems,
  type PolicyState,
  type PoolSettings,
  type SourceSpec,
  startSetid,
} from "./lib/policy/mod.ts";
import { LOCK_FS_RIGHTS } from "./lib/policy/landlock.ts";
import { PATH_CATEGORIES } from "./lib/policy/vocab.ts";
import { API, buildInfo, VERSION } from "./lib/version.ts";

const EACCES = 13;
const EINVAL = 22;
const EOPNOTSUPP = 95;
/** The most emulator threads libsyd allows (policy.workers_max). */
const WORKERS_MAX = 1024;

/** Options accepted by the CLI whose feature has not landed yet. */
const NOT_YET = new Set<OptionUse["name"]>(["el"]);

/** Writes all of `text`; a reader that went away (`syd lint | head`) is not an error. */
function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = new TextEncoder().encode(text);
  try {
    while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
  } catch (err) {
    if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
  }
}

function fail(message: string, status: number): number {
  console.error(`syd: ${message}`);
  return status;
}

function integerFromEnv(name: string, fallback: number, min: number, max: number): number {
  const text = Deno.env.get(name);
  if (text === undefined || text === "") return fallback;
  const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    throw new UsageError(`${name}: "${text}" is not a whole number from ${min} to ${max}`);
  }
  return value;
}

/** The pool settings from SYD_NPROC, SYD_NPROC_MAX and SYD_KEEP_ALIVE_MS. */
export function poolFromEnv(): PoolSettings {
  const cpus = Math.max(1, Math.min(navigator.hardwareConcurrency || 1, WORKERS_MAX));
  const core = integerFromEnv("SYD_NPROC", cpus, 1, WORKERS_MAX);
  const max = integerFromEnv("SYD_NPROC_MAX", Math.max(64, core), core, WORKERS_MAX);
  const keepAlive = integerFromEnv("SYD_KEEP_ALIVE_MS", 15_000, 10, 3_600_000);
  return { core, max, keep_alive_ms: keepAlive };
}

function printVersion(): void {
  writeAll(Deno.stdout, versionLines().join("\n") + "\n");
}

/** The lines of `syd -V`: versions, and the kernel features syd uses. */
function versionLines(): string[] {
  const features = probe();
  const yes = (found: boolean) => (found ? "yes" : "no");
  return [
    `syd ${VERSION} (libsyd ABI ${features.abiVersion}, Deno ${Deno.version.deno})`,
    `api: ${API}`,
    `build: ${buildInfo()}`,
    `libseccomp: ${features.libseccomp}`,
    `kernel: Linux ${Deno.osRelease()} ${Deno.build.arch}`,
    `seccomp user notification: ${yes(features.userNotif && features.notifSizesOk)}`,
    `seccomp notify ADDFD (Linux 5.9): ${yes(features.addfd)}`,
    `seccomp notify sync wake-up (Linux 6.6): ${yes(features.syncWakeUp)}`,
    `Landlock: ${
      features.landlockAbi > 0 ? `ABI ${features.landlockAbi}` : "no (Lock sandboxing needs it)"
    }`,
  ];
}

/** The sources of a policy, in command-line order: -m, -p, -P, and -x (the trace profile). */
export function sourcesOf(options: readonly OptionUse[]): SourceSpec[] {
  const specs: SourceSpec[] = [];
  for (const option of options) {
    if (option.name === "magic") specs.push({ kind: "command", text: option.value ?? "" });
    if (option.name === "profile") specs.push({ kind: "profile", name: option.value ?? "" });
    if (option.name === "config") specs.push({ kind: "file", path: option.value ?? "" });
    if (option.name === "trace") specs.push({ kind: "profile", name: "trace" });
  }
  return specs;
}

/** The environment `${VAR}` sees in files and profiles: syd's own, plus SYD_UID and SYD_GID. */
function expansionEnv(): Record<string, string> {
  return { ...Deno.env.toObject(), ...expansionExtras() };
}

/** The variables syd adds for `${VAR}` expansion. */
function expansionExtras(): Record<string, string> {
  return { SYD_UID: String(Deno.uid() ?? ""), SYD_GID: String(Deno.gid() ?? "") };
}

/**
 * Exit status for policy errors: 95 when every one is a feature not supported, else the errno of
 * the first other error (EPERM for a command after `lock:on`; EINVAL by default).
 */
function policyErrorStatus(errors: readonly Diagnostic[]): number {
  const first = errors.find((d) => !d.unsupported);
  return first === undefined ? EOPNOTSUPP : first.errno ?? EINVAL;
}

/** A policy ready for libsyd, with what it was made from; or the exit status of its errors. */
type Prepared =
  | {
    state: PolicyState;
    policy: CompiledPolicy;
    compileOptions: Parameters<typeof compile>[1];
  }
  | { status: number };

/**
 * The policy's sources with the `user` profile where login-shell use puts it: first when syd has
 * no argument at all, last for `-l`, `-f` and `-c`, unless the other sources lock the sandbox
 * (as the original, which then skips it).
 */
function launchSources(options: readonly OptionUse[], launch?: Launch): SourceSpec[] {
  const specs = sourcesOf(options);
  const user: SourceSpec = { kind: "profile", name: "user" };
  if (launch?.userProfile === "first") return [user, ...specs];
  if (launch?.userProfile !== "last") return specs;
  const locked = load(specs, { env: expansionEnv() }).state.lock === "on";
  return locked ? specs : [...specs, user];
}

/** Loads the policy the options give, reports its errors, and compiles it. */
function preparePolicy(options: readonly OptionUse[], launch?: Launch): Prepared {
  const log = logSetupFromEnv(Deno.env.toObject(), Deno.stderr.isTerminal());
  const pool = poolFromEnv();
  const loaded = load(launchSources(options, launch), { env: expansionEnv() });
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    for (const error of errors) console.error(formatDiagnostic(error));
    return { status: policyErrorStatus(errors) };
  }
  const setid = startSetid(loaded.state.setid, { uid: Deno.uid() ?? 0, gid: Deno.gid() ?? 0 });
  if (setid !== undefined) return { status: fail(setid.message, setid.errno) }; // ENODATA
  const namespaces = namespaceStartProblems(loaded.state.namespaces, {
    lock: loaded.state.landlock.on,
    forceCloexec: loaded.state.forceTrace.force_cloexec === true,
  });
  const refused = namespaces.find((problem) => problem.severity === "error");
  if (refused !== undefined) {
    return { status: fail(`${refused.message} (${refused.hint})`, refused.errno ?? EOPNOTSUPP) };
  }
  const timeout = options.findLast((option) => option.name === "timeout");
  const timeoutMs = timeout ? parseDuration(timeout.value ?? "") : 0;
  configureLogging(log);
  for (const problem of namespaces) {
    // What the original ignores silently (binds without a mount namespace, ...): said here.
    emit({ level: "warn", ctx: "setup_namespaces", msg: problem.message, tip: problem.hint });
  }
  setRateLimit(loaded.state.logRlimitBurst, loaded.state.logRlimitIntervalNs);
  const compileOptions = { logLevel: log.level, pool, timeoutMs };
  lockByDefault(loaded.state);
  protectOwnFiles(loaded.state, Deno.env.get("SYD_DIST_DIR"));
  return { state: loaded.state, policy: compile(loaded.state, compileOptions), compileOptions };
}

/**
 * The one file's unpacked copies (Deno, syd.js, libsyd.so, Deno's caches: `SYD_DIST_DIR`, set by
 * its launcher) are syd's own program: denied to the sandbox in every path category, after every
 * rule of the policy (the last match wins), so that no policy allowing writes under the user's
 * cache lets a sandboxed program change what the next syd runs. Judged only where a category is
 * on, as every rule (under `-p off` the sandbox writes wherever its user may).
 */
export function protectOwnFiles(state: PolicyState, dir: string | undefined): void {
  if (dir === undefined || !dir.startsWith("/") || dir === "/") return;
  const literal = dir.replace(/[\\*?[\]{}]/g, (c) => `\\${c}`);
  const origin = { file: "syd: the one file's unpacked copies", line: 1 };
  for (const category of PATH_CATEGORIES) {
    state.rules.push({ action: "deny", category, pattern: `${literal}/***`, origin });
  }
}

/**
 * The lock when the policy sets none. As the original, a sandbox that restricts anything is
 * locked once its first process runs (`lock:on`: /dev/syd is closed to every process). A policy
 * that restricts nothing (`-p off` alone) gets `lock:exec` instead: its first process may then
 * configure the sandbox through /dev/syd, as it could under the original before 3.17, which
 * cannot take away anything the user asked for, since nothing was asked for.
 */
export function lockByDefault(state: PolicyState): void {
  if (state.lock !== null) return;
  const limits = state.limits.mem || state.limits.pid; // memory and pid limits restrict too
  state.lock = CATEGORIES.some((category) => state.on[category]) || limits ? "on" : "exec";
}

/** `-E MODE` or SYD_DUMP_SCMP: the filter export format asked for, if any. */
export function exportMode(options: readonly OptionUse[]): "pfc" | "bpf" | undefined {
  const option = options.findLast((o) => o.name === "export");
  const text = option?.value ?? Deno.env.get("SYD_DUMP_SCMP");
  if (text === undefined || text === "") return undefined;
  const mode = text.toLowerCase();
  if (mode !== "pfc" && mode !== "bpf") {
    const source = option ? "-E" : "SYD_DUMP_SCMP";
    throw new UsageError(`${source}: "${text}" is not an export format (pfc or bpf)`);
  }
  return mode;
}

/**
 * Prints every seccomp filter the policy would load (pfc: to standard output), or writes each
 * as raw BPF into $SYD_TMPDIR, $TMPDIR or /tmp (bpf), without running anything.
 */
function exportFilters(
  options: readonly OptionUse[],
  mode: "pfc" | "bpf",
  launch?: Launch,
): number {
  const prepared = preparePolicy(options, launch);
  if ("status" in prepared) return prepared.status;
  const sandbox = Sandbox.create(JSON.stringify(prepared.policy));
  try {
    const dir = Deno.env.get("SYD_TMPDIR") || Deno.env.get("TMPDIR") || "/tmp";
    sandbox.exportFilters(mode, 1, dir);
  } finally {
    sandbox.free();
  }
  return 0;
}

/**
 * The program's environment without syd's own variables (`SYD_*`, whose values configure syd
 * and may hold secrets), as the original: `SYD_TEST_*` (its test harness's) pass.
 */
export function withoutSydEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(([key]) =>
      !(key.startsWith("SYD_") && !key.startsWith("SYD_TEST_")) &&
      !key.startsWith("CARGO_BIN_EXE_syd")
    ),
  );
}

/**
 * The program's environment: syd's own with `setenv!`, `unsetenv!` and `clearenv!` applied in
 * order, each value expanded against the environment as it stands then (as the original's
 * setenv(3) of its own environment); `clearenv!` keeps syd's `SYD_` variables.
 */
export function applyEnvOps(
  base: Record<string, string>,
  ops: readonly EnvOp[],
): Record<string, string> | { message: string } {
  let env: Record<string, string> = { ...base };
  for (const op of ops) {
    if (op.op === "clear") {
      env = Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith("SYD_")));
    } else if (op.op === "unset") {
      delete env[op.name];
    } else {
      const expanded = expandEnv(op.value, { ...env, ...expansionExtras() });
      if ("message" in expanded) return { message: `setenv!${op.name}: ${expanded.message}` };
      env[op.name] = expanded.text;
    }
  }
  return env;
}

async function runSandboxed(options: readonly OptionUse[], launch: Launch): Promise<number> {
  const argv = launch.argv;
  const prepared = preparePolicy(options, launch);
  if ("status" in prepared) return prepared.status;
  const { policy, compileOptions } = prepared;
  const sandbox = Sandbox.create(JSON.stringify(policy));
  let pump: Promise<void> | undefined;
  let commands: Promise<void> | undefined;
  try {
    const fd = sandbox.logFd();
    pump = pumpLog(fd, () => sandbox.closeLogFd(), (seq) => {
      try {
        sandbox.ackLog(seq);
      } catch {
        // the sandbox was freed: nobody waits any more
      }
    });
    commands = serveCommands(sandbox, new MagicServer(prepared.state, compileOptions));
    const programEnv = applyEnvOps(Deno.env.toObject(), prepared.state.envOps);
    if ("message" in programEnv) return fail(programEnv.message, EINVAL);
    const env = Object.entries(withoutSydEnv(programEnv)).map(([key, value]) => `${key}=${value}`);
    if (launch.voidCwd) enterVoidDirectory(); // after every relative path of the policy was read
    emit({
      level: "info",
      ctx: "run",
      op: "start",
      cmd: argv.join(" "),
      msg: "running the program in the sandbox",
    });
    const result = await withForwardedSignals(sandbox, () => sandbox.run(argv, env, launch.alias));
    emit({
      level: "debug",
      ctx: "run",
      op: "summary",
      exit_code: result.exitCode,
      notifications: Number(result.notifications),
      workers_peak: result.workersPeak,
    });
    if (result.logDropped > 0n) {
      emit({
        level: "warn",
        ctx: "log",
        msg: "log lines dropped",
        dropped: Number(result.logDropped),
      });
    }
    if (result.execErrno !== 0) {
      const landlock = prepared.state.landlock;
      const exec = LOCK_FS_RIGHTS.exec;
      const noExec = landlock.on &&
        !landlock.paths.values().some((rights) => (rights & exec) !== 0);
      if (result.execErrno === EACCES && noExec) {
        // What the original leaves unsaid: Lock sandboxing is on at first, and allows nothing.
        console.error(
          "syd: Lock sandboxing (Landlock, on unless turned off) allows no exec: -p landlock " +
            "allows the system's programs, -m sandbox/lock:off turns it off",
        );
      }
      return fail(`exec error: ${strerror(result.execErrno)}`, result.execErrno);
    }
    return result.exitCode;
  } finally {
    sandbox.free(); // ends the log and command pipes: their readers drain them and stop
    await pump;
    await commands;
    finishLog(); // on a terminal: the repeats held back, and the summary of the denials
  }
}

/** Answers /dev/syd commands of the sandboxed processes until the sandbox is freed. */
async function serveCommands(sandbox: Sandbox, server: MagicServer): Promise<void> {
  const file = await Deno.open(`/proc/self/fd/${sandbox.cmdFd()}`, { read: true });
  sandbox.closeCmdFd();
  // A reply libsyd refuses throws: serveMagic then takes the change back (MagicServer.revert).
  await serveMagic(file.readable, server, (answer) => {
    sandbox.reply(answer.id, answer.errno, answer.policy);
  });
}

/** The signals syd passes on to the sandboxed program instead of dying of them. */
const FORWARDED: readonly Deno.Signal[] = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM"];
const SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGTERM: 15,
};

/** Runs `body` while SIGHUP, SIGINT, SIGQUIT and SIGTERM sent to syd go to the sandbox instead. */
async function withForwardedSignals<T>(sandbox: Sandbox, body: () => Promise<T>): Promise<T> {
  const handlers = FORWARDED.map((signal) => {
    const handler = () => {
      try {
        sandbox.signal(SIGNAL_NUMBERS[signal]);
      } catch {
        // the program has ended already: nothing to forward to
      }
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  try {
    return await body();
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  }
}

/**
 * Runs syd with `args` (without the program name); resolves to the exit status. The subcommands
 * and the informational options load their modules when asked for (a sandbox's start-up does
 * not pay for them: README, Benchmarks).
 */
export async function main(args: readonly string[]): Promise<number> {
  if (args[0] === "lint") {
    const { lint } = await import("./lib/lint.ts");
    const output = lint(args.slice(1), expansionEnv());
    writeAll(Deno.stdout, output.stdout);
    writeAll(Deno.stderr, output.stderr);
    return output.status;
  }
  if (args[0] === "sum") {
    const { sum } = await import("./lib/sum.ts");
    const output = sum(args.slice(1));
    writeAll(Deno.stdout, output.stdout);
    writeAll(Deno.stderr, output.stderr);
    return output.status;
  }
  if (args[0] === "learn") {
    const helpers = { applyEnvOps, lockByDefault, poolFromEnv, withoutSydEnv };
    const { learnMain } = await import("./lib/learn/cli.ts");
    return await learnMain(args.slice(1), expansionEnv(), helpers);
  }
  let cli;
  try {
    cli = parse(args);
  } catch (err) {
    if (err instanceof UsageError) return fail(`${err.message} (see syd -h)`, EINVAL);
    throw err;
  }
  const names = new Set(cli.options.map((option) => option.name));
  if (names.has("help")) {
    writeAll(Deno.stdout, HELP);
    return 0;
  }
  if (names.has("version")) {
    printVersion();
    return 0;
  }
  if (names.has("api")) {
    writeAll(Deno.stdout, `${API}\n`);
    return 0;
  }
  if (names.has("check")) {
    const { systemLines } = await import("./lib/check.ts");
    writeAll(Deno.stdout, [...versionLines(), ...systemLines()].join("\n") + "\n");
    return 0;
  }
  if (names.has("sh")) {
    const { esydScript } = await import("./lib/esyd.ts");
    writeAll(Deno.stdout, esydScript());
    return 0;
  }
  const unsupported = cli.options.find((option) => NOT_YET.has(option.name));
  if (unsupported) {
    const what = "the original's Emacs Lisp interface";
    return fail(`${unsupported.flag}: not supported (${what})`, EOPNOTSUPP);
  }
  try {
    const shell = Deno.env.get("SYD_SHELL");
    const chdir = Deno.env.get("SYD_CHDIR") !== undefined;
    const launch = planLaunch(cli.options, cli.argv, args.length === 0, shell, chdir);
    // As the original: -e changes syd's own environment, which ${VAR} in the policy sees too.
    const env = applyEnvOptions(Deno.env.toObject(), launch.env);
    for (const key of Object.keys(Deno.env.toObject())) {
      if (!Object.hasOwn(env, key)) Deno.env.delete(key);
    }
    for (const [key, value] of Object.entries(env)) Deno.env.set(key, value);
    const mode = exportMode(cli.options);
    if (mode !== undefined) return exportFilters(cli.options, mode, launch);
    return await runSandboxed(cli.options, launch);
  } catch (err) {
    if (err instanceof EnvOptionError) return fail(err.message, err.errno);
    if (err instanceof LogSetupError) return fail(err.message, err.errno);
    if (err instanceof UsageError) return fail(err.message, EINVAL);
    if (err instanceof NativeError) return fail(err.message, err.errno);
    throw err;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
