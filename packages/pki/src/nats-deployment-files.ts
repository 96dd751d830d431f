// The files an operator installs to run the secure NATS deployment for real (`qonnect pki nats-deployment`):
// per server a directory with its bundle (a leafnode server's nats.creds is its region's link user), its
// configuration rendered from the same templates the demo runs (infra/nats/cloud.conf and leaf.conf: every
// $QONNECT_NATS_* variable filled in), the operator JWT and resolver.conf (the account JWTs).
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
import { bundleFiles } from "./bundle-files.js";
import { enrollNatsDeployment } from "./nats-deployment.js";
import { leafnodeServerId } from "./nats-permissions.js";
import type { Pki } from "./pki-store.js";

/** Where a server listens: its address and client port; its other ports follow NATS's defaults from it. */
export interface NatsServerAddress {
  host: string;
  port: number;
}

/** The cluster, leafnode and monitoring ports of a server, from its client port (4222 → 6222, 7422, 8222). */
export function derivedPorts(clientPort: number): { cluster: number; leaf: number; http: number } {
  return { cluster: clientPort + 2000, leaf: clientPort + 3200, http: clientPort + 4000 };
}

export interface NatsDeploymentFilesOptions {
  /** the three cloud servers (cloud-1 … cloud-3) */
  cloud: NatsServerAddress[];
  /** one leafnode server per region */
  regions: Record<string, NatsServerAddress>;
  /** the text of infra/nats/cloud.conf and leaf.conf */
  templates: { cloud: string; leaf: string };
  /** where the directories are written */
  outDir: string;
  /** where they will be on the servers (paths inside the configurations); default outDir */
  installDir?: string;
  /** JetStream store directory on the servers (one sub-directory per server); default <installDir>/<name>/jetstream */
  storeDir?: string;
  /** address every listener binds; default each server's own host */
  bind?: string;
  nowMs: number;
  days?: number;
}

export interface WrittenNatsServer {
  name: string;
  kind: "cloud" | "leaf";
  region?: string;
  /** the directory to install on the server */
  dir: string;
  /** `nats-server -c <config>` on the server */
  config: string;
  url: string;
}

/** A template variable left without a value: the template and this code disagree. */
export class NatsTemplateError extends Error {
  override name = "NatsTemplateError";
  constructor(readonly variables: string[]) {
    super(`the NATS template uses ${variables.join(", ")}, which qonnect does not fill in; update qonnect`);
  }
}

const CLOUD_SIZE = 3;

/** Fills in every $QONNECT_NATS_* variable (numbers as they are, everything else quoted). */
export function renderNatsTemplate(template: string, values: Record<string, string | number>): string {
  const missing = new Set<string>();
  const body = template
    .split("\n")
    .map((line) =>
      line.trimStart().startsWith("#")
        ? line
        : line.replace(/\$(QONNECT_NATS_[A-Z0-9_]+)/g, (_m, name: string) => {
            const v = values[name];
            if (v === undefined) {
              missing.add(name);
              return `$${name}`;
            }
            return typeof v === "number" ? String(v) : JSON.stringify(v);
          }),
    )
    .join("\n");
  if (missing.size > 0) throw new NatsTemplateError([...missing]);
  return `# written by qonnect pki nats-deployment from the template below; do not edit, write it again\n${body}`;
}

/**
 * Enrols every server of the deployment (recorded in issued.json) and writes one directory per server into
 * `outDir`: cert.pem, key.pem, ca.pem, nats.creds, identity.yaml, nats.conf, operator.jwt, resolver.conf.
 * After `qonnect revoke`, copy the PKI's nats/resolver.conf over each server's and send it SIGHUP (or push).
 */
export async function writeNatsDeploymentFiles(
  pki: Pki,
  o: NatsDeploymentFilesOptions,
): Promise<WrittenNatsServer[]> {
  if (o.cloud.length !== CLOUD_SIZE)
    throw new RangeError(`the cloud cluster has ${CLOUD_SIZE} servers (cloud.conf names three routes)`);
  const regions = Object.keys(o.regions);
  const installDir = o.installDir ?? o.outDir;
  const hosts = [...new Set([...o.cloud, ...Object.values(o.regions)].map((a) => a.host)), "localhost"];
  const secure = await enrollNatsDeployment(pki, o.outDir, {
    cloudServers: CLOUD_SIZE,
    regions,
    nowMs: o.nowMs,
    hosts,
    ...(o.days ? { days: o.days } : {}),
  });
  const operatorJwt = readFileSync(pki.files.operatorJwt, "utf8");
  const resolver = readFileSync(pki.files.resolver, "utf8");
  const at = (name: string, file: string) => join(installDir, name, file);
  const common = (name: string, a: NatsServerAddress) => {
    const files = bundleFiles(join(installDir, name));
    return {
      QONNECT_NATS_NAME: name,
      QONNECT_NATS_HOST: o.bind ?? a.host,
      QONNECT_NATS_PORT: a.port,
      QONNECT_NATS_HTTP_PORT: derivedPorts(a.port).http,
      QONNECT_NATS_STORE: o.storeDir ? join(o.storeDir, name) : at(name, "jetstream"),
      QONNECT_NATS_TLS_CERT: files.cert,
      QONNECT_NATS_TLS_KEY: files.key,
      QONNECT_NATS_TLS_CA: files.ca,
      QONNECT_NATS_OPERATOR: at(name, "operator.jwt"),
    };
  };
  const out: WrittenNatsServer[] = [];
  const write = (server: Omit<WrittenNatsServer, "dir" | "config">, text: string) => {
    const dir = join(o.outDir, server.name);
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, "nats.conf"), text, 0o644);
    writeFileAtomic(join(dir, "operator.jwt"), operatorJwt, 0o644);
    writeFileAtomic(join(dir, "resolver.conf"), resolver, 0o644);
    out.push({ ...server, dir, config: at(server.name, "nats.conf") });
  };
  o.cloud.forEach((a, i) => {
    const name = `cloud-${i + 1}`;
    const routes = Object.fromEntries(
      o.cloud.map((r, j) => [
        `QONNECT_NATS_ROUTE_${j + 1}`,
        `nats-route://${r.host}:${derivedPorts(r.port).cluster}`,
      ]),
    );
    const text = renderNatsTemplate(o.templates.cloud, {
      ...common(name, a),
      ...routes,
      QONNECT_NATS_CLUSTER_PORT: derivedPorts(a.port).cluster,
      QONNECT_NATS_LEAF_PORT: derivedPorts(a.port).leaf,
    });
    write({ name, kind: "cloud", url: `tls://${a.host}:${a.port}` }, text);
  });
  const cloudLeafUrls = Object.fromEntries(
    o.cloud.map((c, j) => [
      `QONNECT_NATS_CLOUD_${j + 1}`,
      `nats-leaf://${c.host}:${derivedPorts(c.port).leaf}`,
    ]),
  );
  for (const [region, a] of Object.entries(o.regions)) {
    const name = leafnodeServerId(region);
    const text = renderNatsTemplate(o.templates.leaf, {
      ...common(name, a),
      ...cloudLeafUrls,
      QONNECT_NATS_DOMAIN: region,
      QONNECT_NATS_ACCOUNT: secure.accountKey,
      QONNECT_NATS_LEAF_CREDS: bundleFiles(join(installDir, name)).creds,
    });
    write({ name, kind: "leaf", region, url: `tls://${a.host}:${a.port}` }, text);
  }
  return out;
}
