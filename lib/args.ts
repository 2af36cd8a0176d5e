/**
 * A strict command-line option parser, for syd's own options and `syd lint`'s: the subset of
 * `node:util`'s `parseArgs` syd used (strict, tokens, string and boolean options, short groups),
 * with its messages. Written here because loading `node:util` brings Deno's Node compatibility
 * layer, which cost a quarter of syd's start-up (issue 14, README "Benchmarks").
 *
 * Syntax: `--name`, `--name=value`, `--name value`, `-x`, `-xvalue`, `-x value`, groups of short
 * booleans (`-qx`), a group ending in one that takes a value (`-qpoff`, `-qp off`); `--` ends the
 * options. A value taken from the next argument may not look like an option (`-m -p` is refused
 * as ambiguous: write `-m=-p` or `--magic=-p`).
 *
 * @module
 */

/** How one option is spelt and whether it takes a value. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
}

/** One argument as parsed: an option (with its value, for string options) or an operand. */
export type Token =
  | { kind: "option"; name: string; rawName: string; value?: string }
  | { kind: "positional"; value: string }
  | { kind: "option-terminator" };

/** A malformed command line; the message names the option as the user wrote it. */
export class ArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArgsError";
  }
}

/**
 * Parses `args` against `options`. Unknown options, a missing or ambiguous value, a value given
 * to a boolean, and (unless `allowPositionals`) any operand throw an `ArgsError`.
 *
 * @example
 * ```ts
 * parseOptions(["-pfu", "--magic=x"], { profile: { type: "string", short: "p" },
 *   magic: { type: "string", short: "m" } }, false);
 * // [{ kind: "option", name: "profile", rawName: "-p", value: "fu" },
 * //  { kind: "option", name: "magic", rawName: "--magic", value: "x" }]
 * ```
 */
export function parseOptions(
  args: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
  allowPositionals: boolean,
): Token[] {
  return scan(args, options, allowPositionals ? "allow" : "refuse").tokens;
}

/**
 * Parses the options before the first operand (or before `--`, which is dropped); `rest` is
 * everything from there on. Errors as `parseOptions`.
 *
 * @example
 * ```ts
 * parseLeadingOptions(["-poff", "--", "sh", "-c", "x"], { profile: { type: "string", short: "p" } });
 * // { tokens: [{ kind: "option", name: "profile", rawName: "-p", value: "off" }],
 * //   rest: ["sh", "-c", "x"] }
 * ```
 */
export function parseLeadingOptions(
  args: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
): { tokens: Token[]; rest: string[] } {
  return scan(args, options, "stop");
}

/** What an operand does: is kept, is refused, or ends the options. */
type Operands = "allow" | "refuse" | "stop";

function scan(
  args: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
  operands: Operands,
): { tokens: Token[]; rest: string[] } {
  const shorts = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.short !== undefined) shorts.set(spec.short, name);
  }
  const tokens: Token[] = [];
  const positional = (value: string) => {
    if (operands === "refuse") {
      throw new ArgsError(
        `Unexpected argument '${value}'. This command does not take positional arguments`,
      );
    }
    tokens.push({ kind: "positional", value });
  };
  let i = 0;
  while (i < args.length) {
    const arg = args[i++];
    if (arg === "--") {
      if (operands === "stop") return { tokens, rest: args.slice(i) };
      tokens.push({ kind: "option-terminator" });
      while (i < args.length) positional(args[i++]);
      break;
    }
    if (arg.length < 2 || arg[0] !== "-") {
      if (operands === "stop") return { tokens, rest: args.slice(i - 1) };
      positional(arg);
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const rawName = `--${name}`;
      const spec = Object.hasOwn(options, name) ? options[name] : undefined;
      if (spec === undefined) throw unknown(rawName);
      if (spec.type === "boolean") {
        if (eq >= 0) throw new ArgsError(`Option '${label(name, spec)}' does not take an argument`);
        tokens.push({ kind: "option", name, rawName });
        continue;
      }
      if (eq >= 0) {
        tokens.push({ kind: "option", name, rawName, value: arg.slice(eq + 1) });
        continue;
      }
      tokens.push({ kind: "option", name, rawName, value: nextValue(args, i++, name, spec) });
      continue;
    }
    // One short option or a group of them: each boolean stands alone; the first that takes a
    // value takes the rest of the group, or the next argument when it ends the group.
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j];
      const rawName = `-${letter}`;
      const name = shorts.get(letter);
      if (name === undefined) throw unknown(rawName);
      const spec = options[name];
      if (spec.type === "boolean") {
        tokens.push({ kind: "option", name, rawName });
        continue;
      }
      const value = j + 1 < arg.length ? arg.slice(j + 1) : nextValue(args, i++, name, spec);
      tokens.push({ kind: "option", name, rawName, value });
      break;
    }
  }
  return { tokens, rest: [] };
}

function label(name: string, spec: OptionSpec): string {
  return spec.short === undefined ? `--${name}` : `-${spec.short}, --${name}`;
}

function unknown(rawName: string): ArgsError {
  return new ArgsError(`Unknown option '${rawName}'`);
}

/** The value of a string option from the argument at `at`, refused if missing or option-like. */
function nextValue(args: readonly string[], at: number, name: string, spec: OptionSpec): string {
  if (at >= args.length) {
    throw new ArgsError(`Option '${label(name, spec)} <value>' argument missing`);
  }
  const value = args[at];
  if (value.length > 1 && value[0] === "-") {
    throw new ArgsError(
      `Option '${label(name, spec)}' argument is ambiguous: '${value}' looks like an option ` +
        `(write --${name}=${value} to give it as the value)`,
    );
  }
  return value;
}
