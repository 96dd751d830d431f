import type { Application, Inventory, Service } from "@qonnect/core";
import { EPS, filterDevices } from "./filter.js";
import {
  type Alphas,
  alphas,
  type ObjectiveTotals,
  replicaEnergyW,
  TOTAL_KEYS,
  uncoveredW,
} from "./objectives.js";
import type { PlacementEntry, Reason } from "./types.js";

// The numeric model one plan works on: devices as flat arrays, services with their statically feasible
// devices and per-device coefficients, the scales that normalise each objective, and the previous placement.

/** A call between two services, seen from one end. */
export interface Edge {
  partner: number;
  /** True when this service is the caller (latency is measured caller site → callee site). */
  outgoing: boolean;
  maxLatencyMs: number;
  /** 1 / (caller replicas × callee replicas): the weight of one replica pair in the mean. */
  pairWeight: number;
}

export interface ServiceModel {
  index: number;
  service: Service;
  replicas: number;
  firstReplica: number;
  /** Devices passing the static filter, cheapest standalone first. */
  candidates: Int32Array;
  /** 1 for devices passing the static filter. */
  allowed: Uint8Array;
  /** Per device (all devices; meaningful for candidates): marginal power W, separable cost EUR/h,
   * slowness cores, users' latency ms, and the separable weighted objective of one replica without the
   * users' latency term (α_latency · usersLatencyMs / replicas, added where it is priced). Shared by
   * services with equal requirements. */
  energyW: Float64Array;
  costPerHour: Float64Array;
  slownessCores: Float64Array;
  usersLatencyMs: Float64Array;
  separable: Float64Array;
  rejected: Partial<Record<Reason, number>>;
  edges: Edge[];
  minEnergyW: number;
  minCostPerHour: number;
}

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

export function buildProblem(given: Inventory, app: Application, options: ProblemOptions = {}): Problem {
  // Fresh copies of the devices: objects built with conditional spreads can sit in V8's slow dictionary mode,
  // which made the filter ~7x slower on large fleets.
  const inventory: Inventory = { ...given, devices: given.devices.map((d) => ({ ...d })) };
  const devices = inventory.devices;
  const D = devices.length;
  const siteIndex = new Map(inventory.sites.map((s, i) => [s.name, i]));
  const regionIndex = new Map<string, number>();
  const zoneByName = new Map(inventory.zones.map((z) => [z.name, z]));
  const siteOf = new Int32Array(D);
  const regionOf = new Int32Array(D);
  const freeCpu = new Float64Array(D);
  const freeMemory = new Float64Array(D);
  const freeGpu = new Float64Array(D);
  const solarW = new Float64Array(D);
  const intensity = new Float64Array(D);
  const batteryWh = new Float64Array(D);
  // γ = 1: power per core (−1 marks a device whose exponent needs the full model); price per core and kWh
  const linearWPerCore = new Float64Array(D);
  const pricePerCore = new Float64Array(D);
  const pricePerKWh = new Float64Array(D);
  for (const [i, d] of devices.entries()) {
    linearWPerCore[i] = d.gamma === 1 && d.cpuCores > 0 ? (d.maxW - d.idleW) / d.cpuCores : -1;
    pricePerCore[i] = d.cpuCores > 0 ? d.pricePerHour / d.cpuCores : 0;
    pricePerKWh[i] = zoneByName.get(d.zone)?.pricePerKWh ?? 0;
    siteOf[i] = siteIndex.get(d.site) ?? 0;
    if (!regionIndex.has(d.region)) regionIndex.set(d.region, regionIndex.size);
    regionOf[i] = regionIndex.get(d.region)!;
    freeCpu[i] = d.cpuCores - d.usedCpuCores;
    freeMemory[i] = d.memoryBytes - d.usedMemoryBytes;
    freeGpu[i] = d.gpus - d.usedGpus;
    solarW[i] = d.solarExcessW;
    intensity[i] = options.intensityGPerKWh?.[d.zone] ?? zoneByName.get(d.zone)?.intensityGPerKWh ?? 0;
    batteryWh[i] = d.battery?.capacityWh ?? 0;
  }
  const S = inventory.sites.length;
  const latMs = new Float64Array(S * S);
  for (let a = 0; a < S; a++)
    for (let b = 0; b < S; b++)
      latMs[a * S + b] = inventory.latency.ms(inventory.sites[a]!.name, inventory.sites[b]!.name);

  // services, their replicas and the calls between them
  const byName = new Map(app.services.map((s, i) => [s.name, i]));
  const serviceOf: number[] = [];
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
  const hasLatencyTerm =
    app.services.some((s) => s.placement.nearUsers && s.replicas > 0) || edges.some((e) => e.length > 0);

  // per-device coefficients, shared by services with the same requirements
  const placements = new Map<string, ReturnType<typeof filterDevices>>();
  const noUsers = new Float64Array(D);
  const profiles = new Map<
    string,
    Omit<ServiceModel, "index" | "service" | "replicas" | "firstReplica" | "edges">
  >();
  const partial = app.services.map((service) => {
    const key = JSON.stringify([service.cpuCores, service.memoryBytes, service.gpus, service.placement]);
    let profile = profiles.get(key);
    if (!profile) {
      // the placement part of the filter is shared by every service with the same placement
      const placementKey = JSON.stringify(service.placement);
      let byPlacement = placements.get(placementKey);
      if (!byPlacement) {
        byPlacement = filterDevices({ ...service, cpuCores: 0, memoryBytes: 0, gpus: 0 }, inventory, siteOf);
        placements.set(placementKey, byPlacement);
      }
      const rejected = { ...byPlacement.rejected };
      const candidates: number[] = [];
      for (const d of byPlacement.candidates) {
        const reason =
          freeGpu[d]! < service.gpus - EPS
            ? "gpu"
            : freeCpu[d]! < service.cpuCores - EPS
              ? "cpu"
              : freeMemory[d]! < service.memoryBytes - EPS
                ? "memory"
                : undefined;
        if (reason) rejected[reason] = (rejected[reason] ?? 0) + 1;
        else candidates.push(d);
      }
      const energyW = new Float64Array(D);
      const costPerHour = new Float64Array(D);
      const slownessCores = new Float64Array(D);
      // services without users share one all-zero array (fewer large allocations on big fleets)
      const usersLatencyMs = service.placement.nearUsers ? new Float64Array(D) : noUsers;
      const users = service.placement.nearUsers;
      let minEnergyW = Number.POSITIVE_INFINITY;
      let minCostPerHour = Number.POSITIVE_INFINITY;
      const userSite = users ? siteIndex.get(users.site) : undefined;
      for (const d of candidates) {
        const device = devices[d]!;
        energyW[d] =
          linearWPerCore[d]! >= 0 ? linearWPerCore[d]! * service.cpuCores : replicaEnergyW(service, device);
        costPerHour[d] = pricePerCore[d]! * service.cpuCores + (energyW[d]! / 1000) * pricePerKWh[d]!;
        slownessCores[d] = service.cpuCores / device.speed;
        usersLatencyMs[d] =
          userSite === undefined ? (users ? Number.POSITIVE_INFINITY : 0) : latMs[userSite * S + siteOf[d]!]!;
        minEnergyW = Math.min(minEnergyW, energyW[d]!);
        minCostPerHour = Math.min(minCostPerHour, costPerHour[d]!);
      }
      const allowed = new Uint8Array(D);
      for (const d of candidates) allowed[d] = 1;
      profile = {
        candidates: Int32Array.from(candidates),
        allowed,
        energyW,
        costPerHour,
        slownessCores,
        usersLatencyMs,
        separable: new Float64Array(D),
        rejected,
        minEnergyW: candidates.length ? minEnergyW : 0,
        minCostPerHour: candidates.length ? minCostPerHour : 0,
      };
      profiles.set(key, profile);
    }
    return { profile, service };
  });
  const services: ServiceModel[] = partial.map(({ profile, service }, index) => {
    const firstReplica = serviceOf.length;
    for (let r = 0; r < service.replicas; r++) serviceOf.push(index);
    return { ...profile, index, service, replicas: service.replicas, firstReplica, edges: edges[index]! };
  });

  const base = { devices, siteOf, latMs, siteCount: S, solarW, intensity, batteryWh };
  const scales = options.scales ?? computeScales(services, base);
  const alpha = alphas(app.weights, scales, hasLatencyTerm);
  const kappa = new Float64Array(D);
  for (let d = 0; d < D; d++)
    kappa[d] =
      (alpha.carbonGPerH * intensity[d]!) / 1000 +
      (batteryWh[d]! > 0 ? alpha.batteryDrainPerH / batteryWh[d]! : 0);

  // separable objective per profile, then candidates sorted by the standalone objective
  const scratch = new Float64Array(D);
  for (const profile of profiles.values()) {
    for (const d of profile.candidates)
      profile.separable[d] =
        alpha.energyW * profile.energyW[d]! +
        alpha.costPerHour * profile.costPerHour[d]! +
        alpha.slownessCores * profile.slownessCores[d]!;
    const standalone = scratch;
    for (const d of profile.candidates)
      standalone[d] =
        profile.separable[d]! +
        alpha.latencyMs * profile.usersLatencyMs[d]! +
        kappa[d]! * uncoveredW(profile.energyW[d]!, solarW[d]!);
    orderByKey(profile.candidates, standalone);
  }

  const R = serviceOf.length;
  const previous = previousPlacement(app, services, devices, R, options.current);
  const share = R > 0 ? 1 / R : 0;
  return {
    app,
    inventory,
    deviceCount: D,
    replicaCount: R,
    services,
    serviceOf: Int32Array.from(serviceOf),
    siteOf,
    regionOf,
    siteCount: S,
    latMs,
    freeCpu,
    freeMemory,
    freeGpu,
    solarW,
    intensityGPerKWh: intensity,
    batteryWh,
    kappa,
    hasLatencyTerm,
    scales,
    alpha,
    migration: (options.migrationCost ?? 0.1) * share,
    hysteresis: (options.hysteresis ?? 0.1) * share,
    previous,
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
  const byName = new Map(services.map((s) => [s.service.name, s]));
  const deviceIndex = new Map(devices.map((d, i) => [d.name, i]));
  for (const p of current ?? []) {
    if (p.app !== app.name) continue;
    const s = byName.get(p.service);
    const d = deviceIndex.get(p.device);
    if (s === undefined || d === undefined || p.replica < 0 || p.replica >= s.replicas) continue;
    previous[s.firstReplica + p.replica] = d;
  }
  return previous;
}

/** Candidates sorted exactly by standalone objective; the rest follow in device order (scanned rarely). */
const SORTED_HEAD = 512;

/** Orders `candidates` in place: the SORTED_HEAD smallest `key`s first and sorted (ties by index). */
function orderByKey(candidates: Int32Array, key: Float64Array): void {
  const n = candidates.length;
  let head: number[];
  const rest: number[] = [];
  if (n > SORTED_HEAD) {
    const keys = new Float64Array(n);
    for (let k = 0; k < n; k++) keys[k] = key[candidates[k]!]!;
    keys.sort();
    const threshold = keys[SORTED_HEAD - 1]!;
    head = [];
    for (const d of candidates) (key[d]! <= threshold ? head : rest).push(d);
  } else head = Array.from(candidates);
  head.sort((a, b) => key[a]! - key[b]! || a - b);
  candidates.set(head, 0);
  candidates.set(rest, head.length);
}

/** At most this many candidates per service enter the scale's averages (evenly strided; per call pair,
 * PAIR_SAMPLE × PAIR_SAMPLE pairs). */
const SCALE_SAMPLE = 64;
const PAIR_SAMPLE = 16;

function sample(candidates: Int32Array, size = SCALE_SAMPLE): number[] {
  const step = Math.max(1, Math.floor(candidates.length / size));
  const out: number[] = [];
  for (let i = 0; i < candidates.length; i += step) out.push(candidates[i]!);
  return out;
}

/**
 * The scale of each objective: its total when every replica sits alone on an average feasible device (mean
 * over the service's candidates; for calls, over pairs of candidates). A constant per plan, so a single
 * weighted objective is minimised exactly. A zero scale becomes 1 (the term is then 0 anyway).
 */
function computeScales(
  services: ServiceModel[],
  m: {
    siteOf: Int32Array;
    latMs: Float64Array;
    siteCount: number;
    solarW: Float64Array;
    intensity: Float64Array;
    batteryWh: Float64Array;
  },
): ObjectiveTotals {
  const t: ObjectiveTotals = {
    energyW: 0,
    carbonGPerH: 0,
    costPerHour: 0,
    latencyMs: 0,
    slownessCores: 0,
    batteryDrainPerH: 0,
  };
  // per-replica means depend only on the profile (services with equal requirements share candidates)
  const perProfile = new Map<Int32Array, number[]>();
  const samples = new Map<Int32Array, number[]>();
  const sampled = (c: Int32Array) => {
    let out = samples.get(c);
    if (!out) {
      out = sample(c);
      samples.set(c, out);
    }
    return out;
  };
  const pairSamples = new Map<Int32Array, number[]>();
  const pairSampled = (c: Int32Array) => {
    let out = pairSamples.get(c);
    if (!out) {
      out = sample(c, PAIR_SAMPLE);
      pairSamples.set(c, out);
    }
    return out;
  };
  for (const s of services) {
    if (s.candidates.length === 0 || s.replicas === 0) continue;
    const pick = sampled(s.candidates);
    let means = perProfile.get(s.candidates);
    if (!means) {
      means = [0, 0, 0, 0, 0, 0];
      for (const d of pick) {
        const unc = uncoveredW(s.energyW[d]!, m.solarW[d]!);
        means[0]! += s.energyW[d]!;
        means[1]! += s.costPerHour[d]!;
        means[2]! += s.slownessCores[d]!;
        means[3]! += (unc * m.intensity[d]!) / 1000;
        means[4]! += m.batteryWh[d]! > 0 ? unc / m.batteryWh[d]! : 0;
        means[5]! += s.usersLatencyMs[d]!;
      }
      means = means.map((v) => v / pick.length);
      perProfile.set(s.candidates, means);
    }
    t.energyW += s.replicas * means[0]!;
    t.costPerHour += s.replicas * means[1]!;
    t.slownessCores += s.replicas * means[2]!;
    t.carbonGPerH += s.replicas * means[3]!;
    t.batteryDrainPerH += s.replicas * means[4]!;
    t.latencyMs += means[5]!;
    for (const e of s.edges) {
      if (!e.outgoing) continue;
      const partner = services[e.partner]!;
      if (partner.candidates.length === 0) continue;
      const other = pairSampled(partner.candidates);
      const mine = pairSampled(s.candidates);
      let sum = 0;
      for (const a of mine)
        for (const b of other) {
          const ms = m.latMs[m.siteOf[a]! * m.siteCount + m.siteOf[b]!]!;
          sum += Number.isFinite(ms) ? ms : 0;
        }
      t.latencyMs += sum / (mine.length * other.length);
    }
  }
  for (const k of TOTAL_KEYS) if (!(t[k] > 1e-12)) t[k] = 1;
  return t;
}
