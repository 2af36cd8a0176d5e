import assert from "node:assert/strict";
import { parseAddress } from "./address.ts";
import { addressesIntersect, fsTypesIntersect, globsIntersect } from "./intersect.ts";

Deno.test("globsIntersect() tells whether two patterns match a common path", () => {
  const yes: [string, string][] = [
    ["/tmp/***", "/tmp/***"],
    ["/tmp/***", "/tmp"],
    ["/tmp/***", "/tmp/a/b/c"],
    ["/tmp/*", "/tmp/x.c"],
    ["/tmp/*.c", "/tmp/a*"],
    ["/**", "/etc/passwd"],
    ["/etc/pass?d", "/etc/p*"],
    ["/dev/tty[0-9]", "/dev/tty1"],
    ["/a/**/z", "/a/b/c/z"],
    ["!memfd:*", "!memfd:x"],
  ];
  for (const [a, b] of yes) {
    assert.ok(globsIntersect(a, b), `${a} ${b}`);
    assert.ok(globsIntersect(b, a), `${b} ${a}`);
  }
  const no: [string, string][] = [
    ["/tmp/*", "/etc/*"],
    ["/tmp/*", "/tmp/a/b"],
    ["/tmp/***", "/tmpx"],
    ["/etc/pass?d", "/etc/pass/d"],
    ["/dev/tty[0-9]", "/dev/ttyS"],
    ["/a/*.c", "/a/*.h"],
    ["!pipe", "!memfd:*"],
  ];
  for (const [a, b] of no) {
    assert.ok(!globsIntersect(a, b), `${a} ${b}`);
    assert.ok(!globsIntersect(b, a), `${b} ${a}`);
  }
});

Deno.test("addressesIntersect() compares ranges, ports and socket names", () => {
  const at = (text: string) => parseAddress(text);
  assert.ok(addressesIntersect(at("any!22"), at("127.0.0.1!22")));
  assert.ok(addressesIntersect(at("10.0.0.0/8!1-100"), at("10.1.2.3!80")));
  assert.ok(!addressesIntersect(at("10.0.0.0/8!1-100"), at("10.1.2.3!101")));
  assert.ok(!addressesIntersect(at("10.0.0.0/8!22"), at("192.168.0.1!22")));
  assert.ok(!addressesIntersect(at("any4!22"), at("::1!22")));
  assert.ok(addressesIntersect(at("/run/*.sock"), at("/run/x.sock")));
  assert.ok(!addressesIntersect(at("/run/*.sock"), at("@x")));
});

Deno.test("fsTypesIntersect() finds a common type, all meets everything", () => {
  assert.ok(fsTypesIntersect("all", [1]));
  assert.ok(fsTypesIntersect([1, 2], [2, 3]));
  assert.ok(!fsTypesIntersect([1, 2], [3]));
});
