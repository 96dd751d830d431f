import { describe, expect, it } from "vitest";
import { IdealBattery } from "./ideal.js";
import { StorageConfigError } from "./storage.js";

describe("IdealBattery (Vessim SimpleBattery semantics)", () => {
  it("100 Wh at SoC 0.8 offered +10 W for 4 h stores 20 Wh and ends full", () => {
    const b = new IdealBattery({ capacityWh: 100, initialSoc: 0.8 });
    expect(b.update(10, 4 * 3600)).toBeCloseTo(20, 12);
    expect(b.soc()).toBe(1);
    expect(b.update(10, 60)).toBe(0);
  });

  it("is lossless: 30 Wh in, 30 Wh out", () => {
    const b = new IdealBattery({ capacityWh: 100, initialSoc: 0.5 });
    expect(b.update(30, 3600)).toBeCloseTo(30, 12);
    expect(b.update(-30, 3600)).toBeCloseTo(-30, 12);
    expect(b.soc()).toBeCloseTo(0.5, 12);
  });

  it("clips to the C-rate in both directions: 0.5 C on 100 Wh is 50 W", () => {
    const b = new IdealBattery({ capacityWh: 100, initialSoc: 1, cRate: 0.5 });
    expect(b.update(-80, 3600)).toBeCloseTo(-50, 12);
    expect(b.soc()).toBeCloseTo(0.5, 12);
    expect(b.update(80, 1800)).toBeCloseTo(25, 12);
  });

  it("stops at the minimum SoC: 100 Wh at 0.3, min 0.2, −50 W for 1 h gives 10 Wh", () => {
    const b = new IdealBattery({ capacityWh: 100, initialSoc: 0.3, minSoc: 0.2 });
    expect(b.update(-50, 3600)).toBeCloseTo(-10, 12);
    expect(b.state()).toEqual({ soc: 0.2, energyWh: 20, capacityWh: 100, minSoc: 0.2 });
  });

  it("charges below a raised minimum SoC but does not discharge there", () => {
    const b = new IdealBattery({ capacityWh: 100, initialSoc: 0.3 });
    b.minSoc = 0.5;
    expect(b.update(-10, 3600)).toBe(0);
    expect(b.update(10, 3600)).toBeCloseTo(10, 12);
    expect(b.soc()).toBeCloseTo(0.4, 12);
  });

  it("rejects impossible configurations and steps", () => {
    expect(() => new IdealBattery({ capacityWh: 0 })).toThrow(StorageConfigError);
    expect(() => new IdealBattery({ capacityWh: 10, initialSoc: 1.2 })).toThrow(StorageConfigError);
    expect(() => new IdealBattery({ capacityWh: 10, initialSoc: 0.1, minSoc: 0.2 })).toThrow(/minSoc/);
    expect(() => new IdealBattery({ capacityWh: 10, cRate: 0 })).toThrow(/cRate/);
    expect(() => new IdealBattery({ capacityWh: 10 }).update(1, 0)).toThrow(/durationS/);
  });
});
