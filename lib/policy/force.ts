/**
 * Force sandboxing, as the original's (3.59, syd.2 `force`, `sandbox/force`, `default/force`):
 * the Integrity Force map from absolute paths to checksums. `force+/path:ALGORITHM:HASHHEX` adds
 * (or replaces) an entry, with an optional `:ACTION` (warn, filter, deny, panic, stop, abort,
 * kill, exit; deny by default); `force-/path` removes it; `force^` clears the map. In the path,
 * `\:` is a colon and `\\` a backslash. The algorithms are the original's that this syd hashes
 * (ffi/exec/force.zig); the others of its list are refused by name.
 *
 * @module
 */
import { type Action, ACTIONS_BUT_ALLOW } from "./vocab.ts";
import type { Op } from "./parse.ts";

/** The algorithms this syd hashes (ffi/exec/force.zig `Alg`), with their digest sizes in bytes. */
export const FORCE_ALGORITHMS: Readonly<Record<string, number>> = {
  "blake2b-160": 20,
  "blake2b-256": 32,
  "blake2b-384": 48,
  "blake2b-512": 64,
  "blake2s-128": 16,
  "blake2s-256": 32,
  "blake3": 32,
  "crc32": 4,
  "crc32c": 4,
  "crc64": 8,
  "keccak256": 32,
  "keccak512": 64,
  "md5": 16,
  "sha1": 20,
  "sha224": 28,
  "sha256": 32,
  "sha3-224": 28,
  "sha3-256": 32,
  "sha3-384": 48,
  "sha3-512": 64,
  "sha384": 48,
  "sha512": 64,
};

/** The original's algorithms Zig's std lacks: refused, never hand-rolled. */
export const FORCE_UNSUPPORTED_ALGORITHMS = [
  "gost94",
  "md4",
  "rmd128",
  "rmd160",
  "rmd256",
  "rmd320",
  "sm3",
  "streebog256",
  "streebog512",
  "tiger",
  "tiger2",
  "wp256",
  "wp384",
  "wp512",
] as const;

/** The actions of a force entry and of `default/force` (the original's; no allow). */
export const FORCE_ACTIONS: readonly Action[] = ACTIONS_BUT_ALLOW;

/** A parsed `force` command. */
export interface ForceCommand {
  kind: "force";
  op: Op;
  /** The path (unescaped), for `+` and `-`. */
  path?: string;
  alg?: string;
  /** Lowercase hex. */
  digest?: string;
  /** Absent: deny. */
  action?: Action;
}

/** One entry of the map. */
export interface ForceRule {
  path: string;
  alg: string;
  digest: string;
  action: Action;
}

/** Force sandboxing's state: on or off, `default/force`, the map by path. */
export interface ForceState {
  on: boolean;
  default: Action;
  rules: Map<string, ForceRule>;
}

/** Before any command: off, deny, an empty map. */
export function initialForce(): ForceState {
  return { on: false, default: "deny", rules: new Map() };
}

/** Why a force command is refused; the offset in the command's value. */
export class ForceError extends Error {
  constructor(message: string, readonly offset: number, readonly unsupported = false) {
    super(message);
    this.name = "ForceError";
  }
}

/** The original's path escapes: `\:` a colon, `\\` a backslash. */
function escapePath(path: string): string {
  return path.replaceAll("\\", "\\\\").replaceAll(":", "\\:");
}

/** Whether `name` is one of the algorithms this syd hashes. */
export function isForceAlgorithm(name: string): boolean {
  return Object.hasOwn(FORCE_ALGORITHMS, name);
}

/**
 * Parses the value of `force+`, `force-` or `force^` (`op`); `isAction` tells actions apart.
 * Throws {@linkcode ForceError}.
 */
export function parseForce(
  op: Op,
  value: string,
  isAction: (s: string) => s is Action,
): ForceCommand {
  if (op === "^") {
    if (value.length > 0) throw new ForceError('"force^" takes no value', 0);
    return { kind: "force", op };
  }
  let path = "";
  let at = 0;
  for (; at < value.length; at++) {
    const c = value[at];
    if (c === "\\" && (value[at + 1] === ":" || value[at + 1] === "\\")) {
      path += value[at + 1];
      at++;
    } else if (c === ":") break;
    else path += c;
  }
  if (!path.startsWith("/")) throw new ForceError(`"${path}" is not an absolute path`, 0);
  if (path.split("/").includes("..")) throw new ForceError(`"${path}" holds ".."`, 0);
  if (op === "-") {
    if (at < value.length) throw new ForceError('"force-" takes a path alone', at);
    return { kind: "force", op, path };
  }
  if (at >= value.length) {
    throw new ForceError("force+ needs PATH:ALGORITHM:HASHHEX[:ACTION]", value.length);
  }
  const fields = value.slice(at + 1).split(":");
  const algAt = at + 1;
  if (fields.length < 2 || fields.length > 3) {
    throw new ForceError("force+ needs PATH:ALGORITHM:HASHHEX[:ACTION]", algAt);
  }
  const [alg, hex, actionText] = fields;
  if ((FORCE_UNSUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new ForceError(
      `algorithm "${alg}" is not supported by this syd (Zig's std has no ${alg}): use one of ${
        Object.keys(FORCE_ALGORITHMS).join(", ")
      }`,
      algAt,
      true,
    );
  }
  if (!isForceAlgorithm(alg)) {
    throw new ForceError(
      `unknown algorithm "${alg}" (one of ${Object.keys(FORCE_ALGORITHMS).join(", ")})`,
      algAt,
    );
  }
  const hexAt = algAt + alg.length + 1;
  const size = FORCE_ALGORITHMS[alg];
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== size * 2) {
    throw new ForceError(`"${hex}" is not a ${alg} digest (${size * 2} hex digits)`, hexAt);
  }
  if (/^0*$/.test(hex)) throw new ForceError(`"${hex}" is no digest`, hexAt);
  let action: Action | undefined;
  if (actionText !== undefined) {
    const actionAt = hexAt + hex.length + 1;
    if (!isAction(actionText) || !FORCE_ACTIONS.includes(actionText)) {
      throw new ForceError(
        `"${actionText}" is not a force action (one of ${FORCE_ACTIONS.join(", ")})`,
        actionAt,
      );
    }
    action = actionText;
  }
  return {
    kind: "force",
    op,
    path,
    alg,
    digest: hex.toLowerCase(),
    ...(action !== undefined ? { action } : {}),
  };
}

/** The canonical text of a force command. */
export function formatForce(command: ForceCommand): string {
  if (command.op === "^") return "force^";
  const path = escapePath(command.path ?? "");
  if (command.op === "-") return `force-${path}`;
  const action = command.action !== undefined ? `:${command.action}` : "";
  return `force+${path}:${command.alg}:${command.digest}${action}`;
}

/** Applies a force command; how many entries `-` or `^` removed. */
export function applyForce(state: ForceState, command: ForceCommand): number {
  if (command.op === "^") {
    const removed = state.rules.size;
    state.rules.clear();
    return removed;
  }
  const path = command.path!;
  if (command.op === "-") return state.rules.delete(path) ? 1 : 0;
  state.rules.set(path, {
    path,
    alg: command.alg!,
    digest: command.digest!,
    action: command.action ?? "deny",
  });
  return 0;
}

/** The commands that make this state again. */
export function dumpForce(state: ForceState): string[] {
  const lines: string[] = [];
  if (state.on) lines.push("sandbox/force:on");
  if (state.default !== "deny") lines.push(`default/force:${state.default}`);
  for (const rule of [...state.rules.values()].sort((a, b) => a.path < b.path ? -1 : 1)) {
    lines.push(formatForce({ kind: "force", op: "+", ...rule }));
  }
  return lines;
}

/** Force sandboxing in the policy document (ffi/judge/policy.zig `ForceDoc`). */
export interface CompiledForce {
  on: boolean;
  default: string;
  /** Sorted by path (bytes), distinct. */
  rules: { path: string; alg: string; digest: string; action: string }[];
}

/** The document's `force`, or undefined when it is as at first. */
export function compileForce(state: ForceState): CompiledForce | undefined {
  if (!state.on && state.default === "deny" && state.rules.size === 0) return undefined;
  const encoder = new TextEncoder();
  const compare = (a: string, b: string): number => {
    const x = encoder.encode(a);
    const y = encoder.encode(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  };
  const rules = [...state.rules.values()].sort((a, b) => compare(a.path, b.path));
  return {
    on: state.on,
    default: state.default,
    rules: rules.map((r) => ({ path: r.path, alg: r.alg, digest: r.digest, action: r.action })),
  };
}

/** The `force+` line that makes `path` (its digest `hex` by `alg`) runnable. */
export function forceLine(path: string, alg: string, hex: string): string {
  return formatForce({ kind: "force", op: "+", path, alg, digest: hex });
}
