// The contract every battery model implements. Sign convention everywhere in @qonnect/energy: power into the
// storage is positive (charging), power out of it is negative (discharging); energies carry the same sign.

/** A snapshot of a storage, for logs and the per-step record. */
export interface StorageState {
  /** State of charge in [0, 1]: stored energy / usable capacity. */
  soc: number;
  /** Energy stored now, Wh. */
  energyWh: number;
  /** Nominal capacity, Wh (what embodied emissions are charged for). */
  capacityWh: number;
  /** The state of charge below which the storage does not discharge. */
  minSoc: number;
}

/**
 * A battery with the Vessim lifecycle: configured by its constructor, `state()` for a snapshot, and
 * `update(powerW, durationS)` to (dis)charge at a constant terminal power for one step. Implementations
 * clip the request to what the model allows (capacity, min SoC, power limits) and report what happened.
 */
export interface Storage {
  /**
   * Offers `powerW` at the terminals for `durationS` seconds (> 0): positive charges, negative discharges.
   * Returns the energy that actually crossed the terminals, Wh, with the same sign (0 when nothing could be
   * moved). The stored energy changes by that amount times the model's efficiency.
   */
  update(powerW: number, durationS: number): number;
  /** State of charge in [0, 1]. */
  soc(): number;
  state(): StorageState;
}

/** A storage asked to do something impossible: a non-positive step, a state of charge outside [0, 1]. */
export class StorageConfigError extends RangeError {
  override name = "StorageConfigError";
}

export function checkDuration(durationS: number): void {
  if (!(durationS > 0)) throw new StorageConfigError(`durationS must be positive, got ${durationS}`);
}

export function checkFraction(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new StorageConfigError(`${name} must be in [0, 1], got ${value}`);
}
