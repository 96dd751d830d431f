import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { telemetryV1 } from "@qonnect/proto";
import { tempDir } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { buildTelemetry } from "../telemetry/build.js";
import { discoverSensors } from "./discover.js";

const emulate = { busVoltageV: 5.1, currentA: 0.6, shuntResistanceOhm: 0.1 };

function fakeSysfs(root: string): void {
  const write = (dir: string, files: Record<string, string>) => {
    mkdirSync(join(root, dir), { recursive: true });
    for (const [f, v] of Object.entries(files)) writeFileSync(join(root, dir, f), `${v}\n`);
  };
  write("sys/class/hwmon/hwmon0", { name: "coretemp" });
  write("sys/class/hwmon/hwmon1", {
    name: "ina226",
    in1_input: "5100",
    curr1_input: "600",
    power1_input: "3060000",
  });
  write("sys/class/power_supply/AC", { type: "Mains", online: "1" });
  write("sys/class/power_supply/BAT0", {
    type: "Battery",
    status: "Discharging",
    capacity: "80",
    voltage_now: "3800000",
    current_now: "500000",
  });
}

describe("sensor discovery", () => {
  const dirs: { remove(): void }[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.remove();
  });
  const root = () => {
    const d = tempDir("qonnect-sysfs-");
    dirs.push(d);
    fakeSysfs(d.path);
    return d.path;
  };

  it("auto finds an hwmon ina2xx for power and a power_supply battery, and the sample reports both", async () => {
    const set = await discoverSensors({ mode: "auto", devices: [], emulate }, root());
    expect(set.power?.id).toBe("hwmon:hwmon1");
    expect(set.battery?.id).toBe("power-supply:BAT0");
    const t = buildTelemetry({
      device: "d",
      region: "r",
      tsMs: 0,
      seq: 0,
      system: { cpuUtil: 0.1, memoryUsedBytes: 1, memoryTotalBytes: 2 },
      cpuCores: 4,
      power: await set.power!.read(),
      battery: await set.battery!.read(),
      model: { idleW: 2, maxW: 6, gamma: 1 },
      workloads: [],
    });
    expect(t).toMatchObject({
      powerW: 3.06,
      powerSource: telemetryV1.PowerSource.POWER_SOURCE_MEASURED,
      busVoltageV: 5.1,
      currentA: 0.6,
      battery: {
        soc: 0.8,
        voltageV: 3.8,
        currentA: -0.5,
        status: telemetryV1.BatteryStatus.BATTERY_STATUS_DISCHARGING,
      },
    });
  });

  it("explicit opens what is listed and says what it could not use", async () => {
    const set = await discoverSensors(
      {
        mode: "explicit",
        devices: [
          { kind: "hwmon", path: "/sys/class/hwmon/hwmon1" },
          { kind: "power_supply", name: "BAT9" },
          { kind: "ina219", bus: 7, address: 0x40, shuntResistanceOhm: 0.1, maxCurrentA: 3.2 },
        ],
        emulate,
      },
      root(),
    );
    expect(set.power?.id).toBe("hwmon:hwmon1");
    expect(set.battery).toBeUndefined();
    expect(set.notes.join("\n")).toMatch(/power_supply BAT9: not found/);
    expect(set.notes.join("\n")).toMatch(/ina219 on bus 7 at 0x40: .*i2c/i);
  });

  it("without any sensor the power model is used", async () => {
    const d = tempDir("qonnect-sysfs-empty-");
    dirs.push(d);
    const set = await discoverSensors({ mode: "auto", devices: [], emulate }, d.path);
    expect(set.power).toBeUndefined();
    expect(set.notes.at(-1)).toBe("power is reported from the power model");
  });
});
