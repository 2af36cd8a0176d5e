import assert from "node:assert/strict";
import { compile } from "./compile.ts";
import { parseCommand } from "./parse.ts";
import {
  compileSetid,
  initialSetid,
  parseId,
  SETID_RULES_MAX,
  type SetidCommand,
  setidRefusal,
  startSetid,
} from "./setid.ts";
import { load, type LoadResult } from "./sources.ts";
import { apply, dump, initialState, type PolicyState } from "./state.ts";

const OPTIONS = { logLevel: "warn", pool: { core: 1, max: 4, keep_alive_ms: 1000 } };

/** Loads `-m` commands. */
function loadAll(...texts: string[]): LoadResult {
  return load(texts.map((text) => ({ kind: "command", text })), { env: { ID: "1000" } });
}

/** Loads `-m` commands, failing on any diagnostic. */
function loaded(...texts: string[]): PolicyState {
  const result = loadAll(...texts);
  assert.deepEqual(result.diagnostics, []);
  return result.state;
}

/** The errno syd exits with for the commands (0: accepted), as main's policyErrorStatus. */
function status(...texts: string[]): number {
  const error = loadAll(...texts).diagnostics.find((d) => d.severity === "error");
  return error === undefined ? 0 : error.errno ?? 22;
}

/** The transits of a kind as pairs, in the order added. */
function pairs(state: PolicyState, id: "uid" | "gid"): [number, number][] {
  return state.setid[id].map((r) => [r.src, r.dst]);
}

Deno.test("parseId() reads decimal, 0x hex and 0o octal u32 values as the original's str2uid", () => {
  const cases: [string, number | "overflow" | undefined][] = [
    ["0", 0],
    ["65534", 65534],
    ["+65534", 65534],
    ["-0", 0],
    ["-000", 0],
    ["007", 7],
    ["0x0", 0],
    ["0xfffe", 65534],
    ["0XFFFE", 65534],
    ["0x+10", 16],
    ["0o777", 511],
    ["0O10", 8],
    ["4294967295", 4294967295],
    ["0xffffffff", 4294967295],
    ["4294967296", "overflow"],
    ["-1", "overflow"],
    ["0x-1", "overflow"],
    ["99999999999x", "overflow"],
    ["", undefined],
    ["+", undefined],
    ["-", undefined],
    ["0x", undefined],
    ["0o8", undefined],
    ["0b1", undefined],
    ["1e3", undefined],
    [" 1", undefined],
    ["1 ", undefined],
    ["root", undefined],
    ["\u0661", undefined], // an Arabic-Indic one
    ["1x9999999999", undefined],
  ];
  for (const [text, expected] of cases) {
    const value = parseId(text);
    assert.equal(value, expected, JSON.stringify(text));
    if (typeof value === "number") assert.ok(Object.is(value, Math.abs(value)), text); // never -0
  }
});

Deno.test("load() checks an added transit in the original's order, with its errno", () => {
  const cases: [string[], number][] = [
    [["setuid+0:65534"], 0],
    [["setuid+0:0"], 22], // SRC == DST
    [["setuid+5:5"], 22], // SRC == DST before the privileged target
    [["setuid+0:5"], 13],
    [["setuid+0:11"], 13],
    [["setuid+0:12"], 0],
    [["setgid+0:14"], 13],
    [["setgid+0:15"], 0],
    [["setuid+65534:1000"], 13], // below the source
    [["setuid+0:65534", "setuid+0:65534"], 0], // the same pair: changes nothing
    [["setuid+0:65534", "setuid+0:65533"], 17], // one target per source
    [["setuid+0:1000", "setuid+1000:65534"], 13], // a chain: an existing target is the source
    [["setuid+1000:65534", "setuid+0:1000"], 13], // a chain: an existing source is the target
    [["setuid+0:65534", "setgid+65534:70000"], 0], // uids and gids apart
    [["setuid+0:65534", "setuid+100:65534"], 0], // two sources, one target
    [["setuid+0:65534", "setuid+0:65534", "setuid+0:65533"], 17],
    [["setuid+0:65534", "setuid-0:65534", "setuid+0:65533"], 0],
    [["setuid+0:65534", "setuid^0", "setuid+0:65533"], 0],
    [["setuid+0:65534", "setuid^", "setuid+0:65533"], 0],
    [["setuid+0:65534", "setgid^", "setuid+0:65533"], 17],
    [["setuid-0:65534"], 0], // removing nothing
    [["setuid^7"], 0],
    [["setgid^"], 0],
    [["setuid+root:nobody"], 22],
    [["setuid+0"], 22],
    [["setuid-0"], 22],
    [["setuid^0:1"], 22],
    [["setuid+0:4294967296"], 75],
    [["setuid+${ID}:65534"], 0], // ${VAR} as in every value
    [["setuid+${UNSET}:65534"], 22],
    [["trace/allow_safe_setuid:1", "trace/allow_safe_setgid:0", "trace/allow_unsafe_setid:1"], 0],
    [["trace/allow_safe_setuid:bogus"], 22],
    // lock:drop: every form refused (EPERM), as the original's; allow_unsafe_setid may go off.
    [["lock:drop", "setuid+0:65534"], 1],
    [["lock:drop", "setuid^"], 1],
    [["lock:drop", "trace/allow_safe_setuid:0"], 1],
    [["lock:drop", "trace/allow_unsafe_setid:1"], 1],
    [["lock:drop", "trace/allow_unsafe_setid:0"], 0],
    // lock:on: nothing after it is read (EPERM).
    [["lock:on", "setuid+0:65534"], 1],
  ];
  for (const [texts, errno] of cases) assert.equal(status(...texts), errno, texts.join(" "));
  assert.deepEqual(pairs(loaded("setuid+${ID}:65534"), "uid"), [[1000, 65534]]);
});

Deno.test("load() refuses the transit after the original's most (ENOSPC), and points at the value", () => {
  const texts = Array.from({ length: SETID_RULES_MAX }, (_, i) => `setuid+${i}:${100000 + i}`);
  assert.equal(status(...texts), 0);
  assert.equal(status(...texts, `setuid+${SETID_RULES_MAX}:200000`), 28);
  assert.equal(status(...texts, "setuid+0:100000"), 0); // an equal one is no new transit
  assert.equal(status(...texts, "setgid+0:100000"), 0); // gids have a limit of their own

  const exists = loadAll("setuid+0:65534", "setuid+0:1000").diagnostics[0];
  assert.equal(exists.errno, 17);
  assert.equal(exists.col, 8);
  assert.match(exists.message, /uid 0 has a transit already \(setuid\+0:65534\)/);
  assert.equal(exists.hint, "setuid-0:65534 removes it");
  const chainSrc = loadAll("setgid+0:1000", "setgid+1000:65534").diagnostics[0];
  assert.equal(chainSrc.errno, 13);
  assert.equal(chainSrc.col, 8);
  assert.match(chainSrc.message, /would chain with setgid\+0:1000: transits do not chain/);
  const chainDst = loadAll("setgid+1000:65534", "setgid+0x0:0x3e8").diagnostics[0];
  assert.equal(chainDst.col, 12);
});

Deno.test("apply() adds, keeps and removes transits in order, counting what was removed", () => {
  const state = initialState();
  const at = { file: "-m#1", line: 1, col: 1 };
  const run = (text: string) => apply(state, parseCommand(text), at);
  assert.equal(run("setuid+0:65534"), 0);
  assert.equal(run("setuid+100:65534"), 0);
  assert.equal(run("setuid+0:65534"), 0);
  assert.equal(run("setgid+0:65534"), 0);
  assert.deepEqual(pairs(state, "uid"), [[0, 65534], [100, 65534]]);
  assert.equal(run("setuid-0:65533"), 0);
  assert.equal(run("setuid-0:65534"), 1);
  assert.equal(run("setuid^7"), 0);
  assert.equal(run("setuid^100"), 1);
  assert.deepEqual(pairs(state, "uid"), []);
  assert.deepEqual(pairs(state, "gid"), [[0, 65534]]);
  assert.equal(run("setgid^"), 1);
  assert.deepEqual(state.setid, initialSetid());
  // A refused one is the loader's to report: apply() never adds it.
  run("setuid+0:65534");
  assert.throws(() => run("setuid+0:1000"), /one target per source/);
  assert.deepEqual(pairs(state, "uid"), [[0, 65534]]);
  run("reset");
  assert.deepEqual(state.setid, initialSetid());
});

Deno.test("setidRefusal() never refuses a removal", () => {
  const state = loaded("setuid+0:65534").setid;
  for (const text of ["setuid-0:65534", "setuid-5:5", "setuid^0", "setuid^"]) {
    assert.equal(setidRefusal(state, parseCommand(text) as SetidCommand), undefined, text);
  }
});

Deno.test("startSetid() turns the options on for transits, and refuses what the original refuses (ENODATA)", () => {
  const root = { uid: 0, gid: 0 };
  const user = { uid: 1000, gid: 100 };
  const check = (ids: { uid: number; gid: number }, ...texts: string[]) => {
    const state = loaded(...texts);
    const problem = startSetid(state.setid, ids);
    return { state, problem };
  };
  // No SafeSetID at all.
  assert.equal(check(root).problem, undefined);
  // Transits turn their option on, whatever it was set to.
  const both = check(root, "trace/allow_safe_setuid:0", "setuid+0:65534", "setgid+0:65534");
  assert.equal(both.problem, undefined);
  assert.equal(both.state.setid.allowSafeSetuid, true);
  assert.equal(both.state.setid.allowSafeSetgid, true);
  const uidOnly = check(root, "setuid+0:65534");
  assert.equal(uidOnly.problem, undefined);
  assert.equal(uidOnly.state.setid.allowSafeSetgid, false);
  // Idempotent.
  assert.equal(startSetid(uidOnly.state.setid, root), undefined);
  // The option without transits.
  const bare = check(root, "trace/allow_safe_setuid:1");
  assert.deepEqual(bare.problem && [bare.problem.errno, bare.problem.id, bare.problem.reason], [
    61,
    "uid",
    "no_rules",
  ]);
  assert.match(bare.problem!.message, /^trace\/allow_safe_setuid:1 without any setuid\+SRC:DST/);
  assert.equal(
    check(root, "setuid+0:65534", "setuid^", "trace/allow_safe_setuid:1").problem?.reason,
    "no_rules",
  );
  assert.equal(check(root, "trace/allow_safe_setgid:1").problem?.id, "gid");
  // No transit from syd's own ids: what the sandbox could never use.
  const other = check(root, "setuid+1000:65534");
  assert.deepEqual(other.problem && [other.problem.errno, other.problem.reason], [
    61,
    "no_transit",
  ]);
  assert.equal(
    other.problem!.message,
    "setuid+1000:65534: no transit from syd's uid 0, the sandbox could never use it " +
      "(setuid+${SYD_UID}:TARGET)",
  );
  assert.equal(check(user, "setuid+1000:65534").problem, undefined);
  assert.equal(check(user, "setuid+0:65534", "setuid+1000:65533").problem, undefined);
  assert.equal(check(user, "setgid+1000:65534").problem?.id, "gid");
  assert.match(
    check(user, "setgid+0:65534", "setgid+1:65533", "setgid+2:65532", "setgid+3:65531").problem!
      .message,
    /^setgid\+0:65534, setgid\+1:65533, setgid\+2:65532, \.\.\.: no transit from syd's gid 100, the sandbox could never use them/,
  );
  // The original's order: both kinds' missing transits before either kind's missing source.
  assert.equal(check(root, "setuid+1000:65534", "trace/allow_safe_setgid:1").problem?.id, "gid");
  assert.equal(check(root, "setuid+1000:65534", "setgid+1000:65534").problem?.id, "uid");
  assert.equal(check(root, "setuid+0:65534", "setgid+1000:65534").problem?.id, "gid");
});

Deno.test("compile() writes SafeSetID sorted by source, and leaves it out when there is none", () => {
  assert.equal("setid" in compile(initialState(), OPTIONS), false);
  assert.equal("setid" in compile(loaded("setuid+0:65534", "setuid^"), OPTIONS), false);
  // The options alone are not for libsyd (they are ENODATA at start, or implied).
  assert.equal("setid" in compile(loaded("trace/allow_safe_setuid:1"), OPTIONS), false);
  const policy = compile(
    loaded("setuid+1000:65534", "setuid+0:65533", "setgid+0:65534", "setuid+500:70000"),
    OPTIONS,
  );
  assert.deepEqual(JSON.parse(JSON.stringify(policy)).setid, {
    uid: [[0, 65533], [500, 70000], [1000, 65534]],
    gid: [[0, 65534]],
    allow_unsafe_setid: false,
  });
  assert.deepEqual(compile(loaded("trace/allow_unsafe_setid:1"), OPTIONS).setid, {
    uid: [],
    gid: [],
    allow_unsafe_setid: true,
  });
  assert.equal(compileSetid(initialSetid()), undefined);
});

Deno.test("dump() prints SafeSetID as commands that re-create it", () => {
  const state = loaded(
    "setuid+0x0:0xfffe",
    "setgid+0:65534",
    "setuid+100:200",
    "trace/allow_safe_setgid:1",
    "trace/allow_unsafe_setid:1",
  );
  const lines = dump(state);
  const setidLines = lines.filter((l) => /^setuid|^setgid|safe_set|unsafe_setid/.test(l));
  assert.deepEqual(setidLines, [
    "setuid+0:65534",
    "setuid+100:200",
    "setgid+0:65534",
    "trace/allow_safe_setgid:1",
    "trace/allow_unsafe_setid:1",
  ]);
  const again = loaded(...lines);
  assert.deepEqual(pairs(again, "uid"), pairs(state, "uid"));
  assert.deepEqual(pairs(again, "gid"), pairs(state, "gid"));
  assert.deepEqual(
    [again.setid.allowSafeSetuid, again.setid.allowSafeSetgid, again.setid.allowUnsafeSetid],
    [false, true, true],
  );
  assert.equal(dump(initialState()).some((l) => /set[ug]id/.test(l)), false);
});
