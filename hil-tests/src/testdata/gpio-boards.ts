// GPIO as two Raspberry Pis running Linux 6.6 show it, for the relay tests: the sysfs chips with their dynamic
// bases (what onoff exports by) and the output of libgpiod's gpiodetect/gpioinfo (how lines are named), as
// stand-in scripts on PATH. The lines the rig uses are pre-exported in the tree, as a previous run leaves them
// (a regular-file tree has no kernel to create gpioN when `export` is written).
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SysfsTree } from "@qonnect/testkit";

export interface GpioBoardFixture {
  gpiodetect: string;
  gpioinfo: Record<string, string>;
  /** sysfs chip directory name → label, base, ngpio */
  sysfsChips: Record<string, { label: string; base: number; ngpio: number }>;
}

function lines(names: string[]): string {
  return names
    .map(
      (n, i) => `\tline ${String(i).padStart(3)}:${`"${n}"`.padStart(18)}       unused   input  active-high `,
    )
    .join("\n");
}

const gpioNames = (count: number, special: Record<number, string>) =>
  Array.from({ length: count }, (_, i) => special[i] ?? (i < 28 ? `GPIO${i}` : `NC${i}`));

/** Raspberry Pi 5, kernel 6.6: the header's GPIOs are on the RP1 (gpiochip4), sysfs base 571. */
export const PI5_LINUX_6_6: GpioBoardFixture = {
  gpiodetect: [
    "gpiochip0 [gpio-brcmstb@107d508500] (32 lines)",
    "gpiochip1 [gpio-brcmstb@107d517c00] (15 lines)",
    "gpiochip2 [gpio-brcmstb@107d508520] (6 lines)",
    "gpiochip3 [gpio-brcmstb@107d517c20] (6 lines)",
    "gpiochip4 [pinctrl-rp1] (54 lines)",
  ].join("\n"),
  gpioinfo: {
    gpiochip4: `gpiochip4 - 54 lines:\n${lines(gpioNames(54, { 0: "ID_SDA", 1: "ID_SCL", 28: "PCIE_RP1_WAKE", 29: "FAN_TACH" }))}`,
    gpiochip0: `gpiochip0 - 32 lines:\n${lines(gpioNames(32, { 0: "-", 20: "PWR_GPIO" }).map((n) => (n.startsWith("GPIO") ? `BRCM_${n}` : n)))}`,
  },
  sysfsChips: {
    gpiochip512: { label: "gpio-brcmstb@107d508500", base: 512, ngpio: 32 },
    gpiochip544: { label: "gpio-brcmstb@107d517c00", base: 544, ngpio: 15 },
    gpiochip559: { label: "gpio-brcmstb@107d508520", base: 559, ngpio: 6 },
    gpiochip565: { label: "gpio-brcmstb@107d517c20", base: 565, ngpio: 6 },
    gpiochip571: { label: "pinctrl-rp1", base: 571, ngpio: 54 },
  },
};

/** Raspberry Pi 4, kernel 6.6: pinctrl-bcm2711 is gpiochip0, sysfs base 512. */
export const PI4_LINUX_6_6: GpioBoardFixture = {
  gpiodetect: ["gpiochip0 [pinctrl-bcm2711] (58 lines)", "gpiochip1 [raspberrypi-exp-gpio] (8 lines)"].join(
    "\n",
  ),
  gpioinfo: {
    gpiochip0: `gpiochip0 - 58 lines:\n${lines(gpioNames(58, { 0: "ID_SDA", 1: "ID_SCL", 2: "SDA1", 3: "SCL1", 4: "GPIO_GCLK" }))}`,
  },
  sysfsChips: {
    gpiochip512: { label: "pinctrl-bcm2711", base: 512, ngpio: 58 },
    gpiochip570: { label: "raspberrypi-exp-gpio", base: 570, ngpio: 8 },
  },
};

/**
 * Writes the sysfs GPIO tree under `root` (with `export`/`unexport` and the given lines pre-exported as inputs)
 * and stand-in `gpiodetect`/`gpioinfo` scripts into `root/bin`; returns that bin folder.
 */
export function writeGpioBoard(root: string, fixture: GpioBoardFixture, exported: number[]): string {
  const tree = new SysfsTree(root);
  tree.attrs("/sys/class/gpio", { export: "", unexport: "" });
  for (const [dir, chip] of Object.entries(fixture.sysfsChips))
    tree.attrs(`/sys/class/gpio/${dir}`, { label: chip.label, base: chip.base, ngpio: chip.ngpio });
  for (const n of exported)
    tree.attrs(`/sys/class/gpio/gpio${n}`, { direction: "in", value: 0, active_low: 0, edge: "none" });
  const bin = join(root, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "gpiodetect.txt"), `${fixture.gpiodetect}\n`);
  writeFileSync(join(bin, "gpiodetect"), `#!/bin/sh\ncat "$(dirname "$0")/gpiodetect.txt"\n`);
  for (const [chip, text] of Object.entries(fixture.gpioinfo))
    writeFileSync(join(bin, `gpioinfo-${chip}.txt`), `${text}\n`);
  writeFileSync(
    join(bin, "gpioinfo"),
    `#!/bin/sh\nf="$(dirname "$0")/gpioinfo-$1.txt"\n[ -f "$f" ] || { echo "gpioinfo: cannot find GPIO chip character device '$1'" >&2; exit 1; }\ncat "$f"\n`,
  );
  chmodSync(join(bin, "gpiodetect"), 0o755);
  chmodSync(join(bin, "gpioinfo"), 0o755);
  return bin;
}

/** The physical pin level the emulated kernel drives: value XOR active_low, for an output line. */
export function physicalLevel(root: string, n: number, read: (path: string) => string): 0 | 1 | undefined {
  const dir = join(root, `sys/class/gpio/gpio${n}`);
  const direction = read(join(dir, "direction")).trim();
  if (direction === "in") return undefined;
  const value = Number(read(join(dir, "value")).trim());
  const activeLow = Number(read(join(dir, "active_low")).trim());
  return ((value ^ activeLow) & 1) as 0 | 1;
}
