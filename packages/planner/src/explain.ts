import { filterDevices } from "./filter.js";
import { uncoveredW } from "./objectives.js";
import type { Problem } from "./problem.js";
import type { PlacementState } from "./state.js";
import type { Explanation, ReplicaExplanation, ServiceExplanation } from "./types.js";

// Why each replica sits where it does: its share of every objective, the best alternative, and why the
// other devices were filtered out.

type Contributions = ReplicaExplanation["contributions"];

/** Each objective's part of the objective increase of replica `i` (not placed) on device `d`. */
export function contributions(p: Problem, state: PlacementState, i: number, d: number): Contributions {
  const s = p.serviceOf[i]!;
  const sm = p.services[s]!;
  const a = p.alpha;
  const added = state.addedW[d]!;
  const unc = uncoveredW(added + sm.energyW[d]!, p.solarW[d]!) - uncoveredW(added, p.solarW[d]!);
  const latency = sm.usersLatencyMs[d]! / sm.replicas + state.callLatencyMs(s, p.siteOf[d]!);
  return {
    energy: a.energyW * sm.energyW[d]!,
    carbon: (a.carbonGPerH * p.intensityGPerKWh[d]! * unc) / 1000,
    cost: a.costPerHour * sm.costPerHour[d]!,
    performance: a.slownessCores * sm.slownessCores[d]! + a.latencyPerf * latency,
    latency: a.latencyOwn * latency,
    battery: p.batteryWh[d]! > 0 ? (a.batteryDrainPerH * unc) / p.batteryWh[d]! : 0,
  };
}

/** Candidates examined for a runner-up per replica (cheapest standalone first). */
const RUNNER_UP_SCAN = 256;

export function explain(p: Problem, state: PlacementState): Explanation {
  const devices = p.inventory.devices;
  const replicas: ReplicaExplanation[] = [];
  for (let i = 0; i < p.replicaCount; i++) {
    const d = state.device[i]!;
    if (d < 0) continue;
    const sm = p.services[p.serviceOf[i]!]!;
    state.unplace(i);
    const own = state.delta(i, d);
    const contrib = contributions(p, state, i, d);
    let runner = -1;
    let runnerCost = Number.POSITIVE_INFINITY;
    const scan = Math.min(sm.candidates.length, RUNNER_UP_SCAN);
    for (let k = 0; k < scan; k++) {
      const c = sm.candidates[k]!;
      if (c === d || state.blocker(i, c) !== undefined) continue;
      const cost = state.delta(i, c);
      if (cost < runnerCost) {
        runnerCost = cost;
        runner = c;
      }
    }
    state.place(i, d);
    replicas.push({
      service: sm.service.name,
      replica: i - sm.firstReplica,
      device: devices[d]!.name,
      ...(runner >= 0
        ? { runnerUp: { device: devices[runner]!.name, objectiveDelta: runnerCost - own } }
        : {}),
      contributions: contrib,
    });
  }
  const services: ServiceExplanation[] = p.services.map((sm) => {
    const { reasons } = filterDevices(sm.service, p.inventory);
    const rejectedDevices: ServiceExplanation["rejectedDevices"] = {};
    for (const [d, r] of reasons.entries()) if (r) rejectedDevices[devices[d]!.name] = r;
    return {
      service: sm.service.name,
      candidates: sm.candidates.length,
      rejected: sm.rejected,
      rejectedDevices,
    };
  });
  const { latencyPerf: _p, latencyOwn: _o, ...alpha } = p.alpha;
  return { scales: { ...p.scales }, weights: { ...p.app.weights }, alphas: alpha, replicas, services };
}
