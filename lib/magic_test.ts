import assert from "node:assert/strict";
import {
  LINE_BYTES_MAX,
  type MagicAnswer,
  MagicLineError,
  type MagicRequest,
  MagicServer,
  serveMagic,
} from "./magic.ts";
import { type CompiledPolicy, load, type PolicyState } from "./policy/mod.ts";
import { captureLogs } from "./log.ts";

const ENV = { HOME: "/home/u", SYD_UID: "1000", SYD_GID: "1000" };
const COMPILE = { logLevel: "warn", pool: { core: 1, max: 4, keep_alive_ms: 1000 } };
const encoder = new TextEncoder();

/** A server whose state is the initial one with `commands` applied, as `-m` would. */
function serverWith(...commands: string[]): MagicServer {
  const loaded = load(commands.map((text) => ({ kind: "command", text })), { env: ENV });
  assert.deepEqual(loaded.diagnostics, []);
  return new MagicServer(loaded.state, COMPILE, { env: ENV });
}

let nextId = 1;
/** Sends one command from pid 1234, the sandbox's first process. */
function ask(server: MagicServer, cmd: string, pid = 1234): MagicAnswer {
  return server.answer({ id: nextId++, pid, cmd, first: true });
}

function policyOf(answer: MagicAnswer): CompiledPolicy {
  assert.ok(answer.policy !== undefined, "the answer carries a policy");
  return JSON.parse(answer.policy);
}

function isOn(policy: CompiledPolicy, category: string): boolean | undefined {
  return policy.categories.find((c) => c.name === category)?.on;
}

/** The request line libsyd would send. */
function line(request: MagicRequest): string {
  return JSON.stringify(request) + "\n";
}

function streamOf(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks.map((c) => (typeof c === "string" ? encoder.encode(c) : c)));
}

async function serveAll(
  readable: ReadableStream<Uint8Array>,
  server = serverWith(),
): Promise<MagicAnswer[]> {
  const answers: MagicAnswer[] = [];
  await serveMagic(readable, server, (answer) => answers.push(answer));
  return answers;
}

// MagicServer.answer(): setting, querying, rules.

Deno.test("MagicServer.answer() turns read sandboxing on and returns the new policy", () => {
  const server = serverWith("sandbox/read:off");
  const answer = server.answer({ id: 41, pid: 1234, cmd: "sandbox/read:on" });
  assert.equal(answer.id, 41);
  assert.equal(answer.errno, 0);
  const policy = policyOf(answer);
  assert.equal(isOn(policy, "read"), true);
  assert.equal(policy.log_level, "warn");
  assert.deepEqual(policy.pool, COMPILE.pool);
  assert.equal(server.state.on.read, true);
  assert.equal(server.policy, answer.policy);
});

Deno.test("MagicServer.answer() gives no policy when the command changes nothing", () => {
  const server = serverWith();
  const before = server.policy;
  assert.deepEqual(ask(server, "sandbox/read:on"), { id: nextId - 1, errno: 0 });
  assert.deepEqual(Object.keys(ask(server, "allow/read-/never/added")), ["id", "errno"]);
  assert.equal(server.policy, before);
});

Deno.test("MagicServer.answer() answers a query 0 when every named category is on, else 2", () => {
  const server = serverWith("sandbox/stat:off");
  assert.deepEqual(server.answer({ id: 5, pid: 9, cmd: "sandbox/read?" }), { id: 5, errno: 0 });
  assert.deepEqual(server.answer({ id: 6, pid: 9, cmd: "sandbox/stat?" }), { id: 6, errno: 2 });
  assert.deepEqual(server.answer({ id: 7, pid: 9, cmd: "sandbox/read,stat?" }), {
    id: 7,
    errno: 2,
  });
  assert.equal(ask(server, "sandbox/net?").errno, 0);
});

Deno.test("MagicServer.answer() adds a rule naming /dev/syd and the pid, then removes it", () => {
  const server = serverWith();
  const added = ask(server, "allow/read,stat+/tmp/***", 4242);
  assert.equal(added.errno, 0);
  assert.deepEqual(policyOf(added).rules, [
    { category: "read", action: "allow", pattern: "/tmp/***", origin: "/dev/syd (pid 4242)" },
    { category: "stat", action: "allow", pattern: "/tmp/***", origin: "/dev/syd (pid 4242)" },
  ]);
  const removed = ask(server, "allow/read-/tmp/***");
  assert.equal(removed.errno, 0);
  assert.deepEqual(policyOf(removed).rules.map((r) => r.category), ["stat"]);
  assert.equal(ask(server, "allow/stat^/tmp/***").errno, 0);
  assert.deepEqual(server.state.rules, []);
});

Deno.test("MagicServer.answer() adds a network rule", () => {
  const server = serverWith();
  const policy = policyOf(ask(server, "allow/net/connect+127.0.0.1!8080"));
  assert.deepEqual(policy.net_rules.map((r) => [r.category, r.port_min, r.origin]), [
    ["net/connect", 8080, "/dev/syd (pid 1234)"],
  ]);
});

// MagicServer.answer(): refusals.

Deno.test("MagicServer.answer() refuses a command that does not parse with 22, state unchanged", () => {
  const server = serverWith("allow/read+/usr/***");
  const before = server.state;
  for (const cmd of ["sandbox/raed:on", "allow/read+", "bogus", "", "sandbox/read:on\0x", "\n"]) {
    const answer = ask(server, cmd);
    assert.deepEqual(answer, { id: nextId - 1, errno: 22 }, JSON.stringify(cmd));
  }
  assert.deepEqual(server.state, before);
});

Deno.test("MagicServer.answer() refuses text that is not well-formed (a lone surrogate) with 22", () => {
  const server = serverWith();
  assert.equal(ask(server, "allow/read+/tmp/\ud800").errno, 22);
  assert.equal(ask(server, "sandbox/read:off\udc00").errno, 22);
  assert.equal(server.state.on.read, true);
});

Deno.test("MagicServer.answer() answers 16 (EBUSY) for settings fixed when the sandbox starts", () => {
  const server = serverWith();
  const before = server.state;
  for (
    const cmd of [
      "timeout:10s",
      "trace/exit_wait_all:1",
      "trace/allow_unsupp_socket:1",
      "unshare/user:1",
      "bind+/usr:/usr",
      "root:/srv",
      "uts/host:x",
      "time:0",
    ]
  ) {
    assert.equal(ask(server, cmd).errno, 16, cmd);
  }
  assert.deepEqual(server.state, before);
});

Deno.test("MagicServer.answer() answers 95 for a feature this syd does not support", () => {
  const server = serverWith();
  const before = server.state;
  for (
    const cmd of ["sandbox/proxy:on", "force+/usr/bin/x:md4:" + "1".repeat(32), "sandbox/crypt?"]
  ) {
    assert.equal(ask(server, cmd).errno, 95, cmd);
  }
  assert.deepEqual(server.state, before);
});

Deno.test("MagicServer.answer() adds and removes masks at run time (issue 17)", () => {
  const server = serverWith();
  assert.equal(ask(server, "mask+/proc/1/***:/dev/zero").errno, 0);
  assert.deepEqual(server.state.mask.map((m) => [m.pattern, m.target]), [[
    "/proc/1/***",
    "/dev/zero",
  ]]);
  assert.equal(ask(server, "mask+/x:rel").errno, 22);
  assert.equal(ask(server, "mask^").errno, 0);
  assert.deepEqual(server.state.mask, []);
});

Deno.test("MagicServer.answer() refuses include PATH with 22: syd reads no file for the sandbox", () => {
  const server = serverWith();
  const before = server.state;
  assert.deepEqual(server.answer({ id: 3, pid: 1, cmd: "include /etc/user.syd-3" }), {
    id: 3,
    errno: 22,
  });
  assert.equal(ask(server, "include ../x.syd-3").errno, 22);
  assert.deepEqual(server.state, before);
});

Deno.test("MagicServer.answer() applies include_profile NAME onto the current state", () => {
  const server = serverWith("allow/read+/opt/***");
  const policy = policyOf(ask(server, "include_profile off"));
  assert.ok(policy.categories.every((c) => !c.on));
  assert.deepEqual(policy.rules.map((r) => r.pattern), ["/opt/***"]); // kept: applied on top
  const user = policyOf(ask(server, "include_profile user"));
  assert.ok(user.rules.some((r) => r.pattern === "/home/u/**" && r.origin.startsWith("profile:")));
  assert.equal(ask(server, "include_profile nosuch").errno, 22);
});

Deno.test("MagicServer.answer() refuses a profile whose ${VAR} is unset with 22", () => {
  const server = new MagicServer(serverWith().state, COMPILE, { env: {} });
  const before = server.state;
  assert.equal(ask(server, "include_profile user").errno, 22);
  assert.deepEqual(server.state, before);
});

// Lock.

Deno.test("MagicServer.answer() applies lock:on, after which every command answers 2", () => {
  const server = serverWith();
  const locked = ask(server, "lock:on");
  assert.equal(policyOf(locked).lock, "on");
  const before = server.state;
  for (const cmd of ["sandbox/read:off", "sandbox/read?", "lock:off", "garbage"]) {
    assert.deepEqual(Object.keys(ask(server, cmd)), ["id", "errno"]);
    assert.equal(ask(server, cmd).errno, 2, cmd);
  }
  assert.deepEqual(server.state, before);
});

Deno.test("MagicServer.answer() lets the lock tighten, never loosen (EPERM), as the original", () => {
  const server = serverWith("lock:off");
  assert.equal(policyOf(ask(server, "lock:exec")).lock, "exec");
  assert.equal(ask(server, "sandbox/read:off").errno, 0); // from the first process
  const lowered = ask(server, "lock:off");
  assert.equal(lowered.errno, 1);
  assert.equal(lowered.policy, undefined);
  assert.equal(server.state.lock, "exec");
  assert.equal(policyOf(ask(server, "lock:on")).lock, "on");
});

Deno.test("MagicServer.answer() resets to the initial state on reset", () => {
  const server = serverWith("sandbox/all:off", "allow/read+/x");
  const policy = policyOf(ask(server, "reset"));
  assert.ok(
    policy.categories.every((c) =>
      c.on === !["walk", "list"].includes(c.name) && c.default === "deny"
    ),
  );
  assert.deepEqual(policy.rules, []);
});

Deno.test("MagicServer keeps its own copy of the state it was given and hands out copies", () => {
  const state: PolicyState = serverWith().state;
  const server = new MagicServer(state, COMPILE, { env: ENV });
  state.on.read = false;
  assert.equal(server.state.on.read, true);
  server.state.on.read = false;
  assert.equal(server.state.on.read, true);
});

// Logging.

Deno.test("MagicServer.answer() logs each request at info, a refused one at warn", () => {
  const records: Record<string, unknown>[] = [];
  const restore = captureLogs((record) => records.push(record));
  try {
    const server = serverWith();
    server.answer({ id: 1, pid: 77, cmd: "sandbox/read:off" });
    server.answer({ id: 2, pid: 77, cmd: "sandbox/read?" });
    server.answer({ id: 3, pid: 78, cmd: "sandbox/raed:on" });
  } finally {
    restore();
  }
  const seen = records.map(({ level, ctx, cmd, pid, errno }) => ({ level, ctx, cmd, pid, errno }));
  assert.deepEqual(seen, [
    { level: "info", ctx: "magic", cmd: "sandbox/read:off", pid: 77, errno: 0 },
    { level: "info", ctx: "magic", cmd: "sandbox/read?", pid: 77, errno: 2 },
    { level: "warn", ctx: "magic", cmd: "sandbox/raed:on", pid: 78, errno: 22 },
  ]);
  assert.match(String(records[2].msg), /unknown category "raed" \(did you mean "read"\?\)/);
});

// MagicServer.parseLine().

Deno.test("MagicServer.parseLine() reads a request and ignores other fields", () => {
  assert.deepEqual(MagicServer.parseLine('{"id":7,"pid":1234,"cmd":"sandbox/read?","x":1}'), {
    id: 7,
    pid: 1234,
    cmd: "sandbox/read?",
  });
  assert.deepEqual(MagicServer.parseLine('{"id":0,"pid":1,"cmd":"a\\u0000b"}').cmd, "a\0b");
});

Deno.test("MagicServer.parseLine() throws a clear error on garbage", () => {
  const cases: [string, RegExp, number | undefined][] = [
    ["", /not JSON/, undefined],
    ["{", /not JSON: "\{"/, undefined],
    ["[1,2]", /not a JSON object/, undefined],
    ["null", /not a JSON object/, undefined],
    ['"cmd"', /not a JSON object/, undefined],
    ['{"pid":1,"cmd":"x"}', /"id" is not a whole number/, undefined],
    ['{"id":-1,"pid":1,"cmd":"x"}', /"id"/, undefined],
    ['{"id":1.5,"pid":1,"cmd":"x"}', /"id"/, undefined],
    ['{"id":"7","pid":1,"cmd":"x"}', /"id"/, undefined],
    ['{"id":1e300,"pid":1,"cmd":"x"}', /"id"/, undefined],
    ['{"id":7,"cmd":"x"}', /"pid" is not a process id/, 7],
    ['{"id":7,"pid":0,"cmd":"x"}', /"pid"/, 7],
    ['{"id":7,"pid":1}', /"cmd" is not a string/, 7],
    ['{"id":7,"pid":1,"cmd":["x"]}', /"cmd"/, 7],
  ];
  for (const [text, message, id] of cases) {
    assert.throws(
      () => MagicServer.parseLine(text),
      (err: unknown) => err instanceof MagicLineError && message.test(err.message) && err.id === id,
      text,
    );
  }
  assert.throws(() => MagicServer.parseLine("x".repeat(500)), /"x{80}"\.\.\.$/);
});

// serveMagic().

Deno.test("serveMagic() answers lines in order across chunks and skips a garbage line", async () => {
  const first = line({ id: 1, pid: 10, cmd: "sandbox/read:off" });
  const unicode = encoder.encode(line({ id: 3, pid: 10, cmd: "allow/stat+/tmp/é" }));
  const split = unicode.indexOf(0xc3) + 1; // inside the two bytes of é
  const answers = await serveAll(
    streamOf(
      first.slice(0, 5),
      first.slice(5) + "this is not json\n" + line({ id: 2, pid: 10, cmd: "sandbox/read?" }),
      unicode.subarray(0, split),
      unicode.subarray(split),
      "\n\n",
      line({ id: 4, pid: 11, cmd: "sandbox/bogus:on" }),
      JSON.stringify({ id: 5, pid: 11, cmd: "sandbox/stat?" }), // the last line has no newline
    ),
  );
  assert.deepEqual(answers.map(({ id, errno }) => [id, errno]), [[1, 0], [2, 2], [3, 0], [4, 22], [
    5,
    0,
  ]]);
  assert.equal(isOn(policyOf(answers[0]), "read"), false);
  assert.deepEqual(policyOf(answers[2]).rules.map((r) => r.pattern), ["/tmp/é"]);
});

Deno.test("serveMagic() answers 22 to a line whose id is readable but whose rest is not", async () => {
  const bad = new Uint8Array([
    ...encoder.encode('{"id":8,"pid":3,"cmd":"allow/read+/tmp/'),
    0xff, // not UTF-8
    ...encoder.encode('"}\n'),
  ]);
  const answers = await serveAll(
    streamOf(
      bad,
      '{"id":9,"pid":0,"cmd":"x"}\n',
      '{"id":10,"pid":3}\n',
      line({
        id: 11,
        pid: 3,
        cmd: "sandbox/read?",
      }),
    ),
  );
  assert.deepEqual(answers, [
    { id: 8, errno: 22 },
    { id: 9, errno: 22 },
    { id: 10, errno: 22 },
    { id: 11, errno: 0 },
  ]);
});

Deno.test("serveMagic() drops a line longer than LINE_BYTES_MAX and goes on", async () => {
  const long = `{"id":1,"pid":2,"cmd":"allow/read+/${"a".repeat(LINE_BYTES_MAX)}"}\n`;
  const answers = await serveAll(
    streamOf(long.slice(0, 1000), long.slice(1000), line({ id: 2, pid: 2, cmd: "sandbox/read?" })),
  );
  assert.deepEqual(answers, [{ id: 2, errno: 0 }]);
});

Deno.test("serveMagic() survives a reply that throws and a stream that fails", async () => {
  let pulls = 0;
  const failing = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulls++ === 0) {
        controller.enqueue(
          encoder.encode(
            line({ id: 1, pid: 2, cmd: "sandbox/read?" }) +
              line({ id: 2, pid: 2, cmd: "sandbox/read:off" }),
          ),
        );
      } else {
        controller.error(new Error("the pipe broke"));
      }
    },
  });
  const server = serverWith();
  const replied: number[] = [];
  await serveMagic(failing, server, (answer) => {
    replied.push(answer.id);
    if (answer.id === 1) throw new Error("the FFI call failed");
  });
  assert.deepEqual(replied, [1, 2]);
  assert.equal(server.state.on.read, false);
});

Deno.test("serveMagic() returns at once on an empty stream", async () => {
  assert.deepEqual(await serveAll(streamOf()), []);
});

// Property.

/** A small seeded generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "sandbox/",
  "read",
  "stat",
  "write",
  "net",
  "all",
  ",",
  ":on",
  ":off",
  "?",
  "allow/",
  "deny/",
  "default/",
  "+",
  "-",
  "^",
  "/tmp/***",
  "/",
  "127.0.0.1!80",
  "include ",
  "include_profile ",
  "off",
  "reset",
  "lock:exec",
  "mask+",
  ":",
  "mem",
  "pid",
  "/max:",
  "/vm_max:",
  "64M",
  "0",
  "lock:drop",
  "setuid",
  "setgid",
  "+1000:65534",
  "^",
];

/** Whole commands, some of which change the state and some of which query it. */
const COMMANDS = [
  "sandbox/read:off",
  "sandbox/read:on",
  "sandbox/read?",
  "sandbox/read,stat?",
  "sandbox/all:off",
  "allow/read+/tmp/***",
  "allow/read-/tmp/***",
  "include_profile off",
  "reset",
  "mem/max:1G",
  "pid/max:8",
  "sandbox/mem,pid:off",
  "sandbox/mem?",
  "default/mem,pid:kill",
  "setuid+1000:65534",
  "setgid^",
  "trace/allow_safe_setuid:1",
  "sandbox/walk?",
];

/** A state as text to compare (its limits are bigints, which JSON does not take as they are). */
function stateText(state: PolicyState): string {
  return JSON.stringify(state, (_key, value) => typeof value === "bigint" ? `${value}n` : value);
}

Deno.test("MagicServer.answer() never throws on 2,000 random commands and changes state only on 0", () => {
  const next = random(0x5eed);
  const decoder = new TextDecoder();
  let server = serverWith();
  const seen = new Map<number, number>();
  for (let i = 0; i < 2000; i++) {
    let cmd: string;
    if (i % 2 === 0) { // random bytes, read as UTF-8 (invalid sequences become U+FFFD)
      const bytes = Uint8Array.from({ length: Math.floor(next() * 48) }, () => next() * 256);
      cmd = decoder.decode(bytes);
    } else { // pieces of commands with random bytes and UTF-16 code units (lone surrogates) mixed in
      cmd = "";
      for (let n = Math.floor(next() * 4); n >= 0; n--) {
        const roll = next();
        if (roll < 0.2) cmd += COMMANDS[Math.floor(next() * COMMANDS.length)];
        else if (roll < 0.8) cmd += PIECES[Math.floor(next() * PIECES.length)];
        else if (roll < 0.9) cmd += String.fromCharCode(Math.floor(next() * 256));
        else cmd += String.fromCharCode(Math.floor(next() * 0x10000));
      }
    }
    const before = stateText(server.state);
    const policyBefore = server.policy;
    let answer: MagicAnswer;
    try {
      answer = server.answer({ id: i, pid: 100 + i, cmd });
    } catch (err) {
      throw new Error(`answer() threw on ${JSON.stringify(cmd)}: ${err}`);
    }
    assert.equal(answer.id, i);
    assert.ok([0, 1, 2, 16, 22, 95].includes(answer.errno), `errno ${answer.errno} for ${cmd}`);
    seen.set(answer.errno, (seen.get(answer.errno) ?? 0) + 1);
    if (answer.policy === undefined) {
      assert.equal(stateText(server.state), before, JSON.stringify(cmd));
      assert.equal(server.policy, policyBefore);
    } else {
      assert.equal(answer.errno, 0, JSON.stringify(cmd));
      assert.notEqual(answer.policy, policyBefore);
      assert.equal(answer.policy, server.policy);
    }
    if (server.state.lock === "on") server = serverWith(); // a locked server answers only 2
    // Under drop, most commands are 1: a while in it, then afresh.
    if (server.state.lock === "drop" && i % 50 === 0) server = serverWith();
  }
  for (const errno of [0, 2, 22, 95]) assert.ok((seen.get(errno) ?? 0) > 0, `errno ${errno} seen`);
});

Deno.test("serveMagic() takes a change back when its answer cannot be delivered", async () => {
  const server = serverWith("sandbox/all:off");
  const lines = [
    JSON.stringify({ id: 1, pid: 10, cmd: "sandbox/read:on" }),
    JSON.stringify({ id: 2, pid: 10, cmd: "sandbox/write:on" }),
  ].join("\n") + "\n";
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(lines));
      controller.close();
    },
  });
  await serveMagic(stream, server, (answer) => {
    if (answer.id === 2) throw new Error("nobody waits for that command any more");
  });
  assert.equal(server.state.on.read, true); // delivered
  assert.equal(server.state.on.write, false); // not delivered: taken back
  assert.equal(
    JSON.parse(server.policy).categories.find((c: { name: string }) => c.name === "write").on,
    false,
  );
});

Deno.test("MagicServer.answer() applies lock:exec in order: only the first process passes after it", () => {
  const server = serverWith("sandbox/all:off", "lock:off");
  assert.equal(server.answer({ id: 9001, pid: 10, cmd: "lock:exec", first: true }).errno, 0);
  // A command another process sent before lock:exec took effect, answered after it: refused.
  const late = server.answer({ id: 9002, pid: 11, cmd: "lock:off", first: false });
  assert.equal(late.errno, 2);
  assert.equal(server.state.lock, "exec");
  assert.equal(server.answer({ id: 9003, pid: 10, cmd: "sandbox/read:on", first: true }).errno, 0);
  assert.equal(MagicServer.parseLine('{"id":1,"pid":2,"first":true,"cmd":"x"}').first, true);
  assert.throws(() => MagicServer.parseLine('{"id":1,"pid":2,"first":1,"cmd":"x"}'), /"first"/);
});

Deno.test("MagicServer.answer() fixes Lock sandboxing at start: EBUSY for its commands, left out of a profile", () => {
  const server = serverWith("lock:off", "sandbox/lock:on", "allow/lock/rpath,exec+/usr");
  for (
    const cmd of [
      "sandbox/lock:off",
      "allow/lock/read+/etc",
      "default/lock:warn",
      "log/lock/new_exec_on:1",
    ]
  ) {
    assert.equal(ask(server, cmd).errno, 16, cmd);
  }
  assert.equal(ask(server, "sandbox/lock?").errno, 0);
  // include_profile off turns the categories off, and leaves Landlock's state as the kernel has it.
  const answer = ask(server, "include_profile off");
  assert.equal(answer.errno, 0, JSON.stringify(answer));
  assert.equal(server.state.on.read, false);
  assert.equal(server.state.landlock.on, true);
  assert.equal(server.state.landlock.paths.get("/usr"), 1 | 4 | 8);
  assert.equal(ask(server, "sandbox/lock?").errno, 0);
});

/** The limits of the policy an answer carries. */
function limitsOf(answer: MagicAnswer): CompiledPolicy["limits"] {
  return policyOf(answer).limits;
}

Deno.test("MagicServer.answer() turns memory and pid sandboxing on only if they were on at start (else 16)", () => {
  const off = serverWith("sandbox/lock:off");
  assert.deepEqual(off.startLimits, { mem: false, pid: false });
  for (
    const cmd of ["sandbox/mem:on", "sandbox/pid:on", "sandbox/mem,pid:on", "sandbox/read,mem:on"]
  ) {
    assert.equal(ask(off, cmd).errno, 16, cmd);
  }
  assert.equal(ask(off, "sandbox/mem?").errno, 2);
  assert.equal(ask(off, "sandbox/pid?").errno, 2);
  // Off at start: a limit is taken (0), but turns nothing on (as the original's).
  const answer = ask(off, "mem/max:64M");
  assert.equal(answer.errno, 0);
  assert.deepEqual(limitsOf(answer), {
    mem: false,
    mem_max: 64 << 20,
    mem_vm_max: 0,
    mem_action: "deny",
    pid: false,
    pid_max: 0,
    pid_action: "kill",
  });
  assert.equal(ask(off, "sandbox/mem?").errno, 2);
  assert.equal(ask(off, "sandbox/mem:off").errno, 0);

  const on = serverWith("sandbox/lock:off", "sandbox/mem,pid:on");
  assert.deepEqual(on.startLimits, { mem: true, pid: true });
  assert.equal(JSON.parse(on.policy).limits.mem, true);
  assert.equal(ask(on, "sandbox/mem:on").errno, 0);
  assert.equal(ask(on, "sandbox/mem,pid?").errno, 0);
  const offAnswer = ask(on, "sandbox/mem:off");
  assert.equal(offAnswer.errno, 0);
  assert.equal(limitsOf(offAnswer)?.mem, false);
  assert.equal(ask(on, "sandbox/mem?").errno, 2);
  // As the original's: once off, not on again (its check is on the state now).
  assert.equal(ask(on, "sandbox/mem:on").errno, 16);
  assert.equal(ask(on, "sandbox/pid:on").errno, 0);
  assert.deepEqual(on.startLimits, { mem: true, pid: true });
});

Deno.test("MagicServer.answer() starts with the limits' layers on; sandbox/mem:off then lifts the limit", () => {
  // A limit turns its layer on at start, whatever sandbox/mem said before the start.
  const server = serverWith("sandbox/lock:off", "mem/max:64M", "sandbox/mem:off", "pid/max:10");
  assert.deepEqual(server.startLimits, { mem: true, pid: true });
  assert.equal(ask(server, "sandbox/mem?").errno, 0);
  const off = ask(server, "sandbox/mem:off");
  assert.equal(off.errno, 0);
  assert.deepEqual(limitsOf(off), {
    mem: false,
    mem_max: 64 << 20,
    mem_vm_max: 0,
    mem_action: "deny",
    pid: true,
    pid_max: 10,
    pid_action: "kill",
  });
  // A state not loaded (no startLimits yet) is started by the server too.
  const state = load([{ kind: "command", text: "sandbox/lock:off" }], { env: ENV }).state;
  state.limits.pidMax = 5n;
  assert.deepEqual(new MagicServer(state, COMPILE, { env: ENV }).startLimits, {
    mem: false,
    pid: true,
  });
});

Deno.test("MagicServer.answer() changes the limits and their actions while the sandbox runs", () => {
  const server = serverWith("sandbox/lock:off", "mem/max:1G");
  let answer = ask(server, "mem/max:64M");
  assert.equal(limitsOf(answer)?.mem_max, 64 << 20);
  answer = ask(server, "mem/max:2G");
  assert.equal(limitsOf(answer)?.mem_max, 2 * 2 ** 30);
  answer = ask(server, "mem/vm_max:4G");
  assert.equal(limitsOf(answer)?.mem_vm_max, 4 * 2 ** 30);
  answer = ask(server, "pid/max:100");
  assert.equal(limitsOf(answer)?.pid_max, 100);
  assert.equal(limitsOf(answer)?.pid, false); // off at start
  answer = ask(server, "default/mem:warn");
  assert.equal(limitsOf(answer)?.mem_action, "warn");
  answer = ask(server, "default/pid:exit");
  assert.equal(limitsOf(answer)?.pid_action, "exit");
  assert.equal(ask(server, "default/mem:allow").errno, 22);
  assert.equal(ask(server, "default/pid:deny").errno, 22);
  assert.equal(ask(server, "mem/max:lots").errno, 22);
  assert.equal(ask(server, "pid/max:1e3").errno, 22);
  assert.equal(ask(server, "mem/maxx:1").errno, 22);
  // The largest: clamped to 2^53-1 in the document.
  answer = ask(server, "mem/max:18446744073709551615");
  assert.equal(limitsOf(answer)?.mem_max, Number.MAX_SAFE_INTEGER);
  assert.equal(server.state.limits.memMax, 18446744073709551615n);
  // Locked: nothing (ENOENT, as every command).
  assert.equal(ask(server, "lock:on").errno, 0);
  assert.equal(ask(server, "mem/max:1M").errno, 2);
});

Deno.test("MagicServer.answer() under lock:drop only lowers limits and raises their actions (else 1)", () => {
  const server = serverWith("sandbox/lock:off", "mem/max:1G", "pid/max:0", "lock:drop");
  assert.equal(ask(server, "mem/max:2G").errno, 1);
  assert.equal(ask(server, "mem/max:0").errno, 1);
  assert.equal(ask(server, "mem/max:512M").errno, 0);
  assert.equal(ask(server, "mem/max:512M").errno, 0); // equal: not raised
  assert.equal(ask(server, "mem/max:513M").errno, 1);
  assert.equal(ask(server, "mem/vm_max:8G").errno, 0); // from no limit to one
  assert.equal(ask(server, "mem/vm_max:9G").errno, 1);
  assert.equal(ask(server, "pid/max:5").errno, 0); // from 0 (no limit) to 5
  assert.equal(ask(server, "pid/max:4").errno, 0);
  assert.equal(ask(server, "pid/max:5").errno, 1);
  assert.equal(ask(server, "pid/max:0").errno, 1);
  assert.equal(ask(server, "default/pid:exit").errno, 0);
  assert.equal(ask(server, "default/pid:kill").errno, 1);
  assert.equal(ask(server, "default/mem:warn").errno, 1);
  assert.equal(ask(server, "default/mem:filter").errno, 1);
  assert.equal(ask(server, "default/mem:kill").errno, 0);
  assert.equal(ask(server, "sandbox/mem:off").errno, 1);
  const limits = server.state.limits;
  assert.equal(limits.memMax, 512n << 20n);
  assert.equal(limits.memVmMax, 8n << 30n);
  assert.equal(limits.pidMax, 4n);
  assert.equal(limits.pidAction, "exit");
  assert.equal(limits.memAction, "kill");
});

Deno.test("MagicServer.answer() applies include_profile off and quiet to the limits; never turns one on", () => {
  const server = serverWith("sandbox/lock:off", "sandbox/mem:on", "pid/max:8");
  let answer = ask(server, "include_profile quiet");
  assert.equal(answer.errno, 0);
  assert.equal(limitsOf(answer)?.mem_action, "filter");
  assert.equal(limitsOf(answer)?.pid_action, "filter");
  answer = ask(server, "include_profile off");
  assert.equal(answer.errno, 0);
  assert.equal(limitsOf(answer)?.mem, false);
  assert.equal(limitsOf(answer)?.pid, false);
  assert.equal(limitsOf(answer)?.pid_max, 8);
  assert.equal(ask(server, "sandbox/pid:on").errno, 16);
});

// SafeSetID.

Deno.test("MagicServer.answer() answers 16 (EBUSY) for every SafeSetID command, whatever its values", () => {
  const server = serverWith("sandbox/lock:off", "setuid+1000:65534", "setgid+1000:65534");
  const before = server.state;
  const policy = server.policy;
  assert.deepEqual(JSON.parse(policy).setid, {
    uid: [[1000, 65534]],
    gid: [[1000, 65534]],
    allow_unsafe_setid: false,
  });
  for (
    const cmd of [
      "setuid+0:65533",
      "setuid+1000:65534", // the same pair
      "setuid-1000:65534",
      "setuid^1000",
      "setuid^",
      "setgid^",
      "setgid+root:nobody", // values unread, as the original's
      "setuid+0:5",
      "setuid+0:4294967296",
      "trace/allow_safe_setuid:1",
      "trace/allow_safe_setgid:0",
      "trace/allow_unsafe_setid:1",
    ]
  ) {
    assert.equal(ask(server, cmd).errno, 16, cmd);
  }
  // Not of the original's form: EINVAL.
  for (const cmd of ["setuid+0", "setuid-0", "setuid^0:1", "setuid?", "setgid"]) {
    assert.equal(ask(server, cmd).errno, 22, cmd);
  }
  assert.deepEqual(server.state, before);
  assert.equal(server.policy, policy);
});

Deno.test("MagicServer.answer() refuses SafeSetID under lock:drop (1) and when locked (2)", () => {
  const drop = serverWith("sandbox/lock:off", "lock:drop");
  for (const cmd of ["setuid+1000:65534", "setgid^", "setuid-0:1", "setuid+root:x"]) {
    assert.equal(ask(drop, cmd).errno, 1, cmd);
  }
  // An option: refused under drop (1) unless turning the unsafe one off, then fixed (16).
  assert.equal(ask(drop, "trace/allow_safe_setuid:1").errno, 1);
  assert.equal(ask(drop, "trace/allow_unsafe_setid:1").errno, 1);
  assert.equal(ask(drop, "trace/allow_unsafe_setid:0").errno, 16);
  // A locked sandbox has no /dev/syd (2), as for every command.
  const locked = serverWith("sandbox/lock:off", "lock:on");
  assert.equal(ask(locked, "setuid+1000:65534").errno, 2);
});
