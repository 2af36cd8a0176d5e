/** syd's version, kept equal to deno.json's by a test. */
export const VERSION = "0.1.0";
/** The original syd's API version, printed by `syd --api`. */
export const API = 3;

/**
 * How this syd was made, for `syd -V`: the one-file `dist/syd` says so itself (its launcher sets
 * `SYD_DIST` to the line `deno task dist` wrote, with the commit); `deno compile`'s binary runs
 * from Deno's embedded file system; otherwise syd runs from its source tree.
 *
 * @example
 * ```ts
 * buildInfo({ SYD_DIST: "one file, made by deno task dist from commit 0123abc" }, "file:///x.ts");
 * // "one file, made by deno task dist from commit 0123abc"
 * ```
 */
export function buildInfo(
  env: Record<string, string | undefined> = { SYD_DIST: Deno.env.get("SYD_DIST") },
  url: string = import.meta.url,
): string {
  if (env.SYD_DIST) return env.SYD_DIST;
  if (url.includes("/deno-compile-")) return "deno compile (denort, libsyd.so embedded)";
  return "source tree (./syd: deno run of main.ts)";
}
