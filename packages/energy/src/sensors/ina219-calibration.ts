// INA219 calibration, step by step as TI SBOS448 §8.5.1 programs it:
//   MaxPossible_I = VSHUNT_MAX / R_shunt
//   Minimum_LSB = MaxExpected_I / 32767, Maximum_LSB = MaxExpected_I / 4096; choose a round Current_LSB between
//   Cal = trunc(0.04096 / (Current_LSB · R_shunt))
//   Power_LSB = 20 · Current_LSB
// The chip ignores bit 0 of the calibration register (FS0 is void), so the value that takes effect is
// Cal & 0xFFFE; the current LSB the chip then really applies is 0.04096 / (Cal_effective · R_shunt).
import { SensorConfigError } from "./errors.js";
import { INA219_CAL_SCALE, INA219_GAINS, type Ina219Gain, shuntFullScaleV } from "./ina219-registers.js";

export interface Ina219CalibrationInput {
  shuntResistanceOhm: number;
  /** The largest current the application expects, amperes. */
  maxExpectedCurrentA: number;
  /** PGA divisor; by default the smallest range that holds maxExpectedCurrentA · R_shunt. */
  gain?: Ina219Gain;
  /** Current_LSB, amperes; by default the round value (1, 2, 5 · 10^k) at or above Minimum_LSB. */
  currentLsbA?: number;
}

export interface Ina219Calibration {
  shuntResistanceOhm: number;
  gain: Ina219Gain;
  /** The Current_LSB chosen by the datasheet procedure, amperes. */
  currentLsbA: number;
  /** The value written to (and read back from) the calibration register, bit 0 cleared. */
  calibrationRegister: number;
  /** The current LSB the chip applies with that register value, amperes: 0.04096 / (Cal · R_shunt). */
  effectiveCurrentLsbA: number;
  /** 20 · effectiveCurrentLsbA, watts. */
  powerLsbW: number;
  /** VSHUNT_MAX / R_shunt, amperes. */
  maxPossibleCurrentA: number;
  /** The largest current readable before the shunt saturates or the current register overflows, amperes. */
  maxMeasurableCurrentA: number;
}

/** x rounded to 12 significant digits, so that 0.04096 / (1e-4 · 0.1) is 4096 and not 4095.9999. */
function clean(x: number): number {
  return Number(x.toPrecision(12));
}

/** The smallest of 1, 2, 5 · 10^k that is at least x. */
export function roundLsbAtLeast(x: number): number {
  const k = Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) {
    const v = clean(m * 10 ** k);
    if (v >= clean(x)) return v;
  }
  return clean(10 ** (k + 1));
}

export function calibrateIna219(input: Ina219CalibrationInput, sensorId = "ina219"): Ina219Calibration {
  const r = input.shuntResistanceOhm;
  const maxI = input.maxExpectedCurrentA;
  if (!(r > 0) || !(maxI > 0))
    throw new SensorConfigError(`shunt resistance and max expected current must be positive`, sensorId);
  const shuntMaxV = clean(maxI * r);
  const gain = input.gain ?? INA219_GAINS.find((g) => shuntFullScaleV(g) >= shuntMaxV);
  if (gain === undefined || shuntFullScaleV(gain) < shuntMaxV)
    throw new SensorConfigError(
      `${maxI} A through ${r} Ω is ${(shuntMaxV * 1000).toFixed(1)} mV, beyond the ±${gain ? shuntFullScaleV(gain) * 1000 : 320} mV shunt range`,
      sensorId,
    );
  const minimumLsbA = maxI / 32767;
  // the calibration register holds at most 0xFFFE: a smaller LSB cannot be programmed for this shunt
  const smallestProgrammableLsbA = INA219_CAL_SCALE / (0xfffe * r);
  const currentLsbA = input.currentLsbA ?? roundLsbAtLeast(Math.max(minimumLsbA, smallestProgrammableLsbA));
  if (currentLsbA < minimumLsbA * (1 - 1e-9))
    throw new SensorConfigError(
      `Current_LSB ${currentLsbA} A is below Minimum_LSB ${minimumLsbA} A: the current register would overflow`,
      sensorId,
    );
  const cal = Math.trunc(clean(INA219_CAL_SCALE / (currentLsbA * r)));
  if (cal > 0xffff)
    throw new SensorConfigError(`Cal ${cal} does not fit the 16-bit calibration register`, sensorId);
  const calibrationRegister = cal & 0xfffe;
  if (calibrationRegister === 0)
    throw new SensorConfigError(`Current_LSB ${currentLsbA} A is too large for a ${r} Ω shunt`, sensorId);
  const effectiveCurrentLsbA = INA219_CAL_SCALE / (calibrationRegister * r);
  const maxPossibleCurrentA = shuntFullScaleV(gain) / r;
  return {
    shuntResistanceOhm: r,
    gain,
    currentLsbA,
    calibrationRegister,
    effectiveCurrentLsbA,
    powerLsbW: 20 * effectiveCurrentLsbA,
    maxPossibleCurrentA,
    maxMeasurableCurrentA: Math.min(maxPossibleCurrentA, effectiveCurrentLsbA * 32767),
  };
}
