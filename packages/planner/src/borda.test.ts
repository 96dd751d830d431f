import { describe, expect, it } from "vitest";
import { bordaScores } from "./borda.js";
import { applicationOf, inventoryOf } from "./fixture.js";
import { planSync } from "./plan.js";

const inventory = inventoryOf({
  zones: [
    { name: "dirty", intensityGPerKWh: 700, pricePerKWh: 0.1 },
    { name: "clean", intensityGPerKWh: 50, pricePerKWh: 0.3 },
  ],
  sites: [
    { name: "fog-dirty", tier: "fog", region: "r", zone: "dirty" },
    { name: "fog-clean", tier: "fog", region: "r", zone: "clean" },
    { name: "edge-clean", tier: "edge", region: "r", zone: "clean" },
  ],
  devices: [
    { name: "fd", site: "fog-dirty", arch: "amd64", cpu: 4, memory: "8Gi", power: { idleW: 5, maxW: 20 } },
    { name: "fc", site: "fog-clean", arch: "amd64", cpu: 2, memory: "8Gi", power: { idleW: 5, maxW: 20 } },
    { name: "ec", site: "edge-clean", arch: "arm64", cpu: 4, memory: "8Gi", power: { idleW: 2, maxW: 7 } },
  ],
});

describe("borda baseline", () => {
  it("ranks sites per attribute and sums the weighted Borda points", () => {
    const app = applicationOf({
      qos: { carbon: 1 },
      services: [{ name: "a", resources: { cpu: "1", memory: "1Gi" } }],
    });
    // carbon: two clean sites tie for the best rank (2 points), the dirty one gets 0
    expect(Object.fromEntries(bordaScores(inventory, app))).toEqual({
      "fog-dirty": 0,
      "fog-clean": 2,
      "edge-clean": 2,
    });
  });

  it("puts a tier on one cluster without checking capacity, and we count the violations", () => {
    const app = applicationOf({
      qos: { carbon: 1 },
      services: [
        { name: "a", replicas: 3, resources: { cpu: "1", memory: "1Gi" }, placement: { tiers: ["fog"] } },
      ],
    });
    const borda = planSync(inventory, app, { strategy: "borda" });
    expect(new Set(borda.placements.map((p) => p.device))).toEqual(new Set(["fc"]));
    expect(borda.feasible).toBe(false);
    expect(borda.violations).toContain("fc: cpu over capacity");
    const ours = planSync(inventory, app);
    expect(ours.feasible).toBe(true);
    expect(ours.violations).toEqual([]);
  });
});
