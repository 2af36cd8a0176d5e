import assert from "node:assert/strict";
import { compile, compileLimits } from "./compile.ts";
import { load } from "./sources.ts";
import { initialState, type PolicyState } from "./state.ts";

const OPTIONS = { logLevel: "warn", pool: { core: 1, max: 4, keep_alive_ms: 1000 } };

/** Loads `-m` commands, failing on any diagnostic. */
function loaded(...texts: string[]): PolicyState {
  const result = load(texts.map((text) => ({ kind: "command", text })), { env: {} });
  assert.deepEqual(result.diagnostics, []);
  return result.state;
}

Deno.test("compile() leaves limits out when both layers are off and all is at its default", () => {
  assert.equal("limits" in compile(initialState(), OPTIONS), false);
  assert.equal("limits" in compile(loaded("sandbox/mem,pid:off", "mem/max:0"), OPTIONS), false);
  assert.equal(
    "limits" in JSON.parse(JSON.stringify(compile(loaded("sandbox/all:off"), OPTIONS))),
    false,
  );
  assert.equal(compileLimits(initialState()), undefined);
});

Deno.test("compile() writes the limits after the implied on, as numbers", () => {
  const policy = compile(loaded("mem/max:64M", "sandbox/mem:off", "default/pid:warn"), OPTIONS);
  assert.deepEqual(policy.limits, {
    mem: true,
    mem_max: 64 * 2 ** 20,
    mem_vm_max: 0,
    mem_action: "deny",
    pid: false,
    pid_max: 0,
    pid_action: "warn",
  });
  assert.deepEqual(compile(loaded("pid/max:10", "mem/vm_max:1G"), OPTIONS).limits, {
    mem: true,
    mem_max: 0,
    mem_vm_max: 2 ** 30,
    mem_action: "deny",
    pid: true,
    pid_max: 10,
    pid_action: "kill",
  });
  // On without limits: written (the layer is on), with zeros.
  assert.deepEqual(compile(loaded("sandbox/pid:on"), OPTIONS).limits?.pid, true);
  // An action alone changes the document too.
  assert.equal(compile(loaded("default/mem:filter"), OPTIONS).limits?.mem, false);
});

Deno.test("compile() clamps limits above 2^53-1 and never writes a bigint", () => {
  const policy = compile(
    loaded(
      "mem/max:18446744073709551615",
      "mem/vm_max:9007199254740992",
      "pid/max:9007199254740991",
    ),
    OPTIONS,
  );
  assert.equal(policy.limits?.mem_max, Number.MAX_SAFE_INTEGER);
  assert.equal(policy.limits?.mem_vm_max, Number.MAX_SAFE_INTEGER);
  assert.equal(policy.limits?.pid_max, Number.MAX_SAFE_INTEGER);
  const text = JSON.stringify(policy); // throws on a bigint
  assert.match(text, /"limits":\{"mem":true,"mem_max":9007199254740991,/);
});

Deno.test("compile() takes sandbox/mem:off of a started state as it is (the implied on is the start's)", () => {
  const state = loaded("mem/max:64M");
  state.limits.mem = false; // what a running sandbox's sandbox/mem:off does
  assert.equal(compile(state, OPTIONS).limits?.mem, false);
  assert.equal(compile(state, OPTIONS).limits?.mem_max, 64 * 2 ** 20);
});
