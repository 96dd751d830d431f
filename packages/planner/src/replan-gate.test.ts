import { describe, expect, it } from "vitest";
import { applicationOf, inventoryOf } from "./fixture.js";
import { planSync } from "./plan.js";

// A voluntary re-plan of a large application: the one replica on a grid that turned dirty moves when its own
// gain beats the price of a move, however small its share of the whole objective; a small change moves none.
const fleet = (plGPerKWh: number, berlin: number) =>
  inventoryOf({
    zones: [
      { name: "DE", intensityGPerKWh: 380 },
      { name: "PL", intensityGPerKWh: plGPerKWh },
    ],
    sites: [
      { name: "berlin", tier: "edge", region: "r", zone: "DE" },
      { name: "krakow", tier: "edge", region: "r", zone: "PL" },
    ],
    devices: [
      ...Array.from({ length: berlin }, (_, i) => ({
        name: `b${i}`,
        site: "berlin",
        arch: "arm64",
        cpu: 4,
        memory: "4Gi",
        power: { idleW: 3, maxW: 8 },
      })),
      { name: "k0", site: "krakow", arch: "arm64", cpu: 4, memory: "4Gi", power: { idleW: 3, maxW: 8 } },
    ],
  });
const app = applicationOf({
  qos: { carbon: 1 },
  services: [
    {
      name: "w",
      replicas: 200,
      resources: { cpu: "500m", memory: "128Mi" },
      placement: { spread: "device" },
    },
  ],
});

describe("voluntary re-plan of a large application (per-replica gate)", () => {
  const first = planSync(fleet(100, 205), app, { strategy: "heuristic" });

  it("moves the replica off a grid turned 2.4 times dirtier than the alternative, and only it", () => {
    expect(first.placements.filter((p) => p.device === "k0")).toHaveLength(1);
    const after = planSync(fleet(900, 205), app, { strategy: "heuristic", current: first.placements });
    expect(after.moves.map((m) => [m.op, m.why])).toEqual([
      ["start", "better"],
      ["stop", "better"],
    ]);
    expect(after.moves[1]!.device).toBe("k0");
    expect(after.replan).toMatchObject({ moved: 1, kept: 199 });
    expect(after.replan!.moves[0]!.gain).toBeGreaterThan(after.replan!.migration + after.replan!.hysteresis);
  });

  it("keeps everything when the gain is below the price of a move", () => {
    const after = planSync(fleet(450, 205), app, { strategy: "heuristic", current: first.placements });
    expect(after.moves).toEqual([]);
    expect(after.replan).toMatchObject({ moved: 0, kept: 200 });
    expect(after.replan!.stay.carbonGPerH).toBeCloseTo(after.totals.carbonGPerH);
  });
});
