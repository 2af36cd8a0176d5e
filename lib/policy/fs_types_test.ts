import assert from "node:assert/strict";
import { FS_TYPES, FsTypeError, parseFsTypes } from "./fs_types.ts";

Deno.test("parseFsTypes() reads names, all, and numbers in hex, octal and decimal", () => {
  assert.deepEqual(parseFsTypes("ext,tmpfs"), [0x137d, 0xef51, 0xef53, 0x01021994]);
  assert.equal(parseFsTypes("proc,all"), "all");
  assert.deepEqual(parseFsTypes("0x9fa0,0o23420,40864"), [0x9fa0, 0o23420, 40864]);
});

Deno.test("parseFsTypes() names the first item that is no type, with its offset", () => {
  for (const [text, offset] of [["ext,nope", 4], ["", 0], ["ext,,tmpfs", 4], ["0xg", 0]] as const) {
    assert.throws(
      () => parseFsTypes(text),
      (err) => err instanceof FsTypeError && err.offset === offset,
    );
  }
});

Deno.test("parseFsTypes() either parses or throws FsTypeError on random text, and every name parses", () => {
  const alphabet = "abcdefx0123456789,_o";
  let seed = 0x5eed;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < 20_000; i++) {
    const text = Array.from({ length: next() % 16 }, () => alphabet[next() % alphabet.length]).join(
      "",
    );
    try {
      const types = parseFsTypes(text);
      assert.ok(types === "all" || types.every((t) => Number.isSafeInteger(t) && t >= 0));
    } catch (err) {
      assert.ok(err instanceof FsTypeError, String(err));
    }
  }
  for (const [name, magics] of Object.entries(FS_TYPES)) {
    assert.deepEqual(parseFsTypes(name), magics);
  }
});
