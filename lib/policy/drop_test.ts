import assert from "node:assert/strict";
import { dropRefusal } from "./drop.ts";
import { parseCommand } from "./parse.ts";
import { apply, initialState } from "./state.ts";

/** The state after `commands`, from the initial one. */
function stateOf(...commands: string[]) {
  const state = initialState();
  for (const text of commands) apply(state, parseCommand(text), { file: "-m#1", line: 1 });
  return state;
}

Deno.test("dropRefusal() lets only tightening commands through", () => {
  const state = stateOf("deny/read+/etc/***", "lock:drop");
  const accepted = [
    "sandbox/read:on",
    "default/read:kill",
    "deny/write+/etc/***",
    "kill/read+/etc/shadow",
    "allow/read-/usr/***",
    "allow/read^/usr/***",
    "trace/force_cloexec:1",
    "trace/deny_dotdot:1",
    "trace/allow_unsafe_create:0",
    "lock:on",
    "lock:drop",
  ];
  for (const text of accepted) {
    assert.equal(dropRefusal(state, parseCommand(text)), undefined, text);
  }
  const refused = [
    "sandbox/read:off",
    "default/read:allow",
    "default/read:filter",
    "allow/read+/tmp/***",
    "warn/read-/tmp/***",
    "deny/read-/etc/***",
    "deny/read^/etc/***",
    "trace/force_cloexec:0",
    "trace/allow_unsafe_create:1",
    "trace/exit_wait_all:1",
    "lock:exec",
    "lock:off",
    "sandbox/read?",
    "reset",
    "setenv!X=1",
  ];
  for (const text of refused) {
    assert.notEqual(dropRefusal(state, parseCommand(text)), undefined, text);
  }
});

Deno.test("dropRefusal() refuses a rule that meets a stricter rule or default", () => {
  const state = stateOf("panic/read+/etc/***", "default/write:kill", "lock:drop");
  assert.notEqual(dropRefusal(state, parseCommand("deny/read+/etc/passwd")), undefined);
  assert.equal(dropRefusal(state, parseCommand("deny/read+/usr/***")), undefined);
  assert.equal(dropRefusal(state, parseCommand("stop/read+/etc/passwd")), undefined);
  assert.notEqual(dropRefusal(state, parseCommand("deny/write+/usr/***")), undefined);
  assert.equal(dropRefusal(state, parseCommand("exit/write+/usr/***")), undefined);
  const lowered = stateOf("default/read:kill", "lock:drop");
  assert.notEqual(dropRefusal(lowered, parseCommand("default/read:deny")), undefined);
});

Deno.test("parseCommand() reads lock:drop and the original's short lock states; ipc and read are not supported", () => {
  assert.deepEqual(parseCommand("lock:drop"), { kind: "lock", state: "drop" });
  assert.deepEqual(parseCommand("lock:d"), { kind: "lock", state: "drop" });
  assert.deepEqual(parseCommand("lock:x"), { kind: "lock", state: "exec" });
  assert.deepEqual(parseCommand("lock:1"), { kind: "lock", state: "on" });
  assert.deepEqual(parseCommand("lock:0"), { kind: "lock", state: "off" });
  for (const state of ["ipc", "i", "read", "r", "ro", "readonly", "read-only"]) {
    assert.throws(
      () => parseCommand(`lock:${state}`),
      (err: { unsupported?: boolean }) => err.unsupported === true,
    );
  }
  assert.throws(
    () => parseCommand("lock:dr"),
    (err: { unsupported?: boolean }) => err.unsupported === false,
  );
});

Deno.test("dropRefusal() of ioctl rules: a denial may be added and an allowance removed, nothing else", () => {
  const state = stateOf("lock:drop");
  for (const text of ["deny/ioctl+FIONREAD", "allow/ioctl-FIONREAD", "allow/ioctl^FIO*"]) {
    assert.equal(dropRefusal(state, parseCommand(text)), undefined, text);
  }
  for (const text of ["allow/ioctl+FIONREAD", "deny/ioctl-TIOCSTI", "deny/ioctl^TIOCSTI"]) {
    assert.notEqual(dropRefusal(state, parseCommand(text)), undefined, text);
  }
});

Deno.test("dropRefusal() lets limits only fall and their actions only rise, as the original's", () => {
  const state = stateOf("mem/max:1G", "mem/vm_max:0", "pid/max:10", "lock:drop");
  const accepted = [
    "mem/max:512M",
    "mem/max:1G",
    "mem/max:1",
    "mem/vm_max:8G", // from no limit to one
    "pid/max:9",
    "pid/max:10",
    "default/mem:deny",
    "default/mem:kill",
    "default/pid:kill",
    "default/pid:exit",
    "default/mem,pid:exit",
    "sandbox/mem,pid:on",
  ];
  for (const text of accepted) {
    assert.equal(dropRefusal(state, parseCommand(text)), undefined, text);
  }
  const refused: [string, string][] = [
    ["mem/max:1025M", "raising mem/max"],
    ["mem/max:0", "removing mem/max"],
    ["mem/vm_max:0", "removing mem/vm_max"],
    ["pid/max:11", "raising pid/max"],
    ["pid/max:0", "removing pid/max"],
    ["default/mem:warn", "default action warn"],
    ["default/mem:filter", "default action filter"],
    ["default/pid:stop", "lowering a default action"],
    ["default/mem,pid:stop", "lowering a default action"], // mem raised, pid lowered
    ["sandbox/mem:off", "turning a category off"],
    ["sandbox/pid:off", "turning a category off"],
  ];
  for (const [text, why] of refused) {
    assert.equal(dropRefusal(state, parseCommand(text)), why, text);
  }
  assert.equal(dropRefusal(stateOf("pid/max:0"), parseCommand("pid/max:5")), undefined);
});

Deno.test("dropRefusal() refuses every SafeSetID transit command, and lets allow_unsafe_setid go off only", () => {
  const state = stateOf("setuid+0:65534", "lock:drop");
  for (const text of ["setuid+0:65534", "setuid-0:65534", "setuid^0", "setgid^"]) {
    assert.equal(
      dropRefusal(state, parseCommand(text)),
      "SafeSetID transits (setuid, setgid)",
      text,
    );
  }
  assert.equal(dropRefusal(state, parseCommand("trace/allow_unsafe_setid:0")), undefined);
  assert.equal(
    dropRefusal(state, parseCommand("trace/allow_unsafe_setid:1")),
    "turning trace/allow_unsafe_setid on",
  );
  for (const text of ["trace/allow_safe_setuid:0", "trace/allow_safe_setgid:1"]) {
    assert.ok(dropRefusal(state, parseCommand(text)) !== undefined, text);
  }
});
