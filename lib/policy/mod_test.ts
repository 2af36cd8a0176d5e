import assert from "node:assert/strict";
import { CATEGORIES, compile, PolicyUnsupportedError } from "./mod.ts";

const options = { logLevel: "warn", pool: { core: 2, max: 64, keep_alive_ms: 15_000 } };

Deno.test("compile() turns every category on and denying without a profile", () => {
  const policy = compile([], options);
  assert.equal(policy.version, 1);
  assert.equal(policy.categories.length, CATEGORIES.length);
  assert.ok(policy.categories.every((c) => c.on && c.default === "deny"));
});

Deno.test("compile() turns every category off for the off profile", () => {
  const policy = compile(["off"], options);
  assert.ok(policy.categories.every((c) => !c.on));
  assert.deepEqual(policy.pool, options.pool);
});

Deno.test("compile() refuses a profile it cannot apply yet", () => {
  assert.throws(() => compile(["off", "user"], options), PolicyUnsupportedError);
  assert.throws(() => compile(["nosuch"], options), /-p nosuch: not supported yet/);
});
