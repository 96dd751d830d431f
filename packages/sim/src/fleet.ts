import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, checkAgentConfig, createLogger, sendDeviceCommand } from "@qonnect/agent";
import type { Device } from "@qonnect/core";
import { telemetryV1 } from "@qonnect/proto";
import { UnknownDeviceError } from "./errors.js";

export interface FleetOptions {
  natsUrl: string;
  /** Where process workloads run (their commands are relative to it). */
  workDir: string;
  /** Agent sample period; default 500 ms. */
  samplePeriodMs?: number;
}

/**
 * Real device agents, one per inventory device, running in this process on one machine: each has its own
 * data directory, NATS connection, emulated INA219 (drawing the device's idle power) and process runtime.
 */
export class VirtualFleet {
  readonly #agents = new Map<string, Agent>();
  readonly #regions = new Map<string, string>();
  readonly #root = mkdtempSync(join(tmpdir(), "qonnect-fleet-"));

  constructor(readonly options: FleetOptions) {}

  /** Starts the agent of `device` and waits until it runs. */
  async start(device: Device): Promise<void> {
    const busVoltageV = 5.1;
    const config = checkAgentConfig(
      {
        device: device.name,
        region: device.region,
        site: device.site,
        tier: device.tier,
        nats: { servers: [this.options.natsUrl], reconnectWaitMs: 200 },
        sensors: {
          mode: "emulate",
          emulate: {
            busVoltageV,
            currentA: Number((device.idleW / busVoltageV).toFixed(4)),
            shuntResistanceOhm: 0.1,
          },
        },
        runtime: { kind: "process", workDir: this.options.workDir, stopGraceMs: 2000 },
        power: { idleW: device.idleW, maxW: device.maxW, gamma: device.gamma },
        samplePeriodMs: this.options.samplePeriodMs ?? 500,
        dataDir: join(this.#root, device.name),
        http: { host: "127.0.0.1", port: 0 },
        log: { level: "error" },
      },
      join(this.#root, `${device.name}.yaml`),
    );
    const agent = await Agent.start({ config, logger: createLogger("error", 2) });
    this.#agents.set(device.name, agent);
    this.#regions.set(device.name, device.region);
  }

  get devices(): string[] {
    return [...this.#agents.keys()];
  }

  /** Sends a fenced DeviceCommand the way a fog leader does and returns the agent's ack. */
  async command(
    device: string,
    token: { term: number; planVersion: number },
    workloads: telemetryV1.WorkloadSpec[],
  ): Promise<telemetryV1.CommandAck> {
    const region = this.#regions.get(device);
    if (!region) throw new UnknownDeviceError(device);
    return sendDeviceCommand([this.options.natsUrl], region, {
      device,
      token: telemetryV1.FencingToken.create(token),
      workloads,
      tsMs: Date.now(),
    });
  }

  /** Stops one agent and its workloads: the device dies. */
  async kill(device: string): Promise<void> {
    await this.#agents.get(device)?.stop();
    this.#agents.delete(device);
  }

  /** Stops every agent and removes their data. */
  async close(): Promise<void> {
    await Promise.all([...this.#agents.keys()].map((d) => this.kill(d)));
    rmSync(this.#root, { recursive: true, force: true });
  }
}
