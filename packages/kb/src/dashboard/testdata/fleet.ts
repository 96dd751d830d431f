// A small fleet's region summaries, in the fog leader's wire format (fog.v1.RegionSummary on NATS
// `qonnect.<region>.summary`), scripted rather than recorded from live fog leads: two regions, three
// sites, six devices with every verdict, counters that advance with the power drawn, a battery that drains
// and solar that rises. `kill(name)` is what the leader reports after a device's power cut.
import { fogV1 } from "@qonnect/proto";
import type { NatsConnection } from "nats";

export interface FleetDevice {
  name: string;
  region: string;
  site: string;
  tier: string;
  arch: string;
  verdict: "alive" | "suspect" | "dead" | "unreachable";
  baseW: number;
  soc?: number;
  solarPeakW?: number;
}

const VERDICT = { alive: 1, suspect: 2, dead: 3, unreachable: 4 } as const;

export const FLEET: readonly FleetDevice[] = [
  {
    name: "pi-a",
    region: "eu-central",
    site: "berlin-edge",
    tier: "edge",
    arch: "arm64",
    verdict: "alive",
    baseW: 4.2,
    soc: 0.82,
    solarPeakW: 5,
  },
  {
    name: "pi-b",
    region: "eu-central",
    site: "berlin-edge",
    tier: "edge",
    arch: "arm64",
    verdict: "alive",
    baseW: 3.6,
  },
  {
    name: "fog-1",
    region: "eu-central",
    site: "berlin-fog",
    tier: "fog",
    arch: "amd64",
    verdict: "alive",
    baseW: 38,
  },
  {
    name: "pi-c",
    region: "eu-west",
    site: "paris-edge",
    tier: "edge",
    arch: "arm64",
    verdict: "alive",
    baseW: 4.0,
    soc: 0.15,
    solarPeakW: 3,
  },
  {
    name: "pi-d",
    region: "eu-west",
    site: "paris-edge",
    tier: "edge",
    arch: "arm64",
    verdict: "suspect",
    baseW: 3.1,
  },
  {
    name: "pi-e",
    region: "eu-west",
    site: "paris-edge-2",
    tier: "edge",
    arch: "arm64",
    verdict: "unreachable",
    baseW: 2.9,
  },
];

/** The Inventory the Knowledge Base plans with (the same devices, declared). */
export const FLEET_INVENTORY = `apiVersion: qonnect.io/v1alpha1
kind: Inventory
metadata: { name: fleet }
spec:
  zones:
    - { name: DE, intensityGPerKWh: 380, pricePerKWh: 0.32 }
    - { name: FR, intensityGPerKWh: 60, pricePerKWh: 0.21 }
  sites:
    - { name: berlin-edge, tier: edge, region: eu-central, zone: DE }
    - { name: berlin-fog, tier: fog, region: eu-central, zone: DE }
    - { name: paris-edge, tier: edge, region: eu-west, zone: FR }
    - { name: paris-edge-2, tier: edge, region: eu-west, zone: FR }
  latencies:
    - { from: berlin-edge, to: berlin-fog, ms: 3 }
    - { from: berlin-edge, to: paris-edge, ms: 15 }
    - { from: berlin-fog, to: paris-edge, ms: 14 }
    - { from: paris-edge, to: paris-edge-2, ms: 4 }
    - { from: berlin-edge, to: paris-edge-2, ms: 16 }
    - { from: berlin-fog, to: paris-edge-2, ms: 15 }
  devices:
    - { name: pi-a, site: berlin-edge, arch: arm64, cpu: 4, memory: 8Gi, power: { idleW: 2.7, maxW: 7 }, battery: { capacityWh: 37, soc: 0.82, minSoc: 0.2 }, solar: { excessW: 2 } }
    - { name: pi-b, site: berlin-edge, arch: arm64, cpu: 4, memory: 8Gi, power: { idleW: 2.7, maxW: 7 } }
    - { name: fog-1, site: berlin-fog, arch: amd64, cpu: 16, memory: 64Gi, power: { idleW: 30, maxW: 120 }, pricePerHour: 0.05 }
    - { name: pi-c, site: paris-edge, arch: arm64, cpu: 4, memory: 8Gi, power: { idleW: 2.7, maxW: 7 }, battery: { capacityWh: 37, soc: 0.15, minSoc: 0.2 }, solar: { excessW: 1 } }
    - { name: pi-d, site: paris-edge, arch: arm64, cpu: 4, memory: 8Gi, power: { idleW: 2.7, maxW: 7 } }
    - { name: pi-e, site: paris-edge-2, arch: arm64, cpu: 4, memory: 8Gi, power: { idleW: 2.7, maxW: 7 } }
`;

/** Two replicas on distinct edge devices, carbon first. */
export const FLEET_APP = `apiVersion: qonnect.io/v1alpha1
kind: Application
metadata: { name: shop }
spec:
  qos: { energy: 0.2, carbon: 0.5, cost: 0.1, performance: 0.2 }
  services:
    - name: web
      replicas: 2
      resources: { cpu: 500m, memory: 256Mi }
      placement: { tiers: [edge], spread: device }
`;

interface Counters {
  energyWh: number;
  solarEnergyWh: number;
  lastSeenMs: number;
  seq: number;
}

export class FleetStream {
  readonly devices: FleetDevice[] = FLEET.map((d) => ({ ...d }));
  #counters = new Map<string, Counters>();
  #seq = 0;
  #term = new Map([
    ["eu-central", 3],
    ["eu-west", 2],
  ]);
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly nc: NatsConnection,
    readonly startMs = Date.now(),
  ) {}

  verdictOf(name: string): string {
    return this.devices.find((d) => d.name === name)!.verdict;
  }

  kill(name: string): void {
    this.devices.find((d) => d.name === name)!.verdict = "dead";
  }

  #powerW(d: FleetDevice, nowMs: number): number {
    const phase = (nowMs - this.startMs) / 60_000;
    return d.baseW * (1 + 0.15 * Math.sin(phase * 2 * Math.PI + d.name.length));
  }

  #solarW(d: FleetDevice, nowMs: number): number {
    if (!d.solarPeakW) return 0;
    const phase = Math.min(1, (nowMs - this.startMs) / 600_000);
    return d.solarPeakW * (0.3 + 0.7 * Math.sin((phase * Math.PI) / 2));
  }

  summaries(nowMs: number): fogV1.RegionSummary[] {
    this.#seq++;
    const regions = [...new Set(this.devices.map((d) => d.region))];
    return regions.map((region) => {
      const devices = this.devices
        .filter((d) => d.region === region)
        .map((d) => {
          const c = this.#counters.get(d.name) ?? {
            energyWh: 0,
            solarEnergyWh: 0,
            lastSeenMs: nowMs,
            seq: 0,
          };
          const reporting = d.verdict === "alive" || d.verdict === "suspect";
          const powerW = reporting ? this.#powerW(d, nowMs) : 0;
          const solarW = reporting ? this.#solarW(d, nowMs) : 0;
          if (reporting) {
            const h = Math.max(0, nowMs - c.lastSeenMs) / 3_600_000;
            c.energyWh += powerW * h;
            c.solarEnergyWh += Math.min(powerW, solarW) * h;
            c.lastSeenMs = nowMs;
            c.seq++;
            if (d.soc !== undefined) d.soc = Math.max(0, d.soc - ((powerW - solarW) * h) / 37);
          }
          this.#counters.set(d.name, c);
          return fogV1.DeviceState.fromPartial({
            name: d.name,
            site: d.site,
            tier: d.tier,
            arch: d.arch,
            verdict: VERDICT[d.verdict],
            verdictReason:
              d.verdict === "dead"
                ? "connection closed by its host"
                : d.verdict === "suspect"
                  ? "reported power above its declared maximum"
                  : d.verdict === "unreachable"
                    ? "its whole site is silent"
                    : "",
            lastSeenMs: c.lastSeenMs,
            lastSeq: c.seq,
            powerW,
            ...(d.soc !== undefined ? { battery: { soc: d.soc, voltageV: 3.9, currentA: -0.4 } } : {}),
            solarExcessW: solarW,
            cpuUtil: reporting ? 0.2 + 0.1 * Math.sin(nowMs / 20_000) : 0,
            memoryUsedBytes: 2 * 1024 ** 3,
            memoryTotalBytes: 8 * 1024 ** 3,
            energyWh: c.energyWh,
            solarEnergyWh: c.solarEnergyWh,
          });
        });
      return fogV1.RegionSummary.fromPartial({
        region,
        leaderId: region === "eu-central" ? 2 : 1,
        term: this.#term.get(region) ?? 1,
        tsMs: nowMs,
        seq: this.#seq,
        part: 1,
        parts: 1,
        devices,
      });
    });
  }

  publish(nowMs = Date.now()): void {
    for (const s of this.summaries(nowMs))
      this.nc.publish(`qonnect.${s.region}.summary`, fogV1.RegionSummary.encode(s).finish());
  }

  /** Publishes every `everyMs` until stopped. */
  start(everyMs = 1000): void {
    this.publish();
    this.#timer = setInterval(() => this.publish(), everyMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
