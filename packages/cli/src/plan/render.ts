// A plan for people (tables on stdout) and for scripts (one JSON object). Pure: strings and an Io.
import type { Inventory } from "@qonnect/core";
import { type BoundTotals, type JobPlan, type Plan, REASONS, sumTotals, type Totals } from "@qonnect/planner";
import type { Io } from "../io.js";
import { table } from "../table.js";

const round = (v: number, digits = 4) => Number(v.toFixed(digits));

/** A move's reason (the planner's filter code) in words, as the demo says it. */
const MOVE_REASONS: Record<string, string> = {
  alive: "its device is down",
  tier: "its device's tier is no longer allowed",
  region: "its device's region is no longer allowed",
  site: "its device's site is no longer allowed",
  nearUsers: "too far from its users",
  arch: "its device's architecture is no longer allowed",
  labels: "its device lacks a required label",
  battery: "its device's battery is too low",
  gpu: "not enough GPU on its device",
  cpu: "not enough CPU on its device",
  memory: "not enough memory on its device",
  spread: "spread across devices",
  calls: "call latency",
  limits: "the application's limits",
};
export const moveReason = (why: string): string => MOVE_REASONS[why] ?? why;

export function formatTotals(t: Totals & BoundTotals): string {
  return `energy ${t.energyW.toFixed(2)} W · carbon ${t.carbonGPerH.toFixed(2)} g/h · cost ${t.costPerHour.toFixed(4)} EUR/h · latency ${t.latencyMs.toFixed(1)} ms · slowness ${t.slownessCores.toFixed(2)} cores · objective ${t.objective.toFixed(4)}${t.lowerBound !== undefined ? ` · lower bound ${t.lowerBound.toFixed(4)} (gap ${(100 * (t.gapToBound ?? 0)).toFixed(2)} %)` : ""}`;
}

/** One line on a time-shifted job: when it starts and what that saves against starting now. */
export function formatJob(job: JobPlan): string {
  const now = job.candidates[0]?.startMs ?? job.startMs;
  return `start ${new Date(job.startMs).toISOString()}: ${job.carbonG.toFixed(2)} g CO2e for the run, ${job.savingG.toFixed(2)} g (${job.savingPercent.toFixed(1)} %) less than starting at ${new Date(now).toISOString()} (${job.nowCarbonG.toFixed(2)} g)\n`;
}

function renderExplain(io: Io, p: Plan): void {
  if (!p.explain) return;
  io.out("why:\n");
  io.out(
    table(
      [
        "SERVICE",
        "REPLICA",
        "DEVICE",
        "RUNNER-UP",
        "+OBJ",
        "ENERGY",
        "CARBON",
        "COST",
        "PERF",
        "LATENCY",
        "BATTERY",
      ],
      p.explain.replicas.map((r) => [
        r.service,
        r.replica,
        r.device,
        r.runnerUp?.device ?? "-",
        r.runnerUp ? round(r.runnerUp.objectiveDelta) : "-",
        round(r.contributions.energy),
        round(r.contributions.carbon),
        round(r.contributions.cost),
        round(r.contributions.performance),
        round(r.contributions.latency),
        round(r.contributions.battery),
      ]),
    ),
  );
  for (const s of p.explain.services) {
    const rejected = REASONS.filter((r) => s.rejected[r])
      .map((r) => `${s.rejected[r]} ${r}`)
      .join(", ");
    io.out(`  ${s.service}: ${s.candidates} candidate devices${rejected ? `; rejected: ${rejected}` : ""}\n`);
  }
}

/** The plan for people on stdout: placements, totals, moves, explanation. Violations are problems: stderr. */
export function renderPlan(io: Io, inventory: Inventory, p: Plan, explain: boolean): void {
  const devices = new Map(inventory.devices.map((d) => [d.name, d]));
  io.out(
    `${p.app} (${p.strategy}${p.solver?.optimal ? ", proven optimal" : p.totals.gapToBound !== undefined ? `, within ${(100 * p.totals.gapToBound).toFixed(2)} % of optimal` : ""}): ${p.feasible ? "feasible" : "INFEASIBLE"}, ${p.placements.length} replicas\n`,
  );
  if (p.placements.length)
    io.out(
      table(
        ["SERVICE", "REPLICA", "DEVICE", "SITE", "TIER"],
        p.placements.map((e) => [
          e.service,
          e.replica,
          e.device,
          devices.get(e.device)?.site ?? "",
          devices.get(e.device)?.tier ?? "",
        ]),
      ),
    );
  io.out(`totals: ${formatTotals(p.totals)}\n`);
  if (p.moves.length) {
    io.out(`moves (in order, make-before-break):\n`);
    io.out(
      table(
        ["STEP", "OP", "SERVICE", "REPLICA", "DEVICE", "WHY"],
        p.moves.map((m) => [m.step, m.op, m.service, m.replica, m.device, moveReason(m.why)]),
      ),
    );
  }
  if (explain) renderExplain(io, p);
  for (const v of p.violations) io.err(`${p.app}: violation: ${v}\n`);
}

/** The one JSON object `plan --json` prints. */
export function planJson(
  plans: Plan[],
  jobs: (JobPlan | undefined)[],
  opts: { strategy: string; explain?: boolean },
): unknown {
  const explain = opts.explain
    ? plans.length === 1
      ? plans[0]!.explain
      : plans.map((p) => p.explain)
    : null;
  return {
    feasible: plans.every((p) => p.feasible),
    strategy: opts.strategy,
    chosen: plans.map((p) => ({ app: p.app, strategy: p.strategy, optimal: p.solver?.optimal ?? false })),
    placements: plans.flatMap((p) => p.placements),
    totals: sumTotals(plans),
    moves: plans.flatMap((p) => p.moves),
    problems: plans.flatMap((p) => p.problems),
    violations: plans.flatMap((p) => p.violations),
    explain,
    jobs: jobs.flatMap((j, k) =>
      j
        ? [
            {
              app: plans[k]!.app,
              start: new Date(j.startMs).toISOString(),
              carbonG: j.carbonG,
              nowCarbonG: j.nowCarbonG,
              savingG: j.savingG,
              savingPercent: j.savingPercent,
            },
          ]
        : [],
    ),
  };
}
