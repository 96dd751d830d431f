// Microgrid sizing what-if: solar kWp × battery kWh over a year, and the Pareto front of cost vs emissions.
import type { MicrogridManifest } from "./microgrid-manifest.js";
import { buildScenario, type ScenarioOptions } from "./scenario.js";

/** One evaluated design. Costs in EUR per year, emissions in kg CO₂e per year. */
export interface SizingPoint {
  solarKWp: number;
  batteryKWh: number;
  /** Annualised capital (cost / lifetime) + imports × price − exports × price, EUR/year. */
  costPerYear: number;
  operationalKg: number;
  embodiedKg: number;
  /** operational + embodied, kg/year. */
  emissionsKg: number;
  gridImportKWh: number;
  unservedKWh: number;
  /**
   * On the Pareto front: no other design is at most as costly and as emitting and better in one. Designs
   * with unserved demand are left off whenever some design serves all of it.
   */
  pareto: boolean;
}

/**
 * Runs the manifest once per (solar, battery) pair of `spec.sizing` over `sizing.durationHours` (default a
 * year) at `sizing.stepSeconds`, and marks the designs no other design dominates in (cost, emissions).
 * `onProgress(done, total)` reports after each run.
 */
export function sizeMicrogrid(
  m: MicrogridManifest,
  options: ScenarioOptions,
  onProgress?: (done: number, total: number) => void,
): SizingPoint[] {
  const sizing = m.spec.sizing;
  if (!sizing) throw new Error("the manifest has no spec.sizing");
  const years = sizing.durationHours / 8760;
  const run: MicrogridManifest = {
    ...m,
    spec: { ...m.spec, durationHours: sizing.durationHours, stepSeconds: sizing.stepSeconds },
  };
  const points: SizingPoint[] = [];
  const total = sizing.solarKWp.length * sizing.batteryKWh.length;
  for (const solarKWp of sizing.solarKWp)
    for (const batteryKWh of sizing.batteryKWh) {
      const sc = buildScenario(run, options, {
        solarPeakW: solarKWp * 1000,
        batteryCapacityWh: batteryKWh * 1000,
      });
      const t = sc.microgrid.run(sc.startMs, sc.stepS, sc.steps);
      const capex =
        (solarKWp * sizing.solarCostPerKWp) / m.spec.lifetimes.solarYears +
        (batteryKWh * sizing.batteryCostPerKWh) / m.spec.lifetimes.batteryYears;
      const energy =
        ((t.gridImportWh / 1000) * sizing.importPricePerKWh -
          (t.gridExportWh / 1000) * sizing.exportPricePerKWh) /
        years;
      const operationalKg = t.operationalEmissionsG / 1000 / years;
      const embodiedKg = t.embodiedEmissionsG / 1000 / years;
      points.push({
        solarKWp,
        batteryKWh,
        costPerYear: capex + energy,
        operationalKg,
        embodiedKg,
        emissionsKg: operationalKg + embodiedKg,
        gridImportKWh: t.gridImportWh / 1000 / years,
        unservedKWh: t.unservedWh / 1000 / years,
        pareto: false,
      });
      onProgress?.(points.length, total);
    }
  // designs that leave demand unserved (islanded sites) only compete when no design covers everything
  const feasible = points.filter((p) => p.unservedKWh <= 1e-9);
  const pool = feasible.length ? feasible : points;
  for (const p of pool)
    p.pareto = !pool.some(
      (q) =>
        q !== p &&
        q.costPerYear <= p.costPerYear &&
        q.emissionsKg <= p.emissionsKg &&
        (q.costPerYear < p.costPerYear || q.emissionsKg < p.emissionsKg),
    );
  return points;
}
