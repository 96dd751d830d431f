import { describe, expect, it } from "vitest";
import { ClcBattery, cellsFor, LG_M50_CELL } from "./clc.js";

// Hand-derived with the LG M50 cell: V = 3.63 V, v2 = 19.14 Wh, u2 = −1.326 Wh/A, u1 = −0.087 Wh/A,
// ηc = 0.978, ηd = 1.014, αc·v2 = 13.398 W, αd·v2 = −28.71 W. One-minute steps: Δh = 1/60 h.
const MIN = 60;

describe("ClcBattery", () => {
  it("charges below every limit: 5 W for 1 min at SoC 0.5 moves 1/12 Wh and stores ηc of it", () => {
    const b = new ClcBattery({ cells: 1, initialSoc: 0.5 });
    expect(b.update(5, MIN)).toBeCloseTo(5 / 60, 12);
    expect(b.state().energyWh).toBeCloseTo(9.57 + (0.978 * 5) / 60, 12); // 9.6515 Wh
  });

  it("limits charging near full: at b = 0.99·v2 at most 0.1914/(0.978/60 + 1.326/3.63) = 0.50159 W", () => {
    const b = new ClcBattery({ cells: 1, initialSoc: 0.99 });
    const limitW = 0.1914 / (0.978 / 60 + 1.326 / 3.63);
    expect(limitW).toBeCloseTo(0.50159, 4);
    expect(b.update(13, MIN)).toBeCloseTo(limitW / 60, 12);
  });

  it("stops charging when the allowed current falls below the 0.05 A cut-off", () => {
    const b = new ClcBattery({ cells: 1, initialSoc: 0.999 }); // limit 0.0502 W < 0.1815 W
    expect(b.update(13, MIN)).toBe(0);
    expect(b.soc()).toBeCloseTo(0.999, 12);
  });

  it("limits discharge to the C-rate: −30 W at SoC 0.5 becomes −28.71 W and costs ηd·0.4785 Wh", () => {
    const b = new ClcBattery({ cells: 1, initialSoc: 0.5 });
    expect(b.update(-30, MIN)).toBeCloseTo(-28.71 / 60, 12);
    expect(b.state().energyWh).toBeCloseTo(9.57 - 1.014 * 0.4785, 12); // 9.084801 Wh
  });

  it("scales to a pack: 10 cells take 10× the power with the same SoC trajectory", () => {
    const one = new ClcBattery({ cells: 1, initialSoc: 0.5 });
    const pack = new ClcBattery({ cells: 10, initialSoc: 0.5 });
    for (const p of [5, -12, 13, -30, 0.1])
      expect(pack.update(p * 10, MIN)).toBeCloseTo(one.update(p, MIN) * 10, 9);
    expect(pack.soc()).toBeCloseTo(one.soc(), 12);
    expect(pack.state().capacityWh).toBeCloseTo(191.4, 9);
    expect(cellsFor(191.4)).toBeCloseTo(10, 12);
  });

  it("applies the discharge cut-off per cell, not to the pack", () => {
    // b = 0.0002·v2 = 0.003828 Wh: the allowed cell power is −0.003828/(1.014/60 + 0.087/3.63) = −0.0937 W,
    // below the 0.05 A·3.63 V = 0.1815 W cut-off; the pack's −9.37 W would pass a pack-level comparison.
    const pack = new ClcBattery({ cells: 100, initialSoc: 0.0002 });
    expect(pack.update(-50, MIN)).toBe(0);
    const fuller = new ClcBattery({ cells: 100, initialSoc: 0.001 }); // −0.468 W per cell: allowed
    expect(fuller.update(-50, MIN)).toBeCloseTo((-100 * 0.01914) / (1.014 / 60 + 0.087 / 3.63) / 60, 9);
  });

  it("never discharges below the minimum SoC and loses energy on a round trip", () => {
    const b = new ClcBattery({ cells: 4, initialSoc: 0.3, minSoc: 0.25 });
    let outWh = 0;
    for (let i = 0; i < 60; i++) outWh += b.update(-40, MIN);
    expect(b.soc()).toBeCloseTo(0.25, 12);
    expect(outWh).toBeCloseTo((-0.05 * 4 * 19.14) / 1.014, 9);
    const rt = new ClcBattery({ cells: 1, initialSoc: 0.5 });
    const inWh = rt.update(6, 3600);
    let backWh = 0;
    while (rt.soc() > 0.5 + 1e-12) backWh -= rt.update(-6, 60);
    expect(backWh / inWh).toBeLessThan(1);
    expect(backWh / inWh).toBeCloseTo(LG_M50_CELL.etaC / LG_M50_CELL.etaD, 2);
    expect(rt.update(0, 60)).toBe(0);
  });
});
