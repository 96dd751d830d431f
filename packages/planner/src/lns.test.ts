import { describe, expect, it } from "vitest";
import { assessPlacement } from "./assess.js";
import { FAMILIES, familyInstance } from "./families.js";
import { planSync } from "./plan.js";

/** Every family planned several times: seconds of CPU, more on a loaded shared machine. */
const LNS_TIMEOUT_MS = 180_000;

describe("large-neighbourhood search", () => {
  it(
    "is deterministic for a seed and never worse than local search alone, with no hard violation",
    () => {
      for (const family of FAMILIES) {
        const { inventory, app } = familyInstance(family, "small", 5);
        const a = planSync(inventory, app, { seed: 3 });
        const b = planSync(inventory, app, { seed: 3 });
        expect(b.placements).toEqual(a.placements);
        const plain = planSync(inventory, app, { seed: 3, lnsIterations: 0 });
        if (!plain.feasible) continue;
        expect(a.feasible).toBe(true);
        expect(a.totals.objective).toBeLessThanOrEqual(plain.totals.objective + 1e-12);
        expect(
          assessPlacement(inventory, app, a.placements).violations.filter((v) => !v.endsWith("not placed")),
        ).toEqual([]);
      }
    },
    LNS_TIMEOUT_MS,
  );

  it(
    "finds what moves and swaps miss on call chains (moving groups of replicas together)",
    () => {
      let better = 0;
      for (let seed = 1; seed <= 6; seed++) {
        const { inventory, app } = familyInstance("calls", "small", seed);
        const plain = planSync(inventory, app, { lnsIterations: 0 });
        const lns = planSync(inventory, app);
        if (lns.totals.objective < plain.totals.objective - 1e-9) better++;
      }
      expect(better).toBeGreaterThan(0);
    },
    LNS_TIMEOUT_MS,
  );
});
