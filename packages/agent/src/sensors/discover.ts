import type { AgentConfig } from "../config/config.js";
import { EmulatedIna219 } from "./emulated.js";
import type { SensorSet } from "./sensor.js";

/**
 * Builds the sensor set from the configuration: `emulate` gives an emulated INA219; `explicit` and `auto`
 * use the drivers this build has and say in `notes` what they could not use (the agent then reports the
 * power model's figure, marked as modelled).
 */
export async function discoverSensors(config: AgentConfig["sensors"]): Promise<SensorSet> {
  if (config.mode === "emulate")
    return { power: new EmulatedIna219(config.emulate), notes: ["emulated INA219"] };
  const notes: string[] = [];
  if (config.mode === "explicit")
    for (const s of config.devices) notes.push(`${s.kind}: no driver in this build; using the power model`);
  else notes.push("auto: no power sensor found; using the power model");
  return { notes };
}
