import { describe, expect, it } from "vitest";
import { IdealBattery } from "./ideal.js";
import { KineticBattery } from "./kibam.js";

// Hand-derived: C = 100 Wh, c = 0.5, k = 0.5/h → k' = k/(c(1−c)) = 2/h; over 1 h e = e^−2 = 0.135335,
// (k't − 1 + e)/k' = 0.567668, B = (1 − e)/k' + c·0.567668 = 0.716166.
describe("KineticBattery", () => {
  it("20 W for 1 h from full leaves q1 = 50 − 20·0.716166 = 35.6767 and q2 = 50 − 20·0.5·0.567668 = 44.3233", () => {
    const b = new KineticBattery({ capacityWh: 100, initialSoc: 1 });
    expect(b.update(-20, 3600)).toBeCloseTo(-20, 12);
    expect(b.availableWh()).toBeCloseTo(35.6767, 4);
    expect(b.state().energyWh).toBeCloseTo(80, 12);
  });

  it("recovers at rest: 2 h later q1 = 35.6767·e^−4 + 40·(1 − e^−4) = 39.9208", () => {
    const b = new KineticBattery({ capacityWh: 100, initialSoc: 1 });
    b.update(-20, 3600);
    expect(b.update(0, 7200)).toBe(0);
    expect(b.availableWh()).toBeCloseTo(39.9208, 4);
    expect(b.soc()).toBeCloseTo(0.8, 12);
  });

  it("shows the rate-capacity effect: asked for 200 W from full it delivers 50/0.716166 = 69.816 Wh in 1 h", () => {
    const kibam = new KineticBattery({ capacityWh: 100, initialSoc: 1 });
    expect(kibam.update(-200, 3600)).toBeCloseTo(-69.816, 3);
    expect(kibam.availableWh()).toBeCloseTo(0, 9);
    expect(kibam.soc()).toBeCloseTo(0.30184, 4); // energy left behind in the bound well
    const ideal = new IdealBattery({ capacityWh: 100, initialSoc: 1 });
    expect(ideal.update(-200, 3600)).toBeCloseTo(-100, 12);
  });

  it("conserves energy and stays within [0, C] under a random schedule", () => {
    const b = new KineticBattery({
      capacityWh: 50,
      initialSoc: 0.4,
      availableFraction: 0.3,
      rateConstantPerH: 1,
    });
    let sumWh = 0.4 * 50;
    for (let i = 0; i < 500; i++) {
      const p = Math.sin(i * 0.37) * 80;
      sumWh += b.update(p, 300);
      expect(b.state().energyWh).toBeCloseTo(sumWh, 9);
      expect(b.soc()).toBeGreaterThanOrEqual(-1e-12);
      expect(b.soc()).toBeLessThanOrEqual(1 + 1e-12);
      expect(b.availableWh()).toBeLessThanOrEqual(0.3 * 50 + 1e-9);
    }
  });

  it("charges to full but not beyond, and honours min SoC and C-rate", () => {
    const b = new KineticBattery({ capacityWh: 100, initialSoc: 0.9 });
    let inWh = 0;
    for (let i = 0; i < 100; i++) inWh += b.update(50, 600);
    expect(inWh).toBeCloseTo(10, 6);
    expect(b.soc()).toBeCloseTo(1, 6);
    const m = new KineticBattery({ capacityWh: 100, initialSoc: 0.5, minSoc: 0.45, cRate: 0.1 });
    expect(m.update(-50, 600)).toBeCloseTo((-10 * 600) / 3600, 9);
    let outWh = 0;
    for (let i = 0; i < 100; i++) outWh += m.update(-50, 600);
    expect(m.soc()).toBeCloseTo(0.45, 9);
    expect(outWh).toBeCloseTo(-5 + (10 * 600) / 3600, 6);
  });
});
