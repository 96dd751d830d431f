import { describe, expect, it } from "vitest";
import { applicationOf, inventoryOf } from "./fixture.js";
import { plan, planSync } from "./plan.js";

const inventory = inventoryOf({
  zones: [{ name: "DE", intensityGPerKWh: 400, pricePerKWh: 0.3 }],
  sites: [
    { name: "edge", tier: "edge", region: "eu-central", zone: "DE" },
    { name: "fog", tier: "fog", region: "eu-central", zone: "DE" },
    { name: "west", tier: "fog", region: "eu-west", zone: "DE" },
  ],
  devices: [
    { name: "pi-1", site: "edge", arch: "arm64", cpu: 4, memory: "4Gi", power: { idleW: 2, maxW: 7 } },
    {
      name: "fog-2",
      site: "fog",
      arch: "arm64",
      cpu: 4,
      memory: "8Gi",
      power: { idleW: 9, maxW: 60 },
      used: { cpu: "2500m", memory: "1Gi" },
    },
    { name: "nuc", site: "fog", arch: "amd64", cpu: 12, memory: "32Gi", power: { idleW: 9, maxW: 60 } },
    { name: "paris", site: "west", arch: "arm64", cpu: 12, memory: "32Gi", power: { idleW: 9, maxW: 60 } },
  ],
});

describe("explanations", () => {
  it("names the chosen device, the runner-up and each objective's contribution", () => {
    const app = applicationOf({
      qos: { energy: 0.5, carbon: 0.5 },
      services: [{ name: "web", resources: { cpu: "1", memory: "1Gi" } }],
    });
    const p = planSync(inventory, app, { explain: true });
    const r = p.explain!.replicas[0]!;
    expect(r.device).toBe("pi-1");
    expect(r.runnerUp?.device).toBeDefined();
    expect(r.runnerUp!.objectiveDelta).toBeGreaterThan(0);
    const sum = Object.values(r.contributions).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(p.totals.objective, 9);
    expect(r.contributions.energy).toBeGreaterThan(0);
    expect(r.contributions.cost).toBe(0);
  });

  it("counts rejected devices by reason", () => {
    const app = applicationOf({
      services: [
        {
          name: "web",
          resources: { cpu: "1", memory: "1Gi" },
          placement: { arch: ["arm64"], tiers: ["fog"] },
        },
      ],
    });
    const s = planSync(inventory, app, { explain: true }).explain!.services[0]!;
    expect(s.rejected).toEqual({ tier: 1, arch: 1 });
    expect(s.rejectedDevices).toEqual({ "pi-1": "tier", nuc: "arch" });
  });

  it("says in words why a manifest is infeasible, with the closest device", async () => {
    const app = applicationOf({
      services: [
        {
          name: "reviews",
          resources: { cpu: "2", memory: "1Gi" },
          placement: { arch: ["arm64"], tiers: ["fog"], regions: ["eu-central"] },
        },
      ],
    });
    for (const strategy of ["heuristic", "exact"] as const) {
      const p = await plan(inventory, app, { strategy });
      expect(p.feasible).toBe(false);
      expect(p.problems).toEqual([
        "reviews: no device with arm64 and 2 free cores and 1Gi free memory on tier fog in eu-central (rejected: 1 tier, 1 region, 1 arch, 1 cpu); closest: fog-2 has 1.5 free cores and 7Gi free memory",
      ]);
    }
  });

  it("names spread and limits when candidates exist but cannot all be used", () => {
    const app = applicationOf({
      limits: { maxPowerW: 5 },
      services: [
        {
          name: "web",
          replicas: 3,
          resources: { cpu: "1", memory: "1Gi" },
          placement: { spread: "device", tiers: ["edge"] },
        },
      ],
    });
    const p = planSync(inventory, app);
    expect(p.feasible).toBe(false);
    expect(p.problems[0]).toMatch(
      /^web: 2 of 3 replicas fit nowhere: 1 devices have .* but 1 spread \(spread: device needs 3 distinct devices\)/,
    );
  });
});
