/**
 * Collapsing the paths a run used into globs: generated names (temporary files, process ids,
 * hashes) become `*`, a directory whose entries are used broadly (or that lies deeper than
 * `--depth`) becomes `DIR/***`, and paths under the working directory and the home directory
 * are written `${PWD}/...` and `${HOME}/...`. A glob never covers a sensitive place, nor a place
 * the base policy denies.
 *
 * @module
 */
import { escapeGlob } from "./sensitive.ts";

/** How far to collapse. */
export interface CollapseOptions {
  /** `--exact`: every path as it was used (but generated names still become `*`). */
  exact: boolean;
  /** The most components a glob's directory keeps below its anchor (/, ${HOME}, ${PWD}). */
  depth: number;
  /** Distinct entries used in a directory that make it `DIR/***`. */
  broad: number;
  /** The working directory and home (canonical), written as ${PWD} and ${HOME}. */
  pwd?: string;
  home?: string;
  /** Whether `DIR/***` must not be written (it would cover a sensitive or denied place). */
  forbidden: (dir: string) => boolean;
}

/** A learnt pattern, the accesses it covers, and the paths (for tests and notes). */
export interface Collapsed {
  pattern: string;
  count: number;
}

const TEMP_DIRS = ["/tmp", "/var/tmp", "/dev/shm"];
const TEMP_PREFIXES = ["tmp", "cc", "pip-", "pymp-", "sh-thd-", "git-", "syd-"];

/**
 * A component written as a glob: control characters, `$` and trailing blanks (which a policy
 * line cannot hold) become `?`, glob characters are escaped, and generated names become `*`.
 */
export function componentGlob(name: string, parent: string): string {
  if (/^[0-9]+$/.test(name) && (parent.startsWith("/proc") || parent === "/dev/pts")) {
    return "[0-9]*";
  }
  const generated = generatedGlob(name, parent);
  if (generated !== undefined) return generated;
  return literalGlob(name);
}

/** `text` as a literal pattern piece. */
export function literalGlob(text: string): string {
  let out = "";
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f || c === "$") out += "?";
    else out += escapeGlob(c);
  }
  return out.replace(/\s+$/, (blanks) => "?".repeat(blanks.length));
}

/** A generated name's glob (a temporary file's, a hash's), or undefined. */
function generatedGlob(name: string, parent: string): string | undefined {
  if (/[0-9a-f]{16,}/i.test(name)) return literalGlob(name).replace(/[0-9a-fA-F]{16,}/g, "*");
  const inTemp = TEMP_DIRS.some((dir) => parent === dir || parent.startsWith(`${dir}/`));
  if (!inTemp) return undefined;
  // PREFIX RANDOM .REST: mkstemp's XXXXXX and the like, before the first dot.
  const dot = name.indexOf(".", 1);
  const core = dot < 0 ? name : name.slice(0, dot);
  const rest = dot < 0 ? "" : name.slice(dot);
  const prefix = TEMP_PREFIXES.find((p) => core.startsWith(p)) ?? "";
  const random = core.slice(prefix.length);
  // After a known prefix (cc, tmp), six name characters are mkstemp's whatever they are.
  const looksRandom = random.length >= 5 && /^[A-Za-z0-9_]+$/.test(random) &&
    ((prefix !== "" && random.length >= 6) || /[0-9]/.test(random) ||
      (/[A-Z]/.test(random) && /[a-z]/.test(random)));
  if (!looksRandom) return undefined;
  return `${literalGlob(prefix)}*${literalGlob(rest)}`;
}

interface Node {
  children: Map<string, Node>;
  /** Accesses of this path itself. */
  count: number;
  /** Accesses of this path and everything below. */
  total: number;
}

function newNode(): Node {
  return { children: new Map(), count: 0, total: 0 };
}

/** The anchor a path is written from, and its components below it. */
function anchored(path: string, options: CollapseOptions): { anchor: string; rest: string[] } {
  for (const [name, dir] of [["${PWD}", options.pwd], ["${HOME}", options.home]] as const) {
    if (dir === undefined || dir === "/") continue;
    if (path === dir) return { anchor: name, rest: [] };
    if (path.startsWith(`${dir}/`)) {
      return { anchor: name, rest: path.slice(dir.length + 1).split("/") };
    }
  }
  return { anchor: "", rest: path.split("/").slice(1).filter((c) => c.length > 0) };
}

/** The least depth below an anchor where `DIR/***` may be written. */
function minDepth(anchor: string): number {
  return anchor === "${PWD}" ? 0 : anchor === "${HOME}" ? 1 : 2;
}

/**
 * Collapses the paths of one category (with their access counts) into patterns, sorted.
 *
 * @example
 * ```ts
 * collapse(new Map([["/tmp/ccA1b2C3.s", 1]]), { exact: false, depth: 3, broad: 3, forbidden: () => false });
 * // [{ pattern: "/tmp/cc*.s", count: 1 }]
 * ```
 */
export function collapse(paths: Map<string, number>, options: CollapseOptions): Collapsed[] {
  const roots = new Map<string, Node>();
  for (const [path, count] of paths) {
    if (!path.startsWith("/")) continue; // fd names are not collapsed (collapseNames)
    const { anchor, rest } = anchored(path, options);
    let node: Node = roots.get(anchor) ?? newNode();
    roots.set(anchor, node);
    node.total += count;
    let real = anchor === "${PWD}" ? options.pwd! : anchor === "${HOME}" ? options.home! : "";
    for (const component of rest) {
      const key = componentGlob(component, real === "" ? "/" : real);
      real = `${real}/${component}`;
      const child: Node = node.children.get(key) ?? newNode();
      node.children.set(key, child);
      node = child;
      node.total += count;
    }
    node.count += count;
  }
  const out: Collapsed[] = [];
  for (const [anchor, root] of roots) {
    const real = anchor === "${PWD}" ? options.pwd! : anchor === "${HOME}" ? options.home! : "";
    walk(root, anchor, real, 0, minDepth(anchor), options, out);
  }
  return out.sort((a, b) => a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0);
}

function walk(
  node: Node,
  pattern: string,
  real: string,
  depth: number,
  least: number,
  options: CollapseOptions,
  out: Collapsed[],
): void {
  const shown = pattern === "" ? "/" : pattern;
  if (node.children.size === 0) {
    out.push({ pattern: shown, count: node.count });
    return;
  }
  const deep = depth >= options.depth;
  const broad = node.children.size >= options.broad;
  if (
    !options.exact && depth >= least && (deep || broad) &&
    !options.forbidden(real === "" ? "/" : real)
  ) {
    out.push({ pattern: `${pattern}/***`, count: node.total });
    return;
  }
  if (node.count > 0) out.push({ pattern: shown, count: node.count });
  for (const [key, child] of node.children) {
    // A generated component stands for several real names: judge by its literal form.
    walk(child, `${pattern}/${key}`, `${real}/${key}`, depth + 1, least, options, out);
  }
}
