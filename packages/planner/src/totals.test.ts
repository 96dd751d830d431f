import { describe, expect, it } from "vitest";
import { sumTotals } from "./totals.js";
import type { Totals } from "./types.js";

const totals = (objective: number, lowerBound?: number): { totals: Totals & { lowerBound?: number } } => ({
  totals: {
    energyW: objective * 10,
    carbonGPerH: objective * 2,
    costPerHour: 0.01,
    latencyMs: 1,
    slownessCores: 0,
    batteryDrainPerH: 0,
    objective,
    ...(lowerBound !== undefined ? { lowerBound } : {}),
  },
});

describe("sumTotals", () => {
  it("adds every term, and bounds the sum only when every plan has a bound", () => {
    const both = sumTotals([totals(1, 0.9), totals(3, 2.7)]);
    expect(both.objective).toBe(4);
    expect(both.energyW).toBe(40);
    expect(both.costPerHour).toBeCloseTo(0.02, 12);
    expect(both.lowerBound).toBeCloseTo(3.6, 12);
    expect(both.gapToBound).toBeCloseTo(0.1, 12);
    const one = sumTotals([totals(1, 0.9), totals(3)]);
    expect(one.lowerBound).toBeUndefined();
    expect(sumTotals([]).objective).toBe(0);
  });
});
