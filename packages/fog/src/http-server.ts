// /healthz (the process runs), /readyz (it knows a leader and NATS is connected) and Prometheus /metrics.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Gauge, Registry } from "prom-client";

export interface FogMetricsSource {
  role(): string;
  term(): number;
  commitIndex(): number;
  appliedIndex(): number;
  planVersion(): number;
  planInProgress(): boolean;
  devicesByVerdict(): Record<string, number>;
  counters(): Record<string, number>;
  ready(): { ok: boolean; why: string };
}

/** Counter-like figures kept by the process as plain numbers and exposed as gauges named `*_total`. */
const COUNTERS: Record<string, string> = {
  telemetry: "telemetry samples received",
  registrations: "registrations received",
  dropped: "undecodable or misaddressed device messages dropped",
  implausiblePower: "telemetry samples dropped: power negative or above the declared maximum",
  implausibleSoc: "telemetry samples dropped: battery state of charge outside 0..1",
  implausibleClock: "telemetry samples dropped: timestamp too far from the leader's clock",
  implausibleSequence: "telemetry samples dropped: sequence number not increasing",
  disconnects: "NATS disconnect advisories naming a device of the region",
  verdictChanges: "verdict changes proposed",
  localReplans: "local re-placements proposed",
  commandsAccepted: "device commands accepted",
  commandsRefused: "device commands refused (stale token)",
  commandsFailed: "device commands without a reply",
  raftRejected:
    "Raft peer traffic refused (bad sender, undecodable, out of bounds, refused or revoked certificate)",
  raftCredentialRotations: "times the Raft links moved to a rotated client certificate",
};

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export async function startHttpServer(
  address: string,
  src: FogMetricsSource,
): Promise<{ server: Server; port: number }> {
  const registry = new Registry();
  const g = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const isLeader = g("qonnect_fog_leader", "1 while this member leads the region");
  const term = g("qonnect_fog_term", "Raft term");
  const commit = g("qonnect_fog_commit_index", "Raft commit index");
  const applied = g("qonnect_fog_applied_index", "Raft applied index");
  const plan = g("qonnect_fog_plan_version", "current plan version");
  const inProgress = g("qonnect_fog_plan_in_progress", "1 while the current plan is being executed");
  const devices = g("qonnect_fog_devices", "devices by verdict", ["verdict"]);
  const counters = Object.fromEntries(
    Object.entries(COUNTERS).map(([k, help]) => [k, g(`qonnect_fog_${snake(k)}_total`, help)]),
  );
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (path === "/readyz") {
      const r = src.ready();
      res.writeHead(r.ok ? 200 : 503, { "content-type": "text/plain" }).end(`${r.why}\n`);
      return;
    }
    if (path === "/metrics") {
      isLeader.set(src.role() === "leader" ? 1 : 0);
      term.set(src.term());
      commit.set(src.commitIndex());
      applied.set(src.appliedIndex());
      plan.set(src.planVersion());
      inProgress.set(src.planInProgress() ? 1 : 0);
      devices.reset();
      for (const [v, n] of Object.entries(src.devicesByVerdict())) devices.set({ verdict: v }, n);
      for (const [k, v] of Object.entries(src.counters())) counters[k]?.set(v);
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404).end("not found\n");
  });
  const [host, port] = [
    address.slice(0, address.lastIndexOf(":")),
    Number(address.slice(address.lastIndexOf(":") + 1)),
  ];
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
