import assert from "node:assert/strict";
import { compile, load } from "./mod.ts";
import { dropRefusal } from "./drop.ts";
import { parseCommand } from "./parse.ts";

const HEX = "ab".repeat(32);

function state(...commands: string[]) {
  const loaded = load(commands.map((text) => ({ kind: "command", text })), { env: {} });
  assert.deepEqual(loaded.diagnostics, []);
  return loaded.state;
}

Deno.test("force entries: added, replaced, removed, cleared; compiled sorted by path", () => {
  const s = state(
    "sandbox/force:on",
    "default/force:warn",
    `force+/z:sha256:${HEX}`,
    `force+/a:sha256:${HEX}:kill`,
    `force+/m:crc32:0000000f`,
    "force-/m",
    `force+/z:sha256:${"cd".repeat(32)}`,
  );
  const doc = compile(s, { logLevel: "warn", pool: { core: 1, max: 2, keep_alive_ms: 1 } });
  assert.deepEqual(doc.force, {
    on: true,
    default: "warn",
    rules: [
      { path: "/a", alg: "sha256", digest: HEX, action: "kill" },
      { path: "/z", alg: "sha256", digest: "cd".repeat(32), action: "deny" },
    ],
  });
  const cleared = state(`force+/a:sha256:${HEX}`, "force^");
  assert.equal(cleared.force.rules.size, 0);
  const off = compile(state(), { logLevel: "warn", pool: { core: 1, max: 2, keep_alive_ms: 1 } });
  assert.equal(off.force, undefined);
});

Deno.test("force under lock:drop: entries added (not warn), never removed or replaced", () => {
  const s = state(`force+/a:sha256:${HEX}`);
  assert.equal(dropRefusal(s, parseCommand(`force+/b:sha256:${HEX}`)), undefined);
  assert.match(dropRefusal(s, parseCommand(`force+/b:sha256:${HEX}:warn`)) ?? "", /warn/);
  assert.match(dropRefusal(s, parseCommand(`force+/a:sha256:${HEX}`)) ?? "", /replacing/);
  assert.match(dropRefusal(s, parseCommand("force-/a")) ?? "", /removing/);
  assert.match(dropRefusal(s, parseCommand("force^")) ?? "", /removing/);
  assert.match(
    dropRefusal(state("default/force:kill"), parseCommand("default/force:deny")) ?? "",
    /lowering/,
  );
});
