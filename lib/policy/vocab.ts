/**
 * The words of syd's command language: categories, actions, aliases, and the commands of the
 * original syd that this project knows about but does not implement.
 *
 * @module
 */

/** Path categories, as the original syd names them. */
export const PATH_CATEGORIES = [
  "stat",
  "read",
  "write",
  "exec",
  "ioctl",
  "create",
  "delete",
  "rename",
  "symlink",
  "truncate",
  "chdir",
  "readdir",
  "mkdir",
  "rmdir",
  "chown",
  "chgrp",
  "chmod",
  "chattr",
  "chroot",
  "utime",
  "mkbdev",
  "mkcdev",
  "mkfifo",
  "mktemp",
  // Split from stat in the original's 3.39 (walk) and 3.53 (list, readlink).
  "walk",
  "list",
  "readlink",
] as const;

/**
 * File descriptor categories (3.59): the fd passed with SCM_RIGHTS is matched by its name
 * (`!file`, `!pipe`, `!memfd:NAME`, ...): sendfd judges the fds a program sends, recvfd the fds it
 * receives (syd performs receives with control data itself to see them first).
 */
export const FD_CATEGORIES = ["sendfd", "recvfd"] as const;

/** Network categories. */
export const NET_CATEGORIES = ["net/bind", "net/connect"] as const;

/** Every category. */
export const CATEGORIES = [...PATH_CATEGORIES, ...FD_CATEGORIES, ...NET_CATEGORIES] as const;

/** The categories that judge the names of pathless fds (`!pipe`, `!memfd:NAME`, ...). */
export const FD_NAME_CATEGORIES: readonly Category[] = ["create", "sendfd", "recvfd"];

/** A path category. */
export type PathCategory = typeof PATH_CATEGORIES[number];
/** A file descriptor category. */
export type FdCategory = typeof FD_CATEGORIES[number];
/** A category whose rules are glob patterns (paths, or fd names such as `!pipe`). */
export type GlobCategory = PathCategory | FdCategory;
/** A network category. */
export type NetCategory = typeof NET_CATEGORIES[number];
/** Any category. */
export type Category = typeof CATEGORIES[number];

/** Names that stand for several categories in a comma list. */
export const CATEGORY_ALIASES: Readonly<Record<string, readonly Category[]>> = {
  // As the original's: ioctl judges request numbers, not paths, and is not in `all`.
  all: CATEGORIES.filter((c) => c !== "ioctl"),
  net: NET_CATEGORIES,
  passfd: FD_CATEGORIES,
  mkdev: ["mkbdev", "mkcdev"],
  // The original's sets (3.35 on); its npath also has notify, which this syd judges as stat.
  lpath: ["walk", "list", "chdir", "readlink"],
  npath: ["stat"],
  rpath: ["read", "readdir"],
  wpath: ["write", "truncate"],
  cpath: ["create", "delete", "rename"],
  dpath: ["mkbdev", "mkcdev"],
  spath: ["mkfifo", "symlink"],
  tpath: ["mkdir", "rmdir"],
  fown: ["chown", "chgrp"],
  fattr: ["chmod", "chattr", "utime"],
  inet: ["net/bind", "net/connect"],
  bnet: ["net/bind"],
  cnet: ["net/connect"],
};

/** What syd does with a matching call, from the mildest. */
export const ACTIONS = [
  "allow",
  "warn",
  "filter",
  "deny",
  "panic",
  "stop",
  "abort",
  "kill",
  "exit",
] as const;

/** An action. */
export type Action = typeof ACTIONS[number];

/** Every action but allow: what the original's trust layers (Force, TPE, SegvGuard) take. */
export const ACTIONS_BUT_ALLOW: readonly Action[] = ACTIONS.filter((a) => a !== "allow");

/** `table[key]` when `key` is the table's own entry (never `constructor`, `toString`, ...). */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Whether `name` is a category. */
export function isCategory(name: string): name is Category {
  return (CATEGORIES as readonly string[]).includes(name);
}

/** Whether `name` is a network category. */
export function isNetCategory(name: string): name is NetCategory {
  return (NET_CATEGORIES as readonly string[]).includes(name);
}

/** Whether `name` is an action. */
export function isAction(name: string): name is Action {
  return (ACTIONS as readonly string[]).includes(name);
}

/**
 * The resource-limit layers of the original (memory and pid sandboxing): `sandbox/mem,pid`,
 * `default/mem,pid`. They are not path categories (no rules; not in `all`): their limits are set
 * with `mem/max`, `mem/vm_max` and `pid/max`.
 */
export const LIMIT_LAYERS = ["mem", "pid", "force"] as const;

/** A resource-limit layer. */
export type LimitLayer = typeof LIMIT_LAYERS[number];

/** Whether `name` is a resource-limit layer. */
export function isLimitLayer(name: string): name is LimitLayer {
  return (LIMIT_LAYERS as readonly string[]).includes(name);
}

/**
 * The actions `default/mem` and `default/pid` take, as the original's (3.59): memory sandboxing
 * has no allow; pid sandboxing has no allow, deny or panic (the check runs after the fork).
 */
export const LIMIT_ACTIONS: Readonly<Record<LimitLayer, readonly Action[]>> = {
  mem: ["warn", "filter", "deny", "panic", "stop", "abort", "kill", "exit"],
  pid: ["warn", "filter", "stop", "abort", "kill", "exit"],
  // Force sandboxing (lib/policy/force.ts): `sandbox/force`, `default/force`.
  force: ["warn", "filter", "deny", "panic", "stop", "abort", "kill", "exit"],
};

/** The original's settings commands of the limit layers (`mem/max:SIZE`, ...). */
export const LIMIT_KEYS = ["mem/max", "mem/vm_max", "pid/max"] as const;

/** A limit setting. */
export type LimitKey = typeof LIMIT_KEYS[number];

/**
 * Categories of the original syd that this project does not implement (force, crypt,
 * proxy, ...): naming one is refused as "not supported".
 */
export const UNSUPPORTED_CATEGORIES = [
  "crypt",
  "proxy",
  "pty",
  "net/link",
  "notify",
  "uring",
] as const;

/**
 * Command keys (the text before the operator) of the original syd that this project does not
 * implement. A key equal to one, or starting with one that ends in "/" or "_", is refused as
 * "not supported", never accepted and ignored.
 */
/**
 * The original's `trace/` relaxations of checks this syd does not make, so that setting them
 * changes nothing here (accepted, stored and dumped, never acted on), with why.
 */
export const NOOP_TRACE_OPTIONS: Readonly<Record<string, string>> = {
  allow_unsafe_exec_nopie: "syd does not refuse non-PIE programs",
  allow_unsafe_exec_textrel: "syd does not refuse ELF text relocations",
  allow_unsafe_prlimit:
    "syd does not limit a process's own resource limits (those of another process stay refused: they protect syd)",
  allow_unsafe_socketcall:
    "x86_64 programs have no socketcall(2); the 32-bit ABI that has it is killed whatever this says",
};

/**
 * The original's `trace/` relaxations of the sandbox filter's hardening (ffi/filter/table.zig
 * `Option`), all off by default and fixed when the sandbox starts: priority-inheritance futexes,
 * seccomp filters of the sandbox's own, System V IPC, its unsafe modes and commands,
 * msgrcv's MSG_COPY, and memfds made executable (else syd seals every memfd against execution).
 */
export const FILTER_TRACE_OPTIONS = [
  "allow_unsafe_futex",
  "allow_unsafe_cbpf",
  "allow_unsafe_shm",
  "allow_unsafe_perm_shm",
  "allow_unsafe_copy",
  "allow_unsafe_personality",
  "allow_unsafe_sysinfo",
  "allow_unsafe_memfd",
  "allow_unsafe_exec_memory",
] as const;

/** One of `FILTER_TRACE_OPTIONS`. */
export type FilterTraceOption = typeof FILTER_TRACE_OPTIONS[number];

/** Whether `name` (the text after `trace/`) is one of `FILTER_TRACE_OPTIONS`. */
export function isFilterTraceOption(name: string): name is FilterTraceOption {
  return (FILTER_TRACE_OPTIONS as readonly string[]).includes(name);
}

/**
 * The original's `trace/allow_unsafe_*` relaxations of the filesystem hardenings this syd makes
 * too (README "Filesystem hardening"), each off by default. `runtime`: /dev/syd may change it
 * while the sandbox runs (the original's "drop" options); the others are fixed at start (the
 * sandbox filter carries them).
 */
export const FS_HARDENING_OPTIONS: Readonly<Record<string, { runtime: boolean }>> = {
  allow_unsafe_create: { runtime: true },
  allow_unsafe_filename: { runtime: true },
  allow_unsafe_symlinks: { runtime: true },
  allow_unsafe_sticky: { runtime: true },
  allow_unsafe_deleted: { runtime: true },
  allow_unsafe_hardlinks: { runtime: true },
  allow_unsafe_open_suid: { runtime: true },
  allow_unsafe_open_path: { runtime: true },
  allow_unsafe_mkbdev: { runtime: false },
  allow_unsafe_mkcdev: { runtime: false },
};

/**
 * The original's `trace/` hardenings this syd makes too, each off by default and changeable while
 * the sandbox runs; under `lock:drop` they may only be turned on (the original's "drop" flags).
 */
export const FORCE_TRACE_OPTIONS = [
  "force_cloexec",
  "force_ro_open",
  "force_wx_open",
  "force_no_symlinks",
  "force_no_magiclinks",
  "force_no_xdev",
] as const;

/** One of `FORCE_TRACE_OPTIONS`. */
export type ForceTraceOption = typeof FORCE_TRACE_OPTIONS[number];

/** Whether `name` (the text after `trace/`) is one of `FORCE_TRACE_OPTIONS`. */
export function isForceTraceOption(name: string): name is ForceTraceOption {
  return (FORCE_TRACE_OPTIONS as readonly string[]).includes(name);
}

export const UNSUPPORTED_KEYS = [
  "move/",
  "domain",
  "cmd/",
  "crypt",
  "crypt/",
  "proxy/",
  "setenv",
  "unsetenv",
  "ioctl/",
  "log/",
  "config/",
  "trace/allow_",
  "trace/force_",
  "trace/memory_access",
  "trace/private_",
  "append",
  "ghost",
  "stat",
  "panic",
  "load",
  // 3.5x: SysV/POSIX IPC, resource limits, xattr and pipe size limits, passenv, nullfd, and the
  // trace/deny_* hardenings (trace/deny_dotdot, which this syd has, is matched first).
  "ipc",
  "ipc/",
  "rlimit/",
  "xattr/",
  "pipe/",
  "passenv",
  "nullfd",
  "trace/deny_",
] as const;

/** Whether a command key names something of the original that is not implemented here. */
export function isUnsupportedKey(key: string): boolean {
  // The original's addressed commands of its domains (`@NAME/...`, 3.5x) are not supported.
  if (key.startsWith("@")) return true;
  return UNSUPPORTED_KEYS.some((known) =>
    key === known || ((known.endsWith("/") || known.endsWith("_")) && key.startsWith(known))
  );
}

/** Every command word syd understands, for "did you mean" suggestions. */
export const KNOWN_WORDS = [
  ...CATEGORIES,
  ...Object.keys(CATEGORY_ALIASES),
  ...ACTIONS,
  ...LIMIT_LAYERS,
  ...LIMIT_KEYS,
  "sandbox",
  "default",
  "force",
  "lock",
  "mask",
  "trace/exit_wait_all",
  "trace/allow_unsupp_socket",
  "trace/deny_dotdot",
  ...FORCE_TRACE_OPTIONS.map((option) => `trace/${option}`),
  "trace/allow_unsafe_ptrace",
  "trace/sync_seccomp",
  "trace/allow_unsafe_exec_ldso",
  "trace/allow_unsafe_exec_stack",
  "trace/allow_unsafe_exec_speculative",
  "trace/allow_unsafe_exec_script",
  "trace/allow_unsafe_exec_interactive",
  "trace/allow_unsafe_futex",
  "trace/allow_unsafe_cbpf",
  "trace/allow_unsafe_shm",
  "trace/allow_unsafe_perm_shm",
  "trace/allow_unsafe_copy",
  "trace/allow_unsafe_personality",
  "trace/allow_unsafe_sysinfo",
  "trace/allow_unsafe_memfd",
  "trace/allow_unsafe_exec_memory",
  "trace/allow_unsafe_any_addr",
  "trace/allow_unsafe_kcapi",
  "trace/allow_unsafe_oob",
  "trace/allow_unsafe_recvmsg",
  "trace/allow_safe_bind",
  "trace/allow_unsafe_proc_pid_status",
  "trace/allow_safe_setuid",
  "trace/allow_safe_setgid",
  "trace/allow_unsafe_setid",
  "setuid",
  "setgid",
  "unshare/user",
  "unshare/mount",
  "unshare/uts",
  "unshare/ipc",
  "unshare/pid",
  "unshare/net",
  "unshare/cgroup",
  "unshare/time",
  "unshare/all",
  "bind",
  "bind-try",
  "root",
  "root/map",
  "workdir",
  "uts/host",
  "uts/domain",
  "time",
  "time/boot",
  "time/mono",
  "trace/allow_unsafe_namespace",
  "reset",
  "include",
  "include_profile",
  "on",
  "off",
] as const;

/**
 * The nearest of `candidates` to `word` by edit distance, if it is near enough to be a likely
 * misspelling.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Damerau-Levenshtein distance (with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  for (let i = 0; i < rows; i++) d[i][0] = i;
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
