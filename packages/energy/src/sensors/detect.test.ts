import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ManualClock, useTempDirs } from "@qonnect/testkit";
import type { PromisifiedBus } from "i2c-bus";
import { describe, expect, expectTypeOf, it } from "vitest";
import { detectSensors, listI2cBuses, looksLikeIna219 } from "./detect.js";
import { createEmulatedRig } from "./emulated-sensors.js";
import { I2cUnavailableError } from "./errors.js";
import { type I2cBus, openI2cBus, swapBytes16 } from "./i2c-bus.js";
import { constantScenario, Ina219Emulator } from "./ina219-emulator.js";
import {
  bareServer,
  jetsonNanoIio,
  jetsonOrinNanoHwmon,
  laptopAcpi,
  raspberryPiWithIna219Hwmon,
} from "./testdata/sysfs-trees.js";
import { VirtualI2cBus } from "./virtual-i2c-bus.js";

const root = useTempDirs("qonnect-sysfs-");

describe("detectSensors", () => {
  it("honestly finds nothing on a server", async () => {
    const r = root();
    bareServer(r);
    expect(await detectSensors(r)).toEqual({ sensors: [], i2cBuses: [], notes: [] });
  });

  it("finds each machine's sensors by kind", async () => {
    const cases: [(r: string) => unknown, string[]][] = [
      [raspberryPiWithIna219Hwmon, ["hwmon:hwmon2"]],
      [jetsonOrinNanoHwmon, ["hwmon:hwmon1:1", "hwmon:hwmon1:2", "hwmon:hwmon1:3"]],
      [jetsonNanoIio, ["iio:device0:0", "iio:device0:1", "iio:device0:2"]],
      [laptopAcpi, ["power-supply:BAT0", "power-supply:BAT1"]],
    ];
    for (const [build, ids] of cases) {
      const r = root();
      build(r);
      expect((await detectSensors(r)).sensors.map((s) => s.id)).toEqual(ids);
    }
  });

  it("lists /dev/i2c-* and says it did not probe them unless asked", async () => {
    const r = root();
    raspberryPiWithIna219Hwmon(r);
    tempDirFile(r, "dev/i2c-1");
    tempDirFile(r, "dev/i2c-20");
    tempDirFile(r, "dev/tty0");
    expect(await listI2cBuses(r)).toEqual([1, 20]);
    const d = await detectSensors(r);
    expect(d.i2cBuses).toEqual([1, 20]);
    expect(d.notes).toEqual(["I2C buses i2c-1, i2c-20 not probed for INA219s (ask to probe)"]);
  });

  it("INA219 emulator: probing finds an INA219 and a UPS HAT and skips a chip that is not one", async () => {
    const r = root();
    tempDirFile(r, "dev/i2c-1");
    const clock = new ManualClock();
    const bus = new VirtualI2cBus();
    const chip = (currentA: number) =>
      new Ina219Emulator({
        nowMs: clock.nowMs,
        scenario: constantScenario({ busVoltageV: 7.6, currentA }),
        shuntResistanceOhm: 0.1,
      });
    bus.attach(0x40, chip(0.5)).attach(0x42, chip(-0.8));
    bus.attach(0x41, { write() {}, read: (n) => new Uint8Array(n).fill(0xff) }); // not an INA219
    bus.attach(0x68, chip(0)); // outside 0x40..0x4F: not scanned
    expect(await looksLikeIna219(bus, 0x41)).toBe(false);
    expect(await looksLikeIna219(bus, 0x45)).toBe(false); // nobody there
    const d = await detectSensors(r, {
      probeI2c: true,
      openBus: async () => bus,
      delay: clock.delay,
      nowMs: clock.nowMs,
    });
    expect(d.sensors.map((s) => [s.id, s.kind])).toEqual([
      ["ina219:1-0x40", "ina219"],
      ["ups-hat:ina219:1-0x42", "ups-hat"],
    ]);
    expect(d.notes).toEqual([]);
    expect((await d.sensors[1]!.read()).batteryStatus).toBe("discharging");
  });

  it("notes a bus whose scan fails instead of failing", async () => {
    const r = root();
    tempDirFile(r, "dev/i2c-3");
    const bus = new VirtualI2cBus();
    await bus.close(); // every transfer and scan now fails with EBADF
    const d = await detectSensors(r, { probeI2c: true, openBus: async () => bus });
    expect(d.sensors).toEqual([]);
    expect(d.notes).toEqual(["i2c-3: scan failed: EBADF"]);
  });

  it("notes a bus that cannot be opened instead of failing", async () => {
    const r = root();
    tempDirFile(r, "dev/i2c-250");
    const d = await detectSensors(r, { probeI2c: true });
    expect(d.sensors).toEqual([]);
    expect(d.notes).toHaveLength(1);
    expect(d.notes[0]).toMatch(/i2c-250/);
  });
});

describe("I2C bus access", () => {
  it("loads the native addon lazily and reports a missing /dev/i2c-N as I2cUnavailableError", async () => {
    await expect(openI2cBus(250)).rejects.toBeInstanceOf(I2cUnavailableError);
    await expect(openI2cBus(250)).rejects.toMatchObject({ busNumber: 250, sensorId: "i2c-250" });
  });

  it("takes the real i2c-bus PromisifiedBus and the virtual bus alike (checked by tsc)", () => {
    expectTypeOf<PromisifiedBus>().toExtend<I2cBus>();
    expectTypeOf<VirtualI2cBus>().toExtend<I2cBus>();
  });

  it("swaps SMBus word order to register order", () => {
    expect(swapBytes16(0x9f39)).toBe(0x399f);
    expect(swapBytes16(swapBytes16(0x1234))).toBe(0x1234);
  });
});

describe("emulated rig", () => {
  it("INA219 emulator: the demo rig reads a load and a discharging UPS HAT", async () => {
    const clock = new ManualClock();
    const rig = await createEmulatedRig({ nowMs: clock.nowMs, delay: clock.delay });
    expect(rig.sensors.map((s) => s.id)).toEqual(["ina219:virtual-0x40", "ups-hat:ina219:virtual-0x42"]);
    const [load, ups] = await Promise.all(rig.sensors.map((s) => s.read()));
    expect(load).toMatchObject({ valid: true, busVoltageV: 5.1 });
    expect(load!.currentA!).toBeGreaterThan(0.4);
    expect(ups).toMatchObject({ valid: true, batteryStatus: "discharging" });
    expect(ups!.stateOfCharge!).toBeGreaterThan(0.5);
  });
});

function tempDirFile(r: string, rel: string): void {
  mkdirSync(dirname(join(r, rel)), { recursive: true });
  writeFileSync(join(r, rel), "");
}
