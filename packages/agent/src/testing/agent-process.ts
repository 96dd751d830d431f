// Helpers for the agent's tests and benchmark (and tests of other packages that run agents): write a config,
// run the agent as a child process (so it can be killed with -9), collect decoded telemetry from NATS.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureStream, regionTelemetryStreamConfig, telemetryStreamName } from "@qonnect/pki";
import { telemetryV1 } from "@qonnect/proto";
import { REPO_ROOT, waitFor } from "@qonnect/testkit";
import { connect, type NatsConnection } from "nats";
import type { AgentStatus } from "../http-server.js";

export const AGENT_MAIN = join(REPO_ROOT, "packages/agent/src/main.ts");

/** Writes agent.yaml into `dir` from the given fields (YAML is a superset of JSON). */
export function writeAgentConfig(dir: string, fields: Record<string, unknown>): string {
  const file = join(dir, "agent.yaml");
  writeFileSync(
    file,
    JSON.stringify(
      {
        device: "dev-1",
        region: "test",
        site: "site-1",
        tier: "edge",
        sensors: "emulate",
        runtime: { kind: "process", workDir: REPO_ROOT, stopGraceMs: 2000 },
        dataDir: join(dir, "data"),
        http: { port: 0 },
        log: { level: "info" },
        ...fields,
      },
      null,
      2,
    ),
  );
  return file;
}

export interface AgentProcess {
  child: ChildProcess;
  pid: number;
  /** stdout so far (pino JSON lines) */
  output(): string;
  /** the port of /healthz, /metrics, /status (from the "agent started" log line) */
  httpPort(): Promise<number>;
  status(): Promise<AgentStatus>;
  exited: Promise<number | null>;
}

/** Starts `qonnect-agent run --config <file>` under tsx. */
export function spawnAgent(configFile: string): AgentProcess {
  const child = spawn(process.execPath, ["--import", "tsx", AGENT_MAIN, "run", "--config", configFile], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const httpPort = async () => {
    let port = 0;
    await waitFor(
      () => {
        const m = /"httpPort":(\d+)/.exec(out);
        port = m ? Number(m[1]) : 0;
        return port > 0;
      },
      { what: "the agent to start", timeoutMs: 60_000 },
    );
    return port;
  };
  return {
    child,
    pid: child.pid ?? -1,
    output: () => out,
    httpPort,
    exited,
    async status() {
      const res = await fetch(`http://127.0.0.1:${await httpPort()}/status`);
      return (await res.json()) as AgentStatus;
    },
  };
}

/** Subscribes to a device's telemetry and keeps every decoded sample. */
export async function collectTelemetry(
  url: string,
  region: string,
  device: string,
): Promise<{ nc: NatsConnection; samples: telemetryV1.DeviceTelemetry[]; close(): Promise<void> }> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const samples: telemetryV1.DeviceTelemetry[] = [];
  nc.subscribe(`qonnect.${region}.telemetry.${device}`, {
    callback: (_err, msg) => samples.push(telemetryV1.DeviceTelemetry.decode(msg.data)),
  });
  await nc.flush();
  return { nc, samples, close: () => nc.close() };
}

/** Sends a DeviceCommand and decodes the CommandAck. */
export async function sendCommand(
  nc: NatsConnection,
  region: string,
  device: string,
  command: telemetryV1.DeviceCommand | Uint8Array,
  timeoutMs = 15_000,
): Promise<telemetryV1.CommandAck> {
  const data = command instanceof Uint8Array ? command : telemetryV1.DeviceCommand.encode(command).finish();
  const reply = await nc.request(`qonnect.${region}.cmd.${device}`, data, { timeout: timeoutMs });
  return telemetryV1.CommandAck.decode(reply.data);
}

/** A process-runtime workload running examples/bookinfo/service.mjs on `port`. */
export function serviceWorkload(
  service: string,
  port: number,
  extra: Partial<telemetryV1.WorkloadSpec> = {},
) {
  return telemetryV1.WorkloadSpec.fromPartial({
    app: "bookinfo",
    service,
    replica: 0,
    command: [process.execPath, "examples/bookinfo/service.mjs"],
    ports: [port],
    plan: "plan-1",
    ...extra,
  });
}

/** Creates the region's telemetry stream as a fog lead does (tests without fog leads). */
export async function ensureTelemetryStream(url: string, region: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    await ensureStream(await nc.jetstreamManager(), regionTelemetryStreamConfig(region));
  } finally {
    await nc.close();
  }
}

/** Every sample the region stream holds for `device`, decoded, in stream order. */
export async function storedTelemetry(
  url: string,
  region: string,
  device: string,
): Promise<telemetryV1.DeviceTelemetry[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    const stream = telemetryStreamName(region);
    const info = await jsm.streams.info(stream);
    const out: telemetryV1.DeviceTelemetry[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
      if (m && m.subject === `qonnect.${region}.telemetry.${device}`)
        out.push(telemetryV1.DeviceTelemetry.decode(m.data));
    }
    return out;
  } finally {
    await nc.close();
  }
}
