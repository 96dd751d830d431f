// The grid connection: import/export limits, islanded operation, and the carbon intensity of imports.
import { type IntensityBasis, type Signal, SignalError } from "./signal/signal.js";

export interface GridConfig {
  /** Average carbon intensity of imported electricity, g CO₂(eq)/kWh. */
  intensity: Signal;
  /** Refuse marginal signals: qonnect accounts with average intensity only. Default "average". */
  basis?: IntensityBasis;
  /** Largest import, W; unlimited when omitted. */
  importLimitW?: number;
  /** Largest export, W; unlimited when omitted; 0 forbids export (everything left over is curtailed). */
  exportLimitW?: number;
  /** No grid at all: no import, no export. */
  islanded?: boolean;
}

/** What the grid did in one step. Powers are ≥ 0; the sign is in the name. */
export interface GridExchange {
  importW: number;
  exportW: number;
  /** Surplus nobody could take (export limit, islanded), W. */
  curtailedW: number;
  /** Demand nobody could supply (import limit, islanded), W: reported, never thrown. */
  unservedW: number;
}

/** The same as {@link GridExchange}, named as in the microgrid's step record. */
export interface GridSettlement {
  gridImportW: number;
  gridExportW: number;
  curtailedW: number;
  unservedW: number;
}

export class Grid {
  readonly intensity: Signal;
  readonly importLimitW: number;
  readonly exportLimitW: number;
  islanded: boolean;

  constructor(config: GridConfig) {
    if (config.basis === "marginal")
      throw new SignalError(
        "the grid needs an average carbon intensity; marginal rates (e.g. WattTime MOER) are not accounted",
      );
    this.intensity = config.intensity;
    this.importLimitW = config.importLimitW ?? Number.POSITIVE_INFINITY;
    this.exportLimitW = config.exportLimitW ?? Number.POSITIVE_INFINITY;
    this.islanded = config.islanded ?? false;
    if (this.importLimitW < 0 || this.exportLimitW < 0) throw new RangeError("grid limits must be ≥ 0");
  }

  /** Import the grid could supply now, W. */
  availableImportW(): number {
    return this.islanded ? 0 : this.importLimitW;
  }

  /**
   * Settles the residual power after storage, W: positive is a surplus to export, negative a deficit to
   * import.
   */
  step(residualW: number): GridExchange {
    const out: GridSettlement = { gridImportW: 0, gridExportW: 0, curtailedW: 0, unservedW: 0 };
    this.settle(residualW, out);
    return {
      importW: out.gridImportW,
      exportW: out.gridExportW,
      curtailedW: out.curtailedW,
      unservedW: out.unservedW,
    };
  }

  /** {@link step} writing into `out` instead of allocating (the microgrid's per-step record). */
  settle(residualW: number, out: GridSettlement): void {
    if (residualW >= 0) {
      const exportW = this.islanded ? 0 : Math.min(residualW, this.exportLimitW);
      out.gridImportW = 0;
      out.gridExportW = exportW;
      out.curtailedW = residualW - exportW;
      out.unservedW = 0;
    } else {
      const importW = Math.min(-residualW, this.availableImportW());
      out.gridImportW = importW;
      out.gridExportW = 0;
      out.curtailedW = 0;
      out.unservedW = -residualW - importW;
    }
  }
}
