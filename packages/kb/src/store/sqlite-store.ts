// The embedded store: one SQLite file in the data directory (WAL, synchronous=FULL so an acknowledged write
// survives a crash). Writes are serialised by SQLite itself; each takes the next version from `meta`.
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import {
  type BackupInfo,
  DATA_TABLES,
  openBackup,
  openForRestore,
  RestoreTargetNotEmptyError,
  type Row,
  TABLES,
  USER_DATA_TABLES,
} from "./backup.js";
import { StoreBase } from "./base.js";
import { runBatch } from "./batch.js";
import { type Migration, SQLITE_MIGRATIONS } from "./migrations.js";
import { fromRow, type ResourceRow, SAMPLE_COLUMNS, sampleFromRow, sampleValues, toRow } from "./rows.js";
import type { ResourceKey, Sample, StoredResource, TokenRecord, WriteGroup, WriteOutcome } from "./store.js";
import { SqliteTelemetryStore, type TelemetryStore } from "./telemetry-store.js";

export function migrateSqlite(db: Database.Database, migrations: readonly Migration[]): number[] {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER)");
  const done = new Set(
    (db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)").run(
        m.version,
        Date.now(),
      );
    })();
    applied.push(m.version);
  }
  return applied;
}

export class SqliteStore extends StoreBase {
  readonly flavour = "sqlite";
  readonly #db: Database.Database;
  readonly #stmt: Record<"get" | "head" | "setHead" | "upsert" | "del" | "record", Database.Statement>;
  readonly telemetry: TelemetryStore;

  /** Opens (creating) `dir/kb.sqlite` and brings its schema up to date. */
  constructor(dir: string) {
    super();
    mkdirSync(dir, { recursive: true });
    this.#db = new Database(join(dir, "kb.sqlite"));
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = FULL");
    this.#db.pragma("busy_timeout = 5000");
    migrateSqlite(this.#db, SQLITE_MIGRATIONS);
    this.telemetry = new SqliteTelemetryStore(this.#db);
    const db = this.#db;
    this.#stmt = {
      get: db.prepare("SELECT * FROM resources WHERE kind = ? AND namespace = ? AND name = ?"),
      head: db.prepare("SELECT value FROM meta WHERE key = 'rv'"),
      setHead: db.prepare("UPDATE meta SET value = ? WHERE key = 'rv'"),
      upsert: db.prepare(
        `INSERT INTO resources (kind, namespace, name, uid, labels, annotations, spec, status, rv, generation, create_ms, update_ms)
         VALUES (@kind, @namespace, @name, @uid, @labels, @annotations, @spec, @status, @rv, @generation, @create_ms, @update_ms)
         ON CONFLICT (kind, namespace, name) DO UPDATE SET uid = excluded.uid, labels = excluded.labels,
           annotations = excluded.annotations, spec = excluded.spec, status = excluded.status, rv = excluded.rv,
           generation = excluded.generation, update_ms = excluded.update_ms`,
      ),
      del: db.prepare("DELETE FROM resources WHERE kind = ? AND namespace = ? AND name = ?"),
      record: db.prepare(
        "INSERT INTO changes (rv, type, kind, namespace, name, object) VALUES (?, ?, ?, ?, ?, ?)",
      ),
    };
  }

  #getSync(key: ResourceKey): StoredResource | undefined {
    const row = this.#stmt.get.get(key.kind, key.namespace, key.name) as ResourceRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  #head(): number {
    return Number((this.#stmt.head.get() as { value: number }).value);
  }

  async write(groups: readonly WriteGroup[]): Promise<(WriteOutcome[] | Error)[]> {
    return this.#db
      .transaction(() => {
        const head = this.#head();
        const out = runBatch(groups, head, (k) => this.#getSync(k));
        for (const { key, resource } of out.rows.values()) {
          if (resource) this.#stmt.upsert.run(toRow(resource));
          else this.#stmt.del.run(key.kind, key.namespace, key.name);
        }
        for (const c of out.changes) {
          const r = c.resource;
          this.#stmt.record.run(c.resourceVersion, c.type, r.kind, r.namespace, r.name, JSON.stringify(r));
        }
        if (out.head !== head) this.#stmt.setHead.run(out.head);
        return out.outcomes;
      })
      .immediate();
  }

  async get(key: ResourceKey): Promise<StoredResource | undefined> {
    return this.#getSync(key);
  }

  protected async listRows(
    kind: string,
    namespace: string | undefined,
    cursor: [string, string],
    limit: number,
  ): Promise<ResourceRow[]> {
    return this.#db
      .prepare(
        `SELECT * FROM resources WHERE kind = ? ${namespace ? "AND namespace = ?" : ""} AND (namespace, name) > (?, ?)
         ORDER BY namespace, name LIMIT ?`,
      )
      .all(kind, ...(namespace ? [namespace] : []), cursor[0], cursor[1], limit) as ResourceRow[];
  }

  protected async compactedVersion(): Promise<number> {
    return Number(
      (this.#db.prepare("SELECT value FROM meta WHERE key = 'compacted'").get() as { value: number }).value,
    );
  }

  protected async changeRows(afterVersion: number, limit: number) {
    return this.#db
      .prepare("SELECT rv, type, object FROM changes WHERE rv > ? ORDER BY rv LIMIT ?")
      .all(afterVersion, limit) as { rv: number; type: string; object: string }[];
  }

  async headVersion(): Promise<number> {
    return this.#head();
  }

  async compact(keep: number): Promise<void> {
    this.#db
      .transaction(() => {
        const head = Number(
          (this.#db.prepare("SELECT value FROM meta WHERE key = 'rv'").get() as { value: number }).value,
        );
        const upTo = head - keep;
        if (upTo <= 0) return;
        this.#db.prepare("DELETE FROM changes WHERE rv <= ?").run(upTo);
        this.#db.prepare("UPDATE meta SET value = MAX(value, ?) WHERE key = 'compacted'").run(upTo);
      })
      .immediate();
  }

  async pruneEvents(keep: number): Promise<number> {
    const info = this.#db
      .prepare(
        `DELETE FROM resources WHERE kind = 'Event' AND name NOT IN
           (SELECT name FROM resources WHERE kind = 'Event' ORDER BY name DESC LIMIT ?)`,
      )
      .run(keep);
    return info.changes;
  }

  async createToken(t: TokenRecord): Promise<void> {
    this.#db
      .prepare(
        "INSERT INTO tokens (id, hash, role, description, create_ms, expire_ms, revoked) VALUES (?, ?, ?, ?, ?, ?, 0)",
      )
      .run(t.id, t.hash, t.role, t.description, t.createTimeMs, t.expireTimeMs);
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const r = this.#db.prepare("SELECT * FROM tokens WHERE id = ?").get(id) as
      | {
          id: string;
          hash: string;
          role: string;
          description: string;
          create_ms: number;
          expire_ms: number;
          revoked: number;
        }
      | undefined;
    if (!r) return undefined;
    return {
      id: r.id,
      hash: r.hash,
      role: r.role as TokenRecord["role"],
      description: r.description,
      createTimeMs: Number(r.create_ms),
      expireTimeMs: Number(r.expire_ms),
      revoked: Boolean(r.revoked),
    };
  }

  async revokeToken(id: string): Promise<boolean> {
    return this.#db.prepare("UPDATE tokens SET revoked = 1 WHERE id = ?").run(id).changes > 0;
  }

  async addSamples(samples: readonly Sample[]): Promise<void> {
    const stmt = this.#db.prepare(
      `INSERT OR REPLACE INTO samples (${SAMPLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#db.transaction(() => {
      for (const s of samples) stmt.run(...sampleValues(s));
    })();
  }

  async series(device: string, fromMs: number, toMs: number, limit: number): Promise<Sample[]> {
    const rows = this.#db
      .prepare("SELECT * FROM samples WHERE device = ? AND ts_ms >= ? AND ts_ms <= ? ORDER BY ts_ms LIMIT ?")
      .all(device, fromMs, toMs, limit) as Record<string, number | string | null>[];
    return rows.map(sampleFromRow);
  }

  async tryLease(): Promise<boolean> {
    return true;
  }

  /** SQLite's online backup API: pages are copied while writers go on (a write meanwhile restarts the copy,
   * so the file is one consistent state). Written beside `file` and renamed into place. */
  async backup(file: string): Promise<BackupInfo> {
    const tmp = `${file}.partial`;
    rmSync(tmp, { force: true });
    try {
      // every page in each step after the first: another process writing meanwhile restarts the copy
      await this.#db.backup(tmp, { progress: () => 1_000_000 });
      renameSync(tmp, file);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    const source = await openBackup(file);
    const rows: Record<string, number> = {};
    let rv = 0;
    try {
      for await (const c of source.chunks()) {
        rows[c.table] = (rows[c.table] ?? 0) + c.rows.length;
        for (const r of c.rows) if (c.table === "meta" && r.key === "rv") rv = Number(r.value);
      }
    } finally {
      source.close();
    }
    return { file, format: "sqlite", resourceVersion: rv, rows };
  }

  async restore(file: string, options: { force?: boolean } = {}): Promise<BackupInfo> {
    await this.drain();
    const source = await openForRestore(file, Math.max(...SQLITE_MIGRATIONS.map((m) => m.version)));
    const db = this.#db;
    const rows: Record<string, number> = {};
    let rv = 0;
    try {
      db.exec("BEGIN IMMEDIATE");
      try {
        const head = this.#head();
        const used = db
          .prepare(`SELECT ${USER_DATA_TABLES.map((t) => `(SELECT COUNT(*) FROM ${t})`).join(" + ")} AS n`)
          .get() as { n: number };
        if ((head > 1 || used.n > 0) && !options.force) throw new RestoreTargetNotEmptyError(head);
        for (const t of DATA_TABLES) db.exec(`DELETE FROM ${t}`);
        const insert = new Map(
          Object.entries(TABLES).map(([t, cols]) => [
            t,
            db.prepare(
              `INSERT INTO ${t} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})${
                t === "meta" ? " ON CONFLICT (key) DO UPDATE SET value = excluded.value" : ""
              }`,
            ),
          ]),
        );
        const value = (v: Row[string]) => (typeof v === "boolean" ? Number(v) : v);
        for await (const c of source.chunks()) {
          const stmt = insert.get(c.table)!;
          for (const r of c.rows) {
            stmt.run(...TABLES[c.table]!.map((col) => value(r[col] ?? null)));
            if (c.table === "meta" && r.key === "rv") rv = Number(r.value);
          }
          rows[c.table] = (rows[c.table] ?? 0) + c.rows.length;
        }
        db.exec("COMMIT");
      } catch (err) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw err;
      }
    } finally {
      source.close();
    }
    return { file, format: source.format, resourceVersion: rv, rows };
  }

  async close(): Promise<void> {
    await this.drain();
    if (this.#db.open) this.#db.close();
  }
}
