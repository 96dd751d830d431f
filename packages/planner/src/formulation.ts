import { EPS } from "./filter.js";
import { calls } from "./latency-model.js";
import { Milp } from "./milp.js";
import type { Problem } from "./problem.js";
import { PlacementState } from "./state.js";

// The placement model as a MILP over replica counts (replicas of a service are identical, so counting them
// removes their symmetry altogether):
//   n[s,d] ∈ ℤ, 0 ≤ n ≤ min(replicas, what fits alone, 1 with spread: device)   Σ_d n[s,d] = replicas_s
//   capacity      Σ_s cpu_s·n[s,d] ≤ free cpu_d (memory in MiB, gpu alike; only where it can bind)
//   carbon        the convex piecewise-linear max(0, Σ e·n − solar_d): folded into n's cost where the device
//                 has no solar excess, dropped where its solar covers every replica that fits, otherwise
//                 u_d ≥ Σ e·n − solar_d, u_d ≥ 0 priced κ_d
//   migration     k[s,d] ≤ min(n[s,d], running there now), objective −migration·k + migration·(running)
//   spread        Σ_{d in a site / region} n[s,d] ≤ 1
//   calls         presence P[s,a] ∈ {0,1} with Y[s,a] = Σ_{d at a} n[s,d] ≤ U·P[s,a]; P[s,a] + P[t,b] ≤ 1 for
//                 site pairs over maxLatencyMs; the mean pair latency Y[s,a]·Y[t,b] exactly through a unary
//                 expansion of the smaller side (G[t,b,k] = "at least k replicas of t at b", ordered) and
//                 v ≥ Y[s,a] − U·(1 − G[t,b,k]), v ≥ 0
//   limits        Σ e·n ≤ maxPowerW, Σ cost·n ≤ maxCostPerHour, Σ intensity·(uncovered)/1000 ≤ maxCarbonGPerH
//   symmetry      identical devices (same model coefficients, nothing running there) carry non-increasing
//                 cpu load in index order

/** Counts, per service, of replicas on each device, as the MILP sees a placement. */
export interface WarmContext {
  count: (s: number, d: number) => number;
  siteCount: (s: number, a: number) => number;
  addedW: (d: number) => number;
}

export interface Formulation {
  milp: Milp;
  /** Column of n[s,d] per service: device → column. */
  countCol: Map<number, number>[];
  /** Column value of every column for a given placement (a warm start). */
  warm: ((ctx: WarmContext) => number)[];
  /** A service with replicas has no device that could take even one. */
  empty: boolean;
}

export function formulate(p: Problem): Formulation {
  const m = new Milp();
  const warm: ((ctx: WarmContext) => number)[] = [];
  const col = (cost: number, lo: number, up: number, int: boolean, value: (ctx: WarmContext) => number) => {
    warm.push(value);
    return m.col(cost, lo, up, int);
  };
  const a = p.alpha;
  const countCol: Map<number, number>[] = p.services.map(() => new Map());
  const ub: Map<number, number>[] = p.services.map(() => new Map());
  const byDevice = new Map<number, number[]>(); // device → services with a column there
  let empty = false;
  const fitsAlone = (free: number, need: number) => (need > 0 ? Math.floor((free + EPS) / need) : Infinity);
  for (const sm of p.services) {
    if (sm.replicas === 0) continue;
    const svc = sm.service;
    const terms: [number, number][] = [];
    for (const d of sm.candidates) {
      const cap = Math.min(
        sm.replicas,
        svc.placement.spread === "device" ? 1 : sm.replicas,
        fitsAlone(p.freeCpu[d]!, svc.cpuCores),
        fitsAlone(p.freeMemory[d]!, svc.memoryBytes),
        fitsAlone(p.freeGpu[d]!, svc.gpus),
      );
      if (cap <= 0) continue;
      let cost = sm.separable[d]! + (a.latencyMs * sm.usersLatencyMs[d]!) / sm.replicas;
      if (p.solarW[d]! <= 0) cost += p.kappa[d]! * sm.energyW[d]!;
      const s = sm.index;
      const c = col(cost, 0, cap, true, (ctx) => ctx.count(s, d));
      countCol[s]!.set(d, c);
      ub[s]!.set(d, cap);
      terms.push([c, 1]);
      byDevice.set(d, [...(byDevice.get(d) ?? []), s]);
    }
    if (terms.length === 0) empty = true;
    m.row(terms, sm.replicas, sm.replicas, true);
  }
  migration(p, m, col, countCol);
  const carbonTerms = devices(p, m, col, countCol, ub, byDevice);
  limits(p, m, countCol, carbonTerms);
  spread(p, m, countCol);
  calls(p, m, col, countCol, ub);
  symmetry(p, m, countCol, byDevice);
  return { milp: m, countCol, warm, empty };
}

export type Col = (
  cost: number,
  lo: number,
  up: number,
  int: boolean,
  value: (ctx: WarmContext) => number,
) => number;

function migration(p: Problem, m: Milp, col: Col, countCol: Map<number, number>[]): void {
  const running = new Map<string, number>();
  for (let i = 0; i < p.replicaCount; i++) {
    const d = p.previous[i]!;
    if (d < 0 || p.migration === 0) continue;
    m.offset += p.migration;
    const key = `${p.serviceOf[i]}:${d}`;
    running.set(key, (running.get(key) ?? 0) + 1);
  }
  for (const [key, n] of running) {
    const [s, d] = key.split(":").map(Number) as [number, number];
    const c = countCol[s]!.get(d);
    if (c === undefined) continue;
    const k = col(-p.migration, 0, n, false, (ctx) => Math.min(n, ctx.count(s, d)));
    m.row(
      [
        [k, 1],
        [c, -1],
      ],
      Number.NEGATIVE_INFINITY,
      0,
    );
  }
}

/** Capacity and uncovered power per device; returns the terms of the carbon total (g/h). */
function devices(
  p: Problem,
  m: Milp,
  col: Col,
  countCol: Map<number, number>[],
  ub: Map<number, number>[],
  byDevice: Map<number, number[]>,
): [number, number][] {
  const carbon: [number, number][] = [];
  const carbonLimit = p.app.limits.maxCarbonGPerH !== undefined;
  for (const [d, list] of byDevice) {
    const cap = (need: (s: number) => number, free: number) => {
      let most = 0;
      for (const s of list) most += need(s) * ub[s]!.get(d)!;
      if (most > free + EPS)
        m.row(
          list.filter((s) => need(s) > 0).map((s) => [countCol[s]!.get(d)!, need(s)] as [number, number]),
          Number.NEGATIVE_INFINITY,
          free,
        );
    };
    const svc = (s: number) => p.services[s]!.service;
    cap((s) => svc(s).cpuCores, p.freeCpu[d]!);
    cap((s) => svc(s).memoryBytes / 2 ** 20, p.freeMemory[d]! / 2 ** 20);
    cap((s) => svc(s).gpus, p.freeGpu[d]!);
    if (p.kappa[d]! <= 0 && !carbonLimit) continue;
    const g = p.intensityGPerKWh[d]! / 1000;
    const solar = p.solarW[d]!;
    if (solar <= 0) {
      for (const s of list) carbon.push([countCol[s]!.get(d)!, g * p.services[s]!.energyW[d]!]);
      continue;
    }
    let most = 0;
    for (const s of list) most += p.services[s]!.energyW[d]! * ub[s]!.get(d)!;
    if (most <= solar) continue;
    const u = col(p.kappa[d]!, 0, Number.POSITIVE_INFINITY, false, (ctx) =>
      Math.max(0, ctx.addedW(d) - solar),
    );
    m.row(
      [[u, 1], ...list.map((s) => [countCol[s]!.get(d)!, -p.services[s]!.energyW[d]!] as [number, number])],
      -solar,
      Number.POSITIVE_INFINITY,
    );
    carbon.push([u, g]);
  }
  return carbon;
}

function limits(p: Problem, m: Milp, countCol: Map<number, number>[], carbon: [number, number][]): void {
  const { maxPowerW, maxCostPerHour, maxCarbonGPerH } = p.app.limits;
  const sum = (coef: (s: number, d: number) => number) => {
    const out: [number, number][] = [];
    for (const sm of p.services) for (const [d, c] of countCol[sm.index]!) out.push([c, coef(sm.index, d)]);
    return out;
  };
  if (maxPowerW !== undefined)
    m.row(
      sum((s, d) => p.services[s]!.energyW[d]!),
      Number.NEGATIVE_INFINITY,
      maxPowerW,
    );
  if (maxCostPerHour !== undefined)
    m.row(
      sum((s, d) => p.services[s]!.costPerHour[d]!),
      Number.NEGATIVE_INFINITY,
      maxCostPerHour,
    );
  if (maxCarbonGPerH !== undefined) m.row(carbon, Number.NEGATIVE_INFINITY, maxCarbonGPerH);
}

function spread(p: Problem, m: Milp, countCol: Map<number, number>[]): void {
  for (const sm of p.services) {
    const how = sm.service.placement.spread;
    if ((how !== "site" && how !== "region") || sm.replicas < 2) continue;
    const groups = new Map<number, [number, number][]>();
    for (const [d, c] of countCol[sm.index]!) {
      const g = how === "site" ? p.siteOf[d]! : p.regionOf[d]!;
      groups.set(g, [...(groups.get(g) ?? []), [c, 1]]);
    }
    for (const terms of groups.values()) m.row(terms, Number.NEGATIVE_INFINITY, 1);
  }
}

/** Identical devices (equal in every model coefficient, nothing of the app running there): load ordered. */
function symmetry(
  p: Problem,
  m: Milp,
  countCol: Map<number, number>[],
  byDevice: Map<number, number[]>,
): void {
  const running = new Set<number>();
  for (let i = 0; i < p.replicaCount; i++) if (p.previous[i]! >= 0) running.add(p.previous[i]!);
  const classes = new Map<string, number[]>();
  for (const [d, list] of byDevice) {
    if (running.has(d)) continue;
    const key = [
      p.siteOf[d],
      p.freeCpu[d],
      p.freeMemory[d],
      p.freeGpu[d],
      p.solarW[d],
      p.kappa[d],
      p.intensityGPerKWh[d],
      ...list.flatMap((s) => {
        const sm = p.services[s]!;
        return [s, sm.energyW[d], sm.costPerHour[d], sm.separable[d], sm.usersLatencyMs[d]];
      }),
    ].join(",");
    classes.set(key, [...(classes.get(key) ?? []), d]);
  }
  for (const same of classes.values()) {
    if (same.length < 2) continue;
    const services = byDevice.get(same[0]!)!;
    const weight = (s: number) => p.services[s]!.service.cpuCores + 1e-3 * (s + 1);
    for (let k = 0; k + 1 < same.length; k++)
      m.row(
        services.flatMap((s) => [
          [countCol[s]!.get(same[k]!)!, weight(s)] as [number, number],
          [countCol[s]!.get(same[k + 1]!)!, -weight(s)] as [number, number],
        ]),
        0,
        Number.POSITIVE_INFINITY,
      );
  }
}

/** The column values of `state`'s placement (a warm start for the solver). */
export function warmStart(f: Formulation, p: Problem, state: PlacementState): number[] {
  const counts = p.services.map(() => new Map<number, number>());
  const sites = p.services.map(() => new Map<number, number>());
  for (let i = 0; i < p.replicaCount; i++) {
    const d = state.device[i]!;
    if (d < 0) continue;
    const s = p.serviceOf[i]!;
    counts[s]!.set(d, (counts[s]!.get(d) ?? 0) + 1);
    sites[s]!.set(p.siteOf[d]!, (sites[s]!.get(p.siteOf[d]!) ?? 0) + 1);
  }
  const ctx: WarmContext = {
    count: (s, d) => counts[s]!.get(d) ?? 0,
    siteCount: (s, a) => sites[s]!.get(a) ?? 0,
    addedW: (d) => state.addedW[d]!,
  };
  return f.warm.map((v) => v(ctx));
}

/** The placement of column values `x`: replicas stay on their previous device where the counts allow. */
export function placementOf(f: Formulation, p: Problem, x: ArrayLike<number>): PlacementState | undefined {
  const state = new PlacementState(p);
  for (const sm of p.services) {
    const left = new Map<number, number>();
    let total = 0;
    for (const [d, c] of f.countCol[sm.index]!) {
      const n = Math.round(x[c]!);
      if (n > 0) left.set(d, n);
      total += n;
    }
    if (total !== sm.replicas) return undefined;
    const rest: number[] = [];
    for (let r = 0; r < sm.replicas; r++) {
      const i = sm.firstReplica + r;
      const prev = p.previous[i]!;
      const n = prev >= 0 ? (left.get(prev) ?? 0) : 0;
      if (n > 0) {
        state.place(i, prev);
        left.set(prev, n - 1);
      } else rest.push(i);
    }
    for (const [d, n] of left) for (let k = 0; k < n; k++) state.place(rest.pop()!, d);
  }
  return state;
}
