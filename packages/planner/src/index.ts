// @qonnect/planner — placement: filter → score → optimise → explain, with an exact MILP reference, the
// QONNECT Borda baseline, incremental re-planning and carbon-aware job time shifting. Pure and deterministic.

export { assessPlacement } from "./assess.js";
export { bordaScores } from "./borda.js";
export { batteryFloor, filterDevices, staticReason } from "./filter.js";
export { type CarbonForecast, forecastFromSeries, type JobPlan, planJob } from "./job.js";
export {
  type ObjectiveTotals,
  replicaCostPerHour,
  replicaEnergyW,
  replicaSlownessCores,
  uncoveredW,
} from "./objectives.js";
export { exportMps, Planner, type PlanRequest, plan, planSync } from "./plan.js";
export { marginalPowerW, powerAtW } from "./power.js";
export { reserveAll, withPlacements } from "./reserve.js";
export { sumTotals } from "./totals.js";
export {
  type BoundTotals,
  type Explanation,
  type Move,
  type PlacementEntry,
  type Plan,
  type PlanOptions,
  REASONS,
  type Reason,
  type Replan,
  type ReplicaExplanation,
  type ServiceExplanation,
  type Strategy,
  type Totals,
} from "./types.js";
