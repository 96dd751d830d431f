import type { Application, Inventory } from "@qonnect/core";
import { type PlanRequest, planSync } from "./plan.js";
import { buildProblem } from "./problem.js";
import type { Plan } from "./types.js";

// Carbon-aware time shifting for `kind: Job`: every start time on a grid between the earliest start and the
// latest start that still meets the deadline is planned with each zone's forecast mean intensity over the
// run; the best start wins (ties go to the earlier). Scales are fixed to those of starting now, so the
// objectives of different starts compare.

/** Grid intensity over time per zone; @qonnect/energy's signals plug in here. */
export interface CarbonForecast {
  intensityGPerKWh(zone: string, tsMs: number): number;
}

/** A forecast from per-zone series (forward-filled; before the first point the first value holds). Zones
 * without a series keep `fallback` (normally the inventory's intensity). */
export function forecastFromSeries(
  series: Record<string, { startMs: number; stepMs: number; intensityGPerKWh: readonly number[] }>,
  fallback: Record<string, number> = {},
): CarbonForecast {
  return {
    intensityGPerKWh(zone, tsMs) {
      const s = series[zone];
      if (!s || s.intensityGPerKWh.length === 0) return fallback[zone] ?? 0;
      const k = Math.min(
        s.intensityGPerKWh.length - 1,
        Math.max(0, Math.floor((tsMs - s.startMs) / s.stepMs)),
      );
      return s.intensityGPerKWh[k]!;
    },
  };
}

export interface JobPlan {
  /** The chosen start, Unix ms, and its plan (totals at the forecast mean intensities of that window). */
  startMs: number;
  plan: Plan;
  /** Emissions of the whole run: chosen start, starting now, and the difference, g CO2e. */
  carbonG: number;
  nowCarbonG: number;
  savingG: number;
  savingPercent: number;
  /** Every start considered. */
  candidates: { startMs: number; carbonG: number; objective: number; feasible: boolean }[];
}

export interface JobOptions extends Omit<PlanRequest, "model"> {
  /** Start-time grid, minutes. Default 15. */
  stepMinutes?: number;
  /** The clock (Unix ms); "now" is the earliest start when later. Default: no clock, the job's earliest start. */
  nowMs?: () => number;
}

function windowMeans(inventory: Inventory, forecast: CarbonForecast, startMs: number, durationMs: number) {
  const out: Record<string, number> = {};
  const samples = Math.max(1, Math.ceil(durationMs / (5 * 60_000)));
  for (const z of inventory.zones) {
    let sum = 0;
    for (let k = 0; k < samples; k++)
      sum += forecast.intensityGPerKWh(z.name, startMs + ((k + 0.5) * durationMs) / samples);
    out[z.name] = sum / samples;
  }
  return out;
}

export function planJob(
  inventory: Inventory,
  app: Application,
  forecast: CarbonForecast,
  options: JobOptions = {},
): JobPlan {
  if (!app.job) throw new Error(`${app.name} is not a Job`);
  const durationMs = app.job.durationMinutes * 60_000;
  const hours = durationMs / 3_600_000;
  const now = Math.max(app.job.earliestStartMs, options.nowMs?.() ?? app.job.earliestStartMs);
  const latest = app.job.deadlineMs - durationMs;
  const stepMs = (options.stepMinutes ?? 15) * 60_000;
  const nowIntensity = windowMeans(inventory, forecast, now, durationMs);
  const scales = buildProblem(inventory, app, { intensityGPerKWh: nowIntensity }).scales;
  const run = (startMs: number) =>
    planSync(inventory, app, {
      ...options,
      model: { intensityGPerKWh: windowMeans(inventory, forecast, startMs, durationMs), scales },
    });
  const nowPlan = run(now);
  const candidates: JobPlan["candidates"] = [];
  let best = { startMs: now, plan: nowPlan };
  candidates.push({
    startMs: now,
    carbonG: nowPlan.totals.carbonGPerH * hours,
    objective: nowPlan.totals.objective,
    feasible: nowPlan.feasible,
  });
  for (let t = now + stepMs; t <= latest; t += stepMs) {
    const p = run(t);
    candidates.push({
      startMs: t,
      carbonG: p.totals.carbonGPerH * hours,
      objective: p.totals.objective,
      feasible: p.feasible,
    });
    if (p.feasible && (!best.plan.feasible || p.totals.objective < best.plan.totals.objective - 1e-12))
      best = { startMs: t, plan: p };
  }
  if (latest < now)
    best.plan = {
      ...best.plan,
      feasible: false,
      problems: [
        ...best.plan.problems,
        `${app.name}: the deadline leaves no time to run ${app.job.durationMinutes} minutes`,
      ],
    };
  const carbonG = best.plan.totals.carbonGPerH * hours;
  const nowCarbonG = nowPlan.totals.carbonGPerH * hours;
  return {
    startMs: best.startMs,
    plan: best.plan,
    carbonG,
    nowCarbonG,
    savingG: nowCarbonG - carbonG,
    savingPercent: nowCarbonG > 0 ? (100 * (nowCarbonG - carbonG)) / nowCarbonG : 0,
    candidates,
  };
}
