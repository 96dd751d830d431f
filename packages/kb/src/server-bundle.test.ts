// `kb serve --bundle DIR`: the Knowledge Base's identity from its `qonnect enroll kb` bundle, against a real
// nats-server running the generated operator/JWT configuration with TLS. The control API answers clients that
// pin the deployment's CA (and no plaintext client), the REST API is HTTPS with the same certificate, the
// summaries arrive over NATS with the kb's JWT credentials, and a bundle of another role starts nothing.
import { request } from "node:https";
import { join } from "node:path";
import {
  enroll,
  loadBundle,
  natsConnectOptions,
  Pki,
  type SecureNatsServer,
  startSecureNatsServer,
} from "@qonnect/pki";
import { fogV1 } from "@qonnect/proto";
import { freePort, tempDir } from "@qonnect/testkit";
import { connect } from "nats";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createToken } from "./api/auth.js";
import { KbClient } from "./client/kb-client.js";
import { type KbServer, startKbServer, TlsConfigError } from "./server.js";

const dir = tempDir("kb-bundle-");
let pki: Pki;
let nats: SecureNatsServer;
let kb: KbServer;

async function bundle(region: string, role: "kb" | "fog" | "device", id: string): Promise<string> {
  const out = join(dir.path, `${region}-${role}-${id}`);
  await enroll(pki, { region, role, id }, out, { nowMs: Date.now(), hosts: ["127.0.0.1"] });
  return out;
}

beforeAll(async () => {
  pki = await Pki.init(join(dir.path, "pki"), { nowMs: Date.now() });
  nats = await startSecureNatsServer(pki, join(dir.path, "nats"), { port: await freePort() });
  kb = await startKbServer({
    dataDir: join(dir.path, "data"),
    grpc: "127.0.0.1:0",
    http: "127.0.0.1:0",
    bundle: await bundle("cloud", "kb", "kb"),
    nats: [nats.url],
    planning: {},
  });
}, 60_000);

afterAll(async () => {
  await kb?.close();
  await nats?.stop();
  dir.remove();
});

describe("kb serve --bundle", () => {
  it("serves gRPC and HTTPS with the bundle's certificate to clients that pin the CA, not to plaintext", async () => {
    const ca = pki.files.caCert;
    const token = (await createToken(kb.store, "operator", { nowMs: Date.now() })).token;
    const c = new KbClient({ server: kb.grpcAddress, caFile: ca, token });
    expect(await c.list({ collection: "applications" })).toBeDefined();
    c.close();
    const plain = new KbClient({ server: kb.grpcAddress, insecure: true, token, timeoutMs: 3000 });
    await expect(plain.list({ collection: "applications" })).rejects.toMatchObject({
      codeName: "UNAVAILABLE",
    });
    plain.close();
    expect(kb.httpUrl).toMatch(/^https:/);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${kb.httpUrl}/healthz`,
        { ca: loadBundle(join(dir.path, "cloud-kb-kb")).caPem },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(200);
  });

  it("reads region summaries over NATS with its JWT credentials and TLS", async () => {
    const fog = await connect(natsConnectOptions(loadBundle(await bundle("eu", "fog", "fog-1")), [nats.url]));
    const summary = fogV1.RegionSummary.fromPartial({ region: "eu", part: 1, parts: 1, tsMs: Date.now() });
    await vi.waitFor(
      async () => {
        fog.publish("qonnect.eu.summary", fogV1.RegionSummary.encode(summary).finish());
        await fog.flush();
        // applied or dropped (no Region resource here): either way it arrived through the secure server
        expect(await kb.metrics.registry.getSingleMetricAsString("kb_region_summaries_total")).toMatch(
          /outcome="(applied|dropped)"} [1-9]/,
        );
      },
      { timeout: 20_000, interval: 300 },
    );
    await fog.close();
  });

  it("refuses a bundle of another role", async () => {
    await expect(
      startKbServer({
        dataDir: join(dir.path, "data-2"),
        grpc: "127.0.0.1:0",
        http: "127.0.0.1:0",
        bundle: await bundle("eu", "device", "pi-1"),
        planning: false,
      }),
    ).rejects.toBeInstanceOf(TlsConfigError);
  });
});
