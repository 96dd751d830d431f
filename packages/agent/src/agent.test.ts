import { telemetryV1 } from "@qonnect/proto";
import { tempDir, useNatsServer } from "@qonnect/testkit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "./agent.js";
import { loadAgentConfig } from "./config/config.js";
import { collectTelemetry, waitFor, writeAgentConfig } from "./test-support/agent-process.js";

const { PowerSource } = telemetryV1;

describe("agent telemetry over a real nats-server", () => {
  let nats: { url: string; stop(): Promise<void> };
  let dir: { path: string; remove(): void };
  beforeAll(async () => {
    nats = await useNatsServer();
    dir = tempDir("qonnect-agent-");
  });
  afterAll(async () => {
    await nats?.stop();
    dir?.remove();
  });

  it("publishes the emulated INA219's readings, decoded and correct, with consecutive seq and a registration", async () => {
    const region = "tel";
    const sub = await collectTelemetry(nats.url, region, "pi-a");
    const registrations: telemetryV1.DeviceRegistration[] = [];
    sub.nc.subscribe(`qonnect.${region}.register.pi-a`, {
      callback: (_e, msg) => registrations.push(telemetryV1.DeviceRegistration.decode(msg.data)),
    });
    await sub.nc.flush();
    const config = loadAgentConfig(
      writeAgentConfig(dir.path, {
        device: "pi-a",
        region,
        labels: { camera: "true" },
        nats: { servers: [nats.url] },
        sensors: { mode: "emulate", emulate: { busVoltageV: 5.1, currentA: 0.6, shuntOhms: 0.1 } },
        samplePeriodMs: 200,
      }),
    );
    const agent = await Agent.start({ config, logger: pino({ level: "silent" }) });
    try {
      // samples taken before the connection was up were spooled and arrive marked late; look at live ones
      const live = () => sub.samples.filter((s) => !s.late);
      await waitFor(() => live().length >= 4, { what: "four live telemetry samples" });
      const [first, second] = live();
      expect(first).toMatchObject({
        device: "pi-a",
        region,
        late: false,
        powerSource: PowerSource.POWER_SOURCE_MEASURED,
      });
      expect(second!.seq).toBe(first!.seq + 1);
      for (const s of sub.samples) {
        expect(Math.abs(s.busVoltageV - 5.1)).toBeLessThanOrEqual(0.004); // one 4 mV bus LSB
        expect(Math.abs(s.currentA - 0.6)).toBeLessThanOrEqual(0.001);
        expect(Math.abs(s.powerW - 3.06)).toBeLessThanOrEqual(0.01);
        expect(s.cpuUtil).toBeGreaterThanOrEqual(0);
        expect(s.cpuUtil).toBeLessThanOrEqual(1);
        expect(s.memoryTotalBytes).toBeGreaterThan(s.memoryUsedBytes);
        expect(s.tsMs).toBeGreaterThan(Date.now() - 60_000);
      }
      await waitFor(() => registrations.length >= 1, { what: "a registration" });
      expect(registrations[0]).toMatchObject({
        device: "pi-a",
        region,
        site: "site-1",
        tier: "edge",
        runtime: "process",
        labels: { camera: "true" },
        sensors: ["ina219:virtual-0x40"],
      });
      expect(registrations[0]!.cpuCores).toBeGreaterThan(0);
      const metrics = await (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text();
      expect(metrics).toMatch(/qonnect_agent_samples_total \d+/);
      expect(await (await fetch(`http://127.0.0.1:${agent.httpPort}/healthz`)).json()).toEqual({ ok: true });
    } finally {
      await agent.stop();
      await sub.close();
    }
  });
});
