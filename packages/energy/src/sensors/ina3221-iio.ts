// Jetson INA3221, the older iio layout of NVIDIA's out-of-tree `ina3221x` driver (L4T 32 / JetPack 4: Nano,
// TX1, TX2, Xavier; e.g. /sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0). One sensor per channel c = 0..2:
//   rail_name_<c>          rail name (POM_5V_IN, POM_5V_GPU, POM_5V_CPU on a Nano)
//   in_power<c>_input      power, mW
//   in_current<c>_input    current, mA
//   in_voltage<c>_input    bus voltage, mV
// Found through /sys/bus/iio/devices/iio:deviceN (symlinks) whose `name` is `ina3221x`, and through the
// driver's directory /sys/bus/i2c/drivers/ina3221x/<bus>-<addr>/{iio:deviceN,iio_device}.
import { realpath } from "node:fs/promises";
import { basename, join } from "node:path";
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

/**
 * The ina3221x iio directories under root, each once: those under /sys/bus/iio/devices whose `name` is
 * `ina3221x`, and those under the driver's own directory /sys/bus/i2c/drivers/ina3221x/<bus>-<addr>/ (named
 * iio:deviceN, or `iio_device` on L4T 28), which is where NVIDIA documents them.
 */
async function ina3221xDirs(root: string): Promise<{ dir: string; device: string }[]> {
  const candidates: string[] = [];
  const iioBase = sysPath(root, "sys/bus/iio/devices");
  for (const entry of await listDir(iioBase))
    if ((await readText(join(iioBase, entry, "name"), `iio:${entry}`)) === "ina3221x")
      candidates.push(join(iioBase, entry));
  const driverBase = sysPath(root, "sys/bus/i2c/drivers/ina3221x");
  for (const client of await listDir(driverBase)) {
    if (!/^\d+-[0-9a-f]{4}$/.test(client)) continue;
    for (const entry of await listDir(join(driverBase, client)))
      if (entry.startsWith("iio:device") || entry === "iio_device")
        candidates.push(join(driverBase, client, entry));
  }
  const seen = new Map<string, { dir: string; device: string }>();
  for (const dir of candidates) {
    const real = await realpath(dir).catch(() => undefined);
    if (real === undefined || seen.has(real)) continue;
    seen.set(real, { dir, device: basename(real) });
  }
  return [...seen.values()];
}

/** One sensor per channel (with a power attribute) of every ina3221x iio device. */
export async function findIna3221Iio(root = "/", nowMs?: () => number): Promise<Ina3221IioChannel[]> {
  const out: Ina3221IioChannel[] = [];
  for (const { dir, device } of await ina3221xDirs(root)) {
    for (const channel of [0, 1, 2] as const) {
      const id = `${device}:${channel}`;
      if ("missing" in (await readAttr(join(dir, `in_power${channel}_input`), id))) continue;
      const label = (await readText(join(dir, `rail_name_${channel}`), id)) ?? `INA3221 channel ${channel}`;
      out.push(new Ina3221IioChannel(dir, device, channel, label, nowMs));
    }
  }
  return out;
}
