// Public contracts of the planner: what goes in, what comes out. Implementations stay lean; the model is
// documented in docs/planner.md.

/** Where one replica runs. `replica` counts from 0 within its service. */
export interface PlacementEntry {
  app: string;
  service: string;
  replica: number;
  device: string;
}

/** `auto` (the default of `plan`): exact when HiGHS proves the optimum within `autoBudgetMs`, otherwise the
 * heuristic; `planSync` and `Planner` never wait for HiGHS, so there `auto` is the heuristic. */
export type Strategy = "auto" | "heuristic" | "exact" | "borda";

export interface PlanOptions {
  /** Default `auto`. */
  strategy?: Strategy;
  /** Where the application's replicas run now (re-planning). Inventory `used` must not include them. */
  current?: readonly PlacementEntry[];
  /** Seed of the heuristic's random choices; equal inputs and seed give equal plans. Default 1. */
  seed?: number;
  /** Objective cost of moving one running replica, in units of an average replica's share of the
   * normalised objective (1 = as much as one replica's whole score). Default 0.1. */
  migrationCost?: number;
  /** A voluntary move (one not forced by a filter) must gain more than this, same units. Default 0.1. */
  hysteresis?: number;
  /** A re-plan where no replica is displaced (only solar, intensities, prices or weights changed) is
   * adopted only when it lowers the objective by more than this fraction of it per replica moved (moved /
   * replicas × fraction × objective), on top of each move's own migration cost and hysteresis. Default 0.01. */
  minGainFraction?: number;
  /** Heuristic effort: candidate evaluations per local search. Deterministic. Default 30 per replica, at
   * least 100,000 and at most 2,000,000. */
  maxEvaluations?: number;
  /** Optional wall-clock cap for local search, ms. Makes the heuristic depend on machine speed. */
  timeBudgetMs?: number;
  /** Exact strategy: HiGHS time limit, s. Default 60. */
  exactTimeLimitS?: number;
  /** Auto strategy (`plan` only): budget for heuristic + exact attempt in this process's CPU time, ms
   * (HiGHS's wall limit is stretched by the share of a core the process gets). Default 3000. */
  autoBudgetMs?: number;
  /** Auto strategy: wall-clock cap whatever the load, ms. Default 10 × `autoBudgetMs`. */
  autoMaxWallMs?: number;
  /** Large-neighbourhood search after local search: ruin-and-recreate iterations. Deterministic. Default
   * scales with the instance (0 for re-plans after a forced change, which stay incremental). */
  lnsIterations?: number;
}

/** Totals over the whole plan, the quantities the objectives minimise. */
export interface Totals {
  /** Σ marginal power of every replica on its device, W. */
  energyW: number;
  /** Σ over devices of zone intensity × added power not covered by solar excess / 1000, g CO2e per hour. */
  carbonGPerH: number;
  /** Σ price per hour × share of cores taken + added energy at the zone's price per kWh, EUR per hour. */
  costPerHour: number;
  /** Mean latency to the users plus, per call, the mean latency over caller × callee replica pairs, ms. */
  latencyMs: number;
  /** Σ requested cores / device speed: cores at the speed of a reference core (lower is faster). */
  slownessCores: number;
  /** Σ over battery devices of added power not covered by solar / capacity: fraction drained per hour. */
  batteryDrainPerH: number;
  /** The minimised value Σ weight·total/scale (plus migration costs when re-planning). */
  objective: number;
}

/** How far from optimal a plan can be at most, beside its totals (`plan.totals.lowerBound`). Kept apart from
 * `Totals` so code that sums every key of `Totals` keeps compiling. */
export interface BoundTotals {
  /** A proven lower bound on `objective` over every feasible plan: HiGHS's bound (equal to the objective when
   * the plan is proven optimal), the LP relaxation, or a per-replica combinatorial bound on large instances. */
  lowerBound?: number;
  /** (objective − lowerBound) / objective: how far from optimal the plan can be at most (0 = proven optimal). */
  gapToBound?: number;
}

/** Why a device cannot take a replica: liveness, where it is (tier, region, site, users' latency), what it is
 * (arch, labels, battery), what it has free; then the dynamic ones. The first that applies is reported. */
export const REASONS = [
  "alive",
  "tier",
  "region",
  "site",
  "nearUsers",
  "arch",
  "labels",
  "battery",
  "gpu",
  "cpu",
  "memory",
  "spread",
  "calls",
  "limits",
] as const;
export type Reason = (typeof REASONS)[number];

/** One step of executing a re-plan. Steps run in order; make-before-break per replica. */
export interface Move {
  step: number;
  op: "start" | "stop";
  app: string;
  service: string;
  replica: number;
  device: string;
  /** Why the replica moves: `new`, `removed`, a filter reason of its old device, or `better`. */
  why: string;
}

export interface ReplicaExplanation {
  service: string;
  replica: number;
  device: string;
  /** The best other device for this replica with everything else fixed, and how much worse it is. */
  runnerUp?: { device: string; objectiveDelta: number };
  /** Each objective's part of the normalised objective this replica is responsible for. */
  contributions: Record<"energy" | "carbon" | "cost" | "performance" | "latency" | "battery", number>;
}

export interface ServiceExplanation {
  service: string;
  candidates: number;
  /** Devices rejected by the static filter, counted by the first reason that rejected each. */
  rejected: Partial<Record<Reason, number>>;
  /** Per rejected device, its reason. */
  rejectedDevices: Record<string, Reason>;
}

export interface Explanation {
  scales: Record<
    "energyW" | "carbonGPerH" | "costPerHour" | "latencyMs" | "slownessCores" | "batteryDrainPerH",
    number
  >;
  weights: Record<string, number>;
  /** Objective multiplier of each total: weight / scale. */
  alphas: Record<
    "energyW" | "carbonGPerH" | "costPerHour" | "latencyMs" | "slownessCores" | "batteryDrainPerH",
    number
  >;
  replicas: ReplicaExplanation[];
  services: ServiceExplanation[];
}

/** A re-plan's yardstick: a voluntary move of one replica happens only when it lowers the objective by more
 * than `migration + hysteresis` (both per replica, in objective units, as `totals.objective`). */
export interface Replan {
  /** The current placement's totals in this world (replicas whose device can no longer host them left out). */
  stay: Totals;
  /** Replicas moved (started elsewhere than they ran) and replicas kept where they ran. */
  moved: number;
  kept: number;
  /** Each moved replica: its gain in objective units (the migration cost not included; absent when its old
   * device can no longer host it: a forced move) and its carbon there and here, g/h. */
  moves: {
    service: string;
    replica: number;
    from: string;
    to: string;
    gain?: number;
    carbonGPerH?: number[];
  }[];
  migration: number;
  hysteresis: number;
}

export interface Plan {
  app: string;
  /** The strategy that made this plan (`auto` resolves to `exact` or `heuristic`). */
  strategy: Strategy;
  feasible: boolean;
  placements: PlacementEntry[];
  totals: Totals & BoundTotals;
  /** Steps from `current` to this plan (empty without `current`). */
  moves: Move[];
  /** Binding constraints in words when infeasible. */
  problems: string[];
  /** Hard-constraint violations of the plan (only the borda baseline produces any). */
  violations: string[];
  /** Present when asked for (`explain: true`). */
  explain?: Explanation;
  /** Re-plans (`current` given): what staying put would score in this world, and the price of a move. */
  replan?: Replan;
  /** Exact strategy: the solver's status; heuristic: evaluations spent. `optimal`: HiGHS proved this plan
   * optimal. `requested`/`reason`: what was asked for and, for `auto`, why it chose `strategy`. */
  solver?: {
    status: string;
    evaluations?: number;
    gap?: number;
    optimal?: boolean;
    requested?: Strategy;
    reason?: string;
    /** Where `totals.lowerBound` comes from. */
    bound?: "optimal" | "highs" | "lp-relaxation" | "combinatorial";
  };
}
