// The ideal battery: lossless, bounded by capacity and a minimum state of charge, optionally by a C-rate.
import {
  checkDuration,
  checkFraction,
  type Storage,
  StorageConfigError,
  type StorageState,
} from "./storage.js";

export interface IdealBatteryConfig {
  /** Usable capacity, Wh (> 0). */
  capacityWh: number;
  /** Initial state of charge in [0, 1]; default 0. */
  initialSoc?: number;
  /** Minimum state of charge in [0, 1]; default 0. Must not exceed the initial state of charge. */
  minSoc?: number;
  /** C-rate: |P| ≤ cRate · capacityWh W in both directions; unlimited when omitted. */
  cRate?: number;
}

/**
 * Vessim's SimpleBattery: E ← clamp(E + P·Δt/3600, minSoc·C, C) with |P| ≤ cRate·C; no losses, so what enters
 * the terminals is stored and what leaves them was stored.
 */
export class IdealBattery implements Storage {
  readonly capacityWh: number;
  minSoc: number;
  readonly cRate: number | undefined;
  private energyWh: number;

  constructor(config: IdealBatteryConfig) {
    if (!(config.capacityWh > 0)) throw new StorageConfigError("capacityWh must be positive");
    const initialSoc = config.initialSoc ?? 0;
    const minSoc = config.minSoc ?? 0;
    checkFraction("initialSoc", initialSoc);
    checkFraction("minSoc", minSoc);
    if (minSoc > initialSoc) throw new StorageConfigError("minSoc must not exceed initialSoc");
    if (config.cRate !== undefined && !(config.cRate > 0))
      throw new StorageConfigError("cRate must be positive");
    this.capacityWh = config.capacityWh;
    this.minSoc = minSoc;
    this.cRate = config.cRate;
    this.energyWh = config.capacityWh * initialSoc;
  }

  update(powerW: number, durationS: number): number {
    checkDuration(durationS);
    let p = powerW;
    if (this.cRate !== undefined) {
      const maxW = this.cRate * this.capacityWh;
      p = Math.max(-maxW, Math.min(maxW, p));
    }
    const minWh = this.minSoc * this.capacityWh;
    const target = this.energyWh + (p * durationS) / 3600;
    const next =
      p >= 0
        ? Math.min(target, Math.max(this.capacityWh, this.energyWh))
        : Math.max(target, Math.min(minWh, this.energyWh));
    const movedWh = next - this.energyWh;
    this.energyWh = next;
    return movedWh;
  }

  soc(): number {
    return this.energyWh / this.capacityWh;
  }

  state(): StorageState {
    return { soc: this.soc(), energyWh: this.energyWh, capacityWh: this.capacityWh, minSoc: this.minSoc };
  }
}
