// Enumerating /sys/class/hwmon: every hwmonN directory (a symlink into /sys/devices) with its `name` and the
// device it belongs to (e.g. `1-0040`: I2C bus 1, address 0x40).
import { join } from "node:path";
import { linkTarget, listDir, readText, sysPath } from "./sysfs.js";

export interface HwmonDevice {
  /** The class directory entry, e.g. `hwmon2`. */
  hwmon: string;
  /** Its path under the root, e.g. `<root>/sys/class/hwmon/hwmon2`. */
  dir: string;
  /** The driver's chip name from the `name` attribute, e.g. `ina219`, `ina3221`. */
  name: string;
  /** The device the hwmon node belongs to (basename of the `device` link), e.g. `1-0040`. */
  device?: string;
}

export async function listHwmon(root = "/"): Promise<HwmonDevice[]> {
  const base = sysPath(root, "sys/class/hwmon");
  const out: HwmonDevice[] = [];
  for (const hwmon of await listDir(base)) {
    const dir = join(base, hwmon);
    const name = await readText(join(dir, "name"), `hwmon:${hwmon}`);
    if (name === undefined) continue;
    const device = await linkTarget(join(dir, "device"));
    out.push(device === undefined ? { hwmon, dir, name } : { hwmon, dir, name, device });
  }
  return out;
}
