/**
 * Whether two rules can match a common object: two path patterns a common path, two network
 * addresses a common address and port, two filesystem type lists a common type. `lock:drop`
 * refuses a rule that meets a stricter one this way (the original's `*_intersects_stricter`).
 * Where the answer cannot be told cheaply (two character classes) it is "yes": under
 * `lock:drop` that refuses a rule rather than let one through that weakens another.
 *
 * @module
 */
import { type Address, type Cidr, parseIpv4, parseIpv6, type PortRange } from "./address.ts";
import type { FsTypes } from "./fs_types.ts";

/** One token of a pattern: a character, one character but `/` (`?`, a class), or a star run. */
type Token =
  | { kind: "char"; c: string }
  | { kind: "one"; cls?: string }
  | { kind: "star" } // `*`: any run without `/`
  | { kind: "dstar" }; // `**`: any run

/** A pattern's tokens; `dir/***` gives two alternatives, `dir` and `dir/**`. */
function alternatives(pattern: string): Token[][] {
  if (pattern.endsWith("/***")) {
    const base = pattern.slice(0, -4);
    return [tokens(base.length === 0 ? "/" : base), tokens(`${base}/**`)];
  }
  return [tokens(pattern)];
}

function tokens(pattern: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < pattern.length) { // each pass consumes at least one character
    const c = pattern[i];
    if (c === "\\" && i + 1 < pattern.length) {
      out.push({ kind: "char", c: pattern[i + 1] });
      i += 2;
    } else if (c === "*") {
      let stars = 0;
      while (pattern[i + stars] === "*") stars++;
      out.push(stars === 1 ? { kind: "star" } : { kind: "dstar" });
      i += stars;
    } else if (c === "?") {
      out.push({ kind: "one" });
      i++;
    } else if (c === "[") {
      const end = classEnd(pattern, i);
      out.push({ kind: "one", cls: pattern.slice(i, end) });
      i = end;
    } else {
      out.push({ kind: "char", c });
      i++;
    }
  }
  return out;
}

/** The offset just past the class starting at `start` (checkPattern already took it). */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === "!" || pattern[i] === "^") i++;
  if (pattern[i] === "]") i++;
  while (i < pattern.length && pattern[i] !== "]") {
    i += pattern.startsWith("[:", i) ? Math.max(2, pattern.indexOf(":]", i + 2) + 2 - i) : 1;
  }
  return Math.min(i + 1, pattern.length);
}

/** Whether the class `cls` (as written) may hold `c`; a class never holds `/`. */
function classMayHold(cls: string | undefined, c: string): boolean {
  if (c === "/") return false;
  if (cls === undefined) return true;
  try {
    const body = cls.slice(1, -1).replace(/^!/, "^").replace(/\\/g, "\\\\");
    return new RegExp(`^[${body}]$`, "u").test(c) ||
      /\[:/.test(cls); // named classes: not told here, so "may"
  } catch {
    return true;
  }
}

/** Whether a token consuming one character and another may consume the same one. */
function oneMeetsOne(a: Token, b: Token): boolean {
  const slash = (t: Token) => t.kind === "dstar" || (t.kind === "char" && t.c === "/");
  if (a.kind === "char" && b.kind === "char") return a.c === b.c;
  if (a.kind === "char") {
    return b.kind === "one" ? classMayHold(b.cls, a.c) : slash(b) || a.c !== "/";
  }
  if (b.kind === "char") return oneMeetsOne(b, a);
  return true; // two of `?`, classes and stars: some character other than `/` (conservative)
}

/** Whether two token lists match a common string (a walk of their product, each state once). */
function tokensIntersect(p: Token[], q: Token[]): boolean {
  const width = q.length + 1;
  const seen = new Uint8Array((p.length + 1) * width);
  const stack: [number, number][] = [[0, 0]];
  const star = (t: Token | undefined) =>
    t !== undefined && (t.kind === "star" || t.kind === "dstar");
  while (stack.length > 0) { // each state is pushed at most once: bounded by the product
    const [i, j] = stack.pop()!;
    if (seen[i * width + j]) continue;
    seen[i * width + j] = 1;
    if (i === p.length && j === q.length) return true;
    const next: [number, number][] = [];
    if (star(p[i])) next.push([i + 1, j]); // a star may match nothing
    if (star(q[j])) next.push([i, j + 1]);
    if (i < p.length && j < q.length && oneMeetsOne(p[i], q[j])) {
      // One common character: a star stays where it is, any other token moves on.
      next.push([star(p[i]) ? i : i + 1, star(q[j]) ? j : j + 1]);
      if (star(p[i]) && star(q[j])) next.push([i + 1, j + 1]);
    }
    for (const [a, b] of next) if (!seen[a * width + b]) stack.push([a, b]);
  }
  return false;
}

/**
 * Whether two path patterns match a common path.
 *
 * @example
 * ```ts
 * globsIntersect("/tmp/***", "/tmp/x/*.c"); // true
 * globsIntersect("/tmp/*", "/etc/*"); // false
 * ```
 */
export function globsIntersect(a: string, b: string): boolean {
  for (const p of alternatives(a)) {
    for (const q of alternatives(b)) if (tokensIntersect(p, q)) return true;
  }
  return false;
}

/** A CIDR's address as a number of 32 or 128 bits. */
function cidrBits(cidr: Cidr): bigint | undefined {
  const parts = cidr.family === 4 ? parseIpv4(cidr.address) : parseIpv6(cidr.address);
  if (parts === undefined) return undefined;
  const width = cidr.family === 4 ? 8n : 16n;
  return parts.reduce((acc, part) => (acc << width) | BigInt(part), 0n);
}

function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const x = cidrBits(a);
  const y = cidrBits(b);
  if (x === undefined || y === undefined) return true;
  const total = a.family === 4 ? 32n : 128n;
  const shift = total - BigInt(Math.min(a.prefix, b.prefix));
  return x >> shift === y >> shift;
}

function portsOverlap(a: readonly PortRange[], b: readonly PortRange[]): boolean {
  return a.some((x) => b.some((y) => x.min <= y.max && y.min <= x.max));
}

/** Whether two network rule addresses match a common address (and port). */
export function addressesIntersect(a: Address, b: Address): boolean {
  if (a.kind === "inet" && b.kind === "inet") {
    return a.cidrs.some((x) => b.cidrs.some((y) => cidrsOverlap(x, y))) &&
      portsOverlap(a.ports, b.ports);
  }
  if (a.kind === "unix" && b.kind === "unix") return globsIntersect(a.pattern, b.pattern);
  if (a.kind === "abstract" && b.kind === "abstract") return globsIntersect(a.pattern, b.pattern);
  return false;
}

/** Whether two filesystem type lists share a type. */
export function fsTypesIntersect(a: FsTypes, b: FsTypes): boolean {
  if (a === "all" || b === "all") return true;
  return a.some((type) => b.includes(type));
}
