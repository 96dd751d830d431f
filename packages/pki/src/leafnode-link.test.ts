// The leafnode link user of a region, against the real deployment files (infra/nats/cloud.conf and leaf.conf
// run by real nats-servers, operator JWT, TLS everywhere), two regions: the link carries its region's
// telemetry to the cloud (live subscriptions and the history stream sourcing the region stream), cannot
// read or speak for the other region, is recorded in issued.json, and `revoke` + push cuts it for good.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type NatsDeployment, startNatsDeployment, tempDir } from "@qonnect/testkit";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadBundle } from "./bundle.js";
import { enroll } from "./enroll.js";
import type { Role } from "./identity.js";
import { natsConnectOptions } from "./nats-config.js";
import { enrollNatsDeployment } from "./nats-deployment.js";
import { pushAccountJwt } from "./nats-push.js";
import { Pki } from "./pki-store.js";
import {
  ensureStream,
  historyStreamConfig,
  historyStreamName,
  regionTelemetryStreamConfig,
  telemetryMsgId,
} from "./telemetry-stream.js";

const tmp = tempDir("qonnect-pki-leaflink-");
let pki: Pki;
let nats: NatsDeployment;
const open: NatsConnection[] = [];
const wait = { timeout: 60_000, interval: 500 };

async function as(role: Role, region: string, id: string, url: string): Promise<NatsConnection> {
  const dir = join(tmp.path, "bundles", `${region}-${role}-${id}`);
  await enroll(pki, { region, role, id }, dir, { nowMs: Date.now() });
  const nc = await connect({ ...natsConnectOptions(loadBundle(dir), [url]), maxReconnectAttempts: 0 });
  open.push(nc);
  return nc;
}

/** Connects to a cloud server with a region's link credentials, as a thief of them would. */
async function withLinkCreds(region: string): Promise<{ nc: NatsConnection; errors: string[] }> {
  const nc = await connect({
    ...natsConnectOptions(loadBundle(join(tmp.path, "nats-bundles", `leaf-${region}`)), [nats.cloud[0]!.url]),
    maxReconnectAttempts: 0,
  });
  open.push(nc);
  const errors: string[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === "error") errors.push(String(s.data));
  })();
  return { nc, errors };
}

/** Leafnode links the cloud cluster holds (each leaf links to one of its servers). */
const leafLinks = async (): Promise<number> => {
  let n = 0;
  for (const s of nats.cloud) {
    const r = await fetch(`http://127.0.0.1:${s.httpPort}/leafz`);
    n += ((await r.json()) as { leafnodes: number }).leafnodes;
  }
  return n;
};

beforeAll(async () => {
  pki = await Pki.init(join(tmp.path, "pki"), { nowMs: Date.now() });
  const secure = await enrollNatsDeployment(pki, join(tmp.path, "nats-bundles"), {
    cloudServers: 3,
    regions: ["eu", "us"],
    nowMs: Date.now(),
  });
  nats = await startNatsDeployment({
    regions: ["eu", "us"],
    dir: join(tmp.path, "nats"),
    cloudServers: 3,
    secure,
  });
  await vi.waitFor(async () => expect(await leafLinks()).toBe(2), wait);
}, 120_000);

afterAll(async () => {
  for (const nc of open) await nc.close().catch(() => {});
  await nats?.stop();
  tmp.remove();
});

describe("a region's leafnode link user: confined to its region, recorded, revocable", () => {
  it("carries the region's telemetry: live to the Knowledge Base and sourced into QONNECT_HISTORY_EU", async () => {
    const kb = await as("kb", "cloud", "kb", nats.cloud[0]!.url);
    const seen = new Set<string>();
    kb.subscribe("qonnect.*.summary", { callback: (e, m) => e || seen.add(m.subject) });
    kb.subscribe("qonnect.*.telemetry.*", { callback: (e, m) => e || seen.add(m.subject) });
    await kb.flush();
    const fog = await as("fog", "eu", "fog-1", nats.leaves.eu!.url);
    await ensureStream(await fog.jetstreamManager(), regionTelemetryStreamConfig("eu"));
    const device = await as("device", "eu", "pi-1", nats.leaves.eu!.url);
    const js = device.jetstream();
    for (let seq = 1; seq <= 5; seq++)
      await js.publish("qonnect.eu.telemetry.pi-1", new Uint8Array([seq]), {
        msgID: telemetryMsgId("pi-1", seq),
      });
    const jsm = await kb.jetstreamManager({ domain: "cloud" });
    await ensureStream(jsm, historyStreamConfig("eu", { sourceDomain: "eu" }));
    await vi.waitFor(async () => {
      expect((await jsm.streams.info(historyStreamName("eu"))).state.messages).toBe(5);
    }, wait);
    await vi.waitFor(async () => {
      fog.publish("qonnect.eu.summary", new Uint8Array([1]));
      device.publish("qonnect.eu.telemetry.pi-1", new Uint8Array([9]));
      await device.flush();
      expect([...seen].sort()).toEqual(["qonnect.eu.summary", "qonnect.eu.telemetry.pi-1"]);
    }, wait);
  }, 120_000);

  it("cannot read another region's subjects, nor speak for it", async () => {
    const kb = await as("kb", "cloud", "kb-2", nats.cloud[0]!.url);
    const usSeen: string[] = [];
    for (const subject of ["qonnect.us.summary", "qonnect.us.telemetry.*"])
      kb.subscribe(subject, { callback: (e, m) => e || usSeen.push(new TextDecoder().decode(m.data)) });
    await kb.flush();
    // an observer on eu's leafnode server sees nothing of us, though us's telemetry reaches the cloud
    const spy = await as("admin", "eu", "spy", nats.leaves.eu!.url);
    const spied: string[] = [];
    spy.subscribe("qonnect.us.>", { callback: (e, m) => e || spied.push(m.subject) });
    await spy.flush();
    const usDevice = await as("device", "us", "pu-1", nats.leaves.us!.url);
    await vi.waitFor(async () => {
      usDevice.publish("qonnect.us.telemetry.pu-1", new TextEncoder().encode("real"));
      await usDevice.flush();
      expect(usSeen).toContain("real");
    }, wait);
    expect(spied).toEqual([]);
    // eu's link credentials, stolen and used as a client of the cloud
    const thief = await withLinkCreds("eu");
    const sub = thief.nc.subscribe("qonnect.us.>");
    thief.nc.publish("qonnect.us.summary", new TextEncoder().encode("forged"));
    await thief.nc.flush().catch(() => {});
    await vi.waitFor(() => expect(thief.errors.join(" ")).toMatch(/permissions/i), wait);
    expect(sub.isClosed()).toBe(true);
    await usDevice.flush();
    expect(usSeen).not.toContain("forged");
  }, 120_000);

  it("is in issued.json and `revoke` + push cuts the link; the revoked link cannot connect again", async () => {
    const creds = readFileSync(join(tmp.path, "nats-bundles", "leaf-eu", "nats.creds"), "utf8");
    const record = pki.issued().find((r) => r.role === "nats" && r.id === "leaf-eu" && r.region === "eu");
    expect(record).toBeDefined();
    const jwt = creds.split("\n").find((l) => l.startsWith("ey"))!;
    const claims = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as { sub: string };
    expect(claims.sub).toBe(record!.userKey);
    await pki.revoke((r) => r.role === "nats" && r.id === "leaf-eu", Date.now());
    const pushed = await pushAccountJwt(pki, nats.cloudUrls(), Date.now());
    expect(pushed.every((p) => p.ok)).toBe(true);
    await vi.waitFor(async () => expect(await leafLinks()).toBe(1), wait);
    // the leaf keeps trying: its attempts are refused (the cloud logs each), and a reload keeps it out
    for (const s of nats.cloud) s.reload();
    await vi.waitFor(() => {
      expect(nats.cloud.map((s) => s.log()).join("\n")).toMatch(/leafnode[^\n]*(revoked|authorization)/i);
    }, wait);
    expect(await leafLinks()).toBe(1);
  }, 120_000);
});
