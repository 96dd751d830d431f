// One suite every Sensor implementation must pass: identity, timestamps from the injected clock, readings
// whose numbers are finite and whose validity is explained, and a named SensorError once the device is gone.
import { rmSync } from "node:fs";
import { ManualClock, tempDir } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { batteryScenario } from "./battery-scenario.js";
import { SensorError } from "./errors.js";
import { findHwmonIna2xx } from "./hwmon-ina2xx.js";
import { Ina219 } from "./ina219.js";
import { constantScenario, Ina219Emulator } from "./ina219-emulator.js";
import { findIna3221Hwmon } from "./ina3221-hwmon.js";
import { findIna3221Iio } from "./ina3221-iio.js";
import { findPowerSupplies } from "./power-supply.js";
import type { Sensor, SensorKind } from "./sensor.js";
import {
  axp20xBoard,
  jetsonNanoIio,
  jetsonOrinNanoHwmon,
  laptopAcpi,
  raspberryPiWithIna219Hwmon,
} from "./testdata/sysfs-trees.js";
import { UpsHat } from "./ups-hat.js";
import { VirtualI2cBus } from "./virtual-i2c-bus.js";

/** A sensor under test, the clock it reads, and a way to make its device disappear. */
interface Fixture {
  sensors: Sensor[];
  clock: ManualClock;
  unplug(): void;
}

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function sysfs(
  build: (root: string) => unknown,
  find: (root: string, nowMs: () => number) => Promise<Sensor[]>,
) {
  return async (): Promise<Fixture> => {
    const d = tempDir("qonnect-contract-");
    dirs.push(d);
    build(d.path);
    const clock = new ManualClock();
    return {
      sensors: await find(d.path, clock.nowMs),
      clock,
      unplug: () => rmSync(`${d.path}/sys`, { recursive: true }),
    };
  };
}

async function emulatedIna219(): Promise<Fixture> {
  const clock = new ManualClock();
  const bus = new VirtualI2cBus();
  bus.attach(
    0x40,
    new Ina219Emulator({
      nowMs: clock.nowMs,
      scenario: constantScenario({ busVoltageV: 5, currentA: 0.3 }),
      shuntResistanceOhm: 0.1,
    }),
  );
  const ina = await Ina219.open({
    bus,
    shuntResistanceOhm: 0.1,
    maxExpectedCurrentA: 1,
    delay: clock.delay,
    nowMs: clock.nowMs,
  });
  return { sensors: [ina], clock, unplug: () => bus.detach(0x40) };
}

async function emulatedUpsHat(): Promise<Fixture> {
  const clock = new ManualClock();
  const bus = new VirtualI2cBus();
  const scenario = batteryScenario({
    startMs: clock.ms,
    capacityAh: 2.6,
    cellsInSeries: 2,
    initialStateOfCharge: 0.6,
    segments: [{ durationS: 60, currentA: -1 }],
  });
  bus.attach(0x42, new Ina219Emulator({ nowMs: clock.nowMs, scenario, shuntResistanceOhm: 0.1 }));
  const ups = await UpsHat.open({ bus, delay: clock.delay, nowMs: clock.nowMs });
  return { sensors: [ups], clock, unplug: () => bus.detach(0x42) };
}

const FIXTURES: [SensorKind, string, () => Promise<Fixture>][] = [
  ["ina219", "emulated INA219", emulatedIna219],
  ["ups-hat", "emulated UPS HAT", emulatedUpsHat],
  ["hwmon-ina2xx", "Raspberry Pi hwmon ina219", sysfs(raspberryPiWithIna219Hwmon, findHwmonIna2xx)],
  ["ina3221-hwmon", "Jetson Orin Nano", sysfs(jetsonOrinNanoHwmon, findIna3221Hwmon)],
  ["ina3221-iio", "Jetson Nano", sysfs(jetsonNanoIio, findIna3221Iio)],
  ["power-supply", "ACPI laptop", sysfs(laptopAcpi, findPowerSupplies)],
  ["power-supply", "axp20x board", sysfs((r) => axp20xBoard(r, -300000, "Discharging"), findPowerSupplies)],
];

const NUMERIC = [
  "powerW",
  "busVoltageV",
  "currentA",
  "shuntVoltageMv",
  "energyWh",
  "chargeAh",
  "stateOfCharge",
] as const;

describe.each(FIXTURES)("Sensor contract: %s (%s)", (kind, _name, make) => {
  it("has a kind, a unique id and a label", async () => {
    const { sensors } = await make();
    expect(sensors.length).toBeGreaterThan(0);
    for (const s of sensors) {
      expect(s.kind).toBe(kind);
      expect(s.id).toMatch(/\S/);
      expect(s.label).toMatch(/\S/);
    }
    expect(new Set(sensors.map((s) => s.id)).size).toBe(sensors.length);
  });

  it("reads timestamped, finite, explained readings", async () => {
    const { sensors, clock } = await make();
    for (const s of sensors) {
      clock.advance(1000);
      const r = await s.read();
      expect(r.tsMs).toBe(clock.ms);
      expect(typeof r.valid).toBe("boolean");
      expect(r.valid ? r.invalidReason : r.invalidReason !== undefined).toBe(r.valid ? undefined : true);
      for (const key of NUMERIC) if (r[key] !== undefined) expect(Number.isFinite(r[key])).toBe(true);
      if (r.stateOfCharge !== undefined) expect(r.stateOfCharge).toBeGreaterThanOrEqual(0);
      if (r.stateOfCharge !== undefined) expect(r.stateOfCharge).toBeLessThanOrEqual(1);
      expect(NUMERIC.some((k) => r[k] !== undefined)).toBe(true);
    }
  });

  it("rejects with a named SensorError once the device is gone", async () => {
    const { sensors, unplug } = await make();
    unplug();
    for (const s of sensors) {
      const err = await s.read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SensorError);
      expect((err as SensorError).name).not.toBe("SensorError");
    }
  });
});
