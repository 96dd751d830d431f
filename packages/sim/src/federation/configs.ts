// Configuration files of the federation's processes, built as objects and written as YAML (never text
// concatenation): one agent.yaml per device, one fog.yaml per fog lead.
import { writeFileSync } from "node:fs";
import type { Device } from "@qonnect/core";
import { stringify } from "yaml";

/** Port range for replicas: every simulated device shares 127.0.0.1, so each replica gets its own port. */
export const LOOPBACK_PORT_BASE = 21_000;

export interface AgentConfigInput {
  device: Device;
  natsUrl: string;
  dataDir: string;
  /** Where process workloads run: the repository root (examples/bookinfo/service.mjs). */
  workDir: string;
  samplePeriodMs: number;
  /** The device's `qonnect enroll device` bundle (NATS JWT creds, TLS with the CA pinned); plaintext without. */
  bundleDir?: string;
}

/** A device agent with an emulated INA219 drawing the device's idle power, and the process runtime. */
export function agentConfig(input: AgentConfigInput): Record<string, unknown> {
  const { device } = input;
  const busVoltageV = 5.1;
  return {
    device: device.name,
    region: device.region,
    site: device.site,
    tier: device.tier,
    labels: device.labels,
    nats: {
      servers: [input.natsUrl],
      reconnectWaitMs: 200,
      ...(input.bundleDir ? { bundle: input.bundleDir } : {}),
    },
    sensors: {
      mode: "emulate",
      emulate: { busVoltageV, currentA: Number((device.idleW / busVoltageV).toFixed(4)), shuntOhms: 0.1 },
    },
    runtime: { kind: "process", workDir: input.workDir, stopGraceMs: 2000 },
    power: { idleW: device.idleW, maxW: device.maxW, gamma: device.gamma },
    samplePeriodMs: input.samplePeriodMs,
    dataDir: input.dataDir,
    http: { host: "127.0.0.1", port: 0 },
    log: { level: "warn" },
  };
}

export interface FogConfigInput {
  region: string;
  member: number;
  /** member id → HOST:PORT of every member. */
  peers: Record<string, string>;
  dataDir: string;
  natsUrl: string;
  kbGrpc: string;
  http: string;
  /** The member's `qonnect enroll fog fog-<member>` bundle and the CRL to check peers against. */
  security?: { bundleDir: string; crlFile: string };
}

/**
 * One fog lead on loopback with its bundle (mutual TLS, NATS JWT creds) — or plaintext (`insecure: true`,
 * said explicitly) without one — and the demo's short timings: the detector's defaults (dead within about
 * 3 s) and summaries every second.
 */
export function fogConfig(input: FogConfigInput): Record<string, unknown> {
  return {
    region: input.region,
    member: input.member,
    listen: input.peers[String(input.member)],
    peers: input.peers,
    dataDir: input.dataDir,
    nats: { servers: [input.natsUrl] },
    ...(input.security
      ? { bundle: input.security.bundleDir, crlFile: input.security.crlFile }
      : { insecure: true }),
    kb: { address: input.kbGrpc },
    http: input.http,
    summary: { intervalMs: 1000 },
    workloads: { loopbackPortBase: LOOPBACK_PORT_BASE },
    log: { level: "info" },
  };
}

export function writeYaml(path: string, value: Record<string, unknown>): void {
  writeFileSync(path, stringify(value), { mode: 0o600 });
}
