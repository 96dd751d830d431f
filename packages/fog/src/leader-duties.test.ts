import { telemetryV1 } from "@qonnect/proto";
import { describe, expect, it } from "vitest";
import { FailureDetector } from "./detector.js";
import type { DeviceLink } from "./device-link.js";
import { PlanExecutor } from "./executor.js";
import { LeaderDuties } from "./leader-duties.js";
import { ImplausibleStreaks } from "./plausibility.js";
import { encodeRegionCommand, type RegionCommand } from "./region-command.js";
import { fixtureContext, fixtureFacts } from "./region-fixture.js";
import { RegionStateMachine } from "./region-state.js";

const DEVICES = { a: "s1", b: "s1", c: "s1", d: "s2" };

/** The leader's duties against an in-memory log (proposals apply at once) and a stand-in device link. */
function setup() {
  const sm = new RegionStateMachine();
  let clock = 0;
  let n = 0;
  const proposed: RegionCommand[] = [];
  const sent: telemetryV1.DeviceCommand[] = [];
  const link = {
    registrations: new Map(Object.entries(DEVICES).map(([name, site]) => [name, fixtureFacts(name, site)])),
    live: new Map(),
    reportingWorkloads: new Set<string>(),
    implausible: new ImplausibleStreaks(),
    command: async (cmd: telemetryV1.DeviceCommand) => {
      sent.push(cmd);
      return telemetryV1.CommandAck.create({
        device: cmd.device,
        accepted: true,
        token: cmd.token,
        workloads: cmd.workloads.map((w) => ({
          app: w.app,
          service: w.service,
          replica: w.replica,
          state: 2,
        })),
      });
    },
  } as unknown as DeviceLink;
  const detector = new FailureDetector();
  const duties = new LeaderDuties({
    sm,
    detector,
    link,
    executor: new PlanExecutor({ initialBackoffMs: 0, maxBackoffMs: 0 }),
    propose: async (cmd) => {
      proposed.push(cmd);
      return sm.apply(encodeRegionCommand(`p${n++}`, cmd)).result;
    },
    nowMs: () => clock,
    commandTimeoutMs: 1000,
    log: { info: () => {}, warn: () => {} },
  });
  const tick = async (ms: number, reporting: string[]) => {
    for (let t = 0; t < ms; t += 100) {
      clock += 100;
      if (clock % 1000 === 0)
        for (const d of reporting) detector.observe(d, DEVICES[d as keyof typeof DEVICES], clock);
      duties.registrations();
      duties.verdicts();
      duties.replan();
      duties.execute();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { sm, duties, proposed, sent, tick };
}

describe("LeaderDuties", () => {
  it("registers what it heard, turns samples into verdicts, re-places a dead device's replica and executes", async () => {
    const { sm, duties, proposed, sent, tick } = setup();
    duties.takeOver(4);
    await tick(3000, Object.keys(DEVICES));
    expect([...sm.devices.values()].map((d) => d.verdict)).toEqual(["alive", "alive", "alive", "alive"]);
    await sm.apply(
      encodeRegionCommand("kb", {
        t: "plan",
        planId: "kb-1",
        basePlanVersion: 0,
        origin: "kb",
        placements: [
          { app: "shop", service: "db", replica: 0, device: "c" },
          { app: "shop", service: "web", replica: 0, device: "a" },
          { app: "shop", service: "web", replica: 1, device: "b" },
        ],
        context: fixtureContext({ devices: DEVICES }),
        moves: [],
        tsMs: 0,
      }),
    );
    await tick(2000, Object.keys(DEVICES));
    expect(sent.every((c) => c.token?.term === 4 && c.token.planVersion === 1)).toBe(true);
    expect(new Set(sent.map((c) => c.device))).toEqual(new Set(["a", "b", "c"]));
    // a stops reporting while b and c (its site) go on: dead, and its replica moves
    await tick(4000, ["b", "c", "d"]);
    expect(sm.devices.get("a")?.verdict).toBe("dead");
    expect(sm.plan?.version).toBe(2);
    expect(sm.plan?.origin).toBe("local");
    expect(sm.plan?.placements.find((p) => p.service === "web" && p.replica === 0)?.device).not.toBe("a");
    expect(proposed.filter((c) => c.t === "plan")).toHaveLength(1);
  });
});
