// Jetson INA3221, the older iio layout of NVIDIA's out-of-tree `ina3221x` driver (L4T 32 / JetPack 4: Nano,
// TX1, TX2, Xavier; e.g. /sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0). One sensor per channel c = 0..2:
//   rail_name_<c>          rail name (POM_5V_IN, POM_5V_GPU, POM_5V_CPU on a Nano)
//   in_power<c>_input      power, mW
//   in_current<c>_input    current, mA
//   in_voltage<c>_input    bus voltage, mV
// Found through /sys/bus/iio/devices/iio:deviceN (symlinks), whose `name` is `ina3221x`.
import { join } from "node:path";
import type { Sensor, SensorReading } from "./sensor.js";
import { listDir, parseIntAttr, readAttr, readText, requireDir, sysPath } from "./sysfs.js";

export class Ina3221IioChannel implements Sensor {
  readonly kind = "ina3221-iio";
  readonly id: string;

  constructor(
    /** The iio device directory under the root. */
    readonly dir: string,
    readonly iioDevice: string,
    readonly channel: 0 | 1 | 2,
    readonly label: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.id = `${iioDevice}:${channel}`;
  }

  async read(): Promise<SensorReading> {
    await requireDir(this.dir, `in_power${this.channel}_input`, this.id);
    const reading: SensorReading = { tsMs: this.nowMs(), valid: true };
    const files = [
      [`in_power${this.channel}_input`, "powerW"],
      [`in_current${this.channel}_input`, "currentA"],
      [`in_voltage${this.channel}_input`, "busVoltageV"],
    ] as const;
    for (const [file, key] of files) {
      const a = await readAttr(join(this.dir, file), this.id);
      if ("text" in a) reading[key] = parseIntAttr(a.text, join(this.dir, file), this.id) / 1000;
      else if ("noData" in a) return { tsMs: reading.tsMs, valid: false, invalidReason: "no-data" };
    }
    return reading;
  }
}

/** One sensor per channel (with a power attribute) of every iio device named `ina3221x`. */
export async function findIna3221Iio(root = "/", nowMs?: () => number): Promise<Ina3221IioChannel[]> {
  const base = sysPath(root, "sys/bus/iio/devices");
  const out: Ina3221IioChannel[] = [];
  for (const entry of await listDir(base)) {
    const dir = join(base, entry);
    if ((await readText(join(dir, "name"), `iio:${entry}`)) !== "ina3221x") continue;
    for (const channel of [0, 1, 2] as const) {
      const id = `${entry}:${channel}`;
      if ("missing" in (await readAttr(join(dir, `in_power${channel}_input`), id))) continue;
      const label = (await readText(join(dir, `rail_name_${channel}`), id)) ?? `INA3221 channel ${channel}`;
      out.push(new Ina3221IioChannel(dir, entry, channel, label, nowMs));
    }
  }
  return out;
}
