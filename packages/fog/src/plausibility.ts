// Plausibility bounds on telemetry: a sample whose figures cannot be true is dropped (its figures never reach
// the summary, the planner or the energy totals) and counted by reason; a device that keeps sending such
// samples is judged `suspect` with the reason, so an operator sees a broken sensor or a wrong clock.
//
//   power     powerW negative, not a number, or above the device's declared maxW (inventory) by more than
//             powerMarginFraction (without a declaration: above maxPowerW);
//   soc       a battery's state of charge outside 0..1 (the wire scale), or not a number;
//   clock     tsMs further than maxClockSkewMs from the leader's clock (either way);
//   sequence  seq not above the last accepted one (a replay or a duplicate; a device whose agent lost its
//             state starts over after its next registration).
//
// A `power` or `soc` sample still proves the device is alive (it is a heartbeat; only its figures are wrong);
// a `clock` or `sequence` sample does not (it may be a replay of the past). Pure: the caller passes the time.
import type { telemetryV1 } from "@qonnect/proto";

export type ImplausibleReason = "power" | "soc" | "clock" | "sequence";

export interface PlausibilityConfig {
  /** Tolerated excess over a device's declared maxW, as a fraction (0.25 = 25 % above). */
  powerMarginFraction: number;
  /** Bound on power for devices without a declared maxW. */
  maxPowerW: number;
  /** A sample stamped further than this from the leader's clock is dropped. */
  maxClockSkewMs: number;
  /** This many implausible samples in a row make the device `suspect`. */
  suspectAfterSamples: number;
}

export const DEFAULT_PLAUSIBILITY: PlausibilityConfig = {
  powerMarginFraction: 0.25,
  maxPowerW: 5000,
  maxClockSkewMs: 60_000,
  suspectAfterSamples: 3,
};

export interface PlausibilityVerdict {
  reason: ImplausibleReason;
  detail: string;
  /** Whether the sample still counts as a heartbeat. */
  heartbeat: boolean;
}

/** Why `t` cannot be true, or undefined when it is plausible. */
export function implausibility(
  t: Pick<telemetryV1.DeviceTelemetry, "powerW" | "battery" | "tsMs" | "seq">,
  o: { lastSeq: number | undefined; declaredMaxW: number | undefined; nowMs: number },
  c: PlausibilityConfig = DEFAULT_PLAUSIBILITY,
): PlausibilityVerdict | undefined {
  if (o.lastSeq !== undefined && t.seq <= o.lastSeq)
    return {
      reason: "sequence",
      detail: `sequence ${t.seq} not above the last accepted ${o.lastSeq}`,
      heartbeat: false,
    };
  const tsMs = Number(t.tsMs);
  if (tsMs !== 0 && Math.abs(tsMs - o.nowMs) > c.maxClockSkewMs)
    return {
      reason: "clock",
      detail: `stamped ${Math.round((tsMs - o.nowMs) / 1000)} s from the leader's clock (bound ±${c.maxClockSkewMs / 1000} s)`,
      heartbeat: false,
    };
  const maxW = o.declaredMaxW !== undefined ? o.declaredMaxW * (1 + c.powerMarginFraction) : c.maxPowerW;
  if (!Number.isFinite(t.powerW) || t.powerW < 0 || t.powerW > maxW)
    return {
      reason: "power",
      detail: `power ${t.powerW} W outside 0..${round(maxW)} W${o.declaredMaxW !== undefined ? ` (declared max ${o.declaredMaxW} W)` : ""}`,
      heartbeat: true,
    };
  const soc = t.battery?.soc;
  if (soc !== undefined && !(soc >= 0 && soc <= 1))
    return { reason: "soc", detail: `battery state of charge ${soc} outside 0..1`, heartbeat: true };
  return undefined;
}

/** Implausible samples in a row, per device: the ones that have gone on long enough to judge. */
export class ImplausibleStreaks {
  private readonly streaks = new Map<string, { count: number; detail: string }>();

  constructor(private readonly suspectAfterSamples: number = DEFAULT_PLAUSIBILITY.suspectAfterSamples) {}

  implausible(device: string, detail: string): void {
    const s = this.streaks.get(device);
    this.streaks.set(device, { count: (s?.count ?? 0) + 1, detail });
  }

  plausible(device: string): void {
    this.streaks.delete(device);
  }

  /** The reason `device` should be suspect, if its implausible samples have persisted. */
  persisting(device: string): string | undefined {
    const s = this.streaks.get(device);
    if (!s || s.count < this.suspectAfterSamples) return undefined;
    return `implausible telemetry, ${s.count} samples in a row: ${s.detail}`;
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
