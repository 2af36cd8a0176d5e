/**
 * Learning mode: from the access records of a trial run (or of earlier runs' logs), the minimal
 * `.syd-3` policy which, on top of the same base profiles, lets the same run go through with no
 * denial. Each access is judged against the base policy as syd judges it (the last matching rule
 * decides): what the base allows is left out.
 *
 * @module
 */
import { covers } from "../policy/pattern.ts";
import type { PolicyState } from "../policy/state.ts";
import { CATEGORIES, isNetCategory } from "../policy/vocab.ts";
import type { Access } from "./records.ts";
import { collapse } from "./collapse.ts";
import { matches } from "./glob.ts";
import { netPatterns, netRuleMatches } from "./net.ts";
import { mayHoldSensitive, sensitiveReason } from "./sensitive.ts";
import type { LearntPolicy, LearntRule, SensitiveRule } from "./write.ts";

/** How to learn. */
export interface LearnOptions {
  /** The base policy (profiles and `-m` commands) the learnt one goes on top of. */
  base: PolicyState;
  /** `--exact`: no directory globs. */
  exact: boolean;
  /** `--depth N`. */
  depth: number;
  /** Canonical working directory and home, written as ${PWD} and ${HOME}; undefined: not used. */
  pwd?: string;
  home?: string;
  header: string[];
}

/** What was learnt, and what could not be. */
export interface Learnt {
  policy: LearntPolicy;
  /** Accesses syd denied even in the trial (its hardening): no rule can allow them. */
  denied: Access[];
  /** Accesses the base already allows. */
  covered: number;
}

/** The default `--depth`. */
export const DEPTH_DEFAULT = 3;
/** Distinct entries of one directory that make it `DIR/***`. */
export const BROAD = 3;

/** Whether the base allows `access` silently (its last matching rule, or its default, is allow). */
export function baseAllows(base: PolicyState, access: Access): boolean {
  if (access.cap === "fs") {
    if (!base.fsOn) return true;
    const type = Number.parseInt(access.target, 16);
    let action = base.fsDefault;
    for (const rule of base.fsRules) {
      if (rule.types === "all" || rule.types.includes(type)) action = rule.action;
    }
    return action === "allow";
  }
  const cap = access.cap as keyof PolicyState["on"];
  if (!(cap in base.on) || !base.on[cap]) return true;
  let action = base.defaults[cap];
  if (isNetCategory(cap)) {
    for (const rule of base.netRules) {
      if (rule.category === cap && netRuleMatches(rule, access.family ?? "", access.target)) {
        action = rule.action;
      }
    }
    return action === "allow";
  }
  for (const rule of base.rules) {
    if (rule.category === cap && matches(rule.pattern, access.target)) action = rule.action;
  }
  return action === "allow";
}

/** Whether the base denies something at or below `dir` for `category` (a glob there would override it). */
function baseDeniesBelow(base: PolicyState, category: string, dir: string): boolean {
  return base.rules.some((rule) => {
    if (rule.category !== category || rule.action === "allow") return false;
    const head = rule.pattern.replace(/[*?[\\].*$/, "");
    return head.startsWith(`${dir}/`) || matches(rule.pattern, `${dir}/x`);
  });
}

/** Rules of one category without those another of its rules covers. */
function withoutCovered(patterns: { pattern: string; count: number }[]) {
  return patterns.filter((p) =>
    !patterns.some((q) => q !== p && q.pattern !== p.pattern && covers(q.pattern, p.pattern))
  );
}

/** Learns the policy from the accesses of one or more runs. */
export function learn(accesses: readonly Access[], options: LearnOptions): Learnt {
  const info = { home: options.home };
  const denied: Access[] = [];
  let covered = 0;
  const paths = new Map<string, Map<string, number>>(); // category -> path -> count
  const net = new Map<string, Map<string, number>>(); // category -> "family target" -> count
  const fs = new Map<string, number>();
  const requests = new Map<string, number>();
  const sensitive = new Map<string, SensitiveRule>();
  const seenDenied = new Set<string>();
  for (const access of accesses) {
    if (access.act !== "warn" && access.act !== "allow") {
      const key = `${access.cap} ${access.target}`;
      if (!seenDenied.has(key)) denied.push(access);
      seenDenied.add(key);
      continue;
    }
    if (access.request !== undefined) {
      // An ioctl request by name: learnt as it is (the base's request lists are libsyd's).
      requests.set(access.request, (requests.get(access.request) ?? 0) + 1);
      continue;
    }
    if (baseAllows(options.base, access)) {
      covered++;
      continue;
    }
    if (access.cap === "fs") {
      fs.set(access.target, (fs.get(access.target) ?? 0) + 1);
    } else if (access.cap.startsWith("net/")) {
      const key = `${access.family} ${access.target}`;
      const byPeer = net.get(access.cap) ?? new Map();
      byPeer.set(key, (byPeer.get(key) ?? 0) + 1);
      net.set(access.cap, byPeer);
      const path = access.family === "unix" ? access.target : undefined;
      const why = path === undefined ? undefined : sensitiveReason(path, info);
      if (why !== undefined) byPeer.delete(key), addSensitive(sensitive, access, why);
    } else {
      const why = access.target.startsWith("/") ? sensitiveReason(access.target, info) : undefined;
      if (why !== undefined) {
        addSensitive(sensitive, access, why);
        continue;
      }
      const byPath = paths.get(access.cap) ?? new Map();
      byPath.set(access.target, (byPath.get(access.target) ?? 0) + 1);
      paths.set(access.cap, byPath);
    }
  }
  // pattern -> category -> count
  const table = new Map<string, Map<string, number>>();
  const put = (category: string, pattern: string, count: number) => {
    const row = table.get(pattern) ?? new Map();
    row.set(category, (row.get(category) ?? 0) + count);
    table.set(pattern, row);
  };
  for (const [category, byPath] of paths) {
    const collapsed = collapse(byPath, {
      exact: options.exact,
      depth: options.depth,
      broad: BROAD,
      pwd: options.pwd,
      home: options.home,
      forbidden: (dir) =>
        mayHoldSensitive(dir, info) || baseDeniesBelow(options.base, category, dir),
    });
    const names = [...byPath].filter(([path]) => !path.startsWith("/"));
    for (const { pattern, count } of withoutCovered(collapsed)) put(category, pattern, count);
    for (const [name, count] of names) put(category, name.replace(/[\n\r\0$]/g, "?"), count);
  }
  for (const [category, byPeer] of net) {
    const anchors = { pwd: options.pwd, home: options.home };
    for (const [pattern, count] of netPatterns(byPeer, anchors)) put(category, pattern, count);
  }
  for (const [type, count] of fs) put("fs", type.toLowerCase(), count);
  for (const [name, count] of requests) put("ioctl", name, count);
  // One rule per pattern and set of categories.
  const rules: LearntRule[] = [];
  const merged = new Map<string, LearntRule>();
  for (const [pattern, row] of table) {
    const categories = [...row.keys()].sort(byCategory);
    const key = `${categories.join(",")}\u0000${pattern}`;
    const count = [...row.values()].reduce((a, b) => a + b, 0);
    const rule = merged.get(key);
    if (rule) rule.count += count;
    else merged.set(key, { categories, pattern, count });
  }
  rules.push(...merged.values());
  const turnOn = ["walk", "list"].filter((c) => rules.some((r) => r.categories.includes(c)));
  return {
    policy: { header: options.header, turnOn, rules, sensitive: [...sensitive.values()] },
    denied,
    covered,
  };
}

/** Categories in the order syd names them (vocab.ts), then fs. */
const ORDER = [...CATEGORIES, "fs"] as readonly string[];

function byCategory(a: string, b: string): number {
  return ORDER.indexOf(a) - ORDER.indexOf(b);
}

function addSensitive(into: Map<string, SensitiveRule>, access: Access, why: string): void {
  const pattern = access.target.replace(/[*?[\]\\]/g, (c) => `\\${c}`).replace(
    /[\n\r\0$]/g,
    "?",
  );
  const key = `${access.cap}\u0000${pattern}`;
  const rule = into.get(key);
  if (rule) rule.count++;
  else into.set(key, { categories: [access.cap], pattern, count: 1, why });
}
