/**
 * `lock:drop`, as the original's (3.50 on): once the lock is `drop`, a command may only make the
 * sandbox stricter. Categories may be turned on, never off; a default action may only rise to
 * `deny` or above; a rule of `deny` or above may be added, never removed; an `allow` rule may be
 * removed, never added; `warn`, `abort` and `filter` rules may be neither; the `trace/force_*`
 * hardenings and `trace/deny_dotdot` may be turned on, the runtime `trace/allow_unsafe_*`
 * relaxations off; `mem/max`, `mem/vm_max` and `pid/max` may only be lowered (never to 0, which is
 * no limit; from 0 to any limit); `trace/allow_unsafe_setid` may be turned off; SafeSetID's
 * transits may be neither added nor removed; namespaces may be added (`unshare/X:1`), nothing else
 * of theirs changed; the lock may only rise (to `on`). Everything else
 * (queries, `reset`, environment, other options) is refused. Each refusal is EPERM, as the original's.
 *
 * @module
 */
import type { Command, LockState } from "./parse.ts";
import type { PolicyState } from "./state.ts";
import { trustDropRefusal } from "./trust.ts";
import { addressesIntersect, fsTypesIntersect, globsIntersect } from "./intersect.ts";
import {
  type Action,
  ACTIONS,
  type Category,
  FS_HARDENING_OPTIONS,
  isForceTraceOption,
  isNetCategory,
} from "./vocab.ts";

/** The original's order of actions (its enum), from the mildest: abort is below filter. */
const SEVERITY: Readonly<Record<Action, number>> = {
  allow: 0,
  warn: 1,
  abort: 2,
  filter: 3,
  deny: 4,
  panic: 5,
  stop: 6,
  kill: 7,
  exit: 8,
};
if (Object.keys(SEVERITY).length !== ACTIONS.length) throw new Error("SEVERITY misses an action");

/** The lock's order: a command may raise it, never lower it (off < exec < drop < on). */
export const LOCK_RANK: Readonly<Record<LockState, number>> = { off: 0, exec: 1, drop: 2, on: 3 };

/** The `trace/` options a running sandbox may turn off under drop (the original's unsafe flags). */
const UNSAFE_RUNTIME = new Set([
  "allow_unsafe_any_addr",
  "allow_unsafe_proc_pid_status",
  ...Object.entries(FS_HARDENING_OPTIONS).filter(([, o]) => o.runtime).map(([name]) => name),
]);

/** Whether a rule of `action` may be added under drop. */
function mayAdd(action: Action): boolean {
  return SEVERITY[action] >= SEVERITY.deny;
}

/** Whether a rule of `action` may be removed under drop. */
function mayRemove(action: Action): boolean {
  return action === "allow";
}

/**
 * Whether a rule added under drop meets a stricter one, as the original refuses it: a category
 * whose default is stricter than its action, or a stricter rule of a category it names that can
 * match what it matches.
 */
function meetsStricter(
  state: PolicyState,
  command: Extract<Command, { kind: "rule" | "net_rule" | "fs_rule" }>,
): boolean {
  const severity = SEVERITY[command.action];
  if (command.kind === "fs_rule") {
    return SEVERITY[state.fsDefault] > severity ||
      state.fsRules.some((r) =>
        SEVERITY[r.action] > severity && fsTypesIntersect(r.types, command.types)
      );
  }
  const categories: readonly Category[] = command.categories;
  if (categories.some((c) => SEVERITY[state.defaults[c]] > severity)) return true;
  if (command.kind === "net_rule") {
    return state.netRules.some((r) =>
      SEVERITY[r.action] > severity && categories.includes(r.category) &&
      addressesIntersect(r.address, command.address)
    );
  }
  // A path rule naming network categories judges UNIX sockets at that path too.
  const unix = { kind: "unix", pattern: command.pattern } as const;
  return state.rules.some((r) =>
    SEVERITY[r.action] > severity && categories.includes(r.category) &&
    globsIntersect(r.pattern, command.pattern)
  ) || state.netRules.some((r) =>
    SEVERITY[r.action] > severity && isNetCategory(r.category) &&
    categories.includes(r.category) && addressesIntersect(r.address, unix)
  );
}

/**
 * Why `command` is refused while `state`'s lock is `drop` (it would loosen the sandbox), or
 * undefined when it may be applied. `state` is the state before the command.
 *
 * @example
 * ```ts
 * dropRefusal(state, parseCommand("sandbox/read:off")); // "turning a category off"
 * dropRefusal(state, parseCommand("deny/read+/etc/***")); // undefined
 * ```
 */
export function dropRefusal(state: PolicyState, command: Command): string | undefined {
  switch (command.kind) {
    case "lock":
      return LOCK_RANK[command.state] < LOCK_RANK.drop ? `lock:${command.state}` : undefined;
    case "sandbox":
      return command.on ? undefined : "turning a category off";
    case "default": {
      if (!mayAdd(command.action)) return `default action ${command.action}`;
      const lowered =
        command.categories.some((c) => SEVERITY[state.defaults[c]] > SEVERITY[command.action]) ||
        (command.fs === true && SEVERITY[state.fsDefault] > SEVERITY[command.action]) ||
        (command.landlock !== undefined &&
          SEVERITY[state.landlock.compat] > SEVERITY[command.landlock]) ||
        (command.mem === true &&
          SEVERITY[state.limits.memAction] > SEVERITY[command.action]) ||
        (command.pid === true && SEVERITY[state.limits.pidAction] > SEVERITY[command.action]) ||
        (command.tpe === true && SEVERITY[state.trust.tpeAction] > SEVERITY[command.action]) ||
        (command.segvguard === true &&
          SEVERITY[state.trust.segvguardAction] > SEVERITY[command.action]) ||
        (command.force === true && SEVERITY[state.force.default] > SEVERITY[command.action]);
      return lowered ? "lowering a default action" : undefined;
    }
    case "limit": {
      // As the original: a limit may only be lowered, never removed (0) or raised.
      const now = command.key === "mem/max"
        ? state.limits.memMax
        : command.key === "mem/vm_max"
        ? state.limits.memVmMax
        : state.limits.pidMax;
      if (command.value === 0n) return `removing ${command.key}`;
      return now !== 0n && command.value > now ? `raising ${command.key}` : undefined;
    }
    case "tpe_gid":
    case "tpe_flag":
    case "segvguard":
      return trustDropRefusal(state.trust, command);
    case "rule":
    case "net_rule":
    case "fs_rule":
      if (command.op === "+") {
        if (!mayAdd(command.action)) return `adding a rule of ${command.action}`;
        return meetsStricter(state, command)
          ? `a rule of ${command.action} where a stricter one applies`
          : undefined;
      }
      return mayRemove(command.action) ? undefined : `removing a rule of ${command.action}`;
    case "lock_rule": // Landlock allows only: a path or port may be taken away, never added
      return command.op === "+" ? "adding a Landlock rule" : undefined;
    case "ioctl_rule": // requests allowed or denied: only a denial may be added, an allowance removed
      if (command.op === "+") return command.deny ? undefined : "adding a rule of allow";
      return command.deny ? "removing a rule of deny" : undefined;
    case "trace":
      if (command.option === "deny_dotdot" || isForceTraceOption(command.option)) {
        return command.value ? undefined : `turning trace/${command.option} off`;
      }
      if (UNSAFE_RUNTIME.has(command.option) || command.option === "allow_unsafe_setid") {
        // allow_unsafe_setid: an unsafe option of the original's, so off is allowed (at start).
        return command.value ? `turning trace/${command.option} on` : undefined;
      }
      return `trace/${command.option}`;
    case "trace_fs":
      if (UNSAFE_RUNTIME.has(command.option)) {
        return command.value ? `turning trace/${command.option} on` : undefined;
      }
      return `trace/${command.option}`;
    case "setid": // as the original: SafeSetID's transits are refused under drop, even removals
      return "SafeSetID transits (setuid, setgid)";
    case "force": // as the original: entries may be added (not warn), never removed or replaced
      if (command.op !== "+") return "removing a force entry";
      if (!mayAdd(command.action ?? "deny")) return `a force entry of ${command.action}`;
      return state.force.rules.has(command.path!) ? "replacing a force entry" : undefined;
    case "namespace":
      // As the original: a namespace may be added (unshare/X:1), the sandbox's namespace
      // creation only refused (trace/allow_unsafe_namespace:none); nothing else, not even a query.
      if (command.ns === "unshare") return command.value ? undefined : "turning a namespace off";
      if (command.ns === "deny_all") return undefined;
      if (command.ns === "unshare_query") return "a query";
      return "namespace and container settings";
    case "include_profile": // its commands are checked one by one
      return undefined;
    case "sandbox_query":
      return "a query";
    default:
      return command.kind;
  }
}
