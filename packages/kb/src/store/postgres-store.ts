// The shared store: PostgreSQL through `pg`. Several `kb serve` processes may use one database: writers
// serialise on the `meta` row that holds the version counter (so versions commit in order and a watcher never
// skips one), and one process at a time holds the planning lease, a session advisory lock.
import pg from "pg";
import {
  BackupFormatError,
  type BackupInfo,
  JsonlWriter,
  openBackup,
  RestoreTargetNotEmptyError,
  TABLE_KEYS,
  TABLES,
} from "./backup.js";
import { StoreBase } from "./base.js";
import { keyString, keysRead, runBatch } from "./batch.js";
import { type Migration, POSTGRES_MIGRATIONS } from "./migrations.js";
import { fromRow, type ResourceRow, sampleFromRow, toRow } from "./rows.js";
import {
  type Change,
  type ChangeType,
  CompactedError,
  type ResourceKey,
  type Sample,
  type StoredResource,
  type TokenRecord,
  type WriteGroup,
  type WriteOutcome,
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

export class PostgresStore extends StoreBase {
  readonly flavour = "postgres";
  #lease: pg.Client | undefined;

  private constructor(
    readonly pool: pg.Pool,
    readonly config: pg.ClientConfig,
  ) {
    super();
  }

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

  /** Every row of `keys` in one query. */
  async #getMany(c: Q, keys: readonly ResourceKey[]): Promise<Map<string, StoredResource>> {
    const out = new Map<string, StoredResource>();
    if (keys.length === 0) return out;
    const r = await c.query<ResourceRow>(
      `SELECT r.* FROM resources r JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(kind, namespace, name)
         ON r.kind = k.kind COLLATE "C" AND r.namespace = k.namespace COLLATE "C" AND r.name = k.name COLLATE "C"`,
      [keys.map((k) => k.kind), keys.map((k) => k.namespace), keys.map((k) => k.name)],
    );
    for (const row of r.rows) {
      const res = fromRow(row);
      out.set(keyString(res), res);
    }
    return out;
  }

  /** A batch in four round trips: BEGIN with the version lock, the rows it reads, every write in one
   * statement, COMMIT. */
  async write(groups: readonly WriteGroup[]): Promise<(WriteOutcome[] | Error)[]> {
    const c = await this.pool.connect();
    try {
      const [, locked] = (await c.query(
        "BEGIN; SELECT value FROM meta WHERE key = 'rv' FOR UPDATE",
      )) as unknown as pg.QueryResult[];
      const head = Number(locked!.rows[0].value);
      const existing = await this.#getMany(c, keysRead(groups));
      const out = runBatch(groups, head, (k) => existing.get(keyString(k)));
      if (out.changes.length) {
        const upserts = [...out.rows.values()].flatMap((w) => (w.resource ? [toRow(w.resource)] : []));
        const deletes = [...out.rows.values()].filter((w) => !w.resource).map((w) => w.key);
        const col = <K extends keyof ResourceRow>(k: K) => upserts.map((r) => r[k]);
        const ch = out.changes;
        // disjoint keys (a key is either stored or deleted), so the sub-statements cannot interfere
        await c.query(
          `WITH d AS (
             DELETE FROM resources r USING unnest($1::text[], $2::text[], $3::text[]) AS k(kind, namespace, name)
             WHERE r.kind = k.kind COLLATE "C" AND r.namespace = k.namespace COLLATE "C" AND r.name = k.name COLLATE "C"
           ), u AS (
             INSERT INTO resources (kind, namespace, name, uid, labels, annotations, spec, status, rv, generation, create_ms, update_ms)
             SELECT * FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
               $11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[])
             ON CONFLICT (kind, namespace, name) DO UPDATE SET uid = excluded.uid, labels = excluded.labels,
               annotations = excluded.annotations, spec = excluded.spec, status = excluded.status, rv = excluded.rv,
               generation = excluded.generation, update_ms = excluded.update_ms
           ), c AS (
             INSERT INTO changes (rv, type, kind, namespace, name, object)
             SELECT * FROM unnest($16::bigint[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[])
           )
           UPDATE meta SET value = $22 WHERE key = 'rv'`,
          [
            deletes.map((k) => k.kind),
            deletes.map((k) => k.namespace),
            deletes.map((k) => k.name),
            col("kind"),
            col("namespace"),
            col("name"),
            col("uid"),
            col("labels"),
            col("annotations"),
            col("spec"),
            col("status"),
            col("rv"),
            col("generation"),
            col("create_ms"),
            col("update_ms"),
            ch.map((x) => x.resourceVersion),
            ch.map((x) => x.type),
            ch.map((x) => x.resource.kind),
            ch.map((x) => x.resource.namespace),
            ch.map((x) => x.resource.name),
            ch.map((x) => JSON.stringify(x.resource)),
            out.head,
          ],
        );
      }
      await c.query("COMMIT");
      return out.outcomes;
    } catch (err) {
      await c.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async get(key: ResourceKey): Promise<StoredResource | undefined> {
    return this.#get(this.pool, key);
  }

  protected async listRows(
    kind: string,
    namespace: string | undefined,
    cursor: [string, string],
    limit: number,
  ): Promise<ResourceRow[]> {
    return (
      await this.pool.query<ResourceRow>(
        `SELECT * FROM resources WHERE kind = $1 AND ($2::text IS NULL OR namespace = $2)
           AND (namespace, name) > ($3, $4) ORDER BY namespace, name LIMIT $5`,
        [kind, namespace ?? null, cursor[0], cursor[1], limit],
      )
    ).rows;
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
          `INSERT INTO samples (device, ts_ms, power_w, energy_wh, solar_energy_wh, carbon_g, cost, soc)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (device, ts_ms) DO UPDATE SET power_w = excluded.power_w, energy_wh = excluded.energy_wh,
             solar_energy_wh = excluded.solar_energy_wh, carbon_g = excluded.carbon_g, cost = excluded.cost,
             soc = excluded.soc`,
          [s.device, s.tsMs, s.powerW, s.energyWh, s.solarEnergyWh, s.carbonG, s.cost, s.soc],
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

  /** JSON lines read inside one REPEATABLE READ, READ ONLY transaction: one consistent snapshot while the
   * servers keep writing. */
  async backup(file: string): Promise<BackupInfo> {
    const c = await this.pool.connect();
    const known = Math.max(...POSTGRES_MIGRATIONS.map((m) => m.version));
    const out = new JsonlWriter(file, { store: "postgres", schemaVersion: known, createdMs: Date.now() });
    let rv = 0;
    try {
      await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const schema = Number((await c.query("SELECT MAX(version) AS v FROM schema_migrations")).rows[0].v);
      if (schema !== known)
        throw new Error(`the store's schema is version ${schema}, this qonnect's ${known}`);
      for (const [table, cols] of Object.entries(TABLES))
        for (let offset = 0; ; offset += 1000) {
          const rows = (
            await c.query(
              `SELECT ${cols.join(", ")} FROM ${table} ORDER BY ${TABLE_KEYS[table]} LIMIT 1000 OFFSET $1`,
              [offset],
            )
          ).rows;
          for (const r of rows) {
            out.add(table, r);
            if (table === "meta" && r.key === "rv") rv = Number(r.value);
          }
          if (rows.length < 1000) break;
        }
      await c.query("COMMIT");
      out.finish();
    } catch (err) {
      await c.query("ROLLBACK").catch(() => {});
      out.abort();
      throw err;
    } finally {
      c.release();
    }
    return { file, format: "jsonl", resourceVersion: rv, rows: out.rows };
  }

  async restore(file: string, options: { force?: boolean } = {}): Promise<BackupInfo> {
    await this.drain();
    const source = await openBackup(file);
    const known = Math.max(...POSTGRES_MIGRATIONS.map((m) => m.version));
    const rows: Record<string, number> = {};
    let rv = 0;
    try {
      if (source.schemaVersion > known)
        throw new BackupFormatError(
          file,
          `schema version ${source.schemaVersion} is newer than this qonnect's ${known}`,
        );
      await this.#tx(async (c) => {
        const head = await this.#lockVersion(c);
        const used = Number(
          (await c.query("SELECT (SELECT COUNT(*) FROM tokens) + (SELECT COUNT(*) FROM samples) AS n"))
            .rows[0].n,
        );
        if ((head > 1 || used > 0) && !options.force) throw new RestoreTargetNotEmptyError(head);
        await c.query("DELETE FROM resources; DELETE FROM changes; DELETE FROM tokens; DELETE FROM samples");
        for await (const chunk of source.chunks()) {
          const cols = TABLES[chunk.table]!;
          // a few hundred rows per statement (PostgreSQL takes at most 65,535 parameters)
          for (let i = 0; i < chunk.rows.length; i += 250) {
            const part = chunk.rows.slice(i, i + 250);
            const values = part.map(
              (_, k) => `(${cols.map((_c, j) => `$${k * cols.length + j + 1}`).join(", ")})`,
            );
            await c.query(
              `INSERT INTO ${chunk.table} (${cols.join(", ")}) VALUES ${values.join(", ")}${
                chunk.table === "meta" ? " ON CONFLICT (key) DO UPDATE SET value = excluded.value" : ""
              }`,
              part.flatMap((r) => cols.map((col) => r[col] ?? null)),
            );
          }
          for (const r of chunk.rows) if (chunk.table === "meta" && r.key === "rv") rv = Number(r.value);
          rows[chunk.table] = (rows[chunk.table] ?? 0) + chunk.rows.length;
        }
      });
    } finally {
      source.close();
    }
    return { file, format: source.format, resourceVersion: rv, rows };
  }

  async close(): Promise<void> {
    await this.drain();
    if (this.#lease) await this.#lease.end().catch(() => {});
    this.#lease = undefined;
    await this.pool.end();
  }
}
