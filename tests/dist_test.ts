/**
 * End-to-end tests of the one-file `syd` (`deno task dist`, tools/dist.ts and
 * tools/dist/launcher.zig): made once here, copied alone into an empty directory elsewhere, and
 * run with a clean environment (`env -i PATH=/usr/bin:/bin`, HOME a fresh directory), as root and
 * as nobody, against `./syd`; two users at once; damaged unpacked copies and a damaged file.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { nobodyProblem, ROOT, run, SYD } from "./_syd.ts";

const DENO = `${ROOT}.toolchain/bin/deno`;
const ZIG = `${ROOT}.toolchain/bin/zig`;

/** A temp dir every user can search (the tests run the file as nobody too). */
function openDir(prefix: string): string {
  const dir = Deno.makeTempDirSync({ prefix });
  Deno.chmodSync(dir, 0o755);
  return dir;
}

/** Makes the one file once for this test file: `{ dir, file }`, `file` alone in `dir`. */
const made = (async () => {
  const build = await run(ZIG, ["build", "launcher"], { cwd: ROOT });
  assert.equal(build.code, 0, build.stderr);
  const work = openDir("syd-dist-make-");
  const out = await run(DENO, ["run", "-A", `${ROOT}tools/dist.ts`, `${work}/syd`], { cwd: ROOT });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /dist: wrote .*\/syd \([0-9.]+ MiB\)/);
  // Copied alone into an empty directory on another path.
  const dir = openDir("syd-dist-bin-");
  Deno.copyFileSync(`${work}/syd`, `${dir}/syd`);
  Deno.chmodSync(`${dir}/syd`, 0o755);
  Deno.removeSync(work, { recursive: true });
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["syd"]);
  return { dir, file: `${dir}/syd` };
})();

interface User {
  /** setpriv's arguments to become the user, or none for root. */
  become: string[];
  uid: number;
}
const ROOT_USER: User = { become: [], uid: 0 };
const NOBODY: User = {
  become: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
  uid: 65534,
};

/** A fresh HOME for `user`. */
function freshHome(user: User): string {
  const home = openDir("syd-dist-home-");
  if (user.uid !== 0) Deno.chownSync(home, user.uid, user.uid);
  Deno.chmodSync(home, 0o700);
  return home;
}

/** Runs `program args` as `user` with a clean environment (and `env`'s extra variables). */
async function clean(
  user: User,
  home: string,
  program: string,
  args: string[],
  cwd: string,
  env: string[] = [],
) {
  const argv = [...user.become, "env", "-i", "PATH=/usr/bin:/bin", `HOME=${home}`, ...env, program];
  return await run(argv[0], [...argv.slice(1), ...args], { cwd });
}

/** Output with what differs between two runs of the same thing (ids, pids, times) taken out. */
function normal(text: string): string {
  return text.replace(/"id":"[0-9a-f]{64}"/g, '"id":"ID"')
    .replace(/"time":"[^"]*"/g, '"time":"T"')
    .replace(/"(pid|ppid|tid)":\d+/g, '"$1":0')
    .replace(/^build: .*$/m, "build: B");
}

/** The cases the issue names: -V, -p user -- ls /, lint of a file, -- true. */
function cases(lintFile: string): { name: string; args: string[]; code?: number }[] {
  return [
    { name: "-V", args: ["-V"], code: 0 },
    { name: "-p user -- ls /", args: ["-p", "user", "--", "ls", "/"] },
    { name: "lint", args: ["lint", lintFile], code: 1 },
    { name: "-- true", args: ["--", "true"], code: 13 },
  ];
}

function lintFileIn(dir: string): string {
  const path = `${dir}/policy.syd-3`;
  Deno.writeTextFileSync(path, "sandbox/read:on\nallow/raed+/usr/***\n");
  Deno.chmodSync(path, 0o644);
  return path;
}

/** The unpacked copies under a HOME: the directories below `.cache/syd` (one per file made). */
function copiesUnder(home: string): string[] {
  try {
    return [...Deno.readDirSync(`${home}/.cache/syd`)].map((e) => `${home}/.cache/syd/${e.name}`);
  } catch {
    return [];
  }
}

Deno.test("the one file, copied alone and run with a clean environment as root, behaves as ./syd", async () => {
  const { dir, file } = await made;
  const home = freshHome(ROOT_USER);
  const work = openDir("syd-dist-cwd-");
  const lintFile = lintFileIn(work);
  try {
    for (const c of cases(lintFile)) {
      const one = await clean(ROOT_USER, home, file, c.args, work);
      const dev = await clean(ROOT_USER, home, SYD, c.args, work);
      if (c.code !== undefined) assert.equal(one.code, c.code, `${c.name}: ${one.stderr}`);
      assert.equal(one.code, dev.code, c.name);
      assert.equal(normal(one.stdout), normal(dev.stdout), c.name);
      assert.equal(normal(one.stderr), normal(dev.stderr), c.name);
    }
    const version = await clean(ROOT_USER, home, file, ["-V"], work);
    assert.match(version.stdout, /^build: one file, made by deno task dist from commit \S+/m);
    const dev = await clean(ROOT_USER, home, SYD, ["-V"], work);
    assert.match(dev.stdout, /^build: source tree/m);
    // One private copy, under the user's cache: mode 0700, the user's.
    const copies = copiesUnder(home);
    assert.equal(copies.length, 1);
    const st = Deno.statSync(copies[0]);
    assert.equal(st.mode! & 0o777, 0o700);
    assert.equal(st.uid, 0);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["syd"]);
  } finally {
    Deno.removeSync(home, { recursive: true });
    Deno.removeSync(work, { recursive: true });
  }
});

Deno.test("the one file runs as nobody, and two users starting it at once do not interfere", async () => {
  const { file } = await made;
  // The file is copied out of the tree: nobody needs only to reach the copy (a mode-0700 clone
  // of the project is no obstacle), but only root can become nobody.
  if (Deno.uid() !== 0) return;
  const rootHome = freshHome(ROOT_USER);
  const nobodyHome = freshHome(NOBODY);
  const work = openDir("syd-dist-cwd-");
  const lintFile = lintFileIn(work);
  try {
    // Both unpack at the same moment (each its first start).
    const [asRoot, asNobody] = await Promise.all([
      clean(ROOT_USER, rootHome, file, ["--", "true"], work),
      clean(NOBODY, nobodyHome, file, ["--", "true"], work),
    ]);
    assert.equal(asRoot.code, 13, asRoot.stderr);
    assert.equal(asNobody.code, 13, asNobody.stderr);
    for (const [home, uid] of [[rootHome, 0], [nobodyHome, 65534]] as const) {
      const copies = copiesUnder(home);
      assert.equal(copies.length, 1);
      const st = Deno.statSync(copies[0]);
      assert.equal(st.uid, uid);
      assert.equal(st.mode! & 0o777, 0o700);
    }
    for (const c of cases(lintFile)) {
      const one = await clean(NOBODY, nobodyHome, file, c.args, work);
      if (c.code !== undefined) assert.equal(one.code, c.code, `${c.name}: ${one.stderr}`);
      if (c.name === "-V") assert.match(one.stdout, /^build: one file/m);
      if (await nobodyProblem() === undefined) {
        const dev = await clean(NOBODY, nobodyHome, SYD, c.args, work);
        assert.equal(one.code, dev.code, c.name);
        assert.equal(normal(one.stdout), normal(dev.stdout), c.name);
        assert.equal(normal(one.stderr), normal(dev.stderr), c.name);
      }
    }
    const ls = await clean(NOBODY, nobodyHome, file, ["-p", "off", "--", "ls", "/"], work);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^usr$/m);
  } finally {
    for (const dir of [rootHome, nobodyHome, work]) Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("starts of one user at once share one unpacked copy", async () => {
  const { file } = await made;
  const home = freshHome(ROOT_USER);
  try {
    const outs = await Promise.all(
      [0, 1, 2].map(() => clean(ROOT_USER, home, file, ["-poff", "--", "true"], home)),
    );
    for (const out of outs) assert.equal(out.code, 0, out.stderr);
    const left = [...Deno.readDirSync(`${home}/.cache/syd`)].map((e) => e.name);
    assert.equal(left.length, 1, `left: ${left}`);
    assert.match(left[0], /^[0-9a-f]{64}$/);
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("a damaged unpacked copy is detected and replaced, never run", async () => {
  const { file } = await made;
  const home = freshHome(ROOT_USER);
  try {
    const first = await clean(ROOT_USER, home, file, ["-poff", "--", "true"], home);
    assert.equal(first.code, 0, first.stderr);
    const [copy] = copiesUnder(home);
    const damages: [string, (path: string) => void][] = [
      // The same size, one byte changed: a program that would run, but not the one made.
      ["syd.js", (path) => {
        Deno.chmodSync(path, 0o600);
        const bytes = Deno.readFileSync(path);
        bytes[0] = bytes[0] === 0x2f ? 0x20 : 0x2f;
        Deno.writeFileSync(path, bytes);
        Deno.chmodSync(path, 0o400);
      }],
      ["libsyd.so", (path) => Deno.truncateSync(path, 100)],
      ["deno", (path) => {
        Deno.removeSync(path);
        Deno.writeTextFileSync(path, "#!/bin/sh\necho replaced\n", { mode: 0o500 });
      }],
      ["stamp", (path) => Deno.removeSync(path)],
    ];
    for (const [name, damage] of damages) {
      damage(`${copy}/${name}`);
      const out = await clean(ROOT_USER, home, file, ["-poff", "--", "echo", "ran"], home);
      assert.equal(out.code, 0, `${name}: ${out.stderr}`);
      assert.equal(out.stdout, "ran\n", name);
      assert.match(out.stderr, /the unpacked copy was damaged: unpacking it again/, name);
      const again = await clean(ROOT_USER, home, file, ["-poff", "--", "true"], home);
      assert.equal(again.code, 0);
      assert.doesNotMatch(again.stderr, /damaged/, `${name}: replaced once, then trusted`);
    }
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("a damaged file, or a cache place others can write, is refused or avoided with a message", async () => {
  const { file } = await made;
  const home = freshHome(ROOT_USER);
  const dir = openDir("syd-dist-bad-");
  try {
    // One byte of the payload changed: its SHA-256 no longer matches; nothing runs.
    const bytes = Deno.readFileSync(file);
    bytes[bytes.length - 4096 * 1024] ^= 0xff;
    Deno.writeFileSync(`${dir}/syd`, bytes, { mode: 0o755 });
    const damaged = await clean(
      ROOT_USER,
      home,
      `${dir}/syd`,
      ["-poff", "--", "echo", "ran"],
      home,
    );
    assert.equal(damaged.code, 1);
    assert.equal(damaged.stdout, "");
    assert.match(damaged.stderr, /^syd: this file is damaged/m);
    assert.deepEqual(copiesUnder(home), []);
    // The launcher alone (no payload).
    Deno.copyFileSync(`${ROOT}zig-out/bin/syd-launcher`, `${dir}/launcher`);
    const alone = await clean(ROOT_USER, home, `${dir}/launcher`, ["-V"], home);
    assert.equal(alone.code, 1);
    assert.match(alone.stderr, /^syd: this file has no payload/m);
    // XDG_CACHE_HOME writable by every user without the sticky bit: not used.
    const open = `${dir}/open`;
    Deno.mkdirSync(open);
    Deno.chmodSync(open, 0o777);
    const avoided = await clean(ROOT_USER, home, file, ["-poff", "--", "true"], home, [
      `XDG_CACHE_HOME=${open}`,
    ]);
    assert.equal(avoided.code, 0, avoided.stderr);
    assert.deepEqual([...Deno.readDirSync(open)], []);
    assert.equal(copiesUnder(home).length, 1, "HOME's cache is the next choice");
  } finally {
    Deno.removeSync(home, { recursive: true });
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("deno task compile with a DENORT_BIN embeds libsyd.so whole (denort itself cannot be had here)", async () => {
  // A stand-in runtime (named denort, as the task asks): what deno compile writes is that program
  // followed by its payload, which must hold libsyd.so byte for byte; lib/native_test.ts loads a
  // library from bytes through a memfd, as the compiled program does.
  const dir = openDir("syd-compile-");
  try {
    Deno.copyFileSync("/bin/true", `${dir}/denort`);
    const out = await run(`${ROOT}tools/compile.sh`, [`${dir}/syd`], {
      cwd: ROOT,
      env: { DENORT_BIN: `${dir}/denort` },
    });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /libsyd\.so embedded/);
    const made = Deno.readFileSync(`${dir}/syd`);
    const lib = Deno.readFileSync(`${ROOT}zig-out/lib/libsyd.so`);
    const start = Buffer.from(made).indexOf(Buffer.from(lib.subarray(0, 4096)));
    assert.ok(start > 0, "libsyd.so's first page is in the compiled file");
    assert.ok(
      Buffer.from(made.subarray(start, start + lib.length)).equals(Buffer.from(lib)),
      "the whole library follows it",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("the sandbox cannot reach the one file's unpacked copies, whatever the policy allows", async () => {
  const { file } = await made;
  const home = freshHome(ROOT_USER);
  try {
    const first = await clean(ROOT_USER, home, file, ["-poff", "--", "true"], home);
    assert.equal(first.code, 0, first.stderr);
    const [copy] = copiesUnder(home);
    const script =
      `for f in ${copy}/syd.js ${copy}/deno-cache/planted ${home}/.cache/syd/planted; do
      if (: > "$f") 2>/dev/null; then echo "wrote $f"; else echo "refused $f"; fi; done
      ls ${copy} >/dev/null 2>&1 && echo listed || echo hidden`;
    const allowAll = [
      "-p",
      "off",
      "-m",
      "sandbox/read,write,create,truncate,stat,readdir,walk:on",
      "-m",
      "allow/read,write,create,truncate,stat,readdir,walk+/***",
    ];
    const out = await clean(ROOT_USER, home, file, [...allowAll, "--", "sh", "-c", script], home);
    assert.equal(out.code, 0, out.stderr);
    assert.doesNotMatch(out.stdout, /^wrote/m);
    assert.match(out.stdout, /refused .*syd\.js/);
    assert.match(out.stdout, /^hidden$/m);
    assert.match(out.stderr, /syd: the one file's unpacked copies/);
    // The same policy under ./syd writes where it points (the control of the test).
    const control = `${home}/control`;
    Deno.mkdirSync(control);
    const dev = await clean(ROOT_USER, home, SYD, [
      ...allowAll,
      "--",
      "sh",
      "-c",
      `: > ${control}/planted && echo wrote`,
    ], home);
    assert.equal(dev.stdout, "wrote\n", dev.stderr);
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});
