import assert from "node:assert/strict";
import {
  type Address,
  ADDRESS_ALIASES,
  AddressError,
  formatAddress,
  formatIpv6,
  networkProtocol,
  parseAddress,
  parseIpv6,
} from "./address.ts";

/** The AddressError that parsing `text` throws (fails the test if it parses). */
function refusal(text: string): AddressError {
  try {
    const address = parseAddress(text);
    assert.fail(`${JSON.stringify(text)} parsed as ${JSON.stringify(address)}`);
  } catch (err) {
    if (err instanceof AddressError) return err;
    throw err;
  }
}

/** Parses, checks the value, and checks the canonical text and that it reads back equal. */
function roundTrip(text: string, expected: Address, canonical = text): void {
  const address = parseAddress(text);
  assert.deepEqual(address, expected);
  assert.equal(formatAddress(address), canonical);
  assert.deepEqual(parseAddress(canonical), expected);
}

/** The canonical text of one IPv6 address. */
function canonical6(text: string): string {
  const address = parseAddress(`${text}!1`);
  assert.equal(address.kind, "inet");
  if (address.kind !== "inet") throw new Error("unreachable");
  return address.cidrs[0].address;
}

// IPv4.

Deno.test("parseAddress() reads IPv4 without a prefix as /32", () => {
  roundTrip("127.0.0.1!9050", {
    kind: "inet",
    cidrs: [{ family: 4, address: "127.0.0.1", prefix: 32 }],
    ports: [{ min: 9050, max: 9050 }],
  });
});

Deno.test("parseAddress() reads IPv4 with a prefix", () => {
  roundTrip("10.0.0.0/8!80", {
    kind: "inet",
    cidrs: [{ family: 4, address: "10.0.0.0", prefix: 8 }],
    ports: [{ min: 80, max: 80 }],
  });
  roundTrip("0.0.0.0/0!1", {
    kind: "inet",
    cidrs: [{ family: 4, address: "0.0.0.0", prefix: 0 }],
    ports: [{ min: 1, max: 1 }],
  });
});

Deno.test("formatAddress() leaves out a full-length prefix", () => {
  assert.equal(formatAddress(parseAddress("1.2.3.4/32!5")), "1.2.3.4!5");
  assert.equal(formatAddress(parseAddress("::1/128!5")), "::1!5");
});

// IPv6.

Deno.test("parseAddress() reads ::1", () => {
  roundTrip("::1!53", {
    kind: "inet",
    cidrs: [{ family: 6, address: "::1", prefix: 128 }],
    ports: [{ min: 53, max: 53 }],
  });
});

Deno.test("parseAddress() reads fe80::/10", () => {
  roundTrip("fe80::/10!0-65535", {
    kind: "inet",
    cidrs: [{ family: 6, address: "fe80::", prefix: 10 }],
    ports: [{ min: 0, max: 65535 }],
  });
});

Deno.test("parseAddress() reads the full IPv6 form and compresses it", () => {
  assert.equal(canonical6("2001:0db8:0000:0000:0000:ff00:0042:8329"), "2001:db8::ff00:42:8329");
  assert.equal(canonical6("0000:0000:0000:0000:0000:0000:0000:0001"), "::1");
});

Deno.test("parseAddress() reads an embedded IPv4 tail as the same address as its hex form", () => {
  assert.deepEqual(parseAddress("::ffff:1.2.3.4!80"), parseAddress("::ffff:102:304!80"));
  assert.deepEqual(parseAddress("64:ff9b::192.0.2.33!80"), parseAddress("64:ff9b::c000:221!80"));
  assert.deepEqual(
    parseAddress("1:2:3:4:5:6:1.2.3.4!80"),
    parseAddress("1:2:3:4:5:6:102:304!80"),
  );
});

Deno.test("parseAddress() writes IPv6 in lower case without leading zeros (RFC 5952 4.1, 4.3)", () => {
  assert.equal(canonical6("2001:DB8:00AB::0001"), "2001:db8:ab::1");
});

Deno.test("parseAddress() compresses the longest run of zero groups (RFC 5952 4.2.1, 4.2.3)", () => {
  assert.equal(canonical6("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
  assert.equal(canonical6("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  assert.equal(canonical6("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
});

Deno.test("parseAddress() never compresses a single zero group (RFC 5952 4.2.2)", () => {
  assert.equal(canonical6("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
  assert.equal(canonical6("1:2:3:4:5:6:7::"), "1:2:3:4:5:6:7:0");
});

Deno.test("parseAddress() writes the unspecified address and trailing zeros with ::", () => {
  assert.equal(canonical6("0:0:0:0:0:0:0:0"), "::");
  assert.equal(canonical6("1:0:0:0:0:0:0:0"), "1::");
  assert.equal(canonical6("fe80:0:0:0:0:0:0:0"), "fe80::");
});

Deno.test("formatIpv6() and parseIpv6() agree on 8 groups", () => {
  const groups = [0x2001, 0xdb8, 0, 0, 0, 0, 0x2, 0x1];
  assert.equal(formatIpv6(groups), "2001:db8::2:1");
  assert.deepEqual(parseIpv6("2001:db8::2:1"), groups);
});

Deno.test("parseIpv6() refuses malformed addresses", () => {
  for (
    const text of ["1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "::g", ":1:2:3:4:5:6:7", "1:2:3", ""]
  ) {
    assert.equal(parseIpv6(text), undefined, text);
  }
});

// Ports.

Deno.test("parseAddress() reads a port range", () => {
  roundTrip("loopback4!1024-65535", {
    kind: "inet",
    alias: "loopback4",
    cidrs: [...ADDRESS_ALIASES.loopback4],
    ports: [{ min: 1024, max: 65535 }],
  });
});

Deno.test("parseAddress() reads a one-port range as one port", () => {
  const address = parseAddress("1.2.3.4!80-80");
  assert.deepEqual(address, parseAddress("1.2.3.4!80"));
  assert.equal(formatAddress(address), "1.2.3.4!80");
});

Deno.test("parseAddress() reads port 0 (an ephemeral bind)", () => {
  const address = parseAddress("loopback!0");
  assert.equal(address.kind, "inet");
  if (address.kind === "inet") {
    assert.deepEqual(address.ports, [{ min: 0, max: 0 }]);
  }
  assert.equal(formatAddress(address), "loopback!0");
});

Deno.test("parseAddress() reads port 65535", () => {
  assert.equal(formatAddress(parseAddress("::!65535")), "::!65535");
});

// Aliases.

Deno.test("parseAddress() knows every alias and formats it back by name", () => {
  const names = [
    "any",
    "any4",
    "any6",
    "loopback",
    "loopback4",
    "loopback6",
    "local",
    "local4",
    "local6",
    "linklocal",
    "linklocal4",
    "linklocal6",
  ];
  for (const name of names) assert.ok(ADDRESS_ALIASES[name], name);
  for (const name of Object.keys(ADDRESS_ALIASES)) {
    roundTrip(`${name}!22`, {
      kind: "inet",
      alias: name,
      cidrs: [...ADDRESS_ALIASES[name]],
      ports: [{ min: 22, max: 22 }],
    });
  }
});

Deno.test("parseAddress() expands any and loopback to both families", () => {
  const any = parseAddress("any!1");
  const loopback = parseAddress("loopback!1");
  assert.ok(any.kind === "inet" && loopback.kind === "inet");
  assert.deepEqual(any.cidrs, [
    { family: 4, address: "0.0.0.0", prefix: 0 },
    { family: 6, address: "::", prefix: 0 },
  ]);
  assert.deepEqual(loopback.cidrs, [
    { family: 4, address: "127.0.0.0", prefix: 8 },
    { family: 6, address: "::1", prefix: 128 },
  ]);
});

Deno.test("parseAddress() keeps RFC 1918 ranges in local4", () => {
  const local4 = parseAddress("local4!1");
  assert.ok(local4.kind === "inet");
  for (const cidr of ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]) {
    assert.ok(local4.cidrs.some((c) => `${c.address}/${c.prefix}` === cidr), cidr);
  }
  assert.ok(local4.cidrs.every((c) => c.family === 4));
});

// UNIX sockets.

Deno.test("parseAddress() reads an absolute path as a UNIX socket pattern", () => {
  roundTrip("/run/user/1000/bus", { kind: "unix", pattern: "/run/user/1000/bus" });
  roundTrip("/tmp/**/*.sock", { kind: "unix", pattern: "/tmp/**/*.sock" });
  roundTrip("/a!b", { kind: "unix", pattern: "/a!b" });
});

Deno.test("parseAddress() reads @name as an abstract socket pattern", () => {
  roundTrip("@/tmp/.X11-unix/X0", { kind: "abstract", pattern: "/tmp/.X11-unix/X0" });
  roundTrip("@dbus-*", { kind: "abstract", pattern: "dbus-*" });
});

Deno.test("parseAddress() points a UNIX pattern error into the pattern", () => {
  const unix = refusal("/tmp/[x");
  assert.match(unix.message, /unclosed \[/);
  assert.equal(unix.offset, 5);
  assert.equal(refusal("@ab[x").offset, 3);
  assert.equal(refusal("@x\\").offset, 2);
});

// Errors.

Deno.test("parseAddress() refuses an empty address", () => {
  const err = refusal("");
  assert.equal(err.message, "empty address");
  assert.equal(err.offset, 0);
});

Deno.test("parseAddress() refuses an empty abstract name after @", () => {
  const err = refusal("@");
  assert.match(err.message, /needs a name after @/);
  assert.equal(err.offset, 1);
});

Deno.test("parseAddress() refuses a missing port, pointing at the end", () => {
  const err = refusal("127.0.0.1");
  assert.match(err.message, /"127.0.0.1" needs a port: ADDR!PORT or ADDR!PORT-PORT/);
  assert.equal(err.offset, 9);
});

Deno.test("parseAddress() refuses a bad port at the port", () => {
  const err = refusal("::1!http");
  assert.equal(err.message, '"http" is not a port (0 to 65535)');
  assert.equal(err.offset, 4);
  assert.equal(refusal("1.2.3.4!").offset, 8);
  assert.equal(refusal("1.2.3.4!-5").offset, 8);
  assert.equal(refusal("1.2.3.4!5-").offset, 10);
  assert.equal(refusal("1.2.3.4!-1").offset, 8);
});

Deno.test("parseAddress() refuses a port above 65535", () => {
  const err = refusal("1.2.3.4!65536");
  assert.equal(err.message, '"65536" is not a port (0 to 65535)');
  assert.equal(err.offset, 8);
  assert.equal(refusal("1.2.3.4!1-70000").offset, 10);
  assert.equal(refusal("1.2.3.4!123456").offset, 8);
});

Deno.test("parseAddress() refuses a backwards port range at its start", () => {
  const err = refusal("loopback!443-80");
  assert.equal(err.message, "port range 443-80 is backwards");
  assert.equal(err.offset, 9);
});

Deno.test("parseAddress() refuses a bad prefix at the /", () => {
  const v4 = refusal("10.0.0.0/33!1");
  assert.equal(v4.message, '"/33" is not a prefix length (0 to 32)');
  assert.equal(v4.offset, 8);
  const v6 = refusal("fe80::/129!1");
  assert.equal(v6.message, '"/129" is not a prefix length (0 to 128)');
  assert.equal(v6.offset, 6);
  assert.equal(refusal("10.0.0.0/!1").offset, 8);
  assert.equal(refusal("10.0.0.0/x!1").offset, 8);
  assert.equal(refusal("10.0.0.0/-1!1").offset, 8);
});

Deno.test("parseAddress() refuses what is not an address at offset 0", () => {
  for (
    const text of [
      "example.com!80",
      "256.0.0.1!80",
      "1.2.3!80",
      "1.2.3.4.5!80",
      "1::2::3!80",
      "!80",
      "localhost!80",
      "loopback/8!80",
      "relative/path",
    ]
  ) {
    const err = refusal(text);
    assert.equal(err.offset, text.includes("!") ? 0 : text.length, text);
  }
  assert.match(refusal("example.com!80").message, /is not an IPv4 or IPv6 address or an alias/);
});

Deno.test("parseAddress() throws only AddressError for bad input", () => {
  for (const text of ["", "@", "!", "!!", "/", "[", "/[", "1.2.3.4!a-b", "::!-", "a!1-2-3"]) {
    try {
      parseAddress(text);
    } catch (err) {
      assert.ok(err instanceof AddressError, `${text}: ${err}`);
    }
  }
});

// Bugs.

Deno.test({
  name: "parseAddress() refuses an IPv4 part that is not the last 32 bits of an IPv6 address",
  // Regression (was a bug): parseIpv6() accepts a dotted quad as the last group of the part before "::":
  // parseAddress("1.2.3.4::!80") is accepted as 102:304:: (RFC 4291 2.2 allows it only at the end).

  fn() {
    for (const text of ["1.2.3.4::!80", "1::1.2.3.4:5!80", "::1.2.3.4::!80"]) {
      assert.throws(() => parseAddress(text), AddressError, text);
    }
  },
});

Deno.test({
  name: "parseAddress() refuses Object.prototype names as aliases with an AddressError",
  // Regression (was a bug): ADDRESS_ALIASES is a plain object: parseAddress("constructor!80") (and "toString!80")
  // throws TypeError "alias is not iterable"; parseCommand("allow/net/bind+constructor!80") too.

  fn() {
    for (const name of ["constructor", "toString", "hasOwnProperty"]) {
      assert.throws(() => parseAddress(`${name}!80`), AddressError, name);
    }
  },
});

Deno.test({
  name: "parseAddress() writes IPv4-mapped addresses in mixed notation (RFC 5952 5)",
  // Regression (was a bug): RFC 5952 section 5 recommends ::ffff:1.2.3.4 for IPv4-mapped addresses, as
  // inet_ntop(3) prints them; formatAddress(parseAddress("::ffff:1.2.3.4!80")) gives
  // "::ffff:102:304!80".

  fn() {
    assert.equal(formatAddress(parseAddress("::ffff:1.2.3.4!80")), "::ffff:1.2.3.4!80");
  },
});

Deno.test({
  name: "parseAddress() refuses IPv4 octets with leading zeros",
  // Regression (was a bug): parseAddress("010.0.0.1!80") is 10.0.0.1, while inet_aton(3) reads 010 as
  // octal 8 and Rust's Ipv4Addr parser (which the original syd uses) refuses leading zeros.

  fn() {
    assert.throws(() => parseAddress("010.0.0.1!80"), AddressError);
  },
});

Deno.test("parseAddress() reads dial(3) strings: network, address or alias, port list", () => {
  assert.deepEqual(parseAddress("tcp!127.0.0.1!9"), {
    kind: "inet",
    network: "tcp",
    cidrs: [{ family: 4, address: "127.0.0.1", prefix: 32 }],
    ports: [{ min: 9, max: 9 }],
  });
  const list = parseAddress("TCP!10.0.0.0/8!22,80,8000-9000");
  assert.ok(list.kind === "inet");
  assert.equal(list.network, "tcp");
  assert.deepEqual(list.ports, [{ min: 22, max: 22 }, { min: 80, max: 80 }, {
    min: 8000,
    max: 9000,
  }]);
  const any6 = parseAddress("tcp6!*!443");
  assert.ok(any6.kind === "inet");
  assert.deepEqual(any6.cidrs, [{ family: 6, address: "::", prefix: 0 }]);
  const loop4 = parseAddress("udp4!loopback!*");
  assert.ok(loop4.kind === "inet");
  assert.deepEqual(loop4.cidrs, [{ family: 4, address: "127.0.0.0", prefix: 8 }]);
  assert.deepEqual(loop4.ports, [{ min: 0, max: 65535 }]);
  assert.deepEqual(parseAddress("unix!/run/***"), { kind: "unix", pattern: "/run/***" });
  assert.deepEqual(parseAddress("unixgram!@dbus-*"), { kind: "abstract", pattern: "dbus-*" });
  assert.deepEqual(parseAddress("::1!80,443").kind, "inet");
});

Deno.test("parseAddress() refuses a dial(3) string whose address is of the wrong family", () => {
  assert.throws(() => parseAddress("tcp6!127.0.0.1!80"), /not an IPv6 address, as tcp6 needs/);
  assert.throws(() => parseAddress("tcp4!loopback6!80"), /no IPv4 address for tcp4/);
  assert.throws(() => parseAddress("tcp!127.0.0.1"), /needs a service/);
  assert.throws(() => parseAddress("tcp!127.0.0.1!80-70"), /backwards/);
  assert.throws(() => parseAddress("unix!relative"), /not a UNIX socket address/);
});

Deno.test("formatAddress() writes dial(3) strings back as read", () => {
  for (
    const text of ["tcp!127.0.0.1!9", "udp6!::1!53,5353", "icmp!loopback!0-65535", "net!any!80"]
  ) {
    assert.equal(formatAddress(parseAddress(text)), text);
  }
});

Deno.test("networkProtocol() gives the IP protocol of each network, by family for icmp", () => {
  assert.equal(networkProtocol("tcp", 4), 6);
  assert.equal(networkProtocol("udp6", 6), 17);
  assert.equal(networkProtocol("icmp", 4), 1);
  assert.equal(networkProtocol("icmp", 6), 58);
  assert.equal(networkProtocol("net", 6), 0);
  assert.equal(networkProtocol(undefined, 4), 0);
});
