import { EPS } from "./filter.js";
import type { HeuristicResult } from "./heuristic.js";
import type { Problem } from "./problem.js";
import { PlacementState } from "./state.js";

// Best-fit decreasing: the construction for packings that regret insertion leaves replicas out of (capacity
// booked near full: the `tight` family books 90 % of the cores left, where regret, which places the most
// contested replica first on its cheapest device, fragments the free cores). Replicas go largest first (cores,
// then memory), each onto the allowed device that it leaves with the fewest free cores, the cheaper one on a
// tie. The heuristic uses it only for a fresh plan that left replicas out, and keeps whichever places more.

/** A best-fit-decreasing placement of every replica of `p` that fits. */
export function bestFitDecreasing(p: Problem): { state: PlacementState; unplaced: number[] } {
  const state = new PlacementState(p);
  const svc = (i: number) => p.services[p.serviceOf[i]!]!;
  const order = Array.from({ length: p.replicaCount }, (_, i) => i).sort(
    (a, b) =>
      svc(b).service.cpuCores - svc(a).service.cpuCores ||
      svc(b).service.memoryBytes - svc(a).service.memoryBytes ||
      a - b,
  );
  const unplaced: number[] = [];
  for (const i of order) {
    const sm = svc(i);
    let best = -1;
    let bestLeft = Number.POSITIVE_INFINITY;
    let bestCost = Number.POSITIVE_INFINITY;
    for (const d of sm.candidates) {
      if (state.blocker(i, d) !== undefined) continue;
      const left = state.freeCpu[d]! - sm.service.cpuCores;
      if (left > bestLeft + EPS) continue;
      const cost = state.delta(i, d);
      if (left < bestLeft - EPS || cost < bestCost) [best, bestLeft, bestCost] = [d, left, cost];
    }
    if (best < 0) unplaced.push(i);
    else state.place(i, best);
  }
  return { state, unplaced };
}

/** `best`, or the best-fit-decreasing plan (improved by `improve`) when that places more replicas. */
export function packIfBetter(
  p: Problem,
  best: HeuristicResult,
  improve: (state: PlacementState) => void,
): HeuristicResult {
  if (best.unplaced.length === 0) return best;
  const packed = bestFitDecreasing(p);
  if (packed.unplaced.length >= best.unplaced.length) return best;
  improve(packed.state);
  return { ...packed, evaluations: best.evaluations };
}
