import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assessPlacement } from "./assess.js";
import { generateApplication, generateInventory, generateSmallInstance } from "./generate.js";
import { Planner, planSync } from "./plan.js";

// No plan of ours ever breaks a hard constraint: a feasible plan has no violation at all, an infeasible one
// only leaves replicas out (never overbooks to fit them). Totals agree with an independent recomputation.

/** Each property plans dozens of instances (seconds of CPU): on a loaded shared machine 30 s is too short. */
const PROPERTY_TIMEOUT_MS = 180_000;

describe("hard constraints hold on random instances", () => {
  it(
    "small tight instances",
    () => {
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
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "larger generated fleets, capacity above all",
    () => {
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
    },
    PROPERTY_TIMEOUT_MS,
  );

  it("the same seed gives the same plan", () => {
    const inventory = generateInventory(60, 3);
    const app = generateApplication(inventory, { devices: 60, replicas: 120, seed: 3 });
    expect(planSync(inventory, app, { seed: 9 }).placements).toEqual(
      planSync(inventory, app, { seed: 9 }).placements,
    );
  });

  it(
    "re-plans after random device losses and battery drops keep every hard constraint",
    () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1_000_000 }),
          fc.integer({ min: 10, max: 80 }),
          fc.integer({ min: 5, max: 150 }),
          fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
          (seed, devices, replicas, lose) => {
            const inventory = generateInventory(devices, seed);
            const app = generateApplication(inventory, { devices, replicas, seed, replicasPerService: 4 });
            const session = new Planner(app);
            const first = session.plan(inventory);
            const lost = new Set(lose.map((k) => inventory.devices[k % devices]!.name));
            const next = {
              ...inventory,
              devices: inventory.devices.map((d, k) =>
                lost.has(d.name)
                  ? { ...d, alive: false }
                  : d.battery && k % 2 === 0
                    ? { ...d, battery: { ...d.battery, soc: 0.1 } }
                    : d,
              ),
            };
            for (const after of [
              session.plan(next, { current: first.placements }),
              planSync(next, app, { current: first.placements }),
            ]) {
              const { violations } = assessPlacement(next, app, after.placements);
              expect(violations.filter((v) => !v.endsWith("not placed"))).toEqual([]);
              expect(violations.length === 0).toBe(after.feasible);
              // make-before-break: no replica stops before its replacement started
              const started = new Set<string>();
              for (const m of after.moves) {
                const id = `${m.service}/${m.replica}`;
                if (m.op === "start") started.add(id);
                else if (m.why !== "removed" && !m.why.includes("break-before-make"))
                  expect(started.has(id)).toBe(true);
              }
            }
          },
        ),
        { numRuns: 30 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
