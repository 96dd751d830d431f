// `qonnect kb backup` / `qonnect kb restore` against real kb serve instances: a backup taken while the server
// runs, restored into a fresh data directory that a second server then serves with the same resources, the
// same resourceVersions and the same tokens; a non-empty target refused without --force; a PostgreSQL-backed
// server's store backed up and restored into SQLite.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createToken, type KbServer, startKbServer } from "@qonnect/kb";
import { startPostgres, tempDir } from "@qonnect/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

const APP = (name: string, replicas: number) => `apiVersion: qonnect.io/v1alpha1
kind: Application
metadata:
  name: ${name}
spec:
  services:
    - name: web
      replicas: ${replicas}
      resources: { cpu: 500m, memory: 128Mi }
`;

describe("qonnect kb backup / restore with real servers", () => {
  const dir = tempDir("kb-backup-cli-");
  const servers: KbServer[] = [];
  let postgres: { url: string; stop(): Promise<void> };
  const cli = async (...argv: string[]) => {
    const io = bufferIo(dir.path);
    io.env = { ...process.env, QONNECT_CONFIG: join(dir.path, "config") };
    const code = await run(argv, io);
    return { code, out: io.stdout, err: io.stderr };
  };
  const serve = async (data: string, store = "sqlite") => {
    const kb = await startKbServer({
      dataDir: data,
      store,
      grpc: "127.0.0.1:0",
      http: "127.0.0.1:0",
      insecure: true,
      planning: false,
    });
    servers.push(kb);
    return kb;
  };
  const stop = async (kb: KbServer) => {
    await kb.close();
    servers.splice(servers.indexOf(kb), 1);
  };
  /** Every application as the server returns it (-o json), by name: resourceVersion, generation, etag. */
  const apps = async (kb: KbServer, token: string) => {
    const r = await cli(
      "get",
      "applications",
      "-o",
      "json",
      "--server",
      kb.grpcAddress,
      "--token",
      token,
      "--insecure",
    );
    expect(r.code, r.err).toBe(0);
    const items = (JSON.parse(r.out) as { items: { metadata: Record<string, unknown> }[] }).items;
    return items.map((i) => ({
      name: i.metadata.name,
      resourceVersion: i.metadata.resourceVersion,
      generation: i.metadata.generation,
      etag: i.metadata.etag,
    }));
  };

  beforeAll(async () => {
    // a cluster of its own: the CLI uses the database's public schema
    postgres = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    for (const kb of [...servers]) await kb.close();
    await postgres?.stop();
    dir.remove();
  });

  it("backs up a running SQLite kb; a server on the restored copy serves the same resources, versions and tokens", async () => {
    const data = join(dir.path, "data");
    const kb = await serve(data);
    const token = (await createToken(kb.store, "operator", { nowMs: Date.now() })).token;
    for (const [i, n] of ["web", "api", "db"].entries()) {
      writeFileSync(join(dir.path, `${n}.yaml`), APP(n, i + 1));
      const r = await cli(
        "apply",
        "-f",
        `${n}.yaml`,
        "--server",
        kb.grpcAddress,
        "--token",
        token,
        "--insecure",
      );
      expect(r.code, r.err).toBe(0);
    }
    writeFileSync(join(dir.path, "web.yaml"), APP("web", 4));
    await cli("apply", "-f", "web.yaml", "--server", kb.grpcAddress, "--token", token, "--insecure");
    const before = await apps(kb, token);
    expect(before.find((a) => a.name === "web")?.generation).toBe(2);

    const b = await cli("kb", "backup", "--data", "data", "--out", "kb.backup", "--json");
    expect(b.code, b.err).toBe(0);
    const info = JSON.parse(b.out) as {
      format: string;
      resourceVersion: number;
      rows: Record<string, number>;
    };
    expect(info.format).toBe("sqlite");
    expect(info.rows.resources).toBeGreaterThanOrEqual(3);

    const r = await cli("kb", "restore", "--data", "restored", "--in", "kb.backup");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/restored \d+ resources at resource version \d+/);
    // the original keeps running; the copy is served by a second server, with the same token
    const copy = await serve(join(dir.path, "restored"));
    expect(await apps(copy, token)).toEqual(before);

    // not into a store that has data, unless forced
    await stop(copy);
    const again = await cli("kb", "restore", "--data", "restored", "--in", "kb.backup");
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/not empty.*--force/);
    expect((await cli("kb", "restore", "--data", "restored", "--in", "kb.backup", "--force")).code).toBe(0);
    // a file that is not a backup, a directory with no kb: input errors
    writeFileSync(join(dir.path, "junk"), "not a backup\n");
    expect((await cli("kb", "restore", "--data", "other", "--in", "junk")).code).toBe(2);
    expect((await cli("kb", "backup", "--data", "nowhere", "--out", "x.backup")).code).toBe(2);
  }, 120_000);

  it("backs up a PostgreSQL-backed kb (a consistent export) and restores it into SQLite", async () => {
    const url = postgres.url;
    const kb = await serve(join(dir.path, "pg-data"), url);
    const token = (await createToken(kb.store, "operator", { nowMs: Date.now() })).token;
    writeFileSync(join(dir.path, "svc.yaml"), APP("svc", 2));
    expect(
      (await cli("apply", "-f", "svc.yaml", "--server", kb.grpcAddress, "--token", token, "--insecure")).code,
    ).toBe(0);
    const before = await apps(kb, token);
    const b = await cli("kb", "backup", "--store", url, "--out", "pg.backup", "--json");
    expect(b.code, b.err).toBe(0);
    expect(JSON.parse(b.out).format).toBe("jsonl");
    expect((await cli("kb", "restore", "--data", "from-pg", "--in", "pg.backup")).code).toBe(0);
    const copy = await serve(join(dir.path, "from-pg"));
    expect(await apps(copy, token)).toEqual(before);
  }, 120_000);
});
