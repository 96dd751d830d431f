// The federation's identities (DESIGN.md §10), made the way an operator makes them: a CA and NATS operator
// for the demo's directory (`qonnect pki init`), one bundle per NATS server, the Knowledge Base, each fog lead
// and each device (`qonnect enroll`), and an admin bundle the demo itself uses to read the fog leads and to
// observe NATS. Done in-process with @qonnect/pki (the library behind those commands): enrolling twenty
// identities through twenty CLI processes would cost minutes of start-up on these machines.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fogClientCredentials } from "@qonnect/fog";
import type { SecureNatsFiles } from "@qonnect/natsd";
import { enroll, enrollNatsDeployment, type Identity, loadBundle, Pki } from "@qonnect/pki";

const LOOPBACK = ["127.0.0.1", "localhost"];

export class FederationPki {
  private constructor(
    readonly dir: string,
    readonly pki: Pki,
    readonly nats: SecureNatsFiles,
  ) {}

  /** `pki init` into `<dir>/pki` (once; an existing PKI is reused) and the NATS servers' bundles. */
  static async create(dir: string, o: { regions: string[]; cloudServers: number }): Promise<FederationPki> {
    const pkiDir = join(dir, "pki");
    const pki = existsSync(join(pkiDir, "ca.pem"))
      ? Pki.open(pkiDir)
      : await Pki.init(pkiDir, { nowMs: Date.now() });
    const nats = await enrollNatsDeployment(pki, join(dir, "bundles", "nats"), {
      cloudServers: o.cloudServers,
      regions: o.regions,
      nowMs: Date.now(),
    });
    return new FederationPki(dir, pki, nats);
  }

  get caFile(): string {
    return this.pki.files.caCert;
  }

  get caPem(): string {
    return readFileSync(this.caFile, "utf8");
  }

  get crlFile(): string {
    return this.pki.files.crl;
  }

  /** `qonnect enroll ROLE ID --region R --host 127.0.0.1` into `<dir>/bundles/<region>-<role>-<id>`. */
  async enroll(identity: Identity, endpoints: { nats?: string[]; fog?: string[]; kb?: string } = {}) {
    const out = join(this.dir, "bundles", `${identity.region}-${identity.role}-${identity.id}`);
    await enroll(this.pki, identity, out, { nowMs: Date.now(), hosts: LOOPBACK, ...endpoints });
    return out;
  }

  /** The admin bundle the demo reads the fog leads with (and whose NATS creds observe everything). */
  async admin(): Promise<string> {
    const out = join(this.dir, "bundles", "cloud-admin-demo");
    if (!existsSync(join(out, "cert.pem"))) await this.enroll({ region: "cloud", role: "admin", id: "demo" });
    return out;
  }

  /** FogLead channel credentials of the admin bundle (mutual TLS; the server must hold a fog certificate). */
  async fogCredentials(): Promise<ReturnType<typeof fogClientCredentials>> {
    return fogClientCredentials(loadBundle(await this.admin()));
  }
}
