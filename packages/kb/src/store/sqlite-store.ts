// The embedded store: one SQLite file in the data directory (WAL, synchronous=FULL so an acknowledged write
// survives a crash). Writes are serialised by SQLite itself; each takes the next version from `meta`.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { type Migration, SQLITE_MIGRATIONS } from "./migrations.js";
import {
  decodePageToken,
  encodePageToken,
  fromRow,
  nextResource,
  pageSizeOf,
  type ResourceRow,
  sampleFromRow,
  toRow,
} from "./rows.js";
import { matches } from "./selector.js";
import {
  type Change,
  type ChangeType,
  CompactedError,
  EtagMismatchError,
  type ListOptions,
  type ListPage,
  NotFoundError,
  type PutInput,
  type PutOptions,
  type PutResult,
  type ResourceKey,
  type Sample,
  type Store,
  type StoredResource,
  type TokenRecord,
} from "./store.js";

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

export class SqliteStore implements Store {
  readonly flavour = "sqlite";
  readonly #db: Database.Database;

  /** Opens (creating) `dir/kb.sqlite` and brings its schema up to date. */
  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.#db = new Database(join(dir, "kb.sqlite"));
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = FULL");
    this.#db.pragma("busy_timeout = 5000");
    migrateSqlite(this.#db, SQLITE_MIGRATIONS);
  }

  #getSync(key: ResourceKey): StoredResource | undefined {
    const row = this.#db
      .prepare("SELECT * FROM resources WHERE kind = ? AND namespace = ? AND name = ?")
      .get(key.kind, key.namespace, key.name) as ResourceRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  #nextVersion(): number {
    const row = this.#db
      .prepare("UPDATE meta SET value = value + 1 WHERE key = 'rv' RETURNING value")
      .get() as {
      value: number;
    };
    return Number(row.value);
  }

  #record(type: ChangeType, r: StoredResource): void {
    this.#db
      .prepare("INSERT INTO changes (rv, type, kind, namespace, name, object) VALUES (?, ?, ?, ?, ?, ?)")
      .run(r.resourceVersion, type, r.kind, r.namespace, r.name, JSON.stringify(r));
  }

  #write(r: StoredResource): void {
    this.#db
      .prepare(
        `INSERT INTO resources (kind, namespace, name, uid, labels, annotations, spec, status, rv, generation, create_ms, update_ms)
         VALUES (@kind, @namespace, @name, @uid, @labels, @annotations, @spec, @status, @rv, @generation, @create_ms, @update_ms)
         ON CONFLICT (kind, namespace, name) DO UPDATE SET uid = excluded.uid, labels = excluded.labels,
           annotations = excluded.annotations, spec = excluded.spec, status = excluded.status, rv = excluded.rv,
           generation = excluded.generation, update_ms = excluded.update_ms`,
      )
      .run(toRow(r));
  }

  async put(input: PutInput, options: PutOptions): Promise<PutResult> {
    return this.#db
      .transaction((): PutResult => {
        const existing = this.#getSync(input);
        if (options.etag !== undefined && existing?.etag !== options.etag)
          throw new EtagMismatchError(input, options.etag, existing?.etag);
        // a version is only taken when something changes
        const probe = nextResource(existing, input, 0, options.nowMs);
        if (!probe) return { resource: existing!, created: false, changed: false };
        const r = { ...probe, resourceVersion: this.#nextVersion() };
        this.#write(r);
        this.#record(existing ? "MODIFIED" : "ADDED", r);
        return { resource: r, created: !existing, changed: true };
      })
      .immediate();
  }

  async putStatus(key: ResourceKey, status: unknown, nowMs: number): Promise<StoredResource> {
    return this.#db
      .transaction((): StoredResource => {
        const existing = this.#getSync(key);
        if (!existing) throw new NotFoundError(key);
        const probe = nextResource(existing, { ...existing, status }, 0, nowMs);
        if (!probe) return existing;
        const r = { ...probe, resourceVersion: this.#nextVersion() };
        this.#write(r);
        this.#record("MODIFIED", r);
        return r;
      })
      .immediate();
  }

  async get(key: ResourceKey): Promise<StoredResource | undefined> {
    return this.#getSync(key);
  }

  async list(kind: string, options: ListOptions = {}): Promise<ListPage> {
    const size = pageSizeOf(options.pageSize);
    let cursor = decodePageToken(options.pageToken) ?? ["", ""];
    const head = Number(
      (this.#db.prepare("SELECT value FROM meta WHERE key = 'rv'").get() as { value: number }).value,
    );
    const items: StoredResource[] = [];
    const chunk = Math.max(200, size + 1);
    const ns = options.namespace;
    const stmt = this.#db.prepare(
      `SELECT * FROM resources WHERE kind = ? ${ns ? "AND namespace = ?" : ""} AND (namespace, name) > (?, ?)
       ORDER BY namespace, name LIMIT ?`,
    );
    for (;;) {
      const args: unknown[] = [kind, ...(ns ? [ns] : []), cursor[0], cursor[1], chunk];
      const rows = stmt.all(...args) as ResourceRow[];
      for (const row of rows) {
        const r = fromRow(row);
        if (!options.selector || matches(options.selector, r.labels)) items.push(r);
        if (items.length > size) break;
      }
      if (items.length > size || rows.length < chunk) break;
      const last = rows[rows.length - 1]!;
      cursor = [last.namespace, last.name];
    }
    const more = items.length > size;
    const page = items.slice(0, size);
    const last = page[page.length - 1];
    return {
      items: page,
      nextPageToken: more && last ? encodePageToken(last.namespace, last.name) : "",
      resourceVersion: head,
    };
  }

  async delete(key: ResourceKey, options: { etag?: string; nowMs: number }): Promise<StoredResource> {
    return this.#db
      .transaction((): StoredResource => {
        const existing = this.#getSync(key);
        if (!existing) throw new NotFoundError(key);
        if (options.etag !== undefined && existing.etag !== options.etag)
          throw new EtagMismatchError(key, options.etag, existing.etag);
        const r = { ...existing, resourceVersion: this.#nextVersion(), updateTimeMs: options.nowMs };
        this.#db
          .prepare("DELETE FROM resources WHERE kind = ? AND namespace = ? AND name = ?")
          .run(key.kind, key.namespace, key.name);
        this.#record("DELETED", r);
        return r;
      })
      .immediate();
  }

  async changes(afterVersion: number, limit: number): Promise<Change[]> {
    const compacted = Number(
      (this.#db.prepare("SELECT value FROM meta WHERE key = 'compacted'").get() as { value: number }).value,
    );
    if (afterVersion < compacted) throw new CompactedError(afterVersion, compacted + 1);
    const rows = this.#db
      .prepare("SELECT rv, type, object FROM changes WHERE rv > ? ORDER BY rv LIMIT ?")
      .all(afterVersion, limit) as { rv: number; type: string; object: string }[];
    return rows.map((r) => ({
      resourceVersion: Number(r.rv),
      type: r.type as ChangeType,
      resource: JSON.parse(r.object),
    }));
  }

  async headVersion(): Promise<number> {
    return Number(
      (this.#db.prepare("SELECT value FROM meta WHERE key = 'rv'").get() as { value: number }).value,
    );
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
      `INSERT OR REPLACE INTO samples (device, ts_ms, power_w, energy_wh, solar_energy_wh, carbon_g, cost, soc,
         solar_excess_w) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#db.transaction(() => {
      for (const s of samples)
        stmt.run(
          s.device,
          s.tsMs,
          s.powerW,
          s.energyWh,
          s.solarEnergyWh,
          s.carbonG,
          s.cost,
          s.soc,
          s.solarExcessW ?? null,
        );
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

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
