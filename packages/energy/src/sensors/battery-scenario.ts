// A battery pack as an INA219 emulator scenario: piecewise-constant current, true SoC by exact integration,
// terminal voltage = cells · OCV(SoC) + I · R_internal (I > 0 charging raises it, discharging sags it).
// Drives the emulated UPS HAT in tests, `qonnect sensors --emulate` and simulated devices.
import { LI_ION_OCV_TABLE, type OcvPoint, ocvFromSoc } from "./battery-soc.js";
import type { Ina219Scenario } from "./ina219-emulator.js";

export interface BatteryScenarioConfig {
  /** When the first segment starts, milliseconds on the emulator's clock. */
  startMs: number;
  capacityAh: number;
  cellsInSeries: number;
  initialStateOfCharge: number;
  /** Pack internal resistance, ohms. Default 0.1. */
  internalResistanceOhm?: number;
  ocvTable?: readonly OcvPoint[];
  /** Consecutive segments of constant battery current (+ = charging); the last one lasts for ever. */
  segments: readonly { durationS: number; currentA: number }[];
}

export interface BatteryTruth {
  stateOfCharge: number;
  currentA: number;
  voltageV: number;
}

/** The pack's true state at time tMs. */
export function batteryTruthAt(c: BatteryScenarioConfig, tMs: number): BatteryTruth {
  let soc = c.initialStateOfCharge;
  let t = c.startMs;
  let currentA = 0;
  for (const [i, seg] of c.segments.entries()) {
    currentA = seg.currentA;
    const last = i === c.segments.length - 1;
    const endMs = last ? Number.POSITIVE_INFINITY : t + seg.durationS * 1000;
    const spanMs = Math.max(0, Math.min(tMs, endMs) - t);
    soc += (seg.currentA * spanMs) / 3_600_000 / c.capacityAh;
    if (tMs <= endMs) break;
    t = endMs;
  }
  soc = Math.min(1, Math.max(0, soc));
  const ocvV = ocvFromSoc(c.ocvTable ?? LI_ION_OCV_TABLE, soc) * c.cellsInSeries;
  return { stateOfCharge: soc, currentA, voltageV: ocvV + currentA * (c.internalResistanceOhm ?? 0.1) };
}

/** The scenario for an INA219 in the battery path (shunt current = battery current). */
export function batteryScenario(c: BatteryScenarioConfig): Ina219Scenario {
  return (tMs) => {
    const b = batteryTruthAt(c, tMs);
    return { busVoltageV: b.voltageV, currentA: b.currentA };
  };
}
