import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@qonnect/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadBundle } from "./bundle.js";
import { enroll } from "./enroll.js";
import { identityFromCertificate } from "./identity.js";
import { Pki } from "./pki-store.js";
import { RevocationList } from "./revocation-list.js";

const openssl = (...args: string[]) => execFileSync("openssl", args, { encoding: "utf8", stdio: "pipe" });

describe("pki init, enroll, revoke (files checked with openssl)", () => {
  const tmp = tempDir("qonnect-pki-");
  let pki: Pki;
  const dev = join(tmp.path, "dev-1");
  beforeAll(async () => {
    pki = await Pki.init(join(tmp.path, "pki"), { nowMs: Date.now() });
    await enroll(pki, { region: "eu", role: "device", id: "dev-1" }, dev, {
      nowMs: Date.now(),
      nats: ["tls://127.0.0.1:4222"],
      fog: ["127.0.0.1:7001"],
    });
  });
  afterAll(() => tmp.remove());

  it("writes the bundle of DESIGN.md §10 with secrets 0600 and a certificate openssl verifies", () => {
    for (const f of ["ca.pem", "cert.pem", "key.pem", "nats.creds", "identity.yaml"])
      expect(statSync(join(dev, f)).isFile()).toBe(true);
    expect(statSync(join(dev, "key.pem")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dev, "nats.creds")).mode & 0o777).toBe(0o600);
    expect(statSync(join(tmp.path, "pki", "ca-key.pem")).mode & 0o777).toBe(0o600);
    expect(openssl("verify", "-CAfile", join(dev, "ca.pem"), join(dev, "cert.pem"))).toMatch(/OK/);
    expect(openssl("x509", "-in", join(dev, "cert.pem"), "-noout", "-ext", "subjectAltName")).toContain(
      "URI:spiffe://qonnect/eu/device/dev-1",
    );
    // the key is a PKCS#8 key openssl reads and it matches the certificate
    const pubFromKey = openssl("pkey", "-in", join(dev, "key.pem"), "-pubout");
    const pubFromCert = openssl("x509", "-in", join(dev, "cert.pem"), "-noout", "-pubkey");
    expect(pubFromKey).toBe(pubFromCert);
    const meta = parse(readFileSync(join(dev, "identity.yaml"), "utf8"));
    expect(meta).toMatchObject({ region: "eu", role: "device", id: "dev-1", nats: ["tls://127.0.0.1:4222"] });
    expect(readFileSync(join(dev, "nats.creds"), "utf8")).toMatch(
      /BEGIN NATS USER JWT[\s\S]*BEGIN USER NKEY SEED/,
    );
  });

  it("loads a bundle and reads the identity from the certificate, not from identity.yaml", () => {
    const b = loadBundle(dev);
    expect(b.identity).toEqual({ region: "eu", role: "device", id: "dev-1" });
    expect(identityFromCertificate(b.certPem)).toEqual(b.identity);
    expect(identityFromCertificate("not a certificate")).toBeUndefined();
  });

  it("refuses a bundle whose key is readable by others", () => {
    const other = join(tmp.path, "loose");
    return enroll(pki, { region: "eu", role: "device", id: "loose" }, other, { nowMs: Date.now() }).then(
      () => {
        execFileSync("chmod", ["644", join(other, "key.pem")]);
        expect(() => loadBundle(other)).toThrow(/chmod 600/);
      },
    );
  });

  it("refuses a second init over an existing CA", async () => {
    await expect(Pki.init(join(tmp.path, "pki"), { nowMs: Date.now() })).rejects.toThrow(
      /already holds a CA/,
    );
  });

  it("rotation issues a new key and serial into the same bundle; revoke puts the old serial on the CRL", async () => {
    const rot = join(tmp.path, "rot");
    const first = await enroll(pki, { region: "eu", role: "fog", id: "fog-1" }, rot, { nowMs: Date.now() });
    const oldCert = readFileSync(join(rot, "cert.pem"), "utf8");
    const second = await enroll(pki, { region: "eu", role: "fog", id: "fog-1" }, rot, { nowMs: Date.now() });
    expect(second.serial).not.toBe(first.serial);
    expect(readFileSync(join(rot, "cert.pem"), "utf8")).not.toBe(oldCert);
    const list = new RevocationList(pki.files.crl, () => 0, 0);
    expect(list.isRevoked(first.serial)).toBe(false);
    const revoked = await pki.revoke((r) => r.serial === first.serial, Date.now());
    expect(revoked.map((r) => r.serial)).toEqual([first.serial]);
    list.refresh(true);
    expect(list.isRevoked(first.serial)).toBe(true);
    expect(list.isRevoked(second.serial)).toBe(false);
    // openssl agrees: the CRL is signed by the CA and refuses the old certificate, not the new one
    const oldPem = join(tmp.path, "old.pem");
    execFileSync("sh", ["-c", `cat > ${oldPem}`], { input: oldCert });
    const verify = (cert: string) => {
      try {
        return openssl("verify", "-crl_check", "-CAfile", pki.files.caCert, "-CRLfile", pki.files.crl, cert);
      } catch (err) {
        return String((err as { stdout?: string }).stdout) + String((err as { stderr?: string }).stderr);
      }
    };
    expect(verify(oldPem)).toMatch(/certificate revoked/);
    expect(verify(join(rot, "cert.pem"))).toMatch(/: OK/);
    // and the account JWT carries the old NATS user's revocation
    const resolver = readFileSync(pki.files.resolver, "utf8");
    const accountJwt = /"(eyJ[^"]+)"/.exec(resolver)?.[1] ?? "";
    const claims = JSON.parse(Buffer.from(accountJwt.split(".")[1] ?? "", "base64url").toString());
    expect(Object.keys(claims.nats.revocations)).toEqual([first.userKey]);
  });
});
