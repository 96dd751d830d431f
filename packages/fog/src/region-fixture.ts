// A small region for tests and benchmarks: two sites, a handful of devices, one two-service application.
import type { ContextRecord, DeviceFacts } from "./region-command.js";

export interface FixtureOptions {
  /** device name → site */
  devices: Record<string, string>;
  partitionGraceSeconds?: number;
  /** replicas of the `web` service (default 2) */
  webReplicas?: number;
  /** the command of every service (process runtime); default a node one-liner that serves HTTP */
  command?: string[];
}

export function fixtureFacts(name: string, site: string): DeviceFacts {
  return {
    name,
    site,
    tier: "edge",
    arch: "amd64",
    cpuCores: 4,
    memoryBytes: 4 * 2 ** 30,
    gpus: 0,
    labels: {},
  };
}

/** An Application manifest (JSON) with `web` (spread over devices) calling `db`. */
export function fixtureApplication(o: FixtureOptions): string {
  const command = o.command ?? [
    "node",
    "-e",
    "require('http').createServer((q,s)=>s.end('ok')).listen(process.env.PORT)",
  ];
  return JSON.stringify({
    apiVersion: "qonnect.io/v1alpha1",
    kind: "Application",
    metadata: { name: "shop" },
    spec: {
      ...(o.partitionGraceSeconds !== undefined
        ? { failover: { partitionGraceSeconds: o.partitionGraceSeconds } }
        : {}),
      services: [
        {
          name: "web",
          replicas: o.webReplicas ?? 2,
          command,
          ports: [8080],
          resources: { cpu: "500m", memory: "64Mi" },
          placement: { spread: "device" },
          calls: [{ service: "db" }],
        },
        { name: "db", replicas: 1, command, ports: [5432], resources: { cpu: "500m", memory: "64Mi" } },
      ],
    },
  });
}

export function fixtureInventory(o: FixtureOptions): string {
  const sites = [...new Set(Object.values(o.devices))].sort();
  return JSON.stringify({
    apiVersion: "qonnect.io/v1alpha1",
    kind: "Inventory",
    metadata: { name: "fixture" },
    spec: {
      zones: [{ name: "DE", intensityGPerKWh: 380, pricePerKWh: 0.32 }],
      sites: sites.map((s) => ({ name: s, tier: "edge", region: "r1", zone: "DE" })),
      latencies: sites.flatMap((a, i) => sites.slice(i + 1).map((b) => ({ from: a, to: b, ms: 5 }))),
      devices: Object.entries(o.devices).map(([name, site]) => ({
        name,
        site,
        arch: "amd64",
        cpu: 4,
        memory: "4Gi",
        power: { idleW: 3, maxW: 8 },
        pricePerHour: 0,
      })),
    },
  });
}

export function fixtureContext(o: FixtureOptions): ContextRecord {
  return {
    inventoryJson: fixtureInventory(o),
    applications: [{ name: "shop", manifestJson: fixtureApplication(o), maxCostPerHour: 0, maxPowerW: 0 }],
    signals: [],
  };
}
