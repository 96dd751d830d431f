// Battery state of charge from a current/voltage sensor: coulomb counting, corrected by the open-circuit
// voltage (OCV) once the battery has rested. A loaded battery's terminal voltage sags with current and
// recovers slowly, so a voltage-to-percent line is wrong whenever current flows; the integral of current is
// right over hours but drifts with sensor offset. Rested OCV is a true (if flat-in-the-middle) measure of SoC,
// so it resets the drift. A state machine: time comes in with each sample, nothing else is read.
//
//   SoC(t+Δt) = SoC(t) + η · Ī · Δt / C     Ī = mean of the two samples' currents (A, + = charging), Δt in h,
//                                           C = capacity (Ah), η = coulombic efficiency when charging, else 1
//   at rest (|I| < I_rest for ≥ T_rest):     SoC = OCV⁻¹(V / cells_in_series)
//   end of charge (charging, V/cell ≥ V_full, I < I_taper): SoC = 1
//   first sample, unless an initial SoC is given: SoC = OCV⁻¹((V − I · R_internal) / cells_in_series)

/** One point of a per-cell OCV curve. */
export interface OcvPoint {
  cellVoltageV: number;
  stateOfCharge: number;
}

/**
 * A typical rested OCV curve of a Li-ion (NMC/LCO, 18650-class) cell at 25 °C. Approximate: use the curve of
 * your cell where you have it.
 */
export const LI_ION_OCV_TABLE: readonly OcvPoint[] = [
  { cellVoltageV: 3.0, stateOfCharge: 0.0 },
  { cellVoltageV: 3.45, stateOfCharge: 0.05 },
  { cellVoltageV: 3.55, stateOfCharge: 0.1 },
  { cellVoltageV: 3.65, stateOfCharge: 0.2 },
  { cellVoltageV: 3.7, stateOfCharge: 0.3 },
  { cellVoltageV: 3.75, stateOfCharge: 0.4 },
  { cellVoltageV: 3.79, stateOfCharge: 0.5 },
  { cellVoltageV: 3.85, stateOfCharge: 0.6 },
  { cellVoltageV: 3.92, stateOfCharge: 0.7 },
  { cellVoltageV: 4.0, stateOfCharge: 0.8 },
  { cellVoltageV: 4.08, stateOfCharge: 0.9 },
  { cellVoltageV: 4.2, stateOfCharge: 1.0 },
];

/** SoC for a rested cell voltage: linear between table points, clamped to the table's ends. */
export function socFromOcv(table: readonly OcvPoint[], cellVoltageV: number): number {
  const first = table[0];
  const last = table[table.length - 1];
  if (!first || !last) throw new RangeError("empty OCV table");
  if (cellVoltageV <= first.cellVoltageV) return first.stateOfCharge;
  if (cellVoltageV >= last.cellVoltageV) return last.stateOfCharge;
  for (let i = 1; i < table.length; i++) {
    const a = table[i - 1]!;
    const b = table[i]!;
    if (cellVoltageV <= b.cellVoltageV)
      return (
        a.stateOfCharge +
        ((cellVoltageV - a.cellVoltageV) / (b.cellVoltageV - a.cellVoltageV)) *
          (b.stateOfCharge - a.stateOfCharge)
      );
  }
  return last.stateOfCharge;
}

/** Rested cell voltage for a SoC (the inverse of socFromOcv), for scenarios and tests. */
export function ocvFromSoc(table: readonly OcvPoint[], stateOfCharge: number): number {
  const inverted = table.map((p) => ({ cellVoltageV: p.stateOfCharge, stateOfCharge: p.cellVoltageV }));
  return socFromOcv(inverted, stateOfCharge);
}

export interface SocEstimatorConfig {
  capacityAh: number;
  cellsInSeries: number;
  ocvTable?: readonly OcvPoint[];
  /** |current| below this counts as rest, amperes. Default capacity / 50 (C/50). */
  restCurrentA?: number;
  /** How long the battery must rest before its voltage is taken as OCV, seconds. Default 1800. */
  restDurationS?: number;
  /** Coulombic efficiency while charging. Default 0.99. */
  chargeEfficiency?: number;
  /** Charging ends (SoC = 1) when V/cell ≥ this and the current has tapered. Default 4.15 V. */
  fullCellVoltageV?: number;
  /** The taper current that ends charging, amperes. Default capacity / 20 (C/20). */
  endOfChargeCurrentA?: number;
  /** Pack internal resistance, ohms: the first sample's OCV is taken as V − I · R. Default 0. */
  internalResistanceOhm?: number;
  /** Start here instead of from the first sample's voltage taken as OCV. */
  initialStateOfCharge?: number;
}

/** One sample: time, battery current (+ = charging), battery voltage. */
export interface BatterySample {
  tsMs: number;
  currentA: number;
  voltageV: number;
}

export interface SocEstimate {
  stateOfCharge: number;
  /** What set the value last: the OCV table, the coulomb count, end of charge, or the configured start. */
  source: "ocv" | "coulomb-count" | "end-of-charge" | "initial";
  /** How long the battery has been at rest, seconds. */
  restS: number;
}

export class SocEstimator {
  private readonly c: Required<Omit<SocEstimatorConfig, "initialStateOfCharge">> & {
    initialStateOfCharge?: number;
  };
  private last: BatterySample | undefined;
  private estimate: SocEstimate | undefined;

  constructor(config: SocEstimatorConfig) {
    if (!(config.capacityAh > 0) || !(config.cellsInSeries >= 1))
      throw new RangeError("capacityAh must be positive and cellsInSeries at least 1");
    this.c = {
      ocvTable: LI_ION_OCV_TABLE,
      restCurrentA: config.capacityAh / 50,
      restDurationS: 1800,
      chargeEfficiency: 0.99,
      fullCellVoltageV: 4.15,
      endOfChargeCurrentA: config.capacityAh / 20,
      internalResistanceOhm: 0,
      ...config,
    };
  }

  /** The latest estimate, or undefined before the first sample. */
  get state(): SocEstimate | undefined {
    return this.estimate;
  }

  update(sample: BatterySample): SocEstimate {
    const cellV = sample.voltageV / this.c.cellsInSeries;
    const prev = this.last;
    this.last = sample;
    if (!prev || !this.estimate) {
      this.estimate =
        this.c.initialStateOfCharge !== undefined
          ? { stateOfCharge: this.c.initialStateOfCharge, source: "initial", restS: 0 }
          : {
              stateOfCharge: socFromOcv(
                this.c.ocvTable,
                (sample.voltageV - sample.currentA * this.c.internalResistanceOhm) / this.c.cellsInSeries,
              ),
              source: "ocv",
              restS: 0,
            };
      return this.estimate;
    }
    const dtS = Math.max(0, (sample.tsMs - prev.tsMs) / 1000);
    const meanA = (sample.currentA + prev.currentA) / 2;
    const deltaAh = (meanA * (meanA > 0 ? this.c.chargeEfficiency : 1) * dtS) / 3600;
    let soc = clamp01(this.estimate.stateOfCharge + deltaAh / this.c.capacityAh);
    let source: SocEstimate["source"] = "coulomb-count";
    const resting =
      Math.abs(sample.currentA) < this.c.restCurrentA && Math.abs(prev.currentA) < this.c.restCurrentA;
    const restS = resting ? this.estimate.restS + dtS : 0;
    if (resting && restS >= this.c.restDurationS) {
      soc = socFromOcv(this.c.ocvTable, cellV);
      source = "ocv";
    } else if (
      sample.currentA > 0 &&
      sample.currentA < this.c.endOfChargeCurrentA &&
      cellV >= this.c.fullCellVoltageV
    ) {
      soc = 1;
      source = "end-of-charge";
    }
    this.estimate = { stateOfCharge: soc, source, restS };
    return this.estimate;
  }
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
