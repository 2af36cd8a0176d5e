/** Unit tests of collapsing paths into globs, and of the matcher that judges them. */
import assert from "node:assert/strict";
import { collapse, type CollapseOptions, componentGlob } from "./collapse.ts";
import { matches } from "./glob.ts";
import { mayHoldSensitive } from "./sensitive.ts";
import { checkPattern } from "../policy/pattern.ts";

const OPTIONS: CollapseOptions = {
  exact: false,
  depth: 3,
  broad: 3,
  pwd: "/home/u/proj",
  home: "/home/u",
  forbidden: (dir) => mayHoldSensitive(dir, { home: "/home/u" }),
};

function paths(...list: string[]): Map<string, number> {
  return new Map(list.map((p) => [p, 1]));
}

Deno.test("collapse: a directory used broadly becomes DIR/***, below the anchors", () => {
  const out = collapse(paths("/home/u/proj/a.o", "/home/u/proj/b.o", "/home/u/proj/c.o"), OPTIONS);
  assert.deepEqual(out, [{ pattern: "${PWD}/***", count: 3 }]);
  const two = collapse(paths("/etc/a", "/etc/b", "/etc/c"), OPTIONS);
  assert.deepEqual(
    two.map((c) => c.pattern),
    ["/etc/a", "/etc/b", "/etc/c"],
    "not at depth 1 of /",
  );
});

Deno.test("collapse: --depth cuts deeper paths, --exact keeps them", () => {
  const deep = paths("/usr/lib/python3.11/encodings/utf_8.py");
  assert.deepEqual(collapse(deep, OPTIONS).map((c) => c.pattern), ["/usr/lib/python3.11/***"]);
  assert.deepEqual(collapse(deep, { ...OPTIONS, depth: 2 }).map((c) => c.pattern), [
    "/usr/lib/***",
  ]);
  assert.deepEqual(collapse(deep, { ...OPTIONS, exact: true }).map((c) => c.pattern), [
    "/usr/lib/python3.11/encodings/utf_8.py",
  ]);
});

Deno.test("collapse: generated names become *; the glob covers another run's names", () => {
  assert.equal(componentGlob("ccA1b2C3.s", "/tmp"), "cc*.s");
  assert.equal(componentGlob("tmpk3j_x9zq", "/tmp"), "tmp*");
  assert.equal(componentGlob("1234", "/proc"), "[0-9]*");
  assert.equal(componentGlob("bash_jobs.0", "/tmp"), "bash_jobs.0");
  assert.equal(componentGlob("python3.11", "/usr/lib"), "python3.11");
  const out = collapse(paths("/tmp/ccA1b2C3.s"), OPTIONS);
  assert.ok(matches(out[0].pattern, "/tmp/ccZZ99xy.s"));
});

Deno.test("collapse: no glob covers a sensitive place", () => {
  const out = collapse(
    paths("/home/u/.config/a", "/home/u/b", "/home/u/c", "/home/u/d"),
    { ...OPTIONS, pwd: undefined },
  );
  assert.ok(!out.some((c) => c.pattern === "${HOME}/***"), JSON.stringify(out));
  for (const c of out) {
    assert.ok(!matches(c.pattern.replace("${HOME}", "/home/u"), "/home/u/.ssh/id_rsa"));
  }
});

Deno.test("collapse: odd names are written so the policy language reads them literally", () => {
  const out = collapse(paths("/srv/a*b/x", "/srv/$HOME/y", "/srv/sp /z", "/srv/nl\nx/w"), {
    ...OPTIONS,
    exact: true,
  });
  assert.deepEqual(out.map((c) => c.pattern), [
    "/srv/?HOME/y",
    "/srv/a\\*b/x",
    "/srv/nl?x/w",
    "/srv/sp?/z",
  ]);
  for (const c of out) checkPattern(c.pattern);
  assert.ok(matches("/srv/a\\*b/x", "/srv/a*b/x"));
});

Deno.test("glob: the matcher agrees with libsyd's on its documented cases", () => {
  const cases: [string, string, boolean][] = [
    ["/usr/***", "/usr", true],
    ["/usr/***", "/usr/lib/x", true],
    ["/usr/***", "/usrx", false],
    ["/tmp/*", "/tmp/a/b", false],
    ["/tmp/**", "/tmp/a/b", true],
    ["/a/**/b", "/a/b", true],
    ["/a/**/b", "/a/x/y/b", true],
    ["/a/**/b", "/a/xb", false],
    ["/proc/[0-9]*/mem", "/proc/12/mem", true],
    ["/proc/[0-9]*/mem", "/proc/self/mem", false],
    ["/a[!/]b", "/a/b", false],
    ["/a/?", "/a/b", true],
    ["/x/\\*", "/x/a", false],
    ["/x[", "/x[", false],
  ];
  for (const [pattern, path, expected] of cases) {
    assert.equal(matches(pattern, path), expected, `${pattern} ${path}`);
  }
});

Deno.test("collapse: every path used matches a pattern written, and every pattern is valid (property)", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const names = [
    "usr",
    "lib",
    "a",
    "b*",
    "c?",
    "[x]",
    "d\\e",
    "$HOME",
    "tmp",
    "ccAb12Cd.o",
    "1234",
    "sp ",
    "nl\n",
    "é",
    ".git",
    "0123456789abcdef0123",
  ];
  const tops = ["/usr", "/tmp", "/proc", "/home/u/proj", "/home/u", "/etc", "/dev/pts", ""];
  for (let round = 0; round < 300; round++) {
    const used = new Map<string, number>();
    const n = 1 + next() % 12;
    for (let i = 0; i < n; i++) {
      let path = tops[next() % tops.length];
      const depth = 1 + next() % 5;
      for (let d = 0; d < depth; d++) path += `/${names[next() % names.length]}`;
      used.set(path, 1 + next() % 3);
    }
    for (const exact of [false, true]) {
      const out = collapse(used, { ...OPTIONS, exact, depth: 1 + next() % 4 });
      const total = out.reduce((sum, c) => sum + c.count, 0);
      assert.equal(
        total,
        [...used.values()].reduce((a, b) => a + b, 0),
        "every access counted once",
      );
      for (const c of out) checkPattern(c.pattern);
      for (const path of used.keys()) {
        const hit = out.some((c) =>
          matches(c.pattern.replace("${PWD}", "/home/u/proj").replace("${HOME}", "/home/u"), path)
        );
        // A name that cannot be written literally (a newline, $, trailing blanks) becomes ?.
        assert.ok(hit, `${JSON.stringify(path)} in ${JSON.stringify(out)}`);
      }
    }
  }
});

Deno.test("collapse: a generated part before the first dot is starred, the rest kept", () => {
  assert.equal(componentGlob("ccWzXnCl.cdtor.c", "/tmp"), "cc*.cdtor.c");
  assert.equal(componentGlob("sh-thd.Ab3dE", "/tmp"), "sh-thd.Ab3dE");
  assert.equal(componentGlob("cczecbia.s", "/tmp"), "cc*.s");
  assert.equal(componentGlob("ccache", "/tmp"), "ccache");
});
