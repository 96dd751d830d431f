import type { Application, Inventory } from "@qonnect/core";
import { assessPlacement } from "./assess.js";
import { solveBorda } from "./borda.js";
import { diagnose } from "./diagnose.js";
import { solveExact } from "./exact.js";
import { explain } from "./explain.js";
import { staticReason } from "./filter.js";
import { solveHeuristic } from "./heuristic.js";
import { orderMoves } from "./moves.js";
import { weightedObjective } from "./objectives.js";
import { buildProblem, type Problem, type ProblemOptions } from "./problem.js";
import { PlacementState } from "./state.js";
import type { PlacementEntry, Plan, PlanOptions, Totals } from "./types.js";
import { updateProblem } from "./update.js";

// The entry points: build the model, run a strategy, and turn its result into a Plan with moves,
// explanation and, when infeasible, the binding constraints in words.

export interface PlanRequest extends PlanOptions {
  /** Attach per-replica and per-service explanations (costs a scan per replica). */
  explain?: boolean;
  /** Passed to the model (job time shifting uses them). */
  model?: Pick<ProblemOptions, "intensityGPerKWh" | "scales">;
}

function problemOptions(options: PlanRequest): ProblemOptions {
  return {
    ...options.model,
    ...(options.current ? { current: options.current } : {}),
    ...(options.migrationCost !== undefined ? { migrationCost: options.migrationCost } : {}),
    ...(options.hysteresis !== undefined ? { hysteresis: options.hysteresis } : {}),
  };
}

function problemFor(inventory: Inventory, app: Application, options: PlanRequest): Problem {
  return buildProblem(inventory, app, problemOptions(options));
}

function entries(p: Problem, assignment: Int32Array): PlacementEntry[] {
  const out: PlacementEntry[] = [];
  for (let i = 0; i < p.replicaCount; i++) {
    const d = assignment[i]!;
    if (d < 0) continue;
    const sm = p.services[p.serviceOf[i]!]!;
    out.push({
      app: p.app.name,
      service: sm.service.name,
      replica: i - sm.firstReplica,
      device: p.inventory.devices[d]!.name,
    });
  }
  return out;
}

/** Why replica `i` leaves its previous device: new, a filter reason of that device, or `better`. */
function moveReason(p: Problem, i: number): string {
  const prev = p.previous[i]!;
  if (prev < 0) return "new";
  const reason = staticReason(p.services[p.serviceOf[i]!]!.service, p.inventory.devices[prev]!, p.inventory);
  return reason ?? "better";
}

function finish(
  p: Problem,
  state: PlacementState,
  unplaced: number[],
  options: PlanRequest,
  extra: Pick<Plan, "strategy"> & Partial<Plan>,
): Plan {
  const totals = state.totals();
  return {
    app: p.app.name,
    feasible: unplaced.length === 0,
    placements: entries(p, state.device),
    totals,
    moves: options.current ? orderMoves(p, state.device, options.current, (i) => moveReason(p, i)) : [],
    problems: diagnose(p, state, unplaced),
    violations: [],
    ...(options.explain ? { explain: explain(p, state) } : {}),
    ...extra,
  };
}

/** Keeps every running replica whose device still passes every filter; the rest is left to place. */
function keepRunning(p: Problem): PlacementState {
  const state = new PlacementState(p);
  for (let i = 0; i < p.replicaCount; i++) {
    const d = p.previous[i]!;
    if (d >= 0 && p.services[p.serviceOf[i]!]!.allowed[d] && state.blocker(i, d) === undefined)
      state.place(i, d);
  }
  return state;
}

function heuristicPlan(p: Problem, options: PlanRequest): Plan {
  const start = options.current ? keepRunning(p) : undefined;
  // re-planning after a forced change optimises the displaced replicas only; with nothing displaced (solar,
  // prices or weights changed) every replica may move, each against the hysteresis
  let focus: number[] | undefined;
  if (start) {
    focus = [];
    for (let i = 0; i < p.replicaCount; i++) if (start.device[i]! < 0) focus.push(i);
    if (focus.length === 0) focus = undefined;
  }
  const kept = start && !focus ? start.clone() : undefined;
  let result = solveHeuristic(p, {
    seed: options.seed ?? 1,
    ...(options.maxEvaluations !== undefined ? { maxEvaluations: options.maxEvaluations } : {}),
    ...(options.timeBudgetMs !== undefined ? { timeBudgetMs: options.timeBudgetMs } : {}),
    ...(start ? { start } : {}),
    ...(focus ? { focus } : {}),
  });
  // voluntary re-plan: adopted only when the whole plan gains more than minGainFraction of its objective
  if (kept && result.unplaced.length === 0) {
    const before = kept.totals().objective;
    const gain = before - result.state.totals().objective;
    if (gain <= (options.minGainFraction ?? 0.01) * Math.abs(before))
      result = { state: kept, unplaced: [], evaluations: result.evaluations };
  }
  return finish(p, result.state, result.unplaced, options, {
    strategy: "heuristic",
    solver: {
      status: result.unplaced.length ? "infeasible" : "local optimum",
      evaluations: result.evaluations,
    },
  });
}

function bordaPlan(p: Problem, options: PlanRequest): Plan {
  const placements = solveBorda(p.inventory, p.app);
  const { totals, violations } = assessPlacement(p.inventory, p.app, placements);
  const assignment = new Int32Array(p.replicaCount).fill(-1);
  const deviceIndex = new Map(p.inventory.devices.map((d, i) => [d.name, i]));
  const serviceIndex = new Map(p.services.map((s) => [s.service.name, s]));
  for (const e of placements)
    assignment[serviceIndex.get(e.service)!.firstReplica + e.replica] = deviceIndex.get(e.device)!;
  let moved = 0;
  for (let i = 0; i < p.replicaCount; i++)
    if (p.previous[i]! >= 0 && p.previous[i] !== assignment[i]) moved++;
  const full: Totals = { ...totals, objective: weightedObjective(p.alpha, totals) + moved * p.migration };
  return {
    app: p.app.name,
    strategy: "borda",
    feasible: violations.length === 0,
    placements,
    totals: full,
    moves: options.current ? orderMoves(p, assignment, options.current, (i) => moveReason(p, i)) : [],
    problems: violations.length ? [`the borda baseline breaks ${violations.length} hard constraints`] : [],
    violations,
  };
}

function runSync(p: Problem, options: PlanRequest): Plan {
  const strategy = options.strategy ?? "heuristic";
  if (strategy === "exact") throw new Error("the exact strategy is asynchronous: use plan()");
  return strategy === "borda" ? bordaPlan(p, options) : heuristicPlan(p, options);
}

/** Plans with the heuristic or the borda baseline, synchronously (the fog leader's fallback path). */
export function planSync(inventory: Inventory, app: Application, options: PlanRequest = {}): Plan {
  return runSync(problemFor(inventory, app, options), options);
}

/**
 * A planning session for one application: the first plan builds the model, later re-plans patch it when
 * only device state changed (liveness, battery, solar, what runs), which is what keeps a re-plan after a
 * device loss fast. The scales stay those of the first plan, so the objectives of successive plans
 * compare. Heuristic and borda only.
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

/** Plans `app` onto `inventory` with any strategy; re-plans incrementally when `options.current` is given. */
export async function plan(inventory: Inventory, app: Application, options: PlanRequest = {}): Promise<Plan> {
  if ((options.strategy ?? "heuristic") !== "exact") return planSync(inventory, app, options);
  const p = problemFor(inventory, app, options);
  const result = await solveExact(p, { timeLimitS: options.exactTimeLimitS ?? 60 });
  if (result.feasible)
    return finish(p, result.state, [], options, { strategy: "exact", solver: { status: result.status } });
  // name the binding constraints from the heuristic's attempt
  const attempt = solveHeuristic(p, { seed: options.seed ?? 1 });
  const unplaced = attempt.unplaced.length ? attempt.unplaced : [0];
  const out = finish(
    p,
    attempt.state,
    unplaced,
    { ...options, explain: false },
    { strategy: "exact", solver: { status: result.status } },
  );
  return {
    ...out,
    feasible: false,
    placements: [],
    moves: [],
    problems: attempt.unplaced.length ? out.problems : [`HiGHS: ${result.status}`],
  };
}
