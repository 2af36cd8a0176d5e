import assert from "node:assert/strict";
import { parseCommand } from "./parse.ts";
import { PROFILES } from "./profiles.ts";
import { load, type LoadOptions, type SourceSpec } from "./sources.ts";
import {
  apply,
  dump,
  formatOrigin,
  initialLimits,
  initialState,
  type Origin,
  type PolicyState,
  startLimits,
} from "./state.ts";
import { CATEGORIES } from "./vocab.ts";

/** Applies commands in order, the N-th from `-m#N`; returns the state and the removal counts. */
function run(...texts: string[]): { state: PolicyState; removed: number[] } {
  const state = initialState();
  const removed = texts.map((text, i) =>
    apply(state, parseCommand(text), { file: `-m#${i + 1}`, line: 1, col: 1 })
  );
  return { state, removed };
}

const ENV = { HOME: "/home/u", SYD_UID: "1000", SYD_GID: "1000" };

/** Loads sources onto the initial state, failing on any diagnostic. */
function loaded(specs: SourceSpec[], options: LoadOptions = { env: ENV }): PolicyState {
  const result = load(specs, options);
  assert.deepEqual(result.diagnostics, []);
  return result.state;
}

/** Loads dump(state) as -m commands onto the initial state. */
function reload(state: PolicyState): PolicyState {
  return loaded(dump(state).map((text) => ({ kind: "command", text })));
}

/** The state without the origins of its entries (which a dump does not keep). */
function withoutOrigins(state: PolicyState): unknown {
  const strip = <T extends { origin: Origin }>(list: T[]) =>
    list.map(({ origin: _, ...rest }) => rest);
  return {
    ...state,
    rules: strip(state.rules),
    netRules: strip(state.netRules),
    mask: strip(state.mask),
    fsRules: strip(state.fsRules),
    landlock: { ...state.landlock, origins: undefined, onOrigin: undefined },
    namespaces: { ...state.namespaces, binds: strip(state.namespaces.binds) },
  };
}

const m = (text: string): SourceSpec => ({ kind: "command", text });

// initialState.

Deno.test("initialState() has every category but walk and list on, denying, and nothing else", () => {
  const state = initialState();
  for (const category of CATEGORIES) {
    assert.equal(state.on[category], !["walk", "list"].includes(category));
    assert.equal(state.defaults[category], "deny");
  }
  assert.deepEqual(
    [state.rules, state.netRules, state.mask, state.lock],
    [[], [], [], null],
  );
  assert.equal(state.exitWaitAll, false);
  assert.equal(state.denyDotdot, false);
});

Deno.test("initialState() gives a fresh state each time", () => {
  const a = initialState();
  a.on.read = false;
  a.rules.push({
    action: "allow",
    category: "read",
    pattern: "/x",
    origin: { file: "f", line: 1 },
  });
  assert.equal(initialState().on.read, true);
  assert.deepEqual(initialState().rules, []);
});

// apply: sets.

Deno.test("apply() sets sandbox, default, lock and trace values", () => {
  const { state, removed } = run(
    "sandbox/read,write:off",
    "default/net:kill",
    "lock:exec",
    "trace/exit_wait_all:1",
    "trace/deny_dotdot:1",
  );
  assert.deepEqual(removed, [0, 0, 0, 0, 0]);
  assert.deepEqual([state.on.read, state.on.write, state.on.stat], [false, false, true]);
  assert.deepEqual(
    [state.defaults["net/bind"], state.defaults["net/connect"], state.defaults.read],
    ["kill", "kill", "deny"],
  );
  assert.equal(state.lock, "exec");
  assert.deepEqual([state.exitWaitAll, state.denyDotdot], [true, true]);
});

Deno.test("apply() changes nothing for a query", () => {
  const { state } = run("sandbox/read?");
  assert.deepEqual(state, initialState());
});

Deno.test("apply() refuses include and include_profile, which the loader resolves", () => {
  assert.throws(
    () => apply(initialState(), parseCommand("include x.syd-3"), { file: "f", line: 1 }),
    /must be resolved by the loader/,
  );
  assert.throws(
    () => apply(initialState(), parseCommand("include_profile off"), { file: "f", line: 1 }),
    /must be resolved by the loader/,
  );
});

// apply: lists.

Deno.test("apply() adds one path rule per category, in order, with the origin", () => {
  const { state } = run("allow/read,stat+/usr/***");
  assert.deepEqual(state.rules, [
    {
      action: "allow",
      category: "read",
      pattern: "/usr/***",
      origin: { file: "-m#1", line: 1, col: 1 },
    },
    {
      action: "allow",
      category: "stat",
      pattern: "/usr/***",
      origin: { file: "-m#1", line: 1, col: 1 },
    },
  ]);
});

Deno.test("apply() '-' removes only the most recent equal rule", () => {
  const { state, removed } = run(
    "allow/read+/x",
    "allow/read+/y",
    "allow/read+/x",
    "allow/read-/x",
  );
  assert.deepEqual(removed, [0, 0, 0, 1]);
  assert.deepEqual(state.rules.map((r) => [r.pattern, r.origin.file]), [
    ["/x", "-m#1"],
    ["/y", "-m#2"],
  ]);
});

Deno.test("apply() '-' and '^' remove only rules with the same action, category and pattern", () => {
  const { state, removed } = run(
    "allow/read+/x",
    "deny/read-/x",
    "allow/write^/x",
    "allow/read-/x/",
    "allow/read^/*",
  );
  assert.deepEqual(removed, [0, 0, 0, 0, 0]);
  assert.equal(state.rules.length, 1);
});

Deno.test("apply() '^' removes every equal rule and counts them", () => {
  const { state, removed } = run(
    "deny/write+/tmp",
    "allow/write+/tmp",
    "deny/write+/tmp",
    "deny/write+/tmp",
    "deny/write^/tmp",
  );
  assert.deepEqual(removed, [0, 0, 0, 0, 3]);
  assert.deepEqual(state.rules.map((r) => r.action), ["allow"]);
});

Deno.test("apply() counts removals over every category of the command", () => {
  const { state, removed } = run(
    "allow/read,write,stat+/x",
    "allow/read,write+/x",
    "allow/read,write,exec-/x",
    "allow/read,write,stat^/x",
  );
  assert.deepEqual(removed, [0, 0, 2, 3]);
  assert.deepEqual(state.rules, []);
});

Deno.test("apply() '-' with nothing to remove counts 0", () => {
  const { removed } = run("allow/read-/x", "mask-/x", "mask^", "allow/net/bind-any!1");
  assert.deepEqual(removed, [0, 0, 0, 0]);
});

Deno.test("apply() removes network rules by their canonical address", () => {
  const { state, removed } = run(
    "allow/net/bind+::0001!80",
    "allow/net/bind+0:0:0:0:0:0:0:1!80",
    "allow/net/bind+::1!81",
    "allow/net/bind-::1!80",
    "allow/net/bind^::1/128!80",
  );
  assert.deepEqual(removed, [0, 0, 0, 1, 1]);
  assert.deepEqual(state.netRules.map((r) => r.text), ["::1!81"]);
});

Deno.test("apply() keeps network rules per category with the canonical text", () => {
  const { state } = run("deny/net+@x*", "allow/net/connect+127.0.0.1/8!9050");
  assert.deepEqual(state.netRules.map((r) => [r.action, r.category, r.text]), [
    ["deny", "net/bind", "@x*"],
    ["deny", "net/connect", "@x*"],
    ["allow", "net/connect", "127.0.0.1/8!9050"],
  ]);
});

Deno.test("apply() puts a rule for path and network categories in both lists", () => {
  const { state, removed } = run(
    "allow/read,net/connect+/run/x.sock",
    "allow/read,net/connect-/run/x.sock",
  );
  assert.deepEqual(removed, [0, 2]);
  assert.deepEqual([state.rules, state.netRules], [[], []]);
  const added = run("allow/read,net/connect+/run/x.sock").state;
  assert.deepEqual(added.rules.map((r) => r.category), ["read"]);
  assert.deepEqual(added.netRules.map((r) => [r.category, r.address]), [
    ["net/connect", { kind: "unix", pattern: "/run/x.sock" }],
  ]);
});

Deno.test("apply() adds and removes mask entries as the original: mask- every equal one, mask^ all", () => {
  const { state, removed } = run(
    "mask+/etc/a",
    "mask+/etc/b:/dev/zero",
    "mask+/etc/a:/dev/zero:/var/empty",
    "mask-/etc/a",
    "mask+/etc/a",
  );
  assert.deepEqual(removed, [0, 0, 0, 2, 0]);
  assert.deepEqual(state.mask.map((e) => [e.pattern, e.target, e.dirTarget]), [
    ["/etc/b", "/dev/zero", undefined],
    ["/etc/a", undefined, undefined],
  ]);
  assert.deepEqual(run("mask+/etc/a", "mask+/etc/b", "mask^").removed, [0, 0, 2]);
});

// reset.

Deno.test("apply() reset returns to the initial state: every category on, deny", () => {
  const { state } = run(
    "sandbox/all:off",
    "default/all:allow",
    "allow/read+/x",
    "allow/net/bind+any!0",
    "mask+/x",
    "lock:on",
    "trace/exit_wait_all:1",
    "trace/deny_dotdot:1",
    "unshare/user,net:1",
    "bind+/usr:/usr:ro",
    "root:/srv",
    "uts/host:x",
    "time:5",
    "reset",
  );
  assert.deepEqual(state, initialState());
});

Deno.test("apply() reset after a profile undoes the profile", () => {
  const state = loaded([{ kind: "profile", name: "paludis" }, m("reset")]);
  assert.deepEqual(state, initialState());
});

Deno.test("apply() commands after reset apply to the initial state", () => {
  const { state } = run("allow/read+/old", "reset", "allow/read+/new");
  assert.deepEqual(state.rules.map((r) => r.pattern), ["/new"]);
});

// formatOrigin.

Deno.test("formatOrigin() writes file:line, and -m#N and /dev/syd (pid N) alone", () => {
  assert.equal(formatOrigin({ file: "/etc/a.syd-3", line: 7, col: 3 }), "/etc/a.syd-3:7");
  assert.equal(formatOrigin({ file: "profile:user", line: 2 }), "profile:user:2");
  assert.equal(formatOrigin({ file: "-m#4", line: 1, col: 1 }), "-m#4");
  assert.equal(formatOrigin({ file: "/dev/syd (pid 42)", line: 9 }), "/dev/syd (pid 42)");
});

// dump.

Deno.test("dump() of the initial state is every category but walk and list on, denying", () => {
  assert.deepEqual(dump(initialState()), [
    "sandbox/all:on",
    "sandbox/walk,list:off",
    "default/all:deny",
  ]);
});

Deno.test("dump() writes sandbox/all then the exceptions, and groups defaults by value", () => {
  const { state } = run(
    "sandbox/all:off",
    "sandbox/net:on",
    "default/all:filter",
    "default/read:kill",
  );
  assert.deepEqual(dump(state), [
    "sandbox/all:off",
    "sandbox/net:on",
    `default/${CATEGORIES.filter((c) => c !== "read" && c !== "ioctl").join(",")}:filter`,
    "default/read:kill",
  ]);
});

Deno.test("dump() prints one command's categories as that command", () => {
  const { state } = run("allow/read,stat,readdir+/usr/***", "allow/read+/usr/***");
  assert.deepEqual(dump(state).slice(3), [
    "allow/read,stat,readdir+/usr/***",
    "allow/read+/usr/***",
  ]);
});

Deno.test("dump() prints what is left of a command after a removal", () => {
  const { state } = run("allow/read,stat,readdir+/usr/***", "allow/stat-/usr/***");
  assert.deepEqual(dump(state).slice(3), ["allow/read,readdir+/usr/***"]);
});

Deno.test("dump() prints masks, trace options and the lock last", () => {
  const { state } = run(
    "lock:on",
    "trace/deny_dotdot:1",
    "mask+/etc/shadow",
    "trace/exit_wait_all:1",
    "allow/net/connect+loopback!53",
    "deny/read+/etc/shadow",
  );
  assert.deepEqual(dump(state).slice(3), [
    "deny/read+/etc/shadow",
    "allow/net/connect+loopback!53",
    "mask+/etc/shadow",
    "trace/exit_wait_all:1",
    "trace/deny_dotdot:1",
    "lock:on",
  ]);
});

/** Policies for the dump round trip. */
const POLICIES: Record<string, SourceSpec[]> = {
  "nothing": [],
  "rules and removals": [
    m("sandbox/read,write:off"),
    m("default/exec:kill"),
    m("allow/read,stat,readdir+/usr/***"),
    m("deny/read+/usr/share/secret"),
    m("allow/read+/usr/***"),
    m("allow/stat-/usr/***"),
    m("warn/write,truncate+/tmp/**"),
    m("filter/write^/tmp/**"),
    m("allow/net/bind+loopback!0"),
    m("allow/net/connect+::ffff:1.2.3.4/120!1-1024"),
    m("deny/sendfd+!pipe"),
    m("allow/net/connect+/run/dbus/system_bus_socket"),
    m("mask+/proc/cpuinfo"),
    m("mask+/proc/meminfo"),
    m("mask-/proc/cpuinfo"),
    m("trace/exit_wait_all:1"),
    m("trace/deny_dotdot:on"),
    m("lock:exec"),
  ],
  "namespaces": [
    m("unshare/user,pid:1"),
    m("bind+/usr:/usr:ro,exec"),
    m("bind-try+tmpfs:/tmp:size=1M"),
    m("bind+/a\\:b:/c"),
    m("bind+/x:/y"),
    m("bind-/x:/y"),
    m("root:/srv/root"),
    m("root/map:1"),
    m("workdir:/w"),
    m("uts/host:none"),
    m("uts/domain:example"),
    m("time/boot:-7"),
  ],
  "reset in the middle": [
    m("sandbox/all:off"),
    m("allow/read+/gone"),
    m("reset"),
    m("sandbox/mkdev:off"),
    m("allow/read+/kept"),
  ],
  "memory and pid limits": [
    m("sandbox/pid:on"),
    m("mem/max:1.5G"),
    m("mem/vm_max:18446744073709551615"),
    m("default/mem:kill"),
    m("default/pid:warn"),
  ],
  "memory limit turned off before the start": [
    m("mem/max:64M"),
    m("sandbox/mem:off"),
    m("default/mem,pid:filter"),
  ],
  "pid on without a limit": [m("sandbox/pid:on"), m("pid/max:0"), m("default/pid:exit")],
  "mixed path and network rule": [
    m("allow/all+/srv/sock/**"),
    m("deny/read,net/bind+/srv/sock/secret"),
  ],
  "every action": [
    ...["allow", "warn", "filter", "deny", "panic", "stop", "abort", "kill", "exit"].flatMap((
      a,
    ) => [
      m(`default/read:${a}`),
      m(`${a}/read,write+/${a}/***`),
    ]),
  ],
  "profiles in order": [
    { kind: "profile", name: "off" },
    { kind: "profile", name: "noipv6" },
    m("sandbox/read:on"),
  ],
};
for (const name of Object.keys(PROFILES)) POLICIES[`profile ${name}`] = [{ kind: "profile", name }];

Deno.test("dump() re-creates the state: loading it onto the initial state dumps the same", () => {
  for (const [name, specs] of Object.entries(POLICIES)) {
    const state = loaded(specs);
    const again = reload(state);
    assert.deepEqual(dump(again), dump(state), name);
    assert.deepEqual(withoutOrigins(again), withoutOrigins(state), name);
  }
});

Deno.test("dump() of a reloaded dump is a fixed point", () => {
  for (const [name, specs] of Object.entries(POLICIES)) {
    const once = reload(loaded(specs));
    assert.deepEqual(dump(reload(once)), dump(once), name);
  }
});

Deno.test({
  name: "dump() re-creates the state when one file line is applied twice in a row",
  // Regression (was a bug): dump() merges neighbouring rules with the same origin into one command, so a one-rule
  // file included twice (`include /x.syd-3` twice, or `-P x.syd-3 -P x.syd-3`) dumps as
  // "allow/read,read+/x", which loads back as one rule instead of two.

  fn() {
    const files: Record<string, string> = {
      "/main.syd-3": "include /x.syd-3\ninclude /x.syd-3\n",
      "/x.syd-3": "allow/read+/x\n",
    };
    const state = loaded([{ kind: "file", path: "/main.syd-3" }], {
      env: {},
      realPath: (path) => path,
      readTextFile: (path) => files[path],
    });
    assert.equal(state.rules.length, 2);
    const again = reload(state);
    assert.deepEqual(dump(again), dump(state));
    assert.equal(again.rules.length, 2);
  },
});

Deno.test("apply() passfd adds, removes and resets descriptor ranges; stdio at first", () => {
  assert.deepEqual(initialState().passFds, { all: false, ranges: [[0, 2]] });
  assert.deepEqual(run("passfd+3,5-7,4").state.passFds, { all: false, ranges: [[0, 7]] });
  assert.deepEqual(run("passfd+10-20", "passfd-stdio,12-13").state.passFds, {
    all: false,
    ranges: [[10, 11], [14, 20]],
  });
  assert.deepEqual(run("passfd+all").state.passFds, { all: true, ranges: [] });
  assert.deepEqual(run("passfd+all", "passfd-0").state.passFds.ranges, [[1, 0xffff_ffff]]);
  assert.deepEqual(run("passfd^").state.passFds, { all: false, ranges: [] });
  assert.deepEqual(dump(run("passfd+9").state).filter((l) => l.startsWith("passfd")), [
    "passfd^",
    "passfd+0-2,9",
  ]);
});

Deno.test("ioctl verdicts: the original's lists at first, the last command for a request wins, - removes its own kind; dump re-creates them", () => {
  const { state } = run(
    "allow/ioctl+TIOCGWINSZ",
    "deny/ioctl+FIONREAD",
    "allow/ioctl+TIOCSTI",
    "deny/ioctl-TIOCSTI",
    "allow/ioctl-FIOCLEX",
    "sandbox/ioctl:off",
    "default/ioctl:warn",
  );
  assert.deepEqual(state.ioctlRules.get(0x5413), { deny: false, mask: 0 });
  assert.deepEqual(state.ioctlRules.get(0x541b), { deny: true, mask: 0 });
  assert.deepEqual(state.ioctlRules.get(0x5412), { deny: false, mask: 0 }); // - of deny: no-op
  assert.equal(state.ioctlRules.get(0x5451), undefined);
  const lines = dump(state);
  for (
    const line of [
      "sandbox/ioctl:off",
      "default/ioctl:warn",
      "allow/ioctl-FIOCLEX",
      "allow/ioctl+TIOCSTI",
    ]
  ) {
    assert.ok(lines.includes(line), `${line} in ${lines.join("\n")}`);
  }
  const again = run(...lines).state;
  assert.deepEqual([...again.ioctlRules].sort(), [...state.ioctlRules].sort());
  assert.equal(again.on.ioctl, false);
  assert.equal(initialState().ioctlRules.get(0x5412)?.deny, true); // TIOCSTI
});

// Memory and PID sandboxing.

Deno.test("initialState() has memory and pid sandboxing off, no limits, deny and kill", () => {
  assert.deepEqual(initialState().limits, {
    mem: false,
    memMax: 0n,
    memVmMax: 0n,
    memAction: "deny",
    pid: false,
    pidMax: 0n,
    pidAction: "kill",
  });
  assert.deepEqual(dump(initialState()).filter((l) => /mem|pid/.test(l)), []);
});

Deno.test("apply() sets the limit layers, their limits and actions; all and reset as the original's", () => {
  const { state } = run(
    "sandbox/mem,pid:on",
    "mem/max:64M",
    "mem/vm_max:1G",
    "pid/max:10",
    "default/mem:kill",
    "default/pid:stop",
    "sandbox/all:off",
    "default/all:warn",
  );
  assert.deepEqual(state.limits, {
    mem: true,
    memMax: 64n << 20n,
    memVmMax: 1n << 30n,
    memAction: "kill",
    pid: true,
    pidMax: 10n,
    pidAction: "stop",
  });
  assert.deepEqual(run("sandbox/mem:on", "sandbox/mem:off").state.limits.mem, false);
  assert.deepEqual(run("mem/max:1G", "reset").state.limits, initialLimits());
  assert.deepEqual(run("default/all,mem,pid:filter").state.limits, {
    ...initialLimits(),
    memAction: "filter",
    pidAction: "filter",
  });
});

Deno.test("startLimits() turns a layer on that has a limit, after every command (implied on)", () => {
  const cases: [string[], { mem: boolean; pid: boolean }][] = [
    [[], { mem: false, pid: false }],
    [["mem/max:64M"], { mem: true, pid: false }],
    [["mem/vm_max:1G"], { mem: true, pid: false }],
    [["mem/max:64M", "sandbox/mem:off"], { mem: true, pid: false }],
    [["sandbox/mem:off", "mem/max:0"], { mem: false, pid: false }],
    [["mem/max:64M", "mem/max:0"], { mem: false, pid: false }],
    [["pid/max:10", "sandbox/pid:off"], { mem: false, pid: true }],
    [["sandbox/pid:on", "pid/max:0"], { mem: false, pid: true }],
    [["sandbox/mem,pid:on"], { mem: true, pid: true }],
  ];
  for (const [texts, expected] of cases) {
    const { state } = run(...texts);
    startLimits(state);
    assert.deepEqual({ mem: state.limits.mem, pid: state.limits.pid }, expected, texts.join(" "));
    startLimits(state);
    assert.deepEqual({ mem: state.limits.mem, pid: state.limits.pid }, expected, "idempotent");
    // load() does it once every source is read.
    const loadedLimits = loaded(texts.map(m)).limits;
    assert.deepEqual({ mem: loadedLimits.mem, pid: loadedLimits.pid }, expected, texts.join(" "));
  }
  // Not apply(): before the start, sandbox/mem:off after mem/max is what the state says.
  assert.equal(run("mem/max:64M", "sandbox/mem:off").state.limits.mem, false);
});

Deno.test("profiles off and quiet turn memory and pid sandboxing off and their defaults to filter", () => {
  const off = loaded([m("sandbox/mem,pid:on"), { kind: "profile", name: "off" }]).limits;
  assert.deepEqual([off.mem, off.pid], [false, false]);
  // A limit after the profile still turns its layer on (as the original's).
  const later = loaded([{ kind: "profile", name: "off" }, m("mem/max:64M")]).limits;
  assert.equal(later.mem, true);
  const quiet = loaded([{ kind: "profile", name: "quiet" }]).limits;
  assert.deepEqual({ ...quiet }, { ...initialLimits(), memAction: "filter", pidAction: "filter" });
  // No other profile touches them.
  for (const name of Object.keys(PROFILES)) {
    if (["off", "lib", "quiet", "silent"].includes(name)) continue;
    assert.deepEqual(loaded([{ kind: "profile", name }]).limits, initialLimits(), name);
  }
});

Deno.test("dump() writes the limits as commands", () => {
  const state = loaded([
    m("sandbox/pid:on"),
    m("mem/max:64M"),
    m("mem/vm_max:1.5G"),
    m("default/mem:kill"),
  ]);
  assert.deepEqual(dump(state).filter((l) => /mem|pid/.test(l)), [
    "sandbox/mem,pid:on",
    "mem/max:67108864",
    "mem/vm_max:1610612736",
    "default/mem,pid:kill",
  ]);
  const quiet = loaded([{ kind: "profile", name: "quiet" }]);
  assert.deepEqual(dump(quiet).filter((l) => /mem|pid/.test(l)), ["default/mem,pid:filter"]);
  const pid = loaded([m("default/pid:warn"), m("pid/max:7")]);
  assert.deepEqual(dump(pid).filter((l) => /mem|pid/.test(l)), [
    "sandbox/pid:on",
    "pid/max:7",
    "default/pid:warn",
  ]);
});
