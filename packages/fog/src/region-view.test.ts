import { fogV1 } from "@qonnect/proto";
import { describe, expect, it } from "vitest";
import { encodeRegionCommand } from "./region-command.js";
import { fixtureFacts } from "./region-fixture.js";
import { RegionStateMachine } from "./region-state.js";
import { regionState, summaryParts } from "./region-view.js";

function region(devices: number) {
  const sm = new RegionStateMachine();
  for (let i = 0; i < devices; i++)
    sm.apply(
      encodeRegionCommand(`r${i}`, {
        t: "register",
        device: fixtureFacts(`device-${i}`, `s${i % 3}`),
        tsMs: 0,
      }),
    );
  sm.apply(
    encodeRegionCommand("p", {
      t: "plan",
      planId: "kb-1",
      basePlanVersion: 0,
      origin: "kb",
      placements: [{ app: "shop", service: "web", replica: 0, device: "device-1" }],
      moves: [
        {
          app: "shop",
          service: "web",
          replica: 0,
          fromDevice: "",
          toDevice: "device-1",
          reason: "new",
          tsMs: 0,
        },
      ],
      tsMs: 0,
    }),
  );
  const lead = { leaderId: 2, term: 7, commitIndex: 9, members: [], planInProgress: false };
  return regionState("r1", sm, () => undefined, lead);
}

describe("RegionSummary parts", () => {
  it("fits a small region in one part with everything in it", () => {
    const parts = summaryParts(region(3), 5, 1000).map((p) => fogV1.RegionSummary.decode(p));
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({
      region: "r1",
      leaderId: 2,
      term: 7,
      seq: 5,
      part: 1,
      parts: 1,
      planVersion: 1,
      planId: "kb-1",
    });
    expect(parts[0]!.devices).toHaveLength(3);
    expect(parts[0]!.recentMoves[0]?.reason).toBe("new");
  });

  it("splits a large region into numbered parts of one seq; placements and moves ride in part 1 only", () => {
    const parts = summaryParts(region(500), 6, 1000, 8 * 1024).map((p) => fogV1.RegionSummary.decode(p));
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((p) => [p.seq, p.part, p.parts])).toEqual(parts.map((_, i) => [6, i + 1, parts.length]));
    expect(parts.flatMap((p) => p.devices.map((d) => d.name))).toHaveLength(500);
    expect(parts[0]!.placements).toHaveLength(1);
    expect(parts.slice(1).every((p) => p.placements.length === 0 && p.recentMoves.length === 0)).toBe(true);
  });
});
