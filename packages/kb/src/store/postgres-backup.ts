// PostgreSQL backups: every table exported as JSON lines inside one REPEATABLE READ, READ ONLY transaction
// (one consistent snapshot, writers not blocked), and a backup of either format imported in the caller's
// transaction (all or nothing).
import type pg from "pg";
import {
  type BackupInfo,
  type BackupSource,
  DATA_TABLES,
  JsonlWriter,
  RestoreTargetNotEmptyError,
  TABLE_KEYS,
  TABLES,
  USER_DATA_TABLES,
} from "./backup.js";

export async function exportPostgres(
  c: pg.PoolClient,
  file: string,
  schemaVersion: number,
): Promise<BackupInfo> {
  const out = new JsonlWriter(file, { store: "postgres", schemaVersion, createdMs: Date.now() });
  let rv = 0;
  try {
    await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const schema = Number((await c.query("SELECT MAX(version) AS v FROM schema_migrations")).rows[0].v);
    if (schema !== schemaVersion)
      throw new Error(`the store's schema is version ${schema}, this qonnect's ${schemaVersion}`);
    // a server-side cursor per table: one pass over it, however large the telemetry history is
    for (const [table, cols] of Object.entries(TABLES)) {
      await c.query(
        `DECLARE backup_rows NO SCROLL CURSOR FOR SELECT ${cols.join(", ")} FROM ${table} ORDER BY ${TABLE_KEYS[table]}`,
      );
      for (;;) {
        const rows = (await c.query("FETCH 1000 FROM backup_rows")).rows;
        for (const r of rows) {
          out.add(table, r);
          if (table === "meta" && r.key === "rv") rv = Number(r.value);
        }
        if (rows.length < 1000) break;
      }
      await c.query("CLOSE backup_rows");
    }
    await c.query("COMMIT");
    out.finish();
  } catch (err) {
    await c.query("ROLLBACK").catch(() => {});
    out.abort();
    throw err;
  }
  return { file, format: "jsonl", resourceVersion: rv, rows: out.rows };
}

/** Replaces the tables' content with the backup's, inside the caller's transaction (which holds the
 * version lock; `head` is the store's version). */
export async function importPostgres(
  c: pg.PoolClient,
  source: BackupSource,
  head: number,
  options: { force?: boolean },
): Promise<BackupInfo> {
  const rows: Record<string, number> = {};
  let rv = 0;
  const used = Number(
    (await c.query(`SELECT ${USER_DATA_TABLES.map((t) => `(SELECT COUNT(*) FROM ${t})`).join(" + ")} AS n`))
      .rows[0].n,
  );
  if ((head > 1 || used > 0) && !options.force) throw new RestoreTargetNotEmptyError(head);
  await c.query(DATA_TABLES.map((t) => `DELETE FROM ${t}`).join("; "));
  for await (const chunk of source.chunks()) {
    const cols = TABLES[chunk.table]!;
    // a few hundred rows per statement (PostgreSQL takes at most 65,535 parameters)
    for (let i = 0; i < chunk.rows.length; i += 250) {
      const part = chunk.rows.slice(i, i + 250);
      const values = part.map((_, k) => `(${cols.map((_c, j) => `$${k * cols.length + j + 1}`).join(", ")})`);
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
  return { file: "", format: source.format, resourceVersion: rv, rows };
}
