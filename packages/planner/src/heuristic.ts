import { largeNeighbourhoodSearch } from "./lns.js";
import { packIfBetter } from "./packing.js";
import type { Problem } from "./problem.js";
import { seededRandom, shuffle } from "./rng.js";
import { PlacementState } from "./state.js";

// The default strategy: regret-based (or most-constrained-first) construction, then local search by moves
// and swaps. Deterministic for a seed: effort is bounded by counted evaluations, not by the clock (unless a
// time budget is asked for).

export interface HeuristicOptions {
  seed?: number;
  maxEvaluations?: number;
  timeBudgetMs?: number;
  /** Start from this state (re-planning) instead of an empty one; its unplaced replicas are constructed. */
  start?: PlacementState;
  /** Local search moves only these replicas (re-planning: the displaced ones); default all. */
  focus?: readonly number[];
  /** Ruin-and-recreate iterations after local search (lns.ts). Default by size for fresh plans, 0 when
   * starting from a state (re-plans stay incremental). */
  lnsIterations?: number;
}

export interface HeuristicResult {
  state: PlacementState;
  /** Replicas no device could take. */
  unplaced: number[];
  evaluations: number;
}

/** Candidates priced per replica on large fleets (cheapest standalone first); all of them up to FULL_SCAN. */
const WINDOW = 32;
const FULL_SCAN = 256;
/** Large-neighbourhood search effort: iterations, and evaluations by instance size. */
const LNS_ITERATIONS = 300;
/** Small instances (at most RESTART_REPLICAS replicas) get more: each iteration costs microseconds there. */
const LNS_ITERATIONS_SMALL = 1000;
const LNS_EVALUATIONS_SMALL = 1_000_000;
/** Medium instances (up to LNS_MEDIUM_REPLICAS replicas): a regret recreate there prices ~20,000 moves, so
 * 1,000,000 evaluations stopped the LNS after ~50 iterations; these get 1,000 (0.2–0.9 s of CPU). */
const LNS_ITERATIONS_MEDIUM = 1000;
const LNS_EVALUATIONS_MEDIUM = 2_500_000;
const LNS_EVALUATIONS_LARGE = 300_000;
const LNS_MEDIUM_REPLICAS = 500;
/** Above this many replicas a few hundred ruins change too little to pay for themselves: no LNS. */
const LNS_MAX_REPLICAS = 2000;
/** Instances at most this big get several randomised constructions (5× while replicas are left out). */
const RESTART_REPLICAS = 40;
const RESTARTS = 12;
/** Regret construction (re-pricing every service per step) while replicas × services stays below this. */
const REGRET_LIMIT = 20_000;
const MAX_REPAIRS = 50;
const IMPROVEMENT = 1e-12;
const ROUND_GAIN = 1e-6;

class Search {
  evaluations = 0;
  repairs = 0;
  readonly unrepairable = new Set<number>();
  readonly deadline: number;
  readonly window: number;

  constructor(
    readonly p: Problem,
    readonly random: () => number,
    readonly maxEvaluations: number,
    timeBudgetMs: number | undefined,
  ) {
    this.deadline = timeBudgetMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeBudgetMs;
    this.window = p.deviceCount <= FULL_SCAN ? Number.POSITIVE_INFINITY : WINDOW;
  }

  /** Evaluations when the current local search began: the budget bounds local search, not construction. */
  searchFrom = 0;
  exhausted(): boolean {
    if (this.evaluations - this.searchFrom >= this.maxEvaluations) return true;
    return this.deadline !== Number.POSITIVE_INFINITY && performance.now() > this.deadline;
  }

  /** Best and second-best feasible device for unplaced replica `i` among its first `window` feasible ones. */
  best(state: PlacementState, i: number, exclude = -1): { device: number; cost: number; second: number } {
    const candidates = this.p.services[this.p.serviceOf[i]!]!.candidates;
    let device = -1;
    let cost = Number.POSITIVE_INFINITY;
    let second = Number.POSITIVE_INFINITY;
    let seen = 0;
    for (let k = 0; k < candidates.length && seen < this.window; k++) {
      const d = candidates[k]!;
      if (d === exclude || state.blocker(i, d) !== undefined) continue;
      seen++;
      this.evaluations++;
      const c = state.delta(i, d);
      if (c < cost) {
        second = cost;
        cost = c;
        device = d;
      } else if (c < second) second = c;
    }
    return { device, cost, second };
  }

  /** A uniformly random feasible device for unplaced replica `i` among the first window of candidates. */
  anyFeasible(state: PlacementState, i: number): number | undefined {
    const candidates = this.p.services[this.p.serviceOf[i]!]!.candidates;
    const ok: number[] = [];
    for (let k = 0; k < candidates.length && ok.length < this.window; k++)
      if (state.blocker(i, candidates[k]!) === undefined) ok.push(candidates[k]!);
    return ok.length ? ok[Math.floor(this.random() * ok.length)] : undefined;
  }

  /** Place `i` by moving one replica out of the way (an ejection chain of length one). */
  repair(state: PlacementState, i: number): boolean {
    // a service whose replica could not be repaired will not do better for its identical next one
    const s = this.p.serviceOf[i]!;
    if (this.repairs >= MAX_REPAIRS || this.unrepairable.has(s)) return false;
    this.repairs++;
    const candidates = this.p.services[this.p.serviceOf[i]!]!.candidates;
    const limit = Math.min(candidates.length, Number.isFinite(this.window) ? this.window : candidates.length);
    for (let k = 0; k < limit; k++) {
      const d = candidates[k]!;
      for (let j = 0; j < state.device.length; j++) {
        if (state.device[j] !== d) continue;
        state.unplace(j);
        if (state.blocker(i, d) === undefined) {
          state.place(i, d);
          const alt = this.best(state, j, d);
          if (alt.device >= 0) {
            state.place(j, alt.device);
            return true;
          }
          state.unplace(i);
        }
        state.place(j, d);
      }
    }
    this.unrepairable.add(s);
    return false;
  }

  construct(state: PlacementState, noise: number): number[] {
    const p = this.p;
    const pending = p.services.map((s) => {
      const out: number[] = [];
      for (let r = 0; r < s.replicas; r++)
        if (state.device[s.firstReplica + r]! < 0) out.push(s.firstReplica + r);
      return out.reverse();
    });
    const unplaced: number[] = [];
    const placeOne = (i: number, device: number) => {
      // randomised restarts sometimes take any feasible device: diversity against call-latency dead ends
      if (device >= 0 && noise > 0 && this.random() < noise / 4)
        device = this.anyFeasible(state, i) ?? device;
      if (device >= 0) state.place(i, device);
      else if (!this.repair(state, i)) unplaced.push(i);
    };
    const total = pending.reduce((n, l) => n + l.length, 0);
    if (total * p.services.length <= REGRET_LIMIT) {
      for (;;) {
        let pick = -1;
        let pickRegret = Number.NEGATIVE_INFINITY;
        let pickDevice = -1;
        for (const [s, list] of pending.entries()) {
          const i = list.at(-1);
          if (i === undefined) continue;
          const b = this.best(state, i);
          // no feasible device: most urgent of all; one: next most urgent
          let regret = b.device < 0 ? Number.POSITIVE_INFINITY : b.second - b.cost;
          if (noise > 0 && Number.isFinite(regret)) regret *= 1 + noise * this.random();
          if (regret > pickRegret || pick < 0) {
            pick = s;
            pickRegret = regret;
            pickDevice = b.device;
          }
        }
        if (pick < 0) break;
        placeOne(pending[pick]!.pop()!, pickDevice);
      }
    } else {
      const order = p.services
        .map((s) => s.index)
        .filter((s) => pending[s]!.length > 0)
        .sort((a, b) => {
          const sa = p.services[a]!;
          const sb = p.services[b]!;
          return (
            sa.candidates.length / sa.replicas - sb.candidates.length / sb.replicas ||
            sb.service.cpuCores - sa.service.cpuCores ||
            a - b
          );
        });
      for (const s of order) for (const i of pending[s]!.reverse()) placeOne(i, this.best(state, i).device);
    }
    return unplaced;
  }

  /** Extra gain a move of `i` from `from` to `to` must show: the hysteresis when it leaves its running device. */
  threshold(i: number, from: number, to: number): number {
    const prev = this.p.previous[i]!;
    return prev >= 0 && from === prev && to !== prev ? this.p.hysteresis : 0;
  }

  movePass(state: PlacementState, order: number[]): boolean {
    let improved = false;
    for (const i of order) {
      if (this.exhausted()) break;
      const from = state.device[i]!;
      if (from < 0) continue;
      state.unplace(i);
      const stay = state.delta(i, from);
      const b = this.best(state, i, from);
      if (b.device >= 0 && b.cost < stay - this.threshold(i, from, b.device) - IMPROVEMENT) {
        state.place(i, b.device);
        improved = true;
      } else state.place(i, from);
    }
    return improved;
  }

  swapPass(state: PlacementState, order: number[]): boolean {
    const p = this.p;
    let improved = false;
    const n = order.length;
    const all = n <= 200;
    const pairs = all ? (n * (n - 1)) / 2 : 4 * n;
    for (let k = 0; k < pairs; k++) {
      if (this.exhausted()) break;
      let a: number;
      let b: number;
      if (all) {
        // k → (a, b) with a < b, row by row
        a = 0;
        let rest = k;
        while (rest >= n - 1 - a) rest -= n - 1 - a++;
        b = a + 1 + rest;
      } else {
        a = Math.floor(this.random() * n);
        b = Math.floor(this.random() * n);
      }
      const i = order[a]!;
      const j = order[b]!;
      const di = state.device[i]!;
      const dj = state.device[j]!;
      if (di < 0 || dj < 0 || di === dj || p.serviceOf[i] === p.serviceOf[j]) continue;
      if (!p.services[p.serviceOf[i]!]!.allowed[dj] || !p.services[p.serviceOf[j]!]!.allowed[di]) continue;
      this.evaluations += 2;
      const need = this.threshold(i, di, dj) + this.threshold(j, dj, di) + IMPROVEMENT;
      if (state.trySwap(i, j, need)) improved = true;
    }
    return improved;
  }

  improve(state: PlacementState, focus?: readonly number[]): void {
    this.searchFrom = this.evaluations;
    const order = shuffle(
      focus ? [...focus] : Array.from({ length: this.p.replicaCount }, (_, i) => i),
      this.random,
    );
    for (let round = 0; round < 100 && !this.exhausted(); round++) {
      const before = state.objective;
      const moved = this.movePass(state, order);
      const swapped = this.swapPass(state, order);
      if (!moved && !swapped) break;
      // large instances: stop once a whole round gains less than a millionth
      if (this.p.replicaCount > RESTART_REPLICAS && before - state.objective < ROUND_GAIN * Math.abs(before))
        break;
    }
  }
}

/** Runs the heuristic on `p`. */
export function solveHeuristic(p: Problem, options: HeuristicOptions = {}): HeuristicResult {
  const random = seededRandom(options.seed ?? 1);
  const budget = options.maxEvaluations ?? Math.min(2_000_000, Math.max(100_000, 30 * p.replicaCount));
  const search = new Search(p, random, budget, options.timeBudgetMs);
  const fresh = !options.start;
  const runs = fresh && p.replicaCount <= RESTART_REPLICAS && p.deviceCount <= 2 * WINDOW ? RESTARTS : 1;
  let best: HeuristicResult | undefined;
  for (let run = 0; run < runs || (runs > 1 && run < 5 * runs && best!.unplaced.length > 0); run++) {
    const state = run === 0 && options.start ? options.start : new PlacementState(p);
    search.repairs = 0;
    search.unrepairable.clear();
    const unplaced = search.construct(state, run === 0 ? 0 : 0.5 + (run % runs) / runs);
    search.improve(state, run === 0 ? options.focus : undefined);
    const objective = state.totals().objective;
    if (
      !best ||
      unplaced.length < best.unplaced.length ||
      (unplaced.length === best.unplaced.length && objective < best.state.totals().objective - IMPROVEMENT)
    )
      best = { state, unplaced, evaluations: 0 };
  }
  if (fresh) best = packIfBetter(p, best!, (state) => search.improve(state));
  const iterations =
    options.lnsIterations ??
    (fresh && p.replicaCount <= RESTART_REPLICAS
      ? LNS_ITERATIONS_SMALL
      : fresh && p.replicaCount <= LNS_MEDIUM_REPLICAS
        ? LNS_ITERATIONS_MEDIUM
        : fresh && p.replicaCount <= LNS_MAX_REPLICAS
          ? LNS_ITERATIONS
          : 0);
  if (best!.unplaced.length === 0 && iterations > 0) {
    search.evaluations += largeNeighbourhoodSearch(p, best!.state, random, {
      iterations,
      maxEvaluations:
        p.replicaCount <= RESTART_REPLICAS
          ? LNS_EVALUATIONS_SMALL
          : p.replicaCount <= LNS_MEDIUM_REPLICAS
            ? LNS_EVALUATIONS_MEDIUM
            : LNS_EVALUATIONS_LARGE,
      deadline: search.deadline,
      window: search.window,
      ...(options.focus ? { focus: options.focus } : {}),
    });
    search.improve(best!.state, options.focus);
  }
  best!.evaluations = search.evaluations;
  return best!;
}
