// Real processes on loopback: three fog leads (`qonnect-fog run`), five device agents (emulated INA219,
// process runtime), a real nats-server, the Knowledge Base double over real gRPC. One shared region, the
// scenarios in order: plan through a follower, kill -9 a device, kill -9 the leader mid-plan, restart all.
import * as grpc from "@grpc/grpc-js";
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

  it("kill -9 of a device: dead within seconds, its replica re-placed locally and running elsewhere once", async () => {
    const before = await region();
    const victim = before.placements.find((p) => p.service === "web" && p.replica === 0)!.device;
    // a follower serves WatchRegion too: a snapshot first, then what it applies
    const follower = [...rig.leadAddr].find(([id]) => id !== before.leaderId)![1];
    const watch = new fogV1.FogLeadClient(follower, grpc.credentials.createInsecure());
    const events: fogV1.RegionEvent[] = [];
    const stream = watch.watchRegion({ region: rig.region });
    stream.on("data", (m: fogV1.WatchRegionResponse) => events.push(m.event!));
    stream.on("error", () => {});
    await vi.waitFor(() => expect(events[0]?.event?.$case).toBe("snapshot"), wait);
    await rig.killDevice(victim);
    await vi.waitFor(async () => {
      const r = await region();
      expect(r.devices.find((d) => d.name === victim)?.verdict).toBe(fogV1.Verdict.VERDICT_DEAD);
      const web0 = r.placements.find((p) => p.service === "web" && p.replica === 0)!;
      expect(web0.device).not.toBe(victim);
      expect(r.planVersion).toBe(before.planVersion + 1);
      expect(runsExactly(r.placements)).toBe(true);
    }, wait);
    const r = await region();
    const move = r.recentMoves.find((m) => m.planVersion === r.planVersion)!;
    expect(move).toMatchObject({ origin: "local", fromDevice: victim, reason: `device ${victim} is dead` });
    expect(r.devices.find((d) => d.name === victim)?.verdictReason).toMatch(/still reports \(crash\)/);
    await vi.waitFor(() => {
      const kinds = events.map((e) => e.event);
      expect(kinds).toContainEqual({
        $case: "verdict",
        value: expect.objectContaining({ device: victim, to: fogV1.Verdict.VERDICT_DEAD }),
      });
      expect(kinds).toContainEqual({
        $case: "plan",
        value: expect.objectContaining({ planVersion: r.planVersion, origin: "local" }),
      });
    }, wait);
    stream.cancel();
    watch.close();
    // the device comes back empty-handed and is alive again; nothing moves back
    rig.startAgent(victim);
    await vi.waitFor(async () => {
      const again = await region();
      expect(again.devices.find((d) => d.name === victim)?.verdict).toBe(fogV1.Verdict.VERDICT_ALIVE);
      expect(again.planVersion).toBe(r.planVersion);
    }, wait);
  }, 120_000);

  it("kill -9 of the leader mid-plan: the new leader finishes the plan and no replica runs twice once it settles", async () => {
    const before = await region();
    const oldLeader = before.leaderId;
    // move db and web/1 onto other devices
    const placements = before.placements.map((p) => ({ ...p }));
    const free = Object.keys(DEVICES).filter((d) => !placements.some((p) => p.device === d));
    placements.find((p) => p.service === "db")!.device = free[0]!;
    placements.find((p) => p.service === "web" && p.replica === 1)!.device = free[1]!;
    const res = await rig.kb.applyPlan(
      fogV1.ApplyPlanRequest.create({
        region: rig.region,
        planId: "kb-2",
        basePlanVersion: before.planVersion,
        placements,
        tsMs: Date.now(),
      }),
    );
    await rig.killLead(oldLeader);
    // a stale base version is refused with the current version (and the new leader is found through hints)
    await expect(
      rig.kb.applyPlan(
        fogV1.ApplyPlanRequest.create({
          region: rig.region,
          planId: "kb-stale",
          basePlanVersion: before.planVersion,
          placements,
        }),
      ),
    ).rejects.toMatchObject({ name: "StalePlanError", currentVersion: res.planVersion });
    await vi.waitFor(async () => {
      const r = await region();
      expect(r.leaderId).not.toBe(oldLeader);
      expect(r.leaderId).toBeGreaterThan(0);
      expect(r.term).toBeGreaterThan(before.term);
      expect(r.planVersion).toBe(res.planVersion);
      expect(r.planInProgress).toBe(false);
      expect(runsExactly(placements)).toBe(true);
    }, wait);
    // every device that hosts something acknowledged the plan under the new leader's term
    const r = await region();
    for (const p of placements)
      expect(r.devices.find((d) => d.name === p.device)?.ackedToken).toEqual({
        term: r.term,
        planVersion: res.planVersion,
      });
    // the survivors did not wait out an election timeout: the killed leader's sockets closed, and they said so
    const survivors = rig.runningLeads();
    expect(
      survivors.some((id) => rig.leadLog(id).includes("the leader's connection closed")),
      `survivors' logs:\n${survivors.map((id) => rig.leadLog(id).slice(-3000)).join("\n")}`,
    ).toBe(true);
    rig.startLead(oldLeader);
  }, 120_000);

  it("restart of every fog lead: the region comes back from the write-ahead logs", async () => {
    await vi.waitFor(async () => expect((await region()).members).toHaveLength(3), wait);
    const before = await region();
    for (const id of rig.runningLeads()) await rig.killLead(id);
    for (const id of [1, 2, 3]) rig.startLead(id);
    await vi.waitFor(async () => {
      const r = await region();
      expect(r.leaderId).toBeGreaterThan(0);
      expect(r.term).toBeGreaterThan(before.term);
    }, wait);
    const r = await region();
    expect(r.planVersion).toBe(before.planVersion);
    expect(r.planId).toBe(before.planId);
    expect(r.placements).toEqual(before.placements);
    expect(r.recentMoves).toEqual(before.recentMoves);
    expect(r.devices.map((d) => [d.name, d.site, d.arch])).toEqual(
      before.devices.map((d) => [d.name, d.site, d.arch]),
    );
    await vi.waitFor(() => expect(runsExactly(r.placements)).toBe(true), wait);
  }, 120_000);
});
