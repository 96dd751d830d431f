import { assessPlacement } from "./assess.js";
import { solveBorda } from "./borda.js";
import { combinatorialBound, withBound } from "./bound.js";
import { diagnose } from "./diagnose.js";
import type { ExactResult } from "./exact.js";
import { contributions, explain } from "./explain.js";
import { staticReason } from "./filter.js";
import { type HeuristicResult, solveHeuristic } from "./heuristic.js";
import { orderMoves } from "./moves.js";
import { weightedObjective } from "./objectives.js";
import type { Problem, ProblemOptions } from "./problem.js";
import { PlacementState } from "./state.js";
import type { PlacementEntry, Plan, PlanOptions, Replan, Totals } from "./types.js";

// Each strategy's result turned into a Plan: placements, totals (with a lower bound where one is known),
// moves from the current placement, explanation, and the binding constraints in words when infeasible.

export interface PlanRequest extends PlanOptions {
  /** Attach per-replica and per-service explanations (costs a scan per replica). */
  explain?: boolean;
  /** Passed to the model (job time shifting uses them). */
  model?: Pick<ProblemOptions, "intensityGPerKWh" | "scales">;
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

/** What staying put scores now, how many replicas the plan in `state` moves and keeps, and for each moved one
 * what it gains (objective, migration cost not included) and its carbon on the old and the new device. */
function replanOf(p: Problem, state: PlacementState): Replan {
  let kept = 0;
  const moves: Replan["moves"] = [];
  const gPerH = (c: { carbon: number }) => (p.alpha.carbonGPerH > 0 ? c.carbon / p.alpha.carbonGPerH : 0);
  for (let i = 0; i < p.replicaCount; i++) {
    const [prev, d] = [p.previous[i]!, state.device[i]!];
    if (prev < 0 || d < 0) continue;
    if (d === prev) {
      kept++;
      continue;
    }
    const sm = p.services[p.serviceOf[i]!]!;
    state.unplace(i);
    const can = sm.allowed[prev] && state.blocker(i, prev) === undefined;
    const move = {
      service: sm.service.name,
      replica: i - sm.firstReplica,
      from: p.inventory.devices[prev]!.name,
      to: p.inventory.devices[d]!.name,
      ...(can
        ? {
            gain: state.delta(i, prev) - (state.delta(i, d) - p.migration),
            carbonGPerH: [gPerH(contributions(p, state, i, prev)), gPerH(contributions(p, state, i, d))],
          }
        : {}),
    };
    state.place(i, d);
    moves.push(move);
  }
  return {
    stay: keepRunning(p).totals(),
    moved: moves.length,
    kept,
    moves,
    migration: p.migration,
    hysteresis: p.hysteresis,
  };
}

export function finish(
  p: Problem,
  state: PlacementState,
  unplaced: number[],
  options: PlanRequest,
  extra: Pick<Plan, "strategy"> & Partial<Plan>,
  lowerBound?: number,
): Plan {
  const feasible = unplaced.length === 0;
  const totals = feasible ? withBound(state.totals(), lowerBound) : state.totals();
  return {
    app: p.app.name,
    feasible,
    placements: entries(p, state.device),
    totals,
    moves: options.current ? orderMoves(p, state.device, options.current, (i) => moveReason(p, i)) : [],
    problems: diagnose(p, state, unplaced),
    violations: [],
    ...(options.explain ? { explain: explain(p, state) } : {}),
    ...(options.current ? { replan: replanOf(p, state) } : {}),
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

/** The heuristic's search: a fresh plan, or a re-plan that keeps what still runs well. */
export function runHeuristic(p: Problem, options: PlanRequest): HeuristicResult {
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
    ...(options.lnsIterations !== undefined ? { lnsIterations: options.lnsIterations } : {}),
    ...(start ? { start } : {}),
    ...(focus ? { focus } : {}),
  });
  // voluntary re-plan: adopted only when it gains more than minGainFraction of the objective per replica it
  // moves (a gate on the whole objective would hold the few worthwhile moves of a large application back)
  if (kept && result.unplaced.length === 0) {
    const before = kept.totals().objective;
    const gain = before - result.state.totals().objective;
    let moved = 0;
    for (let i = 0; i < p.replicaCount; i++) if (result.state.device[i] !== kept.device[i]) moved++;
    const share = p.replicaCount > 0 ? moved / p.replicaCount : 0;
    if (gain <= (options.minGainFraction ?? 0.01) * Math.abs(before) * share)
      result = { ...result, state: kept, unplaced: [] };
  }
  return result;
}

export function heuristicPlan(
  p: Problem,
  options: PlanRequest,
  result = runHeuristic(p, options),
  lowerBound = combinatorialBound(p),
  bound: "lp-relaxation" | "combinatorial" | "highs" = "combinatorial",
): Plan {
  return finish(
    p,
    result.state,
    result.unplaced,
    options,
    {
      strategy: "heuristic",
      solver: {
        status: result.unplaced.length ? "infeasible" : "local optimum",
        evaluations: result.evaluations,
        ...(options.strategy ? { requested: options.strategy } : {}),
        ...(result.unplaced.length ? {} : { bound }),
      },
    },
    lowerBound,
  );
}

export function exactPlan(p: Problem, options: PlanRequest, result: ExactResult, reason?: string): Plan {
  const solver = {
    status: result.status,
    optimal: result.optimal,
    ...(options.strategy ? { requested: options.strategy } : {}),
    ...(reason ? { reason } : {}),
    bound: result.optimal ? ("optimal" as const) : ("highs" as const),
  };
  if (result.feasible)
    return finish(p, result.state, [], options, { strategy: "exact", solver }, result.lowerBound);
  // name the binding constraints from the heuristic's attempt
  const attempt = solveHeuristic(p, { seed: options.seed ?? 1, lnsIterations: 0 });
  const unplaced = attempt.unplaced.length ? attempt.unplaced : [0];
  const out = finish(
    p,
    attempt.state,
    unplaced,
    { ...options, explain: false },
    { strategy: "exact", solver },
  );
  return {
    ...out,
    feasible: false,
    placements: [],
    moves: [],
    problems: attempt.unplaced.length ? out.problems : [`HiGHS: ${result.status}`],
  };
}

export function bordaPlan(p: Problem, options: PlanRequest): Plan {
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
