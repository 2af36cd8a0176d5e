import assert from "node:assert/strict";
import {
  configureLogging,
  denialSummary,
  emit,
  finishLog,
  formatText,
  LogSetupError,
  logSetupFromEnv,
  parseLine,
  RateLimit,
} from "./log.ts";

Deno.test("logSetupFromEnv() defaults to warn on stderr, readable on a terminal", () => {
  assert.deepEqual(logSetupFromEnv({}, true), { level: "warn", fd: 2, json: false });
  assert.deepEqual(logSetupFromEnv({}, false), { level: "warn", fd: 2, json: true });
});

Deno.test("logSetupFromEnv() reads SYD_LOG and SYD_LOG_FD", () => {
  assert.deepEqual(logSetupFromEnv({ SYD_LOG: "DEBUG", SYD_LOG_FD: "7" }, true), {
    level: "debug",
    fd: 7,
    json: true,
  });
  assert.deepEqual(logSetupFromEnv({ SYD_LOG_FD: "-1" }, true), {
    level: "warn",
    fd: null,
    json: true,
  });
});

Deno.test("logSetupFromEnv() takes syslog's emerg, alert, crit and err as error, as the original", () => {
  for (const name of ["emerg", "alert", "crit", "err", "ALERT"]) {
    assert.equal(logSetupFromEnv({ SYD_LOG: name }, false).level, "error");
  }
});

Deno.test("logSetupFromEnv() rejects an unknown level or a non-numeric fd", () => {
  assert.throws(() => logSetupFromEnv({ SYD_LOG: "loud" }, false), LogSetupError);
  assert.throws(
    () => logSetupFromEnv({ SYD_LOG_FD: "2x" }, false),
    /SYD_LOG_FD: "2x" is not a number/,
  );
});

Deno.test("formatText() writes one readable line per record", () => {
  const line = formatText({
    level: "debug",
    ctx: "pool",
    op: "spawn_helper",
    total: 2,
    busy: 2,
    time: "t",
  });
  assert.equal(line, "syd: debug pool spawn_helper (total=2, busy=2)");
  assert.equal(formatText({ level: "warn", ctx: "log", msg: "dropped" }), "syd: warn log: dropped");
});

Deno.test("parseLine() keeps JSON objects and flags anything else", () => {
  assert.deepEqual(parseLine('{"level":"info","ctx":"x"}'), { level: "info", ctx: "x" });
  for (const bad of ["[1]", "null", "{", "plain text", '"s"']) {
    const record = parseLine(bad);
    assert.equal(record.level, "error");
    assert.equal(record.line, bad);
  }
});

Deno.test("formatText() writes an access record as one sentence with the rule and a tip", () => {
  const line = formatText({
    level: "warn",
    ctx: "access",
    cap: "read",
    act: "deny",
    sys: "openat",
    path: "/etc/shadow",
    pid: 1234,
    cmd: "cat",
    cwd: "/home/u",
    rule: "default",
    tip: "allow/read+/etc/shadow",
  });
  assert.equal(
    line,
    "syd: denied read of /etc/shadow by cat[1234] (rule: default; allow with -m 'allow/read+/etc/shadow')",
  );
});

Deno.test("configureLogging() with SYD_LOG_FD naming a closed fd throws LogSetupError, not a crash", () => {
  assert.throws(
    () => configureLogging({ level: "warn", fd: 987, json: true }),
    (err: unknown) =>
      err instanceof LogSetupError && /fd 987 is not open/.test(err.message) && err.errno === 9,
  );
});

Deno.test("formatText() of an access record without path, program or rule names what it has", () => {
  const text = formatText({
    level: "warn",
    ctx: "access",
    cap: "net",
    act: "deny",
    family: "netlink",
    pid: 42,
    msg: "sockets of this family are not judged by syd",
    tip: "trace/allow_unsupp_socket:1",
  });
  assert.equal(
    text,
    "syd: denied net of netlink by pid 42 (sockets of this family are not judged by syd; allow with -m 'trace/allow_unsupp_socket:1')",
  );
  assert.doesNotMatch(text, /undefined/);
});

Deno.test("RateLimit lets `burst` identical records through per interval, then counts what it held back", () => {
  let now = 0;
  const limit = new RateLimit(3, 1000, 8, () => now);
  const seen = Array.from({ length: 10 }, () => limit.check("a"));
  assert.equal(seen.filter((r) => r.allowed).length, 3);
  assert.deepEqual(limit.check("b"), { allowed: true, suppressed: 0 }); // its own window
  now = 1001;
  assert.deepEqual(limit.check("a"), { allowed: true, suppressed: 7 });
  assert.deepEqual(limit.check("a"), { allowed: true, suppressed: 0 });
});

Deno.test("RateLimit with interval 0 passes everything and with burst 0 nothing", () => {
  const open = new RateLimit(1, 0, 8, () => 0);
  assert.ok(Array.from({ length: 5 }, () => open.check("a")).every((r) => r.allowed));
  const shut = new RateLimit(0, 1000, 8, () => 0);
  assert.ok(Array.from({ length: 5 }, () => shut.check("a")).every((r) => !r.allowed));
});

Deno.test("RateLimit remembers at most keysMax records, forgetting the oldest window first", () => {
  const limit = new RateLimit(1, 1000, 2, () => 0);
  limit.check("a");
  limit.check("b");
  assert.equal(limit.check("a").allowed, false);
  limit.check("c"); // forgets "a", whose window began first
  assert.equal(limit.check("b").allowed, false);
  assert.equal(limit.check("a").allowed, true); // forgets "b"
  assert.equal(limit.check("c").allowed, false);
});

Deno.test("formatText() of an access record with nothing but its category and action", () => {
  const text = formatText({
    level: "warn",
    ctx: "access",
    cap: "net/connect",
    act: "deny",
    pid: 7,
  });
  assert.equal(text, "syd: denied net/connect of an unknown target by pid 7");
});

Deno.test("denialSummary() counts denials by category, most first; warn is not a denial", () => {
  configureLogging({ level: "warn", fd: null, json: true });
  finishLog();
  assert.equal(denialSummary(), "");
  const access = { level: "warn", ctx: "access", pid: 1 };
  emit({ ...access, cap: "net/connect", act: "deny", addr: "1.1.1.1!53" });
  for (const path of ["/a", "/b", "/c"]) emit({ ...access, cap: "read", act: "deny", path });
  emit({ ...access, cap: "write", act: "warn", path: "/d" });
  emit({ ...access, cap: "exec", act: "kill", path: "/e" });
  assert.equal(denialSummary(), "syd: 5 denials: read 3, exec 1, net/connect 1");
  finishLog();
  assert.equal(denialSummary(), "");
  emit({ ...access, cap: "read", act: "deny", path: "/a" });
  assert.equal(denialSummary(), "syd: 1 denial: read 1");
  finishLog();
});
