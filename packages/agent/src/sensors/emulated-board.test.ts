// The agent's emulated board (sensors: emulate with followLoad, a sun and a battery), read through the real
// INA219 and UPS HAT drivers on the register-accurate emulator, with a manual clock; the sun comes from a file.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { telemetryV1 } from "@qonnect/proto";
import { ManualClock, useTempDirs } from "@qonnect/testkit";
import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "../config/config.js";
import { buildTelemetry } from "../telemetry/build.js";
import { openEmulatedBoard, parseSolarW } from "./emulated-board.js";

const PI5 = { idleW: 2.7, maxW: 7.0, gamma: 1 };
const system = { cpuUtil: 0.9, memoryUsedBytes: 1, memoryTotalBytes: 2 };

describe("emulated board in the agent (power model, solar file, UPS HAT)", () => {
  const dir = useTempDirs("qonnect-board-");

  it("emulator: power follows the workloads' CPU use, the sun comes from the solar file, the battery is read", async () => {
    const clock = new ManualClock();
    const solarFile = join(dir(), "solar-w");
    writeFileSync(solarFile, "9.7\n");
    const set = await openEmulatedBoard(
      {
        busVoltageV: 5.1,
        currentA: 0,
        shuntResistanceOhm: 0.1,
        followLoad: true,
        cpuCores: 4,
        solarW: 0,
        solarFile,
        battery: { capacityWh: 37, soc: 0.8, minSoc: 0.2 },
      },
      PI5,
      2,
      clock.nowMs,
    );
    await set.board.update(0);
    clock.advance(1000);
    const idle = await set.power!.read();
    expect(idle.powerW).toBeCloseTo(2.7, 1);
    expect(set.board.solarExcessW()).toBeCloseTo(7.0, 3);
    // two of the device's four cores busy: half-way between idle and max
    await set.board.update(2);
    clock.advance(1000);
    const busy = await set.power!.read();
    expect(busy.powerW).toBeCloseTo(2.7 + 0.5 * 4.3, 1);
    expect(set.board.solarExcessW()).toBeCloseTo(9.7 - 4.85, 3);
    const charging = await set.battery!.read();
    expect(charging.batteryStatus).toBe("charging");
    expect(charging.stateOfCharge!).toBeGreaterThan(0.7);
    expect(charging.stateOfCharge!).toBeLessThan(0.9);

    // sunset: the file says 0; the excess falls to zero and the battery discharges
    writeFileSync(solarFile, "0");
    await set.board.update(2);
    clock.advance(1000);
    expect(set.board.solarExcessW()).toBe(0);
    const dark = await set.battery!.read();
    expect(dark.batteryStatus).toBe("discharging");
    expect(dark.currentA!).toBeLessThan(0);

    // a file that does not hold a number leaves the sun as it was
    writeFileSync(solarFile, "sunny");
    await set.board.update(0);
    clock.advance(1000);
    expect(set.board.solarExcessW()).toBe(0);

    const t = buildTelemetry({
      device: "pi5",
      region: "r",
      tsMs: clock.ms,
      seq: 1,
      system,
      cpuCores: 2,
      power: await set.power!.read(),
      battery: await set.battery!.read(),
      model: PI5,
      workloads: [],
      solarExcessW: set.board.solarExcessW(),
    });
    expect(t.powerSource).toBe(telemetryV1.PowerSource.POWER_SOURCE_MEASURED);
    expect(t.powerW).toBeCloseTo(2.7, 1);
    expect(t.battery?.soc).toBeGreaterThan(0.7);
    expect(t.solarExcessW).toBe(0);
  });

  it("reads the board's fields from agent.yaml (relative solar file against the config's folder)", () => {
    const c = parseAgentConfig(
      [
        "device: pi5-berlin-a",
        "region: eu-central",
        "site: berlin-edge",
        "tier: edge",
        "nats: { servers: [nats://127.0.0.1:4222] }",
        "sensors:",
        "  mode: emulate",
        "  emulate: { followLoad: true, cpuCores: 4, solarW: 6.7, solarFile: solar-w, battery: { capacityWh: 37, soc: 0.8, minSoc: 0.2 } }",
        "power: { idleW: 2.7, maxW: 7.0, gamma: 1 }",
        "dataDir: /var/lib/qonnect",
      ].join("\n"),
      "/etc/qonnect/agent.yaml",
    );
    expect(c.sensors.emulate).toMatchObject({
      followLoad: true,
      cpuCores: 4,
      solarW: 6.7,
      solarFile: "/etc/qonnect/solar-w",
      battery: { capacityWh: 37, soc: 0.8, minSoc: 0.2 },
    });
    expect(() =>
      parseAgentConfig(
        "device: d\nregion: r\nsite: s\ntier: edge\nnats: { servers: [nats://127.0.0.1:4222] }\nsensors: { mode: emulate, emulate: { battery: { soc: 2 } } }\ndataDir: /tmp/x\n",
      ),
    ).toThrow(/sensors.emulate.battery/);
  });

  it("parses the solar file leniently: a number of watts or nothing", () => {
    expect(parseSolarW(" 4.5\n")).toBe(4.5);
    expect(parseSolarW("0")).toBe(0);
    expect(parseSolarW("")).toBeUndefined();
    expect(parseSolarW("-1")).toBeUndefined();
    expect(parseSolarW("dusk")).toBeUndefined();
  });
});
