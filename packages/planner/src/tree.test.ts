import { LatencyTable } from "@qonnect/core";
import { describe, expect, it } from "vitest";
import { assessPlacement } from "./assess.js";
import { applicationOf, inventoryOf } from "./fixture.js";
import { formulate } from "./formulation.js";
import { weightedObjective } from "./objectives.js";
import { plan } from "./plan.js";
import { buildProblem } from "./problem.js";
import { latencyTree } from "./tree.js";
import type { PlacementEntry } from "./types.js";

const matrix = (sites: string[], links: { from: string; to: string; ms: number }[]) => {
  const table = new LatencyTable(sites, links);
  const S = sites.length;
  const latMs = new Float64Array(S * S);
  for (let a = 0; a < S; a++) for (let b = 0; b < S; b++) latMs[a * S + b] = table.ms(sites[a]!, sites[b]!);
  return latMs;
};

describe("latency tree", () => {
  it("finds the tree of links given as a tree, each edge with the sites below it", () => {
    // a — b — c, and d below b
    const tree = latencyTree(
      matrix(
        ["a", "b", "c", "d"],
        [
          { from: "a", to: "b", ms: 3 },
          { from: "b", to: "c", ms: 5 },
          { from: "b", to: "d", ms: 2 },
        ],
      ),
      4,
    )!;
    expect(tree).toBeDefined();
    const byMs = Object.fromEntries(tree.map((e) => [e.ms, [...e.below]]));
    // rooted at a: the edge a–b has b, c, d below it
    expect(byMs).toEqual({ 3: [0, 1, 1, 1], 5: [0, 0, 1, 0], 2: [0, 0, 0, 1] });
  });

  it("accepts a redundant link that is exactly the path, rejects a shortcut, and handles unreachable sites", () => {
    const sites = ["a", "b", "c"];
    const line = [
      { from: "a", to: "b", ms: 3 },
      { from: "b", to: "c", ms: 5 },
    ];
    expect(latencyTree(matrix(sites, [...line, { from: "a", to: "c", ms: 8 }]), 3)).toHaveLength(2);
    expect(latencyTree(matrix(sites, [...line, { from: "a", to: "c", ms: 6 }]), 3)).toBeUndefined();
    // c unreachable: a forest of two components
    expect(latencyTree(matrix(sites, [line[0]!]), 3)).toHaveLength(1);
  });
});

// Two calling services on a small tree of sites; the optimum by trying all 5^4 assignments.
function instance(links: { from: string; to: string; ms: number }[]) {
  const inventory = inventoryOf({
    zones: [
      { name: "D", intensityGPerKWh: 600 },
      { name: "C", intensityGPerKWh: 50 },
    ],
    sites: ["a", "b", "c", "d"].map((name) => ({
      name,
      tier: "edge",
      region: "r",
      zone: name < "c" ? "D" : "C",
    })),
    latencies: links,
    devices: [
      ["a1", "a", 2],
      ["b1", "b", 2],
      ["c1", "c", 1],
      ["c2", "c", 2],
      ["d1", "d", 4],
    ].map(([name, site, cpu]) => ({
      name,
      site,
      arch: "arm64",
      cpu,
      memory: "4Gi",
      power: { idleW: 2, maxW: 2 + 4 * Number(cpu) },
    })),
  });
  const app = applicationOf({
    qos: { carbon: 1, latency: 1 },
    services: [
      { name: "api", replicas: 2, resources: { cpu: "1", memory: "1Gi" } },
      {
        name: "web",
        replicas: 2,
        resources: { cpu: "1", memory: "1Gi" },
        placement: { nearUsers: { site: "a", maxLatencyMs: 20 } },
        calls: [{ service: "api", maxLatencyMs: 12 }],
      },
    ],
  });
  return { inventory, app };
}

function enumerate(
  inventory: ReturnType<typeof instance>["inventory"],
  app: ReturnType<typeof instance>["app"],
) {
  const p = buildProblem(inventory, app);
  const names = inventory.devices.map((d) => d.name);
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 5 ** 4; k++) {
    const placements: PlacementEntry[] = [0, 1, 2, 3].map((i) => ({
      app: app.name,
      service: i < 2 ? "api" : "web",
      replica: i % 2,
      device: names[Math.floor(k / 5 ** i) % 5]!,
    }));
    const { totals, violations } = assessPlacement(inventory, app, placements);
    if (violations.length === 0) best = Math.min(best, weightedObjective(p.alpha, totals));
  }
  return best;
}

describe("exact model of call latency", () => {
  const tree = [
    { from: "a", to: "b", ms: 4 },
    { from: "b", to: "c", ms: 6 },
    { from: "b", to: "d", ms: 9 },
  ];
  it("on a latency tree (one term per tree edge) equals enumeration", async () => {
    const { inventory, app } = instance(tree);
    const p = buildProblem(inventory, app);
    expect(latencyTree(p.latMs, p.siteCount)).toHaveLength(3);
    const optimum = enumerate(inventory, app);
    const exact = await plan(inventory, app, { strategy: "exact" });
    expect(exact.solver?.optimal).toBe(true);
    expect(exact.totals.objective).toBeCloseTo(optimum, 9);
  });

  it("without a tree (a shortcut link) falls back to site pairs and still equals enumeration", async () => {
    const { inventory, app } = instance([...tree, { from: "c", to: "d", ms: 7 }]);
    const p = buildProblem(inventory, app);
    expect(latencyTree(p.latMs, p.siteCount)).toBeUndefined();
    const optimum = enumerate(inventory, app);
    const exact = await plan(inventory, app, { strategy: "exact" });
    expect(exact.totals.objective).toBeCloseTo(optimum, 9);
    // the tree form is smaller: fewer columns than the pairwise expansion of the same calls
    expect(formulate(buildProblem(instance(tree).inventory, app)).milp.colCount).toBeLessThan(
      formulate(p).milp.colCount,
    );
  });
});
