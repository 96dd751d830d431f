// The C-L-C linear battery model (Kazhamiaka, Rosenberg & Keshav 2019), as Vessim's ClcBattery, per cell.
import {
  checkDuration,
  checkFraction,
  type Storage,
  StorageConfigError,
  type StorageState,
} from "./storage.js";

/** Per-cell parameters of the C-L-C model; defaults are the LG M50 (INR21700) fit used by Vessim. */
export interface ClcCellParams {
  /** Nominal cell voltage, V (3.63). Converts power to current: i = p / V_nom. */
  nomVoltageV: number;
  /** Slope of the lower energy bound with discharge current, Wh/A (−0.087): b ≥ u1·i + v1, i < 0. */
  u1WhPerA: number;
  /** Offset of the lower energy bound, Wh (0). */
  v1Wh: number;
  /** Slope of the upper energy bound with charge current, Wh/A (−1.326): b ≤ u2·i + v2, i > 0. */
  u2WhPerA: number;
  /** Offset of the upper energy bound = usable cell capacity, Wh (19.14). */
  v2Wh: number;
  /** Maximum discharge C-rate as a negative number, 1/h (−1.5): p ≥ αd·v2. */
  alphaD: number;
  /** Maximum charge C-rate, 1/h (0.7): p ≤ αc·v2. */
  alphaC: number;
  /** Discharge inefficiency ≥ 1 (1.014): the cell loses ηd·|p| to deliver |p|. */
  etaD: number;
  /** Charge efficiency in (0, 1] (0.978): the cell stores ηc·p of p. */
  etaC: number;
  /** Per-cell discharge current cut-off, A (−0.05): a smaller allowed |current| stops discharging. */
  dischargeCutoffA: number;
  /** Per-cell charge current cut-off, A (0.05): a smaller allowed current stops charging. */
  chargeCutoffA: number;
}

export const LG_M50_CELL: Readonly<ClcCellParams> = Object.freeze({
  nomVoltageV: 3.63,
  u1WhPerA: -0.087,
  v1Wh: 0,
  u2WhPerA: -1.326,
  v2Wh: 19.14,
  alphaD: -1.5,
  alphaC: 0.7,
  etaD: 1.014,
  etaC: 0.978,
  dischargeCutoffA: -0.05,
  chargeCutoffA: 0.05,
});

export interface ClcBatteryConfig {
  /** Cells in the pack (> 0); pack capacity = cells × v2. Derive it from a pack capacity with {@link cellsFor}. */
  cells: number;
  initialSoc?: number;
  minSoc?: number;
  /** Overrides of the LG M50 cell parameters. */
  cell?: Partial<ClcCellParams>;
}

/** The number of cells (possibly fractional) for a pack of `capacityWh` with cells of `v2Wh` each. */
export function cellsFor(capacityWh: number, v2Wh = LG_M50_CELL.v2Wh): number {
  return capacityWh / v2Wh;
}

/**
 * Per cell, with b the stored energy (Wh), p the terminal power (W), Δh = Δt/3600:
 *
 *   charging   b' = b + ηc·p·Δh,  p ≤ min(αc·v2, (v2 − b)/(ηc·Δh − u2/V))  (from b' ≤ u2·p/V + v2)
 *   discharging b' = b + ηd·p·Δh, p ≥ max(αd·v2, (v1 − b)/(ηd·Δh − u1/V))  (from b' ≥ u1·p/V + v1)
 *
 * Pack power = cells × cell power. An allowed per-cell current below the cut-off stops (dis)charging, and
 * discharging never takes b below minSoc·v2.
 */
export class ClcBattery implements Storage {
  readonly cells: number;
  readonly cell: Readonly<ClcCellParams>;
  minSoc: number;
  /** Energy stored in one cell, Wh. */
  private cellWh: number;

  constructor(config: ClcBatteryConfig) {
    if (!(config.cells > 0)) throw new StorageConfigError("cells must be positive");
    this.cell = { ...LG_M50_CELL, ...config.cell };
    const c = this.cell;
    if (!(c.etaD >= 1)) throw new StorageConfigError("etaD (discharge inefficiency) must be ≥ 1");
    if (!(c.etaC > 0 && c.etaC <= 1)) throw new StorageConfigError("etaC must be in (0, 1]");
    if (!(c.v2Wh > 0 && c.nomVoltageV > 0))
      throw new StorageConfigError("v2Wh and nomVoltageV must be positive");
    if (!(c.alphaC > 0 && c.alphaD < 0)) throw new StorageConfigError("alphaC must be > 0 and alphaD < 0");
    const initialSoc = config.initialSoc ?? 0;
    const minSoc = config.minSoc ?? 0;
    checkFraction("initialSoc", initialSoc);
    checkFraction("minSoc", minSoc);
    this.cells = config.cells;
    this.minSoc = minSoc;
    this.cellWh = c.v2Wh * initialSoc;
  }

  update(powerW: number, durationS: number): number {
    checkDuration(durationS);
    const c = this.cell;
    const dh = durationS / 3600;
    let cellW = powerW / this.cells;
    if (cellW > 0) {
      const maxW = Math.min(
        c.alphaC * c.v2Wh,
        (c.v2Wh - this.cellWh) / (c.etaC * dh - c.u2WhPerA / c.nomVoltageV),
      );
      if (cellW > maxW) cellW = maxW >= c.chargeCutoffA * c.nomVoltageV ? maxW : 0;
      this.cellWh += c.etaC * cellW * dh;
    } else if (cellW < 0) {
      const floorWh = this.minSoc * c.v2Wh;
      if (this.cellWh <= floorWh) return 0;
      const minW = Math.max(
        c.alphaD * c.v2Wh,
        (c.v1Wh - this.cellWh) / (c.etaD * dh - c.u1WhPerA / c.nomVoltageV),
      );
      if (cellW < minW) cellW = minW <= c.dischargeCutoffA * c.nomVoltageV ? minW : 0;
      const next = this.cellWh + c.etaD * cellW * dh;
      if (next < floorWh) {
        cellW = (floorWh - this.cellWh) / (c.etaD * dh);
        this.cellWh = floorWh;
      } else this.cellWh = next;
    }
    return cellW * this.cells * dh;
  }

  soc(): number {
    return this.cellWh / this.cell.v2Wh;
  }

  state(): StorageState {
    return {
      soc: this.soc(),
      energyWh: this.cellWh * this.cells,
      capacityWh: this.cell.v2Wh * this.cells,
      minSoc: this.minSoc,
    };
  }
}
