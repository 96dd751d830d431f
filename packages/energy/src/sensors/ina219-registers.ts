// The INA219 register map and configuration fields, as in TI SBOS448 §8.6. Shared by the driver (ina219.ts)
// and the emulator (ina219-emulator.ts): it is the datasheet, not an implementation detail of either.
// Registers are 16 bits, sent most significant byte first.

export const INA219_REG = {
  /** R/W. Reset, bus range, PGA, ADC settings, mode. Power-on value 0x399F. */
  config: 0x00,
  /** R. Signed, LSB 10 µV; sign-extended to the PGA range. */
  shuntVoltage: 0x01,
  /** R. Bits 15..3 the voltage (LSB 4 mV), bit 1 CNVR (conversion ready), bit 0 OVF (math overflow). */
  busVoltage: 0x02,
  /** R. Unsigned, LSB = Power_LSB = 20 · Current_LSB. Reading it clears CNVR. */
  power: 0x03,
  /** R. Signed, LSB = Current_LSB. */
  current: 0x04,
  /** R/W. Bit 0 is void and always reads 0. Power-on value 0 (current and power then read 0). */
  calibration: 0x05,
} as const;

export const INA219_CONFIG_DEFAULT = 0x399f;
export const INA219_CONFIG_RESET_BIT = 0x8000;
export const INA219_BUS_CNVR_BIT = 0x0002;
export const INA219_BUS_OVF_BIT = 0x0001;
/** Shunt voltage LSB, volts. */
export const INA219_SHUNT_LSB_V = 10e-6;
/** Bus voltage LSB, volts. */
export const INA219_BUS_LSB_V = 4e-3;
/** Current = ShuntVoltageRegister · Cal / 4096; Cal = trunc(0.04096 / (Current_LSB · R_shunt)). */
export const INA219_CAL_SCALE = 0.04096;

/** PGA divisor → full-scale shunt voltage: /1 ±40 mV, /2 ±80 mV, /4 ±160 mV, /8 ±320 mV. */
export type Ina219Gain = 1 | 2 | 4 | 8;
export const INA219_GAINS: readonly Ina219Gain[] = [1, 2, 4, 8];
export function shuntFullScaleV(gain: Ina219Gain): number {
  return 0.04 * gain;
}
/** Full-scale shunt register count for a PGA setting (±4000 · gain LSBs). */
export function shuntFullScaleCounts(gain: Ina219Gain): number {
  return 4000 * gain;
}

/** Bus voltage range (BRNG): 16 V or 32 V full scale. */
export type Ina219BusRange = 16 | 32;

/** Operating modes (MODE3..1). */
export type Ina219Mode =
  | "power-down"
  | "shunt-triggered"
  | "bus-triggered"
  | "shunt-bus-triggered"
  | "adc-off"
  | "shunt-continuous"
  | "bus-continuous"
  | "shunt-bus-continuous";
const MODES: readonly Ina219Mode[] = [
  "power-down",
  "shunt-triggered",
  "bus-triggered",
  "shunt-bus-triggered",
  "adc-off",
  "shunt-continuous",
  "bus-continuous",
  "shunt-bus-continuous",
];

/** What one ADC setting (BADC or SADC, 4 bits) does: resolution or number of averaged 12-bit samples. */
export interface Ina219Adc {
  /** Resolution in bits: 9..12 (averaging always uses 12). */
  bits: 9 | 10 | 11 | 12;
  /** Samples averaged into one result. */
  samples: 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128;
  /** Conversion time, microseconds (datasheet Table 5; maximum values are ~10 % higher). */
  conversionTimeUs: number;
}

/** Datasheet Table 5, indexed by the 4-bit field. 0X00..0X11: 9..12 bit; 1000: 12 bit; 1001..1111: averaging. */
export function decodeAdc(field: number): Ina219Adc {
  const f = field & 0xf;
  if ((f & 0x8) === 0) {
    const bits = (9 + (f & 0x3)) as Ina219Adc["bits"];
    return { bits, samples: 1, conversionTimeUs: [84, 148, 276, 532][f & 0x3]! };
  }
  const n = f & 0x7;
  const samples = (n === 0 ? 1 : 2 ** n) as Ina219Adc["samples"];
  return { bits: 12, samples, conversionTimeUs: [532, 1060, 2130, 4260, 8510, 17020, 34050, 68100][n]! };
}

/** The 4-bit field for a resolution (samples = 1) or an averaging count (bits = 12). */
export function encodeAdc(adc: { bits?: Ina219Adc["bits"]; samples?: Ina219Adc["samples"] }): number {
  const samples = adc.samples ?? 1;
  if (samples > 1) return 0x8 | Math.log2(samples);
  return (adc.bits ?? 12) - 9;
}

/** The configuration register as fields. */
export interface Ina219ConfigFields {
  busRangeV: Ina219BusRange;
  gain: Ina219Gain;
  busAdc: number;
  shuntAdc: number;
  mode: Ina219Mode;
}

export function encodeConfig(c: Ina219ConfigFields): number {
  const brng = c.busRangeV === 32 ? 1 : 0;
  const pg = Math.log2(c.gain);
  return (
    (brng << 13) | (pg << 11) | ((c.busAdc & 0xf) << 7) | ((c.shuntAdc & 0xf) << 3) | MODES.indexOf(c.mode)
  );
}

export function decodeConfig(word: number): Ina219ConfigFields {
  return {
    busRangeV: word & 0x2000 ? 32 : 16,
    gain: (1 << ((word >> 11) & 0x3)) as Ina219Gain,
    busAdc: (word >> 7) & 0xf,
    shuntAdc: (word >> 3) & 0xf,
    mode: MODES[word & 0x7]!,
  };
}

export function modeMeasuresShunt(mode: Ina219Mode): boolean {
  return mode.startsWith("shunt");
}
export function modeMeasuresBus(mode: Ina219Mode): boolean {
  return mode.includes("bus");
}
export function modeIsContinuous(mode: Ina219Mode): boolean {
  return mode.endsWith("-continuous");
}
export function modeIsTriggered(mode: Ina219Mode): boolean {
  return mode.endsWith("-triggered");
}

/** Time for one full conversion cycle (shunt then bus, whichever the mode enables), microseconds. */
export function cycleTimeUs(c: Ina219ConfigFields): number {
  return (
    (modeMeasuresShunt(c.mode) ? decodeAdc(c.shuntAdc).conversionTimeUs : 0) +
    (modeMeasuresBus(c.mode) ? decodeAdc(c.busAdc).conversionTimeUs : 0)
  );
}

/** Two's complement 16-bit → signed number. */
export function toSigned16(word: number): number {
  return word & 0x8000 ? word - 0x10000 : word;
}
