/**
 * Where commands come from, in command-line order: `-m CMD`, `-P FILE` (`.syd-3`), `-p NAME`
 * (built-in profiles), and the `include` and `include_profile` commands inside them.
 *
 * Files: one command per line; blank lines and lines starting with `#` are skipped; `${VAR}` is
 * replaced by the environment variable VAR (an unset one is an error naming it); `include PATH`
 * is relative to the including file (to the working directory from `-m`); include cycles are
 * errors. Every problem becomes a diagnostic with file, line and column: loading goes on after an
 * error so that lint can report them all, but a policy with any error is never used.
 *
 * @module
 */
import { dropRefusal } from "./drop.ts";
import { CommandError, parseCommand } from "./parse.ts";
import type { Command } from "./parse.ts";
import { PROFILES } from "./profiles.ts";
import { setidRefusal } from "./setid.ts";
import { bindRefusal, startNamespaces } from "./namespaces.ts";
import {
  apply,
  formatOrigin,
  initialState,
  type Origin,
  type PolicyState,
  startLimits,
} from "./state.ts";

const EPERM = 1;

/** The original 3.59's profiles (`syd-cat -p list`) that this syd does not have: refused (95). */
const ORIGINAL_PROFILES = [
  "chrome",
  "core",
  "cwd",
  "debug",
  "enforce",
  "firefox",
  "gui",
  "hide",
  "kcov",
  "kvm",
  "kvm_native",
  "landlock",
  "lang",
  "ldd",
  "local",
  "ltp",
  "nix",
  "nixstore",
  "nomagic",
  "nomem",
  "nopie",
  "noscm",
  "noxdev",
  "oci",
  "rand",
  "privileged",
  "readonly",
  "ro",
  "ff",
  "pwd",
  "tty_native",
  "wx",
  "xdg",
];
import { nearest } from "./vocab.ts";

/** One source on the command line. */
export type SourceSpec =
  | { kind: "command"; text: string }
  | { kind: "file"; path: string }
  | { kind: "profile"; name: string };

/** A problem found while loading, with its place. */
export interface Diagnostic {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  severity: "error" | "warning";
  message: string;
  hint?: string;
  /** True when the command is the original syd's but is not implemented here. */
  unsupported?: boolean;
  /** The errno syd exits with for this error when it is the first (EINVAL when unset). */
  errno?: number;
}

/** One command as applied, with its place, for lint. */
export interface Applied {
  command: Command;
  origin: Origin;
  col: number;
  /** Entries a `-` or `^` removed. */
  removed: number;
}

/** What loading produced. */
export interface LoadResult {
  state: PolicyState;
  diagnostics: Diagnostic[];
  applied: Applied[];
}

/** How to reach files and the environment (tests pass their own). Relative paths are read
 * against the working directory. */
export interface LoadOptions {
  env: Record<string, string | undefined>;
  readTextFile?: (path: string) => string;
  realPath?: (path: string) => string;
}

/** The deepest include nesting accepted. */
export const INCLUDE_DEPTH_MAX = 16;
/** The largest configuration file read. */
export const FILE_SIZE_MAX = 4 << 20;

/** `file:line:col: severity: message (hint)`, as lint and syd print diagnostics. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}${d.hint ? ` (${d.hint})` : ""}`;
}

function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? (slash === 0 ? "/" : ".") : path.slice(0, slash);
}

function resolvePath(base: string, path: string): string {
  if (path.startsWith("/") || base === ".") return path;
  return `${base.replace(/\/$/, "")}/${path}`;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Replaces `$VAR`, `${VAR}` and `${VAR:-default}` as the original syd does; an unset (or empty)
 * variable without a default is an error. Returns the text, or the 0-based offset and message
 * of the first problem.
 */
export function expandEnv(
  text: string,
  env: Record<string, string | undefined>,
): { text: string; sourceOffsets: number[] } | { offset: number; message: string } {
  let out = "";
  const sourceOffsets: number[] = []; // for each character of out, where it came from
  const emit = (piece: string, from: number | null) => {
    for (let k = 0; k < piece.length; k++) sourceOffsets.push(from ?? sourceOffsets.length);
    out += piece;
  };
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("$", i);
    if (start < 0) break;
    for (let k = i; k < start; k++) sourceOffsets.push(k);
    out += text.slice(i, start);
    let name: string;
    let fallback: string | undefined;
    let end: number;
    if (text[start + 1] === "{") {
      const close = text.indexOf("}", start + 2);
      if (close < 0) return { offset: start, message: "unclosed ${ (write ${NAME})" };
      const inner = text.slice(start + 2, close);
      const sep = inner.indexOf(":-");
      name = sep < 0 ? inner : inner.slice(0, sep);
      fallback = sep < 0 ? undefined : inner.slice(sep + 2);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        return { offset: start, message: `"\${${inner}}" is not a variable name` };
      }
      end = close + 1;
    } else {
      const match = NAME.exec(text.slice(start + 1));
      if (!match) { // a lone $ is itself
        emit("$", start);
        i = start + 1;
        continue;
      }
      name = match[0];
      end = start + 1 + name.length;
    }
    const value = Object.hasOwn(env, name) ? env[name] : undefined;
    if (value === undefined || value === "") {
      if (fallback === undefined) {
        const state = value === undefined ? "is not set" : "is empty";
        return { offset: start, message: `environment variable "${name}" ${state}` };
      }
      emit(fallback, start);
    } else {
      emit(value, start);
    }
    i = end;
  }
  for (let k = i; k < text.length; k++) sourceOffsets.push(k);
  sourceOffsets.push(text.length); // the end of the text
  return { text: out + text.slice(i), sourceOffsets };
}

/** Why a configuration file may not be read (with the original's errno), or undefined. */
export function refuseFile(
  path: string,
  mode: number | null,
): { message: string; errno: number } | undefined {
  if (!path.endsWith(".syd-3")) {
    return { message: `configuration files must end in .syd-3: ${path}`, errno: 95 };
  }
  if (mode !== null && (mode & 0o022) !== 0) {
    return { message: `${path} is writable by group or others: syd refuses to read it`, errno: 13 };
  }
  return undefined;
}

/** A file syd will not read (wrong extension, unsafe permissions), with the original's errno. */
export class RefusedError extends Error {
  readonly errno: number;
  constructor(message: string, errno: number) {
    super(message);
    this.name = "RefusedError";
    this.errno = errno;
  }
}

class Loader {
  readonly state = initialState();
  readonly diagnostics: Diagnostic[] = [];
  readonly applied: Applied[] = [];
  readonly #stack: string[] = [];
  readonly #options: Required<LoadOptions>;
  /** Where `lock:on` was applied: from then on nothing else is read. */
  #lockedAt: (Origin & { col: number }) | null = null;
  /** Set at the first source refused by the lock: the rest is not read (as the original). */
  #stopped = false;

  constructor(options: LoadOptions) {
    this.#options = {
      readTextFile: (path) => {
        const info = Deno.statSync(path);
        if (!info.isFile) throw new Error("not a regular file");
        if (info.size > FILE_SIZE_MAX) throw new Error(`larger than ${FILE_SIZE_MAX} bytes`);
        const refusal = refuseFile(path, info.mode);
        if (refusal) throw new RefusedError(refusal.message, refusal.errno);
        return Deno.readTextFileSync(path);
      },
      realPath: (path) => Deno.realPathSync(path),
      ...options,
    };
  }

  error(
    file: string,
    line: number,
    col: number,
    message: string,
    extra: Partial<Diagnostic> = {},
  ): void {
    this.diagnostics.push({ file, line, col, severity: "error", message, ...extra });
  }

  /**
   * False once the policy is locked (`lock:on`): records why the source at `where` is refused,
   * with EPERM, and stops reading (as the original: "sandbox locked", exit 1). The one command
   * still accepted is `lock:on` itself, which changes nothing.
   */
  unlocked(where: Origin, col: number, what: string): boolean {
    if (this.#stopped) return false;
    if (this.#lockedAt === null) return true;
    const at = this.#lockedAt;
    this.error(where.file, where.line, col, `${what} refused: sandbox locked`, {
      hint: `lock:on at ${formatOrigin(at)} is final; nothing after it is read`,
      errno: EPERM,
    });
    this.#stopped = true;
    return false;
  }

  /** Parses and applies one command (already expanded) at a place. */
  /** `colAt(offset)`: the 1-based column in the line as written of offset `offset` in `text`. */
  command(
    text: string,
    origin: Origin,
    colAt: (offset: number) => number,
    base: string,
    depth: number,
  ): void {
    const col = colAt(0);
    if (this.#stopped) return;
    if (this.#lockedAt !== null && /^(l|lock|lock:on|lock:1)$/.test(text)) return;
    if (!this.unlocked(origin, col, `\`${text}\``)) return;
    let command: Command;
    try {
      command = parseCommand(text);
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      this.error(origin.file, origin.line, colAt(err.offset), err.message, {
        hint: err.hint,
        unsupported: err.unsupported || undefined,
        errno: err.errno,
      });
      return;
    }
    if (command.kind === "include") {
      this.file(resolvePath(base, command.path), depth + 1, origin, col);
    } else if (command.kind === "include_profile") {
      this.profile(command.name, depth + 1, origin, col);
    } else {
      const refused = this.state.lock === "drop" ? dropRefusal(this.state, command) : undefined;
      if (refused !== undefined) {
        this.error(origin.file, origin.line, col, `\`${text}\` refused by lock:drop (${refused})`, {
          hint: "lock:drop lets commands only make the sandbox stricter",
          errno: EPERM,
        });
        return;
      }
      const setid = command.kind === "setid" ? setidRefusal(this.state.setid, command) : undefined;
      if (setid !== undefined) {
        // The source follows `setuid+`, the target the colon.
        const at = setid.at === "src" ? 7 : setid.at === "dst" ? text.indexOf(":") + 1 : 0;
        this.error(origin.file, origin.line, colAt(at), `\`${text}\` refused: ${setid.message}`, {
          hint: setid.hint,
          errno: setid.errno,
        });
        return;
      }
      if (command.kind === "namespace" && command.ns === "unshare_query") {
        // As the original (EINVAL): a query before the sandbox runs is a configuration no-op.
        this.error(origin.file, origin.line, col, `\`${text}\`: a query works only at run time`, {
          hint: "stat /dev/syd/" + text + " inside the sandbox",
        });
        return;
      }
      const bind = command.kind === "namespace"
        ? bindRefusal(this.state.namespaces, command)
        : undefined;
      if (bind !== undefined) {
        this.error(origin.file, origin.line, col, `\`${text}\` refused: ${bind.message}`, {
          errno: bind.errno,
        });
        return;
      }
      const removed = apply(this.state, command, { ...origin, col });
      this.applied.push({ command, origin, col, removed });
      if (command.kind === "lock" && command.state === "on") this.#lockedAt = { ...origin, col };
    }
  }

  /** Reads the lines of a text (a file's or a profile's). */
  lines(text: string, file: string, base: string, depth: number, expand: boolean): void {
    text.split("\n").forEach((raw, index) => {
      const line = index + 1;
      const trimmed = raw.replace(/\s+$/, "");
      const indent = trimmed.length - trimmed.trimStart().length;
      const body = trimmed.trimStart();
      if (body.length === 0 || body.startsWith("#")) return;
      let commandText = body;
      let offsets: number[] = [];
      if (expand && !body.startsWith("setenv!")) {
        const expanded = expandEnv(body, this.#options.env);
        if ("offset" in expanded) {
          this.error(file, line, indent + expanded.offset + 1, expanded.message);
          return;
        }
        commandText = expanded.text;
        offsets = expanded.sourceOffsets;
      }
      this.command(
        commandText,
        { file, line },
        (offset) => indent + 1 + (offsets[offset] ?? offset),
        base,
        depth,
      );
    });
  }

  file(path: string, depth: number, from?: Origin, fromCol = 1): void {
    const where = from ?? { file: path, line: 1 };
    const col = from ? fromCol : 1;
    if (!this.unlocked(where, col, `configuration file ${path}`)) return;
    if (depth > INCLUDE_DEPTH_MAX) {
      this.error(where.file, where.line, col, `includes nest deeper than ${INCLUDE_DEPTH_MAX}`);
      return;
    }
    const refusal = refuseFile(path, null);
    if (refusal) {
      this.error(where.file, where.line, col, refusal.message, {
        unsupported: refusal.errno === 95 || undefined,
      });
      return;
    }
    let real: string;
    let text: string;
    try {
      real = this.#options.realPath(path);
      text = this.#options.readTextFile(real);
    } catch (err) {
      if (err instanceof RefusedError) {
        this.error(where.file, where.line, col, err.message, {
          unsupported: err.errno === 95 || undefined,
        });
        return;
      }
      const reason = err instanceof Deno.errors.NotFound ? "no such file" : (err as Error).message;
      this.error(where.file, where.line, col, `cannot read ${path}: ${reason}`);
      return;
    }
    if (this.#stack.includes(real)) {
      this.error(
        where.file,
        where.line,
        col,
        `include cycle: ${[...this.#stack, real].join(" -> ")}`,
      );
      return;
    }
    this.#stack.push(real);
    try {
      this.lines(text, path, dirname(path), depth, true);
    } finally {
      this.#stack.pop();
    }
  }

  profile(name: string, depth: number, from?: Origin, fromCol = 1): void {
    const where = from ?? { file: `-p ${name}`, line: 1 };
    if (!this.unlocked(where, from ? fromCol : 1, `profile ${name}`)) return;
    const profile = Object.hasOwn(PROFILES, name) ? PROFILES[name] : undefined;
    if (!profile && ORIGINAL_PROFILES.includes(name)) {
      this.error(
        where.file,
        where.line,
        from ? fromCol : 1,
        `profile "${name}" of the original syd is not supported by this syd`,
        {
          hint: "syd lint --profiles lists the profiles this syd has",
          unsupported: true,
        },
      );
      return;
    }
    const letters = profileLetters(name);
    if (!profile && letters !== undefined) {
      // The original's stacked one-letter names: `-pfu` is `-p fs -p user`.
      for (const full of letters) this.profile(full, depth + 1, from, fromCol);
      return;
    }
    if (!profile) {
      const guess = nearest(name, Object.keys(PROFILES));
      this.error(where.file, where.line, from ? fromCol : 1, `unknown profile "${name}"`, {
        hint: guess
          ? `did you mean "${guess}"? syd lint --profiles lists them`
          : "syd lint --profiles lists them",
      });
      return;
    }
    const key = `profile:${name}`;
    if (this.#stack.includes(key) || depth > INCLUDE_DEPTH_MAX) {
      this.error(
        where.file,
        where.line,
        from ? fromCol : 1,
        `include cycle: ${[...this.#stack, key].join(" -> ")}`,
      );
      return;
    }
    this.#stack.push(key);
    try {
      this.lines(profile.text, key, ".", depth, true);
    } finally {
      this.#stack.pop();
    }
  }
}

/** The original's one-letter profile names (3.59), which stack: `-pfu` is fs then user. */
const PROFILE_LETTERS: Readonly<Record<string, string>> = {
  "4": "noipv6",
  "6": "noipv4",
  C: "core",
  D: "debug",
  E: "enforce",
  M: "nomem",
  P: "nopie",
  S: "nomagic",
  X: "noxdev",
  c: "container",
  d: "cwd",
  f: "fs",
  g: "gui",
  h: "hide",
  i: "immutable",
  l: "landlock",
  L: "linux",
  p: "privileged",
  q: "quiet",
  r: "rand",
  t: "tty",
  u: "user",
  "@": "local",
};

/** The profiles a run of one-letter names stands for, or undefined when it is not one. */
export function profileLetters(name: string): string[] | undefined {
  if (name.length === 0 || Object.hasOwn(PROFILES, name)) return undefined;
  const out: string[] = [];
  for (const letter of name) {
    if (!Object.hasOwn(PROFILE_LETTERS, letter)) return undefined;
    out.push(PROFILE_LETTERS[letter]);
  }
  return out;
}

/**
 * Loads sources in order onto the initial state (every category on but walk and list, denying).
 *
 * @example
 * ```ts
 * const { state, diagnostics } = load([{ kind: "profile", name: "off" }], { env: Deno.env.toObject() });
 * ```
 */
export function load(specs: readonly SourceSpec[], options: LoadOptions): LoadResult {
  const loader = new Loader(options);
  let index = 0;
  for (const spec of specs) {
    if (spec.kind === "command") {
      index++;
      // ${VAR} is expanded in -m commands too, as the original expands every command.
      const origin = { file: `-m#${index}`, line: 1 };
      // setenv!'s value is expanded when applied, against the environment earlier ones made.
      const expanded = spec.text.startsWith("setenv!")
        ? { text: spec.text, sourceOffsets: [] }
        : expandEnv(spec.text, options.env);
      if ("offset" in expanded) {
        loader.error(origin.file, 1, expanded.offset + 1, expanded.message);
        continue;
      }
      const offsets = expanded.sourceOffsets;
      loader.command(expanded.text, origin, (offset) => 1 + (offsets[offset] ?? offset), ".", 0);
    } else if (spec.kind === "file") {
      loader.file(spec.path, 0);
    } else {
      loader.profile(spec.name, 0);
    }
  }
  // Every command is read: what the original does before the sandbox starts.
  startLimits(loader.state);
  startNamespaces(loader.state.namespaces);
  return { state: loader.state, diagnostics: loader.diagnostics, applied: loader.applied };
}
