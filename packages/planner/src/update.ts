import type { Device, Inventory } from "@qonnect/core";
import { staticReason } from "./filter.js";
import { replicaCostPerHour, replicaEnergyW, replicaSlownessCores, uncoveredW } from "./objectives.js";
import { type Problem, type ProblemOptions, previousPlacement, type ServiceModel } from "./problem.js";
import type { Reason } from "./types.js";

// Incremental model update for re-planning: when only the state of devices changed (liveness, battery,
// solar excess, what already runs) the previous model is patched for the changed devices instead of being
// rebuilt. Scales (hence α) stay those of the session's first plan, so objectives compare across re-plans.

function sameHardware(a: Device, b: Device): boolean {
  return (
    a.name === b.name &&
    a.site === b.site &&
    a.arch === b.arch &&
    a.cpuCores === b.cpuCores &&
    a.memoryBytes === b.memoryBytes &&
    a.gpus === b.gpus &&
    a.idleW === b.idleW &&
    a.maxW === b.maxW &&
    a.gamma === b.gamma &&
    a.pricePerHour === b.pricePerHour &&
    a.speed === b.speed &&
    (a.battery?.capacityWh ?? 0) === (b.battery?.capacityWh ?? 0) &&
    JSON.stringify(a.labels) === JSON.stringify(b.labels)
  );
}

function sameState(a: Device, b: Device): boolean {
  return (
    a.alive === b.alive &&
    a.battery?.soc === b.battery?.soc &&
    a.battery?.minSoc === b.battery?.minSoc &&
    a.solarExcessW === b.solarExcessW &&
    a.usedCpuCores === b.usedCpuCores &&
    a.usedMemoryBytes === b.usedMemoryBytes &&
    a.usedGpus === b.usedGpus
  );
}

function sameSites(prev: Inventory, next: Inventory): boolean {
  if (prev === next) return true;
  if (JSON.stringify(prev.sites) !== JSON.stringify(next.sites)) return false;
  if (JSON.stringify(prev.zones) !== JSON.stringify(next.zones)) return false;
  if (prev.latency === next.latency) return true;
  for (const a of prev.sites)
    for (const b of prev.sites)
      if (prev.latency.ms(a.name, b.name) !== next.latency.ms(a.name, b.name)) return false;
  return true;
}

/** The previous model patched to `inventory`, or undefined when more than device state changed. */
export function updateProblem(
  prev: Problem,
  inventory: Inventory,
  options: ProblemOptions = {},
): Problem | undefined {
  if (options.intensityGPerKWh || options.scales) return undefined;
  const old = prev.inventory.devices;
  const now = inventory.devices;
  if (old.length !== now.length || !sameSites(prev.inventory, inventory)) return undefined;
  const changed: number[] = [];
  for (let d = 0; d < now.length; d++) {
    if (!sameHardware(old[d]!, now[d]!)) return undefined;
    if (!sameState(old[d]!, now[d]!)) changed.push(d);
  }
  const freeCpu = prev.freeCpu.slice();
  const freeMemory = prev.freeMemory.slice();
  const freeGpu = prev.freeGpu.slice();
  const solarW = prev.solarW.slice();
  for (const d of changed) {
    const x = now[d]!;
    freeCpu[d] = x.cpuCores - x.usedCpuCores;
    freeMemory[d] = x.memoryBytes - x.usedMemoryBytes;
    freeGpu[d] = x.gpus - x.usedGpus;
    solarW[d] = x.solarExcessW;
  }
  const zones = new Map(inventory.zones.map((z) => [z.name, z]));
  const a = prev.alpha;
  const patched = new Map<
    Int32Array,
    Omit<ServiceModel, "index" | "service" | "replicas" | "firstReplica" | "edges">
  >();
  const patch = (sm: ServiceModel) => {
    const svc = sm.service;
    const allowed = sm.allowed.slice();
    const rejected: Partial<Record<Reason, number>> = { ...sm.rejected };
    const energyW = sm.energyW.slice();
    const costPerHour = sm.costPerHour.slice();
    const separable = sm.separable.slice();
    const usersLatencyMs = sm.usersLatencyMs.slice();
    const slownessCores = sm.slownessCores.slice();
    const added: number[] = [];
    let removed = false;
    for (const d of changed) {
      const before = staticReason(svc, old[d]!, prev.inventory);
      const after = staticReason(svc, now[d]!, inventory);
      if (before) rejected[before] = (rejected[before] ?? 1) - 1;
      if (before && !rejected[before]) delete rejected[before];
      if (after) rejected[after] = (rejected[after] ?? 0) + 1;
      const device = now[d]!;
      if (!after) {
        energyW[d] = replicaEnergyW(svc, device);
        costPerHour[d] = replicaCostPerHour(svc, device, zones.get(device.zone));
        slownessCores[d] = replicaSlownessCores(svc, device);
        const users = svc.placement.nearUsers;
        usersLatencyMs[d] = users ? inventory.latency.ms(users.site, device.site) : 0;
        separable[d] =
          a.energyW * energyW[d]! + a.costPerHour * costPerHour[d]! + a.slownessCores * slownessCores[d]!;
      }
      if (allowed[d] && after) {
        allowed[d] = 0;
        removed = true;
      } else if (!allowed[d] && !after) {
        allowed[d] = 1;
        added.push(d);
      }
    }
    const key = (d: number) =>
      separable[d]! + a.latencyMs * usersLatencyMs[d]! + prev.kappa[d]! * uncoveredW(energyW[d]!, solarW[d]!);
    let list = removed ? Array.from(sm.candidates).filter((d) => allowed[d]) : Array.from(sm.candidates);
    for (const d of added.sort((x, y) => key(x) - key(y) || x - y)) {
      const k = key(d);
      const at = list.findIndex((c) => key(c) > k);
      list = at < 0 ? [...list, d] : [...list.slice(0, at), d, ...list.slice(at)];
    }
    let minEnergyW = Number.POSITIVE_INFINITY;
    let minCostPerHour = Number.POSITIVE_INFINITY;
    for (const d of list) {
      minEnergyW = Math.min(minEnergyW, energyW[d]!);
      minCostPerHour = Math.min(minCostPerHour, costPerHour[d]!);
    }
    return {
      candidates: Int32Array.from(list),
      allowed,
      energyW,
      costPerHour,
      slownessCores,
      usersLatencyMs,
      separable,
      rejected,
      minEnergyW: list.length ? minEnergyW : 0,
      minCostPerHour: list.length ? minCostPerHour : 0,
    };
  };
  const services = prev.services.map((sm) => {
    let profile = patched.get(sm.candidates);
    if (!profile) {
      profile = patch(sm);
      patched.set(sm.candidates, profile);
    }
    return { ...sm, ...profile };
  });
  const share = prev.replicaCount > 0 ? 1 / prev.replicaCount : 0;
  return {
    ...prev,
    inventory,
    services,
    freeCpu,
    freeMemory,
    freeGpu,
    solarW,
    migration: (options.migrationCost ?? 0.1) * share,
    hysteresis: (options.hysteresis ?? 0.1) * share,
    previous: previousPlacement(prev.app, services, now, prev.replicaCount, options.current),
  };
}
