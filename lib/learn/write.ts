/**
 * Writing a learnt policy as `.syd-3` text: a header saying how it was made, then the rules
 * grouped by category and sorted, each after a comment counting the accesses it covers, and the
 * sensitive accesses last, commented out with a warning each.
 *
 * @module
 */
import { CATEGORIES } from "../policy/vocab.ts";

/** One rule to write: its categories, its pattern (or fs type, address), its accesses. */
export interface LearntRule {
  categories: string[];
  pattern: string;
  count: number;
}

/** A sensitive access, written commented out. */
export interface SensitiveRule extends LearntRule {
  why: string;
}

/** Everything a policy file says. */
export interface LearntPolicy {
  /** Lines of the header (without `# `). */
  header: string[];
  /** Categories to turn on (those off before any profile: walk, list). */
  turnOn: string[];
  rules: LearntRule[];
  sensitive: SensitiveRule[];
}

const ORDER = [...CATEGORIES, "fs"] as readonly string[];

function categoryKey(categories: readonly string[]): string {
  return categories.map((c) => String(ORDER.indexOf(c)).padStart(3, "0")).join(",");
}

function plural(count: number): string {
  return count === 1 ? "1 access" : `${count} accesses`;
}

/** Whether a rule line is safe to write (one line, no NUL). */
function oneLine(text: string): string {
  return text.replace(/[\n\r\0]/g, "?");
}

/** The policy as `.syd-3` text. */
export function formatPolicy(policy: LearntPolicy): string {
  const lines: string[] = policy.header.map((line) => `# ${oneLine(line)}`);
  if (policy.turnOn.length > 0) lines.push("", `sandbox/${policy.turnOn.join(",")}:on`);
  lines.push(
    "",
    "# Lock sandboxing (Landlock, on unless turned off) is not learnt: the trial ran without it.",
    "# To keep it, remove this line and allow what the command needs (allow/lock/..., -p landlock).",
    "sandbox/lock:off",
  );
  const groups = new Map<string, LearntRule[]>();
  for (const rule of policy.rules) {
    const key = categoryKey(rule.categories);
    groups.set(key, [...(groups.get(key) ?? []), rule]);
  }
  for (const key of [...groups.keys()].sort()) {
    const rules = groups.get(key)!.sort((a, b) => a.pattern < b.pattern ? -1 : 1);
    lines.push("", `## ${rules[0].categories.join(", ")}`);
    for (const rule of rules) {
      lines.push(`# ${plural(rule.count)}`);
      lines.push(oneLine(`allow/${rule.categories.join(",")}+${rule.pattern}`));
    }
  }
  if (policy.sensitive.length > 0) {
    lines.push("", "## sensitive: not allowed (uncomment a rule to allow it)");
    for (const rule of [...policy.sensitive].sort((a, b) => a.pattern < b.pattern ? -1 : 1)) {
      lines.push(`# WARNING: ${oneLine(rule.why)}: ${plural(rule.count)}`);
      lines.push(oneLine(`#allow/${rule.categories.join(",")}+${rule.pattern}`));
    }
  }
  return lines.join("\n") + "\n";
}
