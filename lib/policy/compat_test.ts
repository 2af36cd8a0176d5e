/**
 * Facts about the original syd's command language, checked against its published sources
 * (syd 3.37 and 3.59, src/config.rs and src/sandbox.rs, and the syd.2 and syd.5 manual pages),
 * recorded as tests so that this syd keeps them.
 */
import assert from "node:assert/strict";
import { parseAddress } from "./address.ts";
import { parseCommand } from "./parse.ts";
import { expandEnv, load, refuseFile } from "./sources.ts";
import { dump } from "./state.ts";
import { compile } from "./compile.ts";

/** The result of expandEnv() without its offset map, to compare with plain values. */
function textOnly(result: ReturnType<typeof expandEnv>) {
  return "text" in result ? { text: result.text } : result;
}

Deno.test("booleans accept 1/0, on/off, true/false, t/f and check marks, in any case", () => {
  for (const yes of ["1", "on", "ON", "true", "True", "t", "\u2713"]) {
    assert.deepEqual(parseCommand(`trace/deny_dotdot:${yes}`), {
      kind: "trace",
      option: "deny_dotdot",
      value: true,
    });
  }
  for (const no of ["0", "off", "false", "F", "\u2717"]) {
    assert.deepEqual(parseCommand(`sandbox/read:${no}`), {
      kind: "sandbox",
      categories: ["read"],
      on: false,
    });
  }
  assert.throws(() => parseCommand("sandbox/read:onn"), /"onn" is not on or off/);
});

Deno.test("a bare lock command locks", () => {
  assert.deepEqual(parseCommand("lock"), { kind: "lock", state: "on" });
});

Deno.test("@ is still accepted as the port separator of older versions", () => {
  assert.deepEqual(parseAddress("127.0.0.1@80"), parseAddress("127.0.0.1!80"));
});

Deno.test("the local aliases include loopback, as the original defines them", () => {
  const local4 = parseAddress("local4!0");
  assert.ok(
    local4.kind === "inet" && local4.cidrs.some((c) => c.address === "127.0.0.0" && c.prefix === 8),
  );
  const local6 = parseAddress("local6!0");
  assert.ok(local6.kind === "inet");
  assert.deepEqual(local6.cidrs.map((c) => `${c.address}/${c.prefix}`), [
    "::1/128",
    "fe80::/10",
    "fc00::/7",
    "fec0::/10",
  ]);
});

Deno.test("configuration files must end in .syd-3 and not be writable by group or others", () => {
  assert.equal(refuseFile("/etc/x.conf", null)?.errno, 95);
  assert.equal(refuseFile("/etc/x.syd-3", 0o100666)?.errno, 13);
  assert.equal(refuseFile("/etc/x.syd-3", 0o100644), undefined);
  const result = load([{ kind: "file", path: "policy.txt" }], { env: {} });
  assert.equal(result.diagnostics.length, 1);
  assert.equal(result.diagnostics[0].unsupported, true);
});

Deno.test("$VAR, ${VAR} and ${VAR:-default} expand; unset and empty variables are errors", () => {
  const env = { HOME: "/home/u", EMPTY: "" };
  assert.deepEqual(textOnly(expandEnv("allow/read+$HOME/***", env)), {
    text: "allow/read+/home/u/***",
  });
  assert.deepEqual(textOnly(expandEnv("allow/read+${HOME}/x", env)), {
    text: "allow/read+/home/u/x",
  });
  assert.deepEqual(textOnly(expandEnv("lock:${LOCK:-exec}", env)), { text: "lock:exec" });
  assert.deepEqual(textOnly(expandEnv("a $ b", env)), { text: "a $ b" });
  assert.deepEqual(textOnly(expandEnv("allow/read+${NOPE}/x", env)), {
    offset: 11,
    message: 'environment variable "NOPE" is not set',
  });
  assert.deepEqual(textOnly(expandEnv("allow/read+$EMPTY/x", env)), {
    offset: 11,
    message: 'environment variable "EMPTY" is empty',
  });
});

Deno.test("every category but walk and list starts on (recvfd too), with action deny (3.59); -x is the trace profile, default warn", () => {
  const none = load([], { env: {} });
  const off = Object.entries(none.state.on).filter(([, on]) => !on).map(([name]) => name);
  assert.deepEqual(off, ["walk", "list"]);
  assert.ok(Object.values(none.state.defaults).every((action) => action === "deny"));
  const trace = load([{ kind: "profile", name: "trace" }], { env: {} });
  assert.ok(Object.values(trace.state.defaults).every((action) => action === "warn"));
});

Deno.test("noipv4 allows IPv6 connects and denies IPv4 ones; lib is off with lock:exec", () => {
  const noipv4 = load([{ kind: "profile", name: "noipv4" }], { env: {} });
  assert.deepEqual(noipv4.state.netRules.map((r) => `${r.action}/${r.category}+${r.text}`), [
    "allow/net/connect+any6!0-65535",
    "deny/net/connect+any4!0-65535",
  ]);
  const lib = load([{ kind: "profile", name: "lib" }], { env: {} });
  assert.equal(lib.state.lock, "exec");
  assert.ok(Object.values(lib.state.on).every((on) => !on));
});

Deno.test("include_profile works from -m as well as from files", () => {
  const result = load([{ kind: "command", text: "include_profile off" }], { env: {} });
  assert.deepEqual(result.diagnostics, []);
  assert.ok(Object.values(result.state.on).every((on) => !on));
});

Deno.test("a rule naming path and network categories judges UNIX sockets at that path too", () => {
  const result = load([{ kind: "command", text: "allow/read,net/connect+/run/app.sock" }], {
    env: {},
  });
  assert.deepEqual(result.state.rules.map((r) => r.category), ["read"]);
  assert.deepEqual(result.state.netRules.map((r) => [r.category, r.text]), [[
    "net/connect",
    "/run/app.sock",
  ]]);
});

Deno.test("trace/allow_unsupp_socket is understood and dumped", () => {
  assert.deepEqual(parseCommand("trace/allow_unsupp_socket:1"), {
    kind: "trace",
    option: "allow_unsupp_socket",
    value: true,
  });
  const result = load([{ kind: "command", text: "trace/allow_unsupp_socket:1" }], { env: {} });
  assert.equal(result.state.allowUnsuppSocket, true);
});

Deno.test("trace/sync_seccomp is understood, off by default, dumped and compiled only when on", () => {
  assert.deepEqual(parseCommand("trace/sync_seccomp:1"), {
    kind: "trace",
    option: "sync_seccomp",
    value: true,
  });
  const off = load([], { env: {} });
  assert.equal(off.state.syncSeccomp, false);
  const on = load([{ kind: "command", text: "trace/sync_seccomp:1" }], { env: {} });
  assert.equal(on.state.syncSeccomp, true);
  assert.ok(dump(on.state).includes("trace/sync_seccomp:1"));
  assert.ok(!dump(off.state).includes("trace/sync_seccomp:1"));
  const options = { logLevel: "warn", pool: { core: 2, max: 64, keep_alive_ms: 15000 } } as const;
  assert.equal(compile(on.state, options).sync_seccomp, true);
  assert.equal(compile(off.state, options).sync_seccomp, undefined);
});
