import assert from "node:assert/strict";
import { dropRefusal } from "./drop.ts";
import { formatCommand, parseCommand } from "./parse.ts";
import { apply, dump, initialState } from "./state.ts";
import { compileTrust, initialTrust } from "./trust.ts";

/** The state after `commands`, from the initial one. */
function stateOf(...commands: string[]) {
  const state = initialState();
  for (const text of commands) apply(state, parseCommand(text), { file: "-m#1", line: 1 });
  return state;
}

Deno.test("parseCommand() reads TPE's and SegvGuard's commands, and formatCommand() writes them back", () => {
  const cases: [string, string][] = [
    ["sandbox/tpe:on", "sandbox/tpe:on"],
    ["sandbox/read,tpe:off", "sandbox/read,tpe:off"],
    ["default/segvguard,tpe:kill", "default/tpe,segvguard:kill"],
    ["tpe/gid:100", "tpe/gid:100"],
    ["tpe/gid:none", "tpe/gid:none"],
    ["tpe/negate:on", "tpe/negate:1"],
    ["tpe/root_owned:1", "tpe/root_owned:1"],
    ["tpe/user_owned:0", "tpe/user_owned:0"],
    ["tpe/root_mount:true", "tpe/root_mount:1"],
    ["segvguard/expiry:0", "segvguard/expiry:0"],
    ["segvguard/expiry:2m", "segvguard/expiry:120"],
    ["segvguard/suspension:1500ms", "segvguard/suspension:1500ms"],
    ["segvguard/maxcrashes:3", "segvguard/maxcrashes:3"],
  ];
  for (const [text, formatted] of cases) {
    const command = parseCommand(text);
    assert.equal(formatCommand(command), formatted, text);
    assert.deepEqual(parseCommand(formatted), command, text);
  }
  for (
    const text of [
      "sandbox/segvguard:on",
      "default/tpe:allow",
      "tpe/gid:-1",
      "tpe/negate:maybe",
      "tpe/bogus:1",
      "segvguard/suspension:0",
      "segvguard/suspension:500ms",
      "segvguard/maxcrashes:0",
      "segvguard/maxcrashes:256",
      "segvguard/expiry:soon",
      "segvguard/bogus:1",
      "tpe/gid+1",
    ]
  ) {
    assert.throws(() => parseCommand(text), text);
  }
});

Deno.test("the state holds TPE's and SegvGuard's settings, dumps and compiles them (defaults: left out)", () => {
  assert.deepEqual(initialState().trust, initialTrust());
  assert.equal(compileTrust(initialState().trust), undefined);
  const state = stateOf(
    "sandbox/tpe:off",
    "default/tpe:kill",
    "default/segvguard:warn",
    "tpe/gid:7",
    "tpe/negate:1",
    "tpe/root_mount:1",
    "segvguard/expiry:0",
    "segvguard/suspension:30s",
    "segvguard/maxcrashes:2",
  );
  assert.deepEqual(compileTrust(state.trust), {
    tpe: false,
    tpe_action: "kill",
    tpe_gid: 7,
    tpe_negate: true,
    tpe_root_owned: false,
    tpe_user_owned: false,
    tpe_root_mount: true,
    segvguard_action: "warn",
    segvguard_expiry_ms: 0,
    segvguard_suspension_ms: 30_000,
    segvguard_maxcrashes: 2,
  });
  const lines = dump(state);
  for (
    const line of [
      "sandbox/tpe:off",
      "default/tpe:kill",
      "default/segvguard:warn",
      "tpe/gid:7",
      "tpe/negate:1",
      "tpe/root_mount:1",
      "segvguard/expiry:0",
      "segvguard/suspension:30",
      "segvguard/maxcrashes:2",
    ]
  ) {
    assert.ok(lines.includes(line), `${line} in ${lines.join("; ")}`);
  }
  // -p off turns TPE off, as the original's.
  const off = stateOf("sandbox/all,fs,ioctl,lock,mem,pid,tpe:off");
  assert.equal(off.trust.tpe, false);
});

Deno.test("dropRefusal(): TPE and SegvGuard may only tighten under lock:drop, as the original's", () => {
  const state = stateOf("segvguard/expiry:60", "segvguard/suspension:60", "lock:drop");
  const accepted = [
    "sandbox/tpe:on",
    "default/tpe:kill",
    "default/segvguard:deny",
    "tpe/root_owned:1",
    "tpe/root_mount:1",
    "segvguard/expiry:120",
    "segvguard/suspension:90",
    "segvguard/maxcrashes:3",
  ];
  for (const text of accepted) {
    assert.equal(dropRefusal(state, parseCommand(text)), undefined, text);
  }
  const refused = [
    "sandbox/tpe:off",
    "default/tpe:warn",
    "default/segvguard:filter",
    "tpe/gid:1",
    "tpe/gid:none",
    "tpe/negate:1",
    "tpe/user_owned:1",
    "tpe/root_owned:0",
    "tpe/root_mount:0",
    "segvguard/expiry:0",
    "segvguard/expiry:30",
    "segvguard/suspension:30",
    "segvguard/maxcrashes:6",
  ];
  for (const text of refused) {
    assert.notEqual(dropRefusal(state, parseCommand(text)), undefined, text);
  }
});
