// Real processes on loopback: three fog leads (`qonnect-fog run`), five device agents (emulated INA219,
// process runtime), a real nats-server, the Knowledge Base double over real gRPC. One shared region, the
// scenarios in order: plan through a follower, kill -9 a device, kill -9 the leader mid-plan, restart all.
import { fogV1 } from "@qonnect/proto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { RegionRig } from "../bench/lib/rig.js";
import { fixtureContext } from "./region-fixture.js";
import { contextToProto } from "./region-view.js";

const DEVICES = { a1: "s1", a2: "s1", a3: "s1", b1: "s2", b2: "s2" };
const context = contextToProto(fixtureContext({ devices: DEVICES, partitionGraceSeconds: 5 }));
let rig: RegionRig;

const wait = { timeout: 60_000, interval: 250 };

async function region() {
  return rig.kb.getRegion(rig.region);
}

/** Every replica of `placements` reported running on exactly its placed device, and nowhere else. */
function runsExactly(placements: fogV1.Placement[]): boolean {
  const copies = rig.copies();
  for (const p of placements) {
    const where = copies.get(`${p.app}/${p.service}/${p.replica}`) ?? [];
    if (where.length !== 1 || where[0] !== p.device) return false;
  }
  return [...copies.values()].every((d) => d.length === 1);
}

beforeAll(async () => {
  rig = await RegionRig.start({ devices: DEVICES });
  for (const id of [1, 2, 3]) rig.startLead(id);
  for (const d of Object.keys(DEVICES)) rig.startAgent(d);
  await vi.waitFor(async () => {
    const r = await region();
    expect(r.leaderId).toBeGreaterThan(0);
    expect(r.devices.filter((d) => d.verdict === fogV1.Verdict.VERDICT_ALIVE)).toHaveLength(5);
  }, wait);
}, 120_000);

afterAll(async () => {
  await rig?.stop();
}, 60_000);

describe("fog leads and agents as real processes", () => {
  it("applies a plan sent to a follower by following the leader hint, and runs every replica exactly once", async () => {
    const r = await region();
    const follower = [...rig.leadAddr].find(([id]) => id !== r.leaderId)![1];
    rig.kb.endpoints.unshift(follower);
    const placements = [
      { app: "shop", service: "db", replica: 0, device: "b1" },
      { app: "shop", service: "web", replica: 0, device: "a1" },
      { app: "shop", service: "web", replica: 1, device: "a2" },
    ];
    const res = await rig.kb.applyPlan(
      fogV1.ApplyPlanRequest.create({
        region: rig.region,
        planId: "kb-1",
        basePlanVersion: 0,
        placements,
        context,
        tsMs: Date.now(),
      }),
    );
    expect(res).toMatchObject({ planVersion: 1, duplicate: false });
    expect(rig.kb.hintsFollowed).toContain(rig.leadAddr.get(r.leaderId));
    // the same plan id again is the same plan
    const again = await rig.kb.applyPlan(
      fogV1.ApplyPlanRequest.create({
        region: rig.region,
        planId: "kb-1",
        basePlanVersion: 0,
        placements,
        context,
      }),
    );
    expect(again).toMatchObject({ planVersion: 1, duplicate: true });
    await vi.waitFor(() => expect(runsExactly(placements)).toBe(true), wait);
    await vi.waitFor(async () => expect((await region()).planInProgress).toBe(false), wait);
    // the summary on NATS carries the plan and the devices
    await vi.waitFor(() => {
      expect(rig.summaries.latest?.planVersion).toBe(1);
      expect(rig.summaries.latest?.devices).toHaveLength(5);
    }, wait);
  }, 120_000);
});
