import { describe, expect, it } from "vitest";
import type { PlacementRecord, VerdictName } from "./region-command.js";
import { fixtureContext } from "./region-fixture.js";
import { regionModel } from "./region-model.js";
import { replanRegion } from "./replan.js";

const DEVICES = { a: "s1", b: "s1", c: "s1", d: "s2" };
const P = (service: string, replica: number, device: string): PlacementRecord => ({
  app: "shop",
  service,
  replica,
  device,
});
const current = [P("db", 0, "c"), P("web", 0, "a"), P("web", 1, "b")];

function input(
  verdicts: Record<string, { verdict: VerdictName; sinceMs: number }>,
  nowMs: number,
  grace = 5,
) {
  return {
    model: regionModel(fixtureContext({ devices: DEVICES, partitionGraceSeconds: grace })),
    placements: current,
    verdictOf: (d: string) => verdicts[d] ?? { verdict: "alive" as VerdictName, sinceMs: 0 },
    live: () => undefined,
    nowMs,
  };
}

describe("replanRegion", () => {
  it("does nothing while every host is alive", () => {
    expect(replanRegion(input({}, 1000))).toBeUndefined();
  });

  it("moves only the replicas of a dead device, to a live one, and says why", () => {
    const r = replanRegion(input({ a: { verdict: "dead", sinceMs: 900 } }, 1000))!;
    expect(r.problems).toEqual([]);
    const web0 = r.placements.find((p) => p.service === "web" && p.replica === 0)!;
    expect(["c", "d"]).toContain(web0.device);
    // hysteresis: what did not have to move stays
    expect(r.placements.filter((p) => p !== web0)).toEqual(
      expect.arrayContaining([P("db", 0, "c"), P("web", 1, "b")]),
    );
    expect(r.moves).toEqual([
      expect.objectContaining({
        service: "web",
        replica: 0,
        fromDevice: "a",
        toDevice: web0.device,
        reason: "device a is dead",
      }),
    ]);
  });

  it("leaves an unreachable device's replicas alone until the partition grace is over", () => {
    const cut = {
      d: { verdict: "unreachable" as VerdictName, sinceMs: 0 },
      a: { verdict: "unreachable" as VerdictName, sinceMs: 0 },
    };
    expect(replanRegion(input(cut, 4000, 5))).toBeUndefined();
    const r = replanRegion(input(cut, 5000, 5))!;
    expect(r.moves.map((m) => m.fromDevice)).toEqual(["a"]);
    expect(r.moves[0]!.reason).toMatch(/unreachable for 5 s \(partition grace over\)/);
    // grace 0: at once
    expect(replanRegion(input(cut, 1, 0))?.moves).toHaveLength(1);
  });
});
