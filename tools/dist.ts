/**
 * `deno task dist`: makes `dist/syd`, one executable file holding everything syd needs: the
 * launcher (`tools/dist/launcher.zig`, static), then Deno's runtime, syd's program bundled into
 * one JavaScript file, and libsyd.so, each gzip-compressed, then a text manifest (each file's
 * place, size, SHA-256 and mode) and a 32-byte trailer pointing at the manifest.
 *
 * Run after `zig build` and `zig build launcher` (the task does both). `deno run -A
 * tools/dist.ts [OUT]` writes OUT (default `dist/syd`).
 *
 * @module
 */

const MAGIC = new TextEncoder().encode("syd-dist-v1\0\0\0\0\0");

/** One file of the payload, as the manifest describes it. */
export interface DistFile {
  /** Its name in the unpacked directory. */
  name: string;
  /** Its content. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Mode of the unpacked copy: 0o500 (run) or 0o400 (read). */
  mode: 0o500 | 0o400;
}

/** The hexadecimal SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Lays out the file: launcher, compressed payload, manifest, trailer. `info` is what `syd -V`
 * prints as its build line. Returns the file's bytes.
 */
export async function layout(
  launcher: Uint8Array,
  files: DistFile[],
  info: string,
): Promise<Uint8Array> {
  const printable = [...info].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f);
  if (!printable || info.length > 512) throw new Error("bad info line");
  const parts: Uint8Array[] = [launcher];
  let offset = launcher.length;
  const lines: string[] = [];
  for (const file of files) {
    const stored = await gzip(file.bytes);
    const hash = await sha256Hex(file.bytes);
    lines.push(
      `file ${file.name} ${offset} ${stored.length} ${file.bytes.length} ${hash} gzip ${
        file.mode.toString(8)
      }`,
    );
    parts.push(stored);
    offset += stored.length;
  }
  const infoLine = `info ${info}`;
  // The directory the copy is unpacked to is named by what it holds (and how it was made).
  const id = await sha256Hex(new TextEncoder().encode([infoLine, ...lines].join("\n")));
  const manifest = new TextEncoder().encode(
    ["syd-dist 1", `id ${id}`, infoLine, ...lines].join("\n") + "\n",
  );
  parts.push(manifest);
  const trailer = new Uint8Array(MAGIC.length + 16);
  trailer.set(MAGIC);
  const view = new DataView(trailer.buffer);
  view.setBigUint64(MAGIC.length, BigInt(offset), true);
  view.setBigUint64(MAGIC.length + 8, BigInt(manifest.length), true);
  parts.push(trailer);
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function run(args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(args[0], {
    args: args.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`${args.join(" ")} failed (${code}): ${new TextDecoder().decode(stderr)}`);
  }
  return new TextDecoder().decode(stdout).trim();
}

async function commit(top: string): Promise<string> {
  try {
    const head = await run(["git", "-C", top, "rev-parse", "--short=12", "HEAD"]);
    const dirty = await run(["git", "-C", top, "status", "--porcelain", "--untracked-files=no"]);
    return dirty === "" ? head : `${head} with uncommitted changes`;
  } catch {
    return "unknown (not a git checkout)";
  }
}

async function main(): Promise<void> {
  const top = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const out = Deno.args[0] ?? `${top}/dist/syd`;
  const deno = Deno.realPathSync(`${top}/.toolchain/bin/deno`);
  const work = Deno.makeTempDirSync({ prefix: "syd-dist-" });
  try {
    const bundle = `${work}/syd.js`;
    await run([
      deno,
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "--packages",
      "bundle",
      "--config",
      `${top}/deno.json`,
      "-o",
      bundle,
      `${top}/main.ts`,
    ]);
    const version = (await run([deno, "--version"])).split("\n")[0].split(" ")[1];
    const info = `one file, made by deno task dist from commit ${await commit(top)} ` +
      `(launcher + Deno ${version} + bundled syd.js + libsyd.so)`;
    const bytes = await layout(Deno.readFileSync(`${top}/zig-out/bin/syd-launcher`), [
      { name: "deno", bytes: Deno.readFileSync(deno), mode: 0o500 },
      { name: "syd.js", bytes: Deno.readFileSync(bundle), mode: 0o400 },
      { name: "libsyd.so", bytes: Deno.readFileSync(`${top}/zig-out/lib/libsyd.so`), mode: 0o400 },
    ], info);
    Deno.mkdirSync(out.replace(/\/[^/]*$/, "") || ".", { recursive: true });
    const tmp = `${out}.tmp-${Deno.pid}`;
    Deno.writeFileSync(tmp, bytes, { mode: 0o755 });
    Deno.chmodSync(tmp, 0o755);
    Deno.renameSync(tmp, out);
    console.log(`dist: wrote ${out} (${(bytes.length / 2 ** 20).toFixed(1)} MiB): ${info}`);
  } finally {
    Deno.removeSync(work, { recursive: true });
  }
}

if (import.meta.main) await main();
