/**
 * `syd sum [-a ALGORITHM] FILE...`: the `force+` line that lets each file run under Force
 * sandboxing (the original's syd-sum(1) and syd-path(1) in one): its canonical path, the
 * algorithm (blake3 unless `-a`, the original's preferred one) and the digest, which libsyd
 * computes (ffi/exec/force.zig, through lib/native.ts `hashFile`: streaming, every algorithm;
 * WebCrypto would read the whole file into memory and has four of them). `-a list` lists the
 * algorithms with their digest sizes; `-` (or no file) hashes standard input.
 *
 * @module
 */
import { hashFile } from "./native.ts";
import {
  FORCE_ALGORITHMS,
  FORCE_UNSUPPORTED_ALGORITHMS,
  forceLine,
  isForceAlgorithm,
} from "./policy/force.ts";

/** What `syd sum` writes and its exit status. */
export interface SumOutput {
  stdout: string;
  stderr: string;
  status: number;
}

const USAGE = "usage: syd sum [-a ALGORITHM] FILE... (-a list: the algorithms)\n";

/** Runs `syd sum` with `args` (after `sum`). */
export function sum(args: readonly string[]): SumOutput {
  let alg = "blake3";
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-h" || arg === "--help") return { stdout: USAGE, stderr: "", status: 0 };
    if (arg === "-a") {
      if (i + 1 >= args.length) return { stdout: "", stderr: USAGE, status: 22 };
      alg = args[++i];
    } else if (arg.startsWith("-a") && arg.length > 2) {
      alg = arg.slice(2);
    } else if (arg === "--") {
      files.push(...args.slice(i + 1));
      break;
    } else files.push(arg);
  }
  if (alg === "list") {
    const lines = Object.entries(FORCE_ALGORITHMS).map(([name, size]) =>
      `${name.padEnd(12)} ${size}\n`
    );
    return { stdout: lines.join(""), stderr: "", status: 0 };
  }
  if (!isForceAlgorithm(alg)) {
    const why = (FORCE_UNSUPPORTED_ALGORITHMS as readonly string[]).includes(alg)
      ? "is not supported by this syd"
      : "is not an algorithm";
    return {
      stdout: "",
      stderr: `syd sum: "${alg}" ${why} (syd sum -a list)\n`,
      status: 95,
    };
  }
  if (files.length === 0) files.push("-");
  let stdout = "";
  let stderr = "";
  let status = 0;
  for (const file of files) {
    try {
      const path = file === "-" ? "/dev/stdin" : Deno.realPathSync(file);
      const hex = [...hashFile(alg, path)].map((b) => b.toString(16).padStart(2, "0")).join("");
      stdout += file === "-" ? `${hex}\n` : `${forceLine(path, alg, hex)}\n`;
    } catch (err) {
      stderr += `syd sum: ${file}: ${err instanceof Error ? err.message : String(err)}\n`;
      status = 1;
    }
  }
  return { stdout, stderr, status };
}
