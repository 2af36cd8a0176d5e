/** Unit tests of learning: base judging, sensitive places, network patterns, the output. */
import assert from "node:assert/strict";
import { baseAllows, learn } from "./mod.ts";
import { netPatterns } from "./net.ts";
import { mayHoldSensitive, sensitiveReason } from "./sensitive.ts";
import { formatPolicy } from "./write.ts";
import { load } from "../policy/mod.ts";

Deno.test("sensitive: shadow, keys, other homes, process memory, raw disks", () => {
  const info = { home: "/home/u" };
  for (
    const path of [
      "/etc/shadow",
      "/home/u/.ssh/id_ed25519",
      "/home/v/notes",
      "/proc/12/mem",
      "/dev/sda1",
      "/dev/mem",
      "/srv/x/server.key",
    ]
  ) {
    assert.ok(sensitiveReason(path, info), path);
  }
  for (const path of ["/etc/passwd", "/home/u/proj/a.c", "/proc/self/stat", "/dev/null"]) {
    assert.equal(sensitiveReason(path, info), undefined, path);
  }
  assert.ok(mayHoldSensitive("/home/u", info));
  assert.ok(mayHoldSensitive("/proc/12", info));
  assert.ok(!mayHoldSensitive("/usr/lib", info));
});

Deno.test("net: loopback and any aliases, ephemeral ports, UNIX paths, abstract names", () => {
  const out = netPatterns(
    new Map([
      ["inet 127.0.0.1!0", 1],
      ["inet 127.0.0.1!45000", 2],
      ["inet6 ::1!8080", 1],
      ["inet 0.0.0.0!53", 1],
      ["inet 10.1.2.3!443", 1],
      ["unix /tmp/ccAb12Cd/sock", 1],
      ["abstract @name", 1],
    ]),
  );
  assert.deepEqual(Object.fromEntries(out), {
    "loopback!0,8080,32768-65535": 4,
    "any!53": 1,
    "10.1.2.3!443": 1,
    "/tmp/cc*/sock": 1,
    "@name": 1,
  });
  const anchored = netPatterns(new Map([["unix /home/u/proj/run/s.sock", 1]]), {
    pwd: "/home/u/proj",
    home: "/home/u",
  });
  assert.deepEqual([...anchored.keys()], ["${PWD}/run/s.sock"]);
});

Deno.test("learn: what the base allows is left out; sensitive accesses are commented out", () => {
  const base = load([{ kind: "command", text: "allow/read+/usr/***" }], { env: {} }).state;
  const accesses = [
    { cap: "read", target: "/usr/lib/libc.so.6", act: "warn" },
    { cap: "read", target: "/etc/hostname", act: "warn" },
    { cap: "read", target: "/etc/shadow", act: "warn" },
    { cap: "read", target: "/proc/1/mem", act: "deny" },
  ];
  assert.ok(baseAllows(base, accesses[0]));
  assert.ok(!baseAllows(base, accesses[1]));
  const learnt = learn(accesses, { base, exact: false, depth: 3, header: ["t"] });
  assert.equal(learnt.covered, 1);
  assert.deepEqual(learnt.policy.rules, [{
    categories: ["read"],
    pattern: "/etc/hostname",
    count: 1,
  }]);
  assert.equal(learnt.denied.length, 1);
  const text = formatPolicy(learnt.policy);
  assert.match(text, /^# 1 access\nallow\/read\+\/etc\/hostname$/m);
  assert.match(text, /^#allow\/read\+\/etc\/shadow$/m);
  const relearnt = load([{ kind: "command", text: "allow/read+/etc/hostname" }], { env: {} });
  assert.equal(relearnt.diagnostics.length, 0);
});
