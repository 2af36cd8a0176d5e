/**
 * Sets of integers as sorted, disjoint, inclusive ranges: the fds of `passfd` and the ports of
 * `allow/lock/bind` and `connect`.
 *
 * @module
 */

/** Sorted, disjoint, inclusive ranges. */
export type Ranges = [number, number][];

/**
 * Sorted, disjoint ranges covering the same numbers as `ranges` (adjacent ones merged).
 *
 * @example
 * ```ts
 * normalizeRanges([[5, 9], [0, 2], [3, 3]]); // [[0, 3], [5, 9]]
 * ```
 */
export function normalizeRanges(ranges: Ranges): Ranges {
  const out: Ranges = [];
  for (const [lo, hi] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/**
 * `set` without the numbers of `minus` (a new array; `set` is left as it is).
 *
 * @example
 * ```ts
 * subtractRanges([[0, 65535]], [[80, 80]]); // [[0, 79], [81, 65535]]
 * ```
 */
export function subtractRanges(set: Ranges, minus: Ranges): Ranges {
  let kept: Ranges = set.map(([a, b]) => [a, b]);
  for (const [lo, hi] of minus) {
    kept = kept.flatMap(([a, b]): Ranges => {
      if (hi < a || lo > b) return [[a, b]];
      const parts: Ranges = [];
      if (a < lo) parts.push([a, lo - 1]);
      if (hi < b) parts.push([hi + 1, b]);
      return parts;
    });
  }
  return kept;
}
