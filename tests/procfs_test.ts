/**
 * End-to-end tests of how syd names /proc for the sandbox: a thread's /proc/self is its thread
 * group's /proc/<tgid>, which rules written with /proc/self match, as they do for the group's
 * leader (as the original: its proc_self_thread cases).
 */
import assert from "node:assert/strict";
import { runSyd } from "./_syd.ts";

/** Lists /proc/self from the main thread and from a second one; prints whether `stat` is listed. */
const LIST_SELF = `import os, threading
def show(who):
    print(who, "stat" in os.listdir("/proc/self"))
show("main")
t = threading.Thread(target=show, args=("thread",))
t.start()
t.join()
`;

async function listSelf(rules: string[]) {
  const outcome = await runSyd([
    "-q",
    "-poff",
    "-m",
    "sandbox/read,list:on",
    "-m",
    "allow/read+/***",
    ...rules.flatMap((rule) => ["-m", rule]),
    "--",
    "python3",
    "-c",
    LIST_SELF,
  ]);
  assert.equal(outcome.code, 0, outcome.stderr);
  return outcome.stdout;
}

Deno.test("list rules of /proc/self match a thread's listing of /proc/self, as the leader's", async () => {
  // /proc/<tgid>/stat matches deny/list+/proc/**; only as /proc/self/stat is it allowed.
  const allowed = await listSelf([
    "allow/list+/***",
    "deny/list+/proc/**",
    "allow/list+/proc/self/***",
  ]);
  assert.equal(allowed, "main True\nthread True\n");
  const hidden = await listSelf(["allow/list+/***", "deny/list+/proc/self/stat"]);
  assert.equal(hidden, "main False\nthread False\n");
});
