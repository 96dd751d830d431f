import { rmSync } from "node:fs";
import { useTempDirs } from "@qonnect/testkit";
import { describe, expect, it } from "vitest";
import { SensorNotFoundError, SysfsReadError } from "./errors.js";
import { findHwmonIna2xx } from "./hwmon-ina2xx.js";
import { bareServer, raspberryPiWithIna219Hwmon } from "./testdata/sysfs-trees.js";

const root = useTempDirs("qonnect-sysfs-");

describe("hwmon ina2xx", () => {
  it("finds the INA219 among the hwmon devices and reads it in SI units", async () => {
    const r = root();
    raspberryPiWithIna219Hwmon(r);
    const sensors = await findHwmonIna2xx(r, () => 42);
    expect(sensors.map((s) => [s.id, s.label, s.kind])).toEqual([
      ["hwmon:hwmon2", "ina219 1-0040", "hwmon-ina2xx"],
    ]);
    expect(await sensors[0]!.read()).toEqual({
      tsMs: 42,
      valid: true,
      shuntVoltageMv: 12,
      busVoltageV: 5.104,
      currentA: 0.123,
      powerW: 0.628,
    });
  });

  it("keeps the sign of a reverse current", async () => {
    const r = root();
    raspberryPiWithIna219Hwmon(r).attrs("/sys/devices/platform/soc/fe804000.i2c/i2c-1/1-0040/hwmon/hwmon2", {
      in0_input: -3,
      curr1_input: -31,
    });
    const [s] = await findHwmonIna2xx(r);
    expect(await s!.read()).toMatchObject({ shuntVoltageMv: -3, currentA: -0.031 });
  });

  it("finds nothing on a machine without one", async () => {
    const r = root();
    bareServer(r);
    expect(await findHwmonIna2xx(r)).toEqual([]);
    expect(await findHwmonIna2xx(`${r}/does-not-exist`)).toEqual([]);
  });

  it("reports a device that went away and an attribute that does not parse as named errors", async () => {
    const r = root();
    const tree = raspberryPiWithIna219Hwmon(r);
    const [s] = await findHwmonIna2xx(r);
    tree.attrs("/sys/devices/platform/soc/fe804000.i2c/i2c-1/1-0040/hwmon/hwmon2", { in1_input: "garbage" });
    await expect(s!.read()).rejects.toBeInstanceOf(SysfsReadError);
    rmSync(`${r}/sys/devices/platform/soc/fe804000.i2c`, { recursive: true });
    await expect(s!.read()).rejects.toBeInstanceOf(SensorNotFoundError);
  });
});
