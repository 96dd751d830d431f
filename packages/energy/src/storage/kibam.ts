// The kinetic battery model (Manwell & McGowan 1993): two wells, rate-capacity and recovery effects.
import {
  checkDuration,
  checkFraction,
  type Storage,
  StorageConfigError,
  type StorageState,
} from "./storage.js";

export interface KibamConfig {
  /** Total capacity of both wells, Wh (> 0). */
  capacityWh: number;
  /** Fraction c of the capacity in the available well, (0, 1); default 0.5. */
  availableFraction?: number;
  /** Rate constant k of the flow between the wells, 1/h (> 0); default 0.5 (Manwell & McGowan lead-acid ≈ 0.3–1). */
  rateConstantPerH?: number;
  initialSoc?: number;
  /** Minimum state of charge of the total content; default 0. */
  minSoc?: number;
  /** Optional C-rate limit |P| ≤ cRate · capacityWh. */
  cRate?: number;
}

/**
 * Energy sits in an available well q1 (width c) and a bound well q2 (width 1 − c); only q1 reaches the
 * terminals, and energy flows between them at a rate k·(h2 − h1) with heights h1 = q1/c, h2 = q2/(1 − c).
 * For a constant discharge power P over t hours, with k' = k/(c(1 − c)), e = e^(−k't) and q = q1 + q2:
 *
 *   q1(t) = q1·e + (q·k'·c − P)(1 − e)/k' − P·c·(k't − 1 + e)/k'
 *   q2(t) = q2·e + q·(1 − c)(1 − e) − P·(1 − c)(k't − 1 + e)/k'
 *
 * (charging is P < 0). q1(t) is linear in P, so the largest P that keeps 0 ≤ q1(t) ≤ c·C has a closed
 * form. Rate-capacity effect: a fast discharge empties q1 while q2 still holds energy. Recovery: at rest q2
 * refills q1. Lossless: what crosses the terminals is what the wells gain or lose.
 */
export class KineticBattery implements Storage {
  readonly capacityWh: number;
  readonly c: number;
  readonly kPerH: number;
  readonly cRate: number | undefined;
  minSoc: number;
  /** Available and bound well contents, Wh. */
  private q1Wh: number;
  private q2Wh: number;

  constructor(config: KibamConfig) {
    if (!(config.capacityWh > 0)) throw new StorageConfigError("capacityWh must be positive");
    const c = config.availableFraction ?? 0.5;
    if (!(c > 0 && c < 1)) throw new StorageConfigError("availableFraction must be in (0, 1)");
    const k = config.rateConstantPerH ?? 0.5;
    if (!(k > 0)) throw new StorageConfigError("rateConstantPerH must be positive");
    if (config.cRate !== undefined && !(config.cRate > 0))
      throw new StorageConfigError("cRate must be positive");
    const initialSoc = config.initialSoc ?? 0;
    checkFraction("initialSoc", initialSoc);
    this.minSoc = config.minSoc ?? 0;
    checkFraction("minSoc", this.minSoc);
    this.capacityWh = config.capacityWh;
    this.c = c;
    this.kPerH = k;
    this.cRate = config.cRate;
    // at rest both wells stand at the same height
    this.q1Wh = c * config.capacityWh * initialSoc;
    this.q2Wh = (1 - c) * config.capacityWh * initialSoc;
  }

  /** Energy in the available well, Wh: what could be delivered right now. */
  availableWh(): number {
    return this.q1Wh;
  }

  update(powerW: number, durationS: number): number {
    checkDuration(durationS);
    const { c, capacityWh } = this;
    const t = durationS / 3600;
    const kp = this.kPerH / (c * (1 - c));
    const e = Math.exp(-kp * t);
    const q = this.q1Wh + this.q2Wh;
    // q1(t) = A − P·B, with P the discharge power (positive discharges)
    const a = this.q1Wh * e + q * c * (1 - e);
    const ramp = (kp * t - 1 + e) / kp;
    const b = (1 - e) / kp + c * ramp;
    let dischargeW = -powerW;
    if (this.cRate !== undefined) {
      const maxW = this.cRate * capacityWh;
      dischargeW = Math.max(-maxW, Math.min(maxW, dischargeW));
    }
    if (dischargeW > 0) {
      const floorWh = this.minSoc * capacityWh;
      const byWell = a / b; // q1(t) ≥ 0
      const byFloor = Math.max(0, (q - floorWh) / t); // total ≥ minSoc·C
      dischargeW = Math.min(dischargeW, byWell, byFloor);
    } else if (dischargeW < 0) {
      const byWell = (a - c * capacityWh) / b; // q1(t) ≤ c·C (negative)
      const byTotal = (q - capacityWh) / t; // total ≤ C
      dischargeW = Math.max(dischargeW, Math.min(0, Math.max(byWell, byTotal)));
    }
    const q1 = a - dischargeW * b;
    const q2 = this.q2Wh * e + q * (1 - c) * (1 - e) - dischargeW * (1 - c) * ramp;
    this.q1Wh = Math.max(0, q1);
    this.q2Wh = Math.max(0, q2);
    return -dischargeW * t;
  }

  soc(): number {
    return (this.q1Wh + this.q2Wh) / this.capacityWh;
  }

  state(): StorageState {
    return {
      soc: this.soc(),
      energyWh: this.q1Wh + this.q2Wh,
      capacityWh: this.capacityWh,
      minSoc: this.minSoc,
    };
  }
}
