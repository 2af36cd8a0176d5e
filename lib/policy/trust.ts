/**
 * Trusted Path Execution (TPE) and SegvGuard, as the original's (syd.2 `sandbox/tpe`,
 * `default/tpe`, `tpe/*`, `default/segvguard`, `segvguard/*`): their commands, state, document
 * (ffi/judge/policy.zig `TrustDoc`) and `lock:drop` rules. The checks are ffi/exec/tpe.zig and
 * ffi/exec/segvguard.zig.
 *
 * @module
 */
import { type Command, CommandError, parseDurationMs } from "./parse.ts";
import { type Action, ACTIONS_BUT_ALLOW } from "./vocab.ts";

/** The original's `tpe/` flags. */
export const TPE_FLAGS = ["negate", "root_owned", "user_owned", "root_mount"] as const;
/** A `tpe/` flag. */
export type TpeFlag = typeof TPE_FLAGS[number];
/** The original's `segvguard/` settings. */
export const SEGVGUARD_KEYS = ["expiry", "suspension", "maxcrashes"] as const;
/** A `segvguard/` setting. */
export type SegvguardKey = typeof SEGVGUARD_KEYS[number];

/** The actions of `default/tpe` and `default/segvguard` (the original's: no allow). */
export const TRUST_ACTIONS: readonly Action[] = ACTIONS_BUT_ALLOW;

/** The original's SegvGuard defaults (config.rs): 2 minutes, 10 minutes, 5 crashes. */
export const SEGVGUARD_EXPIRY_MS = 120_000;
/** segvguard/suspension's default. */
export const SEGVGUARD_SUSPENSION_MS = 600_000;
/** segvguard/maxcrashes's default. */
export const SEGVGUARD_MAXCRASHES = 5;

/** TPE and SegvGuard settings. */
export interface TrustState {
  /** sandbox/tpe (the original's default: on). */
  tpe: boolean;
  tpeAction: Action;
  /** tpe/gid: null applies TPE to every user. */
  tpeGid: number | null;
  tpeNegate: boolean;
  tpeRootOwned: boolean;
  tpeUserOwned: boolean;
  tpeRootMount: boolean;
  segvguardAction: Action;
  /** segvguard/expiry in milliseconds; 0 turns SegvGuard off. */
  segvguardExpiryMs: number;
  segvguardSuspensionMs: number;
  segvguardMaxcrashes: number;
}

/** The original's defaults: TPE on for every user, SegvGuard on; both deny. */
export function initialTrust(): TrustState {
  return {
    tpe: true,
    tpeAction: "deny",
    tpeGid: null,
    tpeNegate: false,
    tpeRootOwned: false,
    tpeUserOwned: false,
    tpeRootMount: false,
    segvguardAction: "deny",
    segvguardExpiryMs: SEGVGUARD_EXPIRY_MS,
    segvguardSuspensionMs: SEGVGUARD_SUSPENSION_MS,
    segvguardMaxcrashes: SEGVGUARD_MAXCRASHES,
  };
}

const FLAG_FIELDS: Readonly<Record<TpeFlag, keyof TrustState>> = {
  negate: "tpeNegate",
  root_owned: "tpeRootOwned",
  user_owned: "tpeUserOwned",
  root_mount: "tpeRootMount",
};

const BOOLEANS: Readonly<Record<string, boolean>> = {
  "1": true,
  on: true,
  true: true,
  t: true,
  "0": false,
  off: false,
  false: false,
  f: false,
};

/**
 * Parses `tpe/...` and `segvguard/...` (`key` before the operator `op`, `value` after it at
 * `valueAt`); undefined for other keys.
 */
export function parseTrustCommand(
  key: string,
  op: string,
  value: string,
  valueAt: number,
): Command | undefined {
  const tpe = key.startsWith("tpe/");
  if (!tpe && !key.startsWith("segvguard/")) return undefined;
  const name = key.slice(key.indexOf("/") + 1);
  if (op !== ":") throw new CommandError(`"${key}" takes ${key}:VALUE`, valueAt - 1);
  if (tpe && name === "gid") {
    if (value === "none") return { kind: "tpe_gid", gid: null };
    if (!/^[0-9]{1,10}$/.test(value) || Number(value) > 0xffff_fffe) {
      throw new CommandError(`"${value}" is not a group id (or none)`, valueAt);
    }
    return { kind: "tpe_gid", gid: Number(value) };
  }
  if (tpe && (TPE_FLAGS as readonly string[]).includes(name)) {
    const on = Object.hasOwn(BOOLEANS, value.toLowerCase())
      ? BOOLEANS[value.toLowerCase()]
      : undefined;
    if (on === undefined) throw new CommandError(`"${value}" is not on or off`, valueAt);
    return { kind: "tpe_flag", flag: name as TpeFlag, value: on };
  }
  if (!tpe && name === "maxcrashes") {
    // As the original: a u8, 0 is invalid.
    if (!/^[0-9]{1,3}$/.test(value) || Number(value) === 0 || Number(value) > 255) {
      throw new CommandError(`"${value}" is not a count of crashes (1 to 255)`, valueAt);
    }
    return { kind: "segvguard", key: "maxcrashes", value: Number(value) };
  }
  if (!tpe && (name === "expiry" || name === "suspension")) {
    const ms = /^0+$/.test(value) ? 0 : parseDurationMs(value);
    // As the original: a suspension under a second is invalid; an expiry of 0 turns it off.
    if (ms === undefined || (name === "suspension" && ms < 1000)) {
      throw new CommandError(
        `"${value}" is not a duration (e.g. 120, 2m, 30s${name === "expiry" ? "; 0: off" : ""})`,
        valueAt,
      );
    }
    return { kind: "segvguard", key: name, value: ms };
  }
  throw new CommandError(`unknown command "${key}"`, 0, {
    hint: tpe
      ? "tpe/gid, tpe/negate, tpe/root_owned, tpe/user_owned, tpe/root_mount"
      : "segvguard/expiry, segvguard/suspension, segvguard/maxcrashes",
  });
}

/** The command text of a trust command (as `parseTrustCommand` reads it). */
export function formatTrustCommand(
  command: Extract<Command, { kind: "tpe_gid" | "tpe_flag" | "segvguard" }>,
): string {
  switch (command.kind) {
    case "tpe_gid":
      return `tpe/gid:${command.gid ?? "none"}`;
    case "tpe_flag":
      return `tpe/${command.flag}:${command.value ? 1 : 0}`;
    case "segvguard":
      return command.key === "maxcrashes"
        ? `segvguard/maxcrashes:${command.value}`
        : `segvguard/${command.key}:${formatMs(command.value)}`;
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}` : `${ms}ms`;
}

/** Applies a trust command to `trust`. */
export function applyTrust(
  trust: TrustState,
  command: Extract<Command, { kind: "tpe_gid" | "tpe_flag" | "segvguard" }>,
): void {
  switch (command.kind) {
    case "tpe_gid":
      trust.tpeGid = command.gid;
      return;
    case "tpe_flag":
      (trust[FLAG_FIELDS[command.flag]] as boolean) = command.value;
      return;
    case "segvguard":
      if (command.key === "expiry") trust.segvguardExpiryMs = command.value;
      else if (command.key === "suspension") trust.segvguardSuspensionMs = command.value;
      else trust.segvguardMaxcrashes = command.value;
  }
}

/** The commands that set `trust` from the defaults (for a dump). */
export function dumpTrust(trust: TrustState): string[] {
  const initial = initialTrust();
  const lines: string[] = [];
  if (trust.tpe !== initial.tpe) lines.push(`sandbox/tpe:${trust.tpe ? "on" : "off"}`);
  if (trust.tpeAction !== initial.tpeAction) lines.push(`default/tpe:${trust.tpeAction}`);
  if (trust.segvguardAction !== initial.segvguardAction) {
    lines.push(`default/segvguard:${trust.segvguardAction}`);
  }
  if (trust.tpeGid !== null) lines.push(formatTrustCommand({ kind: "tpe_gid", gid: trust.tpeGid }));
  for (const flag of TPE_FLAGS) {
    const value = trust[FLAG_FIELDS[flag]] as boolean;
    if (value !== initial[FLAG_FIELDS[flag]]) {
      lines.push(formatTrustCommand({ kind: "tpe_flag", flag, value }));
    }
  }
  const settings: [SegvguardKey, number, number][] = [
    ["expiry", trust.segvguardExpiryMs, initial.segvguardExpiryMs],
    ["suspension", trust.segvguardSuspensionMs, initial.segvguardSuspensionMs],
    ["maxcrashes", trust.segvguardMaxcrashes, initial.segvguardMaxcrashes],
  ];
  for (const [key, value, first] of settings) {
    if (value !== first) lines.push(formatTrustCommand({ kind: "segvguard", key, value }));
  }
  return lines;
}

/** ffi/judge/policy.zig `TrustDoc`. */
export interface CompiledTrust {
  tpe: boolean;
  tpe_action: Action;
  tpe_gid: number | null;
  tpe_negate: boolean;
  tpe_root_owned: boolean;
  tpe_user_owned: boolean;
  tpe_root_mount: boolean;
  segvguard_action: Action;
  segvguard_expiry_ms: number;
  segvguard_suspension_ms: number;
  segvguard_maxcrashes: number;
}

/** The document's `trust`, or undefined when it is as at first (ffi's defaults are the same). */
export function compileTrust(trust: TrustState): CompiledTrust | undefined {
  const initial = initialTrust();
  const same = (Object.keys(initial) as (keyof TrustState)[]).every((k) => trust[k] === initial[k]);
  if (same) return undefined;
  return {
    tpe: trust.tpe,
    tpe_action: trust.tpeAction,
    tpe_gid: trust.tpeGid,
    tpe_negate: trust.tpeNegate,
    tpe_root_owned: trust.tpeRootOwned,
    tpe_user_owned: trust.tpeUserOwned,
    tpe_root_mount: trust.tpeRootMount,
    segvguard_action: trust.segvguardAction,
    segvguard_expiry_ms: trust.segvguardExpiryMs,
    segvguard_suspension_ms: trust.segvguardSuspensionMs,
    segvguard_maxcrashes: trust.segvguardMaxcrashes,
  };
}

/**
 * Why a trust command is refused under `lock:drop`, as the original's: tpe/gid, tpe/negate and
 * tpe/user_owned never; tpe/root_owned and tpe/root_mount only on; segvguard/expiry and
 * segvguard/suspension only raised (expiry never to 0), segvguard/maxcrashes only lowered.
 */
export function trustDropRefusal(
  trust: TrustState,
  command: Extract<Command, { kind: "tpe_gid" | "tpe_flag" | "segvguard" }>,
): string | undefined {
  switch (command.kind) {
    case "tpe_gid":
      return "tpe/gid";
    case "tpe_flag":
      if (command.flag === "root_owned" || command.flag === "root_mount") {
        return command.value ? undefined : `turning tpe/${command.flag} off`;
      }
      return `tpe/${command.flag}`;
    case "segvguard":
      if (command.key === "expiry") {
        return command.value === 0 || command.value < trust.segvguardExpiryMs
          ? "lowering segvguard/expiry"
          : undefined;
      }
      if (command.key === "suspension") {
        return command.value < trust.segvguardSuspensionMs
          ? "lowering segvguard/suspension"
          : undefined;
      }
      return command.value > trust.segvguardMaxcrashes ? "raising segvguard/maxcrashes" : undefined;
  }
}
