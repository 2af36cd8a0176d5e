/**
 * The trial run of `syd learn`: the command runs under the base policy in trace mode (every
 * default and every rule that is not allow becomes warn: each access is allowed and recorded,
 * nothing is denied but what syd's hardening denies whatever the policy), through the same
 * judging path as a real run; its access records are read straight from libsyd's log pipe.
 *
 * @module
 */
import { compile, type PolicyState } from "../policy/mod.ts";
import { Sandbox } from "../native.ts";
import { emit } from "../log.ts";
import { readLine, type ReadResult } from "./records.ts";
import type { EnvOp, PoolSettings } from "../policy/mod.ts";

/** What the trial takes from main.ts (how a real run sets up its policy and environment). */
export interface RunHelpers {
  applyEnvOps(
    base: Record<string, string>,
    ops: readonly EnvOp[],
  ): Record<string, string> | { message: string };
  lockByDefault(state: PolicyState): void;
  poolFromEnv(): PoolSettings;
  withoutSydEnv(env: Record<string, string>): Record<string, string>;
}

/** What the trial gave. */
export interface TrialOutcome {
  exitCode: number;
  /** The errno of an exec that failed (0: it ran). */
  execErrno: number;
  /** Records libsyd dropped (the pipe was full): the policy may then miss accesses. */
  dropped: number;
}

/** Turns `state` into its trace form: every non-allow action warns. */
export function traceOf(state: PolicyState): void {
  const warn = (action: string) => action === "allow" ? "allow" : "warn";
  for (const category of Object.keys(state.defaults) as (keyof PolicyState["defaults"])[]) {
    state.defaults[category] = "warn";
  }
  for (const rule of state.rules) rule.action = warn(rule.action);
  for (const rule of state.netRules) rule.action = warn(rule.action);
  for (const rule of state.fsRules) rule.action = warn(rule.action);
  state.fsDefault = "warn";
}

/** Runs `argv` under `state` in trace mode, reading its access records into `into`. */
export async function trial(
  state: PolicyState,
  argv: string[],
  into: ReadResult,
  helpers: RunHelpers,
): Promise<TrialOutcome> {
  const { applyEnvOps, lockByDefault, poolFromEnv, withoutSydEnv } = helpers;
  traceOf(state);
  lockByDefault(state);
  const policy = compile(state, { logLevel: "notice", pool: poolFromEnv(), timeoutMs: 0 });
  const sandbox = Sandbox.create(JSON.stringify(policy));
  let pump: Promise<void> | undefined;
  // Access records carry a sequence number their writer waits on (lib/log.ts pumpLog): each is
  // acknowledged once read, until the sandbox is freed.
  let running = true;
  const ack = (line: string) => {
    const sync = /^\{"sync":(\d+),/.exec(line);
    if (sync !== null && running) sandbox.ackLog(Number(sync[1]));
  };
  try {
    const fd = sandbox.logFd();
    pump = (async () => {
      const file = await Deno.open(`/proc/self/fd/${fd}`, { read: true });
      sandbox.closeLogFd();
      let pending = "";
      let line = 0;
      for await (const chunk of file.readable.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        let newline;
        while ((newline = pending.indexOf("\n")) >= 0) {
          const text = pending.slice(0, newline);
          readLine(text, `trial:${++line}`, into);
          ack(text);
          pending = pending.slice(newline + 1);
        }
      }
      if (pending.length > 0) readLine(pending, `trial:${++line}`, into);
    })();
    const programEnv = applyEnvOps(Deno.env.toObject(), state.envOps);
    if ("message" in programEnv) throw new Error(programEnv.message);
    const env = Object.entries(withoutSydEnv(programEnv)).map(([key, value]) => `${key}=${value}`);
    emit({ level: "info", ctx: "learn", op: "start", cmd: argv.join(" ") });
    const result = await sandbox.run(argv, env);
    return {
      exitCode: result.exitCode,
      execErrno: result.execErrno,
      dropped: Number(result.logDropped),
    };
  } finally {
    running = false;
    sandbox.free();
    await pump;
  }
}
