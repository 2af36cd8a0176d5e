/**
 * The command grammar: one command (from `-m`, a `.syd-3` line, or `/dev/syd/...`) into a value.
 *
 * Operators: `key:value` set, `key?` query, `list+value` add, `list-value` remove the most
 * recent equal entry, `list^value` remove every equal entry, and bare commands (`reset`).
 *
 * @module
 */
import { IoctlListError, type IoctlRequest, parseIoctlList } from "./ioctl.ts";
import { type Address, AddressError, decodeHex, formatAddress, parseAddress } from "./address.ts";
import { checkPattern, PatternError } from "./pattern.ts";
import { FsTypeError, type FsTypes, parseFsTypes } from "./fs_types.ts";
import { formatSetid, idMin, parseId, type SetidKind } from "./setid.ts";
import { type ForceCommand, ForceError, formatForce, parseForce } from "./force.ts";
import {
  formatNamespaceCommand,
  type NamespaceCommand,
  NamespaceError,
  parseNamespaceCommand,
} from "./namespaces.ts";
import {
  type Action,
  ACTIONS,
  CATEGORIES,
  type Category,
  CATEGORY_ALIASES,
  type FilterTraceOption,
  type ForceTraceOption,
  FS_HARDENING_OPTIONS,
  isAction,
  isCategory,
  isFilterTraceOption,
  isForceTraceOption,
  isLimitLayer,
  isNetCategory,
  isUnsupportedKey,
  LIMIT_ACTIONS,
  LIMIT_KEYS,
  LIMIT_LAYERS,
  type LimitKey,
  type LimitLayer,
  nearest,
  NET_CATEGORIES,
  type NetCategory,
  NOOP_TRACE_OPTIONS,
  own,
  UNSUPPORTED_CATEGORIES,
} from "./vocab.ts";
import { formatTrustCommand, parseTrustCommand, type TpeFlag, TRUST_ACTIONS } from "./trust.ts";

/** A list operator. */
import {
  LOCK_COMPAT,
  LOCK_LOG_FLAGS,
  LOCK_NAMES,
  type LockCompat,
  type LockRule,
  LockSyntaxError,
  parseLockRule,
} from "./landlock.ts";

export type Op = "+" | "-" | "^";
/** A lock state. */
export type LockState = "on" | "off" | "exec" | "drop";
/** A trace option. */
export type TraceOption =
  | "exit_wait_all"
  | "deny_dotdot"
  | "allow_unsupp_socket"
  | "allow_unsafe_ptrace"
  | "sync_seccomp"
  | "allow_unsafe_exec_ldso"
  | "allow_unsafe_exec_stack"
  | "allow_unsafe_exec_speculative"
  | "allow_unsafe_exec_script"
  | "allow_unsafe_exec_interactive"
  | "allow_unsafe_any_addr"
  | "allow_unsafe_kcapi"
  | "allow_unsafe_oob"
  | "allow_unsafe_recvmsg"
  | "allow_safe_bind"
  | "allow_unsafe_proc_pid_status"
  | "allow_safe_setuid"
  | "allow_safe_setgid"
  | "allow_unsafe_setid"
  | FilterTraceOption
  | ForceTraceOption;

/** One parsed command. */
export type Command =
  | {
    kind: "sandbox";
    categories: Category[];
    on: boolean;
    /** Turned off, the original's categories this syd does not have (true of them here). */
    absent?: string[];
    /** fs sandboxing too (by filesystem type; it is not in `all`, as in the original). */
    fs?: boolean;
    /** Lock sandboxing (Landlock) too: `lock` in the list. */
    landlock?: boolean;
    /** Memory sandboxing too: `mem` in the list. */
    mem?: boolean;
    /** PID sandboxing too: `pid` in the list. */
    pid?: boolean;
    /** Trusted Path Execution too: `tpe` in the list (lib/policy/trust.ts). */
    tpe?: boolean;
    /** Force sandboxing too: `force` in the list. */
    force?: boolean;
  }
  | {
    kind: "sandbox_query";
    categories: Category[];
    landlock?: boolean;
    mem?: boolean;
    pid?: boolean;
    tpe?: boolean;
    force?: boolean;
  }
  | {
    kind: "default";
    categories: Category[];
    action: Action;
    fs?: boolean;
    /** default/lock: Landlock's compatibility level. */
    landlock?: LockCompat;
    /** default/mem too (never allow). */
    mem?: boolean;
    /** default/pid too (never allow, deny or panic). */
    pid?: boolean;
    /** default/tpe and default/segvguard too (never allow). */
    tpe?: boolean;
    segvguard?: boolean;
    /** default/force too (never allow). */
    force?: boolean;
  }
  /** tpe/gid:GID|none (lib/policy/trust.ts). */
  | { kind: "tpe_gid"; gid: number | null }
  /** tpe/negate, tpe/root_owned, tpe/user_owned, tpe/root_mount. */
  | { kind: "tpe_flag"; flag: TpeFlag; value: boolean }
  /** segvguard/expiry and segvguard/suspension (milliseconds), segvguard/maxcrashes (a count). */
  | { kind: "segvguard"; key: "expiry" | "suspension" | "maxcrashes"; value: number }
  /** force+PATH:ALGORITHM:HASHHEX[:ACTION], force-PATH, force^ (lib/policy/force.ts). */
  | ForceCommand
  /** mem/max:SIZE, mem/vm_max:SIZE (bytes), pid/max:N (tasks); 0: no limit. An unsigned 64-bit value. */
  | { kind: "limit"; key: LimitKey; value: bigint }
  /**
   * SafeSetID: `setuid+SRC:DST` adds a transit, `setuid-SRC:DST` removes it, `setuid^SRC` removes
   * those of SRC, `setuid^` all (`setgid` likewise). `src` and `dst` are set as the form has them.
   */
  | { kind: "setid"; id: SetidKind; op: Op; src?: number; dst?: number }
  /**
   * Namespaces and the container form: unshare/, bind, bind-try, root:, root/map, workdir:,
   * uts/host, uts/domain, time, trace/allow_unsafe_namespace:none (lib/policy/namespaces.ts).
   */
  | NamespaceCommand
  /** allow/lock/RIGHTS{+,-,^}PATH|PORTS (lib/policy/landlock.ts). */
  | LockRule
  /** log/lock/FLAGS:BOOL: landlock_restrict_self's logging flags. */
  | { kind: "lock_log"; names: string; flags: number; value: boolean }
  | { kind: "fs_rule"; action: Action; op: Op; text: string; types: FsTypes }
  | { kind: "passfd"; op: Op; text: string; all: boolean; ranges: [number, number][] }
  | { kind: "setenv"; name: string; value: string }
  | { kind: "unsetenv"; name: string }
  | { kind: "clearenv" }
  /** Path categories, possibly with network ones (then the pattern is a UNIX socket path too). */
  | { kind: "rule"; action: Action; categories: Category[]; op: Op; pattern: string }
  | { kind: "net_rule"; action: Action; categories: NetCategory[]; op: Op; address: Address }
  | { kind: "lock"; state: LockState }
  | { kind: "timeout"; ms: number }
  /** log/rlimit_burst and log/rlimit_interval: identical records allowed per interval. */
  | { kind: "log_rlimit"; burst?: number; intervalNs?: number }
  /**
   * mask+PATTERN[:TARGET[:DIRTARGET]], mask-PATTERN, mask^ (no pattern: every mask). `target`
   * (default /dev/null) and `dirTarget` (for directories; default `target`) are normalized
   * absolute paths.
   */
  | { kind: "mask"; op: Op; pattern: string; target?: string; dirTarget?: string }
  /** allow/ioctl and deny/ioctl: request verdicts (lib/policy/ioctl.ts). */
  | { kind: "ioctl_rule"; deny: boolean; op: Op; text: string; requests: IoctlRequest[] }
  | { kind: "trace"; option: TraceOption; value: boolean }
  | { kind: "trace_noop"; option: string; value: boolean }
  /** One of vocab's FS_HARDENING_OPTIONS. */
  | { kind: "trace_fs"; option: string; value: boolean }
  | { kind: "reset" }
  | { kind: "include"; path: string }
  | { kind: "include_profile"; name: string };

/** Why a command was refused: a message, the 0-based offset it points at, and a hint. */
export class CommandError extends Error {
  readonly offset: number;
  readonly hint?: string;
  /** True for commands of the original syd that this project does not implement. */
  readonly unsupported: boolean;
  /** The errno syd exits with for it (EINVAL when unset). */
  readonly errno?: number;
  constructor(
    message: string,
    offset: number,
    options: { hint?: string; unsupported?: boolean; errno?: number } = {},
  ) {
    super(message);
    this.name = "CommandError";
    this.offset = offset;
    this.hint = options.hint;
    this.unsupported = options.unsupported ?? false;
    this.errno = options.errno;
  }
}

/** The longest time limit: 366 days, in milliseconds. */
export const DURATION_MS_MAX = 366 * 24 * 3_600_000;

/**
 * Parses a duration: a number with an optional unit (ms, s, m, h; seconds without one), from
 * 1 ms to 366 days. Returns undefined for anything else.
 *
 * @example
 * ```ts
 * parseDurationMs("1.5s"); // 1500
 * parseDurationMs("0"); // undefined
 * ```
 */
export function parseDurationMs(text: string): number | undefined {
  const match = /^([0-9]{1,12}(?:\.[0-9]{1,9})?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? "s"] ?? 1000;
  const ms = Math.round(Number(match[1]) * scale);
  return ms >= 1 && ms <= DURATION_MS_MAX ? ms : undefined;
}

/**
 * Parses a duration in nanoseconds, as the original's log/rlimit_interval takes it: a bare
 * integer is nanoseconds; otherwise numbers with units (ns, us, ms, s, m, h, d), summed
 * ("1m 30s"). Up to 366 days. Returns undefined for anything else.
 *
 * @example
 * ```ts
 * parseDurationNs("5000000000"); // 5e9
 * parseDurationNs("1.5s"); // 1.5e9
 * ```
 */
export function parseDurationNs(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^[0-9]{1,17}$/.test(trimmed)) {
    const ns = Number(trimmed);
    return ns <= DURATION_MS_MAX * 1e6 ? ns : undefined;
  }
  const scale: Record<string, number> = {
    ns: 1,
    us: 1e3,
    ms: 1e6,
    s: 1e9,
    m: 6e10,
    h: 3.6e12,
    d: 8.64e13,
  };
  const part = /([0-9]{1,12}(?:\.[0-9]{1,9})?)\s*(ns|us|ms|s|m|h|d)\s*/y;
  let ns = 0;
  let at = 0;
  while (at < trimmed.length) {
    part.lastIndex = at;
    const match = part.exec(trimmed);
    if (!match) return undefined;
    ns += Number(match[1]) * scale[match[2]];
    at = part.lastIndex;
  }
  ns = Math.round(ns);
  return at > 0 && ns <= DURATION_MS_MAX * 1e6 ? ns : undefined;
}

const OPERATORS = ":?+-^!";
const LOCK_STATES: Readonly<Record<string, LockState>> = {
  on: "on",
  "1": "on",
  off: "off",
  "0": "off",
  exec: "exec",
  x: "exec",
  drop: "drop",
  d: "drop",
};
const TOP_WORDS = [
  "sandbox",
  "default",
  "mem",
  "pid",
  "tpe",
  "segvguard",
  "setuid",
  "setgid",
  "unshare",
  "uts",
  "root",
  "bind",
  "workdir",
  "time",
  ...ACTIONS,
  "lock",
  "timeout",
  "mask",
  "exec",
  "trace",
  "reset",
  "include",
  "include_profile",
];
/** Boolean values, as the original accepts them (case-insensitive). */
const BOOLEAN: Readonly<Record<string, boolean>> = {
  on: true,
  off: false,
  true: true,
  false: false,
  t: true,
  f: false,
  "1": true,
  "0": false,
  "\u2713": true,
  "\u2717": false,
};

function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const guess = nearest(word, candidates);
  return guess === undefined || guess === word ? undefined : `did you mean "${guess}"?`;
}

/**
 * Parses a comma list of categories starting at `offset` in the command. `skipUnsupported`:
 * leave out the original's categories this syd does not have (for `sandbox/X:off`, which is
 * true of them here) instead of refusing them.
 */
function parseCategories(
  text: string,
  offset: number,
  skipped?: string[],
  fs?: { seen: boolean },
  landlock?: { seen: boolean },
  layers?: LimitLayer[],
  trust?: string[],
): Category[] {
  if (text.length === 0) throw new CommandError("missing category", offset);
  const out: Category[] = [];
  let at = offset;
  for (const name of text.split(",")) {
    const lower = name;
    if (lower.length === 0) throw new CommandError("empty category in the list", at);
    if (lower === "net/sendfd") {
      throw new CommandError(
        '"net/sendfd" was replaced in the original\'s 3.59 by sendfd and recvfd, which match the ' +
          "name of the fd passed (allow/sendfd+!file, allow/passfd+!all)",
        at,
      );
    }
    const alias = own(CATEGORY_ALIASES, lower);
    if (lower === "fs" && fs !== undefined) {
      fs.seen = true;
    } else if (lower === "lock" && landlock !== undefined) {
      landlock.seen = true;
    } else if (lower.startsWith("lock/")) {
      throw new CommandError(
        `"${name}" is a Landlock right, not a category: sandbox/lock turns Lock sandboxing on`,
        at,
        { hint: `allow/${name}+PATH allows it beneath PATH` },
      );
    } else if (trust !== undefined && (lower === "tpe" || lower === "segvguard")) {
      if (lower === "segvguard" && !trust.includes("segvguard:ok")) {
        throw new CommandError(`unknown category "${name}"`, at, {
          hint: "SegvGuard takes default/segvguard and segvguard/expiry:0 (off)",
        });
      }
      if (!trust.includes(lower)) trust.push(lower);
    } else if (isLimitLayer(lower)) {
      if (layers === undefined) {
        throw new CommandError(
          `"${name}" has no rules: ${
            lower === "mem"
              ? "memory sandboxing takes mem/max:SIZE and mem/vm_max:SIZE"
              : lower === "force"
              ? "force sandboxing takes force+PATH:ALGORITHM:HASHHEX[:ACTION]"
              : "pid sandboxing takes pid/max:N"
          }`,
          at,
        );
      }
      if (!layers.includes(lower)) layers.push(lower);
    } else if (alias) {
      for (const c of alias) if (!out.includes(c)) out.push(c);
    } else if (isCategory(lower)) {
      if (!out.includes(lower)) out.push(lower);
    } else if (
      (UNSUPPORTED_CATEGORIES as readonly string[]).includes(lower)
    ) {
      if (skipped !== undefined) {
        if (!skipped.includes(lower)) skipped.push(lower);
        at += name.length + 1;
        continue;
      }
      throw new CommandError(`category "${name}" is not supported by this syd`, at, {
        unsupported: true,
      });
    } else {
      const hint = didYouMean(lower, [
        ...CATEGORIES,
        ...Object.keys(CATEGORY_ALIASES),
        ...(layers !== undefined ? LIMIT_LAYERS : []),
      ]);
      throw new CommandError(`unknown category "${name}"`, at, { hint });
    }
    at += name.length + 1;
  }
  return out;
}

const EPERM = 1;

/** `setenv!NAME=VALUE`, `unsetenv!NAME`, `clearenv!`: the program's environment (the value is
 * expanded when applied). syd's own `SYD_` variables may not be changed (EPERM, as the original). */
function parseEnvCommand(key: string, value: string, valueAt: number): Command {
  if (key === "clearenv") {
    if (value.length > 0) throw new CommandError('"clearenv!" takes no value', valueAt);
    return { kind: "clearenv" };
  }
  const eq = value.indexOf("=");
  const name = key === "setenv" ? (eq < 0 ? "" : value.slice(0, eq)) : value;
  if (value.startsWith("SYD_")) {
    const shown = key === "setenv" && eq >= 0 ? name : value;
    throw new CommandError(`${shown}: syd's own variables may not be changed`, valueAt, {
      errno: EPERM,
    });
  }
  if (key === "setenv" && eq < 0) throw new CommandError("setenv! needs NAME=VALUE", valueAt);
  if (!/^[^=\0]+$/.test(name)) throw new CommandError(`"${name}" is not a variable name`, valueAt);
  return key === "setenv"
    ? { kind: "setenv", name, value: value.slice(eq + 1) }
    : { kind: "unsetenv", name };
}

const FD_MAX = 0xffff_ffff;
const FD_WORDS: Readonly<Record<string, [number, number]>> = {
  stdio: [0, 2],
  stdin: [0, 0],
  stdout: [1, 1],
  stderr: [2, 2],
};

/** passfd's list: fds `N`, ranges `N-M`, `stdio`, `stdin`, `stdout`, `stderr`, or `all`. */
function parseFdList(text: string, offset: number): { all: boolean; ranges: [number, number][] } {
  if (text.length === 0) {
    throw new CommandError("passfd needs descriptors (3, 4-6, stdio, all)", offset);
  }
  const ranges: [number, number][] = [];
  let all = false;
  let at = offset;
  for (const item of text.split(",")) {
    const word = Object.hasOwn(FD_WORDS, item) ? FD_WORDS[item] : undefined;
    const match = /^([0-9]{1,10})(?:-([0-9]{1,10}))?$/.exec(item);
    if (item === "all") all = true;
    else if (word) ranges.push([...word]);
    else if (match) {
      const lo = Number(match[1]);
      const hi = match[2] === undefined ? lo : Number(match[2]);
      if (hi > FD_MAX || hi < lo) {
        throw new CommandError(`"${item}" is not an ascending range of descriptors`, at);
      }
      ranges.push([lo, hi]);
    } else {
      throw new CommandError(
        `"${item}" is not a descriptor, a range or stdio, stdin, stdout, stderr, all`,
        at,
      );
    }
    at += item.length + 1;
  }
  return { all, ranges };
}

/** `{ mem: true }`, `{ pid: true }`, both or neither, for the layers a category list named. */
function layerFlags(
  layers: readonly LimitLayer[],
): { mem?: boolean; pid?: boolean; force?: boolean } {
  return {
    ...(layers.includes("mem") ? { mem: true } : {}),
    ...(layers.includes("pid") ? { pid: true } : {}),
    ...(layers.includes("force") ? { force: true } : {}),
  };
}

/** The largest unsigned 64-bit value: the original's limits are u64. */
export const U64_MAX = (1n << 64n) - 1n;

const UNIT_SHIFTS: Readonly<Record<string, bigint>> = {
  k: 10n,
  m: 20n,
  g: 30n,
  t: 40n,
  p: 50n,
  e: 60n,
};

/**
 * Parses a size as the original's `mem/max` does (the `parse-size` crate, 1.1, with binary
 * units): a decimal number, with a fraction (`1.5`) and an exponent (`1e3`, `2E-1`), `_` and
 * spaces anywhere ignored; then an optional unit, case-insensitive, always binary: `K` (1024),
 * `M`, `G`, `T`, `P`, `E`, each with an optional `i` and `B` (`KiB`, `MB`, `Mi`); a lone `B` is
 * bytes. A fraction rounds to the nearest byte. Returns undefined for anything else, or above
 * 2^64-1.
 *
 * @example
 * ```ts
 * parseSize("64M"); // 67108864n
 * parseSize("1.5 KiB"); // 1536n
 * parseSize("1e3"); // 1000n
 * parseSize("0x10"); // undefined
 * ```
 */
export function parseSize(text: string): bigint | undefined {
  let src = text;
  let multiply = 1n;
  if (/[bB]$/.test(src)) src = src.slice(0, -1);
  if (/[iI]$/.test(src)) src = src.slice(0, -1);
  const shift = own(UNIT_SHIFTS, src.slice(-1).toLowerCase());
  if (shift !== undefined) {
    multiply = 1n << shift;
    src = src.slice(0, -1);
  }
  return parseSizeNumber(src, multiply);
}

const I32_MAX = 2 ** 31 - 1;
const I32_MIN = -(2 ** 31);

/** parse-size's `parse_size_with_multiple`, step for step (its u64, i32 and u128 arithmetic). */
function parseSizeNumber(src: string, multiply: bigint): bigint | undefined {
  type Ps = "empty" | "int" | "int_over" | "frac" | "frac_over" | "pos_exp" | "neg_exp";
  let state: Ps = "empty";
  let mantissa = 0n;
  let fractionalExponent = 0;
  let exponent = 0;
  for (const c of src) {
    const digit = c >= "0" && c <= "9" ? BigInt(c.charCodeAt(0) - 48) : undefined;
    if (digit !== undefined && (state === "int" || state === "empty")) {
      const m = mantissa * 10n + digit;
      if (m <= U64_MAX) {
        mantissa = m;
        state = "int";
      } else {
        if (digit >= 5n) mantissa += 1n;
        state = "int_over";
        fractionalExponent += 1;
      }
    } else if (digit !== undefined && state === "int_over") {
      fractionalExponent += 1;
    } else if (digit !== undefined && state === "frac") {
      const m = mantissa * 10n + digit;
      if (m <= U64_MAX) {
        mantissa = m;
        fractionalExponent -= 1;
      } else {
        if (digit >= 5n) mantissa += 1n;
        state = "frac_over";
      }
    } else if (digit !== undefined && state === "pos_exp") {
      const e = exponent * 10 + Number(digit);
      if (e > I32_MAX) return undefined;
      exponent = e;
    } else if (digit !== undefined && state === "neg_exp") {
      const e = exponent * 10 - Number(digit);
      if (e >= I32_MIN) exponent = e;
    } else if (
      c === "_" || c === " " || (state === "pos_exp" && c === "+") ||
      (state === "frac_over" && digit !== undefined)
    ) {
      // ignored
    } else if (
      (state === "int" || state === "frac" || state === "int_over" || state === "frac_over") &&
      (c === "e" || c === "E")
    ) {
      state = "pos_exp";
    } else if (state === "pos_exp" && c === "-") {
      state = "neg_exp";
    } else if (state === "int" && c === ".") {
      state = "frac";
    } else if (state === "int_over" && c === ".") {
      state = "frac_over";
    } else {
      return undefined;
    }
  }
  if (state === "empty") return undefined;
  const total = Math.max(I32_MIN, Math.min(I32_MAX, exponent + fractionalExponent));
  let result: bigint;
  if (total >= 0) {
    if (total > 19) return undefined; // 10^20 is above u64
    const power = 10n ** BigInt(total);
    const scaled = multiply * power;
    if (scaled > U64_MAX) return undefined;
    result = mantissa * scaled;
  } else if (total >= -38) {
    const power = 10n ** BigInt(-total);
    result = (mantissa * multiply + power / 2n) / power;
  } else {
    result = 0n;
  }
  return result <= U64_MAX ? result : undefined;
}

/** `mem/max:SIZE`, `mem/vm_max:SIZE`, `pid/max:N`. */
function parseLimit(
  key: string,
  head: "mem" | "pid",
  restAt: number,
  op: string,
  split: number,
  value: string,
  valueAt: number,
): Command {
  const keys = LIMIT_KEYS.filter((k) => k.startsWith(`${head}/`));
  if (!(keys as readonly string[]).includes(key)) {
    // As the original: anything else under mem/ or pid/ is EINVAL.
    throw new CommandError(`unknown command "${key}"`, restAt, {
      hint: didYouMean(key, keys) ?? keys.map((k) => `${k}:...`).join(" or "),
    });
  }
  expectOp(op, ":", key, split);
  if (head === "pid") {
    // As the original: Rust's u64 parse, no units, no spaces, an optional `+`.
    const count = /^\+?[0-9]+$/.test(value) ? BigInt(value) : undefined;
    if (count === undefined || count > U64_MAX) {
      throw new CommandError(`"${value}" is not a count of tasks (a decimal number)`, valueAt, {
        hint: "pid/max takes a plain number, e.g. pid/max:128; 0: no limit",
      });
    }
    return { kind: "limit", key: key as LimitKey, value: count };
  }
  const size = parseSize(value);
  if (size === undefined) {
    throw new CommandError(`"${value}" is not a size`, valueAt, {
      hint: "bytes, or a number with K, M, G, T (binary: 64M is 64 MiB); 0: no limit",
    });
  }
  return { kind: "limit", key: key as LimitKey, value: size };
}

const EACCES = 13;
const EOVERFLOW = 75;

/** The original's PATH_MAX: a field of a command at least this long (in bytes) is refused. */
const FIELD_BYTES_MAX = 4096;

/**
 * Whether `text` has the original's form of a setuid or setgid command (its `parse_setid_cmd`):
 * `set{u,g}id{+,-}SRC:DST` or `set{u,g}id^[SRC]`, SRC and DST non-empty, without `:` and shorter
 * than 4096 bytes. The values are not read: /dev/syd answers every such command EBUSY before it
 * reads them.
 */
export function isSetidSyntax(text: string): boolean {
  const match = /^set[ug]id(?:[+-]([^:]+):([^:]+)|\^([^:]*))$/.exec(text);
  if (match === null) return false;
  const encoder = new TextEncoder();
  return match.slice(1).every((field) =>
    field === undefined || encoder.encode(field).length < FIELD_BYTES_MAX
  );
}

/** Reads a uid or gid of a setuid or setgid command at `offset`. */
function setidValue(text: string, id: SetidKind, offset: number): number {
  const value = parseId(text);
  if (value === "overflow") {
    throw new CommandError(`"${text}" is out of range for a ${id} (0 to 4294967295)`, offset, {
      errno: EOVERFLOW,
    });
  }
  if (value === undefined) {
    throw new CommandError(
      `"${text}" is not a ${id}: a number (decimal, 0x hex or 0o octal); names are not taken`,
      offset,
      { hint: /^[a-z_]/i.test(text) ? `id -${id[0]} ${text} prints its number` : undefined },
    );
  }
  return value;
}

/**
 * `setuid+SRC:DST`, `setuid-SRC:DST`, `setuid^SRC`, `setuid^` and the setgid forms, with the
 * original's checks of an added transit that need no state, in its order: SRC == DST (EINVAL);
 * DST privileged (up to 11 for uids, 14 for gids) or below SRC (EACCES).
 */
function parseSetid(text: string): Command {
  const id: SetidKind = text[3] === "u" ? "uid" : "gid";
  const head = `set${id}`;
  const forms = `${head}+SRC:DST, ${head}-SRC:DST, ${head}^SRC or ${head}^`;
  if (!isSetidSyntax(text)) {
    if (/^set[ug]id(?:[+-][^:]+:[^:]+|\^[^:]*)$/.test(text)) {
      throw new CommandError(`a ${id} of ${FIELD_BYTES_MAX} bytes or more`, head.length + 1);
    }
    const op = text[head.length] ?? "";
    const at = Math.min(text.length, head.length + ("+-^".includes(op) && op !== "" ? 1 : 0));
    throw new CommandError(`"${head}" takes ${forms}`, at, {
      hint: op === "+" || op === "-"
        ? "a transit names its source and its target: SRC:DST"
        : op === "^"
        ? "^ takes a source alone"
        : undefined,
    });
  }
  const op = text[head.length] as Op;
  const valueAt = head.length + 1;
  const value = text.slice(valueAt);
  if (op === "^") {
    return value === ""
      ? { kind: "setid", id, op }
      : { kind: "setid", id, op, src: setidValue(value, id, valueAt) };
  }
  const colon = value.indexOf(":");
  const srcText = value.slice(0, colon);
  const dstText = value.slice(colon + 1);
  const dstAt = valueAt + colon + 1;
  const src = setidValue(srcText, id, valueAt);
  const dst = setidValue(dstText, id, dstAt);
  const command: Command = { kind: "setid", id, op, src, dst };
  if (op === "-") return command;
  if (src === dst) {
    throw new CommandError(
      `${formatSetid(command)}: a transit to the same ${id} changes nothing`,
      dstAt,
    );
  }
  const min = idMin(id);
  if (dst <= min) {
    throw new CommandError(
      `${formatSetid(command)}: ${id}s up to ${min} are privileged, never a transit's target`,
      dstAt,
      { errno: EACCES, hint: "a target above it, e.g. 65534 (nobody)" },
    );
  }
  if (src > dst) {
    throw new CommandError(
      `${formatSetid(command)}: a transit goes only to a higher ${id}`,
      dstAt,
      { errno: EACCES },
    );
  }
  return command;
}

function parseAction(text: string, offset: number): Action {
  if (isAction(text)) return text;
  if (text.length === 0) {
    throw new CommandError("missing action", offset, { hint: `one of ${ACTIONS.join(", ")}` });
  }
  throw new CommandError(`unknown action "${text}"`, offset, { hint: didYouMean(text, ACTIONS) });
}

function parseBoolean(text: string, offset: number): boolean {
  const value = own(BOOLEAN, text.toLowerCase());
  if (value !== undefined) return value;
  throw new CommandError(`"${text}" is not on or off`, offset, {
    hint: didYouMean(text, ["on", "off"]),
  });
}

function expectOp(op: string, allowed: string, key: string, offset: number): void {
  if (op === "" || !allowed.includes(op)) {
    const forms = [...allowed].map((o) => (o === "?" ? `${key}?` : `${key}${o}...`)).join(" or ");
    throw new CommandError(
      op === "" ? `"${key}" needs a value: ${forms}` : `"${key}" takes ${forms}, not "${op}"`,
      offset,
    );
  }
}

/**
 * Splits a mask command's value at its unescaped colons, resolving the original's escapes (`\:`
 * a colon, `\\` a backslash); a lone backslash is refused (EINVAL, as the original's).
 */
function maskFields(value: string, at: number): { text: string; at: number }[] {
  const fields = [{ text: "", at }];
  for (let i = 0; i < value.length; i++) {
    const field = fields[fields.length - 1];
    if (value[i] === "\\") {
      const next = value[i + 1];
      if (next !== ":" && next !== "\\") {
        throw new CommandError("a lone backslash in a mask command", at + i, {
          hint: "write \\: for a colon, \\\\ for a backslash",
        });
      }
      field.text += next;
      i++;
    } else if (value[i] === ":") fields.push({ text: "", at: at + i + 1 });
    else field.text += value[i];
  }
  return fields;
}

/**
 * A mask target, as the original's: absolute, with no `..` component (EINVAL); `.` components,
 * repeated and trailing slashes are dropped. Symlinks are not looked at here: opening a masked
 * path whose target is one fails (ELOOP), as in the original.
 */
function maskTarget(field: { text: string; at: number }): string {
  if (field.text === "") throw new CommandError("an empty mask target", field.at);
  if (!field.text.startsWith("/")) {
    throw new CommandError(`mask target "${field.text}" is not an absolute path`, field.at);
  }
  const parts = field.text.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) {
    throw new CommandError(`mask target "${field.text}" has a ".." component`, field.at);
  }
  return `/${parts.join("/")}`;
}

/** `mask+PATTERN[:TARGET[:DIRTARGET]]`, `mask-PATTERN`, `mask^`, as the original's 3.59. */
function parseMask(op: Op, value: string, at: number): Command {
  if (op === "^") {
    if (value !== "") {
      throw new CommandError("mask^ takes no pattern: it removes every mask", at, {
        hint: "mask-PATTERN removes one pattern's masks",
      });
    }
    return { kind: "mask", op, pattern: "" };
  }
  const fields = op === "-"
    ? [{ text: maskFields(value, at).map((f) => f.text).join(":"), at }]
    : maskFields(value, at);
  if (fields.length > 3) {
    throw new CommandError("a mask takes at most PATTERN:TARGET:DIRTARGET", fields[3].at - 1);
  }
  const pattern = checkPatternAt(fields[0].text, at);
  if (fields.length === 1) return { kind: "mask", op, pattern };
  const target = maskTarget(fields[1]);
  if (fields.length === 2) return { kind: "mask", op, pattern, target };
  return { kind: "mask", op, pattern, target, dirTarget: maskTarget(fields[2]) };
}

/** Escapes a mask field for `formatCommand` (`\` and `:`). */
function maskEscape(text: string): string {
  return text.replace(/[\\:]/g, (c) => `\\${c}`);
}

function checkPatternAt(pattern: string, offset: number): string {
  try {
    checkPattern(pattern);
  } catch (err) {
    if (err instanceof PatternError) throw new CommandError(err.message, offset + err.offset);
    throw err;
  }
  return pattern;
}

/**
 * Parses one command.
 *
 * @example
 * ```ts
 * parseCommand("allow/read,stat+/usr/***");
 * // { kind: "rule", action: "allow", categories: ["read", "stat"], op: "+", pattern: "/usr/***" }
 * ```
 */
export function parseCommand(text: string): Command {
  if (text.length === 0) throw new CommandError("empty command", 0);
  if (/^uts\/(?:host|domain):[^\n]*\0/.test(text)) {
    // As the original: a name holding a NUL is EILSEQ (the C string it makes would end there).
    throw new CommandError("a NUL in a name", text.indexOf("\0"), { errno: 84 });
  }
  if (/[\0\n]/.test(text)) {
    throw new CommandError("a command cannot contain NUL or newline", text.search(/[\0\n]/));
  }
  const include = /^(include|include_profile)([ \t])(.*)$/.exec(text);
  if (include) {
    // As the original: one separator, then the path verbatim (a file's name may begin with a
    // space or hold tabs); a profile's name is trimmed.
    const argument = include[1] === "include" ? include[3] : include[3].trim();
    const at = include[1].length + include[2].length;
    if (argument.trim().length === 0) {
      throw new CommandError(`${include[1]} needs an argument`, at + include[3].length);
    }
    return include[1] === "include"
      ? { kind: "include", path: argument }
      : { kind: "include_profile", name: argument };
  }
  if (/^@[^/]*\/(?:[a-z]+\/lock\/|sandbox\/[a-z,]*\block\b|default\/[a-z,]*\block\b)/.test(text)) {
    // As the original: a Landlock domain is the whole sandbox's, never a nested domain's.
    throw new CommandError("Lock sandboxing cannot be set for a nested domain (@...)", 0);
  }
  const lockRule = /^([a-z]+)\/lock\//.exec(text);
  if (lockRule && isAction(lockRule[1])) return parseLockCommand(text, lockRule[1]);
  let split = 0;
  while (split < text.length && !OPERATORS.includes(text[split])) split++;
  const key = text.slice(0, split);
  const op = text.slice(split, split + 1);
  const value = text.slice(split + 1);
  const valueAt = split + 1;
  if (key === "setuid" || key === "setgid") return parseSetid(text);
  try {
    const namespace = parseNamespaceCommand(text);
    if (namespace !== undefined) return namespace;
  } catch (err) {
    if (!(err instanceof NamespaceError)) throw err;
    throw new CommandError(err.message, err.offset, {
      hint: err.hint,
      unsupported: err.unsupported,
      errno: err.unsupported ? undefined : err.errno,
    });
  }
  if (op === "!" && (key === "setenv" || key === "unsetenv" || key === "clearenv")) {
    return parseEnvCommand(key, value, valueAt);
  }
  if (op === "!") {
    const unsupported = isUnsupportedKey(key) || key === "clearenv";
    const what = unsupported
      ? "is a command of the original syd that this syd does not support"
      : "is not a command syd knows";
    throw new CommandError(`"${key}!..." ${what}`, split, { unsupported });
  }

  const slash = key.indexOf("/");
  const head = slash < 0 ? key : key.slice(0, slash);
  const rest = slash < 0 ? "" : key.slice(slash + 1);

  if (key === "lock" && op === "") return { kind: "lock", state: "on" }; // bare `lock` locks
  if (key === "reset") {
    if (op !== "") throw new CommandError(`"reset" takes no value`, split);
    return { kind: "reset" };
  }
  if (head === "sandbox" && slash >= 0) {
    expectOp(op, ":?", key, split);
    if (op === ":" && value === "") {
      // As the original: ENOENT.
      throw new CommandError(`${key} needs a value: on or off`, valueAt, { errno: 2 });
    }
    // Off is true of a category this syd does not have (memory sandboxing, say): accepted.
    const off = op === ":" && parseBoolean(value, valueAt) === false;
    const absent: string[] = [];
    const fs = { seen: false };
    const landlock = { seen: false };
    const layers: LimitLayer[] = [];
    const trust: string[] = [];
    const categories = parseCategories(
      rest,
      slash + 1,
      off ? absent : undefined,
      fs,
      landlock,
      layers,
      trust,
    );
    const tpe = trust.includes("tpe") ? { tpe: true } : {};
    if (op === "?") {
      if (value.length > 0) throw new CommandError("a query takes no value", valueAt);
      return {
        kind: "sandbox_query",
        categories,
        ...(landlock.seen ? { landlock: true } : {}),
        ...layerFlags(layers),
        ...tpe,
      };
    }
    const on = parseBoolean(value, valueAt);
    return {
      kind: "sandbox",
      categories,
      on,
      ...(absent.length > 0 ? { absent } : {}),
      ...(fs.seen ? { fs: true } : {}),
      ...(landlock.seen ? { landlock: true } : {}),
      ...layerFlags(layers),
      ...tpe,
    };
  }
  if (head === "default" && slash >= 0) {
    expectOp(op, ":", key, split);
    const fs = { seen: false };
    const landlock = { seen: false };
    const layers: LimitLayer[] = [];
    const trust: string[] = ["segvguard:ok"];
    const categories = parseCategories(rest, slash + 1, undefined, fs, landlock, layers, trust);
    if (landlock.seen && !(LOCK_COMPAT as readonly string[]).includes(value)) {
      throw new CommandError(
        `"${value}" is not a Landlock compatibility level (kill: hard requirement, deny: soft ` +
          "requirement, warn: best effort)",
        valueAt,
      );
    }
    const action = parseAction(value, valueAt);
    for (const layer of layers) {
      // As the original (EINVAL): memory sandboxing has no allow; pid sandboxing judges a fork
      // after it happened, so it has no allow, deny or panic either.
      if (!LIMIT_ACTIONS[layer].includes(action)) {
        throw new CommandError(`default/${layer} cannot be ${action}`, valueAt, {
          hint: `one of ${LIMIT_ACTIONS[layer].join(", ")}`,
        });
      }
    }
    for (const layer of ["tpe", "segvguard"]) {
      if (trust.includes(layer) && !TRUST_ACTIONS.includes(action)) {
        throw new CommandError(`default/${layer} cannot be ${action}`, valueAt, {
          hint: `one of ${TRUST_ACTIONS.join(", ")}`,
        });
      }
    }
    return {
      kind: "default",
      categories,
      action,
      ...(fs.seen ? { fs: true } : {}),
      ...(landlock.seen ? { landlock: value as LockCompat } : {}),
      ...layerFlags(layers),
      ...(trust.includes("tpe") ? { tpe: true } : {}),
      ...(trust.includes("segvguard") ? { segvguard: true } : {}),
    };
  }
  const trustCommand = parseTrustCommand(key, op, value, valueAt);
  if (trustCommand !== undefined) return trustCommand;
  if ((head === "mem" || head === "pid") && slash >= 0) {
    return parseLimit(key, head, slash + 1, op, split, value, valueAt);
  }
  if (key === "force") {
    expectOp(op, "+-^", key, split);
    try {
      return parseForce(op as Op, value, isAction);
    } catch (err) {
      if (!(err instanceof ForceError)) throw err;
      throw new CommandError(err.message, valueAt + err.offset, { unsupported: err.unsupported });
    }
  }
  if (key === "passfd") {
    expectOp(op, "+-^", key, split);
    if (op === "^") {
      if (value.length > 0) throw new CommandError('"passfd^" takes no value', valueAt);
      return { kind: "passfd", op: "^", text: "", all: false, ranges: [] };
    }
    return { kind: "passfd", op: op as Op, text: value, ...parseFdList(value, valueAt) };
  }
  if (isAction(head) && rest === "fs") {
    expectOp(op, "+-^", key, split);
    if (value.length === 0) throw new CommandError("missing filesystem types", valueAt);
    try {
      return {
        kind: "fs_rule",
        action: head,
        op: op as Op,
        text: value,
        types: parseFsTypes(value),
      };
    } catch (err) {
      if (err instanceof FsTypeError) throw new CommandError(err.message, valueAt + err.offset);
      throw err;
    }
  }
  if (key === "lock") {
    expectOp(op, ":", key, split);
    // The original's short forms: 1 on, 0 off, x exec, d drop.
    const state = own(LOCK_STATES, value);
    if (state !== undefined) return { kind: "lock", state };
    if (["ipc", "i", "read", "r", "ro", "readonly", "read-only"].includes(value)) {
      throw new CommandError(`lock:${value} is not supported by this syd`, valueAt, {
        unsupported: true,
      });
    }
    throw new CommandError(`"${value}" is not a lock state (on, off, exec or drop)`, valueAt, {
      hint: didYouMean(value, ["on", "off", "exec", "drop"]),
    });
  }
  if (key === "timeout") {
    expectOp(op, ":", key, split);
    if (value === "none" || value === "off") return { kind: "timeout", ms: 0 };
    const ms = parseDurationMs(value);
    if (ms === undefined) {
      throw new CommandError(
        `"${value}" is not a duration (e.g. 30, 1.5s, 500ms, 2m, 1h; none or off: no limit)`,
        valueAt,
      );
    }
    return { kind: "timeout", ms };
  }
  if (key === "log/rlimit_burst") {
    expectOp(op, ":", key, split);
    if (!/^[0-9]{1,10}$/.test(value) || Number(value) > 0xffff_ffff) {
      throw new CommandError(`"${value}" is not a count (0 to 4294967295)`, valueAt);
    }
    return { kind: "log_rlimit", burst: Number(value) };
  }
  if (key === "log/rlimit_interval") {
    expectOp(op, ":", key, split);
    const ns = parseDurationNs(value);
    if (ns === undefined) {
      throw new CommandError(
        `"${value}" is not a duration (nanoseconds, or e.g. 5s, 250ms, 1m 30s; 0: no limit)`,
        valueAt,
      );
    }
    return { kind: "log_rlimit", intervalNs: ns };
  }
  if (key.startsWith("log/lock/")) {
    expectOp(op, ":", key, split);
    let flags = 0;
    let at = "log/lock/".length;
    for (const name of rest.slice("lock/".length).split(",")) {
      const plain = name.startsWith("log_") ? name.slice(4) : name;
      if (!Object.hasOwn(LOCK_LOG_FLAGS, plain)) {
        throw new CommandError(`unknown log/lock flag "${name}"`, at, {
          hint: didYouMean(plain, Object.keys(LOCK_LOG_FLAGS)),
        });
      }
      flags |= LOCK_LOG_FLAGS[plain];
      at += name.length + 1;
    }
    return {
      kind: "lock_log",
      names: rest.slice("lock/".length),
      flags,
      value: parseBoolean(value, valueAt),
    };
  }
  if (key === "exec/kill") {
    // syd 1's form: the original 3.59 answers EINVAL (22) too.
    throw new CommandError("exec/kill is not a command of syd 3", 0, {
      hint: "kill/exec+PATTERN kills a process that executes a matching path",
    });
  }
  if (key === "mask") {
    expectOp(op, "+-^", key, split);
    return parseMask(op as Op, value, valueAt);
  }
  if (
    key === "trace/exit_wait_all" || key === "trace/deny_dotdot" ||
    key === "trace/allow_unsupp_socket" || key === "trace/allow_unsafe_ptrace" ||
    key === "trace/sync_seccomp" ||
    key === "trace/allow_unsafe_exec_ldso" || key === "trace/allow_unsafe_exec_script" ||
    key === "trace/allow_unsafe_exec_interactive" || key === "trace/allow_unsafe_any_addr" ||
    key === "trace/allow_unsafe_kcapi" || key === "trace/allow_unsafe_oob" ||
    key === "trace/allow_unsafe_recvmsg" ||
    key === "trace/allow_safe_bind" || key === "trace/allow_unsafe_exec_speculative" ||
    key === "trace/allow_unsafe_exec_ldso" || key === "trace/allow_unsafe_proc_pid_status" ||
    key === "trace/allow_unsafe_exec_stack" ||
    key === "trace/allow_safe_setuid" || key === "trace/allow_safe_setgid" ||
    key === "trace/allow_unsafe_setid" ||
    (key.startsWith("trace/") && (isFilterTraceOption(rest) || isForceTraceOption(rest)))
  ) {
    expectOp(op, ":", key, split);
    return { kind: "trace", option: rest as TraceOption, value: parseBoolean(value, valueAt) };
  }
  // The original forces umask 7000 on regular files by default; this syd forces none, which
  // is what `off` (or -1) asks for. Any other umask is refused below (not supported).
  if (key === "trace/force_umask" && op === ":" && (value === "off" || value === "-1")) {
    return { kind: "trace_noop", option: "force_umask", value: false };
  }
  if (key.startsWith("trace/") && Object.hasOwn(FS_HARDENING_OPTIONS, rest)) {
    expectOp(op, ":", key, split);
    return { kind: "trace_fs", option: rest, value: parseBoolean(value, valueAt) };
  }
  if (key.startsWith("trace/") && Object.hasOwn(NOOP_TRACE_OPTIONS, rest)) {
    expectOp(op, ":", key, split);
    return { kind: "trace_noop", option: rest, value: parseBoolean(value, valueAt) };
  }
  if (key === "allow/ioctl" || key === "deny/ioctl") {
    expectOp(op, "+-^", key, split);
    try {
      const requests = parseIoctlList(value);
      return { kind: "ioctl_rule", deny: head === "deny", op: op as Op, text: value, requests };
    } catch (err) {
      if (err instanceof IoctlListError) throw new CommandError(err.message, valueAt + err.offset);
      throw err;
    }
  }
  if (isUnsupportedKey(key)) {
    throw new CommandError(
      `"${key}" is a command of the original syd that this syd does not support`,
      0,
      {
        unsupported: true,
      },
    );
  }
  if (isAction(head) && slash >= 0) {
    return parseRule(head, rest, slash + 1, op, value, valueAt, key);
  }
  if (slash >= 0 && !TOP_WORDS.includes(head)) {
    throw new CommandError(`unknown command "${head}/..."`, 0, {
      hint: didYouMean(head, TOP_WORDS),
    });
  }
  if (["sandbox", "default", ...ACTIONS].includes(key)) {
    throw new CommandError(`"${key}" needs categories: ${key}/CATEGORY[,CATEGORY...]`, key.length);
  }
  if (key === "include" || key === "include_profile") {
    throw new CommandError(`${key} takes its argument after a space: ${key} ARGUMENT`, key.length);
  }
  throw new CommandError(`unknown command "${key}"`, 0, { hint: didYouMean(key, TOP_WORDS) });
}

/**
 * `allow/lock/NAMES{+,-,^}ARG`. The names are matched longest first (`all-x` holds the `-` that
 * is also an operator), as the original's parser.
 */
function parseLockCommand(text: string, head: string): Command {
  const at = head.length + "/lock/".length;
  if (head !== "allow") {
    throw new CommandError(
      `Landlock only allows: "${head}/lock/..." is not a command (everything not allowed is denied)`,
      0,
      { hint: `allow/lock/RIGHTS+PATH` },
    );
  }
  const names = Object.keys(LOCK_NAMES).sort((a, b) => b.length - a.length);
  let i = at;
  for (;;) {
    const name = names.find((n) =>
      text.startsWith(n, i) && /^[,+\-^]?$/.test(text[i + n.length] ?? "")
    );
    const loose = names.find((n) => text.startsWith(n, i));
    if (
      name === undefined && loose !== undefined &&
      /^[a-z]/.test(text[i + loose.length] ?? "") === false
    ) {
      throw new CommandError(
        `allow/lock/ takes +, - or ^ after its rights, not "${text[i + loose.length]}"`,
        i + loose.length,
      );
    }
    if (name === undefined) {
      const end = text.slice(i).search(/[,+\-^:]/);
      const word = end < 0 ? text.slice(i) : text.slice(i, i + end);
      throw new CommandError(
        word.length === 0 ? "missing lock right" : `unknown lock right "${word}"`,
        i,
        { hint: word.length === 0 ? undefined : didYouMean(word, Object.keys(LOCK_NAMES)) },
      );
    }
    i += name.length;
    if (text[i] !== ",") break;
    i += 1;
  }
  const op = text.slice(i, i + 1);
  try {
    return parseLockRule(text.slice(at, i), op, text.slice(i + 1), at, i + 1);
  } catch (err) {
    if (err instanceof LockSyntaxError) throw new CommandError(err.message, err.offset);
    throw err;
  }
}

function parseRule(
  action: Action,
  categoryText: string,
  categoryAt: number,
  op: string,
  value: string,
  valueAt: number,
  key: string,
): Command {
  expectOp(op, "+-^", key, categoryAt + categoryText.length);
  let categories = parseCategories(categoryText, categoryAt);
  if (categories.includes("ioctl")) {
    // As the original (EINVAL): ioctl is judged by request number, never by path.
    throw new CommandError(
      "ioctl rules name requests, not paths: allow/ioctl+NAME or deny/ioctl+NAME, alone",
      categoryAt,
    );
  }
  // As the original, a value written wholly in hex (an even count of hex digits) is decoded:
  // the way to name an abstract socket whose name holds a NUL byte.
  try {
    value = decodeHex(value);
  } catch (err) {
    if (err instanceof AddressError) throw new CommandError(err.message, valueAt);
    throw err;
  }
  if (value.includes("\0") && !value.startsWith("@") && !/^unix(?:gram|packet)?!@/i.test(value)) {
    throw new CommandError("only an abstract socket name (@name) may hold a NUL byte", valueAt);
  }
  if (value.startsWith("!") && categories.some((c) => !isNetCategory(c))) {
    // An fd name (`!pipe`, `!memfd:*`) names nothing the network categories judge: the
    // original's `allow/all+!memfd:**` is a rule of the others.
    categories = categories.filter((c) => !isNetCategory(c));
  }
  const net = categories.filter(isNetCategory);
  if (net.length > 0 && net.length < categories.length && !value.startsWith("/")) {
    // Mixed categories share one argument, which must then be a path (a UNIX socket for net).
    throw new CommandError(
      "a rule for path and network categories at once needs an absolute path",
      valueAt,
    );
  }
  if (value.length === 0) {
    throw new CommandError(net.length > 0 ? "missing address" : "missing pattern", valueAt);
  }
  if (net.length === categories.length) {
    if (/^(?:unix(?:gram|packet)?!)?!unnamed$/i.test(value)) {
      // Unnamed UNIX sockets: socketpair and bind's autobind, judged for net/bind by this name.
      return {
        kind: "net_rule",
        action,
        categories: net,
        op: op as Op,
        address: { kind: "unix", pattern: "!unnamed" },
      };
    }
    try {
      return {
        kind: "net_rule",
        action,
        categories: net,
        op: op as Op,
        address: parseAddress(value),
      };
    } catch (err) {
      if (err instanceof AddressError) throw new CommandError(err.message, valueAt + err.offset);
      throw err;
    }
  }
  return {
    kind: "rule",
    action,
    categories,
    op: op as Op,
    pattern: checkPatternAt(value, valueAt),
  };
}

function formatCategories(categories: readonly Category[]): string {
  const same = (list: readonly string[]) =>
    list.length === categories.length && list.every((c, i) => categories[i] === c);
  const all = CATEGORY_ALIASES.all;
  if (same(all)) return "all";
  if (same(NET_CATEGORIES)) return "net";
  return categories.join(",");
}

/**
 * The canonical text of a command; `parseCommand` reads it back to an equal value.
 *
 * @example
 * ```ts
 * formatCommand({ kind: "lock", state: "on" }); // "lock:on"
 * ```
 */
export function formatCommand(command: Command): string {
  switch (command.kind) {
    case "sandbox":
      return `sandbox/${
        [
          formatCategories(command.categories),
          ...(command.fs ? ["fs"] : []),
          ...(command.landlock ? ["lock"] : []),
          ...(command.mem ? ["mem"] : []),
          ...(command.pid ? ["pid"] : []),
          ...(command.tpe ? ["tpe"] : []),
          ...(command.force ? ["force"] : []),
          ...(command.absent ?? []),
        ].filter((t) => t !== "").join(",")
      }:${command.on ? "on" : "off"}`;
    case "limit":
      return `${command.key}:${command.value}`;
    case "tpe_gid":
    case "tpe_flag":
    case "segvguard":
      return formatTrustCommand(command);
    case "force":
      return formatForce(command);
    case "setid":
      return formatSetid(command);
    case "namespace":
      return formatNamespaceCommand(command);
    case "fs_rule":
      return `${command.action}/fs${command.op}${command.text}`;
    case "passfd":
      return `passfd${command.op}${command.text}`;
    case "setenv":
      return `setenv!${command.name}=${command.value}`;
    case "unsetenv":
      return `unsetenv!${command.name}`;
    case "clearenv":
      return "clearenv!";
    case "sandbox_query":
      return `sandbox/${
        [
          formatCategories(command.categories),
          ...(command.landlock ? ["lock"] : []),
          ...(command.mem ? ["mem"] : []),
          ...(command.pid ? ["pid"] : []),
          ...(command.tpe ? ["tpe"] : []),
          ...(command.force ? ["force"] : []),
        ].filter((t) => t !== "").join(",")
      }?`;
    case "default":
      return `default/${
        [
          formatCategories(command.categories),
          ...(command.fs ? ["fs"] : []),
          ...(command.landlock ? ["lock"] : []),
          ...(command.mem ? ["mem"] : []),
          ...(command.pid ? ["pid"] : []),
          ...(command.tpe ? ["tpe"] : []),
          ...(command.segvguard ? ["segvguard"] : []),
          ...(command.force ? ["force"] : []),
        ].filter((t) => t !== "").join(",")
      }:${command.action}`;
    case "lock_rule":
      return `allow/lock/${command.names}${command.op}${
        "path" in command.target ? command.target.path : command.target.text
      }`;
    case "lock_log":
      return `log/lock/${command.names}:${command.value ? 1 : 0}`;
    case "rule":
      return `${command.action}/${
        formatCategories(command.categories)
      }${command.op}${command.pattern}`;
    case "net_rule":
      return `${command.action}/${formatCategories(command.categories)}${command.op}${
        formatAddress(command.address)
      }`;
    case "lock":
      return `lock:${command.state}`;
    case "timeout":
      return command.ms === 0 ? "timeout:none" : `timeout:${command.ms}ms`;
    case "log_rlimit":
      return command.burst !== undefined
        ? `log/rlimit_burst:${command.burst}`
        : `log/rlimit_interval:${command.intervalNs}`;
    case "mask":
      return `mask${command.op}${
        [command.pattern, command.target, command.dirTarget].filter((f) => f !== undefined)
          .map((f) => maskEscape(f as string)).join(":")
      }`;
    case "ioctl_rule":
      return `${command.deny ? "deny" : "allow"}/ioctl${command.op}${command.text}`;
    case "trace":
    case "trace_noop":
    case "trace_fs":
      if (command.option === "force_umask") return "trace/force_umask:off";
      return `trace/${command.option}:${command.value ? 1 : 0}`;
    case "reset":
      return "reset";
    case "include":
      return `include ${command.path}`;
    case "include_profile":
      return `include_profile ${command.name}`;
  }
}
