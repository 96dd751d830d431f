import { describe, expect, it } from "vitest";
import { encodeRegionCommand, type RegionCommand } from "./region-command.js";
import { PLAN_ID_WINDOW, RegionStateMachine } from "./region-state.js";

const facts = (name: string, site = "s1") => ({
  name,
  site,
  tier: "edge",
  arch: "amd64",
  cpuCores: 4,
  memoryBytes: 4 << 30,
  gpus: 0,
  labels: {},
});

let n = 0;
function apply(sm: RegionStateMachine, cmd: RegionCommand) {
  return sm.apply(encodeRegionCommand(`p${n++}`, cmd)).result;
}

function plan(planId: string, base: number, device = "a"): RegionCommand {
  return {
    t: "plan",
    planId,
    basePlanVersion: base,
    origin: "kb",
    placements: [{ app: "x", service: "web", replica: 0, device }],
    moves: [
      { app: "x", service: "web", replica: 0, fromDevice: "", toDevice: device, reason: "new", tsMs: 1 },
    ],
    tsMs: 1,
  };
}

describe("RegionStateMachine", () => {
  it("assigns plan versions, is idempotent by plan id and refuses a stale base version", () => {
    const sm = new RegionStateMachine();
    expect(apply(sm, plan("kb-1", 0))).toEqual({ kind: "plan", planVersion: 1, duplicate: false });
    expect(apply(sm, plan("kb-1", 0))).toEqual({ kind: "plan", planVersion: 1, duplicate: true });
    expect(apply(sm, plan("kb-2", 0))).toEqual({ kind: "stale", currentVersion: 1 });
    expect(apply(sm, plan("kb-2", 1, "b"))).toEqual({ kind: "plan", planVersion: 2, duplicate: false });
    expect(sm.plan?.placements[0]?.device).toBe("b");
    expect(sm.recentMoves.map((m) => m.planVersion)).toEqual([1, 2]);
  });

  it("records acks of the current plan only, and keeps the highest token a device held", () => {
    const sm = new RegionStateMachine();
    apply(sm, { t: "register", device: facts("a"), tsMs: 5 });
    apply(sm, plan("kb-1", 0));
    const ack = (planVersion: number, term: number, accepted = true) =>
      apply(sm, {
        t: "ack",
        device: "a",
        planVersion,
        phase: "make",
        token: { term, planVersion },
        accepted,
        workloads: [{ app: "x", service: "web", replica: 0, state: 2 }],
        tsMs: 6,
      });
    ack(0, 1);
    expect(sm.acked("a", "make")).toBe(false);
    ack(1, 2);
    expect(sm.acked("a", "make")).toBe(true);
    expect(sm.devices.get("a")?.ackedToken).toEqual({ term: 2, planVersion: 1 });
    ack(1, 1);
    expect(sm.devices.get("a")?.ackedToken).toEqual({ term: 2, planVersion: 1 });
    apply(sm, plan("kb-2", 1));
    expect(sm.acked("a", "make")).toBe(false);
  });

  it("stamps verdict changes with the proposer's time and keeps the time while the verdict stays", () => {
    const sm = new RegionStateMachine();
    apply(sm, { t: "register", device: facts("a"), tsMs: 1 });
    apply(sm, { t: "verdicts", changes: [{ device: "a", verdict: "alive", reason: "reports" }], tsMs: 10 });
    apply(sm, {
      t: "verdicts",
      changes: [{ device: "a", verdict: "unreachable", reason: "site s1 silent" }],
      tsMs: 20,
    });
    apply(sm, {
      t: "verdicts",
      changes: [{ device: "a", verdict: "unreachable", reason: "still" }],
      tsMs: 30,
    });
    expect(sm.devices.get("a")).toMatchObject({
      verdict: "unreachable",
      verdictSinceMs: 20,
      verdictReason: "still",
    });
    // a re-registration keeps the verdict and the acknowledged token
    apply(sm, { t: "register", device: { ...facts("a"), cpuCores: 8 }, tsMs: 40 });
    expect(sm.devices.get("a")).toMatchObject({ verdict: "unreachable", cpuCores: 8 });
  });

  it("round-trips through a snapshot byte for byte", () => {
    const sm = new RegionStateMachine();
    apply(sm, { t: "register", device: facts("b"), tsMs: 1 });
    apply(sm, { t: "register", device: facts("a", "s2"), tsMs: 1 });
    apply(sm, plan("kb-1", 0));
    apply(sm, {
      t: "member",
      memberId: 2,
      raftAddress: "127.0.0.1:2",
      fogAddress: "127.0.0.1:3",
      learner: false,
      remove: false,
    });
    const bytes = sm.snapshot();
    const copy = new RegionStateMachine();
    copy.restore(bytes);
    expect(Buffer.from(copy.snapshot()).equals(Buffer.from(bytes))).toBe(true);
    expect(copy.planVersionOf("kb-1")).toBe(1);
    // and keeps applying identically afterwards
    apply(sm, plan("kb-2", 1));
    apply(copy, plan("kb-2", 1));
    expect(Buffer.from(copy.snapshot()).equals(Buffer.from(sm.snapshot()))).toBe(true);
  });

  it("skips commands of a newer format version and undecodable entries without throwing", () => {
    const sm = new RegionStateMachine();
    const newer = new TextEncoder().encode(JSON.stringify({ v: 99, id: "z", t: "teleport" }));
    expect(sm.apply(newer).result).toEqual({ kind: "skipped", reason: "entry format v99" });
    expect(sm.apply(new Uint8Array([1, 2, 3])).result.kind).toBe("skipped");
    expect(sm.skipped).toBe(2);
  });

  it("keeps the plan-id window bounded", () => {
    const sm = new RegionStateMachine();
    for (let i = 0; i < PLAN_ID_WINDOW + 10; i++) apply(sm, plan(`kb-${i}`, i));
    expect(sm.planVersionOf("kb-0")).toBeUndefined();
    expect(sm.planVersionOf(`kb-${PLAN_ID_WINDOW + 9}`)).toBe(PLAN_ID_WINDOW + 10);
    const snap = JSON.parse(new TextDecoder().decode(sm.snapshot()));
    expect(snap.planIds).toHaveLength(PLAN_ID_WINDOW);
  });
});
