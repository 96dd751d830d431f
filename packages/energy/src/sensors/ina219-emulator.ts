// A register-accurate INA219 on the virtual I2C bus. A scenario of true bus volts and shunt amps, a function
// of time, drives it; the clock is passed in and only read when a transfer happens (no timers).
//
// Modelled from SBOS448: the six registers and their power-on values (config 0x399F, calibration 0); the
// reset bit; the pointer register and MSB-first transfers; the void bit 0 of the calibration register;
// Current = trunc(Shunt · Cal / 4096) and Power = trunc(|Current| · Bus / 5000); OVF when either leaves its
// register; CNVR set when a conversion completes and cleared by reading Power or writing Config; conversion
// times per ADC setting (shunt first, then bus); triggered, continuous, power-down and ADC-off modes.
// Assumptions where the datasheet is silent (documented in docs/energy.md): a 9..11-bit setting quantises to
// 2^(12−bits) LSBs of the 12-bit register; averaging averages the truth over evenly spaced samples in the
// conversion window; the shunt register clamps at ±4000·PGA LSBs and the bus register at 16 V or 32 V.

import {
  cycleTimeUs,
  decodeAdc,
  decodeConfig,
  INA219_BUS_LSB_V,
  INA219_CONFIG_DEFAULT,
  INA219_CONFIG_RESET_BIT,
  INA219_REG,
  INA219_SHUNT_LSB_V,
  modeIsContinuous,
  modeIsTriggered,
  modeMeasuresBus,
  modeMeasuresShunt,
  shuntFullScaleCounts,
} from "./ina219-registers.js";
import type { I2cTarget } from "./virtual-i2c-bus.js";

/** What is really there at one instant. */
export interface Ina219Truth {
  /** Voltage at IN− relative to ground, volts. */
  busVoltageV: number;
  /** Current through the shunt from IN+ to IN−, amperes. */
  currentA: number;
}

/** The truth as a function of time (the clock's milliseconds). */
export type Ina219Scenario = (tMs: number) => Ina219Truth;

/** A scenario that never changes. */
export function constantScenario(truth: Ina219Truth): Ina219Scenario {
  return () => truth;
}

export interface Ina219EmulatorOptions {
  /** The clock, milliseconds. Read on every transfer. */
  nowMs: () => number;
  scenario: Ina219Scenario;
  /** The shunt resistor on the board, ohms (0.1 Ω on most breakouts and UPS HATs). */
  shuntResistanceOhm: number;
}

/** The raw register values, as a test or a simulated device inspects them. */
export interface Ina219Registers {
  config: number;
  shuntVoltage: number;
  busVoltage: number;
  power: number;
  current: number;
  calibration: number;
}

export class Ina219Emulator implements I2cTarget {
  private pointer = 0;
  private config = INA219_CONFIG_DEFAULT;
  private calibration = 0;
  /** Signed shunt count, 10 µV each. */
  private shunt = 0;
  /** Bus count, 4 mV each (bits 15..3 of the register). */
  private bus = 0;
  private current = 0;
  private power = 0;
  private cnvr = false;
  private ovf = false;
  /** When the current run of conversions started (power-on, reset, or the last config write). */
  private startMs: number;
  private cyclesDone = 0;

  constructor(private readonly options: Ina219EmulatorOptions) {
    this.startMs = options.nowMs();
  }

  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pointer = bytes[0]!;
    if (bytes.length < 3) return; // a pointer-only write, or an incomplete register write the chip ignores
    const value = (bytes[1]! << 8) | bytes[2]!;
    this.advance();
    if (this.pointer === INA219_REG.config) this.writeConfig(value);
    else if (this.pointer === INA219_REG.calibration) this.calibration = value & 0xfffe;
    // the other registers are read-only: the chip ignores writes to them
  }

  read(length: number): Uint8Array {
    this.advance();
    const value = this.registerValue(this.pointer);
    if (this.pointer === INA219_REG.power) this.cnvr = false;
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = i % 2 === 0 ? value >> 8 : value & 0xff;
    return out;
  }

  /** The registers as they read now (advancing conversions, but without the side effect of a Power read). */
  registers(): Ina219Registers {
    this.advance();
    return {
      config: this.registerValue(INA219_REG.config),
      shuntVoltage: this.registerValue(INA219_REG.shuntVoltage),
      busVoltage: this.registerValue(INA219_REG.busVoltage),
      power: this.registerValue(INA219_REG.power),
      current: this.registerValue(INA219_REG.current),
      calibration: this.registerValue(INA219_REG.calibration),
    };
  }

  private registerValue(reg: number): number {
    switch (reg) {
      case INA219_REG.config:
        return this.config;
      case INA219_REG.shuntVoltage:
        return this.shunt & 0xffff;
      case INA219_REG.busVoltage:
        return ((this.bus << 3) | (this.cnvr ? 2 : 0) | (this.ovf ? 1 : 0)) & 0xffff;
      case INA219_REG.power:
        return this.power;
      case INA219_REG.current:
        return this.current & 0xffff;
      case INA219_REG.calibration:
        return this.calibration;
      default:
        return 0;
    }
  }

  private writeConfig(value: number): void {
    if (value & INA219_CONFIG_RESET_BIT) {
      // reset: every register to its power-on value; the bit clears itself
      this.config = INA219_CONFIG_DEFAULT;
      this.calibration = 0;
      this.shunt = this.bus = this.current = this.power = 0;
      this.ovf = false;
    } else {
      this.config = value & 0x7fff;
    }
    // CNVR clears on a new mode, except power-down and ADC-off (SBOS448 §8.6.3.2)
    const mode = decodeConfig(this.config).mode;
    if (mode !== "power-down" && mode !== "adc-off") this.cnvr = false;
    this.startMs = this.options.nowMs();
    this.cyclesDone = 0;
  }

  /** Completes every conversion due by now; only the latest one's results are visible, as on the chip. */
  private advance(): void {
    const c = decodeConfig(this.config);
    if (!modeIsContinuous(c.mode) && !modeIsTriggered(c.mode)) return; // power-down or ADC off
    const cycleMs = cycleTimeUs(c) / 1000;
    let due = Math.floor((this.options.nowMs() - this.startMs) / cycleMs + 1e-9);
    if (modeIsTriggered(c.mode)) due = Math.min(due, 1);
    if (due <= this.cyclesDone) return;
    this.cyclesDone = due;
    this.convert(this.startMs + (due - 1) * cycleMs);
  }

  private convert(cycleStartMs: number): void {
    const c = decodeConfig(this.config);
    const { scenario, shuntResistanceOhm } = this.options;
    let t = cycleStartMs;
    if (modeMeasuresShunt(c.mode)) {
      const adc = decodeAdc(c.shuntAdc);
      const ms = adc.conversionTimeUs / 1000;
      const v = average(t, ms, adc.samples, (tt) => scenario(tt).currentA * shuntResistanceOhm);
      const fs = shuntFullScaleCounts(c.gain);
      this.shunt = clamp(quantise(v / INA219_SHUNT_LSB_V, adc.bits), -fs, fs);
      t += ms;
    }
    if (modeMeasuresBus(c.mode)) {
      const adc = decodeAdc(c.busAdc);
      const v = average(t, adc.conversionTimeUs / 1000, adc.samples, (tt) => scenario(tt).busVoltageV);
      const fs = c.busRangeV / INA219_BUS_LSB_V;
      this.bus = clamp(quantise(v / INA219_BUS_LSB_V, adc.bits), 0, fs);
    }
    // the calculations the chip does at the end of every conversion
    const current = Math.trunc((this.shunt * this.calibration) / 4096);
    const power = Math.trunc((Math.abs(current) * this.bus) / 5000);
    this.ovf = current > 0x7fff || current < -0x8000 || power > 0xffff;
    this.current = clamp(current, -0x8000, 0x7fff);
    this.power = clamp(power, 0, 0xffff);
    this.cnvr = true;
  }
}

/** Mean of f over `samples` evenly spaced instants in [startMs, startMs + durationMs]. */
function average(startMs: number, durationMs: number, samples: number, f: (tMs: number) => number): number {
  let sum = 0;
  for (let i = 0; i < samples; i++) sum += f(startMs + ((i + 0.5) * durationMs) / samples);
  return sum / samples;
}

/** Rounds a count to the step a `bits`-bit conversion resolves (2^(12−bits) LSBs of the 12-bit register). */
function quantise(counts: number, bits: number): number {
  const step = 2 ** (12 - bits);
  return Math.round(counts / step) * step;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
