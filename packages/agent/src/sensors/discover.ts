import { availableParallelism } from "node:os";
import { basename } from "node:path";
import {
  findHwmonIna2xx,
  findIna3221Hwmon,
  findPowerSupplies,
  HwmonIna2xxSensor,
  listHwmon,
  openI2cBus,
  UpsHat,
  WAVESHARE_UPS_HAT,
} from "@qonnect/energy";
import type { AgentConfig, PowerProfile, SensorSpec } from "../config/config.js";
import { openEmulatedBoard } from "./emulated-board.js";
import { openEmulatedIna219, openIna219 } from "./ina219.js";
import type { AgentSensor, SensorSet } from "./sensor.js";

/**
 * Builds the sensor set from the configuration, with @qonnect/energy's drivers:
 * - `emulate`: the register-accurate INA219 emulator on a virtual I2C bus, read through the real driver; with
 *   `followLoad`, a battery or a sun (and the `power` profile), an emulated board behind it (emulated-board.ts);
 * - `explicit`: the listed sensors (the first power source and the first battery that open are used);
 * - `auto`: power from an hwmon ina2xx chip, else an INA3221 rail (VDD_IN preferred); battery from
 *   /sys/class/power_supply.
 * `notes` says what was found and what could not be used; without a power sensor the agent reports its power
 * model's figure, marked as modelled. `root` is the filesystem root (tests use a fake sysfs tree).
 */
export async function discoverSensors(
  config: AgentConfig["sensors"],
  root = "/",
  power?: PowerProfile,
): Promise<SensorSet> {
  const em = config.emulate;
  if (config.mode === "emulate" && power && (em.followLoad || em.battery || em.solarW || em.solarFile))
    return openEmulatedBoard(em, power, availableParallelism());
  if (config.mode === "emulate") {
    const power = await openEmulatedIna219(config.emulate);
    return { power, notes: [`${power.id}: emulated INA219 on a virtual I2C bus`] };
  }
  const set: SensorSet = { notes: [] };
  const use = (role: "power" | "battery", sensor: AgentSensor | undefined, what: string) => {
    if (!sensor) return set.notes.push(`${what}: not found`);
    if (set[role])
      return set.notes.push(`${sensor.id}: found, but ${set[role]!.id} is already the ${role} source`);
    set[role] = sensor;
    set.notes.push(`${sensor.id}: ${role} (${sensor.label})`);
  };
  if (config.mode === "explicit") {
    for (const spec of config.devices) {
      try {
        const [role, sensor] = await openExplicit(spec, root);
        use(role, sensor, describe(spec));
      } catch (err) {
        set.notes.push(`${describe(spec)}: ${(err as Error).message}`);
      }
    }
  } else {
    const ina2xx = (await findHwmonIna2xx(root))[0];
    const rails = await findIna3221Hwmon(root);
    const rail = rails.find((r) => /VDD_IN|IN$/i.test(r.label)) ?? rails[0];
    if (ina2xx ?? rail) use("power", ina2xx ?? rail, "power sensor");
    const battery = (await findPowerSupplies(root)).find((s) => s.isBattery);
    if (battery) use("battery", battery, "battery");
    if (!set.power && !set.battery) set.notes.push("auto: no hwmon power sensor and no battery found");
  }
  if (!set.power) set.notes.push("power is reported from the power model");
  return set;
}

async function openExplicit(
  spec: SensorSpec,
  root: string,
): Promise<["power" | "battery", AgentSensor | undefined]> {
  switch (spec.kind) {
    case "ina219":
      return ["power", await openIna219(spec)];
    case "hwmon": {
      const want = basename(spec.path);
      const device = (await listHwmon(root)).find((d) => d.hwmon === want || d.dir === spec.path);
      return ["power", device && new HwmonIna2xxSensor(device)];
    }
    case "ina3221": {
      const want = basename(spec.path);
      const rails = await findIna3221Hwmon(root);
      return [
        "power",
        rails.find(
          (r) => (r.device.hwmon === want || r.device.dir === spec.path) && r.channel === spec.channel,
        ),
      ];
    }
    case "power_supply": {
      const supply = (await findPowerSupplies(root)).find((s) => s.supply === spec.name);
      return [supply?.isBattery ? "battery" : "power", supply];
    }
    case "ups-hat": {
      const bus = await openI2cBus(spec.bus);
      return [
        "battery",
        await UpsHat.open({
          bus,
          busNumber: spec.bus,
          preset: { ...WAVESHARE_UPS_HAT, address: spec.address },
        }),
      ];
    }
  }
}

function describe(spec: SensorSpec): string {
  switch (spec.kind) {
    case "ina219":
    case "ups-hat":
      return `${spec.kind} on bus ${spec.bus} at 0x${spec.address.toString(16)}`;
    case "hwmon":
      return `hwmon ${spec.path}`;
    case "ina3221":
      return `ina3221 ${spec.path} channel ${spec.channel}`;
    case "power_supply":
      return `power_supply ${spec.name}`;
  }
}
