// Plans every application and job of the world, one after another (each sees the capacity the previous
// ones took), from the current placement with hysteresis. Jobs get a start time (carbon-aware time shifting)
// and are placed only while they run. Pure given the world and the clock.
import type { Inventory } from "@qonnect/core";
import {
  type CarbonForecast,
  type JobPlan,
  type PlacementEntry,
  type Plan,
  plan,
  planJob,
  reserveAll,
  sumTotals,
  type Totals,
  withPlacements,
} from "@qonnect/planner";
import type { AppEntry, World } from "./world.js";

export interface JobDecision {
  startMs: number;
  endMs: number;
  carbonG: number;
  nowCarbonG: number;
  savingG: number;
  /** The starts considered and the run's carbon at each, from the forecast (at most MAX_START_OPTIONS). */
  startOptions?: StartOption[];
}

export interface StartOption {
  startMs: number;
  carbonG: number;
  feasible: boolean;
}

/** Start options kept with a job's decision (every k-th of a longer grid): enough to draw, small to store. */
export const MAX_START_OPTIONS = 200;

function thin(options: JobPlan["candidates"]): StartOption[] {
  const every = Math.ceil(options.length / MAX_START_OPTIONS);
  return options
    .filter((_, i) => i % every === 0)
    .map((c) => ({ startMs: c.startMs, carbonG: c.carbonG, feasible: c.feasible }));
}

export interface AppPlan {
  entry: AppEntry;
  plan: Plan;
  job?: JobDecision;
  /** False for a job outside its run window: nothing placed. */
  active: boolean;
}

export interface PlanAllOptions {
  nowMs: number;
  explain?: boolean;
  forecast?: CarbonForecast;
  /** Start times already chosen (they are not chosen again). */
  jobStarts?: ReadonlyMap<string, JobDecision>;
  hysteresis?: number;
  /** Heuristic effort per application (the planner's default when absent). */
  maxEvaluations?: number;
  /** Plan only these applications; every other keeps its current placement (and its capacity). */
  only?: ReadonlySet<string>;
}

export interface PlanAll {
  apps: AppPlan[];
  placements: (PlacementEntry & { region: string })[];
  feasible: boolean;
  totals: Totals;
}

function chooseStart(inventory: Inventory, entry: AppEntry, options: PlanAllOptions): JobDecision {
  const forecast: CarbonForecast = options.forecast ?? {
    intensityGPerKWh: (zone) => inventory.zones.find((z) => z.name === zone)?.intensityGPerKWh ?? 0,
  };
  const j: JobPlan = planJob(inventory, entry.app, forecast, { nowMs: () => options.nowMs });
  return {
    startMs: j.startMs,
    endMs: j.startMs + entry.app.job!.durationMinutes * 60_000,
    carbonG: j.carbonG,
    nowCarbonG: j.nowCarbonG,
    savingG: j.savingG,
    startOptions: thin(j.candidates),
  };
}

export async function planAll(world: World, options: PlanAllOptions): Promise<PlanAll> {
  let inventory = world.inventory;
  const apps: AppPlan[] = [];
  const sorted = [...world.apps].sort((a, b) => a.app.name.localeCompare(b.app.name));
  const only = options.only;
  const kept: PlacementEntry[] = [];
  if (only) {
    // the applications not re-planned hold on to their devices (and their capacity), reserved in one pass
    const apps = new Map(world.apps.map((a) => [a.app.name, a.app]));
    const deviceNames = new Set(inventory.devices.map((d) => d.name));
    for (const c of world.current)
      if (!only.has(c.app) && apps.has(c.app) && deviceNames.has(c.device)) kept.push(c);
    inventory = reserveAll(inventory, apps, kept);
  }
  for (const entry of only ? sorted.filter((e) => only.has(e.app.name)) : sorted) {
    const current = world.current.filter((c) => c.app === entry.app.name);
    let job: JobDecision | undefined;
    if (entry.app.job) {
      job = options.jobStarts?.get(entry.app.name) ?? chooseStart(inventory, entry, options);
      const active = options.nowMs >= job.startMs && options.nowMs < job.endMs;
      if (!active) {
        const idle: Plan = {
          app: entry.app.name,
          strategy: "heuristic",
          feasible: true,
          placements: [],
          totals: sumTotals([]),
          moves: [],
          problems: [],
          violations: [],
        };
        apps.push({ entry, plan: idle, job, active: false });
        continue;
      }
    }
    const p = await plan(inventory, entry.app, {
      strategy: "heuristic",
      explain: Boolean(options.explain),
      ...(current.length ? { current } : {}),
      ...(options.hysteresis !== undefined ? { hysteresis: options.hysteresis } : {}),
      ...(options.maxEvaluations !== undefined ? { maxEvaluations: options.maxEvaluations } : {}),
    });
    apps.push({ entry, plan: p, ...(job ? { job } : {}), active: true });
    // let the API answer between applications: a round over many applications takes a while
    await new Promise((r) => setImmediate(r));
    inventory = withPlacements(inventory, entry.app, p.placements);
  }
  const placements = [...kept, ...apps.flatMap((a) => a.plan.placements)].map((e) => ({
    ...e,
    region: world.regionOfDevice.get(e.device) ?? "",
  }));
  return {
    apps,
    placements,
    feasible: apps.every((a) => a.plan.feasible),
    totals: sumTotals(apps.map((a) => a.plan)),
  };
}
