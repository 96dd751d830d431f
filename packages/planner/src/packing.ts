import { EPS } from "./filter.js";
import type { HeuristicResult } from "./heuristic.js";
import type { Problem } from "./problem.js";
import { PlacementState } from "./state.js";

// Best-fit decreasing: the construction for packings that regret insertion leaves replicas out of (capacity
// booked near full: the `tight` family books 90 % of the cores left, where regret, which places the most
// contested replica first on its cheapest device, fragments the free cores). Replicas go largest first (cores,
// then memory), each onto the allowed device that it leaves with the fewest free cores, the cheaper one on a
// tie. With calls, a clustered variant too: services in call order (callees first), each replica first on
// the devices nearest the sites its service and its partners already use (call limits bind every pair). The
// heuristic uses them only for a fresh plan that left replicas out, and keeps whichever places more.

/** A best-fit-decreasing placement of every replica of `p` that fits; `clustered`: services in call order
 * (a service after those it calls), each replica on the devices nearest the sites its service and its call
 * partners already use, best fit among those. */
export function bestFitDecreasing(
  p: Problem,
  clustered = false,
): { state: PlacementState; unplaced: number[] } {
  const state = new PlacementState(p);
  const svc = (i: number) => p.services[p.serviceOf[i]!]!;
  const rank = callOrder(p);
  const order = Array.from({ length: p.replicaCount }, (_, i) => i).sort(
    (a, b) =>
      (clustered ? rank[p.serviceOf[a]!]! - rank[p.serviceOf[b]!]! : 0) ||
      svc(b).service.cpuCores - svc(a).service.cpuCores ||
      svc(b).service.memoryBytes - svc(a).service.memoryBytes ||
      a - b,
  );
  /** The farthest site already used by replica i's service or its call partners, from site a (ms). */
  const spread = (i: number, a: number) => {
    const s = p.serviceOf[i]!;
    let worst = 0;
    for (const t of [s, ...p.services[s]!.edges.map((e) => e.partner)])
      for (const b of state.siteCounts[t]!.keys()) worst = Math.max(worst, p.latMs[a * p.siteCount + b]!);
    return worst;
  };
  const unplaced: number[] = [];
  for (const i of order) {
    const sm = svc(i);
    let best = -1;
    let bestLeft = Number.POSITIVE_INFINITY;
    let bestCost = Number.POSITIVE_INFINITY;
    for (const d of sm.candidates) {
      if (state.blocker(i, d) !== undefined) continue;
      // clustered: latency to what is placed first (in whole ms), then the fit
      const left =
        (clustered ? 1e6 * Math.ceil(spread(i, p.siteOf[d]!)) : 0) + state.freeCpu[d]! - sm.service.cpuCores;
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
  for (const clustered of p.services.some((s) => s.edges.length > 0) ? [false, true] : [false]) {
    if (best.unplaced.length === 0) return best;
    const packed = bestFitDecreasing(p, clustered);
    if (packed.unplaced.length >= best.unplaced.length) continue;
    improve(packed.state);
    best = { ...packed, evaluations: best.evaluations };
  }
  return best;
}

/** Services ranked so that a service comes after every service it calls (calls form no cycle here; a
 * cycle just keeps the index order). */
function callOrder(p: Problem): number[] {
  const rank = p.services.map(() => -1);
  let next = 0;
  const visit = (s: number, depth: number) => {
    if (rank[s]! >= 0 || depth > p.services.length) return;
    for (const e of p.services[s]!.edges) if (e.outgoing) visit(e.partner, depth + 1);
    if (rank[s]! < 0) rank[s] = next++;
  };
  for (let s = 0; s < p.services.length; s++) visit(s, 0);
  return rank;
}
