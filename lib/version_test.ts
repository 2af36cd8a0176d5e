import assert from "node:assert/strict";
import { API, VERSION } from "./version.ts";

Deno.test("VERSION matches deno.json and API is the original's 3", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.equal(VERSION, config.version);
  assert.equal(API, 3);
});
