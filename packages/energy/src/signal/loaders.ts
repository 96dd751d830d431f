// Loaders for real-world trace formats: Electricity Maps CSV, WattTime JSON, the UK carbon-intensity API,
// Vessim-style normalised traces, and plain timestamped CSV. Text in, signals out: no file or network I/O.
import { columnIndex, parseCsv, parseNumber, parseTimestampMs } from "./csv.js";
import type { IntensityBasis } from "./signal.js";
import { SignalError } from "./signal.js";
import { type TraceOptions, TraceSignal } from "./trace.js";

/** A carbon-intensity trace and what it means. Values are g CO₂(eq)/kWh. */
export interface IntensityTrace {
  signal: TraceSignal;
  basis: IntensityBasis;
  /** Zone or balancing authority, when the source says. */
  zone?: string;
}

/** 1 lb/MWh = 453.59237 g / 1000 kWh. */
export const G_PER_KWH_PER_LBS_PER_MWH = 0.45359237;

/**
 * Electricity Maps' hourly CSV export (`Datetime (UTC), …, Carbon Intensity gCO₂eq/kWh (direct),
 * Carbon Intensity gCO₂eq/kWh (LCA), …`). `lifecycle: true` (default) reads the LCA column, else direct.
 * Average intensity.
 */
export function loadElectricityMapsCsv(
  text: string,
  options: TraceOptions & { lifecycle?: boolean } = {},
): IntensityTrace {
  const src = options.source;
  const table = parseCsv(text, src);
  const tCol = columnIndex(table, "Datetime (UTC)", src);
  const wanted = options.lifecycle === false ? "(direct)" : "(LCA)";
  const vCol = table.header.findIndex((h) => h.startsWith("Carbon Intensity") && h.endsWith(wanted));
  if (vCol < 0) throw new SignalError(`no "Carbon Intensity … ${wanted}" column`, src);
  const zCol = table.header.indexOf("Zone Id");
  const times: number[] = [];
  const values: number[] = [];
  table.rows.forEach((row, i) => {
    times.push(parseTimestampMs(row[tCol] ?? "", src, i + 2));
    values.push(parseNumber(row[vCol], src, i + 2));
  });
  const zone = zCol >= 0 ? table.rows[0]?.[zCol] : undefined;
  return { signal: new TraceSignal(times, values, options), basis: "average", ...(zone ? { zone } : {}) };
}

interface WattTimePoint {
  point_time?: unknown;
  value?: unknown;
  ba?: unknown;
  datatype?: unknown;
}

/**
 * WattTime JSON: v3 (`{data: [{point_time, value}], meta: {region, signal_type, units}}`) or v2 (an array of
 * `{point_time, value, ba, datatype}`). Values in lbs/MWh are converted to g/kWh (× 0.45359237). The basis is
 * "marginal" for MOER signals (the usual case) and "average" only for `co2_aoer`: qonnect accounts with
 * average intensity, so a marginal trace is refused by the microgrid.
 */
export function loadWattTimeJson(text: string, options: TraceOptions = {}): IntensityTrace {
  const src = options.source;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new SignalError(`not JSON: ${(cause as Error).message}`, src, { cause });
  }
  const v3 = !Array.isArray(doc) && typeof doc === "object" && doc !== null;
  const meta = v3 ? ((doc as { meta?: Record<string, unknown> }).meta ?? {}) : {};
  const points = (v3 ? (doc as { data?: unknown }).data : doc) as WattTimePoint[] | undefined;
  if (!Array.isArray(points) || points.length === 0) throw new SignalError("no data points", src);
  const units = String(meta.units ?? "lbs_co2_per_mwh");
  const factor = /lbs?/i.test(units) ? G_PER_KWH_PER_LBS_PER_MWH : 1;
  const signalType = String(meta.signal_type ?? points[0]?.datatype ?? "co2_moer").toLowerCase();
  const basis: IntensityBasis = signalType.includes("aoer") ? "average" : "marginal";
  const sorted = points
    .map((p, i) => {
      if (typeof p.point_time !== "string" || typeof p.value !== "number")
        throw new SignalError(`point ${i}: needs point_time (string) and value (number)`, src);
      return { tsMs: parseTimestampMs(p.point_time, src, i), value: p.value * factor };
    })
    .sort((a, b) => a.tsMs - b.tsMs);
  const zone = String(meta.region ?? points[0]?.ba ?? "");
  return {
    signal: new TraceSignal(
      sorted.map((p) => p.tsMs),
      sorted.map((p) => p.value),
      options,
    ),
    basis,
    ...(zone ? { zone } : {}),
  };
}

interface UkPeriod {
  from?: unknown;
  intensity?: { forecast?: unknown; actual?: unknown };
  regions?: { regionid?: unknown; shortname?: unknown; intensity?: { forecast?: unknown } }[];
}

/**
 * The UK carbon-intensity API (api.carbonintensity.org.uk) JSON: national
 * `{data: [{from, to, intensity: {forecast, actual, index}}]}`, or regional
 * `{data: [{from, to, regions: [{regionid, shortname, intensity: {forecast}}]}]}` with `region` naming a
 * shortname or id. Reads `actual` (falling back to `forecast` where actual is null) unless `value: "forecast"`.
 * A single region's series (`/regional/regionid/{id}`, `/regional/postcode/{pc}`: the periods nested under
 * `data.data` or `data[0].data`) is read directly. Half-hourly average intensity in g/kWh.
 */
export function loadUkCarbonIntensityJson(
  text: string,
  options: TraceOptions & { value?: "actual" | "forecast"; region?: string | number } = {},
): IntensityTrace {
  const src = options.source;
  let doc: { data?: unknown };
  try {
    doc = JSON.parse(text) as { data?: unknown };
  } catch (cause) {
    throw new SignalError(`not JSON: ${(cause as Error).message}`, src, { cause });
  }
  // one region's series (/regional/regionid/{id}, /regional/postcode/{pc}) nests the periods one level down
  let periods = doc?.data as UkPeriod[] | { data?: unknown } | undefined;
  if (periods && !Array.isArray(periods) && Array.isArray(periods.data)) periods = periods.data as UkPeriod[];
  else if (Array.isArray(periods) && Array.isArray((periods[0] as { data?: unknown } | undefined)?.data))
    periods = (periods[0] as { data: UkPeriod[] }).data;
  if (!Array.isArray(periods) || periods.length === 0) throw new SignalError('no "data" periods', src);
  const times: number[] = [];
  const values: number[] = [];
  periods.forEach((p, i) => {
    if (typeof p.from !== "string") throw new SignalError(`period ${i}: no "from"`, src);
    let v: unknown;
    if (p.regions) {
      if (options.region === undefined) throw new SignalError("regional data: say which region", src);
      const r = p.regions.find((x) => x.shortname === options.region || x.regionid === options.region);
      if (!r) throw new SignalError(`period ${i}: no region ${JSON.stringify(options.region)}`, src);
      v = r.intensity?.forecast;
    } else {
      const actual = p.intensity?.actual;
      v = options.value === "forecast" || typeof actual !== "number" ? p.intensity?.forecast : actual;
    }
    if (typeof v !== "number") throw new SignalError(`period ${i}: no intensity value`, src);
    times.push(parseTimestampMs(p.from, src, i));
    values.push(v);
  });
  return {
    signal: new TraceSignal(times, values, options),
    basis: "average",
    zone: options.region === undefined ? "GB" : String(options.region),
  };
}

/**
 * A Vessim-style trace CSV: a `time` column in seconds from the start (or timestamps), one column per
 * series with normalised values in [0, 1] (solar, load). `anchorMs` gives relative traces their start
 * (default: the Unix epoch, i.e. time 0); `scale` turns them into watts (peak power).
 */
export function loadVessimCsv(text: string, column: string, options: TraceOptions = {}): TraceSignal {
  return loadTraceCsv(text, { ...options, column, timeColumn: "time" });
}

/**
 * A timestamped CSV: `timeColumn` (default the first column) holds ISO timestamps, `YYYY-MM-DD HH:MM:SS`
 * (UTC) or seconds (relative to `anchorMs`); `column` holds the values.
 */
export function loadTraceCsv(
  text: string,
  options: TraceOptions & { column: string; timeColumn?: string },
): TraceSignal {
  const src = options.source;
  const table = parseCsv(text, src);
  const tCol = options.timeColumn === undefined ? 0 : columnIndex(table, options.timeColumn, src);
  const vCol = columnIndex(table, options.column, src);
  const times: number[] = [];
  const values: number[] = [];
  table.rows.forEach((row, i) => {
    const cell = row[tCol] ?? "";
    times.push(/^\s*-?\d+(\.\d+)?\s*$/.test(cell) ? Number(cell) * 1000 : parseTimestampMs(cell, src, i + 2));
    values.push(parseNumber(row[vCol], src, i + 2));
  });
  return new TraceSignal(times, values, options);
}
