import assert from "node:assert/strict";
import { compile, load } from "./mod.ts";
import { dropRefusal } from "./drop.ts";
import { parseCommand } from "./parse.ts";
import { lint } from "../lint.ts";

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

Deno.test("lint warns of force entries while Force is off, and of Force on with nothing listed", () => {
  const off = lint(["-m", `force+/usr/bin/x:sha256:${HEX}`], {});
  assert.match(off.stdout + off.stderr, /check nothing while Force sandboxing is off/);
  const empty = lint(["-m", "sandbox/force:on"], {});
  assert.match(empty.stdout + empty.stderr, /every program is refused/);
  const md4 = lint(["-m", `force+/x:md4:${"1".repeat(32)}`], {});
  assert.equal(md4.status, 1);
  assert.match(md4.stdout + md4.stderr, /"md4" is not supported/);
});
