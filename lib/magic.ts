/**
 * `/dev/syd`, the TypeScript half: a sandboxed process calls `stat("/dev/syd/CMD")`, libsyd
 * forwards CMD here as one JSON line (`{"id":N,"pid":P,"cmd":"CMD"}`), and the answer (an errno,
 * and the new compiled policy when the command changed it) goes back through the FFI.
 *
 * Errnos, as the original's: 0 done (stat answers like /dev/null), 2 ENOENT (a query whose answer
 * is false, or a locked sandbox), 22 EINVAL (a command that does not parse or cannot apply), 95
 * EOPNOTSUPP (a feature of the original that this syd does not implement), 1 EPERM (a lock
 * lowered: off < exec < on; under lock:drop, a command that loosens), 16 EBUSY (a setting
 * fixed when the sandbox starts: timeout, trace/..., turning memory or pid sandboxing on,
 * SafeSetID's setuid and setgid transits, namespaces and the container form: unshare/, bind, root,
 * workdir, uts/host, uts/domain, time; `unshare/LIST?` is answered).
 *
 * Needs: the policy parser and compiler (`lib/policy/`), logging (`lib/log.ts`).
 * Assumes: libsyd sends one request per line and matches answers to requests by `id` alone;
 * it does not forward requests of processes that lock:exec keeps out (only it knows which
 * process is the first one); a command is at most a path long (PATH_MAX bytes).
 *
 * @module
 */
import { emit, setRateLimit, type SydLevel } from "./log.ts";
import { FS_HARDENING_OPTIONS, isForceTraceOption } from "./policy/vocab.ts";
import {
  apply,
  type Command,
  CommandError,
  compile,
  dropRefusal,
  formatCommand,
  isBindSyntax,
  isSetidSyntax,
  load,
  LOCK_RANK,
  parseCommand,
  type PolicyState,
  startLimits,
  startNamespaces,
} from "./policy/mod.ts";

const ENOENT = 2;
const EINVAL = 22;
const EOPNOTSUPP = 95;
const EBUSY = 16;
const EPERM = 1;

/** The longest command a process can send: a path, PATH_MAX bytes with its NUL. */
const COMMAND_BYTES_MAX = 4096;
/** The longest request line read, in bytes; a longer one is dropped whole. */
export const LINE_BYTES_MAX = 64 * 1024;
// JSON escaping grows a byte to at most six (`\u00XX`); the id, pid and keys fit in the rest.
if (COMMAND_BYTES_MAX * 6 + 256 > LINE_BYTES_MAX) throw new Error("LINE_BYTES_MAX is too small");

/** The largest pid Linux hands out (pid_max is at most 2^22, pid_t is 32 bits). */
const PID_MAX = 2 ** 31 - 1;

/** One command from a sandboxed process, as libsyd forwards it. */
export interface MagicRequest {
  /** libsyd's name for the call (a u64 that fits a JS number): passed back untouched. */
  id: number;
  /** The process that made the call. */
  pid: number;
  /** The text after `/dev/syd/`. */
  cmd: string;
  /** Whether the caller is the sandbox's first process (what lock:exec lets through). */
  first?: boolean;
}

/** What libsyd answers the call with. */
export interface MagicAnswer {
  /** The request's id. */
  id: number;
  /** 0, 2 (ENOENT), 22 (EINVAL) or 95 (EOPNOTSUPP). */
  errno: number;
  /** The new compiled policy (JSON text), present only when the command changed the policy. */
  policy?: string;
}

/** Options of a {@linkcode MagicServer}. */
export interface MagicServerOptions {
  /**
   * The environment `${VAR}` sees in profiles named by `include_profile` (the `user` profile
   * needs `HOME` and `SYD_UID`). Default: syd's own, plus `SYD_UID` and `SYD_GID`, as at start.
   */
  env?: Record<string, string | undefined>;
}

/** A request line that is not a request; `id` is set when the line named one. */
export class MagicLineError extends Error {
  /** The line's id, when it had a good one (the request can then be answered EINVAL). */
  readonly id?: number;
  /** An error with its message and, where known, the request's id. */
  constructor(message: string, id?: number) {
    super(message);
    this.name = "MagicLineError";
    this.id = id;
  }
}

type CompileOptions = Parameters<typeof compile>[1];

/** How a request went, before it is logged and answered. */
interface Outcome {
  errno: number;
  /** The new state, when the command changed it. */
  next?: PolicyState;
  /** The new state's compiled policy text, with `next`. */
  policy?: string;
  level: SydLevel;
  msg: string;
}

/** What libsyd refuses at run time though the parser accepts it (ffi/judge/policy.zig). */
function refusedByLibsyd(_state: PolicyState): string | undefined {
  return undefined; // mask is applied since issue 17
}

/**
 * The limit layer (memory, pid) or category (list) `command` would turn on in a running sandbox
 * where it is off: EBUSY, as the original's (their traps are installed when the sandbox starts,
 * or never; list sandboxing's getdents64: filter_options in ffi/run/sandbox.zig). Turning one on
 * that is on already is accepted; so it is after a runtime off in neither syd (on, off, then on
 * again: EBUSY, as the original's 3.59 answers).
 */
function startOnly(state: PolicyState, command: Command): string | undefined {
  // sandbox/force is static in the original: EBUSY either way (the mmap stops are fixed).
  if (command.kind === "sandbox" && command.force) return "Force";
  if (command.kind !== "sandbox" || !command.on) return undefined;
  if (command.mem && !state.limits.mem) return "memory";
  if (command.pid && !state.limits.pid) return "pid";
  // Static in the original too (syd.2; its stat, readlink, chdir and notify are, but here their
  // calls are trapped whatever their state).
  if (command.categories.includes("list") && !state.on.list) return "list";
  return undefined;
}

function defaultEnv(): Record<string, string | undefined> {
  try {
    return {
      ...Deno.env.toObject(),
      SYD_UID: String(Deno.uid() ?? ""),
      SYD_GID: String(Deno.gid() ?? ""),
    };
  } catch {
    return {}; // no permission to read the environment: a profile's ${VAR} is then an error
  }
}

/** Logs a record; a failing log never keeps a caller from its answer. */
function log(record: Record<string, unknown>): void {
  try {
    emit({ ctx: "magic", ...record });
  } catch {
    // the log's writer failed (a closed SYD_LOG_FD): nothing better to do with the record
  }
}

function refuseFiles(path: string): never {
  throw new Error(`syd does not read files for /dev/syd: ${path}`);
}

/**
 * Holds the current policy state and answers commands against it.
 *
 * @example
 * ```ts
 * const server = new MagicServer(initialState(), { logLevel: "warn", pool });
 * server.answer({ id: 7, pid: 1234, cmd: "sandbox/read?" }); // { id: 7, errno: 0 }
 * server.answer({ id: 8, pid: 1234, cmd: "sandbox/read:off" }); // { id: 8, errno: 0, policy: "{...}" }
 * ```
 */
export class MagicServer {
  #state: PolicyState;
  /**
   * The compiled policy of `#state`, as JSON text: compiled when first needed (a sandbox whose
   * program never writes to /dev/syd does not pay for it at start).
   */
  #policy: string | undefined;
  /** The state before the last change, until libsyd took the new policy (see `revert`). */
  #undo?: { id: number; state: PolicyState; policy: string };
  readonly #compileOptions: CompileOptions;
  readonly #env: Record<string, string | undefined>;
  /** Requests answered so far: the line of the origin of the rules the next one adds. */
  #requests = 0;
  /** Memory and PID sandboxing on when the sandbox started. */
  readonly #startLimits: { mem: boolean; pid: boolean };

  /** Starts from a copy of `state`; `compileOptions` are those the first policy was compiled with. */
  constructor(
    state: PolicyState,
    compileOptions: CompileOptions,
    options: MagicServerOptions = {},
  ) {
    this.#state = structuredClone(state);
    // The sandbox starts with this state: a limit turns its layer on (the loader did it already
    // for a loaded policy; idempotent).
    startLimits(this.#state);
    startNamespaces(this.#state.namespaces);
    this.#startLimits = { mem: this.#state.limits.mem, pid: this.#state.limits.pid };
    this.#compileOptions = compileOptions;
    this.#env = options.env ?? defaultEnv();
  }

  #compiled(): string {
    this.#policy ??= JSON.stringify(compile(this.#state, this.#compileOptions));
    return this.#policy;
  }

  /** A copy of the current policy state. */
  get state(): PolicyState {
    return structuredClone(this.#state);
  }

  /** The current compiled policy, as JSON text. */
  get policy(): string {
    return this.#compiled();
  }

  /**
   * Whether memory and PID sandboxing were on when the sandbox started (libsyd installs their
   * traps only then; a running sandbox may turn them off, never on).
   */
  get startLimits(): { mem: boolean; pid: boolean } {
    return { ...this.#startLimits };
  }

  /**
   * Answers one request (pure apart from logging; does not touch FFI). Applies the command to a
   * copy of the state, so that a command that fails changes nothing. Never throws.
   *
   * `include PATH` is refused (EINVAL): a sandboxed process must not make syd read files. (The
   * original's manual pages found do not say; its `esyd` helper loads configuration at run time
   * with a separate `load` command, which this syd does not implement.) `include_profile NAME`
   * applies a built-in profile, with the environment of {@linkcode MagicServerOptions.env}.
   *
   * @example
   * ```ts
   * server.answer({ id: 1, pid: 42, cmd: "allow/read+/tmp/***" }).errno; // 0
   * server.answer({ id: 2, pid: 42, cmd: "include /etc/x.syd-3" }).errno; // 22
   * ```
   */
  answer(request: MagicRequest): MagicAnswer {
    let outcome: Outcome;
    try {
      outcome = this.#decide(request);
    } catch (err) {
      // A bug, not the caller's fault: the state is untouched, the caller gets EINVAL.
      outcome = { errno: EINVAL, level: "error", msg: `internal error: ${String(err)}` };
    }
    if (outcome.next !== undefined && outcome.policy !== undefined) {
      if (outcome.errno !== 0) throw new Error("a failed command changed the state");
      this.#undo = { id: request.id, state: this.#state, policy: this.#compiled() };
      this.#state = outcome.next;
      this.#policy = outcome.policy;
    }
    log({
      level: outcome.level,
      msg: outcome.msg,
      cmd: request.cmd,
      pid: request.pid,
      errno: outcome.errno,
    });
    const answer: MagicAnswer = { id: request.id, errno: outcome.errno };
    if (outcome.policy !== undefined) answer.policy = outcome.policy;
    return answer;
  }

  /**
   * Takes back the change command `id` made, when its answer could not be delivered (libsyd
   * refused the new policy, or nobody waited for the answer any more): libsyd and this server
   * then still agree on the policy in force. Only the last change can be taken back.
   */
  revert(id: number): void {
    if (this.#undo === undefined || this.#undo.id !== id) return;
    this.#state = this.#undo.state;
    this.#policy = this.#undo.policy;
    this.#undo = undefined;
  }

  #decide(request: MagicRequest): Outcome {
    this.#requests++;
    const cmd = request.cmd;
    if (typeof cmd !== "string" || !cmd.isWellFormed()) {
      return { errno: EINVAL, level: "warn", msg: "the command is not valid UTF-8 text" };
    }
    if (this.#state.lock === "on") {
      // As the original: a locked sandbox has no /dev/syd, so every command finds nothing.
      return { errno: ENOENT, level: "warn", msg: "refused: the sandbox is locked (lock:on)" };
    }
    if (this.#state.lock === "exec" && request.first !== true) {
      // libsyd checked the lock when the command arrived; a lock:exec applied since (the
      // commands queue) must hold for the commands behind it too.
      return {
        errno: ENOENT,
        level: "warn",
        msg: "refused: lock:exec leaves /dev/syd to the sandbox's first process",
      };
    }
    if (isSetidSyntax(cmd)) {
      // As the original: SafeSetID's transits are fixed when the sandbox starts (EPERM under
      // lock:drop, else EBUSY), whatever their values: these are not even read.
      const drop = this.#state.lock === "drop";
      return {
        errno: drop ? EPERM : EBUSY,
        level: "warn",
        msg: drop
          ? "refused by lock:drop: SafeSetID transits (setuid, setgid)"
          : `${cmd} can only be set before the sandbox starts`,
      };
    }
    if (isBindSyntax(cmd)) {
      // As the original: binds are refused (EPERM under lock:drop, else EBUSY) before their
      // paths are checked.
      const drop = this.#state.lock === "drop";
      return {
        errno: drop ? EPERM : EBUSY,
        level: "warn",
        msg: drop
          ? "refused by lock:drop: namespace and container settings"
          : `${cmd} can only be set before the sandbox starts`,
      };
    }
    let command: Command;
    try {
      command = parseCommand(cmd);
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      const hint = err.hint ? ` (${err.hint})` : "";
      return {
        errno: err.unsupported ? EOPNOTSUPP : EINVAL,
        level: "warn",
        msg: `${err.message}${hint}`,
      };
    }
    if (this.#state.lock === "drop") {
      // As the original: under lock:drop a command may only make the sandbox stricter (EPERM).
      const refused = dropRefusal(this.#state, command);
      if (refused !== undefined) {
        return { errno: EPERM, level: "warn", msg: `refused by lock:drop: ${refused}` };
      }
    }
    if (command.kind === "sandbox_query") {
      const on = command.categories.every((category) => this.#state.on[category]) &&
        (!command.landlock || this.#state.landlock.on) &&
        (!command.mem || this.#state.limits.mem) && (!command.pid || this.#state.limits.pid) &&
        (!command.tpe || this.#state.trust.tpe);
      return { errno: on ? 0 : ENOENT, level: "info", msg: on ? "query: on" : "query: off" };
    }
    if (command.kind === "namespace" && command.ns === "unshare_query") {
      const on = command.names.every((name) => this.#state.namespaces.unshare[name]);
      return { errno: on ? 0 : ENOENT, level: "info", msg: on ? "query: on" : "query: off" };
    }
    if (command.kind === "lock" && this.#state.lock !== null) {
      // As the original (3.59): the lock only tightens (off < exec < drop < on); lowering it
      // is EPERM.
      if (LOCK_RANK[command.state] < LOCK_RANK[this.#state.lock]) {
        return {
          errno: EPERM,
          level: "warn",
          msg: `lock:${command.state} would lower lock:${this.#state.lock}: refused`,
        };
      }
    }
    if (command.kind === "log_rlimit") {
      // syd's own logging, not libsyd's policy: applied here, at once.
      apply(this.#state, command, { file: `/dev/syd (pid ${request.pid})`, line: 0, col: 1 });
      setRateLimit(this.#state.logRlimitBurst, this.#state.logRlimitIntervalNs);
      return { errno: 0, level: "info", msg: `${formatCommand(command)}: set` };
    }
    const startupOnly = [
      "setid",
      "timeout",
      "trace",
      "trace_noop",
      "passfd",
      "setenv",
      "unsetenv",
      "clearenv",
      // The namespaces are made before the sandbox's first process runs. uts/host and
      // uts/domain too, though the original changes them at run time (it reports them through
      // uname(2)); this syd would have to set the name inside the namespace.
      "namespace",
    ];
    // The original lets a running sandbox toggle trace/allow_unsafe_any_addr (its suite does),
    // trace/allow_unsafe_proc_pid_status, trace/deny_dotdot and the trace/force_* hardenings.
    const runtime = command.kind === "trace" &&
      (command.option === "allow_unsafe_any_addr" ||
        command.option === "allow_unsafe_proc_pid_status" ||
        command.option === "deny_dotdot" || isForceTraceOption(command.option));
    const fixedFs = command.kind === "trace_fs" &&
      !FS_HARDENING_OPTIONS[command.option].runtime;
    // As the original: Lock sandboxing is fixed once the sandbox runs (its Landlock domain is).
    const landlock = command.kind === "lock_rule" || command.kind === "lock_log" ||
      ((command.kind === "sandbox" || command.kind === "default") &&
        command.landlock !== undefined);
    if ((startupOnly.includes(command.kind) && !runtime) || fixedFs || landlock) {
      return {
        errno: EBUSY,
        level: "warn",
        msg: `${formatCommand(command)} can only be set before the sandbox starts`,
      };
    }
    const layer = startOnly(this.#state, command);
    if (layer !== undefined) {
      return {
        errno: EBUSY,
        level: "warn",
        msg: `${formatCommand(command)}: ${layer} sandboxing can only be turned on before the ` +
          "sandbox starts",
      };
    }
    if (command.kind === "ioctl_rule" && command.deny && command.op !== "+") {
      // As the original: the startup denylist is a filter the kernel applies; only additions
      // (judged by syd while ioctl is trapped) take effect after the start.
      return {
        errno: EBUSY,
        level: "warn",
        msg: `${
          formatCommand(command)
        }: the ioctl denylist can only shrink before the sandbox starts`,
      };
    }
    if (command.kind === "include") {
      return {
        errno: EINVAL,
        level: "warn",
        msg: "include is refused through /dev/syd: a sandboxed process may not make syd read files",
      };
    }
    const next = structuredClone(this.#state);
    if (command.kind === "include_profile") {
      const refused = this.#applyProfile(next, command.name);
      if (refused !== undefined) return refused;
    } else {
      const origin = { file: `/dev/syd (pid ${request.pid})`, line: this.#requests, col: 1 };
      apply(next, command, origin);
    }
    const unsupported = refusedByLibsyd(next);
    if (unsupported !== undefined) {
      return { errno: EOPNOTSUPP, level: "warn", msg: `${unsupported} is not supported yet` };
    }
    const policy = JSON.stringify(compile(next, this.#compileOptions));
    if (policy === this.#compiled()) return { errno: 0, level: "info", msg: "no change" };
    return { errno: 0, next, policy, level: "info", msg: "policy changed" };
  }

  /** Applies a built-in profile onto `state`; returns the refusal when it cannot. */
  #applyProfile(state: PolicyState, name: string): Outcome | undefined {
    const loaded = load([{ kind: "profile", name }], {
      env: this.#env,
      readTextFile: refuseFiles,
      realPath: refuseFiles,
    });
    const errors = loaded.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      const first = errors[0];
      return {
        errno: errors.every((d) => d.unsupported) ? EOPNOTSUPP : EINVAL,
        level: "warn",
        msg: `include_profile ${name}: ${first.message}${first.hint ? ` (${first.hint})` : ""}`,
      };
    }
    for (const applied of loaded.applied) {
      const refused = state.lock === "drop" ? dropRefusal(state, applied.command) : undefined;
      if (refused !== undefined) {
        return {
          errno: EPERM,
          level: "warn",
          msg: `include_profile ${name}: refused by lock:drop: ${refused}`,
        };
      }
      // Lock sandboxing is fixed once the sandbox runs (its Landlock domain is): a profile's
      // lock commands are left out, the rest applied (found by review: the state said off while
      // the kernel still enforced it).
      const command = applied.command;
      if (command.kind === "namespace") {
        return {
          errno: EBUSY,
          level: "warn",
          msg: `include_profile ${name}: ${formatCommand(command)} can only be set before the ` +
            "sandbox starts",
        };
      }
      const layer = startOnly(state, command);
      if (layer !== undefined) {
        return {
          errno: EBUSY,
          level: "warn",
          msg: `include_profile ${name}: ${layer} sandboxing can only be turned on before the ` +
            "sandbox starts",
        };
      }
      if (command.kind === "lock_rule" || command.kind === "lock_log") continue;
      const rest = (command.kind === "sandbox" || command.kind === "default") &&
          command.landlock !== undefined
        ? { ...command, landlock: undefined }
        : command;
      apply(state, rest, { ...applied.origin, col: applied.col });
    }
    return undefined;
  }

  /**
   * Parses one request line; throws a {@linkcode MagicLineError} (with the id, when the line
   * had a good one) on garbage.
   *
   * @example
   * ```ts
   * MagicServer.parseLine('{"id":7,"pid":1234,"cmd":"sandbox/read?"}');
   * // { id: 7, pid: 1234, cmd: "sandbox/read?" }
   * ```
   */
  static parseLine(line: string): MagicRequest {
    const shown = line.length > 80
      ? `${JSON.stringify(line.slice(0, 80))}...`
      : JSON.stringify(line);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new MagicLineError(`request line is not JSON: ${shown}`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new MagicLineError(`request line is not a JSON object: ${shown}`);
    }
    const { id, pid, cmd, first } = value as Record<string, unknown>;
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
      throw new MagicLineError(`request "id" is not a whole number from 0 to 2^53-1: ${shown}`);
    }
    if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid < 1 || pid > PID_MAX) {
      throw new MagicLineError(`request "pid" is not a process id: ${shown}`, id);
    }
    if (first !== undefined && typeof first !== "boolean") {
      throw new MagicLineError(`request "first" is not a boolean: ${shown}`, id);
    }
    if (typeof cmd !== "string") {
      throw new MagicLineError(`request "cmd" is not a string: ${shown}`, id);
    }
    return first === undefined ? { id, pid, cmd } : { id, pid, cmd, first };
  }
}

/** Splits a byte stream into lines of at most `max` bytes; a longer line is dropped whole. */
class LineSplitter {
  readonly #max: number;
  #parts: Uint8Array[] = [];
  #size = 0;
  #overlong = false;

  constructor(max: number) {
    this.#max = max;
  }

  /** The lines `chunk` completes; `null` stands for a line dropped for its length. */
  push(chunk: Uint8Array): (Uint8Array | null)[] {
    const lines: (Uint8Array | null)[] = [];
    let start = 0;
    while (start <= chunk.length) { // each pass takes up to one newline: at most length+1 passes
      const newline = chunk.indexOf(0x0a, start);
      this.#take(chunk.subarray(start, newline < 0 ? chunk.length : newline));
      if (newline < 0) break;
      lines.push(this.end());
      start = newline + 1;
    }
    return lines;
  }

  /** Ends the current line: its bytes, or `null` if it was too long. */
  end(): Uint8Array | null {
    const overlong = this.#overlong;
    const line = new Uint8Array(this.#size);
    let at = 0;
    for (const part of this.#parts) {
      line.set(part, at);
      at += part.length;
    }
    this.#parts = [];
    this.#size = 0;
    this.#overlong = false;
    return overlong ? null : line;
  }

  #take(piece: Uint8Array): void {
    if (this.#overlong || piece.length === 0) return;
    if (this.#size + piece.length > this.#max) {
      this.#overlong = true;
      this.#parts = [];
      this.#size = 0;
      return;
    }
    this.#parts.push(piece.slice()); // the stream may reuse its chunk
    this.#size += piece.length;
  }
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });
const LOSSY_UTF8 = new TextDecoder("utf-8");

/**
 * Reads request lines from `readable` until it ends, calling `reply` for each answer, in order.
 * A bad line is logged and skipped (its id unknown), or answered EINVAL when its id is readable
 * (a line that is not UTF-8, a bad pid or cmd). Returns when the stream ends or fails. Never
 * throws: a failing `reply` or stream is logged.
 *
 * @example
 * ```ts
 * await serveMagic(requests.readable, server, (answer) => native.magicAnswer(answer));
 * ```
 */
export async function serveMagic(
  readable: ReadableStream<Uint8Array>,
  server: MagicServer,
  reply: (answer: MagicAnswer) => void,
): Promise<void> {
  const send = (answer: MagicAnswer) => {
    try {
      reply(answer);
    } catch (err) {
      // Not delivered: libsyd did not take the new policy, so neither does the server.
      server.revert(answer.id);
      log({ level: "warn", msg: `the answer was not delivered: ${String(err)}`, id: answer.id });
    }
  };
  const handle = (bytes: Uint8Array | null) => {
    try {
      handleLine(bytes);
    } catch (err) { // a bug: one request lost, the others still served
      log({ level: "error", msg: `a request line failed: ${String(err)}` });
    }
  };
  const handleLine = (bytes: Uint8Array | null) => {
    if (bytes === null) {
      log({ level: "warn", msg: `skipped a request line over ${LINE_BYTES_MAX} bytes` });
      return;
    }
    if (bytes.length === 0) return;
    let text: string;
    let utf8 = true;
    try {
      text = STRICT_UTF8.decode(bytes);
    } catch {
      text = LOSSY_UTF8.decode(bytes);
      utf8 = false;
    }
    let request: MagicRequest;
    try {
      request = MagicServer.parseLine(text);
    } catch (err) {
      const id = err instanceof MagicLineError ? err.id : undefined;
      const msg = id === undefined ? "skipped a request line" : "refused a request line";
      log({ level: "warn", msg: `${msg}: ${(err as Error).message}`, errno: EINVAL });
      if (id !== undefined) send({ id, errno: EINVAL });
      return;
    }
    if (!utf8) {
      log({
        level: "warn",
        msg: "the request line is not valid UTF-8",
        cmd: request.cmd,
        pid: request.pid,
        errno: EINVAL,
      });
      send({ id: request.id, errno: EINVAL });
      return;
    }
    send(server.answer(request));
  };

  const lines = new LineSplitter(LINE_BYTES_MAX);
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = readable.getReader();
  } catch (err) {
    log({ level: "error", msg: `cannot read requests: ${String(err)}` });
    return;
  }
  try {
    while (true) { // ends with the stream
      const { done, value } = await reader.read();
      if (done) break;
      for (const line of lines.push(value)) handle(line);
    }
    handle(lines.end()); // a last line without its newline
  } catch (err) {
    log({ level: "error", msg: `reading requests failed: ${String(err)}` });
  } finally {
    reader.releaseLock();
  }
}
