// A whole site cut off with a network namespace (real veth, real processes): its devices are unreachable,
// not dead; nothing moves during the partition grace; after it the replicas move; once the cut heals the
// moved-away copies are stopped on the returning devices, so every replica runs exactly once.
import { fogV1 } from "@qonnect/proto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { RegionRig } from "../bench/lib/rig.js";
import { createSiteNet, type SiteNet, startNatsOn } from "../bench/lib/site-net.js";
import { fixtureContext } from "./region-fixture.js";
import { contextToProto } from "./region-view.js";

const DEVICES = { a1: "s1", a2: "s1", a3: "s1", b1: "s2", b2: "s2" };
const CUT = ["b1", "b2"];
const GRACE_S = 5;
const wait = { timeout: 60_000, interval: 200 };
let rig: RegionRig;
let site: SiteNet;

beforeAll(async () => {
  site = createSiteNet();
  const nats = await startNatsOn(site.hostAddress);
  rig = await RegionRig.start(
    { devices: DEVICES, wrapAgent: (d) => (CUT.includes(d) ? site.wrap : []) },
    nats,
  );
  for (const id of [1, 2, 3]) rig.startLead(id);
  for (const d of Object.keys(DEVICES)) rig.startAgent(d);
  await vi.waitFor(async () => {
    const r = await rig.kb.getRegion(rig.region);
    expect(r.devices.filter((d) => d.verdict === fogV1.Verdict.VERDICT_ALIVE)).toHaveLength(5);
  }, wait);
}, 120_000);

afterAll(async () => {
  await rig?.stop();
  site?.remove();
}, 60_000);

function runsExactly(placements: fogV1.Placement[]): boolean {
  const copies = rig.copies();
  return (
    placements.every((p) => {
      const where = copies.get(`${p.app}/${p.service}/${p.replica}`) ?? [];
      return where.length === 1 && where[0] === p.device;
    }) && [...copies.values()].every((d) => d.length === 1)
  );
}

describe("a site cut off by a network namespace (emulated uplink cut: veth down)", () => {
  it("marks the site unreachable, moves nothing during the grace, and heals to exactly one copy of every replica", async () => {
    const placements = [
      { app: "shop", service: "db", replica: 0, device: "b2" },
      { app: "shop", service: "web", replica: 0, device: "a1" },
      { app: "shop", service: "web", replica: 1, device: "b1" },
    ];
    const context = contextToProto(fixtureContext({ devices: DEVICES, partitionGraceSeconds: GRACE_S }));
    const res = await rig.kb.applyPlan(
      fogV1.ApplyPlanRequest.create({
        region: rig.region,
        planId: "kb-cut",
        basePlanVersion: 0,
        placements,
        context,
      }),
    );
    await vi.waitFor(() => expect(runsExactly(placements)).toBe(true), wait);

    site.cut();
    let unreachableAt = 0;
    await vi.waitFor(async () => {
      const r = await rig.kb.getRegion(rig.region);
      for (const d of CUT) {
        const s = r.devices.find((x) => x.name === d)!;
        expect(s.verdict).toBe(fogV1.Verdict.VERDICT_UNREACHABLE);
        expect(s.verdictReason).toMatch(/every device of site s2 silent \(cut\)/);
      }
      unreachableAt = Date.now();
    }, wait);
    // within the grace nothing moves (checked until a second before it can expire)
    while (Date.now() < unreachableAt + (GRACE_S - 1) * 1000) {
      const r = await rig.kb.getRegion(rig.region);
      expect(r.planVersion).toBe(res.planVersion);
      await new Promise((x) => setTimeout(x, 250));
    }
    // after it the replicas of the cut site run on the site that still reports
    let moved: fogV1.Placement[] = [];
    await vi.waitFor(async () => {
      const r = await rig.kb.getRegion(rig.region);
      expect(r.planVersion).toBe(res.planVersion + 1);
      expect(r.placements.every((p) => !CUT.includes(p.device))).toBe(true);
      expect(r.planInProgress).toBe(false);
      moved = r.placements;
    }, wait);
    const r = await rig.kb.getRegion(rig.region);
    expect(r.recentMoves.filter((m) => m.planVersion === r.planVersion).map((m) => m.reason)).toEqual(
      expect.arrayContaining([expect.stringMatching(/unreachable for \d+ s \(partition grace over\)/)]),
    );
    await vi.waitFor(() => {
      const copies = rig.copies();
      for (const p of moved) expect(copies.get(`${p.app}/${p.service}/${p.replica}`)).toContain(p.device);
    }, wait);

    site.heal();
    // the returning devices report again, are told to stop what moved away: one copy of every replica
    await vi.waitFor(
      async () => {
        const now = await rig.kb.getRegion(rig.region);
        for (const d of CUT)
          expect(now.devices.find((x) => x.name === d)?.verdict).toBe(fogV1.Verdict.VERDICT_ALIVE);
        for (const d of CUT) expect(rig.reported.get(d)?.running).toEqual([]);
        expect(runsExactly(moved)).toBe(true);
      },
      { timeout: 90_000, interval: 250 },
    );
  }, 240_000);
});
