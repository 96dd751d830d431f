// Dispatch policies: how much the storage is asked to charge or discharge in a step.

/** What a policy knows when it decides. Powers in W; surplus positive, deficit negative. */
export interface DispatchContext {
  tsMs: number;
  durationS: number;
  /** Production − consumption, W (Vessim's p_delta). */
  netW: number;
  /** Average carbon intensity of grid imports now, g/kWh. */
  intensityGPerKWh: number;
  /** State of charge of the storage in [0, 1]. */
  soc: number;
  /** What the grid could import now, W (0 when islanded, ∞ when unlimited). */
  availableImportW: number;
}

/**
 * Decides the storage power request for one step: positive charges, negative discharges. The storage clips
 * the request to what it can do; the grid settles whatever remains.
 */
export interface DispatchPolicy {
  readonly name: string;
  storageRequestW(ctx: DispatchContext): number;
}

/**
 * Vessim's default: the storage absorbs every surplus and covers every deficit it can; the grid takes the
 * rest.
 */
export class DefaultPolicy implements DispatchPolicy {
  readonly name = "default";
  storageRequestW(ctx: DispatchContext): number {
    return ctx.netW;
  }
}

/**
 * Carbon-threshold charging: while grid intensity is at or below `thresholdGPerKWh`, the storage keeps
 * its energy for later (no discharge) and charges from the grid at `gridChargeW` on top of any surplus;
 * above the threshold it behaves like the default policy and discharges to avoid dirty imports.
 */
export class CarbonThresholdPolicy implements DispatchPolicy {
  readonly name = "carbon-threshold";
  constructor(
    readonly thresholdGPerKWh: number,
    readonly gridChargeW: number,
  ) {}
  storageRequestW(ctx: DispatchContext): number {
    if (ctx.intensityGPerKWh > this.thresholdGPerKWh) return ctx.netW;
    return Math.max(ctx.netW, 0) + Math.min(this.gridChargeW, ctx.availableImportW);
  }
}

/**
 * Excess-first: the storage is filled only from excess renewable power and kept as a reserve (a UPS): a
 * deficit is met from the grid first, and the storage discharges only for what the grid cannot supply
 * (islanded, or beyond the import limit).
 */
export class ExcessFirstPolicy implements DispatchPolicy {
  readonly name = "excess-first";
  storageRequestW(ctx: DispatchContext): number {
    if (ctx.netW >= 0) return ctx.netW;
    const uncoveredW = -ctx.netW - ctx.availableImportW;
    return uncoveredW > 0 ? -uncoveredW : 0;
  }
}

export const POLICY_NAMES = ["default", "carbon-threshold", "excess-first"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];
