// `auto`'s time budget counted in this process's CPU time, not in wall time. On a shared machine the wall
// clock says more about the other processes than about the instance: at load 30 on 2 cores a 3 s wall
// budget gives HiGHS a few hundred ms of CPU, and whether `auto` proves an optimum then depends on the
// neighbours. HiGHS only takes a wall-clock time limit and runs uninterrupted in-process, so the budget
// measures the share of a core this process got so far (CPU ms / wall ms since the start) and stretches
// HiGHS's wall limit by it; `maxWallMs` caps the stretch so a plan still ends in bounded wall time.

export interface BudgetClock {
  /** Monotonic wall clock, ms. */
  wallMs: () => number;
  /** CPU time of this process (user + system, every thread), ms. */
  cpuMs: () => number;
}

export const processClock: BudgetClock = {
  wallMs: () => performance.now(),
  cpuMs: () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  },
};

/** Below this much wall time the measured share is noise (scheduler slices): assume a whole core. */
const MIN_SAMPLE_MS = 20;

export class CpuBudget {
  readonly #wall0: number;
  readonly #cpu0: number;

  constructor(
    /** CPU ms this plan may use. */
    readonly cpuBudgetMs: number,
    /** Wall ms it may take at most, whatever the load. */
    readonly maxWallMs: number,
    readonly clock: BudgetClock = processClock,
  ) {
    this.#wall0 = clock.wallMs();
    this.#cpu0 = clock.cpuMs();
  }

  wallUsedMs(): number {
    return this.clock.wallMs() - this.#wall0;
  }

  cpuUsedMs(): number {
    return this.clock.cpuMs() - this.#cpu0;
  }

  /** Share of one core this process got since the start, in [0.01, 1]. */
  share(): number {
    const wall = this.wallUsedMs();
    if (wall < MIN_SAMPLE_MS) return 1;
    return Math.min(1, Math.max(0.01, this.cpuUsedMs() / wall));
  }

  /** CPU ms left, and the wall-clock limit (s) that gives about that much CPU at the share seen so far. */
  left(): { cpuMs: number; wallLimitS: number } {
    const cpuMs = this.cpuBudgetMs - this.cpuUsedMs();
    const wallLeftMs = this.maxWallMs - this.wallUsedMs();
    const stretched = Math.max(0, cpuMs) / this.share();
    return { cpuMs, wallLimitS: Math.max(0, Math.min(stretched, wallLeftMs)) / 1000 };
  }
}
