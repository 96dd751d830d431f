// Test support: a real `kb serve` (gRPC + HTTP on free loopback ports) on SQLite in a temp dir or on a
// schema of a real PostgreSQL, with one token per role.
import { randomBytes } from "node:crypto";
import { tempDir } from "@qonnect/testkit";
import { createToken } from "../api/auth.js";
import { KbClient } from "../client/kb-client.js";
import { type KbServer, type KbServerOptions, startKbServer } from "../server.js";

export interface TestKb {
  kb: KbServer;
  dir: string;
  tokens: { viewer: string; operator: string; admin: string };
  client(token?: string): KbClient;
  http(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  stop(): Promise<void>;
}

export async function startTestKb(
  store: "sqlite" | { postgresUrl: string },
  extra: Partial<KbServerOptions> = {},
): Promise<TestKb> {
  const dir = tempDir("kb-test-");
  const kb = await startKbServer({
    dataDir: dir.path,
    store: store === "sqlite" ? "sqlite" : store.postgresUrl,
    ...(store === "sqlite" ? {} : { schema: `t_${randomBytes(6).toString("hex")}` }),
    grpc: "127.0.0.1:0",
    http: "127.0.0.1:0",
    insecure: true,
    ...extra,
  });
  const now = Date.now();
  const tokens = {
    viewer: (await createToken(kb.store, "viewer", { nowMs: now })).token,
    operator: (await createToken(kb.store, "operator", { nowMs: now })).token,
    admin: (await createToken(kb.store, "admin", { nowMs: now })).token,
  };
  const clients: KbClient[] = [];
  return {
    kb,
    dir: dir.path,
    tokens,
    client(token?: string) {
      const c = new KbClient({ server: kb.grpcAddress, insecure: true, ...(token ? { token } : {}) });
      clients.push(c);
      return c;
    },
    http(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.token) headers.set("authorization", `Bearer ${init.token}`);
      return fetch(`${kb.httpUrl}${path}`, { ...init, headers });
    },
    async stop() {
      for (const c of clients) c.close();
      await kb.close();
      dir.remove();
    },
  };
}

export const INVENTORY = `apiVersion: qonnect.io/v1alpha1
kind: Inventory
metadata:
  name: lab
spec:
  zones:
    - { name: DE, intensityGPerKWh: 380, pricePerKWh: 0.3 }
    - { name: FR, intensityGPerKWh: 60, pricePerKWh: 0.2 }
  sites:
    - { name: berlin, tier: edge, region: eu-central, zone: DE }
    - { name: paris, tier: edge, region: eu-west, zone: FR }
  latencies:
    - { from: berlin, to: paris, ms: 15 }
  devices:
    - { name: pi-b1, site: berlin, arch: arm64, cpu: 4, memory: 4Gi, power: { idleW: 3, maxW: 8 } }
    - { name: pi-b2, site: berlin, arch: arm64, cpu: 4, memory: 4Gi, power: { idleW: 3, maxW: 8 } }
    - { name: pi-p1, site: paris, arch: arm64, cpu: 4, memory: 4Gi, power: { idleW: 3, maxW: 8 } }
    - { name: pi-p2, site: paris, arch: arm64, cpu: 4, memory: 4Gi, power: { idleW: 3, maxW: 8 } }
`;

export function appYaml(name: string, replicas = 1, labels: Record<string, string> = {}): string {
  const l = Object.entries(labels)
    .map(([k, v]) => `\n    ${k}: "${v}"`)
    .join("");
  return `apiVersion: qonnect.io/v1alpha1
kind: Application
metadata:
  name: ${name}${l ? `\n  labels:${l}` : ""}
spec:
  qos: { carbon: 1 }
  services:
    - name: web
      replicas: ${replicas}
      resources: { cpu: 500m, memory: 128Mi }
      placement: { spread: device }
`;
}
