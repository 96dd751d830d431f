// `recover` on real processes: three fog leads and two agents on a real nats-server; two leads are lost for
// good (kill -9, their data wiped), the survivor is recovered from its own write-ahead log as a one-member
// group, takes plans again, and a wiped member is added back and catches up.
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fogV1 } from "@qonnect/proto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bundle, RegionRig } from "../bench/lib/rig.js";
import { FogClient } from "./fog-client.js";
import { fixtureContext } from "./region-fixture.js";
import { contextToProto } from "./region-view.js";

const DEVICES = { a1: "s1", a2: "s1" };
const wait = { timeout: 120_000, interval: 250 };
let rig: RegionRig;

/** `node fog.mjs recover --config …` as a process of its own. */
function recover(id: number): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [bundle("packages/fog/src/main.ts", "fog"), "recover", "--config", rig.fogConfigPath(id)],
      (err, out, errText) => resolve({ code: err ? Number(err.code ?? 1) : 0, out, err: errText }),
    ),
  );
}

beforeAll(async () => {
  rig = await RegionRig.start({ devices: DEVICES });
  for (const id of [1, 2, 3]) rig.startLead(id);
  for (const d of Object.keys(DEVICES)) rig.startAgent(d);
  await vi.waitFor(async () => {
    const r = await rig.kb.getRegion(rig.region);
    expect(r.devices.filter((d) => d.verdict === fogV1.Verdict.VERDICT_ALIVE)).toHaveLength(2);
  }, wait);
}, 240_000);

afterAll(async () => {
  await rig?.stop();
}, 60_000);

describe("qonnect fog recover (real processes)", () => {
  it("brings a region that lost its quorum back from one member's log, then takes members back", async () => {
    const context = contextToProto(fixtureContext({ devices: DEVICES }));
    const planned = await rig.kb.applyPlan(
      fogV1.ApplyPlanRequest.create({
        region: rig.region,
        planId: "before-loss",
        basePlanVersion: 0,
        placements: [
          { app: "shop", service: "db", replica: 0, device: "a1" },
          { app: "shop", service: "web", replica: 0, device: "a2" },
          { app: "shop", service: "web", replica: 1, device: "a1" },
        ],
        context,
      }),
    );
    const survivor = 1;
    const survivorAddr = rig.leadAddr.get(survivor)!;
    // the survivor has applied the plan before the others are lost
    await vi.waitFor(async () => {
      expect((await rig.kb.getRegion(rig.region, survivorAddr)).planVersion).toBe(planned.planVersion);
    }, wait);

    // recover refuses a running member (its data directory is locked) and changes nothing
    const running = await recover(survivor);
    expect(running.code).toBe(1);
    expect(running.err).toMatch(/member 1 is running .* stop it, then run recover again/);

    // members 2 and 3 are lost for good: no quorum is left
    for (const id of [2, 3]) {
      await rig.killLead(id);
      rmSync(join(rig.dir, `fog${id}`), { recursive: true, force: true });
    }
    await rig.killLead(survivor);
    const done = await recover(survivor);
    expect(done.err).toBe("");
    expect(done.code).toBe(0);
    const result = JSON.parse(done.out) as {
      member: number;
      planVersion: number;
      devices: number;
      keptAs: string;
    };
    expect(result).toMatchObject({ member: 1, planVersion: planned.planVersion, devices: 2 });
    expect(result.keptAs).toContain("fog1.before-recover-");

    // the survivor leads alone, with the region's state, and commits a new plan
    rig.startLead(survivor);
    await vi.waitFor(async () => {
      const r = await rig.kb.getRegion(rig.region, survivorAddr);
      expect(r.leaderId).toBe(survivor);
      expect(r.members.map((m) => m.id)).toEqual([survivor]);
      expect(r.planVersion).toBe(planned.planVersion);
      expect(r.devices.map((d) => d.name).sort()).toEqual(["a1", "a2"]);
    }, wait);
    const after = await rig.kb.applyPlan(
      fogV1.ApplyPlanRequest.create({
        region: rig.region,
        planId: "after-recover",
        basePlanVersion: planned.planVersion,
        placements: [
          { app: "shop", service: "db", replica: 0, device: "a2" },
          { app: "shop", service: "web", replica: 0, device: "a2" },
          { app: "shop", service: "web", replica: 1, device: "a1" },
        ],
      }),
    );
    expect(after.planVersion).toBe(planned.planVersion + 1);

    // member 2 comes back with an empty data directory and waits to be added: first as a learner (a
    // one-member group that added a voter at once would need the newcomer for its quorum before it caught up),
    // then, once it holds the region's state, promoted to a voter
    rig.writeFogConfig(2, "initialClusterState: existing");
    rig.startLead(2);
    const member2 = rig.leadAddr.get(2)!;
    const admin = new FogClient([survivorAddr]);
    const add = (learner: boolean) =>
      vi.waitFor(
        () =>
          admin.addMember(
            fogV1.AddMemberRequest.create({ id: 2, raftAddress: member2, fogAddress: member2, learner }),
          ),
        wait,
      );
    try {
      await add(true);
      await vi.waitFor(async () => {
        expect((await rig.kb.getRegion(rig.region, member2)).planVersion).toBe(after.planVersion);
      }, wait);
      await add(false);
    } finally {
      admin.close();
    }
    await vi.waitFor(async () => {
      const r = await rig.kb.getRegion(rig.region, member2);
      expect(
        r.members
          .filter((m) => !m.learner)
          .map((m) => m.id)
          .sort(),
      ).toEqual([1, 2]);
      expect(r.planVersion).toBe(after.planVersion);
      expect(r.leaderId).toBeGreaterThan(0);
    }, wait);
  }, 400_000);
});
