/**
 * Generates the table of ioctl(2) request names syd accepts (`allow/ioctl+NAME`,
 * `deny/ioctl+NAME`) and logs: every request the Linux UAPI headers Zig ships define with the
 * `_IO*` macros (or as a plain number in the tty, socket, console and VT headers), evaluated for
 * x86_64 by compiling one small C program per header.
 *
 *   .toolchain/bin/deno run -A tools/gen_ioctl_names.ts
 *
 * Writes lib/policy/ioctl_names.ts and ffi/judge/ioctl_names.zig. A request whose size field (or
 * number) takes an argument (`EVIOCGNAME(len)`, `SPI_IOC_MESSAGE(N)`, `EVIOCGABS(abs)`), or whose
 * argument is an extensible structure (`PIDFD_GET_INFO`), gets a mask of the bits that vary: a
 * rule for it matches every size. Headers that do not compile alone are left out (listed on
 * stderr).
 *
 * @module
 */

const root = new URL("..", import.meta.url).pathname;
const zigLib = await (async () => {
  const zig = await Deno.realPath(`${root}.toolchain/bin/zig`);
  const out = await new Deno.Command(zig, { args: ["env"] }).output();
  const env = JSON.parse(new TextDecoder().decode(out.stdout));
  return env.lib_dir as string;
})();
const include = `${zigLib}/libc/include`;
const dirs = [`${include}/x86-linux-any`, `${include}/any-linux-any`];

/** Headers whose requests are plain numbers (no `_IO*` macro), with the names taken from them. */
const NUMERIC: Record<string, RegExp> = {
  "asm-generic/ioctls.h": /^(TC|TIOC|FIO)/,
  "linux/sockios.h": /^(SIOC|FIO)/,
  "asm-generic/sockios.h": /^(SIOC|FIO)/,
  "linux/kd.h": /^(KD|PIO_|GIO_)/,
  "linux/vt.h": /^VT_/,
  "linux/fd.h": /^FD/,
  "linux/cdrom.h": /^CDROM/,
};

/**
 * Extensible-argument requests (the kernel accepts any size of their structure, or of the array
 * they carry) and the bits of them that vary: the size field, and for ADDFD the direction too.
 */
const EXTENSIBLE: Record<string, number> = {
  PIDFD_GET_INFO: 0x3fff0000,
  SECCOMP_IOCTL_NOTIF_ADDFD: 0xffff0000,
  NS_MNT_GET_INFO: 0x3fff0000,
  NS_MNT_GET_NEXT: 0x3fff0000,
  NS_MNT_GET_PREV: 0x3fff0000,
  FS_IOC_GETLBMD_CAP: 0x3fff0000,
  EVIOCSFF: 0x3fff0000,
  JSIOCGAXMAP: 0x3fff0000,
  JSIOCGBTNMAP: 0x3fff0000,
  JSIOCSAXMAP: 0x3fff0000,
  JSIOCSBTNMAP: 0x3fff0000,
  UI_ABS_SETUP: 0x3fff0000,
};
const SIZE_MASK = 0x3fff0000;

/**
 * Requests the original's default lists name that the UAPI headers Zig ships do not define
 * (XFS's and OCFS2's own headers, fs/ioctl.c's struct space_resv, newer kernels), as
 * `[name, direction, type, number, size]` of the kernel's `_IOC` (direction: 0 none, 1 write,
 * 2 read, 3 both), with the mask of bits that vary.
 */
const SUPPLEMENT: [string, number, number, number, number, number][] = [
  ["FS_IOC_SHUTDOWN", 2, 0x58, 125, 4, 0],
  ["FS_IOC_FIEMAP", 3, 0x66, 11, 32, 0],
  ["FS_IOC_RESVSP", 1, 0x58, 40, 48, 0],
  ["FS_IOC_UNRESVSP", 1, 0x58, 41, 48, 0],
  ["FS_IOC_RESVSP64", 1, 0x58, 42, 48, 0],
  ["FS_IOC_UNRESVSP64", 1, 0x58, 43, 48, 0],
  ["FS_IOC_ZERO_RANGE", 1, 0x58, 57, 48, 0],
  // The 32-bit layout of struct space_resv (no padding before l_start): 44 bytes.
  ["FS_IOC_RESVSP_32", 1, 0x58, 40, 44, 0],
  ["FS_IOC_UNRESVSP_32", 1, 0x58, 41, 44, 0],
  ["FS_IOC_RESVSP64_32", 1, 0x58, 42, 44, 0],
  ["FS_IOC_UNRESVSP64_32", 1, 0x58, 43, 44, 0],
  ["FS_IOC_ZERO_RANGE_32", 1, 0x58, 57, 44, 0],
  ["XFS_IOC_GETBMAP", 3, 0x58, 38, 32, 0],
  ["XFS_IOC_GETBMAPA", 3, 0x58, 44, 32, 0],
  ["XFS_IOC_GETBMAPX", 3, 0x58, 56, 32, 0],
  ["XFS_IOC_FSGEOMETRY_V1", 2, 0x58, 100, 112, 0],
  ["XFS_IOC_FSGEOMETRY_V4", 2, 0x58, 124, 112, 0],
  ["XFS_IOC_FSGEOMETRY", 2, 0x58, 126, 256, 0],
  ["XFS_IOC_AG_GEOMETRY", 3, 0x58, 61, 128, 0],
  ["XFS_IOC_GETPARENTS", 3, 0x58, 62, 40, 0],
  ["XFS_IOC_GETPARENTS_BY_HANDLE", 3, 0x58, 63, 64, 0],
  ["XFS_IOC_PATH_TO_FSHANDLE", 3, 0x58, 104, 56, 0],
  ["XFS_IOC_PATH_TO_HANDLE", 3, 0x58, 105, 56, 0],
  ["XFS_IOC_FD_TO_HANDLE", 3, 0x58, 106, 56, 0],
  ["XFS_IOC_SWAPEXT", 3, 0x58, 109, 192, 0],
  ["XFS_IOC_EXCHANGE_RANGE", 1, 0x58, 129, 40, 0],
  ["XFS_IOC_START_COMMIT", 2, 0x58, 130, 88, 0],
  ["XFS_IOC_COMMIT_RANGE", 1, 0x58, 131, 88, 0],
  ["OCFS2_IOC_REFLINK", 1, 0x6f, 4, 24, 0],
  ["KCOV_RESET_TRACE", 0, 0x63, 104, 0, 0],
  ["SIOCADDTUNNEL", 0, 0x89, 0xf1, 0, 0],
  ["SIOCDELTUNNEL", 0, 0x89, 0xf2, 0, 0],
  ["SIOCCHGTUNNEL", 0, 0x89, 0xf3, 0, 0],
  // Extensible argument (any size, either direction).
  ["DRM_IOCTL_GEM_CHANGE_HANDLE", 0, 0x64, 0xd2, 0, 0xffff0000],
];
/** Arguments of function-like request macros: a size (`len`, `N`) or a number offset. */
const SIZE_PARAMS = new Set(["len", "size", "n", "N", "num"]);
/** Number-offset arguments and their bit widths (EV_MAX is 0x1f, ABS_MAX 0x3f). */
const NR_PARAMS: Record<string, number> = { abs: 6, ev: 5, idx: 6 };
/** Preludes tried in turn: the ioctl macros alone, then common structures from libc too. */
const PRELUDES = [
  ["<linux/types.h>", "<linux/ioctl.h>", "<asm/termbits.h>"],
  ["<sys/types.h>", "<sys/socket.h>", "<sys/time.h>", "<linux/types.h>", "<linux/ioctl.h>"],
];

async function headers(): Promise<string[]> {
  const out: string[] = [];
  for (const base of dirs) {
    const walk = async (dir: string) => {
      for await (const entry of Deno.readDir(`${base}/${dir}`)) {
        const rel = dir ? `${dir}/${entry.name}` : entry.name;
        if (entry.isDirectory) await walk(rel);
        else if (entry.name.endsWith(".h")) out.push(rel);
      }
    };
    await walk("");
  }
  return [...new Set(out)].filter((h) => !h.startsWith("asm/unistd")).sort();
}

interface Found {
  name: string;
  params: string[];
}

function scan(header: string, text: string): Found[] {
  const found: Found[] = [];
  const joined = text.replace(/\\\n/g, " ");
  const re = /^\s*#\s*define\s+([A-Z][A-Z0-9_]*)(\(([^)]*)\))?[ \t]+(.*)$/gm;
  for (const m of joined.matchAll(re)) {
    const [, name, , paramText, body] = m;
    const params = paramText === undefined ? [] : paramText.split(",").map((p) => p.trim());
    const macro = /\b[A-Z0-9_]*_IO(?:R|W|WR|C)?\s*\(/.test(body) && !/^_IO/.test(name);
    // A plain number, or another request's name (TIOCINQ is FIONREAD).
    const numeric = NUMERIC[header]?.test(name) && params.length === 0 &&
      /^(\(?\s*0x[0-9A-Fa-f]{3,8}\s*\)?|[A-Z][A-Z0-9_]*)\s*(\/\*.*)?$/.test(body.trim());
    if (!macro && !numeric) continue;
    if (params.some((p) => !SIZE_PARAMS.has(p) && !Object.hasOwn(NR_PARAMS, p))) continue;
    found.push({ name, params });
  }
  return found;
}

function call(f: Found, values: number[]): string {
  return f.params.length === 0 ? f.name : `${f.name}(${values.join(",")})`;
}

/** The C expressions printed for one request: its value at zero arguments, then one per varying bit. */
function probes(f: Found): string[] {
  const zero = f.params.map(() => 0);
  const out = [call(f, zero)];
  f.params.forEach((p, i) => {
    const bits = SIZE_PARAMS.has(p) ? 14 : NR_PARAMS[p];
    for (let b = 0; b < bits; b++) {
      const v = [...zero];
      v[i] = 1 << b;
      out.push(call(f, v));
    }
  });
  return out;
}

async function evaluate(
  header: string,
  found: Found[],
  prelude: string[],
): Promise<Map<string, [number, number]>> {
  const lines = [
    "#include <stdio.h>",
    ...prelude.map((h) => `#include ${h}`),
    `#include <${header}>`,
    "int main(void) {",
  ];
  for (const f of found) {
    for (const p of probes(f)) {
      lines.push(`  printf("%s %lu\\n", "${f.name}", (unsigned long)(${p}));`);
    }
  }
  lines.push("  return 0;", "}");
  const dir = await Deno.makeTempDir({ prefix: "ioctl-gen-" });
  try {
    await Deno.writeTextFile(`${dir}/p.c`, lines.join("\n"));
    const args = [...dirs.flatMap((d) => ["-I", d]), "-w", "-o", `${dir}/p`, `${dir}/p.c`];
    const cc = await new Deno.Command("gcc", { args, stderr: "null", stdout: "null" }).output();
    if (!cc.success) return new Map();
    const run = await new Deno.Command(`${dir}/p`, { stderr: "null" }).output();
    const values = new Map<string, number[]>();
    for (const line of new TextDecoder().decode(run.stdout).split("\n")) {
      if (!line) continue;
      const [name, value] = line.split(" ");
      values.set(name, [...(values.get(name) ?? []), Number(value) >>> 0]);
    }
    const out = new Map<string, [number, number]>();
    for (const [name, [base, ...varied]] of values) {
      let mask = 0;
      for (const v of varied) mask |= (v ^ base) >>> 0;
      const f = found.find((x) => x.name === name);
      if (f?.params.some((p) => SIZE_PARAMS.has(p))) mask |= SIZE_MASK;
      mask |= EXTENSIBLE[name] ?? 0;
      mask >>>= 0;
      out.set(name, [(base & ~mask) >>> 0, mask]);
    }
    return out;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const table = new Map<string, [number, number]>();
const failed: string[] = [];
for (const header of await headers()) {
  const path = dirs.map((d) => `${d}/${header}`).find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  if (!path) continue;
  const found = scan(header, await Deno.readTextFile(path));
  if (found.length === 0) continue;
  let values = new Map<string, [number, number]>();
  for (const prelude of PRELUDES) {
    if (values.size === 0) values = await evaluate(header, found, prelude);
  }
  if (values.size === 0) {
    // One request that does not compile (a structure from another header) loses only itself.
    for (const f of found) {
      for (const [k, v] of await evaluate(header, [f], PRELUDES[0])) values.set(k, v);
    }
    if (values.size === 0) failed.push(header);
  }
  for (const [name, value] of values) if (!table.has(name)) table.set(name, value);
}
for (const [name, dir, type, nr, size, mask] of SUPPLEMENT) {
  const value = ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
  if (!table.has(name)) table.set(name, [(value & ~mask) >>> 0, mask >>> 0]);
}
const rows = [...table].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const hex = (n: number) => `0x${n.toString(16)}`;

const ts = [
  "/**",
  " * ioctl(2) request names and their x86_64 numbers, from the Linux UAPI headers Zig ships, one",
  " * per line: `NAME REQUEST MASK` (hexadecimal), sorted by name; a nonzero mask marks the bits",
  " * (size, or a number offset) that vary for one name. Generated by tools/gen_ioctl_names.ts: do",
  " * not edit.",
  " *",
  " * One string rather than an array: V8 takes it as it is, where an array of 3,000 entries cost",
  " * 7 ms of every start-up to build (lib/policy/ioctl.ts reads it).",
  " *",
  " * @module",
  " */",
  "",
  "/** Every request name syd knows, sorted; the text starts and ends with a newline. */",
  "export const IOCTL_TABLE = `",
  ...rows.map(([n, [v, m]]) => `${n} ${v.toString(16)} ${m.toString(16)}`),
  "`;",
  "",
].join("\n");
await Deno.writeTextFile(`${root}lib/policy/ioctl_names.ts`, ts);

const zig = [
  "//! ioctl(2) request names and their x86_64 numbers (`mask`: the bits that vary for one name),",
  "//! sorted by name, for records. Generated by tools/gen_ioctl_names.ts from the Linux UAPI",
  "//! headers Zig ships: do not edit.",
  "",
  "pub const Entry = struct { name: []const u8, request: u32, mask: u32 };",
  "",
  "pub const entries = [_]Entry{",
  ...rows.map(([n, [v, m]]) => `    .{ .name = "${n}", .request = ${hex(v)}, .mask = ${hex(m)} },`),
  "};",
  "",
].join("\n");
await Deno.writeTextFile(`${root}ffi/judge/ioctl_names.zig`, zig);
console.error(`${rows.length} names; headers left out: ${failed.join(" ") || "none"}`);
