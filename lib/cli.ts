/**
 * Command-line parsing, compatible with the original syd:
 * `syd [-acefhlmpqtxCEPV] [--] {command [arg...]}`, `syd --api`, `syd --check`, `syd --sh`,
 * `syd lint ...`.
 *
 * Options stop at the first operand (a sandbox must never eat its command's flags), or at `--`.
 * Option syntax is checked by `args.ts` (strict, as `node:util`'s `parseArgs`, which is not loaded:
 * it brings Deno's Node compatibility layer into syd's start-up).
 *
 * @module
 */
import { ArgsError, type OptionSpec, parseLeadingOptions, type Token } from "./args.ts";
import { parseDurationMs } from "./policy/parse.ts";

/** The options syd knows. */
export const OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  api: { type: "boolean" },
  check: { type: "boolean", short: "C" },
  el: { type: "boolean" },
  sh: { type: "boolean" },
  magic: { type: "string", short: "m", multiple: true },
  profile: { type: "string", short: "p", multiple: true },
  config: { type: "string", short: "P", multiple: true },
  export: { type: "string", short: "E" },
  trace: { type: "boolean", short: "x" },
  timeout: { type: "string", short: "t" },
  env: { type: "string", short: "e", multiple: true },
  alias: { type: "string", short: "a" },
  command: { type: "string", short: "c" },
  login: { type: "boolean", short: "l" },
  /** The original's `-f` (login shell compatibility): as `-l`; it has no long name. */
  f: { type: "boolean", short: "f" },
  /** The original's quick boot (skips its own re-exec): nothing to skip here, accepted. */
  quick: { type: "boolean", short: "q" },
} as const satisfies Record<string, OptionSpec>;

/** One option as the user wrote it, in command-line order. */
export interface OptionUse {
  /** How the user spelt it: `-m`, `-p`, `--api`. */
  flag: string;
  /** The long name in `OPTIONS`. */
  name: keyof typeof OPTIONS;
  /** Its value, for options that take one. */
  value?: string;
}

/** What the command line asks for. */
export interface Cli {
  /** Every option, in order. */
  options: OptionUse[];
  /** The command and its arguments (empty when none was given). */
  argv: string[];
}

/** A command-line error: the message to print after `syd: `. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses syd's command line.
 *
 * @example
 * ```ts
 * parse(["-poff", "--", "sh", "-c", "exit 42"]);
 * // { options: [{ flag: "-p", name: "profile", value: "off" }], argv: ["sh", "-c", "exit 42"] }
 * ```
 */
export function parse(args: readonly string[]): Cli {
  let tokens: Token[];
  let rest: string[];
  try {
    ({ tokens, rest } = parseLeadingOptions(args, OPTIONS));
  } catch (err) {
    if (err instanceof ArgsError) throw new UsageError(err.message);
    throw err;
  }
  const options: OptionUse[] = [];
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const name = token.name as keyof typeof OPTIONS;
    const use: OptionUse = { flag: token.rawName, name };
    if (token.value !== undefined) use.value = token.value;
    options.push(use);
  }
  return { options, argv: rest };
}

/**
 * Parses a duration for `-t`: a number of seconds, or a number with a unit (ms, s, m, h).
 *
 * @example
 * ```ts
 * parseDuration("1.5s"); // 1500
 * ```
 */
export function parseDuration(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) {
    throw new UsageError(
      `-t: "${text}" is not a duration from 1ms to 366 days (e.g. 30, 1.5s, 500ms, 2m, 1h)`,
    );
  }
  return ms;
}

/** The help text for `syd -h`. */
export const HELP = `syd: run a program under a seccomp user-notification sandbox

Usage:
  syd [options] [--] command [args...]
  syd [options] -c 'command line' [args...]   run it with the shell ($SYD_SHELL; -l implied)
  syd [options]                    no command: a login shell (argv[0] "-", the user profile
                                   when syd has no argument at all; the default shell starts
                                   in an empty directory)
  syd --check                      print what this system supports, and exit
  syd --sh                         print the esyd shell function: eval "$(syd --sh)"
  syd lint [FILE...] [-p NAME]... [-m CMD]... [--format text|json] [--dump] [--builtin]
  syd lint --profiles              list the built-in profiles
  syd learn [-p NAME]... [-m CMD]... [-P FILE]... [-o FILE] [--depth N|--exact] [--] command...
                                   write the policy a trial run of command needs
  syd learn --from LOG... [-o FILE]  the same from the records of earlier runs (syd -x)
  syd --api                        print the API version (3)

Options (they stop at the first operand, or at --):
  -h, --help            print this help and exit
  -V, --version         print the version, libseccomp's version and the kernel features found
  -m, --magic CMD       run a configuration command (repeatable; applied in order)
  -P, --config PATH     load a configuration file (.syd-3; repeatable)
  -p, --profile NAME    apply a profile (repeatable; -pfu stacks fs and user)
  -x, --trace           trace mode: the trace profile (every category on, action warn: each
                        access is logged and allowed)
  -E, --export MODE     print the seccomp filters as pfc (text) or write them as bpf files, and
                        exit
  -t, --timeout TIME    end the sandbox after TIME (30, 1.5s, 500ms, 2m, 1h): exit 124
  -q, --quick           the original's quick boot: accepted, changes nothing here
  -e, --env VAR=VAL     put VAR=VAL in the command's environment (repeatable; in order)
  -e, --env VAR         remove VAR from it
  -e, --env VAR=        pass VAR through as it is (no variable but syd's own SYD* is ever
                        removed here); SYD* may not be set or passed (exit 1)
  -a, --alias NAME      run the command with NAME as its argv[0]
  -c, --command CMD     run CMD with the shell: $SYD_SHELL, else /usr/bin/env HISTFILE=
                        /usr/bin/bash --login --noprofile --norc --restricted; operands after
                        it are its $0, $1, ...; the user profile is loaded after the other
                        options (only the first -c counts)
  -l, --login, -f       login shell compatibility: load the user profile after the other
                        options (not when they lock the sandbox)
  -C, --check           print the version and what this system supports, and exit
      --sh              print the esyd shell function (esyd help lists its subcommands)
      --el              the original's Emacs Lisp interface: not supported (95)

Every path and network category is enforced: the default policy denies everything, as the
original's; start from a profile (-p user, -p paludis, -p linux; syd lint --profiles) or -p off.
Lock sandboxing (Landlock) is on unless turned off, as the original's: -p user includes the
landlock profile; stack it with the others (-p paludis -p landlock), or -m sandbox/lock:off.
syd refuses (95) what it cannot enforce yet, and says so.

Logs: each denial is one record on stderr, written before the denied call returns; on a
terminal one readable line each (repeats collapsed, a summary of the denials at exit),
otherwise JSON lines.

Environment:
  SYD_LOG             log level: error, warn (default), notice, info, debug
  SYD_LOG_FD          fd to write logs to, as JSON lines (default 2; negative: no logs)
  SYD_NPROC           core emulator threads (default: number of CPUs)
  SYD_NPROC_MAX       most emulator threads (default: max(64, SYD_NPROC))
  SYD_KEEP_ALIVE_MS   idle time after which helper emulators retire (default 15000)
  SYD_DUMP_SCMP       pfc or bpf: export the filters and exit, as -E
  SYD_SHELL           the shell for -c and for running without a command (one word)
  SYD_CHDIR           set: the command starts in an empty directory (as the default login
                      shell does)

Exit status: the command's own, 128+N if it died of signal N; when it cannot be executed,
its errno. syd's own failures use errno values (22 bad usage, 95 not supported yet).
`;
