import { describe, expect, it } from "vitest";
import { assessPlacement } from "./assess.js";
import { familyInstance } from "./families.js";
import { Planner, plan, planSync } from "./plan.js";

// The default strategy: exact when HiGHS proves the optimum within the budget, the heuristic (with a lower
// bound) otherwise; never HiGHS on the synchronous paths a live loop uses.

describe("auto strategy", () => {
  it("is the default of plan() and proves small instances optimal, saying so", async () => {
    const { inventory, app } = familyInstance("carbon-solar", "small", 1);
    const p = await plan(inventory, app, { autoBudgetMs: 60_000 });
    expect(p.strategy).toBe("exact");
    expect(p.solver?.optimal).toBe(true);
    expect(p.solver?.requested).toBe("auto");
    expect(p.totals.gapToBound).toBe(0);
    expect(p.totals.lowerBound).toBeCloseTo(p.totals.objective, 12);
    expect(assessPlacement(inventory, app, p.placements).violations).toEqual([]);
    const exact = await plan(inventory, app, { strategy: "exact" });
    expect(p.totals.objective).toBeCloseTo(exact.totals.objective, 9);
  }, 120_000);

  it("falls back to the heuristic with a proven lower bound when the budget is spent", async () => {
    const { inventory, app } = familyInstance("many-small", "medium", 1);
    const p = await plan(inventory, app, { autoBudgetMs: 1 });
    expect(p.strategy).toBe("heuristic");
    expect(p.solver?.optimal).toBeUndefined();
    expect(p.solver?.reason).toMatch(/budget/);
    expect(p.feasible).toBe(true);
    expect(p.totals.lowerBound).toBeLessThanOrEqual(p.totals.objective);
    expect(p.totals.gapToBound).toBeGreaterThanOrEqual(0);
  }, 120_000);

  it("keeps planSync and Planner synchronous: auto is the heuristic there, with the combinatorial bound", () => {
    const { inventory, app } = familyInstance("gamma", "small", 2);
    const sync = planSync(inventory, app);
    expect(sync.strategy).toBe("heuristic");
    expect(sync.solver?.bound).toBe("combinatorial");
    expect(sync.totals.lowerBound).toBeLessThanOrEqual(sync.totals.objective);
    const session = new Planner(app).plan(inventory);
    expect(session.placements).toEqual(sync.placements);
  });

  it("gives lower bounds no plan beats: combinatorial ≤ HiGHS's optimum", async () => {
    for (const family of ["carbon-solar", "few-large"] as const) {
      const { inventory, app } = familyInstance(family, "small", 2);
      const exact = await plan(inventory, app, { strategy: "exact" });
      if (!exact.solver?.optimal) continue;
      const h = planSync(inventory, app, { strategy: "heuristic" });
      expect(h.totals.lowerBound!).toBeLessThanOrEqual(exact.totals.objective + 1e-9);
      expect(h.totals.objective).toBeGreaterThanOrEqual(exact.totals.objective - 1e-9);
    }
  }, 180_000);
});
