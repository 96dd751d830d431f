import type { Application, Inventory } from "@qonnect/core";
import { combinatorialBound } from "./bound.js";
import { CpuBudget } from "./budget.js";
import { problemMps, relaxationBound, solveExact } from "./exact.js";
import { type HeuristicResult, solveHeuristic } from "./heuristic.js";
import { buildProblem, type Problem, type ProblemOptions } from "./problem.js";
import type { PlacementState } from "./state.js";
import { bordaPlan, exactPlan, heuristicPlan, type PlanRequest, runHeuristic } from "./strategies.js";
import type { Plan } from "./types.js";
import { updateProblem } from "./update.js";

export type { PlanRequest } from "./strategies.js";

// The entry points: build the model, pick and run a strategy. `auto` solves exactly when HiGHS proves the
// optimum within the time budget and falls back to the heuristic (with a lower bound) otherwise.

/** Instances with more (replica count × candidate device) columns than this skip the exact attempt. */
const AUTO_MAX_COLUMNS = 20_000;
/** ... and get the LP relaxation as their bound below this many columns, the combinatorial bound above. */
const LP_MAX_COLUMNS = 60_000;
/** CPU ms, HiGHS included (budget.ts); the wall time is capped at AUTO_WALL_STRETCH times that. */
const DEFAULT_AUTO_BUDGET_MS = 3000;
const AUTO_WALL_STRETCH = 10;
/** LNS iterations that polish HiGHS's incumbent when it is not proven optimal (as many as a fresh medium
 * heuristic gets; the evaluation cap by size still applies). */
const POLISH_ITERATIONS = 1000;
/** Wall ms the polish gets even when HiGHS used up the wall cap. */
const MIN_POLISH_MS = 200;

function problemOptions(options: PlanRequest): ProblemOptions {
  return {
    ...options.model,
    ...(options.current ? { current: options.current } : {}),
    ...(options.migrationCost !== undefined ? { migrationCost: options.migrationCost } : {}),
    ...(options.hysteresis !== undefined ? { hysteresis: options.hysteresis } : {}),
  };
}

function runSync(p: Problem, options: PlanRequest): Plan {
  const strategy = options.strategy ?? "auto";
  if (strategy === "exact") throw new Error("the exact strategy is asynchronous: use plan()");
  if (strategy === "borda") return bordaPlan(p, options);
  return heuristicPlan(p, { ...options, strategy });
}

/** Plans with the heuristic (`auto` included: it never waits for HiGHS here) or the borda baseline,
 * synchronously: the fog leader's fallback path. */
export function planSync(inventory: Inventory, app: Application, options: PlanRequest = {}): Plan {
  return runSync(buildProblem(inventory, app, problemOptions(options)), options);
}

/**
 * A planning session for one application: the first plan builds the model, later re-plans patch it when
 * only device state changed (liveness, battery, solar, what runs), which is what keeps a re-plan after a
 * device loss fast. The scales stay those of the first plan, so the objectives of successive plans
 * compare. Heuristic (`auto` included) and borda only.
 */
export class Planner {
  #problem: Problem | undefined;

  constructor(readonly app: Application) {}

  plan(inventory: Inventory, options: PlanRequest = {}): Plan {
    const model = problemOptions(options);
    const p =
      (this.#problem && updateProblem(this.#problem, inventory, model)) ??
      buildProblem(inventory, this.app, model);
    this.#problem = p;
    return runSync(p, options);
  }
}

/** Count columns of the exact model: a measure of how hard it is. */
function columns(p: Problem): number {
  let n = 0;
  for (const sm of p.services) if (sm.replicas > 0) n += sm.candidates.length;
  return n;
}

/** The LNS from HiGHS's incumbent: polishes what the solver found when it could not prove it. */
function polish(p: Problem, options: PlanRequest, from: PlacementState, wallLeftMs: number): HeuristicResult {
  return solveHeuristic(p, {
    seed: options.seed ?? 1,
    start: from.clone(),
    lnsIterations: options.lnsIterations ?? POLISH_ITERATIONS,
    // what is left of the wall cap (at least MIN_POLISH_MS): the cap bounds the whole plan, not only HiGHS
    timeBudgetMs: Math.max(MIN_POLISH_MS, wallLeftMs),
    ...(options.maxEvaluations !== undefined ? { maxEvaluations: options.maxEvaluations } : {}),
  });
}

async function autoPlan(p: Problem, options: PlanRequest): Promise<Plan> {
  const budgetMs = options.autoBudgetMs ?? DEFAULT_AUTO_BUDGET_MS;
  const budget = new CpuBudget(budgetMs, options.autoMaxWallMs ?? AUTO_WALL_STRETCH * budgetMs);
  const cheap = combinatorialBound(p);
  const size = columns(p);
  const leftS = () => budget.left().wallLimitS;
  // HiGHS gets most of the budget: its warm start is the heuristic without the LNS (constructions and local
  // search), and the LNS runs only when HiGHS does not prove the optimum
  const tryExact = !options.current && size <= AUTO_MAX_COLUMNS;
  const quick = tryExact ? runHeuristic(p, { ...options, lnsIterations: 0 }) : undefined;
  if (!tryExact || leftS() < 0.05) {
    const h = runHeuristic(p, options);
    const why = options.current
      ? "re-plan: the incremental heuristic keeps what runs (hysteresis)"
      : size > AUTO_MAX_COLUMNS
        ? `${size} replica × device columns: too large to prove within the budget`
        : "no time left in the budget for HiGHS";
    const lp =
      !options.current && size <= LP_MAX_COLUMNS
        ? await relaxationBound(p, Math.max(0.5, leftS()))
        : undefined;
    const plan = heuristicPlan(
      p,
      options,
      h,
      Math.max(cheap, lp ?? Number.NEGATIVE_INFINITY),
      lp !== undefined && lp > cheap ? "lp-relaxation" : "combinatorial",
    );
    return { ...plan, solver: { ...plan.solver!, reason: why } };
  }
  const exact = await solveExact(p, {
    timeLimitS: Math.max(0.05, leftS()),
    ...(quick!.unplaced.length === 0 ? { start: quick!.state } : {}),
  });
  if (exact.optimal) return exactPlan(p, options, exact, "HiGHS proved the optimum within the budget");
  const bound = Math.max(cheap, exact.lowerBound ?? Number.NEGATIVE_INFINITY);
  const why = `HiGHS did not prove the optimum within ${budgetMs} CPU ms (${exact.status})`;
  if (exact.feasible) {
    // the LNS from HiGHS's incumbent (itself at least as good as the quick heuristic it started from): the
    // full heuristic from scratch would spend the same effort from a worse start
    const polished = polish(p, options, exact.state, budget.maxWallMs - budget.wallUsedMs());
    if (polished.unplaced.length > 0 || exact.state.totals().objective <= polished.state.totals().objective)
      return exactPlan(p, options, { ...exact, lowerBound: bound }, `${why}: its best plan`);
    const plan = heuristicPlan(
      p,
      options,
      polished,
      bound,
      exact.lowerBound !== undefined ? "highs" : "combinatorial",
    );
    return { ...plan, solver: { ...plan.solver!, reason: `${why}: HiGHS's best plan improved by the LNS` } };
  }
  const h = runHeuristic(p, options);
  if (exact.status.startsWith("Infeasible") && h.unplaced.length > 0)
    return exactPlan(p, options, exact, "HiGHS proved that no plan satisfies every hard constraint");
  const plan = heuristicPlan(
    p,
    options,
    h,
    bound,
    exact.lowerBound !== undefined ? "highs" : "combinatorial",
  );
  return { ...plan, solver: { ...plan.solver!, reason: `${why}: the heuristic's plan` } };
}

/** Plans `app` onto `inventory` with any strategy; re-plans incrementally when `options.current` is given. */
export async function plan(inventory: Inventory, app: Application, options: PlanRequest = {}): Promise<Plan> {
  const strategy = options.strategy ?? "auto";
  if (strategy === "heuristic" || strategy === "borda") return planSync(inventory, app, options);
  const p = buildProblem(inventory, app, problemOptions(options));
  if (strategy === "auto") return autoPlan(p, { ...options, strategy });
  const h = runHeuristic(p, { ...options, lnsIterations: options.lnsIterations ?? 0 });
  const result = await solveExact(p, {
    timeLimitS: options.exactTimeLimitS ?? 60,
    ...(h.unplaced.length === 0 ? { start: h.state } : {}),
  });
  return exactPlan(p, options, result);
}

/** The exact model of planning `app` onto `inventory` in free MPS (objective row `obj`, columns c0…, rows
 * r0…), for any MILP solver (CBC, GLPK, HiGHS) to check an optimum independently. */
export function exportMps(inventory: Inventory, app: Application, options: PlanRequest = {}): string {
  return problemMps(buildProblem(inventory, app, problemOptions(options)));
}
