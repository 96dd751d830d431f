import { uncoveredW } from "./objectives.js";
import type { Problem } from "./problem.js";
import type { BoundTotals, Totals } from "./types.js";

// A lower bound on the objective of every feasible plan that costs one scan of each service's candidates:
// each replica alone on its cheapest candidate, with capacity, spread and call latency relaxed away. Valid
// because every term of the objective is a sum of non-negative per-replica parts except the uncovered power,
// and max(0, Σe − solar) ≥ Σ max(0, e − solar) (the solar excess is shared, never counted twice).

/** Σ over replicas of the least objective any candidate device could give it alone. */
export function combinatorialBound(p: Problem): number {
  let total = 0;
  // services of one profile share candidates and coefficients; the users' term depends on the replica count
  const cache = new Map<Int32Array, Map<number, number>>();
  for (const sm of p.services) {
    if (sm.replicas === 0) continue;
    let byCount = cache.get(sm.candidates);
    if (!byCount) {
      byCount = new Map();
      cache.set(sm.candidates, byCount);
    }
    let best = byCount.get(sm.replicas);
    if (best === undefined) {
      best = Number.POSITIVE_INFINITY;
      for (const d of sm.candidates) {
        const v =
          sm.separable[d]! +
          (p.alpha.latencyMs * sm.usersLatencyMs[d]!) / sm.replicas +
          p.kappa[d]! * uncoveredW(sm.energyW[d]!, p.solarW[d]!);
        if (v < best) best = v;
      }
      byCount.set(sm.replicas, best);
    }
    if (!Number.isFinite(best)) return Number.NaN;
    total += best * sm.replicas;
    // a running replica whose device no longer takes it must move
    for (let r = 0; r < sm.replicas; r++) {
      const prev = p.previous[sm.firstReplica + r]!;
      if (prev >= 0 && !sm.allowed[prev]) total += p.migration;
    }
  }
  return total;
}

/** `totals` with `lowerBound` and `gapToBound` (fraction of the objective above the bound). */
export function withBound(totals: Totals, lowerBound: number | undefined): Totals & BoundTotals {
  if (lowerBound === undefined || !Number.isFinite(lowerBound)) return totals;
  const bound = Math.min(lowerBound, totals.objective);
  const gap = totals.objective > 0 ? (totals.objective - bound) / totals.objective : 0;
  return { ...totals, lowerBound: bound, gapToBound: Math.max(0, gap) };
}
