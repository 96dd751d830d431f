// Writes a run in Vessim's shape: `timeseries.csv` (Monitor-style flattened columns) and `metadata.yaml`.
import { stringify } from "yaml";
import type { Microgrid, MicrogridTotals, StepRecord } from "./microgrid.js";

/** `2022-06-01 00:00:00`, the way pandas prints Vessim's timestamps. */
function vessimTime(tsMs: number): string {
  return new Date(tsMs).toISOString().slice(0, 19).replace("T", " ");
}

const num = (v: number) => (Number.isFinite(v) ? String(Math.round(v * 1e6) / 1e6) : "");

/**
 * Column order: Vessim Monitor's (`microgrid, time, p_delta, p_grid, actor_states.<name>.p, storage_state.soc,
 * storage_state.charge_level, grid_signals.intensity`), then qonnect's own columns. `p_delta` is production −
 * consumption; `p_grid` = p_delta − storage power, what is offered to the grid (positive: export), before
 * limits; the settled exchange is in `grid_import_w` / `grid_export_w`.
 */
export function vessimCsvHeader(mg: Microgrid): string {
  return [
    "microgrid",
    "time",
    "p_delta",
    "p_grid",
    ...mg.actors.map((a) => `actor_states.${a.name}.p`),
    "storage_state.soc",
    "storage_state.charge_level",
    "grid_signals.intensity_g_per_kwh",
    "grid_import_w",
    "grid_export_w",
    "curtailed_w",
    "unserved_w",
    "emissions_g",
    "excess_w",
  ].join(",");
}

/** One CSV row for `record`; call it right after the step (actor states are read from the microgrid). */
export function vessimCsvRow(name: string, mg: Microgrid, record: StepRecord): string {
  const cells = [
    name,
    vessimTime(record.tsMs),
    num(record.netW),
    num(record.netW - record.storageW),
    ...mg.actors.map((a) => num(a.state().powerW)),
    num(record.soc),
    mg.storage ? num(mg.storage.state().energyWh) : "",
    num(record.intensityGPerKWh),
    num(record.gridImportW),
    num(record.gridExportW),
    num(record.curtailedW),
    num(record.unservedW),
    num(record.emissionsG),
    num(record.excessW),
  ];
  return cells.join(",");
}

/** `metadata.yaml`: what was simulated, the units and sign conventions, and the totals. */
export function vessimMetadata(options: {
  name: string;
  mg: Microgrid;
  startMs: number;
  stepS: number;
  totals: MicrogridTotals;
}): string {
  const { mg, totals } = options;
  return stringify({
    generator: "qonnect sim microgrid",
    microgrid: options.name,
    start: vessimTime(options.startMs),
    end: vessimTime(options.startMs + totals.steps * options.stepS * 1000),
    step_size: options.stepS,
    units: { power: "W", energy: "Wh", intensity: "gCO2e/kWh", emissions: "gCO2e", time: "UTC" },
    sign_convention: "producers and storage charging positive; consumers and discharging negative",
    actors: mg.actors.map((a) => ({ name: a.name, consumer: a.consumer, kind: a.kind, peak_w: a.peakW })),
    storage: mg.storage ? { ...mg.storage.state(), model: mg.storage.constructor.name } : null,
    policy: mg.policy.name,
    grid: {
      islanded: mg.grid.islanded,
      import_limit_w: Number.isFinite(mg.grid.importLimitW) ? mg.grid.importLimitW : null,
      export_limit_w: Number.isFinite(mg.grid.exportLimitW) ? mg.grid.exportLimitW : null,
    },
    totals,
  });
}
