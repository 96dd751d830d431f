// Forecasts: what was known at issue time. A simulation may only read forecasts issued at or before "now".
import { type Signal, SignalError } from "./signal.js";
import { TraceSignal } from "./trace.js";

/** One forecast as it was published. */
export interface ForecastIssue {
  /** When the forecast was published, Unix ms. */
  issuedAtMs: number;
  /** Predicted values, strictly increasing in time; each holds until the next. */
  points: readonly { tsMs: number; value: number }[];
}

/** A forecast point as returned to a caller. */
export interface ForecastPoint {
  tsMs: number;
  value: number;
}

/**
 * A set of published forecasts. `forecast(nowMs, …)` answers from the latest issue published at or before
 * `nowMs`, so a policy never sees the future through a forecast published later. As a {@link Signal}, `at(t)`
 * is the nowcast: the latest issue at or before t, evaluated at t.
 */
export class ForecastSignal implements Signal {
  private readonly issues: { issuedAtMs: number; trace: TraceSignal }[];

  constructor(issues: readonly ForecastIssue[], source?: string) {
    const sorted = [...issues].sort((a, b) => a.issuedAtMs - b.issuedAtMs);
    this.issues = sorted
      .filter((i) => i.points.length > 0)
      .map((i) => ({
        issuedAtMs: i.issuedAtMs,
        trace: new TraceSignal(
          i.points.map((p) => p.tsMs),
          i.points.map((p) => p.value),
          { source },
        ),
      }));
    if (this.issues.length === 0) throw new SignalError("forecast has no points", source);
  }

  private issueAt(nowMs: number): TraceSignal | undefined {
    let found: TraceSignal | undefined;
    for (const issue of this.issues) {
      if (issue.issuedAtMs > nowMs) break;
      found = issue.trace;
    }
    return found;
  }

  /**
   * Values forecast for [fromMs, toMs) at `stepMs` resolution, as known at `nowMs`. Points before the
   * issue's first prediction or with no issue yet are left out.
   */
  forecast(nowMs: number, fromMs: number, toMs: number, stepMs: number): ForecastPoint[] {
    if (!(stepMs > 0)) throw new SignalError("stepMs must be positive");
    const trace = this.issueAt(nowMs);
    if (!trace) return [];
    const out: ForecastPoint[] = [];
    for (let t = fromMs; t < toMs; t += stepMs)
      if (t >= trace.startMs) out.push({ tsMs: t, value: trace.at(t) });
    return out;
  }

  at(tsMs: number): number {
    const trace = this.issueAt(tsMs);
    if (!trace || tsMs < trace.startMs)
      throw new SignalError(`no forecast issued by ${new Date(tsMs).toISOString()}`);
    return trace.at(tsMs);
  }
}

/**
 * A perfect ("oracle") forecast drawn from a trace: each hour (or `everyMs`) an issue covering
 * `horizonMs` ahead with the trace's own values, optionally multiplied by (1 + error(t)) to model forecast
 * error. For what-if studies: how much would a policy gain with a perfect forecast?
 */
export function forecastFromTrace(
  trace: TraceSignal,
  options: { horizonMs: number; everyMs?: number; stepMs?: number; error?: (leadMs: number) => number },
): ForecastSignal {
  const every = options.everyMs ?? 3_600_000;
  const step = options.stepMs ?? every;
  const issues: ForecastIssue[] = [];
  for (let issued = trace.startMs; issued <= trace.endMs; issued += every) {
    const points: { tsMs: number; value: number }[] = [];
    for (let t = issued; t < issued + options.horizonMs; t += step)
      points.push({ tsMs: t, value: trace.at(t) * (1 + (options.error?.(t - issued) ?? 0)) });
    issues.push({ issuedAtMs: issued, points });
  }
  return new ForecastSignal(issues, trace.source);
}
