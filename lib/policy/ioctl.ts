/**
 * ioctl(2) sandboxing as the original syd 3.59 has it: requests are judged by number only (never
 * by the fd's path). `allow/ioctl+LIST` and `deny/ioctl+LIST` set a request's verdict (the last
 * command for a request wins), `-` and `^` remove a verdict of their own kind. A LIST is a comma
 * list of numbers (decimal, 0x hex, 0o octal), names (case-insensitive) or globs of names
 * (`FIO*`, `TC[GS]ET*`); a `!` suffix ignores a name this syd does not know. Requests whose
 * argument size (or number) varies (`PIDFD_GET_INFO`, `EVIOCGNAME`) match for every size.
 *
 * @module
 */
import { IOCTL_TABLE } from "./ioctl_names.ts";

/** One request a rule names: its number with the varying bits cleared, and those bits. */
export interface IoctlRequest {
  request: number;
  mask: number;
}

/** Why an ioctl list was refused: a message and the 0-based offset in the list. */
export class IoctlListError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = "IoctlListError";
    this.offset = offset;
  }
}

/**
 * The original's default verdicts (true: deny): the denylist holds requests that act outside
 * the sandbox (TIOCSTI, TIOCLINUX push input into a terminal), need privileges, bypass other
 * categories (FICLONE changes a file's size, FS_IOC_SETFLAGS makes it immutable) or leak the
 * disk layout; the allowlist the harmless fd requests.
 */
/** Requests that zero, reserve or discard a file's or a block device's space, or repartition or
 * make read-only a block device: denied by default, in the errno table too. */
const SPACE_AND_BLOCK_REQUESTS = [
  "FS_IOC_ZERO_RANGE",
  "FS_IOC_RESVSP",
  "FS_IOC_RESVSP64",
  "FS_IOC_UNRESVSP",
  "FS_IOC_UNRESVSP64",
  "FS_IOC_ZERO_RANGE_32",
  "FS_IOC_RESVSP_32",
  "FS_IOC_RESVSP64_32",
  "FS_IOC_UNRESVSP_32",
  "FS_IOC_UNRESVSP64_32",
  "BLKDISCARD",
  "BLKSECDISCARD",
  "BLKZEROOUT",
  "BLKROSET",
  "BLKPG",
  "BLKRRPART",
] as const;

/** Requests that configure network interfaces, routes, ARP, bonds, bridges and tunnels: denied by
 * default, answering EPERM (the original's errno table). */
const NET_CONFIG_REQUESTS = [
  "SIOCSIFADDR",
  "SIOCSIFDSTADDR",
  "SIOCSIFBRDADDR",
  "SIOCSIFNETMASK",
  "SIOCSIFFLAGS",
  "SIOCSIFPFLAGS",
  "SIOCSIFMTU",
  "SIOCSIFHWADDR",
  "SIOCSIFHWBROADCAST",
  "SIOCSIFMAP",
  "SIOCSIFNAME",
  "SIOCSIFTXQLEN",
  "SIOCSIFMETRIC",
  "SIOCSIFMEM",
  "SIOCSIFLINK",
  "SIOCSIFENCAP",
  "SIOCSIFSLAVE",
  "SIOCADDMULTI",
  "SIOCDELMULTI",
  "SIOCADDRT",
  "SIOCDELRT",
  "SIOCSARP",
  "SIOCDARP",
  "SIOCSRARP",
  "SIOCDRARP",
  "SIOCSMIIREG",
  "SIOCSHWTSTAMP",
  "SIOCWANDEV",
  "SIOCBONDENSLAVE",
  "SIOCBONDRELEASE",
  "SIOCBONDSETHWADDR",
  "SIOCBONDCHANGEACTIVE",
  "SIOCBRADDBR",
  "SIOCBRDELBR",
  "SIOCBRADDIF",
  "SIOCBRDELIF",
  "SIOCADDTUNNEL",
  "SIOCDELTUNNEL",
  "SIOCCHGTUNNEL",
  "SIOCADDDLCI",
  "SIOCDELDLCI",
] as const;

export const DEFAULT_IOCTL: readonly (readonly [string, boolean])[] = [
  ["FIOCLEX", false],
  ["FIONCLEX", false],
  ["FIONBIO", false],
  ["FIONREAD", false],
  ["FIOASYNC", false],
  ["FIOQSIZE", false],
  ["FIDEDUPERANGE", false],
  ["PIDFD_GET_INFO", false],
  ["RNDGETENTCNT", false],
  ...[
    "FIOSETOWN",
    "SIOCSPGRP",
    "FIFREEZE",
    "FITHAW",
    "FS_IOC_SHUTDOWN",
    "FS_IOC_FIEMAP",
    "FIGETBSZ",
    "FICLONE",
    "FICLONERANGE",
    ...SPACE_AND_BLOCK_REQUESTS,
    "FS_IOC_GETFSUUID",
    "FS_IOC_GETFSSYSFSPATH",
    "FIBMAP",
    "FS_IOC_GETFSMAP",
    "XFS_IOC_GETBMAP",
    "XFS_IOC_GETBMAPA",
    "XFS_IOC_GETBMAPX",
    "XFS_IOC_FSGEOMETRY",
    "XFS_IOC_FSGEOMETRY_V1",
    "XFS_IOC_FSGEOMETRY_V4",
    "XFS_IOC_AG_GEOMETRY",
    "KDSETKEYCODE",
    "KDSIGACCEPT",
    "KDSKBMODE",
    "KDSKBENT",
    "KDSKBSENT",
    "KDSKBMETA",
    "KDSKBDIACR",
    "KDSKBDIACRUC",
    "KDSETMODE",
    "KDMAPDISP",
    "KDUNMAPDISP",
    "KDFONTOP",
    "KDMKTONE",
    "KDKBDREP",
    "KDENABIO",
    "KDDISABIO",
    "KDADDIO",
    "KDDELIO",
    "PIO_FONT",
    "PIO_FONTX",
    "PIO_FONTRESET",
    "PIO_SCRNMAP",
    "PIO_UNISCRNMAP",
    "PIO_UNIMAP",
    "PIO_UNIMAPCLR",
    "PIO_CMAP",
    "VT_SETMODE",
    "VT_ACTIVATE",
    "VT_SETACTIVATE",
    "VT_RELDISP",
    "VT_DISALLOCATE",
    "VT_RESIZE",
    "VT_RESIZEX",
    "VT_SENDSIG",
    "VT_LOCKSWITCH",
    "VT_UNLOCKSWITCH",
    "TIOCSETD",
    "TIOCSTI",
    "TIOCCONS",
    "TIOCLINUX",
    "TIOCSSERIAL",
    "TIOCSPGRP",
    "TIOCVHANGUP",
    "FS_IOC_FSGETXATTR",
    "FS_IOC_FSSETXATTR",
    "FS_IOC_SETFLAGS",
    "FS_IOC32_SETFLAGS",
    "FS_IOC_ENABLE_VERITY",
    "FAT_IOCTL_SET_ATTRIBUTES",
    "EXT4_IOC_MOVE_EXT",
    "EXT4_IOC_SWAP_BOOT",
    "XFS_IOC_EXCHANGE_RANGE",
    "XFS_IOC_START_COMMIT",
    "XFS_IOC_COMMIT_RANGE",
    "XFS_IOC_SWAPEXT",
    "F2FS_IOC_MOVE_RANGE",
    "F2FS_IOC_START_ATOMIC_REPLACE",
    "BTRFS_IOC_SUBVOL_CREATE",
    "BTRFS_IOC_SUBVOL_CREATE_V2",
    "BTRFS_IOC_SNAP_CREATE",
    "BTRFS_IOC_SNAP_CREATE_V2",
    "BTRFS_IOC_SNAP_DESTROY",
    "BTRFS_IOC_SNAP_DESTROY_V2",
    "OCFS2_IOC_REFLINK",
    "XFS_IOC_PATH_TO_HANDLE",
    "XFS_IOC_PATH_TO_FSHANDLE",
    "XFS_IOC_FD_TO_HANDLE",
    "XFS_IOC_GETPARENTS",
    "XFS_IOC_GETPARENTS_BY_HANDLE",
    "RNDADDTOENTCNT",
    "RNDGETPOOL",
    "RNDADDENTROPY",
    "RNDZAPENTCNT",
    "RNDCLEARPOOL",
    "SECCOMP_IOCTL_NOTIF_RECV",
    "SECCOMP_IOCTL_NOTIF_SEND",
    "SECCOMP_IOCTL_NOTIF_ID_VALID",
    "SECCOMP_IOCTL_NOTIF_ADDFD",
    "SECCOMP_IOCTL_NOTIF_SET_FLAGS",
    "KCOV_INIT_TRACE",
    "KCOV_ENABLE",
    "KCOV_DISABLE",
    "KCOV_RESET_TRACE",
    "KCOV_REMOTE_ENABLE",
    "DRM_IOCTL_GEM_CHANGE_HANDLE",
    ...NET_CONFIG_REQUESTS,
  ].map((name) => [name, true] as const),
];

/**
 * One name's request, found by a binary search of the table's sorted lines (no table is built
 * for a name: the default rules look up about a hundred at every start).
 */
function byName(name: string): IoctlRequest | undefined {
  const text = IOCTL_TABLE;
  // The name's line starts in [lo, hi), and lo is a line's start.
  let lo = 1;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const start = text.lastIndexOf("\n", mid - 1) + 1;
    const end = text.indexOf("\n", start);
    const [found, request, mask] = row(text.slice(start, end));
    if (found === name) return { request, mask };
    if (found < name) lo = end + 1;
    else hi = start;
  }
  return undefined;
}

let rows: (readonly [string, number, number])[] | undefined;

/**
 * Every request name syd knows, sorted, as `[name, request, mask]`: built at the first glob,
 * number or message that needs them all.
 */
export function ioctlTable(): readonly (readonly [string, number, number])[] {
  rows ??= IOCTL_TABLE.trim().split("\n").map(row);
  return rows;
}

/** One line of the table (`NAME REQUEST MASK`, hexadecimal) as `[name, request, mask]`. */
function row(line: string): readonly [string, number, number] {
  const [name, request, mask] = line.split(" ");
  return [name, parseInt(request, 16), parseInt(mask, 16)];
}

/** The table entry whose varying bits `value` fills (a resized PIDFD_GET_INFO), if any. */
function varying(value: number): IoctlRequest | undefined {
  for (const [, request, mask] of ioctlTable()) {
    if (mask !== 0 && ((value & ~mask) >>> 0) === request) return { request, mask };
  }
  return undefined;
}

/** A request number as the original reads one (decimal, 0x, 0o), or undefined. */
function parseNumber(text: string): number | undefined {
  const m = /^(?:0x([0-9a-f]+)|0o([0-7]+)|([0-9]+))$/i.exec(text);
  if (!m) return undefined;
  const value = m[1] !== undefined
    ? parseInt(m[1], 16)
    : m[2] !== undefined
    ? parseInt(m[2], 8)
    : parseInt(m[3], 10);
  return value <= 0xffff_ffff ? value : undefined;
}

function globRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) throw new Error("unterminated [");
      let set = glob.slice(i + 1, end).replace(/\\/g, "\\\\");
      if (set.startsWith("!")) set = "^" + set.slice(1);
      out += `[${set}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`, "i");
}

/** The requests one element of a list names (a number, a name or a glob), or undefined if none. */
function expand(element: string): IoctlRequest[] | undefined {
  const value = parseNumber(element);
  if (value !== undefined) return [varying(value) ?? { request: value, mask: 0 }];
  const upper = element.toUpperCase();
  if (!/[*?[]/.test(upper)) {
    const found = byName(upper);
    return found ? [found] : undefined;
  }
  const re = globRegExp(upper);
  const out = ioctlTable().filter(([name]) => re.test(name)).map(([, request, mask]) => ({
    request,
    mask,
  }));
  return out.length > 0 ? out : undefined;
}

/**
 * The requests of a comma list, in order, duplicates kept once.
 *
 * @example
 * ```ts
 * parseIoctlList("FIONBIO,0x5412"); // [{ request: 0x5421, mask: 0 }, { request: 0x5412, mask: 0 }]
 * ```
 */
export function parseIoctlList(text: string): IoctlRequest[] {
  const out: IoctlRequest[] = [];
  let at = 0;
  for (const raw of text.split(",")) {
    const optional = raw.endsWith("!");
    const element = optional ? raw.slice(0, -1) : raw;
    if (element.length === 0) throw new IoctlListError("empty ioctl request", at);
    if (element.startsWith("/")) {
      throw new IoctlListError(
        "ioctl rules name requests, not paths (ioctl sandboxing judges the request number only)",
        at,
      );
    }
    let found: IoctlRequest[] | undefined;
    try {
      found = expand(element);
    } catch {
      throw new IoctlListError(`invalid ioctl glob "${element}"`, at);
    }
    if (found === undefined && !optional) {
      throw new IoctlListError(
        `unknown ioctl request "${element}" (a name of x86_64's, or a number; NAME! ignores an unknown name)`,
        at,
      );
    }
    for (const r of found ?? []) {
      if (!out.some((o) => o.request === r.request)) out.push(r);
    }
    at += raw.length + 1;
  }
  return out;
}

/** The names a request number has (for messages), or none. */
export function ioctlNames(value: number): string[] {
  return ioctlTable().filter(([, request, mask]) => ((value & ~mask) >>> 0) === request).map((
    [name],
  ) => name);
}

let defaults: Map<number, { deny: boolean; mask: number }> | undefined;

/** The default verdicts, as requests (`deny` true for the denylist): a fresh copy each call. */
export function defaultIoctlRules(): Map<number, { deny: boolean; mask: number }> {
  if (defaults === undefined) {
    defaults = new Map();
    for (const [name, deny] of DEFAULT_IOCTL) {
      const found = byName(name);
      if (found) defaults.set(found.request, { deny, mask: found.mask });
    }
  }
  return new Map([...defaults].map(([request, verdict]) => [request, { ...verdict }]));
}

/**
 * errno of a denied request, as the original's: EPERM for privileged ones, EOPNOTSUPP for the
 * file-layout and reflink ones, EACCES and EINVAL for a few, ENOTTY for every other.
 */
const ERRNO_BY_NAME: Readonly<Record<string, number>> = {
  ...Object.fromEntries(
    [
      "FIBMAP",
      "FIFREEZE",
      "FIOSETOWN",
      "FITHAW",
      "BTRFS_IOC_SUBVOL_CREATE",
      "BTRFS_IOC_SUBVOL_CREATE_V2",
      "BTRFS_IOC_SNAP_CREATE",
      "BTRFS_IOC_SNAP_CREATE_V2",
      "BTRFS_IOC_SNAP_DESTROY",
      "BTRFS_IOC_SNAP_DESTROY_V2",
      "OCFS2_IOC_REFLINK",
      "XFS_IOC_GETPARENTS",
      "XFS_IOC_GETPARENTS_BY_HANDLE",
      "FAT_IOCTL_SET_ATTRIBUTES",
      "RNDADDENTROPY",
      "RNDADDTOENTCNT",
      "RNDCLEARPOOL",
      "RNDZAPENTCNT",
      "SIOCSPGRP",
      ...NET_CONFIG_REQUESTS,
    ].map((name) => [name, 1]),
  ),
  ...Object.fromEntries(
    [
      "FICLONE",
      "FICLONERANGE",
      "FS_IOC_SHUTDOWN",
      "FS_IOC_FIEMAP",
      "FS_IOC_GETFSMAP",
      "XFS_IOC_GETBMAP",
      "XFS_IOC_GETBMAPA",
      "XFS_IOC_GETBMAPX",
      ...SPACE_AND_BLOCK_REQUESTS,
      "EXT4_IOC_MOVE_EXT",
      "EXT4_IOC_SWAP_BOOT",
      "XFS_IOC_EXCHANGE_RANGE",
      "XFS_IOC_START_COMMIT",
      "XFS_IOC_COMMIT_RANGE",
      "XFS_IOC_SWAPEXT",
      "F2FS_IOC_MOVE_RANGE",
    ].map((name) => [name, 95]),
  ),
  F2FS_IOC_START_ATOMIC_REPLACE: 13,
  XFS_IOC_PATH_TO_HANDLE: 22,
  XFS_IOC_PATH_TO_FSHANDLE: 22,
  XFS_IOC_FD_TO_HANDLE: 22,
};

let errnoByRequest: Map<number, number> | undefined;

/** The errno a denied request answers (ENOTTY unless the original says otherwise). */
export function ioctlErrno(request: number): number {
  if (errnoByRequest === undefined) {
    errnoByRequest = new Map();
    for (const [name, errno] of Object.entries(ERRNO_BY_NAME)) {
      const found = byName(name);
      // The first name of a request says its errno.
      if (found && !errnoByRequest.has(found.request)) errnoByRequest.set(found.request, errno);
    }
  }
  return errnoByRequest.get(request) ?? 25; // ENOTTY
}
