// INA219-based UPS HATs for the Raspberry Pi (e.g. Waveshare UPS HAT: INA219 at 0x42 on bus 1, 0.1 Ω shunt in
// the battery path, 2 × 18650 in series). The INA219 gives battery voltage and current; the state of charge
// comes from battery-soc.ts (coulomb counting with OCV correction at rest), not from a voltage line.
// Battery direction: positive current = charging. currentSign flips a board whose shunt is wired the other way.
import { SocEstimator, type SocEstimatorConfig } from "./battery-soc.js";
import type { I2cBus } from "./i2c-bus.js";
import { Ina219, type Ina219Options } from "./ina219.js";
import type { Delay } from "./retry.js";
import type { BatteryStatus, Sensor, SensorReading } from "./sensor.js";

export interface UpsHatPreset {
  name: string;
  address: number;
  shuntResistanceOhm: number;
  maxExpectedCurrentA: number;
  cellsInSeries: number;
  /** Capacity of the cells usually fitted, Ah (the HATs ship without them: set your own). */
  capacityAh: number;
  /** Pack internal resistance (cells, holder, protection), ohms: a typical value. */
  internalResistanceOhm: number;
}

/** Waveshare UPS HAT (2 × 18650): INA219 at 0x42. */
export const WAVESHARE_UPS_HAT: UpsHatPreset = {
  name: "Waveshare UPS HAT",
  address: 0x42,
  shuntResistanceOhm: 0.1,
  maxExpectedCurrentA: 3.2,
  cellsInSeries: 2,
  capacityAh: 2.6,
  internalResistanceOhm: 0.1,
};

/** Waveshare UPS HAT (C) for the Pi Zero (one 1000 mAh Li-po cell): INA219 at 0x43. */
export const WAVESHARE_UPS_HAT_C: UpsHatPreset = {
  name: "Waveshare UPS HAT (C)",
  address: 0x43,
  shuntResistanceOhm: 0.1,
  maxExpectedCurrentA: 3.2,
  cellsInSeries: 1,
  capacityAh: 1.0,
  internalResistanceOhm: 0.05,
};

export interface UpsHatOptions {
  /** The battery-path current/voltage sensor, normally an Ina219. */
  source: Sensor;
  estimator: SocEstimatorConfig;
  /** +1 (default) when the sensor reads charging current as positive, −1 otherwise. */
  currentSign?: 1 | -1;
  label?: string;
}

export class UpsHat implements Sensor {
  readonly kind = "ups-hat";
  readonly id: string;
  readonly label: string;
  readonly estimator: SocEstimator;
  private readonly sign: 1 | -1;
  private readonly restCurrentA: number;

  constructor(private readonly options: UpsHatOptions) {
    this.id = `ups-hat:${options.source.id}`;
    this.label = options.label ?? `UPS HAT (${options.source.label})`;
    this.estimator = new SocEstimator(options.estimator);
    this.sign = options.currentSign ?? 1;
    this.restCurrentA = options.estimator.restCurrentA ?? options.estimator.capacityAh / 50;
  }

  /** Opens the INA219 of a preset board (averaging 32 samples per conversion, as the vendor code does). */
  static async open(options: {
    bus: I2cBus;
    busNumber?: number;
    preset?: UpsHatPreset;
    capacityAh?: number;
    estimator?: Partial<SocEstimatorConfig>;
    currentSign?: 1 | -1;
    delay?: Delay;
    nowMs?: () => number;
    ina219?: Partial<Ina219Options>;
    label?: string;
  }): Promise<UpsHat> {
    const preset = options.preset ?? WAVESHARE_UPS_HAT;
    const source = await Ina219.open({
      bus: options.bus,
      address: preset.address,
      shuntResistanceOhm: preset.shuntResistanceOhm,
      maxExpectedCurrentA: preset.maxExpectedCurrentA,
      shuntAdc: { samples: 32 },
      busAdc: { samples: 32 },
      label: `${preset.name} INA219`,
      ...(options.busNumber === undefined ? {} : { busNumber: options.busNumber }),
      ...(options.delay ? { delay: options.delay } : {}),
      ...(options.nowMs ? { nowMs: options.nowMs } : {}),
      ...options.ina219,
    });
    return new UpsHat({
      source,
      estimator: {
        capacityAh: options.capacityAh ?? preset.capacityAh,
        cellsInSeries: preset.cellsInSeries,
        internalResistanceOhm: preset.internalResistanceOhm,
        ...options.estimator,
      },
      ...(options.currentSign ? { currentSign: options.currentSign } : {}),
      label: options.label ?? preset.name,
    });
  }

  /**
   * Reads the sensor and advances the SoC estimate. An invalid sensor reading is passed on as invalid, without
   * a state of charge, and does not advance the estimate (the next valid sample integrates over the gap).
   */
  async read(): Promise<SensorReading> {
    const r = await this.options.source.read();
    if (!r.valid || r.currentA === undefined || r.busVoltageV === undefined) {
      const { stateOfCharge: _s, ...rest } = r;
      return { ...rest, valid: false, invalidReason: r.invalidReason ?? "no-data" };
    }
    const currentA = this.sign * r.currentA;
    const est = this.estimator.update({ tsMs: r.tsMs, currentA, voltageV: r.busVoltageV });
    const reading: SensorReading = {
      tsMs: r.tsMs,
      valid: true,
      busVoltageV: r.busVoltageV,
      currentA,
      stateOfCharge: est.stateOfCharge,
      batteryStatus: this.status(currentA, est.stateOfCharge),
    };
    if (r.shuntVoltageMv !== undefined) reading.shuntVoltageMv = this.sign * r.shuntVoltageMv;
    // the INA219 power register is a magnitude: give it the battery direction
    if (r.powerW !== undefined) reading.powerW = Math.sign(currentA) * Math.abs(r.powerW);
    return reading;
  }

  private status(currentA: number, soc: number): BatteryStatus {
    if (currentA >= this.restCurrentA) return "charging";
    if (currentA <= -this.restCurrentA) return "discharging";
    return soc >= 0.995 ? "full" : "not-charging";
  }
}
