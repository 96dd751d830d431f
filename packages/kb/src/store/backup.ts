// Backups of a Knowledge Base store, and reading them back. A SQLite store is copied with SQLite's online
// backup API (a SQLite file, consistent while kb serve keeps writing); a PostgreSQL store is exported as JSON
// lines inside one REPEATABLE READ transaction (a consistent snapshot). Either file restores into either
// store: every table is carried over as it is, so resources keep their resourceVersions, the watch log can
// be resumed, and tokens keep working.
import {
  closeSync,
  createReadStream,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { createInterface } from "node:readline";

export const BACKUP_MAGIC = "qonnect-kb-backup";

/** The tables of a store and their columns, in restore order (identical names in both stores). */
export const TABLES: Record<string, readonly string[]> = {
  meta: ["key", "value"],
  resources: [
    "kind",
    "namespace",
    "name",
    "uid",
    "labels",
    "annotations",
    "spec",
    "status",
    "rv",
    "generation",
    "create_ms",
    "update_ms",
  ],
  changes: ["rv", "type", "kind", "namespace", "name", "object"],
  tokens: ["id", "hash", "role", "description", "create_ms", "expire_ms", "revoked"],
  samples: [
    "device",
    "ts_ms",
    "power_w",
    "energy_wh",
    "solar_energy_wh",
    "carbon_g",
    "cost",
    "soc",
    "solar_excess_w",
  ],
  telemetry: [
    "device",
    "seq",
    "region",
    "ts_ms",
    "received_ms",
    "late",
    "power_w",
    "bus_voltage_v",
    "current_a",
    "cpu_util",
    "memory_used_bytes",
    "soc",
    "solar_excess_w",
  ],
  telemetry_minutes: [
    "device",
    "minute_ms",
    "region",
    "samples",
    "late_samples",
    "first_seq",
    "last_seq",
    "power_w_mean",
    "power_w_max",
    "cpu_util_mean",
    "soc_min",
    "solar_excess_w_mean",
  ],
};

/** Each table's primary key, for a stable export order. */
export const TABLE_KEYS: Record<string, string> = {
  meta: "key",
  resources: "kind, namespace, name",
  changes: "rv",
  tokens: "id",
  samples: "device, ts_ms",
  telemetry: "device, seq",
  telemetry_minutes: "device, minute_ms",
};

/** The tables a restore empties first (meta is updated in place), and what makes a store "not empty". */
export const DATA_TABLES = [
  "resources",
  "changes",
  "tokens",
  "samples",
  "telemetry",
  "telemetry_minutes",
] as const;
export const USER_DATA_TABLES = ["tokens", "samples", "telemetry", "telemetry_minutes"] as const;

const NUMERIC = new Set([
  "value",
  "rv",
  "generation",
  "create_ms",
  "update_ms",
  "expire_ms",
  "ts_ms",
  "power_w",
  "energy_wh",
  "solar_energy_wh",
  "carbon_g",
  "cost",
  "soc",
  "solar_excess_w",
  "seq",
  "received_ms",
  "bus_voltage_v",
  "current_a",
  "cpu_util",
  "memory_used_bytes",
  // every column of the per-minute telemetry but its two names
  ...(TABLES.telemetry_minutes ?? []).filter((c) => c !== "device" && c !== "region"),
]);

/** Columns that one store keeps as BOOLEAN and the other as INTEGER 0/1. */
const BOOLEAN = new Set(["revoked", "late"]);

export type Row = Record<string, string | number | boolean | null>;

/** A row as both stores accept it: numbers as numbers (PostgreSQL returns BIGINT as text), revoked and late as boolean. */
export function normaliseRow(table: string, row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const c of TABLES[table]!) {
    const v = row[c];
    if (v === null || v === undefined) out[c] = null;
    else if (BOOLEAN.has(c)) out[c] = v === true || v === 1 || v === "1" || v === "true";
    else if (NUMERIC.has(c)) out[c] = Number(v);
    else out[c] = String(v);
  }
  return out;
}

export interface BackupInfo {
  file: string;
  /** `sqlite` (a SQLite database file) or `jsonl` (JSON lines). */
  format: "sqlite" | "jsonl";
  /** The store's head resource version. */
  resourceVersion: number;
  /** Rows per table. */
  rows: Record<string, number>;
}

export interface BackupHeader {
  magic: typeof BACKUP_MAGIC;
  formatVersion: 1;
  /** The store it came from. */
  store: string;
  schemaVersion: number;
  createdMs: number;
}

/** A backup being read: its schema version, then its rows table by table, in chunks. */
export interface BackupSource {
  format: "sqlite" | "jsonl";
  schemaVersion: number;
  chunks(): AsyncGenerator<{ table: string; rows: Row[] }>;
  close(): void;
}

export class BackupFormatError extends Error {
  override name = "BackupFormatError";
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(`${file} is not a Knowledge Base backup (${why}); make one with qonnect kb backup`);
  }
}

export class RestoreTargetNotEmptyError extends Error {
  override name = "RestoreTargetNotEmptyError";
  constructor(readonly resourceVersion: number) {
    super(
      `the target store is not empty (resource version ${resourceVersion}); restore into an empty one, or pass --force to replace everything in it`,
    );
  }
}

const CHUNK = 1000;

function startsWithSqlite(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    return n === 16 && head.toString("latin1") === "SQLite format 3\u0000";
  } finally {
    closeSync(fd);
  }
}

/** Opens a backup of either format. */
export async function openBackup(file: string): Promise<BackupSource> {
  let sqlite: boolean;
  try {
    sqlite = startsWithSqlite(file);
  } catch (err) {
    throw new BackupFormatError(file, (err as Error).message);
  }
  return sqlite ? openSqliteBackup(file) : openJsonlBackup(file);
}

/** Opens a backup to restore into a store whose newest migration is `knownSchema`. */
export async function openForRestore(file: string, knownSchema: number): Promise<BackupSource> {
  const source = await openBackup(file);
  if (source.schemaVersion > knownSchema) {
    source.close();
    throw new BackupFormatError(
      file,
      `schema version ${source.schemaVersion} is newer than this qonnect's ${knownSchema}`,
    );
  }
  return source;
}

async function openSqliteBackup(file: string): Promise<BackupSource> {
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(file, { readonly: true, fileMustExist: true });
  let schemaVersion: number;
  try {
    schemaVersion = Number(
      (db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number }).v,
    );
    db.prepare("SELECT 1 FROM resources LIMIT 1").all();
  } catch (err) {
    db.close();
    throw new BackupFormatError(file, (err as Error).message);
  }
  return {
    format: "sqlite",
    schemaVersion,
    async *chunks() {
      for (const table of Object.keys(TABLES)) {
        let rows: Row[] = [];
        // a backup of an older schema lacks the newer columns (samples.solar_excess_w before version 3):
        // read what it has, the rest restores as null
        const has = new Set(
          (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name),
        );
        const cols = TABLES[table]!.filter((c) => has.has(c));
        // and a backup of schema 1 has no telemetry table at all
        if (cols.length === 0) continue;
        for (const r of db
          .prepare(`SELECT ${cols.join(", ")} FROM ${table} ORDER BY ${TABLE_KEYS[table]}`)
          .iterate() as Iterable<Record<string, unknown>>) {
          rows.push(normaliseRow(table, r));
          if (rows.length >= CHUNK) {
            yield { table, rows };
            rows = [];
          }
        }
        if (rows.length) yield { table, rows };
      }
    },
    close: () => db.close(),
  };
}

async function openJsonlBackup(file: string): Promise<BackupSource> {
  const lines = createInterface({
    input: createReadStream(file, "utf8"),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const it = lines[Symbol.asyncIterator]();
  const first = await it.next();
  let header: BackupHeader;
  try {
    header = JSON.parse(first.done ? "" : first.value);
  } catch {
    lines.close();
    throw new BackupFormatError(file, "neither a SQLite file nor JSON lines");
  }
  if (header?.magic !== BACKUP_MAGIC || header.formatVersion !== 1) {
    lines.close();
    throw new BackupFormatError(file, "no qonnect-kb-backup header line");
  }
  return {
    format: "jsonl",
    schemaVersion: header.schemaVersion,
    async *chunks() {
      let table = "";
      let rows: Row[] = [];
      let lineNo = 1;
      for (let n = await it.next(); !n.done; n = await it.next()) {
        lineNo++;
        if (!n.value) continue;
        let entry: { t: string; r: Record<string, unknown> };
        try {
          entry = JSON.parse(n.value);
        } catch {
          throw new BackupFormatError(file, `line ${lineNo} is not JSON (a truncated copy?)`);
        }
        if (!TABLES[entry.t]) throw new BackupFormatError(file, `line ${lineNo}: unknown table ${entry.t}`);
        if ((entry.t !== table && rows.length) || rows.length >= CHUNK) {
          yield { table, rows };
          rows = [];
        }
        table = entry.t;
        rows.push(normaliseRow(entry.t, entry.r));
      }
      if (rows.length) yield { table, rows };
    },
    close: () => lines.close(),
  };
}

/** Writes a JSON-lines backup: the header, then one `{"t": table, "r": row}` per line. Written to a
 * temporary file that is fsynced and renamed into place, so a failed backup leaves no partial file. */
export class JsonlWriter {
  readonly #fd: number;
  readonly #tmp: string;
  #buffer: string[] = [];
  readonly rows: Record<string, number> = {};

  constructor(
    readonly file: string,
    header: Omit<BackupHeader, "magic" | "formatVersion">,
  ) {
    this.#tmp = `${file}.partial`;
    this.#fd = openSync(this.#tmp, "w", 0o600);
    this.#buffer.push(JSON.stringify({ magic: BACKUP_MAGIC, formatVersion: 1, ...header }));
  }

  add(table: string, row: Record<string, unknown>): void {
    this.#buffer.push(JSON.stringify({ t: table, r: normaliseRow(table, row) }));
    this.rows[table] = (this.rows[table] ?? 0) + 1;
    if (this.#buffer.length >= CHUNK) this.#flush();
  }

  #flush(): void {
    if (!this.#buffer.length) return;
    writeSync(this.#fd, `${this.#buffer.join("\n")}\n`);
    this.#buffer = [];
  }

  /** Completes the file (fsynced, renamed into place). */
  finish(): void {
    this.#flush();
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    renameSync(this.#tmp, this.file);
  }

  /** Gives up: the partial file is removed. */
  abort(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // already closed
    }
    rmSync(this.#tmp, { force: true });
  }
}
