import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { telemetryV1 } from "@qonnect/proto";
import { tempDir, useNatsServer, waitFor } from "@qonnect/testkit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "./agent.js";
import { loadAgentConfig } from "./config/config.js";
import { collectTelemetry, sendCommand, writeAgentConfig } from "./testing/agent-process.js";
import { startK8sApiEmulator } from "./testing/k8s-emulator.js";

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
  }, 60_000);

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
        sensors: { mode: "emulate", emulate: { busVoltageV: 5.1, currentA: 0.6, shuntResistanceOhm: 0.1 } },
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
  }, 60_000);

  it("k8s API emulator contract: an agent with runtime k3s applies commanded workloads and reports their pods", async () => {
    const emu = await startK8sApiEmulator();
    const kubeconfig = join(dir.path, "kubeconfig.yaml");
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "emu", cluster: { server: emu.url, "insecure-skip-tls-verify": true } }],
        users: [{ name: "emu", user: {} }],
        contexts: [{ name: "emu", context: { cluster: "emu", user: "emu" } }],
        "current-context": "emu",
      }),
    );
    const region = "k3s";
    const config = loadAgentConfig(
      writeAgentConfig(dir.path, {
        device: "pi-k3s",
        region,
        dataDir: join(dir.path, "k3s-data"),
        nats: { servers: [nats.url] },
        runtime: { kind: "k3s", kubeconfig, namespace: "edge", node: "pi-k3s-node" },
        samplePeriodMs: 200,
      }),
    );
    const sub = await collectTelemetry(nats.url, region, "pi-k3s");
    const agent = await Agent.start({ config, logger: pino({ level: "silent" }) });
    try {
      await waitFor(async () => (await agent.status()).nats.connected, { what: "the agent to connect" });
      const workload = telemetryV1.WorkloadSpec.fromPartial({
        app: "shop",
        service: "cart",
        image: "example/cart:1",
        ports: [8080],
        plan: "p1",
      });
      const ack = await sendCommand(sub.nc, region, "pi-k3s", {
        device: "pi-k3s",
        token: { term: 1, planVersion: 1 },
        workloads: [workload],
        tsMs: Date.now(),
      });
      expect(ack).toMatchObject({ accepted: true, error: "" });
      expect(emu.get("Deployment", "edge", "shop-cart-0")?.spec).toMatchObject({
        template: { spec: { nodeSelector: { "kubernetes.io/hostname": "pi-k3s-node" } } },
      });
      await waitFor(
        () =>
          sub.samples.some((s) => s.workloads[0]?.state === telemetryV1.WorkloadState.WORKLOAD_STATE_RUNNING),
        { what: "telemetry showing the pod running" },
      );
    } finally {
      await agent.stop();
      await sub.close();
      await emu.close();
    }
  }, 60_000);
});
