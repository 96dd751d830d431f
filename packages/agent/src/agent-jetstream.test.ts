// The agent's telemetry through the region's JetStream stream (real nats-server): a spooled sample leaves
// the spool only once the stream acknowledged it; while no stream acknowledges, the spool holds everything
// and live samples keep the heartbeat going; once the stream is there the spool drains into it, each seq once.
import { type NatsServer, startNatsServer, tempDir, waitFor } from "@qonnect/testkit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "./agent.js";
import { loadAgentConfig } from "./config/config.js";
import {
  collectTelemetry,
  ensureTelemetryStream,
  storedTelemetry,
  writeAgentConfig,
} from "./testing/agent-process.js";

function contiguous(seqs: number[]): number[] {
  const set = new Set(seqs);
  const [min, max] = [Math.min(...set), Math.max(...set)];
  return [...Array(max - min + 1).keys()].map((i) => i + min).filter((s) => !set.has(s));
}

describe("agent telemetry through JetStream (real nats-server)", () => {
  let nats: NatsServer;
  let dir: { path: string; remove(): void };
  beforeAll(async () => {
    nats = await startNatsServer();
    dir = tempDir("qonnect-agent-js-");
  });
  afterAll(async () => {
    await nats?.stop();
    dir?.remove();
  }, 60_000);

  it("with no stream acknowledging, the spool holds every sample while live heartbeats go on; then it drains into the stream, each seq once", async () => {
    const region = "jsdown";
    const device = "pi-js";
    const sub = await collectTelemetry(nats.url, region, device);
    const config = loadAgentConfig(
      writeAgentConfig(dir.path, {
        device,
        region,
        dataDir: `${dir.path}/jsdown-data`,
        nats: { servers: [nats.url], ackTimeoutMs: 300, ackRetryMs: 300 },
        samplePeriodMs: 200,
      }),
    );
    const agent = await Agent.start({ config, logger: pino({ level: "silent" }) });
    try {
      await waitFor(async () => (await agent.status()).nats.jetstreamAcking === false, {
        what: "the agent to notice that nothing acknowledges",
      });
      const heard = sub.samples.length;
      await waitFor(async () => (await agent.status()).spool.depth >= 10, { what: "ten samples spooled" });
      // the heartbeat goes on: fresh samples keep arriving live while the spool grows
      await waitFor(() => sub.samples.filter((s) => !s.late).length >= heard + 5, {
        what: "live samples while JetStream does not acknowledge",
      });
      const before = await agent.status();
      expect(before.spool.dropped).toBe(0);

      await ensureTelemetryStream(nats.url, region);
      await waitFor(
        async () => {
          const s = await agent.status();
          return s.nats.jetstreamAcking === true && s.spool.depth <= 2 && s.lastSeq >= before.lastSeq + 3;
        },
        { what: "the spool to drain into the stream", timeoutMs: 60_000 },
      );
      const stored = await storedTelemetry(nats.url, region, device);
      const seqs = stored.map((s) => s.seq);
      // live samples sent after the stream appeared may land before the spooled ones: order is not asserted
      expect(Math.min(...seqs)).toBe(0);
      expect(contiguous(seqs)).toEqual([]);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(Math.max(...seqs)).toBeGreaterThanOrEqual(before.lastSeq);
      // what was spooled while nothing acknowledged is marked late
      expect(stored.filter((s) => s.late).length).toBeGreaterThanOrEqual(10);
    } finally {
      await agent.stop();
      await sub.close();
    }
  }, 120_000);

  it("a restarted agent re-sends what it cannot prove acknowledged; the stream stores each seq once", async () => {
    const region = "jsrestart";
    const device = "pi-rs";
    await ensureTelemetryStream(nats.url, region);
    const config = loadAgentConfig(
      writeAgentConfig(dir.path, {
        device,
        region,
        dataDir: `${dir.path}/restart-data`,
        nats: { servers: [nats.url] },
        samplePeriodMs: 100,
      }),
    );
    const first = await Agent.start({ config, logger: pino({ level: "silent" }) });
    await waitFor(async () => (await first.status()).lastSeq >= 10, { what: "ten samples" });
    await first.stop();
    const second = await Agent.start({ config, logger: pino({ level: "silent" }) });
    try {
      const from = (await second.status()).lastSeq;
      await waitFor(async () => (await second.status()).lastSeq >= from + 10, { what: "ten more samples" });
      await waitFor(async () => (await second.status()).spool.depth <= 1, { what: "the spool to drain" });
    } finally {
      await second.stop();
    }
    const seqs = (await storedTelemetry(nats.url, region, device)).map((s) => s.seq);
    expect(contiguous(seqs)).toEqual([]);
    expect(new Set(seqs).size).toBe(seqs.length);
  }, 120_000);
});
