// Backup and restore on both stores (SQLite and a real PostgreSQL), across them, into non-empty targets, and
// a SQLite backup taken while writers go on.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir, usePostgres } from "@qonnect/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupFormatError, openBackup, RestoreTargetNotEmptyError } from "./backup.js";
import { PostgresStore } from "./postgres-store.js";
import { SqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

let server: { url: string; stop(): Promise<void> };
const dirs: { path: string; remove(): void }[] = [];
const schemas: string[] = [];

beforeAll(async () => {
  server = await usePostgres();
}, 60_000);
afterAll(async () => {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await c.end();
  await server?.stop();
  for (const d of dirs) d.remove();
});

type Flavour = "sqlite" | "postgres";
async function fresh(flavour: Flavour): Promise<Store> {
  if (flavour === "sqlite") {
    const dir = tempDir("kb-backup-");
    dirs.push(dir);
    return new SqliteStore(dir.path);
  }
  const schema = `bk_${randomBytes(5).toString("hex")}`;
  schemas.push(schema);
  return PostgresStore.open(server.url, { schema });
}

const file = () => {
  const dir = tempDir("kb-backup-file-");
  dirs.push(dir);
  return join(dir.path, "kb.backup");
};

const app = (name: string, spec: unknown) => ({ kind: "Application", namespace: "default", name, spec });

async function fill(store: Store): Promise<void> {
  for (let i = 0; i < 30; i++) await store.put(app(`app-${i}`, { replicas: i }), { nowMs: 1000 + i });
  await store.put(app("app-1", { replicas: 9 }), { nowMs: 2000 });
  await store.putStatus(app("app-2", null), { phase: "Placed" }, 2001);
  await store.delete(app("app-3", null), { nowMs: 2002 });
  await store.commit({
    nowMs: 2003,
    ops: [
      { op: "create", input: { kind: "Event", namespace: "default", name: "0001-a", spec: { why: "x" } } },
    ],
  });
  await store.createToken({
    id: "tok1",
    hash: "ab".repeat(32),
    role: "admin",
    description: "first",
    createTimeMs: 1,
    expireTimeMs: 10_000_000_000_000,
    revoked: false,
  });
  await store.createToken({
    id: "tok2",
    hash: "cd".repeat(32),
    role: "viewer",
    description: "",
    createTimeMs: 1,
    expireTimeMs: 2,
    revoked: false,
  });
  await store.revokeToken("tok2");
  await store.addSamples([
    {
      device: "d1",
      tsMs: 1,
      powerW: 3.5,
      energyWh: 1,
      solarEnergyWh: 0,
      carbonG: 0.4,
      cost: 0.01,
      soc: null,
    },
    {
      device: "d1",
      tsMs: 2,
      powerW: 4,
      energyWh: 2,
      solarEnergyWh: 0.5,
      carbonG: 0.7,
      cost: 0.02,
      soc: 0.8,
      solarExcessW: 1.25,
    },
  ]);
  const telemetry = (seq: number, late: boolean, device = "d1") => ({
    device,
    seq,
    region: "eu",
    // d2's samples are old enough to be rolled up into a minute below
    tsMs: (device === "d1" ? 100_000 : 0) + 1000 * seq,
    receivedMs: 1000 * seq + 7,
    late,
    powerW: 3.25 + seq,
    busVoltageV: 5.1,
    currentA: 0.64,
    cpuUtil: 0.5,
    memoryUsedBytes: 123_456_789,
    soc: seq === 1 ? null : 0.75,
    solarExcessW: 0.5,
  });
  await store.telemetry.add([telemetry(1, false), telemetry(2, true), telemetry(3, false)]);
  await store.telemetry.add([telemetry(1, false, "d2"), telemetry(2, false, "d2")]);
  expect(await store.telemetry.rollUp(60_000)).toBe(2);
}

/** Everything a restored store must serve the same. */
async function contents(store: Store) {
  const list = async (kind: string) => (await store.list(kind, { pageSize: 1000 })).items;
  return {
    head: await store.headVersion(),
    applications: await list("Application"),
    events: await list("Event"),
    log: await store.changes(0, 10_000),
    tokens: [await store.getToken("tok1"), await store.getToken("tok2")],
    samples: await store.series("d1", 0, 10, 10),
    telemetry: await store.telemetry.list("d1", 0, 200_000, 100),
    minutes: await store.telemetry.listMinutes("d2", 0, 200_000, 100),
    coverage: await store.telemetry.coverage(),
  };
}

const pairs: [Flavour, Flavour][] = [
  ["sqlite", "sqlite"],
  ["postgres", "postgres"],
  ["sqlite", "postgres"],
  ["postgres", "sqlite"],
];

describe("kb backup and restore", () => {
  for (const [from, to] of pairs)
    it(`restores a ${from} backup into an empty ${to} store: same resources, versions, log, tokens, samples, telemetry`, async () => {
      const src = await fresh(from);
      const dst = await fresh(to);
      try {
        await fill(src);
        const before = await contents(src);
        const out = file();
        const info = await src.backup(out);
        expect(info.format).toBe(from === "sqlite" ? "sqlite" : "jsonl");
        expect(info.resourceVersion).toBe(before.head);
        expect(info.rows.resources).toBe(30);
        const restored = await dst.restore(out);
        expect(restored.resourceVersion).toBe(before.head);
        const after = await contents(dst);
        expect(after).toEqual(before);
        expect(after.tokens[1]?.revoked).toBe(true);
        expect(after.telemetry.map((t) => [t.seq, t.late])).toEqual([
          [1, false],
          [2, true],
          [3, false],
        ]);
        expect(after.minutes).toEqual([
          expect.objectContaining({ device: "d2", minuteMs: 0, samples: 2, firstSeq: 1, lastSeq: 2 }),
        ]);
        // the restored store goes on from the same version
        const next = await dst.put(app("app-1", { replicas: 10 }), { nowMs: 3000 });
        expect(next.resource.resourceVersion).toBe(before.head + 1);
        expect(next.resource.generation).toBe(3);
      } finally {
        await src.close();
        await dst.close();
      }
    }, 60_000);

  for (const flavour of ["sqlite", "postgres"] as const)
    it(`refuses a non-empty ${flavour} target unless forced, then replaces everything in it`, async () => {
      const src = await fresh(flavour);
      const dst = await fresh(flavour);
      try {
        await fill(src);
        const out = file();
        await src.backup(out);
        await dst.put(app("only-here", {}), { nowMs: 1 });
        await expect(dst.restore(out)).rejects.toBeInstanceOf(RestoreTargetNotEmptyError);
        expect((await dst.get(app("only-here", null)))?.name).toBe("only-here");
        await dst.restore(out, { force: true });
        expect(await dst.get(app("only-here", null))).toBeUndefined();
        expect(await contents(dst)).toEqual(await contents(src));
      } finally {
        await src.close();
        await dst.close();
      }
    }, 60_000);

  it("refuses a file that is not a backup, and a truncated JSON-lines backup leaves the target as it was", async () => {
    const dst = await fresh("sqlite");
    const src = await fresh("postgres");
    try {
      const junk = file();
      writeFileSync(junk, "hello\n");
      await expect(dst.restore(junk)).rejects.toBeInstanceOf(BackupFormatError);
      await fill(src);
      const out = file();
      await src.backup(out);
      const { readFileSync } = await import("node:fs");
      const text = readFileSync(out, "utf8");
      writeFileSync(out, text.slice(0, Math.floor(text.length * 0.7)));
      await expect(dst.restore(out)).rejects.toBeInstanceOf(BackupFormatError);
      expect(await dst.headVersion()).toBe(1);
      expect((await dst.list("Application")).items).toEqual([]);
    } finally {
      await src.close();
      await dst.close();
    }
  }, 60_000);

  it("takes a consistent SQLite backup while writers go on", async () => {
    const store = await fresh("sqlite");
    try {
      await fill(store);
      let stop = false;
      let written = 0;
      const writers = Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          await store.put(app(`w${w}-${i % 50}`, { i }), { nowMs: 5000 + i });
          written++;
        }
      });
      await new Promise((r) => setTimeout(r, 50));
      const out = file();
      const info = await store.backup(out);
      stop = true;
      await Promise.all(writers);
      expect(written).toBeGreaterThan(0);
      // one state: the log is contiguous up to the head, no resource is newer than it
      const source = await openBackup(out);
      const rvs: number[] = [];
      const resourceRvs: number[] = [];
      for await (const c of source.chunks()) {
        if (c.table === "changes") rvs.push(...c.rows.map((r) => Number(r.rv)));
        if (c.table === "resources") resourceRvs.push(...c.rows.map((r) => Number(r.rv)));
      }
      source.close();
      expect(rvs.at(-1)).toBe(info.resourceVersion);
      expect(rvs).toEqual(Array.from({ length: rvs.length }, (_, i) => rvs[0]! + i));
      expect(Math.max(...resourceRvs)).toBeLessThanOrEqual(info.resourceVersion);
    } finally {
      await store.close();
    }
  }, 60_000);
});
