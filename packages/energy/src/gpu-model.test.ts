import { describe, expect, it } from "vitest";
import { gpuPowerW } from "./gpu-model.js";

describe("gpuPowerW", () => {
  const a100 = { idleW: 50, maxW: 400 };
  it("is idle at 0, saturates at 0.45 and stays at P_max beyond", () => {
    expect(gpuPowerW(a100, 0)).toBe(50);
    expect(gpuPowerW(a100, 0.45)).toBeCloseTo(400, 9);
    expect(gpuPowerW(a100, 0.9)).toBe(400);
    expect(gpuPowerW(a100, -1)).toBe(50);
  });
  it("rises as (u/0.45)^0.7: at u = 0.225, 50 + 350·0.5^0.7 = 265.45 W", () => {
    expect(gpuPowerW(a100, 0.225)).toBeCloseTo(50 + 350 * 0.5 ** 0.7, 9);
    expect(gpuPowerW(a100, 0.225)).toBeCloseTo(265.45, 2);
  });
  it("takes other saturation points and exponents", () => {
    expect(gpuPowerW({ idleW: 0, maxW: 100, saturationUtil: 1, exponent: 1 }, 0.3)).toBeCloseTo(30, 12);
  });
});
