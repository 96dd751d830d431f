// Builds fake sysfs trees in a temporary root, laid out as on real machines: attributes live under
// /sys/devices/..., and the class directories hold relative symlinks into it, as the kernel makes them.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/** Attribute files of one device directory: name → content (a newline is appended, as sysfs does). */
export type SysfsAttrs = Record<string, string | number>;

export class SysfsTree {
  constructor(readonly root: string) {}

  /** Writes attribute files into an absolute sysfs directory (e.g. /sys/devices/.../hwmon/hwmon2). */
  attrs(dir: string, attrs: SysfsAttrs): this {
    const full = join(this.root, dir);
    mkdirSync(full, { recursive: true });
    for (const [name, value] of Object.entries(attrs)) writeFileSync(join(full, name), `${value}\n`);
    return this;
  }

  /** Makes `link` a relative symlink to `target` (both absolute sysfs paths), as sysfs does. */
  link(link: string, target: string): this {
    mkdirSync(dirname(join(this.root, link)), { recursive: true });
    symlinkSync(relative(dirname(link), target), join(this.root, link));
    return this;
  }

  /** Writes a hwmon device: its attributes, its `device` link, and the /sys/class/hwmon entry. */
  hwmon(deviceDir: string, hwmon: string, attrs: SysfsAttrs): this {
    const dir = `${deviceDir}/hwmon/${hwmon}`;
    return this.attrs(dir, attrs).link(`${dir}/device`, deviceDir).link(`/sys/class/hwmon/${hwmon}`, dir);
  }

  /** Writes a power supply under its device and the /sys/class/power_supply entry. */
  powerSupply(deviceDir: string, name: string, attrs: SysfsAttrs): this {
    const dir = `${deviceDir}/power_supply/${name}`;
    return this.attrs(dir, { ...attrs }).link(`/sys/class/power_supply/${name}`, dir);
  }
}
