import {
  type Application,
  type Device,
  type Inventory,
  LatencyTable,
  normaliseWeights,
  type Service,
  type Site,
  type Weights,
} from "@qonnect/core";
import { generateApplication, generateInventory, generateSmallInstance } from "./generate.js";
import { plant } from "./planted.js";
import { seededRandom } from "./rng.js";
import type { PlacementEntry } from "./types.js";

// Instance families for the benchmark, written from the problem's side rather than the heuristic's: each
// stresses something a placement must get right (solar excess shared between replicas, load already on a
// device, near-full capacity, many or few services, convex and concave power curves, latency limits along
// call chains). `small` is 10–22 devices and 8–30 replicas; `medium` 60–100 devices and 60–200 replicas.

export const FAMILIES = [
  "baseline",
  "carbon-solar",
  "tight",
  "many-small",
  "few-large",
  "gamma",
  "calls",
] as const;
export type Family = (typeof FAMILIES)[number];
export type Size = "small" | "medium";

export interface Instance {
  family: Family;
  size: Size;
  seed: number;
  inventory: Inventory;
  app: Application;
  /** The plan planted by the generator (planted.ts): proof that the instance is feasible. */
  planted?: PlacementEntry[];
}

const ZONES = [
  { name: "DE", intensityGPerKWh: 380, pricePerKWh: 0.32 },
  { name: "FR", intensityGPerKWh: 56, pricePerKWh: 0.23 },
  { name: "PL", intensityGPerKWh: 710, pricePerKWh: 0.21 },
  { name: "NO", intensityGPerKWh: 28, pricePerKWh: 0.12 },
];

interface Shape {
  services: [number, number];
  replicas: [number, number];
  /** Fraction of the fleet's free cores the application books. */
  booked: number;
  /** Requested cores before scaling to `booked`. */
  cores: number[];
  solar: number;
  /** Share of devices already running something, and the most of a device's cores that may be in use. */
  preloaded: number;
  usedShare?: number;
  gammas: number[];
  weights: (random: () => number) => Partial<Weights>;
  calls: boolean;
  /** A plan is planted (planted.ts) so that the instance is feasible: tight capacity, call limits. */
  planted?: boolean;
}

const SHAPES: Record<Exclude<Family, "baseline">, Shape> = {
  "carbon-solar": {
    services: [2, 4],
    replicas: [3, 12],
    booked: 0.55,
    cores: [0.5, 1, 2],
    solar: 0.35,
    preloaded: 0.4,
    gammas: [1],
    weights: () => ({ carbon: 1 }),
    calls: false,
  },
  tight: {
    services: [3, 6],
    replicas: [2, 10],
    booked: 0.9,
    cores: [0.25, 0.5, 1],
    solar: 0.2,
    preloaded: 1,
    usedShare: 0.8,
    gammas: [1],
    weights: (r) => ({ energy: r(), carbon: r(), cost: r(), performance: r() }),
    calls: false,
    planted: true,
  },
  "many-small": {
    services: [8, 30],
    replicas: [1, 3],
    booked: 0.5,
    cores: [0.1, 0.25, 0.5],
    solar: 0.3,
    preloaded: 0.3,
    gammas: [1],
    weights: (r) => ({ energy: r(), carbon: r(), cost: r() }),
    calls: false,
  },
  "few-large": {
    services: [1, 3],
    replicas: [4, 40],
    booked: 0.7,
    cores: [2, 3, 4],
    solar: 0.3,
    preloaded: 0.2,
    gammas: [1],
    weights: (r) => ({ energy: r(), carbon: r(), cost: r() }),
    calls: false,
  },
  gamma: {
    services: [2, 5],
    replicas: [2, 12],
    booked: 0.6,
    cores: [0.5, 1, 2],
    solar: 0.25,
    preloaded: 0.5,
    gammas: [0.6, 0.8, 1.3, 1.8],
    weights: (r) => ({ energy: 1 + r(), carbon: r() }),
    calls: false,
  },
  calls: {
    services: [3, 6],
    replicas: [1, 6],
    booked: 0.5,
    cores: [0.25, 0.5, 1],
    solar: 0.2,
    preloaded: 0.3,
    gammas: [1],
    weights: (r) => ({ energy: r(), carbon: r(), performance: r(), latency: r() }),
    calls: true,
    planted: true,
  },
};

function between(random: () => number, [lo, hi]: [number, number]): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

function fleet(random: () => number, devices: number, shape: Shape, sizeName: string): Inventory {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const siteCount = Math.max(3, Math.round(devices / 6));
  const sites: Site[] = [];
  const links: { from: string; to: string; ms: number }[] = [];
  for (let k = 0; k < siteCount; k++) {
    const tier = k === 0 ? "cloud" : k < 3 ? "fog" : pick(["fog", "edge", "edge"] as const);
    sites.push({ name: `s${k}`, tier, region: `r${k % 2}`, zone: ZONES[k % ZONES.length]!.name });
    if (k > 0)
      links.push({ from: `s${k}`, to: `s${Math.floor(random() * k)}`, ms: 2 + Math.floor(random() * 12) });
  }
  const out: Device[] = [];
  for (let i = 0; i < devices; i++) {
    const site = sites[i < siteCount ? i : Math.floor(random() * siteCount)]!;
    const cpuCores = site.tier === "edge" ? pick([2, 4]) : pick([4, 8, 16]);
    const idleW = cpuCores * (1 + 2 * random());
    const gamma = pick(shape.gammas);
    out.push({
      name: `d${i}`,
      site: site.name,
      tier: site.tier,
      region: site.region,
      zone: site.zone,
      arch: pick(["arm64", "amd64"]),
      cpuCores,
      memoryBytes: cpuCores * 4 * 2 ** 30,
      gpus: 0,
      idleW,
      maxW: idleW + cpuCores * (3 + 6 * random()),
      gamma,
      pricePerHour: site.tier === "edge" ? 0 : Number((0.01 * cpuCores * random()).toFixed(3)),
      ...(site.tier === "edge" && random() < 0.5
        ? { battery: { capacityWh: 30 + 60 * random(), soc: 0.9, minSoc: 0.2 } }
        : {}),
      solarExcessW: random() < shape.solar ? Number((2 + 20 * random()).toFixed(2)) : 0,
      usedCpuCores:
        random() < shape.preloaded ? Math.floor(cpuCores * random() * (shape.usedShare ?? 0.6) * 4) / 4 : 0,
      usedMemoryBytes: 0,
      usedGpus: 0,
      labels: {},
      alive: true,
      speed: pick([0.6, 1, 1.5, 2.5]),
    });
  }
  return {
    name: `${sizeName}-${devices}`,
    zones: ZONES.map((z) => ({ ...z })),
    sites,
    devices: out,
    latency: new LatencyTable(
      sites.map((s) => s.name),
      links,
    ),
  };
}

function application(random: () => number, inventory: Inventory, shape: Shape, replicas: [number, number]) {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const counts: number[] = [];
  const wanted = between(random, replicas);
  const serviceCount = Math.max(1, Math.min(between(random, shape.services), wanted));
  for (let k = 0; k < serviceCount; k++) counts.push(between(random, shape.replicas));
  // scale replica counts to the size asked for
  const sum = counts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < counts.length; k++) counts[k] = Math.max(1, Math.round((counts[k]! * wanted) / sum));
  const cores = counts.map(() => pick(shape.cores));
  const free = inventory.devices.reduce((s, d) => s + d.cpuCores - d.usedCpuCores, 0);
  const demand = counts.reduce((s, n, k) => s + n * cores[k]!, 0);
  const factor = (shape.booked * free) / demand;
  const services: Service[] = counts.map((n, k) => ({
    app: "family",
    name: `svc${k}`,
    env: {},
    ports: [],
    replicas: n,
    // at most 4 cores a replica: the booking is then lower than asked rather than nothing fitting at all
    cpuCores: Math.min(4, Math.max(0.05, Math.round(cores[k]! * factor * 20) / 20)),
    memoryBytes: pick([256, 512, 1024]) * 2 ** 20,
    gpus: 0,
    placement: {
      ...(random() < 0.15 && n <= 4 ? { spread: "device" as const } : {}),
      ...(shape.calls && k === 0
        ? { nearUsers: { site: inventory.sites.at(-1)!.name, maxLatencyMs: 30 } }
        : {}),
    },
    calls:
      shape.calls && k > 0
        ? [{ service: `svc${Math.floor(random() * k)}`, maxLatencyMs: pick([10, 15, 25]) }]
        : [],
  }));
  const app: Application = {
    name: "family",
    kind: "Application",
    weights: normaliseWeights(shape.weights(random)),
    limits: {},
    services,
  };
  const planted = shape.planted
    ? plant(random, inventory, services, {
        clustered: shape.calls,
        ...(shape.calls ? {} : { booked: shape.booked }),
      })
    : undefined;
  return { app, ...(planted ? { planted } : {}) };
}

/** Instance `seed` of `family` at `size`; equal arguments give equal instances. */
export function familyInstance(family: Family, size: Size, seed: number): Instance {
  const random = seededRandom(seed * 2654435761 + FAMILIES.indexOf(family) * 97 + (size === "small" ? 1 : 2));
  const devices = size === "small" ? between(random, [10, 22]) : between(random, [60, 100]);
  const replicas: [number, number] = size === "small" ? [8, 30] : [60, 200];
  if (family === "baseline") {
    if (size === "small") {
      const { inventory, app } = generateSmallInstance(seed, 5 + (seed % 4) * 4, 8 + ((seed * 3) % 12));
      return { family, size, seed, inventory, app };
    }
    const inventory = generateInventory(devices, seed);
    const app = generateApplication(inventory, { devices, replicas: between(random, replicas), seed });
    return { family, size, seed, inventory, app };
  }
  const shape = SHAPES[family];
  const inventory = fleet(random, devices, shape, `${family}-${size}`);
  return { family, size, seed, inventory, ...application(random, inventory, shape, replicas) };
}
