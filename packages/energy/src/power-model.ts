// Utilisation power model P(u) = P_idle + (P_max − P_idle)·u^γ and its online calibration.

/** Parameters of the utilisation power model of one device. */
export interface PowerModel {
  /** Power at zero utilisation, W. */
  idleW: number;
  /** Power at full utilisation, W. */
  maxW: number;
  /** Exponent γ of the utilisation term: 1 is the linear model, < 1 concave, > 1 convex. */
  gamma: number;
}

/** Named so the planner can start from a sensible model before any measurement exists. */
export function linearPowerModel(idleW: number, maxW: number): PowerModel {
  return { idleW, maxW, gamma: 1 };
}

const clampUtil = (u: number): number => (u <= 0 || Number.isNaN(u) ? 0 : Math.min(u, 1));

/** P(u) in W; `util` in [0, 1] (clamped). */
export function powerW(model: PowerModel, util: number): number {
  return model.idleW + (model.maxW - model.idleW) * clampUtil(util) ** model.gamma;
}

/**
 * Extra power in W of moving a device from utilisation `fromUtil` to `toUtil` (each in [0, 1], clamped):
 * P(toUtil) − P(fromUtil). Negative when load is removed. Idle power is not marginal: it cancels out.
 */
export function marginalPowerW(model: PowerModel, fromUtil: number, toUtil: number): number {
  return (model.maxW - model.idleW) * (clampUtil(toUtil) ** model.gamma - clampUtil(fromUtil) ** model.gamma);
}

/** Options of {@link PowerCalibrator}. */
export interface CalibrationOptions {
  /** Exponents to fit, one recursive-least-squares filter each; default 0.5, 0.6, …, 2.0. */
  gammas?: readonly number[];
  /** Forgetting factor λ in (0, 1]; 1 never forgets. Default 0.999. */
  forgetting?: number;
  /** Huber threshold in robust standard deviations: residuals beyond it are down-weighted. Default 2.5. */
  huberK?: number;
  /** Initial model (prior); default a linear 0 W → 0 W model with a large uncertainty. */
  prior?: PowerModel;
}

/** One RLS filter over θ = [P_idle, P_max − P_idle] for a fixed γ. */
interface Filter {
  gamma: number;
  a: number;
  b: number;
  /** Covariance matrix [[p00, p01], [p01, p11]]. */
  p00: number;
  p01: number;
  p11: number;
  /** Exponentially weighted mean squared (Huber-clipped) a-priori residual, W². */
  score: number;
}

/**
 * Online calibration of a {@link PowerModel} from (utilisation, measured power) pairs.
 *
 * For a fixed γ the model is linear in θ = [P_idle, P_max − P_idle] with regressor φ = [1, u^γ], so each γ of a
 * small grid gets its own recursive-least-squares filter with forgetting factor λ; the γ whose filter has the
 * smallest exponentially weighted a-priori residual wins. Outliers (a sensor glitch, a turbo burst) are
 * handled Huber-style: a residual e beyond k·σ, with σ = √(π/2)·(running mean absolute residual) — equal to
 * the standard deviation for Gaussian noise — updates with weight w = k·σ/|e| < 1, i.e. as if λ/w.
 */
export class PowerCalibrator {
  private readonly filters: Filter[];
  private readonly lambda: number;
  private readonly huberK: number;
  /** Running mean absolute a-priori residual of the best filter, W; 0 until the first samples arrive. */
  private meanAbsErrorW = 0;
  private count = 0;
  private readonly prior: PowerModel;

  constructor(options: CalibrationOptions = {}) {
    const gammas = options.gammas ?? Array.from({ length: 16 }, (_, i) => 0.5 + i * 0.1);
    if (gammas.length === 0) throw new RangeError("PowerCalibrator needs at least one gamma");
    this.lambda = options.forgetting ?? 0.999;
    if (!(this.lambda > 0 && this.lambda <= 1)) throw new RangeError("forgetting must be in (0, 1]");
    this.huberK = options.huberK ?? 2.5;
    const prior = options.prior ?? { idleW: 0, maxW: 0, gamma: 1 };
    this.prior = { ...prior };
    this.filters = gammas.map((gamma) => ({
      gamma,
      a: prior.idleW,
      b: prior.maxW - prior.idleW,
      p00: 1e6,
      p01: 0,
      p11: 1e6,
      score: 0,
    }));
  }

  /** Number of samples observed. */
  get samples(): number {
    return this.count;
  }

  /** Feeds one measurement: utilisation in [0, 1] and the power measured at the same time, W. */
  observe(util: number, measuredW: number): void {
    if (!Number.isFinite(util) || !Number.isFinite(measuredW)) return;
    const u = clampUtil(util);
    // Robust scale: σ ≈ √(π/2)·E|e| for Gaussian residuals; no clipping until a scale exists.
    const sigma = this.meanAbsErrorW * Math.sqrt(Math.PI / 2);
    const limit = this.count >= 10 && sigma > 0 ? this.huberK * sigma : Number.POSITIVE_INFINITY;
    const best = this.best();
    let bestAbsErr = 0;
    for (const f of this.filters) {
      const x = u ** f.gamma;
      const e = measuredW - (f.a + f.b * x);
      const absE = Math.abs(e);
      if (f === best) bestAbsErr = absE;
      const w = absE > limit ? limit / absE : 1;
      // P·φ with φ = [1, x]
      const q0 = f.p00 + f.p01 * x;
      const q1 = f.p01 + f.p11 * x;
      const denom = this.lambda / w + q0 + q1 * x;
      const k0 = q0 / denom;
      const k1 = q1 / denom;
      f.a += k0 * e;
      f.b += k1 * e;
      // P ← (P − K φᵀ P) / λ
      f.p00 = (f.p00 - k0 * q0) / this.lambda;
      f.p01 = (f.p01 - k0 * q1) / this.lambda;
      f.p11 = (f.p11 - k1 * q1) / this.lambda;
      const clipped = Math.min(absE, limit);
      f.score = this.count === 0 ? clipped * clipped : 0.98 * f.score + 0.02 * clipped * clipped;
    }
    const clippedBest = Math.min(bestAbsErr, limit);
    this.meanAbsErrorW =
      this.count === 0
        ? clippedBest
        : this.meanAbsErrorW + (clippedBest - this.meanAbsErrorW) / Math.min(this.count + 1, 200);
    this.count++;
  }

  /** The current best model; the prior until the first sample. */
  model(): PowerModel {
    if (this.count === 0) return { ...this.prior };
    const f = this.best();
    return { idleW: f.a, maxW: f.a + f.b, gamma: f.gamma };
  }

  private best(): Filter {
    let best = this.filters[0]!;
    for (const f of this.filters) if (f.score < best.score) best = f;
    return best;
  }
}
