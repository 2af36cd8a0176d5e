import assert from "node:assert/strict";
import { API, buildInfo, VERSION } from "./version.ts";

Deno.test("VERSION matches deno.json and API is the original's 3", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.equal(VERSION, config.version);
  assert.equal(API, 3);
});

Deno.test("buildInfo says how syd was made: the one file's own line, deno compile, or the source tree", () => {
  const line = "one file, made by deno task dist from commit 0123abcd4567";
  assert.equal(buildInfo({ SYD_DIST: line }, "file:///tmp/x/syd.js"), line);
  assert.match(
    buildInfo({}, "file:///tmp/deno-compile-syd/lib/version.ts"),
    /^deno compile/,
  );
  assert.match(buildInfo({}, "file:///work/syd/lib/version.ts"), /^source tree/);
});
