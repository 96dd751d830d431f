// The telemetry history against a real NATS deployment from infra/nats (three cloud servers with JetStream,
// a leafnode server for the region) and `kb serve` as a real process: samples published into the region's
// stream at the leaf reach the Knowledge Base's store through the cloud's history stream, each (device, seq)
// exactly once, across a SIGKILL of the Knowledge Base and a cut of the leaf's link to the cloud; the coverage
// reports each region's backlog, and a consumer made by an older version gets the current ack wait.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ensureStream,
  historyStreamConfig,
  historyStreamName,
  regionTelemetryStreamConfig,
  subjects,
  telemetryMsgId,
} from "@qonnect/pki";
import { telemetryV1 } from "@qonnect/proto";
import { freePort, type NatsDeployment, startNatsDeployment, tempDir, waitFor } from "@qonnect/testkit";
import { AckPolicy, connect, type NatsConnection, nanos } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../api/auth.js";
import { SqliteStore } from "../store/sqlite-store.js";
import type { TelemetryCoverage } from "../store/telemetry-store.js";
import { DEFAULT_ACK_WAIT_MS, TELEMETRY_CONSUMER, type TelemetryBacklog } from "./telemetry-history.js";

const main = fileURLToPath(new URL("../testdata/serve-main.ts", import.meta.url));
const REGION = "eu-central";
const DEVICES = ["pi-a", "pi-b"];

/** Devices publishing into the region's stream at the leaf as agents do: msg id per sample, wait for the ack. */
function publisher(nc: NatsConnection) {
  const js = nc.jetstream();
  const next = new Map(DEVICES.map((d) => [d, 0]));
  let running = true;
  let failures = 0;
  const loop = (async () => {
    while (running) {
      for (const device of DEVICES) {
        const seq = next.get(device)!;
        const t = telemetryV1.DeviceTelemetry.fromPartial({
          device,
          region: REGION,
          seq,
          tsMs: Date.now(),
          powerW: 3,
        });
        try {
          await js.publish(
            subjects.telemetry(REGION, device),
            telemetryV1.DeviceTelemetry.encode(t).finish(),
            {
              msgID: telemetryMsgId(device, seq),
              timeout: 2000,
            },
          );
          next.set(device, seq + 1); // acknowledged: the agent would drop it from its spool now
        } catch {
          failures++; // not acknowledged: sent again (same msg id)
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    /** Samples acknowledged so far per device. */
    sent: (device: string) => next.get(device)!,
    failures: () => failures,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe("telemetry history: region stream → cloud history stream → kb store (real deployment, kb serve process)", () => {
  const dir = tempDir("kb-telemetry-");
  let deployment: NatsDeployment;
  let kb: ChildProcess | undefined;
  let httpPort = 0;
  let token = "";
  const open: NatsConnection[] = [];

  const startKb = async () => {
    const grpcPort = await freePort();
    const log = openSync(join(dir.path, "kb.log"), "a");
    kb = spawn(
      process.execPath,
      ["--import", "tsx", main, join(dir.path, "kb"), `127.0.0.1:${grpcPort}`, `127.0.0.1:${httpPort}`],
      {
        stdio: ["ignore", "ignore", log],
        env: { ...process.env, KB_NATS: deployment.cloudUrls().join(","), KB_TELEMETRY_REGIONS: REGION },
      },
    );
    closeSync(log);
  };
  const stopKb = async (signal: NodeJS.Signals) => {
    const child = kb;
    kb = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    await exited;
  };
  const coverageBody = async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/telemetry/coverage`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`coverage: HTTP ${res.status}`);
    return (await res.json()) as { devices: TelemetryCoverage[]; regions: TelemetryBacklog[] };
  };
  const coverage = async (): Promise<Map<string, TelemetryCoverage>> =>
    new Map((await coverageBody()).devices.map((d) => [d.device, d]));
  /** Every device's history holds exactly seq 0..sent-1. */
  const complete = async (sent: (device: string) => number) => {
    const c = await coverage().catch(() => new Map<string, TelemetryCoverage>());
    return DEVICES.every((d) => {
      const x = c.get(d);
      return x !== undefined && x.firstSeq === 0 && x.lastSeq === sent(d) - 1 && x.count === sent(d);
    });
  };

  beforeAll(async () => {
    deployment = await startNatsDeployment({ regions: [REGION], dir: join(dir.path, "nats") });
    const store = new SqliteStore(join(dir.path, "kb"));
    token = (await createToken(store, "viewer", { nowMs: Date.now() })).token;
    await store.close();
    httpPort = await freePort();
  }, 60_000);
  afterAll(async () => {
    await stopKb("SIGKILL");
    for (const nc of open) await nc.close().catch(() => {});
    await deployment?.stop();
    dir.remove();
  }, 60_000);

  it("no sample lost or stored twice across kill -9 of kb serve, its restart, and a cut of the leaf's link to the cloud", async () => {
    const leafNc = await connect({ servers: deployment.leaves[REGION]!.url, maxReconnectAttempts: -1 });
    open.push(leafNc);
    // the region's stream, as the region's fog leads create it
    await ensureStream(await leafNc.jetstreamManager(), regionTelemetryStreamConfig(REGION));
    // a history consumer left by an older version, with its 30 s ack wait
    const cloudNc = await connect({ servers: deployment.cloudUrls(), maxReconnectAttempts: -1 });
    open.push(cloudNc);
    const cloudJsm = await cloudNc.jetstreamManager({ checkAPI: false });
    await waitFor(() => cloudJsm.getAccountInfo().then(() => true), { what: "the cloud's JetStream" });
    // an R3 stream waits for the meta leader to know all three peers ("no suitable peers for placement")
    await waitFor(
      () =>
        ensureStream(cloudJsm, historyStreamConfig(REGION, { sourceDomain: REGION, replicas: 3 })).then(
          () => true,
        ),
      { what: "the history stream on three cloud servers", timeoutMs: 150_000, intervalMs: 500 },
    );
    await cloudJsm.consumers.add(historyStreamName(REGION), {
      durable_name: TELEMETRY_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(30_000),
    });
    const pub = publisher(leafNc);
    try {
      await startKb();
      const what = (step: string) => ({ what: step, timeoutMs: 120_000 });
      await waitFor(
        async () => ((await coverage().catch(() => undefined))?.get("pi-a")?.count ?? 0) >= 30,
        what("kb to store the first samples"),
      );

      // the Knowledge Base dies mid-stream (between commits and acks, wherever it is) and comes back
      await stopKb("SIGKILL");
      const atKill = pub.sent("pi-a");
      await waitFor(() => pub.sent("pi-a") >= atKill + 30, { what: "samples published while kb is down" });
      await startKb();
      await waitFor(
        async () => ((await coverage().catch(() => undefined))?.get("pi-a")?.lastSeq ?? -1) >= atKill + 30,
        what("kb to catch up"),
      );

      // the leaf loses its link to the cloud: the region keeps acknowledging into its own stream
      for (const s of deployment.cloud) await s.stop();
      const atCut = pub.sent("pi-a");
      await waitFor(() => pub.sent("pi-a") >= atCut + 30, {
        what: "samples acknowledged at the leaf during the cut",
      });
      for (const s of deployment.cloud) await s.start();
      await pub.stop();
      await waitFor(() => complete(pub.sent), what("every acknowledged sample in the history, once"));
      const c = await coverage();
      for (const d of DEVICES)
        expect(c.get(d)).toMatchObject({ firstSeq: 0, missing: 0, count: pub.sent(d) });
      // the backlog says the history has caught up, and the old consumer now redelivers after 10 s
      await waitFor(async () => (await coverageBody()).regions[0]?.pendingSamples === 0, what("no backlog"));
      const { regions } = await coverageBody();
      expect(regions).toEqual([
        expect.objectContaining({ region: REGION, pendingSamples: 0, ackWaitMs: DEFAULT_ACK_WAIT_MS }),
      ]);
      expect(regions[0]!.error).toBeUndefined();
      const info = await cloudJsm.consumers.info(historyStreamName(REGION), TELEMETRY_CONSUMER);
      expect(info.config.ack_wait).toBe(nanos(DEFAULT_ACK_WAIT_MS));
    } catch (err) {
      // the Knowledge Base's own log says why it did not get there
      process.stderr.write(
        `--- kb serve log ---\n${readFileSync(join(dir.path, "kb.log"), "utf8").slice(-4000)}\n`,
      );
      throw err;
    } finally {
      await pub.stop();
      await stopKb("SIGTERM");
    }
  }, 400_000);
});
