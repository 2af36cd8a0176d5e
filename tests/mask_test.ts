/**
 * End-to-end tests of path masking (`mask+PATTERN[:TARGET[:DIRTARGET]]`, issue 17): an allowed
 * open of a masked path opens its target (/dev/null by default), stat answers with the target's
 * information (as the original 3.59 does), however the path is reached; a denied masked path
 * stays denied, writes never reach a target that is not a character device, bad targets are
 * refused.
 */
import assert from "node:assert/strict";
import { PY_ATTEMPT, records, runSyd, withoutRecords } from "./_syd.ts";

/** Runs `fn` with a new directory (its real path) holding `f` ("hello\n"), `g` ("target\n"),
 * `d/a` ("inside\n"), `e/x` (an empty directory's sibling file) and `lf`, a symlink to `f`. */
async function withFiles(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-mask-" }));
  try {
    await Deno.writeTextFile(`${dir}/f`, "hello\n");
    await Deno.writeTextFile(`${dir}/g`, "target\n");
    await Deno.mkdir(`${dir}/d`);
    await Deno.writeTextFile(`${dir}/d/a`, "inside\n");
    await Deno.mkdir(`${dir}/e`);
    await Deno.writeTextFile(`${dir}/e/x`, "x\n");
    await Deno.symlink(`${dir}/f`, `${dir}/lf`);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Python printing `name value` lines; `d` is the first argument. */
const PY = `${PY_ATTEMPT}
d = sys.argv[1]
def read(path, **kw):
    fd = os.open(path, os.O_RDONLY, **kw)
    try:
        return os.read(fd, 64)
    finally:
        os.close(fd)
`;

async function python(dir: string, args: string[], body: string) {
  return await runSyd([...args, "--", "python3", "-c", `${PY}\n${body}`, dir]);
}

Deno.test("a masked file reads as empty while stat shows /dev/null's, as the original 3.59; others read normally", async () => {
  await withFiles(async (dir) => {
    const out = await runSyd([
      "-q",
      "-poff",
      "-m",
      `mask+${dir}/f`,
      "--",
      "sh",
      "-c",
      `cat ${dir}/f; echo "rc=$?"; stat -c '%s %F' ${dir}/f; stat -L -c '%F' ${dir}/lf; cat ${dir}/g`,
    ]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, "rc=0\n0 character special file\ncharacter special file\ntarget\n");
    assert.equal(await Deno.readTextFile(`${dir}/f`), "hello\n");
  });
});

Deno.test("a mask holds however the path is reached: symlink, .., dirfd, /proc/self/fd, /proc/self/cwd", async () => {
  await withFiles(async (dir) => {
    const out = await python(
      dir,
      ["-q", "-poff", "-m", `mask+${dir}/f`],
      `print("link", read(d + "/lf"))
print("dotdot", read(d + "/d/../f"))
dfd = os.open(d + "/d", os.O_RDONLY | os.O_DIRECTORY)
print("dirfd", read("../f", dir_fd=dfd))
pfd = os.open(d + "/f", os.O_PATH)
print("opath", read("/proc/self/fd/%d" % pfd))
os.chdir(d + "/e")
print("cwd", read("/proc/self/cwd/../f"))
print("plain", read(d + "/g"))`,
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal(
      out.stdout,
      "link b''\ndotdot b''\ndirfd b''\nopath b''\ncwd b''\nplain b'target\\n'\n",
    );
  });
});

Deno.test("a denied masked file stays denied; an allowed one reads as empty", async () => {
  await withFiles(async (dir) => {
    const out = await runSyd([
      "-q",
      "-poff",
      "-m",
      "sandbox/read:on",
      "-m",
      "allow/read+/***",
      "-m",
      `deny/read+${dir}/f`,
      "-m",
      `mask+${dir}/f`,
      "-m",
      `mask+${dir}/g`,
      "--",
      "sh",
      "-c",
      `cat ${dir}/f; echo "f=$?"; cat ${dir}/g; echo "g=$?"`,
    ]);
    assert.equal(out.stdout, "f=1\ng=0\n");
    assert.match(withoutRecords(out.stderr), /Permission denied/);
    const denied = records(out.stderr).filter((r) => r.ctx === "access");
    assert.deepEqual(denied.map((r) => [r.cap, r.path]), [["read", `${dir}/f`]]);
  });
});

Deno.test("a target file is read in place of the masked one but never written through it (EPERM)", async () => {
  await withFiles(async (dir) => {
    const out = await python(
      dir,
      ["-q", "-poff", "-m", `mask+${dir}/f:${dir}/g`],
      `print("read", read(d + "/f"))
attempt("append", lambda: os.open(d + "/f", os.O_WRONLY | os.O_APPEND))
attempt("rdwr", lambda: os.open(d + "/f", os.O_RDWR))
attempt("trunc", lambda: os.open(d + "/f", os.O_RDONLY | os.O_TRUNC))
attempt("tmpfile", lambda: os.open(d + "/f", os.O_TMPFILE | os.O_RDWR))`,
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal(
      out.stdout,
      "read b'target\\n'\nappend EPERM\nrdwr EPERM\ntrunc EPERM\ntmpfile EPERM\n",
    );
    assert.equal(await Deno.readTextFile(`${dir}/g`), "target\n");
    assert.equal(await Deno.readTextFile(`${dir}/f`), "hello\n");
  });
});

Deno.test("a character device target is opened as asked, as the original: /dev/zero O_RDWR writes nowhere", async () => {
  await withFiles(async (dir) => {
    const out = await python(
      dir,
      ["-q", "-poff", "-m", `mask+${dir}/f:/dev/zero`],
      `print("read", read(d + "/f")[:4])
fd = os.open(d + "/f", os.O_RDWR | os.O_TRUNC | os.O_CREAT)
print("wrote", os.write(fd, b"evil"))
print("mode", oct(os.fstat(fd).st_mode >> 12))
os.close(fd)
with open(d + "/f", "w") as f:
    f.write("shell redirect")`,
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, "read b'\\x00\\x00\\x00\\x00'\nwrote 4\nmode 0o2\n");
    assert.equal(await Deno.readTextFile(`${dir}/f`), "hello\n");
  });
});

Deno.test("a directory takes the directory target; its files the file target", async () => {
  await withFiles(async (dir) => {
    const out = await python(
      dir,
      ["-q", "-poff", "-m", `mask+${dir}/d/***:/dev/null:${dir}/e`],
      `print("list", sorted(os.listdir(d + "/d")))
print("file", read(d + "/d/a"))
print("stat", os.stat(d + "/d").st_ino == os.stat(d + "/e").st_ino)`,
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, "list ['x']\nfile b''\nstat True\n");
  });
});

Deno.test("bad targets: relative, .. and empty are refused (22); a symlink target fails at open (ELOOP), a missing one ENOENT", async () => {
  for (const target of ["dev/null", "/dev/../dev/null", ""]) {
    const out = await runSyd(["-poff", "-m", `mask+/etc/hostname:${target}`, "--", "true"]);
    assert.equal(out.code, 22, `${target}: ${out.stderr}`);
    assert.match(out.stderr, /mask target|empty mask target/);
  }
  const lone = await runSyd(["-poff", "-m", "mask+/etc/host\\name", "--", "true"]);
  assert.equal(lone.code, 22);
  assert.match(lone.stderr, /lone backslash/);
  await withFiles(async (dir) => {
    const out = await python(
      dir,
      ["-q", "-poff", "-m", `mask+${dir}/f:${dir}/lf`, "-m", `mask+${dir}/g:${dir}/missing`],
      `attempt("symlink", lambda: read(d + "/f"))
attempt("missing", lambda: read(d + "/g"))`,
    );
    assert.equal(out.stdout, "symlink ELOOP\nmissing ENOENT\n");
  });
});

Deno.test("the escapes \\: and \\\\ name a file with a colon; the last mask that matches decides", async () => {
  await withFiles(async (dir) => {
    await Deno.writeTextFile(`${dir}/a:b`, "colon\n");
    const out = await python(
      dir,
      [
        "-q",
        "-poff",
        "-m",
        `mask+${dir}/a\\:b`,
        "-m",
        `mask+${dir}/*:${dir}/g`,
        "-m",
        `mask+${dir}/f`,
      ],
      `print("colon", read(d + "/a:b"))
print("f", read(d + "/f"))
print("g", read(d + "/g"))`,
    );
    assert.equal(out.code, 0, out.stderr);
    // a:b and g match the later `*` mask (to g); f the last, to /dev/null.
    assert.equal(out.stdout, "colon b'target\\n'\nf b''\ng b'target\\n'\n");
  });
});

Deno.test("masks change at run time through /dev/syd: mask+ then mask-", async () => {
  await withFiles(async (dir) => {
    const out = await runSyd([
      "-q",
      "-poff",
      "-m",
      "lock:exec",
      "--",
      "sh",
      "-c",
      `cat ${dir}/f; test -c /dev/syd/mask+${dir}/f && cat ${dir}/f && echo masked; ` +
      `test -c /dev/syd/mask-${dir}/f && cat ${dir}/f`,
    ]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, "hello\nmasked\nhello\n");
  });
});

Deno.test("a masked path cannot be changed: unlink, rename (from and onto), link, chmod, chown, utime, xattrs answer EPERM, with -p off and with the rules allowing them", async () => {
  await withFiles(async (dir) => {
    const body = `
f = d + "/f"
attempt("unlink", lambda: os.unlink(f))
attempt("rename", lambda: os.rename(f, d + "/moved"))
attempt("onto", lambda: os.rename(d + "/g", f))
attempt("link", lambda: os.link(f, d + "/linked"))
attempt("chmod", lambda: os.chmod(f, 0o777))
attempt("chown", lambda: os.chown(f, 1, 1))
attempt("utime", lambda: os.utime(f, (1, 1)))
attempt("setxattr", lambda: os.setxattr(f, "user.x", b"1"))
attempt("other", lambda: os.chmod(d + "/g", 0o600))
`;
    const expected = [
      "unlink EPERM",
      "rename EPERM",
      "onto EPERM",
      "link EPERM",
      "chmod EPERM",
      "chown EPERM",
      "utime EPERM",
      "setxattr EPERM",
      "other OK",
    ].join("\n") + "\n";
    const allowAll = [
      "-m",
      "sandbox/all:on",
      "-m",
      "allow/all+/***",
      "-m",
      "sandbox/lock:off",
    ];
    for (const policy of [["-poff"], ["-poff", ...allowAll]]) {
      const before = Deno.statSync(`${dir}/f`);
      const out = await python(dir, ["-q", ...policy, "-m", `mask+${dir}/f`], body);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(out.stdout, expected, `${policy.join(" ")}: ${out.stderr}`);
      assert.ok(
        records(out.stderr).some((r) => r.ctx === "mask" && r.path === `${dir}/f`),
        out.stderr,
      );
      const after = Deno.statSync(`${dir}/f`);
      assert.equal(after.mode, before.mode);
      assert.equal(after.mtime?.getTime(), before.mtime?.getTime());
      assert.equal(await Deno.readTextFile(`${dir}/f`), "hello\n");
      Deno.chmodSync(`${dir}/g`, 0o644);
    }
  });
});
