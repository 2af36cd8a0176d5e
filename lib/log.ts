/**
 * Logging: where records go, and the pump that reads libsyd's JSON lines from its log pipe.
 *
 * Records keep syslog's level names, as the original syd logs them (`error`, `warn`, `notice`,
 * `info`, `debug`). They go to stderr or to `SYD_LOG_FD` (negative: nowhere): as one readable
 * line each on a terminal, as JSON lines otherwise or whenever `SYD_LOG_FD` names an fd.
 *
 * @module
 */
/** syslog's level names, most severe first. */
export const LEVELS = ["error", "warn", "notice", "info", "debug"] as const;
/** A syslog level name. */
export type SydLevel = typeof LEVELS[number];

/**
 * Where records go: one sink, and the most verbose level it takes (an index into `LEVELS`;
 * -1 takes nothing). `@logtape/logtape` stood in for `@std/log` here until issue 14 measured it:
 * loading it cost 12 ms of syd's 125 ms start-up and 8 MB of its memory, for a level filter and
 * one sink, which is all syd asked of it.
 */
const output: { sink: (record: Record<string, unknown>) => void; lowest: number } = {
  sink: () => {},
  lowest: -1,
};

/**
 * Sends every record of `level` and above to `sink` instead of the configured output, until the
 * returned function is called (tests).
 */
export function captureLogs(
  sink: (record: Record<string, unknown>) => void,
  level: SydLevel = "debug",
): () => void {
  const saved = { ...output };
  output.sink = sink;
  output.lowest = LEVELS.indexOf(level);
  return () => Object.assign(output, saved);
}

/** Where and how records are written. */
export interface LogSetup {
  /** The most verbose level written. */
  level: SydLevel;
  /** The fd written to, or null for no logging at all. */
  fd: number | null;
  /** JSON lines (true) or one readable line per record (false). */
  json: boolean;
}

/** A bad `SYD_LOG` or `SYD_LOG_FD`. */
export class LogSetupError extends Error {
  /** The exit status, as the original's: EINVAL, EBADF (fd not open), EBADFD (not writable). */
  errno: number;
  constructor(message: string, errno = 22) {
    super(message);
    this.name = "LogSetupError";
    this.errno = errno;
  }
}

/**
 * Reads `SYD_LOG` and `SYD_LOG_FD`.
 *
 * @example
 * ```ts
 * logSetupFromEnv({ SYD_LOG: "debug" }, false); // { level: "debug", fd: 2, json: true }
 * ```
 */
export function logSetupFromEnv(
  env: Record<string, string | undefined>,
  stderrIsTerminal: boolean,
): LogSetup {
  const levelText = env.SYD_LOG ?? "warn";
  // The original takes syslog's names: emerg, alert and crit are errors here.
  const lower = levelText.toLowerCase();
  const named = ["emerg", "alert", "crit", "err"].includes(lower) ? "error" : lower;
  const level = LEVELS.find((name) => name === named);
  if (level === undefined) {
    throw new LogSetupError(
      `SYD_LOG: unknown level "${levelText}" (use one of ${LEVELS.join(", ")})`,
    );
  }
  const fdText = env.SYD_LOG_FD;
  if (fdText === undefined || fdText === "") return { level, fd: 2, json: !stderrIsTerminal };
  if (!/^-?[0-9]+$/.test(fdText)) {
    throw new LogSetupError(`SYD_LOG_FD: "${fdText}" is not a number`);
  }
  const fd = Number(fdText);
  if (fd < 0) return { level, fd: null, json: true };
  return { level, fd, json: true };
}

const ACCESS_VERBS: Readonly<Record<string, string>> = {
  deny: "denied",
  warn: "allowed (warn)",
  panic: "denied (panic)",
  stop: "denied and stopped",
  abort: "denied and aborted",
  kill: "denied and killed",
  exit: "denied, ending the sandbox:",
};

/**
 * The readable form of an access record:
 * `syd: denied read of /etc/shadow by cat[1234] (rule: default; allow with -m 'allow/read+/etc/shadow')`.
 */
export function formatAccess(record: Record<string, unknown>): string {
  const act = String(record.act);
  const verb = Object.hasOwn(ACCESS_VERBS, act) ? ACCESS_VERBS[act] : act;
  const tip = typeof record.tip === "string" && record.tip !== ""
    ? `; allow with -m '${record.tip}'`
    : "";
  const target = record.addr ?? record.path ?? record.family ?? "an unknown target";
  const who = record.cmd !== undefined ? `${record.cmd}[${record.pid}]` : `pid ${record.pid}`;
  const rule = record.rule !== undefined ? `rule: ${record.rule}` : String(record.msg ?? "");
  const why = rule === "" && tip !== "" ? tip.slice(2) : `${rule}${tip}`;
  return `syd: ${verb} ${record.cap} of ${target} by ${who}${why === "" ? "" : ` (${why})`}`;
}

/** The readable form of a record, for terminals. */
export function formatText(record: Record<string, unknown>): string {
  if (record.ctx === "access" && record.act !== undefined && record.cap !== undefined) {
    return formatAccess(record);
  }
  const { level, ctx, op, msg, ...rest } = record;
  const head = [String(level ?? "info"), ctx, op].filter((part) => part !== undefined).join(" ");
  const fields = Object.entries(rest)
    .filter(([key]) => key !== "time")
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  return `syd: ${head}${msg === undefined ? "" : `: ${msg}`}${
    fields.length ? ` (${fields.join(", ")})` : ""
  }`;
}

function writer(fd: number): (text: string) => void {
  const encoder = new TextEncoder();
  let file: { writeSync(bytes: Uint8Array): number } = Deno.stderr;
  if (fd !== 2) {
    try {
      file = Deno.openSync(`/proc/self/fd/${fd}`, { write: true, append: true });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      const open = err instanceof Deno.errors.NotFound ? false : true;
      throw new LogSetupError(
        `SYD_LOG_FD: fd ${fd} is not open${open ? " for writing" : ""} (${why})`,
        open ? 77 : 9, // EBADFD, EBADF
      );
    }
  }
  return (text) => {
    let bytes = encoder.encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
  };
}

/**
 * On a terminal, repeats of one record are written once: a copy that follows the same record
 * (whichever process it names) within `REPEAT_WINDOW_MS` of the last copy, with no other record
 * between them, is counted instead, and the count is written as one line when another record
 * comes or syd ends (`syd: the record above repeated 9 more times`).
 */
const REPEAT_WINDOW_MS = 2000;

/** What the terminal form holds back: the last record written, and its repeats since. */
const repeats = { key: "", atMs: 0, count: 0 };

/** The identity of a record for the rate limit and the terminal's repeat collapse. */
function recordKey(record: Record<string, unknown>): string {
  const { pid: _pid, time: _time, id: _id, uid: _uid, ...what } = record;
  return digest(JSON.stringify(what));
}

/**
 * A 64-bit digest of a record's text (two FNV-1a hashes), so that what the rate limit remembers
 * of a record is a few bytes, whatever its length: 4,096 windows stay well under a megabyte.
 */
function digest(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(36) + ":" + (b >>> 0).toString(36);
}

function repeatsLine(): string {
  const count = repeats.count;
  repeats.count = 0;
  return `syd: the record above repeated ${count} more time${count === 1 ? "" : "s"}\n`;
}

/** The denials of this run so far, by category (deny and the actions that punish; not warn). */
const denials = new Map<string, number>();

function countDenial(record: Record<string, unknown>): void {
  if (record.ctx !== "access" || record.act === "warn" || record.act === undefined) return;
  const cap = String(record.cap ?? "?");
  denials.set(cap, (denials.get(cap) ?? 0) + 1);
}

/** The summary of a run's denials (`syd: 14 denials: read 10, net/connect 4`), or "" if none. */
export function denialSummary(): string {
  let total = 0;
  for (const count of denials.values()) total += count;
  if (total === 0) return "";
  const parts = [...denials.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([cap, count]) => `${cap} ${count}`);
  return `syd: ${total} denial${total === 1 ? "" : "s"}: ${parts.join(", ")}`;
}

/** The end of the log: on a terminal, the repeats held back and the summary of the denials. */
let finish: () => void = () => {};

/** A copy the rate limit held back: on a terminal, a repeat of the record above when it is one. */
let heldBack: (key: string) => void = () => {};

/**
 * Ends the log of a run: on a terminal, writes the count of the repeats held back and, when
 * anything was denied, one summary line. Forgets the counts.
 */
export function finishLog(): void {
  finish();
  denials.clear();
}

/** Configures where syd's records go. Call once, before the first record. */
export function configureLogging(setup: LogSetup): void {
  output.sink = () => {};
  output.lowest = -1;
  repeats.key = "";
  repeats.count = 0;
  finish = () => {};
  heldBack = () => {};
  if (setup.fd === null) return;
  const write = writer(setup.fd);
  const sink = (record: Record<string, unknown>) => {
    const nowMs = Date.now();
    const props = { ...record, time: new Date(nowMs).toISOString() };
    if (setup.json) return write(JSON.stringify(props) + "\n");
    const key = recordKey(props);
    if (key === repeats.key && nowMs - repeats.atMs <= REPEAT_WINDOW_MS) {
      repeats.atMs = nowMs;
      repeats.count += 1;
      return;
    }
    const held = repeats.count > 0 ? repeatsLine() : "";
    repeats.key = key;
    repeats.atMs = nowMs;
    write(held + formatText(props) + "\n");
  };
  if (!setup.json) {
    heldBack = (key) => {
      if (key !== repeats.key) return;
      repeats.atMs = Date.now();
      repeats.count += 1;
    };
    finish = () => {
      const held = repeats.count > 0 ? repeatsLine() : "";
      repeats.key = "";
      const summary = denialSummary();
      if (held !== "" || summary !== "") write(held + (summary === "" ? "" : summary + "\n"));
    };
  }
  output.sink = sink;
  output.lowest = LEVELS.indexOf(setup.level);
}

/**
 * Rate limit of identical records, as the original's log/rlimit_burst and log/rlimit_interval:
 * within an interval at most `burst` copies of one record (whichever process it names) are logged; the copies held back are
 * counted, and the next copy after the interval first logs `{"ctx":"log","op":"rlimit",
 * "suppressed":N}`. Interval 0: no limit; burst 0: nothing is logged. At most `keys_max`
 * distinct records are remembered (the oldest forgotten first), so memory stays bounded however
 * much is logged.
 */
export class RateLimit {
  burst: number;
  intervalNs: number;
  readonly #keysMax: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, { beginNs: number; left: number; missed: number }>();

  constructor(
    burst: number,
    intervalNs: number,
    keysMax = 4096,
    now = () => performance.now() * 1e6,
  ) {
    this.burst = burst;
    this.intervalNs = intervalNs;
    this.#keysMax = keysMax;
    this.#now = now;
  }

  /** Forgets every window (and what each held back). */
  clear(): void {
    this.#windows.clear();
  }

  /** Whether a record with this key is logged, and how many copies were held back before it. */
  check(key: string): { allowed: boolean; suppressed: number } {
    if (this.intervalNs === 0) return { allowed: true, suppressed: 0 };
    if (this.burst === 0) return { allowed: false, suppressed: 0 };
    const now = this.#now();
    const window = this.#windows.get(key);
    if (window !== undefined && now - window.beginNs <= this.intervalNs) {
      if (window.left > 0) {
        window.left -= 1;
        return { allowed: true, suppressed: 0 };
      }
      window.missed += 1;
      return { allowed: false, suppressed: 0 };
    }
    const suppressed = window?.missed ?? 0;
    this.#windows.delete(key); // re-inserted last: the map's order is the age of the windows
    if (this.#windows.size >= this.#keysMax) {
      this.#windows.delete(this.#windows.keys().next().value!);
    }
    this.#windows.set(key, { beginNs: now, left: this.burst - 1, missed: 0 });
    return { allowed: true, suppressed };
  }
}

let rateLimit = new RateLimit(10, 5e9);

/** Sets the rate limit of identical records (log/rlimit_burst, log/rlimit_interval). */
export function setRateLimit(burst: number, intervalNs: number): void {
  // A new burst starts every window afresh; a new interval keeps what was held back, counted.
  if (burst !== rateLimit.burst) rateLimit.clear();
  rateLimit.burst = burst;
  rateLimit.intervalNs = intervalNs;
}

/**
 * Logs one record unless the rate limit of identical records holds it back. Only access
 * records (denials, warnings, what is learnt) are limited: syd's own errors and state changes
 * are few and each matters, and a held-back count would go unreported if syd ended next.
 */
export function emit(record: Record<string, unknown>): void {
  if (record.ctx !== "access") return emitNow(record);
  countDenial(record);
  // Identical: the same record from any process (the original's rate limit keys records before
  // it adds the process and the time to them).
  const key = recordKey(record);
  const { allowed, suppressed } = rateLimit.check(key);
  if (suppressed > 0) {
    emitNow({ level: record.level, ctx: "log", op: "rlimit", suppressed });
  }
  if (allowed) emitNow(record);
  else heldBack(key);
}

/** Starts afresh with the original's defaults (for tests). */
export function resetRateLimit(): void {
  rateLimit = new RateLimit(10, 5e9);
}

/**
 * This sandbox's id, as the original's: 64 random hexadecimal digits, first in every record, so
 * that the records of one run can be told from another's in a shared log.
 */
export const SANDBOX_ID = Array.from(
  crypto.getRandomValues(new Uint8Array(32)),
  (byte) => byte.toString(16).padStart(2, "0"),
).join("");

/**
 * Logs one record; `record.level` is a syslog level name, `record.ctx` its context. Records of
 * notice and above carry syd's `uid`, as the original's.
 */
function emitNow(record: Record<string, unknown>): void {
  const found = LEVELS.indexOf(record.level as SydLevel);
  const rank = found < 0 ? 0 : found; // an unknown level is an error
  if (rank > output.lowest) return;
  const level = LEVELS[rank];
  const uid = level === "info" || level === "debug" || "uid" in record ? {} : { uid: Deno.uid() };
  output.sink({ id: SANDBOX_ID, ...record, ...uid, level });
}

/** Turns one line from libsyd into a record; a line that is not a JSON object says so. */
export function parseLine(line: string): Record<string, unknown> {
  try {
    const value = JSON.parse(line);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // fall through
  }
  return { level: "error", ctx: "log", msg: "libsyd wrote a line that is not a JSON object", line };
}

/**
 * Reads libsyd's log pipe (opened through `/proc/self/fd/N`) until end of file, logging each
 * line. `opened()` runs once syd has its own descriptor, so libsyd may close its copy. An access
 * record carries a sequence number (`"sync":N`, removed here): `ack(N)` runs once it is
 * written out, and the call it is about is answered only then (ffi/run/log.zig). Reads into one
 * fixed buffer, so a run's memory does not grow with the records it writes.
 */
export async function pumpLog(
  fd: number,
  opened: () => void,
  ack: (seq: number) => void = () => {},
): Promise<void> {
  const file = await Deno.open(`/proc/self/fd/${fd}`, { read: true });
  opened();
  const decoder = new TextDecoder();
  const buf = new Uint8Array(64 * 1024);
  let pending = "";
  try {
    for (;;) {
      const n = await file.read(buf);
      if (n === null) break;
      pending += decoder.decode(buf.subarray(0, n), { stream: true });
      let start = 0;
      let newline;
      let seq = -1;
      while ((newline = pending.indexOf("\n", start)) >= 0) {
        const line = pending.slice(start, newline);
        start = newline + 1;
        if (line.length > 0) seq = pumpLine(line, seq);
      }
      pending = pending.slice(start);
      if (seq >= 0) ack(seq);
    }
    pending += decoder.decode();
    if (pending.length > 0) emit(parseLine(pending));
  } finally {
    file.close();
  }
}

/** Logs one line of libsyd's; returns its sequence number, or `seq` when it carries none. */
function pumpLine(line: string, seq: number): number {
  const record = parseLine(line);
  const sync = record.sync;
  if (typeof sync === "number") delete record.sync;
  emit(record);
  return typeof sync === "number" ? sync : seq;
}
