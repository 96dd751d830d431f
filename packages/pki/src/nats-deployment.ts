// The files a secure NATS deployment (infra/nats/cloud.conf and leaf.conf: a cloud cluster and one leafnode
// server per region) needs from the deployment's PKI: one `nats` identity per server (certificate for its
// client, route and leafnode ports), each region's leafnode link credentials, the operator JWT and the
// account JWTs (resolver.conf). `@qonnect/natsd`'s startNatsDeployment takes the result as `secure`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bundleFiles } from "./bundle-files.js";
import { enroll } from "./enroll.js";
import { leafnodeServerId } from "./nats-permissions.js";
import type { Pki } from "./pki-store.js";

/** What startNatsDeployment needs to run infra/nats/cloud.conf and leaf.conf (all paths absolute). */
export interface NatsDeploymentFiles {
  operatorJwtFile: string;
  /** `<pki>/nats/resolver.conf`: linked next to the configurations, so a SIGHUP after `revoke` applies it */
  resolverFile: string;
  /** public key of the QONNECT account (leafnode remotes bind to it) */
  accountKey: string;
  caFile: string;
  /** by server name (cloud-1 …, leaf-<region>): the server's certificate and key */
  servers: Record<string, { certFile: string; keyFile: string; bundleDir: string }>;
  /** by region: the leafnode link's NATS credentials (nats.creds of the server's bundle) */
  leafCreds: Record<string, string>;
}

/**
 * Enrols every server of a deployment into `dir` (one bundle per server, recorded in issued.json); a leafnode
 * server's bundle `nats.creds` is its region's link user.
 */
export async function enrollNatsDeployment(
  pki: Pki,
  dir: string,
  options: { cloudServers: number; regions: string[]; nowMs: number; hosts?: string[]; days?: number },
): Promise<NatsDeploymentFiles> {
  const hosts = options.hosts ?? ["127.0.0.1", "localhost"];
  const servers: NatsDeploymentFiles["servers"] = {};
  const identities = [
    ...Array.from({ length: options.cloudServers }, (_, i) => ({ region: "cloud", id: `cloud-${i + 1}` })),
    ...options.regions.map((region) => ({ region, id: leafnodeServerId(region) })),
  ];
  for (const { region, id } of identities) {
    const bundleDir = join(dir, id);
    await enroll(pki, { region, role: "nats", id }, bundleDir, {
      nowMs: options.nowMs,
      hosts,
      regions: options.regions,
      ...(options.days ? { days: options.days } : {}),
    });
    const files = bundleFiles(bundleDir);
    servers[id] = { certFile: files.cert, keyFile: files.key, bundleDir };
  }
  // a leafnode server's own NATS user (nats.creds of its bundle, in issued.json) is its region's link user
  const leafCreds: Record<string, string> = {};
  for (const region of options.regions)
    leafCreds[region] = bundleFiles(servers[leafnodeServerId(region)]!.bundleDir).creds;
  const accounts = JSON.parse(readFileSync(pki.files.accounts, "utf8")) as { account: string };
  return {
    operatorJwtFile: pki.files.operatorJwt,
    resolverFile: pki.files.resolver,
    accountKey: accounts.account,
    caFile: pki.files.caCert,
    servers,
    leafCreds,
  };
}
