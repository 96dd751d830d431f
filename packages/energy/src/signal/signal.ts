// Signals: values over simulated time (carbon intensity, solar output, load). Time is passed in, never read.

/** A value that varies over time. `at` is a pure lookup: the same `tsMs` always gives the same value. */
export interface Signal {
  /** The value at `tsMs` (Unix milliseconds). */
  at(tsMs: number): number;
}

/** What a carbon-intensity value means. qonnect accounts with average intensity only. */
export type IntensityBasis = "average" | "marginal";

/** A signal that cannot answer: empty trace, time before its first sample, malformed input. */
export class SignalError extends Error {
  override name = "SignalError";
  constructor(
    message: string,
    readonly source?: string,
    options?: { cause?: unknown },
  ) {
    super(source ? `${source}: ${message}` : message, options);
  }
}

/** A constant. */
export class StaticSignal implements Signal {
  constructor(readonly value: number) {}
  at(_tsMs: number): number {
    return this.value;
  }
}

/** `a·x(t)`: a signal multiplied by a constant (a normalised solar trace × peak watts). */
export class ScaledSignal implements Signal {
  constructor(
    readonly inner: Signal,
    readonly factor: number,
  ) {}
  at(tsMs: number): number {
    return this.inner.at(tsMs) * this.factor;
  }
}

/**
 * Excess renewable power as its own signal: max(0, Σ production − Σ consumption), W. Consumers and producers
 * are both given as non-negative powers. A carbon-aware scheduler reads it to place deferrable work.
 */
export class ExcessPowerSignal implements Signal {
  constructor(
    readonly production: readonly Signal[],
    readonly consumption: readonly Signal[],
  ) {}
  at(tsMs: number): number {
    let net = 0;
    for (const p of this.production) net += p.at(tsMs);
    for (const c of this.consumption) net -= c.at(tsMs);
    return Math.max(net, 0);
  }
}
