import highsLoader from "highs";
import type { Problem } from "./problem.js";
import { PlacementState } from "./state.js";

// The reference strategy: the same model as a mixed-integer linear program solved by HiGHS (WebAssembly).
//   x[i,d] ∈ {0,1}   replica i on candidate device d            Σ_d x[i,d] = 1
//   capacity         Σ_i cpu_i·x[i,d] ≤ free cpu_d (memory, gpu alike)
//   u[d] ≥ 0         u[d] ≥ Σ_i energyW[i,d]·x[i,d] − solarW_d   (uncovered power: carbon and battery)
//   spread           Σ_{i∈s, d∈group} x[i,d] ≤ 1 per device / site / region
//   calls            X[i,a] + X[j,b] ≤ 1 for site pairs over maxLatencyMs (X = Σ_{d at site a} x[i,d]);
//                    z[i,j,a,b] ≥ X[i,a] + X[j,b] − 1 prices the mean pair latency exactly
//   limits           Σ energyW·x ≤ maxPowerW, Σ cost·x ≤ maxCostPerHour, Σ intensity·u/1000 ≤ maxCarbonGPerH
//   minimise         Σ separable·x + Σ κ_d·u[d] + α_latency·Σ pairWeight·latency·z + migration·(x off its device)
// Per-replica variables make it exact but large: meant for the small instances it serves as reference for.

// highs ships CommonJS-flavoured types for an ES module whose default export is the loader.
type Loader = typeof highsLoader.default;
type Highs = Awaited<ReturnType<Loader>>;
let loading: Promise<Highs> | undefined;

/** The HiGHS runtime, loaded once per process. */
function highs(): Promise<Highs> {
  loading ??= (highsLoader as unknown as Loader)();
  return loading;
}

export interface ExactResult {
  state: PlacementState;
  feasible: boolean;
  status: string;
}

function num(v: number): string {
  const r = Number(v.toPrecision(15));
  return r < 0 ? `- ${-r}` : `+ ${r}`;
}

class Lp {
  readonly rows: string[] = [];
  readonly objective: string[] = [];
  readonly binaries: string[] = [];
  #row = 0;

  constraint(terms: string[], sense: "<=" | ">=" | "=", rhs: number): void {
    if (terms.length === 0) return;
    const lines: string[] = [];
    for (let k = 0; k < terms.length; k += 8) lines.push(terms.slice(k, k + 8).join(" "));
    this.rows.push(` r${this.#row++}: ${lines.join("\n   ")} ${sense} ${Number(rhs.toPrecision(15))}`);
  }

  text(): string {
    const obj = this.objective.length ? this.objective : [`+ 0 ${this.binaries[0] ?? "x"}`];
    const chunks: string[] = [];
    for (let k = 0; k < obj.length; k += 8) chunks.push(obj.slice(k, k + 8).join(" "));
    return `Minimize\n obj: ${chunks.join("\n   ")}\nSubject To\n${this.rows.join("\n")}\nBinary\n ${this.binaries.join("\n ")}\nEnd\n`;
  }
}

export async function solveExact(p: Problem, timeLimitS = 60): Promise<ExactResult> {
  const state = new PlacementState(p);
  if (p.services.some((s) => s.replicas > 0 && s.candidates.length === 0))
    return { state, feasible: false, status: "Infeasible (a service has no candidate device)" };
  if (p.replicaCount === 0) return { state, feasible: true, status: "Optimal" };
  const lp = new Lp();
  const x = (i: number, d: number) => `x${i}_${d}`;
  const perDevice = new Map<number, number[]>(); // device → replicas that may use it
  const sitesOf = (i: number) => {
    const m = new Map<number, number[]>();
    for (const d of p.services[p.serviceOf[i]!]!.candidates) {
      const a = p.siteOf[d]!;
      m.set(a, [...(m.get(a) ?? []), d]);
    }
    return m;
  };
  for (let i = 0; i < p.replicaCount; i++) {
    const sm = p.services[p.serviceOf[i]!]!;
    const terms: string[] = [];
    for (const d of sm.candidates) {
      lp.binaries.push(x(i, d));
      terms.push(`+ ${x(i, d)}`);
      const prev = p.previous[i]!;
      const c =
        sm.separable[d]! +
        (p.alpha.latencyMs * sm.usersLatencyMs[d]!) / sm.replicas +
        (prev >= 0 && prev !== d ? p.migration : 0);
      if (c !== 0) lp.objective.push(`${num(c)} ${x(i, d)}`);
      perDevice.set(d, [...(perDevice.get(d) ?? []), i]);
    }
    lp.constraint(terms, "=", 1);
  }
  const limits = p.app.limits;
  const power: string[] = [];
  const cost: string[] = [];
  const carbon: string[] = [];
  for (const [d, list] of perDevice) {
    const svc = (i: number) => p.services[p.serviceOf[i]!]!;
    const cap = (need: (i: number) => number, free: number) => {
      if (list.reduce((sum, i) => sum + need(i), 0) > free + 1e-9)
        lp.constraint(
          list.filter((i) => need(i) > 0).map((i) => `${num(need(i))} ${x(i, d)}`),
          "<=",
          free,
        );
    };
    cap((i) => svc(i).service.cpuCores, p.freeCpu[d]!);
    cap((i) => svc(i).service.memoryBytes / 2 ** 20, p.freeMemory[d]! / 2 ** 20);
    cap((i) => svc(i).service.gpus, p.freeGpu[d]!);
    const energy = list.map((i) => `${num(-svc(i).energyW[d]!)} ${x(i, d)}`);
    if (p.kappa[d]! > 0 || limits.maxCarbonGPerH !== undefined) {
      lp.constraint([`+ u${d}`, ...energy], ">=", -p.solarW[d]!);
      if (p.kappa[d]! > 0) lp.objective.push(`${num(p.kappa[d]!)} u${d}`);
      carbon.push(`${num(p.intensityGPerKWh[d]! / 1000)} u${d}`);
    }
    for (const i of list) {
      power.push(`${num(svc(i).energyW[d]!)} ${x(i, d)}`);
      cost.push(`${num(svc(i).costPerHour[d]!)} ${x(i, d)}`);
    }
  }
  if (limits.maxPowerW !== undefined) lp.constraint(power, "<=", limits.maxPowerW);
  if (limits.maxCostPerHour !== undefined) lp.constraint(cost, "<=", limits.maxCostPerHour);
  if (limits.maxCarbonGPerH !== undefined) lp.constraint(carbon, "<=", limits.maxCarbonGPerH);

  for (const sm of p.services) {
    const reps = Array.from({ length: sm.replicas }, (_, r) => sm.firstReplica + r);
    const spread = sm.service.placement.spread;
    if (spread && reps.length > 1) {
      const group = (d: number) =>
        spread === "device" ? d : spread === "site" ? p.siteOf[d]! : p.regionOf[d]!;
      const groups = new Map<number, string[]>();
      for (const i of reps)
        for (const d of sm.candidates)
          groups.set(group(d), [...(groups.get(group(d)) ?? []), `+ ${x(i, d)}`]);
      for (const terms of groups.values()) if (terms.length > 1) lp.constraint(terms, "<=", 1);
    }
    // identical replicas: order them by candidate position (only without a previous placement)
    if (reps.every((i) => p.previous[i]! < 0))
      for (let k = 0; k + 1 < reps.length; k++) {
        const terms: string[] = [];
        for (const [pos, d] of sm.candidates.entries()) {
          terms.push(`+ ${pos + 1} ${x(reps[k]!, d)}`, `- ${pos + 1} ${x(reps[k + 1]!, d)}`);
        }
        lp.constraint(terms, "<=", spread === "device" ? -1 : 0);
      }
    // calls, caller side
    for (const e of sm.edges) {
      if (!e.outgoing) continue;
      const partner = p.services[e.partner]!;
      for (const i of reps)
        for (let r = 0; r < partner.replicas; r++) {
          const j = partner.firstReplica + r;
          for (const [a, da] of sitesOf(i))
            for (const [b, db] of sitesOf(j)) {
              const ms = p.latMs[a * p.siteCount + b]!;
              const both = [...da.map((d) => `+ ${x(i, d)}`), ...db.map((d) => `+ ${x(j, d)}`)];
              if (ms === Number.POSITIVE_INFINITY || ms > e.maxLatencyMs + 1e-9) lp.constraint(both, "<=", 1);
              else if (ms > 0 && p.alpha.latencyMs > 0) {
                const z = `z${i}_${j}_${a}_${b}`;
                lp.constraint([...both, `- ${z}`], "<=", 1);
                lp.objective.push(`${num(p.alpha.latencyMs * e.pairWeight * ms)} ${z}`);
              }
            }
        }
    }
  }
  const solver = await highs();
  const result = solver.solve(lp.text(), {
    output_flag: false,
    time_limit: timeLimitS,
    mip_rel_gap: 1e-7,
    mip_abs_gap: 1e-10,
  });
  const status = result.Status;
  const columns = result.Columns as Record<string, { Primal?: number }>;
  const solved =
    status === "Optimal" ||
    ((status === "Time limit reached" || status === "Iteration limit reached") &&
      Object.values(columns).some((c) => c.Primal !== undefined));
  if (!solved) return { state, feasible: false, status };
  for (let i = 0; i < p.replicaCount; i++) {
    const sm = p.services[p.serviceOf[i]!]!;
    let best = -1;
    let bestValue = 0.5;
    for (const d of sm.candidates) {
      const v = columns[x(i, d)]?.Primal ?? 0;
      if (v > bestValue) {
        bestValue = v;
        best = d;
      }
    }
    if (best < 0) return { state, feasible: false, status: `${status} (no value for replica ${i})` };
    state.place(i, best);
  }
  return { state, feasible: true, status };
}
