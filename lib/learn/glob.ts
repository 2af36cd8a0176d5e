/**
 * Whether a path matches a rule's pattern, with the semantics of libsyd's matcher
 * (ffi/judge/glob.zig, rsync's wildmatch): `*` a run without `/`, `**` any run (`/**\/` also a single
 * `/`), a trailing `/***` the directory itself and everything below, `?` one character but `/`,
 * classes never matching `/`, `\` escapes. Learning judges each access with it against the base
 * policy, as syd would. Runs as an NFA over pattern offsets: O(pattern × path), never recursive.
 *
 * @module
 */

type Token =
  | { kind: "literal"; char: string }
  | { kind: "one" }
  | { kind: "class"; test: (c: string) => boolean }
  | { kind: "star" }
  | { kind: "starStar"; afterSlash: boolean }
  | { kind: "trailing" }; // the `/***` that ends a pattern

const NAMED: Readonly<Record<string, (c: string) => boolean>> = {
  alnum: (c) => /[A-Za-z0-9]/.test(c),
  alpha: (c) => /[A-Za-z]/.test(c),
  blank: (c) => c === " " || c === "\t",
  cntrl: (c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127,
  digit: (c) => /[0-9]/.test(c),
  graph: (c) => c.charCodeAt(0) > 32 && c.charCodeAt(0) < 127,
  lower: (c) => /[a-z]/.test(c),
  print: (c) => c.charCodeAt(0) >= 32 && c.charCodeAt(0) < 127,
  punct: (c) => /[!-\/:-@\[-`{-~]/.test(c),
  space: (c) => /[ \t\n\v\f\r]/.test(c),
  upper: (c) => /[A-Z]/.test(c),
  xdigit: (c) => /[0-9A-Fa-f]/.test(c),
};

/** Parses a class at `start` (a `[`); null when malformed. */
function parseClass(p: string, start: number): { token: Token; end: number } | null {
  let i = start + 1;
  let negate = false;
  if (p[i] === "!" || p[i] === "^") {
    negate = true;
    i++;
  }
  const tests: ((c: string) => boolean)[] = [];
  let first = true;
  while (i < p.length) {
    let c = p[i];
    if (c === "]" && !first) {
      const test = (x: string) => x !== "/" && tests.some((t) => t(x)) !== negate;
      return { token: { kind: "class", test }, end: i + 1 };
    }
    first = false;
    if (c === "[" && p[i + 1] === ":") {
      const close = p.indexOf(":]", i + 2);
      const named = close < 0 ? undefined : NAMED[p.slice(i + 2, close)];
      if (named === undefined) return null;
      tests.push(named);
      i = close + 2;
      continue;
    }
    if (c === "\\") {
      if (i + 1 >= p.length) return null;
      c = p[++i];
    }
    i++;
    if (p[i] === "-" && i + 1 < p.length && p[i + 1] !== "]") {
      let high = p[i + 1];
      i += 2;
      if (high === "\\") {
        if (i >= p.length) return null;
        high = p[i++];
      }
      const low = c;
      tests.push((x) => x >= low && x <= high);
      continue;
    }
    const one = c;
    tests.push((x) => x === one);
  }
  return null;
}

/** The pattern's tokens; null when it is malformed (it then matches nothing, as libsyd's). */
function tokenize(p: string): Token[] | null {
  if (p.length === 0 || p.length > 4096) return null;
  const tokens: Token[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    if (c === "\\") {
      if (i + 1 >= p.length) return null;
      tokens.push({ kind: "literal", char: p[i + 1] });
      i += 2;
    } else if (c === "[") {
      const parsed = parseClass(p, i);
      if (parsed === null) return null;
      tokens.push(parsed.token);
      i = parsed.end;
    } else if (c === "?") {
      tokens.push({ kind: "one" });
      i++;
    } else if (c === "*") {
      let stars = 0;
      while (p[i + stars] === "*") stars++;
      tokens.push(
        stars === 1 ? { kind: "star" } : { kind: "starStar", afterSlash: p[i - 1] === "/" },
      );
      i += stars;
    } else if (c === "/" && p.slice(i) === "/***") {
      tokens.push({ kind: "trailing" });
      i = p.length;
    } else {
      tokens.push({ kind: "literal", char: c });
      i++;
    }
  }
  return tokens;
}

/** Adds the states reachable without taking a character (one forward pass suffices). */
function close(tokens: Token[], fresh: Set<number>, inside: Set<number>): void {
  for (let at = 0; at < tokens.length; at++) {
    const token = tokens[at];
    if (inside.has(at) && token.kind === "starStar") fresh.add(at + 1);
    if (!fresh.has(at)) continue;
    if (token.kind === "star" || token.kind === "starStar") fresh.add(at + 1);
    if (token.kind === "trailing") fresh.add(tokens.length); // X/*** matches X
    // `/**/` matches `/` while the `**` has taken nothing: the `/` before it took the byte.
    const after = tokens[at + 1];
    if (
      token.kind === "starStar" && token.afterSlash && after?.kind === "literal" &&
      after.char === "/"
    ) {
      fresh.add(at + 2);
    }
  }
}

/**
 * Whether `path` matches `pattern` as libsyd judges it.
 *
 * @example
 * ```ts
 * matches("/usr/***", "/usr"); // true
 * matches("/tmp/*", "/tmp/a/b"); // false
 * ```
 */
export function matches(pattern: string, path: string): boolean {
  const tokens = tokenize(pattern);
  if (tokens === null) return false;
  const end = tokens.length;
  // `fresh`: token indices where matching may go on; `inside`: a `**` or trailing `/***` that
  // has taken a character (it takes any further character).
  let fresh = new Set<number>([0]);
  let inside = new Set<number>();
  close(tokens, fresh, inside);
  for (const c of path) {
    const next = new Set<number>();
    const nextInside = new Set<number>(inside);
    for (const at of fresh) {
      if (at === end) continue;
      const token = tokens[at];
      if (token.kind === "literal") {
        if (token.char === c) next.add(at + 1);
      } else if (token.kind === "one") {
        if (c !== "/") next.add(at + 1);
      } else if (token.kind === "class") {
        if (token.test(c)) next.add(at + 1);
      } else if (token.kind === "star") {
        if (c !== "/") next.add(at);
      } else if (token.kind === "starStar") {
        nextInside.add(at);
      } else if (c === "/") {
        nextInside.add(at); // trailing: X/ and anything below
      }
    }
    if (next.size === 0 && nextInside.size === 0) return false;
    close(tokens, next, nextInside);
    fresh = next;
    inside = nextInside;
  }
  return fresh.has(end) || [...inside].some((at) => tokens[at].kind === "trailing");
}
