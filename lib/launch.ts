/**
 * What syd runs, from the command line, as the original syd 3.59 decides it: the command, or a
 * shell (`-c CMD`, or no command at all: a login shell), its `argv[0]` (`-a ALIAS`), the `user`
 * profile that login-shell use loads (`-l`, `-f`, `-c`, or no argument at all), and the changes
 * `-e` makes to the environment.
 *
 * Needs: the parsed command line (`lib/cli.ts`).
 *
 * @module
 */
import type { OptionUse } from "./cli.ts";

/**
 * The shell syd runs when it has no command, or for `-c CMD`, unless `SYD_SHELL` names another:
 * the original's restricted bash, with no history file, no profile and no rc file read.
 */
export const DEFAULT_SHELL: readonly string[] = [
  "/usr/bin/env",
  "HISTFILE=",
  "/usr/bin/bash",
  "--login",
  "--noprofile",
  "--norc",
  "--restricted",
];

/** The longest variable name `-e` takes, in bytes (PATH_MAX, as the original). */
const NAME_BYTES_MAX = 4096;

const EPERM = 1;
const EINVAL = 22;
const ENAMETOOLONG = 36;

/**
 * One `-e`: `VAR=VAL` sets VAR, `VAR` removes it, `VAR=` passes VAR through unchanged (the
 * original's way to keep a variable its environment filter would remove).
 */
export type EnvOption =
  | { op: "set"; name: string; value: string }
  | { op: "unset"; name: string }
  | { op: "pass"; name: string };

/** A refused `-e`: the message (after `syd: `) and the errno that is syd's exit status. */
export class EnvOptionError extends Error {
  /** EINVAL (blank name), EPERM (a name of syd's own), ENAMETOOLONG (longer than 4096 bytes). */
  readonly errno: number;
  constructor(message: string, errno: number) {
    super(message);
    this.name = "EnvOptionError";
    this.errno = errno;
  }
}

/** Whether `name` is one of syd's own variables: it starts with `SYD`, in any case. */
export function isSydVariable(name: string): boolean {
  return name.slice(0, 3).toUpperCase() === "SYD";
}

/**
 * Parses the value of one `-e` as the original does: the name is what comes before the first
 * `=`; it must not be blank (EINVAL) nor longer than 4096 bytes (ENAMETOOLONG); a name of syd's
 * own (`SYD...`, any case) may be removed but never set or passed through (EPERM).
 *
 * @example
 * ```ts
 * parseEnvOption("LANG=C"); // { op: "set", name: "LANG", value: "C" }
 * parseEnvOption("TZ"); // { op: "unset", name: "TZ" }
 * parseEnvOption("LD_LIBRARY_PATH="); // { op: "pass", name: "LD_LIBRARY_PATH" }
 * ```
 */
export function parseEnvOption(text: string): EnvOption {
  const eq = text.indexOf("=");
  const name = eq < 0 ? text : text.slice(0, eq);
  if (name.trim() === "") {
    throw new EnvOptionError(
      `-e "${text}": no variable name (-e VAR=VAL, -e VAR, -e VAR=)`,
      EINVAL,
    );
  }
  if (new TextEncoder().encode(name).length > NAME_BYTES_MAX) {
    throw new EnvOptionError(
      `-e: the variable name is longer than ${NAME_BYTES_MAX} bytes`,
      ENAMETOOLONG,
    );
  }
  if (eq < 0) return { op: "unset", name };
  if (isSydVariable(name)) {
    throw new EnvOptionError(
      `-e "${text}": ${name} is syd's own (SYD...): it cannot be set or passed to the command`,
      EPERM,
    );
  }
  const value = text.slice(eq + 1);
  return value === "" ? { op: "pass", name } : { op: "set", name, value };
}

/**
 * `env` with the `-e` options applied in order. Removing one of syd's own variables changes
 * nothing: syd read them already, and the command never gets them.
 */
export function applyEnvOptions(
  env: Record<string, string>,
  options: readonly EnvOption[],
): Record<string, string> {
  const out = { ...env };
  for (const option of options) {
    if (option.op === "set") out[option.name] = option.value;
    if (option.op === "unset" && !isSydVariable(option.name)) delete out[option.name];
  }
  return out;
}

/** Where the `user` profile goes among the policy's sources. */
export type UserProfile = "none" | "first" | "last";

/** What syd runs, and how. */
export interface Launch {
  /** The program (`argv[0]`, found through PATH) and its arguments. */
  argv: string[];
  /** What the program sees as its `argv[0]`, when not `argv[0]` itself. */
  alias?: string;
  /**
   * The `user` profile: loaded before the other sources when syd has no argument at all, after
   * them for `-l`, `-f` and `-c` (unless the policy locked the sandbox), not otherwise.
   */
  userProfile: UserProfile;
  /** Whether syd runs a login shell (no command): the shell's `argv[0]` is `-` by default. */
  loginShell: boolean;
  /** The `-e` options, in order. */
  env: EnvOption[];
  /**
   * Start the command in an empty directory that no longer exists: the original's restricted
   * login shell (the default shell, no command, no `-E`) and `SYD_CHDIR` do so.
   */
  voidCwd: boolean;
}

/** The shell syd runs: `SYD_SHELL` (one word, not split) when set and not empty. */
export function shellOf(sydShell: string | undefined): string[] {
  return sydShell === undefined || sydShell === "" ? [...DEFAULT_SHELL] : [sydShell];
}

/**
 * Decides what syd runs. `noArguments`: syd was started with no argument at all (then the
 * `user` profile comes first, as the original's login shell); `sydShell`: `SYD_SHELL`;
 * `sydChdir`: `SYD_CHDIR` is set.
 * Throws {@linkcode EnvOptionError} for a refused `-e`.
 *
 * @example
 * ```ts
 * planLaunch([{ flag: "-c", name: "command", value: "id" }], [], false, undefined).argv;
 * // ["/usr/bin/env", "HISTFILE=", "/usr/bin/bash", "--login", ..., "-c", "id"]
 * ```
 */
export function planLaunch(
  options: readonly OptionUse[],
  operands: readonly string[],
  noArguments: boolean,
  sydShell: string | undefined,
  sydChdir = false,
): Launch {
  const shell = shellOf(sydShell);
  let userLast = false;
  let command: string[] | undefined;
  let alias: string | undefined;
  const env: EnvOption[] = [];
  for (const option of options) {
    if (option.name === "login" || option.name === "f") userLast = true;
    if (option.name === "command") {
      userLast = true;
      // Only the first -c counts, as with bash and dash.
      command ??= [...shell, "-c", option.value ?? ""];
    }
    if (option.name === "alias") alias = option.value ?? "";
    if (option.name === "env") env.push(parseEnvOption(option.value ?? ""));
  }
  const loginShell = command === undefined && operands.length === 0;
  const argv = loginShell ? shell : [...(command ?? []), ...operands];
  if (loginShell) alias ??= "-";
  const userProfile: UserProfile = noArguments ? "first" : userLast ? "last" : "none";
  const exporting = options.some((option) => option.name === "export");
  const restricted = loginShell && (sydShell ?? "") === "" && !exporting;
  const voidCwd = sydChdir || restricted;
  return { argv, ...(alias === undefined ? {} : { alias }), userProfile, loginShell, env, voidCwd };
}

/**
 * Moves syd (and so the command it starts) into a new directory and removes it: a working
 * directory with nothing in it, where nothing can be made, as the original's "void" directory
 * (its /proc/PID/fdinfo of an ended process, which libsyd could not open again: it opens `.`
 * to come back from the sandbox's mount namespace). getcwd(3) then fails: bash says so once.
 */
export function enterVoidDirectory(): void {
  const dir = Deno.makeTempDirSync({ prefix: "syd-void-" });
  Deno.chdir(dir);
  Deno.removeSync(dir);
}
