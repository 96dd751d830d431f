import { get } from "node:http";
import type { AgentStatus } from "./http-server.js";

/** The agent is not answering on its status port. */
export class AgentUnreachableError extends Error {
  override name = "AgentUnreachableError";
  constructor(
    readonly url: string,
    options: { cause: unknown },
  ) {
    super(`no agent answers at ${url}; is it running (qonnect agent run --config agent.yaml)?`, options);
  }
}

/**
 * Fetches `GET /status` from a running agent, with node:http: the agent runs under `--lite-mode` (see
 * node-flags.ts), which has no WebAssembly, and the global `fetch` needs it (undici's HTTP parser).
 */
export async function fetchAgentStatus(baseUrl: string, timeoutMs = 3000): Promise<AgentStatus> {
  const url = `${baseUrl.replace(/\/$/, "")}/status`;
  try {
    return JSON.parse(await getText(url, timeoutMs)) as AgentStatus;
  } catch (err) {
    throw new AgentUnreachableError(url, { cause: err });
  }
}

function getText(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) reject(new Error(`HTTP ${status}`));
        else resolve(Buffer.concat(chunks).toString("utf8"));
      });
    });
    req.on("error", reject);
  });
}

/** A short human-readable report of a status: connection, sensors, workloads, spool depth. */
export function formatAgentStatus(s: AgentStatus): string {
  const lines = [
    `device     ${s.device} (${s.tier}, ${s.region}/${s.site}), agent ${s.version}, pid ${s.pid}, up ${s.uptimeS}s`,
    `nats       ${s.nats.connected ? `connected to ${s.nats.server}` : "DISCONNECTED (spooling telemetry)"}`,
    `sensors    power: ${s.sensors.power ?? "none"} (reporting ${s.powerSource}), battery: ${s.sensors.battery ?? "none"}`,
    `model      P(u) = ${s.powerModel.idleW.toFixed(2)} + (${s.powerModel.maxW.toFixed(2)} − ${s.powerModel.idleW.toFixed(2)})·u^${s.powerModel.gamma.toFixed(2)} W (${s.powerModel.calibratedFromSamples ? `calibrated from ${s.powerModel.calibratedFromSamples} samples` : "configured profile"})`,
    `token      term ${s.token.term}, plan ${s.token.planVersion}`,
    `telemetry  last seq ${s.lastSeq}; spool depth ${s.spool.depth} (${s.spool.sizeBytes} bytes), dropped ${s.spool.dropped}`,
    `runtime    ${s.runtime}, ${s.workloads.length} workload(s)`,
  ];
  for (const w of s.workloads)
    lines.push(
      `  ${w.workload.padEnd(32)} ${w.state.padEnd(10)} restarts ${w.restarts}  cpu ${w.cpuCores.toFixed(2)}  mem ${(w.memoryBytes / 2 ** 20).toFixed(1)}Mi${w.message ? `  ${w.message}` : ""}`,
    );
  return `${lines.join("\n")}\n`;
}
