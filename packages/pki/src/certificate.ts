import { randomBytes, webcrypto } from "node:crypto";
import { type Identity, spiffeUri } from "./identity.js";
import { x509 } from "./x509.js";

type CryptoKey = webcrypto.CryptoKey;

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const SIGN = { name: "ECDSA", hash: "SHA-256" } as const;
/** Certificates start this long before `now`: boards without a real-time clock boot a little behind. */
export const CLOCK_SKEW_MS = 60 * 60 * 1000;
const DAY_MS = 86_400_000;

/** A certificate and its private key, both PEM (the key PKCS#8, as `openssl` writes it). */
export interface IssuedPem {
  certPem: string;
  keyPem: string;
  serial: string;
  notAfter: Date;
}

function serialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  return bytes.toString("hex");
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0];
  if (!der) throw new Error("no PEM block in the CA key");
  return webcrypto.subtle.importKey("pkcs8", der, ALG, false, ["sign"]);
}

/** A self-signed CA certificate valid for `days`. */
export async function createCa(name: string, nowMs: number, days: number): Promise<IssuedPem> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const serial = serialHex();
  const notAfter = new Date(nowMs + days * DAY_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name: `CN=${name}, O=qonnect`,
    notBefore: new Date(nowMs - CLOCK_SKEW_MS),
    notAfter,
    keys,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey), serial, notAfter };
}

/** Extra names a server certificate answers to (`--host`): DNS names and IP addresses. */
export function hostNames(hosts: string[]): { type: "dns" | "ip"; value: string }[] {
  return hosts.map((h) => ({ type: /^[\d.]+$|:/.test(h) ? "ip" : "dns", value: h }));
}

/** A leaf certificate for `identity`, signed by the CA, usable for TLS server and client authentication. */
export async function issueLeaf(
  ca: { certPem: string; keyPem: string },
  identity: Identity,
  options: { nowMs: number; days: number; hosts?: string[] },
): Promise<IssuedPem> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importKey(ca.keyPem);
  const keys = await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const serial = serialHex();
  const notAfter = new Date(options.nowMs + options.days * DAY_MS);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${identity.id}, OU=${identity.role}, O=qonnect, L=${identity.region}`,
    issuer: caCert.subject,
    notBefore: new Date(options.nowMs - CLOCK_SKEW_MS),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([
        { type: "url", value: spiffeUri(identity) },
        ...hostNames(options.hosts ?? []),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey), serial, notAfter };
}

/** A CRL signed by the CA listing `revoked` serials (hex), valid until `nowMs + days`. */
export async function createCrl(
  ca: { certPem: string; keyPem: string },
  revoked: { serial: string; atMs: number }[],
  options: { nowMs: number; days: number },
): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const crl = await x509.X509CrlGenerator.create({
    issuer: caCert.subject,
    thisUpdate: new Date(options.nowMs - CLOCK_SKEW_MS),
    nextUpdate: new Date(options.nowMs + options.days * DAY_MS),
    entries: revoked.map((r) => ({
      serialNumber: r.serial,
      revocationDate: new Date(r.atMs),
      reason: x509.X509CrlReason.keyCompromise,
    })),
    signingKey: await importKey(ca.keyPem),
    signingAlgorithm: SIGN,
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(caCert)],
  });
  // openssl and Node's TLS read only the "X509 CRL" PEM label
  return x509.PemConverter.encode(crl.rawData, "X509 CRL");
}
