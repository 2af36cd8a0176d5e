/**
 * Network addresses in rules: `ADDR[/PREFIX]!PORT[-PORT]` for IPv4 and IPv6 (or an alias such
 * as `loopback` in place of `ADDR[/PREFIX]`), a path pattern for UNIX sockets, and `@name` for
 * abstract UNIX sockets.
 *
 * @module
 */
import { checkPattern, PatternError } from "./pattern.ts";

/** One IP range. `address` is canonical text (dotted IPv4, compressed IPv6). */
export interface Cidr {
  family: 4 | 6;
  address: string;
  prefix: number;
}

/** A parsed network address. */
export type Address =
  | { kind: "inet"; alias?: string; cidrs: Cidr[]; portMin: number; portMax: number }
  | { kind: "unix"; pattern: string }
  | { kind: "abstract"; pattern: string };

const ANY4: Cidr[] = [{ family: 4, address: "0.0.0.0", prefix: 0 }];
const ANY6: Cidr[] = [{ family: 6, address: "::", prefix: 0 }];
const LOOPBACK4: Cidr[] = [{ family: 4, address: "127.0.0.0", prefix: 8 }];
const LOOPBACK6: Cidr[] = [{ family: 6, address: "::1", prefix: 128 }];
const LOCAL4: Cidr[] = [
  ...LOOPBACK4,
  { family: 4, address: "10.0.0.0", prefix: 8 },
  { family: 4, address: "172.16.0.0", prefix: 12 },
  { family: 4, address: "192.168.0.0", prefix: 16 },
];
const LINKLOCAL4: Cidr[] = [{ family: 4, address: "169.254.0.0", prefix: 16 }];
const LINKLOCAL6: Cidr[] = [{ family: 6, address: "fe80::", prefix: 10 }];
const LOCAL6: Cidr[] = [
  ...LOOPBACK6,
  ...LINKLOCAL6,
  { family: 6, address: "fc00::", prefix: 7 },
  { family: 6, address: "fec0::", prefix: 10 },
];

/** Aliases for sets of ranges, as the original syd defines them. */
export const ADDRESS_ALIASES: Readonly<Record<string, readonly Cidr[]>> = {
  any4: ANY4,
  any6: ANY6,
  any: [...ANY4, ...ANY6],
  loopback4: LOOPBACK4,
  loopback6: LOOPBACK6,
  loopback: [...LOOPBACK4, ...LOOPBACK6],
  local4: LOCAL4,
  local6: LOCAL6,
  local: [...LOCAL4, ...LOCAL6],
  linklocal4: LINKLOCAL4,
  linklocal6: LINKLOCAL6,
  linklocal: [...LINKLOCAL4, ...LINKLOCAL6],
};

/** An address that cannot be used: the message and the 0-based offset of the problem. */
export class AddressError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = "AddressError";
    this.offset = offset;
  }
}

/** Parses dotted IPv4 text into 4 bytes, or undefined. */
export function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  // No leading zeros: "010" would be octal to inet_aton, and the original refuses it.
  const bytes = parts.map((part) => (/^(0|[1-9][0-9]{0,2})$/.test(part) ? Number(part) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined;
}

/** Parses IPv6 text (with `::` and an embedded IPv4 tail) into 8 groups, or undefined. */
export function parseIpv6(text: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string, last: boolean): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (last && i === parts.length - 1 && part.includes(".")) { // only the last 32 bits
        const v4 = parseIpv4(part);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1], true) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** RFC 5952 text for 8 IPv6 groups. */
export function formatIpv6(groups: readonly number[]): string {
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    // IPv4-mapped: the dotted form, as inet_ntop and RFC 5952 (section 5) write it.
    return `::ffff:${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

function parsePort(text: string, offset: number): number {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) {
    throw new AddressError(`"${text}" is not a port (0 to 65535)`, offset);
  }
  return Number(text);
}

/**
 * Parses a network address as written in a rule.
 *
 * @example
 * ```ts
 * parseAddress("127.0.0.1/8!9050"); // { kind: "inet", cidrs: [...], portMin: 9050, portMax: 9050 }
 * parseAddress("loopback!0");       // port 0: an ephemeral port, for bind rules
 * ```
 */
export function parseAddress(text: string): Address {
  if (text.length === 0) throw new AddressError("empty address", 0);
  if (text.startsWith("@")) {
    if (text.length === 1) throw new AddressError("an abstract socket needs a name after @", 1);
    checkAsAddress(text.slice(1), 1);
    return { kind: "abstract", pattern: text.slice(1) };
  }
  if (text.startsWith("/")) {
    checkAsAddress(text, 0);
    return { kind: "unix", pattern: text };
  }
  // `!` separates the port; older syd versions used `@`, still accepted.
  let bang = text.lastIndexOf("!");
  if (bang < 0) bang = text.lastIndexOf("@");
  if (bang < 0) {
    throw new AddressError(
      `"${text}" needs a port: ADDR!PORT or ADDR!PORT-PORT (UNIX sockets are absolute paths)`,
      text.length,
    );
  }
  const host = text.slice(0, bang);
  const ports = text.slice(bang + 1);
  const dash = ports.indexOf("-");
  const portMin = parsePort(dash < 0 ? ports : ports.slice(0, dash), bang + 1);
  const portMax = dash < 0 ? portMin : parsePort(ports.slice(dash + 1), bang + 2 + dash);
  if (portMax < portMin) {
    throw new AddressError(`port range ${portMin}-${portMax} is backwards`, bang + 1);
  }
  const alias = Object.hasOwn(ADDRESS_ALIASES, host) ? ADDRESS_ALIASES[host] : undefined;
  if (alias) return { kind: "inet", alias: host, cidrs: [...alias], portMin, portMax };
  const slash = host.indexOf("/");
  const ip = slash < 0 ? host : host.slice(0, slash);
  const v4 = parseIpv4(ip);
  const v6 = v4 ? undefined : parseIpv6(ip);
  if (!v4 && !v6) {
    throw new AddressError(
      `"${ip}" is not an IPv4 or IPv6 address or an alias (any, loopback, local, linklocal, ...)`,
      0,
    );
  }
  const bits = v4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const prefixText = host.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
      throw new AddressError(`"/${prefixText}" is not a prefix length (0 to ${bits})`, slash);
    }
    prefix = Number(prefixText);
  }
  const cidr: Cidr = v4
    ? { family: 4, address: v4.join("."), prefix }
    : { family: 6, address: formatIpv6(v6!), prefix };
  return { kind: "inet", cidrs: [cidr], portMin, portMax };
}

function checkAsAddress(pattern: string, base: number): void {
  try {
    checkPattern(pattern);
  } catch (err) {
    if (err instanceof PatternError) throw new AddressError(err.message, base + err.offset);
    throw err;
  }
}

/** The canonical text of an address, which `parseAddress` reads back to the same value. */
export function formatAddress(address: Address): string {
  switch (address.kind) {
    case "abstract":
      return `@${address.pattern}`;
    case "unix":
      return address.pattern;
    case "inet": {
      const ports = address.portMin === address.portMax
        ? `${address.portMin}`
        : `${address.portMin}-${address.portMax}`;
      if (address.alias) return `${address.alias}!${ports}`;
      const cidr = address.cidrs[0];
      const full = cidr.family === 4 ? 32 : 128;
      return `${cidr.address}${cidr.prefix === full ? "" : `/${cidr.prefix}`}!${ports}`;
    }
  }
}
