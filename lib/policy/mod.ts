/**
 * Policies: what a sandbox allows, compiled into the versioned JSON document libsyd.so loads.
 *
 * Today only the `off` profile is understood (every category off); the command language,
 * files and the other profiles arrive with their issue and are refused until then.
 *
 * @module
 */

/** Every sandbox category, as the original syd names them. */
export const CATEGORIES = [
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
  "net/bind",
  "net/connect",
  "net/sendfd",
] as const;

/** The emulator pool's settings. */
export interface PoolSettings {
  core: number;
  max: number;
  keep_alive_ms: number;
}

/** The document libsyd.so loads (version 1). */
export interface CompiledPolicy {
  version: 1;
  log_level: string;
  pool: PoolSettings;
  categories: { name: string; on: boolean; default: string }[];
}

/** A profile or command that syd cannot apply yet. */
export class PolicyUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyUnsupportedError";
  }
}

/**
 * Compiles profiles into a policy document. With no profile every category is on and denies,
 * as in the original syd.
 *
 * @example
 * ```ts
 * compile(["off"], { logLevel: "warn", pool: { core: 2, max: 64, keep_alive_ms: 15000 } });
 * ```
 */
export function compile(
  profiles: readonly string[],
  options: { logLevel: string; pool: PoolSettings },
): CompiledPolicy {
  let on = true;
  for (const profile of profiles) {
    if (profile !== "off") throw new PolicyUnsupportedError(`-p ${profile}: not supported yet`);
    on = false;
  }
  return {
    version: 1,
    log_level: options.logLevel,
    pool: options.pool,
    categories: CATEGORIES.map((name) => ({ name, on, default: "deny" })),
  };
}
