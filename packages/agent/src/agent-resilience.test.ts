// The agent as a child process, the way it runs on a board: NATS outages, kill -9, fenced commands.
import { telemetryV1 } from "@qonnect/proto";
import { alive, freePort, type NatsServer, startNatsServer, tempDir, waitFor } from "@qonnect/testkit";
import { connect, type NatsConnection } from "nats";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AgentProcess,
  collectTelemetry,
  ensureTelemetryStream,
  sendCommand,
  serviceWorkload,
  spawnAgent,
  writeAgentConfig,
} from "./testing/agent-process.js";

const { WorkloadState } = telemetryV1;

async function pidOn(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
  return ((await res.json()) as { pid: number }).pid;
}

// generous limits: each test starts agents under tsx, which is slow on a loaded 2-core machine
const TEST_TIMEOUT_MS = 120_000;

describe("agent resilience (agent as a child process, real nats-server)", () => {
  let nats: NatsServer;
  let dir: { path: string; remove(): void };
  const agents: AgentProcess[] = [];
  const start = (configFile: string) => {
    const a = spawnAgent(configFile);
    agents.push(a);
    return a;
  };
  beforeAll(async () => {
    nats = await startNatsServer();
    dir = tempDir("qonnect-agent-res-");
  });
  afterEach(async () => {
    for (const a of agents.splice(0)) {
      if (a.child.exitCode === null) a.child.kill("SIGTERM");
      await a.exited;
    }
  });
  afterAll(async () => {
    await nats?.stop();
    dir?.remove();
  }, TEST_TIMEOUT_MS);

  it(
    "loses no sample across a NATS outage and replays the spooled ones in order, marked late",
    async () => {
      const region = "outage";
      const config = writeAgentConfig(dir.path, {
        device: "pi-out",
        region,
        dataDir: `${dir.path}/out-data`,
        nats: { servers: [nats.url], reconnectWaitMs: 200 },
        samplePeriodMs: 250,
      });
      const sub = await collectTelemetry(nats.url, region, "pi-out");
      // the region's stream, as its fog leads create it: a spooled sample leaves the spool once it acknowledged
      await ensureTelemetryStream(nats.url, region);
      const agent = start(config);
      try {
        await waitFor(() => sub.samples.length >= 3, { what: "live telemetry" });
        await nats.stop();
        await waitFor(async () => (await agent.status()).spool.depth >= 6, {
          what: "samples spooled offline",
        });
        // hold the agent still while the server comes back, so the subscriber is listening before the replay
        agent.child.kill("SIGSTOP");
        nats = await startNatsServer({ port: nats.port });
        await ensureTelemetryStream(nats.url, region); // a fresh server: its store is new
        await waitFor(
          async () => {
            await sub.nc.flush();
            return true;
          },
          { what: "the subscriber to reconnect" },
        );
        agent.child.kill("SIGCONT");
        const status = await agent.status();
        const target = status.lastSeq + 3;
        await waitFor(() => sub.samples.some((s) => s.seq >= target), {
          what: `seq ${target}`,
          timeoutMs: 30_000,
        });
        const seqs = new Set(sub.samples.map((s) => s.seq));
        const max = Math.max(...seqs);
        const missing = [...Array(max + 1).keys()].filter((s) => !seqs.has(s));
        expect(missing).toEqual([]);
        const late = sub.samples.filter((s) => s.late);
        expect(late.length).toBeGreaterThanOrEqual(6);
        const lateSeqs = late.map((s) => s.seq);
        expect(lateSeqs).toEqual([...lateSeqs].sort((a, b) => a - b));
        expect((await agent.status()).spool.dropped).toBe(0);
      } finally {
        agent.child.kill("SIGCONT");
        await sub.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "survives kill -9: workloads die with it, and on restart it resumes them and its token; lower tokens are refused",
    async () => {
      const region = "kill";
      const device = "pi-kill";
      const config = writeAgentConfig(dir.path, {
        device,
        region,
        dataDir: `${dir.path}/kill-data`,
        nats: { servers: [nats.url], reconnectWaitMs: 200 },
      });
      const nc: NatsConnection = await connect({ servers: nats.url });
      try {
        const first = start(config);
        await waitFor(async () => (await first.status()).nats.connected, { what: "the agent to connect" });
        const [p1, p2] = [await freePort(), await freePort()];
        const workloads = [
          serviceWorkload("details", p1),
          serviceWorkload("productpage", p2, {
            calls: [{ service: "details", host: "127.0.0.1", port: p1 }],
          }),
        ];
        const token = { term: 3, planVersion: 7 };
        const ack = await sendCommand(nc, region, device, { device, token, workloads, tsMs: Date.now() });
        expect(ack).toMatchObject({ accepted: true, token, error: "" });
        await waitFor(async () => (await pidOn(p2)) > 0 && (await pidOn(p1)) > 0, {
          what: "both services to answer",
        });
        const down = await (await fetch(`http://127.0.0.1:${p2}/`)).json();
        expect(down).toMatchObject({
          service: "productpage",
          downstream: { details: { service: "details" } },
        });
        const oldPids = [await pidOn(p1), await pidOn(p2)];

        first.child.kill("SIGKILL");
        await first.exited;
        await waitFor(() => oldPids.every((pid) => !alive(pid)), {
          what: "the workloads to die with the agent",
        });

        const second = start(config);
        await waitFor(
          async () => {
            const s = await second.status();
            return s.workloads.length === 2 && s.workloads.every((w) => w.state === "running");
          },
          { what: "the workloads to be resumed" },
        );
        expect((await second.status()).token).toEqual(token);
        await waitFor(async () => (await pidOn(p1)) > 0 && (await pidOn(p2)) > 0, {
          what: "the services to answer",
        });
        expect(await pidOn(p1)).not.toBe(oldPids[0]);
        await waitFor(async () => (await second.status()).nats.connected, { what: "the agent to reconnect" });

        for (const stale of [
          { term: 3, planVersion: 6 },
          { term: 2, planVersion: 100 },
        ]) {
          const refused = await sendCommand(nc, region, device, {
            device,
            token: stale,
            workloads: [],
            tsMs: Date.now(),
          });
          expect(refused.accepted).toBe(false);
          expect(refused.token).toEqual(token);
          expect(refused.error).toMatch(/stale fencing token/);
          expect(refused.workloads.map((w) => w.state)).toEqual([
            WorkloadState.WORKLOAD_STATE_RUNNING,
            WorkloadState.WORKLOAD_STATE_RUNNING,
          ]);
        }
        // a higher token that lists nothing stops everything
        const newer = { term: 4, planVersion: 1 };
        const stop = await sendCommand(nc, region, device, {
          device,
          token: newer,
          workloads: [],
          tsMs: Date.now(),
        });
        expect(stop).toMatchObject({ accepted: true, token: newer, workloads: [] });
        await waitFor(async () => (await second.status()).workloads.length === 0, {
          what: "workloads stopped",
        });
      } finally {
        await nc.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "answers malformed commands with an error reply and stays up",
    async () => {
      const region = "bad";
      const device = "pi-bad";
      const config = writeAgentConfig(dir.path, {
        device,
        region,
        dataDir: `${dir.path}/bad-data`,
        nats: { servers: [nats.url] },
      });
      const nc = await connect({ servers: nats.url });
      try {
        const agent = start(config);
        await waitFor(async () => (await agent.status()).nats.connected, { what: "the agent to connect" });
        const cases: [string, Uint8Array | telemetryV1.DeviceCommand, RegExp][] = [
          ["garbage bytes", new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), /not a DeviceCommand/],
          ["empty payload", new Uint8Array(), /addressed to device ""/],
          [
            "another device",
            { device: "other", token: { term: 1, planVersion: 1 }, workloads: [], tsMs: 0 },
            /other/,
          ],
          ["no token", { device, workloads: [], tsMs: 0 }, /no fencing token/],
          [
            "duplicate workloads",
            {
              device,
              token: { term: 1, planVersion: 1 },
              workloads: [serviceWorkload("a", 1), serviceWorkload("a", 2)],
              tsMs: 0,
            },
            /listed twice/,
          ],
          [
            "a forged token far beyond any real term",
            { device, token: { term: 2 ** 53 - 1, planVersion: 1 }, workloads: [], tsMs: 0 },
            /implausible fencing token/,
          ],
          [
            "more workloads than a device runs",
            {
              device,
              token: { term: 1, planVersion: 1 },
              workloads: Array.from({ length: 65 }, (_, i) => serviceWorkload(`w${i}`, 1)),
              tsMs: 0,
            },
            /at most 64/,
          ],
        ];
        for (const [what, cmd, error] of cases) {
          const ack = await sendCommand(nc, region, device, cmd);
          expect(ack.accepted, what).toBe(false);
          expect(ack.error, what).toMatch(/^(malformed command|implausible fencing token): /);
          expect(ack.error, what).toMatch(error);
        }
        const s = await agent.status();
        expect(s.token).toEqual({ term: 0, planVersion: 0 });
        expect(agent.child.exitCode).toBe(null);
        expect(await (await fetch(`http://127.0.0.1:${await agent.httpPort()}/healthz`)).json()).toEqual({
          ok: true,
        });
      } finally {
        await nc.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
