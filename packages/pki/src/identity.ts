import { X509Certificate } from "node:crypto";

/** The roles a certificate can carry (DESIGN.md §10); `nats` is a NATS server's own TLS certificate. */
export const ROLES = ["device", "fog", "kb", "admin", "nats"] as const;
export type Role = (typeof ROLES)[number];

/** Who holds a credential: the Knowledge Base and admins use region `cloud`. */
export interface Identity {
  region: string;
  role: Role;
  id: string;
}

/** Region and id names: lower-case DNS-label style, so they are safe in NATS subjects and URIs. */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export class IdentityError extends Error {
  override name = "IdentityError";
  constructor(
    message: string,
    readonly value: string,
  ) {
    super(message);
  }
}

/** Throws IdentityError unless the region and id are valid names and the role is known. */
export function checkIdentity(identity: Identity): Identity {
  if (!ROLES.includes(identity.role))
    throw new IdentityError(`unknown role "${identity.role}" (one of ${ROLES.join(", ")})`, identity.role);
  for (const [what, value] of [
    ["region", identity.region],
    ["id", identity.id],
  ] as const)
    if (!NAME_PATTERN.test(value))
      throw new IdentityError(
        `${what} "${value}" must be 1-63 lower-case letters, digits or '-' (not at either end)`,
        value,
      );
  return identity;
}

/** `spiffe://qonnect/<region>/<role>/<id>` */
export function spiffeUri(identity: Identity): string {
  checkIdentity(identity);
  return `spiffe://qonnect/${identity.region}/${identity.role}/${identity.id}`;
}

/** The identity named by a spiffe URI, or undefined when the URI is not one of ours. */
export function parseSpiffeUri(uri: string): Identity | undefined {
  const m = /^spiffe:\/\/qonnect\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!m) return undefined;
  const candidate = { region: m[1] ?? "", role: m[2] as Role, id: m[3] ?? "" };
  try {
    return checkIdentity(candidate);
  } catch {
    return undefined;
  }
}

/**
 * The identity in a Node `subjectaltname` string ("URI:spiffe://…, DNS:…"). Exactly one qonnect URI SAN is
 * accepted; none or several give undefined (a certificate that names two holders names none).
 */
export function identityFromSubjectAltName(subjectAltName: string | undefined): Identity | undefined {
  if (!subjectAltName) return undefined;
  const found = subjectAltName
    .split(/,\s*/)
    .filter((part) => part.startsWith("URI:spiffe://qonnect/"))
    .map((part) => parseSpiffeUri(part.slice(4)));
  if (found.length !== 1) return undefined;
  return found[0];
}

/**
 * The identity a certificate (PEM or DER) names in its URI SAN. This only reads the certificate: call it on a
 * peer certificate the TLS handshake already verified against the CA (gRPC `call.getAuthContext()`).
 */
export function identityFromCertificate(cert: string | Buffer): Identity | undefined {
  try {
    return identityFromSubjectAltName(new X509Certificate(cert).subjectAltName);
  } catch {
    return undefined;
  }
}
