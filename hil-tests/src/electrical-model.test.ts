import { mulberry32 } from "@qonnect/core";
import { describe, expect, it } from "vitest";
import { boardTruth, SUPPLY_V, seenByChip } from "./electrical-model.js";

const PROFILE = { idleW: 2.7, maxW: 7 };

describe("electrical model of a simulated board", () => {
  it("draws idle power at rest, max power at full load, nothing while the relay is off", () => {
    const idle = boardTruth(PROFILE, { powered: true, cpuUtil: 0 });
    expect(idle.busVoltageV * idle.currentA).toBeCloseTo(2.7, 9);
    const full = boardTruth(PROFILE, { powered: true, cpuUtil: 1.4 });
    expect(full.busVoltageV * full.currentA).toBeCloseTo(7, 9);
    expect(boardTruth(PROFILE, { powered: false, cpuUtil: 0.5 })).toEqual({ busVoltageV: 0, currentA: 0 });
  });

  it("gives two chips independent errors: their mean readings differ by gain and offset, not by more", () => {
    const truth = boardTruth(PROFILE, { powered: true, cpuUtil: 0.25 });
    const board = { gainFraction: 0.004, offsetA: 0.002, noiseA: 0.003 };
    const meter = { gainFraction: -0.003, offsetA: -0.001, noiseA: 0.002 };
    const r1 = mulberry32(1);
    const r2 = mulberry32(2);
    let a = 0;
    let b = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      a += seenByChip(truth, board, r1).currentA / n;
      b += seenByChip(truth, meter, r2).currentA / n;
    }
    expect(a).toBeCloseTo(truth.currentA * 1.004 + 0.002, 3);
    expect(b).toBeCloseTo(truth.currentA * 0.997 - 0.001, 3);
    expect(Math.abs(a - b) * SUPPLY_V).toBeLessThan(0.05);
  });
});
