import { describe, expect, it } from "vitest";
import { Actor } from "./actor.js";
import { embodiedEmissionsG } from "./embodied.js";
import { Grid } from "./grid.js";
import { Microgrid } from "./microgrid.js";
import { CarbonThresholdPolicy, ExcessFirstPolicy } from "./policy.js";
import { StaticSignal } from "./signal/signal.js";
import { TraceSignal } from "./signal/trace.js";
import { ClcBattery } from "./storage/clc.js";
import { IdealBattery } from "./storage/ideal.js";

const H = 3_600_000;
const constant = (
  name: string,
  w: number,
  consumer: boolean,
  extra: Partial<{ kind: "solar"; peakW: number }> = {},
) => new Actor({ name, signal: new StaticSignal(w), consumer, ...extra });

describe("Microgrid", () => {
  it("100 Wh ideal battery at SoC 0.8 with +10 W surplus for 4 h ends full and exports 20 Wh", () => {
    const mg = new Microgrid({
      actors: [constant("pv", 15, false), constant("pi", 5, true)],
      storage: new IdealBattery({ capacityWh: 100, initialSoc: 0.8 }),
      grid: new Grid({ intensity: new StaticSignal(300) }),
    });
    const totals = mg.run(0, 60, 240);
    expect(totals.steps).toBe(240);
    expect(totals.finalSoc).toBeCloseTo(1, 12);
    expect(totals.storageChargedWh).toBeCloseTo(20, 9);
    expect(totals.gridExportWh).toBeCloseTo(20, 9);
    expect(totals.gridImportWh).toBe(0);
    expect(totals.excessEnergyWh).toBeCloseTo(40, 9);
    expect(totals.operationalEmissionsG).toBe(0);
  });

  it("charges operational emissions as import × average intensity: 100 W for 1 h at 300 g/kWh = 30 g", () => {
    const mg = new Microgrid({
      actors: [constant("server", 100, true)],
      grid: new Grid({ intensity: new TraceSignal([0, H / 2], [200, 400]) }),
    });
    const log: number[] = [];
    const totals = mg.run(0, 900, 4, (r) => log.push(r.emissionsG));
    expect(log).toEqual([5, 5, 10, 10]);
    expect(totals.operationalEmissionsG).toBeCloseTo(30, 12);
    expect(totals.gridImportWh).toBeCloseTo(100, 12);
    expect(Number.isNaN(totals.finalSoc)).toBe(true);
  });

  it("reports an uncovered deficit when islanded instead of throwing", () => {
    const mg = new Microgrid({
      actors: [constant("load", 50, true)],
      storage: new IdealBattery({ capacityWh: 20, initialSoc: 1 }),
      grid: new Grid({ intensity: new StaticSignal(300), islanded: true }),
    });
    const records = [] as { unservedW: number; storageW: number }[];
    const totals = mg.run(0, 3600, 2, (r) => records.push(r));
    expect(records[0]).toMatchObject({ storageW: -20, unservedW: 30 });
    expect(records[1]).toMatchObject({ storageW: 0, unservedW: 50 });
    expect(totals.unservedWh).toBeCloseTo(80, 12);
    expect(totals.gridImportWh).toBe(0);
  });

  it("curtails what neither storage nor an export limit can take", () => {
    const mg = new Microgrid({
      actors: [constant("pv", 500, false, { kind: "solar", peakW: 500 })],
      grid: new Grid({ intensity: new StaticSignal(100), exportLimitW: 200 }),
    });
    const totals = mg.run(0, 3600, 1);
    expect(totals.gridExportWh).toBe(200);
    expect(totals.curtailedWh).toBe(300);
  });

  it("limits imports and reports the rest as unserved", () => {
    const mg = new Microgrid({
      actors: [constant("load", 300, true)],
      grid: new Grid({ intensity: new StaticSignal(100), importLimitW: 250 }),
    });
    const totals = mg.run(0, 3600, 1);
    expect(totals.gridImportWh).toBe(250);
    expect(totals.unservedWh).toBe(50);
  });

  it("carbon-threshold: charges from a clean grid and discharges when it is dirty", () => {
    const intensity = new TraceSignal([0, H], [50, 500]);
    const mg = new Microgrid({
      actors: [constant("load", 10, true)],
      storage: new IdealBattery({ capacityWh: 100, initialSoc: 0.5 }),
      grid: new Grid({ intensity }),
      policy: new CarbonThresholdPolicy(100, 40),
    });
    const clean = mg.step(0, 3600);
    expect(clean.storageW).toBe(40);
    expect(clean.gridImportW).toBe(50);
    const dirty = mg.step(H, 3600);
    expect(dirty.storageW).toBe(-10);
    expect(dirty.gridImportW).toBe(0);
    expect(mg.totals().finalSoc).toBeCloseTo(0.8, 12);
  });

  it("excess-first keeps the battery as a reserve while the grid can supply", () => {
    const make = (islanded: boolean) =>
      new Microgrid({
        actors: [constant("load", 10, true)],
        storage: new IdealBattery({ capacityWh: 100, initialSoc: 0.5 }),
        grid: new Grid({ intensity: new StaticSignal(300), islanded }),
        policy: new ExcessFirstPolicy(),
      });
    const onGrid = make(false).step(0, 3600);
    expect(onGrid).toMatchObject({ storageW: 0, gridImportW: 10 });
    const off = make(true).step(0, 3600);
    expect(off).toMatchObject({ storageW: -10, gridImportW: 0, unservedW: 0 });
  });

  it("adds embodied emissions: 1 kWp solar and 1 kWh battery for a year", () => {
    const mg = new Microgrid({
      actors: [constant("pv", 0, false, { kind: "solar", peakW: 1000 })],
      storage: new IdealBattery({ capacityWh: 1000 }),
      grid: new Grid({ intensity: new StaticSignal(0) }),
    });
    const totals = mg.run(0, 86_400, 365);
    // 412 kg / 25 y + 74 kg / 10 y = 16.48 + 7.4 kg
    expect(totals.embodiedEmissionsG).toBeCloseTo(16_480 + 7_400, 6);
    expect(embodiedEmissionsG({ solarKWp: 0, windKWp: 2, batteryKWh: 0 }, 365 * 86_400)).toBeCloseTo(
      (349_000 * 2) / 20,
      6,
    );
  });

  it("keeps the power balance in every step of a day with solar, load and a C-L-C battery", () => {
    const solar = new TraceSignal(
      Array.from({ length: 24 }, (_, h) => h * H),
      Array.from({ length: 24 }, (_, h) => Math.max(0, Math.sin(((h - 6) / 12) * Math.PI)) * 400),
    );
    const mg = new Microgrid({
      actors: [
        new Actor({ name: "pv", signal: solar, consumer: false, kind: "solar", peakW: 400 }),
        constant("rack", 120, true),
      ],
      storage: new ClcBattery({ cells: 50, initialSoc: 0.3 }),
      grid: new Grid({ intensity: new StaticSignal(250), exportLimitW: 50 }),
    });
    let checked = 0;
    mg.run(0, 300, 288, (r) => {
      const lhs = r.productionW + r.gridImportW + r.unservedW;
      const rhs = r.consumptionW + r.storageW + r.gridExportW + r.curtailedW;
      expect(lhs).toBeCloseTo(rhs, 9);
      checked++;
    });
    expect(checked).toBe(288);
    const t = mg.totals();
    expect(t.storageChargedWh).toBeGreaterThan(0);
    expect(t.storageDischargedWh).toBeGreaterThan(0);
  });

  it("refuses a marginal intensity signal and a non-positive step", () => {
    expect(() => new Grid({ intensity: new StaticSignal(1), basis: "marginal" })).toThrow(/average/);
    const mg = new Microgrid({ actors: [], grid: new Grid({ intensity: new StaticSignal(1) }) });
    expect(() => mg.step(0, 0)).toThrow(RangeError);
  });
});
