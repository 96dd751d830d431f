// Totals of several plans added up (a region's, a federation's): the objective terms summed, and a lower
// bound where every plan has one (a sum of bounds bounds the sum).
import type { BoundTotals, Plan, Totals } from "./types.js";

export function sumTotals(plans: readonly Pick<Plan, "totals">[]): Totals & BoundTotals {
  const out: Totals & BoundTotals = {
    energyW: 0,
    carbonGPerH: 0,
    costPerHour: 0,
    latencyMs: 0,
    slownessCores: 0,
    batteryDrainPerH: 0,
    objective: 0,
  };
  for (const p of plans) for (const k of Object.keys(out) as (keyof Totals)[]) out[k] += p.totals[k];
  if (plans.length && plans.every((p) => p.totals.lowerBound !== undefined)) {
    out.lowerBound = plans.reduce((s, p) => s + p.totals.lowerBound!, 0);
    out.gapToBound = out.objective > 0 ? Math.max(0, (out.objective - out.lowerBound) / out.objective) : 0;
  }
  return out;
}
