/**
 * Attacks on the container form's filesystem view (`unshare/user,mount,pid`, `root:DIR`,
 * `bind+...`) by a hostile program inside it: reaching or changing host files outside DIR and
 * outside the binds, or writing through a read-only bind. `..` from the root, fds and the cwd;
 * symlinks planted in the root, a tmpfs bind and a host directory bind; /proc magic links;
 * openat2's RESOLVE flags; rename, link, symlink, mknod and unlink across mounts; UNIX sockets
 * bound and connected at paths (syd performs these); exec of a host-only file; the mount API,
 * pivot_root, unshare and setns; a symlink swap race; writes under /sys and /proc/sys; uid 0 of
 * the namespace against an unmapped host user's files. Each runs twice: `-p off` (the kernel
 * answers, but syd still performs the stat calls) and with every category on and allowed (syd
 * performs the calls through /proc/TID/root). Helper: tests/helpers/attack_ns_fs.c (modes in its
 * header; `NAME=stopped|WON DETAIL` per attack).
 *
 * Four weaknesses were found and are kept as ignored tests (marked FINDING below): the stat
 * calls syd performs show the host's owner ids, not the namespace's (1000 where the kernel shows
 * 65534); syd's own path walk follows symlinks on a `nosymfollow` bind (the original's does
 * too); a /proc listing syd performs shows the init that hidepid hides from the caller; and the
 * container's root, being the host's root, leaves set-user-ID root files in a rw host bind (the
 * original's too). These tests need root (a root map, files of another user).
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { containerArgs, helper, type Outcome, runSyd, tempDir, withoutRecords } from "./_syd.ts";

const ATTACK = helper("attack_ns_fs");
const ROOT_ONLY = Deno.uid() !== 0;
const SIGSYS_CODE = 128 + 31;
const MARK = "outside-secret-01\n";
/** syd performs every call: each category on, everything allowed. */
const EMULATED = [
  "-m",
  "sandbox/all:on",
  "-m",
  "allow/all+/***",
  "-m",
  "allow/create+!pipe",
  "-m",
  "allow/net/bind,net/connect+/***",
];
const MODES: [string, string[]][] = [["kernel", []], ["emulated", EMULATED]];

/**
 * The host side: H holding OUTSIDE_MARK, hostonly (a script), hostsock (listening), rodir/file,
 * rwdir/ and root/ (the new root: dev, proc, tmp, usr, etc, ro, rw, h, sys, links bin, lib,
 * lib64); with `foreign`, rwdir also holds an unmapped user's (1000) u1000 (0600), p1000 (0644)
 * and d1000/ (0755) holding victim, and root's mine0.
 */
interface Host {
  dir: string;
  listener: Deno.Listener;
}

function host(foreign = false): Host {
  const dir = tempDir("syd-nsfs-");
  Deno.chmodSync(dir, 0o755);
  const root = `${dir}/root`;
  for (const sub of ["dev", "proc", "tmp", "usr", "etc", "ro", "rw", "h", "sys"]) {
    Deno.mkdirSync(`${root}/${sub}`, { recursive: true });
  }
  for (const name of ["bin", "lib", "lib64"]) Deno.symlinkSync(`usr/${name}`, `${root}/${name}`);
  Deno.mkdirSync(`${dir}/rodir`);
  Deno.mkdirSync(`${dir}/rwdir`);
  Deno.writeTextFileSync(`${dir}/OUTSIDE_MARK`, MARK);
  Deno.writeTextFileSync(`${dir}/rodir/file`, "ro\n");
  Deno.writeTextFileSync(`${dir}/hostonly`, "#!/bin/sh\necho hostonly-ran\n");
  Deno.chmodSync(`${dir}/hostonly`, 0o755);
  if (foreign) {
    const rw = `${dir}/rwdir`;
    Deno.writeTextFileSync(`${rw}/u1000`, "private\n");
    Deno.chmodSync(`${rw}/u1000`, 0o600);
    Deno.writeTextFileSync(`${rw}/p1000`, "pub\n");
    Deno.chmodSync(`${rw}/p1000`, 0o644);
    Deno.mkdirSync(`${rw}/d1000`);
    Deno.chmodSync(`${rw}/d1000`, 0o755);
    Deno.writeTextFileSync(`${rw}/d1000/victim`, "v\n");
    Deno.writeTextFileSync(`${rw}/mine0`, "mine\n");
    for (const name of ["u1000", "p1000", "d1000", "d1000/victim"]) {
      Deno.chownSync(`${rw}/${name}`, 1000, 1000);
    }
  }
  const listener = Deno.listen({ transport: "unix", path: `${dir}/hostsock` });
  return { dir, listener };
}

async function withHost(foreign: boolean, fn: (dir: string) => Promise<void>): Promise<void> {
  const { dir, listener } = host(foreign);
  try {
    await fn(dir);
  } finally {
    listener.close();
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The container: the new root, /usr and /etc read-only, a tmpfs /tmp, /ro, /rw, /h. */
function container(dir: string, extra: string[] = []): string[] {
  const binds = [`${dir}/rodir:/ro:ro`, `${dir}/rwdir:/rw`, `${dirname(ATTACK)}:/h:ro,exec`];
  return [...containerArgs(`${dir}/root`, binds), ...extra];
}

async function attack(
  dir: string,
  mode: string[],
  args: string[],
  extra: string[] = [],
): Promise<Outcome> {
  return await runSyd([
    "-poff",
    ...mode,
    ...container(dir, extra),
    "--",
    "/h/attack_ns_fs",
    ...args,
  ]);
}

/** `NAME=VERDICT DETAIL` lines: NAME to [VERDICT, DETAIL]. */
function verdicts(result: Outcome): Map<string, [string, string]> {
  const found = new Map<string, [string, string]>();
  for (const line of withoutRecords(result.stdout).split("\n")) {
    const match = /^([a-z0-9_]+)=(stopped|WON) ?(.*)$/.exec(line);
    if (match) found.set(match[1], [match[2], match[3]]);
  }
  return found;
}

function assertAllStopped(result: Outcome, count: number): Map<string, [string, string]> {
  const found = verdicts(result);
  const won = [...found].filter(([, [verdict]]) => verdict !== "stopped");
  assert.deepEqual(won, [], result.stdout);
  assert.equal(found.size, count, result.stdout);
  assert.equal(result.code, 0, result.stderr);
  return found;
}

/** What a directory holds, recursively, as sorted relative names (root/usr and root/etc: not walked). */
function listing(dir: string, prefix = ""): string[] {
  const names: string[] = [];
  for (const entry of Deno.readDirSync(`${dir}/${prefix}`)) {
    const name = `${prefix}${entry.name}`;
    names.push(name);
    const walk = entry.isDirectory && !entry.isSymlink && name !== "root/usr" &&
      name !== "root/etc" && name !== "root/proc" && name !== "root/h";
    if (walk) names.push(...listing(dir, `${name}/`));
  }
  return names.sort();
}

for (const [label, mode] of MODES) {
  Deno.test({
    name: `${label}: no way out of root:DIR, through a read-only bind or out of the binds`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(false, async (dir) => {
        const result = await attack(dir, mode, ["all", dir]);
        const found = assertAllStopped(result, 127);
        const detail = (name: string) => found.get(name)?.[1];
        // Nothing inherited from syd beyond stdio.
        assert.equal(detail("inherited_fds"), "extra=[]");
        // `..` clamps at the root: opened, but the root itself.
        assert.equal(detail("dotdot_root"), "open=0");
        assert.equal(detail("dotdot_root_file"), "open=2");
        assert.equal(detail("chdir_dotdot"), "chdir=0 cwd=/");
        assert.equal(detail("proc_self_root_name"), "root=/");
        assert.equal(detail("proc_1_root"), "open=13"); // the namespace's init is hidden
        assert.equal(detail("proc_mountinfo"), "has_work=0");
        // Links with a host path or `..` past the root: nothing there.
        assert.equal(detail("link_root_l_hostmark"), "symlink=0 open=2 via=2 stat=2");
        assert.equal(detail("link_root_d_dotdot"), "symlink=0 open=0 via=2 stat=2");
        // On the host-dir bind (nosymfollow) the link is not followed at all, as the kernel.
        assert.equal(detail("link_hostbind_l_dotdot"), "symlink=0 open=40 via=40 stat=40");
        assert.equal(detail("openat2_in_root_dotdot"), "open=38"); // openat2 is not offered
        // The read-only bind: EROFS; across mounts: EXDEV (a hard link judged first: EPERM).
        for (const name of ["open_ro_rdwr", "truncate_ro", "unlink_ro", "reopen_opath_rdwr"]) {
          assert.equal(detail(name), "errno=30", name);
        }
        assert.equal(detail("rename_ro_to_rw"), "errno=18");
        assert.match(detail("link_ro_to_rw")!, /^errno=(18|1)$/);
        assert.equal(detail("ro_file_intact"), "content_ok=1");
        // UNIX sockets: bound inside (the host's side is looked at below), never connected out.
        assert.equal(
          detail("unix_bind"),
          "/rw/s_rw:0,/tmp/s_tmp:0,/s_root:0,/../../s_dotdot:0,/ro/s_ro:30,/d_dotdot/s_link:0,",
        );
        assert.equal(detail("unix_roundtrip"), "bind=0 connect=0 stat=0 sock=1");
        assert.match(detail("exec_dotdot")!, /errno=2$/);
        // The mount API and new namespaces: refused (ENOSYS or EPERM); a chroot stays inside.
        for (
          const name of ["mount_tmpfs", "open_tree", "move_mount", "fsopen", "mount_setattr_rw"]
        ) {
          assert.equal(detail(name), "errno=38", name);
        }
        for (const name of ["pivot_root", "unshare_ns", "unshare_user_ns", "setns_1_mnt"]) {
          assert.equal(detail(name), "errno=1", name);
        }
        assert.equal(detail("chroot_dotdot"), "errno=-2");
        assert.equal(detail("clone_newns"), "errno=1");
        assert.equal(detail("clone3_newns"), "errno=38");
        assert.equal(detail("open_by_handle_at"), "errno=38");
        // The host's side: what was made landed in the root or in rwdir, nothing beside them.
        assert.equal(Deno.readTextFileSync(`${dir}/OUTSIDE_MARK`), MARK);
        assert.deepEqual(listing(`${dir}/rodir`), ["file"]);
        assert.equal(Deno.readTextFileSync(`${dir}/rodir/file`), "ro\n");
        const top = listing(dir).filter((name) =>
          !name.startsWith("root/") && !name.startsWith("rwdir/")
        );
        assert.deepEqual(top, [
          "OUTSIDE_MARK",
          "hostonly",
          "hostsock",
          "rodir",
          "rodir/file",
          "root",
          "rwdir",
        ]);
        const made = listing(dir);
        for (
          const name of [
            "root/s_root",
            "root/s_dotdot",
            "root/s_link",
            "rwdir/s_rw",
            "root/fifo_out",
            "root/sym_out",
          ]
        ) {
          assert.ok(made.includes(name), name);
        }
      });
    },
  });

  Deno.test({
    name:
      `${label}: a symlink swapped under open, stat and rename never leaves the root (20,000 rounds)`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(false, async (dir) => {
        const result = await attack(dir, mode, ["race", dir, "20000"]);
        const found = assertAllStopped(result, 3);
        for (const name of ["race_open", "race_stat", "race_rename"]) {
          assert.equal(found.get(name)?.[1], "wins=0", name);
        }
        // The race ran: each call found the real directory some of the time.
        const ok = /^race_ok open=(\d+) stat=(\d+) rename=(\d+)$/m.exec(result.stdout);
        assert.ok(ok && Number(ok[1]) > 0 && Number(ok[2]) > 0 && Number(ok[3]) > 0, result.stdout);
        assert.equal(Deno.readTextFileSync(`${dir}/OUTSIDE_MARK`), MARK);
      });
    },
  });

  Deno.test({
    name: `${label}: a UNIX socket bound under a swapped directory lands inside (20,000 rounds)`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(false, async (dir) => {
        const result = await attack(dir, mode, ["unixrace", dir, "20000"]);
        assert.equal(result.code, 0, result.stderr);
        const ok = /^unixrace_ok bound=(\d+)$/m.exec(result.stdout);
        assert.ok(ok && Number(ok[1]) > 0, result.stdout);
        // Bound through the links, the sockets are in the root (`..` clamped) or in race/d.
        const top = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
        assert.deepEqual(top, ["OUTSIDE_MARK", "hostonly", "hostsock", "rodir", "root", "rwdir"]);
        assert.deepEqual(listing(`${dir}/rwdir`), []);
      });
    },
  });

  Deno.test({
    name: `${label}: uid 0 of the namespace gets nothing of an unmapped host user's files`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(true, async (dir) => {
        const result = await attack(dir, mode, ["dac"]);
        const found = assertAllStopped(result, 17);
        for (const name of ["dac_utimens", "dac_chmod", "dac_chown"]) {
          assert.equal(found.get(name)?.[1], "errno=1", name);
        }
        for (const name of ["dac_read_private", "dac_create", "dac_unlink", "dac_unix_bind"]) {
          assert.equal(found.get(name)?.[1], "errno=13", name);
        }
        assert.deepEqual(listing(`${dir}/rwdir`), [
          "d1000",
          "d1000/victim",
          "mine0",
          "p1000",
          "u1000",
        ]);
        assert.equal(Deno.readTextFileSync(`${dir}/rwdir/p1000`), "pub\n");
      });
    },
  });

  Deno.test({
    // FOUND, FIXED (ids): stat.zig performs stat, statx and fstat (for trusted symlinks and hidden
    // block devices, `-p off` too) and writes the host's st_uid/st_gid into the caller's memory,
    // untranslated into its user namespace: the host's 1000 shows where the kernel (and the
    // original) shows the overflow id 65534.
    name: `${label}: stat shows an unmapped owner as the namespace does (65534)`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(true, async (dir) => {
        const result = await attack(dir, mode, ["ids"]);
        const found = assertAllStopped(result, 3);
        assert.equal(found.get("ids_stat")?.[1], "errno=0 uid=65534 gid=65534");
      });
    },
  });

  Deno.test({
    // FOUND, FIXED (nosymfollow): binds are mounted nosymfollow, and the kernel refuses to follow a
    // link on them (ELOOP), but syd's own walk (path.zig: it reads link bodies and follows them
    // itself, then opens with RESOLVE_NO_SYMLINKS) never asks whether the link's mount is
    // nosymfollow: open, stat (also `-p off`) and the calls syd performs follow it. The target
    // stays beneath the root; the original's walk does the same (observed: `cat /rw/link`).
    name: `${label}: a symlink on a nosymfollow bind is not followed`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(false, async (dir) => {
        const result = await attack(dir, mode, ["nosymfollow"]);
        const found = assertAllStopped(result, 4);
        assert.equal(found.get("nosymfollow_open")?.[1], "symlink=0 open=40");
      });
    },
  });

  Deno.test({
    name: `${label}: /proc names no process but the namespace's own, and no root outside`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(false, async (dir) => {
        const result = await attack(dir, mode, ["pids", "32768"]);
        const found = verdicts(result);
        assert.deepEqual(found.get("pids_stat"), ["stopped", "found=1 seen=2,"]);
        assert.deepEqual(found.get("pids_root"), ["stopped", "outside=0"]);
        assert.deepEqual(found.get("pids_listed"), ["stopped", "listed=2,"]);
      });
    },
  });

  Deno.test({
    // FOUND, FIXED (proc listing): with readdir sandboxing on, dir.zig performs getdents64 itself on
    // its copy of the caller's fd; procfs filters pid entries by the reader's credentials
    // (hidepid=ptraceable), and the reader is syd, which may ptrace the namespace's init: pid 1
    // is listed (`ls /proc`: `1 2 ...`) though the caller may not see it (stat: EACCES) and the
    // kernel, and the original, leave it out. Only names leak; nothing is reached through them.
    name: `${label}: a listing of /proc leaves out what hidepid hides from the caller`,
    ignore: ROOT_ONLY,
    fn: async () => {
      await withHost(false, async (dir) => {
        const result = await attack(dir, mode, ["pids", "4"]);
        assert.deepEqual(verdicts(result).get("pids_listed"), ["stopped", "listed=2,"]);
      });
    },
  });

  Deno.test({
    name: `${label}: /sys stays read-only and /proc/sys absent for uid 0 of the namespace`,
    ignore: ROOT_ONLY,
    fn: async () => {
      for (
        const bind of [["-m", "bind+/sys:/sys"], ["-m", "unshare/net:1", "-m", "bind+sysfs:/sys"]]
      ) {
        await withHost(false, async (dir) => {
          const result = await attack(dir, mode, ["sys"], bind);
          const found = assertAllStopped(result, 11);
          assert.equal(found.get("syswrite_3")?.[1], "path=/sys/kernel/mm/ksm/run open=30");
          // /sys/class/net/lo is a link, on a nosymfollow bind: ELOOP before any write.
          assert.equal(found.get("syswrite_4")?.[1], "path=/sys/class/net/lo/mtu open=40");
          assert.equal(found.get("syswrite_0")?.[1], "path=/proc/sys/kernel/hostname open=2");
          assert.match(result.stdout, /^uid=0$/m);
        });
      }
    },
  });
}

Deno.test({
  name: "a procfs, or the host's /proc, may not be bound into the container",
  ignore: ROOT_ONLY,
  fn: async () => {
    for (const bind of ["bind+proc:/sys", "bind+/proc:/sys", "bind+/proc/sys:/sys"]) {
      await withHost(false, async (dir) => {
        const result = await attack(dir, [], ["sys"], ["-m", bind]);
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, /proc may not be mounted/);
        assert.equal(verdicts(result).size, 0);
      });
    }
  },
});

Deno.test({
  name: "no device node of the host's disk: killed, and refused with trace/allow_unsafe_mkbdev",
  ignore: ROOT_ONLY,
  fn: async () => {
    await withHost(false, async (dir) => {
      const killed = await attack(dir, [], ["mknod"]);
      assert.equal(killed.code, SIGSYS_CODE, killed.stderr);
      const judged = await attack(dir, [], ["mknod"], [
        "-m",
        "trace/allow_unsafe_mkbdev:1",
        "-m",
        "sandbox/mkbdev:on",
        "-m",
        "allow/mkbdev+/***",
      ]);
      const found = assertAllStopped(judged, 1);
      assert.match(found.get("mknod_blk_open")?.[1] ?? "", /^mknod=1 open=2 /);
    });
  },
});

Deno.test({
  name: "an exec denied by path stays denied by every other name of it in the container",
  ignore: ROOT_ONLY,
  fn: async () => {
    await withHost(false, async (dir) => {
      Deno.symlinkSync("../../..", `${dir}/rwdir/up`);
      const script = [
        "/usr/bin/id",
        "/bin/id",
        "/proc/self/root/usr/bin/id",
        "/lib/../bin/id",
        "/rw/up/usr/bin/id",
        "//usr//bin/id",
      ].map((path) => `${path} -u >/dev/null 2>&1; echo "${path}=$?"`).join("; ");
      const result = await runSyd([
        "-poff",
        ...EMULATED,
        "-m",
        "deny/exec+/usr/bin/id",
        ...container(dir),
        "--",
        "/bin/sh",
        "-c",
        script,
      ]);
      assert.equal(result.code, 0, result.stderr);
      for (const line of withoutRecords(result.stdout).trim().split("\n")) {
        // Denied (126), or not found: /rw/up is a link on a nosymfollow bind (127).
        assert.match(line, line.startsWith("/rw/up/") ? /=127$/ : /=126$/, line);
      }
    });
  },
});

Deno.test({
  name:
    "an exec swapped between an allowed copy and a denied program never runs it (20,000 rounds)",
  ignore: ROOT_ONLY,
  fn: async () => {
    // Four runs of 5,000 (one run of 20,000 would outlast a command's time limit).
    for (let run = 0; run < 4; run++) {
      await withHost(false, async (dir) => {
        const result = await attack(dir, [
          "-m",
          "sandbox/exec:on",
          "-m",
          "allow/exec+/***",
          "-m",
          "deny/exec+/usr/bin/id",
        ], ["execrace", "5000"]);
        const found = assertAllStopped(result, 1);
        assert.equal(found.get("execrace")?.[1], "wins=0");
        // Both sides of the swap were taken: the copy ran, the denied program was refused.
        const ok = /^execrace_ok ran=(\d+) failed=(\d+)$/m.exec(result.stdout);
        assert.ok(ok && Number(ok[1]) > 0 && Number(ok[2]) > 0, result.stdout);
      });
    }
  },
});

Deno.test({
  // FINDING (set-user-ID on the host), the original's behaviour too: syd run as root maps the
  // namespace's uid 0 to the host's (`0 0 1`), so the container's root owns the host's root
  // files and may chmod 04755 a file it wrote into a rw bind of a host directory. The bind is
  // nosuid inside; on the host the file is a set-user-ID root program anyone may run. Not an
  // escape from the view, a privilege handed to the host; the fix is a policy (an unprivileged
  // map, or stripping S_ISUID/S_ISGID in chmod for a namespace), for the lead to judge.
  name: "the container's root makes no set-user-ID root file on a host directory",
  ignore: true,
  fn: async () => {
    await withHost(false, async (dir) => {
      const result = await attack(dir, [], ["suid"]);
      assertAllStopped(result, 1);
      assert.equal(Deno.statSync(`${dir}/rwdir/suid`).mode! & 0o4000, 0);
    });
  },
});
