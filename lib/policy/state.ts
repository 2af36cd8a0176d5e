/**
 * The effective policy: the state that commands change, in order, and its canonical dump.
 *
 * @module
 */
import { applyTrust, dumpTrust, initialTrust, type TrustState } from "./trust.ts";
import { type Address, formatAddress } from "./address.ts";
import type { FsTypes } from "./fs_types.ts";
import { type Command, formatCommand, type LockState, type Op } from "./parse.ts";
import { defaultIoctlRules, ioctlNames } from "./ioctl.ts";
import { applyLockRule, dumpLandlock, initialLandlock, type LandlockState } from "./landlock.ts";
import { normalizeRanges, subtractRanges } from "./ranges.ts";
import { applySetid, dumpSetid, initialSetid, type SetidState } from "./setid.ts";
import { applyForce, dumpForce, type ForceState, initialForce } from "./force.ts";
import {
  applyNamespace,
  dumpNamespaces,
  initialNamespaces,
  type NamespacesState,
} from "./namespaces.ts";
import {
  type Action,
  CATEGORIES,
  type Category,
  CATEGORY_ALIASES,
  FILTER_TRACE_OPTIONS,
  type FilterTraceOption,
  FORCE_TRACE_OPTIONS,
  type ForceTraceOption,
  type GlobCategory,
  isFilterTraceOption,
  isForceTraceOption,
  isNetCategory,
  type NetCategory,
} from "./vocab.ts";

/** Where a command came from: a file and line, a `-m` argument, a profile's line, or `/dev/syd`. */
export interface Origin {
  /** A file's path, `-m#N` for the N-th `-m`, `profile:NAME`, or `/dev/syd (pid N)`. */
  file: string;
  /** 1-based line (1 for `-m`; for `/dev/syd`, the number of the request). */
  line: number;
  /** 1-based column of the command, where known. */
  col?: number;
}

const FD_LAST = 0xffff_ffff;
/** The original's log/rlimit_burst default. */
export const LOG_RLIMIT_BURST = 10;
/** The original's log/rlimit_interval default: 5 s, in nanoseconds. */
export const LOG_RLIMIT_INTERVAL_NS = 5e9;

/** passfd's set after `+`, `-` or `^` of a list. */
function applyPassfd(
  set: PolicyState["passFds"],
  command: Extract<Command, { kind: "passfd" }>,
): PolicyState["passFds"] {
  if (command.op === "^") return { all: false, ranges: [] };
  if (command.op === "+") {
    if (set.all || command.all) return { all: true, ranges: [] };
    return { all: false, ranges: normalizeRanges([...set.ranges, ...command.ranges]) };
  }
  if (command.all) return { all: false, ranges: [] };
  return {
    all: false,
    ranges: subtractRanges(set.all ? [[0, FD_LAST]] : set.ranges, command.ranges),
  };
}

/** `file:line`, as logs and diagnostics name the rule that decided; `-m#N` and `/dev/syd (pid N)`
 * have no lines and stand alone. */
export function formatOrigin(origin: Origin): string {
  const alone = origin.file.startsWith("-m#") || origin.file.startsWith("/dev/syd (pid ");
  return alone ? origin.file : `${origin.file}:${origin.line}`;
}

/** One path rule, for one category. */
export interface PathRule {
  action: Action;
  category: GlobCategory;
  pattern: string;
  origin: Origin;
}

/** One network rule, for one category. */
export interface NetRule {
  action: Action;
  category: NetCategory;
  address: Address;
  /** The address as written, canonical. */
  text: string;
  origin: Origin;
}

/** A mask entry. */
export interface PatternEntry {
  pattern: string;
  /** What an open of a match opens (absent: /dev/null); `dirTarget` for a directory. */
  target?: string;
  dirTarget?: string;
  origin: Origin;
}

/** The state every command changes. */
export interface PolicyState {
  on: Record<Category, boolean>;
  defaults: Record<Category, Action>;
  rules: PathRule[];
  netRules: NetRule[];
  lock: LockState | null;
  mask: PatternEntry[];
  exitWaitAll: boolean;
  /** The sandbox's wall-clock limit from `timeout:` in milliseconds (0: none). */
  timeoutMs: number;
  /** log/rlimit_burst: identical records logged per interval (the original's default: 10). */
  logRlimitBurst: number;
  /** log/rlimit_interval in nanoseconds (default 5 s; 0: no rate limit). */
  logRlimitIntervalNs: number;
  /** trace/deny_dotdot: `..` in the path of an open or chdir refused (EPERM). */
  denyDotdot: boolean;
  /** The original's trace/force_* hardenings turned on (vocab's FORCE_TRACE_OPTIONS). */
  forceTrace: Partial<Record<ForceTraceOption, boolean>>;
  /** trace/allow_unsupp_socket: sockets of families other than UNIX, IPv4 and IPv6 allowed. */
  allowUnsuppSocket: boolean;
  /** trace/allow_unsafe_ptrace: syd does not trace the sandbox (exec and chdir then go unverified). */
  allowUnsafePtrace: boolean;
  /**
   * trace/sync_seccomp: the kernel's synchronous wake-up of syd's emulators (Linux 6.6+); off by
   * default, as the original's (README, Benchmarks: slower on the machines measured).
   */
  syncSeccomp: boolean;
  /** trace/allow_unsafe_exec_ldso: running the dynamic loader directly (`ld.so prog`) allowed. */
  allowUnsafeExecLdso: boolean;
  /**
   * trace/allow_unsafe_exec_stack: a program may run with an executable stack or with memory
   * readable implying executable (its ELF asks for it, or a 32-bit ELF without PT_GNU_STACK).
   */
  allowUnsafeExecStack: boolean;
  /**
   * trace/allow_unsafe_exec_speculative: the sandbox runs without the speculation mitigations
   * syd forces on it (store bypass, indirect branch, L1D flush).
   */
  allowUnsafeExecSpeculative: boolean;
  /** trace/allow_unsafe_exec_script: SECBIT_EXEC_RESTRICT_FILE not set on the sandbox. */
  allowUnsafeExecScript: boolean;
  /** trace/allow_unsafe_exec_interactive: SECBIT_EXEC_DENY_INTERACTIVE not set on the sandbox. */
  allowUnsafeExecInteractive: boolean;
  /** trace/allow_unsafe_proc_pid_status: /proc/PID/status unfiltered (may change at run time). */
  allowUnsafeProcPidStatus: boolean;
  /** The original's relaxations of the sandbox filter's hardening set to true (vocab's FILTER_TRACE_OPTIONS). */
  filterTrace: Partial<Record<FilterTraceOption, boolean>>;
  /** trace/allow_unsafe_any_addr: connect and send to 0.0.0.0 and :: allowed (ENETUNREACH otherwise). */
  allowUnsafeAnyAddr: boolean;
  /** trace/allow_unsafe_kcapi: kernel crypto sockets (AF_ALG) allowed. */
  allowUnsafeKcapi: boolean;
  /** trace/allow_unsafe_oob: MSG_OOB in sends and receives, and SO_OOBINLINE, allowed. */
  allowUnsafeOob: boolean;
  /**
   * trace/allow_unsafe_recvmsg: recvmsg and recvmmsg are not performed by syd for recvfd (the
   * fds received are not judged); credentials and names are still fixed where they would be.
   */
  allowUnsafeRecvmsg: boolean;
  /** trace/allow_safe_bind: addresses bound in the sandbox allowed for net/connect. */
  allowSafeBind: boolean;
  /** The original's relaxations of checks this syd does not make (vocab's NOOP_TRACE_OPTIONS). */
  noopTrace: Record<string, boolean>;
  /** The filesystem hardenings relaxed (vocab's FS_HARDENING_OPTIONS set true). */
  fsUnsafe: Record<string, boolean>;
  /** fs sandboxing: opens judged by the filesystem type of what they open (on at first). */
  fsOn: boolean;
  fsDefault: Action;
  fsRules: FsRule[];
  /** passfd: the fds the program inherits (sorted, disjoint ranges), or all (stdio at first). */
  passFds: { all: boolean; ranges: [number, number][] };
  /** setenv!, unsetenv!, clearenv!, in order: applied to the program's environment. */
  envOps: EnvOp[];
  /**
   * ioctl request verdicts by request number (its varying bits cleared): the last command for a
   * request wins; the original's default allow and deny lists at first (lib/policy/ioctl.ts).
   */
  ioctlRules: Map<number, IoctlVerdict>;
  /** Lock sandboxing (Landlock): sandbox/lock, default/lock, allow/lock/..., log/lock/... */
  landlock: LandlockState;
  /** Memory and PID sandboxing: sandbox/mem,pid, mem/max, mem/vm_max, pid/max, default/mem,pid. */
  limits: LimitsState;
  /** SafeSetID: setuid and setgid transits, trace/allow_safe_set{u,g}id, trace/allow_unsafe_setid. */
  setid: SetidState;
  /** Force sandboxing: sandbox/force, default/force, the Integrity Force map (force+, -, ^). */
  force: ForceState;
  /**
   * Namespaces and the container form: unshare/, bind, root, root/map, workdir, uts/host,
   * uts/domain, time (lib/policy/namespaces.ts).
   */
  namespaces: NamespacesState;
  /** TPE and SegvGuard: sandbox/tpe, default/tpe,segvguard, tpe/, segvguard/ (lib/policy/trust.ts). */
  trust: TrustState;
}

/**
 * Memory and PID sandboxing, as the original's (3.59). Sizes and counts are unsigned 64-bit
 * values, 0 for no limit. `mem` and `pid` are what sandbox/mem and sandbox/pid said until the
 * sandbox starts; {@linkcode startLimits} then turns a layer on that has a limit.
 */
export interface LimitsState {
  mem: boolean;
  /** mem/max: the caller's PSS plus dirty memory, in bytes. */
  memMax: bigint;
  /** mem/vm_max: the caller's virtual memory size, in bytes. */
  memVmMax: bigint;
  /** default/mem (deny at first). */
  memAction: Action;
  pid: boolean;
  /** pid/max: tasks (0: none counted, even with sandbox/pid:on). */
  pidMax: bigint;
  /** default/pid (kill at first). */
  pidAction: Action;
}

/** The limits before any command: both layers off, no limits, deny and kill. */
export function initialLimits(): LimitsState {
  return {
    mem: false,
    memMax: 0n,
    memVmMax: 0n,
    memAction: "deny",
    pid: false,
    pidMax: 0n,
    pidAction: "kill",
  };
}

/**
 * What the original does once every command is read, before the sandbox starts: a layer with a
 * limit is on, whatever sandbox/mem or sandbox/pid said (`mem/max:64M` then `sandbox/mem:off`
 * still limits). Only then: while the sandbox runs, `sandbox/mem:off` turns the checks off
 * though mem/max stays set. Idempotent.
 */
export function startLimits(state: PolicyState): void {
  const limits = state.limits;
  if (limits.memMax > 0n || limits.memVmMax > 0n) limits.mem = true;
  if (limits.pidMax > 0n) limits.pid = true;
}

/** One request's verdict: denied or allowed, and the bits of it that vary (any size matches). */
export interface IoctlVerdict {
  deny: boolean;
  mask: number;
}

/** One change of the program's environment (`value` expanded when applied). */
export type EnvOp = { op: "set"; name: string; value: string } | { op: "unset"; name: string } | {
  op: "clear";
};

/** One fs rule: its action, the types as written and as numbers, and its place. */
export interface FsRule {
  action: Action;
  text: string;
  types: FsTypes;
  origin: Origin;
}

/** The original syd's state before any profile or command: every category on but walk and list, denying. */
export function initialState(): PolicyState {
  const on = {} as Record<Category, boolean>;
  const defaults = {} as Record<Category, Action>;
  for (const category of CATEGORIES) {
    // As the original 3.59: walk and list are the two categories off at first.
    on[category] = category !== "walk" && category !== "list";
    defaults[category] = "deny";
  }
  return {
    on,
    defaults,
    rules: [],
    netRules: [],
    lock: null,
    mask: [],
    exitWaitAll: false,
    timeoutMs: 0,
    logRlimitBurst: LOG_RLIMIT_BURST,
    logRlimitIntervalNs: LOG_RLIMIT_INTERVAL_NS,
    denyDotdot: false,
    forceTrace: {},
    allowUnsuppSocket: false,
    allowUnsafePtrace: false,
    syncSeccomp: false,
    allowUnsafeExecLdso: false,
    allowUnsafeExecStack: false,
    allowUnsafeExecSpeculative: false,
    allowUnsafeExecScript: false,
    allowUnsafeExecInteractive: false,
    allowUnsafeProcPidStatus: false,
    filterTrace: {},
    allowUnsafeAnyAddr: false,
    allowUnsafeKcapi: false,
    allowUnsafeOob: false,
    allowUnsafeRecvmsg: false,
    allowSafeBind: false,
    noopTrace: {},
    fsUnsafe: {},
    fsOn: true,
    fsDefault: "deny",
    fsRules: [],
    passFds: { all: false, ranges: [[0, 2]] },
    envOps: [],
    ioctlRules: defaultIoctlRules(),
    landlock: initialLandlock(),
    limits: initialLimits(),
    setid: initialSetid(),
    force: initialForce(),
    namespaces: initialNamespaces(),
    trust: initialTrust(),
  };
}

/** Removes the most recent (`-`) or every (`^`) entry for which `same` holds. */
function remove<T>(list: T[], op: Op, same: (entry: T) => boolean): number {
  if (op === "-") {
    for (let i = list.length - 1; i >= 0; i--) {
      if (same(list[i])) {
        list.splice(i, 1);
        return 1;
      }
    }
    return 0;
  }
  const before = list.length;
  const kept = list.filter((entry) => !same(entry));
  list.splice(0, list.length, ...kept);
  return before - kept.length;
}

/**
 * Applies one command to the state. Returns how many entries a `-` or `^` removed (else 0).
 * `include` and `include_profile` are resolved by the loader, never applied here.
 */
export function apply(state: PolicyState, command: Command, origin: Origin): number {
  switch (command.kind) {
    case "sandbox":
      for (const category of command.categories) state.on[category] = command.on;
      if (command.fs) state.fsOn = command.on;
      if (command.landlock) {
        state.landlock.on = command.on;
        state.landlock.onOrigin = origin;
      }
      if (command.mem) state.limits.mem = command.on;
      if (command.pid) state.limits.pid = command.on;
      if (command.tpe) state.trust.tpe = command.on;
      if (command.force) state.force.on = command.on;
      return 0;
    case "sandbox_query":
      return 0;
    case "default":
      for (const category of command.categories) state.defaults[category] = command.action;
      if (command.fs) state.fsDefault = command.action;
      if (command.landlock) state.landlock.compat = command.landlock;
      if (command.mem) state.limits.memAction = command.action;
      if (command.pid) state.limits.pidAction = command.action;
      if (command.tpe) state.trust.tpeAction = command.action;
      if (command.segvguard) state.trust.segvguardAction = command.action;
      if (command.force) state.force.default = command.action;
      return 0;
    case "tpe_gid":
    case "tpe_flag":
    case "segvguard":
      applyTrust(state.trust, command);
      return 0;
    case "limit":
      if (command.key === "mem/max") state.limits.memMax = command.value;
      else if (command.key === "mem/vm_max") state.limits.memVmMax = command.value;
      else state.limits.pidMax = command.value;
      return 0;
    case "setid":
      return applySetid(state.setid, command, origin);
    case "force":
      return applyForce(state.force, command);
    case "namespace":
      return applyNamespace(state.namespaces, command, origin);
    case "lock_rule":
      applyLockRule(state.landlock, command, origin);
      return 0;
    case "lock_log":
      if (command.value) state.landlock.flags |= command.flags;
      else state.landlock.flags &= ~command.flags;
      return 0;
    case "passfd":
      state.passFds = applyPassfd(state.passFds, command);
      return 0;
    case "setenv":
      state.envOps.push({ op: "set", name: command.name, value: command.value });
      return 0;
    case "unsetenv":
      state.envOps.push({ op: "unset", name: command.name });
      return 0;
    case "clearenv":
      state.envOps.push({ op: "clear" });
      return 0;
    case "fs_rule": {
      if (command.op === "+") {
        state.fsRules.push({
          action: command.action,
          text: command.text,
          types: command.types,
          origin,
        });
        return 0;
      }
      return remove(
        state.fsRules,
        command.op,
        (r) => r.action === command.action && r.text === command.text,
      );
    }
    case "rule": {
      // Network categories in a path rule judge UNIX sockets at that path.
      const net = command.categories.filter(isNetCategory);
      const path = command.categories.filter((c): c is GlobCategory => !isNetCategory(c));
      let removed = 0;
      if (net.length > 0) {
        const address: Address = { kind: "unix", pattern: command.pattern };
        const netCommand: Command = {
          kind: "net_rule",
          action: command.action,
          categories: net,
          op: command.op,
          address,
        };
        removed += apply(state, netCommand, origin);
      }
      if (command.op === "+") {
        for (const category of path) {
          state.rules.push({ action: command.action, category, pattern: command.pattern, origin });
        }
        return removed;
      }
      for (const category of path) {
        removed += remove(
          state.rules,
          command.op,
          (r) =>
            r.action === command.action && r.category === category && r.pattern === command.pattern,
        );
      }
      return removed;
    }
    case "net_rule": {
      const text = formatAddress(command.address);
      if (command.op === "+") {
        for (const category of command.categories) {
          state.netRules.push({
            action: command.action,
            category,
            address: command.address,
            text,
            origin,
          });
        }
        return 0;
      }
      let removed = 0;
      for (const category of command.categories) {
        removed += remove(
          state.netRules,
          command.op,
          (r) => r.action === command.action && r.category === category && r.text === text,
        );
      }
      return removed;
    }
    case "lock":
      state.lock = command.state;
      return 0;
    case "log_rlimit":
      if (command.burst !== undefined) state.logRlimitBurst = command.burst;
      if (command.intervalNs !== undefined) state.logRlimitIntervalNs = command.intervalNs;
      return 0;
    case "timeout":
      state.timeoutMs = command.ms;
      return 0;
    case "ioctl_rule": {
      let removed = 0;
      for (const { request, mask } of command.requests) {
        const now = state.ioctlRules.get(request);
        if (command.op === "+") state.ioctlRules.set(request, { deny: command.deny, mask });
        else if (now !== undefined && now.deny === command.deny) {
          state.ioctlRules.delete(request);
          removed++;
        }
      }
      return removed;
    }
    case "mask": {
      // As the original's: the last mask added that matches decides; mask- removes every mask
      // of the pattern, mask^ every mask.
      if (command.op === "+") {
        const { pattern, target, dirTarget } = command;
        state.mask.push({
          pattern,
          ...(target !== undefined && { target }),
          ...(dirTarget !== undefined && { dirTarget }),
          origin,
        });
        return 0;
      }
      return remove(
        state.mask,
        "^",
        (entry) => command.op === "^" || entry.pattern === command.pattern,
      );
    }
    case "trace":
      if (command.option === "exit_wait_all") state.exitWaitAll = command.value;
      else if (command.option === "deny_dotdot") state.denyDotdot = command.value;
      else if (command.option === "allow_unsupp_socket") state.allowUnsuppSocket = command.value;
      else if (command.option === "allow_unsafe_ptrace") state.allowUnsafePtrace = command.value;
      else if (command.option === "sync_seccomp") state.syncSeccomp = command.value;
      else if (command.option === "allow_unsafe_any_addr") state.allowUnsafeAnyAddr = command.value;
      else if (command.option === "allow_unsafe_kcapi") state.allowUnsafeKcapi = command.value;
      else if (command.option === "allow_unsafe_oob") state.allowUnsafeOob = command.value;
      else if (command.option === "allow_unsafe_recvmsg") state.allowUnsafeRecvmsg = command.value;
      else if (command.option === "allow_safe_bind") state.allowSafeBind = command.value;
      else if (command.option === "allow_unsafe_exec_speculative") {
        state.allowUnsafeExecSpeculative = command.value;
      } else if (command.option === "allow_unsafe_exec_ldso") {
        state.allowUnsafeExecLdso = command.value;
      } else if (command.option === "allow_unsafe_exec_stack") {
        state.allowUnsafeExecStack = command.value;
      } else if (command.option === "allow_unsafe_exec_script") {
        state.allowUnsafeExecScript = command.value;
      } else if (command.option === "allow_unsafe_exec_interactive") {
        state.allowUnsafeExecInteractive = command.value;
      } else if (isFilterTraceOption(command.option)) {
        state.filterTrace[command.option] = command.value;
      } else if (isForceTraceOption(command.option)) {
        if (command.value) state.forceTrace[command.option] = true;
        else delete state.forceTrace[command.option];
      } else if (command.option === "allow_unsafe_proc_pid_status") {
        state.allowUnsafeProcPidStatus = command.value;
      } else if (command.option === "allow_safe_setuid") {
        state.setid.allowSafeSetuid = command.value;
      } else if (command.option === "allow_safe_setgid") {
        state.setid.allowSafeSetgid = command.value;
      } else if (command.option === "allow_unsafe_setid") {
        state.setid.allowUnsafeSetid = command.value;
      }
      return 0;
    case "trace_noop":
      state.noopTrace[command.option] = command.value;
      return 0;
    case "trace_fs":
      if (command.value) state.fsUnsafe[command.option] = true;
      else delete state.fsUnsafe[command.option];
      return 0;
    case "reset": {
      Object.assign(state, initialState());
      return 0;
    }
    case "include":
    case "include_profile":
      throw new Error(`${command.kind} must be resolved by the loader`);
  }
}

/**
 * Splits rules into runs that came from one command (same action, argument and origin, each
 * category once), so that a dump prints them as that command.
 */
function commandRuns<R extends PathRule | NetRule>(
  rules: readonly R[],
  argument: (rule: R) => string,
): R[][] {
  const runs: R[][] = [];
  for (const rule of rules) {
    const run = runs.at(-1);
    const first = run?.[0];
    const same = first !== undefined && first.action === rule.action &&
      argument(first) === argument(rule) &&
      first.origin.file === rule.origin.file && first.origin.line === rule.origin.line &&
      first.origin.col === rule.origin.col && !run!.some((r) => r.category === rule.category);
    if (same) run!.push(rule);
    else runs.push([rule]);
  }
  return runs;
}

/** The effective policy as commands, one per line, which re-create it from the initial state. */
export function dump(state: PolicyState): string[] {
  const lines: string[] = [];
  const group = <V>(value: (c: Category) => V, render: (cats: Category[], v: V) => string) => {
    const byValue = new Map<V, Category[]>();
    // ioctl is not in `all` (as the original's): it has lines of its own below.
    for (const category of CATEGORIES.filter((c) => c !== "ioctl")) {
      const v = value(category);
      byValue.set(v, [...(byValue.get(v) ?? []), category]);
    }
    for (const [v, cats] of byValue) lines.push(render(cats, v));
  };
  // `sandbox/all:on|off` first, then the categories that differ from the majority.
  const all = CATEGORY_ALIASES.all;
  const onCount = all.filter((c) => state.on[c]).length;
  const most = onCount * 2 >= all.length;
  lines.push(formatCommand({ kind: "sandbox", categories: [...all], on: most }));
  // ioctl is not in `all` (on at first).
  const others = all.filter((c) => state.on[c] !== most);
  if (others.length > 0) {
    lines.push(formatCommand({ kind: "sandbox", categories: others, on: !most }));
  }
  if (!state.fsOn) lines.push("sandbox/fs:off");
  lines.push(...dumpLandlock(state.landlock));
  if (!state.on.ioctl) lines.push("sandbox/ioctl:off");
  lines.push(...dumpLimits(state.limits));
  lines.push(...dumpTrust(state.trust));
  lines.push(...dumpForce(state.force));
  group(
    (c) => state.defaults[c],
    (categories, action) => formatCommand({ kind: "default", categories, action }),
  );
  if (state.defaults.ioctl !== "deny") lines.push(`default/ioctl:${state.defaults.ioctl}`);
  for (const run of commandRuns(state.rules, (r) => r.pattern)) {
    const { action, pattern } = run[0];
    lines.push(
      formatCommand({
        kind: "rule",
        action,
        categories: run.map((r) => r.category),
        op: "+",
        pattern,
      }),
    );
  }
  for (const run of commandRuns(state.netRules, (r) => r.text)) {
    const { action, address } = run[0];
    const categories = run.map((r) => r.category);
    lines.push(formatCommand({ kind: "net_rule", action, categories, op: "+", address }));
  }
  for (const { pattern, target, dirTarget } of state.mask) {
    lines.push(formatCommand({ kind: "mask", op: "+", pattern, target, dirTarget }));
  }
  if (state.exitWaitAll) lines.push("trace/exit_wait_all:1");
  if (state.denyDotdot) lines.push("trace/deny_dotdot:1");
  for (const option of FORCE_TRACE_OPTIONS) {
    if (state.forceTrace[option]) lines.push(`trace/${option}:1`);
  }
  if (state.allowUnsuppSocket) lines.push("trace/allow_unsupp_socket:1");
  if (state.allowUnsafePtrace) lines.push("trace/allow_unsafe_ptrace:1");
  if (state.syncSeccomp) lines.push("trace/sync_seccomp:1");
  if (state.allowUnsafeExecLdso) lines.push("trace/allow_unsafe_exec_ldso:1");
  if (state.allowUnsafeExecStack) lines.push("trace/allow_unsafe_exec_stack:1");
  if (state.allowUnsafeExecSpeculative) lines.push("trace/allow_unsafe_exec_speculative:1");
  if (state.allowUnsafeExecScript) lines.push("trace/allow_unsafe_exec_script:1");
  if (state.allowUnsafeExecInteractive) lines.push("trace/allow_unsafe_exec_interactive:1");
  if (state.allowUnsafeProcPidStatus) lines.push("trace/allow_unsafe_proc_pid_status:1");
  for (const option of FILTER_TRACE_OPTIONS) {
    if (state.filterTrace[option]) lines.push(`trace/${option}:1`);
  }
  if (state.allowUnsafeAnyAddr) lines.push("trace/allow_unsafe_any_addr:1");
  if (state.allowUnsafeKcapi) lines.push("trace/allow_unsafe_kcapi:1");
  if (state.allowUnsafeOob) lines.push("trace/allow_unsafe_oob:1");
  if (state.allowUnsafeRecvmsg) lines.push("trace/allow_unsafe_recvmsg:1");
  if (state.allowSafeBind) lines.push("trace/allow_safe_bind:1");
  for (const [option, value] of Object.entries(state.noopTrace)) {
    if (value) lines.push(`trace/${option}:1`);
  }
  for (const option of Object.keys(state.fsUnsafe).sort()) lines.push(`trace/${option}:1`);
  lines.push(...dumpSetid(state.setid));
  lines.push(...dumpNamespaces(state.namespaces));
  if (state.timeoutMs > 0) lines.push(formatCommand({ kind: "timeout", ms: state.timeoutMs }));
  if (state.logRlimitBurst !== LOG_RLIMIT_BURST) {
    lines.push(formatCommand({ kind: "log_rlimit", burst: state.logRlimitBurst }));
  }
  if (state.logRlimitIntervalNs !== LOG_RLIMIT_INTERVAL_NS) {
    lines.push(formatCommand({ kind: "log_rlimit", intervalNs: state.logRlimitIntervalNs }));
  }
  for (const op of state.envOps) {
    lines.push(
      op.op === "set"
        ? `setenv!${op.name}=${op.value}`
        : op.op === "unset"
        ? `unsetenv!${op.name}`
        : "clearenv!",
    );
  }
  const pass = state.passFds;
  if (pass.all) lines.push("passfd+all");
  else if (JSON.stringify(pass.ranges) !== "[[0,2]]") {
    lines.push("passfd^");
    const list = pass.ranges.map(([lo, hi]) => lo === hi ? `${lo}` : `${lo}-${hi}`).join(",");
    if (list !== "") lines.push(`passfd+${list}`);
  }
  if (state.fsDefault !== "deny") lines.push(`default/fs:${state.fsDefault}`);
  for (const rule of state.fsRules) lines.push(`${rule.action}/fs+${rule.text}`);
  lines.push(...dumpIoctl(state));
  if (state.lock !== null) lines.push(`lock:${state.lock}`);
  return lines;
}

/** Memory and PID sandboxing, as the commands that differ from the initial state. */
function dumpLimits(limits: LimitsState): string[] {
  const initial = initialLimits();
  const lines: string[] = [];
  const on = (["mem", "pid"] as const).filter((layer) => limits[layer]);
  if (on.length > 0) lines.push(`sandbox/${on.join(",")}:on`);
  if (limits.memMax !== initial.memMax) lines.push(`mem/max:${limits.memMax}`);
  if (limits.memVmMax !== initial.memVmMax) lines.push(`mem/vm_max:${limits.memVmMax}`);
  if (limits.pidMax !== initial.pidMax) lines.push(`pid/max:${limits.pidMax}`);
  if (limits.memAction === limits.pidAction && limits.memAction !== initial.memAction) {
    lines.push(`default/mem,pid:${limits.memAction}`);
  } else {
    if (limits.memAction !== initial.memAction) lines.push(`default/mem:${limits.memAction}`);
    if (limits.pidAction !== initial.pidAction) lines.push(`default/pid:${limits.pidAction}`);
  }
  return lines;
}

/** The ioctl verdicts that differ from the defaults, as commands (a name where one is known). */
function dumpIoctl(state: PolicyState): string[] {
  const lines: string[] = [];
  const initial = defaultIoctlRules();
  const text = (request: number) => ioctlNames(request)[0] ?? `0x${request.toString(16)}`;
  for (const [request, verdict] of initial) {
    const now = state.ioctlRules.get(request);
    if (now === undefined) lines.push(`${verdict.deny ? "deny" : "allow"}/ioctl-${text(request)}`);
  }
  for (const [request, verdict] of state.ioctlRules) {
    if (initial.get(request)?.deny === verdict.deny) continue;
    lines.push(`${verdict.deny ? "deny" : "allow"}/ioctl+${text(request)}`);
  }
  return lines;
}
