import { randomBytes } from "node:crypto";
import { usePostgres } from "@qonnect/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore } from "./postgres-store.js";
import { storeSuite } from "./store-suite.js";

let server: { url: string; stop(): Promise<void> };
beforeAll(async () => {
  server = await usePostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
}

storeSuite("PostgreSQL", () => {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  return {
    open: () => PostgresStore.open(server.url, { schema }),
    reopen: () => PostgresStore.open(server.url, { schema }),
    cleanup: () => dropSchema(schema),
  };
});

describe("PostgreSQL planning lease", () => {
  it("one of several servers holds it; another takes it once the holder is gone", async () => {
    const schema = `t_${randomBytes(6).toString("hex")}`;
    const a = await PostgresStore.open(server.url, { schema });
    const b = await PostgresStore.open(server.url, { schema });
    try {
      expect(await a.tryLease()).toBe(true);
      expect(await b.tryLease()).toBe(false);
      expect(await a.tryLease()).toBe(true);
      await a.close();
      expect(await b.tryLease()).toBe(true);
    } finally {
      await b.close();
      await dropSchema(schema);
    }
  });
});
