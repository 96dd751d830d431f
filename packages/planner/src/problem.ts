import type { Application, Inventory } from "@qonnect/core";
import { type Alphas, alphas, type ObjectiveTotals } from "./objectives.js";
import { type DeviceArrays, type Edge, priceProfiles, type ServiceModel, serviceModels } from "./profile.js";
import { computeScales } from "./scales.js";
import type { PlacementEntry } from "./types.js";

export type { Edge, ServiceModel } from "./profile.js";

// The numeric model one plan works on: devices as flat arrays, services with their statically feasible
// devices and per-device coefficients, the scales that normalise each objective, and the previous placement.

export interface Problem {
  app: Application;
  inventory: Inventory;
  deviceCount: number;
  replicaCount: number;
  services: ServiceModel[];
  serviceOf: Int32Array;
  siteOf: Int32Array;
  regionOf: Int32Array;
  siteCount: number;
  /** One-way latency between site indices, row-major. */
  latMs: Float64Array;
  freeCpu: Float64Array;
  freeMemory: Float64Array;
  freeGpu: Float64Array;
  solarW: Float64Array;
  intensityGPerKWh: Float64Array;
  batteryWh: Float64Array;
  /** Objective weight of one uncovered watt on each device (carbon and battery terms). */
  kappa: Float64Array;
  hasLatencyTerm: boolean;
  scales: ObjectiveTotals;
  alpha: Alphas;
  /** Objective cost of moving one running replica, and the gain a voluntary move must exceed. */
  migration: number;
  hysteresis: number;
  /** Device each replica runs on now, or -1. */
  previous: Int32Array;
}

export interface ProblemOptions {
  current?: readonly PlacementEntry[];
  migrationCost?: number;
  hysteresis?: number;
  /** Replace zone intensities (job time shifting: the forecast mean over the run). */
  intensityGPerKWh?: Record<string, number>;
  /** Use these scales instead of computing them (to compare objectives across plans). */
  scales?: ObjectiveTotals;
}

function deviceArrays(inventory: Inventory, options: ProblemOptions): DeviceArrays {
  const devices = inventory.devices;
  const D = devices.length;
  const siteIndex = new Map(inventory.sites.map((s, i) => [s.name, i]));
  const regionIndex = new Map<string, number>();
  const zoneByName = new Map(inventory.zones.map((z) => [z.name, z]));
  const a: DeviceArrays = {
    siteIndex,
    siteOf: new Int32Array(D),
    regionOf: new Int32Array(D),
    freeCpu: new Float64Array(D),
    freeMemory: new Float64Array(D),
    freeGpu: new Float64Array(D),
    solarW: new Float64Array(D),
    intensity: new Float64Array(D),
    batteryWh: new Float64Array(D),
    linearWPerCore: new Float64Array(D),
    pricePerCore: new Float64Array(D),
    pricePerKWh: new Float64Array(D),
  };
  for (const [i, d] of devices.entries()) {
    a.linearWPerCore[i] = d.gamma === 1 && d.cpuCores > 0 ? (d.maxW - d.idleW) / d.cpuCores : -1;
    a.pricePerCore[i] = d.cpuCores > 0 ? d.pricePerHour / d.cpuCores : 0;
    a.pricePerKWh[i] = zoneByName.get(d.zone)?.pricePerKWh ?? 0;
    a.siteOf[i] = siteIndex.get(d.site) ?? 0;
    if (!regionIndex.has(d.region)) regionIndex.set(d.region, regionIndex.size);
    a.regionOf[i] = regionIndex.get(d.region)!;
    a.freeCpu[i] = d.cpuCores - d.usedCpuCores;
    a.freeMemory[i] = d.memoryBytes - d.usedMemoryBytes;
    a.freeGpu[i] = d.gpus - d.usedGpus;
    a.solarW[i] = d.solarExcessW;
    a.intensity[i] = options.intensityGPerKWh?.[d.zone] ?? zoneByName.get(d.zone)?.intensityGPerKWh ?? 0;
    a.batteryWh[i] = d.battery?.capacityWh ?? 0;
  }
  return a;
}

/** One-way latency between site indices, row-major. */
function latencyMatrix(inventory: Inventory): Float64Array {
  const S = inventory.sites.length;
  const latMs = new Float64Array(S * S);
  for (let a = 0; a < S; a++)
    for (let b = 0; b < S; b++)
      latMs[a * S + b] = inventory.latency.ms(inventory.sites[a]!.name, inventory.sites[b]!.name);
  return latMs;
}

/** The calls between services, seen from both ends. */
function callEdges(app: Application): Edge[][] {
  const byName = new Map(app.services.map((s, i) => [s.name, i]));
  const edges: Edge[][] = app.services.map(() => []);
  for (const [i, s] of app.services.entries())
    for (const c of s.calls) {
      const j = byName.get(c.service);
      if (j === undefined || j === i) continue;
      const t = app.services[j]!;
      if (s.replicas === 0 || t.replicas === 0) continue;
      const pairWeight = 1 / (s.replicas * t.replicas);
      const maxLatencyMs = c.maxLatencyMs ?? Number.POSITIVE_INFINITY;
      edges[i]!.push({ partner: j, outgoing: true, maxLatencyMs, pairWeight });
      edges[j]!.push({ partner: i, outgoing: false, maxLatencyMs, pairWeight });
    }
  return edges;
}

/** Objective weight of one uncovered watt on each device (carbon and battery terms). */
function uncoveredWeights(alpha: Alphas, a: DeviceArrays): Float64Array {
  const kappa = new Float64Array(a.siteOf.length);
  for (let d = 0; d < kappa.length; d++)
    kappa[d] =
      (alpha.carbonGPerH * a.intensity[d]!) / 1000 +
      (a.batteryWh[d]! > 0 ? alpha.batteryDrainPerH / a.batteryWh[d]! : 0);
  return kappa;
}

export function buildProblem(given: Inventory, app: Application, options: ProblemOptions = {}): Problem {
  // Fresh copies of the devices: objects built with conditional spreads can sit in V8's slow dictionary mode,
  // which made the filter ~7x slower on large fleets.
  const inventory: Inventory = { ...given, devices: given.devices.map((d) => ({ ...d })) };
  const a = deviceArrays(inventory, options);
  const latMs = latencyMatrix(inventory);
  const edges = callEdges(app);
  const hasLatencyTerm =
    app.services.some((s) => s.placement.nearUsers && s.replicas > 0) || edges.some((e) => e.length > 0);
  const { services, profiles, serviceOf } = serviceModels(app, inventory, a, latMs, edges);
  const S = inventory.sites.length;
  const scales =
    options.scales ??
    computeScales(services, {
      siteOf: a.siteOf,
      latMs,
      siteCount: S,
      solarW: a.solarW,
      intensity: a.intensity,
      batteryWh: a.batteryWh,
    });
  const alpha = alphas(app.weights, scales, hasLatencyTerm);
  const kappa = uncoveredWeights(alpha, a);
  priceProfiles(profiles, alpha, kappa, a.solarW);
  const R = serviceOf.length;
  const share = R > 0 ? 1 / R : 0;
  return {
    app,
    inventory,
    deviceCount: inventory.devices.length,
    replicaCount: R,
    services,
    serviceOf,
    siteOf: a.siteOf,
    regionOf: a.regionOf,
    siteCount: S,
    latMs,
    freeCpu: a.freeCpu,
    freeMemory: a.freeMemory,
    freeGpu: a.freeGpu,
    solarW: a.solarW,
    intensityGPerKWh: a.intensity,
    batteryWh: a.batteryWh,
    kappa,
    hasLatencyTerm,
    scales,
    alpha,
    migration: (options.migrationCost ?? 0.1) * share,
    hysteresis: (options.hysteresis ?? 0.1) * share,
    previous: previousPlacement(app, services, inventory.devices, R, options.current),
  };
}

/** Device index of each replica in `current` (-1 where it runs nowhere known). */
export function previousPlacement(
  app: Application,
  services: readonly ServiceModel[],
  devices: readonly { name: string }[],
  replicaCount: number,
  current: readonly PlacementEntry[] | undefined,
): Int32Array {
  const previous = new Int32Array(replicaCount).fill(-1);
  const mine = (current ?? []).filter((p) => p.app === app.name);
  if (mine.length === 0) return previous;
  const byName = new Map(services.map((s) => [s.service.name, s]));
  // index only the devices the placement names: a plan of one application on a 5,000-device fleet
  // otherwise built a 5,000-entry map for a handful of lookups (the top self-time of kb serve's rounds)
  const wanted = new Set(mine.map((p) => p.device));
  const deviceIndex = new Map<string, number>();
  for (let i = 0; i < devices.length && deviceIndex.size < wanted.size; i++)
    if (wanted.has(devices[i]!.name)) deviceIndex.set(devices[i]!.name, i);
  for (const p of mine) {
    const s = byName.get(p.service);
    const d = deviceIndex.get(p.device);
    if (s === undefined || d === undefined || p.replica < 0 || p.replica >= s.replicas) continue;
    previous[s.firstReplica + p.replica] = d;
  }
  return previous;
}
