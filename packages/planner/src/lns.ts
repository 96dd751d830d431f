import type { Problem } from "./problem.js";
import { type Repack, repackRecreate, repackRuin } from "./repack.js";
import type { PlacementState } from "./state.js";

// Large-neighbourhood search after local search: ruin part of the plan (a device, a site, a grid zone, the
// devices with solar excess, a service's replicas, a random handful) and recreate it best-first with regret
// insertion, which moves groups of replicas that single moves and swaps cannot (a pair out of a dirty zone,
// replicas shifted between devices with and without solar). Record-to-record acceptance with a threshold
// shrinking to zero; the best plan seen is kept. Deterministic: effort is counted, the clock only caps it.

export interface LnsOptions {
  iterations: number;
  maxEvaluations: number;
  deadline: number;
  /** Candidates priced per replica (cheapest standalone first). */
  window: number;
  /** Only these replicas may be ruined (re-planning); default all. */
  focus?: readonly number[];
}

const MIN_RUIN = 2;
const MAX_RUIN = 24;
/** Most replicas a call-cluster ruin removes. */
const MAX_CLUSTER = 48;
/** Share of iterations that repack a site or a group of devices (repack.ts). */
const REPACK_SHARE = 0.2;
/** A site ruin that would remove more replicas than this repacks a device group instead. */
const MAX_REPACK = 64;
/** Start threshold of record-to-record acceptance, as a fraction of the objective. */
const DEVIATION = 0.003;
const IMPROVEMENT = 1e-12;

/** Best and second-best feasible device for unplaced replica `i`; evaluations counted in `count`. */
function bestTwo(p: Problem, state: PlacementState, i: number, window: number, count: { n: number }) {
  const candidates = p.services[p.serviceOf[i]!]!.candidates;
  let device = -1;
  let cost = Number.POSITIVE_INFINITY;
  let second = Number.POSITIVE_INFINITY;
  let seen = 0;
  for (let k = 0; k < candidates.length && seen < window; k++) {
    const d = candidates[k]!;
    if (state.blocker(i, d) !== undefined) continue;
    seen++;
    count.n++;
    const c = state.delta(i, d);
    if (c < cost) {
      second = cost;
      cost = c;
      device = d;
    } else if (c < second) second = c;
  }
  return { device, cost, second };
}

/**
 * Call cluster of the seed's service: the services reachable over calls (breadth first, at most
 * MAX_CLUSTER replicas). Call limits bind every pair of replicas, so a chain of services often has to change
 * site all at once: no single move, swap or one service's ruin is feasible on its own.
 */
export function callCluster(
  p: Problem,
  seed: number,
  pool: readonly number[],
  random: () => number,
): number[] {
  const start = p.serviceOf[seed]!;
  const taken = new Set<number>([start]);
  const queue = [start];
  let replicas = p.services[start]!.replicas;
  for (let k = 0; k < queue.length; k++) {
    const edges = [...p.services[queue[k]!]!.edges].sort(() => random() - 0.5);
    for (const e of edges) {
      if (taken.has(e.partner)) continue;
      const more = p.services[e.partner]!.replicas;
      if (replicas + more > MAX_CLUSTER) continue;
      taken.add(e.partner);
      queue.push(e.partner);
      replicas += more;
    }
  }
  return pool.filter((i) => taken.has(p.serviceOf[i]!));
}

interface Ruin {
  chosen: number[];
  /** Place one of them on a random feasible device first. */
  anchor: boolean;
  /** Recreate largest cpu request first (bin packing) instead of by regret. */
  largest: boolean;
  /** Best-fit decreasing into these devices first (repack.ts). */
  repack?: Repack;
}

/** The replicas to ruin this iteration, and whether to anchor the first one on a random device. */
function ruin(p: Problem, state: PlacementState, pool: readonly number[], random: () => number): Ruin {
  const size = MIN_RUIN + Math.floor(random() * (Math.min(MAX_RUIN, pool.length) - MIN_RUIN + 1));
  const seed = pool[Math.floor(random() * pool.length)]!;
  const d0 = state.device[seed]!;
  if (random() < REPACK_SHARE) {
    let repack = repackRuin(p, state, pool, seed, random() < 0.5 ? "site" : "group", random);
    if (repack.chosen.length > MAX_REPACK) repack = repackRuin(p, state, pool, seed, "group", random);
    if (repack.chosen.length <= MAX_REPACK)
      return { chosen: repack.chosen, anchor: false, largest: false, repack };
  }
  const kind = Math.floor(random() * (p.services[p.serviceOf[seed]!]!.edges.length > 0 ? 8 : 6));
  if (kind >= 6) {
    const chosen = callCluster(p, seed, pool, random);
    return { chosen: chosen.length > 0 ? chosen : [seed], anchor: kind === 7, largest: false };
  }
  let chosen: number[];
  if (kind === 5) chosen = pool.filter(() => random() < size / pool.length);
  else {
    const zone = p.intensityGPerKWh[d0]!;
    const devices = new Set<number>([d0]);
    if (kind === 0) {
      // the seed's device and another occupied device
      const other = pool[Math.floor(random() * pool.length)]!;
      devices.add(state.device[other]!);
    }
    const related = (i: number) => {
      const d = state.device[i]!;
      switch (kind) {
        case 0:
          return devices.has(d);
        case 1:
          return p.siteOf[d] === p.siteOf[d0];
        case 2:
          return p.intensityGPerKWh[d] === zone;
        case 3:
          return p.solarW[d]! > 0 || d === d0;
        default:
          return p.serviceOf[i] === p.serviceOf[seed];
      }
    };
    chosen = pool.filter(related);
    // too many: a random subset of them
    for (let k = chosen.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      [chosen[k], chosen[j]] = [chosen[j]!, chosen[k]!];
    }
    chosen = chosen.slice(0, size);
  }
  return { chosen: chosen.length > 0 ? chosen : [seed], anchor: false, largest: kind <= 3 && random() < 0.5 };
}

/** Regret insertion of `pending`; false (and nothing placed) when one of them fits nowhere. */
function recreate(
  p: Problem,
  state: PlacementState,
  pending: number[],
  window: number,
  random: () => number,
  count: { n: number },
  how: Omit<Ruin, "chosen">,
): boolean {
  if (how.repack) return repackRecreate(p, state, how.repack, window, random, count);
  const placed: number[] = [];
  const left = [...pending];
  if (how.largest) {
    // first-fit-decreasing flavour: the largest requests first, each on its cheapest feasible device
    const cpu = (i: number) => p.services[p.serviceOf[i]!]!.service.cpuCores;
    const order = left.map((i) => ({ i, key: cpu(i) + 1e-3 * random() })).sort((x, y) => y.key - x.key);
    for (const { i } of order) {
      const b = bestTwo(p, state, i, window, count);
      if (b.device < 0) {
        for (const j of placed) state.unplace(j);
        return false;
      }
      state.place(i, b.device);
      placed.push(i);
    }
    return true;
  }
  if (how.anchor) {
    // diversity: the first replica goes to a random feasible candidate, the rest follow it by regret
    const k = Math.floor(random() * left.length);
    const i = left[k]!;
    const options = p.services[p.serviceOf[i]!]!.candidates.filter((d) => state.blocker(i, d) === undefined);
    count.n += options.length;
    if (options.length > 0) {
      state.place(i, options[Math.floor(random() * options.length)]!);
      placed.push(i);
      left.splice(k, 1);
    }
  }
  while (left.length > 0) {
    let pick = -1;
    let pickRegret = Number.NEGATIVE_INFINITY;
    let pickDevice = -1;
    for (let k = 0; k < left.length; k++) {
      const b = bestTwo(p, state, left[k]!, window, count);
      if (b.device < 0) {
        for (const i of placed) state.unplace(i);
        return false;
      }
      const regret = (b.second - b.cost) * (1 + 0.1 * random());
      if (regret > pickRegret) {
        pick = k;
        pickRegret = regret;
        pickDevice = b.device;
      }
    }
    const i = left.splice(pick, 1)[0]!;
    state.place(i, pickDevice);
    placed.push(i);
  }
  return true;
}

/** Improves `state` in place; returns the evaluations spent. */
export function largeNeighbourhoodSearch(
  p: Problem,
  state: PlacementState,
  random: () => number,
  o: LnsOptions,
): number {
  const count = { n: 0 };
  const pool = o.focus ? [...o.focus] : Array.from({ length: p.replicaCount }, (_, i) => i);
  if (pool.length < MIN_RUIN || o.iterations <= 0) return 0;
  if (pool.some((i) => state.device[i]! < 0)) return 0;
  let best = state.device.slice();
  let bestObjective = state.objective;
  for (let it = 0; it < o.iterations; it++) {
    if (count.n >= o.maxEvaluations || (o.deadline !== Infinity && performance.now() > o.deadline)) break;
    const before = state.objective;
    const how = ruin(p, state, pool, random);
    const removed = how.chosen;
    const from = removed.map((i) => state.device[i]!);
    for (const i of removed) state.unplace(i);
    const ok = recreate(p, state, removed, o.window, random, count, how);
    const threshold = DEVIATION * Math.abs(bestObjective) * (1 - it / o.iterations);
    if (ok && state.objective < bestObjective + threshold && state.objective < before + threshold) {
      if (state.objective < bestObjective - IMPROVEMENT) {
        bestObjective = state.objective;
        best = state.device.slice();
      }
      continue;
    }
    if (ok) for (const i of removed) state.unplace(i);
    for (const [k, i] of removed.entries()) state.place(i, from[k]!);
  }
  // back to the best plan seen
  if (state.objective > bestObjective + IMPROVEMENT) {
    for (let i = 0; i < p.replicaCount; i++) if (state.device[i] !== best[i]) state.unplace(i);
    for (let i = 0; i < p.replicaCount; i++)
      if (state.device[i]! < 0 && best[i]! >= 0) state.place(i, best[i]!);
  }
  return count.n;
}
