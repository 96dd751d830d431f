// The failure detector: an adaptive (phi-accrual) estimate per device of how unlikely its silence is, given
// the intervals between its recent samples, and a region-level step that tells a crash from a cut. Pure: the
// caller passes the time in; the leader feeds it telemetry arrivals and proposes the verdicts that change.
//
//   phi(t) = −log10 P(the next sample arrives later than t | intervals ~ Normal(mean, max(σ, minStdDevMs)))
//
// A device is suspect at phi ≥ suspectPhi, and silent at phi ≥ deadPhi (but never before minSilenceMs, so a
// single late sample is tolerated, and always after maxSilenceMs). A silent device is:
//   - unreachable when every device of its site is silent (a lone device is a whole site), or when more than
//     regionCutFraction of the region's devices are silent at once: a network cut, nothing should move yet;
//   - dead otherwise: its site's other devices still report, so it crashed.
//
// A disconnect event (the NATS server saw the device's connection close) is evidence, not a verdict: the device
// is suspect at once, and it is silent as soon as it has missed a sample after it (disconnectedSilenceMs since
// its last one) instead of waiting for phi; a connected device of its site heard after the disconnect makes it
// dead, and a site whose devices all disconnected (a cut site's router going down) is still unreachable.
// One exception, DESIGN.md §5's first row: a lone device (a site of one) whose own host closed its connection
// ("Client Closed": its close crossed the link, so the link was up) is dead once silent — a cut carries no
// close. Several devices of a site closing at once point at the site's path (a gateway dropping them).
import type { VerdictName } from "./region-command.js";

export interface DetectorConfig {
  suspectPhi: number;
  deadPhi: number;
  /** Floor of the interval standard deviation (a perfectly regular sender must not look dead at once). */
  minStdDevMs: number;
  /** A silent device is declared no earlier than this after its last sample. */
  minSilenceMs: number;
  /** ... and always by this long after it. */
  maxSilenceMs: number;
  /** The interval assumed before a device has sent two samples. */
  expectedIntervalMs: number;
  /** Intervals remembered per device. */
  windowSize: number;
  /** More than this fraction of the region silent at once is a cut of the region. */
  regionCutFraction: number;
  /** A device whose connection closed is silent once this long has passed since its last sample. */
  disconnectedSilenceMs: number;
}

export const DEFAULT_DETECTOR: DetectorConfig = {
  suspectPhi: 3,
  deadPhi: 8,
  minStdDevMs: 200,
  minSilenceMs: 2000,
  maxSilenceMs: 2500,
  expectedIntervalMs: 1000,
  windowSize: 32,
  regionCutFraction: 0.5,
  disconnectedSilenceMs: 1500,
};

/** nats-server's disconnect reason when the client's end closed the connection (EOF on read). */
export const CLOSED_BY_CLIENT = "Client Closed";

export interface Judgement {
  verdict: Exclude<VerdictName, "unspecified">;
  reason: string;
  /** Suspect on evidence (a closed connection), to be proposed at once rather than after it holds twice. */
  evidence?: boolean;
}

class Arrivals {
  lastMs: number;
  /** True once a real sample arrived (false while only tracked since the leader took over). */
  heard = false;
  /** When the NATS server reported its connection closed, and why (cleared by its next sample). */
  disconnected: { atMs: number; why: string } | undefined;
  private readonly intervals: Float64Array;
  private n = 0;
  private next = 0;
  private sum = 0;
  private sumSq = 0;

  constructor(
    nowMs: number,
    windowSize: number,
    public site: string,
  ) {
    this.lastMs = nowMs;
    this.intervals = new Float64Array(windowSize);
  }

  sample(nowMs: number): void {
    if (this.heard) {
      const dt = Math.max(0, nowMs - this.lastMs);
      if (this.n === this.intervals.length) {
        const old = this.intervals[this.next]!;
        this.sum -= old;
        this.sumSq -= old * old;
      } else this.n++;
      this.intervals[this.next] = dt;
      this.next = (this.next + 1) % this.intervals.length;
      this.sum += dt;
      this.sumSq += dt * dt;
    }
    this.heard = true;
    this.disconnected = undefined;
    this.lastMs = Math.max(this.lastMs, nowMs);
  }

  meanMs(c: DetectorConfig): number {
    return this.n > 0 ? this.sum / this.n : c.expectedIntervalMs;
  }

  phi(nowMs: number, c: DetectorConfig): number {
    const mean = this.meanMs(c);
    const variance = this.n > 1 ? Math.max(0, this.sumSq / this.n - mean * mean) : 0;
    const std = Math.max(Math.sqrt(variance), c.minStdDevMs);
    const t = nowMs - this.lastMs;
    const y = (t - mean) / std;
    const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
    const p = t > mean ? e / (1 + e) : 1 - 1 / (1 + e);
    return p <= 0 ? Number.POSITIVE_INFINITY : -Math.log10(p);
  }
}

export class FailureDetector {
  private readonly devices = new Map<string, Arrivals>();

  constructor(readonly config: DetectorConfig = DEFAULT_DETECTOR) {}

  /** A telemetry sample of `device` arrived now. */
  observe(device: string, site: string, nowMs: number): void {
    const a = this.devices.get(device);
    if (a) {
      a.site = site;
      a.sample(nowMs);
    } else {
      const fresh = new Arrivals(nowMs, this.config.windowSize, site);
      fresh.sample(nowMs);
      this.devices.set(device, fresh);
    }
  }

  /** Starts watching a known device without a sample (a new leader gives every device a full period). */
  track(device: string, site: string, nowMs: number): void {
    if (!this.devices.has(device))
      this.devices.set(device, new Arrivals(nowMs, this.config.windowSize, site));
  }

  /** The NATS server reported `device`'s connection closed (ignored for a device not watched). */
  disconnect(device: string, nowMs: number, why: string): void {
    const a = this.devices.get(device);
    if (a && !a.disconnected) a.disconnected = { atMs: nowMs, why };
  }

  forget(device: string): void {
    this.devices.delete(device);
  }

  get size(): number {
    return this.devices.size;
  }

  lastSeenMs(device: string): number | undefined {
    return this.devices.get(device)?.lastMs;
  }

  /** Every watched device's verdict now. */
  evaluate(nowMs: number): Map<string, Judgement> {
    const c = this.config;
    const level = new Map<string, { phi: number; silentMs: number; silent: boolean }>();
    const siteTotal = new Map<string, number>();
    const siteSilent = new Map<string, number>();
    let silentCount = 0;
    const bySite = new Map<string, [string, Arrivals][]>();
    for (const [name, a] of this.devices) {
      const list = bySite.get(a.site);
      if (list) list.push([name, a]);
      else bySite.set(a.site, [[name, a]]);
      const phi = a.phi(nowMs, c);
      const silentMs = nowMs - a.lastMs;
      const silent =
        silentMs >= c.maxSilenceMs ||
        (phi >= c.deadPhi && silentMs >= c.minSilenceMs) ||
        (a.disconnected !== undefined && silentMs >= c.disconnectedSilenceMs);
      level.set(name, { phi, silentMs, silent });
      siteTotal.set(a.site, (siteTotal.get(a.site) ?? 0) + 1);
      if (silent) {
        siteSilent.set(a.site, (siteSilent.get(a.site) ?? 0) + 1);
        silentCount++;
      }
    }
    const regionCut = this.devices.size > 1 && silentCount > c.regionCutFraction * this.devices.size;
    const out = new Map<string, Judgement>();
    for (const [name, a] of this.devices) {
      const l = level.get(name)!;
      const quiet = `silent ${Math.round(l.silentMs)} ms`;
      if (!l.silent) {
        out.set(
          name,
          a.disconnected
            ? {
                verdict: "suspect",
                reason: `its connection closed (${a.disconnected.why}); ${quiet}`,
                evidence: true,
              }
            : l.phi >= c.suspectPhi
              ? { verdict: "suspect", reason: `late: ${quiet} (phi ${l.phi.toFixed(1)})` }
              : { verdict: "alive", reason: a.heard ? "reports" : "watched since the leader took over" },
        );
        continue;
      }
      if (regionCut)
        out.set(name, {
          verdict: "unreachable",
          reason: `${quiet}; ${silentCount} of ${this.devices.size} devices of the region silent at once (cut)`,
        });
      else if (a.disconnected?.why === CLOSED_BY_CLIENT && siteTotal.get(a.site) === 1)
        out.set(name, {
          verdict: "dead",
          reason: `${quiet}; its host closed its connection (${CLOSED_BY_CLIENT}), the only device of site ${a.site} (crash)`,
        });
      else if (siteSilent.get(a.site) === siteTotal.get(a.site))
        out.set(name, {
          verdict: "unreachable",
          reason: `${quiet}; every device of site ${a.site} silent (cut)`,
        });
      else if (this.siteHeardSince(a, bySite.get(a.site) ?? [], level))
        out.set(name, { verdict: "dead", reason: `${quiet} while site ${a.site} still reports (crash)` });
      // its site's others have not been heard since it should have been: a cut that reaches the devices one
      // sample phase after another looks like this too, so wait until the site decides it
      else
        out.set(name, {
          verdict: "suspect",
          reason: `${quiet}; waiting to hear from the rest of site ${a.site}`,
        });
    }
    return out;
  }

  /** Whether another device of the site reported well after `a` should have been heard (a crash, not a cut). */
  private siteHeardSince(
    a: Arrivals,
    site: [string, Arrivals][],
    level: Map<string, { silent: boolean }>,
  ): boolean {
    // after a disconnect event: a device of the site still connected and heard since then is enough
    const after = a.disconnected ? a.disconnected.atMs : a.lastMs + 1.5 * a.meanMs(this.config);
    for (const [name, b] of site)
      if (b !== a && !b.disconnected && !level.get(name)?.silent && b.lastMs > after) return true;
    return false;
  }
}
