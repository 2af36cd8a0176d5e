/**
 * Lock sandboxing, the policy half: the original's `sandbox/lock`, `default/lock`,
 * `allow/lock/RIGHTS{+,-,^}ARG` and `log/lock/FLAGS:BOOL` commands, their state and the part of
 * the compiled policy libsyd turns into a Landlock ruleset (ffi/layers/landlock.zig).
 *
 * As the original 3.59 (its non-`trusted` build): Lock sandboxing is on at first, with the
 * compatibility level `kill` (a hard requirement); every right the kernel's Landlock ABI knows
 * is denied but where a rule allows it; `/proc` and `/dev/null` are always usable (libsyd adds
 * them); TCP bind and connect are denied but on the ports allowed (unless all of 0-65535 is);
 * every command is fixed once the sandbox starts (EBUSY through `/dev/syd`). A path is used as
 * written (relative to syd's working directory, no globs) and opened when the sandbox starts.
 *
 * @module
 */
import { normalizeRanges, type Ranges, subtractRanges } from "./ranges.ts";
import type { Origin } from "./state.ts";

/** Landlock's filesystem access rights (`LANDLOCK_ACCESS_FS_*`), by the original's names. */
export const LOCK_FS_RIGHTS = {
  exec: 1 << 0,
  write: 1 << 1,
  read: 1 << 2,
  readdir: 1 << 3,
  rmdir: 1 << 4,
  delete: 1 << 5,
  mkcdev: 1 << 6,
  mkdir: 1 << 7,
  create: 1 << 8,
  bind: 1 << 9,
  mkfifo: 1 << 10,
  mkbdev: 1 << 11,
  symlink: 1 << 12,
  rename: 1 << 13,
  truncate: 1 << 14,
  ioctl: 1 << 15,
  connect: 1 << 16,
} as const;

/** A right's name. */
export type LockRight = keyof typeof LOCK_FS_RIGHTS;

/** Every filesystem right (the original's `all`). */
export const LOCK_FS_ALL = (1 << 17) - 1;

/** Landlock's network rights: TCP bind and connect. */
export const LOCK_NET_BIND = 1;
export const LOCK_NET_CONNECT = 2;

/** What one name stands for: filesystem rights and network rights. */
interface LockSet {
  fs: number;
  net: number;
}

const R = LOCK_FS_RIGHTS;

/** The rights and the original's shorthands, by name. */
export const LOCK_NAMES: Readonly<Record<string, LockSet>> = {
  read: { fs: R.read, net: 0 },
  write: { fs: R.write, net: 0 },
  exec: { fs: R.exec, net: 0 },
  ioctl: { fs: R.ioctl, net: 0 },
  create: { fs: R.create, net: 0 },
  delete: { fs: R.delete, net: 0 },
  rename: { fs: R.rename, net: 0 },
  symlink: { fs: R.symlink, net: 0 },
  truncate: { fs: R.truncate, net: 0 },
  readdir: { fs: R.readdir, net: 0 },
  mkdir: { fs: R.mkdir, net: 0 },
  rmdir: { fs: R.rmdir, net: 0 },
  mkbdev: { fs: R.mkbdev, net: 0 },
  mkcdev: { fs: R.mkcdev, net: 0 },
  mkfifo: { fs: R.mkfifo, net: 0 },
  bind: { fs: R.bind, net: LOCK_NET_BIND },
  connect: { fs: R.connect, net: LOCK_NET_CONNECT },
  all: { fs: LOCK_FS_ALL, net: 0 },
  "all-x": { fs: LOCK_FS_ALL & ~R.exec, net: 0 },
  rpath: { fs: R.read | R.readdir, net: 0 },
  wpath: { fs: R.write | R.truncate, net: 0 },
  cpath: { fs: R.create | R.delete | R.rename, net: 0 },
  dpath: { fs: R.mkbdev | R.mkcdev, net: 0 },
  spath: { fs: R.mkfifo | R.symlink, net: 0 },
  tpath: { fs: R.mkdir | R.rmdir, net: 0 },
  bnet: { fs: R.bind, net: LOCK_NET_BIND },
  cnet: { fs: 0, net: LOCK_NET_CONNECT },
  net: { fs: 0, net: LOCK_NET_BIND | LOCK_NET_CONNECT },
  inet: { fs: 0, net: LOCK_NET_BIND | LOCK_NET_CONNECT },
};

/** The rights a path rule may hold and still be a socket rule: bind and connect. */
const SOCKET_FS = R.bind | R.connect;

/** The compatibility levels of `default/lock`: hard requirement, soft requirement, best effort. */
export const LOCK_COMPAT = ["kill", "deny", "warn"] as const;
/** A compatibility level. */
export type LockCompat = typeof LOCK_COMPAT[number];

/** `log/lock` flags: `landlock_restrict_self(2)`'s (ABI 7). */
export const LOCK_LOG_FLAGS: Readonly<Record<string, number>> = {
  same_exec_off: 1,
  new_exec_on: 2,
  subdomains_off: 4,
};

/** Sorted, disjoint, inclusive port ranges. */
export type PortRanges = Ranges;

/** The whole port range: the right is not restricted at all. */
export const PORTS_ALL: PortRanges = [[0, 65535]];

/** A lock rule as parsed: rights, operator and what they apply to. */
export interface LockRule {
  kind: "lock_rule";
  /** The names as written (`read,exec`). */
  names: string;
  fs: number;
  net: number;
  op: "+" | "-" | "^";
  /** A path (as written), or ports. */
  target: { path: string } | { ports: PortRanges; text: string };
}

/** Why a lock command was refused, and where in its text. */
export class LockSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = "LockSyntaxError";
    this.offset = offset;
  }
}

/**
 * Parses a port set: `P`, `P1-P2`, or a comma list of them, each from 0 to 65535.
 *
 * @example
 * ```ts
 * parsePorts("80,443,8000-9000"); // [[80, 80], [443, 443], [8000, 9000]]
 * ```
 */
export function parsePorts(text: string): PortRanges | undefined {
  if (text.length === 0) return undefined;
  const ranges: PortRanges = [];
  for (const part of text.split(",")) {
    const match = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(part);
    if (!match) return undefined;
    const lo = Number(match[1]);
    const hi = match[2] === undefined ? lo : Number(match[2]);
    if (lo > 65535 || hi > 65535 || lo > hi) return undefined;
    ranges.push([lo, hi]);
  }
  return normalizeRanges(ranges);
}

/** Whether the ranges cover every port. */
export function allPorts(ranges: PortRanges): boolean {
  return ranges.length === 1 && ranges[0][0] === 0 && ranges[0][1] === 65535;
}

/** The text of a port set, as the original's commands write it. */
export function formatPorts(ranges: PortRanges): string {
  return ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(",");
}

/**
 * Parses `allow/lock/NAMES OP ARG` given NAMES (after `allow/lock/`), the operator and ARG;
 * `at` is the offset of NAMES in the command, `argAt` of ARG. As the original: a rule of network
 * names only (bind, connect, bnet, cnet, net, inet) takes ports, or an absolute path where it
 * has filesystem rights (bind and connect: UNIX sockets); any other rule takes a path, as
 * written (relative to syd's working directory when the sandbox starts).
 */
export function parseLockRule(
  names: string,
  op: string,
  arg: string,
  at: number,
  argAt: number,
): LockRule {
  if (op !== "+" && op !== "-" && op !== "^") {
    throw new LockSyntaxError(`allow/lock/ takes +, - or ^, not "${op}"`, argAt - 1);
  }
  if (names.length === 0) throw new LockSyntaxError("missing lock right", at);
  let fs = 0;
  let net = 0;
  let offset = at;
  for (const name of names.split(",")) {
    const set = Object.hasOwn(LOCK_NAMES, name) ? LOCK_NAMES[name] : undefined;
    if (set === undefined) {
      throw new LockSyntaxError(
        name.length === 0 ? "empty lock right in the list" : `unknown lock right "${name}"`,
        offset,
      );
    }
    fs |= set.fs;
    net |= set.net;
    offset += name.length + 1;
  }
  if (arg.length === 0) throw new LockSyntaxError("missing path or ports", argAt);
  const socketOnly = net !== 0 && (fs & ~SOCKET_FS) === 0;
  if (socketOnly) {
    const ports = parsePorts(arg);
    if (ports !== undefined) {
      return { kind: "lock_rule", names, fs: 0, net, op, target: { ports, text: arg } };
    }
    if (fs !== 0 && arg.startsWith("/")) {
      return { kind: "lock_rule", names, fs, net: 0, op, target: { path: arg } };
    }
    throw new LockSyntaxError(
      fs !== 0
        ? `"${arg}" is neither ports (80, 1024-65535, 80,443) nor an absolute path`
        : `"${arg}" is not ports (80, 1024-65535, 80,443)`,
      argAt,
    );
  }
  if (fs === 0) throw new LockSyntaxError(`"${names}" names no filesystem right`, at);
  return { kind: "lock_rule", names, fs, net: 0, op, target: { path: arg } };
}

/** The Lock sandboxing part of the policy state. */
export interface LandlockState {
  /** sandbox/lock: on at first, as the original. */
  on: boolean;
  /** default/lock. */
  compat: LockCompat;
  /** Filesystem rights allowed by path, in the order the paths were first given. */
  paths: Map<string, number>;
  /** Ports TCP bind and connect are allowed to. */
  bind: PortRanges;
  connect: PortRanges;
  /** log/lock flags (landlock_restrict_self's). */
  flags: number;
  /** Where each path was first allowed, and where Lock sandboxing was last turned on or off
   * (undefined: on from the start), for lint. */
  origins: Map<string, Origin>;
  onOrigin?: Origin;
}

/** Lock sandboxing as the original starts: on, kill, no rules. */
export function initialLandlock(): LandlockState {
  return {
    on: true,
    compat: "kill",
    paths: new Map(),
    bind: [],
    connect: [],
    flags: 0,
    origins: new Map(),
  };
}

/** Applies an `allow/lock/` rule; `-` and `^` both remove (as the original). */
export function applyLockRule(state: LandlockState, rule: LockRule, origin?: Origin): void {
  if ("ports" in rule.target) {
    const ports = rule.target.ports;
    for (const [bit, key] of [[LOCK_NET_BIND, "bind"], [LOCK_NET_CONNECT, "connect"]] as const) {
      if ((rule.net & bit) === 0) continue;
      state[key] = rule.op === "+"
        ? normalizeRanges([...state[key], ...ports])
        : subtractRanges(state[key], ports);
    }
    return;
  }
  const path = rule.target.path;
  const before = state.paths.get(path) ?? 0;
  const after = rule.op === "+" ? before | rule.fs : before & ~rule.fs;
  if (after === 0) {
    state.paths.delete(path);
    state.origins.delete(path);
  } else {
    state.paths.set(path, after);
    if (origin !== undefined && !state.origins.has(path)) state.origins.set(path, origin);
  }
}

/** The names of the rights in `fs`, in the order of {@linkcode LOCK_FS_RIGHTS}. */
export function lockRightNames(fs: number): string[] {
  return Object.entries(LOCK_FS_RIGHTS).filter(([, bit]) => (fs & bit) !== 0).map(([name]) => name);
}

/** The commands that rebuild `state` from the original's start (for dumps). */
export function dumpLandlock(state: LandlockState): string[] {
  const lines: string[] = [];
  if (!state.on) lines.push("sandbox/lock:off");
  if (state.compat !== "kill") lines.push(`default/lock:${state.compat}`);
  for (const [path, fs] of state.paths) {
    const names = fs === LOCK_FS_ALL ? ["all"] : lockRightNames(fs);
    lines.push(`allow/lock/${names.join(",")}+${path}`);
  }
  if (state.bind.length > 0) lines.push(`allow/lock/bind+${formatPorts(state.bind)}`);
  if (state.connect.length > 0) lines.push(`allow/lock/connect+${formatPorts(state.connect)}`);
  for (const [name, bit] of Object.entries(LOCK_LOG_FLAGS)) {
    if ((state.flags & bit) !== 0) lines.push(`log/lock/${name}:1`);
  }
  return lines;
}

/** What libsyd builds the Landlock ruleset from. */
export interface CompiledLandlock {
  on: boolean;
  compat: LockCompat;
  flags: number;
  /** Paths and the filesystem rights allowed beneath them. */
  paths: { path: string; access: number }[];
  /** Allowed ports (inclusive ranges); null: every port, the right is not handled. */
  bind: PortRanges | null;
  connect: PortRanges | null;
}

/** The compiled form of the Lock sandboxing state. */
export function compileLandlock(state: LandlockState): CompiledLandlock {
  return {
    on: state.on,
    compat: state.compat,
    flags: state.flags,
    paths: [...state.paths].map(([path, access]) => ({ path, access })),
    bind: allPorts(state.bind) ? null : state.bind.map(([a, b]) => [a, b]),
    connect: allPorts(state.connect) ? null : state.connect.map(([a, b]) => [a, b]),
  };
}
