import assert from "node:assert/strict";
import {
  DEFAULT_IOCTL,
  defaultIoctlRules,
  ioctlErrno,
  ioctlNames,
  ioctlTable,
  parseIoctlList,
} from "./ioctl.ts";

Deno.test("the ioctl table reads as sorted, distinct names with 32-bit requests", () => {
  const table = ioctlTable();
  assert.ok(table.length > 2900, String(table.length));
  for (let i = 0; i < table.length; i++) {
    const [name, request, mask] = table[i];
    assert.match(name, /^[A-Z0-9_]+$/);
    assert.ok(Number.isInteger(request) && request >= 0 && request <= 0xffff_ffff, name);
    assert.ok(Number.isInteger(mask) && mask >= 0 && mask <= 0xffff_ffff, name);
    if (i > 0) assert.ok(table[i - 1][0] < name, `${table[i - 1][0]} before ${name}`);
  }
});

Deno.test("every name in the table is found by itself, in any case", () => {
  for (const [name, request, mask] of ioctlTable()) {
    assert.deepEqual(parseIoctlList(name), [{ request, mask }], name);
  }
  assert.deepEqual(parseIoctlList("fionbio"), [{ request: 0x5421, mask: 0 }]);
});

Deno.test("a name is found whole, never as a piece of a line", () => {
  for (const text of ["FIONBIO 5421", "FIONBI", "IONBIO", "5421 0", "FIONBIO\nFIOCLEX"]) {
    assert.throws(() => parseIoctlList(text), /unknown ioctl request|invalid|empty/, text);
  }
  assert.deepEqual(parseIoctlList("NO_SUCH_REQUEST!"), []);
});

Deno.test("globs, numbers and reverse look-ups read the same table", () => {
  const fio = parseIoctlList("FIO*");
  assert.ok(fio.some((r) => r.request === 0x5421));
  assert.deepEqual(ioctlNames(0x5421), ["FIONBIO"]);
  assert.deepEqual(parseIoctlList("0x5421"), [{ request: 0x5421, mask: 0 }]);
});

Deno.test("the default rules name known requests, and FIBMAP answers EPERM", () => {
  const rules = defaultIoctlRules();
  const known = DEFAULT_IOCTL.filter(([name]) => ioctlTable().some(([n]) => n === name));
  assert.ok(rules.size > 0);
  assert.ok(rules.size <= known.length);
  assert.ok(known.length >= DEFAULT_IOCTL.length - 5, "most default names are in the table");
  const [fibmap] = parseIoctlList("FIBMAP");
  assert.equal(ioctlErrno(fibmap.request), 1);
  assert.equal(ioctlErrno(0x5421), 25);
});
