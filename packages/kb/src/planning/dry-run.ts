// `Plan` (dry run): what the given manifests (or the stored desired state) would be placed as on the live
// inventory, with the explanation and totals. Reads the store, writes nothing.

import { sumTotals } from "@qonnect/planner";
import { planAll } from "./plan-all.js";
import { forecastOf } from "./signals.js";
import { appOf, type World } from "./world.js";

/** The same shape as control.v1.PlanResponse (REST returns it as JSON). */
export interface DryRunResult {
  feasible: boolean;
  placements: { app: string; service: string; replica: number; device: string; region: string }[];
  totals: {
    energyW: number;
    carbonGPerH: number;
    costPerHour: number;
    latencyMs: number;
    slownessCores: number;
    objective: number;
  };
  moves: {
    step: number;
    op: string;
    app: string;
    service: string;
    replica: number;
    device: string;
    why: string;
  }[];
  problems: string[];
  explanation?: Record<string, unknown>;
  jobs: { app: string; startMs: number; carbonG: number; nowCarbonG: number; savingG: number }[];
}

/** `world` reads the live state: the planning loop's cached world, or the store in full without a loop. */
export async function dryRun(
  world: World,
  manifests: { kind: string; name: string; spec: unknown }[],
  explain: boolean,
  nowMs: number,
): Promise<DryRunResult> {
  for (const m of manifests) {
    const fake = {
      kind: m.kind,
      namespace: "default",
      name: m.name,
      uid: "dry-run",
      labels: {},
      annotations: {},
      spec: m.spec,
      status: null,
      resourceVersion: 0,
      generation: 0,
      etag: "",
      createTimeMs: nowMs,
      updateTimeMs: nowMs,
    };
    world.apps = world.apps.filter((a) => a.app.name !== m.name);
    world.apps.push({ resource: fake, app: appOf(fake) });
  }
  const fallback = Object.fromEntries(world.inventory.zones.map((z) => [z.name, z.intensityGPerKWh]));
  // a dry run shows every job as if its window were now, so its placement is visible
  const result = await planAll(world, { nowMs, explain, forecast: forecastOf(world.signals, fallback) });
  const only = new Set(manifests.map((m) => m.name));
  const apps = only.size ? result.apps.filter((a) => only.has(a.entry.app.name)) : result.apps;
  const t = sumTotals(apps.map((a) => a.plan));
  return {
    feasible: apps.every((a) => a.plan.feasible),
    placements: result.placements.filter((p) => !only.size || only.has(p.app)),
    totals: {
      energyW: t.energyW,
      carbonGPerH: t.carbonGPerH,
      costPerHour: t.costPerHour,
      latencyMs: t.latencyMs,
      slownessCores: t.slownessCores,
      objective: t.objective,
    },
    moves: apps.flatMap((a) => a.plan.moves.map((m) => ({ ...m }))),
    problems: apps.flatMap((a) => a.plan.problems),
    ...(explain
      ? { explanation: Object.fromEntries(apps.map((a) => [a.entry.app.name, a.plan.explain ?? null])) }
      : {}),
    jobs: apps.flatMap((a) =>
      a.job
        ? [
            {
              app: a.entry.app.name,
              startMs: a.job.startMs,
              carbonG: a.job.carbonG,
              nowCarbonG: a.job.nowCarbonG,
              savingG: a.job.savingG,
            },
          ]
        : [],
    ),
  };
}
