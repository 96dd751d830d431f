import { stringify } from "yaml";
import { writeFileAtomic } from "./atomic-file.js";
import { bundleFiles } from "./bundle-files.js";
import { issueLeaf } from "./certificate.js";
import { checkIdentity, type Identity, spiffeUri } from "./identity.js";
import { userCreds } from "./nats-auth.js";
import type { IssuedRecord, Pki } from "./pki-store.js";

/** Where the holder of a bundle finds the rest of the deployment (identity.yaml). */
export interface Endpoints {
  nats?: string[];
  fog?: string[];
  kb?: string;
}

export interface EnrollOptions extends Endpoints {
  nowMs: number;
  /** certificate and NATS user lifetime; default 90 days */
  days?: number;
  /** DNS names / IP addresses for a server certificate (fog leads, the Knowledge Base, nats-server) */
  hosts?: string[];
  /** the deployment's regions: a leafnode server's link user is denied speaking for the others */
  regions?: string[];
}

/**
 * Issues a certificate (URI SAN spiffe://qonnect/<region>/<role>/<id>) and a NATS user for `identity` and
 * writes the bundle into `outDir`. Enrolling an identity again rotates it: new key, certificate and creds
 * replace the old files atomically (the old certificate stays valid until it expires or is revoked).
 */
export async function enroll(
  pki: Pki,
  identity: Identity,
  outDir: string,
  options: EnrollOptions,
): Promise<IssuedRecord> {
  checkIdentity(identity);
  const days = options.days ?? 90;
  const leaf = await issueLeaf({ certPem: pki.caCertPem, keyPem: pki.caKeyPem }, identity, {
    nowMs: options.nowMs,
    days,
    hosts: options.hosts,
  });
  const { creds, userKey } = await userCreds(pki.natsKeys, identity, {
    notAfter: leaf.notAfter,
    ...(options.regions ? { regions: options.regions } : {}),
  });
  const files = bundleFiles(outDir);
  const record: IssuedRecord = {
    ...identity,
    serial: leaf.serial,
    userKey,
    issuedAtMs: options.nowMs,
    notAfterMs: leaf.notAfter.getTime(),
  };
  writeFileAtomic(files.key, leaf.keyPem, 0o600);
  writeFileAtomic(files.creds, creds, 0o600);
  writeFileAtomic(files.cert, leaf.certPem, 0o644);
  writeFileAtomic(files.ca, pki.caCertPem, 0o644);
  writeFileAtomic(files.identity, identityYaml(identity, record, options), 0o644);
  pki.record(record);
  return record;
}

function identityYaml(identity: Identity, record: IssuedRecord, endpoints: Endpoints): string {
  return stringify({
    region: identity.region,
    role: identity.role,
    id: identity.id,
    uri: spiffeUri(identity),
    serial: record.serial,
    notAfter: new Date(record.notAfterMs).toISOString(),
    nats: endpoints.nats ?? [],
    fog: endpoints.fog ?? [],
    ...(endpoints.kb ? { kb: endpoints.kb } : {}),
  });
}
