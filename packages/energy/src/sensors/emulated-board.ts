// An electrically honest emulated board for simulated devices: the load's power follows the workload
// utilisation through the device's power model, a solar panel (its output settable at run time, the sunset of
// the demo) feeds the load first, the surplus charges a battery and a deficit discharges it (down to its
// minimum state of charge; below that the supply covers the rest). Two INA219 scenarios read the result
// through the register-accurate emulator: the load's supply rail, and the battery path of a UPS HAT.
//
//   loadW  = P(u) = idleW + (maxW − idleW)·u^γ            (power-model.ts)
//   excess = max(0, solarW − loadW)                        what extra work could run on sunshine alone
//   batteryW = solarW − loadW, clipped by the battery      (IdealBattery: + charging, − discharging)
//   pack V = cells · OCV(SoC) + I · R_internal,  I = batteryW / pack V
//
// Time only moves forward: the emulator reads the scenario at instants inside its conversion windows, which
// may lie slightly before the last instant integrated; those see the state as it is (nothing is rewound).
import { type PowerModel, powerW } from "../power-model.js";
import { IdealBattery } from "../storage/ideal.js";
import { LI_ION_OCV_TABLE, ocvFromSoc } from "./battery-soc.js";
import type { Ina219Scenario } from "./ina219-emulator.js";

export interface EmulatedBoardBattery {
  capacityWh: number;
  /** State of charge at start, [0, 1]. */
  initialSoc: number;
  /** The battery does not discharge below this; default 0. */
  minSoc?: number;
  /** Cells in series; default 2 (a 2 × 18650 UPS HAT). */
  cellsInSeries?: number;
  /** Pack internal resistance, ohms; default 0.1. */
  internalResistanceOhm?: number;
}

export interface EmulatedBoardConfig {
  /** The clock, milliseconds (the emulator's clock). */
  nowMs: () => number;
  /** The device's power model. */
  model: PowerModel;
  /** Voltage of the load's supply rail, V (5.1 V on a Raspberry Pi's USB-C). */
  busVoltageV: number;
  /** The workload utilisation now, [0, 1] (clamped). */
  utilisation: () => number;
  /** The solar panel's output now, W (0 after sunset). */
  solarW: () => number;
  battery?: EmulatedBoardBattery;
}

/** The board's true electrical state at one instant. */
export interface BoardState {
  tsMs: number;
  loadW: number;
  solarW: number;
  /** Into the battery, W (+ charging, − discharging); 0 without a battery. */
  batteryW: number;
  /** What the supply (grid) delivers, W: the part of the load neither the sun nor the battery covers. */
  supplyW: number;
  solarExcessW: number;
  /** Battery state of charge, [0, 1]; undefined without a battery. */
  soc?: number;
  /** Battery terminal voltage and current (+ charging); undefined without a battery. */
  packVoltageV?: number;
  packCurrentA?: number;
}

export class EmulatedBoard {
  readonly #battery: IdealBattery | undefined;
  readonly #cells: number;
  readonly #resistanceOhm: number;
  #state: BoardState;

  constructor(private readonly config: EmulatedBoardConfig) {
    const b = config.battery;
    this.#battery = b
      ? new IdealBattery({
          capacityWh: b.capacityWh,
          initialSoc: b.initialSoc,
          minSoc: Math.min(b.minSoc ?? 0, b.initialSoc),
        })
      : undefined;
    this.#cells = b?.cellsInSeries ?? 2;
    this.#resistanceOhm = b?.internalResistanceOhm ?? 0.1;
    this.#state = this.#balance(config.nowMs(), 0);
  }

  /** Usable capacity of the pack in Ah at its nominal voltage (3.7 V per cell), for a UPS HAT's estimator. */
  get batteryCapacityAh(): number | undefined {
    const b = this.config.battery;
    return b ? b.capacityWh / (3.7 * this.#cells) : undefined;
  }

  get batteryCells(): number {
    return this.#cells;
  }

  /** Integrates the energy balance up to `tMs` (never backwards) and returns the state then. */
  at(tMs: number = this.config.nowMs()): BoardState {
    if (tMs > this.#state.tsMs) this.#state = this.#balance(tMs, (tMs - this.#state.tsMs) / 1000);
    return this.#state;
  }

  /** The load's supply rail as an INA219 sees it. */
  loadScenario(): Ina219Scenario {
    return (tMs) => {
      const s = this.at(tMs);
      return { busVoltageV: this.config.busVoltageV, currentA: s.loadW / this.config.busVoltageV };
    };
  }

  /** The battery path (the UPS HAT's INA219; + = charging); undefined without a battery. */
  batteryScenario(): Ina219Scenario | undefined {
    if (!this.#battery) return undefined;
    return (tMs) => {
      const s = this.at(tMs);
      return { busVoltageV: s.packVoltageV ?? 0, currentA: s.packCurrentA ?? 0 };
    };
  }

  /** One step of `durationS` seconds at the load and sunshine of now. */
  #balance(tsMs: number, durationS: number): BoardState {
    const loadW = powerW(this.config.model, this.config.utilisation());
    const solarW = Math.max(0, this.config.solarW());
    const surplusW = solarW - loadW;
    let batteryW = 0;
    if (this.#battery && durationS > 0)
      batteryW = (this.#battery.update(surplusW, durationS) * 3600) / durationS;
    const state: BoardState = {
      tsMs,
      loadW,
      solarW,
      batteryW,
      supplyW: Math.max(0, loadW - solarW + batteryW),
      solarExcessW: Math.max(0, surplusW),
    };
    if (this.#battery) {
      const soc = this.#battery.soc();
      const ocvV = ocvFromSoc(LI_ION_OCV_TABLE, soc) * this.#cells;
      // I from P = V·I with V = OCV + I·R: the positive root of R·I² + OCV·I − P = 0
      const r = this.#resistanceOhm;
      const root = Math.sqrt(Math.max(0, ocvV * ocvV + 4 * r * batteryW));
      const currentA = r > 0 ? (root - ocvV) / (2 * r) : batteryW / ocvV;
      state.soc = soc;
      state.packCurrentA = currentA;
      state.packVoltageV = ocvV + currentA * r;
    }
    return state;
  }
}
