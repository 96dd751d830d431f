// FogLead over mutual TLS from files (`tls: {caFile, certFile, keyFile}`), certificates made with openssl: a
// client with a certificate of the deployment's CA is served; a plaintext client is not.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { freePort, type NatsServer, startNatsServer, tempDir } from "@qonnect/testkit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseFogConfig } from "./config.js";
import { FogClient } from "./fog-client.js";
import { type FogLead, startFogLead } from "./fog-lead.js";

const dir = tempDir("qonnect-fog-tls-");
let nats: NatsServer;
let lead: FogLead;
let addr: string;

function makeCertificates(d: string): void {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: d, stdio: "pipe" });
  run(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=qonnect-test-ca",
  );
  run(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "key.pem",
    "-out",
    "node.csr",
    "-subj",
    "/CN=localhost",
  );
  writeFileSync(
    join(d, "ext.cnf"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
  );
  run(
    "x509",
    "-req",
    "-in",
    "node.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "cert.pem",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
  );
}

beforeAll(async () => {
  makeCertificates(dir.path);
  nats = await startNatsServer({ jetstream: false });
  addr = `127.0.0.1:${await freePort()}`;
  const text = [
    "region: r1",
    "member: 1",
    `listen: ${addr}`,
    `peers: { "1": ${addr} }`,
    "dataDir: data",
    `nats: { servers: ["${nats.url}"] }`,
    "tls: { caFile: ca.pem, certFile: cert.pem, keyFile: key.pem }",
    `http: 127.0.0.1:${await freePort()}`,
    "raft: { heartbeatMs: 50, electionMs: 300 }",
  ].join("\n");
  lead = await startFogLead(parseFogConfig(text, join(dir.path, "fog.yaml")), pino({ level: "silent" }));
}, 60_000);

afterAll(async () => {
  await lead?.stop();
  await nats?.stop();
  dir.remove();
});

describe("FogLead over TLS from files", () => {
  it("serves a client with a certificate of the deployment's CA and refuses a plaintext one", async () => {
    const read = (f: string) => readFileSync(join(dir.path, f));
    const secure = new FogClient(
      [addr],
      grpc.credentials.createSsl(read("ca.pem"), read("key.pem"), read("cert.pem")),
    );
    await vi.waitFor(
      async () => {
        const [view] = await secure.status("r1");
        expect(view?.ok).toBe(true);
        expect(view?.region?.leaderId).toBe(1);
      },
      { timeout: 20_000 },
    );
    secure.close();
    const plain = new FogClient([addr]);
    const [view] = await plain.status("r1");
    expect(view?.ok).toBe(false);
    plain.close();
  }, 60_000);
});
