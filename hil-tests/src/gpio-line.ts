// Finds a relay's GPIO line by chip label and line name, never by a hard-coded number. Since Linux 6.6 the
// sysfs GPIO numbers of the Raspberry Pi's chips are dynamic (pinctrl-bcm2711 starts at 512 on a Pi 4,
// pinctrl-rp1 at 571 on a Pi 5 — onoff#199, onoff#200: "GPIO17" is no longer sysfs number 17), so the global
// number onoff exports is computed as the chip's `base` (read from /sys/class/gpio/gpiochip*/label + base)
// plus the line's offset (from its name, as libgpiod's gpioinfo lists it). Where sysfs GPIO is absent
// (kernels built without CONFIG_GPIO_SYSFS), the line is driven through libgpiod's `gpioset` by chip and
// offset instead.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Runs a libgpiod tool (`gpiodetect`, `gpioinfo`) and returns its stdout; replaceable in tests. */
export type GpioTool = (tool: "gpiodetect" | "gpioinfo", args: string[]) => Promise<string>;

export const realGpioTool: GpioTool = async (tool, args) =>
  (await run(tool, args, { timeout: 10_000 })).stdout;

export class GpioLineNotFoundError extends Error {
  override name = "GpioLineNotFoundError";
  constructor(
    readonly chip: string,
    readonly line: string,
    detail: string,
  ) {
    super(
      `GPIO ${chip}/${line}: ${detail}; check the rig file against \`gpiodetect\` and \`gpioinfo\` on the rig host`,
    );
  }
}

/** Where a line is: its character-device chip and offset, and its sysfs number when sysfs GPIO exists. */
export interface GpioLine {
  chipLabel: string;
  lineName: string;
  /** The character device's name, e.g. gpiochip4. */
  chipDevice: string;
  offset: number;
  /** base + offset, what onoff exports; undefined without sysfs GPIO or when the chip is not in sysfs. */
  sysfsNumber?: number;
  /** The chip's sysfs base (dynamic since Linux 6.6). */
  sysfsBase?: number;
}

/** `gpiodetect` output: `gpiochip4 [pinctrl-rp1] (54 lines)` → label → device. */
export function parseGpiodetect(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^(gpiochip\d+)\s+\[([^\]]*)\]/gm)) out.set(m[2]!, m[1]!);
  return out;
}

/** `gpioinfo CHIP` output (libgpiod 1.x and 2.x): line offset → name ("unnamed" lines are skipped). */
export function parseGpioinfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^\s*line\s+(\d+):\s+"([^"]*)"/gm)) out.set(m[2]!, Number(m[1]));
  return out;
}

/** The sysfs GPIO chips under `sysRoot`: label → base. Empty when /sys/class/gpio does not exist. */
export function sysfsChipBases(sysRoot = "/"): Map<string, number> {
  const dir = join(sysRoot, "sys/class/gpio");
  const out = new Map<string, number>();
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith("gpiochip")) continue;
    try {
      const label = readFileSync(join(dir, entry, "label"), "utf8").trim();
      const base = Number(readFileSync(join(dir, entry, "base"), "utf8").trim());
      if (Number.isInteger(base)) out.set(label, base);
    } catch {
      // a chip directory without label/base: not one we can use
    }
  }
  return out;
}

/** True when sysfs GPIO is there to export lines (the kernel has CONFIG_GPIO_SYSFS). */
export function sysfsGpioPresent(sysRoot = "/"): boolean {
  return existsSync(join(sysRoot, "sys/class/gpio/export"));
}

/** Resolves `chip` (a label) and `line` (a name) to a chip device, offset and sysfs number. */
export async function findGpioLine(
  chip: string,
  line: string,
  options: { sysRoot?: string; tool?: GpioTool } = {},
): Promise<GpioLine> {
  const tool = options.tool ?? realGpioTool;
  let chips: Map<string, string>;
  try {
    chips = parseGpiodetect(await tool("gpiodetect", []));
  } catch (err) {
    throw new GpioLineNotFoundError(
      chip,
      line,
      `gpiodetect failed (${(err as Error).message.split("\n")[0]}); install gpiod`,
    );
  }
  const chipDevice = chips.get(chip);
  if (!chipDevice)
    throw new GpioLineNotFoundError(
      chip,
      line,
      `no chip labelled "${chip}" (chips: ${[...chips.keys()].join(", ") || "none"})`,
    );
  const names = parseGpioinfo(await tool("gpioinfo", [chipDevice]));
  const offset = names.get(line);
  if (offset === undefined)
    throw new GpioLineNotFoundError(chip, line, `${chipDevice} has no line named "${line}"`);
  const base = sysfsGpioPresent(options.sysRoot) ? sysfsChipBases(options.sysRoot).get(chip) : undefined;
  return {
    chipLabel: chip,
    lineName: line,
    chipDevice,
    offset,
    ...(base === undefined ? {} : { sysfsBase: base, sysfsNumber: base + offset }),
  };
}
