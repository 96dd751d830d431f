import { parseCpuCores, parseDurationMs, parseMemoryBytes } from "../quantity.js";
import type { ApplicationManifest, JobManifest, QosWeights } from "./application.js";
import type { Tier } from "./common.js";
import type { InventoryManifest } from "./inventory.js";

// Normalised, numeric views of the manifests: what the planner, the simulator and the processes compute with.

export const OBJECTIVES = ["energy", "carbon", "cost", "performance", "latency", "battery"] as const;
export type Objective = (typeof OBJECTIVES)[number];
export type Weights = Record<Objective, number>;

/** Weights normalised to sum 1; without `qos`, energy, carbon, cost and performance weigh 0.25 each. */
export function normaliseWeights(qos: QosWeights | undefined): Weights {
  const raw: Weights = { energy: 0, carbon: 0, cost: 0, performance: 0, latency: 0, battery: 0 };
  if (!qos) return { ...raw, energy: 0.25, carbon: 0.25, cost: 0.25, performance: 0.25 };
  for (const k of OBJECTIVES) raw[k] = qos[k] ?? 0;
  const sum = OBJECTIVES.reduce((s, k) => s + raw[k], 0);
  if (sum <= 0) throw new Error("qos weights must not all be zero (the validator rejects this)");
  for (const k of OBJECTIVES) raw[k] /= sum;
  return raw;
}

export interface Zone {
  name: string;
  intensityGPerKWh: number;
  pricePerKWh: number;
}

export interface Site {
  name: string;
  tier: Tier;
  region: string;
  zone: string;
}

export interface Battery {
  capacityWh: number;
  soc: number;
  minSoc: number;
}

export interface Device {
  name: string;
  site: string;
  tier: Tier;
  region: string;
  zone: string;
  arch: string;
  cpuCores: number;
  memoryBytes: number;
  gpus: number;
  idleW: number;
  maxW: number;
  gamma: number;
  pricePerHour: number;
  battery?: Battery;
  solarExcessW: number;
  usedCpuCores: number;
  usedMemoryBytes: number;
  usedGpus: number;
  labels: Record<string, string>;
  alive: boolean;
  speed: number;
}

/** One-way latency between sites: the given links, symmetric unless both directions are given, and the
 * shortest path over them for pairs with no link of their own. Same site is 0; unreachable is Infinity. */
export class LatencyTable {
  readonly #index = new Map<string, number>();
  readonly #ms: Float64Array;

  constructor(sites: readonly string[], links: readonly { from: string; to: string; ms: number }[]) {
    for (const [i, s] of sites.entries()) this.#index.set(s, i);
    const n = sites.length;
    const ms = new Float64Array(n * n).fill(Number.POSITIVE_INFINITY);
    for (let i = 0; i < n; i++) ms[i * n + i] = 0;
    const explicit = new Set(links.map((l) => `${l.from}\u0000${l.to}`));
    for (const l of links) {
      const a = this.#index.get(l.from);
      const b = this.#index.get(l.to);
      if (a === undefined || b === undefined) continue;
      ms[a * n + b] = l.ms;
      if (!explicit.has(`${l.to}\u0000${l.from}`)) ms[b * n + a] = l.ms;
    }
    // Floyd–Warshall: fine for the few hundred sites an inventory has.
    for (let k = 0; k < n; k++)
      for (let i = 0; i < n; i++) {
        const ik = ms[i * n + k]!;
        if (ik === Number.POSITIVE_INFINITY) continue;
        for (let j = 0; j < n; j++) {
          const via = ik + ms[k * n + j]!;
          if (via < ms[i * n + j]!) ms[i * n + j] = via;
        }
      }
    this.#ms = ms;
  }

  /** Latency from site `from` to site `to` in ms; Infinity when unknown. */
  ms(from: string, to: string): number {
    const a = this.#index.get(from);
    const b = this.#index.get(to);
    if (a === undefined || b === undefined) return Number.POSITIVE_INFINITY;
    return this.#ms[a * this.#index.size + b]!;
  }
}

export interface Inventory {
  name: string;
  zones: Zone[];
  sites: Site[];
  devices: Device[];
  latency: LatencyTable;
}

export function toInventory(manifest: InventoryManifest): Inventory {
  const { zones, sites, latencies, devices } = manifest.spec;
  const siteByName = new Map(sites.map((s) => [s.name, s]));
  return {
    name: manifest.metadata.name,
    zones: zones.map((z) => ({
      name: z.name,
      intensityGPerKWh: z.intensityGPerKWh,
      pricePerKWh: z.pricePerKWh,
    })),
    sites: sites.map((s) => ({ ...s })),
    latency: new LatencyTable(
      sites.map((s) => s.name),
      latencies,
    ),
    devices: devices.map((d) => {
      const site = siteByName.get(d.site);
      if (!site) throw new Error(`device ${d.name}: unknown site ${d.site} (the validator rejects this)`);
      return {
        name: d.name,
        site: d.site,
        tier: site.tier,
        region: site.region,
        zone: site.zone,
        arch: d.arch,
        cpuCores: parseCpuCores(d.cpu),
        memoryBytes: parseMemoryBytes(d.memory),
        gpus: d.gpu,
        idleW: d.power.idleW,
        maxW: d.power.maxW,
        gamma: d.power.gamma,
        pricePerHour: d.pricePerHour,
        ...(d.battery ? { battery: { ...d.battery } } : {}),
        solarExcessW: d.solar?.excessW ?? 0,
        usedCpuCores: d.used ? parseCpuCores(d.used.cpu) : 0,
        usedMemoryBytes: d.used ? parseMemoryBytes(d.used.memory) : 0,
        usedGpus: d.used?.gpu ?? 0,
        labels: { ...(d.labels ?? {}) },
        alive: d.alive,
        speed: d.speed,
      };
    }),
  };
}

export interface Placement {
  tiers?: Tier[];
  arch?: string[];
  regions?: string[];
  sites?: string[];
  labels?: Record<string, string>;
  spread?: "device" | "site" | "region";
  nearUsers?: { site: string; maxLatencyMs: number };
  minBatterySoc?: number;
}

export interface Service {
  app: string;
  name: string;
  image?: string;
  command?: string[];
  env: Record<string, string>;
  ports: number[];
  replicas: number;
  cpuCores: number;
  memoryBytes: number;
  gpus: number;
  placement: Placement;
  calls: { service: string; maxLatencyMs?: number }[];
}

export interface Application {
  name: string;
  kind: "Application" | "Job";
  weights: Weights;
  limits: { maxCostPerHour?: number; maxPowerW?: number; maxCarbonGPerH?: number };
  services: Service[];
  /** Only for `kind: Job`. Times are Unix epoch ms. */
  job?: { durationMinutes: number; deadlineMs: number; earliestStartMs: number };
}

/**
 * Normalises an Application or Job. A Job's relative deadline such as `12h` counts from the time `nowMs()`
 * tells when it is normalised (the injected clock; the system clock where none is given).
 */
export function toApplication(
  manifest: ApplicationManifest | JobManifest,
  nowMs: () => number = Date.now,
): Application {
  const app = manifest.metadata.name;
  const services: Service[] = manifest.spec.services.map((s) => ({
    app,
    name: s.name,
    ...(s.image ? { image: s.image } : {}),
    ...(s.command ? { command: [...s.command] } : {}),
    env: { ...(s.env ?? {}) },
    ports: [...(s.ports ?? [])],
    replicas: s.replicas,
    cpuCores: parseCpuCores(s.resources.cpu),
    memoryBytes: parseMemoryBytes(s.resources.memory),
    gpus: s.resources.gpu ?? 0,
    placement: { ...(s.placement ?? {}) },
    calls: (s.calls ?? []).map((c) => ({ ...c })),
  }));
  const out: Application = {
    name: app,
    kind: manifest.kind,
    weights: normaliseWeights(manifest.spec.qos),
    limits: { ...(manifest.spec.limits ?? {}) },
    services,
  };
  if (manifest.kind === "Job") {
    const { deadline, durationMinutes, earliestStart } = manifest.spec;
    const submittedAtMs = nowMs();
    const deadlineMs = /^\d{4}-/.test(deadline)
      ? Date.parse(deadline)
      : submittedAtMs + parseDurationMs(deadline);
    const earliestStartMs = earliestStart ? Date.parse(earliestStart) : submittedAtMs;
    out.job = { durationMinutes, deadlineMs, earliestStartMs };
  }
  return out;
}
