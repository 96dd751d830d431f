import { describe, expect, it } from "vitest";
import { mulberry32 } from "./random.js";

describe("mulberry32", () => {
  it("repeats its sequence per seed and differs between seeds", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
  });

  it("gives the reference mulberry32 values (seed 1) in [0, 1)", () => {
    const r = mulberry32(1);
    const xs = Array.from({ length: 1000 }, () => r());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs[0]).toBeCloseTo(0.6270739405881613, 12);
  });
});
