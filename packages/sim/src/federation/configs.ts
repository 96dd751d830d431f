// Configuration files of the federation's processes, built as objects and written as YAML (never text
// concatenation): one agent.yaml per device, one fog.yaml per fog lead.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
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
  /** The emulated sun (watts, re-read every sample). */
  solarFile?: string;
  /** The device's `qonnect enroll device` bundle (NATS JWT creds, TLS with the CA pinned); plaintext without. */
  bundleDir?: string;
}

/** The supply rail of an emulated board: 5.1 V USB-C up to 15 W, else 12 V, else a 19 V barrel (an INA219 with
 * a 0.1 Ω shunt measures up to 3.2 A). */
export function busVoltageFor(device: Device): number {
  return device.maxW <= 15 ? 5.1 : device.maxW <= 36 ? 12 : 19;
}

/** The file a device's emulated sun is read from (watts): the demo's sunset writes 0 here. */
export function solarFileOf(deviceDir: string): string {
  return join(deviceDir, "solar-w");
}

/**
 * A device agent on an emulated board (the INA219 emulator, register-accurate): its load follows the
 * workloads through the device's power profile; a solar board's panel gives its idle draw plus its declared
 * excess (so the excess at idle is the inventory's), settable through `solarFile`; a declared battery sits on
 * an emulated UPS HAT. The process runtime.
 */
export function agentConfig(input: AgentConfigInput): Record<string, unknown> {
  const { device } = input;
  const solarW = device.solarExcessW > 0 ? Number((device.idleW + device.solarExcessW).toFixed(3)) : 0;
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
      emulate: {
        busVoltageV: busVoltageFor(device),
        shuntResistanceOhm: 0.1,
        followLoad: true,
        cpuCores: device.cpuCores,
        solarW,
        ...(input.solarFile ? { solarFile: input.solarFile } : {}),
        ...(device.battery
          ? {
              battery: {
                capacityWh: device.battery.capacityWh,
                soc: device.battery.soc,
                minSoc: device.battery.minSoc,
              },
            }
          : {}),
      },
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
