import { EPS } from "./filter.js";
import { type ObjectiveTotals, uncoveredW, weightedObjective } from "./objectives.js";
import type { Problem } from "./problem.js";
import type { Reason, Totals } from "./types.js";

// A placement being built or improved: replica → device with everything needed to price and check one
// more replica in O(its call partners' occupied sites). Heuristic, re-plan and explanation share it.

function bump(map: Map<number, number>, key: number, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n === 0) map.delete(key);
  else map.set(key, n);
}

export class PlacementState {
  readonly device: Int32Array;
  readonly freeCpu: Float64Array;
  readonly freeMemory: Float64Array;
  readonly freeGpu: Float64Array;
  /** Power added to each device by the replicas placed so far, W. */
  readonly addedW: Float64Array;
  readonly siteCounts: Map<number, number>[];
  readonly deviceCounts: Map<number, number>[];
  readonly regionCounts: Map<number, number>[];
  powerW = 0;
  costPerHour = 0;
  carbonGPerH = 0;
  /** Running normalised objective (migration included); `totals()` recomputes it from scratch. */
  objective = 0;
  /** Lower bounds of power and cost still needed by unplaced replicas (application limits). */
  reserveW = 0;
  reserveCostPerHour = 0;
  placed = 0;

  constructor(readonly p: Problem) {
    this.device = new Int32Array(p.replicaCount).fill(-1);
    this.freeCpu = p.freeCpu.slice();
    this.freeMemory = p.freeMemory.slice();
    this.freeGpu = p.freeGpu.slice();
    this.addedW = new Float64Array(p.deviceCount);
    this.siteCounts = p.services.map(() => new Map());
    this.deviceCounts = p.services.map(() => new Map());
    this.regionCounts = p.services.map(() => new Map());
    for (const s of p.services) {
      this.reserveW += s.replicas * s.minEnergyW;
      this.reserveCostPerHour += s.replicas * s.minCostPerHour;
    }
  }

  clone(): PlacementState {
    const c = new PlacementState(this.p);
    for (let i = 0; i < this.device.length; i++) if (this.device[i]! >= 0) c.place(i, this.device[i]!);
    return c;
  }

  /** Mean-pair latency a replica of service `s` at site `site` adds along its calls, ms (Infinity: no route). */
  callLatencyMs(s: number, site: number): number {
    const { latMs, siteCount } = this.p;
    let sum = 0;
    for (const e of this.p.services[s]!.edges) {
      for (const [b, n] of this.siteCounts[e.partner]!) {
        const ms = e.outgoing ? latMs[site * siteCount + b]! : latMs[b * siteCount + site]!;
        sum += e.pairWeight * n * ms;
      }
    }
    return sum;
  }

  /** Why replica `i` (not placed) cannot go to static candidate `d` now; undefined when it can. */
  blocker(i: number, d: number): Reason | undefined {
    const p = this.p;
    const s = p.serviceOf[i]!;
    const sm = p.services[s]!;
    const svc = sm.service;
    if (this.freeGpu[d]! < svc.gpus - EPS) return "gpu";
    if (this.freeCpu[d]! < svc.cpuCores - EPS) return "cpu";
    if (this.freeMemory[d]! < svc.memoryBytes - EPS) return "memory";
    const site = p.siteOf[d]!;
    switch (svc.placement.spread) {
      case "device":
        if (this.deviceCounts[s]!.has(d)) return "spread";
        break;
      case "site":
        if (this.siteCounts[s]!.has(site)) return "spread";
        break;
      case "region":
        if (this.regionCounts[s]!.has(p.regionOf[d]!)) return "spread";
        break;
    }
    for (const e of sm.edges)
      for (const b of this.siteCounts[e.partner]!.keys()) {
        const ms = e.outgoing ? p.latMs[site * p.siteCount + b]! : p.latMs[b * p.siteCount + site]!;
        if (ms > e.maxLatencyMs + EPS || ms === Number.POSITIVE_INFINITY) return "calls";
      }
    const limits = p.app.limits;
    const e = sm.energyW[d]!;
    if (
      limits.maxPowerW !== undefined &&
      this.powerW + e + this.reserveW - sm.minEnergyW > limits.maxPowerW + EPS
    )
      return "limits";
    if (
      limits.maxCostPerHour !== undefined &&
      this.costPerHour + sm.costPerHour[d]! + this.reserveCostPerHour - sm.minCostPerHour >
        limits.maxCostPerHour + EPS
    )
      return "limits";
    if (limits.maxCarbonGPerH !== undefined) {
      const added = this.addedW[d]!;
      const dc =
        (p.intensityGPerKWh[d]! * (uncoveredW(added + e, p.solarW[d]!) - uncoveredW(added, p.solarW[d]!))) /
        1000;
      if (this.carbonGPerH + dc > limits.maxCarbonGPerH + EPS) return "limits";
    }
    return undefined;
  }

  /** Increase of the objective if replica `i` (not placed) went to `d`. */
  delta(i: number, d: number): number {
    const p = this.p;
    const s = p.serviceOf[i]!;
    const sm = p.services[s]!;
    const added = this.addedW[d]!;
    const solar = p.solarW[d]!;
    let v =
      sm.separable[d]! +
      (p.alpha.latencyMs * sm.usersLatencyMs[d]!) / sm.replicas +
      p.kappa[d]! * (uncoveredW(added + sm.energyW[d]!, solar) - uncoveredW(added, solar));
    if (sm.edges.length > 0 && p.alpha.latencyMs > 0)
      v += p.alpha.latencyMs * this.callLatencyMs(s, p.siteOf[d]!);
    const prev = p.previous[i]!;
    if (prev >= 0 && prev !== d) v += p.migration;
    return v;
  }

  place(i: number, d: number): void {
    const p = this.p;
    const s = p.serviceOf[i]!;
    const sm = p.services[s]!;
    this.objective += this.delta(i, d);
    const e = sm.energyW[d]!;
    const added = this.addedW[d]!;
    this.carbonGPerH +=
      (p.intensityGPerKWh[d]! * (uncoveredW(added + e, p.solarW[d]!) - uncoveredW(added, p.solarW[d]!))) /
      1000;
    this.addedW[d] = added + e;
    this.powerW += e;
    this.costPerHour += sm.costPerHour[d]!;
    this.freeCpu[d] = this.freeCpu[d]! - sm.service.cpuCores;
    this.freeMemory[d] = this.freeMemory[d]! - sm.service.memoryBytes;
    this.freeGpu[d] = this.freeGpu[d]! - sm.service.gpus;
    bump(this.siteCounts[s]!, p.siteOf[d]!, 1);
    bump(this.deviceCounts[s]!, d, 1);
    bump(this.regionCounts[s]!, p.regionOf[d]!, 1);
    this.reserveW -= sm.minEnergyW;
    this.reserveCostPerHour -= sm.minCostPerHour;
    this.device[i] = d;
    this.placed++;
  }

  /**
   * Swaps the devices of replicas `i` and `j` when both fit and the objective falls by more than `minGain`;
   * otherwise leaves both where they were. True when swapped.
   */
  trySwap(i: number, j: number, minGain: number): boolean {
    const di = this.device[i]!;
    const dj = this.device[j]!;
    const before = this.objective;
    this.unplace(i);
    this.unplace(j);
    let ok = false;
    if (this.blocker(i, dj) === undefined) {
      this.place(i, dj);
      if (this.blocker(j, di) === undefined) {
        this.place(j, di);
        ok = this.objective < before - minGain;
        if (!ok) this.unplace(j);
      }
      if (!ok) this.unplace(i);
    }
    if (!ok) {
      this.place(i, di);
      this.place(j, dj);
    }
    return ok;
  }

  unplace(i: number): void {
    const p = this.p;
    const d = this.device[i]!;
    if (d < 0) return;
    const s = p.serviceOf[i]!;
    const sm = p.services[s]!;
    const e = sm.energyW[d]!;
    const added = this.addedW[d]!;
    this.carbonGPerH -=
      (p.intensityGPerKWh[d]! * (uncoveredW(added, p.solarW[d]!) - uncoveredW(added - e, p.solarW[d]!))) /
      1000;
    this.addedW[d] = added - e;
    this.powerW -= e;
    this.costPerHour -= sm.costPerHour[d]!;
    this.freeCpu[d] = this.freeCpu[d]! + sm.service.cpuCores;
    this.freeMemory[d] = this.freeMemory[d]! + sm.service.memoryBytes;
    this.freeGpu[d] = this.freeGpu[d]! + sm.service.gpus;
    bump(this.siteCounts[s]!, p.siteOf[d]!, -1);
    bump(this.deviceCounts[s]!, d, -1);
    bump(this.regionCounts[s]!, p.regionOf[d]!, -1);
    this.reserveW += sm.minEnergyW;
    this.reserveCostPerHour += sm.minCostPerHour;
    this.device[i] = -1;
    this.placed--;
    this.objective -= this.delta(i, d);
  }

  /** Every total recomputed from the assignment, and the objective from them. */
  totals(): Totals {
    const p = this.p;
    const t: ObjectiveTotals = {
      energyW: 0,
      carbonGPerH: 0,
      costPerHour: 0,
      latencyMs: 0,
      slownessCores: 0,
      batteryDrainPerH: 0,
    };
    const added = new Float64Array(p.deviceCount);
    let moved = 0;
    for (let i = 0; i < p.replicaCount; i++) {
      const d = this.device[i]!;
      if (d < 0) continue;
      const sm = p.services[p.serviceOf[i]!]!;
      added[d] = added[d]! + sm.energyW[d]!;
      t.energyW += sm.energyW[d]!;
      t.costPerHour += sm.costPerHour[d]!;
      t.slownessCores += sm.slownessCores[d]!;
      t.latencyMs += sm.usersLatencyMs[d]! / sm.replicas;
      const prev = p.previous[i]!;
      if (prev >= 0 && prev !== d) moved++;
    }
    for (let d = 0; d < p.deviceCount; d++) {
      if (added[d] === 0) continue;
      const unc = uncoveredW(added[d]!, p.solarW[d]!);
      t.carbonGPerH += (p.intensityGPerKWh[d]! * unc) / 1000;
      if (p.batteryWh[d]! > 0) t.batteryDrainPerH += unc / p.batteryWh[d]!;
    }
    for (const sm of p.services)
      for (const e of sm.edges) {
        if (!e.outgoing) continue;
        for (const [a, n] of this.siteCounts[sm.index]!)
          for (const [b, m] of this.siteCounts[e.partner]!)
            t.latencyMs += e.pairWeight * n * m * p.latMs[a * p.siteCount + b]!;
      }
    return { ...t, objective: weightedObjective(p.alpha, t) + moved * p.migration };
  }
}
