// Trace signals: timestamped samples, forward-filled between them, optionally re-anchored, scaled, wrapped.
import { type Signal, SignalError } from "./signal.js";

export interface TraceOptions {
  /** Multiply every value (normalised solar × peak W). Default 1. */
  scale?: number;
  /**
   * Shift the trace so its first sample sits at `anchorMs` (replay 2022 data on a 2026 clock, or give
   * relative "seconds from start" traces a start).
   */
  anchorMs?: number;
  /**
   * Repeat the trace after its last sample (period = last − first + the last sample's interval). Without it,
   * the last value is held forever.
   */
  wrap?: boolean;
  /** Name for error messages (a file name). */
  source?: string;
}

/**
 * Forward-filled samples: the value at t is the last sample at or before t. Asking before the first
 * sample throws {@link SignalError} (a trace does not invent its past). Lookups in increasing time, as a
 * simulation makes, are O(1) amortised; any order works.
 */
export class TraceSignal implements Signal {
  readonly timesMs: Float64Array;
  readonly values: Float64Array;
  readonly source: string | undefined;
  private readonly wrapPeriodMs: number;
  private cursor = 0;

  constructor(timesMs: ArrayLike<number>, values: ArrayLike<number>, options: TraceOptions = {}) {
    if (timesMs.length !== values.length)
      throw new SignalError("times and values differ in length", options.source);
    if (timesMs.length === 0) throw new SignalError("trace has no samples", options.source);
    const n = timesMs.length;
    const shift = options.anchorMs === undefined ? 0 : options.anchorMs - timesMs[0]!;
    const scale = options.scale ?? 1;
    this.timesMs = new Float64Array(n);
    this.values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = timesMs[i]! + shift;
      const v = values[i]! * scale;
      if (!Number.isFinite(t) || (i > 0 && !(t > this.timesMs[i - 1]!)))
        throw new SignalError(
          `timestamps must be finite and strictly increasing (sample ${i})`,
          options.source,
        );
      this.timesMs[i] = t;
      this.values[i] = v;
    }
    this.source = options.source;
    const lastStepMs = n > 1 ? this.timesMs[n - 1]! - this.timesMs[n - 2]! : 1;
    this.wrapPeriodMs = options.wrap ? this.timesMs[n - 1]! - this.timesMs[0]! + lastStepMs : 0;
  }

  get startMs(): number {
    return this.timesMs[0]!;
  }

  get endMs(): number {
    return this.timesMs[this.timesMs.length - 1]!;
  }

  at(tsMs: number): number {
    let t = tsMs;
    const t0 = this.timesMs[0]!;
    if (t < t0) throw new SignalError(`no sample at or before ${new Date(tsMs).toISOString()}`, this.source);
    if (this.wrapPeriodMs > 0) t = t0 + ((t - t0) % this.wrapPeriodMs);
    const times = this.timesMs;
    const n = times.length;
    let i = this.cursor;
    if (times[i]! > t) i = 0;
    // walk forward a few samples; fall back to binary search for big jumps
    let walked = 0;
    while (i + 1 < n && times[i + 1]! <= t && walked < 8) {
      i++;
      walked++;
    }
    if (i + 1 < n && times[i + 1]! <= t) {
      let lo = i;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (times[mid]! <= t) lo = mid;
        else hi = mid - 1;
      }
      i = lo;
    }
    this.cursor = i;
    return this.values[i]!;
  }

  /** Mean of the samples (not time-weighted), for summaries. */
  mean(): number {
    let s = 0;
    for (const v of this.values) s += v;
    return s / this.values.length;
  }
}
