import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { AgentMetrics } from "./metrics.js";

/** What `GET /status` returns and `qonnect agent status` prints. */
export interface AgentStatus {
  device: string;
  region: string;
  site: string;
  tier: string;
  runtime: string;
  version: string;
  pid: number;
  uptimeS: number;
  /** `jetstreamAcking`: false while the region stream does not acknowledge telemetry (samples stay spooled) */
  nats: { connected: boolean; server: string; jetstreamAcking?: boolean };
  sensors: { power?: string; battery?: string; notes: string[] };
  powerSource: "measured" | "model";
  /** the model used when nothing measures power; `calibratedFromSamples` 0 means the configured profile */
  powerModel: { idleW: number; maxW: number; gamma: number; calibratedFromSamples: number };
  token: { term: number; planVersion: number };
  lastSeq: number;
  spool: { depth: number; dropped: number; sizeBytes: number };
  workloads: {
    workload: string;
    state: string;
    restarts: number;
    cpuCores: number;
    memoryBytes: number;
    message: string;
  }[];
}

/**
 * `/healthz`, Prometheus `/metrics` and `/status` (JSON) on a local port, with node:http. (hono's Node adapter
 * builds WHATWG Request/Response objects, which loads Node's bundled undici: +13 MB RSS measured, a fifth of
 * the agent's memory budget, for three fixed GET routes.)
 */
export async function startHttpServer(options: {
  host: string;
  port: number;
  metrics: AgentMetrics;
  status(): Promise<AgentStatus>;
}): Promise<{ port: number; close(): Promise<void> }> {
  const routes: Record<string, () => Promise<{ type: string; body: string }>> = {
    "/healthz": async () => ({ type: "application/json", body: JSON.stringify({ ok: true }) }),
    "/metrics": async () => ({
      type: options.metrics.registry.contentType,
      body: await options.metrics.registry.metrics(),
    }),
    "/status": async () => ({ type: "application/json", body: JSON.stringify(await options.status()) }),
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = routes[path];
    if (!route || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(route ? 405 : 404, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ error: route ? "method not allowed" : "not found", routes: Object.keys(routes) }),
      );
      return;
    }
    route().then(
      ({ type, body }) => {
        res.writeHead(200, { "content-type": type });
        res.end(req.method === "HEAD" ? undefined : body);
      },
      (err: Error) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: err.message }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
