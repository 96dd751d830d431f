import { describe, expect, it } from "vitest";
import { assessPlacement } from "./assess.js";
import { applicationOf, inventoryOf } from "./fixture.js";
import { callCluster, largeNeighbourhoodSearch } from "./lns.js";
import { weightedObjective } from "./objectives.js";
import { buildProblem } from "./problem.js";
import { seededRandom } from "./rng.js";
import { PlacementState } from "./state.js";
import type { PlacementEntry } from "./types.js";

// A call chain pinned to a dirty pair of sites: every replica of `web` must be within 5 ms of every replica
// of `api`, and the clean site is 30 ms away. No single move or swap is feasible (moving one replica breaks
// the limit for its partners), and a ruin of one service leaves the other pinning it: only a ruin that takes
// both services at once (the call-cluster ruin does by construction) reaches the clean site.
const inventory = inventoryOf({
  zones: [
    { name: "X", intensityGPerKWh: 700 },
    { name: "Y", intensityGPerKWh: 600 },
    { name: "C", intensityGPerKWh: 20 },
  ],
  sites: [
    { name: "a", tier: "edge", region: "r", zone: "X" },
    { name: "b", tier: "edge", region: "r", zone: "Y" },
    { name: "c", tier: "edge", region: "r", zone: "C" },
  ],
  latencies: [
    { from: "a", to: "b", ms: 2 },
    { from: "b", to: "c", ms: 30 },
  ],
  devices: ["a1", "a2", "b1", "b2", "c1", "c2"].map((name) => ({
    name,
    site: name[0],
    arch: "arm64",
    cpu: 2,
    memory: "4Gi",
    power: { idleW: 2, maxW: 10 },
  })),
});
const app = applicationOf({
  qos: { carbon: 1 },
  services: [
    { name: "api", replicas: 2, resources: { cpu: "1", memory: "1Gi" } },
    {
      name: "web",
      replicas: 2,
      resources: { cpu: "1", memory: "1Gi" },
      calls: [{ service: "api", maxLatencyMs: 5 }],
    },
  ],
});

/** The optimum by trying all 6^4 assignments against the independent assessment. */
function enumerate(): number {
  const p = buildProblem(inventory, app);
  const names = inventory.devices.map((d) => d.name);
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 6 ** 4; k++) {
    const pick = [k % 6, Math.floor(k / 6) % 6, Math.floor(k / 36) % 6, Math.floor(k / 216) % 6];
    const placements: PlacementEntry[] = pick.map((d, i) => ({
      app: app.name,
      service: i < 2 ? "api" : "web",
      replica: i % 2,
      device: names[d]!,
    }));
    const { totals, violations } = assessPlacement(inventory, app, placements);
    if (violations.length === 0) best = Math.min(best, weightedObjective(p.alpha, totals));
  }
  return best;
}

describe("call-cluster neighbourhood of the large-neighbourhood search", () => {
  it("ruins every service reachable over calls", () => {
    const p = buildProblem(inventory, app);
    const all = [0, 1, 2, 3];
    expect(callCluster(p, 0, all, seededRandom(1)).sort()).toEqual(all);
    expect(callCluster(p, 3, all, seededRandom(2)).sort()).toEqual(all);
    // only replicas in the pool (re-planning focus) are ruined
    expect(callCluster(p, 2, [2, 3, 0], seededRandom(3)).sort()).toEqual([0, 2, 3]);
  });

  it("moves a pinned call chain to the clean site: the enumerated optimum", () => {
    const p = buildProblem(inventory, app);
    const state = new PlacementState(p);
    const dev = (n: string) => inventory.devices.findIndex((d) => d.name === n);
    // api on a1, a2 (zone X); web on b1, b2 (zone Y): a local optimum for moves and swaps
    state.place(0, dev("a1"));
    state.place(1, dev("a2"));
    state.place(2, dev("b1"));
    state.place(3, dev("b2"));
    const stuck = state.objective;
    // no single replica can move to the clean site: its partners are 30 ms away
    for (let i = 0; i < 4; i++)
      for (const d of [dev("c1"), dev("c2")]) expect(state.blocker(i, d)).toBeDefined();
    largeNeighbourhoodSearch(p, state, seededRandom(7), {
      iterations: 25,
      maxEvaluations: 1_000_000,
      deadline: Number.POSITIVE_INFINITY,
      window: 64,
    });
    const optimum = enumerate();
    expect(optimum).toBeLessThan(stuck);
    expect(state.objective).toBeCloseTo(optimum, 12);
    for (let i = 0; i < 4; i++) expect(p.siteOf[state.device[i]!]).toBe(p.siteOf[dev("c1")]);
  });
});
