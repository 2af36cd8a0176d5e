/**
 * `syd --check` (`-C`): what this system offers a sandbox, one fact a line, after the version
 * lines of `syd -V`; as the original's `--check`, read from /proc and /sys, printed, exit 0.
 * A fact that cannot be read says so (`unknown (...)`) instead of failing.
 *
 * @module
 */

/** Reads a small text file, trimmed; undefined when it cannot be read. */
function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch {
    return undefined;
  }
}

function unknown(path: string): string {
  return `unknown (${path} cannot be read)`;
}

const ASLR: Readonly<Record<string, string>> = {
  "0": "disabled",
  "1": "enabled (stack, mmap, VDSO; PIE text randomized)",
  "2": "enabled (heap too)",
};

const YAMA: Readonly<Record<string, string>> = {
  "0": "0 (classic ptrace permissions)",
  "1": "1 (restricted: descendants only)",
  "2": "2 (admin only)",
  "3": "3 (no attach)",
};

/** The "Max open files" soft and hard limits of this process, from /proc/self/limits. */
function openFileLimits(): string {
  const limits = readText("/proc/self/limits");
  const line = limits?.split("\n").find((l) => l.startsWith("Max open files"));
  const fields = line?.slice("Max open files".length).trim().split(/\s+/);
  if (fields === undefined || fields.length < 2) return unknown("/proc/self/limits");
  return `${fields[0]} soft, ${fields[1]} hard`;
}

/** The lines `syd --check` prints after the version lines. */
export function systemLines(): string[] {
  const lines: string[] = [];
  const taint = readText("/proc/sys/kernel/tainted");
  lines.push(
    `kernel taint: ${
      taint === undefined
        ? unknown("/proc/sys/kernel/tainted")
        : taint === "0"
        ? "not tainted (0)"
        : `tainted (${taint})`
    }`,
  );
  const aslr = readText("/proc/sys/kernel/randomize_va_space");
  lines.push(
    `ASLR: ${
      aslr === undefined
        ? unknown("/proc/sys/kernel/randomize_va_space")
        : ASLR[aslr] ?? `unknown value ${aslr}`
    }`,
  );
  const yama = readText("/proc/sys/kernel/yama/ptrace_scope");
  lines.push(
    `YAMA ptrace scope: ${yama === undefined ? "not available" : YAMA[yama] ?? yama}`,
  );
  const userns = readText("/proc/sys/user/max_user_namespaces");
  const cloneAllowed = readText("/proc/sys/kernel/unprivileged_userns_clone");
  const usernsText = userns === undefined
    ? "not supported (/proc/sys/user/max_user_namespaces is missing)"
    : userns === "0"
    ? "disabled (user.max_user_namespaces = 0)"
    : cloneAllowed === "0"
    ? "root only (kernel.unprivileged_userns_clone = 0)"
    : `supported (at most ${userns})`;
  lines.push(`user namespaces: ${usernsText}`);
  const lsm = readText("/sys/kernel/security/lsm");
  lines.push(`LSMs: ${lsm === undefined ? unknown("/sys/kernel/security/lsm") : lsm}`);
  const nrOpen = readText("/proc/sys/fs/nr_open") ?? "?";
  const fileMax = readText("/proc/sys/fs/file-max") ?? "?";
  lines.push(`open file limits: ${openFileLimits()}, ${nrOpen} nr_open, ${fileMax} file-max`);
  const pidMax = readText("/proc/sys/kernel/pid_max");
  lines.push(`pid_max: ${pidMax ?? unknown("/proc/sys/kernel/pid_max")}`);
  const mmapMin = readText("/proc/sys/vm/mmap_min_addr");
  lines.push(`mmap_min_addr: ${mmapMin ?? unknown("/proc/sys/vm/mmap_min_addr")}`);
  lines.push(`CPUs: ${navigator.hardwareConcurrency || 1}`);
  return lines;
}
