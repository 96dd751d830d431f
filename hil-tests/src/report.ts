// The suite's report, OpenHTF-style: one line per test with its outcome, and every measurement with its
// value, unit, limits and outcome — as Markdown for people and as one JSON document for tools.
import type { Outcome, TestResult } from "./hil-test.js";

export interface SuiteReport {
  rig: string;
  simulated: boolean;
  startedAt: string;
  durationS: number;
  /** Device boards the run used (after --select). */
  boards: string[];
  selectors: string[];
  outcome: "PASS" | "FAIL";
  counts: Record<Outcome, number>;
  tests: TestResult[];
}

export function summarise(base: Omit<SuiteReport, "outcome" | "counts">): SuiteReport {
  const counts: Record<Outcome, number> = { PASS: 0, FAIL: 0, ERROR: 0, NOT_APPLICABLE: 0 };
  for (const t of base.tests) counts[t.outcome]++;
  return { ...base, outcome: counts.FAIL + counts.ERROR === 0 ? "PASS" : "FAIL", counts };
}

function limits(m: { low?: number; high?: number }): string {
  if (m.low !== undefined && m.high !== undefined) return `${m.low} … ${m.high}`;
  if (m.low !== undefined) return `≥ ${m.low}`;
  if (m.high !== undefined) return `≤ ${m.high}`;
  return "—";
}

export function toMarkdown(r: SuiteReport): string {
  const lines = [
    `# HIL report: rig ${r.rig}${r.simulated ? " (simulated)" : ""}`,
    "",
    `${r.startedAt} · ${r.durationS.toFixed(0)} s · boards ${r.boards.join(", ")}${r.selectors.length ? ` · --select ${r.selectors.join(" ")}` : ""}`,
    "",
    `**${r.outcome}**: ${r.counts.PASS} passed, ${r.counts.FAIL} failed, ${r.counts.ERROR} errors, ${r.counts.NOT_APPLICABLE} not applicable`,
    "",
    "| test | outcome | measurement | value | limits | note |",
    "|---|---|---|---|---|---|",
  ];
  for (const t of r.tests) {
    lines.push(`| **${t.test}** | ${t.outcome} | | | | ${t.detail ?? ""} (${t.durationS.toFixed(1)} s) |`);
    for (const m of t.measurements)
      lines.push(`| | ${m.outcome} | ${m.name} | ${m.value} ${m.unit} | ${limits(m)} | ${m.note ?? ""} |`);
  }
  return `${lines.join("\n")}\n`;
}
