// Linux hwmon `ina2xx` driver (drivers/hwmon/ina2xx.c; also ina238 and ina260 with the same attributes). The
// kernel programs the chip; we read its hwmon attributes in the hwmon sysfs ABI's fixed units:
//   in0_input     shunt voltage, mV         in1_input     bus voltage, mV
//   curr1_input   current, mA (signed)      power1_input  power, µW
//   shunt_resistor  µΩ (informational)
import { join } from "node:path";
import { type HwmonDevice, listHwmon } from "./hwmon.js";
import type { Sensor, SensorReading } from "./sensor.js";
import { parseIntAttr, readAttr, requireDir } from "./sysfs.js";

/** `name` values of hwmon devices served by the ina2xx family of drivers. */
export const INA2XX_HWMON_NAMES: ReadonlySet<string> = new Set([
  "ina209",
  "ina219",
  "ina220",
  "ina226",
  "ina230",
  "ina231",
  "ina237",
  "ina238",
  "ina260",
]);

export class HwmonIna2xxSensor implements Sensor {
  readonly kind = "hwmon-ina2xx";
  readonly id: string;
  readonly label: string;

  constructor(
    readonly device: HwmonDevice,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.id = `hwmon:${device.hwmon}`;
    this.label = `${device.name}${device.device ? ` ${device.device}` : ""}`;
  }

  async read(): Promise<SensorReading> {
    const dir = this.device.dir;
    await requireDir(dir, "name", this.id);
    const reading: SensorReading = { tsMs: this.nowMs(), valid: true };
    const attr = async (
      file: string,
      divisor: number,
      key: "shuntVoltageMv" | "busVoltageV" | "currentA" | "powerW",
    ) => {
      const a = await readAttr(join(dir, file), this.id);
      if ("text" in a) reading[key] = parseIntAttr(a.text, join(dir, file), this.id) / divisor;
      else if ("noData" in a) {
        reading.valid = false;
        reading.invalidReason = "no-data";
      }
    };
    await attr("in0_input", 1, "shuntVoltageMv");
    await attr("in1_input", 1e3, "busVoltageV");
    await attr("curr1_input", 1e3, "currentA");
    await attr("power1_input", 1e6, "powerW");
    return reading;
  }
}

/** Every hwmon device an ina2xx-family driver registered. */
export async function findHwmonIna2xx(root = "/", nowMs?: () => number): Promise<HwmonIna2xxSensor[]> {
  return (await listHwmon(root))
    .filter((d) => INA2XX_HWMON_NAMES.has(d.name))
    .map((d) => new HwmonIna2xxSensor(d, nowMs));
}
