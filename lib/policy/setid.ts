/**
 * SafeSetID, as the original's (3.59): the uid and gid transits a sandbox may make
 * (`setuid+SRC:DST`, `setgid+SRC:DST`), the options `trace/allow_safe_setuid`,
 * `trace/allow_safe_setgid` and `trace/allow_unsafe_setid`, and the checks the original makes
 * when a transit is added and when the sandbox starts. Every command here is fixed once the
 * sandbox runs (EBUSY through /dev/syd).
 *
 * A transit goes from a uid to a higher one above 11 (gid: above 14), one target per source, and
 * transits do not chain. When the sandbox starts, any transit turns its `allow_safe_*` option on;
 * the option on with no transit, or with none from syd's own uid (gid), is ENODATA.
 *
 * @module
 */
import type { Command } from "./parse.ts";
import type { Origin } from "./state.ts";

/** The original's UID_MIN: uids up to it are privileged, never a transit's target. */
export const UID_MIN = 11;
/** The original's GID_MIN: gids up to it are privileged, never a transit's target. */
export const GID_MIN = 14;
/** The original's MAXACLRULES: the most transits of each kind. */
export const SETID_RULES_MAX = 4096;
/** The largest uid or gid (u32). */
export const ID_MAX = 0xffff_ffff;

const EACCES = 13;
const EEXIST = 17;
const ENOSPC = 28;
const ENODATA = 61;

/** A transit's kind: `setuid` (uid) or `setgid` (gid). */
export type SetidKind = "uid" | "gid";

/** A setuid or setgid command. */
export type SetidCommand = Extract<Command, { kind: "setid" }>;

/** One transit: `src` may change to `dst`. */
export interface SetidRule {
  src: number;
  dst: number;
  origin: Origin;
}

/** SafeSetID's state: the transits in the order added, and the options. */
export interface SetidState {
  uid: SetidRule[];
  gid: SetidRule[];
  /** trace/allow_safe_setuid as set (turned on when the sandbox starts if there are uid transits). */
  allowSafeSetuid: boolean;
  /** trace/allow_safe_setgid, likewise. */
  allowSafeSetgid: boolean;
  /** trace/allow_unsafe_setid: a change to a privileged id is EPERM rather than a kill. */
  allowUnsafeSetid: boolean;
}

/** SafeSetID before any command: no transits, every option off. */
export function initialSetid(): SetidState {
  return {
    uid: [],
    gid: [],
    allowSafeSetuid: false,
    allowSafeSetgid: false,
    allowUnsafeSetid: false,
  };
}

/** The lowest target of a kind's transits is one above this. */
export function idMin(id: SetidKind): number {
  return id === "uid" ? UID_MIN : GID_MIN;
}

/**
 * Parses a uid or gid as the original's `str2uid` (the `btoi` crate, u32): decimal, `0x`/`0X`
 * hex or `0o`/`0O` octal digits after an optional `+` or `-` (only `-0` is in range). Returns
 * the number, "overflow" for a value out of u32 (EOVERFLOW), or undefined for anything else
 * (EINVAL), the first error in reading order winning, as the crate's.
 *
 * @example
 * ```ts
 * parseId("0xfffe"); // 65534
 * parseId("4294967296"); // "overflow"
 * parseId("nobody"); // undefined
 * ```
 */
export function parseId(text: string): number | "overflow" | undefined {
  let radix = 10;
  let digits = text;
  if (/^0[xX]/.test(digits)) {
    radix = 16;
    digits = digits.slice(2);
  } else if (/^0[oO]/.test(digits)) {
    radix = 8;
    digits = digits.slice(2);
  }
  let negative = false;
  if (digits.startsWith("+")) digits = digits.slice(1);
  else if (digits.startsWith("-")) {
    negative = true;
    digits = digits.slice(1);
  }
  if (digits.length === 0) return undefined;
  let value = 0;
  for (const c of digits) {
    const digit = /^[0-9a-zA-Z]$/.test(c) ? parseInt(c, 36) : NaN;
    if (!(digit < radix)) return undefined;
    value = value * radix + (negative ? -digit : digit);
    if (value > ID_MAX || value < 0) return "overflow";
  }
  return value || 0; // -0 is 0
}

/** `setuid+SRC:DST` and the other forms, as written back. */
export function formatSetid(command: SetidCommand): string {
  const head = command.id === "uid" ? "setuid" : "setgid";
  if (command.op === "^") return `${head}^${command.src ?? ""}`;
  return `${head}${command.op}${command.src}:${command.dst}`;
}

/** A transit as its command. */
function ruleText(id: SetidKind, rule: { src: number; dst: number }): string {
  return `${id === "uid" ? "setuid" : "setgid"}+${rule.src}:${rule.dst}`;
}

/** Why adding a transit is refused, with the errno syd exits with. */
export interface SetidRefusal {
  message: string;
  errno: number;
  hint?: string;
  /** The value it is about: the source or the target (else the whole command). */
  at?: "src" | "dst";
}

/**
 * Why the original refuses `command` given the transits already in `state` (the checks that need
 * them, after the parser's): another target for the same source (EEXIST), a chain (EACCES), too
 * many transits (ENOSPC). Undefined when it may be applied; an equal transit is accepted and
 * changes nothing. Removals are never refused.
 */
export function setidRefusal(
  state: SetidState,
  command: SetidCommand,
): SetidRefusal | undefined {
  if (command.op !== "+") return undefined;
  const { src, dst } = command as { src: number; dst: number };
  const rules = state[command.id];
  const name = command.id;
  if (rules.some((r) => r.src === src && r.dst === dst)) return undefined;
  const same = rules.find((r) => r.src === src);
  if (same !== undefined) {
    return {
      message: `${name} ${src} has a transit already (${ruleText(name, same)}): one target per ` +
        "source",
      at: "src",
      errno: EEXIST,
      hint: `${formatSetid({ kind: "setid", id: name, op: "-", src, dst: same.dst })} removes it`,
    };
  }
  const chain = rules.find((r) => r.dst === src || r.src === dst);
  if (chain !== undefined) {
    return {
      message: `it would chain with ${ruleText(name, chain)}: transits do not chain`,
      errno: EACCES,
      at: chain.dst === src ? "src" : "dst",
      hint: `a transit goes straight from the source to its final ${name}`,
    };
  }
  if (rules.length >= SETID_RULES_MAX) {
    return {
      message: `more than ${SETID_RULES_MAX} ${name} transits`,
      errno: ENOSPC,
    };
  }
  return undefined;
}

/**
 * Applies a setuid or setgid command; returns how many transits a `-` or `^` removed. Throws when
 * {@linkcode setidRefusal} refuses it (the loader checks first).
 */
export function applySetid(state: SetidState, command: SetidCommand, origin: Origin): number {
  const rules = state[command.id];
  if (command.op === "+") {
    const refused = setidRefusal(state, command);
    if (refused !== undefined) throw new Error(`${formatSetid(command)}: ${refused.message}`);
    const { src, dst } = command as { src: number; dst: number };
    if (!rules.some((r) => r.src === src && r.dst === dst)) rules.push({ src, dst, origin });
    return 0;
  }
  const kept = rules.filter((r) =>
    command.src !== undefined && (r.src !== command.src ||
      (command.dst !== undefined && r.dst !== command.dst))
  );
  const removed = rules.length - kept.length;
  rules.splice(0, rules.length, ...kept);
  return removed;
}

/** Why syd would refuse to start (ENODATA), and which kind of transit it is about. */
export interface SetidStartProblem {
  errno: number;
  id: SetidKind;
  /** "no_rules": the option on without transits; "no_transit": none from syd's own id. */
  reason: "no_rules" | "no_transit";
  message: string;
}

/**
 * What the original does when the sandbox starts (its `Supervisor::run`): transits of a kind turn
 * its `allow_safe_*` option on; the option on with no transit, or with none whose source is
 * syd's own uid (gid) — which the sandbox could never use — is ENODATA. Checked in the original's
 * order: uid without transits, gid without, uid without syd's, gid without syd's. Changes
 * `state` (the options), as the original; idempotent.
 *
 * @example
 * ```ts
 * startSetid(state.setid, { uid: 0, gid: 0 })?.message;
 * // "setuid+1000:65534: no transit from syd's uid 0, the sandbox could never use it"
 * ```
 */
export function startSetid(
  state: SetidState,
  ids: { uid: number; gid: number },
): SetidStartProblem | undefined {
  const option = (id: SetidKind) => id === "uid" ? "allowSafeSetuid" : "allowSafeSetgid";
  for (const id of ["uid", "gid"] as const) {
    if (state[id].length > 0) state[option(id)] = true;
    else if (state[option(id)]) {
      return {
        errno: ENODATA,
        id,
        reason: "no_rules",
        message: `trace/allow_safe_set${id}:1 without any set${id}+SRC:DST transit: ` +
          "SafeSetID would have nothing to allow",
      };
    }
  }
  for (const id of ["uid", "gid"] as const) {
    const own = ids[id];
    if (state[option(id)] && !state[id].some((r) => r.src === own)) {
      const shown = state[id].slice(0, 3).map((r) => ruleText(id, r)).join(", ") +
        (state[id].length > 3 ? ", ..." : "");
      return {
        errno: ENODATA,
        id,
        reason: "no_transit",
        message: `${shown}: no transit from syd's ${id} ${own}, the sandbox could never use ` +
          `${state[id].length > 1 ? "them" : "it"} (set${id}+\${SYD_${id.toUpperCase()}}:TARGET)`,
      };
    }
  }
  return undefined;
}

/** SafeSetID as commands, which re-create it from the initial state. */
export function dumpSetid(state: SetidState): string[] {
  return [
    ...state.uid.map((r) => ruleText("uid", r)),
    ...state.gid.map((r) => ruleText("gid", r)),
    ...(state.allowSafeSetuid ? ["trace/allow_safe_setuid:1"] : []),
    ...(state.allowSafeSetgid ? ["trace/allow_safe_setgid:1"] : []),
    ...(state.allowUnsafeSetid ? ["trace/allow_unsafe_setid:1"] : []),
  ];
}

/** SafeSetID as libsyd reads it (ffi/judge/policy.zig `Document.setid`). */
export interface CompiledSetid {
  /** uid transits [SRC, DST], sorted by SRC. */
  uid: [number, number][];
  /** gid transits [SRC, DST], sorted by SRC. */
  gid: [number, number][];
  /** trace/allow_unsafe_setid. */
  allow_unsafe_setid: boolean;
}

/**
 * SafeSetID for libsyd, or undefined when there is no transit and allow_unsafe_setid is off. The
 * `allow_safe_*` options are implied by the transits (what the sandbox starts with).
 */
export function compileSetid(state: SetidState): CompiledSetid | undefined {
  if (state.uid.length === 0 && state.gid.length === 0 && !state.allowUnsafeSetid) {
    return undefined;
  }
  const pairs = (rules: readonly SetidRule[]) =>
    rules.map((r): [number, number] => [r.src, r.dst]).sort((a, b) => a[0] - b[0]);
  return {
    uid: pairs(state.uid),
    gid: pairs(state.gid),
    allow_unsafe_setid: state.allowUnsafeSetid,
  };
}
