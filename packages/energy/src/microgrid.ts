// The microgrid: actors, one storage, a grid connection and a dispatch policy, stepped on a simulated clock.
import type { Actor } from "./actor.js";
import { DEFAULT_LIFETIMES, type Equipment, embodiedEmissionsG, type Lifetimes } from "./embodied.js";
import type { Grid } from "./grid.js";
import { DefaultPolicy, type DispatchContext, type DispatchPolicy } from "./policy.js";
import type { Storage } from "./storage/storage.js";

export interface MicrogridConfig {
  actors: readonly Actor[];
  grid: Grid;
  storage?: Storage;
  policy?: DispatchPolicy;
  /** Lifetimes for amortising embodied emissions; defaults: solar 25 y, wind 20 y, battery 10 y. */
  lifetimes?: Lifetimes;
}

/**
 * One step of the log. Powers are averages over the step, W, all ≥ 0 except `netW` and `storageW`, whose
 * sign follows the convention of the package: surplus / charging positive.
 */
export interface StepRecord {
  tsMs: number;
  durationS: number;
  productionW: number;
  consumptionW: number;
  /** productionW − consumptionW. */
  netW: number;
  /** Power into the storage at its terminals (negative: discharging). */
  storageW: number;
  gridImportW: number;
  gridExportW: number;
  curtailedW: number;
  /** Demand no source could cover (islanded or import-limited). */
  unservedW: number;
  /** State of charge after the step (NaN without storage). */
  soc: number;
  intensityGPerKWh: number;
  /** gridImport × intensity for this step, g. */
  emissionsG: number;
  /** Excess renewable power: max(0, production − consumption). */
  excessW: number;
}

/** Running totals of a simulation. Energies in Wh, emissions in g. */
export interface MicrogridTotals {
  steps: number;
  durationS: number;
  productionWh: number;
  consumptionWh: number;
  gridImportWh: number;
  gridExportWh: number;
  curtailedWh: number;
  unservedWh: number;
  storageChargedWh: number;
  storageDischargedWh: number;
  /** Final state of charge (NaN without storage). */
  finalSoc: number;
  operationalEmissionsG: number;
  /** Embodied emissions of solar, wind and battery amortised over the simulated duration. */
  embodiedEmissionsG: number;
  excessEnergyWh: number;
}

/**
 * Each step: actors read their signals at the step's start; the policy asks the storage for a power; the
 * storage clips it; the grid settles the rest within its limits; what the grid cannot take is curtailed and
 * what it cannot give is reported as unserved. Balance per step (storageW signed, charging positive):
 * production + import + unserved = consumption + storageW + export + curtailed.
 */
export class Microgrid {
  readonly actors: readonly Actor[];
  readonly grid: Grid;
  readonly storage: Storage | undefined;
  readonly policy: DispatchPolicy;
  readonly equipment: Equipment;
  readonly lifetimes: Lifetimes;
  private readonly t: MicrogridTotals;
  /** The policy's context and the latest step, reused every step. */
  private readonly ctx: DispatchContext = {
    tsMs: 0,
    durationS: 0,
    netW: 0,
    intensityGPerKWh: 0,
    soc: 0,
    availableImportW: 0,
  };
  private readonly last: StepRecord = {
    tsMs: 0,
    durationS: 0,
    productionW: 0,
    consumptionW: 0,
    netW: 0,
    storageW: 0,
    gridImportW: 0,
    gridExportW: 0,
    curtailedW: 0,
    unservedW: 0,
    soc: Number.NaN,
    intensityGPerKWh: 0,
    emissionsG: 0,
    excessW: 0,
  };

  constructor(config: MicrogridConfig) {
    this.actors = config.actors;
    this.grid = config.grid;
    this.storage = config.storage;
    this.policy = config.policy ?? new DefaultPolicy();
    this.lifetimes = config.lifetimes ?? DEFAULT_LIFETIMES;
    let solarW = 0;
    let windW = 0;
    for (const a of this.actors) {
      if (a.consumer) continue;
      if (a.kind === "solar") solarW += a.peakW;
      else if (a.kind === "wind") windW += a.peakW;
    }
    this.equipment = {
      solarKWp: solarW / 1000,
      windKWp: windW / 1000,
      batteryKWh: (this.storage?.state().capacityWh ?? 0) / 1000,
    };
    this.t = {
      steps: 0,
      durationS: 0,
      productionWh: 0,
      consumptionWh: 0,
      gridImportWh: 0,
      gridExportWh: 0,
      curtailedWh: 0,
      unservedWh: 0,
      storageChargedWh: 0,
      storageDischargedWh: 0,
      finalSoc: this.storage ? this.storage.soc() : Number.NaN,
      operationalEmissionsG: 0,
      embodiedEmissionsG: 0,
      excessEnergyWh: 0,
    };
  }

  /** Advances the microgrid by one step starting at `tsMs` and lasting `durationS` seconds. */
  step(tsMs: number, durationS: number): StepRecord {
    this.advance(tsMs, durationS);
    return { ...this.last };
  }

  /** One step into `this.last`; allocates nothing, so a year of one-minute steps stays fast. */
  private advance(tsMs: number, durationS: number): void {
    if (!(durationS > 0)) throw new RangeError(`durationS must be positive, got ${durationS}`);
    let productionW = 0;
    let consumptionW = 0;
    for (const a of this.actors) {
      const p = a.step(tsMs);
      if (p >= 0) productionW += p;
      else consumptionW -= p;
    }
    const netW = productionW - consumptionW;
    const intensityGPerKWh = this.grid.intensity.at(tsMs);
    const hours = durationS / 3600;
    let storageW = 0;
    if (this.storage) {
      const ctx = this.ctx;
      ctx.tsMs = tsMs;
      ctx.durationS = durationS;
      ctx.netW = netW;
      ctx.intensityGPerKWh = intensityGPerKWh;
      ctx.soc = this.storage.soc();
      ctx.availableImportW = this.grid.availableImportW();
      const requestW = this.policy.storageRequestW(ctx);
      if (requestW !== 0) storageW = this.storage.update(requestW, durationS) / hours;
    }
    let residualW = netW - storageW;
    // Wh → W round trips leave ~1e-13 W; don't let them show up as imports of nothing
    if (Math.abs(residualW) < 1e-9) residualW = 0;
    const r = this.last;
    this.grid.settle(residualW, r);
    const emissionsG = (r.gridImportW * hours * intensityGPerKWh) / 1000;
    const excessW = Math.max(netW, 0);
    const soc = this.storage ? this.storage.soc() : Number.NaN;
    r.tsMs = tsMs;
    r.durationS = durationS;
    r.productionW = productionW;
    r.consumptionW = consumptionW;
    r.netW = netW;
    r.storageW = storageW;
    r.soc = soc;
    r.intensityGPerKWh = intensityGPerKWh;
    r.emissionsG = emissionsG;
    r.excessW = excessW;

    const t = this.t;
    t.steps++;
    t.durationS += durationS;
    t.productionWh += productionW * hours;
    t.consumptionWh += consumptionW * hours;
    t.gridImportWh += r.gridImportW * hours;
    t.gridExportWh += r.gridExportW * hours;
    t.curtailedWh += r.curtailedW * hours;
    t.unservedWh += r.unservedW * hours;
    if (storageW > 0) t.storageChargedWh += storageW * hours;
    else t.storageDischargedWh -= storageW * hours;
    t.finalSoc = soc;
    t.operationalEmissionsG += emissionsG;
    t.excessEnergyWh += excessW * hours;
  }

  /**
   * Runs `steps` steps of `stepS` seconds from `startMs`, calling `onStep` with each record (optional: the
   * benchmark runs without it). Returns the totals so far.
   */
  run(startMs: number, stepS: number, steps: number, onStep?: (record: StepRecord) => void): MicrogridTotals {
    const stepMs = stepS * 1000;
    for (let i = 0; i < steps; i++) {
      this.advance(startMs + i * stepMs, stepS);
      if (onStep) onStep({ ...this.last });
    }
    return this.totals();
  }

  /** Totals so far, with embodied emissions for the simulated duration. */
  totals(): MicrogridTotals {
    return {
      ...this.t,
      embodiedEmissionsG: embodiedEmissionsG(this.equipment, this.t.durationS, this.lifetimes),
    };
  }
}
