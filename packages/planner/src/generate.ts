import {
  type Application,
  type Device,
  type Inventory,
  LatencyTable,
  normaliseWeights,
  type Service,
  type Site,
} from "@qonnect/core";
import { seededRandom } from "./rng.js";

// Random but reproducible fleets and applications for property tests and the benchmark. Requests are scaled
// so the whole application books at most `bookedFraction` of the fleet's free cores.

export interface GenerateOptions {
  devices: number;
  replicas: number;
  seed: number;
  /** Replicas per service on average. Default 10. */
  replicasPerService?: number;
  bookedFraction?: number;
  /** Add calls, spread and users' latency. Default true. */
  constraints?: boolean;
}

const ZONES = [
  { name: "DE", intensityGPerKWh: 406, pricePerKWh: 0.32 },
  { name: "FR", intensityGPerKWh: 61, pricePerKWh: 0.23 },
  { name: "PL", intensityGPerKWh: 738, pricePerKWh: 0.21 },
];

export function generateInventory(devices: number, seed: number): Inventory {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const siteCount = Math.max(3, Math.ceil(devices / 20));
  const sites: Site[] = [];
  const links: { from: string; to: string; ms: number }[] = [];
  for (let k = 0; k < siteCount; k++) {
    const region = k % 3;
    const tier = k < 3 ? "cloud" : k % 10 < 3 ? "fog" : "edge";
    sites.push({ name: `site-${k}`, tier, region: `region-${region}`, zone: ZONES[region]!.name });
    if (k < 3) {
      if (k > 0) links.push({ from: `site-${k}`, to: "site-0", ms: 8 + Math.floor(random() * 10) });
    } else {
      // a site hangs off an earlier site of its region: a tree of fog and edge sites below each cloud
      const parent = region + 3 * Math.floor(random() * Math.floor(k / 3));
      links.push({ from: `site-${k}`, to: `site-${parent}`, ms: 1 + Math.floor(random() * 6) });
    }
  }
  const out: Device[] = [];
  for (let i = 0; i < devices; i++) {
    const site = sites[i < siteCount ? i : Math.floor(random() * siteCount)]!;
    const base = {
      name: `dev-${i}`,
      site: site.name,
      tier: site.tier,
      region: site.region,
      zone: site.zone,
      labels: {},
      alive: random() > 0.02,
      gamma: 1,
      usedGpus: 0,
    };
    if (site.tier === "edge") {
      const solar = random() < 0.3;
      out.push({
        ...base,
        arch: "arm64",
        cpuCores: 4,
        memoryBytes: pick([4, 8]) * 2 ** 30,
        gpus: random() < 0.1 ? 1 : 0,
        idleW: 2.7,
        maxW: pick([6.4, 7, 15]),
        pricePerHour: 0,
        ...(solar ? { battery: { capacityWh: 37, soc: 0.2 + 0.8 * random(), minSoc: 0.2 } } : {}),
        solarExcessW: solar ? 4 * random() : 0,
        usedCpuCores: random() < 0.3 ? 0.5 : 0,
        usedMemoryBytes: 0,
        speed: pick([0.6, 1, 0.9]),
      });
    } else {
      const cloud = site.tier === "cloud";
      out.push({
        ...base,
        arch: "amd64",
        cpuCores: cloud ? 8 : 12,
        memoryBytes: 32 * 2 ** 30,
        gpus: 0,
        idleW: cloud ? 6.7 : 9,
        maxW: cloud ? 31.8 : 60,
        pricePerHour: cloud ? 0.4 + 0.1 * random() : 0.02,
        solarExcessW: 0,
        usedCpuCores: random() < 0.3 ? 2 : 0,
        usedMemoryBytes: 0,
        speed: cloud ? 2.5 : 2.2,
      });
    }
  }
  return {
    name: `generated-${devices}`,
    zones: ZONES.map((z) => ({ ...z })),
    sites,
    devices: out,
    latency: new LatencyTable(
      sites.map((s) => s.name),
      links,
    ),
  };
}

export function generateApplication(inventory: Inventory, options: GenerateOptions): Application {
  const random = seededRandom(options.seed * 7919 + 1);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const perService = options.replicasPerService ?? 10;
  const constraints = options.constraints ?? true;
  const counts: number[] = [];
  let left = options.replicas;
  while (left > 0) {
    const n = Math.min(left, 1 + Math.floor(random() * (2 * perService - 1)));
    counts.push(n);
    left -= n;
  }
  const freeCores = inventory.devices.reduce((s, d) => s + (d.alive ? d.cpuCores - d.usedCpuCores : 0), 0);
  const cores = counts.map(() => pick([0.25, 0.5, 1, 2]));
  const demand = counts.reduce((s, n, k) => s + n * cores[k]!, 0);
  const factor = Math.min(1, ((options.bookedFraction ?? 0.6) * freeCores) / demand);
  const freeBytes = inventory.devices.reduce(
    (s, d) => s + (d.alive ? d.memoryBytes - d.usedMemoryBytes : 0),
    0,
  );
  const memory = counts.map(() => pick([128, 256, 512]) * 2 ** 20);
  const bytes = counts.reduce((s, n, k) => s + n * memory[k]!, 0);
  const memoryFactor = Math.min(1, ((options.bookedFraction ?? 0.6) * freeBytes) / bytes);
  const edgeSites = inventory.sites.filter((s) => s.tier === "edge");
  const services: Service[] = counts.map((replicas, k) => {
    const tiers = pick([undefined, ["cloud", "fog"], ["fog", "edge"], ["edge"]] as const);
    const users =
      constraints && edgeSites.length > 0 && random() < 0.1
        ? { site: pick(edgeSites).name, maxLatencyMs: 40 }
        : undefined;
    return {
      app: "generated",
      name: `svc-${k}`,
      env: {},
      ports: [],
      replicas,
      cpuCores: Math.max(0.01, Math.round(cores[k]! * factor * 1000) / 1000),
      memoryBytes: Math.max(2 ** 20, Math.round(memory[k]! * memoryFactor)),
      gpus: 0,
      placement: {
        ...(tiers ? { tiers: [...tiers] } : {}),
        ...(constraints && random() < 0.3 && replicas <= 3
          ? { spread: pick(["device", "site"] as const) }
          : {}),
        ...(users ? { nearUsers: users } : {}),
      },
      calls:
        constraints && k + 1 < counts.length && random() < 0.3
          ? [{ service: `svc-${k + 1}`, maxLatencyMs: 60 }]
          : [],
    };
  });
  return {
    name: "generated",
    kind: "Application",
    weights: normaliseWeights({ energy: random(), carbon: random(), cost: random(), performance: random() }),
    limits: {},
    services,
  };
}

/**
 * A small instance for exact comparisons: `devices` devices over three sites (cloud, fog, edge in three
 * zones), `replicas` replicas over two or three services with tight capacity, spread, calls and solar.
 */
export function generateSmallInstance(
  seed: number,
  devices: number,
  replicas: number,
): { inventory: Inventory; app: Application } {
  const random = seededRandom(seed * 104729 + 17);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const sites: Site[] = [
    { name: "cloud", tier: "cloud", region: "r1", zone: "DE" },
    { name: "fog", tier: "fog", region: "r1", zone: "FR" },
    { name: "edge", tier: "edge", region: "r2", zone: "PL" },
  ];
  const out: Device[] = [];
  for (let i = 0; i < devices; i++) {
    const site = sites[i % 3]!;
    const cpuCores = pick([1, 2, 4]);
    const battery = site.tier === "edge" && random() < 0.5;
    out.push({
      name: `d${i}`,
      site: site.name,
      tier: site.tier,
      region: site.region,
      zone: site.zone,
      arch: pick(["arm64", "amd64"]),
      cpuCores,
      memoryBytes: pick([2, 4]) * 2 ** 30,
      gpus: 0,
      idleW: 2 + 5 * random(),
      maxW: 8 + 30 * random(),
      gamma: pick([1, 1, 1.4]),
      pricePerHour: pick([0, 0.02, 0.4]),
      ...(battery ? { battery: { capacityWh: 20 + 40 * random(), soc: 0.9, minSoc: 0.2 } } : {}),
      solarExcessW: random() < 0.3 ? 5 * random() : 0,
      usedCpuCores: random() < 0.3 ? 0.5 : 0,
      usedMemoryBytes: 0,
      usedGpus: 0,
      labels: {},
      alive: true,
      speed: pick([0.6, 1, 2.5]),
    });
  }
  const inventory: Inventory = {
    name: `small-${seed}`,
    zones: ZONES.map((z) => ({ ...z })),
    sites,
    devices: out,
    latency: new LatencyTable(
      sites.map((s) => s.name),
      [
        { from: "edge", to: "fog", ms: 3 },
        { from: "fog", to: "cloud", ms: 8 },
      ],
    ),
  };
  const counts: number[] = [];
  let left = replicas;
  while (left > 0) {
    const n = Math.min(left, 1 + Math.floor(random() * 3));
    counts.push(n);
    left -= n;
  }
  const services: Service[] = counts.map((n, k) => ({
    app: "small",
    name: `s${k}`,
    env: {},
    ports: [],
    replicas: n,
    cpuCores: pick([0.5, 1, 1.5]),
    memoryBytes: pick([256, 1024]) * 2 ** 20,
    gpus: 0,
    placement: {
      ...(random() < 0.3
        ? { tiers: [pick(["cloud", "fog", "edge"] as const), pick(["cloud", "fog", "edge"] as const)] }
        : {}),
      ...(random() < 0.3 ? { spread: pick(["device", "site"] as const) } : {}),
      ...(random() < 0.3 ? { nearUsers: { site: "edge", maxLatencyMs: 20 } } : {}),
    },
    calls: k > 0 && random() < 0.6 ? [{ service: `s${k - 1}`, maxLatencyMs: pick([5, 20]) }] : [],
  }));
  const app: Application = {
    name: "small",
    kind: "Application",
    weights: normaliseWeights({
      energy: random(),
      carbon: random(),
      cost: random(),
      performance: random(),
      ...(random() < 0.3 ? { latency: random(), battery: random() } : {}),
    }),
    limits: random() < 0.3 ? { maxPowerW: 40 } : {},
    services,
  };
  return { inventory, app };
}
