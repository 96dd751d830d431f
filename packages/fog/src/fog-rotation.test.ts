// Certificate rotation on the Raft links without a restart, with real processes: three fog leads (`qonnect-fog
// run`, bundled) started from their `qonnect enroll fog` bundles, a real nats-server with the generated JWT +
// TLS configuration. The leader's bundle is enrolled again (new key and certificate in the same directory),
// then its OLD certificate is revoked: the member's outgoing Raft links must already use the new certificate
// (a revoked one is refused even on an open stream), so the group keeps a leader and commits through the
// rotated member, and no process restarts.
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { enroll, loadBundle, Pki, type SecureNatsServer, startSecureNatsServer } from "@qonnect/pki";
import { fogV1 } from "@qonnect/proto";
import { freePort, tempDir } from "@qonnect/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bundle } from "../bench/lib/rig.js";
import { fogClientCredentials } from "./fog-security.js";

const REGION = "eu";
const dir = tempDir("qonnect-fog-rotation-");
let pki: Pki;
let nats: SecureNatsServer;
const peers: Record<string, string> = {};
const httpPorts = new Map<number, number>();
const procs = new Map<number, ChildProcess>();
const serials = new Map<number, string>();
const wait = { timeout: 60_000, interval: 250 };

const bundleDir = (role: string, id: string, region = REGION) =>
  join(dir.path, "bundles", `${region}-${role}-${id}`);

async function enrolled(region: string, role: "fog" | "kb" | "admin", id: string) {
  return enroll(pki, { region, role, id }, bundleDir(role, id, region), {
    nowMs: Date.now(),
    hosts: ["127.0.0.1"],
  });
}

function unary<Res>(
  address: string,
  bundleOf: string,
  method: "getRegion" | "applyPlan" | "transferLeadership",
  req: unknown,
): Promise<{ code: number; res?: Res; details?: string }> {
  const c = new fogV1.FogLeadClient(address, fogClientCredentials(loadBundle(bundleOf), REGION));
  return new Promise((resolve) => {
    const fn = (c as unknown as Record<string, (...a: unknown[]) => void>)[method]!;
    fn.call(
      c,
      req,
      new grpc.Metadata(),
      { deadline: Date.now() + 5000 },
      (e: grpc.ServiceError | null, r: Res) => {
        c.close();
        resolve(e ? { code: e.code, details: e.details } : { code: grpc.status.OK, res: r });
      },
    );
  });
}

async function region(member: number) {
  const r = await unary<fogV1.GetRegionResponse>(
    peers[String(member)]!,
    bundleDir("kb", "kb", "cloud"),
    "getRegion",
    {
      region: REGION,
    },
  );
  return r.res?.region;
}

async function metric(member: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPorts.get(member)}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

beforeAll(async () => {
  pki = await Pki.init(join(dir.path, "pki"), { nowMs: Date.now() });
  nats = await startSecureNatsServer(pki, join(dir.path, "nats"), { port: await freePort() });
  await enrolled("cloud", "kb", "kb");
  await enrolled("cloud", "admin", "ops");
  for (const id of [1, 2, 3]) {
    peers[String(id)] = `127.0.0.1:${await freePort()}`;
    httpPorts.set(id, await freePort());
  }
  const fog = bundle("packages/fog/src/main.ts", "fog");
  for (const id of [1, 2, 3]) {
    serials.set(id, (await enrolled(REGION, "fog", `fog-${id}`)).serial);
    const config = join(dir.path, `fog-${id}.yaml`);
    writeFileSync(
      config,
      JSON.stringify({
        region: REGION,
        member: id,
        listen: peers[String(id)],
        peers,
        dataDir: join(dir.path, `fog-${id}-data`),
        initialClusterState: "new",
        nats: { servers: [nats.url] },
        bundle: bundleDir("fog", `fog-${id}`),
        crlFile: pki.files.crl,
        http: `127.0.0.1:${httpPorts.get(id)}`,
        raft: { heartbeatMs: 100, electionMs: 1000 },
        log: { level: "info" },
      }),
    );
    const log = openSync(join(dir.path, `fog-${id}.log`), "a");
    procs.set(id, spawn(process.execPath, [fog, "run", "--config", config], { stdio: ["ignore", log, log] }));
  }
}, 120_000);

afterAll(async () => {
  for (const p of procs.values()) {
    if (p.exitCode !== null || p.signalCode !== null) continue;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    const t = setTimeout(() => p.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  }
  await nats?.stop();
  dir.remove();
}, 60_000);

describe("certificate rotation on a fog lead's outgoing Raft links (real processes, no restart)", () => {
  it("rotates the leader's certificate, revokes the old one, and the group keeps a leader and commits through it", async () => {
    const kb = bundleDir("kb", "kb", "cloud");
    const leaderId = await vi.waitFor(async () => {
      const r = await region(1);
      expect(r?.leaderId).toBeGreaterThan(0);
      return r!.leaderId;
    }, wait);
    const pids = new Map([...procs].map(([id, p]) => [id, p.pid]));

    // keep the old identity (to show it is refused later), then enrol the member again: the renew path
    const oldCopy = join(dir.path, "old-fog-bundle");
    cpSync(bundleDir("fog", `fog-${leaderId}`), oldCopy, { recursive: true });
    const oldSerial = serials.get(leaderId)!;
    const renewed = await enrolled(REGION, "fog", `fog-${leaderId}`);
    expect(renewed.serial).not.toBe(oldSerial);
    await vi.waitFor(
      async () => expect(await metric(leaderId, "qonnect_fog_raft_credential_rotations_total")).toBe(1),
      wait,
    );

    await pki.revoke((r) => r.serial === oldSerial, Date.now());
    // the other members refuse the old certificate on a new connection (their CRL is reloaded)
    for (const other of [1, 2, 3].filter((i) => i !== leaderId))
      await vi.waitFor(async () => {
        const r = await unary(peers[String(other)]!, oldCopy, "getRegion", { region: REGION });
        expect(r.code).not.toBe(grpc.status.OK);
      }, wait);

    // the rotated member leads (transferred to it if an election moved the lead meanwhile) and commits a plan
    let planVersion = 0;
    await vi.waitFor(async () => {
      const now = await region(leaderId);
      if (now?.leaderId !== leaderId) {
        const at = peers[String(now?.leaderId ?? 1)]!;
        await unary(at, bundleDir("admin", "ops", "cloud"), "transferLeadership", { toId: leaderId });
      }
      const plan = fogV1.ApplyPlanRequest.fromPartial({
        region: REGION,
        planId: `after-rotation-${Date.now()}`,
        basePlanVersion: now?.planVersion ?? 0,
      });
      const applied = await unary<fogV1.ApplyPlanResponse>(peers[String(leaderId)]!, kb, "applyPlan", plan);
      expect(applied.code).toBe(grpc.status.OK);
      planVersion = applied.res!.planVersion;
      expect(planVersion).toBeGreaterThan(0);
    }, wait);
    for (const id of [1, 2, 3])
      await vi.waitFor(
        async () => expect((await region(id))?.planVersion).toBeGreaterThanOrEqual(planVersion),
        wait,
      );
    // the rotated member's streams were never refused: they moved to the new certificate before the
    // revocation, so no other member logged a batch refused for a certificate revoked under an open stream
    // (who leads now is not asserted: on a loaded machine a 1 s election timeout may pass on its own)
    for (const other of [1, 2, 3].filter((i) => i !== leaderId))
      expect(readFileSync(join(dir.path, `fog-${other}.log`), "utf8")).not.toMatch(
        /revoked since the stream opened/,
      );
    expect((await region(leaderId))?.leaderId).toBeGreaterThan(0);
    expect(new Map([...procs].map(([id, p]) => [id, p.pid]))).toEqual(pids);
    expect([...procs.values()].every((p) => p.exitCode === null && p.signalCode === null)).toBe(true);
  }, 240_000);
});
