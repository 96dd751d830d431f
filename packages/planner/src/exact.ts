import highsLoader from "highs";
import { formulate, placementOf, warmStart } from "./formulation.js";
import type { Milp } from "./milp.js";
import type { Problem } from "./problem.js";
import { PlacementState } from "./state.js";

// The reference strategy: the count formulation (formulation.ts) solved by HiGHS (WebAssembly), warm-started
// from a heuristic plan when one is given. Also the LP relaxation's value, a lower bound on any plan.

type Loader = typeof highsLoader.default;
type Highs = Awaited<ReturnType<Loader>>;
let loading: Promise<Highs> | undefined;

/** The HiGHS runtime, loaded once per process. */
export function highs(): Promise<Highs> {
  loading ??= (highsLoader as unknown as Loader)();
  return loading;
}

export interface ExactResult {
  state: PlacementState;
  feasible: boolean;
  status: string;
  /** The optimum is proven (within the relative gap 1e-7). */
  optimal: boolean;
  /** HiGHS's proven lower bound on the objective. */
  lowerBound?: number;
}

export interface ExactOptions {
  timeLimitS?: number;
  /** A feasible plan to start from (its objective also prunes the search). */
  start?: PlacementState;
}

const STATUS: Record<number, string> = {
  7: "Optimal",
  8: "Infeasible",
  9: "Infeasible or unbounded",
  11: "Bound on objective reached",
  13: "Time limit reached",
  14: "Iteration limit reached",
};

function modelData(h: Highs, milp: Milp, integer: boolean) {
  return {
    numCols: milp.colCount,
    numRows: milp.rowCount,
    offset: milp.offset,
    colCost: milp.cols.cost,
    colLower: milp.cols.lower,
    colUpper: milp.cols.upper.map((v) => (v === Number.POSITIVE_INFINITY ? h.infinity : v)),
    rowLower: milp.rowLower.map((v) => (v === Number.NEGATIVE_INFINITY ? -h.infinity : v)),
    rowUpper: milp.rowUpper.map((v) => (v === Number.POSITIVE_INFINITY ? h.infinity : v)),
    matrix: {
      format: "csr" as const,
      numRows: milp.rowCount,
      numCols: milp.colCount,
      starts: milp.starts,
      indices: milp.indices,
      values: milp.values,
    },
    ...(integer ? { integrality: milp.cols.integer.map((b) => (b ? 1 : 0)) as (0 | 1)[] } : {}),
  };
}

/** Solves the model of `p` to proven optimality, or to the time limit with the best plan found. */
export async function solveExact(p: Problem, options: ExactOptions = {}): Promise<ExactResult> {
  const state = new PlacementState(p);
  const fail = (status: string): ExactResult => ({ state, feasible: false, status, optimal: false });
  if (p.services.some((s) => s.replicas > 0 && s.candidates.length === 0))
    return fail("Infeasible (a service has no candidate device)");
  if (p.replicaCount === 0) return { state, feasible: true, status: "Optimal", optimal: true, lowerBound: 0 };
  const f = formulate(p);
  if (f.empty) return fail("Infeasible (a service has no device with room for one replica)");
  const h = await highs();
  return h.withModel((model) => {
    model.passModel(modelData(h, f.milp, true));
    model.options.set({
      output_flag: false,
      time_limit: options.timeLimitS ?? 60,
      mip_rel_gap: 1e-7,
      mip_abs_gap: 1e-10,
    });
    if (options.start && options.start.placed === p.replicaCount) {
      const x = warmStart(f, p, options.start);
      if (f.milp.violation(x) <= 1e-6) model.setSolution({ colValue: x });
    }
    const { modelStatus } = model.run();
    const status = STATUS[modelStatus] ?? `HiGHS status ${modelStatus}`;
    const bound = Number(model.info.get("mip_dual_bound"));
    const lowerBound = Number.isFinite(bound) ? bound : undefined;
    const has = Number(model.info.get("primal_solution_status")) === 2;
    if (!has) return { ...fail(status), ...(lowerBound !== undefined ? { lowerBound } : {}) };
    const placed = placementOf(f, p, model.getSolution().colValue);
    if (!placed) return fail(`${status} (counts do not add up)`);
    return {
      state: placed,
      feasible: true,
      status,
      optimal: modelStatus === 7,
      ...(lowerBound !== undefined
        ? { lowerBound: modelStatus === 7 ? placed.totals().objective : lowerBound }
        : {}),
    };
  });
}

/** The LP relaxation's optimum: a lower bound on the objective of every plan (undefined if it fails). */
export async function relaxationBound(p: Problem, timeLimitS = 10): Promise<number | undefined> {
  if (p.replicaCount === 0) return 0;
  const f = formulate(p);
  if (f.empty) return undefined;
  const h = await highs();
  return h.withModel((model) => {
    model.passModel(modelData(h, f.milp, false));
    model.options.set({ output_flag: false, time_limit: timeLimitS });
    const { modelStatus } = model.run();
    return modelStatus === 7 ? model.getObjectiveValue() : undefined;
  });
}

/** The model of `p` in free MPS, for any MILP solver to check an optimum independently. */
export function problemMps(p: Problem): string {
  return formulate(p).milp.toMps(p.app.name.replace(/\s+/g, "_") || "qonnect");
}
