import { readFileSync, statSync } from "node:fs";
import {
  constantScenario,
  type I2cBus,
  Ina219,
  Ina219Emulator,
  type Ina219Scenario,
  type Ina219Truth,
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
      scenario: spec.truthFile
        ? truthFileScenario(spec.truthFile, { busVoltageV: spec.busVoltageV, currentA: spec.currentA })
        : constantScenario({ busVoltageV: spec.busVoltageV, currentA: spec.currentA }),
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

/**
 * The truth from a JSON file an outside electrical model writes (`{"busVoltageV", "currentA"}`), re-read when
 * its modification time changes and at most every 100 ms; a missing or unreadable file keeps the last truth
 * (starting from `fallback`), so a half-written file never reaches the registers.
 */
export function truthFileScenario(file: string, fallback: Ina219Truth): Ina219Scenario {
  let truth = fallback;
  let checkedMs = Number.NEGATIVE_INFINITY;
  let seenMtimeMs = -1;
  return (tMs) => {
    if (tMs - checkedMs < 100) return truth;
    checkedMs = tMs;
    try {
      const mtimeMs = statSync(file).mtimeMs;
      if (mtimeMs === seenMtimeMs) return truth;
      const t = JSON.parse(readFileSync(file, "utf8")) as Partial<Ina219Truth>;
      if (Number.isFinite(t.busVoltageV) && Number.isFinite(t.currentA)) {
        truth = { busVoltageV: t.busVoltageV!, currentA: t.currentA! };
        seenMtimeMs = mtimeMs;
      }
    } catch {
      // keep the last truth
    }
    return truth;
  };
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
