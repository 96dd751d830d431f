import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic-file.js";
import { createCa, createCrl } from "./certificate.js";
import type { Identity } from "./identity.js";
import { accountJwts, type NatsKeys, newNatsKeys } from "./nats-auth.js";
import { pkiFiles } from "./pki-files.js";

export { pkiFiles };

/** One credential set `qonnect enroll` issued, as the PKI directory remembers it (issued.json). */
export interface IssuedRecord extends Identity {
  serial: string;
  /** the NATS user's public nkey */
  userKey: string;
  issuedAtMs: number;
  notAfterMs: number;
  revokedAtMs?: number;
}

export class PkiError extends Error {
  override name = "PkiError";
  constructor(
    message: string,
    readonly dir: string,
  ) {
    super(message);
  }
}

/** How long CRLs stay valid: servers must receive a fresh one (any `revoke` or `pki refresh`) before then. */
export const CRL_DAYS = 30;

/** The deployment's CA and NATS operator, on disk. */
export class Pki {
  private constructor(
    readonly dir: string,
    readonly caCertPem: string,
    readonly caKeyPem: string,
    readonly natsKeys: NatsKeys,
  ) {}

  /** Creates a new PKI in `dir` (refuses to overwrite one). */
  static async init(dir: string, options: { nowMs: number; days?: number; name?: string }): Promise<Pki> {
    const files = pkiFiles(dir);
    if (existsSync(files.caCert))
      throw new PkiError(`${dir} already holds a CA; use another --dir or remove it first`, dir);
    const ca = await createCa(options.name ?? "qonnect CA", options.nowMs, options.days ?? 3650);
    const keys = newNatsKeys();
    writeFileAtomic(files.caKey, ca.keyPem, 0o600);
    writeFileAtomic(files.natsKeys, `${JSON.stringify(keys, null, 2)}\n`, 0o600);
    writeFileAtomic(files.issued, "[]\n", 0o644);
    writeFileAtomic(files.caCert, ca.certPem, 0o644);
    const pki = new Pki(dir, ca.certPem, ca.keyPem, keys);
    await pki.publish(options.nowMs);
    return pki;
  }

  static open(dir: string): Pki {
    const files = pkiFiles(dir);
    if (!existsSync(files.caCert) || !existsSync(files.caKey))
      throw new PkiError(`${dir} holds no CA (ca.pem, ca-key.pem); run 'qonnect pki init --dir ${dir}'`, dir);
    return new Pki(
      dir,
      readFileSync(files.caCert, "utf8"),
      readFileSync(files.caKey, "utf8"),
      JSON.parse(readFileSync(files.natsKeys, "utf8")) as NatsKeys,
    );
  }

  get files() {
    return pkiFiles(this.dir);
  }

  issued(): IssuedRecord[] {
    return JSON.parse(readFileSync(this.files.issued, "utf8")) as IssuedRecord[];
  }

  record(entry: IssuedRecord): void {
    writeFileAtomic(this.files.issued, `${JSON.stringify([...this.issued(), entry], null, 2)}\n`);
  }

  /**
   * Marks every record `match` selects revoked at `nowMs`, then republishes the CRL and the account JWT.
   * Returns the records it revoked (already revoked ones are not counted again).
   */
  async revoke(match: (r: IssuedRecord) => boolean, nowMs: number): Promise<IssuedRecord[]> {
    const all = this.issued();
    const hit = all.filter((r) => match(r) && r.revokedAtMs === undefined);
    for (const r of hit) r.revokedAtMs = nowMs;
    writeFileAtomic(this.files.issued, `${JSON.stringify(all, null, 2)}\n`);
    await this.publish(nowMs);
    return hit;
  }

  /**
   * Writes what servers read: `crl.pem` (gRPC servers reload it when it changes), the operator JWT, and
   * `nats/resolver.conf` (the account JWTs with their revocations) that nats-server reloads on SIGHUP.
   */
  async publish(nowMs: number): Promise<void> {
    const revoked = this.issued().filter((r) => r.revokedAtMs !== undefined);
    const crl = await createCrl(
      { certPem: this.caCertPem, keyPem: this.caKeyPem },
      revoked.map((r) => ({ serial: r.serial, atMs: r.revokedAtMs ?? nowMs })),
      { nowMs, days: CRL_DAYS },
    );
    // a revocation at second s refuses every user JWT issued at or before s: +1 covers JWTs of this second
    const revocations = Object.fromEntries(
      revoked.map((r) => [r.userKey, Math.floor((r.revokedAtMs ?? nowMs) / 1000) + 1]),
    );
    const jwts = await accountJwts(this.natsKeys, revocations);
    writeFileAtomic(this.files.crl, crl);
    // the operator JWT never changes after init: nats-server cannot reload a changed operator
    if (!existsSync(this.files.operatorJwt)) writeFileAtomic(this.files.operatorJwt, jwts.operatorJwt);
    writeFileAtomic(
      this.files.accounts,
      `${JSON.stringify({ account: jwts.accountKey, system: jwts.systemKey }, null, 2)}\n`,
    );
    writeFileAtomic(
      this.files.resolver,
      `# written by qonnect pki; reload nats-server (SIGHUP) after a change\n` +
        `system_account: ${jwts.systemKey}\n` +
        `resolver: MEMORY\n` +
        `resolver_preload: {\n  ${jwts.accountKey}: "${jwts.accountJwt}"\n  ${jwts.systemKey}: "${jwts.systemJwt}"\n}\n`,
    );
  }
}
