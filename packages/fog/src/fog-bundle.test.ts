// Fog leads that take their identity from `qonnect enroll fog` bundles, against a real nats-server running
// the generated operator/JWT configuration with TLS: the Raft group forms over mutual TLS, FogLead calls are
// authorised by the caller's certificate role, a bundle of another member starts nothing, and a revoked
// certificate is refused on a new connection without restarting the leads.
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { enroll, loadBundle, Pki, type SecureNatsServer, startSecureNatsServer } from "@qonnect/pki";
import { fogV1 } from "@qonnect/proto";
import { freePort, tempDir } from "@qonnect/testkit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseFogConfig } from "./config.js";
import { type FogLead, startFogLead } from "./fog-lead.js";
import { FogIdentityError, fogClientCredentials } from "./fog-security.js";

const dir = tempDir("qonnect-fog-bundle-");
let pki: Pki;
let nats: SecureNatsServer;
const leads: FogLead[] = [];
const peers: Record<string, string> = {};

async function bundle(region: string, role: "fog" | "kb" | "admin" | "device", id: string): Promise<string> {
  const out = join(dir.path, "bundles", `${region}-${role}-${id}`);
  await enroll(pki, { region, role, id }, out, { nowMs: Date.now(), hosts: ["127.0.0.1"] });
  return out;
}

async function configText(member: number, bundleDir: string): Promise<string> {
  return [
    "region: eu",
    `member: ${member}`,
    `listen: ${peers[String(member)]}`,
    `peers: ${JSON.stringify(peers)}`,
    `dataDir: data-${member}`,
    `nats: { servers: ["${nats.url}"] }`,
    `bundle: ${bundleDir}`,
    `crlFile: ${pki.files.crl}`,
    `http: 127.0.0.1:${await freePort()}`,
    "raft: { heartbeatMs: 50, electionMs: 300 }",
    "log: { level: silent }",
  ].join("\n");
}

function client(bundleDir: string, member = 1): fogV1.FogLeadClient {
  return new fogV1.FogLeadClient(peers[String(member)]!, fogClientCredentials(loadBundle(bundleDir)));
}

function unary<Req, Res>(
  c: fogV1.FogLeadClient,
  method: "getRegion" | "applyPlan" | "addMember" | "transferLeadership",
  req: Req,
): Promise<{ code: number; res?: Res; details?: string }> {
  return new Promise((resolve) => {
    const fn = (c as unknown as Record<string, (...a: unknown[]) => void>)[method]!;
    fn.call(
      c,
      req,
      new grpc.Metadata(),
      { deadline: Date.now() + 5000 },
      (e: grpc.ServiceError | null, r: Res) =>
        resolve(e ? { code: e.code, details: e.details } : { code: grpc.status.OK, res: r }),
    );
  });
}

beforeAll(async () => {
  pki = await Pki.init(join(dir.path, "pki"), { nowMs: Date.now() });
  nats = await startSecureNatsServer(pki, join(dir.path, "nats"), { port: await freePort() });
  for (const id of [1, 2]) peers[String(id)] = `127.0.0.1:${await freePort()}`;
  for (const id of [1, 2]) {
    const text = await configText(id, await bundle("eu", "fog", `fog-${id}`));
    leads.push(
      await startFogLead(parseFogConfig(text, join(dir.path, `fog-${id}.yaml`)), pino({ level: "silent" })),
    );
  }
}, 60_000);

afterAll(async () => {
  for (const l of leads) await l.stop();
  await nats?.stop();
  dir.remove();
});

describe("fog leads with pki bundles (mutual TLS, roles from certificates, NATS JWT + TLS)", () => {
  it("forms the Raft group over mutual TLS and serves the Knowledge Base's certificate", async () => {
    const kb = client(await bundle("cloud", "kb", "kb"));
    await vi.waitFor(
      async () => {
        const r = await unary<unknown, fogV1.GetRegionResponse>(kb, "getRegion", { region: "eu" });
        expect(r.code).toBe(grpc.status.OK);
        expect(r.res?.region?.leaderId).toBeGreaterThan(0);
      },
      { timeout: 30_000, interval: 200 },
    );
    const leader = leads.find((l) => l.driver.status().role === "leader")!;
    const kbToLeader = client(join(dir.path, "bundles", "cloud-kb-kb"), leader.id);
    const plan = fogV1.ApplyPlanRequest.fromPartial({ region: "eu", planId: "p-1", basePlanVersion: 0 });
    const applied = await unary<unknown, fogV1.ApplyPlanResponse>(kbToLeader, "applyPlan", plan);
    expect(applied.code).toBe(grpc.status.OK);
    expect(applied.res?.planVersion).toBeGreaterThan(0);
    kb.close();
    kbToLeader.close();
  }, 60_000);

  it("refuses FogLead calls by certificate role: a device, an admin's ApplyPlan, another region's fog lead", async () => {
    const leader = leads.find((l) => l.driver.status().role === "leader")!;
    const device = client(await bundle("eu", "device", "pi-1"), leader.id);
    const add = fogV1.AddMemberRequest.fromPartial({
      id: 9,
      raftAddress: "127.0.0.1:1",
      fogAddress: "127.0.0.1:1",
    });
    expect((await unary(device, "addMember", add)).code).toBe(grpc.status.PERMISSION_DENIED);
    expect((await unary(device, "getRegion", { region: "eu" })).code).toBe(grpc.status.PERMISSION_DENIED);
    const admin = client(await bundle("cloud", "admin", "ops"), leader.id);
    const plan = fogV1.ApplyPlanRequest.fromPartial({ region: "eu", planId: "p-admin", basePlanVersion: 0 });
    expect((await unary(admin, "applyPlan", plan)).code).toBe(grpc.status.PERMISSION_DENIED);
    expect((await unary(admin, "getRegion", { region: "eu" })).code).toBe(grpc.status.OK);
    const foreign = client(await bundle("us", "fog", "fog-1"), leader.id);
    expect((await unary(foreign, "getRegion", { region: "eu" })).code).toBe(grpc.status.PERMISSION_DENIED);
    const plain = new fogV1.FogLeadClient(peers["1"]!, grpc.credentials.createInsecure());
    expect((await unary(plain, "getRegion", { region: "eu" })).code).toBe(grpc.status.UNAVAILABLE);
    for (const c of [device, admin, foreign, plain]) c.close();
    expect(leads.every((l) => l.driver.status().term > 0)).toBe(true);
  }, 60_000);

  it("starts nothing with the bundle of another member", async () => {
    const text = (await configText(1, join(dir.path, "bundles", "eu-fog-fog-2"))).replace("data-1", "data-x");
    await expect(
      startFogLead(parseFogConfig(text, join(dir.path, "wrong.yaml")), pino({ level: "silent" })),
    ).rejects.toBeInstanceOf(FogIdentityError);
  });

  it("refuses a revoked certificate on its next connection, without a restart", async () => {
    const admin = await bundle("cloud", "admin", "leaver");
    const before = client(admin);
    expect((await unary(before, "getRegion", { region: "eu" })).code).toBe(grpc.status.OK);
    before.close();
    await pki.revoke((r) => r.role === "admin" && r.id === "leaver", Date.now());
    await vi.waitFor(
      async () => {
        const after = client(admin);
        const r = await unary(after, "getRegion", { region: "eu" });
        after.close();
        expect(r.code).not.toBe(grpc.status.OK);
      },
      { timeout: 20_000, interval: 300 },
    );
  }, 60_000);
});
