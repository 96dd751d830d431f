import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { problemMps } from "./exact.js";
import { FAMILIES, familyInstance } from "./families.js";
import { formulate, placementOf, warmStart } from "./formulation.js";
import { solveHeuristic } from "./heuristic.js";
import { plan } from "./plan.js";
import { buildProblem } from "./problem.js";

// The count formulation must price every plan exactly as the placement state does, and its MPS must mean
// the same model to another solver.

describe("count formulation", () => {
  for (const family of FAMILIES)
    it(`${family}: a heuristic plan's column values satisfy every row and price it exactly`, () => {
      for (const seed of [1, 2]) {
        const { inventory, app } = familyInstance(family, "small", seed);
        const p = buildProblem(inventory, app);
        const h = solveHeuristic(p, { lnsIterations: 0 });
        if (h.unplaced.length > 0) continue;
        const f = formulate(p);
        const x = warmStart(f, p, h.state);
        expect(f.milp.violation(x)).toBeLessThan(1e-6);
        const objective = h.state.totals().objective;
        expect(f.milp.objective(x)).toBeCloseTo(objective, 9);
        // and the counts map back to a placement with the same objective
        expect(placementOf(f, p, x)!.totals().objective).toBeCloseTo(objective, 9);
      }
    });

  it("keeps a service with no room anywhere as an empty row, so the exported model is infeasible too", () => {
    const { inventory, app } = familyInstance("calls", "small", 1);
    const big = { ...app, services: app.services.map((s, k) => (k === 0 ? { ...s, cpuCores: 1000 } : s)) };
    const f = formulate(buildProblem(inventory, big));
    expect(f.empty).toBe(true);
    expect(problemMps(buildProblem(inventory, big))).toMatch(/ E r0\n/);
  });

  it("COIN-OR CBC (a real cbc process) agrees with HiGHS on the exported MPS", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qonnect-mps-"));
    try {
      for (const [family, seed] of [
        ["carbon-solar", 2],
        ["few-large", 1],
        ["calls", 4],
      ] as const) {
        const { inventory, app } = familyInstance(family, "small", seed);
        const exact = await plan(inventory, app, { strategy: "exact" });
        const file = join(dir, `${family}.mps`);
        writeFileSync(file, problemMps(buildProblem(inventory, app)));
        const run = spawnSync("cbc", [file, "-sec", "120", "-threads", "1", "-solve", "-quit"], {
          encoding: "utf8",
        });
        if (run.error) throw new Error(`cbc did not run (apt-get install coinor-cbc): ${run.error.message}`);
        if (!exact.feasible) {
          expect(run.stdout).toMatch(/infeasible/i);
          continue;
        }
        expect(run.stdout).toContain("Result - Optimal solution found");
        const cbc = Number(/Objective value:\s+(\S+)/.exec(run.stdout)![1]);
        expect(cbc).toBeCloseTo(exact.totals.objective, 6);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
