/**
 * Network rules from the addresses a run bound and connected to: IP addresses by address and
 * port (`loopback` and `any` where they fit, ephemeral ports as their range), UNIX sockets by
 * path, abstract sockets by name. Also judges a peer against the base policy's net rules, as
 * libsyd does (the last matching rule decides).
 *
 * @module
 */
import type { Cidr, PortRange } from "../policy/address.ts";
import type { NetRule } from "../policy/state.ts";
import { matches } from "./glob.ts";
import { componentGlob, literalGlob } from "./collapse.ts";

/** The ephemeral port range Linux hands out by default (ip_local_port_range). */
export const EPHEMERAL: PortRange = { min: 32768, max: 65535 };

/** An IP address's 128 bits (IPv4 as its IPv4-mapped IPv6 form's low bits), or null. */
export function ipBits(text: string, family: 4 | 6): bigint | null {
  if (family === 4) {
    const parts = text.split(".");
    if (parts.length !== 4 || !parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) < 256)) {
      return null;
    }
    return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string) => half === "" ? [] : half.split(":");
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (tail.length > 0 && tail[tail.length - 1].includes(".")) {
    const v4 = ipBits(tail.pop()!, 4);
    if (v4 === null) return null;
    tail.push((v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
  }
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** A record's `ADDR!PORT`, split; null when malformed. */
export function splitInet(target: string): { address: string; port: number } | null {
  const bang = target.lastIndexOf("!");
  if (bang <= 0) return null;
  const port = Number(target.slice(bang + 1));
  if (!/^[0-9]{1,5}$/.test(target.slice(bang + 1)) || port > 65535) return null;
  return { address: target.slice(0, bang), port };
}

function inCidr(bits: bigint, family: 4 | 6, cidr: Cidr): boolean {
  if (cidr.family !== family) return false;
  const base = ipBits(cidr.address, family);
  if (base === null) return false;
  const width = family === 4 ? 32 : 128;
  const shift = BigInt(width - cidr.prefix);
  return (bits >> shift) === (base >> shift);
}

/** Whether net rule `rule` matches the peer of a record (`family` and `target` as logged). */
export function netRuleMatches(rule: NetRule, family: string, target: string): boolean {
  const address = rule.address;
  if (family === "unix") return address.kind === "unix" && matches(address.pattern, target);
  if (family === "abstract") {
    return address.kind === "abstract" && matches(address.pattern, target.replace(/^@/, ""));
  }
  if (address.kind !== "inet") return false;
  const inet = splitInet(target);
  const fam = family === "inet6" ? 6 : 4;
  const bits = inet === null ? null : ipBits(inet.address, fam);
  if (inet === null || bits === null) return false;
  if (!address.cidrs.some((cidr) => inCidr(bits, fam, cidr))) return false;
  return address.ports.some((r) => inet.port >= r.min && inet.port <= r.max);
}

/** A UNIX socket's pattern under ${PWD} or ${HOME}, written so. */
function anchor(pattern: string, anchors: { pwd?: string; home?: string }): string {
  for (const [name, dir] of [["${PWD}", anchors.pwd], ["${HOME}", anchors.home]] as const) {
    if (dir === undefined || dir === "/") continue;
    const literal = literalGlob(dir);
    if (pattern.startsWith(`${literal}/`)) return `${name}${pattern.slice(literal.length)}`;
  }
  return pattern;
}

/** The rule text (after `allow/net/CAT+`) for each peer, with the accesses it covers. */
export function netPatterns(
  peers: Map<string, number>,
  anchors: { pwd?: string; home?: string } = {},
): Map<string, number> {
  // inet: by address (alias), ports merged; unix and abstract: one pattern each.
  const byAddress = new Map<string, { ports: Set<string>; count: number }>();
  const out = new Map<string, number>();
  const add = (key: string, count: number) => out.set(key, (out.get(key) ?? 0) + count);
  for (const [peer, count] of peers) {
    const [family, target] = [peer.slice(0, peer.indexOf(" ")), peer.slice(peer.indexOf(" ") + 1)];
    if (family === "unix") {
      const parts = target.split("/").slice(1);
      let parent = "";
      const pattern = parts.map((part) => {
        const glob = componentGlob(part, parent === "" ? "/" : parent);
        parent = `${parent}/${part}`;
        return glob;
      }).join("/");
      add(anchor(`/${pattern}`, anchors), count);
      continue;
    }
    if (family === "abstract") {
      const name = target.replace(/^@/, "").replace(/[0-9a-f]{16,}/gi, "\u0000");
      add(`@${literalGlob(name).replaceAll("?", "?").replaceAll("\u0000", "*")}`, count);
      continue;
    }
    const inet = splitInet(target);
    if (inet === null) continue;
    const fam = family === "inet6" ? 6 : 4;
    const bits = ipBits(inet.address, fam);
    if (bits === null) continue;
    let address = inet.address;
    if ((fam === 4 && bits >> 24n === 127n) || (fam === 6 && bits === 1n)) address = "loopback";
    else if (bits === 0n) address = "any";
    const port = inet.port >= EPHEMERAL.min && address === "loopback"
      ? `${EPHEMERAL.min}-${EPHEMERAL.max}`
      : String(inet.port);
    const entry = byAddress.get(address) ?? { ports: new Set(), count: 0 };
    entry.ports.add(port);
    entry.count += count;
    byAddress.set(address, entry);
  }
  for (const [address, { ports, count }] of byAddress) {
    const sorted = [...ports].sort((a, b) => parseInt(a) - parseInt(b));
    add(`${address}!${sorted.join(",")}`, count);
  }
  return out;
}
