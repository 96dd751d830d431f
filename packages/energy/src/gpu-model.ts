// GPU power from utilisation, the saturating form used for LLM inference power estimates.

/** Parameters of the GPU power model. */
export interface GpuPowerModel {
  /** Board power when idle, W. */
  idleW: number;
  /** Board power at saturation, W. */
  maxW: number;
  /** Utilisation at which power saturates; default 0.45. */
  saturationUtil?: number;
  /** Exponent of the rising part; default 0.7. */
  exponent?: number;
}

/**
 * P(u) = P_idle + (P_max − P_idle)·min(1, (u / u_sat)^α), u_sat = 0.45 and α = 0.7 by default: GPU power rises
 * steeply at low utilisation and saturates well before 100 % (memory-bound inference). `util` in [0, 1].
 */
export function gpuPowerW(model: GpuPowerModel, util: number): number {
  const u = Math.max(util, 0);
  const sat = model.saturationUtil ?? 0.45;
  const alpha = model.exponent ?? 0.7;
  return model.idleW + (model.maxW - model.idleW) * Math.min(1, (u / sat) ** alpha);
}
