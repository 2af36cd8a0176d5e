/**
 * `syd learn [-p BASE]... [-m CMD]... [-P FILE]... [-o FILE] [--depth N|--exact] [--] command
 * [args...]` and `syd learn --from LOG... [...]`: runs a trial (or reads earlier runs' records)
 * and writes the policy that lets the same run go through on top of the base.
 *
 * @module
 */
import {
  formatDiagnostic,
  load,
  namespaceStartProblems,
  type SourceSpec,
  startSetid,
} from "../policy/mod.ts";
import { emptyResult, readRecords } from "./records.ts";
import { DEPTH_DEFAULT, learn } from "./mod.ts";
import { formatPolicy } from "./write.ts";
import { type RunHelpers, trial } from "./trial.ts";

const EINVAL = 22;

/** What `syd learn` was asked. */
export interface LearnArgs {
  sources: SourceSpec[];
  /** How the base was named on the command line, for the header. */
  baseArgs: string[];
  output?: string;
  depth: number;
  exact: boolean;
  from: string[];
  argv: string[];
  help: boolean;
}

/** Usage text of `syd learn`. */
export const LEARN_HELP = `Usage:
  syd learn [-p BASE]... [-m CMD]... [-P FILE]... [-o FILE] [--depth N|--exact] [--] command [args...]
  syd learn --from LOG... [-p BASE]... [-m CMD]... [-o FILE] [--depth N|--exact]

Runs the command in trace mode on top of the BASE profiles (every access allowed and recorded),
or reads the JSON records of earlier runs (syd -x with SYD_LOG_FD; --from is repeatable), and
writes the .syd-3 policy (to standard output unless -o) that lets the same run go through:
  syd -p BASE -P FILE -- command [args...]
Paths are collapsed into DIR/*** globs at most N components below /, \${HOME} or \${PWD}
(--depth, default ${DEPTH_DEFAULT}) where a directory's entries are used broadly; --exact keeps every path.
Sensitive accesses (keys, credentials, shadow files, raw devices, /proc/PID/mem) are written
commented out, with a warning.
`;

/** Parses `syd learn`'s arguments (without `learn`); throws a string on bad usage. */
export function parseLearnArgs(args: readonly string[]): LearnArgs {
  const out: LearnArgs = {
    sources: [],
    baseArgs: [],
    depth: DEPTH_DEFAULT,
    exact: false,
    from: [],
    argv: [],
    help: false,
  };
  let i = 0;
  const value = (flag: string): string => {
    const arg = args[i];
    if (arg.length > flag.length && !arg.startsWith("--")) return arg.slice(flag.length);
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
    i++;
    if (i >= args.length) throw `${flag} needs a value`;
    return args[i];
  };
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      out.argv = args.slice(i + 1);
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      out.argv = args.slice(i);
      break;
    }
    if (arg === "-h" || arg === "--help") out.help = true;
    else if (arg === "--exact") out.exact = true;
    else if (arg.startsWith("-p")) {
      const name = value("-p");
      out.sources.push({ kind: "profile", name });
      out.baseArgs.push("-p", name);
    } else if (arg.startsWith("-m")) {
      const text = value("-m");
      out.sources.push({ kind: "command", text });
      out.baseArgs.push("-m", text);
    } else if (arg.startsWith("-P")) {
      const path = value("-P");
      out.sources.push({ kind: "file", path });
      out.baseArgs.push("-P", path);
    } else if (arg.startsWith("-o")) out.output = value("-o");
    else if (arg.startsWith("--from")) out.from.push(value("--from"));
    else if (arg.startsWith("--depth")) {
      const text = value("--depth");
      if (!/^[0-9]{1,2}$/.test(text) || Number(text) < 1) {
        throw `--depth: "${text}" is not a whole number from 1 to 99`;
      }
      out.depth = Number(text);
    } else throw `unknown option ${arg}`;
  }
  if (!out.help && out.from.length === 0 && out.argv.length === 0) {
    throw "no command given (and no --from LOG)";
  }
  if (out.from.length > 0 && out.argv.length > 0) throw "give a command or --from, not both";
  return out;
}

/** A directory as the policy language will see it: only when ${NAME} expands to it exactly. */
function anchorDir(name: string, env: Record<string, string>): string | undefined {
  const value = env[name];
  if (value === undefined || !value.startsWith("/") || value === "/") return undefined;
  try {
    const real = Deno.realPathSync(value);
    if (real !== value) return undefined;
    if (name === "PWD" && real !== Deno.realPathSync(Deno.cwd())) return undefined;
    return real;
  } catch {
    return undefined;
  }
}

/** `word` quoted for a shell when it needs to be. */
function quote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** `text` on one line, at most 160 characters. */
function clip(text: string): string {
  const line = text.replace(/\s+/g, " ");
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/** Runs `syd learn ARGS`; resolves to the exit status. */
export async function learnMain(
  args: readonly string[],
  env: Record<string, string>,
  helpers: RunHelpers,
): Promise<number> {
  let parsed: LearnArgs;
  try {
    parsed = parseLearnArgs(args);
  } catch (message) {
    if (typeof message !== "string") throw message;
    console.error(`syd learn: ${message} (see syd learn -h)`);
    return EINVAL;
  }
  if (parsed.help) {
    await Deno.stdout.write(new TextEncoder().encode(LEARN_HELP));
    return 0;
  }
  const loaded = load(parsed.sources, { env });
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    for (const error of errors) console.error(formatDiagnostic(error));
    return EINVAL;
  }
  // As syd itself: SafeSetID's transits checked against syd's own ids (ENODATA).
  const setid = startSetid(loaded.state.setid, { uid: Deno.uid() ?? 0, gid: Deno.gid() ?? 0 });
  if (setid !== undefined) {
    console.error(`syd learn: ${setid.message}`);
    return setid.errno;
  }
  // As syd itself: namespaces it cannot honour with the rest of the policy are refused.
  const refused = namespaceStartProblems(loaded.state.namespaces, {
    lock: loaded.state.landlock.on,
    forceCloexec: loaded.state.forceTrace.force_cloexec === true,
  }).find((problem) => problem.severity === "error");
  if (refused !== undefined) {
    console.error(`syd learn: ${refused.message} (${refused.hint})`);
    return refused.errno ?? 95;
  }
  const records = emptyResult();
  let status = 0;
  let dropped = 0;
  const base = structuredClone(loaded.state);
  if (parsed.from.length > 0) {
    for (const path of parsed.from) {
      let text: string;
      try {
        if (Deno.statSync(path).size > 1 << 30) throw new Error("larger than 1 GiB");
        text = Deno.readTextFileSync(path);
      } catch (err) {
        console.error(`syd learn: ${path}: ${(err as Error).message}`);
        return EINVAL;
      }
      readRecords(text, path, records);
    }
    if (records.errors.length > 0) {
      for (const error of records.errors.slice(0, 20)) console.error(`syd learn: ${error}`);
      if (records.errors.length > 20) {
        console.error(`syd learn: ... and ${records.errors.length - 20} more bad lines`);
      }
      return EINVAL;
    }
  } else {
    const outcome = await trial(loaded.state, parsed.argv, records, helpers);
    dropped = outcome.dropped;
    if (outcome.execErrno !== 0) {
      console.error(
        `syd learn: ${parsed.argv[0]}: could not be executed (errno ${outcome.execErrno})`,
      );
      return outcome.execErrno;
    }
    status = outcome.exitCode;
  }
  const what = parsed.from.length > 0 ? `the records of ${parsed.from.join(", ")}` : "a trial run";
  const baseText = parsed.baseArgs.length > 0 ? parsed.baseArgs.join(" ") : "(no base profile)";
  const learnt = learn(records.accesses, {
    base,
    exact: parsed.exact,
    depth: parsed.depth,
    pwd: anchorDir("PWD", env),
    home: anchorDir("HOME", env),
    header: [
      `Learnt by syd learn from ${what}`,
      `on top of: ${baseText}`,
      `Use: syd ${parsed.baseArgs.map(quote).join(" ")}${parsed.baseArgs.length > 0 ? " " : ""}-P ${
        parsed.output ?? "FILE.syd-3"
      } -- ${parsed.argv.length > 0 ? clip(parsed.argv.map(quote).join(" ")) : "COMMAND"}`,
    ],
  });
  learnt.policy.header.push(
    parsed.from.length > 0
      ? `${records.accesses.length} accesses recorded, ${learnt.covered} of them allowed by the base.`
      : `${records.accesses.length} accesses recorded that the base does not allow.`,
  );
  const text = formatPolicy(learnt.policy);
  if (parsed.output !== undefined) {
    try {
      Deno.writeTextFileSync(parsed.output, text, { mode: 0o600 });
      Deno.chmodSync(parsed.output, 0o600);
    } catch (err) {
      console.error(`syd learn: ${parsed.output}: ${(err as Error).message}`);
      return EINVAL;
    }
  } else {
    await Deno.stdout.write(new TextEncoder().encode(text));
  }
  const tell = (line: string) => console.error(`syd learn: ${line}`);
  tell(
    `${learnt.policy.rules.length} rules learnt${parsed.output ? ` into ${parsed.output}` : ""}`,
  );
  for (const rule of learnt.policy.sensitive) {
    tell(
      `warning: sensitive access not allowed (${rule.why}): ${
        rule.categories.join(",")
      } ${rule.pattern}; its rule is commented out`,
    );
  }
  for (const access of learnt.denied) {
    tell(
      `warning: denied even in trace mode (no rule can allow it): ${access.cap} ${access.target}`,
    );
  }
  for (const other of records.others.slice(0, 20)) {
    tell(`warning: syd reported: ${JSON.stringify(other).slice(0, 300)}`);
  }
  if (dropped > 0) {
    tell(
      `warning: ${dropped} records were dropped (the log pipe was full): the policy may be incomplete; run again, or learn --from several logs`,
    );
  }
  if (parsed.from.length > 0 && records.accesses.length === 0) {
    tell(
      "warning: the logs hold no access records (syd -x logs them at notice: run it with SYD_LOG=notice and SYD_LOG_FD)",
    );
  }
  if (records.skipped > 0) tell(`${records.skipped} lines that are not records were skipped`);
  return status;
}
