/**
 * End-to-end tests of path sandboxing (read, write, exec): real programs under ./syd, judged on
 * canonical paths, with allowed opens performed by syd and handed over with ADDFD.
 */
import assert from "node:assert/strict";
import {
  helper,
  PY_ATTEMPT,
  PYTHON,
  records,
  ROOT,
  run,
  runSyd,
  withoutRecords,
  withSecretDir,
} from "./_syd.ts";

/** Only these categories on, with everything allowed unless the test says otherwise. */
const BASE = [
  "-m",
  "sandbox/all,fs,ioctl:off",
  "-m",
  "sandbox/read,write,exec:on",
  "-m",
  "allow/read,write,exec+/***",
];

/** A Python prelude: `d` is the first argument; attempt(name, fn) prints "name ok" or the error. */
const ATTEMPT = `import os, sys
d = sys.argv[1]
def attempt(name, fn):
    try:
        fn()
        print(name, "ok")
    except OSError as e:
        print(name, os.strerror(e.errno))`;

/** Runs `fn` with a new directory holding `public` and `secret` (see `withSecretDir`). */
function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  return withSecretDir("syd-path-", fn);
}

Deno.test("a denied read fails with EACCES and logs one record naming the rule and a tip", async () => {
  await withDir(async (dir) => {
    const result = await runSyd([
      ...BASE,
      "-m",
      `deny/read+${dir}/secret`,
      "--",
      "cat",
      `${dir}/secret`,
    ]);
    assert.equal(result.code, 1);
    assert.match(withoutRecords(result.stderr), /cat: .*secret: Permission denied/);
    const denials = records(result.stderr).filter((r) => r.ctx === "access");
    assert.equal(denials.length, 1, result.stderr);
    const [record] = denials;
    assert.equal(record.cap, "read");
    assert.equal(record.act, "deny");
    assert.equal(record.sys, "openat");
    assert.equal(record.path, `${dir}/secret`);
    assert.equal(record.rule, "-m#4");
    assert.equal(record.tip, `allow/read+${dir}/secret`);
    assert.equal(record.cmd, "cat");
    assert.equal(typeof record.pid, "number");
    assert.match(String(record.time), /^\d{4}-/);
  });
});

Deno.test("an allowed read is performed by syd and the program sees the contents", async () => {
  await withDir(async (dir) => {
    const result = await runSyd([
      ...BASE,
      "-m",
      `deny/read+${dir}/secret`,
      "--",
      "cat",
      `${dir}/public`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "public\n");
    assert.equal(result.stderr, "");
  });
});

Deno.test("the last matching rule wins", async () => {
  await withDir(async (dir) => {
    const rules = ["-m", `deny/read+${dir}/***`, "-m", `allow/read+${dir}/public`];
    const allowed = await runSyd([...BASE, ...rules, "--", "cat", `${dir}/public`]);
    assert.equal(allowed.code, 0, allowed.stderr);
    const denied = await runSyd([...BASE, ...rules, "--", "cat", `${dir}/secret`]);
    assert.equal(denied.code, 1);
  });
});

Deno.test("paths are judged after resolving symlinks, .. and the working directory", async () => {
  await withDir(async (dir) => {
    await Deno.symlink(`${dir}/secret`, `${dir}/link`);
    await Deno.mkdir(`${dir}/sub`);
    const deny = ["-m", `deny/read+${dir}/secret`];
    const viaLink = await runSyd([...BASE, ...deny, "--", "cat", `${dir}/link`]);
    assert.equal(viaLink.code, 1);
    assert.equal(records(viaLink.stderr).find((r) => r.ctx === "access")?.path, `${dir}/secret`);
    const viaDots = await runSyd([...BASE, ...deny, "--", "cat", `${dir}/sub/../secret`]);
    assert.equal(viaDots.code, 1);
    const relative = await runSyd([
      ...BASE,
      ...deny,
      "--",
      "sh",
      "-c",
      `cd ${dir}/sub && cat ../secret`,
    ]);
    assert.equal(relative.code, 1);
    assert.equal(records(relative.stderr).find((r) => r.ctx === "access")?.path, `${dir}/secret`);
  });
});

Deno.test("writes are judged: an allowed file is created, another is denied", async () => {
  await withDir(async (dir) => {
    const rules = ["-m", `deny/write+${dir}/***`, "-m", `allow/write+${dir}/out`];
    const allowed = await runSyd([...BASE, ...rules, "--", "sh", "-c", `echo hi > ${dir}/out`]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(await Deno.readTextFile(`${dir}/out`), "hi\n");
    const denied = await runSyd([...BASE, ...rules, "--", "sh", "-c", `echo hi > ${dir}/other`]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Permission denied/);
    await assert.rejects(Deno.stat(`${dir}/other`), Deno.errors.NotFound);
  });
});

Deno.test("files syd creates for the caller get the caller's umask and mode", async () => {
  await withDir(async (dir) => {
    const result = await runSyd([...BASE, "--", "sh", "-c", `umask 027; echo x > ${dir}/made`]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await Deno.stat(`${dir}/made`)).mode! & 0o777, 0o640);
  });
});

Deno.test("O_CLOEXEC is kept on the fd syd hands over, and absent when not asked for", async () => {
  await withDir(async (dir) => {
    const script = `
import fcntl, os, sys
a = os.open(sys.argv[1], os.O_RDONLY | os.O_CLOEXEC)
b = os.open(sys.argv[1], os.O_RDONLY)
os.set_inheritable(b, True)  # Python opens with O_CLOEXEC by default; make b plain
print(bool(fcntl.fcntl(a, fcntl.F_GETFD) & fcntl.FD_CLOEXEC), bool(fcntl.fcntl(b, fcntl.F_GETFD) & fcntl.FD_CLOEXEC))
print(os.read(a, 100).decode().strip())
`;
    const result = await runSyd([...BASE, "--", "python3", "-c", script, `${dir}/public`]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "True False\npublic\n");
  });
});

Deno.test("exec is judged: a denied program fails with EACCES, and a denied first exec exits 13", async () => {
  const rules = ["-m", "deny/exec+/usr/bin/id", "-m", "deny/exec+/bin/id"];
  const inner = await runSyd([...BASE, ...rules, "--", "sh", "-c", "id; echo status=$?"]);
  assert.equal(inner.code, 0, inner.stderr);
  assert.match(inner.stdout, /status=126/);
  const first = await runSyd([...BASE, ...rules, "--", "id"]);
  assert.equal(first.code, 13);
  assert.match(first.stderr, /syd: exec error: Permission denied/);
});

Deno.test("warn allows and logs, filter denies quietly, kill kills the caller", async () => {
  await withDir(async (dir) => {
    const warn = await runSyd([
      ...BASE,
      "-m",
      `warn/read+${dir}/secret`,
      "--",
      "cat",
      `${dir}/secret`,
    ], {
      env: { SYD_LOG: "notice" },
    });
    assert.equal(warn.code, 0, warn.stderr);
    assert.equal(warn.stdout, "secret\n");
    assert.equal(records(warn.stderr).find((r) => r.ctx === "access")?.act, "warn");
    const filter = await runSyd([
      ...BASE,
      "-m",
      `filter/read+${dir}/secret`,
      "--",
      "cat",
      `${dir}/secret`,
    ]);
    assert.equal(filter.code, 1);
    assert.deepEqual(records(filter.stderr).filter((r) => r.ctx === "access"), []);
    const kill = await runSyd([
      ...BASE,
      "-m",
      `kill/read+${dir}/secret`,
      "--",
      "cat",
      `${dir}/secret`,
    ]);
    assert.equal(kill.code, 137);
  });
});

Deno.test("the exit action ends the sandbox with EACCES as syd's status", async () => {
  await withDir(async (dir) => {
    const result = await runSyd([
      ...BASE,
      "-m",
      `exit/read+${dir}/secret`,
      "--",
      "sh",
      "-c",
      `cat ${dir}/secret; sleep 5`,
    ]);
    assert.equal(result.code, 13);
  });
});

Deno.test("io_uring is refused inside the sandbox, since it would bypass every check", async () => {
  const script = `
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
params = ctypes.create_string_buffer(120)
fd = libc.syscall(425, 8, params)
print(fd, errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno()))
`;
  const result = await runSyd(["-poff", "--", "python3", "-c", script]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "-1 ENOSYS\n");
});

Deno.test("a racing attacker never reads a denied file: buffer swaps and symlink swaps fail closed", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/swap`, "public\n");
    // Natively the attack works: the check would be worthless if syd continued the call.
    const native = await run(helper("race_open"), [dir, "10000"]);
    assert.equal(native.code, 0, native.stderr);
    assert.doesNotMatch(native.stdout, /secret=0\n/, "the attack should succeed without syd");
    const result = await runSyd([
      ...BASE,
      "-m",
      `filter/read+${dir}/secret`,
      "--",
      helper("race_open"),
      dir,
      "10000",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const match = /^opens=(\d+) secret=(\d+)\n$/.exec(result.stdout);
    assert.ok(match, result.stdout);
    assert.equal(match[2], "0", "syd let the denied file be read");
    assert.ok(Number(match[1]) > 1000, "the allowed file was never read: the test proves nothing");
  });
});

Deno.test("openat on a dirfd is judged on the path it names", async () => {
  await withDir(async (dir) => {
    const script = `
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
print(os.read(os.open("public", os.O_RDONLY, dir_fd=fd), 10).decode().strip())
try:
    os.open("secret", os.O_RDONLY, dir_fd=fd)
except PermissionError:
    print("denied")
`;
    const result = await runSyd([
      ...BASE,
      "-m",
      `deny/read+${dir}/secret`,
      "--",
      "python3",
      "-c",
      script,
      dir,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "public\ndenied\n");
    assert.equal(records(result.stderr).find((r) => r.ctx === "access")?.path, `${dir}/secret`);
  });
});

Deno.test("last match wins for writes: a later allow opens a hole, a later deny closes it", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/ok`);
    const write = (file: string, rules: string[]) =>
      runSyd([...BASE, ...rules, "--", "sh", "-c", `echo x > ${dir}/${file}`]);
    const hole = ["-m", `deny/write+${dir}/***`, "-m", `allow/write+${dir}/ok/***`];
    assert.equal((await write("ok/f", hole)).code, 0);
    assert.notEqual((await write("g", hole)).code, 0);
    const closed = ["-m", `allow/write+${dir}/ok/***`, "-m", `deny/write+${dir}/***`];
    assert.notEqual((await write("ok/h", closed)).code, 0);
  });
});

Deno.test("hostile arguments get the kernel's errors: a bad pointer EFAULT, a long path ENAMETOOLONG", async () => {
  const script = `
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
libc.open.argtypes = [ctypes.c_void_p, ctypes.c_int]
print(libc.open(None, 0), errno.errorcode[ctypes.get_errno()])
print(libc.open(ctypes.c_void_p(8), 0), errno.errorcode[ctypes.get_errno()])
try:
    os.open("/" + "a" * 5000, os.O_RDONLY)
except OSError as e:
    print(errno.errorcode[e.errno])
`;
  const result = await runSyd([...BASE, "--", "python3", "-c", script]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "-1 EFAULT\n-1 EFAULT\nENAMETOOLONG\n");
});

Deno.test("create, mkfifo and truncate are judged for mknod, creat, truncate, ftruncate and fallocate", async () => {
  await withDir(async (dir) => {
    const on = [
      "-m",
      "sandbox/create,mkfifo,truncate:on",
      "-m",
      "allow/create,mkfifo,truncate+/***",
    ];
    const script = `${ATTEMPT}
attempt("creat", lambda: os.close(os.open(d + "/new", os.O_WRONLY | os.O_CREAT, 0o600)))
attempt("mknod", lambda: os.mknod(d + "/node", 0o600))
attempt("mkfifo", lambda: os.mkfifo(d + "/fifo"))
attempt("truncate", lambda: os.truncate(d + "/public", 1))
fd = os.open(d + "/public", os.O_WRONLY)
attempt("ftruncate", lambda: os.ftruncate(fd, 2))
attempt("fallocate", lambda: os.posix_fallocate(fd, 0, 4096))
`;
    const deny = ["-m", `deny/create,mkfifo,truncate+${dir}/***`];
    const denied = await runSyd([...BASE, ...on, ...deny, "--", "python3", "-c", script, dir], {
      env: { SYD_LOG: "error" },
    });
    assert.equal(denied.code, 0, denied.stderr);
    assert.equal(
      denied.stdout,
      ["creat", "mknod", "mkfifo", "truncate", "ftruncate", "fallocate"].map((n) =>
        `${n} Permission denied\n`
      ).join(""),
    );
    assert.equal(await Deno.readTextFile(`${dir}/public`), "public\n");
    const allowed = await runSyd([...BASE, ...on, "--", "python3", "-c", script, dir]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(
      allowed.stdout,
      ["creat", "mknod", "mkfifo", "truncate", "ftruncate", "fallocate"].map((n) => `${n} ok\n`)
        .join(""),
    );
    assert.ok((await Deno.stat(`${dir}/fifo`)).isFifo);
    assert.equal((await Deno.stat(`${dir}/public`)).size, 4096);
  });
});

Deno.test("nodes syd creates get the caller's umask", async () => {
  await withDir(async (dir) => {
    const on = ["-m", "sandbox/create,mkfifo:on", "-m", "allow/create,mkfifo+/***"];
    const result = await runSyd([
      ...BASE,
      ...on,
      "--",
      "sh",
      "-c",
      `umask 077; mkfifo -m 666 ${dir}/f; umask 027; mkfifo ${dir}/g`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await Deno.stat(`${dir}/f`)).mode! & 0o777, 0o666); // an explicit mode is chmod-ed by mkfifo(1)
    assert.equal((await Deno.stat(`${dir}/g`)).mode! & 0o777, 0o640);
  });
});

Deno.test("mkdir, rmdir, delete, symlink and rename are judged on every name they touch", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/locked`);
    await Deno.writeTextFile(`${dir}/locked/file`, "x");
    await Deno.mkdir(`${dir}/locked/empty`);
    const cats = "mkdir,rmdir,delete,symlink,rename";
    const on = [
      "-m",
      `sandbox/${cats}:on`,
      "-m",
      `allow/${cats}+/***`,
      "-m",
      `deny/${cats}+${dir}/locked/***`,
    ];
    const script = `${ATTEMPT}
attempt("mkdir", lambda: os.mkdir(d + "/locked/new"))
attempt("rmdir", lambda: os.rmdir(d + "/locked/empty"))
attempt("unlink", lambda: os.unlink(d + "/locked/file"))
attempt("symlink", lambda: os.symlink("/etc/passwd", d + "/locked/link"))
attempt("rename-out", lambda: os.rename(d + "/locked/file", d + "/moved"))
attempt("rename-in", lambda: os.rename(d + "/public", d + "/locked/public"))
attempt("link-in", lambda: os.link(d + "/public", d + "/locked/hard"))
attempt("mkdir-free", lambda: os.mkdir(d + "/free"))
attempt("symlink-free", lambda: os.symlink("public", d + "/free/link"))
attempt("rename-free", lambda: os.rename(d + "/free/link", d + "/free/link2"))
attempt("link-free", lambda: os.link(d + "/public", d + "/free/hard"))
attempt("unlink-free", lambda: os.unlink(d + "/free/hard"))
attempt("rmdir-busy", lambda: os.rmdir(d + "/free"))
print(os.readlink(d + "/free/link2"))
`;
    const result = await runSyd([...BASE, ...on, "--", "python3", "-c", script, dir], {
      env: { SYD_LOG: "error" },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      [
        "mkdir Permission denied",
        "rmdir Permission denied",
        "unlink Permission denied",
        "symlink Permission denied",
        "rename-out Permission denied",
        "rename-in Permission denied",
        "link-in Permission denied",
        "mkdir-free ok",
        "symlink-free ok",
        "rename-free ok",
        "link-free ok",
        "unlink-free ok",
        "rmdir-busy Directory not empty",
        "public",
        "",
      ].join("\n"),
    );
    assert.equal(await Deno.readTextFile(`${dir}/locked/file`), "x");
    assert.ok((await Deno.stat(`${dir}/locked/empty`)).isDirectory);
  });
});

Deno.test("chmod, chown, chgrp, utime and chattr are judged and performed by syd", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/locked`);
    await Deno.writeTextFile(`${dir}/locked/file`, "x");
    const cats = "chmod,chown,chgrp,utime,chattr";
    const on = [
      "-m",
      `sandbox/${cats}:on`,
      "-m",
      `allow/${cats}+/***`,
      "-m",
      `deny/${cats}+${dir}/locked/***`,
    ];
    const script = `${ATTEMPT}
for target in (d + "/locked/file", d + "/public"):
    attempt("chmod", lambda: os.chmod(target, 0o600))
    # To its own uid and gid: the sandbox holds no CAP_CHOWN, and syd lends it none.
    attempt("chown", lambda: os.chown(target, os.getuid(), -1))
    attempt("chgrp", lambda: os.chown(target, -1, os.getgid()))
    attempt("utime", lambda: os.utime(target, (1000000000, 1000000000)))
    attempt("setxattr", lambda: os.setxattr(target, "user.syd", b"v"))
    fd = os.open(target, os.O_RDONLY)
    attempt("fchmod", lambda: os.fchmod(fd, 0o640))
    attempt("futimens", lambda: os.utime(fd, (2000000000, 2000000000)))
    os.close(fd)
`;
    const result = await runSyd([...BASE, ...on, "--", "python3", "-c", script, dir], {
      env: { SYD_LOG: "error" },
    });
    assert.equal(result.code, 0, result.stderr);
    const names = ["chmod", "chown", "chgrp", "utime", "setxattr", "fchmod", "futimens"];
    assert.equal(
      result.stdout,
      [...names.map((n) => `${n} Permission denied`), ...names.map((n) => `${n} ok`), ""].join(
        "\n",
      ),
    );
    const locked = await Deno.stat(`${dir}/locked/file`);
    assert.notEqual(locked.mode! & 0o777, 0o600);
    const open = await Deno.stat(`${dir}/public`);
    assert.equal(open.mode! & 0o777, 0o640);
    assert.equal(open.uid, Deno.uid());
    assert.equal(open.gid, Deno.gid());
    assert.equal(open.mtime?.getTime(), 2000000000 * 1000);
  });
});

Deno.test("a path walk and list deny is invisible: stat fails with ENOENT and listings leave it out (3.59)", async () => {
  await withDir(async (dir) => {
    const on = [
      "-m",
      "sandbox/stat,readdir,walk,list:on",
      "-m",
      "allow/stat,readdir,walk,list+/***",
      "-m",
      `deny/walk,list+${dir}/secret`,
    ];
    const script =
      `test -e ${dir}/secret && echo visible || echo hidden; test -e ${dir}/public && echo public; ls -a ${dir}`;
    const result = await runSyd([...BASE, ...on, "--", "sh", "-c", script], {
      env: { SYD_LOG: "error" },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "hidden\npublic\n.\n..\npublic\n");
    const python = `
import os, sys
for call in (os.stat, os.lstat, lambda p: os.access(p, os.R_OK) or (_ for _ in ()).throw(FileNotFoundError())):
    try:
        call(sys.argv[1] + "/secret")
        print("found")
    except FileNotFoundError:
        print("ENOENT")
print(os.stat(sys.argv[1] + "/public").st_size, os.access(sys.argv[1] + "/public", os.R_OK))
os.symlink("public", sys.argv[1] + "/link")
print(os.readlink(sys.argv[1] + "/link"), sorted(os.listdir(sys.argv[1])))
`;
    const more = await runSyd([...BASE, ...on, "--", "python3", "-c", python, dir], {
      env: { SYD_LOG: "error" },
    });
    assert.equal(more.code, 0, more.stderr);
    assert.equal(more.stdout, "ENOENT\nENOENT\nENOENT\n7 True\npublic ['link', 'public']\n");
  });
});

Deno.test("walk hides what lies beyond a denied directory, a link through it included; stat denies with EACCES and lists (3.59)", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/hid`);
    await Deno.writeTextFile(`${dir}/hid/f`, "f\n");
    await Deno.symlink(`${dir}/hid`, `${dir}/way`);
    const walk = await runSyd([
      ...BASE,
      "-m",
      "sandbox/walk,read:on",
      "-m",
      "allow/walk,read+/***",
      "-m",
      `deny/walk+${dir}/hid`,
      "--",
      "sh",
      "-c",
      `cat ${dir}/hid/f; cat ${dir}/way/f; ls ${dir}`,
    ]);
    assert.equal(walk.stdout, "hid\npublic\nsecret\nway\n");
    assert.match(withoutRecords(walk.stderr), /cat: .*hid\/f: No such file or directory\n/);
    assert.match(withoutRecords(walk.stderr), /cat: .*way\/f: No such file or directory\n/);
    assert.equal(records(walk.stderr).filter((r) => r.cap === "walk").length, 2);
    const stat = await runSyd([
      ...BASE,
      "-m",
      "sandbox/stat:on",
      "-m",
      "allow/stat+/***",
      "-m",
      `deny/stat+${dir}/secret`,
      "--",
      "python3",
      "-c",
      `import os\ntry: os.stat("${dir}/secret")\nexcept OSError as e: print(e.strerror)\nprint(sorted(os.listdir("${dir}")))`,
    ], { env: { SYD_LOG: "error" } });
    assert.equal(stat.stdout, "Permission denied\n['hid', 'public', 'secret', 'way']\n");
  });
});

Deno.test("readdir, chdir and mktemp are judged", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/closed`);
    const on = ["-m", "sandbox/readdir,chdir,mktemp:on", "-m", "allow/readdir,chdir,mktemp+/***"];
    const deny = ["-m", `deny/readdir,chdir,mktemp+${dir}/closed`];
    const script = `${ATTEMPT}
d = sys.argv[1] + "/closed"
attempt("listdir", lambda: os.listdir(d))
attempt("chdir", lambda: os.chdir(d))
attempt("tmpfile", lambda: os.close(os.open(d, os.O_TMPFILE | os.O_WRONLY, 0o600)))
attempt("listdir-open", lambda: os.listdir(sys.argv[1]))
`;
    const result = await runSyd([...BASE, ...on, ...deny, "--", "python3", "-c", script, dir], {
      env: { SYD_LOG: "error" },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      "listdir Permission denied\nchdir Permission denied\ntmpfile Permission denied\nlistdir-open ok\n",
    );
  });
});

Deno.test("a C project builds under the paludis profile, and writing outside its places fails", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-build-" })); // under /tmp
  // /etc is no build place: paludis allows no write there (root could write it natively).
  const outside = `/etc/.syd-paludis-test-${crypto.randomUUID()}`;
  try {
    for (const name of ["Makefile", "main.c", "greet.c", "greet.h"]) {
      await Deno.copyFile(`${ROOT}tests/fixtures/hello/${name}`, `${dir}/${name}`);
    }
    const build = await runSyd(["-p", "paludis", "--", "make", "-C", dir], {
      env: { SYD_LOG: "error" },
    });
    assert.equal(build.code, 0, build.stderr);
    const run = await runSyd(["-p", "paludis", "--", `${dir}/hello`]);
    assert.equal(run.stdout, "hello, syd\n");
    const write = await runSyd(["-p", "paludis", "--", "sh", "-c", `echo x > ${outside}`], {
      env: { SYD_LOG: "error" },
    });
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /Permission denied/);
    await assert.rejects(Deno.stat(outside), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(outside).catch(() => {});
  }
});

Deno.test("an O_RDONLY|O_TRUNC open is judged for truncate; O_CREAT of an existing file for write only", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "syd-trunc-" });
  try {
    Deno.writeTextFileSync(`${dir}/keep`, "hello\n");
    const script = [
      "import os, errno",
      `p = ${JSON.stringify(`${dir}/keep`)}`,
      "try:",
      "    os.close(os.open(p, os.O_RDONLY | os.O_TRUNC))",
      "    print('truncated')",
      "except OSError as e:",
      "    print(errno.errorcode[e.errno])",
      "print(open(p).read().strip())",
      "with open('/dev/null', 'w') as f: f.write('x')", // O_CREAT|O_TRUNC of an existing file
      "print('devnull ok')",
    ].join("\n");
    const result = await runSyd([
      "-m",
      "sandbox/all,fs,ioctl:off",
      "-m",
      "sandbox/read,write,create,truncate:on",
      "-m",
      "allow/read+/***",
      "-m",
      "allow/write+/dev/null",
      "-m",
      "allow/truncate+/dev/null",
      "--",
      "python3",
      "-c",
      script,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "EACCES\nhello\ndevnull ok\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("names grant nothing new: link, rename and exchange never give a read-denied file a readable name", async () => {
  await withDir(async (dir) => {
    const policy = (on: string) => [
      "-poff",
      "-m",
      `sandbox/${on}:on`,
      "-m",
      `allow/${on}+/***`,
      "-m",
      `deny/read+${dir}/secret`,
    ];
    const judged = await runSyd([...policy("read,rename"), "--", helper("names_expose"), dir]);
    assert.equal(judged.code, 0, judged.stderr);
    assert.equal(
      judged.stdout,
      "link=EACCES\nrename=EACCES\nexchange=EACCES\nread_public=public\n",
      judged.stderr,
    );
    assert.ok(
      records(judged.stderr).some((r) => r.cap === "read" && r.path === `${dir}/alias`),
      judged.stderr,
    );
    // Where read sandboxing does not judge the names, the same calls go through: the helper
    // does what it says.
    const unjudged = await runSyd([...policy("rename"), "--", helper("names_expose"), dir]);
    assert.equal(unjudged.code, 0, unjudged.stderr);
    assert.match(unjudged.stdout, /^link=OK\nread_alias=secret\nrename=OK\nread_moved=secret\n/);
  });
});

Deno.test("names grant nothing new below a renamed directory: its read-denied entries keep their denial", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/d/sub`, { recursive: true });
    await Deno.writeTextFile(`${dir}/d/sub/secret`, "deep secret\n");
    await Deno.writeTextFile(`${dir}/d/open`, "open\n");
    await Deno.mkdir(`${dir}/plain`);
    await Deno.writeTextFile(`${dir}/plain/open`, "open\n");
    const policy = [
      "-poff",
      "-m",
      "sandbox/read,rename:on",
      "-m",
      "allow/read,rename+/***",
      "-m",
      `deny/read+${dir}/d/sub/secret`,
    ];
    const script = `mv ${dir}/d ${dir}/e; echo "mv=$?"; cat ${dir}/e/sub/secret; ` +
      `mv ${dir}/plain ${dir}/moved && cat ${dir}/moved/open`;
    const result = await runSyd([...policy, "--", "sh", "-c", script]);
    assert.equal(withoutRecords(result.stdout), "mv=1\nopen\n", result.stderr);
    assert.ok(
      records(result.stderr).some((r) => r.cap === "read" && r.path === `${dir}/e/sub/secret`),
      result.stderr,
    );
    await Deno.stat(`${dir}/d/sub/secret`); // still where it was
  });
});

Deno.test("inotify_add_watch and fanotify_mark are judged for stat: a denied file cannot be watched (EACCES), an allowed one is", async () => {
  await withDir(async (dir) => {
    const open = await runSyd(["-poff", "--", helper("reach_watch"), dir]);
    assert.equal(open.code, 0, open.stderr);
    assert.match(open.stdout, /inotify_secret=OK\n/);
    const result = await runSyd([
      "-poff",
      "-m",
      "sandbox/stat,write:on",
      "-m",
      "allow/stat,write+/***",
      "-m",
      `deny/stat+${dir}/secret`,
      "--",
      helper("reach_watch"),
      dir,
    ], { env: { SYD_LOG: "error" } });
    assert.equal(result.code, 0, result.stderr);
    const fanotify = /fanotify_init=/.test(open.stdout)
      ? ""
      : "fanotify_public=OK\nfanotify_secret=EACCES\n";
    assert.equal(
      result.stdout,
      `inotify_public=OK\ninotify_secret=EACCES\n${fanotify}event=public\n`,
    );
  });
});

Deno.test("getxattr and listxattr are judged for stat and read: a denied path is refused with EACCES", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/other`, "other\n");
    for (const name of ["public", "secret", "other"]) {
      const set = await run("python3", [
        "-c",
        `import os, sys; os.setxattr(sys.argv[1], "user.k", b"v")`,
        `${dir}/${name}`,
      ]);
      assert.equal(set.code, 0, set.stderr);
    }
    const script = `import os, sys
for name in ("public", "secret", "other", "missing"):
    path = sys.argv[1] + "/" + name
    for call in (lambda: os.getxattr(path, "user.k"), lambda: os.listxattr(path),
                 lambda: os.getxattr(path, "user.k", follow_symlinks=False)):
        try:
            print(name, call())
        except OSError as e:
            print(name, e.strerror)
`;
    const result = await runSyd([
      "-poff",
      "-m",
      "sandbox/stat,read:on",
      "-m",
      "allow/stat,read+/***",
      "-m",
      `deny/stat+${dir}/secret`,
      "-m",
      `deny/read+${dir}/other`,
      "--",
      "python3",
      "-c",
      script,
      dir,
    ], { env: { SYD_LOG: "error" } });
    assert.equal(result.code, 0, result.stderr);
    const lines = (name: string, answers: string[]) =>
      answers.map((a) => `${name} ${a}\n`).join("");
    assert.equal(
      result.stdout,
      lines("public", ["b'v'", "['user.k']", "b'v'"]) +
        lines("secret", Array(3).fill("Permission denied")) +
        lines("other", Array(3).fill("Permission denied")) +
        lines("missing", Array(3).fill("No such file or directory")),
    );
  });
});

Deno.test("readlink of a path that is no symlink fails with EINVAL under stat sandboxing, as natively: realpath works", async () => {
  const args = [
    "-m",
    "sandbox/all,fs,ioctl:off",
    "-m",
    "sandbox/stat:on",
    "-m",
    "allow/stat+/***",
    "--",
  ];
  const readlink = await runSyd([...args, "readlink", "-v", "/var"]);
  assert.equal(readlink.code, 1);
  assert.match(readlink.stderr, /readlink: \/var: Invalid argument/);
  await withDir(async (dir) => {
    await Deno.symlink(`${dir}/public`, `${dir}/link`);
    const real = await runSyd([...args, "realpath", `${dir}/link`]);
    assert.equal(real.code, 0, real.stderr);
    assert.equal(real.stdout, `${dir}/public\n`);
  });
});

Deno.test("readlink of /proc/self and /proc/thread-self names the caller, never syd: realpath /proc/self/exe works", async () => {
  const args = [
    "-m",
    "sandbox/all,fs,ioctl:off",
    "-m",
    "sandbox/stat:on",
    "-m",
    "allow/stat+/***",
    "--",
  ];
  const script = `
import os, threading
print(os.readlink("/proc/self") == str(os.getpid()))
print(os.readlink("/proc/thread-self") == f"{os.getpid()}/task/{threading.get_native_id()}")
`;
  const links = await runSyd([...args, "python3", "-c", script]);
  assert.equal(links.code, 0, links.stderr);
  assert.equal(links.stdout, "True\nTrue\n");
  const real = await runSyd([...args, "realpath", "/proc/self/exe"]);
  assert.equal(real.code, 0, real.stderr);
  assert.equal(real.stdout, `${await Deno.realPath("/usr/bin/realpath")}\n`);
});

Deno.test("an open of a path walk hides answers ENOENT, as its stat does; one denied for stat or read EACCES (3.59)", async () => {
  await withDir(async (dir) => {
    const policy = (denied: string) => [
      "-poff",
      "-m",
      "sandbox/stat,read,walk:on",
      "-m",
      "allow/stat,read,walk+/***",
      "-m",
      `deny/${denied}+${dir}/secret`,
    ];
    const stat = await runSyd([...policy("stat"), "--", "cat", `${dir}/secret`]);
    assert.match(withoutRecords(stat.stderr), /cat: .*secret: Permission denied/);
    const hidden = await runSyd([...policy("walk"), "--", "cat", `${dir}/secret`]);
    assert.equal(hidden.code, 1);
    assert.match(withoutRecords(hidden.stderr), /cat: .*secret: No such file or directory/);
    const visible = await runSyd([...policy("read"), "--", "cat", `${dir}/secret`]);
    assert.equal(visible.code, 1);
    assert.match(withoutRecords(visible.stderr), /cat: .*secret: Permission denied/);
  });
});

Deno.test("records name the program of the first exec (not a syd thread) and the kernel's syscall names", async () => {
  await withDir(async (dir) => {
    await Deno.copyFile("/bin/true", `${dir}/denied-prog`);
    const exec = await runSyd([
      "-m",
      "sandbox/all,fs,ioctl:off",
      "-m",
      "sandbox/exec:on",
      "-m",
      "allow/exec+/***",
      "-m",
      `deny/exec+${dir}/denied-prog`,
      "--",
      `${dir}/denied-prog`,
    ]);
    assert.equal(exec.code, 13, exec.stderr);
    const denial = records(exec.stderr).find((r) => r.cap === "exec");
    assert.equal(denial?.cmd, "denied-prog", exec.stderr);
    const stat = await runSyd([
      "-poff",
      "-m",
      "sandbox/stat:on",
      "-m",
      "allow/stat+/***",
      "-m",
      `deny/stat+${dir}/secret`,
      "--",
      "python3",
      "-c",
      `import os\ntry:\n    os.stat("${dir}/secret")\nexcept OSError as e:\n    print(e.errno)`,
    ]);
    assert.equal(stat.stdout, "13\n", stat.stderr);
    assert.equal(
      records(stat.stderr).find((r) => r.cap === "stat")?.sys,
      "newfstatat",
      stat.stderr,
    );
  });
});

Deno.test("a pipe reached through /dev/fd, /dev/stdin or /proc/self/fd opens under read sandboxing (process substitution)", async () => {
  // `>` opens with O_CREAT, which follows no symlink in the last component unless
  // trace/allow_unsafe_create:1 (fs_hardening_test.ts), as the original.
  const policy = [
    "-poff",
    "-m",
    "sandbox/read,write:on",
    "-m",
    "allow/read,write+/***",
    "-m",
    "trace/allow_unsafe_create:1",
  ];
  const script = "cat <(echo one); echo two | cat /dev/stdin; echo three | cat /proc/self/fd/0; " +
    "exec 3>&1; echo four >/proc/self/fd/3";
  const result = await runSyd([...policy, "--", "bash", "-c", script]);
  assert.equal(result.stderr, "");
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "one\ntwo\nthree\nfour\n");
});

Deno.test("a pipe reached through /dev/fd stats and diffs under stat sandboxing (the object the fd holds)", async () => {
  const policy = ["-poff", "-m", "sandbox/read,stat:on", "-m", "allow/read,stat+/***"];
  const script = "diff <(echo same) <(echo same) && echo equal; stat -L -c %F <(echo x); " +
    "test -r <(echo) && echo readable; sleep 3 > >(cat) & p=$!; sleep 0.3; " +
    "stat -L -c %F /proc/$p/fd/1 2>&1 | sed 's/.*: //'; kill $p";
  const result = await runSyd([...policy, "--", "bash", "-c", script]);
  assert.equal(result.stdout, "equal\nfifo\nreadable\nPermission denied\n", result.stderr);
});

Deno.test("another process's fd magic link answers EACCES, as the original (trace/allow_unsafe_magiclinks off)", async () => {
  const policy = ["-poff", "-m", "sandbox/read:on", "-m", "allow/read+/***"];
  const script = "sleep 3 > >(cat) & p=$!; sleep 0.3; cat /proc/$p/fd/1 2>&1; echo rc=$?; kill $p";
  const result = await runSyd([...policy, "--", "bash", "-c", script]);
  assert.match(result.stdout, /Permission denied\nrc=1\n/);
});

Deno.test("creating, removing or renaming `.`, `..` or `/` fails with the kernel's errno, and nothing moves", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-dots-" }));
  try {
    const script = `
import os
def t(name, f):
    try: f(); print(name, "ok")
    except OSError as e: print(name, os.strerror(e.errno))
os.chdir(${JSON.stringify(dir)}); os.mkdir("dir"); open("src", "w").close()
t("rename-new-dot", lambda: os.rename("src", "dir/."))
t("rename-new-dotdot", lambda: os.rename("src", "dir/.."))
t("rename-old-dot", lambda: os.rename("dir/.", "x"))
t("rename-root", lambda: os.rename("src", "/"))
t("unlink-dot", lambda: os.unlink("dir/."))
t("rmdir-dot", lambda: os.rmdir("dir/."))
t("rmdir-dotdot", lambda: os.rmdir("dir/.."))
t("rmdir-root", lambda: os.rmdir("/"))
t("mkdir-dot", lambda: os.mkdir("dir/."))
t("mkdir-missing-parent", lambda: os.mkdir("nope/."))
t("link-dot", lambda: os.link("src", "dir/."))
t("symlink-dotdot", lambda: os.symlink("src", "dir/.."))
t("mknod-dot", lambda: os.mknod("dir/."))
print(sorted(os.listdir(".")))
`;
    const native = await run("python3", ["-c", script]);
    await Deno.remove(`${dir}/dir`);
    await Deno.remove(`${dir}/src`);
    const result = await runSyd([
      "-poff",
      "-m",
      "sandbox/all:on",
      "-m",
      "allow/all+/***",
      "--",
      "python3",
      "-c",
      script,
    ]);
    assert.equal(result.stdout, native.stdout);
    assert.match(result.stdout, /rename-old-dot Device or resource busy\n/);
    assert.match(result.stdout, /rmdir-dot Invalid argument\nrmdir-dotdot Directory not empty\n/);
    assert.match(result.stdout, /\['dir', 'src'\]\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fs sandboxing judges opens by the filesystem type of what they open: -p fs allows files, not sysfs when denied", async () => {
  const policy = ["-poff", "-m", "sandbox/fs:on", "-m", "allow/fs+all", "-m", "deny/fs+sysfs"];
  const result = await runSyd([
    ...policy,
    "--",
    "sh",
    "-c",
    "cat /etc/hostname >/dev/null && echo file; cat /sys/kernel/mm/transparent_hugepage/enabled >/dev/null 2>&1 || echo sysfs-denied",
  ]);
  assert.equal(result.stdout, "file\nsysfs-denied\n");
  const denial = records(result.stderr).find((r) => r.cap === "fs");
  assert.equal(denial?.fs, "0x62656572");
  assert.equal(denial?.rule, "-m#3");
  const profile = await runSyd(["-pfs", "-m", "allow/all+/***", "--", "cat", "/etc/hostname"]);
  assert.equal(profile.code, 0, profile.stderr);
});

Deno.test("walk hides a directory from a cwd inside it and through a renamed parent (found by review)", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/d/hidden`, { recursive: true });
    await Deno.writeTextFile(`${dir}/d/hidden/secret`, "SECRET\n");
    const policy = [
      "-poff",
      "-m",
      "sandbox/walk,read,stat:on",
      "-m",
      "allow/walk,read,stat+/***",
      "-m",
      `deny/walk+${dir}/d/hidden`,
    ];
    const inside = await runSyd([...policy, "--", "cat", "secret"], { cwd: `${dir}/d/hidden` });
    assert.doesNotMatch(inside.stdout, /SECRET/);
    assert.match(inside.stderr, /No such file or directory/);
    for (const extra of [[], ["-m", "sandbox/rename:on", "-m", "allow/rename+/***"]]) {
      const moved = await runSyd([
        ...policy,
        ...extra,
        "--",
        "sh",
        "-c",
        `cd ${dir} && mv d d2 2>/dev/null; cat d2/hidden/secret 2>/dev/null; ls`,
      ]);
      assert.doesNotMatch(moved.stdout, /SECRET/);
      assert.match(moved.stdout, /^d$/m);
    }
  });
});

Deno.test("a symlink named with a trailing slash is not followed by rmdir, rename, unlink or mkdir, as the kernel (found by review)", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-slash-" }));
  try {
    const script = `
import os
def t(name, f):
    try: f(); print(name, "ok")
    except OSError as e: print(name, os.strerror(e.errno))
os.chdir(${JSON.stringify(dir)})
os.mkdir("tdir"); os.mkdir("tdir2"); os.symlink("tdir", "ld"); os.symlink("tdir2", "ld2"); os.symlink("gone", "dl")
t("rmdir", lambda: os.rmdir("ld/"))
t("rename", lambda: os.rename("ld2/", "moved"))
t("unlinkat", lambda: os.rmdir("ld2/"))
t("mkdir", lambda: os.mkdir("dl/"))
print(sorted(os.listdir(".")))
`;
    const native = await run("python3", ["-c", script]);
    for (const name of ["tdir", "tdir2", "ld", "ld2", "dl", "moved", "gone"]) {
      await Deno.remove(`${dir}/${name}`, { recursive: true }).catch(() => {});
    }
    const policy = ["-poff", "-m", "sandbox/delete,rmdir,rename,mkdir:on"];
    policy.push("-m", "allow/delete,rmdir,rename,mkdir+/***");
    const result = await runSyd([...policy, "--", "python3", "-c", script]);
    assert.equal(result.stdout, native.stdout);
    assert.match(result.stdout, /rmdir Not a directory\n/);
    assert.match(result.stdout, /\['dl', 'ld', 'ld2', 'tdir', 'tdir2'\]\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rename of '.' answers as the kernel in its order: EXDEV across mounts, EBUSY, EEXIST with RENAME_NOREPLACE; O_CREAT|O_DIRECTORY EINVAL", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-rename-" }));
  try {
    const script = `
import os, ctypes
libc = ctypes.CDLL(None, use_errno=True)
def r2(a, b, f):
    rc = libc.renameat2(-100, a.encode(), -100, b.encode(), f)
    return "ok" if rc == 0 else os.strerror(ctypes.get_errno())
os.chdir(${JSON.stringify(dir)}); os.mkdir("dir"); open("src", "w").close()
print(r2("src", "dir/.", 1), r2("src", "dir/.", 0), r2("src", "/proc/.", 0), r2("dir/.", "x", 0), sep=", ")
try: os.open("newdir", os.O_CREAT | os.O_DIRECTORY | os.O_RDONLY)
except OSError as e: print(e.strerror, os.path.exists("newdir"))
`;
    const result = await runSyd([
      "-poff",
      "-m",
      "sandbox/rename,create,read:on",
      "-m",
      "allow/rename,create,read+/***",
      "--",
      "python3",
      "-c",
      script,
    ]);
    assert.equal(
      result.stdout,
      "File exists, Device or resource busy, Invalid cross-device link, Device or resource busy\n" +
        "Invalid argument False\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rename judges its new name as the original: create or mkdir where it is new, delete or rmdir too where it replaces", async () => {
  await withDir(async (dir) => {
    const script = `
${PY_ATTEMPT}d = sys.argv[1]
for name in ["srcfile", "dummy", "target", "other"]:
    open(f"{d}/{name}", "w").write(name)
os.mkdir(f"{d}/srcdir")
os.mkdir(f"{d}/otherdir")
os.mkdir(f"{d}/victimdir")
attempt("new file", lambda: os.rename(f"{d}/srcfile", f"{d}/newname"))
attempt("replace file", lambda: os.rename(f"{d}/dummy", f"{d}/target"))
attempt("new dir", lambda: os.rename(f"{d}/srcdir", f"{d}/newdir"))
attempt("replace dir", lambda: os.rename(f"{d}/otherdir", f"{d}/victimdir"))
attempt("allowed", lambda: os.rename(f"{d}/other", f"{d}/moved"))
print(open(f"{d}/target").read())
`;
    const rules = [
      "-m",
      "sandbox/rename,create,delete,mkdir,rmdir:on",
      "-m",
      "allow/rename,create,delete,mkdir,rmdir+/***",
      "-m",
      `deny/create+${dir}/newname`,
      "-m",
      `deny/delete+${dir}/target`,
      "-m",
      `deny/mkdir+${dir}/newdir`,
      "-m",
      `deny/rmdir+${dir}/victimdir`,
    ];
    const result = await runSyd([...BASE, ...rules, "--", "python3", "-c", script, dir], {
      env: { SYD_LOG: "warn" },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      "new file EACCES\nreplace file EACCES\nnew dir EACCES\nreplace dir EACCES\nallowed OK\ntarget\n",
    );
    const caps = records(result.stderr).filter((r) => r.ctx === "access").map((r) => r.cap);
    assert.deepEqual(caps, ["create", "delete", "mkdir", "rmdir"]);
  });
});

Deno.test("a trailing slash on a name to create wants a directory, as the kernel: link, symlink, mknod ENOENT, rename of a file ENOTDIR, O_CREAT EISDIR", async () => {
  const script = `
${PY_ATTEMPT}os.chdir(sys.argv[1])
open("a", "w").close()
os.mkdir("d")
attempt("link a b/", lambda: os.link("a", "b/"))
attempt("link a d/", lambda: os.link("a", "d/"))
attempt("rename a c/", lambda: os.rename("a", "c/"))
attempt("rename d e/", lambda: os.rename("d", "e/"))
attempt("symlink a s/", lambda: os.symlink("a", "s/"))
attempt("mkdir m/", lambda: os.mkdir("m/"))
attempt("mknod n/", lambda: os.mknod("n/"))
attempt("creat o/", lambda: os.open("o/", os.O_CREAT | os.O_WRONLY))
print(sorted(os.listdir(".")))
`;
  const expected =
    "link a b/ ENOENT\nlink a d/ EEXIST\nrename a c/ ENOTDIR\nrename d e/ OK\nsymlink a s/ ENOENT\n" +
    "mkdir m/ OK\nmknod n/ ENOENT\ncreat o/ EISDIR\n['a', 'e', 'm']\n";
  for (const sandboxed of [false, true]) {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "syd-slash-" }));
    try {
      const policy = [
        "-poff",
        "-m",
        "sandbox/rename,create,mkdir,symlink:on",
        "-m",
        "allow/rename,create,mkdir,symlink+/***",
      ];
      const result = sandboxed
        ? await runSyd([...policy, "--", "python3", "-c", script, dir])
        : await run(PYTHON, ["-c", script, dir]);
      assert.equal(
        result.stdout,
        expected,
        `${sandboxed ? "under syd" : "natively"}:\n${result.stderr}`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("with rename sandboxing off, a rename or link is still judged for the names it creates and removes (found by review)", async () => {
  await withDir(async (dir) => {
    const script = `
${PY_ATTEMPT}os.chdir(sys.argv[1])
for name in ["a", "b", "target", "x"]:
    open(name, "w").write(name)
os.mkdir("dd")
attempt("replace", lambda: os.rename("a", "target"))
attempt("move away", lambda: os.rename("target", "moved"))
attempt("new", lambda: os.rename("b", "newname"))
attempt("new dir", lambda: os.rename("dd", "newdir"))
attempt("link", lambda: os.link("x", "newlink"))
attempt("link ok", lambda: os.link("x", "ok"))
attempt("rename ok", lambda: os.rename("x", "ok2"))
print(open("target").read())
`;
    const result = await runSyd([
      ...BASE,
      "-m",
      "sandbox/create,delete,mkdir:on",
      "-m",
      "allow/create,delete,mkdir+/***",
      "-m",
      `deny/delete+${dir}/target`,
      "-m",
      `deny/create,mkdir+${dir}/new*`,
      "--",
      "python3",
      "-c",
      script,
      dir,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      "replace EACCES\nmove away EACCES\nnew EACCES\nnew dir EACCES\nlink EACCES\nlink ok OK\n" +
        "rename ok OK\ntarget\n",
    );
  });
});

Deno.test("linkat with AT_EMPTY_PATH names an O_TMPFILE file, its new name judged for create", async () => {
  await withDir(async (dir) => {
    const script = `${PY_ATTEMPT}import ctypes
os.chdir(sys.argv[1])
fd = os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o600)
os.write(fd, b"tmp")
libc = ctypes.CDLL(None, use_errno=True)
def link(name):
    if libc.linkat(fd, b"", -100, name.encode(), 0x1000) != 0:
        raise OSError(ctypes.get_errno(), "linkat")
attempt("linked", lambda: link("linked"))
attempt("denied", lambda: link("denied"))
print(open("linked").read())
`;
    const result = await runSyd([
      ...BASE,
      "-m",
      "sandbox/create,write,read,mktemp:on",
      "-m",
      "allow/create,write,read,mktemp+/***",
      "-m",
      `deny/create+${dir}/denied`,
      "--",
      "python3",
      "-c",
      script,
      dir,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "linked OK\ndenied EACCES\ntmp\n");
  });
});

Deno.test("RENAME_WHITEOUT's device node is judged for mkcdev, and an fd linked by AT_EMPTY_PATH keeps its name's denials (found by review)", async () => {
  await withDir(async (dir) => {
    const script = `${PY_ATTEMPT}import ctypes
os.chdir(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
def call(rc):
    if rc != 0:
        raise OSError(ctypes.get_errno(), "call")
open("a", "w").close()
attempt("whiteout", lambda: call(libc.renameat2(-100, b"a", -100, b"b", 4)))
fd = os.open("secret", os.O_PATH)
attempt("alias", lambda: call(libc.linkat(fd, b"", -100, b"alias", 0x1000)))
attempt("plain", lambda: call(libc.linkat(-100, b"public", -100, b"copy", 0x1000)))
print(sorted(os.listdir(".")))
`;
    const result = await runSyd([
      ...BASE,
      "-m",
      "sandbox/write,rename,create,delete,mkcdev:on",
      "-m",
      "allow/write,rename,create,delete+/***",
      "-m",
      `deny/write+${dir}/secret`,
      "--",
      "python3",
      "-c",
      script,
      dir,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      "whiteout EACCES\nalias EACCES\nplain OK\n['a', 'copy', 'public', 'secret']\n",
    );
  });
});

Deno.test("the linux profile opens /proc/thread-self and /proc/self/task/TID entries, judged as /proc/self/task/TID, and not /proc/self/maps (as the original)", async () => {
  const script = "read a </proc/thread-self/comm && echo comm=$a; " +
    "read b </proc/$$/task/$$/stat && echo stat=${b%% *}; " +
    "ls /proc/thread-self/fd >/dev/null && echo fd-listed; " +
    "cat /proc/self/maps >/dev/null 2>&1 || echo maps-denied";
  const result = await runSyd([
    "-p",
    "linux",
    "-m",
    "sandbox/lock:off",
    "--",
    "bash",
    "-c",
    script,
  ]);
  assert.match(result.stdout, /^comm=bash\nstat=\d+\nfd-listed\nmaps-denied\n$/, result.stderr);
  const denial = records(result.stderr).find((r) => String(r.path).includes("maps"));
  assert.equal(denial?.path, "/proc/self/maps", result.stderr);
});

Deno.test("another thread's own /proc/TID is not the caller's /proc/self: the linux profile refuses it, /proc/self/task/TID opens", async () => {
  const prefix = PYTHON.split("/").slice(0, -2).join("/");
  const script = `import threading
ev = threading.Event(); t = threading.Thread(target=ev.wait); t.start()
for p in ["/proc/self/task/%d/comm" % t.native_id, "/proc/%d/comm" % t.native_id]:
    try: open(p).read(); print("ok")
    except OSError as e: print(e.errno)
ev.set()
`;
  const result = await runSyd([
    "-p",
    "linux",
    "-m",
    "sandbox/lock:off",
    "-m",
    `allow/read,stat,list,readdir,readlink,exec,chdir,walk+${prefix}/***`,
    "--",
    "python3",
    "-c",
    script,
  ]);
  assert.equal(result.stdout, "ok\n13\n", result.stderr);
});
