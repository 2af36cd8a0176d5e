/**
 * Path patterns (globs) as the original syd writes them: `*` any run within one component,
 * `**` any run across `/`, `?` one character but `/`, classes `[a-z]`, `[!x]`, `[^x]`,
 * `[[:alpha:]]`, `\` escapes, and `dir/***` for `dir` itself and everything below it (other runs
 * of three or more stars mean `**`, as in the original).
 *
 * Patterns are matched against canonical absolute paths: this module checks their syntax, and
 * answers the one question lint needs, whether one pattern always covers another (conservatively:
 * "yes" only when certain).
 *
 * @module
 */

/** A pattern that cannot be used: the message and the 0-based offset of the problem. */
export class PatternError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = "PatternError";
    this.offset = offset;
  }
}

const NAMED_CLASSES = new Set([
  "alnum",
  "alpha",
  "blank",
  "cntrl",
  "digit",
  "graph",
  "lower",
  "print",
  "punct",
  "space",
  "upper",
  "xdigit",
]);

/** The longest pattern syd accepts (PATH_MAX). */
export const PATTERN_LEN_MAX = 4096;

/** Checks a pattern's syntax; throws a PatternError that says where it is wrong. */
export function checkPattern(pattern: string): void {
  if (pattern.length === 0) throw new PatternError("empty pattern", 0);
  if (pattern.length > PATTERN_LEN_MAX) {
    throw new PatternError(`pattern longer than ${PATTERN_LEN_MAX} characters`, PATTERN_LEN_MAX);
  }
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "\\") {
      if (i + 1 >= pattern.length) throw new PatternError("a trailing \\ escapes nothing", i);
      i += 2;
    } else if (c === "[") {
      i = checkClass(pattern, i);
    } else if (c === "*") {
      let stars = 0;
      while (pattern[i + stars] === "*") stars++;
      i += stars;
    } else {
      i++;
    }
  }
}

/**
 * Runs of stars that mean `**` although written otherwise (4 or more, or `***` that does not end
 * the pattern after a `/`): accepted, as the original's matcher (rsync's) takes them, but worth
 * a lint warning, since only a trailing `/***` also matches the directory itself.
 */
export function starRunNotes(pattern: string): { offset: number; message: string }[] {
  const notes: { offset: number; message: string }[] = [];
  let i = 0;
  while (i < pattern.length) {
    if (pattern[i] === "\\") {
      i += 2;
      continue;
    }
    if (pattern[i] !== "*") {
      i++;
      continue;
    }
    let stars = 0;
    while (pattern[i + stars] === "*") stars++;
    const trailing = stars === 3 && i + 3 === pattern.length && (i === 0 || pattern[i - 1] === "/");
    if (stars > 2 && !trailing) {
      notes.push({
        offset: i,
        message:
          `${stars} stars here mean ** (only a trailing /*** also matches the directory itself)`,
      });
    }
    i += stars;
  }
  return notes;
}

/** Checks the class starting at `start` (a `[`); returns the offset after its `]`. */
function checkClass(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === "!" || pattern[i] === "^") i++;
  let first = true;
  let previous: string | undefined;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "]" && !first) return i + 1;
    first = false;
    if (c === "[" && pattern[i + 1] === ":") {
      const end = pattern.indexOf(":]", i + 2);
      if (end < 0) throw new PatternError("unclosed [: in a character class", i);
      const name = pattern.slice(i + 2, end);
      if (!NAMED_CLASSES.has(name)) {
        throw new PatternError(`unknown character class [:${name}:]`, i);
      }
      previous = undefined;
      i = end + 2;
      continue;
    }
    if (c === "\\") {
      if (i + 1 >= pattern.length) break;
      previous = pattern[i + 1];
      i += 2;
      continue;
    }
    if (c === "-" && previous !== undefined && i + 1 < pattern.length && pattern[i + 1] !== "]") {
      const high = pattern[i + 1] === "\\" ? pattern[i + 2] : pattern[i + 1];
      if (high === undefined) break;
      if (high < previous) throw new PatternError(`range ${previous}-${high} is backwards`, i - 1);
      previous = undefined;
      i += pattern[i + 1] === "\\" ? 3 : 2;
      continue;
    }
    previous = c;
    i++;
  }
  throw new PatternError("unclosed [ (a character class needs a ])", start);
}

const META = /[*?[\\]/;

/** The part of a pattern before its first special character, escapes undone. */
export function literalPrefix(pattern: string): string {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\" && i + 1 < pattern.length) {
      out += pattern[++i];
    } else if (META.test(c)) {
      break;
    } else {
      out += c;
    }
  }
  return out;
}

/** Whether a pattern has no special characters (it matches one path). */
export function isLiteral(pattern: string): boolean {
  return literalPrefix(pattern).length === unescapedLength(pattern);
}

function unescapedLength(pattern: string): number {
  let n = 0;
  for (let i = 0; i < pattern.length; i++, n++) if (pattern[i] === "\\") i++;
  return n;
}

/**
 * Whether every path that `narrow` matches is also matched by `broad`. Conservative: false
 * unless certain (equal patterns, or `broad` is `DIR/***` or `DIR/**` with a literal DIR that
 * contains everything `narrow` can match).
 */
export function covers(broad: string, narrow: string): boolean {
  if (broad === narrow) return true;
  for (const suffix of ["/***", "/**"]) {
    if (!broad.endsWith(suffix)) continue;
    const dir = broad.slice(0, -suffix.length);
    if (!isLiteral(dir)) return false;
    const root = literalPrefix(dir);
    const head = literalPrefix(narrow);
    if (!narrow.startsWith("/")) return false;
    if (suffix === "/***" && isLiteral(narrow) && head === root) return true; // DIR itself
    // DIR/** may not match DIR/ itself, and never matches DIR (which DIR/*** does).
    if (suffix === "/**" && (narrow === root + "/" || narrow === root + "/***")) return false;
    // Everything narrow matches starts with head: it lies in DIR when head starts with DIR/.
    return head.startsWith(root + "/");
  }
  return false;
}
