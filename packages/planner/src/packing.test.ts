import { describe, expect, it } from "vitest";
import { assessPlacement } from "./assess.js";
import { familyInstance } from "./families.js";
import { bestFitDecreasing } from "./packing.js";
import { planSync } from "./plan.js";
import { buildProblem } from "./problem.js";

describe("best-fit decreasing (the construction for near-full packings)", () => {
  it("places every replica of a tight instance (90 % of the cores left booked) and breaks nothing", () => {
    const { inventory, app } = familyInstance("tight", "medium", 1);
    const p = buildProblem(inventory, app);
    const { state, unplaced } = bestFitDecreasing(p);
    expect(unplaced).toEqual([]);
    const placements = Array.from(state.device, (d, i) => ({
      app: app.name,
      service: p.services[p.serviceOf[i]!]!.service.name,
      replica: i - p.services[p.serviceOf[i]!]!.firstReplica,
      device: inventory.devices[d]!.name,
    }));
    expect(assessPlacement(inventory, app, placements).violations).toEqual([]);
  });

  it("lets the heuristic find a plan where regret construction alone left replicas out", () => {
    // tight medium 1: a near-full packing; calls medium 3: 4-core replicas under 10–35 ms call limits, which
    // only the clustered variant (callees first, each replica near its partners' sites) places
    for (const [family, seed] of [
      ["tight", 1],
      ["calls", 3],
    ] as const) {
      const { inventory, app } = familyInstance(family, "medium", seed);
      const plan = planSync(inventory, app, { strategy: "heuristic", lnsIterations: 0 });
      expect(plan.feasible, family).toBe(true);
      expect(assessPlacement(inventory, app, plan.placements).violations, family).toEqual([]);
    }
  });

  it("clusters call chains: callees first, a caller's replicas near the sites its callee uses", () => {
    const { inventory, app } = familyInstance("calls", "medium", 3);
    const p = buildProblem(inventory, app);
    expect(bestFitDecreasing(p).unplaced.length).toBeGreaterThan(0);
    expect(bestFitDecreasing(p, true).unplaced).toEqual([]);
  });
});
