/**
 * Paths longer than PATH_MAX: a program whose cwd or dirfd lies deeper than PATH_MAX names, with
 * short relative paths, objects whose absolute names are far longer. syd judges those names
 * whole (rules and logs see the full name) and acts on them in pieces, as the kernel would act
 * natively; past 8 × PATH_MAX it refuses with ENAMETOOLONG (README, Limits). The helper
 * (tests/helpers/long_path.c) builds a tree of 32-byte names and acts at its bottom.
 */
import assert from "node:assert/strict";
import { helper, records, run, runSyd, tempDir } from "./_syd.ts";

/** The categories the tree's calls feed, all judged, all allowed but what `deny` adds. */
function judging(dir: string, deny: string[] = []): string[] {
  return [
    "-poff",
    "-m",
    "sandbox/all:on",
    "-m",
    "allow/all+/***",
    "-m",
    `deny/mkdir+${dir}/**/forbidden`,
    "-m",
    `deny/create+${dir}/**/nocreate`,
    "-m",
    `deny/read+${dir}/outside/secret`,
    ...deny,
  ];
}

/** The `NAME RESULT` lines of the helper's output. */
function steps(stdout: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const [name, result] = line.split(" ");
    if (name && result) found.set(name, result);
  }
  return found;
}

/** A directory holding `outside/secret`, removed after `fn`. */
async function withTree(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = Deno.realPathSync(tempDir("syd-long-"));
  Deno.mkdirSync(`${dir}/outside`);
  Deno.writeTextFileSync(`${dir}/outside/secret`, "secret\n");
  try {
    await fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const ALLOWED = [
  "create",
  "write",
  "stat",
  "open_read",
  "read",
  "rename",
  "link",
  "unlink_h",
  "symlink",
  "readlink",
  "stat_via_symlink",
  "unlink_s",
  "chmod",
  "truncate",
  "mkdir",
  "rmdir",
  "unlink",
  "open_bottom",
  "create_viafd",
  "fstatat_viafd",
  "unlink_viafd",
  "fchdir_bottom",
  "symlink_out",
  "cleanup",
];

Deno.test("a tree 300 levels deep (9600 bytes) is made, used and removed under judging rules", async () => {
  await withTree(async (dir) => {
    const out = await runSyd([...judging(dir), "--", helper("long_path"), dir, "300"]);
    const got = steps(out.stdout);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(got.get("depth"), "300", out.stdout);
    // glibc's getcwd climbs with ".." once the kernel says ENAMETOOLONG: each step judged.
    assert.equal(Number(got.get("cwd_len")), dir.length + 300 * 32, out.stdout);
    assert.equal(got.get("size"), "4", out.stdout);
    for (const name of ALLOWED) assert.equal(got.get(name), "OK", `${name}:\n${out.stdout}`);
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["outside"]);
  });
});

Deno.test("a rule on a name longer than PATH_MAX is enforced and the full name logged", async () => {
  await withTree(async (dir) => {
    const out = await runSyd([...judging(dir), "--", helper("long_path"), dir, "300"]);
    const got = steps(out.stdout);
    assert.equal(got.get("mkdir_forbidden"), "EACCES", out.stdout);
    assert.equal(got.get("create_nocreate"), "EACCES", out.stdout);
    // A symlink at the bottom leads out: judged by the name it leads to.
    assert.equal(got.get("read_via_link"), "EACCES", out.stdout);
    const deep = `${dir}${"/ddddddddddddddddddddddddddddddd".repeat(300)}`;
    const found = records(out.stderr);
    const mkdir = found.find((r) => r.cap === "mkdir");
    assert.equal(mkdir?.path, `${deep}/forbidden`, out.stderr.slice(0, 2000));
    const create = found.find((r) => r.cap === "create");
    assert.equal(create?.path, `${deep}/nocreate`);
    assert.ok(found.some((r) => r.cap === "read" && r.path === `${dir}/outside/secret`));
  });
});

Deno.test("the long-path helper's denied steps succeed without syd (the attempts are real)", async () => {
  await withTree(async (dir) => {
    const out = await run(helper("long_path"), [dir, "300"]);
    const got = steps(out.stdout);
    for (const name of ["mkdir_forbidden", "create_nocreate", "read_via_link", ...ALLOWED]) {
      assert.equal(got.get(name), "OK", `${name}:\n${out.stdout}`);
    }
  });
});

Deno.test("a tree under a deny rule for its own deep names refuses them, at any depth", async () => {
  await withTree(async (dir) => {
    // Everything 200 levels and more below DIR is denied for create: a glob over long names.
    const out = await runSyd([
      ...judging(dir, ["-m", `deny/create+${dir}${"/*".repeat(200)}/***`]),
      "--",
      helper("long_path"),
      dir,
      "300",
    ]);
    const got = steps(out.stdout);
    assert.equal(got.get("depth"), "300", out.stdout);
    assert.equal(got.get("create"), "EACCES", out.stdout);
    assert.equal(got.get("create_viafd"), "EACCES", out.stdout);
    assert.equal(got.get("mkdir"), "OK", out.stdout);
    assert.equal(got.get("cleanup"), "OK", out.stdout);
  });
});

Deno.test("`rm -rf` removes a tree deeper than PATH_MAX under judging rules", async () => {
  await withTree(async (dir) => {
    const made = await runSyd([...judging(dir), "--", helper("long_path"), dir, "200", "keep"]);
    assert.equal(steps(made.stdout).get("depth"), "200", made.stdout);
    const out = await runSyd([
      ...judging(dir),
      "--",
      "rm",
      "-rf",
      `${dir}/ddddddddddddddddddddddddddddddd`,
    ]);
    assert.equal(out.code, 0, out.stderr.slice(0, 2000));
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["outside"]);
  });
});

Deno.test("a name past 8 x PATH_MAX is refused with ENAMETOOLONG (README, Limits)", async () => {
  await withTree(async (dir) => {
    const out = await runSyd([...judging(dir), "--", helper("long_path"), dir, "1100"]);
    const got = steps(out.stdout);
    assert.equal(got.get("descend"), "ENAMETOOLONG", out.stdout);
    const depth = Number(got.get("depth"));
    // The deepest directory syd can name is shorter than 32768 bytes; one more is not.
    assert.ok(
      dir.length + depth * 32 < 32768 && dir.length + (depth + 2) * 32 >= 32768,
      `${depth}`,
    );
    assert.equal(got.get("cleanup"), "OK", out.stdout);
  });
});
