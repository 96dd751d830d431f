// Signal resources → values now and forecasts: constant values, or traces in the CSV/JSON formats
// @qonnect/energy reads (forward-filled; a forecast is a trace whose future samples are used for Jobs).
import {
  loadElectricityMapsCsv,
  loadTraceCsv,
  loadVessimCsv,
  loadWattTimeJson,
  type Signal,
  StaticSignal,
} from "@qonnect/energy";
import type { CarbonForecast } from "@qonnect/planner";
import type { SignalSpec } from "../kinds.js";
import type { StoredResource } from "../store/store.js";

export interface LoadedSignal {
  name: string;
  spec: SignalSpec;
  signal: Signal;
}

const cache = new Map<string, LoadedSignal>();

/** The energy signal of a stored Signal resource (cached per uid and generation). Throws SignalError on
 * bad trace data. */
export function loadSignal(r: StoredResource): LoadedSignal {
  const key = `${r.uid}.${r.generation}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const spec = r.spec as SignalSpec;
  let signal: Signal;
  if (spec.source === "constant" || !spec.trace) signal = new StaticSignal(spec.value ?? 0);
  else {
    const t = spec.trace;
    const opts = {
      source: `signals/${r.name}`,
      wrap: t.wrap,
      ...(t.scale !== undefined ? { scale: t.scale } : {}),
      ...(t.anchor ? { anchorMs: r.createTimeMs } : {}),
    };
    if (t.format === "electricitymaps") signal = loadElectricityMapsCsv(t.data, opts).signal;
    else if (t.format === "watttime") signal = loadWattTimeJson(t.data, opts).signal;
    else if (t.format === "vessim") signal = loadVessimCsv(t.data, t.column ?? "value", opts);
    else signal = loadTraceCsv(t.data, { ...opts, column: t.column ?? "value" });
  }
  const out = { name: r.name, spec, signal };
  if (cache.size > 1000) cache.clear();
  cache.set(key, out);
  return out;
}

/** The value at `tsMs`, or undefined when the signal cannot answer (before a trace's first sample). */
export function valueAt(s: LoadedSignal, tsMs: number): number | undefined {
  try {
    const v = s.signal.at(tsMs);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface SignalValues {
  intensityGPerKWh: Map<string, number>;
  pricePerKWh: Map<string, number>;
  solarW: Map<string, number>;
}

export function valuesAt(signals: readonly LoadedSignal[], tsMs: number): SignalValues {
  const out: SignalValues = { intensityGPerKWh: new Map(), pricePerKWh: new Map(), solarW: new Map() };
  for (const s of signals) {
    const v = valueAt(s, tsMs);
    if (v === undefined) continue;
    if (s.spec.quantity === "intensity" && s.spec.zone) out.intensityGPerKWh.set(s.spec.zone, v);
    if (s.spec.quantity === "price" && s.spec.zone) out.pricePerKWh.set(s.spec.zone, v);
    if (s.spec.quantity === "solar" && s.spec.site) out.solarW.set(s.spec.site, v);
  }
  return out;
}

/** A carbon forecast for Jobs: intensity signals per zone, the inventory's value elsewhere. */
export function forecastOf(
  signals: readonly LoadedSignal[],
  fallback: Record<string, number>,
): CarbonForecast {
  const byZone = new Map(
    signals.filter((s) => s.spec.quantity === "intensity" && s.spec.zone).map((s) => [s.spec.zone!, s]),
  );
  return {
    intensityGPerKWh(zone, tsMs) {
      const s = byZone.get(zone);
      return (s ? valueAt(s, tsMs) : undefined) ?? fallback[zone] ?? 0;
    },
  };
}
