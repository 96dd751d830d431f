import { ManualClock } from "@qonnect/testkit";
import { describe, expect, it } from "vitest";
import { type BatteryScenarioConfig, batteryScenario, batteryTruthAt } from "./battery-scenario.js";
import { I2cTransferError } from "./errors.js";
import { Ina219Emulator } from "./ina219-emulator.js";
import type { Sensor, SensorReading } from "./sensor.js";
import { UpsHat, WAVESHARE_UPS_HAT } from "./ups-hat.js";
import { VirtualI2cBus } from "./virtual-i2c-bus.js";

function hat(config: Omit<BatteryScenarioConfig, "startMs" | "capacityAh" | "cellsInSeries">) {
  const clock = new ManualClock();
  const scenario: BatteryScenarioConfig = { startMs: clock.ms, capacityAh: 2.6, cellsInSeries: 2, ...config };
  const bus = new VirtualI2cBus({ nackCode: "EREMOTEIO" });
  bus.attach(
    0x42,
    new Ina219Emulator({ nowMs: clock.nowMs, scenario: batteryScenario(scenario), shuntResistanceOhm: 0.1 }),
  );
  return { clock, bus, scenario };
}

/** Reads every 10 s for `minutes`; returns the last reading. */
async function readFor(ups: UpsHat, clock: ManualClock, minutes: number): Promise<SensorReading> {
  let last: SensorReading | undefined;
  for (let i = 0; i < minutes * 6; i++) {
    clock.advance(10_000);
    last = await ups.read();
  }
  return last!;
}

describe("INA219 UPS HAT", () => {
  it("INA219 emulator: tracks the true state of charge through an hour of discharge by counting coulombs", async () => {
    const { clock, bus, scenario } = hat({
      initialStateOfCharge: 0.9,
      segments: [
        { durationS: 3600, currentA: -1.3 },
        { durationS: 3600, currentA: 0 },
      ],
    });
    const ups = await UpsHat.open({
      bus,
      busNumber: 1,
      delay: clock.delay,
      nowMs: clock.nowMs,
      estimator: { initialStateOfCharge: 0.9 },
    });
    expect(ups.id).toBe("ups-hat:ina219:1-0x42");
    const r = await readFor(ups, clock, 60);
    const truth = batteryTruthAt(scenario, clock.ms);
    expect(truth.stateOfCharge).toBeCloseTo(0.4, 2);
    expect(r).toMatchObject({ valid: true, batteryStatus: "discharging" });
    expect(Math.abs(r.stateOfCharge! - truth.stateOfCharge)).toBeLessThan(0.01);
    expect(r.currentA!).toBeCloseTo(-1.3, 3);
    expect(r.powerW!).toBeLessThan(0);
    expect(Math.abs(r.busVoltageV! - truth.voltageV)).toBeLessThan(0.004);
  });

  it("INA219 emulator: a start guessed from a sagging voltage is corrected by the OCV table after rest", async () => {
    const { clock, bus, scenario } = hat({
      initialStateOfCharge: 0.8,
      internalResistanceOhm: 0.3,
      segments: [
        { durationS: 1800, currentA: -2 },
        { durationS: 3600, currentA: 0 },
      ],
    });
    const ups = await UpsHat.open({ bus, delay: clock.delay, nowMs: clock.nowMs });
    const first = await ups.read();
    expect(Math.abs(first.stateOfCharge! - 0.8)).toBeGreaterThan(0.05); // loaded voltage is not OCV
    await readFor(ups, clock, 30 + 20);
    expect(ups.estimator.state!.source).toBe("coulomb-count");
    const r = await readFor(ups, clock, 15);
    expect(ups.estimator.state!.source).toBe("ocv");
    expect(Math.abs(r.stateOfCharge! - batteryTruthAt(scenario, clock.ms).stateOfCharge)).toBeLessThan(0.01);
    expect(r.batteryStatus).toBe("not-charging");
  });

  it("reports charging, flips a reversed shunt, and passes invalid readings on without a state of charge", async () => {
    let next: SensorReading = {
      tsMs: 0,
      valid: true,
      busVoltageV: 8.0,
      currentA: -0.5,
      powerW: 4,
      shuntVoltageMv: -50,
    };
    const source: Sensor = { id: "fake", kind: "ina219", label: "fake", read: async () => next };
    const ups = new UpsHat({
      source,
      estimator: { capacityAh: 2, cellsInSeries: 2, initialStateOfCharge: 0.5 },
      currentSign: -1,
    });
    expect(await ups.read()).toMatchObject({
      currentA: 0.5,
      powerW: 4,
      shuntVoltageMv: 50,
      batteryStatus: "charging",
    });
    next = { tsMs: 1000, valid: false, invalidReason: "overflow", busVoltageV: 8.0 };
    const bad = await ups.read();
    expect(bad).toMatchObject({ valid: false, invalidReason: "overflow" });
    expect(bad.stateOfCharge).toBeUndefined();
  });

  it("INA219 emulator: a missing HAT fails with the adapter's NACK errno", async () => {
    const { clock } = hat({ initialStateOfCharge: 0.5, segments: [{ durationS: 1, currentA: 0 }] });
    const empty = new VirtualI2cBus({ nackCode: "EREMOTEIO" });
    await expect(
      UpsHat.open({ bus: empty, preset: WAVESHARE_UPS_HAT, delay: clock.delay }),
    ).rejects.toSatisfy((e) => e instanceof I2cTransferError && e.code === "EREMOTEIO");
  });
});
