/**
 * Namespaces and the container form, as the original's (3.59): `unshare/LIST:BOOL` (and the
 * run-time query `unshare/LIST?`), `bind+SRC:DST[:OPTS]` and `bind-try...`, `root:DIR`,
 * `root/map:BOOL`, `workdir:DIR`, `uts/host:NAME`, `uts/domain:NAME`, `time:N`, `time/boot:N`,
 * `time/mono:N`, and `trace/allow_unsafe_namespace:none` (what this syd does anyway: every
 * namespace type is refused to the sandbox). Every one of them is fixed once the sandbox runs
 * (EBUSY through /dev/syd), the query excepted.
 *
 * What the sandbox starts with ({@linkcode startNamespaces}): `unshare/pid` implies
 * `unshare/mount` and back. What syd refuses or ignores then ({@linkcode namespaceStartProblems}):
 * binds, `root:` and `workdir:` without a mount namespace are ignored (a warning); a host or
 * domain name without a UTS namespace, Lock sandboxing with a mount namespace and
 * `trace/force_cloexec` with a network namespace are not supported (95).
 *
 * The original's `root:tmpfs`, `mkdir+`, `mkfile+`, `mkfifo+`, `link+`, `symlink+`,
 * `root/fake` and `uts/version` are not supported by this syd (95).
 *
 * @module
 */
import type { Op } from "./parse.ts";
import type { Origin } from "./state.ts";
import { nearest } from "./vocab.ts";

/** The namespaces in the order the original names them (its unshare log record). */
export const NAMESPACES = ["user", "mount", "uts", "ipc", "pid", "net", "cgroup", "time"] as const;
/** A namespace type. */
export type Namespace = typeof NAMESPACES[number];

/** MOUNT_ATTR_* bits (linux/mount.h), as mount_setattr(2) takes them. */
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  NODIRATIME: 0x80,
  NOSYMFOLLOW: 0x200000,
} as const;
/** The atime modes: at most one of them (relatime is none). */
const MOUNT_ATTR_ATIME = 0x70;
/** What every bind starts with, as the original's MOUNT_ATTR_SAFE. */
export const MOUNT_ATTR_SAFE = MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC |
  MOUNT_ATTR.NOSYMFOLLOW;

/** OPTS items that set or clear an attribute; anything else goes to the data string. */
const BIND_FLAGS: Readonly<Record<string, { set: number } | { clear: number }>> = {
  rw: { clear: MOUNT_ATTR.RDONLY },
  dev: { clear: MOUNT_ATTR.NODEV },
  exec: { clear: MOUNT_ATTR.NOEXEC },
  suid: { clear: MOUNT_ATTR.NOSUID },
  symfollow: { clear: MOUNT_ATTR.NOSYMFOLLOW },
  ro: { set: MOUNT_ATTR.RDONLY },
  nodev: { set: MOUNT_ATTR.NODEV },
  noexec: { set: MOUNT_ATTR.NOEXEC },
  nosuid: { set: MOUNT_ATTR.NOSUID },
  nosymfollow: { set: MOUNT_ATTR.NOSYMFOLLOW },
  noatime: { set: MOUNT_ATTR.NOATIME },
  relatime: { set: 0 },
  strictatime: { set: MOUNT_ATTR.STRICTATIME },
  nodiratime: { set: MOUNT_ATTR.NODIRATIME },
};
/** The OPTS items a bind knows (for lint's suggestions). */
export const BIND_FLAG_NAMES: readonly string[] = Object.keys(BIND_FLAGS);

/** The original's MAXACLRULES: the most binds. */
export const BIND_RULES_MAX = 4096;
/**
 * The original's PATH_MAX: a field, a path or the data string this long in bytes is refused. Its
 * parser answers ENAMETOOLONG, but a command this long is EINVAL before (observed): so here.
 */
const PATH_BYTES_MAX = 4096;
/** utsname's fields hold 64 bytes and a NUL. */
export const UTS_NAME_BYTES_MAX = 64;
/** The host name a UTS namespace gets when none is given. */
export const UTS_HOST_DEFAULT = "localhost";

const EPERM = 1;
const ENOENT = 2;
const ENOSPC = 28;
const ENAMETOOLONG = 36;
const EILSEQ = 84;
const EOPNOTSUPP = 95;

/** Why a namespace command was refused: the message, where (0-based), the errno. */
export class NamespaceError extends Error {
  readonly offset: number;
  readonly errno?: number;
  readonly hint?: string;
  readonly unsupported: boolean;
  /** An error at `offset` in the command; EINVAL unless `errno` says otherwise. */
  constructor(
    message: string,
    offset: number,
    options: { errno?: number; hint?: string; unsupported?: boolean } = {},
  ) {
    super(message);
    this.name = "NamespaceError";
    this.offset = offset;
    this.errno = options.unsupported ? EOPNOTSUPP : options.errno;
    this.hint = options.hint;
    this.unsupported = options.unsupported ?? false;
  }
}

/** A namespace or container command, parsed. */
export type NamespaceCommand =
  | { kind: "namespace"; ns: "unshare"; names: Namespace[]; value: boolean }
  | { kind: "namespace"; ns: "unshare_query"; names: Namespace[] }
  | {
    kind: "namespace";
    ns: "bind";
    op: Op;
    try: boolean;
    /** Set for `+` and `-`: absolute, normalized, or a filesystem type (`tmpfs`). */
    src?: string;
    /** Set for `+` and `-`: absolute, normalized. */
    dst?: string;
    /** MOUNT_ATTR_* bits (`+` only). */
    attr?: number;
    /** The filesystem data string ("" none; `+` only). */
    data?: string;
  }
  | { kind: "namespace"; ns: "root"; path: string | null }
  | { kind: "namespace"; ns: "root_map"; value: boolean }
  | { kind: "namespace"; ns: "workdir"; path: string | null }
  | { kind: "namespace"; ns: "uts"; field: "host" | "domain"; name: string | null }
  | { kind: "namespace"; ns: "time"; clock: "both" | "boot" | "mono"; seconds: bigint | null }
  /** trace/allow_unsafe_namespace:none: every type refused to the sandbox (what syd does). */
  | { kind: "namespace"; ns: "deny_all" };

/** One bind, as added. */
export interface BindRule {
  src: string;
  dst: string;
  attr: number;
  data: string;
  try: boolean;
  origin: Origin;
}

/** The namespaces state. */
export interface NamespacesState {
  unshare: Record<Namespace, boolean>;
  binds: BindRule[];
  /** root:DIR (null: none). */
  root: string | null;
  /** root/map: the sandbox's uid and gid map to 0 in the user namespace. */
  rootMap: boolean;
  /** workdir:DIR (null: none). */
  workdir: string | null;
  /** uts/host (null: the host's; "localhost" at first). */
  host: string | null;
  /** uts/domain (null: the host's). */
  domain: string | null;
  /** time/boot in seconds (null: minus the current CLOCK_BOOTTIME). */
  timeBoot: bigint | null;
  /** time/mono in seconds (null: minus the current CLOCK_MONOTONIC). */
  timeMono: bigint | null;
}

/** Before any command: no namespace, no bind, host name localhost. */
export function initialNamespaces(): NamespacesState {
  return {
    unshare: Object.fromEntries(NAMESPACES.map((name) => [name, false])) as Record<
      Namespace,
      boolean
    >,
    binds: [],
    root: null,
    rootMap: false,
    workdir: null,
    host: UTS_HOST_DEFAULT,
    domain: null,
    timeBoot: null,
    timeMono: null,
  };
}

const encoder = new TextEncoder();
function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/**
 * The original's `XPathBuf::normalize`: `//` collapsed, `.` components removed; empty or a
 * `..` component: EINVAL; a NUL: EILSEQ; PATH_MAX bytes or more: EINVAL. A trailing slash
 * stays. Throws a NamespaceError at `offset`.
 */
export function normalizePath(path: string, offset: number): string {
  if (path.length === 0) throw new NamespaceError("empty path", offset);
  if (byteLength(path) >= PATH_BYTES_MAX) {
    throw new NamespaceError(`a path of ${PATH_BYTES_MAX} bytes or more`, offset);
  }
  if (path.includes("\0")) throw new NamespaceError("a NUL in a path", offset, { errno: EILSEQ });
  const absolute = path.startsWith("/");
  const parts = path.split("/");
  const out: string[] = [];
  for (const part of parts) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      throw new NamespaceError(`"${path}" has a ".." component`, offset, {
        hint: "write the path without ..",
      });
    }
    out.push(part);
  }
  const trailing = path.length > 1 && /\/\.?$/.test(path) && out.length > 0;
  return (absolute ? "/" : "") + out.join("/") + (trailing ? "/" : "");
}

/** `\:` and `\\` unescaped; any other backslash: EINVAL. */
function unescapeField(raw: string, offset: number): string {
  if (byteLength(raw) >= PATH_BYTES_MAX) {
    throw new NamespaceError(`a field of ${PATH_BYTES_MAX} bytes or more`, offset);
  }
  return raw.replace(/\\(.?)/g, (_, c: string) => c);
}

/** A source or target with `:` and `\` escaped, as the parser reads it back. */
function escapeField(text: string): string {
  return text.replace(/[\\:]/g, (c) => `\\${c}`);
}

/** One escaped field at `at`: its raw text (up to an unescaped `:`); an empty one: EINVAL. */
function escapedField(text: string, at: number, what: string): string {
  const match = /^(?:[^:\\]|\\[:\\])*/.exec(text.slice(at))!;
  const raw = match[0];
  if (raw.length === 0) {
    throw new NamespaceError(
      text[at] === "\\" ? "a backslash escapes only : and \\" : `missing ${what}`,
      at,
      { hint: "bind+SRC:DST[:OPTS]" },
    );
  }
  return raw;
}

/** `$VAR`-expanded (by the loader), hex-decoded as the original's `decode_hex`. */
function decodeHexPath(text: string, offset: number): string {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text)) return text;
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new NamespaceError(`"${text}" decodes from hex to bytes that are not UTF-8`, offset);
  }
}

/** Whether a path is /proc or under it (the original's is_procfs and is_proc). */
function isProc(path: string): boolean {
  return path === "/proc" || path.startsWith("/proc/");
}

/** The attribute bits and data string of a bind's OPTS (after the second colon). */
export function parseBindOptions(text: string, offset: number): { attr: number; data: string } {
  let attr = MOUNT_ATTR_SAFE;
  const data: string[] = [];
  let dataBytes = 0;
  let at = offset;
  for (const item of text.split(",")) {
    if (item.length === 0 || /^\p{White_Space}|\p{White_Space}$/u.test(item)) {
      throw new NamespaceError(
        item.length === 0 ? "empty mount option" : `mount option "${item}" begins or ends in space`,
        at,
      );
    }
    const flag = Object.hasOwn(BIND_FLAGS, item) ? BIND_FLAGS[item] : undefined;
    if (flag !== undefined && "set" in flag) attr |= flag.set;
    else if (flag !== undefined) attr &= ~flag.clear;
    else {
      const bytes = byteLength(item);
      if (bytes >= PATH_BYTES_MAX || dataBytes + bytes >= PATH_BYTES_MAX) {
        throw new NamespaceError(`mount data of ${PATH_BYTES_MAX} bytes or more`, at);
      }
      dataBytes += bytes + (data.length > 0 ? 1 : 0);
      data.push(item);
    }
    at += item.length + 1;
  }
  const atime = attr & MOUNT_ATTR_ATIME;
  if ((atime & (atime - 1)) !== 0) {
    throw new NamespaceError("noatime and strictatime exclude each other", offset, {
      hint: "one atime mode: noatime, strictatime or relatime",
    });
  }
  return { attr, data: data.join(",") };
}

/** The OPTS that give `attr` and `data` when parsed ("" for the defaults). */
export function formatBindOptions(attr: number, data: string): string {
  const items: string[] = [];
  if (attr & MOUNT_ATTR.RDONLY) items.push("ro");
  const cleared: [string, number][] = [
    ["suid", MOUNT_ATTR.NOSUID],
    ["dev", MOUNT_ATTR.NODEV],
    ["exec", MOUNT_ATTR.NOEXEC],
    ["symfollow", MOUNT_ATTR.NOSYMFOLLOW],
  ];
  for (const [name, bit] of cleared) if (!(attr & bit)) items.push(name);
  if (attr & MOUNT_ATTR.NOATIME) items.push("noatime");
  if (attr & MOUNT_ATTR.STRICTATIME) items.push("strictatime");
  if (attr & MOUNT_ATTR.NODIRATIME) items.push("nodiratime");
  if (data !== "") items.push(data);
  return items.join(",");
}

/** The attributes by name, as the original's mount records (`ro,nosuid,...,relatime`). */
export function attrNames(attr: number): string {
  const names: string[] = [];
  if (attr & MOUNT_ATTR.RDONLY) names.push("ro");
  if (attr & MOUNT_ATTR.NOSUID) names.push("nosuid");
  if (attr & MOUNT_ATTR.NODEV) names.push("nodev");
  if (attr & MOUNT_ATTR.NOEXEC) names.push("noexec");
  if (attr & MOUNT_ATTR.NOSYMFOLLOW) names.push("nosymfollow");
  if (attr & MOUNT_ATTR.NOATIME) names.push("noatime");
  else if (attr & MOUNT_ATTR.STRICTATIME) names.push("strictatime");
  else names.push("relatime");
  if (attr & MOUNT_ATTR.NODIRATIME) names.push("nodiratime");
  return names.join(",");
}

/** The original's record text of a bind: `SRC(?)->DST:ATTRS:DATA` (`(?)` for bind-try). */
export function bindText(rule: Pick<BindRule, "src" | "dst" | "attr" | "data" | "try">): string {
  return `${rule.src}${rule.try ? "(?)" : ""}->${rule.dst}:${attrNames(rule.attr)}:${
    rule.data === "" ? "none" : rule.data
  }`;
}

/**
 * Whether `text` has the form of a bind command as the original's `parse_bind_cmd` reads it
 * (operator, escapes, fields, OPTS), its values unchecked: /dev/syd answers every such command
 * EPERM under lock:drop and EBUSY otherwise before it looks at the paths, as the original.
 */
export function isBindSyntax(text: string): boolean {
  if (!text.startsWith("bind")) return false;
  try {
    parseBind(text, true);
    return true;
  } catch (err) {
    if (err instanceof NamespaceError) return false;
    throw err;
  }
}

/**
 * `bind+SRC:DST[:OPTS]`, `bind-SRC:DST`, `bind^` and the bind-try forms; `grammarOnly`: without
 * the checks of the paths (normalized, absolute target, no proc).
 */
function parseBind(text: string, grammarOnly = false): NamespaceCommand {
  const isTry = text.startsWith("bind-try");
  const head = isTry ? "bind-try" : "bind";
  const forms = `${head}+SRC:DST[:OPTS], ${head}-SRC:DST or ${head}^`;
  const op = text[head.length] ?? "";
  if (!"+-^".includes(op) || op === "") {
    throw new NamespaceError(`"${head}" takes ${forms}`, head.length);
  }
  if (op === "^") {
    if (text.length > head.length + 1) {
      throw new NamespaceError(`"${head}^" takes nothing after it`, head.length + 1);
    }
    return { kind: "namespace", ns: "bind", op: "^", try: isTry };
  }
  const srcAt = head.length + 1;
  const srcRaw = escapedField(text, srcAt, "source");
  const colon = srcAt + srcRaw.length;
  if (text[colon] !== ":") {
    throw new NamespaceError(
      text[colon] === "\\" ? "a backslash escapes only : and \\" : "missing :DST",
      colon,
      { hint: forms },
    );
  }
  const dstAt = colon + 1;
  const dstRaw = escapedField(text, dstAt, "target");
  const end = dstAt + dstRaw.length;
  let options: { attr: number; data: string } = { attr: MOUNT_ATTR_SAFE, data: "" };
  if (end < text.length) {
    if (text[end] !== ":") throw new NamespaceError("a backslash escapes only : and \\", end);
    if (op === "-") throw new NamespaceError(`"${head}-" takes SRC:DST alone`, end);
    if (end + 1 === text.length) throw new NamespaceError("empty OPTS after the colon", end + 1);
    options = parseBindOptions(text.slice(end + 1), end + 1);
  }
  unescapeField(srcRaw, srcAt);
  unescapeField(dstRaw, dstAt);
  if (grammarOnly) return { kind: "namespace", ns: "bind", op: op as Op, try: isTry };
  const src = normalizePath(decodeHexPath(unescapeField(srcRaw, srcAt), srcAt), srcAt);
  const dst = normalizePath(decodeHexPath(unescapeField(dstRaw, dstAt), dstAt), dstAt);
  if (src === "") {
    // The original takes it (a filesystem type named ""); it could never be mounted, nor dumped.
    throw new NamespaceError("the source is empty once normalized", srcAt);
  }
  if (!dst.startsWith("/")) {
    throw new NamespaceError(`the target "${dst}" is not absolute`, dstAt);
  }
  if (src === "proc" || isProc(src)) {
    throw new NamespaceError("proc may not be mounted: it would escape path sandboxing", srcAt, {
      errno: EPERM,
      hint: "the mount namespace gets a private /proc of its own",
    });
  }
  if (isProc(dst)) {
    throw new NamespaceError("nothing may be mounted over /proc", dstAt, { errno: EPERM });
  }
  return op === "-"
    ? { kind: "namespace", ns: "bind", op: "-", try: isTry, src, dst }
    : { kind: "namespace", ns: "bind", op: "+", try: isTry, src, dst, ...options };
}

/** The parsed list of `unshare/LIST`, or EINVAL. */
function parseNamespaceList(text: string, offset: number): Namespace[] {
  const names: Namespace[] = [];
  let at = offset;
  for (const item of text.split(",")) {
    const lower = item.toLowerCase();
    if (lower === "all") names.push(...NAMESPACES);
    else if ((NAMESPACES as readonly string[]).includes(lower)) names.push(lower as Namespace);
    else {
      throw new NamespaceError(
        item.length === 0 ? "empty namespace in the list" : `unknown namespace "${item}"`,
        at,
        { hint: suggest(lower, [...NAMESPACES, "all"]) ?? `one of ${NAMESPACES.join(", ")}, all` },
      );
    }
    at += item.length + 1;
  }
  return NAMESPACES.filter((name) => names.includes(name));
}

function suggest(word: string, candidates: readonly string[]): string | undefined {
  const guess = nearest(word, candidates);
  return guess === undefined || guess === word ? undefined : `did you mean "${guess}"?`;
}

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

function parseBool(text: string, offset: number): boolean {
  const lower = text.toLowerCase();
  if (Object.hasOwn(BOOLEAN, lower)) return BOOLEAN[lower];
  // As the original's strbool: an empty value is ENOENT, anything else not a boolean EINVAL.
  if (text === "") throw new NamespaceError("missing value: on or off", offset, { errno: ENOENT });
  throw new NamespaceError(`"${text}" is not on or off`, offset);
}

/**
 * A UTS name as the original's `set_uts_host`: 65 bytes or more: ENAMETOOLONG; `none`/`off`:
 * null; empty, a NUL or the last `/` component not a safe file name (its `check_name`): EILSEQ.
 */
export function parseUtsName(text: string, offset: number): string | null {
  if (byteLength(text) > UTS_NAME_BYTES_MAX) {
    throw new NamespaceError(`a name longer than ${UTS_NAME_BYTES_MAX} bytes`, offset, {
      errno: ENAMETOOLONG,
    });
  }
  if (text === "none" || text === "off") return null;
  if (text.includes("\0")) throw new NamespaceError("a NUL in a name", offset, { errno: EILSEQ });
  const problem = nameProblem(lastComponent(text));
  if (problem !== undefined) {
    throw new NamespaceError(`"${text}" is not a safe name: ${problem}`, offset, {
      errno: EILSEQ,
    });
  }
  return text;
}

/** The original's `XPath::split` file name: after the last slash that is not a trailing one. */
function lastComponent(text: string): string {
  if (text === "/") return text;
  const trailing = text.endsWith("/");
  const effective = trailing && text.length > 1 ? text.length - 1 : text.length;
  const slash = text.lastIndexOf("/", effective - 1);
  return slash < 0 ? text : text.slice(slash + 1);
}

/** Why a file name breaks the original's `check_name` (Wheeler's safe names), if it does. */
function nameProblem(name: string): string | undefined {
  if (name.length === 0) return "empty";
  if (/^\p{White_Space}|\p{White_Space}$/u.test(name)) return "it begins or ends in space";
  const bytes = encoder.encode(name);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const bad = "*?[]\"<>|()&'!\\;$`".includes(String.fromCharCode(b)) ||
      b < 0x20 || b === 0x7f || b === 0xff ||
      (i === 0 && (b === 0x2d || b === 0x20 || b === 0x7e)) ||
      (i === bytes.length - 1 && b === 0x20);
    if (bad) return `"${String.fromCharCode(b)}" is not allowed ${i === 0 ? "first" : "there"}`;
  }
  return undefined;
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Seconds as the original's `str::parse::<i64>` (an optional sign, digits); none/off: null. */
export function parseTimeOffset(text: string, offset: number): bigint | null {
  if (text === "none" || text === "off") return null;
  const value = /^[+-]?[0-9]+$/.test(text) ? BigInt(text) : undefined;
  if (value === undefined || value < I64_MIN || value > I64_MAX) {
    throw new NamespaceError(`"${text}" is not a number of seconds (a 64-bit integer)`, offset, {
      hint: "e.g. time:0 (the host's clocks), time:-3600; none: start near 0",
    });
  }
  return value;
}

/** A path for root: or workdir:, none/off: null. Absolute and normalized, else EINVAL. */
function parseDirectory(text: string, offset: number, key: string): string | null {
  if (text === "none" || text === "off") return null;
  const path = normalizePath(decodeHexPath(text, offset), offset);
  if (!path.startsWith("/")) {
    throw new NamespaceError(`${key} takes an absolute directory, not "${path}"`, offset);
  }
  return path;
}

const MAKE_COMMAND = /^(?:mkdir|mkfile|mkfifo|link|symlink)(?:-try)?[+\-^]/;

/**
 * Parses `text` when it is a namespace or container command (or one of the original's this syd
 * refuses); undefined when it is none of them. Throws a NamespaceError.
 *
 * @example
 * ```ts
 * parseNamespaceCommand("unshare/user,net:1");
 * // { kind: "namespace", ns: "unshare", names: ["user", "net"], value: true }
 * parseNamespaceCommand("bind+tmpfs:/tmp:size=1M")?.ns; // "bind"
 * parseNamespaceCommand("sandbox/read:on"); // undefined
 * ```
 */
export function parseNamespaceCommand(text: string): NamespaceCommand | undefined {
  if (text.startsWith("unshare/")) {
    const at = "unshare/".length;
    if (text.endsWith("?")) {
      return {
        kind: "namespace",
        ns: "unshare_query",
        names: parseNamespaceList(text.slice(at, -1), at),
      };
    }
    const colon = text.indexOf(":");
    if (colon < 0) {
      throw new NamespaceError(`"${text}" needs a value: ${text}:on or ${text}:off`, text.length);
    }
    const names = parseNamespaceList(text.slice(at, colon), at);
    return {
      kind: "namespace",
      ns: "unshare",
      names,
      value: parseBool(text.slice(colon + 1), colon + 1),
    };
  }
  if (text.startsWith("bind")) return parseBind(text);
  if (text.startsWith("root")) return parseRoot(text);
  if (text.startsWith("workdir:")) {
    const at = "workdir:".length;
    return {
      kind: "namespace",
      ns: "workdir",
      path: parseDirectory(text.slice(at), at, "workdir"),
    };
  }
  if (text.startsWith("uts/")) {
    const match = /^uts\/(host|domain|version):/.exec(text);
    if (match === null) {
      throw new NamespaceError(`unknown command "${text.split(/[:?+^]/)[0]}"`, 0, {
        hint: "uts/host:NAME or uts/domain:NAME",
      });
    }
    if (match[1] === "version") {
      throw new NamespaceError(
        "uts/version (the kernel version uname(2) reports) is not supported by this syd",
        0,
        { unsupported: true },
      );
    }
    const at = match[0].length;
    return {
      kind: "namespace",
      ns: "uts",
      field: match[1] as "host" | "domain",
      name: parseUtsName(text.slice(at), at),
    };
  }
  if (text.startsWith("time") && !text.startsWith("timeout")) {
    const match = /^time(|\/boot|\/mono):/.exec(text);
    if (match === null) {
      throw new NamespaceError(`unknown command "${text.split(/[:?+^]/)[0]}"`, 0, {
        hint: "time:SECONDS, time/boot:SECONDS or time/mono:SECONDS",
      });
    }
    const clock = match[1] === "" ? "both" : match[1] === "/boot" ? "boot" : "mono";
    const at = match[0].length;
    return { kind: "namespace", ns: "time", clock, seconds: parseTimeOffset(text.slice(at), at) };
  }
  if (text.startsWith("trace/allow_unsafe_namespace:")) {
    const at = "trace/allow_unsafe_namespace:".length;
    let offset = at;
    for (const item of text.slice(at).split(",")) {
      const lower = item.toLowerCase();
      if (lower === "none" || lower === "off") return { kind: "namespace", ns: "deny_all" };
      if (lower !== "all" && !(NAMESPACES as readonly string[]).includes(lower)) {
        throw new NamespaceError(
          item.length === 0 ? "empty namespace in the list" : `unknown namespace "${item}"`,
          offset,
          { hint: suggest(lower, [...NAMESPACES, "all", "none"]) },
        );
      }
      offset += item.length + 1;
    }
    throw new NamespaceError(
      "letting the sandbox create namespaces is not supported by this syd (it refuses every " +
        "type: trace/allow_unsafe_namespace:none)",
      at,
      { unsupported: true },
    );
  }
  if (MAKE_COMMAND.test(text)) {
    const word = /^[a-z]+(?:-try)?/.exec(text)![0];
    throw new NamespaceError(
      `${word} (files made in a root:tmpfs) is not supported by this syd`,
      0,
      { unsupported: true, hint: "root:DIR with the files made beforehand" },
    );
  }
  return undefined;
}

/** `root:DIR|none|off`, `root/map:BOOL`; `root:tmpfs|ramfs` and `root/fake:BOOL`: 95. */
function parseRoot(text: string): NamespaceCommand {
  if (text.startsWith("root:")) {
    const value = text.slice("root:".length);
    if (["tmpfs", "tmp", "t", "ramfs", "ram", "r"].includes(value)) {
      throw new NamespaceError(
        `root:${value} (an empty root in memory) is not supported by this syd`,
        5,
        { unsupported: true, hint: "root:DIR with a directory holding dev and proc" },
      );
    }
    return { kind: "namespace", ns: "root", path: parseDirectory(value, 5, "root") };
  }
  if (text.startsWith("root/map:")) {
    return { kind: "namespace", ns: "root_map", value: parseBool(text.slice(9), 9) };
  }
  if (text.startsWith("root/fake:")) {
    throw new NamespaceError(
      "root/fake (uid 0 reported by getuid and the like) is not supported by this syd",
      0,
      { unsupported: true, hint: "unshare/user:1 with root/map:1 maps the sandbox to uid 0" },
    );
  }
  throw new NamespaceError(`unknown command "${text.split(/[:?+^]/)[0]}"`, 0, {
    hint: "root:DIR or root/map:BOOL",
  });
}

/** The canonical text of a namespace command (parseNamespaceCommand reads it back). */
export function formatNamespaceCommand(command: NamespaceCommand): string {
  switch (command.ns) {
    case "unshare":
      return `unshare/${command.names.join(",")}:${command.value ? 1 : 0}`;
    case "unshare_query":
      return `unshare/${command.names.join(",")}?`;
    case "bind": {
      const head = command.try ? "bind-try" : "bind";
      if (command.op === "^") return `${head}^`;
      const pair = `${escapeField(command.src!)}:${escapeField(command.dst!)}`;
      if (command.op === "-") return `${head}-${pair}`;
      const options = formatBindOptions(command.attr ?? MOUNT_ATTR_SAFE, command.data ?? "");
      return `${head}+${pair}${options === "" ? "" : `:${options}`}`;
    }
    case "root":
      return `root:${command.path ?? "none"}`;
    case "root_map":
      return `root/map:${command.value ? 1 : 0}`;
    case "workdir":
      return `workdir:${command.path ?? "none"}`;
    case "uts":
      return `uts/${command.field}:${command.name ?? "none"}`;
    case "time": {
      const head = command.clock === "both" ? "time" : `time/${command.clock}`;
      return `${head}:${command.seconds ?? "none"}`;
    }
    case "deny_all":
      return "trace/allow_unsafe_namespace:none";
  }
}

/** Why adding a bind is refused given the state (ENOSPC past the rule limit). */
export function bindRefusal(
  state: NamespacesState,
  command: NamespaceCommand,
): { message: string; errno: number } | undefined {
  if (command.ns !== "bind" || command.op !== "+") return undefined;
  if (state.binds.length < BIND_RULES_MAX) return undefined;
  return { message: `more than ${BIND_RULES_MAX} binds`, errno: ENOSPC };
}

/** Applies a namespace command; returns how many binds a `-` or `^` removed. */
export function applyNamespace(
  state: NamespacesState,
  command: NamespaceCommand,
  origin: Origin,
): number {
  switch (command.ns) {
    case "unshare":
      for (const name of command.names) state.unshare[name] = command.value;
      return 0;
    case "unshare_query":
    case "deny_all":
      return 0;
    case "bind": {
      if (command.op === "^") {
        const before = state.binds.length;
        state.binds = state.binds.filter((b) => b.try !== command.try);
        return before - state.binds.length;
      }
      if (command.op === "+") {
        if (state.binds.length >= BIND_RULES_MAX) {
          throw new Error(`more than ${BIND_RULES_MAX} binds`);
        }
        state.binds.push({
          src: command.src!,
          dst: command.dst!,
          attr: command.attr ?? MOUNT_ATTR_SAFE,
          data: command.data ?? "",
          try: command.try,
          origin,
        });
        return 0;
      }
      const index = state.binds.findLastIndex((b) =>
        b.try === command.try && b.src === command.src && b.dst === command.dst
      );
      if (index < 0) return 0;
      state.binds.splice(index, 1);
      return 1;
    }
    case "root":
      state.root = command.path;
      return 0;
    case "root_map":
      state.rootMap = command.value;
      return 0;
    case "workdir":
      state.workdir = command.path;
      return 0;
    case "uts":
      state[command.field] = command.name;
      return 0;
    case "time":
      if (command.clock !== "mono") state.timeBoot = command.seconds;
      if (command.clock !== "boot") state.timeMono = command.seconds;
      return 0;
  }
}

/**
 * What the original does when the sandbox starts: `unshare/pid` implies `unshare/mount` and
 * back (the pid namespace gets a private /proc). Idempotent.
 */
export function startNamespaces(state: NamespacesState): void {
  if (state.unshare.pid || state.unshare.mount) {
    state.unshare.pid = true;
    state.unshare.mount = true;
  }
}

/** Whether any namespace is asked for. */
export function anyNamespace(state: NamespacesState): boolean {
  return NAMESPACES.some((name) => state.unshare[name]);
}

/** A problem found when the sandbox starts: refused (`errno`) or a warning (ignored). */
export interface NamespaceStartProblem {
  severity: "error" | "warning";
  /** 95 for an error. */
  errno?: number;
  message: string;
  hint?: string;
  /** The command it is about: `bind`, `root`, `workdir`, `uts/host`, ... (for positions). */
  about:
    | "bind"
    | "root"
    | "workdir"
    | "root_map"
    | "time"
    | "uts/host"
    | "uts/domain"
    | "force_cloexec";
}

/**
 * What syd refuses (95) or ignores (a warning) when the sandbox starts, after
 * {@linkcode startNamespaces}: `lock` is whether Lock sandboxing is on, `forceCloexec` whether
 * trace/force_cloexec is.
 */
export function namespaceStartProblems(
  state: NamespacesState,
  options: { lock: boolean; forceCloexec: boolean },
): NamespaceStartProblem[] {
  const problems: NamespaceStartProblem[] = [];
  const unsupported = (about: NamespaceStartProblem["about"], message: string, hint: string) =>
    problems.push({ severity: "error", errno: EOPNOTSUPP, about, message, hint });
  const ignored = (about: NamespaceStartProblem["about"], message: string, hint: string) =>
    problems.push({ severity: "warning", about, message, hint });
  const ns = state.unshare;
  // Lock sandboxing with a mount namespace runs (its rules name the paths the sandbox sees);
  // `options.lock` is kept for callers.
  if (options.forceCloexec && ns.net) {
    unsupported(
      "force_cloexec",
      "trace/force_cloexec together with a network namespace is not supported: syd would make " +
        "the sandbox's sockets in its own network namespace",
      "trace/force_cloexec:0 or unshare/net:0",
    );
  }
  for (const field of ["host", "domain"] as const) {
    const name = state[field];
    if (ns.uts || name === null || (field === "host" && name === UTS_HOST_DEFAULT)) continue;
    unsupported(
      `uts/${field}`,
      `uts/${field}:${name} without a UTS namespace is not supported: the original reports it ` +
        "through uname(2), which this syd does not change",
      `unshare/uts:1 (with unshare/user:1) sets it in a namespace of the sandbox's own`,
    );
  }
  if (!ns.mount) {
    const hint = "unshare/user,mount:1 makes a mount namespace";
    if (state.binds.length > 0) {
      ignored(
        "bind",
        `${state.binds.length === 1 ? "a bind is" : "binds are"} ignored without a mount namespace`,
        hint,
      );
    }
    if (state.root !== null) {
      ignored("root", `root:${state.root} is ignored without a mount namespace`, hint);
    }
    if (state.workdir !== null) {
      ignored("workdir", `workdir:${state.workdir} is ignored without a mount namespace`, hint);
    }
  } else if (state.workdir !== null && state.root === null) {
    ignored(
      "workdir",
      `workdir:${state.workdir} is ignored without root:DIR`,
      "root:DIR sets the new root",
    );
  }
  if (state.rootMap && !ns.user) {
    ignored("root_map", "root/map:1 is ignored without a user namespace", "unshare/user:1");
  }
  if ((state.timeBoot !== null || state.timeMono !== null) && !ns.time) {
    ignored("time", "time offsets are ignored without a time namespace", "unshare/time:1");
  }
  return problems;
}

/** The namespaces state as commands, which re-create it from the initial state. */
export function dumpNamespaces(state: NamespacesState): string[] {
  const lines: string[] = [];
  const on = NAMESPACES.filter((name) => state.unshare[name]);
  if (on.length > 0) lines.push(`unshare/${on.join(",")}:1`);
  for (const rule of state.binds) {
    const { src, dst, attr, data } = rule;
    lines.push(
      formatNamespaceCommand({
        kind: "namespace",
        ns: "bind",
        op: "+",
        try: rule.try,
        src,
        dst,
        attr,
        data,
      }),
    );
  }
  if (state.root !== null) lines.push(`root:${state.root}`);
  if (state.rootMap) lines.push("root/map:1");
  if (state.workdir !== null) lines.push(`workdir:${state.workdir}`);
  if (state.host !== UTS_HOST_DEFAULT) lines.push(`uts/host:${state.host ?? "none"}`);
  if (state.domain !== null) lines.push(`uts/domain:${state.domain}`);
  if (state.timeBoot !== null && state.timeBoot === state.timeMono) {
    lines.push(`time:${state.timeBoot}`);
  } else {
    if (state.timeBoot !== null) lines.push(`time/boot:${state.timeBoot}`);
    if (state.timeMono !== null) lines.push(`time/mono:${state.timeMono}`);
  }
  return lines;
}

/** One bind as libsyd reads it. */
export interface CompiledBind {
  /** An absolute path, or a filesystem type (`tmpfs`, `devpts`, ...). */
  src: string;
  dst: string;
  /** MOUNT_ATTR_* bits to set. */
  attr: number;
  /** fsconfig items for a filesystem type, comma-separated ("" none). */
  data: string;
  /** bind-try: a missing source is skipped with a warning. */
  try: boolean;
  /** The original's record text of the mount. */
  text: string;
}

/** The namespaces as libsyd reads them (ffi/judge/policy.zig `Document.namespaces`). */
export interface CompiledNamespaces {
  /** After the implications, in the order user, mount, uts, ipc, pid, net, cgroup, time. */
  unshare: Namespace[];
  /** Absent: none (also without a mount namespace). */
  root?: string;
  root_map: boolean;
  /** Absent: none (only with root). */
  workdir?: string;
  /** null: the host's. */
  host: string | null;
  /** null: the host's. */
  domain: string | null;
  /** Seconds; absent: minus the current CLOCK_BOOTTIME. Clamped to ±(2^53-1). */
  time_boot?: number;
  /** Seconds; absent: minus the current CLOCK_MONOTONIC. */
  time_mono?: number;
  /** In insertion order; empty without a mount namespace. */
  binds: CompiledBind[];
}

function clampSeconds(value: bigint): number {
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(value > max ? max : value < -max ? -max : value);
}

/** The namespaces for libsyd, or undefined when none is asked for. */
export function compileNamespaces(state: NamespacesState): CompiledNamespaces | undefined {
  if (!anyNamespace(state)) return undefined;
  const mount = state.unshare.mount;
  const root = mount ? state.root : null;
  return {
    unshare: NAMESPACES.filter((name) => state.unshare[name]),
    ...(root !== null ? { root } : {}),
    root_map: state.rootMap,
    ...(root !== null && state.workdir !== null ? { workdir: state.workdir } : {}),
    host: state.host,
    domain: state.domain,
    ...(state.timeBoot !== null ? { time_boot: clampSeconds(state.timeBoot) } : {}),
    ...(state.timeMono !== null ? { time_mono: clampSeconds(state.timeMono) } : {}),
    binds: mount
      ? state.binds.map((rule) => ({
        src: rule.src,
        dst: rule.dst,
        attr: rule.attr,
        data: rule.data,
        try: rule.try,
        text: bindText(rule),
      }))
      : [],
  };
}
