import type { AgentConfig } from "../config/config.js";
import { openEmulatedIna219, openIna219 } from "./ina219.js";
import type { SensorSet } from "./sensor.js";

/**
 * Builds the sensor set from the configuration: `emulate` gives an emulated INA219; `explicit` opens the
 * listed sensors this build has drivers for; `auto` probes what it can. `notes` says what was found and what
 * could not be used; without a power sensor the agent reports its power model's figure, marked as modelled.
 */
export async function discoverSensors(config: AgentConfig["sensors"]): Promise<SensorSet> {
  if (config.mode === "emulate") {
    const power = await openEmulatedIna219(config.emulate);
    return { power, notes: [`${power.id}: emulated INA219 on a virtual I2C bus`] };
  }
  const notes: string[] = [];
  const set: SensorSet = { notes };
  if (config.mode === "explicit") {
    for (const s of config.devices) {
      if (s.kind === "ina219" && !set.power) {
        try {
          set.power = await openIna219(s);
          notes.push(`${set.power.id}: INA219`);
        } catch (err) {
          notes.push(`ina219 on bus ${s.bus} at 0x${s.address.toString(16)}: ${(err as Error).message}`);
        }
      } else notes.push(`${s.kind}: no driver in this build yet`);
    }
  } else notes.push("auto: no power sensor found");
  if (!set.power) notes.push("power is reported from the power model");
  return set;
}
