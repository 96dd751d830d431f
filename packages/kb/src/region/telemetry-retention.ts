// Keeps the telemetry history's size bounded (DESIGN.md §12 "Retention and wear"): raw samples older than
// `rawMs` are rolled up into one row per device and minute, and minutes older than `minutesMs` are dropped.
// Each round rolls up at most `windowMs` of raw history per step, oldest first, so the first round after an
// upgrade (or a long stop) works through a big backlog in short transactions instead of one long one.
import type { KbMetrics } from "../metrics.js";
import { MINUTE_MS } from "../store/telemetry-rollup.js";
import type { TelemetryStore } from "../store/telemetry-store.js";

const DAY_MS = 86_400_000;

export interface TelemetryRetentionOptions {
  store: TelemetryStore;
  nowMs: () => number;
  metrics?: KbMetrics;
  log?: { info(fields: object, msg: string): void; warn(fields: object, msg: string): void };
  /** Raw samples are kept this long, then rolled up into minutes. Default 7 days. */
  rawMs?: number;
  /** Minutes are kept this long, then dropped. Default 400 days (a year and its same month). */
  minutesMs?: number;
  /** Raw history rolled up per step. Default 1 hour. */
  windowMs?: number;
}

export const DEFAULT_RAW_RETENTION_MS = 7 * DAY_MS;
export const DEFAULT_MINUTE_RETENTION_MS = 400 * DAY_MS;

/** Why retention settings were refused: says which and what to pass instead. */
export class TelemetryRetentionError extends Error {
  override name = "TelemetryRetentionError";
}

/** Throws TelemetryRetentionError unless raw samples are kept at least a minute and minutes outlive them. */
export function checkRetention(
  rawMs = DEFAULT_RAW_RETENTION_MS,
  minutesMs = DEFAULT_MINUTE_RETENTION_MS,
): void {
  if (!(rawMs >= MINUTE_MS))
    throw new TelemetryRetentionError(
      `telemetry raw retention of ${rawMs} ms is too short: keep raw samples at least a minute (e.g. 7d)`,
    );
  if (!(minutesMs >= rawMs))
    throw new TelemetryRetentionError(
      `telemetry minute retention (${minutesMs} ms) is shorter than the raw retention (${rawMs} ms): minutes must outlive raw samples`,
    );
}

export class TelemetryRetention {
  readonly rawMs: number;
  readonly minutesMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();

  constructor(readonly o: TelemetryRetentionOptions) {
    this.rawMs = o.rawMs ?? DEFAULT_RAW_RETENTION_MS;
    this.minutesMs = o.minutesMs ?? DEFAULT_MINUTE_RETENTION_MS;
    checkRetention(this.rawMs, this.minutesMs);
  }

  /** One round: roll up what aged past `rawMs`, drop minutes past `minutesMs`. */
  async runOnce(): Promise<{ rolledUp: number; dropped: number }> {
    const now = this.o.nowMs();
    // whole minutes only, so a minute is rolled up once it is complete
    const cutoffMs = Math.floor((now - this.rawMs) / MINUTE_MS) * MINUTE_MS;
    const windowMs = Math.max(MINUTE_MS, this.o.windowMs ?? 3_600_000);
    let rolledUp = 0;
    for (;;) {
      const oldest = await this.o.store.oldestRawMs();
      if (oldest === null || oldest >= cutoffMs) break;
      const stepMs = Math.min(cutoffMs, Math.floor(oldest / MINUTE_MS) * MINUTE_MS + windowMs);
      rolledUp += await this.o.store.rollUp(stepMs);
    }
    const dropped = await this.o.store.dropMinutes(now - this.minutesMs);
    this.o.metrics?.telemetryRetention.inc({ outcome: "rolled_up" }, rolledUp);
    this.o.metrics?.telemetryRetention.inc({ outcome: "minutes_dropped" }, dropped);
    if (rolledUp > 0 || dropped > 0)
      this.o.log?.info({ rolledUp, dropped, cutoffMs }, "telemetry history rolled up and trimmed");
    return { rolledUp, dropped };
  }

  /** A round now and then every `everyMs`; a failed round is logged and retried at the next. */
  start(everyMs = 600_000): void {
    const round = () => {
      this.#running = this.runOnce().catch((err: Error) =>
        this.o.log?.warn({ err: err.message }, "telemetry retention round failed; retrying at the next"),
      );
    };
    round();
    this.#timer = setInterval(round, everyMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
