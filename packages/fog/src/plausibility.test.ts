import { telemetryV1 } from "@qonnect/proto";
import type { NatsConnection } from "nats";
import { describe, expect, it } from "vitest";
import { FailureDetector } from "./detector.js";
import { DeviceLink } from "./device-link.js";
import { PlanExecutor } from "./executor.js";
import { LeaderDuties } from "./leader-duties.js";
import { DEFAULT_PLAUSIBILITY, ImplausibleStreaks, implausibility } from "./plausibility.js";
import { encodeRegionCommand } from "./region-command.js";
import { fixtureFacts } from "./region-fixture.js";
import { RegionStateMachine } from "./region-state.js";

const NOW = 1_800_000_000_000;
const ok = { powerW: 4, battery: undefined, tsMs: NOW, seq: 10 };
const at = { lastSeq: 9, declaredMaxW: 8, nowMs: NOW };

describe("implausibility", () => {
  it("passes a sample within every bound", () => {
    expect(implausibility(ok, at)).toBeUndefined();
    expect(implausibility({ ...ok, powerW: 10 }, at)).toBeUndefined(); // within the 25 % margin over 8 W
    expect(implausibility({ ...ok, tsMs: 0 }, at)).toBeUndefined(); // no timestamp: nothing to compare
    expect(implausibility(ok, { ...at, lastSeq: undefined })).toBeUndefined();
    expect(implausibility({ ...ok, battery: telemetryV1.Battery.create({ soc: 1 }) }, at)).toBeUndefined();
  });

  it("names the bound a sample breaks, and whether it still counts as a heartbeat", () => {
    expect(implausibility({ ...ok, powerW: -0.5 }, at)).toMatchObject({ reason: "power", heartbeat: true });
    expect(implausibility({ ...ok, powerW: 10.5 }, at)?.detail).toMatch(/declared max 8 W/);
    expect(implausibility({ ...ok, powerW: Number.NaN }, at)?.reason).toBe("power");
    expect(implausibility({ ...ok, powerW: 6000 }, { ...at, declaredMaxW: undefined })?.reason).toBe("power");
    expect(implausibility({ ...ok, powerW: 900 }, { ...at, declaredMaxW: undefined })).toBeUndefined();
    expect(implausibility({ ...ok, battery: telemetryV1.Battery.create({ soc: 57 }) }, at)).toMatchObject({
      reason: "soc",
      heartbeat: true,
    });
    expect(implausibility({ ...ok, battery: telemetryV1.Battery.create({ soc: -0.01 }) }, at)?.reason).toBe(
      "soc",
    );
    expect(implausibility({ ...ok, tsMs: NOW - 61_000 }, at)).toMatchObject({
      reason: "clock",
      heartbeat: false,
    });
    expect(implausibility({ ...ok, tsMs: NOW + 3_600_000 }, at)?.reason).toBe("clock");
    expect(implausibility({ ...ok, seq: 9 }, at)).toMatchObject({ reason: "sequence", heartbeat: false });
    expect(implausibility({ ...ok, seq: 3 }, at)?.detail).toMatch(/3 not above the last accepted 9/);
  });

  it("judges a device only once its implausible samples persist, and forgives one good sample", () => {
    const s = new ImplausibleStreaks(3);
    s.implausible("a", "power -1 W");
    s.implausible("a", "power -1 W");
    expect(s.persisting("a")).toBeUndefined();
    s.implausible("a", "power -2 W");
    expect(s.persisting("a")).toBe("implausible telemetry, 3 samples in a row: power -2 W");
    s.plausible("a");
    expect(s.persisting("a")).toBeUndefined();
  });
});

describe("DeviceLink with the leader's duties (stand-in NATS connection: samples are handed in directly)", () => {
  const DEVICES = { a: "s1", b: "s1" };
  function setup() {
    let clock = NOW;
    const sm = new RegionStateMachine();
    let n = 0;
    const detector = new FailureDetector();
    const link = new DeviceLink(
      {} as NatsConnection,
      "r1",
      detector,
      (d) => DEVICES[d as "a"],
      () => clock,
      {
        declaredMaxW: () => 8,
        plausibility: DEFAULT_PLAUSIBILITY,
      },
    );
    const duties = new LeaderDuties({
      sm,
      detector,
      link,
      executor: new PlanExecutor({ initialBackoffMs: 0, maxBackoffMs: 0 }),
      propose: async (cmd) => sm.apply(encodeRegionCommand(`p${n++}`, cmd)).result,
      nowMs: () => clock,
      commandTimeoutMs: 1000,
      log: { info: () => {}, warn: () => {} },
    });
    for (const [name, site] of Object.entries(DEVICES))
      sm.apply(
        encodeRegionCommand(`r-${name}`, { t: "register", device: fixtureFacts(name, site), tsMs: 0 }),
      );
    duties.takeOver(2);
    const seq = { a: 0, b: 0 };
    /** One second: both devices send a sample (a's with `powerW`), then ten evaluations. */
    const second = async (aPowerW: number) => {
      clock += 1000;
      for (const d of ["a", "b"] as const) {
        const t = telemetryV1.DeviceTelemetry.create({
          device: d,
          region: "r1",
          seq: ++seq[d],
          tsMs: clock,
          powerW: d === "a" ? aPowerW : 4,
        });
        link.onTelemetry(`qonnect.r1.telemetry.${d}`, telemetryV1.DeviceTelemetry.encode(t).finish());
      }
      for (let i = 0; i < 10; i++) {
        duties.verdicts();
        await new Promise((r) => setImmediate(r));
      }
    };
    return {
      sm,
      link,
      second,
      replay: (d: "a", s: number) =>
        link.onTelemetry(
          `qonnect.r1.telemetry.${d}`,
          telemetryV1.DeviceTelemetry.encode(
            telemetryV1.DeviceTelemetry.create({ device: d, region: "r1", seq: s, tsMs: clock, powerW: 4 }),
          ).finish(),
        ),
    };
  }

  it("drops and counts implausible samples; a device that persists is suspect with the reason, never dead", async () => {
    const { sm, link, second } = setup();
    for (let i = 0; i < 3; i++) await second(4);
    expect(sm.devices.get("a")?.verdict).toBe("alive");
    const before = link.live.get("a")!.powerW;
    await second(-3);
    await second(-3);
    expect(link.counters.implausiblePower).toBe(2);
    expect(link.live.get("a")?.powerW).toBe(before); // the figure never reached the live view
    expect(sm.devices.get("a")?.verdict).toBe("alive"); // not yet: two in a row
    for (let i = 0; i < 4; i++) await second(-3);
    expect(sm.devices.get("a")?.verdict).toBe("suspect");
    expect(sm.devices.get("a")?.verdictReason).toMatch(
      /implausible telemetry, \d+ samples in a row: power -3 W/,
    );
    // its implausible samples were still heartbeats: not dead after six seconds of them
    await second(5);
    expect(sm.devices.get("a")?.verdict).toBe("alive");
    expect(link.live.get("a")?.powerW).toBe(5);
  });

  it("drops a replayed sample (sequence going backwards) until the device registers again", async () => {
    const { link, second, replay } = setup();
    await second(4);
    await second(4);
    replay("a", 1);
    expect(link.counters.implausibleSequence).toBe(1);
    // an agent that lost its state registers, then numbers its samples from the start again
    link.onRegister(
      "qonnect.r1.register.a",
      telemetryV1.DeviceRegistration.encode(
        telemetryV1.DeviceRegistration.create({ device: "a", region: "r1", site: "s1" }),
      ).finish(),
    );
    replay("a", 1);
    expect(link.counters.implausibleSequence).toBe(1);
    expect(link.live.get("a")?.lastSeq).toBe(1);
  });
});
