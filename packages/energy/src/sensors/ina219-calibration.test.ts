import { describe, expect, it } from "vitest";
import { SensorConfigError } from "./errors.js";
import { calibrateIna219, roundLsbAtLeast } from "./ina219-calibration.js";

describe("INA219 calibration (SBOS448 §8.5.1)", () => {
  it("reproduces the datasheet example: 0.1 Ω, 2 A expected → Current_LSB 100 µA, Cal 4096, Power_LSB 2 mW", () => {
    const c = calibrateIna219({ shuntResistanceOhm: 0.1, maxExpectedCurrentA: 2 });
    expect(c.gain).toBe(8);
    expect(c.maxPossibleCurrentA).toBeCloseTo(3.2, 12);
    expect(c.currentLsbA).toBe(100e-6);
    expect(c.calibrationRegister).toBe(4096);
    expect(c.effectiveCurrentLsbA).toBeCloseTo(100e-6, 15);
    expect(c.powerLsbW).toBeCloseTo(2e-3, 15);
    expect(c.maxMeasurableCurrentA).toBeCloseTo(3.2, 12);
  });

  it("clears the void bit 0 of an odd Cal and derives the LSB the chip really applies", () => {
    // 0.04096 / (1e-4 · 0.013) = 31507.69 → Cal 31507 → register 31506
    const c = calibrateIna219({ shuntResistanceOhm: 0.013, maxExpectedCurrentA: 3 });
    expect(c.gain).toBe(1);
    expect(c.currentLsbA).toBe(1e-4);
    expect(c.calibrationRegister).toBe(31506);
    expect(c.effectiveCurrentLsbA).toBeCloseTo(0.04096 / (31506 * 0.013), 15);
    expect(c.powerLsbW).toBeCloseTo(20 * c.effectiveCurrentLsbA, 15);
  });

  it("picks the smallest PGA range that holds the expected shunt voltage", () => {
    expect(calibrateIna219({ shuntResistanceOhm: 0.1, maxExpectedCurrentA: 0.4 }).gain).toBe(1);
    expect(calibrateIna219({ shuntResistanceOhm: 0.1, maxExpectedCurrentA: 0.8 }).gain).toBe(2);
    expect(calibrateIna219({ shuntResistanceOhm: 0.1, maxExpectedCurrentA: 1.2 }).gain).toBe(4);
  });

  it("raises Current_LSB when the calibration register cannot hold the smaller one", () => {
    // Minimum_LSB 3.05 µA would need Cal 134 k; the smallest programmable LSB is 6.25 µA → round up to 10 µA
    const c = calibrateIna219({ shuntResistanceOhm: 0.1, maxExpectedCurrentA: 0.1 });
    expect(c.currentLsbA).toBe(1e-5);
    expect(c.calibrationRegister).toBe(40960);
  });

  it("rejects a shunt voltage beyond ±320 mV and an LSB below Minimum_LSB", () => {
    expect(() => calibrateIna219({ shuntResistanceOhm: 0.1, maxExpectedCurrentA: 4 })).toThrow(
      SensorConfigError,
    );
    expect(() =>
      calibrateIna219({ shuntResistanceOhm: 0.1, maxExpectedCurrentA: 2, currentLsbA: 1e-5 }),
    ).toThrow(/Minimum_LSB/);
    expect(() => calibrateIna219({ shuntResistanceOhm: 0.1, maxExpectedCurrentA: 2, gain: 1 })).toThrow(
      /beyond/,
    );
  });

  it("rounds LSBs to 1, 2, 5 · 10^k", () => {
    expect(roundLsbAtLeast(61.04e-6)).toBe(1e-4);
    expect(roundLsbAtLeast(1.2e-5)).toBe(2e-5);
    expect(roundLsbAtLeast(3e-3)).toBe(5e-3);
    expect(roundLsbAtLeast(1e-4)).toBe(1e-4);
    expect(roundLsbAtLeast(6e-4)).toBe(1e-3);
  });
});
