import type { ObjectiveTotals } from "./objectives.js";
import { TOTAL_KEYS, uncoveredW } from "./objectives.js";
import type { ServiceModel } from "./problem.js";

// The scale of each objective: what makes the weighted sum of totals in different units comparable.

/** At most this many candidates per service enter the scale's averages (evenly strided; per call pair,
 * PAIR_SAMPLE × PAIR_SAMPLE pairs). */
const SCALE_SAMPLE = 64;
const PAIR_SAMPLE = 16;

function sample(candidates: Int32Array, size = SCALE_SAMPLE): number[] {
  const step = Math.max(1, Math.floor(candidates.length / size));
  const out: number[] = [];
  for (let i = 0; i < candidates.length; i += step) out.push(candidates[i]!);
  return out;
}

/**
 * The scale of each objective: its total when every replica sits alone on an average feasible device (mean
 * over the service's candidates; for calls, over pairs of candidates). A constant per plan, so a single
 * weighted objective is minimised exactly. A zero scale becomes 1 (the term is then 0 anyway).
 */
export function computeScales(
  services: ServiceModel[],
  m: {
    siteOf: Int32Array;
    latMs: Float64Array;
    siteCount: number;
    solarW: Float64Array;
    intensity: Float64Array;
    batteryWh: Float64Array;
  },
): ObjectiveTotals {
  const t: ObjectiveTotals = {
    energyW: 0,
    carbonGPerH: 0,
    costPerHour: 0,
    latencyMs: 0,
    slownessCores: 0,
    batteryDrainPerH: 0,
  };
  // per-replica means depend only on the profile (services with equal requirements share candidates)
  const perProfile = new Map<Int32Array, number[]>();
  const samples = new Map<Int32Array, number[]>();
  const sampled = (c: Int32Array) => {
    let out = samples.get(c);
    if (!out) {
      out = sample(c);
      samples.set(c, out);
    }
    return out;
  };
  const pairSamples = new Map<Int32Array, number[]>();
  const pairSampled = (c: Int32Array) => {
    let out = pairSamples.get(c);
    if (!out) {
      out = sample(c, PAIR_SAMPLE);
      pairSamples.set(c, out);
    }
    return out;
  };
  for (const s of services) {
    if (s.candidates.length === 0 || s.replicas === 0) continue;
    const pick = sampled(s.candidates);
    let means = perProfile.get(s.candidates);
    if (!means) {
      means = [0, 0, 0, 0, 0, 0];
      for (const d of pick) {
        const unc = uncoveredW(s.energyW[d]!, m.solarW[d]!);
        means[0]! += s.energyW[d]!;
        means[1]! += s.costPerHour[d]!;
        means[2]! += s.slownessCores[d]!;
        means[3]! += (unc * m.intensity[d]!) / 1000;
        means[4]! += m.batteryWh[d]! > 0 ? unc / m.batteryWh[d]! : 0;
        means[5]! += s.usersLatencyMs[d]!;
      }
      means = means.map((v) => v / pick.length);
      perProfile.set(s.candidates, means);
    }
    t.energyW += s.replicas * means[0]!;
    t.costPerHour += s.replicas * means[1]!;
    t.slownessCores += s.replicas * means[2]!;
    t.carbonGPerH += s.replicas * means[3]!;
    t.batteryDrainPerH += s.replicas * means[4]!;
    t.latencyMs += means[5]!;
    for (const e of s.edges) {
      if (!e.outgoing) continue;
      const partner = services[e.partner]!;
      if (partner.candidates.length === 0) continue;
      const other = pairSampled(partner.candidates);
      const mine = pairSampled(s.candidates);
      let sum = 0;
      for (const a of mine)
        for (const b of other) {
          const ms = m.latMs[m.siteOf[a]! * m.siteCount + m.siteOf[b]!]!;
          sum += Number.isFinite(ms) ? ms : 0;
        }
      t.latencyMs += sum / (mine.length * other.length);
    }
  }
  for (const k of TOTAL_KEYS) if (!(t[k] > 1e-12)) t[k] = 1;
  return t;
}
