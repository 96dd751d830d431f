/**
 * The agent's view of a power or battery sensor. It is the shape of `@qonnect/energy`'s `Sensor`
 * (INA219, hwmon, INA3221, power_supply, UPS HAT drivers), so those plug in unchanged.
 */
export interface AgentSensor {
  /** stable id on this machine, e.g. `ina219:1-0x40` */
  readonly id: string;
  readonly label: string;
  read(): Promise<AgentSensorReading>;
}

/** One reading; quantities that the sensor does not measure are absent. */
export interface AgentSensorReading {
  valid: boolean;
  powerW?: number;
  busVoltageV?: number;
  currentA?: number;
  stateOfCharge?: number;
  batteryStatus?: "charging" | "discharging" | "full" | "not-charging" | "unknown";
}

/** The sensors the agent found or was told about: one for device power, optionally one for the battery. */
export interface SensorSet {
  power?: AgentSensor;
  battery?: AgentSensor;
  /** human-readable notes from discovery (what was probed, what was missing) */
  notes: string[];
  close?(): Promise<void>;
}
