import assert from "node:assert/strict";
import { dropRefusal } from "./drop.ts";
import { compile } from "./compile.ts";
import { LOCK_FS_ALL, LOCK_FS_RIGHTS as R, parsePorts } from "./landlock.ts";
import { subtractRanges } from "./ranges.ts";
import { CommandError, formatCommand, parseCommand } from "./parse.ts";
import { apply, dump, initialState } from "./state.ts";

/** The state after `commands`, from the initial one. */
function stateOf(...commands: string[]) {
  const state = initialState();
  for (const text of commands) apply(state, parseCommand(text), { file: "-m#1", line: 1 });
  return state;
}

/** The offset a refused command points at. */
function refusedAt(text: string): number {
  try {
    parseCommand(text);
  } catch (err) {
    assert.ok(err instanceof CommandError, `${text}: ${err}`);
    return err.offset;
  }
  assert.fail(`${text} was accepted`);
}

const POOL = { core: 1, max: 1, keep_alive_ms: 100 };

Deno.test("Lock sandboxing is on at first, kill, with no rules (the original's default)", () => {
  const { landlock } = initialState();
  assert.equal(landlock.on, true);
  assert.equal(landlock.compat, "kill");
  assert.equal(landlock.paths.size, 0);
  assert.deepEqual(compile(initialState(), { logLevel: "warn", pool: POOL }).landlock, {
    on: true,
    compat: "kill",
    flags: 0,
    paths: [],
    bind: [],
    connect: [],
  });
});

Deno.test("sandbox/lock turns Lock sandboxing off and on, alone or in a list", () => {
  assert.equal(stateOf("sandbox/lock:off").landlock.on, false);
  assert.equal(stateOf("sandbox/lock:off", "sandbox/lock:on").landlock.on, true);
  const listed = stateOf("sandbox/read,lock:off");
  assert.equal(listed.landlock.on, false);
  assert.equal(listed.on.read, false);
  assert.equal(stateOf("sandbox/all,fs,ioctl,lock:off").landlock.on, false);
  assert.deepEqual(parseCommand("sandbox/lock?"), {
    kind: "sandbox_query",
    categories: [],
    landlock: true,
  });
});

Deno.test("default/lock takes kill, deny or warn only", () => {
  assert.equal(stateOf("default/lock:warn").landlock.compat, "warn");
  assert.equal(stateOf("default/lock,read:deny").landlock.compat, "deny");
  assert.equal(stateOf("default/lock,read:deny").defaults.read, "deny");
  assert.equal(refusedAt("default/lock:allow"), "default/lock:".length);
  assert.equal(refusedAt("default/lock:Warn"), "default/lock:".length);
});

Deno.test("allow/lock/ unions the rights and shorthands it names", () => {
  const state = stateOf("allow/lock/rpath,exec+/usr", "allow/lock/write+/usr");
  assert.equal(state.landlock.paths.get("/usr"), R.read | R.readdir | R.exec | R.write);
  assert.equal(stateOf("allow/lock/all+/h").landlock.paths.get("/h"), LOCK_FS_ALL);
  // `all-x` holds the `-` that is also an operator: matched whole, as the original.
  assert.equal(stateOf("allow/lock/all-x+/h").landlock.paths.get("/h"), LOCK_FS_ALL & ~R.exec);
  assert.equal(
    stateOf("allow/lock/cpath,tpath+/t").landlock.paths.get("/t"),
    R.create | R.delete | R.rename | R.mkdir | R.rmdir,
  );
});

Deno.test("allow/lock/ '-' and '^' both take the rights away from one path (as the original)", () => {
  const state = stateOf("allow/lock/rpath,exec+/usr", "allow/lock/exec-/usr");
  assert.equal(state.landlock.paths.get("/usr"), R.read | R.readdir);
  assert.equal(
    stateOf("allow/lock/read+/usr", "allow/lock/read^/usr").landlock.paths.has("/usr"),
    false,
  );
  // Removing what is not there changes nothing.
  assert.equal(stateOf("allow/lock/read-/nowhere").landlock.paths.size, 0);
});

Deno.test("allow/lock/ network names take ports, ranges and lists", () => {
  const state = stateOf(
    "allow/lock/bind+80,8000-9000",
    "allow/lock/bind-8081",
    "allow/lock/cnet+443",
  );
  assert.deepEqual(state.landlock.bind, [[80, 80], [8000, 8080], [8082, 9000]]);
  assert.deepEqual(state.landlock.connect, [[443, 443]]);
  assert.deepEqual(stateOf("allow/lock/inet+22").landlock.bind, [[22, 22]]);
  assert.deepEqual(stateOf("allow/lock/inet+22").landlock.connect, [[22, 22]]);
  // bind with an absolute path: UNIX sockets beneath it (MAKE_SOCK).
  assert.equal(stateOf("allow/lock/bind+/run/user").landlock.paths.get("/run/user"), R.bind);
  // A file right with bind makes the argument a path, even when it looks like a port.
  assert.equal(stateOf("allow/lock/read,bind+8080").landlock.paths.get("8080"), R.read | R.bind);
  // Every port: the right is not restricted at all.
  const all = compile(stateOf("allow/lock/connect+0-65535"), { logLevel: "warn", pool: POOL });
  assert.equal(all.landlock.connect, null);
  assert.deepEqual(all.landlock.bind, []);
});

Deno.test("allow/lock/ refuses what the original refuses, pointing at the fault", () => {
  assert.equal(refusedAt("allow/lock/bind+rel"), "allow/lock/bind+".length);
  assert.equal(refusedAt("allow/lock/inet+/tmp"), "allow/lock/inet+".length);
  assert.equal(refusedAt("allow/lock/bind+70000"), "allow/lock/bind+".length);
  assert.equal(refusedAt("allow/lock/bind+2000-1000"), "allow/lock/bind+".length);
  assert.equal(refusedAt("allow/lock/READ+/x"), "allow/lock/".length);
  assert.equal(refusedAt("allow/lock/read,wrte+/x"), "allow/lock/read,".length);
  assert.equal(refusedAt("allow/lock/read+"), "allow/lock/read+".length);
  assert.equal(refusedAt("allow/lock/read:/x"), "allow/lock/read".length);
  assert.equal(refusedAt("deny/lock/read+/x"), 0);
  assert.ok(refusedAt("sandbox/lock/read:on") > 0);
});

Deno.test("log/lock/ flags are landlock_restrict_self's", () => {
  assert.equal(stateOf("log/lock/same_exec_off,subdomains_off:1").landlock.flags, 5);
  assert.equal(stateOf("log/lock/new_exec_on:1", "log/lock/log_new_exec_on:0").landlock.flags, 0);
  assert.equal(refusedAt("log/lock/sometimes:1"), "log/lock/".length);
});

Deno.test("lock commands format back to what parses to them", () => {
  for (
    const text of [
      "allow/lock/rpath,exec+/usr",
      "allow/lock/all-x-/home",
      "allow/lock/bind+80,8000-9000",
      "log/lock/new_exec_on:1",
      "sandbox/lock?",
      "default/read,lock:deny",
    ]
  ) {
    const command = parseCommand(text);
    assert.deepEqual(parseCommand(formatCommand(command)), command, text);
  }
});

Deno.test("dump() re-creates the Lock sandboxing state", () => {
  const state = stateOf(
    "sandbox/lock:off",
    "default/lock:warn",
    "allow/lock/rpath,exec+/usr",
    "allow/lock/all+/home/u",
    "allow/lock/bind+0,1024-65535",
    "log/lock/same_exec_off:1",
  );
  const again = stateOf(...dump(state));
  assert.deepEqual(again.landlock, state.landlock);
});

Deno.test("lock:drop lets Lock sandboxing only tighten", () => {
  const state = stateOf("default/lock:deny", "allow/lock/read+/usr", "lock:drop");
  assert.ok(dropRefusal(state, parseCommand("allow/lock/read+/etc")));
  assert.equal(dropRefusal(state, parseCommand("allow/lock/read-/usr")), undefined);
  assert.ok(dropRefusal(state, parseCommand("default/lock:warn")));
  assert.equal(dropRefusal(state, parseCommand("default/lock:kill")), undefined);
  assert.ok(dropRefusal(state, parseCommand("sandbox/lock:off")));
});

Deno.test("port sets: parse, and subtract through the shared ranges", () => {
  assert.deepEqual(parsePorts("443,80,81-90"), [[80, 90], [443, 443]]);
  assert.equal(parsePorts(" 80"), undefined);
  assert.equal(parsePorts("-1"), undefined);
  assert.equal(parsePorts("65536"), undefined);
  assert.deepEqual(subtractRanges([[0, 65535]], [[80, 80]]), [[0, 79], [81, 65535]]);
});
