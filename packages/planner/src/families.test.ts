import { describe, expect, it } from "vitest";
import { assessPlacement } from "./assess.js";
import { FAMILIES, familyInstance } from "./families.js";
import { planSync } from "./plan.js";

const replicas = (i: ReturnType<typeof familyInstance>) => i.app.services.reduce((s, x) => s + x.replicas, 0);

describe("instance families", () => {
  it("plants a plan that breaks nothing in every tight and calls instance, so none is infeasible", () => {
    for (const family of ["tight", "calls"] as const)
      for (const size of ["small", "medium"] as const)
        for (let seed = 1; seed <= (size === "small" ? 10 : 3); seed++) {
          const i = familyInstance(family, size, seed);
          expect(i.planted, `${family} ${size} ${seed}`).toHaveLength(replicas(i));
          expect(
            assessPlacement(i.inventory, i.app, i.planted!).violations,
            `${family} ${size} ${seed}`,
          ).toEqual([]);
        }
  });

  it("keeps tight tight (about 90 % of the cores left booked) and call limits binding (10–25 ms drawn)", () => {
    for (let seed = 1; seed <= 3; seed++) {
      const { inventory, app } = familyInstance("tight", "medium", seed);
      const free = inventory.devices.reduce((s, d) => s + d.cpuCores - d.usedCpuCores, 0);
      const booked = app.services.reduce((s, x) => s + x.replicas * x.cpuCores, 0) / free;
      expect(booked).toBeGreaterThan(0.85);
      expect(booked).toBeLessThanOrEqual(0.9 + 1e-9);
      const calls = familyInstance("calls", "medium", seed).app.services.flatMap((s) => s.calls);
      expect(calls.some((c) => c.maxLatencyMs! <= 25)).toBe(true);
    }
  });

  it("has a feasible plan for every medium instance of every family (the heuristic finds one)", () => {
    for (const family of FAMILIES)
      for (let seed = 1; seed <= 3; seed++) {
        // baseline medium 3 comes from generateApplication unchanged, which overbooks the edge tier there
        if (family === "baseline" && seed === 3) continue;
        const i = familyInstance(family, "medium", seed);
        if (i.planted) continue; // checked above, independently of the planner
        expect(
          planSync(i.inventory, i.app, { strategy: "heuristic", lnsIterations: 0 }).feasible,
          family,
        ).toBe(true);
      }
  });
});
