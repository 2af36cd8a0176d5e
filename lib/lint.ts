/**
 * `syd lint [FILE...] [-p NAME]... [-m CMD]... [--format text|json] [--dump] [--builtin]
 * [--profiles]`: checks policies before they are used. Sources apply in command-line order, as
 * for syd itself. Every problem is printed as `file:line:col: error|warning: message (hint)`;
 * the exit status is 1 when there is any error, 0 otherwise. Warnings about the lines of the
 * built-in profiles (`profile:NAME:LINE`) are left out unless `--builtin` is given: the user's
 * own files and `-m` commands are what is checked.
 *
 * @module
 */
import { type OptionSpec, parseOptions, type Token } from "./args.ts";
import {
  type Applied,
  covers,
  type Diagnostic,
  dump,
  formatCommand,
  formatDiagnostic,
  formatOrigin,
  load,
  type LoadResult,
  PROFILES,
  type SourceSpec,
  starRunNotes,
  startSetid,
} from "./policy/mod.ts";
import type { Origin } from "./policy/state.ts";
import {
  BIND_FLAG_NAMES,
  type NamespaceStartProblem,
  namespaceStartProblems,
} from "./policy/namespaces.ts";
import { FD_NAME_CATEGORIES, nearest } from "./policy/vocab.ts";

/** The lint findings for loaded policies, after the loader's own errors. */
export function lintWarnings(result: LoadResult): Diagnostic[] {
  const warnings: Diagnostic[] = [];
  const warn = (origin: Origin, message: string, hint?: string) =>
    warnings.push({
      file: origin.file,
      line: origin.line,
      col: origin.col ?? 1,
      severity: "warning",
      message,
      hint,
    });
  const { state } = result;

  state.rules.forEach((rule, i) => {
    const label = `${rule.action}/${rule.category}+${rule.pattern}`;
    for (const note of starRunNotes(rule.pattern)) warn(rule.origin, `${label}: ${note.message}`);
    if (rule.pattern.startsWith("!")) {
      if (!FD_NAME_CATEGORIES.includes(rule.category)) {
        warn(
          rule.origin,
          `${label}: "${rule.pattern}" names a kind of file descriptor, which this syd judges ` +
            `only for ${FD_NAME_CATEGORIES.join(", ")}: the rule never matches`,
        );
      }
    } else if (!rule.pattern.startsWith("/")) {
      warn(
        rule.origin,
        `relative pattern "${rule.pattern}" never matches: syd matches canonical absolute paths`,
        "start it with /",
      );
    }
    const earlier = state.rules.slice(0, i).find((r) =>
      r.category === rule.category && r.action === rule.action && r.pattern === rule.pattern
    );
    if (earlier) {
      warn(rule.origin, `duplicate rule ${label} (already at ${formatOrigin(earlier.origin)})`);
    }
    const later = state.rules.slice(i + 1).find((r) =>
      r.category === rule.category && covers(r.pattern, rule.pattern)
    );
    const duplicateLater = later && later.action === rule.action && later.pattern === rule.pattern;
    if (later && !duplicateLater) {
      warn(
        rule.origin,
        `rule ${label} never decides anything: the later rule ${later.action}/${later.category}+${later.pattern} at ${
          formatOrigin(later.origin)
        } matches everything it matches, and the last matching rule wins`,
        "remove it, or move it after the broader rule",
      );
    }
    if (!state.on[rule.category]) {
      warn(
        rule.origin,
        `rule ${label} has no effect: sandboxing of ${rule.category} is off`,
        `sandbox/${rule.category}:on turns it on`,
      );
    }
    const everywhere = covers(rule.pattern, "/***") || ["/**", "**", "***"].includes(rule.pattern);
    if (
      rule.action === "allow" && (rule.category === "write" || rule.category === "exec") &&
      everywhere
    ) {
      warn(
        rule.origin,
        `rule ${label} allows ${rule.category === "write" ? "writing" : "executing"} anywhere`,
        "narrow it to the directories the program needs",
      );
    }
  });

  state.netRules.forEach((rule, i) => {
    const label = `${rule.action}/${rule.category}+${rule.text}`;
    const unnamed = rule.address.kind === "unix" && rule.address.pattern === "!unnamed";
    if (rule.address.kind === "unix" && !rule.address.pattern.startsWith("/") && !unnamed) {
      warn(
        rule.origin,
        `relative socket path "${rule.address.pattern}" never matches`,
        "start it with /",
      );
    }
    const earlier = state.netRules.slice(0, i).find((r) =>
      r.category === rule.category && r.action === rule.action && r.text === rule.text
    );
    if (earlier) {
      warn(rule.origin, `duplicate rule ${label} (already at ${formatOrigin(earlier.origin)})`);
    }
    if (!state.on[rule.category]) {
      warn(
        rule.origin,
        `rule ${label} has no effect: sandboxing of ${rule.category} is off`,
        `sandbox/${rule.category}:on turns it on`,
      );
    }
  });

  for (const entry of state.mask) {
    if (!entry.pattern.startsWith("/")) {
      warn(
        entry.origin,
        `relative pattern "${entry.pattern}" never matches: syd matches canonical absolute paths`,
        "start it with /",
      );
    }
  }
  for (const applied of result.applied) warnRemovedNothing(applied, warn);
  lintLandlock(state.landlock, warn);
  lintLimits(result, warn);
  lintForce(result, warn);
  lintSetid(result, warn);
  lintNamespaces(result, warn);
  return warnings;
}

/**
 * Lint of SafeSetID: a `trace/allow_safe_setuid:0` (gid likewise) that transits override when the
 * sandbox starts (the original turns the option on when there is any).
 */
function lintSetid(
  result: LoadResult,
  warn: (origin: Origin, message: string, hint?: string) => void,
): void {
  for (const id of ["uid", "gid"] as const) {
    const option = `allow_safe_set${id}`;
    const last = result.applied.findLast((a) =>
      a.command.kind === "trace" && a.command.option === option
    );
    if (last === undefined || last.command.kind !== "trace" || last.command.value) continue;
    if (result.state.setid[id].length === 0 || last.origin.file.startsWith("profile:")) continue;
    warn(
      { ...last.origin, col: last.col },
      `trace/${option}:0 does not turn SafeSetID off: the set${id} transits turn it on when ` +
        "the sandbox starts",
      `set${id}^ removes every transit`,
    );
  }
}

/**
 * What syd refuses when the sandbox starts, after every command is read (errors): SafeSetID's
 * `trace/allow_safe_setuid` (gid likewise) without transits, or without one from syd's own uid
 * (ENODATA); namespaces this syd does not support together with other settings (95: Lock
 * sandboxing with a mount namespace, trace/force_cloexec with a network namespace, a host or
 * domain name without a UTS namespace). `ids`: the uid and gid syd runs as; without them only the first is checked.
 *
 * @example
 * ```ts
 * lintStartup(load([{ kind: "command", text: "setuid+1000:65534" }], { env: {} }), { uid: 0, gid: 0 });
 * // [{ severity: "error", errno: 61, message: "setuid+1000:65534: no transit from syd's uid 0, ..." }]
 * ```
 */
export function lintStartup(
  result: LoadResult,
  ids?: { uid: number; gid: number },
): Diagnostic[] {
  const setid = structuredClone(result.state.setid);
  const found: Diagnostic[] = [];
  for (let round = 0; round < 2; round++) { // one problem per kind: uid, then gid
    // Without ids, syd's are taken to be those of a transit: only the missing ones are found.
    const problem = startSetid(
      setid,
      ids ?? { uid: setid.uid[0]?.src ?? 0, gid: setid.gid[0]?.src ?? 0 },
    );
    if (problem === undefined) break;
    const option = `allow_safe_set${problem.id}`;
    const at = problem.reason === "no_transit" ? setid[problem.id][0].origin : (() => {
      const applied = result.applied.findLast((a) =>
        a.command.kind === "trace" && a.command.option === option
      );
      return applied === undefined ? undefined : { ...applied.origin, col: applied.col };
    })();
    found.push({
      file: at?.file ?? "-",
      line: at?.line ?? 1,
      col: at?.col ?? 1,
      severity: "error",
      message: `syd would refuse to start: ${problem.message}`,
      errno: problem.errno,
    });
    setid[problem.id] = [];
    setid[problem.id === "uid" ? "allowSafeSetuid" : "allowSafeSetgid"] = false;
  }
  const state = result.state;
  const namespaces = namespaceStartProblems(state.namespaces, {
    lock: state.landlock.on,
    forceCloexec: state.forceTrace.force_cloexec === true,
  });
  for (const problem of namespaces) {
    if (problem.severity !== "error") continue;
    const at = namespaceOrigin(result, problem.about);
    found.push({
      file: at?.file ?? "-",
      line: at?.line ?? 1,
      col: at?.col ?? 1,
      severity: "error",
      message: `syd would refuse to start: ${problem.message}`,
      hint: problem.hint,
      errno: problem.errno,
      unsupported: true,
    });
  }
  return found;
}

/** Where the command a namespace start problem is about was last given (undefined: nowhere). */
function namespaceOrigin(
  result: LoadResult,
  about: NamespaceStartProblem["about"],
): Origin | undefined {
  const applied = result.applied.findLast(({ command }) => {
    if (about === "force_cloexec") {
      return command.kind === "trace" && command.option === "force_cloexec";
    }
    if (command.kind !== "namespace") return false;
    if (about === "uts/host" || about === "uts/domain") {
      return command.ns === "uts" && `uts/${command.field}` === about;
    }
    return command.ns === about;
  });
  return applied === undefined ? undefined : { ...applied.origin, col: applied.col };
}

/**
 * Lint of namespaces: what syd ignores when the sandbox starts (binds, root and workdir without
 * a mount namespace, ...), and a path bind's OPTS items that are not mount attributes (the
 * original passes them to filesystem types only: for a path they do nothing), with the
 * attribute meant when one is near.
 */
function lintNamespaces(
  result: LoadResult,
  warn: (origin: Origin, message: string, hint?: string) => void,
): void {
  const state = result.state;
  const problems = namespaceStartProblems(state.namespaces, {
    lock: state.landlock.on,
    forceCloexec: state.forceTrace.force_cloexec === true,
  });
  for (const problem of problems) {
    if (problem.severity !== "warning") continue;
    const at = namespaceOrigin(result, problem.about);
    if (at !== undefined) warn(at, problem.message, problem.hint);
  }
  for (const rule of state.namespaces.binds) {
    if (!rule.src.startsWith("/") || rule.data === "") continue;
    const items = rule.data.split(",");
    const guess = items.map((item) => nearest(item, BIND_FLAG_NAMES)).find((g) => g !== undefined);
    warn(
      rule.origin,
      `bind of ${rule.src}: "${rule.data}" is not a mount attribute; data is used only when the ` +
        "source is a filesystem type (tmpfs, ...)",
      guess !== undefined
        ? `did you mean "${guess}"?`
        : `attributes: ${BIND_FLAG_NAMES.join(", ")}; every bind of a path is recursive`,
    );
  }
}

/** The uid and gid syd runs as, from SYD_UID and SYD_GID (which syd sets for `${VAR}`). */
function idsFromEnv(
  env: Record<string, string | undefined>,
): { uid: number; gid: number } | undefined {
  const uid = env.SYD_UID ?? "";
  const gid = env.SYD_GID ?? "";
  if (!/^[0-9]{1,10}$/.test(uid) || !/^[0-9]{1,10}$/.test(gid)) return undefined;
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Lint of memory and PID sandboxing: a `sandbox/mem:off` or `sandbox/pid:off` that a limit
 * overrides when the sandbox starts (the original's implied on), and PID sandboxing on with no
 * limit, which counts nothing.
 */
function lintLimits(
  result: LoadResult,
  warn: (origin: Origin, message: string, hint?: string) => void,
): void {
  const limits = result.state.limits;
  const last = (layer: "mem" | "pid") =>
    result.applied.findLast((a) => a.command.kind === "sandbox" && a.command[layer] === true);
  const overridden: [Applied | undefined, boolean, string, string][] = [
    [
      last("mem"),
      limits.memMax > 0n || limits.memVmMax > 0n,
      "memory",
      limits.memMax > 0n ? "mem/max" : "mem/vm_max",
    ],
    [last("pid"), limits.pidMax > 0n, "PID", "pid/max"],
  ];
  for (const [applied, limited, what, key] of overridden) {
    if (applied === undefined || !limited) continue;
    if (applied.command.kind !== "sandbox" || applied.command.on) continue;
    if (applied.origin.file.startsWith("profile:")) continue; // `-p off` then a limit: as meant
    warn(
      { ...applied.origin, col: applied.col },
      `${formatCommand(applied.command)} does not turn ${what} sandboxing off: ${key} is set, ` +
        `which turns it on when the sandbox starts`,
      `${key}:0 removes the limit`,
    );
  }
  const pidOn = last("pid");
  if (
    limits.pid && limits.pidMax === 0n && pidOn !== undefined && pidOn.command.kind === "sandbox"
  ) {
    warn(
      { ...pidOn.origin, col: pidOn.col },
      "PID sandboxing is on with no pid/max: it counts nothing",
      "pid/max:N sets the limit",
    );
  }
}

/**
 * Lint of Force sandboxing: entries while it is off (they check nothing), and Force on with
 * `default/force:deny` and no entry, where every program is refused.
 */
function lintForce(
  result: LoadResult,
  warn: (origin: Origin, message: string, hint?: string) => void,
): void {
  const force = result.state.force;
  const lastOf = (kind: string) =>
    result.applied.findLast((a) =>
      a.command.kind === kind &&
      (kind !== "sandbox" || a.command.kind === "sandbox" && a.command.force === true)
    );
  const entry = lastOf("force");
  if (!force.on && force.rules.size > 0 && entry !== undefined) {
    warn(
      { ...entry.origin, col: entry.col },
      "force entries check nothing while Force sandboxing is off",
      "sandbox/force:on turns it on",
    );
  }
  const on = lastOf("sandbox");
  if (force.on && force.rules.size === 0 && force.default === "deny" && on !== undefined) {
    warn(
      { ...on.origin, col: on.col },
      "Force sandboxing is on with no force entry and default/force:deny: every program is refused",
      "syd sum FILE prints the force+ line of a program; default/force:warn only logs",
    );
  }
}

/** Lint of Lock sandboxing: rules that cannot take effect as written. */
function lintLandlock(
  landlock: LoadResult["state"]["landlock"],
  warn: (origin: Origin, message: string, hint?: string) => void,
): void {
  for (const [path, origin] of landlock.origins) {
    if (!landlock.on) {
      warn(
        origin,
        `allow/lock rule for "${path}" has no effect: Lock sandboxing is off`,
        "sandbox/lock:on turns it on",
      );
    }
    if (!path.startsWith("/")) {
      warn(
        origin,
        `Landlock path "${path}" is relative: it is opened from syd's working directory when the sandbox starts`,
        "start it with /",
      );
    }
  }
}

function warnRemovedNothing(
  applied: Applied,
  warn: (origin: Origin, message: string) => void,
): void {
  const command = applied.command;
  const op = "op" in command ? command.op : "+";
  if (op !== "+" && applied.removed === 0) {
    warn(
      { ...applied.origin, col: applied.col },
      `"${op}" removes nothing: no earlier equal entry`,
    );
  }
}

/** What `syd lint` prints and its exit status. */
export interface LintOutput {
  stdout: string;
  stderr: string;
  status: number;
}

const LINT_OPTIONS = {
  magic: { type: "string", short: "m", multiple: true },
  profile: { type: "string", short: "p", multiple: true },
  format: { type: "string" },
  dump: { type: "boolean" },
  profiles: { type: "boolean" },
  builtin: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies Record<string, OptionSpec>;

const LINT_HELP =
  `Usage: syd lint [FILE...] [-p NAME]... [-m CMD]... [--format text|json] [--dump] [--builtin]
       syd lint --profiles
Checks policies; sources apply in command-line order. Exit status: 1 on any error, else 0.
  --format json   print {"diagnostics": [...], "errors": N, "warnings": N}
  --dump          print the effective policy, as commands
  --builtin       also warn about the lines of the built-in profiles (-p NAME, include_profile)
  --profiles      list the built-in profiles
Without --builtin, only your own files and -m commands are checked for warnings.`;

/**
 * Runs `syd lint` with its arguments.
 *
 * @example
 * ```ts
 * const { stdout, status } = lint(["-m", "sandbox/raed:on"], Deno.env.toObject());
 * ```
 */
export function lint(args: readonly string[], env: Record<string, string | undefined>): LintOutput {
  let tokens: Token[];
  try {
    tokens = parseOptions(args, LINT_OPTIONS, true);
  } catch (err) {
    return { stdout: "", stderr: `syd: lint: ${(err as Error).message}\n`, status: 22 };
  }
  const specs: SourceSpec[] = [];
  let format = "text";
  let wantDump = false;
  let builtin = false;
  for (const token of tokens) {
    if (token.kind === "positional") specs.push({ kind: "file", path: token.value });
    if (token.kind !== "option") continue;
    if (token.name === "help") return { stdout: LINT_HELP + "\n", stderr: "", status: 0 };
    if (token.name === "profiles") {
      const width = Math.max(...Object.keys(PROFILES).map((n) => n.length));
      const lines = Object.entries(PROFILES).map(([name, p]) => `${name.padEnd(width)}  ${p.doc}`);
      return { stdout: lines.join("\n") + "\n", stderr: "", status: 0 };
    }
    if (token.name === "magic") specs.push({ kind: "command", text: token.value ?? "" });
    if (token.name === "profile") specs.push({ kind: "profile", name: token.value ?? "" });
    if (token.name === "dump") wantDump = true;
    if (token.name === "builtin") builtin = true;
    if (token.name === "format") format = token.value ?? "";
  }
  if (specs.length === 0) {
    return {
      stdout: "",
      stderr: "syd: lint: nothing to check: name a file, -p NAME or -m CMD (syd lint --help)\n",
      status: 22,
    };
  }
  if (format !== "text" && format !== "json") {
    return {
      stdout: "",
      stderr: `syd: lint: --format takes text or json, not "${format}"\n`,
      status: 22,
    };
  }
  const result = load(specs, { env });
  const found = [
    ...result.diagnostics,
    ...lintStartup(result, idsFromEnv(env)),
    ...lintWarnings(result),
  ];
  // The built-in profiles' own lines are not the user's to fix: warned about with --builtin.
  const diagnostics = builtin
    ? found
    : found.filter((d) => d.severity === "error" || !d.file.startsWith("profile:"));
  const hidden = found.length - diagnostics.length;
  const note = hidden > 0 && format === "text"
    ? `syd: lint: ${hidden} warning${hidden === 1 ? "" : "s"} about built-in profiles left out ` +
      `(--builtin shows them)\n`
    : "";
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const status = errors > 0 ? 1 : 0;
  if (format === "json") {
    const body: Record<string, unknown> = {
      diagnostics,
      errors,
      warnings: diagnostics.length - errors,
    };
    if (wantDump && errors === 0) body.dump = dump(result.state);
    return { stdout: JSON.stringify(body) + "\n", stderr: "", status };
  }
  const text = diagnostics.map((d) => formatDiagnostic(d) + "\n").join("");
  if (!wantDump) return { stdout: text, stderr: note, status };
  // With --dump, stdout holds only the policy, so that it can be saved and loaded again.
  const policy = errors === 0 ? dump(result.state).map((line) => line + "\n").join("") : "";
  return { stdout: policy, stderr: text + note, status };
}
