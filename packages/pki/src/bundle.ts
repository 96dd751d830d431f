import { existsSync, readFileSync, statSync } from "node:fs";
import { parse } from "yaml";
import { bundleFiles } from "./bundle-files.js";
import type { Endpoints } from "./enroll.js";
import { type Identity, identityFromCertificate } from "./identity.js";

/** One identity's credentials, loaded from its bundle directory. */
export interface Bundle extends Endpoints {
  dir: string;
  identity: Identity;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** the NATS creds file's path and text */
  credsFile: string;
  creds: string;
  /** CRL to check peers against: `crl.pem` in the bundle, or the file given to loadBundle */
  crlFile?: string;
}

export class BundleError extends Error {
  override name = "BundleError";
  constructor(
    message: string,
    readonly dir: string,
  ) {
    super(message);
  }
}

/**
 * Reads and checks a bundle written by `qonnect enroll`: the certificate must name the identity of
 * identity.yaml, and key.pem and nats.creds must not be readable by group or others.
 */
export function loadBundle(dir: string, options: { crlFile?: string } = {}): Bundle {
  const files = bundleFiles(dir);
  for (const path of [files.ca, files.cert, files.key, files.creds, files.identity])
    if (!existsSync(path))
      throw new BundleError(`${path} is missing; enrol this identity again with 'qonnect enroll'`, dir);
  for (const secret of [files.key, files.creds]) {
    const mode = statSync(secret).mode & 0o777;
    if (mode & 0o077)
      throw new BundleError(
        `${secret} is readable by others (mode ${mode.toString(8)}); run 'chmod 600 ${secret}'`,
        dir,
      );
  }
  const meta = (parse(readFileSync(files.identity, "utf8")) ?? {}) as Record<string, unknown>;
  const certPem = readFileSync(files.cert, "utf8");
  const identity = identityFromCertificate(certPem);
  if (!identity) throw new BundleError(`${files.cert} names no spiffe://qonnect identity; enrol again`, dir);
  if (identity.region !== meta.region || identity.role !== meta.role || identity.id !== meta.id)
    throw new BundleError(
      `${files.cert} names ${identity.region}/${identity.role}/${identity.id} but identity.yaml says ` +
        `${String(meta.region)}/${String(meta.role)}/${String(meta.id)}; enrol again`,
      dir,
    );
  const crlFile = options.crlFile ?? (existsSync(files.crl) ? files.crl : undefined);
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  return {
    dir,
    identity,
    caPem: readFileSync(files.ca, "utf8"),
    certPem,
    keyPem: readFileSync(files.key, "utf8"),
    credsFile: files.creds,
    creds: readFileSync(files.creds, "utf8"),
    crlFile,
    nats: list(meta.nats),
    fog: list(meta.fog),
    kb: typeof meta.kb === "string" ? meta.kb : undefined,
  };
}
