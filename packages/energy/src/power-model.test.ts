import { mulberry32 } from "@qonnect/core";
import { describe, expect, it } from "vitest";
import { linearPowerModel, marginalPowerW, PowerCalibrator, type PowerModel, powerW } from "./power-model.js";

describe("power model", () => {
  const pi: PowerModel = { idleW: 2.7, maxW: 6.4, gamma: 1 };

  it("is P_idle at 0 and P_max at 1, clamping outside [0, 1]", () => {
    expect(powerW(pi, 0)).toBe(2.7);
    expect(powerW(pi, 1)).toBeCloseTo(6.4, 12);
    expect(powerW(pi, -0.5)).toBe(2.7);
    expect(powerW(pi, 1.7)).toBeCloseTo(6.4, 12);
    expect(powerW(pi, Number.NaN)).toBe(2.7);
  });

  it("follows u^γ: 10 W idle, 110 W max, γ = 2 at u = 0.5 is 10 + 100·0.25 = 35 W", () => {
    expect(powerW({ idleW: 10, maxW: 110, gamma: 2 }, 0.5)).toBeCloseTo(35, 12);
    expect(powerW({ idleW: 10, maxW: 110, gamma: 0.5 }, 0.25)).toBeCloseTo(60, 12);
  });

  it("marginal power excludes idle power and is antisymmetric", () => {
    const m = linearPowerModel(50, 150);
    expect(marginalPowerW(m, 0.2, 0.5)).toBeCloseTo(30, 12);
    expect(marginalPowerW(m, 0.5, 0.2)).toBeCloseTo(-30, 12);
    expect(marginalPowerW(m, 0.3, 0.3)).toBe(0);
    expect(marginalPowerW({ idleW: 10, maxW: 110, gamma: 2 }, 0, 0.5)).toBeCloseTo(25, 12);
  });
});

describe("PowerCalibrator", () => {
  it("recovers a linear model exactly from noise-free samples", () => {
    const cal = new PowerCalibrator();
    for (let i = 0; i <= 100; i++) {
      const u = (i % 11) / 10;
      cal.observe(u, powerW({ idleW: 3, maxW: 7, gamma: 1 }, u));
    }
    const m = cal.model();
    expect(m.gamma).toBeCloseTo(1, 6);
    expect(m.idleW).toBeCloseTo(3, 3);
    expect(m.maxW).toBeCloseTo(7, 3);
  });

  it("finds γ and stays close under noise and 5 % gross outliers", () => {
    const truth: PowerModel = { idleW: 40, maxW: 120, gamma: 1.4 };
    const rand = mulberry32(42);
    const cal = new PowerCalibrator();
    for (let i = 0; i < 3000; i++) {
      const u = rand();
      const noise = (rand() - 0.5) * 2; // ±1 W
      const outlier = rand() < 0.05 ? 150 + rand() * 100 : 0; // sensor glitch, +150..250 W
      cal.observe(u, powerW(truth, u) + noise + outlier);
    }
    const m = cal.model();
    expect(Math.abs(m.gamma - 1.4)).toBeLessThanOrEqual(0.1 + 1e-9);
    expect(Math.abs(m.idleW - 40)).toBeLessThan(2);
    expect(Math.abs(m.maxW - 120)).toBeLessThan(3);
  });

  it("tracks a drifting device thanks to forgetting", () => {
    const cal = new PowerCalibrator({ gammas: [1] });
    for (let i = 0; i < 2000; i++) cal.observe((i % 5) / 4, 10 + 20 * ((i % 5) / 4));
    for (let i = 0; i < 5000; i++) cal.observe((i % 5) / 4, 12 + 20 * ((i % 5) / 4));
    expect(cal.model().idleW).toBeCloseTo(12, 1);
    expect(cal.samples).toBe(7000);
  });

  it("ignores non-finite samples and rejects bad options", () => {
    const cal = new PowerCalibrator({ prior: linearPowerModel(5, 10) });
    cal.observe(Number.NaN, 3);
    cal.observe(0.5, Number.POSITIVE_INFINITY);
    expect(cal.samples).toBe(0);
    expect(cal.model()).toEqual({ idleW: 5, maxW: 10, gamma: 1 });
    expect(() => new PowerCalibrator({ gammas: [] })).toThrow(RangeError);
    expect(() => new PowerCalibrator({ forgetting: 0 })).toThrow(RangeError);
  });
});
