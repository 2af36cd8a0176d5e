/**
 * Reading access records: the JSON lines syd writes (`SYD_LOG_FD`, or stderr) into the accesses
 * learning works from. A log passed with `--from` is untrusted input: every line is checked, and
 * a bad one gives a message naming its file and line, never an exception.
 *
 * @module
 */
import { CATEGORIES } from "../policy/vocab.ts";

/** One access of a trial run. */
export interface Access {
  /** The category judged (`read`, `net/connect`, ...), or `fs` for a filesystem type. */
  cap: string;
  /** What was accessed: a canonical path, an fd name (`!memfd:x`), `ADDR!PORT`, `@name`, or an fs type (`0xef53`). */
  target: string;
  /** For network records: inet, inet6, unix or abstract. */
  family?: string;
  /** The system call. */
  sys?: string;
  /** The action syd took: warn in a trial run; deny means the access was not allowed. */
  act: string;
  /** An ioctl request's name, once records carry one (judged by request, not by path). */
  request?: string;
}

/** The longest record line read (a record is one write of at most a few KiB). */
export const LINE_LEN_MAX = 1 << 16;
/** The longest path or address accepted in a record. */
export const TARGET_LEN_MAX = 4096;

const KNOWN_CAPS = new Set<string>([...CATEGORIES, "fs"]);
const FAMILIES = new Set(["inet", "inet6", "unix", "abstract"]);

/** What one source of records gave: accesses, the other records, and the problems found. */
export interface ReadResult {
  accesses: Access[];
  /** Non-access records worth telling the user (syd's own denials: `ctx` link, ...). */
  others: Record<string, unknown>[];
  /** `FILE:LINE: message` for each bad line. */
  errors: string[];
  /** Lines that were not records at all (a program's own output in the same stream). */
  skipped: number;
}

/** A new, empty result. */
export function emptyResult(): ReadResult {
  return { accesses: [], others: [], errors: [], skipped: 0 };
}

/**
 * Turns one parsed record into an access; a string says why it cannot be one; null for records
 * that are not accesses.
 */
export function accessOf(record: unknown): Access | string | null {
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    return "not a JSON object";
  }
  const r = record as Record<string, unknown>;
  if (r.ctx !== "access") return null;
  if (typeof r.cap !== "string") return 'an access record without a "cap" string';
  if (!KNOWN_CAPS.has(r.cap)) return `unknown category "${r.cap.slice(0, 40)}"`;
  if (typeof r.act !== "string") return 'an access record without an "act" string';
  // ioctl judged by request (the original's records: `ctl`, the request's names): the name is
  // what is learnt (`allow/ioctl+TCGETS`), not a path.
  const ctl = Array.isArray(r.ctl) ? r.ctl[0] : r.ctl;
  if (r.cap === "ioctl" && typeof ctl === "string" && /^[A-Za-z0-9_]{1,64}$/.test(ctl)) {
    return { cap: r.cap, target: ctl, act: r.act, request: ctl, sys: "ioctl" };
  }
  const field = r.cap === "fs" ? "fs" : r.cap.startsWith("net/") ? "addr" : "path";
  const target = r[field];
  if (typeof target !== "string" || target.length === 0) {
    return `a ${r.cap} record without a "${field}" string`;
  }
  if (target.length > TARGET_LEN_MAX) {
    return `a "${field}" longer than ${TARGET_LEN_MAX} characters`;
  }
  if (target.includes("\0") && !(field === "addr" && target.startsWith("@"))) {
    return `a "${field}" holding a NUL character`;
  }
  const access: Access = { cap: r.cap, target, act: r.act };
  if (field === "path" && !target.startsWith("/") && !target.startsWith("!")) {
    return `a path that is not absolute: "${target.slice(0, 80)}"`;
  }
  if (field === "fs" && !/^0x[0-9a-f]{1,16}$/i.test(target)) {
    return `an fs type that is not hexadecimal: "${target.slice(0, 40)}"`;
  }
  if (field === "addr") {
    const family = r.family;
    if (typeof family !== "string" || !FAMILIES.has(family)) {
      return 'a network record without a known "family" (inet, inet6, unix, abstract)';
    }
    access.family = family;
  }
  if (typeof r.sys === "string") access.sys = r.sys.slice(0, 64);
  return access;
}

/**
 * Reads the records of one text (a whole log) into `into`. Lines that do not start with `{`
 * are another program's output and are counted, not read; every other line must be a record.
 */
export function readRecords(text: string, file: string, into = emptyResult()): ReadResult {
  let line = 0;
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf("\n", start);
    const end = newline < 0 ? text.length : newline;
    line++;
    readLine(text.slice(start, end), `${file}:${line}`, into);
    start = end + 1;
  }
  return into;
}

/** Reads one line of a log into `into`. */
export function readLine(raw: string, where: string, into: ReadResult): void {
  const text = raw.trim();
  if (text.length === 0) return;
  if (!text.startsWith("{")) {
    into.skipped++;
    return;
  }
  if (text.length > LINE_LEN_MAX) {
    into.errors.push(`${where}: a line longer than ${LINE_LEN_MAX} characters`);
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    into.errors.push(`${where}: not JSON (${(err as Error).message.slice(0, 120)})`);
    return;
  }
  const access = accessOf(value);
  if (typeof access === "string") {
    into.errors.push(`${where}: ${access}`);
  } else if (access !== null) {
    into.accesses.push(access);
  } else {
    const r = value as Record<string, unknown>;
    if (r.level === "warn" || r.level === "error" || r.act === "deny") into.others.push(r);
  }
}
