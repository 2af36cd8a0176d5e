/**
 * End-to-end tests of issue 17's "exec covers what runs" and Force sandboxing: a library mapped
 * executable (ld.so loading a program's library, Python's ctypes dlopen) is judged for exec by
 * the file its fd names; Force sandboxing hashes the program at its exec (EACCES before the
 * call, each action's effect) and libraries at their mmap; `syd sum` prints the line that lets
 * a program run. The fd-swap race between the mmap check and the kernel's look at the fd is a
 * helper (tests/helpers/race_mmap_exec.c): won without the tracer, killed with it.
 */
import assert from "node:assert/strict";
import { helper, records, ROOT, run, runSyd } from "./_syd.ts";

const ZIG = `${ROOT}.toolchain/bin/zig`;

/** A directory with a shared library (`libanswer.so`), a program linked to it (`uselib`) and a
 * static program (`hello`), built once for every test. */
const DIR = await (async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-force-mmap-" }));
  await Deno.writeTextFile(`${dir}/lib.c`, "int answer(void) { return 42; }\n");
  await Deno.writeTextFile(
    `${dir}/uselib.c`,
    '#include <stdio.h>\nint answer(void);\nint main(void) { printf("%d\\n", answer()); return 0; }\n',
  );
  await Deno.writeTextFile(
    `${dir}/hello.c`,
    '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n',
  );
  const cc = async (args: string[]) => {
    const out = await run(ZIG, ["cc", ...args]);
    assert.equal(out.code, 0, out.stderr);
  };
  await cc([
    "-shared",
    "-fPIC",
    "-Wl,-soname,libanswer.so",
    "-o",
    `${dir}/libanswer.so`,
    `${dir}/lib.c`,
  ]);
  await cc([
    "-o",
    `${dir}/uselib`,
    `${dir}/uselib.c`,
    `-L${dir}`,
    "-lanswer",
    `-Wl,-rpath,${dir}`,
  ]);
  await cc([
    "-target",
    "x86_64-linux-musl",
    "-static",
    "-O2",
    "-o",
    `${dir}/hello`,
    `${dir}/hello.c`,
  ]);
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  return dir;
})();

const PY_LOAD = (path: string) =>
  `import ctypes\ntry:\n    print(ctypes.CDLL(${
    JSON.stringify(path)
  }).answer())\nexcept OSError as e:\n    print("OSError", e)\n`;

const EXEC_ALL = ["-p", "off", "-m", "sandbox/exec:on", "-m", "allow/exec+/***"];

/** `syd sum -a ALG FILE`'s line. */
async function sumLine(alg: string, file: string): Promise<string> {
  const out = await runSyd(["sum", "-a", alg, file]);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.trim();
}

/** The same line with its digest changed (a file whose contents are not the ones listed). */
function wrong(line: string): string {
  const at = line.lastIndexOf(":") + 1;
  const digit = line[at] === "0" ? "1" : "0";
  return line.slice(0, at) + digit + line.slice(at + 1);
}

Deno.test("a library denied for exec stops the program linking it and a ctypes load; allowed, both run", async () => {
  const lib = `${DIR}/libanswer.so`;
  const denied = [...EXEC_ALL, "-m", `deny/exec+${lib}`];
  const linked = await runSyd([...denied, "--", `${DIR}/uselib`]);
  assert.equal(linked.code, 127, linked.stderr); // ld.so: failed to map segment
  assert.match(linked.stderr, /failed to map segment/);
  const denial = records(linked.stderr).find((r) => r.sys === "mmap");
  assert.ok(denial, linked.stderr);
  assert.equal(denial.cap, "exec");
  assert.equal(denial.act, "deny");
  assert.equal(denial.path, lib);
  const loaded = await runSyd([...denied, "--", "python3", "-c", PY_LOAD(lib)]);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.match(loaded.stdout, /^OSError .*failed to map segment/);
  // The rule allows: both run.
  const ok = await runSyd([...EXEC_ALL, "--", `${DIR}/uselib`]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "42\n");
  const pyOk = await runSyd([...EXEC_ALL, "--", "python3", "-c", PY_LOAD(lib)]);
  assert.equal(pyOk.stdout, "42\n", pyOk.stderr);
});

Deno.test("a binary whose hash differs from its force+ line is not run: each action's effect; a match runs", async () => {
  const hello = `${DIR}/hello`;
  const good = await sumLine("sha256", hello);
  assert.match(good, new RegExp(`^force\\+${hello}:sha256:[0-9a-f]{64}$`));
  const bad = wrong(good);
  const force = (line: string, ...more: string[]) =>
    runSyd(["-p", "off", "-m", "sandbox/force:on", "-m", line, ...more, "--", hello]);
  const matched = await force(good);
  assert.equal(matched.code, 0, matched.stderr);
  assert.equal(matched.stdout, "hello\n");
  // deny (the default): EACCES before the exec, with the original's record.
  const denied = await force(bad);
  assert.equal(denied.code, 13, denied.stderr);
  assert.equal(denied.stdout, "");
  const record = records(denied.stderr).find((r) => r.ctx === "verify_elf");
  assert.ok(record, denied.stderr);
  assert.equal(record.act, "deny");
  assert.equal(record.path, hello);
  assert.match(String(record.msg), /^ELF checksum mismatch: [0-9a-f]{64} is not [0-9a-f]{64}$/);
  assert.equal(record.tip, `configure \`force+${hello}:<algorithm>:<checksum>'`);
  // kill: 137; abort: 134; filter: EACCES without a record; warn: runs with records.
  assert.equal((await force(`${bad}:kill`)).code, 137);
  assert.equal((await force(`${bad}:abort`)).code, 134);
  const filtered = await force(`${bad}:filter`);
  assert.equal(filtered.code, 13);
  assert.equal(records(filtered.stderr).filter((r) => r.ctx === "verify_elf").length, 0);
  const warned = await force(`${bad}:warn`);
  assert.equal(warned.code, 0, warned.stderr);
  assert.equal(warned.stdout, "hello\n");
  const warnings = records(warned.stderr).filter((r) => String(r.msg).startsWith("ELF checksum"));
  assert.ok(warnings.length >= 1 && warnings.every((r) => r.act === "warn"), warned.stderr);
  // No entry: default/force (deny); default/force:warn runs it with a record.
  const unlisted = await runSyd(["-p", "off", "-m", "sandbox/force:on", "--", hello]);
  assert.equal(unlisted.code, 13);
  const warnDefault = await runSyd([
    "-p",
    "off",
    "-m",
    "sandbox/force:on",
    "-m",
    "default/force:warn",
    "--",
    hello,
  ]);
  assert.equal(warnDefault.code, 0, warnDefault.stderr);
  assert.ok(records(warnDefault.stderr).some((r) => r.ctx === "verify_elf" && r.act === "warn"));
  // Off: the map checks nothing.
  assert.equal((await runSyd(["-p", "off", "-m", bad, "--", hello])).code, 0);
});

Deno.test("Force checks libraries at mmap: a mismatch refuses the load (EACCES), a match loads", async () => {
  const lib = `${DIR}/libanswer.so`;
  const good = await sumLine("blake3", lib);
  const load = (line: string) =>
    runSyd([
      "-p",
      "off",
      "-m",
      "sandbox/force:on",
      "-m",
      "default/force:warn", // the program, its loader and libc are not listed: logged, run
      "-m",
      line,
      "--",
      `${DIR}/uselib`,
    ]);
  const ok = await load(good);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "42\n");
  const bad = await load(`${wrong(good)}:deny`);
  assert.equal(bad.code, 127, bad.stderr);
  const record = records(bad.stderr).find((r) => r.ctx === "verify_lib");
  assert.ok(record, bad.stderr);
  assert.equal(record.sys, "mmap");
  assert.equal(record.path, lib);
  assert.match(String(record.msg), /^library checksum mismatch: /);
});

Deno.test("syd sum prints a force+ line that, added, lets the binary run; refuses unknown algorithms", async () => {
  const hello = `${DIR}/hello`;
  for (const alg of ["blake3", "crc32c", "sha3-512", "blake2b-160", "md5"]) {
    const line = await sumLine(alg, hello);
    const out = await runSyd(["-p", "off", "-m", "sandbox/force:on", "-m", line, "--", hello]);
    assert.equal(out.code, 0, `${alg}: ${out.stderr}`);
  }
  const list = await runSyd(["sum", "-a", "list"]);
  assert.match(list.stdout, /^sha256 +32$/m);
  const md4 = await runSyd(["sum", "-a", "md4", hello]);
  assert.equal(md4.code, 95);
  assert.match(md4.stderr, /not supported/);
  // The same digests as the original's syd-sum (sha256sum's here).
  const sha = await run("sha256sum", [hello]);
  assert.equal((await sumLine("sha256", hello)).split(":").pop(), sha.stdout.split(" ")[0]);
});

Deno.test("the mmap fd-swap race: won without the tracer, killed with it (map_mismatch)", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-mmap-race-" }));
  try {
    await Deno.writeFile(`${dir}/good`, new Uint8Array(8192).fill(1));
    await Deno.writeFile(`${dir}/bad`, new Uint8Array(8192).fill(2));
    const policy = [...EXEC_ALL, "-m", `deny/exec+${dir}/bad`];
    const race = helper("race_mmap_exec");
    // Untraced (README, Limits): judged before the call only; the swap wins.
    const untraced = await runSyd([
      ...policy,
      "-m",
      "trace/allow_unsafe_ptrace:1",
      "--",
      race,
      dir,
      "8",
    ]);
    assert.equal(untraced.code, 0, untraced.stderr);
    assert.match(untraced.stdout, /^WON /, "the race is real without the tracer");
    // Traced (the default): the exit stop finds the other file mapped and kills the process.
    const traced = await runSyd([...policy, "--", race, dir, "8"]);
    assert.doesNotMatch(traced.stdout, /WON/);
    if (traced.code === 137) {
      assert.ok(
        records(traced.stderr).some((r) => r.ctx === "mmap" && r.op === "map_mismatch"),
        traced.stderr,
      );
    } else {
      assert.equal(traced.code, 0, traced.stderr);
      assert.match(traced.stdout, /^LOST /);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("under Force a non-regular file mapped executable is refused (EACCES), never hashed; a FIFO exec does not block", async () => {
  const script = `import mmap, os
fd = os.open("/dev/zero", os.O_RDONLY)
try:
    mmap.mmap(fd, 4096, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC)
    print("mapped")
except OSError as e:
    print(e.errno)
`;
  const policy = ["-p", "off", "-m", "sandbox/force:on", "-m", "default/force:warn"];
  const zero = await runSyd([...policy, "--", "python3", "-c", script]);
  assert.equal(zero.code, 0, zero.stderr);
  assert.equal(zero.stdout, "13\n");
  assert.ok(records(zero.stderr).some((r) => r.ctx === "check_lib" && r.path === "/dev/zero"));
  const fifo = `${DIR}/fifo`;
  await run("mkfifo", [fifo]);
  const ran = await runSyd([...policy, "--", fifo]);
  assert.equal(ran.code, 13, ran.stderr); // the kernel's EACCES: syd neither blocked nor hashed
});
