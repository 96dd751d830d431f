import { describe, expect, it } from "vitest";
import { applicationOf, inventoryOf, oneSite } from "./fixture.js";
import { planSync } from "./plan.js";
import { marginalPowerW, powerAtW } from "./power.js";

const one = (
  devices: Record<string, unknown>[],
  service: Record<string, unknown>,
  qos: Record<string, number> = { energy: 1 },
) =>
  planSync(
    oneSite(devices),
    applicationOf({ qos, services: [{ name: "a", resources: { cpu: "1", memory: "1Gi" }, ...service }] }),
  );

describe("power model", () => {
  it("is linear with gamma 1: (maxW − idleW)·c / cores", () => {
    expect(marginalPowerW({ idleW: 2, maxW: 10, gamma: 1, cpuCores: 4, usedCpuCores: 1 }, 1)).toBeCloseTo(2);
  });
  it("with gamma ≠ 1 adds from the current utilisation", () => {
    const d = { idleW: 2, maxW: 10, gamma: 2, cpuCores: 4, usedCpuCores: 2 };
    // u 0.5 → 0.75: 8·(0.5625 − 0.25) = 2.5
    expect(marginalPowerW(d, 1)).toBeCloseTo(2.5);
    expect(powerAtW(d, 2)).toBe(10);
  });
});

describe("objective totals, hand-checked", () => {
  it("energyW is the marginal power", () => {
    const plan = one([{ name: "d" }], {});
    expect(plan.totals.energyW).toBeCloseTo(2); // (10 − 2)·1/4
  });
  it("carbonGPerH counts only the power solar does not cover", () => {
    expect(one([{ name: "d" }], {}).totals.carbonGPerH).toBeCloseTo((400 * 2) / 1000);
    expect(one([{ name: "d", solar: { excessW: 1.5 } }], {}).totals.carbonGPerH).toBeCloseTo(
      (400 * 0.5) / 1000,
    );
    expect(one([{ name: "d", solar: { excessW: 5 } }], {}).totals.carbonGPerH).toBe(0);
  });
  it("carbon is per device: two replicas share one solar surplus", () => {
    const plan = one([{ name: "d", solar: { excessW: 3 } }], { replicas: 2 });
    expect(plan.totals.carbonGPerH).toBeCloseTo((400 * (4 - 3)) / 1000);
  });
  it("costPerHour is the price share of the cores plus the energy at the zone price", () => {
    const plan = one([{ name: "d", pricePerHour: 0.4 }], {});
    expect(plan.totals.costPerHour).toBeCloseTo(0.4 / 4 + (2 / 1000) * 0.3);
  });
  it("batteryDrainPerH is the uncovered power over the capacity", () => {
    const plan = one([{ name: "d", battery: { capacityWh: 20, soc: 0.9 }, solar: { excessW: 1 } }], {});
    expect(plan.totals.batteryDrainPerH).toBeCloseTo(1 / 20);
  });
  it("slownessCores divides the cores by the device speed", () => {
    expect(one([{ name: "d", speed: 2 }], {}).totals.slownessCores).toBeCloseTo(0.5);
  });
  it("latencyMs is the users' latency plus the mean latency over call pairs", () => {
    const inventory = inventoryOf({
      zones: [{ name: "Z", intensityGPerKWh: 100 }],
      sites: [
        { name: "u", tier: "edge", region: "r", zone: "Z" },
        { name: "f", tier: "fog", region: "r", zone: "Z" },
      ],
      latencies: [{ from: "u", to: "f", ms: 4 }],
      devices: [
        { name: "e", site: "u", arch: "arm64", cpu: 1, memory: "1Gi", power: { idleW: 1, maxW: 2 } },
        { name: "n", site: "f", arch: "arm64", cpu: 8, memory: "8Gi", power: { idleW: 1, maxW: 2 } },
      ],
    });
    const app = applicationOf({
      qos: { latency: 1 },
      services: [
        {
          name: "front",
          resources: { cpu: "1", memory: "1Gi" },
          placement: { tiers: ["edge"], nearUsers: { site: "u", maxLatencyMs: 10 } },
          calls: [{ service: "back" }],
        },
        { name: "back", replicas: 2, resources: { cpu: "1", memory: "1Gi" }, placement: { tiers: ["fog"] } },
      ],
    });
    const plan = planSync(inventory, app);
    expect(plan.totals.latencyMs).toBeCloseTo(0 + 4);
  });
  it("a single weight picks the plan minimising that total", () => {
    const devices = [
      { name: "clean", cpu: 4, power: { idleW: 2, maxW: 20 }, solar: { excessW: 10 } },
      { name: "cheap", cpu: 4, power: { idleW: 2, maxW: 6 } },
      { name: "fast", cpu: 4, power: { idleW: 2, maxW: 30 }, speed: 3 },
    ];
    expect(one(devices, {}, { carbon: 1 }).placements[0]!.device).toBe("clean");
    expect(one(devices, {}, { energy: 1 }).placements[0]!.device).toBe("cheap");
    expect(one(devices, {}, { performance: 1 }).placements[0]!.device).toBe("fast");
  });
});
