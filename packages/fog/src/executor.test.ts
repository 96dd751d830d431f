import { describe, expect, it } from "vitest";
import { PlanExecutor } from "./executor.js";
import { encodeRegionCommand, type PlacementRecord, type RegionCommand } from "./region-command.js";
import { fixtureContext, fixtureFacts } from "./region-fixture.js";
import { regionModel } from "./region-model.js";
import { RegionStateMachine } from "./region-state.js";

const DEVICES = { a: "s1", b: "s1", c: "s2" };
const context = fixtureContext({ devices: DEVICES });
let seq = 0;
const apply = (sm: RegionStateMachine, cmd: RegionCommand) =>
  sm.apply(encodeRegionCommand(`x${seq++}`, cmd)).result;

function region(placements: PlacementRecord[]) {
  const sm = new RegionStateMachine();
  for (const [n, s] of Object.entries(DEVICES))
    apply(sm, { t: "register", device: fixtureFacts(n, s), tsMs: 0 });
  apply(sm, {
    t: "plan",
    planId: "kb-1",
    basePlanVersion: 0,
    origin: "kb",
    placements,
    context,
    moves: [],
    tsMs: 0,
  });
  return sm;
}

const P = (service: string, replica: number, device: string): PlacementRecord => ({
  app: "shop",
  service,
  replica,
  device,
});

/** Acks a command the way the leader records a device's reply: accepted, its workloads running. */
function ack(
  sm: RegionStateMachine,
  cmd: {
    device: string;
    phase: "make" | "break";
    token: { term: number; planVersion: number };
    workloads: { app: string; service: string; replica: number }[];
  },
) {
  apply(sm, {
    t: "ack",
    device: cmd.device,
    planVersion: cmd.token.planVersion,
    phase: cmd.phase,
    token: cmd.token,
    accepted: true,
    workloads: cmd.workloads.map((w) => ({ app: w.app, service: w.service, replica: w.replica, state: 2 })),
    tsMs: 0,
  });
}

const names = (ws: { service: string; replica: number }[]) =>
  ws.map((w) => `${w.service}/${w.replica}`).sort();

describe("PlanExecutor", () => {
  it("runs make then break, with the leader's term and the plan version in the token", () => {
    const sm = region([P("web", 0, "a"), P("web", 1, "b"), P("db", 0, "c")]);
    const model = regionModel(sm.context);
    const ex = new PlanExecutor({ initialBackoffMs: 0, maxBackoffMs: 0 });
    const first = ex.due(sm, model, 3, 0, () => true);
    expect(first.commands.map((c) => [c.device, c.phase, names(c.workloads)])).toEqual([
      ["a", "make", ["web/0"]],
      ["b", "make", ["web/1"]],
      ["c", "make", ["db/0"]],
    ]);
    expect(first.commands[0]!.token).toEqual({ term: 3, planVersion: 1 });
    // web calls db: its spec carries db's address
    expect(first.commands[0]!.workloads[0]!.calls.map((c) => c.service)).toEqual(["db"]);
    for (const c of first.commands) {
      ex.sent(c.device);
      ex.settled(c.device, true, 0);
      ack(sm, c);
    }
    expect(ex.due(sm, model, 3, 1, () => true)).toMatchObject({ commands: [], advanceToBreak: true });
    apply(sm, { t: "exec", planVersion: 1, phase: "break", tsMs: 0 });
    const second = ex.due(sm, model, 3, 2, () => true);
    expect(second.commands.map((c) => [c.device, c.phase])).toEqual([
      ["a", "break"],
      ["b", "break"],
      ["c", "break"],
    ]);
    for (const c of second.commands) ack(sm, c);
    expect(ex.due(sm, model, 3, 3, () => true).complete).toBe(true);
  });

  it("keeps the old replica until the break phase when one moves (make-before-break)", () => {
    const sm = region([P("web", 0, "a"), P("web", 1, "b"), P("db", 0, "c")]);
    apply(sm, {
      t: "plan",
      planId: "kb-2",
      basePlanVersion: 1,
      origin: "kb",
      placements: [P("web", 0, "c"), P("web", 1, "b"), P("db", 0, "c")],
      moves: [],
      tsMs: 0,
    });
    const model = regionModel(sm.context);
    const ex = new PlanExecutor({ initialBackoffMs: 0, maxBackoffMs: 0 });
    const make = ex.due(sm, model, 1, 0, () => true);
    const byDevice = Object.fromEntries(make.commands.map((c) => [c.device, names(c.workloads)]));
    expect(byDevice).toEqual({ a: ["web/0"], b: ["web/1"], c: ["db/0", "web/0"] });
    for (const c of make.commands) ack(sm, c);
    apply(sm, { t: "exec", planVersion: 2, phase: "break", tsMs: 0 });
    const brk = ex.due(sm, model, 1, 1, () => true);
    expect(Object.fromEntries(brk.commands.map((c) => [c.device, names(c.workloads)]))).toEqual({
      a: [],
      b: ["web/1"],
      c: ["db/0", "web/0"],
    });
  });

  it("waits for the new replicas to run before the break phase", () => {
    const sm = region([P("web", 0, "a"), P("web", 1, "b"), P("db", 0, "c")]);
    const model = regionModel(sm.context);
    const ex = new PlanExecutor({ initialBackoffMs: 0, maxBackoffMs: 0 });
    for (const c of ex.due(sm, model, 1, 0, () => true).commands)
      apply(sm, {
        t: "ack",
        device: c.device,
        planVersion: 1,
        phase: "make",
        token: c.token,
        accepted: true,
        workloads: [],
        tsMs: 0,
      });
    const step = ex.due(sm, model, 1, 1, () => true);
    expect(step.advanceToBreak).toBe(false);
    expect(step.commands).toHaveLength(3);
  });

  it("skips devices that cannot be reached, and gives a returning device the break set", () => {
    const sm = region([P("web", 0, "a"), P("web", 1, "b"), P("db", 0, "c")]);
    const model = regionModel(sm.context);
    const ex = new PlanExecutor({ initialBackoffMs: 0, maxBackoffMs: 0 });
    const down = new Set(["a"]);
    const make = ex.due(sm, model, 1, 0, (d) => !down.has(d));
    expect(make.commands.map((c) => c.device)).toEqual(["b", "c"]);
    for (const c of make.commands) ack(sm, c);
    expect(ex.due(sm, model, 1, 1, (d) => !down.has(d)).advanceToBreak).toBe(true);
    apply(sm, { t: "exec", planVersion: 1, phase: "break", tsMs: 0 });
    for (const c of ex.due(sm, model, 1, 2, (d) => !down.has(d)).commands) ack(sm, c);
    expect(ex.due(sm, model, 1, 3, (d) => !down.has(d)).complete).toBe(true);
    down.clear();
    const back = ex.due(sm, model, 1, 4, () => true);
    expect(back.commands.map((c) => [c.device, c.phase])).toEqual([["a", "break"]]);
    expect(back.complete).toBe(false);
  });

  it("resumes under a new leader from the replicated acks, with the new term", () => {
    const sm = region([P("web", 0, "a"), P("web", 1, "b"), P("db", 0, "c")]);
    const model = regionModel(sm.context);
    const old = new PlanExecutor({ initialBackoffMs: 0, maxBackoffMs: 0 });
    const first = old.due(sm, model, 2, 0, () => true).commands;
    ack(sm, first[0]!); // only a's ack made it into the log before the leader died
    const successor = new PlanExecutor({ initialBackoffMs: 0, maxBackoffMs: 0 });
    const resumed = successor.due(sm, model, 3, 10, () => true).commands;
    expect(resumed.map((c) => c.device)).toEqual(["b", "c"]);
    expect(resumed.every((c) => c.token.term === 3 && c.token.planVersion === 1)).toBe(true);
  });

  it("backs off after a failed command and keeps one command in flight per device", () => {
    const sm = region([P("web", 0, "a"), P("web", 1, "b"), P("db", 0, "c")]);
    const model = regionModel(sm.context);
    const ex = new PlanExecutor({ initialBackoffMs: 100, maxBackoffMs: 400 });
    for (const c of ex.due(sm, model, 1, 0, () => true).commands) ex.sent(c.device);
    expect(ex.due(sm, model, 1, 1, () => true).commands).toEqual([]);
    const retryTimes: number[] = [];
    let now = 0;
    for (let i = 0; i < 4; i++) {
      ex.settled("a", false, now);
      while (!ex.due(sm, model, 1, now, (d) => d === "a").commands.length) now += 10;
      retryTimes.push(now);
      ex.sent("a");
    }
    const gaps = retryTimes.map((t, i) => t - (i ? retryTimes[i - 1]! : 0));
    expect(gaps).toEqual([100, 200, 400, 400]);
  });

  it("tells stray devices (outside the plan) to stop what they run", () => {
    const sm = region([P("web", 0, "a"), P("web", 1, "b"), P("db", 0, "b")]);
    const model = regionModel(sm.context);
    const ex = new PlanExecutor({ initialBackoffMs: 0, maxBackoffMs: 0 });
    const step = ex.due(sm, model, 1, 0, () => true, ["c"]);
    expect(step.commands.find((c) => c.device === "c")?.workloads).toEqual([]);
  });
});
