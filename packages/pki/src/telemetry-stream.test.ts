import { join } from "node:path";
import { freePort, type NatsDeployment, startNatsDeployment, tempDir } from "@qonnect/testkit";
import { connect, type JetStreamManager, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadBundle } from "./bundle.js";
import { enroll } from "./enroll.js";
import type { Identity } from "./identity.js";
import { natsConnectOptions } from "./nats-config.js";
import { subjects, telemetryStreamName } from "./nats-permissions.js";
import { Pki } from "./pki-store.js";
import {
  ensureStream,
  historyStreamConfig,
  historyStreamName,
  regionTelemetryStreamConfig,
  telemetryMsgId,
} from "./telemetry-stream.js";
import { type SecureNatsServer, startSecureNatsServer } from "./test-support/secure-nats.js";

const te = new TextEncoder();

describe("telemetry streams with per-identity permissions (real nats-server 2.9, operator JWT)", () => {
  const tmp = tempDir("qonnect-pki-stream-");
  let pki: Pki;
  let server: SecureNatsServer;
  const open: NatsConnection[] = [];

  async function as(identity: Identity): Promise<NatsConnection> {
    const dir = join(tmp.path, `${identity.region}_${identity.role}_${identity.id}`);
    await enroll(pki, identity, dir, { nowMs: Date.now() });
    const nc = await connect({
      ...natsConnectOptions(loadBundle(dir), [server.url]),
      maxReconnectAttempts: 0,
    });
    open.push(nc);
    return nc;
  }

  beforeAll(async () => {
    pki = await Pki.init(join(tmp.path, "pki"), { nowMs: Date.now() });
    server = await startSecureNatsServer(pki, join(tmp.path, "nats"), { port: await freePort() });
  });
  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => {});
    await server.stop();
    tmp.remove();
  });

  it("a fog lead creates its region's stream (once), a device's publish is acknowledged and de-duplicated; another region's fog cannot create it", async () => {
    const fog = await as({ region: "eu", role: "fog", id: "f1" });
    const jsm = await fog.jetstreamManager();
    expect(await ensureStream(jsm, regionTelemetryStreamConfig("eu"))).toBe("created");
    expect(await ensureStream(jsm, regionTelemetryStreamConfig("eu"))).toBe("unchanged");

    const device = await as({ region: "eu", role: "device", id: "d1" });
    const js = device.jetstream();
    const subject = subjects.telemetry("eu", "d1");
    const first = await js.publish(subject, te.encode("s1"), { msgID: telemetryMsgId("d1", 1) });
    expect(first).toMatchObject({ stream: telemetryStreamName("eu"), duplicate: false });
    const again = await js.publish(subject, te.encode("s1"), { msgID: telemetryMsgId("d1", 1) });
    expect(again).toMatchObject({ seq: first.seq, duplicate: true });
    expect((await jsm.streams.info(telemetryStreamName("eu"))).state.messages).toBe(1);

    const stranger = await as({ region: "us", role: "fog", id: "f9" });
    const strangerJsm = await stranger.jetstreamManager({ timeout: 2000 }).catch((e: Error) => e);
    // either the manager cannot even ask for account info, or creating eu's stream is refused
    if (!(strangerJsm instanceof Error))
      await expect(
        ensureStream(strangerJsm, { ...regionTelemetryStreamConfig("eu"), name: "QONNECT_TELEMETRY_EU" }),
      ).rejects.toThrow();
    expect((await jsm.streams.info(telemetryStreamName("eu"))).state.messages).toBe(1);
  });
});

describe("region stream sourced into the cloud's history stream (real deployment from infra/nats)", () => {
  const tmp = tempDir("qonnect-pki-source-");
  let deployment: NatsDeployment;
  const open: NatsConnection[] = [];
  const region = "eu-central";
  const cn = async (url: string) => {
    const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    open.push(nc);
    return nc;
  };
  /**
   * A JetStream call on a fresh cluster may come before its meta leader, and an R3 stream before the leader
   * knows all three peers ("no suitable peers for placement": it took over 60 s once on a loaded machine):
   * retry until it answers.
   */
  const retry = <T>(f: () => Promise<T>) => vi.waitFor(f, { timeout: 150_000, interval: 500 }) as Promise<T>;

  beforeAll(async () => {
    deployment = await startNatsDeployment({ regions: [region], dir: tmp.path });
  }, 60_000);
  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => {});
    await deployment.stop();
    tmp.remove();
  });

  it("samples published at the leaf reach the cloud history, also those published while the leaf link was down", async () => {
    const leaf = deployment.leaves[region]!;
    const regionNc = await cn(leaf.url);
    const regionJsm = await regionNc.jetstreamManager();
    await ensureStream(regionJsm, regionTelemetryStreamConfig(region));
    const cloudNc = await cn(deployment.cloud[0]!.url);
    const cloudJsm: JetStreamManager = await retry(() => cloudNc.jetstreamManager());
    expect((await cloudJsm.getAccountInfo()).domain).toBe("cloud");
    await retry(() =>
      ensureStream(cloudJsm, historyStreamConfig(region, { sourceDomain: region, replicas: 3 })),
    );
    const js = regionNc.jetstream();
    const publish = (seq: number) =>
      // no `expect.streamName`: its header travels with the sourced copy and the history stream would refuse it
      js.publish(subjects.telemetry(region, "d1"), te.encode(`s${seq}`), {
        msgID: telemetryMsgId("d1", seq),
      });
    for (let seq = 1; seq <= 5; seq++) await publish(seq);
    const history = () => cloudJsm.streams.info(historyStreamName(region)).then((i) => i.state.messages);
    await vi.waitFor(async () => expect(await history()).toBe(5), { timeout: 60_000 });

    // the leaf loses its link to the cloud (every cloud server it could reach is stopped in turn) …
    for (const s of deployment.cloud) await s.stop();
    for (let seq = 6; seq <= 10; seq++) await publish(seq);
    for (const s of deployment.cloud) await s.start();
    // … and the history catches up once the link is back
    await vi.waitFor(async () => expect(await history()).toBe(10), { timeout: 90_000, interval: 500 });
  }, 360_000);
});
