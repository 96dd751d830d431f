import { useTempDirs } from "@qonnect/testkit";
import { describe, expect, it } from "vitest";
import { findIna3221Hwmon } from "./ina3221-hwmon.js";
import { findIna3221Iio } from "./ina3221-iio.js";
import {
  jetsonNanoIio,
  jetsonOrinNanoHwmon,
  jetsonTx2Iio,
  raspberryPiWithIna219Hwmon,
} from "./testdata/sysfs-trees.js";

const root = useTempDirs("qonnect-sysfs-");

describe("Jetson INA3221, hwmon layout", () => {
  it("gives one sensor per labelled rail and computes power from volts and amps", async () => {
    const r = root();
    jetsonOrinNanoHwmon(r);
    const rails = await findIna3221Hwmon(r, () => 7);
    expect(rails.map((s) => [s.id, s.label])).toEqual([
      ["hwmon:hwmon1:1", "VDD_IN"],
      ["hwmon:hwmon1:2", "VDD_CPU_GPU_CV"],
      ["hwmon:hwmon1:3", "VDD_SOC"],
    ]);
    const vddIn = await rails[0]!.read();
    expect(vddIn).toMatchObject({
      tsMs: 7,
      valid: true,
      busVoltageV: 5.072,
      currentA: 1.176,
      shuntVoltageMv: 5.88,
    });
    expect(vddIn.powerW).toBeCloseTo(5.072 * 1.176, 9);
  });

  it("skips a disabled channel and ignores other hwmon chips", async () => {
    const r = root();
    jetsonOrinNanoHwmon(r, { disableChannel3: true });
    expect((await findIna3221Hwmon(r)).map((s) => s.label)).toEqual(["VDD_IN", "VDD_CPU_GPU_CV"]);
    const pi = root();
    raspberryPiWithIna219Hwmon(pi);
    expect(await findIna3221Hwmon(pi)).toEqual([]);
  });
});

describe("Jetson INA3221, older iio layout", () => {
  it("reads rail names and mW/mA/mV attributes of the ina3221x iio device", async () => {
    const r = root();
    jetsonNanoIio(r);
    const rails = await findIna3221Iio(r, () => 9);
    expect(rails.map((s) => [s.id, s.label, s.kind])).toEqual([
      ["iio:device0:0", "POM_5V_IN", "ina3221-iio"],
      ["iio:device0:1", "POM_5V_GPU", "ina3221-iio"],
      ["iio:device0:2", "POM_5V_CPU", "ina3221-iio"],
    ]);
    expect(await rails[0]!.read()).toEqual({
      tsMs: 9,
      valid: true,
      powerW: 2.611,
      currentA: 0.521,
      busVoltageV: 5.008,
    });
  });

  it("finds L4T 28 rails through the driver directory and its iio_device link, each chip once", async () => {
    const r = root();
    jetsonTx2Iio(r);
    const rails = await findIna3221Iio(r);
    expect(rails.map((s) => [s.id, s.label])).toEqual([
      ["iio:device0:0", "VDD_SYS_GPU"],
      ["iio:device0:1", "VDD_SYS_SOC"],
      ["iio:device0:2", "VDD_4V0_WIFI"],
      ["iio:device1:0", "VDD_IN"],
      ["iio:device1:1", "VDD_SYS_CPU"],
      ["iio:device1:2", "VDD_SYS_DDR"],
    ]);
    expect(await rails[3]!.read()).toMatchObject({ powerW: 0.019, currentA: 0.004, busVoltageV: 4.928 });
    // the Nano fixture links both /sys/bus/iio and the driver directory: still one sensor per channel
    const nano = root();
    jetsonNanoIio(nano);
    expect(await findIna3221Iio(nano)).toHaveLength(3);
  });

  it("finds no iio rails on a hwmon-layout Jetson", async () => {
    const r = root();
    jetsonOrinNanoHwmon(r);
    expect(await findIna3221Iio(r)).toEqual([]);
  });
});
