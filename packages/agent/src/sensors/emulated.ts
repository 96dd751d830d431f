import type { EmulatedSensorSpec } from "../config/config.js";
import type { AgentSensor, AgentSensorReading } from "./sensor.js";

const BUS_LSB_V = 0.004; // INA219 bus voltage register LSB
const SHUNT_LSB_V = 0.00001; // INA219 shunt voltage register LSB (10 µV)

/**
 * An emulated INA219: reports what the chip's registers would hold for the configured bus voltage and load
 * current (bus voltage in 4 mV steps, shunt voltage in 10 µV steps, current = shunt voltage / shunt resistance).
 */
export class EmulatedIna219 implements AgentSensor {
  readonly id = "ina219:emulated-0x40";
  readonly label = "INA219 (emulated)";

  constructor(private readonly spec: EmulatedSensorSpec) {}

  async read(): Promise<AgentSensorReading> {
    const busVoltageV = Math.round(this.spec.busVoltageV / BUS_LSB_V) * BUS_LSB_V;
    const shuntV = Math.round((this.spec.currentA * this.spec.shuntOhms) / SHUNT_LSB_V) * SHUNT_LSB_V;
    const currentA = shuntV / this.spec.shuntOhms;
    return { valid: true, busVoltageV, currentA, powerW: busVoltageV * currentA };
  }
}
