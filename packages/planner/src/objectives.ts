import type { Device, Service, Weights, Zone } from "@qonnect/core";
import { marginalPowerW } from "./power.js";

// The objectives, per replica and per device. Each total is a sum over the plan (docs/planner.md):
//   energyW          Σ marginal power of each replica on its device
//   carbonGPerH      Σ_devices zone intensity × max(0, added power − solar excess) / 1000
//   costPerHour      Σ price per hour × cores taken / device cores + added power / 1000 × zone price per kWh
//   latencyMs        Σ_services with nearUsers mean replica latency to the users' site
//                    + Σ_calls mean latency over caller × callee replica pairs
//   slownessCores    Σ requested cores / device speed
//   batteryDrainPerH Σ_battery devices max(0, added power − solar excess) / capacity

/** Power a replica of `service` adds to `device`, W. */
export function replicaEnergyW(service: Service, device: Device): number {
  return marginalPowerW(device, service.cpuCores);
}

/** The part of a replica's cost per hour that does not depend on other replicas, EUR/h. */
export function replicaCostPerHour(service: Service, device: Device, zone: Zone | undefined): number {
  const share = device.cpuCores > 0 ? service.cpuCores / device.cpuCores : 0;
  return device.pricePerHour * share + (replicaEnergyW(service, device) / 1000) * (zone?.pricePerKWh ?? 0);
}

/** Requested cores over device speed. */
export function replicaSlownessCores(service: Service, device: Device): number {
  return service.cpuCores / device.speed;
}

/** Added power not covered by solar excess, W: what the grid (or the battery) supplies. */
export function uncoveredW(addedW: number, solarExcessW: number): number {
  return Math.max(0, addedW - solarExcessW);
}

/** The six totals an objective weight can apply to. */
export interface ObjectiveTotals {
  energyW: number;
  carbonGPerH: number;
  costPerHour: number;
  latencyMs: number;
  slownessCores: number;
  batteryDrainPerH: number;
}

export const TOTAL_KEYS = [
  "energyW",
  "carbonGPerH",
  "costPerHour",
  "latencyMs",
  "slownessCores",
  "batteryDrainPerH",
] as const satisfies readonly (keyof ObjectiveTotals)[];

/**
 * Multipliers α turning totals into the normalised objective Σ α_k·total_k, with α_k = weight / scale_k.
 * `performance` weighs slowness and latency half each (all of slowness when the application has no latency
 * term); `latency` weighs latency alone. `latencyPerf`/`latencyOwn` keep the two parts apart for explanations.
 */
export interface Alphas extends ObjectiveTotals {
  latencyPerf: number;
  latencyOwn: number;
}

export function alphas(weights: Weights, scales: ObjectiveTotals, hasLatencyTerm: boolean): Alphas {
  const perfSlow = hasLatencyTerm ? weights.performance / 2 : weights.performance;
  const latencyPerf = hasLatencyTerm ? weights.performance / 2 / scales.latencyMs : 0;
  const latencyOwn = hasLatencyTerm ? weights.latency / scales.latencyMs : 0;
  return {
    energyW: weights.energy / scales.energyW,
    carbonGPerH: weights.carbon / scales.carbonGPerH,
    costPerHour: weights.cost / scales.costPerHour,
    slownessCores: perfSlow / scales.slownessCores,
    latencyMs: latencyPerf + latencyOwn,
    batteryDrainPerH: weights.battery / scales.batteryDrainPerH,
    latencyPerf,
    latencyOwn,
  };
}

/** Σ α_k · total_k. */
export function weightedObjective(a: ObjectiveTotals, totals: ObjectiveTotals): number {
  let sum = 0;
  for (const k of TOTAL_KEYS) sum += a[k] * totals[k];
  return sum;
}
