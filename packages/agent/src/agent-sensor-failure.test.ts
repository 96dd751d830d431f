// A broken power sensor must show: the sample falls back to the power model, every failed read is counted in
// /metrics, and the log says so once when it starts failing and once when it reads again.
import { join } from "node:path";
import { telemetryV1 } from "@qonnect/proto";
import { useNatsServer, useTempDirs, waitFor } from "@qonnect/testkit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "./agent.js";
import { loadAgentConfig } from "./config/config.js";
import type { AgentSensor } from "./sensors/sensor.js";
import { collectTelemetry, writeAgentConfig } from "./testing/agent-process.js";

const { PowerSource } = telemetryV1;

/** A sensor stand-in that fails while `broken` is set. */
function flakySensor(): AgentSensor & { broken: boolean } {
  return {
    id: "standin:power",
    label: "flaky power sensor stand-in",
    broken: true,
    async read() {
      if (this.broken) throw new Error("remote I/O error");
      return { valid: true, powerW: 4.2, busVoltageV: 5, currentA: 0.84 };
    },
  };
}

describe("agent with a failing sensor (sensor stand-in, real nats-server)", () => {
  let nats: { url: string; stop(): Promise<void> };
  const dir = useTempDirs("qonnect-agent-sensor-");
  beforeAll(async () => {
    nats = await useNatsServer();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it("falls back to the model, counts every failed read, logs the failure once and the recovery once", async () => {
    const region = "flaky";
    const root = dir();
    const config = loadAgentConfig(
      writeAgentConfig(root, {
        device: "pi-flaky",
        region,
        nats: { servers: [nats.url] },
        samplePeriodMs: 100,
        dataDir: join(root, "data"),
      }),
    );
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
    const logged = (msg: string) => lines.filter((l) => JSON.parse(l).msg === msg);
    const sensor = flakySensor();
    const offsetMs = 1_000_000_000; // an injected clock far from the real one: samples carry its time
    const sub = await collectTelemetry(nats.url, region, "pi-flaky");
    const agent = await Agent.start({
      config,
      logger,
      sensors: { power: sensor, notes: [] },
      nowMs: () => Date.now() + offsetMs,
    });
    try {
      await waitFor(
        () => sub.samples.filter((s) => s.powerSource === PowerSource.POWER_SOURCE_MODEL).length >= 3,
        {
          what: "three samples from the power model",
        },
      );
      const metrics = async () => (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text();
      const failures = async () =>
        Number(
          /qonnect_agent_sensor_read_failures_total\{role="power"\} (\d+)/.exec(await metrics())?.[1] ?? 0,
        );
      expect(await failures()).toBeGreaterThanOrEqual(3);
      expect(logged("sensor read failed; using the power model until it reads again")).toHaveLength(1);
      expect(
        JSON.parse(logged("sensor read failed; using the power model until it reads again")[0]!),
      ).toMatchObject({
        sensor: "standin:power",
        role: "power",
        err: "remote I/O error",
      });
      expect(sub.samples[0]!.tsMs).toBeGreaterThan(Date.now() + offsetMs / 2);

      sensor.broken = false;
      await waitFor(() => sub.samples.some((s) => s.powerSource === PowerSource.POWER_SOURCE_MEASURED), {
        what: "a measured sample after the sensor recovers",
      });
      expect(logged("sensor reads again")).toHaveLength(1);
      expect(logged("sensor read failed; using the power model until it reads again")).toHaveLength(1);
      expect(await metrics()).toMatch(/# TYPE qonnect_agent_spool_dropped_total counter/);
    } finally {
      await agent.stop();
      await sub.close();
    }
  });
});
