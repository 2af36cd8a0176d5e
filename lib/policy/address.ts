/**
 * Network addresses in rules: `ADDR[/PREFIX]!PORTS` for IPv4 and IPv6 (or an alias such as
 * `loopback` in place of `ADDR[/PREFIX]`; PORTS a port, a range `P1-P2`, a comma list of both, or
 * `*`), a path pattern for UNIX sockets, and `@name` for abstract UNIX sockets. As the original
 * (3.56 on), a dial(3) string `NETWORK!NETADDR!SERVICE` also names the protocol (`tcp`, `udp6`,
 * `icmp`, ..., `net` for any; `*` for any address), and `unix!PATTERN` is the UNIX form.
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

/** A closed range of ports. */
export interface PortRange {
  min: number;
  max: number;
}

/**
 * A parsed network address. `network`: the dial(3) network name it was written with (lower
 * case), absent for the legacy form, which matches any protocol as `net` does.
 */
export type Address =
  | { kind: "inet"; network?: string; alias?: string; cidrs: Cidr[]; ports: PortRange[] }
  | { kind: "unix"; pattern: string }
  | { kind: "abstract"; pattern: string };

/** IP protocol numbers of the dial(3) networks; `icmp` is 1 for IPv4 and 58 for IPv6. */
const NETWORK_PROTOCOLS: Readonly<Record<string, number>> = {
  tcp: 6,
  mptcp: 262,
  udp: 17,
  udplite: 136,
  sctp: 132,
  dccp: 33,
  icmp: 1,
  net: 0,
};
const UNIX_NETWORKS = ["unix", "unixgram", "unixpacket"];

/** The dial(3) network names the original knows, with their family suffixes. */
export const NETWORKS: readonly string[] = [
  ...Object.keys(NETWORK_PROTOCOLS).flatMap((name) => [name, `${name}4`, `${name}6`]),
  ...UNIX_NETWORKS,
];

/**
 * The IP protocol a rule's network matches for addresses of `family` (0: any protocol).
 *
 * @example
 * ```ts
 * networkProtocol("tcp6", 6); // 6
 * networkProtocol("icmp", 6); // 58 (ICMPv6)
 * networkProtocol(undefined, 4); // 0: the legacy form matches any protocol
 * ```
 */
export function networkProtocol(network: string | undefined, family: 4 | 6): number {
  if (network === undefined) return 0;
  const base = network.replace(/[46]$/, "");
  const protocol = NETWORK_PROTOCOLS[base] ?? 0;
  return base === "icmp" && family === 6 ? 58 : protocol;
}

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
  text = decodeHex(text);
  if (text.length === 0) throw new AddressError("empty address", 0);
  const first = text.indexOf("!");
  const network = first > 0 ? text.slice(0, first).toLowerCase() : "";
  if (UNIX_NETWORKS.includes(network)) {
    const rest = text.slice(first + 1);
    if (rest.startsWith("/") || rest.startsWith("@")) return parseUnix(rest, first + 1);
    throw new AddressError(
      `"${rest}" is not a UNIX socket address (/path, @name)`,
      first + 1,
    );
  }
  if (text.startsWith("@") || text.startsWith("/")) return parseUnix(text, 0);
  if (first > 0 && NETWORKS.includes(network)) {
    const rest = text.slice(first + 1);
    const second = rest.lastIndexOf("!");
    if (second < 0) {
      throw new AddressError(`"${text}" needs a service: ${network}!NETADDR!PORTS`, text.length);
    }
    return parseInet(rest.slice(0, second), rest.slice(second + 1), first + 1, network);
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
  return parseInet(text.slice(0, bang), text.slice(bang + 1), 0, undefined);
}

function parseUnix(text: string, base: number): Address {
  if (text.startsWith("@")) {
    if (text.length === 1) {
      throw new AddressError("an abstract socket needs a name after @", base + 1);
    }
    checkAsAddress(text.slice(1), base + 1);
    return { kind: "abstract", pattern: text.slice(1) };
  }
  checkAsAddress(text, base);
  return { kind: "unix", pattern: text };
}

/** Parses `PORTS`: `*`, or a comma list of ports and `P1-P2` ranges. */
function parsePorts(text: string, base: number): PortRange[] {
  if (text === "*") return [{ min: 0, max: 65535 }];
  const ranges: PortRange[] = [];
  let at = base;
  for (const part of text.split(",")) {
    const dash = part.indexOf("-");
    const min = parsePort(dash < 0 ? part : part.slice(0, dash), at);
    const max = dash < 0 ? min : parsePort(part.slice(dash + 1), at + dash + 1);
    if (max < min) throw new AddressError(`port range ${min}-${max} is backwards`, at);
    ranges.push({ min, max });
    at += part.length + 1;
  }
  return ranges;
}

/** `HOST!PORTS` (HOST at `base` in the rule); `network` constrains the family by its suffix. */
function parseInet(host: string, portsText: string, base: number, network?: string): Address {
  const ports = parsePorts(portsText, base + host.length + 1);
  const family = network?.endsWith("4") ? 4 : network?.endsWith("6") ? 6 : undefined;
  const fit = (cidrs: readonly Cidr[]) =>
    cidrs.filter((c) => family === undefined || c.family === family);
  const named = network !== undefined && host === "*" ? "any" : host;
  const alias = Object.hasOwn(ADDRESS_ALIASES, named) ? ADDRESS_ALIASES[named] : undefined;
  if (alias) {
    const cidrs = fit(alias);
    if (cidrs.length === 0) {
      throw new AddressError(`"${host}" has no IPv${family} address for ${network}`, base);
    }
    return { kind: "inet", ...withNetwork(network), alias: host, cidrs, ports };
  }
  const slash = host.indexOf("/");
  const ip = slash < 0 ? host : host.slice(0, slash);
  const v4 = parseIpv4(ip);
  const v6 = v4 ? undefined : parseIpv6(ip);
  if (!v4 && !v6) {
    throw new AddressError(
      `"${ip}" is not an IPv4 or IPv6 address or an alias (any, loopback, local, linklocal, ...)`,
      base,
    );
  }
  const bits = v4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const prefixText = host.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
      throw new AddressError(
        `"/${prefixText}" is not a prefix length (0 to ${bits})`,
        base + slash,
      );
    }
    prefix = Number(prefixText);
  }
  const cidr: Cidr = v4
    ? { family: 4, address: v4.join("."), prefix }
    : { family: 6, address: formatIpv6(v6!), prefix };
  if (fit([cidr]).length === 0) {
    throw new AddressError(`"${ip}" is not an IPv${family} address, as ${network} needs`, base);
  }
  return { kind: "inet", ...withNetwork(network), cidrs: [cidr], ports };
}

/** `{ network }` when one was written, `{}` otherwise (no key holding undefined). */
function withNetwork(network: string | undefined): { network?: string } {
  return network === undefined ? {} : { network };
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
/**
 * `text` decoded when it is wholly hex (pairs of hex digits, either case), as the original reads
 * rule values; otherwise `text` itself. Throws an AddressError when the bytes are not UTF-8.
 */
export function decodeHex(text: string): string {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text)) return text;
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new AddressError(`"${text}" decodes from hex to bytes that are not UTF-8`, 0);
  }
}

function hexOf(text: string): string {
  return [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function formatAddress(address: Address): string {
  switch (address.kind) {
    case "abstract":
      // A name with control bytes (NUL) is written in hex, as the parser reads it back.
      // deno-lint-ignore no-control-regex -- control characters are what is looked for
      return /[\x00-\x1f]/.test(address.pattern) && address.pattern.isWellFormed()
        ? hexOf(`@${address.pattern}`)
        : `@${address.pattern}`;
    case "unix":
      return address.pattern;
    case "inet": {
      const ports = address.ports.map((r) => r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`)
        .join(",");
      const prefix = address.network === undefined ? "" : `${address.network}!`;
      if (address.alias) return `${prefix}${address.alias}!${ports}`;
      const cidr = address.cidrs[0];
      const full = cidr.family === 4 ? 32 : 128;
      return `${prefix}${cidr.address}${cidr.prefix === full ? "" : `/${cidr.prefix}`}!${ports}`;
    }
  }
}
