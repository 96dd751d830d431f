import {
  constantScenario,
  type I2cBus,
  Ina219,
  Ina219Emulator,
  openI2cBus,
  VirtualI2cBus,
} from "@qonnect/energy";
import type { EmulatedSensorSpec } from "../config/config.js";
import type { AgentSensor } from "./sensor.js";

const EMULATED_ADDRESS = 0x40;

/**
 * `sensors: emulate`: @qonnect/energy's register-accurate INA219 emulator on a virtual I2C bus, read through
 * the real INA219 driver, so the agent exercises the same calibration and register arithmetic as on a board.
 */
export async function openEmulatedIna219(spec: EmulatedSensorSpec): Promise<AgentSensor> {
  const bus = new VirtualI2cBus();
  bus.attach(
    EMULATED_ADDRESS,
    new Ina219Emulator({
      nowMs: Date.now,
      scenario: constantScenario({ busVoltageV: spec.busVoltageV, currentA: spec.currentA }),
      shuntResistanceOhm: spec.shuntResistanceOhm,
    }),
  );
  return Ina219.open({
    bus,
    address: EMULATED_ADDRESS,
    shuntResistanceOhm: spec.shuntResistanceOhm,
    maxExpectedCurrentA: 3.2,
    label: "INA219 (emulated)",
  });
}

/** A real INA219 on /dev/i2c-<busNumber>; rejects (I2cUnavailableError, SensorError) when it cannot be used. */
export async function openIna219(spec: {
  bus: number;
  address: number;
  shuntResistanceOhm: number;
  maxCurrentA: number;
}): Promise<AgentSensor> {
  const bus: I2cBus = await openI2cBus(spec.bus);
  return Ina219.open({
    bus,
    busNumber: spec.bus,
    address: spec.address,
    shuntResistanceOhm: spec.shuntResistanceOhm,
    maxExpectedCurrentA: spec.maxCurrentA,
  });
}
