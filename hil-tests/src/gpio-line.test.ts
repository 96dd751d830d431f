import { useTempDirs } from "@qonnect/testkit";
import { describe, expect, it } from "vitest";
import { findGpioLine, type GpioTool, parseGpiodetect, parseGpioinfo } from "./gpio-line.js";
import {
  type GpioBoardFixture,
  PI4_LINUX_6_6,
  PI5_LINUX_6_6,
  writeGpioBoard,
} from "./testdata/gpio-boards.js";

const tool =
  (f: GpioBoardFixture): GpioTool =>
  async (name, args) => {
    if (name === "gpiodetect") return f.gpiodetect;
    const text = f.gpioinfo[args[0] ?? ""];
    if (!text) throw new Error(`gpioinfo: cannot find GPIO chip character device '${args[0]}'`);
    return text;
  };

describe("GPIO line by chip label and line name (sysfs emulator tree, Linux 6.6 dynamic bases)", () => {
  const temp = useTempDirs();

  it("parses gpiodetect and gpioinfo as libgpiod prints them", () => {
    expect(parseGpiodetect(PI5_LINUX_6_6.gpiodetect).get("pinctrl-rp1")).toBe("gpiochip4");
    expect(parseGpioinfo(PI5_LINUX_6_6.gpioinfo.gpiochip4!).get("GPIO17")).toBe(17);
    expect(parseGpioinfo(PI4_LINUX_6_6.gpioinfo.gpiochip0!).get("SDA1")).toBe(2);
  });

  it("Pi 5: pinctrl-rp1/GPIO17 is sysfs 588 (base 571), not 17 (onoff#200)", async () => {
    const root = temp();
    writeGpioBoard(root, PI5_LINUX_6_6, []);
    const line = await findGpioLine("pinctrl-rp1", "GPIO17", { sysRoot: root, tool: tool(PI5_LINUX_6_6) });
    expect(line).toMatchObject({ chipDevice: "gpiochip4", offset: 17, sysfsBase: 571, sysfsNumber: 588 });
  });

  it("Pi 4: pinctrl-bcm2711/GPIO17 is sysfs 529 (base 512, onoff#199)", async () => {
    const root = temp();
    writeGpioBoard(root, PI4_LINUX_6_6, []);
    const line = await findGpioLine("pinctrl-bcm2711", "GPIO17", {
      sysRoot: root,
      tool: tool(PI4_LINUX_6_6),
    });
    expect(line).toMatchObject({ chipDevice: "gpiochip0", offset: 17, sysfsNumber: 529 });
  });

  it("without sysfs GPIO the line has no sysfs number (the relay falls back to gpioset)", async () => {
    const line = await findGpioLine("pinctrl-rp1", "GPIO27", { sysRoot: temp(), tool: tool(PI5_LINUX_6_6) });
    expect(line.offset).toBe(27);
    expect(line.sysfsNumber).toBeUndefined();
  });

  it("names what is missing: an unknown chip label, an unknown line name", async () => {
    const root = temp();
    writeGpioBoard(root, PI4_LINUX_6_6, []);
    await expect(
      findGpioLine("pinctrl-rp1", "GPIO17", { sysRoot: root, tool: tool(PI4_LINUX_6_6) }),
    ).rejects.toThrow(/no chip labelled "pinctrl-rp1" \(chips: pinctrl-bcm2711, raspberrypi-exp-gpio\)/);
    await expect(
      findGpioLine("pinctrl-bcm2711", "GPIO99", { sysRoot: root, tool: tool(PI4_LINUX_6_6) }),
    ).rejects.toThrow(/gpiochip0 has no line named "GPIO99"/);
  });
});
