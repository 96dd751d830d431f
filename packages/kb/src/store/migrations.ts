// Versioned schema migrations. Append; never edit a migration that has shipped.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "resources, watch log, tokens, device samples",
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO meta (key, value) VALUES ('rv', 1), ('compacted', 0);
      CREATE TABLE resources (
        kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, uid TEXT NOT NULL,
        labels TEXT NOT NULL, annotations TEXT NOT NULL, spec TEXT NOT NULL, status TEXT NOT NULL,
        rv INTEGER NOT NULL, generation INTEGER NOT NULL, create_ms INTEGER NOT NULL, update_ms INTEGER NOT NULL,
        PRIMARY KEY (kind, namespace, name)) WITHOUT ROWID;
      CREATE TABLE changes (rv INTEGER PRIMARY KEY, type TEXT NOT NULL, kind TEXT NOT NULL,
        namespace TEXT NOT NULL, name TEXT NOT NULL, object TEXT NOT NULL);
      CREATE TABLE tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL, role TEXT NOT NULL, description TEXT NOT NULL,
        create_ms INTEGER NOT NULL, expire_ms INTEGER NOT NULL, revoked INTEGER NOT NULL);
      CREATE TABLE samples (device TEXT NOT NULL, ts_ms INTEGER NOT NULL, power_w REAL NOT NULL,
        energy_wh REAL NOT NULL, solar_energy_wh REAL NOT NULL, carbon_g REAL NOT NULL, cost REAL NOT NULL, soc REAL,
        PRIMARY KEY (device, ts_ms)) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description:
      "telemetry history: every sample of every device once, by (device, seq), from the regions' streams",
    sql: `
      CREATE TABLE telemetry (device TEXT NOT NULL, seq INTEGER NOT NULL, region TEXT NOT NULL, ts_ms INTEGER NOT NULL,
        received_ms INTEGER NOT NULL, late INTEGER NOT NULL, power_w REAL NOT NULL, bus_voltage_v REAL NOT NULL,
        current_a REAL NOT NULL, cpu_util REAL NOT NULL, memory_used_bytes INTEGER NOT NULL, soc REAL,
        solar_excess_w REAL NOT NULL,
        PRIMARY KEY (device, seq)) WITHOUT ROWID;
      CREATE INDEX telemetry_by_time ON telemetry (device, ts_ms);
    `,
  },
  {
    version: 3,
    description: "device samples keep the solar excess the region reported (the dashboard's solar history)",
    sql: "ALTER TABLE samples ADD COLUMN solar_excess_w REAL;",
  },
  {
    version: 4,
    description: "the telemetry history downsampled with age: one row per device and minute",
    sql: `
      CREATE TABLE telemetry_minutes (device TEXT NOT NULL, minute_ms INTEGER NOT NULL, region TEXT NOT NULL,
        samples INTEGER NOT NULL, late_samples INTEGER NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
        power_w_mean REAL NOT NULL, power_w_max REAL NOT NULL, cpu_util_mean REAL NOT NULL, soc_min REAL,
        solar_excess_w_mean REAL NOT NULL,
        PRIMARY KEY (device, minute_ms)) WITHOUT ROWID;
    `,
  },
];

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "resources, watch log, tokens, device samples",
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
      INSERT INTO meta (key, value) VALUES ('rv', 1), ('compacted', 0);
      CREATE TABLE resources (
        kind TEXT COLLATE "C" NOT NULL, namespace TEXT COLLATE "C" NOT NULL, name TEXT COLLATE "C" NOT NULL, uid TEXT NOT NULL,
        labels TEXT NOT NULL, annotations TEXT NOT NULL, spec TEXT NOT NULL, status TEXT NOT NULL,
        rv BIGINT NOT NULL, generation BIGINT NOT NULL, create_ms BIGINT NOT NULL, update_ms BIGINT NOT NULL,
        PRIMARY KEY (kind, namespace, name));
      CREATE TABLE changes (rv BIGINT PRIMARY KEY, type TEXT NOT NULL, kind TEXT NOT NULL,
        namespace TEXT NOT NULL, name TEXT NOT NULL, object TEXT NOT NULL);
      CREATE TABLE tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL, role TEXT NOT NULL, description TEXT NOT NULL,
        create_ms BIGINT NOT NULL, expire_ms BIGINT NOT NULL, revoked BOOLEAN NOT NULL);
      CREATE TABLE samples (device TEXT NOT NULL, ts_ms BIGINT NOT NULL, power_w DOUBLE PRECISION NOT NULL,
        energy_wh DOUBLE PRECISION NOT NULL, solar_energy_wh DOUBLE PRECISION NOT NULL,
        carbon_g DOUBLE PRECISION NOT NULL, cost DOUBLE PRECISION NOT NULL, soc DOUBLE PRECISION,
        PRIMARY KEY (device, ts_ms));
    `,
  },
  {
    version: 2,
    description:
      "telemetry history: every sample of every device once, by (device, seq), from the regions' streams",
    sql: `
      CREATE TABLE telemetry (device TEXT NOT NULL, seq BIGINT NOT NULL, region TEXT NOT NULL, ts_ms BIGINT NOT NULL,
        received_ms BIGINT NOT NULL, late BOOLEAN NOT NULL, power_w DOUBLE PRECISION NOT NULL,
        bus_voltage_v DOUBLE PRECISION NOT NULL, current_a DOUBLE PRECISION NOT NULL,
        cpu_util DOUBLE PRECISION NOT NULL, memory_used_bytes BIGINT NOT NULL, soc DOUBLE PRECISION,
        solar_excess_w DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (device, seq));
      CREATE INDEX telemetry_by_time ON telemetry (device, ts_ms);
    `,
  },
  {
    version: 3,
    description: "device samples keep the solar excess the region reported (the dashboard's solar history)",
    sql: "ALTER TABLE samples ADD COLUMN solar_excess_w DOUBLE PRECISION;",
  },
  {
    version: 4,
    description: "the telemetry history downsampled with age: one row per device and minute",
    sql: `
      CREATE TABLE telemetry_minutes (device TEXT NOT NULL, minute_ms BIGINT NOT NULL, region TEXT NOT NULL,
        samples BIGINT NOT NULL, late_samples BIGINT NOT NULL, first_seq BIGINT NOT NULL, last_seq BIGINT NOT NULL,
        power_w_mean DOUBLE PRECISION NOT NULL, power_w_max DOUBLE PRECISION NOT NULL,
        cpu_util_mean DOUBLE PRECISION NOT NULL, soc_min DOUBLE PRECISION,
        solar_excess_w_mean DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (device, minute_ms));
    `,
  },
];
