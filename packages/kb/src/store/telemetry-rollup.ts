// The telemetry history downsampled with age (DESIGN.md §12 "Retention and wear"): samples older than the raw
// retention are rolled up into one row per device and minute (how many, their seq range, mean and peak
// power, mean CPU, lowest state of charge, mean solar excess) and deleted; minutes older than their own
// retention are dropped. A late sample rolled up into a minute that already exists is merged into it (sums
// and weighted means), so rolling up twice, or in pieces, gives the same minute.
import type Database from "better-sqlite3";
import type pg from "pg";

/** One device's samples of one minute. */
export interface TelemetryMinute {
  device: string;
  /** Start of the minute (Unix ms, a multiple of 60,000). */
  minuteMs: number;
  region: string;
  samples: number;
  lateSamples: number;
  firstSeq: number;
  lastSeq: number;
  powerWMean: number;
  powerWMax: number;
  cpuUtilMean: number;
  /** Lowest state of charge in the minute; null for a device without a battery. */
  socMin: number | null;
  solarExcessWMean: number;
}

export const MINUTE_MS = 60_000;

const MINUTE_COLUMNS =
  "device, minute_ms, region, samples, late_samples, first_seq, last_seq, power_w_mean, power_w_max, cpu_util_mean, soc_min, solar_excess_w_mean";

/** The aggregate of raw rows (`late` as 0/1) into minutes; `src` is the table or CTE they come from. */
const aggregate = (src: string, late: string) =>
  `SELECT device, (ts_ms / ${MINUTE_MS}) * ${MINUTE_MS}, MAX(region), COUNT(*), SUM(${late}), MIN(seq), MAX(seq),
     AVG(power_w), MAX(power_w), AVG(cpu_util), MIN(soc), AVG(solar_excess_w)
   FROM ${src} GROUP BY device, ts_ms / ${MINUTE_MS}`;

/** Merging into an existing minute: `m` is the stored row, `min`/`max` the dialect's two-argument forms. */
const merge = (m: string, min: string, max: string) => {
  const mean = (c: string) =>
    `${c} = (${m}${c} * ${m}samples + excluded.${c} * excluded.samples) / (${m}samples + excluded.samples)`;
  return `samples = ${m}samples + excluded.samples,
    late_samples = ${m}late_samples + excluded.late_samples,
    first_seq = ${min}(${m}first_seq, excluded.first_seq),
    last_seq = ${max}(${m}last_seq, excluded.last_seq),
    ${mean("power_w_mean")},
    power_w_max = ${max}(${m}power_w_max, excluded.power_w_max),
    ${mean("cpu_util_mean")},
    soc_min = ${min}(COALESCE(${m}soc_min, excluded.soc_min), COALESCE(excluded.soc_min, ${m}soc_min)),
    ${mean("solar_excess_w_mean")}`;
};

export function minuteFromRow(row: Record<string, unknown>): TelemetryMinute {
  return {
    device: String(row.device),
    minuteMs: Number(row.minute_ms),
    region: String(row.region),
    samples: Number(row.samples),
    lateSamples: Number(row.late_samples),
    firstSeq: Number(row.first_seq),
    lastSeq: Number(row.last_seq),
    powerWMean: Number(row.power_w_mean),
    powerWMax: Number(row.power_w_max),
    cpuUtilMean: Number(row.cpu_util_mean),
    socMin: row.soc_min === null || row.soc_min === undefined ? null : Number(row.soc_min),
    solarExcessWMean: Number(row.solar_excess_w_mean),
  };
}

const LIST_MINUTES = (p: (i: number) => string) =>
  `SELECT * FROM telemetry_minutes WHERE device = ${p(1)} AND minute_ms >= ${p(2)} AND minute_ms <= ${p(3)}
   ORDER BY minute_ms LIMIT ${p(4)}`;

export const sqliteRollup = {
  /** Rolls the raw samples with `ts_ms < beforeMs` into minutes; returns how many samples it rolled up. */
  rollUp(db: Database.Database, beforeMs: number): number {
    return db.transaction(() => {
      db.prepare(
        `INSERT INTO telemetry_minutes (${MINUTE_COLUMNS})
         ${aggregate("(SELECT * FROM telemetry WHERE ts_ms < ?)", "late")}
         ON CONFLICT (device, minute_ms) DO UPDATE SET ${merge("", "MIN", "MAX")}`,
      ).run(beforeMs);
      return db.prepare("DELETE FROM telemetry WHERE ts_ms < ?").run(beforeMs).changes;
    })();
  },
  oldestRawMs(db: Database.Database): number | null {
    const row = db.prepare("SELECT MIN(ts_ms) AS t FROM telemetry").get() as { t: number | null };
    return row.t === null ? null : Number(row.t);
  },
  dropMinutes(db: Database.Database, beforeMs: number): number {
    return db.prepare("DELETE FROM telemetry_minutes WHERE minute_ms < ?").run(beforeMs).changes;
  },
  listMinutes(db: Database.Database, device: string, fromMs: number, toMs: number, limit: number) {
    const rows = db.prepare(LIST_MINUTES(() => "?")).all(device, fromMs, toMs, limit);
    return (rows as Record<string, unknown>[]).map(minuteFromRow);
  },
};

export const postgresRollup = {
  /** As sqliteRollup.rollUp, in one statement: what is deleted is what is rolled up, whatever arrives meanwhile. */
  async rollUp(pool: pg.Pool, beforeMs: number): Promise<number> {
    const res = await pool.query(
      `WITH moved AS (DELETE FROM telemetry WHERE ts_ms < $1 RETURNING *),
         merged AS (
           INSERT INTO telemetry_minutes AS m (${MINUTE_COLUMNS})
           ${aggregate("moved", "late::int")}
           ON CONFLICT (device, minute_ms) DO UPDATE SET ${merge("m.", "LEAST", "GREATEST")}
           RETURNING 1)
       SELECT (SELECT COUNT(*) FROM moved) AS n`,
      [beforeMs],
    );
    return Number(res.rows[0].n);
  },
  async oldestRawMs(pool: pg.Pool): Promise<number | null> {
    const res = await pool.query("SELECT MIN(ts_ms) AS t FROM telemetry");
    return res.rows[0].t === null ? null : Number(res.rows[0].t);
  },
  async dropMinutes(pool: pg.Pool, beforeMs: number): Promise<number> {
    return (await pool.query("DELETE FROM telemetry_minutes WHERE minute_ms < $1", [beforeMs])).rowCount ?? 0;
  },
  async listMinutes(pool: pg.Pool, device: string, fromMs: number, toMs: number, limit: number) {
    const res = await pool.query(
      LIST_MINUTES((i) => `$${i}`),
      [device, fromMs, toMs, limit],
    );
    return res.rows.map(minuteFromRow);
  },
};
