import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { startFogDouble, tempDir, usePostgres } from "@qonnect/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createToken } from "./api/auth.js";
import { KbClient } from "./client/kb-client.js";
import { startKbServer, TlsConfigError } from "./server.js";
import { appYaml, INVENTORY } from "./testdata/harness.js";

describe("kb serve listeners", () => {
  const dir = tempDir("kb-tls-");
  afterAll(() => dir.remove());

  it("refuses to start without TLS files unless --insecure is explicit", async () => {
    await expect(
      startKbServer({ dataDir: join(dir.path, "x"), grpc: "127.0.0.1:0", http: "127.0.0.1:0" }),
    ).rejects.toBeInstanceOf(TlsConfigError);
  });

  it("serves gRPC and HTTPS with TLS from files; a client pinning the CA connects, a plaintext one does not", async () => {
    const key = join(dir.path, "key.pem");
    const cert = join(dir.path, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=kb",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    const kb = await startKbServer({
      dataDir: join(dir.path, "data"),
      grpc: "127.0.0.1:0",
      http: "127.0.0.1:0",
      tls: { certFile: cert, keyFile: key },
      planning: false,
    });
    try {
      const token = (await createToken(kb.store, "operator", { nowMs: Date.now() })).token;
      const c = new KbClient({ server: kb.grpcAddress, caFile: cert, token });
      expect((await c.apply(appYaml("web"))).created).toBe(true);
      c.close();
      const plain = new KbClient({ server: kb.grpcAddress, insecure: true, token, timeoutMs: 3000 });
      await expect(plain.get("applications/web")).rejects.toMatchObject({ codeName: "UNAVAILABLE" });
      plain.close();
      expect(kb.httpUrl).toMatch(/^https:/);
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          `${kb.httpUrl}/api/v1/applications/web`,
          { ca: readFileSync(cert), headers: { authorization: `Bearer ${token}` } },
          (res) => {
            let text = "";
            res.on("data", (d) => (text += d));
            res.on("end", () => resolve(text));
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(JSON.parse(body).metadata.name).toBe("web");
    } finally {
      await kb.close();
    }
  });
});

describe("several kb serve processes sharing PostgreSQL", () => {
  let pg: { url: string; stop(): Promise<void> };
  beforeAll(async () => {
    pg = await usePostgres();
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
  });

  it("one plans at a time (advisory-lock lease); another takes over when it is gone; writes through either count", async () => {
    const schema = `t_${randomBytes(6).toString("hex")}`;
    const dir = tempDir("kb-pg-");
    const region = `solo-${randomBytes(3).toString("hex")}`;
    const fog = await startFogDouble({ region });
    const opts = (name: string) => ({
      dataDir: join(dir.path, name),
      store: pg.url,
      schema,
      grpc: "127.0.0.1:0",
      http: "127.0.0.1:0",
      insecure: true,
      planning: { debounceMs: 10, tickMs: 100 },
    });
    const a = await startKbServer(opts("a"));
    const b = await startKbServer(opts("b"));
    try {
      const admin = (await createToken(a.store, "admin", { nowMs: Date.now() })).token;
      const viaB = new KbClient({ server: b.grpcAddress, insecure: true, token: admin });
      await viaB.apply(INVENTORY.replaceAll("eu-central", region));
      await viaB.apply(
        `apiVersion: qonnect.io/v1alpha1\nkind: Region\nmetadata:\n  name: ${region}\nspec:\n  fogLeads: ["${fog.addresses[0]}"]\n`,
      );
      await viaB.apply(appYaml("one", 1).replace("spread: device", `spread: device, regions: [${region}]`));
      await vi.waitFor(
        () => expect(fog.applied.some((x) => x.request.placements.some((p) => p.app === "one"))).toBe(true),
        { timeout: 20_000 },
      );
      expect(await a.store.tryLease()).toBe(true);
      expect(await b.store.tryLease()).toBe(false);
      await a.close();
      await viaB.apply(appYaml("two", 1).replace("spread: device", `spread: device, regions: [${region}]`));
      await vi.waitFor(
        () => expect(fog.applied.some((x) => x.request.placements.some((p) => p.app === "two"))).toBe(true),
        { timeout: 20_000 },
      );
      expect(await b.store.tryLease()).toBe(true);
      viaB.close();
    } finally {
      await a.close().catch(() => {});
      await b.close();
      await fog.stop();
      dir.remove();
    }
  });
});
