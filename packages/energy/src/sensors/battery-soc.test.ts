import { describe, expect, it } from "vitest";
import { LI_ION_OCV_TABLE, ocvFromSoc, SocEstimator, socFromOcv } from "./battery-soc.js";

const MIN_MS = 60_000;

/** Feeds constant current and voltage every minute for `minutes`, starting after `t0Ms`. */
function run(est: SocEstimator, t0Ms: number, minutes: number, currentA: number, voltageV: number): number {
  let t = t0Ms;
  for (let i = 0; i < minutes; i++) {
    t += MIN_MS;
    est.update({ tsMs: t, currentA, voltageV });
  }
  return t;
}

describe("battery state of charge", () => {
  it("interpolates the OCV table and clamps at its ends", () => {
    expect(socFromOcv(LI_ION_OCV_TABLE, 3.79)).toBe(0.5);
    expect(socFromOcv(LI_ION_OCV_TABLE, 3.82)).toBeCloseTo(0.55, 12);
    expect(socFromOcv(LI_ION_OCV_TABLE, 2.5)).toBe(0);
    expect(socFromOcv(LI_ION_OCV_TABLE, 4.3)).toBe(1);
    expect(ocvFromSoc(LI_ION_OCV_TABLE, 0.55)).toBeCloseTo(3.82, 12);
  });

  it("counts coulombs: 2.5 Ah at 0.8 minus 1.25 A for one hour is 0.3", () => {
    const est = new SocEstimator({ capacityAh: 2.5, cellsInSeries: 2, initialStateOfCharge: 0.8 });
    est.update({ tsMs: 0, currentA: -1.25, voltageV: 7.6 });
    run(est, 0, 60, -1.25, 7.4);
    expect(est.state).toMatchObject({ source: "coulomb-count" });
    expect(est.state!.stateOfCharge).toBeCloseTo(0.3, 12);
  });

  it("applies the coulombic efficiency while charging: +1 A for an hour adds 0.99 Ah", () => {
    const est = new SocEstimator({ capacityAh: 2.5, cellsInSeries: 2, initialStateOfCharge: 0.2 });
    est.update({ tsMs: 0, currentA: 1, voltageV: 7.5 });
    run(est, 0, 60, 1, 7.6);
    expect(est.state!.stateOfCharge).toBeCloseTo(0.2 + 0.99 / 2.5, 12);
  });

  it("is not a voltage-to-percent line: a sagging voltage under load does not move the estimate", () => {
    const est = new SocEstimator({ capacityAh: 2.5, cellsInSeries: 2, initialStateOfCharge: 0.9 });
    est.update({ tsMs: 0, currentA: -2, voltageV: 7.0 });
    run(est, 0, 1, -2, 7.0);
    // the linear (V − 6) / 2.4 rule would say 42 %; one minute at 2 A took 1.3 % of the charge
    expect(est.state!.stateOfCharge).toBeCloseTo(0.9 - 2 / 60 / 2.5, 12);
  });

  it("corrects the count from the OCV table once the battery has rested long enough", () => {
    const est = new SocEstimator({ capacityAh: 2.5, cellsInSeries: 2, initialStateOfCharge: 0.9 });
    const rested = 2 * 3.79; // 50 % per the table
    est.update({ tsMs: 0, currentA: 0, voltageV: rested });
    let t = run(est, 0, 29, 0.01, rested);
    expect(est.state).toMatchObject({ source: "coulomb-count" });
    expect(est.state!.stateOfCharge).toBeGreaterThan(0.89);
    t = run(est, t, 1, 0.01, rested);
    expect(est.state).toMatchObject({ source: "ocv", stateOfCharge: 0.5 });
    // load again: counting resumes from the corrected value and the rest timer restarts
    run(est, t, 1, -1.5, 7.3);
    expect(est.state!.source).toBe("coulomb-count");
    expect(est.state!.restS).toBe(0);
    expect(est.state!.stateOfCharge).toBeCloseTo(0.5 + (-1.5 + 0.01) / 2 / 60 / 2.5, 12);
  });

  it("takes the IR drop out of a loaded first sample", () => {
    const est = new SocEstimator({ capacityAh: 2.6, cellsInSeries: 2, internalResistanceOhm: 0.1 });
    // 2 A out of a pack at 50 %: terminal 2 · 3.79 − 2 · 0.1 = 7.38 V
    expect(est.update({ tsMs: 0, currentA: -2, voltageV: 7.38 }).stateOfCharge).toBeCloseTo(0.5, 12);
  });

  it("starts from the OCV when no initial value is given, and ends charging at full", () => {
    const est = new SocEstimator({ capacityAh: 1, cellsInSeries: 1 });
    expect(est.update({ tsMs: 0, currentA: 0, voltageV: 4.0 })).toMatchObject({
      source: "ocv",
      stateOfCharge: 0.8,
    });
    run(est, 0, 1, 0.03, 4.18);
    expect(est.state).toMatchObject({ source: "end-of-charge", stateOfCharge: 1 });
  });
});
