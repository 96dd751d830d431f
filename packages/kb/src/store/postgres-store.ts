// The shared store: PostgreSQL through `pg`. Several `kb serve` processes may use one database: writers
// serialise on the `meta` row that holds the version counter (so versions commit in order and a watcher never
// skips one), and one process at a time holds the planning lease, a session advisory lock.
import pg from "pg";
import { type Migration, POSTGRES_MIGRATIONS } from "./migrations.js";
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

const MIGRATION_LOCK = 7_301;
const LEASE_LOCK = 7_302;

export interface PostgresStoreOptions {
  /** Schema for every table (created if missing). Default `public`. */
  schema?: string;
  /** Pool size. Default 8. */
  max?: number;
}

type Q = pg.PoolClient | pg.Pool | pg.Client;

async function migratePostgres(client: pg.PoolClient, migrations: readonly Migration[]): Promise<number[]> {
  await client.query("SELECT pg_advisory_lock($1, hashtext(current_schema()))", [MIGRATION_LOCK]);
  try {
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT)",
    );
    const done = new Set(
      (await client.query("SELECT version FROM schema_migrations")).rows.map((r) => Number(r.version)),
    );
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query("INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)", [
          m.version,
          Date.now(),
        ]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw err;
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1, hashtext(current_schema()))", [MIGRATION_LOCK]);
  }
}

export class PostgresStore implements Store {
  readonly flavour = "postgres";
  #lease: pg.Client | undefined;

  private constructor(
    readonly pool: pg.Pool,
    readonly config: pg.ClientConfig,
  ) {}

  /** Connects, creates the schema if needed and brings it up to date. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const schema = options.schema ?? "public";
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}: use [a-z0-9_]`);
    const config: pg.ClientConfig = { connectionString: url, options: `-c search_path=${schema}` };
    const pool = new pg.Pool({ ...config, max: options.max ?? 8 });
    pool.on("error", () => {
      // an idle client lost its connection: the pool replaces it on the next query
    });
    const client = await pool.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await migratePostgres(client, POSTGRES_MIGRATIONS);
    } finally {
      client.release();
    }
    return new PostgresStore(pool, config);
  }

  async #tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (err) {
      await c.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  /** Serialises writers: everything after this in the transaction runs one writer at a time. */
  async #lockVersion(c: Q): Promise<number> {
    const r = await c.query("SELECT value FROM meta WHERE key = 'rv' FOR UPDATE");
    return Number(r.rows[0].value);
  }

  async #get(c: Q, key: ResourceKey): Promise<StoredResource | undefined> {
    const r = await c.query<ResourceRow>(
      "SELECT * FROM resources WHERE kind = $1 AND namespace = $2 AND name = $3",
      [key.kind, key.namespace, key.name],
    );
    return r.rows[0] ? fromRow(r.rows[0]) : undefined;
  }

  async #commitChange(c: Q, type: ChangeType, r: StoredResource, write: boolean): Promise<void> {
    await c.query("UPDATE meta SET value = $1 WHERE key = 'rv'", [r.resourceVersion]);
    if (write) {
      const row = toRow(r);
      await c.query(
        `INSERT INTO resources (kind, namespace, name, uid, labels, annotations, spec, status, rv, generation, create_ms, update_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (kind, namespace, name) DO UPDATE SET uid = excluded.uid, labels = excluded.labels,
           annotations = excluded.annotations, spec = excluded.spec, status = excluded.status, rv = excluded.rv,
           generation = excluded.generation, update_ms = excluded.update_ms`,
        [
          row.kind,
          row.namespace,
          row.name,
          row.uid,
          row.labels,
          row.annotations,
          row.spec,
          row.status,
          row.rv,
          row.generation,
          row.create_ms,
          row.update_ms,
        ],
      );
    }
    await c.query(
      "INSERT INTO changes (rv, type, kind, namespace, name, object) VALUES ($1, $2, $3, $4, $5, $6)",
      [r.resourceVersion, type, r.kind, r.namespace, r.name, JSON.stringify(r)],
    );
  }

  async put(input: PutInput, options: PutOptions): Promise<PutResult> {
    return this.#tx(async (c) => {
      const head = await this.#lockVersion(c);
      const existing = await this.#get(c, input);
      if (options.etag !== undefined && existing?.etag !== options.etag)
        throw new EtagMismatchError(input, options.etag, existing?.etag);
      const r = nextResource(existing, input, head + 1, options.nowMs);
      if (!r) return { resource: existing!, created: false, changed: false };
      await this.#commitChange(c, existing ? "MODIFIED" : "ADDED", r, true);
      return { resource: r, created: !existing, changed: true };
    });
  }

  async putStatus(key: ResourceKey, status: unknown, nowMs: number): Promise<StoredResource> {
    return this.#tx(async (c) => {
      const head = await this.#lockVersion(c);
      const existing = await this.#get(c, key);
      if (!existing) throw new NotFoundError(key);
      const r = nextResource(existing, { ...existing, status }, head + 1, nowMs);
      if (!r) return existing;
      await this.#commitChange(c, "MODIFIED", r, true);
      return r;
    });
  }

  async get(key: ResourceKey): Promise<StoredResource | undefined> {
    return this.#get(this.pool, key);
  }

  async list(kind: string, options: ListOptions = {}): Promise<ListPage> {
    const size = pageSizeOf(options.pageSize);
    let cursor = decodePageToken(options.pageToken) ?? ["", ""];
    const head = await this.headVersion();
    const items: StoredResource[] = [];
    const chunk = Math.max(200, size + 1);
    const ns = options.namespace;
    for (;;) {
      const rows = (
        await this.pool.query<ResourceRow>(
          `SELECT * FROM resources WHERE kind = $1 AND ($2::text IS NULL OR namespace = $2)
             AND (namespace, name) > ($3, $4) ORDER BY namespace, name LIMIT $5`,
          [kind, ns ?? null, cursor[0], cursor[1], chunk],
        )
      ).rows;
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
    return this.#tx(async (c) => {
      const head = await this.#lockVersion(c);
      const existing = await this.#get(c, key);
      if (!existing) throw new NotFoundError(key);
      if (options.etag !== undefined && existing.etag !== options.etag)
        throw new EtagMismatchError(key, options.etag, existing.etag);
      const r = { ...existing, resourceVersion: head + 1, updateTimeMs: options.nowMs };
      await c.query("DELETE FROM resources WHERE kind = $1 AND namespace = $2 AND name = $3", [
        key.kind,
        key.namespace,
        key.name,
      ]);
      await this.#commitChange(c, "DELETED", r, false);
      return r;
    });
  }

  async changes(afterVersion: number, limit: number): Promise<Change[]> {
    const compacted = Number(
      (await this.pool.query("SELECT value FROM meta WHERE key = 'compacted'")).rows[0].value,
    );
    if (afterVersion < compacted) throw new CompactedError(afterVersion, compacted + 1);
    const rows = (
      await this.pool.query("SELECT rv, type, object FROM changes WHERE rv > $1 ORDER BY rv LIMIT $2", [
        afterVersion,
        limit,
      ])
    ).rows as { rv: string; type: string; object: string }[];
    return rows.map((r) => ({
      resourceVersion: Number(r.rv),
      type: r.type as ChangeType,
      resource: JSON.parse(r.object),
    }));
  }

  async headVersion(): Promise<number> {
    return Number((await this.pool.query("SELECT value FROM meta WHERE key = 'rv'")).rows[0].value);
  }

  async compact(keep: number): Promise<void> {
    await this.#tx(async (c) => {
      const head = await this.#lockVersion(c);
      const upTo = head - keep;
      if (upTo <= 0) return;
      await c.query("DELETE FROM changes WHERE rv <= $1", [upTo]);
      await c.query("UPDATE meta SET value = GREATEST(value, $1) WHERE key = 'compacted'", [upTo]);
    });
  }

  async pruneEvents(keep: number): Promise<number> {
    const r = await this.pool.query(
      `DELETE FROM resources WHERE kind = 'Event' AND name NOT IN
         (SELECT name FROM resources WHERE kind = 'Event' ORDER BY name DESC LIMIT $1)`,
      [keep],
    );
    return r.rowCount ?? 0;
  }

  async createToken(t: TokenRecord): Promise<void> {
    await this.pool.query(
      "INSERT INTO tokens (id, hash, role, description, create_ms, expire_ms, revoked) VALUES ($1, $2, $3, $4, $5, $6, false)",
      [t.id, t.hash, t.role, t.description, t.createTimeMs, t.expireTimeMs],
    );
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const r = (await this.pool.query("SELECT * FROM tokens WHERE id = $1", [id])).rows[0];
    if (!r) return undefined;
    return {
      id: r.id,
      hash: r.hash,
      role: r.role,
      description: r.description,
      createTimeMs: Number(r.create_ms),
      expireTimeMs: Number(r.expire_ms),
      revoked: Boolean(r.revoked),
    };
  }

  async revokeToken(id: string): Promise<boolean> {
    return (
      ((await this.pool.query("UPDATE tokens SET revoked = true WHERE id = $1", [id])).rowCount ?? 0) > 0
    );
  }

  async addSamples(samples: readonly Sample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.#tx(async (c) => {
      for (const s of samples)
        await c.query(
          `INSERT INTO samples (device, ts_ms, power_w, energy_wh, solar_energy_wh, carbon_g, cost, soc,
             solar_excess_w) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (device, ts_ms) DO UPDATE SET power_w = excluded.power_w, energy_wh = excluded.energy_wh,
             solar_energy_wh = excluded.solar_energy_wh, carbon_g = excluded.carbon_g, cost = excluded.cost,
             soc = excluded.soc, solar_excess_w = excluded.solar_excess_w`,
          [
            s.device,
            s.tsMs,
            s.powerW,
            s.energyWh,
            s.solarEnergyWh,
            s.carbonG,
            s.cost,
            s.soc,
            s.solarExcessW ?? null,
          ],
        );
    });
  }

  async series(device: string, fromMs: number, toMs: number, limit: number): Promise<Sample[]> {
    const rows = (
      await this.pool.query(
        "SELECT * FROM samples WHERE device = $1 AND ts_ms >= $2 AND ts_ms <= $3 ORDER BY ts_ms LIMIT $4",
        [device, fromMs, toMs, limit],
      )
    ).rows;
    return rows.map(sampleFromRow);
  }

  async tryLease(): Promise<boolean> {
    if (this.#lease) {
      try {
        await this.#lease.query("SELECT 1");
        return true;
      } catch {
        this.#lease.end().catch(() => {});
        this.#lease = undefined;
      }
    }
    const client = new pg.Client(this.config);
    client.on("error", () => {});
    try {
      await client.connect();
      const r = await client.query("SELECT pg_try_advisory_lock($1, hashtext(current_schema())) AS ok", [
        LEASE_LOCK,
      ]);
      if (r.rows[0].ok) {
        this.#lease = client;
        return true;
      }
    } catch {
      // no database: no lease
    }
    await client.end().catch(() => {});
    return false;
  }

  async close(): Promise<void> {
    if (this.#lease) await this.#lease.end().catch(() => {});
    this.#lease = undefined;
    await this.pool.end();
  }
}
