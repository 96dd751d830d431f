// Per-workload attribution of a device's active power by CPU-time share, as Kepler does.

/** CPU time one workload used during an interval. */
export interface WorkloadCpu {
  name: string;
  /** CPU seconds (user + system) used during the interval, summed over cores. */
  cpuS: number;
}

/** The share of power one workload is charged for. */
export interface Attribution {
  name: string;
  /** Share of the active power, W. */
  activePowerW: number;
  /** Share of the idle power, W (split evenly when `idle: "even"`, else by CPU share, else 0). */
  idlePowerW: number;
  /** Fraction of the attributed CPU time, in [0, 1]. */
  cpuShare: number;
}

export interface AttributionInput {
  /** Measured (or modelled) total device power during the interval, W. */
  totalPowerW: number;
  /** Device power at idle, W; active power = max(0, total − idle). */
  idlePowerW: number;
  workloads: readonly WorkloadCpu[];
  /**
   * How idle power is split: "none" (default, Kepler's default — idle stays with the node), "even" across
   * workloads, or "cpu" by CPU share.
   */
  idle?: "none" | "even" | "cpu";
}

/**
 * Splits active power P_active = max(0, P_total − P_idle) over workloads in proportion to their CPU time:
 * P_w = P_active · cpu_w / Σ cpu. Workloads with no CPU time get 0; when nobody used CPU, active power is
 * attributed to nobody (it is noise around idle). The sum of `activePowerW` equals P_active whenever Σ cpu > 0.
 */
export function attributePower(input: AttributionInput): Attribution[] {
  const activeW = Math.max(0, input.totalPowerW - input.idlePowerW);
  let totalCpuS = 0;
  for (const w of input.workloads) totalCpuS += Math.max(0, w.cpuS);
  const n = input.workloads.length;
  return input.workloads.map((w) => {
    const share = totalCpuS > 0 ? Math.max(0, w.cpuS) / totalCpuS : 0;
    const idleShare = input.idle === "even" ? (n > 0 ? 1 / n : 0) : input.idle === "cpu" ? share : 0;
    return {
      name: w.name,
      activePowerW: activeW * share,
      idlePowerW: input.idlePowerW * idleShare,
      cpuShare: share,
    };
  });
}
