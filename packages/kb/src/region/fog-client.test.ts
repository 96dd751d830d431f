// The Knowledge Base's FogLead client follows a rotated kb bundle without a restart: a FogLead stand-in over
// real mutual TLS (the fog bundle's server credentials) answers GetRegion with the serial of the caller's
// certificate; after `enroll` writes the kb bundle again, the next calls present the new certificate.
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { enroll, grpcServerCredentials, loadBundle, Pki, rotatingClientCredentials } from "@qonnect/pki";
import { fogV1 } from "@qonnect/proto";
import { tempDir } from "@qonnect/testkit";
import { afterAll, describe, expect, it, vi } from "vitest";
import { FogClient } from "./fog-client.js";

const tmp = tempDir("qonnect-kb-fogclient-");
afterAll(() => tmp.remove());

describe("FogClient with rotating credentials (real sockets, mutual TLS)", () => {
  it("uses a re-enrolled kb certificate on the next call", async () => {
    const pki = await Pki.init(join(tmp.path, "pki"), { nowMs: Date.now() });
    const fogDir = join(tmp.path, "fog");
    await enroll(pki, { region: "eu", role: "fog", id: "fog-1" }, fogDir, {
      nowMs: Date.now(),
      hosts: ["127.0.0.1"],
    });
    const kbDir = join(tmp.path, "kb");
    const first = await enroll(pki, { region: "cloud", role: "kb", id: "kb" }, kbDir, { nowMs: Date.now() });
    const server = new grpc.Server();
    server.addService(fogV1.FogLeadService, {
      getRegion: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const serial = call.getAuthContext()?.sslPeerCertificate?.serialNumber ?? "none";
        cb(null, { region: fogV1.RegionState.fromPartial({ region: serial.toLowerCase() }) });
      },
    });
    const serverCreds = grpcServerCredentials(loadBundle(fogDir));
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", serverCreds, (e, p) => (e ? reject(e) : resolve(p))),
    );
    const creds = rotatingClientCredentials(loadBundle(kbDir), {
      expectServer: (p) => p.role === "fog",
      pollMs: 100,
      settleMs: 50,
    });
    const client = new FogClient({ credentials: creds, timeoutMs: 3000 });
    const members = [`127.0.0.1:${port}`];
    const strip = (s: string) => s.toLowerCase().replace(/^0+/, "");
    try {
      expect(strip((await client.getRegion("eu", members))?.region ?? "")).toBe(strip(first.serial));
      const second = await enroll(pki, { region: "cloud", role: "kb", id: "kb" }, kbDir, {
        nowMs: Date.now(),
      });
      await vi.waitFor(
        async () =>
          expect(strip((await client.getRegion("eu", members))?.region ?? "")).toBe(strip(second.serial)),
        { timeout: 20_000, interval: 200 },
      );
    } finally {
      client.close();
      creds.close();
      serverCreds.close();
      server.forceShutdown();
    }
  }, 60_000);
});
