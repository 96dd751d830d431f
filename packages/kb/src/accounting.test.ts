import { describe, expect, it } from "vitest";
import { accountDelta, addTotals } from "./accounting.js";

const tariff = { intensityGPerKWh: 400, pricePerKWh: 0.3, pricePerHour: 0.01 };

describe("accounting from cumulative counters", () => {
  it("counts the grid share at the zone's intensity and price, solar as 0 g, plus the device's hourly price", () => {
    const d = accountDelta(
      { energyWh: 10, solarEnergyWh: 2, tsMs: 0 },
      { energyWh: 20, solarEnergyWh: 6, tsMs: 3_600_000 },
      tariff,
    );
    expect(d.energyWh).toBe(10);
    expect(d.solarEnergyWh).toBe(4);
    expect(d.carbonG).toBeCloseTo((6 / 1000) * 400);
    expect(d.cost).toBeCloseTo((6 / 1000) * 0.3 + 0.01);
  });

  it("a missed summary loses nothing: two steps add up to one", () => {
    const a = { energyWh: 0, solarEnergyWh: 0, tsMs: 0 };
    const b = { energyWh: 5, solarEnergyWh: 1, tsMs: 1000 };
    const c = { energyWh: 12, solarEnergyWh: 1, tsMs: 2000 };
    const two = addTotals(accountDelta(a, b, tariff), accountDelta(b, c, tariff));
    const one = accountDelta(a, c, tariff);
    expect(two.carbonG).toBeCloseTo(one.carbonG);
    expect(two.cost).toBeCloseTo(one.cost);
  });

  it("re-bases a counter that went backwards or a first sight instead of counting it", () => {
    expect(accountDelta(undefined, { energyWh: 50, solarEnergyWh: 0, tsMs: 1 }, tariff).energyWh).toBe(0);
    expect(
      accountDelta(
        { energyWh: 50, solarEnergyWh: 0, tsMs: 1 },
        { energyWh: 3, solarEnergyWh: 0, tsMs: 2 },
        tariff,
      ),
    ).toEqual({
      energyWh: 0,
      solarEnergyWh: 0,
      carbonG: 0,
      cost: 0,
    });
  });

  it("splits by share", () => {
    expect(
      addTotals({ energyWh: 1, carbonG: 1, cost: 1 }, { energyWh: 4, carbonG: 2, cost: 2 }, 0.5),
    ).toEqual({ energyWh: 3, carbonG: 2, cost: 2 });
  });
});
