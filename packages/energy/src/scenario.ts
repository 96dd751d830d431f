// Builds a runnable Microgrid from a validated manifest: reads traces (relative to the manifest's folder),
// picks the storage model and the policy.
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { Actor } from "./actor.js";
import { Grid } from "./grid.js";
import { Microgrid } from "./microgrid.js";
import type { ActorSpec, MicrogridManifest, TraceSpec } from "./microgrid-manifest.js";
import { CarbonThresholdPolicy, DefaultPolicy, type DispatchPolicy, ExcessFirstPolicy } from "./policy.js";
import {
  loadElectricityMapsCsv,
  loadTraceCsv,
  loadUkCarbonIntensityJson,
  loadWattTimeJson,
} from "./signal/loaders.js";
import { type IntensityBasis, type Signal, SignalError, StaticSignal } from "./signal/signal.js";
import type { TraceSignal } from "./signal/trace.js";
import { ClcBattery, cellsFor, LG_M50_CELL } from "./storage/clc.js";
import { IdealBattery } from "./storage/ideal.js";
import { KineticBattery } from "./storage/kibam.js";
import type { Storage } from "./storage/storage.js";

/** A scenario that cannot be built: a missing trace file, a column that is not there, a marginal signal. */
export class ScenarioError extends Error {
  override name = "ScenarioError";
  constructor(
    message: string,
    /** Dotted path in the manifest, e.g. `spec.actors[2].trace.file`. */
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
  }
}

export interface ScenarioOptions {
  /** Folder relative trace paths resolve against (the manifest's folder). */
  baseDir: string;
  /** Reads a trace file; default `fs.readFileSync(path, "utf8")`. */
  readText?: (path: string) => string;
}

/** What-if overrides (for sizing): total solar peak and battery capacity. */
export interface ScenarioOverrides {
  solarPeakW?: number;
  batteryCapacityWh?: number;
}

/** A built scenario: the microgrid and its clock. */
export interface Scenario {
  name: string;
  microgrid: Microgrid;
  startMs: number;
  stepS: number;
  steps: number;
}

function loadTrace(
  spec: TraceSpec,
  path: string,
  startMs: number,
  options: ScenarioOptions,
): { signal: TraceSignal; basis: IntensityBasis } {
  const file = isAbsolute(spec.file) ? spec.file : resolve(options.baseDir, spec.file);
  let text: string;
  try {
    text = (options.readText ?? ((p) => readFileSync(p, "utf8")))(file);
  } catch (cause) {
    throw new ScenarioError(
      `cannot read ${file}${file === spec.file ? "" : ` ("${spec.file}" is relative to the manifest's folder)`}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      `${path}.file`,
      { cause },
    );
  }
  const first = text.slice(0, 400);
  const format =
    spec.format ??
    (first.trimStart().startsWith("{") || first.trimStart().startsWith("[")
      ? /"point_time"/.test(first)
        ? "watttime"
        : "uk"
      : first.startsWith("Datetime (UTC)")
        ? "electricitymaps"
        : /^\s*time,/.test(first)
          ? "vessim"
          : "csv");
  const base = {
    source: spec.file,
    wrap: spec.wrap,
    ...(spec.scaleW === undefined ? {} : { scale: spec.scaleW }),
  };
  try {
    switch (format) {
      case "electricitymaps": {
        const t = loadElectricityMapsCsv(text, { ...base, ...(spec.anchor ? { anchorMs: startMs } : {}) });
        return { signal: t.signal, basis: t.basis };
      }
      case "watttime": {
        const t = loadWattTimeJson(text, { ...base, ...(spec.anchor ? { anchorMs: startMs } : {}) });
        return { signal: t.signal, basis: t.basis };
      }
      case "uk": {
        const t = loadUkCarbonIntensityJson(text, { ...base, ...(spec.anchor ? { anchorMs: startMs } : {}) });
        return { signal: t.signal, basis: t.basis };
      }
      default: {
        if (!spec.column) throw new SignalError("say which column to read (trace.column)", spec.file);
        // traces timed in seconds (Vessim's `time` column) are relative: they start at spec.start
        const firstCell = text.split(/\r?\n/, 2)[1]?.split(",")[0] ?? "";
        const relative = /^\s*-?\d+(\.\d+)?\s*$/.test(firstCell);
        const signal = loadTraceCsv(text, {
          ...base,
          column: spec.column,
          ...(format === "vessim" ? { timeColumn: "time" } : {}),
          ...(spec.anchor || relative ? { anchorMs: startMs } : {}),
        });
        return { signal, basis: "average" };
      }
    }
  } catch (cause) {
    if (cause instanceof SignalError) throw new ScenarioError(cause.message, path, { cause });
    throw cause;
  }
}

function buildStorage(m: MicrogridManifest, overrides: ScenarioOverrides): Storage | undefined {
  const s = m.spec.storage;
  const capacityWh = overrides.batteryCapacityWh ?? s?.capacityWh;
  if (!capacityWh) return undefined;
  const common = { initialSoc: s?.initialSoc ?? 0.5, minSoc: s?.minSoc ?? 0 };
  switch (s?.model ?? "ideal") {
    case "clc": {
      const cell = Object.fromEntries(Object.entries(s?.cell ?? {}).filter(([, v]) => v !== undefined));
      return new ClcBattery({
        cells: cellsFor(capacityWh, s?.cell?.v2Wh ?? LG_M50_CELL.v2Wh),
        ...common,
        cell,
      });
    }
    case "kibam":
      return new KineticBattery({
        capacityWh,
        ...common,
        ...(s?.cRate === undefined ? {} : { cRate: s.cRate }),
        ...(s?.availableFraction === undefined ? {} : { availableFraction: s.availableFraction }),
        ...(s?.rateConstantPerH === undefined ? {} : { rateConstantPerH: s.rateConstantPerH }),
      });
    default:
      return new IdealBattery({
        capacityWh,
        ...common,
        ...(s?.cRate === undefined ? {} : { cRate: s.cRate }),
      });
  }
}

function buildPolicy(m: MicrogridManifest): DispatchPolicy {
  const p = m.spec.policy;
  switch (p.name) {
    case "carbon-threshold":
      return new CarbonThresholdPolicy(p.thresholdGPerKWh ?? 0, p.gridChargeW ?? 0);
    case "excess-first":
      return new ExcessFirstPolicy();
    default:
      return new DefaultPolicy();
  }
}

function actorPeakW(a: ActorSpec): number {
  return a.peakW ?? a.trace?.scaleW ?? a.constantW ?? 0;
}

/** Builds the microgrid a manifest describes, optionally with a different solar peak and battery size. */
export function buildScenario(
  m: MicrogridManifest,
  options: ScenarioOptions,
  overrides: ScenarioOverrides = {},
): Scenario {
  const startMs = Date.parse(m.spec.start);
  const solar = m.spec.actors.filter((a) => !a.consumer && a.kind === "solar");
  const solarPeakW = solar.reduce((s, a) => s + actorPeakW(a), 0);
  if (overrides.solarPeakW !== undefined && solarPeakW === 0)
    throw new ScenarioError(
      "sizing needs a producer with kind: solar and a peak (trace.scaleW or peakW)",
      "spec.actors",
    );
  const solarFactor = overrides.solarPeakW === undefined ? 1 : overrides.solarPeakW / solarPeakW;

  const actors = m.spec.actors.map((a, i) => {
    const path = `spec.actors[${i}]`;
    let signal: Signal;
    if (a.trace) {
      const t = loadTrace(a.trace, `${path}.trace`, startMs, options);
      signal = t.signal;
    } else signal = new StaticSignal(a.constantW ?? 0);
    const isSolar = !a.consumer && a.kind === "solar";
    const factor = isSolar ? solarFactor : 1;
    return new Actor({
      name: a.name,
      signal: factor === 1 ? signal : { at: (ts: number) => signal.at(ts) * factor },
      consumer: a.consumer,
      ...(a.kind ? { kind: a.kind } : {}),
      peakW: actorPeakW(a) * factor,
    });
  });

  const g = m.spec.grid;
  let intensity: Signal;
  if (typeof g.intensityGPerKWh === "number") intensity = new StaticSignal(g.intensityGPerKWh);
  else {
    const t = loadTrace(g.intensityGPerKWh, "spec.grid.intensityGPerKWh", startMs, options);
    if (t.basis === "marginal")
      throw new ScenarioError(
        "this is a marginal emissions rate (WattTime MOER); qonnect accounts with average intensity only",
        "spec.grid.intensityGPerKWh",
      );
    intensity = t.signal;
  }
  const grid = new Grid({
    intensity,
    islanded: g.islanded,
    ...(g.importLimitW === undefined ? {} : { importLimitW: g.importLimitW }),
    ...(g.exportLimitW === undefined ? {} : { exportLimitW: g.exportLimitW }),
  });
  const storage = buildStorage(m, overrides);
  const microgrid = new Microgrid({
    actors,
    grid,
    policy: buildPolicy(m),
    lifetimes: m.spec.lifetimes,
    ...(storage ? { storage } : {}),
  });
  return {
    name: m.metadata.name,
    microgrid,
    startMs,
    stepS: m.spec.stepSeconds,
    steps: Math.ceil((m.spec.durationHours * 3600) / m.spec.stepSeconds),
  };
}
