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
  /** An emulated board (sensors: emulate with followLoad): told the load, asked for the solar excess. */
  board?: BoardHooks;
}

/** What the agent tells an emulated board before each sample, and what it reads back for its telemetry. */
export interface BoardHooks {
  /** The workloads' CPU use now (cores); the board also re-reads its sun (`solarFile`). */
  update(workloadCores: number): Promise<void>;
  /** The panel's output above the board's own draw, W. */
  solarExcessW(): number;
}
