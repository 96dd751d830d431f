// Jetson INA3221, hwmon layout (mainline drivers/hwmon/ina3221.c; JetPack 5 and later, e.g. Orin and Xavier
// on L4T 35: /sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmonN). One sensor per channel n = 1..3:
//   in<n>_label   rail name from the device tree (VDD_IN, VDD_CPU_GPU_CV, VDD_SOC, ...)
//   in<n>_input   bus voltage, mV        curr<n>_input  current, mA
//   in<n+3>_input shunt voltage, µV (not mV: the driver reports 40 µV LSBs as µV)
//   in<n>_enable  0 when the channel is disabled       in7_input  sum of shunt voltages, µV
// A disabled channel's input reads fail with ENODATA. Power is not an attribute: powerW = V · I.
import { join } from "node:path";
import { type HwmonDevice, listHwmon } from "./hwmon.js";
import type { Sensor, SensorReading } from "./sensor.js";
import { parseIntAttr, readAttr, readText, requireDir } from "./sysfs.js";

export class Ina3221HwmonChannel implements Sensor {
  readonly kind = "ina3221-hwmon";
  readonly id: string;

  constructor(
    readonly device: HwmonDevice,
    readonly channel: 1 | 2 | 3,
    readonly label: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.id = `hwmon:${device.hwmon}:${channel}`;
  }

  async read(): Promise<SensorReading> {
    const dir = this.device.dir;
    await requireDir(dir, `in${this.channel}_input`, this.id);
    const tsMs = this.nowMs();
    const value = async (file: string): Promise<number | "no-data" | undefined> => {
      const a = await readAttr(join(dir, file), this.id);
      if ("text" in a) return parseIntAttr(a.text, join(dir, file), this.id);
      return "noData" in a ? "no-data" : undefined;
    };
    const busMv = await value(`in${this.channel}_input`);
    const currentMa = await value(`curr${this.channel}_input`);
    const shuntUv = await value(`in${this.channel + 3}_input`);
    if (busMv === "no-data" || currentMa === "no-data" || shuntUv === "no-data")
      return { tsMs, valid: false, invalidReason: "no-data" };
    const reading: SensorReading = { tsMs, valid: true };
    if (busMv !== undefined) reading.busVoltageV = busMv / 1000;
    if (currentMa !== undefined) reading.currentA = currentMa / 1000;
    if (shuntUv !== undefined) reading.shuntVoltageMv = shuntUv / 1000;
    if (busMv !== undefined && currentMa !== undefined) reading.powerW = (busMv * currentMa) / 1e6;
    return reading;
  }
}

/** One sensor per enabled channel of every hwmon device named `ina3221`. */
export async function findIna3221Hwmon(root = "/", nowMs?: () => number): Promise<Ina3221HwmonChannel[]> {
  const out: Ina3221HwmonChannel[] = [];
  for (const d of await listHwmon(root)) {
    if (d.name !== "ina3221") continue;
    for (const channel of [1, 2, 3] as const) {
      const id = `hwmon:${d.hwmon}:${channel}`;
      if ("missing" in (await readAttr(join(d.dir, `in${channel}_input`), id))) continue;
      if ((await readText(join(d.dir, `in${channel}_enable`), id)) === "0") continue;
      const label = (await readText(join(d.dir, `in${channel}_label`), id)) ?? `INA3221 channel ${channel}`;
      out.push(new Ina3221HwmonChannel(d, channel, label, nowMs));
    }
  }
  return out;
}
