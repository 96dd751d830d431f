import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assessPlacement } from "./assess.js";
import { generateApplication, generateInventory, generateSmallInstance } from "./generate.js";
import { planSync } from "./plan.js";

// No plan of ours ever breaks a hard constraint: a feasible plan has no violation at all, an infeasible one
// only leaves replicas out (never overbooks to fit them). Totals agree with an independent recomputation.

describe("hard constraints hold on random instances", () => {
  it("small tight instances", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 12 }),
        (seed, devices, replicas) => {
          const { inventory, app } = generateSmallInstance(seed, devices, replicas);
          const plan = planSync(inventory, app, { seed });
          const { totals, violations } = assessPlacement(inventory, app, plan.placements);
          if (plan.feasible) expect(violations).toEqual([]);
          else {
            expect(violations.every((v) => v.endsWith("not placed"))).toBe(true);
            expect(plan.problems.length).toBeGreaterThan(0);
          }
          expect(plan.totals.energyW).toBeCloseTo(totals.energyW, 6);
          expect(plan.totals.carbonGPerH).toBeCloseTo(totals.carbonGPerH, 6);
          expect(plan.totals.costPerHour).toBeCloseTo(totals.costPerHour, 6);
          expect(plan.totals.latencyMs).toBeCloseTo(totals.latencyMs, 6);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("larger generated fleets, capacity above all", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 5, max: 120 }),
        fc.integer({ min: 1, max: 300 }),
        (seed, devices, replicas) => {
          const inventory = generateInventory(devices, seed);
          const app = generateApplication(inventory, {
            devices,
            replicas,
            seed,
            bookedFraction: 0.9,
            replicasPerService: 4,
          });
          const plan = planSync(inventory, app, { seed, maxEvaluations: 20_000 });
          const { violations } = assessPlacement(inventory, app, plan.placements);
          expect(violations.filter((v) => !v.endsWith("not placed"))).toEqual([]);
          expect(violations.length === 0).toBe(plan.feasible);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("the same seed gives the same plan", () => {
    const inventory = generateInventory(60, 3);
    const app = generateApplication(inventory, { devices: 60, replicas: 120, seed: 3 });
    expect(planSync(inventory, app, { seed: 9 }).placements).toEqual(
      planSync(inventory, app, { seed: 9 }).placements,
    );
  });
});
