import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
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
  nats: { connected: boolean; server: string };
  sensors: { power?: string; battery?: string; notes: string[] };
  powerSource: "measured" | "model";
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

/** `/healthz`, Prometheus `/metrics` and `/status` (JSON) on a local port. */
export async function startHttpServer(options: {
  host: string;
  port: number;
  metrics: AgentMetrics;
  status(): Promise<AgentStatus>;
}): Promise<{ port: number; close(): Promise<void> }> {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/metrics", async (c) =>
    c.body(await options.metrics.registry.metrics(), 200, {
      "content-type": options.metrics.registry.contentType,
    }),
  );
  app.get("/status", async (c) => c.json(await options.status()));
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, () => resolve(s));
    s.once("error", reject);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
