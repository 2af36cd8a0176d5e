/**
 * Compiles the effective policy into the versioned JSON document libsyd.so loads (version 1).
 * Rules keep their order and their origin (`file:line` or `-m#N`) so that a denial can name the
 * rule that decided it.
 *
 * @module
 */
import { type CompiledTrust, compileTrust } from "./trust.ts";
import { networkProtocol } from "./address.ts";
import {
  formatOrigin,
  initialLimits,
  type LimitsState,
  type NetRule,
  type PolicyState,
} from "./state.ts";
import { CATEGORIES, own } from "./vocab.ts";
import { ioctlErrno } from "./ioctl.ts";
import { type CompiledLandlock, compileLandlock } from "./landlock.ts";
import { type CompiledSetid, compileSetid } from "./setid.ts";
import { type CompiledForce, compileForce } from "./force.ts";
import { type CompiledNamespaces, compileNamespaces } from "./namespaces.ts";

/** The emulator pool's settings. */
export interface PoolSettings {
  core: number;
  max: number;
  keep_alive_ms: number;
}

/** An address range in a network rule. */
export interface CompiledCidr {
  family: 4 | 6;
  address: string;
  prefix: number;
}

/**
 * One network rule as libsyd matches it: one compiled rule per port range, and per protocol
 * where the network's protocol depends on the family (`icmp`: ICMP for IPv4, ICMPv6 for IPv6).
 */
function compileNetRule(r: NetRule): CompiledPolicy["net_rules"] {
  const origin = formatOrigin(r.origin);
  const { category, action } = r;
  const address = r.address;
  if (address.kind !== "inet") {
    const base = { category, action, kind: address.kind, cidrs: [], port_min: 0, port_max: 0 };
    return [{ ...base, protocol: 0, pattern: address.pattern, origin }];
  }
  const groups = new Map<number, CompiledCidr[]>();
  for (const cidr of address.cidrs) {
    const protocol = networkProtocol(address.network, cidr.family);
    groups.set(protocol, [...(groups.get(protocol) ?? []), { ...cidr }]);
  }
  return address.ports.flatMap((ports) =>
    [...groups].map(([protocol, cidrs]) => ({
      category,
      action,
      kind: "inet" as const,
      cidrs,
      port_min: ports.min,
      port_max: ports.max,
      protocol,
      pattern: "",
      origin,
    }))
  );
}

/** The document libsyd.so loads. */
export interface CompiledPolicy {
  version: 1;
  log_level: string;
  pool: PoolSettings;
  /** null: the lock was never set (the original's default applies). */
  lock: "on" | "off" | "exec" | "drop" | null;
  categories: { name: string; on: boolean; default: string }[];
  rules: { category: string; action: string; pattern: string; origin: string }[];
  net_rules: {
    category: string;
    action: string;
    kind: "inet" | "unix" | "abstract";
    cidrs: CompiledCidr[];
    port_min: number;
    port_max: number;
    /** The IP protocol the socket must have (SO_PROTOCOL), 0 for any. */
    protocol: number;
    pattern: string;
    origin: string;
  }[];
  /** The masks, in policy order (the last that matches decides); targets absent: /dev/null. */
  mask: { pattern: string; target?: string; dir_target?: string; origin: string }[];
  /** Lock sandboxing: the Landlock ruleset libsyd builds (ffi/layers/landlock.zig). */
  landlock: CompiledLandlock;
  exec_kill: { pattern: string; origin: string }[];
  /** passfd: the fds the program inherits, as sorted disjoint ranges, or all. */
  pass_fds: { all: boolean; ranges: [number, number][] };
  /** fs sandboxing: opens judged by the filesystem type (statfs f_type) of what they opened. */
  fs: {
    on: boolean;
    default: string;
    rules: { action: string; all: boolean; types: number[]; origin: string }[];
  };
  exit_wait_all: boolean;
  /** Sockets of families other than UNIX, IPv4 and IPv6 allowed (trace/allow_unsupp_socket). */
  allow_unsupp_socket: boolean;
  /**
   * syd does not trace the sandbox: exec and chdir unverified (trace/allow_unsafe_ptrace). Left
   * out when false (libsyd's default), so that an older libsyd.so reads the document too (the
   * benchmark's side-by-side runs).
   */
  allow_unsafe_ptrace?: boolean;
  /** The kernel's synchronous wake-up of the emulators (trace/sync_seccomp); left out when false. */
  sync_seccomp?: boolean;
  /** The dynamic loader may be run directly (trace/allow_unsafe_exec_ldso); left out when false. */
  allow_unsafe_exec_ldso?: boolean;
  /** An executable stack allowed at the exec stop (trace/allow_unsafe_exec_stack); left out when false. */
  allow_unsafe_exec_stack?: boolean;
  /** The sandbox's speculation mitigations are not forced (trace/allow_unsafe_exec_speculative). */
  allow_unsafe_exec_speculative?: boolean;
  /** SECBIT_EXEC_RESTRICT_FILE left unset (trace/allow_unsafe_exec_script); left out when false. */
  allow_unsafe_exec_script?: boolean;
  /** SECBIT_EXEC_DENY_INTERACTIVE left unset (trace/allow_unsafe_exec_interactive); left out when false. */
  allow_unsafe_exec_interactive?: boolean;
  /** The filter's relaxations (vocab's FILTER_TRACE_OPTIONS); each left out when false. */
  allow_unsafe_futex?: boolean;
  allow_unsafe_cbpf?: boolean;
  allow_unsafe_shm?: boolean;
  allow_unsafe_perm_shm?: boolean;
  allow_unsafe_copy?: boolean;
  allow_unsafe_personality?: boolean;
  allow_unsafe_sysinfo?: boolean;
  allow_unsafe_memfd?: boolean;
  allow_unsafe_exec_memory?: boolean;
  /** connect and send to 0.0.0.0 and :: allowed (trace/allow_unsafe_any_addr); left out when false. */
  allow_unsafe_any_addr?: boolean;
  /** Kernel crypto sockets allowed (trace/allow_unsafe_kcapi); left out when false. */
  allow_unsafe_kcapi?: boolean;
  /** MSG_OOB and SO_OOBINLINE allowed (trace/allow_unsafe_oob); left out when false. */
  allow_unsafe_oob?: boolean;
  /** recvfd not judged: receives not performed for it (trace/allow_unsafe_recvmsg); left out when false. */
  allow_unsafe_recvmsg?: boolean;
  /** Addresses bound in the sandbox allowed for net/connect (trace/allow_safe_bind); left out when false. */
  allow_safe_bind?: boolean;
  /** /proc/PID/status unfiltered (trace/allow_unsafe_proc_pid_status); left out when false. */
  allow_unsafe_proc_pid_status?: boolean;
  deny_dotdot: boolean;
  /** The trace/force_* hardenings (vocab's FORCE_TRACE_OPTIONS); each left out when false. */
  force_cloexec?: boolean;
  force_ro_open?: boolean;
  force_wx_open?: boolean;
  force_no_symlinks?: boolean;
  force_no_magiclinks?: boolean;
  force_no_xdev?: boolean;
  /**
   * The filesystem hardenings relaxed (trace/allow_unsafe_create and the others of vocab's
   * FS_HARDENING_OPTIONS), each true; left out when none is, for an older libsyd.so.
   */
  unsafe_fs?: Record<string, boolean>;
  /** Wall-clock limit for the sandbox in milliseconds (-t); 0: none. */
  timeout_ms: number;
  /**
   * ioctl request verdicts: `request` with its varying bits (`mask`) cleared; a denied one
   * answers `errno`. Left out when empty.
   */
  ioctl_rules?: { request: number; mask: number; deny: boolean; errno: number }[];
  /**
   * Memory and PID sandboxing (ffi/judge/policy.zig). Left out when both layers are off and every
   * setting is at its default, so that an older libsyd.so reads the document.
   */
  limits?: CompiledLimits;
  /** TPE and SegvGuard (absent: the original's defaults). */
  trust?: CompiledTrust;
  /**
   * SafeSetID (ffi/judge/policy.zig): the uid and gid transits, sorted by source, and
   * trace/allow_unsafe_setid. Left out when there is no transit and the option is off; the
   * original's trace/allow_safe_set{u,g}id are implied by a non-empty list.
   */
  setid?: CompiledSetid;
  /** Force sandboxing (lib/policy/force.ts); left out when as at first. */
  force?: CompiledForce;
  /**
   * Namespaces and the container form (ffi/judge/policy.zig): the namespaces to make (after the
   * implications), the binds, root, workdir, names and clock offsets. Left out when no namespace
   * is asked for.
   */
  namespaces?: CompiledNamespaces;
}

/** Memory and PID sandboxing as libsyd reads them; the sizes are clamped to 2^53-1. */
export interface CompiledLimits {
  /** Memory sandboxing on (the limits turn it on when the sandbox starts: see startLimits). */
  mem: boolean;
  /** mem/max in bytes; 0: no check. */
  mem_max: number;
  /** mem/vm_max in bytes; 0: no check. */
  mem_vm_max: number;
  /** default/mem. */
  mem_action: string;
  /** PID sandboxing on. */
  pid: boolean;
  /** pid/max; 0: no limit. */
  pid_max: number;
  /** default/pid. */
  pid_action: string;
}

/** A u64 limit as a JSON number: values above 2^53-1 (no machine has that much) are clamped. */
function clampLimit(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/**
 * The limits of `state`, or undefined when they are all as at first (both layers off). The
 * implied on (a limit turns its layer on) is the loader's, when the sandbox starts (startLimits),
 * never this: while the sandbox runs, sandbox/mem:off turns memory sandboxing off though
 * mem/max stays set.
 */
export function compileLimits(state: PolicyState): CompiledLimits | undefined {
  const limits = state.limits;
  const initial = initialLimits();
  const same = (Object.keys(initial) as (keyof LimitsState)[]).every((key) =>
    limits[key] === initial[key]
  );
  if (same) return undefined;
  return {
    mem: limits.mem,
    mem_max: clampLimit(limits.memMax),
    mem_vm_max: clampLimit(limits.memVmMax),
    mem_action: limits.memAction,
    pid: limits.pid,
    pid_max: clampLimit(limits.pidMax),
    pid_action: limits.pidAction,
  };
}

/** The original's aliases among fd names. */
const FD_NAME_ALIASES: Readonly<Record<string, string>> = { "!all": "!**", "!epoll": "!eventpoll" };

/**
 * Compiles a loaded policy.
 *
 * @example
 * ```ts
 * compile(state, { logLevel: "warn", pool: { core: 2, max: 64, keep_alive_ms: 15000 } });
 * ```
 */
export function compile(
  state: PolicyState,
  options: { logLevel: string; pool: PoolSettings; timeoutMs?: number },
): CompiledPolicy {
  return {
    version: 1,
    log_level: options.logLevel,
    pool: options.pool,
    lock: state.lock,
    categories: CATEGORIES.map((name) => ({
      name,
      on: state.on[name],
      default: state.defaults[name],
    })),
    rules: state.rules.map((r) => ({
      category: r.category,
      action: r.action,
      // `!all` is the original's wildcard of fd names (every name starts with `!`), and
      // `!epoll` its alias of `!eventpoll`.
      pattern: own(FD_NAME_ALIASES, r.pattern) ?? r.pattern,
      origin: formatOrigin(r.origin),
    })),
    net_rules: state.netRules.flatMap(compileNetRule),
    mask: state.mask.map((m) => ({
      pattern: m.pattern,
      ...(m.target !== undefined && { target: m.target }),
      ...(m.dirTarget !== undefined && { dir_target: m.dirTarget }),
      origin: formatOrigin(m.origin),
    })),
    landlock: compileLandlock(state.landlock),
    exec_kill: [], // syd 1's exec/kill, which the parser refuses; libsyd still reads the field
    pass_fds: { all: state.passFds.all, ranges: state.passFds.ranges.map((r) => [r[0], r[1]]) },
    fs: {
      on: state.fsOn,
      default: state.fsDefault,
      rules: state.fsRules.map((r) => ({
        action: r.action,
        all: r.types === "all",
        types: r.types === "all" ? [] : r.types,
        origin: formatOrigin(r.origin),
      })),
    },
    exit_wait_all: state.exitWaitAll,
    allow_unsupp_socket: state.allowUnsuppSocket,
    ...(state.allowUnsafePtrace ? { allow_unsafe_ptrace: true } : {}),
    ...(state.syncSeccomp ? { sync_seccomp: true } : {}),
    ...(state.allowUnsafeExecLdso ? { allow_unsafe_exec_ldso: true } : {}),
    ...(state.allowUnsafeExecStack ? { allow_unsafe_exec_stack: true } : {}),
    ...(state.allowUnsafeExecSpeculative ? { allow_unsafe_exec_speculative: true } : {}),
    ...(state.allowUnsafeExecScript ? { allow_unsafe_exec_script: true } : {}),
    ...(state.allowUnsafeExecInteractive ? { allow_unsafe_exec_interactive: true } : {}),
    ...(state.allowUnsafeProcPidStatus ? { allow_unsafe_proc_pid_status: true } : {}),
    ...Object.fromEntries(
      Object.entries(state.filterTrace).filter(([, on]) => on).map(([option]) => [option, true]),
    ),
    ...(state.allowUnsafeAnyAddr ? { allow_unsafe_any_addr: true } : {}),
    ...(state.allowUnsafeKcapi ? { allow_unsafe_kcapi: true } : {}),
    ...(state.allowUnsafeOob ? { allow_unsafe_oob: true } : {}),
    ...(state.allowUnsafeRecvmsg ? { allow_unsafe_recvmsg: true } : {}),
    ...(state.allowSafeBind ? { allow_safe_bind: true } : {}),
    deny_dotdot: state.denyDotdot,
    ...Object.fromEntries(
      Object.entries(state.forceTrace).filter(([, on]) => on).map(([option]) => [option, true]),
    ),
    ...(Object.keys(state.fsUnsafe).length > 0 ? { unsafe_fs: compileFsUnsafe(state) } : {}),
    timeout_ms: options.timeoutMs || state.timeoutMs, // -t wins over timeout:
    ...(state.ioctlRules.size > 0 ? { ioctl_rules: compileIoctl(state) } : {}),
    ...limitsField(state),
    ...setidField(state),
    ...forceField(state),
    ...namespacesField(state),
    ...trustField(state),
  };
}

function trustField(state: PolicyState): { trust?: CompiledTrust } {
  const trust = compileTrust(state.trust);
  return trust === undefined ? {} : { trust };
}

function forceField(state: PolicyState): { force?: CompiledForce } {
  const force = compileForce(state.force);
  return force === undefined ? {} : { force };
}

function namespacesField(state: PolicyState): { namespaces?: CompiledNamespaces } {
  const namespaces = compileNamespaces(state.namespaces);
  return namespaces === undefined ? {} : { namespaces };
}

function setidField(state: PolicyState): { setid?: CompiledSetid } {
  const setid = compileSetid(state.setid);
  return setid === undefined ? {} : { setid };
}

function limitsField(state: PolicyState): { limits?: CompiledLimits } {
  const limits = compileLimits(state);
  return limits === undefined ? {} : { limits };
}

/** The relaxed filesystem hardenings, in a stable order. */
function compileFsUnsafe(state: PolicyState): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const option of Object.keys(state.fsUnsafe).sort()) out[option] = true;
  return out;
}

/** The ioctl verdicts, sorted by request. */
function compileIoctl(state: PolicyState): NonNullable<CompiledPolicy["ioctl_rules"]> {
  return [...state.ioctlRules].sort(([a], [b]) => a - b).map(([request, v]) => ({
    request,
    mask: v.mask,
    deny: v.deny,
    errno: v.deny ? ioctlErrno(request) : 0,
  }));
}
