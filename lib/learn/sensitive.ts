/**
 * Sensitive paths: accesses learning never allows silently (credentials, keys, shadow files,
 * other users' homes, process and kernel memory, raw devices). Each becomes a commented-out rule
 * with a warning, and no glob learnt may cover one of these places.
 *
 * @module
 */
import { matches } from "./glob.ts";

/** A sensitive place: a pattern (absolute, or under `~/` for the user's home) and why. */
interface Place {
  pattern: string;
  why: string;
}

const PLACES: readonly Place[] = [
  { pattern: "/etc/shadow", why: "password hashes" },
  { pattern: "/etc/shadow-", why: "password hashes" },
  { pattern: "/etc/gshadow", why: "group password hashes" },
  { pattern: "/etc/gshadow-", why: "group password hashes" },
  { pattern: "/etc/sudoers", why: "sudo's rules" },
  { pattern: "/etc/sudoers.d/***", why: "sudo's rules" },
  { pattern: "/etc/ssh/ssh_host_*_key", why: "an SSH host key" },
  { pattern: "/etc/ssl/private/***", why: "TLS private keys" },
  { pattern: "/etc/security/opasswd", why: "old password hashes" },
  { pattern: "/var/lib/sss/***", why: "cached credentials" },
  { pattern: "/proc/*/mem", why: "a process's memory" },
  { pattern: "/proc/*/environ", why: "a process's environment (secrets)" },
  { pattern: "/proc/*/task/*/mem", why: "a thread's memory" },
  { pattern: "/proc/kcore", why: "kernel memory" },
  { pattern: "/proc/kallsyms", why: "kernel addresses" },
  { pattern: "/dev/mem", why: "physical memory" },
  { pattern: "/dev/kmem", why: "kernel memory" },
  { pattern: "/dev/port", why: "I/O ports" },
  { pattern: "/dev/sd*", why: "a raw disk" },
  { pattern: "/dev/hd*", why: "a raw disk" },
  { pattern: "/dev/vd*", why: "a raw disk" },
  { pattern: "/dev/xvd*", why: "a raw disk" },
  { pattern: "/dev/nvme*", why: "a raw disk" },
  { pattern: "/dev/mmcblk*", why: "a raw disk" },
  { pattern: "/dev/loop*", why: "a raw block device" },
  { pattern: "/dev/dm-*", why: "a raw block device" },
  { pattern: "/dev/md*", why: "a raw block device" },
  { pattern: "/dev/sg*", why: "a raw SCSI device" },
  { pattern: "/dev/mtd*", why: "raw flash" },
  { pattern: "/dev/mapper/***", why: "raw block devices" },
  { pattern: "/dev/disk/***", why: "raw block devices" },
  { pattern: "/dev/bus/***", why: "raw USB devices" },
  { pattern: "/dev/cpu/***", why: "CPU MSRs" },
  { pattern: "~/.ssh/***", why: "SSH keys" },
  { pattern: "~/.gnupg/***", why: "GnuPG keys" },
  { pattern: "~/.aws/***", why: "cloud credentials" },
  { pattern: "~/.azure/***", why: "cloud credentials" },
  { pattern: "~/.config/gcloud/***", why: "cloud credentials" },
  { pattern: "~/.kube/***", why: "cluster credentials" },
  { pattern: "~/.docker/config.json", why: "registry credentials" },
  { pattern: "~/.netrc", why: "login credentials" },
  { pattern: "~/.pgpass", why: "database passwords" },
  { pattern: "~/.git-credentials", why: "git credentials" },
  { pattern: "~/.config/gh/***", why: "GitHub tokens" },
  { pattern: "~/.password-store/***", why: "passwords" },
  { pattern: "~/.local/share/keyrings/***", why: "keyrings" },
  { pattern: "~/.mozilla/***", why: "browser profiles (cookies, passwords)" },
  { pattern: "~/.config/google-chrome/***", why: "browser profiles (cookies, passwords)" },
  { pattern: "~/.config/chromium/***", why: "browser profiles (cookies, passwords)" },
  { pattern: "/**/id_rsa", why: "an SSH private key" },
  { pattern: "/**/id_dsa", why: "an SSH private key" },
  { pattern: "/**/id_ecdsa", why: "an SSH private key" },
  { pattern: "/**/id_ed25519", why: "an SSH private key" },
  { pattern: "/**/*.key", why: "a private key" },
];

/** Whose home is whose: the user's own, and where other users' homes are. */
export interface HomeInfo {
  /** The user's home (canonical), or undefined. */
  home?: string;
}

function placesFor(info: HomeInfo): { pattern: string; why: string }[] {
  const out: { pattern: string; why: string }[] = [];
  for (const place of PLACES) {
    if (!place.pattern.startsWith("~/")) out.push(place);
    else {
      // Every home's secret places: the user's own and other users'.
      out.push({ pattern: `/home/*/${place.pattern.slice(2)}`, why: place.why });
      out.push({ pattern: `/root/${place.pattern.slice(2)}`, why: place.why });
      if (info.home !== undefined && info.home !== "/") {
        out.push({ pattern: `${escapeGlob(info.home)}/${place.pattern.slice(2)}`, why: place.why });
      }
    }
  }
  return out;
}

/** `path` with the glob characters escaped, to be matched literally. */
export function escapeGlob(path: string): string {
  return path.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Another user's home: /home/NAME or /root, when it is not the user's own. */
function otherHome(path: string, info: HomeInfo): string | undefined {
  const m = /^(\/home\/[^/]+|\/root)(\/|$)/.exec(path);
  if (m === null) return undefined;
  const home = m[1];
  if (info.home !== undefined && (home === info.home || info.home.startsWith(`${home}/`))) {
    return undefined;
  }
  return home;
}

/** Why an access of `path` is sensitive, or undefined when it is not. */
export function sensitiveReason(path: string, info: HomeInfo): string | undefined {
  for (const place of placesFor(info)) {
    if (matches(place.pattern, path)) return place.why;
  }
  const home = otherHome(path, info);
  if (home !== undefined) return `another user's home (${home})`;
  return undefined;
}

/**
 * Whether `dir/***` may hold a sensitive place (a glob there would allow it silently). Checks
 * the places whose directories lie at or below `dir`, and other users' homes.
 */
export function mayHoldSensitive(dir: string, info: HomeInfo): boolean {
  if (dir === "/" || dir === "/home") return true;
  if (otherHome(`${dir}/x`, info) !== undefined) return true;
  for (const place of placesFor(info)) {
    // Key files by name (id_rsa, *.key) are caught when accessed; they would forbid every glob.
    if (place.pattern.startsWith("/**/")) continue;
    // The place's literal head: if it lies below dir, dir/*** holds it.
    const head = place.pattern.replace(/[*?[].*$/, "");
    if (head.startsWith(`${dir}/`)) return true;
    // A place whose directory matches dir (/proc/*/mem for /proc/123).
    const slash = place.pattern.lastIndexOf("/");
    if (slash > 0 && matches(place.pattern.slice(0, slash), dir)) return true;
    if (matches(place.pattern, dir)) return true;
  }
  return false;
}
