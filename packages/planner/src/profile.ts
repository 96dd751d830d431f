import type { Application, Inventory, Service } from "@qonnect/core";
import { EPS, filterDevices } from "./filter.js";
import { type Alphas, replicaEnergyW, uncoveredW } from "./objectives.js";
import type { Reason } from "./types.js";

// Services as the model sees them: each one's candidate devices and per-device coefficients, shared by the
// services with equal requirements (a profile), and the per-device arrays they are computed from.

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

/** Per-device arrays of the model: where each device is, what it has free, what its power and price cost. */
export interface DeviceArrays {
  siteIndex: Map<string, number>;
  siteOf: Int32Array;
  regionOf: Int32Array;
  freeCpu: Float64Array;
  freeMemory: Float64Array;
  freeGpu: Float64Array;
  solarW: Float64Array;
  intensity: Float64Array;
  batteryWh: Float64Array;
  /** γ = 1: power per core (−1 marks a device whose exponent needs the full model). */
  linearWPerCore: Float64Array;
  pricePerCore: Float64Array;
  pricePerKWh: Float64Array;
}

type Profile = Omit<ServiceModel, "index" | "service" | "replicas" | "firstReplica" | "edges">;

/** A service's candidates (static filter, then what each device has free) and per-device coefficients. */
function buildProfile(
  service: Service,
  inventory: Inventory,
  a: DeviceArrays,
  latMs: Float64Array,
  byPlacement: ReturnType<typeof filterDevices>,
  noUsers: Float64Array,
): Profile {
  const devices = inventory.devices;
  const D = devices.length;
  const S = inventory.sites.length;
  const rejected = { ...byPlacement.rejected };
  const candidates: number[] = [];
  for (const d of byPlacement.candidates) {
    const reason =
      a.freeGpu[d]! < service.gpus - EPS
        ? "gpu"
        : a.freeCpu[d]! < service.cpuCores - EPS
          ? "cpu"
          : a.freeMemory[d]! < service.memoryBytes - EPS
            ? "memory"
            : undefined;
    if (reason) rejected[reason] = (rejected[reason] ?? 0) + 1;
    else candidates.push(d);
  }
  const energyW = new Float64Array(D);
  const costPerHour = new Float64Array(D);
  const slownessCores = new Float64Array(D);
  const users = service.placement.nearUsers;
  // services without users share one all-zero array (fewer large allocations on big fleets)
  const usersLatencyMs = users ? new Float64Array(D) : noUsers;
  let minEnergyW = Number.POSITIVE_INFINITY;
  let minCostPerHour = Number.POSITIVE_INFINITY;
  const userSite = users ? a.siteIndex.get(users.site) : undefined;
  for (const d of candidates) {
    energyW[d] =
      a.linearWPerCore[d]! >= 0
        ? a.linearWPerCore[d]! * service.cpuCores
        : replicaEnergyW(service, devices[d]!);
    costPerHour[d] = a.pricePerCore[d]! * service.cpuCores + (energyW[d]! / 1000) * a.pricePerKWh[d]!;
    slownessCores[d] = service.cpuCores / devices[d]!.speed;
    usersLatencyMs[d] =
      userSite === undefined ? (users ? Number.POSITIVE_INFINITY : 0) : latMs[userSite * S + a.siteOf[d]!]!;
    minEnergyW = Math.min(minEnergyW, energyW[d]!);
    minCostPerHour = Math.min(minCostPerHour, costPerHour[d]!);
  }
  const allowed = new Uint8Array(D);
  for (const d of candidates) allowed[d] = 1;
  return {
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
}

/** Services with their profiles; services with equal requirements share one profile, and services with
 * equal placement share the placement part of the filter. */
export function serviceModels(
  app: Application,
  inventory: Inventory,
  a: DeviceArrays,
  latMs: Float64Array,
  edges: Edge[][],
): { services: ServiceModel[]; profiles: Profile[]; serviceOf: Int32Array } {
  const placements = new Map<string, ReturnType<typeof filterDevices>>();
  const profiles = new Map<string, Profile>();
  const noUsers = new Float64Array(inventory.devices.length);
  const serviceOf: number[] = [];
  const services = app.services.map((service, index) => {
    const key = JSON.stringify([service.cpuCores, service.memoryBytes, service.gpus, service.placement]);
    let profile = profiles.get(key);
    if (!profile) {
      const placementKey = JSON.stringify(service.placement);
      let byPlacement = placements.get(placementKey);
      if (!byPlacement) {
        byPlacement = filterDevices(
          { ...service, cpuCores: 0, memoryBytes: 0, gpus: 0 },
          inventory,
          a.siteOf,
        );
        placements.set(placementKey, byPlacement);
      }
      profile = buildProfile(service, inventory, a, latMs, byPlacement, noUsers);
      profiles.set(key, profile);
    }
    const firstReplica = serviceOf.length;
    for (let r = 0; r < service.replicas; r++) serviceOf.push(index);
    return { ...profile, index, service, replicas: service.replicas, firstReplica, edges: edges[index]! };
  });
  return { services, profiles: [...profiles.values()], serviceOf: Int32Array.from(serviceOf) };
}

/** Each profile's separable objective per device, then its candidates sorted by standalone objective. */
export function priceProfiles(
  profiles: Profile[],
  alpha: Alphas,
  kappa: Float64Array,
  solarW: Float64Array,
): void {
  const standalone = new Float64Array(kappa.length);
  for (const profile of profiles) {
    for (const d of profile.candidates)
      profile.separable[d] =
        alpha.energyW * profile.energyW[d]! +
        alpha.costPerHour * profile.costPerHour[d]! +
        alpha.slownessCores * profile.slownessCores[d]!;
    for (const d of profile.candidates)
      standalone[d] =
        profile.separable[d]! +
        alpha.latencyMs * profile.usersLatencyMs[d]! +
        kappa[d]! * uncoveredW(profile.energyW[d]!, solarW[d]!);
    orderByKey(profile.candidates, standalone);
  }
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
