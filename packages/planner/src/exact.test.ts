import type { Application, Inventory } from "@qonnect/core";
import { describe, expect, it } from "vitest";
import { assessPlacement } from "./assess.js";
import { generateSmallInstance } from "./generate.js";
import { weightedObjective } from "./objectives.js";
import { plan } from "./plan.js";
import { buildProblem } from "./problem.js";
import type { PlacementEntry } from "./types.js";

/** The optimum by trying every assignment (independent of both solvers' bookkeeping). */
function enumerate(inventory: Inventory, app: Application): number {
  const p = buildProblem(inventory, app);
  const slots = app.services.flatMap((s) =>
    Array.from({ length: s.replicas }, (_, r) => ({ service: s.name, r })),
  );
  const D = inventory.devices.length;
  let best = Number.POSITIVE_INFINITY;
  const pick = new Array<number>(slots.length).fill(0);
  for (let k = 0; k < D ** slots.length; k++) {
    let rest = k;
    for (let i = 0; i < slots.length; i++) {
      pick[i] = rest % D;
      rest = Math.floor(rest / D);
    }
    const placements: PlacementEntry[] = slots.map((s, i) => ({
      app: app.name,
      service: s.service,
      replica: s.r,
      device: inventory.devices[pick[i]!]!.name,
    }));
    const { totals, violations } = assessPlacement(inventory, app, placements);
    if (violations.length === 0) best = Math.min(best, weightedObjective(p.alpha, totals));
  }
  return best;
}

const instance = (seed: number) => generateSmallInstance(seed, 3 + (seed % 3), 3 + ((seed * 7) % 3));

describe("heuristic against exact on enumerable instances", () => {
  for (let seed = 1; seed <= 16; seed++)
    it(`seed ${seed}: exact equals enumeration and the heuristic finds the same optimum`, async () => {
      const { inventory, app } = instance(seed);
      const optimum = enumerate(inventory, app);
      const exact = await plan(inventory, app, { strategy: "exact" });
      const heuristic = await plan(inventory, app, { strategy: "heuristic" });
      if (!Number.isFinite(optimum)) {
        expect(exact.feasible).toBe(false);
        expect(heuristic.feasible).toBe(false);
        return;
      }
      expect(exact.feasible).toBe(true);
      expect(exact.totals.objective).toBeCloseTo(optimum, 9);
      expect(heuristic.feasible).toBe(true);
      expect(heuristic.totals.objective).toBeCloseTo(optimum, 9);
      expect(assessPlacement(inventory, app, exact.placements).violations).toEqual([]);
    });
});
