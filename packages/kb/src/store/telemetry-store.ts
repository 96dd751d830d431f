// The Knowledge Base's telemetry history: every sample of every device, once, keyed by (device, seq), as the
// regions' telemetry streams deliver it. Adding a sample that is already stored changes nothing, so a
// redelivered message (after a crash between the store's commit and the stream's ack) is no duplicate.
import type Database from "better-sqlite3";
import type pg from "pg";
import { postgresRollup, sqliteRollup, type TelemetryMinute } from "./telemetry-rollup.js";

/** One stored sample (the fields of DeviceTelemetry the history keeps). */
export interface TelemetryRecord {
  device: string;
  seq: number;
  region: string;
  tsMs: number;
  /** When the Knowledge Base stored it. */
  receivedMs: number;
  /** Replayed from the device's spool after an outage. */
  late: boolean;
  powerW: number;
  busVoltageV: number;
  currentA: number;
  cpuUtil: number;
  memoryUsedBytes: number;
  soc: number | null;
  solarExcessW: number;
}

/** How much of a device's sequence is stored: `missing` = seqs between first and last that are absent. */
export interface TelemetryCoverage {
  device: string;
  count: number;
  firstSeq: number;
  lastSeq: number;
  missing: number;
}

export interface TelemetryStore {
  /** Stores the records in one transaction; those already stored are ignored. Returns how many were new. */
  add(records: readonly TelemetryRecord[]): Promise<number>;
  /** A device's samples with `fromMs <= tsMs <= toMs`, oldest first, at most `limit`. */
  list(device: string, fromMs: number, toMs: number, limit: number): Promise<TelemetryRecord[]>;
  /** Coverage per device (one device, or all), of the raw samples and the minutes they were rolled up into. */
  coverage(device?: string): Promise<TelemetryCoverage[]>;
  /** Rolls the samples with `tsMs < beforeMs` up into minutes (telemetry-rollup.ts); returns how many. */
  rollUp(beforeMs: number): Promise<number>;
  /** The oldest raw sample's tsMs, or null when there is none. */
  oldestRawMs(): Promise<number | null>;
  /** Drops the minutes that start before `beforeMs`; returns how many. */
  dropMinutes(beforeMs: number): Promise<number>;
  /** A device's minutes with `fromMs <= minuteMs <= toMs`, oldest first, at most `limit`. */
  listMinutes(device: string, fromMs: number, toMs: number, limit: number): Promise<TelemetryMinute[]>;
}

const COLUMNS =
  "device, seq, region, ts_ms, received_ms, late, power_w, bus_voltage_v, current_a, cpu_util, memory_used_bytes, soc, solar_excess_w";

function values(r: TelemetryRecord): (string | number | boolean | null)[] {
  return [
    r.device,
    r.seq,
    r.region,
    r.tsMs,
    r.receivedMs,
    r.late,
    r.powerW,
    r.busVoltageV,
    r.currentA,
    r.cpuUtil,
    r.memoryUsedBytes,
    r.soc,
    r.solarExcessW,
  ];
}

function fromRow(row: Record<string, unknown>): TelemetryRecord {
  return {
    device: String(row.device),
    seq: Number(row.seq),
    region: String(row.region),
    tsMs: Number(row.ts_ms),
    receivedMs: Number(row.received_ms),
    late: Boolean(row.late),
    powerW: Number(row.power_w),
    busVoltageV: Number(row.bus_voltage_v),
    currentA: Number(row.current_a),
    cpuUtil: Number(row.cpu_util),
    memoryUsedBytes: Number(row.memory_used_bytes),
    soc: row.soc === null || row.soc === undefined ? null : Number(row.soc),
    solarExcessW: Number(row.solar_excess_w),
  };
}

function coverageFromRow(row: Record<string, unknown>): TelemetryCoverage {
  const [count, firstSeq, lastSeq] = [Number(row.n), Number(row.first_seq), Number(row.last_seq)];
  return { device: String(row.device), count, firstSeq, lastSeq, missing: lastSeq - firstSeq + 1 - count };
}

/** Raw samples and rolled-up minutes together (`where` filters both by device). */
const coverageSql = (where: string) =>
  `SELECT device, SUM(n) AS n, MIN(first_seq) AS first_seq, MAX(last_seq) AS last_seq FROM (
     SELECT device, COUNT(*) AS n, MIN(seq) AS first_seq, MAX(seq) AS last_seq FROM telemetry ${where} GROUP BY device
     UNION ALL
     SELECT device, SUM(samples), MIN(first_seq), MAX(last_seq) FROM telemetry_minutes ${where} GROUP BY device
   ) AS parts GROUP BY device ORDER BY device`;

export class SqliteTelemetryStore implements TelemetryStore {
  constructor(private readonly db: Database.Database) {}

  async add(records: readonly TelemetryRecord[]): Promise<number> {
    const stmt = this.db.prepare(
      `INSERT OR IGNORE INTO telemetry (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let added = 0;
    this.db.transaction(() => {
      for (const r of records) {
        const v = values(r);
        v[5] = r.late ? 1 : 0;
        added += stmt.run(...v).changes;
      }
    })();
    return added;
  }

  async list(device: string, fromMs: number, toMs: number, limit: number): Promise<TelemetryRecord[]> {
    const rows = this.db
      .prepare(
        "SELECT * FROM telemetry WHERE device = ? AND ts_ms >= ? AND ts_ms <= ? ORDER BY ts_ms, seq LIMIT ?",
      )
      .all(device, fromMs, toMs, limit) as Record<string, unknown>[];
    return rows.map(fromRow);
  }

  async coverage(device?: string): Promise<TelemetryCoverage[]> {
    const rows = (
      device === undefined
        ? this.db.prepare(coverageSql("")).all()
        : this.db.prepare(coverageSql("WHERE device = ?")).all(device, device)
    ) as Record<string, unknown>[];
    return rows.map(coverageFromRow);
  }

  async rollUp(beforeMs: number): Promise<number> {
    return sqliteRollup.rollUp(this.db, beforeMs);
  }

  async oldestRawMs(): Promise<number | null> {
    return sqliteRollup.oldestRawMs(this.db);
  }

  async dropMinutes(beforeMs: number): Promise<number> {
    return sqliteRollup.dropMinutes(this.db, beforeMs);
  }

  async listMinutes(device: string, fromMs: number, toMs: number, limit: number) {
    return sqliteRollup.listMinutes(this.db, device, fromMs, toMs, limit);
  }
}

export class PostgresTelemetryStore implements TelemetryStore {
  constructor(private readonly pool: pg.Pool) {}

  async add(records: readonly TelemetryRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN");
      let added = 0;
      for (const r of records) {
        const res = await c.query(
          `INSERT INTO telemetry (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           ON CONFLICT (device, seq) DO NOTHING`,
          values(r),
        );
        added += res.rowCount ?? 0;
      }
      await c.query("COMMIT");
      return added;
    } catch (err) {
      await c.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async list(device: string, fromMs: number, toMs: number, limit: number): Promise<TelemetryRecord[]> {
    const res = await this.pool.query(
      "SELECT * FROM telemetry WHERE device = $1 AND ts_ms >= $2 AND ts_ms <= $3 ORDER BY ts_ms, seq LIMIT $4",
      [device, fromMs, toMs, limit],
    );
    return res.rows.map(fromRow);
  }

  async coverage(device?: string): Promise<TelemetryCoverage[]> {
    const res =
      device === undefined
        ? await this.pool.query(coverageSql(""))
        : await this.pool.query(coverageSql("WHERE device = $1"), [device]);
    return res.rows.map(coverageFromRow);
  }

  async rollUp(beforeMs: number): Promise<number> {
    return postgresRollup.rollUp(this.pool, beforeMs);
  }

  async oldestRawMs(): Promise<number | null> {
    return postgresRollup.oldestRawMs(this.pool);
  }

  async dropMinutes(beforeMs: number): Promise<number> {
    return postgresRollup.dropMinutes(this.pool, beforeMs);
  }

  async listMinutes(device: string, fromMs: number, toMs: number, limit: number) {
    return postgresRollup.listMinutes(this.pool, device, fromMs, toMs, limit);
  }
}
